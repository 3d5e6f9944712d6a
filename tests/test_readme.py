"""The README's tour runs as pasted: each ```python block becomes one notebook cell, run in
order in a real kernel (nbclient); no cell errors and every cell that shows a widget displays
one (a widget view in its outputs)."""

from __future__ import annotations

import json
import pathlib
import re
import sys

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The tour's calls that show a widget (fit shows its training monitor; export_html writes a file).
SHOWS_WIDGET = re.compile(r"\bdlwidgets\.(fit|Playground|OptimizerRace|ConvStepper|LSTMInspector|"
                          r"LatentExplorer|ActivationExplorer)\b")


def readme_cells() -> list[str]:
    """The README's python code blocks, in order (the bash set-up block is not a cell)."""
    return [m.group(1).strip("\n")
            for m in re.finditer(r"^```python\n(.*?)^```$", README.read_text(), re.S | re.M)]


def test_readme_has_the_tour_and_the_set_up() -> None:
    text = README.read_text()
    assert 'pip install -e ".[test]"' in text and "\npytest" in text
    assert "docs/index.md" in text
    cells = readme_cells()
    assert cells[0].startswith("%load_ext dlwidgets")
    assert sum(bool(SHOWS_WIDGET.search(c)) for c in cells) == 7, "one widget per cell"


@pytest.mark.slow
def test_readme_tour_runs_in_a_kernel(tmp_path: pathlib.Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLWIDGETS_DEVICE", "cpu")
    cells = readme_cells()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        errors = [o for o in outputs if o.get("output_type") == "error"]
        assert not errors, f"{cell.source!r}: {errors[0]['ename']}: {errors[0]['evalue']}"
        widgets = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
        if SHOWS_WIDGET.search(cell.source):
            assert widgets, f"no widget shown by the cell {cell.source!r}"
        if cell.source.startswith("%%dl"):  # the model summary shows as a widget too
            assert widgets or any("text/html" in o.get("data", {}) for o in outputs)
    page = tmp_path / "lesson.html"
    assert page.is_file() and page.stat().st_size > 10_000


def test_voila_command_needs_no_flag() -> None:
    """README's plain ``voila`` command is the one the Voilà browser test serves: pip installs a
    voila.json that keeps Notebook 7's extension (RUNTIME-012 in the console) out of Voilà."""
    assert "`voila examples/lesson.ipynb`" in README.read_text()
    shipped = json.loads((ROOT / "jupyter-config" / "voila.json").read_text())
    denied = shipped["VoilaConfiguration"]["extension_denylist"]
    assert denied == ["@jupyter-notebook/lab-extension"]
    installed = pathlib.Path(sys.prefix) / "etc" / "jupyter" / "voila.json"
    assert installed.is_file(), "pip install should put voila.json in etc/jupyter"
    assert json.loads(installed.read_text()) == shipped
