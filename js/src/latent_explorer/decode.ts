// Decoding codes into outputs: in the browser (MLP), through the kernel (coalesced requests) or
// from the precomputed grid (static page). The pointer's decoding, the lattice and the path strip.

import { formatNumber } from "../lib/format";
import { font } from "../lib/theme";
import { mlpForward } from "../lib/mlp";
import { codeOf, gridData, labelName } from "./data";
import { latticeCells, nearestPoint, resamplePath, transformFor } from "./geometry";
import { MARGIN, PATH_STEPS, PLOT, THUMB } from "./layout";
import { toLatent } from "./plane";
import type { DecodedMessage, DecodeErrorMessage, DecodePath, Explorer } from "./state";
import { isEmbedding } from "./views";

/** How near (CSS px) the pointer must be to a point for a non-invertible view to show it. */
const NEAREST_PX = 24;

/** Which way decodings are made now: the person's choice where it is possible. */
export function decodePath(x: Explorer): DecodePath {
  const pref = String(x.model.get("decode_path") || "auto");
  if (x.s.mlp && (pref !== "kernel" || x.standalone)) return "browser";
  if (!x.standalone) return "kernel";
  return gridData(x) ? "grid" : "none";
}

/** Decode `count` codes synchronously (browser MLP), or null when only the kernel can. */
export function decodeLocal(x: Explorer, z: Float32Array, count: number, out?: Float32Array): Float32Array | null {
  const { mlp, scratch } = x.s;
  if (!mlp || !scratch) return null;
  return mlpForward(mlp, z, count, out, scratch);
}

/** Codes of `count` plane points (interleaved x, y) at the current slider values. */
export function zFor(x: Explorer, points: ArrayLike<number>, count: number): Float32Array {
  const { d, plane, sliders } = x.s;
  const z = new Float32Array(count * d);
  if (!plane) return z;
  for (let i = 0; i < count; i++) toLatent(plane, points[2 * i], points[2 * i + 1], sliders, z, i * d);
  return z;
}

/** Paint one decoding into the pointer's view (theme: the one read for the current frame). */
function paintDecoded(x: Explorer, values: ArrayLike<number>, offset: number): void {
  const { s } = x;
  const { ctx, width, height } = x.el.decoded;
  ctx.fillStyle = s.theme.bg;
  ctx.fillRect(0, 0, width, height);
  s.painter?.draw(ctx, s.theme, values, offset, 0, 0, width, height);
}

/** Show one decoding in the pointer's view and record how long pointer → image took. */
export function drawDecodedOutput(x: Explorer, values: ArrayLike<number>, offset: number, t0: number, how: string,
  work: number, p: number[], z: ArrayLike<number>, index?: number): void {
  const { stats, s } = x;
  paintDecoded(x, values, offset);
  const now = performance.now();
  const ms = now - t0;
  stats.hover.push(ms);
  stats.hoverWork.push(now - work);
  stats.hoverPath.push(how);
  if (stats.hover.length > 1000) {
    stats.hover.splice(0, 500);
    stats.hoverWork.splice(0, 500);
    stats.hoverPath.splice(0, 500);
  }
  stats.last = { p, z: Array.from(z), out: Array.from({ length: s.spec.size }, (_, j) => values[offset + j]), how, index };
  x.el.decodedCaption.textContent = `${how}: ${ms.toFixed(1)} ms (pointer → image)`;
}

/** In a non-invertible view (t-SNE, UMAP): the data point nearest the pointer and its own
 *  reconstruction, decoded from its code; the position itself has no code to decode. */
function hoverNearest(x: Explorer, px: number, py: number, t0: number): void {
  const { s, el } = x;
  const work = performance.now();
  const tr = transformFor(s.view, MARGIN.left, MARGIN.top, PLOT, PLOT);
  const i = nearestPoint(s.proj, s.n, tr, tr.kx * px + tr.bx, tr.ky * py + tr.by, NEAREST_PX);
  s.hoverIndex = i;
  const name = s.viewKind === "tsne" ? "t-SNE" : "UMAP";
  if (i < 0) {
    el.hoverReadout.textContent = `${name} is not invertible: no data point near the pointer, and a position between points has no code to decode`;
    return;
  }
  const label = labelName(x, i);
  el.hoverReadout.textContent = `${name} is not invertible: nearest data point #${i}${label ? ` (${label})` : ""}; shown: its own reconstruction, not a decoding of the position`;
  const z = codeOf(x, i);
  const how = decodePath(x);
  if (how === "browser") {
    decodeLocal(x, z, 1, s.hoverOut);
    drawDecodedOutput(x, s.hoverOut, 0, t0, `point #${i}, in browser`, work, [px, py], z, i);
  } else if (how === "kernel") {
    x.coalescer.request("nearest", { z: z.slice(), t0, work, p: [px, py], index: i });
  } else {
    el.decodedCaption.textContent = `point #${i}: its reconstruction needs a kernel (static page, decoder not an MLP)`;
  }
}

/** Decode the plane point (x, y) under the pointer; t0 is the pointer event's time. */
export function decodeHover(x: Explorer, px: number, py: number, t0: number): void {
  const { s, el } = x;
  const { plane } = s;
  if (isEmbedding(s.viewKind)) return hoverNearest(x, px, py, t0);
  if (!plane) return;
  const work = performance.now();
  toLatent(plane, px, py, s.sliders, s.hoverZ);
  const how = decodePath(x);
  if (how === "browser") {
    decodeLocal(x, s.hoverZ, 1, s.hoverOut);
    drawDecodedOutput(x, s.hoverOut, 0, t0, "in browser", work, [px, py], s.hoverZ);
  } else if (how === "kernel") {
    x.coalescer.request("hover", { z: s.hoverZ.slice(), t0, work, p: [px, py] });
  } else if (how === "grid") {
    const g = gridData(x);
    if (!g) return;
    const c = Math.floor(((px - g.xr[0]) / (g.xr[1] - g.xr[0])) * g.n);
    const r = Math.floor(((g.yr[1] - py) / (g.yr[1] - g.yr[0])) * g.n);
    if (c < 0 || r < 0 || c >= g.n || r >= g.n) {
      el.decodedCaption.textContent = "outside the precomputed grid (static page)";
      return;
    }
    drawDecodedOutput(x, g.values, (r * g.n + c) * s.spec.size, t0, "precomputed grid cell", work, [px, py], s.hoverZ);
  } else {
    el.decodedCaption.textContent = "decoding needs a kernel";
  }
  const zText = Array.from(s.hoverZ.slice(0, 6), (v) => formatNumber(v, 3)).join(", ");
  el.hoverReadout.textContent = `${plane.axisLabels[0]} = ${formatNumber(px, 3)}, ${plane.axisLabels[1]} = ${formatNumber(py, 3)}   z = [${zText}${s.d > 6 ? ", …" : ""}]`;
}

/** Decode the lattice over the current view (when it is shown). */
export function requestLattice(x: Explorer): void {
  const { s, model } = x;
  if (!model.get("show_lattice") || !s.plane || !s.painter || isEmbedding(s.viewKind)) return;
  const k = Number(model.get("lattice_n") ?? 10);
  const cells = latticeCells(s.view, k);
  const z = zFor(x, cells, k * k);
  const how = decodePath(x);
  const v = { ...s.view };
  if (how === "browser") {
    const out = decodeLocal(x, z, k * k);
    if (out) s.lattice = { view: v, n: k, values: out, atlas: null };
    x.requestDraw();
  } else if (how === "kernel") {
    x.coalescer.request("lattice", { z, t0: performance.now(), view: v, n: k });
  }
}

/** Decode PATH_STEPS points evenly spaced along the drawn path. */
export function decodePathStrip(x: Explorer): void {
  const { s } = x;
  if (isEmbedding(s.viewKind)) {
    x.el.pathLabel.textContent = "a path cannot be decoded in a t-SNE or UMAP view (not invertible): use the PCA or two-dimensions view";
    return;
  }
  if (s.path.length < 4 || !s.plane) return;
  const pts = resamplePath(s.path, PATH_STEPS);
  const z = zFor(x, pts, PATH_STEPS);
  const how = decodePath(x);
  if (how === "browser") {
    const out = decodeLocal(x, z, PATH_STEPS);
    if (out) showPath(x, out, PATH_STEPS);
  } else if (how === "kernel") {
    x.coalescer.request("path", { z, t0: performance.now(), count: PATH_STEPS });
  } else {
    x.el.pathLabel.textContent = "decoding a path needs a kernel or an MLP decoder";
  }
}

/** The strip of decodings along the drawn path (hidden until there is one). */
function paintPathStrip(x: Explorer): void {
  const { s } = x;
  if (!s.pathDecoded) return;
  const { values, count } = s.pathDecoded;
  const { ctx, width, height, canvas } = x.el.pathStrip;
  canvas.style.display = "";
  ctx.fillStyle = s.theme.bg;
  ctx.fillRect(0, 0, width, height);
  for (let i = 0; i < count; i++) s.painter?.draw(ctx, s.theme, values, i * s.spec.size, 2 + i * (THUMB + 4), 2, THUMB, THUMB);
}

function showPath(x: Explorer, values: Float32Array, count: number): void {
  x.s.pathDecoded = { values, count };
  paintPathStrip(x);
  x.el.pathLabel.textContent = `decoded along the drawn path (${count} evenly spaced points, start → end)`;
  x.requestDraw();
}

/** The pointer's view before anything is decoded: an empty box that says what goes there. */
function paintPlaceholder(x: Explorer): void {
  const { theme } = x.s;
  const { ctx, width, height } = x.el.decoded;
  ctx.fillStyle = theme.panel;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 12);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText("hover the plot", width / 2, height / 2);
}

/** Paint the pointer's last decoding (or the placeholder) and the path strip again: after a
 *  theme change, or when the output changed. */
export function repaintDecodings(x: Explorer): void {
  const last = x.stats.last;
  if (last && last.out.length === x.s.spec.size) paintDecoded(x, last.out, 0);
  else paintPlaceholder(x);
  paintPathStrip(x);
}

/** Float32 view of a message buffer (copied only when misaligned). */
export function floatsOf(buf: DataView | ArrayBuffer | undefined): Float32Array {
  if (!buf) return new Float32Array(0);
  const view = buf instanceof ArrayBuffer ? new DataView(buf) : buf;
  if (view.byteOffset % 4 === 0) return new Float32Array(view.buffer, view.byteOffset, view.byteLength / 4);
  return new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** A kernel reply to a decode request ("decoded" or "error"): draw it if it is still wanted. */
export function onDecodeReply(x: Explorer, content: DecodedMessage | DecodeErrorMessage, buffers: Array<DataView | ArrayBuffer>): void {
  const { s, stats } = x;
  if (content.type === "error") {
    x.coalescer.settle(content.purpose, content.id);
    x.el.errorLine.textContent = String(content.message ?? "decoding failed");
    return;
  }
  const meta = x.requestMeta.get(content.id);
  x.requestMeta.delete(content.id);
  if (!x.coalescer.settle(content.purpose, content.id)) return;
  const values = floatsOf(buffers[0]);
  if (content.purpose === "hover" && meta) {
    stats.kernelMs.push(Number(content.ms ?? NaN));
    if (stats.kernelMs.length > 1000) stats.kernelMs.splice(0, 500);
    drawDecodedOutput(x, values, 0, meta.t0, "kernel", meta.work ?? meta.t0, meta.p ?? [], meta.z);
  } else if (content.purpose === "nearest" && meta && meta.index === x.s.hoverIndex && isEmbedding(s.viewKind)) {
    drawDecodedOutput(x, values, 0, meta.t0, `point #${meta.index}, kernel`, meta.work ?? meta.t0, meta.p ?? [], meta.z, meta.index);
  } else if (content.purpose === "lattice" && meta?.view && meta.n) {
    s.lattice = { view: meta.view, n: meta.n, values, atlas: null };
    x.requestDraw();
  } else if (content.purpose === "path") showPath(x, values, content.shape?.[0] ?? PATH_STEPS);
  x.el.errorLine.textContent = x.model.get("error") || "";
}
