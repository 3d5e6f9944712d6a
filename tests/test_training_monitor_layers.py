"""The training monitor carries fit(inspect=True)'s layer statistics and health warnings."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import dlwidgets
from dlwidgets.widgets.training_monitor import TrainingMonitor, encode_delta, split_kinds
from tests.training_helpers import tiny_data


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2))


def test_layer_statistics_and_warnings_reach_the_state() -> None:
    x, y = tiny_data()
    model = _model()
    with torch.no_grad():
        model[0].bias.fill_(-100.0)  # every ReLU dead: a warning
    monitor = TrainingMonitor()
    history = dlwidgets.fit(model, (x, y), epochs=2, batch_size=16, monitor=monitor,
                            block=True, inspect=True, inspect_every=1)
    assert monitor.info["layers"] == ["0", "2"] and monitor.info["activation_layers"] == ["1"]
    assert monitor.info["layer_order"] == ["0", "1", "2"]
    state = monitor.layers
    assert state["step"].dtype == np.int32
    np.testing.assert_array_equal(state["step"], history.layers["0"]["step"])
    for name in ("0", "2"):
        for stat in ("grad_norm", "weight_norm", "update_ratio"):
            np.testing.assert_allclose(state[f"{stat}:{name}"], history.layers[name][stat],
                                       rtol=1e-6)
    np.testing.assert_allclose(state["dead_fraction:1"], history.layers["1"]["dead_fraction"])
    assert monitor.health_warnings == history.warnings
    assert any(w["rule"] == "dead_relu" for w in monitor.health_warnings)
    # binary in the exported state
    assert isinstance(monitor.get_state()["layers"]["grad_norm:0"]["data"], memoryview)


def test_a_delta_carries_layer_rows_as_one_binary_matrix() -> None:
    info = {"layers": ["a", "b"], "activation_layers": ["r"]}
    rows = [{"kind": "layers", "step": s, "grad_norm": np.array([1.0, 2.0]) * s,
             "weight_norm": np.array([3.0, 4.0]), "update_ratio": np.array([1e-3, 2e-3]),
             "dead_fraction": np.array([0.25])} for s in (1, 5)]
    content, buffers = encode_delta(1, 0, rows, split_kinds(rows, info))
    wire = content["layers"]
    assert wire["columns"][0] == "step" and "grad_norm:b" in wire["columns"]
    matrix = np.frombuffer(buffers[0], dtype=np.float64).reshape(wire["shape"])
    j = wire["columns"].index("grad_norm:b")
    np.testing.assert_array_equal(matrix[:, j], [2.0, 10.0])
    np.testing.assert_array_equal(matrix[:, 0], [1, 5])


def test_without_inspect_the_layer_state_stays_empty() -> None:
    x, y = tiny_data()
    monitor = TrainingMonitor()
    dlwidgets.fit(_model(), (x, y), epochs=1, batch_size=16, monitor=monitor, block=True)
    assert monitor.layers == {} and monitor.health_warnings == []
