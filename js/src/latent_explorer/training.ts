// Live training (demo models): each streamed epoch brings the codes, the decoder's weights and
// the PCA plane as binary buffers; the view follows them and draws the loss curve.

import { scaleLinear } from "d3-scale";
import { decodeFloat } from "../lib/arrays";
import { formatNumber } from "../lib/format";
import { makeMLP, scratchFor, type MLPLayer } from "../lib/mlp";
import { font } from "../lib/theme";
import { reproject } from "./data";
import { decodeHover, floatsOf, requestLattice } from "./decode";
import { refreshTheme } from "./ink";
import { filled, type Explorer, type TrainMessage } from "./state";

/** A streamed epoch's layer descriptions (weights by buffer index) as MLP layers. */
function layersOf(content: TrainMessage, buffers: Array<DataView | ArrayBuffer>): MLPLayer[] {
  const layers: MLPLayer[] = [];
  for (const l of content.mlp_layers ?? []) {
    const layer: MLPLayer = { kind: l.kind, slope: l.slope, alpha: l.alpha, beta: l.beta, threshold: l.threshold };
    if (l.kind === "linear" && l.weight_buffer !== undefined && l.weight_shape) {
      layer.weight = Float32Array.from(floatsOf(buffers[l.weight_buffer]));
      layer.rows = l.weight_shape[0];
      layer.cols = l.weight_shape[1];
      layer.bias = l.bias_buffer !== undefined ? Float32Array.from(floatsOf(buffers[l.bias_buffer])) : null;
    }
    layers.push(layer);
  }
  return layers;
}

/** One "train" message: new codes, decoder and plane; redraw everything that depends on them. */
export function onTrain(x: Explorer, content: TrainMessage, buffers: Array<DataView | ArrayBuffer>): void {
  const { s, el } = x;
  const c = floatsOf(buffers[0]);
  const shape: number[] = content.codes_shape ?? [];
  if (shape.length === 2 && shape[0] === s.n && shape[1] === s.d && c.length === s.n * s.d) s.codes = Float32Array.from(c);
  const layers = layersOf(content, buffers);
  if (layers.length) {
    try {
      s.mlp = makeMLP(layers, s.d);
      s.scratch = scratchFor(s.mlp);
    } catch {
      /* keep the previous decoder */
    }
  }
  const pl = content.plane ?? {};
  if (s.plane && pl.origin && pl.basis) {
    s.plane.origin = Float64Array.from(floatsOf(buffers[pl.origin.buffer]));
    s.plane.basis = Float64Array.from(floatsOf(buffers[pl.basis.buffer]));
    if (pl.others) s.plane.others = Float64Array.from(floatsOf(buffers[pl.others.buffer]));
  }
  s.trainLoss = s.trainLoss.slice(0, content.first ?? s.trainLoss.length).concat(content.loss ?? []);
  el.status.textContent = `training: epoch ${content.epoch}/${content.epochs} · loss ${formatNumber(s.trainLoss[s.trainLoss.length - 1] ?? NaN, 4)}`;
  reproject(x, !s.userMoved); // follow the codes as they spread, unless the view was moved
  s.lattice = null;
  requestLattice(x);
  drawLoss(x);
  if (s.hoverPoint) decodeHover(x, s.hoverPoint[0], s.hoverPoint[1], performance.now());
  x.requestDraw();
}

/** Loss per epoch: the synced history, or the streamed losses when they are ahead of it. */
export function drawLoss(x: Explorer): void {
  const { loss } = x.el;
  const hist = x.model.get("history");
  let values = x.s.trainLoss;
  if (filled(hist, "loss") && hist.loss.shape && hist.loss.shape[0] >= values.length) values = Array.from(decodeFloat(hist.loss).data);
  if (!values.length) {
    loss.canvas.style.display = "none";
    return;
  }
  loss.canvas.style.display = "";
  const { ctx, width, height } = loss;
  const theme = refreshTheme(x);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const sx = scaleLinear().domain([0, Math.max(1, values.length - 1)]).range([4, width - 4]);
  const sy = scaleLinear().domain([lo, hi > lo ? hi : lo + 1]).range([height - 14, 4]);
  ctx.strokeStyle = theme.accent;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  values.forEach((v, i) => (i === 0 ? ctx.moveTo(sx(i), sy(v)) : ctx.lineTo(sx(i), sy(v))));
  ctx.stroke();
  ctx.fillStyle = theme.muted;
  ctx.font = font(theme, 10);
  ctx.textBaseline = "bottom";
  ctx.fillText(`loss per epoch: ${formatNumber(values[values.length - 1], 4)}`, 4, height);
}
