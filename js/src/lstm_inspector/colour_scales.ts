// Which colours a recorded array gets: the scheme (sigmoid gate, signed, positive), its value
// domain (fixed for bounded nonlinearities, robust for the rest) and the lookup tables.

import { interpolateRdBu, interpolateViridis } from "d3-scale-chromatic";

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

const LUTS: Partial<Record<Scheme, Uint8ClampedArray>> = {};

/** The lookup table of a scheme, built once per page. */
export function lutFor(scheme: Scheme): Uint8ClampedArray {
  return (LUTS[scheme] ??= lut(scheme));
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
