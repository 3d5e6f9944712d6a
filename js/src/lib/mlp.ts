// In-browser forward pass of a small MLP decoder (nn.Linear + element-wise activations), used by
// the latent explorer to decode without a kernel. Weights arrive as float32 (PyTorch's
// nn.Linear layout: weight is [out, in], y = x W^T + b). Each dot product is accumulated in a
// JavaScript double and rounded to float32 when stored, so the result is at least as accurate
// as torch's float32 forward (tests compare with torch within 1e-4).

import { decodeFloat, type WireArray } from "./arrays";

export type LayerKind =
  | "linear"
  | "relu"
  | "leaky_relu"
  | "tanh"
  | "sigmoid"
  | "elu"
  | "gelu"
  | "gelu_tanh"
  | "silu"
  | "softplus";

export interface MLPLayer {
  kind: LayerKind;
  weight?: Float32Array; // [rows = out, cols = in], row-major
  bias?: Float32Array | null;
  rows?: number;
  cols?: number;
  slope?: number;
  alpha?: number;
  beta?: number;
  threshold?: number;
}

export interface MLP {
  layers: MLPLayer[];
  inDim: number;
  outDim: number;
  maxWidth: number;
  params: number;
}

/** State form of a layer as Python sends it (wire arrays for weight and bias). */
export interface MLPLayerState {
  kind: string;
  weight?: WireArray;
  bias?: WireArray;
  slope?: number;
  alpha?: number;
  beta?: number;
  threshold?: number;
}

const KINDS = new Set<string>([
  "linear", "relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "gelu_tanh", "silu", "softplus",
]);

function f32(data: Float32Array | Float64Array): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** Build an MLP from already-decoded layers; checks that the widths chain. */
export function makeMLP(layers: MLPLayer[], inDim: number): MLP {
  let width = inDim;
  let maxWidth = inDim;
  let params = 0;
  for (const layer of layers) {
    if (!KINDS.has(layer.kind)) throw new TypeError(`unsupported MLP layer '${layer.kind}'`);
    if (layer.kind !== "linear") continue;
    const { weight, rows, cols, bias } = layer;
    if (!weight || rows === undefined || cols === undefined || weight.length !== rows * cols) {
      throw new RangeError("a linear layer needs a [out, in] weight");
    }
    if (cols !== width) throw new RangeError(`a linear layer takes ${cols} inputs after ${width}`);
    if (bias && bias.length !== rows) throw new RangeError(`bias has ${bias.length} values, expected ${rows}`);
    width = rows;
    maxWidth = Math.max(maxWidth, rows);
    params += weight.length + (bias ? bias.length : 0);
  }
  return { layers, inDim, outDim: width, maxWidth, params };
}

/** MLP from the widget's `decoder_mlp` state ({layers, in_dim}); null when there is none. */
export function mlpFromState(state: { layers?: MLPLayerState[]; in_dim?: number } | null | undefined): MLP | null {
  if (!state || !state.layers || !state.layers.length || !state.in_dim) return null;
  const layers: MLPLayer[] = state.layers.map((l) => {
    const layer: MLPLayer = { kind: l.kind as LayerKind, slope: l.slope, alpha: l.alpha, beta: l.beta, threshold: l.threshold };
    if (l.kind === "linear" && l.weight) {
      const w = decodeFloat(l.weight);
      layer.weight = f32(w.data);
      layer.rows = w.shape[0];
      layer.cols = w.shape[1];
      layer.bias = l.bias ? f32(decodeFloat(l.bias).data) : null;
    }
    return layer;
  });
  return makeMLP(layers, state.in_dim);
}

// erf with |error| < 1.2e-7 (Numerical Recipes' erfc by Chebyshev fit).
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
          t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

const SQRT1_2 = Math.SQRT1_2;
const GELU_C = Math.sqrt(2 / Math.PI);

export function activate(layer: MLPLayer, v: number): number {
  switch (layer.kind) {
    case "relu":
      return v > 0 ? v : 0;
    case "leaky_relu":
      return v >= 0 ? v : v * (layer.slope ?? 0.01);
    case "tanh":
      return Math.tanh(v);
    case "sigmoid":
      return 1 / (1 + Math.exp(-v));
    case "elu":
      return v > 0 ? v : (layer.alpha ?? 1) * Math.expm1(v);
    case "gelu":
      return 0.5 * v * (1 + erf(v * SQRT1_2));
    case "gelu_tanh":
      return 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
    case "silu":
      return v / (1 + Math.exp(-v));
    case "softplus": {
      const b = layer.beta ?? 1;
      const th = layer.threshold ?? 20;
      return v * b > th ? v : Math.log1p(Math.exp(b * v)) / b;
    }
    default:
      return v;
  }
}

/** Scratch buffers reused between calls (a hover decodes one point per pointer move). */
export interface MLPScratch {
  a: Float32Array;
  b: Float32Array;
}

export function scratchFor(mlp: MLP): MLPScratch {
  return { a: new Float32Array(mlp.maxWidth), b: new Float32Array(mlp.maxWidth) };
}

/**
 * Decode `count` codes stored row-major in `z` (count x inDim). Returns count x outDim float32
 * values (written into `out` when given).
 */
export function mlpForward(
  mlp: MLP,
  z: ArrayLike<number>,
  count: number,
  out?: Float32Array,
  scratch: MLPScratch = scratchFor(mlp),
): Float32Array {
  const { inDim, outDim } = mlp;
  if (z.length < count * inDim) throw new RangeError(`need ${count * inDim} code values, got ${z.length}`);
  const result = out && out.length >= count * outDim ? out : new Float32Array(count * outDim);
  let cur = scratch.a;
  let nxt = scratch.b;
  for (let p = 0; p < count; p++) {
    let width = inDim;
    for (let i = 0; i < inDim; i++) cur[i] = z[p * inDim + i];
    for (const layer of mlp.layers) {
      if (layer.kind === "linear") {
        const w = layer.weight as Float32Array;
        const rows = layer.rows as number;
        const cols = layer.cols as number;
        const bias = layer.bias;
        for (let r = 0; r < rows; r++) {
          let acc = bias ? bias[r] : 0;
          const off = r * cols;
          for (let c = 0; c < cols; c++) acc += w[off + c] * cur[c];
          nxt[r] = acc;
        }
        const tmp = cur;
        cur = nxt;
        nxt = tmp;
        width = rows;
      } else {
        for (let i = 0; i < width; i++) cur[i] = activate(layer, cur[i]);
      }
    }
    result.set(cur.subarray(0, outDim), p * outDim);
  }
  return result;
}

/** Buffers of a batched forward pass (two of count × maxWidth values), reused across calls. */
export interface BatchScratch {
  a: Float32Array;
  b: Float32Array;
}

export function batchScratchFor(mlp: MLP, count: number): BatchScratch {
  return { a: new Float32Array(count * mlp.maxWidth), b: new Float32Array(count * mlp.maxWidth) };
}

// tanh by cubic Hermite interpolation of a table of tanh and its derivative 1 − tanh² at steps
// of 1/48 on [−10, 10]: error below 1e-8 (h⁴/384 · max|tanh⁗|), under float32's spacing near 1,
// and several times faster than Math.tanh in a grid's inner loop; ±1 beyond ±10 (as float32).
const TANH_RANGE = 10;
const TANH_STEPS = 48;
let tanhTable: Float64Array | null = null;

function tanhTableOf(): Float64Array {
  const n = 2 * TANH_RANGE * TANH_STEPS + 2;
  const table = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = Math.tanh(-TANH_RANGE + i / TANH_STEPS);
    table[2 * i] = t;
    table[2 * i + 1] = (1 - t * t) / TANH_STEPS; // derivative times the step
  }
  return table;
}

/** tanh within 1e-8 of Math.tanh (see above); NaN stays NaN. */
export function fastTanh(x: number): number {
  if (!(x > -TANH_RANGE)) return x !== x ? x : -1;
  if (x >= TANH_RANGE) return 1;
  const table = tanhTable ?? (tanhTable = tanhTableOf());
  const u = (x + TANH_RANGE) * TANH_STEPS;
  const i = Math.floor(u);
  const t = u - i;
  const k = 2 * i;
  const y0 = table[k];
  const d0 = table[k + 1];
  const y1 = table[k + 2];
  const d1 = table[k + 3];
  const t2 = t * t;
  const t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * d0 + (3 * t2 - 2 * t3) * y1 + (t3 - t2) * d1;
}

function activateAll(layer: MLPLayer, buf: Float32Array, n: number): void {
  switch (layer.kind) {
    case "tanh":
      for (let i = 0; i < n; i++) buf[i] = fastTanh(buf[i]);
      return;
    case "relu":
      for (let i = 0; i < n; i++) buf[i] = buf[i] > 0 ? buf[i] : 0;
      return;
    case "sigmoid":
      // σ(x) = (1 + tanh(x / 2)) / 2
      for (let i = 0; i < n; i++) buf[i] = 0.5 + 0.5 * fastTanh(0.5 * buf[i]);
      return;
    default:
      for (let i = 0; i < n; i++) buf[i] = activate(layer, buf[i]);
  }
}

/** dst[p, r] = bias[r] + Σ_c w[r, c] · src[p, c] for `count` rows (sums in doubles). */
function linearBatch(w: Float32Array, bias: Float32Array | null, rows: number, cols: number,
  src: Float32Array, dst: Float32Array, count: number): void {
  // four points at a time: each weight is loaded once for four dot products
  let p = 0;
  for (; p + 3 < count; p += 4) {
    const i0 = p * cols;
    const i1 = i0 + cols;
    const i2 = i1 + cols;
    const i3 = i2 + cols;
    const o0 = p * rows;
    for (let r = 0; r < rows; r++) {
      const b = bias !== null ? bias[r] : 0;
      let a0 = b;
      let a1 = b;
      let a2 = b;
      let a3 = b;
      const off = r * cols;
      for (let c = 0; c < cols; c++) {
        const wv = w[off + c];
        a0 += wv * src[i0 + c];
        a1 += wv * src[i1 + c];
        a2 += wv * src[i2 + c];
        a3 += wv * src[i3 + c];
      }
      dst[o0 + r] = a0;
      dst[o0 + rows + r] = a1;
      dst[o0 + 2 * rows + r] = a2;
      dst[o0 + 3 * rows + r] = a3;
    }
  }
  for (; p < count; p++) {
    const inOff = p * cols;
    const outOff = p * rows;
    for (let r = 0; r < rows; r++) {
      let acc = bias !== null ? bias[r] : 0;
      const off = r * cols;
      for (let c = 0; c < cols; c++) acc += w[off + c] * src[inOff + c];
      dst[outOff + r] = acc;
    }
  }
}

/**
 * Forward `count` inputs (count × inDim, row-major) layer by layer, which is faster than point by
 * point for a grid of inputs and lets a caller read what any layer outputs: for each k, the
 * values after layer `taps[k]` (count × width) are copied into `tapOut[k]`. Returns the output
 * (count × outDim), a view into the scratch buffers unless `out` is given. Dot products are
 * accumulated in doubles and stored as float32, as in mlpForward.
 */
export function mlpForwardBatch(
  mlp: MLP,
  x: ArrayLike<number>,
  count: number,
  options: { out?: Float32Array; scratch?: BatchScratch; taps?: number[]; tapOut?: Float32Array[] } = {},
): Float32Array {
  const { inDim, outDim } = mlp;
  if (x.length < count * inDim) throw new RangeError(`need ${count * inDim} input values, got ${x.length}`);
  const scratch = options.scratch && options.scratch.a.length >= count * mlp.maxWidth
    ? options.scratch : batchScratchFor(mlp, count);
  let cur = scratch.a;
  let nxt = scratch.b;
  for (let i = 0; i < count * inDim; i++) cur[i] = x[i];
  let width = inDim;
  const taps = options.taps ?? [];
  for (let index = 0; index < mlp.layers.length; index++) {
    const layer = mlp.layers[index];
    if (layer.kind === "linear") {
      const rows = layer.rows as number;
      linearBatch(layer.weight as Float32Array, layer.bias ?? null, rows, layer.cols as number, cur, nxt, count);
      const tmp = cur;
      cur = nxt;
      nxt = tmp;
      width = rows;
    } else {
      activateAll(layer, cur, count * width);
    }
    for (let k = 0; k < taps.length; k++) {
      if (taps[k] === index && options.tapOut?.[k]) options.tapOut[k].set(cur.subarray(0, count * width));
    }
  }
  const result = cur.subarray(0, count * outDim);
  if (options.out) {
    options.out.set(result);
    return options.out;
  }
  return result;
}
