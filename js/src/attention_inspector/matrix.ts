// The matrix view: every head of every layer as a T_query × T_key heatmap thumbnail (one canvas,
// each matrix painted once into an offscreen one-pixel-per-cell canvas and drawn scaled), and
// the clicked one enlarged. Masked cells are grey; the colour scale of each matrix runs from 0
// to its largest weight (viridis).

import { createSurface, type Surface } from "../lib/canvas";
import { colourTable } from "../lib/colour";
import { h } from "../lib/dom";
import { drawCells, paintHeatmap } from "../lib/heatmap";
import { font } from "../lib/theme";
import { gridLayout, headMatrix, maxFinite, type GridLayout } from "./logic";
import type { LayerData, ViewState } from "./state";

const TABLE = colourTable("viridis");
export const BIG = 360;

export interface MatrixView {
  el: HTMLDivElement;
  grid: Surface;
  big: Surface;
  caption: HTMLDivElement;
  layout: GridLayout;
  bigBox: { w: number; h: number };
}

export function buildMatrixView(): MatrixView {
  const grid = createSurface(100, 100, "dlw-canvas dlw-attn-grid");
  const big = createSurface(BIG, BIG, "dlw-canvas dlw-attn-big");
  const caption = h("div", { class: "dlw-attn-caption" });
  const el = h("div", { class: "dlw-attn-matrix" }, [grid.canvas, h("div", { class: "dlw-attn-bigbox" }, [caption, big.canvas])]);
  return { el, grid, big, caption, layout: gridLayout([1], 400), bigBox: { w: BIG, h: BIG } };
}

interface Painted {
  canvas: HTMLCanvasElement;
  hi: number;
}

function painted(state: ViewState, layer: LayerData, li: number, head: number): Painted {
  const key = `${li}:${head}`;
  let canvas = state.thumbs.get(key);
  const values = headMatrix(layer, head);
  const hi = maxFinite(values);
  if (!canvas) {
    canvas = paintHeatmap(values, layer.tq, layer.tk, TABLE, 0, hi || 1);
    state.thumbs.set(key, canvas);
  }
  return { canvas, hi };
}

export function drawMatrix(view: MatrixView, state: ViewState, heads: number[], layers: string[], maxWidth: number): void {
  const theme = state.theme;
  const g = gridLayout(heads, maxWidth);
  view.layout = g;
  view.grid.resize(g.width, g.height);
  const ctx = view.grid.ctx;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, g.width, g.height);
  ctx.font = font(theme, 10);
  ctx.fillStyle = theme.muted;
  ctx.textBaseline = "middle";
  for (let c = 0; c < g.columns; c++) ctx.fillText(`h${c}`, g.left + c * (g.cell + g.gap) + 2, g.top / 2);
  state.data.forEach((layer, li) => {
    const y = g.top + li * (g.cell + g.gap);
    ctx.fillStyle = theme.muted;
    ctx.fillText(`L${li}`, 2, y + g.cell / 2);
    for (let hd = 0; hd < layer.heads; hd++) {
      const x = g.left + hd * (g.cell + g.gap);
      drawCells(ctx, painted(state, layer, li, hd).canvas, x, y, g.cell, g.cell);
      const chosen = state.enlarged.layer === li && state.enlarged.head === hd;
      if (chosen) {
        ctx.strokeStyle = theme.accent;
        ctx.lineWidth = 2;
        ctx.strokeRect(x - 1.5, y - 1.5, g.cell + 3, g.cell + 3);
      }
    }
  });
  drawEnlarged(view, state, layers);
}

function drawEnlarged(view: MatrixView, state: ViewState, layers: string[]): void {
  const { layer: li, head } = state.enlarged;
  const layer = state.data[li];
  if (!layer || head >= layer.heads) return;
  const scale = BIG / Math.max(layer.tq, layer.tk);
  const w = Math.max(1, Math.round(layer.tk * scale));
  const hgt = Math.max(1, Math.round(layer.tq * scale));
  view.bigBox = { w, h: hgt };
  view.big.resize(w, hgt);
  const p = painted(state, layer, li, head);
  view.big.ctx.fillStyle = state.theme.bg;
  view.big.ctx.fillRect(0, 0, w, hgt);
  drawCells(view.big.ctx, p.canvas, 0, 0, w, hgt);
  view.caption.textContent = `${layers[li] ?? ""} · head ${head} · rows: queries (${layer.tq}), columns: keys (${layer.tk}) · colour 0 → ${p.hi.toPrecision(3)}, grey = masked`;
}
