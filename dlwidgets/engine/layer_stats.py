"""Per-layer health statistics during training: gradient, weight and update norms, dead and
saturated activation units, and the warnings they trigger.

``LayerInspector`` is driven by the fit loop around one optimizer step:

    recording = inspector.begin(step)   # hooks on activation modules, only for this step
    ... forward, loss, backward ...
    inspector.after_backward()          # gradient and weight norms (before clipping / update)
    ... clip, optimizer.step() ...
    row = inspector.after_update()      # update norms; hooks removed; one device → host copy

A "layer" is a module with its own parameters (``named_modules()`` name, registration order,
which is input → output for sequential models); an "activation layer" is an ``nn.ReLU``,
``nn.Sigmoid`` or ``nn.Tanh`` module. Everything is computed under ``torch.no_grad`` on the
device with ``torch._foreach_norm`` (one kernel per list), and one small tensor is copied to the
host per recorded step. Recording every ``k`` steps: a fixed ``k``, or adaptive so that the time
spent here stays within ``budget`` of the training time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh)
MAX_LAYERS = 200  # more layers than this: only the first MAX_LAYERS by name are recorded
SATURATION = 1e-2  # derivative of sigmoid / tanh below this: a saturated unit
# s(1−s) < SATURATION  ⇔  |s − ½| > √(1 − 4·SATURATION)/2;  1 − t² < SATURATION  ⇔  |t| > √(1 − SATURATION)
_SIGMOID_EDGE = math.sqrt(1 - 4 * SATURATION) / 2
_TANH_EDGE = math.sqrt(1 - SATURATION)

# warning thresholds (see docs/training.md, "Inside training")
VANISHING_RATIO = 1e-4  # first layer's grad norm / last layer's
DEAD_FRACTION = 0.5
SATURATED_FRACTION = 0.5
UPDATE_RATIO = 0.1  # ‖Δw‖/‖w‖; ~1e-3 is the usual healthy value


def _sci(x: float) -> str:
    return f"{x:.0e}".replace("e-0", "e-").replace("e+0", "e")


@dataclass
class LayerSpec:
    names: list[str]  # parameter layers, in order
    activations: list[str]  # activation modules, in order
    frozen: list[str]  # parameter layers with no trainable parameter
    note: str = ""  # what was left out, when anything was

    @property
    def order(self) -> list[str]:
        """Both kinds together in ``named_modules()`` order (input → output)."""
        return [n for n in self._all if n in self.names or n in self.activations]

    _all: list[str] = field(default_factory=list)


def layer_spec(model: nn.Module, max_layers: int = MAX_LAYERS) -> tuple[LayerSpec, dict[str, Any]]:
    """The layers of ``model`` recorded by the inspector, and their modules by name."""
    modules: dict[str, nn.Module] = {}
    names: list[str] = []
    acts: list[str] = []
    frozen: list[str] = []
    for name, module in model.named_modules():
        own = list(module.parameters(recurse=False))
        if own:
            names.append(name or type(module).__name__)
            modules[names[-1]] = module
            if not any(p.requires_grad for p in own):
                frozen.append(names[-1])
        elif isinstance(module, ACTIVATIONS):
            acts.append(name or type(module).__name__)
            modules[acts[-1]] = module
    note = ""
    if len(names) > max_layers:
        note = (f"the model has {len(names)} layers with parameters; only the first {max_layers} "
                f"({names[0]} … {names[max_layers - 1]}) are recorded")
        names = names[:max_layers]
    if len(acts) > max_layers:
        extra = (f"only the first {max_layers} of {len(acts)} activation modules "
                 f"({acts[0]} … {acts[max_layers - 1]}) are recorded")
        note = f"{note}; {extra}" if note else extra
        acts = acts[:max_layers]
    return LayerSpec(names, acts, frozen, note, list(modules)), modules


def _norm_list(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """L2 norm of each tensor (0-d tensors on the device); sparse tensors handled too."""
    if not any(t.is_sparse for t in tensors):
        return list(torch._foreach_norm(tensors))
    dense = [t for t in tensors if not t.is_sparse]
    dense_norms = iter(torch._foreach_norm(dense) if dense else [])
    return [t.coalesce().values().float().norm() if t.is_sparse else next(dense_norms)
            for t in tensors]


@dataclass
class LayerInspector:
    model: nn.Module
    every: int | None = None  # None: adaptive
    budget: float = 0.03  # adaptive: share of the training time spent inspecting
    max_every: int = 1000
    histograms: bool = False  # also binned counts of weights, gradients and activations
    bins: int = 32
    spec: LayerSpec = field(init=False)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.every is not None and (isinstance(self.every, bool) or not isinstance(
                self.every, int) or self.every < 1):
            raise ValueError(f"inspect_every must be an integer >= 1 (or None for adaptive), "
                             f"got {self.every!r}")
        self.spec, modules = layer_spec(self.model)
        self._act_modules = [modules[n] for n in self.spec.activations]
        # the parameters of every recorded layer, flat, with the index of their layer
        self._params: list[nn.Parameter] = []
        index: list[int] = []
        for i, name in enumerate(self.spec.names):
            for p in modules[name].parameters(recurse=False):
                self._params.append(p)
                index.append(i)
        self._dev = self._params[0].device if self._params else torch.device("cpu")
        self._detached = [p.detach() for p in self._params]  # views that follow the updates
        n = len(self.spec.names)
        # norms come as [grads, weights, updates] per parameter: their layer's slot in 3 × n
        self._index3 = np.array([i + k * n for k in range(3) for i in index], dtype=np.int64)
        self._zero = torch.zeros((), device=self._dev)
        self._frozen = [i for i, name in enumerate(self.spec.names) if name in self.spec.frozen]
        self._relu = np.array([isinstance(m, nn.ReLU) for m in self._act_modules], dtype=bool)
        self._layer_params = [list(modules[name].parameters(recurse=False))
                              for name in self.spec.names]
        # (kind, layer) -> [lo, hi, counts…] on the device, for the recorded step
        self._hist: dict[tuple[str, str], torch.Tensor] = {}
        self._k = 1 if self.every is None else self.every
        self._next = 1
        self._hooks: list[Any] = []
        self._act_values: list[list[tuple[torch.Tensor, int]]] = []
        self._norms: list[torch.Tensor] = []
        self._before: list[torch.Tensor] = []
        self._spent = 0.0  # seconds inside the inspector
        self._step_started = 0.0
        self._step_time = 0.0  # moving average of a step's wall time
        self._fired: set[tuple[str, str]] = set()
        self.step = 0
        self.recording = False

    # -- the three calls around a step --------------------------------------------------
    def begin(self, step: int) -> bool:
        """Whether step ``step`` (1-based) is recorded; if so, hooks are in place for it."""
        now = time.perf_counter()
        if self._step_started:
            dt = now - self._step_started
            self._step_time = dt if not self._step_time else 0.9 * self._step_time + 0.1 * dt
        self._step_started = now
        self.step = step
        self.recording = step >= self._next and bool(self._params or self._act_modules)
        if self.recording:
            t0 = time.perf_counter()
            self._act_values = [[] for _ in self._act_modules]
            for i, m in enumerate(self._act_modules):
                self._hooks.append(m.register_forward_hook(self._activation_hook(i)))
            self._spent += time.perf_counter() - t0
        return self.recording

    def after_backward(self) -> None:
        """Gradient norms from this step's loss and weight norms before the update."""
        if not self.recording:
            return
        t0 = time.perf_counter()
        with torch.no_grad():
            if self._params:
                grads = [p.grad if p.grad is not None else self._zero for p in self._params]
                self._norms = _norm_list(grads + self._detached)
                if self.histograms:
                    self._histogram_layers()
                # w_before into buffers kept for the run (no allocation per recorded step)
                if not self._before:
                    self._before = [torch.empty_like(p) for p in self._detached]
                torch._foreach_copy_(self._before, self._detached)
        self._spent += time.perf_counter() - t0

    def after_update(self) -> dict[str, Any] | None:
        """The statistics of the recorded step (numpy arrays), or None when not recording."""
        if not self.recording:
            return None
        t0 = time.perf_counter()
        for handle in self._hooks:
            handle.remove()
        self._hooks.clear()
        n, a = len(self.spec.names), len(self.spec.activations)
        with torch.no_grad():
            values: list[torch.Tensor] = []
            if self._params and self._norms:
                torch._foreach_sub_(self._before, self._detached)  # now w_before − w_after
                values = self._norms + _norm_list(self._before)
            counts: list[int] = []
            for calls in self._act_values:  # (count, units) of each call of the module
                values += [c for c, _ in calls]
                counts.append(len(calls))
            # one stack and one copy to the host for everything
            flat = (torch.stack(values).cpu().numpy().astype(np.float64) if values
                    else np.zeros(0))
        row: dict[str, Any] = {"kind": "layers", "step": self.step}
        if self._hist:
            row["histograms"] = self._histogram_rows()
        if n:
            per_param = flat[:len(self._index3)]
            per_layer = np.sqrt(np.bincount(self._index3, weights=per_param ** 2,
                                            minlength=3 * n))
            grad, weight, moved = per_layer[:n], per_layer[n:2 * n], per_layer[2 * n:]
            grad[self._frozen] = math.nan
            ratio = np.divide(moved, weight, out=np.full(n, math.nan), where=weight > 0)
            row.update(grad_norm=grad, weight_norm=weight, update_ratio=ratio)
        if a:
            found = flat[len(self._index3) if n else 0:]
            units = np.full(a, math.nan)
            k = 0
            for i, calls in enumerate(self._act_values):
                if calls:  # fraction over every call of the module on this step
                    units[i] = found[k:k + len(calls)].sum() / sum(u for _, u in calls)
                    k += len(calls)
            row.update(dead_fraction=np.where(self._relu, units, math.nan),
                       saturated_fraction=np.where(self._relu, math.nan, units))
        self._norms = []
        self._act_values = []
        self._spent += time.perf_counter() - t0
        self._schedule()
        self.recording = False
        return row

    def close(self) -> None:
        """Remove any hook left by a step that did not finish (a stop, a divergence)."""
        for handle in self._hooks:
            handle.remove()
        self._hooks.clear()
        self._before = []
        self._hist = {}
        self.recording = False

    # -- helpers -------------------------------------------------------------------------
    def _activation_hook(self, i: int) -> Any:
        relu = bool(self._relu[i])
        sigmoid = isinstance(self._act_modules[i], nn.Sigmoid)

        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if not isinstance(output, torch.Tensor) or output.ndim == 0:
                return
            with torch.no_grad():
                y = output.detach()
                if y.ndim == 1:
                    y = y.unsqueeze(1)
                if relu:
                    # units (feature, or channel × position) never positive on the batch
                    units = y[0].numel()
                    count = (y.flatten(1).amax(0) <= 0).sum(dtype=torch.float32)
                else:
                    # outputs whose derivative s(1−s) or 1−t² is below SATURATION
                    units = y.numel()
                    if sigmoid:
                        count = ((y - 0.5).abs() > _SIGMOID_EDGE).sum(dtype=torch.float32)
                    else:
                        count = (y.abs() > _TANH_EDGE).sum(dtype=torch.float32)
                self._act_values[i].append((count, units))
                key = ("activation", self.spec.activations[i])
                if self.histograms and key not in self._hist:  # the first call of the module
                    self._hist[key] = self._binned(y)
        return hook

    def _binned(self, values: torch.Tensor) -> torch.Tensor:
        """[lo, hi, counts of ``bins`` equal bins over [lo, hi]] on the device (no sync)."""
        flat = values.detach().reshape(-1).float()
        lo, hi = torch.aminmax(flat)
        return torch.cat([lo.reshape(1), hi.reshape(1), torch.histc(flat, bins=self.bins)])

    def _histogram_layers(self) -> None:
        for name, params in zip(self.spec.names, self._layer_params):
            self._hist[("weight", name)] = self._binned(
                torch.cat([p.detach().reshape(-1) for p in params]))
            grads = [p.grad for p in params if p.grad is not None]
            if grads and not any(g.is_sparse for g in grads):
                self._hist[("grad", name)] = self._binned(
                    torch.cat([g.reshape(-1) for g in grads]))

    def _histogram_rows(self) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        """(kind, layer) -> (bin edges, counts) of the recorded step; one host copy."""
        keys = list(self._hist)
        host = torch.stack([self._hist[k] for k in keys]).cpu().numpy().astype(np.float64)
        self._hist = {}
        out = {}
        for key, row in zip(keys, host):
            out[key] = (np.linspace(row[0], row[1], self.bins + 1), row[2:])
        return out

    def _schedule(self) -> None:
        """The next recorded step: every ``every`` steps, or adaptive to stay in budget."""
        if self.every is None and self.step > 1:
            elapsed = max(self._step_time, 1e-9) * self.step
            share = self._spent / elapsed
            if share > self.budget:
                self._k = min(self.max_every, self._k * 2)
            elif share < self.budget / 4 and self._k > 1:
                self._k = max(1, self._k // 2)
        self._next = self.step + self._k

    @property
    def interval(self) -> int:
        """The current recording interval in steps."""
        return self._k

    # -- warnings --------------------------------------------------------------------------
    def check(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """Warnings for one recorded step (each rule fires once per layer and run)."""
        step = int(row["step"])
        out: list[dict[str, Any]] = []

        def fire(rule: str, layer: str, message: str) -> None:
            if (rule, layer) not in self._fired:
                self._fired.add((rule, layer))
                out.append({"step": step, "layer": layer, "rule": rule, "message": message})

        names = self.spec.names
        grad = row.get("grad_norm")
        if grad is not None:
            live = [i for i in range(len(names)) if math.isfinite(grad[i])]
            if len(live) >= 3:
                first, last = grad[live[0]], grad[live[-1]]
                if last > 0 and first < VANISHING_RATIO * last:
                    fire("vanishing", names[live[0]],
                         f"step {step}: layer {names[live[0]]}'s gradient norm is "
                         f"{_sci(first / last)} × the last layer's ({names[live[-1]]}): vanishing "
                         "gradients — try ReLU, He initialisation or batch norm")
            for i, value in enumerate(row["update_ratio"]):
                if math.isfinite(value) and value > UPDATE_RATIO:
                    fire("update_ratio", names[i],
                         f"step {step}: update/weight ratio {value:.2g} at layer {names[i]} "
                         "(healthy ≈ 1e-3): learning rate too high")
        for i, value in enumerate(row.get("dead_fraction", ())):
            layer = self.spec.activations[i]
            if isinstance(self._act_modules[i], nn.ReLU) and value >= DEAD_FRACTION:
                fire("dead_relu", layer, f"step {step}: {value * 100:.0f} % of layer {layer}'s "
                     "ReLUs are dead (never positive on the batch) — lower the learning rate, "
                     "check the biases, or try LeakyReLU")
        for i, value in enumerate(row.get("saturated_fraction", ())):
            layer = self.spec.activations[i]
            if not isinstance(self._act_modules[i], nn.ReLU) and value >= SATURATED_FRACTION:
                fire("saturated", layer, f"step {step}: {value * 100:.0f} % of layer {layer}'s "
                     f"{type(self._act_modules[i]).__name__.lower()} outputs are saturated "
                     "(derivative < 1e-2) — smaller initial weights, normalised inputs or batch "
                     "norm")
        self.warnings.extend(out)
        return out


class BlowUpDetector:
    """A finite loss that grows far above where it started: > ``factor`` × the mean of the first
    ``warmup`` steps' losses, or > ``jump`` × the smallest of the last ``window`` losses."""

    def __init__(self, factor: float = 1e3, warmup: int = 5, jump: float = 1e4,
                 window: int = 5, floor: float = 1e-2) -> None:
        self.factor, self.warmup, self.jump, self.window, self.floor = (
            factor, warmup, jump, window, floor)
        self._first: list[float] = []
        self._recent: list[float] = []

    def reference(self) -> float:
        return sum(self._first) / len(self._first) if self._first else math.nan

    def update(self, loss: float) -> str | None:
        """None while healthy; else a phrase saying how the loss grew."""
        verdict = None
        if self._first:
            ref = max(abs(self.reference()), self.floor)
            low = max(min(abs(v) for v in self._recent), self.floor * ref)
            if abs(loss) > self.factor * ref:
                verdict = (f"{_sci(abs(loss) / ref)} × its starting value "
                           f"{self.reference():.3g}")
            elif abs(loss) > self.jump * low:
                verdict = (f"{_sci(abs(loss) / low)} × its value a few steps earlier "
                           f"({min(self._recent):.3g})")
        if len(self._first) < self.warmup:
            self._first.append(loss)
        self._recent = (self._recent + [loss])[-self.window:]
        return verdict
