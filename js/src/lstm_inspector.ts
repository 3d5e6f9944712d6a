// LSTM gate inspector: every gate and state of a recurrent layer over a sequence, as PyTorch
// computed it (the whole trace is in synced state as binary arrays). Heatmaps of each gate over
// time × units with the tokens on the time axis, hover for exact values, click to pick a step and
// a unit; the classic cell diagram with the live numbers of the chosen step and unit; play and
// scrub through time; the text coloured by a unit (Karpathy) and a search for units that fire on
// a selected span (LSTMVis); typing new text, clamping a gate and the gradient through time go
// back to Python (disabled with a hint in a static export). Token strings are only ever text.

import { scaleLinear, scaleLog, scaleSequential } from "d3-scale";
import { interpolateRdBu, interpolateViridis } from "d3-scale-chromatic";
import { decodeArray, type NdArray, type WireArray } from "./lib/arrays";
import { createSurface, pointerPosition, type Surface } from "./lib/canvas";
import { h, isStandalone, listen, needsKernel, ownKeys, widgetRoot, type ModelLike } from "./lib/dom";
import { formatNumber } from "./lib/format";
import { createTimeline, type Timeline } from "./lib/timeline";

// ---------------------------------------------------------------------------------------------
// Pure helpers (tested in js/tests/lstm_inspector.test.ts)

export interface Dims {
  layers: number;
  dirs: number;
  steps: number;
  units: number;
}

export function dimsOf(shape: number[]): Dims {
  if (shape.length !== 4) throw new RangeError(`trace arrays are 4-D (L, D, T, units), got [${shape.join(", ")}]`);
  return { layers: shape[0], dirs: shape[1], steps: shape[2], units: shape[3] };
}

/** Flat index of (layer, direction, t, unit) in a (L, D, T, units) array. */
export function at(d: Dims, layer: number, dir: number, t: number, unit: number): number {
  return ((layer * d.dirs + dir) * d.steps + t) * d.units + unit;
}

/** Values of one unit over time (layer, direction fixed). */
export function unitSeries(data: ArrayLike<number>, d: Dims, layer: number, dir: number, unit: number): Float64Array {
  const out = new Float64Array(d.steps);
  if (unit < 0 || unit >= d.units) return out.fill(NaN);
  for (let t = 0; t < d.steps; t++) out[t] = data[at(d, layer, dir, t, unit)];
  return out;
}

export type Scheme = "gate" | "signed" | "positive";

/** Fixed colour range of a bounded array — sigmoid gates [0, 1], tanh outputs [−1, 1] — or
 *  null for unbounded ones (c, pre-activations, a projected h, a ReLU h). */
export function fixedDomain(name: string, kind: string, nonlinearity: string, proj: number): { scheme: Scheme; domain: [number, number] } | null {
  const sigmoid = kind === "LSTM" ? ["input", "forget", "output"] : kind === "GRU" ? ["reset", "update"] : [];
  if (sigmoid.includes(name)) return { scheme: "gate", domain: [0, 1] };
  const tanhBounded = kind === "LSTM" ? ["cell", "m", ...(proj ? [] : ["h"])]
    : kind === "GRU" ? ["new", "h"] : nonlinearity === "tanh" ? ["h"] : [];
  if (tanhBounded.includes(name)) return { scheme: "signed", domain: [-1, 1] };
  return null;
}

/** Colour scheme and value domain of a recorded array: the fixed range of a bounded one, else
 *  symmetric around 0 by its (robust) largest magnitude; a ReLU h from 0 up. */
export function domainFor(name: string, kind: string, nonlinearity: string, proj: number,
  values: ArrayLike<number>): { scheme: Scheme; domain: [number, number] } {
  const fixed = fixedDomain(name, kind, nonlinearity, proj);
  if (fixed) return fixed;
  const m = robustMaxAbs(values);
  if (kind === "RNN" && nonlinearity === "relu" && name === "h") return { scheme: "positive", domain: [0, m] };
  return { scheme: "signed", domain: [-m, m] };
}

/** The q-quantile of |v| over the finite values (a strided sample of at most `sample` values),
 *  so that a few outliers do not wash out a heatmap; 1 when everything is 0. */
export function robustMaxAbs(values: ArrayLike<number>, q = 0.995, sample = 200_000): number {
  const stride = Math.max(1, Math.ceil(values.length / sample));
  const abs: number[] = [];
  for (let i = 0; i < values.length; i += stride) {
    const v = Math.abs(values[i]);
    if (Number.isFinite(v)) abs.push(v);
  }
  if (!abs.length) return 1;
  abs.sort((a, b) => a - b);
  const m = abs[Math.min(abs.length - 1, Math.floor(q * (abs.length - 1) + 0.5))];
  if (m > 1e-9) return m;
  const top = abs[abs.length - 1];
  return top > 1e-9 ? top : 1;
}

/** Colours of the text strip (one unit over time): bounded gates keep their fixed range so that
 *  0.5 always looks the same; unbounded values (and differences) use the unit's own largest
 *  magnitude, as Karpathy's cell visualizations do, so a counting unit stands out. */
export function textDomain(name: string, kind: string, nonlinearity: string, proj: number,
  series: ArrayLike<number>, diff = false): { scheme: Scheme; domain: [number, number] } {
  let m = 0;
  for (let i = 0; i < series.length; i++) {
    const v = Math.abs(series[i]);
    if (Number.isFinite(v) && v > m) m = v;
  }
  if (!(m > 1e-12)) m = 1;
  if (diff) return { scheme: "signed", domain: [-m, m] };
  const fixed = fixedDomain(name, kind, nonlinearity, proj);
  if (fixed) return fixed;
  if (kind === "RNN" && nonlinearity === "relu" && name === "h") return { scheme: "positive", domain: [0, m] };
  return { scheme: "signed", domain: [-m, m] };
}

/** A 256-entry RGB lookup table for a scheme (index 0 = domain low end). */
export function lut(scheme: Scheme): Uint8ClampedArray {
  const out = new Uint8ClampedArray(256 * 3);
  const color = scheme === "signed"
    ? (x: number) => interpolateRdBu(1 - x) // low = blue, high = red
    : (x: number) => interpolateViridis(x);
  for (let k = 0; k < 256; k++) {
    const rgb = parseColor(color(k / 255));
    out[k * 3] = rgb[0];
    out[k * 3 + 1] = rgb[1];
    out[k * 3 + 2] = rgb[2];
  }
  return out;
}

/** "rgb(r, g, b)" or "#rrggbb" → [r, g, b]. */
export function parseColor(css: string): [number, number, number] {
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  throw new TypeError(`cannot read colour ${css}`);
}

/** Position of v in the domain as a LUT index 0..255 (−1 for NaN/∞). */
export function lutIndex(v: number, domain: [number, number]): number {
  if (!Number.isFinite(v)) return -1;
  const [lo, hi] = domain;
  const x = hi === lo ? 0.5 : (v - lo) / (hi - lo);
  return Math.max(0, Math.min(255, Math.round(x * 255)));
}

/** Dark or light text on a background colour (relative luminance). */
export function textOn(rgb: [number, number, number]): string {
  const lum = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
  return lum > 0.55 ? "#111" : "#fff";
}

export interface HeatLayout {
  left: number;
  top: number;
  cellW: number;
  cellH: number;
  blockH: number;
  gap: number;
  axisH: number;
  width: number;
  height: number;
  names: string[];
  units: number[];
  steps: number;
}

/** Geometry of the stacked heatmaps (one block per array, units down, time across). */
export function heatLayout(names: string[], units: number[], steps: number, maxWidth = 560, left = 64): HeatLayout {
  const cellW = Math.max(1, Math.min(16, Math.floor((maxWidth - left - 8) / Math.max(1, steps))));
  const maxUnits = Math.max(1, ...units);
  const cellH = Math.max(1, Math.min(6, Math.floor(64 / maxUnits)));
  const gap = 16;
  const top = 4;
  const blockH = maxUnits * cellH;
  const axisH = cellW >= 7 ? 20 : 16;
  const height = top + names.length * (blockH + gap) + axisH;
  // at least wide enough for the block labels ("forget gate f (σ)  [0, 1]") of a short sequence
  const width = Math.max(left + steps * cellW + 8, 340);
  return { left, top, cellW, cellH, blockH, gap, axisH, width, height, names, units, steps };
}

/** y of the first cell row of a block (a label line of gap − 2 px sits above it). */
export function blockTop(layout: HeatLayout, block: number): number {
  return layout.top + block * (layout.blockH + layout.gap) + (layout.gap - 2);
}

/** Which block, step and unit lie under (x, y), or null. */
export function cellAt(layout: HeatLayout, x: number, y: number): { block: number; t: number; unit: number } | null {
  if (x < layout.left || x >= layout.left + layout.steps * layout.cellW) return null;
  const t = Math.floor((x - layout.left) / layout.cellW);
  if (y < layout.top) return null;
  const block = Math.floor((y - layout.top) / (layout.blockH + layout.gap));
  if (block >= layout.names.length) return null;
  const row = Math.floor((y - blockTop(layout, block)) / layout.cellH);
  if (row < 0 || row >= layout.units[block]) return null;
  return { block, t, unit: row };
}

/** Units ranked by mean inside [start, stop) minus mean outside (LSTMVis's selection query). */
export function rankUnits(data: ArrayLike<number>, d: Dims, layer: number, dir: number, start: number, stop: number): Array<{ unit: number; score: number }> {
  if (!(start >= 0 && start < stop && stop <= d.steps) || stop - start === d.steps) return [];
  const out: Array<{ unit: number; score: number }> = [];
  for (let u = 0; u < d.units; u++) {
    let inside = 0;
    let outside = 0;
    for (let t = 0; t < d.steps; t++) {
      const v = data[at(d, layer, dir, t, u)];
      if (t >= start && t < stop) inside += v;
      else outside += v;
    }
    out.push({ unit: u, score: inside / (stop - start) - outside / (d.steps - (stop - start)) });
  }
  // stable: equal scores keep unit order
  return out.sort((a, b) => (b.score - a.score) || (a.unit - b.unit));
}

/** Time step read as "previous" by step t: t−1 forwards, t+1 for the reverse direction;
 *  −1 means the initial state. */
export function previousStep(t: number, dir: number, steps: number): number {
  if (dir === 0) return t - 1;
  return t + 1 < steps ? t + 1 : -1;
}

export interface LstmNumbers {
  i: number; f: number; g: number; o: number;
  cPrev: number; c: number; fc: number; ig: number; tanhC: number; m: number; h: number;
}

/** The numbers the LSTM cell diagram shows, from the recorded gates (c = f·c_prev + i·g and
 *  m = o·tanh(c) are recomputed here only for display; Python's c and h are shown beside). */
export function lstmNumbers(v: { i: number; f: number; g: number; o: number; cPrev: number; c: number; h: number }): LstmNumbers {
  const fc = v.f * v.cPrev;
  const ig = v.i * v.g;
  const tanhC = Math.tanh(v.c);
  return { ...v, fc, ig, tanhC, m: v.o * tanhC };
}

export interface GruNumbers { r: number; z: number; n: number; hPrev: number; h: number; keep: number; fresh: number }

/** GRU mix: h = (1 − z)·n + z·h_prev. */
export function gruNumbers(v: { r: number; z: number; n: number; hPrev: number; h: number }): GruNumbers {
  return { ...v, fresh: (1 - v.z) * v.n, keep: v.z * v.hPrev };
}

/** One (layer, direction) row of gradient norms shaped (L, D, T); a model with fewer layers or
 *  directions (the comparison) gives its last one. */
export function gradientSeries(data: ArrayLike<number>, shape: number[], layer: number, dir: number): Float64Array {
  const [L, D, T] = shape;
  const l = Math.min(layer, L - 1);
  const d = Math.min(dir, D - 1);
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) out[t] = data[(l * D + d) * T + t];
  return out;
}

/** Positive finite extent of series for a log axis (null when nothing positive). */
export function logDomain(series: Array<ArrayLike<number> | null>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    if (!s) continue;
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (v > 0 && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!Number.isFinite(lo)) return null;
  if (hi / lo < 10) {
    lo /= 3;
    hi *= 3;
  }
  return [lo, hi];
}

/** Index of the largest entry in row t of a (T, k) array. */
export function argmaxRow(data: ArrayLike<number>, k: number, t: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (data[t * k + j] > data[t * k + best]) best = j;
  return best;
}

/** A short vector as text: [a, b, c] with at most `n` entries shown. */
export function vectorText(values: ArrayLike<number>, n = 6): string {
  const shown = Array.from({ length: Math.min(n, values.length) }, (_, k) => formatNumber(values[k], 3));
  return `[${shown.join(", ")}${values.length > n ? `, … (${values.length} values)` : ""}]`;
}

/** Token as shown in the text strip: newlines and tabs made visible, and spaces too when the
 *  token is nothing but spaces (a space character of a char model); other text is unchanged. */
export function visibleToken(token: string): string {
  if (token === "") return "∅";
  const shown = /^ +$/.test(token) ? token.replace(/ /g, "␣") : token;
  return shown.replace(/\n/g, "↵").replace(/\t/g, "⇥");
}

/** Short axis label for a token (at most n characters, ellipsis beyond). */
export function shortToken(token: string, n: number): string {
  const v = visibleToken(token);
  return v.length <= n ? v : `${v.slice(0, Math.max(1, n - 1))}…`;
}

// ---------------------------------------------------------------------------------------------
// rendering

const SVG_NS = "http://www.w3.org/2000/svg";
const BLUE = "#2f6fdf";
const ORANGE = "#e8590c";
const GREY = "#7b8794";
const STYLE = `
.dlw-lstm-inspector .dlw-lstm-text { display: flex; flex-wrap: wrap; gap: 1px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 14px; margin: 6px 0; user-select: none; max-width: 900px; }
.dlw-lstm-inspector .dlw-lstm-tok { display: inline-flex; flex-direction: column; align-items: center; min-width: 1.1em; cursor: pointer; border-radius: 2px; }
.dlw-lstm-inspector .dlw-lstm-tok > .dlw-lstm-ch { padding: 1px 2px; white-space: pre; border-radius: 2px; border: 1px solid transparent; }
.dlw-lstm-inspector .dlw-lstm-tok.dlw-current > .dlw-lstm-ch { border-color: #1f2933; }
.dlw-lstm-inspector .dlw-lstm-tok.dlw-selected > .dlw-lstm-ch { outline: 2px solid #e8590c; }
.dlw-lstm-inspector .dlw-lstm-pred { font-size: 10px; color: #616e7c; line-height: 1.1; }
.dlw-lstm-inspector .dlw-lstm-pred.dlw-changed { color: #c92a2a; font-weight: 700; }
.dlw-lstm-inspector .dlw-lstm-rank button { margin: 2px 4px 2px 0; }
.dlw-lstm-inspector .dlw-lstm-panel { border: 1px solid var(--dlw-border); border-radius: 6px; padding: 6px 8px; background: var(--dlw-panel); }
.dlw-lstm-inspector .dlw-lstm-panel h4 { margin: 0 0 4px 0; font-size: 12px; font-weight: 600; color: var(--dlw-muted); }
.dlw-lstm-inspector svg text { font-family: system-ui, sans-serif; font-size: 11px; }
.dlw-lstm-inspector .dlw-lstm-num { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 10.5px; }
`;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

interface Decoded {
  dims: Dims;
  data: NdArray["data"];
}

function decodeTrace(wires: Record<string, WireArray> | undefined): Record<string, Decoded> {
  const out: Record<string, Decoded> = {};
  for (const [name, wire] of Object.entries(wires ?? {})) {
    const arr = decodeArray(wire);
    out[name] = { dims: dimsOf(arr.shape), data: arr.data };
  }
  return out;
}

const LUTS: Partial<Record<Scheme, Uint8ClampedArray>> = {};
function lutFor(scheme: Scheme): Uint8ClampedArray {
  return (LUTS[scheme] ??= lut(scheme));
}

const LABELS: Record<string, string> = {
  input: "input gate i (σ)", forget: "forget gate f (σ)", cell: "candidate g (tanh)", output: "output gate o (σ)",
  c: "cell state c", h: "hidden state h", m: "m = o·tanh(c) (before projection)", reset: "reset gate r (σ)",
  update: "update gate z (σ)", new: "candidate n (tanh)", pre: "pre-activation",
};

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const root = widgetRoot(el, "lstm-inspector");
  if (!document.getElementById("dlw-lstm-style")) {
    const style = h("style", { id: "dlw-lstm-style" });
    style.textContent = STYLE;
    document.head.appendChild(style);
  }
  const standalone = isStandalone(model);
  const info = () => (model.get("info") ?? {}) as Record<string, any>;
  const tokens = (): string[] => model.get("tokens") ?? [];

  // ---- DOM -----------------------------------------------------------------------------------
  const title = h("div", { class: "dlw-title dlw-lstm-title" });
  const subtitle = h("div", { class: "dlw-muted dlw-lstm-module" });
  const note = h("div", { class: "dlw-muted dlw-lstm-note" });
  const error = h("div", { class: "dlw-error dlw-lstm-error", role: "alert" });

  const layerSel = h("select", { class: "dlw-lstm-layer", "aria-label": "layer" });
  const dirSel = h("select", { class: "dlw-lstm-direction", "aria-label": "direction" });
  const gateSel = h("select", { class: "dlw-lstm-gate", "aria-label": "colour text by" });
  const traceSel = h("select", { class: "dlw-lstm-which", "aria-label": "which trace" });
  for (const [v, label] of [["original", "original"], ["clamped", "with clamp"], ["diff", "clamp − original"]]) {
    traceSel.appendChild(h("option", { value: v }, [label]));
  }
  const unitInput = h("input", { type: "number", min: 0, step: 1, class: "dlw-lstm-unit", "aria-label": "unit", style: "width:4.5em" });
  const unitPrev = h("button", { class: "dlw-button dlw-lstm-unit-prev", type: "button", title: "previous unit" }, ["−"]);
  const unitNext = h("button", { class: "dlw-button dlw-lstm-unit-next", type: "button", title: "next unit" }, ["+"]);
  const layerLabel = h("label", {}, ["layer", layerSel]);
  const dirLabel = h("label", {}, ["direction", dirSel]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [
    layerLabel, dirLabel, h("label", {}, ["colour text by", gateSel]),
    h("label", {}, ["unit", unitPrev, unitInput, unitNext]), h("label", {}, ["show", traceSel]),
  ]);

  const textStrip = h("div", { class: "dlw-lstm-text", "aria-label": "tokens" });
  const predLabel = h("div", { class: "dlw-muted dlw-lstm-pred-label" });
  const textLegend = h("div", { class: "dlw-muted dlw-lstm-text-legend" });
  const rankBox = h("div", { class: "dlw-lstm-rank dlw-muted" }, ["drag across the text to find units that fire on a span"]);
  const textInput = needsKernel(model, h("input", { type: "text", class: "dlw-lstm-input", "aria-label": "new text", style: "width:28em" }));
  const runButton = needsKernel(model, h("button", { class: "dlw-button dlw-primary dlw-lstm-run", type: "button" }, ["Run"]));
  const textRow = h("div", { class: "dlw-toolbar dlw-lstm-textrow" }, [h("label", {}, ["text", textInput]), runButton]);

  const heat: Surface = createSurface(600, 300, "dlw-canvas dlw-lstm-heatmap");
  const hover = h("div", { class: "dlw-readout dlw-lstm-hover" }, ["hover the heatmaps to read values; click to pick a step and unit"]);
  const diagramBox = h("div", { class: "dlw-lstm-panel dlw-lstm-diagram" });
  const heatCol = h("div", {}, [heat.canvas, hover]);
  const mainRow = h("div", { class: "dlw-row" }, [heatCol, diagramBox]);
  const timelineHolder = h("div", { class: "dlw-lstm-timeline" });

  const series = createSurface(420, 150, "dlw-canvas dlw-lstm-series");
  const grad = createSurface(420, 150, "dlw-canvas dlw-lstm-gradient");
  const gradNote = h("div", { class: "dlw-muted dlw-lstm-gradnote", style: "max-width:420px" });
  const clampGate = needsKernel(model, h("select", { class: "dlw-lstm-clamp-gate", "aria-label": "gate to clamp" }));
  const clampValue = needsKernel(model, h("input", { type: "number", step: 0.05, value: 1, class: "dlw-lstm-clamp-value", "aria-label": "clamp value", style: "width:5em" }));
  const clampApply = needsKernel(model, h("button", { class: "dlw-button dlw-primary dlw-lstm-clamp", type: "button" }, ["Clamp from this step"]));
  const clampClear = needsKernel(model, h("button", { class: "dlw-button dlw-lstm-unclamp", type: "button" }, ["Clear"]));
  const clampInfo = h("div", { class: "dlw-readout dlw-lstm-clamp-info", style: "white-space:pre-wrap;max-width:360px" });
  const clampPanel = h("div", { class: "dlw-lstm-panel" }, [
    h("h4", {}, ["Intervention: clamp a gate of the selected unit"]),
    h("div", { class: "dlw-toolbar" }, [clampGate, h("label", {}, ["=", clampValue]), clampApply, clampClear]),
    clampInfo,
  ]);
  const seriesPanel = h("div", { class: "dlw-lstm-panel" }, [h("h4", { class: "dlw-lstm-series-title" }), series.canvas]);
  const gradPanel = h("div", { class: "dlw-lstm-panel" }, [h("h4", {}, ["Gradient through time ‖∂h_T/∂h_t‖ (log scale)"]), grad.canvas, gradNote]);
  const bottomRow = h("div", { class: "dlw-row", style: "margin-top:8px" }, [seriesPanel, gradPanel, clampPanel]);

  root.append(title, subtitle, note, error, toolbar, textStrip, textLegend, predLabel, rankBox, textRow, mainRow, timelineHolder, bottomRow);

  // ---- data ----------------------------------------------------------------------------------
  let trace: Record<string, Decoded> = {};
  let clampedTrace: Record<string, Decoded> = {};
  let initial: Record<string, Decoded> = {};
  let outputs: NdArray | null = null;
  let clampedOutputs: NdArray | null = null;
  let finalOut: NdArray | null = null;
  let clampedFinal: NdArray | null = null;
  let norms: NdArray | null = null;
  let compareNorms: NdArray | null = null;
  let clampedNorms: NdArray | null = null;
  let layout: HeatLayout | null = null;
  let selection: [number, number] | null = null;
  let dragFrom: number | null = null;
  let hovered: { name: string; t: number; unit: number } | null = null;

  function decodeInitial() {
    initial = {};
    for (const [k, w] of Object.entries((model.get("initial") ?? {}) as Record<string, WireArray>)) {
      const a = decodeArray(w); // (L, D, units) -> as a T=1 trace
      initial[k] = { dims: { layers: a.shape[0], dirs: a.shape[1], steps: 1, units: a.shape[2] }, data: a.data };
    }
  }
  function decodeAll() {
    trace = decodeTrace(model.get("trace_data"));
    decodeInitial();
    const out = model.get("outputs") as { y?: WireArray; final?: WireArray } | undefined;
    outputs = out?.y ? decodeArray(out.y) : null;
    finalOut = out?.final ? decodeArray(out.final) : null;
    const g = (model.get("gradient") ?? {}) as { norms?: WireArray; compare?: WireArray };
    norms = g.norms ? decodeArray(g.norms) : null;
    compareNorms = g.compare ? decodeArray(g.compare) : null;
    decodeClamped();
  }
  function decodeClamped() {
    const c = (model.get("clamped") ?? {}) as { trace?: Record<string, WireArray>; outputs?: WireArray; gradient?: WireArray; final?: WireArray };
    clampedTrace = decodeTrace(c.trace);
    clampedOutputs = c.outputs ? decodeArray(c.outputs) : null;
    clampedFinal = c.final ? decodeArray(c.final) : null;
    clampedNorms = c.gradient ? decodeArray(c.gradient) : null;
  }

  const layer = () => Math.min(Number(model.get("layer")) || 0, (info().num_layers ?? 1) - 1);
  const dir = () => Math.min(Number(model.get("direction")) || 0, (info().num_directions ?? 1) - 1);
  const unit = () => Number(model.get("unit")) || 0;
  const step = () => Number(model.get("step")) || 0;
  const gate = () => String(model.get("gate") ?? "h");
  const names = (): string[] => (info().state_names ?? Object.keys(trace)).filter((n: string) => n in trace);
  const hasClamp = () => Object.keys(clampedTrace).length > 0;
  const which = () => (hasClamp() ? traceSel.value : "original");

  /** Values to draw for array `name`: original, clamped or their difference. */
  function valuesOf(name: string): { dims: Dims; data: ArrayLike<number> } | null {
    const base = trace[name];
    if (!base) return null;
    const mode = which();
    if (mode === "original" || !clampedTrace[name]) return base;
    if (mode === "clamped") return clampedTrace[name];
    const a = base.data;
    const b = clampedTrace[name].data;
    const diff = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) diff[i] = b[i] - a[i];
    return { dims: base.dims, data: diff };
  }
  const cache = new Map<string, { dims: Dims; data: ArrayLike<number>; scheme: Scheme; domain: [number, number] }>();
  function colored(name: string) {
    const key = `${name}|${which()}`;
    let entry = cache.get(key);
    if (!entry) {
      const v = valuesOf(name);
      if (!v) return null;
      const i = info();
      const d = which() === "diff"
        ? domainFor("__diff", "", "", 0, v.data)
        : domainFor(name, i.kind ?? "", i.nonlinearity ?? "", i.proj_size ?? 0, trace[name].data);
      entry = { ...v, ...d };
      cache.set(key, entry);
    }
    return entry;
  }
  const valueAt = (name: string, t: number, u: number, source: Record<string, Decoded> = trace): number => {
    const a = source[name];
    if (!a || u >= a.dims.units || t < 0 || t >= a.dims.steps) return NaN;
    return a.data[at(a.dims, layer(), dir(), t, u)];
  };

  // ---- toolbar -------------------------------------------------------------------------------
  function fillSelects() {
    const i = info();
    layerSel.replaceChildren(...Array.from({ length: i.num_layers ?? 1 }, (_, k) => h("option", { value: k }, [String(k)])));
    dirSel.replaceChildren(...Array.from({ length: i.num_directions ?? 1 }, (_, k) => h("option", { value: k }, [k === 0 ? "forward" : "reverse"])));
    layerLabel.style.display = (i.num_layers ?? 1) > 1 ? "" : "none";
    dirLabel.style.display = (i.num_directions ?? 1) > 1 ? "" : "none";
    gateSel.replaceChildren(...names().map((n) => h("option", { value: n }, [LABELS[n] ?? n])));
    const clampable = (i.clampable ?? {}) as Record<string, [number, number]>;
    clampGate.replaceChildren(...Object.keys(clampable).map((n) => h("option", { value: n }, [LABELS[n] ?? n])));
    unitInput.max = String((i.hidden_size ?? 1) - 1);
    textRow.style.display = i.has_tokenizer ? "" : "none";
  }
  function syncControls() {
    const i = info();
    title.textContent = model.get("title") || "LSTM inspector";
    const where = i.module_name ? `inspecting ${i.description} (the first recurrent layer found in the model)` : `inspecting ${i.description ?? ""}`;
    subtitle.textContent = `${where}; T = ${i.steps ?? tokens().length} steps`;
    const notes = [i.output_note, i.nonfinite_step >= 0 ? `the trace holds NaN/∞ from step ${i.nonfinite_step} on (grey cells)` : ""]
      .filter((s: string) => s);
    note.textContent = notes.join(" · ");
    note.style.display = notes.length ? "" : "none";
    const err = String(model.get("error") ?? "");
    error.textContent = err;
    error.style.display = err ? "" : "none";
    layerSel.value = String(layer());
    dirSel.value = String(dir());
    gateSel.value = gate();
    unitInput.value = String(unit());
    if (document.activeElement !== textInput) textInput.value = String(model.get("text") ?? "");
    traceSel.disabled = !hasClamp();
    traceSel.title = hasClamp() ? "" : "apply a clamp first";
    if (!hasClamp()) traceSel.value = "original";
    const range = ((i.clampable ?? {}) as Record<string, [number, number]>)[clampGate.value];
    if (range) {
      clampValue.min = String(Math.max(range[0], -1e6));
      clampValue.max = String(Math.min(range[1], 1e6));
    }
  }
  const setTrait = (name: string, value: unknown) => {
    model.set(name, value);
    model.save_changes();
  };
  layerSel.addEventListener("change", () => setTrait("layer", Number(layerSel.value)));
  dirSel.addEventListener("change", () => setTrait("direction", Number(dirSel.value)));
  gateSel.addEventListener("change", () => setTrait("gate", gateSel.value));
  traceSel.addEventListener("change", () => drawAll());
  const setUnit = (u: number) => {
    const n = info().hidden_size ?? 1;
    setTrait("unit", Math.max(0, Math.min(n - 1, Math.round(u))));
  };
  unitInput.addEventListener("change", () => setUnit(Number(unitInput.value)));
  unitPrev.addEventListener("click", () => setUnit(unit() - 1));
  unitNext.addEventListener("click", () => setUnit(unit() + 1));
  const sendText = () => {
    if (standalone) return;
    model.send({ type: "text", text: textInput.value });
  };
  runButton.addEventListener("click", sendText);
  ownKeys(textInput);
  textInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") sendText();
  });
  clampGate.addEventListener("change", () => {
    const range = ((info().clampable ?? {}) as Record<string, [number, number]>)[clampGate.value];
    if (range) clampValue.value = String(range[0] >= 0 ? range[1] : 0);
    syncControls();
  });
  clampApply.addEventListener("click", () => {
    if (standalone) return;
    model.send({ type: "clamp", gate: clampGate.value, unit: unit(), value: Number(clampValue.value), start: step(), layer: layer(), direction: dir() });
  });
  clampClear.addEventListener("click", () => {
    if (!standalone) model.send({ type: "clear_clamp" });
  });

  // ---- text strip (Karpathy colouring, selection search) -------------------------------------
  let tokenNodes: HTMLElement[] = [];
  let predNodes: HTMLElement[] = [];
  let clampPredNodes: HTMLElement[] = [];
  function buildText() {
    const toks = tokens();
    // argmax rows only for a model's own per-step output (class scores), not a layer's h
    const perStep = info().output_label === "model output" && outputs && outputs.shape.length === 2
      && outputs.shape[1] >= 2 && outputs.shape[0] === toks.length;
    tokenNodes = [];
    predNodes = [];
    clampPredNodes = [];
    const nodes = toks.map((tok, t) => {
      const ch = h("span", { class: "dlw-lstm-ch" });
      ch.textContent = visibleToken(tok); // text, never HTML
      const node = h("span", { class: "dlw-lstm-tok", "data-t": t, title: `t = ${t}` }, [ch]);
      if (perStep) {
        const p = h("span", { class: "dlw-lstm-pred" });
        predNodes.push(p);
        node.appendChild(p);
        const q = h("span", { class: "dlw-lstm-pred dlw-lstm-pred-clamped" });
        clampPredNodes.push(q);
        node.appendChild(q);
      }
      node.addEventListener("mousedown", (e) => {
        e.preventDefault();
        dragFrom = t;
        selection = [t, t + 1];
        paintText();
      });
      node.addEventListener("mouseenter", () => {
        if (dragFrom !== null) {
          selection = [Math.min(dragFrom, t), Math.max(dragFrom, t) + 1];
          paintText();
        }
      });
      node.addEventListener("click", () => {
        if (selection && selection[1] - selection[0] > 1) return;
        timeline?.setFrame(t);
      });
      tokenNodes.push(node);
      return node;
    });
    textStrip.replaceChildren(...nodes);
    predLabel.textContent = perStep ? "under each token: the model's argmax output at that step (red: changed by the clamp)" : "";
    predLabel.style.display = perStep ? "" : "none";
  }
  const endDrag = () => {
    if (dragFrom === null) return;
    dragFrom = null;
    if (selection && selection[1] - selection[0] < tokens().length) setTrait("selection", [selection[0], selection[1]]);
    showRanking();
  };
  document.addEventListener("mouseup", endDrag);

  function paintText() {
    const g = gate();
    const t0 = step();
    const u = unit();
    const i = info();
    const mode = which();
    const vals = tokenNodes.map((_, t) => (mode === "diff"
      ? valueAt(g, t, u, clampedTrace) - valueAt(g, t, u)
      : valueAt(g, t, u, mode === "clamped" ? clampedTrace : trace)));
    const { scheme, domain } = textDomain(g, i.kind ?? "", i.nonlinearity ?? "", i.proj_size ?? 0, vals, mode === "diff");
    const table = lutFor(scheme);
    tokenNodes.forEach((node, t) => {
      const ch = node.firstChild as HTMLElement;
      const k = lutIndex(vals[t], domain);
      const rgb: [number, number, number] = k < 0 ? [187, 187, 187] : [table[k * 3], table[k * 3 + 1], table[k * 3 + 2]];
      ch.style.background = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
      ch.style.color = textOn(rgb);
      ch.title = `t = ${t}   ${g}[unit ${u}] = ${formatNumber(vals[t], 6)}`;
      node.classList.toggle("dlw-current", t === t0);
      node.classList.toggle("dlw-selected", !!selection && t >= selection[0] && t < selection[1]);
    });
    const ends = scheme === "gate" ? "dark blue → yellow" : scheme === "positive" ? "dark → yellow" : "blue → white (0) → red";
    textLegend.textContent = `text coloured by ${LABELS[g] ?? g}${mode === "diff" ? " (clamp − original)" : mode === "clamped" ? " (with clamp)" : ""} of unit ${u}: ${ends} over [${formatNumber(domain[0], 3)}, ${formatNumber(domain[1], 3)}]`;
    if (outputs && predNodes.length) {
      const k = outputs.shape[1];
      predNodes.forEach((p, t) => {
        p.textContent = String(argmaxRow(outputs!.data, k, t));
      });
      clampPredNodes.forEach((q, t) => {
        if (clampedOutputs && clampedOutputs.shape[1] === k) {
          const a = argmaxRow(clampedOutputs.data, k, t);
          q.textContent = String(a);
          q.classList.toggle("dlw-changed", a !== argmaxRow(outputs!.data, k, t));
          q.style.display = "";
        } else {
          q.textContent = "";
          q.style.display = "none";
        }
      });
    }
  }
  function showRanking() {
    const sel = selection;
    const a = trace[gate()];
    if (!sel || !a) return;
    const ranked = rankUnits(a.data, a.dims, layer(), dir(), sel[0], sel[1]);
    if (!ranked.length) {
      rankBox.replaceChildren("select fewer tokens: some must stay outside the selection to compare with");
      return;
    }
    const span = tokens().slice(sel[0], sel[1]).map(visibleToken).join("");
    const head = h("span", {});
    head.textContent = `units of ${gate()} most active on “${span.length > 40 ? `${span.slice(0, 39)}…` : span}” (steps ${sel[0]}–${sel[1] - 1}), mean inside − outside: `;
    const buttons = ranked.slice(0, 8).map((r) => {
      const b = h("button", { class: "dlw-button dlw-lstm-rank-unit", type: "button", "data-unit": r.unit }, [`unit ${r.unit} (${formatNumber(r.score, 3)})`]);
      b.addEventListener("click", () => setUnit(r.unit));
      return b;
    });
    rankBox.replaceChildren(head, ...buttons);
  }

  // ---- heatmaps --------------------------------------------------------------------------------
  function drawHeat() {
    const list = names();
    const first = trace[list[0]];
    if (!first) return;
    const steps = first.dims.steps;
    const units = list.map((n) => trace[n].dims.units);
    layout = heatLayout(list, units, steps);
    const L = layout;
    if (heat.width !== L.width || heat.height !== L.height) heat.resize(L.width, L.height);
    // geometry for tests and tools: where each block, step and unit is drawn (CSS pixels)
    heat.canvas.dataset.layout = JSON.stringify({ left: L.left, top: L.top, cellW: L.cellW, cellH: L.cellH,
      blockTops: list.map((_, b) => blockTop(L, b)), names: list, units, steps });
    const ctx = heat.ctx;
    ctx.clearRect(0, 0, L.width, L.height);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, L.width, L.height);
    const off = document.createElement("canvas");
    list.forEach((name, b) => {
      const c = colored(name);
      if (!c) return;
      const n = units[b];
      off.width = steps;
      off.height = n;
      const octx = off.getContext("2d");
      if (!octx) return;
      const img = octx.createImageData(steps, n);
      const table = lutFor(c.scheme);
      for (let u = 0; u < n; u++) {
        for (let t = 0; t < steps; t++) {
          const k = lutIndex(c.data[at(c.dims, layer(), dir(), t, u)], c.domain);
          const p = (u * steps + t) * 4;
          if (k < 0) {
            img.data[p] = img.data[p + 1] = img.data[p + 2] = 187;
          } else {
            img.data[p] = table[k * 3];
            img.data[p + 1] = table[k * 3 + 1];
            img.data[p + 2] = table[k * 3 + 2];
          }
          img.data[p + 3] = 255;
        }
      }
      octx.putImageData(img, 0, 0);
      const y = blockTop(L, b);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, L.left, y, steps * L.cellW, n * L.cellH);
      ctx.fillStyle = "#1f2933";
      ctx.font = "11px system-ui, sans-serif";
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      const range = `[${formatNumber(c.domain[0], 2)}, ${formatNumber(c.domain[1], 2)}]`;
      ctx.fillText(`${LABELS[name] ?? name}  ${range}${which() === "diff" ? "  (clamp − original)" : ""}`, L.left, y - 1);
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.fillStyle = "#616e7c";
      ctx.fillText(`${n} units`, L.left - 6, y + (n * L.cellH) / 2);
      // selected unit row
      if (unit() < n) {
        ctx.strokeStyle = "rgba(232,89,12,0.95)";
        ctx.lineWidth = 1.5;
        ctx.strokeRect(L.left - 0.5, y + unit() * L.cellH - 0.5, steps * L.cellW + 1, L.cellH + 1);
      }
    });
    // selected step column across all blocks
    const x = L.left + step() * L.cellW;
    ctx.strokeStyle = "rgba(31,41,51,0.9)";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x - 0.5, L.top + L.gap - 3, L.cellW + 1, L.height - L.axisH - L.top - L.gap + 2);
    // clamp start
    const cl = model.get("clamp") as { start?: number; layer?: number; direction?: number } | undefined;
    if (cl && cl.start !== undefined && cl.layer === layer() && cl.direction === dir()) {
      const xc = L.left + cl.start * L.cellW;
      ctx.strokeStyle = ORANGE;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(xc, L.top);
      ctx.lineTo(xc, L.height - L.axisH);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    // token axis
    const toks = tokens();
    ctx.fillStyle = "#1f2933";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const yAxis = L.height - L.axisH + 2;
    if (L.cellW >= 7) {
      ctx.font = `${Math.min(12, L.cellW)}px ui-monospace, Menlo, monospace`;
      for (let t = 0; t < steps; t++) ctx.fillText(shortToken(toks[t] ?? "", L.cellW >= 14 ? 2 : 1), L.left + (t + 0.5) * L.cellW, yAxis);
    } else {
      ctx.font = "10px system-ui, sans-serif";
      const every = Math.ceil(40 / L.cellW);
      for (let t = 0; t < steps; t += every) ctx.fillText(String(t), L.left + (t + 0.5) * L.cellW, yAxis);
    }
    ctx.textAlign = "right";
    ctx.fillText("t →", L.left - 6, yAxis);
  }

  function hoverText(name: string, t: number, u: number): string {
    const tok = tokens()[t] ?? "";
    const v = valueAt(name, t, u);
    let text = `${name} · unit ${u} · t = ${t} “${visibleToken(tok)}” = ${formatNumber(v, 7)}`;
    if (hasClamp()) text += `   with clamp: ${formatNumber(valueAt(name, t, u, clampedTrace), 7)}`;
    return text;
  }
  heat.canvas.addEventListener("pointermove", (e) => {
    if (!layout) return;
    const [x, y] = pointerPosition(heat.canvas, e);
    const cell = cellAt(layout, x, y);
    if (!cell) {
      hovered = null;
      return;
    }
    const name = layout.names[cell.block];
    hovered = { name, t: cell.t, unit: cell.unit };
    hover.textContent = hoverText(name, cell.t, cell.unit);
  });
  heat.canvas.addEventListener("pointerleave", () => {
    hovered = null;
  });
  heat.canvas.addEventListener("click", (e) => {
    if (!layout) return;
    const [x, y] = pointerPosition(heat.canvas, e);
    const cell = cellAt(layout, x, y);
    if (!cell) return;
    const name = layout.names[cell.block];
    if (cell.unit < (info().hidden_size ?? 0)) setUnit(cell.unit);
    if (name !== gate() && name in trace) setTrait("gate", name);
    timeline?.setFrame(cell.t);
  });

  // ---- cell diagram -----------------------------------------------------------------------------
  function drawDiagram() {
    const i = info();
    const t = step();
    const u = unit();
    const kind = i.kind ?? "LSTM";
    const source = which() === "clamped" ? clampedTrace : trace;
    const v = (name: string, tt = t) => valueAt(name, tt, u, source);
    const prev = previousStep(t, dir(), i.steps ?? 1);
    const prevOf = (name: string, init: string) => (prev >= 0 ? v(name, prev) : initialAt(init, u));
    const tok = tokens()[t] ?? "";
    const head = h("h4", {});
    head.textContent = `Cell at t = ${t} “${visibleToken(tok)}”, unit ${u}${which() === "clamped" ? " (with clamp)" : ""}`;
    const W = 380;
    const H = 250;
    const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "dlw-lstm-cell-svg", role: "img" });
    const num = (x: number, y: number, text: string, anchor = "middle", color = "#1f2933") =>
      s.appendChild(svg("text", { x, y, "text-anchor": anchor, fill: color, class: "dlw-lstm-num" }, text));
    const line = (pts: Array<[number, number]>, color = "#52606d", width = 1.6) =>
      s.appendChild(svg("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: color, "stroke-width": width }));
    const box = (x: number, y: number, label: string, value: number, fill: string) => {
      s.appendChild(svg("rect", { x: x - 24, y: y - 14, width: 48, height: 28, rx: 5, fill, stroke: "#334e68" }));
      s.appendChild(svg("text", { x, y: y + 4, "text-anchor": "middle", fill: "#fff", "font-weight": 600 }, label));
      num(x, y + 28, formatNumber(value, 4));
    };
    const node = (x: number, y: number, op: string) => {
      s.appendChild(svg("circle", { cx: x, cy: y, r: 10, fill: "#fff", stroke: "#334e68", "stroke-width": 1.5 }));
      s.appendChild(svg("text", { x, y: y + 4, "text-anchor": "middle", "font-weight": 700 }, op));
    };
    const fmt = (x: number) => formatNumber(x, 4);
    if (kind === "LSTM") {
      const n = lstmNumbers({ i: v("input"), f: v("forget"), g: v("cell"), o: v("output"), cPrev: prevOf("c", "c0"), c: v("c"), h: v(i.proj_size ? "m" : "h") });
      // c path
      line([[12, 36], [108, 36]]);
      line([[132, 36], [218, 36]]);
      line([[242, 36], [368, 36]]);
      num(14, 28, `c_prev = ${fmt(n.cPrev)}`, "start");
      node(120, 36, "×");
      node(230, 36, "+");
      num(368, 28, `c_t = ${fmt(n.c)}`, "end", BLUE);
      num(175, 28, `f·c = ${fmt(n.fc)}`);
      // gates
      box(60, 170, "σ f", n.f, "#486581");
      box(130, 170, "σ i", n.i, "#486581");
      box(200, 170, "tanh g", n.g, "#7c5e10");
      box(300, 170, "σ o", n.o, "#486581");
      line([[60, 156], [60, 120], [120, 120], [120, 46]]);
      node(200, 110, "×");
      line([[130, 156], [130, 110], [190, 110]]);
      line([[200, 156], [200, 120]]);
      line([[210, 110], [230, 110], [230, 46]]);
      num(262, 98, `i·g = ${fmt(n.ig)}`);
      // output path
      line([[330, 36], [330, 70]]);
      s.appendChild(svg("rect", { x: 306, y: 70, width: 48, height: 22, rx: 5, fill: "#7c5e10", stroke: "#334e68" }));
      s.appendChild(svg("text", { x: 330, y: 85, "text-anchor": "middle", fill: "#fff", "font-weight": 600 }, "tanh"));
      num(302, 85, fmt(n.tanhC), "end");
      line([[330, 92], [330, 118]]);
      node(330, 128, "×");
      line([[300, 156], [300, 128], [320, 128]]);
      line([[340, 128], [368, 128]]);
      num(372, 150, `${i.proj_size ? "m_t" : "h_t"} = ${fmt(n.m)}`, "end", BLUE);
      // input bus
      line([[20, 232], [330, 232]], "#9aa5b1");
      for (const x of [60, 130, 200, 300]) line([[x, 232], [x, 184]], "#9aa5b1", 1.2);
      num(14, 246, `[h_prev, x_t] → every gate; h_prev = ${fmt(prev >= 0 ? v("h", prev) : initialAt("h0", u))}${i.proj_size ? " (unit of the projection)" : ""}`, "start", GREY);
      const check = Math.abs(n.fc + n.ig - n.c);
      const lines = [
        `c_t = f·c_prev + i·g = ${fmt(n.fc)} + ${fmt(n.ig)} = ${fmt(n.fc + n.ig)}  (PyTorch: ${fmt(n.c)}${check > 1e-4 ? ", clamped" : ""})`,
        i.proj_size
          ? `m_t = o·tanh(c_t) = ${fmt(n.m)};  h_t = W_hr·m_t has ${i.proj_size} units (h[unit ${u}] = ${fmt(v("h"))})`
          : `h_t = o·tanh(c_t) = ${fmt(n.o)}·${fmt(n.tanhC)} = ${fmt(n.m)}  (PyTorch: ${fmt(n.h)})`,
      ];
      diagramBox.replaceChildren(head, s, ...lines.map((l) => h("div", { class: "dlw-readout dlw-lstm-eq" }, [l])));
    } else if (kind === "GRU") {
      const n = gruNumbers({ r: v("reset"), z: v("update"), n: v("new"), hPrev: prevOf("h", "h0"), h: v("h") });
      line([[12, 40], [150, 40]]);
      num(14, 32, `h_prev = ${fmt(n.hPrev)}`, "start");
      node(160, 40, "×");
      line([[170, 40], [250, 40]]);
      node(260, 40, "+");
      line([[270, 40], [368, 40]]);
      num(368, 32, `h_t = ${fmt(n.h)}`, "end", BLUE);
      box(70, 170, "σ r", n.r, "#486581");
      box(160, 170, "σ z", n.z, "#486581");
      box(260, 170, "tanh n", n.n, "#7c5e10");
      line([[160, 156], [160, 50]]);
      num(210, 32, `z·h_prev = ${fmt(n.keep)}`);
      node(260, 110, "×");
      line([[260, 156], [260, 120]]);
      line([[260, 100], [260, 50]]);
      num(250, 104, `(1−z)·n = ${fmt(n.fresh)}`, "end");
      line([[70, 156], [70, 130], [230, 130], [250, 160]], "#9aa5b1", 1.2);
      num(120, 124, "r gates W_hn·h + b_hn", "middle", GREY);
      line([[20, 232], [300, 232]], "#9aa5b1");
      for (const x of [70, 160, 260]) line([[x, 232], [x, 184]], "#9aa5b1", 1.2);
      num(14, 246, "[h_prev, x_t] → every gate", "start", GREY);
      const lines = [
        `n = tanh(W_in·x + b_in + r·(W_hn·h_prev + b_hn)) = ${fmt(n.n)}`,
        `h_t = (1 − z)·n + z·h_prev = ${fmt(n.fresh)} + ${fmt(n.keep)} = ${fmt(n.fresh + n.keep)}  (PyTorch: ${fmt(n.h)})`,
      ];
      diagramBox.replaceChildren(head, s, ...lines.map((l) => h("div", { class: "dlw-readout dlw-lstm-eq" }, [l])));
    } else {
      const act = i.nonlinearity === "relu" ? "ReLU" : "tanh";
      const pre = v("pre");
      num(20, 110, `pre = W_ih·x + b_ih + W_hh·h_prev + b_hh = ${fmt(pre)}`, "start");
      line([[20, 160], [166, 160]]);
      box(190, 160, act, v("h"), "#7c5e10");
      line([[190, 146], [190, 60], [368, 60]]);
      num(368, 52, `h_t = ${fmt(v("h"))}`, "end", BLUE);
      num(20, 230, `h_prev = ${fmt(prevOf("h", "h0"))}`, "start", GREY);
      diagramBox.replaceChildren(head, s, h("div", { class: "dlw-readout dlw-lstm-eq" }, [`h_t = ${act}(pre) = ${fmt(v("h"))}`]));
    }
  }
  function initialAt(name: string, u: number): number {
    const a = initial[name];
    if (!a || u >= a.dims.units) return 0;
    return a.data[at(a.dims, layer(), dir(), 0, u)];
  }

  // ---- charts -------------------------------------------------------------------------------------
  function drawSeries() {
    const g = gate();
    const a = trace[g];
    const head = seriesPanel.firstChild as HTMLElement;
    head.textContent = `${LABELS[g] ?? g}, unit ${unit()}, over time${hasClamp() ? " (dashed: with clamp)" : ""}`;
    const { ctx, width, height } = series;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    if (!a) return;
    const base = unitSeries(a.data, a.dims, layer(), dir(), unit());
    const clamped = clampedTrace[g] ? unitSeries(clampedTrace[g].data, a.dims, layer(), dir(), unit()) : null;
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of [base, clamped]) if (s) for (const v of s) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
    if (hi - lo < 1e-6) { lo -= 0.5; hi += 0.5; }
    const m = { l: 40, r: 8, t: 8, b: 20 };
    const sx = scaleLinear().domain([0, Math.max(1, a.dims.steps - 1)]).range([m.l, width - m.r]);
    const sy = scaleLinear().domain([lo, hi]).nice().range([height - m.b, m.t]);
    axes(ctx, sx, sy, width, height, m);
    const plot = (s: Float64Array, color: string, dash: number[]) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.setLineDash(dash);
      ctx.beginPath();
      let pen = false;
      s.forEach((v, t) => {
        if (!Number.isFinite(v)) { pen = false; return; }
        if (pen) ctx.lineTo(sx(t), sy(v));
        else ctx.moveTo(sx(t), sy(v));
        pen = true;
      });
      ctx.stroke();
      ctx.setLineDash([]);
    };
    plot(base, BLUE, []);
    if (clamped) plot(clamped, ORANGE, [5, 3]);
    ctx.strokeStyle = "rgba(31,41,51,0.5)";
    ctx.beginPath();
    ctx.moveTo(sx(step()), m.t);
    ctx.lineTo(sx(step()), height - m.b);
    ctx.stroke();
  }
  function axes(ctx: CanvasRenderingContext2D, sx: any, sy: any, width: number, height: number,
    m: { l: number; r: number; t: number; b: number }, logY = false) {
    ctx.strokeStyle = "#e4e7eb";
    ctx.fillStyle = "#616e7c";
    ctx.lineWidth = 1;
    ctx.font = "10px system-ui, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const ticks: number[] = logY ? sy.ticks(4).filter((v: number) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9) : sy.ticks(4);
    for (const v of ticks) {
      const y = Math.round(sy(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(m.l, y);
      ctx.lineTo(width - m.r, y);
      ctx.stroke();
      ctx.fillText(logY ? `1e${Math.round(Math.log10(v))}` : formatNumber(v, 3), m.l - 4, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of sx.ticks(6)) ctx.fillText(String(v), sx(v), height - m.b + 4);
  }
  function drawGradient() {
    const { ctx, width, height } = grad;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    const i = info();
    const pick = (d: NdArray | null) => (d ? gradientSeries(d.data, d.shape, layer(), dir()) : null);
    const main = pick(norms);
    const cmp = pick(compareNorms);
    const cl = pick(clampedNorms);
    const notes = [i.gradient_note, i.compare_note].filter((s: string) => s);
    const legend: string[] = [];
    if (main) legend.push(`blue: this ${i.kind} (layer ${layer()}${(i.num_directions ?? 1) > 1 ? `, ${dir() ? "reverse: h_T is the state at t = 0" : "forward"}` : ""})`);
    if (cmp) legend.push(`grey dashed: ${i.compare_label}`);
    if (cl) legend.push("orange dotted: with the clamp");
    gradNote.textContent = [...legend, ...notes].join(" · ");
    const dom = logDomain([main, cmp, cl]);
    if (!dom) return;
    const m = { l: 40, r: 8, t: 8, b: 20 };
    const steps = main?.length ?? cmp?.length ?? 1;
    const sx = scaleLinear().domain([0, Math.max(1, steps - 1)]).range([m.l, width - m.r]);
    const sy = scaleLog().domain(dom).range([height - m.b, m.t]).clamp(true);
    axes(ctx, sx, sy, width, height, m, true);
    const plot = (s: Float64Array | null, color: string, dash: number[]) => {
      if (!s) return;
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.setLineDash(dash);
      ctx.beginPath();
      let pen = false;
      s.forEach((v, t) => {
        if (!(v > 0) || !Number.isFinite(v)) { pen = false; return; }
        if (pen) ctx.lineTo(sx(t), sy(v));
        else ctx.moveTo(sx(t), sy(v));
        pen = true;
      });
      ctx.stroke();
      ctx.setLineDash([]);
    };
    plot(cmp, GREY, [6, 4]);
    plot(main, BLUE, []);
    plot(cl, ORANGE, [2, 3]);
    ctx.strokeStyle = "rgba(31,41,51,0.5)";
    ctx.beginPath();
    ctx.moveTo(sx(step()), m.t);
    ctx.lineTo(sx(step()), height - m.b);
    ctx.stroke();
  }
  function describeClamp() {
    const c = model.get("clamp") as Record<string, any> | undefined;
    if (!c || c.gate === undefined) {
      clampInfo.textContent = standalone ? "clamping needs a running kernel" : "pick a unit and a step, then clamp one of its gates from that step on";
      return;
    }
    const parts = [`clamped: ${c.gate}[unit ${c.unit}] = ${formatNumber(c.value, 4)} from t = ${c.start}${c.stop != null ? ` to ${c.stop - 1}` : ""} (layer ${c.layer}${(info().num_directions ?? 1) > 1 ? `, ${c.direction ? "reverse" : "forward"}` : ""})`];
    const a = trace.h;
    const b = clampedTrace.h;
    if (a && b) {
      let maxDiff = 0;
      for (let k = 0; k < a.data.length; k++) maxDiff = Math.max(maxDiff, Math.abs(b.data[k] - a.data[k]));
      parts.push(`largest change of any h: ${formatNumber(maxDiff, 4)}`);
    }
    if (info().output_label === "model output" && outputs && clampedOutputs && outputs.shape[1] >= 2 && clampedOutputs.shape[1] === outputs.shape[1]) {
      let changed = 0;
      for (let t = 0; t < outputs.shape[0]; t++) if (argmaxRow(outputs.data, outputs.shape[1], t) !== argmaxRow(clampedOutputs.data, outputs.shape[1], t)) changed++;
      parts.push(`${info().output_label ?? "output"}: argmax changed at ${changed} of ${outputs.shape[0]} steps`);
    } else if (outputs && clampedOutputs) {
      let maxDiff = 0;
      for (let k = 0; k < Math.min(outputs.data.length, clampedOutputs.data.length); k++) maxDiff = Math.max(maxDiff, Math.abs(clampedOutputs.data[k] - outputs.data[k]));
      parts.push(`${info().output_label ?? "output"}: largest change ${formatNumber(maxDiff, 4)}`);
    }
    if (finalOut && clampedFinal) parts.push(`model output: ${vectorText(finalOut.data)} → ${vectorText(clampedFinal.data)}`);
    clampInfo.textContent = parts.join("\n");
  }

  // ---- timeline ---------------------------------------------------------------------------------
  let timeline: Timeline | null = null;
  let building = false;
  function buildTimeline() {
    const frames = Math.max(1, tokens().length || (info().steps ?? 1));
    timeline?.destroy();
    building = true; // createTimeline shows frame 0 at once: not a user's choice of step
    timeline = createTimeline({
      frames,
      fps: Number(model.get("speed")) || 6,
      label: (f) => `t = ${f} / ${frames - 1}  “${visibleToken(tokens()[f] ?? "")}”`,
      onFrame: (f) => {
        if (building) return;
        if (f !== step()) setTrait("step", f);
        drawStep();
      },
    });
    building = false;
    timeline.setFrame(Math.min(step(), frames - 1));
    timelineHolder.replaceChildren(timeline.el);
    timeline.bindKeys(root);
  }

  // ---- drawing ------------------------------------------------------------------------------------
  function drawStep() {
    paintText();
    drawHeat();
    drawDiagram();
    drawSeries();
    drawGradient();
    if (hovered) hover.textContent = hoverText(hovered.name, hovered.t, hovered.unit);
  }
  function drawAll() {
    cache.clear();
    syncControls();
    drawStep();
    describeClamp();
  }
  function rebuild() {
    decodeAll();
    cache.clear();
    hovered = null;
    hover.textContent = "hover the heatmaps to read values; click to pick a step and unit";
    selection = null;
    rankBox.replaceChildren("drag across the text to find units that fire on a span");
    fillSelects();
    buildText();
    buildTimeline();
    drawAll();
  }

  const unlisten = listen(model, {
    "change:trace_data": rebuild,
    "change:tokens": rebuild,
    "change:info": () => { fillSelects(); drawAll(); },
    "change:clamped": () => {
      decodeClamped();
      if (hasClamp()) traceSel.value = "clamped";
      drawAll();
    },
    "change:clamp": drawAll,
    "change:gradient": () => { decodeAll(); drawAll(); },
    "change:error": syncControls,
    "change:text": syncControls,
    "change:title": syncControls,
    "change:layer": () => { cache.clear(); drawAll(); showRanking(); },
    "change:direction": () => { cache.clear(); drawAll(); showRanking(); },
    "change:unit": drawAll,
    "change:gate": () => { drawAll(); showRanking(); },
    "change:step": () => {
      if (timeline && timeline.frame !== step() && !timeline.playing) timeline.setFrame(step());
      else drawStep();
    },
  });

  rebuild();
  return () => {
    unlisten();
    timeline?.destroy();
    document.removeEventListener("mouseup", endDrag);
  };
}

export default { render };
