// The widget's DOM: toolbars, settings, formula and notes, the canvas stage, readouts, gallery
// and the cell editor. Class names here are what the browser tests and the stylesheet find.

import { createSurface, type Surface } from "../lib/canvas";
import { h, needsKernel, widgetRoot } from "../lib/dom";
import { offlineOrKernel, type OfflineTable } from "../lib/offline";
import type { Model, ViewName } from "./state";

export const VIEWS: ViewName[] = ["conv", "pool", "transposed"];
const VIEW_LABELS: Record<ViewName, string> = {
  conv: "Convolution",
  pool: "Activation + pooling",
  transposed: "Transposed (adjoint)",
};
const SPEEDS = [1, 2, 4, 8, 15, 30, 60];

export interface Ui {
  root: HTMLDivElement;
  title: HTMLDivElement;
  viewButtons: Record<ViewName, HTMLButtonElement>;
  filterSelect: HTMLSelectElement;
  channelSelect: HTMLSelectElement;
  speedSelect: HTMLSelectElement;
  filterLabel: HTMLLabelElement;
  channelLabel: HTMLLabelElement;
  strideH: HTMLInputElement;
  strideW: HTMLInputElement;
  dilH: HTMLInputElement;
  dilW: HTMLInputElement;
  padSelect: HTMLSelectElement;
  modeSelect: HTMLSelectElement;
  actSelect: HTMLSelectElement;
  poolSelect: HTMLSelectElement;
  poolSize: HTMLInputElement;
  formula: HTMLDivElement;
  note: HTMLDivElement;
  /** "offline: n precomputed settings" in a static page with precomputed states. */
  offlineNote: HTMLDivElement;
  error: HTMLDivElement;
  stage: HTMLDivElement;
  timelineHolder: HTMLDivElement;
  sum: HTMLDivElement;
  hoverLine: HTMLDivElement;
  editHint: HTMLDivElement;
  galleryTitle: HTMLDivElement;
  gallery: HTMLDivElement;
  editor: HTMLInputElement;
}

/** Views, filter, channel and speed: these work without Python. */
function viewBar(ui: Pick<Ui, "viewButtons" | "filterLabel" | "channelLabel" | "speedSelect">): HTMLDivElement {
  const bar = h("div", { class: "dlw-toolbar dlw-views", role: "tablist" });
  for (const v of VIEWS) bar.appendChild(ui.viewButtons[v]);
  bar.append(ui.filterLabel, ui.channelLabel, h("label", {}, ["speed", ui.speedSelect]));
  return bar;
}

/** Build the DOM of one view inside `el`, with the canvas on the stage. */
export function buildUi(model: Model, el: HTMLElement, surface: Surface, offline: OfflineTable | null = null): Ui {
  const root = widgetRoot(el, "conv-stepper");
  root.style.position = "relative";
  const viewButtons = {} as Record<ViewName, HTMLButtonElement>;
  for (const v of VIEWS) viewButtons[v] = h("button", { class: "dlw-button dlw-view", type: "button", "data-view": v, role: "tab" }, [VIEW_LABELS[v]]);
  const filterSelect = h("select", { class: "dlw-filter", "aria-label": "filter" });
  const channelSelect = h("select", { class: "dlw-channel", "aria-label": "input channel" });
  const speedSelect = h("select", { class: "dlw-speed", "aria-label": "speed" });
  for (const s of SPEEDS) speedSelect.appendChild(h("option", { value: s }, [`${s} steps/s`]));
  const filterLabel = h("label", {}, ["filter", filterSelect]);
  const channelLabel = h("label", {}, ["channel", channelSelect]);

  // settings that need Python
  // (in a static page, stride / padding / dilation answer from precomputed states when there are)
  const num = (cls: string, label: string, min: number, max: number, setting = "") => {
    const input = h("input", { type: "number", min, max, step: 1, class: `dlw-num ${cls}`, "aria-label": label, style: "width:3.6em" });
    if (!offline?.has(setting)) return needsKernel(model, input);
    const values = offline.values(setting);
    input.min = String(Math.min(...values));
    input.max = String(Math.max(...values));
    return offlineOrKernel(model, offline, setting, input);
  };
  const select = (cls: string, label: string) => needsKernel(model, h("select", { class: cls, "aria-label": label }));
  const ui: Ui = {
    root,
    title: h("div", { class: "dlw-title dlw-conv-title" }),
    viewButtons,
    filterSelect,
    channelSelect,
    speedSelect,
    filterLabel,
    channelLabel,
    strideH: num("dlw-stride-h", "stride rows", 1, 16, "stride"),
    strideW: num("dlw-stride-w", "stride cols", 1, 16, "stride"),
    dilH: num("dlw-dilation-h", "dilation rows", 1, 16, "dilation"),
    dilW: num("dlw-dilation-w", "dilation cols", 1, 16, "dilation"),
    padSelect: offlineOrKernel(model, offline, "padding", h("select", { class: "dlw-padding", "aria-label": "padding" })),
    modeSelect: select("dlw-padding-mode", "padding mode"),
    actSelect: select("dlw-activation", "activation"),
    poolSelect: select("dlw-pool", "pooling"),
    poolSize: num("dlw-pool-size", "pool size", 1, 8),
    formula: h("div", { class: "dlw-formula dlw-conv-formula" }),
    note: h("div", { class: "dlw-muted dlw-conv-note" }),
    offlineNote: h("div", { class: "dlw-muted dlw-offline-note" }),
    error: h("div", { class: "dlw-error dlw-conv-error" }),
    stage: h("div", { class: "dlw-conv-stage", tabindex: 0, "aria-label": "convolution steps (arrow keys step)" }, [surface.canvas]),
    timelineHolder: h("div", { class: "dlw-timeline-holder" }),
    sum: h("div", { class: "dlw-readout dlw-sum" }),
    hoverLine: h("div", { class: "dlw-readout dlw-hover-readout dlw-muted" }),
    editHint: h("div", { class: "dlw-muted dlw-edit-hint" }),
    galleryTitle: h("div", { class: "dlw-muted dlw-gallery-title" }),
    gallery: h("div", { class: "dlw-row dlw-gallery" }),
    editor: h("input", { type: "text", class: "dlw-cell-editor", "aria-label": "new value" }),
  };
  const settingsBar = h("div", { class: "dlw-toolbar dlw-settings" }, [
    h("label", {}, ["stride", ui.strideH, "×", ui.strideW]),
    h("label", {}, ["padding", ui.padSelect, ui.modeSelect]),
    h("label", {}, ["dilation", ui.dilH, "×", ui.dilW]),
    h("label", {}, ["activation", ui.actSelect]),
    h("label", {}, ["pool", ui.poolSelect, ui.poolSize]),
  ]);
  ui.stage.style.outline = "none";
  ui.gallery.style.gap = "8px";
  Object.assign(ui.editor.style, { position: "absolute", display: "none", zIndex: "5", width: "5em", fontSize: "12px" });
  if (offline) {
    const precomputed = offline.data.groups.map((g) => `${g.states.length} precomputed settings (${g.controls.map((c) => `${c.name} ${c.values.join("/")}`).join(" × ")})`);
    ui.offlineNote.textContent = precomputed.length ? `offline: ${precomputed.join("; ")}; exact states computed by PyTorch at export` : "";
  } else ui.offlineNote.style.display = "none";
  root.append(ui.title, viewBar(ui), settingsBar, ui.offlineNote, ui.formula, ui.note, ui.error, ui.stage, ui.timelineHolder, ui.sum, ui.hoverLine, ui.editHint, ui.galleryTitle, ui.gallery, ui.editor);
  return ui;
}

/** Replace a select's options and pick `current`. */
export function fillSelect(select: HTMLSelectElement, values: Array<[string, string]>, current: string) {
  select.replaceChildren(...values.map(([value, text]) => h("option", { value }, [text])));
  select.value = current;
}
