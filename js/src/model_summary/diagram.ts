// The network diagram as SVG: arcs for residual skips under the glyphs, one pseudo-3-D glyph per
// layer coloured by its category, labels and shapes under it, brackets for the model's parts.
// Text and lines take theme colours through CSS variables, so a theme switch needs no redraw.

import { parseColor } from "../lib/colour";
import { formatShape } from "./format";
import { GAP, textWidth, type Layout, type Unit } from "./layout";

/** Glyph colour of each layer category (data colours, the same on both themes). */
export const COLORS: Record<string, string> = {
  input: "#9aa5b1",
  conv: "#2f6fdf",
  deconv: "#5c7cfa",
  pool: "#15aabf",
  dense: "#e8590c",
  norm: "#ae3ec9",
  dropout: "#adb5bd",
  recurrent: "#2b8a3e",
  attention: "#0c8599",
  embedding: "#f08c00",
  reshape: "#868e96",
  activation: "#f03e3e",
  latent: "#d6336c",
  block: "#495057",
  other: "#868e96",
};

const SVG = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** A colour made lighter (f > 1) or darker (f < 1), for the glyph's top and side faces. */
function shade(css: string, f: number): string {
  const [r, g, b] = parseColor(css);
  const ch = (v: number) => Math.max(0, Math.min(255, Math.round(v * f)));
  return `rgb(${ch(r)},${ch(g)},${ch(b)})`;
}

/** SVG text with a theme colour (a CSS variable in `style`, which attributes cannot hold). */
function text(x: number, y: number, content: string, size: number, colour: string, cls = ""): SVGTextElement {
  const node = svg("text", { x, y, "text-anchor": "middle", "font-size": size, style: `fill:var(${colour})` });
  if (cls) node.setAttribute("class", cls);
  node.textContent = content;
  return node;
}

export interface DiagramHandlers {
  /** Tooltip text of a unit. */
  describe(unit: Unit): string;
  hover(row: number): void;
  click(unit: Unit): void;
}

function drawArcs(root: SVGSVGElement, layout: Layout) {
  for (const arc of layout.arcs) {
    const a = layout.units[arc.from];
    const b = layout.units[arc.to];
    if (!a || !b) continue;
    const x1 = a.x + a.w / 2;
    const x2 = b.x + b.w / 2;
    const yBase = Math.min(a.y - a.d, b.y - b.d) - 4;
    const yTop = 16 + 10 * arc.level;
    root.appendChild(svg("path", { d: `M${x1},${yBase} C${x1},${yTop} ${x2},${yTop} ${x2},${yBase}`, fill: "none",
      style: "stroke:var(--dlw-muted)", "stroke-width": 1.4, class: "dlw-arc" }));
    root.appendChild(text((x1 + x2) / 2, yTop + 8, arc.label, 10, "--dlw-muted"));
  }
}

function drawUnit(layout: Layout, u: Unit, k: number, selected: number, on: DiagramHandlers): SVGGElement {
  const color = COLORS[u.category] ?? COLORS.other;
  const g = svg("g", { class: "dlw-unit", "data-row": u.row, "data-unit": k, style: "cursor:pointer" });
  // the whole slot (glyph and its labels) is the target for hover and click
  g.appendChild(svg("rect", { x: u.cx - u.slot / 2 - GAP / 2, y: u.y - u.d - 4, width: u.slot + GAP, height: layout.labelY + 18 - (u.y - u.d - 4), fill: "transparent", class: "dlw-hit" }));
  if (u.d > 0) {
    g.appendChild(svg("polygon", { points: `${u.x},${u.y} ${u.x - u.d},${u.y - u.d} ${u.x - u.d + u.w},${u.y - u.d} ${u.x + u.w},${u.y}`, fill: shade(color, 1.25), stroke: shade(color, 0.7), "stroke-width": 0.8 }));
    g.appendChild(svg("polygon", { points: `${u.x},${u.y} ${u.x - u.d},${u.y - u.d} ${u.x - u.d},${u.y - u.d + u.h} ${u.x},${u.y + u.h}`, fill: shade(color, 0.8), stroke: shade(color, 0.7), "stroke-width": 0.8 }));
  }
  const front = svg("rect", { x: u.x, y: u.y, width: u.w, height: u.h, fill: color, stroke: shade(color, 0.6), "stroke-width": u.row === selected && u.row >= 0 ? 3 : 0.8, rx: u.collapsed ? 4 : 1, class: "dlw-glyph" });
  if (u.category === "dropout") front.setAttribute("stroke-dasharray", "3,2");
  g.appendChild(front);
  if (u.act) {
    g.appendChild(svg("rect", { x: u.x, y: u.y + u.h + 2, width: u.w, height: 4, fill: COLORS.activation, class: "dlw-act" }));
  }
  g.append(text(u.cx, layout.labelY, u.text, 11, "--dlw-fg", "dlw-unit-label"), text(u.cx, layout.labelY + 13, formatShape(u.shape), 10, "--dlw-muted"));
  const tip = svg("title");
  tip.textContent = on.describe(u);
  g.appendChild(tip);
  g.addEventListener("pointerenter", () => on.hover(u.row));
  g.addEventListener("pointerleave", () => on.hover(-1));
  g.addEventListener("click", () => on.click(u));
  return g;
}

function drawSections(root: SVGSVGElement, layout: Layout) {
  for (const s of layout.sections) {
    const a = layout.units[s.from];
    const b = layout.units[s.to];
    const y = layout.height - 24;
    const x1 = Math.min(a.x - a.d, a.cx - textWidth(a.text) / 2);
    const x2 = Math.max(b.x + b.w, b.cx + textWidth(b.text) / 2);
    root.appendChild(svg("path", { d: `M${x1},${y - 6} L${x1},${y} L${x2},${y} L${x2},${y - 6}`, fill: "none", style: "stroke:var(--dlw-axis)" }));
    root.appendChild(text((x1 + x2) / 2, y + 13, s.label, 11, "--dlw-muted", "dlw-section-label"));
  }
}

/** The diagram of a layout as an <svg> element, wired to the handlers. */
export function drawDiagram(layout: Layout, selected: number, on: DiagramHandlers): SVGSVGElement {
  const root = svg("svg", { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, class: "dlw-summary-svg", role: "img" });
  const titleNode = svg("title");
  titleNode.textContent = "network diagram";
  root.appendChild(titleNode);
  drawArcs(root, layout);
  layout.units.forEach((u, k) => root.appendChild(drawUnit(layout, u, k, selected, on)));
  drawSections(root, layout);
  return root;
}
