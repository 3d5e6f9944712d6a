"""Activation functions and their derivatives, computed by PyTorch (autograd, float64).

The derivative comes from autograd, never from finite differences. Softmax is shown as its
first output while that output's logit varies and the other logits stay fixed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..suggest import unknown_name

ACTIVATIONS: tuple[str, ...] = (
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "softmax",
)

#: Activations without parameters.
_PLAIN: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu, "gelu": F.gelu,
    "silu": F.silu, "softplus": F.softplus,
}


def activation_function(name: str, negative_slope: float = 0.01, alpha: float = 1.0,
                        other_logits: tuple[float, ...] = (1.0, 0.0)
                        ) -> Callable[[torch.Tensor], torch.Tensor]:
    """The torch function of activation ``name`` with its parameters bound."""
    if name in _PLAIN:
        return _PLAIN[name]
    if name == "leaky_relu":
        return lambda x: F.leaky_relu(x, negative_slope)
    if name == "elu":
        return lambda x: F.elu(x, alpha)
    if name == "softmax":
        others = torch.tensor(other_logits, dtype=torch.float64)

        def first_softmax(x: torch.Tensor) -> torch.Tensor:
            logits = torch.cat([x[:, None], others.expand(x.shape[0], -1)], dim=1)
            return torch.softmax(logits, dim=1)[:, 0]

        return first_softmax
    raise ValueError(unknown_name("activation", name, ACTIVATIONS))


def activation_curve(name: str, x: np.ndarray, *, negative_slope: float = 0.01,
                     alpha: float = 1.0, other_logits: tuple[float, ...] = (1.0, 0.0)
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Values and derivatives (by autograd, float64) of activation ``name`` at ``x``."""
    fn = activation_function(name, negative_slope, alpha, other_logits)
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = fn(xt)
    (dy,) = torch.autograd.grad(y.sum(), xt)
    return y.detach().numpy(), dy.numpy()
