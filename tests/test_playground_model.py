"""Playground outputs against PyTorch itself: the boundary and neuron maps are the model's own
outputs on the grid, and the browser plan (flat weights + ``network.mlp``), evaluated by a
small numpy reference of what js/src/lib/mlp.ts does, gives the model's output within 1e-5."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from scipy.special import erf
from torch import nn

from dlwidgets import Playground
from dlwidgets.engine.playground_model import fold_batch_norm

ALL_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"]


def numpy_features(points: np.ndarray, names: list[str]) -> np.ndarray:
    """The contract's feature formulas, in float32, written again with numpy."""
    a = points[:, 0].astype(np.float32)
    b = points[:, 1].astype(np.float32)
    table = {"x1": a, "x2": b, "x1^2": a * a, "x2^2": b * b, "x1*x2": a * b,
             "sin_x1": np.sin(a), "sin_x2": np.sin(b)}
    return np.stack([table[n] for n in names], 1).astype(np.float32)


def _act(kind: str, v: np.ndarray, e: dict[str, Any]) -> np.ndarray:
    if kind == "relu":
        return np.maximum(v, 0)
    if kind == "leaky_relu":
        return np.where(v >= 0, v, v * e.get("slope", 0.01))
    if kind == "tanh":
        return np.tanh(v)
    if kind == "sigmoid":
        return 1 / (1 + np.exp(-v))
    if kind == "elu":
        return np.where(v > 0, v, e.get("alpha", 1.0) * np.expm1(np.minimum(v, 0)))
    if kind == "gelu":
        return 0.5 * v * (1 + erf(v / math.sqrt(2)))
    if kind == "gelu_tanh":
        return 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
    if kind == "silu":
        return v / (1 + np.exp(-v))
    if kind == "softplus":
        b, th = e.get("beta", 1.0), e.get("threshold", 20.0)
        return np.where(v * b > th, v, np.log1p(np.exp(np.minimum(b * v, th))) / b)
    raise AssertionError(f"unknown kind {kind}")


def browser_forward(network: dict[str, Any], weights: np.ndarray, inputs: np.ndarray
                    ) -> tuple[np.ndarray, list[np.ndarray]]:
    """What the browser computes from the synced state: (shown output, hidden layer values)."""
    a = inputs.astype(np.float64)
    w = weights.astype(np.float64)
    off = 0
    hidden = []
    for i, e in enumerate(network["mlp"]):
        if e["kind"] == "linear":
            r, c = e["rows"], e["cols"]
            mat = w[off:off + r * c].reshape(r, c)
            off += r * c
            bias = w[off:off + r]
            off += r
            a = a @ mat.T + bias
        else:
            a = _act(e["kind"], a, e)
        if i in network["hidden_outputs"]:
            hidden.append(a)
    assert off == len(weights), "the weights hold exactly the plan's linear layers"
    act = network["output_activation"]
    if act == "sigmoid":
        out = 1 / (1 + np.exp(-a[:, 0]))
    elif act == "softmax":
        z = np.exp(a - a.max(1, keepdims=True))
        out = z / z.sum(1, keepdims=True)
        if out.shape[1] == 2:
            out = out[:, 1]
    else:
        out = a[:, 0]
    return out, hidden


def grid(pg: Playground, r: int) -> np.ndarray:
    xmin, xmax, ymin, ymax = pg.grid_bounds
    xs, ys = np.linspace(xmin, xmax, r), np.linspace(ymin, ymax, r)
    pts = np.array([[xs[j], ys[i]] for i in range(r) for j in range(r)], np.float32)
    return pts


def torch_output(pg: Playground, pts: np.ndarray) -> np.ndarray:
    """``pg.model`` in eval mode on the points (features recomputed with numpy)."""
    model = pg.model
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.from_numpy(numpy_features(pts, pg.controls["features"])))
    finally:
        model.train(was)
    if pg.task == "regression":
        return out[:, 0].numpy()
    if out.shape[1] == 1:
        last = list(model.modules())[-1]
        return (out[:, 0] if isinstance(last, nn.Sigmoid) else torch.sigmoid(out[:, 0])).numpy()
    last = list(model.modules())[-1]
    p = out if isinstance(last, nn.Softmax) else torch.softmax(out, 1)
    return (p[:, 1] if pg.task == "binary" else p).numpy()


def three_classes(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = np.arange(n) % 3
    centres = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    return (centres[y] + rng.normal(0, 1.0, (n, 2))).astype(np.float32), y


def every_activation() -> nn.Sequential:
    """A chain of every activation the browser knows, then a softmax."""
    return nn.Sequential(
        nn.Linear(3, 6), nn.BatchNorm1d(6), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(6, 5), nn.ELU(0.5), nn.Linear(5, 5), nn.GELU(), nn.Linear(5, 4),
        nn.SiLU(), nn.Linear(4, 4), nn.Softplus(beta=2.0), nn.Linear(4, 4),
        nn.GELU(approximate="tanh"), nn.Linear(4, 3), nn.Softmax(dim=1))


class Wrapped(nn.Module):
    """A module of its own: its forward could do anything, so the browser does not guess."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) * 2.0


CASES = {
    "binary tanh": lambda: Playground("circles", hidden=[4, 2], activation="tanh", seed=1),
    "multiclass relu": lambda: Playground(three_classes(), hidden=[6], activation="relu"),
    "regression sigmoid": lambda: Playground("reg_gauss", hidden=[5, 3], activation="sigmoid"),
    "all features": lambda: Playground("xor", features=ALL_FEATURES, hidden=[3],
                                       activation=["relu"]),
    "batch norm": lambda: Playground("moons", hidden=[5, 4], batch_norm=True, noise=0.2),
    "dropout": lambda: Playground("gauss", hidden=[6], dropout=0.5, optimizer="adam",
                                  lr=0.01),
    "dsl sigmoid": lambda: Playground(
        "spiral", model="input 2 -> dense 6 tanh -> dense 4 relu -> dense 1 sigmoid"),
    "module, every activation": lambda: Playground(
        three_classes(), model=every_activation(), features=["x1", "x2", "x1*x2"]),
    "no hidden layer": lambda: Playground("gauss", hidden=[]),
}


@pytest.fixture(params=list(CASES), scope="module")
def trained(request: pytest.FixtureRequest) -> Playground:
    pg = CASES[request.param]()
    pg.train(epochs=2)  # BatchNorm's running statistics and the weights move off their start
    return pg


def test_boundary_is_the_model_on_the_grid(trained: Playground) -> None:
    r = 13
    b = trained.boundary(resolution=r)
    expected = torch_output(trained, grid(trained, r))
    if trained.task == "multiclass":
        assert b.shape == (r, r, trained.classes)
        np.testing.assert_allclose(b, expected.reshape(r, r, -1), atol=1e-6, rtol=0)
    else:
        assert b.shape == (r, r)
        np.testing.assert_allclose(b, expected.reshape(r, r), atol=1e-6, rtol=0)


def test_boundary_orientation_rows_are_y() -> None:
    # a model whose output is its first input, x1: along a row (j) it changes, down a column not
    model = nn.Sequential(nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0]]))
        model[0].bias.zero_()
    pg = Playground("reg_plane", model=model)
    b = pg.boundary(resolution=5)
    xmin, xmax, _, _ = pg.grid_bounds
    np.testing.assert_allclose(b[0], np.linspace(xmin, xmax, 5), atol=1e-6)
    np.testing.assert_allclose(b[:, 2], np.full(5, b[0, 2]), atol=1e-6)


def test_neuron_maps_are_the_hidden_layers_outputs(trained: Playground) -> None:
    r = 7
    maps = trained.neuron_maps(resolution=r)
    network = trained.network
    assert len(maps) == len(network["layers"]) - 1
    if not maps:
        return
    # forward hooks on the modules that end each hidden layer, on an eval-mode forward
    model = trained.model
    chain = [m for m in model.modules() if not list(m.children())]
    linears = [i for i, m in enumerate(chain) if isinstance(m, nn.Linear)]
    ends = []
    for k, start in enumerate(linears[:-1]):
        stop = linears[k + 1]
        part = [m for m in chain[start:stop] if not isinstance(m, (nn.Dropout, nn.Identity))]
        ends.append(part[-1])
    seen: dict[int, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda mod, i, o: seen.__setitem__(id(mod), o))
             for m in ends]
    model.eval()
    try:
        with torch.no_grad():
            model(torch.from_numpy(numpy_features(grid(trained, r),
                                                  trained.controls["features"])))
    finally:
        model.train()
        for h in hooks:
            h.remove()
    for k, m in enumerate(ends):
        expected = seen[id(m)].numpy().T.reshape(-1, r, r)
        assert maps[k].shape == expected.shape
        np.testing.assert_allclose(maps[k], expected, atol=1e-6, rtol=0)


def test_the_browser_plan_reproduces_the_model(trained: Playground) -> None:
    network = trained.network
    assert network["browser"] is True
    assert trained.weights.dtype == np.float32
    r = 21
    pts = grid(trained, r)
    out, hidden = browser_forward(network, trained.weights,
                                  numpy_features(pts, trained.controls["features"]))
    b = trained.boundary(resolution=r)
    expected = b.reshape(r * r, -1) if trained.task == "multiclass" else b.reshape(-1)
    np.testing.assert_allclose(out, expected, atol=1e-5, rtol=0)
    maps = trained.neuron_maps(resolution=r)
    assert len(hidden) == len(maps)
    for k, values in enumerate(hidden):
        np.testing.assert_allclose(values.T.reshape(-1, r, r), maps[k], atol=1e-5, rtol=0)


def test_batch_norm_folds_into_the_linear_within_1e_5() -> None:
    torch.manual_seed(0)
    lin = nn.Linear(5, 7)
    bn = nn.BatchNorm1d(7)
    with torch.no_grad():
        bn.running_mean.uniform_(-2, 2)
        bn.running_var.uniform_(0.1, 3)
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
    bn.eval()
    x = torch.randn(50, 5) * 3
    w, b = fold_batch_norm(lin.weight, lin.bias, bn)
    with torch.no_grad():
        np.testing.assert_allclose((x @ w.T + b).numpy(), bn(lin(x)).numpy(), atol=1e-5, rtol=0)
    # without affine parameters too
    bn2 = nn.BatchNorm1d(7, affine=False)
    with torch.no_grad():
        bn2.running_mean.uniform_(-2, 2)
        bn2.running_var.uniform_(0.1, 3)
    bn2.eval()
    w, b = fold_batch_norm(lin.weight, lin.bias, bn2)
    with torch.no_grad():
        np.testing.assert_allclose((x @ w.T + b).numpy(), bn2(lin(x)).numpy(), atol=1e-5,
                                   rtol=0)


def test_residual_networks_fall_back_to_quantised_grids() -> None:
    pg = Playground("xor", hidden=[4, 4], residual=True)
    pg.train(epochs=1)
    assert pg.network["browser"] is False
    assert pg.weights.shape == (0,)
    r = pg.grid.shape[0]
    assert 50 <= r <= 100 and pg.grid.dtype == np.uint8
    expected = np.rint(pg.boundary(resolution=r) * 255).astype(np.uint8)
    assert np.abs(pg.grid.astype(int) - expected.astype(int)).max() <= 1
    assert pg.neuron_grids.shape == (8, 25, 25)
    maps = pg.neuron_maps(resolution=25)
    lo, hi = pg.neuron_ranges[0]
    np.testing.assert_allclose([lo, hi], [maps[0][0].min(), maps[0][0].max()], rtol=1e-5,
                               atol=1e-6)
    # each residual block's map is the block's output: input + activation
    block = pg.model.hidden2
    assert block.residual


def test_a_residual_multiclass_grid_holds_class_probabilities() -> None:
    pg = Playground(three_classes(), hidden=[3, 3], residual=True)
    r = pg.grid.shape[0]
    assert pg.grid.shape == (r, r, 3)
    expected = np.rint(pg.boundary(resolution=r) * 255)
    assert np.abs(pg.grid.astype(int) - expected.astype(int)).max() <= 1


def test_a_module_of_its_own_is_evaluated_by_torch() -> None:
    pg = Playground("circles", model=Wrapped())
    assert pg.network["browser"] is False and pg.network["mlp"] == []
    r = pg.grid.shape[0]
    expected = np.rint(torch_output(pg, grid(pg, r)) * 255).reshape(r, r)
    assert np.abs(pg.grid.astype(int) - expected.astype(int)).max() <= 1
    assert [layer["units"] for layer in pg.network["layers"]] == [5, 1]
    maps = pg.neuron_maps(resolution=4)
    assert maps[0].shape == (5, 4, 4)


def test_one_activation_object_reused_between_layers() -> None:
    act = nn.Tanh()
    model = nn.Sequential(nn.Linear(2, 4), act, nn.Linear(4, 3), act, nn.Linear(3, 1))
    pg = Playground("xor", model=model)
    maps = pg.neuron_maps(resolution=5)
    assert [m.shape for m in maps.values()] == [(4, 5, 5), (3, 5, 5)]
    x = torch.from_numpy(numpy_features(grid(pg, 5), ["x1", "x2"]))
    with torch.no_grad():
        h1 = torch.tanh(model[0](x))
        h2 = torch.tanh(model[2](h1))
    np.testing.assert_allclose(maps[1], h2.numpy().T.reshape(3, 5, 5), atol=1e-6)
    out, hidden = browser_forward(pg.network, pg.weights, x.numpy())
    np.testing.assert_allclose(hidden[1], h2.numpy(), atol=1e-5)
