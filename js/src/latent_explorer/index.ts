// Latent-space explorer: the codes of a data set as a scatter (every point drawn, 100k+ via a
// raw pixel buffer), next to a decoder view. Moving the pointer decodes the point under it:
// in the browser when the decoder is a small MLP shipped in state, else through the kernel (one
// request in flight, the newest pointer position replaces a pending one), else (static page)
// from a precomputed grid. Drag draws a path whose decodings appear as a strip; the lattice
// overlays decodings over the visible region; clicks pick points for the reconstruction,
// interpolation (linear and slerp), arithmetic (A − B + C) and traversal views.
//
// This module wires the concerns together: state.ts (synced traits, view state), layout.ts
// (elements), data.ts (reading state), decode.ts, scatter.ts + overlays.ts, panel.ts,
// controls.ts, interactions.ts and training.ts.

import type { RenderProps } from "@anywidget/types";
import { isStandalone, listen, widgetRoot } from "../lib/dom";
import { onThemeChange } from "../lib/theme";
import { Coalescer } from "./coalescer";
import { bindControls, buildSliders, syncControls } from "./controls";
import { readCodes, readColors, readMLP, readOutput, readPlane, reproject } from "./data";
import { decodePath, onDecodeReply, repaintDecodings, requestLattice } from "./decode";
import { refreshTheme } from "./ink";
import { buildLayout } from "./layout";
import { bindPanel, drawPanel } from "./panel";
import { bindScatter } from "./interactions";
import { drawScatter } from "./scatter";
import { createViewState, type CustomMessage, type DecodeRequest, type Explorer, type LatentExplorerModel, type Stats } from "./state";
import { drawLoss, onTrain } from "./training";
import { isEmbedding } from "./views";

/** One view's context: elements, view state, timing stats and the kernel request queue. */
function createExplorer(model: Explorer["model"], root: HTMLElement): Explorer {
  const s = createViewState();
  const requestMeta = new Map<number, DecodeRequest>();
  const coalescer = new Coalescer<DecodeRequest>((purpose, id, p) => {
    requestMeta.set(id, p);
    // a data point's own reconstruction goes by its index: Python decodes only its code
    if (purpose === "nearest") return model.send({ type: "decode_point", id, index: p.index });
    const buf = Float32Array.from(p.z).buffer;
    model.send({ type: "decode", id, purpose }, undefined, [buf]);
  });
  const stats: Stats = {
    hover: [],
    hoverWork: [],
    hoverPath: [],
    last: null,
    frames: [],
    drawMs: [],
    kernelMs: [],
    requests: () => ({ sent: coalescer.sent, dropped: coalescer.dropped }),
    lattice: () => (s.lattice ? { view: { ...s.lattice.view }, n: s.lattice.n, values: Array.from(s.lattice.values) } : null),
    drawn: 0,
  };
  (root as HTMLElement & { dlwStats?: Stats }).dlwStats = stats;
  const x: Explorer = {
    model,
    root,
    standalone: isStandalone(model),
    el: buildLayout(root, model),
    s,
    stats,
    coalescer,
    requestMeta,
    requestDraw() {
      if (!s.raf) s.raf = requestAnimationFrame(() => { s.raf = 0; drawScatter(x); });
    },
  };
  return x;
}

/** The plane from state, with its sliders and the controls that depend on it. */
function onPlane(x: Explorer): void {
  if (!readPlane(x)) return;
  buildSliders(x);
  syncControls(x);
}

const decodeNote = (x: Explorer): string => {
  const how = decodePath(x);
  const { model } = x;
  return how === "browser" ? `decoding in the browser (MLP, ${model.get("decoder_mlp")?.params ?? "?"} parameters, float32)`
    : how === "kernel" ? `decoding through the kernel (${model.get("mlp_reason") || "no MLP decoder"})`
    : how === "grid" ? "static page: the nearest cell of a precomputed decoded grid"
    : "static page: decoding needs a kernel";
};

/** The view chosen or its embedding changed: place the points anew and forget the hover. */
function onView(x: Explorer): void {
  const { s } = x;
  const before = s.viewKind;
  reproject(x, false);
  if (s.viewKind !== before) {
    s.hoverPoint = null;
    s.hoverIndex = -1;
    s.path = [];
    s.pathDecoded = null;
    s.lattice = null;
    x.el.hoverReadout.textContent = isEmbedding(s.viewKind)
      ? "move the pointer over a point: this view is not invertible, so it shows the nearest data point"
      : "move the pointer over the plot to decode";
    requestLattice(x);
  }
  syncControls(x);
  x.requestDraw();
}

/** Read the whole state and redraw everything (first render, decode path change, end of training). */
function full(x: Explorer): void {
  const { model, el, s } = x;
  readCodes(x);
  readOutput(x);
  readMLP(x);
  onPlane(x);
  readColors(x);
  reproject(x, true);
  syncControls(x);
  el.title.textContent = `Latent space · ${model.get("model_name") || model.get("model_kind")} · ${s.n.toLocaleString()} points · ${s.d}-D codes`;
  el.status.textContent = model.get("status") || "";
  el.stopButton.style.display = model.get("training") ? "" : "none";
  el.errorLine.textContent = model.get("error") || "";
  el.pathNote.textContent = decodeNote(x);
  if (x.standalone) {
    for (const b of [...el.slotButtons]) b.title = `the next click sets point ${b.textContent}`;
  }
  s.lattice = null;
  requestLattice(x);
  refreshTheme(x);
  repaintDecodings(x);
  drawLoss(x);
  drawPanel(x);
  x.requestDraw();
}

/** JupyterLab switched light/dark: repaint everything drawn in theme colours. */
function onTheme(x: Explorer): void {
  readColors(x); // reads the new theme; unlabelled points take its accent
  if (x.s.lattice) x.s.lattice.atlas = null;
  repaintDecodings(x);
  drawLoss(x);
  drawPanel(x);
  x.requestDraw();
}

function onCustom(x: Explorer, content: CustomMessage | null, buffers: Array<DataView | ArrayBuffer>): void {
  if (!content || typeof content !== "object") return;
  if (content.type === "train") return onTrain(x, content, buffers);
  if (content.type === "decoded" || content.type === "error") onDecodeReply(x, content, buffers);
}

/** Model events → what each one changes. */
function modelHandlers(x: Explorer): Record<string, (...args: any[]) => void> {
  const { model, el, s } = x;
  const redraw = () => x.requestDraw();
  const panelAndPlot = () => { drawPanel(x); redraw(); };
  const selectionChanged = () => { s.localCache = null; panelAndPlot(); };
  return {
    "change:latent_codes": () => { readCodes(x); reproject(x, false); redraw(); },
    "change:plane": () => { onPlane(x); reproject(x, true); syncControls(x); s.lattice = null; requestLattice(x); redraw(); },
    "change:sliders": () => {
      const sl: number[] = model.get("sliders") ?? [];
      if (s.plane && sl.length === s.plane.k && sl.some((v, i) => v !== s.sliders[i])) {
        s.sliders = Float64Array.from(sl);
        buildSliders(x);
      }
    },
    "change:decoder_mlp": () => { readMLP(x); syncControls(x); },
    "change:output": () => { readOutput(x); redraw(); },
    "change:label_values": () => { readColors(x); redraw(); },
    "change:label_names": () => { readColors(x); redraw(); },
    "change:grid": () => { if (decodePath(x) === "grid") s.lattice = null; redraw(); },
    "change:show_lattice": () => { syncControls(x); s.lattice = null; requestLattice(x); redraw(); },
    "change:lattice_n": () => { syncControls(x); s.lattice = null; requestLattice(x); },
    "change:decode_path": () => { syncControls(x); full(x); },
    "change:projection_mode": () => onView(x),
    "change:embeddings": () => onView(x),
    "change:view_status": () => syncControls(x),
    "change:views_unavailable": () => syncControls(x),
    "change:dims": () => syncControls(x),
    "change:interpolation": panelAndPlot,
    "change:arithmetic_result": panelAndPlot,
    "change:traversal": () => drawPanel(x),
    "change:detail": () => drawPanel(x),
    "change:anomalies": () => drawPanel(x),
    "change:selected": selectionChanged,
    "change:focus": selectionChanged,
    "change:history": () => drawLoss(x),
    "change:status": () => { el.status.textContent = model.get("status") || ""; },
    "change:error": () => { el.errorLine.textContent = model.get("error") || ""; },
    "change:training": () => {
      el.stopButton.style.display = model.get("training") ? "" : "none";
      if (!model.get("training")) full(x);
    },
    "msg:custom": (content: CustomMessage | null, buffers: Array<DataView | ArrayBuffer>) => onCustom(x, content, buffers),
  };
}

function render({ model, el }: Pick<RenderProps<LatentExplorerModel>, "model" | "el">) {
  const root = widgetRoot(el, "latent-explorer");
  const x = createExplorer(model, root);
  bindControls(x);
  bindScatter(x);
  bindPanel(x);
  const stopListening = listen(model, modelHandlers(x));
  const stopTheme = onThemeChange(root, () => onTheme(x));
  full(x);
  return () => {
    cancelAnimationFrame(x.s.raf);
    stopListening();
    stopTheme();
  };
}

export default { render };
