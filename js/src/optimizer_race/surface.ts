// The surface view's background: the loss heatmap, d3-contour lines, the known minima and the
// axes, drawn into an offscreen layer when the grid or the colour scale changes. Frames copy it.

import { quantileSorted } from "d3-array";
import { contours } from "d3-contour";
import { scaleLinear } from "d3-scale";
import type { NdArray } from "../lib/arrays";
import { drawAxis, linearTicks } from "../lib/axes";
import { colourTable } from "../lib/colour";
import { formatNumber } from "../lib/format";
import { paintHeatmap } from "../lib/heatmap";
import { font, readTheme } from "../lib/theme";
import { decodeOptional } from "./data";
import { PLOT_RECT, SURF, type Domain, type RaceView, type Rect } from "./state";

const TABLE_SIZE = 256;

/** Marks drawn on the heatmap itself: white reads on viridis in light and dark pages alike. */
export const ON_HEATMAP = { contour: "rgba(255,255,255,0.55)", mark: "#ffffff" };

/** Map a surface value to [0, 1] for the colour map; log: log(z − lo + δ), δ = 1e-6·(hi − lo). */
export function colorValue(z: number, lo: number, hi: number, log: boolean): number {
  if (!Number.isFinite(z)) return 1;
  const span = hi - lo;
  if (!(span > 0)) return 0;
  let t: number;
  if (log) {
    const delta = span * 1e-6;
    t = (Math.log(Math.max(z - lo, 0) + delta) - Math.log(delta)) / (Math.log(span + delta) - Math.log(delta));
  } else {
    t = (z - lo) / span;
  }
  return Math.max(0, Math.min(1, t));
}

/** Contour thresholds at evenly spaced quantiles of the finite values (equal-area bands). */
export function contourLevels(values: ArrayLike<number>, count: number): number[] {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  if (finite.length === 0 || count <= 0) return [];
  finite.sort((a, b) => a - b);
  const levels: number[] = [];
  for (let k = 0; k < count; k++) {
    const q = quantileSorted(finite, (k + 0.5) / count);
    if (q !== undefined && (levels.length === 0 || q > levels[levels.length - 1])) levels.push(q);
  }
  return levels;
}

/** Data <-> pixel transform of a plot rectangle (y grows upward in data, downward on screen). */
export function makeTransform(domain: Domain, rect: Rect) {
  const [x0, x1, y0, y1] = domain;
  const sx = rect.width / (x1 - x0);
  const sy = rect.height / (y1 - y0);
  return {
    sx,
    sy,
    toPx(x: number, y: number): [number, number] {
      return [rect.left + (x - x0) * sx, rect.top + (y1 - y) * sy];
    },
    toData(px: number, py: number): [number, number] {
      return [x0 + (px - rect.left) / sx, y1 - (py - rect.top) / sy];
    },
    inside(px: number, py: number): boolean {
      return px >= rect.left && px <= rect.left + rect.width && py >= rect.top && py <= rect.top + rect.height;
    },
  };
}

export type Transform = ReturnType<typeof makeTransform>;

/** The surface canvas' transform for the current domain. */
export function surfaceTransform(view: RaceView): Transform {
  return makeTransform(view.state.domain, PLOT_RECT);
}

/** d3-contour grid coordinate (samples at i + 0.5) to a data coordinate on [lo, hi] with n samples. */
export function gridToData(g: number, n: number, lo: number, hi: number): number {
  return lo + ((g - 0.5) / (n - 1)) * (hi - lo);
}

let viridis: Uint8ClampedArray | null = null;

/** The grid as a viridis image, one pixel per sample, row 0 the largest y. */
function heatmapImage(grid: NdArray, lo: number, hi: number, log: boolean): HTMLCanvasElement {
  const [ny, nx] = grid.shape;
  viridis ??= colourTable("viridis", TABLE_SIZE);
  // colour positions in [0, 1] (linear or log, non-finite at the top), painted through the table
  const z = grid.data;
  const t = new Float64Array(z.length);
  for (let k = 0; k < z.length; k++) t[k] = colorValue(z[k], lo, hi, log);
  // image row 0 is the top: the largest y
  return paintHeatmap(t, ny, nx, viridis, 0, 1, { index: (row, i) => (ny - 1 - row) * nx + i });
}

function drawContours(ctx: CanvasRenderingContext2D, grid: NdArray, hi: number, view: RaceView): void {
  const [ny, nx] = grid.shape;
  const z = grid.data;
  const domain = view.state.domain;
  const tf = surfaceTransform(view);
  const values = new Float64Array(z.length);
  for (let k = 0; k < z.length; k++) values[k] = Number.isFinite(z[k]) ? z[k] : hi;
  const levels = contourLevels(values, 14);
  const polys = contours().size([nx, ny]).thresholds(levels)(Array.from(values));
  ctx.strokeStyle = ON_HEATMAP.contour;
  ctx.lineWidth = 0.8;
  for (const poly of polys) {
    ctx.beginPath();
    for (const polygon of poly.coordinates) {
      for (const ring of polygon) {
        ring.forEach(([gx, gy], idx) => {
          const [px, py] = tf.toPx(gridToData(gx, nx, domain[0], domain[1]), gridToData(gy, ny, domain[2], domain[3]));
          if (idx === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        });
      }
    }
    ctx.stroke();
  }
}

function drawMinima(ctx: CanvasRenderingContext2D, view: RaceView): void {
  const { model } = view;
  if (model.get("mode") === "landscape") return;
  const m = decodeOptional(model.get("minima"));
  if (!m) return;
  const tf = surfaceTransform(view);
  for (let k = 0; k + 1 < m.data.length; k += 2) {
    const [px, py] = tf.toPx(m.data[k], m.data[k + 1]);
    ctx.fillStyle = ON_HEATMAP.mark;
    ctx.font = font(view.state.theme, 16);
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText("★", px, py);
  }
}

function drawSurfaceAxes(ctx: CanvasRenderingContext2D, view: RaceView): void {
  const { domain, theme } = view.state;
  const r = PLOT_RECT;
  ctx.strokeStyle = theme.axis;
  ctx.strokeRect(r.left, r.top, r.width, r.height);
  const label = (v: number) => formatNumber(v, 3);
  const sx = scaleLinear().domain([domain[0], domain[1]]).range([r.left, r.left + r.width]);
  const sy = scaleLinear().domain([domain[2], domain[3]]).range([r.top + r.height, r.top]);
  drawAxis(ctx, { side: "bottom", ticks: linearTicks(domain[0], domain[1], 7, label), scale: sx, at: r.top + r.height, theme, snap: false });
  drawAxis(ctx, { side: "left", ticks: linearTicks(domain[2], domain[3], 7, label), scale: sy, at: r.left, theme, snap: false });
  const [xl, yl] = view.model.get("axis_labels") ?? ["x", "y"];
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 11);
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  ctx.fillText(xl, r.left + r.width, SURF.height - 2);
  ctx.save();
  ctx.translate(12, r.top + 10);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.fillText(yl, 0, 0);
  ctx.restore();
}

/**
 * Draw the background layer (heatmap, contours, minima, axes) into `view.state.background`.
 * Reads the page theme into `view.state.theme`, which the frames drawn after it use.
 */
export function renderBackground(view: RaceView): void {
  const { model, state } = view;
  state.theme = readTheme(view.dom.root);
  const canvas = view.dom.surface.canvas;
  const ratio = canvas.width / SURF.width;
  const bg = document.createElement("canvas");
  bg.width = canvas.width;
  bg.height = canvas.height;
  const ctx = bg.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = state.theme.bg;
  ctx.fillRect(0, 0, SURF.width, SURF.height);
  const grid = state.grid;
  if (grid && grid.shape.length === 2) {
    const [ny, nx] = grid.shape;
    const [lo, hi] = model.get("z_range") ?? [0, 1];
    const image = heatmapImage(grid, lo, hi, Boolean(model.get("log_scale")));
    // grid samples sit on the domain's corners: stretch pixel centres onto them
    const r = PLOT_RECT;
    const cellW = r.width / (nx - 1);
    const cellH = r.height / (ny - 1);
    ctx.save();
    ctx.beginPath();
    ctx.rect(r.left, r.top, r.width, r.height);
    ctx.clip();
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(image, r.left - cellW / 2, r.top - cellH / 2, r.width + cellW, r.height + cellH);
    drawContours(ctx, grid, hi, view);
    drawMinima(ctx, view);
    ctx.restore();
  }
  drawSurfaceAxes(ctx, view);
  state.background = bg;
}
