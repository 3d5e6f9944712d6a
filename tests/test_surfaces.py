"""Loss surfaces of the optimizer race: values, minima, batched grids, user functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlwidgets.engine.surfaces import SURFACES, Surface, evaluate_grid, get_surface


def _value(surface: Surface, x: float, y: float) -> float:
    return float(surface.fn(torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)))


def _grad(surface: Surface, x: float, y: float) -> np.ndarray:
    p = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(surface.fn(p[0], p[1]), p)
    return g.numpy()


# reference formulas written independently in numpy (not copied from our module)
NUMPY_FORMULAS = {
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
    + (2.625 - x + x * y ** 3) ** 2,
    "himmelblau": lambda x, y: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
    "rastrigin": lambda x, y: 20 + x ** 2 - 10 * np.cos(2 * np.pi * x) + y ** 2
    - 10 * np.cos(2 * np.pi * y),
    "saddle": lambda x, y: x ** 2 + y ** 4 / 4 - y ** 2 / 2,
    "plateau": lambda x, y: 1 - np.exp(-(x ** 2 + y ** 2) / 2),
    "local_minima": lambda x, y: (4 - 2.1 * x ** 2 + x ** 4 / 3) * x ** 2 + x * y
    + (-4 + 4 * y ** 2) * y ** 2,
}


@pytest.mark.parametrize("name", sorted(NUMPY_FORMULAS))
def test_surface_values_match_numpy_formula(name: str) -> None:
    s = get_surface(name)
    grid = evaluate_grid(s, 33)
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    np.testing.assert_allclose(grid.z, NUMPY_FORMULAS[name](gx, gy), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_known_minima_are_stationary_and_lowest(name: str) -> None:
    s = get_surface(name)
    assert s.minima and s.formula
    grid = evaluate_grid(s, 201)
    for mx, my in s.minima:
        assert np.linalg.norm(_grad(s, mx, my)) < 2e-3, (name, mx, my)
        # a global minimum is at least as low as every grid point (up to rounding of its coords)
        assert _value(s, mx, my) <= grid.z.min() + 1e-4


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_grid_is_one_batched_call_equal_to_pointwise(name: str) -> None:
    s = get_surface(name)
    calls = []
    fn = s.fn

    def counting(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls.append(tuple(x.shape))
        return fn(x, y)

    s.fn = counting
    grid = evaluate_grid(s, 64)
    assert calls == [(64, 64)]
    assert grid.z.shape == (64, 64)
    for j, i in [(0, 0), (5, 40), (63, 63), (31, 12)]:
        assert grid.z[j, i] == pytest.approx(_value(s, grid.xs[i], grid.ys[j]), rel=1e-12, abs=1e-12)
    assert grid.z_min == pytest.approx(grid.z.min()) and grid.z_max == pytest.approx(grid.z.max())


def test_quadratic_conditioning_and_rotation_from_the_hessian() -> None:
    s = get_surface("quadratic", condition=25.0, angle=30.0)
    h = torch.autograd.functional.hessian(lambda p: s.fn(p[0], p[1]),
                                          torch.tensor([0.3, -0.2], dtype=torch.float64))
    evals, evecs = torch.linalg.eigh(h)
    np.testing.assert_allclose(evals.numpy(), [1.0, 25.0], rtol=1e-12)
    # the stiff direction is the y axis rotated by 30 degrees: (-sin 30, cos 30)
    stiff = evecs[:, 1].numpy()
    expected = np.array([-math.sin(math.radians(30)), math.cos(math.radians(30))])
    assert abs(abs(stiff @ expected) - 1.0) < 1e-12
    with pytest.raises(ValueError, match="condition"):
        get_surface("quadratic", condition=0.5)
    with pytest.raises(TypeError, match="angle"):
        get_surface("quadratic", angle="steep")


def test_unknown_surface_and_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="surface='rosenbrok' is not known.*rosenbrock"):
        get_surface("rosenbrok")
    with pytest.raises(ValueError, match="takes no parameter"):
        get_surface("beale", condition=3)
    with pytest.raises(TypeError, match="surface must be a name"):
        get_surface(42)  # type: ignore[arg-type]


def test_user_function_works_and_gets_autograd_gradients() -> None:
    s = get_surface(lambda x, y: torch.sin(x) * torch.cos(y) + 0.1 * x * x, domain=(-2, 2, -1, 1))
    assert s.name == "custom" and s.domain == (-2.0, 2.0, -1.0, 1.0) and not s.builtin
    g = _grad(s, 0.4, 0.7)
    expected = [math.cos(0.4) * math.cos(0.7) + 0.08, -math.sin(0.4) * math.sin(0.7)]
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    grid = evaluate_grid(s, 16)
    assert grid.z.shape == (16, 16)


@pytest.mark.parametrize("fn, message", [
    (lambda x, y: (x * y).sum(), "same shape as x and y"),
    (lambda x, y: 3.0, "must return a torch.Tensor"),
    (lambda x, y: math.sin(x) + y, "torch operations"),
    (lambda x, y: x * y.mean(), "element-wise"),
    (lambda x, y: (x * 0 + 1).detach(), "no gradient"),
    (lambda x, y: torch.stack([x, y]), "same shape"),
    (lambda x, y: 1 / 0, "ZeroDivisionError"),
    (lambda x, y: (x > y).int() + x.int(), "floating-point|no gradient"),
])
def test_bad_user_functions_get_a_clear_message_naming_surface(fn, message) -> None:
    with pytest.raises(ValueError, match=f"surface.*({message})"):
        get_surface(fn)


def test_grid_resolution_and_domain_are_checked() -> None:
    s = get_surface("saddle")
    with pytest.raises(ValueError, match="resolution"):
        evaluate_grid(s, 1)
    with pytest.raises(ValueError, match="resolution"):
        evaluate_grid(s, 5000)
    with pytest.raises(ValueError, match="domain"):
        get_surface("saddle", domain=(1, 0, 0, 1))
    with pytest.raises(TypeError, match="domain"):
        get_surface("saddle", domain="everywhere")
    grid = evaluate_grid(s, 5, domain=(0, 1, 0, 2))
    np.testing.assert_allclose(grid.xs, np.linspace(0, 1, 5))
    np.testing.assert_allclose(grid.ys, np.linspace(0, 2, 5))
