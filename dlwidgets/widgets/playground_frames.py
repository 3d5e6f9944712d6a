"""What the Playground sends the page besides weights: quantised grids, the loss curves, and the
recording an exported page replays with no kernel."""

from __future__ import annotations

from typing import Any

import numpy as np

#: Frames kept in the recording an exported page replays.
MAX_RECORDING = 300
#: Rows of the loss curves sent (a long run: evenly spaced, the last one always).
MAX_CURVE_ROWS = 2000


def quantise(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``values`` over [lo, hi] as 0 … 255 (uint8), for the grids of models the browser
    cannot evaluate."""
    span = hi - lo if hi > lo else 1.0
    return np.clip(np.rint((values - lo) / span * 255), 0, 255).astype(np.uint8)


def curves_empty() -> dict[str, np.ndarray]:
    return {k: np.zeros(0, np.float32) for k in ("epoch", "train_loss", "test_loss")}


def curves(rows: list[tuple[float, float, float]]) -> dict[str, np.ndarray]:
    """(epoch, train loss, test loss) rows as the ``curves`` trait's columns."""
    if not rows:
        return curves_empty()
    if len(rows) > MAX_CURVE_ROWS:
        index = np.unique(np.linspace(0, len(rows) - 1, MAX_CURVE_ROWS).round().astype(int))
        rows = [rows[i] for i in index]
    arr = np.array(rows, np.float32)
    return {"epoch": arr[:, 0], "train_loss": arr[:, 1], "test_loss": arr[:, 2]}


class Recording:
    """The frames of a lab's runs kept for replay: every ``every``-th frame, halving the pace
    (and the frames kept) whenever 2 · MAX_RECORDING pile up, and the latest frame always."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.every = 1
        self.seen = 0
        self.last: dict[str, Any] | None = None

    def add(self, entry: dict[str, Any]) -> None:
        """A frame: ``step``, ``train_loss``, ``test_loss`` and its ``weights`` (or ``grid``
        and ``grid_range``)."""
        if self.frames and self.frames[-1]["step"] == entry["step"]:
            self.frames[-1] = entry
        elif self.seen % self.every == 0:
            self.frames.append(entry)
            if len(self.frames) >= 2 * MAX_RECORDING:
                self.frames = self.frames[::2]
                self.every *= 2
        self.seen += 1
        self.last = entry

    def export(self, steps_per_epoch: int, browser: bool) -> dict[str, Any]:
        """At most MAX_RECORDING frames, evenly spaced, the first and the last included, as the
        ``recording`` trait's arrays (weights, or grids and their ranges)."""
        frames = list(self.frames)
        if self.last is not None and (not frames or frames[-1]["step"] != self.last["step"]):
            frames.append(self.last)
        if not frames:
            return {}
        if len(frames) > MAX_RECORDING:
            index = np.unique(np.linspace(0, len(frames) - 1, MAX_RECORDING).round().astype(int))
            frames = [frames[i] for i in index]
        out: dict[str, Any] = {
            "steps": np.array([f["step"] for f in frames], np.int32),
            "epochs": np.array([f["step"] / steps_per_epoch for f in frames], np.float32),
            "train_loss": np.array([f["train_loss"] for f in frames], np.float32),
            "test_loss": np.array([f["test_loss"] for f in frames], np.float32)}
        if browser:
            out["weights"] = np.stack([f["weights"] for f in frames]).astype(np.float32)
        else:
            out["grids"] = np.stack([f["grid"] for f in frames])
            out["grid_ranges"] = np.array([f["grid_range"] for f in frames], np.float32)
        return out
