"""Live training monitor, and ``dlwidgets.fit`` which trains a model with one attached.

The engine's worker thread only hands records to the monitor's ``ThrottledPublisher`` (a lock
and a list append). The publisher thread sends coalesced deltas (≤ 30 messages/s) as custom
messages with binary columns, sets the status traits, and writes the full history into synced
state every 2 s and once at the end, so a late view, a saved notebook and a static export all
draw the whole run. Stop / pause / resume come back from the front end as custom messages and
are processed by the kernel's main thread, which is free because ``fit`` returns at once in a
notebook.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import traitlets as t
from torch import nn

from ..engine import args as _args
from ..engine.fit import FitOptions, History, MetricFn, Record, train
from ..engine.layer_stats import ACTIVATION_STATS, LAYER_STATS, merge_layer_records
from ..engine.training_optim import EarlyStopping, OptimizerArg, ScheduleArg
from ._base import DLWidget, bundle
from ._stream import ThrottledPublisher
from ._traits import Array, ArrayDict, array_dict_serialization

_INT_COLUMNS = ("step", "epoch", "key")
COLUMN = Array(("int32", "float32"), ndim=1)


class ColumnStore:
    """Rows of one record kind kept as growable float64 numpy columns (missing values NaN).

    Filled incrementally from the deltas, so writing the full history into state costs a few
    array copies, not a pass over every record in Python.
    """

    def __init__(self) -> None:
        self.n = 0
        self.cols: dict[str, np.ndarray] = {}
        self._capacity = 0

    def append(self, rows: Sequence[Record]) -> None:
        if rows:
            self.append_matrix(*records_matrix(rows))

    def append_matrix(self, names: Sequence[str], matrix: np.ndarray) -> None:
        """Rows already gathered by ``records_matrix`` (the same matrix a delta sends)."""
        count = len(matrix)
        if not count:
            return
        need = self.n + count
        if need > self._capacity:
            self._capacity = max(64, 2 * need)
            for name, col in self.cols.items():
                grown = np.full(self._capacity, np.nan)
                grown[:self.n] = col[:self.n]
                self.cols[name] = grown
        for j, name in enumerate(names):
            if name not in self.cols:
                self.cols[name] = np.full(self._capacity, np.nan)
            self.cols[name][self.n:need] = matrix[:, j]
        self.n = need

    def column(self, name: str) -> np.ndarray:
        return self.cols[name][:self.n].copy()

    def to_state(self) -> dict[str, np.ndarray]:
        """{name: column}: int32 step/epoch numbers, float32 values (what the browser draws)."""
        out: dict[str, np.ndarray] = {}
        for name, col in self.cols.items():
            values = col[:self.n]
            out[name] = values.astype(np.int32) if name in _INT_COLUMNS \
                else values.astype(np.float32)
        return out


def records_to_columns(records: Sequence[Record], kind: str) -> dict[str, np.ndarray]:
    """State columns (numpy arrays) of the records of one kind."""
    store = ColumnStore()
    store.append([r for r in records if r.get("kind") == kind])
    return store.to_state()


def records_matrix(rows: Sequence[Record]) -> tuple[list[str], np.ndarray]:
    """The numeric fields of ``rows`` as (names, float64 matrix of rows × names), NaN where a
    row lacks a field: one pass over the records, shared by the delta and the column store."""
    names: list[str] = []
    for name in dict.fromkeys(k for r in rows for k in r):
        if name != "kind" and isinstance(next(r[name] for r in rows if name in r), (int, float)):
            names.append(name)
    matrix = np.array([[r.get(n, math.nan) for n in names] for r in rows], dtype=np.float64)
    return names, matrix.reshape(len(rows), len(names))




def layer_matrix(rows: Sequence[Record], layers: Sequence[str], activations: Sequence[str]
                 ) -> tuple[list[str], np.ndarray]:
    """``layers`` records (blocks over steps, or single rows) as flat columns ``"step"`` and
    ``"<stat>:<layer>"``, so layer statistics travel and are stored like the step columns (one
    matrix per delta); built with numpy, one block per statistic."""
    block = merge_layer_records(rows)
    assert block is not None, "layer_matrix needs at least one record"
    steps = len(block["step"])
    names = ["step"]
    blocks = [block["step"].astype(np.float64).reshape(steps, 1)]
    for stats, layer_names in ((LAYER_STATS, layers), (ACTIVATION_STATS, activations)):
        count = len(layer_names)
        for stat in stats:
            found = block.get(stat)
            if not count or found is None:
                continue
            part = np.full((steps, count), math.nan)
            width = min(count, found.shape[1])
            part[:, :width] = found[:, :width]
            blocks.append(part)
            names += [f"{stat}:{name}" for name in layer_names]
    return names, np.concatenate(blocks, axis=1)


HISTOGRAM_KINDS = ("weight", "grad", "activation")


def histogram_matrix(rows: Sequence[Record], order: Sequence[str]
                     ) -> tuple[list[str], np.ndarray] | None:
    """The binned counts of ``layers`` records (``inspect_histograms=True``) as one matrix, a
    row per (recorded step, kind, layer): ``key`` (increasing: step, then kind, then layer),
    ``step``, ``kind`` (index in HISTOGRAM_KINDS), ``layer`` (index in ``order``), ``lo``,
    ``hi`` (the step's value range, split into equal bins) and the counts ``c0`` … — numbers
    that travel as binary columns like the other tables."""
    block = merge_layer_records(rows)
    if block is None or "histograms" not in block:
        return None
    index = {name: i for i, name in enumerate(order)}
    width = 3 * max(1, len(order))
    out: list[np.ndarray] = []
    bins = 0
    for step, found in zip(block["step"].tolist(), block["histograms"]):
        for (kind, layer), (edges, counts) in found.items():
            if layer not in index or kind not in HISTOGRAM_KINDS:
                continue
            k, i = HISTOGRAM_KINDS.index(kind), index[layer]
            bins = bins or len(counts)
            if len(counts) != bins:
                continue
            out.append(np.concatenate([[step * width + k * len(order) + i,
                                        step, k, i, edges[0], edges[-1]], counts]))
    if not out:
        return None
    matrix = np.array(sorted(out, key=lambda row: row[0]), dtype=np.float64)
    names = ["key", "step", "kind", "layer", "lo", "hi", *(f"c{j}" for j in range(bins))]
    return names, matrix


def split_kinds(batch: Sequence[Record], info: dict[str, Any] | None = None
                ) -> dict[str, tuple[list[str], np.ndarray]]:
    """{"steps": (names, matrix), "epochs": ..., "layers": ...} for the kinds in ``batch``
    (layer rows flattened with the layer names of ``info``)."""
    out = {}
    for kind, key in (("step", "steps"), ("epoch", "epochs")):
        rows = [r for r in batch if r.get("kind") == kind]
        if rows:
            out[key] = records_matrix(rows)
    block = merge_layer_records([r for r in batch if r.get("kind") == "layers"])
    if block is not None and info is not None:
        names, acts = info.get("layers") or [], info.get("activation_layers") or []
        out["layers"] = layer_matrix([block], names, acts)
        hist = histogram_matrix([block], info.get("layer_order") or [])
        if hist is not None:
            out["histograms"] = hist
    return out


def encode_delta(run_id: int, start: int, batch: Sequence[Record],
                 kinds: dict[str, tuple[list[str], np.ndarray]] | None = None
                 ) -> tuple[dict[str, Any], list[bytes]] | None:
    """The custom message for a batch of records, and its binary buffers.

    Each kind ("steps", "epochs") travels as one float64 row-major matrix (rows × columns, so
    step numbers stay exact) with its column names: one buffer per kind, whatever the columns.
    ``kinds`` is ``split_kinds(batch)`` when the caller has it already.
    """
    content: dict[str, Any] = {"type": "delta", "run": run_id, "start": start}
    paths: list[list[str]] = []
    buffers: list[bytes] = []
    for key, (names, matrix) in (kinds if kinds is not None else split_kinds(batch)).items():
        content[key] = {"columns": names, "dtype": "float64", "shape": list(matrix.shape)}
        paths.append([key, "data"])
        buffers.append(matrix.tobytes())
    if not buffers:
        return None
    content["buffer_paths"] = paths
    return content, buffers


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


class TrainingMonitor(DLWidget):
    """Live loss/metric curves per step and epoch, progress with ETA, lr, stop and pause buttons.

    ``dlwidgets.fit`` creates and shows one; pass ``monitor=TrainingMonitor()`` to reuse a panel.
    """

    _esm = bundle("training_monitor")

    title = t.Unicode("Training").tag(sync=True)
    run_id = t.Int(0).tag(sync=True)
    status = t.Unicode("idle").tag(sync=True)
    message = t.Unicode("").tag(sync=True)
    info = t.Dict().tag(sync=True)  # model, parameters, data, loss, optimizer, epochs, ... (JSON)
    # column -> (rows,) array, one row per optimizer step / per epoch (int32 step and epoch
    # numbers, float32 values, NaN where a row lacks the column)
    steps = ArrayDict(values=COLUMN).tag(sync=True, **array_dict_serialization)
    epochs = ArrayDict(values=COLUMN).tag(sync=True, **array_dict_serialization)
    # fit(inspect=True): one row per recorded step, columns "step" and "<stat>:<layer>" (stat:
    # grad_norm, weight_norm, update_ratio, dead_fraction, saturated_fraction)
    layers = ArrayDict(values=COLUMN).tag(sync=True, **array_dict_serialization)
    # fit(inspect=True, inspect_histograms=True): a row per (recorded step, kind, layer) with
    # columns key, step, kind (0 weight, 1 grad, 2 activation), layer (index in
    # info["layer_order"]), lo, hi and the counts c0 … of equal bins over [lo, hi]
    histograms = ArrayDict(values=COLUMN).tag(sync=True, **array_dict_serialization)
    # health warnings so far: {step, layer, rule, message}
    health_warnings = t.List(t.Dict()).tag(sync=True)
    diverged_step = t.Int(-1).tag(sync=True)
    # per-layer recording on now (the "inspect layers" box; fit(inspect=True) starts it on)
    inspecting = t.Bool(False).tag(sync=True)
    log_scale = t.Bool(False).tag(sync=True)
    smoothing = t.Float(0.6).tag(sync=True)

    def __init__(self, title: str = "Training", *, max_rate: float = 30.0,
                 history_every: float = 2.0) -> None:
        _args.real(max_rate, "max_rate", 0.0, 1000.0, lo_open=True)
        _args.real(history_every, "history_every", 0.0, 3600.0)
        super().__init__(title=title)
        self._history: History | None = None
        self._publisher: ThrottledPublisher | None = None
        self._max_rate = max_rate
        self._history_every = history_every
        self._state_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._show_on_start = False
        self._steps = ColumnStore()
        self._epochs = ColumnStore()
        self._layers = ColumnStore()
        self._histograms = ColumnStore()
        self.deltas_sent = 0
        self.on_msg(self._on_frontend_msg)

    @t.validate("smoothing")
    def _check_smoothing(self, proposal: t.Bunch) -> float:
        value = float(proposal["value"])
        if not 0.0 <= value < 1.0:
            raise t.TraitError(f"smoothing must be in [0, 1), got {value}")
        return value

    # -- Python-side control and data --------------------------------------------------
    @property
    def history(self) -> History | None:
        """The History of the training shown (None before the first one)."""
        return self._history

    def stop(self) -> None:
        """Same as the Stop button."""
        if self._history is not None:
            self._history.stop()

    def inspect(self, on: bool = True) -> None:
        """Same as the "inspect layers" box: record per-layer statistics from the next step
        on (or stop recording them)."""
        if self._history is not None and self._history.running:
            self._history.inspect(on)

    def pause(self) -> None:
        if self._history is not None:
            self._history.pause()

    def resume(self) -> None:
        if self._history is not None:
            self._history.resume()

    def before_export(self) -> None:
        """Mid-training, the history delivered so far goes into state for the export."""
        if self._history is not None:
            self._write_history()

    def export_note(self) -> str | None:
        """A note for the static export when it is taken mid-training."""
        h = self._history
        if h is None or not h.running:
            return None
        total = h.info.get("total_steps")
        of = f" of {total}" if total else ""
        return f"Exported while training (step {h.step_count}{of}); the page shows the run so far."

    # -- observer interface (engine) ---------------------------------------------------
    def on_start(self, history: History) -> None:
        """Called by the engine in the calling thread, before the worker thread starts.

        One monitor shows one training at a time: a second fit while the first still runs is
        refused (their records would interleave in one set of curves).
        """
        with self._start_lock:
            shown = self._history
            if shown is not None and shown is not history and shown.running:
                raise RuntimeError(
                    f"this TrainingMonitor is showing a training that is still running "
                    f"({shown.info.get('model', 'a model')}, step {shown.step_count}); a monitor "
                    "shows one training at a time: stop that one first (monitor.stop(), then "
                    "monitor.history.wait()) or give this fit its own monitor")
            self._history = history
        if self._publisher is not None:
            self._publisher.stop()
        with self._state_lock:
            self._steps, self._epochs, self._layers = ColumnStore(), ColumnStore(), ColumnStore()
            self._histograms = ColumnStore()
        with self.hold_sync():
            self.run_id = self.run_id + 1
            self.status = "starting"
            self.message = ""
            self.diverged_step = -1
            self.inspecting = bool(history.info.get("inspect"))
            self.info = _jsonable(history.info)
            self.steps = {}
            self.epochs = {}
            self.layers = {}
            self.histograms = {}
            self.health_warnings = []
        self._publisher = ThrottledPublisher(self._send_delta, self._write_history,
                                             max_rate=self._max_rate,
                                             history_every=self._history_every).start()
        if self._show_on_start:
            self._show_on_start = False
            from IPython.display import display

            history._displayed_in = _execution_count()
            display(self)

    def on_record(self, record: Record) -> None:
        """Worker thread: queue the record (never touches traits or the comm)."""
        publisher = self._publisher
        if publisher is not None:
            publisher.push(record)

    def on_end(self, history: History) -> None:
        """Worker thread: flush what is left and write the full history (publisher thread)."""
        publisher = self._publisher
        if publisher is not None:
            publisher.stop()

    # -- publisher thread --------------------------------------------------------------
    def _apply_status(self, records: Sequence[Record]) -> None:
        statuses = [r for r in records if r.get("kind") == "status"]
        diverged = [r for r in records if r.get("kind") == "diverged"]
        warnings = [{k: r[k] for k in ("step", "layer", "rule", "message")}
                    for r in records if r.get("kind") == "warning"]
        toggles = [r for r in records if r.get("kind") == "inspect"]
        if not statuses and not diverged and not warnings and not toggles:
            return
        with self.hold_sync():
            if toggles:
                self.info = {**self.info, **_jsonable(toggles[-1]["info"]),
                             "inspect": bool(toggles[-1]["on"])}
                self.inspecting = bool(toggles[-1]["on"])
            if warnings:
                self.health_warnings = [*self.health_warnings, *warnings]
            if diverged:
                self.diverged_step = int(diverged[-1]["step"])
            if statuses:
                self.status = str(statuses[-1]["status"])
                self.message = str(statuses[-1].get("message", ""))

    def _send_delta(self, start: int, batch: list[Record]) -> None:
        kinds = split_kinds(batch, self._history.info if self._history is not None else None)
        with self._state_lock:
            if "steps" in kinds:
                self._steps.append_matrix(*kinds["steps"])
            if "epochs" in kinds:
                self._epochs.append_matrix(*kinds["epochs"])
            if "layers" in kinds:
                self._layers.append_matrix(*kinds["layers"])
            if "histograms" in kinds:
                self._histograms.append_matrix(*kinds["histograms"])
        self._apply_status(batch)
        encoded = encode_delta(self.run_id, start, batch, kinds)
        if encoded is not None:
            content, buffers = encoded
            self.send(content, buffers)
            self.deltas_sent += 1

    def _write_history(self, records: list[Record] | None = None) -> None:
        """Everything delivered so far into synced state (from the column stores)."""
        with self._state_lock:
            steps, epochs = self._steps.to_state(), self._epochs.to_state()
            layers = self._layers.to_state()
            histograms = self._histograms.to_state()
            with self.hold_sync():
                self.steps = steps
                self.epochs = epochs
                if layers or self.layers:
                    self.layers = layers
                if histograms or self.histograms:
                    self.histograms = histograms

    def _on_frontend_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "stop":
            self.stop()
        elif kind == "pause":
            self.pause()
        elif kind == "resume":
            self.resume()
        elif kind == "inspect":
            self.inspect(bool(content.get("on")))
        elif kind == "sync" and self._history is not None:
            # a view that appeared after the start asks for everything delivered so far
            self._write_history()


# -- dlwidgets.fit --------------------------------------------------------------------------

def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return get_ipython()


def in_notebook_kernel() -> bool:
    """True inside a Jupyter kernel (a front end can show widgets and send button clicks)."""
    shell = _shell()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _execution_count() -> int | None:
    shell = _shell()
    return None if shell is None else int(getattr(shell, "execution_count", 0))


def _cell_key() -> str | None:
    """The running notebook cell's id (JupyterLab/Notebook 7 send it) and the request that runs
    it, to stop a re-run cell's previous trainings even when the cell built new models, while
    several fits of one run of the cell go side by side."""
    shell = _shell()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        parent = kernel.get_parent("shell") if hasattr(kernel, "get_parent") else {}
    except TypeError:
        parent = kernel.get_parent()
    except Exception:  # noqa: BLE001 - no parent header outside a request
        return None
    cell = ((parent or {}).get("metadata") or {}).get("cellId")
    # "@request": fits started by the same run of the cell train side by side; a re-run stops them
    request = ((parent or {}).get("header") or {}).get("msg_id") or _execution_count()
    return f"cell:{cell}@{request}" if cell else None


def _rank() -> int:
    import torch.distributed as dist

    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def fit(model: nn.Module, data: Any, *, loss: str | Callable[..., torch.Tensor] | None = None,
        optimizer: OptimizerArg = "adam", lr: float | None = None, epochs: int = 5,
        batch_size: int = 32, device: str | torch.device | None = None,
        metrics: Sequence[str] | dict[str, MetricFn] | None = None, val_data: Any = None,
        momentum: float | None = None, weight_decay: float = 0.0,
        optimizer_options: dict[str, Any] | None = None, l1: float = 0.0, l2: float = 0.0,
        clip_grad_norm: float | None = None, clip_grad_value: float | None = None,
        schedule: ScheduleArg = None, schedule_every: str = "epoch",
        early_stopping: int | EarlyStopping | None = None, seed: int = 0, shuffle: bool = True,
        distributed: bool | None = None, inspect: bool = False,
        inspect_every: int | None = None, inspect_histograms: bool = False,
        on_divergence: str = "stop", monitor: bool | str | TrainingMonitor | None = "auto",
        block: bool | None = None, title: str | None = None,
        key: str | None = None) -> History:
    """Train ``model`` on ``data`` with a live TrainingMonitor; returns the (live) History.

    In a notebook it returns at once (training runs in a worker thread, the kernel stays free
    for the Stop/Pause buttons); elsewhere, or with ``block=True``, it returns when training
    ends. See docs/training.md for every parameter. A model built by the DSL with a ``loss``
    line trains with that loss unless ``loss`` is given.
    """
    if loss is None:
        declared = getattr(getattr(model, "dl_spec", None), "loss", None)
        loss = declared if isinstance(declared, str) else None
    options = FitOptions(
        loss=loss, optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch_size,
        device=device, metrics=metrics, val_data=val_data, momentum=momentum,
        weight_decay=weight_decay, optimizer_options=optimizer_options, l1=l1, l2=l2,
        clip_grad_norm=clip_grad_norm, clip_grad_value=clip_grad_value, schedule=schedule,
        schedule_every=schedule_every, early_stopping=early_stopping, seed=seed,
        shuffle=shuffle, distributed=distributed, inspect=inspect, inspect_every=inspect_every,
        inspect_histograms=inspect_histograms, on_divergence=on_divergence)
    kernel = in_notebook_kernel()
    rank = _rank() if distributed is not False else 0
    if block is None:
        block = not kernel or (distributed is not False and _world() > 1)
    widget: TrainingMonitor | None = None
    if isinstance(monitor, TrainingMonitor):
        widget = monitor
    elif monitor is True or (monitor == "auto" and kernel):
        widget = TrainingMonitor(title or _default_title(model, data))
        widget._show_on_start = _shell() is not None
    elif monitor not in (False, None, "auto"):
        raise ValueError(f"monitor must be 'auto', True, False or a TrainingMonitor, got "
                         f"{monitor!r}")
    if rank != 0:
        widget = None  # only rank 0 feeds a monitor
    keys = [k for k in (key, _cell_key()) if k]
    observers = [widget] if widget is not None else []
    history = train(model, data, options, observers=observers, keys=keys, block=False)
    history.monitor = widget
    if block:
        _wait_blocking(history)
    return history


def _world() -> int:
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _wait_blocking(history: History) -> None:
    try:
        while history.running:
            history.wait(0.1, raise_error=False)
    except KeyboardInterrupt:
        history._request_stop("interrupted")
        history.wait(raise_error=False)
        raise
    if history.error is not None:
        raise history.error


def _default_title(model: nn.Module, data: Any) -> str:
    name = data if isinstance(data, str) else getattr(data, "name", None)
    return f"Training {type(model).__name__}" + (f" on {name}" if isinstance(name, str) else "")
