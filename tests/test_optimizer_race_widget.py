"""OptimizerRace / LossLandscape widgets in Python: state, requests from the front end, API."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import traitlets
from torch import nn

import dlwidgets
from dlwidgets import LossLandscape, OptimizerRace, export_html, loss_landscape


def _torch_sgd(fn, start, lr: float, steps: int, **kwargs) -> np.ndarray:
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, **kwargs)
    out = [p.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        fn(p[0], p[1]).backward()
        opt.step()
        out.append(p.detach().clone().numpy())
    return np.array(out)


def test_issue_example_and_python_api() -> None:
    race = dlwidgets.OptimizerRace(surface="rosenbrock", optimizers=["sgd", "momentum", "adam"],
                                   start=(-1.5, 2.0), steps=300)
    assert set(race.trajectories) == {"sgd", "momentum", "adam"}
    for name in race.trajectories:
        assert race.trajectories[name].shape == (301, 2)
        assert race.losses[name].shape == (301,)
        assert race.status[name] in ("converged", "diverged", "running")
        np.testing.assert_array_equal(race.trajectories[name][0], [-1.5, 2.0])
    # the momentum trail is torch.optim.SGD(momentum=0.9) with the surface's default lr
    expected = _torch_sgd(race.surface.fn, (-1.5, 2.0), race.hyper["momentum"]["lr"], 300,
                          momentum=0.9)
    np.testing.assert_allclose(race.trajectories["momentum"], expected, rtol=0, atol=1e-12)
    # what the browser gets: float32 binary arrays of the same numbers
    paths = race.paths["momentum"]
    assert paths.dtype == np.float32 and paths.shape == (301, 1, 2)
    np.testing.assert_allclose(paths[:, 0], expected, rtol=1e-6, atol=1e-6)
    assert isinstance(race.get_state()["paths"]["momentum"]["data"], memoryview)
    grid = race.grid
    assert grid.shape == (256, 256) and grid.dtype == np.float32
    assert race.log_scale  # rosenbrock reads better on a log scale
    assert [r["name"] for r in race.racers] == ["sgd", "momentum", "adam"]
    assert {h["key"] for h in race.racers[2]["hypers"]} == {"lr", "beta1", "beta2", "eps"}
    assert "torch.optim.Adam" in race.racers[2]["formula"]
    explain = race.explain["adam"]
    assert set(explain["state"]) == {"exp_avg", "exp_avg_sq"}
    assert explain["grad"].shape == (300, 2)


def test_slider_change_reruns_that_optimizer_only_and_equals_a_fresh_race() -> None:
    race = OptimizerRace("rosenbrock", ["sgd", "adam"], steps=100)
    sgd_before = race.paths["sgd"]
    revision = race.revision
    race.set_hyper("adam", lr=0.2, beta1=0.8)
    assert race.revision == revision + 1
    assert race.paths["sgd"] is sgd_before  # not recomputed, not re-encoded
    fresh = OptimizerRace("rosenbrock", ["sgd", {"optimizer": "adam", "lr": 0.2, "beta1": 0.8}],
                          steps=100)
    np.testing.assert_array_equal(race.trajectories["adam"], fresh.trajectories["adam"])
    assert race.hyper["adam"]["lr"] == 0.2
    with pytest.raises(ValueError, match="lr of 'adam'"):
        race.set_hyper("adam", lr=0)
    with pytest.raises(ValueError, match="no slider"):
        race.set_hyper("adam", momentum=0.5)
    with pytest.raises(KeyError, match="no optimizer 'rmsprop'"):
        race.set_hyper("rmsprop", lr=0.1)


def test_front_end_requests_through_set_state() -> None:
    """What the browser sends (trait changes) is applied the same way."""
    race = OptimizerRace("quadratic", ["sgd", "momentum"], steps=50)
    race.set_state({"start": [1.0, -2.0]})
    assert race.trajectories["sgd"][0].tolist() == [1.0, -2.0]
    hyper = {**race.hyper, "sgd": {"lr": 0.05}}
    race.set_state({"hyper": hyper})
    s = race.surface
    np.testing.assert_allclose(race.trajectories["sgd"], _torch_sgd(s.fn, (1.0, -2.0), 0.05, 50),
                               rtol=0, atol=1e-12)
    # a bad value from the page is shown, not raised into the kernel log
    before = race.trajectories["sgd"].copy()
    race.set_state({"hyper": {**race.hyper, "sgd": {"lr": -1.0}}})
    assert "lr of 'sgd'" in race.error
    np.testing.assert_array_equal(race.trajectories["sgd"], before)
    race.set_state({"active": ["sgd", "momentum", "rmsprop_eps_inside"]})
    assert race.error == "" and "rmsprop_eps_inside" in race.status
    assert "not torch" in race.racers[2]["formula"]
    race.set_state({"active": ["momentum"]})
    assert list(race.status) == ["momentum"] and list(race.paths) == ["momentum"]


def test_divergence_is_a_state_not_garbage() -> None:
    race = OptimizerRace("rosenbrock", [{"optimizer": "sgd", "lr": 0.05}, "adam"], steps=80)
    assert race.status["sgd"] == "diverged" and race.status["adam"] != "diverged"
    assert np.all(np.isfinite(race.trajectories["sgd"])) and np.all(np.isfinite(race.losses["sgd"]))
    summary = race.summary["sgd"]
    assert summary["status"] == "diverged" and summary["diverged_step"] >= 1
    assert any(n.startswith("sgd: diverged at step") for n in race.notes)
    assert race.diverged["sgd"].tolist() == [summary["diverged_step"]]


def test_swarm_noise_and_seed() -> None:
    race = OptimizerRace("himmelblau", ["sgd", "adam"], steps=60, swarm=40, seed=3)
    swarm = race.swarm_trajectories
    assert swarm["adam"].shape == (61, 40, 2)
    np.testing.assert_array_equal(swarm["adam"][0, 0], race.start)
    assert sum(race.swarm_status["adam"].values()) == 40
    assert race.paths["adam"].shape == (61, 40, 2)
    clean = race.trajectories["adam"].copy()
    race.noise_on = True
    noisy = race.trajectories["adam"].copy()
    assert np.abs(noisy - clean).max() > 1e-6
    race.seed = 4
    assert np.abs(race.trajectories["adam"] - noisy).max() > 1e-6
    race.seed = 3
    np.testing.assert_array_equal(race.trajectories["adam"], noisy)
    race.noise_on = False
    np.testing.assert_array_equal(race.trajectories["adam"], clean)


def test_surface_change_recomputes_grid_and_resets_start() -> None:
    race = OptimizerRace("rosenbrock", ["adam"], steps=20, resolution=64)
    race.surface_name = "himmelblau"
    assert race.domain == [-5.0, 5.0, -5.0, 5.0]
    assert race.start == list(race.surface.start)
    grid = race.grid
    gy, gx = np.meshgrid(np.linspace(-5, 5, 64), np.linspace(-5, 5, 64), indexing="ij")
    np.testing.assert_allclose(grid, (gx ** 2 + gy - 11) ** 2 + (gx + gy ** 2 - 7) ** 2, rtol=1e-6)
    assert race.hyper["adam"]["lr"] == race.surface.lr_adaptive
    race.surface_name = "quadratic"
    race.surface_params = {"condition": 40.0, "angle": 30.0}
    assert "κ = 40" in race.surface_formula and race.error == ""


def test_user_surface_and_notebook_optimizer() -> None:
    class Sign(torch.optim.Optimizer):
        def __init__(self, params, lr=0.01):
            super().__init__(params, {"lr": lr})

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.sub_(group["lr"] * torch.sign(p.grad))

    race = OptimizerRace(lambda x, y: (x - 1) ** 2 + 3 * (y + 0.5) ** 2, [Sign, "adam"],
                         start=(-2.0, 2.0), steps=40, domain=(-3, 3, -3, 3))
    traj = race.trajectories["sign"]
    np.testing.assert_allclose(traj[1], [-1.99, 1.99])  # one sign step of lr 0.01
    assert race.surface_name == "custom" and "custom" in race.surface_names
    assert "one optimizer per start" in race.racers[0]["note"]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"optimizers": ["adamm"]}, ValueError, "unknown optimizer 'adamm'"),
    ({"optimizers": [{"optimizer": "sgd", "lr": -1}]}, ValueError, "lr of 'sgd'"),
    ({"optimizers": [{"optimizer": "sgd", "lr": "big"}]}, TypeError, "lr of 'sgd'"),
    ({"surface": lambda x, y: x.sum() + y.sum()}, ValueError, "surface"),
    ({"surface": "bowl"}, ValueError, "surface='bowl'"),
    ({"steps": 0}, ValueError, "steps"),
    ({"swarm": 10_000}, ValueError, "swarm"),
    ({"noise": -1.0}, ValueError, "noise"),
    ({"start": (float("nan"), 0.0)}, ValueError, "start"),
    ({"resolution": 4}, ValueError, "resolution"),
])
def test_bad_arguments_name_the_argument(kwargs, error, message) -> None:
    args = {"surface": "rosenbrock", "optimizers": ["adam"], "steps": 10, **kwargs}
    with pytest.raises(error, match=message):
        OptimizerRace(**args)


def test_bad_trait_values_from_python_raise() -> None:
    race = OptimizerRace("saddle", ["adam"], steps=10)
    with pytest.raises(traitlets.TraitError, match="steps"):
        race.steps = 0
    with pytest.raises(traitlets.TraitError, match="start"):
        race.start = [float("inf"), 0.0]


def test_standalone_export_holds_everything(tmp_path) -> None:
    race = OptimizerRace("rosenbrock", ["sgd", "adam"], steps=30, swarm=10, explainer=True)
    path = export_html(race, tmp_path / "race.html", title="race")
    text = path.read_text()
    assert "OptimizerRace" in text and "race" in text
    state = race.get_state()
    for key in ("grid", "paths", "loss_series", "explain", "statuses", "diverged"):
        assert key in state


def test_race_data_as_arrays(tmp_path) -> None:
    race = OptimizerRace("beale", ["momentum", "adam"], steps=40, swarm=6)
    arrays = race.arrays()
    np.testing.assert_array_equal(arrays["adam/positions"], race.swarm_trajectories["adam"])
    np.testing.assert_array_equal(arrays["adam/losses"][:, 0], race.losses["adam"])
    assert arrays["adam/state/exp_avg"].shape == (40, 2)
    assert arrays["momentum/state/momentum_buffer"].shape == (40, 2)
    assert arrays["grid"].shape == (256, 256) and arrays["starts"].shape == (6, 2)
    path = race.save_npz(tmp_path / "race")
    with np.load(path) as saved:
        np.testing.assert_array_equal(saved["momentum/positions"], arrays["momentum/positions"])


def test_loss_landscape_widget() -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matmuls: avoid OpenMP contention on a busy runner
    try:
        _check_landscape_widget()
    finally:
        torch.set_num_threads(threads)


def _check_landscape_widget() -> None:
    torch.manual_seed(0)
    x = torch.randn(96, 3)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    widget = loss_landscape(model, (x, y), train_steps=15, resolution=9, directions="pca",
                            device="cpu")
    assert isinstance(widget, LossLandscape) and widget.mode == "landscape"
    r = widget.result
    assert widget.grid.shape == (9, 9)
    assert widget.paths["training"].shape == (16, 1, 2)
    np.testing.assert_allclose(widget.loss_series["training"][:, 0],
                               r.trajectory_loss, rtol=1e-6)
    assert widget.domain[0] == pytest.approx(float(r.alphas[0]))
    assert "PCA" in widget.surface_formula


def _non_finite(value, where: str = "state") -> list[str]:
    """Paths of NaN/inf floats in a widget state (JSON has no such numbers)."""
    if isinstance(value, float):
        return [] if np.isfinite(value) else [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, f"{where}[{k!r}]")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _non_finite(v, f"{where}[{i}]")]
    return []


def test_a_lambda_optimizer_has_no_nan_learning_rate_in_live_state() -> None:
    race = OptimizerRace("rosenbrock", [lambda params: torch.optim.SGD(params, lr=1e-3), "adam"],
                         steps=20)
    assert race.explain["custom"]["lr"] is None
    assert race.explain["adam"]["lr"] == pytest.approx(race._specs["adam"].hyper["lr"])
    assert _non_finite(race.get_state()) == []
