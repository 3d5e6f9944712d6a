// Where the panels of each view go on the canvas, and which cell lies under a point.

import type { Geometry, Stepper, ViewName } from "./state";
import { viewOf } from "./state";

export interface Panel {
  key: string;
  title: string;
  rows: number;
  cols: number;
  cell: number;
  x: number;
  y: number;
  deck: number; // px reserved on the right/top for stacked channel slices
}

export type PanelSpec = Omit<Panel, "x" | "y">;

export const LAYOUT = { margin: 14, gap: 40, rowGap: 18, titleHeight: 22, footer: 24, maxWidth: 1080 };

/** Cell size so `n` cells fit `budget` px, clamped to [lo, hi]. */
export function cellSize(n: number, budget: number, lo = 3, hi = 40): number {
  return Math.max(lo, Math.min(hi, Math.floor(budget / Math.max(1, n))));
}

/** Where a panel ends on the right (its grid plus the stacked slices beside it). */
const rightOf = (p: PanelSpec, x: number) => x + p.cols * p.cell + p.deck;

/**
 * Place panels left to right, aligned at the top; a panel that would pass `maxWidth` starts a new
 * row (a narrow output area), keeping a gap after each row's last panel for the operator drawn
 * between it and the next. Returns the canvas size.
 */
export function layoutPanels(panels: PanelSpec[], maxWidth = Infinity): { panels: Panel[]; width: number; height: number } {
  let x = LAYOUT.margin;
  let top = LAYOUT.margin;
  let rowBottom = top;
  let width = 0;
  const placed: Panel[] = [];
  panels.forEach((p, k) => {
    const room = k < panels.length - 1 ? LAYOUT.gap : 0;
    if (x > LAYOUT.margin && rightOf(p, x) + room + LAYOUT.margin > maxWidth) {
      x = LAYOUT.margin;
      top = rowBottom + LAYOUT.rowGap;
    }
    const y = top + LAYOUT.titleHeight + p.deck;
    placed.push({ ...p, x, y });
    width = Math.max(width, rightOf(p, x) + LAYOUT.margin);
    x = rightOf(p, x) + LAYOUT.gap;
    rowBottom = Math.max(rowBottom, y + p.rows * p.cell);
  });
  // a row that wrapped keeps room after its last panel for the operator
  for (let k = 0; k + 1 < placed.length; k++) {
    if (placed[k + 1].x <= placed[k].x) width = Math.max(width, rightOf(placed[k], placed[k].x) + LAYOUT.gap);
  }
  return { panels: placed, width, height: rowBottom + LAYOUT.footer + LAYOUT.margin };
}

/** Grid cell [row, col] of a panel under canvas point (x, y), or null. */
export function cellAt(p: Panel, x: number, y: number): [number, number] | null {
  const c = Math.floor((x - p.x) / p.cell);
  const r = Math.floor((y - p.y) / p.cell);
  if (x < p.x || y < p.y || r < 0 || c < 0 || r >= p.rows || c >= p.cols) return null;
  return [r, c];
}

/** The panels of a view, left to right, at their preferred cell sizes. */
export function panelSpecs(g: Geometry, v: ViewName): PanelSpec[] {
  const [hp, wp] = g.padded;
  const [kh, kw] = g.kernel;
  const [ho, wo] = g.out;
  const deck = Math.min(3, g.group_channels - 1) * 6;
  const cIn = cellSize(Math.max(hp, wp), 380, 3, 40);
  const cK = cellSize(Math.max(kh, kw), 170, 6, 40);
  const cOut = cellSize(Math.max(ho, wo), 280, 3, 40);
  if (v === "pool" && g.pool) {
    const [pk, pq] = g.pool.size;
    const [po, qo] = g.pool.out;
    return [
      { key: "act", title: `${g.activation}(output)`, rows: ho, cols: wo, cell: cOut, deck: 0 },
      { key: "pwin", title: `${g.pool.kind} window`, rows: pk, cols: pq, cell: cellSize(Math.max(pk, pq), 170, 6, 40), deck: 0 },
      { key: "pooled", title: `${g.pool.kind} pooled`, rows: po, cols: qo, cell: cellSize(Math.max(po, qo), 240, 3, 40), deck: 0 },
    ];
  }
  if (v === "transposed") {
    return [
      { key: "y", title: "output y (scattered)", rows: ho, cols: wo, cell: cOut, deck: 0 },
      { key: "kernel", title: "kernel", rows: kh, cols: kw, cell: cK, deck: 0 },
      { key: "scatter", title: "y[i,j] · kernel", rows: kh, cols: kw, cell: cK, deck: 0 },
      { key: "result", title: "transposed conv (padded grid)", rows: hp, cols: wp, cell: cIn, deck: 0 },
    ];
  }
  return [
    { key: "input", title: "input (padded)", rows: hp, cols: wp, cell: cIn, deck },
    { key: "kernel", title: "kernel", rows: kh, cols: kw, cell: cK, deck: 0 },
    { key: "products", title: "window ⊙ kernel", rows: kh, cols: kw, cell: cK, deck: 0 },
    { key: "output", title: "output", rows: ho, cols: wo, cell: cOut, deck: 0 },
  ];
}

/**
 * Lay out the current view's panels within `maxWidth` (the width the widget has, at most
 * LAYOUT.maxWidth): in one row, shrinking the cells a little if that makes them fit; else in
 * rows, shrinking further only if a single panel is still too wide.
 */
export function fitPanels(g: Geometry, v: ViewName, maxWidth = Infinity): { panels: Panel[]; width: number; height: number } {
  const limit = Math.max(120, Math.min(LAYOUT.maxWidth, maxWidth));
  const shrink = (spec: PanelSpec[]) => spec.map((p) => ({ ...p, cell: Math.max(3, Math.floor(p.cell * 0.85)) }));
  const preferred = panelSpecs(g, v);
  let spec = preferred;
  let laid = layoutPanels(spec);
  for (let tries = 0; laid.width > limit && tries < 2; tries++) {
    spec = shrink(spec);
    laid = layoutPanels(spec);
  }
  if (laid.width <= limit) return laid;
  spec = preferred;
  laid = layoutPanels(spec, limit);
  for (let tries = 0; laid.width > limit && tries < 6; tries++) {
    spec = shrink(spec);
    laid = layoutPanels(spec, limit);
  }
  return laid;
}

/** Re-lay out the canvas for the current view; cached grids of the old layout are dropped. */
export function relayout(s: Stepper): void {
  const g = s.state.geom;
  if (!g) return;
  const laid = fitPanels(g, viewOf(s), s.state.width);
  s.state.panels = laid.panels;
  s.ui.stage.dataset.panels = JSON.stringify(laid.panels.map(({ key, x, y, cell, rows, cols }) => ({ key, x, y, cell, rows, cols })));
  if (s.surface.width !== laid.width || s.surface.height !== laid.height) s.surface.resize(laid.width, laid.height);
  s.state.cache = new Map();
}

/** The panel with this key in the current layout. */
export const panelOf = (s: Stepper, key: string): Panel | undefined => s.state.panels.find((p) => p.key === key);
