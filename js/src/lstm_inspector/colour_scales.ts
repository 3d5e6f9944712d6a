// Which colours a recorded array gets: the scheme (sigmoid gate, signed, positive), its value
// domain (fixed for bounded nonlinearities, robust for the rest) and its lookup table (built by
// lib/colour.ts).

import { colourTable, divergingTable, tableIndex } from "../lib/colour";

export type Scheme = "gate" | "signed" | "positive";

export interface Colouring {
  scheme: Scheme;
  domain: [number, number];
}

/** Fixed colour range of a bounded array — sigmoid gates [0, 1], tanh outputs [−1, 1] — or
 *  null for unbounded ones (c, pre-activations, a projected h, a ReLU h). */
export function fixedDomain(name: string, kind: string, nonlinearity: string, proj: number): Colouring | null {
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
  values: ArrayLike<number>): Colouring {
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
  series: ArrayLike<number>, diff = false): Colouring {
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

/** How the legend names a scheme's colour ends. */
export function schemeEnds(scheme: Scheme): string {
  return scheme === "gate" ? "dark blue → yellow" : scheme === "positive" ? "dark → yellow" : "blue → white (0) → red";
}

/** Entries of every table here: 256, so that index k is the domain at k/255. */
export const LUT_SIZE = 256;

/** The RGBA lookup table of a scheme (lib/colour.ts; entry 0 = domain low end): signed values on
 *  the diverging RdBu map (low blue, high red), gates and positive values on viridis. */
export function lut(scheme: Scheme): Uint8ClampedArray {
  return scheme === "signed" ? divergingTable(LUT_SIZE) : colourTable("viridis", LUT_SIZE);
}

const LUTS: Partial<Record<Scheme, Uint8ClampedArray>> = {};

/** The lookup table of a scheme, built once per page. */
export function lutFor(scheme: Scheme): Uint8ClampedArray {
  return (LUTS[scheme] ??= lut(scheme));
}

/** Position of v in the domain as a table index 0..255 (−1 for NaN/∞). */
export function lutIndex(v: number, domain: [number, number]): number {
  return tableIndex(v, domain[0], domain[1], LUT_SIZE);
}
