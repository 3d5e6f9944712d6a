"""Looking at a user's model without changing it.

A probe (the conv stepper's layer input, the recurrent inspector's trace, the latent explorer's
codes, a summary's shapes) runs the model under ``probing``: every module in eval mode (dropout
off, BatchNorm reading its running statistics instead of updating them), autograd off, and
torch's global random number generators saved and put back, so a model that draws noise in its
forward (a VAE) does not shift the user's random stream. Each module's own ``training`` flag is
restored afterwards, so a model half in train mode stays that way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .tensors import to_model


@contextlib.contextmanager
def saved_rng() -> Iterator[None]:
    """Put torch's global RNG state back on exit (the CPU's, and CUDA's when it is in use)."""
    cpu = torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    try:
        yield
    finally:
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


@contextlib.contextmanager
def probing(*modules: nn.Module) -> Iterator[None]:
    """Eval mode, no autograd and the global RNG saved; every training flag restored after."""
    flags = [(m, m.training) for mod in modules for m in mod.modules()]
    try:
        with saved_rng(), torch.no_grad():
            for mod in modules:
                mod.eval()
            yield
    finally:
        for m, flag in flags:
            m.training = flag


@dataclass
class LayerCall:
    """What a layer received the first time it was called while the model ran."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    model_output: Any  # what the model returned

    @property
    def input(self) -> Any:
        """The layer's first argument (its input)."""
        return self.args[0] if self.args else self.kwargs.get("input")


def capture_layer_input(model: nn.Module, layer: nn.Module, x: Any) -> LayerCall:
    """Run ``model(x)`` under ``probing`` and capture what ``layer`` received.

    ``x`` (a tensor) is moved to the model's device, floating values to its dtype. Raises
    ``ValueError`` when ``layer`` is not inside ``model`` or is never called by its forward.
    """
    if not any(m is layer for m in model.modules()):
        raise ValueError(f"layer is not a module of model (no {type(layer).__name__} inside "
                         f"{type(model).__name__} is that object)")
    seen: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def hook(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not seen:
            seen.append((args, dict(kwargs)))

    handle = layer.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        with probing(model):
            out = model(to_model(model, x) if isinstance(x, torch.Tensor) else x)
    finally:
        handle.remove()
    if not seen:
        raise ValueError(f"model(x) ran but never called the layer ({type(layer).__name__})")
    args, kwargs = seen[0]
    return LayerCall(args=args, kwargs=kwargs, model_output=out)


def first_tensor(value: Any) -> torch.Tensor | None:
    """The first tensor in a (nested) model output."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        for v in value:
            found = first_tensor(v)
            if found is not None:
                return found
    return None
