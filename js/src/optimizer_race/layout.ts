// The DOM of one view, built once: title, toolbar, formula, surface + hover readout + timeline
// on the left, loss chart + optimizer panels on the right, then the explainer, notes and error.
// Class names are what the browser tests and the docs' screenshots rely on.

import { createSurface } from "../lib/canvas";
import { h, needsKernel, widgetRoot } from "../lib/dom";
import { createTooltip } from "../lib/tooltip";
import { CHART, SURF, type RaceDom, type RaceModel } from "./state";

const RACE_CSS = `
.dlw-optimizer-race .dlw-race-panel { padding: 4px 8px; margin: 6px 0; background: var(--dlw-panel); border-radius: 4px; }
.dlw-optimizer-race .dlw-race-panel-head { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.dlw-optimizer-race .dlw-race-optimizer-formula { font-size: 11px; margin: 2px 0; white-space: normal; }
.dlw-optimizer-race .dlw-race-slider input[type="range"] { width: 110px; }
.dlw-optimizer-race { --dlw-race-badge: var(--dlw-grid); --dlw-race-badge-good: #d3f9d8; --dlw-race-badge-bad: #ffe3e3; }
body[data-jp-theme-light="false"] .dlw-optimizer-race, body.vscode-dark .dlw-optimizer-race, .dlw-optimizer-race.dlw-dark {
  --dlw-race-badge-good: rgba(76, 175, 80, 0.25); --dlw-race-badge-bad: rgba(244, 67, 54, 0.22);
}
.dlw-optimizer-race .dlw-race-badge { font-size: 11px; padding: 0 6px; border-radius: 8px; background: var(--dlw-race-badge); white-space: nowrap; }
.dlw-optimizer-race .dlw-race-speed-label, .dlw-optimizer-race .dlw-race-add-row label { display: inline-flex; align-items: center; gap: 6px; }
.dlw-optimizer-race .dlw-race-badge-converged { background: var(--dlw-race-badge-good); }
.dlw-optimizer-race .dlw-race-badge-diverged { background: var(--dlw-race-badge-bad); color: var(--dlw-bad); }
.dlw-optimizer-race .dlw-race-explain { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 4px 14px; margin-top: 6px; }
.dlw-optimizer-race .dlw-race-explain > .dlw-muted { grid-column: 1 / -1; }
.dlw-optimizer-race .dlw-race-explain-row { display: flex; gap: 8px; align-items: flex-start; margin: 4px 0; }
.dlw-optimizer-race .dlw-race-explain-row .dlw-readout { margin-top: 0; white-space: pre-wrap; overflow-wrap: anywhere; min-width: 0; }
.dlw-optimizer-race .dlw-race-remove { padding: 0 6px; margin-left: auto; }
.dlw-optimizer-race.dlw-busy .dlw-race-status { color: var(--dlw-accent-2); }
.dlw-optimizer-race.dlw-busy canvas { cursor: progress; }
.dlw-optimizer-race .dlw-race-controls { gap: 8px 14px; }
/* surface and controls side by side while both fit (a 1000 px output area: 530 + 14 + 380 px),
   one column below that; the controls column takes what is left, up to 520 px */
.dlw-optimizer-race .dlw-race-columns { flex-wrap: wrap; }
.dlw-optimizer-race .dlw-race-main { flex: 0 1 auto; min-width: 0; }
.dlw-optimizer-race .dlw-race-side { flex: 1 1 380px; min-width: 0; max-width: 520px; }
`;

/** Toolbar inputs; the ones that make Python recompute are disabled in a static export. */
function toolbarInputs(model: RaceModel) {
  return {
    surfaceSelect: needsKernel(model, h("select", { class: "dlw-race-surface", "aria-label": "surface" })),
    surfaceParams: h("span", { class: "dlw-row dlw-race-surface-params" }),
    logBox: h("input", { type: "checkbox", class: "dlw-race-log" }),
    explainBox: h("input", { type: "checkbox", class: "dlw-race-explainer" }),
    swarmBox: needsKernel(model, h("input", { type: "checkbox", class: "dlw-race-swarm" })),
    swarmCount: needsKernel(model, h("input", { type: "number", min: 2, max: 512, step: 1, value: 200, class: "dlw-race-swarm-count", style: "width:5em", "aria-label": "starts in the swarm" })),
    noiseBox: needsKernel(model, h("input", { type: "checkbox", class: "dlw-race-noise" })),
    noiseValue: needsKernel(model, h("input", { type: "number", min: 0, step: "any", class: "dlw-race-noise-value", style: "width:6em", "aria-label": "gradient noise std" })),
    seedValue: needsKernel(model, h("input", { type: "number", min: 0, step: 1, class: "dlw-race-seed", style: "width:4.5em", "aria-label": "noise seed" })),
    stepsValue: needsKernel(model, h("input", { type: "number", min: 1, max: 5000, step: 1, class: "dlw-race-steps", style: "width:5.5em", "aria-label": "steps" })),
  };
}

/** Create the view's elements inside `el` and return them. */
export function buildLayout(model: RaceModel, el: HTMLElement, standalone: boolean): RaceDom {
  const root = widgetRoot(el, "optimizer-race", RACE_CSS);
  const title = h("div", { class: "dlw-title" });
  const formula = h("div", { class: "dlw-formula dlw-race-formula" });
  const inputs = toolbarInputs(model);
  const raceControls = h("span", { class: "dlw-row dlw-race-controls" }, [
    h("label", {}, ["surface", inputs.surfaceSelect]),
    inputs.surfaceParams,
    h("label", { title: "each start point is one particle; hundreds of starts per optimizer" }, [inputs.swarmBox, "swarm", inputs.swarmCount]),
    h("label", { title: "add seeded Gaussian noise to every gradient, like mini-batch gradients" }, [inputs.noiseBox, "noisy gradients σ", inputs.noiseValue]),
    h("label", {}, ["seed", inputs.seedValue]),
    h("label", {}, ["steps", inputs.stepsValue]),
  ]);
  const toolbar = h("div", { class: "dlw-toolbar" }, [
    raceControls,
    h("label", { title: "colour the surface by log(f − min)" }, [inputs.logBox, "log colour scale"]),
    h("label", { title: "step one update at a time: gradient, momentum and second moment" }, [inputs.explainBox, "explainer"]),
  ]);

  const surface = createSurface(SURF.width, SURF.height, "dlw-canvas dlw-race-surface-canvas");
  const hover = h("div", { class: "dlw-readout dlw-race-hover" }, [standalone ? "hover the surface to read f(x, y)" : "click the surface to set the start; hover to read f(x, y)"]);
  const chart = createSurface(CHART.width, CHART.height, "dlw-canvas dlw-race-chart");
  const chartLabel = h("div", { class: "dlw-muted dlw-race-chart-label" });
  const panels = h("div", { class: "dlw-race-panels" });
  const addSelect = needsKernel(model, h("select", { class: "dlw-race-add", "aria-label": "add an optimizer" }));
  const addRow = h("div", { class: "dlw-row dlw-race-add-row" }, [h("label", {}, ["add", addSelect])]);
  const timelineHolder = h("div", { class: "dlw-race-timeline" });
  const speed = h("select", { class: "dlw-race-speed", "aria-label": "playback speed" }, [
    h("option", { value: "0.5" }, ["½×"]),
    h("option", { value: "1" }, ["1×"]),
    h("option", { value: "2" }, ["2×"]),
    h("option", { value: "4" }, ["4×"]),
  ]);
  speed.value = "1";
  const status = h("div", { class: "dlw-muted dlw-race-status" });
  const left = h("div", { class: "dlw-race-main" }, [surface.canvas, hover, timelineHolder, status]);
  left.style.maxWidth = `${SURF.width + 10}px`;
  const right = h("div", { class: "dlw-race-side" }, [chart.canvas, chartLabel, panels, addRow]);
  const main = h("div", { class: "dlw-row dlw-race-columns" }, [left, right]);
  const explainPanel = h("div", { class: "dlw-race-explain" });
  const notes = h("div", { class: "dlw-muted dlw-race-notes" });
  const error = h("div", { class: "dlw-error dlw-race-error" });
  root.append(title, toolbar, formula, main, explainPanel, notes, error);
  const tooltip = createTooltip(root);
  return {
    root, title, formula, raceControls, ...inputs, surface, hover, tooltip, chart, chartLabel, panels,
    addSelect, addRow, timelineHolder, speed, explainPanel, status, notes, error,
  };
}
