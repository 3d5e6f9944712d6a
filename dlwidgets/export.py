"""Standalone HTML export: one self-contained file, no kernel, no network, works from file://.

Each widget's synced state (binary buffers base64-encoded) and its ES module go into the page.
A small runtime (js/src/runtime/standalone.ts, built to static/standalone.js) rebuilds each model
as an in-page object with anywidget's model interface and calls the widget's ``render``.
Everything a view draws is in synced state (see docs/architecture.md), so the page shows what
the notebook showed; controls that need Python are disabled by the widgets themselves.
"""

from __future__ import annotations

import base64
import html
import json
import math
import pathlib
from collections.abc import Callable, Iterable
from typing import Any

from ipywidgets.widgets.widget import _remove_buffers

from .export_precompute import DEFAULT_LIMIT_BYTES, check_options, megabytes, precompute_all
from .widgets._base import STATIC

#: Refuse pages larger than this: browsers struggle well before, and LMSs cap uploads.
MAX_PAGE_BYTES = 200 * 1024 * 1024


class ExportError(ValueError):
    """The export cannot be written (too large, bad path, nothing to export)."""


def make_entry(name: str, model_id: str, state: dict[str, Any],
               buffer_paths: list[list[str | int]], buffers_b64: list[str], *,
               note: str | None = None, target: str | None = None) -> dict[str, Any]:
    """One widget as the standalone runtime mounts it (state without its buffers)."""
    state = dict(state)
    esm = state.pop("_esm", "")
    css = state.pop("_css", "")
    state["_standalone"] = True
    entry = {
        "id": model_id,
        "name": name,
        "esm": base64.b64encode(str(esm).encode()).decode(),
        "css": str(css or ""),
        "state": state,
        "buffer_paths": buffer_paths,
        "buffers": buffers_b64,
        "note": note,
    }
    if target is not None:
        entry["target"] = target
    return entry


def _check_widget(widget: Any) -> None:
    if not hasattr(widget, "get_state") or not hasattr(widget, "_esm"):
        raise ExportError(
            f"export_html takes dlwidgets widgets (anywidgets); got {type(widget).__name__}"
        )
    prepare = getattr(widget, "before_export", None)
    if callable(prepare):
        prepare()


def _widget_entry(widget: Any, offline: dict[str, Any] | None = None) -> dict[str, Any]:
    busy = getattr(widget, "export_note", None)
    note = busy() if callable(busy) else None
    state = dict(widget.get_state())
    if offline is not None:
        state["_offline"] = offline  # precomputed states (export_precompute.py)
    plain, paths, buffers = _remove_buffers(state)
    # a closed widget has no comm, hence no model_id; its state is still there to export
    model_id = widget.comm.comm_id if getattr(widget, "comm", None) is not None else \
        f"closed-{id(widget):x}"
    return make_entry(type(widget).__name__, model_id, plain, paths,
                      [base64.b64encode(bytes(b)).decode() for b in buffers], note=note)


def runtime_html(entries: list[dict[str, Any]]) -> str:
    """The two script elements that mount ``entries``: their state as JSON and the runtime."""
    runtime_path = STATIC / "standalone.js"
    if not runtime_path.is_file():
        raise ExportError(
            "the standalone runtime is not built (dlwidgets/static/standalone.js); "
            "run `pip install -e .` or `npm run build`"
        )
    runtime = runtime_path.read_text(encoding="utf-8")
    payload_html = state_json(entries)
    runtime_code = runtime.replace("</script", "<\\/script")
    return (f'<script type="application/json" id="dlw-state">{payload_html}</script>\n'
            f'<script type="module">\n{runtime_code}\n</script>\n')


def _finite(value: Any) -> Any:
    """``value`` with every NaN/inf float replaced by None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def state_json(entries: list[dict[str, Any]]) -> str:
    """``entries`` as JSON that is valid and safe inside ``<script type="application/json">``.

    NaN and ±inf become ``null`` (what JSON.stringify writes for them; a bare NaN is not JSON and
    the page would show nothing). Every ``<``, ``>`` and ``&`` is written as a ``\\u`` escape, so
    no string (a token, a label, a title) can close the element (``</script>``) or switch the
    HTML parser into its comment-like script state (``<!--`` followed by ``<script``); JSON.parse
    reads the same characters back.
    """
    try:
        payload = json.dumps(entries, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a non-finite number somewhere in the state
        payload = json.dumps(_finite(entries), separators=(",", ":"), allow_nan=False)
    return (payload.replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def check_size(document: str) -> None:
    size = len(document.encode("utf-8"))
    if size > MAX_PAGE_BYTES:
        raise ExportError(
            f"the page would be {size / 1e6:.1f} MB, over the {MAX_PAGE_BYTES / 1e6:.0f} MB limit; "
            "export fewer widgets or reduce their size (points, steps, image size)"
        )


def export_html(widgets: Any | Iterable[Any], path: str | pathlib.Path,
                title: str | None = None, *, precompute: bool = True,
                precompute_limit: float | None = DEFAULT_LIMIT_BYTES,
                quiet: bool = False) -> pathlib.Path:
    """Write ``widgets`` (one or a list) to a single self-contained HTML file at ``path``.

    Returns the path written. A widget that is still working (e.g. training) is exported as it
    is at this moment, and the page says so. Raises ``ExportError`` with the size when the page
    would exceed ``MAX_PAGE_BYTES``, or when ``path`` cannot be written.

    With ``precompute`` (the default), the controls a page without a kernel could not answer
    (the race's learning rates and hyperparameters, its surface parameters, the conv stepper's
    stride/padding/dilation, the activation explorer's parameters) get their states computed
    now for a bounded set of values each, so the page's sliders keep working on those values
    (see export_precompute.py). ``precompute_limit`` caps the bytes they add (None: no cap);
    a control over it keeps its "needs a kernel" hint. Unless ``quiet``, what is precomputed,
    its size and the page's size are printed before the page is written.
    """
    limit = check_options(precompute, precompute_limit)
    if not isinstance(quiet, bool):
        raise TypeError(f"quiet must be True or False, got {quiet!r}")
    items = [widgets] if hasattr(widgets, "get_state") else list(widgets)
    if not items:
        raise ExportError("export_html needs at least one widget")
    for w in items:
        _check_widget(w)
    say: Callable[[str], None] = (lambda _line: None) if quiet else print
    tables = precompute_all(items, limit, say) if precompute else {}
    entries = [_widget_entry(w, tables.get(id(w))) for w in items]
    scripts = runtime_html(entries)
    page_title = title or "dlwidgets"
    document = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dlwidgets">
<title>{html.escape(page_title)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
  max-width: 1100px; padding: 0 1rem; color: #1f2933; background: #fff; }}
h1 {{ font-size: 1.5rem; font-weight: 600; }}
.dlw-export-widget {{ margin: 1.5rem 0; }}
.dlw-export-note {{ background: #fff7e0; border-left: 4px solid #f0b429; padding: .5rem .75rem;
  margin-bottom: .5rem; font-size: .9rem; }}
</style>
</head>
<body>
<h1>{html.escape(page_title)}</h1>
<div id="dlw-widgets"></div>
{scripts}</body>
</html>
"""
    check_size(document)
    target = pathlib.Path(path)
    if target.is_dir():
        raise ExportError(f"{str(target)!r} is a directory: give the page's file name, e.g. "
                          f"{str(target / 'page.html')!r}")
    if target.suffix.lower() not in (".html", ".htm"):
        target = target.with_suffix(".html")
    say(f"writing {target} ({megabytes(len(document.encode('utf-8')))})")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from None
    return target
