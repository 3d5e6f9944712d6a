import { describe, expect, it } from "vitest";
import { parseColor } from "../src/lib/colour";
import { layerColours, layersHoverText, layersWith } from "../src/training_monitor/layers";
import { Table } from "../src/training_monitor/table";
import { matrixColumns } from "../src/training_monitor/wire";

describe("layers view data", () => {
  it("merges layer rows from a delta matrix by recorded step", () => {
    const t = new Table("step");
    const columns = ["step", "grad_norm:0", "grad_norm:2", "dead_fraction:1"];
    const data = new Float64Array([1, 0.5, 2, 0.25, 5, 0.4, 1.5, 0.5]);
    const wire = { columns, dtype: "float64", shape: [2, 4], data: new DataView(data.buffer) };
    expect(t.append(matrixColumns(wire as any))).toBe(2);
    // the full-state write repeats step 1 and 5 and adds 9
    expect(t.append({ step: [1, 5, 9], "grad_norm:0": [0.5, 0.4, 0.3], "grad_norm:2": [2, 1.5, 1], "dead_fraction:1": [0.25, 0.5, 0.75] })).toBe(1);
    expect(Array.from(t.get("grad_norm:0")!.subarray(0, t.n))).toEqual([0.5, 0.4, 0.3]);
    expect(layersWith(t, ["0", "1", "2"], "grad_norm")).toEqual(["0", "2"]);
    expect(layersWith(t, ["1"], "dead_fraction")).toEqual(["1"]);
    const text = layersHoverText(t, { layers: ["0", "2"] }, 6)!;
    expect(text.startsWith("recorded step 5:")).toBe(true);
    expect(text).toContain("0 ‖∇w‖ 0.4");
  });

  it("colours layers input → output along one sequential map, all distinct", () => {
    const colours = layerColours(5);
    expect(colours).toHaveLength(5);
    expect(new Set(colours).size).toBe(5);
    // viridis runs dark → light: the input layer is the darkest
    const lum = (c: string) => parseColor(c).slice(0, 3).reduce((a, b) => a + b, 0);
    expect(lum(colours[0])).toBeLessThan(lum(colours[4]));
    expect(layerColours(0)).toEqual([]);
    expect(layerColours(1)).toHaveLength(1);
  });
});
