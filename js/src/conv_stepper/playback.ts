// Playback: the animation loop, the timeline (play, step, scrub) and keyboard stepping.

import { createTimeline } from "../lib/timeline";
import { draw } from "./draw";
import { framesFor } from "./geometry";
import { gliding } from "./paint";
import { updateReadout } from "./readout";
import { viewOf, type Stepper } from "./state";

/** A requestDraw for this view: redraws every animation frame while playing or gliding. */
export function drawScheduler(s: Stepper): () => void {
  const frameLoop = (now: number) => {
    s.state.raf = 0;
    draw(s, now);
    if ((s.state.timeline && s.state.timeline.playing) || gliding(s, now)) s.state.raf = requestAnimationFrame(frameLoop);
  };
  return () => {
    if (!s.state.raf) s.state.raf = requestAnimationFrame(frameLoop);
  };
}

/** Tell Python the conv step a quarter second after stepping stops (not on every frame). */
function syncStepLater(s: Stepper) {
  const st = s.state;
  if (st.syncTimer) clearTimeout(st.syncTimer);
  st.syncTimer = setTimeout(() => {
    if (s.model.get("step_index") !== st.frames.conv) {
      s.model.set("step_index", st.frames.conv);
      s.model.save_changes();
    }
  }, 250);
}

/** A new timeline for the current view's frames, at the current speed and frame. */
export function buildTimeline(s: Stepper) {
  const st = s.state;
  if (!st.geom) return;
  st.timeline?.destroy();
  const v = viewOf(s);
  const n = framesFor(v, st.geom);
  const start = Math.min(st.frames[v] ?? 0, n - 1); // createTimeline reports frame 0 first
  const timeline = createTimeline({
    frames: n,
    fps: Number(s.model.get("speed") || 8),
    label: (k) => `${k + 1} / ${n}`,
    onFrame: (k) => {
      st.frames[viewOf(s)] = k;
      updateReadout(s);
      s.requestDraw();
      if (viewOf(s) === "conv" && !s.standalone) syncStepLater(s);
    },
  });
  st.timeline = timeline;
  timeline.el.querySelector(".dlw-play")?.addEventListener("click", () => s.requestDraw());
  s.ui.timelineHolder.replaceChildren(timeline.el);
  timeline.setFrame(start);
  timeline.bindKeys(s.ui.stage);
}

/** Up/down arrows step a whole row of the output; space (play/pause) starts the loop. */
export function bindRowKeys(s: Stepper) {
  s.ui.stage.addEventListener("keydown", (event) => {
    const g = s.state.geom;
    const timeline = s.state.timeline;
    if (!g || !timeline) return;
    const cols = viewOf(s) === "pool" && g.pool ? g.pool.out[1] : g.out[1];
    if (event.key === "ArrowDown") timeline.step(cols);
    else if (event.key === "ArrowUp") timeline.step(-cols);
    else if (event.key === " ") s.requestDraw();
    else return;
    event.preventDefault();
  });
}
