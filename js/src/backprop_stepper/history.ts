// The training history (after "Train 10 steps"): the loss before each step and the current one
// on linear axes, and how the tracked weight and its gradient moved. Hidden until there is one.

import { decodeFloat, type WireArray } from "../lib/arrays";
import { drawAxis, linearTicks } from "../lib/axes";
import { createSurface, type Surface } from "../lib/canvas";
import { readTheme } from "../lib/theme";
import { fmt } from "./text";

export interface History {
  loss: number[];
  weight: number[];
  grad: number[];
  track: [number, number, number];
}

/** The `history` trait decoded; null when nothing has been trained. */
export function decodeHistory(state: Record<string, WireArray> | null | undefined): History | null {
  if (!state || !state.loss || !state.track) return null;
  const arr = (k: string) => Array.from(decodeFloat(state[k]).data);
  const t = arr("track");
  return { loss: arr("loss"), weight: arr("weight"), grad: arr("grad"), track: [t[0], t[1], t[2]] };
}

/** "W2[0, 0]: 1.2 → 1.207 over 10 steps; its gradient −0.07 → −0.05". */
export function historyLine(h: History, currentLoss: number): string {
  const [l, r, c] = h.track;
  const n = h.loss.length;
  return `${n} step${n === 1 ? "" : "s"} trained: loss ${fmt(h.loss[0])} → ${fmt(currentLoss)}; `
    + `W${l}[${r}, ${c}] ${fmt(h.weight[0])} → ${fmt(h.weight[n - 1])} (before the last step), `
    + `its gradient ${fmt(h.grad[0])} → ${fmt(h.grad[n - 1])}`;
}

export interface HistoryView {
  el: HTMLDivElement;
  surface: Surface;
  line: HTMLDivElement;
}

export function createHistoryView(): HistoryView {
  const surface = createSurface(360, 140, "dlw-canvas dlw-bp-history");
  const line = document.createElement("div");
  line.className = "dlw-muted dlw-bp-history-line";
  const el = document.createElement("div");
  el.className = "dlw-bp-history-view";
  el.style.marginTop = "6px";
  el.append(surface.canvas, line);
  el.style.display = "none";
  return { el, surface, line };
}

export function drawHistory(view: HistoryView, root: Element, h: History | null, currentLoss: number): void {
  view.el.style.display = h ? "" : "none";
  if (!h) return;
  view.line.textContent = historyLine(h, currentLoss);
  const { ctx, width, height } = view.surface;
  const theme = readTheme(root);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  const losses = [...h.loss, currentLoss];
  const finite = losses.filter(Number.isFinite);
  if (!finite.length) return;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi === lo) {
    lo -= 0.5 * Math.abs(lo) || 0.5;
    hi += 0.5 * Math.abs(hi) || 0.5;
  }
  const left = 52;
  const right = width - 12;
  const top = 10;
  const bottom = height - 32;
  const n = losses.length - 1;
  const x = (i: number) => left + (n > 0 ? i / n : 0.5) * (right - left);
  const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  drawAxis(ctx, { side: "left", ticks: linearTicks(lo, hi, 4), scale: y, at: left, theme, grid: [left, right], line: [top, bottom], fontSize: 10, title: "loss", titleGap: 40 });
  drawAxis(ctx, { side: "bottom", ticks: linearTicks(0, Math.max(1, n), 5), scale: x, at: bottom, theme, line: [left, right], tickSize: 3, fontSize: 10, title: "step", titleGap: 16 });
  ctx.strokeStyle = theme.accent2;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  losses.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
  ctx.stroke();
}
