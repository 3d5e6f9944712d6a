// Per-optimizer panels: show / hide, status badge, final loss, remove button, formula, note and
// hyperparameter sliders (sent "latest wins" while dragging), plus the "add an optimizer" menu.

import { h, needsKernel } from "../lib/dom";
import { markTicks, offlineNote, offlineOrKernel, stepWithKeys } from "../lib/offline";
import { formatNumber } from "../lib/format";
import { niceValue, sliderToValue, valueToSlider } from "./controls";
import { drawFrame } from "./playback";
import { sendTrait, setOffline } from "./requests";
import type { HyperInfo, HyperValues, RaceView, RacerData, SummaryEntry } from "./state";

/** Badge text of one optimizer: its start's status, or the swarm's counts. */
export function statusText(s: SummaryEntry | undefined, nStarts: number): string {
  if (!s) return "";
  if (nStarts > 1) {
    const c = s.counts ?? {};
    return `✓ ${c.converged ?? 0} converged · ✕ ${c.diverged ?? 0} diverged · ${c.running ?? 0} running`;
  }
  if (s.status === "diverged") return `diverged at step ${s.diverged_step}`;
  // "running" is the engine's word for "still moving when the steps ran out": the race is
  // already over when it is shown, so say that rather than "running".
  if (s.status === "running") return `still moving after ${s.steps} steps`;
  return s.status;
}

const copy = (hyper: HyperValues): HyperValues => JSON.parse(JSON.stringify(hyper));

function panelHead(view: RaceView, r: RacerData): HTMLDivElement {
  const { model, state } = view;
  const show = h("input", { type: "checkbox", class: "dlw-race-show", title: "show / hide this optimizer" });
  show.checked = !state.hidden.has(r.racer.name);
  show.addEventListener("change", () => {
    if (show.checked) state.hidden.delete(r.racer.name);
    else state.hidden.add(r.racer.name);
    state.chartLayer = null;
    drawFrame(view, state.currentFrame);
  });
  const badge = h("span", { class: `dlw-race-badge dlw-race-badge-${r.summary?.status ?? "none"}` }, [statusText(r.summary, state.nStarts)]);
  const finalLoss = r.summary?.final_loss;
  const head = h("div", { class: "dlw-race-panel-head" }, [
    show,
    h("span", { class: "dlw-swatch", style: `background:${r.color};height:10px` }),
    h("strong", { class: "dlw-race-name" }, [r.racer.name]),
    badge,
    h("span", { class: "dlw-muted" }, [finalLoss === null || finalLoss === undefined ? "" : `f = ${formatNumber(finalLoss, 4)}`]),
  ]);
  if (model.get("mode") !== "landscape") {
    const remove = needsKernel(model, h("button", { class: "dlw-button dlw-race-remove", type: "button", title: "remove from the race" }, ["✕"]));
    remove.addEventListener("click", () => {
      const active = (model.get("active") ?? []).filter((x) => x !== r.racer.name);
      if (active.length === 0) return;
      sendTrait(view, "active", active);
    });
    head.appendChild(remove);
  }
  return head;
}

function hyperSlider(view: RaceView, r: RacerData, info: HyperInfo, hyper: HyperValues): HTMLLabelElement {
  const { model, state, offline } = view;
  const value = hyper[r.racer.name]?.[info.key] ?? info.min;
  // in a static page, a precomputed slider snaps to its values (lib/offline.ts)
  const control = `hyper.${r.racer.name}.${info.key}`;
  const input = offlineOrKernel(model, offline, control, h("input", {
    type: "range", min: 0, max: 1000, step: 1, class: `dlw-race-hyper dlw-race-hyper-${info.key}`,
    "aria-label": `${r.racer.name} ${info.label}`, "data-optimizer": r.racer.name, "data-key": info.key,
  }));
  const toSlider = (v: number) => valueToSlider(v, info.min, info.max, info.log);
  input.value = String(toSlider(value));
  const readout = h("span", { class: "dlw-readout" }, [formatNumber(value, 3)]);
  const showOffline = (v: number) => {
    // nearest on the slider's own scale; the state (and this panel) come from the table
    const shown = setOffline(view, control, v, info.log);
    input.value = String(toSlider(shown));
    readout.textContent = formatNumber(shown, 4);
  };
  input.addEventListener("input", () => {
    const v = niceValue(sliderToValue(Number(input.value), info.min, info.max, info.log));
    if (offline?.has(control)) return showOffline(v);
    readout.textContent = formatNumber(v, 3);
    state.pendingHyper[r.racer.name] = { ...(state.pendingHyper[r.racer.name] ?? {}), [info.key]: v };
    view.hyperSender.push(copy(state.pendingHyper));
  });
  const label = h("label", { class: "dlw-race-slider" }, [info.label, input, readout]);
  if (offline?.has(control)) {
    markTicks(input, offline.values(control).map(toSlider));
    stepWithKeys(input, offline, control, showOffline);
    label.appendChild(offlineNote(offline, control));
  }
  return label;
}

/** Rebuild every optimizer's panel and the "add" menu from the model. */
export function buildPanels(view: RaceView): void {
  const { model, state, dom } = view;
  const hyper = model.get("hyper") ?? {};
  state.pendingHyper = copy(hyper);
  const items = state.racers.map((r) => {
    const head = panelHead(view, r);
    const sliders = r.racer.hypers.map((info) => hyperSlider(view, r, info, hyper));
    const children: Array<Node | string> = [
      head,
      h("div", { class: "dlw-formula dlw-race-optimizer-formula", title: r.racer.class_name }, [r.racer.formula]),
    ];
    if (r.racer.note) children.push(h("div", { class: "dlw-muted" }, [r.racer.note]));
    if (sliders.length) children.push(h("div", { class: "dlw-toolbar" }, sliders));
    return h("div", { class: "dlw-race-panel", "data-optimizer": r.racer.name, style: `border-left:4px solid ${r.color}` }, children);
  });
  dom.panels.replaceChildren(...items);
  const active = new Set(model.get("active") ?? []);
  const available = (model.get("available") ?? []).filter((n) => !active.has(n));
  dom.addSelect.replaceChildren(h("option", { value: "" }, ["—"]), ...available.map((n) => h("option", { value: n }, [n])));
  dom.addRow.style.display = model.get("mode") === "landscape" || available.length === 0 ? "none" : "";
}

/** Adding an optimizer from the menu re-runs the race with it. */
export function bindAddMenu(view: RaceView): void {
  const { model, dom } = view;
  dom.addSelect.addEventListener("change", () => {
    const name = dom.addSelect.value;
    if (!name) return;
    sendTrait(view, "active", [...(model.get("active") ?? []), name]);
  });
}
