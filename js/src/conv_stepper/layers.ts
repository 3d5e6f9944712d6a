// Cached layers of the current layout and per-trace colour ranges.

import { hasNegative, maxAbsOf } from "./colours";
import { inPadding } from "./geometry";
import { drawGrid, type GridImage } from "./grid";
import type { Panel } from "./layout";
import type { Stepper } from "./state";
import type { Nd } from "./trace";

/** The cached grid image under `key`, made on first use (dropped on relayout and theme change). */
export function cachedGrid(s: Stepper, key: string, make: () => GridImage): GridImage {
  let img = s.state.cache.get(key);
  if (!img) {
    img = make();
    s.state.cache.set(key, img);
  }
  return img;
}

/** A per-trace statistic (colour range) under `key`, computed once per trace. */
export function stat(s: Stepper, key: string, compute: () => number): number {
  let v = s.state.stats.get(key);
  if (v === undefined) {
    v = compute();
    s.state.stats.set(key, v);
  }
  return v;
}

/** Padded input channel c, padding faded, coloured over the range of the whole padded input. */
export function inputImage(s: Stepper, c: number, p: Panel): GridImage {
  const g = s.state.geom!;
  const tr = s.state.trace!;
  const [hp, wp] = g.padded;
  const size = hp * wp;
  return cachedGrid(s, `input:${c}:${p.cell}`, () => {
    const signed = hasNegative(tr.padded.data);
    const m = maxAbsOf(tr.padded.data);
    const base = c * size;
    return drawGrid({ values: tr.padded.data, base, rows: hp, cols: wp }, p.cell, m, signed, s.state.theme, {
      faded: (r, q) => inPadding(g, r, q),
    });
  });
}

/** Map f of an (F, rows, cols) array, coloured over that map's own range. */
export function mapImage(s: Stepper, key: string, arr: Nd, f: number, rows: number, cols: number, cell: number, text = true): GridImage {
  return cachedGrid(s, `${key}:${f}:${cell}`, () => {
    const base = f * rows * cols;
    const m = maxAbsOf(arr.data, base, base + rows * cols);
    const signed = hasNegative(arr.data, base, base + rows * cols);
    return drawGrid({ values: arr.data, base, rows, cols }, cell, m, signed, s.state.theme, { text });
  });
}
