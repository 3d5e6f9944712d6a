// The depth view: how large the gradient is at each layer (mean |∂L/∂a| on a log scale) and the
// product of the mean local derivatives f′(z) it went through, so vanishing (a deep sigmoid chain:
// each factor ≤ ¼) and exploding gradients are visible. Numbers from the traced step.

import { createSurface, type Surface } from "../lib/canvas";
import { decadeTicks, drawAxis } from "../lib/axes";
import { readTheme, font } from "../lib/theme";
import type { Arrays } from "./data";
import type { Network } from "./state";
import { known } from "./steps";
import { fmt } from "./text";

export interface LayerGradient {
  layer: number;
  /** mean |∂L/∂a| over the batch and the layer's neurons */
  upstream: number;
  /** mean f′(z) over the batch and the layer's neurons */
  fprime: number;
}

function meanAbs(arrays: Arrays, key: string): number {
  const m = arrays.get(key);
  if (!m || m.data.length === 0) return NaN;
  let s = 0;
  for (const v of m.data) s += Math.abs(v);
  return s / m.data.length;
}

/** Gradient size per layer, last layer first (the order backpropagation visits them). */
export function gradientProfile(net: Network, arrays: Arrays): LayerGradient[] {
  const out: LayerGradient[] = [];
  for (let l = net.layers.length; l >= 1; l--) {
    out.push({ layer: l, upstream: meanAbs(arrays, `${l}.upstream`), fprime: meanAbs(arrays, `${l}.fprime`) });
  }
  return out;
}

/** "f′ product: 0.21 × 0.25 × … = 0.0052" over the layers below the last (what δ is multiplied by). */
export function productLine(profile: LayerGradient[]): string {
  if (profile.length === 0) return "";
  const factors = profile.map((p) => p.fprime);
  const product = factors.reduce((a, b) => a * b, 1);
  return `mean f′(z) per layer, output to input: ${factors.map((f) => fmt(f, 3)).join(" × ")} = ${fmt(product, 3)}`;
}

export interface DepthView {
  el: HTMLDivElement;
  surface: Surface;
  line: HTMLDivElement;
}

export function createDepthView(): DepthView {
  const surface = createSurface(360, 150, "dlw-canvas dlw-bp-depth");
  const line = document.createElement("div");
  line.className = "dlw-muted dlw-bp-depth-line";
  const title = document.createElement("div");
  title.className = "dlw-muted";
  title.textContent = "Gradient size by layer (mean |∂L/∂a|, log scale)";
  const el = document.createElement("div");
  el.className = "dlw-bp-depth-view";
  el.style.marginTop = "6px";
  el.append(title, surface.canvas, line);
  return { el, surface, line };
}

/** Draw the profile; layers the backward pass has not reached yet are drawn hollow. */
export function drawDepth(view: DepthView, root: Element, net: Network, arrays: Arrays, frame: number): void {
  const { ctx, width, height } = view.surface;
  const theme = readTheme(root);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  const profile = gradientProfile(net, arrays);
  view.line.textContent = productLine(profile);
  const values = profile.map((p) => p.upstream).filter((v) => v > 0 && Number.isFinite(v));
  if (!values.length) return;
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  lo = 10 ** Math.floor(Math.log10(lo));
  hi = 10 ** Math.ceil(Math.log10(hi) + 1e-9);
  if (hi <= lo) hi = lo * 10;
  const left = 52;
  const right = width - 12;
  const top = 10;
  const bottom = height - 30;
  const L = net.layers.length;
  const x = (l: number) => left + ((l - 0.5) / L) * (right - left);
  const y = (v: number) => bottom - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (bottom - top);
  drawAxis(ctx, { side: "left", ticks: decadeTicks(lo, hi, 5), scale: y, at: left, theme, grid: [left, right], line: [top, bottom], fontSize: 10 });
  ctx.font = font(theme, 10);
  ctx.fillStyle = theme.muted;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let l = 1; l <= L; l++) if (L <= 12 || l % Math.ceil(L / 12) === 0 || l === L) ctx.fillText(`${l}`, x(l), bottom + 4);
  ctx.fillText("layer", (left + right) / 2, bottom + 16);
  ctx.strokeStyle = theme.accent;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  profile.forEach((p, i) => {
    if (!(p.upstream > 0)) return;
    if (i === 0) ctx.moveTo(x(p.layer), y(p.upstream));
    else ctx.lineTo(x(p.layer), y(p.upstream));
  });
  ctx.stroke();
  for (const p of profile) {
    if (!(p.upstream > 0)) continue;
    const reached = known(frame, L, p.layer, "backward");
    ctx.beginPath();
    ctx.arc(x(p.layer), y(p.upstream), 4, 0, 2 * Math.PI);
    ctx.fillStyle = reached ? theme.accent : theme.bg;
    ctx.fill();
    ctx.strokeStyle = theme.accent;
    ctx.stroke();
  }
}
