// The pixel-buffer rasterizer that draws every point (100k+) in one pass, with packed colours
// and a fixed shuffled drawing order.

import type { Transform } from "./geometry";

/** Little-endian RGBA packed in a Uint32 (what a Uint32Array view of ImageData holds). */
export function packColor(r: number, g: number, b: number, a = 255): number {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** A fixed pseudo-random drawing order, so no class always paints over another. */
export function shuffledOrder(n: number, seed = 12345): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Draw n points (interleaved data coordinates xy, colours as packed RGBA) as size × size squares
 * into a pixel buffer of width × height, clipped to the rect [cx0, cx1) × [cy0, cy1). Returns how
 * many points fell inside. Every point is drawn; none is sampled away.
 */
export function rasterize(
  pixels: Uint32Array,
  width: number,
  height: number,
  xy: Float32Array,
  colors: Uint32Array,
  n: number,
  tr: Transform,
  size: number,
  clip: [number, number, number, number] = [0, 0, width, height],
): number {
  const [cx0, cy0, cx1, cy1] = clip;
  const half = size / 2;
  let drawn = 0;
  const { kx, bx, ky, by } = tr;
  for (let i = 0; i < n; i++) {
    const sx = Math.round(kx * xy[2 * i] + bx - half);
    const sy = Math.round(ky * xy[2 * i + 1] + by - half);
    if (sx + size <= cx0 || sy + size <= cy0 || sx >= cx1 || sy >= cy1 || sx !== sx) continue;
    const color = colors[i];
    const xa = sx < cx0 ? cx0 : sx;
    const xb = sx + size > cx1 ? cx1 : sx + size;
    const ya = sy < cy0 ? cy0 : sy;
    const yb = sy + size > cy1 ? cy1 : sy + size;
    for (let y = ya; y < yb; y++) {
      const row = y * width;
      for (let x = xa; x < xb; x++) pixels[row + x] = color;
    }
    drawn++;
  }
  return drawn;
}
