"""Input features of the Playground, computed from the raw coordinates (x1, x2) in float32.

The same formulas run in the browser (js/src/playground), so they are written out here as
plain element-wise float32 operations on the raw coordinates, with no normalisation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ..suggest import unknown_name

FEATURES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: torch.sin(a),
    "sin_x2": lambda a, b: torch.sin(b),
}
FEATURE_NAMES = tuple(FEATURES)
_ALIASES = {"x1²": "x1^2", "x2²": "x2^2", "x1x2": "x1*x2", "x1·x2": "x1*x2",
            "sin(x1)": "sin_x1", "sin(x2)": "sin_x2", "sin x1": "sin_x1", "sin x2": "sin_x2"}


def check_features(features: object) -> list[str]:
    """The feature names as a list (each once, in the order given); ValueError otherwise."""
    if isinstance(features, str):
        features = [features]
    if not isinstance(features, (list, tuple)) or not features:
        raise ValueError(f"features must be a non-empty list of names from "
                         f"{', '.join(FEATURE_NAMES)}, got {features!r}")
    out: list[str] = []
    for name in features:
        key = _ALIASES.get(str(name).strip(), str(name).strip()) if isinstance(name, str) else name
        if key not in FEATURES:
            raise ValueError("features: " + unknown_name("feature", name, FEATURE_NAMES))
        if key in out:
            raise ValueError(f"features: {key!r} is listed twice")
        out.append(key)
    return out


def transform(points: torch.Tensor, features: Sequence[str]) -> torch.Tensor:
    """(N, 2) raw points -> (N, len(features)) float32 model inputs."""
    pts = points.to(torch.float32)
    a, b = pts[:, 0], pts[:, 1]
    return torch.stack([FEATURES[name](a, b) for name in features], 1)
