// The model's outputs over the plane, computed in the browser from the streamed weights: the
// decision grid (GRID×GRID) and every hidden unit's map (THUMB×THUMB), with lib/mlp.ts's batched
// forward pass. The feature matrices of both grids are computed once per (features, bounds) and
// the buffers are reused frame after frame. Models the browser cannot run come as quantised
// grids from Python (`grid`, `neuron_grids`), decoded here into the same Frame.

import { decodeArray, type WireArray } from "../lib/arrays";
import { makeMLP, mlpForwardBatch, batchScratchFor, type BatchScratch, type LayerKind, type MLP, type MLPLayer } from "../lib/mlp";
import { featureMatrix, gridPoints } from "./features";
import { GRID, THUMB, type Frame, type NetworkState } from "./state";

/** The MLP of the plan with its weights sliced out of the flat `weights` (weight then bias per linear). */
export function buildMLP(network: NetworkState, weights: Float32Array): MLP {
  let offset = 0;
  const take = (n: number) => {
    if (offset + n > weights.length) throw new RangeError(`the plan needs more than the ${weights.length} weights sent`);
    const part = weights.subarray(offset, offset + n);
    offset += n;
    return part;
  };
  const layers: MLPLayer[] = network.mlp.map((entry) => {
    if (entry.kind === "linear") {
      const rows = entry.rows as number;
      const cols = entry.cols as number;
      const weight = take(rows * cols);
      const bias = entry.bias === false ? null : take(rows);
      return { kind: "linear", rows, cols, weight, bias };
    }
    return { kind: entry.kind as LayerKind, slope: entry.slope, alpha: entry.alpha, beta: entry.beta, threshold: entry.threshold };
  });
  if (offset !== weights.length) throw new RangeError(`the plan uses ${offset} of the ${weights.length} weights sent`);
  return makeMLP(layers, network.inputs.length);
}

/** Apply the output activation in place to `count` rows of `width` values. */
export function applyOutput(kind: string, values: Float32Array, count: number, width: number): void {
  if (kind === "sigmoid") {
    for (let i = 0; i < count * width; i++) values[i] = 1 / (1 + Math.exp(-values[i]));
  } else if (kind === "softmax") {
    for (let p = 0; p < count; p++) {
      const off = p * width;
      let max = -Infinity;
      for (let c = 0; c < width; c++) max = Math.max(max, values[off + c]);
      let sum = 0;
      for (let c = 0; c < width; c++) sum += Math.exp(values[off + c] - max);
      for (let c = 0; c < width; c++) values[off + c] = Math.exp(values[off + c] - max) / sum;
    }
  }
}

/** Whether the plan already ends with the output activation (then it is not applied twice). */
function planEndsWith(network: NetworkState, kind: string): boolean {
  const last = network.mlp[network.mlp.length - 1];
  return Boolean(last && last.kind === kind);
}

/** Evaluates a network over the grids of one set of features and bounds, reusing its buffers. */
export class Evaluator {
  readonly key: string;
  readonly gridX: Float32Array;
  readonly thumbX: Float32Array;
  private gridScratch: BatchScratch | null = null;
  private thumbScratch: BatchScratch | null = null;
  private frame: Frame | null = null;
  private tapOut: Float32Array[] = [];

  constructor(readonly features: string[], readonly bounds: number[]) {
    this.key = Evaluator.keyOf(features, bounds);
    this.gridX = featureMatrix(features, gridPoints(bounds, GRID), GRID * GRID);
    this.thumbX = featureMatrix(features, gridPoints(bounds, THUMB), THUMB * THUMB);
  }

  static keyOf(features: string[], bounds: number[]): string {
    return `${features.join(",")}|${bounds.join(",")}`;
  }

  /** Outputs of `mlp` on both grids as a Frame (its buffers are reused by the next call). */
  evaluate(mlp: MLP, network: NetworkState): Frame {
    const out = mlp.outDim;
    const units = network.layers.slice(0, -1).map((l) => l.units);
    const frame = this.frameFor(out, units);
    if (!this.gridScratch || this.gridScratch.a.length < GRID * GRID * mlp.maxWidth) {
      this.gridScratch = batchScratchFor(mlp, GRID * GRID);
      this.thumbScratch = batchScratchFor(mlp, THUMB * THUMB);
    }
    const kind = network.output_activation;
    const skip = planEndsWith(network, kind);
    mlpForwardBatch(mlp, this.gridX, GRID * GRID, { out: frame.grid, scratch: this.gridScratch });
    if (!skip) applyOutput(kind, frame.grid, GRID * GRID, out);
    if (this.tapOut.length !== units.length || this.tapOut.some((t, k) => t.length !== THUMB * THUMB * units[k])) {
      this.tapOut = units.map((u) => new Float32Array(THUMB * THUMB * u));
    }
    const tapOut = this.tapOut;
    mlpForwardBatch(mlp, this.thumbX, THUMB * THUMB, {
      out: frame.output, scratch: this.thumbScratch as BatchScratch, taps: network.hidden_outputs, tapOut,
    });
    if (!skip) applyOutput(kind, frame.output, THUMB * THUMB, out);
    // point-major (p·units + u) → unit-major maps (u·THUMB² + p)
    const n = THUMB * THUMB;
    tapOut.forEach((values, k) => {
      const maps = frame.neurons[k];
      const u = units[k];
      for (let p = 0; p < n; p++) for (let j = 0; j < u; j++) maps[j * n + p] = values[p * u + j];
      frame.neuronRanges[k] = unitRanges(maps, u, n);
    });
    frame.source = "browser";
    return frame;
  }

  private frameFor(out: number, units: number[]): Frame {
    const f = this.frame;
    const same = f && f.grid.length === GRID * GRID * out && f.neurons.length === units.length
      && f.neurons.every((m, k) => m.length === units[k] * THUMB * THUMB);
    if (same && f) return f;
    this.frame = {
      grid: new Float32Array(GRID * GRID * out),
      side: GRID,
      neurons: units.map((u) => new Float32Array(u * THUMB * THUMB)),
      neuronRanges: units.map(() => []),
      output: new Float32Array(THUMB * THUMB * out),
      source: "browser",
    };
    return this.frame;
  }
}

/** [lo, hi] of each of `units` maps of `n` values stored one after another. */
export function unitRanges(maps: Float32Array, units: number, n: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let u = 0; u < units; u++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = u * n; p < (u + 1) * n; p++) {
      const v = maps[p];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    ranges.push([lo, hi]);
  }
  return ranges;
}

/** Nearest-cell resample of a side×side(×c) grid to THUMB×THUMB (for the output node). */
function resample(values: Float32Array, side: number, channels: number): Float32Array {
  const out = new Float32Array(THUMB * THUMB * channels);
  for (let i = 0; i < THUMB; i++) {
    const si = Math.round((i * (side - 1)) / (THUMB - 1));
    for (let j = 0; j < THUMB; j++) {
      const sj = Math.round((j * (side - 1)) / (THUMB - 1));
      for (let c = 0; c < channels; c++) out[(i * THUMB + j) * channels + c] = values[(si * side + sj) * channels + c];
    }
  }
  return out;
}

/**
 * A Frame from Python's quantised grids: `grid` uint8 (r, r) over `grid_range`, or (r, r, C)
 * probabilities × 255; `neuron_grids` uint8 (U, THUMB, THUMB) over `neuron_ranges` (U, 2).
 */
export function frameFromGrids(
  grid: WireArray,
  gridRange: number[],
  neuronGrids: WireArray | null,
  neuronRanges: WireArray | null,
  units: number[],
): Frame {
  const g = decodeArray(grid);
  const side = g.shape[0];
  const channels = g.shape.length === 3 ? g.shape[2] : 1;
  const values = new Float32Array(g.data.length);
  if (channels > 1) {
    for (let i = 0; i < values.length; i++) values[i] = g.data[i] / 255;
  } else {
    const [lo, hi] = gridRange.length === 2 ? gridRange : [0, 1];
    for (let i = 0; i < values.length; i++) values[i] = lo + (g.data[i] / 255) * (hi - lo);
  }
  const n = THUMB * THUMB;
  const neurons = units.map((u) => new Float32Array(u * n));
  const neuronRangesOut: Array<Array<[number, number]>> = units.map(() => []);
  if (neuronGrids && neuronRanges) {
    const q = decodeArray(neuronGrids).data;
    const r = decodeArray(neuronRanges).data;
    let unit = 0;
    units.forEach((u, k) => {
      for (let j = 0; j < u; j++, unit++) {
        if ((unit + 1) * n > q.length) break;
        const lo = r[2 * unit];
        const hi = r[2 * unit + 1];
        for (let p = 0; p < n; p++) neurons[k][j * n + p] = lo + (q[unit * n + p] / 255) * (hi - lo);
      }
      neuronRangesOut[k] = unitRanges(neurons[k], u, n);
    });
  }
  return { grid: values, side, neurons, neuronRanges: neuronRangesOut, output: resample(values, side, channels), source: "grid" };
}

/**
 * Binary data shown by a 2-output (softmax) model: keep p[1] only, so the frame reads like a
 * one-output binary model. A frame with one value per cell is returned as it is.
 */
export function binaryView(frame: Frame): Frame {
  const cells = frame.side * frame.side;
  if (frame.grid.length !== 2 * cells) return frame;
  const pick = (values: Float32Array) => {
    const out = new Float32Array(values.length / 2);
    for (let p = 0; p < out.length; p++) out[p] = values[2 * p + 1];
    return out;
  };
  return { ...frame, grid: pick(frame.grid), output: pick(frame.output) };
}
