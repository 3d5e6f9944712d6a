"""Exported pages stay valid whatever the widgets hold: strings that look like HTML or script
stay text in the embedded JSON, and NaN/inf numbers become null (JSON has no NaN)."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import pytest

import dlwidgets
from dlwidgets.export import state_json
from dlwidgets.nbconvert import DLWidgetsHTMLExporter
from tests.hostile import (
    HOSTILE,
    MERMAID_MARKDOWN,
    hostile_widgets,
    nonfinite_paths,
    notebook_with,
)


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in the page's JSON")
    return json.loads(text, parse_constant=refuse)


def _state_payload(document: str) -> str:
    match = re.search(r'<script type="application/json" id="dlw-state">(.*?)</script>',
                      document, re.S)
    assert match is not None
    return match.group(1)


@pytest.fixture(scope="module")
def widgets() -> list[Any]:
    return hostile_widgets()


def _check_document(document: str, n_widgets: int) -> None:
    payload = _state_payload(document)
    # no "<" at all: nothing can end the element or start "<!--" / "<script" inside it
    assert "<" not in payload and ">" not in payload and "&" not in payload
    entries = _strict_json(payload)
    assert len(entries) == n_widgets
    text = json.dumps(entries)
    assert json.dumps(HOSTILE)[1:-1] in text, "the strings arrive unchanged after JSON.parse"
    for entry in entries:
        assert not list(nonfinite_paths(entry["state"]))
    # exactly the two script elements of the export follow the state
    tail = document[document.index('id="dlw-state"'):]
    assert len(re.findall(r"<script", tail)) == 1


def test_the_hostile_widgets_really_hold_nan(widgets: list[Any]) -> None:
    holding = {type(w).__name__ for w in widgets if list(nonfinite_paths(w.get_state()))}
    # the explorer's sliders as the page may set them; the race validates every number it
    # holds (a factory optimizer's learning rate is null, not NaN, since it has none to show)
    assert "LatentExplorer" in holding
    assert "OptimizerRace" not in holding


def test_export_html_keeps_strings_as_json_text_and_nan_as_null(widgets: list[Any],
                                                               tmp_path: pathlib.Path) -> None:
    path = dlwidgets.export_html(widgets, tmp_path / "hostile.html", title=HOSTILE)
    document = path.read_text(encoding="utf-8")
    _check_document(document, len(widgets))
    race = next(e for e in _strict_json(_state_payload(document)) if e["name"] == "OptimizerRace")
    assert race["state"]["explain"]["custom"]["lr"] is None
    latent = next(e for e in _strict_json(_state_payload(document))
                  if e["name"] == "LatentExplorer")
    assert latent["state"]["sliders"] == [None]


def test_nbconvert_keeps_strings_as_json_text_and_nan_as_null(widgets: list[Any]) -> None:
    body, _ = DLWidgetsHTMLExporter().from_notebook_node(notebook_with(widgets))
    _check_document(body, len(widgets))


def test_state_json_escapes_every_angle_bracket_and_ampersand() -> None:
    text = state_json([{"s": "</script><!--<script>&", "n": [float("nan"), float("-inf"), 1.5]}])
    assert text == ('[{"s":"\\u003c/script\\u003e\\u003c!--\\u003cscript\\u003e\\u0026",'
                    '"n":[null,null,1.5]}]')
    assert json.loads(text) == [{"s": "</script><!--<script>&", "n": [None, None, 1.5]}]


def test_nbconvert_page_loads_nothing_from_a_cdn_for_a_mermaid_diagram() -> None:
    nb = notebook_with([dlwidgets.ActivationExplorer()], markdown=MERMAID_MARKDOWN)
    body, _ = DLWidgetsHTMLExporter().from_notebook_node(nb)
    assert "cdnjs" not in body and "mermaid.esm" not in body
    assert not re.search(r"""(src=|import\()\s*["']https?://""", body)
    assert "graph TD; input--&gt;conv--&gt;pool" in body or "graph TD; input-->conv-->pool" in body
    assert 'id="dlw-view-0"' in body
