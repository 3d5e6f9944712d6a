// The order of the stepper's frames: forward layer 1..L, the loss, backward L..1, update 1..L.
// Pure functions (tested in js/tests/backprop_stepper.test.ts); the Python `.trace` property
// lists its records in the same order.

export type Phase = "forward" | "loss" | "backward" | "update";

export interface Step {
  phase: Phase;
  /** Linear layer 1..L (the loss frame carries L). */
  layer: number;
}

/** Number of frames for a network of `layers` Linear layers. */
export function frameCount(layers: number): number {
  return 3 * layers + 1;
}

/** The step shown at `frame` (clamped to the valid range). */
export function stepAt(frame: number, layers: number): Step {
  const L = Math.max(1, layers);
  const f = Math.max(0, Math.min(frameCount(L) - 1, Math.trunc(frame)));
  if (f < L) return { phase: "forward", layer: f + 1 };
  if (f === L) return { phase: "loss", layer: L };
  if (f <= 2 * L) return { phase: "backward", layer: 2 * L - f + 1 };
  return { phase: "update", layer: f - 2 * L };
}

/** Frame of a step (inverse of stepAt). */
export function frameOf(step: Step, layers: number): number {
  const L = Math.max(1, layers);
  switch (step.phase) {
    case "forward":
      return step.layer - 1;
    case "loss":
      return L;
    case "backward":
      return 2 * L + 1 - step.layer;
    default:
      return 2 * L + step.layer;
  }
}

const NAMES: Record<Phase, string> = { forward: "Forward", loss: "Loss", backward: "Backward", update: "Update" };

/** Timeline label, e.g. "Backward · layer 2 (5 / 10)". */
export function stepLabel(frame: number, layers: number): string {
  const s = stepAt(frame, layers);
  const where = s.phase === "loss" ? "" : ` · layer ${s.layer}`;
  return `${NAMES[s.phase]}${where} (${frame + 1} / ${frameCount(layers)})`;
}

/**
 * Which quantities are known at a frame: a layer's forward values once its forward frame has
 * been shown, its gradients from its backward frame on, its new weights from its update frame.
 */
export function known(frame: number, layers: number, layer: number, what: Phase): boolean {
  return frame >= frameOf({ phase: what, layer }, layers);
}

/** What a layer's neurons show at a frame: their activation, their δ, or nothing yet. */
export function nodeQuantity(frame: number, layers: number, layer: number): "x" | "a" | "delta" | null {
  if (layer === 0) return "x";
  if (known(frame, layers, layer, "backward")) return "delta";
  return known(frame, layers, layer, "forward") ? "a" : null;
}

/** What a layer's edges show at a frame: the weight, its gradient, or the updated weight. */
export function edgeQuantity(frame: number, layers: number, layer: number): "weight" | "grad_weight" | "new_weight" {
  if (known(frame, layers, layer, "update")) return "new_weight";
  if (known(frame, layers, layer, "backward")) return "grad_weight";
  return "weight";
}
