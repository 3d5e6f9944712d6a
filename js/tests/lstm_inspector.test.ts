import { describe, expect, it } from "vitest";
import { gruNumbers, lstmNumbers } from "../src/lstm_inspector/cell_numbers";
import { parseColor, textOn } from "../src/lib/colour";
import { domainFor, lut, lutIndex, textDomain } from "../src/lstm_inspector/colour_scales";
import { blockTop, cellAt, heatLayout } from "../src/lstm_inspector/heatmap_layout";
import { shortToken, vectorText, visibleToken } from "../src/lstm_inspector/tokens";
import {
  argmaxRow,
  at,
  dimsOf,
  gradientSeries,
  logDomain,
  previousStep,
  rankUnits,
  unitSeries,
} from "../src/lstm_inspector/trace";

describe("indexing (L, D, T, units)", () => {
  it("matches row-major order and extracts a unit's series", () => {
    const d = dimsOf([2, 2, 3, 4]);
    const data = Float32Array.from({ length: 48 }, (_, k) => k);
    // numpy: a[l, dir, t, u] = ((l*2 + dir)*3 + t)*4 + u
    expect(at(d, 1, 0, 2, 3)).toBe(((1 * 2 + 0) * 3 + 2) * 4 + 3);
    expect(Array.from(unitSeries(data, d, 1, 1, 2))).toEqual([
      ((1 * 2 + 1) * 3 + 0) * 4 + 2, ((1 * 2 + 1) * 3 + 1) * 4 + 2, ((1 * 2 + 1) * 3 + 2) * 4 + 2,
    ]);
    expect(Array.from(unitSeries(data, d, 0, 0, 9)).every(Number.isNaN)).toBe(true);
    expect(() => dimsOf([3, 4])).toThrow(/4-D/);
  });
  it("gradient rows come from (L, D, T), clamped to the comparison's layers", () => {
    const data = Float32Array.from({ length: 2 * 2 * 3 }, (_, k) => k);
    expect(Array.from(gradientSeries(data, [2, 2, 3], 1, 1))).toEqual([9, 10, 11]);
    expect(Array.from(gradientSeries(data.slice(0, 3), [1, 1, 3], 1, 1))).toEqual([0, 1, 2]);
  });
});

describe("colour domains", () => {
  const values = [-3, 0.5, 2];
  it("sigmoid gates on [0, 1], tanh outputs on [−1, 1], unbounded ones symmetric", () => {
    expect(domainFor("forget", "LSTM", "", 0, values)).toEqual({ scheme: "gate", domain: [0, 1] });
    expect(domainFor("update", "GRU", "", 0, values)).toEqual({ scheme: "gate", domain: [0, 1] });
    expect(domainFor("cell", "LSTM", "", 0, values)).toEqual({ scheme: "signed", domain: [-1, 1] });
    expect(domainFor("h", "LSTM", "", 0, values)).toEqual({ scheme: "signed", domain: [-1, 1] });
    expect(domainFor("c", "LSTM", "", 0, values)).toEqual({ scheme: "signed", domain: [-3, 3] });
    // a projected h is not bounded by tanh
    expect(domainFor("h", "LSTM", "", 4, values)).toEqual({ scheme: "signed", domain: [-3, 3] });
    // one outlier among many does not wash out the range (99.5th percentile of |v|)
    const many = Array.from({ length: 1000 }, (_, k) => (k % 2 ? 1 : -1) * (k / 1000));
    many[500] = 1000;
    const [lo, hi] = domainFor("c", "LSTM", "", 0, many).domain;
    expect(hi).toBeLessThan(1.01);
    expect(lo).toBe(-hi);
    expect(domainFor("h", "RNN", "relu", 0, [0, 4, NaN])).toEqual({ scheme: "positive", domain: [0, 4] });
    expect(domainFor("pre", "RNN", "tanh", 0, [0, 0])).toEqual({ scheme: "signed", domain: [-1, 1] });
  });
  it("text colours: fixed range for gates, the unit's own range for unbounded values", () => {
    expect(textDomain("forget", "LSTM", "", 0, [0.2, 0.3])).toEqual({ scheme: "gate", domain: [0, 1] });
    expect(textDomain("c", "LSTM", "", 0, [0.2, -3, 1])).toEqual({ scheme: "signed", domain: [-3, 3] });
    expect(textDomain("h", "GRU", "", 0, [0.2, -0.3])).toEqual({ scheme: "signed", domain: [-1, 1] });
    expect(textDomain("h", "GRU", "", 0, [0.2, -0.3], true)).toEqual({ scheme: "signed", domain: [-0.3, 0.3] });
    expect(textDomain("h", "RNN", "relu", 0, [0, 2, NaN])).toEqual({ scheme: "positive", domain: [0, 2] });
    expect(textDomain("c", "LSTM", "", 0, [0, 0])).toEqual({ scheme: "signed", domain: [-1, 1] });
  });
  it("maps values to LUT indices, NaN to −1", () => {
    expect(lutIndex(0, [-1, 1])).toBe(128);
    expect(lutIndex(-5, [-1, 1])).toBe(0);
    expect(lutIndex(1, [0, 1])).toBe(255);
    expect(lutIndex(NaN, [0, 1])).toBe(-1);
    expect(lutIndex(Infinity, [0, 1])).toBe(-1);
  });
  it("signed LUT: blue for negative, white-ish at 0, red for positive", () => {
    const t = lut("signed");
    const rgb = (k: number) => [t[k * 4], t[k * 4 + 1], t[k * 4 + 2]]; // RGBA entries (lib/colour.ts)
    const [r0, , b0] = rgb(0);
    const [r1, , b1] = rgb(255);
    expect(b0).toBeGreaterThan(r0);
    expect(r1).toBeGreaterThan(b1);
    expect(Math.min(...rgb(128))).toBeGreaterThan(200);
  });
  it("parses colours and picks readable text", () => {
    // the shared parseColor (lib/colour.ts) gives [r, g, b, alpha] and reads named colours;
    // unreadable input still throws
    expect(parseColor("rgb(1, 2, 3)").slice(0, 3)).toEqual([1, 2, 3]);
    expect(parseColor("#ff0080").slice(0, 3)).toEqual([255, 0, 128]);
    expect(() => parseColor("not a colour")).toThrow();
    expect(textOn([255, 255, 255])).toBe("#111");
    expect(textOn([0, 0, 60])).toBe("#fff");
  });
});

describe("heatmap layout", () => {
  it("round-trips every cell centre through cellAt", () => {
    const L = heatLayout(["input", "forget", "h"], [5, 5, 3], 17, 400);
    for (let b = 0; b < 3; b++) {
      for (let u = 0; u < L.units[b]; u++) {
        for (let t = 0; t < 17; t++) {
          const x = L.left + (t + 0.5) * L.cellW;
          const y = blockTop(L, b) + (u + 0.5) * L.cellH;
          expect(cellAt(L, x, y)).toEqual({ block: b, t, unit: u });
        }
      }
    }
  });
  it("misses labels, margins and rows past a short block", () => {
    const L = heatLayout(["c", "h"], [6, 2], 10, 400);
    expect(cellAt(L, L.left - 1, blockTop(L, 0) + 1)).toBeNull();
    expect(cellAt(L, L.left + 1, blockTop(L, 0) - 3)).toBeNull(); // the label line
    expect(cellAt(L, L.left + 1, blockTop(L, 1) + 3 * L.cellH)).toBeNull(); // h has 2 units
    expect(cellAt(L, L.left + 10 * L.cellW, blockTop(L, 0))).toBeNull();
    expect(L.width).toBe(Math.max(L.left + 10 * L.cellW + 8, 340));
    const wide = heatLayout(["c"], [4], 60, 560);
    expect(wide.width).toBe(wide.left + 60 * wide.cellW + 8);
  });
  it("keeps cells at least one pixel wide for long sequences", () => {
    const L = heatLayout(["h"], [256], 1000, 720);
    expect(L.cellW).toBe(1);
    expect(L.cellH).toBe(1);
  });
});

describe("unit search (LSTMVis selection)", () => {
  it("ranks by mean inside minus mean outside, like the engine's rank_units", () => {
    const d = dimsOf([1, 1, 6, 3]);
    const data = new Float32Array(18);
    // unit 2 fires on steps 2..3, unit 0 is constant, unit 1 is anti-correlated
    for (let t = 0; t < 6; t++) {
      data[at(d, 0, 0, t, 0)] = 0.5;
      data[at(d, 0, 0, t, 1)] = t >= 2 && t < 4 ? -1 : 1;
      data[at(d, 0, 0, t, 2)] = t >= 2 && t < 4 ? 2 : 0;
    }
    const ranked = rankUnits(data, d, 0, 0, 2, 4);
    expect(ranked.map((r) => r.unit)).toEqual([2, 0, 1]);
    expect(ranked[0].score).toBeCloseTo(2);
    expect(ranked[1].score).toBeCloseTo(0);
    expect(ranked[2].score).toBeCloseTo(-2);
    expect(rankUnits(data, d, 0, 0, 0, 6)).toEqual([]); // nothing outside to compare with
    expect(rankUnits(data, d, 0, 0, 3, 3)).toEqual([]);
  });
});

describe("cell diagram numbers", () => {
  it("LSTM: c = f·c_prev + i·g and m = o·tanh(c)", () => {
    const f = 0.9, i = 0.3, g = -0.5, o = 0.7, cPrev = 1.2;
    const c = f * cPrev + i * g;
    const n = lstmNumbers({ i, f, g, o, cPrev, c, h: o * Math.tanh(c) });
    expect(n.fc + n.ig).toBeCloseTo(n.c, 12);
    expect(n.m).toBeCloseTo(n.h, 12);
    expect(n.tanhC).toBeCloseTo(Math.tanh(c), 12);
  });
  it("GRU: h = (1 − z)·n + z·h_prev", () => {
    const r = 0.2, z = 0.8, nn = -0.4, hPrev = 0.6;
    const g = gruNumbers({ r, z, n: nn, hPrev, h: (1 - z) * nn + z * hPrev });
    expect(g.fresh + g.keep).toBeCloseTo(g.h, 12);
  });
  it("previous step runs backwards for the reverse direction", () => {
    expect(previousStep(0, 0, 5)).toBe(-1);
    expect(previousStep(3, 0, 5)).toBe(2);
    expect(previousStep(3, 1, 5)).toBe(4);
    expect(previousStep(4, 1, 5)).toBe(-1);
  });
});

describe("misc", () => {
  it("log domain ignores zeros and NaN, widens narrow ranges", () => {
    expect(logDomain([[0, 1e-8, 1, NaN], null])).toEqual([1e-8, 1]);
    const [lo, hi] = logDomain([[2, 3]])!;
    expect(lo).toBeCloseTo(2 / 3);
    expect(hi).toBeCloseTo(9);
    expect(logDomain([[0, -1]])).toBeNull();
  });
  it("short vectors as text", () => {
    expect(vectorText([1, -0.5])).toBe("[1, −0.5]");
    expect(vectorText([1, 2, 3], 2)).toBe("[1, 2, … (3 values)]");
  });
  it("argmax per row", () => {
    expect(argmaxRow([0, 5, 1, 9, 2, 3], 3, 0)).toBe(1);
    expect(argmaxRow([0, 5, 1, 9, 2, 3], 3, 1)).toBe(0);
  });
  it("tokens are shown as text with whitespace made visible", () => {
    expect(visibleToken(" ")).toBe("␣");
    expect(visibleToken("a b\n")).toBe("a b↵");
    expect(visibleToken("")).toBe("∅");
    expect(visibleToken("<img src=x onerror=alert(1)>")).toBe("<img src=x onerror=alert(1)>");
    expect(shortToken("hello", 2)).toBe("h…");
    expect(shortToken("(", 2)).toBe("(");
  });
});
