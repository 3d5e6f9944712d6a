// Activation-function explorer: curve f(x) and derivative f'(x) of the chosen activation, both
// computed by PyTorch (values and autograd derivative) and sent as binary arrays. Hover reads the
// exact grid values; the select and the parameter sliders go back to Python.

import type { AnyModel, RenderProps } from "@anywidget/types";
import { createSurface, pointerPosition } from "../lib/canvas";
import { h, listen, needsKernel, widgetRoot } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { markTicks, offlineNote, offlineOrKernel, OfflineTable, stepWithKeys } from "../lib/offline";
import { onThemeChange, readTheme } from "../lib/theme";
import { currentCurve } from "./curve";
import { drawPlot, HEIGHT, WIDTH, xScale } from "./plot";
import { HOVER_HINT, type ActivationExplorerModel, type ActivationView } from "./state";

type Model = AnyModel<ActivationExplorerModel>;

function buildControls(model: Model, offline: OfflineTable | null) {
  // in a static page with precomputed values (lib/offline.ts) the sliders answer from them
  const slope = offlineOrKernel(model, offline, "negative_slope", h("input", { type: "range", min: 0, max: 0.5, step: 0.01, class: "dlw-slope" }));
  const alpha = offlineOrKernel(model, offline, "alpha", h("input", { type: "range", min: 0.1, max: 3, step: 0.05, class: "dlw-alpha" }));
  const slopeValue = h("span", { class: "dlw-readout" });
  const alphaValue = h("span", { class: "dlw-readout" });
  const extra = (name: string) => (offline?.has(name) ? offlineNote(offline, name) : null);
  const c = {
    select: needsKernel(model, h("select", { class: "dlw-activation-select", "aria-label": "activation" })),
    slope,
    alpha,
    slopeValue,
    alphaValue,
    slopeLabel: h("label", {}, ["slope α", slope, slopeValue, extra("negative_slope")]),
    alphaLabel: h("label", {}, ["α", alpha, alphaValue, extra("alpha")]),
  };
  for (const [name, input] of [["negative_slope", slope], ["alpha", alpha]] as const) {
    if (!offline?.has(name)) continue;
    markTicks(input, offline.values(name));
    stepWithKeys(input, offline, name, (v) => {
      input.value = String(v);
      setParam(model, offline, name, input);
    });
  }
  return c;
}

/** A parameter slider moved: Python recomputes, or the page snaps to a precomputed value. */
function setParam(model: Model, offline: OfflineTable | null, name: "negative_slope" | "alpha", input: HTMLInputElement) {
  if (offline?.has(name)) {
    input.value = String(offline.set(name, Number(input.value)).value);
    return;
  }
  model.set(name, Number(input.value));
  model.save_changes();
}

function render({ model, el }: Pick<RenderProps<ActivationExplorerModel>, "model" | "el">) {
  const root = widgetRoot(el, "activation-explorer");
  const offline = OfflineTable.of(model);
  const c = buildControls(model, offline);
  const swatch = (variable: string, text: string) =>
    h("span", {}, [h("span", { class: "dlw-swatch", style: `background:var(${variable})` }), text]);
  const legend = h("div", { class: "dlw-legend" }, [swatch("--dlw-accent", "f(x)"), swatch("--dlw-accent-2", "f′(x) (autograd)")]);
  const formula = h("div", { class: "dlw-formula dlw-activation-label" });
  const surface = createSurface(WIDTH, HEIGHT);
  const readout = h("div", { class: "dlw-readout dlw-hover-readout" }, [HOVER_HINT]);
  root.append(h("div", { class: "dlw-title" }, ["Activation functions"]),
    h("div", { class: "dlw-toolbar" }, [c.select, c.slopeLabel, c.alphaLabel, legend]), formula, surface.canvas, readout);

  const view: ActivationView = { hoverX: null };
  const labels = () => model.get("labels") ?? {};

  function fillSelect() {
    const names = model.get("names") ?? [];
    c.select.replaceChildren(...names.map((name) => h("option", { value: name }, [labels()[name] ? `${name} — ${labels()[name]}` : name])));
    c.select.value = model.get("activation");
  }

  function draw() {
    const data = currentCurve(model);
    const input = data && { ...data, xMin: model.get("x_min"), xMax: model.get("x_max"), hoverX: view.hoverX };
    const i = drawPlot(surface, input, readTheme(root));
    if (data && i >= 0) {
      readout.textContent =
        `x = ${formatNumber(data.x[i], 5)}    f(x) = ${formatNumber(data.curve.y[i], 6)}    f′(x) = ${formatNumber(data.curve.dy[i], 6)}`;
    }
  }

  function syncControls() {
    const name = model.get("activation");
    c.select.value = name;
    formula.textContent = labels()[name] ?? name;
    c.slope.value = String(model.get("negative_slope"));
    c.slopeValue.textContent = formatNumber(model.get("negative_slope"), 3);
    c.alpha.value = String(model.get("alpha"));
    c.alphaValue.textContent = formatNumber(model.get("alpha"), 3);
    c.slopeLabel.style.display = name === "leaky_relu" ? "" : "none";
    c.alphaLabel.style.display = name === "elu" ? "" : "none";
  }

  c.select.addEventListener("change", () => {
    model.set("activation", c.select.value);
    model.save_changes();
  });
  c.slope.addEventListener("input", () => setParam(model, offline, "negative_slope", c.slope));
  c.alpha.addEventListener("input", () => setParam(model, offline, "alpha", c.alpha));
  surface.canvas.addEventListener("pointermove", (event) => {
    const [px] = pointerPosition(surface.canvas, event);
    const lo = model.get("x_min");
    const hi = model.get("x_max");
    view.hoverX = Math.max(lo, Math.min(hi, xScale(lo, hi, surface.width).invert(px)));
    draw();
  });
  surface.canvas.addEventListener("pointerleave", () => {
    view.hoverX = null;
    readout.textContent = HOVER_HINT;
    draw();
  });

  const unlisten = listen(model, {
    "change:activation": () => {
      syncControls();
      draw();
    },
    "change:curves": draw,
    "change:negative_slope": syncControls,
    "change:alpha": syncControls,
    "change:names": fillSelect,
  });
  const stopTheme = onThemeChange(root, draw);

  fillSelect();
  syncControls();
  draw();
  return () => {
    unlisten();
    stopTheme();
  };
}

export default { render };
