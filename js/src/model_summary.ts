// Model summary: a network diagram drawn from the spec (one glyph per layer, sized by its output
// shape, residual skips as arcs, model parts bracketed), a collapsible layer tree with output
// shapes and parameter counts, totals and a memory estimate whose batch size can be changed.
// Everything is drawn from synced state, so a static export works the same; nothing here needs
// Python. Layer names and DSL text only ever reach the page as text.

import { h, listen, widgetRoot, type ModelLike } from "./lib/dom";

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

// ------------------------------------------------------------------ pure helpers (vitest)

/** Indices of rows not hidden inside a collapsed block, in order. */
export function visibleRows(rows: Row[], collapsed: Iterable<number>): number[] {
  const folded = new Set(collapsed);
  const hidden = new Set<number>();
  const out: number[] = [];
  rows.forEach((row, i) => {
    if (row.parent >= 0 && (hidden.has(row.parent) || folded.has(row.parent))) {
      hidden.add(i);
      return;
    }
    out.push(i);
  });
  return out;
}

/** Every ancestor index of row i (parent first). */
export function ancestors(rows: Row[], i: number): number[] {
  const out: number[] = [];
  let p = rows[i]?.parent ?? -1;
  while (p >= 0 && out.length < rows.length) {
    out.push(p);
    p = rows[p].parent;
  }
  return out;
}

/** "1234567" -> "1,234,567". */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return "?";
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Bytes in binary units, as the Python text summary writes them. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || n < 0 || !Number.isFinite(n)) return "?";
  let value = n;
  for (const unit of ["B", "KiB", "MiB", "GiB", "TiB"]) {
    if (value < 1024 || unit === "TiB") return unit === "B" ? `${Math.round(value)} B` : `${value.toFixed(1)} ${unit}`;
    value /= 1024;
  }
  return `${value.toFixed(1)} TiB`;
}

export function formatShape(shape: number[] | null | undefined): string {
  if (!shape) return "?";
  return shape.length ? shape.join("×") : "scalar";
}

/** Training memory estimate: weights + gradients + optimizer moments + buffers + activations
 * kept for backward and their gradients (the same formula as dlwidgets.dsl.summarize). */
export function trainingBytes(
  paramBytes: number,
  bufferBytes: number,
  activationBytes: number,
  batch: number,
  adamStates = 2,
): number | null {
  if (activationBytes < 0) return null;
  return paramBytes * (2 + adamStates) + bufferBytes + 2 * batch * activationBytes;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
const sizeOf = (n: number) => clamp(10 + 13 * Math.log2(Math.max(1, n)), 12, 110);
const thickness = (c: number) => clamp(3 + 5 * Math.log2(Math.max(1, c)), 4, 44);

/** Glyph of a layer output: front face w×h plus an oblique depth d (pseudo-3D for maps). */
export function glyphSize(shape: number[] | null): { w: number; h: number; d: number } {
  if (!shape || shape.length === 0) return { w: 14, h: 30, d: 0 };
  if (shape.length === 1) return { w: 10, h: clamp(10 + 12 * Math.log2(Math.max(1, shape[0])), 12, 140), d: 0 };
  if (shape.length === 2) return { w: thickness(shape[0]), h: sizeOf(shape[1]), d: 0 };
  const hgt = sizeOf(shape[1]);
  return { w: thickness(shape[0]), h: hgt, d: Math.round(clamp(sizeOf(shape[2]) * 0.35, 4, 40)) };
}

export interface Unit {
  row: number; // -1 for the input glyph
  label: string;
  shape: number[] | null;
  category: string;
  act: string | null; // activation folded into this glyph
  x: number;
  y: number; // top of the front face
  w: number;
  h: number;
  d: number;
  collapsed: boolean;
  text: string; // label drawn under the glyph
  cx: number; // centre of the glyph's slot (labels are centred on it)
  slot: number; // width of the slot (glyph or label, whichever is wider)
}

export interface Arc {
  row: number;
  from: number; // unit index the skip leaves from
  to: number; // unit index it joins
  label: string;
  level: number;
}

export interface Section {
  row: number;
  from: number;
  to: number;
  label: string;
}

export interface Layout {
  units: Unit[];
  arcs: Arc[];
  sections: Section[];
  width: number;
  height: number;
  mid: number;
  labelY: number; // baseline of the layer names; shapes go one line below
}

/** Text under a glyph: its kind, the folded activation, a ▸ on a collapsed block. */
export function unitText(u: Pick<Unit, "label" | "act" | "collapsed">): string {
  if (u.collapsed) return `${u.label} ▸`;
  return u.act ? `${u.label}+${u.act}` : u.label;
}

/** Approximate width in pixels of a label in the diagram's font (11px names, 10px shapes). */
export function textWidth(text: string, px = 11): number {
  return text.length * px * 0.58;
}

const GAP = 22;
const MARGIN = 16;
const ARC_SPACE = 34;
const LABEL_SPACE = 42;
const SECTION_SPACE = 22;

function shortName(row: Row): string {
  const last = row.name ? row.name.split(".").pop() ?? "" : "";
  return last && !/^\d+$/.test(last) ? last : row.kind;
}

/** Place the glyphs of the visible layers left to right; pure, so it is tested with vitest. */
export function layoutDiagram(
  rows: Row[],
  collapsed: Iterable<number>,
  inputShape: number[] | null,
  kind = "sequential",
  latentDim = -1,
): Layout {
  const folded = new Set(collapsed);
  const visible = visibleRows(rows, folded);
  const units: Unit[] = [];
  const ownerUnits = new Map<number, number[]>(); // block row -> unit indices inside it
  const skip = new Set<number>();
  const push = (unit: Omit<Unit, "x" | "y" | "w" | "h" | "d" | "text" | "cx" | "slot">) => {
    const g = glyphSize(unit.shape);
    units.push({ ...unit, x: 0, y: 0, text: "", cx: 0, slot: 0, ...g });
    return units.length - 1;
  };
  const note = (rowIndex: number, unitIndex: number) => {
    for (const a of ancestors(rows, rowIndex)) {
      const list = ownerUnits.get(a) ?? [];
      list.push(unitIndex);
      ownerUnits.set(a, list);
    }
  };
  if (kind === "gan") {
    if (latentDim > 0) push({ row: -1, label: "noise z", shape: [latentDim], category: "input", act: null, collapsed: false });
  } else if (inputShape) {
    push({ row: -1, label: "input", shape: inputShape, category: "input", act: null, collapsed: false });
  }
  for (const i of visible) {
    const row = rows[i];
    if (ancestors(rows, i).some((a) => skip.has(a))) continue;
    if (row.kind === "shortcut") {
      skip.add(i);
      continue;
    }
    if (row.kind === "latent") {
      skip.add(i);
      note(i, push({ row: i, label: "μ, log σ²", shape: row.shape, category: "latent", act: null, collapsed: false }));
      continue;
    }
    if (row.block) {
      if (kind === "gan" && row.kind === "discriminator" && inputShape) {
        push({ row: -1, label: "data x", shape: inputShape, category: "input", act: null, collapsed: false });
      }
      if (folded.has(i)) note(i, push({ row: i, label: shortName(row), shape: row.shape, category: "block", act: null, collapsed: true }));
      continue;
    }
    const prev = units[units.length - 1];
    if (row.category === "activation" && prev && prev.row >= 0 && prev.act === null && prev.category !== "block") {
      prev.act = row.kind;
      note(i, units.length - 1);
      continue;
    }
    note(i, push({ row: i, label: row.kind, shape: row.shape, category: row.category, act: null, collapsed: false }));
  }
  // arcs for expanded residual blocks, sections for the top-level parts
  const arcs: Arc[] = [];
  const sections: Section[] = [];
  for (const i of visible) {
    const row = rows[i];
    const inside = ownerUnits.get(i);
    if (!row.block || folded.has(i) || !inside || inside.length === 0) continue;
    const first = Math.min(...inside);
    const last = Math.max(...inside);
    if (row.kind === "residual") {
      const sc = rows.findIndex((r, k) => r.parent === i && r.kind === "shortcut");
      const label = sc >= 0 ? "+ shortcut" : "+ x";
      const level = ancestors(rows, i).filter((a) => rows[a].kind === "residual").length;
      arcs.push({ row: i, from: Math.max(0, first - 1), to: last, label, level });
    } else if (["encoder", "decoder", "generator", "discriminator"].includes(row.kind) || row.kind === "block") {
      sections.push({ row: i, from: first, to: last, label: row.kind === "block" ? shortName(row) : row.kind });
    }
  }
  const maxLevel = arcs.reduce((m, a) => Math.max(m, a.level), -1);
  const top = MARGIN + (arcs.length ? ARC_SPACE + 10 * (maxLevel + 1) : 0);
  const tallest = units.reduce((m, u) => Math.max(m, u.h + u.d), 20);
  const mid = top + tallest / 2;
  let x = MARGIN;
  for (const u of units) {
    u.text = unitText(u);
    const slot = Math.max(u.w + u.d, textWidth(u.text), textWidth(formatShape(u.shape), 10));
    u.cx = x + slot / 2;
    u.slot = slot;
    u.x = u.cx - (u.w + u.d) / 2 + u.d;
    u.y = mid - u.h / 2 + u.d / 2;
    x += slot + GAP;
  }
  const width = Math.max(x - GAP + MARGIN, 200);
  const labelY = top + tallest + 18;
  const height = top + tallest + LABEL_SPACE + (sections.length ? SECTION_SPACE : 0) + MARGIN;
  return { units, arcs, sections, width, height, mid, labelY };
}

export const COLORS: Record<string, string> = {
  input: "#9aa5b1",
  conv: "#2f6fdf",
  deconv: "#5c7cfa",
  pool: "#15aabf",
  dense: "#e8590c",
  norm: "#ae3ec9",
  dropout: "#adb5bd",
  recurrent: "#2b8a3e",
  embedding: "#f08c00",
  reshape: "#868e96",
  activation: "#f03e3e",
  latent: "#d6336c",
  block: "#495057",
  other: "#868e96",
};

// ------------------------------------------------------------------ view

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function shade(hex: string, f: number): string {
  const n = parseInt(hex.slice(1), 16);
  const ch = (s: number) => clamp(Math.round(((n >> s) & 255) * f), 0, 255);
  return `rgb(${ch(16)},${ch(8)},${ch(0)})`;
}

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const root = widgetRoot(el, "model-summary");
  root.style.maxWidth = "100%";
  const title = h("div", { class: "dlw-title dlw-summary-title" });
  const subtitle = h("div", { class: "dlw-muted dlw-summary-io" });
  const warningBox = h("div", { class: "dlw-summary-warnings" });
  const expandAll = h("button", { class: "dlw-button dlw-expand-all", type: "button" }, ["expand all"]);
  const collapseAll = h("button", { class: "dlw-button dlw-collapse-all", type: "button" }, ["collapse all"]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [expandAll, collapseAll]);
  const diagramBox = h("div", { class: "dlw-summary-diagram", style: "overflow-x:auto;max-width:100%;border:1px solid var(--dlw-border);border-radius:6px;background:#fff" });
  const readout = h("div", { class: "dlw-readout dlw-summary-readout" }, ["hover a layer to read it"]);
  const table = h("table", { class: "dlw-summary-table", style: "border-collapse:collapse;margin-top:8px;font-variant-numeric:tabular-nums" });
  const footer = h("div", { class: "dlw-summary-footer", style: "margin-top:8px;line-height:1.6" });
  const totals = h("div", { class: "dlw-summary-totals" });
  const memory = h("div", { class: "dlw-summary-memory dlw-muted" });
  const batchInput = h("input", { type: "number", min: 1, max: 1000000, step: 1, class: "dlw-batch", "aria-label": "batch size", style: "width:80px" });
  const training = h("span", { class: "dlw-summary-training" });
  const batchLine = h("div", { class: "dlw-muted" }, ["training estimate with batch size ", batchInput, " and Adam: ", training]);
  footer.append(totals, memory, batchLine);
  root.append(title, subtitle, warningBox, toolbar, diagramBox, readout, table, footer);

  let hover = -1;
  const rows = (): Row[] => model.get("rows") ?? [];
  const collapsed = (): number[] => model.get("collapsed") ?? [];

  function setCollapsed(next: number[]) {
    model.set("collapsed", [...new Set(next)].sort((a, b) => a - b));
    model.save_changes();
  }
  function toggle(i: number) {
    const now = new Set(collapsed());
    if (now.has(i)) now.delete(i);
    else now.add(i);
    setCollapsed([...now]);
  }
  function select(i: number) {
    model.set("selected", i);
    model.save_changes();
  }
  function describe(i: number): string {
    const r = rows()[i];
    if (!r) return "";
    const where = r.line ? ` · line ${r.line}: ${r.source}` : "";
    return `${r.name || r.kind}  ${r.layer} → ${formatShape(r.shape)} · ${formatInt(r.params)} parameters${where}`;
  }

  function drawHeader() {
    const name = model.get("title") || "model";
    title.textContent = `${name} · ${model.get("kind")}`;
    const io = `input ${formatShape(model.get("input_shape"))} → output ${formatShape(model.get("output_shape"))}`;
    subtitle.textContent = model.get("latent_dim") > 0 ? `${io} · latent ${model.get("latent_dim")}` : io;
    const warnings: string[] = model.get("warnings") ?? [];
    warningBox.replaceChildren(
      ...warnings.map((w) => h("div", { class: "dlw-summary-warning", style: "background:#fff4e6;border-left:4px solid #e8590c;padding:4px 8px;margin:4px 0", text: `⚠ ${w}` })),
    );
  }

  function drawFooter() {
    const total = model.get("total_params");
    const trainable = model.get("trainable_params");
    totals.textContent = `Total parameters ${formatInt(total)} · trainable ${formatInt(trainable)} · non-trainable ${formatInt(total - trainable)}`;
    const act = model.get("activation_bytes");
    memory.textContent =
      `parameters ${formatBytes(model.get("param_bytes"))}` +
      (model.get("buffer_bytes") ? ` · buffers ${formatBytes(model.get("buffer_bytes"))}` : "") +
      ` · activations ${formatBytes(act)} per sample`;
    if (document.activeElement !== batchInput) batchInput.value = String(model.get("batch_size"));
    training.textContent = formatBytes(
      trainingBytes(model.get("param_bytes"), model.get("buffer_bytes"), act, model.get("batch_size"), model.get("adam_states")),
    );
  }

  function drawTable() {
    const all = rows();
    const folded = new Set(collapsed());
    const selected = model.get("selected");
    const head = h("tr", {}, ["Layer", "Output shape", "Params", "Line"].map((t, k) =>
      h("th", { style: `text-align:${k === 0 ? "left" : "right"};padding:2px 10px;border-bottom:1px solid var(--dlw-border)`, text: t })));
    const body = visibleRows(all, folded).map((i) => {
      const r = all[i];
      const toggleBtn = r.block
        ? h("button", { class: "dlw-toggle", type: "button", "aria-label": folded.has(i) ? "expand" : "collapse", "aria-expanded": String(!folded.has(i)), style: "border:none;background:none;cursor:pointer;width:18px;padding:0;font:inherit" }, [folded.has(i) ? "▸" : "▾"])
        : h("span", { style: "display:inline-block;width:18px" });
      if (r.block) toggleBtn.addEventListener("click", (ev) => { ev.stopPropagation(); toggle(i); });
      const last = r.name ? r.name.split(".").pop() : "";
      const plainBlock = r.block && (r.layer === "block" || r.layer.toLowerCase() === last);
      const nameSpan = h("span", { class: plainBlock ? "" : "dlw-muted", text: plainBlock ? last || r.layer : last ? `${last}: ` : "" });
      const swatch = h("span", { style: `display:inline-block;width:8px;height:8px;border-radius:2px;margin-right:6px;background:${COLORS[r.category] ?? COLORS.other}` });
      const labelCell = h("td", { style: `padding:1px 10px 1px ${4 + 16 * r.depth}px;white-space:nowrap` }, [toggleBtn, swatch, nameSpan, plainBlock ? "" : r.layer]);
      const tr = h("tr", { class: "dlw-summary-row", "data-row": i, title: r.source || r.layer, style: `cursor:pointer;${i === selected ? "background:#e7f0ff;" : i === hover ? "background:#f5f7fa;" : ""}${r.block ? "font-weight:600" : ""}` }, [
        labelCell,
        h("td", { class: "dlw-shape", style: "text-align:right;padding:1px 10px;white-space:nowrap", text: formatShape(r.shape) }),
        h("td", { style: "text-align:right;padding:1px 10px", text: r.block && !r.params ? "" : formatInt(r.params) }),
        h("td", { class: "dlw-muted", style: "text-align:right;padding:1px 10px", text: r.line ? String(r.line) : "" }),
      ]);
      tr.addEventListener("click", () => select(i));
      tr.addEventListener("pointerenter", () => setHover(i));
      tr.addEventListener("pointerleave", () => setHover(-1));
      return tr;
    });
    table.replaceChildren(h("thead", {}, [head]), h("tbody", {}, body));
  }

  function drawDiagram() {
    const all = rows();
    const layout = layoutDiagram(all, collapsed(), model.get("input_shape"), model.get("kind"), model.get("latent_dim"));
    const selected = model.get("selected");
    const root = svg("svg", { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, class: "dlw-summary-svg", role: "img" });
    const titleNode = svg("title");
    titleNode.textContent = "network diagram";
    root.appendChild(titleNode);
    // arcs (skip connections) first, under the glyphs
    for (const arc of layout.arcs) {
      const a = layout.units[arc.from];
      const b = layout.units[arc.to];
      if (!a || !b) continue;
      const x1 = a.x + a.w / 2;
      const x2 = b.x + b.w / 2;
      const yBase = Math.min(a.y - a.d, b.y - b.d) - 4;
      const yTop = 16 + 10 * arc.level;
      const path = svg("path", { d: `M${x1},${yBase} C${x1},${yTop} ${x2},${yTop} ${x2},${yBase}`, fill: "none", stroke: "#495057", "stroke-width": 1.4, class: "dlw-arc" });
      root.appendChild(path);
      const label = svg("text", { x: (x1 + x2) / 2, y: yTop + 8, "text-anchor": "middle", "font-size": 10, fill: "#495057" });
      label.textContent = arc.label;
      root.appendChild(label);
    }
    layout.units.forEach((u, k) => {
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
      const label = svg("text", { x: u.cx, y: layout.labelY, "text-anchor": "middle", "font-size": 11, fill: "#1f2933", class: "dlw-unit-label" });
      label.textContent = u.text;
      const shape = svg("text", { x: u.cx, y: layout.labelY + 13, "text-anchor": "middle", "font-size": 10, fill: "#616e7c" });
      shape.textContent = formatShape(u.shape);
      g.append(label, shape);
      const tip = svg("title");
      tip.textContent = u.row >= 0 ? describe(u.row) : `${u.label} ${formatShape(u.shape)}`;
      g.appendChild(tip);
      g.addEventListener("pointerenter", () => setHover(u.row));
      g.addEventListener("pointerleave", () => setHover(-1));
      g.addEventListener("click", () => {
        if (u.row < 0) return;
        if (u.collapsed) toggle(u.row);
        else select(u.row);
      });
      root.appendChild(g);
    });
    for (const s of layout.sections) {
      const a = layout.units[s.from];
      const b = layout.units[s.to];
      const y = layout.height - 24;
      const x1 = Math.min(a.x - a.d, a.cx - textWidth(a.text) / 2);
      const x2 = Math.max(b.x + b.w, b.cx + textWidth(b.text) / 2);
      root.appendChild(svg("path", { d: `M${x1},${y - 6} L${x1},${y} L${x2},${y} L${x2},${y - 6}`, fill: "none", stroke: "#9aa5b1" }));
      const label = svg("text", { x: (x1 + x2) / 2, y: y + 13, "text-anchor": "middle", "font-size": 11, fill: "#495057", class: "dlw-section-label" });
      label.textContent = s.label;
      root.appendChild(label);
    }
    diagramBox.replaceChildren(root);
  }

  function setHover(i: number) {
    if (hover === i) return;
    hover = i;
    readout.textContent = i >= 0 ? describe(i) : "hover a layer to read it";
    for (const tr of table.querySelectorAll<HTMLTableRowElement>("tr.dlw-summary-row")) {
      const r = Number(tr.dataset.row);
      tr.style.background = r === model.get("selected") ? "#e7f0ff" : r === hover ? "#f5f7fa" : "";
    }
    for (const g of diagramBox.querySelectorAll<SVGGElement>("g.dlw-unit")) {
      g.style.opacity = hover >= 0 && Number(g.dataset.row) !== hover ? "0.55" : "1";
    }
  }

  expandAll.addEventListener("click", () => setCollapsed([]));
  collapseAll.addEventListener("click", () => setCollapsed(rows().flatMap((r, i) => (r.block ? [i] : []))));
  const applyBatch = (final: boolean) => {
    const v = Math.round(Number(batchInput.value));
    if (batchInput.value === "" || !Number.isFinite(v) || v < 1 || v > 1000000) {
      if (final) batchInput.value = String(model.get("batch_size"));
      return;
    }
    if (v === model.get("batch_size")) return;
    model.set("batch_size", v);
    model.save_changes();
  };
  batchInput.addEventListener("input", () => applyBatch(false)); // live while typing
  batchInput.addEventListener("change", () => applyBatch(true));

  function redraw() {
    drawHeader();
    drawDiagram();
    drawTable();
    drawFooter();
  }
  const unlisten = listen(model, {
    "change:rows": redraw,
    "change:collapsed": () => {
      drawDiagram();
      drawTable();
    },
    "change:selected": () => {
      drawDiagram();
      drawTable();
      const s = model.get("selected");
      if (s >= 0) readout.textContent = describe(s);
    },
    "change:batch_size": drawFooter,
    "change:warnings": drawHeader,
    "change:title": drawHeader,
  });
  redraw();
  return () => unlisten();
}

export default { render };
