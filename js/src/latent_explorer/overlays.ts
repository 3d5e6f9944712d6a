// What is drawn over the points: circled anomalies, the interpolation paths, the arithmetic
// star, the drawn path, the selections A, B, C, the focused point and the hover crosshair.

import { drawPlus } from "../lib/axes";
import { font, type Theme } from "../lib/theme";
import { anomalyIndex } from "./data";
import { resamplePath, type Transform } from "./geometry";
import { translucent } from "./ink";
import { PATH_STEPS, plotRect } from "./layout";
import { projectCodes } from "./plane";
import { results } from "./results";
import type { Explorer, Results } from "./state";
import { isEmbedding } from "./views";

type Ink = CanvasRenderingContext2D;

/** Plane coordinates of `count` codes (zeros before the plane is known). */
function projectZ(x: Explorer, z: ArrayLike<number>, count: number): Float32Array {
  return x.s.plane ? projectCodes(z, count, x.s.plane) : new Float32Array(2 * count);
}

export function drawOverlays(x: Explorer, ctx: Ink, tr: Transform, theme: Theme): void {
  const { s } = x;
  ctx.save();
  ctx.beginPath();
  const rect = plotRect();
  ctx.rect(rect.left, rect.top, rect.width, rect.height);
  ctx.clip();
  const px = (v: number) => tr.kx * v + tr.bx;
  const py = (v: number) => tr.ky * v + tr.by;
  const polyline = (pts: ArrayLike<number>, count: number, color: string, dash: number[], widthPx = 2) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = widthPx;
    ctx.setLineDash(dash);
    ctx.beginPath();
    for (let i = 0; i < count; i++) {
      if (i === 0) ctx.moveTo(px(pts[0]), py(pts[1]));
      else ctx.lineTo(px(pts[2 * i]), py(pts[2 * i + 1]));
    }
    ctx.stroke();
    ctx.setLineDash([]);
  };
  if (s.tab === "anomalies") {
    const idx = anomalyIndex(x);
    ctx.strokeStyle = theme.negative;
    ctx.lineWidth = 1.5;
    for (let r = 0; r < idx.length; r++) {
      const i = idx[r];
      ctx.beginPath();
      ctx.arc(px(s.proj[2 * i]), py(s.proj[2 * i + 1]), 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  // interpolation paths and the arithmetic result: codes off the data, placed on the plane
  // (an embedding has no place for them)
  const res: Results = isEmbedding(s.viewKind) ? {} : results(x);
  if (res.interp) {
    polyline(projectZ(x, res.interp.zl, res.interp.steps), res.interp.steps, theme.fg, [], 2);
    polyline(projectZ(x, res.interp.zs, res.interp.steps), res.interp.steps, theme.accent2, [5, 4], 2);
  }
  if (res.arith) {
    const p = projectZ(x, res.arith.z, 1);
    ctx.fillStyle = theme.accent2;
    ctx.strokeStyle = theme.fg;
    star(ctx, px(p[0]), py(p[1]), 8);
  }
  // the drawn path, with its decoded points once decoded
  if (s.path.length >= 4) polyline(s.path, s.path.length / 2, theme.accent, [], 2.5);
  if (s.pathDecoded && s.path.length >= 4) {
    const pts = resamplePath(s.path, PATH_STEPS);
    ctx.fillStyle = theme.accent;
    for (let i = 0; i < PATH_STEPS; i++) {
      ctx.beginPath();
      ctx.arc(px(pts[2 * i]), py(pts[2 * i + 1]), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  drawSelections(x, ctx, theme, px, py);
  if (s.hoverIndex >= 0 && isEmbedding(s.viewKind)) {
    ctx.strokeStyle = theme.accent2;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(px(s.proj[2 * s.hoverIndex]), py(s.proj[2 * s.hoverIndex + 1]), 6, 0, 2 * Math.PI);
    ctx.stroke();
  }
  if (s.hoverPoint) crosshair(ctx, theme, px(s.hoverPoint[0]), py(s.hoverPoint[1]));
  ctx.restore();
}

/** The focused point (ring) and the A, B, C markers. */
function drawSelections(x: Explorer, ctx: Ink, theme: Theme, px: (v: number) => number, py: (v: number) => number): void {
  const { proj, n } = x.s;
  const sel: number[] = x.model.get("selected") ?? [];
  const focus = Number(x.model.get("focus") ?? -1);
  if (focus >= 0 && focus < n) {
    ctx.strokeStyle = theme.fg;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(px(proj[2 * focus]), py(proj[2 * focus + 1]), 8, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.font = font(theme, 12, "bold");
  const disc = translucent(theme.bg, 0.9, "bg");
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ["A", "B", "C"].forEach((label, k) => {
    const i = sel[k];
    if (i === undefined || i < 0 || i >= n) return;
    const cx = px(proj[2 * i]);
    const cy = py(proj[2 * i + 1]);
    ctx.fillStyle = disc;
    ctx.strokeStyle = theme.fg;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(cx, cy, 8, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = theme.fg;
    ctx.fillText(label, cx, cy + 0.5);
  });
}

function crosshair(ctx: Ink, theme: Theme, cx: number, cy: number): void {
  drawPlus(ctx, cx, cy, 8, translucent(theme.fg, 0.5, "fg"));
}

/** A five-pointed star of outer radius r, filled and stroked in the current styles. */
function star(ctx: Ink, cx: number, cy: number, r: number): void {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const rr = i % 2 === 0 ? r : r * 0.45;
    if (i === 0) ctx.moveTo(cx + rr * Math.cos(a), cy + rr * Math.sin(a));
    else ctx.lineTo(cx + rr * Math.cos(a), cy + rr * Math.sin(a));
  }
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
}
