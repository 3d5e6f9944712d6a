// One frame: read the theme, clear the canvas and draw the current view.

import { readTheme } from "../lib/theme";
import { drawConv } from "./conv_view";
import { drawPool } from "./pool_view";
import { viewOf, type Stepper } from "./state";
import { drawTransposed } from "./transposed_view";

/** Read the page colours for this draw; cached grids drawn in other colours are dropped. */
function takeTheme(s: Stepper) {
  const st = s.state;
  st.theme = readTheme(s.ui.root);
  const key = [st.theme.bg, st.theme.fg, st.theme.muted, st.theme.monoFont].join("|");
  if (key !== st.themeKey) {
    st.themeKey = key;
    st.cache = new Map();
    st.result.key = "";
  }
}

function paint(s: Stepper, now: number) {
  const { ctx, width, height } = s.surface;
  const st = s.state;
  takeTheme(s);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = st.theme.bg;
  ctx.fillRect(0, 0, width, height);
  st.drawn++;
  s.ui.root.dataset.draws = String(st.drawn);
  if (!st.trace || !st.geom) return;
  const v = viewOf(s);
  if (v === "pool" && st.geom.pool && st.trace.pool_output) drawPool(s, ctx);
  else if (v === "transposed") drawTransposed(s, ctx, now);
  else drawConv(s, ctx, now);
}

/** Draw a frame and keep the moving average of its cost in data-draw-ms (read by the browser test). */
export function draw(s: Stepper, now: number = performance.now()) {
  const t0 = performance.now();
  paint(s, now);
  const st = s.state;
  st.drawMs = st.drawn <= 1 ? performance.now() - t0 : 0.9 * st.drawMs + 0.1 * (performance.now() - t0);
  s.ui.root.dataset.drawMs = st.drawMs.toFixed(3);
}
