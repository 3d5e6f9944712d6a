"""'Unknown name' messages with a 'did you mean' hint, worded and quoted the same everywhere.

The DSL (layers, losses, options, inits), the magics' options, the data set names and the
optimizer, schedule, loss and metric names all refuse an unknown name the same way::

    unknown optimizer 'adma': use one of sgd, momentum, ..., adam; did you mean 'adam'?

A name is quoted as Python's ``repr`` quotes a string. The closest candidate is a typo first
(one or two letters wrong, missing, extra or swapped: 'adma' is 'adam' with two letters swapped,
though 'adamax' looks closer to difflib), then the nearest by difflib's similarity (>= 0.6).
This module imports nothing from dlwidgets, so every layer may use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def quote(name: object) -> str:
    """``'name'``: how every message quotes a name."""
    return repr(str(name))


def typo_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The candidate ``word`` was most likely meant to be (case-insensitive), or None."""
    pool = list(dict.fromkeys(str(c) for c in choices))
    key = str(word).strip().lower()
    lowered = [c.lower() for c in pool]
    typos = sorted((typo_distance(key, c), i) for i, c in enumerate(lowered))
    if typos and typos[0][0] <= min(2, len(key) // 3):
        return pool[typos[0][1]]
    near = difflib.get_close_matches(key, lowered, n=1, cutoff=0.6)
    return pool[lowered.index(near[0])] if near else None


def did_you_mean(suggestion: str) -> str:
    """``did you mean 'x'?``"""
    return f"did you mean {quote(suggestion)}?"


def hint(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when a candidate is close to ``word``, else ``""``."""
    near = closest(word, choices)
    return f"; {did_you_mean(near)}" if near is not None else ""


def unknown_name(what: str, name: object, choices: Iterable[str], *, listed: bool = True,
                 also: str = "") -> str:
    """``unknown <what> '<name>': use one of a, b[<also>]; did you mean 'a'?``.

    ``listed=False`` leaves the list out (long or obvious lists); ``also`` is appended to it,
    e.g. ``", or pass a torch.optim.Optimizer subclass"``.
    """
    pool = list(dict.fromkeys(str(c) for c in choices))
    message = f"unknown {what} {quote(name)}"
    if listed:
        message += f": use one of {', '.join(pool)}{also}"
    return message + hint(str(name), pool)
