"""Looking never changes the model: every widget that takes a model leaves it as it was.

Each model has BatchNorm (whose running statistics a training-mode forward would update) and
Dropout (which would draw random numbers in training mode), is in train mode with one module
switched to eval (so a probe must restore each module's own flag, not the root's), and most
hold a module that draws from torch's global RNG in every forward, as a VAE's sampling does.
After each widget is built and used, the state_dict is bit-equal, every ``training`` flag is
the same, no parameter has a gradient, and torch's global RNG state (CUDA's too where there is
a GPU) is where it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import dlwidgets
from dlwidgets import ConvStepper, LatentExplorer, LSTMInspector, ModelSummaryWidget


class Jitter(nn.Module):
    """Draws from torch's global RNG in every forward and adds nothing to its input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.0 * torch.randn_like(x)


class TokenModel(nn.Module):
    """Embedding -> LSTM -> BatchNorm over the features -> Dropout -> per-step head."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 6)
        self.rnn = nn.LSTM(6, 5, batch_first=True)
        self.norm = nn.BatchNorm1d(5)
        self.drop = nn.Dropout(0.5)
        self.jitter = Jitter()
        self.head = nn.Linear(5, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.embed(ids))
        h = self.norm(h.transpose(1, 2)).transpose(1, 2)
        return self.head(self.jitter(self.drop(h)))


class AE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(16, 12), nn.BatchNorm1d(12), nn.ReLU(),
                                     nn.Dropout(0.3), Jitter(), nn.Linear(12, 3))
        self.decoder = nn.Sequential(nn.Linear(3, 12), nn.BatchNorm1d(12), nn.ReLU(),
                                     nn.Dropout(0.3), nn.Linear(12, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def conv_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
                         Jitter(), nn.Conv2d(4, 3, 3), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))


def mlp_model() -> nn.Module:  # no Jitter: the landscape evaluates it under vmap
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(8, 2))


def in_train_mode(model: nn.Module) -> nn.Module:
    """Train mode, one Dropout switched to eval: each module's flag must come back as it was."""
    torch.manual_seed(0)
    model.train()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):  # as if it had seen data
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    next(m for m in model.modules() if isinstance(m, nn.Dropout)).eval()
    return model


def _rng() -> list[bytes]:
    states = [torch.get_rng_state()]
    if torch.cuda.is_available():
        states += torch.cuda.get_rng_state_all()
    return [s.numpy().tobytes() for s in states]


@contextmanager
def unchanged(*models: nn.Module) -> Iterator[None]:
    """Assert the models and torch's global RNG are exactly as before the block."""
    before = [({k: v.detach().cpu().numpy().tobytes() for k, v in m.state_dict().items()},
               [(n, s.training) for n, s in m.named_modules()]) for m in models]
    rng = _rng()
    yield
    for model, (state, flags) in zip(models, before):
        now = {k: v.detach().cpu().numpy().tobytes() for k, v in model.state_dict().items()}
        changed = [k for k in state if now.get(k) != state[k]]
        assert not changed and set(now) == set(state), f"state_dict changed: {changed}"
        moved = [n for (n, was), (_, now_flag) in zip(flags, [(n, s.training) for n, s in
                                                               model.named_modules()])
                 if was != now_flag]
        assert not moved, f"training flags changed: {moved}"
        assert all(p.grad is None for p in model.parameters()), "a gradient was left behind"
    same_rng = _rng() == rng
    assert same_rng, "torch's global RNG state changed"


def test_conv_stepper_from_a_layer_inside_a_model() -> None:
    model = in_train_mode(conv_model())
    x = torch.randn(3, 1, 8, 8)
    with unchanged(model):
        w = ConvStepper.from_layer(model[5], x, model=model, sample=1)
        w.configure(stride=2)
    # what it shows is the layer's input from an eval-mode run (running statistics, no dropout)
    model.eval()
    with torch.no_grad():
        expected = model[:5](x)[1]
    np.testing.assert_allclose(w.image, expected.double().numpy(), rtol=1e-6, atol=1e-6)


def test_lstm_inspector_with_a_comparison_model_and_a_clamp() -> None:
    model = in_train_mode(TokenModel())
    other = in_train_mode(TokenModel())
    ids = torch.tensor([[1, 2, 3, 4, 5, 6, 7]])
    with unchanged(model, other):
        w = LSTMInspector(model, ids, compare=other, gradient=True)
        w.clamp_gate("c", unit=1, value=0.5, start=2)
        w.set_inputs(torch.tensor([[3, 1, 4, 1, 5]]))
    assert w.steps == 5


def test_latent_explorer_and_its_methods() -> None:
    model = in_train_mode(AE())
    x = torch.randn(64, 16)
    with unchanged(model):
        w = LatentExplorer(model, x, np.arange(64) % 3, device="cpu")
        w.select(0, 1, 2)
        w.focus = 3
        w.encode(x[:5])
        w.decode(np.zeros((2, 3)))
        w.interpolate(0, 1, steps=4)
        w.traverse(0, dims=[0], steps=3)
        w.refresh()
    assert w.codes.shape == (64, 3)


@pytest.mark.parametrize("make", [
    lambda m: dlwidgets.summary(m, input_shape=(1, 8, 8)),
    lambda m: ModelSummaryWidget(m, (1, 8, 8)),
], ids=["summary", "summary widget"])
def test_model_summaries(make: Callable[[nn.Module], Any]) -> None:
    model = in_train_mode(conv_model())
    with unchanged(model):
        make(model)


def test_loss_landscape() -> None:
    model = in_train_mode(mlp_model())
    x = torch.randn(48, 4)
    y = (x[:, 0] > 0).long()
    with unchanged(model):
        dlwidgets.loss_landscape(model, (x, y), resolution=5, device="cpu")


def test_playground_lab_and_its_views() -> None:
    model = in_train_mode(mlp_model())
    with unchanged(model):
        pg = dlwidgets.Playground("circles", model=model, features=["x1", "x2", "x1^2", "x2^2"])
        pg.boundary(resolution=9)
        pg.neuron_maps(resolution=5)
        pg.accuracy()
        pg.reset()  # restores the weights it was given, which are these
    assert pg.task == "binary" and pg.network["output_activation"] == "softmax"


def test_unchanged_detects_a_training_mode_forward() -> None:
    """The check itself bites: one training-mode forward changes BatchNorm's statistics."""
    model = in_train_mode(conv_model())
    with pytest.raises(AssertionError, match="state_dict changed"):
        with unchanged(model), torch.no_grad():
            model(torch.randn(2, 1, 8, 8))
    with pytest.raises(AssertionError, match="RNG"):
        with unchanged(model):
            torch.rand(1)
