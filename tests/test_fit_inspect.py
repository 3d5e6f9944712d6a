"""fit(..., inspect=True): per-layer statistics equal a recomputation with torch, the warning
rules fire on constructed cases and stay silent on a healthy run, blow-ups end ``diverged``."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlwidgets.engine.datasets import epoch_permutation
from dlwidgets.engine.fit import FitOptions, train
from dlwidgets.engine.layer_stats import (
    HOST_UNITS,
    BlowUpDetector,
    LayerInspector,
    merge_layer_records,
)

N, BATCH, LR = 48, 16, 0.3


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(N, 3, generator=g)
    return x, (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 0.5).long()


def _model() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(),
                         nn.Linear(8, 3))


def _reference(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int
               ) -> list[dict[str, dict[str, float]]]:
    """Plain SGD with fit's sample order; every step's statistics straight from torch."""
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    layers = {"0": model[0], "2": model[2], "4": model[4]}
    rows = []
    for epoch in range(epochs):
        order = epoch_permutation(len(x), 0, epoch)
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            seen: dict[str, torch.Tensor] = {}
            hooks = [model[i].register_forward_hook(
                lambda _m, _i, out, name=str(i), seen=seen: seen.__setitem__(name, out.detach()))
                for i in (1, 3)]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            for hook in hooks:
                hook.remove()
            before = {k: [p.detach().clone() for p in m.parameters()] for k, m in layers.items()}
            row: dict[str, dict[str, float]] = {}
            for k, m in layers.items():
                row[k] = {
                    "grad_norm": float(torch.cat([p.grad.reshape(-1) for p in m.parameters()]).norm()),
                    "weight_norm": float(torch.cat([p.reshape(-1) for p in before[k]]).norm()),
                }
            opt.step()
            for k, m in layers.items():
                delta = torch.cat([(p.detach() - b).reshape(-1)
                                   for p, b in zip(m.parameters(), before[k])])
                row[k]["update_ratio"] = float(delta.norm()) / row[k]["weight_norm"]
            row["1"] = {"dead_fraction": float((seen["1"] <= 0).all(0).float().mean())}
            row["3"] = {"saturated_fraction": float((1 - seen["3"] ** 2 < 1e-2).float().mean())}
            rows.append(row)
    return rows


def test_every_recorded_figure_equals_a_recomputation_with_torch() -> None:
    x, y = _data()
    model = _model()
    reference = _reference(copy.deepcopy(model), x, y, epochs=2)
    h = train(model, (x, y), FitOptions(optimizer="sgd", lr=LR, epochs=2, batch_size=BATCH,
                                        inspect=True, inspect_every=1))
    assert h.status == "completed"
    layers = h.layers
    assert list(layers) == ["0", "1", "2", "3", "4"]  # named_modules order, input → output
    steps = len(reference)
    for name in ("0", "2", "4"):
        cols = layers[name]
        assert cols["step"].tolist() == list(range(1, steps + 1))
        for stat in ("grad_norm", "weight_norm", "update_ratio"):
            expected = [r[name][stat] for r in reference]
            np.testing.assert_allclose(cols[stat], expected, rtol=1e-4, err_msg=f"{name} {stat}")
    np.testing.assert_allclose(layers["1"]["dead_fraction"],
                               [r["1"]["dead_fraction"] for r in reference], atol=1e-6)
    assert np.isnan(layers["1"]["saturated_fraction"]).all()
    np.testing.assert_allclose(layers["3"]["saturated_fraction"],
                               [r["3"]["saturated_fraction"] for r in reference], atol=1e-6)
    # the weights fit ends with are the reference's: inspecting changed nothing
    ref_model = copy.deepcopy(_model())
    _reference(ref_model, x, y, epochs=2)
    for a, b in zip(model.parameters(), ref_model.parameters()):
        torch.testing.assert_close(a, b)


def test_gradient_norm_is_taken_before_clipping() -> None:
    x, y = _data()
    model = _model()
    reference = _reference(copy.deepcopy(model), x, y, epochs=1)
    h = train(model, (x, y), FitOptions(optimizer="sgd", lr=LR, epochs=1, batch_size=BATCH,
                                        inspect=True, inspect_every=1, clip_grad_norm=1e-3))
    np.testing.assert_allclose(h.layers["0"]["grad_norm"][0], reference[0]["0"]["grad_norm"],
                               rtol=1e-4)


def test_without_inspect_nothing_is_recorded_and_no_hook_stays() -> None:
    x, y = _data()
    model = _model()
    h = train(model, (x, y), FitOptions(epochs=1, batch_size=BATCH))
    assert h.layers == {} and h.warnings == []
    h = train(model, (x, y), FitOptions(epochs=1, batch_size=BATCH, inspect=True))
    assert all(not m._forward_hooks for m in model.modules())
    assert len(h.layers["0"]["step"]) >= 1


def test_fixed_interval_records_every_k_steps() -> None:
    x, y = _data()
    h = train(_model(), (x, y), FitOptions(epochs=3, batch_size=BATCH, inspect=True,
                                           inspect_every=4))
    assert h.layers["0"]["step"].tolist() == [1, 5, 9]
    with pytest.raises(ValueError, match="inspect_every"):
        train(_model(), (x, y), FitOptions(inspect=True, inspect_every=0))


def test_adaptive_interval_grows_when_inspecting_costs_too_much() -> None:
    inspector = LayerInspector(_model(), budget=1e-9)  # any cost is too much
    x = torch.randn(4, 3)
    for step in range(1, 40):
        if inspector.begin(step):
            inspector.model(x).sum().backward()
            inspector.after_backward()
            inspector.after_update()
    assert inspector.interval > 4


def test_frozen_layers_are_shown_frozen_and_many_layers_are_capped() -> None:
    x, y = _data()
    model = _model()
    for p in model[0].parameters():
        p.requires_grad_(False)
    h = train(model, (x, y), FitOptions(epochs=1, batch_size=BATCH, inspect=True,
                                        inspect_every=1))
    assert h.info["frozen_layers"] == ["0"]
    assert np.isnan(h.layers["0"]["grad_norm"]).all()
    assert (h.layers["0"]["update_ratio"] == 0).all()
    big = nn.Sequential(*[nn.Linear(2, 2) for _ in range(300)])
    inspector = LayerInspector(big)
    assert len(inspector.spec.names) == 200 and "300 layers" in inspector.spec.note


def test_sparse_gradients_are_measured() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4, sparse=True), nn.Flatten(), nn.Linear(8, 2))
    x = torch.randint(0, 10, (32, 2))
    y = (x[:, 0] > 4).long()
    h = train(model, (x, y), FitOptions(optimizer="sgd", lr=0.1, epochs=1, batch_size=8,
                                        inspect=True, inspect_every=1))
    assert h.status == "completed"
    assert np.isfinite(h.layers["0"]["grad_norm"]).all() and (h.layers["0"]["grad_norm"] > 0).all()


# -- warnings --------------------------------------------------------------------------------

def _rules(h) -> set[str]:
    return {w["rule"] for w in h.warnings}


def test_healthy_run_gives_no_warning() -> None:
    x, y = _data()
    h = train(_model(), (x, y), FitOptions(epochs=3, batch_size=BATCH, inspect=True,
                                           inspect_every=1))
    assert h.status == "completed"
    assert h.warnings == []


def test_deep_sigmoid_net_warns_of_vanishing_gradients() -> None:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for i in range(12):
        layers += [nn.Linear(3 if i == 0 else 16, 16), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 3))
    x, y = _data()
    h = train(model, (x, y), FitOptions(optimizer="sgd", lr=0.01, epochs=1, batch_size=BATCH,
                                        inspect=True, inspect_every=1))
    warning = next(w for w in h.warnings if w["rule"] == "vanishing")
    assert warning["layer"] == "0" and warning["step"] == 1
    assert "layer 0's gradient norm is" in warning["message"] and "vanishing" in warning["message"]
    assert "step 1" in warning["message"]


def test_huge_learning_rate_warns_of_the_update_ratio() -> None:
    x, y = _data()
    h = train(_model(), (x, y), FitOptions(optimizer="sgd", lr=50.0, epochs=1, batch_size=BATCH,
                                           inspect=True, inspect_every=1))
    warnings = [w for w in h.warnings if w["rule"] == "update_ratio"]
    assert warnings and warnings[0]["step"] == 1
    assert "learning rate too high" in warnings[0]["message"]
    assert f"at layer {warnings[0]['layer']}" in warnings[0]["message"]


def test_relus_killed_by_a_negative_bias_warn_dead() -> None:
    model = _model()
    with torch.no_grad():
        model[0].bias.fill_(-100.0)
    x, y = _data()
    h = train(model, (x, y), FitOptions(epochs=1, batch_size=BATCH, inspect=True,
                                        inspect_every=1))
    warning = next(w for w in h.warnings if w["rule"] == "dead_relu")
    assert warning["layer"] == "1" and warning["step"] == 1
    assert warning["message"].startswith("step 1: 100 % of layer 1's ReLUs are dead")
    assert h.layers["1"]["dead_fraction"][0] == 1.0


# -- blow-up detection -------------------------------------------------------------------------

def test_blowup_detector_rules() -> None:
    d = BlowUpDetector()
    assert all(d.update(v) is None for v in (2.3, 2.2, 2.1, 2.0, 1.9, 1.5, 0.9, 0.5, 0.01, 3.0))
    d = BlowUpDetector()
    assert d.update(2.3) is None
    assert d.update(5e3) is not None  # > 1e3 × the start


def test_digits_mlp_with_a_huge_learning_rate_ends_diverged() -> None:
    import dlwidgets

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    h = dlwidgets.fit(model, "digits", optimizer="sgd", lr=1e6, epochs=2, monitor=False,
                      block=True)
    assert h.status == "diverged"
    assert h.diverged_at is not None and h.diverged_at <= 5
    assert "lower the learning rate" in h.message.lower() and "clip" in h.message
    assert math.isfinite(h.steps["loss"][-1])


def test_asked_to_keep_going_a_blowup_warns_once_and_the_run_goes_on() -> None:
    x, y = _data()
    h = train(_model(), (x, y), FitOptions(optimizer="sgd", lr=1e6, epochs=2, batch_size=BATCH,
                                           on_divergence="warn"))
    blowups = [w for w in h.warnings if w["rule"] == "blow_up"]
    assert len(blowups) == 1 and "lower the learning rate" in blowups[0]["message"]
    assert h.status in ("completed", "diverged")  # a later NaN/inf still ends the run
    assert h.step_count > blowups[0]["step"] or h.status == "diverged"
    with pytest.raises(ValueError, match="on_divergence"):
        train(_model(), (x, y), FitOptions(on_divergence="ignore"))


def test_histograms_equal_torch_histc_of_the_same_weights_gradients_and_activations() -> None:
    x, y = _data()
    model = _model()
    reference = copy.deepcopy(model)
    h = train(model, (x, y), FitOptions(optimizer="sgd", lr=LR, epochs=1, batch_size=BATCH,
                                        inspect=True, inspect_every=1, inspect_histograms=True))
    # step 1 by hand: the first batch, the initial weights
    idx = epoch_permutation(len(x), 0, 0)[:BATCH]
    seen: dict[str, torch.Tensor] = {}
    reference[1].register_forward_hook(lambda _m, _i, out: seen.__setitem__("1", out.detach()))
    F.cross_entropy(reference(x[idx]), y[idx]).backward()
    layer = reference[0]
    expected = {
        "weight": torch.cat([layer.weight.detach().reshape(-1), layer.bias.detach().reshape(-1)]),
        "grad": torch.cat([layer.weight.grad.reshape(-1), layer.bias.grad.reshape(-1)]),
    }
    for kind, values in expected.items():
        steps, edges, counts = h.histograms("0", kind=kind)
        assert steps.tolist() == [1, 2, 3] and edges.shape == (3, 33) and counts.shape == (3, 32)
        np.testing.assert_allclose(counts[0], torch.histc(values, bins=32).numpy())
        np.testing.assert_allclose(edges[0], np.linspace(float(values.min()), float(values.max()), 33),
                                   rtol=1e-6)
        assert counts[0].sum() == values.numel()
    steps, edges, counts = h.histograms("1", kind="activation")
    np.testing.assert_allclose(counts[0], torch.histc(seen["1"], bins=32).numpy())
    with pytest.raises(ValueError, match="kind"):
        h.histograms("0", kind="bias")
    with pytest.raises(ValueError, match="no inspected layer 'nope'"):
        h.histograms("nope")
    # without inspect_histograms: empty, not an error
    h = train(_model(), (x, y), FitOptions(epochs=1, batch_size=BATCH, inspect=True))
    assert h.histograms("0")[0].size == 0


def test_rows_skipped_by_may_warn_are_exactly_the_rows_that_cannot_warn() -> None:
    """The numpy pre-check over a group of rows marks every row on which ``check`` fires, so
    skipping the unmarked rows gives the same warnings, in the same order, as checking all."""
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.Sigmoid(),
                          nn.Linear(4, 4), nn.Linear(4, 1))
    rng = np.random.default_rng(0)
    rows = []
    for step in range(1, 201):
        grad = rng.uniform(1e-3, 1.0, 4)
        if step % 37 == 0:
            grad[0] = 1e-9  # vanishing against the last layer
        if step % 53 == 0:
            grad[1] = math.nan  # a frozen or non-finite layer among them
        ratio = rng.uniform(1e-4, 1e-2, 4)
        if step % 41 == 0:
            ratio[2] = 0.5  # learning rate too high
        dead = np.array([rng.uniform(0, 0.7), math.nan])
        saturated = np.array([math.nan, rng.uniform(0, 0.7)])
        rows.append({"kind": "layers", "step": step, "grad_norm": grad,
                     "weight_norm": np.ones(4), "update_ratio": ratio,
                     "dead_fraction": dead, "saturated_fraction": saturated})
    every, skipping = LayerInspector(model, every=1), LayerInspector(model, every=1)
    expected = [w for row in rows for w in every.check(row)]
    maybe = skipping.may_warn(merge_layer_records(rows))
    got = [w for row, m in zip(rows, maybe) if m for w in skipping.check(row)]
    assert got == expected and {w["rule"] for w in got} == {
        "vanishing", "update_ratio", "dead_relu", "saturated"}
    assert 0 < maybe.sum() < len(rows)  # it does skip rows
    # no row that would warn (with a fresh inspector, nothing fired yet) is skipped
    for row, m in zip(rows, maybe):
        if not m:
            assert LayerInspector(model, every=1).check(row) == []


class _Awkward(nn.Module):
    """A ReLU module called twice per step, a conv ReLU (units = channel × position), a ReLU
    wider than HOST_UNITS (counted on the device) and a layer that never gets a gradient."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.act = nn.ReLU()
        self.wide = nn.Linear(144, HOST_UNITS + 10)
        self.wide_act = nn.ReLU()
        self.unused = nn.Linear(3, 3)
        self.out = nn.Linear(HOST_UNITS + 10, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.conv(x)).flatten(1)
        return self.out(self.act(self.wide_act(self.wide(h))))


def test_awkward_layouts_equal_a_recomputation_with_torch() -> None:
    """Shared and wide activation modules, a conv ReLU and a layer without gradients: every
    figure equals torch's on the same weights and batch."""
    torch.manual_seed(0)
    model = _Awkward()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(16, 1, 8, 8, generator=g)
    y = torch.randint(0, 3, (16,), generator=g)
    ref = copy.deepcopy(model)
    opt = torch.optim.SGD(ref.parameters(), lr=0.05)
    layers = ["conv", "wide", "unused", "out"]
    expected: dict[str, list[float]] = {}
    for epoch in range(2):
        order = epoch_permutation(len(x), 0, epoch)
        for start in range(0, len(x), 8):
            idx = order[start:start + 8]
            seen: dict[str, list[torch.Tensor]] = {"act": [], "wide_act": []}
            hooks = [getattr(ref, name).register_forward_hook(
                lambda _m, _i, out, kept=seen[name]: kept.append(out.detach()))
                for name in seen]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(ref(x[idx]), y[idx]).backward()
            for hook in hooks:
                hook.remove()
            before = {n: [p.detach().clone() for p in getattr(ref, n).parameters()]
                      for n in layers}
            for n in layers:
                grads = [p.grad.reshape(-1) if p.grad is not None else torch.zeros(1)
                         for p in getattr(ref, n).parameters()]
                expected.setdefault(f"{n} grad_norm", []).append(float(torch.cat(grads).norm()))
                expected.setdefault(f"{n} weight_norm", []).append(
                    float(torch.cat([b.reshape(-1) for b in before[n]]).norm()))
            opt.step()
            for n in layers:
                moved = torch.cat([(p.detach() - b).reshape(-1)
                                   for p, b in zip(getattr(ref, n).parameters(), before[n])])
                expected.setdefault(f"{n} update_ratio", []).append(
                    float(moved.norm()) / expected[f"{n} weight_norm"][-1])
            for name, outputs in seen.items():
                dead = sum(float((o.reshape(len(o), -1) <= 0).all(0).sum()) for o in outputs)
                units = sum(o[0].numel() for o in outputs)
                expected.setdefault(f"{name} dead_fraction", []).append(dead / units)
    h = train(model, (x, y), FitOptions(optimizer="sgd", lr=0.05, epochs=2, batch_size=8,
                                        inspect=True, inspect_every=1))
    assert h.status == "completed"
    got = h.layers
    assert got["act"]["step"].tolist() == [1, 2, 3, 4]
    for key, values in expected.items():
        layer, stat = key.split()
        np.testing.assert_allclose(got[layer][stat], values, rtol=1e-4, atol=1e-7,
                                   err_msg=key)
    assert (got["unused"]["grad_norm"] == 0).all() and (got["unused"]["update_ratio"] == 0).all()


@pytest.mark.parametrize("every,flush_rows", [(1, 2), (1, 3), (2, 2), (3, 1)])
def test_statistics_survive_flush_boundaries_and_intervals(every: int, flush_rows: int) -> None:
    """Flushes every few recorded steps, recording every k steps: each recorded step's norms
    still equal torch's (a step's update norm is taken at the next recorded step or at the
    flush, whichever comes first)."""
    model = _model()
    inspector = LayerInspector(model, every=every, flush_rows=flush_rows, flush_seconds=1e9)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = _data()
    blocks, expected = [], {}
    for step in range(1, 12):
        idx = torch.arange(step, step + BATCH) % N
        opt.zero_grad(set_to_none=True)
        recording = inspector.begin(step)
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        inspector.after_backward()
        before = [p.detach().clone() for p in model[2].parameters()]
        grad = torch.cat([p.grad.reshape(-1) for p in model[2].parameters()]).norm()
        opt.step()
        moved = torch.cat([(p.detach() - b).reshape(-1)
                           for p, b in zip(model[2].parameters(), before)]).norm()
        weight = torch.cat([b.reshape(-1) for b in before]).norm()
        if recording:
            expected[step] = (float(grad), float(weight), float(moved / weight))
        blocks += inspector.after_update()
    blocks += inspector.flush()
    block = merge_layer_records(blocks)
    assert block is not None and block["step"].tolist() == sorted(expected)
    got = np.stack([block["grad_norm"][:, 1], block["weight_norm"][:, 1],
                    block["update_ratio"][:, 1]], axis=1)
    np.testing.assert_allclose(got, [expected[s] for s in sorted(expected)], rtol=1e-5)
