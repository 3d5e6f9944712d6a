// Expression stepper: the autograd graph of a scalar torch expression, micrograd-style. Each
// node is a box with its operation, its value and (once the backward pass reaches it) its
// gradient; the timeline steps forward through the operations, then backward from the result.
// Editing an input (click it) goes back to Python, which runs the expression again.

import type { RenderProps } from "@anywidget/types";
import { decodeFloat } from "../lib/arrays";
import { createSurface, pointerPosition } from "../lib/canvas";
import { enterClicks, h, listen, needsKernel, ownKeys, widgetRoot } from "../lib/dom";
import { font, onThemeChange, readTheme } from "../lib/theme";
import { createTimeline, type Timeline } from "../lib/timeline";
import { boxAt, canvasSizeFor, exprFrames, exprLines, exprStepAt, layoutBoxes, shows, valueText, type Box } from "./graph";
import type { ExpressionStepperModel } from "./state";

function render({ model, el }: Pick<RenderProps<ExpressionStepperModel>, "model" | "el">) {
  const root = widgetRoot(el, "expression-stepper");
  const surface = createSurface(600, 240);
  const title = h("div", { class: "dlw-title" });
  const stage = h("div", { class: "dlw-bp-stage", tabindex: 0 }, [surface.canvas]);
  const holder = h("div");
  const text = h("div", { class: "dlw-formula dlw-expr-step" });
  text.style.whiteSpace = "pre-wrap";
  text.style.minHeight = "3em";
  const editLabel = h("span", { class: "dlw-muted dlw-expr-edit-label" }, ["click an input to change it"]);
  const editValue = needsKernel(model, h("input", { type: "number", step: 0.1, class: "dlw-expr-edit-value", "aria-label": "new value", style: "width:7em" }));
  const editButton = needsKernel(model, h("button", { class: "dlw-button dlw-expr-edit", type: "button" }, ["Set"]));
  const error = h("div", { class: "dlw-error" });
  root.append(title, stage, holder, text, h("div", { class: "dlw-toolbar" }, [editLabel, editValue, editButton]), error);
  ownKeys(stage);
  ownKeys(editValue);

  const view = { frame: 0, boxes: [] as Box[], editing: "", timeline: null as Timeline | null, raf: 0 };
  const values = (key: string): Float32Array | Float64Array => {
    const wire = model.get("arrays")?.[key];
    return wire ? decodeFloat(wire).data : new Float32Array(0);
  };

  const draw = () => {
    const g = model.get("graph");
    const theme = readTheme(root);
    const { ctx, width, height } = surface;
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, 0, width, height);
    if (!g || !g.nodes) return;
    const current = exprStepAt(g, view.frame);
    ctx.strokeStyle = theme.axis;
    ctx.lineWidth = 1;
    g.nodes.forEach((n, i) => {
      const b = view.boxes[i];
      for (const p of n.parents) {
        const a = view.boxes[p];
        ctx.beginPath();
        ctx.moveTo(a.x + a.w, a.y + a.h / 2);
        ctx.lineTo(b.x, b.y + b.h / 2);
        ctx.stroke();
      }
    });
    g.nodes.forEach((n, i) => {
      const b = view.boxes[i];
      const show = shows(g, view.frame, i);
      const isCurrent = i === current.node;
      ctx.fillStyle = show.grad ? theme.panel : theme.bg;
      ctx.fillRect(b.x, b.y, b.w, b.h);
      ctx.lineWidth = isCurrent ? 3 : 1;
      ctx.strokeStyle = isCurrent ? (current.phase === "forward" ? theme.accent : theme.accent2) : theme.axis;
      ctx.strokeRect(b.x, b.y, b.w, b.h);
      ctx.fillStyle = theme.fg;
      ctx.font = font(theme, 11, "600");
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText(n.op === "input" ? n.label : `n${i} = ${n.op}`, b.x + 6, b.y + 5);
      ctx.font = font(theme, 11, "", true);
      ctx.fillText(`data ${show.data ? valueText(values(`data.${i}`)) : "…"}`, b.x + 6, b.y + 21);
      ctx.fillStyle = show.grad ? theme.accent2 : theme.muted;
      ctx.fillText(`grad ${show.grad ? valueText(values(`grad.${i}`)) : "…"}`, b.x + 6, b.y + 36);
    });
  };
  const requestDraw = () => {
    if (view.raf) return;
    view.raf = requestAnimationFrame(() => {
      view.raf = 0;
      draw();
    });
  };
  const syncText = () => {
    const g = model.get("graph");
    title.textContent = model.get("title") ?? "";
    error.textContent = model.get("error") ?? "";
    if (!g || !g.nodes) return;
    text.replaceChildren(...exprLines(g, view.frame, (i) => values(`data.${i}`), (i) => values(`grad.${i}`)).map((line) => h("div", { text: line })));
  };
  const load = () => {
    const g = model.get("graph");
    if (!g || !g.nodes) return;
    const [w, hgt] = canvasSizeFor(g);
    if (surface.width !== w || surface.height !== hgt) surface.resize(w, hgt);
    view.boxes = layoutBoxes(g, w, hgt);
    surface.canvas.dataset.layout = JSON.stringify(view.boxes);
    const frames = exprFrames(g);
    if (!view.timeline) {
      view.timeline = createTimeline({
        frames,
        fps: 1.5,
        label: (f) => {
          const s = exprStepAt(model.get("graph"), f);
          return `${s.phase === "forward" ? "Forward" : "Backward"} · n${s.node} (${f + 1} / ${exprFrames(model.get("graph"))})`;
        },
        onFrame: (f) => {
          view.frame = f;
          if (model.get("step_index") !== f) {
            model.set("step_index", f);
            model.save_changes();
          }
          syncText();
          requestDraw();
        },
      });
      holder.appendChild(view.timeline.el);
      view.timeline.bindKeys(stage);
      view.timeline.setFrame(Math.min(model.get("step_index") ?? 0, frames - 1));
    } else view.timeline.setFrames(frames);
    syncText();
    requestDraw();
  };
  surface.canvas.addEventListener("click", (event) => {
    const g = model.get("graph");
    const [x, y] = pointerPosition(surface.canvas, event);
    const i = boxAt(view.boxes, x, y);
    stage.focus();
    if (i < 0 || !g || g.nodes[i].op !== "input") return;
    view.editing = g.nodes[i].label;
    editLabel.textContent = `${view.editing} =`;
    editValue.value = String(values(`data.${i}`)[0] ?? 0);
  });
  editButton.addEventListener("click", () => {
    const value = Number(editValue.value);
    if (view.editing && editValue.value.trim() !== "" && Number.isFinite(value)) model.send({ type: "edit", name: view.editing, value });
  });
  enterClicks(editValue, editButton);
  const unlisten = listen(model, {
    "change:graph": load,
    "change:arrays": load,
    "change:error": syncText,
    "change:title": syncText,
    "change:step_index": () => {
      const k = model.get("step_index") ?? 0;
      if (view.timeline && view.timeline.frame !== k) view.timeline.setFrame(k);
    },
  });
  const unwatch = onThemeChange(root, requestDraw);
  load();
  return () => {
    unlisten();
    unwatch();
    view.timeline?.destroy();
    if (view.raf) cancelAnimationFrame(view.raf);
  };
}

export default { render };
