// Drawing one decoded output (an image or curves) into a box of a canvas, and atlases of many.

/** How a decoded output is drawn (Python's _display_spec). */
export interface OutputSpec {
  kind: "image" | "curve";
  channels: number;
  height?: number;
  width?: number;
  length?: number;
  layout?: "chw" | "hwc";
  size: number;
  vmin: number;
  vmax: number;
}

/** Gray or RGB pixels of one decoded image (values[offset .. offset + size)) into RGBA. */
export function valuesToRGBA(values: ArrayLike<number>, offset: number, spec: OutputSpec, out: Uint8ClampedArray): void {
  const hgt = spec.height ?? 1;
  const wid = spec.width ?? 1;
  const hw = hgt * wid;
  const lo = spec.vmin;
  const span = spec.vmax - spec.vmin || 1;
  const c = spec.channels;
  for (let i = 0; i < hw; i++) {
    let r: number;
    let g: number;
    let b: number;
    if (c === 3) {
      const at = (ch: number) => (spec.layout === "hwc" ? values[offset + i * 3 + ch] : values[offset + ch * hw + i]);
      r = at(0);
      g = at(1);
      b = at(2);
    } else {
      r = g = b = values[offset + i];
    }
    out[4 * i] = Number.isFinite(r) ? (255 * (r - lo)) / span : 0;
    out[4 * i + 1] = Number.isFinite(g) ? (255 * (g - lo)) / span : 0;
    out[4 * i + 2] = Number.isFinite(b) ? (255 * (b - lo)) / span : 0;
    out[4 * i + 3] = 255;
  }
}

const CURVE_COLORS = ["#2f6fdf", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285", "#5c940d", "#a61e4d"];

export class Painter {
  private off: HTMLCanvasElement | null = null;
  private img: ImageData | null = null;

  constructor(public spec: OutputSpec) {
    if (spec.kind === "image") {
      this.off = document.createElement("canvas");
      this.off.width = spec.width ?? 1;
      this.off.height = spec.height ?? 1;
      const octx = this.off.getContext("2d");
      this.img = octx ? octx.createImageData(this.off.width, this.off.height) : null;
    }
  }

  /** Draw one output into the box (x, y, w, h) of ctx. */
  draw(ctx: CanvasRenderingContext2D, values: ArrayLike<number>, offset: number, x: number, y: number, w: number, hgt: number): void {
    const spec = this.spec;
    if (spec.kind === "image" && this.off && this.img) {
      valuesToRGBA(values, offset, spec, this.img.data);
      this.off.getContext("2d")?.putImageData(this.img, 0, 0);
      ctx.save();
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.off, x, y, w, hgt);
      ctx.restore();
      return;
    }
    // curves: one line per channel, y from vmin (bottom) to vmax (top)
    const len = spec.length ?? spec.size;
    const ch = spec.channels || 1;
    const span = spec.vmax - spec.vmin || 1;
    ctx.save();
    ctx.fillStyle = "#f5f7fa";
    ctx.fillRect(x, y, w, hgt);
    ctx.lineWidth = w > 120 ? 2 : 1.2;
    for (let c = 0; c < ch; c++) {
      ctx.strokeStyle = CURVE_COLORS[c % CURVE_COLORS.length];
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
  atlas(values: ArrayLike<number>, n: number, cell: number): HTMLCanvasElement {
    // each output in a cell of s + gap pixels (white gap) so neighbouring decodings read apart
    const canvas = document.createElement("canvas");
    const s = this.spec.kind === "image" ? Math.max(this.spec.width ?? 1, this.spec.height ?? 1) : cell;
    const gap = Math.max(1, Math.round(s / 8));
    canvas.width = n * (s + gap);
    canvas.height = n * (s + gap);
    const ctx = canvas.getContext("2d");
    if (!ctx) return canvas;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const o = Math.floor(gap / 2);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        this.draw(ctx, values, (r * n + c) * this.spec.size, c * (s + gap) + o, r * (s + gap) + o, s, s);
      }
    }
    return canvas;
  }
}
