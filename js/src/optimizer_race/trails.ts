// One frame of the surface view: the background layer, then every visible optimizer's trail,
// swarm particles, head or divergence cross, the explainer's arrows and the hover crosshair.

import { drawPlus } from "../lib/axes";
import { PLOT_RECT, type Domain, type RaceView, type RacerData } from "./state";
import { ON_HEATMAP, surfaceTransform, type Transform } from "./surface";

// Marks on the heatmap keep fixed colours (they must read on viridis, whatever the page theme);
// the explainer's text names them: white dashed −g, black Δθ.
const HALO = "rgba(255,255,255,0.85)";
const CROSSHAIR = "rgba(255,255,255,0.8)";
const GRADIENT_ARROW = "#ffffff";
const UPDATE_ARROW = "#111111";

/** Last index ≤ upTo whose point (start `start` of a (T, n, 2) array) lies inside the domain. */
export function lastVisibleIndex(path: ArrayLike<number>, n: number, start: number, upTo: number, domain: Domain): number {
  const [x0, x1, y0, y1] = domain;
  for (let t = upTo; t >= 0; t--) {
    const x = path[(t * n + start) * 2];
    const y = path[(t * n + start) * 2 + 1];
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) return t;
  }
  return -1;
}

/** Pixel length of an explainer arrow: sqrt-compressed magnitude relative to the run's largest. */
export function arrowLength(magnitude: number, largest: number, min = 10, max = 70): number {
  if (!(magnitude > 0) || !(largest > 0) || !Number.isFinite(magnitude)) return 0;
  return min + (max - min) * Math.sqrt(Math.min(1, magnitude / largest));
}

function drawArrow(ctx: CanvasRenderingContext2D, x: number, y: number, dx: number, dy: number, color: string, width: number, dash: number[]) {
  const len = Math.hypot(dx, dy);
  if (!(len > 0.5)) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + dx, y + dy);
  ctx.stroke();
  ctx.setLineDash([]);
  const ux = dx / len;
  const uy = dy / len;
  const head = Math.min(9, len * 0.5);
  ctx.beginPath();
  ctx.moveTo(x + dx, y + dy);
  ctx.lineTo(x + dx - head * ux - head * 0.5 * uy, y + dy - head * uy + head * 0.5 * ux);
  ctx.lineTo(x + dx - head * ux + head * 0.5 * uy, y + dy - head * uy - head * 0.5 * ux);
  ctx.closePath();
  ctx.fill();
  ctx.restore();
}

/** Draw the surface canvas at `frame`. */
export function drawSurface(view: RaceView, frame: number): void {
  const { model, state } = view;
  const { ctx } = view.dom.surface;
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  if (state.background) ctx.drawImage(state.background, 0, 0);
  ctx.restore();
  const tf = surfaceTransform(view);
  ctx.save();
  ctx.beginPath();
  ctx.rect(PLOT_RECT.left, PLOT_RECT.top, PLOT_RECT.width, PLOT_RECT.height);
  ctx.clip();
  const start = model.get("start");
  if (start && model.get("mode") !== "landscape") {
    const [px, py] = tf.toPx(start[0], start[1]);
    ctx.strokeStyle = ON_HEATMAP.mark;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(px, py, 6, 0, 2 * Math.PI);
    ctx.stroke();
  }
  for (const r of state.racers) {
    if (state.hidden.has(r.racer.name)) continue;
    const T = r.path.shape[0];
    const upTo = Math.min(frame, T - 1);
    drawRacer(ctx, r, upTo, tf, state.domain, state.theme.negative);
    if (model.get("explainer") && r.grad && upTo < T - 1) drawExplainArrows(ctx, r, upTo, tf);
  }
  if (state.hoverPoint) {
    const [px, py] = tf.toPx(state.hoverPoint[0], state.hoverPoint[1]);
    drawPlus(ctx, px, py, 6, CROSSHAIR);
  }
  ctx.restore();
}

/** One optimizer up to step `upTo`: swarm particles, the first start's trail, its head or ✕. */
function drawRacer(ctx: CanvasRenderingContext2D, r: RacerData, upTo: number, tf: Transform, domain: Domain, bad: string): void {
  const n = r.path.shape[1];
  const p = r.path.data;
  if (n > 1) {
    // swarm: one particle per start at this step
    ctx.fillStyle = r.color;
    for (let i = 0; i < n; i++) {
      const x = p[(upTo * n + i) * 2];
      const y = p[(upTo * n + i) * 2 + 1];
      const [px, py] = tf.toPx(x, y);
      ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
    }
  }
  // the trail of the first start: a white halo under the colour
  for (const [color, width] of [[HALO, 4.5], [r.color, 2.2]] as const) {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.lineJoin = "round";
    ctx.beginPath();
    for (let t = 0; t <= upTo; t++) {
      const [px, py] = tf.toPx(p[t * n * 2], p[t * n * 2 + 1]);
      if (t === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }
  const div = r.diverged.data[0];
  if (div >= 0 && upTo >= div) {
    const last = lastVisibleIndex(p, n, 0, upTo, domain);
    if (last >= 0) {
      const [px, py] = tf.toPx(p[last * n * 2], p[last * n * 2 + 1]);
      ctx.strokeStyle = bad;
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.moveTo(px - 7, py - 7);
      ctx.lineTo(px + 7, py + 7);
      ctx.moveTo(px + 7, py - 7);
      ctx.lineTo(px - 7, py + 7);
      ctx.stroke();
    }
  } else {
    const [px, py] = tf.toPx(p[upTo * n * 2], p[upTo * n * 2 + 1]);
    ctx.fillStyle = r.color;
    ctx.strokeStyle = ON_HEATMAP.mark;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}

/** −g, −(first moment), an ellipse ∝ √(second moment) and the actual update at step t. */
function drawExplainArrows(ctx: CanvasRenderingContext2D, r: RacerData, t: number, tf: Transform): void {
  const n = r.path.shape[1];
  const p = r.path.data;
  const [px, py] = tf.toPx(p[t * n * 2], p[t * n * 2 + 1]);
  const toPxDir = (vx: number, vy: number, length: number): [number, number] => {
    const dx = vx * tf.sx;
    const dy = -vy * tf.sy;
    const len = Math.hypot(dx, dy);
    return len > 0 ? [(dx / len) * length, (dy / len) * length] : [0, 0];
  };
  const g = r.grad!.data;
  const gx = g[t * 2];
  const gy = g[t * 2 + 1];
  if (Number.isFinite(gx) && Number.isFinite(gy)) {
    const [dx, dy] = toPxDir(-gx, -gy, arrowLength(Math.hypot(gx, gy), r.gradLargest));
    drawArrow(ctx, px, py, dx, dy, GRADIENT_ARROW, 2, [4, 3]);
  }
  for (const s of r.state) {
    const a = s.data.data[t * 2];
    const b = s.data.data[t * 2 + 1];
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    if (s.role === "first") {
      const [dx, dy] = toPxDir(-a, -b, arrowLength(Math.hypot(a, b), s.largest));
      drawArrow(ctx, px, py, dx, dy, r.color, 2.5, [2, 2]);
    } else if (s.role === "second") {
      const rx = 6 + 30 * Math.sqrt(Math.sqrt(Math.max(a, 0)) / Math.max(Math.sqrt(s.largest), 1e-300));
      const ry = 6 + 30 * Math.sqrt(Math.sqrt(Math.max(b, 0)) / Math.max(Math.sqrt(s.largest), 1e-300));
      ctx.save();
      ctx.strokeStyle = r.color;
      ctx.setLineDash([3, 3]);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.ellipse(px, py, Math.min(rx, 40), Math.min(ry, 40), 0, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.restore();
    }
  }
  // the actual update, to scale
  const [qx, qy] = tf.toPx(p[(t + 1) * n * 2], p[(t + 1) * n * 2 + 1]);
  drawArrow(ctx, px, py, qx - px, qy - py, UPDATE_ARROW, 2.5, []);
}
