"""The nbconvert exporter turns saved dlwidgets state into placeholders + the offline runtime."""

from __future__ import annotations

import base64
import json
import pathlib
import re

import nbformat
from ipywidgets.widgets.widget import _remove_buffers

import dlwidgets
from dlwidgets.nbconvert import STATE_MIME, VIEW_MIME, DLWidgetsHTMLExporter, export_notebook


def _notebook_with(widget: object, extra_view: str | None = None) -> nbformat.NotebookNode:
    """A notebook as Jupyter saves it: a view output and the model state with base64 buffers."""
    state, paths, buffers = _remove_buffers(widget.get_state())  # type: ignore[attr-defined]
    saved = {widget.model_id: {  # type: ignore[attr-defined]
        "model_name": "AnyModel", "model_module": "anywidget", "model_module_version": "0.11",
        "state": state,
        "buffers": [{"encoding": "base64", "path": p, "data": base64.b64encode(bytes(b)).decode()}
                    for p, b in zip(paths, buffers, strict=True)],
    }}
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("w")
    outputs = [nbformat.v4.new_output("display_data", data={
        VIEW_MIME: {"model_id": widget.model_id, "version_major": 2, "version_minor": 0},  # type: ignore[attr-defined]
        "text/plain": "ActivationExplorer()"})]
    if extra_view:
        outputs.append(nbformat.v4.new_output("display_data", data={
            VIEW_MIME: {"model_id": extra_view, "version_major": 2, "version_minor": 0}}))
    cell.outputs = outputs
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson"), cell]
    nb.metadata["widgets"] = {STATE_MIME: {"state": saved, "version_major": 2, "version_minor": 0}}
    return nb


def test_dlwidgets_outputs_become_mounted_widgets_without_cdn(tmp_path: pathlib.Path) -> None:
    w = dlwidgets.ActivationExplorer("elu")
    body, _ = DLWidgetsHTMLExporter().from_notebook_node(_notebook_with(w))
    assert 'id="dlw-view-0"' in body
    payload = re.search(r'id="dlw-state">(.*?)</script>', body, re.S)
    assert payload is not None
    [entry] = json.loads(payload.group(1).replace("<\\/", "</"))
    assert entry["target"] == "dlw-view-0" and entry["state"]["activation"] == "elu"
    assert ["x", "data"] in entry["buffer_paths"]
    assert "require.min.js" not in body and "@jupyter-widgets/html-manager" not in body
    assert not re.search(r'<script[^>]+src="https?://', body)


def test_other_widgets_keep_nbconverts_own_manager() -> None:
    w = dlwidgets.ActivationExplorer()
    body, _ = DLWidgetsHTMLExporter().from_notebook_node(_notebook_with(w, extra_view="abc"))
    assert 'id="dlw-view-0"' in body
    assert "require.min.js" in body  # an ipywidgets slider still needs nbconvert's manager


def test_export_notebook_writes_next_to_the_notebook(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "l.ipynb"
    nbformat.write(_notebook_with(dlwidgets.ActivationExplorer()), src)
    out = export_notebook(src)
    assert out == tmp_path / "l.html" and "dlw-view-0" in out.read_text()


def test_exporter_is_registered_for_the_cli() -> None:
    from nbconvert.exporters import get_exporter

    assert get_exporter("dlwidgets") is DLWidgetsHTMLExporter


def test_a_box_of_dlwidgets_becomes_a_row_of_mounted_widgets() -> None:
    import ipywidgets

    a, b = dlwidgets.ActivationExplorer("elu"), dlwidgets.ActivationExplorer("tanh")
    box = ipywidgets.HBox([a, b])
    nb = _notebook_with(a)
    saved = nb.metadata["widgets"][STATE_MIME]["state"]
    for w in (b,):
        state, paths, buffers = _remove_buffers(w.get_state())
        saved[w.model_id] = {"model_name": "AnyModel", "model_module": "anywidget",
                             "state": state, "buffers": [
                                 {"encoding": "base64", "path": p,
                                  "data": base64.b64encode(bytes(x)).decode()}
                                 for p, x in zip(paths, buffers, strict=True)]}
    saved[box.model_id] = {"model_name": "HBoxModel", "model_module": "@jupyter-widgets/controls",
                           "state": {"children": [f"IPY_MODEL_{a.model_id}",
                                                  f"IPY_MODEL_{b.model_id}"]}}
    nb.cells[1].outputs[0].data[VIEW_MIME]["model_id"] = box.model_id
    body, _ = DLWidgetsHTMLExporter().from_notebook_node(nb)
    row = re.search(r'<div class="dlw-nb-box" style="display:flex;flex-direction:row[^"]*">'
                    r'((?:<div [^>]*></div>)+)</div>', body)
    assert row is not None
    assert re.findall(r'id="(dlw-view-\d)"', row.group(1)) == ["dlw-view-0", "dlw-view-1"]
    payload = re.search(r'id="dlw-state">(.*?)</script>', body, re.S)
    assert payload is not None
    entries = json.loads(payload.group(1).replace("<\\/", "</"))
    assert [e["state"]["activation"] for e in entries] == ["elu", "tanh"]
    assert "require.min.js" not in body  # no ipywidgets manager needed for the box
