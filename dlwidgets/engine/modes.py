"""Models that compute the same in train and eval mode, so an evaluation can skip switching.

``model.eval()`` and ``model.train()`` walk every module in Python: on a small network they
cost about as much as the evaluation itself, and fit and the Playground evaluate after every
epoch. A model is *mode-free* when each of its modules is of a type listed here (exact types:
a subclass may read ``self.training``); dropout, batch norm and every user-defined class are
not, so those models are switched as usual.
"""

from __future__ import annotations

from torch import nn

from ..dsl.modules import DLSequential
from . import playground_model as PM

MODE_FREE: frozenset[type] = frozenset((
    PM.PlaygroundNet, PM.Block, nn.Sequential, DLSequential, nn.Linear, nn.Identity, nn.ReLU,
    nn.Tanh, nn.Sigmoid, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Softplus, nn.Softmax,
    nn.LogSoftmax, nn.Flatten))


def mode_free(model: nn.Module) -> bool:
    """Whether ``model``'s output is the same in train and eval mode (see the module doc)."""
    return all(type(m) in MODE_FREE for m in model.modules())
