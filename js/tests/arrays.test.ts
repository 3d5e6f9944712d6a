import { describe, expect, it } from "vitest";
import { decodeArray, decodeFloat, encodeArray, flatIndex } from "../src/lib/arrays";

describe("decodeArray", () => {
  it("views float32 bytes at a DataView offset without copying", () => {
    const backing = new ArrayBuffer(8 + 4 * 6);
    const values = new Float32Array(backing, 8, 6);
    values.set([1, 2, 3, 4, 5, 6]);
    const view = new DataView(backing, 8, 24);
    const arr = decodeArray({ dtype: "float32", shape: [2, 3], data: view });
    expect(arr.data).toBeInstanceOf(Float32Array);
    expect(Array.from(arr.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(arr.data.buffer).toBe(backing); // same memory
    expect(arr.shape).toEqual([2, 3]);
  });

  it("copies a misaligned view instead of throwing", () => {
    const backing = new ArrayBuffer(1 + 8);
    new Uint8Array(backing).set(new Uint8Array(new Int32Array([7, -9]).buffer), 1);
    const arr = decodeArray({ dtype: "int32", shape: [2], data: new DataView(backing, 1, 8) });
    expect(Array.from(arr.data)).toEqual([7, -9]);
  });

  it("rejects shapes that do not match the bytes and unknown dtypes", () => {
    const data = new DataView(new ArrayBuffer(12));
    expect(() => decodeArray({ dtype: "float32", shape: [4], data })).toThrow(/does not hold/);
    expect(() => decodeArray({ dtype: "complex64", shape: [1], data })).toThrow(/unsupported/);
    expect(() => decodeFloat({ dtype: "int32", shape: [3], data })).toThrow(/float/);
  });

  it("round-trips every dtype through encodeArray", () => {
    const cases = [
      new Float32Array([1.5, -2]),
      new Float64Array([Math.PI]),
      new Int8Array([-3, 4]),
      new Uint8Array([255]),
      new Int16Array([-300]),
      new Uint16Array([60000]),
      new Int32Array([-70000]),
      new Uint32Array([4000000000]),
    ];
    for (const typed of cases) {
      const wire = encodeArray(typed);
      const back = decodeArray(wire);
      expect(back.data.constructor).toBe(typed.constructor);
      expect(Array.from(back.data)).toEqual(Array.from(typed));
    }
  });

  it("encodeArray checks the shape", () => {
    expect(() => encodeArray(new Float32Array(6), [4, 2])).toThrow(/does not match/);
    expect(encodeArray(new Float32Array(6), [2, 3]).shape).toEqual([2, 3]);
  });
});

describe("flatIndex", () => {
  it("is row-major", () => {
    expect(flatIndex([2, 3, 4], [1, 2, 3])).toBe(1 * 12 + 2 * 4 + 3);
    expect(() => flatIndex([2, 2], [2, 0])).toThrow();
  });
});
