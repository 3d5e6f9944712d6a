// A hover readout that floats next to the pointer inside a widget. Lines are set as text
// (textContent), never HTML, because they carry user strings (layer names, tokens, labels).

import { h } from "./dom";

export interface Tooltip {
  el: HTMLDivElement;
  /** Show `lines` with the box's corner near (x, y), in CSS pixels relative to `root`. */
  show(x: number, y: number, lines: string[]): void;
  /** Show `lines` next to the pointer of a mouse/pointer event. */
  showAt(event: MouseEvent, lines: string[]): void;
  hide(): void;
  /** Remove the element (call when the view is removed). */
  destroy(): void;
}

const OFFSET = 12;

/**
 * A tooltip inside `root` (appended to it; a static root becomes position: relative so the box
 * can be placed in its coordinates). Styled by .dlw-tooltip in style.css with theme colours.
 */
export function createTooltip(root: HTMLElement): Tooltip {
  if (typeof getComputedStyle === "function" && getComputedStyle(root).position === "static") {
    root.style.position = "relative";
  }
  const el = h("div", { class: "dlw-tooltip", role: "tooltip" });
  el.style.display = "none";
  root.appendChild(el);

  const tooltip: Tooltip = {
    el,
    show(x: number, y: number, lines: string[]) {
      el.replaceChildren(...lines.map((line) => h("div", { text: line })));
      el.style.display = "block";
      // keep the box inside the root: flip to the other side of the pointer when it would overflow
      const width = el.offsetWidth;
      const height = el.offsetHeight;
      const left = x + OFFSET + width > root.clientWidth && x - OFFSET - width >= 0 ? x - OFFSET - width : x + OFFSET;
      const top = y + OFFSET + height > root.clientHeight && y - OFFSET - height >= 0 ? y - OFFSET - height : y + OFFSET;
      el.style.left = `${left}px`;
      el.style.top = `${top}px`;
    },
    showAt(event: MouseEvent, lines: string[]) {
      const rect = root.getBoundingClientRect();
      tooltip.show(event.clientX - rect.left + root.scrollLeft, event.clientY - rect.top + root.scrollTop, lines);
    },
    hide() {
      el.style.display = "none";
    },
    destroy() {
      el.remove();
    },
  };
  return tooltip;
}
