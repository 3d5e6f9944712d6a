// The curve data: decoding the current activation's arrays and the y range both curves need.

import type { AnyModel } from "@anywidget/types";
import { decodeFloat } from "../lib/arrays";
import type { ActivationExplorerModel } from "./state";

export interface Curve {
  y: Float32Array | Float64Array;
  dy: Float32Array | Float64Array;
}

/** y-range that holds both curves with a little headroom (pure, tested). */
export function valueDomain(curve: Curve): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of [curve.y, curve.dy]) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  if (hi - lo < 1e-6) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

/** The grid and the curves of the selected activation, or null before Python computed them. */
export function currentCurve(model: AnyModel<ActivationExplorerModel>): { x: Float32Array | Float64Array; curve: Curve } | null {
  const xWire = model.get("x");
  const entry = model.get("curves")?.[model.get("activation")];
  if (!xWire || !entry) return null;
  return { x: decodeFloat(xWire).data, curve: { y: decodeFloat(entry.y).data, dy: decodeFloat(entry.dy).data } };
}
