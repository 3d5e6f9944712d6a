"""Shared base of every dlwidgets widget: locates the widget's built front-end bundle."""

from __future__ import annotations

import json
import pathlib

import anywidget

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"


def bundle(name: str) -> str:
    """The source text of widget ``name``'s built ES module (dlwidgets/static/<name>.js).

    The text, never a path: anywidget wraps a path (or a one-line string that looks like one) in a
    class-level file watcher whose ``changed`` signal keeps a strong reference to every instance,
    so no widget would ever be garbage-collected. The text ends in a newline so anywidget never
    mistakes it for a file name.

    When the bundle is missing (a source checkout that skipped the npm build) the widget renders
    a one-line message telling how to build it, instead of failing with a JavaScript error.
    """
    path = STATIC / f"{name}.js"
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        return text if text.endswith("\n") else text + "\n"
    message = json.dumps(
        f"dlwidgets: the front end '{name}.js' is not built. Run `pip install -e .` "
        "(or `npm install && npm run build`) in the dlwidgets checkout."
    )
    return (
        "export default { render({ el }) { const p = document.createElement('pre');"
        f" p.textContent = {message}; el.appendChild(p); }} }};\n"
    )


class DLWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """Base class: subclasses set ``_esm = bundle("<name>")`` and declare synced traits."""

    def before_export(self) -> None:
        """Bring synced state up to date before a static export reads it (e.g. mid-training)."""

    def export_note(self) -> str | None:
        """A line the static export shows above this widget (e.g. 'still training'), or None."""
        return None
