"""Small data, model and polling helpers shared by the training engine and monitor tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn

WAIT = 60.0  # generous upper bound for polling; never a timing assertion


def tiny_data(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded two-class problem: 3 features, label = sign of the first."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    return x, (x[:, 0] > 0).long()


def tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2))


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Poll ``predicate`` until true; fail after WAIT seconds naming ``what``."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)
