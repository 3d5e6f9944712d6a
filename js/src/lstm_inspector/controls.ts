// Toolbar and text controls: layer, direction, gate, unit, which trace, and typing new text.
// They set traits (or send a request to Python); the views redraw on the change events.

import { h, ownKeys } from "../lib/dom";
import { dir, gate, hasClamp, info, layer, names, setTrait, setUnit, tokens, unit, type Inspector } from "./context";
import { labelOf } from "./tokens";

/** Options of the selects that depend on the layer (layers, directions, arrays, clampable gates). */
export function fillSelects(ins: Inspector): void {
  const { ui } = ins;
  const i = info(ins);
  ui.layerSel.replaceChildren(...Array.from({ length: i.num_layers ?? 1 }, (_, k) => h("option", { value: k }, [String(k)])));
  ui.dirSel.replaceChildren(...Array.from({ length: i.num_directions ?? 1 }, (_, k) => h("option", { value: k }, [k === 0 ? "forward" : "reverse"])));
  ui.layerLabel.style.display = (i.num_layers ?? 1) > 1 ? "" : "none";
  ui.dirLabel.style.display = (i.num_directions ?? 1) > 1 ? "" : "none";
  ui.gateSel.replaceChildren(...names(ins).map((n) => h("option", { value: n }, [labelOf(n)])));
  const clampable = i.clampable ?? {};
  ui.clampGate.replaceChildren(...Object.keys(clampable).map((n) => h("option", { value: n }, [labelOf(n)])));
  ui.unitInput.max = String((i.hidden_size ?? 1) - 1);
  ui.textRow.style.display = i.has_tokenizer ? "" : "none";
}

/** Titles, notes, the error line and every control's value, from state. */
export function syncControls(ins: Inspector): void {
  const { ui, model } = ins;
  const i = info(ins);
  ui.title.textContent = model.get("title") || "LSTM inspector";
  const where = i.module_name ? `inspecting ${i.description} (the first recurrent layer found in the model)` : `inspecting ${i.description ?? ""}`;
  ui.subtitle.textContent = `${where}; T = ${i.steps ?? tokens(ins).length} steps`;
  const nonfinite = i.nonfinite_step ?? -1;
  const notes = [i.output_note, nonfinite >= 0 ? `the trace holds NaN/∞ from step ${nonfinite} on (grey cells)` : ""]
    .filter((s): s is string => !!s);
  ui.note.textContent = notes.join(" · ");
  ui.note.style.display = notes.length ? "" : "none";
  const err = String(model.get("error") ?? "");
  ui.error.textContent = err;
  ui.error.style.display = err ? "" : "none";
  ui.layerSel.value = String(layer(ins));
  ui.dirSel.value = String(dir(ins));
  ui.gateSel.value = gate(ins);
  ui.unitInput.value = String(unit(ins));
  if (document.activeElement !== ui.textInput) ui.textInput.value = String(model.get("text") ?? "");
  ui.traceSel.disabled = !hasClamp(ins);
  ui.traceSel.title = hasClamp(ins) ? "" : "apply a clamp first";
  if (!hasClamp(ins)) ui.traceSel.value = "original";
  const range = (i.clampable ?? {})[ui.clampGate.value];
  if (range) {
    ui.clampValue.min = String(Math.max(range[0], -1e6));
    ui.clampValue.max = String(Math.min(range[1], 1e6));
  }
}

/** Listeners of the toolbar and of the text row. */
export function bindControls(ins: Inspector): void {
  const { ui, model } = ins;
  ui.layerSel.addEventListener("change", () => setTrait(ins, "layer", Number(ui.layerSel.value)));
  ui.dirSel.addEventListener("change", () => setTrait(ins, "direction", Number(ui.dirSel.value)));
  ui.gateSel.addEventListener("change", () => setTrait(ins, "gate", ui.gateSel.value));
  ui.traceSel.addEventListener("change", () => ins.redraw.all());
  ui.unitInput.addEventListener("change", () => setUnit(ins, Number(ui.unitInput.value)));
  ui.unitPrev.addEventListener("click", () => setUnit(ins, unit(ins) - 1));
  ui.unitNext.addEventListener("click", () => setUnit(ins, unit(ins) + 1));
  const sendText = () => {
    if (ins.standalone) return;
    model.send({ type: "text", text: ui.textInput.value });
  };
  ui.runButton.addEventListener("click", sendText);
  ownKeys(ui.textInput);
  ui.textInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") sendText();
  });
}
