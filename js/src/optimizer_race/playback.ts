// Playback: drawing one frame of every view, and the shared play / pause / step / scrub timeline
// with its speed menu (the whole race plays in about 8 s at 1×).

import { h } from "../lib/dom";
import { createTimeline } from "../lib/timeline";
import { drawChart } from "./chart";
import { updateExplainPanel } from "./explainer";
import type { RaceView } from "./state";
import { drawSurface } from "./trails";

/** Draw the surface, chart and explainer at `frame`, and publish the frame counters. */
export function drawFrame(view: RaceView, frame: number): void {
  const { state, dom } = view;
  const t0 = performance.now();
  state.currentFrame = frame;
  drawSurface(view, frame);
  drawChart(view, frame);
  updateExplainPanel(view, frame);
  state.framesDrawn++;
  // what tests and the fps benchmark read: frames drawn, the frame shown, mean draw time
  state.drawMs += (performance.now() - t0 - state.drawMs) / Math.min(state.framesDrawn, 50);
  dom.root.dataset.framesDrawn = String(state.framesDrawn);
  dom.root.dataset.frame = String(frame);
  dom.root.dataset.drawMs = state.drawMs.toFixed(3);
}

/** Build (or rebuild for a new frame count or speed) the timeline, keeping the frame shown. */
export function makeTimeline(view: RaceView): void {
  const { state, dom } = view;
  const frames = state.frames;
  const keep = state.timeline ? Math.min(state.timeline.frame, frames - 1) : 0;
  state.timeline?.destroy();
  // the whole race plays in about 8 s at 1×
  const fps = Math.max(10, Math.min(240, ((frames - 1) / 8) * Number(dom.speed.value)));
  const timeline = createTimeline({
    frames,
    fps,
    label: (f) => `step ${f} / ${state.frames - 1}`,
    onFrame: (f) => drawFrame(view, f),
  });
  state.timeline = timeline;
  dom.timelineHolder.replaceChildren(timeline.el, h("label", { class: "dlw-muted dlw-race-speed-label" }, ["speed", dom.speed]));
  timeline.bindKeys(dom.root);
  timeline.setFrame(keep);
}

/** Frame count the current timeline was built for (its scrub range). */
export function timelineFrames(view: RaceView): number {
  return Number(view.state.timeline?.el.querySelector<HTMLInputElement>(".dlw-scrub")?.max ?? -1) + 1;
}

/** A new speed rebuilds the timeline and keeps playing if it was. */
export function bindSpeed(view: RaceView): void {
  view.dom.speed.addEventListener("change", () => {
    const playing = view.state.timeline?.playing;
    makeTimeline(view);
    if (playing) view.state.timeline?.play();
  });
}
