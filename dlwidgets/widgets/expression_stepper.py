"""Expression stepper: the autograd graph of a scalar torch expression, micrograd-style.

``BackpropStepper.expression(lambda a, b, c: (a * b + c).tanh(), a=2.0, b=-3.0, c=10.0)``
records every torch operation of the expression (``engine.backprop.trace_expression``) and
steps through it: forward node by node (each node's value), then backward from the result
(each node's gradient). Data and gradients are in synced state, so stepping works without a
kernel; editing an input comes back to Python, which runs the expression again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import traitlets as t

from ..engine import backprop as bp
from ._base import DLWidget, bundle
from ._traits import Array, ArrayDict, array_dict_serialization


class ExpressionStepper(DLWidget):
    """Step forward and backward through the autograd graph of a scalar expression."""

    _esm = bundle("expression_stepper")

    graph = t.Dict().tag(sync=True)        # nodes (op, label, parents, shape), inputs, value
    arrays = ArrayDict(values=Array("float32", ndim=1)).tag(sync=True,
                                                            **array_dict_serialization)
    error = t.Unicode("").tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    step_index = t.Int(0).tag(sync=True)

    def __init__(self, fn: Callable[..., Any], *, title: str | None = None,
                 **inputs: Any) -> None:
        self._fn = fn
        self._inputs = dict(inputs)
        self._trace = bp.trace_expression(fn, self._inputs)  # raises before any state is set
        super().__init__(title=title if title is not None else "Backpropagation through an "
                         "expression")
        self._publish()
        self.on_msg(self._on_request)

    @property
    def value(self) -> float:
        """The expression's value."""
        return self._trace.value

    @property
    def grads(self) -> dict[str, Any]:
        """Input name -> ∂value/∂input (a float, or an array for an array input)."""
        return self._trace.grads

    @property
    def nodes(self) -> list[bp.ExpressionNode]:
        return self._trace.nodes

    def set_input(self, name: str, value: Any) -> None:
        """Give input ``name`` a new value and run the expression again."""
        if name not in self._inputs:
            raise ValueError(f"unknown input {name!r}; the inputs are {', '.join(self._inputs)}")
        inputs = {**self._inputs, name: value}
        self._trace = bp.trace_expression(self._fn, inputs)
        self._inputs = inputs
        self._publish()

    def _publish(self) -> None:
        tr = self._trace
        self.graph = {
            "nodes": [{"op": n.op, "label": n.label, "parents": n.parents,
                       "shape": list(n.data.shape)} for n in tr.nodes],
            "inputs": list(self._inputs), "value": tr.value,
        }
        arrays: dict[str, np.ndarray] = {}
        for n in tr.nodes:
            arrays[f"data.{n.index}"] = np.asarray(n.data, dtype=np.float32).reshape(-1)
            arrays[f"grad.{n.index}"] = np.asarray(n.grad, dtype=np.float32).reshape(-1)
        self.arrays = arrays
        self.step_index = min(self.step_index, self._frames() - 1)

    def _frames(self) -> int:
        nodes = len(self._trace.nodes)
        return (nodes - len(self._inputs)) + nodes

    @t.validate("step_index")
    def _check_step(self, proposal: t.Bunch) -> int:
        frames = self._frames() if hasattr(self, "_trace") else 1
        return min(max(int(proposal.value), 0), frames - 1)

    def _on_request(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        if not isinstance(content, dict) or content.get("type") != "edit":
            return
        self.error = ""
        try:
            value = content.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not math.isfinite(float(value)):
                raise ValueError(f"value must be a finite number, got {value!r}")
            self.set_input(str(content.get("name")), float(value))
        except (TypeError, ValueError) as exc:
            self.error = str(exc)
