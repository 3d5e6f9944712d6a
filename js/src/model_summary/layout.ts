// Layout of the network diagram: which rows are visible, one glyph per layer sized by its output
// shape, activations folded into the glyph before them, residual arcs and bracketed sections.
// Pure (no DOM), tested with vitest.

import { formatShape } from "./format";
import type { Row } from "./state";

/** Indices of rows not hidden inside a collapsed block, in order. */
export function visibleRows(rows: Row[], collapsed: Iterable<number>): number[] {
  const folded = new Set(collapsed);
  const hidden = new Set<number>();
  const out: number[] = [];
  rows.forEach((row, i) => {
    if (row.parent >= 0 && (hidden.has(row.parent) || folded.has(row.parent))) {
      hidden.add(i);
      return;
    }
    out.push(i);
  });
  return out;
}

/** Every ancestor index of row i (parent first). */
export function ancestors(rows: Row[], i: number): number[] {
  const out: number[] = [];
  let p = rows[i]?.parent ?? -1;
  while (p >= 0 && out.length < rows.length) {
    out.push(p);
    p = rows[p].parent;
  }
  return out;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
const sizeOf = (n: number) => clamp(10 + 13 * Math.log2(Math.max(1, n)), 12, 110);
const thickness = (c: number) => clamp(3 + 5 * Math.log2(Math.max(1, c)), 4, 44);

/** Glyph of a layer output: front face w×h plus an oblique depth d (pseudo-3D for maps). */
export function glyphSize(shape: number[] | null): { w: number; h: number; d: number } {
  if (!shape || shape.length === 0) return { w: 14, h: 30, d: 0 };
  if (shape.length === 1) return { w: 10, h: clamp(10 + 12 * Math.log2(Math.max(1, shape[0])), 12, 140), d: 0 };
  if (shape.length === 2) return { w: thickness(shape[0]), h: sizeOf(shape[1]), d: 0 };
  const hgt = sizeOf(shape[1]);
  return { w: thickness(shape[0]), h: hgt, d: Math.round(clamp(sizeOf(shape[2]) * 0.35, 4, 40)) };
}

export interface Unit {
  row: number; // -1 for the input glyph
  label: string;
  shape: number[] | null;
  category: string;
  act: string | null; // activation folded into this glyph
  x: number;
  y: number; // top of the front face
  w: number;
  h: number;
  d: number;
  collapsed: boolean;
  text: string; // label drawn under the glyph
  cx: number; // centre of the glyph's slot (labels are centred on it)
  slot: number; // width of the slot (glyph or label, whichever is wider)
}

export interface Arc {
  row: number;
  from: number; // unit index the skip leaves from
  to: number; // unit index it joins
  label: string;
  level: number;
}

export interface Section {
  row: number;
  from: number;
  to: number;
  label: string;
}

export interface Layout {
  units: Unit[];
  arcs: Arc[];
  sections: Section[];
  width: number;
  height: number;
  mid: number;
  labelY: number; // baseline of the layer names; shapes go one line below
}

/** Text under a glyph: its kind, the folded activation, a ▸ on a collapsed block. */
export function unitText(u: Pick<Unit, "label" | "act" | "collapsed">): string {
  if (u.collapsed) return `${u.label} ▸`;
  return u.act ? `${u.label}+${u.act}` : u.label;
}

/** Approximate width in pixels of a label in the diagram's font (11px names, 10px shapes). */
export function textWidth(text: string, px = 11): number {
  return text.length * px * 0.58;
}

export const GAP = 22;
const MARGIN = 16;
const ARC_SPACE = 34;
const LABEL_SPACE = 42;
const SECTION_SPACE = 22;

/** The kind under a glyph; attention layers add their head count ("attention ×4"). */
export function glyphLabel(row: Pick<Row, "kind" | "layer" | "category">): string {
  const heads = row.category === "attention" ? /(\d+) heads/.exec(row.layer) : null;
  return heads ? `${row.kind} ×${heads[1]}` : row.kind;
}

function shortName(row: Row): string {
  const last = row.name ? row.name.split(".").pop() ?? "" : "";
  return last && !/^\d+$/.test(last) ? last : row.kind;
}

/** Place the glyphs of the visible layers left to right; pure, so it is tested with vitest. */
export function layoutDiagram(
  rows: Row[],
  collapsed: Iterable<number>,
  inputShape: number[] | null,
  kind = "sequential",
  latentDim = -1,
): Layout {
  const folded = new Set(collapsed);
  const visible = visibleRows(rows, folded);
  const units: Unit[] = [];
  const ownerUnits = new Map<number, number[]>(); // block row -> unit indices inside it
  const skip = new Set<number>();
  const push = (unit: Omit<Unit, "x" | "y" | "w" | "h" | "d" | "text" | "cx" | "slot">) => {
    const g = glyphSize(unit.shape);
    units.push({ ...unit, x: 0, y: 0, text: "", cx: 0, slot: 0, ...g });
    return units.length - 1;
  };
  const note = (rowIndex: number, unitIndex: number) => {
    for (const a of ancestors(rows, rowIndex)) {
      const list = ownerUnits.get(a) ?? [];
      list.push(unitIndex);
      ownerUnits.set(a, list);
    }
  };
  if (kind === "gan") {
    if (latentDim > 0) push({ row: -1, label: "noise z", shape: [latentDim], category: "input", act: null, collapsed: false });
  } else if (inputShape) {
    push({ row: -1, label: "input", shape: inputShape, category: "input", act: null, collapsed: false });
  }
  for (const i of visible) {
    const row = rows[i];
    if (ancestors(rows, i).some((a) => skip.has(a))) continue;
    if (row.kind === "shortcut") {
      skip.add(i);
      continue;
    }
    if (row.kind === "latent") {
      skip.add(i);
      note(i, push({ row: i, label: "μ, log σ²", shape: row.shape, category: "latent", act: null, collapsed: false }));
      continue;
    }
    if (row.block) {
      if (kind === "gan" && row.kind === "discriminator" && inputShape) {
        push({ row: -1, label: "data x", shape: inputShape, category: "input", act: null, collapsed: false });
      }
      if (folded.has(i)) note(i, push({ row: i, label: shortName(row), shape: row.shape, category: "block", act: null, collapsed: true }));
      continue;
    }
    const prev = units[units.length - 1];
    if (row.category === "activation" && prev && prev.row >= 0 && prev.act === null && prev.category !== "block") {
      prev.act = row.kind;
      note(i, units.length - 1);
      continue;
    }
    note(i, push({ row: i, label: glyphLabel(row), shape: row.shape, category: row.category, act: null, collapsed: false }));
  }
  // arcs for expanded residual blocks, sections for the top-level parts
  const arcs: Arc[] = [];
  const sections: Section[] = [];
  for (const i of visible) {
    const row = rows[i];
    const inside = ownerUnits.get(i);
    if (!row.block || folded.has(i) || !inside || inside.length === 0) continue;
    const first = Math.min(...inside);
    const last = Math.max(...inside);
    if (row.kind === "residual") {
      const sc = rows.findIndex((r, k) => r.parent === i && r.kind === "shortcut");
      const label = sc >= 0 ? "+ shortcut" : "+ x";
      const level = ancestors(rows, i).filter((a) => rows[a].kind === "residual").length;
      arcs.push({ row: i, from: Math.max(0, first - 1), to: last, label, level });
    } else if (["encoder", "decoder", "generator", "discriminator"].includes(row.kind) || row.kind === "block") {
      sections.push({ row: i, from: first, to: last, label: row.kind === "block" ? shortName(row) : row.kind });
    }
  }
  const maxLevel = arcs.reduce((m, a) => Math.max(m, a.level), -1);
  const top = MARGIN + (arcs.length ? ARC_SPACE + 10 * (maxLevel + 1) : 0);
  const tallest = units.reduce((m, u) => Math.max(m, u.h + u.d), 20);
  const mid = top + tallest / 2;
  let x = MARGIN;
  for (const u of units) {
    u.text = unitText(u);
    const slot = Math.max(u.w + u.d, textWidth(u.text), textWidth(formatShape(u.shape), 10));
    u.cx = x + slot / 2;
    u.slot = slot;
    u.x = u.cx - (u.w + u.d) / 2 + u.d;
    u.y = mid - u.h / 2 + u.d / 2;
    x += slot + GAP;
  }
  const width = Math.max(x - GAP + MARGIN, 200);
  const labelY = top + tallest + 18;
  const height = top + tallest + LABEL_SPACE + (sections.length ? SECTION_SPACE : 0) + MARGIN;
  return { units, arcs, sections, width, height, mid, labelY };
}
