// One chart of the monitor (loss, metric or learning rate against the step): grid and ticks from
// lib/axes, raw/smoothed/epoch series, epoch boundaries, the divergence marker and the hover
// crosshair, all in theme colours.

import { scaleLinear, scaleLog, type ScaleContinuousNumeric } from "d3-scale";
import { drawAxis, drawCrosshair, linearTicks, logTicks, thinEvery, type Tick } from "../lib/axes";
import type { Surface } from "../lib/canvas";
import { formatNumber } from "../lib/format";
import { font, type Theme } from "../lib/theme";
import { ema, envelope, finiteExtent, type Table } from "./table";

export interface Line {
  table: Table;
  column: string;
  color: string;
  width: number;
  alpha?: number;
  dots?: boolean;
  dash?: number[];
  smooth?: number; // EMA factor
}

export interface ChartSpec {
  title: string;
  lines: Line[];
  xMax: number;
  log: boolean;
  hoverStep: number | null;
  divergedStep: number;
  epochSteps: ArrayLike<number>;
  epochCount: number;
}

export const MARGIN = { top: 22, right: 14, bottom: 26, left: 54 };

/** Short y-axis label: 3 significant digits, exponent form (4.0e+12) for very large/small. */
export function tickLabel(value: number): string {
  const abs = Math.abs(value);
  if (value !== 0 && (abs >= 1e5 || abs < 1e-4)) return value.toExponential(1).replace("-", "−");
  return formatNumber(value, 3);
}

/** Step-axis label: the step, in thousands from 10 000 on. */
export function stepLabel(step: number): string {
  return step >= 10000 ? `${formatNumber(step / 1000, 3)}k` : String(step);
}

/** The step scale of a chart `width` pixels wide (also used to read the hovered step). */
export function stepScale(xMax: number, width: number) {
  return scaleLinear().domain([0, Math.max(1, xMax)]).range([MARGIN.left, width - MARGIN.right]);
}

/** y scale over the lines' values: log (positive values) or linear, niced; a constant is padded. */
function valueScale(spec: ChartSpec, height: number): ScaleContinuousNumeric<number, number> {
  const range = [height - MARGIN.bottom, MARGIN.top];
  const extent = finiteExtent(spec.lines.map((l) => [l.table.get(l.column) ?? [], l.table.n] as [ArrayLike<number>, number]), spec.log);
  if (!extent) return scaleLinear().domain([0, 1]).range(range);
  let [lo, hi] = extent;
  if (spec.log) return scaleLog().domain([lo, hi > lo ? hi : lo * 10]).nice().range(range);
  if (hi - lo <= 1e-9 * Math.max(Math.abs(hi), 1e-30)) {
    const pad = Math.abs(hi) * 0.1 || 1; // a constant (e.g. a fixed learning rate)
    lo -= pad;
    hi += pad;
  }
  return scaleLinear().domain([lo, hi]).nice().range(range);
}

/** y ticks: about one per 28 px (2 to 5), thinned when a log scale lists many. */
function valueTicks(sy: ScaleContinuousNumeric<number, number>, log: boolean, height: number): Tick[] {
  const count = Math.max(2, Math.min(5, Math.floor((height - MARGIN.top - MARGIN.bottom) / 28)));
  const [lo, hi] = sy.domain();
  const raw = log ? logTicks(lo, hi, count, tickLabel) : linearTicks(lo, hi, count, tickLabel);
  return raw.length > count + 2 ? thinEvery(raw, count + 1) : raw;
}

function drawFrame(ctx: CanvasRenderingContext2D, spec: ChartSpec, sx: (v: number) => number,
  sy: ScaleContinuousNumeric<number, number>, width: number, height: number, theme: Theme) {
  drawAxis(ctx, {
    side: "left", ticks: valueTicks(sy, spec.log, height), scale: sy, at: MARGIN.left, gap: 5, theme,
    grid: [MARGIN.left, width - MARGIN.right],
  });
  // integer steps only, and no label that would run past the right edge
  ctx.font = font(theme, 11);
  const stepTicks = linearTicks(0, Math.max(1, spec.xMax), 6, stepLabel)
    .filter((t) => Number.isInteger(t.value) && sx(t.value) + ctx.measureText(t.label).width / 2 <= width - 2);
  drawAxis(ctx, { side: "bottom", ticks: stepTicks, scale: sx, at: height - MARGIN.bottom, gap: 5, theme, snap: false });
  ctx.lineWidth = 1;
  ctx.setLineDash([2, 3]);
  ctx.strokeStyle = theme.grid;
  for (let i = 0; i < spec.epochCount; i++) {
    const px = Math.round(sx(spec.epochSteps[i])) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, MARGIN.top);
    ctx.lineTo(px, height - MARGIN.bottom);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.fillStyle = theme.muted;
  ctx.textAlign = "right";
  ctx.textBaseline = "top";
  ctx.fillText("x: step", width - MARGIN.right, 4);
}

function drawLine(ctx: CanvasRenderingContext2D, line: Line, sx: (v: number) => number, yOf: (v: number) => number, plotWidth: number) {
  const xs = line.table.get("step"); // epoch rows sit at the step that ended them
  const raw = line.table.get(line.column);
  const n = line.table.n;
  if (!xs || !raw || n === 0) return;
  const ys = line.smooth !== undefined && line.smooth > 0 ? ema(raw, n, line.smooth) : raw;
  ctx.globalAlpha = line.alpha ?? 1;
  ctx.strokeStyle = line.color;
  ctx.fillStyle = line.color;
  ctx.lineWidth = line.width;
  ctx.setLineDash(line.dash ?? []);
  ctx.beginPath();
  if (n > plotWidth * 2) {
    for (const [px, lo, hi] of envelope(xs, ys, n, sx)) {
      const a = yOf(lo);
      const b = yOf(hi);
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      ctx.moveTo(px + 0.5, a + 0.5);
      ctx.lineTo(px + 0.5, b - 0.5);
    }
  } else {
    let pen = false;
    for (let i = 0; i < n; i++) {
      const py = yOf(ys[i]);
      if (!Number.isFinite(py)) {
        pen = false;
        continue;
      }
      const px = sx(xs[i]);
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
  }
  ctx.stroke();
  if (line.dots) {
    for (let i = 0; i < n; i++) {
      const py = yOf(ys[i]);
      if (!Number.isFinite(py)) continue;
      ctx.beginPath();
      ctx.arc(sx(xs[i]), py, 3, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
}

function drawMarkers(ctx: CanvasRenderingContext2D, spec: ChartSpec, sx: (v: number) => number, width: number, height: number, theme: Theme) {
  if (spec.divergedStep > 0) {
    const px = Math.round(sx(spec.divergedStep)) + 0.5;
    ctx.strokeStyle = theme.negative;
    ctx.fillStyle = theme.negative;
    ctx.lineWidth = 2;
    ctx.setLineDash([5, 3]);
    ctx.beginPath();
    ctx.moveTo(px, MARGIN.top);
    ctx.lineTo(px, height - MARGIN.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.textAlign = px > width / 2 ? "right" : "left";
    ctx.textBaseline = "top";
    ctx.fillText(`diverged at step ${spec.divergedStep}`, px + (px > width / 2 ? -4 : 4), MARGIN.top + 2);
  }
  if (spec.hoverStep !== null) drawCrosshair(ctx, Math.round(sx(spec.hoverStep)) + 0.5, MARGIN.top, height - MARGIN.bottom, theme);
}

/** Clear a panel to the theme background and write its title at the top (x px from the left). */
export function clearPanel(surface: Surface, title: string, x: number, theme: Theme): void {
  const { ctx, width, height } = surface;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.font = font(theme, 11);
  ctx.fillStyle = theme.fg;
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(title, x, 4);
}

/** Draw one chart on its surface. */
export function drawChart(surface: Surface, spec: ChartSpec, theme: Theme): void {
  const { ctx, width, height } = surface;
  clearPanel(surface, spec.title, MARGIN.left, theme);

  const sx = stepScale(spec.xMax, width);
  const sy = valueScale(spec, height);
  drawFrame(ctx, spec, sx, sy, width, height, theme);

  ctx.save();
  ctx.beginPath();
  ctx.rect(MARGIN.left, MARGIN.top - 2, width - MARGIN.left - MARGIN.right, height - MARGIN.top - MARGIN.bottom + 4);
  ctx.clip();
  const yOf = (v: number) => (spec.log && v <= 0 ? NaN : sy(v));
  for (const line of spec.lines) drawLine(ctx, line, sx, yOf, width - MARGIN.left - MARGIN.right);
  ctx.restore();

  ctx.font = font(theme, 11);
  drawMarkers(ctx, spec, sx, width, height, theme);
}
