// The recorded trace as the front end reads it: (layer, direction, t, unit) indexing, decoding
// of the wire arrays, and the pure queries the views make of it (a unit's series, the unit
// search, the gradient rows, argmax of an output row). Tested in js/tests/lstm_inspector.test.ts.

import { decodeArray, type NdArray, type WireArray } from "../lib/arrays";

export interface Dims {
  layers: number;
  dirs: number;
  steps: number;
  units: number;
}

/** A decoded (L, D, T, units) array. */
export interface Decoded {
  dims: Dims;
  data: NdArray["data"];
}

export function dimsOf(shape: number[]): Dims {
  if (shape.length !== 4) throw new RangeError(`trace arrays are 4-D (L, D, T, units), got [${shape.join(", ")}]`);
  return { layers: shape[0], dirs: shape[1], steps: shape[2], units: shape[3] };
}

/** Flat index of (layer, direction, t, unit) in a (L, D, T, units) array. */
export function at(d: Dims, layer: number, dir: number, t: number, unit: number): number {
  return ((layer * d.dirs + dir) * d.steps + t) * d.units + unit;
}

/** Every array of a trace dict (state name → wire (L, D, T, units)), decoded. */
export function decodeTrace(wires: Record<string, WireArray> | undefined): Record<string, Decoded> {
  const out: Record<string, Decoded> = {};
  for (const [name, wire] of Object.entries(wires ?? {})) {
    const arr = decodeArray(wire);
    out[name] = { dims: dimsOf(arr.shape), data: arr.data };
  }
  return out;
}

/** Initial states (name → wire (L, D, units)) decoded as one-step traces. */
export function decodeInitial(wires: Record<string, WireArray> | undefined): Record<string, Decoded> {
  const out: Record<string, Decoded> = {};
  for (const [name, wire] of Object.entries(wires ?? {})) {
    const a = decodeArray(wire);
    out[name] = { dims: { layers: a.shape[0], dirs: a.shape[1], steps: 1, units: a.shape[2] }, data: a.data };
  }
  return out;
}

/** Values of one unit over time (layer, direction fixed). */
export function unitSeries(data: ArrayLike<number>, d: Dims, layer: number, dir: number, unit: number): Float64Array {
  const out = new Float64Array(d.steps);
  if (unit < 0 || unit >= d.units) return out.fill(NaN);
  for (let t = 0; t < d.steps; t++) out[t] = data[at(d, layer, dir, t, unit)];
  return out;
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
