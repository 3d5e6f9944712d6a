// The drill-down: one query token in one head written out with its numbers — q, each key's
// score q·k/√d, the mask, the softmax weight, and the weighted sum of the values (that head's
// output before the output projection). Built as DOM text (textContent); tokens stay text.

import { h } from "../lib/dom";
import { listedKeys, queryDetail, vectorText, visibleToken } from "./logic";
import type { LayerData } from "./state";

export function buildDetail(): HTMLDivElement {
  return h("div", { class: "dlw-attn-detail" });
}

export function showDetail(
  el: HTMLDivElement,
  layer: LayerData | undefined,
  pick: { query: number; head: number } | null,
  queries: string[],
  keys: string[],
): void {
  if (!layer || !pick) {
    el.replaceChildren(h("div", { class: "dlw-muted", text: "Click a query token (left) to write out its attention in one head." }));
    return;
  }
  const detail = queryDetail(layer, pick.head, pick.query);
  const token = visibleToken(queries[pick.query] ?? String(pick.query));
  if (!detail) {
    el.replaceChildren(h("div", { class: "dlw-muted", text: `query ${pick.query} “${token}”: the projected q, k, v are not in the widget (too large); use .detail() in Python.` }));
    return;
  }
  const rows = listedKeys(detail.weights).map((j) =>
    h("tr", { "data-key": j }, [
      h("td", { text: `${j} “${visibleToken(keys[j] ?? String(j))}”` }),
      h("td", { class: "dlw-attn-score", text: detail.scores[j].toFixed(4) }),
      h("td", { text: detail.masked[j] ? "−∞" : "0" }),
      h("td", { class: "dlw-attn-weight", text: detail.weights[j].toFixed(4) }),
    ]),
  );
  const more = layer.tk > rows.length ? `${rows.length} of ${layer.tk} keys, the heaviest` : `${layer.tk} keys`;
  el.replaceChildren(
    h("div", { class: "dlw-attn-detail-title", text: `query ${pick.query} “${token}”, head ${pick.head} (d = ${detail.d}): weights = softmax(q·k/√d + mask), output = Σ weight · v` }),
    h("div", { class: "dlw-attn-vec", text: `q = ${vectorText(detail.q)}` }),
    h("table", { class: "dlw-attn-table" }, [
      h("thead", {}, [h("tr", {}, ["key", "q·k/√d", "mask", "weight"].map((t) => h("th", { text: t })))]),
      h("tbody", {}, rows),
    ]),
    h("div", { class: "dlw-muted", text: more }),
    h("div", { class: "dlw-attn-vec dlw-attn-output", text: `output = ${vectorText(detail.output)}` }),
  );
}
