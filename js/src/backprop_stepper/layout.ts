// Where things go on the canvas (pure, tested): a dense graph (one circle per neuron, one edge
// per weight) for small networks, or one column per layer with matrix views between them.

import type { Hit } from "./state";

export interface NodeBox {
  layer: number; // 0 = input
  neuron: number;
  x: number;
  y: number;
  r: number;
}

export interface Column {
  layer: number;
  x: number; // centre
  top: number;
  height: number;
}

export interface Graph {
  dense: boolean;
  width: number;
  height: number;
  widths: number[];
  nodes: NodeBox[][]; // per layer, per neuron (dense only)
  columns: Column[]; // per layer (both modes)
  /** Matrix views between columns (per-layer mode): layer l's W between column l−1 and l. */
  matrices: { layer: number; x: number; y: number; w: number; h: number }[];
  loss: { x: number; y: number; r: number };
}

const MARGIN_X = 46;
const MARGIN_Y = 26;

/** Canvas size for a network: wider with more layers, taller with wider layers. */
export function canvasSize(widths: number[], dense: boolean): [number, number] {
  const cols = widths.length + 1;
  const width = Math.min(900, Math.max(520, cols * (dense ? 150 : 170)));
  const tallest = Math.max(...widths, 1);
  const height = dense ? Math.min(460, Math.max(220, tallest * 54 + 2 * MARGIN_Y)) : 300;
  return [width, height];
}

export function layoutGraph(widths: number[], dense: boolean, width: number, height: number): Graph {
  const columnsCount = widths.length + 1; // + the loss
  const step = (width - 2 * MARGIN_X) / Math.max(1, columnsCount - 1);
  const columns: Column[] = widths.map((_, layer) => ({
    layer,
    x: MARGIN_X + layer * step,
    top: MARGIN_Y,
    height: height - 2 * MARGIN_Y,
  }));
  const lossX = MARGIN_X + widths.length * step;
  const nodes: NodeBox[][] = [];
  const matrices: Graph["matrices"] = [];
  if (dense) {
    const tallest = Math.max(...widths, 1);
    const gap = Math.min(54, (height - 2 * MARGIN_Y) / tallest);
    const r = Math.max(8, Math.min(19, gap * 0.36));
    widths.forEach((n, layer) => {
      const x = columns[layer].x;
      const span = (n - 1) * gap;
      const top = height / 2 - span / 2;
      nodes.push(Array.from({ length: n }, (_, neuron) => ({ layer, neuron, x, y: top + neuron * gap, r })));
    });
  } else {
    for (let layer = 1; layer < widths.length; layer++) {
      const x0 = columns[layer - 1].x + 14;
      const x1 = columns[layer].x - 14;
      const w = Math.max(10, x1 - x0);
      const h = Math.min(height - 2 * MARGIN_Y, w * (widths[layer] / Math.max(1, widths[layer - 1])));
      matrices.push({ layer, x: x0, y: height / 2 - Math.max(h, 12) / 2, w, h: Math.max(h, 12) });
    }
  }
  return { dense, width, height, widths, nodes, columns, matrices, loss: { x: lossX, y: height / 2, r: 20 } };
}

/** Distance from point p to segment a–b. */
export function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Neuron index under y in a per-layer column (each neuron one band of the column). */
function bandIndex(col: Column, n: number, y: number): number {
  const k = Math.floor(((y - col.top) / col.height) * n);
  return Math.max(0, Math.min(n - 1, k));
}

const COLUMN_HALF = 9;

/** What is under (x, y): a neuron (dense circle or a band of a layer column) or a weight edge. */
export function hitTest(g: Graph, x: number, y: number, edgeTolerance = 4): Hit | null {
  if (g.dense) {
    for (const layerNodes of g.nodes) {
      for (const node of layerNodes) {
        if (Math.hypot(x - node.x, y - node.y) <= node.r + 2) return { kind: "node", layer: node.layer, neuron: node.neuron };
      }
    }
    let best: Hit | null = null;
    let bestDist = edgeTolerance;
    for (let layer = 1; layer < g.nodes.length; layer++) {
      for (const to of g.nodes[layer]) {
        for (const from of g.nodes[layer - 1]) {
          // only the visible part of the edge, between the two circles
          const d = segmentDistance(x, y, from.x + from.r, from.y, to.x - to.r, to.y);
          if (d <= bestDist) {
            bestDist = d;
            best = { kind: "edge", layer, to: to.neuron, from: from.neuron };
          }
        }
      }
    }
    return best;
  }
  for (const col of g.columns) {
    if (Math.abs(x - col.x) <= COLUMN_HALF && y >= col.top && y <= col.top + col.height) {
      return { kind: "node", layer: col.layer, neuron: bandIndex(col, g.widths[col.layer], y) };
    }
  }
  for (const m of g.matrices) {
    if (x >= m.x && x <= m.x + m.w && y >= m.y && y <= m.y + m.h) {
      const rows = g.widths[m.layer];
      const cols = g.widths[m.layer - 1];
      const to = Math.max(0, Math.min(rows - 1, Math.floor(((y - m.y) / m.h) * rows)));
      const from = Math.max(0, Math.min(cols - 1, Math.floor(((x - m.x) / m.w) * cols)));
      return { kind: "edge", layer: m.layer, to, from };
    }
  }
  return null;
}

/** Whether to write each weight on its edge (few edges) or only those of the selected neuron. */
export function labelAllEdges(widths: number[], layer: number): boolean {
  return widths[layer - 1] * widths[layer] <= 6;
}
