"""Precomputed states for the controls that need Python, so a static page keeps its sliders.

A static page has no kernel, so a control whose effect Python computes (the race's learning
rates, the conv stepper's stride) would be dead there. A widget that can do better lists, in
``offline_groups()``, groups of such controls: each control has a bounded list of values (one of
them the exported value), and the group's states are the widget's state for every combination
of its controls' values (row-major; one control is the common case). ``offline_states(groups)``
computes them with the same engine code the live widget runs (in batch where the engine can).

A state is a *patch*: a list of ``[path, value]`` pairs, the path being a trait name and keys
into it and the value what ``get_state()`` holds there after the live widget set that control.
A string instead of a patch is the message the live widget refuses that combination with.
Patches of two groups that write overlapping paths are marked as conflicting: the page shows
one of them away from its exported value at a time (the other snaps back), so every state it
shows is one the live widget computed.

The exporter estimates each group's size from the patch of the exported state (no compute;
a widget whose states' arrays differ in size gives their sizes relative to it in
``offline_weights``),
keeps the groups that fit the limit in the widget's order, says what it precomputes and how
large it is, computes them, and puts the table into the widget's state as ``_offline``, its
arrays as binary buffers like the rest of the state. ``js/src/lib/offline.ts`` applies it.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ipywidgets.widgets.widget import _remove_buffers

from .widgets._traits import wire_tree

Path = list[str]
Patch = list[list[Any]]  # [[path, value], ...]; values in wire form (arrays as memoryviews)

#: About what a refused combination's message takes in the page.
REFUSAL_BYTES = 160
#: Default cap on the bytes of precomputed states in one page (all widgets together).
DEFAULT_LIMIT_BYTES = 16_000_000


@dataclass
class OfflineControl:
    """One control of a group: its name (the page's key for it) and the values precomputed."""

    name: str
    values: list[Any]
    base: int  # index of the exported value in ``values``

    def __post_init__(self) -> None:
        if not self.values or not 0 <= self.base < len(self.values):
            raise ValueError(f"offline control {self.name!r}: the exported value must be one "
                             f"of its values (base={self.base}, {len(self.values)} values)")


@dataclass
class OfflineGroup:
    """Controls precomputed together, the paths their states write, and what to call them."""

    key: str  # the widget's own name for the group (it computes by this)
    label: str  # said in the export message and the page, e.g. "adam learning rate η"
    controls: list[OfflineControl]
    paths: list[Path]
    what: str = "states"  # e.g. "race states"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return math.prod(len(c.values) for c in self.controls)

    def combinations(self) -> list[tuple[Any, ...]]:
        """Every combination of the controls' values, row-major (the first control slowest)."""
        return list(itertools.product(*(c.values for c in self.controls)))

    @property
    def base_index(self) -> int:
        index = 0
        for c in self.controls:
            index = index * len(c.values) + c.base
        return index


@runtime_checkable
class Precomputable(Protocol):
    def get_state(self, key: Any = None) -> dict[str, Any]: ...

    def offline_groups(self) -> list[OfflineGroup]: ...

    def offline_states(self, groups: Sequence[OfflineGroup]) -> list[list[Patch | str]]: ...


def patch_at(state: dict[str, Any], paths: Sequence[Path]) -> Patch:
    """The patch that sets ``paths`` to what ``state`` (a ``get_state()``) holds there."""
    out: Patch = []
    for path in paths:
        node: Any = state
        for key in path:
            node = node[key]
        out.append([list(path), node])
    return out


def make_patch(values: dict[tuple[str, ...], Any]) -> Patch:
    """A patch from ``{path: python value}``: numpy arrays inside become wire arrays."""
    return [[list(path), wire_tree(value)] for path, value in values.items()]


#: What a buffer's path in the page adds to its path inside a state: it starts with
#: "_offline", "groups", <group>, "states", <state> (see ``_widget_entry`` in export.py).
_PATH_PREFIX = len(json.dumps(["_offline", "groups", 10, "states", 100], separators=(",", ":"))) \
    - len(json.dumps(["v"], separators=(",", ":")))


def encoded_parts(value: Any) -> tuple[int, int]:
    """Bytes ``value`` takes in the page as a precomputed state: (its JSON with the buffers'
    paths, its buffers in base64)."""
    plain, paths, buffers = _remove_buffers({"v": value})
    size = len(json.dumps(plain, separators=(",", ":"), allow_nan=True))
    size += len(json.dumps(paths, separators=(",", ":"))) - 2 if paths else 0
    size += _PATH_PREFIX * len(paths)
    return size, sum(4 * math.ceil(memoryview(b).nbytes / 3) + 3 for b in buffers)


def encoded_size(value: Any) -> int:
    """Bytes ``value`` takes in the page."""
    return sum(encoded_parts(value))


def _overlaps(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def conflicts(groups: Sequence[OfflineGroup]) -> list[list[int]]:
    """For each group, the other groups whose patches write an overlapping path."""
    return [[j for j, other in enumerate(groups) if j != i and any(
        _overlaps(p, q) for p in g.paths for q in other.paths)] for i, g in enumerate(groups)]


@dataclass
class Plan:
    """What the exporter will precompute for one widget, with its estimated size."""

    widget: Any
    groups: list[OfflineGroup]
    estimates: list[int]  # bytes per group
    skipped: list[tuple[OfflineGroup, int]]  # (group, estimated bytes) over the limit

    @property
    def states(self) -> int:
        return sum(g.size for g in self.groups)

    @property
    def nbytes(self) -> int:
        return sum(self.estimates)


def check_options(precompute: Any, limit: Any) -> float:
    """Validate ``export_html``'s precompute arguments; the limit in bytes."""
    if not isinstance(precompute, bool):
        raise TypeError(f"precompute must be True or False, got {precompute!r}")
    if limit is None:
        return math.inf
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit >= 0 \
            or math.isnan(limit):
        raise ValueError(f"precompute_limit must be a number of bytes >= 0 (or None: no limit), "
                         f"got {limit!r}")
    return float(limit)


def plan(widget: Any, budget: float) -> Plan | None:
    """The groups of ``widget`` that fit ``budget`` bytes, in the widget's order of priority."""
    if not isinstance(widget, Precomputable):
        return None
    groups = widget.offline_groups()
    if not groups:
        return None
    state = widget.get_state()
    kept: list[OfflineGroup] = []
    estimates: list[int] = []
    skipped: list[tuple[OfflineGroup, int]] = []
    weigh = getattr(widget, "offline_weights", None)
    for group in groups:
        text, arrays = encoded_parts(patch_at(state, group.paths))
        # arrays the same size as the exported state's, unless the widget knows better
        weights = weigh(group) if callable(weigh) else [1.0] * group.size
        # (weight 0: a combination the widget refuses, stored as its message)
        estimate = sum(text if w > 0 else REFUSAL_BYTES for w in weights) \
            + math.ceil(sum(weights) * arrays) + encoded_size([c.values for c in group.controls]) + 64
        if estimate <= budget:
            kept.append(group)
            estimates.append(estimate)
            budget -= estimate
        else:
            skipped.append((group, estimate))
    return Plan(widget, kept, estimates, skipped)


def megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def describe(plan: Plan, limit: float) -> list[str]:
    """The lines the exporter says before it computes (what, how many, how large)."""
    name = type(plan.widget).__name__
    lines = []
    if plan.groups:
        what = plan.groups[0].what
        lines.append(f"{name}: precomputing {plan.states} {what} for "
                     f"{len(plan.groups)} control group(s) ({megabytes(plan.nbytes)})")
    for group, size in plan.skipped:
        lines.append(f"{name}: not precomputing {group.label} ({group.size} states, "
                     f"{megabytes(size)}): it would take the page past precompute_limit "
                     f"({megabytes(limit)}); that control keeps its 'needs a kernel' hint")
    return lines


def table(plan: Plan) -> dict[str, Any]:
    """Compute the planned states: the ``_offline`` value the page reads."""
    states = plan.widget.offline_states(plan.groups)
    if len(states) != len(plan.groups) or any(
            len(s) != g.size for s, g in zip(states, plan.groups)):
        raise RuntimeError(f"{type(plan.widget).__name__}.offline_states returned the wrong "
                           "number of states")
    clash = conflicts(plan.groups)
    return {
        "groups": [{
            "key": g.key, "label": g.label,
            "controls": [{"name": c.name, "values": list(c.values), "base": c.base}
                         for c in g.controls],
            "states": [s if isinstance(s, list) else {"refused": str(s)} for s in group_states],
            "conflicts": clash[i],
        } for i, (g, group_states) in enumerate(zip(plan.groups, states))],
        "count": plan.states,
    }


def precompute_all(widgets: Sequence[Any], limit: float,
                   say: Callable[[str], None]) -> dict[int, dict[str, Any]]:
    """Plan, announce and compute every widget's table; ``id(widget) -> _offline`` value."""
    budget = limit
    plans: list[Plan] = []
    for widget in widgets:
        p = plan(widget, budget)
        if p is None:
            continue
        budget -= p.nbytes
        plans.append(p)
    for p in plans:
        for line in describe(p, limit):
            say(line)
    tables: dict[int, dict[str, Any]] = {}
    for p in plans:
        if not p.groups:
            continue
        try:
            tables[id(p.widget)] = table(p)
        except Exception as exc:  # noqa: BLE001 - e.g. a user's optimizer or surface failing
            # the page is still written, as it would be without precomputing
            say(f"{type(p.widget).__name__}: precomputing failed ({type(exc).__name__}: {exc}); "
                "its controls keep their 'needs a kernel' hint")
    return tables

