// The pooling view: the activated output with the pooling window and its winner, the window's
// values, and the pooled map filling in.

import { hasNegative, maxAbsOf, WINNER } from "./colours";
import { feedsOf } from "./geometry";
import { mapImage } from "./layers";
import { panelOf } from "./layout";
import { droppedBorder, footer, operator, outline, panelTitle, progressive, smallGrid } from "./paint";
import { currentCell, filterOf, type Stepper } from "./state";

export function drawPool(s: Stepper, ctx: CanvasRenderingContext2D) {
  const theme = s.state.theme;
  const g = s.state.geom!;
  const pg = g.pool!;
  const tr = s.state.trace!;
  const hover = s.state.hover;
  const f = filterOf(s);
  const [i, j] = currentCell(s);
  const pa = panelOf(s, "act")!;
  const pw = panelOf(s, "pwin")!;
  const pp = panelOf(s, "pooled")!;
  const aimg = mapImage(s, "act", tr.activated, f, g.out[0], g.out[1], pa.cell);
  ctx.drawImage(aimg.canvas, pa.x, pa.y, aimg.width, aimg.height);
  droppedBorder(ctx, theme, pa, g.out[0], g.out[1], pg.dropped[0], pg.dropped[1]);
  panelTitle(ctx, theme, pa, `${g.activation} of the output, filter ${f}`);
  const [pk, pq] = pg.size;
  let [ci, cj] = [i, j];
  if (hover?.panel === "pooled") [ci, cj] = [hover.r, hover.c];
  outline(ctx, pa, ci * pg.stride[0], cj * pg.stride[1], pk, pq, theme.accent, 2.5);
  const widx = (f * pg.out[0] + ci) * pg.out[1] + cj;
  const winner = tr.pool_winners!.data[widx];
  if (winner >= 0) {
    const wr = Math.floor(winner / g.out[1]);
    const wc = winner % g.out[1];
    outline(ctx, pa, wr, wc, 1, 1, WINNER, 3.5);
  }
  if (hover?.panel === "act") {
    // every pooled cell whose window holds this cell
    const fed = feedsOf({ kernel: pg.size, stride: pg.stride, dilation: [1, 1], out: pg.out }, hover.r, hover.c);
    for (const [a, b] of fed) outline(ctx, pp, a, b, 1, 1, theme.accent2, 2.5);
    outline(ctx, pa, hover.r, hover.c, 1, 1, theme.accent2, 3);
  }
  const wbase = widx * pk * pq;
  const wins = tr.pool_windows!.data;
  const wmax = maxAbsOf(wins, wbase, wbase + pk * pq);
  smallGrid(ctx, theme, pw, (u, w) => wins[wbase + u * pq + w], wmax, hasNegative(wins, wbase, wbase + pk * pq));
  if (winner >= 0) {
    const wr = Math.floor(winner / g.out[1]) - ci * pg.stride[0];
    const wc = (winner % g.out[1]) - cj * pg.stride[1];
    outline(ctx, pw, wr, wc, 1, 1, WINNER, 3.5);
  }
  panelTitle(ctx, theme, pw, `window at (${ci}, ${cj})`);
  const pimg = mapImage(s, "pooled", tr.pool_output!, f, pg.out[0], pg.out[1], pp.cell);
  progressive(ctx, theme, pp, pimg, i * pg.out[1] + j + 1);
  outline(ctx, pp, i, j, 1, 1, theme.accent, 2.5);
  panelTitle(ctx, theme, pp, `${pg.kind} pooled ${pg.out[0]}×${pg.out[1]}`);
  operator(ctx, theme, pa, pw, "→");
  operator(ctx, theme, pw, pp, "→");
  footer(ctx, theme, s.surface.height, `pooling step ${i * pg.out[1] + j + 1} of ${pg.out[0] * pg.out[1]}`);
}
