"""Optimizer race widget: torch.optim optimizers racing across a loss surface.

The surface grid, every optimizer's trail (for every start in swarm mode), its loss series,
divergence step, status and explainer data (the gradient and the torch optimizer's own state
per step) are all in synced state as binary arrays, so the animation, the timeline, hover and
the explainer work in a static export with no kernel. Changing a hyperparameter re-runs only
that optimizer (the noise is seeded and shared, so this equals re-running the whole race);
changing the start, steps, swarm, noise or surface re-runs all of them.

``LossLandscape`` (and ``loss_landscape``) shows a real network's loss on a 2-D slice (Li et
al., 2018) with its training trajectory, through the same front end.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import traitlets as t

from ..engine import args as _args
from ..engine.landscape import LandscapeResult, LossFn, loss_landscape_2d, record_trajectory
from ..engine.race import (
    DEFAULT_RACE,
    OPTIMIZERS,
    STATE_LABELS,
    STATUS_NAMES,
    OptimizerSpec,
    RaceResult,
    check_lr,
    resolve_optimizer,
    resolve_optimizers,
    run_race,
    swarm_starts,
)
from ..engine.surfaces import (
    SURFACE_PARAMS,
    SURFACES,
    Surface,
    SurfaceGrid,
    evaluate_grid,
    get_surface,
)
from ..export_precompute import OfflineGroup, Patch
from ..suggest import unknown_name
from ._base import DLWidget, bundle
from ._traits import Array, ArrayDict, array_dict_serialization, array_serialization, frozen

#: Largest swarm the widget draws (the engine takes more).
MAX_SWARM = 512
MAX_WIDGET_STEPS = 5000


def _hyper_info(spec: OptimizerSpec) -> list[dict[str, Any]]:
    return [{"key": h.key, "label": h.label, "min": h.lo, "max": h.hi, "log": h.log}
            for h in spec.hypers if h.key in spec.hyper]


class _SurfaceView(DLWidget):
    """Traits shared by the race and the landscape: one front end draws both."""

    _esm = bundle("optimizer_race")

    mode = t.Unicode("race").tag(sync=True)  # "race" | "landscape"
    title = t.Unicode("Optimizer race").tag(sync=True)
    surface_name = t.Unicode("rosenbrock").tag(sync=True)
    surface_names = t.List(t.Unicode(), default_value=list(SURFACES)).tag(sync=True)
    surface_params = t.Dict().tag(sync=True)
    surface_param_info = t.Dict(default_value=SURFACE_PARAMS).tag(sync=True)
    surface_formula = t.Unicode("").tag(sync=True)
    axis_labels = t.List(t.Unicode(), default_value=["x", "y"]).tag(sync=True)
    domain = t.List(t.Float(), default_value=[-2.0, 2.0, -1.0, 3.0]).tag(sync=True)
    grid = Array("float32", ndim=2).tag(sync=True, **array_serialization)  # (R, R), rows are y
    z_range = t.List(t.Float(), default_value=[0.0, 1.0]).tag(sync=True)
    minima = Array("float32", ndim=2).tag(sync=True, **array_serialization)  # (m, 2)
    log_scale = t.Bool(False).tag(sync=True)
    explainer = t.Bool(False).tag(sync=True)

    racers = t.List(t.Dict()).tag(sync=True)  # per optimizer: name, formula, class, sliders...
    hyper = t.Dict().tag(sync=True)  # name -> {key: value}: what the sliders change
    available = t.List(t.Unicode(), default_value=list(OPTIMIZERS)).tag(sync=True)
    active = t.List(t.Unicode()).tag(sync=True)  # names racing now (menu adds/removes)
    start = t.List(t.Float(), default_value=[0.0, 0.0]).tag(sync=True)
    steps = t.Int(300).tag(sync=True)
    swarm = t.Int(0).tag(sync=True)  # 0: one start; n > 0: n starts (the start first)
    noise = t.Float(0.0).tag(sync=True)  # gradient-noise std used when noise_on
    noise_on = t.Bool(False).tag(sync=True)
    seed = t.Int(0).tag(sync=True)

    # per optimizer name (n starts):
    paths = ArrayDict(values=Array("float32", ndim=3)).tag(  # (steps + 1, n, 2)
        sync=True, **array_dict_serialization)
    loss_series = ArrayDict(values=Array("float32", ndim=2)).tag(  # (steps + 1, n)
        sync=True, **array_dict_serialization)
    diverged = ArrayDict(values=Array("int32", ndim=1)).tag(  # (n,): step, -1 when never
        sync=True, **array_dict_serialization)
    statuses = ArrayDict(values=Array("int8", ndim=1)).tag(  # (n,): 0 running, 1 converged,
        sync=True, **array_dict_serialization)                # 2 diverged
    # {"grad": (steps, 2), "state": {key: (steps, 2)}, "labels": {key: [label, role]}, "lr"}
    explain = ArrayDict(values=ArrayDict(fields={
        "grad": Array("float32", ndim=2),
        "state": ArrayDict(values=Array("float32", ndim=2))})).tag(
        sync=True, **array_dict_serialization)
    summary = t.Dict().tag(sync=True)  # name -> {"status", "final_loss", "diverged_step", counts}
    notes = t.List(t.Unicode()).tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    compute_ms = t.Float(0.0).tag(sync=True)
    revision = t.Int(0).tag(sync=True)  # bumped on every publish (the front end's ack)


def _lr_or_none(lr: Any) -> float | None:
    """A racer's learning rate for the explainer, None when it has none to show (a factory such
    as ``lambda params: SGD(params, lr=0.1)`` keeps its own): never NaN, which is not JSON."""
    try:
        value = float(lr)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class OptimizerRace(_SurfaceView):
    """Optimizers from ``torch.optim`` racing on a loss surface, with a shared timeline."""

    def __init__(self, surface: str | Any = "rosenbrock",
                 optimizers: Sequence[Any] | Any = ("sgd", "momentum", "adam"),
                 start: tuple[float, float] | None = None, steps: int = 300, *,
                 swarm: int = 0, noise: float = 0.0, seed: int = 0, resolution: int = 256,
                 domain: Any = None, log_scale: bool | None = None, tol: float = 1e-3,
                 bound: float | None = None, surface_params: dict[str, float] | None = None,
                 explainer: bool = False) -> None:
        if surface_params is not None and not isinstance(surface_params, dict):
            raise TypeError(f"surface_params must be a dict of numbers, got {surface_params!r:.60}")
        seed = _args.integer(seed, "seed", 0, 2**31 - 1)
        if bound is not None:
            bound = _args.real(bound, "bound", 0.0, lo_open=True)
        explainer = _args.flag(explainer, "explainer")
        surf = get_surface(surface, domain=domain, **(surface_params or {}))
        specs = resolve_optimizers(optimizers, surf)
        self._check_steps(steps)
        self._check_swarm(swarm)
        self._check_noise(noise)
        if isinstance(resolution, bool) or not isinstance(resolution, int) or not 16 <= resolution <= 1024:
            raise ValueError(f"resolution must be an integer in [16, 1024], got {resolution!r}")
        if not isinstance(tol, (int, float)) or not tol > 0:
            raise ValueError(f"tol must be a number > 0, got {tol!r}")
        self._surface = surf
        self._custom: dict[str, Surface] = {} if surf.builtin else {surf.name: surf}
        self._resolution = int(resolution)
        self._tol = float(tol)
        self._bound = bound
        self._specs: dict[str, OptimizerSpec] = {s.name: s for s in specs}
        self._result: RaceResult | None = None
        self._encoded: dict[str, dict[str, Any]] = {}
        self._grid: SurfaceGrid | None = None
        self._busy = True  # observers stay quiet while constructing
        pt = self._check_start(start if start is not None else surf.start, surf)
        super().__init__(
            surface_name=surf.name, surface_params=dict(surf.params),
            surface_names=list(SURFACES) + list(self._custom), steps=int(steps), swarm=int(swarm),
            noise=float(noise) if noise else float(surf.noise_scale), noise_on=bool(noise),
            seed=int(seed), start=list(pt), explainer=bool(explainer),
            log_scale=surf.log_scale if log_scale is None else bool(log_scale),
            active=[s.name for s in specs],
            available=list(OPTIMIZERS) + [n for n in self._specs if n not in OPTIMIZERS],
            hyper={s.name: dict(s.hyper) for s in specs},
        )
        self._publish_surface()
        self._run(None)
        self._busy = False

    # --- validation --------------------------------------------------------------------------

    @staticmethod
    def _check_steps(steps: Any) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_WIDGET_STEPS:
            raise ValueError(f"steps must be an integer in [1, {MAX_WIDGET_STEPS}], got {steps!r}")

    @staticmethod
    def _check_swarm(swarm: Any) -> None:
        if isinstance(swarm, bool) or not isinstance(swarm, int) or not 0 <= swarm <= MAX_SWARM:
            raise ValueError(f"swarm must be an integer in [0, {MAX_SWARM}] (0: one start), got {swarm!r}")

    @staticmethod
    def _check_noise(noise: Any) -> None:
        if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not math.isfinite(noise) \
                or noise < 0:
            raise ValueError(f"noise must be a number >= 0 (gradient-noise std), got {noise!r}")

    @staticmethod
    def _check_start(start: Any, surf: Surface) -> tuple[float, float]:
        try:
            x, y = (float(v) for v in start)
        except (TypeError, ValueError):
            raise TypeError(f"start must be a point (x, y), got {start!r}") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"start must be finite, got {start!r}")
        with torch.no_grad():
            z = surf.fn(torch.tensor([x], dtype=torch.float64), torch.tensor([y], dtype=torch.float64))
        if not bool(torch.isfinite(z).all()):
            raise ValueError(f"start: the surface is not finite at ({x:g}, {y:g})")
        return x, y

    @t.validate("steps")
    def _v_steps(self, proposal: t.Bunch) -> int:
        try:
            self._check_steps(proposal["value"])
        except ValueError as exc:
            raise t.TraitError(str(exc)) from None
        return int(proposal["value"])

    @t.validate("swarm")
    def _v_swarm(self, proposal: t.Bunch) -> int:
        try:
            self._check_swarm(proposal["value"])
        except ValueError as exc:
            raise t.TraitError(str(exc)) from None
        return int(proposal["value"])

    @t.validate("noise")
    def _v_noise(self, proposal: t.Bunch) -> float:
        try:
            self._check_noise(proposal["value"])
        except ValueError as exc:
            raise t.TraitError(str(exc)) from None
        return float(proposal["value"])

    @t.validate("start")
    def _v_start(self, proposal: t.Bunch) -> list[float]:
        try:
            return list(self._check_start(proposal["value"], self._surface))
        except (TypeError, ValueError) as exc:
            raise t.TraitError(str(exc)) from None

    # --- computing ---------------------------------------------------------------------------

    def _starts(self) -> np.ndarray:
        first = (float(self.start[0]), float(self.start[1]))
        if self.swarm > 0:
            return swarm_starts(self._surface, int(self.swarm), int(self.seed), first=first)
        return np.array([first])

    def _publish_surface(self) -> None:
        surf = self._surface
        grid = evaluate_grid(surf, self._resolution)
        self._grid = grid
        with self.hold_sync():
            self.surface_formula = surf.formula
            self.domain = [float(v) for v in surf.domain]
            self.grid = grid.z
            self.z_range = [grid.z_min, grid.z_max]
            self.minima = np.array(surf.minima, dtype=np.float32).reshape(-1, 2)

    def _racer_info(self, spec: OptimizerSpec) -> dict[str, Any]:
        return {"name": spec.name, "formula": spec.formula, "class_name": spec.class_name,
                "kind": spec.kind, "elementwise": spec.elementwise, "note": spec.note,
                "hypers": _hyper_info(spec)}

    def _encode(self, result: RaceResult, i: int, spec: OptimizerSpec | None = None
                ) -> dict[str, Any]:
        name = result.names[i]
        spec = spec if spec is not None else self._specs[name]
        steps = result.steps
        state = {}
        labels = {}
        for key, series in result.states[i].items():
            state[key] = frozen(series, "float32")
            label, role = STATE_LABELS.get(key, (key, "other"))
            labels[key] = [label, role]
        counts = {s: int((result.status[i] == k).sum()) for k, s in enumerate(STATUS_NAMES)}
        d0 = int(result.diverged_step[i, 0])
        final = float(result.losses[i, -1, 0])
        return {
            "paths": frozen(result.positions[i], "float32"),
            "loss": frozen(result.losses[i], "float32"),
            "diverged": frozen(result.diverged_step[i], "int32"),
            "status": frozen(result.status[i], "int8"),
            "explain": {"grad": frozen(result.grads[i], "float32"), "state": state,
                        "labels": labels, "lr": _lr_or_none(spec.hyper.get("lr"))},
            "summary": {"status": STATUS_NAMES[int(result.status[i, 0])],
                        "final_loss": final if math.isfinite(final) else None,
                        "diverged_step": d0, "counts": counts, "steps": steps,
                        "notes": [n for n in result.notes if n.startswith(f"{name}:")]},
        }

    def _run(self, names: Sequence[str] | None) -> None:
        """Re-run ``names`` (None: every active optimizer) and publish the state."""
        t0 = time.perf_counter()
        active = [n for n in self.active if n in self._specs]
        starts = self._starts()
        noise = float(self.noise) if self.noise_on else 0.0
        kwargs = {"noise": noise, "seed": int(self.seed), "tol": self._tol, "bound": self._bound}
        if names is None or self._result is None:
            todo = active
        else:
            todo = [n for n in names if n in active]
            missing = [n for n in active if n not in self._result.names]
            todo += [n for n in missing if n not in todo]
        if todo:
            partial = run_race(self._surface, [self._specs[n] for n in todo], starts,
                               int(self.steps), **kwargs)  # type: ignore[arg-type]
            base = self._result if (names is not None and self._result is not None) else None
            merged = base.replace(partial) if base is not None else partial
            for i, name in enumerate(partial.names):
                self._encoded[name] = self._encode(partial, i)
        else:
            merged = self._result  # type: ignore[assignment]
        self._result = merged.subset(active) if merged is not None and active else merged
        self._publish(active, time.perf_counter() - t0)

    def _publish(self, active: list[str], seconds: float) -> None:
        with self.hold_sync():
            self.racers = [self._racer_info(self._specs[n]) for n in active]
            self.hyper = {n: dict(self._specs[n].hyper) for n in self._specs}
            self.paths = {n: self._encoded[n]["paths"] for n in active}
            self.loss_series = {n: self._encoded[n]["loss"] for n in active}
            self.diverged = {n: self._encoded[n]["diverged"] for n in active}
            self.statuses = {n: self._encoded[n]["status"] for n in active}
            self.explain = {n: self._encoded[n]["explain"] for n in active}
            self.summary = {n: self._encoded[n]["summary"] for n in active}
            self.notes = list(self._result.notes) if self._result is not None else []
            self.error = ""
            self.compute_ms = seconds * 1e3
            self.revision = self.revision + 1

    def _guarded(self, action: Any) -> None:
        """Run a recompute triggered by a trait change; show failures instead of raising."""
        if self._busy:
            return
        self._busy = True
        try:
            action()
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.revision = self.revision + 1
        finally:
            self._busy = False

    # --- observers (the front end changes these traits) --------------------------------------

    @t.observe("hyper")
    def _on_hyper(self, change: t.Bunch) -> None:
        new = change["new"] or {}

        def apply() -> None:
            changed = []
            for name, values in new.items():
                spec = self._specs.get(name)
                if spec is None or not isinstance(values, dict):
                    continue
                diff = {k: v for k, v in values.items()
                        if k in spec.hyper and v != spec.hyper[k]}
                if diff:
                    self._specs[name] = spec.with_hyper(**diff)
                    changed.append(name)
            if changed:
                self._run(changed)

        self._guarded(apply)

    @t.observe("start", "steps", "swarm", "noise", "noise_on", "seed")
    def _on_race_setting(self, change: t.Bunch) -> None:
        if change["name"] == "noise" and not self.noise_on:
            return
        self._guarded(lambda: self._run(None))

    @t.observe("active")
    def _on_active(self, change: t.Bunch) -> None:
        def apply() -> None:
            for name in change["new"]:
                if name not in self._specs:
                    if name not in OPTIMIZERS:
                        raise ValueError(unknown_name("optimizer", name, OPTIMIZERS))
                    self._specs[name] = resolve_optimizer(name, self._surface)
            self._run([n for n in change["new"] if n not in (change["old"] or [])])

        self._guarded(apply)

    @t.observe("surface_name", "surface_params")
    def _on_surface(self, change: t.Bunch) -> None:
        def apply() -> None:
            name = self.surface_name
            if name in self._custom:
                surf = self._custom[name]
            else:
                allowed = SURFACE_PARAMS.get(name, {})
                params = {k: float(v) for k, v in (self.surface_params or {}).items() if k in allowed}
                surf = get_surface(name, **params)
            old = self._surface
            self._surface = surf
            # learning rates are surface-specific: named optimizers take the new defaults
            for key, spec in list(self._specs.items()):
                entry = OPTIMIZERS.get(key)
                if change["name"] == "surface_name" and entry is not None and spec.kind != "user":
                    lr = {"sgd": surf.lr_sgd, "adaptive": surf.lr_adaptive}.get(entry.lr_kind)
                    if lr is not None:
                        self._specs[key] = spec.with_hyper(lr=lr)
            self._publish_surface()
            if change["name"] == "surface_name" or old.domain != surf.domain:
                self.start = list(surf.start)
                self.surface_params = dict(surf.params)
            self._result = None
            self._run(None)

        self._guarded(apply)

    # --- static export: precomputed sliders (see _race_offline.py) --------------------------

    def offline_groups(self) -> list[OfflineGroup]:
        """Each optimizer's learning rate, then its other hyperparameters, then the surface's
        parameters: the controls a static page answers from precomputed states."""
        from ._race_offline import race_offline_groups

        return race_offline_groups(self)

    def offline_states(self, groups: Sequence[OfflineGroup]) -> list[list[Patch | str]]:
        """The groups' states, by the race engine in batch (see ``race_offline_states``)."""
        from ._race_offline import race_offline_states

        return race_offline_states(self, groups)

    # --- Python API --------------------------------------------------------------------------

    def set_hyper(self, name: str, **values: Any) -> None:
        """Change hyperparameters of one optimizer (e.g. ``set_hyper("adam", lr=0.1)``)."""
        if name not in self._specs or name not in self.active:
            raise KeyError(f"no optimizer {name!r} in this race; it has: {', '.join(self.active)}")
        spec = self._specs[name]
        unknown = sorted(set(values) - set(spec.hyper))
        if unknown:
            raise ValueError(f"{name!r} has no slider {unknown}; it has: {', '.join(spec.hyper)}")
        if "lr" in values:
            check_lr(values["lr"], name)
        spec.with_hyper(**values)  # validates (raises) before anything changes
        self.hyper = {**self.hyper, name: {**spec.hyper, **values}}
        if self.error:
            raise ValueError(self.error)

    @property
    def surface(self) -> Surface:
        """The loss surface being raced on."""
        return self._surface

    @property
    def result(self) -> RaceResult:
        """The full engine result (numpy arrays of every start)."""
        assert self._result is not None
        return self._result

    @property
    def trajectories(self) -> dict[str, np.ndarray]:
        """name -> (steps + 1, 2) positions of the start point (float64)."""
        r = self.result
        return {n: r.positions[i, :, 0, :].copy() for i, n in enumerate(r.names)}

    @property
    def losses(self) -> dict[str, np.ndarray]:
        """name -> (steps + 1,) loss along the trail of the start point."""
        r = self.result
        return {n: r.losses[i, :, 0].copy() for i, n in enumerate(r.names)}

    @property
    def status(self) -> dict[str, str]:
        """name -> "converged" / "diverged" / "running" for the start point."""
        r = self.result
        return {n: STATUS_NAMES[int(r.status[i, 0])] for i, n in enumerate(r.names)}

    @property
    def swarm_trajectories(self) -> dict[str, np.ndarray]:
        """name -> (steps + 1, n_starts, 2) positions of every start (the start point first)."""
        r = self.result
        return {n: r.positions[i].copy() for i, n in enumerate(r.names)}

    def arrays(self) -> dict[str, np.ndarray]:
        """The race's data as plain numpy arrays, keyed ``"<optimizer>/<what>"``.

        Per optimizer: ``positions`` (steps + 1, starts, 2), ``losses`` (steps + 1, starts),
        ``diverged_step`` and ``status`` (starts,), ``grads`` (steps, 2) and every recorded
        torch optimizer state entry ``state/<key>`` (steps, 2) of the start point; plus
        ``starts`` (starts, 2) and the surface ``grid`` with its axes ``grid_x``, ``grid_y``.
        """
        r = self.result
        out: dict[str, np.ndarray] = {"starts": r.starts.copy()}
        if self._grid is not None:
            out.update(grid=self._grid.z.copy(), grid_x=self._grid.xs.copy(),
                       grid_y=self._grid.ys.copy())
        for i, name in enumerate(r.names):
            out[f"{name}/positions"] = r.positions[i].copy()
            out[f"{name}/losses"] = r.losses[i].copy()
            out[f"{name}/diverged_step"] = r.diverged_step[i].copy()
            out[f"{name}/status"] = r.status[i].copy()
            out[f"{name}/grads"] = r.grads[i].copy()
            for key, series in r.states[i].items():
                out[f"{name}/state/{key}"] = series.copy()
        return out

    def save_npz(self, path: str | Any) -> Any:
        """Write ``arrays()`` to a compressed ``.npz`` file; returns the path written."""
        import pathlib

        target = pathlib.Path(path)
        if target.suffix != ".npz":
            target = target.with_suffix(".npz")
        np.savez_compressed(target, **self.arrays())  # type: ignore[arg-type]
        return target

    @property
    def swarm_status(self) -> dict[str, dict[str, int]]:
        """name -> how many starts converged / diverged / are still running."""
        r = self.result
        return {n: {s: int((r.status[i] == k).sum()) for k, s in enumerate(STATUS_NAMES)}
                for i, n in enumerate(r.names)}


class LossLandscape(_SurfaceView):
    """A real network's loss on a 2-D slice through its weights, with the training trajectory."""

    def __init__(self, result: LandscapeResult, *, log_scale: bool = True,
                 title: str = "Loss landscape") -> None:
        self._landscape = result
        a, b = result.alphas, result.betas
        z = result.loss
        finite = z[np.isfinite(z)]
        racers = []
        paths: dict[str, Any] = {}
        series: dict[str, Any] = {}
        diverged: dict[str, Any] = {}
        statuses: dict[str, Any] = {}
        summary: dict[str, Any] = {}
        steps = 1
        if result.trajectory is not None and result.trajectory_loss is not None:
            steps = len(result.trajectory) - 1
            racers = [{"name": "training", "formula": "projection of θ_t onto the slice "
                       f"(captures {100 * (result.captured or 0):.1f}% of ‖θ_t − θ*‖²)",
                       "class_name": "", "kind": "trajectory", "elementwise": True, "note": "",
                       "hypers": []}]
            paths = {"training": result.trajectory[:, None, :]}
            series = {"training": result.trajectory_loss[:, None]}
            diverged = {"training": np.array([-1], dtype=np.int32)}
            statuses = {"training": np.array([0], dtype=np.int8)}
            final = float(result.trajectory_loss[-1])
            summary = {"training": {"status": "trained", "final_loss": final, "diverged_step": -1,
                                    "counts": {}, "steps": steps}}
        directions = ("filter-normalized random directions (Li et al., 2018)"
                      if result.directions == "random" else "top two PCA directions of the trajectory")
        super().__init__(
            mode="landscape", title=title, surface_name="network", surface_names=["network"],
            surface_formula=(f"L(α, β) = loss(θ* + α·d₁ + β·d₂), {directions}; "
                             f"{result.n_params} parameters, {result.n_samples} samples, "
                             f"loss at θ* = {result.center_loss:.4g}"),
            axis_labels=["α (d₁)", "β (d₂)"],
            domain=[float(a[0]), float(a[-1]), float(b[0]), float(b[-1])],
            grid=z,
            z_range=[float(finite.min()) if finite.size else 0.0,
                     float(finite.max()) if finite.size else 1.0],
            minima=np.zeros((1, 2), dtype=np.float32), log_scale=log_scale,
            racers=racers, hyper={}, available=[], active=[r["name"] for r in racers],
            start=[float(result.trajectory[0, 0]), float(result.trajectory[0, 1])]
            if result.trajectory is not None else [0.0, 0.0],
            steps=steps, paths=paths, loss_series=series, diverged=diverged, statuses=statuses,
            summary=summary, notes=[f"computed on {result.device} in {result.elapsed_s:.2f} s"],
        )

    @property
    def result(self) -> LandscapeResult:
        """The engine result: grid, trajectory coordinates and losses."""
        return self._landscape


def loss_landscape(model: torch.nn.Module, data: Any, loss_fn: LossFn | None = None, *,
                   trajectory: Any = None, train_steps: int = 0, optimizer: str = "adam",
                   lr: float = 1e-2, resolution: int = 51, span: float = 1.0,
                   directions: str = "random", seed: int = 0,
                   device: torch.device | str | None = None, log_scale: bool = True) -> LossLandscape:
    """Loss of ``model`` on a 2-D slice through its weights (Li et al., 2018), as a widget.

    Pass the training ``trajectory`` (snapshots of the weights), or ``train_steps`` > 0 to train
    ``model`` in place first and record it. The grid is evaluated in batch with
    ``torch.func.vmap`` on ``device`` (default: CUDA, then MPS, then CPU).
    """
    if trajectory is None and train_steps:
        trajectory = record_trajectory(model, data, loss_fn, optimizer=optimizer, lr=lr,
                                       steps=train_steps, seed=seed)
    result = loss_landscape_2d(model, data, loss_fn, resolution=resolution, span=span,
                               directions=directions, trajectory=trajectory, seed=seed,
                               device=device)
    return LossLandscape(result, log_scale=log_scale)


__all__ = ["DEFAULT_RACE", "LossLandscape", "OptimizerRace", "loss_landscape"]
