"""LSTMInspector(gradient="auto") budgets the gradient through time by what it costs (one
backward pass per output unit through every step: T·H³), so a wide layer stays quick."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from dlwidgets import LSTMInspector
from dlwidgets.widgets.lstm_inspector import GRADIENT_AUTO_BUDGET, gradient_cost


def test_cost_grows_with_t_times_h_cubed() -> None:
    small, wide = nn.LSTM(3, 64), nn.LSTM(3, 128)
    assert gradient_cost(wide, 100) == 8 * gradient_cost(small, 100)
    assert gradient_cost(small, 200) == 2 * gradient_cost(small, 100)
    assert gradient_cost(nn.LSTM(3, 64, num_layers=2, bidirectional=True), 100) == \
        4 * gradient_cost(small, 100)
    assert gradient_cost(nn.GRU(3, 64), 100) * 4 == gradient_cost(small, 100) * 3


@pytest.mark.parametrize("hidden", [512, 1024])
def test_a_wide_lstm_is_inspected_quickly_without_the_gradient(hidden: int) -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(3, hidden)
    started = time.perf_counter()
    w = LSTMInspector(lstm, torch.randn(100, 3))
    elapsed = time.perf_counter() - started
    assert w.gradient_norms is None
    assert "gradient=True" in w.info["gradient_note"]
    assert gradient_cost(lstm, 100) > GRADIENT_AUTO_BUDGET
    # computing it took 53 s (hidden 512) and minutes (1024); the trace alone is well under 1 s
    assert elapsed < 20, f"{elapsed:.1f} s"


def test_a_small_lstm_still_gets_its_gradient() -> None:
    w = LSTMInspector(nn.LSTM(3, 16), torch.randn(200, 3))
    assert w.gradient_norms is not None and w.gradient_norms.shape[-1] == 200
