// Shared play / pause / step / scrub control for widgets that animate over frames
// (optimizer race steps, convolution positions, LSTM time steps).

import { h, ownKeys } from "./dom";

/** Frame to show after `elapsedMs` of playing at `fps`, starting from `start` (pure, tested). */
export function advance(start: number, elapsedMs: number, fps: number, frames: number, loop: boolean): number {
  if (frames <= 0) return 0;
  const next = start + Math.floor((elapsedMs * fps) / 1000);
  if (loop) return next % frames;
  return Math.min(next, frames - 1);
}

export interface TimelineOptions {
  frames: number;
  fps?: number;
  loop?: boolean;
  label?: (frame: number) => string;
  onFrame: (frame: number) => void;
}

export interface Timeline {
  el: HTMLDivElement;
  readonly frame: number;
  readonly playing: boolean;
  setFrames(frames: number): void;
  setFrame(frame: number): void;
  step(delta: number): void;
  play(): void;
  pause(): void;
  toggle(): void;
  /** Arrow keys step, space plays/pauses, Home/End jump, while `target` has focus. */
  bindKeys(target: HTMLElement): void;
  destroy(): void;
}

export function createTimeline(options: TimelineOptions): Timeline {
  let frames = Math.max(1, options.frames);
  let frame = 0;
  let playing = false;
  let raf = 0;
  let startTime = 0;
  let startFrame = 0;
  const fps = options.fps ?? 30;
  const loop = options.loop ?? false;

  const playButton = h("button", { class: "dlw-button dlw-play", type: "button", title: "Play / pause (space)" }, ["▶ Play"]);
  const stepBack = h("button", { class: "dlw-button dlw-step-back", type: "button", title: "Step back (←)" }, ["◀"]);
  const stepFwd = h("button", { class: "dlw-button dlw-step", type: "button", title: "Step (→)" }, ["▶|"]);
  const scrub = h("input", { type: "range", min: 0, max: frames - 1, step: 1, value: 0, class: "dlw-scrub", "aria-label": "time" });
  const label = h("span", { class: "dlw-readout dlw-frame-label" });
  const el = h("div", { class: "dlw-timeline" }, [playButton, stepBack, stepFwd, scrub, label]);

  const show = (i: number) => {
    frame = Math.max(0, Math.min(frames - 1, i));
    scrub.value = String(frame);
    label.textContent = options.label ? options.label(frame) : `${frame} / ${frames - 1}`;
    options.onFrame(frame);
  };

  const tick = (now: number) => {
    if (!playing) return;
    const next = advance(startFrame, now - startTime, fps, frames, loop);
    if (next !== frame) show(next);
    if (!loop && next >= frames - 1) {
      timeline.pause();
      return;
    }
    raf = requestAnimationFrame(tick);
  };

  const keyHandler = (event: KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowRight: () => timeline.step(1),
      ArrowLeft: () => timeline.step(-1),
      " ": () => timeline.toggle(),
      Home: () => timeline.setFrame(0),
      End: () => timeline.setFrame(frames - 1),
    };
    const action = keys[event.key];
    if (action && !(event.target instanceof HTMLInputElement && event.target.type === "text")) {
      event.preventDefault();
      action();
    }
  };
  let keyTarget: HTMLElement | null = null;

  const timeline: Timeline = {
    el,
    get frame() { return frame; },
    get playing() { return playing; },
    setFrames(n: number) {
      frames = Math.max(1, n);
      scrub.max = String(frames - 1);
      show(Math.min(frame, frames - 1));
    },
    setFrame(i: number) {
      if (playing) timeline.pause();
      show(i);
    },
    step(delta: number) {
      if (playing) timeline.pause();
      show(frame + delta);
    },
    play() {
      if (playing) return;
      if (!loop && frame >= frames - 1) show(0);
      playing = true;
      startTime = performance.now();
      startFrame = frame;
      playButton.textContent = "❚❚ Pause";
      raf = requestAnimationFrame(tick);
    },
    pause() {
      playing = false;
      cancelAnimationFrame(raf);
      playButton.textContent = "▶ Play";
    },
    toggle() {
      if (playing) timeline.pause();
      else timeline.play();
    },
    bindKeys(target: HTMLElement) {
      keyTarget = target;
      if (!target.hasAttribute("tabindex")) target.tabIndex = 0;
      ownKeys(target);
      target.addEventListener("keydown", keyHandler);
    },
    destroy() {
      timeline.pause();
      keyTarget?.removeEventListener("keydown", keyHandler);
    },
  };

  playButton.addEventListener("click", () => timeline.toggle());
  stepBack.addEventListener("click", () => timeline.step(-1));
  stepFwd.addEventListener("click", () => timeline.step(1));
  scrub.addEventListener("input", () => timeline.setFrame(Number(scrub.value)));
  show(0);
  return timeline;
}
