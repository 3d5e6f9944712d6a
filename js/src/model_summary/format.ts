// Number, byte and shape formats of the summary, and the training-memory estimate.

/** "1234567" -> "1,234,567". */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return "?";
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Bytes in binary units, as the Python text summary writes them. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || n < 0 || !Number.isFinite(n)) return "?";
  let value = n;
  for (const unit of ["B", "KiB", "MiB", "GiB", "TiB"]) {
    if (value < 1024 || unit === "TiB") return unit === "B" ? `${Math.round(value)} B` : `${value.toFixed(1)} ${unit}`;
    value /= 1024;
  }
  return `${value.toFixed(1)} TiB`;
}

export function formatShape(shape: number[] | null | undefined): string {
  if (!shape) return "?";
  return shape.length ? shape.join("×") : "scalar";
}

/** Training memory estimate: weights + gradients + optimizer moments + buffers + activations
 * kept for backward and their gradients (the same formula as dlwidgets.dsl.summarize). */
export function trainingBytes(
  paramBytes: number,
  bufferBytes: number,
  activationBytes: number,
  batch: number,
  adamStates = 2,
): number | null {
  if (activationBytes < 0) return null;
  return paramBytes * (2 + adamStates) + bufferBytes + 2 * batch * activationBytes;
}
