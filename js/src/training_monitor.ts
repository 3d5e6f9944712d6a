// Live training monitor: loss and metrics per step (raw + smoothed) and per epoch (train and
// validation), progress with ETA, learning rate, Stop and Pause/Resume.
// Rows arrive two ways: coalesced deltas (custom messages with binary columns, ≤ 30/s) and the
// full history in synced state (every 2 s and at the end). Both are merged by step / epoch
// number, so order and duplicates do not matter. Drawing is batched into one animation frame.

import { scaleLinear, scaleLog, type ScaleContinuousNumeric } from "d3-scale";
import { decodeArray, type WireArray } from "./lib/arrays";
import { createSurface, pointerPosition, type Surface } from "./lib/canvas";
import { h, isStandalone, listen, needsKernel, widgetRoot, type ModelLike } from "./lib/dom";
import { formatNumber } from "./lib/format";

// ---------------------------------------------------------------------------------------------
// Pure helpers (tested in js/tests/training_monitor.test.ts)

/** Growable column table keyed by an increasing integer column ("step" or "epoch"). */
export class Table {
  n = 0;
  cols = new Map<string, Float64Array>();
  constructor(readonly key: string) {}

  get(name: string): Float64Array | undefined {
    return this.cols.get(name);
  }

  lastKey(): number {
    const k = this.cols.get(this.key);
    return k && this.n > 0 ? k[this.n - 1] : -Infinity;
  }

  private ensure(name: string, capacity: number): Float64Array {
    let col = this.cols.get(name);
    if (!col) {
      col = new Float64Array(Math.max(16, capacity)).fill(NaN);
      this.cols.set(name, col);
    }
    if (col.length < capacity) {
      const grown = new Float64Array(Math.max(capacity, col.length * 2)).fill(NaN);
      grown.set(col.subarray(0, this.n));
      this.cols.set(name, grown);
      col = grown;
    }
    return col;
  }

  /** Append the rows of `incoming` whose key is greater than the last key held. */
  append(incoming: Record<string, ArrayLike<number>>): number {
    const keys = incoming[this.key];
    if (!keys) return 0;
    const last = this.lastKey();
    let first = 0;
    while (first < keys.length && !(keys[first] > last)) first++;
    const count = keys.length - first;
    if (count <= 0) return 0;
    const size = this.n + count;
    for (const name of new Set([...this.cols.keys(), ...Object.keys(incoming)])) {
      const col = this.ensure(name, size);
      const src = incoming[name];
      for (let i = 0; i < count; i++) col[this.n + i] = src ? Number(src[first + i]) : NaN;
    }
    this.n = size;
    return count;
  }

  clear(): void {
    this.n = 0;
    this.cols.clear();
  }

  /** Index of the row whose key is nearest to `key` (binary search), -1 when empty. */
  nearest(key: number): number {
    const k = this.cols.get(this.key);
    if (!k || this.n === 0) return -1;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (k[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs(k[lo - 1] - key) <= Math.abs(k[lo] - key)) return lo - 1;
    return lo;
  }
}

/** Exponential moving average with bias correction (as TensorBoard smooths); NaN skipped. */
export function ema(values: ArrayLike<number>, n: number, alpha: number): Float64Array {
  const out = new Float64Array(n);
  let s = 0;
  let weight = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      s = alpha * s + (1 - alpha) * v;
      weight = alpha * weight + (1 - alpha);
    }
    out[i] = weight > 0 ? s / weight : NaN;
  }
  return out;
}

/** [min, max] of the finite values (positive only when `positive`), or null. */
export function finiteExtent(arrays: Array<[ArrayLike<number>, number]>, positive = false): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const [arr, n] of arrays) {
    for (let i = 0; i < n; i++) {
      const v = arr[i];
      if (!Number.isFinite(v) || (positive && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : null;
}

/** Per pixel column: min and max of the points falling in it (for long runs). */
export function envelope(
  xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, toPx: (x: number) => number,
): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let col = NaN;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    const px = Math.round(toPx(xs[i]));
    if (px !== col) {
      if (Number.isFinite(col)) out.push([col, lo, hi]);
      col = px;
      lo = y;
      hi = y;
    } else {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  if (Number.isFinite(col)) out.push([col, lo, hi]);
  return out;
}

/** Short y-axis label: 3 significant digits, exponent form (4.0e+12) for very large/small. */
export function tickLabel(value: number): string {
  const abs = Math.abs(value);
  if (value !== 0 && (abs >= 1e5 || abs < 1e-4)) return value.toExponential(1).replace("-", "−");
  return formatNumber(value, 3);
}

/** Right end of the step axis: grows with the run (a little ahead of it) while training, so
 * the curves are not squeezed into the left edge of a long run; the last step once it ended. */
export function stepAxisEnd(lastStep: number, total: number | null | undefined, stepsPerEpoch: number | null | undefined, active: boolean): number {
  const last = Math.max(1, lastStep);
  if (!active) return last;
  const ahead = Math.max(Math.ceil(last * 1.2), stepsPerEpoch || 1, last + 1);
  return total && total > 0 ? Math.min(total, ahead) : ahead;
}

/** Seconds left at the pace so far, or null when it cannot be known yet. */
export function etaSeconds(done: number, total: number | null | undefined, elapsed: number): number | null {
  if (!total || total <= 0 || !(done > 0) || !(elapsed >= 0)) return null;
  if (done >= total) return 0;
  return (elapsed / done) * (total - done);
}

/** 75 → "1:15", 3725 → "1:02:05", null → "—". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = s % 60;
  const two = (v: number) => String(v).padStart(2, "0");
  return hours > 0 ? `${hours}:${two(minutes)}:${two(secs)}` : `${minutes}:${two(secs)}`;
}

/** Put each binary buffer back at its path in a message (what ipywidgets does for state). */
export function restorePaths(
  content: Record<string, any>, paths: Array<Array<string | number>>, buffers: Array<DataView | ArrayBuffer>,
): Record<string, any> {
  paths.forEach((path, k) => {
    let node: any = content;
    for (let i = 0; i < path.length - 1; i++) node = node[path[i]];
    const b = buffers[k];
    node[path[path.length - 1]] = b instanceof DataView ? b : new DataView(b);
  });
  return content;
}

/** Columns of a {name: wire array} dict (the synced state) as plain numeric arrays. */
export function decodeColumns(wires: Record<string, WireArray> | undefined): Record<string, ArrayLike<number>> {
  const out: Record<string, ArrayLike<number>> = {};
  for (const [name, wire] of Object.entries(wires ?? {})) {
    if (wire && typeof wire === "object" && "dtype" in wire) out[name] = decodeArray(wire).data;
  }
  return out;
}

export interface MatrixWire extends WireArray {
  columns: string[];
}

/** Columns of a delta's rows × columns matrix (row-major) with its column names. */
export function matrixColumns(wire: MatrixWire | undefined): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  if (!wire || !wire.columns) return out;
  const { shape, data } = decodeArray(wire);
  const [rows, cols] = shape.length === 2 ? shape : [0, 0];
  if (cols !== wire.columns.length) throw new RangeError(`delta has ${cols} columns but ${wire.columns.length} names`);
  wire.columns.forEach((name, j) => {
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) col[i] = data[i * cols + j];
    out[name] = col;
  });
  return out;
}

const STATUS_TEXT: Record<string, string> = {
  idle: "idle",
  starting: "starting…",
  running: "training",
  paused: "paused",
  completed: "completed",
  stopped: "stopped",
  early_stopped: "early stopping",
  diverged: "diverged",
  error: "error",
  replaced: "replaced by a new run",
  interrupted: "interrupted",
};
const ACTIVE = new Set(["starting", "running", "paused"]);

// ---------------------------------------------------------------------------------------------
// Drawing

interface Line {
  table: Table;
  column: string;
  color: string;
  width: number;
  alpha?: number;
  dots?: boolean;
  dash?: number[];
  smooth?: number; // EMA factor
}

interface ChartSpec {
  title: string;
  lines: Line[];
  xMax: number;
  log: boolean;
  hoverStep: number | null;
  divergedStep: number;
  epochSteps: ArrayLike<number>;
  epochCount: number;
}

const MARGIN = { top: 22, right: 14, bottom: 26, left: 54 };

function cssVar(el: HTMLElement, name: string, fallback: string): string {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

function drawChart(surface: Surface, spec: ChartSpec, colors: { fg: string; muted: string; grid: string; bad: string }) {
  const { ctx, width, height } = surface;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = colors.fg;
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(spec.title, MARGIN.left, 4);

  const xMax = Math.max(1, spec.xMax);
  const sx = scaleLinear().domain([0, xMax]).range([MARGIN.left, width - MARGIN.right]);
  const extent = finiteExtent(spec.lines.map((l) => [l.table.get(l.column) ?? [], l.table.n] as [ArrayLike<number>, number]), spec.log);
  let sy: ScaleContinuousNumeric<number, number>;
  if (!extent) {
    sy = scaleLinear().domain([0, 1]).range([height - MARGIN.bottom, MARGIN.top]);
  } else if (spec.log) {
    const [lo, hi] = extent;
    sy = scaleLog().domain([lo, hi > lo ? hi : lo * 10]).nice().range([height - MARGIN.bottom, MARGIN.top]);
  } else {
    let [lo, hi] = extent;
    if (hi - lo <= 1e-9 * Math.max(Math.abs(hi), 1e-30)) {
      const pad = Math.abs(hi) * 0.1 || 1; // a constant (e.g. a fixed learning rate)
      lo -= pad;
      hi += pad;
    }
    sy = scaleLinear().domain([lo, hi]).nice().range([height - MARGIN.bottom, MARGIN.top]);
  }

  // grid, epoch boundaries, ticks
  ctx.lineWidth = 1;
  ctx.strokeStyle = colors.grid;
  ctx.fillStyle = colors.muted;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const tickCount = Math.max(2, Math.min(5, Math.floor((height - MARGIN.top - MARGIN.bottom) / 28)));
  const rawTicks = sy.ticks(tickCount);
  const yTicks = rawTicks.length > tickCount + 2
    ? rawTicks.filter((_, i) => i % Math.ceil(rawTicks.length / (tickCount + 1)) === 0)
    : rawTicks;
  for (const t of yTicks) {
    const py = Math.round(sy(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, py);
    ctx.lineTo(width - MARGIN.right, py);
    ctx.stroke();
    ctx.fillText(tickLabel(t), MARGIN.left - 5, py);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of sx.ticks(6)) {
    if (!Number.isInteger(t)) continue;
    const label = t >= 10000 ? `${formatNumber(t / 1000, 3)}k` : String(t);
    if (sx(t) + ctx.measureText(label).width / 2 > width - 2) continue;
    ctx.fillText(label, sx(t), height - MARGIN.bottom + 5);
  }
  ctx.setLineDash([2, 3]);
  ctx.strokeStyle = colors.grid;
  for (let i = 0; i < spec.epochCount; i++) {
    const px = Math.round(sx(spec.epochSteps[i])) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, MARGIN.top);
    ctx.lineTo(px, height - MARGIN.bottom);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.textAlign = "right";
  ctx.textBaseline = "top";
  ctx.fillText("x: step", width - MARGIN.right, 4);

  // lines
  ctx.save();
  ctx.beginPath();
  ctx.rect(MARGIN.left, MARGIN.top - 2, width - MARGIN.left - MARGIN.right, height - MARGIN.top - MARGIN.bottom + 4);
  ctx.clip();
  const yOf = (v: number) => (spec.log && v <= 0 ? NaN : sy(v));
  for (const line of spec.lines) {
    const xs = line.table.get("step"); // epoch rows sit at the step that ended them
    const raw = line.table.get(line.column);
    const n = line.table.n;
    if (!xs || !raw || n === 0) continue;
    const ys = line.smooth !== undefined && line.smooth > 0 ? ema(raw, n, line.smooth) : raw;
    ctx.globalAlpha = line.alpha ?? 1;
    ctx.strokeStyle = line.color;
    ctx.fillStyle = line.color;
    ctx.lineWidth = line.width;
    ctx.setLineDash(line.dash ?? []);
    const plotWidth = width - MARGIN.left - MARGIN.right;
    if (n > plotWidth * 2) {
      ctx.beginPath();
      for (const [px, lo, hi] of envelope(xs, ys, n, (x) => sx(x))) {
        const a = yOf(lo);
        const b = yOf(hi);
        if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
        ctx.moveTo(px + 0.5, a + 0.5);
        ctx.lineTo(px + 0.5, b - 0.5);
      }
      ctx.stroke();
    } else {
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < n; i++) {
        const py = yOf(ys[i]);
        if (!Number.isFinite(py)) {
          pen = false;
          continue;
        }
        const px = sx(xs[i]);
        if (pen) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
    }
    if (line.dots) {
      for (let i = 0; i < n; i++) {
        const py = yOf(ys[i]);
        if (!Number.isFinite(py)) continue;
        ctx.beginPath();
        ctx.arc(sx(xs[i]), py, 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }
  ctx.restore();

  // divergence marker
  if (spec.divergedStep > 0) {
    const px = Math.round(sx(spec.divergedStep)) + 0.5;
    ctx.strokeStyle = colors.bad;
    ctx.fillStyle = colors.bad;
    ctx.lineWidth = 2;
    ctx.setLineDash([5, 3]);
    ctx.beginPath();
    ctx.moveTo(px, MARGIN.top);
    ctx.lineTo(px, height - MARGIN.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.textAlign = px > width / 2 ? "right" : "left";
    ctx.textBaseline = "top";
    ctx.fillText(`diverged at step ${spec.divergedStep}`, px + (px > width / 2 ? -4 : 4), MARGIN.top + 2);
  }

  // hover crosshair
  if (spec.hoverStep !== null) {
    const px = Math.round(sx(spec.hoverStep)) + 0.5;
    ctx.strokeStyle = "rgba(31,41,51,0.35)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px, MARGIN.top);
    ctx.lineTo(px, height - MARGIN.bottom);
    ctx.stroke();
  }
}

// ---------------------------------------------------------------------------------------------
// View

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const root = widgetRoot(el, "training-monitor");
  const standalone = isStandalone(model);
  const steps = new Table("step");
  const epochs = new Table("epoch");
  let runId = Number(model.get("run_id") ?? 0);
  let hoverStep: number | null = null;
  let pending: "" | "stop" | "pause" | "resume" = "";

  const title = h("div", { class: "dlw-title dlw-monitor-title" });
  const pill = h("span", { class: "dlw-monitor-status", role: "status" });
  const header = h("div", { class: "dlw-row dlw-monitor-header", style: "justify-content:space-between;align-items:center" }, [title, pill]);
  const infoLine = h("div", { class: "dlw-muted dlw-monitor-info" });
  const pauseButton = needsKernel(model, h("button", { class: "dlw-button dlw-monitor-pause", type: "button" }, ["❚❚ Pause"]));
  const stopButton = needsKernel(model, h("button", { class: "dlw-button dlw-monitor-stop", type: "button" }, ["■ Stop"]));
  const bar = h("div", { class: "dlw-monitor-bar", style: "height:100%;width:0%;background:var(--dlw-accent);transition:width 0.2s" });
  const barTrack = h("div", {
    class: "dlw-monitor-progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
    style: "width:220px;height:8px;border-radius:4px;background:var(--dlw-panel);border:1px solid var(--dlw-border);overflow:hidden",
  }, [bar]);
  const progressText = h("span", { class: "dlw-readout dlw-monitor-progress-text", style: "margin-top:0" });
  const toolbar = h("div", { class: "dlw-toolbar" }, [pauseButton, stopButton, barTrack, progressText]);
  const latest = h("div", { class: "dlw-readout dlw-monitor-latest" });
  const lossSurface = createSurface(520, 230);
  lossSurface.canvas.classList.add("dlw-monitor-loss");
  const metricSurface = createSurface(360, 230);
  metricSurface.canvas.classList.add("dlw-monitor-metric");
  const lrSurface = createSurface(520, 90);
  lrSurface.canvas.classList.add("dlw-monitor-lr");
  const charts = h("div", { class: "dlw-row" }, [lossSurface.canvas, metricSurface.canvas]);
  const logBox = h("input", { type: "checkbox", class: "dlw-monitor-log" });
  const smooth = h("input", { type: "range", min: 0, max: 0.99, step: 0.01, class: "dlw-monitor-smoothing", "aria-label": "smoothing" });
  const smoothValue = h("span", { class: "dlw-readout", style: "margin-top:0" });
  const legend = h("div", { class: "dlw-legend" });
  const options = h("div", { class: "dlw-toolbar", style: "margin-top:6px" }, [
    h("label", {}, [logBox, "log-scale loss"]),
    h("label", {}, ["smoothing", smooth, smoothValue]),
    legend,
  ]);
  const hover = h("div", { class: "dlw-readout dlw-monitor-hover dlw-muted" }, ["hover a chart to read a step"]);
  const messageLine = h("div", { class: "dlw-monitor-message" });
  root.append(header, infoLine, toolbar, latest, charts, lrSurface.canvas, options, hover, messageLine);

  const colors = () => ({
    fg: cssVar(root, "--dlw-fg", "#1f2933"),
    muted: cssVar(root, "--dlw-muted", "#616e7c"),
    grid: "#e4e7eb",
    bad: cssVar(root, "--dlw-bad", "#c92a2a"),
    train: cssVar(root, "--dlw-accent", "#2f6fdf"),
    val: cssVar(root, "--dlw-accent-2", "#e8590c"),
  });

  function loadState() {
    steps.clear();
    epochs.clear();
    steps.append(decodeColumns(model.get("steps")));
    epochs.append(decodeColumns(model.get("epochs")));
  }

  function info(): Record<string, any> {
    return (model.get("info") as Record<string, any>) ?? {};
  }

  function metricName(): string | null {
    const metrics: string[] = info().metrics ?? [];
    if (metrics.length) return metrics[0];
    for (const name of steps.cols.keys()) {
      if (!["step", "epoch", "loss", "lr", "time", "grad_norm"].includes(name)) return name;
    }
    return null;
  }

  function updateText() {
    const status: string = model.get("status") ?? "idle";
    const i = info();
    title.textContent = model.get("title") ?? "Training";
    pill.textContent = STATUS_TEXT[status] ?? status;
    pill.dataset.status = status;
    const bad = status === "diverged" || status === "error";
    pill.style.cssText = `padding:2px 10px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:${
      bad ? "var(--dlw-bad)" : ACTIVE.has(status) ? (status === "paused" ? "#b7791f" : "var(--dlw-accent)") : "#52606d"
    }`;
    const parts: string[] = [];
    if (i.model) parts.push(`${i.model}${i.parameters !== undefined ? ` · ${Number(i.parameters).toLocaleString("en-US")} parameters` : ""}`);
    if (i.data) parts.push(`${i.data}${i.train_samples ? ` (${i.train_samples} samples${i.has_val ? " + validation" : ""})` : ""}`);
    if (i.optimizer) parts.push(`${i.optimizer} lr ${formatNumber(Number(i.lr), 3)}`);
    if (i.loss) parts.push(`loss ${i.loss}`);
    if (i.batch_size) parts.push(`batch ${i.batch_size}`);
    if (i.device) parts.push(String(i.device));
    if (i.world_size > 1) parts.push(`${i.world_size} processes (DDP)`);
    infoLine.textContent = parts.join(" · ");

    // progress
    const done = steps.n > 0 ? steps.lastKey() : 0;
    const total: number | null = i.total_steps ?? null;
    const elapsed = Math.max(steps.n ? (steps.get("time")?.[steps.n - 1] ?? 0) : 0, epochs.n ? (epochs.get("time")?.[epochs.n - 1] ?? 0) : 0);
    const epochDone = epochs.n > 0 ? epochs.lastKey() : 0;
    const fraction = total ? Math.min(1, done / total) : 0;
    bar.style.width = `${(fraction * 100).toFixed(1)}%`;
    barTrack.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    const eta = ACTIVE.has(status) ? etaSeconds(done, total, elapsed) : null;
    const lastStepEpoch = steps.n ? (steps.get("epoch")?.[steps.n - 1] ?? 0) : 0;
    const epochNow = ACTIVE.has(status) && i.epochs ? Math.min(i.epochs, epochDone + 1) : Math.max(epochDone, lastStepEpoch);
    progressText.textContent =
      `epoch ${epochNow}/${i.epochs ?? "?"} · step ${done}${total ? `/${total}` : ""} · ${formatDuration(elapsed)} elapsed` +
      (ACTIVE.has(status) ? ` · ETA ${formatDuration(eta)}` : "");

    // latest values
    const metric = metricName();
    const bits: string[] = [];
    const lastOf = (t: Table, name: string) => {
      const col = t.get(name);
      return col && t.n ? col[t.n - 1] : NaN;
    };
    if (steps.n) bits.push(`step loss ${formatNumber(lastOf(steps, "loss"))}`);
    if (epochs.n) {
      bits.push(`epoch loss ${formatNumber(lastOf(epochs, "loss"))}`);
      if (metric && epochs.get(metric)) bits.push(`${metric} ${formatNumber(lastOf(epochs, metric))}`);
      if (epochs.get("val_loss")) bits.push(`val_loss ${formatNumber(lastOf(epochs, "val_loss"))}`);
      if (metric && epochs.get(`val_${metric}`)) bits.push(`val_${metric} ${formatNumber(lastOf(epochs, `val_${metric}`))}`);
    }
    if (steps.n) bits.push(`lr ${formatNumber(lastOf(steps, "lr"))}`);
    latest.textContent = bits.join("   ");

    // buttons
    const active = ACTIVE.has(status);
    if (!standalone) {
      stopButton.disabled = !active || pending === "stop";
      pauseButton.disabled = !active || status === "starting" || pending === "stop";
      stopButton.title = active ? "Stop after the current step (the model keeps its weights)" : "Not training";
      pauseButton.title = status === "paused" ? "Resume training" : "Pause between two steps";
    }
    if (pending === "stop" && active) stopButton.textContent = "Stopping…";
    else stopButton.textContent = "■ Stop";
    if (status === "paused") pauseButton.textContent = pending === "resume" ? "Resuming…" : "▶ Resume";
    else pauseButton.textContent = pending === "pause" && active ? "Pausing…" : "❚❚ Pause";

    const message: string = model.get("message") ?? "";
    messageLine.textContent = message;
    messageLine.className = `dlw-monitor-message ${bad ? "dlw-error" : "dlw-muted"}`;

    smooth.value = String(model.get("smoothing") ?? 0.6);
    smoothValue.textContent = formatNumber(Number(model.get("smoothing") ?? 0.6), 2);
    logBox.checked = Boolean(model.get("log_scale"));
  }

  function updateLegend(metric: string | null) {
    const c = colors();
    const item = (color: string, text: string, alpha = 1) =>
      h("span", {}, [h("span", { class: "dlw-swatch", style: `background:${color};opacity:${alpha}` }), text]);
    const items = [item(c.train, "step (raw)", 0.3), item(c.train, "step (smoothed)"), item(c.fg, "epoch (train)")];
    if (epochs.get("val_loss")) items.push(item(c.val, "epoch (validation)"));
    legend.replaceChildren(...items);
    void metric;
  }

  let frame = 0;
  function draw() {
    frame = 0;
    updateText();
    const c = colors();
    const smoothing = Number(model.get("smoothing") ?? 0.6);
    const xMax = axisEnd();
    const diverged = Number(model.get("diverged_step") ?? -1);
    const epochSteps = epochs.get("step") ?? new Float64Array(0);
    const base = { xMax, hoverStep, divergedStep: diverged, epochSteps, epochCount: epochs.n };
    const lossLines: Line[] = [
      { table: steps, column: "loss", color: c.train, width: 1, alpha: 0.3 },
      { table: steps, column: "loss", color: c.train, width: 2, smooth: smoothing },
      { table: epochs, column: "loss", color: c.fg, width: 1.5, dots: true },
    ];
    if (epochs.get("val_loss")) lossLines.push({ table: epochs, column: "val_loss", color: c.val, width: 1.5, dots: true, dash: [4, 3] });
    drawChart(lossSurface, { ...base, title: `loss (${info().loss ?? ""})`, lines: lossLines, log: Boolean(model.get("log_scale")) }, c);
    const metric = metricName();
    if (metric) {
      const lines: Line[] = [
        { table: steps, column: metric, color: c.train, width: 1, alpha: 0.3 },
        { table: steps, column: metric, color: c.train, width: 2, smooth: smoothing },
        { table: epochs, column: metric, color: c.fg, width: 1.5, dots: true },
      ];
      if (epochs.get(`val_${metric}`)) lines.push({ table: epochs, column: `val_${metric}`, color: c.val, width: 1.5, dots: true, dash: [4, 3] });
      drawChart(metricSurface, { ...base, title: metric, lines, log: false }, c);
      metricSurface.canvas.style.display = "";
    } else if (steps.get("grad_norm")) {
      drawChart(metricSurface, { ...base, title: "gradient norm (before clipping)", lines: [
        { table: steps, column: "grad_norm", color: c.train, width: 1.5 }], log: false }, c);
      metricSurface.canvas.style.display = "";
    } else {
      metricSurface.canvas.style.display = "none";
    }
    drawChart(lrSurface, { ...base, title: "learning rate", lines: [{ table: steps, column: "lr", color: c.val, width: 1.5 }], log: false }, c);
    updateLegend(metric);
    if (hoverStep !== null) showHover(metric);
  }

  function showHover(metric: string | null) {
    if (hoverStep === null) return;
    const i = steps.nearest(hoverStep);
    if (i < 0) return;
    const at = (name: string) => steps.get(name)?.[i] ?? NaN;
    const parts = [`step ${at("step")}`, `epoch ${at("epoch")}`, `loss ${formatNumber(at("loss"), 5)}`];
    if (metric) parts.push(`${metric} ${formatNumber(at(metric), 4)}`);
    parts.push(`lr ${formatNumber(at("lr"), 4)}`);
    if (steps.get("grad_norm")) parts.push(`grad norm ${formatNumber(at("grad_norm"), 4)}`);
    const e = epochs.nearest(at("epoch"));
    if (e >= 0 && epochs.get("epoch")?.[e] === at("epoch")) {
      parts.push(`· epoch ${at("epoch")} mean loss ${formatNumber(epochs.get("loss")?.[e] ?? NaN, 4)}`);
      if (epochs.get("val_loss")) parts.push(`val_loss ${formatNumber(epochs.get("val_loss")?.[e] ?? NaN, 4)}`);
    }
    hover.textContent = parts.join("  ");
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function axisEnd(): number {
    const i = info();
    const last = Math.max(steps.n ? steps.lastKey() : 0, epochs.n ? (epochs.get("step")?.[epochs.n - 1] ?? 0) : 0,
      Number(model.get("diverged_step") ?? -1));
    return stepAxisEnd(last, i.total_steps, i.steps_per_epoch, ACTIVE.has(model.get("status")));
  }

  function onHover(surface: Surface, event: PointerEvent) {
    const [px] = pointerPosition(surface.canvas, event);
    const sx = scaleLinear().domain([0, axisEnd()]).range([MARGIN.left, surface.width - MARGIN.right]);
    hoverStep = Math.max(0, Math.round(sx.invert(px)));
    schedule();
  }
  for (const surface of [lossSurface, metricSurface, lrSurface]) {
    surface.canvas.addEventListener("pointermove", (event) => onHover(surface, event));
    surface.canvas.addEventListener("pointerleave", () => {
      hoverStep = null;
      hover.textContent = "hover a chart to read a step";
      schedule();
    });
  }

  stopButton.addEventListener("click", () => {
    if (standalone) return;
    pending = "stop";
    model.send({ type: "stop" });
    updateText();
  });
  pauseButton.addEventListener("click", () => {
    if (standalone) return;
    const paused = model.get("status") === "paused";
    pending = paused ? "resume" : "pause";
    model.send({ type: paused ? "resume" : "pause" });
    updateText();
  });
  logBox.addEventListener("change", () => {
    model.set("log_scale", logBox.checked);
    model.save_changes();
  });
  smooth.addEventListener("input", () => {
    model.set("smoothing", Number(smooth.value));
    model.save_changes();
  });

  const onCustom = (content: any, buffers?: Array<DataView | ArrayBuffer>) => {
    if (!content || content.type !== "delta") return;
    if (Number(content.run) !== runId) return;
    restorePaths(content, content.buffer_paths ?? [], buffers ?? []);
    steps.append(matrixColumns(content.steps));
    epochs.append(matrixColumns(content.epochs));
    schedule();
  };
  model.on("msg:custom", onCustom);

  const unlisten = listen(model, {
    "change:run_id": () => {
      runId = Number(model.get("run_id") ?? 0);
      pending = "";
      loadState();
      schedule();
    },
    "change:steps": () => {
      steps.append(decodeColumns(model.get("steps")));
      schedule();
    },
    "change:epochs": () => {
      epochs.append(decodeColumns(model.get("epochs")));
      schedule();
    },
    "change:status": () => {
      const status = model.get("status");
      if (pending === "pause" && status === "paused") pending = "";
      if (pending === "resume" && status !== "paused") pending = "";
      if (!ACTIVE.has(status)) pending = "";
      schedule();
    },
    "change:message": schedule,
    "change:info": schedule,
    "change:diverged_step": schedule,
    "change:log_scale": schedule,
    "change:smoothing": schedule,
    "change:title": schedule,
  });

  loadState();
  draw();
  if (!standalone) model.send({ type: "sync" }); // a late view asks for everything so far
  return () => {
    unlisten();
    model.off("msg:custom", onCustom);
    if (frame) cancelAnimationFrame(frame);
  };
}

export default { render };
