// Small DOM helpers. User strings only ever go in as text (textContent), never as HTML.

import css from "./style.css";
import { markDark } from "./theme";

type Attrs = Record<string, string | number | boolean | undefined>;

/** Typed inputs: where a person types a value and presses Enter to apply it. */
const TYPED = new Set(["number", "text", "search", ""]);

/**
 * Enter applies a typed value: it fires the input's "change" event (what the widgets listen to)
 * when the value differs from the last one applied. Browsers do this by themselves, but in
 * JupyterLab and Notebook 7 the notebook takes Enter first and the value stayed unapplied until
 * Tab; the input also owns its other keys (ownKeys).
 */
function applyOnEnter(input: HTMLInputElement): void {
  ownKeys(input);
  let applied: string | null = null;
  input.addEventListener("focus", () => { applied = input.value; });
  input.addEventListener("change", () => { applied = input.value; });
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    event.stopPropagation();
    if (input.value === applied) return;
    applied = input.value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

/** Create an element with attributes and children (strings become text nodes); a typed input
 * applies its value on Enter (applyOnEnter). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: Array<Node | string | null | undefined> = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key === "class") node.className = String(value);
    else if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  if (tag === "input" && TYPED.has(node.getAttribute("type") ?? "")) applyOnEnter(node as HTMLInputElement);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** Enter in `input` presses `button` (a value that is applied with a button, such as an edited
 * weight or a clamp value): typing a value and pressing Enter then does what the button does. */
export function enterClicks(input: HTMLInputElement, button: HTMLButtonElement): void {
  ownKeys(input);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    event.preventDefault();
    if (!button.disabled) button.click();
  });
}

/**
 * Keys pressed inside `el` go to the widget, not to the notebook's shortcuts. JupyterLab and
 * Notebook 7 (Lumino) match keyboard shortcuts on every keydown before the page sees it
 * (Notebook 7 in the capture phase), so without this an arrow key meant to step a widget
 * moves to another cell instead. Lumino skips shortcut matching for events from inside an
 * element with this attribute.
 */
export function ownKeys(el: HTMLElement): void {
  el.setAttribute("data-lm-suppress-shortcuts", "true");
}

/**
 * The stylesheet travels with each view: one `<style>` inside the view's own element, so it
 * applies wherever the host mounts the view: the page (JupyterLab, Notebook 7, Voilà, VS Code,
 * Colab, exported pages) or a shadow root (marimo), where a stylesheet in `document.head` does
 * not reach. One per view, never more: a re-render into the same element reuses it, and it
 * goes away with the view's element.
 */
export function attachStyle(el: HTMLElement): HTMLStyleElement {
  const existing = el.querySelector<HTMLStyleElement>(":scope > style[data-dlw-style]");
  if (existing) return existing;
  const style = document.createElement("style");
  style.setAttribute("data-dlw-style", "");
  style.textContent = css;
  el.prepend(style);
  return style;
}

/** A widget's own rules (beyond style.css), kept like the shared stylesheet: one `<style>` per
 * view inside the view's element, so they reach a shadow root too. */
export function attachWidgetStyle(el: HTMLElement, name: string, css: string): void {
  if (el.querySelector(`:scope > style[data-dlw-widget-style="${name}"]`)) return;
  const style = document.createElement("style");
  style.setAttribute("data-dlw-widget-style", name);
  style.textContent = css;
  attachStyle(el).after(style);
}

/** Root element of a widget view, with its stylesheet (and the widget's own rules, `css`), the
 * theme class and a data attribute tests can find. */
export function widgetRoot(el: HTMLElement, name: string, css = ""): HTMLDivElement {
  attachStyle(el);
  if (css) attachWidgetStyle(el, name, css);
  const root = h("div", { class: `dlw-root dlw-${name}`, "data-dlw-widget": name });
  el.appendChild(root);
  markDark(root); // views that draw follow later switches with onThemeChange
  return root;
}

export interface ModelLike {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event?: string | null, callback?: ((...args: any[]) => void) | null): void;
  send(content: any, callbacks?: any, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

/** True in a static export (no kernel): controls that need Python must be disabled. */
export function isStandalone(model: ModelLike): boolean {
  return Boolean(model.get("_standalone"));
}

export const KERNEL_HINT = "Needs a running Python kernel (this is a static page).";

/** Disable a control that needs Python when there is no kernel, with a hint on hover. */
export function needsKernel<T extends HTMLInputElement | HTMLButtonElement | HTMLSelectElement>(
  model: ModelLike,
  control: T,
): T {
  if (isStandalone(model)) {
    control.disabled = true;
    control.title = KERNEL_HINT;
    control.classList.add("dlw-needs-kernel");
  }
  return control;
}

/** Subscribe to model events and return one function that removes them all. */
export function listen(model: ModelLike, handlers: Record<string, (...args: any[]) => void>): () => void {
  for (const [event, cb] of Object.entries(handlers)) model.on(event, cb);
  return () => {
    for (const [event, cb] of Object.entries(handlers)) model.off(event, cb);
  };
}
