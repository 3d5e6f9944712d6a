// Text readouts under the canvas: the sum being computed, and what the hovered cell means.

import { formatNumber } from "../lib/format";
import { feedsOf, sumExpression, windowOf } from "./geometry";
import { channelName, channelOf, currentCell, filterOf, groupStart, viewOf, type Stepper } from "./state";
import { outputValue, paddedValue, productIndex, weightValue } from "./trace";

/** "max(a, b, …) = m — winner: …" for pooled cell (pi, pj) of filter f. */
function poolSum(s: Stepper, f: number, pi: number, pj: number): string {
  const g = s.state.geom!;
  const pg = g.pool!;
  const tr = s.state.trace!;
  const idx = (f * pg.out[0] + pi) * pg.out[1] + pj;
  const n = pg.size[0] * pg.size[1];
  const vals = Array.from(tr.pool_windows!.data.subarray(idx * n, idx * n + n), (x) => formatNumber(x, 3));
  const out = tr.pool_output!.data[idx];
  const winner = tr.pool_winners!.data[idx];
  const where = winner >= 0 ? ` — winner: ${g.activation}(output) at (${Math.floor(winner / g.out[1])}, ${winner % g.out[1]})` : "";
  return `${pg.kind}(${vals.join(", ")}) = ${formatNumber(out, 5)}${where}`;
}

/** The products summed per channel slice, the channel sum, bias and PyTorch's output value. */
function convSum(s: Stepper, f: number, i: number, j: number): string {
  const g = s.state.geom!;
  const tr = s.state.trace!;
  const g0 = groupStart(s, f);
  const lines: string[] = [];
  const kk = g.kernel[0] * g.kernel[1];
  let total = 0;
  for (let cl = 0; cl < g.group_channels; cl++) {
    const vals: number[] = [];
    const ws: number[] = [];
    let part = 0;
    const { rows, cols } = windowOf(g, i, j);
    for (let u = 0; u < g.kernel[0]; u++) {
      for (let w = 0; w < g.kernel[1]; w++) {
        vals.push(paddedValue(g, tr, g0 + cl, rows[u], cols[w]));
        ws.push(weightValue(g, tr, f, cl, u, w));
        part += tr.products.data[productIndex(g, f, i, j, cl, u, w)];
      }
    }
    total += part;
    if (g.group_channels === 1 || cl === channelOf(s) - g0) {
      const label = g.group_channels > 1 ? `${channelName(s, g0 + cl)}: ` : "";
      lines.push(label + sumExpression(vals, ws, part, kk <= 9 ? 9 : 8));
    }
  }
  const out = outputValue(g, tr.output, f, i, j);
  const b = tr.bias.data[f];
  if (g.group_channels > 1) lines.push(`sum over ${g.group_channels} channels = ${formatNumber(total, 5)}`);
  lines.push(`${g.has_bias ? `${formatNumber(total, 5)} + bias ${formatNumber(b, 4)} = ` : ""}out[${f}, ${i}, ${j}] = ${formatNumber(out, 6)}   (PyTorch F.conv2d)`);
  return lines.join("\n");
}

/** The computation of the current (or hovered) cell in the .dlw-sum line. */
export function updateReadout(s: Stepper) {
  const { trace: tr, geom: g, hover } = s.state;
  const sum = s.ui.sum;
  if (!tr || !g) {
    sum.textContent = "";
    return;
  }
  const f = filterOf(s);
  const v = viewOf(s);
  const [i, j] = hover?.panel === "output" && v === "conv" ? [hover.r, hover.c] : currentCell(s);
  if (v === "pool" && g.pool && tr.pool_output) {
    const [pi, pj] = hover?.panel === "pooled" ? [hover.r, hover.c] : [i, j];
    sum.textContent = poolSum(s, f, pi, pj);
  } else if (v === "transposed") {
    const y = outputValue(g, tr.output, f, i, j);
    sum.textContent = `scatter y(${i}, ${j}) = ${formatNumber(y, 5)}: adds y·w[u, v] to padded cell (${i}·${g.stride[0]} + u·${g.dilation[0]}, ${j}·${g.stride[1]} + v·${g.dilation[1]}) for every kernel cell (u, v)`;
  } else {
    sum.textContent = convSum(s, f, i, j);
  }
}

/** What the hovered cell is and how it relates to the others, in the hover readout. */
export function updateHoverLine(s: Stepper) {
  const { trace, geom: g, hover } = s.state;
  const line = s.ui.hoverLine;
  if (!hover || !g || !trace) {
    line.textContent = "hover an output cell to see its receptive field, an input cell to see every output it feeds";
    return;
  }
  if (hover.panel === "input") {
    const fed = feedsOf(g, hover.r, hover.c);
    const val = paddedValue(g, trace, channelOf(s), hover.r, hover.c);
    const [t, , l] = g.pad;
    const inside = hover.r >= t && hover.c >= l && hover.r < t + g.in[0] && hover.c < l + g.in[1];
    const where = inside ? `input (${hover.r - t}, ${hover.c - l})` : `padding (${g.padding_mode})`;
    const list = fed.slice(0, 12).map(([a, b]) => `(${a}, ${b})`).join(" ");
    line.textContent = `${where} = ${formatNumber(val, 5)} feeds ${fed.length} output cell(s)${fed.length ? `: ${list}${fed.length > 12 ? " …" : ""}` : " (never read: dropped or skipped by the stride)"}`;
  } else if (hover.panel === "output") {
    const { rows, cols } = windowOf(g, hover.r, hover.c);
    line.textContent = `output (${hover.r}, ${hover.c}) reads padded rows ${rows.join(", ")} × cols ${cols.join(", ")}`;
  } else if (hover.panel === "pooled" && g.pool) {
    line.textContent = `pooled (${hover.r}, ${hover.c}) takes the ${g.pool.kind} of a ${g.pool.size[0]}×${g.pool.size[1]} window`;
  } else line.textContent = "";
}
