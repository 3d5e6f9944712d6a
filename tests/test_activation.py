"""Activation explorer: curves equal PyTorch's functions, derivatives equal the analytic ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import traitlets

from dlwidgets import ActivationExplorer
from dlwidgets.engine.activations import ACTIVATIONS, activation_curve

X = np.linspace(-4, 4, 81)


def _torch(fn, x=X):  # type: ignore[no-untyped-def]
    return fn(torch.tensor(x, dtype=torch.float64)).numpy()


def _sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


REFERENCE = {
    # name: (function through torch.nn.functional / torch, derivative written by hand)
    "sigmoid": (torch.sigmoid, lambda x: _sig(x) * (1 - _sig(x))),
    "tanh": (torch.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (F.relu, lambda x: (x > 0).astype(float)),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.01), lambda x: np.where(x > 0, 1.0, 0.01)),
    "elu": (F.elu, lambda x: np.where(x > 0, 1.0, np.exp(x))),
    "gelu": (F.gelu, lambda x: 0.5 * (1 + np.vectorize(__import__("math").erf)(x / np.sqrt(2)))
             + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)),
    "silu": (F.silu, lambda x: _sig(x) * (1 + x * (1 - _sig(x)))),
    "softplus": (F.softplus, _sig),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_equal_torch_and_derivatives_equal_the_analytic_formula(name: str) -> None:
    fn, deriv = REFERENCE[name]
    y, dy = activation_curve(name, X)
    np.testing.assert_allclose(y, _torch(fn), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dy, deriv(X), rtol=1e-9, atol=1e-9)


def test_softmax_first_output_and_its_derivative() -> None:
    y, dy = activation_curve("softmax", X, other_logits=(1.0, 0.0))
    logits = np.stack([X, np.ones_like(X), np.zeros_like(X)], axis=1)
    p = torch.softmax(torch.tensor(logits), dim=1)[:, 0].numpy()
    np.testing.assert_allclose(y, p, atol=1e-12)
    np.testing.assert_allclose(dy, p * (1 - p), atol=1e-12)  # ∂p1/∂z1 = p1 (1 − p1)


def test_widget_state_holds_every_curve_as_binary_float32() -> None:
    w = ActivationExplorer("gelu", x_range=(-3, 3), points=61)
    assert set(w.curves) == set(ACTIVATIONS)
    for entry in w.get_state()["curves"].values():
        assert entry["y"]["dtype"] == "float32" and entry["y"]["shape"] == [61]
        assert isinstance(entry["y"]["data"], memoryview)
    x, y, dy = w.values()
    np.testing.assert_allclose(y, F.gelu(torch.tensor(x, dtype=torch.float64)).numpy(), atol=1e-6)


def test_changing_a_parameter_recomputes_that_curve_with_torch() -> None:
    w = ActivationExplorer("leaky_relu")
    w.negative_slope = 0.2
    x, y, dy = w.values("leaky_relu")
    np.testing.assert_allclose(y, F.leaky_relu(torch.tensor(x), 0.2).numpy(), atol=1e-6)
    np.testing.assert_allclose(dy[x < 0], 0.2, atol=1e-7)
    w.alpha = 2.0
    x, y, _ = w.values("elu")
    np.testing.assert_allclose(y, F.elu(torch.tensor(x), 2.0).numpy(), atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activation": "relu6"}, r"activation='relu6' is not known; choose one of: sigmoid"),
        ({"x_range": (3, -3)}, r"x_range must be two finite numbers with min < max"),
        ({"points": 5}, r"points must be between 11 and 20001, got 5"),
        ({"negative_slope": -1}, r"negative_slope must be in \[0, 1\], got -1"),
        ({"alpha": 0}, r"alpha must be in \(0, 10\], got 0"),
    ],
)
def test_bad_arguments_say_what_is_allowed(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ActivationExplorer(**kwargs)


def test_bad_trait_values_from_the_front_end_are_refused() -> None:
    w = ActivationExplorer()
    with pytest.raises(traitlets.TraitError, match="not known"):
        w.activation = "swish2"
    with pytest.raises(traitlets.TraitError, match="negative_slope"):
        w.negative_slope = 5.0
