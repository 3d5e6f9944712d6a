// Time series charts: the chosen unit's value over time (with the clamped run dashed), and the
// gradient through time ‖∂h_T/∂h_t‖ on a log axis beside a comparison model and the clamp.

import { scaleLinear, scaleLog, type ScaleContinuousNumeric } from "d3-scale";
import type { NdArray } from "../lib/arrays";
import { decadeLabel, drawAxis, linearTicks, logTicks, type Tick } from "../lib/axes";
import { formatNumber } from "../lib/format";
import type { Theme } from "../lib/theme";
import { dir, gate, hasClamp, info, layer, step, unit, type Inspector } from "./context";
import { fade } from "./palette";
import { labelOf } from "./tokens";
import { gradientSeries, logDomain, unitSeries } from "./trace";

type Scale = ScaleContinuousNumeric<number, number>;
interface Margin { l: number; r: number; t: number; b: number }
const MARGIN: Margin = { l: 40, r: 8, t: 8, b: 20 };

const isDecade = (v: number) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;

/** y ticks: about 4 round values, or on a log axis the powers of ten among d3's log ticks. */
function yTicks(sy: Scale, logY: boolean): Tick[] {
  const [lo, hi] = sy.domain();
  return logY
    ? logTicks(lo, hi, 4, decadeLabel).filter((t) => isDecade(t.value))
    : linearTicks(lo, hi, 4, (v) => formatNumber(v, 3));
}

/** Grid lines and labels of the y axis, step numbers on the x axis, in theme colours. */
function axes(ctx: CanvasRenderingContext2D, theme: Theme, sx: Scale, sy: Scale, width: number, height: number, m: Margin, logY = false): void {
  drawAxis(ctx, { side: "left", ticks: yTicks(sy, logY), scale: sy, at: m.l, theme, grid: [m.l, width - m.r], gap: 4, fontSize: 10 });
  const [x0, x1] = sx.domain();
  drawAxis(ctx, { side: "bottom", ticks: linearTicks(x0, x1, 6, String), scale: sx, at: height - m.b, theme, gap: 4, fontSize: 10, snap: false });
}

/** Clear a chart to the theme's background. */
function clear(ctx: CanvasRenderingContext2D, theme: Theme, width: number, height: number): void {
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
}

/** A polyline of s over steps, lifting the pen where `drawn(v)` is false. */
function plotLine(ctx: CanvasRenderingContext2D, s: Float64Array, sx: Scale, sy: Scale, color: string, dash: number[],
  drawn: (v: number) => boolean): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.setLineDash(dash);
  ctx.beginPath();
  let pen = false;
  s.forEach((v, t) => {
    if (!drawn(v)) { pen = false; return; }
    if (pen) ctx.lineTo(sx(t), sy(v));
    else ctx.moveTo(sx(t), sy(v));
    pen = true;
  });
  ctx.stroke();
  ctx.setLineDash([]);
}

/** Vertical line at the chosen step. */
function stepLine(ins: Inspector, ctx: CanvasRenderingContext2D, sx: Scale, height: number, m: Margin): void {
  ctx.strokeStyle = fade(ins.view.theme.fg, 0.5);
  ctx.beginPath();
  ctx.moveTo(sx(step(ins)), m.t);
  ctx.lineTo(sx(step(ins)), height - m.b);
  ctx.stroke();
}

/** The chosen array of the chosen unit over time (dashed: with the clamp). */
export function drawSeries(ins: Inspector): void {
  const { ui, view } = ins;
  const g = gate(ins);
  const a = view.trace[g];
  const head = ui.seriesPanel.firstChild as HTMLElement;
  head.textContent = `${labelOf(g)}, unit ${unit(ins)}, over time${hasClamp(ins) ? " (dashed: with clamp)" : ""}`;
  const theme = view.theme;
  const { ctx, width, height } = ui.series;
  clear(ctx, theme, width, height);
  if (!a) return;
  const base = unitSeries(a.data, a.dims, layer(ins), dir(ins), unit(ins));
  const c = view.clampedTrace[g];
  const clamped = c ? unitSeries(c.data, a.dims, layer(ins), dir(ins), unit(ins)) : null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of [base, clamped]) if (s) for (const v of s) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
  if (hi - lo < 1e-6) { lo -= 0.5; hi += 0.5; }
  const m = MARGIN;
  const sx = scaleLinear().domain([0, Math.max(1, a.dims.steps - 1)]).range([m.l, width - m.r]);
  const sy = scaleLinear().domain([lo, hi]).nice().range([height - m.b, m.t]);
  axes(ctx, theme, sx, sy, width, height, m);
  plotLine(ctx, base, sx, sy, theme.accent, [], Number.isFinite);
  if (clamped) plotLine(ctx, clamped, sx, sy, theme.accent2, [5, 3], Number.isFinite);
  stepLine(ins, ctx, sx, height, m);
}

/** The legend line under the gradient chart (which curve is which, and Python's notes). */
function gradientLegend(ins: Inspector, main: boolean, cmp: boolean, cl: boolean): string {
  const i = info(ins);
  const notes = [i.gradient_note, i.compare_note].filter((s): s is string => !!s);
  const legend: string[] = [];
  if (main) legend.push(`blue: this ${i.kind} (layer ${layer(ins)}${(i.num_directions ?? 1) > 1 ? `, ${dir(ins) ? "reverse: h_T is the state at t = 0" : "forward"}` : ""})`);
  if (cmp) legend.push(`grey dashed: ${i.compare_label}`);
  if (cl) legend.push("orange dotted: with the clamp");
  return [...legend, ...notes].join(" · ");
}

/** ‖∂h_T/∂h_t‖ of the chosen layer and direction on a log axis. */
export function drawGradient(ins: Inspector): void {
  const { ui, view } = ins;
  const theme = view.theme;
  const { ctx, width, height } = ui.grad;
  clear(ctx, theme, width, height);
  const pick = (d: NdArray | null) => (d ? gradientSeries(d.data, d.shape, layer(ins), dir(ins)) : null);
  const main = pick(view.norms);
  const cmp = pick(view.compareNorms);
  const cl = pick(view.clampedNorms);
  ui.gradNote.textContent = gradientLegend(ins, !!main, !!cmp, !!cl);
  const dom = logDomain([main, cmp, cl]);
  if (!dom) return;
  const m = MARGIN;
  const steps = main?.length ?? cmp?.length ?? 1;
  const sx = scaleLinear().domain([0, Math.max(1, steps - 1)]).range([m.l, width - m.r]);
  const sy = scaleLog().domain(dom).range([height - m.b, m.t]).clamp(true);
  axes(ctx, theme, sx, sy, width, height, m, true);
  const positive = (v: number) => v > 0 && Number.isFinite(v);
  if (cmp) plotLine(ctx, cmp, sx, sy, theme.muted, [6, 4], positive);
  if (main) plotLine(ctx, main, sx, sy, theme.accent, [], positive);
  if (cl) plotLine(ctx, cl, sx, sy, theme.accent2, [2, 3], positive);
  stepLine(ins, ctx, sx, height, m);
}
