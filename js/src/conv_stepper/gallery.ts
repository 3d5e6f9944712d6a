// Thumbnails of every filter's feature map; clicking one shows that filter.

import { h } from "../lib/dom";
import { readTheme } from "../lib/theme";
import { hasNegative, maxAbsOf } from "./colours";
import { drawGrid } from "./grid";
import { cellSize } from "./layout";
import { filterOf, type Stepper } from "./state";

/** One thumbnail per filter, drawn in the current theme (rebuilt when the theme changes). */
export function buildGallery(s: Stepper) {
  const { gallery } = s.ui;
  gallery.replaceChildren();
  const { trace: tr, geom: g } = s.state;
  if (!tr || !g) return;
  const n = g.filters;
  const size = g.out[0] * g.out[1];
  const theme = readTheme(s.ui.root);
  const cell = cellSize(Math.max(g.out[0], g.out[1]), n > 16 ? 56 : 84, 1, 10);
  for (let f = 0; f < n; f++) {
    const img = drawGrid({ values: tr.output.data, base: f * size, rows: g.out[0], cols: g.out[1] }, cell,
      maxAbsOf(tr.output.data, f * size, (f + 1) * size), hasNegative(tr.output.data, f * size, (f + 1) * size), theme, { text: false });
    img.canvas.style.width = `${img.width}px`;
    img.canvas.style.height = `${img.height}px`;
    img.canvas.className = "dlw-gallery-map";
    img.canvas.dataset.dlwImage = "data"; // only data colours: no theme background to follow
    const item = h("button", { class: "dlw-gallery-item", type: "button", title: `filter ${f}`, "data-filter": f }, [img.canvas, h("div", { class: "dlw-muted" }, [`${f}`])]);
    Object.assign(item.style, { border: f === filterOf(s) ? "2px solid var(--dlw-accent)" : "2px solid transparent", background: "none", padding: "2px", cursor: "pointer", font: "inherit" });
    item.addEventListener("click", () => {
      s.model.set("filter", f);
      s.model.save_changes();
    });
    gallery.appendChild(item);
  }
}
