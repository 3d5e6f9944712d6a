// The expression graph's frames, layout and text (pure, tested): forward over the operations in
// the order they ran, then backward over every node from the result to the inputs.

import { formatNumber } from "../lib/format";
import type { ExprGraph } from "./state";

export interface ExprStep {
  phase: "forward" | "backward";
  node: number;
}

export function exprFrames(g: ExprGraph): number {
  const inputs = g.inputs.length;
  return g.nodes.length - inputs + g.nodes.length;
}

export function exprStepAt(g: ExprGraph, frame: number): ExprStep {
  const inputs = g.inputs.length;
  const ops = g.nodes.length - inputs;
  const f = Math.max(0, Math.min(exprFrames(g) - 1, Math.trunc(frame)));
  if (f < ops) return { phase: "forward", node: inputs + f };
  return { phase: "backward", node: g.nodes.length - 1 - (f - ops) };
}

/** Whether node i shows its value / its gradient at a frame. */
export function shows(g: ExprGraph, frame: number, i: number): { data: boolean; grad: boolean } {
  const s = exprStepAt(g, frame);
  const data = i < g.inputs.length || s.phase === "backward" || i <= s.node;
  const grad = s.phase === "backward" && i >= s.node;
  return { data, grad };
}

/** Column of each node: inputs 0, else one more than its deepest parent. */
export function levels(g: ExprGraph): number[] {
  const out: number[] = [];
  g.nodes.forEach((n, i) => {
    out[i] = n.parents.length ? 1 + Math.max(...n.parents.map((p) => out[p] ?? 0)) : 0;
  });
  return out;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const BOX_W = 118;
export const BOX_H = 54;

/** Boxes in columns by level, each column's boxes centred vertically. */
export function layoutBoxes(g: ExprGraph, width: number, height: number): Box[] {
  const lv = levels(g);
  const cols = Math.max(...lv, 0) + 1;
  const perCol: number[][] = Array.from({ length: cols }, () => []);
  lv.forEach((l, i) => perCol[l].push(i));
  const step = cols > 1 ? (width - BOX_W - 20) / (cols - 1) : 0;
  const boxes: Box[] = [];
  perCol.forEach((members, c) => {
    const gap = Math.min(BOX_H + 18, (height - 20) / Math.max(1, members.length));
    const top = height / 2 - (gap * (members.length - 1)) / 2 - BOX_H / 2;
    members.forEach((i, k) => {
      boxes[i] = { x: 10 + c * step, y: top + k * gap, w: BOX_W, h: BOX_H };
    });
  });
  return boxes;
}

export function canvasSizeFor(g: ExprGraph): [number, number] {
  const lv = levels(g);
  const cols = Math.max(...lv, 0) + 1;
  const tallest = Math.max(...Array.from({ length: cols }, (_, c) => lv.filter((l) => l === c).length));
  return [Math.min(1000, Math.max(480, cols * (BOX_W + 40))), Math.min(520, Math.max(180, tallest * (BOX_H + 18) + 20))];
}

/** Index of the box under (x, y), or −1. */
export function boxAt(boxes: Box[], x: number, y: number): number {
  return boxes.findIndex((b) => x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h);
}

export function valueText(values: ArrayLike<number> | undefined): string {
  if (!values || values.length === 0) return "";
  if (values.length === 1) return formatNumber(values[0]);
  return `[${formatNumber(values[0])}, …] (${values.length})`;
}

/** The words of the step shown: the node's value, or its gradient and where it came from. */
export function exprLines(g: ExprGraph, frame: number, data: (i: number) => ArrayLike<number>, grad: (i: number) => ArrayLike<number>): string[] {
  const s = exprStepAt(g, frame);
  const n = g.nodes[s.node];
  const name = (i: number) => (g.nodes[i].op === "input" ? g.nodes[i].label : `n${i}`);
  if (s.phase === "forward") {
    const args = n.parents.map((p) => `${name(p)} = ${valueText(data(p))}`).join(", ");
    return [`Forward: n${s.node} = ${n.label} with ${args || "constants"}`, `n${s.node} = ${valueText(data(s.node))}`];
  }
  const children = g.nodes.map((c, i) => ({ c, i })).filter(({ c }) => c.parents.includes(s.node));
  const lines = [`Backward: ∂out/∂${name(s.node)} = ${valueText(grad(s.node))}`];
  if (!children.length) lines.push("the result itself: ∂out/∂out = 1");
  else {
    lines.push(`= Σ over the nodes it feeds of ∂out/∂child · ∂child/∂${name(s.node)}: `
      + children.map(({ c, i }) => `n${i} = ${c.label} (∂out/∂n${i} = ${valueText(grad(i))})`).join("; "));
  }
  return lines;
}
