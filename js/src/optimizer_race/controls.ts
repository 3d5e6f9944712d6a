// The toolbar: surface menu and its parameter sliders, swarm, gradient noise, seed, steps (sent
// to Python), and the log colour scale and explainer switches (front end only).

import { h } from "../lib/dom";
import { markTicks, offlineNote, offlineOrKernel, stepWithKeys } from "../lib/offline";
import { formatNumber } from "../lib/format";
import { sendTrait, setOffline } from "./requests";
import type { RaceView } from "./state";

/** Slider position in [0, 1000] <-> value, linear or logarithmic between lo and hi. */
export function sliderToValue(pos: number, lo: number, hi: number, log: boolean): number {
  const u = Math.max(0, Math.min(1000, pos)) / 1000;
  if (log && lo > 0) return Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo)));
  return lo + u * (hi - lo);
}

export function valueToSlider(value: number, lo: number, hi: number, log: boolean): number {
  let u: number;
  if (log && lo > 0) u = (Math.log(Math.max(value, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
  else u = (value - lo) / (hi - lo);
  return Math.round(Math.max(0, Math.min(1, u)) * 1000);
}

/** Round a slider value to 3 significant digits so it reads well and round-trips. */
export function niceValue(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  return Number(v.toPrecision(3));
}

/** Sliders of the current surface's parameters; a released slider sends `surface_params`. */
function surfaceParamSliders(view: RaceView): HTMLLabelElement[] {
  const { model, offline } = view;
  const info = (model.get("surface_param_info") ?? {})[model.get("surface_name")] ?? {};
  const params = model.get("surface_params") ?? {};
  return Object.entries(info).map(([key, meta]) => {
    const log = Boolean(meta.log);
    const control = `surface_params.${key}`;
    const exact = Boolean(offline?.has(control));
    const input = offlineOrKernel(model, offline, control, h("input", { type: "range", min: 0, max: 1000, step: 1, class: `dlw-race-surface-param dlw-race-surface-param-${key}`, "aria-label": key }));
    const toSlider = (v: number) => valueToSlider(v, meta.min, meta.max, log);
    input.value = String(toSlider(params[key] ?? meta.min));
    const readout = h("span", { class: "dlw-readout" }, [formatNumber(params[key] ?? meta.min, 3)]);
    const asked = () => niceValue(sliderToValue(Number(input.value), meta.min, meta.max, log));
    input.addEventListener("input", () => {
      readout.textContent = formatNumber(asked(), 3);
    });
    const showOffline = (v: number) => {
      // a static page: the precomputed surface nearest to the slider (lib/offline.ts)
      const shown = setOffline(view, control, v, log);
      input.value = String(toSlider(shown));
      readout.textContent = formatNumber(shown, 3);
    };
    input.addEventListener("change", () => {
      if (offline && exact) return showOffline(asked());
      sendTrait(view, "surface_params", { ...params, [key]: asked() });
    });
    const label = h("label", {}, [key, input, readout]);
    if (offline && exact) {
      markTicks(input, offline.values(control).map(toSlider));
      stepWithKeys(input, offline, control, showOffline);
      label.appendChild(offlineNote(offline, control));
    }
    return label;
  });
}

/** Show the model's title, formula and toolbar values. */
export function syncToolbar(view: RaceView): void {
  const { model, dom } = view;
  const mode = model.get("mode");
  dom.title.textContent = model.get("title") ?? "Optimizer race";
  dom.formula.textContent = model.get("surface_formula") ?? "";
  dom.raceControls.style.display = mode === "landscape" ? "none" : "";
  dom.surfaceSelect.replaceChildren(...(model.get("surface_names") ?? []).map((n) => h("option", { value: n }, [n])));
  dom.surfaceSelect.value = model.get("surface_name");
  dom.logBox.checked = Boolean(model.get("log_scale"));
  dom.explainBox.checked = Boolean(model.get("explainer"));
  const swarm = Number(model.get("swarm") ?? 0);
  dom.swarmBox.checked = swarm > 0;
  if (swarm > 0) dom.swarmCount.value = String(swarm);
  dom.noiseBox.checked = Boolean(model.get("noise_on"));
  dom.noiseValue.value = String(niceValue(Number(model.get("noise") ?? 0)));
  dom.seedValue.value = String(model.get("seed") ?? 0);
  dom.stepsValue.value = String(model.get("steps") ?? 0);
  dom.surfaceParams.replaceChildren(...surfaceParamSliders(view));
}

/** Swarm size from its number box, clamped to [2, 512] (200 when empty). */
function swarmSize(view: RaceView): number {
  return Math.max(2, Math.min(512, Math.round(Number(view.dom.swarmCount.value) || 200)));
}

/** Send toolbar changes to the model. */
export function bindToolbar(view: RaceView): void {
  const { model, dom } = view;
  dom.surfaceSelect.addEventListener("change", () => sendTrait(view, "surface_name", dom.surfaceSelect.value));
  dom.swarmBox.addEventListener("change", () => sendTrait(view, "swarm", dom.swarmBox.checked ? swarmSize(view) : 0));
  dom.swarmCount.addEventListener("change", () => {
    if (dom.swarmBox.checked) sendTrait(view, "swarm", swarmSize(view));
  });
  dom.noiseBox.addEventListener("change", () => sendTrait(view, "noise_on", dom.noiseBox.checked));
  dom.noiseValue.addEventListener("change", () => {
    const v = Number(dom.noiseValue.value);
    if (Number.isFinite(v) && v >= 0) sendTrait(view, "noise", v);
  });
  dom.seedValue.addEventListener("change", () => sendTrait(view, "seed", Math.max(0, Math.round(Number(dom.seedValue.value) || 0))));
  dom.stepsValue.addEventListener("change", () => {
    const v = Math.round(Number(dom.stepsValue.value));
    if (v >= 1 && v <= 5000) sendTrait(view, "steps", v);
  });
  // colour scale and explainer are drawn here: no recompute, so no busy state
  dom.logBox.addEventListener("change", () => {
    model.set("log_scale", dom.logBox.checked);
    model.save_changes();
  });
  dom.explainBox.addEventListener("change", () => {
    model.set("explainer", dom.explainBox.checked);
    model.save_changes();
  });
}
