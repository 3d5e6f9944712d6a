// State of the LSTM inspector: the synced traits exactly as dlwidgets/widgets/lstm_inspector.py
// declares them (read through `AnyModel<LSTMInspectorModel>`), and the one view-state object that
// holds everything the view derives or remembers between events.

import type { AnyModel } from "@anywidget/types";
import { decodeArray, type NdArray, type WireArray } from "../lib/arrays";
import { LIGHT_THEME, type Theme } from "../lib/theme";
import type { Timeline } from "../lib/timeline";
import type { Colouring } from "./colour_scales";
import type { HeatLayout } from "./heatmap_layout";
import { decodeInitial, decodeTrace, type Decoded, type Dims } from "./trace";

/** Static facts about the recurrent layer and the current sequence (Python's `info` dict). */
export interface RecurrentInfo {
  kind: "LSTM" | "GRU" | "RNN";
  nonlinearity: string; // "tanh" / "relu" for nn.RNN, "" otherwise
  module_name: string;
  owner: string;
  description: string;
  num_layers: number;
  num_directions: number;
  hidden_size: number;
  proj_size: number;
  input_size: number;
  state_names: string[];
  /** gate name → [lowest, highest] value a clamp may hold */
  clampable: Record<string, [number, number]>;
  has_tokenizer: boolean;
  max_steps: number;
  steps: number;
  output_label: string; // "model output" or "layer output h (last layer)"
  output_note: string;
  gradient_note: string;
  compare_label: string;
  compare_note: string;
  /** first step holding NaN/∞, −1 when all finite */
  nonfinite_step: number;
}

/** The applied intervention (`{}` when there is none). */
export interface ClampSpec {
  gate: string;
  unit: number;
  value: number;
  start: number;
  stop: number | null;
  layer: number;
  direction: number;
}

/** Every synced trait of LSTMInspector. Arrays arrive as wire arrays (lib/arrays.ts). */
export interface LSTMInspectorModel {
  info: RecurrentInfo;
  tokens: string[];
  /** state name → (L, D, T, units) */
  trace_data: Record<string, WireArray>;
  /** "h0" (and "c0") → (L, D, units) */
  initial: Record<string, WireArray>;
  /** y: (T, k) per-step output; final: a model output that is not per step */
  outputs: { y?: WireArray; final?: WireArray };
  /** norms ‖∂h_T/∂h_t‖: (L, D, T); compare: the comparison model's (L', D', T) */
  gradient: { norms?: WireArray; compare?: WireArray };
  clamp: Partial<ClampSpec>;
  clamped: { trace?: Record<string, WireArray>; outputs?: WireArray; gradient?: WireArray; final?: WireArray };
  error: string;
  text: string;
  title: string;
  layer: number;
  direction: number;
  unit: number;
  step: number;
  gate: string;
  /** [start, stop) of tokens, or [] */
  selection: number[];
  speed: number;
  /** set by the static export (no kernel) */
  _standalone?: boolean;
}

export type Model = AnyModel<LSTMInspectorModel>;

/** An array ready to paint: its values (original, clamped or their difference) and colouring. */
export interface ColouredArray extends Colouring {
  dims: Dims;
  data: ArrayLike<number>;
}

/** Everything the view derives from state or remembers between events. */
export interface ViewState {
  /** decoded trace_data, clamped.trace and initial */
  trace: Record<string, Decoded>;
  clampedTrace: Record<string, Decoded>;
  initial: Record<string, Decoded>;
  outputs: NdArray | null;
  clampedOutputs: NdArray | null;
  finalOut: NdArray | null;
  clampedFinal: NdArray | null;
  norms: NdArray | null;
  compareNorms: NdArray | null;
  clampedNorms: NdArray | null;
  /** colouring per "name|which" (cleared when the trace, layer or direction changes) */
  colours: Map<string, ColouredArray>;
  /** heatmap geometry of the last draw */
  layout: HeatLayout | null;
  /** heatmap cell under the pointer */
  hovered: { name: string; t: number; unit: number } | null;
  /** tokens selected in the text strip, [start, stop) */
  selection: [number, number] | null;
  /** token where a drag across the text began */
  dragFrom: number | null;
  tokenNodes: HTMLElement[];
  predNodes: HTMLElement[];
  clampPredNodes: HTMLElement[];
  timeline: Timeline | null;
  /** true while a new timeline shows its first frame (not a user's choice of step) */
  buildingTimeline: boolean;
  /** theme colours of this draw (lib/theme.ts readTheme, read once per draw) */
  theme: Theme;
}

export function createViewState(): ViewState {
  return {
    trace: {}, clampedTrace: {}, initial: {},
    outputs: null, clampedOutputs: null, finalOut: null, clampedFinal: null,
    norms: null, compareNorms: null, clampedNorms: null,
    colours: new Map(), layout: null, hovered: null,
    selection: null, dragFrom: null, tokenNodes: [], predNodes: [], clampPredNodes: [],
    timeline: null, buildingTimeline: false, theme: { ...LIGHT_THEME },
  };
}

const decodeOrNull = (wire: WireArray | undefined): NdArray | null => (wire ? decodeArray(wire) : null);

/** Decode every array trait into the view state. */
export function decodeAll(view: ViewState, model: Model): void {
  view.trace = decodeTrace(model.get("trace_data"));
  view.initial = decodeInitial(model.get("initial"));
  const out = model.get("outputs");
  view.outputs = decodeOrNull(out?.y);
  view.finalOut = decodeOrNull(out?.final);
  const g = model.get("gradient") ?? {};
  view.norms = decodeOrNull(g.norms);
  view.compareNorms = decodeOrNull(g.compare);
  decodeClamped(view, model);
}

/** Decode the clamped trace, outputs and gradient (all empty without a clamp). */
export function decodeClamped(view: ViewState, model: Model): void {
  const c = model.get("clamped") ?? {};
  view.clampedTrace = decodeTrace(c.trace);
  view.clampedOutputs = decodeOrNull(c.outputs);
  view.clampedFinal = decodeOrNull(c.final);
  view.clampedNorms = decodeOrNull(c.gradient);
}
