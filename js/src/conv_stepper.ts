// Convolution stepper: a window slides over the (padded) input; for each output cell the
// element-wise products of window and kernel and their sum are shown with the real numbers that
// PyTorch computed (the whole trace is in synced state, so playing, stepping, scrubbing, hovering
// and switching filters/channels/views work with no kernel). Settings (stride, padding,
// dilation, padding mode, activation, pooling) and cell edits go back to Python as requests;
// Python recomputes the trace with torch and the new state redraws the view.

import { interpolateGreys, interpolateRdBu } from "d3-scale-chromatic";
import { decodeArray, type TypedArray, type WireArray } from "./lib/arrays";
import { createSurface, pointerPosition, type Surface } from "./lib/canvas";
import { h, isStandalone, KERNEL_HINT, listen, needsKernel, ownKeys, widgetRoot, type ModelLike } from "./lib/dom";
import { formatNumber } from "./lib/format";
import { createTimeline, type Timeline } from "./lib/timeline";

// ---------------------------------------------------------------------------------------------
// Pure geometry and formatting (tested in js/tests/conv_stepper.test.ts)

export interface Geometry {
  channels: number;
  in: [number, number];
  filters: number;
  group_channels: number;
  groups: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  pad: [number, number, number, number]; // top, bottom, left, right
  padded: [number, number];
  out: [number, number];
  dropped: [number, number];
  padding_mode: string;
  padding_spec: string;
  has_bias: boolean;
  activation: string;
  pool: null | {
    kind: string;
    size: [number, number];
    stride: [number, number];
    out: [number, number];
    dropped: [number, number];
  };
  pool_error: string;
}

/** floor((n + p_before + p_after − d(k−1) − 1)/s) + 1, PyTorch's output size. */
export function outputSize(n: number, k: number, s: number, before: number, after: number, d: number): number {
  return Math.floor((n + before + after - d * (k - 1) - 1) / s) + 1;
}

/** The output-size formula with the numbers filled in, as Python's ConvGeometry.formula. */
export function formulaText(n: number, k: number, s: number, before: number, after: number, d: number): string {
  const pad = before === after ? `2·${before}` : `${before} + ${after}`;
  const top = n + before + after - d * (k - 1) - 1;
  return `floor((${n} + ${pad} − ${d}·(${k}−1) − 1) / ${s}) + 1 = floor(${top}/${s}) + 1 = ${Math.floor(top / s) + 1}`;
}

/** Padded-input rows and columns read by output cell (i, j). */
export function windowOf(g: Pick<Geometry, "kernel" | "stride" | "dilation">, i: number, j: number): { rows: number[]; cols: number[] } {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < g.kernel[0]; u++) rows.push(i * g.stride[0] + u * g.dilation[0]);
  for (let v = 0; v < g.kernel[1]; v++) cols.push(j * g.stride[1] + v * g.dilation[1]);
  return { rows, cols };
}

/** Output indices along one axis whose window reads padded index r: r = i·s + u·d. */
export function feedsAxis(r: number, k: number, s: number, d: number, nOut: number): number[] {
  const out: number[] = [];
  for (let u = 0; u < k; u++) {
    const rest = r - u * d;
    if (rest >= 0 && rest % s === 0 && rest / s < nOut) out.push(rest / s);
  }
  return out.sort((a, b) => a - b);
}

/** Every output cell (i, j) that padded-input cell (r, c) feeds. */
export function feedsOf(g: Pick<Geometry, "kernel" | "stride" | "dilation" | "out">, r: number, c: number): Array<[number, number]> {
  const is = feedsAxis(r, g.kernel[0], g.stride[0], g.dilation[0], g.out[0]);
  const js = feedsAxis(c, g.kernel[1], g.stride[1], g.dilation[1], g.out[1]);
  const cells: Array<[number, number]> = [];
  for (const i of is) for (const j of js) cells.push([i, j]);
  return cells;
}

/** Short text for a grid cell: at most ~5 characters, real minus sign. */
export function cellText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  let s: string;
  if (a >= 1000 || a < 0.005) s = v.toExponential(0);
  else if (a >= 100) s = v.toFixed(0);
  else if (a >= 10) s = v.toFixed(1);
  else s = v.toFixed(2);
  if (s.includes(".") && !s.includes("e")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s.replace("-", "−");
}

/** "a×w + b×w + … = s": the sum of products as an expression, long ones shortened. */
export function sumExpression(values: ArrayLike<number>, weights: ArrayLike<number>, total: number, maxTerms = 12): string {
  const n = values.length;
  const term = (k: number) => {
    const w = weights[k];
    const ws = formatNumber(w, 3);
    return `${formatNumber(values[k], 3)}×${w < 0 ? `(${ws})` : ws}`;
  };
  const parts: string[] = [];
  if (n <= maxTerms) {
    for (let k = 0; k < n; k++) parts.push(term(k));
  } else {
    const head = Math.ceil((maxTerms - 1) / 2);
    const tail = maxTerms - 1 - head;
    for (let k = 0; k < head; k++) parts.push(term(k));
    parts.push(`… (${n - head - tail} more)`);
    for (let k = n - tail; k < n; k++) parts.push(term(k));
  }
  return `${parts.join(" + ")} = ${formatNumber(total, 5)}`;
}

export interface Panel {
  key: string;
  title: string;
  rows: number;
  cols: number;
  cell: number;
  x: number;
  y: number;
  deck: number; // px reserved on the right/top for stacked channel slices
}

export const LAYOUT = { margin: 14, gap: 40, titleHeight: 22, footer: 24, maxWidth: 1080 };

/** Cell size so `n` cells fit `budget` px, clamped to [lo, hi]. */
export function cellSize(n: number, budget: number, lo = 3, hi = 40): number {
  return Math.max(lo, Math.min(hi, Math.floor(budget / Math.max(1, n))));
}

/** Place panels left to right, aligned at the top; returns the canvas size. */
export function layoutPanels(panels: Array<Omit<Panel, "x" | "y">>): { panels: Panel[]; width: number; height: number } {
  let x = LAYOUT.margin;
  let height = 0;
  const placed: Panel[] = [];
  for (const p of panels) {
    const y = LAYOUT.margin + LAYOUT.titleHeight + p.deck;
    placed.push({ ...p, x, y });
    x += p.cols * p.cell + p.deck + LAYOUT.gap;
    height = Math.max(height, y + p.rows * p.cell);
  }
  return { panels: placed, width: x - LAYOUT.gap + LAYOUT.margin, height: height + LAYOUT.footer + LAYOUT.margin };
}

/** Grid cell [row, col] of a panel under canvas point (x, y), or null. */
export function cellAt(p: Panel, x: number, y: number): [number, number] | null {
  const c = Math.floor((x - p.x) / p.cell);
  const r = Math.floor((y - p.y) / p.cell);
  if (x < p.x || y < p.y || r < 0 || c < 0 || r >= p.rows || c >= p.cols) return null;
  return [r, c];
}

/** Position 0..255 of v on the colour scale: signed values diverge around 0, others run 0..max. */
export function colorIndex(v: number, maxAbs: number, signed: boolean): number {
  const m = maxAbs > 0 ? maxAbs : 1;
  const t = signed ? 0.5 + Math.max(-1, Math.min(1, v / m)) / 2 : Math.max(0, Math.min(1, v / m));
  return Math.round(t * 255);
}

function buildLut(interp: (t: number) => string, flip: boolean, squeeze = 1): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) {
    const t = k / 255;
    const rgb = interp(flip ? 1 - t * squeeze : t * squeeze).match(/\d+/g)!.map(Number);
    lut.set(rgb.slice(0, 3), k * 3);
  }
  return lut;
}
let LUTS: { signed: Uint8ClampedArray; plain: Uint8ClampedArray; css: { signed: string[]; plain: string[] } } | null = null;
function luts() {
  if (!LUTS) {
    // signed: blue (negative) – white – red (positive); plain: black (0) to near-white (max),
    // a bright stroke on a dark page, like the digits
    const signed = buildLut(interpolateRdBu, true);
    const plain = buildLut(interpolateGreys, true, 0.92);
    const css = (lut: Uint8ClampedArray) => Array.from({ length: 256 }, (_, k) => `rgb(${lut[k * 3]},${lut[k * 3 + 1]},${lut[k * 3 + 2]})`);
    LUTS = { signed, plain, css: { signed: css(signed), plain: css(plain) } };
  }
  return LUTS;
}

/** CSS colour of v: diverging blue-white-red when signed, else greys. */
export function cellColor(v: number, maxAbs: number, signed: boolean): string {
  if (!Number.isFinite(v)) return "#f1f3f5";
  const l = luts().css;
  return (signed ? l.signed : l.plain)[colorIndex(v, maxAbs, signed)];
}

/** Text colour readable on cellColor(v, ...). */
export function textColor(v: number, maxAbs: number, signed: boolean): string {
  const m = maxAbs > 0 ? maxAbs : 1;
  const t = v / m;
  if (signed) return Math.abs(t) > 0.55 ? "#ffffff" : "#1f2933";
  return t < 0.5 ? "#ffffff" : "#1f2933";
}

export function maxAbsOf(data: ArrayLike<number>, start = 0, end = data.length): number {
  let m = 0;
  for (let k = start; k < end; k++) {
    const a = Math.abs(data[k]);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m;
}

export function hasNegative(data: ArrayLike<number>, start = 0, end = data.length): boolean {
  for (let k = start; k < end; k++) if (data[k] < 0) return true;
  return false;
}

/** Frames of each view: conv steps over the output, pool steps over the pooled map, the
 * transposed view scatters each output cell once. */
export function framesFor(view: string, g: Geometry): number {
  if (view === "pool") return g.pool ? g.pool.out[0] * g.pool.out[1] : 1;
  return g.out[0] * g.out[1];
}

/** Where a moving highlight is drawn `t` of the way (0..1, eased) from `a` to `b`. */
export function glide(a: number, b: number, t: number): number {
  const e = t >= 1 ? 1 : 1 - (1 - t) * (1 - t);
  return a + (b - a) * e;
}

// ---------------------------------------------------------------------------------------------
// Decoded trace

interface Nd {
  shape: number[];
  data: TypedArray;
}

interface Trace {
  input: Nd;
  padded: Nd;
  weight: Nd;
  bias: Nd;
  products: Nd;
  output: Nd;
  activated: Nd;
  scatter: Nd;
  transposed: Nd;
  pool_windows?: Nd;
  pool_output?: Nd;
  pool_winners?: Nd;
}

function decodeTrace(state: Record<string, WireArray> | undefined): Trace | null {
  if (!state || !state.products) return null;
  const out: Record<string, Nd> = {};
  for (const [k, v] of Object.entries(state)) out[k] = decodeArray(v);
  return out as unknown as Trace;
}

// ---------------------------------------------------------------------------------------------
// Offscreen grids: static layers are drawn once and blitted every animation frame

interface GridImage {
  canvas: HTMLCanvasElement;
  width: number;
  height: number;
}

function drawGrid(
  rows: number,
  cols: number,
  cell: number,
  value: (r: number, c: number) => number,
  maxAbs: number,
  signed: boolean,
  opts: { text?: boolean; faded?: (r: number, c: number) => boolean } = {},
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
  if (!showText) {
    // many small cells: one pixel per cell through a colour table, scaled up without smoothing
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
          const fade = opts.faded?.(r, c) ? 0.55 : 0;
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
    ctx.drawImage(tiny, 0, 0, width, height);
  } else {
    ctx.font = `${Math.max(8, Math.min(12, Math.floor(cell * 0.32)))}px ui-monospace, Menlo, Consolas, monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = value(r, c);
        ctx.fillStyle = cellColor(v, maxAbs, signed);
        ctx.fillRect(c * cell, r * cell, cell, cell);
        const faded = opts.faded?.(r, c) ?? false;
        if (faded) {
          ctx.fillStyle = "rgba(255,255,255,0.55)";
          ctx.fillRect(c * cell, r * cell, cell, cell);
        }
        ctx.fillStyle = faded ? "#616e7c" : textColor(v, maxAbs, signed);
        ctx.fillText(cellText(v), c * cell + cell / 2, r * cell + cell / 2 + 0.5);
      }
    }
  }
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

// ---------------------------------------------------------------------------------------------
// The widget

const VIEW_LABELS: Record<string, string> = {
  conv: "Convolution",
  pool: "Activation + pooling",
  transposed: "Transposed (adjoint)",
};
const HOVER = "#e8590c";
const WINDOW = "#2f6fdf";
const WINNER = "#f59f00";

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const standalone = isStandalone(model);
  const root = widgetRoot(el, "conv-stepper");
  root.style.position = "relative";
  const title = h("div", { class: "dlw-title dlw-conv-title" });

  // --- toolbar: views, filter, channel (work without Python) --------------------------------
  const viewButtons: Record<string, HTMLButtonElement> = {};
  const viewBar = h("div", { class: "dlw-toolbar dlw-views", role: "tablist" });
  for (const v of ["conv", "pool", "transposed"]) {
    const b = h("button", { class: "dlw-button dlw-view", type: "button", "data-view": v, role: "tab" }, [VIEW_LABELS[v]]);
    b.addEventListener("click", () => {
      model.set("view", v);
      model.save_changes();
    });
    viewButtons[v] = b;
    viewBar.appendChild(b);
  }
  const filterSelect = h("select", { class: "dlw-filter", "aria-label": "filter" });
  const channelSelect = h("select", { class: "dlw-channel", "aria-label": "input channel" });
  const speedSelect = h("select", { class: "dlw-speed", "aria-label": "speed" });
  for (const s of [1, 2, 4, 8, 15, 30, 60]) speedSelect.appendChild(h("option", { value: s }, [`${s} steps/s`]));
  const filterLabel = h("label", {}, ["filter", filterSelect]);
  const channelLabel = h("label", {}, ["channel", channelSelect]);
  viewBar.append(filterLabel, channelLabel, h("label", {}, ["speed", speedSelect]));

  // --- settings that need Python -------------------------------------------------------------
  const num = (cls: string, label: string, min: number, max: number) =>
    needsKernel(model, h("input", { type: "number", min, max, step: 1, class: `dlw-num ${cls}`, "aria-label": label, style: "width:3.6em" }));
  const strideH = num("dlw-stride-h", "stride rows", 1, 16);
  const strideW = num("dlw-stride-w", "stride cols", 1, 16);
  const dilH = num("dlw-dilation-h", "dilation rows", 1, 16);
  const dilW = num("dlw-dilation-w", "dilation cols", 1, 16);
  const padSelect = needsKernel(model, h("select", { class: "dlw-padding", "aria-label": "padding" }));
  const modeSelect = needsKernel(model, h("select", { class: "dlw-padding-mode", "aria-label": "padding mode" }));
  const actSelect = needsKernel(model, h("select", { class: "dlw-activation", "aria-label": "activation" }));
  const poolSelect = needsKernel(model, h("select", { class: "dlw-pool", "aria-label": "pooling" }));
  const poolSize = num("dlw-pool-size", "pool size", 1, 8);
  const settingsBar = h("div", { class: "dlw-toolbar dlw-settings" }, [
    h("label", {}, ["stride", strideH, "×", strideW]),
    h("label", {}, ["padding", padSelect, modeSelect]),
    h("label", {}, ["dilation", dilH, "×", dilW]),
    h("label", {}, ["activation", actSelect]),
    h("label", {}, ["pool", poolSelect, poolSize]),
  ]);
  const formula = h("div", { class: "dlw-formula dlw-conv-formula" });
  const note = h("div", { class: "dlw-muted dlw-conv-note" });
  const error = h("div", { class: "dlw-error dlw-conv-error" });

  const surface: Surface = createSurface(600, 300);
  const stage = h("div", { class: "dlw-conv-stage", tabindex: 0, "aria-label": "convolution steps (arrow keys step)" }, [surface.canvas]);
  stage.style.outline = "none";
  const sum = h("div", { class: "dlw-readout dlw-sum" });
  const hoverLine = h("div", { class: "dlw-readout dlw-hover-readout dlw-muted" });
  const galleryTitle = h("div", { class: "dlw-muted dlw-gallery-title" });
  const gallery = h("div", { class: "dlw-row dlw-gallery" });
  gallery.style.gap = "8px";
  const editHint = h("div", { class: "dlw-muted dlw-edit-hint" });
  const editor = h("input", { type: "text", class: "dlw-cell-editor", "aria-label": "new value" });
  Object.assign(editor.style, { position: "absolute", display: "none", zIndex: "5", width: "5em", fontSize: "12px" });

  let timeline: Timeline | null = null;
  const timelineHolder = h("div", { class: "dlw-timeline-holder" });
  root.append(title, viewBar, settingsBar, formula, note, error, stage, timelineHolder, sum, hoverLine, editHint, galleryTitle, gallery, editor);

  // --- state ----------------------------------------------------------------------------------
  let trace: Trace | null = null;
  let geom: Geometry | null = null;
  let panels: Panel[] = [];
  const frames: Record<string, number> = { conv: 0, pool: 0, transposed: 0 };
  let hover: { panel: string; r: number; c: number } | null = null;
  let cache = new Map<string, GridImage>();
  let drawn = 0; // frames drawn (read by the browser test to measure playback)
  let shown = { r: 0, c: 0, from: { r: 0, c: 0 }, t0: 0 }; // gliding highlight
  let raf = 0;
  let pending = false;

  const view = (): string => model.get("view") || "conv";
  const filter = (): number => Math.min(model.get("filter") ?? 0, (geom?.filters ?? 1) - 1);
  const groupStart = (f: number): number => {
    if (!geom) return 0;
    const perGroup = geom.filters / geom.groups;
    return Math.floor(f / perGroup) * geom.group_channels;
  };
  /** Input channel shown: the selected one if filter f reads it, else f's group's first. */
  const channel = (): number => {
    const f = filter();
    const c = model.get("channel") ?? 0;
    const g0 = groupStart(f);
    return c >= g0 && c < g0 + (geom?.group_channels ?? 1) ? c : g0;
  };

  // --- index helpers into the trace -----------------------------------------------------------
  const pIdx = (f: number, i: number, j: number, c: number, u: number, v: number) => {
    const g = geom!;
    return ((((f * g.out[0] + i) * g.out[1] + j) * g.group_channels + c) * g.kernel[0] + u) * g.kernel[1] + v;
  };
  const padVal = (c: number, r: number, q: number) => trace!.padded.data[(c * geom!.padded[0] + r) * geom!.padded[1] + q];
  const wVal = (f: number, c: number, u: number, v: number) => trace!.weight.data[((f * geom!.group_channels + c) * geom!.kernel[0] + u) * geom!.kernel[1] + v];
  const outVal = (arr: Nd, f: number, i: number, j: number) => arr.data[(f * geom!.out[0] + i) * geom!.out[1] + j];

  // --- layout -----------------------------------------------------------------------------------
  function relayout() {
    if (!geom) return;
    const g = geom;
    const [hp, wp] = g.padded;
    const [kh, kw] = g.kernel;
    const [ho, wo] = g.out;
    const deck = Math.min(3, g.group_channels - 1) * 6;
    const cIn = cellSize(Math.max(hp, wp), 380, 3, 40);
    const cK = cellSize(Math.max(kh, kw), 170, 6, 40);
    const cOut = cellSize(Math.max(ho, wo), 280, 3, 40);
    const v = view();
    let spec: Array<Omit<Panel, "x" | "y">>;
    if (v === "pool" && g.pool) {
      const [pk, pq] = g.pool.size;
      const [po, qo] = g.pool.out;
      spec = [
        { key: "act", title: `${g.activation}(output)`, rows: ho, cols: wo, cell: cOut, deck: 0 },
        { key: "pwin", title: `${g.pool.kind} window`, rows: pk, cols: pq, cell: cellSize(Math.max(pk, pq), 170, 6, 40), deck: 0 },
        { key: "pooled", title: `${g.pool.kind} pooled`, rows: po, cols: qo, cell: cellSize(Math.max(po, qo), 240, 3, 40), deck: 0 },
      ];
    } else if (v === "transposed") {
      spec = [
        { key: "y", title: "output y (scattered)", rows: ho, cols: wo, cell: cOut, deck: 0 },
        { key: "kernel", title: "kernel", rows: kh, cols: kw, cell: cK, deck: 0 },
        { key: "scatter", title: "y[i,j] · kernel", rows: kh, cols: kw, cell: cK, deck: 0 },
        { key: "result", title: "transposed conv (padded grid)", rows: hp, cols: wp, cell: cIn, deck: 0 },
      ];
    } else {
      spec = [
        { key: "input", title: "input (padded)", rows: hp, cols: wp, cell: cIn, deck },
        { key: "kernel", title: "kernel", rows: kh, cols: kw, cell: cK, deck: 0 },
        { key: "products", title: "window ⊙ kernel", rows: kh, cols: kw, cell: cK, deck: 0 },
        { key: "output", title: "output", rows: ho, cols: wo, cell: cOut, deck: 0 },
      ];
    }
    // shrink everything when too wide
    let laid = layoutPanels(spec);
    for (let tries = 0; laid.width > LAYOUT.maxWidth && tries < 6; tries++) {
      spec = spec.map((p) => ({ ...p, cell: Math.max(3, Math.floor(p.cell * 0.85)) }));
      laid = layoutPanels(spec);
    }
    panels = laid.panels;
    stage.dataset.panels = JSON.stringify(panels.map(({ key, x, y, cell, rows, cols }) => ({ key, x, y, cell, rows, cols })));
    if (surface.width !== laid.width || surface.height !== laid.height) surface.resize(laid.width, laid.height);
    cache = new Map();
  }
  const panel = (key: string) => panels.find((p) => p.key === key);

  // --- cached layers ------------------------------------------------------------------------------
  function grid(key: string, make: () => GridImage): GridImage {
    let img = cache.get(key);
    if (!img) {
      img = make();
      cache.set(key, img);
    }
    return img;
  }

  // per-trace statistics (colour ranges), computed once per trace
  let stats = new Map<string, number>();
  function stat(key: string, compute: () => number): number {
    let v = stats.get(key);
    if (v === undefined) {
      v = compute();
      stats.set(key, v);
    }
    return v;
  }

  function inputImage(c: number, p: Panel): GridImage {
    const g = geom!;
    const [hp, wp] = g.padded;
    const [t, , l] = g.pad;
    const size = hp * wp;
    return grid(`input:${c}:${p.cell}`, () => {
      const signed = hasNegative(trace!.padded.data);
      const m = maxAbsOf(trace!.padded.data);
      const base = c * size;
      return drawGrid(hp, wp, p.cell, (r, q) => trace!.padded.data[base + r * wp + q], m, signed, {
        faded: (r, q) => r < t || q < l || r >= t + g.in[0] || q >= l + g.in[1],
      });
    });
  }

  function mapImage(key: string, arr: Nd, f: number, rows: number, cols: number, cell: number, text = true): GridImage {
    return grid(`${key}:${f}:${cell}`, () => {
      const base = f * rows * cols;
      const m = maxAbsOf(arr.data, base, base + rows * cols);
      const signed = hasNegative(arr.data, base, base + rows * cols);
      return drawGrid(rows, cols, cell, (r, c) => arr.data[base + r * cols + c], m, signed, { text });
    });
  }

  // --- drawing ----------------------------------------------------------------------------------
  function panelTitle(ctx: CanvasRenderingContext2D, p: Panel, text: string) {
    ctx.fillStyle = "#616e7c";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.fillText(text, p.x, p.y - p.deck - 6);
  }

  function outline(ctx: CanvasRenderingContext2D, p: Panel, r: number, c: number, rows: number, cols: number, color: string, width = 2.5) {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.strokeRect(p.x + c * p.cell + width / 2 - 0.5, p.y + r * p.cell + width / 2 - 0.5, cols * p.cell - width + 1, rows * p.cell - width + 1);
  }

  function emptyGrid(ctx: CanvasRenderingContext2D, p: Panel) {
    ctx.fillStyle = "#f5f7fa";
    ctx.fillRect(p.x, p.y, p.cols * p.cell, p.rows * p.cell);
    ctx.strokeStyle = "#d9e2ec";
    ctx.lineWidth = 1;
    ctx.strokeRect(p.x + 0.5, p.y + 0.5, p.cols * p.cell - 1, p.rows * p.cell - 1);
  }

  /** Draw the first `count` cells (row-major) of a cached map image. */
  function progressive(ctx: CanvasRenderingContext2D, p: Panel, img: GridImage, count: number) {
    emptyGrid(ctx, p);
    const full = Math.floor(count / p.cols);
    const rest = count % p.cols;
    ctx.save();
    ctx.beginPath();
    ctx.rect(p.x, p.y, p.cols * p.cell, full * p.cell);
    if (rest) ctx.rect(p.x, p.y + full * p.cell, rest * p.cell, p.cell);
    ctx.clip();
    ctx.drawImage(img.canvas, p.x, p.y, img.width, img.height);
    ctx.restore();
  }

  function smallGrid(ctx: CanvasRenderingContext2D, p: Panel, value: (r: number, c: number) => number, maxAbs: number, signed: boolean, faded?: (r: number, c: number) => boolean) {
    const fontPx = Math.max(8, Math.min(12, Math.floor(p.cell * 0.32)));
    ctx.font = `${fontPx}px ui-monospace, Menlo, Consolas, monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let r = 0; r < p.rows; r++) {
      for (let c = 0; c < p.cols; c++) {
        const v = value(r, c);
        const x = p.x + c * p.cell;
        const y = p.y + r * p.cell;
        ctx.fillStyle = cellColor(v, maxAbs, signed);
        ctx.fillRect(x, y, p.cell, p.cell);
        if (faded?.(r, c)) {
          ctx.fillStyle = "rgba(255,255,255,0.6)";
          ctx.fillRect(x, y, p.cell, p.cell);
        }
        if (p.cell >= 20) {
          ctx.fillStyle = faded?.(r, c) ? "#616e7c" : textColor(v, maxAbs, signed);
          ctx.fillText(cellText(v), x + p.cell / 2, y + p.cell / 2 + 0.5);
        }
      }
    }
    ctx.strokeStyle = "rgba(31,41,51,0.25)";
    ctx.lineWidth = 1;
    for (let r = 0; r < p.rows; r++) for (let c = 0; c < p.cols; c++) ctx.strokeRect(p.x + c * p.cell + 0.5, p.y + r * p.cell + 0.5, p.cell - 1, p.cell - 1);
  }

  function operator(ctx: CanvasRenderingContext2D, a: Panel | undefined, b: Panel | undefined, text: string) {
    if (!a || !b) return;
    ctx.fillStyle = "#616e7c";
    ctx.font = "18px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const x = (a.x + a.cols * a.cell + a.deck + b.x) / 2;
    const y = Math.min(a.y + (a.rows * a.cell) / 2, b.y + (b.rows * b.cell) / 2);
    ctx.fillText(text, x, y);
  }

  function currentCell(): [number, number] {
    const g = geom!;
    const v = view();
    const cols = v === "pool" && g.pool ? g.pool.out[1] : g.out[1];
    const k = frames[v] ?? 0;
    return [Math.floor(k / cols), k % cols];
  }

  let drawMs = 0; // moving average of the time one frame takes to draw (read by the browser test)
  function draw(now: number = performance.now()) {
    const t0 = performance.now();
    paint(now);
    drawMs = drawn <= 1 ? performance.now() - t0 : 0.9 * drawMs + 0.1 * (performance.now() - t0);
    root.dataset.drawMs = drawMs.toFixed(3);
  }

  function paint(now: number) {
    const { ctx, width, height } = surface;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    drawn++;
    root.dataset.draws = String(drawn);
    if (!trace || !geom) return;
    const v = view();
    if (v === "pool" && geom.pool && trace.pool_output) drawPool(ctx);
    else if (v === "transposed") drawTransposed(ctx, now);
    else drawConv(ctx, now);
  }

  function glidePos(now: number, target: [number, number]): [number, number] {
    if (target[0] !== shown.r || target[1] !== shown.c) {
      shown = { r: target[0], c: target[1], from: { r: glide(shown.from.r, shown.r, (now - shown.t0) / 90), c: glide(shown.from.c, shown.c, (now - shown.t0) / 90) }, t0: now };
    }
    const t = (now - shown.t0) / 90;
    return [glide(shown.from.r, shown.r, t), glide(shown.from.c, shown.c, t)];
  }
  const gliding = (now: number) => now - shown.t0 < 90;

  function drawConv(ctx: CanvasRenderingContext2D, now: number) {
    const g = geom!;
    const tr = trace!;
    const f = filter();
    const c = channel();
    const g0 = groupStart(f);
    const cl = c - g0;
    const [i, j] = currentCell();
    const pin = panel("input")!;
    const pk = panel("kernel")!;
    const pp = panel("products")!;
    const po = panel("output")!;
    // stacked slices of the other channels this filter reads, behind the shown one
    const others: number[] = [];
    for (let k = 0; k < g.group_channels && others.length < 3; k++) if (g0 + k !== c) others.push(g0 + k);
    others.slice(0, Math.round(pin.deck / 6)).reverse().forEach((oc, n, arr) => {
      const off = (arr.length - n) * 6;
      const img = inputImage(oc, pin);
      ctx.globalAlpha = 0.45;
      ctx.drawImage(img.canvas, pin.x + off, pin.y - off, img.width, img.height);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = "#9aa5b1";
      ctx.lineWidth = 1;
      ctx.strokeRect(pin.x + off + 0.5, pin.y - off + 0.5, img.width - 1, img.height - 1);
    });
    const img = inputImage(c, pin);
    ctx.drawImage(img.canvas, pin.x, pin.y, img.width, img.height);
    // the unpadded image's border, and the border the stride never reaches
    const [t, , l] = g.pad;
    ctx.strokeStyle = "#1f2933";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(pin.x + l * pin.cell, pin.y + t * pin.cell, g.in[1] * pin.cell, g.in[0] * pin.cell);
    const [dr, dc] = g.dropped;
    if (dr || dc) {
      ctx.fillStyle = "rgba(201,42,42,0.28)";
      if (dr) ctx.fillRect(pin.x, pin.y + (g.padded[0] - dr) * pin.cell, g.padded[1] * pin.cell, dr * pin.cell);
      if (dc) ctx.fillRect(pin.x + (g.padded[1] - dc) * pin.cell, pin.y, dc * pin.cell, (g.padded[0] - dr) * pin.cell);
    }
    panelTitle(ctx, pin, `input (padded), ${model.get("channel_names")?.[c] ?? `channel ${c}`}${g.group_channels > 1 ? ` of ${g.group_channels}` : ""}`);

    // window: each sampled cell outlined (dilation leaves gaps), the whole span framed
    const [gi, gj] = glidePos(now, [i, j]);
    const sy = gi * g.stride[0];
    const sx = gj * g.stride[1];
    const span = [(g.kernel[0] - 1) * g.dilation[0] + 1, (g.kernel[1] - 1) * g.dilation[1] + 1];
    ctx.fillStyle = "rgba(47,111,223,0.10)";
    ctx.fillRect(pin.x + sx * pin.cell, pin.y + sy * pin.cell, span[1] * pin.cell, span[0] * pin.cell);
    for (let u = 0; u < g.kernel[0]; u++) {
      for (let w = 0; w < g.kernel[1]; w++) {
        const r = sy + u * g.dilation[0];
        const q = sx + w * g.dilation[1];
        ctx.strokeStyle = WINDOW;
        ctx.lineWidth = 2;
        ctx.strokeRect(pin.x + q * pin.cell + 1, pin.y + r * pin.cell + 1, pin.cell - 2, pin.cell - 2);
      }
    }

    // hover: an output cell's receptive field, or every output an input cell feeds
    let fieldOf: [number, number] | null = null;
    let fedBy: Array<[number, number]> = [];
    if (hover?.panel === "output") fieldOf = [hover.r, hover.c];
    if (hover?.panel === "input") fedBy = feedsOf(g, hover.r, hover.c);
    if (fieldOf) {
      const { rows, cols } = windowOf(g, fieldOf[0], fieldOf[1]);
      for (const r of rows) for (const q of cols) outline(ctx, pin, r, q, 1, 1, HOVER, 2.5);
    }
    if (hover?.panel === "input") outline(ctx, pin, hover.r, hover.c, 1, 1, HOVER, 3);

    // kernel and products of the window shown (hovered output cell, else the current one)
    const [ci, cj] = fieldOf ?? [i, j];
    const kmax = stat("kmax", () => maxAbsOf(tr.weight.data));
    smallGrid(ctx, pk, (u, w) => wVal(f, cl, u, w), kmax, true);
    panelTitle(ctx, pk, `kernel, filter ${f}${g.group_channels > 1 ? `, slice ${cl}` : ""}`);
    const base = pIdx(f, 0, 0, 0, 0, 0);
    const per = g.out[0] * g.out[1] * g.group_channels * g.kernel[0] * g.kernel[1];
    const pmax = stat(`pmax:${f}`, () => maxAbsOf(tr.products.data, base, base + per));
    smallGrid(ctx, pp, (u, w) => tr.products.data[pIdx(f, ci, cj, cl, u, w)], pmax, true);
    panelTitle(ctx, pp, `window ⊙ kernel at (${ci}, ${cj})`);

    // the output filling in; the current cell framed
    const oimg = mapImage("output", tr.output, f, g.out[0], g.out[1], po.cell);
    progressive(ctx, po, oimg, i * g.out[1] + j + 1);
    outline(ctx, po, i, j, 1, 1, WINDOW, 2.5);
    for (const [a, b] of fedBy) outline(ctx, po, a, b, 1, 1, HOVER, 2.5);
    if (fieldOf) outline(ctx, po, fieldOf[0], fieldOf[1], 1, 1, HOVER, 3);
    panelTitle(ctx, po, `output ${g.out[0]}×${g.out[1]}, filter ${f}`);
    operator(ctx, pin, pk, "⊙");
    operator(ctx, pk, pp, "=");
    operator(ctx, pp, po, "Σ →");
    footer(ctx, `step ${i * g.out[1] + j + 1} of ${g.out[0] * g.out[1]}: output (${i}, ${j})`);
  }

  function drawPool(ctx: CanvasRenderingContext2D) {
    const g = geom!;
    const pg = g.pool!;
    const tr = trace!;
    const f = filter();
    const [i, j] = currentCell();
    const pa = panel("act")!;
    const pw = panel("pwin")!;
    const pp = panel("pooled")!;
    const aimg = mapImage("act", tr.activated, f, g.out[0], g.out[1], pa.cell);
    ctx.drawImage(aimg.canvas, pa.x, pa.y, aimg.width, aimg.height);
    const [dr, dc] = pg.dropped;
    if (dr || dc) {
      ctx.fillStyle = "rgba(201,42,42,0.28)";
      if (dr) ctx.fillRect(pa.x, pa.y + (g.out[0] - dr) * pa.cell, g.out[1] * pa.cell, dr * pa.cell);
      if (dc) ctx.fillRect(pa.x + (g.out[1] - dc) * pa.cell, pa.y, dc * pa.cell, (g.out[0] - dr) * pa.cell);
    }
    panelTitle(ctx, pa, `${g.activation} of the output, filter ${f}`);
    const [pk, pq] = pg.size;
    let [ci, cj] = [i, j];
    if (hover?.panel === "pooled") [ci, cj] = [hover.r, hover.c];
    outline(ctx, pa, ci * pg.stride[0], cj * pg.stride[1], pk, pq, WINDOW, 2.5);
    const widx = (f * pg.out[0] + ci) * pg.out[1] + cj;
    const winner = tr.pool_winners!.data[widx];
    if (winner >= 0) {
      const wr = Math.floor(winner / g.out[1]);
      const wc = winner % g.out[1];
      outline(ctx, pa, wr, wc, 1, 1, WINNER, 3.5);
    }
    if (hover?.panel === "act") {
      // every pooled cell whose window holds this cell
      const fed = feedsOf({ kernel: pg.size, stride: pg.stride, dilation: [1, 1], out: pg.out }, hover.r, hover.c);
      for (const [a, b] of fed) outline(ctx, pp, a, b, 1, 1, HOVER, 2.5);
      outline(ctx, pa, hover.r, hover.c, 1, 1, HOVER, 3);
    }
    const wbase = widx * pk * pq;
    const wins = tr.pool_windows!.data;
    const wmax = maxAbsOf(wins, wbase, wbase + pk * pq);
    smallGrid(ctx, pw, (u, w) => wins[wbase + u * pq + w], wmax, hasNegative(wins, wbase, wbase + pk * pq));
    if (winner >= 0) {
      const wr = Math.floor(winner / g.out[1]) - ci * pg.stride[0];
      const wc = (winner % g.out[1]) - cj * pg.stride[1];
      outline(ctx, pw, wr, wc, 1, 1, WINNER, 3.5);
    }
    panelTitle(ctx, pw, `window at (${ci}, ${cj})`);
    const pimg = mapImage("pooled", tr.pool_output!, f, pg.out[0], pg.out[1], pp.cell);
    progressive(ctx, pp, pimg, i * pg.out[1] + j + 1);
    outline(ctx, pp, i, j, 1, 1, WINDOW, 2.5);
    panelTitle(ctx, pp, `${pg.kind} pooled ${pg.out[0]}×${pg.out[1]}`);
    operator(ctx, pa, pw, "→");
    operator(ctx, pw, pp, "→");
    footer(ctx, `pooling step ${i * pg.out[1] + j + 1} of ${pg.out[0] * pg.out[1]}`);
  }

  function drawTransposed(ctx: CanvasRenderingContext2D, now: number) {
    const g = geom!;
    const tr = trace!;
    const f = filter();
    const c = channel();
    const cl = c - groupStart(f);
    const [i, j] = currentCell();
    const py = panel("y")!;
    const pk = panel("kernel")!;
    const ps = panel("scatter")!;
    const pr = panel("result")!;
    const yimg = mapImage("output", tr.output, f, g.out[0], g.out[1], py.cell);
    ctx.drawImage(yimg.canvas, py.x, py.y, yimg.width, yimg.height);
    outline(ctx, py, i, j, 1, 1, WINDOW, 2.5);
    panelTitle(ctx, py, `output y of filter ${f} (input of the transpose)`);
    const kmax = stat("kmax", () => maxAbsOf(tr.weight.data));
    smallGrid(ctx, pk, (u, w) => wVal(f, cl, u, w), kmax, true);
    panelTitle(ctx, pk, `kernel, filter ${f}`);
    const base = pIdx(f, 0, 0, 0, 0, 0);
    const per = g.out[0] * g.out[1] * g.group_channels * g.kernel[0] * g.kernel[1];
    const smax = stat(`smax:${f}`, () => maxAbsOf(tr.scatter.data, base, base + per));
    smallGrid(ctx, ps, (u, w) => tr.scatter.data[pIdx(f, i, j, cl, u, w)], smax, true);
    panelTitle(ctx, ps, `y[${i},${j}] · kernel`);
    // accumulated scatter of steps 0..k on the padded grid (exact torch result at the end)
    const [hp, wp] = g.padded;
    const k = i * g.out[1] + j;
    const last = k === g.out[0] * g.out[1] - 1;
    const acc = accumulated(f, cl, k);
    const tbase = (f * g.group_channels + cl) * hp * wp;
    const rmax = stat(`rmax:${f}:${cl}`, () => maxAbsOf(tr.transposed.data, tbase, tbase + hp * wp));
    const [t, , l] = g.pad;
    smallGridCached(ctx, pr, `acc:${f}:${cl}:${k}`, (r, q) => (last ? tr.transposed.data[tbase + r * wp + q] : acc[r * wp + q]), rmax,
      (r, q) => r < t || q < l || r >= t + g.in[0] || q >= l + g.in[1]);
    const [gi, gj] = glidePos(now, [i, j]);
    const span = [(g.kernel[0] - 1) * g.dilation[0] + 1, (g.kernel[1] - 1) * g.dilation[1] + 1];
    ctx.fillStyle = "rgba(232,89,12,0.12)";
    ctx.fillRect(pr.x + gj * g.stride[1] * pr.cell, pr.y + gi * g.stride[0] * pr.cell, span[1] * pr.cell, span[0] * pr.cell);
    const { rows, cols } = windowOf(g, i, j);
    for (const r of rows) for (const q of cols) outline(ctx, pr, r, q, 1, 1, HOVER, 2);
    ctx.strokeStyle = "#1f2933";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(pr.x + l * pr.cell, pr.y + t * pr.cell, g.in[1] * pr.cell, g.in[0] * pr.cell);
    panelTitle(ctx, pr, last ? "= F.conv_transpose2d (padding cropped)" : `sum of scatters 0…${k}`);
    operator(ctx, py, pk, "×");
    operator(ctx, pk, ps, "=");
    operator(ctx, ps, pr, "→");
    footer(ctx, `scatter ${k + 1} of ${g.out[0] * g.out[1]}: y(${i}, ${j}) added into rows ${rows[0]}…${rows[rows.length - 1]}, cols ${cols[0]}…${cols[cols.length - 1]}`);
  }

  // accumulation of the scatter: one step's contribution added per frame while playing forward
  let accKey = "";
  let accStep = -1;
  let accData = new Float64Array(0);
  function accumulated(f: number, cl: number, k: number): Float64Array {
    const g = geom!;
    const [hp, wp] = g.padded;
    const key = `${f}:${cl}`;
    if (key !== accKey || k < accStep) {
      accKey = key;
      accStep = -1;
      accData = new Float64Array(hp * wp);
    }
    const s = trace!.scatter.data;
    for (let step = accStep + 1; step <= k; step++) {
      const i = Math.floor(step / g.out[1]);
      const j = step % g.out[1];
      const { rows, cols } = windowOf(g, i, j);
      for (let u = 0; u < rows.length; u++) for (let v = 0; v < cols.length; v++) accData[rows[u] * wp + cols[v]] += s[pIdx(f, i, j, cl, u, v)];
    }
    accStep = k;
    return accData;
  }

  let resultKey = "";
  let resultImage: GridImage | null = null;
  function smallGridCached(ctx: CanvasRenderingContext2D, p: Panel, key: string, value: (r: number, c: number) => number, maxAbs: number, faded: (r: number, c: number) => boolean) {
    const k = `${key}:${p.cell}`;
    if (k !== resultKey || !resultImage) {
      resultImage = drawGrid(p.rows, p.cols, p.cell, value, maxAbs, true, { faded });
      resultKey = k;
    }
    ctx.drawImage(resultImage.canvas, p.x, p.y, resultImage.width, resultImage.height);
  }

  function footer(ctx: CanvasRenderingContext2D, text: string) {
    ctx.fillStyle = "#616e7c";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.fillText(text, LAYOUT.margin, surface.height - LAYOUT.margin + 8);
  }

  // --- readouts --------------------------------------------------------------------------------
  function updateReadout() {
    if (!trace || !geom) {
      sum.textContent = "";
      return;
    }
    const g = geom;
    const tr = trace;
    const f = filter();
    const v = view();
    const [i, j] = hover?.panel === "output" && v === "conv" ? [hover.r, hover.c] : currentCell();
    if (v === "pool" && g.pool && tr.pool_output) {
      const pg = g.pool;
      const [pi, pj] = hover?.panel === "pooled" ? [hover.r, hover.c] : [i, j];
      const idx = (f * pg.out[0] + pi) * pg.out[1] + pj;
      const n = pg.size[0] * pg.size[1];
      const vals = Array.from(tr.pool_windows!.data.subarray(idx * n, idx * n + n), (x) => formatNumber(x, 3));
      const out = tr.pool_output.data[idx];
      const winner = tr.pool_winners!.data[idx];
      const where = winner >= 0 ? ` — winner: ${g.activation}(output) at (${Math.floor(winner / g.out[1])}, ${winner % g.out[1]})` : "";
      sum.textContent = `${pg.kind}(${vals.join(", ")}) = ${formatNumber(out, 5)}${where}`;
      return;
    }
    if (v === "transposed") {
      const y = outVal(tr.output, f, i, j);
      sum.textContent = `scatter y(${i}, ${j}) = ${formatNumber(y, 5)}: adds y·w[u, v] to padded cell (${i}·${g.stride[0]} + u·${g.dilation[0]}, ${j}·${g.stride[1]} + v·${g.dilation[1]}) for every kernel cell (u, v)`;
      return;
    }
    const g0 = groupStart(f);
    const lines: string[] = [];
    const kk = g.kernel[0] * g.kernel[1];
    let total = 0;
    for (let cl = 0; cl < g.group_channels; cl++) {
      const vals: number[] = [];
      const ws: number[] = [];
      let part = 0;
      const { rows, cols } = windowOf(g, i, j);
      for (let u = 0; u < g.kernel[0]; u++) {
        for (let w = 0; w < g.kernel[1]; w++) {
          vals.push(padVal(g0 + cl, rows[u], cols[w]));
          ws.push(wVal(f, cl, u, w));
          part += tr.products.data[pIdx(f, i, j, cl, u, w)];
        }
      }
      total += part;
      if (g.group_channels === 1 || cl === channel() - g0) {
        const label = g.group_channels > 1 ? `${model.get("channel_names")?.[g0 + cl] ?? `channel ${g0 + cl}`}: ` : "";
        lines.push(label + sumExpression(vals, ws, part, kk <= 9 ? 9 : 8));
      }
    }
    const out = outVal(tr.output, f, i, j);
    const b = tr.bias.data[f];
    if (g.group_channels > 1) lines.push(`sum over ${g.group_channels} channels = ${formatNumber(total, 5)}`);
    lines.push(
      `${g.has_bias ? `${formatNumber(total, 5)} + bias ${formatNumber(b, 4)} = ` : ""}out[${f}, ${i}, ${j}] = ${formatNumber(out, 6)}   (PyTorch F.conv2d)`,
    );
    sum.textContent = lines.join("\n");
  }

  function updateHoverLine() {
    if (!hover || !geom || !trace) {
      hoverLine.textContent = "hover an output cell to see its receptive field, an input cell to see every output it feeds";
      return;
    }
    const g = geom;
    if (hover.panel === "input") {
      const fed = feedsOf(g, hover.r, hover.c);
      const val = padVal(channel(), hover.r, hover.c);
      const [t, , l] = g.pad;
      const inside = hover.r >= t && hover.c >= l && hover.r < t + g.in[0] && hover.c < l + g.in[1];
      const where = inside ? `input (${hover.r - t}, ${hover.c - l})` : `padding (${g.padding_mode})`;
      const list = fed.slice(0, 12).map(([a, b]) => `(${a}, ${b})`).join(" ");
      hoverLine.textContent = `${where} = ${formatNumber(val, 5)} feeds ${fed.length} output cell(s)${fed.length ? `: ${list}${fed.length > 12 ? " …" : ""}` : " (never read: dropped or skipped by the stride)"}`;
    } else if (hover.panel === "output") {
      const { rows, cols } = windowOf(g, hover.r, hover.c);
      hoverLine.textContent = `output (${hover.r}, ${hover.c}) reads padded rows ${rows.join(", ")} × cols ${cols.join(", ")}`;
    } else if (hover.panel === "pooled" && g.pool) {
      hoverLine.textContent = `pooled (${hover.r}, ${hover.c}) takes the ${g.pool.kind} of a ${g.pool.size[0]}×${g.pool.size[1]} window`;
    } else hoverLine.textContent = "";
  }

  // --- animation loop: redraw every frame while playing or gliding -------------------------
  function frameLoop(now: number) {
    raf = 0;
    draw(now);
    if ((timeline && timeline.playing) || gliding(now)) raf = requestAnimationFrame(frameLoop);
  }
  function requestDraw() {
    if (!raf) raf = requestAnimationFrame(frameLoop);
  }

  // --- timeline -------------------------------------------------------------------------------
  let syncTimer: ReturnType<typeof setTimeout> | null = null;
  function buildTimeline() {
    if (!geom) return;
    timeline?.destroy();
    const v = view();
    const n = framesFor(v, geom);
    const start = Math.min(frames[v] ?? 0, n - 1); // createTimeline reports frame 0 first
    timeline = createTimeline({
      frames: n,
      fps: Number(model.get("speed") || 8),
      label: (k) => `${k + 1} / ${n}`,
      onFrame: (k) => {
        frames[view()] = k;
        updateReadout();
        requestDraw();
        if (view() === "conv" && !standalone) {
          if (syncTimer) clearTimeout(syncTimer);
          syncTimer = setTimeout(() => {
            if (model.get("step_index") !== frames.conv) {
              model.set("step_index", frames.conv);
              model.save_changes();
            }
          }, 250);
        }
      },
    });
    timeline.el.querySelector(".dlw-play")?.addEventListener("click", () => requestDraw());
    timelineHolder.replaceChildren(timeline.el);
    timeline.setFrame(start);
    timeline.bindKeys(stage);
  }
  ownKeys(stage);
  ownKeys(editor);
  stage.addEventListener("keydown", (event) => {
    if (!geom || !timeline) return;
    const cols = view() === "pool" && geom.pool ? geom.pool.out[1] : geom.out[1];
    if (event.key === "ArrowDown") timeline.step(cols);
    else if (event.key === "ArrowUp") timeline.step(-cols);
    else if (event.key === " ") requestDraw();
    else return;
    event.preventDefault();
  });

  // --- controls <-> state -------------------------------------------------------------------
  function fillSelect(select: HTMLSelectElement, values: Array<[string, string]>, current: string) {
    select.replaceChildren(...values.map(([value, text]) => h("option", { value }, [text])));
    select.value = current;
  }

  function syncControls() {
    const s = model.get("settings") || {};
    const o = model.get("options") || {};
    if (!geom) return;
    strideH.value = String(s.stride?.[0] ?? 1);
    strideW.value = String(s.stride?.[1] ?? 1);
    dilH.value = String(s.dilation?.[0] ?? 1);
    dilW.value = String(s.dilation?.[1] ?? 1);
    const pads: Array<[string, string]> = [];
    const k = Math.max(...geom.kernel);
    for (let p = 0; p <= Math.max(4, k); p++) pads.push([String(p), String(p)]);
    pads.push(["same", "same"], ["valid", "valid"]);
    let cur = typeof s.padding === "string" ? s.padding : s.padding?.[0] === s.padding?.[1] ? String(s.padding?.[0] ?? 0) : `${s.padding[0]},${s.padding[1]}`;
    if (!pads.some(([v]) => v === cur)) pads.push([cur, cur]);
    if (cur === undefined) cur = "0";
    fillSelect(padSelect, pads, cur);
    fillSelect(modeSelect, (o.padding_modes ?? ["zeros"]).map((m: string) => [m, m]), s.padding_mode ?? "zeros");
    fillSelect(actSelect, (o.activations ?? ["relu"]).map((m: string) => [m, m]), s.activation ?? "relu");
    fillSelect(poolSelect, (o.pools ?? ["max"]).map((m: string) => [m, `${m} pool`]), s.pool ?? "max");
    poolSize.value = String(s.pool_size?.[0] ?? 2);
    speedSelect.value = String(model.get("speed") ?? 8);
    const f = filter();
    fillSelect(filterSelect, Array.from({ length: geom.filters }, (_, k) => [String(k), String(k)]), String(f));
    filterLabel.style.display = geom.filters > 1 ? "" : "none";
    const names: string[] = model.get("channel_names") ?? [];
    const g0 = groupStart(f);
    fillSelect(channelSelect, Array.from({ length: geom.group_channels }, (_, k) => [String(g0 + k), names[g0 + k] ?? String(g0 + k)]), String(channel()));
    channelLabel.style.display = geom.group_channels > 1 ? "" : "none";
    for (const [v, b] of Object.entries(viewButtons)) {
      b.classList.toggle("dlw-primary", v === view());
      b.setAttribute("aria-selected", String(v === view()));
    }
    const poolOk = !!geom.pool;
    viewButtons.pool.disabled = !poolOk;
    viewButtons.pool.title = poolOk ? "" : geom.pool_error;
  }

  function syncText() {
    if (!geom) return;
    const g = geom;
    title.textContent = model.get("title") || "Convolution";
    const v = view();
    if (v === "pool" && g.pool) {
      const p = g.pool;
      formula.textContent =
        `pool H_out = ${formulaText(g.out[0], p.size[0], p.stride[0], 0, 0, 1)}\n` +
        `pool W_out = ${formulaText(g.out[1], p.size[1], p.stride[1], 0, 0, 1)}`;
    } else {
      formula.textContent =
        `H_out = ${formulaText(g.in[0], g.kernel[0], g.stride[0], g.pad[0], g.pad[1], g.dilation[0])}\n` +
        `W_out = ${formulaText(g.in[1], g.kernel[1], g.stride[1], g.pad[2], g.pad[3], g.dilation[1])}`;
    }
    formula.style.whiteSpace = "pre";
    const notes: string[] = [];
    const [dr, dc] = v === "pool" && g.pool ? g.pool.dropped : g.dropped;
    if (dr || dc) {
      const what = [dr ? `${dr} row(s) at the bottom` : "", dc ? `${dc} column(s) at the right` : ""].filter(Boolean).join(" and ");
      notes.push(`the stride does not fit evenly: ${what} never read (floor rule, shown in red)`);
    }
    if (v === "conv" && g.padding_spec !== "0" && g.padding_spec !== "valid") notes.push(`padding ${g.padding_spec} (${g.padding_mode}), faded cells`);
    if (v === "transposed") notes.push("adjoint of the convolution: each output value y(i, j) is scattered back through the kernel to the cells its window read; summed over all steps this is F.conv_transpose2d(y, w, stride, padding, dilation, output_padding = dropped)");
    if (g.pool_error && v === "pool") notes.push(g.pool_error);
    note.textContent = notes.join(" · ");
    const err = model.get("error") || "";
    error.textContent = err;
    error.style.display = err ? "" : "none";
    editHint.textContent = standalone
      ? "static page: cells and settings cannot be edited without a Python kernel"
      : "click an input or kernel cell to type a new value (Python recomputes with torch)";
    galleryTitle.textContent = g.filters > 1 ? `feature maps of all ${g.filters} filters (click to show one)` : "feature map";
  }

  function buildGallery() {
    gallery.replaceChildren();
    if (!trace || !geom) return;
    const g = geom;
    const tr = trace;
    const n = g.filters;
    const cell = cellSize(Math.max(g.out[0], g.out[1]), n > 16 ? 56 : 84, 1, 10);
    for (let f = 0; f < n; f++) {
      const img = drawGrid(g.out[0], g.out[1], cell, (r, c) => outVal(tr.output, f, r, c),
        maxAbsOf(tr.output.data, f * g.out[0] * g.out[1], (f + 1) * g.out[0] * g.out[1]),
        hasNegative(tr.output.data, f * g.out[0] * g.out[1], (f + 1) * g.out[0] * g.out[1]), { text: false });
      img.canvas.style.width = `${img.width}px`;
      img.canvas.style.height = `${img.height}px`;
      img.canvas.className = "dlw-gallery-map";
      const item = h("button", { class: "dlw-gallery-item", type: "button", title: `filter ${f}`, "data-filter": f }, [img.canvas, h("div", { class: "dlw-muted" }, [`${f}`])]);
      Object.assign(item.style, { border: f === filter() ? "2px solid #2f6fdf" : "2px solid transparent", background: "none", padding: "2px", cursor: "pointer", font: "inherit" });
      item.addEventListener("click", () => {
        model.set("filter", f);
        model.save_changes();
      });
      gallery.appendChild(item);
    }
  }

  function sendConfigure(settings: Record<string, unknown>) {
    if (standalone) return;
    pending = true;
    root.dataset.pending = "true";
    error.textContent = "";
    model.send({ type: "configure", settings });
  }
  const intOf = (input: HTMLInputElement, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(Number(input.value) || lo)));
  for (const input of [strideH, strideW, dilH, dilW]) {
    input.addEventListener("change", () =>
      sendConfigure({ stride: [intOf(strideH, 1, 16), intOf(strideW, 1, 16)], dilation: [intOf(dilH, 1, 16), intOf(dilW, 1, 16)] }),
    );
  }
  padSelect.addEventListener("change", () => {
    const v = padSelect.value;
    sendConfigure({ padding: v === "same" || v === "valid" ? v : v.split(",").length === 2 ? v.split(",").map(Number) : Number(v) });
  });
  modeSelect.addEventListener("change", () => sendConfigure({ padding_mode: modeSelect.value }));
  actSelect.addEventListener("change", () => sendConfigure({ activation: actSelect.value }));
  poolSelect.addEventListener("change", () => sendConfigure({ pool: poolSelect.value }));
  poolSize.addEventListener("change", () => sendConfigure({ pool_size: intOf(poolSize, 1, 8) }));
  filterSelect.addEventListener("change", () => {
    model.set("filter", Number(filterSelect.value));
    model.save_changes();
  });
  channelSelect.addEventListener("change", () => {
    model.set("channel", Number(channelSelect.value));
    model.save_changes();
  });
  speedSelect.addEventListener("change", () => {
    model.set("speed", Number(speedSelect.value));
    model.save_changes();
  });

  // --- pointer: hover and edit ------------------------------------------------------------------
  function hit(event: MouseEvent): { panel: Panel; r: number; c: number } | null {
    const [x, y] = pointerPosition(surface.canvas, event);
    for (const p of panels) {
      const rc = cellAt(p, x, y);
      if (rc) return { panel: p, r: rc[0], c: rc[1] };
    }
    return null;
  }
  surface.canvas.addEventListener("pointermove", (event) => {
    const found = hit(event);
    const next = found ? { panel: found.panel.key, r: found.r, c: found.c } : null;
    if (JSON.stringify(next) === JSON.stringify(hover)) return;
    hover = next;
    surface.canvas.style.cursor = found && !standalone && (found.panel.key === "input" || found.panel.key === "kernel") ? "text" : "crosshair";
    updateHoverLine();
    updateReadout();
    requestDraw();
  });
  surface.canvas.addEventListener("pointerleave", () => {
    hover = null;
    updateHoverLine();
    updateReadout();
    requestDraw();
  });
  surface.canvas.addEventListener("click", (event) => {
    const found = hit(event);
    if (!found || !geom) return;
    const g = geom;
    if (found.panel.key === "output" || found.panel.key === "pooled") {
      // jump the stepper to the clicked cell
      timeline?.setFrame(found.r * found.panel.cols + found.c);
      return;
    }
    if (standalone) {
      surface.canvas.title = KERNEL_HINT;
      return;
    }
    let target: string | null = null;
    let index: number[] = [];
    let value = 0;
    const f = filter();
    const c = channel();
    if (found.panel.key === "input") {
      const [t, , l] = g.pad;
      const r = found.r - t;
      const q = found.c - l;
      if (r < 0 || q < 0 || r >= g.in[0] || q >= g.in[1]) return; // padding is not editable
      target = "input";
      index = [c, r, q];
      value = trace!.input.data[(c * g.in[0] + r) * g.in[1] + q];
    } else if (found.panel.key === "kernel") {
      target = "kernel";
      index = [f, c - groupStart(f), found.r, found.c];
      value = wVal(f, c - groupStart(f), found.r, found.c);
    }
    if (!target) return;
    openEditor(found.panel, found.r, found.c, target, index, value);
  });

  function openEditor(p: Panel, r: number, c: number, target: string, index: number[], value: number) {
    const canvasBox = surface.canvas.getBoundingClientRect();
    const rootBox = root.getBoundingClientRect();
    editor.style.left = `${canvasBox.left - rootBox.left + p.x + c * p.cell}px`;
    editor.style.top = `${canvasBox.top - rootBox.top + p.y + r * p.cell}px`;
    editor.style.display = "";
    editor.value = String(Number(value.toPrecision(6)));
    editor.dataset.target = target;
    editor.dataset.index = index.join(",");
    editor.focus();
    editor.select();
  }
  function closeEditor() {
    editor.style.display = "none";
    stage.focus();
  }
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeEditor();
      return;
    }
    if (event.key !== "Enter") return;
    const value = Number(editor.value.replace("−", "-"));
    if (editor.value.trim() === "" || !Number.isFinite(value)) {
      error.textContent = `“${editor.value}” is not a number`;
      error.style.display = "";
      return;
    }
    pending = true;
    root.dataset.pending = "true";
    model.send({ type: "edit", target: editor.dataset.target, index: (editor.dataset.index || "").split(",").map(Number), value });
    closeEditor();
  });
  editor.addEventListener("blur", () => {
    editor.style.display = "none";
  });

  // --- model events -------------------------------------------------------------------------------
  function loadTrace() {
    trace = decodeTrace(model.get("trace"));
    geom = (model.get("geometry") as Geometry) ?? null;
    accKey = "";
    resultKey = "";
    stats = new Map();
    pending = false;
    root.dataset.pending = "false";
    if (!geom) return;
    frames.conv = Math.min(model.get("step_index") ?? 0, framesFor("conv", geom) - 1);
    frames.transposed = Math.min(frames.transposed, framesFor("transposed", geom) - 1);
    frames.pool = Math.min(frames.pool, framesFor("pool", geom) - 1);
    relayout();
    buildTimeline();
    syncControls();
    syncText();
    buildGallery();
    updateReadout();
    updateHoverLine();
    requestDraw();
  }

  const unlisten = listen(model, {
    "change:trace": loadTrace,
    "change:geometry": loadTrace,
    "change:view": () => {
      if (!geom) return;
      if (view() === "pool" && !geom.pool) return;
      relayout();
      buildTimeline();
      syncControls();
      syncText();
      updateReadout();
      requestDraw();
    },
    "change:filter": () => {
      accKey = "";
      syncControls();
      buildGallery();
      updateReadout();
      requestDraw();
    },
    "change:channel": () => {
      accKey = "";
      syncControls();
      updateReadout();
      requestDraw();
    },
    "change:step_index": () => {
      const k = model.get("step_index") ?? 0;
      if (view() === "conv" && timeline && timeline.frame !== k) timeline.setFrame(k);
      else frames.conv = k;
    },
    "change:speed": () => {
      buildTimeline();
      syncControls();
    },
    "change:error": () => {
      pending = false;
      root.dataset.pending = "false";
      syncControls();
      syncText();
    },
    "change:settings": syncControls,
    "change:title": syncText,
  });

  loadTrace();
  return () => {
    unlisten();
    timeline?.destroy();
    if (raf) cancelAnimationFrame(raf);
    if (syncTimer) clearTimeout(syncTimer);
    void pending;
  };
}

export default { render };
