// State of the attention inspector: the synced traits exactly as
// dlwidgets/widgets/attention_inspector.py declares them (read through
// `AnyModel<AttentionInspectorModel>`), and the one view-state object the view keeps.

import type { AnyModel } from "@anywidget/types";
import { decodeArray, type NdArray, type WireArray } from "../lib/arrays";
import { LIGHT_THEME, type Theme } from "../lib/theme";

export interface AttentionInspectorModel {
  layers: string[];
  heads: number[];
  cross: boolean[];
  query_tokens: string[][];
  key_tokens: string[][];
  /** layer index ("0", "1", …) → weights (heads, T_query, T_key), float32 */
  attention: Record<string, WireArray>;
  /** layer index → (T_query, T_key) uint8, 1 where every head is masked */
  masks: Record<string, WireArray>;
  /** "q0", "k0", "v0", …: projected queries (T_query, E), keys and values (T_key, E); {} when too large */
  projected: Record<string, WireArray>;
  layer: number;
  view: "heads" | "matrix";
  error: string;
  _standalone?: boolean;
}

export type Model = AnyModel<AttentionInspectorModel>;

/** One layer's weights as the view reads them. */
export interface LayerData {
  heads: number;
  tq: number;
  tk: number;
  weights: Float32Array; // (heads, tq, tk), row-major
  mask: Uint8Array | null; // (tq, tk)
  /** projected queries (tq, e), keys and values (tk, e), every head side by side; null when not sent */
  qkv: { q: Float32Array; k: Float32Array; v: Float32Array; e: number } | null;
}

/** A token under the pointer in the heads view: a query (left column) or a key (right). */
export interface Hovered {
  side: "q" | "k";
  index: number;
}

export interface ViewState {
  theme: Theme;
  data: LayerData[];
  /** heads hidden in the heads view, per layer */
  hidden: Set<number>[];
  hovered: Hovered | null;
  /** the matrix shown large in the matrix view */
  enlarged: { layer: number; head: number };
  /** the query and head written out in the drill-down (null: none chosen) */
  drill: { query: number; head: number } | null;
  /** painted thumbnails, key "layer:head" */
  thumbs: Map<string, HTMLCanvasElement>;
}

export function createViewState(): ViewState {
  return {
    theme: { ...LIGHT_THEME },
    data: [],
    hidden: [],
    hovered: null,
    enlarged: { layer: 0, head: 0 },
    drill: null,
    thumbs: new Map(),
  };
}

/** Decode every layer's weights and mask from the synced state (no copies). */
export function decodeLayers(model: Model): LayerData[] {
  const attention = model.get("attention") ?? {};
  const masks = model.get("masks") ?? {};
  const projected = model.get("projected") ?? {};
  const proj = (name: string): NdArray | null => {
    const wire = projected[name];
    return wire && "shape" in wire ? decodeArray(wire) : null;
  };
  const out: LayerData[] = [];
  for (let i = 0; i < (model.get("layers") ?? []).length; i++) {
    const wire = attention[String(i)];
    if (!wire || !("shape" in wire)) continue;
    const w: NdArray = decodeArray(wire);
    const m = masks[String(i)];
    const mask = m && "shape" in m ? (decodeArray(m).data as Uint8Array) : null;
    const [q, k, v] = [proj(`q${i}`), proj(`k${i}`), proj(`v${i}`)];
    const qkv = q && k && v ? { q: q.data as Float32Array, k: k.data as Float32Array, v: v.data as Float32Array, e: q.shape[1] } : null;
    out.push({ heads: w.shape[0], tq: w.shape[1], tk: w.shape[2], weights: w.data as Float32Array, mask, qkv });
  }
  return out;
}
