"""Standalone HTML export: one file with state, buffers and module inlined; clear failures."""

from __future__ import annotations

import base64
import json
import pathlib
import re

import numpy as np
import pytest

import dlwidgets
from dlwidgets import ExportError, export_html
from dlwidgets.export import MAX_PAGE_BYTES


def _entries(path: pathlib.Path) -> list[dict]:
    text = path.read_text()
    payload = re.search(r'<script type="application/json" id="dlw-state">(.*?)</script>', text, re.S)
    assert payload is not None
    return json.loads(payload.group(1).replace("<\\/", "</"))


def test_export_inlines_state_buffers_and_module(tmp_path: pathlib.Path) -> None:
    w = dlwidgets.ActivationExplorer("tanh")
    path = export_html(w, tmp_path / "page.html", title="Lesson <1>")
    text = path.read_text()
    assert "<title>Lesson &lt;1&gt;</title>" in text
    assert not re.search(r"<script[^>]+src=", text), "no external scripts"
    [entry] = _entries(path)
    assert entry["name"] == "ActivationExplorer"
    assert entry["state"]["_standalone"] is True
    esm = base64.b64decode(entry["esm"]).decode()
    assert esm == (dlwidgets.widgets._base.STATIC / "activation_explorer.js").read_text()
    # the buffers are the same float32 bytes as the widget holds
    i = entry["buffer_paths"].index(["x", "data"])
    x = np.frombuffer(base64.b64decode(entry["buffers"][i]), dtype=np.float32)
    np.testing.assert_array_equal(x, w.values()[0])


def test_export_of_several_widgets_and_suffix(tmp_path: pathlib.Path) -> None:
    ws = [dlwidgets.ActivationExplorer("relu"), dlwidgets.ActivationExplorer("elu")]
    path = export_html(ws, tmp_path / "sub" / "two")
    assert path.name == "two.html" and path.is_file()
    assert [e["state"]["activation"] for e in _entries(path)] == ["relu", "elu"]


def test_unwritable_path_and_non_widgets_say_why(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="cannot write"):
        export_html(dlwidgets.ActivationExplorer(), blocker / "page.html")
    with pytest.raises(ExportError, match="takes dlwidgets widgets"):
        export_html([object()], tmp_path / "p.html")
    with pytest.raises(ExportError, match="at least one widget"):
        export_html([], tmp_path / "p.html")


def test_too_large_page_is_refused_with_its_size(tmp_path: pathlib.Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dlwidgets.export.MAX_PAGE_BYTES", 10_000)
    with pytest.raises(ExportError, match=r"would be \d+\.\d MB, over the 0 MB limit"):
        export_html(dlwidgets.ActivationExplorer(), tmp_path / "big.html")
    assert MAX_PAGE_BYTES > 10_000


def test_a_widget_still_training_is_exported_as_it_is_and_the_page_says_so(
        tmp_path: pathlib.Path) -> None:
    from tests.training_helpers import tiny_data, tiny_model, wait_until

    x, y = tiny_data()
    monitor = dlwidgets.TrainingMonitor()
    history = dlwidgets.fit(tiny_model(), (x, y), epochs=100000, batch_size=8, monitor=monitor,
                            block=False)
    try:
        wait_until(lambda: monitor.deltas_sent >= 1, "the monitor's first update")
        path = export_html(monitor, tmp_path / "training.html")
    finally:
        history.stop()
        history.wait(60)
    [entry] = _entries(path)
    assert "Exported while training" in (entry["note"] or "")
    assert entry["state"]["steps"]  # the history so far is in the page
