// Requests to Python and the busy / status line: a control that needs a recompute sets a trait,
// the view shows "computing in Python…" until Python bumps `revision`.

import { h } from "../lib/dom";
import { formatNumber } from "../lib/format";
import type { OptimizerRaceModel, RaceView } from "./state";

/**
 * "Latest wins" sender for slider drags: while Python is computing, keep only the newest value
 * and send it when the previous request is answered (Python bumps `revision` on every answer).
 */
export class LatestWins<T> {
  private waiting = false;
  private queued: T | null = null;
  constructor(private readonly send: (value: T) => void) {}
  get busy(): boolean {
    return this.waiting;
  }
  push(value: T): void {
    if (this.waiting) {
      this.queued = value;
      return;
    }
    this.waiting = true;
    this.send(value);
  }
  answered(): void {
    this.waiting = false;
    if (this.queued !== null) {
      const next = this.queued;
      this.queued = null;
      this.push(next);
    }
  }
}

/** Set a trait Python recomputes on, and show the view busy until it answers. */
export function sendTrait<K extends keyof OptimizerRaceModel>(view: RaceView, name: K, value: OptimizerRaceModel[K]): void {
  view.model.set(name, value);
  view.model.save_changes();
  setBusy(view, true);
}

/**
 * A static page: show the precomputed state of `control` nearest `value` (lib/offline.ts) and,
 * as Python would, its refusal in the error line. Returns the value now shown.
 */
export function setOffline(view: RaceView, control: string, value: number, log: boolean): number {
  const result = view.offline!.set(control, value, log ? Math.log : undefined);
  const error = result.refused ?? "";
  if ((view.model.get("error") ?? "") !== error) {
    view.model.set("error", error);
    view.model.save_changes();
  }
  return result.value;
}

export function setBusy(view: RaceView, busy: boolean): void {
  view.dom.root.classList.toggle("dlw-busy", busy);
  view.dom.status.textContent = busy ? "computing in Python…" : statusLine(view);
}

function statusLine(view: RaceView): string {
  const { model, state } = view;
  const ms = Number(model.get("compute_ms") ?? 0);
  const starts = state.nStarts > 1 ? `${state.nStarts} starts per optimizer, ` : "";
  const noise = model.get("noise_on") ? `gradient noise σ = ${formatNumber(Number(model.get("noise")), 3)} (seed ${model.get("seed")}), ` : "";
  return model.get("mode") === "landscape" ? "" : `${starts}${noise}${state.frames - 1} steps; computed by torch.optim in ${formatNumber(ms, 3)} ms`;
}

/**
 * The notes to show: those about no one optimizer, then each optimizer's own (from its summary,
 * so a precomputed state in a static page brings its notes with it).
 */
export function raceNotes(notes: string[], racers: string[], summary: Record<string, { notes?: string[] } | undefined>): string[] {
  if (!racers.every((r) => Array.isArray(summary[r]?.notes))) return notes;
  const own = (n: string) => racers.some((r) => n.startsWith(`${r}:`));
  return [...notes.filter((n) => !own(n)), ...racers.flatMap((r) => summary[r]?.notes ?? [])];
}

/** Python's notes and its error message (text only). */
export function syncNotes(view: RaceView): void {
  const { model, dom } = view;
  const racers = (model.get("racers") ?? []).map((r) => r.name);
  const notes = raceNotes(model.get("notes") ?? [], racers, model.get("summary") ?? {});
  dom.notes.replaceChildren(...notes.map((n) => h("div", {}, [n])));
  dom.error.textContent = model.get("error") ?? "";
}
