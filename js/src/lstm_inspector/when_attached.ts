// anywidget hosts often call render() before the view's element is in the page; until it is,
// getComputedStyle reads no --dlw-* variable, so a first draw falls back to the light theme.
// (lib/theme.ts's onThemeChange watches theme switches, not a view being attached.)

/** Call `cb` once when `el` is first laid out in the document (not at all if it already is).
 *  Returns a function that stops waiting. */
export function whenAttached(el: Element, cb: () => void): () => void {
  if (el.isConnected || typeof ResizeObserver === "undefined") return () => {};
  const observer = new ResizeObserver(() => {
    if (!el.isConnected) return;
    observer.disconnect();
    cb();
  });
  observer.observe(el);
  return () => observer.disconnect();
}
