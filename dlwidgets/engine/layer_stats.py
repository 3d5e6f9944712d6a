"""Per-layer health statistics during training: gradient, weight and update norms, dead and
saturated activation units, and the warnings they trigger.

``LayerInspector`` is driven by the fit loop around one optimizer step:

    recording = inspector.begin(step)   # hooks on activation modules while recording
    ... forward, loss, backward ...     # the hooks only keep a reference to the outputs
    inspector.after_backward()          # gradient and weight norms (before clipping / update)
    ... clip, optimizer.step() ...
    rows = inspector.after_update()     # update norms, activation counts: one tensor, kept
                                        # on the device; rows of earlier steps when due
    rows = inspector.flush()            # the rest (end of epoch, pause, stop)

A "layer" is a module with its own parameters (``named_modules()`` name, registration order,
which is input → output for sequential models); an "activation layer" is an ``nn.ReLU``,
``nn.Sigmoid`` or ``nn.Tanh`` module. Everything is computed on detached tensors on the device
with ``torch._foreach_norm`` / ``_foreach_copy_`` / ``_foreach_sub_`` (one kernel per list) and
one ``amax`` + ``count_nonzero`` per activation call; a recorded step's figures are stacked into
one device tensor, and the pending steps go to the host together (one copy per
``flush_rows`` records or ``flush_seconds``), where numpy reduces them to layers for all of them
at once: no ``.item()``, no per-parameter sync. Histograms (``histograms=True``) are binned at
the same recorded steps. Recording every ``k`` steps: a fixed ``k``, or adaptive: a controller
measures what a recorded step costs (the inspector's own time, or recorded steps' wall time over
plain steps' when larger) against a plain step's time and picks the ``k`` that keeps the share
within ``budget``.
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
class _Pending:
    """One recorded step waiting for the host: its statistics still on the device."""
    step: int
    values: list[torch.Tensor]  # 0-d: grad, weight, update norm per parameter; count per call
    units: list[int]  # units (ReLU) or outputs (sigmoid/tanh) of each activation call
    calls: list[int]  # activation calls per module
    hist: dict[tuple[str, str], torch.Tensor]


@dataclass
class LayerInspector:
    model: nn.Module
    every: int | None = None  # None: adaptive
    budget: float = 0.03  # adaptive: share of the training time spent inspecting
    max_every: int = 1000
    histograms: bool = False  # also binned counts of weights, gradients and activations
    bins: int = 32
    flush_rows: int = 32  # recorded steps kept on the device before one copy to the host
    flush_seconds: float = 0.25  # ... or this long since the last copy (warnings wait that long)
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
        # only embeddings with sparse=True make sparse gradients: the dense path otherwise
        self._norms_of = _norm_list if any(getattr(m, "sparse", False) is True
                                           for m in self.model.modules()) else torch._foreach_norm
        n, count = len(self.spec.names), len(self._params)
        # squared per-parameter norms [grads, weights, updates] @ this 0/1 matrix = squared
        # per-layer norms [grads, weights, updates] (3·params × 3·layers)
        self._to_layers = np.zeros((3 * count, 3 * n))
        for k in range(3):
            for j, i in enumerate(index):
                self._to_layers[k * count + j, k * n + i] = 1.0
        self._zero = torch.zeros((), device=self._dev)
        self._frozen = [i for i, name in enumerate(self.spec.names) if name in self.spec.frozen]
        self._relu = np.array([isinstance(m, nn.ReLU) for m in self._act_modules], dtype=bool)
        self._sigmoid = [isinstance(m, nn.Sigmoid) for m in self._act_modules]
        self._layer_params = [list(modules[name].parameters(recurse=False))
                              for name in self.spec.names]
        # (kind, layer) -> [lo, hi, counts…] on the device, for the recorded step
        self._hist: dict[tuple[str, str], torch.Tensor] = {}
        self._k = 1 if self.every is None else self.every
        self._next = 1
        self._hooks: list[Any] = []
        self._act_out: list[list[torch.Tensor]] = [[] for _ in self._act_modules]
        self._norms: list[torch.Tensor] = []
        self._before: list[torch.Tensor] = []
        self._pending: list[_Pending] = []
        self._last_flush = time.perf_counter()
        self._spent = 0.0  # seconds inside the inspector, all told
        self._cost = 0.0  # moving average of the seconds one recorded step costs here
        self._step_started = 0.0
        self._step_cost = 0.0  # seconds spent here since the current step began
        self._step_time = 0.0  # moving average of a step's wall time without inspecting
        self._wall = [0.0, 0.0]  # moving averages of the wall time of [plain, recorded] steps
        self._fired: set[tuple[str, str]] = set()
        self.step = 0
        self._recorded = 0  # the last recorded step
        self.recording = False
        self.enabled = True

    # -- the three calls around a step --------------------------------------------------
    def begin(self, step: int) -> bool:
        """Whether step ``step`` (1-based) is recorded; if so, hooks are in place for it."""
        now = time.perf_counter()
        if self._step_started:  # the previous step, less what inspecting it cost
            wall = now - self._step_started
            dt = max(wall - self._step_cost, 1e-9)
            self._step_time = dt if not self._step_time else 0.9 * self._step_time + 0.1 * dt
            recorded = self._recorded == self.step
            # whole steps, recorded or not: their difference is what recording costs all told
            # (hooks' dispatch, cache effects), which the inspector's own clock does not see
            self._wall[recorded] = wall if not self._wall[recorded] else (
                0.8 * self._wall[recorded] + 0.2 * wall)
            if recorded:
                self._schedule()
        self._step_started = now
        self._step_cost = 0.0
        self.step = step
        self.recording = (self.enabled and step >= self._next
                          and bool(self._params or self._act_modules))
        if self.recording and not self._hooks and self._act_modules:
            for i, m in enumerate(self._act_modules):
                self._hooks.append(m.register_forward_hook(self._activation_hook(i)))
        elif not self.recording and self._hooks:
            self._remove_hooks()
        self.charge(now)
        return self.recording

    def after_backward(self) -> None:
        """Gradient norms from this step's loss and weight norms before the update."""
        if not self.recording:
            return
        t0 = time.perf_counter()
        if self._params:  # (no autograd here: parameters detached, gradients plain tensors)
            grads = [p.grad if p.grad is not None else self._zero for p in self._params]
            self._norms = list(self._norms_of(grads + self._detached))
            if self.histograms:
                with torch.no_grad():
                    self._histogram_layers()
            # w_before into buffers kept for the run (no allocation per recorded step)
            if not self._before:
                self._before = [torch.empty_like(p) for p in self._detached]
            torch._foreach_copy_(self._before, self._detached)
        self.charge(t0)

    def after_update(self) -> list[dict[str, Any]]:
        """Rows of recorded steps ready on the host (numpy arrays; usually none: they wait on
        the device and come over together, every ``flush_rows`` records or
        ``flush_seconds``)."""
        if not self.recording:
            return []
        t0 = time.perf_counter()
        values: list[torch.Tensor] = []
        if self._params and self._norms:
            torch._foreach_sub_(self._before, self._detached)  # now w_before − w_after
            values = self._norms + list(self._norms_of(self._before))
        units: list[int] = []
        calls: list[int] = []
        for i, outputs in enumerate(self._act_out):
            for y in outputs:
                count, size = self._activation_count(i, y)
                values.append(count)
                units.append(size)
            calls.append(len(outputs))
            outputs.clear()
        if values:  # still on the device; stacked with the other pending steps' at a flush
            self._pending.append(_Pending(self.step, values, units, calls, self._hist))
        self._hist = {}
        self._norms = []
        self.recording = False
        self._recorded = self.step
        self._next = self.step + self._k
        self.charge(t0)
        due = (len(self._pending) >= self.flush_rows
               or time.perf_counter() - self._last_flush > self.flush_seconds)
        return self.flush() if due else []

    def flush(self) -> list[dict[str, Any]]:
        """Rows of every recorded step still on the device: one copy to the host, statistics
        per layer for all of them at once (``check`` each row for warnings)."""
        if not self._pending:
            return []
        t0 = time.perf_counter()
        pending, self._pending = self._pending, []
        rows: list[dict[str, Any]] = []
        # records of one layout (the usual case: all) go over in one stack and one copy
        start = 0
        while start < len(pending):
            end = start + 1
            size = len(pending[start].values)
            while end < len(pending) and len(pending[end].values) == size and (
                    pending[end].calls == pending[start].calls):
                end += 1
            group = pending[start:end]
            device = torch.stack([v for p in group for v in p.values])
            hist = [t for p in group for t in p.hist.values()]
            if hist:
                device = torch.cat([device, *(t.to(device.dtype) for t in hist)])
            flat = device.cpu().numpy().astype(np.float64)
            rows += self._rows(group, flat[:size * len(group)].reshape(len(group), size),
                               flat[size * len(group):])
            start = end
        self._last_flush = time.perf_counter()
        self.charge(t0)
        return rows

    def close(self) -> list[dict[str, Any]]:
        """Remove any hook left by a step that did not finish (a stop, a divergence); the rows
        still on the device."""
        self._remove_hooks()
        rows = self.flush()
        self._before = []
        self._hist = {}
        self._act_out = [[] for _ in self._act_modules]
        self.recording = False
        return rows

    # -- helpers -------------------------------------------------------------------------
    def charge(self, t0: float) -> None:
        """Count the time since ``t0`` as inspecting (the fit loop adds emitting the rows)."""
        dt = time.perf_counter() - t0
        self._spent += dt
        self._step_cost += dt

    def _remove_hooks(self) -> None:
        for handle in self._hooks:
            handle.remove()
        self._hooks.clear()

    def _activation_hook(self, i: int) -> Any:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            # keep a reference (autograd keeps these outputs for the backward pass anyway);
            # reduced after the update, all modules together
            if self.recording and isinstance(output, torch.Tensor) and output.ndim:
                self._act_out[i].append(output)
                key = ("activation", self.spec.activations[i])
                if self.histograms and key not in self._hist:  # the first call of the module
                    self._hist[key] = self._binned(output)
        return hook

    def _activation_count(self, i: int, output: torch.Tensor) -> tuple[torch.Tensor, int]:
        """(a count on the device, units or outputs): for a ReLU the units (feature, or channel
        × position) positive somewhere on the batch (dead = units − this, on the host); for a
        sigmoid / tanh the outputs whose derivative s(1−s) or 1−t² is below SATURATION."""
        y = output.detach()
        if y.ndim == 1:
            y = y.unsqueeze(1)
        if self._relu[i]:
            return y.flatten(1).amax(0).count_nonzero(), y[0].numel()
        edge, mid = (_SIGMOID_EDGE, 0.5) if self._sigmoid[i] else (_TANH_EDGE, 0.0)
        return y.sub(mid).abs_().gt(edge).count_nonzero(), y.numel()

    def _binned(self, values: torch.Tensor) -> torch.Tensor:
        """[lo, hi, counts of ``bins`` equal bins over [lo, hi]] on the device (no sync)."""
        flat = values.detach().reshape(-1).float()  # (detached: no autograd)
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

    def _rows(self, group: list[_Pending], matrix: np.ndarray, hist: np.ndarray
              ) -> list[dict[str, Any]]:
        """The rows of recorded steps of one layout (``matrix``: records × values)."""
        n, a = len(self.spec.names), len(self.spec.activations)
        count = len(self._params)
        layer_cols: dict[str, np.ndarray] = {}
        if n and count:
            per_layer = np.sqrt((matrix[:, :3 * count] ** 2) @ self._to_layers)
            grad, weight, moved = per_layer[:, :n], per_layer[:, n:2 * n], per_layer[:, 2 * n:]
            grad[:, self._frozen] = math.nan
            ratio = np.divide(moved, weight, out=np.full_like(weight, math.nan),
                              where=weight > 0)
            layer_cols = {"grad_norm": grad, "weight_norm": weight, "update_ratio": ratio}
        if a:
            found = matrix[:, 3 * count:]
            units = np.array([p.units for p in group], dtype=np.float64).reshape(found.shape)
            fractions = np.full((len(group), a), math.nan)
            k = 0
            for i, calls in enumerate(group[0].calls):
                if calls:  # the fraction over every call of the module on the step
                    count = found[:, k:k + calls].sum(1)
                    total = units[:, k:k + calls].sum(1)
                    fractions[:, i] = ((total - count) if self._relu[i] else count) / total
                    k += calls
            relu = self._relu[None, :]
            layer_cols["dead_fraction"] = np.where(relu, fractions, math.nan)
            layer_cols["saturated_fraction"] = np.where(relu, math.nan, fractions)
        rows = []
        offset = 0
        for j, p in enumerate(group):
            row: dict[str, Any] = {"kind": "layers", "step": p.step}
            row.update((k, v[j]) for k, v in layer_cols.items())
            if p.hist:
                out = {}
                for key, tensor in p.hist.items():
                    size = tensor.numel()
                    part = hist[offset:offset + size]
                    offset += size
                    out[key] = (np.linspace(part[0], part[1], self.bins + 1), part[2:])
                row["histograms"] = out
            rows.append(row)
        return rows

    def _schedule(self) -> None:
        """Adaptive recording (``every`` None): from what a recorded step costs — the inspector's
        own time (statistics, copies, flushes, emitting rows), or the wall time of recorded
        steps over plain ones when that is larger — the interval that keeps that cost within
        ``budget`` of a plain step's time; the next recorded step follows the last one by it."""
        if self.every is not None:
            return
        cost = self._step_cost
        self._cost = cost if not self._cost else 0.7 * self._cost + 0.3 * cost
        plain, recorded = self._wall
        # the inspector's own time, or more when whole recorded steps show more
        estimate = max(self._cost, recorded - plain) if plain else self._cost
        need = estimate / (self.budget * max(plain or self._step_time, 1e-9))
        self._k = max(1, min(self.max_every, math.ceil(need)))
        self._next = self._recorded + self._k

    @property
    def interval(self) -> int:
        """The current recording interval in steps."""
        return self._k

    # -- warnings --------------------------------------------------------------------------
    def may_warn(self, rows: list[dict[str, Any]]) -> np.ndarray:
        """For each row, whether ``check`` could fire on it: the rules' conditions in numpy over
        all rows at once, so a healthy run's rows skip the per-row check (a row marked False
        gives no warning; one marked True is checked in full, with the once-per-layer rule)."""
        maybe = np.zeros(len(rows), dtype=bool)
        if not rows:
            return maybe
        keys = ("grad_norm", "update_ratio", "dead_fraction", "saturated_fraction")
        for key in keys:
            found = [row.get(key) for row in rows]
            cols = [np.asarray(c, dtype=np.float64) for c in found if c is not None]
            if not cols:
                continue
            if len(cols) < len(rows) or len({c.shape for c in cols}) > 1:
                return np.ones(len(rows), dtype=bool)  # mixed layouts: check every row
            m = np.stack(cols)
            if not m.shape[1]:
                continue
            with np.errstate(invalid="ignore"):
                if key == "grad_norm":
                    live = np.isfinite(m)
                    first = np.take_along_axis(m, live.argmax(1)[:, None], 1)[:, 0]
                    last = np.take_along_axis(
                        m, (m.shape[1] - 1 - live[:, ::-1].argmax(1))[:, None], 1)[:, 0]
                    maybe |= (live.sum(1) >= 3) & (last > 0) & (first < VANISHING_RATIO * last)
                elif key == "update_ratio":
                    maybe |= ((m > UPDATE_RATIO) & np.isfinite(m)).any(1)
                elif key == "dead_fraction":
                    maybe |= ((m >= DEAD_FRACTION) & self._relu).any(1)
                else:
                    maybe |= ((m >= SATURATED_FRACTION) & ~self._relu).any(1)
        return maybe

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
        if grad is not None:  # numpy over the layers; Python only for a rule that fires
            live = np.flatnonzero(np.isfinite(grad))
            if len(live) >= 3:
                first, last = grad[live[0]], grad[live[-1]]
                if last > 0 and first < VANISHING_RATIO * last:
                    fire("vanishing", names[live[0]],
                         f"step {step}: layer {names[live[0]]}'s gradient norm is "
                         f"{_sci(first / last)} × the last layer's ({names[live[-1]]}): vanishing "
                         "gradients — try ReLU, He initialisation or batch norm")
            ratio = row["update_ratio"]
            for i in np.flatnonzero(ratio > UPDATE_RATIO):  # (NaN compares False)
                if math.isfinite(ratio[i]):
                    fire("update_ratio", names[i],
                         f"step {step}: update/weight ratio {ratio[i]:.2g} at layer {names[i]} "
                         "(healthy ≈ 1e-3): learning rate too high")
        acts = self.spec.activations
        dead = row.get("dead_fraction")
        if dead is not None:
            for i in np.flatnonzero((dead >= DEAD_FRACTION) & self._relu):
                fire("dead_relu", acts[i], f"step {step}: {dead[i] * 100:.0f} % of layer "
                     f"{acts[i]}'s ReLUs are dead (never positive on the batch) — lower the "
                     "learning rate, check the biases, or try LeakyReLU")
        saturated = row.get("saturated_fraction")
        if saturated is not None:
            for i in np.flatnonzero((saturated >= SATURATED_FRACTION) & ~self._relu):
                fire("saturated", acts[i], f"step {step}: {saturated[i] * 100:.0f} % of layer "
                     f"{acts[i]}'s {type(self._act_modules[i]).__name__.lower()} outputs are "
                     "saturated (derivative < 1e-2) — smaller initial weights, normalised inputs "
                     "or batch norm")
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
