// Offscreen value grids: static layers are drawn once and blitted every animation frame.
// Small cells are painted one pixel per cell by the shared heatmap painter; cells big enough to
// read get their value written in them.

import { parseColor, withAlpha } from "../lib/colour";
import { drawCells, heatmapPixels, pixelsToCanvas } from "../lib/heatmap";
import { font, type Theme } from "../lib/theme";
import { cellColor, MISSING_RGBA, tables, textColor, valueRange } from "./colours";
import { cellText } from "./geometry";

export interface GridImage {
  canvas: HTMLCanvasElement;
  width: number;
  height: number;
}

/** A rows × cols block of an array: cell (r, c) is values[base + r·cols + c]. */
export interface GridValues {
  values: ArrayLike<number>;
  base: number;
  rows: number;
  cols: number;
}

export interface GridOptions {
  text?: boolean;
  /** Cells shown faded toward the page background (the padding around an input). */
  faded?: (r: number, c: number) => boolean;
}

/** How far a faded cell moves toward the background. */
const FADE = 0.55;

/** Many small cells: one pixel per cell through a colour table, scaled up without smoothing. */
function paintPixels(ctx: CanvasRenderingContext2D, g: GridValues, cell: number, maxAbs: number, signed: boolean, theme: Theme, faded?: GridOptions["faded"]) {
  const { values, base, rows, cols } = g;
  const [lo, hi] = valueRange(maxAbs, signed);
  const table = signed ? tables().signed : tables().plain;
  const px = heatmapPixels(values, rows, cols, table, lo, hi, { index: (r, c) => base + r * cols + c, missing: MISSING_RGBA });
  if (faded) {
    const bg = parseColor(theme.bg, [255, 255, 255, 1]);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (!faded(r, c) || !Number.isFinite(values[base + r * cols + c])) continue;
        const o = (r * cols + c) * 4;
        for (let k = 0; k < 3; k++) px[o + k] = px[o + k] + (bg[k] - px[o + k]) * FADE;
      }
    }
  }
  drawCells(ctx, pixelsToCanvas(px, Math.max(1, cols), Math.max(1, rows)), 0, 0, cols * cell, rows * cell);
}

/** Cells big enough to read: a coloured square with the value written in it. */
function paintCells(ctx: CanvasRenderingContext2D, g: GridValues, cell: number, maxAbs: number, signed: boolean, theme: Theme, fadedAt?: GridOptions["faded"]) {
  const { values, base, rows, cols } = g;
  ctx.font = font(theme, Math.max(8, Math.min(12, Math.floor(cell * 0.32))), "", true);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  const fade = withAlpha(theme.bg, FADE);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[base + r * cols + c];
      ctx.fillStyle = cellColor(v, maxAbs, signed);
      ctx.fillRect(c * cell, r * cell, cell, cell);
      const faded = fadedAt?.(r, c) ?? false;
      if (faded) {
        ctx.fillStyle = fade;
        ctx.fillRect(c * cell, r * cell, cell, cell);
      }
      ctx.fillStyle = faded ? theme.muted : textColor(v, maxAbs, signed);
      ctx.fillText(cellText(v), c * cell + cell / 2, r * cell + cell / 2 + 0.5);
    }
  }
}

/** Thin lines between cells. */
function gridLines(ctx: CanvasRenderingContext2D, rows: number, cols: number, cell: number, theme: Theme) {
  const width = cols * cell;
  const height = rows * cell;
  ctx.strokeStyle = withAlpha(theme.fg, 0.18);
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let r = 0; r <= rows; r++) {
    ctx.moveTo(0, Math.min(height - 0.5, r * cell + 0.5));
    ctx.lineTo(width, Math.min(height - 0.5, r * cell + 0.5));
  }
  for (let c = 0; c <= cols; c++) {
    ctx.moveTo(Math.min(width - 0.5, c * cell + 0.5), 0);
    ctx.lineTo(Math.min(width - 0.5, c * cell + 0.5), height);
  }
  ctx.stroke();
}

/** A rows × cols grid of values at `cell` px per cell on its own HiDPI canvas. */
export function drawGrid(g: GridValues, cell: number, maxAbs: number, signed: boolean, theme: Theme, opts: GridOptions = {}): GridImage {
  const ratio = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const width = g.cols * cell;
  const height = g.rows * cell;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  const ctx = canvas.getContext("2d")!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const showText = (opts.text ?? true) && cell >= 20;
  if (!showText) paintPixels(ctx, g, cell, maxAbs, signed, theme, opts.faded);
  else paintCells(ctx, g, cell, maxAbs, signed, theme, opts.faded);
  if (cell >= 6) gridLines(ctx, g.rows, g.cols, cell, theme);
  return { canvas, width, height };
}
