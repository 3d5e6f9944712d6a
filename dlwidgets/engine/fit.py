"""The training loop: one function, used alone, in a notebook (in a worker thread) or under DDP.

``train(model, data, options)`` checks model and data on one small batch in the calling thread
(so shape and label mistakes are reported before anything starts), then runs the loop in a
worker thread and returns a live ``History`` at once, or after the end with ``block=True``.

The worker thread never touches widgets: it appends plain dict records to the ``History`` and
hands them to observers (the training monitor pushes them into a ``ThrottledPublisher``).
Stop and pause are checked between optimizer steps, so a stopped model is always at a finished
step. Under ``torch.distributed`` (already initialized by a launcher such as ``torchrun`` or
``torch.multiprocessing.spawn``) the model is wrapped in ``DistributedDataParallel``, each rank
trains on its shard of every epoch, stop/divergence decisions are agreed by all ranks, and only
rank 0 gets observers (the monitor).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from ..suggest import unknown_name
from . import shutdown
from .datasets import (
    ArraySource,
    Dataset,
    DataSource,
    as_source,
    model_input,
)
from .device import device as pick_device
from .layer_stats import (
    ACTIVATION_STATS,
    LAYER_STATS,
    BlowUpDetector,
    LayerInspector,
    layer_row,
    merge_layer_records,
)
from .modes import mode_free
from .probes import probing
from .training_optim import (
    EarlyStopping,
    OptimizerArg,
    ScheduleArg,
    as_early_stopping,
    clip_gradients,
    implementation,
    make_optimizer,
    make_schedule,
    penalty,
)

Record = dict[str, Any]

# -- losses and metrics -------------------------------------------------------------------------

LOSSES: dict[str, Callable[[], nn.Module]] = {
    "cross_entropy": nn.CrossEntropyLoss,
    "nll": nn.NLLLoss,
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "smooth_l1": nn.SmoothL1Loss,
    "huber": nn.HuberLoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
}
LOSS_ALIASES = {"ce": "cross_entropy", "crossentropy": "cross_entropy", "mae": "l1",
                "bce_logits": "bce_with_logits", "binary_cross_entropy": "bce"}
# What targets each loss needs: class indices, 0/1 floats of the output's shape, or values.
_TARGET_KIND = {"cross_entropy": "index", "nll": "index", "bce": "binary",
                "bce_with_logits": "binary"}

STATUSES = ("starting", "running", "paused", "completed", "stopped", "early_stopped", "diverged",
            "error", "replaced", "interrupted")
FINAL = frozenset(STATUSES[3:])


def resolve_loss(loss: str | Callable[..., torch.Tensor] | None,
                 task: str) -> tuple[Callable[..., torch.Tensor], str, str]:
    """(loss function, display name, target kind) for a loss name or callable."""
    if loss is None:
        loss = "cross_entropy" if task == "classification" else "mse"
    if isinstance(loss, str):
        key = loss.strip().lower().replace("-", "_")
        key = LOSS_ALIASES.get(key, key)
        if key not in LOSSES:
            raise ValueError(unknown_name("loss", loss, list(LOSSES)))
        return LOSSES[key](), key, _TARGET_KIND.get(key, "value")
    if isinstance(loss, type) and issubclass(loss, nn.Module):
        loss = loss()
    if callable(loss):
        fn: Callable[..., torch.Tensor] = loss  # type: ignore[assignment]
        name = type(loss).__name__ if isinstance(loss, nn.Module) else getattr(
            loss, "__name__", "loss")
        kind = {nn.CrossEntropyLoss: "index", nn.NLLLoss: "index", nn.BCELoss: "binary",
                nn.BCEWithLogitsLoss: "binary"}.get(type(loss), "custom")
        return fn, name, kind
    raise TypeError(f"loss must be a name ({', '.join(LOSSES)}) or a callable "
                    f"loss(output, target); got {type(loss).__name__}")


class _Accuracy:
    """Fraction of correct predictions in a batch (argmax of the scores, or a 0/1 threshold).

    ``batched`` gives the same per-batch values for several batches with a fixed number of
    tensor operations, which is what the training loop uses (a few ops per step cost a
    noticeable share of a small model's step).
    """

    def __init__(self, kind: str, logits: bool) -> None:
        self.kind = kind
        self.threshold = 0.0 if logits else 0.5

    def _hits(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.kind == "binary" or (out.ndim == target.ndim and out.ndim >= 1
                                     and (out.ndim == 1 or out.shape[1] == 1)
                                     and target.is_floating_point()):
            return (out > self.threshold) == (target > 0.5)
        pred = out.argmax(1)
        if target.is_floating_point():  # class probabilities
            target = target.argmax(1)
        return pred == target

    def __call__(self, out: torch.Tensor, target: torch.Tensor) -> float:
        hits = self._hits(out, target)
        return int(hits.sum()) / max(1, hits.numel())

    def batched(self, outs: Sequence[torch.Tensor], targets: Sequence[torch.Tensor]
                ) -> list[float]:
        if len(outs) == 1:
            return [self(outs[0], targets[0])]
        hits = self._hits(torch.cat(list(outs)), torch.cat(list(targets))).reshape(-1)
        rows = [len(o) for o in outs]
        per_row = hits.numel() // max(1, sum(rows))
        sizes = [r * per_row for r in rows]
        ends = torch.tensor(sizes, device=hits.device).cumsum(0)
        totals = hits.to(torch.int64).cumsum(0)[ends - 1]
        counts = torch.diff(totals, prepend=totals.new_zeros(1)).tolist()
        return [c / max(1, n) for c, n in zip(counts, sizes)]


def _accuracy(kind: str, logits: bool) -> _Accuracy:
    return _Accuracy(kind, logits)


def _mae(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (out - target).abs().mean()


MetricFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor | float]


def resolve_metrics(metrics: Sequence[str] | dict[str, MetricFn] | None, loss_kind: str,
                    loss_name: str, task: str) -> dict[str, MetricFn]:
    """Metric functions by name; default: accuracy for classification losses, none otherwise."""
    classifying = loss_kind in ("index", "binary") or (loss_kind == "custom"
                                                      and task == "classification")
    logits = loss_name != "bce"
    if metrics is None:
        return {"accuracy": _accuracy(loss_kind, logits)} if classifying else {}
    if isinstance(metrics, dict):
        for name, fn in metrics.items():
            if not callable(fn):
                raise TypeError(f"metric {name!r} must be callable(output, target)")
        return dict(metrics)
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, (list, tuple)):
        raise TypeError(f"metrics must be a list of names ('accuracy', 'mae') or a dict of "
                        f"callables, got {metrics!r:.60}")
    out: dict[str, MetricFn] = {}
    for name in metrics:
        if name == "accuracy":
            out[name] = _accuracy(loss_kind, logits)
        elif name == "mae":
            out[name] = _mae
        else:
            raise ValueError(unknown_name("metric", name, ["accuracy", "mae"]))
    return out


# -- options ------------------------------------------------------------------------------------

@dataclass
class FitOptions:
    """Everything ``train`` needs besides the model and the data (see ``dlwidgets.fit``)."""

    loss: str | Callable[..., torch.Tensor] | None = None
    optimizer: OptimizerArg = "adam"
    lr: float | None = None
    epochs: int = 5
    batch_size: int = 32
    device: str | torch.device | None = None
    metrics: Sequence[str] | dict[str, MetricFn] | None = None
    val_data: Any = None
    momentum: float | None = None
    weight_decay: float = 0.0
    optimizer_options: dict[str, Any] | None = None
    l1: float = 0.0
    l2: float = 0.0
    clip_grad_norm: float | None = None
    clip_grad_value: float | None = None
    schedule: ScheduleArg = None
    schedule_every: str = "epoch"
    early_stopping: int | EarlyStopping | None = None
    seed: int = 0
    shuffle: bool = True
    distributed: bool | None = None
    inspect: bool = False
    inspect_every: int | None = None
    inspect_histograms: bool = False
    on_divergence: str = "stop"

    def check(self) -> None:
        """Raise ValueError/TypeError naming the first bad option."""
        def integer(name: str, lo: int, hi: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
                    lo <= value <= hi):
                raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")

        integer("epochs", 1, 1_000_000)
        integer("batch_size", 1, 1 << 24)
        integer("seed", 0, 2**31 - 1)
        for name in ("l1", "l2", "weight_decay"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
            setattr(self, name, float(value))  # a huge int would overflow inside torch
        early = self.early_stopping
        if isinstance(early, int) and not isinstance(early, bool) and early < 1:
            raise ValueError(f"early_stopping must be a patience >= 1 (epochs without "
                             f"improvement) or an EarlyStopping, got {early!r}")
        for name in ("clip_grad_norm", "clip_grad_value"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float))
                                          and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a number > 0 (or None), got {value!r}")
        if self.lr is not None and not (isinstance(self.lr, (int, float))
                                        and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        if self.inspect_every is not None and (
                isinstance(self.inspect_every, bool) or not isinstance(self.inspect_every, int)
                or self.inspect_every < 1):
            raise ValueError(f"inspect_every must be an integer >= 1 (or None for adaptive), "
                             f"got {self.inspect_every!r}")
        if self.on_divergence not in ("stop", "warn"):
            raise ValueError(f"on_divergence must be 'stop' or 'warn', got {self.on_divergence!r}")
        if self.schedule_every not in ("epoch", "step"):
            raise ValueError(f"schedule_every must be 'epoch' or 'step', got "
                             f"{self.schedule_every!r}")


# -- the live result ----------------------------------------------------------------------------

class TrainingObserver(Protocol):
    """Receives a training's records. ``on_record``/``on_end`` run in the worker thread."""

    def on_start(self, history: History) -> None: ...

    def on_record(self, record: Record) -> None: ...

    def on_end(self, history: History) -> None: ...


class History:
    """Per-step and per-epoch records of one training, filling while it runs.

    ``steps`` / ``epochs`` give numpy columns (``loss``, ``lr``, metrics, ``val_*``...).
    ``status`` is one of ``STATUSES``; ``stop_reason`` is the final status (None while running).
    Control the training with ``stop()``, ``pause()``, ``resume()``; ``wait()`` blocks until
    it ends.
    """

    def __init__(self, model: nn.Module, info: dict[str, Any] | None = None) -> None:
        self.model = model
        self.info: dict[str, Any] = dict(info or {})
        self.status = "starting"
        self.message = ""
        self.diverged_at: int | None = None
        self.error: BaseException | None = None
        self.monitor: Any = None  # set by dlwidgets.fit when a monitor is attached
        self._records: list[Record] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._inspect_request: bool | None = None  # applied by the loop between two steps
        self._stop_reason_requested = "stopped"
        self._thread: threading.Thread | None = None
        self._displayed_in: int | None = None

    # -- data ----------------------------------------------------------------------------
    @property
    def records(self) -> list[Record]:
        """A snapshot of all records (steps, epochs, status changes) in order."""
        with self._lock:
            return list(self._records)

    def _columns(self, kind: str) -> dict[str, np.ndarray]:
        rows = [r for r in self.records if r["kind"] == kind]
        names: list[str] = []
        for r in rows:
            for k in r:
                if k != "kind" and k not in names:
                    names.append(k)
        out: dict[str, np.ndarray] = {}
        for k in names:
            if k in ("step", "epoch"):
                out[k] = np.array([r.get(k, -1) for r in rows], dtype=np.int64)
            else:
                out[k] = np.array([r.get(k, math.nan) for r in rows], dtype=np.float64)
        return out

    @property
    def steps(self) -> dict[str, np.ndarray]:
        """Per optimizer step: step (1-based), epoch, loss (the data loss), lr, time, metrics."""
        return self._columns("step")

    @property
    def epochs(self) -> dict[str, np.ndarray]:
        """Per epoch: epoch, step, loss and metrics (training means), val_*, lr, time."""
        return self._columns("epoch")

    @property
    def layers(self) -> dict[str, dict[str, np.ndarray]]:
        """Per layer (``named_modules()`` name, input → output), columns over the recorded
        steps (``fit(..., inspect=True)``): ``step``, ``grad_norm``, ``weight_norm``,
        ``update_ratio`` for layers with parameters; ``step``, ``dead_fraction`` (ReLU) or
        ``saturated_fraction`` (sigmoid/tanh) for activation modules. Empty without inspect."""
        block = merge_layer_records([r for r in self.records if r["kind"] == "layers"])
        names: list[str] = list(self.info.get("layers") or [])
        acts: list[str] = list(self.info.get("activation_layers") or [])
        steps = block["step"] if block is not None else np.zeros(0, np.int64)
        order: list[str] = list(self.info.get("layer_order") or [])
        out: dict[str, dict[str, np.ndarray]] = {name: {} for name in order}
        for stats, layer_names in ((LAYER_STATS, names), (ACTIVATION_STATS, acts)):
            for i, name in enumerate(layer_names):
                out[name] = {"step": steps.copy()}
                for k in stats:
                    found = block.get(k) if block is not None else None
                    out[name][k] = (found[:, i].copy() if found is not None
                                    else np.full(len(steps), math.nan))
        return out

    def histograms(self, layer: str, kind: str = "weight"
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, bin_edges, counts) of one layer over the recorded steps
        (``fit(..., inspect=True, inspect_histograms=True)``): ``kind`` "weight" or "grad" (a
        layer with parameters; gradients before clipping) or "activation" (a ReLU / sigmoid /
        tanh module's output on the batch). Each recorded step has its own ``bins`` equal bins
        from the smallest to the largest value: bin_edges is (steps, bins + 1), counts
        (steps, bins). Empty arrays when nothing was recorded."""
        if kind not in ("weight", "grad", "activation"):
            raise ValueError(f"kind must be 'weight', 'grad' or 'activation', got {kind!r}")
        known = list(self.info.get("layer_order") or [])
        if layer not in known:
            raise ValueError(f"no inspected layer {layer!r}; the layers are: "
                             f"{', '.join(known) or 'none (fit was not run with inspect=True)'}")
        steps, edges, counts = [], [], []
        block = merge_layer_records([r for r in self.records if r["kind"] == "layers"])
        if block is not None and "histograms" in block:
            for step, found in zip(block["step"], block["histograms"]):
                if (kind, layer) in found:
                    steps.append(step)
                    edges.append(found[(kind, layer)][0])
                    counts.append(found[(kind, layer)][1])
        if not steps:
            return np.zeros(0, np.int64), np.zeros((0, 0)), np.zeros((0, 0))
        return np.array(steps, dtype=np.int64), np.stack(edges), np.stack(counts)

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Health warnings of the run: dicts of step, layer, rule, message."""
        return [{k: r[k] for k in ("step", "layer", "rule", "message")}
                for r in self.records if r["kind"] == "warning"]

    @property
    def step_count(self) -> int:
        """Optimizer steps finished so far."""
        with self._lock:
            return sum(1 for r in self._records if r["kind"] == "step")

    @property
    def epoch_count(self) -> int:
        with self._lock:
            return sum(1 for r in self._records if r["kind"] == "epoch")

    @property
    def stop_reason(self) -> str | None:
        """Final status (completed, stopped, early_stopped, diverged, error, replaced,
        interrupted), or None while training."""
        return self.status if self.status in FINAL else None

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    @property
    def paused(self) -> bool:
        return self.status == "paused"

    def final(self, name: str = "loss") -> float:
        """Last epoch value of ``name`` (``loss``, ``val_accuracy``...), NaN when absent."""
        column = self.epochs.get(name)
        return float(column[-1]) if column is not None and len(column) else math.nan

    # -- control -------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the training to stop after the step it is in; harmless when repeated or done."""
        self._stop.set()
        self._resume.set()

    def inspect(self, on: bool = True) -> None:
        """Turn per-layer recording (``fit(..., inspect=True)``) on or off from the next step
        of a running training; the monitor's "inspect layers" box calls this."""
        self._inspect_request = bool(on)

    @property
    def inspecting(self) -> bool:
        """Whether layer statistics are being recorded now."""
        return bool(self.info.get("inspect"))

    def pause(self) -> None:
        """Pause between two steps (the model stays at a finished step)."""
        if self.running and not self._stop.is_set():
            self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    def wait(self, timeout: float | None = None, *, raise_error: bool = True) -> History:
        """Block until the training ends (or ``timeout`` seconds pass); re-raise its error."""
        # The event, not Thread.join: on CPython 3.11 a KeyboardInterrupt inside join() can
        # mark a thread that still runs as stopped, so later joins return at once.
        if self._thread is not threading.current_thread():
            self._done.wait(timeout)
            if self._done.is_set() and self._thread is not None:
                # the worker sets the event just before it returns: let it finish, so nothing
                # of the training (its frames hold the model and the monitor) outlives wait()
                self._thread.join(1.0)
        if raise_error and self.error is not None and not self.running:
            raise self.error
        return self

    def _request_stop(self, reason: str) -> None:
        self._stop_reason_requested = reason
        self.stop()

    def _stop_at_exit(self) -> None:
        self._request_stop("interrupted")

    # -- worker side ---------------------------------------------------------------------
    def _append(self, record: Record) -> None:
        with self._lock:
            self._records.append(record)

    # -- display -------------------------------------------------------------------------
    def summary(self) -> str:
        epochs = self.epochs
        parts = [f"{self.status}"]
        n_epochs = len(epochs.get("epoch", []))
        total = self.info.get("epochs")
        parts.append(f"{n_epochs}/{total} epochs, {self.step_count} steps" if total else
                     f"{n_epochs} epochs, {self.step_count} steps")
        if n_epochs:
            values = ", ".join(f"{k} {epochs[k][-1]:.4g}" for k in epochs
                               if k not in ("epoch", "step", "time", "lr")
                               and math.isfinite(epochs[k][-1]))
            if values:
                parts.append(values)
        text = "History(" + "; ".join(parts) + ")"
        if self.message and self.status not in ("running", "completed"):
            text += f"\n{self.message}"
        return text

    def __repr__(self) -> str:
        return self.summary()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self.monitor is None:
            print(self.summary())
            return
        count = _execution_count()
        if count is not None and count == self._displayed_in:
            return  # fit already showed the monitor in this cell
        self._displayed_in = count
        display(self.monitor)


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    shell = get_ipython()
    return None if shell is None else int(getattr(shell, "execution_count", 0))


# -- registry of running trainings (re-running a cell stops the old one) ----------------------

# slot -> [(batch, history)]: a key "slot@batch" claims the slot; trainings claimed with the same
# batch (several fits started by one run of one notebook cell) run side by side, any other
# running training in the slot is stopped
_REGISTRY: dict[str, list[tuple[str, History]]] = {}
_REGISTRY_LOCK = threading.Lock()


def running_trainings() -> list[History]:
    """Trainings started by ``train``/``fit`` in this process that have not ended."""
    with _REGISTRY_LOCK:
        unique = {id(h): h for entries in _REGISTRY.values() for _, h in entries if h.running}
    return list(unique.values())


def _claim(keys: Iterable[str], history: History, timeout: float = 60.0) -> None:
    slots = [k.partition("@") for k in keys]
    with _REGISTRY_LOCK:
        previous = {id(h): h for slot, _, batch in slots for other, h in _REGISTRY.get(slot, [])
                    if h.running and not (batch and other == batch)}
    for old in previous.values():
        old._request_stop("replaced")
        old.wait(timeout, raise_error=False)
        if old.running:
            raise RuntimeError("the previous training of this model did not stop within "
                               f"{timeout:.0f} s; stop it first (history.stop())")
    with _REGISTRY_LOCK:
        for slot, _, batch in slots:
            kept = [(b, h) for b, h in _REGISTRY.get(slot, [])
                    if h.running and batch and b == batch]
            _REGISTRY[slot] = [*kept, (batch, history)]


def _release(keys: Iterable[str], history: History) -> None:
    with _REGISTRY_LOCK:
        for k in keys:
            slot = k.partition("@")[0]
            entries = [(b, h) for b, h in _REGISTRY.get(slot, []) if h is not history]
            if entries:
                _REGISTRY[slot] = entries
            else:
                _REGISTRY.pop(slot, None)


# -- checks before training ---------------------------------------------------------------------

def _shape(t: torch.Tensor) -> str:
    return str(tuple(int(s) for s in t.shape))


def check_targets(loss_name: str, kind: str, out: torch.Tensor, target: torch.Tensor) -> None:
    """Raise ValueError when ``target`` does not suit ``loss_name`` for output ``out``."""
    if kind == "index":
        if out.ndim < 2:
            raise ValueError(f"loss {loss_name!r} needs one score per class, output shape (N, C), "
                             f"but the model outputs shape {_shape(out)}")
        if target.is_floating_point():
            if tuple(target.shape) == tuple(out.shape):
                return  # class probabilities, which cross_entropy accepts
            raise ValueError(
                f"loss {loss_name!r} needs class indices as integers (torch.long), got "
                f"{str(target.dtype).replace('torch.', '')} labels of shape {_shape(target)}: use "
                "y.long() (numpy: y.astype('int64')), or probabilities of the output's shape "
                f"{_shape(out)}")
        expected = (out.shape[0], *out.shape[2:])
        if tuple(target.shape) != tuple(expected):
            raise ValueError(f"loss {loss_name!r}: labels have shape {_shape(target)} but the "
                             f"model output {_shape(out)} needs labels of shape "
                             f"{tuple(int(s) for s in expected)}")
    elif kind == "binary":
        if not target.is_floating_point():
            raise ValueError(f"loss {loss_name!r} needs float targets 0.0/1.0 of the output's "
                             f"shape {_shape(out)}, got {str(target.dtype).replace('torch.', '')}"
                             " labels: use y.float(), or loss='cross_entropy' with class indices")
        if tuple(target.shape) != tuple(out.shape):
            raise ValueError(f"loss {loss_name!r}: targets have shape {_shape(target)} but the "
                             f"model outputs {_shape(out)}: reshape y to match (e.g. "
                             "y.reshape(-1, 1))")
    elif kind == "value":
        if not target.is_floating_point():
            raise ValueError(f"loss {loss_name!r} needs float targets, got "
                             f"{str(target.dtype).replace('torch.', '')} labels: for classes use "
                             "loss='cross_entropy'; for values use y.float()")
        if tuple(target.shape) != tuple(out.shape):
            raise ValueError(f"loss {loss_name!r}: targets have shape {_shape(target)} but the "
                             f"model outputs {_shape(out)} (they would broadcast silently): "
                             "reshape y to match (e.g. y.reshape(-1, 1))")


def _non_finite(t: torch.Tensor | None) -> torch.Tensor | None:
    """Per sample, whether it holds NaN/inf (None for integer tensors, which cannot)."""
    if t is None or not (t.is_floating_point() or t.is_complex()) or t.numel() == 0:
        return None
    bad = ~torch.isfinite(t)
    return bad.reshape(len(t), -1).any(1) if t.ndim > 1 else bad


def _batch_problem(xb: torch.Tensor, yb: torch.Tensor) -> str:
    """Which part of a batch holds NaN/inf ('' when both are finite)."""
    parts = [name for name, t in (("inputs", xb), ("targets", yb))
             if isinstance(t, torch.Tensor) and (rows := _non_finite(t)) is not None
             and bool(rows.any())]
    return " and ".join(parts)


def check_fit(model: nn.Module, source: DataSource, loss_fn: Callable[..., torch.Tensor],
              loss_name: str, kind: str, dev: torch.device) -> None:
    """Run the model and the loss on two training samples; explain any mismatch."""
    x, y = source.probe(2)
    x, y = x.to(dev), y.to(dev)
    info = model_input(model)
    try:
        with probing(model):  # no BatchNorm statistics, flags or random stream are touched
            out = model(x)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds; all mean "does not fit"
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(
            f"data and model do not fit: each sample has shape {_shape(x[0])} "
            f"({str(x.dtype).replace('torch.', '')}; a batch is {_shape(x)}), but the model's "
            f"first layer {info.layer} expects samples of shape {info.sample_shape}. "
            f"PyTorch said: {detail}") from None
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"the model returns {type(out).__name__}, but fit needs one tensor of "
                         "outputs (for an RNN, take the last hidden state in forward)")
    if out.ndim == 0 or out.shape[0] != x.shape[0]:
        raise ValueError(f"the model maps a batch of {x.shape[0]} samples to an output of shape "
                         f"{_shape(out)}; the first axis must stay the batch")
    check_targets(loss_name, kind, out, y)
    if kind == "index" and not y.is_floating_point():
        labels = source.label_range()
        n_classes = out.shape[1]
        if labels is not None and labels[0] < 0:
            raise ValueError(f"labels must be class indices 0..C-1, but the smallest is "
                             f"{labels[0]:g}" + (" (fit does not skip ignore_index=-100 labels: "
                                                 "drop those samples)" if labels[0] == -100
                                                 else ""))
        if labels is not None and (labels[0] < 0 or labels[1] >= n_classes):
            raise ValueError(f"labels go from {labels[0]:g} to {labels[1]:g} but the model "
                             f"outputs {n_classes} class scores per sample: the last layer needs "
                             f"{int(labels[1]) + 1} outputs (labels must be 0..C-1)")
    try:
        with torch.no_grad():
            value = loss_fn(out, y)
    except Exception as exc:  # noqa: BLE001
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"loss {loss_name!r} fails on model output {_shape(out)} and targets "
                         f"{_shape(y)} ({str(y.dtype).replace('torch.', '')}): {detail}") from None
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise ValueError(f"loss {loss_name!r} must return one number (a scalar tensor), got "
                         f"{type(value).__name__}"
                         + (f" of shape {_shape(value)}" if isinstance(value, torch.Tensor)
                            else ""))


# -- the loop -----------------------------------------------------------------------------------

@dataclass
class _Run:
    history: History
    model: nn.Module  # the user's module
    net: nn.Module  # what runs forward: the module, or its DDP wrapper
    source: DataSource
    loss_fn: Callable[..., torch.Tensor]
    metrics: dict[str, MetricFn]
    optimizer: torch.optim.Optimizer
    schedule: Any
    early: EarlyStopping | None
    options: FitOptions
    dev: torch.device
    rank: int
    world: int
    observers: list[Any]
    keys: list[str]
    steps_per_epoch: int | None
    params: list[nn.Parameter] = field(default_factory=list)
    t0: float = 0.0
    paused_total: float = 0.0
    inspector: LayerInspector | None = None
    mode_free: bool = False  # the model computes the same in train and eval mode


def _now(run: _Run) -> float:
    return time.perf_counter() - run.t0 - run.paused_total


def _emit(run: _Run, record: Record) -> None:
    run.history._append(record)
    for obs in run.observers:
        obs.on_record(record)


def _set_status(run: _Run, status: str, message: str = "", **extra: Any) -> None:
    history = run.history
    history.status = status
    history.message = message
    _emit(run, {"kind": "status", "status": status, "message": message,
                "time": _now(run), "step": history.step_count, **extra})


def _value(v: torch.Tensor | float) -> float:
    return float(v.item()) if isinstance(v, torch.Tensor) else float(v)


def _agree(run: _Run, stop: bool, bad: bool) -> tuple[bool, bool]:
    """All ranks take the same stop/divergence decision (one tiny all-reduce per step)."""
    if run.world <= 1:
        return stop, bad
    import torch.distributed as dist

    flags = torch.tensor([float(stop), float(bad)], device=run.dev if run.dev.type == "cuda"
                         else "cpu")
    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    return bool(flags[0] > 0), bool(flags[1] > 0)


def _reduce_sums(run: _Run, sums: dict[str, float]) -> dict[str, float]:
    if run.world <= 1 or not sums:
        return sums
    import torch.distributed as dist

    keys = sorted(sums)
    values = torch.tensor([sums[k] for k in keys], dtype=torch.float64,
                          device=run.dev if run.dev.type == "cuda" else "cpu")
    dist.all_reduce(values)
    return {k: float(v) for k, v in zip(keys, values.tolist())}


def _validate(run: _Run) -> dict[str, float]:
    if not run.source.has_val:
        return {}
    model = run.model  # the plain module: no DDP collectives during evaluation
    was_training = model.training
    if not run.mode_free:  # (a mode-free model computes the same either way: no switching)
        model.eval()
    sums: dict[str, float] = {}
    count = 0
    try:
        with torch.no_grad():
            for xb, yb in run.source.val_batches(max(run.options.batch_size, 256)):
                if run.world == 1 and run.history._stop.is_set():
                    return {}
                xb, yb = xb.to(run.dev), yb.to(run.dev)
                out = model(xb)
                n = len(xb)
                count += n
                sums["val_loss"] = sums.get("val_loss", 0.0) + _value(run.loss_fn(out, yb)) * n
                for name, fn in run.metrics.items():
                    sums[f"val_{name}"] = sums.get(f"val_{name}", 0.0) + _value(fn(out, yb)) * n
    finally:
        if not run.mode_free:
            model.train(was_training)
    return {k: v / count for k, v in sums.items()} if count else {}


def _train_loop(run: _Run) -> None:
    history, opts = run.history, run.options
    net, loss_fn, optimizer, params = run.net, run.loss_fn, run.optimizer, run.params
    dev = run.dev
    metric_items = [(k, f) for k, f in run.metrics.items() if not hasattr(f, "batched")]
    batched_items = [(k, f) for k, f in run.metrics.items() if hasattr(f, "batched")]
    # step records wait here until their batched metrics are computed (a few steps at a time)
    pending: list[Record] = []
    pending_out: list[torch.Tensor] = []
    pending_y: list[torch.Tensor] = []
    last_flush = 0.0

    batched_sums: dict[str, float] = {name: 0.0 for name, _ in batched_items}  # this epoch

    def flush(layers: bool = True) -> None:
        """Pending step records out; with ``layers`` also the inspector's pending rows (at a
        pause, a stop, the end; the inspector flushes itself while steps go)."""
        nonlocal last_flush
        if layers and run.inspector is not None:
            emit_layers(run.inspector.flush())
        if not pending:
            return
        for name, fn in batched_items:
            for rec, value in zip(pending, fn.batched(pending_out, pending_y)):
                rec[name] = value
                batched_sums[name] += value * rec["_n"]
        for rec in pending:
            del rec["_n"]
            _emit(run, rec)
        pending.clear()
        pending_out.clear()
        pending_y.clear()
        last_flush = time.perf_counter()

    def emit_layers(blocks: list[Record]) -> None:
        """The inspector's block records out, then the warnings of the steps that may warn."""
        inspector = run.inspector
        if not blocks or inspector is None:
            return
        t0 = time.perf_counter()
        for block in blocks:
            _emit(run, block)
            for j in np.flatnonzero(inspector.may_warn(block)):
                for warning in inspector.check(layer_row(block, int(j))):
                    _emit(run, {"kind": "warning", **warning})
        inspector.charge(t0)  # part of what inspecting costs (the adaptive interval)

    penalize = bool(opts.l1 or opts.l2)
    clip = opts.clip_grad_norm is not None or opts.clip_grad_value is not None
    schedule = run.schedule
    step_schedule = schedule is not None and schedule.every == "step"
    step = 0
    final_status, final_message = "completed", ""
    inspector = run.inspector
    blowup = BlowUpDetector()
    warned_blowup = False
    run.model.train()
    _set_status(run, "running")
    try:
        for epoch in range(opts.epochs):
            sums: dict[str, float] = {"loss": 0.0, "n": 0.0}
            for name, _ in metric_items:
                sums[name] = 0.0
            for name in batched_sums:
                batched_sums[name] = 0.0
            stop = False
            for xb, yb in run.source.train_batches(epoch, opts.batch_size, run.rank, run.world):
                if not history._resume.is_set() and not history._stop.is_set():
                    flush()
                    paused_at = time.perf_counter()
                    _set_status(run, "paused")
                    while not history._resume.wait(0.1):
                        pass
                    run.paused_total += time.perf_counter() - paused_at
                    if not history._stop.is_set():
                        _set_status(run, "running")
                if xb.device != dev:
                    xb = xb.to(dev, non_blocking=True)
                    yb = yb.to(dev, non_blocking=True)
                if history._inspect_request is not None:  # toggled between two steps
                    request, history._inspect_request = history._inspect_request, None
                    emit_layers(_apply_inspect_request(run, request))
                    inspector = run.inspector
                lr = optimizer.param_groups[0]["lr"]
                optimizer.zero_grad(set_to_none=True)
                if inspector is not None:
                    inspector.begin(step + 1)
                out = net(xb)
                loss = loss_fn(out, yb)
                loss_value = loss.item()
                finite = math.isfinite(loss_value)
                grown = blowup.update(loss_value) if finite else None
                if grown is not None and opts.on_divergence == "warn":
                    if not warned_blowup:  # keep going, as asked: say it once
                        warned_blowup = True
                        _emit(run, {"kind": "warning", "step": step + 1, "layer": "", "rule":
                                    "blow_up", "message": (
                                        f"step {step + 1}: the loss grew to {loss_value:.3g}, "
                                        f"{grown}: lower the learning rate (now {lr:g}) or clip "
                                        "gradients (clip_grad_norm=1.0)")})
                    grown = None
                stop_now, bad = _agree(run, history._stop.is_set(), not finite or grown is not None)
                if bad or stop_now:
                    flush()
                if bad:
                    history.diverged_at = step + 1
                    final_status = "diverged"
                    in_data = _batch_problem(xb, yb) if not finite else ""
                    if in_data:  # NaN in, NaN out: the data's fault, not the learning rate's
                        final_message = (
                            f"training diverged at step {step + 1} (epoch {epoch + 1}) because the "
                            f"data holds NaN/inf: this batch's {in_data} do, so the loss became "
                            f"{loss_value}. Remove or impute the non-finite values in the data. "
                            f"The model keeps the weights of step {step}.")
                    elif grown is not None or (finite and run.world > 1):
                        became = (f"{loss_value:.3g}, {grown}" if grown is not None
                                  else "non-finite or far above its start on another rank")
                        final_message = (
                            f"training diverged at step {step + 1} (epoch {epoch + 1}): the loss "
                            f"grew to {became}. Lower the learning rate (now {lr:g}) or clip "
                            "gradients (clip_grad_norm=1.0). The model keeps the weights of step "
                            f"{step}.")
                    else:
                        final_message = (
                            f"training diverged at step {step + 1} (epoch {epoch + 1}): the loss "
                            f"became {loss_value if not finite else 'non-finite on another rank'}. "
                            f"Lower the learning rate (now {lr:g}), clip gradients "
                            "(clip_grad_norm=1.0) or check the data for NaN/inf. The model keeps "
                            f"the weights of step {step} (they already give a non-finite loss).")
                    _emit(run, {"kind": "diverged", "step": step + 1, "epoch": epoch + 1,
                                "loss": loss_value, "time": _now(run)})
                    stop = True
                    break
                if stop_now:
                    history._stop.set()  # under DDP the request may have come from another rank
                    stop = True
                    break
                if penalize:
                    extra = penalty(params, opts.l1, opts.l2)
                    (loss + extra).backward()  # type: ignore[operator]
                else:
                    loss.backward()
                record: Record = {"kind": "step", "step": step + 1, "epoch": epoch + 1,
                                  "loss": loss_value, "lr": lr}
                if inspector is not None:
                    inspector.after_backward()  # gradients before clipping, weights before update
                if clip:
                    norm = clip_gradients(params, max_norm=opts.clip_grad_norm,
                                          max_value=opts.clip_grad_value)
                    if norm is not None:
                        record["grad_norm"] = norm
                optimizer.step()
                layer_rows = inspector.after_update() if inspector is not None else []
                if step_schedule:
                    schedule.step()
                step += 1
                n = len(xb)
                sums["loss"] += loss_value * n
                sums["n"] += n
                if metric_items:
                    detached = out.detach()
                    for name, fn in metric_items:
                        value = _value(fn(detached, yb))
                        record[name] = value
                        sums[name] += value * n
                record["time"] = _now(run)
                if batched_items:
                    record["_n"] = n
                    pending.append(record)
                    pending_out.append(out.detach())
                    pending_y.append(yb)
                    if len(pending) >= 16 or time.perf_counter() - last_flush > 0.03:
                        flush(layers=False)
                else:
                    _emit(run, record)
                if layer_rows:
                    emit_layers(layer_rows)
            flush(layers=False)  # (the inspector flushes itself every 64 records or 0.25 s)
            if stop:
                break
            # end of epoch: training means (agreed by all ranks), validation, schedule, early stop
            sums = _reduce_sums(run, {**sums, **batched_sums})
            count = sums.pop("n") or 1.0
            epoch_record: Record = {"kind": "epoch", "epoch": epoch + 1, "step": step,
                                    **{k: v / count for k, v in sums.items()},
                                    "lr": optimizer.param_groups[0]["lr"]}
            epoch_record.update(_validate(run))  # empty when stopped during validation
            epoch_record["time"] = _now(run)
            _emit(run, epoch_record)
            if schedule is not None and not step_schedule:
                schedule.step()
            if run.early is not None and not history._stop.is_set():
                watched = run.early.resolve(k for k in epoch_record if k not in ("kind", "epoch",
                                                                                 "step", "time"))
                worse = run.early.update(watched, float(epoch_record[watched]), epoch + 1, run.model)
                if worse and epoch + 1 < opts.epochs:
                    restored = run.early.restore(run.model)
                    final_status = "early_stopped"
                    final_message = (f"early stopping: {watched} did not improve for "
                                     f"{run.early.patience} epochs (best {run.early.best:.4g} at "
                                     f"epoch {run.early.best_epoch})"
                                     + ("; the best epoch's weights were restored" if restored else ""))
                    break
        flush()  # the inspector's last rows
    except BaseException:
        try:  # the steps that did finish stay in the history
            flush()
        except BaseException:  # noqa: BLE001 - report the original error
            pass
        raise
    finally:
        if run.inspector is not None:
            run.inspector.close()  # no hook stays on the user's model
    if final_status == "completed" and history._stop.is_set():
        final_status = history._stop_reason_requested
        final_message = {
            "stopped": f"stopped by request after step {step}",
            "replaced": f"stopped after step {step}: a new training of this model started",
            "interrupted": f"interrupted after step {step}",
        }.get(final_status, f"stopped after step {step}")
    elif final_status == "completed":
        final_message = f"completed {opts.epochs} epochs ({step} steps)"
    _set_status(run, final_status, final_message)


def _make_inspector(model: nn.Module, opts: FitOptions, info: dict[str, Any]) -> LayerInspector:
    """A LayerInspector for ``model``; its layers go into ``info`` (what History.layers and the
    monitor read)."""
    inspector = LayerInspector(model, every=opts.inspect_every,
                               histograms=opts.inspect_histograms)
    info.update(layers=inspector.spec.names, activation_layers=inspector.spec.activations,
                frozen_layers=inspector.spec.frozen, layer_order=inspector.spec.order,
                inspect_note=inspector.spec.note, inspect_every=opts.inspect_every)
    return inspector


def _apply_inspect_request(run: _Run, on: bool) -> list[Record]:
    """Turn layer recording on or off between two steps (the monitor's "inspect layers" box,
    ``History.inspect``): the inspector is made on first use, its hooks come off when it is
    off. Returns the layer rows still pending when it goes off."""
    history, inspector = run.history, run.inspector
    rows: list[Record] = []
    if on and inspector is None:
        run.inspector = _make_inspector(run.model, run.options, history.info)
    elif inspector is not None:
        if not on:
            rows = inspector.close()  # hooks off, pending rows out
        inspector.enabled = on
    if bool(history.info.get("inspect")) == on:
        return rows
    history.info["inspect"] = on
    keys = ("layers", "activation_layers", "frozen_layers", "layer_order", "inspect_note",
            "inspect_every")
    _emit(run, {"kind": "inspect", "on": on, "step": history.step_count,
                "info": {k: history.info[k] for k in keys if k in history.info}})
    return rows


def _worker(run: _Run) -> None:
    history = run.history
    try:
        run.t0 = time.perf_counter()
        _train_loop(run)
    except BaseException as exc:  # report everything; the thread must end cleanly
        history.error = exc
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        try:
            _set_status(run, "error", f"training failed at step {history.step_count + 1}: "
                                      f"{message}")
        except BaseException:  # noqa: BLE001 - an observer failing must not hide the error
            history.status = "error"
    finally:
        for obs in run.observers:
            try:
                obs.on_end(history)
            except BaseException as exc:  # noqa: BLE001
                history.info.setdefault("observer_errors", []).append(repr(exc))
        _release(run.keys, history)
        history._done.set()


def _distributed_world(flag: bool | None) -> tuple[int, int]:
    if flag is False:
        return 0, 1
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    if flag:
        raise RuntimeError("distributed=True needs torch.distributed to be initialized first "
                           "(dist.init_process_group, torchrun, or Lightning Fabric)")
    return 0, 1


def layout_for(model: nn.Module) -> str | None:
    """'flat' or 'image' when the model's first layer says which form of digits it takes."""
    layout = model_input(model).layout
    return layout if layout in ("flat", "image") else None


def train(model: nn.Module, data: Any, options: FitOptions | None = None, *,
          observers: Sequence[Any] = (), keys: Sequence[str] = (),
          block: bool = True) -> History:
    """Train ``model`` on ``data``; returns a ``History`` (live when ``block`` is False).

    Checks run in the calling thread and raise ``ValueError``/``TypeError`` before anything
    starts. The loop runs in a worker thread; ``block=True`` waits for it (Ctrl-C stops it after
    the current step, then re-raises ``KeyboardInterrupt``).
    """
    opts = options or FitOptions()
    opts.check()
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    rank, world = _distributed_world(opts.distributed)
    if opts.device is None and world > 1 and torch.cuda.is_available():
        import os

        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)) %
                           torch.cuda.device_count())
    else:
        dev = pick_device(opts.device)
    from torch.nn.parallel import DistributedDataParallel as DDP

    wrapped: nn.Module | None = None
    # Already distributed: a DDP, or a launcher's wrapper around one that adds no parameters
    # (Lightning Fabric's fabric.setup(model)). Its forward is used as it is; the plain module
    # inside is trained, evaluated and keyed.
    inner = next((m for m in model.modules() if isinstance(m, DDP)), None)
    if inner is not None and ({id(p) for p in model.parameters()}
                              == {id(p) for p in inner.parameters()}):
        wrapped, model = model, inner.module
    source = as_source(data, val_data=opts.val_data, batch_size=opts.batch_size, seed=opts.seed,
                       shuffle=opts.shuffle, layout=layout_for(model) if isinstance(
                           data, str) else None)
    loss_fn, loss_name, kind = resolve_loss(opts.loss, source.task)
    if (kind == "binary" and isinstance(data, (str, Dataset)) and isinstance(source, ArraySource)
            and source.n_classes == 2 and not source.y.is_floating_point()):
        # A built-in two-class set with a BCE loss: its int labels become float 0/1 targets.
        source = source.with_binary_targets()
    metrics = resolve_metrics(opts.metrics, kind, loss_name, source.task)
    model.to(dev)
    if isinstance(loss_fn, nn.Module):
        loss_fn.to(dev)
    check_fit(model, source, loss_fn, loss_name, kind, dev)
    source = source.to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters (all requires_grad=False)")
    optimizer = make_optimizer(opts.optimizer, params, lr=opts.lr, momentum=opts.momentum,
                               weight_decay=opts.weight_decay, options=opts.optimizer_options,
                               sparse_grads=any(getattr(m, "sparse", False) is True
                                                for m in model.modules()))
    steps_per_epoch = source.steps_per_epoch(opts.batch_size, rank, world)
    schedule = make_schedule(opts.schedule, optimizer, epochs=opts.epochs,
                             steps_per_epoch=steps_per_epoch, every=opts.schedule_every)
    early = as_early_stopping(opts.early_stopping)
    if world > 1 and wrapped is None:
        wrapped = DDP(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    net = wrapped if wrapped is not None else model
    n_params = sum(p.numel() for p in model.parameters())
    info = {
        "model": type(model).__name__, "parameters": int(n_params), "data": source.name,
        "train_samples": source.n_train, "has_val": source.has_val, "loss": loss_name,
        "optimizer": opts.optimizer if isinstance(opts.optimizer, str) else
        type(optimizer).__name__, "optimizer_implementation": implementation(optimizer),
        "lr": optimizer.param_groups[0]["lr"], "epochs": opts.epochs,
        "batch_size": opts.batch_size, "steps_per_epoch": steps_per_epoch,
        "total_steps": None if steps_per_epoch is None else steps_per_epoch * opts.epochs,
        "device": str(dev), "metrics": list(metrics), "rank": rank, "world_size": world,
        "grad_norm": opts.clip_grad_norm is not None,
    }
    inspector: LayerInspector | None = None
    info["inspect"] = bool(opts.inspect)
    if opts.inspect:
        inspector = _make_inspector(model, opts, info)
    history = History(model, info)
    run_observers = list(observers) if rank == 0 else []
    all_keys = [f"model:{id(model)}", *keys]
    run = _Run(history, model, net, source, loss_fn, metrics, optimizer, schedule, early, opts,
               dev, rank, world, run_observers, all_keys, steps_per_epoch, params,
               inspector=inspector, mode_free=mode_free(model))
    _claim(all_keys, history)
    try:
        for obs in run_observers:
            obs.on_start(history)
    except BaseException:
        _release(all_keys, history)
        raise
    thread = threading.Thread(target=_worker, args=(run,), name="dlwidgets-train", daemon=True)
    history._thread = thread
    thread.start()
    shutdown.track(thread, history._stop_at_exit)
    if block:
        try:
            while not history._done.wait(0.1):
                pass
        except KeyboardInterrupt:
            # the history says "interrupted" before the interrupt reaches the caller
            history._request_stop("interrupted")
            history._done.wait()
            raise
        thread.join()  # done is set last: the thread is only returning (and drops the run)
        if history.error is not None:
            raise history.error
    return history
