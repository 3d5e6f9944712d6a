// Attention inspector: the per-head attention weights of every nn.MultiheadAttention of a model,
// as PyTorch computed them (synced as binary arrays, so everything here also works in a static
// export). Two views: heads (lines from each query token to each key token of the chosen layer,
// opacity = weight, one colour per head, heads toggled, hovering a token keeps its lines) and
// matrix (every layer × head as a heatmap thumbnail, click one to enlarge it, hover a cell for
// its weight). Tokens are only ever text.
//
// state.ts holds the traits and the view state, logic.ts the pure parts, heads.ts and
// matrix.ts the two views. Colours come from the lib theme (read once per draw, redrawn on a
// theme switch) and the lib category palette; heatmaps from lib/heatmap.

import type { RenderProps } from "@anywidget/types";
import { pointerPosition } from "../lib/canvas";
import { categoryColour } from "../lib/colour";
import { h, listen, widgetRoot } from "../lib/dom";
import { onThemeChange, readTheme } from "../lib/theme";
import { buildDetail, showDetail } from "./detail";
import { buildHeadsView, drawHeads, layoutHeads, markHovered, markPicked } from "./heads";
import { cellAt, gridHit, visibleToken } from "./logic";
import { buildMatrixView, drawMatrix } from "./matrix";
import { createViewState, decodeLayers, type AttentionInspectorModel, type Model, type ViewState } from "./state";

const STYLE = `
.dlw-attn-heads { display: flex; align-items: flex-start; max-height: 520px; overflow: auto; }
.dlw-attn-col { display: flex; flex-direction: column; min-width: 60px; max-width: 160px; font: 12px var(--dlw-canvas-mono); }
.dlw-attn-queries { text-align: right; }
.dlw-attn-token { height: 18px; line-height: 18px; padding: 0 4px; white-space: pre; overflow: hidden; text-overflow: ellipsis; cursor: default; border-radius: 3px; }
.dlw-attn-token.dlw-attn-hovered { background: var(--dlw-selected); color: var(--dlw-fg); font-weight: 600; }
.dlw-attn-matrix { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.dlw-attn-grid { cursor: pointer; }
.dlw-attn-caption { color: var(--dlw-muted); font-size: 12px; margin-bottom: 4px; max-width: 360px; }
.dlw-attn-info { color: var(--dlw-muted); font-size: 12px; min-height: 16px; margin: 4px 0; }
.dlw-attn-error { color: var(--dlw-bad); }
.dlw-attn-headbtn { display: inline-flex; align-items: center; gap: 4px; }
.dlw-attn-headbtn[aria-pressed="false"] { opacity: 0.45; text-decoration: line-through; }
.dlw-attn-swatch { width: 10px; height: 10px; border-radius: 2px; display: inline-block; }
.dlw-attn-token.dlw-attn-picked { outline: 1px solid var(--dlw-accent); }
.dlw-attn-queries .dlw-attn-token { cursor: pointer; }
.dlw-attn-detail { margin-top: 8px; font-size: 12px; }
.dlw-attn-detail-title { font-weight: 600; margin-bottom: 4px; }
.dlw-attn-vec { font-family: var(--dlw-canvas-mono); margin: 2px 0; }
.dlw-attn-table { border-collapse: collapse; font-family: var(--dlw-canvas-mono); }
.dlw-attn-table th, .dlw-attn-table td { padding: 1px 8px; text-align: right; border-bottom: 1px solid var(--dlw-border); white-space: pre; }
.dlw-attn-table td:first-child, .dlw-attn-table th:first-child { text-align: left; }
`;

interface Ui {
  drillHead: HTMLSelectElement;
  detail: HTMLDivElement;
  viewSel: HTMLSelectElement;
  layerSel: HTMLSelectElement;
  headButtons: HTMLDivElement;
  info: HTMLDivElement;
  error: HTMLDivElement;
}

function render({ model, el }: Pick<RenderProps<AttentionInspectorModel>, "model" | "el">): () => void {
  const root = widgetRoot(el, "attention-inspector", STYLE);
  const state: ViewState = createViewState();
  const m = model as unknown as Model;
  const ui: Ui = {
    drillHead: h("select", { "aria-label": "head written out" }),
    detail: buildDetail(),
    viewSel: h("select", { "aria-label": "view" }, [h("option", { value: "heads", text: "heads" }), h("option", { value: "matrix", text: "matrix" })]),
    layerSel: h("select", { "aria-label": "layer" }),
    headButtons: h("div", { class: "dlw-toolbar dlw-attn-headbuttons" }),
    info: h("div", { class: "dlw-attn-info" }),
    error: h("div", { class: "dlw-attn-error" }),
  };
  const heads = buildHeadsView((hovered) => {
    state.hovered = hovered;
    markHovered(heads, hovered);
    showHover();
    drawHeadsNow();
  }, (query) => {
    state.drill = { query, head: Number(ui.drillHead.value) || 0 };
    markPicked(heads, query);
    writeOut();
  });
  const matrix = buildMatrixView();
  const layerLabel = h("label", {}, ["layer ", ui.layerSel]);
  root.append(
    h("div", { class: "dlw-title", text: "Attention" }),
    h("div", { class: "dlw-toolbar" }, [h("label", {}, ["view ", ui.viewSel]), layerLabel]),
    ui.headButtons,
    ui.error,
    ui.info,
    heads.el,
    ui.detail,
    matrix.el,
  );

  const layerIndex = (): number => Math.max(0, Math.min(Number(m.get("layer")) || 0, state.data.length - 1));
  const tokens = (which: "query_tokens" | "key_tokens"): string[] => (m.get(which) ?? [])[layerIndex()] ?? [];
  const hidden = (): Set<number> => {
    const i = layerIndex();
    while (state.hidden.length <= i) state.hidden.push(new Set());
    return state.hidden[i];
  };

  function writeOut(): void {
    showDetail(ui.detail, state.data[layerIndex()], state.drill, tokens("query_tokens"), tokens("key_tokens"));
  }

  function drawHeadsNow(): void {
    drawHeads(heads, state.data[layerIndex()], state, hidden());
  }

  function showHover(): void {
    const hv = state.hovered;
    const layer = state.data[layerIndex()];
    if (!hv || !layer) {
      ui.info.textContent = "Hover a token to see where it looks (left: queries) or what looks at it (right: keys).";
      return;
    }
    const list = tokens(hv.side === "q" ? "query_tokens" : "key_tokens");
    const name = visibleToken(list[hv.index] ?? String(hv.index));
    ui.info.textContent = hv.side === "q" ? `query ${hv.index} “${name}”: its lines go to the keys it attends to` : `key ${hv.index} “${name}”: lines from the queries that attend to it`;
  }

  function fillHeadButtons(): void {
    const layer = state.data[layerIndex()];
    const hide = hidden();
    const buttons = Array.from({ length: layer?.heads ?? 0 }, (_, i) => {
      const b = h("button", { class: "dlw-button dlw-attn-headbtn", "data-head": i, "aria-pressed": String(!hide.has(i)) }, [
        h("span", { class: "dlw-attn-swatch" }),
        `head ${i}`,
      ]);
      (b.firstChild as HTMLElement).style.background = categoryColour(i);
      b.addEventListener("click", () => {
        if (hide.has(i)) hide.delete(i);
        else hide.add(i);
        b.setAttribute("aria-pressed", String(!hide.has(i)));
        drawHeadsNow();
      });
      return b;
    });
    ui.drillHead.replaceChildren(...Array.from({ length: layer?.heads ?? 0 }, (_, i) => h("option", { value: i, text: `head ${i}` })));
    ui.headButtons.replaceChildren(h("span", { class: "dlw-muted", text: "heads:" }), ...buttons, h("label", {}, ["write out ", ui.drillHead]));
  }

  function drawAll(): void {
    state.theme = readTheme(root);
    const view = m.get("view") === "matrix" ? "matrix" : "heads";
    ui.viewSel.value = view;
    ui.layerSel.value = String(layerIndex());
    ui.error.textContent = m.get("error") ?? "";
    heads.el.style.display = view === "heads" ? "" : "none";
    ui.headButtons.style.display = view === "heads" ? "" : "none";
    ui.detail.style.display = view === "heads" ? "" : "none";
    layerLabel.style.display = view === "heads" ? "" : "none";
    matrix.el.style.display = view === "matrix" ? "" : "none";
    if (view === "heads") drawHeadsNow();
    else drawMatrix(matrix, state, m.get("heads") ?? [], m.get("layers") ?? [], Math.max(320, Math.min(900, root.clientWidth - 420)));
  }

  function newLayer(): void {
    state.hovered = null;
    state.drill = null;
    layoutHeads(heads, tokens("query_tokens"), tokens("key_tokens"));
    fillHeadButtons();
    writeOut();
    showHover();
    drawAll();
  }

  function rebuild(): void {
    state.data = decodeLayers(m);
    state.hidden = [];
    state.thumbs.clear();
    const names = m.get("layers") ?? [];
    const cross = m.get("cross") ?? [];
    ui.layerSel.replaceChildren(...names.map((n, i) => h("option", { value: i, text: `${i}: ${n}${cross[i] ? " (cross)" : ""}` })));
    newLayer();
  }

  const setTrait = (name: "layer" | "view", value: number | string): void => {
    m.set(name, value as never);
    m.save_changes();
  };
  ui.drillHead.addEventListener("change", () => {
    if (state.drill) state.drill = { query: state.drill.query, head: Number(ui.drillHead.value) };
    writeOut();
  });
  ui.viewSel.addEventListener("change", () => setTrait("view", ui.viewSel.value));
  ui.layerSel.addEventListener("change", () => setTrait("layer", Number(ui.layerSel.value)));
  matrix.grid.canvas.addEventListener("click", (event) => {
    const [x, y] = pointerPosition(matrix.grid.canvas, event);
    const hit = gridHit(matrix.layout, m.get("heads") ?? [], x, y);
    if (!hit) return;
    state.enlarged = hit;
    drawAll();
  });
  matrix.big.canvas.addEventListener("mousemove", (event) => {
    const { layer: li, head } = state.enlarged;
    const layer = state.data[li];
    if (!layer) return;
    const [x, y] = pointerPosition(matrix.big.canvas, event);
    const cell = cellAt(layer.tq, layer.tk, matrix.bigBox, x, y);
    if (!cell) return;
    const q = visibleToken((m.get("query_tokens") ?? [])[li]?.[cell.query] ?? String(cell.query));
    const k = visibleToken((m.get("key_tokens") ?? [])[li]?.[cell.key] ?? String(cell.key));
    const w = layer.weights[(head * layer.tq + cell.query) * layer.tk + cell.key];
    const masked = layer.mask?.[cell.query * layer.tk + cell.key] ? " (masked)" : "";
    ui.info.textContent = `head ${head}: query ${cell.query} “${q}” → key ${cell.key} “${k}”: ${w.toFixed(4)}${masked}`;
  });

  const unlisten = listen(m, {
    "change:attention": rebuild,
    "change:masks": rebuild,
    "change:projected": rebuild,
    "change:layer": newLayer,
    "change:view": () => {
      showHover();
      drawAll();
    },
    "change:error": drawAll,
  });
  const unTheme = onThemeChange(root, () => {
    state.thumbs.clear();
    drawAll();
  });
  rebuild();
  // the theme's colours are readable only once the root is in the page
  const raf = requestAnimationFrame(() => drawAll());
  return () => {
    cancelAnimationFrame(raf);
    unlisten();
    unTheme();
  };
}

export default { render };
