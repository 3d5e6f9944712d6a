// Synced state of the activation explorer (dlwidgets/widgets/activation.py) and the view's own.

import type { WireArray } from "../lib/arrays";

export interface ActivationExplorerModel {
  /** Name of the activation shown (one of `names`). */
  activation: string;
  negative_slope: number;
  alpha: number;
  other_logits: number[];
  x_min: number;
  x_max: number;
  names: string[];
  /** name → formula text shown under the toolbar. */
  labels: Record<string, string>;
  /** The x grid, float (n,). */
  x: WireArray;
  /** name → f(x) and its autograd derivative on the grid, float (n,) each. */
  curves: Record<string, { y: WireArray; dy: WireArray }>;
  hover_index: number;
  _standalone?: boolean;
}

/** What the view keeps between events. */
export interface ActivationView {
  /** x under the pointer (clamped to the grid's range), or null. */
  hoverX: number | null;
}

export const HOVER_HINT = "hover the plot to read values";
