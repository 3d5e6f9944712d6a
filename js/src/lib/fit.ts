// Widgets that fit the space their host gives them. A view asks for the width it may use (its
// container's, less the root's padding and border) and is told again whenever that changes: a
// ResizeObserver on the element the host mounted the view in, so the size comes from the
// widget's own place on the page (an output area, a Voilà column, a marimo cell), not from the
// window's width.

/** Width in CSS px that the content of `root` may take: its container's width less the
 * root's own horizontal padding and border. */
export function availableWidth(root: HTMLElement): number {
  const host = root.parentElement;
  if (!host || typeof getComputedStyle !== "function") return Infinity;
  const width = host.clientWidth;
  if (!width) return Infinity; // not laid out yet (hidden tab, detached): no limit
  const s = getComputedStyle(root);
  const px = (v: string) => Number.parseFloat(v) || 0;
  const own = px(s.paddingLeft) + px(s.paddingRight) + px(s.borderLeftWidth) + px(s.borderRightWidth);
  return Math.max(0, width - own);
}

/**
 * Call `cb(width)` with availableWidth(root) now and whenever it changes (by a whole pixel),
 * at most once per animation frame. Returns a function that stops observing.
 */
export function observeWidth(root: HTMLElement, cb: (width: number) => void): () => void {
  let last = -1;
  let frame = 0;
  const check = () => {
    frame = 0;
    const w = Math.floor(availableWidth(root));
    if (w === last) return;
    last = w;
    cb(w);
  };
  const schedule = () => {
    if (frame) return;
    frame = typeof requestAnimationFrame === "function" ? requestAnimationFrame(check) : 0;
    if (!frame) check();
  };
  if (typeof ResizeObserver === "undefined") return () => {};
  const observer = new ResizeObserver(schedule);
  if (root.parentElement) observer.observe(root.parentElement);
  return () => {
    observer.disconnect();
    if (frame && typeof cancelAnimationFrame === "function") cancelAnimationFrame(frame);
  };
}
