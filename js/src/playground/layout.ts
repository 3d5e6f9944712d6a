// The view's elements: toolbar, plane, network diagram (with its zoom box), loss curves, the
// control panel and the replay bar. The widget's own styles go in a <style> inside its root.

import { createSurface } from "../lib/canvas";
import { h, widgetRoot } from "../lib/dom";
import { createTooltip } from "../lib/tooltip";
import { CURVES_SIZE } from "./curves";
import { ZOOM } from "./network";
import { REGIONS_SIZE } from "./regions";
import type { Elements } from "./state";

const CSS = `
.dlw-playground { display: block; }
.dlw-playground .dlw-pg-main { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
.dlw-playground .dlw-pg-net { position: relative; }
.dlw-playground .dlw-pg-zoom { position: absolute; display: none; z-index: 5; pointer-events: none;
  background: var(--dlw-panel); border: 1px solid var(--dlw-border); border-radius: 4px; padding: 4px; }
.dlw-playground .dlw-pg-zoom .dlw-muted { font-size: 11px; max-width: ${ZOOM}px; }
.dlw-playground .dlw-pg-side { display: flex; flex-direction: column; gap: 8px; }
.dlw-playground .dlw-pg-panel { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
  gap: 6px 16px; margin-top: 10px; max-width: 1100px; }
.dlw-playground .dlw-pg-field { display: flex; align-items: center; gap: 6px; color: var(--dlw-muted); flex-wrap: wrap; }
.dlw-playground .dlw-pg-label { min-width: 7em; color: var(--dlw-muted); }
.dlw-playground .dlw-pg-field input[type="number"], .dlw-playground .dlw-pg-display input[type="number"] { width: 7em; }
.dlw-playground .dlw-pg-field input[type="range"] { width: 110px; }
.dlw-playground .dlw-pg-features label, .dlw-playground .dlw-pg-display label { margin-right: 8px; display: inline-flex; gap: 3px; align-items: center; }
.dlw-playground .dlw-pg-features { grid-column: span 2; }
.dlw-playground .dlw-pg-layers { grid-column: span 2; display: flex; flex-direction: column; gap: 4px; }
.dlw-playground .dlw-pg-layers .dlw-button { padding: 1px 8px; margin-left: 4px; }
.dlw-playground .dlw-pg-display { grid-column: 1 / -1; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
.dlw-playground .dlw-pg-status-diverged, .dlw-playground .dlw-pg-status-error { color: var(--dlw-bad); font-weight: 600; }
.dlw-playground .dlw-pg-status-running { color: var(--dlw-good); }
.dlw-playground .dlw-pg-warning { color: var(--dlw-accent-2); }
.dlw-playground .dlw-pg-replay:empty { display: none; }
`;

export function buildLayout(el: HTMLElement): Elements {
  const root = widgetRoot(el, "playground");
  root.appendChild(h("style", { "data-dlw-playground": "" }, [CSS]));
  const regions = createSurface(REGIONS_SIZE.width, REGIONS_SIZE.height, "dlw-canvas dlw-pg-regions");
  const network = createSurface(300, 300, "dlw-canvas dlw-pg-network");
  network.canvas.style.cursor = "default";
  const curves = createSurface(CURVES_SIZE.width, CURVES_SIZE.height, "dlw-canvas dlw-pg-curves");
  curves.canvas.style.cursor = "default";
  const zoom = createSurface(ZOOM, ZOOM, "dlw-canvas dlw-pg-zoom-canvas");
  const zoomCaption = h("div", { class: "dlw-muted" });
  const zoomBox = h("div", { class: "dlw-pg-zoom" }, [zoom.canvas, zoomCaption]);
  const epoch = h("span", { class: "dlw-readout dlw-pg-epoch" });
  const status = h("span", { class: "dlw-pg-status" });
  const error = h("div", { class: "dlw-error dlw-pg-error", role: "alert" });
  const warning = h("div", { class: "dlw-pg-warning" });
  const hint = h("div", { class: "dlw-muted dlw-pg-hint" });
  const toolbar = h("div", { class: "dlw-toolbar dlw-pg-toolbar" });
  const controls = h("div", { class: "dlw-pg-panel" });
  const replay = h("div", { class: "dlw-pg-replay" });
  root.append(
    h("div", { class: "dlw-title", text: "Playground" }),
    toolbar,
    replay,
    error,
    warning,
    h("div", { class: "dlw-pg-main" }, [
      h("div", { class: "dlw-pg-side" }, [h("div", { class: "dlw-pg-net" }, [network.canvas, zoomBox]), curves.canvas]),
      h("div", {}, [regions.canvas]),
    ]),
    hint,
    controls,
  );
  const tooltip = createTooltip(root);
  return { root, regions, network, curves, zoom, zoomBox, zoomCaption, epoch, status, error, warning, hint, controls, toolbar, replay, tooltip };
}
