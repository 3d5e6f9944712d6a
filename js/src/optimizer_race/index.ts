// Optimizer race (and network loss landscape): a heatmap of the loss surface with d3-contour
// lines, every optimizer's trail animated on one shared play / pause / step / scrub timeline,
// a loss-vs-step chart, per-optimizer sliders, swarm particles and an explainer that shows the
// gradient and the torch optimizer's own state at one step. Everything drawn comes from synced
// state (binary arrays), so playback, scrub, hover and the explainer work in a static export;
// controls that need Python are disabled there with a hint.
//
// Modules: state (traits, view state), data (decoding), surface (heatmap, contours, axes),
// trails (per-frame drawing), chart (loss chart), explainer, playback (timeline), controls
// (toolbar), panels (per-optimizer), interactions (pointer), requests (busy / status), layout (DOM).

import { isStandalone, listen } from "../lib/dom";
import { OfflineTable } from "../lib/offline";
import { onThemeChange } from "../lib/theme";
import { bindToolbar, syncToolbar } from "./controls";
import { decodeAll } from "./data";
import { bindPointer } from "./interactions";
import { buildLayout } from "./layout";
import { bindAddMenu, buildPanels } from "./panels";
import { bindSpeed, drawFrame, makeTimeline, timelineFrames } from "./playback";
import { LatestWins, sendTrait, setBusy, syncNotes } from "./requests";
import { createViewState, type HyperValues, type RaceRenderProps, type RaceView } from "./state";
import { renderBackground } from "./surface";

/** Bring the whole view up to date with the model (first render and every publish). */
function syncAll(view: RaceView): void {
  decodeAll(view);
  syncToolbar(view);
  buildPanels(view);
  syncNotes(view);
}

/** Coalesce model changes into one redraw per animation frame. */
function schedule(view: RaceView, kind: "data" | "background"): void {
  const { state } = view;
  state.dirty[kind] = true;
  if (state.scheduled) return;
  state.scheduled = requestAnimationFrame(() => {
    state.scheduled = 0;
    const { data, background } = state.dirty;
    state.dirty = { data: false, background: false };
    if (data) {
      syncAll(view);
      if (!state.timeline || state.frames !== timelineFrames(view)) makeTimeline(view);
    }
    if (background || data) {
      renderBackground(view);
      state.chartLayer = null;
    }
    drawFrame(view, Math.min(state.currentFrame, state.frames - 1));
    setBusy(view, false);
  });
}

function render({ model, el }: Pick<RaceRenderProps, "model" | "el">) {
  const standalone = isStandalone(model);
  const view: RaceView = {
    model,
    standalone,
    offline: OfflineTable.of(model),
    dom: buildLayout(model, el, standalone),
    state: createViewState(),
    hyperSender: new LatestWins<HyperValues>((value) => sendTrait(view, "hyper", value)),
  };
  const { state, dom } = view;
  bindSpeed(view);
  bindAddMenu(view);
  bindToolbar(view);
  bindPointer(view);

  const unlisten = listen(model, {
    "change:revision": () => {
      view.hyperSender.answered();
      schedule(view, "data");
    },
    "change:paths": () => schedule(view, "data"),
    "change:grid": () => schedule(view, "background"),
    "change:log_scale": () => {
      dom.logBox.checked = Boolean(model.get("log_scale"));
      schedule(view, "background");
    },
    "change:explainer": () => {
      dom.explainBox.checked = Boolean(model.get("explainer"));
      if (model.get("explainer")) state.timeline?.pause();
      drawFrame(view, state.currentFrame);
    },
    "change:error": () => syncNotes(view),
  });

  // JupyterLab switching light / dark: redraw both layers in the new theme colours
  const stopTheme = onThemeChange(dom.root, () => {
    renderBackground(view);
    state.chartLayer = null;
    drawFrame(view, state.currentFrame);
  });

  syncAll(view);
  renderBackground(view);
  state.chartLayer = null;
  makeTimeline(view);
  setBusy(view, false);
  return () => {
    unlisten();
    stopTheme();
    dom.tooltip.destroy();
    state.timeline?.destroy();
    if (state.scheduled) cancelAnimationFrame(state.scheduled);
  };
}

export default { render };
