// Pointer and keys on the scatter: hover decodes, drag draws a path (or pans), a click picks a
// point into A, B or C, the wheel and +/− zoom, arrows pan, double-click fits the view.

import { pointerPosition } from "../lib/canvas";
import { ownKeys } from "../lib/dom";
import { updateSlots } from "./controls";
import { decodeHover, decodePathStrip, requestLattice } from "./decode";
import { fitView, invert, nearestPoint, panView, zoomView, type View } from "./geometry";
import { MARGIN, PLOT, inPlot } from "./layout";
import { drawPanel } from "./panel";
import { cssTransform } from "./scatter";
import type { Explorer } from "./state";
import { isEmbedding } from "./views";

/** Show `view`; the person moved it, so training updates keep it. */
function moveView(x: Explorer, view: View): void {
  x.s.view = view;
  x.s.userMoved = true;
  requestLattice(x);
  x.requestDraw();
}

/** Set the current slot (A, B or C) and the focus to point i, then advance the slot. */
function pick(x: Explorer, i: number): void {
  const { s, model } = x;
  const sel: number[] = [...(model.get("selected") ?? [-1, -1, -1])];
  while (sel.length < 3) sel.push(-1);
  sel[s.slot] = i;
  s.slot = (s.slot + 1) % 3;
  updateSlots(x);
  model.set("selected", sel);
  model.set("focus", i);
  model.save_changes();
  s.localCache = null;
  if (s.tab === "anomalies") s.tab = "point";
  drawPanel(x);
  x.requestDraw();
}

function onPointerMove(x: Explorer, event: PointerEvent): void {
  const { s } = x;
  const canvas = x.el.scatter.canvas;
  const [sx, sy] = pointerPosition(canvas, event);
  const tr = cssTransform(x);
  if (s.drag) {
    const dx = sx - s.drag.sx;
    const dy = sy - s.drag.sy;
    if (Math.abs(dx) + Math.abs(dy) > 3) s.drag.moved = true;
    if (s.drag.mode === "pan") return moveView(x, panView(s.drag.view, dx, dy, PLOT, PLOT));
    if (s.drag.moved && !isEmbedding(s.viewKind)) {
      const [px, py] = invert(tr, sx, sy);
      s.path.push(px, py);
    }
  }
  if (!inPlot(sx, sy)) return;
  const [px, py] = invert(tr, sx, sy);
  s.hoverPoint = [px, py];
  decodeHover(x, px, py, event.timeStamp || performance.now());
  x.requestDraw();
}

function onPointerDown(x: Explorer, event: PointerEvent): void {
  const { s } = x;
  const canvas = x.el.scatter.canvas;
  const [sx, sy] = pointerPosition(canvas, event);
  if (!inPlot(sx, sy)) return;
  const mode = s.tool === "pan" || event.shiftKey || event.button === 1 ? "pan" : "path";
  s.drag = { mode, sx, sy, view: { ...s.view }, moved: false };
  if (mode === "path") s.path = isEmbedding(s.viewKind) ? [] : [...invert(cssTransform(x), sx, sy)];
  try {
    canvas.setPointerCapture(event.pointerId);
  } catch {
    /* synthetic events have no capturable pointer */
  }
}

/** End of a drag: a click (no move) picks the nearest point, a drawn path is decoded. */
function onPointerUp(x: Explorer, event: PointerEvent): void {
  const { s } = x;
  if (!s.drag) return;
  const d0 = s.drag;
  s.drag = null;
  if (d0.mode === "pan") return;
  if (!d0.moved) {
    s.path = [];
    const [sx, sy] = pointerPosition(x.el.scatter.canvas, event);
    const i = nearestPoint(s.proj, s.n, cssTransform(x), sx, sy, 10);
    if (i >= 0) pick(x, i);
    return;
  }
  decodePathStrip(x);
}

function onKey(x: Explorer, event: KeyboardEvent): void {
  const { view } = x.s;
  const step = 40;
  const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
  const mv = moves[event.key];
  if (mv) {
    event.preventDefault();
    moveView(x, panView(view, mv[0], mv[1], PLOT, PLOT));
  } else if (event.key === "+" || event.key === "=") moveView(x, zoomView(view, 0.5, 0.5, 1.25));
  else if (event.key === "-") moveView(x, zoomView(view, 0.5, 0.5, 0.8));
}

export function bindScatter(x: Explorer): void {
  const { s } = x;
  const canvas = x.el.scatter.canvas;
  canvas.addEventListener("pointermove", (event) => onPointerMove(x, event));
  canvas.addEventListener("pointerdown", (event) => onPointerDown(x, event));
  canvas.addEventListener("pointerup", (event) => onPointerUp(x, event));
  canvas.addEventListener("pointercancel", () => { s.drag = null; });
  canvas.addEventListener("pointerleave", () => {
    if (!s.drag) {
      s.hoverPoint = null;
      s.hoverIndex = -1;
      x.requestDraw();
    }
  });
  canvas.addEventListener("wheel", (event) => {
    const [sx, sy] = pointerPosition(canvas, event);
    if (!inPlot(sx, sy)) return;
    event.preventDefault();
    const factor = Math.exp(-event.deltaY * 0.0015);
    moveView(x, zoomView(s.view, (sx - MARGIN.left) / PLOT, (sy - MARGIN.top) / PLOT, factor));
  }, { passive: false });
  canvas.addEventListener("dblclick", () => {
    s.view = fitView(s.proj, s.n);
    s.userMoved = false;
    requestLattice(x);
    x.requestDraw();
  });
  ownKeys(canvas);
  canvas.addEventListener("keydown", (event) => onKey(x, event));
}
