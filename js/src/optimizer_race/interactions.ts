// Pointer input: hovering the surface reads f from the grid (lib tooltip) and draws a crosshair,
// clicking it sets the start (needs Python), pressing or dragging on the loss chart scrubs to a
// step.

import { pointerPosition } from "../lib/canvas";
import { KERNEL_HINT } from "../lib/dom";
import { formatNumber, nearestIndex } from "../lib/format";
import { chartStepAt } from "./chart";
import { niceValue } from "./controls";
import { sendTrait } from "./requests";
import type { RaceView } from "./state";
import { surfaceTransform } from "./surface";
import { drawSurface } from "./trails";

function redrawUnlessPlaying(view: RaceView): void {
  if (!view.state.timeline?.playing) drawSurface(view, view.state.currentFrame);
}

function onSurfaceMove(view: RaceView, event: PointerEvent): void {
  const { model, state, dom } = view;
  const [px, py] = pointerPosition(dom.surface.canvas, event);
  const tf = surfaceTransform(view);
  const grid = state.grid;
  if (!tf.inside(px, py) || !grid) {
    state.hoverPoint = null;
    dom.tooltip.hide();
    return;
  }
  const [x, y] = tf.toData(px, py);
  state.hoverPoint = [x, y];
  const [ny, nx] = grid.shape;
  const i = nearestIndex(x, state.domain[0], state.domain[1], nx);
  const j = nearestIndex(y, state.domain[2], state.domain[3], ny);
  const [xl, yl] = model.get("axis_labels") ?? ["x", "y"];
  dom.tooltip.showAt(event, [`${xl} = ${formatNumber(x, 4)}   ${yl} = ${formatNumber(y, 4)}`, `f ≈ ${formatNumber(grid.data[j * nx + i], 5)} (grid)`]);
  redrawUnlessPlaying(view);
}

function onSurfaceClick(view: RaceView, event: MouseEvent): void {
  const { model, dom } = view;
  if (model.get("mode") === "landscape") return;
  const [px, py] = pointerPosition(dom.surface.canvas, event);
  const tf = surfaceTransform(view);
  if (!tf.inside(px, py)) return;
  if (view.standalone) {
    dom.hover.textContent = `setting the start: ${KERNEL_HINT}`;
    return;
  }
  const [x, y] = tf.toData(px, py);
  sendTrait(view, "start", [niceValue(x), niceValue(y)]);
}

/** Attach the surface and chart pointer handlers. */
export function bindPointer(view: RaceView): void {
  const { dom } = view;
  const canvas = dom.surface.canvas;
  canvas.addEventListener("pointermove", (event) => onSurfaceMove(view, event));
  canvas.addEventListener("pointerleave", () => {
    view.state.hoverPoint = null;
    dom.tooltip.hide();
    redrawUnlessPlaying(view);
  });
  canvas.addEventListener("click", (event) => onSurfaceClick(view, event));
  if (view.standalone) canvas.title = `Setting the start: ${KERNEL_HINT}`;

  const chartCanvas = dom.chart.canvas;
  const scrubChart = (event: PointerEvent) => {
    const [px] = pointerPosition(chartCanvas, event);
    view.state.timeline?.setFrame(chartStepAt(px, view.state.frames));
  };
  chartCanvas.addEventListener("pointerdown", (event) => {
    scrubChart(event);
    const move = (e: PointerEvent) => scrubChart(e);
    const up = () => {
      chartCanvas.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    chartCanvas.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  });
}
