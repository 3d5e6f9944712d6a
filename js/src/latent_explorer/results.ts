// What the selection views show: Python's results (kernel), or on a static page with an MLP
// decoder the same computed here (interpolation, arithmetic, traversal, reconstruction).

import { decodeFloat } from "../lib/arrays";
import { codeOf, inputOf } from "./data";
import { decodeLocal } from "./decode";
import { lerpCodes, slerpCodes } from "./plane";
import { filled, type Explorer, type Results } from "./state";

export function results(x: Explorer): Results {
  const { model, s } = x;
  const sel: number[] = model.get("selected") ?? [-1, -1, -1];
  const focus = Number(model.get("focus") ?? -1);
  if (x.standalone && s.mlp) {
    const key = `${sel.join(",")}|${focus}|${model.get("interp_steps")}`;
    if (s.localCache && s.localCache.key === key) return s.localCache.res;
    s.localCache = { key, res: computeLocal(x, sel, focus) };
    return s.localCache.res;
  }
  const res: Results = {};
  const ip = model.get("interpolation");
  if (filled(ip, "lerp")) {
    const zl = decodeFloat(ip.z_lerp);
    res.interp = { a: ip.a, b: ip.b, steps: zl.shape[0], zl: zl.data, zs: decodeFloat(ip.z_slerp).data, lerp: decodeFloat(ip.lerp).data, slerp: decodeFloat(ip.slerp).data };
  }
  const ar = model.get("arithmetic_result");
  if (filled(ar, "z")) res.arith = { a: ar.a, b: ar.b, c: ar.c, z: decodeFloat(ar.z).data, images: decodeFloat(ar.images).data };
  const tv = model.get("traversal");
  if (filled(tv, "images")) {
    const img = decodeFloat(tv.images);
    res.trav = { base: tv.base, dims: tv.dims, steps: img.shape[1], values: decodeFloat(tv.values).data, images: img.data };
  }
  const dt = model.get("detail");
  if (filled(dt, "recon")) {
    res.detail = { index: dt.index, recon: decodeFloat(dt.recon).data, input: dt.input ? decodeFloat(dt.input).data : undefined, error: dt.error };
  } else if (x.standalone && focus >= 0) {
    res.detail = { index: focus, input: inputOf(x, focus) };
  }
  return res;
}

function computeLocal(x: Explorer, sel: number[], focus: number): Results {
  const { s, model } = x;
  const { n, d, codes } = s;
  const res: Results = {};
  const [a, b, c] = sel;
  const ok = (i: number) => i !== undefined && i >= 0 && i < n;
  const steps = Number(model.get("interp_steps") ?? 9);
  if (ok(a) && ok(b)) {
    const zl = Float32Array.from(lerpCodes(codeOf(x, a), codeOf(x, b), steps));
    const zs = Float32Array.from(slerpCodes(codeOf(x, a), codeOf(x, b), steps));
    res.interp = { a, b, steps, zl, zs, lerp: decodeLocal(x, zl, steps)!, slerp: decodeLocal(x, zs, steps)! };
  }
  if (ok(a) && ok(b) && ok(c)) {
    const z = new Float32Array(4 * d);
    for (let j = 0; j < d; j++) {
      z[j] = codes[a * d + j];
      z[d + j] = codes[b * d + j];
      z[2 * d + j] = codes[c * d + j];
      z[3 * d + j] = codes[a * d + j] - codes[b * d + j] + codes[c * d + j];
    }
    res.arith = { a, b, c, z: z.subarray(3 * d), images: decodeLocal(x, z, 4)! };
  }
  const trav = localTraversal(x, ok(focus) ? focus : ok(a) ? a : -1, ok(focus) ? focus : a);
  if (trav) res.trav = trav;
  if (ok(focus)) res.detail = localDetail(x, focus);
  return res;
}

/** Each row sweeps one dimension over Python's values, the others at point `baseIndex`'s code
 *  (−1: keep Python's decodings, made around the mean code). */
function localTraversal(x: Explorer, baseIndex: number, shownBase: number): Results["trav"] | undefined {
  const { d } = x.s;
  const tv = x.model.get("traversal");
  if (!filled(tv, "values")) return undefined;
  const vals = decodeFloat(tv.values);
  const dims: number[] = tv.dims;
  const tsteps = vals.shape[1];
  if (baseIndex >= 0) {
    const base = codeOf(x, baseIndex);
    const z = new Float32Array(dims.length * tsteps * d);
    dims.forEach((k, r) => {
      for (let st = 0; st < tsteps; st++) {
        const off = (r * tsteps + st) * d;
        z.set(base, off);
        z[off + k] = vals.data[r * tsteps + st];
      }
    });
    return { base: shownBase, dims, steps: tsteps, values: vals.data, images: decodeLocal(x, z, dims.length * tsteps)! };
  }
  if (tv.images) {
    const img = decodeFloat(tv.images);
    return { base: tv.base, dims, steps: tsteps, values: vals.data, images: img.data };
  }
  return undefined;
}

/** Point `focus`'s input, its reconstruction and their mean squared error. */
function localDetail(x: Explorer, focus: number): Results["detail"] {
  const recon = decodeLocal(x, codeOf(x, focus).slice(), 1)!;
  const input = inputOf(x, focus);
  let error: number | undefined;
  if (input && input.length === recon.length) {
    error = 0;
    for (let j = 0; j < recon.length; j++) error += (input[j] - recon[j]) ** 2;
    error /= recon.length;
  }
  return { index: focus, input, recon, error };
}
