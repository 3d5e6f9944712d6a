// The "Layers" view of the monitor (fit(..., inspect=True)): per layer, over the recorded steps,
// gradient norm, weight norm and update/weight ratio on log scales, one line per layer coloured
// input → output along a sequential map; the fraction of dead ReLU / saturated sigmoid-tanh units;
// a gradient-flow heatmap (rows: layers input → output, columns: recorded steps, colour: log10 of
// the gradient norm) where vanishing gradients show as a dark band towards the input; and the
// health warnings in words. Rows come in the "layers" table, columns "<stat>:<layer>".

import { createSurface, type Surface } from "../lib/canvas";
import { colourTable, tableColour } from "../lib/colour";
import { h } from "../lib/dom";
import { drawCells, paintHeatmap } from "../lib/heatmap";
import type { Theme } from "../lib/theme";
import { clearPanel, drawChart, MARGIN, tickLabel, type Line } from "./chart";
import type { HealthWarning, TrainingInfo } from "./state";
import { finiteExtent, type Table } from "./table";

export interface LayersPanel {
  root: HTMLDivElement;
  note: HTMLDivElement;
  grad: Surface;
  weight: Surface;
  update: Surface;
  units: Surface;
  flow: Surface;
  legend: HTMLDivElement;
  warnings: HTMLUListElement;
}

export const LAYER_STATS = ["grad_norm", "weight_norm", "update_ratio"] as const;
const TITLES: Record<string, string> = {
  grad_norm: "gradient norm ‖∇w‖ per layer (log)",
  weight_norm: "weight norm ‖w‖ per layer (log)",
  update_ratio: "update / weight ‖Δw‖/‖w‖ per layer (log; healthy ≈ 1e-3)",
};

export function buildLayersPanel(): LayersPanel {
  const surface = (width: number, height: number, cls: string) => {
    const s = createSurface(width, height);
    s.canvas.classList.add(cls);
    return s;
  };
  const p: LayersPanel = {
    root: h("div", { class: "dlw-monitor-layers", style: "display:none;margin-top:10px" }),
    note: h("div", { class: "dlw-muted dlw-monitor-layers-note" }),
    grad: surface(440, 180, "dlw-monitor-layers-grad"),
    weight: surface(440, 180, "dlw-monitor-layers-weight"),
    update: surface(440, 180, "dlw-monitor-layers-update"),
    units: surface(440, 180, "dlw-monitor-layers-units"),
    flow: surface(440, 180, "dlw-monitor-layers-flow"),
    legend: h("div", { class: "dlw-legend dlw-monitor-layers-legend" }),
    warnings: h("ul", { class: "dlw-monitor-warnings", style: "margin:6px 0;padding-left:18px" }),
  };
  p.root.append(
    h("div", { class: "dlw-title" }, ["Layers (input → output)"]), p.note, p.legend,
    h("div", { class: "dlw-row" }, [p.grad.canvas, p.flow.canvas]),
    h("div", { class: "dlw-row" }, [p.update.canvas, p.weight.canvas]),
    h("div", { class: "dlw-row" }, [p.units.canvas]),
    p.warnings,
  );
  return p;
}

/** One colour per layer along viridis (stopping short of its yellow end), input dark. */
export function layerColours(count: number): string[] {
  if (count <= 0) return [];
  const table = colourTable("viridis", Math.max(2, count), { range: [0, 0.85] });
  return Array.from({ length: count }, (_, i) => tableColour(table, i));
}

/** Layers with a recorded column of `stat`, in the order fit gives (input → output). */
export function layersWith(table: Table, names: string[], stat: string): string[] {
  return names.filter((name) => table.get(`${stat}:${name}`));
}

function note(info: TrainingInfo): string {
  const parts: string[] = [];
  const every = info.inspect_every;
  parts.push(every ? `recorded every ${every} step${every === 1 ? "" : "s"}` : "recorded every k steps (adaptive, within a few % of the training time)");
  if (info.inspect === false) parts.push("recording off (tick “inspect layers” to record again)");
  if (info.frozen_layers?.length) parts.push(`frozen (no gradient): ${info.frozen_layers.join(", ")}`);
  if (info.inspect_note) parts.push(info.inspect_note);
  if ((info.world_size ?? 1) > 1) parts.push("statistics of rank 0's replica");
  return parts.join(" · ");
}

/** Gradient flow: a layers × recorded steps heatmap of log10 ‖∇w‖. */
function drawFlow(surface: Surface, table: Table, names: string[], theme: Theme) {
  const { ctx, width, height } = surface;
  clearPanel(surface, "gradient flow: log10 ‖∇w‖ (rows: layers, input at top)", 8, theme);
  const rows = names.length;
  const cols = table.n;
  if (!rows || !cols) return;
  const values = new Float64Array(rows * cols);
  names.forEach((name, r) => {
    const col = table.get(`grad_norm:${name}`)!;
    for (let c = 0; c < cols; c++) values[r * cols + c] = col[c] > 0 ? Math.log10(col[c]) : NaN;
  });
  const extent = finiteExtent([[values, values.length]]);
  if (!extent) return;
  const [lo, hi] = extent[1] > extent[0] ? extent : [extent[0] - 1, extent[0] + 1];
  const image = paintHeatmap(values, rows, cols, colourTable("magma", 256, { range: [0.05, 0.95] }), lo, hi);
  const left = 80;
  const top = MARGIN.top;
  const plotW = width - left - 60;
  const plotH = height - top - MARGIN.bottom;
  drawCells(ctx, image, left, top, plotW, plotH);
  // layer names at the left, thinned to fit
  ctx.fillStyle = theme.muted;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const rowH = plotH / rows;
  const every = Math.max(1, Math.ceil(12 / rowH));
  for (let r = 0; r < rows; r += every) ctx.fillText(names[r].slice(0, 12), left - 4, top + (r + 0.5) * rowH);
  // step range below, colour scale at the right
  const steps = table.get("step")!;
  ctx.textBaseline = "top";
  ctx.textAlign = "left";
  ctx.fillText(`step ${steps[0]}`, left, height - MARGIN.bottom + 5);
  ctx.textAlign = "right";
  ctx.fillText(`step ${steps[cols - 1]}`, left + plotW, height - MARGIN.bottom + 5);
  const bar = paintHeatmap(Float64Array.from({ length: 64 }, (_, i) => hi - ((hi - lo) * i) / 63), 64, 1,
    colourTable("magma", 256, { range: [0.05, 0.95] }), lo, hi);
  drawCells(ctx, bar, width - 52, top, 10, plotH);
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(tickLabel(10 ** hi), width - 40, top);
  ctx.textBaseline = "bottom";
  ctx.fillText(tickLabel(10 ** lo), width - 40, top + plotH);
}

export interface LayersDraw {
  table: Table;
  info: TrainingInfo;
  warnings: HealthWarning[];
  xMax: number;
  hoverStep: number | null;
  theme: Theme;
}

/** Draw the whole view; hidden when the run records no layer statistics. */
export function drawLayers(p: LayersPanel, d: LayersDraw): void {
  const { table, info, theme } = d;
  const names = info.layers ?? [];
  const acts = info.activation_layers ?? [];
  const shown = names.length + acts.length > 0;
  p.root.style.display = shown ? "" : "none";
  if (!shown) return;
  p.note.textContent = table.n ? note(info) : `${note(info)} · waiting for the first recorded step`;
  const colours = layerColours(names.length);
  const base = { xMax: d.xMax, hoverStep: d.hoverStep, divergedStep: -1, epochSteps: [], epochCount: 0 };
  for (const stat of LAYER_STATS) {
    const lines: Line[] = names.map((name, i) => ({ table, column: `${stat}:${name}`, color: colours[i], width: 1.5 }));
    const surface = stat === "grad_norm" ? p.grad : stat === "weight_norm" ? p.weight : p.update;
    drawChart(surface, { ...base, title: TITLES[stat], lines, log: true }, theme);
  }
  const dead = layersWith(table, acts, "dead_fraction").filter((n) => Number.isFinite(table.last(`dead_fraction:${n}`)));
  const saturated = layersWith(table, acts, "saturated_fraction").filter((n) => Number.isFinite(table.last(`saturated_fraction:${n}`)));
  const unitColours = layerColours(acts.length);
  const unitLines: Line[] = [
    ...dead.map((name) => ({ table, column: `dead_fraction:${name}`, color: unitColours[acts.indexOf(name)], width: 1.5 })),
    ...saturated.map((name) => ({ table, column: `saturated_fraction:${name}`, color: unitColours[acts.indexOf(name)], width: 1.5, dash: [4, 3] })),
  ];
  p.units.canvas.style.display = unitLines.length ? "" : "none";
  if (unitLines.length) {
    drawChart(p.units, { ...base, title: "fraction: dead ReLUs (solid), saturated (dashed)", lines: unitLines, log: false }, theme);
  }
  drawFlow(p.flow, table, layersWith(table, names, "grad_norm"), theme);
  const item = (color: string, text: string) =>
    h("span", { style: "white-space:nowrap" }, [h("span", { class: "dlw-swatch", style: `background:${color}` }), text]);
  p.legend.replaceChildren(
    ...names.map((name, i) => item(colours[i], name)),
    ...acts.map((name, i) => item(unitColours[i], `act ${name}`)),
  );
  const items = d.warnings.map((w) => h("li", { class: "dlw-monitor-warning", style: `color:${theme.negative}` }, [w.message]));
  if (!items.length) items.push(h("li", { class: "dlw-muted dlw-monitor-warning-none" }, ["no health warning so far"]));
  p.warnings.replaceChildren(...items);
}

/** The values of every layer at the nearest recorded step (for the hover readout). */
export function layersHoverText(table: Table, info: TrainingInfo, step: number | null): string | null {
  if (step === null || !table.n) return null;
  const i = table.nearest(step);
  if (i < 0) return null;
  const parts = [`recorded step ${table.get("step")![i]}:`];
  for (const name of info.layers ?? []) {
    const g = table.get(`grad_norm:${name}`)?.[i] ?? NaN;
    const u = table.get(`update_ratio:${name}`)?.[i] ?? NaN;
    parts.push(`${name} ‖∇w‖ ${tickLabel(g)} Δw/w ${tickLabel(u)}`);
  }
  return parts.join("  ");
}
