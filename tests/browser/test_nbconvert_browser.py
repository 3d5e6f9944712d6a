"""`jupyter nbconvert --to dlwidgets` on an executed notebook gives an offline page whose widgets
render from the saved state and stay interactive (opened from file:// with the network off)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
from typing import Any

import nbformat
from nbclient import NotebookClient

from tests.browser import harness
from tests.browser.conftest import open_export

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "activation_functions.ipynb"


def test_nbconvert_page_renders_saved_widgets_offline(
        offline_page: tuple[Any, harness.ConsoleLog], tmp_path: pathlib.Path) -> None:
    page, console = offline_page
    nb_path = tmp_path / "lesson.ipynb"
    shutil.copy(EXAMPLE, nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True).execute()
    nbformat.write(nb, nb_path)
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "dlwidgets", str(nb_path)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    html_path = tmp_path / "lesson.html"
    text = html_path.read_text()
    assert "require.min.js" not in text and "html-manager" not in text

    open_export(page, html_path)
    root = page.locator("[data-dlw-widget='activation-explorer']")
    assert root.count() == 1
    # the widget sits where the cell output was, after the notebook's own text
    assert page.locator(".jp-OutputArea .dlw-nb-view [data-dlw-widget]").count() == 1
    canvas = root.locator("canvas")
    assert harness.canvas_ink(canvas) > 0.01
    # the saved state is the one at save time: the last cell switched to leaky ReLU, slope 0.1
    assert "leaky" in (root.locator(".dlw-activation-label").text_content() or "")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 60, box["y"] + box["height"] / 2)
    text = root.locator(".dlw-hover-readout").text_content() or ""
    assert "f′(x) = 0.1" in text, text
    harness.assert_no_console_errors(console)
