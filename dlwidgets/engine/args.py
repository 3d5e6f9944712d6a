"""Checks of public arguments: a wrong type raises TypeError and a value out of range raises
ValueError, each naming the argument and the value given (never a bare "could not convert
string to float", an OverflowError or an AttributeError from deep inside)."""

from __future__ import annotations

import math
import numbers
from typing import Any


def integer(value: Any, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an int in [lo, hi]; a float is accepted only when it is whole."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float)) or (
            isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    number = int(value)
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        low = "" if lo is None else f"{lo}"
        high = "" if hi is None else f"{hi}"
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    return number


def real(value: Any, name: str, lo: float = -math.inf, hi: float = math.inf, *,
         lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a finite float in the range [lo, hi] (or open at either end)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    number = float(value)
    below = number <= lo if lo_open else number < lo
    above = number >= hi if hi_open else number > hi
    if not math.isfinite(number) or below or above:
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        span = f" in {left}{lo:g}, {hi:g}{right}" if math.isfinite(lo) or math.isfinite(hi) \
            else ""
        raise ValueError(f"{name} must be{span or ' a finite number'}, got {value!r}")
    return number


def flag(value: Any, name: str) -> bool:
    """``value`` as a bool: True/False (or 0/1), not a string such as 'no'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def text(value: Any, name: str, *, optional: bool = False) -> str | None:
    """``value`` as a string (None allowed when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r:.60}")
    return value
