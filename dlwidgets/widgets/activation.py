"""Activation-function explorer: curve and derivative of each activation, computed by PyTorch.

All activations are evaluated on one x grid (by ``engine/activations.py``) and sent as binary
arrays, so switching between them is instant and works in a static export. Changing a parameter
(leaky slope, ELU alpha, softmax's other logits) recomputes that curve in Python.
"""

from __future__ import annotations

import math

import numpy as np
import traitlets as t

from ..engine import args as _args
from ..engine.activations import ACTIVATIONS, activation_curve
from ..export_precompute import OfflineControl, OfflineGroup, Patch, make_patch
from ._base import DLWidget, bundle
from ._traits import Array, ArrayDict, array_dict_serialization, array_serialization

#: Most "other logits" beside the varied one in the softmax curve.
MAX_OTHER_LOGITS = 1000

#: Values a static page precomputes for each parameter slider (the sliders' ranges; the
#: exported value is added). Which curve each parameter shapes.
OFFLINE_VALUES: dict[str, list[float]] = {
    "negative_slope": [round(0.05 * i, 2) for i in range(11)] + [0.01],  # 0 … 0.5
    "alpha": [0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0],
}
PARAM_CURVE = {"negative_slope": "leaky_relu", "alpha": "elu", "other_logits": "softmax"}
PARAM_LABEL = {"negative_slope": "leaky ReLU slope α", "alpha": "ELU α"}

LABELS: dict[str, str] = {
    "sigmoid": "sigmoid σ(x) = 1 / (1 + e^−x)",
    "tanh": "tanh(x)",
    "relu": "ReLU max(0, x)",
    "leaky_relu": "leaky ReLU max(αx, x)",
    "elu": "ELU x if x > 0 else α(e^x − 1)",
    "gelu": "GELU x·Φ(x)",
    "silu": "SiLU / swish x·σ(x)",
    "softplus": "softplus log(1 + e^x)",
    "softmax": "softmax: first output as its logit x varies",
}


class ActivationExplorer(DLWidget):
    """Pick an activation, see its curve and derivative, hover to read exact values."""

    _esm = bundle("activation_explorer")

    activation = t.Unicode("relu").tag(sync=True)
    negative_slope = t.Float(0.01).tag(sync=True)
    alpha = t.Float(1.0).tag(sync=True)
    other_logits = t.List(t.Float(), default_value=[1.0, 0.0]).tag(sync=True)
    x_min = t.Float(-5.0).tag(sync=True)
    x_max = t.Float(5.0).tag(sync=True)
    names = t.List(t.Unicode(), default_value=list(ACTIVATIONS)).tag(sync=True)
    labels = t.Dict(default_value=LABELS).tag(sync=True)
    x = Array("float32", ndim=1).tag(sync=True, **array_serialization)  # the grid
    # name -> {"y": values, "dy": derivatives}, float32 on the grid
    curves = ArrayDict(values=ArrayDict(values=Array("float32", ndim=1))).tag(
        sync=True, **array_dict_serialization)
    hover_index = t.Int(-1).tag(sync=True)  # grid index under the pointer (set by the front end)

    def __init__(self, activation: str = "relu", *, x_range: tuple[float, float] = (-5.0, 5.0),
                 points: int = 401, negative_slope: float = 0.01, alpha: float = 1.0) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation={activation!r} is not known; choose one of: {', '.join(ACTIVATIONS)}"
            )
        if not isinstance(x_range, (tuple, list)) or len(x_range) != 2:
            raise TypeError(f"x_range must be a pair (min, max), got {x_range!r}")
        lo, hi = (_args.real(v, "x_range") for v in x_range)
        if not lo < hi:
            raise ValueError(f"x_range must be two finite numbers with min < max, got {x_range}")
        points = _args.integer(points, "points")
        if not 11 <= points <= 20001:
            raise ValueError(f"points must be between 11 and 20001, got {points}")
        negative_slope = _args.real(negative_slope, "negative_slope", 0.0, 1.0)
        alpha = _args.real(alpha, "alpha", 0.0, 10.0, lo_open=True)
        self._grid = np.linspace(lo, hi, int(points))
        super().__init__(activation=activation, x_min=lo, x_max=hi,
                         negative_slope=float(negative_slope), alpha=float(alpha))
        self.x = self._grid
        self.curves = {name: self._curve(name) for name in ACTIVATIONS}

    def _curve(self, name: str) -> dict[str, np.ndarray]:
        y, dy = activation_curve(name, self._grid, negative_slope=self.negative_slope,
                                 alpha=self.alpha, other_logits=tuple(self.other_logits))
        return {"y": y, "dy": dy}

    @t.validate("activation")
    def _check_activation(self, proposal: t.Bunch) -> str:
        if proposal["value"] not in ACTIVATIONS:
            raise t.TraitError(
                f"activation={proposal['value']!r} is not known; choose one of: {', '.join(ACTIVATIONS)}"
            )
        return str(proposal["value"])

    @t.validate("other_logits")
    def _check_other_logits(self, proposal: t.Bunch) -> list[float]:
        # the softmax curve is (points × (1 + K)): checked before it is computed
        values = list(proposal["value"])
        if len(values) > MAX_OTHER_LOGITS:
            raise t.TraitError(f"other_logits holds at most {MAX_OTHER_LOGITS} values, got "
                               f"{len(values)}")
        if not all(math.isfinite(v) for v in values):
            raise t.TraitError(f"other_logits must be finite numbers, got {values}")
        return values

    @t.validate("negative_slope")
    def _check_slope(self, proposal: t.Bunch) -> float:
        value = float(proposal["value"])
        if not 0.0 <= value <= 1.0:
            raise t.TraitError(f"negative_slope must be in [0, 1], got {value}")
        return value

    @t.validate("alpha")
    def _check_alpha(self, proposal: t.Bunch) -> float:
        value = float(proposal["value"])
        if not 0.0 < value <= 10.0:
            raise t.TraitError(f"alpha must be in (0, 10], got {value}")
        return value

    @t.observe("negative_slope", "alpha", "other_logits")
    def _recompute(self, change: t.Bunch) -> None:
        if not self.curves:  # still constructing
            return
        name = PARAM_CURVE[change["name"]]
        self.curves = {**self.curves, name: self._curve(name)}

    # --- static export: precomputed parameter values ---------------------------------------

    def offline_groups(self) -> list[OfflineGroup]:
        """One group per parameter slider: its curve for each of ``OFFLINE_VALUES``."""
        groups = []
        for param, grid in OFFLINE_VALUES.items():
            current = float(getattr(self, param))
            values = sorted({float(v) for v in grid} | {current})
            groups.append(OfflineGroup(
                key=param, label=PARAM_LABEL[param], what="activation curves",
                controls=[OfflineControl(param, values, values.index(current))],
                paths=[[param], ["curves", PARAM_CURVE[param]]]))
        return groups

    def offline_states(self, groups: list[OfflineGroup]) -> list[list[Patch | str]]:
        """Each curve by ``activation_curve``, as the live widget computes it (401 points each:
        a loop is as fast as a batch here and gives the same floats)."""
        out: list[list[Patch | str]] = []
        for group in groups:
            param = group.key
            name = PARAM_CURVE[param]
            states: list[Patch | str] = []
            for (value,) in group.combinations():
                params = {"negative_slope": self.negative_slope, "alpha": self.alpha, param: value}
                y, dy = activation_curve(name, self._grid, other_logits=tuple(self.other_logits),
                                         **params)
                curve = {"y": y.astype("float32"), "dy": dy.astype("float32")}
                states.append(make_patch({(param,): float(value), ("curves", name): curve}))
            out.append(states)
        return out

    def values(self, name: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, dy) of an activation as the widget shows them (float32, as sent)."""
        curve = self.curves[name or self.activation]
        assert self.x is not None
        return self.x, curve["y"], curve["dy"]

    @property
    def hovered(self) -> tuple[float, float, float] | None:
        """(x, y, dy) under the pointer in the browser, or None when the pointer is away."""
        if self.hover_index < 0:
            return None
        x, y, dy = self.values()
        i = min(self.hover_index, len(x) - 1)
        return float(x[i]), float(y[i]), float(dy[i])
