// HiDPI canvas: drawn in CSS pixels, backed by devicePixelRatio device pixels so text is sharp.

export interface Surface {
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  width: number;
  height: number;
  resize(width: number, height: number): void;
}

export function createSurface(width: number, height: number, className = "dlw-canvas"): Surface {
  const canvas = document.createElement("canvas");
  canvas.className = className;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("this browser cannot draw on a 2-D canvas");
  const surface: Surface = {
    canvas,
    ctx,
    width,
    height,
    resize(w: number, hgt: number) {
      const ratio = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
      surface.width = w;
      surface.height = hgt;
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(hgt * ratio);
      // drawn at w × hgt CSS px; the stylesheet may show it narrower (max-width: 100%), and
      // the aspect ratio keeps its height in proportion then
      canvas.style.width = `${w}px`;
      canvas.style.height = "auto";
      canvas.style.aspectRatio = `${w} / ${hgt}`;
      canvas.dataset.dlwHeight = String(hgt);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    },
  };
  surface.resize(width, height);
  return surface;
}

/**
 * Pointer position in the canvas' drawing coordinates (the CSS pixels it was sized to). A canvas
 * narrower than its drawing (the stylesheet caps canvases at their container's width, so a
 * narrow output area shows them scaled down) maps the pointer back to the drawing's scale.
 */
export function pointerPosition(canvas: HTMLCanvasElement, event: MouseEvent): [number, number] {
  const rect = canvas.getBoundingClientRect();
  const drawn = Number.parseFloat(canvas.style.width);
  const scale = drawn > 0 && rect.width > 0 ? drawn / rect.width : 1;
  return [(event.clientX - rect.left) * scale, (event.clientY - rect.top) * scale];
}
