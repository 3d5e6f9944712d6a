"""Pick the torch device every computation runs on: CUDA, then MPS, then CPU.

The choice can be forced by argument (``device("cpu")``) or for a whole session by the
``DLWIDGETS_DEVICE`` environment variable, so a class can be run on CPU on a GPU machine.
"""

from __future__ import annotations

import os

import torch

ENV_VAR = "DLWIDGETS_DEVICE"


def _available(kind: str) -> bool:
    if kind == "cpu":
        return True
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps is not None and mps.is_available())
    return False


def device(prefer: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on.

    ``prefer`` (or ``$DLWIDGETS_DEVICE`` when ``prefer`` is None) may be ``"cuda"``,
    ``"cuda:1"``, ``"mps"``, ``"cpu"`` or ``"auto"``. Asking for a device that is not there
    raises ``ValueError`` saying what is available, rather than failing later inside torch.
    """
    choice = prefer if prefer is not None else os.environ.get(ENV_VAR, "auto")
    if isinstance(choice, torch.device):
        choice = str(choice)
    if not isinstance(choice, str):
        raise TypeError(f"device must be a string ('auto', 'cuda', 'cuda:N', 'mps', 'cpu'), a "
                        f"torch.device or None, got {type(choice).__name__} {choice!r:.40}")
    choice = choice.strip().lower() or "auto"
    if choice == "auto":
        for kind in ("cuda", "mps"):
            if _available(kind):
                return torch.device(kind)
        return torch.device("cpu")
    kind = choice.split(":", 1)[0]
    if kind not in ("cuda", "mps", "cpu"):
        raise ValueError(
            f"unknown device {choice!r}: use 'auto', 'cuda', 'cuda:N', 'mps' or 'cpu'"
        )
    if not _available(kind):
        found = [k for k in ("cuda", "mps", "cpu") if _available(k)]
        source = "argument" if prefer is not None else f"${ENV_VAR}"
        raise ValueError(
            f"device {choice!r} (from {source}) is not available here; available: {', '.join(found)}"
        )
    dev = torch.device(choice)
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(
            f"device {choice!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return dev
