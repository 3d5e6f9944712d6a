// The explainer panel: at one step, every visible optimizer's position, loss, gradient, torch
// optimizer state and actual update, as exact numbers (the arrows are drawn in trails.ts).

import { h } from "../lib/dom";
import { formatNumber } from "../lib/format";
import type { RaceView, RacerData } from "./state";

/** Readout lines of one optimizer at `frame`. */
function explainLines(r: RacerData, frame: number): string[] {
  const n = r.path.shape[1];
  const T = r.path.shape[0];
  const lines: string[] = [];
  const p = r.path.data;
  lines.push(`θ = (${formatNumber(p[frame * n * 2], 5)}, ${formatNumber(p[frame * n * 2 + 1], 5)})   f = ${formatNumber(r.loss.data[frame * n], 5)}`);
  if (!r.grad) {
    // a training trajectory: position and loss only
  } else if (frame < T - 1) {
    const g = r.grad.data;
    lines.push(`g = (${formatNumber(g[frame * 2], 5)}, ${formatNumber(g[frame * 2 + 1], 5)})`);
    for (const s of r.state) {
      lines.push(`${s.label} [${s.key}] = (${formatNumber(s.data.data[frame * 2], 5)}, ${formatNumber(s.data.data[frame * 2 + 1], 5)})`);
    }
    const dx = p[(frame + 1) * n * 2] - p[frame * n * 2];
    const dy = p[(frame + 1) * n * 2 + 1] - p[frame * n * 2 + 1];
    lines.push(`Δθ = (${formatNumber(dx, 5)}, ${formatNumber(dy, 5)})`);
  } else {
    lines.push("end of the race");
  }
  return lines;
}

/** Fill the explainer panel for `frame`, or empty it when the explainer is off. */
export function updateExplainPanel(view: RaceView, frame: number): void {
  const { model, state, dom } = view;
  if (!model.get("explainer")) {
    dom.explainPanel.replaceChildren();
    return;
  }
  const rows: HTMLElement[] = [
    h("div", { class: "dlw-muted" }, [
      `step ${frame} → ${frame + 1}: white dashed arrow −g (gradient), coloured dotted arrow −(velocity / first moment), ` +
        "dashed ellipse ∝ √(second moment) per axis, black arrow the actual update Δθ (to scale). " +
        "Arrow lengths of g and m show direction and relative size; the numbers are exact (torch optimizer state).",
    ]),
  ];
  for (const r of state.racers) {
    if (state.hidden.has(r.racer.name)) continue;
    rows.push(
      h("div", { class: "dlw-race-explain-row" }, [
        h("span", { class: "dlw-swatch", style: `background:${r.color}` }),
        h("strong", {}, [r.racer.name]),
        h("div", { class: "dlw-readout" }, [explainLines(r, frame).join("\n")]),
      ]),
    );
  }
  dom.explainPanel.replaceChildren(...rows);
}
