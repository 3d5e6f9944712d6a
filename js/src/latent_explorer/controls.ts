// The toolbar and the sliders: projection, dims, lattice, tools, A/B/C slots, decoding path.

import { h } from "../lib/dom";
import { formatNumber } from "../lib/format";
import { decodeHover, requestLattice } from "./decode";
import { filled, type Explorer, type ViewKind } from "./state";
import { computedViews, isEmbedding, viewNoteText, viewOptions } from "./views";

/** Bring every control to what the model and view state say. */
export function syncControls(x: Explorer): void {
  const { model, el, s } = x;
  const mode = model.get("projection_mode");
  syncViewSelect(x);
  const embedded = isEmbedding(s.viewKind);
  const dims: number[] = model.get("dims") ?? [0, 1];
  const options = () => Array.from({ length: s.d }, (_, i) => h("option", { value: i }, [`z${i}`]));
  el.dimX.replaceChildren(...options());
  el.dimY.replaceChildren(...options());
  el.dimX.value = String(dims[0] ?? 0);
  el.dimY.value = String(dims[1] ?? 1);
  el.dimsLabel.style.display = mode === "dims" && s.d > 2 ? "" : "none";
  el.slidersBox.style.display = embedded ? "none" : "";
  el.decodedHeading.textContent = embedded ? "nearest data point, reconstructed" : "decoded at the pointer";
  el.pathSelect.value = String(model.get("decode_path") || "auto");
  const kernelOption = el.pathSelect.querySelector("option[value=kernel]") as HTMLOptionElement | null;
  if (kernelOption) kernelOption.disabled = x.standalone;
  const browserOption = el.pathSelect.querySelector("option[value=browser]") as HTMLOptionElement | null;
  if (browserOption) browserOption.disabled = !s.mlp;
  const mlpState = model.get("decoder_mlp");
  el.pathSelect.title = s.mlp
    ? `in-browser decoder: MLP of ${mlpState?.params ?? "?"} parameters`
    : `decoding needs the kernel: ${model.get("mlp_reason") || "no MLP decoder"}`;
  el.latticeBox.checked = Boolean(model.get("show_lattice"));
  el.latticeBox.disabled = embedded;
  el.latticeBox.title = embedded ? "the lattice decodes positions: only the PCA and two-dimensions views are invertible" : "";
  el.latticeN.value = String(model.get("lattice_n") ?? 10);
  el.pathTool.classList.toggle("dlw-primary", s.tool === "path");
  el.panTool.classList.toggle("dlw-primary", s.tool === "pan");
  updateSlots(x);
}

/** The view selector: which views can be chosen here, and the note on the view drawn. */
function syncViewSelect(x: Explorer): void {
  const { model, el, s } = x;
  const plane = model.get("plane");
  const options = viewOptions({
    d: s.d,
    planeMode: filled(plane, "origin") ? plane.mode : "pca",
    computed: computedViews(x),
    unavailable: model.get("views_unavailable") ?? {},
    standalone: x.standalone,
  });
  for (const opt of options) {
    const node = el.modeSelect.querySelector(`option[value=${opt.view}]`) as HTMLOptionElement | null;
    if (!node) continue;
    node.disabled = opt.disabled;
    node.title = opt.title;
    node.textContent = opt.label;
  }
  el.modeSelect.value = String(model.get("projection_mode") || "pca");
  const chosen = options.find((o) => o.view === el.modeSelect.value);
  el.modeSelect.title = chosen?.title ?? "";
  const note = viewNoteText(x);
  el.viewNote.textContent = note;
  el.viewNote.style.display = note ? "" : "none";
}

export function updateSlots(x: Explorer): void {
  x.el.slotButtons.forEach((b, i) => b.classList.toggle("dlw-primary", i === x.s.slot));
}

/** One slider per axis off the plane; moving one re-decodes at once, releasing it tells Python. */
export function buildSliders(x: Explorer): void {
  const { s, el, model } = x;
  const { plane } = s;
  el.slidersBox.replaceChildren();
  if (!plane || plane.k === 0) return;
  el.slidersBox.append(h("div", { class: "dlw-muted" }, [
    plane.mode === "pca" ? "other components (0 = through the mean)" : "other dimensions (fixed values)",
  ]));
  for (let i = 0; i < plane.k; i++) {
    const lo = plane.sliderMin[i] ?? -1;
    const hi = plane.sliderMax[i] ?? 1;
    const input = h("input", {
      type: "range", min: lo, max: hi, step: (hi - lo) / 200 || 0.01, value: s.sliders[i],
      class: `dlw-latent-slider dlw-latent-slider-${i}`, "aria-label": plane.sliderLabels[i] ?? `s${i}`,
    });
    const value = h("span", { class: "dlw-readout" }, [formatNumber(s.sliders[i], 3)]);
    input.addEventListener("input", () => {
      s.sliders[i] = Number(input.value);
      value.textContent = formatNumber(s.sliders[i], 3);
      s.lattice = null;
      if (s.hoverPoint) decodeHover(x, s.hoverPoint[0], s.hoverPoint[1], performance.now());
      requestLattice(x);
      x.requestDraw();
    });
    input.addEventListener("change", () => {
      if (x.standalone) return;
      model.set("sliders", Array.from(s.sliders));
      model.save_changes();
    });
    el.slidersBox.append(h("label", { style: "display:flex;gap:6px;align-items:center" }, [
      h("span", { style: "width:3.5em" }, [plane.sliderLabels[i] ?? `s${i}`]), input, value,
    ]));
  }
}

export function bindControls(x: Explorer): void {
  const { model, el, s } = x;
  el.slotButtons.forEach((b, i) => b.addEventListener("click", () => { s.slot = i; updateSlots(x); }));
  el.modeSelect.addEventListener("change", () => {
    // a static page only switches between what it holds; the kernel computes the rest
    model.set("projection_mode", el.modeSelect.value as ViewKind);
    model.save_changes();
  });
  const setDims = () => {
    const dx = Number(el.dimX.value);
    let dy = Number(el.dimY.value);
    if (dx === dy) {
      dy = (dx + 1) % s.d;
      el.dimY.value = String(dy);
    }
    model.set("dims", [dx, dy]);
    model.save_changes();
  };
  el.dimX.addEventListener("change", setDims);
  el.dimY.addEventListener("change", setDims);
  el.latticeBox.addEventListener("change", () => {
    model.set("show_lattice", el.latticeBox.checked);
    model.save_changes();
    s.lattice = null;
    requestLattice(x);
    x.requestDraw();
  });
  el.latticeN.addEventListener("change", () => {
    const v = Math.max(2, Math.min(32, Math.round(Number(el.latticeN.value) || 10)));
    el.latticeN.value = String(v);
    model.set("lattice_n", v);
    model.save_changes();
    s.lattice = null;
    requestLattice(x);
  });
  el.pathTool.addEventListener("click", () => { s.tool = "path"; syncControls(x); });
  el.panTool.addEventListener("click", () => { s.tool = "pan"; syncControls(x); });
  el.pathSelect.addEventListener("change", () => {
    model.set("decode_path", el.pathSelect.value as "auto" | "kernel" | "browser");
    model.save_changes();
  });
  el.stopButton.addEventListener("click", () => model.send({ type: "stop" }));
}
