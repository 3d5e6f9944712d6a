import { describe, expect, it } from "vitest";
import { formatNumber, nearestIndex } from "../src/lib/format";
import { advance } from "../src/lib/timeline";
import { LocalModel, base64ToBytes, restoreBuffers } from "../src/standalone";
import { valueDomain } from "../src/activation_explorer/curve";

describe("formatNumber", () => {
  it("shows special values as words, not garbage", () => {
    expect(formatNumber(NaN)).toBe("NaN");
    expect(formatNumber(Infinity)).toBe("+∞");
    expect(formatNumber(-Infinity)).toBe("−∞");
  });
  it("uses significant digits and a real minus sign", () => {
    expect(formatNumber(0.25)).toBe("0.25");
    expect(formatNumber(-1.23456, 3)).toBe("−1.23");
    expect(formatNumber(1234567)).toBe("1.235e+6");
    expect(formatNumber(0)).toBe("0");
  });
});

describe("nearestIndex", () => {
  it("maps a value to the closest grid point and clamps", () => {
    expect(nearestIndex(0, -5, 5, 401)).toBe(200);
    expect(nearestIndex(-99, -5, 5, 401)).toBe(0);
    expect(nearestIndex(99, -5, 5, 401)).toBe(400);
  });
});

describe("timeline advance", () => {
  it("advances by elapsed time at the given fps", () => {
    expect(advance(0, 1000, 30, 300, false)).toBe(30);
    expect(advance(10, 500, 60, 300, false)).toBe(40);
  });
  it("stops at the last frame or wraps when looping", () => {
    expect(advance(290, 1000, 30, 300, false)).toBe(299);
    expect(advance(290, 1000, 30, 300, true)).toBe(20);
  });
});

describe("standalone runtime", () => {
  it("puts buffers back where ipywidgets took them from", () => {
    const state = { curve: { dtype: "float32", shape: [2] }, other: 1 } as Record<string, any>;
    const bytes = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    restoreBuffers(state, [["curve", "data"]], [bytes]);
    expect(state.curve.data).toBeInstanceOf(DataView);
    expect(state.curve.data.getFloat32(4, true)).toBe(-2);
  });
  it("decodes base64", () => {
    expect(Array.from(base64ToBytes("AQID"))).toEqual([1, 2, 3]);
  });
  it("LocalModel fires change events on save_changes, like a widget model", () => {
    const model = new LocalModel({ a: 1 });
    const seen: unknown[] = [];
    const cb = (v: unknown) => seen.push(v);
    model.on("change:a", cb);
    model.set("a", 2);
    expect(seen).toEqual([]);
    model.save_changes();
    expect(seen).toEqual([2]);
    model.off("change:a", cb);
    model.set("a", 3);
    model.save_changes();
    expect(seen).toEqual([2]);
    expect(model.get("a")).toBe(3);
  });
});

describe("activation explorer", () => {
  it("value domain covers both curves with headroom and skips non-finite values", () => {
    const [lo, hi] = valueDomain({ y: new Float32Array([0, 1, NaN]), dy: new Float32Array([0.25, 0, 0]) });
    expect(lo).toBeLessThan(0);
    expect(hi).toBeGreaterThan(1);
    expect(valueDomain({ y: new Float32Array([NaN]), dy: new Float32Array([NaN]) })).toEqual([-1, 1]);
  });
});
