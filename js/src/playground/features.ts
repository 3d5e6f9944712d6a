// Input features computed from raw coordinates in float32, exactly as the Python side does
// (wire contract): x1, x2, x1^2 = x1·x1, x2^2, x1*x2, sin_x1 = sin(x1), sin_x2 = sin(x2).
// Every product and sine is rounded to float32 the way torch's float32 ops round.

const f = Math.fround;

export type FeatureName = "x1" | "x2" | "x1^2" | "x2^2" | "x1*x2" | "sin_x1" | "sin_x2";

const TRANSFORMS: Record<string, (x1: number, x2: number) => number> = {
  x1: (a) => a,
  x2: (_a, b) => b,
  "x1^2": (a) => f(a * a),
  "x2^2": (_a, b) => f(b * b),
  "x1*x2": (a, b) => f(a * b),
  sin_x1: (a) => f(Math.sin(a)),
  sin_x2: (_a, b) => f(Math.sin(b)),
};

/** Labels shown on the diagram's input nodes. */
export const FEATURE_LABELS: Record<string, string> = {
  x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", sin_x1: "sin x₁", sin_x2: "sin x₂",
};

export function isFeature(name: string): boolean {
  return name in TRANSFORMS;
}

/** One feature of one point (inputs are rounded to float32 first, as they travel). */
export function feature(name: string, x1: number, x2: number): number {
  const t = TRANSFORMS[name];
  if (!t) throw new TypeError(`unknown feature '${name}'`);
  return t(f(x1), f(x2));
}

/**
 * Feature matrix (count × names.length, row-major) of points given as interleaved raw
 * coordinates [x1, x2, x1, x2, ...]; written into `out` when it is large enough.
 */
export function featureMatrix(names: string[], xy: ArrayLike<number>, count: number, out?: Float32Array): Float32Array {
  const k = names.length;
  const fns = names.map((n) => {
    const t = TRANSFORMS[n];
    if (!t) throw new TypeError(`unknown feature '${n}'`);
    return t;
  });
  const m = out && out.length >= count * k ? out : new Float32Array(count * k);
  for (let p = 0; p < count; p++) {
    const a = f(xy[2 * p]);
    const b = f(xy[2 * p + 1]);
    for (let j = 0; j < k; j++) m[p * k + j] = fns[j](a, b);
  }
  return m;
}

/** numpy's linspace(lo, hi, n) (lo + i·step, the last point exactly hi), in doubles. */
export function linspace(lo: number, hi: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = lo;
    return out;
  }
  const step = (hi - lo) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = i * step + lo;
  out[n - 1] = hi;
  return out;
}

/**
 * Raw coordinates of the r×r grid over bounds [xmin, xmax, ymin, ymax], point (i, j) at
 * (xs[j], ys[i]) stored at index i·r + j (the contract's orientation: i = 0 is ymin).
 */
export function gridPoints(bounds: ArrayLike<number>, r: number): Float32Array {
  const xs = linspace(bounds[0], bounds[1], r);
  const ys = linspace(bounds[2], bounds[3], r);
  const xy = new Float32Array(r * r * 2);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      xy[2 * (i * r + j)] = xs[j];
      xy[2 * (i * r + j) + 1] = ys[i];
    }
  }
  return xy;
}
