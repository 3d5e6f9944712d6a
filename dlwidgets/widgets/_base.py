"""Shared base of every dlwidgets widget: locates the widget's built front-end bundle."""

from __future__ import annotations

import functools
import json
import pathlib
from collections.abc import Callable
from typing import Any

import anywidget
import ipywidgets
import traitlets

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
        "(or `npm ci && npm run build`) in the dlwidgets checkout."
    )
    return (
        "export default { render({ el }) { const p = document.createElement('pre');"
        f" p.textContent = {message}; el.appendChild(p); }} }};\n"
    )


class ArgumentValueError(traitlets.TraitError, ValueError):
    """A constructor argument that becomes a trait has a value out of range."""


class ArgumentTypeError(traitlets.TraitError, TypeError):
    """A constructor argument that becomes a trait has the wrong type."""


def _discard(widget: Any) -> None:
    """Close the comm of a widget whose constructor failed after opening it, so no half-built
    widget stays registered with the kernel (and in ipywidgets' instances) for ever. The base
    ``Widget.close``: a subclass's own close may need what the constructor never set."""
    # its Layout (and Style) widgets, which ipywidgets opens with it; read without creating
    children = [widget._trait_values.get(name) for name in ("layout", "style")]
    for part in [widget, *children]:
        if isinstance(part, ipywidgets.Widget) and getattr(part, "comm", None) is not None:
            try:
                ipywidgets.Widget.close(part)
            except Exception:  # noqa: BLE001 - the constructor's own error is the one to report
                pass


def _standard_errors(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a widget's ``__init__`` so a TraitError raised while it runs (an argument that
    became a trait, e.g. ``title=5`` or ``filter=-1``) reaches the caller as a ValueError or
    TypeError as well (it stays a TraitError, which some callers catch), and so a constructor
    that fails part-way closes the comm it opened."""
    @functools.wraps(init)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except BaseException as exc:
            _discard(self)
            if not isinstance(exc, traitlets.TraitError) or isinstance(exc, (ValueError,
                                                                             TypeError)):
                raise
            kind = ArgumentTypeError if " expected " in str(exc) else ArgumentValueError
            raise kind(str(exc)) from None
    return wrapped


class DLWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """Base class: subclasses set ``_esm = bundle("<name>")`` and declare synced traits."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _standard_errors(cls.__dict__["__init__"])  # type: ignore[method-assign]

    def before_export(self) -> None:
        """Bring synced state up to date before a static export reads it (e.g. mid-training)."""

    def export_note(self) -> str | None:
        """A line the static export shows above this widget (e.g. 'still training'), or None."""
        return None
