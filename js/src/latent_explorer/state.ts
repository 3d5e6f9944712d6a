// Typed state of the latent explorer: the synced traits (as dlwidgets/widgets/latent_explorer.py
// declares them) and the one mutable view-state object of a rendered view.

import type { AnyModel } from "@anywidget/types";
import type { WireArray } from "../lib/arrays";
import { LIGHT_THEME, type Theme } from "../lib/theme";
import type { LayerKind, MLP, MLPLayerState, MLPScratch } from "../lib/mlp";
import type { Coalescer } from "./coalescer";
import type { View } from "./geometry";
import type { Elements } from "./layout";
import type { OutputSpec, Painter } from "./painter";
import type { Plane } from "./plane";

// ---------------------------------------------------------------------------------------------
// synced traits
// ---------------------------------------------------------------------------------------------

/** A dict trait Python leaves empty (`{}`) when there is nothing to show. */
export type Maybe<T> = T | Record<string, never>;

/** True when a maybe-empty dict trait holds `key` (so it is the full record). */
export function filled<T extends object>(value: Maybe<T> | null | undefined, key: keyof T): value is T {
  return Boolean(value && (value as Record<PropertyKey, unknown>)[key as PropertyKey]);
}

/** The 2-D plane: z = origin + [x y] · basis + sliders · others (engine.latent.LatentPlane). */
export interface PlaneState {
  mode: "pca" | "dims";
  origin: WireArray; // (d,)
  basis: WireArray; // (2, d)
  others: WireArray; // (d − 2, d)
  slider_min: WireArray; // (d − 2,)
  slider_max: WireArray; // (d − 2,)
  axis_labels: [string, string];
  slider_labels: string[];
}

/** Python's _display_spec plus the value range mapped to the colour scale. */
export interface OutputState {
  kind: "image" | "curve";
  channels: number;
  height?: number;
  width?: number;
  length?: number;
  layout?: "chw" | "hwc";
  size: number;
  vmin: number;
  vmax: number;
}

export interface DecoderMLPState {
  layers: MLPLayerState[];
  params: number;
  in_dim: number;
  out_dim: number;
  max_error: number;
}

/** Decodings precomputed over the data's extent, for a static page without an MLP. */
export interface GridState {
  x_range: [number, number];
  y_range: [number, number];
  n: number;
  images: WireArray; // (n, n, D)
}

export interface PCAState {
  mean: WireArray; // (d,)
  components: WireArray; // (d, d)
  explained: WireArray; // (d,)
  ratio: WireArray; // (d,)
}

export interface AnomaliesState {
  index: WireArray; // (K,) int32, worst first
  errors: WireArray; // (K,)
  inputs: WireArray; // (K, D)
  recons: WireArray; // (K, D)
}

export interface DetailState {
  index: number;
  code: WireArray; // (d,)
  recon: WireArray; // (D,)
  input?: WireArray; // (D,)
  error?: number; // MSE of input and reconstruction
}

export interface InterpolationState {
  a: number;
  b: number;
  z_lerp: WireArray; // (steps, d)
  z_slerp: WireArray; // (steps, d)
  lerp: WireArray; // (steps, D)
  slerp: WireArray; // (steps, D)
}

export interface ArithmeticState {
  a: number;
  b: number;
  c: number;
  z: WireArray; // (d,) = z_A − z_B + z_C
  images: WireArray; // (4, D): A, B, C, the result
}

export interface TraversalState {
  base: number; // the point whose code the other dimensions keep, −1 for the mean code
  dims: number[];
  values: WireArray; // (dims, steps)
  images: WireArray; // (dims, steps, D)
}

/** A t-SNE or UMAP view of the codes (engine/embedding.py) and the parameters that made it. */
export interface EmbeddingState {
  coords: WireArray; // (N, 2)
  seed: number;
  perplexity?: number; // t-SNE
  kl_divergence?: number; // t-SNE
  n_neighbors?: number; // UMAP
  min_dist?: number; // UMAP
}

/** The views of the codes: the invertible planes and the embeddings. */
export type ViewKind = "pca" | "dims" | "tsne" | "umap";

export interface HistoryState {
  loss: WireArray; // (epochs,)
}

/** Every synced trait of LatentExplorer. */
export interface LatentExplorerModel {
  model_kind: string;
  model_name: string;
  latent_dim: number;
  n_points: number;
  latent_codes: WireArray; // (N, d) float32
  label_values: Maybe<WireArray>; // (N,) int32 categories or float32 values
  label_kind: "none" | "categorical" | "continuous";
  label_names: string[];
  pca: Maybe<PCAState>;
  projection_mode: ViewKind;
  embeddings: Maybe<{ tsne?: EmbeddingState; umap?: EmbeddingState }>;
  view_status: string; // "computing t-SNE…" while Python computes a view
  views_unavailable: Record<string, string>; // view -> why it cannot be chosen (install hint)
  dims: number[];
  sliders: number[];
  plane: Maybe<PlaneState>;
  output: Maybe<OutputState>;
  decoder_mlp: Maybe<DecoderMLPState>;
  mlp_reason: string;
  decode_path: "auto" | "kernel" | "browser";
  grid: Maybe<GridState>;
  show_lattice: boolean;
  lattice_n: number;
  errors: Maybe<WireArray>; // (N,)
  anomalies: Maybe<AnomaliesState>;
  inputs: Maybe<WireArray>; // (N, D) when small enough
  selected: number[]; // A, B, C (−1: unset)
  focus: number;
  detail: Maybe<DetailState>;
  interp_steps: number;
  interpolation: Maybe<InterpolationState>;
  arithmetic_result: Maybe<ArithmeticState>;
  traversal_steps: number;
  traversal: Maybe<TraversalState>;
  training: boolean;
  status: string;
  history: Maybe<HistoryState>;
  error: string; // shown to the user (divergence, a refused slider count, ...)
  _standalone?: boolean; // set by the static export
}

export type Model = AnyModel<LatentExplorerModel>;

// ---------------------------------------------------------------------------------------------
// custom messages from Python (arrays travel as the message's binary buffers, by index)
// ---------------------------------------------------------------------------------------------

/** An array in a message: which buffer holds it (float32) and its shape. */
export interface BufferRef {
  buffer: number;
  shape: number[];
}

/** A decoder layer of a streamed epoch; a linear layer's weight and bias are buffers. */
export interface TrainLayer {
  kind: LayerKind;
  slope?: number;
  alpha?: number;
  beta?: number;
  threshold?: number;
  weight_shape?: [number, number];
  weight_buffer?: number;
  bias_buffer?: number;
}

/** One streamed training epoch (buffer 0: the codes). */
export interface TrainMessage {
  type: "train";
  epoch: number;
  epochs: number;
  loss: number[]; // per epoch, from epoch `first`
  first: number;
  codes_shape: number[];
  mlp_layers: TrainLayer[];
  plane: { origin?: BufferRef; basis?: BufferRef; others?: BufferRef };
}

/** The reply to a decode request (buffer 0: the outputs, shape [count, D]). */
export interface DecodedMessage {
  type: "decoded";
  id: number;
  purpose: string;
  ms?: number; // Python's decoding time
  index?: number; // "nearest": the data point whose reconstruction this is
  shape: [number, number];
}

export interface DecodeErrorMessage {
  type: "error";
  id: number;
  purpose: string;
  message: string;
}

export type CustomMessage = TrainMessage | DecodedMessage | DecodeErrorMessage;

// ---------------------------------------------------------------------------------------------
// view state
// ---------------------------------------------------------------------------------------------

export type DecodePath = "browser" | "kernel" | "grid" | "none";
export type Tab = "point" | "interp" | "arith" | "traverse" | "anomalies";

/** Decodings over a view: the lattice under the points (atlas: its cached drawing). */
export interface Tile {
  view: View;
  n: number;
  values: Float32Array;
  atlas: HTMLCanvasElement | null;
}

/** What the selection views show: Python's results, or computed here (static page + MLP). */
export interface Results {
  interp?: { a: number; b: number; steps: number; zl: ArrayLike<number>; zs: ArrayLike<number>; lerp: ArrayLike<number>; slerp: ArrayLike<number> };
  arith?: { a: number; b: number; c: number; z: ArrayLike<number>; images: ArrayLike<number> };
  trav?: { base: number; dims: number[]; steps: number; values: ArrayLike<number>; images: ArrayLike<number> };
  detail?: { index: number; input?: ArrayLike<number>; recon?: ArrayLike<number>; error?: number };
}

export interface Drag {
  mode: "path" | "pan";
  sx: number;
  sy: number;
  view: View;
  moved: boolean;
}

/** Everything a view changes while it lives; one object, read and written by the modules. */
export interface ViewState {
  // the data, from latent_codes and the labels
  n: number;
  d: number;
  codes: Float32Array; // n × d
  proj: Float32Array; // n × 2, on the plane
  order: Uint32Array; // fixed shuffled drawing order
  pxy: Float32Array; // projected, in drawing order
  pcol: Uint32Array; // packed RGBA, in drawing order
  baseColors: Uint32Array; // packed RGBA per point, original order
  // the plane and the decoder
  plane: Plane | null;
  sliders: Float64Array;
  spec: OutputSpec;
  painter: Painter | null;
  mlp: MLP | null;
  scratch: MLPScratch | null;
  // what is on screen
  viewKind: ViewKind; // the view drawn (views.ts: currentView)
  hoverIndex: number; // the data point hovered in a non-invertible view, −1 for none
  view: View;
  hoverPoint: [number, number] | null;
  hoverZ: Float32Array; // the code under the pointer (reused buffer)
  hoverOut: Float32Array; // its decoding (reused buffer)
  lattice: Tile | null;
  path: number[]; // the drawn path, data coordinates [x0, y0, x1, y1, ...]
  pathDecoded: { values: Float32Array; count: number } | null;
  drag: Drag | null;
  tool: "path" | "pan";
  userMoved: boolean; // the person panned or zoomed: training updates keep their view
  slot: number; // which of A, B, C the next click sets
  tab: Tab;
  trainLoss: number[];
  localCache: { key: string; res: Results } | null;
  /** Theme colours, read from the widget root at the start of each draw (ink.ts). */
  theme: Theme;
  // the scatter's pixel buffer at device resolution, and the pending frame
  pixelCanvas: HTMLCanvasElement | null;
  pixelImage: ImageData | null;
  pixels: Uint32Array | null;
  raf: number;
}

export function createViewState(): ViewState {
  return {
    n: 0,
    d: 2,
    codes: new Float32Array(0),
    proj: new Float32Array(0),
    order: new Uint32Array(0),
    pxy: new Float32Array(0),
    pcol: new Uint32Array(0),
    baseColors: new Uint32Array(0),
    plane: null,
    sliders: new Float64Array(0),
    spec: { kind: "curve", channels: 1, size: 1, vmin: 0, vmax: 1 },
    painter: null,
    mlp: null,
    scratch: null,
    viewKind: "pca",
    hoverIndex: -1,
    view: { x0: -1, x1: 1, y0: -1, y1: 1 },
    hoverPoint: null,
    hoverZ: new Float32Array(0),
    hoverOut: new Float32Array(0),
    lattice: null,
    path: [],
    pathDecoded: null,
    drag: null,
    tool: "path",
    userMoved: false,
    slot: 0,
    tab: "point",
    trainLoss: [],
    localCache: null,
    theme: { ...LIGHT_THEME },
    pixelCanvas: null,
    pixelImage: null,
    pixels: null,
    raf: 0,
  };
}

/** Timings and what was drawn, on the root element as `dlwStats` for the browser tests. */
export interface Stats {
  hover: number[]; // pointer event's timestamp → decoded image drawn, ms
  hoverWork: number[]; // our handler starts → decoded image drawn, ms
  hoverPath: string[];
  last: { p: number[]; z: number[]; out: number[]; how: string; index?: number } | null; // the last decoding shown
  frames: number[]; // timestamps of scatter frames drawn
  drawMs: number[]; // time to draw one scatter frame
  kernelMs: number[]; // time Python spent decoding each answered hover request
  requests: () => { sent: number; dropped: number };
  lattice: () => { view: View; n: number; values: number[] } | null; // the lattice drawn
  drawn: number; // points drawn in the last frame
}

// ---------------------------------------------------------------------------------------------
// what every module of a view gets
// ---------------------------------------------------------------------------------------------

/** A kernel decode request and what its reply is for. */
export interface DecodeRequest {
  z: Float32Array;
  t0: number;
  work?: number;
  p?: number[];
  index?: number; // "nearest": the data point
  view?: View;
  n?: number;
  count?: number;
}

/** One rendered view: the model, its elements, its view state and its kernel requests. */
export interface Explorer {
  model: Model;
  /** The widget's root element: the theme variables are read from it. */
  root: HTMLElement;
  standalone: boolean;
  el: Elements;
  s: ViewState;
  stats: Stats;
  coalescer: Coalescer<DecodeRequest>;
  requestMeta: Map<number, DecodeRequest>;
  /** Draw the scatter at the next animation frame (many calls, one frame). */
  requestDraw(): void;
}
