// Pure geometry and formatting of a 2-D convolution (tested in js/tests/conv_stepper.test.ts).
// Everything here follows PyTorch's conventions: cross-correlation, floor output sizes,
// windows at i·s + u·d in the padded input.

import { formatNumber } from "../lib/format";
import type { Geometry, ViewName } from "./state";

/** floor((n + p_before + p_after − d(k−1) − 1)/s) + 1, PyTorch's output size. */
export function outputSize(n: number, k: number, s: number, before: number, after: number, d: number): number {
  return Math.floor((n + before + after - d * (k - 1) - 1) / s) + 1;
}

/** The output-size formula with the numbers filled in, as Python's ConvGeometry.formula. */
export function formulaText(n: number, k: number, s: number, before: number, after: number, d: number): string {
  const pad = before === after ? `2·${before}` : `${before} + ${after}`;
  const top = n + before + after - d * (k - 1) - 1;
  return `floor((${n} + ${pad} − ${d}·(${k}−1) − 1) / ${s}) + 1 = floor(${top}/${s}) + 1 = ${Math.floor(top / s) + 1}`;
}

/** Padded-input rows and columns read by output cell (i, j). */
export function windowOf(g: Pick<Geometry, "kernel" | "stride" | "dilation">, i: number, j: number): { rows: number[]; cols: number[] } {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < g.kernel[0]; u++) rows.push(i * g.stride[0] + u * g.dilation[0]);
  for (let v = 0; v < g.kernel[1]; v++) cols.push(j * g.stride[1] + v * g.dilation[1]);
  return { rows, cols };
}

/** Output indices along one axis whose window reads padded index r: r = i·s + u·d. */
export function feedsAxis(r: number, k: number, s: number, d: number, nOut: number): number[] {
  const out: number[] = [];
  for (let u = 0; u < k; u++) {
    const rest = r - u * d;
    if (rest >= 0 && rest % s === 0 && rest / s < nOut) out.push(rest / s);
  }
  return out.sort((a, b) => a - b);
}

/** Every output cell (i, j) that padded-input cell (r, c) feeds. */
export function feedsOf(g: Pick<Geometry, "kernel" | "stride" | "dilation" | "out">, r: number, c: number): Array<[number, number]> {
  const is = feedsAxis(r, g.kernel[0], g.stride[0], g.dilation[0], g.out[0]);
  const js = feedsAxis(c, g.kernel[1], g.stride[1], g.dilation[1], g.out[1]);
  const cells: Array<[number, number]> = [];
  for (const i of is) for (const j of js) cells.push([i, j]);
  return cells;
}

/** Short text for a grid cell: at most ~5 characters, real minus sign. */
export function cellText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  let s: string;
  if (a >= 1000 || a < 0.005) s = v.toExponential(0);
  else if (a >= 100) s = v.toFixed(0);
  else if (a >= 10) s = v.toFixed(1);
  else s = v.toFixed(2);
  if (s.includes(".") && !s.includes("e")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s.replace("-", "−");
}

/** "a×w + b×w + … = s": the sum of products as an expression, long ones shortened. */
export function sumExpression(values: ArrayLike<number>, weights: ArrayLike<number>, total: number, maxTerms = 12): string {
  const n = values.length;
  const term = (k: number) => {
    const w = weights[k];
    const ws = formatNumber(w, 3);
    return `${formatNumber(values[k], 3)}×${w < 0 ? `(${ws})` : ws}`;
  };
  const parts: string[] = [];
  if (n <= maxTerms) {
    for (let k = 0; k < n; k++) parts.push(term(k));
  } else {
    const head = Math.ceil((maxTerms - 1) / 2);
    const tail = maxTerms - 1 - head;
    for (let k = 0; k < head; k++) parts.push(term(k));
    parts.push(`… (${n - head - tail} more)`);
    for (let k = n - tail; k < n; k++) parts.push(term(k));
  }
  return `${parts.join(" + ")} = ${formatNumber(total, 5)}`;
}

/** Frames of each view: conv steps over the output, pool steps over the pooled map, the
 * transposed view scatters each output cell once. */
export function framesFor(view: ViewName, g: Geometry): number {
  if (view === "pool") return g.pool ? g.pool.out[0] * g.pool.out[1] : 1;
  return g.out[0] * g.out[1];
}

/** Where a moving highlight is drawn `t` of the way (0..1, eased) from `a` to `b`. */
export function glide(a: number, b: number, t: number): number {
  const e = t >= 1 ? 1 : 1 - (1 - t) * (1 - t);
  return a + (b - a) * e;
}

/** Whether padded cell (r, c) lies in the padding around the unpadded input. */
export function inPadding(g: Pick<Geometry, "pad" | "in">, r: number, c: number): boolean {
  const [t, , l] = g.pad;
  return r < t || c < l || r >= t + g.in[0] || c >= l + g.in[1];
}
