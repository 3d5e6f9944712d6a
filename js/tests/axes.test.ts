import { describe, expect, it } from "vitest";
import { scaleLinear, scaleLog } from "d3-scale";
import { decadeLabel, decadeTicks, linearTicks, logTicks, thinEvery, thinTicks } from "../src/lib/axes";

describe("linearTicks", () => {
  it("gives exactly d3-scale's ticks and tickFormat labels", () => {
    for (const [lo, hi, count] of [[0, 1, 5], [-3.7, 12.2, 8], [0, 914, 6], [1e-4, 3e-4, 4], [-5, 5, 10], [2, -2, 5]]) {
      const scale = scaleLinear().domain([lo, hi]);
      const format = scale.tickFormat(count);
      const ticks = linearTicks(lo, hi, count);
      expect(ticks.map((t) => t.value)).toEqual(scale.ticks(count));
      expect(ticks.map((t) => t.label)).toEqual(scale.ticks(count).map(format));
    }
  });
  it("matches a .nice() scale when given its domain", () => {
    const nice = scaleLinear().domain([0.13, 0.92]).nice();
    const [lo, hi] = nice.domain();
    expect(linearTicks(lo, hi, 8).map((t) => t.value)).toEqual(nice.ticks(8));
  });
  it("takes a label format and returns nothing for a non-finite domain", () => {
    expect(linearTicks(0, 1, 2, (v) => `<${v}>`).map((t) => t.label)).toEqual(["<0>", "<0.5>", "<1>"]);
    expect(linearTicks(NaN, 1, 5)).toEqual([]);
  });
});

describe("logTicks", () => {
  it("gives exactly d3-scale's log ticks and labels", () => {
    for (const [lo, hi, count] of [[0.01, 2500, 5], [0.5, 8, 5], [1e-12, 1e3, 6], [3, 4, 4]]) {
      const scale = scaleLog().domain([lo, hi]);
      const format = scale.tickFormat(count);
      const ticks = logTicks(lo, hi, count);
      expect(ticks.map((t) => t.value)).toEqual(scale.ticks(count));
      expect(ticks.map((t) => t.label)).toEqual(scale.ticks(count).map(format));
    }
  });
  it("refuses a domain that is not positive", () => {
    expect(logTicks(0, 5, 5)).toEqual([]);
    expect(logTicks(-1, 5, 5)).toEqual([]);
  });
});

describe("decadeTicks", () => {
  it("lists the exact powers of ten inside the domain, thinned to a maximum", () => {
    expect(decadeTicks(0.01, 2500).map((t) => t.value)).toEqual([0.01, 0.1, 1, 10, 100, 1000]);
    expect(decadeTicks(1e-12, 1e3, 7).length).toBeLessThanOrEqual(7);
    expect(decadeTicks(2, 5)).toEqual([]);
    expect(decadeTicks(0, 5)).toEqual([]);
    expect(decadeTicks(1, 1000).map((t) => t.label)).toEqual(["1e0", "1e1", "1e2", "1e3"]);
    expect(decadeLabel(0.001)).toBe("1e−3");
  });
});

describe("thinning", () => {
  it("thinEvery keeps every k-th tick from the first", () => {
    expect(thinEvery([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)).toEqual([1, 4, 7]);
    expect(thinEvery([1, 2, 3], 7)).toEqual([1, 2, 3]);
    expect(thinEvery([1, 2, 3, 4, 5], 2)).toEqual([1, 4]);
  });
  it("thinTicks drops ticks closer than the minimum gap in pixels", () => {
    const ticks = [0, 1, 2, 3, 4, 5].map((value) => ({ value, label: String(value) }));
    const px = (v: number) => v * 12;
    expect(thinTicks(ticks, px, 20).map((t) => t.value)).toEqual([0, 2, 4]);
    expect(thinTicks(ticks, px, 10).map((t) => t.value)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(thinTicks(ticks, (v) => (v === 1 ? NaN : v * 30), 20).map((t) => t.value)).toEqual([0, 2, 3, 4, 5]);
  });
});
