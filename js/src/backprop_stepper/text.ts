// The words and numbers of each step, the chain of an edge's gradient and the autograd check
// (pure functions of the state, tested). Every line reaches the page through textContent.

import { formatNumber } from "../lib/format";
import { activation, at, type Arrays } from "./data";
import type { Network } from "./state";
import { known, stepAt } from "./steps";

/** A number as written in a formula: 4 significant digits, negatives in parentheses. */
export function fmt(v: number, digits = 4): string {
  return formatNumber(v, digits);
}

export function factor(v: number, digits = 4): string {
  const s = fmt(v, digits);
  return v < 0 ? `(${s})` : s;
}

/** "t0 + t1 + … + tn" with at most `max` terms written (the rest counted). */
export function writtenSum(terms: string[], max = 6): string {
  if (terms.length <= max) return terms.join(" + ");
  return `${terms.slice(0, max - 1).join(" + ")} + … (${terms.length - max} more) + ${terms[terms.length - 1]}`;
}

const ACT_SYMBOL: Record<string, string> = { sigmoid: "σ", tanh: "tanh", relu: "relu", leaky_relu: "leaky_relu", identity: "" };

export interface View {
  net: Network;
  data: Arrays;
  frame: number;
  sample: number;
  selected: [number, number];
}

/** The neuron of `layer` the text speaks about: the selected one when it is in that layer. */
export function focus(v: View, layer: number): number {
  return v.selected[0] === layer ? Math.min(v.selected[1], v.net.widths[layer] - 1) : 0;
}

function batchNote(net: Network): string {
  return net.batch > 1 ? ` (summed over the batch of ${net.batch})` : "";
}

function forwardLines(v: View, l: number): string[] {
  const { net, data, sample } = v;
  const info = net.layers[l - 1];
  const j = focus(v, l);
  const terms: string[] = [];
  for (let i = 0; i < info.in; i++) terms.push(`${factor(at(data, `${l}.weight`, j, i))}·${factor(activation(data, l - 1, sample, i))}`);
  terms.push(factor(at(data, `${l}.bias`, 0, j)));
  const z = at(data, `${l}.z`, sample, j);
  const a = at(data, `${l}.a`, sample, j);
  const sym = ACT_SYMBOL[info.activation];
  return [
    `Forward, layer ${l} (Linear ${info.in}→${info.out}${info.activation === "identity" ? "" : ` + ${info.activation}`}): z = W·a + b, then ${info.formula}`,
    `z${l}[${j}] = ${writtenSum(terms)} = ${fmt(z)}`,
    info.activation === "identity" ? `a${l}[${j}] = z${l}[${j}] = ${fmt(a)}` : `a${l}[${j}] = ${sym}(${fmt(z)}) = ${fmt(a)}`,
  ];
}

function lossLines(v: View): string[] {
  const { net, data, sample } = v;
  const L = net.layers.length;
  const out = net.widths[L];
  const lines = [`Loss (${net.loss}): ${net.loss_formula}`];
  if (net.loss === "cross_entropy") {
    const y = at(data, "y", 0, sample);
    lines.push(`sample ${sample}: class ${fmt(y)}, logits ${Array.from({ length: out }, (_, k) => fmt(at(data, "output", sample, k))).join(", ")}`);
  } else {
    const terms = Array.from({ length: out }, (_, k) => `(${fmt(at(data, "output", sample, k))} − ${fmt(at(data, "y", sample, k))})`);
    lines.push(`sample ${sample}: ŷ − y = ${terms.join(", ")}`);
  }
  lines.push(`L = ${fmt(net.loss_value, 6)}`);
  const j = focus(v, L);
  lines.push(`${net.loss_grad_formula}: for output ${j}, ${fmt(at(data, "loss_grad", sample, j))}`);
  return lines;
}

function upstreamLine(v: View, l: number, j: number): string {
  const { net, data, sample } = v;
  const up = at(data, `${l}.upstream`, sample, j);
  const L = net.layers.length;
  if (l === L) {
    return net.loss === "cross_entropy"
      ? `upstream: the loss gives ∂L/∂z directly (softmax + cross-entropy: (p − y)/B) = ${fmt(up)}`
      : `upstream ∂L/∂a${l}[${j}] = ∂L/∂ŷ = ${fmt(up)} (from the loss)`;
  }
  const above = net.layers[l];
  const terms: string[] = [];
  for (let k = 0; k < above.out; k++) terms.push(`${factor(at(data, `${l + 1}.delta`, sample, k))}·${factor(at(data, `${l + 1}.weight`, k, j))}`);
  return `upstream ∂L/∂a${l}[${j}] = Σₖ δ${l + 1}[k]·W${l + 1}[k, ${j}] = ${writtenSum(terms)} = ${fmt(up)}`;
}

function backwardLines(v: View, l: number): string[] {
  const { net, data, sample } = v;
  const info = net.layers[l - 1];
  const j = focus(v, l);
  const up = at(data, `${l}.upstream`, sample, j);
  const fp = at(data, `${l}.fprime`, sample, j);
  const delta = at(data, `${l}.delta`, sample, j);
  const grads: string[] = [];
  for (let i = 0; i < Math.min(info.in, 4); i++) {
    grads.push(`∂L/∂W${l}[${j}, ${i}] = ${fmt(at(data, `${l}.grad_weight`, j, i))}`);
  }
  if (info.in > 4) grads.push(`… ${info.in - 4} more`);
  const lines = [
    `Backward, layer ${l}: δ = ∂L/∂a ⊙ f′(z), ∂L/∂W = δ·aᵀ${batchNote(net)}, ∂L/∂b = δ`,
    upstreamLine(v, l, j),
    `f′(z${l}[${j}]): ${info.fprime_formula} = ${fmt(fp)}`,
    `δ${l}[${j}] = ${factor(up)} × ${factor(fp)} = ${fmt(delta)}`,
  ];
  if (net.batch === 1) {
    const terms = Array.from({ length: Math.min(info.in, 3) }, (_, i) => `${factor(delta)}×${factor(activation(data, l - 1, sample, i))}`);
    lines.push(`∂L/∂W${l}[${j}, i] = δ${l}[${j}]·a${l - 1}[i]: ${terms.join(", ")}${info.in > 3 ? ", …" : ""}`);
  }
  lines.push(`${grads.join(";  ")};  ∂L/∂b${l}[${j}] = ${fmt(at(data, `${l}.grad_bias`, 0, j))}`);
  return lines;
}

function updateLines(v: View, l: number): string[] {
  const { net, data } = v;
  const info = net.layers[l - 1];
  const j = focus(v, l);
  const lines = [`Update, layer ${l}: w ← w − η·∂L/∂w with η = ${fmt(net.lr)}`];
  for (let i = 0; i < Math.min(info.in, 4); i++) {
    const w = at(data, `${l}.weight`, j, i);
    const g = at(data, `${l}.grad_weight`, j, i);
    lines.push(`W${l}[${j}, ${i}]: ${fmt(w)} − ${fmt(net.lr)} × ${factor(g)} = ${fmt(at(data, `${l}.new_weight`, j, i))}`);
  }
  if (info.in > 4) lines.push(`… and ${info.in - 4} more weights of neuron ${j}`);
  const b = at(data, `${l}.bias`, 0, j);
  const gb = at(data, `${l}.grad_bias`, 0, j);
  lines.push(`b${l}[${j}]: ${fmt(b)} − ${fmt(net.lr)} × ${factor(gb)} = ${fmt(at(data, `${l}.new_bias`, 0, j))}`);
  return lines;
}

/** The explanation of the step shown at `v.frame`. */
export function stepLines(v: View): string[] {
  const s = stepAt(v.frame, v.net.layers.length);
  if (s.phase === "forward") return forwardLines(v, s.layer);
  if (s.phase === "loss") return lossLines(v);
  if (s.phase === "backward") return backwardLines(v, s.layer);
  return updateLines(v, s.layer);
}

/** Hover on weight W_l[to, from]: its value and the chain of factors of its gradient. */
export function edgeChain(v: View, l: number, to: number, from: number): string[] {
  const { net, data, sample } = v;
  const w = at(data, `${l}.weight`, to, from);
  const lines = [`W${l}[${to}, ${from}] = ${fmt(w)}  (${net.layers[l - 1].weight_name}, from a${l - 1}[${from}] to neuron ${to})`];
  if (!known(v.frame, net.layers.length, l, "backward")) {
    lines.push(`its gradient comes in the backward pass of layer ${l}`);
    return lines;
  }
  const up = at(data, `${l}.upstream`, sample, to);
  const fp = at(data, `${l}.fprime`, sample, to);
  const a = activation(data, l - 1, sample, from);
  const g = at(data, `${l}.grad_weight`, to, from);
  lines.push(`∂L/∂W = ∂L/∂a${l}[${to}] · f′(z${l}[${to}]) · a${l - 1}[${from}]`);
  lines.push(`= ${factor(up)} × ${factor(fp)} × ${factor(a)} = ${fmt(up * fp * a)}`);
  if (net.batch > 1) lines.push(`(sample ${sample}; summed over the batch: ∂L/∂W = ${fmt(g)})`);
  else lines.push(`∂L/∂W = ${fmt(g)}`);
  if (known(v.frame, net.layers.length, l, "update")) {
    lines.push(`new: ${fmt(w)} − ${fmt(net.lr)} × ${factor(g)} = ${fmt(at(data, `${l}.new_weight`, to, from))}`);
  }
  return lines;
}

/** Hover on a neuron: its z, a and (once known) δ for the shown sample. */
export function nodeLines(v: View, layer: number, neuron: number): string[] {
  const { net, data, sample } = v;
  if (layer === 0) return [`input x[${neuron}] = ${fmt(at(data, "x", sample, neuron))}`];
  const L = net.layers.length;
  const lines = [`neuron ${neuron} of layer ${layer}`];
  if (known(v.frame, L, layer, "forward")) {
    lines.push(`z = ${fmt(at(data, `${layer}.z`, sample, neuron))}, a = ${fmt(at(data, `${layer}.a`, sample, neuron))}`);
  }
  if (known(v.frame, L, layer, "backward")) {
    lines.push(`∂L/∂a = ${fmt(at(data, `${layer}.upstream`, sample, neuron))}, f′(z) = ${fmt(at(data, `${layer}.fprime`, sample, neuron))}, δ = ${fmt(at(data, `${layer}.delta`, sample, neuron))}`);
  }
  return lines;
}

/** The "compare with autograd" line. */
export function autogradLine(net: Network): string {
  return `compare with autograd: largest |difference| from loss.backward() over ${net.parameters} gradients = ${fmt(net.autograd_diff, 2)}; `
    + `update vs torch.optim.SGD: ${fmt(net.update_diff, 2)}; loss ${fmt(net.loss_value, 6)} vs ${fmt(net.autograd_loss, 6)}`;
}
