// Synced state of the training monitor (dlwidgets/widgets/training_monitor.py) and the view's own
// state. Trait names and wire types are Python's; arrays travel as lib/arrays.ts wire arrays.

import type { WireArray } from "../lib/arrays";
import type { Table } from "./table";

/** What fit() tells about the run (History.info, made JSON-safe); every field may be missing. */
export interface TrainingInfo {
  model?: string;
  parameters?: number;
  data?: string;
  train_samples?: number;
  has_val?: boolean;
  loss?: string;
  optimizer?: string;
  optimizer_implementation?: string;
  lr?: number;
  epochs?: number;
  batch_size?: number;
  steps_per_epoch?: number | null;
  total_steps?: number | null;
  device?: string;
  metrics?: string[];
  rank?: number;
  world_size?: number;
  grad_norm?: boolean;
  /** fit(inspect=True): layers with parameters and activation modules, input → output. */
  layers?: string[];
  activation_layers?: string[];
  layer_order?: string[];
  frozen_layers?: string[];
  inspect_note?: string;
  inspect_every?: number | null;
  /** Per-layer recording on now (fit(inspect=True), or the "inspect layers" box). */
  inspect?: boolean;
}

/** A health warning of fit(inspect=True), in words. */
export interface HealthWarning {
  step: number;
  layer: string;
  rule: string;
  message: string;
}

export type Status =
  | "idle"
  | "starting"
  | "running"
  | "paused"
  | "completed"
  | "stopped"
  | "early_stopped"
  | "diverged"
  | "error"
  | "replaced"
  | "interrupted";

export interface TrainingMonitorModel {
  title: string;
  run_id: number;
  status: Status | string;
  message: string;
  info: TrainingInfo;
  /** column name → wire array, one row per optimizer step (step, epoch, loss, lr, time, …). */
  steps: Record<string, WireArray>;
  /** column name → wire array, one row per epoch (epoch, step, loss, val_loss, metrics, time). */
  epochs: Record<string, WireArray>;
  /** fit(inspect=True): one row per recorded step, columns "step" and "<stat>:<layer>". */
  layers: Record<string, WireArray>;
  /** inspect_histograms=True: a row per (recorded step, kind, layer): key, step, kind, layer, lo, hi, c0 …. */
  histograms: Record<string, WireArray>;
  health_warnings: HealthWarning[];
  diverged_step: number;
  /** Per-layer recording on now; the "inspect layers" box shows it and asks to change it. */
  inspecting: boolean;
  log_scale: boolean;
  smoothing: number;
  /** Set by the static export: no kernel behind the page. */
  _standalone?: boolean;
}

/** A request sent to Python and not yet answered by a status change. */
export type Pending = "" | "stop" | "pause" | "resume";

/** Everything the view keeps between events (one object instead of closure variables). */
export interface MonitorView {
  steps: Table;
  epochs: Table;
  /** Layer statistics by recorded step (fit(inspect=True)). */
  layers: Table;
  /** Binned counts per (recorded step, kind, layer), keyed by "key". */
  histograms: Table;
  /** Deltas of other runs (an older fit still flushing) are ignored. */
  runId: number;
  /** Step under the pointer, or null. */
  hoverStep: number | null;
  pending: Pending;
  /** The "inspect layers" state asked for and not yet confirmed by `inspecting`, or null. */
  inspectPending: boolean | null;
  /** requestAnimationFrame id of the scheduled draw, 0 when none. */
  frame: number;
}

export const STATUS_TEXT: Record<string, string> = {
  idle: "idle",
  starting: "starting…",
  running: "training",
  paused: "paused",
  completed: "completed",
  stopped: "stopped",
  early_stopped: "early stopping",
  diverged: "diverged",
  error: "error",
  replaced: "replaced by a new run",
  interrupted: "interrupted",
};

/** Statuses in which a run is going and the Stop / Pause buttons apply. */
export const ACTIVE = new Set<string>(["starting", "running", "paused"]);
