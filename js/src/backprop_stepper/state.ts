// Typed state of the backpropagation stepper: the synced traits (mirroring
// dlwidgets/widgets/backprop_stepper.py) and the one view-state object a rendered view mutates.

import type { AnyModel } from "@anywidget/types";
import type { WireArray } from "../lib/arrays";
import type { Surface } from "../lib/canvas";
import type { Timeline } from "../lib/timeline";
import type { Tooltip } from "../lib/tooltip";
import type { Graph } from "./layout";
import type { Arrays } from "./data";
import type { Ui } from "./ui";

/** One Linear (+ activation) layer as Python describes it (trait `network.layers`). */
export interface LayerInfo {
  name: string;
  weight_name: string;
  bias_name: string | null;
  in: number;
  out: number;
  activation: string;
  slope: number;
  formula: string;
  fprime_formula: string;
}

/** Sizes, formulas and the autograd check (trait `network`). */
export interface Network {
  widths: number[];
  layers: LayerInfo[];
  dense: boolean;
  dense_reason: string;
  batch: number;
  loss: string;
  loss_formula: string;
  loss_grad_formula: string;
  lr: number;
  loss_value: number;
  autograd_loss: number;
  autograd_diff: number;
  update_diff: number;
  parameters: number;
  /** the hidden layers' shared activation ("mixed" when they differ, "" with none) */
  hidden_activation: string;
  /** how the weights were drawn: "model's own", "default", "xavier" or "he" */
  init: string;
  activations: string[];
  inits: string[];
}

/** The synced traits. `arrays` keys: x, y, output, loss_grad and "<layer>.<field>". */
export interface BackpropStepperModel {
  network: Network;
  arrays: Record<string, WireArray>;
  /** after train(k): loss, weight, grad (one value per step) and track = [layer, out, in] */
  history: Record<string, WireArray>;
  error: string;
  title: string;
  step_index: number;
  sample: number;
  selected: [number, number];
  _standalone?: boolean;
}

export type Model = AnyModel<BackpropStepperModel>;

/** What the pointer is over: a neuron (layer 0 = input) or a weight edge (layer ≥ 1). */
export type Hit =
  | { kind: "node"; layer: number; neuron: number }
  | { kind: "edge"; layer: number; to: number; from: number };

/** What the edit row changes (sent to Python as an "edit" request). */
export interface EditTarget {
  target: "weight" | "bias" | "x" | "y";
  layer: number;
  index: number[];
  label: string;
  value: number;
}

/** Everything a rendered view keeps between events (one object, not closure variables). */
export interface ViewState {
  net: Network | null;
  data: Arrays | null;
  graph: Graph | null;
  frame: number;
  hover: Hit | null;
  edit: EditTarget | null;
  pending: boolean;
  timeline: Timeline | null;
  raf: number;
}

export interface Stepper {
  model: Model;
  standalone: boolean;
  ui: Ui;
  surface: Surface;
  tooltip: Tooltip;
  state: ViewState;
  requestDraw: () => void;
}

export function createViewState(): ViewState {
  return { net: null, data: null, graph: null, frame: 0, hover: null, edit: null, pending: false, timeline: null, raf: 0 };
}
