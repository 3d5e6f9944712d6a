// The handle every part of the inspector receives (model, elements, view state, redraw hooks)
// and the reads derived from state that several parts share.

import { domainFor } from "./colour_scales";
import type { ColouredArray, LSTMInspectorModel, Model, RecurrentInfo, ViewState } from "./state";
import { at, type Decoded, type Dims } from "./trace";
import type { Ui } from "./ui";

/** Redraws that one part asks of the others (set up by index.ts). */
export interface Redraw {
  /** everything: controls, every view and the clamp summary */
  all(): void;
  /** what depends on the step, unit and gate */
  step(): void;
  /** the unit search of the selected span */
  ranking(): void;
}

export interface Inspector {
  model: Model;
  root: HTMLDivElement;
  ui: Ui;
  view: ViewState;
  standalone: boolean;
  redraw: Redraw;
}

/** Which trace the views show. */
export type Which = "original" | "clamped" | "diff";

/** Python's info dict; read defensively, as a late view may see it before it is filled. */
export const info = (ins: Inspector): Partial<RecurrentInfo> => ins.model.get("info") ?? {};
export const tokens = (ins: Inspector): string[] => ins.model.get("tokens") ?? [];
export const layer = (ins: Inspector): number => Math.min(Number(ins.model.get("layer")) || 0, (info(ins).num_layers ?? 1) - 1);
export const dir = (ins: Inspector): number => Math.min(Number(ins.model.get("direction")) || 0, (info(ins).num_directions ?? 1) - 1);
export const unit = (ins: Inspector): number => Number(ins.model.get("unit")) || 0;
export const step = (ins: Inspector): number => Number(ins.model.get("step")) || 0;
export const gate = (ins: Inspector): string => String(ins.model.get("gate") ?? "h");

/** Recorded arrays in Python's order (those present in the trace). */
export const names = (ins: Inspector): string[] =>
  (info(ins).state_names ?? Object.keys(ins.view.trace)).filter((n) => n in ins.view.trace);
export const hasClamp = (ins: Inspector): boolean => Object.keys(ins.view.clampedTrace).length > 0;
export const which = (ins: Inspector): Which => (hasClamp(ins) ? ins.ui.traceSel.value as Which : "original");

/** Set a trait from the page and send it to Python. */
export function setTrait<K extends keyof LSTMInspectorModel>(ins: Inspector, name: K, value: LSTMInspectorModel[K]): void {
  ins.model.set(name, value);
  ins.model.save_changes();
}

/** Pick a unit, kept inside [0, hidden_size). */
export function setUnit(ins: Inspector, u: number): void {
  const n = info(ins).hidden_size ?? 1;
  setTrait(ins, "unit", Math.max(0, Math.min(n - 1, Math.round(u))));
}

/** Values to draw for array `name`: original, clamped or their difference. */
function valuesOf(ins: Inspector, name: string): { dims: Dims; data: ArrayLike<number> } | null {
  const { trace, clampedTrace } = ins.view;
  const base = trace[name];
  if (!base) return null;
  const mode = which(ins);
  if (mode === "original" || !clampedTrace[name]) return base;
  if (mode === "clamped") return clampedTrace[name];
  const a = base.data;
  const b = clampedTrace[name].data;
  const diff = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) diff[i] = b[i] - a[i];
  return { dims: base.dims, data: diff };
}

/** Values and colouring of array `name` as shown now (cached per trace choice). */
export function coloured(ins: Inspector, name: string): ColouredArray | null {
  const key = `${name}|${which(ins)}`;
  let entry = ins.view.colours.get(key);
  if (!entry) {
    const v = valuesOf(ins, name);
    if (!v) return null;
    const i = info(ins);
    const d = which(ins) === "diff"
      ? domainFor("__diff", "", "", 0, v.data)
      : domainFor(name, i.kind ?? "", i.nonlinearity ?? "", i.proj_size ?? 0, ins.view.trace[name].data);
    entry = { ...v, ...d };
    ins.view.colours.set(key, entry);
  }
  return entry;
}

/** Value of array `name` at (t, unit) of the chosen layer and direction (NaN outside). */
export function valueAt(ins: Inspector, name: string, t: number, u: number, source: Record<string, Decoded> = ins.view.trace): number {
  const a = source[name];
  if (!a || u >= a.dims.units || t < 0 || t >= a.dims.steps) return NaN;
  return a.data[at(a.dims, layer(ins), dir(ins), t, u)];
}

/** Initial state `name` ("h0", "c0") of unit u (0 when not recorded). */
export function initialAt(ins: Inspector, name: string, u: number): number {
  const a = ins.view.initial[name];
  if (!a || u >= a.dims.units) return 0;
  return a.data[at(a.dims, layer(ins), dir(ins), 0, u)];
}
