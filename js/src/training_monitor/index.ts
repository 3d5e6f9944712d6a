// Live training monitor: loss and metrics per step (raw + smoothed) and per epoch (train and
// validation), progress with ETA, learning rate, Stop and Pause/Resume.
// Rows arrive two ways: coalesced deltas (custom messages with binary columns, ≤ 30/s) and the
// full history in synced state (every 2 s and at the end). Both are merged by step / epoch
// number, so order and duplicates do not matter. Drawing is batched into one animation frame.

import type { AnyModel, RenderProps } from "@anywidget/types";
import { pointerPosition, type Surface } from "../lib/canvas";
import { h, isStandalone, listen, widgetRoot } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { onThemeChange, readTheme, type Theme } from "../lib/theme";
import { drawChart, stepScale, type Line } from "./chart";
import { buildHistogramPanel, drawHistograms } from "./histograms";
import { buildLayersPanel, drawLayers, layersHoverText } from "./layers";
import { buildPanel, HOVER_HINT, metricName, updatePanel, type Panel } from "./panel";
import { stepAxisEnd } from "./progress";
import { ACTIVE, type MonitorView, type TrainingMonitorModel } from "./state";
import { Table } from "./table";
import { decodeColumns, matrixColumns, restorePaths, type DeltaMessage } from "./wire";

type Model = AnyModel<TrainingMonitorModel>;

/** Right end of the step axis for the rows held now. */
function axisEnd(model: Model, view: MonitorView): number {
  const { steps, epochs } = view;
  const info = model.get("info") ?? {};
  const last = Math.max(steps.n ? steps.lastKey() : 0, epochs.n ? (epochs.get("step")?.[epochs.n - 1] ?? 0) : 0,
    Number(model.get("diverged_step") ?? -1));
  return stepAxisEnd(last, info.total_steps, info.steps_per_epoch, ACTIVE.has(model.get("status")));
}

function updateLegend(p: Panel, view: MonitorView, theme: Theme) {
  const item = (color: string, text: string, alpha = 1) =>
    h("span", {}, [h("span", { class: "dlw-swatch", style: `background:${color};opacity:${alpha}` }), text]);
  const items = [item(theme.accent, "step (raw)", 0.3), item(theme.accent, "step (smoothed)"), item(theme.fg, "epoch (train)")];
  if (view.epochs.get("val_loss")) items.push(item(theme.accent2, "epoch (validation)"));
  p.legend.replaceChildren(...items);
}

/** Raw, smoothed and per-epoch (train, validation) lines of one column. */
function seriesLines(view: MonitorView, column: string, smoothing: number, theme: Theme): Line[] {
  const lines: Line[] = [
    { table: view.steps, column, color: theme.accent, width: 1, alpha: 0.3 },
    { table: view.steps, column, color: theme.accent, width: 2, smooth: smoothing },
    { table: view.epochs, column, color: theme.fg, width: 1.5, dots: true },
  ];
  if (view.epochs.get(`val_${column}`)) {
    lines.push({ table: view.epochs, column: `val_${column}`, color: theme.accent2, width: 1.5, dots: true, dash: [4, 3] });
  }
  return lines;
}

function drawCharts(model: Model, view: MonitorView, p: Panel, theme: Theme) {
  const smoothing = Number(model.get("smoothing") ?? 0.6);
  const epochSteps = view.epochs.get("step") ?? new Float64Array(0);
  const base = { xMax: axisEnd(model, view), hoverStep: view.hoverStep, divergedStep: Number(model.get("diverged_step") ?? -1),
    epochSteps, epochCount: view.epochs.n };
  const info = model.get("info") ?? {};
  drawChart(p.loss, { ...base, title: `loss (${info.loss ?? ""})`, lines: seriesLines(view, "loss", smoothing, theme),
    log: Boolean(model.get("log_scale")) }, theme);
  const metric = metricName(info, view.steps);
  if (metric) {
    drawChart(p.metric, { ...base, title: metric, lines: seriesLines(view, metric, smoothing, theme), log: false }, theme);
    p.metric.canvas.style.display = "";
  } else if (view.steps.get("grad_norm")) {
    drawChart(p.metric, { ...base, title: "gradient norm (before clipping)", log: false,
      lines: [{ table: view.steps, column: "grad_norm", color: theme.accent, width: 1.5 }] }, theme);
    p.metric.canvas.style.display = "";
  } else {
    p.metric.canvas.style.display = "none";
  }
  drawChart(p.lr, { ...base, title: "learning rate", lines: [{ table: view.steps, column: "lr", color: theme.accent2, width: 1.5 }], log: false }, theme);
}

/** The values at the hovered step (nearest row) and its epoch's means. */
function hoverText(view: MonitorView, metric: string | null): string | null {
  if (view.hoverStep === null) return null;
  const { steps, epochs } = view;
  const i = steps.nearest(view.hoverStep);
  if (i < 0) return null;
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
  return parts.join("  ");
}

function render({ model, el }: Pick<RenderProps<TrainingMonitorModel>, "model" | "el">) {
  const root = widgetRoot(el, "training-monitor");
  const standalone = isStandalone(model);
  const view: MonitorView = {
    steps: new Table("step"),
    epochs: new Table("epoch"),
    layers: new Table("step"),
    histograms: new Table("key"),
    runId: Number(model.get("run_id") ?? 0),
    hoverStep: null,
    pending: "",
    inspectPending: null,
    frame: 0,
  };
  const p = buildPanel(root, model);
  const layersPanel = buildLayersPanel();
  p.message.before(layersPanel.root);
  const histogramPanel = buildHistogramPanel(() => schedule());
  layersPanel.warnings.before(histogramPanel.root);

  function loadState() {
    view.steps.clear();
    view.epochs.clear();
    view.layers.clear();
    view.histograms.clear();
    view.histograms.append(decodeColumns(model.get("histograms")));
    view.steps.append(decodeColumns(model.get("steps")));
    view.epochs.append(decodeColumns(model.get("epochs")));
    view.layers.append(decodeColumns(model.get("layers")));
  }

  function draw() {
    view.frame = 0;
    updatePanel(p, view, model, standalone);
    const theme = readTheme(root);
    drawCharts(model, view, p, theme);
    updateLegend(p, view, theme);
    const info = model.get("info") ?? {};
    drawLayers(layersPanel, { table: view.layers, info, warnings: model.get("health_warnings") ?? [],
      xMax: axisEnd(model, view), hoverStep: view.hoverStep, theme });
    drawHistograms(histogramPanel, view.histograms, info, theme);
    const text = hoverText(view, metricName(info, view.steps));
    const layerText = layersHoverText(view.layers, info, view.hoverStep);
    if (text !== null) p.hover.textContent = layerText ? `${text}  ·  ${layerText}` : text;
  }
  function schedule() {
    if (!view.frame) view.frame = requestAnimationFrame(draw);
  }

  function onHover(surface: Surface, event: PointerEvent) {
    const [px] = pointerPosition(surface.canvas, event);
    view.hoverStep = Math.max(0, Math.round(stepScale(axisEnd(model, view), surface.width).invert(px)));
    schedule();
  }
  for (const surface of [p.loss, p.metric, p.lr, layersPanel.grad, layersPanel.weight, layersPanel.update, layersPanel.units]) {
    surface.canvas.addEventListener("pointermove", (event) => onHover(surface, event));
    surface.canvas.addEventListener("pointerleave", () => {
      view.hoverStep = null;
      p.hover.textContent = HOVER_HINT;
      schedule();
    });
  }

  const request = (type: "stop" | "pause" | "resume") => {
    view.pending = type;
    model.send({ type });
    updatePanel(p, view, model, standalone);
  };
  p.stopButton.addEventListener("click", () => {
    if (!standalone) request("stop");
  });
  p.pauseButton.addEventListener("click", () => {
    if (!standalone) request(model.get("status") === "paused" ? "resume" : "pause");
  });
  p.logBox.addEventListener("change", () => {
    model.set("log_scale", p.logBox.checked);
    model.save_changes();
  });
  p.inspectBox.addEventListener("change", () => {
    // Python applies it between two steps and answers with the `inspecting` trait
    if (standalone) return;
    view.inspectPending = p.inspectBox.checked;
    model.send({ type: "inspect", on: p.inspectBox.checked });
  });
  p.smooth.addEventListener("input", () => {
    model.set("smoothing", Number(p.smooth.value));
    model.save_changes();
  });

  const onCustom = (content: DeltaMessage, buffers?: Array<DataView | ArrayBuffer>) => {
    if (!content || content.type !== "delta") return;
    if (Number(content.run) !== view.runId) return;
    restorePaths(content as unknown as Record<string, unknown>, content.buffer_paths ?? [], buffers ?? []);
    view.steps.append(matrixColumns(content.steps));
    view.epochs.append(matrixColumns(content.epochs));
    view.layers.append(matrixColumns(content.layers));
    view.histograms.append(matrixColumns(content.histograms));
    schedule();
  };
  model.on("msg:custom", onCustom);

  const unlisten = listen(model, {
    "change:run_id": () => {
      view.runId = Number(model.get("run_id") ?? 0);
      view.pending = "";
      view.inspectPending = null;
      loadState();
      schedule();
    },
    "change:steps": () => {
      view.steps.append(decodeColumns(model.get("steps")));
      schedule();
    },
    "change:epochs": () => {
      view.epochs.append(decodeColumns(model.get("epochs")));
      schedule();
    },
    "change:layers": () => {
      view.layers.append(decodeColumns(model.get("layers")));
      schedule();
    },
    "change:histograms": () => {
      view.histograms.append(decodeColumns(model.get("histograms")));
      schedule();
    },
    "change:health_warnings": schedule,
    "change:status": () => {
      const status = model.get("status");
      if (view.pending === "pause" && status === "paused") view.pending = "";
      if (view.pending === "resume" && status !== "paused") view.pending = "";
      if (!ACTIVE.has(status)) {
        view.pending = "";
        view.inspectPending = null;
      }
      schedule();
    },
    "change:message": schedule,
    "change:info": schedule,
    "change:diverged_step": schedule,
    "change:log_scale": schedule,
    "change:inspecting": () => {
      if (view.inspectPending === Boolean(model.get("inspecting"))) view.inspectPending = null;
      schedule();
    },
    "change:smoothing": schedule,
    "change:title": schedule,
  });
  const stopTheme = onThemeChange(root, schedule);

  loadState();
  draw();
  if (!standalone) model.send({ type: "sync" }); // a late view asks for everything so far
  return () => {
    unlisten();
    stopTheme();
    model.off("msg:custom", onCustom);
    if (view.frame) cancelAnimationFrame(view.frame);
  };
}

export default { render };
