import { describe, expect, it } from "vitest";
import { formatBytes, formatInt, formatShape, trainingBytes } from "../src/model_summary/format";
import { ancestors, glyphSize, layoutDiagram, visibleRows } from "../src/model_summary/layout";
import type { Row } from "../src/model_summary/state";

function row(partial: Partial<Row> & { kind: string }): Row {
  return {
    name: "", layer: partial.kind, category: "other", shape: [4], params: 0, trainable: 0, depth: 0,
    parent: -1, block: false, line: null, source: "", ...partial,
  };
}

// a residual block (row 1) with two layers and a shortcut, between a conv and a dense layer
const ROWS: Row[] = [
  row({ kind: "conv", category: "conv", name: "0", shape: [8, 16, 16] }),
  row({ kind: "residual", category: "block", name: "1", block: true, shape: [16, 8, 8] }),
  row({ kind: "conv", category: "conv", name: "1.body.0", parent: 1, depth: 1, shape: [16, 8, 8] }),
  row({ kind: "relu", category: "activation", name: "1.body.1", parent: 1, depth: 1, shape: [16, 8, 8] }),
  row({ kind: "shortcut", category: "block", name: "1.shortcut", parent: 1, depth: 1, block: true, shape: [16, 8, 8] }),
  row({ kind: "conv", category: "conv", name: "1.shortcut.0", parent: 4, depth: 2, shape: [16, 8, 8] }),
  row({ kind: "flatten", category: "reshape", name: "2", shape: [1024] }),
  row({ kind: "dense", category: "dense", name: "3", shape: [10] }),
];

describe("visibleRows", () => {
  it("hides every descendant of a collapsed block", () => {
    expect(visibleRows(ROWS, [])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(visibleRows(ROWS, [1])).toEqual([0, 1, 6, 7]);
    expect(visibleRows(ROWS, [4])).toEqual([0, 1, 2, 3, 4, 6, 7]);
  });
  it("lists ancestors parent first", () => {
    expect(ancestors(ROWS, 5)).toEqual([4, 1]);
    expect(ancestors(ROWS, 0)).toEqual([]);
  });
});

describe("layoutDiagram", () => {
  it("draws one glyph per layer, folds activations, skips shortcut layers, adds an arc", () => {
    const layout = layoutDiagram(ROWS, [], [3, 16, 16]);
    expect(layout.units.map((u) => u.label)).toEqual(["input", "conv", "conv", "flatten", "dense"]);
    expect(layout.units[2].act).toBe("relu");
    expect(layout.arcs).toHaveLength(1);
    // the skip leaves from the glyph before the block and joins its last glyph
    expect(layout.arcs[0]).toMatchObject({ row: 1, from: 1, to: 2, label: "+ shortcut" });
    const xs = layout.units.map((u) => u.x);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    for (const u of layout.units) expect(u.x + u.w).toBeLessThanOrEqual(layout.width);
  });
  it("draws a collapsed block as one glyph", () => {
    const layout = layoutDiagram(ROWS, [1], [3, 16, 16]);
    expect(layout.units.map((u) => [u.label, u.collapsed])).toEqual([
      ["input", false], ["conv", false], ["residual", true], ["flatten", false], ["dense", false],
    ]);
    expect(layout.arcs).toHaveLength(0);
  });
  it("starts a GAN with its noise and shows the data before the discriminator", () => {
    const gan: Row[] = [
      row({ kind: "generator", category: "block", name: "generator", block: true, shape: [4] }),
      row({ kind: "dense", category: "dense", name: "generator.0", parent: 0, depth: 1, shape: [4] }),
      row({ kind: "discriminator", category: "block", name: "discriminator", block: true, shape: [1] }),
      row({ kind: "dense", category: "dense", name: "discriminator.0", parent: 2, depth: 1, shape: [1] }),
    ];
    const layout = layoutDiagram(gan, [], [4], "gan", 2);
    expect(layout.units.map((u) => u.label)).toEqual(["noise z", "dense", "data x", "dense"]);
    expect(layout.sections.map((s) => s.label)).toEqual(["generator", "discriminator"]);
  });
});

describe("glyphs and formats", () => {
  it("grows with the shape and stays bounded", () => {
    expect(glyphSize([784]).h).toBeGreaterThan(glyphSize([10]).h);
    expect(glyphSize([64, 56, 56]).w).toBeGreaterThan(glyphSize([3, 56, 56]).w);
    expect(glyphSize([1, 10000, 10000]).h).toBeLessThanOrEqual(110);
    expect(glyphSize(null)).toEqual({ w: 14, h: 30, d: 0 });
  });
  it("formats numbers, bytes and shapes", () => {
    expect(formatInt(61706)).toBe("61,706");
    expect(formatInt(132863336)).toBe("132,863,336");
    expect(formatBytes(241 * 1024 + 24)).toBe("241.0 KiB");
    expect(formatBytes(100)).toBe("100 B");
    expect(formatBytes(-1)).toBe("?");
    expect(formatShape([6, 28, 28])).toBe("6×28×28");
    expect(formatShape(null)).toBe("?");
  });
  it("estimates training memory like the Python summary", () => {
    // 4 bytes x 1000 params: weights + grads + 2 Adam moments; 2 x batch x activations
    expect(trainingBytes(4000, 100, 400, 32)).toBe(4000 * 4 + 100 + 2 * 32 * 400);
    expect(trainingBytes(4000, 0, -1, 32)).toBeNull();
  });
});
