"""The race's traced surface gradient is autograd's gradient, bit for bit, for every built-in
surface and for user functions; surfaces that cannot be traced keep backward()."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlwidgets.engine.race import resolve_optimizers, run_race, swarm_starts
from dlwidgets.engine.surface_grad import eager_gradient, traced_gradient
from dlwidgets.engine.surfaces import SURFACES, get_surface


@pytest.mark.parametrize("name", sorted(SURFACES))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_traced_gradient_equals_backward_on_every_builtin_surface(name: str,
                                                                  dtype: torch.dtype) -> None:
    surface = get_surface(name)
    starts = torch.from_numpy(swarm_starts(surface, 48, seed=1))
    points = starts.to(dtype).unsqueeze(0).repeat(3, 1, 1)  # (k optimizers, n starts, 2)
    grad = traced_gradient(surface.fn, points)
    assert grad is not None, f"{name} could not be traced"
    # new points of the same shape, as the race's later steps are
    moved = points + 0.37 * torch.randn(points.shape, generator=torch.Generator().manual_seed(2),
                                        dtype=dtype)
    for p in (points, moved):
        with torch.inference_mode():
            traced = grad(p)
        assert torch.equal(traced, eager_gradient(surface.fn, p)[1])


def test_user_surface_is_traced_and_a_value_branching_one_is_not() -> None:
    def smooth(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.log1p(x ** 2 + 3 * torch.sin(y) ** 2) + 0.1 * x * y

    def branching(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if bool((x > 0).all()):  # a Python branch on values: a trace would bake one side in
            return x * x + y * y
        return (x - 1) ** 2 + y * y

    p = torch.tensor([[[0.5, -0.25]]], dtype=torch.float64)
    assert traced_gradient(smooth, p) is not None
    assert traced_gradient(branching, p) is None


def test_race_on_an_untraceable_surface_equals_the_traced_kind() -> None:
    """Both paths are torch.optim on autograd's gradient: a branching function whose branch
    never flips gives the race of the same function written without the branch."""
    def plain(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x * x + 4 * y * y + x * y

    def branching(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if bool((x > -100).all()):
            return x * x + 4 * y * y + x * y
        return x * 0

    box = (-3, 3, -3, 3)
    a, b = get_surface(plain, domain=box), get_surface(branching, domain=box)
    names = ["sgd", "momentum", "adam", "rmsprop"]
    ra = run_race(a, resolve_optimizers(names, a), (2.0, -1.5), 60, noise=0.3, seed=4)
    rb = run_race(b, resolve_optimizers(names, b), (2.0, -1.5), 60, noise=0.3, seed=4)
    assert traced_gradient(a.fn, torch.zeros(4, 1, 2, dtype=torch.float64)) is not None
    assert traced_gradient(b.fn, torch.zeros(4, 1, 2, dtype=torch.float64)) is None
    np.testing.assert_array_equal(ra.positions, rb.positions)
    for sa, sb in zip(ra.states, rb.states):
        for key in sa:
            np.testing.assert_array_equal(sa[key], sb[key])
