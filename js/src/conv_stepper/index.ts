// Convolution stepper: a window slides over the (padded) input; for each output cell the
// element-wise products of window and kernel and their sum are shown with the real numbers that
// PyTorch computed (the whole trace is in synced state, so playing, stepping, scrubbing, hovering
// and switching filters/channels/views work with no kernel). Settings (stride, padding,
// dilation, padding mode, activation, pooling) and cell edits go back to Python as requests;
// Python recomputes the trace with torch and the new state redraws the view.
//
// This file wires the modules together: ui (DOM), controls, pointer, playback, the three views
// (conv_view, pool_view, transposed_view), readout, text and gallery, all sharing one Stepper.

import type { RenderProps } from "@anywidget/types";
import { createSurface } from "../lib/canvas";
import { OfflineTable } from "../lib/offline";
import { isStandalone, listen, ownKeys } from "../lib/dom";
import { observeWidth } from "../lib/fit";
import { onThemeChange } from "../lib/theme";
import { bindControls, syncControls } from "./controls";
import { buildGallery } from "./gallery";
import { framesFor } from "./geometry";
import { relayout } from "./layout";
import { bindRowKeys, buildTimeline, drawScheduler } from "./playback";
import { bindPointer } from "./pointer";
import { updateHoverLine, updateReadout } from "./readout";
import { createViewState, viewOf, type ConvStepperModel, type Stepper } from "./state";
import { syncText } from "./text";
import { decodeTrace } from "./trace";
import { buildUi } from "./ui";

function setPending(s: Stepper, pending: boolean) {
  s.state.pending = pending;
  s.ui.root.dataset.pending = String(pending);
}

/** A new trace or geometry from Python: decode it, keep each view's frame in range, redraw all. */
function loadTrace(s: Stepper) {
  const st = s.state;
  st.trace = decodeTrace(s.model.get("trace"));
  st.geom = s.model.get("geometry") ?? null;
  st.acc.key = "";
  st.result.key = "";
  st.stats = new Map();
  setPending(s, false);
  const g = st.geom;
  if (!g) return;
  st.frames.conv = Math.min(s.model.get("step_index") ?? 0, framesFor("conv", g) - 1);
  st.frames.transposed = Math.min(st.frames.transposed, framesFor("transposed", g) - 1);
  st.frames.pool = Math.min(st.frames.pool, framesFor("pool", g) - 1);
  relayout(s);
  buildTimeline(s);
  syncControls(s);
  syncText(s);
  buildGallery(s);
  updateReadout(s);
  updateHoverLine(s);
  s.requestDraw();
}

/** Model events: each one refreshes only what depends on it. */
function listenToModel(s: Stepper): () => void {
  const { model } = s;
  const reload = () => loadTrace(s);
  return listen(model, {
    "change:trace": reload,
    "change:geometry": reload,
    "change:view": () => {
      const g = s.state.geom;
      if (!g) return;
      if (viewOf(s) === "pool" && !g.pool) return;
      relayout(s);
      buildTimeline(s);
      syncControls(s);
      syncText(s);
      updateReadout(s);
      s.requestDraw();
    },
    "change:filter": () => {
      s.state.acc.key = "";
      syncControls(s);
      buildGallery(s);
      updateReadout(s);
      s.requestDraw();
    },
    "change:channel": () => {
      s.state.acc.key = "";
      syncControls(s);
      updateReadout(s);
      s.requestDraw();
    },
    "change:step_index": () => {
      const k = model.get("step_index") ?? 0;
      const timeline = s.state.timeline;
      if (viewOf(s) === "conv" && timeline && timeline.frame !== k) timeline.setFrame(k);
      else s.state.frames.conv = k;
    },
    "change:speed": () => {
      buildTimeline(s);
      syncControls(s);
    },
    "change:error": () => {
      setPending(s, false);
      syncControls(s);
      syncText(s);
    },
    "change:settings": () => syncControls(s),
    "change:title": () => syncText(s),
  });
}

function render({ model, el }: Pick<RenderProps<ConvStepperModel>, "model" | "el">) {
  const surface = createSurface(600, 300);
  const offline = OfflineTable.of(model);
  const s: Stepper = {
    model,
    standalone: isStandalone(model),
    offline,
    ui: buildUi(model, el, surface, offline),
    surface,
    state: createViewState(),
    requestDraw: () => {},
  };
  s.requestDraw = drawScheduler(s);
  bindControls(s);
  bindPointer(s);
  ownKeys(s.ui.stage);
  ownKeys(s.ui.editor);
  bindRowKeys(s);
  const unlisten = listenToModel(s);
  // JupyterLab switching light/dark: thumbnails and canvas are redrawn in the new colours
  const unwatchTheme = onThemeChange(s.ui.root, () => {
    buildGallery(s);
    s.requestDraw();
  });
  loadTrace(s);
  // the panels wrap to the width the output area gives the widget
  const unwatchWidth = observeWidth(s.ui.root, (width) => {
    s.state.width = width;
    relayout(s);
    s.requestDraw();
  });
  return () => {
    unlisten();
    unwatchTheme();
    unwatchWidth();
    s.state.timeline?.destroy();
    if (s.state.raf) cancelAnimationFrame(s.state.raf);
    if (s.state.syncTimer) clearTimeout(s.state.syncTimer);
  };
}

export default { render };
