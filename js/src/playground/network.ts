// The network diagram: input feature nodes, every hidden unit as a thumbnail of its own map,
// the output node; edges coloured by the weight's sign and as wide as |w|. Hovering a unit shows
// its map enlarged, hovering an edge reads its weight (tooltip, text only).

import { pointerPosition } from "../lib/canvas";
import { divergingTable, tableIndex } from "../lib/colour";
import { formatNumber } from "../lib/format";
import { font } from "../lib/theme";
import { FEATURE_LABELS } from "./features";
import { regionPixels, type RegionPalette } from "./paint";
import { THUMB, type Edge, type NodeBox, type PlaygroundView } from "./state";

const DIVERGING = divergingTable();
const N = DIVERGING.length / 4;
const COLUMN = 92;
const PAD = { left: 54, top: 26, bottom: 12 };
export const ZOOM = 168;

/** Side of a unit's thumbnail and the gap between units for the widest layer. */
export function nodeSize(maxUnits: number): { size: number; gap: number } {
  if (maxUnits <= 10) return { size: 30, gap: 8 };
  const size = Math.max(8, Math.floor(380 / maxUnits) - 3);
  return { size, gap: 3 };
}

/** Units per column: inputs, hidden layers, output (one node). */
export function columns(view: PlaygroundView): number[] {
  const net = view.model.get("network");
  if (!net || !net.layers) return [];
  const hidden = net.layers.slice(0, -1).map((l) => l.units);
  return [net.inputs.length, ...hidden, 1];
}

/** Node positions (CSS px) and the canvas size they need. */
export function layout(cols: number[]): { nodes: NodeBox[]; width: number; height: number } {
  const maxUnits = Math.max(1, ...cols);
  const { size, gap } = nodeSize(maxUnits);
  const colHeight = maxUnits * size + (maxUnits - 1) * gap;
  const nodes: NodeBox[] = [];
  cols.forEach((units, layer) => {
    const h = units * size + (units - 1) * gap;
    const y0 = PAD.top + (colHeight - h) / 2;
    for (let unit = 0; unit < units; unit++) {
      nodes.push({ layer, unit, x: PAD.left + layer * COLUMN, y: y0 + unit * (size + gap), size });
    }
  });
  return { nodes, width: PAD.left + (cols.length - 1) * COLUMN + size + 24, height: PAD.top + colHeight + PAD.bottom };
}

/** Edges of linear layer k (weight [rows, cols]) between node columns k and k + 1. */
export function edgesOf(nodes: NodeBox[], cols: number[], weights: Float32Array[]): Edge[] {
  const byLayer = cols.map((_, k) => nodes.filter((n) => n.layer === k));
  const edges: Edge[] = [];
  for (let k = 0; k + 1 < cols.length; k++) {
    const w = weights[k];
    const from = byLayer[k];
    const to = byLayer[k + 1];
    for (const b of to) {
      for (const a of from) {
        const value = w && w.length === from.length * to.length ? w[b.unit * from.length + a.unit] : NaN;
        edges.push({ from: a, to: b, weight: value });
      }
    }
  }
  return edges;
}

/** Weight matrices of the plan's linear layers, in order (views into the flat weights). */
export function linearWeights(view: PlaygroundView): Float32Array[] {
  const net = view.model.get("network");
  const weights = view.s.weights;
  if (!net || !weights) return [];
  const out: Float32Array[] = [];
  let offset = 0;
  for (const entry of net.mlp ?? []) {
    if (entry.kind !== "linear") continue;
    const n = (entry.rows ?? 0) * (entry.cols ?? 0);
    out.push(weights.subarray(offset, offset + n));
    offset += n + (entry.bias === false ? 0 : entry.rows ?? 0);
  }
  return out;
}

/** One pixel buffer per node map (THUMB²·4 bytes), kept between frames. */
const atlases = new WeakMap<PlaygroundView, { canvas: HTMLCanvasElement; image: ImageData; count: number }>();

/** Paint every node's map into one atlas canvas (node i at rows i·THUMB). */
function paintAtlas(view: PlaygroundView, pal: RegionPalette, inputs: Float32Array | null): HTMLCanvasElement | null {
  const { s } = view;
  const frame = s.frame;
  if (!frame) return null;
  const count = s.nodes.length;
  let atlas = atlases.get(view);
  if (!atlas || atlas.count !== count) {
    const canvas = document.createElement("canvas");
    canvas.width = THUMB;
    canvas.height = THUMB * Math.max(1, count);
    const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
    atlas = { canvas, image: ctx.createImageData(THUMB, THUMB * Math.max(1, count)), count };
    atlases.set(view, atlas);
  }
  const data = atlas.image.data;
  const n = THUMB * THUMB;
  const k = view.model.get("network")?.inputs.length ?? 0;
  const paintMap = (index: number, values: ArrayLike<number>, offset: number, stride: number, m: number) => {
    const span = m > 0 && Number.isFinite(m) ? m : 1;
    for (let i = 0; i < THUMB; i++) {
      const row = THUMB - 1 - i; // ymin at the bottom
      for (let j = 0; j < THUMB; j++) {
        const v = values[offset + (i * THUMB + j) * stride];
        const t = tableIndex(v, -span, span, N);
        const q = (index * n + row * THUMB + j) * 4;
        const src = t < 0 ? 0 : t * 4;
        data[q] = t < 0 ? 187 : DIVERGING[src];
        data[q + 1] = t < 0 ? 187 : DIVERGING[src + 1];
        data[q + 2] = t < 0 ? 187 : DIVERGING[src + 2];
        data[q + 3] = 255;
      }
    }
  };
  for (const [index, node] of s.nodes.entries()) {
    if (node.layer === 0) {
      if (!inputs) continue;
      let m = 0;
      for (let p = 0; p < n; p++) m = Math.max(m, Math.abs(inputs[p * k + node.unit]));
      paintMap(index, inputs, node.unit, k, m);
    } else if (node.layer <= frame.neurons.length) {
      const maps = frame.neurons[node.layer - 1];
      const [lo, hi] = frame.neuronRanges[node.layer - 1]?.[node.unit] ?? [-1, 1];
      paintMap(index, maps, node.unit * n, 1, Math.max(Math.abs(lo), Math.abs(hi)));
    } else {
      // the output node: the region colouring at thumbnail size
      const px = regionPixels(frame.output, THUMB, pal);
      data.set(px, index * n * 4);
    }
  }
  (atlas.canvas.getContext("2d") as CanvasRenderingContext2D).putImageData(atlas.image, 0, 0);
  return atlas.canvas;
}

/** Draw edges, node thumbnails and labels; the enlarged map of a hovered unit. */
export function drawNetwork(view: PlaygroundView, pal: RegionPalette, inputs: Float32Array | null): void {
  const { s, el } = view;
  const cols = columns(view);
  const { nodes, width, height } = layout(cols);
  if (el.network.width !== width || el.network.height !== height) el.network.resize(width, height);
  s.nodes = nodes;
  s.edges = edgesOf(nodes, cols, linearWeights(view));
  const ctx = el.network.ctx;
  const theme = s.theme;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  let maxAbs = 0;
  for (const e of s.edges) if (Number.isFinite(e.weight)) maxAbs = Math.max(maxAbs, Math.abs(e.weight));
  const pos = `rgb(${DIVERGING.slice((N - 20) * 4, (N - 20) * 4 + 3).join(",")})`;
  const neg = `rgb(${DIVERGING.slice(19 * 4, 19 * 4 + 3).join(",")})`;
  // one path per (colour, width) group: a few stroke calls instead of one per edge
  const groups = new Map<string, { colour: string; width: number; edges: Edge[] }>();
  for (const e of s.edges) {
    const known = Number.isFinite(e.weight);
    const colour = !known ? theme.faint : e.weight >= 0 ? pos : neg;
    const width = known && maxAbs > 0 ? Math.round((0.4 + 4 * (Math.abs(e.weight) / maxAbs)) * 4) / 4 : 0.6;
    const key = `${colour}|${width}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { colour, width, edges: [] }));
    g.edges.push(e);
  }
  ctx.save();
  ctx.globalAlpha = 0.75;
  for (const g of groups.values()) {
    ctx.strokeStyle = g.colour;
    ctx.lineWidth = g.width;
    ctx.beginPath();
    for (const e of g.edges) {
      const x0 = e.from.x + e.from.size;
      const y0 = e.from.y + e.from.size / 2;
      const x1 = e.to.x;
      const y1 = e.to.y + e.to.size / 2;
      ctx.moveTo(x0, y0);
      ctx.bezierCurveTo((x0 + x1) / 2, y0, (x0 + x1) / 2, y1, x1, y1);
    }
    ctx.stroke();
  }
  ctx.restore();
  const atlas = paintAtlas(view, pal, inputs);
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  if (atlas) nodes.forEach((node, index) => ctx.drawImage(atlas, 0, index * THUMB, THUMB, THUMB, node.x, node.y, node.size, node.size));
  ctx.strokeStyle = theme.border;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const node of nodes) ctx.rect(node.x + 0.5, node.y + 0.5, node.size - 1, node.size - 1);
  ctx.stroke();
  const hover = s.hover ? nodes.find((n) => n.layer === s.hover?.layer && n.unit === s.hover?.unit) : null;
  if (hover) {
    ctx.strokeStyle = theme.fg;
    ctx.lineWidth = 2;
    ctx.strokeRect(hover.x + 0.5, hover.y + 0.5, hover.size - 1, hover.size - 1);
  }
  ctx.restore();
  // labels: feature names left of the inputs, column titles on top
  const net = view.model.get("network");
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 11);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const node of nodes) {
    if (node.layer !== 0) continue;
    const name = net?.inputs[node.unit] ?? "";
    ctx.fillText(FEATURE_LABELS[name] ?? name, node.x - 5, node.y + node.size / 2);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  cols.forEach((units, k) => {
    const title = k === 0 ? "input" : k === cols.length - 1 ? "output" : `${units} · ${net?.layers[k - 1]?.activation ?? ""}`;
    ctx.fillText(title, PAD.left + k * COLUMN + nodeSize(Math.max(...cols)).size / 2, PAD.top - 10);
  });
  if (s.hover) drawZoom(view);
}

/** The hovered unit's map, enlarged, in the zoom box next to it. */
function drawZoom(view: PlaygroundView): void {
  const { s, el } = view;
  const node = s.hover;
  const atlas = atlases.get(view);
  if (!node || !atlas) return;
  const index = s.nodes.findIndex((n) => n.layer === node.layer && n.unit === node.unit);
  if (index < 0) return;
  const ctx = el.zoom.ctx;
  ctx.fillStyle = s.theme.bg;
  ctx.fillRect(0, 0, ZOOM, ZOOM);
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(atlas.canvas, 0, index * THUMB, THUMB, THUMB, 0, 0, ZOOM, ZOOM);
  ctx.restore();
}

function hitNode(view: PlaygroundView, x: number, y: number): NodeBox | null {
  return view.s.nodes.find((n) => x >= n.x && x <= n.x + n.size && y >= n.y && y <= n.y + n.size) ?? null;
}

/** Nearest edge within 4 px of (x, y), on its drawn curve (sampled). */
function hitEdge(view: PlaygroundView, x: number, y: number): Edge | null {
  let best: Edge | null = null;
  let bestD = 4;
  for (const e of view.s.edges) {
    const x0 = e.from.x + e.from.size;
    const y0 = e.from.y + e.from.size / 2;
    const x1 = e.to.x;
    const y1 = e.to.y + e.to.size / 2;
    if (x < x0 || x > x1) continue;
    // bezier with control points at the mid x: sample it
    for (let k = 0; k <= 24; k++) {
      const t = k / 24;
      const mt = 1 - t;
      const xm = (x0 + x1) / 2;
      const bx = mt * mt * mt * x0 + 3 * mt * mt * t * xm + 3 * mt * t * t * xm + t * t * t * x1;
      const by = mt * mt * mt * y0 + 3 * mt * mt * t * y0 + 3 * mt * t * t * y1 + t * t * t * y1;
      const d = Math.hypot(bx - x, by - y);
      if (d < bestD) {
        bestD = d;
        best = e;
      }
    }
  }
  return best;
}

function nodeName(view: PlaygroundView, node: NodeBox): string {
  const net = view.model.get("network");
  const last = (net?.layers.length ?? 1);
  if (node.layer === 0) {
    const name = net?.inputs[node.unit] ?? "";
    return FEATURE_LABELS[name] ?? name;
  }
  if (node.layer === last) return "output";
  return `layer ${node.layer} unit ${node.unit + 1}`;
}

/** Hover: a unit enlarges its map, an edge reads its weight. */
export function bindNetwork(view: PlaygroundView, redraw: () => void): void {
  const canvas = view.el.network.canvas;
  canvas.addEventListener("pointermove", (event) => {
    const [x, y] = pointerPosition(canvas, event);
    const node = hitNode(view, x, y);
    const { s, el } = view;
    if (node) {
      const changed = !s.hover || s.hover.layer !== node.layer || s.hover.unit !== node.unit;
      s.hover = node;
      const frame = s.frame;
      const lines = [nodeName(view, node)];
      if (frame && node.layer > 0 && node.layer <= frame.neurons.length) {
        const [lo, hi] = frame.neuronRanges[node.layer - 1]?.[node.unit] ?? [NaN, NaN];
        lines.push(`range ${formatNumber(lo, 3)} … ${formatNumber(hi, 3)}`);
      }
      el.tooltip.showAt(event, lines);
      el.zoomBox.style.display = "block";
      el.zoomBox.style.left = `${canvas.offsetLeft + node.x + node.size + 12}px`;
      el.zoomBox.style.top = `${Math.max(0, canvas.offsetTop + node.y - ZOOM / 2)}px`;
      el.zoomCaption.textContent = lines.join(" · ");
      if (changed) redraw();
      return;
    }
    if (s.hover) {
      s.hover = null;
      el.zoomBox.style.display = "none";
      redraw();
    }
    const edge = hitEdge(view, x, y);
    if (edge) {
      el.tooltip.showAt(event, [`w = ${formatNumber(edge.weight, 4)}`, `${nodeName(view, edge.from)} → ${nodeName(view, edge.to)}`]);
    } else {
      el.tooltip.hide();
    }
  });
  canvas.addEventListener("pointerleave", () => {
    view.s.hover = null;
    view.el.zoomBox.style.display = "none";
    view.el.tooltip.hide();
    redraw();
  });
}
