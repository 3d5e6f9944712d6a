import { describe, expect, it } from "vitest";
import { histogramGrid, layersFor } from "../src/training_monitor/histograms";
import { Table } from "../src/training_monitor/table";

function table(rows: number[][]): Table {
  // columns: key, step, kind, layer, lo, hi, c0, c1
  const names = ["key", "step", "kind", "layer", "lo", "hi", "c0", "c1"];
  const t = new Table("key");
  const cols: Record<string, number[]> = {};
  names.forEach((name, j) => (cols[name] = rows.map((r) => r[j])));
  t.append(cols);
  return t;
}

describe("histogramGrid", () => {
  it("spreads a bin over the value rows it overlaps", () => {
    // one step, bins [0,2) 4 and [2,4] 2, onto 8 rows of width 0.5: 1 per row, then 0.5
    const grid = histogramGrid(table([[10, 1, 0, 0, 0, 4, 4, 2]]), 0, 0, 8)!;
    const counts = Array.from(grid.values, (v) => 10 ** v - 1);
    counts.forEach((c, r) => expect(c).toBeCloseTo(r < 4 ? 0.5 : 1));
    expect(counts.reduce((a, b) => a + b)).toBeCloseTo(6);
  });

  it("re-bins each step's counts onto one value axis, highest values in row 0", () => {
    const t = table([
      [10, 1, 0, 0, 0, 2, 3, 1], // step 1: [0,1) 3, [1,2] 1
      [11, 1, 1, 0, -5, 5, 9, 9], // another kind: ignored
      [20, 2, 0, 0, 0, 4, 0, 5], // step 2: [0,2) 0, [2,4] 5
    ]);
    const grid = histogramGrid(t, 0, 0, 4)!;
    expect(grid.steps).toEqual([1, 2]);
    expect([grid.lo, grid.hi]).toEqual([0, 4]);
    // rows of width 1 over [0, 4], row 0 = [3, 4]; step 2's bin [2, 4] spreads over two rows
    const counts = Array.from(grid.values, (v) => 10 ** v - 1);
    const expected = [
      0, 2.5, // [3,4]
      0, 2.5, // [2,3)
      1, 0, // [1,2)
      3, 0, // [0,1)
    ];
    counts.forEach((c, k) => expect(c).toBeCloseTo(expected[k]));
    expect(grid.max).toBeCloseTo(Math.log10(4));
  });

  it("is null without rows of that kind and layer", () => {
    expect(histogramGrid(table([[10, 1, 0, 0, 0, 1, 1, 1]]), 2, 0)).toBeNull();
    expect(histogramGrid(new Table("key"), 0, 0)).toBeNull();
  });

  it("widens a range of one value so the cells have a height", () => {
    const grid = histogramGrid(table([[10, 1, 2, 1, 0, 0, 4, 0]]), 2, 1, 2)!;
    expect([grid.lo, grid.hi]).toEqual([-0.5, 0.5]);
    expect(Math.round(10 ** Math.max(...grid.values) - 1)).toBe(4);
  });
});

describe("layersFor", () => {
  it("offers parameter layers for weights and gradients, activation modules for activations", () => {
    const info = { layers: ["0", "2"], activation_layers: ["1"] };
    expect(layersFor(info, "weight")).toEqual(["0", "2"]);
    expect(layersFor(info, "grad")).toEqual(["0", "2"]);
    expect(layersFor(info, "activation")).toEqual(["1"]);
  });
});
