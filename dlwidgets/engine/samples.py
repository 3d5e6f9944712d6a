"""Built-in inputs and named kernels for the convolution stepper.

Images: handwritten digits from scikit-learn (bundled with the package, no download) and small
synthetic images with clean edges, so an edge detector's response is easy to read. Kernels: the
classic hand-made filters, written as they are applied by a CNN layer, i.e. as cross-correlation
weights (no flip).
"""

from __future__ import annotations

import importlib.util
import pathlib
from functools import lru_cache

import numpy as np

#: Named 3×3 kernels, as CNN (cross-correlation) weights.
KERNELS: dict[str, tuple[tuple[float, ...], ...]] = {
    # bright on the left, dark on the right gives a positive response
    "vertical_edge": ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
    # bright above, dark below gives a positive response
    "horizontal_edge": ((1, 1, 1), (0, 0, 0), (-1, -1, -1)),
    # d/dx with smoothing across rows: positive where intensity grows to the right
    "sobel_x": ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)),
    # d/dy (rows grow downwards): positive where intensity grows downwards
    "sobel_y": ((-1, -2, -1), (0, 0, 0), (1, 2, 1)),
    "blur": ((1 / 9, 1 / 9, 1 / 9), (1 / 9, 1 / 9, 1 / 9), (1 / 9, 1 / 9, 1 / 9)),
    "gaussian_blur": ((1 / 16, 2 / 16, 1 / 16), (2 / 16, 4 / 16, 2 / 16), (1 / 16, 2 / 16, 1 / 16)),
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
    "identity": ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
    "laplacian": ((0, 1, 0), (1, -4, 1), (0, 1, 0)),
}

#: Built-in images: name -> one-line description.
IMAGES: dict[str, str] = {
    "digit": "an 8×8 handwritten digit from scikit-learn (values 0..1); index picks which",
    "edges": "12×12: a bright square on a dark background (vertical and horizontal edges)",
    "step": "8×8: bright left half, dark right half (one vertical edge)",
    "stripes": "12×12: horizontal stripes two pixels wide",
    "rgb": "3×12×12 colour image: red square, green vertical bar, blue left-to-right ramp",
}


def kernel_names() -> list[str]:
    """Names accepted wherever a kernel may be given by name."""
    return list(KERNELS)


def named_kernel(name: str) -> np.ndarray:
    """The 3×3 kernel called ``name`` (float64), e.g. ``named_kernel("sobel_x")``."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in KERNELS:
        raise ValueError(f"kernel={name!r} is not a known kernel; choose one of: {', '.join(KERNELS)}")
    return np.array(KERNELS[key], dtype=np.float64)


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    # scikit-learn ships the digits as a small CSV (64 pixels, then the label per row). Read it
    # directly: importing sklearn.datasets takes seconds, the file a few milliseconds.
    spec = importlib.util.find_spec("sklearn")
    path = pathlib.Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" \
        if spec is not None and spec.origin else None
    if path is not None and path.is_file():
        raw = np.loadtxt(path, delimiter=",")
        return raw[:, :64].reshape(-1, 8, 8) / 16.0, raw[:, 64].astype(np.int64)
    from sklearn.datasets import load_digits  # layout changed: take the slow, public way

    data = load_digits()
    return np.asarray(data.images, dtype=np.float64) / 16.0, np.asarray(data.target)


def digit(index: int = 0) -> np.ndarray:
    """Handwritten digit number ``index`` of scikit-learn's digits set: (8, 8), values in [0, 1]."""
    images, _ = _digits()
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"index must be an int, got {type(index).__name__}")
    if not 0 <= int(index) < len(images):
        raise ValueError(f"index must be in [0, {len(images) - 1}] for the digits, got {index}")
    return images[int(index)].copy()


def digit_label(index: int = 0) -> int:
    """The digit (0-9) drawn in ``digit(index)``."""
    _, labels = _digits()
    return int(labels[int(index)])


def edge_image(kind: str = "edges") -> np.ndarray:
    """A synthetic image: ``"edges"`` (square), ``"step"`` or ``"stripes"`` (2-D, float64)."""
    if kind == "edges":
        img = np.zeros((12, 12))
        img[3:9, 3:9] = 1.0
        return img
    if kind == "step":
        img = np.zeros((8, 8))
        img[:, :4] = 1.0
        return img
    if kind == "stripes":
        img = np.zeros((12, 12))
        img[(np.arange(12) // 2) % 2 == 0, :] = 1.0
        return img
    raise ValueError(f"kind={kind!r} is not a synthetic image; choose edges, step or stripes")


def rgb_image() -> np.ndarray:
    """A (3, 12, 12) colour image whose channels differ: red square, green bar, blue ramp."""
    img = np.zeros((3, 12, 12))
    img[0, 2:7, 2:7] = 1.0
    img[1, :, 7:9] = 1.0
    img[2] = np.linspace(0.0, 1.0, 12)[None, :]
    return img


def sample_image(name: str, index: int = 0) -> np.ndarray:
    """Built-in image ``name`` (see ``IMAGES``); ``"digit:5"`` is the same as index=5."""
    key = name.strip().lower()
    if ":" in key:
        key, _, num = key.partition(":")
        try:
            index = int(num)
        except ValueError:
            raise ValueError(f"image={name!r}: the part after ':' must be an index, like 'digit:3'") from None
    if key in ("digit", "digits"):
        return digit(index)
    if key in ("edges", "step", "stripes"):
        return edge_image(key)
    if key == "rgb":
        return rgb_image()
    raise ValueError(f"image={name!r} is not a built-in image; choose one of: {', '.join(IMAGES)}")
