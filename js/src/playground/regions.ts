// The plane: decision regions painted from the frame's grid (one ImageData per frame into a
// reused offscreen canvas, scaled up), the decision contour, train and test points, axes; a
// click adds a point of the selected class (or erases near it in erase mode).

import { drawAxis, linearTicks } from "../lib/axes";
import { pointerPosition } from "../lib/canvas";
import { categoryColours, colourTable, divergingTable, parseColor } from "../lib/colour";
import { decodeArray } from "../lib/arrays";
import { formatNumber, nearestIndex } from "../lib/format";
import { drawCells } from "../lib/heatmap";
import { contourLevel, contourLines, regionPixels, type RegionPalette, type RGB } from "./paint";
import { hasArray, type PlaygroundView, type Task } from "./state";

/** Plot rectangle inside the regions canvas (CSS px). */
export const PLOT = { left: 38, top: 8, size: 340 };
export const REGIONS_SIZE = { width: PLOT.left + PLOT.size + 8, height: PLOT.top + PLOT.size + 30 };

const DIVERGING = divergingTable();
const FIELD = colourTable("viridis", 256);

/** Decoded data points (cached per change of points/labels/is_test). */
export interface Points {
  xy: Float32Array;
  labels: Float32Array;
  isTest: Uint8Array;
  n: number;
  range: [number, number];
}

export function readPoints(view: PlaygroundView): Points {
  const { model } = view;
  const points = model.get("points");
  const labels = model.get("labels");
  const isTest = model.get("is_test");
  if (!hasArray(points) || !hasArray(labels)) {
    return { xy: new Float32Array(0), labels: new Float32Array(0), isTest: new Uint8Array(0), n: 0, range: [0, 1] };
  }
  const xy = Float32Array.from(decodeArray(points).data);
  const lab = Float32Array.from(decodeArray(labels).data);
  const test = hasArray(isTest) ? Uint8Array.from(decodeArray(isTest).data) : new Uint8Array(lab.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of lab) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return { xy, labels: lab, isTest: test, n: lab.length, range: lo <= hi ? [lo, hi] : [0, 1] };
}

function rgbOf(css: string): RGB {
  const [r, g, b] = parseColor(css, [255, 255, 255, 1]);
  return [r, g, b];
}

/** The palette of the current task and theme. */
export function palette(view: PlaygroundView, points: Points): RegionPalette {
  const task = (view.model.get("task") || "binary") as Task;
  const classes = Math.max(1, Number(view.model.get("classes")) || 2);
  return {
    task,
    classes,
    table: task === "regression" ? FIELD : DIVERGING,
    colours: categoryColours(classes).map(rgbOf),
    background: rgbOf(view.s.theme.bg),
    range: points.range,
    discretize: view.s.discretize,
  };
}

/** Colour of a data point's label. */
export function pointColour(pal: RegionPalette, label: number): string {
  if (pal.task === "binary") {
    const k = label >= 0.5 ? Math.round(0.92 * 256) : Math.round(0.08 * 256);
    return `rgb(${DIVERGING[k * 4]},${DIVERGING[k * 4 + 1]},${DIVERGING[k * 4 + 2]})`;
  }
  if (pal.task === "multiclass") {
    const c = pal.colours[Math.round(label) % pal.colours.length];
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }
  const [lo, hi] = pal.range;
  const k = Math.max(0, Math.min(255, Math.round(((label - lo) / (hi - lo || 1)) * 255)));
  return `rgb(${FIELD[k * 4]},${FIELD[k * 4 + 1]},${FIELD[k * 4 + 2]})`;
}

/** Reused offscreen canvas and pixel buffer of the region image. */
interface RegionCache {
  canvas: HTMLCanvasElement | null;
  image: ImageData | null;
  /** One channel of the grid, for d3-contour. */
  field: Float64Array | undefined;
}
const caches = new WeakMap<PlaygroundView, RegionCache>();

function bounds(view: PlaygroundView): [number, number, number, number] {
  const b = view.model.get("grid_bounds") || [];
  return b.length === 4 ? [b[0], b[1], b[2], b[3]] : [-6, 6, -6, 6];
}

/** Data → CSS px inside the plot. */
export function toPixel(view: PlaygroundView, x: number, y: number): [number, number] {
  const [xmin, xmax, ymin, ymax] = bounds(view);
  return [PLOT.left + ((x - xmin) / (xmax - xmin)) * PLOT.size, PLOT.top + ((ymax - y) / (ymax - ymin)) * PLOT.size];
}

/** CSS px → data; null outside the plot. */
export function toData(view: PlaygroundView, px: number, py: number): [number, number] | null {
  const u = (px - PLOT.left) / PLOT.size;
  const v = (py - PLOT.top) / PLOT.size;
  if (u < 0 || u > 1 || v < 0 || v > 1) return null;
  const [xmin, xmax, ymin, ymax] = bounds(view);
  return [xmin + u * (xmax - xmin), ymax - v * (ymax - ymin)];
}

/** The data points drawn once into a transparent layer, redrawn only when the points, the
 * test-point toggle, the task or the theme change (not per frame: ~1000 arcs on a software
 * canvas cost more than the rest of the plane). */
const layers = new WeakMap<PlaygroundView, { canvas: HTMLCanvasElement; key: string; points: Points | null }>();

function pointsLayer(view: PlaygroundView, points: Points, pal: RegionPalette): HTMLCanvasElement {
  const { s, el } = view;
  const theme = s.theme;
  const main = el.regions.canvas;
  const key = [main.width, main.height, s.showTest, theme.bg, theme.fg, pal.task, pal.classes, pal.range.join(","),
    view.model.get("grid_bounds")?.join(",")].join("|");
  let layer = layers.get(view);
  if (layer && layer.key === key && layer.points === points) return layer.canvas;
  const canvas = layer?.canvas ?? document.createElement("canvas");
  canvas.width = main.width;
  canvas.height = main.height;
  layer = { canvas, key, points };
  layers.set(view, layer);
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
  ctx.setTransform(main.width / el.regions.width, 0, 0, main.height / el.regions.height, 0, 0);
  ctx.clearRect(0, 0, el.regions.width, el.regions.height);
  ctx.beginPath();
  ctx.rect(PLOT.left, PLOT.top, PLOT.size, PLOT.size);
  ctx.clip();
  // training points first, test points on top
  for (let pass = 0; pass < 2; pass++) {
    for (let p = 0; p < points.n; p++) {
      const test = points.isTest[p] === 1;
      if ((pass === 0) === test) continue;
      if (test && !s.showTest) continue;
      const [px, py] = toPixel(view, points.xy[2 * p], points.xy[2 * p + 1]);
      const colour = pointColour(pal, points.labels[p]);
      ctx.beginPath();
      ctx.arc(px, py, test ? 3 : 3.4, 0, 2 * Math.PI);
      // training points: filled, a thin ring in the text colour; test points: a thick ring of
      // their class colour around a background centre
      ctx.fillStyle = test ? theme.bg : colour;
      ctx.fill();
      ctx.lineWidth = test ? 2 : 0.9;
      ctx.strokeStyle = test ? colour : theme.fg;
      ctx.stroke();
    }
  }
  return canvas;
}

/** Paint regions, contour, points and axes for the current frame. */
export function drawRegions(view: PlaygroundView, points: Points): void {
  const { s, el } = view;
  const { ctx } = el.regions;
  const theme = s.theme;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, el.regions.width, el.regions.height);
  const pal = palette(view, points);
  const frame = s.frame;
  const b = bounds(view);
  if (frame) {
    const side = frame.side;
    let cache = caches.get(view);
    if (!cache) {
      cache = { canvas: null, image: null, field: undefined };
      caches.set(view, cache);
    }
    if (!cache.canvas || cache.canvas.width !== side) {
      cache.canvas = document.createElement("canvas");
      cache.canvas.width = side;
      cache.canvas.height = side;
      cache.image = null;
    }
    const off = cache.canvas.getContext("2d") as CanvasRenderingContext2D;
    if (!cache.image) cache.image = off.createImageData(side, side);
    regionPixels(frame.grid, side, pal, cache.image.data);
    off.putImageData(cache.image, 0, 0);
    drawCells(ctx, cache.canvas, PLOT.left, PLOT.top, PLOT.size, PLOT.size);
    const level = contourLevel(pal.task);
    if (level !== null && !s.discretize) {
      ctx.save();
      ctx.strokeStyle = theme.fg;
      ctx.lineWidth = 1.5;
      const channels = pal.task === "multiclass" ? pal.classes : 1;
      ctx.beginPath();
      for (let c = 0; c < channels; c++) {
        if (!cache.field || cache.field.length !== side * side) cache.field = new Float64Array(side * side);
        for (const line of contourLines(frame.grid, side, b, level, c, channels, cache.field)) {
          line.forEach(([x, y], k) => {
            const [px, py] = toPixel(view, x, y);
            if (k === 0) ctx.moveTo(px, py);
            else ctx.lineTo(px, py);
          });
        }
      }
      ctx.stroke();
      ctx.restore();
    }
  }
  ctx.drawImage(pointsLayer(view, points, pal), 0, 0, el.regions.width, el.regions.height);
  ctx.strokeStyle = theme.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(PLOT.left + 0.5, PLOT.top + 0.5, PLOT.size - 1, PLOT.size - 1);
  const xs = (v: number) => toPixel(view, v, 0)[0];
  const ys = (v: number) => toPixel(view, 0, v)[1];
  drawAxis(ctx, { side: "bottom", ticks: linearTicks(b[0], b[1], 6), scale: xs, at: PLOT.top + PLOT.size, theme, tickSize: 3, title: "x₁", titleGap: 15 });
  drawAxis(ctx, { side: "left", ticks: linearTicks(b[2], b[3], 6), scale: ys, at: PLOT.left, theme, tickSize: 3, title: "x₂", titleGap: 24 });
}

/** The model's output at a data point (nearest grid cell) as a readout line. */
function readout(view: PlaygroundView, x: number, y: number): string[] {
  const lines = [`x₁ = ${formatNumber(x, 3)}, x₂ = ${formatNumber(y, 3)}`];
  const frame = view.s.frame;
  if (!frame) return lines;
  const [xmin, xmax, ymin, ymax] = bounds(view);
  const j = nearestIndex(x, xmin, xmax, frame.side);
  const i = nearestIndex(y, ymin, ymax, frame.side);
  const task = view.model.get("task");
  const classes = Number(view.model.get("classes")) || 2;
  if (task === "multiclass") {
    const off = (i * frame.side + j) * classes;
    const probs = Array.from(frame.grid.subarray(off, off + classes), (p) => formatNumber(p, 3));
    lines.push(`p = [${probs.join(", ")}]`);
  } else if (task === "binary") {
    lines.push(`p(class 1) = ${formatNumber(frame.grid[i * frame.side + j], 4)}`);
  } else {
    lines.push(`ŷ = ${formatNumber(frame.grid[i * frame.side + j], 4)}`);
  }
  return lines;
}

/** Clicks add a point of the selected class, or erase near it; hovering reads the output. */
export function bindRegions(view: PlaygroundView): void {
  const canvas = view.el.regions.canvas;
  canvas.addEventListener("click", (event) => {
    if (view.standalone) return;
    const [px, py] = pointerPosition(canvas, event);
    const at = toData(view, px, py);
    if (!at) return;
    const [x, y] = at;
    if (view.s.erase) {
      const b = bounds(view);
      view.model.send({ type: "erase", x, y, radius: 0.06 * (b[1] - b[0]) });
    } else {
      const label = Number(view.model.get("controls")?.point_class ?? 0);
      view.model.send({ type: "add_point", x, y, label });
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    const [px, py] = pointerPosition(canvas, event);
    const at = toData(view, px, py);
    if (!at) {
      view.el.tooltip.hide();
      return;
    }
    view.el.tooltip.showAt(event, readout(view, at[0], at[1]));
  });
  canvas.addEventListener("pointerleave", () => view.el.tooltip.hide());
}
