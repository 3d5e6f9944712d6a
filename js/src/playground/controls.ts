// The toolbar (play / pause / step / reset, speed) and the control panel, both rebuilt from
// `controls` and `options`, the single source of truth. Every change sends {type: "set", key,
// value}; Python validates and answers with new `controls` (or an `error`). Controls that would
// rebuild a user's own model are disabled with the `hint` when `editable` is false; controls
// that need Python are disabled on a static page. Display toggles (test points, discretize)
// also apply at once in the view, so they work without a kernel.

import { decodeArray } from "../lib/arrays";
import { h, needsKernel } from "../lib/dom";
import { FEATURE_LABELS } from "./features";
import { hasArray, type Controls, type Options, type PlaygroundView } from "./state";

/** Keys whose change rebuilds the model (disabled when the user passed their own model). */
export const REBUILDS = new Set(["features", "hidden", "activations", "init", "dropout", "batch_norm", "residual"]);
/** Speeds Python takes: 2^(s−1) epochs per second, 0 = as fast as the CPU goes. */
const SPEEDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
export function speedLabel(s: number): string {
  return s === 0 ? "max" : `${2 ** (s - 1)} epoch${s === 1 ? "" : "s"}/s`;
}

function send(view: PlaygroundView, key: keyof Controls, value: unknown): void {
  if (view.standalone) return;
  view.model.send({ type: "set", key, value });
}

/** Toolbar buttons: wired once. */
export function buildToolbar(view: PlaygroundView): void {
  const { el, model } = view;
  const button = (cls: string, text: string, title: string, msg: string) => {
    const b = needsKernel(model, h("button", { class: `dlw-button ${cls}`, type: "button", title }, [text]));
    b.addEventListener("click", () => model.send({ type: msg }));
    return b;
  };
  const play = needsKernel(model, h("button", { class: "dlw-button dlw-primary dlw-pg-play", type: "button", title: "Train / pause" }, ["▶ Train"]));
  play.addEventListener("click", () => model.send({ type: model.get("status") === "running" ? "pause" : "play" }));
  const step = button("dlw-step dlw-pg-step", "Step", "Train one epoch", "step");
  const reset = button("dlw-pg-reset", "↺ Reset", "Re-initialise the weights (keeps the data)", "reset");
  const regen = button("dlw-pg-regenerate", "New data", "Draw new random data", "regenerate");
  const speed = needsKernel(model, h("select", { class: "dlw-pg-speed", title: "Training speed" },
    SPEEDS.map((v) => h("option", { value: v, text: speedLabel(v) }))));
  speed.addEventListener("change", () => send(view, "speed", Number(speed.value)));
  el.toolbar.replaceChildren(play, step, reset, regen, h("label", {}, ["speed ", speed]), el.epoch, el.status);
}

/** Write text only when it changed: a DOM write per frame makes the host page lay out again. */
function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Toolbar text that follows every step (cheap; called per frame). */
export function syncToolbar(view: PlaygroundView): void {
  const { el, model } = view;
  const status = model.get("status") || "idle";
  const play = el.toolbar.querySelector<HTMLButtonElement>(".dlw-pg-play");
  if (play) setText(play, status === "running" ? "❚❚ Pause" : "▶ Train");
  const spe = Math.max(1, Number(model.get("steps_per_epoch")) || 1);
  const stepNo = Number(model.get("step")) || 0;
  const replay = view.s.replayFrame >= 0;
  const epoch = replay ? replayEpoch(view) : Number(model.get("epoch")) || stepNo / spe;
  setText(el.epoch, `epoch ${epoch.toFixed(replay ? 2 : 0)} · step ${replay ? replayStep(view) : stepNo}`);
  setText(el.status, status);
  const cls = `dlw-pg-status dlw-pg-status-${status}`;
  if (el.status.className !== cls) el.status.className = cls;
  setText(el.error, model.get("error") || view.s.evalError);
  setText(el.warning, model.get("warning") || "");
  const speed = el.toolbar.querySelector<HTMLSelectElement>(".dlw-pg-speed");
  const c = model.get("controls");
  if (speed && c && document.activeElement !== speed && speed.value !== String(c.speed ?? 6)) speed.value = String(c.speed ?? 6);
}

function recordingValue(view: PlaygroundView, key: "epochs" | "steps"): number {
  const wire = view.model.get("recording")?.[key];
  if (!hasArray(wire)) return 0;
  return Number(decodeArray(wire).data[view.s.replayFrame] ?? 0);
}

function replayEpoch(view: PlaygroundView): number {
  return recordingValue(view, "epochs");
}

function replayStep(view: PlaygroundView): number {
  return recordingValue(view, "steps");
}

interface Field {
  key: keyof Controls;
  node: HTMLElement;
  inputs: Array<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>;
}

function select(values: Array<string | number>, current: string | number, labels?: (v: string | number) => string): HTMLSelectElement {
  const s = h("select", {}, values.map((v) => h("option", { value: String(v), text: labels ? labels(v) : String(v) })));
  s.value = String(current);
  return s;
}

function numberInput(value: number, attrs: Record<string, number | string>): HTMLInputElement {
  return h("input", { type: "number", value: String(value), ...attrs });
}

function range(value: number, min: number, max: number, step: number): [HTMLInputElement, HTMLSpanElement] {
  const input = h("input", { type: "range", min, max, step, value: String(value) });
  const out = h("span", { class: "dlw-readout", text: String(value) });
  input.addEventListener("input", () => { out.textContent = input.value; });
  return [input, out];
}

function labelled(text: string, ...children: Array<Node | string>): HTMLLabelElement {
  return h("label", { class: "dlw-pg-field" }, [h("span", { class: "dlw-pg-label", text }), ...children]);
}

/** The layers editor: add/remove layers, units per layer, activation per layer. */
function layersField(view: PlaygroundView, c: Controls, o: Options): Field {
  const hidden = c.hidden.slice();
  const acts = c.activations.slice();
  const inputs: Field["inputs"] = [];
  // Python extends or cuts `activations` with `hidden` (repeating the last one)
  const setLayers = (nextHidden: number[]) => send(view, "hidden", nextHidden);
  const maxLayers = o.max_hidden_layers || 16;
  const maxUnits = o.max_units || 64;
  const add = h("button", { class: "dlw-button dlw-pg-add-layer", type: "button", title: "Add a hidden layer" }, ["+ layer"]);
  const remove = h("button", { class: "dlw-button dlw-pg-remove-layer", type: "button", title: "Remove the last hidden layer" }, ["− layer"]);
  add.disabled = hidden.length >= maxLayers;
  remove.disabled = hidden.length === 0;
  add.addEventListener("click", () => setLayers([...hidden, hidden[hidden.length - 1] ?? 4]));
  remove.addEventListener("click", () => setLayers(hidden.slice(0, -1)));
  inputs.push(add, remove);
  const rows = hidden.map((units, k) => {
    const minus = h("button", { class: "dlw-button dlw-pg-units-minus", type: "button", title: "One neuron fewer" }, ["−"]);
    const plus = h("button", { class: "dlw-button dlw-pg-units-plus", type: "button", title: "One neuron more" }, ["+"]);
    minus.disabled = units <= 1;
    plus.disabled = units >= maxUnits;
    minus.addEventListener("click", () => send(view, "hidden", hidden.map((u, j) => (j === k ? u - 1 : u))));
    plus.addEventListener("click", () => send(view, "hidden", hidden.map((u, j) => (j === k ? u + 1 : u))));
    const act = select(o.activations, acts[k] ?? "tanh");
    act.classList.add(`dlw-pg-activation`, `dlw-pg-activation-${k}`);
    act.addEventListener("change", () => send(view, "activations", acts.map((a, j) => (j === k ? act.value : a))));
    inputs.push(minus, plus, act);
    return h("div", { class: "dlw-pg-layer" }, [`layer ${k + 1}: `, minus, h("span", { class: "dlw-readout", text: ` ${units} ` }), plus, " ", act]);
  });
  const node = h("div", { class: "dlw-pg-layers" }, [h("div", {}, [h("span", { class: "dlw-pg-label", text: "hidden layers" }), add, remove]), ...rows]);
  return { key: "hidden", node, inputs };
}

/** All fields of the control panel, from the current controls and options. */
function fields(view: PlaygroundView, c: Controls, o: Options): Field[] {
  const out: Field[] = [];
  const simple = (key: keyof Controls, label: string, input: HTMLInputElement | HTMLSelectElement,
    read: () => unknown, ...extra: Node[]) => {
    input.classList.add(`dlw-pg-${key}`);
    input.addEventListener("change", () => send(view, key, read()));
    out.push({ key, node: labelled(label, input, ...extra), inputs: [input] });
  };
  const data = select(o.datasets, c.data);
  simple("data", "data", data, () => data.value);
  const [noise, noiseOut] = range(c.noise, 0, 0.5, 0.05);
  simple("noise", "noise", noise, () => Number(noise.value), noiseOut);
  const [split, splitOut] = range(c.train_fraction, 0.1, 0.9, 0.1);
  simple("train_fraction", "train fraction", split, () => Number(split.value), splitOut);
  const batch = numberInput(c.batch_size, { min: 1, step: 1 });
  simple("batch_size", "batch size", batch, () => Number(batch.value));
  // features: one checkbox each
  const boxes = o.features.map((name) => {
    const box = h("input", { type: "checkbox", class: `dlw-pg-feature`, "data-feature": name });
    box.checked = c.features.includes(name);
    return box;
  });
  boxes.forEach((box) => box.addEventListener("change", () => send(view, "features",
    o.features.filter((_, i) => boxes[i].checked))));
  out.push({
    key: "features",
    node: h("div", { class: "dlw-pg-field dlw-pg-features" }, [h("span", { class: "dlw-pg-label", text: "features" }),
      ...boxes.map((box, i) => h("label", {}, [box, FEATURE_LABELS[o.features[i]] ?? o.features[i]]))]),
    inputs: boxes,
  });
  out.push(layersField(view, c, o));
  const init = select(o.inits, c.init);
  simple("init", "init", init, () => init.value);
  const opt = select(o.optimizers, c.optimizer);
  simple("optimizer", "optimizer", opt, () => opt.value);
  const lr = numberInput(c.lr, { min: 0, step: "any" });
  simple("lr", "learning rate", lr, () => Number(lr.value));
  const l1 = numberInput(c.l1, { min: 0, step: "any" });
  simple("l1", "L1", l1, () => Number(l1.value));
  const l2 = numberInput(c.l2, { min: 0, step: "any" });
  simple("l2", "L2", l2, () => Number(l2.value));
  const [dropout, dropoutOut] = range(c.dropout, 0, 0.9, 0.05);
  simple("dropout", "dropout", dropout, () => Number(dropout.value), dropoutOut);
  const bn = h("input", { type: "checkbox" });
  bn.checked = Boolean(c.batch_norm);
  simple("batch_norm", "batch norm", bn, () => bn.checked);
  const res = h("input", { type: "checkbox" });
  res.checked = Boolean(c.residual);
  simple("residual", "residual", res, () => res.checked);
  return out;
}

/** Display fields: they work without a kernel too. */
function displayFields(view: PlaygroundView, c: Controls): HTMLElement {
  const { s } = view;
  const test = h("input", { type: "checkbox", class: "dlw-pg-show_test" });
  test.checked = s.showTest;
  test.addEventListener("change", () => {
    s.showTest = test.checked;
    send(view, "show_test", test.checked);
    view.request("data");
  });
  const disc = h("input", { type: "checkbox", class: "dlw-pg-discretize" });
  disc.checked = s.discretize;
  disc.addEventListener("change", () => {
    s.discretize = disc.checked;
    send(view, "discretize", disc.checked);
    view.request("evaluate");
  });
  const classes = Math.max(2, Number(view.model.get("classes")) || 2);
  const task = view.model.get("task");
  // the class a click adds, or for regression the target value of a clicked point
  const cls = needsKernel(view.model, task === "regression"
    ? numberInput(c.point_class ?? 0, { step: "any" })
    : select(Array.from({ length: classes }, (_, i) => i), c.point_class ?? 0, (v) => `class ${v}`));
  cls.classList.add("dlw-pg-point_class");
  cls.addEventListener("change", () => send(view, "point_class", Number(cls.value)));
  const erase = needsKernel(view.model, h("button", { class: "dlw-button dlw-pg-erase", type: "button", title: "Click on the plane to erase points" }, ["Erase"]));
  const markErase = () => {
    erase.classList.toggle("dlw-primary", s.erase);
    erase.setAttribute("aria-pressed", String(s.erase));
  };
  erase.addEventListener("click", () => {
    s.erase = !s.erase;
    markErase();
  });
  markErase();
  return h("div", { class: "dlw-pg-display" }, [
    h("label", {}, [test, "show test data"]), h("label", {}, [disc, "discretize output"]),
    h("label", {}, [task === "regression" ? "click adds target " : "click adds ", cls]), erase,
  ]);
}

/** Rebuild the panel when controls, options or editability changed. */
export function syncPanel(view: PlaygroundView): void {
  const { model, el, s } = view;
  const c = model.get("controls");
  const o = model.get("options");
  if (!c || !o || !o.datasets) return;
  const editable = model.get("editable") !== false;
  const hint = model.get("hint") || "";
  const signature = JSON.stringify([c, o, editable, hint, model.get("classes"), model.get("task")]);
  if (s.panelSignature === signature) return;
  s.panelSignature = signature;
  s.showTest = c.show_test !== false;
  s.discretize = Boolean(c.discretize);
  const all = fields(view, c, o);
  for (const f of all) {
    for (const input of f.inputs) {
      if (view.standalone) needsKernel(model, input as HTMLInputElement);
      else if (!editable && REBUILDS.has(f.key)) {
        input.disabled = true;
        input.title = hint;
      }
    }
  }
  el.hint.textContent = !editable && hint ? hint : "";
  el.controls.replaceChildren(...all.map((f) => f.node), displayFields(view, c));
}
