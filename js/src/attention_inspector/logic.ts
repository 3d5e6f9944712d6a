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

/** Opacity levels lines are drawn at (a line's weight is rounded to the nearest level). */
export const ALPHA_LEVELS = 32;

export interface LineGroup {
  head: number;
  alpha: number;
  segments: Segment[];
}

/** Segments grouped by head and rounded opacity (never below one level), for one stroke each. */
export function lineGroups(segments: Segment[], levels = ALPHA_LEVELS): LineGroup[] {
  const groups = new Map<number, LineGroup>();
  for (const s of segments) {
    const level = Math.max(1, Math.round(s.alpha * levels));
    const key = s.head * (levels + 1) + level;
    let g = groups.get(key);
    if (!g) {
      g = { head: s.head, alpha: level / levels, segments: [] };
      groups.set(key, g);
    }
    g.segments.push(s);
  }
  return Array.from(groups.values());
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

/** One query in one head written out (the formula of the course notes). */
export interface QueryDetail {
  d: number;
  q: Float32Array; // (d)
  scores: Float64Array; // (tk): q·k_j/√d
  masked: boolean[]; // (tk): cells the mask hides (−∞ added to the score)
  weights: Float32Array; // (tk): the softmax, as the layer computed it
  output: Float64Array; // (d): Σ_j weight_j · v_j, that head's output before the out projection
}

/** q, the scores, the mask, the weights and the weighted sum for (head, query); null without q/k/v. */
export function queryDetail(layer: LayerData, head: number, query: number): QueryDetail | null {
  const p = layer.qkv;
  if (!p || head < 0 || head >= layer.heads || query < 0 || query >= layer.tq) return null;
  const d = p.e / layer.heads;
  const off = head * d;
  const q = p.q.slice(query * p.e + off, query * p.e + off + d);
  const scores = new Float64Array(layer.tk);
  const output = new Float64Array(d);
  const weights = layer.weights.slice((head * layer.tq + query) * layer.tk, (head * layer.tq + query + 1) * layer.tk);
  const masked: boolean[] = [];
  const scale = 1 / Math.sqrt(d);
  for (let j = 0; j < layer.tk; j++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += q[c] * p.k[j * p.e + off + c];
    scores[j] = s * scale;
    masked.push(Boolean(layer.mask?.[query * layer.tk + j]));
    for (let c = 0; c < d; c++) output[c] += weights[j] * p.v[j * p.e + off + c];
  }
  return { d, q, scores, masked, weights, output };
}

/** The keys listed in the drill-down: all of them up to `limit`, else the `limit` heaviest. */
export function listedKeys(weights: ArrayLike<number>, limit = 24): number[] {
  const keys = Array.from({ length: weights.length }, (_, j) => j);
  if (keys.length <= limit) return keys;
  return keys.sort((a, b) => weights[b] - weights[a] || a - b).slice(0, limit).sort((a, b) => a - b);
}

/** A vector as text, the first `max` numbers and "…" after them. */
export function vectorText(values: ArrayLike<number>, max = 8, digits = 3): string {
  const shown = Array.from({ length: Math.min(values.length, max) }, (_, i) => values[i].toFixed(digits));
  return `[${shown.join(", ")}${values.length > max ? ", …" : ""}]`;
}
