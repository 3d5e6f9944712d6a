"""The optimizer race: many optimizers x many start points on a 2-D surface, batched.

Its registry of named optimizers (``OPTIMIZERS``) is also the list of names ``fit`` trains
with (``training_optim.py`` derives its own settings from it).

Named optimizers ARE ``torch.optim``'s classes (``OPTIMIZERS`` says which class and settings);
the few textbook variants that differ from PyTorch (epsilon inside the square root, momentum as
an exponential moving average, Adam without bias correction) are separate, clearly named
optimizer classes below, with their formulas. Users may pass any ``torch.optim.Optimizer``
subclass, a factory ``f(params) -> optimizer``, or a dict naming either with its settings.

How it is batched. All the optimizers here update each coordinate from that coordinate's own
gradient and state ("element-wise"). So all ``n`` start points of one optimizer live in ONE
parameter tensor of shape (n, 2) handled by ONE torch.optim optimizer, and the result equals n
separate optimizers, one per start (the tests prove it against that naive loop). The surface
loss is summed over the starts before autograd, and because the surface is element-wise each
start's gradient is its own. All optimizers share one forward/backward per step: their (n, 2)
parameters are views into one (k, n, 2) storage tensor evaluated at once.

Optimizers that are not element-wise (L-BFGS, which takes global dot products and a line
search; Adafactor, which factors second moments over rows and columns; any user class we cannot
vouch for unless it is declared ``elementwise=True``) run one optimizer per start with a
closure, which is slower and says so in ``RaceResult.notes``.

Divergence. A start diverges at the first step whose point has a non-finite coordinate, a
coordinate beyond ``bound`` in absolute value, or a non-finite loss. Its trail is frozen at the
last good point (trajectory and loss stay constant from there on) and it is marked diverged;
the others go on. Because the optimizers are element-wise, a diverged row cannot affect another
row, so freezing after the run gives exactly what masking during the run would.

Convergence. A start that did not diverge is "converged" when at the final point the true
(noise-free) gradient norm and the length of the last step are both <= ``tol``; otherwise it is
"running" (still moving when the steps ran out). Converged means a stationary point, which may
be a local minimum or (rarely, from a start exactly on a ridge) a saddle.
"""

from __future__ import annotations

import functools
import inspect
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..suggest import unknown_name
from .surface_grad import eager_gradient, traced_gradient
from .surfaces import Surface

# --- textbook variants (not PyTorch's formulas; each is named for what it does) ---------------


class EpsInsideAdagrad(torch.optim.Optimizer):
    """Adagrad as many textbooks write it: θ ← θ − η·g / √(G + ε), ε INSIDE the root."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, eps: float = 1e-8) -> None:
        super().__init__(params, {"lr": lr, "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["sum"] = torch.zeros_like(p)
                state["sum"].addcmul_(p.grad, p.grad)
                p.addcdiv_(p.grad, state["sum"].add(group["eps"]).sqrt(), value=-group["lr"])
        return loss


class EpsInsideRMSprop(torch.optim.Optimizer):
    """RMSprop as Hinton's slides and many texts write it: θ ← θ − η·g / √(v + ε)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.zeros_like(p)
                v = state["square_avg"]
                v.mul_(group["alpha"]).addcmul_(p.grad, p.grad, value=1 - group["alpha"])
                p.addcdiv_(p.grad, v.add(group["eps"]).sqrt(), value=-group["lr"])
        return loss


class EMAMomentum(torch.optim.Optimizer):
    """Momentum as an exponential moving average: v₀ = 0, v ← βv + (1 − β)g, θ ← θ − ηv."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, momentum: float = 0.9) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["momentum_buffer"] = torch.zeros_like(p)
                v = state["momentum_buffer"]
                v.mul_(beta).add_(p.grad, alpha=1 - beta)
                p.add_(v, alpha=-group["lr"])
        return loss


class AdamNoBiasCorrection(torch.optim.Optimizer):
    """Adam without bias correction: θ ← θ − η·m / (√v + ε) with m, v started at 0."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.lerp_(p.grad, 1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-group["lr"])
        return loss


#: Classes whose update of each coordinate depends only on that coordinate (and the step
#: count), so n starts in one (n, 2) tensor equal n separate optimizers. Exact classes only: a
#: subclass may override step(), so it is trusted only when declared elementwise=True.
ELEMENTWISE: frozenset[type] = frozenset({
    torch.optim.SGD, torch.optim.Adagrad, torch.optim.RMSprop, torch.optim.Adadelta,
    torch.optim.Adam, torch.optim.AdamW, torch.optim.Adamax, torch.optim.NAdam,
    torch.optim.RAdam, torch.optim.Rprop, torch.optim.ASGD,
    EpsInsideAdagrad, EpsInsideRMSprop, EMAMomentum, AdamNoBiasCorrection,
})

#: Classes refused outright, with the reason.
REFUSED: dict[str, str] = {
    "SparseAdam": "SparseAdam needs sparse gradients; a 2-D surface gives dense ones (use adam)",
}


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter slider: key, label, range, log scale."""

    key: str
    label: str
    lo: float
    hi: float
    log: bool = False
    default: float | None = None  # None: the surface's default learning rate


def _lr(lo: float = 1e-5, hi: float = 10.0) -> Hyper:
    return Hyper("lr", "learning rate η", lo, hi, log=True)


_MOMENTUM = Hyper("momentum", "momentum μ", 0.0, 0.999, default=0.9)
_BETA1 = Hyper("beta1", "β₁", 0.0, 0.999, default=0.9)
_BETA2 = Hyper("beta2", "β₂", 0.5, 0.9999, default=0.999)
_EPS = Hyper("eps", "ε", 1e-10, 1.0, log=True, default=1e-8)


@dataclass(frozen=True)
class NamedOptimizer:
    """A name in the race: a class, fixed settings, its sliders, its formula."""

    cls: type[torch.optim.Optimizer]
    fixed: dict[str, Any]
    hypers: tuple[Hyper, ...]
    lr_kind: str  # "sgd" | "adaptive" | "fixed" (a set default lr)
    formula: str
    variant: bool = False  # True: a textbook form that differs from torch.optim
    fixed_lr: float = 1.0


OPTIMIZERS: dict[str, NamedOptimizer] = {
    "sgd": NamedOptimizer(
        torch.optim.SGD, {}, (_lr(),), "sgd",
        "torch.optim.SGD: θ ← θ − η·g"),
    "momentum": NamedOptimizer(
        torch.optim.SGD, {}, (_lr(), _MOMENTUM), "sgd",
        "torch.optim.SGD(momentum=μ): v₁ = g₁, then v ← μ·v + g (no (1−μ) factor); θ ← θ − η·v"),
    "nesterov": NamedOptimizer(
        torch.optim.SGD, {"nesterov": True}, (_lr(), _MOMENTUM), "sgd",
        "torch.optim.SGD(momentum=μ, nesterov=True): v ← μ·v + g (v₁ = g₁); θ ← θ − η·(g + μ·v)"),
    "momentum_dampened": NamedOptimizer(
        torch.optim.SGD, {}, (_lr(), _MOMENTUM,
                              Hyper("dampening", "dampening τ", 0.0, 0.999, default=0.9)), "sgd",
        "torch.optim.SGD(momentum=μ, dampening=τ): v₁ = g₁ (no dampening on the first step), "
        "then v ← μ·v + (1 − τ)·g; θ ← θ − η·v"),
    "momentum_ema": NamedOptimizer(
        EMAMomentum, {}, (_lr(), Hyper("momentum", "β", 0.0, 0.999, default=0.9)), "sgd",
        "textbook EMA momentum (not torch's): v₀ = 0, v ← β·v + (1 − β)·g; θ ← θ − η·v",
        variant=True),
    "adagrad": NamedOptimizer(
        torch.optim.Adagrad, {}, (_lr(), Hyper("eps", "ε", 1e-10, 1.0, log=True, default=1e-10)),
        "adaptive",
        "torch.optim.Adagrad: G ← G + g²; θ ← θ − η·g / (√G + ε) (ε outside the root)"),
    "adagrad_eps_inside": NamedOptimizer(
        EpsInsideAdagrad, {}, (_lr(), _EPS), "adaptive",
        "textbook Adagrad (not torch's): G ← G + g²; θ ← θ − η·g / √(G + ε) (ε inside the root)",
        variant=True),
    "rmsprop": NamedOptimizer(
        torch.optim.RMSprop, {}, (_lr(), Hyper("alpha", "α", 0.5, 0.9999, default=0.99), _EPS),
        "adaptive",
        "torch.optim.RMSprop: v ← α·v + (1 − α)·g²; θ ← θ − η·g / (√v + ε) (ε outside the root)"),
    "rmsprop_eps_inside": NamedOptimizer(
        EpsInsideRMSprop, {}, (_lr(), Hyper("alpha", "α", 0.5, 0.9999, default=0.99), _EPS),
        "adaptive",
        "textbook RMSprop (not torch's): v ← α·v + (1 − α)·g²; θ ← θ − η·g / √(v + ε) "
        "(ε inside the root)", variant=True),
    "adadelta": NamedOptimizer(
        torch.optim.Adadelta, {}, (_lr(1e-3, 10.0), Hyper("rho", "ρ", 0.5, 0.9999, default=0.9),
                                   Hyper("eps", "ε", 1e-10, 1e-1, log=True, default=1e-6)),
        "fixed",
        "torch.optim.Adadelta: v ← ρ·v + (1 − ρ)·g²; Δ = −√(u + ε)/√(v + ε)·g; "
        "u ← ρ·u + (1 − ρ)·Δ²; θ ← θ + η·Δ"),
    "adam": NamedOptimizer(
        torch.optim.Adam, {}, (_lr(), _BETA1, _BETA2, _EPS), "adaptive",
        "torch.optim.Adam: m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; "
        "m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ); θ ← θ − η·m̂/(√v̂ + ε)"),
    "adam_no_bias_correction": NamedOptimizer(
        AdamNoBiasCorrection, {}, (_lr(), _BETA1, _BETA2, _EPS), "adaptive",
        "Adam without bias correction (not torch's): m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; "
        "θ ← θ − η·m/(√v + ε)", variant=True),
    "adamw": NamedOptimizer(
        torch.optim.AdamW, {}, (_lr(), _BETA1, _BETA2,
                                Hyper("weight_decay", "weight decay λ", 0.0, 1.0, default=0.01)),
        "adaptive",
        "torch.optim.AdamW: θ ← θ − η·λ·θ (decoupled decay), then the Adam step "
        "θ ← θ − η·m̂/(√v̂ + ε)"),
    "nadam": NamedOptimizer(
        torch.optim.NAdam, {}, (_lr(), _BETA1, _BETA2), "adaptive",
        "torch.optim.NAdam: Adam with a Nesterov look-ahead on m and momentum decay "
        "μₜ = β₁(1 − ½·0.96^(0.004·t))"),
    "radam": NamedOptimizer(
        torch.optim.RAdam, {}, (_lr(), _BETA1, _BETA2), "adaptive",
        "torch.optim.RAdam: Adam with the variance rectified by rₜ once ρₜ > 5; before that, "
        "θ ← θ − η·m̂ (momentum SGD)"),
    "adamax": NamedOptimizer(
        torch.optim.Adamax, {}, (_lr(), _BETA1, _BETA2), "adaptive",
        "torch.optim.Adamax: m ← β₁m + (1 − β₁)g; u ← max(β₂·u, |g| + ε); "
        "θ ← θ − η/(1 − β₁ᵗ)·m/u"),
    "rprop": NamedOptimizer(
        torch.optim.Rprop, {}, (_lr(), Hyper("etaminus", "η₋", 0.05, 0.99, default=0.5),
                                Hyper("etaplus", "η₊", 1.01, 3.0, default=1.2)), "adaptive",
        "torch.optim.Rprop: per coordinate, step ×η₊ while sign(g) holds, ×η₋ when it flips "
        "(and no move that step); θ ← θ − step·sign(g)"),
    "lbfgs": NamedOptimizer(
        torch.optim.LBFGS, {"max_iter": 1, "line_search_fn": "strong_wolfe"},
        (_lr(1e-3, 10.0), Hyper("history_size", "history m", 1, 50, default=10)), "fixed",
        "torch.optim.LBFGS(max_iter=1, line_search_fn='strong_wolfe'): quasi-Newton direction "
        "from the last m steps and gradients, strong-Wolfe line search (not element-wise: run "
        "one optimizer per start)"),
}

#: The eight of the issue, the default set of the widget's optimizer menu.
DEFAULT_RACE = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw")

#: What each torch.optim state entry is, for the explainer: (label, role). Roles: "first"
#: (a velocity / first moment, drawn as an arrow), "second" (a second moment, drawn as an
#: ellipse of half-axes ∝ √value), "other" (numbers only).
STATE_LABELS: dict[str, tuple[str, str]] = {
    "momentum_buffer": ("velocity v", "first"),
    "exp_avg": ("first moment m", "first"),
    "grad_avg": ("mean gradient ḡ", "first"),
    "d": ("L-BFGS direction d", "first"),
    "exp_avg_sq": ("second moment v", "second"),
    "square_avg": ("second moment E[g²]", "second"),
    "sum": ("sum of squares G", "second"),
    "exp_inf": ("infinity norm u", "second"),
    "max_exp_avg_sq": ("max second moment", "second"),
    "acc_delta": ("E[Δ²]", "other"),
    "prev": ("previous gradient", "other"),
    "step_size": ("per-coordinate step", "other"),
    "ax": ("averaged θ", "other"),
    "prev_flat_grad": ("previous gradient", "other"),
}

STATUS_NAMES = ("running", "converged", "diverged")
RUNNING, CONVERGED, DIVERGED = 0, 1, 2

#: Largest race accepted: optimizers x (steps + 1) x starts x 2 float64 values.
MAX_VALUES = 40_000_000
MAX_STEPS = 20_000
MAX_STARTS = 4096


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_lr(lr: Any, name: str) -> float:
    """A learning rate must be a finite number > 0: raise a message naming ``lr`` otherwise."""
    if isinstance(lr, torch.Tensor) and lr.numel() == 1:
        lr = float(lr)
    if not _is_number(lr):
        raise TypeError(f"lr of {name!r} must be a number > 0, got {lr!r} ({type(lr).__name__})")
    value = float(lr)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"lr of {name!r} must be a finite number > 0, got {lr!r}")
    return value


@dataclass
class OptimizerSpec:
    """A resolved race entry: how to build its torch optimizer and what to show about it."""

    name: str
    target: Any  # an Optimizer subclass or a factory f(params, **hyper) -> Optimizer
    hyper: dict[str, Any]  # slider values (lr, beta1, ...): what the sliders change
    fixed: dict[str, Any]  # other settings passed as they are
    hypers: tuple[Hyper, ...]  # slider descriptions
    formula: str
    elementwise: bool
    kind: str  # "torch" | "variant" | "user"
    class_name: str
    note: str = ""

    def kwargs(self) -> dict[str, Any]:
        """Constructor keyword arguments: fixed settings plus sliders (beta1/2 -> betas...)."""
        kw = dict(self.fixed)
        hyper = dict(self.hyper)
        if "beta1" in hyper or "beta2" in hyper:
            b1, b2 = kw.pop("betas", (0.9, 0.999))
            kw["betas"] = (float(hyper.pop("beta1", b1)), float(hyper.pop("beta2", b2)))
        if "etaminus" in hyper or "etaplus" in hyper:
            e1, e2 = kw.pop("etas", (0.5, 1.2))
            kw["etas"] = (float(hyper.pop("etaminus", e1)), float(hyper.pop("etaplus", e2)))
        if "history_size" in hyper:
            hyper["history_size"] = int(round(float(hyper["history_size"])))
        kw.update(hyper)
        return kw

    def build(self, params: list[torch.Tensor]) -> torch.optim.Optimizer:
        """A fresh torch optimizer over ``params``."""
        opt = self.target(params, **self.kwargs())
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError(
                f"optimizers: {self.name!r} built a {type(opt).__name__}, not a torch.optim.Optimizer"
            )
        return opt

    def with_hyper(self, **changes: Any) -> OptimizerSpec:
        """A copy with some slider values changed (validated)."""
        hyper = {**self.hyper, **changes}
        if "lr" in hyper:
            hyper["lr"] = check_lr(hyper["lr"], self.name)
        spec = OptimizerSpec(**{**self.__dict__, "hyper": hyper})
        _validate_build(spec)
        return spec


def _accepts(target: Any, key: str) -> bool:
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return False
    return key in sig.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())


def _signature_default(target: Any, key: str) -> Any:
    try:
        param = inspect.signature(target).parameters.get(key)
    except (TypeError, ValueError):
        return None
    if param is None or param.default is inspect.Parameter.empty:
        return None
    return param.default


def _validate_build(spec: OptimizerSpec) -> None:
    probe = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
    try:
        spec.build([probe])
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"optimizers: {spec.name!r}: {exc}") from exc
    except Exception as exc:  # a user's class may raise anything
        raise ValueError(f"optimizers: {spec.name!r} could not be built: "
                         f"{type(exc).__name__}: {exc}") from exc


def _split_pairs(settings: dict[str, Any]) -> dict[str, Any]:
    out = dict(settings)
    if "betas" in out:
        b1, b2 = out.pop("betas")
        out["beta1"], out["beta2"] = float(b1), float(b2)
    if "etas" in out:
        e1, e2 = out.pop("etas")
        out["etaminus"], out["etaplus"] = float(e1), float(e2)
    return out


def _from_name(key: str, surface: Surface | None, settings: dict[str, Any],
               label: str | None = None) -> OptimizerSpec:
    entry = OPTIMIZERS[key]
    settings = _split_pairs(settings)
    hyper: dict[str, Any] = {}
    for h in entry.hypers:
        if h.key == "lr":
            if entry.lr_kind == "sgd":
                hyper["lr"] = surface.lr_sgd if surface is not None else 1e-2
            elif entry.lr_kind == "adaptive":
                hyper["lr"] = surface.lr_adaptive if surface is not None else 1e-2
            else:
                hyper["lr"] = entry.fixed_lr
        else:
            hyper[h.key] = h.default
    fixed = dict(entry.fixed)
    for k, v in settings.items():
        if k in hyper:
            hyper[k] = v
        else:
            fixed[k] = v
    name = label or key
    hyper["lr"] = check_lr(hyper["lr"], name)
    for k, v in hyper.items():
        if not _is_number(v):
            raise TypeError(f"{k} of {name!r} must be a number, got {v!r}")
    cls = entry.cls
    return OptimizerSpec(
        name=name, target=cls, hyper=hyper, fixed=fixed, hypers=entry.hypers,
        formula=entry.formula, elementwise=cls in ELEMENTWISE,
        kind="variant" if entry.variant else "torch",
        class_name=f"{cls.__module__}.{cls.__qualname__}" if entry.variant
        else f"torch.optim.{cls.__name__}",
        note="" if cls in ELEMENTWISE else
        f"{name}: not element-wise, run as one optimizer per start (slower); each step may "
        "evaluate the surface several times (line search)",
    )


def _from_callable(target: Any, surface: Surface | None, settings: dict[str, Any], label: str | None,
                   elementwise: bool | None, formula: str | None) -> OptimizerSpec:
    is_class = isinstance(target, type)
    if is_class and not issubclass(target, torch.optim.Optimizer):
        raise TypeError(f"optimizers: {target.__name__} is not a torch.optim.Optimizer subclass")
    if is_class and target.__name__ in REFUSED:
        raise ValueError(f"optimizers: {REFUSED[target.__name__]}")
    raw_name = target.__name__ if hasattr(target, "__name__") else type(target).__name__
    name = label or (raw_name.lower() if is_class else
                     ("custom" if raw_name == "<lambda>" else raw_name))
    settings = _split_pairs(settings)
    hyper: dict[str, Any] = {}
    fixed: dict[str, Any] = {}
    hypers: list[Hyper] = []
    if "lr" in settings:
        hyper["lr"] = check_lr(settings.pop("lr"), name)
    elif _accepts(target, "lr"):
        default = _signature_default(target, "lr")
        hyper["lr"] = check_lr(default, name) if _is_number(default) and float(default) > 0 \
            else (surface.lr_adaptive if surface is not None else 1e-2)
    if "lr" in hyper:
        hypers.append(_lr())
    known = {h.key: h for named in OPTIMIZERS.values() for h in named.hypers}
    for k, v in settings.items():
        if k in known and _is_number(v):
            hyper[k] = v
            hypers.append(known[k])
        else:
            fixed[k] = v
    qual = f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', raw_name)}"
    is_torch = is_class and target.__module__.startswith("torch.optim")
    spec = OptimizerSpec(
        name=name, target=target, hyper=hyper, fixed=fixed, hypers=tuple(hypers),
        formula=formula or (f"{qual} (user-supplied)" if not is_torch else qual),
        elementwise=False, kind="torch" if is_torch else "user", class_name=qual,
    )
    if elementwise is None:
        if is_class:
            spec.elementwise = target in ELEMENTWISE
        else:  # a factory: trust it when it builds exactly a known element-wise class
            probe = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
            try:
                built = spec.build([probe])
            except Exception as exc:
                raise ValueError(f"optimizers: {name!r} could not be built: "
                                 f"{type(exc).__name__}: {exc}") from exc
            spec.elementwise = type(built) in ELEMENTWISE
            if type(built).__name__ in REFUSED:
                raise ValueError(f"optimizers: {REFUSED[type(built).__name__]}")
            if spec.class_name.endswith("<lambda>") or not is_class:
                spec.class_name = f"{qual} -> {type(built).__module__}.{type(built).__qualname__}"
    else:
        spec.elementwise = bool(elementwise)
    if not spec.elementwise:
        spec.note = (f"{name}: not known to be element-wise, run as one optimizer per start "
                     "(slower); pass {'optimizer': ..., 'elementwise': True} to batch it if its "
                     "update of each coordinate uses only that coordinate")
    return spec


def resolve_optimizer(item: Any, surface: Surface | None = None) -> OptimizerSpec:
    """One race entry from a name, an Optimizer subclass, a factory, or a dict of those."""
    if isinstance(item, OptimizerSpec):
        return item
    label: str | None = None
    elementwise: bool | None = None
    formula: str | None = None
    settings: dict[str, Any] = {}
    target: Any = item
    if isinstance(item, dict):
        settings = dict(item)
        target = settings.pop("optimizer", settings.get("name"))
        label = settings.pop("name", None)
        elementwise = settings.pop("elementwise", None)
        formula = settings.pop("formula", None)
        if target is None:
            raise ValueError(f"optimizers: an entry given as a dict needs 'optimizer' or 'name', got {item!r}")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"optimizers: 'name' must be a string, got {label!r}")
    if isinstance(target, str):
        key = target.strip().lower()
        if key not in OPTIMIZERS:
            raise ValueError("optimizers: " + unknown_name(
                "optimizer", target, OPTIMIZERS,
                also=", or pass a torch.optim.Optimizer subclass or factory"))
        spec = _from_name(key, surface, settings, label)
        if elementwise is not None:
            spec.elementwise = bool(elementwise)
        if formula:
            spec.formula = formula
    elif callable(target):
        spec = _from_callable(target, surface, settings, label, elementwise, formula)
    else:
        raise TypeError(
            "optimizers: each entry must be a name, a torch.optim.Optimizer subclass, a factory "
            f"f(params) -> optimizer, or a dict; got {type(target).__name__}"
        )
    _validate_build(spec)
    return spec


def resolve_optimizers(items: Any, surface: Surface | None = None) -> list[OptimizerSpec]:
    """Resolve the ``optimizers=`` argument; names must be unique."""
    if isinstance(items, (str, dict)) or isinstance(items, type) or (
            callable(items) and not isinstance(items, (list, tuple))):
        items = [items]
    try:
        entries = list(items)
    except TypeError:
        raise TypeError(f"optimizers must be a list of names/classes/factories, got {items!r}") from None
    if not entries:
        raise ValueError("optimizers must name at least one optimizer")
    specs = [resolve_optimizer(item, surface) for item in entries]
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(
                f"optimizers: the name {spec.name!r} appears twice; give one a label with "
                "{'optimizer': ..., 'name': 'other name'}"
            )
        seen.add(spec.name)
    return specs


# --- the race ---------------------------------------------------------------------------------


@dataclass
class RaceResult:
    """Everything the race computed, as numpy arrays (float64)."""

    names: list[str]
    starts: np.ndarray  # (n, 2)
    positions: np.ndarray  # (k, steps + 1, n, 2): position of every start after each step
    losses: np.ndarray  # (k, steps + 1, n): the true loss at those positions
    diverged_step: np.ndarray  # (k, n) int64: first bad step, -1 when never
    status: np.ndarray  # (k, n) int8: RUNNING / CONVERGED / DIVERGED
    grad_norm: np.ndarray  # (k, n): true gradient norm at the final point
    grads: np.ndarray  # (k, steps, 2): gradient the optimizer got at step t, start 0 (noise in)
    states: list[dict[str, np.ndarray]]  # per optimizer: torch state key -> (steps, 2), start 0
    steps: int
    noise: float
    seed: int
    tol: float
    bound: float
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no optimizer {name!r} in this race; it has: {', '.join(self.names)}") from None

    def trajectory(self, name: str, start: int = 0) -> np.ndarray:
        """(steps + 1, 2) positions of one start."""
        return self.positions[self.index(name), :, start, :]

    def status_of(self, name: str, start: int = 0) -> str:
        return STATUS_NAMES[int(self.status[self.index(name), start])]

    def replace(self, other: RaceResult) -> RaceResult:
        """This result with the optimizers of ``other`` (same starts/steps/noise) swapped in."""
        if (other.steps != self.steps or other.starts.shape != self.starts.shape
                or not np.array_equal(other.starts, self.starts)):
            raise ValueError("can only merge races with the same starts and steps")
        names = list(self.names)
        arrays = {k: list(getattr(self, k)) for k in
                  ("positions", "losses", "diverged_step", "status", "grad_norm", "grads")}
        states = list(self.states)
        for j, name in enumerate(other.names):
            i = names.index(name) if name in names else None
            if i is None:
                names.append(name)
                states.append(other.states[j])
                for k in arrays:
                    arrays[k].append(getattr(other, k)[j])
            else:
                states[i] = other.states[j]
                for k in arrays:
                    arrays[k][i] = getattr(other, k)[j]
        notes = [n for n in self.notes if not any(n.startswith(f"{o}:") for o in other.names)]
        notes += [n for n in other.notes if n not in notes]
        return RaceResult(names=names, starts=self.starts, **{k: np.stack(v) for k, v in arrays.items()},
                          states=states, steps=self.steps, noise=self.noise, seed=self.seed,
                          tol=self.tol, bound=self.bound, notes=notes,
                          elapsed_s=other.elapsed_s)

    def subset(self, names: Sequence[str]) -> RaceResult:
        idx = [self.index(n) for n in names]
        return RaceResult(
            names=[self.names[i] for i in idx], starts=self.starts,
            positions=self.positions[idx], losses=self.losses[idx],
            diverged_step=self.diverged_step[idx], status=self.status[idx],
            grad_norm=self.grad_norm[idx], grads=self.grads[idx],
            states=[self.states[i] for i in idx], steps=self.steps, noise=self.noise,
            seed=self.seed, tol=self.tol, bound=self.bound,
            notes=[n for n in self.notes if any(n.startswith(f"{self.names[i]}:") for i in idx)],
            elapsed_s=self.elapsed_s)


def default_bound(surface: Surface) -> float:
    """Coordinates beyond this (in absolute value) count as divergence: 100 x the domain size."""
    return 100.0 * max(1.0, *(abs(v) for v in surface.domain))


def swarm_starts(surface: Surface, n: int, seed: int = 0,
                 first: tuple[float, float] | None = None) -> np.ndarray:
    """``n`` start points drawn uniformly in the surface's domain (seeded); ``first`` leads."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_STARTS:
        raise ValueError(f"swarm size must be an integer in [1, {MAX_STARTS}], got {n!r}")
    x0, x1, y0, y1 = surface.domain
    gen = torch.Generator().manual_seed(int(seed) + 7919)
    u = torch.rand((int(n), 2), generator=gen, dtype=torch.float64).numpy()
    pts = np.stack([x0 + u[:, 0] * (x1 - x0), y0 + u[:, 1] * (y1 - y0)], axis=1)
    if first is not None:
        pts[0] = first
    return pts


def gradient_noise(steps: int, n: int, noise: float, seed: int,
                   dtype: torch.dtype = torch.float64) -> torch.Tensor | None:
    """Seeded N(0, noise²) per step, start and coordinate; shared by every optimizer."""
    if noise == 0:
        return None
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn((steps, n, 2), generator=gen, dtype=dtype) * float(noise)


def _check_race_args(surface: Surface, starts: Any, steps: Any, noise: Any, tol: Any,
                     bound: float, n_opt: int) -> np.ndarray:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in [1, {MAX_STEPS}], got {steps!r}")
    if not _is_number(noise) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0 (gradient noise std), got {noise!r}")
    if not _is_number(tol) or not tol > 0:
        raise ValueError(f"tol must be a number > 0, got {tol!r}")
    try:
        pts = np.array(starts, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"start must be a point (x, y) or an array of points, got {starts!r}") from None
    if pts.ndim == 1:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != 2 or not 1 <= pts.shape[0] <= MAX_STARTS:
        raise ValueError(
            f"start must be (x, y) or an (n, 2) array with 1 <= n <= {MAX_STARTS}, got shape {pts.shape}")
    if not np.all(np.isfinite(pts)) or np.any(np.abs(pts) > bound):
        raise ValueError(f"start points must be finite and within ±{bound:g}, got {pts[:4].tolist()}...")
    total = n_opt * (int(steps) + 1) * pts.shape[0] * 2
    if total > MAX_VALUES:
        raise ValueError(
            f"this race would hold {total:,} numbers (optimizers x (steps+1) x starts x 2), over "
            f"the {MAX_VALUES:,} limit; use fewer steps or starts")
    with torch.no_grad():
        t = torch.from_numpy(pts)
        z = surface.fn(t[:, 0], t[:, 1])
    if not torch.all(torch.isfinite(z)):
        bad = pts[~torch.isfinite(z).numpy()][0]
        raise ValueError(f"start: the surface is not finite at ({bad[0]:g}, {bad[1]:g})")
    return pts


def _freeze_diverged(pos: np.ndarray, loss: np.ndarray, bound: float) -> np.ndarray:
    """In place: freeze each start at its last good point; return the first bad step (-1 none).

    ``pos`` is (steps + 1, n, 2) and ``loss`` (steps + 1, n) for one optimizer.
    """
    with np.errstate(invalid="ignore"):
        bad = (~np.isfinite(pos).all(axis=2)) | (np.abs(pos) > bound).any(axis=2) \
            | ~np.isfinite(loss)
    has = bad.any(axis=0)
    first = np.where(has, bad.argmax(axis=0), -1)
    for i in np.nonzero(has)[0]:
        t = int(first[i])
        pos[t:, i] = pos[t - 1, i]
        loss[t:, i] = loss[t - 1, i]
    return first


def _record_keys(opt: torch.optim.Optimizer, param: torch.Tensor) -> list[str]:
    return [k for k, v in opt.state[param].items()
            if isinstance(v, torch.Tensor) and v.numel() == param.numel()
            and v.shape[-1:] == param.shape[-1:]]


def _final_status(pos: np.ndarray, gnorm: np.ndarray, first_bad: np.ndarray,
                  tol: float) -> np.ndarray:
    last_step = np.linalg.norm(pos[-1] - pos[-2], axis=-1) if pos.shape[0] > 1 else np.zeros(pos.shape[1])
    status = np.full(pos.shape[1], RUNNING, dtype=np.int8)
    status[(gnorm <= tol) & (last_step <= tol)] = CONVERGED
    status[first_bad >= 0] = DIVERGED
    return status


def _true_grad(surface: Surface, pts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return eager_gradient(_guarded_surface(surface.fn), pts)


def run_race(surface: Surface, specs: Sequence[OptimizerSpec], starts: Any, steps: int = 300, *,
             noise: float = 0.0, seed: int = 0, tol: float = 1e-3, bound: float | None = None,
             record_state: bool = True, device: torch.device | str | None = None,
             dtype: torch.dtype = torch.float64) -> RaceResult:
    """Race ``specs`` on ``surface`` from ``starts`` (one point or (n, 2)) for ``steps`` steps.

    Element-wise optimizers run batched (one torch optimizer per entry over an (n, 2) tensor,
    one shared forward/backward per step); the others run one optimizer per start.
    """
    t0 = time.perf_counter()
    bound = float(bound) if bound is not None else default_bound(surface)
    pts = _check_race_args(surface, starts, steps, noise, tol, bound, len(specs))
    steps = int(steps)
    n = pts.shape[0]
    dev = torch.device(device) if device is not None else torch.device("cpu")
    noise_t = gradient_noise(steps, n, float(noise), seed, dtype)
    if noise_t is not None:
        noise_t = noise_t.to(dev)
    k = len(specs)
    positions = np.empty((k, steps + 1, n, 2))
    losses = np.empty((k, steps + 1, n))
    grad_norm = np.empty((k, n))
    grads = np.zeros((k, steps, 2))
    states: list[dict[str, np.ndarray]] = [{} for _ in specs]
    notes: list[str] = []

    batched = [i for i, s in enumerate(specs) if s.elementwise]
    single = [i for i, s in enumerate(specs) if not s.elementwise]
    if batched:
        out = _run_batched(surface, [specs[i] for i in batched], pts, steps, noise_t,
                           record_state, dev, dtype)
        for j, i in enumerate(batched):
            positions[i], losses[i], grad_norm[i], grads[i] = (out[0][j], out[1][j], out[2][j],
                                                               out[3][j])
            states[i] = out[4][j]
    for i in single:
        spec = specs[i]
        if spec.note:
            notes.append(spec.note)
        p, ls, gn, gr, st = _run_per_start(surface, spec, pts, steps, noise_t, bound,
                                           record_state, dev, dtype)
        positions[i], losses[i], grad_norm[i], grads[i], states[i] = p, ls, gn, gr, st

    diverged = np.empty((k, n), dtype=np.int64)
    status = np.empty((k, n), dtype=np.int8)
    for i in range(k):
        diverged[i] = _freeze_diverged(positions[i], losses[i], bound)
        status[i] = _final_status(positions[i], grad_norm[i], diverged[i], tol)
        if diverged[i, 0] >= 0:  # explainer data of start 0 ends where its trail stops
            t = int(diverged[i, 0])
            grads[i, t:] = np.nan
            for key in states[i]:
                states[i][key][t:] = np.nan
        n_div = int((diverged[i] >= 0).sum())
        if n_div:
            where = f"at step {int(diverged[i, 0])}" if n == 1 else f"{n_div} of {n} starts"
            notes.append(f"{specs[i].name}: diverged {where} (loss or a coordinate became "
                         f"non-finite or left ±{bound:g}); its trail stops there")
    return RaceResult(
        names=[s.name for s in specs], starts=pts, positions=positions, losses=losses,
        diverged_step=diverged, status=status, grad_norm=grad_norm, grads=grads, states=states,
        steps=steps, noise=float(noise), seed=int(seed), tol=float(tol), bound=bound,
        notes=notes, elapsed_s=time.perf_counter() - t0,
    )


class SurfaceError(ValueError):
    """The surface function failed on points the race reached."""


def _guarded_surface(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
                     ) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    def guarded(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        try:
            return fn(x, y)
        except Exception as exc:  # the user's code: report it, whatever it is
            raise SurfaceError(
                f"surface: the function raised {type(exc).__name__}: {exc} on points the race "
                "reached; make it work for any finite x, y (torch.where instead of Python if)"
            ) from exc
    return guarded


def _bare_step(opt: torch.optim.Optimizer, spec: OptimizerSpec, *,
               grad_off: bool = False) -> Callable[[], Any]:
    """``opt.step`` without ``Optimizer``'s profiling wrapper when that wrapper would do nothing.

    ``torch.optim.Optimizer`` wraps every subclass's ``step`` in ``profile_hook_step``, which
    opens a profiler ``record_function`` and runs the registered step pre/post hooks around the
    class's own ``step`` (the update itself). With no hooks registered, the wrapper only costs
    time (about 40% of a step on 2 parameters), so the race calls the class's own ``step``
    directly, the same code that does the update. Any registered hook, a user class, or a
    wrapper that does not look as expected falls back to ``opt.step``.

    With ``grad_off`` (the caller steps with autograd off, as the traced race loop does), the
    ``_use_grad`` wrapper inside, which only turns autograd off around the step, is skipped too
    for optimizers that are not ``differentiable``.
    """
    from torch.optim import optimizer as torch_optimizer

    step = type(opt).step
    inner = getattr(step, "__wrapped__", None)
    if (spec.kind == "user" or inner is None or not getattr(step, "hooked", False)
            or getattr(opt, "_optimizer_step_pre_hooks", None)
            or getattr(opt, "_optimizer_step_post_hooks", None)
            or getattr(torch_optimizer, "_global_optimizer_pre_hooks", None)
            or getattr(torch_optimizer, "_global_optimizer_post_hooks", None)
            or getattr(inner, "__qualname__", "") not in
            {f"{c.__qualname__}.step" for c in type(opt).__mro__}):
        return opt.step
    use_grad = getattr(inner, "__wrapped__", None)
    if (grad_off and use_grad is not None and not opt.defaults.get("differentiable", False)
            and getattr(getattr(inner, "__code__", None), "co_name", "") == "_use_grad"):
        return functools.partial(use_grad, opt)
    return functools.partial(inner, opt)


def _run_batched(surface: Surface, specs: Sequence[OptimizerSpec], pts: np.ndarray, steps: int,
                 noise_t: torch.Tensor | None, record_state: bool, dev: torch.device,
                 dtype: torch.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                              list[dict[str, np.ndarray]]]:
    k, n = len(specs), pts.shape[0]
    fn = _guarded_surface(surface.fn)
    # a user's element-wise class might change p.grad in place: give it its own copy
    private = [spec.kind == "user" for spec in specs]
    start = torch.from_numpy(pts).to(dev, dtype).unsqueeze(0).repeat(k, 1, 1).contiguous()
    # torch.optim's own classes step on a gradient traced once from autograd (surface_grad.py),
    # with autograd off; anything else (a user's class, a surface that cannot be traced) uses
    # backward() every step
    grad_fn = None if any(private) else traced_gradient(surface.fn, start)
    mode = torch.inference_mode() if grad_fn is not None else torch.enable_grad()
    with mode:
        # one storage for every optimizer's (n, 2) parameter: one gradient call per step
        store = start.clone()
        params = [store[i] for i in range(k)]  # views; leaves (store does not require grad)
        opts = [spec.build([p]) for spec, p in zip(specs, params)]
        # foreach=None would group the parameter tensors every step; with one (n, 2) tensor per
        # optimizer the per-tensor step does the same kernels without that Python work, on every
        # device (on a CPU it is also what None resolves to). Decided once, not per step.
        for opt in opts:
            for group in opt.param_groups:
                if "foreach" in group and group["foreach"] is None:
                    group["foreach"] = False
        steppers = [_bare_step(opt, spec, grad_off=grad_fn is not None)
                    for opt, spec in zip(opts, specs)]
        # per-step records are kept as lists of fresh tensors and stacked once at the end: the
        # hot loop does as few tensor operations as possible (each costs microseconds)
        positions = [store.clone()]
        grads: list[torch.Tensor] = []
        keys: list[list[str]] = []
        snapshots: list[list[torch.Tensor]] = [[] for _ in specs]  # (keys, 2) per step
        ones = torch.ones((k, n), dtype=dtype, device=dev)
        for t in range(steps):
            if grad_fn is not None:
                g = grad_fn(store)
            else:
                leaf = store.detach().requires_grad_()
                x, y = leaf.unbind(-1)
                # d(sum of losses)/d(points): the seed gradient is 1 for every start's own
                # loss, so each row of leaf.grad is that start's own gradient
                fn(x, y).backward(ones)
                assert leaf.grad is not None
                g = leaf.grad
            if noise_t is not None:
                g += noise_t[t]
            grads.append(g)
            for i in range(k):
                params[i].grad = g[i].clone() if private[i] else g[i]
                try:
                    steppers[i]()
                except Exception as exc:
                    raise ValueError(f"optimizers: {specs[i].name!r} failed at step {t}: "
                                     f"{type(exc).__name__}: {exc}") from exc
            positions.append(store.clone())
            if record_state:
                if t == 0:
                    keys = [_record_keys(opts[i], params[i]) for i in range(k)]
                for i in range(k):
                    # the first start's state, all keys in one stack: one kernel per optimizer
                    # and step (a clone per key is one copy each, a memcpy call on CUDA)
                    st = opts[i].state[params[i]]
                    if keys[i]:
                        snapshots[i].append(torch.stack([st[key][0] for key in keys[i]]))
        traj = torch.stack(positions)  # (steps + 1, k, n, 2)
        end = store.clone()
    with torch.no_grad():  # the loss along every trail, in one batched call
        loss = fn(traj[..., 0], traj[..., 1])
    _, g_end = _true_grad(surface, end)
    gnorm = torch.linalg.vector_norm(g_end, dim=-1)
    pos = traj.permute(1, 0, 2, 3).cpu().numpy().astype(np.float64)
    ls = loss.permute(1, 0, 2).cpu().numpy().astype(np.float64)
    if grads:
        gr = torch.stack(grads)[:, :, 0].permute(1, 0, 2).cpu().numpy().astype(np.float64)
    else:
        gr = np.zeros((k, 0, 2))
    st_np: list[dict[str, np.ndarray]] = []
    for i in range(k):
        snap = torch.stack(snapshots[i]).cpu().numpy().astype(np.float64) if snapshots[i] else None
        st_np.append({key: snap[:, j] for j, key in enumerate(keys[i])} if snap is not None else {})
    return pos, ls, gnorm.cpu().numpy().astype(np.float64), gr, st_np


class _closure:
    """The closure torch.optim's step(closure) wants: zero grads, loss, backward, + noise."""

    def __init__(self, fn: Any, p: torch.Tensor, opt: torch.optim.Optimizer,
                 noise_t: torch.Tensor | None, start: int) -> None:
        self.fn, self.p, self.opt, self.noise_t, self.start = fn, p, opt, noise_t, start
        self.step = 0

    def __call__(self) -> torch.Tensor:
        self.opt.zero_grad()
        loss = self.fn(self.p[0:1], self.p[1:2]).sum()
        loss.backward()
        if self.noise_t is not None and self.p.grad is not None:
            self.p.grad += self.noise_t[self.step, self.start]
        return loss


def _run_per_start(surface: Surface, spec: OptimizerSpec, pts: np.ndarray, steps: int,
                   noise_t: torch.Tensor | None, bound: float, record_state: bool,
                   dev: torch.device, dtype: torch.dtype
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One torch optimizer per start, stepped with a closure (any optimizer works this way)."""
    n = pts.shape[0]
    fn = _guarded_surface(surface.fn)
    pos = np.empty((steps + 1, n, 2))
    ls = np.empty((steps + 1, n))
    gnorm = np.empty(n)
    grads = np.full((steps, 2), np.nan)
    states: dict[str, np.ndarray] = {}
    for i in range(n):
        p = torch.tensor(pts[i], dtype=dtype, device=dev, requires_grad=True)
        opt = spec.build([p])
        pos[0, i] = pts[i]
        stopped = False
        closure = _closure(fn, p, opt, noise_t, i)
        for t in range(steps):
            closure.step = t
            with torch.no_grad():
                ls[t, i] = float(fn(p[0:1], p[1:2]).sum())
            if not math.isfinite(ls[t, i]):
                stopped = True  # the loss at this point is bad: freeze (filled in below)
            else:
                closure()  # the gradient at p_t (+ noise), whether or not step() calls closure
                if i == 0 and p.grad is not None:
                    grads[t] = p.grad.detach().cpu().numpy()
                try:
                    if isinstance(opt, torch.optim.LBFGS):
                        opt.step(closure)  # its line search evaluates the surface again
                    else:
                        opt.step()
                except SurfaceError:
                    raise
                except Exception as exc:
                    raise ValueError(f"optimizers: {spec.name!r} failed at step {t}: "
                                     f"{type(exc).__name__}: {exc}") from exc
                if i == 0:
                    if record_state:
                        for key, v in opt.state[p].items():
                            if isinstance(v, torch.Tensor) and v.numel() == 2:
                                states.setdefault(key, np.full((steps, 2), np.nan))[t] = \
                                    v.detach().reshape(2).cpu().numpy()
                pos[t + 1, i] = p.detach().cpu().numpy()
                value = pos[t + 1, i]
                stopped = not np.all(np.isfinite(value)) or bool(np.any(np.abs(value) > bound))
            if stopped:
                # no more steps for this start; _freeze_diverged finds the first bad point
                # (a NaN marks it) and freezes the trail at the last good one
                pos[t + 1:, i] = np.nan
                ls[t + 1:, i] = np.nan
                gnorm[i] = np.nan
                break
        if not stopped:
            z, g = _true_grad(surface, p.detach().unsqueeze(0))
            ls[steps, i] = float(z[0])
            gnorm[i] = float(torch.linalg.vector_norm(g[0]))
    return pos, ls, gnorm, grads, states


def run_race_naive(surface: Surface, specs: Sequence[OptimizerSpec], starts: Any,
                   steps: int = 300, *, noise: float = 0.0, seed: int = 0,
                   bound: float | None = None, dtype: torch.dtype = torch.float64
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The naive way, as a reference: one torch optimizer per start and optimizer, (2,) params.

    Returns positions (k, steps + 1, n, 2) and losses (k, steps + 1, n), frozen at divergence
    exactly as ``run_race`` freezes them.
    """
    bound = float(bound) if bound is not None else default_bound(surface)
    pts = _check_race_args(surface, starts, steps, noise, 1.0, bound, len(specs))
    n = pts.shape[0]
    noise_t = gradient_noise(steps, n, float(noise), seed, dtype)
    positions = np.empty((len(specs), steps + 1, n, 2))
    losses = np.empty((len(specs), steps + 1, n))
    for j, spec in enumerate(specs):
        for i in range(n):
            p = torch.tensor(pts[i], dtype=dtype, requires_grad=True)
            opt = spec.build([p])
            positions[j, 0, i] = pts[i]
            for t in range(steps):
                opt.zero_grad()
                loss = surface.fn(p[0], p[1])
                loss.backward()
                losses[j, t, i] = float(loss.detach())
                if noise_t is not None:
                    assert p.grad is not None
                    p.grad += noise_t[t, i]
                opt.step()
                positions[j, t + 1, i] = p.detach().numpy()
            with torch.no_grad():
                losses[j, steps, i] = float(surface.fn(p[0], p[1]))
        _freeze_diverged(positions[j], losses[j], bound)
    return positions, losses
