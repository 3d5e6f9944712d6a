"""IPython integration: what ``%load_ext dlwidgets`` registers."""

from __future__ import annotations

from typing import Any


def register(ipython: Any) -> None:
    """Register dlwidgets' magics on ``ipython`` (an InteractiveShell)."""
