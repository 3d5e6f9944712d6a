import { describe, expect, it } from "vitest";
import { contrastRatio, parseColor } from "../src/lib/colour";
import { tickLabel } from "../src/training_monitor/chart";
import { pillColour } from "../src/training_monitor/panel";
import { etaSeconds, formatDuration, stepAxisEnd } from "../src/training_monitor/progress";
import { ema, envelope, finiteExtent, Table } from "../src/training_monitor/table";
import { decodeColumns, matrixColumns, restorePaths } from "../src/training_monitor/wire";

describe("Table", () => {
  it("appends only rows past the last key, in any delivery order", () => {
    const t = new Table("step");
    expect(t.append({ step: [1, 2, 3], loss: [3, 2, 1] })).toBe(3);
    // a full-history write overlapping what deltas already delivered
    expect(t.append({ step: [1, 2, 3, 4, 5], loss: [3, 2, 1, 0.5, 0.25] })).toBe(2);
    // a stale delta
    expect(t.append({ step: [2, 3], loss: [9, 9] })).toBe(0);
    expect(t.n).toBe(5);
    expect(Array.from(t.get("loss")!.subarray(0, t.n))).toEqual([3, 2, 1, 0.5, 0.25]);
    expect(t.lastKey()).toBe(5);
  });

  it("fills columns that appear later with NaN for earlier rows and grows", () => {
    const t = new Table("step");
    t.append({ step: [1], loss: [1] });
    t.append({ step: [2], loss: [2], grad_norm: [7] });
    t.append({ step: [3], loss: [3] });
    const g = t.get("grad_norm")!;
    expect(Number.isNaN(g[0])).toBe(true);
    expect(g[1]).toBe(7);
    expect(Number.isNaN(g[2])).toBe(true);
    const many = Array.from({ length: 1000 }, (_, i) => i + 4);
    t.append({ step: many, loss: many });
    expect(t.n).toBe(1003);
    expect(t.get("loss")![1002]).toBe(1003);
  });

  it("finds the nearest row by key", () => {
    const t = new Table("step");
    t.append({ step: [10, 20, 30] });
    expect(t.nearest(0)).toBe(0);
    expect(t.nearest(14)).toBe(0);
    expect(t.nearest(16)).toBe(1);
    expect(t.nearest(99)).toBe(2);
    expect(new Table("step").nearest(3)).toBe(-1);
  });
});

describe("ema", () => {
  it("is bias-corrected: the first value is kept, a constant stays constant", () => {
    const out = ema([4, 4, 4], 3, 0.9);
    expect(Array.from(out)).toEqual([4, 4, 4].map((v) => expect.closeTo(v, 12)));
  });

  it("matches the recurrence s = a s + (1 - a) v divided by 1 - a^k", () => {
    const v = [1, 3, 2, 5];
    const a = 0.6;
    let s = 0;
    const expected = v.map((x, k) => {
      s = a * s + (1 - a) * x;
      return s / (1 - a ** (k + 1));
    });
    const out = ema(v, 4, a);
    expected.forEach((e, i) => expect(out[i]).toBeCloseTo(e, 12));
  });

  it("skips NaN without poisoning later values", () => {
    const out = ema([NaN, 2, NaN, 2], 4, 0.5);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[1]).toBeCloseTo(2);
    expect(out[3]).toBeCloseTo(2);
  });
});

describe("ranges and envelopes", () => {
  it("extent ignores NaN/inf and, for log scales, non-positive values", () => {
    expect(finiteExtent([[[NaN, 2, -1, Infinity], 4]])).toEqual([-1, 2]);
    expect(finiteExtent([[[0, 2, -1, 0.5], 4]], true)).toEqual([0.5, 2]);
    expect(finiteExtent([[[NaN], 1]])).toBeNull();
    expect(finiteExtent([[[1, 2, 3], 2], [[10], 1]])).toEqual([1, 10]);
  });

  it("envelope keeps min and max per pixel column", () => {
    const xs = [0, 0.2, 0.4, 1, 1.2, 2];
    const ys = [5, 1, 3, 7, NaN, 2];
    expect(envelope(xs, ys, 6, (x) => x)).toEqual([[0, 1, 5], [1, 7, 7], [2, 2, 2]]);
  });
});

describe("progress", () => {
  it("estimates the time left from the pace so far", () => {
    expect(etaSeconds(25, 100, 10)).toBeCloseTo(30);
    expect(etaSeconds(100, 100, 10)).toBe(0);
    expect(etaSeconds(0, 100, 10)).toBeNull();
    expect(etaSeconds(5, null, 10)).toBeNull();
  });

  it("grows the step axis with the run, never past the total, and ends at the last step", () => {
    expect(stepAxisEnd(100, 270000, 90, true)).toBe(120);
    expect(stepAxisEnd(10, 270000, 90, true)).toBe(90); // at least one epoch
    expect(stepAxisEnd(355, 360, 45, true)).toBe(360); // never past the total
    expect(stepAxisEnd(914, 270000, 90, false)).toBe(914); // stopped: fit what was done
    expect(stepAxisEnd(0, null, null, true)).toBe(2);
  });

  it("keeps axis labels short", () => {
    expect(tickLabel(4e12)).toBe("4.0e+12");
    expect(tickLabel(0.0009)).toBe("0.0009");
    expect(tickLabel(0.00005)).toBe("5.0e−5");
    expect(tickLabel(0.25)).toBe("0.25");
    expect(tickLabel(1500)).toBe("1500");
    expect(tickLabel(0)).toBe("0");
  });

  it("formats durations", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(75)).toBe("1:15");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(null)).toBe("—");
  });
});

describe("delta messages and state", () => {
  it("puts the buffer back at its path and splits the row-major matrix into columns", () => {
    // rows: (step 7, loss 0.5), (step 8, loss 0.25)
    const matrix = new Float64Array([7, 0.5, 8, 0.25]);
    const content: Record<string, any> = {
      type: "delta",
      steps: { columns: ["step", "loss"], dtype: "float64", shape: [2, 2] },
      buffer_paths: [["steps", "data"]],
    };
    restorePaths(content, content.buffer_paths, [matrix.buffer]);
    const cols = matrixColumns(content.steps);
    expect(Array.from(cols.step)).toEqual([7, 8]);
    expect(Array.from(cols.loss)).toEqual([0.5, 0.25]);
    expect(matrixColumns(undefined)).toEqual({});
    content.steps.columns = ["step"];
    expect(() => matrixColumns(content.steps)).toThrow(RangeError);
  });

  it("decodes state columns", () => {
    const loss = new Float32Array([0.5, 0.25]);
    const step = new Int32Array([7, 8]);
    const cols = decodeColumns({
      loss: { dtype: "float32", shape: [2], data: new DataView(loss.buffer) },
      step: { dtype: "int32", shape: [2], data: new DataView(step.buffer) },
    });
    expect(Array.from(cols.loss)).toEqual([0.5, 0.25]);
    expect(Array.from(cols.step)).toEqual([7, 8]);
  });
});

describe("status pill", () => {
  it("keeps its white text at WCAG AA contrast for every status", () => {
    for (const status of ["idle", "starting", "running", "paused", "completed", "stopped", "diverged", "error"]) {
      expect(contrastRatio(parseColor("#ffffff"), parseColor(pillColour(status))), status).toBeGreaterThanOrEqual(4.5);
    }
  });
});
