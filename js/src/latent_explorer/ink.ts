// Theme colours for this widget's canvases: the lib theme read from the widget root once per
// draw (kept in the view state for the draws that follow within the frame), and translucent
// variants of theme colours that never throw on a colour the page gives.

import { parseColor, type RGBA } from "../lib/colour";
import { LIGHT_THEME, readTheme, type Theme } from "../lib/theme";
import type { Explorer } from "./state";

/** Read the theme from the widget root (once per draw) and keep it for this frame's painters. */
export function refreshTheme(x: Explorer): Theme {
  x.s.theme = readTheme(x.root);
  return x.s.theme;
}

/** [r, g, b, a] of a theme colour, or of the light theme's `fallback` field if unreadable. */
export function rgbaOf(css: string, fallback: keyof Theme): RGBA {
  return parseColor(css, parseColor(LIGHT_THEME[fallback]));
}

/** A theme colour at opacity `alpha`: translucent(theme.fg, 0.5, "fg") → "rgba(31,41,51,0.5)". */
export function translucent(css: string, alpha: number, fallback: keyof Theme): string {
  const [r, g, b] = rgbaOf(css, fallback);
  return `rgba(${r},${g},${b},${alpha})`;
}
