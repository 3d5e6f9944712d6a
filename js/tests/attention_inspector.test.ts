import { describe, expect, it } from "vitest";
import { cellAt, FADED, gridHit, gridLayout, headMatrix, headSegments, lineGroups, listedKeys, maxFinite, MIN_WEIGHT, queryDetail, vectorText, visibleToken } from "../src/attention_inspector/logic";
import type { LayerData } from "../src/attention_inspector/state";
import { glyphLabel } from "../src/model_summary/layout";

// 2 heads, 2 queries, 3 keys
const layer: LayerData = {
  heads: 2,
  tq: 2,
  tk: 3,
  weights: new Float32Array([
    // head 0
    1, 0, 0, 0.5, 0.5, 0,
    // head 1
    0.2, 0.3, 0.5, 0.001, 0.009, 0.99,
  ]),
  mask: new Uint8Array([0, 1, 1, 0, 0, 1]),
  // e = 4: head 0 is columns 0-1, head 1 columns 2-3
  qkv: {
    e: 4,
    q: new Float32Array([1, 2, 3, 4, 0, 1, 0, -1]),
    k: new Float32Array([1, 0, 1, 1, 0, 1, 2, 0, 2, 2, 0, 0]),
    v: new Float32Array([1, 0, 5, 5, 0, 1, 6, 6, 2, 2, 7, 7]),
  },
};

describe("heads view lines", () => {
  it("draws one line per visible head, query and key above the threshold, opacity = weight", () => {
    const all = headSegments(layer, new Set(), null);
    expect(all.filter((s) => s.head === 0)).toEqual([
      { head: 0, query: 0, key: 0, alpha: 1 },
      { head: 0, query: 1, key: 0, alpha: 0.5 },
      { head: 0, query: 1, key: 1, alpha: 0.5 },
    ]);
    expect(all.filter((s) => s.head === 1).every((s) => layer.weights[3 * 2 + s.query * 3 + s.key] >= MIN_WEIGHT)).toBe(true);
    expect(all.filter((s) => s.head === 1)).toHaveLength(4);
  });
  it("hides toggled heads", () => {
    expect(headSegments(layer, new Set([0]), null).every((s) => s.head === 1)).toBe(true);
    expect(headSegments(layer, new Set([0, 1]), null)).toEqual([]);
  });
  it("keeps the hovered token's lines and fades the rest", () => {
    const q = headSegments(layer, new Set([1]), { side: "q", index: 1 });
    expect(q.find((s) => s.query === 0)?.alpha).toBeCloseTo(FADED);
    expect(q.find((s) => s.query === 1 && s.key === 1)?.alpha).toBeCloseTo(0.5);
    const k = headSegments(layer, new Set([1]), { side: "k", index: 0 });
    expect(k.find((s) => s.query === 1 && s.key === 1)?.alpha).toBeCloseTo(0.5 * FADED);
    expect(k.find((s) => s.query === 1 && s.key === 0)?.alpha).toBeCloseTo(0.5);
  });
});

describe("matrix view", () => {
  it("marks masked cells NaN and scales to the largest finite weight", () => {
    const m = headMatrix(layer, 1);
    expect(Array.from(m.slice(0, 1))).toEqual([Math.fround(0.2)]);
    expect(Number.isNaN(m[1]) && Number.isNaN(m[2]) && Number.isNaN(m[5])).toBe(true);
    expect(maxFinite(m)).toBeCloseTo(0.2);
    expect(maxFinite([NaN])).toBe(0);
  });
  it("lays out layers × heads and finds the thumbnail under the pointer", () => {
    const g = gridLayout([2, 4], 500);
    expect(g.columns).toBe(4);
    expect(g.rows).toBe(2);
    expect(g.width).toBeLessThanOrEqual(500 + g.gap);
    const at = (l: number, hd: number) => [g.left + hd * (g.cell + g.gap) + 1, g.top + l * (g.cell + g.gap) + 1] as const;
    expect(gridHit(g, [2, 4], ...at(1, 3))).toEqual({ layer: 1, head: 3 });
    expect(gridHit(g, [2, 4], ...at(0, 3))).toBeNull(); // layer 0 has only 2 heads
    expect(gridHit(g, [2, 4], 0, 0)).toBeNull();
    expect(gridHit(g, [2, 4], g.left + g.cell + 2, g.top + 1)).toBeNull(); // in a gap
  });
  it("maps a pointer to a cell of the enlarged matrix", () => {
    expect(cellAt(2, 3, { w: 300, h: 200 }, 299, 199)).toEqual({ query: 1, key: 2 });
    expect(cellAt(2, 3, { w: 300, h: 200 }, 0, 0)).toEqual({ query: 0, key: 0 });
    expect(cellAt(2, 3, { w: 300, h: 200 }, 300, 10)).toBeNull();
  });
});

describe("tokens and glyphs", () => {
  it("shows whitespace and empty tokens visibly", () => {
    expect(visibleToken("a b\n")).toBe("a␣b⏎");
    expect(visibleToken("")).toBe("∅");
    expect(visibleToken("<b>")).toBe("<b>");
  });
  it("adds the head count to attention glyphs in the model diagram", () => {
    expect(glyphLabel({ kind: "attention", layer: "MultiheadAttention(4 heads, width 8)", category: "attention" })).toBe("attention ×4");
    expect(glyphLabel({ kind: "dense", layer: "Linear(4→2)", category: "dense" })).toBe("dense");
  });
});

describe("drill-down", () => {
  it("writes out q, q·k/√d, the mask and the weighted sum of the values", () => {
    const d = queryDetail(layer, 1, 0);
    expect(d).not.toBeNull();
    if (!d) return;
    expect(d.d).toBe(2);
    expect(Array.from(d.q)).toEqual([3, 4]);
    // keys of head 1: (1, 1), (2, 0), (0, 0)
    expect(Array.from(d.scores)).toEqual([7 / Math.SQRT2, 6 / Math.SQRT2, 0].map((x) => expect.closeTo(x, 6)));
    expect(d.masked).toEqual([false, true, true]);
    // weights of head 1, query 0: 0.2, 0.3, 0.5; values (5,5), (6,6), (7,7)
    expect(d.output[0]).toBeCloseTo(0.2 * 5 + 0.3 * 6 + 0.5 * 7, 5);
    expect(queryDetail({ ...layer, qkv: null }, 0, 0)).toBeNull();
    expect(queryDetail(layer, 2, 0)).toBeNull();
  });
  it("lists every key up to the limit, else the heaviest in order", () => {
    expect(listedKeys([0.1, 0.5, 0.4])).toEqual([0, 1, 2]);
    expect(listedKeys([0.1, 0.5, 0.05, 0.35], 2)).toEqual([1, 3]);
    expect(vectorText([1, 2, 3], 2, 1)).toBe("[1.0, 2.0, …]");
  });
});

describe("line batching", () => {
  it("groups lines by head and rounded opacity, keeping every line", () => {
    const segs = headSegments(layer, new Set(), null);
    const groups = lineGroups(segs, 10);
    expect(groups.reduce((n, g) => n + g.segments.length, 0)).toBe(segs.length);
    const full = groups.find((g) => g.head === 0 && g.alpha === 1);
    expect(full?.segments).toEqual([{ head: 0, query: 0, key: 0, alpha: 1 }]);
    expect(groups.every((g) => g.alpha >= 0.1 && g.segments.every((s) => Math.abs(s.alpha - g.alpha) <= 0.05 || g.alpha === 0.1))).toBe(true);
  });
});
