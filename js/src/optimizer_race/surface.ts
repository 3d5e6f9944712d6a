// The surface view's background: the loss heatmap, d3-contour lines, the known minima and the
// axes, drawn into an offscreen layer when the grid or the colour scale changes. Frames copy it.

import { quantileSorted } from "d3-array";
import { contours } from "d3-contour";
import { scaleLinear } from "d3-scale";
import { interpolateViridis } from "d3-scale-chromatic";
import type { NdArray } from "../lib/arrays";
import { formatNumber } from "../lib/format";
import { decodeOptional } from "./data";
import { PLOT_RECT, SURF, type Domain, type RaceView, type Rect } from "./state";

const LUT_SIZE = 256;

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

function viridisLut(): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const c = interpolateViridis(i / (LUT_SIZE - 1));
    // "rgb(r, g, b)"
    const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(c) ?? /#(..)(..)(..)/.exec(c);
    if (m && c.startsWith("#")) {
      lut[i * 3] = parseInt(m[1], 16);
      lut[i * 3 + 1] = parseInt(m[2], 16);
      lut[i * 3 + 2] = parseInt(m[3], 16);
    } else if (m) {
      lut[i * 3] = Number(m[1]);
      lut[i * 3 + 1] = Number(m[2]);
      lut[i * 3 + 2] = Number(m[3]);
    }
  }
  return lut;
}

let lut: Uint8ClampedArray | null = null;

/** The grid as a viridis image, one pixel per sample, row 0 the largest y. */
function heatmapImage(grid: NdArray, lo: number, hi: number, log: boolean): HTMLCanvasElement {
  const [ny, nx] = grid.shape;
  lut ??= viridisLut();
  const img = new ImageData(nx, ny);
  const z = grid.data;
  for (let j = 0; j < ny; j++) {
    const row = ny - 1 - j; // image row 0 is the top: the largest y
    for (let i = 0; i < nx; i++) {
      const t = colorValue(z[j * nx + i], lo, hi, log);
      const k = Math.round(t * (LUT_SIZE - 1)) * 3;
      const o = (row * nx + i) * 4;
      img.data[o] = lut[k];
      img.data[o + 1] = lut[k + 1];
      img.data[o + 2] = lut[k + 2];
      img.data[o + 3] = 255;
    }
  }
  const tmp = document.createElement("canvas");
  tmp.width = nx;
  tmp.height = ny;
  tmp.getContext("2d")?.putImageData(img, 0, 0);
  return tmp;
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
  ctx.strokeStyle = "rgba(255,255,255,0.55)";
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
    ctx.fillStyle = "#ffffff";
    ctx.font = "16px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText("★", px, py);
  }
}

function drawSurfaceAxes(ctx: CanvasRenderingContext2D, view: RaceView): void {
  const domain = view.state.domain;
  const r = PLOT_RECT;
  ctx.strokeStyle = "#9aa5b1";
  ctx.strokeRect(r.left, r.top, r.width, r.height);
  ctx.fillStyle = "#616e7c";
  ctx.font = "11px system-ui, sans-serif";
  const sx = scaleLinear().domain([domain[0], domain[1]]).range([r.left, r.left + r.width]);
  const sy = scaleLinear().domain([domain[2], domain[3]]).range([r.top + r.height, r.top]);
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of sx.ticks(7)) ctx.fillText(formatNumber(t, 3), sx(t), r.top + r.height + 5);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of sy.ticks(7)) ctx.fillText(formatNumber(t, 3), r.left - 5, sy(t));
  const [xl, yl] = view.model.get("axis_labels") ?? ["x", "y"];
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

/** Draw the background layer (heatmap, contours, minima, axes) into `view.state.background`. */
export function renderBackground(view: RaceView): void {
  const { model, state } = view;
  const canvas = view.dom.surface.canvas;
  const ratio = canvas.width / SURF.width;
  const bg = document.createElement("canvas");
  bg.width = canvas.width;
  bg.height = canvas.height;
  const ctx = bg.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#ffffff";
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
