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


# -- distributed runs (tests/test_fit_ddp.py, tests/test_fit_fabric.py) ---------------------------

DDP_N, DDP_BATCH, DDP_EPOCHS, DDP_LR = 52, 6, 2, 0.2


def ddp_data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(DDP_N, 4, generator=g)
    return x, (x[:, 0] - x[:, 1] > 0).long()


def ddp_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def union_sgd(world: int) -> tuple[nn.Module, int]:
    """Single-process SGD on the union of the ranks' batches, step by step: what DDP over
    ``world`` ranks must equal. Returns the trained model and the number of steps."""
    import torch.nn.functional as F

    from dlwidgets.engine.datasets import epoch_permutation, shard_indices

    x, y = ddp_data()
    reference = ddp_model()
    opt = torch.optim.SGD(reference.parameters(), lr=DDP_LR)
    steps = 0
    for epoch in range(DDP_EPOCHS):
        order = epoch_permutation(DDP_N, 0, epoch)
        shards = [shard_indices(order, r, world) for r in range(world)]
        for start in range(0, len(shards[0]), DDP_BATCH):
            idx = torch.cat([s[start:start + DDP_BATCH] for s in shards])
            opt.zero_grad()
            F.cross_entropy(reference(x[idx]), y[idx]).backward()
            opt.step()
            steps += 1
    return reference, steps
