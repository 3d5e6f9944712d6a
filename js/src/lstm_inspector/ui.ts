// The inspector's DOM: every element the views fill in, built once per view. Classes are the
// ones the browser tests and the static export rely on.

import { createSurface, type Surface } from "../lib/canvas";
import { h, needsKernel } from "../lib/dom";
import type { Model } from "./state";

export const HOVER_HINT = "hover the heatmaps to read values; click to pick a step and unit";
export const RANK_HINT = "drag across the text to find units that fire on a span";

export const INSPECTOR_CSS = `
.dlw-lstm-inspector .dlw-lstm-text { display: flex; flex-wrap: wrap; gap: 1px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 14px; margin: 6px 0; user-select: none; max-width: 900px; }
.dlw-lstm-inspector .dlw-lstm-tok { display: inline-flex; flex-direction: column; align-items: center; min-width: 1.1em; cursor: pointer; border-radius: 2px; }
.dlw-lstm-inspector .dlw-lstm-tok > .dlw-lstm-ch { padding: 1px 2px; white-space: pre; border-radius: 2px; border: 1px solid transparent; }
.dlw-lstm-inspector .dlw-lstm-tok.dlw-current > .dlw-lstm-ch { border-color: var(--dlw-fg); }
.dlw-lstm-inspector .dlw-lstm-tok.dlw-selected > .dlw-lstm-ch { outline: 2px solid var(--dlw-accent-2); }
.dlw-lstm-inspector .dlw-lstm-pred { font-size: 10px; color: var(--dlw-muted); line-height: 1.1; }
.dlw-lstm-inspector .dlw-lstm-pred.dlw-changed { color: var(--dlw-bad); font-weight: 700; }
.dlw-lstm-inspector .dlw-lstm-rank button { margin: 2px 4px 2px 0; }
.dlw-lstm-inspector .dlw-lstm-panel { border: 1px solid var(--dlw-border); border-radius: 6px; padding: 6px 8px; background: var(--dlw-panel); }
.dlw-lstm-inspector .dlw-lstm-panel h4 { margin: 0 0 4px 0; font-size: 12px; font-weight: 600; color: var(--dlw-muted); }
.dlw-lstm-inspector svg text { font-family: system-ui, sans-serif; font-size: 11px; }
.dlw-lstm-inspector .dlw-lstm-num { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 10.5px; }
`;

export interface Ui {
  title: HTMLDivElement;
  subtitle: HTMLDivElement;
  note: HTMLDivElement;
  error: HTMLDivElement;
  layerSel: HTMLSelectElement;
  dirSel: HTMLSelectElement;
  gateSel: HTMLSelectElement;
  traceSel: HTMLSelectElement;
  unitInput: HTMLInputElement;
  unitPrev: HTMLButtonElement;
  unitNext: HTMLButtonElement;
  layerLabel: HTMLLabelElement;
  dirLabel: HTMLLabelElement;
  textStrip: HTMLDivElement;
  predLabel: HTMLDivElement;
  textLegend: HTMLDivElement;
  rankBox: HTMLDivElement;
  textInput: HTMLInputElement;
  runButton: HTMLButtonElement;
  textRow: HTMLDivElement;
  heat: Surface;
  hover: HTMLDivElement;
  diagramBox: HTMLDivElement;
  timelineHolder: HTMLDivElement;
  series: Surface;
  seriesPanel: HTMLDivElement;
  grad: Surface;
  gradNote: HTMLDivElement;
  clampGate: HTMLSelectElement;
  clampValue: HTMLInputElement;
  clampApply: HTMLButtonElement;
  clampClear: HTMLButtonElement;
  clampInfo: HTMLDivElement;
}

/** Build the inspector's elements inside `root` (controls that need Python are disabled in a
 *  static export). */
export function buildUi(root: HTMLElement, model: Model): Ui {
  const title = h("div", { class: "dlw-title dlw-lstm-title" });
  const subtitle = h("div", { class: "dlw-muted dlw-lstm-module" });
  const note = h("div", { class: "dlw-muted dlw-lstm-note" });
  const error = h("div", { class: "dlw-error dlw-lstm-error", role: "alert" });

  const layerSel = h("select", { class: "dlw-lstm-layer", "aria-label": "layer" });
  const dirSel = h("select", { class: "dlw-lstm-direction", "aria-label": "direction" });
  const gateSel = h("select", { class: "dlw-lstm-gate", "aria-label": "colour text by" });
  const traceSel = h("select", { class: "dlw-lstm-which", "aria-label": "which trace" });
  for (const [v, label] of [["original", "original"], ["clamped", "with clamp"], ["diff", "clamp − original"]]) {
    traceSel.appendChild(h("option", { value: v }, [label]));
  }
  const unitInput = h("input", { type: "number", min: 0, step: 1, class: "dlw-lstm-unit", "aria-label": "unit", style: "width:4.5em" });
  const unitPrev = h("button", { class: "dlw-button dlw-lstm-unit-prev", type: "button", title: "previous unit" }, ["−"]);
  const unitNext = h("button", { class: "dlw-button dlw-lstm-unit-next", type: "button", title: "next unit" }, ["+"]);
  const layerLabel = h("label", {}, ["layer", layerSel]);
  const dirLabel = h("label", {}, ["direction", dirSel]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [
    layerLabel, dirLabel, h("label", {}, ["colour text by", gateSel]),
    h("label", {}, ["unit", unitPrev, unitInput, unitNext]), h("label", {}, ["show", traceSel]),
  ]);

  const textStrip = h("div", { class: "dlw-lstm-text", "aria-label": "tokens" });
  const predLabel = h("div", { class: "dlw-muted dlw-lstm-pred-label" });
  const textLegend = h("div", { class: "dlw-muted dlw-lstm-text-legend" });
  const rankBox = h("div", { class: "dlw-lstm-rank dlw-muted" }, [RANK_HINT]);
  const textInput = needsKernel(model, h("input", { type: "text", class: "dlw-lstm-input", "aria-label": "new text", style: "width:28em" }));
  const runButton = needsKernel(model, h("button", { class: "dlw-button dlw-primary dlw-lstm-run", type: "button" }, ["Run"]));
  const textRow = h("div", { class: "dlw-toolbar dlw-lstm-textrow" }, [h("label", {}, ["text", textInput]), runButton]);

  const heat = createSurface(600, 300, "dlw-canvas dlw-lstm-heatmap");
  const hover = h("div", { class: "dlw-readout dlw-lstm-hover" }, [HOVER_HINT]);
  const diagramBox = h("div", { class: "dlw-lstm-panel dlw-lstm-diagram" });
  const heatCol = h("div", {}, [heat.canvas, hover]);
  const mainRow = h("div", { class: "dlw-row" }, [heatCol, diagramBox]);
  const timelineHolder = h("div", { class: "dlw-lstm-timeline" });

  const series = createSurface(420, 150, "dlw-canvas dlw-lstm-series");
  const grad = createSurface(420, 150, "dlw-canvas dlw-lstm-gradient");
  const gradNote = h("div", { class: "dlw-muted dlw-lstm-gradnote", style: "max-width:420px" });
  const clampGate = needsKernel(model, h("select", { class: "dlw-lstm-clamp-gate", "aria-label": "gate to clamp" }));
  const clampValue = needsKernel(model, h("input", { type: "number", step: 0.05, value: 1, class: "dlw-lstm-clamp-value", "aria-label": "clamp value", style: "width:5em" }));
  const clampApply = needsKernel(model, h("button", { class: "dlw-button dlw-primary dlw-lstm-clamp", type: "button" }, ["Clamp from this step"]));
  const clampClear = needsKernel(model, h("button", { class: "dlw-button dlw-lstm-unclamp", type: "button" }, ["Clear"]));
  const clampInfo = h("div", { class: "dlw-readout dlw-lstm-clamp-info", style: "white-space:pre-wrap;max-width:360px" });
  const clampPanel = h("div", { class: "dlw-lstm-panel" }, [
    h("h4", {}, ["Intervention: clamp a gate of the selected unit"]),
    h("div", { class: "dlw-toolbar" }, [clampGate, h("label", {}, ["=", clampValue]), clampApply, clampClear]),
    clampInfo,
  ]);
  const seriesPanel = h("div", { class: "dlw-lstm-panel" }, [h("h4", { class: "dlw-lstm-series-title" }), series.canvas]);
  const gradPanel = h("div", { class: "dlw-lstm-panel" }, [h("h4", {}, ["Gradient through time ‖∂h_T/∂h_t‖ (log scale)"]), grad.canvas, gradNote]);
  const bottomRow = h("div", { class: "dlw-row", style: "margin-top:8px" }, [seriesPanel, gradPanel, clampPanel]);

  root.append(title, subtitle, note, error, toolbar, textStrip, textLegend, predLabel, rankBox, textRow, mainRow, timelineHolder, bottomRow);
  return {
    title, subtitle, note, error, layerSel, dirSel, gateSel, traceSel, unitInput, unitPrev, unitNext,
    layerLabel, dirLabel, textStrip, predLabel, textLegend, rankBox, textInput, runButton, textRow,
    heat, hover, diagramBox, timelineHolder, series, seriesPanel, grad, gradNote,
    clampGate, clampValue, clampApply, clampClear, clampInfo,
  };
}
