import { describe, expect, it } from "vitest";
import { boxAt, exprFrames, exprLines, exprStepAt, layoutBoxes, levels, shows, valueText } from "../src/expression_stepper/graph";
import type { ExprGraph } from "../src/expression_stepper/state";

// (a * b + c).tanh() as the Python side describes it
const G: ExprGraph = {
  inputs: ["a", "b", "c"],
  value: 0.9993,
  nodes: [
    { op: "input", label: "a", parents: [], shape: [] },
    { op: "input", label: "b", parents: [], shape: [] },
    { op: "input", label: "c", parents: [], shape: [] },
    { op: "mul", label: "mul(n0, n1)", parents: [0, 1], shape: [] },
    { op: "add", label: "add(n3, n2)", parents: [3, 2], shape: [] },
    { op: "tanh", label: "tanh(n4)", parents: [4], shape: [] },
  ],
};

describe("expression frames", () => {
  it("go forward through the operations, then backward from the result to the inputs", () => {
    expect(exprFrames(G)).toBe(9);
    const order = Array.from({ length: 9 }, (_, f) => exprStepAt(G, f));
    expect(order.map((s) => `${s.phase[0]}${s.node}`)).toEqual(["f3", "f4", "f5", "b5", "b4", "b3", "b2", "b1", "b0"]);
  });

  it("show values once computed and gradients once the backward pass reached them", () => {
    expect(shows(G, 0, 4)).toEqual({ data: false, grad: false });
    expect(shows(G, 0, 0)).toEqual({ data: true, grad: false });
    expect(shows(G, 4, 4)).toEqual({ data: true, grad: true });
    expect(shows(G, 4, 3)).toEqual({ data: true, grad: false });
  });
});

describe("expression layout", () => {
  it("puts each node one column right of its deepest parent, boxes apart", () => {
    expect(levels(G)).toEqual([0, 0, 0, 1, 2, 3]);
    const boxes = layoutBoxes(G, 600, 240);
    expect(boxes[3].x).toBeGreaterThan(boxes[0].x);
    expect(boxes[5].x + boxes[5].w).toBeLessThanOrEqual(600);
    expect(boxes[1].y).toBeGreaterThan(boxes[0].y + boxes[0].h);
    expect(boxAt(boxes, boxes[4].x + 2, boxes[4].y + 2)).toBe(4);
    expect(boxAt(boxes, 599, 1)).toBe(-1);
  });
});

describe("expression text", () => {
  const data = (i: number) => [[2], [-3], [10], [-6], [4], [0.9993]][i];
  const grad = (i: number) => [[-0.0040], [0.0027], [0.0013], [0.0013], [0.0013], [1]][i];
  it("writes the forward value and the backward sum over children", () => {
    expect(exprLines(G, 0, data, grad)).toEqual(["Forward: n3 = mul(n0, n1) with a = 2, b = −3", "n3 = −6"]);
    expect(exprLines(G, 3, data, grad)[1]).toBe("the result itself: ∂out/∂out = 1");
    expect(exprLines(G, 8, data, grad)[0]).toBe("Backward: ∂out/∂a = −0.004");
    expect(exprLines(G, 8, data, grad)[1]).toContain("n3 = mul(n0, n1) (∂out/∂n3 = 0.0013)");
    expect(valueText([1, 2, 3])).toBe("[1, …] (3)");
  });
});
