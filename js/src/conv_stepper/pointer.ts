// Pointer interactions: hovering shows receptive fields, clicking an output cell jumps there,
// clicking an input or kernel cell opens an editor whose value Python recomputes with.

import { pointerPosition } from "../lib/canvas";
import { KERNEL_HINT } from "../lib/dom";
import { cellAt, type Panel } from "./layout";
import { updateHoverLine, updateReadout } from "./readout";
import { channelOf, filterOf, groupStart, type Stepper } from "./state";
import { weightValue } from "./trace";

interface Hit {
  panel: Panel;
  r: number;
  c: number;
}

function hit(s: Stepper, event: MouseEvent): Hit | null {
  const [x, y] = pointerPosition(s.surface.canvas, event);
  for (const p of s.state.panels) {
    const rc = cellAt(p, x, y);
    if (rc) return { panel: p, r: rc[0], c: rc[1] };
  }
  return null;
}

function refreshHover(s: Stepper) {
  updateHoverLine(s);
  updateReadout(s);
  s.requestDraw();
}

/** What an edit of the clicked cell changes: target, index for Python, current value. */
function editTarget(s: Stepper, found: Hit): { target: string; index: number[]; value: number } | null {
  const g = s.state.geom!;
  const f = filterOf(s);
  const c = channelOf(s);
  if (found.panel.key === "input") {
    const [t, , l] = g.pad;
    const r = found.r - t;
    const q = found.c - l;
    if (r < 0 || q < 0 || r >= g.in[0] || q >= g.in[1]) return null; // padding is not editable
    return { target: "input", index: [c, r, q], value: s.state.trace!.input.data[(c * g.in[0] + r) * g.in[1] + q] };
  }
  if (found.panel.key === "kernel") {
    const cl = c - groupStart(s, f);
    return { target: "kernel", index: [f, cl, found.r, found.c], value: weightValue(g, s.state.trace!, f, cl, found.r, found.c) };
  }
  return null;
}

function openEditor(s: Stepper, p: Panel, r: number, c: number, target: string, index: number[], value: number) {
  const { editor, root } = s.ui;
  const canvasBox = s.surface.canvas.getBoundingClientRect();
  const rootBox = root.getBoundingClientRect();
  // the canvas may be shown scaled down (a narrow output area): drawing px → page px
  const scale = canvasBox.width / (s.surface.width || canvasBox.width || 1);
  editor.style.left = `${canvasBox.left - rootBox.left + (p.x + c * p.cell) * scale}px`;
  editor.style.top = `${canvasBox.top - rootBox.top + (p.y + r * p.cell) * scale}px`;
  editor.style.display = "";
  editor.value = String(Number(value.toPrecision(6)));
  editor.dataset.target = target;
  editor.dataset.index = index.join(",");
  editor.focus();
  editor.select();
}

function closeEditor(s: Stepper) {
  s.ui.editor.style.display = "none";
  s.ui.stage.focus();
}

/** Enter sends the edit to Python, Escape cancels, a non-number is refused here. */
function bindEditor(s: Stepper) {
  const { editor, error, root } = s.ui;
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeEditor(s);
      return;
    }
    if (event.key !== "Enter") return;
    const value = Number(editor.value.replace("−", "-"));
    if (editor.value.trim() === "" || !Number.isFinite(value)) {
      error.textContent = `“${editor.value}” is not a number`;
      error.style.display = "";
      return;
    }
    s.state.pending = true;
    root.dataset.pending = "true";
    s.model.send({ type: "edit", target: editor.dataset.target, index: (editor.dataset.index || "").split(",").map(Number), value });
    closeEditor(s);
  });
  editor.addEventListener("blur", () => {
    editor.style.display = "none";
  });
}

export function bindPointer(s: Stepper) {
  const canvas = s.surface.canvas;
  canvas.addEventListener("pointermove", (event) => {
    const found = hit(s, event);
    const next = found ? { panel: found.panel.key, r: found.r, c: found.c } : null;
    if (JSON.stringify(next) === JSON.stringify(s.state.hover)) return;
    s.state.hover = next;
    canvas.style.cursor = found && !s.standalone && (found.panel.key === "input" || found.panel.key === "kernel") ? "text" : "crosshair";
    refreshHover(s);
  });
  canvas.addEventListener("pointerleave", () => {
    s.state.hover = null;
    refreshHover(s);
  });
  canvas.addEventListener("click", (event) => {
    const found = hit(s, event);
    if (!found || !s.state.geom) return;
    if (found.panel.key === "output" || found.panel.key === "pooled") {
      // jump the stepper to the clicked cell
      s.state.timeline?.setFrame(found.r * found.panel.cols + found.c);
      return;
    }
    if (s.standalone) {
      canvas.title = KERNEL_HINT;
      return;
    }
    const edit = editTarget(s, found);
    if (edit) openEditor(s, found.panel, found.r, found.c, edit.target, edit.index, edit.value);
  });
  bindEditor(s);
}
