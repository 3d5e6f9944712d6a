import { describe, expect, it } from "vitest";
import { interpolateViridis } from "d3-scale-chromatic";
import { colourTable, parseColor } from "../src/lib/colour";
import { gridShape, heatmapPixels, imageGridPixels, MISSING } from "../src/lib/heatmap";

const px = (data: Uint8ClampedArray, i: number) => Array.from(data.subarray(i * 4, i * 4 + 4));

describe("heatmapPixels", () => {
  const table = colourTable("viridis");
  const first = Array.from(table.subarray(0, 4));
  const last = Array.from(table.subarray(255 * 4, 256 * 4));

  it("maps lo and hi to the table's ends and clamps outside", () => {
    const data = heatmapPixels([0, 10, -5, 99, 5, NaN], 2, 3, table, 0, 10);
    expect(px(data, 0)).toEqual(first);
    expect(px(data, 1)).toEqual(last);
    expect(px(data, 2)).toEqual(first);
    expect(px(data, 3)).toEqual(last);
    expect(px(data, 4)).toEqual([...parseColor(interpolateViridis(128 / 255)).slice(0, 3), 255]);
    expect(px(data, 5)).toEqual([...MISSING]);
    expect(first).toEqual([...parseColor(interpolateViridis(0)).slice(0, 3), 255]);
  });

  it("reads cells through an index function and into a given buffer", () => {
    // values stored column-major: cell (r, c) at c * rows + r
    const out = new Uint8ClampedArray(2 * 2 * 4);
    const data = heatmapPixels([0, 1, 1, 0], 2, 2, table, 0, 1, { index: (r, c) => c * 2 + r, out, missing: [0, 0, 0, 0] });
    expect(data).toBe(out);
    expect(px(data, 0)).toEqual(first); // (0,0) = 0
    expect(px(data, 1)).toEqual(last); // (0,1) = values[2] = 1
    expect(px(data, 2)).toEqual(last); // (1,0) = values[1] = 1
  });
});

describe("image grid", () => {
  it("lays out images row by row with gaps", () => {
    expect(gridShape(5)).toEqual({ columns: 3, rows: 2 });
    expect(gridShape(4, 4)).toEqual({ columns: 4, rows: 1 });
    // three 1×2 grey images in 2 columns with a 1-pixel gap: 5 × 3 pixels
    const img = imageGridPixels([0, 1, 0.5, 0.5, 1, 0], { count: 3, height: 1, width: 2, lo: 0, hi: 1, columns: 2, gap: 1 });
    expect([img.width, img.height]).toEqual([5, 3]);
    expect(px(img.data, 0)).toEqual([0, 0, 0, 255]);
    expect(px(img.data, 1)).toEqual([255, 255, 255, 255]);
    expect(px(img.data, 2)).toEqual([0, 0, 0, 0]); // gap
    expect(px(img.data, 3)).toEqual([128, 128, 128, 255]);
    expect(px(img.data, 10)).toEqual([255, 255, 255, 255]); // third image, row 2
    expect(px(img.data, 13)).toEqual([0, 0, 0, 0]); // empty slot
  });
  it("reads RGB images in either layout and greys through a table", () => {
    const chw = imageGridPixels([1, 0, 0.5], { count: 1, height: 1, width: 1, channels: 3, lo: 0, hi: 1 });
    expect(px(chw.data, 0)).toEqual([255, 0, 128, 255]);
    const hwc = imageGridPixels([1, 0, 0, 0, 1, 0], { count: 1, height: 1, width: 2, channels: 3, layout: "hwc", lo: 0, hi: 1 });
    expect(px(hwc.data, 1)).toEqual([0, 255, 0, 255]);
    const table = colourTable("viridis");
    const mapped = imageGridPixels([1], { count: 1, height: 1, width: 1, lo: 0, hi: 1, table });
    expect(px(mapped.data, 0)).toEqual(Array.from(table.subarray(255 * 4)));
  });
});
