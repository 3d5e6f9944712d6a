// LSTM gate inspector: every gate and state of a recurrent layer over a sequence, as PyTorch
// computed it (the whole trace is in synced state as binary arrays). Heatmaps of each gate over
// time × units with the tokens on the time axis, hover for exact values, click to pick a step and
// a unit; the classic cell diagram with the live numbers of the chosen step and unit; play and
// scrub through time; the text coloured by a unit (Karpathy) and a search for units that fire on
// a selected span (LSTMVis); typing new text, clamping a gate and the gradient through time go
// back to Python (disabled with a hint in a static export). Token strings are only ever text.
//
// This file wires the parts together: state.ts (traits and view state), context.ts (derived
// reads), ui.ts (elements), controls.ts, clamp.ts, text_strip.ts, heatmaps.ts, cell_diagram.ts,
// charts.ts (the views) and the shared timeline. Colours come from the lib theme (read once per
// draw, redrawn on a theme switch); ticks, colour tables and heatmap pixels from js/src/lib.

import type { RenderProps } from "@anywidget/types";
import { isStandalone, listen, widgetRoot } from "../lib/dom";
import { onThemeChange, readTheme } from "../lib/theme";
import { createTimeline } from "../lib/timeline";
import { describeClamp, bindClampControls } from "./clamp";
import { drawDiagram } from "./cell_diagram";
import { drawGradient, drawSeries } from "./charts";
import { hasClamp, info, setTrait, step, tokens, type Inspector } from "./context";
import { bindControls, fillSelects, syncControls } from "./controls";
import { bindHeatmap, drawHeat, hoverText } from "./heatmaps";
import { createViewState, decodeAll, decodeClamped, type LSTMInspectorModel } from "./state";
import { buildText, endDrag, paintText, showRanking } from "./text_strip";
import { visibleToken } from "./tokens";
import { buildUi, HOVER_HINT, INSPECTOR_CSS, RANK_HINT } from "./ui";
import { whenAttached } from "./when_attached";

/** Everything that depends on the step, unit and gate (theme colours read once for all). */
function drawStep(ins: Inspector): void {
  ins.view.theme = readTheme(ins.root);
  paintText(ins);
  drawHeat(ins);
  drawDiagram(ins);
  drawSeries(ins);
  drawGradient(ins);
  const hovered = ins.view.hovered;
  if (hovered) ins.ui.hover.textContent = hoverText(ins, hovered.name, hovered.t, hovered.unit);
}

function drawAll(ins: Inspector): void {
  ins.view.colours.clear();
  syncControls(ins);
  drawStep(ins);
  describeClamp(ins);
}

/** A new timeline with one frame per token; its frames set the `step` trait. */
function buildTimeline(ins: Inspector): void {
  const { view } = ins;
  const frames = Math.max(1, tokens(ins).length || (info(ins).steps ?? 1));
  view.timeline?.destroy();
  view.buildingTimeline = true; // createTimeline shows frame 0 at once: not a user's choice of step
  const timeline = createTimeline({
    frames,
    fps: Number(ins.model.get("speed")) || 6,
    label: (f) => `t = ${f} / ${frames - 1}  “${visibleToken(tokens(ins)[f] ?? "")}”`,
    onFrame: (f) => {
      if (view.buildingTimeline) return;
      if (f !== step(ins)) setTrait(ins, "step", f);
      drawStep(ins);
    },
  });
  view.timeline = timeline;
  view.buildingTimeline = false;
  timeline.setFrame(Math.min(step(ins), frames - 1));
  ins.ui.timelineHolder.replaceChildren(timeline.el);
  timeline.bindKeys(ins.root);
}

/** A new trace or new tokens: decode, forget hover and selection, rebuild the text and timeline. */
function rebuild(ins: Inspector): void {
  const { ui, view } = ins;
  decodeAll(view, ins.model);
  view.colours.clear();
  view.hovered = null;
  ui.hover.textContent = HOVER_HINT;
  view.selection = null;
  ui.rankBox.replaceChildren(RANK_HINT);
  fillSelects(ins);
  buildText(ins);
  buildTimeline(ins);
  drawAll(ins);
}

/** Model events → redraws. Returns the function that removes the listeners. */
function listenToModel(ins: Inspector): () => void {
  const { model, view, ui } = ins;
  const layerChanged = () => {
    view.colours.clear();
    drawAll(ins);
    showRanking(ins);
  };
  return listen(model, {
    "change:trace_data": () => rebuild(ins),
    "change:tokens": () => rebuild(ins),
    "change:info": () => { fillSelects(ins); drawAll(ins); },
    "change:clamped": () => {
      decodeClamped(view, model);
      if (hasClamp(ins)) ui.traceSel.value = "clamped";
      drawAll(ins);
    },
    "change:clamp": () => drawAll(ins),
    "change:gradient": () => { decodeAll(view, model); drawAll(ins); },
    "change:error": () => syncControls(ins),
    "change:text": () => syncControls(ins),
    "change:title": () => syncControls(ins),
    "change:layer": layerChanged,
    "change:direction": layerChanged,
    "change:unit": () => drawAll(ins),
    "change:gate": () => { drawAll(ins); showRanking(ins); },
    "change:step": () => {
      const tl = view.timeline;
      if (tl && tl.frame !== step(ins) && !tl.playing) tl.setFrame(step(ins));
      else drawStep(ins);
    },
  });
}

function render({ model, el }: Pick<RenderProps<LSTMInspectorModel>, "model" | "el">): () => void {
  const root = widgetRoot(el, "lstm-inspector", INSPECTOR_CSS);
  const ins: Inspector = {
    model,
    root,
    ui: buildUi(root, model),
    view: createViewState(),
    standalone: isStandalone(model),
    redraw: { all: () => drawAll(ins), step: () => drawStep(ins), ranking: () => showRanking(ins) },
  };
  bindControls(ins);
  bindClampControls(ins);
  bindHeatmap(ins);
  const onMouseUp = () => endDrag(ins);
  document.addEventListener("mouseup", onMouseUp);
  const unlisten = listenToModel(ins);
  rebuild(ins);
  // canvases and the diagram take concrete colours: redraw when JupyterLab switches theme, and
  // once the view is in the page if it was drawn before (no theme variable is readable then)
  const unwatchTheme = onThemeChange(root, () => drawStep(ins));
  const unwatchAttach = whenAttached(root, () => drawStep(ins));
  return () => {
    unlisten();
    unwatchTheme();
    unwatchAttach();
    ins.view.timeline?.destroy();
    document.removeEventListener("mouseup", onMouseUp);
  };
}

export default { render };
