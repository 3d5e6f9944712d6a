"""A checked declaration as data: ``ModelSpec`` and its ``SpecNode`` rows, the warnings, and
the loss names the DSL knows.

``spec.py`` (the analyzer) makes these, ``checks.py`` (warnings), ``builder.py`` and
``summarize.py`` read them; keeping the types here lets each of those import them without
importing one another.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch.nn as nn

from .layers import REGISTRY, InitSpec, Layer, Shape

#: loss names the DSL knows (``loss NAME``) -> canonical name
LOSSES = {
    "cross_entropy": "cross_entropy", "crossentropy": "cross_entropy", "ce": "cross_entropy",
    "nll": "nll", "nll_loss": "nll", "mse": "mse", "l2": "mse", "l1": "l1", "mae": "l1",
    "bce": "bce", "binary_cross_entropy": "bce", "bce_logits": "bce_logits",
    "bce_with_logits": "bce_logits", "bcewithlogits": "bce_logits", "huber": "huber",
    "smooth_l1": "smooth_l1",
}
LOSS_MODULES = {
    "cross_entropy": nn.CrossEntropyLoss, "nll": nn.NLLLoss, "mse": nn.MSELoss, "l1": nn.L1Loss,
    "bce": nn.BCELoss, "bce_logits": nn.BCEWithLogitsLoss, "huber": nn.HuberLoss,
    "smooth_l1": nn.SmoothL1Loss,
}


@dataclass
class SpecNode:
    """One row of the declaration: a layer, an activation or a block, with its shapes."""

    kind: str  # layer kind ('dense', 'conv', 'relu', ...) or 'block', 'repeat', 'residual', ...
    label: str  # short description, e.g. 'Conv2d(1→6, 5x5, pad 2)'
    name: str  # module name inside its parent ('' when the node has no module: repeat)
    path: str  # dotted path of the module from the model ('' when none)
    in_shape: Shape
    out_shape: Shape
    params: int  # parameters, children included (counted by arithmetic)
    line: int
    column: int
    source: str = ""  # the declaration line, stripped
    args: dict[str, Any] = field(default_factory=dict)
    children: list[SpecNode] = field(default_factory=list)
    role: str = ""  # 'activation' (trailing activation), 'shortcut', 'post' (after residual add)
    layer: Layer | None = field(default=None, repr=False)
    init: InitSpec | None = None

    @property
    def is_block(self) -> bool:
        return self.layer is None

    def __getstate__(self) -> dict[str, Any]:
        # layer kinds hold converter functions: pickle the registry name, not the object,
        # so torch.save(model) and multiprocessing work on DSL models
        state = dict(self.__dict__)
        layer = state.get("layer")
        state["layer"] = None if layer is None else layer.names[0]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        name = state.get("layer")
        state["layer"] = None if name is None else REGISTRY[name]
        self.__dict__.update(state)

    def walk(self) -> Iterator[SpecNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> Iterator[SpecNode]:
        for node in self.walk():
            if node.layer is not None:
                yield node


@dataclass
class SpecWarning:
    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"


@dataclass
class ModelSpec:
    """A checked declaration: what ``model.dl_spec`` holds on every model the DSL builds.

    ``kind`` is 'sequential', 'autoencoder', 'vae' or 'gan'. ``input_shape`` and every node's
    ``out_shape`` leave out the batch dimension. ``output_shape`` is the model's output (the
    reconstruction for autoencoders and VAEs, the generated sample for GANs).
    """

    kind: str
    input_shape: Shape
    input_dtype: str  # 'float32' or 'int64' (token ids)
    output_shape: Shape
    nodes: list[SpecNode]
    loss: str | None = None
    loss_line: int | None = None
    latent_dim: int | None = None
    seed: int | None = None
    warnings: list[SpecWarning] = field(default_factory=list)
    source: str = ""

    @property
    def total_params(self) -> int:
        return sum(n.params for n in self.nodes)

    def walk(self) -> Iterator[SpecNode]:
        for node in self.nodes:
            yield from node.walk()

    def layers(self) -> list[SpecNode]:
        """Every layer node (activations included), in order."""
        return [n for n in self.walk() if n.layer is not None]

    def output_shapes(self) -> dict[str, Shape]:
        """Module path -> output shape (batch dimension left out) of every layer."""
        return {n.path: n.out_shape for n in self.layers() if n.path}

    def part(self, name: str) -> SpecNode | None:
        """The top-level part ('encoder', 'decoder', 'generator', ...) or None."""
        for node in self.nodes:
            if node.kind == name:
                return node
        return None

    def loss_module(self) -> nn.Module | None:
        """A fresh ``torch.nn`` loss for the declared ``loss`` line (None when there is none)."""
        return LOSS_MODULES[self.loss]() if self.loss else None
