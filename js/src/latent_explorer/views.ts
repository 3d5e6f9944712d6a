// The views of the codes: the PCA plane and two latent dimensions (invertible: a position maps
// back to a code, so hovering decodes it) and the t-SNE / UMAP embeddings (not invertible:
// positions between points match no code; hovering shows the nearest data point instead).
// Pure decisions here (which view is drawn, which options can be chosen, what the note says);
// data.ts, controls.ts and decode.ts apply them.

import { decodeFloat } from "../lib/arrays";
import { KERNEL_HINT } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { filled, type EmbeddingState, type Explorer, type ViewKind } from "./state";

export const VIEW_KINDS: ViewKind[] = ["pca", "dims", "tsne", "umap"];

export const VIEW_LABELS: Record<ViewKind, string> = {
  pca: "PCA (first two components)",
  dims: "two latent dimensions",
  tsne: "t-SNE",
  umap: "UMAP",
};

const NAMES: Record<"tsne" | "umap", string> = { tsne: "t-SNE", umap: "UMAP" };

export function isEmbedding(view: string): view is "tsne" | "umap" {
  return view === "tsne" || view === "umap";
}

/** The view drawn: the chosen one when it can be drawn (an embedding once computed), else the
 *  last invertible plane's view (while t-SNE/UMAP is being computed). */
export function shownView(chosen: string, planeMode: string, computed: ReadonlySet<string>): ViewKind {
  if (chosen === "pca" || chosen === "dims") return chosen;
  if (isEmbedding(chosen) && computed.has(chosen)) return chosen;
  return planeMode === "dims" ? "dims" : "pca";
}

export interface ViewOption {
  view: ViewKind;
  label: string;
  disabled: boolean;
  title: string;
}

/** The selector's options. With a kernel: every view (UMAP disabled with its install hint when
 *  umap-learn is missing; PCA needs two dimensions). On a static page: the plane's view as
 *  exported and the embeddings computed before the export. */
export function viewOptions(opts: {
  d: number;
  planeMode: string;
  computed: ReadonlySet<string>;
  unavailable: Record<string, string>;
  standalone: boolean;
}): ViewOption[] {
  return VIEW_KINDS.map((view) => {
    let reason = "";
    if (opts.standalone) {
      const offline = isEmbedding(view) ? opts.computed.has(view) : view === (opts.planeMode === "dims" ? "dims" : "pca");
      if (!offline) reason = isEmbedding(view) ? `${NAMES[view]} was not computed before the export. ${KERNEL_HINT}` : KERNEL_HINT;
    } else if (opts.unavailable[view]) reason = opts.unavailable[view];
    else if (view === "pca" && opts.d < 2) reason = "PCA needs at least two latent dimensions";
    const missing = opts.standalone ? "" : opts.unavailable[view] ?? "";
    const install = /pip install \S+/.exec(missing)?.[0];
    return {
      view,
      label: missing ? `${VIEW_LABELS[view]} (not installed${install ? `: ${install}` : ""})` : VIEW_LABELS[view],
      disabled: reason !== "",
      title: reason || (isEmbedding(view) ? "not invertible: hover shows the nearest data point" : "invertible: hover decodes the position"),
    };
  });
}

/** What one embedding preserves and its parameters, then why hovering cannot decode it. */
export function embeddingNote(view: "tsne" | "umap", params: Partial<EmbeddingState>): string {
  const settings = view === "tsne"
    ? `perplexity ${formatNumber(Number(params.perplexity ?? NaN), 3)}, seed ${params.seed ?? "?"}`
    : `${params.n_neighbors ?? "?"} neighbours, min_dist ${formatNumber(Number(params.min_dist ?? NaN), 3)}, seed ${params.seed ?? "?"}`;
  const keeps = view === "tsne"
    ? "keeps who is near whom, not distances between clusters or their sizes"
    : "keeps nearest neighbours and more of the clusters' arrangement, but distances are not to scale";
  return `${NAMES[view]} (${settings}) ${keeps}. This view is not invertible: a position between points has no code, so hovering shows the nearest data point and its own reconstruction, not a decoding of the position.`;
}

/** Names of the embeddings in state. */
export function computedViews(x: Explorer): Set<string> {
  const emb = x.model.get("embeddings");
  const out = new Set<string>();
  if (!emb) return out;
  for (const key of ["tsne", "umap"] as const) {
    if (filled(emb[key] ?? null, "coords")) out.add(key);
  }
  return out;
}

/** An embedding's (N, 2) coordinates, or null when it is not computed (or not for these codes). */
export function embeddingCoords(x: Explorer, view: "tsne" | "umap"): Float32Array | null {
  const emb = x.model.get("embeddings")?.[view];
  if (!filled(emb ?? null, "coords") || !emb) return null;
  const arr = decodeFloat(emb.coords);
  if (arr.shape[0] !== x.s.n || arr.shape[1] !== 2) return null;
  return arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
}

/** The view drawn now, from the model. */
export function currentView(x: Explorer): ViewKind {
  const plane = x.model.get("plane");
  const planeMode = filled(plane, "origin") ? plane.mode : "pca";
  return shownView(String(x.model.get("projection_mode") || "pca"), planeMode, computedViews(x));
}

/** The line under the toolbar: the embedding's note, the computation in progress, or nothing. */
export function viewNoteText(x: Explorer): string {
  const status = x.model.get("view_status") || "";
  const view = x.s.viewKind;
  if (isEmbedding(view)) return embeddingNote(view, x.model.get("embeddings")?.[view] ?? {});
  return status;
}

/** The plot's axis labels in the view drawn. */
export function axisLabels(x: Explorer): [string, string] {
  const view = x.s.viewKind;
  if (isEmbedding(view)) return [`${NAMES[view]} 1`, `${NAMES[view]} 2`];
  return x.s.plane?.axisLabels ?? ["x", "y"];
}
