// The convolution view: padded input with the sliding window, kernel, window ⊙ kernel, and the
// output filling in step by step; hovering shows receptive fields and what an input cell feeds.

import { withAlpha } from "../lib/colour";
import { maxAbsOf } from "./colours";
import { feedsOf, windowOf } from "./geometry";
import { inputImage, mapImage, stat } from "./layers";
import { panelOf, type Panel } from "./layout";
import { droppedBorder, footer, glidePos, inputBorder, operator, outline, panelTitle, progressive, smallGrid } from "./paint";
import { channelName, channelOf, currentCell, filterOf, groupStart, type Stepper } from "./state";
import { productIndex, productsPerFilter, weightValue } from "./trace";

/** Stacked slices of the other channels this filter reads, behind the shown one. */
function drawDeck(s: Stepper, ctx: CanvasRenderingContext2D, pin: Panel, c: number, g0: number) {
  const theme = s.state.theme;
  const g = s.state.geom!;
  const others: number[] = [];
  for (let k = 0; k < g.group_channels && others.length < 3; k++) if (g0 + k !== c) others.push(g0 + k);
  others.slice(0, Math.round(pin.deck / 6)).reverse().forEach((oc, n, arr) => {
    const off = (arr.length - n) * 6;
    const img = inputImage(s, oc, pin);
    ctx.globalAlpha = 0.45;
    ctx.drawImage(img.canvas, pin.x + off, pin.y - off, img.width, img.height);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = theme.axis;
    ctx.lineWidth = 1;
    ctx.strokeRect(pin.x + off + 0.5, pin.y - off + 0.5, img.width - 1, img.height - 1);
  });
}

/** The window: each sampled cell outlined (dilation leaves gaps), the whole span shaded. */
function drawWindow(s: Stepper, ctx: CanvasRenderingContext2D, pin: Panel, now: number, i: number, j: number) {
  const theme = s.state.theme;
  const g = s.state.geom!;
  const [gi, gj] = glidePos(s, now, [i, j]);
  const sy = gi * g.stride[0];
  const sx = gj * g.stride[1];
  const span = [(g.kernel[0] - 1) * g.dilation[0] + 1, (g.kernel[1] - 1) * g.dilation[1] + 1];
  ctx.fillStyle = withAlpha(theme.accent, 0.1);
  ctx.fillRect(pin.x + sx * pin.cell, pin.y + sy * pin.cell, span[1] * pin.cell, span[0] * pin.cell);
  for (let u = 0; u < g.kernel[0]; u++) {
    for (let w = 0; w < g.kernel[1]; w++) {
      const r = sy + u * g.dilation[0];
      const q = sx + w * g.dilation[1];
      ctx.strokeStyle = theme.accent;
      ctx.lineWidth = 2;
      ctx.strokeRect(pin.x + q * pin.cell + 1, pin.y + r * pin.cell + 1, pin.cell - 2, pin.cell - 2);
    }
  }
}

export function drawConv(s: Stepper, ctx: CanvasRenderingContext2D, now: number) {
  const theme = s.state.theme;
  const g = s.state.geom!;
  const tr = s.state.trace!;
  const hover = s.state.hover;
  const f = filterOf(s);
  const c = channelOf(s);
  const g0 = groupStart(s, f);
  const cl = c - g0;
  const [i, j] = currentCell(s);
  const pin = panelOf(s, "input")!;
  const pk = panelOf(s, "kernel")!;
  const pp = panelOf(s, "products")!;
  const po = panelOf(s, "output")!;
  drawDeck(s, ctx, pin, c, g0);
  const img = inputImage(s, c, pin);
  ctx.drawImage(img.canvas, pin.x, pin.y, img.width, img.height);
  // the unpadded image's border, and the border the stride never reaches
  const [t, , l] = g.pad;
  inputBorder(ctx, theme, pin, t, l, g.in[0], g.in[1]);
  droppedBorder(ctx, theme, pin, g.padded[0], g.padded[1], g.dropped[0], g.dropped[1]);
  panelTitle(ctx, theme, pin, `input (padded), ${channelName(s, c)}${g.group_channels > 1 ? ` of ${g.group_channels}` : ""}`);
  drawWindow(s, ctx, pin, now, i, j);

  // hover: an output cell's receptive field, or every output an input cell feeds
  let fieldOf: [number, number] | null = null;
  let fedBy: Array<[number, number]> = [];
  if (hover?.panel === "output") fieldOf = [hover.r, hover.c];
  if (hover?.panel === "input") fedBy = feedsOf(g, hover.r, hover.c);
  if (fieldOf) {
    const { rows, cols } = windowOf(g, fieldOf[0], fieldOf[1]);
    for (const r of rows) for (const q of cols) outline(ctx, pin, r, q, 1, 1, theme.accent2, 2.5);
  }
  if (hover?.panel === "input") outline(ctx, pin, hover.r, hover.c, 1, 1, theme.accent2, 3);

  // kernel and products of the window shown (hovered output cell, else the current one)
  const [ci, cj] = fieldOf ?? [i, j];
  const kmax = stat(s, "kmax", () => maxAbsOf(tr.weight.data));
  smallGrid(ctx, theme, pk, (u, w) => weightValue(g, tr, f, cl, u, w), kmax, true);
  panelTitle(ctx, theme, pk, `kernel, filter ${f}${g.group_channels > 1 ? `, slice ${cl}` : ""}`);
  const base = productIndex(g, f, 0, 0, 0, 0, 0);
  const pmax = stat(s, `pmax:${f}`, () => maxAbsOf(tr.products.data, base, base + productsPerFilter(g)));
  smallGrid(ctx, theme, pp, (u, w) => tr.products.data[productIndex(g, f, ci, cj, cl, u, w)], pmax, true);
  panelTitle(ctx, theme, pp, `window ⊙ kernel at (${ci}, ${cj})`);

  // the output filling in; the current cell framed
  const oimg = mapImage(s, "output", tr.output, f, g.out[0], g.out[1], po.cell);
  progressive(ctx, theme, po, oimg, i * g.out[1] + j + 1);
  outline(ctx, po, i, j, 1, 1, theme.accent, 2.5);
  for (const [a, b] of fedBy) outline(ctx, po, a, b, 1, 1, theme.accent2, 2.5);
  if (fieldOf) outline(ctx, po, fieldOf[0], fieldOf[1], 1, 1, theme.accent2, 3);
  panelTitle(ctx, theme, po, `output ${g.out[0]}×${g.out[1]}, filter ${f}`);
  operator(ctx, theme, pin, pk, "⊙");
  operator(ctx, theme, pk, pp, "=");
  operator(ctx, theme, pp, po, "Σ →");
  footer(ctx, theme, s.surface.height, `step ${i * g.out[1] + j + 1} of ${g.out[0] * g.out[1]}: output (${i}, ${j})`);
}
