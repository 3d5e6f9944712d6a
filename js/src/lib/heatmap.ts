// Heatmaps and image grids: values → RGBA pixels through a colour table (lib/colour.ts), one
// pixel per cell, painted on a small offscreen canvas that the view scales up with drawImage
// (smoothing off, so cells stay sharp). The pixel functions are pure and tested in node.

import { tableIndex } from "./colour";

/** RGBA bytes of cells whose value is NaN or ±∞ (a mid grey, visible on both themes). */
export const MISSING: readonly [number, number, number, number] = [187, 187, 187, 255];

export interface HeatmapOptions {
  /** Colour of non-finite values, RGBA bytes. */
  missing?: readonly [number, number, number, number];
  /** Where cell (r, c) is in `values` (default r·cols + c), e.g. to paint a transposed slice. */
  index?: (r: number, c: number) => number;
  /** Reuse this buffer (rows·cols·4 bytes) instead of allocating. */
  out?: Uint8ClampedArray;
}

/**
 * RGBA pixels (rows × cols, row-major) of `values` coloured by `table` (n RGBA entries from
 * colourTable), lo at entry 0 and hi at entry n−1, clamped outside; lo == hi gives the middle.
 */
export function heatmapPixels(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  table: Uint8ClampedArray,
  lo: number,
  hi: number,
  options: HeatmapOptions = {},
): Uint8ClampedArray {
  const n = table.length / 4;
  const size = rows * cols * 4;
  const out = options.out && options.out.length >= size ? options.out : new Uint8ClampedArray(size);
  const missing = options.missing ?? MISSING;
  const index = options.index;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[index ? index(r, c) : r * cols + c];
      const k = tableIndex(v, lo, hi, n);
      const p = (r * cols + c) * 4;
      if (k < 0) {
        out[p] = missing[0];
        out[p + 1] = missing[1];
        out[p + 2] = missing[2];
        out[p + 3] = missing[3];
      } else {
        out[p] = table[k * 4];
        out[p + 1] = table[k * 4 + 1];
        out[p + 2] = table[k * 4 + 2];
        out[p + 3] = table[k * 4 + 3];
      }
    }
  }
  return out;
}

/** Put RGBA pixels on a canvas of exactly width × height (reusing `target` when given). */
export function pixelsToCanvas(
  pixels: Uint8ClampedArray,
  width: number,
  height: number,
  target?: HTMLCanvasElement,
): HTMLCanvasElement {
  const canvas = target ?? document.createElement("canvas");
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx || width === 0 || height === 0) return canvas;
  const image = ctx.createImageData(width, height);
  image.data.set(pixels.subarray(0, width * height * 4));
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/**
 * An offscreen canvas of cols × rows pixels holding the heatmap of `values` (see heatmapPixels);
 * draw it scaled with drawCells. Pass `target` to reuse one canvas across frames.
 */
export function paintHeatmap(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  table: Uint8ClampedArray,
  lo: number,
  hi: number,
  options: HeatmapOptions & { target?: HTMLCanvasElement } = {},
): HTMLCanvasElement {
  return pixelsToCanvas(heatmapPixels(values, rows, cols, table, lo, hi, options), cols, rows, options.target);
}

/** Draw a one-pixel-per-cell image into the box (x, y, w, h) without smoothing. */
export function drawCells(
  ctx: CanvasRenderingContext2D,
  image: CanvasImageSource,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(image, x, y, w, h);
  ctx.restore();
}

// ---------------------------------------------------------------------------------------------
// Image grids (thumbnails of inputs, filters, decoded samples)

export interface ImageGridOptions {
  /** Number of images in `values`, each height × width (× channels). */
  count: number;
  height: number;
  width: number;
  /** 1 (grey or through `table`) or 3 (RGB). */
  channels?: 1 | 3;
  /** Memory layout of a 3-channel image: channels first (default) or last. */
  layout?: "chw" | "hwc";
  /** Value range mapped to black..white (or the table's ends). */
  lo: number;
  hi: number;
  /** Images per row of the grid (default: as square a grid as fits `count`). */
  columns?: number;
  /** Pixels between images. */
  gap?: number;
  /** Colour single-channel images through this table instead of greys. */
  table?: Uint8ClampedArray;
  /** RGBA bytes of the gaps and the empty slots (default transparent). */
  background?: readonly [number, number, number, number];
}

export interface PixelImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Columns and rows of a grid of `count` images (columns given or ceil(√count)). */
export function gridShape(count: number, columns?: number): { columns: number; rows: number } {
  const cols = Math.max(1, Math.min(count || 1, columns ?? Math.ceil(Math.sqrt(count || 1))));
  return { columns: cols, rows: Math.max(1, Math.ceil(count / cols)) };
}

/** RGBA pixels of a grid of images, row-major, image i at column i mod columns. */
export function imageGridPixels(values: ArrayLike<number>, opts: ImageGridOptions): PixelImage {
  const { count, height, width, lo, hi } = opts;
  const channels = opts.channels ?? 1;
  const gap = opts.gap ?? 1;
  const { columns, rows } = gridShape(count, opts.columns);
  const W = columns * width + (columns - 1) * gap;
  const H = rows * height + (rows - 1) * gap;
  const data = new Uint8ClampedArray(W * H * 4);
  const bg = opts.background ?? [0, 0, 0, 0];
  for (let p = 0; p < W * H; p++) data.set(bg, p * 4);
  const span = hi - lo || 1;
  const grey = (v: number) => (Number.isFinite(v) ? (255 * (v - lo)) / span : 0);
  const n = opts.table ? opts.table.length / 4 : 0;
  const hw = height * width;
  for (let i = 0; i < count; i++) {
    const x0 = (i % columns) * (width + gap);
    const y0 = Math.floor(i / columns) * (height + gap);
    const base = i * hw * channels;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const q = ((y0 + y) * W + x0 + x) * 4;
        const j = y * width + x;
        if (channels === 3) {
          const at = (c: number) => values[opts.layout === "hwc" ? base + j * 3 + c : base + c * hw + j];
          data[q] = grey(at(0));
          data[q + 1] = grey(at(1));
          data[q + 2] = grey(at(2));
          data[q + 3] = 255;
        } else if (opts.table) {
          const k = tableIndex(values[base + j], lo, hi, n);
          const src = k < 0 ? MISSING : opts.table.subarray(k * 4, k * 4 + 4);
          data[q] = src[0];
          data[q + 1] = src[1];
          data[q + 2] = src[2];
          data[q + 3] = src[3];
        } else {
          const g = grey(values[base + j]);
          data[q] = g;
          data[q + 1] = g;
          data[q + 2] = g;
          data[q + 3] = 255;
        }
      }
    }
  }
  return { data, width: W, height: H };
}

/** An offscreen canvas holding the image grid (see imageGridPixels); draw it with drawCells. */
export function paintImageGrid(values: ArrayLike<number>, opts: ImageGridOptions, target?: HTMLCanvasElement): HTMLCanvasElement {
  const img = imageGridPixels(values, opts);
  return pixelsToCanvas(img.data, img.width, img.height, target);
}
