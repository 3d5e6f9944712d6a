import { describe, expect, it } from "vitest";
import { Coalescer } from "../src/latent_explorer/coalescer";
import { fitView, invert, latticeCells, nearestPoint, panView, resamplePath, transformFor, zoomView } from "../src/latent_explorer/geometry";
import { valuesToRGBA } from "../src/latent_explorer/painter";
import { lerpCodes, planeFromState, projectCodes, slerpCodes, toLatent, type Plane } from "../src/latent_explorer/plane";
import { packColor, rasterize, shuffledOrder } from "../src/latent_explorer/raster";
import { parseColor } from "../src/lib/colour";
import { erf, makeMLP, mlpForward, mlpFromState } from "../src/lib/mlp";

function wire(values: number[], shape: number[]) {
  const data = new Float32Array(values);
  return { dtype: "float32", shape, data: new DataView(data.buffer) };
}

// a 3-D latent space viewed on the plane spanned by two orthonormal directions
const s2 = Math.SQRT1_2;
const plane: Plane = planeFromState(
  {
    origin: wire([1, 2, 3], [3]),
    basis: wire([s2, s2, 0, 0, 0, 1], [2, 3]),
    others: wire([s2, -s2, 0], [1, 3]),
    slider_min: wire([-1], [1]),
    slider_max: wire([1], [1]),
    axis_labels: ["PC1", "PC2"],
    slider_labels: ["PC3"],
    mode: "pca",
  },
  3,
)!;

describe("plane mapping (z = origin + [x y]·basis + s·others)", () => {
  it("reads the plane from state", () => {
    expect(plane.k).toBe(1);
    expect(plane.axisLabels).toEqual(["PC1", "PC2"]);
  });
  it("maps plane points to codes by the documented formula", () => {
    const z = new Float64Array(3);
    toLatent(plane, 2, -1, [0.5], z);
    const expected = [1 + 2 * s2 + 0.5 * s2, 2 + 2 * s2 - 0.5 * s2, 3 - 1];
    expected.forEach((v, j) => expect(z[j]).toBeCloseTo(v, 6));
  });
  it("projects codes back: project(toLatent(p, s)) = p", () => {
    const z = new Float32Array(3);
    toLatent(plane, 0.3, -0.7, [0.9], z);
    const p = projectCodes(z, 1, plane);
    expect(p[0]).toBeCloseTo(0.3, 5);
    expect(p[1]).toBeCloseTo(-0.7, 5);
  });
});

describe("interpolation", () => {
  it("lerp has the end points and even steps", () => {
    const path = lerpCodes([0, 0], [4, 2], 5);
    expect(Array.from(path.slice(2, 4))).toEqual([1, 0.5]);
    expect(Array.from(path.slice(8))).toEqual([4, 2]);
  });
  it("slerp of orthogonal unit vectors passes through (a + b)/√2 and keeps unit norm", () => {
    const path = slerpCodes([1, 0, 0], [0, 1, 0], 3);
    expect(path[3]).toBeCloseTo(s2, 12);
    expect(path[4]).toBeCloseTo(s2, 12);
    const p = slerpCodes([1, 0], [0.6, 0.8], 7);
    for (let i = 0; i < 7; i++) expect(Math.hypot(p[2 * i], p[2 * i + 1])).toBeCloseTo(1, 12);
  });
  it("slerp of parallel codes is the straight line", () => {
    expect(Array.from(slerpCodes([1, 1], [2, 2], 3))).toEqual(Array.from(lerpCodes([1, 1], [2, 2], 3)));
  });
});

describe("view geometry", () => {
  it("fits every point with a margin, and inverts the transform", () => {
    const v = fitView([0, 0, 10, 5], 2);
    expect(v.x0).toBeCloseTo(-0.5);
    expect(v.x1).toBeCloseTo(10.5);
    const tr = transformFor(v, 10, 20, 200, 100);
    const [x, y] = invert(tr, tr.kx * 3 + tr.bx, tr.ky * 4 + tr.by);
    expect(x).toBeCloseTo(3);
    expect(y).toBeCloseTo(4);
    expect(tr.ky * v.y1 + tr.by).toBeCloseTo(20); // y up: the top of the rect is y1
  });
  it("zoom keeps the point under the pointer fixed; pan moves content with the drag", () => {
    const v = { x0: 0, x1: 10, y0: 0, y1: 10 };
    const z = zoomView(v, 0.25, 0.5, 2);
    expect(z.x0 + 0.25 * (z.x1 - z.x0)).toBeCloseTo(2.5);
    expect(z.x1 - z.x0).toBeCloseTo(5);
    const p = panView(v, 50, 0, 100, 100);
    expect(p.x0).toBeCloseTo(-5);
  });
  it("lattice cells are row-major with the top row first (as Python's grid_points)", () => {
    const cells = Array.from(latticeCells({ x0: 0, x1: 4, y0: 0, y1: 2 }, 2));
    expect(cells).toEqual([1, 1.5, 3, 1.5, 1, 0.5, 3, 0.5]);
  });
});

describe("scatter rasterization", () => {
  it("draws every point inside, none outside, as size × size squares", () => {
    const w = 20;
    const hgt = 10;
    const px = new Uint32Array(w * hgt);
    const tr = transformFor({ x0: 0, x1: 20, y0: 0, y1: 10 }, 0, 0, w, hgt);
    const xy = new Float32Array([5, 5, 15, 2, 100, 100]);
    const colors = new Uint32Array([packColor(255, 0, 0), packColor(0, 255, 0), packColor(0, 0, 255)]);
    expect(rasterize(px, w, hgt, xy, colors, 3, tr, 2)).toBe(2);
    expect(px.filter((v) => v === colors[0]).length).toBe(4);
    expect(px.filter((v) => v === colors[1]).length).toBe(4);
    expect(px.filter((v) => v === colors[2]).length).toBe(0);
  });
  it("scales to 100k points without dropping any that are in view", () => {
    const n = 100_000;
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) xy[i] = ((i * 7919) % 1000) / 1000;
    const px = new Uint32Array(400 * 400);
    const tr = transformFor({ x0: -0.01, x1: 1.01, y0: -0.01, y1: 1.01 }, 0, 0, 400, 400);
    expect(rasterize(px, 400, 400, xy, new Uint32Array(n).fill(1), n, tr, 2)).toBe(n);
  });
  it("picks the nearest point within the radius", () => {
    const tr = transformFor({ x0: 0, x1: 10, y0: 0, y1: 10 }, 0, 0, 100, 100);
    const proj = new Float32Array([1, 1, 5, 5, 9, 9]);
    expect(nearestPoint(proj, 3, tr, 51, 49, 5)).toBe(1);
    expect(nearestPoint(proj, 3, tr, 30, 30, 5)).toBe(-1);
  });
  it("shuffles the drawing order as a permutation", () => {
    const order = shuffledOrder(1000);
    expect(new Set(order).size).toBe(1000);
    expect(Array.from(order.slice(0, 5))).not.toEqual([0, 1, 2, 3, 4]);
  });
  it("parses d3's colour strings", () => {
    expect(parseColor("#4e79a7").slice(0, 3)).toEqual([78, 121, 167]);
    expect(parseColor("rgb(68, 1, 84)").slice(0, 3)).toEqual([68, 1, 84]);
  });
});

describe("path resampling", () => {
  it("spaces points evenly by arc length", () => {
    const pts = resamplePath([0, 0, 1, 0, 1, 3], 5); // length 4
    const expected = [0, 0, 1, 0, 1, 1, 1, 2, 1, 3];
    expected.forEach((v, i) => expect(pts[i]).toBeCloseTo(v, 12));
  });
});

describe("request coalescing", () => {
  it("keeps one request in flight and only the newest pending one", () => {
    const sent: Array<[string, number, number]> = [];
    const c = new Coalescer<number>((purpose, id, p) => sent.push([purpose, id, p]));
    c.request("hover", 1, 0);
    c.request("hover", 2, 1);
    c.request("hover", 3, 2); // replaces 2
    c.request("lattice", 9, 2); // other purposes are independent
    expect(sent.map((s) => s[2])).toEqual([1, 9]);
    expect(c.dropped).toBe(1);
    expect(c.settle("hover", 99, 3)).toBe(false); // not the request in flight: stale
    expect(c.settle("hover", sent[0][1], 3)).toBe(true);
    expect(sent.map((s) => s[2])).toEqual([1, 9, 3]);
    expect(c.settle("hover", sent[2][1], 4)).toBe(true);
    expect(c.busy("hover")).toBe(false);
  });
  it("gives up on a lost reply after the timeout", () => {
    const sent: number[] = [];
    const c = new Coalescer<number>((_p, _id, v) => sent.push(v), 100);
    c.request("hover", 1, 0);
    c.request("hover", 2, 500);
    expect(sent).toEqual([1, 2]);
  });
});

describe("decoded images", () => {
  it("maps [vmin, vmax] to 0..255 gray and RGB (chw and hwc)", () => {
    const out = new Uint8ClampedArray(4 * 2);
    valuesToRGBA([0, 1], 0, { kind: "image", channels: 1, height: 1, width: 2, size: 2, vmin: 0, vmax: 1 }, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
    const rgb = new Uint8ClampedArray(4);
    valuesToRGBA([1, 0, 0.5], 0, { kind: "image", channels: 3, height: 1, width: 1, size: 3, vmin: 0, vmax: 1, layout: "chw" }, rgb);
    expect(Array.from(rgb)).toEqual([255, 0, 128, 255]);
  });
});

describe("in-browser MLP", () => {
  it("erf is accurate to 1e-6", () => {
    // reference values of erf from the series erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    const series = (x: number) => {
      let sum = 0;
      let term = x;
      for (let k = 0; k < 60; k++) {
        sum += term / (2 * k + 1);
        term *= (-x * x) / (k + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    for (const x of [-2.5, -1, -0.3, 0, 0.1, 0.7, 1.5, 2.2]) expect(Math.abs(erf(x) - series(x))).toBeLessThan(1e-6);
  });
  it("computes y = act(x Wᵀ + b) layer by layer", () => {
    const mlp = mlpFromState({
      in_dim: 2,
      layers: [
        { kind: "linear", weight: wire([1, 2, -1, 0.5, 0, 1], [3, 2]), bias: wire([0.5, 0, -1], [3]) },
        { kind: "relu" },
        { kind: "linear", weight: wire([1, 1, 1], [1, 3]) },
        { kind: "sigmoid" },
      ],
    })!;
    expect(mlp.outDim).toBe(1);
    expect(mlp.params).toBe(6 + 3 + 3);
    const out = mlpForward(mlp, [1, 2, -1, 1], 2);
    // point 1: h = relu([1+4+0.5, −1+1, 2−1]) = [5.5, 0, 1] → σ(6.5)
    expect(out[0]).toBeCloseTo(1 / (1 + Math.exp(-6.5)), 6);
    // point 2: h = relu([−1+2+0.5, 1+0.5, 1−1]) = [1.5, 1.5, 0] → σ(3)
    expect(out[1]).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
  });
  it("applies each activation as PyTorch defines it", () => {
    const one = (kind: string, x: number, extra: Record<string, number> = {}) =>
      mlpForward(makeMLP([{ kind: "linear", weight: new Float32Array([1]), rows: 1, cols: 1, bias: null }, { kind: kind as any, ...extra }], 1), [x], 1)[0];
    expect(one("leaky_relu", -2, { slope: 0.1 })).toBeCloseTo(-0.2, 6);
    expect(one("elu", -1, { alpha: 2 })).toBeCloseTo(2 * (Math.exp(-1) - 1), 6);
    expect(one("gelu", 1)).toBeCloseTo(0.8413447460685429, 6);
    expect(one("gelu_tanh", 1)).toBeCloseTo(0.8411919906082768, 6);
    expect(one("silu", 1)).toBeCloseTo(0.7310585786300049, 6);
    expect(one("softplus", 30, { beta: 1, threshold: 20 })).toBe(30);
    expect(one("softplus", 0.5, { beta: 2, threshold: 20 })).toBeCloseTo(Math.log1p(Math.exp(1)) / 2, 6);
    expect(one("tanh", 0.5)).toBeCloseTo(Math.tanh(0.5), 6);
  });
  it("refuses layers whose widths do not chain", () => {
    expect(() => makeMLP([{ kind: "linear", weight: new Float32Array(6), rows: 3, cols: 2 }], 3)).toThrow(/takes 2 inputs after 3/);
  });
});
