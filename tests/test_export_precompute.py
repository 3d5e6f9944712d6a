"""Precomputed states of a static page: each equals what the live widget computes after that
control is set (PyTorch through the real widget), the size stated before writing is the size
written, the cap works and bad arguments are refused clearly."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlwidgets import ActivationExplorer, ConvStepper, OptimizerRace, export_html
from dlwidgets.export_precompute import patch_at, plan, table
from dlwidgets.widgets._traits import array_tree


def _value(state, path):
    node = state
    for key in path:
        node = node[key]
    return node


def _same(live, pre, where):
    """Equal structure; arrays equal (float arrays to float32 rounding of one ulp)."""
    a, b = array_tree(live), array_tree(pre)
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(b, a, err_msg=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, (int, float)):
        assert b == pytest.approx(a, rel=1e-6, abs=1e-9, nan_ok=True), where
    else:
        assert a == b, where


def _check_against_live(widget, groups_states, setter, reset):
    """For every precomputed value: set it on the live widget, compare the patched paths."""
    checked = 0
    for group in groups_states["groups"]:
        control = group["controls"][0]["name"]
        for value, patch in zip(group["controls"][0]["values"], group["states"]):
            assert isinstance(patch, list), f"{control}={value} refused: {patch}"
            setter(control, value)
            live = widget.get_state()
            for path, pre in patch:
                _same(_value(live, path), pre, f"{control}={value}: {'/'.join(path)}")
            checked += 1
        reset(control, group["controls"][0]["values"][group["controls"][0]["base"]])
    return checked


def test_activation_states_equal_the_live_widget():
    w = ActivationExplorer("leaky_relu", negative_slope=0.07)
    t = table(plan(w, float("inf")))
    assert [g["controls"][0]["name"] for g in t["groups"]] == ["negative_slope", "alpha"]
    slope = t["groups"][0]["controls"][0]
    assert slope["values"][slope["base"]] == 0.07 and len(slope["values"]) >= 8

    def setter(name, value):
        setattr(w, name, value)
    assert _check_against_live(w, t, setter, setter) == t["count"]


def test_conv_states_equal_the_live_widget_for_every_combination():
    w = ConvStepper("digit", "vertical_edge", stride=1, padding=1, dilation=1)
    t = table(plan(w, float("inf")))
    (group,) = t["groups"]
    names = [c["name"] for c in group["controls"]]
    assert names == ["stride", "padding", "dilation"]
    sizes = [len(c["values"]) for c in group["controls"]]
    assert sizes == [3, 3, 2] and len(group["states"]) == 18
    before = w.get_state()
    for k, combo in enumerate(itertools.product(*(c["values"] for c in group["controls"]))):
        patch = group["states"][k]
        w.configure(**{n: v for n, v in zip(names, combo)})
        live = w.get_state()
        assert isinstance(patch, list)
        for path, pre in patch:
            _same(_value(live, path), pre, f"{combo}: {'/'.join(path)}")
        # the output really is PyTorch's conv2d at those settings
        ref = F.conv2d(torch.tensor(w.image)[None], torch.tensor(w.weight), stride=combo[0],
                       padding=combo[1], dilation=combo[2])[0].numpy()
        trace = next(value for path, value in patch if path == ["trace"])
        out = array_tree(trace)["output"]
        np.testing.assert_allclose(out, ref.astype(np.float32), rtol=1e-5, atol=1e-5)
    w.configure(stride=1, padding=1, dilation=1)
    for path in (["trace"], ["settings"], ["geometry"]):
        _same(_value(w.get_state(), path), _value(before, path), "restored")


def test_conv_precompute_leaves_the_widget_untouched_and_asymmetric_settings_out():
    w = ConvStepper("digit", "vertical_edge", stride=(1, 2), padding=0)
    before = w.get_state()
    groups = w.offline_groups()
    assert [c.name for c in groups[0].controls] == ["padding", "dilation"]  # stride (1, 2) kept out
    w.offline_states(groups)
    after = w.get_state()
    for key in ("trace", "settings", "geometry", "error"):
        _same(after[key], before[key], key)


def test_race_hyperparameter_and_surface_states_equal_the_live_widget():
    race = OptimizerRace("rosenbrock", ["sgd", "adam", "lbfgs"], steps=60)
    p = plan(race, float("inf"))
    keys = [g.key for g in p.groups]
    assert keys[:3] == ["hyper/sgd/lr", "hyper/adam/lr", "hyper/lbfgs/lr"]  # learning rates first
    assert "surface/a" in keys and "hyper/adam/beta1" in keys
    lr = p.groups[0].controls[0]
    assert 8 <= len(lr.values) <= 16 and lr.values[lr.base] == race.hyper["sgd"]["lr"]
    for group in p.groups:  # every slider: 8-16 values inside its range, the exported one too
        (control,) = group.controls
        assert 8 <= len(control.values) <= 16, (group.label, control.values)
        assert control.values == sorted(set(control.values))
    beta2 = next(g for g in p.groups if g.key == "hyper/adam/beta2").controls[0]
    assert 0.5 <= beta2.values[0] and beta2.values[-1] <= 0.9999 and 0.999 in beta2.values
    ratios = np.diff(np.log10(lr.values))
    assert np.all(ratios > 0) and np.all(ratios < 0.3)  # log spaced, about 4 per decade
    t = table(p)
    by_key = {g["key"]: g for g in t["groups"]}

    def setter(control, value):
        kind, *rest = control.split(".")
        if kind == "hyper":
            race.set_hyper(rest[0], **{rest[1]: value})
        else:
            race.surface_params = {**race.surface_params, rest[0]: value}

    sub = {"groups": [by_key[k] for k in ("hyper/sgd/lr", "hyper/adam/lr", "hyper/lbfgs/lr",
                                            "hyper/adam/beta2", "surface/b")]}
    n = _check_against_live(race, sub, setter, setter)
    assert n == sum(len(g["states"]) for g in sub["groups"])
    # some learning rates of the grid diverge: the page shows that, as the live widget does
    statuses = {s[6][1]["status"] for s in by_key["hyper/sgd/lr"]["states"]}
    assert "diverged" in statuses and len(statuses) > 1
    # groups writing one optimizer's state conflict; a surface conflicts with all of them
    assert by_key["surface/a"]["conflicts"]
    i_sgd = list(by_key).index("hyper/sgd/lr")
    assert i_sgd not in by_key["hyper/adam/lr"]["conflicts"]


def test_race_precompute_does_not_change_the_race():
    race = OptimizerRace("quadratic", ["sgd", "momentum"], steps=40)
    before = race.get_state()
    race.offline_states(race.offline_groups())
    after = race.get_state()
    for key in ("paths", "hyper", "summary", "grid", "notes", "surface_params"):
        _same(after[key], before[key], key)


def _page_state(path):
    text = path.read_text(encoding="utf-8")
    payload = re.search(r'<script type="application/json" id="dlw-state">(.*?)</script>', text, re.S)
    return json.loads(payload.group(1))


def test_size_stated_before_writing_is_the_size_written(tmp_path, capsys):
    widgets = [OptimizerRace("rosenbrock", ["sgd", "adam"], steps=80), ConvStepper(),
               ActivationExplorer()]
    plain = export_html(widgets, tmp_path / "plain.html", precompute=False, quiet=True)
    capsys.readouterr()
    page = export_html(widgets, tmp_path / "page.html")
    out = capsys.readouterr().out
    stated = re.findall(r"(\w+): precomputing (\d+) [\w ]+? for \d+ control group\(s\) \(([\d.]+) (MB|kB)\)", out)
    assert [s[0] for s in stated] == ["OptimizerRace", "ConvStepper", "ActivationExplorer"]
    estimate = sum(float(v) * (1e6 if unit == "MB" else 1e3) for _, _, v, unit in stated)
    written = page.stat().st_size - plain.stat().st_size
    assert abs(written - estimate) / written < 0.03, (written, estimate)
    total = re.search(r"writing .*page.html \(([\d.]+) MB\)", out)
    assert total and abs(float(total.group(1)) * 1e6 - page.stat().st_size) < 0.06e6
    entries = _page_state(page)
    counts = [e["state"].get("_offline", {}).get("count") for e in entries]
    assert counts == [int(s[1]) for s in stated]
    assert all("_offline" not in e["state"] for e in _page_state(plain))


@pytest.mark.parametrize("settings", [{"stride": 2}, {"stride": 3, "padding": 2, "dilation": 2}])
def test_conv_estimate_follows_each_combination_s_output_size(tmp_path, settings):
    # the states differ in size from the exported one (stride 1 makes far larger traces)
    w = ConvStepper("rgb", ["sobel_x", "sobel_y", "blur"], **settings)
    estimate = plan(w, float("inf")).nbytes
    plain = export_html(w, tmp_path / "plain.html", precompute=False, quiet=True)
    page = export_html(w, tmp_path / "page.html", quiet=True)
    written = page.stat().st_size - plain.stat().st_size
    assert abs(written - estimate) / written < 0.03, (written, estimate)


def test_the_cap_keeps_what_fits_and_says_what_it_skips(tmp_path, capsys):
    race = OptimizerRace("rosenbrock", ["sgd", "adam"], steps=80)
    full = plan(race, float("inf"))
    lr_bytes = sum(e for g, e in zip(full.groups, full.estimates) if g.key.endswith("/lr"))
    cap = lr_bytes + 1000  # room for the learning rates, not for the surface parameters
    page = export_html(race, tmp_path / "capped.html", precompute_limit=cap)
    out = capsys.readouterr().out
    assert "not precomputing surface parameter a" in out and "keeps its 'needs a kernel' hint" in out
    (entry,) = _page_state(page)
    keys = [g["key"] for g in entry["state"]["_offline"]["groups"]]
    assert "hyper/sgd/lr" in keys and "hyper/adam/lr" in keys
    assert not any(k.startswith("surface/") for k in keys)
    page = export_html(race, tmp_path / "none.html", precompute_limit=0)
    assert "_offline" not in _page_state(page)[0]["state"]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"precompute": "yes"}, TypeError, "precompute must be True or False"),
    ({"precompute_limit": -1}, ValueError, "precompute_limit must be a number of bytes >= 0"),
    ({"precompute_limit": "1MB"}, ValueError, "precompute_limit must be a number of bytes"),
    ({"precompute_limit": float("nan")}, ValueError, "precompute_limit"),
    ({"quiet": 1}, TypeError, "quiet must be True or False"),
])
def test_bad_arguments_are_refused_clearly(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        export_html(ActivationExplorer(), tmp_path / "x.html", **kwargs)


def test_patch_at_reads_paths_of_the_state():
    w = ActivationExplorer()
    state = w.get_state()
    ((path, value),) = patch_at(state, [["curves", "elu"]])
    assert path == ["curves", "elu"] and value is state["curves"]["elu"]


def test_a_combination_the_live_widget_refuses_carries_its_message():
    w = ConvStepper(np.arange(16.0).reshape(4, 4), "vertical_edge")
    (group,) = w.offline_groups()
    (states,) = w.offline_states([group])
    names = [c.name for c in group.controls]
    refused = 0
    for combo, state in zip(group.combinations(), states):
        try:
            ConvStepper(np.arange(16.0).reshape(4, 4), "vertical_edge",
                        **{n: v for n, v in zip(names, combo)})
        except ValueError as exc:
            assert state == str(exc)
            refused += 1
        else:
            assert isinstance(state, list)
    assert refused > 0  # e.g. dilation 2 without padding: a 5 × 5 window on a 4 × 4 image
    page = table(plan(w, float("inf")))
    assert sum("refused" in s for s in page["groups"][0]["states"] if isinstance(s, dict)) == refused


def _bowl_that_refuses_far_points(x, y):
    if bool((x.abs() > 2.5).any()):
        raise ValueError("outside the lesson's bowl")
    return x**2 + y**2


def test_race_values_the_live_widget_refuses_carry_its_error_message(tmp_path, capsys):
    race = OptimizerRace(_bowl_that_refuses_far_points, [{"name": "sgd", "lr": 0.5}], steps=20,
                         domain=(-2, 2, -2, 2))
    (group,) = [g for g in race.offline_groups() if g.key == "hyper/sgd/lr"]
    (states,) = race.offline_states([group])
    refused = 0
    for (lr,), state in zip(group.combinations(), states):
        try:
            race.set_hyper("sgd", lr=lr)
        except ValueError:
            assert state == race.error  # what the live widget shows in its error line
            refused += 1
        else:
            assert isinstance(state, list)
    assert 0 < refused < len(states)  # large rates overshoot past |x| = 2.5, small ones do not
    race.set_hyper("sgd", lr=0.5)
    page = export_html(race, tmp_path / "bowl.html")
    assert "precomputing failed" not in capsys.readouterr().out
    (entry,) = _page_state(page)
    assert sum(isinstance(s, dict) for s in entry["state"]["_offline"]["groups"][0]["states"]) \
        == refused


def test_race_states_with_a_swarm_and_gradient_noise_equal_the_live_widget():
    race = OptimizerRace("rastrigin", ["momentum", "rmsprop"], steps=40, swarm=5, noise=0.5,
                         seed=3)
    rng_before = torch.get_rng_state()
    groups = [g for g in race.offline_groups() if g.key in ("hyper/momentum/lr",
                                                            "hyper/rmsprop/alpha")]
    states = race.offline_states(groups)
    assert torch.equal(torch.get_rng_state(), rng_before)  # seeded generators only
    t = {"groups": [{"controls": [{"name": c.name, "values": c.values, "base": c.base}
                                  for c in g.controls], "states": s}
                    for g, s in zip(groups, states)]}

    def setter(control, value):
        _, name, key = control.split(".")
        race.set_hyper(name, **{key: value})
    assert _check_against_live(race, t, setter, setter) == sum(g.size for g in groups)
