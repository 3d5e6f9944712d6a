// Offscreen value grids: static layers are drawn once and blitted every animation frame.

import { cellText } from "./geometry";
import { cellColor, colorIndex, luts, textColor } from "./colours";

export interface GridImage {
  canvas: HTMLCanvasElement;
  width: number;
  height: number;
}

export interface GridOptions {
  text?: boolean;
  faded?: (r: number, c: number) => boolean;
}

/** Many small cells: one pixel per cell through a colour table, scaled up without smoothing. */
function paintPixels(ctx: CanvasRenderingContext2D, rows: number, cols: number, cell: number, value: (r: number, c: number) => number, maxAbs: number, signed: boolean, faded?: (r: number, c: number) => boolean) {
  const tiny = document.createElement("canvas");
  tiny.width = Math.max(1, cols);
  tiny.height = Math.max(1, rows);
  const tctx = tiny.getContext("2d")!;
  const img = tctx.createImageData(tiny.width, tiny.height);
  const lut = signed ? luts().signed : luts().plain;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = value(r, c);
      const o = (r * cols + c) * 4;
      if (Number.isFinite(v)) {
        const k = colorIndex(v, maxAbs, signed) * 3;
        const fade = faded?.(r, c) ? 0.55 : 0;
        img.data[o] = lut[k] + (255 - lut[k]) * fade;
        img.data[o + 1] = lut[k + 1] + (255 - lut[k + 1]) * fade;
        img.data[o + 2] = lut[k + 2] + (255 - lut[k + 2]) * fade;
      } else {
        img.data[o] = img.data[o + 1] = img.data[o + 2] = 241;
      }
      img.data[o + 3] = 255;
    }
  }
  tctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tiny, 0, 0, cols * cell, rows * cell);
}

/** Cells big enough to read: a coloured square with the value written in it. */
function paintCells(ctx: CanvasRenderingContext2D, rows: number, cols: number, cell: number, value: (r: number, c: number) => number, maxAbs: number, signed: boolean, fadedAt?: (r: number, c: number) => boolean) {
  ctx.font = `${Math.max(8, Math.min(12, Math.floor(cell * 0.32)))}px ui-monospace, Menlo, Consolas, monospace`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = value(r, c);
      ctx.fillStyle = cellColor(v, maxAbs, signed);
      ctx.fillRect(c * cell, r * cell, cell, cell);
      const faded = fadedAt?.(r, c) ?? false;
      if (faded) {
        ctx.fillStyle = "rgba(255,255,255,0.55)";
        ctx.fillRect(c * cell, r * cell, cell, cell);
      }
      ctx.fillStyle = faded ? "#616e7c" : textColor(v, maxAbs, signed);
      ctx.fillText(cellText(v), c * cell + cell / 2, r * cell + cell / 2 + 0.5);
    }
  }
}

/** A rows × cols grid of values at `cell` px per cell on its own HiDPI canvas. */
export function drawGrid(
  rows: number,
  cols: number,
  cell: number,
  value: (r: number, c: number) => number,
  maxAbs: number,
  signed: boolean,
  opts: GridOptions = {},
): GridImage {
  const ratio = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const width = cols * cell;
  const height = rows * cell;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  const ctx = canvas.getContext("2d")!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const showText = (opts.text ?? true) && cell >= 20;
  if (!showText) paintPixels(ctx, rows, cols, cell, value, maxAbs, signed, opts.faded);
  else paintCells(ctx, rows, cols, cell, value, maxAbs, signed, opts.faded);
  if (cell >= 6) {
    ctx.strokeStyle = "rgba(31,41,51,0.18)";
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
  return { canvas, width, height };
}
