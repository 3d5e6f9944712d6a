// The trace's arrays decoded once per change of the `arrays` trait (no copies: typed views over
// the binary buffers), with row-major accessors.

import { decodeFloat, type WireArray } from "../lib/arrays";

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

export type Arrays = Map<string, Matrix>;

function asMatrix(wire: WireArray): Matrix {
  const nd = decodeFloat(wire);
  const rows = nd.shape.length >= 2 ? nd.shape[0] : 1;
  const cols = nd.shape.length >= 2 ? nd.shape[1] : nd.shape[0] ?? 1;
  return { rows, cols, data: nd.data };
}

export function decodeArrays(state: Record<string, WireArray> | null | undefined): Arrays {
  const out: Arrays = new Map();
  for (const [key, wire] of Object.entries(state ?? {})) {
    if (wire && (wire as WireArray).shape) out.set(key, asMatrix(wire));
  }
  return out;
}

/** Value at (row, col) of array `key` (a vector is one row); NaN when missing. */
export function at(arrays: Arrays, key: string, row: number, col = 0): number {
  const m = arrays.get(key);
  if (!m || row < 0 || col < 0 || row >= m.rows || col >= m.cols) return NaN;
  return m.data[row * m.cols + col];
}

/** One row of array `key` as numbers (a sample's activations, a neuron's weights). */
export function row(arrays: Arrays, key: string, r: number): number[] {
  const m = arrays.get(key);
  if (!m || r < 0 || r >= m.rows) return [];
  return Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols));
}

/** Value of the activation of `neuron` in layer `layer` (0 = input) for `sample`. */
export function activation(arrays: Arrays, layer: number, sample: number, neuron: number): number {
  return layer === 0 ? at(arrays, "x", sample, neuron) : at(arrays, `${layer}.a`, sample, neuron);
}

/** Largest |value| of array `key` (for colour scales); 1 when empty or all zero. */
export function maxAbs(arrays: Arrays, key: string): number {
  const m = arrays.get(key);
  let best = 0;
  if (m) for (const v of m.data) if (Number.isFinite(v)) best = Math.max(best, Math.abs(v));
  return best > 0 ? best : 1;
}
