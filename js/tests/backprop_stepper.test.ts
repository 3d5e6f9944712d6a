import { describe, expect, it } from "vitest";
import { encodeArray } from "../src/lib/arrays";
import { gradientProfile, productLine } from "../src/backprop_stepper/depth";
import { decodeHistory, historyLine } from "../src/backprop_stepper/history";
import { at, decodeArrays, row, type Arrays } from "../src/backprop_stepper/data";
import { canvasSize, hitTest, labelAllEdges, layoutGraph, segmentDistance } from "../src/backprop_stepper/layout";
import type { Network } from "../src/backprop_stepper/state";
import { edgeQuantity, frameCount, frameOf, known, nodeQuantity, stepAt, stepLabel } from "../src/backprop_stepper/steps";
import { autogradLine, edgeChain, factor, fmt, stepLines, writtenSum, type View } from "../src/backprop_stepper/text";

describe("frame order", () => {
  it("is forward 1..L, the loss, backward L..1, update 1..L", () => {
    const L = 3;
    const order = Array.from({ length: frameCount(L) }, (_, f) => stepAt(f, L));
    expect(order.map((s) => `${s.phase}${s.phase === "loss" ? "" : s.layer}`)).toEqual([
      "forward1", "forward2", "forward3", "loss", "backward3", "backward2", "backward1", "update1", "update2", "update3",
    ]);
    order.forEach((s, f) => expect(frameOf(s, L)).toBe(f));
  });

  it("clamps out-of-range frames and labels them", () => {
    expect(stepAt(-4, 2)).toEqual({ phase: "forward", layer: 1 });
    expect(stepAt(99, 2)).toEqual({ phase: "update", layer: 2 });
    expect(stepLabel(2, 2)).toBe("Loss (3 / 7)");
    expect(stepLabel(3, 2)).toBe("Backward · layer 2 (4 / 7)");
  });

  it("knows what each layer shows at each frame", () => {
    // 2 layers: frames f1 f2 loss b2 b1 u1 u2
    expect(nodeQuantity(0, 2, 2)).toBeNull();
    expect(nodeQuantity(1, 2, 2)).toBe("a");
    expect(nodeQuantity(3, 2, 2)).toBe("delta");
    expect(nodeQuantity(3, 2, 1)).toBe("a");
    expect(nodeQuantity(0, 2, 0)).toBe("x");
    expect(edgeQuantity(2, 2, 1)).toBe("weight");
    expect(edgeQuantity(4, 2, 1)).toBe("grad_weight");
    expect(edgeQuantity(5, 2, 1)).toBe("new_weight");
    expect(edgeQuantity(5, 2, 2)).toBe("grad_weight");
    expect(known(6, 2, 2, "update")).toBe(true);
  });
});

describe("graph layout", () => {
  it("puts every neuron in its layer's column, centred, inside the canvas", () => {
    const widths = [2, 3, 1];
    const [w, h] = canvasSize(widths, true);
    const g = layoutGraph(widths, true, w, h);
    expect(g.nodes.map((l) => l.length)).toEqual(widths);
    for (const layer of g.nodes) {
      const ys = layer.map((n) => n.y);
      expect((Math.min(...ys) + Math.max(...ys)) / 2).toBeCloseTo(h / 2, 6);
      for (const n of layer) {
        expect(n.x).toBe(g.columns[n.layer].x);
        expect(n.y - n.r).toBeGreaterThanOrEqual(0);
        expect(n.y + n.r).toBeLessThanOrEqual(h);
      }
    }
    expect(g.columns[0].x).toBeLessThan(g.columns[1].x);
    expect(g.loss.x).toBeGreaterThan(g.columns[2].x);
    expect(g.loss.x).toBeLessThan(w);
  });

  it("finds a neuron under its centre and an edge along its line", () => {
    const g = layoutGraph([2, 2, 1], true, 600, 240);
    const n = g.nodes[1][1];
    expect(hitTest(g, n.x, n.y)).toEqual({ kind: "node", layer: 1, neuron: 1 });
    const from = g.nodes[0][1];
    const to = g.nodes[1][0];
    // a quarter of the way along (crossing edges meet at their midpoints)
    const mx = from.x + from.r + 0.25 * (to.x - to.r - from.x - from.r);
    const my = from.y + 0.25 * (to.y - from.y);
    expect(hitTest(g, mx, my)).toEqual({ kind: "edge", layer: 1, to: 0, from: 1 });
    expect(hitTest(g, 2, 2)).toBeNull();
  });

  it("per-layer view: a band of a column is a neuron, a matrix cell is a weight", () => {
    const widths = [20, 10, 1];
    const g = layoutGraph(widths, false, 700, 300);
    expect(g.nodes).toEqual([]);
    expect(g.matrices.map((m) => m.layer)).toEqual([1, 2]);
    const col = g.columns[1];
    expect(hitTest(g, col.x, col.top + col.height * 0.95)).toEqual({ kind: "node", layer: 1, neuron: 9 });
    const m = g.matrices[0];
    expect(hitTest(g, m.x + 1, m.y + 1)).toEqual({ kind: "edge", layer: 1, to: 0, from: 0 });
    expect(hitTest(g, m.x + m.w - 1, m.y + m.h - 1)).toEqual({ kind: "edge", layer: 1, to: 9, from: 19 });
  });

  it("measures distance to a segment and labels edges only when few", () => {
    expect(segmentDistance(5, 3, 0, 0, 10, 0)).toBe(3);
    expect(segmentDistance(-4, 3, 0, 0, 10, 0)).toBe(5);
    expect(labelAllEdges([2, 2, 1], 1)).toBe(true);
    expect(labelAllEdges([4, 8, 1], 1)).toBe(false);
  });
});

describe("formatting", () => {
  it("writes negatives in parentheses and long sums with their count", () => {
    expect(fmt(-0.12345)).toBe("−0.1235");
    expect(factor(-2)).toBe("(−2)");
    expect(factor(2)).toBe("2");
    expect(writtenSum(["a", "b", "c"])).toBe("a + b + c");
    expect(writtenSum(["1", "2", "3", "4", "5", "6", "7", "8"], 4)).toBe("1 + 2 + 3 + … (4 more) + 8");
  });
});

// The 2-2-1 network with its numbers as a small fixture (the values themselves are checked
// against torch in the Python tests; here only how they are written out matters).
function twoTwoOne(): { net: Network; data: Arrays } {
  const m = (rows: number, cols: number, v: number[]) => encodeArray(Float32Array.from(v), [rows, cols]);
  const v = (values: number[]) => encodeArray(Float32Array.from(values), [values.length]);
  const data = decodeArrays({
    x: m(1, 2, [2, 1]), y: m(1, 1, [1]), output: m(1, 1, [0.7]), loss_grad: m(1, 1, [-0.6]),
    "1.weight": m(2, 2, [0.5, -1, -0.3, 0.8]), "1.bias": v([0.2, -0.1]),
    "1.z": m(1, 2, [0.2, 0.1]), "1.a": m(1, 2, [0.55, 0.52]),
    "1.upstream": m(1, 2, [-0.1, 0.06]), "1.fprime": m(1, 2, [0.25, 0.25]), "1.delta": m(1, 2, [-0.025, 0.015]),
    "1.grad_weight": m(2, 2, [-0.05, -0.025, 0.03, 0.015]), "1.grad_bias": v([-0.025, 0.015]),
    "1.new_weight": m(2, 2, [0.505, -0.9975, -0.303, 0.7985]), "1.new_bias": v([0.2025, -0.1015]),
    "2.weight": m(1, 2, [1.2, -0.7]), "2.bias": v([0.5]), "2.z": m(1, 1, [0.8]), "2.a": m(1, 1, [0.7]),
    "2.upstream": m(1, 1, [-0.6]), "2.fprime": m(1, 1, [0.2]), "2.delta": m(1, 1, [-0.12]),
    "2.grad_weight": m(1, 2, [-0.066, -0.0624]), "2.grad_bias": v([-0.12]),
    "2.new_weight": m(1, 2, [1.2066, -0.69376]), "2.new_bias": v([0.512]),
  });
  const layer = (n: number, i: number, o: number) => ({
    name: String(n), weight_name: `${n}.weight`, bias_name: `${n}.bias`, in: i, out: o, activation: "sigmoid", slope: 0,
    formula: "a = σ(z) = 1 / (1 + e^(−z))", fprime_formula: "f′(z) = σ(z)(1 − σ(z))",
  });
  const net: Network = {
    widths: [2, 2, 1], layers: [layer(0, 2, 2), layer(2, 2, 1)], dense: true, dense_reason: "", batch: 1,
    loss: "mse", loss_formula: "L = (1/N) Σ (ŷ − y)²", loss_grad_formula: "∂L/∂ŷ = (2/N)(ŷ − y)", lr: 0.1,
    loss_value: 0.09, autograd_loss: 0.09, autograd_diff: 0, update_diff: 0, parameters: 9,
    hidden_activation: "sigmoid", init: "model's own", activations: ["sigmoid", "tanh", "relu"], inits: ["default", "xavier", "he"],
  };
  return { net, data };
}

describe("step text", () => {
  const { net, data } = twoTwoOne();
  const view = (frame: number, selected: [number, number] = [1, 0]): View => ({ net, data, frame, sample: 0, selected });

  it("decodes arrays as rows", () => {
    expect(row(data, "1.weight", 1)).toEqual([Float32Array.from([-0.3])[0], Float32Array.from([0.8])[0]]);
    expect(at(data, "2.bias", 0, 0)).toBe(0.5);
    expect(Number.isNaN(at(data, "missing", 0, 0))).toBe(true);
  });

  it("writes the forward sum of the selected neuron", () => {
    const lines = stepLines(view(0));
    expect(lines[1]).toBe("z1[0] = 0.5·2 + (−1)·1 + 0.2 = 0.2");
    expect(lines[2]).toBe("a1[0] = σ(0.2) = 0.55");
    expect(stepLines(view(0, [1, 1]))[1]).toBe("z1[1] = (−0.3)·2 + 0.8·1 + (−0.1) = 0.1");
  });

  it("writes backward with the upstream sum, f′ formula and δ as their product", () => {
    const lines = stepLines(view(4));
    expect(lines[1]).toBe("upstream ∂L/∂a1[0] = Σₖ δ2[k]·W2[k, 0] = (−0.12)·1.2 = −0.1");
    expect(lines[2]).toBe("f′(z1[0]): f′(z) = σ(z)(1 − σ(z)) = 0.25");
    expect(lines[3]).toBe("δ1[0] = (−0.1) × 0.25 = −0.025");
  });

  it("writes the update with old and new values", () => {
    const lines = stepLines(view(5));
    expect(lines[0]).toBe("Update, layer 1: w ← w − η·∂L/∂w with η = 0.1");
    expect(lines[1]).toBe("W1[0, 0]: 0.5 − 0.1 × (−0.05) = 0.505");
  });

  it("shows an edge's chain once its backward step has been reached", () => {
    expect(edgeChain(view(1), 2, 0, 1)[1]).toBe("its gradient comes in the backward pass of layer 2");
    const chain = edgeChain(view(3), 2, 0, 1);
    expect(chain[1]).toBe("∂L/∂W = ∂L/∂a2[0] · f′(z2[0]) · a1[1]");
    expect(chain[2]).toBe(`= (−0.6) × 0.2 × 0.52 = ${fmt(-0.6 * 0.2 * Float32Array.from([0.52])[0] * 1)}`);
    expect(edgeChain(view(6), 2, 0, 1).at(-1)).toBe("new: −0.7 − 0.1 × (−0.0624) = −0.6938");
  });

  it("states the autograd comparison", () => {
    expect(autogradLine(net)).toContain("largest |difference| from loss.backward() over 9 gradients = 0");
  });
});

describe("depth view", () => {
  it("lists the mean |∂L/∂a| and mean f′(z) per layer from the output down", () => {
    const { net, data } = twoTwoOne();
    const profile = gradientProfile(net, data);
    expect(profile.map((p) => p.layer)).toEqual([2, 1]);
    expect(profile[0].upstream).toBeCloseTo(0.6, 6);
    expect(profile[1].upstream).toBeCloseTo((0.1 + 0.06) / 2, 6);
    expect(profile[1].fprime).toBeCloseTo(0.25, 6);
    expect(productLine(profile)).toBe("mean f′(z) per layer, output to input: 0.2 × 0.25 = 0.05");
    expect(productLine([])).toBe("");
  });
});

describe("training history", () => {
  it("is absent until trained and reads as a sentence once there", () => {
    expect(decodeHistory({})).toBeNull();
    expect(decodeHistory(null)).toBeNull();
    const f = (v: number[]) => encodeArray(Float32Array.from(v), [v.length]);
    const h = decodeHistory({ loss: f([0.5, 0.25]), weight: f([1, 1.5]), grad: f([-2, -1]), track: f([2, 0, 1]) });
    expect(h?.track).toEqual([2, 0, 1]);
    expect(historyLine(h!, 0.125)).toBe(
      "2 steps trained: loss 0.5 → 0.125; W2[0, 1] 1 → 1.5 (before the last step), its gradient −2 → −1",
    );
  });
});
