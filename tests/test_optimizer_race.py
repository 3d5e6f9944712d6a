"""The optimizer race engine, proved against torch.optim itself.

Every reference below is written by hand in the test (the torch class and its arguments), not
taken from the engine, so a wrong mapping name -> torch.optim would fail here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from dlwidgets.engine.race import (
    CONVERGED,
    DEFAULT_RACE,
    DIVERGED,
    OPTIMIZERS,
    RUNNING,
    resolve_optimizer,
    resolve_optimizers,
    run_race,
    run_race_naive,
    swarm_starts,
)
from dlwidgets.engine.surfaces import get_surface

ROSEN = get_surface("rosenbrock")

# name -> (torch class, constructor kwargs), written out by hand
TORCH_REFERENCE: dict[str, tuple[type, dict[str, Any]]] = {
    "sgd": (torch.optim.SGD, {"lr": 1e-3}),
    "momentum": (torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
    "nesterov": (torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    "momentum_dampened": (torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9, "dampening": 0.9}),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.05, "eps": 1e-10}),
    "rmsprop": (torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}),
    "adadelta": (torch.optim.Adadelta, {"lr": 1.0, "rho": 0.9, "eps": 1e-6}),
    "adam": (torch.optim.Adam, {"lr": 0.05, "betas": (0.9, 0.999), "eps": 1e-8}),
    "adamw": (torch.optim.AdamW, {"lr": 0.05, "betas": (0.9, 0.999), "weight_decay": 0.01}),
    "nadam": (torch.optim.NAdam, {"lr": 0.05, "betas": (0.9, 0.999)}),
    "radam": (torch.optim.RAdam, {"lr": 1e-3, "betas": (0.9, 0.999)}),
    "adamax": (torch.optim.Adamax, {"lr": 0.05, "betas": (0.9, 0.999)}),
    "rprop": (torch.optim.Rprop, {"lr": 0.01, "etas": (0.5, 1.2)}),
}


def _entry(name: str) -> dict[str, Any]:
    """The race entry with the same settings as the hand-written reference."""
    kwargs = dict(TORCH_REFERENCE[name][1])
    out: dict[str, Any] = {"optimizer": name, "lr": kwargs.pop("lr")}
    for key in ("momentum", "dampening", "eps", "alpha", "rho", "weight_decay", "betas", "etas"):
        if key in kwargs:
            out[key] = kwargs.pop(key)
    return out


def _torch_loop(cls: type, kwargs: dict[str, Any], surface, start, steps: int,
                noise: np.ndarray | None = None, closure: bool = False) -> tuple[np.ndarray, list]:
    """One torch.optim optimizer on one (2,) parameter: positions after every step."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **kwargs)
    out = [p.detach().clone().numpy()]
    states = []
    for t in range(steps):
        def fn(t: int = t) -> torch.Tensor:
            opt.zero_grad()
            loss = surface.fn(p[0], p[1])
            loss.backward()
            if noise is not None:
                p.grad += torch.from_numpy(noise[t])
            return loss
        if closure:
            opt.step(fn)
        else:
            fn()
            opt.step()
        out.append(p.detach().clone().numpy())
        states.append({k: v.detach().clone().numpy() for k, v in opt.state[p].items()
                       if isinstance(v, torch.Tensor) and v.numel() == 2})
    return np.array(out), states


@pytest.mark.parametrize("name", sorted(TORCH_REFERENCE))
def test_single_start_equals_torch_optim_step_for_step(name: str) -> None:
    cls, kwargs = TORCH_REFERENCE[name]
    spec = resolve_optimizer(_entry(name), ROSEN)
    assert spec.target is cls and spec.kind == "torch" and spec.elementwise
    result = run_race(ROSEN, [spec], (-1.5, 2.0), 80)
    assert result.status_of(name) != "diverged"
    expected, states = _torch_loop(cls, kwargs, ROSEN, (-1.5, 2.0), 80)
    np.testing.assert_allclose(result.trajectory(name), expected, rtol=0, atol=1e-12)
    # the losses are the surface at those points
    xs = torch.from_numpy(expected)
    np.testing.assert_allclose(result.losses[0, :, 0], ROSEN.fn(xs[:, 0], xs[:, 1]).numpy(),
                               rtol=1e-12, atol=1e-12)
    # the explainer reads the optimizer's own state, step by step
    for key, series in result.states[0].items():
        np.testing.assert_allclose(series, np.array([s[key] for s in states]), rtol=0, atol=1e-12)


def test_default_names_are_torch_optim_classes() -> None:
    expected = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "nesterov": torch.optim.SGD,
                "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
                "adadelta": torch.optim.Adadelta, "adam": torch.optim.Adam,
                "adamw": torch.optim.AdamW}
    assert set(DEFAULT_RACE) == set(expected)
    for name, cls in expected.items():
        assert OPTIMIZERS[name].cls is cls and not OPTIMIZERS[name].variant


def test_many_starts_batched_equal_one_optimizer_per_start() -> None:
    names = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw")
    specs = resolve_optimizers([_entry(n) for n in names], ROSEN)
    n, steps = 10, 40
    starts = swarm_starts(ROSEN, n, seed=3, first=(-1.5, 2.0))
    result = run_race(ROSEN, specs, starts, steps, noise=2.0, seed=5)
    noise = (torch.randn((steps, n, 2), generator=torch.Generator().manual_seed(5),
                         dtype=torch.float64) * 2.0).numpy()
    for k, spec in enumerate(specs):
        cls, kwargs = TORCH_REFERENCE[spec.name]
        for i in range(n):
            expected, _ = _torch_loop(cls, kwargs, ROSEN, starts[i], steps, noise[:, i])
            got = result.positions[k, :, i]
            d = int(result.diverged_step[k, i])
            if d >= 0:  # compare up to the freeze, then the trail stays at the last good point
                np.testing.assert_allclose(got[:d], expected[:d], rtol=0, atol=1e-5)
                assert np.all(got[d:] == got[d - 1])
            else:
                np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    # the engine's own naive reference (used by the benchmark) agrees too
    naive_pos, naive_loss = run_race_naive(ROSEN, specs[-2:], starts, steps, noise=2.0, seed=5)
    np.testing.assert_allclose(result.positions[-2:], naive_pos, rtol=0, atol=1e-5)
    np.testing.assert_allclose(result.losses[-2:], naive_loss, rtol=1e-9, atol=1e-5)


def test_sgd_momentum_first_step_is_plain_gradient_and_no_one_minus_beta() -> None:
    s = get_surface("quadratic", condition=4.0)
    start = (1.0, 1.0)
    r = run_race(s, resolve_optimizers([{"optimizer": "momentum", "lr": 0.1, "momentum": 0.9},
                                        {"optimizer": "momentum_dampened", "lr": 0.1,
                                         "momentum": 0.9, "dampening": 0.9},
                                        {"optimizer": "momentum_ema", "lr": 0.1,
                                         "momentum": 0.9}], s), start, 2)
    g0 = np.array([1.0, 4.0])  # ∇ ½(x² + 4y²) at (1, 1)
    # torch: v1 = g0 (no (1 - beta) factor, with or without dampening on the first step)
    np.testing.assert_allclose(r.states[0]["momentum_buffer"][0], g0)
    np.testing.assert_allclose(r.states[1]["momentum_buffer"][0], g0)
    np.testing.assert_allclose(r.trajectory("momentum")[1], np.array(start) - 0.1 * g0)
    # step 2: undampened v2 = 0.9 v1 + g1; dampened v2 = 0.9 v1 + 0.1 g1
    p1 = np.array(start) - 0.1 * g0
    g1 = np.array([p1[0], 4 * p1[1]])
    np.testing.assert_allclose(r.states[0]["momentum_buffer"][1], 0.9 * g0 + g1)
    np.testing.assert_allclose(r.states[1]["momentum_buffer"][1], 0.9 * g0 + 0.1 * g1)
    # textbook EMA: v1 = (1 - beta) g0
    np.testing.assert_allclose(r.states[2]["momentum_buffer"][0], 0.1 * g0)


@pytest.mark.parametrize("name", ["adagrad_eps_inside", "rmsprop_eps_inside",
                                  "adam_no_bias_correction", "momentum_ema"])
def test_textbook_variants_follow_their_formula_and_differ_from_torch(name: str) -> None:
    s = get_surface("quadratic", condition=10.0, angle=20.0)
    start = np.array([2.0, -1.5])
    eps, lr, steps = 0.05, 0.05, 40
    spec = resolve_optimizer({"optimizer": name, "lr": lr, **({"eps": eps} if name != "momentum_ema" else {})}, s)
    assert spec.kind == "variant" and spec.elementwise and "not torch" in spec.formula
    got = run_race(s, [spec], tuple(start), steps).trajectory(name)

    def grad(p: np.ndarray) -> np.ndarray:
        t = torch.tensor(p, requires_grad=True)
        (g,) = torch.autograd.grad(s.fn(t[0], t[1]), t)
        return g.numpy()

    p, a, b = start.copy(), np.zeros(2), np.zeros(2)
    ref = [p.copy()]
    for _ in range(steps):
        g = grad(p)
        if name == "adagrad_eps_inside":
            a += g * g
            p = p - lr * g / np.sqrt(a + eps)
        elif name == "rmsprop_eps_inside":
            a = 0.99 * a + 0.01 * g * g
            p = p - lr * g / np.sqrt(a + eps)
        elif name == "adam_no_bias_correction":
            a = 0.9 * a + 0.1 * g
            b = 0.999 * b + 0.001 * g * g
            p = p - lr * a / (np.sqrt(b) + eps)
        else:
            a = 0.9 * a + 0.1 * g
            p = p - lr * a
        ref.append(p.copy())
    np.testing.assert_allclose(got, np.array(ref), rtol=1e-10, atol=1e-12)
    torch_name = {"adagrad_eps_inside": "adagrad", "rmsprop_eps_inside": "rmsprop",
                  "adam_no_bias_correction": "adam", "momentum_ema": "momentum"}[name]
    extra = {"eps": eps} if name != "momentum_ema" else {}
    other = run_race(s, [resolve_optimizer({"optimizer": torch_name, "lr": lr, **extra}, s)],
                     tuple(start), steps).trajectory(torch_name)
    assert np.abs(other - got).max() > 1e-3


def test_adagrad_and_rmsprop_put_eps_outside_the_root() -> None:
    s = get_surface("quadratic", condition=3.0)
    r = run_race(s, resolve_optimizers([{"optimizer": "adagrad", "lr": 0.1, "eps": 0.5},
                                        {"optimizer": "rmsprop", "lr": 0.1, "eps": 0.5}], s),
                 (1.0, 1.0), 1)
    g = np.array([1.0, 3.0])
    np.testing.assert_allclose(r.trajectory("adagrad")[1], 1.0 - 0.1 * g / (np.abs(g) + 0.5))
    v = 0.01 * g * g
    np.testing.assert_allclose(r.trajectory("rmsprop")[1], 1.0 - 0.1 * g / (np.sqrt(v) + 0.5))


class NotebookMomentum(torch.optim.Optimizer):
    """An optimizer as a student would write it in a notebook (element-wise)."""

    def __init__(self, params, lr=0.01, beta=0.8):
        super().__init__(params, {"lr": lr, "beta": beta})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                v = st.setdefault("velocity", torch.zeros_like(p))
                v.mul_(group["beta"]).add_(p.grad)
                p.sub_(group["lr"] * v)


class NormalizedGD(torch.optim.Optimizer):
    """NOT element-wise: divides by the norm of the whole gradient tensor."""

    def __init__(self, params, lr=0.05):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                p.sub_(group["lr"] * p.grad / (p.grad.norm() + 1e-12))
        return loss


def test_user_optimizer_class_from_a_notebook() -> None:
    spec = resolve_optimizer(NotebookMomentum, ROSEN)
    assert spec.name == "notebookmomentum" and spec.kind == "user"
    assert not spec.elementwise and "one optimizer per start" in spec.note
    assert spec.hyper == {"lr": 0.01}  # its own default lr
    starts = swarm_starts(ROSEN, 3, seed=1)
    r = run_race(ROSEN, [resolve_optimizer({"optimizer": NotebookMomentum, "lr": 1e-3,
                                            "beta": 0.5}, ROSEN)], starts, 30)
    for i in range(3):
        expected, _ = _torch_loop(NotebookMomentum, {"lr": 1e-3, "beta": 0.5}, ROSEN, starts[i], 30)
        np.testing.assert_allclose(r.positions[0, :, i], expected, rtol=0, atol=1e-12)
    assert any("one optimizer per start" in n for n in r.notes)
    # declared element-wise: batched, same answer
    fast = resolve_optimizer({"optimizer": NotebookMomentum, "lr": 1e-3, "beta": 0.5,
                              "elementwise": True}, ROSEN)
    assert fast.elementwise
    np.testing.assert_allclose(run_race(ROSEN, [fast], starts, 30).positions, r.positions,
                               rtol=0, atol=1e-12)


def test_non_elementwise_optimizer_runs_per_start_and_batching_it_would_be_wrong() -> None:
    s = get_surface("quadratic", condition=5.0)
    starts = np.array([[1.0, 2.0], [-2.0, 0.5], [0.3, -1.0]])
    r = run_race(s, [resolve_optimizer(NormalizedGD, s)], starts, 20)
    for i in range(3):
        expected, _ = _torch_loop(NormalizedGD, {"lr": 0.05}, s, starts[i], 20)
        np.testing.assert_allclose(r.positions[0, :, i], expected, rtol=0, atol=1e-12)
    wrong = run_race(s, [resolve_optimizer({"optimizer": NormalizedGD, "elementwise": True}, s)],
                     starts, 20)
    assert np.abs(wrong.positions - r.positions).max() > 1e-3


def test_lbfgs_runs_per_start_with_a_note_and_matches_torch() -> None:
    s = get_surface("quadratic", condition=10.0, angle=45.0)
    spec = resolve_optimizer("lbfgs", s)
    assert spec.target is torch.optim.LBFGS and not spec.elementwise and "line search" in spec.note
    starts = np.array([[2.0, 1.0], [-1.0, -2.5]])
    r = run_race(s, [spec], starts, 6)
    for i in range(2):
        expected, _ = _torch_loop(torch.optim.LBFGS, {"lr": 1.0, "history_size": 10, "max_iter": 1,
                                                     "line_search_fn": "strong_wolfe"},
                                  s, starts[i], 6, closure=True)
        np.testing.assert_allclose(r.positions[0, :, i], expected, rtol=0, atol=1e-12)
    assert r.status_of("lbfgs") == "converged"
    assert any("lbfgs" in n and "per start" in n for n in r.notes)


def test_factory_building_a_known_class_is_batched() -> None:
    spec = resolve_optimizer(lambda params: torch.optim.Adam(params, lr=0.02), ROSEN)
    assert spec.elementwise and spec.name == "custom" and "Adam" in spec.class_name
    r = run_race(ROSEN, [spec], (-1.0, 1.0), 30)
    expected, _ = _torch_loop(torch.optim.Adam, {"lr": 0.02}, ROSEN, (-1.0, 1.0), 30)
    np.testing.assert_allclose(r.trajectory("custom"), expected, rtol=0, atol=1e-12)


def test_divergence_freezes_that_trail_and_the_others_go_on() -> None:
    specs = resolve_optimizers([{"optimizer": "sgd", "lr": 0.05}, {"optimizer": "adam", "lr": 0.05}],
                               ROSEN)
    r = run_race(ROSEN, specs, (-1.5, 2.0), 100)
    assert r.status_of("sgd") == "diverged" and r.status_of("adam") != "diverged"
    d = int(r.diverged_step[0, 0])
    assert 1 <= d < 100
    traj = r.trajectory("sgd")
    assert np.all(np.isfinite(traj)) and np.all(np.isfinite(r.losses[0]))
    assert np.all(traj[d:] == traj[d - 1]) and np.all(np.abs(traj[d - 1]) <= r.bound)
    assert np.all(r.losses[0, d:, 0] == r.losses[0, d - 1, 0])
    assert np.all(np.isnan(r.grads[0, d:]))
    alone = run_race(ROSEN, specs[1:], (-1.5, 2.0), 100)
    np.testing.assert_array_equal(alone.trajectory("adam"), r.trajectory("adam"))
    assert any(n.startswith("sgd: diverged at step") for n in r.notes)
    # with torch itself: the same sgd blows up (non-finite or past the bound) at that step
    expected, _ = _torch_loop(torch.optim.SGD, {"lr": 0.05}, ROSEN, (-1.5, 2.0), d)
    np.testing.assert_allclose(traj[:d], expected[:d], rtol=0, atol=1e-12)
    assert not np.all(np.isfinite(expected[d])) or np.any(np.abs(expected[d]) > r.bound)


def test_nan_from_the_surface_counts_as_divergence() -> None:
    s = get_surface(lambda x, y: torch.sqrt(x) + y * y, domain=(0.1, 3, -1, 1))
    r = run_race(s, resolve_optimizers([{"optimizer": "sgd", "lr": 0.5}], s), (1.0, 0.5), 20)
    assert r.status_of("sgd") == "diverged"
    d = int(r.diverged_step[0, 0])
    assert np.all(np.isfinite(r.trajectory("sgd"))) and r.trajectory("sgd")[d - 1][0] >= 0


def test_convergence_definition() -> None:
    s = get_surface("quadratic", condition=2.0)
    specs = resolve_optimizers([{"optimizer": "sgd", "lr": 0.3},
                                {"optimizer": "sgd", "lr": 1e-5, "name": "slow"},
                                {"optimizer": "sgd", "lr": 1.2, "name": "wild"}], s)
    r = run_race(s, specs, (2.0, 1.0), 200, tol=1e-6)
    assert [r.status_of(n) for n in ("sgd", "slow", "wild")] == ["converged", "running", "diverged"]
    assert r.grad_norm[0, 0] <= 1e-6
    assert np.linalg.norm(r.trajectory("sgd")[-1] - r.trajectory("sgd")[-2]) <= 1e-6
    assert r.status.dtype == np.int8 and {RUNNING, CONVERGED, DIVERGED} == {0, 1, 2}


def test_noise_is_seeded_shared_and_recomputing_one_optimizer_matches_the_full_race() -> None:
    specs = resolve_optimizers(["sgd", "momentum", "adam"], ROSEN)
    a = run_race(ROSEN, specs, (-1.0, 1.5), 50, noise=10.0, seed=1)
    b = run_race(ROSEN, specs, (-1.0, 1.5), 50, noise=10.0, seed=1)
    c = run_race(ROSEN, specs, (-1.0, 1.5), 50, noise=10.0, seed=2)
    clean = run_race(ROSEN, specs, (-1.0, 1.5), 50)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert np.abs(a.positions - c.positions).max() > 1e-6
    assert np.abs(a.positions - clean.positions).max() > 1e-6
    # the gradient each optimizer got is the true gradient plus the same noise
    noise = torch.randn((50, 1, 2), generator=torch.Generator().manual_seed(1),
                        dtype=torch.float64).numpy() * 10.0
    p = torch.tensor(a.trajectory("adam")[:-1], requires_grad=True)
    (g,) = torch.autograd.grad(ROSEN.fn(p[:, 0], p[:, 1]).sum(), p)
    np.testing.assert_allclose(a.grads[2], g.numpy() + noise[:, 0], rtol=1e-12, atol=1e-9)
    one = run_race(ROSEN, [specs[2]], (-1.0, 1.5), 50, noise=10.0, seed=1)
    np.testing.assert_array_equal(one.positions[0], a.positions[2])
    merged = a.replace(run_race(ROSEN, [specs[2].with_hyper(lr=0.2)], (-1.0, 1.5), 50,
                                noise=10.0, seed=1))
    assert merged.names == a.names
    np.testing.assert_array_equal(merged.positions[0], a.positions[0])
    assert np.abs(merged.positions[2] - a.positions[2]).max() > 1e-6


@pytest.mark.parametrize("bad, error, message", [
    ({"optimizer": "adam", "lr": 0}, ValueError, "lr of 'adam' must be a finite number > 0"),
    ({"optimizer": "adam", "lr": -0.1}, ValueError, "lr of 'adam'"),
    ({"optimizer": "sgd", "lr": "fast"}, TypeError, "lr of 'sgd' must be a number"),
    ({"optimizer": "sgd", "lr": math.nan}, ValueError, "lr of 'sgd'"),
    ("adamm", ValueError, "unknown optimizer 'adamm'.*adam"),
    ({"optimizer": "adam", "beta1": 1.5}, ValueError, "optimizers: 'adam'.*beta"),
    (torch.nn.Linear, TypeError, "not a torch.optim.Optimizer"),
    (torch.optim.SparseAdam, ValueError, "sparse"),
    (3.5, TypeError, "each entry must be"),
])
def test_bad_optimizer_entries_are_refused_with_the_argument_named(bad, error, message) -> None:
    with pytest.raises(error, match=message):
        resolve_optimizer(bad, ROSEN)


def test_bad_race_arguments() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        resolve_optimizers(["adam", "adam"], ROSEN)
    with pytest.raises(ValueError, match="at least one"):
        resolve_optimizers([], ROSEN)
    specs = resolve_optimizers(["adam"], ROSEN)
    with pytest.raises(ValueError, match="steps"):
        run_race(ROSEN, specs, (0, 0), 0)
    with pytest.raises(ValueError, match="noise"):
        run_race(ROSEN, specs, (0, 0), 10, noise=-1)
    with pytest.raises(ValueError, match="start"):
        run_race(ROSEN, specs, (math.nan, 0), 10)
    with pytest.raises(ValueError, match="start"):
        run_race(ROSEN, specs, (0, 0, 0), 10)
    with pytest.raises(TypeError, match="start"):
        run_race(ROSEN, specs, "here", 10)
    with pytest.raises(ValueError, match="over the"):
        run_race(ROSEN, specs * 1, swarm_starts(ROSEN, 4096), 20_000)
    with pytest.raises(ValueError, match="swarm size"):
        swarm_starts(ROSEN, 0)


def test_swarm_starts_are_seeded_inside_the_domain() -> None:
    a = swarm_starts(ROSEN, 100, seed=4, first=(0.5, 0.5))
    b = swarm_starts(ROSEN, 100, seed=4, first=(0.5, 0.5))
    np.testing.assert_array_equal(a, b)
    assert tuple(a[0]) == (0.5, 0.5)
    x0, x1, y0, y1 = ROSEN.domain
    assert np.all((a[:, 0] >= x0) & (a[:, 0] <= x1) & (a[:, 1] >= y0) & (a[:, 1] <= y1))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_race_on_cuda_equals_cpu() -> None:
    specs = resolve_optimizers(list(DEFAULT_RACE), ROSEN)
    starts = swarm_starts(ROSEN, 64, seed=0)
    cpu = run_race(ROSEN, specs, starts, 50)
    gpu = run_race(ROSEN, specs, starts, 50, device="cuda")
    np.testing.assert_allclose(gpu.positions, cpu.positions, rtol=0, atol=1e-8)


def test_registered_step_hooks_still_run() -> None:
    """The race calls the optimizer's own step() body directly only when no hook would run."""
    calls: list[str] = []
    from torch.optim.optimizer import register_optimizer_step_post_hook

    handle = register_optimizer_step_post_hook(
        lambda opt, args, kwargs: calls.append(type(opt).__name__))
    try:
        r = run_race(ROSEN, resolve_optimizers(["sgd", "adam"], ROSEN), (-1.0, 1.0), 7)
    finally:
        handle.remove()
    assert calls.count("SGD") == 7 and calls.count("Adam") == 7
    plain = run_race(ROSEN, resolve_optimizers(["sgd", "adam"], ROSEN), (-1.0, 1.0), 7)
    np.testing.assert_array_equal(r.positions, plain.positions)


def test_failures_during_the_race_name_surface_or_the_optimizer() -> None:
    def fussy(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if bool((x.abs() > 2.5).any()):
            raise RuntimeError("x out of range")
        return x * x + y * y

    s = get_surface(fussy, domain=(-2, 2, -2, 2))
    with pytest.raises(ValueError, match="surface: the function raised RuntimeError: x out of range"):
        run_race(s, resolve_optimizers([{"optimizer": "sgd", "lr": 1.5}], s), (1.0, 1.0), 20)

    class Broken(torch.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            if self.state.setdefault("calls", 0) >= 2:
                raise ZeroDivisionError("oops")
            self.state["calls"] += 1

    for elementwise in (True, False):
        spec = resolve_optimizer({"optimizer": Broken, "elementwise": elementwise}, s)
        with pytest.raises(ValueError, match="optimizers: 'broken' failed at step 2: ZeroDivisionError"):
            run_race(s, [spec], (1.0, 1.0), 5)
