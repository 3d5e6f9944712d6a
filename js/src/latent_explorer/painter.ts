// Drawing one decoded output (an image or curves) into a box of a canvas, and atlases of many.
// Images go through the shared image painter (lib/heatmap.ts); curves and backgrounds take the
// theme's colours.

import { categoryColour } from "../lib/colour";
import { drawCells, heatmapPixels, imageGridPixels, type ImageGridOptions } from "../lib/heatmap";
import type { Theme } from "../lib/theme";
import type { OutputState } from "./state";

/** How a decoded output is drawn (Python's _display_spec with its value range). */
export type OutputSpec = OutputState;

/** One image of the spec: [vmin, vmax] to black..white (or RGB, chw or hwc). */
function imageOptions(spec: OutputSpec): ImageGridOptions {
  return {
    count: 1,
    height: spec.height ?? 1,
    width: spec.width ?? 1,
    channels: spec.channels === 3 ? 3 : 1,
    layout: spec.layout,
    lo: spec.vmin,
    hi: spec.vmax,
  };
}

/** values[offset .. offset + size), without copying a typed array. */
function window(values: ArrayLike<number>, offset: number, size: number): ArrayLike<number> {
  if (offset === 0) return values;
  if (ArrayBuffer.isView(values)) return (values as Float32Array).subarray(offset, offset + size);
  return Array.prototype.slice.call(values, offset, offset + size);
}

/** A linear grey ramp: entry k is (k, k, k), so a grey image is a heatmap through it. */
const GREYS = (() => {
  const table = new Uint8ClampedArray(256 * 4);
  for (let k = 0; k < 256; k++) table.set([k, k, k, 255], 4 * k);
  return table;
})();
const BLACK = [0, 0, 0, 255] as const; // non-finite values

/**
 * Gray or RGB pixels of one decoded image (values[offset .. offset + size)) into RGBA, vmin black
 * and vmax white. Grey images go through the heatmap painter into `out` without allocating (this
 * runs on every hover and for every lattice cell); RGB ones through the image-grid painter.
 */
export function valuesToRGBA(values: ArrayLike<number>, offset: number, spec: OutputSpec, out: Uint8ClampedArray): void {
  const one = window(values, offset, spec.size);
  if (spec.channels === 3) {
    out.set(imageGridPixels(one, imageOptions(spec)).data);
    return;
  }
  const span = spec.vmax - spec.vmin || 1;
  heatmapPixels(one, spec.height ?? 1, spec.width ?? 1, GREYS, spec.vmin, spec.vmin + span, { out, missing: BLACK });
}

/** Colour of curve channel c: the theme's accent, then the category palette. */
function curveColour(theme: Theme, c: number): string {
  return c === 0 ? theme.accent : categoryColour(c);
}

export class Painter {
  // one image's canvas and pixels, reused on every hover
  private off: HTMLCanvasElement | null = null;
  private img: ImageData | null = null;

  constructor(public spec: OutputSpec) {
    if (spec.kind === "image") {
      this.off = document.createElement("canvas");
      this.off.width = spec.width ?? 1;
      this.off.height = spec.height ?? 1;
      this.img = this.off.getContext("2d")?.createImageData(this.off.width, this.off.height) ?? null;
    }
  }

  /** Draw one output into the box (x, y, w, h) of ctx. */
  draw(ctx: CanvasRenderingContext2D, theme: Theme, values: ArrayLike<number>, offset: number,
    x: number, y: number, w: number, hgt: number): void {
    const spec = this.spec;
    if (spec.kind === "image" && this.off && this.img) {
      valuesToRGBA(values, offset, spec, this.img.data);
      this.off.getContext("2d")?.putImageData(this.img, 0, 0);
      drawCells(ctx, this.off, x, y, w, hgt);
      return;
    }
    // curves: one line per channel, y from vmin (bottom) to vmax (top)
    const len = spec.length ?? spec.size;
    const ch = spec.channels || 1;
    const span = spec.vmax - spec.vmin || 1;
    ctx.save();
    ctx.fillStyle = theme.panel;
    ctx.fillRect(x, y, w, hgt);
    ctx.lineWidth = w > 120 ? 2 : 1.2;
    for (let c = 0; c < ch; c++) {
      ctx.strokeStyle = curveColour(theme, c);
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < len; i++) {
        const v = values[offset + c * len + i];
        if (!Number.isFinite(v)) {
          pen = false;
          continue;
        }
        const px = x + (len === 1 ? w / 2 : (i / (len - 1)) * w);
        const t = Math.max(-0.05, Math.min(1.05, (v - spec.vmin) / span));
        const py = y + hgt - t * hgt * 0.9 - hgt * 0.05;
        if (pen) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
    }
    ctx.restore();
  }

  /** An atlas canvas of n × n outputs (one drawImage per frame when the lattice pans). */
  atlas(theme: Theme, values: ArrayLike<number>, n: number, cell: number): HTMLCanvasElement {
    // each output in a cell of s + gap pixels (background gap) so neighbouring decodings read apart
    const canvas = document.createElement("canvas");
    const s = this.spec.kind === "image" ? Math.max(this.spec.width ?? 1, this.spec.height ?? 1) : cell;
    const gap = Math.max(1, Math.round(s / 8));
    canvas.width = n * (s + gap);
    canvas.height = n * (s + gap);
    const ctx = canvas.getContext("2d");
    if (!ctx) return canvas;
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const o = Math.floor(gap / 2);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        this.draw(ctx, theme, values, (r * n + c) * this.spec.size, c * (s + gap) + o, r * (s + gap) + o, s, s);
      }
    }
    return canvas;
  }
}
