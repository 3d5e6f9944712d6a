"""Widgets are disposable: every widget class is garbage-collected after ``close()``, also after
it has done its work (a finished training, a trained demo, a race that ran)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

import pytest
import torch
from torch import nn

import dlwidgets
from dlwidgets.widgets._base import DLWidget, bundle
from tests.latent_models import TinyAE
from tests.training_helpers import tiny_data, tiny_model


def _monitor_after_fit() -> DLWidget:
    monitor = dlwidgets.TrainingMonitor()
    x, y = tiny_data()
    dlwidgets.fit(tiny_model(), (x, y), epochs=1, batch_size=16, monitor=monitor, block=True)
    return monitor


def _playground_after_training() -> DLWidget:
    pg = dlwidgets.Playground("xor", hidden=[3], residual=False)
    pg.train(epochs=2)
    pg.play()
    pg.pause()
    return pg


def _landscape() -> DLWidget:
    x, y = torch.rand(20, 2), torch.rand(20, 1)
    return dlwidgets.loss_landscape(nn.Linear(2, 1), (x, y), resolution=5, device="cpu")


def _latent_after_training() -> DLWidget:
    w = dlwidgets.LatentExplorer.demo(epochs=1, device="cpu", pretrained=False)
    assert w.wait(120)
    return w


MAKERS: dict[str, Callable[[], DLWidget]] = {
    "ActivationExplorer": lambda: dlwidgets.ActivationExplorer("relu"),
    "ConvStepper": lambda: dlwidgets.ConvStepper(),
    "LatentExplorer": lambda: dlwidgets.LatentExplorer(TinyAE(latent_dim=2), torch.rand(20, 16),
                                                       device="cpu"),
    "LSTMInspector": lambda: dlwidgets.LSTMInspector(nn.LSTM(3, 4), torch.rand(5, 1, 3)),
    "ModelSummaryWidget": lambda: dlwidgets.ModelSummaryWidget(nn.Linear(3, 2), (3,)),
    "OptimizerRace": lambda: dlwidgets.OptimizerRace(steps=20),
    "TrainingMonitor": lambda: dlwidgets.TrainingMonitor(),
    "LossLandscape": _landscape,
    "AttentionInspector": lambda: dlwidgets.AttentionInspector(
        nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True), torch.rand(1, 5, 8)),
    "BackpropStepper": lambda: dlwidgets.BackpropStepper.demo("2-2-1"),
    "ExpressionStepper": lambda: dlwidgets.BackpropStepper.expression(
        lambda a, b: a * b + a, a=2.0, b=3.0),
    "Playground": lambda: dlwidgets.Playground("xor", hidden=[3]),
}
AFTER_WORK: dict[str, Callable[[], DLWidget]] = {
    "TrainingMonitor after a fit": _monitor_after_fit,
    "LatentExplorer demo after training": _latent_after_training,
    "Playground after training": _playground_after_training,
}


def _concrete_widget_classes() -> set[str]:
    found: set[str] = set()
    todo = list(DLWidget.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("dlwidgets.") and not cls.__name__.startswith("_"):
            found.add(cls.__name__)
    return found


def test_every_widget_class_is_covered() -> None:
    assert _concrete_widget_classes() <= set(MAKERS), "add the new widget class to MAKERS"


@pytest.mark.parametrize("name", [*MAKERS, *AFTER_WORK])
def test_a_closed_widget_is_garbage_collected(name: str) -> None:
    make = MAKERS.get(name) or AFTER_WORK[name]
    widget = make()
    ref = weakref.ref(widget)
    widget.close()
    del widget
    gc.collect()
    assert ref() is None, f"a closed {name} is still referenced: {gc.get_referrers(ref())!r:.300}"


def test_the_front_end_is_handed_to_anywidget_as_text() -> None:
    # anywidget turns a path (or a one-line string ending in a file suffix) into a file watcher
    # that holds every instance; the bundle is the module's text and never looks like a path.
    for name in ("activation_explorer", "no_such_widget"):
        text = bundle(name)
        assert isinstance(text, str) and "\n" in text
