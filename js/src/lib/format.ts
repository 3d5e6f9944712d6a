// Number formatting for readouts: enough digits to be exact-looking, never "NaN" garbage.

export function formatNumber(value: number, digits = 4): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+∞";
  if (value === -Infinity) return "−∞";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  let text: string;
  if (abs >= 1e5 || abs < 1e-4) text = value.toExponential(Math.max(0, digits - 1));
  else text = Number(value.toPrecision(digits)).toString();
  return text.replace("-", "−");
}

/** Index of the grid point nearest to v on an evenly spaced grid [lo, hi] of n points. */
export function nearestIndex(v: number, lo: number, hi: number, n: number): number {
  if (n <= 1 || hi === lo) return 0;
  const i = Math.round(((v - lo) / (hi - lo)) * (n - 1));
  return Math.max(0, Math.min(n - 1, i));
}
