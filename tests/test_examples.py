"""Every example notebook runs top to bottom in a real kernel and becomes a docs page with its
widgets live from saved state (the docs build, docs/build.py, is part of the test run)."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.ipynb"))

_spec = importlib.util.spec_from_file_location("docs_build", ROOT / "docs" / "build.py")
assert _spec and _spec.loader
docs_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs_build)


def test_there_are_examples() -> None:
    assert EXAMPLES, "examples/ should hold the example notebooks"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_builds_its_docs_page(path: pathlib.Path, tmp_path: pathlib.Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLWIDGETS_DEVICE", "cpu")
    page, widgets = docs_build.build_example(path, tmp_path)
    assert page.is_file()
    shows_widget = "dlwidgets." in path.read_text()
    if shows_widget:
        assert widgets >= 1, f"{path.name}: no widget was saved into the docs page"


def test_markdown_pages_render_with_working_links(tmp_path: pathlib.Path) -> None:
    docs_build.build(tmp_path, examples=False)
    pages = {p.name for p in tmp_path.glob("*.html")}
    assert {"index.html", "architecture.html"} <= pages
    for page in tmp_path.glob("*.html"):
        text = page.read_text()
        for link in __import__("re").findall(r'href="([^"#:]+\.html)', text):
            if link.startswith("examples/"):
                assert (ROOT / "examples" / link.replace("examples/", "").replace(
                    ".html", ".ipynb")).is_file(), f"{page.name} links to missing {link}"
            else:
                assert (tmp_path / link).is_file(), f"{page.name} links to missing {link}"
