// Activation-function explorer: curve f(x) and derivative f'(x) of the chosen activation, both
// computed by PyTorch (values and autograd derivative) and sent as binary arrays. Hover reads the
// exact grid values; the select and the parameter sliders go back to Python.

import { scaleLinear } from "d3-scale";
import { decodeFloat, type WireArray } from "./lib/arrays";
import { createSurface, pointerPosition } from "./lib/canvas";
import { h, listen, needsKernel, widgetRoot, type ModelLike } from "./lib/dom";
import { formatNumber, nearestIndex } from "./lib/format";

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { top: 16, right: 20, bottom: 34, left: 52 };
const CURVE_COLOR = "#2f6fdf";
const DERIV_COLOR = "#e8590c";

interface Curve {
  y: Float32Array | Float64Array;
  dy: Float32Array | Float64Array;
}

/** y-range that holds both curves with a little headroom (pure, tested). */
export function valueDomain(curve: Curve): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of [curve.y, curve.dy]) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  if (hi - lo < 1e-6) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

function render({ model, el }: { model: ModelLike; el: HTMLElement }) {
  const root = widgetRoot(el, "activation-explorer");
  const title = h("div", { class: "dlw-title" }, ["Activation functions"]);

  const select = needsKernel(model, h("select", { class: "dlw-activation-select", "aria-label": "activation" }));
  const slope = needsKernel(model, h("input", { type: "range", min: 0, max: 0.5, step: 0.01, class: "dlw-slope" }));
  const alpha = needsKernel(model, h("input", { type: "range", min: 0.1, max: 3, step: 0.05, class: "dlw-alpha" }));
  const slopeValue = h("span", { class: "dlw-readout" });
  const alphaValue = h("span", { class: "dlw-readout" });
  const slopeLabel = h("label", {}, ["slope α", slope, slopeValue]);
  const alphaLabel = h("label", {}, ["α", alpha, alphaValue]);
  const legend = h("div", { class: "dlw-legend" }, [
    h("span", {}, [h("span", { class: "dlw-swatch", style: `background:${CURVE_COLOR}` }), "f(x)"]),
    h("span", {}, [h("span", { class: "dlw-swatch", style: `background:${DERIV_COLOR}` }), "f′(x) (autograd)"]),
  ]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [select, slopeLabel, alphaLabel, legend]);
  const formula = h("div", { class: "dlw-formula dlw-activation-label" });
  const surface = createSurface(WIDTH, HEIGHT);
  const readout = h("div", { class: "dlw-readout dlw-hover-readout" }, ["hover the plot to read values"]);
  root.append(title, toolbar, formula, surface.canvas, readout);

  let hoverX: number | null = null;

  const names = (): string[] => model.get("names") ?? [];
  const labels = (): Record<string, string> => model.get("labels") ?? {};

  function fillSelect() {
    select.replaceChildren(
      ...names().map((name) => h("option", { value: name }, [labels()[name] ? `${name} — ${labels()[name]}` : name])),
    );
    select.value = model.get("activation");
  }

  function currentCurve(): { x: Float32Array | Float64Array; curve: Curve } | null {
    const xWire = model.get("x") as WireArray | undefined;
    const curves = model.get("curves") as Record<string, { y: WireArray; dy: WireArray }> | undefined;
    const entry = curves?.[model.get("activation")];
    if (!xWire || !entry) return null;
    return { x: decodeFloat(xWire).data, curve: { y: decodeFloat(entry.y).data, dy: decodeFloat(entry.dy).data } };
  }

  function draw() {
    const { ctx, width, height } = surface;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    const data = currentCurve();
    if (!data) return;
    const { x, curve } = data;
    const sx = scaleLinear().domain([model.get("x_min"), model.get("x_max")]).range([MARGIN.left, width - MARGIN.right]);
    const sy = scaleLinear().domain(valueDomain(curve)).nice().range([height - MARGIN.bottom, MARGIN.top]);

    // grid and axes
    ctx.strokeStyle = "#e4e7eb";
    ctx.lineWidth = 1;
    ctx.fillStyle = "#616e7c";
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of sx.ticks(10)) {
      const px = Math.round(sx(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, MARGIN.top);
      ctx.lineTo(px, height - MARGIN.bottom);
      ctx.stroke();
      ctx.fillText(formatNumber(t, 3), px, height - MARGIN.bottom + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of sy.ticks(8)) {
      const py = Math.round(sy(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, py);
      ctx.lineTo(width - MARGIN.right, py);
      ctx.stroke();
      ctx.fillText(formatNumber(t, 3), MARGIN.left - 6, py);
    }
    ctx.strokeStyle = "#9aa5b1";
    ctx.lineWidth = 1.2;
    const [y0, y1] = sy.domain();
    if (y0 <= 0 && y1 >= 0) {
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, sy(0));
      ctx.lineTo(width - MARGIN.right, sy(0));
      ctx.stroke();
    }
    ctx.beginPath();
    ctx.moveTo(sx(0), MARGIN.top);
    ctx.lineTo(sx(0), height - MARGIN.bottom);
    ctx.stroke();
    ctx.fillStyle = "#616e7c";
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    ctx.fillText("x", width - MARGIN.right, height - MARGIN.bottom - 2);

    const line = (values: Float32Array | Float64Array, color: string, dash: number[]) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2.5;
      ctx.setLineDash(dash);
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < x.length; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) {
          pen = false;
          continue;
        }
        const px = sx(x[i]);
        const py = sy(v);
        if (pen) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    line(curve.dy, DERIV_COLOR, [7, 4]);
    line(curve.y, CURVE_COLOR, []);

    if (hoverX !== null) {
      const i = nearestIndex(hoverX, model.get("x_min"), model.get("x_max"), x.length);
      const px = sx(x[i]);
      ctx.strokeStyle = "rgba(31,41,51,0.35)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(px, MARGIN.top);
      ctx.lineTo(px, height - MARGIN.bottom);
      ctx.stroke();
      for (const [v, color] of [[curve.y[i], CURVE_COLOR], [curve.dy[i], DERIV_COLOR]] as const) {
        ctx.fillStyle = color;
        ctx.beginPath();
        ctx.arc(px, sy(v), 4.5, 0, 2 * Math.PI);
        ctx.fill();
      }
      readout.textContent =
        `x = ${formatNumber(x[i], 5)}    f(x) = ${formatNumber(curve.y[i], 6)}    f′(x) = ${formatNumber(curve.dy[i], 6)}`;
    }
  }

  function syncControls() {
    const name = model.get("activation");
    select.value = name;
    formula.textContent = labels()[name] ?? name;
    slope.value = String(model.get("negative_slope"));
    slopeValue.textContent = formatNumber(model.get("negative_slope"), 3);
    alpha.value = String(model.get("alpha"));
    alphaValue.textContent = formatNumber(model.get("alpha"), 3);
    slopeLabel.style.display = name === "leaky_relu" ? "" : "none";
    alphaLabel.style.display = name === "elu" ? "" : "none";
  }

  select.addEventListener("change", () => {
    model.set("activation", select.value);
    model.save_changes();
  });
  slope.addEventListener("input", () => {
    model.set("negative_slope", Number(slope.value));
    model.save_changes();
  });
  alpha.addEventListener("input", () => {
    model.set("alpha", Number(alpha.value));
    model.save_changes();
  });
  surface.canvas.addEventListener("pointermove", (event) => {
    const [px] = pointerPosition(surface.canvas, event);
    const sx = scaleLinear().domain([model.get("x_min"), model.get("x_max")]).range([MARGIN.left, surface.width - MARGIN.right]);
    hoverX = Math.max(model.get("x_min"), Math.min(model.get("x_max"), sx.invert(px)));
    draw();
  });
  surface.canvas.addEventListener("pointerleave", () => {
    hoverX = null;
    readout.textContent = "hover the plot to read values";
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

  fillSelect();
  syncControls();
  draw();
  return () => unlisten();
}

export default { render };
