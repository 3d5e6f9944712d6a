// The intervention panel: clamp a gate of the selected unit from the current step on (a request
// to Python), and the summary of what the clamp changed (h, the model's output, its argmax).

import { enterClicks } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { dir, info, layer, step, unit, type Inspector } from "./context";
import { syncControls } from "./controls";
import { argmaxRow } from "./trace";
import { vectorText } from "./tokens";

/** Listeners of the clamp controls. */
export function bindClampControls(ins: Inspector): void {
  const { ui, model } = ins;
  ui.clampGate.addEventListener("change", () => {
    const range = (info(ins).clampable ?? {})[ui.clampGate.value];
    if (range) ui.clampValue.value = String(range[0] >= 0 ? range[1] : 0);
    syncControls(ins);
  });
  ui.clampApply.addEventListener("click", () => {
    if (ins.standalone) return;
    model.send({ type: "clamp", gate: ui.clampGate.value, unit: unit(ins), value: Number(ui.clampValue.value), start: step(ins), layer: layer(ins), direction: dir(ins) });
  });
  enterClicks(ui.clampValue, ui.clampApply);
  ui.clampClear.addEventListener("click", () => {
    if (!ins.standalone) model.send({ type: "clear_clamp" });
  });
}

/** Largest |b − a| over the common length. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < Math.min(a.length, b.length); k++) m = Math.max(m, Math.abs(b[k] - a[k]));
  return m;
}

/** The clamp summary under the clamp controls. */
export function describeClamp(ins: Inspector): void {
  const { ui, view } = ins;
  const c = ins.model.get("clamp");
  if (!c || c.gate === undefined) {
    ui.clampInfo.textContent = ins.standalone ? "clamping needs a running kernel" : "pick a unit and a step, then clamp one of its gates from that step on";
    return;
  }
  const i = info(ins);
  const parts = [`clamped: ${c.gate}[unit ${c.unit}] = ${formatNumber(c.value ?? NaN, 4)} from t = ${c.start}${c.stop != null ? ` to ${c.stop - 1}` : ""} (layer ${c.layer}${(i.num_directions ?? 1) > 1 ? `, ${c.direction ? "reverse" : "forward"}` : ""})`];
  const a = view.trace.h;
  const b = view.clampedTrace.h;
  if (a && b) parts.push(`largest change of any h: ${formatNumber(maxAbsDiff(a.data, b.data), 4)}`);
  const { outputs, clampedOutputs } = view;
  if (i.output_label === "model output" && outputs && clampedOutputs && outputs.shape[1] >= 2 && clampedOutputs.shape[1] === outputs.shape[1]) {
    let changed = 0;
    for (let t = 0; t < outputs.shape[0]; t++) if (argmaxRow(outputs.data, outputs.shape[1], t) !== argmaxRow(clampedOutputs.data, outputs.shape[1], t)) changed++;
    parts.push(`${i.output_label ?? "output"}: argmax changed at ${changed} of ${outputs.shape[0]} steps`);
  } else if (outputs && clampedOutputs) {
    parts.push(`${i.output_label ?? "output"}: largest change ${formatNumber(maxAbsDiff(outputs.data, clampedOutputs.data), 4)}`);
  }
  if (view.finalOut && view.clampedFinal) parts.push(`model output: ${vectorText(view.finalOut.data)} → ${vectorText(view.clampedFinal.data)}`);
  ui.clampInfo.textContent = parts.join("\n");
}
