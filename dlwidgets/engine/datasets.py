"""Data for training: built-in data sets that need no network, and adapters for user data.

Built-in sets (``load_dataset(name)``), all small enough to train in seconds on a CPU:

- ``digits``: scikit-learn's bundled 8×8 hand-written digits (1797 images, 10 classes), pixel
  values scaled from 0..16 to [0, 1]; as images ``(N, 1, 8, 8)`` or flat ``(N, 64)``.
- ``iris``: scikit-learn's bundled iris flowers (150 × 4 features, 3 classes), standardized with
  the training split's mean and standard deviation.
- ``moons``, ``circles``: scikit-learn's generated 2-D two-class sets.
- ``spirals``: interleaved 2-D spirals (2 or more classes).
- ``xor``: 2-D points in [-1, 1]², class 1 where exactly one coordinate is positive.
- ``sequence``: a generated task for recurrent models, ``(N, T, 1)`` batch-first sequences.
  ``kind="memory"``: the first value is ±1, the rest noise; the class is the sign of the first
  value (the model must carry it through T steps). ``kind="sine"``: noisy sine windows, regress
  the next value.

Every generated set is a pure function of its ``seed``. Each comes split into a training and a
validation part (``val_fraction``, a seeded random split).

User data is adapted by ``as_source``: ``(X, y)`` tensors or numpy arrays, a map-style
``torch.utils.data.Dataset`` of ``(x, y)`` pairs, a ``DataLoader``, or a built-in set's name.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from ..suggest import unknown_name
from . import args
from .tensors import as_tensor

Batch = tuple[torch.Tensor, torch.Tensor]

#: Names accepted by ``load_dataset`` (and by ``fit`` / ``%dl fit`` as a data argument).
DATASETS: tuple[str, ...] = (
    "digits", "iris", "moons", "circles", "spirals", "xor", "sequence",
)

DESCRIPTIONS: dict[str, str] = {
    "digits": "8×8 hand-written digits from scikit-learn (1797 images, 10 classes)",
    "iris": "iris flowers from scikit-learn (150 × 4 features, 3 classes)",
    "moons": "two interleaved half circles in 2-D (2 classes)",
    "circles": "a small circle inside a large one in 2-D (2 classes)",
    "spirals": "interleaved spirals in 2-D (2+ classes)",
    "xor": "XOR of the signs of two coordinates in [-1, 1]² (2 classes)",
    "sequence": "generated sequences for recurrent models (memory: classify the first value's sign;"
                " sine: predict the next value)",
}


@dataclass
class Dataset:
    """A data set split into training and validation arrays (numpy, samples along axis 0)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    task: str = "classification"  # or "regression"
    n_classes: int | None = None
    class_names: list[str] | None = None
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample (without the batch axis)."""
        return tuple(int(s) for s in self.x.shape[1:])

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __repr__(self) -> str:
        n_val = 0 if self.x_val is None else len(self.x_val)
        classes = f", {self.n_classes} classes" if self.n_classes else ""
        return (f"Dataset({self.name!r}: {len(self)} train + {n_val} validation samples of shape "
                f"{self.input_shape}, {self.task}{classes})")


# -- built-in data sets ------------------------------------------------------------------------

def _split(x: np.ndarray, y: np.ndarray, val_fraction: float,
           seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    n = len(x)
    n_val = int(round(n * val_fraction))
    if n_val == 0:
        return x, y, None, None
    order = np.random.default_rng(seed + 7919).permutation(n)
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]


def _check_n(n: int, lo: int = 4, hi: int = 1_000_000) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not lo <= n <= hi:
        raise ValueError(f"n must be an integer in [{lo}, {hi}], got {n!r}")
    return int(n)


def _check_noise(noise: float) -> float:
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and 0.0 <= noise <= 10.0):
        raise ValueError(f"noise must be a number in [0, 10], got {noise!r}")
    return float(noise)


def digits(*, flat: bool = False, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8×8 digits scaled to [0, 1]: ``(N, 1, 8, 8)`` or flat ``(N, 64)``."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    x = (raw.data.astype(np.float32) / 16.0)
    if not flat:
        x = x.reshape(-1, 1, 8, 8)
    y = raw.target.astype(np.int64)
    xt, yt, xv, yv = _split(x, y, val_fraction, seed)
    return Dataset("digits", xt, yt, xv, yv, "classification", 10, [str(i) for i in range(10)],
                   DESCRIPTIONS["digits"], {"flat": flat})


def iris(*, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """scikit-learn's bundled iris (4 features, 3 classes), standardized by the training split."""
    from sklearn.datasets import load_iris

    raw = load_iris()
    x = raw.data.astype(np.float32)
    y = raw.target.astype(np.int64)
    xt, yt, xv, yv = _split(x, y, val_fraction, seed)
    mean, std = xt.mean(axis=0), xt.std(axis=0)
    # a feature constant over a tiny training split has std 0: it stays 0 after centering
    std = np.where(std > 0, std, 1.0).astype(np.float32)
    xt = (xt - mean) / std
    if xv is not None:
        xv = (xv - mean) / std
    return Dataset("iris", xt.astype(np.float32), yt, None if xv is None else xv.astype(np.float32),
                   yv, "classification", 3, [str(s) for s in raw.target_names],
                   DESCRIPTIONS["iris"], {"feature_names": list(raw.feature_names)})


def moons(n: int = 512, *, noise: float = 0.15, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """scikit-learn's ``make_moons``: two interleaved half circles (2 classes)."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=_check_n(n), noise=_check_noise(noise), random_state=seed)
    xt, yt, xv, yv = _split(x.astype(np.float32), y.astype(np.int64), val_fraction, seed)
    return Dataset("moons", xt, yt, xv, yv, "classification", 2, ["0", "1"],
                   DESCRIPTIONS["moons"], {"noise": noise})


def circles(n: int = 512, *, noise: float = 0.08, factor: float = 0.5, val_fraction: float = 0.2,
            seed: int = 0) -> Dataset:
    """scikit-learn's ``make_circles``: a circle of radius ``factor`` inside one of radius 1."""
    from sklearn.datasets import make_circles

    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    x, y = make_circles(n_samples=_check_n(n), noise=_check_noise(noise), factor=factor,
                        random_state=seed)
    xt, yt, xv, yv = _split(x.astype(np.float32), y.astype(np.int64), val_fraction, seed)
    return Dataset("circles", xt, yt, xv, yv, "classification", 2, ["outer", "inner"],
                   DESCRIPTIONS["circles"], {"noise": noise, "factor": factor})


def spirals(n: int = 600, *, classes: int = 2, turns: float = 1.5, noise: float = 0.05,
            val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Interleaved spirals: arm ``k`` at angle ``2π·turns·t + 2πk/classes``, radius ``t``."""
    n = _check_n(n)
    if not 2 <= classes <= 10:
        raise ValueError(f"classes must be in [2, 10], got {classes}")
    if not 0.25 <= turns <= 5:
        raise ValueError(f"turns must be in [0.25, 5], got {turns}")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    t = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * turns * t + 2 * np.pi * y / classes
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    x = x + rng.normal(0.0, _check_noise(noise), x.shape)
    xt, yt, xv, yv = _split(x.astype(np.float32), y.astype(np.int64), val_fraction, seed)
    return Dataset("spirals", xt, yt, xv, yv, "classification", classes,
                   [str(i) for i in range(classes)], DESCRIPTIONS["spirals"],
                   {"turns": turns, "noise": noise})


def xor(n: int = 512, *, noise: float = 0.05, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Points uniform in [-1, 1]², class 1 where exactly one coordinate is positive, then jittered."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    x = x + rng.normal(0.0, _check_noise(noise), x.shape)
    xt, yt, xv, yv = _split(x.astype(np.float32), y, val_fraction, seed)
    return Dataset("xor", xt, yt, xv, yv, "classification", 2, ["same sign", "different sign"],
                   DESCRIPTIONS["xor"], {"noise": noise})


#: Largest ``sequence`` data set (n × length values; float64 while it is generated).
MAX_SEQUENCE_VALUES = 20_000_000


def sequence(n: int = 1000, *, length: int = 20, kind: str = "memory", noise: float = 0.5,
             val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Batch-first sequences ``(N, length, 1)`` for RNN/LSTM/GRU models.

    ``kind="memory"``: ``x[:, 0] = ±1``, later steps Gaussian noise (std ``noise``); the class
    is 1 where the first value is positive. ``kind="sine"``: windows of a sine wave with random
    frequency and phase plus noise; the target ``(N, 1)`` is the next (noise-free) value.
    """
    n = _check_n(n)
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or \
            not 2 <= length <= 1000:
        raise ValueError(f"length must be an integer in [2, 1000], got {length!r}")
    if n * length > MAX_SEQUENCE_VALUES:  # each in range, their product checked before allocating
        raise ValueError(f"n × length = {n:,} × {length} = {n * length:,} values, over the limit "
                         f"of {MAX_SEQUENCE_VALUES:,}: use fewer or shorter sequences")
    noise = _check_noise(noise)
    if kind not in ("memory", "sine"):
        raise ValueError(f"kind must be 'memory' or 'sine', got {kind!r}")
    rng = np.random.default_rng(seed)
    if kind == "memory":
        first = rng.choice(np.array([-1.0, 1.0]), n)
        x = rng.normal(0.0, noise, (n, length, 1))
        x[:, 0, 0] = first
        y = (first > 0).astype(np.int64)
        xt, yt, xv, yv = _split(x.astype(np.float32), y, val_fraction, seed)
        return Dataset("sequence", xt, yt, xv, yv, "classification", 2, ["negative", "positive"],
                       DESCRIPTIONS["sequence"], {"kind": kind, "length": length})
    if kind == "sine":
        freq = rng.uniform(0.1, 0.5, (n, 1))
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        steps = np.arange(length + 1)[None, :]
        wave = np.sin(freq * steps + phase)
        x = (wave[:, :length] + rng.normal(0.0, noise * 0.2, (n, length)))[:, :, None]
        y = wave[:, length:]
        xt, yt, xv, yv = _split(x.astype(np.float32), y.astype(np.float32), val_fraction, seed)
        return Dataset("sequence", xt, yt, xv, yv, "regression", None, None,
                       DESCRIPTIONS["sequence"], {"kind": kind, "length": length})
    raise ValueError(f"kind must be 'memory' or 'sine', got {kind!r}")


_LOADERS = {
    "digits": digits, "iris": iris, "moons": moons, "circles": circles, "spirals": spirals,
    "xor": xor, "sequence": sequence,
}


def load_dataset(name: str, **options: Any) -> Dataset:
    """Load a built-in data set by name (see ``DATASETS``); ``options`` go to its generator."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__}")
    key = name.strip().lower()
    if key not in _LOADERS:
        raise ValueError(unknown_name("dataset", name, DATASETS))
    options = dict(options)
    if "seed" in options:
        options["seed"] = args.integer(options["seed"], "seed", 0, 2**32 - 1)
    if "val_fraction" in options:
        options["val_fraction"] = args.real(options["val_fraction"], "val_fraction", 0.0, 1.0,
                                            hi_open=True)
    try:
        return _LOADERS[key](**options)  # type: ignore[operator]
    except TypeError as exc:
        raise TypeError(f"load_dataset({name!r}): {exc}") from None


# -- what a model expects -----------------------------------------------------------------------

@dataclass
class InputInfo:
    """The first layer that fixes a model's input, as far as it can be read from the modules."""

    layout: str  # "flat", "image", "sequence", "tokens" or "unknown"
    layer: str  # e.g. "Linear(in_features=64)"
    sample_shape: str  # e.g. "(64,)", "(1, H, W)", "(T, 8)"


def model_input(model: nn.Module) -> InputInfo:
    """Guess what one input sample of ``model`` looks like from its first shape-fixing layer.

    Walks the modules in registration order (the forward order for ``nn.Sequential`` and for
    DSL-built models). A ``Flatten`` before the first dense layer means images are fine.
    """
    for module in model.modules():
        if isinstance(module, nn.Flatten):
            return InputInfo("image", "Flatten", "(any shape)")
        if isinstance(module, nn.Linear) and not isinstance(module, nn.modules.lazy.LazyModuleMixin):
            return InputInfo("flat", f"Linear(in_features={module.in_features})",
                             f"({module.in_features},)")
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            spatial = {nn.Conv1d: "L", nn.Conv2d: "H, W", nn.Conv3d: "D, H, W"}[type(module)]
            return InputInfo("image", f"{type(module).__name__}(in_channels={module.in_channels})",
                             f"({module.in_channels}, {spatial})")
        if isinstance(module, nn.RNNBase):
            first = "T" if module.batch_first else "N"
            return InputInfo("sequence",
                             f"{type(module).__name__}(input_size={module.input_size}, "
                             f"batch_first={module.batch_first})",
                             f"({first}, {module.input_size})" if module.batch_first
                             else f"(T, {module.input_size}) time-first")
        if isinstance(module, nn.Embedding):
            return InputInfo("tokens", f"Embedding(num_embeddings={module.num_embeddings})",
                             "(T,) integer token ids")
    return InputInfo("unknown", type(model).__name__, "unknown")


# -- batching -----------------------------------------------------------------------------------

def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The sample order of ``epoch`` (0-based) for a seeded shuffle: a pure function of its args."""
    generator = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))
    return torch.randperm(n, generator=generator)


def shard_indices(order: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """This rank's share of an epoch order: equal lengths on every rank (the tail is dropped)."""
    if world <= 1:
        return order
    usable = len(order) - len(order) % world
    return order[:usable][rank::world]


def _to_tensor(value: Any, what: str) -> torch.Tensor:
    if not isinstance(value, (torch.Tensor, np.ndarray, list, tuple)):
        raise TypeError(f"{what} must be a torch tensor or a numpy array, "
                        f"got {type(value).__name__}")
    return as_tensor(value, what, cast="model")


class DataSource:
    """Batches for training and validation, whatever the user gave."""

    name: str = "data"
    task: str = "classification"
    n_classes: int | None = None
    n_train: int | None = None
    has_val: bool = False
    sharded: bool = True  # False when the user's DataLoader decides what each rank sees

    def steps_per_epoch(self, batch_size: int, rank: int = 0, world: int = 1) -> int | None:
        raise NotImplementedError

    def train_batches(self, epoch: int, batch_size: int, rank: int = 0,
                      world: int = 1) -> Iterator[Batch]:
        raise NotImplementedError

    def val_batches(self, batch_size: int) -> Iterator[Batch]:
        raise NotImplementedError

    def probe(self, k: int = 2) -> Batch:
        """A few training samples for the shape checks done before training starts."""
        raise NotImplementedError

    def label_range(self) -> tuple[float, float] | None:
        """(min, max) of the training labels when cheaply known, for class-count checks."""
        return None

    def to(self, device: torch.device) -> DataSource:
        return self


#: How many bytes of training samples ArraySource gathers per indexing call (see train_batches).
GATHER_BYTES = 4 << 20


class ArraySource(DataSource):
    """In-memory tensors, batched by indexing with a seeded permutation (no per-sample Python)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, x_val: torch.Tensor | None = None,
                 y_val: torch.Tensor | None = None, *, name: str = "data",
                 task: str | None = None, n_classes: int | None = None, seed: int = 0,
                 shuffle: bool = True) -> None:
        if len(x) != len(y):
            raise ValueError(f"X and y must have the same number of samples, got {len(x)} and "
                             f"{len(y)}")
        if len(x) == 0:
            raise ValueError("the training data is empty")
        if (x_val is None) != (y_val is None):
            raise ValueError("validation data needs both X and y")
        if x_val is not None and y_val is not None:
            if len(x_val) != len(y_val):
                raise ValueError(f"validation X and y must have the same number of samples, got "
                                 f"{len(x_val)} and {len(y_val)}")
            if tuple(x_val.shape[1:]) != tuple(x.shape[1:]):
                raise ValueError(f"validation samples have shape {tuple(x_val.shape[1:])} but "
                                 f"training samples {tuple(x.shape[1:])}")
        self.x, self.y, self.x_val, self.y_val = x, y, x_val, y_val
        self.name = name
        self.task = task or ("regression" if y.is_floating_point() else "classification")
        self.n_classes = n_classes
        self.n_train = len(x)
        self.has_val = x_val is not None
        self.seed = seed
        self.shuffle = shuffle

    def with_binary_targets(self) -> ArraySource:
        """The same data with 0/1 class labels as float targets of shape (N, 1), the form binary
        cross-entropy losses need (used for built-in two-class sets, whose labels are ints)."""
        def column(y: torch.Tensor | None) -> torch.Tensor | None:
            return None if y is None else y.to(torch.float32).reshape(-1, 1)

        y = column(self.y)
        assert y is not None
        return ArraySource(self.x, y, self.x_val, column(self.y_val), name=self.name,
                           task=self.task, n_classes=self.n_classes, seed=self.seed,
                           shuffle=self.shuffle)

    def to(self, device: torch.device) -> ArraySource:
        """Move the arrays to ``device`` once (when they fit comfortably), not every batch."""
        nbytes = sum(t.element_size() * t.nelement()
                     for t in (self.x, self.y, self.x_val, self.y_val) if t is not None)
        if device.type == "cpu" or nbytes > 1 << 30:
            return self
        moved = ArraySource(self.x.to(device), self.y.to(device),
                            None if self.x_val is None else self.x_val.to(device),
                            None if self.y_val is None else self.y_val.to(device),
                            name=self.name, task=self.task, n_classes=self.n_classes,
                            seed=self.seed, shuffle=self.shuffle)
        return moved

    def _order(self, epoch: int, rank: int, world: int) -> torch.Tensor:
        n = len(self.x)
        order = epoch_permutation(n, self.seed, epoch) if self.shuffle else torch.arange(n)
        return shard_indices(order, rank, world)

    def steps_per_epoch(self, batch_size: int, rank: int = 0, world: int = 1) -> int:
        n = len(self.x)
        per_rank = n if world <= 1 else (n - n % world) // world
        return math.ceil(per_rank / batch_size)

    def train_batches(self, epoch: int, batch_size: int, rank: int = 0,
                      world: int = 1) -> Iterator[Batch]:
        order = self._order(epoch, rank, world).to(self.x.device)
        x, y = self.x, self.y
        # Gather many batches' samples with one indexing call and hand out slices of it: the
        # same batches as indexing batch by batch, at two tensor operations per chunk instead
        # of per step. A chunk is a whole number of batches of about GATHER_BYTES.
        sample_bytes = max(1, x[0].numel() * x.element_size())
        chunk = max(1, GATHER_BYTES // (sample_bytes * batch_size)) * batch_size
        for first in range(0, len(order), chunk):
            index = order[first:first + chunk]
            xs, ys = x[index], y[index]
            for start in range(0, len(index), batch_size):
                yield xs[start:start + batch_size], ys[start:start + batch_size]

    def val_batches(self, batch_size: int) -> Iterator[Batch]:
        if self.x_val is None or self.y_val is None:
            return
        for start in range(0, len(self.x_val), batch_size):
            yield self.x_val[start:start + batch_size], self.y_val[start:start + batch_size]

    def probe(self, k: int = 2) -> Batch:
        return self.x[:k], self.y[:k]

    def label_range(self) -> tuple[float, float] | None:
        if self.y.is_floating_point() or self.y.numel() == 0:
            return None
        return float(self.y.min()), float(self.y.max())


def _unpack(batch: Any) -> Batch:
    if isinstance(batch, dict):
        keys = [k for k in ("x", "input", "inputs", "image", "images") if k in batch]
        targets = [k for k in ("y", "label", "labels", "target", "targets") if k in batch]
        if keys and targets:
            return batch[keys[0]], batch[targets[0]]
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise TypeError("each batch must be a pair (inputs, targets); got "
                    f"{type(batch).__name__}" + (f" of length {len(batch)}"
                                                  if isinstance(batch, (tuple, list)) else ""))


class LoaderSource(DataSource):
    """A user's DataLoader, iterated as it is every epoch (its batch size and sampler rule)."""

    def __init__(self, loader: DataLoader, val_loader: DataLoader | None = None, *,
                 name: str = "DataLoader", sharded: bool = False) -> None:
        self.loader = loader
        self.val_loader = val_loader
        self.name = name
        self.has_val = val_loader is not None
        self.sharded = sharded
        try:
            self.n_train = len(loader.dataset)  # type: ignore[arg-type]
        except TypeError:
            self.n_train = None
        x, y = self.probe()
        self.task = "regression" if y.is_floating_point() else "classification"

    def steps_per_epoch(self, batch_size: int, rank: int = 0, world: int = 1) -> int | None:
        try:
            return len(self.loader)
        except TypeError:
            return None

    def train_batches(self, epoch: int, batch_size: int, rank: int = 0,
                      world: int = 1) -> Iterator[Batch]:
        sampler: Any = getattr(self.loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)  # DistributedSampler reshuffles per epoch this way
        for batch in self.loader:
            x, y = _unpack(batch)
            yield _to_tensor(x, "inputs"), _to_tensor(y, "targets")

    def val_batches(self, batch_size: int) -> Iterator[Batch]:
        if self.val_loader is None:
            return
        for batch in self.val_loader:
            x, y = _unpack(batch)
            yield _to_tensor(x, "inputs"), _to_tensor(y, "targets")

    def probe(self, k: int = 2) -> Batch:
        try:
            batch = next(iter(self.loader))
        except StopIteration:
            raise ValueError("the DataLoader yields no batch") from None
        x, y = _unpack(batch)
        return _to_tensor(x, "inputs")[:k], _to_tensor(y, "targets")[:k]


class _TorchDatasetSource(LoaderSource):
    """A map-style torch Dataset: batched with a seeded order, sharded across ranks."""

    def __init__(self, dataset: torch.utils.data.Dataset, val: Any, *, seed: int,
                 shuffle: bool, batch_size: int) -> None:
        self.dataset = dataset
        self.seed = seed
        self.shuffle = shuffle
        n = len(dataset)  # type: ignore[arg-type]
        if n == 0:
            raise ValueError("the training data set is empty")
        val_loader = None
        if val is not None:
            val_loader = val if isinstance(val, DataLoader) else DataLoader(val, batch_size=256)
        super().__init__(DataLoader(dataset, batch_size=batch_size), val_loader,
                         name=type(dataset).__name__, sharded=True)
        self.n_train = n

    def steps_per_epoch(self, batch_size: int, rank: int = 0, world: int = 1) -> int:
        n = int(self.n_train or 0)
        per_rank = n if world <= 1 else (n - n % world) // world
        return math.ceil(per_rank / batch_size)

    def train_batches(self, epoch: int, batch_size: int, rank: int = 0,
                      world: int = 1) -> Iterator[Batch]:
        n = int(self.n_train or 0)
        order = epoch_permutation(n, self.seed, epoch) if self.shuffle else torch.arange(n)
        order = shard_indices(order, rank, world)
        loader = DataLoader(self.dataset, batch_size=batch_size, sampler=order.tolist())
        for batch in loader:
            x, y = _unpack(batch)
            yield _to_tensor(x, "inputs"), _to_tensor(y, "targets")


def _pair(data: Any, what: str) -> tuple[torch.Tensor, torch.Tensor] | None:
    if isinstance(data, (tuple, list)) and len(data) == 2 and not isinstance(data[0], (int, float)):
        first, second = data
        if isinstance(first, (torch.Tensor, np.ndarray)) or isinstance(second,
                                                                       (torch.Tensor, np.ndarray)):
            return _to_tensor(first, f"{what} X"), _to_tensor(second, f"{what} y")
    return None


DATA_HELP = ("a built-in data set name (" + ", ".join(DATASETS) + "), a dlwidgets Dataset, an "
             "(X, y) pair of tensors or numpy arrays, a torch Dataset of (x, y) pairs, or a "
             "DataLoader")


def as_source(data: Any, *, val_data: Any = None, batch_size: int = 32, seed: int = 0,
              shuffle: bool = True, layout: str | None = None) -> DataSource:
    """Adapt what a user passes as training data into a ``DataSource``.

    ``layout`` ("flat" or "image") chooses the form of a built-in image set given by name.
    """
    if isinstance(data, str):
        options: dict[str, Any] = {"seed": seed}
        if data.strip().lower() == "digits" and layout in ("flat", "image"):
            options["flat"] = layout == "flat"
        data = load_dataset(data, **options)
    if isinstance(data, Dataset):
        if val_data is not None:
            raise ValueError("val_data cannot be combined with a built-in Dataset: it carries its "
                             "own validation split (set val_fraction when loading it)")
        xv = None if data.x_val is None else torch.from_numpy(data.x_val)
        yv = None if data.y_val is None else torch.from_numpy(data.y_val)
        return ArraySource(torch.from_numpy(data.x), torch.from_numpy(data.y), xv, yv,
                           name=data.name, task=data.task, n_classes=data.n_classes, seed=seed,
                           shuffle=shuffle)
    pair = _pair(data, "data")
    if pair is not None:
        x, y = pair
        xv = yv = None
        if val_data is not None:
            val_pair = _pair(val_data, "val_data")
            if val_pair is None:
                raise TypeError("val_data must be an (X, y) pair of tensors or numpy arrays when "
                                f"data is one; got {type(val_data).__name__}")
            xv, yv = val_pair
        return ArraySource(x, y, xv, yv, name="(X, y)", seed=seed, shuffle=shuffle)
    if isinstance(data, DataLoader):
        val_loader = val_data
        if val_data is not None and not isinstance(val_data, DataLoader):
            val_pair = _pair(val_data, "val_data")
            if val_pair is None:
                raise TypeError("val_data must be a DataLoader or an (X, y) pair; got "
                                f"{type(val_data).__name__}")
            val_loader = DataLoader(torch.utils.data.TensorDataset(*val_pair), batch_size=256)
        return LoaderSource(data, val_loader)
    if isinstance(data, torch.utils.data.Dataset) and hasattr(data, "__len__") and hasattr(
            data, "__getitem__"):
        return _TorchDatasetSource(data, val_data, seed=seed, shuffle=shuffle,
                                   batch_size=batch_size)
    if isinstance(data, (torch.Tensor, np.ndarray)):
        raise TypeError("data needs targets too: pass (X, y), not X alone")
    raise TypeError(f"data must be {DATA_HELP}; got {type(data).__name__}")
