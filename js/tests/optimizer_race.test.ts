import { describe, expect, it } from "vitest";
import { thinEvery as thinTicks } from "../src/lib/axes";
import { decadeTicksOrEnds as logTicks, lossExtent } from "../src/optimizer_race/chart";
import { niceValue, sliderToValue, valueToSlider } from "../src/optimizer_race/controls";
import { medianSeries } from "../src/optimizer_race/data";
import { statusText } from "../src/optimizer_race/panels";
import { LatestWins } from "../src/optimizer_race/requests";
import { colorValue, contourLevels, gridToData, makeTransform } from "../src/optimizer_race/surface";
import { arrowLength, lastVisibleIndex } from "../src/optimizer_race/trails";

describe("colorValue", () => {
  it("maps linearly between min and max and clamps", () => {
    expect(colorValue(0, 0, 10, false)).toBe(0);
    expect(colorValue(5, 0, 10, false)).toBeCloseTo(0.5);
    expect(colorValue(10, 0, 10, false)).toBe(1);
    expect(colorValue(20, 0, 10, false)).toBe(1);
    expect(colorValue(NaN, 0, 10, false)).toBe(1);
    expect(colorValue(3, 3, 3, false)).toBe(0);
  });

  it("log scale spreads the low values: log(z − min + δ), δ = 1e-6 of the range", () => {
    const lo = 0;
    const hi = 1000;
    expect(colorValue(0, lo, hi, true)).toBe(0);
    expect(colorValue(1000, lo, hi, true)).toBeCloseTo(1, 12);
    // z = 1 is a thousandth of the range but more than half way on the log scale
    const delta = 1e-3;
    const expected = (Math.log(1 + delta) - Math.log(delta)) / (Math.log(1000 + delta) - Math.log(delta));
    expect(colorValue(1, lo, hi, true)).toBeCloseTo(expected, 12);
    expect(colorValue(1, lo, hi, true)).toBeGreaterThan(0.5);
    expect(colorValue(1, lo, hi, false)).toBeCloseTo(0.001);
  });
});

describe("contourLevels", () => {
  it("takes evenly spaced quantiles of the finite values, increasing", () => {
    const values = Array.from({ length: 101 }, (_, i) => i);
    expect(contourLevels(values, 4)).toEqual([12.5, 37.5, 62.5, 87.5]);
    expect(contourLevels([NaN, 1, Infinity, 3], 1)).toEqual([2]);
    expect(contourLevels([], 5)).toEqual([]);
    // repeated values do not repeat levels
    expect(contourLevels([1, 1, 1, 1], 3)).toEqual([1]);
  });
});

describe("transforms", () => {
  const tf = makeTransform([-2, 2, -1, 3], { left: 50, top: 10, width: 400, height: 200 });
  it("maps corners and flips y", () => {
    expect(tf.toPx(-2, 3)).toEqual([50, 10]);
    expect(tf.toPx(2, -1)).toEqual([450, 210]);
    expect(tf.toData(250, 110)).toEqual([0, 1]);
    expect(tf.inside(49, 20)).toBe(false);
    expect(tf.inside(60, 20)).toBe(true);
  });
  it("round-trips", () => {
    const [px, py] = tf.toPx(0.3, 2.2);
    const [x, y] = tf.toData(px, py);
    expect(x).toBeCloseTo(0.3, 12);
    expect(y).toBeCloseTo(2.2, 12);
  });
  it("puts d3-contour grid coordinates (samples at i + 0.5) on the sample positions", () => {
    // 5 samples on [0, 4]: sample i sits at x = i, d3-contour puts it at g = i + 0.5
    expect(gridToData(0.5, 5, 0, 4)).toBe(0);
    expect(gridToData(4.5, 5, 0, 4)).toBe(4);
    expect(gridToData(2.5, 5, -1, 1)).toBe(0);
  });
});

describe("series helpers", () => {
  it("median per step ignores non-finite values", () => {
    // 3 steps x 4 starts
    const data = [1, 2, 3, 4, 5, NaN, 1, 3, Infinity, NaN, NaN, NaN];
    const m = medianSeries(data, 3, 4);
    expect(m[0]).toBe(2.5);
    expect(m[1]).toBe(3);
    expect(Number.isNaN(m[2])).toBe(true);
  });

  it("finds the last point of a trail inside the domain", () => {
    // (T=4, n=1, 2): leaves the box at t = 2
    const path = [0, 0, 1, 1, 50, 50, 1e9, 1e9];
    expect(lastVisibleIndex(path, 1, 0, 3, [-2, 2, -2, 2])).toBe(1);
    expect(lastVisibleIndex(path, 1, 0, 0, [-2, 2, -2, 2])).toBe(0);
    expect(lastVisibleIndex(path, 1, 0, 3, [5, 6, 5, 6])).toBe(-1);
  });

  it("loss extent: finite only, positive flag for log axes", () => {
    expect(lossExtent([[3, 1, NaN], [2, 8]])).toEqual({ lo: 1, hi: 8, positive: true });
    expect(lossExtent([[-0.25, 1]]).positive).toBe(false);
    const flat = lossExtent([[2, 2]]);
    expect(flat.hi).toBeGreaterThan(flat.lo);
    expect(lossExtent([[NaN]])).toEqual({ lo: 0, hi: 1, positive: false });
  });
});

describe("sliders", () => {
  it("log sliders cover decades evenly and round-trip", () => {
    expect(sliderToValue(0, 1e-5, 10, true)).toBeCloseTo(1e-5, 15);
    expect(sliderToValue(1000, 1e-5, 10, true)).toBeCloseTo(10, 10);
    expect(sliderToValue(500, 1e-4, 1, true)).toBeCloseTo(1e-2, 12);
    for (const v of [1e-4, 3e-3, 0.05, 0.7]) {
      expect(sliderToValue(valueToSlider(v, 1e-5, 10, true), 1e-5, 10, true) / v).toBeCloseTo(1, 1);
    }
  });
  it("linear sliders and clamping", () => {
    expect(sliderToValue(250, 0, 0.999, false)).toBeCloseTo(0.24975);
    expect(valueToSlider(2, 0, 1, false)).toBe(1000);
    expect(valueToSlider(-1, 0, 1, false)).toBe(0);
    expect(niceValue(0.0123456)).toBe(0.0123);
    expect(niceValue(0)).toBe(0);
  });
});

describe("explainer arrows", () => {
  it("has zero length for zero or non-finite magnitudes and grows with sqrt", () => {
    expect(arrowLength(0, 5)).toBe(0);
    expect(arrowLength(NaN, 5)).toBe(0);
    expect(arrowLength(5, 5)).toBe(70);
    expect(arrowLength(1.25, 5)).toBeCloseTo(10 + 60 * 0.5);
    expect(arrowLength(50, 5)).toBe(70);
  });
});

describe("status text", () => {
  const base = { final_loss: 1, counts: { converged: 3, diverged: 1, running: 6 }, steps: 100 };
  it("names the divergence step for one start and counts a swarm", () => {
    expect(statusText({ ...base, status: "diverged", diverged_step: 17 }, 1)).toBe("diverged at step 17");
    expect(statusText({ ...base, status: "converged", diverged_step: -1 }, 1)).toBe("converged");
    expect(statusText({ ...base, status: "running", diverged_step: -1 }, 10)).toBe(
      "✓ 3 converged · ✕ 1 diverged · 6 running",
    );
    expect(statusText({ ...base, status: "running", diverged_step: -1 }, 1)).toBe(
      "still moving after 100 steps",
    );
    expect(statusText(undefined, 1)).toBe("");
  });
});

describe("LatestWins", () => {
  it("sends at once, keeps only the newest while busy, sends it on the answer", () => {
    const sent: number[] = [];
    const q = new LatestWins<number>((v) => sent.push(v));
    q.push(1);
    q.push(2);
    q.push(3);
    expect(sent).toEqual([1]);
    expect(q.busy).toBe(true);
    q.answered();
    expect(sent).toEqual([1, 3]);
    q.answered();
    expect(q.busy).toBe(false);
    q.push(4);
    expect(sent).toEqual([1, 3, 4]);
  });
});

describe("logTicks", () => {
  it("gives the powers of ten inside the range, thinned", () => {
    expect(logTicks(0.01, 2500)).toEqual([0.01, 0.1, 1, 10, 100, 1000]);
    expect(logTicks(1e-12, 1e3).length).toBeLessThanOrEqual(8);
    expect(logTicks(2, 5)).toEqual([2, 5]);
    expect(logTicks(0, 5)).toEqual([]);
  });
});

describe("thinTicks", () => {
  it("keeps at most max ticks, evenly", () => {
    expect(thinTicks([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(thinTicks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5)).toEqual([1, 3, 5, 7, 9]);
  });
});
