"""A fuzz of the public constructors: every argument given a value of the wrong type or out of
range either works or raises ValueError/TypeError whose message names the argument (never an
AttributeError, a TraitError or a bare "could not convert string to float")."""

from __future__ import annotations

import math
import pathlib
import tempfile
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

import dlwidgets
from dlwidgets import DSLError
from tests.latent_models import TinyAE

BAD: list[Any] = ["x", -1, 10**30, math.nan, math.inf, 1 + 2j, object()]


def _x() -> torch.Tensor:
    return torch.rand(12, 16, generator=torch.Generator().manual_seed(0))


def _xy() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    return x, (x[:, 0] > 0).long()


#: entry point -> (call with keyword overrides, the arguments to fuzz)
ENTRIES: dict[str, tuple[Callable[..., Any], list[str]]] = {
    "ActivationExplorer": (lambda **k: dlwidgets.ActivationExplorer(**k),
                           ["activation", "x_range", "points", "negative_slope", "alpha"]),
    "ConvStepper": (lambda **k: dlwidgets.ConvStepper(**k),
                    ["image", "kernel", "stride", "padding", "dilation", "bias", "groups",
                     "padding_mode", "activation", "pool", "pool_size", "pool_stride", "filter",
                     "channel", "view", "speed", "title", "channel_names", "device"]),
    "LatentExplorer": (lambda **k: dlwidgets.LatentExplorer(
        k.pop("model", TinyAE(latent_dim=2)), k.pop("data", _x()), device=k.pop("device", "cpu"),
        **k),
        ["model", "data", "labels", "latent_dim", "image_shape", "display", "device",
         "batch_size", "prior_samples", "seed", "max_browser_params", "anomaly_count",
         "grid_size", "title"]),
    "LatentExplorer.demo": (lambda **k: dlwidgets.LatentExplorer.demo(
        start=k.pop("start", False), device=k.pop("device", "cpu"), **k),
        ["kind", "latent_dim", "epochs", "lr", "seed", "device"]),
    "LSTMInspector": (lambda **k: dlwidgets.LSTMInspector(
        k.pop("lstm", nn.LSTM(3, 4)), k.pop("inputs", torch.rand(5, 3)), **k),
        ["lstm", "inputs", "tokens", "tokenizer", "compare", "compare_label", "unit", "gate",
         "layer", "direction", "gradient", "max_steps", "title", "device"]),
    "ModelSummaryWidget": (lambda **k: dlwidgets.ModelSummaryWidget(
        k.pop("model", nn.Linear(3, 2)), k.pop("input_shape", (3,)), **k),
        ["model", "input_shape", "name", "batch_size"]),
    "OptimizerRace": (lambda **k: dlwidgets.OptimizerRace(
        steps=k.pop("steps", 10), resolution=k.pop("resolution", 16), **k),
        ["surface", "optimizers", "start", "steps", "swarm", "noise", "seed", "resolution",
         "domain", "log_scale", "tol", "bound", "surface_params", "explainer"]),
    "Playground": (lambda **k: dlwidgets.Playground(**k),
                   ["data", "features", "hidden", "activation", "init", "lr", "optimizer",
                    "batch_size", "noise", "train_fraction", "l1", "l2", "dropout",
                    "batch_norm", "residual", "seed", "n_points", "task", "speed",
                    "device"]),
    "TrainingMonitor": (lambda **k: dlwidgets.TrainingMonitor(**k),
                        ["title", "max_rate", "history_every"]),
    "fit": (lambda **k: dlwidgets.fit(
        k.pop("model", nn.Linear(3, 2)), k.pop("data", _xy()), monitor=k.pop("monitor", False),
        epochs=k.pop("epochs", 1), **k),
        ["model", "data", "loss", "optimizer", "lr", "epochs", "batch_size", "device",
         "metrics", "val_data", "momentum", "weight_decay", "l1", "l2", "clip_grad_norm",
         "clip_grad_value", "schedule", "schedule_every", "early_stopping", "seed", "shuffle",
         "monitor", "title"]),
    "build": (lambda **k: dlwidgets.build(k.pop("source", "input 3 -> dense 2"), **k),
              ["source", "seed", "max_params"]),
    "summary": (lambda **k: dlwidgets.summary(
        k.pop("model", nn.Linear(3, 2)), k.pop("input_shape", (3,)), **k),
        ["model", "input_shape", "batch_size", "name"]),
    "load_dataset": (lambda **k: dlwidgets.load_dataset(k.pop("name", "moons"), **k),
                     ["name", "n", "noise", "val_fraction", "seed"]),
    "export_html": (lambda **k: dlwidgets.export_html(
        dlwidgets.ActivationExplorer(), pathlib.Path(tempfile.mkdtemp()) / "page.html",
        quiet=k.pop("quiet", True), **k),
        ["precompute", "precompute_limit", "quiet"]),
}


#: what a message may call an argument instead of its name
ALIASES = {"name": {"dataset"}, "source": {"dsl text"}, "metrics": {"metric"}}


#: entries whose call builds a widget to pass in, before the argument under test is refused
TAKES_A_WIDGET = {"export_html"}


def _open_widgets() -> int:
    from ipywidgets.widgets.widget import _instances

    return sum(1 for w in list(_instances.values()) if w.comm is not None)


def _names_argument(message: str, arg: str) -> bool:
    text = message.lower()
    words = {arg, arg.replace("_", " "), arg.replace("_", "-"), *ALIASES.get(arg, ())}
    return any(w.lower() in text for w in words)


CASES = [(entry, arg, i) for entry, (_, args) in ENTRIES.items() for arg in args
         for i in range(len(BAD))]


@pytest.mark.parametrize(("entry", "arg", "i"), CASES,
                         ids=[f"{e}-{a}-{i}" for e, a, i in CASES])
def test_a_bad_argument_is_refused_naming_it(entry: str, arg: str, i: int) -> None:
    call, _ = ENTRIES[entry]
    value = BAD[i]
    before = _open_widgets()
    try:
        result = call(**{arg: value})
    except DSLError:  # DSL text that does not parse: the error points at its line and column
        assert arg == "source"
        return
    except (ValueError, TypeError) as exc:
        assert _names_argument(str(exc), arg), \
            f"{entry}({arg}={value!r}) raised {type(exc).__name__} without naming it: {exc}"
        # a refused constructor leaves no widget (nor its layout) open with the kernel
        # (export_html's entry builds the widget it exports before the refusal: that one stays)
        if entry not in TAKES_A_WIDGET:
            assert _open_widgets() == before, f"{entry}({arg}={value!r}) left a widget open"
        return
    close = getattr(result, "close", None)
    if callable(close) and not isinstance(result, torch.nn.Module):
        close()
