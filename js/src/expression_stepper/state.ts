// Typed state of the expression stepper (dlwidgets/widgets/expression_stepper.py).

import type { AnyModel } from "@anywidget/types";
import type { WireArray } from "../lib/arrays";

export interface ExprNode {
  op: string; // "input" or the torch op ("mul", "tanh", …)
  label: string; // the input's name, or "op(n0, n1)"
  parents: number[];
  shape: number[];
}

export interface ExprGraph {
  nodes: ExprNode[];
  inputs: string[];
  value: number;
}

export interface ExpressionStepperModel {
  graph: ExprGraph;
  /** "data.<i>" and "grad.<i>": each node's values, flattened, float32 */
  arrays: Record<string, WireArray>;
  error: string;
  title: string;
  step_index: number;
  _standalone?: boolean;
}

export type Model = AnyModel<ExpressionStepperModel>;
