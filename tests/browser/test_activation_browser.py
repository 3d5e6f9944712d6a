"""The activation explorer drawn and driven for real in JupyterLab, Notebook 7, Voilà and an
exported page: the canvas has a curve on it, choosing another activation redraws it (and in a
notebook changes what Python holds), hovering reads values, and the console stays clean."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='activation-explorer']"

CELLS = [
    "%load_ext dlwidgets\nimport dlwidgets\nw = dlwidgets.ActivationExplorer('relu')\nw",
    # written by the browser test after it changed the select; read back by a later cell
]


def _drive(page: Any, root: Any) -> None:
    canvas = root.locator("canvas")
    canvas.wait_for()
    assert harness.canvas_ink(canvas) > 0.01, "the plot is blank"
    before = harness.canvas_signature(canvas)
    root.locator("select.dlw-activation-select").select_option("sigmoid")
    page.wait_for_function(
        "(el) => el.textContent.includes('sigmoid')",
        arg=root.locator(".dlw-activation-label").element_handle(),
    )
    page.wait_for_timeout(200)
    assert harness.canvas_signature(canvas) != before, "choosing sigmoid did not redraw the plot"
    box = canvas.bounding_box()
    assert box is not None
    # hover over x = 0 (the middle of the x range): sigmoid(0) = 0.5, sigmoid'(0) = 0.25
    page.mouse.move(box["x"] + 52 + (640 - 52 - 20) / 2, box["y"] + box["height"] / 2)
    readout = root.locator(".dlw-hover-readout")
    page.wait_for_function("(el) => el.textContent.includes('f(x)')",
                           arg=readout.element_handle())
    text = readout.text_content() or ""
    assert "x = 0 " in text + " " and "f(x) = 0.5" in text and "f′(x) = 0.25" in text, text




@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_activation_explorer_in_jupyter(page: Any, console: harness.ConsoleLog,
                                        jupyter: harness.Server, frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"activation_{frontend}.ipynb", CELLS)
    opener = harness.open_in_lab if frontend == "lab" else harness.open_in_notebook7
    opener(page, jupyter, nb)
    root = page.locator(WIDGET)
    root.wait_for()
    _drive(page, root)
    # the choice made in the browser reached Python
    assert harness.kernel_value(page, "w.activation") == "sigmoid"
    # a parameter changed from Python redraws the browser's plot with PyTorch's new curve
    root.locator("select.dlw-activation-select").select_option("leaky_relu")
    page.wait_for_timeout(300)
    canvas = root.locator("canvas")
    before = harness.canvas_signature(canvas)
    harness.kernel_value(page, "setattr(w, 'negative_slope', 0.3) or w.negative_slope")
    for _ in range(40):
        if harness.canvas_signature(canvas) != before:
            break
        page.wait_for_timeout(250)
    assert harness.canvas_signature(canvas) != before, "new slope from Python was not drawn"
    harness.screenshot(root, f"activation_explorer_{frontend}")
    harness.assert_no_console_errors(console)


def test_activation_explorer_in_voila(page: Any, console: harness.ConsoleLog,
                                      voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "activation_voila.ipynb", CELLS)
    harness.open_in_voila(page, voila, nb)
    root = page.locator(WIDGET)
    _drive(page, root)
    harness.assert_no_console_errors(console)


def test_activation_explorer_exported(offline_page: tuple[Any, harness.ConsoleLog],
                                      tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    widget = dlwidgets.ActivationExplorer("tanh")
    path = dlwidgets.export_html(widget, tmp_path / "activation.html", title="Activations")
    open_export(page, path)
    root = page.locator(WIDGET)
    assert page.locator("h1").text_content() == "Activations"
    # Python-only controls are visibly disabled with a hint; viewing stays interactive
    select = root.locator("select.dlw-activation-select")
    assert select.is_disabled() and "kernel" in (select.get_attribute("title") or "")
    canvas = root.locator("canvas")
    assert harness.canvas_ink(canvas) > 0.01
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 52 + (640 - 52 - 20) / 2, box["y"] + box["height"] / 2)
    text = root.locator(".dlw-hover-readout").text_content() or ""
    # tanh(0) = 0, tanh'(0) = 1
    assert "f(x) = 0 " in text + " " and "f′(x) = 1" in text, text
    harness.screenshot(root, "activation_explorer_export")
    harness.assert_no_console_errors(console)
