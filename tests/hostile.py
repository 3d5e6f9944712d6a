"""Widgets built with hostile strings in their string fields and NaN/inf in their number fields
(shared by the export tests in Python and in the browser)."""

from __future__ import annotations

import base64
import math
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import nbformat
import torch
from ipywidgets.widgets.widget import _remove_buffers
from torch import nn

import dlwidgets
from dlwidgets.nbconvert import STATE_MIME, VIEW_MIME
from tests.latent_models import TinyAE

#: closes a script element, opens the comment-like script state, HTML, an entity, a JS line break
HOSTILE = '<!--<script>window.__dlwPwned=1</script><b class="dlw-pwned">x</b> &amp; \u2028 </'


def nonfinite_paths(value: Any, path: str = "") -> Iterator[str]:
    """Where ``value`` (a widget's state) holds NaN or ±inf floats."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from nonfinite_paths(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from nonfinite_paths(v, f"{path}[{i}]")


def hostile_widgets() -> list[Any]:
    """One widget of every kind, each with the hostile string and non-finite numbers where its
    API lets a user put them."""
    torch.manual_seed(0)
    h = HOSTILE
    act = dlwidgets.ActivationExplorer("softmax")  # no free strings; NaN logits are refused
    latent = dlwidgets.LatentExplorer(TinyAE(latent_dim=3), torch.rand(12, 16),
                                      [h, "b", "c"] * 4, device="cpu", title=h)
    latent.sliders = [math.nan]
    lstm = dlwidgets.LSTMInspector(nn.LSTM(3, 4), torch.rand(5, 1, 3), tokens=[h, "a", "b", "c", "d"],
                                   title=h, compare=nn.RNN(3, 4), compare_label=h)
    summary = dlwidgets.ModelSummaryWidget(
        nn.Sequential(OrderedDict([(h.replace(".", ""), nn.Linear(3, 2))])), (3,), name=h)
    race = dlwidgets.OptimizerRace(
        optimizers=[lambda ps: torch.optim.SGD(ps, lr=0.01), {"optimizer": "adam", "name": h}],
        steps=20)
    monitor = dlwidgets.TrainingMonitor(title=h)
    x = torch.randn(32, 3)
    dlwidgets.fit(nn.Linear(3, 2), (x, (x[:, 1] > 0).long()), epochs=1, monitor=monitor,
                  loss=lambda out, y: out.sum() * math.nan, block=True)  # diverges at step 1
    conv = dlwidgets.ConvStepper(title=h, channel_names=[h])
    return [act, conv, latent, lstm, summary, race, monitor]


#: a markdown cell with a diagram: nbconvert's own template would import mermaid from a CDN
MERMAID_MARKDOWN = "# Lesson\n\n```mermaid\ngraph TD; input-->conv-->pool\n```\n"


def notebook_with(widgets: list[Any], markdown: str = "# Lesson") -> nbformat.NotebookNode:
    """A notebook as Jupyter saves it: a view output per widget and their state, buffers in
    base64."""
    saved: dict[str, Any] = {}
    cells = [nbformat.v4.new_markdown_cell(markdown)]
    for w in widgets:
        state, paths, buffers = _remove_buffers(w.get_state())
        saved[w.model_id] = {
            "model_name": "AnyModel", "model_module": "anywidget", "model_module_version": "0.11",
            "state": state,
            "buffers": [{"encoding": "base64", "path": p,
                         "data": base64.b64encode(bytes(b)).decode()}
                        for p, b in zip(paths, buffers, strict=True)]}
        cell = nbformat.v4.new_code_cell("w")
        cell.outputs = [nbformat.v4.new_output("display_data", data={
            VIEW_MIME: {"model_id": w.model_id, "version_major": 2, "version_minor": 0},
            "text/plain": type(w).__name__})]
        cells.append(cell)
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["widgets"] = {STATE_MIME: {"state": saved, "version_major": 2, "version_minor": 0}}
    return nb
