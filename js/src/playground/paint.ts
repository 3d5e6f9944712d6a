// Pure colouring and geometry of the decision regions (tested in node): a grid of model outputs
// to RGBA pixels (binary through a diverging table, multi-class by class with confidence as
// lightness, regression through a colour field), and the decision contour in data coordinates.

import { contours } from "d3-contour";
import { tableIndex } from "../lib/colour";
import type { Task } from "./state";

export type RGB = [number, number, number];

/** How strongly region colours show over the background (points stay readable on top). */
export const WASH = 0.6;

export interface RegionPalette {
  task: Task;
  classes: number;
  /** Diverging table for binary (p = 0 blue … 1 red), colour field table for regression. */
  table: Uint8ClampedArray;
  /** Class colours (multi-class). */
  colours: RGB[];
  background: RGB;
  /** Value range of a regression field. */
  range: [number, number];
  discretize: boolean;
}

/**
 * Colour of one multi-class cell: the most probable class's colour mixed with the background by
 * its confidence t = (p_max − 1/C) / (1 − 1/C): a sure cell (p_max = 1) is the class colour, a
 * cell where all classes tie (p_max = 1/C) is the background. Discretized: always t = 1.
 */
export function classShade(probs: ArrayLike<number>, offset: number, classes: number, colours: RGB[],
  background: RGB, discretize = false): { rgb: RGB; cls: number; confidence: number } {
  let best = 0;
  let pmax = -Infinity;
  for (let c = 0; c < classes; c++) {
    const p = probs[offset + c];
    if (p > pmax) {
      pmax = p;
      best = c;
    }
  }
  const floor = 1 / classes;
  const t = discretize ? 1 : Math.max(0, Math.min(1, (pmax - floor) / (1 - floor)));
  const col = colours[best % colours.length];
  const rgb: RGB = [0, 1, 2].map((k) => Math.round(background[k] + (col[k] - background[k]) * t)) as RGB;
  return { rgb, cls: best, confidence: t };
}

/**
 * RGBA pixels (side × side) of a grid of outputs for the canvas: row 0 of the image is the top of
 * the plane (ymax), so grid row i = 0 (ymin) is the bottom row. `values` holds side² outputs, or
 * side² × C probabilities for multi-class.
 */
export function regionPixels(values: ArrayLike<number>, side: number, pal: RegionPalette, out?: Uint8ClampedArray): Uint8ClampedArray {
  const px = out && out.length >= side * side * 4 ? out : new Uint8ClampedArray(side * side * 4);
  const bg = pal.background;
  const n = pal.table.length / 4;
  const [lo, hi] = pal.range;
  for (let i = 0; i < side; i++) {
    const row = side - 1 - i;
    for (let j = 0; j < side; j++) {
      const q = (row * side + j) * 4;
      const cell = i * side + j;
      let r: number;
      let g: number;
      let b: number;
      if (pal.task === "multiclass") {
        const shade = classShade(values, cell * pal.classes, pal.classes, pal.colours, bg, pal.discretize);
        [r, g, b] = shade.rgb;
      } else {
        let v = values[cell];
        let k: number;
        if (pal.task === "binary") {
          if (pal.discretize) v = v >= 0.5 ? 1 : 0;
          k = tableIndex(v, 0, 1, n);
        } else {
          k = tableIndex(v, lo, hi, n);
          if (pal.discretize && k >= 0) k = Math.round((Math.round((k / (n - 1)) * 7) / 7) * (n - 1));
        }
        if (k < 0) {
          r = 187;
          g = 187;
          b = 187;
        } else {
          r = pal.table[k * 4];
          g = pal.table[k * 4 + 1];
          b = pal.table[k * 4 + 2];
        }
      }
      px[q] = bg[0] + (r - bg[0]) * WASH;
      px[q + 1] = bg[1] + (g - bg[1]) * WASH;
      px[q + 2] = bg[2] + (b - bg[2]) * WASH;
      px[q + 3] = 255;
    }
  }
  return px;
}

/** The level of the decision contour: 0.5 for a class probability, none for regression. */
export function contourLevel(task: Task): number | null {
  return task === "regression" ? null : 0.5;
}

/** d3-contour grid coordinate (sample k sits at k + 0.5) to a data coordinate on [lo, hi]. */
export function gridToData(g: number, lo: number, hi: number, n: number): number {
  return lo + ((g - 0.5) / (n - 1)) * (hi - lo);
}

/**
 * Lines where the side × side field crosses `level`, in data coordinates (x, y) over bounds
 * [xmin, xmax, ymin, ymax]; `channel` of `channels` picks one class of a multi-class grid.
 * Points on the grid's outer edge (where d3-contour closes rings) are dropped, so each line is
 * only the true crossing.
 */
export function contourLines(values: ArrayLike<number>, side: number, bounds: ArrayLike<number>, level: number,
  channel = 0, channels = 1, scratch?: Float64Array): Array<Array<[number, number]>> {
  const field = scratch && scratch.length === side * side ? scratch : new Float64Array(side * side);
  for (let p = 0; p < side * side; p++) field[p] = values[p * channels + channel];
  const [xmin, xmax, ymin, ymax] = [bounds[0], bounds[1], bounds[2], bounds[3]];
  const lines: Array<Array<[number, number]>> = [];
  const edge = (gx: number, gy: number) => gx <= 0.5 || gy <= 0.5 || gx >= side - 0.5 || gy >= side - 0.5;
  for (const poly of contours().size([side, side]).thresholds([level])(field as unknown as number[])) {
    for (const polygon of poly.coordinates) {
      for (const ring of polygon) {
        let line: Array<[number, number]> = [];
        for (const [gx, gy] of ring) {
          if (edge(gx, gy)) {
            if (line.length > 1) lines.push(line);
            line = [];
            continue;
          }
          line.push([gridToData(gx, xmin, xmax, side), gridToData(gy, ymin, ymax, side)]);
        }
        if (line.length > 1) lines.push(line);
      }
    }
  }
  return lines;
}
