// The tabbed panel under the plot: a point's reconstruction, interpolation A→B, arithmetic
// A − B + C, traversals of each dimension and the worst reconstructions.

import { decodeFloat } from "../lib/arrays";
import { pointerPosition } from "../lib/canvas";
import { KERNEL_HINT } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { font } from "../lib/theme";
import { anomalyIndex, codeOf, labelName } from "./data";
import { refreshTheme } from "./ink";
import { TABS, THUMB } from "./layout";
import { results } from "./results";
import { filled, type Explorer, type Results } from "./state";

type Ink = CanvasRenderingContext2D;

const ANOMALY = { size: 44, perRow: 12 }; // thumbnail size and count per row of the anomalies tab

/** Size the panel canvas to w × hgt, show it and clear it. */
function panelSize(x: Explorer, w: number, hgt: number): Ink {
  const { panel } = x.el;
  panel.canvas.style.display = "";
  if (panel.width !== w || panel.height !== hgt) panel.resize(w, hgt);
  const { ctx } = panel;
  ctx.fillStyle = x.s.theme.bg;
  ctx.fillRect(0, 0, w, hgt);
  return ctx;
}

function thumbRow(x: Explorer, ctx: Ink, values: ArrayLike<number>, count: number, y: number, x0 = 90, size = THUMB, label = ""): void {
  const { theme } = x.s;
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 12);
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  if (label) ctx.fillText(label, 4, y + size / 2);
  for (let i = 0; i < count; i++) x.s.painter?.draw(ctx, theme, values, i * x.s.spec.size, x0 + i * (size + 4), y, size, size);
}

/** Redraw the panel of the current tab (in the theme read now). */
export function drawPanel(x: Explorer): void {
  const { s, el } = x;
  refreshTheme(x);
  el.tabButtons.forEach((b, i) => b.classList.toggle("dlw-primary", TABS[i][0] === s.tab));
  const res = results(x);
  const needs = (what: string) => {
    el.panel.canvas.style.display = "none"; // nothing to draw: the text says what is needed
    el.panelText.textContent = x.standalone ? `${what} — ${KERNEL_HINT}` : what;
  };
  if (s.tab === "point") {
    if (!res.detail) return needs("Click a point on the plot to compare its input with its reconstruction.");
    drawPoint(x, res.detail);
  } else if (s.tab === "interp") {
    if (!res.interp) return needs("Set points A and B (click sets A, then B) to interpolate between their codes.");
    drawInterpolation(x, res.interp);
  } else if (s.tab === "arith") {
    if (!res.arith) return needs("Set points A, B and C to decode A − B + C.");
    drawArithmetic(x, res.arith);
  } else if (s.tab === "traverse") {
    if (!res.trav) return needs("No traversal yet.");
    drawTraversal(x, res.trav);
  } else if (s.tab === "anomalies") {
    if (!filled(x.model.get("anomalies"), "index")) {
      return needs("No reconstructions (a generator has no encoder, or outputs and inputs differ in size).");
    }
    drawAnomalies(x);
  }
}

function drawPoint(x: Explorer, dt: NonNullable<Results["detail"]>): void {
  const { s } = x;
  const { theme } = s;
  const size = 110;
  const ctx = panelSize(x, 680, size + 24);
  const parts: Array<[string, ArrayLike<number> | undefined]> = [["input", dt.input], ["reconstruction", dt.recon]];
  if (dt.input && dt.recon && dt.input.length === dt.recon.length) {
    const diff = new Float32Array(dt.recon.length);
    for (let j = 0; j < diff.length; j++) diff[j] = Math.abs(dt.input[j] - dt.recon[j]) + s.spec.vmin;
    parts.push(["|input − reconstruction|", diff]);
  }
  ctx.font = font(theme, 12);
  ctx.textBaseline = "top";
  ctx.textAlign = "left";
  parts.forEach(([name, vals], k) => {
    const px = 4 + k * (size + 24);
    ctx.fillStyle = theme.muted;
    ctx.fillText(name, px, 2);
    if (vals && s.painter) s.painter.draw(ctx, theme, vals, 0, px, 18, size, size);
  });
  const code = Array.from(codeOf(x, dt.index).slice(0, 8), (v) => formatNumber(v, 3)).join(", ");
  x.el.panelText.textContent = `point #${dt.index} ${labelName(x, dt.index)}   ` +
    (dt.error !== undefined ? `reconstruction error (MSE) = ${formatNumber(dt.error, 4)}   ` : dt.recon ? "" : "reconstruction needs a kernel or an MLP decoder   ") +
    `code = [${code}${s.d > 8 ? ", …" : ""}]`;
}

function drawInterpolation(x: Explorer, ip: NonNullable<Results["interp"]>): void {
  const ctx = panelSize(x, 90 + ip.steps * (THUMB + 4), 2 * THUMB + 12);
  thumbRow(x, ctx, ip.lerp, ip.steps, 2, 90, THUMB, "linear");
  thumbRow(x, ctx, ip.slerp, ip.steps, THUMB + 8, 90, THUMB, "slerp");
  x.el.panelText.textContent = `A = #${ip.a} → B = #${ip.b}, ${ip.steps} steps. linear: (1−t)·a + t·b (solid line on the plot); ` +
    `slerp: sin((1−t)ω)/sin ω·a + sin(tω)/sin ω·b with cos ω = a·b/(|a||b|) (dashed).`;
}

function drawArithmetic(x: Explorer, ar: NonNullable<Results["arith"]>): void {
  const { theme } = x.s;
  const size = 80;
  const ctx = panelSize(x, 4 * (size + 40) + 10, size + 24);
  const names = [`A #${ar.a}`, `− B #${ar.b}`, `+ C #${ar.c}`, "= A − B + C"];
  ctx.font = font(theme, 12);
  ctx.textBaseline = "top";
  names.forEach((name, k) => {
    const px = 4 + k * (size + 40);
    ctx.fillStyle = theme.muted;
    ctx.fillText(name, px, 2);
    x.s.painter?.draw(ctx, theme, ar.images, k * x.s.spec.size, px, 18, size, size);
  });
  x.el.panelText.textContent = "latent arithmetic: the decoding of z_A − z_B + z_C (star on the plot)";
}

function drawTraversal(x: Explorer, tv: NonNullable<Results["trav"]>): void {
  const { s } = x;
  const rows = tv.dims.length;
  const size = 40;
  const ctx = panelSize(x, 60 + tv.steps * (size + 3), rows * (size + 3) + 4);
  tv.dims.forEach((k, r) => {
    ctx.fillStyle = s.theme.muted;
    ctx.font = font(s.theme, 12);
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(`z${k}`, 4, 2 + r * (size + 3) + size / 2);
    for (let st = 0; st < tv.steps; st++) {
      s.painter?.draw(ctx, s.theme, tv.images, (r * tv.steps + st) * s.spec.size, 60 + st * (size + 3), 2 + r * (size + 3), size, size);
    }
  });
  x.el.panelText.textContent = `each row sweeps one latent dimension from its 1st to its 99th percentile over the data; ` +
    `the others stay at ${tv.base >= 0 ? `point #${tv.base}'s code` : "the mean code"}`;
}

function drawAnomalies(x: Explorer): void {
  const { s } = x;
  const an = x.model.get("anomalies");
  if (!filled(an, "index")) return;
  const idx = anomalyIndex(x);
  const errs = decodeFloat(an.errors).data;
  const inputs = decodeFloat(an.inputs).data;
  const recons = decodeFloat(an.recons).data;
  const { size, perRow } = ANOMALY;
  const rows = Math.ceil(idx.length / perRow);
  const ctx = panelSize(x, perRow * (size + 12), rows * (2 * size + 22));
  ctx.font = font(s.theme, 10);
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  for (let r = 0; r < idx.length; r++) {
    const px = (r % perRow) * (size + 12);
    const py = Math.floor(r / perRow) * (2 * size + 22);
    s.painter?.draw(ctx, s.theme, inputs, r * s.spec.size, px, py, size, size);
    s.painter?.draw(ctx, s.theme, recons, r * s.spec.size, px, py + size + 2, size, size);
    ctx.fillStyle = s.theme.negative;
    ctx.fillText(`${formatNumber(errs[r], 3)}`, px, py + 2 * size + 5);
  }
  x.el.panelText.textContent = `the ${idx.length} worst reconstructions, worst first (top: input, bottom: reconstruction, red: MSE); circled on the plot; click one to inspect it`;
}

/** Tabs switch the panel; a click on a worst reconstruction focuses that point. */
export function bindPanel(x: Explorer): void {
  const { el, s } = x;
  el.tabButtons.forEach((b, i) => b.addEventListener("click", () => {
    s.tab = TABS[i][0];
    drawPanel(x);
    x.requestDraw();
  }));
  el.panel.canvas.addEventListener("click", (event) => {
    if (s.tab !== "anomalies") return;
    const [px, py] = pointerPosition(el.panel.canvas, event);
    const { size, perRow } = ANOMALY;
    const r = Math.floor(py / (2 * size + 22)) * perRow + Math.floor(px / (size + 12));
    const idx = anomalyIndex(x);
    if (r >= 0 && r < idx.length) {
      x.model.set("focus", idx[r]);
      x.model.save_changes();
      s.tab = "point";
      s.localCache = null;
      drawPanel(x);
      x.requestDraw();
    }
  });
}
