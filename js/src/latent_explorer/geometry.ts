// Pixel geometry of the scatter: the data rectangle shown, its affine map to pixels, zoom, pan,
// the lattice cells over the view, hit testing and resampling a drawn path.

/** The data-space rectangle shown in the plot area. */
export interface View {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** A view holding every point with a 5 % margin (or [-1, 1] when there are none). */
export function fitView(proj: ArrayLike<number>, n: number): View {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = proj[2 * i];
    const y = proj[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (!Number.isFinite(x0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  const px = x1 - x0 > 1e-12 ? 0.05 * (x1 - x0) : 1;
  const py = y1 - y0 > 1e-12 ? 0.05 * (y1 - y0) : 1;
  return { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
}

/** Affine map data → pixels of a plot rect: sx = kx·x + bx, sy = ky·y + by (y up). */
export interface Transform {
  kx: number;
  bx: number;
  ky: number;
  by: number;
}

export function transformFor(view: View, left: number, top: number, width: number, height: number): Transform {
  const kx = width / (view.x1 - view.x0);
  const ky = -height / (view.y1 - view.y0);
  return { kx, bx: left - kx * view.x0, ky, by: top - ky * view.y1 };
}

export function invert(tr: Transform, sx: number, sy: number): [number, number] {
  return [(sx - tr.bx) / tr.kx, (sy - tr.by) / tr.ky];
}

/** Zoom by `factor` (>1 zooms in) keeping the data point at fractions (fx, fy) of the rect fixed. */
export function zoomView(view: View, fx: number, fy: number, factor: number): View {
  const cx = view.x0 + fx * (view.x1 - view.x0);
  const cy = view.y1 - fy * (view.y1 - view.y0);
  const w = (view.x1 - view.x0) / factor;
  const hgt = (view.y1 - view.y0) / factor;
  return { x0: cx - fx * w, x1: cx + (1 - fx) * w, y1: cy + fy * hgt, y0: cy - (1 - fy) * hgt };
}

/** Move the view so content follows a drag of (dx, dy) pixels over a rect of width × height. */
export function panView(view: View, dx: number, dy: number, width: number, height: number): View {
  const ux = (dx / width) * (view.x1 - view.x0);
  const uy = (dy / height) * (view.y1 - view.y0);
  return { x0: view.x0 - ux, x1: view.x1 - ux, y0: view.y0 + uy, y1: view.y1 + uy };
}

/** Centres of an n × n lattice over the view, row-major, top row first (as grid_points). */
export function latticeCells(view: View, n: number): Float64Array {
  const out = new Float64Array(n * n * 2);
  const dx = (view.x1 - view.x0) / n;
  const dy = (view.y1 - view.y0) / n;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      out[2 * (r * n + c)] = view.x0 + (c + 0.5) * dx;
      out[2 * (r * n + c) + 1] = view.y1 - (r + 0.5) * dy;
    }
  }
  return out;
}
/** Index of the point nearest to pixel (sx, sy) within maxDist pixels, or −1. */
export function nearestPoint(proj: Float32Array, n: number, tr: Transform, sx: number, sy: number, maxDist: number): number {
  let best = -1;
  let bestD = maxDist * maxDist;
  for (let i = 0; i < n; i++) {
    const dx = tr.kx * proj[2 * i] + tr.bx - sx;
    const dy = tr.ky * proj[2 * i + 1] + tr.by - sy;
    const d2 = dx * dx + dy * dy;
    if (d2 <= bestD) {
      bestD = d2;
      best = i;
    }
  }
  return best;
}

/** k points evenly spaced by arc length along a polyline [x0, y0, x1, y1, ...]. */
export function resamplePath(points: ArrayLike<number>, k: number): Float64Array {
  const m = Math.floor(points.length / 2);
  const out = new Float64Array(2 * k);
  if (m === 0) return out;
  const cum = new Float64Array(m);
  for (let i = 1; i < m; i++) {
    cum[i] = cum[i - 1] + Math.hypot(points[2 * i] - points[2 * i - 2], points[2 * i + 1] - points[2 * i - 1]);
  }
  const total = cum[m - 1];
  let seg = 1;
  for (let s = 0; s < k; s++) {
    const target = k === 1 ? 0 : (total * s) / (k - 1);
    while (seg < m - 1 && cum[seg] < target) seg++;
    if (m === 1 || total === 0) {
      out[2 * s] = points[0];
      out[2 * s + 1] = points[1];
      continue;
    }
    const a = seg - 1;
    const span = cum[seg] - cum[a];
    const t = span > 0 ? Math.min(1, Math.max(0, (target - cum[a]) / span)) : 0;
    out[2 * s] = points[2 * a] + t * (points[2 * seg] - points[2 * a]);
    out[2 * s + 1] = points[2 * a + 1] + t * (points[2 * seg + 1] - points[2 * a + 1]);
  }
  return out;
}
