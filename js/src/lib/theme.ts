// Theme colours for canvas and SVG drawing. CSS can colour the DOM parts of a widget through the
// --dlw-* variables (lib/style.css), but a canvas needs concrete colour strings: a view calls
// readTheme(root) once per draw and draws with the result, and redraws from onThemeChange when
// JupyterLab switches between its light and dark themes.

export interface Theme {
  /** Main text and strong marks (titles, labels, epoch dots). */
  fg: string;
  /** Secondary text: tick labels, notes, units. */
  muted: string;
  /** Translucent foreground for hover crosshairs and weak outlines. */
  faint: string;
  /** Grid lines behind a plot. */
  grid: string;
  /** Axis and zero lines, plot frames. */
  axis: string;
  /** Background of the widget and of its canvases. */
  bg: string;
  /** Raised surfaces: buttons, empty cells, placeholder boxes. */
  panel: string;
  /** Borders of boxes and tables. */
  border: string;
  /** First data colour (blue in the light theme). */
  accent: string;
  /** Second data colour (orange in the light theme). */
  accent2: string;
  /** Good news: converged, improved. */
  positive: string;
  /** Bad news: diverged, errors, NaN markers. */
  negative: string;
  /** Font family for canvas text (sizes are chosen where it is drawn; see font()). */
  font: string;
  /** Monospace font family for canvas text. */
  monoFont: string;
}

/** The light palette: the values style.css gives outside a dark theme, used as fallbacks. */
export const LIGHT_THEME: Readonly<Theme> = Object.freeze({
  fg: "#1f2933",
  muted: "#616e7c",
  faint: "rgba(31,41,51,0.35)",
  grid: "#e4e7eb",
  axis: "#9aa5b1",
  bg: "#ffffff",
  panel: "#f5f7fa",
  border: "#d9e2ec",
  accent: "#2f6fdf",
  accent2: "#e8590c",
  positive: "#2b8a3e",
  negative: "#c92a2a",
  font: "system-ui, sans-serif",
  monoFont: "ui-monospace, Menlo, monospace",
});

/** CSS variable behind each theme field. */
export const THEME_VARIABLES: Readonly<Record<keyof Theme, string>> = Object.freeze({
  fg: "--dlw-fg",
  muted: "--dlw-muted",
  faint: "--dlw-faint",
  grid: "--dlw-grid",
  axis: "--dlw-axis",
  bg: "--dlw-bg",
  panel: "--dlw-panel",
  border: "--dlw-border",
  accent: "--dlw-accent",
  accent2: "--dlw-accent-2",
  positive: "--dlw-good",
  negative: "--dlw-bad",
  font: "--dlw-canvas-font",
  monoFont: "--dlw-canvas-mono",
});

/**
 * The theme in effect for `el` (normally the widget root): each --dlw-* variable's computed
 * value, or the light value when the variable is unset (a host without our stylesheet). Call it
 * once per draw, not per mark: getComputedStyle is not free.
 */
export function readTheme(el: Element): Theme {
  const style = typeof getComputedStyle === "function" ? getComputedStyle(el) : null;
  const theme = { ...LIGHT_THEME };
  if (!style) return theme;
  for (const key of Object.keys(THEME_VARIABLES) as Array<keyof Theme>) {
    const value = style.getPropertyValue(THEME_VARIABLES[key]).trim();
    if (value) theme[key] = value;
  }
  return theme;
}

/** A canvas font string: font(theme, 11) → "11px system-ui, sans-serif". */
export function font(theme: Theme, px: number, weight = "", mono = false): string {
  return `${weight ? `${weight} ` : ""}${px}px ${mono ? theme.monoFont : theme.font}`;
}

/**
 * True when the page shows a dark theme: JupyterLab and Voilà mark the body
 * data-jp-theme-light="false", VS Code gives it the class vscode-dark, marimo the classes
 * "dark" and "dark-theme" and data-theme="dark".
 */
export function isDarkPage(doc: Document = document): boolean {
  const body = doc.body;
  if (!body) return false;
  return body.getAttribute("data-jp-theme-light") === "false" || body.dataset.theme === "dark"
    || ["dark", "dark-theme", "vscode-dark"].some((c) => body.classList.contains(c));
}

/**
 * Give a widget root the class dlw-dark while its page is dark. The stylesheet's own body
 * selectors cannot see the page from inside a shadow root (marimo mounts each widget in one),
 * so the root carries the host's choice itself; the dark palette (style.css) then applies.
 */
export function markDark(el: Element): void {
  const root = el.closest(".dlw-root") ?? el;
  root.classList.toggle("dlw-dark", isDarkPage(root.ownerDocument));
}

// A theme switch sets body attributes first and loads the new stylesheet after, so the colours
// are read again a few times after each change; the callback fires only when they differ.
const RECHECK_MS = [0, 50, 200, 600, 1500];

/**
 * Call `cb` whenever the theme colours seen by `el` change: JupyterLab switching light/dark
 * (body data-jp-theme-* attributes), a theme stylesheet arriving, or the OS colour scheme
 * changing. Returns a function that stops listening (call it when the view is removed).
 */
export function onThemeChange(el: Element, cb: (theme: Theme) => void): () => void {
  if (typeof document === "undefined" || typeof MutationObserver === "undefined") return () => {};
  const signature = (t: Theme) => `${t.fg}|${t.bg}|${t.muted}|${t.grid}|${t.axis}|${t.accent}`;
  markDark(el);
  let last = signature(readTheme(el));
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const check = () => {
    markDark(el);
    const theme = readTheme(el);
    const now = signature(theme);
    if (now !== last) {
      last = now;
      cb(theme);
    }
  };
  const schedule = () => {
    // restart the series from the latest change (bursts of mutations cost one series)
    for (const id of timers) clearTimeout(id);
    timers.clear();
    for (const ms of RECHECK_MS) {
      const id = setTimeout(() => {
        timers.delete(id);
        check();
      }, ms);
      timers.add(id);
    }
  };
  const observer = new MutationObserver(schedule);
  // JupyterLab marks the body and adds the theme's <link> to it; other hosts use <head>
  if (document.body) {
    observer.observe(document.body, {
      attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "data-theme", "class"], childList: true,
    });
  }
  observer.observe(document.head, { childList: true });
  // a stylesheet that finishes loading (load events do not bubble, so listen while capturing)
  const onLoad = (event: Event) => {
    if (event.target instanceof HTMLLinkElement) schedule();
  };
  document.addEventListener("load", onLoad, true);
  const media = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  media?.addEventListener?.("change", schedule);
  return () => {
    observer.disconnect();
    document.removeEventListener("load", onLoad, true);
    media?.removeEventListener?.("change", schedule);
    for (const id of timers) clearTimeout(id);
    timers.clear();
  };
}
