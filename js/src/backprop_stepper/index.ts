// Backpropagation stepper: one SGD step of a real PyTorch model, number by number. Python traces
// the step with torch (every array of it is in synced state), so stepping forward and back,
// selecting a neuron and hovering an edge work in the browser alone, also in a static export.
// Edits (a weight, an input), the learning rate and "apply step" go back to Python as requests.
//
// This file wires the modules together: ui (DOM), layout (where things go), draw (canvas),
// text (the step's words and numbers), steps (frame order) and data (decoded arrays).

import type { RenderProps } from "@anywidget/types";
import { createSurface, pointerPosition } from "../lib/canvas";
import { enterClicks, isStandalone, listen, ownKeys } from "../lib/dom";
import { onThemeChange } from "../lib/theme";
import { createTimeline } from "../lib/timeline";
import { createTooltip } from "../lib/tooltip";
import { at, decodeArrays } from "./data";
import { createDepthView, drawDepth, type DepthView } from "./depth";
import { draw } from "./draw";
import { createHistoryView, decodeHistory, drawHistory, type HistoryView } from "./history";
import { canvasSize, hitTest, layoutGraph } from "./layout";
import { createViewState, type BackpropStepperModel, type EditTarget, type Stepper } from "./state";
import { frameCount, stepLabel } from "./steps";
import { autogradLine, edgeChain, nodeLines, stepLines, type View } from "./text";
import { buildUi } from "./ui";

function view(s: Stepper): View | null {
  const { net, data } = s.state;
  if (!net || !data) return null;
  const sel = s.model.get("selected") ?? [1, 0];
  return { net, data, frame: s.state.frame, sample: s.model.get("sample") ?? 0, selected: [sel[0] ?? 1, sel[1] ?? 0] };
}

function syncText(s: Stepper) {
  const v = view(s);
  const { ui } = s;
  ui.title.textContent = s.model.get("title") ?? "";
  ui.error.textContent = s.model.get("error") ?? "";
  if (!v) return;
  ui.note.textContent = v.net.dense_reason;
  ui.stepText.replaceChildren(...stepLines(v).map((line) => {
    const div = document.createElement("div");
    div.textContent = line;
    return div;
  }));
  ui.autograd.textContent = autogradLine(v.net);
  const e = s.state.edit;
  ui.editLabel.textContent = e ? `${e.label} =` : "click a weight or an input to edit it";
  if (e && document.activeElement !== ui.editValue) ui.editValue.value = String(Number(e.value.toPrecision(6)));
  if (document.activeElement !== ui.lrInput) ui.lrInput.value = String(v.net.lr);
  fillSelect(ui.activationSelect, v.net.hidden_activation ? v.net.activations : [], v.net.hidden_activation);
  fillSelect(ui.initSelect, v.net.inits, v.net.init);
}

/** Options of a select (plus the current value when it is not one of them, e.g. "mixed"). */
function fillSelect(select: HTMLSelectElement, options: string[], current: string) {
  const all = options.includes(current) || !current ? options : [current, ...options];
  if (select.options.length !== all.length || Array.from(select.options).some((o, i) => o.value !== all[i])) {
    select.replaceChildren(...all.map((name) => {
      const o = document.createElement("option");
      o.value = name;
      o.textContent = name;
      return o;
    }));
  }
  select.value = current;
  (select.parentElement as HTMLElement).style.display = all.length ? "" : "none";
}

/** A new trace from Python: decode it, lay out the graph, rebuild the timeline, redraw. */
function load(s: Stepper) {
  const net = s.model.get("network");
  if (!net || !net.layers) return;
  s.state.net = net;
  s.state.data = decodeArrays(s.model.get("arrays"));
  s.state.pending = false;
  s.ui.root.dataset.pending = "false";
  const [w, hgt] = canvasSize(net.widths, net.dense);
  if (s.surface.width !== w || s.surface.height !== hgt) s.surface.resize(w, hgt);
  s.state.graph = layoutGraph(net.widths, net.dense, w, hgt);
  // where the neurons and matrices are, for tests and tools that point at them
  const g = s.state.graph;
  s.surface.canvas.dataset.layout = JSON.stringify({
    dense: g.dense,
    nodes: g.nodes.map((layer) => layer.map((n) => [n.x, n.y, n.r])),
    columns: g.columns.map((c) => [c.x, c.top, c.height]),
    matrices: g.matrices.map((m) => [m.x, m.y, m.w, m.h]),
  });
  const frames = frameCount(net.layers.length);
  const opts = s.ui.sampleSelect;
  opts.replaceChildren(...Array.from({ length: net.batch }, (_, i) => {
    const o = document.createElement("option");
    o.value = String(i);
    o.textContent = String(i);
    return o;
  }));
  opts.value = String(s.model.get("sample") ?? 0);
  s.ui.sampleLabel.style.display = net.batch > 1 ? "" : "none";
  if (s.state.edit) refreshEdit(s, s.state.edit);
  if (!s.state.timeline) {
    const timeline = createTimeline({
      frames,
      fps: 1.5,
      label: (f) => stepLabel(f, s.state.net?.layers.length ?? 1),
      onFrame: (f) => {
        s.state.frame = f;
        if (s.model.get("step_index") !== f) {
          s.model.set("step_index", f);
          s.model.save_changes();
        }
        syncText(s);
        s.requestDraw();
      },
    });
    s.state.timeline = timeline;
    s.ui.timelineHolder.appendChild(timeline.el);
    timeline.bindKeys(s.ui.stage);
    timeline.setFrame(Math.min(s.model.get("step_index") ?? 0, frames - 1));
  } else {
    s.state.timeline.setFrames(frames);
  }
  syncText(s);
  s.requestDraw();
}

/** The current value of an edit target after a new trace. */
function refreshEdit(s: Stepper, e: EditTarget) {
  const data = s.state.data;
  if (!data) return;
  if (e.target === "weight") e.value = at(data, `${e.layer}.weight`, e.index[0], e.index[1]);
  else if (e.target === "x") e.value = at(data, "x", e.index[0], e.index[1]);
}

function select(s: Stepper, layer: number, neuron: number) {
  s.model.set("selected", [layer, neuron]);
  s.model.save_changes();
}

function bindPointer(s: Stepper) {
  const canvas = s.surface.canvas;
  canvas.addEventListener("mousemove", (event) => {
    const g = s.state.graph;
    const v = view(s);
    if (!g || !v) return;
    const [x, y] = pointerPosition(canvas, event);
    const hit = hitTest(g, x, y);
    const changed = JSON.stringify(hit) !== JSON.stringify(s.state.hover);
    s.state.hover = hit;
    if (!hit) s.tooltip.hide();
    else if (hit.kind === "edge") s.tooltip.showAt(event, edgeChain(v, hit.layer, hit.to, hit.from));
    else s.tooltip.showAt(event, nodeLines(v, hit.layer, hit.neuron));
    if (changed) s.requestDraw();
  });
  canvas.addEventListener("mouseleave", () => {
    s.state.hover = null;
    s.tooltip.hide();
    s.requestDraw();
  });
  canvas.addEventListener("click", (event) => {
    const g = s.state.graph;
    if (!g) return;
    const [x, y] = pointerPosition(canvas, event);
    const hit = hitTest(g, x, y);
    s.ui.stage.focus();
    if (!hit) return;
    const sample = s.model.get("sample") ?? 0;
    if (hit.kind === "node") {
      select(s, hit.layer, hit.neuron);
      if (hit.layer === 0) s.state.edit = { target: "x", layer: 0, index: [sample, hit.neuron], label: `x[${hit.neuron}]`, value: 0 };
    } else {
      select(s, hit.layer, hit.to);
      s.state.edit = { target: "weight", layer: hit.layer, index: [hit.to, hit.from], label: `W${hit.layer}[${hit.to}, ${hit.from}]`, value: 0 };
    }
    if (s.state.edit) refreshEdit(s, s.state.edit);
    syncText(s);
  });
}

function send(s: Stepper, content: Record<string, unknown>) {
  s.state.pending = true;
  s.ui.root.dataset.pending = "true";
  s.model.send(content);
}

function bindControls(s: Stepper) {
  const { ui } = s;
  ui.sampleSelect.addEventListener("change", () => {
    s.model.set("sample", Number(ui.sampleSelect.value));
    s.model.save_changes();
  });
  ui.editButton.addEventListener("click", () => {
    const e = s.state.edit;
    const value = Number(ui.editValue.value);
    if (!e || ui.editValue.value.trim() === "" || !Number.isFinite(value)) return;
    send(s, { type: "edit", target: e.target, layer: e.layer, index: e.index, value });
  });
  enterClicks(ui.editValue, ui.editButton);
  ui.lrInput.addEventListener("change", () => {
    const value = Number(ui.lrInput.value);
    if (Number.isFinite(value)) send(s, { type: "lr", value });
  });
  ui.applyButton.addEventListener("click", () => send(s, { type: "apply" }));
  ui.trainButton.addEventListener("click", () => send(s, { type: "train", k: 10 }));
  ui.activationSelect.addEventListener("change", () => send(s, { type: "activation", value: ui.activationSelect.value }));
  ui.initSelect.addEventListener("change", () => send(s, { type: "init", value: ui.initSelect.value, seed: 0 }));
  // up / down move the selected neuron within its layer
  ui.stage.addEventListener("keydown", (event) => {
    const net = s.state.net;
    if (!net || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    const [layer, neuron] = s.model.get("selected") ?? [1, 0];
    const n = net.widths[layer] ?? 1;
    select(s, layer, (neuron + (event.key === "ArrowDown" ? 1 : n - 1)) % n);
  });
}

function render({ model, el }: Pick<RenderProps<BackpropStepperModel>, "model" | "el">) {
  const surface = createSurface(600, 300);
  const ui = buildUi(model, el, surface);
  const depth: DepthView = createDepthView();
  ui.root.insertBefore(depth.el, ui.error);
  const history: HistoryView = createHistoryView();
  ui.root.insertBefore(history.el, ui.error);
  const s: Stepper = {
    model,
    standalone: isStandalone(model),
    ui,
    surface,
    tooltip: createTooltip(ui.root),
    state: createViewState(),
    requestDraw: () => {},
  };
  s.requestDraw = () => {
    if (s.state.raf) return;
    s.state.raf = requestAnimationFrame(() => {
      s.state.raf = 0;
      draw(s);
      const { net, data } = s.state;
      if (net && data) drawDepth(depth, ui.root, net, data, s.state.frame);
      drawHistory(history, ui.root, decodeHistory(model.get("history")), net ? net.loss_value : NaN);
    });
  };
  ownKeys(ui.stage);
  ownKeys(ui.editValue);
  ownKeys(ui.lrInput);
  bindPointer(s);
  bindControls(s);
  const redraw = () => {
    syncText(s);
    s.requestDraw();
  };
  const unlisten = listen(model, {
    "change:network": () => load(s),
    "change:arrays": () => load(s),
    "change:selected": redraw,
    "change:sample": () => {
      s.ui.sampleSelect.value = String(model.get("sample") ?? 0);
      redraw();
    },
    "change:step_index": () => {
      const k = model.get("step_index") ?? 0;
      if (s.state.timeline && s.state.timeline.frame !== k) s.state.timeline.setFrame(k);
    },
    "change:error": () => {
      s.state.pending = false;
      s.ui.root.dataset.pending = "false";
      syncText(s);
    },
    "change:title": () => syncText(s),
    "change:history": () => s.requestDraw(),
  });
  const unwatchTheme = onThemeChange(ui.root, () => s.requestDraw());
  load(s);
  return () => {
    unlisten();
    unwatchTheme();
    s.state.timeline?.destroy();
    s.tooltip.destroy();
    if (s.state.raf) cancelAnimationFrame(s.state.raf);
  };
}

export default { render };
