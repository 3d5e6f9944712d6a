import { describe, expect, it } from "vitest";
import { interpolateGreys, interpolateMagma, interpolateRdBu, interpolateViridis, schemeTableau10 } from "d3-scale-chromatic";
import {
  blend,
  categoryColour,
  categoryColours,
  colourTable,
  contrastRatio,
  cssColor,
  DIVERGING_SIZE,
  divergingColour,
  divergingTable,
  luminance,
  parseColor,
  tableColour,
  tableIndex,
  textOn,
  withAlpha,
} from "../src/lib/colour";

const rgbOf = (css: string) => parseColor(css).slice(0, 3);
const entry = (table: Uint8ClampedArray, k: number) => Array.from(table.subarray(k * 4, k * 4 + 4));

describe("parseColor", () => {
  it("reads hex in all four lengths", () => {
    expect(parseColor("#4e79a7")).toEqual([78, 121, 167, 1]);
    expect(parseColor("#FF0080")).toEqual([255, 0, 128, 1]);
    expect(parseColor("#fff")).toEqual([255, 255, 255, 1]);
    expect(parseColor("#0f08")).toEqual([0, 255, 0, 0x88 / 255]);
    expect(parseColor("#11223380")).toEqual([17, 34, 51, 128 / 255]);
  });
  it("reads rgb() and rgba() with commas or spaces", () => {
    expect(parseColor("rgb(68, 1, 84)")).toEqual([68, 1, 84, 1]);
    expect(parseColor("rgb(1,2,3)")).toEqual([1, 2, 3, 1]);
    expect(parseColor("rgba(31,41,51,0.35)")).toEqual([31, 41, 51, 0.35]);
    expect(parseColor("rgb(255 255 255 / 0.87)")).toEqual([255, 255, 255, 0.87]);
    expect(parseColor("  rgb(10, 20, 30)  ")).toEqual([10, 20, 30, 1]);
    expect(parseColor("rgb(10 20 30 / 50%)")).toEqual([10, 20, 30, 0.5]);
    expect(parseColor("hsl(0, 100%, 50%)")).toEqual([255, 0, 0, 1]);
  });
  it("reads named colours and transparent", () => {
    expect(parseColor("red")).toEqual([255, 0, 0, 1]);
    expect(parseColor("white")).toEqual([255, 255, 255, 1]);
    expect(parseColor("rebeccapurple")).toEqual([102, 51, 153, 1]);
    expect(parseColor("transparent")).toEqual([0, 0, 0, 0]);
  });
  it("throws on unreadable input, or returns the fallback when one is given", () => {
    for (const bad of ["", "blu", "#12", "rgb(1, 2)", "var(--dlw-fg)", "#gggggg"]) {
      expect(() => parseColor(bad)).toThrow(TypeError);
      expect(parseColor(bad, [1, 2, 3, 1])).toEqual([1, 2, 3, 1]);
    }
    expect(() => parseColor(undefined as unknown as string)).toThrow(TypeError);
  });
  it("writes colours back as CSS", () => {
    expect(cssColor([1, 2, 3, 1])).toBe("rgb(1,2,3)");
    expect(cssColor([1, 2, 3])).toBe("rgb(1,2,3)");
    expect(cssColor([1, 2, 3, 0.5])).toBe("rgba(1,2,3,0.5)");
    expect(withAlpha("#2f6fdf", 0.3)).toBe("rgba(47,111,223,0.3)");
    expect(blend([255, 255, 255, 0.5], [0, 0, 0])).toEqual([128, 128, 128, 1]);
  });
});

describe("contrast", () => {
  it("follows WCAG 2", () => {
    expect(luminance([255, 255, 255])).toBeCloseTo(1, 10);
    expect(luminance([0, 0, 0])).toBe(0);
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 10);
    expect(contrastRatio([97, 110, 124], [255, 255, 255])).toBeGreaterThan(4.5); // #616e7c on white
    expect(contrastRatio([119, 119, 119], [255, 255, 255])).toBeCloseTo(4.48, 2);
  });
  it("picks dark text on light colours and light text on dark ones", () => {
    expect(textOn([255, 255, 255])).toBe("#111");
    expect(textOn([0, 0, 60])).toBe("#fff");
    expect(textOn([255, 255, 255], "black", "white")).toBe("black");
    // mid blues of the LSTM text strip: dark text reads better than white (WCAG ≥ 4.5)
    for (const rgb of [[59, 133, 188], [77, 150, 197]]) {
      expect(textOn(rgb)).toBe("#111");
      expect(contrastRatio(rgb, [17, 17, 17])).toBeGreaterThan(4.5);
    }
  });
});

describe("colourTable", () => {
  it("has the interpolator's colours at both ends", () => {
    for (const [name, interp] of [["viridis", interpolateViridis], ["magma", interpolateMagma]] as const) {
      const table = colourTable(name);
      expect(table.length).toBe(256 * 4);
      expect(entry(table, 0)).toEqual([...rgbOf(interp(0)), 255]);
      expect(entry(table, 255)).toEqual([...rgbOf(interp(1)), 255]);
      expect(entry(table, 51)).toEqual([...rgbOf(interp(51 / 255)), 255]);
    }
  });
  it("reverses and restricts the sampled range", () => {
    const rdbu = colourTable("RdBu", 256, { reverse: true });
    expect(entry(rdbu, 0)).toEqual([...rgbOf(interpolateRdBu(1)), 255]); // low end blue
    expect(entry(rdbu, 255)).toEqual([...rgbOf(interpolateRdBu(0)), 255]); // high end red
    const greys = colourTable("greys", 256, { reverse: true, range: [0, 0.92] });
    expect(entry(greys, 0)).toEqual([...rgbOf(interpolateGreys(1)), 255]);
    expect(entry(greys, 255)).toEqual([...rgbOf(interpolateGreys(1 - 0.92)), 255]);
    const custom = colourTable((t) => `rgb(${Math.round(255 * t)},0,0)`, 3);
    expect(Array.from(custom)).toEqual([0, 0, 0, 255, 128, 0, 0, 255, 255, 0, 0, 255]);
    expect(tableColour(custom, 1)).toBe("rgb(128,0,0)");
    expect(() => colourTable("nope" as "viridis")).toThrow(TypeError);
    expect(() => colourTable("viridis", 1)).toThrow(RangeError);
  });
  it("indexes values into a table, clamping, with -1 for non-finite values", () => {
    expect(tableIndex(0, -1, 1)).toBe(128);
    expect(tableIndex(-5, -1, 1)).toBe(0);
    expect(tableIndex(1, 0, 1)).toBe(255);
    expect(tableIndex(3, 3, 3)).toBe(128);
    expect(tableIndex(NaN, 0, 1)).toBe(-1);
    expect(tableIndex(-Infinity, 0, 1)).toBe(-1);
    expect(tableIndex(0.5, 0, 1, 11)).toBe(5);
  });
});

describe("diverging map", () => {
  it("is the neutral centre colour at 0 and blue/red at -max/+max", () => {
    const neutral = cssColor(rgbOf(interpolateRdBu(0.5)));
    expect(divergingColour(0, 1)).toBe(neutral);
    expect(divergingColour(0, 37.5)).toBe(neutral);
    expect(divergingColour(-2, 2)).toBe(cssColor(rgbOf(interpolateRdBu(1))));
    expect(divergingColour(9, 2)).toBe(cssColor(rgbOf(interpolateRdBu(0))));
    expect(divergingColour(NaN, 2)).toBeNull();
    const table = divergingTable();
    expect(table.length / 4).toBe(DIVERGING_SIZE);
    expect(entry(table, tableIndex(0, -3, 3, DIVERGING_SIZE))).toEqual([...rgbOf(interpolateRdBu(0.5)), 255]);
    const [r, , b] = rgbOf(divergingColour(1, 1)!);
    expect(r).toBeGreaterThan(b);
  });
});

describe("categories", () => {
  it("cycles Tableau 10 and spreads more categories over turbo", () => {
    expect(categoryColour(0)).toBe(schemeTableau10[0]);
    expect(categoryColour(13)).toBe(schemeTableau10[3]);
    expect(categoryColours(3)).toEqual(schemeTableau10.slice(0, 3));
    const many = categoryColours(12);
    expect(many).toHaveLength(12);
    expect(new Set(many).size).toBe(12);
  });
});
