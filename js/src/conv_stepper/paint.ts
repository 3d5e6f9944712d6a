// Canvas primitives shared by the three views: titles, outlines, small grids, operators. Page
// colours come from the theme the caller read for this draw.

import { withAlpha } from "../lib/colour";
import { font, type Theme } from "../lib/theme";
import { cellColor, textColor } from "./colours";
import { cellText, glide } from "./geometry";
import type { GridImage } from "./grid";
import { LAYOUT, type Panel } from "./layout";
import type { Stepper } from "./state";

export function panelTitle(ctx: CanvasRenderingContext2D, theme: Theme, p: Panel, text: string) {
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 12);
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.fillText(text, p.x, p.y - p.deck - 6);
}

/** Frame a rows × cols block of cells starting at (r, c), inside the cells' edges. */
export function outline(ctx: CanvasRenderingContext2D, p: Panel, r: number, c: number, rows: number, cols: number, color: string, width = 2.5) {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.strokeRect(p.x + c * p.cell + width / 2 - 0.5, p.y + r * p.cell + width / 2 - 0.5, cols * p.cell - width + 1, rows * p.cell - width + 1);
}

function emptyGrid(ctx: CanvasRenderingContext2D, theme: Theme, p: Panel) {
  ctx.fillStyle = theme.panel;
  ctx.fillRect(p.x, p.y, p.cols * p.cell, p.rows * p.cell);
  ctx.strokeStyle = theme.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(p.x + 0.5, p.y + 0.5, p.cols * p.cell - 1, p.rows * p.cell - 1);
}

/** Draw the first `count` cells (row-major) of a cached map image. */
export function progressive(ctx: CanvasRenderingContext2D, theme: Theme, p: Panel, img: GridImage, count: number) {
  emptyGrid(ctx, theme, p);
  const full = Math.floor(count / p.cols);
  const rest = count % p.cols;
  ctx.save();
  ctx.beginPath();
  ctx.rect(p.x, p.y, p.cols * p.cell, full * p.cell);
  if (rest) ctx.rect(p.x, p.y + full * p.cell, rest * p.cell, p.cell);
  ctx.clip();
  ctx.drawImage(img.canvas, p.x, p.y, img.width, img.height);
  ctx.restore();
}

/** A small grid (kernel, products, window) drawn straight onto the canvas every frame. */
export function smallGrid(ctx: CanvasRenderingContext2D, theme: Theme, p: Panel, value: (r: number, c: number) => number, maxAbs: number, signed: boolean, faded?: (r: number, c: number) => boolean) {
  const fontPx = Math.max(8, Math.min(12, Math.floor(p.cell * 0.32)));
  ctx.font = font(theme, fontPx, "", true);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.cols; c++) {
      const v = value(r, c);
      const x = p.x + c * p.cell;
      const y = p.y + r * p.cell;
      ctx.fillStyle = cellColor(v, maxAbs, signed);
      ctx.fillRect(x, y, p.cell, p.cell);
      if (faded?.(r, c)) {
        ctx.fillStyle = withAlpha(theme.bg, 0.6);
        ctx.fillRect(x, y, p.cell, p.cell);
      }
      if (p.cell >= 20) {
        ctx.fillStyle = faded?.(r, c) ? theme.muted : textColor(v, maxAbs, signed);
        ctx.fillText(cellText(v), x + p.cell / 2, y + p.cell / 2 + 0.5);
      }
    }
  }
  ctx.strokeStyle = withAlpha(theme.fg, 0.25);
  ctx.lineWidth = 1;
  for (let r = 0; r < p.rows; r++) for (let c = 0; c < p.cols; c++) ctx.strokeRect(p.x + c * p.cell + 0.5, p.y + r * p.cell + 0.5, p.cell - 1, p.cell - 1);
}

/** An operator sign (⊙, =, →) between two panels. */
export function operator(ctx: CanvasRenderingContext2D, theme: Theme, a: Panel | undefined, b: Panel | undefined, text: string) {
  if (!a || !b) return;
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 18);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  const end = a.x + a.cols * a.cell + a.deck;
  const wrapped = b.x <= a.x; // b starts the next row: the operator stays beside a
  const x = wrapped ? end + LAYOUT.gap / 2 : (end + b.x) / 2;
  const y = wrapped ? a.y + (a.rows * a.cell) / 2 : Math.min(a.y + (a.rows * a.cell) / 2, b.y + (b.rows * b.cell) / 2);
  ctx.fillText(text, x, y);
}

/** The step line under the panels. */
export function footer(ctx: CanvasRenderingContext2D, theme: Theme, height: number, text: string) {
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 12);
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.fillText(text, LAYOUT.margin, height - LAYOUT.margin + 8);
}

/** The unpadded input's border on a padded-grid panel. */
export function inputBorder(ctx: CanvasRenderingContext2D, theme: Theme, p: Panel, top: number, left: number, rows: number, cols: number) {
  ctx.strokeStyle = theme.fg;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(p.x + left * p.cell, p.y + top * p.cell, cols * p.cell, rows * p.cell);
}

/** Shade the rows at the bottom and columns at the right that the stride never reaches. */
export function droppedBorder(ctx: CanvasRenderingContext2D, theme: Theme, p: Panel, rows: number, cols: number, dr: number, dc: number) {
  if (!dr && !dc) return;
  ctx.fillStyle = withAlpha(theme.negative, 0.28);
  if (dr) ctx.fillRect(p.x, p.y + (rows - dr) * p.cell, cols * p.cell, dr * p.cell);
  if (dc) ctx.fillRect(p.x + (cols - dc) * p.cell, p.y, dc * p.cell, (rows - dr) * p.cell);
}

// ---------------------------------------------------------------------------------------------
// The gliding highlight: the window eases to its new cell over 90 ms

const GLIDE_MS = 90;

/** Where the highlight heading for `target` is drawn now (restarts the glide on a new target). */
export function glidePos(s: Stepper, now: number, target: [number, number]): [number, number] {
  const sh = s.state.shown;
  if (target[0] !== sh.r || target[1] !== sh.c) {
    s.state.shown = {
      r: target[0],
      c: target[1],
      from: { r: glide(sh.from.r, sh.r, (now - sh.t0) / GLIDE_MS), c: glide(sh.from.c, sh.c, (now - sh.t0) / GLIDE_MS) },
      t0: now,
    };
  }
  const cur = s.state.shown;
  const t = (now - cur.t0) / GLIDE_MS;
  return [glide(cur.from.r, cur.r, t), glide(cur.from.c, cur.c, t)];
}

/** True while the highlight is still moving. */
export const gliding = (s: Stepper, now: number): boolean => now - s.state.shown.t0 < GLIDE_MS;
