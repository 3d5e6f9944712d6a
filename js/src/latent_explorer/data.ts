// Reading synced state into the view state: codes, colours, the plane, the output spec, the
// decoder; and small lookups of the data (a point's code, input, label; the grid; anomalies).

import { decodeArray, decodeFloat } from "../lib/arrays";
import { categoryColours, colourTable, parseColor, tableIndex } from "../lib/colour";
import { h } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { mlpFromState, scratchFor } from "../lib/mlp";
import { fitView } from "./geometry";
import { refreshTheme, rgbaOf } from "./ink";
import { Painter } from "./painter";
import { planeFromState, projectCodes } from "./plane";
import { packColor, shuffledOrder } from "./raster";
import { filled, type Explorer } from "./state";
import { currentView, embeddingCoords, isEmbedding } from "./views";

/** Entries of the colour table of continuous labels. */
const TABLE_SIZE = 256;

export function readCodes(x: Explorer): void {
  const { s } = x;
  const wire = x.model.get("latent_codes");
  if (!wire || !wire.shape) return;
  const arr = decodeFloat(wire);
  s.n = arr.shape[0];
  s.d = arr.shape[1] ?? 1;
  s.codes = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
  if (s.order.length !== s.n) s.order = shuffledOrder(s.n);
}

/** Colour per point from the labels (category palette or viridis table), and the legend;
 *  points without labels take the theme's accent. */
export function readColors(x: Explorer): void {
  const { s, model } = x;
  const { n } = s;
  const theme = refreshTheme(x);
  const accent = rgbaOf(theme.accent, "accent");
  const kind = model.get("label_kind");
  const wire = model.get("label_values");
  s.baseColors = new Uint32Array(n);
  x.el.legend.replaceChildren();
  if (kind === "categorical" && filled(wire, "shape")) {
    const names: string[] = model.get("label_names") ?? [];
    const palette = categoryColours(names.length).map((css) => parseColor(css));
    const lab = decodeArray(wire).data;
    for (let i = 0; i < n; i++) {
      const c = palette[lab[i] % palette.length] ?? accent;
      s.baseColors[i] = packColor(c[0], c[1], c[2]);
    }
    names.forEach((name, i) => {
      const c = palette[i % palette.length];
      x.el.legend.append(h("span", {}, [h("span", { class: "dlw-swatch", style: `background:rgb(${c[0]},${c[1]},${c[2]});height:10px;width:10px;border-radius:5px` }), name]));
    });
  } else if (kind === "continuous" && filled(wire, "shape")) {
    const vals = decodeArray(wire).data;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (vals[i] < lo) lo = vals[i];
      if (vals[i] > hi) hi = vals[i];
    }
    const span = hi - lo || 1;
    const table = colourTable("viridis", TABLE_SIZE);
    for (let i = 0; i < n; i++) {
      const k = tableIndex(vals[i], lo, lo + span, TABLE_SIZE);
      s.baseColors[i] = k < 0 ? packColor(accent[0], accent[1], accent[2]) : packColor(table[4 * k], table[4 * k + 1], table[4 * k + 2]);
    }
    x.el.legend.append(h("span", {}, [`colour: label from ${formatNumber(lo)} (purple) to ${formatNumber(hi)} (yellow)`]));
  } else {
    s.baseColors.fill(packColor(accent[0], accent[1], accent[2]));
  }
  permute(x);
}

/** The plane and the slider values from state (the caller rebuilds the sliders and controls). */
export function readPlane(x: Explorer): boolean {
  const { s, model } = x;
  s.plane = planeFromState(model.get("plane"), s.d);
  if (!s.plane) return false;
  const sl: number[] = model.get("sliders") ?? [];
  s.sliders = Float64Array.from({ length: s.plane.k }, (_, i) => sl[i] ?? 0);
  s.hoverZ = new Float32Array(s.d);
  return true;
}

/** Place the codes in the view drawn (projected onto the plane, or the embedding's
 *  coordinates); `refit` also fits the view around them. */
export function reproject(x: Explorer, refit: boolean): void {
  const { s } = x;
  const kind = currentView(x);
  const coords = isEmbedding(kind) ? embeddingCoords(x, kind) : null;
  if (coords) {
    if (kind !== s.viewKind) refit = true;
    s.viewKind = kind;
    s.proj = s.proj.length === 2 * s.n ? s.proj : new Float32Array(2 * s.n);
    s.proj.set(coords);
  } else {
    if (!s.plane) return;
    if (s.viewKind !== s.plane.mode) refit = true;
    s.viewKind = s.plane.mode === "dims" ? "dims" : "pca";
    s.proj = projectCodes(s.codes, s.n, s.plane, s.proj.length === 2 * s.n ? s.proj : undefined);
  }
  permute(x);
  if (refit) s.view = fitView(s.proj, s.n);
}

/** Positions and colours in the fixed shuffled drawing order the rasterizer walks. */
function permute(x: Explorer): void {
  const { s } = x;
  const { n } = s;
  if (s.pxy.length !== 2 * n) s.pxy = new Float32Array(2 * n);
  if (s.pcol.length !== n) s.pcol = new Uint32Array(n);
  if (s.proj.length !== 2 * n || s.baseColors.length !== n) return;
  for (let i = 0; i < n; i++) {
    const j = s.order[i];
    s.pxy[2 * i] = s.proj[2 * j];
    s.pxy[2 * i + 1] = s.proj[2 * j + 1];
    s.pcol[i] = s.baseColors[j];
  }
}

export function readOutput(x: Explorer): void {
  const { s } = x;
  const out = x.model.get("output") ?? {};
  s.spec = {
    kind: out.kind === "image" ? "image" : "curve",
    channels: out.channels ?? 1,
    height: out.height,
    width: out.width,
    length: out.length,
    layout: out.layout,
    size: out.size ?? 1,
    vmin: out.vmin ?? 0,
    vmax: out.vmax ?? 1,
  };
  s.painter = new Painter(s.spec);
  s.hoverOut = new Float32Array(s.spec.size);
  s.lattice = null;
}

export function readMLP(x: Explorer): void {
  const { s } = x;
  try {
    s.mlp = mlpFromState(x.model.get("decoder_mlp"));
  } catch (err) {
    s.mlp = null;
    x.el.errorLine.textContent = `in-browser decoder unavailable: ${String(err)}`;
  }
  s.scratch = s.mlp ? scratchFor(s.mlp) : null;
}

export function codeOf(x: Explorer, i: number): Float32Array {
  return x.s.codes.subarray(i * x.s.d, (i + 1) * x.s.d);
}

/** Point i's input (flattened), when the inputs were small enough to ship. */
export function inputOf(x: Explorer, i: number): Float32Array | undefined {
  const inp = x.model.get("inputs");
  if (!filled(inp, "shape")) return undefined;
  const arr = decodeFloat(inp);
  const size = arr.shape[1];
  return (arr.data as Float32Array).subarray(i * size, (i + 1) * size);
}

export function anomalyIndex(x: Explorer): Int32Array {
  const an = x.model.get("anomalies");
  if (!filled(an, "index")) return new Int32Array(0);
  return decodeArray(an.index).data as Int32Array;
}

export function labelName(x: Explorer, i: number): string {
  const { model } = x;
  const names: string[] = model.get("label_names") ?? [];
  const wire = model.get("label_values");
  if (!filled(wire, "shape") || i < 0 || i >= x.s.n) return "";
  const v = decodeArray(wire).data[i];
  return model.get("label_kind") === "categorical" ? `label ${names[v] ?? v}` : `label ${formatNumber(v, 4)}`;
}

/** The precomputed decoded grid (static pages without an MLP), or null. */
export function gridData(x: Explorer): { xr: number[]; yr: number[]; n: number; values: Float32Array } | null {
  const g = x.model.get("grid");
  if (!filled(g, "images")) return null;
  return { xr: g.x_range, yr: g.y_range, n: g.n, values: decodeFloat(g.images).data as Float32Array };
}
