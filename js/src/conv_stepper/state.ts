// Typed state of the convolution stepper: the synced traits (mirroring
// dlwidgets/widgets/conv_stepper.py) and the one view-state object a rendered view mutates.

import type { AnyModel } from "@anywidget/types";
import type { WireArray } from "../lib/arrays";
import type { Surface } from "../lib/canvas";
import { LIGHT_THEME, type Theme } from "../lib/theme";
import type { Timeline } from "../lib/timeline";
import type { GridImage } from "./grid";
import type { Panel } from "./layout";
import type { Trace } from "./trace";
import type { Ui } from "./ui";
import type { OfflineTable } from "../lib/offline";

export type ViewName = "conv" | "pool" | "transposed";
export type Pair = [number, number];

/** Pooling geometry (ConvStepper._publish), present when the pooled map is not empty. */
export interface PoolGeometry {
  kind: string;
  size: Pair;
  stride: Pair;
  out: Pair;
  dropped: Pair;
  formula?: [string, string];
}

/** Sizes of the convolution as Python computed them (trait `geometry`). */
export interface Geometry {
  channels: number;
  in: Pair;
  filters: number;
  group_channels: number;
  groups: number;
  kernel: Pair;
  stride: Pair;
  dilation: Pair;
  pad: [number, number, number, number]; // top, bottom, left, right
  padded: Pair;
  out: Pair;
  dropped: Pair;
  padding_mode: string;
  padding_spec: string;
  has_bias: boolean;
  activation: string;
  pool: null | PoolGeometry;
  pool_error: string;
  formula?: [string, string];
  products?: number;
}

/** Settings as given (trait `settings`): padding is "same"/"valid" or a pair. */
export interface ConvSettings {
  stride: Pair;
  padding: "same" | "valid" | Pair;
  dilation: Pair;
  groups: number;
  padding_mode: string;
  activation: string;
  pool: string;
  pool_size: Pair;
  pool_stride: Pair;
}

/** Choices for the front end's selects (trait `options`). */
export interface ConvOptions {
  padding_modes: string[];
  activations: string[];
  pools: string[];
  views: ViewName[];
  max_stride: number;
  max_dilation: number;
  max_padding: number;
}

/** The trace arrays as they travel (trait `trace`, name -> wire array). */
export interface TraceWire {
  input: WireArray; // (C, H, W)
  padded: WireArray; // (C, Hp, Wp)
  weight: WireArray; // (F, C/groups, kh, kw)
  bias: WireArray; // (F,)
  products: WireArray; // (F, Ho, Wo, C/groups, kh, kw)
  output: WireArray; // (F, Ho, Wo)
  activated: WireArray; // (F, Ho, Wo)
  scatter: WireArray; // (F, Ho, Wo, C/groups, kh, kw)
  transposed: WireArray; // (F, C/groups, Hp, Wp)
  pool_windows?: WireArray; // (F, Po, Qo, pk, pq)
  pool_output?: WireArray; // (F, Po, Qo)
  pool_winners?: WireArray; // (F, Po, Qo) int32 flat index into (Ho, Wo), -1 for none
}

/** Every synced trait of ConvStepper. */
export interface ConvStepperModel {
  trace: TraceWire;
  geometry: Geometry;
  settings: ConvSettings;
  options: ConvOptions;
  error: string;
  title: string;
  channel_names: string[];
  filter: number;
  channel: number;
  step_index: number;
  view: ViewName;
  speed: number;
  _standalone?: boolean; // set only in a static export
}

export type Model = AnyModel<ConvStepperModel>;

export interface Hover {
  panel: string;
  r: number;
  c: number;
}

/** Everything a rendered view changes while it runs; one object instead of closure variables. */
export interface ViewState {
  trace: Trace | null;
  geom: Geometry | null;
  panels: Panel[];
  /** Width the canvas may take (lib/fit.ts), Infinity until the view is laid out. */
  width: number;
  /** Current frame of each view, kept when switching views. */
  frames: Record<ViewName, number>;
  hover: Hover | null;
  /** Page colours, read from the --dlw-* variables once per draw. */
  theme: Theme;
  /** The theme colours the cached grids were drawn with; a change drops them. */
  themeKey: string;
  /** Offscreen grids of the current layout, drawn once and blitted every frame. */
  cache: Map<string, GridImage>;
  /** Colour ranges of the current trace, computed once per trace. */
  stats: Map<string, number>;
  /** The gliding highlight: where it is heading and where it started at t0. */
  shown: { r: number; c: number; from: { r: number; c: number }; t0: number };
  raf: number;
  pending: boolean;
  /** Frames drawn and a moving average of ms per draw (read by the browser test). */
  drawn: number;
  drawMs: number;
  timeline: Timeline | null;
  syncTimer: ReturnType<typeof setTimeout> | null;
  /** Scatter accumulated step by step in the transposed view. */
  acc: { key: string; step: number; data: Float64Array };
  /** The accumulated-result grid last drawn, reused while the step does not change. */
  result: { key: string; image: GridImage | null };
}

export function createViewState(): ViewState {
  return {
    trace: null,
    geom: null,
    panels: [],
    width: Infinity,
    frames: { conv: 0, pool: 0, transposed: 0 },
    hover: null,
    theme: { ...LIGHT_THEME },
    themeKey: "",
    cache: new Map(),
    stats: new Map(),
    shown: { r: 0, c: 0, from: { r: 0, c: 0 }, t0: 0 },
    raf: 0,
    pending: false,
    drawn: 0,
    drawMs: 0,
    timeline: null,
    syncTimer: null,
    acc: { key: "", step: -1, data: new Float64Array(0) },
    result: { key: "", image: null },
  };
}

/** One rendered view: its model, DOM, canvas and view state, passed to every module. */
export interface Stepper {
  model: Model;
  standalone: boolean;
  /** Precomputed settings in a static page (lib/offline.ts), or null. */
  offline: OfflineTable | null;
  ui: Ui;
  surface: Surface;
  state: ViewState;
  requestDraw(): void;
}

// ---------------------------------------------------------------------------------------------
// Selections read from the model, clamped to what the current geometry has

export const viewOf = (s: Stepper): ViewName => s.model.get("view") || "conv";

export const filterOf = (s: Stepper): number => Math.min(s.model.get("filter") ?? 0, (s.state.geom?.filters ?? 1) - 1);

/** First input channel read by filter f's group. */
export function groupStart(s: Stepper, f: number): number {
  const g = s.state.geom;
  if (!g) return 0;
  const perGroup = g.filters / g.groups;
  return Math.floor(f / perGroup) * g.group_channels;
}

/** Input channel shown: the selected one if the current filter reads it, else its group's first. */
export function channelOf(s: Stepper): number {
  const f = filterOf(s);
  const c = s.model.get("channel") ?? 0;
  const g0 = groupStart(s, f);
  return c >= g0 && c < g0 + (s.state.geom?.group_channels ?? 1) ? c : g0;
}

/** Display name of input channel c. */
export const channelName = (s: Stepper, c: number): string => s.model.get("channel_names")?.[c] ?? `channel ${c}`;

/** Output cell (row, col) of the current frame of the current view. */
export function currentCell(s: Stepper): [number, number] {
  const g = s.state.geom!;
  const v = viewOf(s);
  const cols = v === "pool" && g.pool ? g.pool.out[1] : g.out[1];
  const k = s.state.frames[v] ?? 0;
  return [Math.floor(k / cols), k % cols];
}
