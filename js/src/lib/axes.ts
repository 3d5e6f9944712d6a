// Axes for canvas plots: tick values from d3-scale's own ticks()/tickFormat(), thinning, and a
// bottom/left axis painter (grid lines, tick marks, labels, title) in theme colours.

import { scaleLinear, scaleLog } from "d3-scale";
import { font, type Theme } from "./theme";

export interface Tick {
  value: number;
  label: string;
}

/** Format for tick labels; when omitted, d3's tickFormat for the same scale and count. */
export type TickFormat = (value: number) => string;

/**
 * Ticks of a linear axis over [lo, hi]: d3's scaleLinear().ticks(count) (round numbers, about
 * `count` of them), labelled by `format` or d3's tickFormat(count). The ticks depend only on the
 * domain, so a plot drawn with a .nice() scale passes that scale's domain.
 */
export function linearTicks(lo: number, hi: number, count: number, format?: TickFormat): Tick[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const scale = scaleLinear().domain([lo, hi]);
  const label = format ?? scale.tickFormat(count);
  return scale.ticks(count).map((value) => ({ value, label: label(value) }));
}

/**
 * Ticks of a log (base 10) axis over [lo, hi], both > 0: d3's scaleLog().ticks(count), which
 * lists 1–9 × 10^k within a few decades and whole decades across many. Labels come from `format`
 * or d3's tickFormat(count), which leaves some minor ticks unlabelled (label ""). Returns [] for
 * a domain that is not positive.
 */
export function logTicks(lo: number, hi: number, count: number, format?: TickFormat): Tick[] {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const scale = scaleLog().domain([lo, hi]);
  const label = format ?? scale.tickFormat(count);
  return scale.ticks(count).map((value) => ({ value, label: label(value) }));
}

/**
 * The powers of ten inside [lo, hi] (exact values such as 0.001), keeping every k-th so at most
 * `max` remain; [] when the domain holds none or is not positive. For log axes labelled by
 * decades only.
 */
export function decadeTicks(lo: number, hi: number, max = Infinity, format: TickFormat = decadeLabel): Tick[] {
  if (!(lo > 0) || !(hi >= lo)) return [];
  const a = Math.ceil(Math.log10(lo) - 1e-9);
  const b = Math.floor(Math.log10(hi) + 1e-9);
  const values: number[] = [];
  for (let e = a; e <= b; e++) values.push(Number(`1e${e}`));
  return thinEvery(values.map((value) => ({ value, label: format(value) })), max);
}

/** "1e-3" style label of a power of ten (with a real minus sign). */
export function decadeLabel(value: number): string {
  return `1e${Math.round(Math.log10(value))}`.replace("-", "−");
}

/** Keep every k-th tick from the first, k = ceil(n / max), so at most `max` remain. */
export function thinEvery<T>(ticks: T[], max: number): T[] {
  if (!(max >= 1) || ticks.length <= max) return ticks;
  const every = Math.ceil(ticks.length / max);
  return ticks.filter((_, i) => i % every === 0);
}

/**
 * Drop ticks that would sit closer than `minGapPx` pixels to the previous kept one (`px` maps a
 * value to its pixel position), so labels of a dense axis do not overlap.
 */
export function thinTicks<T extends { value: number }>(ticks: T[], px: (v: number) => number, minGapPx: number): T[] {
  const out: T[] = [];
  let last = -Infinity;
  for (const tick of ticks) {
    const p = px(tick.value);
    if (!Number.isFinite(p)) continue;
    if (out.length === 0 || Math.abs(p - last) >= minGapPx) {
      out.push(tick);
      last = p;
    }
  }
  return out;
}

export interface AxisOptions {
  /** "bottom": labels below a horizontal axis; "left": labels left of a vertical axis. */
  side: "bottom" | "left";
  ticks: Tick[];
  /** Data value → pixel along the axis (an x scale for "bottom", a y scale for "left"). */
  scale: (value: number) => number;
  /** Pixel of the axis across it: y of a bottom axis, x of a left axis. */
  at: number;
  theme: Theme;
  /** A grid line per tick across the plot, from..to pixels (y range for bottom, x for left). */
  grid?: [number, number];
  /** Length of tick marks drawn outwards (0: none). */
  tickSize?: number;
  /** Distance from `at` to the labels. */
  gap?: number;
  /** Draw the axis line itself along this pixel range. */
  line?: [number, number];
  /** Axis title, centred below a bottom axis or rotated left of a left axis, `titleGap` px away. */
  title?: string;
  titleGap?: number;
  fontSize?: number;
  /** Put lines on half pixels (Math.round(p) + 0.5) so 1-px lines are crisp. */
  snap?: boolean;
}

/**
 * Paint an axis on a 2-D canvas: grid lines (theme.grid), axis line and tick marks (theme.axis),
 * labels and title (theme.muted). Leaves the context's line dash and alignment as it found them.
 */
export function drawAxis(ctx: CanvasRenderingContext2D, opts: AxisOptions): void {
  const { side, ticks, scale, at, theme } = opts;
  const snap = opts.snap ?? true;
  const tickSize = opts.tickSize ?? 0;
  const gap = opts.gap ?? 5;
  const bottom = side === "bottom";
  const place = (p: number) => (snap ? Math.round(p) + 0.5 : p);
  ctx.save();
  ctx.setLineDash([]);
  ctx.lineWidth = 1;
  if (opts.grid) {
    ctx.strokeStyle = theme.grid;
    ctx.beginPath();
    for (const t of ticks) {
      const p = place(scale(t.value));
      if (!Number.isFinite(p)) continue;
      if (bottom) {
        ctx.moveTo(p, opts.grid[0]);
        ctx.lineTo(p, opts.grid[1]);
      } else {
        ctx.moveTo(opts.grid[0], p);
        ctx.lineTo(opts.grid[1], p);
      }
    }
    ctx.stroke();
  }
  ctx.strokeStyle = theme.axis;
  if (opts.line) {
    ctx.beginPath();
    const a = place(at);
    if (bottom) {
      ctx.moveTo(opts.line[0], a);
      ctx.lineTo(opts.line[1], a);
    } else {
      ctx.moveTo(a, opts.line[0]);
      ctx.lineTo(a, opts.line[1]);
    }
    ctx.stroke();
  }
  if (tickSize > 0) {
    ctx.beginPath();
    for (const t of ticks) {
      const p = place(scale(t.value));
      if (!Number.isFinite(p)) continue;
      if (bottom) {
        ctx.moveTo(p, at);
        ctx.lineTo(p, at + tickSize);
      } else {
        ctx.moveTo(at, p);
        ctx.lineTo(at - tickSize, p);
      }
    }
    ctx.stroke();
  }
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, opts.fontSize ?? 11);
  ctx.textAlign = bottom ? "center" : "right";
  ctx.textBaseline = bottom ? "top" : "middle";
  for (const t of ticks) {
    const p = place(scale(t.value));
    if (!Number.isFinite(p) || !t.label) continue;
    if (bottom) ctx.fillText(t.label, p, at + gap);
    else ctx.fillText(t.label, at - gap, p);
  }
  if (opts.title) {
    // centred on the axis line, or on the span of the ticks when there is no line
    const values = ticks.map((t) => scale(t.value)).filter(Number.isFinite);
    const mid = opts.line
      ? (opts.line[0] + opts.line[1]) / 2
      : values.length
        ? (Math.min(...values) + Math.max(...values)) / 2
        : 0;
    const titleGap = opts.titleGap ?? gap + 16;
    if (bottom) {
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillText(opts.title, mid, at + titleGap);
    } else {
      ctx.translate(at - titleGap, mid);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      ctx.fillText(opts.title, 0, 0);
    }
  }
  ctx.restore();
}

/** The vertical hover guide of a plot: a 1-px line at x from top to bottom in theme.faint. */
export function drawCrosshair(ctx: CanvasRenderingContext2D, x: number, top: number, bottom: number, theme: Theme): void {
  ctx.save();
  ctx.setLineDash([]);
  ctx.strokeStyle = theme.faint;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(x, top);
  ctx.lineTo(x, bottom);
  ctx.stroke();
  ctx.restore();
}

/** A "+" hover marker of half-size `half` px at (x, y), stroked 1 px in `colour`. */
export function drawPlus(ctx: CanvasRenderingContext2D, x: number, y: number, half: number,
  colour: string): void {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(x - half, y);
  ctx.lineTo(x + half, y);
  ctx.moveTo(x, y - half);
  ctx.lineTo(x, y + half);
  ctx.stroke();
}
