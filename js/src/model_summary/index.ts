// Model summary: a network diagram drawn from the spec (one glyph per layer, sized by its output
// shape, residual skips as arcs, model parts bracketed), a collapsible layer tree with output
// shapes and parameter counts, totals and a memory estimate whose batch size can be changed.
// Everything is drawn from synced state, so a static export works the same; nothing here needs
// Python. Layer names and DSL text only ever reach the page as text.

import type { AnyModel, RenderProps } from "@anywidget/types";
import { h, listen, widgetRoot } from "../lib/dom";
import { drawDiagram } from "./diagram";
import { formatBytes, formatInt, formatShape, trainingBytes } from "./format";
import { layoutDiagram } from "./layout";
import type { ModelSummaryModel, Row, SummaryView } from "./state";
import { drawTree, rowBackground } from "./tree";

type Model = AnyModel<ModelSummaryModel>;

const HOVER_HINT = "hover a layer to read it";

function buildPanel(root: HTMLElement) {
  const batchInput = h("input", { type: "number", min: 1, max: 1000000, step: 1, class: "dlw-batch", "aria-label": "batch size", style: "width:80px" });
  const training = h("span", { class: "dlw-summary-training" });
  const p = {
    title: h("div", { class: "dlw-title dlw-summary-title" }),
    subtitle: h("div", { class: "dlw-muted dlw-summary-io" }),
    warningBox: h("div", { class: "dlw-summary-warnings" }),
    expandAll: h("button", { class: "dlw-button dlw-expand-all", type: "button" }, ["expand all"]),
    collapseAll: h("button", { class: "dlw-button dlw-collapse-all", type: "button" }, ["collapse all"]),
    diagramBox: h("div", { class: "dlw-summary-diagram", style: "overflow-x:auto;max-width:100%;border:1px solid var(--dlw-border);border-radius:6px;background:var(--dlw-bg)" }),
    readout: h("div", { class: "dlw-readout dlw-summary-readout" }, [HOVER_HINT]),
    table: h("table", { class: "dlw-summary-table", style: "border-collapse:collapse;margin-top:8px;font-variant-numeric:tabular-nums" }),
    totals: h("div", { class: "dlw-summary-totals" }),
    memory: h("div", { class: "dlw-summary-memory dlw-muted" }),
    batchInput,
    training,
  };
  const footer = h("div", { class: "dlw-summary-footer", style: "margin-top:8px;line-height:1.6" }, [
    p.totals, p.memory, h("div", { class: "dlw-muted" }, ["training estimate with batch size ", batchInput, " and Adam: ", training])]);
  root.append(p.title, p.subtitle, p.warningBox, h("div", { class: "dlw-toolbar" }, [p.expandAll, p.collapseAll]),
    p.diagramBox, p.readout, p.table, footer);
  return p;
}

/** One line about row i: name, layer, output shape, parameters and its DSL line. */
function describeRow(rows: Row[], i: number): string {
  const r = rows[i];
  if (!r) return "";
  const where = r.line ? ` · line ${r.line}: ${r.source}` : "";
  return `${r.name || r.kind}  ${r.layer} → ${formatShape(r.shape)} · ${formatInt(r.params)} parameters${where}`;
}

function drawHeader(p: ReturnType<typeof buildPanel>, model: Model) {
  const name = model.get("title") || "model";
  p.title.textContent = `${name} · ${model.get("kind")}`;
  const io = `input ${formatShape(model.get("input_shape"))} → output ${formatShape(model.get("output_shape"))}`;
  p.subtitle.textContent = model.get("latent_dim") > 0 ? `${io} · latent ${model.get("latent_dim")}` : io;
  const warnings = model.get("warnings") ?? [];
  p.warningBox.replaceChildren(...warnings.map((w) => h("div", { class: "dlw-summary-warning",
    style: "background:var(--dlw-warn-bg);border-left:4px solid var(--dlw-accent-2);padding:4px 8px;margin:4px 0", text: `⚠ ${w}` })));
}

function drawFooter(p: ReturnType<typeof buildPanel>, model: Model) {
  const total = model.get("total_params");
  const trainable = model.get("trainable_params");
  p.totals.textContent = `Total parameters ${formatInt(total)} · trainable ${formatInt(trainable)} · non-trainable ${formatInt(total - trainable)}`;
  const act = model.get("activation_bytes");
  p.memory.textContent =
    `parameters ${formatBytes(model.get("param_bytes"))}` +
    (model.get("buffer_bytes") ? ` · buffers ${formatBytes(model.get("buffer_bytes"))}` : "") +
    ` · activations ${formatBytes(act)} per sample`;
  if (document.activeElement !== p.batchInput) p.batchInput.value = String(model.get("batch_size"));
  p.training.textContent = formatBytes(
    trainingBytes(model.get("param_bytes"), model.get("buffer_bytes"), act, model.get("batch_size"), model.get("adam_states")),
  );
}

function render({ model, el }: Pick<RenderProps<ModelSummaryModel>, "model" | "el">) {
  const root = widgetRoot(el, "model-summary");
  root.style.maxWidth = "100%";
  const p = buildPanel(root);
  const view: SummaryView = { hover: -1 };
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
  function setHover(i: number) {
    if (view.hover === i) return;
    view.hover = i;
    p.readout.textContent = i >= 0 ? describeRow(rows(), i) : HOVER_HINT;
    for (const tr of p.table.querySelectorAll<HTMLTableRowElement>("tr.dlw-summary-row")) {
      tr.style.background = rowBackground(Number(tr.dataset.row), model.get("selected"), view.hover);
    }
    for (const g of p.diagramBox.querySelectorAll<SVGGElement>("g.dlw-unit")) {
      g.style.opacity = view.hover >= 0 && Number(g.dataset.row) !== view.hover ? "0.55" : "1";
    }
  }

  function redrawDiagram() {
    const layout = layoutDiagram(rows(), collapsed(), model.get("input_shape"), model.get("kind"), model.get("latent_dim"));
    p.diagramBox.replaceChildren(drawDiagram(layout, model.get("selected"), {
      describe: (u) => (u.row >= 0 ? describeRow(rows(), u.row) : `${u.label} ${formatShape(u.shape)}`),
      hover: setHover,
      click: (u) => {
        if (u.row < 0) return;
        if (u.collapsed) toggle(u.row);
        else select(u.row);
      },
    }));
  }
  function redrawTree() {
    drawTree(p.table, rows(), collapsed(), model.get("selected"), view.hover, { toggle, select, hover: setHover });
  }

  p.expandAll.addEventListener("click", () => setCollapsed([]));
  p.collapseAll.addEventListener("click", () => setCollapsed(rows().flatMap((r, i) => (r.block ? [i] : []))));
  const applyBatch = (final: boolean) => {
    const v = Math.round(Number(p.batchInput.value));
    if (p.batchInput.value === "" || !Number.isFinite(v) || v < 1 || v > 1000000) {
      if (final) p.batchInput.value = String(model.get("batch_size"));
      return;
    }
    if (v === model.get("batch_size")) return;
    model.set("batch_size", v);
    model.save_changes();
  };
  p.batchInput.addEventListener("input", () => applyBatch(false)); // live while typing
  p.batchInput.addEventListener("change", () => applyBatch(true));

  function redraw() {
    drawHeader(p, model);
    redrawDiagram();
    redrawTree();
    drawFooter(p, model);
  }
  const unlisten = listen(model, {
    "change:rows": redraw,
    "change:collapsed": () => {
      redrawDiagram();
      redrawTree();
    },
    "change:selected": () => {
      redrawDiagram();
      redrawTree();
      const s = model.get("selected");
      if (s >= 0) p.readout.textContent = describeRow(rows(), s);
    },
    "change:batch_size": () => drawFooter(p, model),
    "change:warnings": () => drawHeader(p, model),
    "change:title": () => drawHeader(p, model),
  });
  redraw();
  return () => unlisten();
}

export default { render };
