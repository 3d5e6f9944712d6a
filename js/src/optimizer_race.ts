// Optimizer race (and network loss landscape): a heatmap of the loss surface with d3-contour
// lines, every optimizer's trail animated on one shared play / pause / step / scrub timeline,
// a loss-vs-step chart, per-optimizer sliders, swarm particles and an explainer that shows the
// gradient and the torch optimizer's own state at one step. Everything drawn comes from synced
// state (binary arrays), so playback, scrub, hover and the explainer work in a static export;
// controls that need Python are disabled there with a hint.

import { quantileSorted } from "d3-array";
import { contours } from "d3-contour";
import { scaleLinear, scaleLog, scaleSymlog } from "d3-scale";
import { interpolateViridis, schemeTableau10 } from "d3-scale-chromatic";
import { decodeArray, type NdArray, type WireArray } from "./lib/arrays";
import { createSurface, pointerPosition, type Surface } from "./lib/canvas";
import { h, isStandalone, KERNEL_HINT, listen, needsKernel, widgetRoot, type ModelLike } from "./lib/dom";
import { formatNumber, nearestIndex } from "./lib/format";
import { createTimeline, type Timeline } from "./lib/timeline";

// ---------------------------------------------------------------------------------------------
// Pure helpers (tested in js/tests/optimizer_race.test.ts)

export type Domain = [number, number, number, number]; // x0, x1, y0, y1
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Map a surface value to [0, 1] for the colour map; log: log(z − lo + δ), δ = 1e-6·(hi − lo). */
export function colorValue(z: number, lo: number, hi: number, log: boolean): number {
  if (!Number.isFinite(z)) return 1;
  const span = hi - lo;
  if (!(span > 0)) return 0;
  let t: number;
  if (log) {
    const delta = span * 1e-6;
    t = (Math.log(Math.max(z - lo, 0) + delta) - Math.log(delta)) / (Math.log(span + delta) - Math.log(delta));
  } else {
    t = (z - lo) / span;
  }
  return Math.max(0, Math.min(1, t));
}

/** Contour thresholds at evenly spaced quantiles of the finite values (equal-area bands). */
export function contourLevels(values: ArrayLike<number>, count: number): number[] {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  if (finite.length === 0 || count <= 0) return [];
  finite.sort((a, b) => a - b);
  const levels: number[] = [];
  for (let k = 0; k < count; k++) {
    const q = quantileSorted(finite, (k + 0.5) / count);
    if (q !== undefined && (levels.length === 0 || q > levels[levels.length - 1])) levels.push(q);
  }
  return levels;
}

/** Data <-> pixel transform of a plot rectangle (y grows upward in data, downward on screen). */
export function makeTransform(domain: Domain, rect: Rect) {
  const [x0, x1, y0, y1] = domain;
  const sx = rect.width / (x1 - x0);
  const sy = rect.height / (y1 - y0);
  return {
    sx,
    sy,
    toPx(x: number, y: number): [number, number] {
      return [rect.left + (x - x0) * sx, rect.top + (y1 - y) * sy];
    },
    toData(px: number, py: number): [number, number] {
      return [x0 + (px - rect.left) / sx, y1 - (py - rect.top) / sy];
    },
    inside(px: number, py: number): boolean {
      return px >= rect.left && px <= rect.left + rect.width && py >= rect.top && py <= rect.top + rect.height;
    },
  };
}

/** d3-contour grid coordinate (samples at i + 0.5) to a data coordinate on [lo, hi] with n samples. */
export function gridToData(g: number, n: number, lo: number, hi: number): number {
  return lo + ((g - 0.5) / (n - 1)) * (hi - lo);
}

/** Per-step median over starts of a (T, n) row-major array, ignoring non-finite values. */
export function medianSeries(data: ArrayLike<number>, steps: number, n: number): Float64Array {
  const out = new Float64Array(steps);
  const row: number[] = [];
  for (let t = 0; t < steps; t++) {
    row.length = 0;
    for (let i = 0; i < n; i++) {
      const v = data[t * n + i];
      if (Number.isFinite(v)) row.push(v);
    }
    if (row.length === 0) {
      out[t] = NaN;
      continue;
    }
    row.sort((a, b) => a - b);
    const m = row.length >> 1;
    out[t] = row.length % 2 ? row[m] : (row[m - 1] + row[m]) / 2;
  }
  return out;
}

/** Last index ≤ upTo whose point (start `start` of a (T, n, 2) array) lies inside the domain. */
export function lastVisibleIndex(path: ArrayLike<number>, n: number, start: number, upTo: number, domain: Domain): number {
  const [x0, x1, y0, y1] = domain;
  for (let t = upTo; t >= 0; t--) {
    const x = path[(t * n + start) * 2];
    const y = path[(t * n + start) * 2 + 1];
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) return t;
  }
  return -1;
}

/** Slider position in [0, 1000] <-> value, linear or logarithmic between lo and hi. */
export function sliderToValue(pos: number, lo: number, hi: number, log: boolean): number {
  const u = Math.max(0, Math.min(1000, pos)) / 1000;
  if (log && lo > 0) return Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo)));
  return lo + u * (hi - lo);
}

export function valueToSlider(value: number, lo: number, hi: number, log: boolean): number {
  let u: number;
  if (log && lo > 0) u = (Math.log(Math.max(value, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
  else u = (value - lo) / (hi - lo);
  return Math.round(Math.max(0, Math.min(1, u)) * 1000);
}

/** Round a slider value to 3 significant digits so it reads well and round-trips. */
export function niceValue(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  return Number(v.toPrecision(3));
}

/** Ticks of a log axis: the powers of ten inside [lo, hi], thinned to at most 7; ends if none. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return [];
  const a = Math.ceil(Math.log10(lo) - 1e-9);
  const b = Math.floor(Math.log10(hi) + 1e-9);
  if (b < a) return [lo, hi];
  const every = Math.max(1, Math.ceil((b - a + 1) / 7));
  const out: number[] = [];
  for (let e = a; e <= b; e += every) out.push(Number(`1e${e}`));
  return out;
}

/** At most `max` ticks, evenly picked (log scales within one decade give many). */
export function thinTicks(ticks: number[], max: number): number[] {
  if (ticks.length <= max) return ticks;
  const every = Math.ceil(ticks.length / max);
  return ticks.filter((_, i) => i % every === 0);
}

/** Pixel length of an explainer arrow: sqrt-compressed magnitude relative to the run's largest. */
export function arrowLength(magnitude: number, largest: number, min = 10, max = 70): number {
  if (!(magnitude > 0) || !(largest > 0) || !Number.isFinite(magnitude)) return 0;
  return min + (max - min) * Math.sqrt(Math.min(1, magnitude / largest));
}

/** y-axis extent of loss series (finite values only); log only when every value is > 0. */
export function lossExtent(series: Array<ArrayLike<number>>): { lo: number; hi: number; positive: boolean } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1, positive: false };
  if (hi - lo < 1e-12) {
    hi = lo + Math.max(Math.abs(lo) * 0.1, 1e-6);
  }
  return { lo, hi, positive: lo > 0 };
}

export interface SummaryEntry {
  status: string;
  final_loss: number | null;
  diverged_step: number;
  counts: Record<string, number>;
  steps: number;
}

/** Badge text of one optimizer: its start's status, or the swarm's counts. */
export function statusText(s: SummaryEntry | undefined, nStarts: number): string {
  if (!s) return "";
  if (nStarts > 1) {
    const c = s.counts ?? {};
    return `✓ ${c.converged ?? 0} converged · ✕ ${c.diverged ?? 0} diverged · ${c.running ?? 0} running`;
  }
  if (s.status === "diverged") return `diverged at step ${s.diverged_step}`;
  return s.status;
}

/**
 * "Latest wins" sender for slider drags: while Python is computing, keep only the newest value
 * and send it when the previous request is answered (Python bumps `revision` on every answer).
 */
export class LatestWins<T> {
  private waiting = false;
  private queued: T | null = null;
  constructor(private readonly send: (value: T) => void) {}
  get busy(): boolean {
    return this.waiting;
  }
  push(value: T): void {
    if (this.waiting) {
      this.queued = value;
      return;
    }
    this.waiting = true;
    this.send(value);
  }
  answered(): void {
    this.waiting = false;
    if (this.queued !== null) {
      const next = this.queued;
      this.queued = null;
      this.push(next);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

const SURF = { width: 520, height: 500, margin: { left: 50, right: 12, top: 10, bottom: 34 } };
const CHART = { width: 440, height: 230, margin: { left: 58, right: 12, top: 12, bottom: 30 } };
const COLORS = schemeTableau10;
const LUT_SIZE = 256;

interface HyperInfo {
  key: string;
  label: string;
  min: number;
  max: number;
  log: boolean;
}
interface Racer {
  name: string;
  formula: string;
  class_name: string;
  kind: string;
  elementwise: boolean;
  note: string;
  hypers: HyperInfo[];
}
interface ExplainEntry {
  grad: WireArray;
  state: Record<string, WireArray>;
  labels: Record<string, [string, string]>;
  lr: number;
}
interface RacerData {
  racer: Racer;
  color: string;
  path: NdArray; // (T, n, 2)
  loss: NdArray; // (T, n)
  diverged: NdArray; // (n,)
  median: Float64Array | null; // swarm: per-step median loss
  grad: NdArray | null; // (steps, 2)
  state: Array<{ key: string; label: string; role: string; data: NdArray; largest: number }>;
  gradLargest: number;
  summary: SummaryEntry | undefined;
}

function viridisLut(): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const c = interpolateViridis(i / (LUT_SIZE - 1));
    // "rgb(r, g, b)"
    const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(c) ?? /#(..)(..)(..)/.exec(c);
    if (m && c.startsWith("#")) {
      lut[i * 3] = parseInt(m[1], 16);
      lut[i * 3 + 1] = parseInt(m[2], 16);
      lut[i * 3 + 2] = parseInt(m[3], 16);
    } else if (m) {
      lut[i * 3] = Number(m[1]);
      lut[i * 3 + 1] = Number(m[2]);
      lut[i * 3 + 2] = Number(m[3]);
    }
  }
  return lut;
}

function largestNorm(arr: NdArray | null): number {
  if (!arr) return 0;
  let best = 0;
  const d = arr.data;
  for (let i = 0; i + 1 < d.length; i += 2) {
    const m = Math.hypot(d[i], d[i + 1]);
    if (Number.isFinite(m) && m > best) best = m;
  }
  return best;
}

function drawArrow(ctx: CanvasRenderingContext2D, x: number, y: number, dx: number, dy: number, color: string, width: number, dash: number[]) {
  const len = Math.hypot(dx, dy);
  if (!(len > 0.5)) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + dx, y + dy);
  ctx.stroke();
  ctx.setLineDash([]);
  const ux = dx / len;
  const uy = dy / len;
  const head = Math.min(9, len * 0.5);
  ctx.beginPath();
  ctx.moveTo(x + dx, y + dy);
  ctx.lineTo(x + dx - head * ux - head * 0.5 * uy, y + dy - head * uy + head * 0.5 * ux);
  ctx.lineTo(x + dx - head * ux + head * 0.5 * uy, y + dy - head * uy - head * 0.5 * ux);
  ctx.closePath();
  ctx.fill();
  ctx.restore();
}

const RACE_CSS = `
.dlw-optimizer-race .dlw-race-panel { padding: 4px 8px; margin: 6px 0; background: var(--dlw-panel); border-radius: 4px; }
.dlw-optimizer-race .dlw-race-panel-head { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.dlw-optimizer-race .dlw-race-optimizer-formula { font-size: 11px; margin: 2px 0; white-space: normal; }
.dlw-optimizer-race .dlw-race-slider input[type="range"] { width: 110px; }
.dlw-optimizer-race .dlw-race-badge { font-size: 11px; padding: 0 6px; border-radius: 8px; background: #e4e7eb; }
.dlw-optimizer-race .dlw-race-badge-converged { background: #d3f9d8; }
.dlw-optimizer-race .dlw-race-badge-diverged { background: #ffe3e3; color: var(--dlw-bad); }
.dlw-optimizer-race .dlw-race-explain { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 4px 14px; margin-top: 6px; }
.dlw-optimizer-race .dlw-race-explain > .dlw-muted { grid-column: 1 / -1; }
.dlw-optimizer-race .dlw-race-explain-row { display: flex; gap: 8px; align-items: flex-start; margin: 4px 0; }
.dlw-optimizer-race .dlw-race-explain-row .dlw-readout { margin-top: 0; white-space: pre-wrap; overflow-wrap: anywhere; min-width: 0; }
.dlw-optimizer-race .dlw-race-remove { padding: 0 6px; margin-left: auto; }
.dlw-optimizer-race.dlw-busy .dlw-race-status { color: var(--dlw-accent-2); }
.dlw-optimizer-race.dlw-busy canvas { cursor: progress; }
.dlw-optimizer-race .dlw-race-controls { gap: 8px 14px; }
`;

function injectRaceStyle(): void {
  if (document.getElementById("dlw-optimizer-race-style")) return;
  const style = document.createElement("style");
  style.id = "dlw-optimizer-race-style";
  style.textContent = RACE_CSS;
  document.head.appendChild(style);
}

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const standalone = isStandalone(model);
  injectRaceStyle();
  const root = widgetRoot(el, "optimizer-race");
  const title = h("div", { class: "dlw-title" });
  const formula = h("div", { class: "dlw-formula dlw-race-formula" });

  // toolbar
  const surfaceSelect = needsKernel(model, h("select", { class: "dlw-race-surface", "aria-label": "surface" }));
  const surfaceParams = h("span", { class: "dlw-row dlw-race-surface-params" });
  const logBox = h("input", { type: "checkbox", class: "dlw-race-log" });
  const explainBox = h("input", { type: "checkbox", class: "dlw-race-explainer" });
  const swarmBox = needsKernel(model, h("input", { type: "checkbox", class: "dlw-race-swarm" }));
  const swarmCount = needsKernel(model, h("input", { type: "number", min: 2, max: 512, step: 1, value: 200, class: "dlw-race-swarm-count", style: "width:5em", "aria-label": "starts in the swarm" }));
  const noiseBox = needsKernel(model, h("input", { type: "checkbox", class: "dlw-race-noise" }));
  const noiseValue = needsKernel(model, h("input", { type: "number", min: 0, step: "any", class: "dlw-race-noise-value", style: "width:6em", "aria-label": "gradient noise std" }));
  const seedValue = needsKernel(model, h("input", { type: "number", min: 0, step: 1, class: "dlw-race-seed", style: "width:4.5em", "aria-label": "noise seed" }));
  const stepsValue = needsKernel(model, h("input", { type: "number", min: 1, max: 5000, step: 1, class: "dlw-race-steps", style: "width:5.5em", "aria-label": "steps" }));
  const raceControls = h("span", { class: "dlw-row dlw-race-controls" }, [
    h("label", {}, ["surface", surfaceSelect]),
    surfaceParams,
    h("label", { title: "each start point is one particle; hundreds of starts per optimizer" }, [swarmBox, "swarm", swarmCount]),
    h("label", { title: "add seeded Gaussian noise to every gradient, like mini-batch gradients" }, [noiseBox, "noisy gradients σ", noiseValue]),
    h("label", {}, ["seed", seedValue]),
    h("label", {}, ["steps", stepsValue]),
  ]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [
    raceControls,
    h("label", { title: "colour the surface by log(f − min)" }, [logBox, "log colour scale"]),
    h("label", { title: "step one update at a time: gradient, momentum and second moment" }, [explainBox, "explainer"]),
  ]);

  const surface = createSurface(SURF.width, SURF.height, "dlw-canvas dlw-race-surface-canvas");
  const hover = h("div", { class: "dlw-readout dlw-race-hover" }, [standalone ? "hover the surface to read f(x, y)" : "click the surface to set the start; hover to read f(x, y)"]);
  const chart = createSurface(CHART.width, CHART.height, "dlw-canvas dlw-race-chart");
  const chartLabel = h("div", { class: "dlw-muted dlw-race-chart-label" });
  const panels = h("div", { class: "dlw-race-panels" });
  const addSelect = needsKernel(model, h("select", { class: "dlw-race-add", "aria-label": "add an optimizer" }));
  const addRow = h("div", { class: "dlw-row dlw-race-add-row" }, [h("label", {}, ["add", addSelect])]);
  const left = h("div", {}, [surface.canvas, hover]);
  const right = h("div", { style: "min-width:440px;max-width:460px" }, [chart.canvas, chartLabel, panels, addRow]);
  const main = h("div", { class: "dlw-row" }, [left, right]);
  const explainPanel = h("div", { class: "dlw-race-explain" });
  const status = h("div", { class: "dlw-muted dlw-race-status" });
  const notes = h("div", { class: "dlw-muted dlw-race-notes" });
  const error = h("div", { class: "dlw-error dlw-race-error" });
  root.append(title, toolbar, formula, main);

  // ---- state decoded from the model --------------------------------------------------------
  let racers: RacerData[] = [];
  let nStarts = 1;
  let frames = 1;
  let domain: Domain = [-1, 1, -1, 1];
  let grid: NdArray | null = null;
  const hidden = new Set<string>();
  const lut = viridisLut();
  let background: HTMLCanvasElement | null = null;
  let hoverPoint: [number, number] | null = null;
  let framesDrawn = 0;

  const plotRect: Rect = {
    left: SURF.margin.left,
    top: SURF.margin.top,
    width: SURF.width - SURF.margin.left - SURF.margin.right,
    height: SURF.height - SURF.margin.top - SURF.margin.bottom,
  };
  const transform = () => makeTransform(domain, plotRect);

  function decodeAll() {
    const list = (model.get("racers") ?? []) as Racer[];
    const paths = (model.get("paths") ?? {}) as Record<string, WireArray>;
    const losses = (model.get("loss_series") ?? {}) as Record<string, WireArray>;
    const div = (model.get("diverged") ?? {}) as Record<string, WireArray>;
    const explain = (model.get("explain") ?? {}) as Record<string, ExplainEntry>;
    const summary = (model.get("summary") ?? {}) as Record<string, SummaryEntry>;
    domain = (model.get("domain") as Domain) ?? domain;
    const g = model.get("grid") as WireArray | undefined;
    grid = g && g.data ? decodeArray(g) : null;
    racers = [];
    list.forEach((racer, index) => {
      const p = paths[racer.name];
      const l = losses[racer.name];
      const d = div[racer.name];
      if (!p || !l || !d) return;
      const path = decodeArray(p);
      const loss = decodeArray(l);
      const ex = explain[racer.name];
      const n = path.shape[1];
      const gradArr = ex?.grad ? decodeArray(ex.grad) : null;
      const state = Object.entries(ex?.state ?? {}).map(([key, wire]) => {
        const data = decodeArray(wire);
        const [label, role] = ex.labels?.[key] ?? [key, "other"];
        return { key, label, role, data, largest: largestNorm(data) };
      });
      racers.push({
        racer,
        color: COLORS[index % COLORS.length],
        path,
        loss,
        diverged: decodeArray(d),
        median: n > 1 ? medianSeries(loss.data, loss.shape[0], n) : null,
        grad: gradArr,
        state,
        gradLargest: largestNorm(gradArr),
        summary: summary[racer.name],
      });
    });
    nStarts = racers.length ? racers[0].path.shape[1] : 1;
    frames = racers.length ? racers[0].path.shape[0] : Math.max(1, (model.get("steps") ?? 0) + 1);
  }

  function renderBackground() {
    const ratio = surface.canvas.width / SURF.width;
    const bg = document.createElement("canvas");
    bg.width = surface.canvas.width;
    bg.height = surface.canvas.height;
    const ctx = bg.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, SURF.width, SURF.height);
    const tf = transform();
    if (grid && grid.shape.length === 2) {
      const [ny, nx] = grid.shape;
      const [lo, hi] = (model.get("z_range") as [number, number]) ?? [0, 1];
      const log = Boolean(model.get("log_scale"));
      const img = new ImageData(nx, ny);
      const z = grid.data;
      for (let j = 0; j < ny; j++) {
        const row = ny - 1 - j; // image row 0 is the top: the largest y
        for (let i = 0; i < nx; i++) {
          const t = colorValue(z[j * nx + i], lo, hi, log);
          const k = Math.round(t * (LUT_SIZE - 1)) * 3;
          const o = (row * nx + i) * 4;
          img.data[o] = lut[k];
          img.data[o + 1] = lut[k + 1];
          img.data[o + 2] = lut[k + 2];
          img.data[o + 3] = 255;
        }
      }
      const tmp = document.createElement("canvas");
      tmp.width = nx;
      tmp.height = ny;
      tmp.getContext("2d")?.putImageData(img, 0, 0);
      // grid samples sit on the domain's corners: stretch pixel centres onto them
      const cellW = plotRect.width / (nx - 1);
      const cellH = plotRect.height / (ny - 1);
      ctx.save();
      ctx.beginPath();
      ctx.rect(plotRect.left, plotRect.top, plotRect.width, plotRect.height);
      ctx.clip();
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(tmp, plotRect.left - cellW / 2, plotRect.top - cellH / 2, plotRect.width + cellW, plotRect.height + cellH);
      // contour lines
      const values = new Float64Array(z.length);
      for (let k = 0; k < z.length; k++) values[k] = Number.isFinite(z[k]) ? z[k] : hi;
      const levels = contourLevels(values, 14);
      const polys = contours().size([nx, ny]).thresholds(levels)(Array.from(values));
      ctx.strokeStyle = "rgba(255,255,255,0.55)";
      ctx.lineWidth = 0.8;
      for (const poly of polys) {
        ctx.beginPath();
        for (const polygon of poly.coordinates) {
          for (const ring of polygon) {
            ring.forEach(([gx, gy], idx) => {
              const [px, py] = tf.toPx(gridToData(gx, nx, domain[0], domain[1]), gridToData(gy, ny, domain[2], domain[3]));
              if (idx === 0) ctx.moveTo(px, py);
              else ctx.lineTo(px, py);
            });
          }
        }
        ctx.stroke();
      }
      // known minima
      const minima = model.get("minima") as WireArray | undefined;
      if (minima && minima.data && model.get("mode") !== "landscape") {
        const m = decodeArray(minima);
        for (let k = 0; k + 1 < m.data.length; k += 2) {
          const [px, py] = tf.toPx(m.data[k], m.data[k + 1]);
          ctx.fillStyle = "#ffffff";
          ctx.font = "16px system-ui, sans-serif";
          ctx.textAlign = "center";
          ctx.textBaseline = "middle";
          ctx.fillText("★", px, py);
        }
      }
      ctx.restore();
    }
    // axes
    ctx.strokeStyle = "#9aa5b1";
    ctx.strokeRect(plotRect.left, plotRect.top, plotRect.width, plotRect.height);
    ctx.fillStyle = "#616e7c";
    ctx.font = "11px system-ui, sans-serif";
    const sx = scaleLinear().domain([domain[0], domain[1]]).range([plotRect.left, plotRect.left + plotRect.width]);
    const sy = scaleLinear().domain([domain[2], domain[3]]).range([plotRect.top + plotRect.height, plotRect.top]);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of sx.ticks(7)) ctx.fillText(formatNumber(t, 3), sx(t), plotRect.top + plotRect.height + 5);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of sy.ticks(7)) ctx.fillText(formatNumber(t, 3), plotRect.left - 5, sy(t));
    const [xl, yl] = (model.get("axis_labels") as [string, string]) ?? ["x", "y"];
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    ctx.fillText(xl, plotRect.left + plotRect.width, SURF.height - 2);
    ctx.save();
    ctx.translate(12, plotRect.top + 10);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(yl, 0, 0);
    ctx.restore();
    background = bg;
  }

  function drawSurface(frame: number) {
    const { ctx } = surface;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (background) ctx.drawImage(background, 0, 0);
    ctx.restore();
    const tf = transform();
    ctx.save();
    ctx.beginPath();
    ctx.rect(plotRect.left, plotRect.top, plotRect.width, plotRect.height);
    ctx.clip();
    const start = model.get("start") as [number, number] | undefined;
    if (start && model.get("mode") !== "landscape") {
      const [px, py] = tf.toPx(start[0], start[1]);
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(px, py, 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
    for (const r of racers) {
      if (hidden.has(r.racer.name)) continue;
      const n = r.path.shape[1];
      const T = r.path.shape[0];
      const p = r.path.data;
      const upTo = Math.min(frame, T - 1);
      if (n > 1) {
        // swarm: one particle per start at this step
        ctx.fillStyle = r.color;
        for (let i = 0; i < n; i++) {
          const x = p[(upTo * n + i) * 2];
          const y = p[(upTo * n + i) * 2 + 1];
          const [px, py] = tf.toPx(x, y);
          ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
        }
      }
      // the trail of the first start: a white halo under the colour
      for (const [color, width] of [["rgba(255,255,255,0.85)", 4.5], [r.color, 2.2]] as const) {
        ctx.strokeStyle = color;
        ctx.lineWidth = width;
        ctx.lineJoin = "round";
        ctx.beginPath();
        for (let t = 0; t <= upTo; t++) {
          const [px, py] = tf.toPx(p[t * n * 2], p[t * n * 2 + 1]);
          if (t === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        }
        ctx.stroke();
      }
      const div = r.diverged.data[0];
      if (div >= 0 && upTo >= div) {
        const last = lastVisibleIndex(p, n, 0, upTo, domain);
        if (last >= 0) {
          const [px, py] = tf.toPx(p[last * n * 2], p[last * n * 2 + 1]);
          ctx.strokeStyle = "#c92a2a";
          ctx.lineWidth = 3;
          ctx.beginPath();
          ctx.moveTo(px - 7, py - 7);
          ctx.lineTo(px + 7, py + 7);
          ctx.moveTo(px + 7, py - 7);
          ctx.lineTo(px - 7, py + 7);
          ctx.stroke();
        }
      } else {
        const [px, py] = tf.toPx(p[upTo * n * 2], p[upTo * n * 2 + 1]);
        ctx.fillStyle = r.color;
        ctx.strokeStyle = "#ffffff";
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(px, py, 5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
      if (model.get("explainer") && r.grad && upTo < T - 1) drawExplainArrows(ctx, r, upTo, tf);
    }
    if (hoverPoint) {
      const [px, py] = tf.toPx(hoverPoint[0], hoverPoint[1]);
      ctx.strokeStyle = "rgba(255,255,255,0.8)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(px - 6, py);
      ctx.lineTo(px + 6, py);
      ctx.moveTo(px, py - 6);
      ctx.lineTo(px, py + 6);
      ctx.stroke();
    }
    ctx.restore();
  }

  function drawExplainArrows(ctx: CanvasRenderingContext2D, r: RacerData, t: number, tf: ReturnType<typeof makeTransform>) {
    const n = r.path.shape[1];
    const p = r.path.data;
    const [px, py] = tf.toPx(p[t * n * 2], p[t * n * 2 + 1]);
    const toPxDir = (vx: number, vy: number, length: number): [number, number] => {
      const dx = vx * tf.sx;
      const dy = -vy * tf.sy;
      const len = Math.hypot(dx, dy);
      return len > 0 ? [(dx / len) * length, (dy / len) * length] : [0, 0];
    };
    const g = r.grad!.data;
    const gx = g[t * 2];
    const gy = g[t * 2 + 1];
    if (Number.isFinite(gx) && Number.isFinite(gy)) {
      const [dx, dy] = toPxDir(-gx, -gy, arrowLength(Math.hypot(gx, gy), r.gradLargest));
      drawArrow(ctx, px, py, dx, dy, "#ffffff", 2, [4, 3]);
    }
    for (const s of r.state) {
      const a = s.data.data[t * 2];
      const b = s.data.data[t * 2 + 1];
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      if (s.role === "first") {
        const [dx, dy] = toPxDir(-a, -b, arrowLength(Math.hypot(a, b), s.largest));
        drawArrow(ctx, px, py, dx, dy, r.color, 2.5, [2, 2]);
      } else if (s.role === "second") {
        const rx = 6 + 30 * Math.sqrt(Math.sqrt(Math.max(a, 0)) / Math.max(Math.sqrt(s.largest), 1e-300));
        const ry = 6 + 30 * Math.sqrt(Math.sqrt(Math.max(b, 0)) / Math.max(Math.sqrt(s.largest), 1e-300));
        ctx.save();
        ctx.strokeStyle = r.color;
        ctx.setLineDash([3, 3]);
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.ellipse(px, py, Math.min(rx, 40), Math.min(ry, 40), 0, 0, 2 * Math.PI);
        ctx.stroke();
        ctx.restore();
      }
    }
    // the actual update, to scale
    const [qx, qy] = tf.toPx(p[(t + 1) * n * 2], p[(t + 1) * n * 2 + 1]);
    drawArrow(ctx, px, py, qx - px, qy - py, "#111111", 2.5, []);
  }

  // the chart's curves and axes are drawn once per data change into a layer; a frame only
  // copies the layer and draws the step cursor
  let chartLayer: HTMLCanvasElement | null = null;
  function renderChartLayer() {
    const ratio = chart.canvas.width / CHART.width;
    const layer = document.createElement("canvas");
    layer.width = chart.canvas.width;
    layer.height = chart.canvas.height;
    const ctx = layer.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const width = CHART.width;
    const height = CHART.height;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    const m = CHART.margin;
    const series = racers.filter((r) => !hidden.has(r.racer.name)).map((r) => ({ r, s: r.median ?? firstStart(r) }));
    const ext = lossExtent(series.map((x) => x.s));
    const useLog = Boolean(model.get("log_scale"));
    const sx = scaleLinear().domain([0, Math.max(1, frames - 1)]).range([m.left, width - m.right]);
    const range: [number, number] = [height - m.bottom, m.top];
    let sy: ((v: number) => number) & { ticks(n: number): number[] };
    if (useLog && ext.positive) sy = scaleLog().domain([ext.lo, ext.hi]).range(range);
    else if (useLog) sy = scaleSymlog().constant(Math.max((ext.hi - ext.lo) * 1e-4, 1e-12)).domain([ext.lo, ext.hi]).range(range);
    else sy = scaleLinear().domain([ext.lo, ext.hi]).nice().range(range);
    ctx.strokeStyle = "#e4e7eb";
    ctx.fillStyle = "#616e7c";
    ctx.font = "11px system-ui, sans-serif";
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const decades = useLog && ext.positive ? logTicks(ext.lo, ext.hi) : [];
    const yTicks = decades.length >= 2 ? decades : thinTicks(sy.ticks(5), 7);
    for (const t of yTicks) {
      const y = Math.round(sy(t)) + 0.5;
      if (!Number.isFinite(y)) continue;
      ctx.beginPath();
      ctx.moveTo(m.left, y);
      ctx.lineTo(width - m.right, y);
      ctx.stroke();
      ctx.fillText(formatNumber(t, 3), m.left - 5, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of sx.ticks(6)) ctx.fillText(String(t), sx(t), height - m.bottom + 5);
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    ctx.fillText("step", width - m.right, height - m.bottom - 2);
    for (const { r, s } of series) {
      ctx.strokeStyle = r.color;
      ctx.lineWidth = 1.8;
      ctx.beginPath();
      let pen = false;
      const last = r.diverged.data[0] >= 0 && nStarts === 1 ? r.diverged.data[0] - 1 : s.length - 1;
      for (let t = 0; t <= last; t++) {
        const y = sy(s[t]);
        if (!Number.isFinite(y)) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(sx(t), y);
        else ctx.moveTo(sx(t), y);
        pen = true;
      }
      ctx.stroke();
      if (nStarts === 1 && r.diverged.data[0] >= 0) {
        const t = r.diverged.data[0] - 1;
        const y = sy(s[t]);
        ctx.fillStyle = "#c92a2a";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.font = "bold 13px system-ui, sans-serif";
        ctx.fillText("✕", sx(t), y);
        ctx.font = "11px system-ui, sans-serif";
      }
    }
    chartLabel.textContent = nStarts > 1
      ? `median loss over ${nStarts} starts per step${useLog ? " (log scale)" : ""}; click to jump to a step`
      : `loss f(θₜ) per step${useLog ? " (log scale)" : ""}; click to jump to a step`;
    chartLayer = layer;
  }

  function drawChart(frame: number) {
    const { ctx, height } = chart;
    if (!chartLayer) renderChartLayer();
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (chartLayer) ctx.drawImage(chartLayer, 0, 0);
    ctx.restore();
    const m = CHART.margin;
    const x = m.left + (Math.min(frame, frames - 1) / Math.max(1, frames - 1)) * (CHART.width - m.left - m.right);
    const cx = Math.round(x) + 0.5;
    ctx.strokeStyle = "rgba(31,41,51,0.5)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(cx, m.top);
    ctx.lineTo(cx, height - m.bottom);
    ctx.stroke();
  }

  function firstStart(r: RacerData): Float64Array {
    const n = r.loss.shape[1];
    const T = r.loss.shape[0];
    const out = new Float64Array(T);
    for (let t = 0; t < T; t++) out[t] = r.loss.data[t * n];
    return out;
  }

  function updateExplainPanel(frame: number) {
    if (!model.get("explainer")) {
      explainPanel.replaceChildren();
      return;
    }
    const rows: HTMLElement[] = [
      h("div", { class: "dlw-muted" }, [
        `step ${frame} → ${frame + 1}: white dashed arrow −g (gradient), coloured dotted arrow −(velocity / first moment), ` +
          "dashed ellipse ∝ √(second moment) per axis, black arrow the actual update Δθ (to scale). " +
          "Arrow lengths of g and m show direction and relative size; the numbers are exact (torch optimizer state).",
      ]),
    ];
    for (const r of racers) {
      if (hidden.has(r.racer.name)) continue;
      const n = r.path.shape[1];
      const T = r.path.shape[0];
      const lines: string[] = [];
      const p = r.path.data;
      lines.push(`θ = (${formatNumber(p[frame * n * 2], 5)}, ${formatNumber(p[frame * n * 2 + 1], 5)})   f = ${formatNumber(r.loss.data[frame * n], 5)}`);
      if (!r.grad) {
        // a training trajectory: position and loss only
      } else if (frame < T - 1) {
        const g = r.grad.data;
        lines.push(`g = (${formatNumber(g[frame * 2], 5)}, ${formatNumber(g[frame * 2 + 1], 5)})`);
        for (const s of r.state) {
          lines.push(`${s.label} [${s.key}] = (${formatNumber(s.data.data[frame * 2], 5)}, ${formatNumber(s.data.data[frame * 2 + 1], 5)})`);
        }
        const dx = p[(frame + 1) * n * 2] - p[frame * n * 2];
        const dy = p[(frame + 1) * n * 2 + 1] - p[frame * n * 2 + 1];
        lines.push(`Δθ = (${formatNumber(dx, 5)}, ${formatNumber(dy, 5)})`);
      } else {
        lines.push("end of the race");
      }
      rows.push(
        h("div", { class: "dlw-race-explain-row" }, [
          h("span", { class: "dlw-swatch", style: `background:${r.color}` }),
          h("strong", {}, [r.racer.name]),
          h("div", { class: "dlw-readout" }, [lines.join("\n")]),
        ]),
      );
    }
    explainPanel.replaceChildren(...rows);
  }

  let currentFrame = 0;
  let drawMs = 0;
  function drawFrame(frame: number) {
    const t0 = performance.now();
    currentFrame = frame;
    drawSurface(frame);
    drawChart(frame);
    updateExplainPanel(frame);
    framesDrawn++;
    // what tests and the fps benchmark read: frames drawn, the frame shown, mean draw time
    drawMs += (performance.now() - t0 - drawMs) / Math.min(framesDrawn, 50);
    root.dataset.framesDrawn = String(framesDrawn);
    root.dataset.frame = String(frame);
    root.dataset.drawMs = drawMs.toFixed(3);
  }

  // ---- timeline ----------------------------------------------------------------------------
  let timeline: Timeline | null = null;
  const timelineHolder = h("div", { class: "dlw-race-timeline" });
  const speed = h("select", { class: "dlw-race-speed", "aria-label": "playback speed" }, [
    h("option", { value: "0.5" }, ["½×"]),
    h("option", { value: "1" }, ["1×"]),
    h("option", { value: "2" }, ["2×"]),
    h("option", { value: "4" }, ["4×"]),
  ]);
  speed.value = "1";
  function makeTimeline() {
    const keep = timeline ? Math.min(timeline.frame, frames - 1) : 0;
    timeline?.destroy();
    // the whole race plays in about 8 s at 1×
    const fps = Math.max(10, Math.min(240, ((frames - 1) / 8) * Number(speed.value)));
    timeline = createTimeline({
      frames,
      fps,
      label: (f) => `step ${f} / ${frames - 1}`,
      onFrame: (f) => drawFrame(f),
    });
    timelineHolder.replaceChildren(timeline.el, h("label", { class: "dlw-muted" }, ["speed", speed]));
    timeline.bindKeys(root);
    timeline.setFrame(keep);
  }
  speed.addEventListener("change", () => {
    const playing = timeline?.playing;
    makeTimeline();
    if (playing) timeline?.play();
  });

  // ---- per-optimizer panels ----------------------------------------------------------------
  let pendingHyper: Record<string, Record<string, number>> = {};
  const hyperSender = new LatestWins<Record<string, Record<string, number>>>((value) => {
    model.set("hyper", value);
    model.save_changes();
    setBusy(true);
  });

  function buildPanels() {
    const hyper = (model.get("hyper") ?? {}) as Record<string, Record<string, number>>;
    pendingHyper = JSON.parse(JSON.stringify(hyper));
    const items = racers.map((r) => {
      const show = h("input", { type: "checkbox", class: "dlw-race-show", title: "show / hide this optimizer" });
      show.checked = !hidden.has(r.racer.name);
      show.addEventListener("change", () => {
        if (show.checked) hidden.delete(r.racer.name);
        else hidden.add(r.racer.name);
        chartLayer = null;
        drawFrame(currentFrame);
      });
      const badge = h("span", { class: `dlw-race-badge dlw-race-badge-${r.summary?.status ?? "none"}` }, [statusText(r.summary, nStarts)]);
      const finalLoss = r.summary?.final_loss;
      const head = h("div", { class: "dlw-race-panel-head" }, [
        show,
        h("span", { class: "dlw-swatch", style: `background:${r.color};height:10px` }),
        h("strong", { class: "dlw-race-name" }, [r.racer.name]),
        badge,
        h("span", { class: "dlw-muted" }, [finalLoss === null || finalLoss === undefined ? "" : `f = ${formatNumber(finalLoss, 4)}`]),
      ]);
      if (model.get("mode") !== "landscape") {
        const remove = needsKernel(model, h("button", { class: "dlw-button dlw-race-remove", type: "button", title: "remove from the race" }, ["✕"]));
        remove.addEventListener("click", () => {
          const active = ((model.get("active") ?? []) as string[]).filter((x) => x !== r.racer.name);
          if (active.length === 0) return;
          model.set("active", active);
          model.save_changes();
          setBusy(true);
        });
        head.appendChild(remove);
      }
      const sliders = r.racer.hypers.map((info) => {
        const value = hyper[r.racer.name]?.[info.key] ?? info.min;
        const input = needsKernel(model, h("input", {
          type: "range", min: 0, max: 1000, step: 1, class: `dlw-race-hyper dlw-race-hyper-${info.key}`,
          "aria-label": `${r.racer.name} ${info.label}`, "data-optimizer": r.racer.name, "data-key": info.key,
        }));
        input.value = String(valueToSlider(value, info.min, info.max, info.log));
        const readout = h("span", { class: "dlw-readout" }, [formatNumber(value, 3)]);
        input.addEventListener("input", () => {
          const v = niceValue(sliderToValue(Number(input.value), info.min, info.max, info.log));
          readout.textContent = formatNumber(v, 3);
          pendingHyper[r.racer.name] = { ...(pendingHyper[r.racer.name] ?? {}), [info.key]: v };
          hyperSender.push(JSON.parse(JSON.stringify(pendingHyper)));
        });
        return h("label", { class: "dlw-race-slider" }, [info.label, input, readout]);
      });
      const children: Array<Node | string> = [
        head,
        h("div", { class: "dlw-formula dlw-race-optimizer-formula", title: r.racer.class_name }, [r.racer.formula]),
      ];
      if (r.racer.note) children.push(h("div", { class: "dlw-muted" }, [r.racer.note]));
      if (sliders.length) children.push(h("div", { class: "dlw-toolbar" }, sliders));
      return h("div", { class: "dlw-race-panel", "data-optimizer": r.racer.name, style: `border-left:4px solid ${r.color}` }, children);
    });
    panels.replaceChildren(...items);
    const active = new Set((model.get("active") ?? []) as string[]);
    const available = ((model.get("available") ?? []) as string[]).filter((n) => !active.has(n));
    addSelect.replaceChildren(h("option", { value: "" }, ["—"]), ...available.map((n) => h("option", { value: n }, [n])));
    addRow.style.display = model.get("mode") === "landscape" || available.length === 0 ? "none" : "";
  }

  addSelect.addEventListener("change", () => {
    const name = addSelect.value;
    if (!name) return;
    model.set("active", [...((model.get("active") ?? []) as string[]), name]);
    model.save_changes();
    setBusy(true);
  });

  // ---- toolbar -----------------------------------------------------------------------------
  function syncToolbar() {
    const mode = model.get("mode");
    title.textContent = model.get("title") ?? "Optimizer race";
    formula.textContent = model.get("surface_formula") ?? "";
    raceControls.style.display = mode === "landscape" ? "none" : "";
    surfaceSelect.replaceChildren(...((model.get("surface_names") ?? []) as string[]).map((n) => h("option", { value: n }, [n])));
    surfaceSelect.value = model.get("surface_name");
    logBox.checked = Boolean(model.get("log_scale"));
    explainBox.checked = Boolean(model.get("explainer"));
    const swarm = Number(model.get("swarm") ?? 0);
    swarmBox.checked = swarm > 0;
    if (swarm > 0) swarmCount.value = String(swarm);
    noiseBox.checked = Boolean(model.get("noise_on"));
    noiseValue.value = String(niceValue(Number(model.get("noise") ?? 0)));
    seedValue.value = String(model.get("seed") ?? 0);
    stepsValue.value = String(model.get("steps") ?? 0);
    const info = ((model.get("surface_param_info") ?? {}) as Record<string, Record<string, { min: number; max: number; log: number }>>)[model.get("surface_name")] ?? {};
    const params = (model.get("surface_params") ?? {}) as Record<string, number>;
    surfaceParams.replaceChildren(
      ...Object.entries(info).map(([key, meta]) => {
        const input = needsKernel(model, h("input", { type: "range", min: 0, max: 1000, step: 1, class: `dlw-race-surface-param dlw-race-surface-param-${key}`, "aria-label": key }));
        input.value = String(valueToSlider(params[key] ?? meta.min, meta.min, meta.max, Boolean(meta.log)));
        const readout = h("span", { class: "dlw-readout" }, [formatNumber(params[key] ?? meta.min, 3)]);
        input.addEventListener("input", () => {
          readout.textContent = formatNumber(niceValue(sliderToValue(Number(input.value), meta.min, meta.max, Boolean(meta.log))), 3);
        });
        input.addEventListener("change", () => {
          const v = niceValue(sliderToValue(Number(input.value), meta.min, meta.max, Boolean(meta.log)));
          model.set("surface_params", { ...params, [key]: v });
          model.save_changes();
          setBusy(true);
        });
        return h("label", {}, [key, input, readout]);
      }),
    );
  }

  const sendTrait = (name: string, value: unknown) => {
    model.set(name, value);
    model.save_changes();
    setBusy(true);
  };
  surfaceSelect.addEventListener("change", () => sendTrait("surface_name", surfaceSelect.value));
  swarmBox.addEventListener("change", () => sendTrait("swarm", swarmBox.checked ? Math.max(2, Math.min(512, Math.round(Number(swarmCount.value) || 200))) : 0));
  swarmCount.addEventListener("change", () => {
    if (swarmBox.checked) sendTrait("swarm", Math.max(2, Math.min(512, Math.round(Number(swarmCount.value) || 200))));
  });
  noiseBox.addEventListener("change", () => sendTrait("noise_on", noiseBox.checked));
  noiseValue.addEventListener("change", () => {
    const v = Number(noiseValue.value);
    if (Number.isFinite(v) && v >= 0) sendTrait("noise", v);
  });
  seedValue.addEventListener("change", () => sendTrait("seed", Math.max(0, Math.round(Number(seedValue.value) || 0))));
  stepsValue.addEventListener("change", () => {
    const v = Math.round(Number(stepsValue.value));
    if (v >= 1 && v <= 5000) sendTrait("steps", v);
  });
  logBox.addEventListener("change", () => {
    model.set("log_scale", logBox.checked);
    model.save_changes();
  });
  explainBox.addEventListener("change", () => {
    model.set("explainer", explainBox.checked);
    model.save_changes();
  });

  // ---- pointer on the surface and the chart ------------------------------------------------
  surface.canvas.addEventListener("pointermove", (event) => {
    const [px, py] = pointerPosition(surface.canvas, event);
    const tf = transform();
    if (!tf.inside(px, py) || !grid) {
      hoverPoint = null;
      return;
    }
    const [x, y] = tf.toData(px, py);
    hoverPoint = [x, y];
    const [ny, nx] = grid.shape;
    const i = nearestIndex(x, domain[0], domain[1], nx);
    const j = nearestIndex(y, domain[2], domain[3], ny);
    const [xl, yl] = (model.get("axis_labels") as [string, string]) ?? ["x", "y"];
    hover.textContent = `${xl} = ${formatNumber(x, 4)}   ${yl} = ${formatNumber(y, 4)}   f ≈ ${formatNumber(grid.data[j * nx + i], 5)} (grid)`;
    if (!timeline?.playing) drawSurface(currentFrame);
  });
  surface.canvas.addEventListener("pointerleave", () => {
    hoverPoint = null;
    if (!timeline?.playing) drawSurface(currentFrame);
  });
  surface.canvas.addEventListener("click", (event) => {
    if (model.get("mode") === "landscape") return;
    const [px, py] = pointerPosition(surface.canvas, event);
    const tf = transform();
    if (!tf.inside(px, py)) return;
    if (standalone) {
      hover.textContent = `setting the start: ${KERNEL_HINT}`;
      return;
    }
    const [x, y] = tf.toData(px, py);
    sendTrait("start", [niceValue(x), niceValue(y)]);
  });
  if (standalone) surface.canvas.title = `Setting the start: ${KERNEL_HINT}`;
  const scrubChart = (event: PointerEvent) => {
    const [px] = pointerPosition(chart.canvas, event);
    const m = CHART.margin;
    const f = Math.round(((px - m.left) / (CHART.width - m.left - m.right)) * (frames - 1));
    timeline?.setFrame(Math.max(0, Math.min(frames - 1, f)));
  };
  chart.canvas.addEventListener("pointerdown", (event) => {
    scrubChart(event);
    const move = (e: PointerEvent) => scrubChart(e);
    const up = () => {
      chart.canvas.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    chart.canvas.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  });

  // ---- busy / status -----------------------------------------------------------------------
  function setBusy(busy: boolean) {
    root.classList.toggle("dlw-busy", busy);
    status.textContent = busy ? "computing in Python…" : statusLine();
  }
  function statusLine(): string {
    const ms = Number(model.get("compute_ms") ?? 0);
    const starts = nStarts > 1 ? `${nStarts} starts per optimizer, ` : "";
    const noise = model.get("noise_on") ? `gradient noise σ = ${formatNumber(Number(model.get("noise")), 3)} (seed ${model.get("seed")}), ` : "";
    return model.get("mode") === "landscape" ? "" : `${starts}${noise}${frames - 1} steps; computed by torch.optim in ${formatNumber(ms, 3)} ms`;
  }
  function syncNotes() {
    notes.replaceChildren(...((model.get("notes") ?? []) as string[]).map((n) => h("div", {}, [n])));
    error.textContent = model.get("error") ?? "";
  }

  // ---- data changes: rebuild once per animation frame --------------------------------------
  let dirty = { data: false, background: false };
  let scheduled = 0;
  function schedule(kind: "data" | "background") {
    dirty[kind] = true;
    if (scheduled) return;
    scheduled = requestAnimationFrame(() => {
      scheduled = 0;
      const { data, background: bg } = dirty;
      dirty = { data: false, background: false };
      if (data) {
        decodeAll();
        syncToolbar();
        buildPanels();
        syncNotes();
        if (!timeline || frames !== timelineFrames()) makeTimeline();
      }
      if (bg || data) {
        renderBackground();
        chartLayer = null;
      }
      drawFrame(Math.min(currentFrame, frames - 1));
      setBusy(false);
    });
  }
  const timelineFrames = () => Number(timeline?.el.querySelector<HTMLInputElement>(".dlw-scrub")?.max ?? -1) + 1;

  const unlisten = listen(model, {
    "change:revision": () => {
      hyperSender.answered();
      schedule("data");
    },
    "change:paths": () => schedule("data"),
    "change:grid": () => schedule("background"),
    "change:log_scale": () => {
      logBox.checked = Boolean(model.get("log_scale"));
      schedule("background");
    },
    "change:explainer": () => {
      explainBox.checked = Boolean(model.get("explainer"));
      if (model.get("explainer")) timeline?.pause();
      drawFrame(currentFrame);
    },
    "change:error": syncNotes,
  });

  left.append(timelineHolder, status);
  left.style.maxWidth = `${SURF.width + 10}px`;
  root.append(explainPanel, notes, error);
  decodeAll();
  syncToolbar();
  buildPanels();
  syncNotes();
  renderBackground();
  chartLayer = null;
  makeTimeline();
  setBusy(false);
  return () => {
    unlisten();
    timeline?.destroy();
    if (scheduled) cancelAnimationFrame(scheduled);
  };
}

export default { render };
