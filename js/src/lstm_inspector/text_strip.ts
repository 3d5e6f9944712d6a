// The text strip: every token coloured by the chosen array of the chosen unit (Karpathy's cell
// visualizations), the model's argmax output under each token, click to jump to a step, and a
// drag across tokens that ranks the units firing on that span (LSTMVis's selection query).

import { cssColor, textOn } from "../lib/colour";
import { h } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { MISSING } from "../lib/heatmap";
import { lutFor, lutIndex, schemeEnds, textDomain } from "./colour_scales";
import { dir, gate, info, layer, setTrait, setUnit, step, tokens, unit, valueAt, which, type Inspector } from "./context";
import { labelOf, visibleToken } from "./tokens";
import { argmaxRow, rankUnits } from "./trace";

/** One element per token (text only, never HTML), with the drag and click listeners. */
export function buildText(ins: Inspector): void {
  const { ui, view } = ins;
  const toks = tokens(ins);
  // argmax rows only for a model's own per-step output (class scores), not a layer's h
  const perStep = info(ins).output_label === "model output" && !!view.outputs && view.outputs.shape.length === 2
    && view.outputs.shape[1] >= 2 && view.outputs.shape[0] === toks.length;
  view.tokenNodes = [];
  view.predNodes = [];
  view.clampPredNodes = [];
  const nodes = toks.map((tok, t) => {
    const ch = h("span", { class: "dlw-lstm-ch" });
    ch.textContent = visibleToken(tok); // text, never HTML
    const node = h("span", { class: "dlw-lstm-tok", "data-t": t, title: `t = ${t}` }, [ch]);
    if (perStep) {
      const p = h("span", { class: "dlw-lstm-pred" });
      view.predNodes.push(p);
      node.appendChild(p);
      const q = h("span", { class: "dlw-lstm-pred dlw-lstm-pred-clamped" });
      view.clampPredNodes.push(q);
      node.appendChild(q);
    }
    node.addEventListener("mousedown", (e) => {
      e.preventDefault();
      view.dragFrom = t;
      view.selection = [t, t + 1];
      paintText(ins);
    });
    node.addEventListener("mouseenter", () => {
      if (view.dragFrom !== null) {
        view.selection = [Math.min(view.dragFrom, t), Math.max(view.dragFrom, t) + 1];
        paintText(ins);
      }
    });
    node.addEventListener("click", () => {
      if (view.selection && view.selection[1] - view.selection[0] > 1) return;
      view.timeline?.setFrame(t);
    });
    view.tokenNodes.push(node);
    return node;
  });
  ui.textStrip.replaceChildren(...nodes);
  ui.predLabel.textContent = perStep ? "under each token: the model's argmax output at that step (red: changed by the clamp)" : "";
  ui.predLabel.style.display = perStep ? "" : "none";
}

/** End of a drag across the text (a document mouseup): send the span and rank the units. */
export function endDrag(ins: Inspector): void {
  const { view } = ins;
  if (view.dragFrom === null) return;
  view.dragFrom = null;
  const sel = view.selection;
  if (sel && sel[1] - sel[0] < tokens(ins).length) setTrait(ins, "selection", [sel[0], sel[1]]);
  showRanking(ins);
}

/** Colours, current step, selection and legend of the text strip; argmax rows under it. */
export function paintText(ins: Inspector): void {
  const { ui, view } = ins;
  const g = gate(ins);
  const t0 = step(ins);
  const u = unit(ins);
  const i = info(ins);
  const mode = which(ins);
  const vals = view.tokenNodes.map((_, t) => (mode === "diff"
    ? valueAt(ins, g, t, u, view.clampedTrace) - valueAt(ins, g, t, u)
    : valueAt(ins, g, t, u, mode === "clamped" ? view.clampedTrace : view.trace)));
  const { scheme, domain } = textDomain(g, i.kind ?? "", i.nonlinearity ?? "", i.proj_size ?? 0, vals, mode === "diff");
  const table = lutFor(scheme);
  view.tokenNodes.forEach((node, t) => {
    const ch = node.firstChild as HTMLElement;
    const k = lutIndex(vals[t], domain);
    const rgb = k < 0 ? MISSING.slice(0, 3) : table.subarray(k * 4, k * 4 + 3);
    ch.style.background = cssColor(rgb);
    ch.style.color = textOn(rgb);
    ch.title = `t = ${t}   ${g}[unit ${u}] = ${formatNumber(vals[t], 6)}`;
    node.classList.toggle("dlw-current", t === t0);
    node.classList.toggle("dlw-selected", !!view.selection && t >= view.selection[0] && t < view.selection[1]);
  });
  ui.textLegend.textContent = `text coloured by ${labelOf(g)}${mode === "diff" ? " (clamp − original)" : mode === "clamped" ? " (with clamp)" : ""} of unit ${u}: ${schemeEnds(scheme)} over [${formatNumber(domain[0], 3)}, ${formatNumber(domain[1], 3)}]`;
  paintPredictions(ins);
}

/** The argmax output under each token, and the clamped one (red where it changed). */
function paintPredictions(ins: Inspector): void {
  const { outputs, clampedOutputs, predNodes, clampPredNodes } = ins.view;
  if (!outputs || !predNodes.length) return;
  const k = outputs.shape[1];
  predNodes.forEach((p, t) => {
    p.textContent = String(argmaxRow(outputs.data, k, t));
  });
  clampPredNodes.forEach((q, t) => {
    if (clampedOutputs && clampedOutputs.shape[1] === k) {
      const a = argmaxRow(clampedOutputs.data, k, t);
      q.textContent = String(a);
      q.classList.toggle("dlw-changed", a !== argmaxRow(outputs.data, k, t));
      q.style.display = "";
    } else {
      q.textContent = "";
      q.style.display = "none";
    }
  });
}

/** Units of the chosen array most active on the selected span, as buttons that pick them. */
export function showRanking(ins: Inspector): void {
  const { ui, view } = ins;
  const sel = view.selection;
  const a = view.trace[gate(ins)];
  if (!sel || !a) return;
  const ranked = rankUnits(a.data, a.dims, layer(ins), dir(ins), sel[0], sel[1]);
  if (!ranked.length) {
    ui.rankBox.replaceChildren("select fewer tokens: some must stay outside the selection to compare with");
    return;
  }
  const span = tokens(ins).slice(sel[0], sel[1]).map(visibleToken).join("");
  const head = h("span", {});
  head.textContent = `units of ${gate(ins)} most active on “${span.length > 40 ? `${span.slice(0, 39)}…` : span}” (steps ${sel[0]}–${sel[1] - 1}), mean inside − outside: `;
  const buttons = ranked.slice(0, 8).map((r) => {
    const b = h("button", { class: "dlw-button dlw-lstm-rank-unit", type: "button", "data-unit": r.unit }, [`unit ${r.unit} (${formatNumber(r.score, 3)})`]);
    b.addEventListener("click", () => setUnit(ins, r.unit));
    return b;
  });
  ui.rankBox.replaceChildren(head, ...buttons);
}
