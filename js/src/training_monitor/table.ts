// Step and epoch rows as growable columns, merged from deltas and full-history writes by key, and
// the series helpers the charts draw from (smoothing, extents, per-pixel envelopes).

/** Growable column table keyed by an increasing integer column ("step" or "epoch"). */
export class Table {
  n = 0;
  cols = new Map<string, Float64Array>();
  constructor(readonly key: string) {}

  get(name: string): Float64Array | undefined {
    return this.cols.get(name);
  }

  lastKey(): number {
    const k = this.cols.get(this.key);
    return k && this.n > 0 ? k[this.n - 1] : -Infinity;
  }

  /** Last value of a column, NaN when the column or the table is empty. */
  last(name: string): number {
    const col = this.cols.get(name);
    return col && this.n ? col[this.n - 1] : NaN;
  }

  private ensure(name: string, capacity: number): Float64Array {
    let col = this.cols.get(name);
    if (!col) {
      col = new Float64Array(Math.max(16, capacity)).fill(NaN);
      this.cols.set(name, col);
    }
    if (col.length < capacity) {
      const grown = new Float64Array(Math.max(capacity, col.length * 2)).fill(NaN);
      grown.set(col.subarray(0, this.n));
      this.cols.set(name, grown);
      col = grown;
    }
    return col;
  }

  /** Append the rows of `incoming` whose key is greater than the last key held. */
  append(incoming: Record<string, ArrayLike<number>>): number {
    const keys = incoming[this.key];
    if (!keys) return 0;
    const last = this.lastKey();
    let first = 0;
    while (first < keys.length && !(keys[first] > last)) first++;
    const count = keys.length - first;
    if (count <= 0) return 0;
    const size = this.n + count;
    for (const name of new Set([...this.cols.keys(), ...Object.keys(incoming)])) {
      const col = this.ensure(name, size);
      const src = incoming[name];
      for (let i = 0; i < count; i++) col[this.n + i] = src ? Number(src[first + i]) : NaN;
    }
    this.n = size;
    return count;
  }

  clear(): void {
    this.n = 0;
    this.cols.clear();
  }

  /** Index of the row whose key is nearest to `key` (binary search), -1 when empty. */
  nearest(key: number): number {
    const k = this.cols.get(this.key);
    if (!k || this.n === 0) return -1;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (k[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs(k[lo - 1] - key) <= Math.abs(k[lo] - key)) return lo - 1;
    return lo;
  }
}

/** Exponential moving average with bias correction (as TensorBoard smooths); NaN skipped. */
export function ema(values: ArrayLike<number>, n: number, alpha: number): Float64Array {
  const out = new Float64Array(n);
  let s = 0;
  let weight = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      s = alpha * s + (1 - alpha) * v;
      weight = alpha * weight + (1 - alpha);
    }
    out[i] = weight > 0 ? s / weight : NaN;
  }
  return out;
}

/** [min, max] of the finite values (positive only when `positive`), or null. */
export function finiteExtent(arrays: Array<[ArrayLike<number>, number]>, positive = false): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const [arr, n] of arrays) {
    for (let i = 0; i < n; i++) {
      const v = arr[i];
      if (!Number.isFinite(v) || (positive && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : null;
}

/** Per pixel column: min and max of the points falling in it (for long runs). */
export function envelope(
  xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, toPx: (x: number) => number,
): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let col = NaN;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    const px = Math.round(toPx(xs[i]));
    if (px !== col) {
      if (Number.isFinite(col)) out.push([col, lo, hi]);
      col = px;
      lo = y;
      hi = y;
    } else {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  if (Number.isFinite(col)) out.push([col, lo, hi]);
  return out;
}
