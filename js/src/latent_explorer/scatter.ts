// The scatter: the decoded lattice under the points, every point through a raw pixel buffer at
// device resolution, the overlays and the axes, in the theme read once per frame.

import { drawAxis, linearTicks } from "../lib/axes";
import { formatNumber } from "../lib/format";
import { font, type Theme } from "../lib/theme";
import { gridData } from "./data";
import { decodePath } from "./decode";
import { transformFor, type Transform } from "./geometry";
import { refreshTheme } from "./ink";
import { MARGIN, PLOT, plotRect } from "./layout";
import { drawOverlays } from "./overlays";
import { rasterize } from "./raster";
import type { Explorer } from "./state";
import { axisLabels, isEmbedding } from "./views";

/** Data → CSS pixels of the plot area for the current view. */
export function cssTransform(x: Explorer): Transform {
  return transformFor(x.s.view, MARGIN.left, MARGIN.top, PLOT, PLOT);
}

/** Square size in device pixels: smaller as the points get many. */
function pointSize(n: number, ratio: number): number {
  const base = n > 50000 ? 2 : n > 10000 ? 2.5 : n > 2000 ? 3.5 : 5;
  return Math.max(1, Math.round(base * ratio));
}

export function drawScatter(x: Explorer): void {
  const { s, stats } = x;
  const t0 = performance.now();
  const { ctx, width, height, canvas } = x.el.scatter;
  const ratio = canvas.width / width;
  const theme = refreshTheme(x);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  const rect = plotRect();
  const tr = cssTransform(x);
  // lattice tiles under the points
  const showLattice = Boolean(x.model.get("show_lattice")) && !isEmbedding(s.viewKind);
  if (showLattice) drawLattice(x, ctx, tr, theme);
  // points: raw pixel buffer at device resolution, composited over the lattice
  const pw = Math.round(rect.width * ratio);
  const ph = Math.round(rect.height * ratio);
  if (!s.pixelCanvas || s.pixelCanvas.width !== pw || s.pixelCanvas.height !== ph) {
    s.pixelCanvas = document.createElement("canvas");
    s.pixelCanvas.width = pw;
    s.pixelCanvas.height = ph;
    s.pixelImage = s.pixelCanvas.getContext("2d")!.createImageData(pw, ph);
    s.pixels = new Uint32Array(s.pixelImage.data.buffer);
  }
  if (s.pixels && s.pixelImage && s.pixelCanvas) {
    s.pixels.fill(0);
    const dtr = transformFor(s.view, 0, 0, pw, ph);
    stats.drawn = rasterize(s.pixels, pw, ph, s.pxy, s.pcol, s.n, dtr, pointSize(s.n, ratio));
    s.pixelCanvas.getContext("2d")!.putImageData(s.pixelImage, 0, 0);
    ctx.save();
    if (showLattice) ctx.globalAlpha = 0.55;
    ctx.drawImage(s.pixelCanvas, rect.left, rect.top, rect.width, rect.height);
    ctx.restore();
  }
  drawOverlays(x, ctx, tr, theme);
  drawAxes(x, ctx, tr, theme);
  const t1 = performance.now();
  stats.drawMs.push(t1 - t0);
  stats.frames.push(t1);
  if (stats.drawMs.length > 600) stats.drawMs.splice(0, 300);
  if (stats.frames.length > 600) stats.frames.splice(0, 300);
}

/** Plot frame, ticks (d3's, about six per axis, labelled to 3 significant digits) and the
 *  plane's axis labels. */
function drawAxes(x: Explorer, ctx: CanvasRenderingContext2D, tr: Transform, theme: Theme): void {
  const { view } = x.s;
  const rect = plotRect();
  const bottom = rect.top + rect.height;
  ctx.strokeStyle = theme.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(rect.left + 0.5, rect.top + 0.5, rect.width - 1, rect.height - 1);
  const label = (v: number) => formatNumber(v, 3);
  drawAxis(ctx, {
    side: "bottom", ticks: linearTicks(view.x0, view.x1, 6, label), scale: (v) => tr.kx * v + tr.bx,
    at: bottom, theme, tickSize: 4, gap: 5,
  });
  drawAxis(ctx, {
    side: "left", ticks: linearTicks(view.y0, view.y1, 6, label), scale: (v) => tr.ky * v + tr.by,
    at: rect.left, theme, tickSize: 4, gap: 6,
  });
  const labels = axisLabels(x);
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 11);
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(labels[0], rect.left + rect.width / 2, bottom + MARGIN.bottom);
  ctx.save();
  ctx.translate(10, rect.top + rect.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(labels[1], 0, 0);
  ctx.restore();
}

/** The decoded lattice (or, on a static page, the precomputed grid) as one atlas image. */
function drawLattice(x: Explorer, ctx: CanvasRenderingContext2D, tr: Transform, theme: Theme): void {
  const { s } = x;
  let tile = s.lattice;
  if (!tile && decodePath(x) === "grid") {
    const g = gridData(x);
    if (g) tile = { view: { x0: g.xr[0], x1: g.xr[1], y0: g.yr[0], y1: g.yr[1] }, n: g.n, values: g.values, atlas: null };
    s.lattice = tile;
  }
  if (!tile || !s.painter) return;
  const rect = plotRect();
  const x0 = tr.kx * tile.view.x0 + tr.bx;
  const x1 = tr.kx * tile.view.x1 + tr.bx;
  const y0 = tr.ky * tile.view.y1 + tr.by;
  const y1 = tr.ky * tile.view.y0 + tr.by;
  ctx.save();
  ctx.beginPath();
  ctx.rect(rect.left, rect.top, rect.width, rect.height);
  ctx.clip();
  if (!tile.atlas) tile.atlas = s.painter.atlas(theme, tile.values, tile.n, 48);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile.atlas, x0, y0, x1 - x0, y1 - y0);
  ctx.restore();
}
