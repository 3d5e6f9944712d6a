"""Training optimizers for ``fit``: optimizers, learning-rate schedules, L1/L2 penalties,
gradient clipping and early stopping (the race's optimizers are in ``race.py``).

Every named optimizer is exactly a ``torch.optim`` class (or one of the race's clearly named
textbook variants) with the settings listed in ``OPTIMIZERS``, which is derived from the race's
registry in ``race.py``: one list of names for training and for the race.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..suggest import unknown_name
from .race import OPTIMIZERS as NAMED
from .race import resolve_optimizer


@dataclass(frozen=True)
class OptimizerSpec:
    """How a name maps to ``torch.optim``: the class, fixed settings and the default lr."""

    cls: type[torch.optim.Optimizer]
    settings: dict[str, Any]
    default_lr: float
    formula: str


def _fit_spec(name: str) -> OptimizerSpec:
    """A race registry entry (engine/race.py) as fit uses it: the same class and
    settings the race starts from, and a learning rate that suits a network rather than a
    2-D surface (0.01 for the SGD family, the class's own default for the adaptive ones)."""
    entry = NAMED[name]
    race = resolve_optimizer(name)
    settings = {k: v for k, v in race.kwargs().items() if k != "lr"}
    if entry.lr_kind == "sgd":
        default_lr = 0.01
    elif entry.lr_kind == "fixed":
        default_lr = entry.fixed_lr
    else:
        default_lr = float(inspect.signature(entry.cls).parameters["lr"].default)
    return OptimizerSpec(entry.cls, settings, default_lr, entry.formula)


class _FitSpecs(Mapping[str, OptimizerSpec]):
    """The names fit trains with, each spec built on first use.

    Resolving a spec builds a real optimizer once (the race's check that it can be built), and
    torch's first optimizer imports ``torch._dynamo`` (over a second); doing that for every name
    at import would make ``import dlwidgets`` that much slower than ``import torch``.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._names = tuple(names)
        self._specs: dict[str, OptimizerSpec] = {}

    def __getitem__(self, name: str) -> OptimizerSpec:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._specs:
            self._specs[name] = _fit_spec(name)
        return self._specs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


# One registry of names for the race and for training: the race's, less L-BFGS (its step needs
# a closure that re-evaluates the loss, which a mini-batch loop does not give).
OPTIMIZERS: Mapping[str, OptimizerSpec] = _FitSpecs(name for name in NAMED if name != "lbfgs")


def _fused_devices() -> frozenset[str]:
    try:  # torch's own list (private, so read defensively)
        from torch.utils._foreach_utils import _get_fused_kernels_supported_devices
        return frozenset(_get_fused_kernels_supported_devices())
    except (ImportError, AttributeError):
        return frozenset({"cuda"})


_FUSED_DEVICES = _fused_devices()


def fastest_implementation(cls: type[torch.optim.Optimizer], params: list[nn.Parameter],
                           settings: dict[str, Any], *,
                           sparse_grads: bool = False) -> dict[str, bool]:
    """The settings that pick torch's fastest step for a named optimizer, unless the user chose.

    ``fused=True`` (one kernel per step: SGD, Adam, AdamW and Adagrad, on CPU and GPU) where the
    class has it and every parameter is a floating tensor on a device with fused kernels; it
    rounds like the per-tensor loop up to a last bit (tested). Otherwise ``foreach=True`` (the
    multi-tensor step: the per-tensor loop's results, NAdam's up to rounding; a few calls per
    step instead of a few per parameter tensor). PyTorch itself picks foreach only on GPUs and
    fused never. Fused kernels take no sparse gradients (``nn.Embedding(sparse=True)``): such
    models get foreach.
    """
    if "fused" in settings or "foreach" in settings:
        return {}
    accepted = inspect.signature(cls).parameters
    if "fused" in accepted and params and not sparse_grads and all(
            p.is_floating_point() and p.device.type in _FUSED_DEVICES for p in params):
        return {"fused": True}
    if "foreach" in accepted:
        return {"foreach": True}
    return {}


def implementation(optimizer: torch.optim.Optimizer) -> str:
    """Which torch step an optimizer runs: "fused", "foreach" (multi-tensor) or "loop"."""
    defaults = optimizer.defaults
    if defaults.get("fused"):
        return "fused"
    if defaults.get("foreach"):
        return "foreach"
    return "loop"


OptimizerArg = str | type | Callable[..., torch.optim.Optimizer] | torch.optim.Optimizer


def make_optimizer(optimizer: OptimizerArg, params: Iterable[nn.Parameter], *,
                   lr: float | None = None, momentum: float | None = None,
                   weight_decay: float = 0.0, options: dict[str, Any] | None = None,
                   sparse_grads: bool = False) -> torch.optim.Optimizer:
    """Build the optimizer named (or given) by ``optimizer`` over ``params``.

    ``optimizer`` is a name from ``OPTIMIZERS``, a ``torch.optim.Optimizer`` subclass (called as
    ``cls(params, lr=lr, **options)``), a factory called as ``factory(params)``, or an optimizer
    already built on the model's parameters (used as it is; ``lr`` must then be left out).
    """
    params = list(params)
    options = dict(options or {})
    if lr is not None and not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if weight_decay < 0 or not math.isfinite(weight_decay):
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    if isinstance(optimizer, torch.optim.Optimizer):
        if lr is not None:
            raise ValueError("lr cannot be combined with an optimizer that is already built: "
                             "set lr when building it, or pass the optimizer's name or class")
        owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if not {id(p) for p in params} <= owned:
            raise ValueError("the optimizer given does not hold this model's parameters: build "
                             "it with torch.optim.X(model.parameters(), ...)")
        return optimizer
    if isinstance(optimizer, str):
        key = optimizer.strip().lower()
        if key not in OPTIMIZERS:
            raise ValueError(unknown_name("optimizer", optimizer, list(OPTIMIZERS)))
        spec = OPTIMIZERS[key]
        settings = {**spec.settings, **options}
        if momentum is not None:
            if "momentum" not in spec.settings:
                raise ValueError(f"momentum= applies to 'momentum' and 'nesterov', not {key!r}")
            if not 0.0 <= momentum < 1.0:
                raise ValueError(f"momentum must be in [0, 1), got {momentum}")
            settings["momentum"] = momentum
        if weight_decay:
            settings["weight_decay"] = weight_decay
        cls: Any = spec.cls
        settings.update(fastest_implementation(cls, params, settings, sparse_grads=sparse_grads))
        return cls(params, lr=spec.default_lr if lr is None else lr, **settings)
    if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        if momentum is not None:
            options["momentum"] = momentum
        if weight_decay:
            options["weight_decay"] = weight_decay
        if lr is not None:
            options["lr"] = lr
        built_cls: Any = optimizer
        return built_cls(params, **options)
    if callable(optimizer):
        factory: Any = optimizer
        built = factory(params)
        if not isinstance(built, torch.optim.Optimizer):
            raise TypeError("an optimizer factory must return a torch.optim.Optimizer, got "
                            f"{type(built).__name__}")
        if lr is not None:
            for group in built.param_groups:
                group["lr"] = lr
        return built
    raise TypeError(f"optimizer must be a name ({', '.join(OPTIMIZERS)}), a torch.optim "
                    f"class, a factory or an optimizer; got {type(optimizer).__name__}")


# -- learning-rate schedules --------------------------------------------------------------------

SCHEDULES: tuple[str, ...] = ("step", "exponential", "cosine")

ScheduleArg = str | dict[str, Any] | Callable[[torch.optim.Optimizer], Any] | None


@dataclass
class Schedule:
    """A torch LR scheduler and whether it steps after every epoch or every optimizer step."""

    scheduler: Any
    every: str  # "epoch" or "step"

    def step(self) -> None:
        self.scheduler.step()


def make_schedule(schedule: ScheduleArg, optimizer: torch.optim.Optimizer, *, epochs: int,
                  steps_per_epoch: int | None, every: str = "epoch") -> Schedule | None:
    """Build a ``torch.optim.lr_scheduler`` from a name, a dict or a factory.

    ``"step"`` → ``StepLR(step_size=max(1, epochs // 3), gamma=0.1)``;
    ``"exponential"`` → ``ExponentialLR(gamma=0.9)``; ``"cosine"`` → ``CosineAnnealingLR(T_max=
    epochs)`` (or total steps when ``every="step"``). A dict ``{"name": "step", "step_size": 2,
    "gamma": 0.5}`` overrides the settings; a factory ``f(optimizer) -> scheduler`` gives any
    torch scheduler. Steps sizes and ``T_max`` count in units of ``every``.
    """
    if every not in ("epoch", "step"):
        raise ValueError(f"schedule_every must be 'epoch' or 'step', got {every!r}")
    if schedule is None:
        return None
    units = epochs if every == "epoch" else epochs * (steps_per_epoch or 1)
    lrs = torch.optim.lr_scheduler
    if callable(schedule) and not isinstance(schedule, (str, dict)):
        built = schedule(optimizer)
        if not hasattr(built, "step"):
            raise TypeError("a schedule factory must return a torch LR scheduler, got "
                            f"{type(built).__name__}")
        return Schedule(built, every)
    if isinstance(schedule, str):
        schedule = {"name": schedule}
    if not isinstance(schedule, dict) or "name" not in schedule:
        raise TypeError(f"schedule must be a name ({', '.join(SCHEDULES)}), a dict with 'name', or "
                        f"a factory; got {type(schedule).__name__}")
    settings = dict(schedule)
    name = str(settings.pop("name")).strip().lower()
    try:
        if name == "step":
            settings.setdefault("step_size", max(1, units // 3))
            settings.setdefault("gamma", 0.1)
            return Schedule(lrs.StepLR(optimizer, **settings), every)
        if name == "exponential":
            settings.setdefault("gamma", 0.9)
            return Schedule(lrs.ExponentialLR(optimizer, **settings), every)
        if name == "cosine":
            settings.setdefault("T_max", max(1, units))
            return Schedule(lrs.CosineAnnealingLR(optimizer, **settings), every)
    except TypeError as exc:
        raise TypeError(f"schedule {name!r}: {exc}") from None
    raise ValueError(unknown_name("schedule", name, SCHEDULES))


# -- penalties and clipping ---------------------------------------------------------------------

def penalty(params: list[nn.Parameter], l1: float, l2: float) -> torch.Tensor | None:
    """``l1·Σ|w| + (l2/2)·Σw²`` over all parameters (so ``l2`` equals SGD's ``weight_decay``)."""
    if not l1 and not l2:
        return None
    terms: list[torch.Tensor] = []
    for p in params:
        if l1:
            terms.append(l1 * p.abs().sum())
        if l2:
            terms.append((0.5 * l2) * p.pow(2).sum())
    return torch.stack(terms).sum() if terms else None


def clip_gradients(params: list[nn.Parameter], *, max_norm: float | None,
                   max_value: float | None) -> float | None:
    """Clip by value then by total L2 norm (``torch.nn.utils``); returns the norm before clipping."""
    if max_value is not None:
        torch.nn.utils.clip_grad_value_(params, max_value)
    if max_norm is not None:
        return float(torch.nn.utils.clip_grad_norm_(params, max_norm))
    return None


# -- early stopping -----------------------------------------------------------------------------

@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``monitor`` is an epoch quantity: ``"val_loss"`` (default, falls back to ``"loss"`` without
    validation data), ``"loss"``, ``"val_accuracy"``... ``mode`` is ``"min"`` or ``"max"``
    (``"auto"``: max for accuracy-like names). With ``restore_best`` the weights of the best epoch
    are put back when it stops.
    """

    patience: int = 3
    monitor: str = "val_loss"
    min_delta: float = 0.0
    mode: str = "auto"
    restore_best: bool = True
    best: float | None = field(default=None, init=False)
    best_epoch: int | None = field(default=None, init=False)
    _bad_epochs: int = field(default=0, init=False, repr=False)
    _best_state: dict[str, torch.Tensor] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 1:
            raise ValueError(f"patience must be an integer >= 1, got {self.patience!r}")
        if self.min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {self.min_delta}")
        if self.mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {self.mode!r}")

    def reset(self) -> None:
        self.best = None
        self.best_epoch = None
        self._bad_epochs = 0
        self._best_state = None

    def resolve(self, available: Iterable[str]) -> str:
        """The quantity actually watched, given the epoch quantities the training records."""
        names = set(available)
        if self.monitor in names:
            return self.monitor
        if self.monitor.startswith("val_") and self.monitor[4:] in names:
            return self.monitor[4:]
        raise ValueError(f"early stopping watches {self.monitor!r}, which this training does not "
                         f"record; use one of {', '.join(sorted(names))}")

    def _maximize(self, name: str) -> bool:
        if self.mode == "auto":
            return any(k in name for k in ("acc", "f1", "precision", "recall", "auc"))
        return self.mode == "max"

    def update(self, name: str, value: float, epoch: int, model: nn.Module) -> bool:
        """Record the epoch's value; True when training should stop now."""
        if not math.isfinite(value):
            return False
        sign = -1.0 if self._maximize(name) else 1.0
        if self.best is None or sign * (value - self.best) < -self.min_delta:
            self.best = value
            self.best_epoch = epoch
            self._bad_epochs = 0
            if self.restore_best:
                self._best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        self._bad_epochs += 1
        return self._bad_epochs >= self.patience

    def restore(self, model: nn.Module) -> bool:
        """Put the best epoch's weights back (when kept); True if it did."""
        if self.restore_best and self._best_state is not None:
            model.load_state_dict(self._best_state)
            return True
        return False


def as_early_stopping(value: int | EarlyStopping | None) -> EarlyStopping | None:
    """``early_stopping=5`` means ``EarlyStopping(patience=5)``; a fresh copy of a given one."""
    if value is None or value is False:
        return None
    if isinstance(value, EarlyStopping):
        fresh = copy.copy(value)
        fresh.reset()
        return fresh
    if isinstance(value, int) and not isinstance(value, bool):
        return EarlyStopping(patience=value)
    raise TypeError("early_stopping must be a patience (int >= 1) or an EarlyStopping, got "
                    f"{type(value).__name__}")
