// The layer tree: one table row per visible layer with a fold toggle on blocks, the category
// swatch, output shape, parameter count and DSL line. Highlights use theme variables.

import { h } from "../lib/dom";
import { COLORS } from "./diagram";
import { formatInt, formatShape } from "./format";
import { visibleRows } from "./layout";
import type { Row } from "./state";

export interface TreeHandlers {
  toggle(row: number): void;
  select(row: number): void;
  hover(row: number): void;
}

/** Background of a table row: the selected row, else the hovered one, else none. */
export function rowBackground(row: number, selected: number, hover: number): string {
  return row === selected ? "var(--dlw-selected)" : row === hover ? "var(--dlw-panel)" : "";
}

function labelCell(r: Row, i: number, folded: Set<number>, on: TreeHandlers): HTMLTableCellElement {
  const toggleBtn = r.block
    ? h("button", { class: "dlw-toggle", type: "button", "aria-label": folded.has(i) ? "expand" : "collapse", "aria-expanded": String(!folded.has(i)), style: "border:none;background:none;color:inherit;cursor:pointer;width:18px;padding:0;font:inherit" }, [folded.has(i) ? "▸" : "▾"])
    : h("span", { style: "display:inline-block;width:18px" });
  if (r.block) toggleBtn.addEventListener("click", (ev) => { ev.stopPropagation(); on.toggle(i); });
  const last = r.name ? r.name.split(".").pop() : "";
  const plainBlock = r.block && (r.layer === "block" || r.layer.toLowerCase() === last);
  const nameSpan = h("span", { class: plainBlock ? "" : "dlw-muted", text: plainBlock ? last || r.layer : last ? `${last}: ` : "" });
  const swatch = h("span", { style: `display:inline-block;width:8px;height:8px;border-radius:2px;margin-right:6px;background:${COLORS[r.category] ?? COLORS.other}` });
  return h("td", { style: `padding:1px 10px 1px ${4 + 16 * r.depth}px;white-space:nowrap` }, [toggleBtn, swatch, nameSpan, plainBlock ? "" : r.layer]);
}

/** Fill `table` with the header and the visible rows. */
export function drawTree(table: HTMLTableElement, rows: Row[], collapsed: number[], selected: number, hover: number, on: TreeHandlers): void {
  const folded = new Set(collapsed);
  const head = h("tr", {}, ["Layer", "Output shape", "Params", "Line"].map((t, k) =>
    h("th", { style: `text-align:${k === 0 ? "left" : "right"};padding:2px 10px;border-bottom:1px solid var(--dlw-border)`, text: t })));
  const body = visibleRows(rows, folded).map((i) => {
    const r = rows[i];
    const background = rowBackground(i, selected, hover);
    const tr = h("tr", { class: "dlw-summary-row", "data-row": i, title: r.source || r.layer, style: `cursor:pointer;${background ? `background:${background};` : ""}${r.block ? "font-weight:600" : ""}` }, [
      labelCell(r, i, folded, on),
      h("td", { class: "dlw-shape", style: "text-align:right;padding:1px 10px;white-space:nowrap", text: formatShape(r.shape) }),
      h("td", { style: "text-align:right;padding:1px 10px", text: r.block && !r.params ? "" : formatInt(r.params) }),
      h("td", { class: "dlw-muted", style: "text-align:right;padding:1px 10px", text: r.line ? String(r.line) : "" }),
    ]);
    tr.addEventListener("click", () => on.select(i));
    tr.addEventListener("pointerenter", () => on.hover(i));
    tr.addEventListener("pointerleave", () => on.hover(-1));
    return tr;
  });
  table.replaceChildren(h("thead", {}, [head]), h("tbody", {}, body));
}
