"""Data sets of the Playground: 2-D points with class labels or regression targets.

The built-in sets follow TensorFlow Playground's generators (points in about [-6, 6]², noise
0..0.5 as a fraction of the set's scale) so its lessons carry over, but are drawn with numpy
from a seed, so a lab is the same on every machine. ``moons`` comes from scikit-learn's
``make_moons`` (scaled to the same plane). The user's own ``(X, y)`` is checked here: 2-D
points, no NaN/inf, one label per point, classes 0..C-1 with C >= 2, or float targets
(regression). Every set is split into train and test points by a seeded permutation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..suggest import unknown_name

CLASSIFICATION_SETS = ("circles", "xor", "gauss", "spiral", "moons")
REGRESSION_SETS = ("reg_plane", "reg_gauss")
DATASETS = CLASSIFICATION_SETS + REGRESSION_SETS
#: The plane the built-in sets live in (xmin, xmax, ymin, ymax), as TensorFlow Playground's.
BUILTIN_BOUNDS = (-6.0, 6.0, -6.0, 6.0)
MAX_CLASSES = 10
MAX_NOISE = 0.5


@dataclass
class PlaygroundData:
    """Points (N, 2) float32, labels (N,) float32 (class index or target), is_test (N,) bool."""

    name: str
    points: np.ndarray
    labels: np.ndarray
    is_test: np.ndarray
    task: str  # "binary" | "multiclass" | "regression"
    classes: int  # 2 for binary, C for multiclass, 1 for regression
    bounds: tuple[float, float, float, float]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def X_train(self) -> np.ndarray:  # noqa: N802 - the names the API documents
        return self.points[~self.is_test]

    @property
    def y_train(self) -> np.ndarray:
        return self._y(self.labels[~self.is_test])

    @property
    def X_test(self) -> np.ndarray:  # noqa: N802
        return self.points[self.is_test]

    @property
    def y_test(self) -> np.ndarray:
        return self._y(self.labels[self.is_test])

    def _y(self, y: np.ndarray) -> np.ndarray:
        return y if self.task == "regression" else y.astype(np.int64)

    def __iter__(self) -> Any:  # X_train, y_train, X_test, y_test = pg.data
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    def __len__(self) -> int:
        return len(self.points)

    def __repr__(self) -> str:
        return (f"PlaygroundData({self.name!r}, {self.task}, {int((~self.is_test).sum())} train "
                f"/ {int(self.is_test.sum())} test points)")


# -- built-in generators (TensorFlow Playground's shapes) ---------------------------------------

def _circles(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    half = n // 2
    r = np.concatenate([rng.uniform(0, 0.5 * radius, half), rng.uniform(0.7 * radius, radius,
                                                                         n - half)])
    angle = rng.uniform(0, 2 * math.pi, n)
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], 1)
    pts += rng.uniform(-radius, radius, (n, 2)) * noise
    labels = np.concatenate([np.ones(half), np.zeros(n - half)])  # 1 = inner disc
    return pts, labels


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-5, 5, (n, 2))
    pts += np.where(pts > 0, 0.3, -0.3)  # a gap along the axes, as Playground's
    labels = ((pts[:, 0] > 0) != (pts[:, 1] > 0)).astype(np.float64)  # 1 = signs differ
    pts = pts + rng.uniform(-5, 5, (n, 2)) * noise
    return pts, labels


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + noise / MAX_NOISE * 3.5  # Playground: noise 0..0.5 -> variance 0.5..4
    half = n // 2
    a = rng.normal(2.0, math.sqrt(variance), (half, 2))
    b = rng.normal(-2.0, math.sqrt(variance), (n - half, 2))
    return np.concatenate([a, b]), np.concatenate([np.ones(half), np.zeros(n - half)])


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    parts, labels = [], []
    for label, delta, count in ((1, 0.0, half), (0, math.pi, n - half)):
        i = np.arange(count)
        r = i / count * 5.0
        t = 1.75 * i / count * 2 * math.pi + delta
        pts = np.stack([r * np.sin(t), r * np.cos(t)], 1)
        parts.append(pts + rng.uniform(-1, 1, (count, 2)) * noise)
        labels.append(np.full(count, label, np.float64))
    return np.concatenate(parts), np.concatenate(labels)


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    # make_moons spans x in [-1, 2], y in [-0.5, 1]: centred and scaled by 3 onto the plane,
    # with noise as its own (Gaussian, in moon units) before scaling
    pts, labels = make_moons(n_samples=n, noise=noise, random_state=int(rng.integers(2**31)))
    pts = (pts - np.array([0.5, 0.25])) * 3.0
    return pts, labels.astype(np.float64)


def _reg_plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-5, 5, (n, 2))
    labels = (pts[:, 0] + pts[:, 1]) / 10.0  # in [-1, 1]
    return pts + rng.uniform(-5, 5, (n, 2)) * noise, labels


_BUMPS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _reg_gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-5, 5, (n, 2))
    labels = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        labels += sign * np.exp(-((pts[:, 0] - cx) ** 2 + (pts[:, 1] - cy) ** 2) / 2.0)
    return pts + rng.uniform(-5, 5, (n, 2)) * noise, np.clip(labels, -1, 1)


_GENERATORS = {"circles": _circles, "xor": _xor, "gauss": _gauss, "spiral": _spiral,
               "moons": _moons, "reg_plane": _reg_plane, "reg_gauss": _reg_gauss}


def split(n: int, train_fraction: float, seed: int) -> np.ndarray:
    """``is_test`` for ``n`` points: a seeded permutation's first round(n·fraction) train."""
    order = np.random.default_rng([seed, 1]).permutation(n)
    n_train = min(n, max(1, int(round(n * train_fraction)))) if n else 0
    is_test = np.ones(n, bool)
    is_test[order[:n_train]] = False
    return is_test


def check_noise(noise: Any) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating)) or not (
            0.0 <= float(noise) <= MAX_NOISE):
        raise ValueError(f"noise must be a number in [0, {MAX_NOISE}], got {noise!r}")
    return float(noise)


def check_train_fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not (
            0.1 <= float(value) <= 0.9):
        raise ValueError(f"train_fraction must be a number in [0.1, 0.9], got {value!r}")
    return float(value)


def generate(name: str, *, n: int = 500, noise: float = 0.0, train_fraction: float = 0.5,
             seed: int = 0) -> PlaygroundData:
    """Built-in set ``name`` (see ``DATASETS``), drawn from ``seed``."""
    key = str(name).strip().lower() if isinstance(name, str) else name
    if key == "gaussian":
        key = "gauss"
    if key == "spirals":
        key = "spiral"
    if key not in _GENERATORS:
        raise ValueError(unknown_name("data set", name, DATASETS,
                                      also=", or pass your own (X, y) arrays"))
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 4 <= n <= 1_000_000:
        raise ValueError(f"n_points must be an integer in [4, 1000000], got {n!r}")
    noise = check_noise(noise)
    train_fraction = check_train_fraction(train_fraction)
    rng = np.random.default_rng([seed, 0])
    pts, labels = _GENERATORS[key](int(n), noise, rng)
    regression = key in REGRESSION_SETS
    return PlaygroundData(key, pts.astype(np.float32), labels.astype(np.float32),
                          split(len(pts), train_fraction, seed),
                          "regression" if regression else "binary", 1 if regression else 2,
                          BUILTIN_BOUNDS, {"noise": noise, "seed": seed})


# -- the user's own points ------------------------------------------------------------------------

def _as_array(value: Any, what: str) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"data: {what} must be an array of numbers ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"data: {what} must be an array of numbers, got dtype {arr.dtype}")
    return arr


def bounds_of(points: np.ndarray) -> tuple[float, float, float, float]:
    """A square-ish view around ``points`` with 10% padding (at least 0.5 each side)."""
    if not len(points):
        return BUILTIN_BOUNDS
    lo, hi = points.min(0).astype(np.float64), points.max(0).astype(np.float64)
    pad = np.maximum((hi - lo) * 0.1, 0.5)
    lo, hi = lo - pad, hi + pad
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def from_arrays(x: Any, y: Any, *, train_fraction: float = 0.5, seed: int = 0,
                task: str | None = None) -> PlaygroundData:
    """The user's ``(X, y)``: X (N, 2) finite numbers; y (N,) class indices 0..C-1 (C >= 2)
    or float targets. ``task`` None decides: integer/bool labels are classes, floats holding
    only whole values 0..C-1 (C <= 10) too, other floats are regression targets."""
    xs = _as_array(x, "X")
    ys = _as_array(y, "y")
    if xs.ndim != 2 or xs.shape[1] != 2:
        raise ValueError(f"data: X must have shape (N, 2) (one row of x1, x2 per point), got "
                         f"shape {tuple(xs.shape)}")
    if len(xs) < 2:
        raise ValueError(f"data: X needs at least 2 points, got {len(xs)}")
    if ys.ndim == 2 and ys.shape[1] == 1:
        ys = ys[:, 0]
    if ys.ndim != 1 or len(ys) != len(xs):
        raise ValueError(f"data: y must hold one label per point, shape ({len(xs)},), got shape "
                         f"{tuple(ys.shape)}")
    if not np.isfinite(xs).all():
        bad = int((~np.isfinite(xs)).any(1).sum())
        raise ValueError(f"data: X holds NaN or inf in {bad} of {len(xs)} points; remove or "
                         "impute them")
    if ys.dtype.kind == "f" and not np.isfinite(ys).all():
        raise ValueError(f"data: y holds NaN or inf in {int((~np.isfinite(ys)).sum())} of "
                         f"{len(ys)} labels; remove those points")
    if task not in (None, "classification", "regression"):
        raise ValueError(unknown_name("task", task, ["classification", "regression"]))
    whole = ys.dtype.kind in "biu" or bool(np.all(ys == np.round(ys)))
    if task is None:
        task = "classification" if whole and (ys.dtype.kind in "biu" or (
            ys.min() >= 0 and ys.max() < MAX_CLASSES)) else "regression"
    train_fraction = check_train_fraction(train_fraction)
    is_test = split(len(xs), train_fraction, seed)
    if task == "regression":
        return PlaygroundData("custom", xs.astype(np.float32), ys.astype(np.float32), is_test,
                              "regression", 1, bounds_of(xs), {"seed": seed})
    if not whole:
        raise ValueError("data: classification labels must be whole numbers (class indices "
                         "0..C-1); pass task='regression' for float targets")
    labels = ys.astype(np.int64)
    if labels.min() < 0:
        raise ValueError(f"data: labels must be class indices 0..C-1, the smallest is "
                         f"{labels.min()} (map them with np.unique(y, return_inverse=True))")
    classes = int(labels.max()) + 1
    if classes < 2 or len(np.unique(labels)) < 2:
        raise ValueError("data: y needs at least two classes (labels 0 and 1), got only "
                         f"class {labels[0]}")
    return PlaygroundData("custom", xs.astype(np.float32), labels.astype(np.float32), is_test,
                          "binary" if classes == 2 else "multiclass", classes, bounds_of(xs),
                          {"seed": seed})


def with_point(data: PlaygroundData, x: float, y: float, label: float) -> PlaygroundData:
    """``data`` plus one training point (the data becomes "custom")."""
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(label)):
        raise ValueError("add_point needs finite x, y and label")
    if data.task != "regression" and not (float(label).is_integer()
                                          and 0 <= label < data.classes):
        raise ValueError(f"add_point: label must be a class 0..{data.classes - 1}, got {label!r}")
    return PlaygroundData(
        "custom", np.concatenate([data.points, np.array([[x, y]], np.float32)]),
        np.concatenate([data.labels, np.array([label], np.float32)]),
        np.concatenate([data.is_test, [False]]), data.task, data.classes, data.bounds,
        dict(data.meta))


def without_points(data: PlaygroundData, x: float, y: float, radius: float) -> PlaygroundData:
    """``data`` less the points within ``radius`` of (x, y) (the data becomes "custom")."""
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(radius) and radius >= 0):
        raise ValueError("erase needs finite x, y and a radius >= 0")
    d2 = (data.points[:, 0] - x) ** 2 + (data.points[:, 1] - y) ** 2
    keep = d2 > radius * radius
    return PlaygroundData("custom", data.points[keep], data.labels[keep], data.is_test[keep],
                          data.task, data.classes, data.bounds, dict(data.meta))
