// The decoded trace and index arithmetic into its flat arrays (row-major, shapes in state.ts).

import { decodeArray, type TypedArray } from "../lib/arrays";
import type { Geometry, TraceWire } from "./state";

export interface Nd {
  shape: number[];
  data: TypedArray;
}

export interface Trace {
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

/** Typed-array views of every array of the trace; null before Python sent one. */
export function decodeTrace(state: Partial<TraceWire> | undefined): Trace | null {
  if (!state || !state.products) return null;
  const out: Record<string, Nd> = {};
  for (const [k, v] of Object.entries(state)) if (v) out[k] = decodeArray(v);
  return out as unknown as Trace;
}

/** Flat index of products/scatter[f, i, j, c, u, v]. */
export function productIndex(g: Geometry, f: number, i: number, j: number, c: number, u: number, v: number): number {
  return ((((f * g.out[0] + i) * g.out[1] + j) * g.group_channels + c) * g.kernel[0] + u) * g.kernel[1] + v;
}

/** Elements of products/scatter per filter. */
export const productsPerFilter = (g: Geometry): number => g.out[0] * g.out[1] * g.group_channels * g.kernel[0] * g.kernel[1];

/** padded[c, r, q]. */
export const paddedValue = (g: Geometry, tr: Trace, c: number, r: number, q: number): number => tr.padded.data[(c * g.padded[0] + r) * g.padded[1] + q];

/** weight[f, c, u, v] (c within the filter's group). */
export const weightValue = (g: Geometry, tr: Trace, f: number, c: number, u: number, v: number): number =>
  tr.weight.data[((f * g.group_channels + c) * g.kernel[0] + u) * g.kernel[1] + v];

/** arr[f, i, j] of an output-shaped array (output, activated). */
export const outputValue = (g: Geometry, arr: Nd, f: number, i: number, j: number): number => arr.data[(f * g.out[0] + i) * g.out[1] + j];
