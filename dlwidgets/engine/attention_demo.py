"""A tiny transformer whose attention is easy to read: it reverses a sequence of digits.

One attention head over 8 positions (token embedding + learned positions → self-attention →
a linear read-out) must output at step t the digit at step 7 − t. Solving it takes one thing:
each query attends to the mirrored key, so the head's weights form the anti-diagonal. It
trains in about two seconds on one CPU thread; the trained weights ship with the package
(``attention_reversal.npz``) so the demo is the same on every machine.
``python -m dlwidgets.engine.attention_demo`` retrains and rewrites them.
"""

from __future__ import annotations

import pathlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SOURCE = """input 8 tokens
embedding 10 32
positional learned
attention 1
dense 10"""
STEPS = 8
VOCAB = 10
WEIGHTS = pathlib.Path(__file__).resolve().parent / "attention_reversal.npz"


def reversal_model() -> nn.Module:
    """The demo's architecture, untrained (built from the DSL with seed 0)."""
    from ..dsl import build

    return build(SOURCE, seed=0)


def train_reversal(steps: int = 200, seed: int = 0) -> nn.Module:
    """Train the demo from scratch (Adam, batches of 64 random digit strings)."""
    model = reversal_model()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest and reproducible
    try:
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(steps):
            x = torch.randint(0, VOCAB, (64, STEPS), generator=gen)
            loss = F.cross_entropy(model(x).reshape(-1, VOCAB), x.flip(1).reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


def reversal_demo() -> nn.Module:
    """The trained demo model, from the weights shipped with the package."""
    model = reversal_model()
    with np.load(WEIGHTS) as saved:
        model.load_state_dict({k: torch.from_numpy(saved[k]) for k in saved.files})
    return model.eval()


def accuracy(model: nn.Module, n: int = 512, seed: int = 1) -> float:
    """Fraction of digits put in the right place on ``n`` fresh random strings."""
    x = torch.randint(0, VOCAB, (n, STEPS), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return float((model(x).argmax(-1) == x.flip(1)).float().mean())


if __name__ == "__main__":  # pragma: no cover - regenerates the shipped weights
    trained = train_reversal()
    np.savez(WEIGHTS, **{k: v.detach().numpy() for k, v in trained.state_dict().items()})
    print(f"wrote {WEIGHTS} (accuracy {accuracy(trained):.3f})")
