// The elements of a view and their sizes. Class names are what the browser tests and the
// stylesheet find; behaviour is wired by the modules of each concern.

import { createSurface, type Surface } from "../lib/canvas";
import { h, needsKernel } from "../lib/dom";
import type { Model, Tab } from "./state";
import { VIEW_KINDS, VIEW_LABELS } from "./views";

export const PLOT = 460; // scatter plot area (CSS px)
export const MARGIN = { left: 44, top: 10, right: 10, bottom: 34 };
export const DECODED = 184;
export const PATH_STEPS = 12;
export const THUMB = 52;

/** The scatter's plot area in CSS pixels. */
export const plotRect = () => ({ left: MARGIN.left, top: MARGIN.top, width: PLOT, height: PLOT });

export function inPlot(sx: number, sy: number): boolean {
  return sx >= MARGIN.left && sx <= MARGIN.left + PLOT && sy >= MARGIN.top && sy <= MARGIN.top + PLOT;
}

export const TABS: Array<[Tab, string]> = [
  ["point", "Point"],
  ["interp", "Interpolate A→B"],
  ["arith", "A − B + C"],
  ["traverse", "Traverse dims"],
  ["anomalies", "Worst reconstructions"],
];

export interface Elements {
  title: HTMLDivElement;
  status: HTMLSpanElement;
  stopButton: HTMLButtonElement;
  modeSelect: HTMLSelectElement;
  /** What the view drawn keeps and whether hovering decodes (t-SNE/UMAP), or "computing …". */
  viewNote: HTMLDivElement;
  dimX: HTMLSelectElement;
  dimY: HTMLSelectElement;
  dimsLabel: HTMLLabelElement;
  latticeBox: HTMLInputElement;
  latticeN: HTMLInputElement;
  pathTool: HTMLButtonElement;
  panTool: HTMLButtonElement;
  slotButtons: HTMLButtonElement[];
  pathSelect: HTMLSelectElement;
  scatter: Surface;
  legend: HTMLDivElement;
  hoverReadout: HTMLDivElement;
  decoded: Surface;
  /** Above the decoded image: what it shows in the view drawn. */
  decodedHeading: HTMLDivElement;
  decodedCaption: HTMLDivElement;
  pathNote: HTMLDivElement;
  slidersBox: HTMLDivElement;
  loss: Surface;
  pathStrip: Surface;
  pathLabel: HTMLDivElement;
  tabButtons: HTMLButtonElement[];
  panelText: HTMLDivElement;
  panel: Surface;
  /** The user-visible error line (the `error` trait, failed decodes). */
  errorLine: HTMLDivElement;
}

/** Build the view's elements into `root`: header, toolbar, scatter + decoder column, panels. */
export function buildLayout(root: HTMLElement, model: Model): Elements {
  const title = h("div", { class: "dlw-title dlw-latent-title" });
  const status = h("span", { class: "dlw-muted dlw-latent-status" });
  const stopButton = needsKernel(model, h("button", { class: "dlw-button dlw-latent-stop", type: "button" }, ["■ Stop"]));
  const header = h("div", { class: "dlw-toolbar" }, [title, status, stopButton]);

  // enabled on a static page too: the views computed before the export can be chosen there
  const modeSelect = h("select", { class: "dlw-latent-mode", "aria-label": "projection" },
    VIEW_KINDS.map((v) => h("option", { value: v }, [VIEW_LABELS[v]])));
  const dimX = needsKernel(model, h("select", { class: "dlw-latent-dimx", "aria-label": "x dimension" }));
  const dimY = needsKernel(model, h("select", { class: "dlw-latent-dimy", "aria-label": "y dimension" }));
  const dimsLabel = h("label", {}, ["x", dimX, "y", dimY]);
  const latticeBox = h("input", { type: "checkbox", class: "dlw-latent-lattice" });
  const latticeN = h("input", { type: "number", min: 2, max: 32, step: 1, value: 10, class: "dlw-latent-lattice-n", style: "width:4em" });
  const pathTool = h("button", { class: "dlw-button dlw-latent-tool-path", type: "button", title: "drag draws a path; click picks a point" }, ["✎ path"]);
  const panTool = h("button", { class: "dlw-button dlw-latent-tool-pan", type: "button", title: "drag pans (or Shift+drag); wheel zooms; double-click resets" }, ["⇕ pan"]);
  const slotButtons = ["A", "B", "C"].map((s) =>
    h("button", { class: `dlw-button dlw-latent-slot dlw-latent-slot-${s}`, type: "button", title: `the next click sets point ${s}` }, [s]),
  );
  const pathSelect = h("select", { class: "dlw-latent-decode-path", "aria-label": "decoding" }, [
    h("option", { value: "auto" }, ["decode: auto"]),
    h("option", { value: "browser" }, ["decode: in browser"]),
    h("option", { value: "kernel" }, ["decode: kernel"]),
  ]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [
    h("label", {}, ["view", modeSelect]),
    dimsLabel,
    h("label", {}, [latticeBox, "decoded lattice", latticeN]),
    pathTool,
    panTool,
    h("span", { class: "dlw-muted" }, ["click sets"]),
    ...slotButtons,
    pathSelect,
  ]);

  const scatter = createSurface(MARGIN.left + PLOT + MARGIN.right, MARGIN.top + PLOT + MARGIN.bottom, "dlw-canvas dlw-latent-scatter");
  scatter.canvas.tabIndex = 0;
  const legend = h("div", { class: "dlw-legend dlw-latent-legend", style: "flex-wrap:wrap;max-width:520px" });
  const hoverReadout = h("div", { class: "dlw-readout dlw-latent-hover" }, ["move the pointer over the plot to decode"]);
  const left = h("div", {}, [scatter.canvas, legend, hoverReadout]);

  const decoded = createSurface(DECODED, DECODED, "dlw-canvas dlw-latent-decoded");
  const decodedCaption = h("div", { class: "dlw-readout dlw-latent-latency" });
  const pathNote = h("div", { class: "dlw-muted dlw-latent-path-note" });
  const slidersBox = h("div", { class: "dlw-latent-sliders", style: "max-height:220px;overflow-y:auto;margin-top:6px" });
  const loss = createSurface(DECODED, 60, "dlw-canvas dlw-latent-loss");
  loss.canvas.style.display = "none";
  const decodedHeading = h("div", { class: "dlw-muted dlw-latent-decoded-heading" }, ["decoded at the pointer"]);
  const right = h("div", { style: `width:${DECODED + 20}px` }, [
    decodedHeading,
    decoded.canvas,
    decodedCaption,
    pathNote,
    slidersBox,
    loss.canvas,
  ]);
  const row = h("div", { class: "dlw-row" }, [left, right]);

  const pathStrip = createSurface(PATH_STEPS * (THUMB + 4), THUMB + 4, "dlw-canvas dlw-latent-path");
  pathStrip.canvas.style.display = "none"; // until a path is decoded
  const pathLabel = h("div", { class: "dlw-muted" }, ["drag on the plot to draw a path: its decodings appear here"]);

  const tabButtons = TABS.map(([key, label]) =>
    h("button", { class: `dlw-button dlw-latent-tab dlw-latent-tab-${key}`, type: "button" }, [label]),
  );
  const panelText = h("div", { class: "dlw-readout dlw-latent-panel-text", style: "white-space:pre-wrap" });
  const panel = createSurface(680, 120, "dlw-canvas dlw-latent-panel");
  const errorLine = h("div", { class: "dlw-error dlw-latent-problem" });
  const viewNote = h("div", { class: "dlw-muted dlw-latent-view-note", style: "max-width:720px" });
  root.append(header, toolbar, viewNote, errorLine, row, pathLabel, pathStrip.canvas,
    h("div", { class: "dlw-toolbar", style: "margin-top:8px" }, tabButtons), panelText, panel.canvas);

  return {
    title, status, stopButton, modeSelect, viewNote, dimX, dimY, dimsLabel, latticeBox, latticeN, pathTool, panTool,
    slotButtons, pathSelect, scatter, legend, hoverReadout, decoded, decodedHeading, decodedCaption, pathNote, slidersBox,
    loss, pathStrip, pathLabel, tabButtons, panelText, panel, errorLine,
  };
}
