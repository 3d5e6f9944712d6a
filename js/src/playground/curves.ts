// Train and test loss over epochs (lib/axes.ts), live from `curves` or, in a replay, from the
// recording up to the frame shown.

import { decodeArray } from "../lib/arrays";
import { drawAxis, linearTicks } from "../lib/axes";
import { font } from "../lib/theme";
import { hasArray, type MaybeWire, type PlaygroundView } from "./state";

export const CURVES_SIZE = { width: 300, height: 170 };
const M = { left: 44, right: 10, top: 18, bottom: 30 };

export interface Series {
  x: ArrayLike<number>;
  train: ArrayLike<number>;
  test: ArrayLike<number>;
}

function floats(w: MaybeWire): Float32Array {
  return hasArray(w) ? Float32Array.from(decodeArray(w).data) : new Float32Array(0);
}

/** The loss series to show: `curves`, and in a replay only the epochs up to the frame shown
 * (the recording's own per-frame losses when the curves are missing). */
export function series(view: PlaygroundView): Series {
  const { model, s } = view;
  const c = model.get("curves") || {};
  const all = { x: floats(c.epoch), train: floats(c.train_loss), test: floats(c.test_loss) };
  if (s.replayFrame < 0) return all;
  const rec = model.get("recording") || {};
  const at = floats(rec.epochs)[s.replayFrame] ?? 0;
  if (all.x.length === 0) {
    const n = s.replayFrame + 1;
    return { x: floats(rec.epochs).subarray(0, n), train: floats(rec.train_loss).subarray(0, n), test: floats(rec.test_loss).subarray(0, n) };
  }
  let n = 0;
  while (n < all.x.length && all.x[n] <= at + 1e-6) n++;
  return { x: all.x.subarray(0, n), train: all.train.subarray(0, n), test: all.test.subarray(0, n) };
}

/** Upper end of the loss axis: the largest finite loss (at least a small positive value). */
export function lossTop(...values: Array<ArrayLike<number>>): number {
  let top = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) top = Math.max(top, v[i]);
  return top > 0 ? top * 1.05 : 1;
}

export function drawCurves(view: PlaygroundView): void {
  const { s, el } = view;
  const { ctx, width, height } = el.curves;
  const theme = s.theme;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  const data = series(view);
  const n = data.x.length;
  const xmax = n ? Math.max(1, data.x[n - 1]) : 1;
  const top = lossTop(data.train, data.test);
  const pw = width - M.left - M.right;
  const ph = height - M.top - M.bottom;
  const sx = (v: number) => M.left + (v / xmax) * pw;
  const sy = (v: number) => M.top + ph - (v / top) * ph;
  drawAxis(ctx, { side: "bottom", ticks: linearTicks(0, xmax, 5), scale: sx, at: M.top + ph, theme, grid: [M.top, M.top + ph], line: [M.left, M.left + pw], title: "epoch", titleGap: 14 });
  drawAxis(ctx, { side: "left", ticks: linearTicks(0, top, 4), scale: sy, at: M.left, theme, grid: [M.left, M.left + pw], line: [M.top, M.top + ph] });
  const line = (ys: ArrayLike<number>, colour: string) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < n; i++) {
      const v = ys[i];
      if (!Number.isFinite(v)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(sx(data.x[i]), sy(v));
      else ctx.moveTo(sx(data.x[i]), sy(v));
      pen = true;
    }
    ctx.stroke();
  };
  line(data.train, theme.accent);
  line(data.test, theme.accent2);
  ctx.font = font(theme, 11);
  ctx.textBaseline = "top";
  ctx.textAlign = "left";
  ctx.fillStyle = theme.accent;
  ctx.fillText(`train ${n ? Number(data.train[n - 1]).toFixed(3) : "–"}`, M.left + 4, 2);
  ctx.fillStyle = theme.accent2;
  ctx.fillText(`test ${n ? Number(data.test[n - 1]).toFixed(3) : "–"}`, M.left + 110, 2);
}
