"""Playground: a 2-D classification (and regression) lab on a real PyTorch model.

Training runs on the fit engine (``engine.fit.train``) in its worker thread; nothing here is a
second training loop. Consistent frames come from the engine's observer protocol: with no
batched metrics (``metrics={}``) the engine hands each step's record to the observers right
after ``optimizer.step()`` and before the next batch, in the worker thread, so the observer sees
the model exactly at that step. At most 40 times a second (10 for models the browser cannot
evaluate) it takes a frame there: the flat weights of the browser plan (BatchNorm folded), or
quantised grids computed by torch. A ``ThrottledPublisher`` carries frames to the traits, so the
worker never touches the comm. Play/pause are separate runs of the engine on the same model and
optimizer object (its state, e.g. Adam's moments, carries over); settings that the engine fixes
for a run (optimizer, batch size, L1/L2) restart the run.

See docs/playground.md and the wire contract in PLAYGROUND_CONTRACT.md (traits, messages).
"""

from __future__ import annotations

import copy
import math
import threading
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import traitlets as t
from torch import nn

from ..engine import args as _args
from ..engine import playground_data as D
from ..engine import playground_model as PM
from ..engine.device import device as pick_device
from ..engine.fit import FitOptions, History, TrainingObserver, resolve_loss, train
from ..engine.modes import mode_free
from ..engine.playground_features import FEATURE_NAMES, check_features, transform
from ..engine.training_optim import OPTIMIZERS, make_optimizer
from ..suggest import unknown_name
from . import playground_controls as C
from ._base import DLWidget, bundle
from ._stream import ThrottledPublisher
from ._traits import Array, ArrayDict, array_dict_serialization, array_serialization
from .playground_frames import Recording, curves, quantise

ARRAY = array_serialization
DICT = array_dict_serialization

#: Frames per second sent while training: a little above the 30 frames/s target, so the page
#: still draws 30 new models a second when the timer slips (the weights are a few kB a frame).
MAX_FPS = 40.0
#: Frames per second for models the browser cannot evaluate (each frame carries grids).
MAX_GRID_FPS = 10.0
#: Resolution of the grids sent for such models (and their neuron maps).
FALLBACK_RESOLUTION = 50
NEURON_RESOLUTION = 25
#: Above this work per browser frame (``frame_work``: multiply-adds of a forward pass over the
#: 100x100 boundary and the 25x25 neuron-map grid) the live view is unlikely to keep 30
#: frames/s, and the lab warns. Calibrated with ``bench_playground_fps.py --calibrate``: on a
#: quiet 2-core machine an exported page's full frame takes 7.8 ms + 0.87 ms per million
#: multiply-adds, 1/30 s at ~29M; a live view shares the CPU with the training kernel and
#: receives frames over the comm, so the warning fires at two thirds of that.
FRAME_BUDGET_MACS = 2.0e7
MAX_THUMBNAILS = 128
MAX_POINTS_DRAWN = 5000
#: Longest run ``play`` starts (epochs); pause stops it sooner.
PLAY_EPOCHS = 1_000_000


class Playground(DLWidget):
    """Train a small network on 2-D points and watch its decision regions and neurons learn.

    ``Playground(data="spiral", model="input 2 -> dense 8 tanh -> dense 1 sigmoid",
    lr=0.03, optimizer="sgd", batch_size=10, noise=0.1, train_fraction=0.5)``. ``model`` is
    DSL text, a ``%%dl`` model or any ``nn.Module`` taking ``len(features)`` inputs; without
    it the controls (``hidden``, ``activation``, ``init``, ``dropout``, ``batch_norm``,
    ``residual``) build the network. ``.train(epochs=N)`` trains (blocks outside a notebook).
    """

    _esm = bundle("playground")

    controls = t.Dict().tag(sync=True)
    options = t.Dict().tag(sync=True)
    editable = t.Bool(True).tag(sync=True)
    hint = t.Unicode("").tag(sync=True)
    task = t.Unicode("binary").tag(sync=True)
    classes = t.Int(2).tag(sync=True)
    grid_bounds = t.Tuple(t.Float(), t.Float(), t.Float(), t.Float(),
                          default_value=D.BUILTIN_BOUNDS).tag(sync=True)
    points = Array("float32", ndim=2).tag(sync=True, **ARRAY)
    labels = Array("float32", ndim=1).tag(sync=True, **ARRAY)
    is_test = Array("uint8", ndim=1).tag(sync=True, **ARRAY)
    network = t.Dict().tag(sync=True)
    weights = Array("float32", ndim=1).tag(sync=True, **ARRAY)
    step = t.Int(0).tag(sync=True)
    epoch = t.Int(0).tag(sync=True)
    steps_per_epoch = t.Int(1).tag(sync=True)
    curves = ArrayDict(values=Array("float32", ndim=1)).tag(sync=True, **DICT)
    status = t.Unicode("idle").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    warning = t.Unicode("").tag(sync=True)
    grid = Array("uint8", ndim=(2, 3)).tag(sync=True, **ARRAY)
    grid_range = t.List(t.Float(), default_value=[0.0, 1.0]).tag(sync=True)
    neuron_grids = Array("uint8", ndim=3).tag(sync=True, **ARRAY)
    neuron_ranges = Array("float32", ndim=2).tag(sync=True, **ARRAY)
    recording = ArrayDict().tag(sync=True, **DICT)

    def __init__(self, data: Any = "circles", model: Any = None, *,
                 features: Sequence[str] | None = None, hidden: Sequence[int] = (4, 2),
                 activation: str | Sequence[str] = "tanh", init: str = "default",
                 lr: float = 0.03, optimizer: str = "sgd", batch_size: int = 10,
                 noise: float = 0.0, train_fraction: float = 0.5, l1: float = 0.0,
                 l2: float = 0.0, dropout: float = 0.0, batch_norm: bool = False,
                 residual: bool = False, seed: int = 0, n_points: int = 500,
                 task: str | None = None, speed: int = 6,
                 device: str | torch.device = "cpu") -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._history: History | None = None
        self._histories: list[History] = []
        self._publisher: ThrottledPublisher | None = None
        self._device = pick_device(device)
        self._n_points = _args.integer(n_points, "n_points", 4, 1_000_000)
        if task is not None and task not in ("classification", "regression"):
            raise ValueError(unknown_name("task", task, ["classification", "regression"]))
        self._task_arg = task
        self._custom: D.PlaygroundData | None = None
        self._optimizer: torch.optim.Optimizer
        self._model: nn.Module
        self._desc: PM.Description
        seed = _args.integer(seed, "seed", 0, 2**31 - 1000)
        hidden_list = C.check_hidden(hidden)
        if isinstance(activation, str):
            acts = [PM.check_activation(activation)] * len(hidden_list)
        else:
            acts = C.check_activations(activation, len(hidden_list))
        controls: dict[str, Any] = {
            "data": "custom", "noise": D.check_noise(noise),
            "train_fraction": D.check_train_fraction(train_fraction),
            "batch_size": _args.integer(batch_size, "batch_size", 1, 1 << 24),
            "features": check_features(features) if features is not None else ["x1", "x2"],
            "hidden": hidden_list, "activations": acts, "init": PM.check_init(init),
            "optimizer": C.check_optimizer(optimizer),
            "lr": _args.real(lr, "lr", 0.0, 1e6, lo_open=True),
            "l1": _args.real(l1, "l1", 0.0, 1e6), "l2": _args.real(l2, "l2", 0.0, 1e6),
            "dropout": _args.real(dropout, "dropout", 0.0, 0.9),
            "batch_norm": C.check_bool(batch_norm, "batch_norm"),
            "residual": C.check_bool(residual, "residual"),
            "seed": seed, "speed": _args.integer(speed, "speed", 0, 10), "show_test": False,
            "discretize": False, "point_class": 1}
        # data
        if isinstance(data, str):
            self._data = D.generate(data, n=self._n_points, noise=controls["noise"],
                                    train_fraction=controls["train_fraction"], seed=seed)
            controls["data"] = self._data.name
        elif isinstance(data, (tuple, list)) and len(data) == 2:
            self._data = D.from_arrays(data[0], data[1],
                                       train_fraction=controls["train_fraction"], seed=seed,
                                       task=task)
            self._custom = self._data
        else:
            raise TypeError(f"data must be a data set name ({', '.join(D.DATASETS)}) or an "
                            f"(X, y) pair of arrays, got {type(data).__name__}")
        # model
        self._source: tuple[str, Any] = ("controls", None)
        if model is not None:
            if isinstance(model, str):
                from ..dsl import build

                self._source = ("dsl", model)
                net = build(model, seed=seed)
            elif isinstance(model, nn.Module):
                net = model
                self._source = ("module", copy.deepcopy(model.state_dict()))
            else:
                raise TypeError(f"model must be DSL text, a %%dl model or a torch.nn.Module, "
                                f"got {type(model).__name__}")
            controls["features"] = self._features_for(net, features)
        self._controls = controls
        self.controls = dict(controls)
        self._set_model(net if model is not None else None)
        self._sync_all()
        self.on_msg(self._on_msg)

    def _features_for(self, net: nn.Module, features: Sequence[str] | None) -> list[str]:
        """The features a given model takes: as asked, checked against its first layer."""
        inputs = PM.first_linear_inputs(net)
        if features is None:
            if inputs is not None and inputs != 2:
                raise ValueError(
                    f"model: its first layer takes {inputs} inputs, but the default features "
                    f"are x1, x2 (2 inputs): pass features=[...] with {inputs} names from "
                    f"{', '.join(FEATURE_NAMES)}, or give the model 2 inputs")
            return ["x1", "x2"]
        names = check_features(features)
        if inputs is not None and inputs != len(names):
            raise ValueError(f"model: its first layer takes {inputs} inputs, but features "
                             f"{names} give {len(names)}: the model's input must match the "
                             "features")
        return names

    # -- public API ------------------------------------------------------------------------
    @property
    def model(self) -> nn.Module:
        """The ``nn.Module`` being trained."""
        return self._model

    @property
    def data(self) -> D.PlaygroundData:
        """The points: ``X_train, y_train, X_test, y_test = pg.data`` (numpy arrays)."""
        return self._data

    @property
    def history(self) -> History | None:
        """The ``History`` of the latest run (``train`` or play), None before any."""
        return self._history

    @property
    def histories(self) -> list[History]:
        """Every run's ``History`` since the last reset, oldest first."""
        return list(self._histories)

    def train(self, epochs: int = 1, *, block: bool | None = None,
              observers: Sequence[TrainingObserver] = ()) -> History:
        """Train ``epochs`` more epochs with the current settings; returns the run's History.

        Blocks until done outside a notebook (as ``dlwidgets.fit`` does); in a notebook the
        run goes on in the engine's worker thread and the History is live. ``observers`` are
        more engine observers for this run (e.g. a ``TrainingMonitor`` to watch it too).
        """
        epochs = _args.integer(epochs, "epochs", 1, PLAY_EPOCHS)
        if block is None:
            from .training_monitor import in_notebook_kernel

            block = not in_notebook_kernel()
        self._stop_run()
        history = self._start(epochs, paced=False, observers=observers)
        if block:
            from .training_monitor import _wait_blocking

            _wait_blocking(history)
        return history

    def play(self) -> History:
        """Train until paused, at the pace ``controls['speed']`` sets (0: full speed)."""
        self._stop_run()
        return self._start(PLAY_EPOCHS, paced=True)

    def pause(self) -> None:
        """Stop the current run after the step it is in (the model keeps that step)."""
        self._stop_run()

    def reset(self) -> None:
        """Re-initialise the weights (same seed: same start), keep the data."""
        self._stop_run()
        self._set_model(None if self._source[0] == "controls" else self._model)
        self._sync_all()

    def regenerate(self) -> None:
        """New random points: the same data set and noise with the next seed; weights reset."""
        self.set_control("seed", int(self._controls["seed"]) + 1)

    def add_point(self, x: float, y: float, label: float) -> None:
        """Add a training point (the data becomes "custom"); training goes on if it was."""
        self._change_data(lambda d: D.with_point(d, float(x), float(y), float(label)))

    def erase(self, x: float, y: float, radius: float) -> None:
        """Remove the points within ``radius`` (data units) of (x, y)."""
        self._change_data(lambda d: D.without_points(d, float(x), float(y), float(radius)))

    def set_control(self, key: str, value: Any) -> None:
        """Change one setting (as the control panel does); ValueError/TypeError when invalid,
        with ``controls`` unchanged."""
        if key not in self._controls:
            raise ValueError(unknown_name("control", key, list(self._controls)))
        value = C.validate(key, value, layers=len(self._controls["hidden"]), data=self._data,
                           controls=list(self._controls))
        if key in C.MODEL_KEYS and not self.editable:
            raise ValueError(f"{key} cannot change: {self.hint}")
        old = dict(self._controls)
        if old[key] == value:
            return
        running = self._running()
        if key == "lr":
            with self._lock:
                self._controls["lr"] = value
                for group in self._optimizer.param_groups:
                    group["lr"] = value
            self._sync_controls()
            return
        if key in ("speed", "show_test", "discretize", "point_class"):
            self._controls[key] = value
            self._sync_controls()
            return
        self._stop_run()
        new = dict(old)
        new[key] = value
        if key == "hidden":  # one activation per layer: new layers take the last one
            acts = list(old["activations"])
            new["activations"] = (acts + [acts[-1] if acts else "tanh"] * len(value))[:len(value)]
        try:
            self._controls = new
            if key in C.DATA_KEYS:
                self._make_data()
                self._set_model(None if self._source[0] == "controls" else self._model)
            elif key in C.MODEL_KEYS:
                self._set_model(None)
            elif key == "optimizer":
                self._optimizer = self._make_optimizer()
        except (ValueError, TypeError):
            self._controls = old
            raise
        self._sync_all()
        if running and key in C.RUN_KEYS:
            self.play()

    def boundary(self, resolution: int = 100) -> np.ndarray:
        """The model's output on the grid over ``grid_bounds``: ``boundary[i, j]`` at
        (xs[j], ys[i]), xs/ys = linspace over x/y. P(class 1) (r, r), class probabilities
        (r, r, C) for C > 2 classes, or the regression value (r, r)."""
        r = _args.integer(resolution, "resolution", 2, 2000)
        out = self._evaluate(self._grid_points(r))
        return out.reshape(r, r, -1) if out.ndim == 2 else out.reshape(r, r)

    def neuron_maps(self, resolution: int = 25) -> dict[int, np.ndarray]:
        """Hidden layer index (0-based) -> (units, r, r) array of each unit's output on the
        grid (post-activation, eval mode), same orientation as ``boundary``."""
        r = _args.integer(resolution, "resolution", 2, 500)
        maps = self._hidden_values(self._grid_points(r))
        return {i: m.T.reshape(-1, r, r) for i, m in enumerate(maps)}

    def accuracy(self, split: str = "test") -> float:
        """Fraction of ``split`` ("train"/"test") points classified right (classification)."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if self._data.task == "regression":
            raise ValueError("accuracy applies to classification data; this data is regression")
        x, y = (self._data.X_test, self._data.y_test) if split == "test" else (
            self._data.X_train, self._data.y_train)
        if not len(x):
            return math.nan
        p = self._evaluate(x)
        pred = p.argmax(1) if p.ndim == 2 else (p > 0.5).astype(np.int64)
        return float((pred == y).mean())

    # -- data and model --------------------------------------------------------------------
    def _make_data(self) -> None:
        c = self._controls
        if c["data"] == "custom":
            if self._custom is None:
                raise ValueError("data: 'custom' needs your own points: pass data=(X, y) or add "
                                 "points on the plane")
            self._data = D.PlaygroundData(
                "custom", self._custom.points, self._custom.labels,
                D.split(len(self._custom.points), c["train_fraction"], c["seed"]),
                self._custom.task, self._custom.classes, self._custom.bounds,
                dict(self._custom.meta))
        else:
            data = D.generate(c["data"], n=self._n_points, noise=c["noise"],
                              train_fraction=c["train_fraction"], seed=c["seed"])
            if self._source[0] != "controls" and (data.task, data.classes) != (
                    self._data.task, self._data.classes):
                raise ValueError(f"data: {c['data']!r} is a {data.task} set but the model was "
                                 f"given for {self._data.task} data")
            self._data = data

    def _change_data(self, change: Any) -> None:
        running = self._running()
        self._stop_run()
        data = change(self._data)
        self._custom = data
        self._data = data
        self._controls["data"] = "custom"
        self._prepare_inputs()
        self._sync_all()
        if running:
            self.play()

    def _set_model(self, given: nn.Module | None) -> None:
        """Build (controls), rebuild (DSL) or restore (module) the model; a fresh optimizer."""
        c = self._controls
        data = self._data
        outputs = data.classes if data.task == "multiclass" else 1
        if self._source[0] == "controls":
            net: nn.Module = PM.build_net(len(c["features"]), c["hidden"], c["activations"],
                                          outputs, init=c["init"], dropout=c["dropout"],
                                          batch_norm=c["batch_norm"], residual=c["residual"],
                                          seed=c["seed"])
            self.editable, self.hint = True, ""
        elif self._source[0] == "dsl":
            from ..dsl import build

            net = build(self._source[1], seed=c["seed"])
            self.editable = False
            self.hint = ("the model comes from its DSL text (model=...): change the layers "
                         "there; data, optimizer, learning rate, batch size and L1/L2 still work")
        else:
            assert given is not None
            net = given
            net.load_state_dict(self._source[1])
            self.editable = False
            self.hint = ("the model is your nn.Module (model=...): change its layers in your "
                         "code; data, optimizer, learning rate, batch size and L1/L2 still work")
        net.to(self._device)
        n_in = len(c["features"])
        try:
            out = PM.probe_forward(net, torch.zeros(2, n_in))
        except Exception as exc:  # noqa: BLE001 - torch raises many kinds; all mean "no fit"
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"model: it must take {n_in} inputs (features "
                             f"{', '.join(c['features'])}); PyTorch said: {detail}") from None
        if out.ndim != 2 or out.shape[0] != 2:
            raise ValueError(f"model: a batch of 2 points gives output shape "
                             f"{tuple(out.shape)}; the Playground needs (N, outputs)")
        desc = PM.describe(net, n_in, data.task)
        loss, target = PM.loss_for(desc, data.task, data.classes)
        if self._source[0] != "controls":
            c["hidden"] = [int(lay["units"]) for lay in desc.layers[:-1]]
            c["activations"] = [str(lay["activation"]) for lay in desc.layers[:-1]]
            c["batch_norm"] = any(isinstance(m, nn.BatchNorm1d) for m in net.modules())
            c["dropout"] = max([float(m.p) for m in net.modules()
                                if isinstance(m, (nn.Dropout, PM.Dropout))] or [0.0])
            c["residual"] = not desc.browser and "residual" in type(net).__name__.lower()
        self._model = net
        self._desc = desc
        self._loss, self._target = loss, target
        self._loss_fn = resolve_loss(loss, "classification")[0]
        self._mode_free = mode_free(net)
        self._shadow: nn.Module | None = None
        self._state_wanted: list[tuple[threading.Event, dict[str, Any]]] = []
        self._optimizer = self._make_optimizer()
        self._step = 0
        self._epoch = 0
        self._curve_rows: list[tuple[float, float, float]] = []
        self._recorded = Recording()
        self._rows_sent = -1
        self._latest: dict[str, Any] = self._snapshot(0)
        self._status = "idle"
        self._error = ""
        self._histories = []
        self._history = None
        self._prepare_inputs()

    def _make_optimizer(self) -> torch.optim.Optimizer:
        c = self._controls
        params = [p for p in self._model.parameters() if p.requires_grad]
        if not params:
            raise ValueError("model: it has no trainable parameters")
        return make_optimizer(c["optimizer"], params, lr=c["lr"])

    def _prepare_inputs(self) -> None:
        d, feats = self._data, self._controls["features"]

        def inputs(x: np.ndarray) -> torch.Tensor:
            return transform(torch.from_numpy(np.ascontiguousarray(x)), feats)

        def targets(y: np.ndarray) -> torch.Tensor:
            if self._target == "index":
                return torch.from_numpy(y.astype(np.int64))
            return torch.from_numpy(y.astype(np.float32)).reshape(-1, 1)

        self._train_xy = (inputs(d.X_train), targets(d.y_train))
        self._test_xy = (inputs(d.X_test), targets(d.y_test)) if len(d.X_test) else None

    # -- running ---------------------------------------------------------------------------
    def _running(self) -> bool:
        return self._history is not None and self._history.running

    def _stop_run(self) -> None:
        history = self._history
        if history is not None and history.running:
            history.stop()
            history.wait(raise_error=False)

    def _start(self, epochs: int, *, paced: bool,
               observers: Sequence[TrainingObserver] = ()) -> History:
        c = self._controls
        if not len(self._train_xy[0]):
            raise ValueError("data: there are no training points (add some on the plane)")
        if self._status == "diverged":
            raise ValueError("training diverged: reset the weights (or lower lr) first")
        options = FitOptions(
            loss=self._loss, optimizer=self._optimizer, epochs=epochs,
            batch_size=c["batch_size"], device=self._device, metrics={},
            val_data=self._test_xy, l1=c["l1"], l2=c["l2"],
            seed=(c["seed"] + len(self._histories)) % (2**31 - 1), on_divergence="stop")
        steps_per_epoch = math.ceil(len(self._train_xy[0]) / c["batch_size"])
        rate = None
        if paced and c["speed"]:
            rate = 2.0 ** (c["speed"] - 1) * steps_per_epoch  # steps per second
        observer = _Observer(self, self._step, self._epoch, steps_per_epoch, rate)
        self._publisher = ThrottledPublisher(self._send_frame, self._write_final, max_rate=MAX_FPS,
                                             history_every=0.0).start()
        self.error = ""
        try:
            history = train(self._model, self._train_xy, options, observers=[observer, *observers],
                            keys=[f"playground:{id(self)}"], block=False)
        except BaseException:
            self._publisher.stop()
            raise
        with self._lock:
            self._history = history
            self._histories.append(history)
        return history

    # -- frames (worker thread) -----------------------------------------------------------
    def _snapshot(self, step: int) -> dict[str, Any]:
        """The model now, as the browser needs it: flat weights, or grids from torch."""
        frame: dict[str, Any] = {"step": step}
        if self._desc.browser:
            frame["weights"] = self._desc.weights()
        else:
            frame.update(self._grids(self._model))
        return frame

    def _grids(self, net: nn.Module) -> dict[str, Any]:
        r = FALLBACK_RESOLUTION
        p = self._evaluate(self._grid_points(r), net)
        if self._data.task == "multiclass":
            grid = np.clip(np.rint(p * 255), 0, 255).astype(np.uint8).reshape(r, r, -1)
            lo, hi = 0.0, 1.0
        else:
            lo, hi = (0.0, 1.0) if self._data.task == "binary" else (float(p.min()),
                                                                        float(p.max()))
            grid = quantise(p, lo, hi).reshape(r, r)
        n = NEURON_RESOLUTION
        maps = self._hidden_values(self._grid_points(n), net)
        if maps:
            values = np.concatenate([m.T for m in maps])  # (U, n*n)
            lows, highs = values.min(1), values.max(1)
            neuron = np.stack([quantise(v, a, b) for v, a, b in zip(values, lows, highs)])
            neuron = neuron.reshape(-1, n, n)
            ranges = np.stack([lows, highs], 1).astype(np.float32)
        else:
            neuron = np.zeros((0, n, n), np.uint8)
            ranges = np.zeros((0, 2), np.float32)
        return {"grid": grid, "grid_range": [lo, hi], "neuron_grids": neuron,
                "neuron_ranges": ranges}

    def _frame(self, step: int) -> None:
        """Worker thread, model at ``step``: take a frame and hand it to the publisher."""
        frame = self._snapshot(step)
        with self._lock:
            self._latest = frame
            self._record_frame(frame)
        publisher = self._publisher
        if publisher is not None:
            publisher.push({"kind": "frame"})

    def _record_frame(self, frame: dict[str, Any]) -> None:
        """Keep ``frame``, with the losses of the last epoch's end, for the recording."""
        last = self._curve_rows[-1] if self._curve_rows else (0.0, math.nan, math.nan)
        self._recorded.add({"step": frame["step"], "train_loss": last[1], "test_loss": last[2],
                            **{k: v for k, v in frame.items()
                               if k in ("weights", "grid", "grid_range")}})

    def _epoch_end(self, record: dict[str, Any], step0: int, epoch0: int, frame: bool) -> None:
        """Worker thread at an epoch's end: eval-mode train loss, the engine's test loss, and a
        frame when one is due."""
        train_loss = self._eval_loss(*self._train_xy)
        test_loss = float(record.get("val_loss", math.nan))
        with self._lock:
            self._epoch = epoch0 + int(record["epoch"])
            self._curve_rows.append((float(self._epoch), train_loss, test_loss))
        if frame:
            self._frame(step0 + int(record["step"]))

    def _eval_loss(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """The loss in eval mode (worker thread, between two steps: eval-mode BatchNorm and
        dropout draw no random numbers and change no state; each module's flag comes back)."""
        model = self._model
        if self._mode_free:  # no module acts differently in eval mode: no switching needed
            with torch.no_grad():
                return float(self._loss_fn(model(x.to(self._device)), y.to(self._device)))
        flags = [(m, m.training) for m in model.modules()]
        model.eval()
        try:
            with torch.no_grad():
                return float(self._loss_fn(model(x.to(self._device)), y.to(self._device)))
        finally:
            for m, flag in flags:
                m.training = flag

    # -- publishing (publisher thread; main thread when nothing runs) -----------------------
    def _send_frame(self, _start: int, _batch: list[dict[str, Any]]) -> None:
        self._publish(final=False)

    def _write_final(self, _records: list[dict[str, Any]]) -> None:
        self._publish(final=True)

    def _publish(self, *, final: bool) -> None:
        with self._lock:
            frame = self._latest
            rows = list(self._curve_rows)
            status, error = self._status, self._error
            recording = self._recording() if final else None
        with self.hold_sync():
            if self._desc.browser:
                self.weights = frame["weights"]
            else:
                self.grid = frame["grid"]
                self.grid_range = list(frame["grid_range"])
                self.neuron_grids = frame["neuron_grids"]
                self.neuron_ranges = frame["neuron_ranges"]
            self.step = int(frame["step"])
            # a trait set costs even when the value is the same: only what changed
            if len(rows) != self._rows_sent or not rows:
                self.epoch = int(self._epoch)
                self.curves = curves(rows)
                self._rows_sent = len(rows)
            if status != self.status:
                self.status = status
            if error and error != self.error:
                self.error = error
            if recording is not None:
                self.recording = recording

    def _recording(self) -> dict[str, Any]:
        return self._recorded.export(max(1, self.steps_per_epoch), self._desc.browser)

    def _sync_controls(self) -> None:
        self.controls = dict(self._controls)

    def _sync_all(self) -> None:
        """Every trait from the Python state (nothing is running)."""
        d, c = self._data, self._controls
        spe = math.ceil(max(1, len(d.X_train)) / c["batch_size"])
        with self.hold_sync():
            self.controls = dict(c)
            self.options = {
                "datasets": list(D.DATASETS) + (["custom"] if self._custom is not None else []),
                "features": list(FEATURE_NAMES), "activations": list(PM.ACTIVATIONS),
                "inits": list(PM.INITS), "optimizers": list(OPTIMIZERS),
                "max_hidden_layers": 8, "max_units": 16}
            self.task = d.task
            self.classes = d.classes
            self.grid_bounds = tuple(float(v) for v in d.bounds)
            self.points = d.points
            self.labels = d.labels
            self.is_test = d.is_test.astype(np.uint8)
            self.steps_per_epoch = spe
            desc = self._desc
            self.network = {"inputs": list(c["features"]), "layers": desc.layers,
                            "browser": desc.browser, "mlp": desc.mlp,
                            "hidden_outputs": desc.hidden_outputs,
                            "output_activation": desc.output_activation}
            if desc.browser:
                self.grid = np.zeros((0, 0), np.uint8)
                self.neuron_grids = np.zeros((0, 0, 0), np.uint8)
                self.neuron_ranges = np.zeros((0, 2), np.float32)
            else:
                self.weights = np.zeros(0, np.float32)
            self.warning = self._size_warning()
            self.error = self._error
            self.recording = {}
            self._publish(final=False)

    def _size_warning(self) -> str:
        desc = self._desc
        units = sum(int(lay["units"]) for lay in desc.layers[:-1])
        work = frame_work(desc)
        notes = []
        if desc.browser and work > FRAME_BUDGET_MACS:
            notes.append(f"the network needs about {work / 1e6:.0f}M multiply-adds per frame "
                         f"(budget {FRAME_BUDGET_MACS / 1e6:.0f}M for 30 frames/s)")
        if units > MAX_THUMBNAILS:
            notes.append(f"{units} hidden units are {units} neuron maps per frame (above "
                         f"{MAX_THUMBNAILS})")
        if len(self._data) > MAX_POINTS_DRAWN:
            notes.append(f"{len(self._data)} points (above {MAX_POINTS_DRAWN}) to draw")
        if not notes:
            return ""
        text = "Large for a live view: " + "; ".join(notes) + ". It still works, more slowly."
        warnings.warn(text, stacklevel=3)
        return text

    # -- evaluation -------------------------------------------------------------------------
    @property
    def _bounds(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in self._data.bounds)  # type: ignore[return-value]

    def _grid_points(self, r: int) -> np.ndarray:
        xmin, xmax, ymin, ymax = self._bounds
        gx, gy = np.meshgrid(np.linspace(xmin, xmax, r), np.linspace(ymin, ymax, r))
        return np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)

    def _net_for_query(self) -> nn.Module:
        """The model, or while a run trains it a copy taken between two of its steps (a query
        must not switch the training model to eval mode mid-step). The copy is made on request
        by the run's observer, so frames carry no state copy."""
        if not self._running():
            return self._model
        served = threading.Event()
        box: dict[str, Any] = {}
        with self._lock:
            self._state_wanted.append((served, box))
        while not served.wait(0.05):
            if not self._running():  # the run ended first: the model is free now
                return self._model
        if self._shadow is None:
            self._shadow = copy.deepcopy(self._model)
        self._shadow.load_state_dict(box["state"])
        return self._shadow

    def _serve_state(self) -> None:
        """Worker thread, between two steps: hand a copy of the model's state to each query
        waiting for one."""
        with self._lock:
            wanted, self._state_wanted = self._state_wanted, []
        if not wanted:
            return
        state = {k: v.detach().clone() for k, v in self._model.state_dict().items()}
        for served, box in wanted:
            box["state"] = state
            served.set()

    def _evaluate(self, points: np.ndarray, net: nn.Module | None = None) -> np.ndarray:
        net = self._net_for_query() if net is None else net
        x = transform(torch.from_numpy(np.ascontiguousarray(points, np.float32)),
                      self._controls["features"])
        out = PM.probe_forward(net, x)
        return PM.probabilities(out, self._desc.ends_with, self._data.task).cpu().numpy()

    def _hidden_values(self, points: np.ndarray, net: nn.Module | None = None
                       ) -> list[np.ndarray]:
        net = self._net_for_query() if net is None else net
        probes = self._desc.probes
        if net is not self._model:  # the same modules in the copy
            names = {id(m): n for n, m in self._model.named_modules()}
            mods = dict(net.named_modules())
            probes = [mods[names[id(p)]] for p in probes]
        # a module reused in several places (one ReLU object between every two layers) is
        # called once per place: the k-th probe of a module reads its k-th call
        calls: dict[int, list[torch.Tensor]] = {}
        unique = list({id(p): p for p in probes}.values())
        hooks = [p.register_forward_hook(
            lambda mod, _i, out: calls.setdefault(id(mod), []).append(out.detach()))
            for p in unique]
        try:
            x = transform(torch.from_numpy(np.ascontiguousarray(points, np.float32)),
                          self._controls["features"])
            PM.probe_forward(net, x)
        finally:
            for h in hooks:
                h.remove()
        out: list[np.ndarray] = []
        used: dict[int, int] = {}
        for p in probes:
            k = used.get(id(p), 0)
            used[id(p)] = k + 1
            if k < len(calls.get(id(p), [])):
                out.append(calls[id(p)][k].reshape(len(points), -1).cpu().numpy())
        return out

    # -- controls --------------------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, _buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "play":
                self.play()
            elif kind == "pause":
                self.pause()
            elif kind == "step":
                self.train(1, block=False)
            elif kind == "reset":
                self.reset()
            elif kind == "set":
                self.set_control(str(content.get("key")), content.get("value"))
            elif kind == "regenerate":
                self.regenerate()
            elif kind == "add_point":
                self.add_point(C.number(content, "x"), C.number(content, "y"),
                               C.number(content, "label"))
            elif kind == "erase":
                self.erase(C.number(content, "x"), C.number(content, "y"),
                           C.number(content, "radius"))
            else:
                return
            if self.error and self._status != "diverged":
                self.error = ""
        except (ValueError, TypeError, RuntimeError) as exc:
            self.error = str(exc)
            self.controls = dict(self._controls)  # the panel re-renders the accepted values

    def close(self) -> None:
        """Stop a run first: a closed lab trains nothing in the background."""
        self._stop_run()
        super().close()

    # -- export ------------------------------------------------------------------------------
    def before_export(self) -> None:
        with self._lock:
            recording = self._recording()
        self.recording = recording

    def export_note(self) -> str | None:
        if self._running():
            return f"Exported while training (step {self.step}); the page replays the run so far."
        return None


class _Observer:
    """The engine's observer for one run: frames at <= MAX_FPS, curves, status, pacing."""

    def __init__(self, lab: Playground, step0: int, epoch0: int, steps_per_epoch: int,
                 rate: float | None) -> None:
        self.lab = lab
        self.step0 = step0
        self.epoch0 = epoch0
        self.steps_per_epoch = steps_per_epoch
        self.rate = rate
        self.interval = 1.0 / (MAX_FPS if lab._desc.browser else MAX_GRID_FPS)
        self.last = 0.0
        self.t0 = 0.0
        self.steps = 0
        self.history: History | None = None

    def on_start(self, history: History) -> None:
        self.t0 = time.perf_counter()
        self.history = history

    def on_record(self, record: dict[str, Any]) -> None:
        kind = record["kind"]
        lab = self.lab
        if kind == "step":
            self.steps = int(record["step"])
            if lab._state_wanted:
                lab._serve_state()
            now = time.perf_counter()
            if self.rate is not None:  # play: no faster than the speed control says
                ahead = self.t0 + self.steps / self.rate - now
                stop = self.history._stop if self.history is not None else threading.Event()
                while ahead > 0.002 and not stop.is_set():
                    time.sleep(min(ahead, 0.05))
                    now = time.perf_counter()
                    ahead = self.t0 + self.steps / self.rate - now
            if now - self.last >= self.interval:
                self.last = now
                with lab._lock:
                    lab._step = self.step0 + self.steps
                lab._frame(self.step0 + self.steps)
        elif kind == "epoch":
            with lab._lock:
                lab._step = self.step0 + int(record["step"])
            now = time.perf_counter()
            due = now - self.last >= self.interval
            lab._epoch_end(record, self.step0, self.epoch0, due)
            if due:
                self.last = now
        elif kind == "status":
            status = str(record["status"])
            with lab._lock:
                if status == "running":
                    lab._status = "running"
                elif status == "diverged":
                    lab._status = "diverged"
                    lab._error = str(record.get("message") or "training diverged")
                elif status == "error":
                    lab._status = "error"
                    lab._error = str(record.get("message") or "training failed")
                elif status in ("paused",):
                    lab._status = "paused"

    def on_end(self, history: History) -> None:
        lab = self.lab
        with lab._lock:
            lab._step = self.step0 + history.step_count
            if lab._status == "running":
                lab._status = "paused" if lab._step else "idle"
        lab._frame(lab._step)  # the final frame: the model as the run left it
        publisher = lab._publisher
        if publisher is not None:
            publisher.stop()


def frame_work(desc: PM.Description) -> int:
    """Multiply-adds the browser does per frame for the network ``desc``: one forward pass per
    point of the 100×100 boundary, one per point of the neuron-map grid (it yields every
    unit)."""
    macs = sum(int(e["rows"]) * int(e["cols"]) for e in desc.mlp if e["kind"] == "linear")
    return macs * (100 * 100 + NEURON_RESOLUTION ** 2)
