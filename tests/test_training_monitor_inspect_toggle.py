"""The monitor's "inspect layers" box turns per-layer recording on and off during a run: the
message the box sends is handled by the widget, the loop applies it between two steps, the
hooks come off when it is off."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

import dlwidgets
from dlwidgets.widgets.training_monitor import TrainingMonitor
from tests.training_helpers import tiny_data


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.01)


def _hooked(model: nn.Module) -> bool:
    return any(m._forward_hooks for m in model.modules())


def test_the_inspect_box_turns_recording_on_and_off_between_steps() -> None:
    x, y = tiny_data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2))
    monitor = TrainingMonitor()
    history = dlwidgets.fit(model, (x, y), epochs=10_000, batch_size=16, monitor=monitor,
                            block=False, inspect=False)
    try:
        history.pause()
        _wait(lambda: history.status == "paused")
        assert not monitor.inspecting and history.layers == {}
        start = history.step_count
        # what the box sends when it is ticked, through the widget's message handler
        monitor._on_frontend_msg(monitor, {"type": "inspect", "on": True}, [])
        history.resume()
        _wait(lambda: len(history.layers.get("0", {}).get("step", [])) >= 3)
        _wait(lambda: monitor.inspecting and monitor.info.get("layers") == ["0", "2"])
        assert history.inspecting and history.info["activation_layers"] == ["1"]
        steps = history.layers["0"]["step"]
        assert steps[0] > start and np.all(np.diff(steps) >= 1)
        monitor._on_frontend_msg(monitor, {"type": "inspect", "on": False}, [])
        _wait(lambda: not history.inspecting)
        off_at = history.step_count
        assert not _hooked(model)  # hooks are only on while recording
        _wait(lambda: history.step_count > off_at + 20)
        recorded = history.layers["0"]["step"]
        assert recorded.max() <= off_at + 1 and len(recorded) >= 3
        _wait(lambda: not monitor.inspecting)
        # and on again: recording resumes
        monitor._on_frontend_msg(monitor, {"type": "inspect", "on": True}, [])
        _wait(lambda: history.layers["0"]["step"].max() > off_at + 20)
    finally:
        history.stop()
        history.wait(60)
    assert history.status == "stopped" and not _hooked(model)
    np.testing.assert_array_equal(monitor.layers["step"], history.layers["0"]["step"])
    assert all(np.isfinite(history.layers["0"]["grad_norm"]))


def test_fit_with_inspect_starts_with_the_box_ticked_and_can_turn_it_off() -> None:
    x, y = tiny_data()
    monitor = TrainingMonitor()
    history = dlwidgets.fit(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), (x, y),
                            epochs=10_000, batch_size=16, monitor=monitor, block=False,
                            inspect=True, inspect_every=1)
    try:
        _wait(lambda: monitor.inspecting and len(history.layers["0"]["step"]) >= 2)
        monitor.inspect(False)
        _wait(lambda: not history.inspecting)
        off_at = history.step_count
        _wait(lambda: history.step_count > off_at + 10)
        assert history.layers["0"]["step"].max() <= off_at + 1
    finally:
        history.stop()
        history.wait(60)
    # after the run the box does nothing (no training to change)
    monitor._on_frontend_msg(monitor, {"type": "inspect", "on": True}, [])
    assert not history.inspecting
