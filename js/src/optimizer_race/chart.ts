// The loss-vs-step chart. Its curves and axes are drawn once per data change into a layer; a
// frame only copies the layer and draws the step cursor.

import { scaleLinear, scaleLog, scaleSymlog, type ScaleLinear } from "d3-scale";
import { decadeTicks, drawAxis, linearTicks, logTicks, thinEvery, type Tick } from "../lib/axes";
import { parseColor } from "../lib/colour";
import { formatNumber } from "../lib/format";
import { font, type Theme } from "../lib/theme";
import { CHART, type RaceView, type RacerData } from "./state";

const label3 = (v: number) => formatNumber(v, 3);

/**
 * Values of a log loss axis: the powers of ten inside [lo, hi], thinned to at most 7; the two
 * ends when no power of ten lies inside; [] for a range that is not positive.
 */
export function decadeTicksOrEnds(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return [];
  const decades = decadeTicks(lo, hi, 7).map((t) => t.value);
  return decades.length ? decades : [lo, hi];
}

/** y-axis extent of loss series (finite values only); log only when every value is > 0. */
export function lossExtent(series: Array<ArrayLike<number>>): { lo: number; hi: number; positive: boolean } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1, positive: false };
  if (hi - lo < 1e-12) {
    hi = lo + Math.max(Math.abs(lo) * 0.1, 1e-6);
  }
  return { lo, hi, positive: lo > 0 };
}

/** Loss of the first start per step. */
function firstStart(r: RacerData): Float64Array {
  const n = r.loss.shape[1];
  const T = r.loss.shape[0];
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) out[t] = r.loss.data[t * n];
  return out;
}

type YScale = ((v: number) => number) & { domain(): number[] };

/** y ticks: decades (or the ends) on a log axis, else d3's ticks of the axis' domain, ≤ 7. */
function lossTicks(sy: YScale, logAxis: boolean): Tick[] {
  const [lo, hi] = sy.domain();
  const decades = logAxis ? decadeTicksOrEnds(lo, hi) : [];
  if (decades.length >= 2) return decades.map((value) => ({ value, label: label3(value) }));
  const ticks = logAxis ? logTicks(lo, hi, 5, label3) : linearTicks(lo, hi, 5, label3);
  return thinEvery(ticks, 7);
}

/** Axes, grid and the axis name; returns the name's box [x0, y0, x1, y1]. */
function drawChartAxes(ctx: CanvasRenderingContext2D, sx: ScaleLinear<number, number>, sy: YScale, yTicks: Tick[], theme: Theme): number[] {
  const { width, height, margin: m } = CHART;
  // grid lines and labels on half pixels, as drawAxis snaps them
  drawAxis(ctx, { side: "left", ticks: yTicks, scale: sy, at: m.left, grid: [m.left, width - m.right], theme });
  const [x0, x1] = sx.domain();
  drawAxis(ctx, { side: "bottom", ticks: linearTicks(x0, x1, 6, String), scale: sx, at: height - m.bottom, theme, snap: false });
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 11);
  // the axis name sits under the tick labels, outside the plot, so no curve runs through it
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  const x = width - m.right;
  const y = height - 1;
  ctx.fillText("step", x, y);
  return [x - ctx.measureText("step").width, y - 11, x, y];
}

function drawLossCurve(ctx: CanvasRenderingContext2D, r: RacerData, s: ArrayLike<number>, nStarts: number, sx: (v: number) => number, sy: YScale, theme: Theme): void {
  ctx.strokeStyle = r.color;
  ctx.lineWidth = 1.8;
  ctx.beginPath();
  let pen = false;
  const last = r.diverged.data[0] >= 0 && nStarts === 1 ? r.diverged.data[0] - 1 : s.length - 1;
  for (let t = 0; t <= last; t++) {
    const y = sy(s[t]);
    if (!Number.isFinite(y)) {
      pen = false;
      continue;
    }
    if (pen) ctx.lineTo(sx(t), y);
    else ctx.moveTo(sx(t), y);
    pen = true;
  }
  ctx.stroke();
  if (nStarts === 1 && r.diverged.data[0] >= 0) {
    const t = r.diverged.data[0] - 1;
    const y = sy(s[t]);
    ctx.fillStyle = theme.negative;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = font(theme, 13, "bold");
    ctx.fillText("✕", sx(t), y);
    ctx.font = font(theme, 11);
  }
}

function renderChartLayer(view: RaceView): void {
  const { model, state, dom } = view;
  const ratio = dom.chart.canvas.width / CHART.width;
  const layer = document.createElement("canvas");
  layer.width = dom.chart.canvas.width;
  layer.height = dom.chart.canvas.height;
  const ctx = layer.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const { width, height, margin: m } = CHART;
  const theme = state.theme;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  const series = state.racers.filter((r) => !state.hidden.has(r.racer.name)).map((r) => ({ r, s: r.median ?? firstStart(r) }));
  const ext = lossExtent(series.map((x) => x.s));
  const useLog = Boolean(model.get("log_scale"));
  const sx = scaleLinear().domain([0, Math.max(1, state.frames - 1)]).range([m.left, width - m.right]);
  const range: [number, number] = [height - m.bottom, m.top];
  let sy: YScale;
  if (useLog && ext.positive) sy = scaleLog().domain([ext.lo, ext.hi]).range(range);
  else if (useLog) sy = scaleSymlog().constant(Math.max((ext.hi - ext.lo) * 1e-4, 1e-12)).domain([ext.lo, ext.hi]).range(range);
  else sy = scaleLinear().domain([ext.lo, ext.hi]).nice().range(range);
  const yTicks = lossTicks(sy, useLog && ext.positive);
  const labelBox = drawChartAxes(ctx, sx, sy, yTicks, theme);
  // where the axis name and the plot are, for the browser test that checks they do not meet
  dom.chart.canvas.dataset.labelBox = JSON.stringify(labelBox);
  dom.chart.canvas.dataset.plotBox = JSON.stringify([m.left, m.top, width - m.right, height - m.bottom]);
  for (const { r, s } of series) drawLossCurve(ctx, r, s, state.nStarts, sx, sy, theme);
  const nStarts = state.nStarts;
  dom.chartLabel.textContent = nStarts > 1
    ? `median loss over ${nStarts} starts per step${useLog ? " (log scale)" : ""}; click to jump to a step`
    : `loss f(θₜ) per step${useLog ? " (log scale)" : ""}; click to jump to a step`;
  state.chartLayer = layer;
}

/** Draw the chart at `frame` (the layer is redrawn first when the data changed). */
export function drawChart(view: RaceView, frame: number): void {
  const { state } = view;
  const { ctx, height } = view.dom.chart;
  if (!state.chartLayer) renderChartLayer(view);
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  if (state.chartLayer) ctx.drawImage(state.chartLayer, 0, 0);
  ctx.restore();
  const m = CHART.margin;
  const x = m.left + (Math.min(frame, state.frames - 1) / Math.max(1, state.frames - 1)) * (CHART.width - m.left - m.right);
  const cx = Math.round(x) + 0.5;
  // the text colour at half strength (fallback: the light theme's)
  const [r, g, b] = parseColor(state.theme.fg, [31, 41, 51, 1]);
  ctx.strokeStyle = `rgba(${r},${g},${b},0.5)`;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(cx, m.top);
  ctx.lineTo(cx, height - m.bottom);
  ctx.stroke();
}

/** Step under a chart x position (CSS pixels), clamped to the race. */
export function chartStepAt(px: number, frames: number): number {
  const m = CHART.margin;
  const f = Math.round(((px - m.left) / (CHART.width - m.left - m.right)) * (frames - 1));
  return Math.max(0, Math.min(frames - 1, f));
}
