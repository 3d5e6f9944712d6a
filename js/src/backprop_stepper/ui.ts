// The widget's DOM: title, note, the canvas stage, the shared timeline, the step's text, the
// autograd check and the editing row. Class names here are what the browser tests find.

import type { Surface } from "../lib/canvas";
import { h, needsKernel, widgetRoot } from "../lib/dom";
import type { Model } from "./state";

export interface Ui {
  root: HTMLDivElement;
  title: HTMLDivElement;
  note: HTMLDivElement;
  stage: HTMLDivElement;
  timelineHolder: HTMLDivElement;
  stepText: HTMLDivElement;
  autograd: HTMLDivElement;
  sampleLabel: HTMLLabelElement;
  sampleSelect: HTMLSelectElement;
  editLabel: HTMLSpanElement;
  editValue: HTMLInputElement;
  editButton: HTMLButtonElement;
  lrInput: HTMLInputElement;
  applyButton: HTMLButtonElement;
  trainButton: HTMLButtonElement;
  activationSelect: HTMLSelectElement;
  initSelect: HTMLSelectElement;
  error: HTMLDivElement;
}

export function buildUi(model: Model, el: HTMLElement, surface: Surface): Ui {
  const root = widgetRoot(el, "backprop-stepper");
  root.style.position = "relative";
  const title = h("div", { class: "dlw-title" });
  const note = h("div", { class: "dlw-muted dlw-bp-note" });
  const stage = h("div", { class: "dlw-bp-stage", tabindex: 0, "aria-label": "network; arrow keys step" });
  stage.appendChild(surface.canvas);
  const timelineHolder = h("div", { class: "dlw-bp-timeline" });
  const stepText = h("div", { class: "dlw-formula dlw-bp-step", "aria-live": "polite" });
  stepText.style.whiteSpace = "pre-wrap";
  stepText.style.minHeight = "7.5em";
  stepText.style.marginTop = "6px";
  const autograd = h("div", { class: "dlw-muted dlw-bp-autograd" });
  const sampleSelect = h("select", { class: "dlw-bp-sample", "aria-label": "sample" });
  const sampleLabel = h("label", {}, ["sample", sampleSelect]);
  const editLabel = h("span", { class: "dlw-muted dlw-bp-edit-label" }, ["click a weight or an input to edit it"]);
  const editValue = needsKernel(model, h("input", { type: "number", step: 0.1, class: "dlw-bp-edit-value", "aria-label": "new value", style: "width:7em" }));
  const editButton = needsKernel(model, h("button", { class: "dlw-button dlw-bp-edit", type: "button" }, ["Set"]));
  const lrInput = needsKernel(model, h("input", { type: "number", step: 0.01, min: 0, class: "dlw-bp-lr", "aria-label": "learning rate", style: "width:6em" }));
  const applyButton = needsKernel(model, h("button", { class: "dlw-button dlw-primary dlw-bp-apply", type: "button", title: "Write the new weights into the model and trace the next step" }, ["Apply step to model"]));
  const trainButton = needsKernel(model, h("button", { class: "dlw-button dlw-bp-train", type: "button", title: "Take 10 SGD steps with the stepper's copy of the model" }, ["Train 10 steps"]));
  const activationSelect = needsKernel(model, h("select", { class: "dlw-bp-activation", "aria-label": "hidden activation" }));
  const initSelect = needsKernel(model, h("select", { class: "dlw-bp-init", "aria-label": "initialisation" }));
  const depthBar = h("div", { class: "dlw-toolbar dlw-bp-depth-controls" }, [
    h("label", {}, ["hidden activation", activationSelect]), h("label", {}, ["initialisation", initSelect]), trainButton,
  ]);
  const bar = h("div", { class: "dlw-toolbar dlw-bp-controls" }, [
    sampleLabel, editLabel, editValue, editButton, h("label", {}, ["η", lrInput]), applyButton,
  ]);
  const error = h("div", { class: "dlw-error dlw-bp-error" });
  root.append(title, note, stage, timelineHolder, stepText, autograd, bar, depthBar, error);
  return {
    root, title, note, stage, timelineHolder, stepText, autograd, sampleLabel, sampleSelect, editLabel, editValue,
    editButton, lrInput, applyButton, trainButton, activationSelect, initSelect, error,
  };
}
