// Drawing the network on the canvas in theme colours: edges coloured by the weight, its gradient
// or its new value (diverging map centred on 0), neurons by their activation or δ, the layer of
// the current step emphasised, the selected neuron and the hovered edge outlined.

import { divergingColour, divergingTable, parseColor, textOn, withAlpha } from "../lib/colour";
import { drawCells, paintHeatmap } from "../lib/heatmap";
import { font, readTheme, type Theme } from "../lib/theme";
import { at, activation, maxAbs, type Arrays } from "./data";
import { labelAllEdges, type Graph } from "./layout";
import type { Stepper } from "./state";
import { edgeQuantity, nodeQuantity, stepAt } from "./steps";
import { fmt } from "./text";

interface Ctx {
  s: Stepper;
  g: Graph;
  data: Arrays;
  theme: Theme;
  L: number;
  frame: number;
  sample: number;
  selected: [number, number];
  current: number; // layer of the current step
}

function nodeValue(c: Ctx, layer: number, neuron: number): number | null {
  const q = nodeQuantity(c.frame, c.L, layer);
  if (q === null) return null;
  if (q === "x") return activation(c.data, 0, c.sample, neuron);
  return at(c.data, `${layer}.${q}`, c.sample, neuron);
}

function nodeScale(c: Ctx, layer: number): number {
  const q = nodeQuantity(c.frame, c.L, layer);
  if (q === null) return 1;
  return maxAbs(c.data, q === "x" ? "x" : `${layer}.${q}`);
}

function drawDenseEdges(c: Ctx) {
  const { ctx } = c.s.surface;
  const hover = c.s.state.hover;
  for (let l = 1; l < c.g.nodes.length; l++) {
    const q = edgeQuantity(c.frame, c.L, l);
    const m = maxAbs(c.data, `${l}.${q}`);
    const emphasised = l === c.current;
    const labelAll = labelAllEdges(c.g.widths, l);
    for (const to of c.g.nodes[l]) {
      for (const from of c.g.nodes[l - 1]) {
        const v = at(c.data, `${l}.${q}`, to.neuron, from.neuron);
        const isHover = hover?.kind === "edge" && hover.layer === l && hover.to === to.neuron && hover.from === from.neuron;
        ctx.strokeStyle = isHover ? c.theme.accent : (divergingColour(v, m) ?? c.theme.faint);
        ctx.globalAlpha = emphasised || isHover ? 1 : 0.45;
        ctx.lineWidth = isHover ? 4 : 1 + 3 * Math.min(1, Math.abs(v) / m);
        ctx.beginPath();
        ctx.moveTo(from.x + from.r, from.y);
        ctx.lineTo(to.x - to.r, to.y);
        ctx.stroke();
        ctx.globalAlpha = 1;
        const selectedEdge = c.selected[0] === l && c.selected[1] === to.neuron;
        if (emphasised && (labelAll || selectedEdge)) {
          const t = 0.3;
          const x = from.x + from.r + t * (to.x - to.r - from.x - from.r);
          const y = from.y + t * (to.y - from.y);
          ctx.font = font(c.theme, 10, "", true);
          ctx.textAlign = "center";
          ctx.textBaseline = "middle";
          const label = fmt(v, 3);
          const w = ctx.measureText(label).width + 4;
          ctx.fillStyle = c.theme.bg;
          ctx.fillRect(x - w / 2, y - 6, w, 12);
          ctx.fillStyle = c.theme.fg;
          ctx.fillText(label, x, y);
        }
      }
    }
  }
}

function drawDenseNodes(c: Ctx) {
  const { ctx } = c.s.surface;
  for (const layerNodes of c.g.nodes) {
    for (const node of layerNodes) {
      const v = nodeValue(c, node.layer, node.neuron);
      const fill = v === null ? c.theme.panel : (divergingColour(v, nodeScale(c, node.layer)) ?? c.theme.panel);
      ctx.beginPath();
      ctx.arc(node.x, node.y, node.r, 0, 2 * Math.PI);
      ctx.fillStyle = fill;
      ctx.fill();
      const selected = c.selected[0] === node.layer && c.selected[1] === node.neuron;
      ctx.lineWidth = selected ? 3 : 1;
      ctx.strokeStyle = selected ? c.theme.accent : c.theme.axis;
      ctx.stroke();
      if (v !== null && node.r >= 12) {
        ctx.font = font(c.theme, 10, "", true);
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillStyle = textOn(parseColor(fill, [255, 255, 255, 1]));
        ctx.fillText(fmt(v, 3), node.x, node.y);
      }
    }
  }
}

function drawColumns(c: Ctx) {
  const { ctx } = c.s.surface;
  const table = divergingTable();
  for (const col of c.g.columns) {
    const n = c.g.widths[col.layer];
    const q = nodeQuantity(c.frame, c.L, col.layer);
    const values = Array.from({ length: n }, (_, k) => nodeValue(c, col.layer, k) ?? NaN);
    const m = nodeScale(c, col.layer);
    const [r, g, b] = parseColor(c.theme.panel, [245, 247, 250, 1]);
    const img = paintHeatmap(values, n, 1, table, -m, m, q === null ? { missing: [r, g, b, 255] } : {});
    drawCells(ctx, img, col.x - 8, col.top, 16, col.height);
    ctx.strokeStyle = col.layer === c.current ? c.theme.accent : c.theme.axis;
    ctx.lineWidth = col.layer === c.current ? 2 : 1;
    ctx.strokeRect(col.x - 8, col.top, 16, col.height);
    if (c.selected[0] === col.layer) {
      const y = col.top + ((c.selected[1] + 0.5) / n) * col.height;
      ctx.fillStyle = c.theme.accent;
      ctx.beginPath();
      ctx.moveTo(col.x - 14, y - 5);
      ctx.lineTo(col.x - 9, y);
      ctx.lineTo(col.x - 14, y + 5);
      ctx.fill();
    }
  }
  for (const mat of c.g.matrices) {
    const q = edgeQuantity(c.frame, c.L, mat.layer);
    const arr = c.data.get(`${mat.layer}.${q}`);
    if (!arr) continue;
    const m = maxAbs(c.data, `${mat.layer}.${q}`);
    drawCells(ctx, paintHeatmap(arr.data, arr.rows, arr.cols, table, -m, m), mat.x, mat.y, mat.w, mat.h);
    ctx.strokeStyle = mat.layer === c.current ? c.theme.accent : c.theme.axis;
    ctx.lineWidth = mat.layer === c.current ? 2 : 1;
    ctx.strokeRect(mat.x, mat.y, mat.w, mat.h);
    ctx.fillStyle = c.theme.muted;
    ctx.font = font(c.theme, 10);
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    const name = q === "weight" ? "W" : q === "grad_weight" ? "∂L/∂W" : "W new";
    ctx.fillText(`${name}${mat.layer} ${arr.rows}×${arr.cols}`, mat.x + mat.w / 2, mat.y - 3);
  }
}

function drawLabels(c: Ctx) {
  const { ctx } = c.s.surface;
  ctx.font = font(c.theme, 11);
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const spacing = c.g.columns.length > 1 ? c.g.columns[1].x - c.g.columns[0].x : Infinity;
  for (const col of c.g.columns) {
    const info = col.layer === 0 ? null : c.s.state.net?.layers[col.layer - 1];
    const act = info && info.activation !== "identity" ? info.activation : "";
    // crowded columns get short labels ("5 · σ") so neighbours do not overlap
    const name = col.layer === 0 ? (spacing < 110 ? "x" : "input")
      : spacing < 110 ? `${col.layer}${act ? ` · ${SHORT[act] ?? act}` : ""}`
        : `layer ${col.layer}${act ? ` · ${act}` : ""}`;
    ctx.fillStyle = col.layer === c.current ? c.theme.accent : c.theme.muted;
    ctx.fillText(name, col.x, c.g.height - 18);
  }
  // the loss node
  const lossKnown = c.frame >= c.L;
  const { x, y, r } = c.g.loss;
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = lossKnown ? withAlpha(c.theme.accent2, 0.25) : c.theme.panel;
  ctx.fill();
  ctx.lineWidth = stepAt(c.frame, c.L).phase === "loss" ? 3 : 1;
  ctx.strokeStyle = stepAt(c.frame, c.L).phase === "loss" ? c.theme.accent2 : c.theme.axis;
  ctx.stroke();
  ctx.fillStyle = c.theme.fg;
  ctx.textBaseline = "middle";
  ctx.fillText("L", x, y - (lossKnown ? 6 : 0));
  if (lossKnown && c.s.state.net) {
    ctx.font = font(c.theme, 10, "", true);
    ctx.fillText(fmt(c.s.state.net.loss_value, 3), x, y + 7);
  }
  ctx.fillStyle = c.theme.muted;
  ctx.font = font(c.theme, 11);
  ctx.fillText(c.s.state.net?.loss ?? "", x, y + r + 12);
}

const SHORT: Record<string, string> = { sigmoid: "σ", tanh: "tanh", relu: "ReLU", leaky_relu: "LReLU" };

const EDGE_WORDS = { weight: "weights W", grad_weight: "gradients ∂L/∂W", new_weight: "new weights" } as const;
const NODE_WORDS = { x: "inputs", a: "activations a", delta: "δ = ∂L/∂z" } as const;

/** What the colours and numbers of the current layer are (top left of the canvas). */
function drawLegend(c: Ctx) {
  const { ctx } = c.s.surface;
  const e = edgeQuantity(c.frame, c.L, c.current);
  const n = nodeQuantity(c.frame, c.L, c.current);
  ctx.font = font(c.theme, 11);
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillStyle = c.theme.muted;
  const nodes = n === null ? "" : ` · neurons: ${NODE_WORDS[n]}`;
  ctx.fillText(`layer ${c.current}: ${c.g.dense ? "edges" : "matrix"}: ${EDGE_WORDS[e]}${nodes} (blue < 0 < red)`, 8, 6);
}

/** Draw the whole view for the current frame. */
export function draw(s: Stepper): void {
  const { net, data, graph } = s.state;
  const { ctx, width, height } = s.surface;
  const theme = readTheme(s.ui.root);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  if (!net || !data || !graph) return;
  const L = net.layers.length;
  const frame = s.state.frame;
  const sel = s.model.get("selected") ?? [1, 0];
  const c: Ctx = {
    s, g: graph, data, theme, L, frame, sample: s.model.get("sample") ?? 0,
    selected: [sel[0] ?? 1, sel[1] ?? 0], current: stepAt(frame, L).layer,
  };
  if (graph.dense) {
    drawDenseEdges(c);
    drawDenseNodes(c);
  } else {
    drawColumns(c);
  }
  drawLabels(c);
  drawLegend(c);
}
