// The text around the canvas: title, output-size formulas, notes, error and hints.

import { formulaText } from "./geometry";
import { viewOf, type Stepper } from "./state";

/** Notes on the current view: dropped border, padding, what the transpose is, pooling problems. */
function notesFor(s: Stepper): string[] {
  const g = s.state.geom!;
  const v = viewOf(s);
  const notes: string[] = [];
  const [dr, dc] = v === "pool" && g.pool ? g.pool.dropped : g.dropped;
  if (dr || dc) {
    const what = [dr ? `${dr} row(s) at the bottom` : "", dc ? `${dc} column(s) at the right` : ""].filter(Boolean).join(" and ");
    notes.push(`the stride does not fit evenly: ${what} never read (floor rule, shown in red)`);
  }
  if (v === "conv" && g.padding_spec !== "0" && g.padding_spec !== "valid") notes.push(`padding ${g.padding_spec} (${g.padding_mode}), faded cells`);
  if (v === "transposed") notes.push("adjoint of the convolution: each output value y(i, j) is scattered back through the kernel to the cells its window read; summed over all steps this is F.conv_transpose2d(y, w, stride, padding, dilation, output_padding = dropped)");
  if (g.pool_error && v === "pool") notes.push(g.pool_error);
  return notes;
}

export function syncText(s: Stepper) {
  const g = s.state.geom;
  if (!g) return;
  const { ui, model } = s;
  ui.title.textContent = model.get("title") || "Convolution";
  if (viewOf(s) === "pool" && g.pool) {
    const p = g.pool;
    ui.formula.textContent =
      `pool H_out = ${formulaText(g.out[0], p.size[0], p.stride[0], 0, 0, 1)}\n` +
      `pool W_out = ${formulaText(g.out[1], p.size[1], p.stride[1], 0, 0, 1)}`;
  } else {
    ui.formula.textContent =
      `H_out = ${formulaText(g.in[0], g.kernel[0], g.stride[0], g.pad[0], g.pad[1], g.dilation[0])}\n` +
      `W_out = ${formulaText(g.in[1], g.kernel[1], g.stride[1], g.pad[2], g.pad[3], g.dilation[1])}`;
  }
  ui.formula.style.whiteSpace = "pre";
  ui.note.textContent = notesFor(s).join(" · ");
  const err = model.get("error") || "";
  ui.error.textContent = err;
  ui.error.style.display = err ? "" : "none";
  ui.editHint.textContent = s.offline
    ? "static page: the settings marked offline answer from states precomputed by PyTorch; cells and other settings need a Python kernel"
    : s.standalone
    ? "static page: cells and settings cannot be edited without a Python kernel"
    : "click an input or kernel cell to type a new value (Python recomputes with torch)";
  ui.galleryTitle.textContent = g.filters > 1 ? `feature maps of all ${g.filters} filters (click to show one)` : "feature map";
}
