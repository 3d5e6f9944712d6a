"""Two-dimensional loss surfaces f(x, y) written with torch ops, for the optimizer race.

Every surface is a function of two tensors of the same shape that returns a tensor of that
shape, element by element (the value at one point never depends on another point). That lets
one call evaluate a whole heatmap grid, and lets the race sum the loss over many start points
and still get each start's own gradient from one autograd pass. Gradients always come from
autograd; nothing here differentiates by hand or by finite differences.

Built-in surfaces (``SURFACES``) carry a default domain, their known minima, a formula string
for the page, and two default learning rates (one for plain gradient steps, whose step length
scales with the gradient, one for adaptive methods, whose step length is roughly the lr itself).
A user function ``lambda x, y: ...`` is checked once on a few points: it must return a tensor of
the input shape, be finite there, act element-wise, and be differentiable by autograd.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

SurfaceFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: Largest heatmap grid side accepted (a 2048x2048 grid is 4M evaluations and 16 MB of float32).
MAX_RESOLUTION = 2048


@dataclass
class Surface:
    """A loss surface: the function, where to look at it, and what is known about it."""

    name: str
    fn: SurfaceFn
    domain: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    formula: str
    minima: list[tuple[float, float]] = field(default_factory=list)
    lr_sgd: float = 1e-2  # default lr for methods whose step scales with the gradient
    lr_adaptive: float = 5e-2  # default lr for adaptive methods (step length ~ lr)
    noise_scale: float = 1.0  # a gradient-noise std that is visible but not overwhelming
    log_scale: bool = False  # whether the heatmap reads better on a log colour scale
    params: dict[str, float] = field(default_factory=dict)
    builtin: bool = True
    start: tuple[float, float] = (0.0, 0.0)  # a start point that makes a good race

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.fn(x, y)


@dataclass
class SurfaceGrid:
    """The surface sampled on a regular grid: ``z[j, i] = f(xs[i], ys[j])`` (rows are y)."""

    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray
    z_min: float
    z_max: float


# --- built-in surfaces -----------------------------------------------------------------------


def _quadratic(condition: float = 10.0, angle: float = 0.0) -> Surface:
    if not (isinstance(condition, (int, float)) and math.isfinite(condition)
            and 1.0 <= condition <= 1e4):
        raise ValueError(f"condition must be a number in [1, 10000], got {condition!r}")
    if not (isinstance(angle, (int, float)) and math.isfinite(angle)):
        raise ValueError(f"angle must be a finite number of degrees, got {angle!r}")
    kappa = float(condition)
    theta = math.radians(float(angle))
    c, s = math.cos(theta), math.sin(theta)

    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        u = c * x + s * y
        v = -s * x + c * y
        return 0.5 * (u * u + kappa * v * v)

    return Surface(
        name="quadratic", fn=fn, domain=(-3.0, 3.0, -3.0, 3.0), start=(-2.5, 1.5),
        formula=(f"f = ½(u² + κ·v²), κ = {kappa:g}, (u, v) = (x, y) rotated by {angle:g}°; "
                 "Hessian eigenvalues 1 and κ"),
        minima=[(0.0, 0.0)], lr_sgd=min(0.1, 1.0 / kappa), lr_adaptive=0.05,
        noise_scale=1.0, params={"condition": kappa, "angle": float(angle)},
    )


def _rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (a - x) ** 2 + b * (y - x * x) ** 2

    return Surface(
        name="rosenbrock", fn=fn, domain=(-2.0, 2.0, -1.0, 3.0), start=(-1.5, 2.0),
        formula=f"f = ({a:g} − x)² + {b:g}·(y − x²)²; minimum 0 at ({a:g}, {a * a:g})",
        minima=[(a, a * a)], lr_sgd=1e-3, lr_adaptive=0.05, noise_scale=20.0,
        log_scale=True, params={"a": a, "b": b},
    )


def _beale() -> Surface:
    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2
                + (2.625 - x + x * y ** 3) ** 2)

    return Surface(
        name="beale", fn=fn, domain=(-4.5, 4.5, -4.5, 4.5), start=(1.0, 1.5),
        formula="f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²; minimum 0 at (3, 0.5)",
        minima=[(3.0, 0.5)], lr_sgd=1e-3, lr_adaptive=0.05, noise_scale=5.0, log_scale=True,
    )


def _himmelblau() -> Surface:
    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    return Surface(
        name="himmelblau", fn=fn, domain=(-5.0, 5.0, -5.0, 5.0), start=(-0.5, -0.5),
        formula="f = (x² + y − 11)² + (x + y² − 7)²; four minima, all 0",
        minima=[(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                (3.584428, -1.848126)],
        lr_sgd=5e-3, lr_adaptive=0.1, noise_scale=10.0, log_scale=True,
    )


def _rastrigin(a: float = 10.0) -> Surface:
    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        two_pi = 2.0 * math.pi
        return (2 * a + x * x - a * torch.cos(two_pi * x) + y * y - a * torch.cos(two_pi * y))

    return Surface(
        name="rastrigin", fn=fn, domain=(-5.12, 5.12, -5.12, 5.12), start=(3.3, -2.6),
        formula=f"f = {2 * a:g} + Σ (t² − {a:g}·cos 2πt) over t ∈ {{x, y}}; global minimum 0 at (0, 0), a local minimum near every integer point",
        minima=[(0.0, 0.0)], lr_sgd=2e-3, lr_adaptive=0.05, noise_scale=20.0,
        params={"a": a},
    )


def _saddle() -> Surface:
    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x * x + 0.25 * y ** 4 - 0.5 * y * y

    return Surface(
        name="saddle", fn=fn, domain=(-2.0, 2.0, -2.0, 2.0), start=(-1.8, 0.01),
        formula="f = x² + y⁴/4 − y²/2; saddle point at (0, 0), minima −¼ at (0, ±1)",
        minima=[(0.0, 1.0), (0.0, -1.0)], lr_sgd=0.05, lr_adaptive=0.02, noise_scale=0.5,
    )


def _plateau() -> Surface:
    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return 1.0 - torch.exp(-0.5 * (x * x + y * y))

    return Surface(
        name="plateau", fn=fn, domain=(-5.0, 5.0, -5.0, 5.0), start=(-2.6, 2.2),
        formula="f = 1 − exp(−(x² + y²)/2); flat far from the origin (tiny gradients), minimum 0 at (0, 0)",
        minima=[(0.0, 0.0)], lr_sgd=1.0, lr_adaptive=0.1, noise_scale=0.05,
    )


def _local_minima() -> Surface:
    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x2 = x * x
        return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y * y) * y * y

    return Surface(
        name="local_minima", fn=fn, domain=(-2.0, 2.0, -1.2, 1.2), start=(-1.6, -0.9),
        formula=("six-hump camel: f = (4 − 2.1x² + x⁴/3)x² + xy + (−4 + 4y²)y²; six local minima, "
                 "global minimum −1.0316 at ±(0.0898, −0.7126)"),
        minima=[(0.0898, -0.7126), (-0.0898, 0.7126)], lr_sgd=0.01, lr_adaptive=0.02,
        noise_scale=1.0,
    )


SURFACES: dict[str, Callable[..., Surface]] = {
    "quadratic": _quadratic,
    "rosenbrock": _rosenbrock,
    "beale": _beale,
    "himmelblau": _himmelblau,
    "rastrigin": _rastrigin,
    "saddle": _saddle,
    "plateau": _plateau,
    "local_minima": _local_minima,
}

#: Parameters a built-in surface takes (the widget shows them as sliders).
SURFACE_PARAMS: dict[str, dict[str, dict[str, float]]] = {
    "quadratic": {
        "condition": {"min": 1.0, "max": 100.0, "default": 10.0, "log": 1.0},
        "angle": {"min": 0.0, "max": 180.0, "default": 0.0, "log": 0.0},
    },
    "rosenbrock": {
        "a": {"min": 0.0, "max": 2.0, "default": 1.0, "log": 0.0},
        "b": {"min": 1.0, "max": 200.0, "default": 100.0, "log": 1.0},
    },
    "rastrigin": {
        "a": {"min": 0.0, "max": 20.0, "default": 10.0, "log": 0.0},
    },
}


def _check_domain(domain: Any) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in domain)
    except (TypeError, ValueError):
        raise TypeError(
            f"domain must be four numbers (x_min, x_max, y_min, y_max), got {domain!r}"
        ) from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"domain must be four finite numbers (x_min, x_max, y_min, y_max), got {domain!r}")
    x0, x1, y0, y1 = values
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"domain needs x_min < x_max and y_min < y_max, got {domain!r}")
    return x0, x1, y0, y1


def check_surface_fn(fn: SurfaceFn, name: str = "surface",
                     domain: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0)) -> None:
    """Check a user's ``f(x, y)`` on a few points; raise ``ValueError`` naming ``surface``.

    It must accept float64 tensors, return a tensor of the same shape, act element-wise (the
    value at a point does not depend on the other points of the batch) and have an autograd
    gradient. Failures inside the function are re-raised with what went wrong.
    """
    x0, x1, y0, y1 = domain
    xs = torch.tensor([x0 + 0.31 * (x1 - x0), x0 + 0.57 * (x1 - x0), x0 + 0.83 * (x1 - x0)],
                      dtype=torch.float64, requires_grad=True)
    ys = torch.tensor([y0 + 0.62 * (y1 - y0), y0 + 0.29 * (y1 - y0), y0 + 0.71 * (y1 - y0)],
                      dtype=torch.float64, requires_grad=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's "tensor to scalar" warning
            out = fn(xs, ys)
    except Exception as exc:  # the user's code: report it, whatever it is
        raise ValueError(
            f"{name}: the function raised {type(exc).__name__}: {exc} when called with two "
            "float64 tensors of shape (3,); write it with torch operations (torch.sin, not "
            "math.sin) so it works on tensors"
        ) from exc
    if not isinstance(out, torch.Tensor):
        raise ValueError(
            f"{name}: the function must return a torch.Tensor, got {type(out).__name__}; "
            "use torch operations on x and y"
        )
    if tuple(out.shape) != (3,):
        raise ValueError(
            f"{name}: the function must return a tensor of the same shape as x and y (element-wise), "
            f"got shape {tuple(out.shape)} for inputs of shape (3,); did it reduce with sum() or mean()?"
        )
    if not out.is_floating_point():
        raise ValueError(f"{name}: the function must return floating-point values, got {out.dtype}")
    if not out.requires_grad:
        raise ValueError(
            f"{name}: the result carries no gradient; it must be computed from x and y with torch "
            "operations (no .item(), .numpy() or detach())"
        )
    try:
        gx, gy = torch.autograd.grad(out.sum(), (xs, ys), allow_unused=True)
    except RuntimeError as exc:
        raise ValueError(f"{name}: autograd cannot differentiate the function: {exc}") from exc
    if gx is None and gy is None:
        raise ValueError(f"{name}: the result does not depend on x or y")
    values = out.detach()
    for k in range(3):
        single = fn(xs.detach()[k:k + 1], ys.detach()[k:k + 1])
        if not isinstance(single, torch.Tensor) or tuple(single.shape) != (1,):
            raise ValueError(
                f"{name}: the function must return one value per point; got shape "
                f"{tuple(getattr(single, 'shape', ()))} for inputs of shape (1,)"
            )
        a, b = float(single.detach()[0]), float(values[k])
        if not (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))):
            raise ValueError(
                f"{name}: the function must act element-wise: its value at one point changed with "
                f"the other points in the batch ({a!r} alone vs {b!r} in a batch)"
            )


def get_surface(surface: str | SurfaceFn | Surface, *,
                domain: Any = None, **params: Any) -> Surface:
    """Resolve a surface name (with its parameters), a ``Surface`` or a user ``f(x, y)``."""
    if isinstance(surface, Surface):
        result = surface
        if params:
            raise ValueError(f"surface parameters {sorted(params)} apply only to a surface given by name")
    elif isinstance(surface, str):
        key = surface.strip().lower().replace("-", "_").replace(" ", "_")
        if key not in SURFACES:
            raise ValueError(
                f"surface={surface!r} is not known; choose one of: {', '.join(SURFACES)} "
                "or pass a function f(x, y) written with torch ops"
            )
        allowed = set(SURFACE_PARAMS.get(key, {}))
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ValueError(
                f"surface {key!r} takes no parameter(s) {unknown}; it takes: "
                f"{', '.join(sorted(allowed)) or 'none'}"
            )
        for pname, value in params.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise TypeError(f"surface parameter {pname} must be a finite number, got {value!r}")
        result = SURFACES[key](**params)
    elif callable(surface):
        if params:
            raise ValueError(f"surface parameters {sorted(params)} apply only to a surface given by name")
        dom = _check_domain(domain) if domain is not None else (-3.0, 3.0, -3.0, 3.0)
        check_surface_fn(surface, "surface", dom)
        label = getattr(surface, "__name__", "custom")
        result = Surface(
            name="custom" if label == "<lambda>" else str(label), fn=surface, domain=dom,
            formula="user function f(x, y)", lr_sgd=1e-2, lr_adaptive=5e-2, noise_scale=1.0,
            builtin=False, start=(dom[0] + 0.2 * (dom[1] - dom[0]), dom[2] + 0.8 * (dom[3] - dom[2])),
        )
        return result
    else:
        raise TypeError(
            f"surface must be a name ({', '.join(SURFACES)}) or a function f(x, y) -> tensor, "
            f"got {type(surface).__name__}"
        )
    if domain is not None:
        dom = _check_domain(domain)
        result = Surface(**{**result.__dict__, "domain": dom})
    return result


def evaluate_grid(surface: Surface, resolution: int = 256, *,
                  domain: Any = None, device: torch.device | str | None = None,
                  dtype: torch.dtype = torch.float64) -> SurfaceGrid:
    """Sample the surface on a ``resolution`` x ``resolution`` grid in ONE batched call."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be an integer in [2, {MAX_RESOLUTION}], got {resolution!r}")
    x0, x1, y0, y1 = _check_domain(domain if domain is not None else surface.domain)
    dev = torch.device(device) if device is not None else torch.device("cpu")
    xs = torch.linspace(x0, x1, resolution, dtype=dtype, device=dev)
    ys = torch.linspace(y0, y1, resolution, dtype=dtype, device=dev)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    with torch.no_grad():
        try:
            z = surface.fn(gx, gy)
        except Exception as exc:
            raise ValueError(f"surface: evaluating the function on the grid failed: "
                             f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(z, torch.Tensor) or tuple(z.shape) != (resolution, resolution):
        raise ValueError(
            f"surface: the function returned shape {tuple(getattr(z, 'shape', ()))} on a "
            f"({resolution}, {resolution}) grid; it must return the shape of its inputs"
        )
    zn = z.detach().to("cpu", torch.float64).numpy()
    finite = zn[np.isfinite(zn)]
    z_min = float(finite.min()) if finite.size else 0.0
    z_max = float(finite.max()) if finite.size else 1.0
    return SurfaceGrid(xs=xs.cpu().numpy(), ys=ys.cpu().numpy(), z=zn, z_min=z_min, z_max=z_max)
