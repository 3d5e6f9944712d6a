// The monitor's DOM: header with status, run description, controls and progress bar, latest
// values, the three chart surfaces, display options with legend, hover readout and message.
// updatePanel writes the text parts from the model and the tables.

import type { AnyModel } from "@anywidget/types";
import { createSurface, type Surface } from "../lib/canvas";
import { h, needsKernel } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { etaSeconds, formatDuration } from "./progress";
import { ACTIVE, STATUS_TEXT, type MonitorView, type TrainingInfo, type TrainingMonitorModel } from "./state";
import type { Table } from "./table";

export interface Panel {
  title: HTMLDivElement;
  pill: HTMLSpanElement;
  infoLine: HTMLDivElement;
  pauseButton: HTMLButtonElement;
  stopButton: HTMLButtonElement;
  bar: HTMLDivElement;
  barTrack: HTMLDivElement;
  progressText: HTMLSpanElement;
  latest: HTMLDivElement;
  loss: Surface;
  metric: Surface;
  lr: Surface;
  logBox: HTMLInputElement;
  /** "inspect layers": per-layer recording on/off during a run (fit(inspect=...)). */
  inspectBox: HTMLInputElement;
  smooth: HTMLInputElement;
  smoothValue: HTMLSpanElement;
  legend: HTMLDivElement;
  hover: HTMLDivElement;
  message: HTMLDivElement;
}

export const HOVER_HINT = "hover a chart to read a step";

export function buildPanel(root: HTMLElement, model: AnyModel<TrainingMonitorModel>): Panel {
  const surface = (width: number, height: number, cls: string) => {
    const s = createSurface(width, height);
    s.canvas.classList.add(cls);
    return s;
  };
  const bar = h("div", { class: "dlw-monitor-bar", style: "height:100%;width:0%;background:var(--dlw-accent);transition:width 0.2s" });
  const p: Panel = {
    title: h("div", { class: "dlw-title dlw-monitor-title" }),
    pill: h("span", { class: "dlw-monitor-status", role: "status" }),
    infoLine: h("div", { class: "dlw-muted dlw-monitor-info" }),
    pauseButton: needsKernel(model, h("button", { class: "dlw-button dlw-monitor-pause", type: "button" }, ["❚❚ Pause"])),
    stopButton: needsKernel(model, h("button", { class: "dlw-button dlw-monitor-stop", type: "button" }, ["■ Stop"])),
    bar,
    barTrack: h("div", {
      class: "dlw-monitor-progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
      style: "width:220px;height:8px;border-radius:4px;background:var(--dlw-panel);border:1px solid var(--dlw-border);overflow:hidden",
    }, [bar]),
    progressText: h("span", { class: "dlw-readout dlw-monitor-progress-text", style: "margin-top:0" }),
    latest: h("div", { class: "dlw-readout dlw-monitor-latest", style: "white-space:pre-wrap" }),
    loss: surface(520, 230, "dlw-monitor-loss"),
    metric: surface(360, 230, "dlw-monitor-metric"),
    lr: surface(520, 90, "dlw-monitor-lr"),
    logBox: h("input", { type: "checkbox", class: "dlw-monitor-log" }),
    inspectBox: needsKernel(model, h("input", { type: "checkbox", class: "dlw-monitor-inspect" })),
    smooth: h("input", { type: "range", min: 0, max: 0.99, step: 0.01, class: "dlw-monitor-smoothing", "aria-label": "smoothing" }),
    smoothValue: h("span", { class: "dlw-readout", style: "margin-top:0" }),
    legend: h("div", { class: "dlw-legend" }),
    hover: h("div", { class: "dlw-readout dlw-monitor-hover dlw-muted" }, [HOVER_HINT]),
    message: h("div", { class: "dlw-monitor-message" }),
  };
  const header = h("div", { class: "dlw-row dlw-monitor-header", style: "justify-content:space-between;align-items:center" }, [p.title, p.pill]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [p.pauseButton, p.stopButton, p.barTrack, p.progressText]);
  const charts = h("div", { class: "dlw-row" }, [p.loss.canvas, p.metric.canvas]);
  const options = h("div", { class: "dlw-toolbar", style: "margin-top:6px" }, [
    h("label", {}, [p.logBox, "log-scale loss"]),
    h("label", { title: "Record per-layer gradient, weight and update norms from the next step (the Layers view)" },
      [p.inspectBox, "inspect layers"]),
    h("label", {}, ["smoothing", p.smooth, p.smoothValue]),
    p.legend,
  ]);
  root.append(header, p.infoLine, toolbar, p.latest, charts, p.lr.canvas, options, p.hover, p.message);
  return p;
}

/** The first metric: the one fit() names, else the first column that is not bookkeeping. */
export function metricName(info: TrainingInfo, steps: Table): string | null {
  const metrics = info.metrics ?? [];
  if (metrics.length) return metrics[0];
  for (const name of steps.cols.keys()) {
    if (!["step", "epoch", "loss", "lr", "time", "grad_norm"].includes(name)) return name;
  }
  return null;
}

/** "Net · 1,234 parameters · mnist (60000 samples + validation) · adam lr 0.001 · …". */
export function describeRun(i: TrainingInfo): string {
  const parts: string[] = [];
  if (i.model) parts.push(`${i.model}${i.parameters !== undefined ? ` · ${Number(i.parameters).toLocaleString("en-US")} parameters` : ""}`);
  if (i.data) parts.push(`${i.data}${i.train_samples ? ` (${i.train_samples} samples${i.has_val ? " + validation" : ""})` : ""}`);
  if (i.optimizer) parts.push(`${i.optimizer} lr ${formatNumber(Number(i.lr), 3)}`);
  if (i.loss) parts.push(`loss ${i.loss}`);
  if (i.batch_size) parts.push(`batch ${i.batch_size}`);
  if (i.device) parts.push(String(i.device));
  if ((i.world_size ?? 1) > 1) parts.push(`${i.world_size} processes (DDP)`);
  return parts.join(" · ");
}

function updateProgress(p: Panel, view: MonitorView, i: TrainingInfo, status: string) {
  const { steps, epochs } = view;
  const done = steps.n > 0 ? steps.lastKey() : 0;
  const total = i.total_steps ?? null;
  const elapsed = Math.max(steps.n ? (steps.get("time")?.[steps.n - 1] ?? 0) : 0, epochs.n ? (epochs.get("time")?.[epochs.n - 1] ?? 0) : 0);
  const epochDone = epochs.n > 0 ? epochs.lastKey() : 0;
  const fraction = total ? Math.min(1, done / total) : 0;
  p.bar.style.width = `${(fraction * 100).toFixed(1)}%`;
  p.barTrack.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
  const active = ACTIVE.has(status);
  const eta = active ? etaSeconds(done, total, elapsed) : null;
  const lastStepEpoch = steps.n ? (steps.get("epoch")?.[steps.n - 1] ?? 0) : 0;
  const epochNow = active && i.epochs ? Math.min(i.epochs, epochDone + 1) : Math.max(epochDone, lastStepEpoch);
  p.progressText.textContent =
    `epoch ${epochNow}/${i.epochs ?? "?"} · step ${done}${total ? `/${total}` : ""} · ${formatDuration(elapsed)} elapsed` +
    (active ? ` · ETA ${formatDuration(eta)}` : "");
}

function latestValues(view: MonitorView, metric: string | null): string {
  const { steps, epochs } = view;
  const bits: string[] = [];
  if (steps.n) bits.push(`step loss ${formatNumber(steps.last("loss"))}`);
  if (epochs.n) {
    bits.push(`epoch loss ${formatNumber(epochs.last("loss"))}`);
    if (metric && epochs.get(metric)) bits.push(`${metric} ${formatNumber(epochs.last(metric))}`);
    if (epochs.get("val_loss")) bits.push(`val_loss ${formatNumber(epochs.last("val_loss"))}`);
    if (metric && epochs.get(`val_${metric}`)) bits.push(`val_${metric} ${formatNumber(epochs.last(`val_${metric}`))}`);
  }
  if (steps.n) bits.push(`lr ${formatNumber(steps.last("lr"))}`);
  return bits.join("   ");
}

function updateButtons(p: Panel, view: MonitorView, status: string, standalone: boolean) {
  const active = ACTIVE.has(status);
  const pending = view.pending;
  if (!standalone) {
    p.stopButton.disabled = !active || pending === "stop";
    p.pauseButton.disabled = !active || status === "starting" || pending === "stop";
    p.stopButton.title = active ? "Stop after the current step (the model keeps its weights)" : "Not training";
    p.pauseButton.title = status === "paused" ? "Resume training" : "Pause between two steps";
  }
  p.stopButton.textContent = pending === "stop" && active ? "Stopping…" : "■ Stop";
  if (status === "paused") p.pauseButton.textContent = pending === "resume" ? "Resuming…" : "▶ Resume";
  else p.pauseButton.textContent = pending === "pause" && active ? "Pausing…" : "❚❚ Pause";
}

/** Status pill background: fixed colours that keep its white text readable (WCAG AA) on both
 * themes, since the theme's own accent is lighter in the dark theme. */
export function pillColour(status: string): string {
  if (status === "diverged" || status === "error") return "#c92a2a";
  if (status === "paused") return "#8f5b0a";
  return ACTIVE.has(status) ? "#2f6fdf" : "#52606d";
}

/** Write every text part of the panel from the model and the tables. */
export function updatePanel(p: Panel, view: MonitorView, model: AnyModel<TrainingMonitorModel>, standalone: boolean): void {
  const status = model.get("status") ?? "idle";
  const info = model.get("info") ?? {};
  p.title.textContent = model.get("title") ?? "Training";
  p.pill.textContent = STATUS_TEXT[status] ?? status;
  p.pill.dataset.status = status;
  const bad = status === "diverged" || status === "error";
  p.pill.style.cssText = `padding:2px 10px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:${pillColour(status)}`;
  p.infoLine.textContent = describeRun(info);
  updateProgress(p, view, info, status);
  p.latest.textContent = latestValues(view, metricName(info, view.steps));
  updateButtons(p, view, status, standalone);
  p.message.textContent = model.get("message") ?? "";
  p.message.className = `dlw-monitor-message ${bad ? "dlw-error" : "dlw-muted"}`;
  const smoothing = Number(model.get("smoothing") ?? 0.6);
  p.smooth.value = String(smoothing);
  p.smoothValue.textContent = formatNumber(smoothing, 2);
  p.logBox.checked = Boolean(model.get("log_scale"));
  p.inspectBox.checked = view.inspectPending ?? Boolean(model.get("inspecting"));
  if (!standalone) p.inspectBox.disabled = !ACTIVE.has(status);
}
