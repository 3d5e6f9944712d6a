// Gate heatmaps: one block per recorded array (units down, time across) with the tokens on the
// time axis; the selected unit row, step column and clamp start are marked. Hover reads exact
// values, a click picks the step, unit and array.

import { pointerPosition } from "../lib/canvas";
import { formatNumber } from "../lib/format";
import { drawCells, paintHeatmap } from "../lib/heatmap";
import { font } from "../lib/theme";
import { lutFor } from "./colour_scales";
import { coloured, dir, gate, hasClamp, info, layer, names, setTrait, setUnit, step, tokens, unit, valueAt, which, type Inspector } from "./context";
import { blockTop, cellAt, heatLayout, type HeatLayout } from "./heatmap_layout";
import type { ColouredArray } from "./state";
import { fade } from "./palette";
import { labelOf, shortToken, visibleToken } from "./tokens";
import { at } from "./trace";

/** Draw every block, the marks and the token axis. */
export function drawHeat(ins: Inspector): void {
  const { ui, view } = ins;
  const heat = ui.heat;
  const list = names(ins);
  const first = view.trace[list[0]];
  if (!first) return;
  const steps = first.dims.steps;
  const units = list.map((n) => view.trace[n].dims.units);
  const L = heatLayout(list, units, steps);
  view.layout = L;
  if (heat.width !== L.width || heat.height !== L.height) heat.resize(L.width, L.height);
  // geometry for tests and tools: where each block, step and unit is drawn (CSS pixels)
  heat.canvas.dataset.layout = JSON.stringify({ left: L.left, top: L.top, cellW: L.cellW, cellH: L.cellH,
    blockTops: list.map((_, b) => blockTop(L, b)), names: list, units, steps });
  const ctx = heat.ctx;
  ctx.clearRect(0, 0, L.width, L.height);
  ctx.fillStyle = view.theme.bg;
  ctx.fillRect(0, 0, L.width, L.height);
  const off = document.createElement("canvas");
  list.forEach((name, b) => {
    const c = coloured(ins, name);
    if (c) drawBlock(ins, ctx, off, L, b, name, c);
  });
  drawMarks(ins, ctx, L);
  drawTokenAxis(ins, ctx, L);
}

/** One array's block: its cells, its label and range, its unit count and the selected row. */
function drawBlock(ins: Inspector, ctx: CanvasRenderingContext2D, off: HTMLCanvasElement, L: HeatLayout,
  b: number, name: string, c: ColouredArray): void {
  const theme = ins.view.theme;
  const steps = L.steps;
  const n = L.units[b];
  const l = layer(ins);
  const d = dir(ins);
  // one pixel per cell: row = unit, column = step
  const image = paintHeatmap(c.data, n, steps, lutFor(c.scheme), c.domain[0], c.domain[1],
    { index: (u, t) => at(c.dims, l, d, t, u), target: off });
  const y = blockTop(L, b);
  drawCells(ctx, image, L.left, y, steps * L.cellW, n * L.cellH);
  ctx.fillStyle = theme.fg;
  ctx.font = font(theme, 11);
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  const range = `[${formatNumber(c.domain[0], 2)}, ${formatNumber(c.domain[1], 2)}]`;
  ctx.fillText(`${labelOf(name)}  ${range}${which(ins) === "diff" ? "  (clamp − original)" : ""}`, L.left, y - 1);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.fillStyle = theme.muted;
  ctx.fillText(`${n} units`, L.left - 6, y + (n * L.cellH) / 2);
  // selected unit row
  const u = unit(ins);
  if (u < n) {
    ctx.strokeStyle = fade(theme.accent2, 0.95);
    ctx.lineWidth = 1.5;
    ctx.strokeRect(L.left - 0.5, y + u * L.cellH - 0.5, steps * L.cellW + 1, L.cellH + 1);
  }
}

/** The selected step's column across all blocks and the clamp's first step. */
function drawMarks(ins: Inspector, ctx: CanvasRenderingContext2D, L: HeatLayout): void {
  const theme = ins.view.theme;
  const x = L.left + step(ins) * L.cellW;
  ctx.strokeStyle = fade(theme.fg, 0.9);
  ctx.lineWidth = 1.5;
  ctx.strokeRect(x - 0.5, L.top + L.gap - 3, L.cellW + 1, L.height - L.axisH - L.top - L.gap + 2);
  const cl = ins.model.get("clamp");
  if (cl && cl.start !== undefined && cl.layer === layer(ins) && cl.direction === dir(ins)) {
    const xc = L.left + cl.start * L.cellW;
    ctx.strokeStyle = theme.accent2;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(xc, L.top);
    ctx.lineTo(xc, L.height - L.axisH);
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

/** Tokens under the columns when they fit, else every few step numbers. */
function drawTokenAxis(ins: Inspector, ctx: CanvasRenderingContext2D, L: HeatLayout): void {
  const theme = ins.view.theme;
  const toks = tokens(ins);
  ctx.fillStyle = theme.fg;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const yAxis = L.height - L.axisH + 2;
  if (L.cellW >= 7) {
    ctx.font = font(theme, Math.min(12, L.cellW), "", true);
    for (let t = 0; t < L.steps; t++) ctx.fillText(shortToken(toks[t] ?? "", L.cellW >= 14 ? 2 : 1), L.left + (t + 0.5) * L.cellW, yAxis);
  } else {
    ctx.font = font(theme, 10);
    const every = Math.ceil(40 / L.cellW);
    for (let t = 0; t < L.steps; t += every) ctx.fillText(String(t), L.left + (t + 0.5) * L.cellW, yAxis);
  }
  ctx.textAlign = "right";
  ctx.fillText("t →", L.left - 6, yAxis);
}

/** The hover readout of one cell (and its clamped value when there is a clamp). */
export function hoverText(ins: Inspector, name: string, t: number, u: number): string {
  const tok = tokens(ins)[t] ?? "";
  const v = valueAt(ins, name, t, u);
  let text = `${name} · unit ${u} · t = ${t} “${visibleToken(tok)}” = ${formatNumber(v, 7)}`;
  if (hasClamp(ins)) text += `   with clamp: ${formatNumber(valueAt(ins, name, t, u, ins.view.clampedTrace), 7)}`;
  return text;
}

/** Hover and click on the heatmaps. */
export function bindHeatmap(ins: Inspector): void {
  const { ui, view } = ins;
  const canvas = ui.heat.canvas;
  canvas.addEventListener("pointermove", (e) => {
    if (!view.layout) return;
    const [x, y] = pointerPosition(canvas, e);
    const cell = cellAt(view.layout, x, y);
    if (!cell) {
      view.hovered = null;
      return;
    }
    const name = view.layout.names[cell.block];
    view.hovered = { name, t: cell.t, unit: cell.unit };
    ui.hover.textContent = hoverText(ins, name, cell.t, cell.unit);
  });
  canvas.addEventListener("pointerleave", () => {
    view.hovered = null;
  });
  canvas.addEventListener("click", (e) => {
    if (!view.layout) return;
    const [x, y] = pointerPosition(canvas, e);
    const cell = cellAt(view.layout, x, y);
    if (!cell) return;
    const name = view.layout.names[cell.block];
    if (cell.unit < (info(ins).hidden_size ?? 0)) setUnit(ins, cell.unit);
    if (name !== gate(ins) && name in view.trace) setTrait(ins, "gate", name);
    view.timeline?.setFrame(cell.t);
  });
}
