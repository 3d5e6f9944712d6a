// Latent-space explorer: the codes of a data set as a scatter (every point drawn, 100k+ via a
// raw pixel buffer), next to a decoder view. Moving the pointer decodes the point under it:
// in the browser when the decoder is a small MLP shipped in state, else through the kernel (one
// request in flight, the newest pointer position replaces a pending one), else (static page)
// from a precomputed grid. Drag draws a path whose decodings appear as a strip; the lattice
// overlays decodings over the visible region; clicks pick points for the reconstruction,
// interpolation (linear and slerp), arithmetic (A − B + C) and traversal views.
//
// The 2-D view is an affine plane of the latent space: z = origin + [x y] · basis + s · others
// (Python's LatentPlane; basis 2×d, others (d−2)×d, s the slider values).

import { scaleLinear } from "d3-scale";
import { interpolateTurbo, interpolateViridis, schemeTableau10 } from "d3-scale-chromatic";
import { decodeArray, decodeFloat, type WireArray } from "./lib/arrays";
import { createSurface, pointerPosition, type Surface } from "./lib/canvas";
import { h, isStandalone, KERNEL_HINT, listen, needsKernel, ownKeys, widgetRoot, type ModelLike } from "./lib/dom";
import { formatNumber } from "./lib/format";
import { makeMLP, mlpForward, mlpFromState, scratchFor, type MLP, type MLPLayer, type MLPScratch } from "./lib/mlp";

// ---------------------------------------------------------------------------------------------
// pure helpers (tested in js/tests/latent_explorer.test.ts)
// ---------------------------------------------------------------------------------------------

export interface Plane {
  d: number;
  k: number; // number of slider axes
  origin: Float64Array; // d
  basis: Float64Array; // 2 x d
  others: Float64Array; // k x d
  sliderMin: Float64Array;
  sliderMax: Float64Array;
  axisLabels: [string, string];
  sliderLabels: string[];
  mode: string;
}

function f64(wire: WireArray | undefined): Float64Array {
  if (!wire) return new Float64Array(0);
  return Float64Array.from(decodeFloat(wire).data);
}

export function planeFromState(state: any, d: number): Plane | null {
  if (!state || !state.origin) return null;
  const origin = f64(state.origin);
  const basis = f64(state.basis);
  const others = f64(state.others);
  if (origin.length !== d || basis.length !== 2 * d) return null;
  const k = d > 0 ? Math.round(others.length / d) : 0;
  return {
    d,
    k,
    origin,
    basis,
    others,
    sliderMin: f64(state.slider_min),
    sliderMax: f64(state.slider_max),
    axisLabels: [String(state.axis_labels?.[0] ?? "x"), String(state.axis_labels?.[1] ?? "y")],
    sliderLabels: (state.slider_labels ?? []).map(String),
    mode: String(state.mode ?? ""),
  };
}

/** z = origin + x·basis[0] + y·basis[1] + Σ_k s_k·others[k], written at out[offset..]. */
export function toLatent(
  plane: Plane,
  x: number,
  y: number,
  sliders: ArrayLike<number>,
  out: Float32Array | Float64Array,
  offset = 0,
): void {
  const { d, k, origin, basis, others } = plane;
  for (let j = 0; j < d; j++) {
    let v = origin[j] + x * basis[j] + y * basis[d + j];
    for (let s = 0; s < k; s++) v += (sliders[s] ?? 0) * others[s * d + j];
    out[offset + j] = v;
  }
}

/** 2-D coordinates of n codes: p = (z − origin) · basisᵀ, interleaved [x0, y0, x1, y1, ...]. */
export function projectCodes(codes: ArrayLike<number>, n: number, plane: Plane, out?: Float32Array): Float32Array {
  const { d, origin, basis } = plane;
  const res = out && out.length >= 2 * n ? out : new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let x = 0;
    let y = 0;
    const off = i * d;
    for (let j = 0; j < d; j++) {
      const c = codes[off + j] - origin[j];
      x += c * basis[j];
      y += c * basis[d + j];
    }
    res[2 * i] = x;
    res[2 * i + 1] = y;
  }
  return res;
}

/** Linear interpolation (steps x d): z(t) = (1 − t) a + t b. */
export function lerpCodes(a: ArrayLike<number>, b: ArrayLike<number>, steps: number): Float64Array {
  const d = a.length;
  const out = new Float64Array(steps * d);
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    for (let j = 0; j < d; j++) out[s * d + j] = (1 - t) * a[j] + t * b[j];
  }
  return out;
}

/** Spherical interpolation: sin((1−t)ω)/sin ω · a + sin(tω)/sin ω · b, cos ω = a·b/(|a||b|);
 *  the straight line when sin ω ≈ 0 (as Python's engine.latent.slerp). */
export function slerpCodes(a: ArrayLike<number>, b: ArrayLike<number>, steps: number): Float64Array {
  const d = a.length;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < d; j++) {
    dot += a[j] * b[j];
    na += a[j] * a[j];
    nb += b[j] * b[j];
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  if (na < 1e-12 || nb < 1e-12) return lerpCodes(a, b, steps);
  const omega = Math.acos(Math.max(-1, Math.min(1, dot / (na * nb))));
  const so = Math.sin(omega);
  if (so < 1e-6) return lerpCodes(a, b, steps);
  const out = new Float64Array(steps * d);
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    const wa = Math.sin((1 - t) * omega) / so;
    const wb = Math.sin(t * omega) / so;
    for (let j = 0; j < d; j++) out[s * d + j] = wa * a[j] + wb * b[j];
  }
  return out;
}

/** The data-space rectangle shown in the plot area. */
export interface View {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** A view holding every point with a 5 % margin (or [-1, 1] when there are none). */
export function fitView(proj: ArrayLike<number>, n: number): View {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = proj[2 * i];
    const y = proj[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (!Number.isFinite(x0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  const px = x1 - x0 > 1e-12 ? 0.05 * (x1 - x0) : 1;
  const py = y1 - y0 > 1e-12 ? 0.05 * (y1 - y0) : 1;
  return { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
}

/** Affine map data → pixels of a plot rect: sx = kx·x + bx, sy = ky·y + by (y up). */
export interface Transform {
  kx: number;
  bx: number;
  ky: number;
  by: number;
}

export function transformFor(view: View, left: number, top: number, width: number, height: number): Transform {
  const kx = width / (view.x1 - view.x0);
  const ky = -height / (view.y1 - view.y0);
  return { kx, bx: left - kx * view.x0, ky, by: top - ky * view.y1 };
}

export function invert(tr: Transform, sx: number, sy: number): [number, number] {
  return [(sx - tr.bx) / tr.kx, (sy - tr.by) / tr.ky];
}

/** Zoom by `factor` (>1 zooms in) keeping the data point at fractions (fx, fy) of the rect fixed. */
export function zoomView(view: View, fx: number, fy: number, factor: number): View {
  const cx = view.x0 + fx * (view.x1 - view.x0);
  const cy = view.y1 - fy * (view.y1 - view.y0);
  const w = (view.x1 - view.x0) / factor;
  const hgt = (view.y1 - view.y0) / factor;
  return { x0: cx - fx * w, x1: cx + (1 - fx) * w, y1: cy + fy * hgt, y0: cy - (1 - fy) * hgt };
}

/** Move the view so content follows a drag of (dx, dy) pixels over a rect of width × height. */
export function panView(view: View, dx: number, dy: number, width: number, height: number): View {
  const ux = (dx / width) * (view.x1 - view.x0);
  const uy = (dy / height) * (view.y1 - view.y0);
  return { x0: view.x0 - ux, x1: view.x1 - ux, y0: view.y0 + uy, y1: view.y1 + uy };
}

/** Centres of an n × n lattice over the view, row-major, top row first (as grid_points). */
export function latticeCells(view: View, n: number): Float64Array {
  const out = new Float64Array(n * n * 2);
  const dx = (view.x1 - view.x0) / n;
  const dy = (view.y1 - view.y0) / n;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      out[2 * (r * n + c)] = view.x0 + (c + 0.5) * dx;
      out[2 * (r * n + c) + 1] = view.y1 - (r + 0.5) * dy;
    }
  }
  return out;
}

/** Little-endian RGBA packed in a Uint32 (what a Uint32Array view of ImageData holds). */
export function packColor(r: number, g: number, b: number, a = 255): number {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

export function parseColor(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(css.trim());
  if (hex) {
    const v = parseInt(hex[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const rgb = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(css);
  if (rgb) return [Math.round(+rgb[1]), Math.round(+rgb[2]), Math.round(+rgb[3])];
  return [47, 111, 223];
}

/** Colours of k categories: Tableau 10 up to 10, then evenly spaced turbo hues. */
export function categoryColors(k: number): string[] {
  if (k <= 10) return schemeTableau10.slice(0, Math.max(k, 1));
  return Array.from({ length: k }, (_, i) => interpolateTurbo(0.05 + (0.9 * i) / (k - 1)));
}

/** A fixed pseudo-random drawing order, so no class always paints over another. */
export function shuffledOrder(n: number, seed = 12345): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Draw n points (interleaved data coordinates xy, colours as packed RGBA) as size × size squares
 * into a pixel buffer of width × height, clipped to the rect [cx0, cx1) × [cy0, cy1). Returns how
 * many points fell inside. Every point is drawn; none is sampled away.
 */
export function rasterize(
  pixels: Uint32Array,
  width: number,
  height: number,
  xy: Float32Array,
  colors: Uint32Array,
  n: number,
  tr: Transform,
  size: number,
  clip: [number, number, number, number] = [0, 0, width, height],
): number {
  const [cx0, cy0, cx1, cy1] = clip;
  const half = size / 2;
  let drawn = 0;
  const { kx, bx, ky, by } = tr;
  for (let i = 0; i < n; i++) {
    const sx = Math.round(kx * xy[2 * i] + bx - half);
    const sy = Math.round(ky * xy[2 * i + 1] + by - half);
    if (sx + size <= cx0 || sy + size <= cy0 || sx >= cx1 || sy >= cy1 || sx !== sx) continue;
    const color = colors[i];
    const xa = sx < cx0 ? cx0 : sx;
    const xb = sx + size > cx1 ? cx1 : sx + size;
    const ya = sy < cy0 ? cy0 : sy;
    const yb = sy + size > cy1 ? cy1 : sy + size;
    for (let y = ya; y < yb; y++) {
      const row = y * width;
      for (let x = xa; x < xb; x++) pixels[row + x] = color;
    }
    drawn++;
  }
  return drawn;
}

/** Index of the point nearest to pixel (sx, sy) within maxDist pixels, or −1. */
export function nearestPoint(proj: Float32Array, n: number, tr: Transform, sx: number, sy: number, maxDist: number): number {
  let best = -1;
  let bestD = maxDist * maxDist;
  for (let i = 0; i < n; i++) {
    const dx = tr.kx * proj[2 * i] + tr.bx - sx;
    const dy = tr.ky * proj[2 * i + 1] + tr.by - sy;
    const d2 = dx * dx + dy * dy;
    if (d2 <= bestD) {
      bestD = d2;
      best = i;
    }
  }
  return best;
}

/** k points evenly spaced by arc length along a polyline [x0, y0, x1, y1, ...]. */
export function resamplePath(points: ArrayLike<number>, k: number): Float64Array {
  const m = Math.floor(points.length / 2);
  const out = new Float64Array(2 * k);
  if (m === 0) return out;
  const cum = new Float64Array(m);
  for (let i = 1; i < m; i++) {
    cum[i] = cum[i - 1] + Math.hypot(points[2 * i] - points[2 * i - 2], points[2 * i + 1] - points[2 * i - 1]);
  }
  const total = cum[m - 1];
  let seg = 1;
  for (let s = 0; s < k; s++) {
    const target = k === 1 ? 0 : (total * s) / (k - 1);
    while (seg < m - 1 && cum[seg] < target) seg++;
    if (m === 1 || total === 0) {
      out[2 * s] = points[0];
      out[2 * s + 1] = points[1];
      continue;
    }
    const a = seg - 1;
    const span = cum[seg] - cum[a];
    const t = span > 0 ? Math.min(1, Math.max(0, (target - cum[a]) / span)) : 0;
    out[2 * s] = points[2 * a] + t * (points[2 * seg] - points[2 * a]);
    out[2 * s + 1] = points[2 * a + 1] + t * (points[2 * seg + 1] - points[2 * a + 1]);
  }
  return out;
}

/**
 * At most one request in flight per purpose; a request made meanwhile replaces the pending one
 * (stale pointer positions are dropped, never queued). `settle` on a reply says whether it
 * answers the request in flight (draw it) and sends the pending request, if any.
 */
export class Coalescer<T> {
  private inflight = new Map<string, { id: number; sent: number }>();
  private pending = new Map<string, T>();
  private nextId = 1;
  dropped = 0;
  sent = 0;

  constructor(
    private readonly sendFn: (purpose: string, id: number, payload: T) => void,
    private readonly timeoutMs = 3000,
  ) {}

  request(purpose: string, payload: T, now: number = Date.now()): number | null {
    const f = this.inflight.get(purpose);
    if (f && now - f.sent < this.timeoutMs) {
      if (this.pending.has(purpose)) this.dropped++;
      this.pending.set(purpose, payload);
      return null;
    }
    return this.dispatch(purpose, payload, now);
  }

  settle(purpose: string, id: number, now: number = Date.now()): boolean {
    const f = this.inflight.get(purpose);
    if (!f || f.id !== id) return false;
    this.inflight.delete(purpose);
    const next = this.pending.get(purpose);
    if (next !== undefined) {
      this.pending.delete(purpose);
      this.dispatch(purpose, next, now);
    }
    return true;
  }

  busy(purpose: string): boolean {
    return this.inflight.has(purpose);
  }

  private dispatch(purpose: string, payload: T, now: number): number {
    const id = this.nextId++;
    this.inflight.set(purpose, { id, sent: now });
    this.sent++;
    this.sendFn(purpose, id, payload);
    return id;
  }
}

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

// ---------------------------------------------------------------------------------------------
// drawing decoded outputs
// ---------------------------------------------------------------------------------------------

const CURVE_COLORS = ["#2f6fdf", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285", "#5c940d", "#a61e4d"];

class Painter {
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

// ---------------------------------------------------------------------------------------------
// the widget
// ---------------------------------------------------------------------------------------------

const PLOT = 460; // scatter plot area (CSS px)
const MARGIN = { left: 44, top: 10, right: 10, bottom: 34 };
const DECODED = 184;
const PATH_STEPS = 12;
const THUMB = 52;

type DecodePath = "browser" | "kernel" | "grid" | "none";

interface Stats {
  hover: number[]; // pointer event's timestamp → decoded image drawn, ms
  hoverWork: number[]; // our handler starts → decoded image drawn, ms
  hoverPath: string[];
  last: { p: number[]; z: number[]; out: number[]; how: string } | null; // the last decoding shown
  frames: number[]; // timestamps of scatter frames drawn
  drawMs: number[]; // time to draw one scatter frame
  kernelMs: number[]; // time Python spent decoding each answered hover request
  requests: () => { sent: number; dropped: number };
  lattice: () => { view: View; n: number; values: number[] } | null; // the lattice drawn
  drawn: number; // points drawn in the last frame
}

interface Tile {
  view: View;
  n: number;
  values: Float32Array;
  atlas: HTMLCanvasElement | null;
}

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const root = widgetRoot(el, "latent-explorer");
  const standalone = isStandalone(model);
  const cleanups: Array<() => void> = [];

  // ---- state derived from the model ----
  let n = 0;
  let d = 2;
  let codes: Float32Array = new Float32Array(0);
  let proj: Float32Array = new Float32Array(0);
  let order: Uint32Array = new Uint32Array(0);
  let pxy: Float32Array = new Float32Array(0); // projected, in drawing order
  let pcol: Uint32Array = new Uint32Array(0);
  let baseColors: Uint32Array = new Uint32Array(0); // colour per point, original order
  let plane: Plane | null = null;
  let sliders = new Float64Array(0);
  let spec: OutputSpec = { kind: "curve", channels: 1, size: 1, vmin: 0, vmax: 1 };
  let painter: Painter | null = null;
  let mlp: MLP | null = null;
  let scratch: MLPScratch | null = null;
  let view: View = { x0: -1, x1: 1, y0: -1, y1: 1 };
  let hoverPoint: [number, number] | null = null;
  const hoverZ = { z: new Float32Array(0) };
  let hoverOut: Float32Array = new Float32Array(0);
  let lattice: Tile | null = null;
  let path: number[] = [];
  let pathDecoded: { values: Float32Array; count: number } | null = null;
  let drag: { mode: "path" | "pan"; sx: number; sy: number; view: View; moved: boolean } | null = null;
  let tool: "path" | "pan" = "path";
  let userMoved = false; // the person panned or zoomed: training updates keep their view
  let slot = 0; // which of A, B, C the next click sets
  let tab = "point";
  let trainLoss: number[] = [];
  let latencyText = "";

  const stats: Stats = {
    hover: [],
    hoverWork: [],
    hoverPath: [],
    last: null,
    frames: [],
    drawMs: [],
    kernelMs: [],
    requests: () => ({ sent: coalescer.sent, dropped: coalescer.dropped }),
    lattice: () => (lattice ? { view: { ...lattice.view }, n: lattice.n, values: Array.from(lattice.values) } : null),
    drawn: 0,
  };
  (root as any).dlwStats = stats;

  // ---- DOM ----
  const title = h("div", { class: "dlw-title dlw-latent-title" });
  const status = h("span", { class: "dlw-muted dlw-latent-status" });
  const stopButton = needsKernel(model, h("button", { class: "dlw-button dlw-latent-stop", type: "button" }, ["■ Stop"]));
  const header = h("div", { class: "dlw-toolbar" }, [title, status, stopButton]);

  const modeSelect = needsKernel(model, h("select", { class: "dlw-latent-mode", "aria-label": "projection" }, [
    h("option", { value: "pca" }, ["PCA (first two components)"]),
    h("option", { value: "dims" }, ["two latent dimensions"]),
  ]));
  const dimX = needsKernel(model, h("select", { class: "dlw-latent-dimx", "aria-label": "x dimension" }));
  const dimY = needsKernel(model, h("select", { class: "dlw-latent-dimy", "aria-label": "y dimension" }));
  const dimsLabel = h("label", {}, ["x", dimX, "y", dimY]);
  const latticeBox = h("input", { type: "checkbox", class: "dlw-latent-lattice" });
  const latticeN = h("input", { type: "number", min: 2, max: 32, step: 1, value: 10, class: "dlw-latent-lattice-n", style: "width:4em" });
  const pathTool = h("button", { class: "dlw-button dlw-latent-tool-path", type: "button", title: "drag draws a path; click picks a point" }, ["✎ path"]);
  const panTool = h("button", { class: "dlw-button dlw-latent-tool-pan", type: "button", title: "drag pans (or Shift+drag); wheel zooms; double-click resets" }, ["⇕ pan"]);
  const slotButtons = ["A", "B", "C"].map((s, i) =>
    h("button", { class: `dlw-button dlw-latent-slot dlw-latent-slot-${s}`, type: "button", title: `the next click sets point ${s}` }, [s]),
  );
  slotButtons.forEach((b, i) => b.addEventListener("click", () => { slot = i; updateSlots(); }));
  const pathSelect = h("select", { class: "dlw-latent-decode-path", "aria-label": "decoding" }, [
    h("option", { value: "auto" }, ["decode: auto"]),
    h("option", { value: "browser" }, ["decode: in browser"]),
    h("option", { value: "kernel" }, ["decode: kernel"]),
  ]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [
    h("label", {}, ["view", modeSelect]),
    dimsLabel,
    h("label", {}, [latticeBox, "decoded lattice", latticeN]),
    pathTool,
    panTool,
    h("span", { class: "dlw-muted" }, ["click sets"]),
    ...slotButtons,
    pathSelect,
  ]);

  const scatter = createSurface(MARGIN.left + PLOT + MARGIN.right, MARGIN.top + PLOT + MARGIN.bottom, "dlw-canvas dlw-latent-scatter");
  scatter.canvas.tabIndex = 0;
  const legend = h("div", { class: "dlw-legend dlw-latent-legend", style: "flex-wrap:wrap;max-width:520px" });
  const hoverReadout = h("div", { class: "dlw-readout dlw-latent-hover" }, ["move the pointer over the plot to decode"]);
  const left = h("div", {}, [scatter.canvas, legend, hoverReadout]);

  const decoded = createSurface(DECODED, DECODED, "dlw-canvas dlw-latent-decoded");
  const decodedCaption = h("div", { class: "dlw-readout dlw-latent-latency" });
  const pathNote = h("div", { class: "dlw-muted dlw-latent-path-note" });
  const slidersBox = h("div", { class: "dlw-latent-sliders", style: "max-height:220px;overflow-y:auto;margin-top:6px" });
  const loss = createSurface(DECODED, 60, "dlw-canvas dlw-latent-loss");
  loss.canvas.style.display = "none";
  const right = h("div", { style: `width:${DECODED + 20}px` }, [
    h("div", { class: "dlw-muted" }, ["decoded at the pointer"]),
    decoded.canvas,
    decodedCaption,
    pathNote,
    slidersBox,
    loss.canvas,
  ]);
  const row = h("div", { class: "dlw-row" }, [left, right]);

  const pathStrip = createSurface(PATH_STEPS * (THUMB + 4), THUMB + 4, "dlw-canvas dlw-latent-path");
  const pathLabel = h("div", { class: "dlw-muted" }, ["drag on the plot to draw a path: its decodings appear here"]);

  const tabNames: Array<[string, string]> = [
    ["point", "Point"],
    ["interp", "Interpolate A→B"],
    ["arith", "A − B + C"],
    ["traverse", "Traverse dims"],
    ["anomalies", "Worst reconstructions"],
  ];
  const tabButtons = tabNames.map(([key, label]) => {
    const b = h("button", { class: `dlw-button dlw-latent-tab dlw-latent-tab-${key}`, type: "button" }, [label]);
    b.addEventListener("click", () => { tab = key; drawPanel(); requestDraw(); });
    return b;
  });
  const panelText = h("div", { class: "dlw-readout dlw-latent-panel-text", style: "white-space:pre-wrap" });
  const panel = createSurface(680, 120, "dlw-canvas dlw-latent-panel");
  const problem = h("div", { class: "dlw-error dlw-latent-problem" });
  root.append(header, toolbar, problem, row, pathLabel, pathStrip.canvas,
    h("div", { class: "dlw-toolbar", style: "margin-top:8px" }, tabButtons), panelText, panel.canvas);

  // ---- kernel requests ----
  interface Req { z: Float32Array; t0: number; work?: number; p?: number[]; view?: View; n?: number; count?: number }
  const requestMeta = new Map<number, Req>();
  const coalescer = new Coalescer<Req>((purpose, id, p) => {
    requestMeta.set(id, p);
    const buf = Float32Array.from(p.z).buffer;
    model.send({ type: "decode", id, purpose }, undefined, [buf]);
  });

  function decodePath(): DecodePath {
    const pref = String(model.get("decode_path") || "auto");
    if (mlp && (pref !== "kernel" || standalone)) return "browser";
    if (!standalone) return "kernel";
    return gridData() ? "grid" : "none";
  }

  function gridData(): { xr: number[]; yr: number[]; n: number; values: Float32Array } | null {
    const g = model.get("grid");
    if (!g || !g.images) return null;
    return { xr: g.x_range, yr: g.y_range, n: g.n, values: decodeFloat(g.images).data as Float32Array };
  }

  /** Decode `count` codes synchronously (browser MLP), or null when only the kernel can. */
  function decodeLocal(z: Float32Array, count: number, out?: Float32Array): Float32Array | null {
    if (!mlp || !scratch) return null;
    return mlpForward(mlp, z, count, out, scratch);
  }

  function zFor(points: ArrayLike<number>, count: number): Float32Array {
    const z = new Float32Array(count * d);
    if (!plane) return z;
    for (let i = 0; i < count; i++) toLatent(plane, points[2 * i], points[2 * i + 1], sliders, z, i * d);
    return z;
  }

  // ---- reading state ----
  function readCodes() {
    const wire = model.get("latent_codes");
    if (!wire || !wire.shape) return;
    const arr = decodeFloat(wire);
    n = arr.shape[0];
    d = arr.shape[1] ?? 1;
    codes = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
    if (order.length !== n) order = shuffledOrder(n);
  }

  function readColors() {
    const kind = model.get("label_kind");
    const wire = model.get("label_values");
    baseColors = new Uint32Array(n);
    legend.replaceChildren();
    if (kind === "categorical" && wire && wire.shape) {
      const names: string[] = model.get("label_names") ?? [];
      const palette = categoryColors(names.length).map(parseColor);
      const lab = decodeArray(wire).data;
      for (let i = 0; i < n; i++) {
        const c = palette[lab[i] % palette.length] ?? [47, 111, 223];
        baseColors[i] = packColor(c[0], c[1], c[2]);
      }
      names.forEach((name, i) => {
        const c = palette[i % palette.length];
        legend.append(h("span", {}, [h("span", { class: "dlw-swatch", style: `background:rgb(${c[0]},${c[1]},${c[2]});height:10px;width:10px;border-radius:5px` }), name]));
      });
    } else if (kind === "continuous" && wire && wire.shape) {
      const vals = decodeArray(wire).data;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        if (vals[i] < lo) lo = vals[i];
        if (vals[i] > hi) hi = vals[i];
      }
      const span = hi - lo || 1;
      for (let i = 0; i < n; i++) {
        const c = parseColor(interpolateViridis((vals[i] - lo) / span));
        baseColors[i] = packColor(c[0], c[1], c[2]);
      }
      legend.append(h("span", {}, [`colour: label from ${formatNumber(lo)} (purple) to ${formatNumber(hi)} (yellow)`]));
    } else {
      baseColors.fill(packColor(47, 111, 223));
    }
    permute();
  }

  function readPlane() {
    plane = planeFromState(model.get("plane"), d);
    if (!plane) return;
    const s: number[] = model.get("sliders") ?? [];
    sliders = Float64Array.from({ length: plane.k }, (_, i) => s[i] ?? 0);
    hoverZ.z = new Float32Array(d);
    buildSliders();
    syncControls();
  }

  function reproject(refit: boolean) {
    if (!plane) return;
    proj = projectCodes(codes, n, plane, proj.length === 2 * n ? proj : undefined);
    permute();
    if (refit) view = fitView(proj, n);
  }

  function permute() {
    if (pxy.length !== 2 * n) pxy = new Float32Array(2 * n);
    if (pcol.length !== n) pcol = new Uint32Array(n);
    if (proj.length !== 2 * n || baseColors.length !== n) return;
    for (let i = 0; i < n; i++) {
      const j = order[i];
      pxy[2 * i] = proj[2 * j];
      pxy[2 * i + 1] = proj[2 * j + 1];
      pcol[i] = baseColors[j];
    }
  }

  function readOutput() {
    const out = model.get("output") ?? {};
    spec = {
      kind: out.kind === "image" ? "image" : "curve",
      channels: out.channels ?? 1,
      height: out.height,
      width: out.width,
      length: out.length,
      layout: out.layout,
      size: out.size ?? 1,
      vmin: out.vmin ?? 0,
      vmax: out.vmax ?? 1,
    };
    painter = new Painter(spec);
    hoverOut = new Float32Array(spec.size);
    lattice = null;
  }

  function readMLP() {
    try {
      mlp = mlpFromState(model.get("decoder_mlp"));
    } catch (err) {
      mlp = null;
      problem.textContent = `in-browser decoder unavailable: ${String(err)}`;
    }
    scratch = mlp ? scratchFor(mlp) : null;
  }

  // ---- controls ----
  function syncControls() {
    const mode = model.get("projection_mode");
    modeSelect.value = mode;
    const dims: number[] = model.get("dims") ?? [0, 1];
    const options = () => Array.from({ length: d }, (_, i) => h("option", { value: i }, [`z${i}`]));
    dimX.replaceChildren(...options());
    dimY.replaceChildren(...options());
    dimX.value = String(dims[0] ?? 0);
    dimY.value = String(dims[1] ?? 1);
    dimsLabel.style.display = mode === "dims" ? "" : "none";
    modeSelect.parentElement!.style.display = d > 2 ? "" : "none";
    if (d <= 2) dimsLabel.style.display = "none";
    pathSelect.value = String(model.get("decode_path") || "auto");
    const kernelOption = pathSelect.querySelector("option[value=kernel]") as HTMLOptionElement | null;
    if (kernelOption) kernelOption.disabled = standalone;
    const browserOption = pathSelect.querySelector("option[value=browser]") as HTMLOptionElement | null;
    if (browserOption) browserOption.disabled = !mlp;
    pathSelect.title = mlp
      ? `in-browser decoder: MLP of ${model.get("decoder_mlp")?.params ?? "?"} parameters`
      : `decoding needs the kernel: ${model.get("mlp_reason") || "no MLP decoder"}`;
    latticeBox.checked = Boolean(model.get("show_lattice"));
    latticeN.value = String(model.get("lattice_n") ?? 10);
    pathTool.classList.toggle("dlw-primary", tool === "path");
    panTool.classList.toggle("dlw-primary", tool === "pan");
    updateSlots();
  }

  function updateSlots() {
    slotButtons.forEach((b, i) => b.classList.toggle("dlw-primary", i === slot));
  }

  function buildSliders() {
    slidersBox.replaceChildren();
    if (!plane || plane.k === 0) return;
    slidersBox.append(h("div", { class: "dlw-muted" }, [
      plane.mode === "pca" ? "other components (0 = through the mean)" : "other dimensions (fixed values)",
    ]));
    for (let i = 0; i < plane.k; i++) {
      const lo = plane.sliderMin[i] ?? -1;
      const hi = plane.sliderMax[i] ?? 1;
      const input = h("input", {
        type: "range", min: lo, max: hi, step: (hi - lo) / 200 || 0.01, value: sliders[i],
        class: `dlw-latent-slider dlw-latent-slider-${i}`, "aria-label": plane.sliderLabels[i] ?? `s${i}`,
      });
      const value = h("span", { class: "dlw-readout" }, [formatNumber(sliders[i], 3)]);
      input.addEventListener("input", () => {
        sliders[i] = Number(input.value);
        value.textContent = formatNumber(sliders[i], 3);
        lattice = null;
        if (hoverPoint) decodeHover(hoverPoint[0], hoverPoint[1], performance.now());
        requestLattice();
        requestDraw();
      });
      input.addEventListener("change", () => {
        if (standalone) return;
        model.set("sliders", Array.from(sliders));
        model.save_changes();
      });
      slidersBox.append(h("label", { style: "display:flex;gap:6px;align-items:center" }, [
        h("span", { style: "width:3.5em" }, [plane.sliderLabels[i] ?? `s${i}`]), input, value,
      ]));
    }
  }

  modeSelect.addEventListener("change", () => {
    model.set("projection_mode", modeSelect.value);
    model.save_changes();
  });
  const setDims = () => {
    const x = Number(dimX.value);
    let y = Number(dimY.value);
    if (x === y) {
      y = (x + 1) % d;
      dimY.value = String(y);
    }
    model.set("dims", [x, y]);
    model.save_changes();
  };
  dimX.addEventListener("change", setDims);
  dimY.addEventListener("change", setDims);
  latticeBox.addEventListener("change", () => {
    model.set("show_lattice", latticeBox.checked);
    model.save_changes();
    lattice = null;
    requestLattice();
    requestDraw();
  });
  latticeN.addEventListener("change", () => {
    const v = Math.max(2, Math.min(32, Math.round(Number(latticeN.value) || 10)));
    latticeN.value = String(v);
    model.set("lattice_n", v);
    model.save_changes();
    lattice = null;
    requestLattice();
  });
  pathTool.addEventListener("click", () => { tool = "path"; syncControls(); });
  panTool.addEventListener("click", () => { tool = "pan"; syncControls(); });
  pathSelect.addEventListener("change", () => {
    model.set("decode_path", pathSelect.value);
    model.save_changes();
  });
  stopButton.addEventListener("click", () => model.send({ type: "stop" }));

  // ---- scatter drawing ----
  const plotRect = () => ({ left: MARGIN.left, top: MARGIN.top, width: PLOT, height: PLOT });
  const cssTransform = (): Transform => transformFor(view, MARGIN.left, MARGIN.top, PLOT, PLOT);
  let pixelCanvas: HTMLCanvasElement | null = null;
  let pixelImage: ImageData | null = null;
  let pixels: Uint32Array | null = null;
  let raf = 0;

  function requestDraw() {
    if (!raf) raf = requestAnimationFrame(() => { raf = 0; drawScatter(); });
  }

  function pointSize(ratio: number): number {
    const base = n > 50000 ? 2 : n > 10000 ? 2.5 : n > 2000 ? 3.5 : 5;
    return Math.max(1, Math.round(base * ratio));
  }

  function drawScatter() {
    const t0 = performance.now();
    const { ctx, width, height, canvas } = scatter;
    const ratio = canvas.width / width;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    const rect = plotRect();
    const tr = cssTransform();
    // lattice tiles under the points
    const showLattice = Boolean(model.get("show_lattice"));
    if (showLattice) drawLattice(ctx, tr);
    // points: raw pixel buffer at device resolution, composited over the lattice
    const pw = Math.round(rect.width * ratio);
    const ph = Math.round(rect.height * ratio);
    if (!pixelCanvas || pixelCanvas.width !== pw || pixelCanvas.height !== ph) {
      pixelCanvas = document.createElement("canvas");
      pixelCanvas.width = pw;
      pixelCanvas.height = ph;
      pixelImage = pixelCanvas.getContext("2d")!.createImageData(pw, ph);
      pixels = new Uint32Array(pixelImage.data.buffer);
    }
    if (pixels && pixelImage && pixelCanvas) {
      pixels.fill(0);
      const dtr = transformFor(view, 0, 0, pw, ph);
      stats.drawn = rasterize(pixels, pw, ph, pxy, pcol, n, dtr, pointSize(ratio));
      pixelCanvas.getContext("2d")!.putImageData(pixelImage, 0, 0);
      ctx.save();
      if (showLattice) ctx.globalAlpha = 0.55;
      ctx.drawImage(pixelCanvas, rect.left, rect.top, rect.width, rect.height);
      ctx.restore();
    }
    drawOverlays(ctx, tr);
    drawAxes(ctx, tr);
    const t1 = performance.now();
    stats.drawMs.push(t1 - t0);
    stats.frames.push(t1);
    if (stats.drawMs.length > 600) stats.drawMs.splice(0, 300);
    if (stats.frames.length > 600) stats.frames.splice(0, 300);
  }

  function drawAxes(ctx: CanvasRenderingContext2D, tr: Transform) {
    const rect = plotRect();
    ctx.strokeStyle = "#9aa5b1";
    ctx.lineWidth = 1;
    ctx.strokeRect(rect.left + 0.5, rect.top + 0.5, rect.width - 1, rect.height - 1);
    ctx.fillStyle = "#616e7c";
    ctx.font = "11px system-ui, sans-serif";
    const sx = scaleLinear().domain([view.x0, view.x1]);
    const sy = scaleLinear().domain([view.y0, view.y1]);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of sx.ticks(6)) {
      const px = tr.kx * t + tr.bx;
      ctx.fillRect(px, rect.top + rect.height, 1, 4);
      ctx.fillText(formatNumber(t, 3), px, rect.top + rect.height + 5);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of sy.ticks(6)) {
      const py = tr.ky * t + tr.by;
      ctx.fillRect(rect.left - 4, py, 4, 1);
      ctx.fillText(formatNumber(t, 3), rect.left - 6, py);
    }
    const labels = plane?.axisLabels ?? ["x", "y"];
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(labels[0], rect.left + rect.width / 2, rect.top + rect.height + MARGIN.bottom);
    ctx.save();
    ctx.translate(10, rect.top + rect.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(labels[1], 0, 0);
    ctx.restore();
  }

  function drawLattice(ctx: CanvasRenderingContext2D, tr: Transform) {
    let tile = lattice;
    if (!tile && decodePath() === "grid") {
      const g = gridData();
      if (g) tile = { view: { x0: g.xr[0], x1: g.xr[1], y0: g.yr[0], y1: g.yr[1] }, n: g.n, values: g.values, atlas: null };
      lattice = tile;
    }
    if (!tile || !painter) return;
    const rect = plotRect();
    const x0 = tr.kx * tile.view.x0 + tr.bx;
    const x1 = tr.kx * tile.view.x1 + tr.bx;
    const y0 = tr.ky * tile.view.y1 + tr.by;
    const y1 = tr.ky * tile.view.y0 + tr.by;
    ctx.save();
    ctx.beginPath();
    ctx.rect(rect.left, rect.top, rect.width, rect.height);
    ctx.clip();
    if (!tile.atlas) tile.atlas = painter.atlas(tile.values, tile.n, 48);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tile.atlas, x0, y0, x1 - x0, y1 - y0);
    ctx.restore();
  }

  function projectZ(z: ArrayLike<number>, count: number): Float32Array {
    return plane ? projectCodes(z, count, plane) : new Float32Array(2 * count);
  }

  function codeOf(i: number): Float32Array {
    return codes.subarray(i * d, (i + 1) * d);
  }

  function drawOverlays(ctx: CanvasRenderingContext2D, tr: Transform) {
    const rect = plotRect();
    ctx.save();
    ctx.beginPath();
    ctx.rect(rect.left, rect.top, rect.width, rect.height);
    ctx.clip();
    const px = (x: number) => tr.kx * x + tr.bx;
    const py = (y: number) => tr.ky * y + tr.by;
    const polyline = (pts: ArrayLike<number>, count: number, color: string, dash: number[], widthPx = 2) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = widthPx;
      ctx.setLineDash(dash);
      ctx.beginPath();
      for (let i = 0; i < count; i++) {
        if (i === 0) ctx.moveTo(px(pts[0]), py(pts[1]));
        else ctx.lineTo(px(pts[2 * i]), py(pts[2 * i + 1]));
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    // anomalies
    if (tab === "anomalies") {
      const idx = anomalyIndex();
      ctx.strokeStyle = "#c92a2a";
      ctx.lineWidth = 1.5;
      for (let r = 0; r < idx.length; r++) {
        const i = idx[r];
        ctx.beginPath();
        ctx.arc(px(proj[2 * i]), py(proj[2 * i + 1]), 6, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
    // interpolation paths
    const res = results();
    if (res.interp) {
      polyline(projectZ(res.interp.zl, res.interp.steps), res.interp.steps, "#1f2933", [], 2);
      polyline(projectZ(res.interp.zs, res.interp.steps), res.interp.steps, "#e8590c", [5, 4], 2);
    }
    if (res.arith) {
      const p = projectZ(res.arith.z, 1);
      ctx.fillStyle = "#e8590c";
      ctx.strokeStyle = "#1f2933";
      star(ctx, px(p[0]), py(p[1]), 8);
    }
    // the drawn path
    if (path.length >= 4) polyline(path, path.length / 2, "#2f6fdf", [], 2.5);
    if (pathDecoded && path.length >= 4) {
      const pts = resamplePath(path, PATH_STEPS);
      ctx.fillStyle = "#2f6fdf";
      for (let i = 0; i < PATH_STEPS; i++) {
        ctx.beginPath();
        ctx.arc(px(pts[2 * i]), py(pts[2 * i + 1]), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    // selections A, B, C and the focused point
    const sel: number[] = model.get("selected") ?? [];
    const focus = Number(model.get("focus") ?? -1);
    if (focus >= 0 && focus < n) {
      ctx.strokeStyle = "#1f2933";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(px(proj[2 * focus]), py(proj[2 * focus + 1]), 8, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.font = "bold 12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ["A", "B", "C"].forEach((label, k) => {
      const i = sel[k];
      if (i === undefined || i < 0 || i >= n) return;
      const x = px(proj[2 * i]);
      const y = py(proj[2 * i + 1]);
      ctx.fillStyle = "rgba(255,255,255,0.9)";
      ctx.strokeStyle = "#1f2933";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = "#1f2933";
      ctx.fillText(label, x, y + 0.5);
    });
    // hover crosshair
    if (hoverPoint) {
      ctx.strokeStyle = "rgba(31,41,51,0.5)";
      ctx.lineWidth = 1;
      const x = px(hoverPoint[0]);
      const y = py(hoverPoint[1]);
      ctx.beginPath();
      ctx.moveTo(x - 8, y);
      ctx.lineTo(x + 8, y);
      ctx.moveTo(x, y - 8);
      ctx.lineTo(x, y + 8);
      ctx.stroke();
    }
    ctx.restore();
  }

  function star(ctx: CanvasRenderingContext2D, x: number, y: number, r: number) {
    ctx.beginPath();
    for (let i = 0; i < 10; i++) {
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      const rr = i % 2 === 0 ? r : r * 0.45;
      if (i === 0) ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
      else ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
    }
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }

  // ---- decoding at the pointer ----
  function drawDecodedOutput(values: ArrayLike<number>, offset: number, t0: number, how: string, work: number,
    p: number[], z: ArrayLike<number>) {
    const { ctx, width, height } = decoded;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    painter?.draw(ctx, values, offset, 0, 0, width, height);
    const now = performance.now();
    const ms = now - t0;
    stats.hover.push(ms);
    stats.hoverWork.push(now - work);
    stats.hoverPath.push(how);
    if (stats.hover.length > 1000) {
      stats.hover.splice(0, 500);
      stats.hoverWork.splice(0, 500);
      stats.hoverPath.splice(0, 500);
    }
    stats.last = { p, z: Array.from(z), out: Array.from({ length: spec.size }, (_, j) => values[offset + j]), how };
    latencyText = `${how}: ${ms.toFixed(1)} ms`;
    decodedCaption.textContent = `${latencyText} (pointer → image)`;
  }

  function decodeHover(x: number, y: number, t0: number) {
    if (!plane) return;
    const work = performance.now();
    toLatent(plane, x, y, sliders, hoverZ.z);
    const how = decodePath();
    if (how === "browser") {
      decodeLocal(hoverZ.z, 1, hoverOut);
      drawDecodedOutput(hoverOut, 0, t0, "in browser", work, [x, y], hoverZ.z);
    } else if (how === "kernel") {
      coalescer.request("hover", { z: hoverZ.z.slice(), t0, work, p: [x, y] });
    } else if (how === "grid") {
      const g = gridData();
      if (!g) return;
      const c = Math.floor(((x - g.xr[0]) / (g.xr[1] - g.xr[0])) * g.n);
      const r = Math.floor(((g.yr[1] - y) / (g.yr[1] - g.yr[0])) * g.n);
      if (c < 0 || r < 0 || c >= g.n || r >= g.n) {
        decodedCaption.textContent = "outside the precomputed grid (static page)";
        return;
      }
      drawDecodedOutput(g.values, (r * g.n + c) * spec.size, t0, "precomputed grid cell", work, [x, y], hoverZ.z);
    } else {
      decodedCaption.textContent = "decoding needs a kernel";
    }
    const zText = Array.from(hoverZ.z.slice(0, 6), (v) => formatNumber(v, 3)).join(", ");
    hoverReadout.textContent = `${plane.axisLabels[0]} = ${formatNumber(x, 3)}, ${plane.axisLabels[1]} = ${formatNumber(y, 3)}   z = [${zText}${d > 6 ? ", …" : ""}]`;
  }

  function requestLattice() {
    if (!model.get("show_lattice") || !plane || !painter) return;
    const k = Number(model.get("lattice_n") ?? 10);
    const cells = latticeCells(view, k);
    const z = zFor(cells, k * k);
    const how = decodePath();
    const v = { ...view };
    if (how === "browser") {
      const out = decodeLocal(z, k * k);
      if (out) lattice = { view: v, n: k, values: out, atlas: null };
      requestDraw();
    } else if (how === "kernel") {
      coalescer.request("lattice", { z, t0: performance.now(), view: v, n: k });
    }
  }

  function decodePathStrip() {
    if (path.length < 4 || !plane) return;
    const pts = resamplePath(path, PATH_STEPS);
    const z = zFor(pts, PATH_STEPS);
    const how = decodePath();
    if (how === "browser") {
      const out = decodeLocal(z, PATH_STEPS);
      if (out) showPath(out, PATH_STEPS);
    } else if (how === "kernel") {
      coalescer.request("path", { z, t0: performance.now(), count: PATH_STEPS });
    } else {
      pathLabel.textContent = "decoding a path needs a kernel or an MLP decoder";
    }
  }

  function showPath(values: Float32Array, count: number) {
    pathDecoded = { values, count };
    const { ctx, width, height } = pathStrip;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    for (let i = 0; i < count; i++) painter?.draw(ctx, values, i * spec.size, 2 + i * (THUMB + 4), 2, THUMB, THUMB);
    pathLabel.textContent = `decoded along the drawn path (${count} evenly spaced points, start → end)`;
    requestDraw();
  }

  function onCustom(content: any, buffers: Array<DataView | ArrayBuffer>) {
    if (!content || typeof content !== "object") return;
    if (content.type === "train") return onTrain(content, buffers);
    if (content.type === "error") {
      coalescer.settle(content.purpose, content.id);
      problem.textContent = String(content.message ?? "decoding failed");
      return;
    }
    if (content.type !== "decoded") return;
    const meta = requestMeta.get(content.id);
    requestMeta.delete(content.id);
    if (!coalescer.settle(content.purpose, content.id)) return;
    const values = floatsOf(buffers[0]);
    if (content.purpose === "hover" && meta) {
      stats.kernelMs.push(Number(content.ms ?? NaN));
      if (stats.kernelMs.length > 1000) stats.kernelMs.splice(0, 500);
      drawDecodedOutput(values, 0, meta.t0, "kernel", meta.work ?? meta.t0, meta.p ?? [], meta.z);
    }
    else if (content.purpose === "lattice" && meta?.view && meta.n) {
      lattice = { view: meta.view, n: meta.n, values, atlas: null };
      requestDraw();
    } else if (content.purpose === "path") showPath(values, content.shape?.[0] ?? PATH_STEPS);
    problem.textContent = model.get("problem") || "";
  }

  function floatsOf(buf: DataView | ArrayBuffer | undefined): Float32Array {
    if (!buf) return new Float32Array(0);
    const view = buf instanceof ArrayBuffer ? new DataView(buf) : buf;
    if (view.byteOffset % 4 === 0) return new Float32Array(view.buffer, view.byteOffset, view.byteLength / 4);
    return new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  }

  function onTrain(content: any, buffers: Array<DataView | ArrayBuffer>) {
    const c = floatsOf(buffers[0]);
    const shape: number[] = content.codes_shape ?? [];
    if (shape.length === 2 && shape[0] === n && shape[1] === d && c.length === n * d) codes = Float32Array.from(c);
    const layers: MLPLayer[] = [];
    for (const l of content.mlp_layers ?? []) {
      const layer: MLPLayer = { kind: l.kind, slope: l.slope, alpha: l.alpha, beta: l.beta, threshold: l.threshold };
      if (l.kind === "linear") {
        layer.weight = Float32Array.from(floatsOf(buffers[l.weight_buffer]));
        layer.rows = l.weight_shape[0];
        layer.cols = l.weight_shape[1];
        layer.bias = l.bias_buffer !== undefined ? Float32Array.from(floatsOf(buffers[l.bias_buffer])) : null;
      }
      layers.push(layer);
    }
    if (layers.length) {
      try {
        mlp = makeMLP(layers, d);
        scratch = scratchFor(mlp);
      } catch {
        /* keep the previous decoder */
      }
    }
    const pl = content.plane ?? {};
    if (plane && pl.origin && pl.basis) {
      plane.origin = Float64Array.from(floatsOf(buffers[pl.origin.buffer]));
      plane.basis = Float64Array.from(floatsOf(buffers[pl.basis.buffer]));
      if (pl.others) plane.others = Float64Array.from(floatsOf(buffers[pl.others.buffer]));
    }
    trainLoss = trainLoss.slice(0, content.first ?? trainLoss.length).concat(content.loss ?? []);
    status.textContent = `training: epoch ${content.epoch}/${content.epochs} · loss ${formatNumber(trainLoss[trainLoss.length - 1] ?? NaN, 4)}`;
    reproject(!userMoved); // follow the codes as they spread, unless the view was moved
    lattice = null;
    requestLattice();
    drawLoss();
    if (hoverPoint) decodeHover(hoverPoint[0], hoverPoint[1], performance.now());
    requestDraw();
  }

  function drawLoss() {
    const hist = model.get("history");
    let values = trainLoss;
    if (hist && hist.loss && hist.loss.shape && hist.loss.shape[0] >= values.length) values = Array.from(decodeFloat(hist.loss).data);
    if (!values.length) {
      loss.canvas.style.display = "none";
      return;
    }
    loss.canvas.style.display = "";
    const { ctx, width, height } = loss;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    const finite = values.filter(Number.isFinite);
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    const sx = scaleLinear().domain([0, Math.max(1, values.length - 1)]).range([4, width - 4]);
    const sy = scaleLinear().domain([lo, hi > lo ? hi : lo + 1]).range([height - 14, 4]);
    ctx.strokeStyle = "#2f6fdf";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    values.forEach((v, i) => (i === 0 ? ctx.moveTo(sx(i), sy(v)) : ctx.lineTo(sx(i), sy(v))));
    ctx.stroke();
    ctx.fillStyle = "#616e7c";
    ctx.font = "10px system-ui, sans-serif";
    ctx.textBaseline = "bottom";
    ctx.fillText(`loss per epoch: ${formatNumber(values[values.length - 1], 4)}`, 4, height);
  }

  // ---- selection results: Python's (kernel) or computed here (static page with an MLP) ----
  interface Results {
    interp?: { a: number; b: number; steps: number; zl: ArrayLike<number>; zs: ArrayLike<number>; lerp: ArrayLike<number>; slerp: ArrayLike<number> };
    arith?: { a: number; b: number; c: number; z: ArrayLike<number>; images: ArrayLike<number> };
    trav?: { base: number; dims: number[]; steps: number; values: ArrayLike<number>; images: ArrayLike<number> };
    detail?: { index: number; input?: ArrayLike<number>; recon?: ArrayLike<number>; error?: number };
  }
  let localCache: { key: string; res: Results } | null = null;

  function results(): Results {
    const sel: number[] = model.get("selected") ?? [-1, -1, -1];
    const focus = Number(model.get("focus") ?? -1);
    if (standalone && mlp) {
      const key = `${sel.join(",")}|${focus}|${model.get("interp_steps")}`;
      if (localCache && localCache.key === key) return localCache.res;
      localCache = { key, res: computeLocal(sel, focus) };
      return localCache.res;
    }
    const res: Results = {};
    const ip = model.get("interpolation");
    if (ip && ip.lerp) {
      const zl = decodeFloat(ip.z_lerp);
      res.interp = { a: ip.a, b: ip.b, steps: zl.shape[0], zl: zl.data, zs: decodeFloat(ip.z_slerp).data, lerp: decodeFloat(ip.lerp).data, slerp: decodeFloat(ip.slerp).data };
    }
    const ar = model.get("arithmetic_result");
    if (ar && ar.z) res.arith = { a: ar.a, b: ar.b, c: ar.c, z: decodeFloat(ar.z).data, images: decodeFloat(ar.images).data };
    const tv = model.get("traversal");
    if (tv && tv.images) {
      const img = decodeFloat(tv.images);
      res.trav = { base: tv.base, dims: tv.dims, steps: img.shape[1], values: decodeFloat(tv.values).data, images: img.data };
    }
    const dt = model.get("detail");
    if (dt && dt.recon) {
      res.detail = { index: dt.index, recon: decodeFloat(dt.recon).data, input: dt.input ? decodeFloat(dt.input).data : undefined, error: dt.error };
    } else if (standalone && focus >= 0) {
      res.detail = { index: focus, input: inputOf(focus) };
    }
    return res;
  }

  function inputOf(i: number): Float32Array | undefined {
    const inp = model.get("inputs");
    if (!inp || !inp.shape) return undefined;
    const arr = decodeFloat(inp);
    const size = arr.shape[1];
    return (arr.data as Float32Array).subarray(i * size, (i + 1) * size);
  }

  function computeLocal(sel: number[], focus: number): Results {
    const res: Results = {};
    const [a, b, c] = sel;
    const ok = (i: number) => i !== undefined && i >= 0 && i < n;
    const steps = Number(model.get("interp_steps") ?? 9);
    if (ok(a) && ok(b)) {
      const zl = Float32Array.from(lerpCodes(codeOf(a), codeOf(b), steps));
      const zs = Float32Array.from(slerpCodes(codeOf(a), codeOf(b), steps));
      res.interp = { a, b, steps, zl, zs, lerp: decodeLocal(zl, steps)!, slerp: decodeLocal(zs, steps)! };
    }
    if (ok(a) && ok(b) && ok(c)) {
      const z = new Float32Array(4 * d);
      for (let j = 0; j < d; j++) {
        z[j] = codes[a * d + j];
        z[d + j] = codes[b * d + j];
        z[2 * d + j] = codes[c * d + j];
        z[3 * d + j] = codes[a * d + j] - codes[b * d + j] + codes[c * d + j];
      }
      res.arith = { a, b, c, z: z.subarray(3 * d), images: decodeLocal(z, 4)! };
    }
    const tv = model.get("traversal");
    if (tv && tv.values) {
      const vals = decodeFloat(tv.values);
      const dims: number[] = tv.dims;
      const tsteps = vals.shape[1];
      const base = ok(focus) ? codeOf(focus) : ok(a) ? codeOf(a) : null;
      if (base) {
        const z = new Float32Array(dims.length * tsteps * d);
        dims.forEach((k, r) => {
          for (let s = 0; s < tsteps; s++) {
            const off = (r * tsteps + s) * d;
            z.set(base, off);
            z[off + k] = vals.data[r * tsteps + s];
          }
        });
        res.trav = { base: ok(focus) ? focus : a, dims, steps: tsteps, values: vals.data, images: decodeLocal(z, dims.length * tsteps)! };
      } else if (tv.images) {
        const img = decodeFloat(tv.images);
        res.trav = { base: tv.base, dims, steps: tsteps, values: vals.data, images: img.data };
      }
    }
    if (ok(focus)) {
      const recon = decodeLocal(codeOf(focus).slice(), 1)!;
      const input = inputOf(focus);
      let error: number | undefined;
      if (input && input.length === recon.length) {
        error = 0;
        for (let j = 0; j < recon.length; j++) error += (input[j] - recon[j]) ** 2;
        error /= recon.length;
      }
      res.detail = { index: focus, input, recon, error };
    }
    return res;
  }

  function anomalyIndex(): Int32Array {
    const an = model.get("anomalies");
    if (!an || !an.index) return new Int32Array(0);
    return decodeArray(an.index).data as Int32Array;
  }

  function labelName(i: number): string {
    const names: string[] = model.get("label_names") ?? [];
    const wire = model.get("label_values");
    if (!wire || !wire.shape || i < 0 || i >= n) return "";
    const v = decodeArray(wire).data[i];
    return model.get("label_kind") === "categorical" ? `label ${names[v] ?? v}` : `label ${formatNumber(v, 4)}`;
  }

  // ---- the panel under the plot ----
  function panelSize(w: number, hgt: number) {
    if (panel.width !== w || panel.height !== hgt) panel.resize(w, hgt);
    const { ctx } = panel;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w, hgt);
    return ctx;
  }

  function thumbRow(ctx: CanvasRenderingContext2D, values: ArrayLike<number>, count: number, y: number, x0 = 90, size = THUMB, label = "") {
    ctx.fillStyle = "#616e7c";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    if (label) ctx.fillText(label, 4, y + size / 2);
    for (let i = 0; i < count; i++) painter?.draw(ctx, values, i * spec.size, x0 + i * (size + 4), y, size, size);
  }

  function drawPanel() {
    tabButtons.forEach((b, i) => b.classList.toggle("dlw-primary", tabNames[i][0] === tab));
    const res = results();
    const needs = (what: string) => {
      panelSize(680, 10);
      panelText.textContent = standalone ? `${what} — ${KERNEL_HINT}` : what;
    };
    if (tab === "point") {
      const dt = res.detail;
      if (!dt) return needs("Click a point on the plot to compare its input with its reconstruction.");
      const size = 110;
      const ctx = panelSize(680, size + 24);
      const parts: Array<[string, ArrayLike<number> | undefined]> = [["input", dt.input], ["reconstruction", dt.recon]];
      if (dt.input && dt.recon && dt.input.length === dt.recon.length) {
        const diff = new Float32Array(dt.recon.length);
        for (let j = 0; j < diff.length; j++) diff[j] = Math.abs(dt.input[j] - dt.recon[j]) + spec.vmin;
        parts.push(["|input − reconstruction|", diff]);
      }
      ctx.font = "12px system-ui, sans-serif";
      ctx.textBaseline = "top";
      ctx.textAlign = "left";
      parts.forEach(([name, vals], k) => {
        const x = 4 + k * (size + 24);
        ctx.fillStyle = "#616e7c";
        ctx.fillText(name, x, 2);
        if (vals && painter) painter.draw(ctx, vals, 0, x, 18, size, size);
      });
      const code = Array.from(codeOf(dt.index).slice(0, 8), (v) => formatNumber(v, 3)).join(", ");
      panelText.textContent = `point #${dt.index} ${labelName(dt.index)}   ` +
        (dt.error !== undefined ? `reconstruction error (MSE) = ${formatNumber(dt.error, 4)}   ` : dt.recon ? "" : "reconstruction needs a kernel or an MLP decoder   ") +
        `code = [${code}${d > 8 ? ", …" : ""}]`;
    } else if (tab === "interp") {
      const ip = res.interp;
      if (!ip) return needs("Set points A and B (click sets A, then B) to interpolate between their codes.");
      const ctx = panelSize(90 + ip.steps * (THUMB + 4), 2 * THUMB + 12);
      thumbRow(ctx, ip.lerp, ip.steps, 2, 90, THUMB, "linear");
      thumbRow(ctx, ip.slerp, ip.steps, THUMB + 8, 90, THUMB, "slerp");
      panelText.textContent = `A = #${ip.a} → B = #${ip.b}, ${ip.steps} steps. linear: (1−t)·a + t·b (solid line on the plot); ` +
        `slerp: sin((1−t)ω)/sin ω·a + sin(tω)/sin ω·b with cos ω = a·b/(|a||b|) (dashed).`;
    } else if (tab === "arith") {
      const ar = res.arith;
      if (!ar) return needs("Set points A, B and C to decode A − B + C.");
      const size = 80;
      const ctx = panelSize(4 * (size + 40) + 10, size + 24);
      const names = [`A #${ar.a}`, `− B #${ar.b}`, `+ C #${ar.c}`, "= A − B + C"];
      ctx.font = "12px system-ui, sans-serif";
      ctx.textBaseline = "top";
      names.forEach((name, k) => {
        const x = 4 + k * (size + 40);
        ctx.fillStyle = "#616e7c";
        ctx.fillText(name, x, 2);
        painter?.draw(ctx, ar.images, k * spec.size, x, 18, size, size);
      });
      panelText.textContent = "latent arithmetic: the decoding of z_A − z_B + z_C (star on the plot)";
    } else if (tab === "traverse") {
      const tv = res.trav;
      if (!tv) return needs("No traversal yet.");
      const rows = tv.dims.length;
      const size = 40;
      const ctx = panelSize(60 + tv.steps * (size + 3), rows * (size + 3) + 4);
      tv.dims.forEach((k, r) => {
        ctx.fillStyle = "#616e7c";
        ctx.font = "12px system-ui, sans-serif";
        ctx.textAlign = "left";
        ctx.textBaseline = "middle";
        ctx.fillText(`z${k}`, 4, 2 + r * (size + 3) + size / 2);
        for (let s = 0; s < tv.steps; s++) {
          painter?.draw(ctx, tv.images, (r * tv.steps + s) * spec.size, 60 + s * (size + 3), 2 + r * (size + 3), size, size);
        }
      });
      panelText.textContent = `each row sweeps one latent dimension from its 1st to its 99th percentile over the data; ` +
        `the others stay at ${tv.base >= 0 ? `point #${tv.base}'s code` : "the mean code"}`;
    } else if (tab === "anomalies") {
      const an = model.get("anomalies");
      if (!an || !an.index) return needs("No reconstructions (a generator has no encoder, or outputs and inputs differ in size).");
      const idx = anomalyIndex();
      const errs = decodeFloat(an.errors).data;
      const inputs = decodeFloat(an.inputs).data;
      const recons = decodeFloat(an.recons).data;
      const size = 44;
      const perRow = 12;
      const rows = Math.ceil(idx.length / perRow);
      const ctx = panelSize(perRow * (size + 12), rows * (2 * size + 22));
      ctx.font = "10px system-ui, sans-serif";
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      for (let r = 0; r < idx.length; r++) {
        const x = (r % perRow) * (size + 12);
        const y = Math.floor(r / perRow) * (2 * size + 22);
        painter?.draw(ctx, inputs, r * spec.size, x, y, size, size);
        painter?.draw(ctx, recons, r * spec.size, x, y + size + 2, size, size);
        ctx.fillStyle = "#c92a2a";
        ctx.fillText(`${formatNumber(errs[r], 3)}`, x, y + 2 * size + 5);
      }
      panelText.textContent = `the ${idx.length} worst reconstructions, worst first (top: input, bottom: reconstruction, red: MSE); circled on the plot; click one to inspect it`;
    }
  }

  panel.canvas.addEventListener("click", (event) => {
    if (tab !== "anomalies") return;
    const [x, y] = pointerPosition(panel.canvas, event);
    const size = 44;
    const perRow = 12;
    const r = Math.floor(y / (2 * size + 22)) * perRow + Math.floor(x / (size + 12));
    const idx = anomalyIndex();
    if (r >= 0 && r < idx.length) {
      model.set("focus", idx[r]);
      model.save_changes();
      tab = "point";
      localCache = null;
      drawPanel();
      requestDraw();
    }
  });

  // ---- pointer interaction on the scatter ----
  const inPlot = (sx: number, sy: number) =>
    sx >= MARGIN.left && sx <= MARGIN.left + PLOT && sy >= MARGIN.top && sy <= MARGIN.top + PLOT;

  scatter.canvas.addEventListener("pointermove", (event) => {
    const [sx, sy] = pointerPosition(scatter.canvas, event);
    const tr = cssTransform();
    if (drag) {
      const dx = sx - drag.sx;
      const dy = sy - drag.sy;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.mode === "pan") {
        view = panView(drag.view, dx, dy, PLOT, PLOT);
        userMoved = true;
        requestLattice();
        requestDraw();
        return;
      }
      if (drag.moved) {
        const [x, y] = invert(tr, sx, sy);
        path.push(x, y);
      }
    }
    if (!inPlot(sx, sy)) return;
    const [x, y] = invert(tr, sx, sy);
    hoverPoint = [x, y];
    decodeHover(x, y, event.timeStamp || performance.now());
    requestDraw();
  });

  scatter.canvas.addEventListener("pointerdown", (event) => {
    const [sx, sy] = pointerPosition(scatter.canvas, event);
    if (!inPlot(sx, sy)) return;
    const mode = tool === "pan" || event.shiftKey || event.button === 1 ? "pan" : "path";
    drag = { mode, sx, sy, view: { ...view }, moved: false };
    if (mode === "path") path = [...invert(cssTransform(), sx, sy)];
    try {
      scatter.canvas.setPointerCapture(event.pointerId);
    } catch {
      /* synthetic events have no capturable pointer */
    }
  });

  const endDrag = (event: PointerEvent) => {
    if (!drag) return;
    const d0 = drag;
    drag = null;
    if (d0.mode === "pan") return;
    if (!d0.moved) {
      path = [];
      const [sx, sy] = pointerPosition(scatter.canvas, event);
      const i = nearestPoint(proj, n, cssTransform(), sx, sy, 10);
      if (i >= 0) pick(i);
      return;
    }
    decodePathStrip();
  };
  scatter.canvas.addEventListener("pointerup", endDrag);
  scatter.canvas.addEventListener("pointercancel", () => { drag = null; });
  scatter.canvas.addEventListener("pointerleave", () => {
    if (!drag) {
      hoverPoint = null;
      requestDraw();
    }
  });
  scatter.canvas.addEventListener("wheel", (event) => {
    const [sx, sy] = pointerPosition(scatter.canvas, event);
    if (!inPlot(sx, sy)) return;
    event.preventDefault();
    const factor = Math.exp(-event.deltaY * 0.0015);
    view = zoomView(view, (sx - MARGIN.left) / PLOT, (sy - MARGIN.top) / PLOT, factor);
    userMoved = true;
    requestLattice();
    requestDraw();
  }, { passive: false });
  scatter.canvas.addEventListener("dblclick", () => {
    view = fitView(proj, n);
    userMoved = false;
    requestLattice();
    requestDraw();
  });
  ownKeys(scatter.canvas);
  scatter.canvas.addEventListener("keydown", (event) => {
    const step = 40;
    const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const mv = moves[event.key];
    if (mv) {
      event.preventDefault();
      view = panView(view, mv[0], mv[1], PLOT, PLOT);
    } else if (event.key === "+" || event.key === "=") view = zoomView(view, 0.5, 0.5, 1.25);
    else if (event.key === "-") view = zoomView(view, 0.5, 0.5, 0.8);
    else return;
    userMoved = true;
    requestLattice();
    requestDraw();
  });

  function pick(i: number) {
    const sel: number[] = [...(model.get("selected") ?? [-1, -1, -1])];
    while (sel.length < 3) sel.push(-1);
    sel[slot] = i;
    slot = (slot + 1) % 3;
    updateSlots();
    model.set("selected", sel);
    model.set("focus", i);
    model.save_changes();
    localCache = null;
    if (tab === "anomalies") tab = "point";
    drawPanel();
    requestDraw();
  }

  // ---- model events ----
  function full() {
    readCodes();
    readOutput();
    readMLP();
    readPlane();
    readColors();
    reproject(true);
    title.textContent = `Latent space · ${model.get("model_name") || model.get("model_kind")} · ${n.toLocaleString()} points · ${d}-D codes`;
    status.textContent = model.get("status") || "";
    stopButton.style.display = model.get("training") ? "" : "none";
    problem.textContent = model.get("problem") || "";
    const how = decodePath();
    pathNote.textContent =
      how === "browser" ? `decoding in the browser (MLP, ${model.get("decoder_mlp")?.params ?? "?"} parameters, float32)`
      : how === "kernel" ? `decoding through the kernel (${model.get("mlp_reason") || "no MLP decoder"})`
      : how === "grid" ? "static page: the nearest cell of a precomputed decoded grid"
      : "static page: decoding needs a kernel";
    if (standalone) {
      for (const b of [...slotButtons]) b.title = `the next click sets point ${b.textContent}`;
    }
    lattice = null;
    requestLattice();
    drawLoss();
    drawPanel();
    requestDraw();
  }

  cleanups.push(listen(model, {
    "change:latent_codes": () => { readCodes(); reproject(false); requestDraw(); },
    "change:plane": () => { readPlane(); reproject(true); lattice = null; requestLattice(); requestDraw(); },
    "change:sliders": () => {
      const s: number[] = model.get("sliders") ?? [];
      if (plane && s.length === plane.k && s.some((v, i) => v !== sliders[i])) {
        sliders = Float64Array.from(s);
        buildSliders();
      }
    },
    "change:decoder_mlp": () => { readMLP(); syncControls(); },
    "change:output": () => { readOutput(); requestDraw(); },
    "change:label_values": () => { readColors(); requestDraw(); },
    "change:label_names": () => { readColors(); requestDraw(); },
    "change:grid": () => { if (decodePath() === "grid") lattice = null; requestDraw(); },
    "change:show_lattice": () => { syncControls(); lattice = null; requestLattice(); requestDraw(); },
    "change:lattice_n": () => { syncControls(); lattice = null; requestLattice(); },
    "change:decode_path": () => { syncControls(); full(); },
    "change:projection_mode": syncControls,
    "change:dims": syncControls,
    "change:interpolation": () => { drawPanel(); requestDraw(); },
    "change:arithmetic_result": () => { drawPanel(); requestDraw(); },
    "change:traversal": () => { drawPanel(); },
    "change:detail": () => { drawPanel(); },
    "change:anomalies": () => { drawPanel(); },
    "change:selected": () => { localCache = null; drawPanel(); requestDraw(); },
    "change:focus": () => { localCache = null; drawPanel(); requestDraw(); },
    "change:history": drawLoss,
    "change:status": () => { status.textContent = model.get("status") || ""; },
    "change:problem": () => { problem.textContent = model.get("problem") || ""; },
    "change:training": () => {
      stopButton.style.display = model.get("training") ? "" : "none";
      if (!model.get("training")) full();
    },
    "msg:custom": onCustom,
  }));

  full();

  return () => {
    cancelAnimationFrame(raf);
    cleanups.forEach((f) => f());
  };
}

export default { render };
