// Precomputed states of a static page (dlwidgets/export_precompute.py): for the controls that
// would need Python, the exporter computed the widget's state at a bounded list of values per
// control. Here a control snaps to the nearest of them and the state is patched in, so the page
// answers with no kernel, and the control shows which values are exact (tick marks, a note).
// Groups whose patches write the same state conflict: one of them is away from its exported
// value at a time (the others go back to it), so what is shown is always a state Python computed.

import { h, KERNEL_HINT, needsKernel, type ModelLike } from "./dom";

/** [path, value]: the trait `path[0]`, keys into it, and what Python holds there. */
export type Patch = Array<[Array<string>, unknown]>;

export interface OfflineControl {
  name: string;
  values: number[];
  /** Index of the exported value. */
  base: number;
}

export interface OfflineGroup {
  key: string;
  label: string;
  controls: OfflineControl[];
  /** One per combination of the controls' values (row-major); a refusal carries the message. */
  states: Array<Patch | { refused: string }>;
  conflicts: number[];
}

export interface OfflineData {
  groups: OfflineGroup[];
  count: number;
}

/** Index of the value nearest to `v`, measured on `scale` (e.g. Math.log for a log slider). */
export function nearestIndexOf(values: readonly number[], v: number, scale: (x: number) => number = (x) => x): number {
  let best = 0;
  let bestDistance = Infinity;
  const target = scale(v);
  values.forEach((value, i) => {
    const d = Math.abs(scale(value) - target);
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return best;
}

/** Row-major index of `indices` in a table of `sizes`. */
export function flatIndex(sizes: readonly number[], indices: readonly number[]): number {
  return indices.reduce((acc, i, k) => acc * sizes[k] + i, 0);
}

/** Per-control indices of row-major `index` in a table of `sizes` (inverse of flatIndex). */
export function splitIndex(sizes: readonly number[], index: number): number[] {
  const out = new Array<number>(sizes.length);
  for (let k = sizes.length - 1; k >= 0; k--) {
    out[k] = index % sizes[k];
    index = Math.floor(index / sizes[k]);
  }
  return out;
}

/** `obj` with `value` at `path`, copying only the objects along the path (pure). */
export function withPath(obj: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: Record<string, unknown> = { ...((obj as Record<string, unknown>) ?? {}) };
  copy[path[0]] = withPath(copy[path[0]], path.slice(1), value);
  return copy;
}

export interface SetResult {
  /** The precomputed value the control now shows. */
  value: number;
  /** The live widget's refusal for this value (state unchanged), or null. */
  refused: string | null;
}

/** The precomputed states of one widget in a static page. */
export class OfflineTable {
  private readonly current: number[];
  private readonly where = new Map<string, [number, number]>(); // control -> [group, axis]

  constructor(
    private readonly model: ModelLike,
    readonly data: OfflineData,
  ) {
    this.current = data.groups.map((g) => flatIndex(g.controls.map((c) => c.values.length), g.controls.map((c) => c.base)));
    data.groups.forEach((g, gi) => g.controls.forEach((c, ci) => this.where.set(c.name, [gi, ci])));
  }

  /** The table of a static page's widget, or null (live kernel, or nothing precomputed). */
  static of(model: ModelLike): OfflineTable | null {
    const data = model.get("_offline") as OfflineData | undefined;
    if (!model.get("_standalone") || !data || !Array.isArray(data.groups) || data.groups.length === 0) return null;
    return new OfflineTable(model, data);
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  values(name: string): number[] {
    const at = this.where.get(name);
    return at ? this.data.groups[at[0]].controls[at[1]].values : [];
  }

  /** The value control `name` shows in the current state. */
  value(name: string): number | undefined {
    const at = this.where.get(name);
    if (!at) return undefined;
    const g = this.data.groups[at[0]];
    const idx = splitIndex(g.controls.map((c) => c.values.length), this.current[at[0]]);
    return g.controls[at[1]].values[idx[at[1]]];
  }

  /** "offline: 13 precomputed values" for a control (what the page says beside it). */
  note(name: string): string {
    const n = this.values(name).length;
    const at = this.where.get(name);
    const joint = at && this.data.groups[at[0]].controls.length > 1 ? ` (${this.data.groups[at[0]].states.length} combinations with ${this.data.groups[at[0]].label})` : "";
    return `offline: ${n} precomputed values${joint}`;
  }

  /** " Moving it puts n other controls back to their exported values." when it shares state. */
  sharing(name: string): string {
    const at = this.where.get(name);
    const n = at ? this.data.groups[at[0]].conflicts.length : 0;
    return n ? ` Moving it puts ${n} other control${n > 1 ? "s" : ""} that share${n > 1 ? "" : "s"} its state back to their exported value${n > 1 ? "s" : ""}.` : "";
  }

  /**
   * Move control `name` to the precomputed value nearest `value` and show that state. Groups in
   * conflict go back to their exported value first. Returns the value now shown.
   */
  set(name: string, value: number, scale?: (x: number) => number): SetResult {
    const at = this.where.get(name);
    if (!at) throw new Error(`no precomputed values for ${name}`);
    const [gi, ci] = at;
    const g = this.data.groups[gi];
    const sizes = g.controls.map((c) => c.values.length);
    const idx = splitIndex(sizes, this.current[gi]);
    idx[ci] = nearestIndexOf(g.controls[ci].values, value, scale);
    const target = flatIndex(sizes, idx);
    const snapped = g.controls[ci].values[idx[ci]];
    const state = g.states[target];
    if (!Array.isArray(state)) return { value: snapped, refused: state.refused };
    if (target === this.current[gi]) return { value: snapped, refused: null };
    const pending = new Map<string, unknown>();
    const apply = (patch: Patch) => {
      for (const [path, v] of patch) {
        const top = path[0];
        const old = pending.has(top) ? pending.get(top) : this.model.get(top);
        pending.set(top, withPath(old, path.slice(1), v));
      }
    };
    for (const other of g.conflicts) {
      const og = this.data.groups[other];
      const base = flatIndex(og.controls.map((c) => c.values.length), og.controls.map((c) => c.base));
      if (this.current[other] === base) continue;
      apply(og.states[base] as Patch);
      this.current[other] = base;
    }
    apply(state);
    this.current[gi] = target;
    for (const [key, v] of pending) this.model.set(key, v);
    this.model.save_changes();
    return { value: snapped, refused: null };
  }
}

// each widget's bundle has its own copy of this module: a random prefix keeps ids unique
const ID_PREFIX = `dlw-offline-ticks-${Math.random().toString(36).slice(2, 10)}`;
let datalistCount = 0;

/**
 * A control that needs Python: in a static page with precomputed values for `name` it stays
 * enabled, marked as offline-exact (class, title); otherwise it is disabled with the kernel hint.
 */
export function offlineOrKernel<T extends HTMLInputElement | HTMLSelectElement>(
  model: ModelLike, table: OfflineTable | null, name: string, control: T,
): T {
  if (!table?.has(name)) return needsKernel(model, control);
  control.classList.add("dlw-offline-exact");
  control.dataset.offline = name;
  control.title = `${table.note(name)}; the control snaps to them (exact states, computed by PyTorch at export).${table.sharing(name)} Other values: ${KERNEL_HINT}`;
  return control;
}

/**
 * Tick marks at the precomputed positions of a range input (a datalist placed beside it; call
 * once the input is in the DOM tree where it is shown).
 */
export function markTicks(input: HTMLInputElement, positions: readonly number[]): HTMLDataListElement {
  const id = `${ID_PREFIX}-${++datalistCount}`;
  const list = h("datalist", { id, class: "dlw-offline-ticks" }, positions.map((p) => h("option", { value: p })));
  input.setAttribute("list", id);
  input.after(list);
  return list;
}

/** The precomputed value `key` moves to from `current` (clamped), for arrow / page keys (pure). */
export function stepValue(values: readonly number[], current: number, key: string): number | null {
  const moves: Record<string, number> = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 3, PageDown: -3, Home: -Infinity, End: Infinity };
  if (!(key in moves)) return null;
  const i = nearestIndexOf(values, current);
  return values[Math.max(0, Math.min(values.length - 1, i + moves[key]))];
}

/**
 * Arrow, page, Home and End keys on a precomputed slider move to the next precomputed value
 * (a one-position step would snap back to the same one); `apply` shows it.
 */
export function stepWithKeys(input: HTMLInputElement, table: OfflineTable, name: string, apply: (value: number) => void): void {
  input.addEventListener("keydown", (event) => {
    const current = table.value(name);
    const next = current === undefined ? null : stepValue(table.values(name), current, event.key);
    if (next === null) return;
    event.preventDefault();
    apply(next);
  });
}

/** The small "offline: n precomputed values" note shown beside a control. */
export function offlineNote(table: OfflineTable, name: string): HTMLSpanElement {
  return h("span", { class: "dlw-muted dlw-offline-note" }, [table.note(name)]);
}
