// Colours of cell values: diverging blue-white-red for signed data, greys otherwise.

import { interpolateGreys, interpolateRdBu } from "d3-scale-chromatic";

/** Highlight colours: hovered cells, the sliding window, the pooling winner. */
export const HOVER = "#e8590c";
export const WINDOW = "#2f6fdf";
export const WINNER = "#f59f00";

/** Position 0..255 of v on the colour scale: signed values diverge around 0, others run 0..max. */
export function colorIndex(v: number, maxAbs: number, signed: boolean): number {
  const m = maxAbs > 0 ? maxAbs : 1;
  const t = signed ? 0.5 + Math.max(-1, Math.min(1, v / m)) / 2 : Math.max(0, Math.min(1, v / m));
  return Math.round(t * 255);
}

function buildLut(interp: (t: number) => string, flip: boolean, squeeze = 1): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) {
    const t = k / 255;
    const rgb = interp(flip ? 1 - t * squeeze : t * squeeze).match(/\d+/g)!.map(Number);
    lut.set(rgb.slice(0, 3), k * 3);
  }
  return lut;
}

interface Luts {
  signed: Uint8ClampedArray;
  plain: Uint8ClampedArray;
  css: { signed: string[]; plain: string[] };
}
let LUTS: Luts | null = null;

/** RGB lookup tables (3 bytes per entry) and their CSS strings, built on first use. */
export function luts(): Luts {
  if (!LUTS) {
    // signed: blue (negative) – white – red (positive); plain: black (0) to near-white (max),
    // a bright stroke on a dark page, like the digits
    const signed = buildLut(interpolateRdBu, true);
    const plain = buildLut(interpolateGreys, true, 0.92);
    const css = (lut: Uint8ClampedArray) => Array.from({ length: 256 }, (_, k) => `rgb(${lut[k * 3]},${lut[k * 3 + 1]},${lut[k * 3 + 2]})`);
    LUTS = { signed, plain, css: { signed: css(signed), plain: css(plain) } };
  }
  return LUTS;
}

/** CSS colour of v: diverging blue-white-red when signed, else greys. */
export function cellColor(v: number, maxAbs: number, signed: boolean): string {
  if (!Number.isFinite(v)) return "#f1f3f5";
  const l = luts().css;
  return (signed ? l.signed : l.plain)[colorIndex(v, maxAbs, signed)];
}

/** Text colour readable on cellColor(v, ...). */
export function textColor(v: number, maxAbs: number, signed: boolean): string {
  const m = maxAbs > 0 ? maxAbs : 1;
  const t = v / m;
  if (signed) return Math.abs(t) > 0.55 ? "#ffffff" : "#1f2933";
  return t < 0.5 ? "#ffffff" : "#1f2933";
}

export function maxAbsOf(data: ArrayLike<number>, start = 0, end = data.length): number {
  let m = 0;
  for (let k = start; k < end; k++) {
    const a = Math.abs(data[k]);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m;
}

export function hasNegative(data: ArrayLike<number>, start = 0, end = data.length): boolean {
  for (let k = start; k < end; k++) if (data[k] < 0) return true;
  return false;
}
