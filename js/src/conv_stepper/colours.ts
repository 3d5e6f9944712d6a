// Colours of cell values: diverging blue-white-red for signed data, greys otherwise, both from the
// shared colour tables (lib/colour.ts). Cell colours show data, so they stay the same in light
// and dark themes; everything drawn on the page itself takes the theme (lib/theme.ts).

import { colourTable, divergingTable, tableColour, tableIndex } from "../lib/colour";

/** Pooling winner: amber reads on both themes and differs from the window and hover accents. */
export const WINNER = "#f59f00";

/** A NaN or ±∞ cell: RGBA bytes for the pixel painter, CSS for cells drawn one by one. */
export const MISSING_RGBA: readonly [number, number, number, number] = [241, 241, 241, 255];
const MISSING_CSS = "#f1f3f5";

/** Text on a coloured cell: it contrasts with the cell's data colour, not with the page. */
const TEXT_ON_DARK_CELL = "#ffffff";
const TEXT_ON_LIGHT_CELL = "#111111"; // lib/colour textOn's dark ink

export const TABLE_SIZE = 256;

interface Tables {
  signed: Uint8ClampedArray;
  plain: Uint8ClampedArray;
  css: { signed: string[]; plain: string[] };
}
let TABLES: Tables | null = null;

/** RGBA tables (built on first use) and their CSS strings, so drawing cells parses nothing. */
export function tables(): Tables {
  if (!TABLES) {
    // signed: blue (negative) – white – red (positive); plain: black (0) to near-white (max),
    // a bright stroke on a dark page, like the digits
    const signed = divergingTable(TABLE_SIZE);
    const plain = colourTable("greys", TABLE_SIZE, { reverse: true, range: [0, 0.92] });
    const css = (t: Uint8ClampedArray) => Array.from({ length: TABLE_SIZE }, (_, k) => tableColour(t, k));
    TABLES = { signed, plain, css: { signed: css(signed), plain: css(plain) } };
  }
  return TABLES;
}

/** Value range mapped onto the table: ±maxAbs when signed, else 0..maxAbs. */
export function valueRange(maxAbs: number, signed: boolean): [number, number] {
  const m = maxAbs > 0 ? maxAbs : 1;
  return signed ? [-m, m] : [0, m];
}

/** CSS colour of v: diverging blue-white-red when signed, else greys. */
export function cellColor(v: number, maxAbs: number, signed: boolean): string {
  if (!Number.isFinite(v)) return MISSING_CSS;
  const [lo, hi] = valueRange(maxAbs, signed);
  const css = tables().css;
  return (signed ? css.signed : css.plain)[tableIndex(v, lo, hi, TABLE_SIZE)];
}

/** Text colour readable on cellColor(v, ...). */
export function textColor(v: number, maxAbs: number, signed: boolean): string {
  const m = maxAbs > 0 ? maxAbs : 1;
  const t = v / m;
  if (signed) return Math.abs(t) > 0.55 ? TEXT_ON_DARK_CELL : TEXT_ON_LIGHT_CELL;
  return t < 0.5 ? TEXT_ON_DARK_CELL : TEXT_ON_LIGHT_CELL;
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
