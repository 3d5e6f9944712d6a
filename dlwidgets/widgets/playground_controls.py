"""The Playground's argument and control checks: each gives the value to use or raises with a
message that names the argument (the constructor, ``set_control`` and the page's controls all
come through here)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import args as _args
from ..engine import playground_data as D
from ..engine import playground_model as PM
from ..engine.playground_features import check_features
from ..engine.training_optim import OPTIMIZERS
from ..suggest import unknown_name

#: Controls that rebuild the model, redraw the data, or apply to the run in progress.
MODEL_KEYS = ("features", "hidden", "activations", "init", "dropout", "batch_norm", "residual")
DATA_KEYS = ("data", "noise", "train_fraction", "seed")
RUN_KEYS = ("optimizer", "batch_size", "l1", "l2")


def check_bool(value: Any, name: str) -> bool:
    """``value`` as a bool (True/False only: 1 or "yes" are refused)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_hidden(hidden: Any) -> list[int]:
    """Units per hidden layer: a list (or one number for one layer) of integers 1 … 100,000."""
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        hidden = [hidden]
    if not isinstance(hidden, (list, tuple)):
        raise TypeError(f"hidden must be a list of units per hidden layer, got {hidden!r}")
    return [_args.integer(u, f"hidden[{i}]", 1, 100_000) for i, u in enumerate(hidden)]


def check_activations(acts: Any, n: int) -> list[str]:
    """One activation name per hidden layer (``n``), from one name or a list of ``n``."""
    if isinstance(acts, str):
        return [PM.check_activation(acts)] * n
    if not isinstance(acts, (list, tuple)) or len(acts) != n:
        raise ValueError(f"activation must be a name or one name per hidden layer ({n}), "
                         f"got {acts!r}")
    return [PM.check_activation(a) for a in acts]


def check_optimizer(name: Any) -> str:
    """A name from the optimizer registry (case and spaces ignored)."""
    if not isinstance(name, str):
        raise TypeError(f"optimizer must be a name ({', '.join(OPTIMIZERS)}), got "
                        f"{type(name).__name__}")
    key = name.strip().lower()
    if key not in OPTIMIZERS:
        raise ValueError(unknown_name("optimizer", name, list(OPTIMIZERS)))
    return key


def validate(key: str, value: Any, *, layers: int, data: D.PlaygroundData,
             controls: Sequence[str]) -> Any:
    """The value to use for control ``key`` (``layers``: hidden layers now, for the
    activations; ``data``: the points now, for the class of a new point; ``controls``: the
    known names, for the message when ``key`` is none of them)."""
    if key == "data":
        if value == "custom":
            return value
        if not isinstance(value, str):
            raise TypeError(f"data must be a data set name, got {value!r}")
        key_name = value.strip().lower()
        if key_name not in D.DATASETS:
            raise ValueError(unknown_name("data set", value, D.DATASETS))
        return key_name
    if key == "noise":
        return D.check_noise(value)
    if key == "train_fraction":
        return D.check_train_fraction(value)
    if key == "batch_size":
        return _args.integer(value, "batch_size", 1, 1 << 24)
    if key == "features":
        return check_features(value)
    if key == "hidden":
        return check_hidden(value)
    if key == "activations":
        return check_activations(value, layers)
    if key == "init":
        return PM.check_init(value)
    if key == "optimizer":
        return check_optimizer(value)
    if key == "lr":
        return _args.real(value, "lr", 0.0, 1e6, lo_open=True)
    if key in ("l1", "l2"):
        return _args.real(value, key, 0.0, 1e6)
    if key == "dropout":
        return _args.real(value, "dropout", 0.0, 0.9)
    if key in ("batch_norm", "residual", "show_test", "discretize"):
        return check_bool(value, key)
    if key == "seed":
        return _args.integer(value, "seed", 0, 2**31 - 1000)
    if key == "speed":
        return _args.integer(value, "speed", 0, 10)
    if key == "point_class":
        hi = max(1, data.classes - 1)
        if data.task == "regression":
            return _args.real(value, "point_class", -1e6, 1e6)
        return _args.integer(value, "point_class", 0, hi)
    raise ValueError(unknown_name("control", key, list(controls)))


def number(content: dict[str, Any], key: str) -> float:
    """A finite number from a message of the page."""
    value = content.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            float(value)):
        raise ValueError(f"{content.get('type')}: {key} must be a finite number, got {value!r}")
    return float(value)
