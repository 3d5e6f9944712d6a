// The transposed (adjoint) view: each output value y(i, j) times the kernel is scattered back
// onto the padded grid; the sum over all steps is F.conv_transpose2d.

import { withAlpha } from "../lib/colour";
import { maxAbsOf } from "./colours";
import { inPadding, windowOf } from "./geometry";
import { drawGrid, type GridValues } from "./grid";
import { mapImage, stat } from "./layers";
import { panelOf, type Panel } from "./layout";
import { footer, glidePos, inputBorder, operator, outline, panelTitle, smallGrid } from "./paint";
import { channelOf, currentCell, filterOf, groupStart, type Stepper } from "./state";
import { productIndex, productsPerFilter, weightValue } from "./trace";

/** Scatter of steps 0..k summed on the padded grid; one step is added per frame while playing
 * forward, and the sum restarts when the filter/slice changes or the step goes back. */
function accumulated(s: Stepper, f: number, cl: number, k: number): Float64Array {
  const g = s.state.geom!;
  const acc = s.state.acc;
  const [hp, wp] = g.padded;
  const key = `${f}:${cl}`;
  if (key !== acc.key || k < acc.step) {
    acc.key = key;
    acc.step = -1;
    acc.data = new Float64Array(hp * wp);
  }
  const sc = s.state.trace!.scatter.data;
  for (let step = acc.step + 1; step <= k; step++) {
    const i = Math.floor(step / g.out[1]);
    const j = step % g.out[1];
    const { rows, cols } = windowOf(g, i, j);
    for (let u = 0; u < rows.length; u++) for (let v = 0; v < cols.length; v++) acc.data[rows[u] * wp + cols[v]] += sc[productIndex(g, f, i, j, cl, u, v)];
  }
  acc.step = k;
  return acc.data;
}

/** The result grid, redrawn only when its key (filter, slice, step, cell size) or the theme changes. */
function resultGrid(s: Stepper, ctx: CanvasRenderingContext2D, p: Panel, key: string, values: GridValues, maxAbs: number) {
  const g = s.state.geom!;
  const res = s.state.result;
  const k = `${key}:${p.cell}`;
  if (k !== res.key || !res.image) {
    res.image = drawGrid(values, p.cell, maxAbs, true, s.state.theme, { faded: (r, q) => inPadding(g, r, q) });
    res.key = k;
  }
  ctx.drawImage(res.image.canvas, p.x, p.y, res.image.width, res.image.height);
}

export function drawTransposed(s: Stepper, ctx: CanvasRenderingContext2D, now: number) {
  const theme = s.state.theme;
  const g = s.state.geom!;
  const tr = s.state.trace!;
  const f = filterOf(s);
  const c = channelOf(s);
  const cl = c - groupStart(s, f);
  const [i, j] = currentCell(s);
  const py = panelOf(s, "y")!;
  const pk = panelOf(s, "kernel")!;
  const ps = panelOf(s, "scatter")!;
  const pr = panelOf(s, "result")!;
  const yimg = mapImage(s, "output", tr.output, f, g.out[0], g.out[1], py.cell);
  ctx.drawImage(yimg.canvas, py.x, py.y, yimg.width, yimg.height);
  outline(ctx, py, i, j, 1, 1, theme.accent, 2.5);
  panelTitle(ctx, theme, py, `output y of filter ${f} (input of the transpose)`);
  const kmax = stat(s, "kmax", () => maxAbsOf(tr.weight.data));
  smallGrid(ctx, theme, pk, (u, w) => weightValue(g, tr, f, cl, u, w), kmax, true);
  panelTitle(ctx, theme, pk, `kernel, filter ${f}`);
  const base = productIndex(g, f, 0, 0, 0, 0, 0);
  const smax = stat(s, `smax:${f}`, () => maxAbsOf(tr.scatter.data, base, base + productsPerFilter(g)));
  smallGrid(ctx, theme, ps, (u, w) => tr.scatter.data[productIndex(g, f, i, j, cl, u, w)], smax, true);
  panelTitle(ctx, theme, ps, `y[${i},${j}] · kernel`);
  // accumulated scatter of steps 0..k on the padded grid (exact torch result at the end)
  const [hp, wp] = g.padded;
  const k = i * g.out[1] + j;
  const last = k === g.out[0] * g.out[1] - 1;
  const acc = accumulated(s, f, cl, k);
  const tbase = (f * g.group_channels + cl) * hp * wp;
  const rmax = stat(s, `rmax:${f}:${cl}`, () => maxAbsOf(tr.transposed.data, tbase, tbase + hp * wp));
  const [t, , l] = g.pad;
  const values = last ? { values: tr.transposed.data, base: tbase, rows: hp, cols: wp } : { values: acc, base: 0, rows: hp, cols: wp };
  resultGrid(s, ctx, pr, `acc:${f}:${cl}:${k}`, values, rmax);
  const [gi, gj] = glidePos(s, now, [i, j]);
  const span = [(g.kernel[0] - 1) * g.dilation[0] + 1, (g.kernel[1] - 1) * g.dilation[1] + 1];
  ctx.fillStyle = withAlpha(theme.accent2, 0.12);
  ctx.fillRect(pr.x + gj * g.stride[1] * pr.cell, pr.y + gi * g.stride[0] * pr.cell, span[1] * pr.cell, span[0] * pr.cell);
  const { rows, cols } = windowOf(g, i, j);
  for (const r of rows) for (const q of cols) outline(ctx, pr, r, q, 1, 1, theme.accent2, 2);
  inputBorder(ctx, theme, pr, t, l, g.in[0], g.in[1]);
  panelTitle(ctx, theme, pr, last ? "= F.conv_transpose2d (padding cropped)" : `sum of scatters 0…${k}`);
  operator(ctx, theme, py, pk, "×");
  operator(ctx, theme, pk, ps, "=");
  operator(ctx, theme, ps, pr, "→");
  footer(ctx, theme, s.surface.height, `scatter ${k + 1} of ${g.out[0] * g.out[1]}: y(${i}, ${j}) added into rows ${rows[0]}…${rows[rows.length - 1]}, cols ${cols[0]}…${cols[cols.length - 1]}`);
}
