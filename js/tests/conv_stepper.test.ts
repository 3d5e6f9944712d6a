import { describe, expect, it } from "vitest";
import { cellColor } from "../src/conv_stepper/colours";
import { cellText, feedsAxis, feedsOf, formulaText, framesFor, glide, outputSize, sumExpression, windowOf } from "../src/conv_stepper/geometry";
import { cellAt, cellSize, layoutPanels } from "../src/conv_stepper/layout";
import type { Geometry } from "../src/conv_stepper/state";

/** Output size by sliding a window until it no longer fits (no formula involved). */
function bruteOutputSize(n: number, k: number, s: number, before: number, after: number, d: number): number {
  const padded = n + before + after;
  let count = 0;
  for (let start = 0; start + d * (k - 1) < padded; start += s) count++;
  return count;
}

describe("output size", () => {
  it("equals sliding the window by hand over a grid of sizes, strides, paddings, dilations", () => {
    for (let n = 1; n <= 12; n++)
      for (let k = 1; k <= 5; k++)
        for (let s = 1; s <= 4; s++)
          for (let p = 0; p <= 2; p++)
            for (let d = 1; d <= 3; d++) {
              if (d * (k - 1) + 1 > n + 2 * p) continue;
              expect(outputSize(n, k, s, p, p, d)).toBe(bruteOutputSize(n, k, s, p, p, d));
              expect(outputSize(n, k, s, p, p + 1, d)).toBe(bruteOutputSize(n, k, s, p, p + 1, d));
            }
  });
  it("writes the formula with the numbers filled in, like the Python side", () => {
    // the string ConvGeometry.formula(0) gives for n=8, k=3, s=2, p=1, d=1
    expect(formulaText(8, 3, 2, 1, 1, 1)).toBe("floor((8 + 2·1 − 1·(3−1) − 1) / 2) + 1 = floor(7/2) + 1 = 4");
    expect(formulaText(6, 4, 1, 1, 2, 1)).toBe("floor((6 + 1 + 2 − 1·(4−1) − 1) / 1) + 1 = floor(5/1) + 1 = 6");
    expect(formulaText(28, 5, 2, 2, 2, 1).endsWith("= 14")).toBe(true);
  });
});

describe("receptive fields", () => {
  it("window rows/cols follow i·s + u·d", () => {
    const w = windowOf({ kernel: [3, 2], stride: [2, 3], dilation: [2, 1] }, 1, 2);
    expect(w.rows).toEqual([2, 4, 6]);
    expect(w.cols).toEqual([6, 7]);
  });
  it("feedsOf is the exact inverse of windowOf", () => {
    const cases: Array<Pick<Geometry, "kernel" | "stride" | "dilation" | "out"> & { padded: [number, number] }> = [];
    for (const [k, s, d, n] of [[3, 1, 1, 8], [3, 2, 1, 9], [2, 3, 2, 11], [4, 2, 3, 14], [1, 2, 1, 5]]) {
      const out = outputSize(n, k, s, 0, 0, d);
      cases.push({ kernel: [k, k === 1 ? 1 : k - 1], stride: [s, 1], dilation: [d, 1], out: [out, outputSize(n, k === 1 ? 1 : k - 1, 1, 0, 0, 1)], padded: [n, n] });
    }
    for (const g of cases) {
      const reads = new Map<string, Set<string>>();
      for (let i = 0; i < g.out[0]; i++)
        for (let j = 0; j < g.out[1]; j++) {
          const { rows, cols } = windowOf(g, i, j);
          for (const r of rows) for (const c of cols) {
            const key = `${r},${c}`;
            if (!reads.has(key)) reads.set(key, new Set());
            reads.get(key)!.add(`${i},${j}`);
          }
        }
      for (let r = 0; r < g.padded[0]; r++)
        for (let c = 0; c < g.padded[1]; c++) {
          const got = new Set(feedsOf(g, r, c).map(([i, j]) => `${i},${j}`));
          expect(got).toEqual(reads.get(`${r},${c}`) ?? new Set());
        }
    }
  });
  it("a row past the last window feeds nothing (the dropped border)", () => {
    // n = 8, k = 3, s = 2: windows start at 0, 2, 4; row 7 is never read
    expect(feedsAxis(7, 3, 2, 1, 3)).toEqual([]);
    expect(feedsAxis(4, 3, 2, 1, 3)).toEqual([1, 2]);
  });
});

describe("formatting", () => {
  it("cell text is short, exact-looking and uses a real minus", () => {
    expect(cellText(0)).toBe("0");
    expect(cellText(0.3125)).toBe("0.31");
    expect(cellText(-2.0625)).toBe("−2.06");
    expect(cellText(1)).toBe("1");
    expect(cellText(0.5)).toBe("0.5");
    expect(cellText(12.5)).toBe("12.5");
    expect(cellText(250)).toBe("250");
    expect(cellText(12345)).toBe("1e+4");
    expect(cellText(-Infinity)).toBe("−∞");
    expect(cellText(NaN)).toBe("NaN");
  });
  it("sum of products reads as an expression", () => {
    expect(sumExpression([0.5, 1, 0], [1, -1, 2], -0.5)).toBe("0.5×1 + 1×(−1) + 0×2 = −0.5");
    const many = sumExpression(new Array(27).fill(1), new Array(27).fill(1), 27, 8);
    expect(many).toContain("… (20 more)");
    expect(many.endsWith("= 27")).toBe(true);
  });
  it("colours: positive red, negative blue, non-negative images in greys", () => {
    const red = cellColor(1, 1, true);
    const blue = cellColor(-1, 1, true);
    const rgb = (c: string) => c.match(/\d+/g)!.map(Number);
    expect(rgb(red)[0]).toBeGreaterThan(rgb(red)[2]);
    expect(rgb(blue)[2]).toBeGreaterThan(rgb(blue)[0]);
    const dark = rgb(cellColor(0, 1, false));
    const light = rgb(cellColor(1, 1, false));
    expect(light[0]).toBeGreaterThan(dark[0]);
  });
});

describe("layout", () => {
  it("panels wrap onto rows within a narrow width and keep room for the operator after a row", () => {
    const spec = [
      { key: "input", title: "", rows: 10, cols: 10, cell: 38, deck: 0 },
      { key: "kernel", title: "", rows: 3, cols: 3, cell: 40, deck: 0 },
      { key: "products", title: "", rows: 3, cols: 3, cell: 40, deck: 0 },
      { key: "output", title: "", rows: 8, cols: 8, cell: 35, deck: 0 },
    ];
    const wide = layoutPanels(spec);
    expect(wide.width).toBeGreaterThan(700);
    expect(new Set(wide.panels.map((p) => p.y)).size).toBe(1);
    const narrow = layoutPanels(spec, 640);
    expect(narrow.width).toBeLessThanOrEqual(640);
    expect(narrow.height).toBeGreaterThan(wide.height);
    const rows = new Set(narrow.panels.map((p) => p.y));
    expect(rows.size).toBeGreaterThan(1);
    // no two panels overlap
    const box = (p: (typeof narrow.panels)[number]) => [p.x, p.y, p.x + p.cols * p.cell, p.y + p.rows * p.cell];
    for (let a = 0; a < narrow.panels.length; a++) {
      for (let b = a + 1; b < narrow.panels.length; b++) {
        const [ax0, ay0, ax1, ay1] = box(narrow.panels[a]);
        const [bx0, by0, bx1, by1] = box(narrow.panels[b]);
        expect(ax1 <= bx0 || bx1 <= ax0 || ay1 <= by0 || by1 <= ay0).toBe(true);
      }
    }
  });

  it("panels sit side by side without overlapping, and cells are found under the pointer", () => {
    const spec = [
      { key: "input", title: "", rows: 10, cols: 10, cell: cellSize(10, 380), deck: 12 },
      { key: "kernel", title: "", rows: 3, cols: 3, cell: cellSize(3, 170), deck: 0 },
      { key: "output", title: "", rows: 8, cols: 8, cell: cellSize(8, 280), deck: 0 },
    ];
    const { panels, width, height } = layoutPanels(spec);
    for (let k = 1; k < panels.length; k++) {
      const prev = panels[k - 1];
      expect(panels[k].x).toBeGreaterThan(prev.x + prev.cols * prev.cell + prev.deck);
    }
    for (const p of panels) {
      expect(p.x + p.cols * p.cell + p.deck).toBeLessThanOrEqual(width);
      expect(p.y + p.rows * p.cell).toBeLessThanOrEqual(height);
      expect(p.y - p.deck).toBeGreaterThan(0);
    }
    const out = panels[2];
    expect(cellAt(out, out.x + 2.5 * out.cell, out.y + 7.5 * out.cell)).toEqual([7, 2]);
    expect(cellAt(out, out.x - 1, out.y)).toBeNull();
    expect(cellAt(out, out.x + 8 * out.cell, out.y)).toBeNull();
    expect(cellSize(64, 380)).toBe(5);
    expect(cellSize(2, 380)).toBe(40);
  });
  it("frames per view and the highlight glide", () => {
    const g = { out: [6, 5], pool: { out: [3, 2] } } as unknown as Geometry;
    expect(framesFor("conv", g)).toBe(30);
    expect(framesFor("transposed", g)).toBe(30);
    expect(framesFor("pool", g)).toBe(6);
    expect(glide(0, 4, 0)).toBe(0);
    expect(glide(0, 4, 1)).toBe(4);
    expect(glide(0, 4, 2)).toBe(4);
    expect(glide(0, 4, 0.5)).toBeGreaterThan(2);
  });
});
