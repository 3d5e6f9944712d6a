// Typed state of the Playground: the synced traits (docs: the wire contract in
// dlwidgets/widgets/playground.py) and the one mutable view-state object of a rendered view.

import type { AnyModel, RenderProps } from "@anywidget/types";
import type { WireArray } from "../lib/arrays";
import type { Surface } from "../lib/canvas";
import type { MLP } from "../lib/mlp";
import { LIGHT_THEME, type Theme } from "../lib/theme";
import type { Timeline } from "../lib/timeline";
import type { Tooltip } from "../lib/tooltip";

/** An array trait; `{}` when Python holds none. */
export type MaybeWire = WireArray | Record<string, never> | null | undefined;

export type Task = "binary" | "multiclass" | "regression";

/** The control panel's settings (Python's single source of truth). */
export interface Controls {
  data: string;
  noise: number;
  train_fraction: number;
  batch_size: number;
  features: string[];
  hidden: number[];
  activations: string[];
  init: string;
  optimizer: string;
  lr: number;
  l1: number;
  l2: number;
  dropout: number;
  batch_norm: boolean;
  residual: boolean;
  seed: number;
  speed: number;
  show_test: boolean;
  discretize: boolean;
  point_class: number;
}

export interface Options {
  datasets: string[];
  features: string[];
  activations: string[];
  inits: string[];
  optimizers: string[];
  max_hidden_layers: number;
  max_units: number;
}

/** One entry of the forward-pass plan; weights come separately in `weights`. */
export interface PlanEntry {
  kind: string;
  rows?: number;
  cols?: number;
  bias?: boolean;
  slope?: number;
  alpha?: number;
  beta?: number;
  threshold?: number;
}

export interface NetworkState {
  inputs: string[];
  layers: Array<{ units: number; activation: string }>;
  browser: boolean;
  mlp: PlanEntry[];
  hidden_outputs: number[];
  output_activation: "sigmoid" | "softmax" | "identity";
}

export interface CurvesState {
  epoch?: WireArray;
  train_loss?: WireArray;
  test_loss?: WireArray;
}

export interface RecordingState {
  steps?: WireArray;
  epochs?: WireArray;
  weights?: WireArray;
  grids?: WireArray;
  grid_ranges?: WireArray;
  train_loss?: WireArray;
  test_loss?: WireArray;
}

export interface PlaygroundState {
  controls: Controls;
  options: Options;
  editable: boolean;
  hint: string;
  task: Task;
  classes: number;
  grid_bounds: number[];
  points: MaybeWire;
  labels: MaybeWire;
  is_test: MaybeWire;
  network: NetworkState;
  weights: MaybeWire;
  step: number;
  epoch: number;
  steps_per_epoch: number;
  curves: CurvesState;
  status: string;
  error: string;
  warning: string;
  grid: MaybeWire;
  grid_range: number[];
  neuron_grids: MaybeWire;
  neuron_ranges: MaybeWire;
  recording: RecordingState;
  _standalone?: boolean;
}

export type PlaygroundModel = AnyModel<PlaygroundState>;
export type PlaygroundRenderProps = RenderProps<PlaygroundState>;

/** Side of the decision-region grid and of each neuron's map (the contract's sizes). */
export const GRID = 100;
export const THUMB = 25;

/** What the view draws for one frame: decision values and every hidden unit's map. */
export interface Frame {
  /** GRID×GRID (×C for multiclass) outputs, boundary[i, j] at (xs[j], ys[i]), i = 0 is ymin. */
  grid: Float32Array;
  /** Side of `grid` (GRID in the browser, the fallback's r otherwise). */
  side: number;
  /** Per hidden layer: units × THUMB × THUMB values. */
  neurons: Float32Array[];
  /** Per hidden layer and unit: the [lo, hi] its thumbnail maps to. */
  neuronRanges: Array<Array<[number, number]>>;
  /** Output map at THUMB×THUMB (for the output node), same layout as grid. */
  output: Float32Array;
  /** "browser" or "grid" (quantised fallback from Python). */
  source: "browser" | "grid";
}

/** Positions of the diagram's nodes and edges, for drawing and hit tests (CSS px). */
export interface NodeBox {
  layer: number; // 0 = inputs, 1..H = hidden, H + 1 = output
  unit: number;
  x: number;
  y: number;
  size: number;
}

export interface Edge {
  from: NodeBox;
  to: NodeBox;
  weight: number;
}

export interface Elements {
  root: HTMLDivElement;
  regions: Surface;
  network: Surface;
  curves: Surface;
  zoom: Surface;
  zoomBox: HTMLDivElement;
  zoomCaption: HTMLDivElement;
  epoch: HTMLSpanElement;
  status: HTMLSpanElement;
  error: HTMLDivElement;
  warning: HTMLDivElement;
  hint: HTMLDivElement;
  controls: HTMLDivElement;
  toolbar: HTMLDivElement;
  replay: HTMLDivElement;
  tooltip: Tooltip;
}

/** The one mutable view-state object of a rendered view. */
export interface ViewState {
  theme: Theme;
  mlp: MLP | null;
  /** Weights the current frame was evaluated from (live, or a replay frame's row). */
  weights: Float32Array | null;
  frame: Frame | null;
  nodes: NodeBox[];
  edges: Edge[];
  hover: NodeBox | null;
  showTest: boolean;
  discretize: boolean;
  erase: boolean;
  raf: number;
  dirty: { evaluate: boolean; data: boolean; controls: boolean; curves: boolean };
  timeline: Timeline | null;
  /** Replay frame shown (-1: live). */
  replayFrame: number;
  framesDrawn: number;
  lastDrawMs: number;
  /** What the control panel was last built from (rebuilt only when it differs). */
  panelSignature: string;
  /** Why the browser could not evaluate the last frame ("" when it could). */
  evalError: string;
}

export function createViewState(): ViewState {
  return {
    theme: { ...LIGHT_THEME },
    mlp: null,
    weights: null,
    frame: null,
    nodes: [],
    edges: [],
    hover: null,
    showTest: true,
    discretize: false,
    erase: false,
    raf: 0,
    dirty: { evaluate: true, data: true, controls: true, curves: true },
    timeline: null,
    replayFrame: -1,
    framesDrawn: 0,
    lastDrawMs: 0,
    panelSignature: "",
    evalError: "",
  };
}

/** Everything the modules share: the model, the elements, the view state. */
export interface PlaygroundView {
  model: PlaygroundModel;
  standalone: boolean;
  el: Elements;
  s: ViewState;
  /** Ask for a redraw on the next animation frame (coalesced). */
  request(kind?: keyof ViewState["dirty"]): void;
}

/** True when a maybe-empty array trait holds a non-empty array (Python sends `{}` or a
 * zero-size array such as uint8 (0, 0) for "none"). */
export function hasArray(value: MaybeWire): value is WireArray {
  const w = value as WireArray | null | undefined;
  return Boolean(w && w.shape && w.data && w.shape.length > 0 && w.shape.every((n) => n > 0));
}
