"""Exported pages (export_html and nbconvert --to dlwidgets) whose widgets hold hostile strings
and NaN/inf numbers: every widget renders, the strings show as text (no element, no script),
nothing reaches the network, the console stays clean."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

import dlwidgets
from dlwidgets.nbconvert import DLWidgetsHTMLExporter
from tests.browser import harness
from tests.browser.conftest import open_export
from tests.hostile import HOSTILE, MERMAID_MARKDOWN, hostile_widgets, notebook_with

_RENDERED = """() => Array.from(document.querySelectorAll('section.dlw-export-widget')).map(s => ({
  name: s.dataset.widget,
  drawn: s.querySelectorAll('canvas, svg, table, li').length,
  text: s.textContent.length,
}))"""


@pytest.fixture(scope="module")
def widgets() -> list[Any]:
    return hostile_widgets()


def _check(page: Any, console: harness.ConsoleLog, names: list[str]) -> None:
    failed = page.locator("pre.dlw-error", has_text="could not show")  # the runtime's message
    assert failed.count() == 0, failed.all_text_contents()
    rendered = page.evaluate(_RENDERED)
    assert sorted(r["name"] for r in rendered) == sorted(names)
    for r in rendered:
        assert r["drawn"] > 0 and r["text"] > 0, f"{r['name']} drew nothing: {r}"
    # the strings stayed text: no script ran, no element was made from them, and they show
    assert page.evaluate("() => window.__dlwPwned") is None
    assert page.locator(".dlw-pwned").count() == 0
    assert page.evaluate("(s) => document.body.textContent.includes(s)", HOSTILE)
    page.wait_for_timeout(500)  # a draw scheduled for the next frames fails here, if at all
    harness.assert_no_console_errors(console)


def test_export_html_with_hostile_strings_and_nan_renders_every_widget(
        widgets: list[Any], offline_page: tuple[Any, harness.ConsoleLog],
        tmp_path: pathlib.Path) -> None:
    page, console = offline_page
    path = dlwidgets.export_html(widgets, tmp_path / "hostile.html", title=HOSTILE)
    open_export(page, path)
    assert page.locator("h1").text_content() == HOSTILE
    _check(page, console, [type(w).__name__ for w in widgets])


def test_nbconvert_page_with_hostile_strings_and_nan_renders_every_widget(
        widgets: list[Any], offline_page: tuple[Any, harness.ConsoleLog],
        tmp_path: pathlib.Path) -> None:
    page, console = offline_page
    # with a mermaid diagram too: the offline page fixture fails on any request to the network
    body, _ = DLWidgetsHTMLExporter().from_notebook_node(
        notebook_with(widgets, markdown=MERMAID_MARKDOWN))
    path = tmp_path / "hostile_nb.html"
    path.write_text(body, encoding="utf-8")
    open_export(page, path)
    _check(page, console, [type(w).__name__ for w in widgets])
