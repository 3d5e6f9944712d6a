"""Computation layer: takes nn.Modules and tensors, returns plain dataclasses of numpy arrays.

Knows nothing of widgets or of the DSL grammar.
"""

from .device import device

__all__ = ["device"]
