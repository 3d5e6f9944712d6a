"""The optimizer race's precomputed states for a static page (see export_precompute.py).

Groups, in the order the exporter keeps them under its size limit: every optimizer's learning
rate (13 values, the exported one × 10^(k/4) for k = −8 … 4), then each of its other
hyperparameters (8 values across the slider), then each surface parameter (8 values).
All hyperparameter states run in ONE ``run_race`` call: each value is one more optimizer in the
batch (element-wise optimizers share one gradient evaluation per step), which is the code the
live widget runs when a slider moves. A surface parameter changes the surface, so each of its
values is one race of every optimizer, as the live widget runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.race import MAX_VALUES, OptimizerSpec, RaceResult, run_race, swarm_starts
from ..engine.surfaces import SURFACE_PARAMS, Surface, evaluate_grid, get_surface
from ..export_precompute import OfflineControl, OfflineGroup, Patch, make_patch

if TYPE_CHECKING:
    from .optimizer_race import OptimizerRace

#: Learning rates: the exported one × 10^(k/4) for these k (two decades down, one up).
LR_QUARTER_DECADES = range(-8, 5)
#: Values per other hyperparameter and per surface parameter.
POINTS = 8
#: What one optimizer's state sets.
OPTIMIZER_PATHS = ("hyper", "paths", "loss_series", "diverged", "statuses", "explain", "summary")
#: What a surface parameter's state sets: the surface and every optimizer's race.
SURFACE_PATHS = ("surface_params", "surface_formula", "domain", "grid", "z_range", "minima",
                 "start", "hyper", "paths", "loss_series", "diverged", "statuses", "explain",
                 "summary", "notes")


def nice(value: float) -> float:
    """Three significant digits, as the page's sliders show values."""
    return float(f"{value:.3g}")


def slider_grid(lo: float, hi: float, log: bool, current: float, n: int = POINTS,
                integer: bool = False) -> list[float]:
    """``n`` values across a slider, log-spaced when it is (and on 1 − x for the ranges that
    end at 0.99…: momentum, β, ρ), plus ``current``."""
    if 0.99 <= hi < 1.0 and not log:
        values = {round(1.0 - nice(float(v)), 12) for v in np.geomspace(1.0 - lo, 1.0 - hi, n)}
    else:
        grid = np.geomspace(lo, hi, n) if log and lo > 0 else np.linspace(lo, hi, n)
        values = {float(round(v)) if integer else nice(float(v)) for v in grid}
    return sorted({v for v in values if lo <= v <= hi} | {float(current)})


def lr_grid(lr: float, lo: float, hi: float) -> list[float]:
    values = {nice(lr * 10 ** (k / 4)) for k in LR_QUARTER_DECADES}
    return sorted({v for v in values if lo <= v <= hi} | {float(lr)})


def race_offline_groups(race: OptimizerRace) -> list[OfflineGroup]:
    """The race's precomputable controls: learning rates, other hyperparameters, surface."""
    specs = race._specs
    active = [n for n in race.active if n in specs]
    lrs: list[OfflineGroup] = []
    others: list[OfflineGroup] = []
    for name in active:
        spec = specs[name]
        paths = [[p, name] for p in OPTIMIZER_PATHS]
        for h in spec.hypers:
            if h.key not in spec.hyper:
                continue
            current = float(spec.hyper[h.key])
            if h.key == "lr":
                values = lr_grid(current, h.lo, h.hi)
            else:
                values = slider_grid(h.lo, h.hi, h.log, current,
                                     integer=h.key == "history_size")
            group = OfflineGroup(
                key=f"hyper/{name}/{h.key}", label=f"{name} {h.label}", what="race states",
                controls=[OfflineControl(f"hyper.{name}.{h.key}", values, values.index(current))],
                paths=paths, meta={"optimizer": name, "hyper": h.key})
            (lrs if h.key == "lr" else others).append(group)
    surface: list[OfflineGroup] = []
    name = race.surface_name
    if race._surface.builtin and name in SURFACE_PARAMS:
        for key, meta in SURFACE_PARAMS[name].items():
            current = float(race.surface_params.get(key, meta["default"]))
            values = slider_grid(meta["min"], meta["max"], bool(meta["log"]), current)
            surface.append(OfflineGroup(
                key=f"surface/{key}", label=f"surface parameter {key}", what="race states",
                controls=[OfflineControl(f"surface_params.{key}", values, values.index(current))],
                paths=[[p] for p in SURFACE_PATHS], meta={"param": key}))
    return lrs + others + surface


def _race_kwargs(race: OptimizerRace) -> dict[str, Any]:
    noise = float(race.noise) if race.noise_on else 0.0
    return {"noise": noise, "seed": int(race.seed), "tol": race._tol, "bound": race._bound}


def _starts(race: OptimizerRace, surface: Surface, start: Sequence[float]) -> np.ndarray:
    first = (float(start[0]), float(start[1]))
    if race.swarm > 0:
        return swarm_starts(surface, int(race.swarm), int(race.seed), first=first)
    return np.array([first])


def _one(result: RaceResult, i: int, name: str, notes: list[str]) -> RaceResult:
    """Optimizer ``i`` of a batched result as a result of its own, named ``name``."""
    return RaceResult(
        names=[name], starts=result.starts, positions=result.positions[i:i + 1],
        losses=result.losses[i:i + 1], diverged_step=result.diverged_step[i:i + 1],
        status=result.status[i:i + 1], grad_norm=result.grad_norm[i:i + 1],
        grads=result.grads[i:i + 1], states=[result.states[i]], steps=result.steps,
        noise=result.noise, seed=result.seed, tol=result.tol, bound=result.bound, notes=notes)


def _batched(race: OptimizerRace, specs: list[OptimizerSpec], starts: np.ndarray,
             surface: Surface) -> list[dict[str, Any] | str]:
    """``_encode`` of every spec, raced in as few ``run_race`` calls as the size limit allows.

    Each spec gets a name of its own in the batch (several are variants of one optimizer), so
    the engine's notes about it can be told apart; they are given back under its real name.
    When a batch fails (a user's surface or optimizer raising at some value), its specs run one
    by one, and one that fails alone gives the message the live widget would show.
    """
    steps = int(race.steps)
    per = max(1, MAX_VALUES // ((steps + 1) * starts.shape[0] * 2))
    out: list[dict[str, Any] | str] = []
    for lo in range(0, len(specs), per):
        chunk = specs[lo:lo + per]
        try:
            out += _race_chunk(race, chunk, starts, surface)
        except Exception:  # noqa: BLE001 - find which value fails, as the live widget would
            for spec in chunk:
                try:
                    out += _race_chunk(race, [spec], starts, surface)
                except Exception as exc:  # noqa: BLE001 - the live widget shows any error
                    out.append(f"{type(exc).__name__}: {exc}")
    return out


def _race_chunk(race: OptimizerRace, chunk: list[OptimizerSpec], starts: np.ndarray,
                surface: Surface) -> list[dict[str, Any] | str]:
    tagged = [OptimizerSpec(**{**s.__dict__, "name": f"{s.name}#{j}"})
              for j, s in enumerate(chunk)]
    result = run_race(surface, tagged, starts, int(race.steps), **_race_kwargs(race))
    out: list[dict[str, Any] | str] = []
    for j, spec in enumerate(chunk):
        tag = f"{tagged[j].name}:"
        notes = [spec.note] if spec.note and not spec.elementwise else []
        notes += [f"{spec.name}:{n[len(tag):]}" for n in result.notes if n.startswith(tag)]
        out.append(race._encode(_one(result, j, spec.name, notes), 0, spec))
    return out


def _optimizer_patch(name: str, spec: OptimizerSpec, enc: dict[str, Any]) -> Patch:
    return make_patch({
        ("hyper", name): dict(spec.hyper), ("paths", name): enc["paths"],
        ("loss_series", name): enc["loss"], ("diverged", name): enc["diverged"],
        ("statuses", name): enc["status"], ("explain", name): enc["explain"],
        ("summary", name): enc["summary"]})


def _hyper_states(race: OptimizerRace, groups: list[OfflineGroup]) -> list[list[Patch | str]]:
    """Every hyperparameter value of every group: one batch through the race engine."""
    variants: list[OptimizerSpec] = []
    where: list[list[int | str]] = []  # per group, per value: index into variants or a refusal
    for group in groups:
        name, key = group.meta["optimizer"], group.meta["hyper"]
        row: list[int | str] = []
        for (value,) in group.combinations():
            try:
                spec = race._specs[name].with_hyper(**{key: value})
            except (TypeError, ValueError) as exc:
                row.append(f"{type(exc).__name__}: {exc}")
                continue
            row.append(len(variants))
            variants.append(spec)
        where.append(row)
    encoded = _batched(race, variants, _starts(race, race._surface, race.start),
                       race._surface) if variants else []
    out: list[list[Patch | str]] = []
    for group, row in zip(groups, where):
        states: list[Patch | str] = []
        for i in row:
            enc = encoded[i] if isinstance(i, int) else i
            states.append(enc if isinstance(enc, str) else
                          _optimizer_patch(group.meta["optimizer"], variants[int(i)], enc))
        out.append(states)
    return out


def _surface_state(race: OptimizerRace, key: str, value: float) -> Patch | str:
    """The whole race on the surface with parameter ``key`` = ``value``, as ``_on_surface``."""
    name = race.surface_name
    allowed = SURFACE_PARAMS.get(name, {})
    asked = {**race.surface_params, key: value}
    try:
        surf = get_surface(name, **{k: float(v) for k, v in asked.items() if k in allowed})
    except (TypeError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    moved = race._surface.domain != surf.domain
    start = list(surf.start) if moved else list(race.start)
    params = dict(surf.params) if moved else asked
    active = [n for n in race.active if n in race._specs]
    specs = [race._specs[n] for n in active]
    try:
        grid = evaluate_grid(surf, race._resolution)
        starts = _starts(race, surf, start)
        result = run_race(surf, specs, starts, int(race.steps), **_race_kwargs(race))
    except Exception as exc:  # noqa: BLE001 - the live widget shows any error
        return f"{type(exc).__name__}: {exc}"
    enc = {n: race._encode(result, i) for i, n in enumerate(active)}
    return make_patch({
        ("surface_params",): params, ("surface_formula",): surf.formula,
        ("domain",): [float(v) for v in surf.domain], ("grid",): grid.z,
        ("z_range",): [grid.z_min, grid.z_max],
        ("minima",): np.array(surf.minima, dtype=np.float32).reshape(-1, 2),
        ("start",): [float(v) for v in start],
        ("hyper",): {n: dict(s.hyper) for n, s in race._specs.items()},
        ("paths",): {n: enc[n]["paths"] for n in active},
        ("loss_series",): {n: enc[n]["loss"] for n in active},
        ("diverged",): {n: enc[n]["diverged"] for n in active},
        ("statuses",): {n: enc[n]["status"] for n in active},
        ("explain",): {n: enc[n]["explain"] for n in active},
        ("summary",): {n: enc[n]["summary"] for n in active},
        ("notes",): list(result.notes),
    })


def race_offline_states(race: OptimizerRace, groups: Sequence[OfflineGroup]
                        ) -> list[list[Patch | str]]:
    """States of ``groups`` (from ``race_offline_groups``), without changing the race."""
    hyper = [g for g in groups if g.key.startswith("hyper/")]
    by_key = dict(zip((g.key for g in hyper), _hyper_states(race, hyper)))
    out: list[list[Patch | str]] = []
    for group in groups:
        if group.key in by_key:
            out.append(by_key[group.key])
        else:
            key = group.meta["param"]
            out.append([_surface_state(race, key, value) for (value,) in group.combinations()])
    return out
