// Histograms over time in the Layers view (fit(..., inspect=True, inspect_histograms=True)): a
// heatmap of binned counts per recorded step — x = recorded step, y = value, colour = log of the
// count — of one layer's weights, gradients or activations, picked with two selectors. Rows come
// in the "histograms" table (keyed by "key"): step, kind, layer, lo, hi and the counts c0 … of
// equal bins over [lo, hi], each step with its own range; they are re-binned here onto one value
// axis spanning every step's range (each bin's count spread over the value rows it overlaps, in
// proportion to the overlap).

import { drawAxis, linearTicks, thinEvery } from "../lib/axes";
import { createSurface, type Surface } from "../lib/canvas";
import { colourTable } from "../lib/colour";
import { h } from "../lib/dom";
import { drawCells, paintHeatmap } from "../lib/heatmap";
import { font, type Theme } from "../lib/theme";
import { clearPanel, tickLabel } from "./chart";
import type { TrainingInfo } from "./state";
import type { Table } from "./table";

/** Kinds in the order of Python's HISTOGRAM_KINDS (the "kind" column holds the index). */
export const HISTOGRAM_KINDS = ["weight", "grad", "activation"] as const;
const KIND_TEXT: Record<string, string> = { weight: "weights", grad: "gradients", activation: "activations" };
/** Value rows of the heatmap. */
export const VALUE_ROWS = 48;

export interface HistogramPanel {
  root: HTMLDivElement;
  kind: HTMLSelectElement;
  layer: HTMLSelectElement;
  surface: Surface;
  note: HTMLDivElement;
  /** Offscreen canvas reused across frames. */
  cells: HTMLCanvasElement;
}

export function buildHistogramPanel(onChange: () => void): HistogramPanel {
  const surface = createSurface(640, 220);
  surface.canvas.classList.add("dlw-monitor-hist");
  const p: HistogramPanel = {
    root: h("div", { class: "dlw-monitor-hist-panel", style: "display:none;margin-top:8px" }),
    kind: h("select", { class: "dlw-select dlw-monitor-hist-kind", "aria-label": "histogram of" }),
    layer: h("select", { class: "dlw-select dlw-monitor-hist-layer", "aria-label": "layer" }),
    surface,
    note: h("div", { class: "dlw-muted dlw-monitor-hist-note" }),
    cells: document.createElement("canvas"),
  };
  for (const kind of HISTOGRAM_KINDS) p.kind.append(h("option", { value: kind }, [KIND_TEXT[kind]]));
  p.kind.addEventListener("change", onChange);
  p.layer.addEventListener("change", onChange);
  p.root.append(
    h("div", { class: "dlw-toolbar" }, [h("span", { class: "dlw-title", style: "margin:0" }, ["histograms over time"]),
      h("label", {}, ["of ", p.kind]), h("label", {}, ["layer ", p.layer])]),
    surface.canvas, p.note,
  );
  return p;
}

/** Layers that have a histogram of `kind`: parameter layers for weights and gradients. */
export function layersFor(info: TrainingInfo, kind: string): string[] {
  return (kind === "activation" ? info.activation_layers : info.layers) ?? [];
}

/** Keep the layer selector's options in step with the kind; the selection stays when it can. */
function syncLayers(p: HistogramPanel, info: TrainingInfo): string {
  const names = layersFor(info, p.kind.value);
  const current = p.layer.value;
  const have = Array.from(p.layer.options).map((o) => o.value);
  if (have.join("\u0000") !== names.join("\u0000")) {
    p.layer.replaceChildren(...names.map((name) => h("option", { value: name }, [name])));
  }
  p.layer.value = names.includes(current) ? current : (names[0] ?? "");
  return p.layer.value;
}

export interface HeatmapGrid {
  /** VALUE_ROWS × steps, row 0 = highest values; log10(1 + count). */
  values: Float64Array;
  steps: number[];
  lo: number;
  hi: number;
  max: number;
}

/**
 * The rows of one (kind, layer) re-binned onto a common value axis: each bin's count is spread
 * over the value rows it overlaps, in proportion to the overlap (so no row is left empty between
 * two bins). Null when there is no such row or the value range is not finite.
 */
export function histogramGrid(table: Table, kind: number, layer: number, rows = VALUE_ROWS): HeatmapGrid | null {
  const kinds = table.get("kind");
  const layers = table.get("layer");
  const los = table.get("lo");
  const his = table.get("hi");
  const stepCol = table.get("step");
  if (!kinds || !layers || !los || !his || !stepCol) return null;
  const picked: number[] = [];
  for (let i = 0; i < table.n; i++) if (kinds[i] === kind && layers[i] === layer) picked.push(i);
  const counts: Float64Array[] = [];
  for (let b = 0; table.get(`c${b}`); b++) counts.push(table.get(`c${b}`)!);
  if (!picked.length || !counts.length) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of picked) {
    if (Number.isFinite(los[i])) lo = Math.min(lo, los[i]);
    if (Number.isFinite(his[i])) hi = Math.max(hi, his[i]);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return null;
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const cols = picked.length;
  const values = new Float64Array(rows * cols);
  const bins = counts.length;
  const rowH = (hi - lo) / rows;
  const rowOf = (v: number) => Math.min(rows - 1, Math.max(0, Math.floor((v - lo) / rowH)));
  picked.forEach((i, c) => {
    const width = (his[i] - los[i]) / bins;
    for (let b = 0; b < bins; b++) {
      const count = counts[b][i];
      if (!(count > 0)) continue;
      const a = los[i] + b * width;
      const z = a + width;
      const first = rowOf(a);
      const last = rowOf(z);
      if (!(width > 0) || first === last) {
        values[(rows - 1 - rowOf((a + z) / 2)) * cols + c] += count;
        continue;
      }
      // spread over the value rows the bin overlaps, in proportion to the overlap
      for (let r = first; r <= last; r++) {
        const overlap = Math.min(z, lo + (r + 1) * rowH) - Math.max(a, lo + r * rowH);
        if (overlap > 0) values[(rows - 1 - r) * cols + c] += (count * overlap) / width;
      }
    }
  });
  let max = 0;
  for (let k = 0; k < values.length; k++) {
    values[k] = Math.log10(1 + values[k]);
    max = Math.max(max, values[k]);
  }
  return { values, steps: picked.map((i) => stepCol[i]), lo, hi, max };
}

const TABLE = colourTable("viridis", 256);

/** Draw the panel; hidden when the run records no histograms. */
export function drawHistograms(p: HistogramPanel, table: Table, info: TrainingInfo, theme: Theme): void {
  const shown = table.n > 0;
  p.root.style.display = shown ? "" : "none";
  if (!shown) return;
  const kindName = p.kind.value || "weight";
  const layerName = syncLayers(p, info);
  const order = info.layer_order ?? [];
  const grid = histogramGrid(table, HISTOGRAM_KINDS.indexOf(kindName as (typeof HISTOGRAM_KINDS)[number]), order.indexOf(layerName));
  const { ctx, width, height } = p.surface;
  const title = `${KIND_TEXT[kindName]} of layer ${layerName}: count per value bin (colour: log10(1 + count))`;
  clearPanel(p.surface, title, 60, theme);
  const left = 60;
  const top = 22;
  const right = 64;
  const bottom = 30;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  if (!grid) {
    p.note.textContent = `no ${KIND_TEXT[kindName]} histogram recorded for layer ${layerName || "—"}`;
    return;
  }
  const cols = grid.steps.length;
  p.note.textContent = `${cols} recorded step${cols === 1 ? "" : "s"}, steps ${grid.steps[0]}–${grid.steps[cols - 1]}; each step's bins re-binned onto ${VALUE_ROWS} value rows`;
  const image = paintHeatmap(grid.values, VALUE_ROWS, cols, TABLE, 0, Math.max(grid.max, 1e-9), { target: p.cells });
  drawCells(ctx, image, left, top, plotW, plotH);
  const yOf = (v: number) => top + plotH * (1 - (v - grid.lo) / (grid.hi - grid.lo));
  drawAxis(ctx, { side: "left", ticks: linearTicks(grid.lo, grid.hi, 5, tickLabel), scale: yOf, at: left, theme, tickSize: 4, line: [top, top + plotH] });
  const colW = plotW / cols;
  const xOf = (c: number) => left + (c + 0.5) * colW;
  const stepTicks = thinEvery(grid.steps.map((s, c) => ({ value: c, label: String(s) })), Math.max(2, Math.floor(plotW / 60)));
  drawAxis(ctx, { side: "bottom", ticks: stepTicks, scale: xOf, at: top + plotH, theme, tickSize: 4, line: [left, left + plotW] });
  ctx.font = font(theme, 11);
  ctx.fillStyle = theme.muted;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText("recorded step", left + plotW / 2, height - 1);
  // colour bar: count scale at the right
  const bar = paintHeatmap(Float64Array.from({ length: 64 }, (_, i) => grid.max * (1 - i / 63)), 64, 1, TABLE, 0, Math.max(grid.max, 1e-9));
  drawCells(ctx, bar, width - right + 10, top, 10, plotH);
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(tickLabel(Math.round(10 ** grid.max - 1)), width - right + 24, top);
  ctx.textBaseline = "bottom";
  ctx.fillText("0", width - right + 24, top + plotH);
}
