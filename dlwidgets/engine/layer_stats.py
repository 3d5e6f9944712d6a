"""Per-layer health statistics during training: gradient, weight and update norms, dead and
saturated activation units, and the warnings they trigger.

``LayerInspector`` is driven by the fit loop around one optimizer step:

    recording = inspector.begin(step)   # hooks on activation modules while recording
    ... forward, loss, backward ...     # the hooks reduce each activation output at once
    inspector.after_backward()          # gradient and weight norms (before clipping / update)
    ... clip, optimizer.step() ...
    blocks = inspector.after_update()   # update norms, activation counts: kept on the
                                        # device; a block of earlier steps when due
    blocks = inspector.flush()          # the rest (end of epoch, pause, stop)

A "layer" is a module with its own parameters (``named_modules()`` name, registration order,
which is input → output for sequential models); an "activation layer" is an ``nn.ReLU``,
``nn.Sigmoid`` or ``nn.Tanh`` module. Everything is computed on detached tensors on the device,
in as few torch calls as possible (on CPU each costs microseconds whatever its size): the
gradients and weights are copied into padded row buffers (``_ParamRows``) whose row norms are
one kernel, the update is one ``_foreach_sub_`` and one more row-norm kernel, and each ReLU call
keeps its units' maxima over the batch (one ``amax``; sigmoid / tanh: one thresholded count).
The pending steps go to the host together (one ``cat`` and one copy per ``flush_rows``
records or ``flush_seconds``), where numpy reduces rows to layers for all of them at once: no
``.item()``, no per-parameter sync. They leave as one *block* record: arrays over the recorded
steps (``merge_layer_records`` / ``layer_row`` convert), so history, warnings and the monitor
handle a flush with a few numpy calls, not a Python row per step. Histograms
(``histograms=True``) are binned at the same recorded steps. Recording every ``k`` steps: a
fixed ``k``, or adaptive: a controller measures what a recorded step costs (the inspector's own
time, or recorded steps' wall time over plain steps' when larger) against a plain step's time
and picks the ``k`` that keeps the share within ``budget``.
"""

from __future__ import annotations

import functools
import math
import time
from collections import deque
from collections.abc import Sequence
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

LAYER_STATS = ("grad_norm", "weight_norm", "update_ratio")  # per layer with parameters
ACTIVATION_STATS = ("dead_fraction", "saturated_fraction")  # per activation module


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


CHUNK = 512  # values per row of the inspector's parameter buffers
HOST_UNITS = 4096  # a ReLU call with at most this many units sends its per-unit maxima


class _ParamRows:
    """Copies of the recorded parameters in three padded (rows, CHUNK) buffers, each parameter
    on whole rows of its own: the gradients, and two weight buffers used by turns. A step's
    gradients and weights (before the update) go into the gradient buffer and its turn's weight
    buffer; after the update the gradient buffer takes the new weights and the weight buffer
    becomes w_before − w_after. One norm kernel over all three buffers' rows, at the next
    recorded step, then gives that step's gradient and weight norms *and* the update norms of
    the step before (the other buffer); ``last_update`` takes those of the last step at a
    flush. A parameter's (or layer's) norm is the root of its rows' summed squares, taken on
    the host. A small model's statistics are thus a few calls into torch a step (on CPU each
    costs microseconds whatever its size), not a norm per tensor; the row norms of up to
    ``slots`` steps wait in one device tensor."""

    def __init__(self, params: list[nn.Parameter], layer_of: list[int], slots: int) -> None:
        self.params = params
        self.detached = [p.detach() for p in params]  # views that follow the updates
        dtype = functools.reduce(torch.promote_types, (p.dtype for p in params), torch.float32)
        real = torch.float64 if dtype in (torch.float64, torch.complex128) else torch.float32
        self.rows_of = [max(1, -(-p.numel() // CHUNK)) for p in params]
        self.rows = rows = sum(self.rows_of)
        dev = params[0].device
        self.buf = torch.zeros(3, rows, CHUNK, dtype=dtype, device=dev)  # grads, weights × 2
        self.all_rows = self.buf.view(3 * rows, CHUNK)
        starts = np.cumsum([0, *self.rows_of])[:-1] * CHUNK
        self.views = [
            [self.buf[k].view(-1)[s:s + p.numel()].view(p.shape) for s, p in zip(starts, params)]
            for k in range(3)]
        self.turn = 1  # the weight buffer (1 or 2) of the next recorded step
        self._copy_to = [[], self.views[0] + self.views[1], self.views[0] + self.views[2]]
        self._buffers = [self.buf[k] for k in range(3)]
        # the first column of each layer (its parameters' rows are consecutive) in each third
        # of a step's norms [gradient rows, weight rows, update rows]: np.add.reduceat's indices
        first_rows = np.cumsum([0, *self.rows_of])[:-1][
            np.r_[0, np.flatnonzero(np.diff(layer_of)) + 1]]
        self.layer_columns = np.concatenate([first_rows + k * rows for k in range(3)])
        self.stats = torch.zeros(slots, 3 * rows, dtype=real, device=dev)
        self._rows_of_slot: list[torch.Tensor | None] = [None] * slots  # views, made on use

    def before_update(self, slot: int) -> int:
        """Copy this step's gradients (from its loss, before clipping) and weights; row norms of
        all three buffers into ``stats[slot]``. Returns this step's weight buffer."""
        turn = self.turn
        grads = [p.grad for p in self.params]
        dense = [g for g in grads if g is not None and not g.is_sparse]
        if len(dense) == len(grads):  # (the usual case: one call for both copies)
            torch._foreach_copy_(self._copy_to[turn], dense + self.detached)
        else:  # no gradient: zeros; a sparse one: its norm in its first value, zeros after
            for view, g in zip(self.views[0], grads):
                if g is None or g.is_sparse:
                    view.zero_()
                if g is not None and g.is_sparse:
                    view.view(-1)[:1].copy_(g.coalesce().values().norm().reshape(1))
                elif g is not None:
                    view.copy_(g)
            torch._foreach_copy_(self.views[turn], self.detached)
        out = self._rows_of_slot[slot]
        if out is None:
            out = self._rows_of_slot[slot] = self.stats[slot]
        torch.linalg.vector_norm(self.all_rows, dim=1, out=out)
        return turn

    def after_update(self) -> None:
        """The weight buffer of this step becomes w_before − w_after; the next step takes the
        other one."""
        torch._foreach_copy_(self.views[0], self.detached)  # (the gradients are used: free)
        self._buffers[self.turn].sub_(self._buffers[0])
        self.turn = 3 - self.turn

    def last_update(self) -> torch.Tensor:
        """Row norms of the last completed step's update (its weight buffer)."""
        return torch.linalg.vector_norm(self._buffers[3 - self.turn], dim=1)


@dataclass
class _Pending:
    """One recorded step waiting for the host: its statistics still on the device (its
    parameters' row norms in slot ``slot`` of ``_ParamRows.stats``)."""
    step: int
    slot: int  # its row in ``_ParamRows.stats``; -1: no parameter statistics
    turn: int  # its weight buffer in ``_ParamRows`` (1 or 2)
    acts: list[torch.Tensor]  # per activation call, 1-D: a ReLU's per-unit maxima, or a count
    units: list[int]  # units (ReLU) or outputs (sigmoid/tanh) of each activation call
    modules: list[int]  # the activation module of each call, in the order of the calls
    hist: dict[tuple[str, str], torch.Tensor]


@dataclass
class LayerInspector:
    model: nn.Module
    every: int | None = None  # None: adaptive
    budget: float = 0.03  # adaptive: share of the training time spent inspecting
    max_every: int = 1000
    histograms: bool = False  # also binned counts of weights, gradients and activations
    bins: int = 32
    flush_rows: int = 64  # recorded steps kept on the device before one copy to the host
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
        self._layer_index = index
        self._rows: _ParamRows | None = None  # made at the first recorded step
        self._slot = -1  # this step's slot in the rows' statistics (-1: none yet)
        self._filled = 0  # slots filled since the last flush
        self._frozen = [i for i, name in enumerate(self.spec.names) if name in self.spec.frozen]
        self._relu = np.array([isinstance(m, nn.ReLU) for m in self._act_modules], dtype=bool)
        # per activation module: None for a ReLU, else (centre, edge) of the unsaturated band
        self._band = [None if isinstance(m, nn.ReLU) else (0.5, _SIGMOID_EDGE) if isinstance(
            m, nn.Sigmoid) else (0.0, _TANH_EDGE) for m in self._act_modules]
        self._anything = bool(self._params or self._act_modules)
        self._layer_params = [list(modules[name].parameters(recurse=False))
                              for name in self.spec.names]
        # (kind, layer) -> [lo, hi, counts…] on the device, for the recorded step
        self._hist: dict[tuple[str, str], torch.Tensor] = {}
        self._k = 1 if self.every is None else self.every
        self._next = 1
        self._hooks: list[Any] = []
        # this step's activation calls: summaries on the device, units, modules
        self._acts: list[torch.Tensor] = []
        self._units: list[int] = []
        self._modules: list[int] = []
        self._pending: list[_Pending] = []
        self._last_flush = time.perf_counter()
        self._spent = 0.0  # seconds inside the inspector, all told
        self._cost = 0.0  # moving average of the seconds one recorded step costs here
        self._step_started = 0.0
        self._step_cost = 0.0  # seconds spent here since the current step began
        self._step_time = 0.0  # moving average of a step's wall time without inspecting
        self._wall = [0.0, 0.0]  # moving averages of the wall time of [plain, recorded] steps
        self._plain_started = 0.0  # when the plain steps after the last recorded one began
        self._plain_from = 0  # ... the first of them
        self._fired: set[tuple[str, str]] = set()
        self.step = 0
        self._recorded = 0  # the last recorded step
        self.recording = False
        self.enabled = True

    # -- the three calls around a step --------------------------------------------------
    def begin(self, step: int) -> bool:
        """Whether step ``step`` (1-based) is recorded; if so, hooks are in place for it."""
        if self.every is None and (step >= self._next or self._recorded == self.step):
            self._clock(step)  # adaptive: clocks read only around recorded steps
        self.step = step
        self.recording = self.enabled and step >= self._next and self._anything
        if self.recording and not self._hooks and self._act_modules:
            for i, m in enumerate(self._act_modules):
                self._hooks.append(m.register_forward_hook(self._activation_hook(i)))
        elif not self.recording and self._hooks:
            self._remove_hooks()
        return self.recording

    def _clock(self, step: int) -> None:
        """Adaptive recording: the wall time of whole steps — the recorded step that just ended,
        and the mean of the plain steps since the one before — for ``_schedule``. Their
        difference is what recording costs all told (hooks' dispatch, cache effects), which
        the inspector's own clock does not see."""
        now = time.perf_counter()
        if self._step_started and self._recorded == self.step:  # a recorded step just ended
            wall = now - self._step_started
            self._wall[1] = wall if not self._wall[1] else 0.8 * self._wall[1] + 0.2 * wall
            plain = max(wall - self._step_cost, 1e-9)  # less what inspecting it cost
            self._step_time = plain if not self._step_time else (
                0.9 * self._step_time + 0.1 * plain)
            self._plain_started, self._plain_from = now, step
            self._schedule()
        elif self._plain_started and step > self._plain_from:  # plain steps since then
            mean = (now - self._plain_started) / (step - self._plain_from)
            self._wall[0] = mean if not self._wall[0] else 0.8 * self._wall[0] + 0.2 * mean
            self._step_time = mean if not self._step_time else (
                0.9 * self._step_time + 0.1 * mean)
        self._step_started = now
        self._step_cost = 0.0

    def after_backward(self) -> None:
        """Gradient norms from this step's loss and weight norms before the update."""
        if not self.recording:
            return
        t0 = time.perf_counter() if self.every is None else 0.0  # (adaptive: cost clocked)
        if self._params:  # (no autograd here: parameters detached, gradients plain tensors)
            if self._rows is None:  # buffers kept for the run: no allocation per recorded step
                self._rows = _ParamRows(self._params, self._layer_index, self.flush_rows)
            self._slot = self._filled
            self._turn = self._rows.before_update(self._slot)
            if self.histograms:
                with torch.no_grad():
                    self._histogram_layers()
        if t0:
            self.charge(t0)

    def after_update(self) -> list[dict[str, Any]]:
        """A block of recorded steps ready on the host, in a list (usually empty: they wait on
        the device and come over together, every ``flush_rows`` records or
        ``flush_seconds``)."""
        if not self.recording:
            return []
        now = time.perf_counter()
        slot, self._slot = self._slot, -1
        if slot >= 0 and self._rows is not None:
            self._rows.after_update()
            self._filled += 1
        if slot >= 0 or self._acts:  # still on the device; copied with the other pending steps'
            self._pending.append(_Pending(self.step, slot, self._turn, self._acts, self._units,
                                          self._modules, self._hist))
            self._acts, self._units, self._modules = [], [], []
        self._hist = {}
        self.recording = False
        self._recorded = self.step
        self._next = self.step + self._k
        if self.every is None:
            self.charge(now)
        due = (len(self._pending) >= self.flush_rows
               or now - self._last_flush > self.flush_seconds)
        return self.flush() if due else []

    def flush(self) -> list[dict[str, Any]]:
        """Every recorded step still on the device, as one block record in a list (empty when
        none): one copy to the host, statistics per layer for all of them at once (``may_warn``
        then ``check`` its rows for warnings)."""
        if not self._pending:
            return []
        t0 = time.perf_counter()
        pending, self._pending = self._pending, []
        self._filled = 0
        parts: list[torch.Tensor] = []
        with_norms = [p for p in pending if p.slot >= 0]
        if with_norms and self._rows is not None:  # slots are filled in order from 0; the
            parts.append(self._rows.stats[:len(with_norms)].reshape(-1))  # last step's update
            parts.append(self._rows.last_update())  # norms are not among them yet
        parts += [t for p in pending for t in p.acts]  # (1-D each; cat promotes dtypes)
        parts += [t for p in pending for t in p.hist.values()]
        flat = torch.cat(parts).cpu().numpy().astype(np.float64)  # one copy to the host
        block = self._block(pending, with_norms, flat)
        self._last_flush = time.perf_counter()
        self.charge(t0)
        return [block]

    def close(self) -> list[dict[str, Any]]:
        """Remove any hook left by a step that did not finish (a stop, a divergence); the steps
        still on the device (a block, as ``flush``)."""
        self._remove_hooks()
        rows = self.flush()
        self._slot = -1
        self._filled = 0
        self._hist = {}
        self._acts, self._units, self._modules = [], [], []
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
            # reduced at once, on the device (a later in-place op cannot change what is seen)
            if self.recording and isinstance(output, torch.Tensor) and output.ndim:
                summary, units = self._activation_summary(i, output)
                self._acts.append(summary)
                self._units.append(units)
                self._modules.append(i)
                if self.histograms:
                    key = ("activation", self.spec.activations[i])
                    if key not in self._hist:  # the first call of the module
                        self._hist[key] = self._binned(output)
        return hook

    def _activation_summary(self, i: int, output: torch.Tensor) -> tuple[torch.Tensor, int]:
        """(a 1-D tensor on the device, units or outputs). For a ReLU, each unit's (feature, or
        channel × position) largest output on the batch — dead units, never positive, are
        counted on the host — or, above HOST_UNITS units, the count of live units; for a
        sigmoid / tanh the count of outputs whose derivative s(1−s) or 1−t² is below
        SATURATION."""
        y = output.detach()
        band = self._band[i]
        if band is None:
            if y.ndim != 2:  # (batch, units…) as (batch, units); a 1-D output is one unit
                y = y.reshape(len(y), -1)
            if y.shape[1] <= HOST_UNITS:
                return y.amax(0), y.shape[1]
            return y.amax(0).count_nonzero().reshape(1), y.shape[1]
        return y.sub(band[0]).abs_().gt(band[1]).count_nonzero().reshape(1), y.numel()

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

    def _block(self, pending: list[_Pending], with_norms: list[_Pending], flat: np.ndarray
               ) -> dict[str, Any]:
        """The block record of ``pending`` from ``flat``, the host copy of their statistics:
        the parameter row norms of ``with_norms`` (slots 0…), then each step's activation
        summaries, then each step's histograms."""
        n, a = len(self.spec.names), len(self.spec.activations)
        steps = len(pending)
        block: dict[str, Any] = {"kind": "layers",
                                 "step": np.array([p.step for p in pending], dtype=np.int64)}
        offset = 0
        if n and self._rows is not None and with_norms:
            r, k = self._rows.rows, len(with_norms)
            stats = flat[:k * 3 * r].reshape(k, 3, r)  # [gradients, buffer 1, buffer 2] rows
            offset = k * 3 * r + r
            turns = np.array([p.turn for p in with_norms])
            # step j: its gradients, its weight buffer; its update in step j + 1's norms of
            # that buffer (the last step's: the extra row after them)
            updates = np.concatenate([stats[np.arange(1, k), turns[:-1]],
                                      flat[k * 3 * r:offset][None]])
            squares = np.concatenate([stats[:, 0], stats[np.arange(k), turns], updates],
                                     axis=1) ** 2
            per_layer = np.sqrt(np.add.reduceat(squares, self._rows.layer_columns, axis=1))
            found = np.full((steps, 3 * n), math.nan)
            found[[p.slot >= 0 for p in pending]] = per_layer
            grad, weight, moved = found[:, :n], found[:, n:2 * n], found[:, 2 * n:]
            grad[:, self._frozen] = math.nan
            ratio = np.divide(moved, weight, out=np.full_like(weight, math.nan),
                              where=weight > 0)
            block.update(grad_norm=grad, weight_norm=weight, update_ratio=ratio)
        if a:
            hits = np.zeros((steps, a))
            total = np.zeros((steps, a))
            start = 0
            while start < steps:  # steps of one layout (usually all) in one matrix
                end = start + 1
                first = pending[start]
                while end < steps and pending[end].modules == first.modules and (
                        pending[end].units == first.units):
                    end += 1
                offset = self._activation_counts(first, flat, offset, end - start,
                                                 hits[start:end], total[start:end])
                start = end
            with np.errstate(invalid="ignore", divide="ignore"):
                fractions = np.where(self._relu, total - hits, hits) / total
            fractions[total == 0] = math.nan  # a module not called on the step
            relu = self._relu[None, :]
            block["dead_fraction"] = np.where(relu, fractions, math.nan)
            block["saturated_fraction"] = np.where(relu, math.nan, fractions)
        if any(p.hist for p in pending):
            per_step = []
            for p in pending:
                out = {}
                for key, tensor in p.hist.items():
                    size = tensor.numel()
                    part = flat[offset:offset + size]
                    offset += size
                    out[key] = (np.linspace(part[0], part[1], self.bins + 1), part[2:])
                per_step.append(out)
            block["histograms"] = per_step
        return block

    def _activation_counts(self, layout: _Pending, flat: np.ndarray, offset: int, steps: int,
                           hits: np.ndarray, total: np.ndarray) -> int:
        """Add the live ReLU units / saturated outputs (``hits``) and the units / outputs
        (``total``) of ``steps`` steps laid out as ``layout`` from ``flat[offset:]``, per module;
        returns the offset after them."""
        maxima = [self._band[i] is None and units <= HOST_UNITS
                  for i, units in zip(layout.modules, layout.units)]
        sizes = [units if m else 1 for units, m in zip(layout.units, maxima)]
        width = sum(sizes)
        matrix = flat[offset:offset + steps * width].reshape(steps, width)
        column = 0
        for size, i, units, m in zip(sizes, layout.modules, layout.units, maxima):
            part = matrix[:, column:column + size]
            column += size
            hits[:, i] += (part > 0).sum(1) if m else part[:, 0]
            total[:, i] += units
        return offset + steps * width

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
    def may_warn(self, block: dict[str, Any]) -> np.ndarray:
        """For each recorded step of a block record, whether ``check`` could fire on it: the
        rules' conditions in numpy over the whole block, so a healthy run's steps skip the
        per-step check (a step marked False gives no warning; one marked True is checked in
        full, with the once-per-layer rule)."""
        maybe = np.zeros(len(block["step"]), dtype=bool)
        with np.errstate(invalid="ignore"):
            m = block.get("grad_norm")
            if m is not None and m.shape[1]:
                live = np.isfinite(m)
                first = np.take_along_axis(m, live.argmax(1)[:, None], 1)[:, 0]
                last = np.take_along_axis(
                    m, (m.shape[1] - 1 - live[:, ::-1].argmax(1))[:, None], 1)[:, 0]
                maybe |= (live.sum(1) >= 3) & (last > 0) & (first < VANISHING_RATIO * last)
            m = block.get("update_ratio")
            if m is not None and m.shape[1]:
                maybe |= ((m > UPDATE_RATIO) & np.isfinite(m)).any(1)
            m = block.get("dead_fraction")
            if m is not None and m.shape[1]:
                maybe |= ((m >= DEAD_FRACTION) & self._relu).any(1)
            m = block.get("saturated_fraction")
            if m is not None and m.shape[1]:
                maybe |= ((m >= SATURATED_FRACTION) & ~self._relu).any(1)
        return maybe

    def check(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """Warnings for one recorded step (``layer_row``; each rule fires once per layer and
        run)."""
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


def merge_layer_records(records: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """One block record from ``layers`` records in order: blocks (arrays over steps, as the
    inspector emits them) or single rows (``step`` a number, 1-D arrays over layers); a
    statistic a record lacks is NaN there. None for no records."""
    if not records:
        return None
    if len(records) == 1 and np.ndim(records[0]["step"]) == 1:
        return records[0]  # one block already
    steps = [np.atleast_1d(np.asarray(r["step"], dtype=np.int64)) for r in records]
    out: dict[str, Any] = {"kind": "layers", "step": np.concatenate(steps)}
    for key in LAYER_STATS + ACTIVATION_STATS:
        parts = [r.get(key) for r in records]
        width = max((np.shape(p)[-1] for p in parts if p is not None and np.ndim(p)), default=-1)
        if width < 0:
            continue
        out[key] = np.concatenate([
            np.full((len(st), width), math.nan) if p is None
            else np.asarray(p, dtype=np.float64).reshape(len(st), width)
            for p, st in zip(parts, steps)])
    if any("histograms" in r for r in records):
        per_step: list[dict[Any, Any]] = []
        for r, st in zip(records, steps):
            found = r.get("histograms")
            per_step += ([{}] * len(st) if found is None else
                         [found] if isinstance(found, dict) else list(found))
        out["histograms"] = per_step
    return out


def layer_row(block: dict[str, Any], j: int) -> dict[str, Any]:
    """The ``j``-th recorded step of a block record as a single row (what ``check`` reads)."""
    row: dict[str, Any] = {"kind": "layers", "step": int(block["step"][j])}
    for key in LAYER_STATS + ACTIVATION_STATS:
        if key in block:
            row[key] = block[key][j]
    if "histograms" in block:
        row["histograms"] = block["histograms"][j]
    return row


class BlowUpDetector:
    """A finite loss that grows far above where it started: > ``factor`` × the mean of the first
    ``warmup`` steps' losses, or > ``jump`` × the smallest of the last ``window`` losses.
    Called every step: a healthy step costs one comparison against a precomputed limit."""

    def __init__(self, factor: float = 1e3, warmup: int = 5, jump: float = 1e4,
                 window: int = 5, floor: float = 1e-2) -> None:
        self.factor, self.warmup, self.jump, self.window, self.floor = (
            factor, warmup, jump, window, floor)
        self._first: list[float] = []
        self._recent: deque[float] = deque(maxlen=window)  # |loss| of the last steps
        self._limit = math.inf  # |loss| above this fires

    def reference(self) -> float:
        return sum(self._first) / len(self._first) if self._first else math.nan

    def update(self, loss: float) -> str | None:
        """None while healthy; else a phrase saying how the loss grew."""
        size = abs(loss)
        verdict = None
        if size > self._limit:
            ref = max(abs(self.reference()), self.floor)
            low = max(min(self._recent), self.floor * ref)
            if size > self.factor * ref:
                verdict = f"{_sci(size / ref)} × its starting value {self.reference():.3g}"
            else:
                verdict = (f"{_sci(size / low)} × its value a few steps earlier "
                           f"({min(self._recent):.3g})")
        if len(self._first) < self.warmup:
            self._first.append(loss)
        self._recent.append(size)
        ref = max(abs(self.reference()), self.floor)
        self._limit = min(self.factor * ref, self.jump * max(min(self._recent), self.floor * ref))
        return verdict
