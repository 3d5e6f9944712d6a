"""TrainingMonitor state after real trainings (real threads, real ThrottledPublisher)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

import dlwidgets
from dlwidgets.widgets._arrays import from_wire
from dlwidgets.widgets.training_monitor import TrainingMonitor, encode_delta, records_to_columns
from tests.training_helpers import WAIT, tiny_data, tiny_model, wait_until


def _click(widget: TrainingMonitor, kind: str) -> None:
    """What ipywidgets does with a custom message from the front end."""
    widget._handle_custom_msg({"type": kind}, [])


def test_state_after_training_holds_the_whole_history() -> None:
    x, y = tiny_data()
    monitor = TrainingMonitor("digits run")
    history = dlwidgets.fit(tiny_model(), (x, y), epochs=3, batch_size=16, val_data=(x[:20], y[:20]),
                            monitor=monitor, block=True)
    assert history.monitor is monitor and monitor.history is history
    assert monitor.status == "completed" and "completed 3 epochs (12 steps)" in monitor.message
    assert monitor.run_id == 1
    steps = monitor.steps
    epochs = monitor.epochs
    assert steps["step"].dtype == np.int32 and steps["loss"].dtype == np.float32
    np.testing.assert_array_equal(steps["step"], history.steps["step"])
    np.testing.assert_allclose(steps["loss"], history.steps["loss"], rtol=1e-6)
    np.testing.assert_allclose(steps["accuracy"], history.steps["accuracy"], rtol=1e-6)
    np.testing.assert_allclose(steps["lr"], history.steps["lr"], rtol=1e-6)
    np.testing.assert_array_equal(epochs["epoch"], [1, 2, 3])
    np.testing.assert_allclose(epochs["val_loss"], history.epochs["val_loss"], rtol=1e-6)
    info = monitor.info
    assert info["model"] == "Sequential" and info["total_steps"] == 12
    assert info["parameters"] == sum(p.numel() for p in history.model.parameters())
    assert info["metrics"] == ["accuracy"] and info["has_val"] is True
    assert monitor._publisher is not None and monitor._publisher.errors == []
    assert monitor.deltas_sent >= 1
    assert monitor.export_note() is None
    # everything a view draws is in the exported state, arrays as binary buffers
    state = monitor.get_state()
    assert isinstance(state["steps"]["loss"]["data"], memoryview)


def test_stop_button_stops_training_and_keeps_the_history() -> None:
    x, y = tiny_data()
    monitor = TrainingMonitor()
    history = dlwidgets.fit(tiny_model(), (x, y), epochs=100000, batch_size=8, monitor=monitor,
                            block=False)
    wait_until(lambda: history.step_count >= 5, "5 steps")
    assert "Exported while training" in (monitor.export_note() or "")
    _click(monitor, "stop")
    _click(monitor, "stop")  # twice is harmless
    history.wait(WAIT)
    _click(monitor, "stop")  # and after the end too
    assert history.stop_reason == "stopped"
    wait_until(lambda: monitor.status == "stopped", "stopped status in state")
    steps = monitor.steps
    assert len(steps["step"]) == history.step_count >= 5
    np.testing.assert_allclose(steps["loss"], history.steps["loss"], rtol=1e-6)


def test_pause_and_resume_buttons() -> None:
    x, y = tiny_data()
    monitor = TrainingMonitor()
    history = dlwidgets.fit(tiny_model(), (x, y), epochs=40, batch_size=8, monitor=monitor,
                            block=False)
    wait_until(lambda: history.step_count >= 2, "2 steps")
    _click(monitor, "pause")
    wait_until(lambda: monitor.status == "paused", "paused status in state")
    held = history.step_count
    _click(monitor, "sync")  # a view opened now gets everything so far
    assert len(monitor.steps["step"]) == held
    _click(monitor, "resume")
    history.wait(WAIT)
    assert history.stop_reason == "completed" and history.step_count == 40 * 8
    wait_until(lambda: monitor.status == "completed", "completed status")


def test_divergence_is_marked_in_state() -> None:
    x, y = tiny_data()
    x[20, 0] = float("inf")
    monitor = TrainingMonitor()
    history = dlwidgets.fit(tiny_model(), (x, y), epochs=2, batch_size=8, shuffle=False,
                            monitor=monitor, block=True)
    assert history.stop_reason == "diverged"
    assert monitor.status == "diverged" and monitor.diverged_step == 3
    assert "diverged at step 3" in monitor.message
    assert len(monitor.steps["step"]) == 2


def test_error_in_training_shows_in_state_and_raises_when_blocking() -> None:
    class Fails(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 2)
            self.calls = 0

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.calls += 1
            if self.calls > 3:
                raise RuntimeError("out of memory (pretend)")
            return self.lin(x)

    monitor = TrainingMonitor()
    with pytest.raises(RuntimeError, match="pretend"):
        dlwidgets.fit(Fails(), tiny_data(), epochs=2, batch_size=8, monitor=monitor, block=True)
    assert monitor.status == "error" and "training failed at step 3" in monitor.message


def test_a_monitor_is_reused_for_a_new_run_and_a_rerun_replaces_the_old() -> None:
    x, y = tiny_data()
    model = tiny_model()
    first_monitor, second_monitor = TrainingMonitor(), TrainingMonitor()
    first = dlwidgets.fit(model, (x, y), epochs=100000, monitor=first_monitor, block=False)
    wait_until(lambda: first.step_count >= 2, "first run")
    second = dlwidgets.fit(model, (x, y), epochs=1, monitor=second_monitor, block=True)
    assert first.stop_reason == "replaced" and second.stop_reason == "completed"
    wait_until(lambda: first_monitor.status == "replaced", "replaced status")
    assert "new training" in first_monitor.message
    again = dlwidgets.fit(model, (x, y), epochs=2, monitor=second_monitor, block=True)
    assert second_monitor.run_id == 2 and second_monitor.history is again
    assert len(second_monitor.epochs["epoch"]) == 2


def test_outside_a_notebook_fit_blocks_and_shows_no_monitor() -> None:
    history = dlwidgets.fit(tiny_model(), tiny_data(), epochs=1)
    assert history.monitor is None and history.stop_reason == "completed"
    assert "History(completed; 1/1 epochs, 2 steps" in repr(history)
    with pytest.raises(ValueError, match="monitor must be"):
        dlwidgets.fit(tiny_model(), tiny_data(), monitor="yes")


def test_delta_encoding_round_trips() -> None:
    records = [
        {"kind": "status", "status": "running", "message": "", "time": 0.0, "step": 0},
        {"kind": "step", "step": 1, "epoch": 1, "loss": 0.5, "lr": 0.1, "time": 0.01},
        {"kind": "step", "step": 2, "epoch": 1, "loss": 0.25, "lr": 0.1, "grad_norm": 3.0,
         "time": 0.02},
        {"kind": "epoch", "epoch": 1, "step": 2, "loss": 0.375, "lr": 0.1, "time": 0.03},
    ]
    encoded = encode_delta(4, 10, records)
    assert encoded is not None
    content, buffers = encoded
    assert content["run"] == 4 and content["start"] == 10
    assert content["buffer_paths"] == [["steps", "data"], ["epochs", "data"]]
    steps = from_wire({**content["steps"], "data": buffers[0]})
    assert content["steps"]["columns"] == ["step", "epoch", "loss", "lr", "time", "grad_norm"]
    np.testing.assert_array_equal(steps[:, 0], [1, 2])
    np.testing.assert_array_equal(steps[:, 2], [0.5, 0.25])
    assert math.isnan(steps[0, 5]) and steps[1, 5] == 3.0
    epochs = from_wire({**content["epochs"], "data": buffers[1]})
    assert epochs[0, content["epochs"]["columns"].index("loss")] == 0.375
    assert encode_delta(1, 0, records[:1]) is None  # a status change alone carries no rows


def test_column_store_grows_and_fills_missing_values_with_nan() -> None:
    rows = [{"kind": "step", "step": i, "loss": float(i)} for i in range(1, 101)]
    rows[50]["grad_norm"] = 2.0
    state = records_to_columns(rows, "step")
    assert state["step"].dtype == np.int32
    np.testing.assert_array_equal(state["loss"], np.arange(1, 101, dtype=np.float32))
    norms = state["grad_norm"]
    assert norms[50] == 2.0 and np.isnan(np.delete(norms, 50)).all()
    assert records_to_columns([], "step") == {}


def test_smoothing_is_validated() -> None:
    monitor = TrainingMonitor()
    monitor.smoothing = 0.9
    with pytest.raises(Exception, match="smoothing must be in"):
        monitor.smoothing = 1.0
