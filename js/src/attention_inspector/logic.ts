// Pure parts of the attention inspector (tested in node with vitest): which lines the heads view
// draws and how strongly, the matrix grid's layout and hit testing, and one head's matrix with
// masked cells marked for the heatmap painter.

import type { Hovered, LayerData } from "./state";

/** Lines lighter than this are not drawn (each row sums to 1: at most 1/MIN_WEIGHT per row). */
export const MIN_WEIGHT = 0.01;
/** Opacity of the lines outside the hovered token's row. */
export const FADED = 0.12;

export interface Segment {
  head: number;
  query: number;
  key: number;
  alpha: number;
}

/**
 * The lines of the heads view: one per (visible head, query, key) with weight ≥ MIN_WEIGHT,
 * opacity = weight; when a token is hovered, lines through it keep their opacity and the rest
 * fade to FADED × weight.
 */
export function headSegments(layer: LayerData, hidden: ReadonlySet<number>, hovered: Hovered | null): Segment[] {
  const { heads, tq, tk, weights } = layer;
  const out: Segment[] = [];
  for (let h = 0; h < heads; h++) {
    if (hidden.has(h)) continue;
    for (let q = 0; q < tq; q++) {
      const base = (h * tq + q) * tk;
      for (let k = 0; k < tk; k++) {
        const w = weights[base + k];
        if (!(w >= MIN_WEIGHT)) continue;
        const on = !hovered || (hovered.side === "q" ? hovered.index === q : hovered.index === k);
        out.push({ head: h, query: q, key: k, alpha: Math.min(1, on ? w : w * FADED) });
      }
    }
  }
  return out;
}

/** One head's (tq × tk) weights, NaN where the mask hides the cell (painted as "missing"). */
export function headMatrix(layer: LayerData, head: number): Float32Array {
  const n = layer.tq * layer.tk;
  const out = layer.weights.slice(head * n, (head + 1) * n);
  if (layer.mask) for (let i = 0; i < n; i++) if (layer.mask[i]) out[i] = NaN;
  return out;
}

/** Largest finite value (0 when none): the top of a matrix's colour scale. */
export function maxFinite(values: ArrayLike<number>): number {
  let hi = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && values[i] > hi) hi = values[i];
  return hi;
}

export interface GridLayout {
  cell: number; // thumbnail side in CSS pixels
  gap: number;
  left: number; // room for the layer labels
  top: number; // room for the head labels
  columns: number;
  rows: number;
  width: number;
  height: number;
}

/** Thumbnails: one row per layer, one column per head, sized so the grid fits `maxWidth`. */
export function gridLayout(heads: number[], maxWidth: number): GridLayout {
  const columns = Math.max(1, ...heads);
  const rows = heads.length;
  const gap = 6;
  const left = 34;
  const top = 16;
  const cell = Math.max(24, Math.min(96, Math.floor((maxWidth - left) / columns) - gap));
  return { cell, gap, left, top, columns, rows, width: left + columns * (cell + gap), height: top + rows * (cell + gap) };
}

/** The (layer, head) of the thumbnail at (x, y), or null between and outside thumbnails. */
export function gridHit(g: GridLayout, heads: number[], x: number, y: number): { layer: number; head: number } | null {
  const cx = x - g.left;
  const cy = y - g.top;
  if (cx < 0 || cy < 0) return null;
  const head = Math.floor(cx / (g.cell + g.gap));
  const layer = Math.floor(cy / (g.cell + g.gap));
  if (cx - head * (g.cell + g.gap) > g.cell || cy - layer * (g.cell + g.gap) > g.cell) return null;
  if (layer >= heads.length || head >= heads[layer]) return null;
  return { layer, head };
}

/** The cell of an enlarged matrix at (x, y) in a box of `size` pixels, or null outside. */
export function cellAt(tq: number, tk: number, size: { w: number; h: number }, x: number, y: number): { query: number; key: number } | null {
  if (x < 0 || y < 0 || x >= size.w || y >= size.h) return null;
  return { query: Math.floor((y / size.h) * tq), key: Math.floor((x / size.w) * tk) };
}

/** A token as shown: whitespace made visible, empty as "∅" (the text itself goes in as text). */
export function visibleToken(token: string): string {
  if (token === "") return "∅";
  return token.replace(/ /g, "␣").replace(/\n/g, "⏎").replace(/\t/g, "⇥");
}
