import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildMLP, Evaluator, frameFromGrids } from "../src/playground/evaluate";
import { feature, featureMatrix, gridPoints, linspace } from "../src/playground/features";
import { classShade, contourLevel, contourLines, gridToData, regionPixels, type RegionPalette } from "../src/playground/paint";
import { edgesOf, layout } from "../src/playground/network";
import { lossTop } from "../src/playground/curves";
import { GRID, THUMB, type NetworkState } from "../src/playground/state";
import { divergingTable } from "../src/lib/colour";
import { encodeArray } from "../src/lib/arrays";

interface Case {
  name: string;
  network: NetworkState;
  weights: number[];
  bounds: number[];
  grid_stride: number;
  grid: number[];
  map_stride: number;
  maps: number[][];
}

const here = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(join(here, "fixtures", "playground_torch.json"), "utf8")) as { cases: Case[] };

describe("in-browser evaluation equals torch (fixture from fixtures/make_playground_fixture.py)", () => {
  it("covers tanh, relu, sigmoid, extra features, softmax, folded batch norm and regression", () => {
    const names = fixture.cases.map((c) => c.name).join(" | ");
    for (const part of ["tanh", "relu", "sigmoid", "multiclass", "batch norm", "regression"]) expect(names).toContain(part);
  });
  for (const c of fixture.cases) {
    it(`${c.name}: decision grid and every unit's map within 1e-5`, () => {
      const mlp = buildMLP(c.network, Float32Array.from(c.weights));
      const ev = new Evaluator(c.network.inputs, c.bounds);
      const frame = ev.evaluate(mlp, c.network);
      expect(frame.side).toBe(GRID);
      const out = c.network.layers[c.network.layers.length - 1].units;
      expect(frame.grid.length).toBe(GRID * GRID * out);
      let worst = 0;
      c.grid.forEach((v, k) => { worst = Math.max(worst, Math.abs(frame.grid[k * c.grid_stride] - v)); });
      expect(worst).toBeLessThan(1e-5);
      expect(frame.neurons.length).toBe(c.maps.length);
      c.maps.forEach((values, layer) => {
        let w = 0;
        values.forEach((v, k) => { w = Math.max(w, Math.abs(frame.neurons[layer][k * c.map_stride] - v)); });
        expect(w, `layer ${layer + 1}`).toBeLessThan(1e-5);
      });
      // outputs vary across the plane (a constant field would pass trivially)
      const g = Array.from(frame.grid);
      expect(Math.max(...g) - Math.min(...g)).toBeGreaterThan(0.05);
      // evaluating again with the same buffers gives the same numbers
      const first = Float32Array.from(frame.grid);
      expect(Array.from(ev.evaluate(mlp, c.network).grid)).toEqual(Array.from(first));
    });
  }
  it("refuses weights that do not match the plan", () => {
    const c = fixture.cases[0];
    expect(() => buildMLP(c.network, Float32Array.from(c.weights.slice(1)))).toThrow(RangeError);
    expect(() => buildMLP(c.network, Float32Array.from([...c.weights, 0]))).toThrow(/uses/);
  });
});

describe("features", () => {
  it("are computed in float32 from float32 coordinates", () => {
    const x1 = 1.1;
    const x2 = -0.7;
    const f = Math.fround;
    expect(feature("x1", x1, x2)).toBe(f(x1));
    expect(feature("x1^2", x1, x2)).toBe(f(f(x1) * f(x1)));
    expect(feature("x1*x2", x1, x2)).toBe(f(f(x1) * f(x2)));
    expect(feature("sin_x2", x1, x2)).toBe(f(Math.sin(f(x2))));
    expect(() => feature("x3", 0, 0)).toThrow(/unknown feature/);
    const m = featureMatrix(["x2", "x2^2", "sin_x1"], [1, 2, 3, 4], 2);
    expect(Array.from(m)).toEqual([2, 4, f(Math.sin(1)), 4, 16, f(Math.sin(3))]);
  });
  it("grid points follow the contract: (i, j) at (xs[j], ys[i]), i = 0 is ymin", () => {
    const xy = gridPoints([-1, 1, 10, 20], 3);
    expect(Array.from(xy.subarray(0, 2))).toEqual([-1, 10]);
    expect(Array.from(xy.subarray(2, 4))).toEqual([0, 10]);
    expect(Array.from(xy.subarray(6, 8))).toEqual([-1, 15]);
    expect(Array.from(xy.subarray(16, 18))).toEqual([1, 20]);
    expect(Array.from(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});

describe("decision regions", () => {
  const bg: [number, number, number] = [255, 255, 255];
  const colours: Array<[number, number, number]> = [[200, 0, 0], [0, 150, 0], [0, 0, 220]];
  it("multi-class: the likeliest class's colour, confidence as lightness", () => {
    const sure = classShade([0, 1, 0], 0, 3, colours, bg);
    expect(sure).toEqual({ rgb: [0, 150, 0], cls: 1, confidence: 1 });
    const tie = classShade([1 / 3, 1 / 3, 1 / 3], 0, 3, colours, bg);
    expect(tie.confidence).toBeCloseTo(0, 12);
    expect(tie.rgb).toEqual([255, 255, 255]);
    const half = classShade([0.1, 0.2, 0.7], 0, 3, colours, bg);
    expect(half.cls).toBe(2);
    expect(half.confidence).toBeCloseTo((0.7 - 1 / 3) / (2 / 3), 6);
    // lighter (closer to the background) as confidence drops
    const lower = classShade([0.2, 0.2, 0.6], 0, 3, colours, bg);
    expect(lower.rgb[0]).toBeGreaterThan(half.rgb[0]);
    expect(classShade([0.2, 0.2, 0.6], 0, 3, colours, bg, true).rgb).toEqual([0, 0, 220]);
  });
  it("binary pixels: p = 0 and p = 1 at the diverging table's ends, the top image row is ymax", () => {
    const table = divergingTable();
    const pal: RegionPalette = { task: "binary", classes: 2, table, colours, background: bg, range: [0, 1], discretize: false };
    // grid row i = 0 (ymin) all 0, row 1 (ymax) all 1
    const px = regionPixels([0, 0, 1, 1], 2, pal);
    const n = table.length / 4;
    const wash = (t: number, k: number) => Math.round(255 + (table[k * 4 + t] - 255) * 0.6);
    expect(Array.from(px.subarray(0, 3))).toEqual([0, 1, 2].map((t) => wash(t, n - 1))); // top row: p = 1
    expect(Array.from(px.subarray(8, 11))).toEqual([0, 1, 2].map((t) => wash(t, 0)));
    const disc = regionPixels([0.4, 0.6, 0.4, 0.6], 2, { ...pal, discretize: true });
    expect(Array.from(disc.subarray(0, 3))).toEqual([0, 1, 2].map((t) => wash(t, 0)));
    expect(Array.from(disc.subarray(4, 7))).toEqual([0, 1, 2].map((t) => wash(t, n - 1)));
  });
  it("the contour is the 0.5 crossing, placed in data coordinates", () => {
    expect(contourLevel("binary")).toBe(0.5);
    expect(contourLevel("multiclass")).toBe(0.5);
    expect(contourLevel("regression")).toBeNull();
    // field p(x, y) = (x - xmin) / (xmax - xmin) over [-2, 6] × [0, 1]: crosses 0.5 at x = 2
    const r = 21;
    const bounds = [-2, 6, 0, 1];
    const xs = linspace(-2, 6, r);
    const values = new Float64Array(r * r);
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) values[i * r + j] = (xs[j] + 2) / 8;
    const lines = contourLines(values, r, bounds, 0.5);
    expect(lines.length).toBeGreaterThan(0);
    let n = 0;
    for (const line of lines) {
      for (const [x, y] of line) {
        expect(x).toBeCloseTo(2, 6);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(1);
        n++;
      }
    }
    expect(n).toBeGreaterThan(r / 2);
    expect(gridToData(0.5, -2, 6, r)).toBe(-2);
    expect(gridToData(r - 0.5, -2, 6, r)).toBe(6);
    // one class of a 2-channel grid: channel 1 = 1 - channel 0
    const two = new Float64Array(r * r * 2);
    for (let p = 0; p < r * r; p++) { two[2 * p] = values[p]; two[2 * p + 1] = 1 - values[p]; }
    for (const line of contourLines(two, r, bounds, 0.5, 1, 2)) for (const [x] of line) expect(x).toBeCloseTo(2, 6);
  });
});

describe("fallback grids and layout", () => {
  it("decodes Python's quantised grids into a frame", () => {
    const q = new Uint8Array([0, 255, 51, 102]);
    const frame = frameFromGrids(encodeArray(q, [2, 2]), [-1, 1], encodeArray(new Uint8Array(2 * THUMB * THUMB).fill(255), [2, THUMB, THUMB]),
      encodeArray(new Float32Array([0, 2, -4, -3]), [2, 2]), [2]);
    expect(frame.source).toBe("grid");
    expect(frame.side).toBe(2);
    expect(Array.from(frame.grid)).toEqual([-1, 1, -0.6, -0.2].map(Math.fround));
    expect(frame.neurons[0][0]).toBe(2);
    expect(frame.neurons[0][THUMB * THUMB]).toBe(-3);
    const multi = frameFromGrids(encodeArray(new Uint8Array([255, 0, 0, 51, 204, 0]), [1, 2, 3]), [0, 1], null, null, []);
    expect(Array.from(multi.grid)).toEqual([1, 0, 0, 0.2, 0.8, 0].map(Math.fround));
  });
  it("lays out one column per layer and an edge per weight, weight[out, in]", () => {
    const cols = [2, 3, 1];
    const { nodes } = layout(cols);
    expect(nodes.length).toBe(6);
    expect(new Set(nodes.map((n) => n.x)).size).toBe(3);
    const w1 = new Float32Array([1, 2, 3, 4, 5, 6]); // 3 × 2
    const w2 = new Float32Array([7, 8, 9]);
    const edges = edgesOf(nodes, cols, [w1, w2]);
    expect(edges.length).toBe(2 * 3 + 3);
    const e = edges.find((x) => x.from.layer === 0 && x.from.unit === 1 && x.to.unit === 2);
    expect(e?.weight).toBe(6);
    expect(edges.find((x) => x.from.layer === 1 && x.from.unit === 2)?.weight).toBe(9);
  });
  it("loss axis top ignores non-finite losses", () => {
    expect(lossTop([0.5, NaN, 1], [2, Infinity])).toBeCloseTo(2.1);
    expect(lossTop([], [])).toBe(1);
  });
});

describe("fast tanh of the batched forward pass", () => {
  it("is within 1e-8 of Math.tanh everywhere, exact at the ends, NaN stays NaN", async () => {
    const { fastTanh } = await import("../src/lib/mlp");
    let worst = 0;
    for (let x = -12; x <= 12; x += 0.000731) worst = Math.max(worst, Math.abs(fastTanh(x) - Math.tanh(x)));
    expect(worst).toBeLessThan(1e-8);
    expect(fastTanh(0)).toBeCloseTo(0, 15);
    expect(fastTanh(50)).toBe(1);
    expect(fastTanh(-50)).toBe(-1);
    expect(Number.isNaN(fastTanh(NaN))).toBe(true);
    expect(fastTanh(Infinity)).toBe(1);
    // as float32 (what the layers store), σ via tanh equals 1 / (1 + e^−x) within 1e-8
    for (const x of [-8, -1.3, -0.01, 0, 0.4, 3, 9]) expect(Math.abs(0.5 + 0.5 * fastTanh(x / 2) - 1 / (1 + Math.exp(-x)))).toBeLessThan(1e-8);
  });
});
