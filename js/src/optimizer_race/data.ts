// Decoding the synced arrays into the view state, once per data change (not per frame).

import { categoryColour } from "../lib/colour";
import { decodeArray, type NdArray, type WireArray } from "../lib/arrays";
import type { MaybeWire, RaceView, RacerData } from "./state";

/** Per-step median over starts of a (T, n) row-major array, ignoring non-finite values. */
export function medianSeries(data: ArrayLike<number>, steps: number, n: number): Float64Array {
  const out = new Float64Array(steps);
  const row: number[] = [];
  for (let t = 0; t < steps; t++) {
    row.length = 0;
    for (let i = 0; i < n; i++) {
      const v = data[t * n + i];
      if (Number.isFinite(v)) row.push(v);
    }
    if (row.length === 0) {
      out[t] = NaN;
      continue;
    }
    row.sort((a, b) => a - b);
    const m = row.length >> 1;
    out[t] = row.length % 2 ? row[m] : (row[m - 1] + row[m]) / 2;
  }
  return out;
}

/** Largest finite norm of the rows of a (k, 2) array (scales the explainer's arrows). */
function largestNorm(arr: NdArray | null): number {
  if (!arr) return 0;
  let best = 0;
  const d = arr.data;
  for (let i = 0; i + 1 < d.length; i += 2) {
    const m = Math.hypot(d[i], d[i + 1]);
    if (Number.isFinite(m) && m > best) best = m;
  }
  return best;
}

/** Decoded array of an optional array trait, or null while it is `{}`. */
export function decodeOptional(wire: MaybeWire | undefined): NdArray | null {
  return wire && "data" in wire && wire.data ? decodeArray(wire as WireArray) : null;
}

/** Decode every optimizer's arrays, the grid and the domain into `view.state`. */
export function decodeAll(view: RaceView): void {
  const { model, state } = view;
  const list = model.get("racers") ?? [];
  const paths = model.get("paths") ?? {};
  const losses = model.get("loss_series") ?? {};
  const div = model.get("diverged") ?? {};
  const explain = model.get("explain") ?? {};
  const summary = model.get("summary") ?? {};
  state.domain = model.get("domain") ?? state.domain;
  state.grid = decodeOptional(model.get("grid"));
  const racers: RacerData[] = [];
  list.forEach((racer, index) => {
    const p = paths[racer.name];
    const l = losses[racer.name];
    const d = div[racer.name];
    if (!p || !l || !d) return;
    const path = decodeArray(p);
    const loss = decodeArray(l);
    const ex = explain[racer.name];
    const n = path.shape[1];
    const gradArr = ex?.grad ? decodeArray(ex.grad) : null;
    const stateSeries = Object.entries(ex?.state ?? {}).map(([key, wire]) => {
      const data = decodeArray(wire);
      const [label, role] = ex.labels?.[key] ?? [key, "other"];
      return { key, label, role, data, largest: largestNorm(data) };
    });
    racers.push({
      racer,
      color: categoryColour(index), // by position in the race
      path,
      loss,
      diverged: decodeArray(d),
      median: n > 1 ? medianSeries(loss.data, loss.shape[0], n) : null,
      grad: gradArr,
      state: stateSeries,
      gradLargest: largestNorm(gradArr),
      summary: summary[racer.name],
    });
  });
  state.racers = racers;
  state.nStarts = racers.length ? racers[0].path.shape[1] : 1;
  state.frames = racers.length ? racers[0].path.shape[0] : Math.max(1, (model.get("steps") ?? 0) + 1);
}
