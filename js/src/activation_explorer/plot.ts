// The plot: grid and ticks (lib/axes), zero axes, f and f′ as lines, the hover crosshair with
// its two dots; every colour from the theme.

import { scaleLinear } from "d3-scale";
import { drawAxis, drawCrosshair, linearTicks } from "../lib/axes";
import type { Surface } from "../lib/canvas";
import { formatNumber, nearestIndex } from "../lib/format";
import { font, type Theme } from "../lib/theme";
import { valueDomain, type Curve } from "./curve";

export const WIDTH = 640;
export const HEIGHT = 360;
export const MARGIN = { top: 16, right: 20, bottom: 34, left: 52 };

/** The x scale of a plot `width` pixels wide (also used to read the hovered x). */
export function xScale(xMin: number, xMax: number, width: number) {
  return scaleLinear().domain([xMin, xMax]).range([MARGIN.left, width - MARGIN.right]);
}

export interface PlotInput {
  x: Float32Array | Float64Array;
  curve: Curve;
  xMin: number;
  xMax: number;
  hoverX: number | null;
}

const label3 = (v: number) => formatNumber(v, 3);

function drawGridAndAxes(ctx: CanvasRenderingContext2D, sx: (v: number) => number,
  sy: ReturnType<typeof scaleLinear<number, number>>, input: PlotInput, width: number, height: number, theme: Theme) {
  const plotY: [number, number] = [MARGIN.top, height - MARGIN.bottom];
  drawAxis(ctx, { side: "bottom", ticks: linearTicks(input.xMin, input.xMax, 10, label3), scale: sx, at: height - MARGIN.bottom,
    gap: 6, grid: plotY, theme });
  const [y0, y1] = sy.domain();
  drawAxis(ctx, { side: "left", ticks: linearTicks(y0, y1, 8, label3), scale: sy, at: MARGIN.left, gap: 6,
    grid: [MARGIN.left, width - MARGIN.right], theme });
  ctx.strokeStyle = theme.axis;
  ctx.lineWidth = 1.2;
  if (y0 <= 0 && y1 >= 0) {
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, sy(0));
    ctx.lineTo(width - MARGIN.right, sy(0));
    ctx.stroke();
  }
  ctx.beginPath();
  ctx.moveTo(sx(0), MARGIN.top);
  ctx.lineTo(sx(0), height - MARGIN.bottom);
  ctx.stroke();
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 11);
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  ctx.fillText("x", width - MARGIN.right, height - MARGIN.bottom - 2);
}

function drawCurve(ctx: CanvasRenderingContext2D, x: ArrayLike<number>, values: ArrayLike<number>,
  sx: (v: number) => number, sy: (v: number) => number, color: string, dash: number[]) {
  ctx.strokeStyle = color;
  ctx.lineWidth = 2.5;
  ctx.setLineDash(dash);
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < x.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    const px = sx(x[i]);
    const py = sy(v);
    if (pen) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    pen = true;
  }
  ctx.stroke();
  ctx.setLineDash([]);
}

/**
 * Draw the plot; returns the grid index under the pointer (nearest grid point to hoverX), or
 * -1 when not hovering.
 */
export function drawPlot(surface: Surface, input: PlotInput | null, theme: Theme): number {
  const { ctx, width, height } = surface;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  if (!input) return -1;
  const { x, curve } = input;
  const sx = xScale(input.xMin, input.xMax, width);
  const sy = scaleLinear().domain(valueDomain(curve)).nice().range([height - MARGIN.bottom, MARGIN.top]);
  drawGridAndAxes(ctx, sx, sy, input, width, height, theme);
  drawCurve(ctx, x, curve.dy, sx, sy, theme.accent2, [7, 4]);
  drawCurve(ctx, x, curve.y, sx, sy, theme.accent, []);
  if (input.hoverX === null) return -1;
  const i = nearestIndex(input.hoverX, input.xMin, input.xMax, x.length);
  const px = sx(x[i]);
  drawCrosshair(ctx, px, MARGIN.top, height - MARGIN.bottom, theme);
  for (const [v, color] of [[curve.y[i], theme.accent], [curve.dy[i], theme.accent2]] as const) {
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(px, sy(v), 4.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  return i;
}
