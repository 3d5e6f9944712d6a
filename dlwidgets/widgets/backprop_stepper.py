"""Backpropagation stepper: one training step of a real PyTorch model, number by number.

The engine (``dlwidgets.engine.backprop``) traces the step with explicit torch ops (forward
z = W·a + b and a = f(z), the loss, backward ∂L/∂a · f′(z) = δ and ∂L/∂W = δ·aᵀ, the SGD
update) and checks every gradient against ``loss.backward()``. All of it goes into synced state
as binary arrays, so stepping, selecting a neuron and hovering an edge work in the browser
alone (also in a static export). Editing a weight, an input or the target, or applying the step
to the model, comes back to Python, which traces again.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import traitlets as t

from ..engine import backprop as bp
from ..engine.backprop import ACTIVATION_FORMULAS, LOSS_FORMULAS, BackpropTrace
from ._base import DLWidget, bundle
from ._traits import Array, ArrayDict, array_dict_serialization
from .expression_stepper import ExpressionStepper

#: Largest layer drawn neuron by neuron (and most layers); larger models get one node per layer.
DENSE_MAX_WIDTH = 8
DENSE_MAX_LAYERS = 6
MAX_TRAIN_STEPS = 1000

#: Per-layer arrays sent to the page, keyed "<layer>.<field>" (layer 1 = the first Linear).
LAYER_FIELDS = ("weight", "bias", "inputs", "z", "a", "upstream", "fprime", "delta",
                "grad_weight", "grad_bias", "grad_input", "new_weight", "new_bias")


class BackpropStepper(DLWidget):
    """Step through forward pass, loss, backward pass and SGD update of a small network."""

    _esm = bundle("backprop_stepper")

    # what Python computed (read by the front end, never written by it)
    network = t.Dict().tag(sync=True)      # layer sizes, activations, formulas, loss, checks
    arrays = ArrayDict(values=Array("float32")).tag(sync=True, **array_dict_serialization)
    # steps trained so far (train(k)): loss, the tracked weight and its gradient per step
    history = ArrayDict(values=Array("float32", ndim=1)).tag(sync=True, **array_dict_serialization)
    error = t.Unicode("").tag(sync=True)   # last refused request from the front end
    title = t.Unicode("").tag(sync=True)
    # view state (the front end may set these; all data for them is already in `arrays`)
    step_index = t.Int(0).tag(sync=True)
    sample = t.Int(0).tag(sync=True)
    selected = t.List(t.Int(), [1, 0]).tag(sync=True)  # [layer (0 = input), neuron]

    def __init__(self, model: nn.Module, x: Any, y: Any, loss: str = "mse", lr: Any = 0.1, *,
                 title: str | None = None) -> None:
        bp.layers_of(model)  # refuses an untraceable model before copying it
        self._user_model = model
        self._model = copy.deepcopy(model)
        self._x, self._y = x, y
        self._loss = bp.check_loss(loss)
        self._lr = bp.check_lr(lr)
        self._init = "model's own"
        self._history: list[tuple[float, float, float]] = []
        self._tracked: tuple[int, int, int] | None = None
        self._trace = bp.trace_step(self._model, x, y, self._loss, self._lr)  # raises first
        super().__init__(title=title if title is not None else "One training step")
        self._publish()
        self.on_msg(self._on_request)

    @classmethod
    def demo(cls, name: str = "2-2-1", **kwargs: Any) -> BackpropStepper:
        """A built-in example (``"2-2-1"``: the sigmoid network of the course notes)."""
        model, x, y, loss, lr = bp.demo(name)
        kwargs.setdefault("title", f"The {name} sigmoid network: x = (2, 1), target 1")
        return cls(model, x, y, loss=loss, lr=lr, **kwargs)

    @staticmethod
    def expression(fn: Any, **inputs: Any) -> ExpressionStepper:
        """Step the autograd graph of a scalar torch expression of the named inputs,
        micrograd-style: ``BackpropStepper.expression(lambda a, b, c: (a * b + c).tanh(),
        a=2.0, b=-3.0, c=10.0)``; ``.value`` and ``.grads`` equal ``torch.autograd.grad``."""
        return ExpressionStepper(fn, **inputs)

    # ------------------------------------------------------------------ Python API
    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Parameter name -> ∂L/∂parameter (equal to autograd's ``.grad``)."""
        return self._trace.grads

    @property
    def updated(self) -> dict[str, np.ndarray]:
        """Parameter name -> its value after the SGD step (w − lr · grad)."""
        return self._trace.updated

    @property
    def activations(self) -> list[np.ndarray]:
        """Post-activation values per layer; layer 0 is the input."""
        return self._trace.activations

    @property
    def loss_value(self) -> float:
        return self._trace.loss_value

    @property
    def result(self) -> BackpropTrace:
        """The engine's whole trace."""
        return self._trace

    @property
    def trace(self) -> list[dict[str, Any]]:
        """The step records in the order the widget shows them."""
        tr = self._trace
        records: list[dict[str, Any]] = []
        for i, layer in enumerate(tr.layers, start=1):
            records.append({"phase": "forward", "layer": i, "inputs": layer.inputs,
                            "weight": layer.weight, "bias": layer.bias, "z": layer.z,
                            "a": layer.a, "activation": layer.activation})
        records.append({"phase": "loss", "layer": len(tr.layers), "loss": tr.loss,
                        "formula": LOSS_FORMULAS[tr.loss][0], "value": tr.loss_value,
                        "output": tr.output, "target": tr.y, "gradient": tr.loss_grad})
        for i in range(len(tr.layers), 0, -1):
            layer = tr.layers[i - 1]
            records.append({"phase": "backward", "layer": i, "upstream": layer.upstream,
                            "fprime": layer.fprime,
                            "fprime_formula": ACTIVATION_FORMULAS[layer.activation][1],
                            "delta": layer.delta, "grad_weight": layer.grad_weight,
                            "grad_bias": layer.grad_bias, "grad_input": layer.grad_input})
        for i, layer in enumerate(tr.layers, start=1):
            records.append({"phase": "update", "layer": i, "lr": tr.lr,
                            "old_weight": layer.weight, "new_weight": layer.new_weight,
                            "old_bias": layer.bias, "new_bias": layer.new_bias})
        return records

    def apply(self) -> None:
        """Write the step's new weights into the model given, then trace the next step."""
        bp.apply_update(self._user_model, self._trace)
        bp.apply_update(self._model, self._trace)
        self._retrace()

    def set_weight(self, layer: int, index: tuple[int, ...], value: Any) -> None:
        """Set one weight (``index`` = (out, in)) or bias (``index`` = (out,)) of Linear layer
        ``layer`` (1 = first) in the stepper's copy of the model, and trace again."""
        lin = self._linear(layer)
        number = _number(value, "value")
        if len(index) == 2:
            param = lin.weight
        elif len(index) == 1 and lin.bias is not None:
            param = lin.bias
        else:
            raise ValueError("index must be (out, in) for a weight or (out,) for a bias")
        if not all(0 <= i < n for i, n in zip(index, param.shape)):
            raise ValueError(f"index {index} is outside {tuple(param.shape)}")
        old = param.detach().clone()
        with torch.no_grad():
            param[index] = number
        try:
            self._retrace()
        except Exception:
            with torch.no_grad():
                param.copy_(old)
            raise
        self._clear_history()

    def set_input(self, x: Any = None, y: Any = None) -> None:
        """Replace x and/or y and trace again (the old ones stay if the new ones are refused)."""
        new_x = self._x if x is None else x
        new_y = self._y if y is None else y
        trace = bp.trace_step(self._model, new_x, new_y, self._loss, self._lr)
        self._x, self._y, self._trace = new_x, new_y, trace
        self._history = []
        self._publish()

    def set_activation(self, name: str) -> None:
        """Use activation ``name`` (sigmoid, tanh, relu) in every hidden layer of the stepper's
        copy of the model and trace again (the output layer keeps its own)."""
        trial = copy.deepcopy(self._model)
        bp.set_hidden_activation(trial, name)
        trace = bp.trace_step(trial, self._x, self._y, self._loss, self._lr)
        self._model, self._trace = trial, trace
        self._history = []
        self._publish()

    def reinitialize(self, scheme: str = "default", seed: int = 0) -> None:
        """New weights for the stepper's copy of the model (default, xavier, he), then trace."""
        trial = copy.deepcopy(self._model)
        bp.reinitialize(trial, scheme, seed)
        trace = bp.trace_step(trial, self._x, self._y, self._loss, self._lr)
        self._model, self._trace, self._init = trial, trace, scheme
        self._history = []
        self._publish()

    def train(self, k: int = 10, track: tuple[int, int, int] | None = None) -> None:
        """Take ``k`` SGD steps with the stepper's copy of the model (each exactly the step the
        widget shows), keeping the loss, one weight and its gradient per step; the widget then
        shows the next step. ``track`` = (layer, out, in) picks the weight (default: the last
        layer's [0, 0]); the model given is changed only by ``apply()``."""
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_TRAIN_STEPS:
            raise ValueError(f"k must be an int in 1..{MAX_TRAIN_STEPS}, got {k!r}")
        layers = len(self._trace.layers)
        if track is not None:
            layer, row, col = (int(v) for v in track)
            shape = self._linear(layer).weight.shape
            if not (0 <= row < shape[0] and 0 <= col < shape[1]):
                raise ValueError(f"track: ({row}, {col}) is outside W{layer} {tuple(shape)}")
            if self._tracked != (layer, row, col):
                self._history = []
            self._tracked = (layer, row, col)
        elif self._tracked is None:
            self._tracked = (layers, 0, 0)
        layer, row, col = self._tracked
        for _ in range(k):
            step = self._trace.layers[layer - 1]
            self._history.append((self._trace.loss_value, float(step.weight[row, col]),
                                  float(step.grad_weight[row, col])))
            bp.apply_update(self._model, self._trace)
            self._trace = bp.trace_step(self._model, self._x, self._y, self._loss, self._lr)
        self._publish()

    @property
    def losses(self) -> list[float]:
        """Loss before each trained step (``train``), then the current one."""
        return [h[0] for h in self._history] + [self._trace.loss_value]

    def set_lr(self, lr: Any) -> None:
        self._lr = bp.check_lr(lr)
        self._retrace()

    # ------------------------------------------------------------------ internals
    def _linear(self, layer: int) -> nn.Linear:
        linears = [entry.linear for entry in bp.layers_of(self._model)]
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= len(linears):
            raise ValueError(f"layer must be 1..{len(linears)}, got {layer!r}")
        return linears[layer - 1]

    def _clear_history(self) -> None:
        """A changed model or data starts a new training history."""
        if self._history:
            self._history = []
            self._publish()

    def _retrace(self) -> None:
        self._trace = bp.trace_step(self._model, self._x, self._y, self._loss, self._lr)
        self._publish()

    def _publish(self) -> None:
        tr = self._trace
        widths = [int(tr.x.shape[1])] + [int(layer.z.shape[1]) for layer in tr.layers]
        dense = max(widths) <= DENSE_MAX_WIDTH and len(tr.layers) <= DENSE_MAX_LAYERS
        reason = "" if dense else (
            f"{len(tr.layers)} layers" if max(widths) <= DENSE_MAX_WIDTH else
            f"a layer of {max(widths)} neurons") + (
            f": drawn one node per layer (neuron by neuron up to {DENSE_MAX_WIDTH} neurons "
            f"and {DENSE_MAX_LAYERS} layers)")
        layers = []
        for i, layer in enumerate(tr.layers, start=1):
            f, fp = ACTIVATION_FORMULAS[layer.activation]
            layers.append({"name": tr.names[i - 1], "weight_name": layer.weight_name,
                           "bias_name": layer.bias_name, "in": int(layer.weight.shape[1]),
                           "out": int(layer.weight.shape[0]), "activation": layer.activation,
                           "slope": layer.slope, "formula": f, "fprime_formula": fp})
        arrays: dict[str, np.ndarray] = {
            "x": tr.x, "y": tr.y.astype(np.float32), "output": tr.output,
            "loss_grad": tr.loss_grad}
        for i, layer in enumerate(tr.layers, start=1):
            for name in LAYER_FIELDS:
                arrays[f"{i}.{name}"] = getattr(layer, name)
        batch = int(tr.x.shape[0])
        self.network = {
            "widths": widths, "layers": layers, "dense": dense, "dense_reason": reason,
            "batch": batch, "loss": tr.loss, "loss_formula": LOSS_FORMULAS[tr.loss][0],
            "loss_grad_formula": LOSS_FORMULAS[tr.loss][1], "lr": tr.lr,
            "loss_value": tr.loss_value, "autograd_loss": tr.autograd_loss,
            "autograd_diff": tr.autograd_diff, "update_diff": tr.update_diff,
            "parameters": sum(int(v.size) for v in tr.grads.values()),
            "hidden_activation": _hidden_activation(tr), "init": self._init,
            "activations": list(bp.HIDDEN_ACTIVATIONS), "inits": list(bp.INITS),
        }
        self.arrays = arrays
        hist = np.array(self._history, dtype=np.float32).reshape(-1, 3)
        self.history = {} if not self._history else {
            "loss": hist[:, 0], "weight": hist[:, 1], "grad": hist[:, 2],
            "track": np.array(self._tracked, dtype=np.float32)}
        frames = 3 * len(tr.layers) + 1
        self.step_index = min(self.step_index, frames - 1)
        self.sample = min(self.sample, batch - 1)
        sel_layer = min(max(self.selected[0], 0), len(tr.layers)) if self.selected else 1
        sel_neuron = min(max(self.selected[1], 0), widths[sel_layer] - 1) if self.selected else 0
        self.selected = [sel_layer, sel_neuron]

    @t.validate("step_index")
    def _check_step(self, proposal: t.Bunch) -> int:
        frames = 3 * len(self._trace.layers) + 1 if hasattr(self, "_trace") else 1
        return min(max(int(proposal.value), 0), frames - 1)

    @t.validate("sample")
    def _check_sample(self, proposal: t.Bunch) -> int:
        batch = int(self._trace.x.shape[0]) if hasattr(self, "_trace") else 1
        return min(max(int(proposal.value), 0), batch - 1)

    def _on_request(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind not in ("edit", "apply", "lr", "activation", "init", "train"):
            return
        self.error = ""  # so that the same refusal twice is still a change the page sees
        try:
            if kind == "apply":
                self.apply()
            elif kind == "lr":
                self.set_lr(content.get("value"))
            elif kind == "train":
                self.train(int(content.get("k", 10)))
            elif kind == "activation":
                self.set_activation(str(content.get("value")))
            elif kind == "init":
                self.reinitialize(str(content.get("value")), int(content.get("seed", 0)))
            elif content.get("target") in ("weight", "bias"):
                index = tuple(int(i) for i in content.get("index", ()))
                if content.get("target") == "bias":
                    index = index[:1]
                self.set_weight(int(content.get("layer", 0)), index, content.get("value"))
            elif content.get("target") in ("x", "y"):
                self._edit_data(content["target"], content.get("index", []), content.get("value"))
            else:
                raise ValueError(f"unknown edit target {content.get('target')!r}")
        except (TypeError, ValueError, IndexError) as exc:
            self.error = str(exc)

    def _edit_data(self, which: str, index: list[int], value: Any) -> None:
        tr = self._trace
        current = tr.x if which == "x" else tr.y
        arr = np.array(current, dtype=np.float64)
        idx = tuple(int(i) for i in index)
        if len(idx) != arr.ndim or not all(0 <= i < n for i, n in zip(idx, arr.shape)):
            raise ValueError(f"{which} index {list(idx)} is outside {arr.shape}")
        arr[idx] = _number(value, which)
        if which == "x":
            self.set_input(x=arr.astype(np.float32))
        elif self._loss == "cross_entropy":
            self.set_input(y=arr.reshape(-1).astype(np.int64))
        else:
            self.set_input(y=arr.astype(np.float32))


def _hidden_activation(trace: BackpropTrace) -> str:
    """The hidden layers' activation when they share one, "mixed" otherwise, "" with none."""
    names = {layer.activation for layer in trace.layers[:-1]}
    return "" if not names else names.pop() if len(names) == 1 else "mixed"


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return out
