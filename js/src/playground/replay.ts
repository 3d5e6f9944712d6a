// Replay of a recorded run on a page without a kernel (a static export): the `recording` holds
// up to 300 frames of weights (or quantised grids for models the browser cannot run) and the
// losses; a slider and a play button redraw regions, thumbnails and curves frame by frame.

import { decodeArray } from "../lib/arrays";
import { createTimeline } from "../lib/timeline";
import { hasArray, type PlaygroundView } from "./state";

/** Number of recorded frames (0: nothing to replay). */
export function recordingFrames(view: PlaygroundView): number {
  const rec = view.model.get("recording");
  if (!rec) return 0;
  const source = hasArray(rec.weights) ? rec.weights : hasArray(rec.grids) ? rec.grids : null;
  return source ? source.shape[0] : 0;
}

/** Weights of recorded frame f (a view into the recording), or null for a grids recording. */
export function recordedWeights(view: PlaygroundView, f: number): Float32Array | null {
  const rec = view.model.get("recording");
  if (!rec || !hasArray(rec.weights)) return null;
  const w = decodeArray(rec.weights);
  const p = w.shape[1];
  return Float32Array.from(w.data.subarray(f * p, (f + 1) * p));
}

/** The replay bar when there is no kernel and a recording; shows the last frame first. */
export function setupReplay(view: PlaygroundView): void {
  const { s, el } = view;
  s.timeline?.destroy();
  s.timeline = null;
  el.replay.replaceChildren();
  const frames = recordingFrames(view);
  if (!view.standalone || frames === 0) {
    s.replayFrame = -1;
    return;
  }
  const timeline = createTimeline({
    frames,
    fps: 20,
    label: (f) => `replay ${f + 1} / ${frames}`,
    onFrame: (f) => {
      s.replayFrame = f;
      view.request("evaluate");
      view.request("curves");
    },
  });
  timeline.el.classList.add("dlw-pg-replay-bar");
  el.replay.appendChild(timeline.el);
  timeline.bindKeys(el.root);
  s.timeline = timeline;
  timeline.setFrame(frames - 1);
}
