// The heads view: for the chosen layer, the query tokens on the left, the key tokens on the
// right and, between them, one line from each query to each key per visible head, its opacity
// the attention weight, its colour the head's. Only the chosen layer is drawn. Hovering a token
// keeps the lines through it and fades the rest. Tokens are DOM text (textContent).

import { createSurface, type Surface } from "../lib/canvas";
import { categoryColour } from "../lib/colour";
import { h } from "../lib/dom";
import { ALPHA_LEVELS, headSegments, lineGroups, visibleToken } from "./logic";
import type { Hovered, LayerData, ViewState } from "./state";

export const ROW = 18;
const LINES_WIDTH = 240;

export interface HeadsView {
  el: HTMLDivElement;
  surface: Surface;
  queries: HTMLDivElement;
  keys: HTMLDivElement;
}

export function buildHeadsView(onHover: (hovered: Hovered | null) => void, onPick: (query: number) => void): HeadsView {
  const queries = h("div", { class: "dlw-attn-col dlw-attn-queries", "data-side": "q" });
  const keys = h("div", { class: "dlw-attn-col dlw-attn-keys", "data-side": "k" });
  const surface = createSurface(LINES_WIDTH, ROW, "dlw-canvas dlw-attn-lines");
  const el = h("div", { class: "dlw-attn-heads" }, [queries, surface.canvas, keys]);
  for (const col of [queries, keys]) {
    col.addEventListener("mouseover", (event) => {
      const target = (event.target as HTMLElement).closest<HTMLElement>(".dlw-attn-token");
      if (!target) return;
      onHover({ side: col === queries ? "q" : "k", index: Number(target.dataset.index) });
    });
    col.addEventListener("mouseleave", () => onHover(null));
  }
  queries.addEventListener("click", (event) => {
    const target = (event.target as HTMLElement).closest<HTMLElement>(".dlw-attn-token");
    if (target) onPick(Number(target.dataset.index));
  });
  return { el, surface, queries, keys };
}

function fillColumn(col: HTMLDivElement, tokens: string[]): void {
  col.replaceChildren(
    ...tokens.map((t, i) => h("div", { class: "dlw-attn-token", "data-index": i, title: t, text: visibleToken(t) })),
  );
}

/** New layer or tokens: rebuild the token columns and size the canvas to the longer one. */
export function layoutHeads(view: HeadsView, queries: string[], keys: string[]): void {
  fillColumn(view.queries, queries);
  fillColumn(view.keys, keys);
  view.surface.resize(LINES_WIDTH, Math.max(queries.length, keys.length, 1) * ROW);
}

/** Mark the hovered token in its column. */
export function markPicked(view: HeadsView, query: number | null): void {
  for (const node of Array.from(view.queries.children)) {
    node.classList.toggle("dlw-attn-picked", Number((node as HTMLElement).dataset.index) === query);
  }
}

export function markHovered(view: HeadsView, hovered: Hovered | null): void {
  for (const [side, col] of [["q", view.queries], ["k", view.keys]] as const) {
    for (const node of Array.from(col.children)) {
      const on = hovered !== null && hovered.side === side && Number((node as HTMLElement).dataset.index) === hovered.index;
      node.classList.toggle("dlw-attn-hovered", on);
    }
  }
}

export function drawHeads(view: HeadsView, layer: LayerData | undefined, state: ViewState, hidden: ReadonlySet<number>): void {
  const { ctx, width, height } = view.surface;
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.fillStyle = state.theme.bg;
  ctx.fillRect(0, 0, width, height);
  if (!layer) {
    ctx.restore();
    return;
  }
  const colours = Array.from({ length: layer.heads }, (_, i) => categoryColour(i));
  ctx.lineWidth = 1.5;
  const x0 = 4;
  const x1 = width - 4;
  // one path per head and opacity level: thousands of lines in a few dozen strokes
  for (const group of lineGroups(headSegments(layer, hidden, state.hovered), ALPHA_LEVELS)) {
    ctx.globalAlpha = group.alpha;
    ctx.strokeStyle = colours[group.head];
    ctx.beginPath();
    for (const s of group.segments) {
      ctx.moveTo(x0, (s.query + 0.5) * ROW);
      ctx.lineTo(x1, (s.key + 0.5) * ROW);
    }
    ctx.stroke();
  }
  ctx.restore();
}
