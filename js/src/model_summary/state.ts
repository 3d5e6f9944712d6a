// Synced state of the model summary (dlwidgets/widgets/model_summary.py) and the view's own.

/** One row of the layer tree (dlwidgets.dsl.summarize rows, as Python sends them). */
export interface Row {
  name: string;
  layer: string;
  kind: string;
  category: string;
  shape: number[] | null;
  params: number;
  trainable: number;
  depth: number;
  parent: number;
  block: boolean;
  line: number | null;
  source: string;
}

export interface ModelSummaryModel {
  title: string;
  /** "sequential", "residual", "vae", "gan", "module", … */
  kind: string;
  input_shape: number[] | null;
  output_shape: number[] | null;
  rows: Row[];
  total_params: number;
  trainable_params: number;
  param_bytes: number;
  buffer_bytes: number;
  /** Per sample; −1 when shapes are unknown. */
  activation_bytes: number;
  /** Batch size of the training-memory estimate (set in the view). */
  batch_size: number;
  adam_states: number;
  warnings: string[];
  /** VAE/GAN latent size, −1 when none. */
  latent_dim: number;
  /** Row indices of folded blocks. */
  collapsed: number[];
  /** Row index picked in the tree or the diagram, −1 when none. */
  selected: number;
  _standalone?: boolean;
}

/** What the view keeps between events. */
export interface SummaryView {
  /** Row under the pointer (tree or diagram), −1 when none. */
  hover: number;
}
