// Playground: a small network trains in Python (a worker thread) and the browser shows, frame
// by frame, its decision regions with the 0.5 contour, every hidden unit's own map on the
// network diagram, and the loss curves. Python streams only the small weight vector; the grid
// (100×100) and the unit maps (25×25) are evaluated here (evaluate.ts over lib/mlp.ts), or come
// as quantised grids for models the browser cannot run. A static export replays the recording.
//
// Modules: state (traits, view state), features, evaluate, paint (pure colouring, contour),
// regions (plane), network (diagram), curves, controls (toolbar + panel), replay, layout.

import { decodeArray, type WireArray } from "../lib/arrays";
import { isStandalone, listen } from "../lib/dom";
import { onThemeChange, readTheme } from "../lib/theme";
import { buildToolbar, syncPanel, syncToolbar } from "./controls";
import { drawCurves } from "./curves";
import { binaryView, buildMLP, Evaluator, frameFromGrids } from "./evaluate";
import { buildLayout } from "./layout";
import { bindNetwork, drawNetwork } from "./network";
import { bindRegions, drawRegions, palette, readPoints, type Points } from "./regions";
import { recordedWeights, recordingFrames, setupReplay } from "./replay";
import { createViewState, hasArray, type Frame, type PlaygroundRenderProps, type PlaygroundView } from "./state";

/** Per-view data that is not drawn state: the evaluator and the decoded points. */
interface Work {
  evaluator: Evaluator | null;
  points: Points | null;
  /** Step of the weights the current frame shows. */
  step: number;
}

function hiddenUnits(view: PlaygroundView): number[] {
  const net = view.model.get("network");
  return net?.layers ? net.layers.slice(0, -1).map((l) => l.units) : [];
}

/** The frame to show now: evaluated from weights in the browser, or from Python's grids. */
function compute(view: PlaygroundView, work: Work): Frame | null {
  const { model, s } = view;
  const net = model.get("network");
  if (!net || !net.layers) return null;
  const shown = (frame: Frame) => (model.get("task") === "binary" ? binaryView(frame) : frame);
  const rec = model.get("recording") || {};
  let weights: Float32Array | null = null;
  let grid: WireArray | null = null;
  let gridRange: number[] = model.get("grid_range") || [0, 1];
  if (s.replayFrame >= 0) {
    weights = recordedWeights(view, s.replayFrame);
    if (!weights && hasArray(rec.grids)) {
      const g = decodeArray(rec.grids);
      const size = g.data.length / g.shape[0];
      grid = { dtype: g.dtype, shape: g.shape.slice(1), data: g.data.subarray(s.replayFrame * size, (s.replayFrame + 1) * size) };
      if (hasArray(rec.grid_ranges)) {
        const r = decodeArray(rec.grid_ranges).data;
        gridRange = [r[2 * s.replayFrame], r[2 * s.replayFrame + 1]];
      }
    }
  } else {
    const w = model.get("weights");
    if (hasArray(w)) weights = Float32Array.from(decodeArray(w).data);
    const g = model.get("grid");
    if (hasArray(g)) grid = g;
  }
  s.weights = weights;
  work.step = s.replayFrame >= 0 ? -1 : Number(model.get("step")) || 0;
  if (net.browser && weights && weights.length) {
    const features = net.inputs;
    const bounds = model.get("grid_bounds") || [];
    if (!work.evaluator || work.evaluator.key !== Evaluator.keyOf(features, bounds)) work.evaluator = new Evaluator(features, bounds);
    s.mlp = buildMLP(net, weights);
    return shown(work.evaluator.evaluate(s.mlp, net));
  }
  if (grid) {
    // unit maps are not recorded: live, and on a replay's last frame (the state they show)
    const ng = model.get("neuron_grids");
    const nr = model.get("neuron_ranges");
    const current = s.replayFrame < 0 || s.replayFrame === recordingFrames(view) - 1;
    return shown(frameFromGrids(grid, gridRange, hasArray(ng) && current ? ng : null,
      hasArray(nr) && current ? nr : null, hiddenUnits(view)));
  }
  return null;
}

/** Input feature maps for the diagram's input nodes (THUMB² × features), when evaluated here. */
function inputMaps(work: Work): Float32Array | null {
  return work.evaluator ? work.evaluator.thumbX : null;
}

/** The debug hook tests and the benchmark read (on the root element, not a global). */
export interface PlaygroundHook {
  grid(): number[] | null;
  side(): number;
  source(): string | null;
  step(): number;
  framesDrawn(): number;
  /** How many new weight vectors (or fallback grids) arrived from Python. */
  framesReceived(): number;
  /** The diagram's nodes in the network canvas' CSS pixels (layer 0 = inputs). */
  nodes(): Array<{ layer: number; unit: number; x: number; y: number; size: number }>;
  /** Evaluate and draw now (synchronously); returns the milliseconds it took. */
  renderNow(): number;
}

function render({ model, el }: PlaygroundRenderProps) {
  const elements = buildLayout(el);
  const work: Work = { evaluator: null, points: null, step: 0 };
  const view: PlaygroundView = {
    model,
    standalone: isStandalone(model),
    el: elements,
    s: createViewState(),
    request(kind) {
      if (kind) view.s.dirty[kind] = true;
      if (!view.s.raf) view.s.raf = requestAnimationFrame(() => {
        view.s.raf = 0;
        draw();
      });
    },
  };
  const { s } = view;
  s.theme = readTheme(elements.root);

  const paint = () => {
    const points = work.points ?? (work.points = readPoints(view));
    const pal = palette(view, points);
    drawRegions(view, points);
    drawNetwork(view, pal, inputMaps(work));
  };

  function draw(): void {
    const t0 = performance.now();
    const d = s.dirty;
    s.dirty = { evaluate: false, data: false, controls: false, curves: false };
    if (d.controls) syncPanel(view);
    if (d.data) work.points = readPoints(view);
    let evalMs = 0;
    if (d.evaluate) {
      const e0 = performance.now();
      try {
        s.frame = compute(view, work);
        s.evalError = "";
      } catch (err) {
        s.frame = null;
        s.evalError = `cannot evaluate the network in the browser: ${(err as Error).message}`;
      }
      s.framesDrawn++;
      evalMs = performance.now() - e0;
    }
    if (d.evaluate || d.data) paint();
    if (d.curves) drawCurves(view);
    syncToolbar(view);
    s.lastDrawMs = performance.now() - t0;
    elements.root.dataset.framesDrawn = String(s.framesDrawn);
    elements.root.dataset.drawMs = s.lastDrawMs.toFixed(2);
    if (d.evaluate) elements.root.dataset.evalMs = evalMs.toFixed(2);
  }

  const hook: PlaygroundHook = {
    grid: () => (s.frame ? Array.from(s.frame.grid) : null),
    side: () => s.frame?.side ?? 0,
    source: () => s.frame?.source ?? null,
    step: () => work.step,
    framesDrawn: () => s.framesDrawn,
    framesReceived: () => received,
    nodes: () => s.nodes.map(({ layer, unit, x, y, size }) => ({ layer, unit, x, y, size })),
    renderNow: () => {
      s.dirty.evaluate = true;
      const t0 = performance.now();
      draw();
      return performance.now() - t0;
    },
  };
  (elements.root as HTMLElement & { dlwPlayground?: PlaygroundHook }).dlwPlayground = hook;

  buildToolbar(view);
  bindRegions(view);
  bindNetwork(view, () => paint());

  const all = () => {
    s.dirty = { evaluate: true, data: true, controls: true, curves: true };
    view.request();
  };
  let received = 0;
  const unlisten = listen(model, {
    "change:weights": () => { received++; view.request("evaluate"); },
    "change:grid": () => { received++; view.request("evaluate"); },
    "change:network": () => view.request("evaluate"),
    "change:grid_bounds": () => { view.request("evaluate"); view.request("data"); },
    "change:points": () => view.request("data"),
    "change:labels": () => view.request("data"),
    "change:is_test": () => view.request("data"),
    "change:task": () => all(),
    "change:classes": () => all(),
    "change:curves": () => view.request("curves"),
    "change:controls": () => { view.request("controls"); view.request("data"); },
    "change:options": () => view.request("controls"),
    "change:editable": () => view.request("controls"),
    "change:hint": () => view.request("controls"),
    "change:status": () => view.request(),
    "change:error": () => view.request(),
    "change:warning": () => view.request(),
    "change:step": () => view.request(),
    "change:recording": () => { setupReplay(view); view.request("evaluate"); },
  });
  const stopTheme = onThemeChange(elements.root, (theme) => {
    s.theme = theme;
    all();
  });
  setupReplay(view);
  draw();
  all();
  return () => {
    unlisten();
    stopTheme();
    s.timeline?.destroy();
    elements.tooltip.destroy();
    if (s.raf) cancelAnimationFrame(s.raf);
  };
}

export default { render };
