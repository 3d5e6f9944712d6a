"""The worked 2-2-1 example in docs/backprop_stepper.md: every number in its table is recomputed
here with torch (autograd and torch.optim.SGD), so the page cannot drift from what is true."""

from __future__ import annotations

import copy
import pathlib
import re

import pytest
import torch
import torch.nn.functional as F

from dlwidgets import BackpropStepper
from dlwidgets.engine.backprop import demo

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "backprop_stepper.md"


def _table() -> dict[str, float]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- worked-example -->")[1].split("<!-- /worked-example -->")[0]
    rows = {}
    for line in block.splitlines():
        m = re.match(r"\| `([^`]+)`[^|]* \| ([^|]+) \|", line)
        if m:
            rows[m.group(1)] = float(m.group(2).strip().replace("−", "-"))
    return rows


def _f(t: torch.Tensor) -> float:
    return float(t.detach())


def _torch_values() -> dict[str, float]:
    """The same quantities straight from torch: hooks on autograd for the intermediate
    gradients, .grad for the parameters, torch.optim.SGD for the update."""
    model, x, y, _, lr = demo("2-2-1")
    model = copy.deepcopy(model)
    z1 = model[0](x)
    a1 = torch.sigmoid(z1)
    z2 = model[2](a1)
    a2 = torch.sigmoid(z2)
    for t in (z1, a1, z2, a2):
        t.retain_grad()
    loss = F.mse_loss(a2, y)
    loss.backward()
    out = {"L": _f(loss)}
    for i in range(2):
        out[f"z1[{i}]"] = _f(z1[0, i])
        out[f"a1[{i}]"] = _f(a1[0, i])
        out[f"∂L/∂a1[{i}]"] = _f(a1.grad[0, i])
        out[f"δ1[{i}]"] = _f(z1.grad[0, i])
        out[f"f′(z1[{i}])"] = _f(z1.grad[0, i] / a1.grad[0, i])
        for j in range(2):
            out[f"∂L/∂W1[{i}, {j}]"] = _f(model[0].weight.grad[i, j])
        out[f"∂L/∂W2[0, {i}]"] = _f(model[2].weight.grad[0, i])
    out.update({"z2[0]": _f(z2[0, 0]), "a2[0]": _f(a2[0, 0]),
                "∂L/∂a2[0]": _f(a2.grad[0, 0]), "δ2[0]": _f(z2.grad[0, 0]),
                "f′(z2[0])": _f(z2.grad[0, 0] / a2.grad[0, 0]),
                "∂L/∂b2[0]": _f(model[2].bias.grad[0])})
    torch.optim.SGD(model.parameters(), lr=lr).step()
    for i in range(2):
        for j in range(2):
            out[f"new W1[{i}, {j}]"] = _f(model[0].weight[i, j])
        out[f"new W2[0, {i}]"] = _f(model[2].weight[0, i])
    out["new b2[0]"] = _f(model[2].bias[0])
    return out


def test_every_number_of_the_worked_example_is_torchs():
    table = _table()
    ref = _torch_values()
    assert len(table) == 30 and set(table) <= set(ref)
    for key, shown in table.items():
        assert shown == pytest.approx(ref[key], rel=5e-6, abs=1e-7), key


def test_the_widget_shows_the_same_numbers():
    w = BackpropStepper.demo("2-2-1")
    table = _table()
    layers = w.result.layers
    assert float(layers[0].z[0, 0]) == pytest.approx(table["z1[0]"], abs=1e-6)
    assert float(layers[1].a[0, 0]) == pytest.approx(table["a2[0]"], rel=5e-6)
    assert w.loss_value == pytest.approx(table["L"], rel=5e-6)
    assert float(layers[0].delta[0, 1]) == pytest.approx(table["δ1[1]"], rel=5e-6)
    assert float(w.grads["2.weight"][0, 1]) == pytest.approx(table["∂L/∂W2[0, 1]"], rel=5e-6)
    assert float(w.updated["0.weight"][1, 1]) == pytest.approx(table["new W1[1, 1]"], rel=5e-6)
