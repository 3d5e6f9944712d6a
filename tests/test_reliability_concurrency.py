"""Two things that share a model or a monitor while training runs: a second fit on a monitor
that still shows a running one is refused (no interleaved curves), and summary() of a model
training in the background works on a copy, never switching the training model to eval mode."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import dlwidgets
from tests.training_helpers import tiny_data, tiny_model, wait_until


class ModeRecorder(nn.Module):
    """A small classifier that records, for every forward, (batch size, training flag)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 2))
        self.seen: list[tuple[int, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append((int(x.shape[0]), self.training))
        return self.net(x)


def test_a_monitor_refuses_a_second_fit_while_the_first_runs() -> None:
    x, y = tiny_data()
    monitor = dlwidgets.TrainingMonitor()
    first = dlwidgets.fit(tiny_model(), (x, y), epochs=100000, batch_size=8, monitor=monitor,
                          block=False)
    try:
        wait_until(lambda: first.step_count >= 2, "the first training to run")
        with pytest.raises(RuntimeError, match="still running.*one training at a time"):
            dlwidgets.fit(tiny_model(1), (x, y), epochs=1, monitor=monitor, block=False)
        assert monitor.history is first and first.running
    finally:
        first.stop()
        first.wait(60)
    steps = first.steps["step"]
    assert np.all(np.diff(steps) == 1), "one training's steps, in order"
    # once it has ended, the monitor takes the next training
    second = dlwidgets.fit(tiny_model(1), (x, y), epochs=1, batch_size=16, monitor=monitor,
                           block=True)
    assert monitor.history is second and second.status == "completed"


def test_summary_of_a_model_training_in_the_background_leaves_it_training() -> None:
    x, y = tiny_data(256)
    model = ModeRecorder()
    history = dlwidgets.fit(model, (x, y), epochs=100000, batch_size=16, monitor=False,
                            block=False)
    try:
        wait_until(lambda: history.step_count >= 2, "training to run")
        for _ in range(20):
            info = dlwidgets.summary(model, (3,))
            assert info.output_shape == (2,)
        wait_until(lambda: history.step_count >= 40, "more steps")
    finally:
        history.stop()
        history.wait(60)
    batches = [training for n, training in model.seen if n == 16]
    assert len(batches) >= 40 and all(batches), \
        f"{batches.count(False)} of {len(batches)} training steps ran in eval mode"
    assert all(n in (2, 16) for n, _ in model.seen), "the summary's probes ran on a copy"
    assert model.training


def test_summary_of_an_idle_model_still_probes_it_and_restores_its_mode() -> None:
    model = ModeRecorder()
    model.train()
    dlwidgets.summary(model, (3,))
    assert model.training and model.seen and model.seen[-1] == (2, False)
