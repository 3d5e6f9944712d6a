// Colour: one CSS colour parser, colour lookup tables sampled from d3-scale-chromatic's
// interpolators (so a heatmap paints from a table instead of parsing a CSS string per cell),
// diverging maps centred on 0, the category palette, and WCAG contrast.

import { color as d3color } from "d3-color";
import {
  interpolateBlues,
  interpolateCividis,
  interpolateGreys,
  interpolateInferno,
  interpolateMagma,
  interpolatePlasma,
  interpolatePuOr,
  interpolateRdBu,
  interpolateTurbo,
  interpolateViridis,
  schemeTableau10,
} from "d3-scale-chromatic";

/** [r, g, b, a]: channels 0..255, alpha 0..1 (as CSS writes it). */
export type RGBA = [number, number, number, number];

/**
 * Parse any CSS colour d3-color reads: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb()/rgba() and
 * hsl()/hsla() (comma or space syntax, "/ alpha") and the named colours. Channels are rounded to integers 0..255, alpha is 0..1 ("transparent" is
 * [0, 0, 0, 0]). Unreadable input (a typo, "var(--x)", "") throws a TypeError naming it, unless a
 * `fallback` is given, which is then returned instead: pass one when the string comes from the
 * page (a CSS variable) and a wrong colour is better than no drawing.
 */
export function parseColor(css: string, fallback?: RGBA): RGBA {
  const parsed = typeof css === "string" ? d3color(commaSyntax(css.trim())) : null;
  if (!parsed) {
    if (fallback) return [...fallback] as RGBA;
    throw new TypeError(`cannot read colour ${JSON.stringify(css)}`);
  }
  const { r, g, b, opacity } = parsed.rgb();
  const channel = (v: number) => (Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(v))) : 0);
  return [channel(r), channel(g), channel(b), Number.isFinite(opacity) ? Math.max(0, Math.min(1, opacity)) : 1];
}

// d3-color reads the comma syntax only; CSS Color 4 also allows "rgb(255 255 255 / 0.87)".
const SPACE_SYNTAX = /^(rgb|hsl)a?\(\s*([^\s,/()]+)\s+([^\s,/()]+)\s+([^\s,/()]+)\s*(?:\/\s*([^\s,/()]+)\s*)?\)$/i;

function commaSyntax(css: string): string {
  const m = SPACE_SYNTAX.exec(css);
  if (!m) return css;
  const [, fn, a, b, c, alpha] = m;
  if (alpha === undefined) return `${fn}(${a}, ${b}, ${c})`;
  const opacity = alpha.endsWith("%") ? Number(alpha.slice(0, -1)) / 100 : Number(alpha);
  return `${fn}a(${a}, ${b}, ${c}, ${opacity})`;
}

/** CSS text of a colour: "rgb(r,g,b)" when opaque, else "rgba(r,g,b,a)". */
export function cssColor(c: ArrayLike<number>): string {
  const a = c.length > 3 ? c[3] : 1;
  return a >= 1 ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${a})`;
}

/** The same colour with another alpha: withAlpha("#2f6fdf", 0.3) → "rgba(47,111,223,0.3)". */
export function withAlpha(css: string, alpha: number): string {
  const [r, g, b] = parseColor(css);
  return `rgba(${r},${g},${b},${alpha})`;
}

/** WCAG 2 relative luminance of an sRGB colour (alpha ignored). */
export function luminance(c: ArrayLike<number>): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}

/** WCAG 2 contrast ratio of two opaque colours, 1 (same) to 21 (black on white). */
export function contrastRatio(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** `over` composited onto an opaque `under` (for reading translucent theme colours). */
export function blend(over: RGBA, under: ArrayLike<number>): RGBA {
  const a = over[3];
  const mix = (i: number) => Math.round(over[i] * a + under[i] * (1 - a));
  return [mix(0), mix(1), mix(2), 1];
}

/** Dark or light text on a background: whichever has the higher WCAG contrast with it (a plain
 * luminance threshold put white on mid blues at a contrast near 3). */
export function textOn(rgb: ArrayLike<number>, dark = "#111", light = "#fff"): string {
  const ink = (css: string, fallback: RGBA) => parseColor(css, fallback);
  return contrastRatio(rgb, ink(dark, [17, 17, 17, 1])) >= contrastRatio(rgb, ink(light, [255, 255, 255, 1])) ? dark : light;
}

// ---------------------------------------------------------------------------------------------
// Colour tables

/** Names accepted by colourTable, each a d3-scale-chromatic interpolator on [0, 1]. */
export const COLOUR_MAPS = {
  viridis: interpolateViridis,
  magma: interpolateMagma,
  inferno: interpolateInferno,
  plasma: interpolatePlasma,
  cividis: interpolateCividis,
  turbo: interpolateTurbo,
  greys: interpolateGreys,
  blues: interpolateBlues,
  RdBu: interpolateRdBu,
  PuOr: interpolatePuOr,
} as const;

export type ColourMapName = keyof typeof COLOUR_MAPS;

export interface TableOptions {
  /** Sample the interpolator from 1 down to 0 (e.g. RdBu with blue at the low end). */
  reverse?: boolean;
  /** Part of the interpolator to use, [start, end] within [0, 1] (e.g. [0, 0.92] to stop short of black). */
  range?: [number, number];
}

/**
 * An RGBA lookup table of `n` colours (4 bytes each, alpha 255) sampled evenly from a colour map:
 * entry k is the interpolator at start + (end − start)·k/(n−1), or at 1 minus that when
 * `reverse`. Entry 0 is the low end of the data. Use tableIndex to find a value's entry.
 */
export function colourTable(
  map: ColourMapName | ((t: number) => string),
  n = 256,
  options: TableOptions = {},
): Uint8ClampedArray {
  const interp = typeof map === "function" ? map : COLOUR_MAPS[map];
  if (!interp) throw new TypeError(`unknown colour map ${String(map)}`);
  if (!(n >= 2) || !Number.isInteger(n)) throw new RangeError(`a colour table needs at least 2 entries, got ${n}`);
  const [start, end] = options.range ?? [0, 1];
  const table = new Uint8ClampedArray(n * 4);
  for (let k = 0; k < n; k++) {
    const u = start + ((end - start) * k) / (n - 1);
    const [r, g, b] = parseColor(interp(options.reverse ? 1 - u : u));
    table[k * 4] = r;
    table[k * 4 + 1] = g;
    table[k * 4 + 2] = b;
    table[k * 4 + 3] = 255;
  }
  return table;
}

/**
 * Entry of v in a table of n entries spanning [lo, hi]: clamped to 0..n−1, the middle entry when
 * lo == hi, −1 for NaN and ±∞ (draw those in a "missing" colour).
 */
export function tableIndex(v: number, lo: number, hi: number, n = 256): number {
  if (!Number.isFinite(v)) return -1;
  const x = hi === lo ? 0.5 : (v - lo) / (hi - lo);
  return Math.max(0, Math.min(n - 1, Math.round(x * (n - 1))));
}

/** CSS colour of table entry k ("rgb(r,g,b)"). */
export function tableColour(table: Uint8ClampedArray, k: number): string {
  return `rgb(${table[k * 4]},${table[k * 4 + 1]},${table[k * 4 + 2]})`;
}

// An odd size puts one entry exactly at 0, so 0 gets the map's neutral centre colour.
export const DIVERGING_SIZE = 257;

/**
 * A diverging table for values in [−m, m]: negative blue, 0 neutral (near-white), positive red
 * (RdBu reversed, the convention of the conv stepper and LSTM inspector). Index it with
 * tableIndex(v, −m, m, n).
 */
export function divergingTable(n = DIVERGING_SIZE, map: ColourMapName | ((t: number) => string) = "RdBu"): Uint8ClampedArray {
  return colourTable(map, n, { reverse: true });
}

let sharedDiverging: { table: Uint8ClampedArray; css: string[] } | null = null;

/** CSS colour of v on the diverging map centred on 0 with ±maxAbs at the ends (NaN → null). */
export function divergingColour(v: number, maxAbs: number): string | null {
  if (!sharedDiverging) {
    const table = divergingTable();
    sharedDiverging = { table, css: Array.from({ length: DIVERGING_SIZE }, (_, k) => tableColour(table, k)) };
  }
  const m = maxAbs > 0 && Number.isFinite(maxAbs) ? maxAbs : 1;
  const k = tableIndex(v, -m, m, DIVERGING_SIZE);
  return k < 0 ? null : sharedDiverging.css[k];
}

// ---------------------------------------------------------------------------------------------
// Categories

/** Colour of category i: Tableau 10, repeating after ten. */
export function categoryColour(i: number): string {
  const k = Math.abs(Math.trunc(i)) % schemeTableau10.length;
  return schemeTableau10[k];
}

/** Colours of k distinct categories: Tableau 10 up to ten, then k evenly spaced turbo hues. */
export function categoryColours(k: number): string[] {
  if (k <= schemeTableau10.length) return schemeTableau10.slice(0, Math.max(k, 1));
  return Array.from({ length: k }, (_, i) => interpolateTurbo(0.05 + (0.9 * i) / (k - 1)));
}
