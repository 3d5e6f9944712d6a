// Geometry of the stacked heatmaps (one block per recorded array, units down, time across) and
// hit testing; pure, so that the layout the canvas advertises can be tested.

export interface HeatLayout {
  left: number;
  top: number;
  cellW: number;
  cellH: number;
  blockH: number;
  gap: number;
  axisH: number;
  width: number;
  height: number;
  names: string[];
  units: number[];
  steps: number;
}

/** Geometry of the stacked heatmaps (one block per array, units down, time across). */
export function heatLayout(names: string[], units: number[], steps: number, maxWidth = 560, left = 64): HeatLayout {
  const cellW = Math.max(1, Math.min(16, Math.floor((maxWidth - left - 8) / Math.max(1, steps))));
  const maxUnits = Math.max(1, ...units);
  const cellH = Math.max(1, Math.min(6, Math.floor(64 / maxUnits)));
  const gap = 16;
  const top = 4;
  const blockH = maxUnits * cellH;
  const axisH = cellW >= 7 ? 20 : 16;
  const height = top + names.length * (blockH + gap) + axisH;
  // at least wide enough for the block labels ("forget gate f (σ)  [0, 1]") of a short sequence
  const width = Math.max(left + steps * cellW + 8, 340);
  return { left, top, cellW, cellH, blockH, gap, axisH, width, height, names, units, steps };
}

/** y of the first cell row of a block (a label line of gap − 2 px sits above it). */
export function blockTop(layout: HeatLayout, block: number): number {
  return layout.top + block * (layout.blockH + layout.gap) + (layout.gap - 2);
}

/** Which block, step and unit lie under (x, y), or null. */
export function cellAt(layout: HeatLayout, x: number, y: number): { block: number; t: number; unit: number } | null {
  if (x < layout.left || x >= layout.left + layout.steps * layout.cellW) return null;
  const t = Math.floor((x - layout.left) / layout.cellW);
  if (y < layout.top) return null;
  const block = Math.floor((y - layout.top) / (layout.blockH + layout.gap));
  if (block >= layout.names.length) return null;
  const row = Math.floor((y - blockTop(layout, block)) / layout.cellH);
  if (row < 0 || row >= layout.units[block]) return null;
  return { block, t, unit: row };
}
