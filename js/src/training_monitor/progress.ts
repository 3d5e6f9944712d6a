// Progress arithmetic: where the step axis ends while a run grows, time left, durations.

/** Right end of the step axis: grows with the run (a little ahead of it) while training, so
 * the curves are not squeezed into the left edge of a long run; the last step once it ended. */
export function stepAxisEnd(lastStep: number, total: number | null | undefined, stepsPerEpoch: number | null | undefined, active: boolean): number {
  const last = Math.max(1, lastStep);
  if (!active) return last;
  const ahead = Math.max(Math.ceil(last * 1.2), stepsPerEpoch || 1, last + 1);
  return total && total > 0 ? Math.min(total, ahead) : ahead;
}

/** Seconds left at the pace so far, or null when it cannot be known yet. */
export function etaSeconds(done: number, total: number | null | undefined, elapsed: number): number | null {
  if (!total || total <= 0 || !(done > 0) || !(elapsed >= 0)) return null;
  if (done >= total) return 0;
  return (elapsed / done) * (total - done);
}

/** 75 → "1:15", 3725 → "1:02:05", null → "—". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = s % 60;
  const two = (v: number) => String(v).padStart(2, "0");
  return hours > 0 ? `${hours}:${two(minutes)}:${two(secs)}` : `${minutes}:${two(secs)}`;
}
