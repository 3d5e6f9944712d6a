"""Small defects, each with its case: wrong types and values named in plain errors, paths and
closed widgets handled, complex numbers and ignore-index labels refused with a reason."""

from __future__ import annotations

import math
import pathlib

import pytest
import torch
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from torch import nn

import dlwidgets
from dlwidgets import ExportError


def test_build_of_something_that_is_not_text_is_a_type_error() -> None:
    for source in (None, 5, b"input 3"):
        with pytest.raises(TypeError, match="source must be a string"):
            dlwidgets.build(source)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed must be"):
        dlwidgets.build("input 3 -> dense 2", seed=10**30)


@pytest.mark.parametrize("seed", ["99999999999999999999999", "²", "-1"])
def test_cell_magic_seed_out_of_range_or_not_ascii_is_a_usage_error(seed: str) -> None:
    from dlwidgets.magics import _parse_cell_line

    with pytest.raises(UsageError, match="--seed must be a whole number"):
        _parse_cell_line(f"net --seed {seed}")


def test_cell_magic_seed_shows_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "dlwidgets")
    shell.run_cell("%%dl net --seed ²\ninput 2 -> dense 2")
    err = capsys.readouterr().err
    assert "UsageError: --seed must be a whole number" in err and "Traceback" not in err


def test_export_to_a_directory_is_refused_and_writes_nothing(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    with pytest.raises(ExportError, match="is a directory"):
        dlwidgets.export_html(dlwidgets.ActivationExplorer(), target)
    assert not (tmp_path / "site.html").exists()


def test_a_closed_widget_can_still_be_exported(tmp_path: pathlib.Path) -> None:
    w = dlwidgets.ActivationExplorer("tanh")
    w.close()
    path = dlwidgets.export_html(w, tmp_path / "closed.html")
    assert "ActivationExplorer" in path.read_text()


@pytest.mark.parametrize("make", [
    lambda: dlwidgets.ConvStepper(title=5),
    lambda: dlwidgets.TrainingMonitor(title=5),
    lambda: dlwidgets.LSTMInspector(nn.LSTM(3, 4), torch.rand(5, 3), title=5),
    lambda: dlwidgets.LatentExplorer(nn.Module(), None, title=5),
    lambda: dlwidgets.ModelSummaryWidget(nn.Linear(3, 2), (3,), name=5),
])
def test_a_title_that_is_not_a_string_is_a_type_error(make: object) -> None:
    with pytest.raises(TypeError, match="title|name"):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"epochs": -1}, "epochs must be in"),
    ({"lr": math.nan}, "lr must be in"),
    ({"lr": 0.0}, "lr must be in"),
    ({"latent_dim": "x"}, "latent_dim must be an integer"),
])
def test_latent_demo_checks_its_training_arguments_before_starting(kwargs: dict,
                                                                   message: str) -> None:
    with pytest.raises(ValueError if "integer" not in message else TypeError, match=message):
        dlwidgets.LatentExplorer.demo(start=False, device="cpu", **kwargs)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"seed": "x"}, TypeError, "seed must be an integer"),
    ({"bound": "x"}, TypeError, "bound must be a number"),
    ({"bound": math.nan}, ValueError, "bound must be"),
    ({"explainer": "no"}, TypeError, "explainer must be True or False"),
])
def test_race_arguments_are_named(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        dlwidgets.OptimizerRace(steps=10, resolution=16, **kwargs)


def test_activation_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        dlwidgets.ActivationExplorer(negative_slope="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="points must be an integer"):
        dlwidgets.ActivationExplorer(points="x")  # type: ignore[arg-type]


def test_complex_tensors_are_refused_not_cast() -> None:
    x = torch.randn(16, 3).to(torch.complex64)
    with pytest.raises(TypeError, match="data X must hold real numbers"):
        dlwidgets.fit(nn.Linear(3, 2), (x, torch.zeros(16, dtype=torch.long)), epochs=1,
                      monitor=False)
    with pytest.raises(TypeError, match="real numbers"):
        dlwidgets.ConvStepper(torch.zeros(8, 8, dtype=torch.complex64))


def test_ignore_index_labels_are_explained() -> None:
    x = torch.randn(20, 3)
    y = torch.full((20,), -100)
    with pytest.raises(ValueError, match=r"the smallest is -100 \(fit does not skip") as info:
        dlwidgets.fit(nn.Linear(3, 2), (x, y), epochs=1, monitor=False)
    assert "-99" not in str(info.value)


def test_a_device_that_is_not_a_name_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="device must be a string"):
        dlwidgets.device(3)  # type: ignore[arg-type]


# ---- a constructor that fails part-way leaves no widget registered ---------------------------

def _open_widgets() -> int:
    from ipywidgets.widgets.widget import _instances

    return sum(1 for w in list(_instances.values()) if w.comm is not None)


def test_a_constructor_failing_after_its_comm_opened_closes_it() -> None:
    import gc
    import weakref

    import numpy as np
    import traitlets

    from dlwidgets import LatentExplorer
    from dlwidgets.widgets._base import DLWidget
    from tests.latent_models import TinyAE

    made: list[weakref.ref[DLWidget]] = []

    class HalfBuilt(DLWidget):
        value = traitlets.Int(0).tag(sync=True)

        def __init__(self) -> None:
            super().__init__()  # the comm is open from here
            made.append(weakref.ref(self))
            raise RuntimeError("fails after the comm is open")

    before = _open_widgets()
    with pytest.raises(RuntimeError, match="fails after the comm is open"):
        HalfBuilt()
    assert _open_widgets() == before
    gc.collect()
    assert made[0]() is None, "the half-built widget is still referenced"
    # a real one: the labels are checked after the widget exists
    x = torch.rand(20, 16, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="labels has 3 entries but the data has 20 samples"):
        LatentExplorer(TinyAE(), x, np.arange(3), device="cpu")
    assert _open_widgets() == before
