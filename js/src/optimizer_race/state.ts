// Typed state of the optimizer race: the synced traits (mirroring
// dlwidgets/widgets/optimizer_race.py, `_SurfaceView`), the arrays decoded from them, the DOM
// of one view and the one mutable view-state object every module reads and writes.

import type { AnyModel, RenderProps } from "@anywidget/types";
import type { NdArray, WireArray } from "../lib/arrays";
import type { Surface } from "../lib/canvas";
import { LIGHT_THEME, type Theme } from "../lib/theme";
import type { Timeline } from "../lib/timeline";
import type { Tooltip } from "../lib/tooltip";
import type { LatestWins } from "./requests";
import type { OfflineTable } from "../lib/offline";

/** Visible data rectangle: x0, x1, y0, y1. */
export type Domain = [number, number, number, number];

/** A plot rectangle in CSS pixels. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A binary array trait; `{}` until Python publishes one. */
export type MaybeWire = WireArray | Record<string, never> | null;

/** One slider of an optimizer (engine `HyperParam`). */
export interface HyperInfo {
  key: string;
  label: string;
  min: number;
  max: number;
  log: boolean;
}

/** One racing optimizer as Python describes it (`_racer_info`). */
export interface Racer {
  name: string;
  formula: string;
  class_name: string;
  kind: string;
  elementwise: boolean;
  note: string;
  hypers: HyperInfo[];
}

/** Explainer data of one optimizer: gradient (steps, 2) and torch state (steps, 2) per key. */
export interface ExplainEntry {
  grad: WireArray;
  state: Record<string, WireArray>;
  /** key -> [label, role]; role is "first", "second" or "other". */
  labels: Record<string, [string, string]>;
  lr: number | null; // null: a factory (lambda) optimizer that keeps its own
}

/** Outcome of one optimizer (`_encode`'s "summary"). */
export interface SummaryEntry {
  status: string;
  final_loss: number | null;
  diverged_step: number;
  counts: Record<string, number>;
  steps: number;
  /** The race's notes about this optimizer (also in `notes`). */
  notes?: string[];
}

/** Range of one surface parameter slider; `log` is 1.0 or 0.0. */
export interface SurfaceParamMeta {
  min: number;
  max: number;
  default?: number;
  log: number;
}

/** optimizer name -> hyperparameter key -> value. */
export type HyperValues = Record<string, Record<string, number>>;

/** Every synced trait of `OptimizerRace` / `LossLandscape`. */
export interface OptimizerRaceModel {
  /** Set by the static export: no kernel behind this page. */
  _standalone?: boolean;
  mode: "race" | "landscape";
  title: string;
  surface_name: string;
  surface_names: string[];
  surface_params: Record<string, number>;
  surface_param_info: Record<string, Record<string, SurfaceParamMeta>>;
  surface_formula: string;
  axis_labels: [string, string];
  domain: Domain;
  /** (R, R) float32, rows are y. */
  grid: MaybeWire;
  z_range: [number, number];
  /** (m, 2) float32: known minima. */
  minima: MaybeWire;
  log_scale: boolean;
  explainer: boolean;
  racers: Racer[];
  hyper: HyperValues;
  available: string[];
  active: string[];
  start: [number, number];
  steps: number;
  swarm: number;
  noise: number;
  noise_on: boolean;
  seed: number;
  /** name -> (steps + 1, n, 2) float32. */
  paths: Record<string, WireArray>;
  /** name -> (steps + 1, n) float32. */
  loss_series: Record<string, WireArray>;
  /** name -> (n,) int32, -1 when never. */
  diverged: Record<string, WireArray>;
  /** name -> (n,) int8: 0 running, 1 converged, 2 diverged. */
  statuses: Record<string, WireArray>;
  explain: Record<string, ExplainEntry>;
  summary: Record<string, SummaryEntry>;
  notes: string[];
  error: string;
  compute_ms: number;
  /** Bumped on every publish: the answer to a request. */
  revision: number;
}

export type RaceModel = AnyModel<OptimizerRaceModel>;
export type RaceRenderProps = RenderProps<OptimizerRaceModel>;

/** One optimizer's arrays, decoded once per data change. */
export interface RacerData {
  racer: Racer;
  color: string;
  path: NdArray; // (T, n, 2)
  loss: NdArray; // (T, n)
  diverged: NdArray; // (n,)
  median: Float64Array | null; // swarm: per-step median loss
  grad: NdArray | null; // (steps, 2)
  state: Array<{ key: string; label: string; role: string; data: NdArray; largest: number }>;
  gradLargest: number;
  summary: SummaryEntry | undefined;
}

/** Surface canvas layout in CSS pixels. */
export const SURF = { width: 520, height: 500, margin: { left: 50, right: 12, top: 10, bottom: 34 } };
/** Loss chart layout in CSS pixels. */
export const CHART = { width: 440, height: 230, margin: { left: 58, right: 12, top: 12, bottom: 34 } };

/** The heatmap's data rectangle inside the surface canvas. */
export const PLOT_RECT: Rect = {
  left: SURF.margin.left,
  top: SURF.margin.top,
  width: SURF.width - SURF.margin.left - SURF.margin.right,
  height: SURF.height - SURF.margin.top - SURF.margin.bottom,
};

/** The elements of one view (built once in layout.ts; their content changes, not the nodes). */
export interface RaceDom {
  root: HTMLDivElement;
  title: HTMLDivElement;
  formula: HTMLDivElement;
  raceControls: HTMLSpanElement;
  surfaceSelect: HTMLSelectElement;
  surfaceParams: HTMLSpanElement;
  logBox: HTMLInputElement;
  explainBox: HTMLInputElement;
  swarmBox: HTMLInputElement;
  swarmCount: HTMLInputElement;
  noiseBox: HTMLInputElement;
  noiseValue: HTMLInputElement;
  seedValue: HTMLInputElement;
  stepsValue: HTMLInputElement;
  surface: Surface;
  /** Hint line under the surface (instructions, "needs a kernel" messages). */
  hover: HTMLDivElement;
  /** Hover readout of x, y and f next to the pointer. */
  tooltip: Tooltip;
  chart: Surface;
  chartLabel: HTMLDivElement;
  panels: HTMLDivElement;
  addSelect: HTMLSelectElement;
  addRow: HTMLDivElement;
  timelineHolder: HTMLDivElement;
  speed: HTMLSelectElement;
  explainPanel: HTMLDivElement;
  status: HTMLDivElement;
  notes: HTMLDivElement;
  error: HTMLDivElement;
}

/** Everything about one view that changes over its life. */
export interface ViewState {
  /** Theme colours, read when the layers are redrawn and when the page theme changes. */
  theme: Theme;
  /** Decoded from the model (data.ts). */
  racers: RacerData[];
  nStarts: number;
  frames: number;
  domain: Domain;
  grid: NdArray | null;
  /** Optimizers the user unticked (front end only). */
  hidden: Set<string>;
  /** Heatmap, contours, minima and axes, redrawn when the grid or colour scale changes. */
  background: HTMLCanvasElement | null;
  /** Loss curves and axes, redrawn on data change; null: draw again before the next frame. */
  chartLayer: HTMLCanvasElement | null;
  /** Data point under the pointer on the surface. */
  hoverPoint: [number, number] | null;
  currentFrame: number;
  framesDrawn: number;
  /** Running mean of one frame's draw time (tests and the fps benchmark read it). */
  drawMs: number;
  timeline: Timeline | null;
  /** Slider values not yet answered by Python. */
  pendingHyper: HyperValues;
  /** What changed since the last animation frame, and that frame's request id (0: none). */
  dirty: { data: boolean; background: boolean };
  scheduled: number;
}

export function createViewState(): ViewState {
  return {
    theme: { ...LIGHT_THEME },
    racers: [],
    nStarts: 1,
    frames: 1,
    domain: [-1, 1, -1, 1],
    grid: null,
    hidden: new Set<string>(),
    background: null,
    chartLayer: null,
    hoverPoint: null,
    currentFrame: 0,
    framesDrawn: 0,
    drawMs: 0,
    timeline: null,
    pendingHyper: {},
    dirty: { data: false, background: false },
    scheduled: 0,
  };
}

/** One view: the model, its DOM, its state and the hyperparameter request queue. */
export interface RaceView {
  model: RaceModel;
  standalone: boolean;
  /** Precomputed hyperparameters and surface parameters in a static page, or null. */
  offline: OfflineTable | null;
  dom: RaceDom;
  state: ViewState;
  hyperSender: LatestWins<HyperValues>;
}
