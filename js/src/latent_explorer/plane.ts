// The 2-D view of the latent space is an affine plane: z = origin + [x y] · basis + s · others
// (Python's LatentPlane; basis 2×d, others (d−2)×d, s the slider values). Here: reading the plane
// from state, mapping between the plane and the latent space, and interpolating codes.

import { decodeFloat, type WireArray } from "../lib/arrays";
import type { PlaneState } from "./state";

export interface Plane {
  d: number;
  k: number; // number of slider axes
  origin: Float64Array; // d
  basis: Float64Array; // 2 x d
  others: Float64Array; // k x d
  sliderMin: Float64Array;
  sliderMax: Float64Array;
  axisLabels: [string, string];
  sliderLabels: string[];
  mode: string;
}

function f64(wire: WireArray | undefined): Float64Array {
  if (!wire) return new Float64Array(0);
  return Float64Array.from(decodeFloat(wire).data);
}

export function planeFromState(state: Partial<PlaneState> | null | undefined, d: number): Plane | null {
  if (!state || !state.origin) return null;
  const origin = f64(state.origin);
  const basis = f64(state.basis);
  const others = f64(state.others);
  if (origin.length !== d || basis.length !== 2 * d) return null;
  const k = d > 0 ? Math.round(others.length / d) : 0;
  return {
    d,
    k,
    origin,
    basis,
    others,
    sliderMin: f64(state.slider_min),
    sliderMax: f64(state.slider_max),
    axisLabels: [String(state.axis_labels?.[0] ?? "x"), String(state.axis_labels?.[1] ?? "y")],
    sliderLabels: (state.slider_labels ?? []).map(String),
    mode: String(state.mode ?? ""),
  };
}

/** z = origin + x·basis[0] + y·basis[1] + Σ_k s_k·others[k], written at out[offset..]. */
export function toLatent(
  plane: Plane,
  x: number,
  y: number,
  sliders: ArrayLike<number>,
  out: Float32Array | Float64Array,
  offset = 0,
): void {
  const { d, k, origin, basis, others } = plane;
  for (let j = 0; j < d; j++) {
    let v = origin[j] + x * basis[j] + y * basis[d + j];
    for (let s = 0; s < k; s++) v += (sliders[s] ?? 0) * others[s * d + j];
    out[offset + j] = v;
  }
}

/** 2-D coordinates of n codes: p = (z − origin) · basisᵀ, interleaved [x0, y0, x1, y1, ...]. */
export function projectCodes(codes: ArrayLike<number>, n: number, plane: Plane, out?: Float32Array): Float32Array {
  const { d, origin, basis } = plane;
  const res = out && out.length >= 2 * n ? out : new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let x = 0;
    let y = 0;
    const off = i * d;
    for (let j = 0; j < d; j++) {
      const c = codes[off + j] - origin[j];
      x += c * basis[j];
      y += c * basis[d + j];
    }
    res[2 * i] = x;
    res[2 * i + 1] = y;
  }
  return res;
}

/** Linear interpolation (steps x d): z(t) = (1 − t) a + t b. */
export function lerpCodes(a: ArrayLike<number>, b: ArrayLike<number>, steps: number): Float64Array {
  const d = a.length;
  const out = new Float64Array(steps * d);
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    for (let j = 0; j < d; j++) out[s * d + j] = (1 - t) * a[j] + t * b[j];
  }
  return out;
}

/** Spherical interpolation: sin((1−t)ω)/sin ω · a + sin(tω)/sin ω · b, cos ω = a·b/(|a||b|);
 *  the straight line when sin ω ≈ 0 (as Python's engine.latent.slerp). */
export function slerpCodes(a: ArrayLike<number>, b: ArrayLike<number>, steps: number): Float64Array {
  const d = a.length;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < d; j++) {
    dot += a[j] * b[j];
    na += a[j] * a[j];
    nb += b[j] * b[j];
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  if (na < 1e-12 || nb < 1e-12) return lerpCodes(a, b, steps);
  const omega = Math.acos(Math.max(-1, Math.min(1, dot / (na * nb))));
  const so = Math.sin(omega);
  if (so < 1e-6) return lerpCodes(a, b, steps);
  const out = new Float64Array(steps * d);
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    const wa = Math.sin((1 - t) * omega) / so;
    const wb = Math.sin(t * omega) / so;
    for (let j = 0; j < d; j++) out[s * d + j] = wa * a[j] + wb * b[j];
  }
  return out;
}
