// Colours of the inspector's marks beyond the theme's own: translucent theme colours, and the
// fixed fills of the cell diagram's gate boxes (mid-tone, white-labelled, readable on both
// light and dark backgrounds).

import { parseColor, type RGBA } from "../lib/colour";
import { LIGHT_THEME } from "../lib/theme";

const FALLBACK: RGBA = parseColor(LIGHT_THEME.fg);

/** A theme colour at another opacity ("rgba(r,g,b,a)"); an unreadable CSS value (a host's odd
 *  variable) falls back to the light theme's foreground rather than stopping the draw. */
export function fade(css: string, alpha: number): string {
  const [r, g, b] = parseColor(css, FALLBACK);
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Fill of a sigmoid gate box (σ f, σ i, σ o, σ r, σ z). */
export const SIGMOID_FILL = "#486581";
/** Fill of a tanh / ReLU box. */
export const TANH_FILL = "#7c5e10";
/** Label on a gate box. */
export const BOX_LABEL = "#fff";
