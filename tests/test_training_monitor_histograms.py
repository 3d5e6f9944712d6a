"""fit(inspect=True, inspect_histograms=True) streams the binned counts to the monitor as binary
columns: a row per (recorded step, kind, layer), equal to History.histograms."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import dlwidgets
from dlwidgets.widgets.training_monitor import (
    HISTOGRAM_KINDS,
    TrainingMonitor,
    encode_delta,
    split_kinds,
)
from tests.training_helpers import tiny_data


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2))


def test_histograms_reach_the_state_equal_to_the_history() -> None:
    x, y = tiny_data()
    monitor = TrainingMonitor()
    history = dlwidgets.fit(_model(), (x, y), epochs=2, batch_size=16, monitor=monitor,
                            block=True, inspect=True, inspect_every=1, inspect_histograms=True)
    state = monitor.histograms
    order = monitor.info["layer_order"]
    assert order == ["0", "1", "2"]
    assert state["key"].dtype == np.int32 and np.all(np.diff(state["key"]) > 0)
    bins = sum(1 for name in state if name.startswith("c"))
    assert bins == 32
    for layer, kind in (("0", "weight"), ("2", "grad"), ("1", "activation")):
        steps, edges, counts = history.histograms(layer, kind=kind)
        mine = (state["kind"] == HISTOGRAM_KINDS.index(kind)) & (state["layer"] == order.index(layer))
        np.testing.assert_array_equal(state["step"][mine], steps)
        np.testing.assert_allclose(state["lo"][mine], edges[:, 0], rtol=1e-6)
        np.testing.assert_allclose(state["hi"][mine], edges[:, -1], rtol=1e-6)
        got = np.stack([state[f"c{j}"][mine] for j in range(bins)], axis=1)
        np.testing.assert_array_equal(got, counts)
    # binary in the exported state, not lists of numbers
    assert isinstance(monitor.get_state()["histograms"]["c0"]["data"], memoryview)


def test_a_delta_carries_histograms_as_one_binary_matrix_and_none_without_them() -> None:
    info = {"layers": ["a"], "activation_layers": ["r"], "layer_order": ["a", "r"]}
    rows = [{"kind": "layers", "step": s, "grad_norm": np.array([1.0]),
             "weight_norm": np.array([2.0]), "update_ratio": np.array([1e-3]),
             "dead_fraction": np.array([0.5]),
             "histograms": {("weight", "a"): (np.linspace(-1, 1, 5), np.array([1., 2, 3, 4])),
                            ("activation", "r"): (np.linspace(0, 2, 5), np.array([4., 0, 0, 1]))}}
            for s in (3, 4)]
    kinds = split_kinds(rows, info)
    content, buffers = encode_delta(1, 0, rows, kinds)
    wire = content["histograms"]
    assert wire["columns"][:6] == ["key", "step", "kind", "layer", "lo", "hi"]
    matrix = np.frombuffer(buffers[list(kinds).index("histograms")],
                           dtype=np.float64).reshape(wire["shape"])
    assert matrix.shape == (4, 10)
    np.testing.assert_array_equal(matrix[:, 1], [3, 3, 4, 4])
    np.testing.assert_array_equal(matrix[:, 2], [0, 2, 0, 2])  # weight, then activation
    np.testing.assert_array_equal(matrix[1, 4:], [0, 2, 4, 0, 0, 1])
    assert "histograms" not in split_kinds([{k: v for k, v in rows[0].items()
                                             if k != "histograms"}], info)
