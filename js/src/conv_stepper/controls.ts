// Controls <-> state: selects and inputs show the synced settings; changing them sets a view
// trait (view, filter, channel, speed) or asks Python to recompute (stride, padding, ...).

import { channelOf, filterOf, groupStart, viewOf, type ConvOptions, type ConvSettings, type Stepper } from "./state";
import { fillSelect, VIEWS } from "./ui";

/** The padding select's value for the given settings: "same", "valid", "p" or "top,left". */
export function paddingValue(p: ConvSettings["padding"] | undefined): string {
  if (typeof p === "string") return p;
  if (!p || p[0] === p[1]) return String(p?.[0] ?? 0);
  return `${p[0]},${p[1]}`;
}

/** Settings controls show what Python holds. */
function syncSettings(s: Stepper) {
  const st: Partial<ConvSettings> = s.model.get("settings") || {};
  const o: Partial<ConvOptions> = s.model.get("options") || {};
  const { ui } = s;
  const g = s.state.geom!;
  ui.strideH.value = String(st.stride?.[0] ?? 1);
  ui.strideW.value = String(st.stride?.[1] ?? 1);
  ui.dilH.value = String(st.dilation?.[0] ?? 1);
  ui.dilW.value = String(st.dilation?.[1] ?? 1);
  const pads: Array<[string, string]> = [];
  const k = Math.max(...g.kernel);
  if (s.offline?.has("padding")) {
    for (const p of s.offline.values("padding")) pads.push([String(p), String(p)]);
  } else {
    for (let p = 0; p <= Math.max(4, k); p++) pads.push([String(p), String(p)]);
    pads.push(["same", "same"], ["valid", "valid"]);
  }
  const cur = paddingValue(st.padding);
  if (!pads.some(([v]) => v === cur)) pads.push([cur, cur]);
  fillSelect(ui.padSelect, pads, cur);
  fillSelect(ui.modeSelect, (o.padding_modes ?? ["zeros"]).map((m) => [m, m]), st.padding_mode ?? "zeros");
  fillSelect(ui.actSelect, (o.activations ?? ["relu"]).map((m) => [m, m]), st.activation ?? "relu");
  fillSelect(ui.poolSelect, (o.pools ?? ["max"]).map((m) => [m, `${m} pool`]), st.pool ?? "max");
  ui.poolSize.value = String(st.pool_size?.[0] ?? 2);
}

/** Every control shows the current state (settings, speed, filter, channel, view). */
export function syncControls(s: Stepper) {
  const g = s.state.geom;
  if (!g) return;
  const { ui } = s;
  syncSettings(s);
  ui.speedSelect.value = String(s.model.get("speed") ?? 8);
  const f = filterOf(s);
  fillSelect(ui.filterSelect, Array.from({ length: g.filters }, (_, k) => [String(k), String(k)]), String(f));
  ui.filterLabel.style.display = g.filters > 1 ? "" : "none";
  const names: string[] = s.model.get("channel_names") ?? [];
  const g0 = groupStart(s, f);
  fillSelect(ui.channelSelect, Array.from({ length: g.group_channels }, (_, k) => [String(g0 + k), names[g0 + k] ?? String(g0 + k)]), String(channelOf(s)));
  ui.channelLabel.style.display = g.group_channels > 1 ? "" : "none";
  for (const v of VIEWS) {
    const b = ui.viewButtons[v];
    b.classList.toggle("dlw-primary", v === viewOf(s));
    b.setAttribute("aria-selected", String(v === viewOf(s)));
  }
  const poolOk = !!g.pool;
  ui.viewButtons.pool.disabled = !poolOk;
  ui.viewButtons.pool.title = poolOk ? "" : g.pool_error;
}

/**
 * In a static page with precomputed settings: show the precomputed state nearest to what was
 * asked (stride, padding and dilation are square there); a refused one shows the live widget's
 * message. Returns false when `settings` holds something not precomputed.
 */
function configureOffline(s: Stepper, settings: Record<string, unknown>): boolean {
  const table = s.offline;
  if (!table) return false;
  const keys = Object.keys(settings);
  if (!keys.every((key) => table.has(key))) return false;
  let refused: string | null = null;
  for (const key of keys) {
    const v = settings[key];
    const result = table.set(key, Number(Array.isArray(v) ? v[0] : v));
    refused = refused ?? result.refused;
  }
  s.model.set("error", refused ?? "");
  s.model.save_changes();
  syncControls(s);
  return true;
}

/** Ask Python to recompute with changed settings (or answer from precomputed states). */
function sendConfigure(s: Stepper, settings: Record<string, unknown>) {
  if (configureOffline(s, settings)) return;
  if (s.standalone) return;
  s.state.pending = true;
  s.ui.root.dataset.pending = "true";
  s.ui.error.textContent = "";
  s.model.send({ type: "configure", settings });
}

const intOf = (input: HTMLInputElement, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(Number(input.value) || lo)));

/** Wire every control to the model. */
export function bindControls(s: Stepper) {
  const { ui, model } = s;
  for (const v of VIEWS) {
    ui.viewButtons[v].addEventListener("click", () => {
      model.set("view", v);
      model.save_changes();
    });
  }
  for (const input of [ui.strideH, ui.strideW, ui.dilH, ui.dilW]) {
    input.addEventListener("change", () => {
      if (s.offline) {
        // precomputed settings are square: the input just changed sets both of its pair
        const key = input === ui.strideH || input === ui.strideW ? "stride" : "dilation";
        if (s.offline.has(key)) return sendConfigure(s, { [key]: intOf(input, 1, 16) });
      }
      sendConfigure(s, { stride: [intOf(ui.strideH, 1, 16), intOf(ui.strideW, 1, 16)], dilation: [intOf(ui.dilH, 1, 16), intOf(ui.dilW, 1, 16)] });
    });
  }
  ui.padSelect.addEventListener("change", () => {
    const v = ui.padSelect.value;
    sendConfigure(s, { padding: v === "same" || v === "valid" ? v : v.split(",").length === 2 ? v.split(",").map(Number) : Number(v) });
  });
  ui.modeSelect.addEventListener("change", () => sendConfigure(s, { padding_mode: ui.modeSelect.value }));
  ui.actSelect.addEventListener("change", () => sendConfigure(s, { activation: ui.actSelect.value }));
  ui.poolSelect.addEventListener("change", () => sendConfigure(s, { pool: ui.poolSelect.value }));
  ui.poolSize.addEventListener("change", () => sendConfigure(s, { pool_size: intOf(ui.poolSize, 1, 8) }));
  ui.filterSelect.addEventListener("change", () => {
    model.set("filter", Number(ui.filterSelect.value));
    model.save_changes();
  });
  ui.channelSelect.addEventListener("change", () => {
    model.set("channel", Number(ui.channelSelect.value));
    model.save_changes();
  });
  ui.speedSelect.addEventListener("change", () => {
    model.set("speed", Number(ui.speedSelect.value));
    model.save_changes();
  });
}
