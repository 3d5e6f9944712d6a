"""``jupyter nbconvert --to dlwidgets``: a notebook to one offline HTML page with live widgets.

nbconvert's stock HTML loads the widget manager and each widget's code from a CDN, so saved widgets
go blank offline. This exporter is nbconvert's HTML exporter plus one step: every output that shows
a dlwidgets widget (found in the widget state saved in the notebook's metadata), or an ipywidgets
HBox / VBox / GridBox of them, becomes a placeholder (a flex row / column of them), and the standalone runtime of ``dlwidgets.export`` mounts the widget there from the
saved state. No CDN, no kernel; MathJax is left out unless a URL is given.
"""

from __future__ import annotations

import copy
import pathlib
from typing import Any

import jinja2
import nbformat
from nbconvert.exporters import HTMLExporter
from traitlets import default

from .export import ExportError, check_size, make_entry, runtime_html

STATE_MIME = "application/vnd.jupyter.widget-state+json"
OFFLINE_TEMPLATE = "dlwidgets_offline.html.j2"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def _is_dlwidget(model: dict[str, Any]) -> bool:
    state = model.get("state", {})
    return model.get("model_module") == "anywidget" and str(
        state.get("_anywidget_id", "")).startswith("dlwidgets.")


def _saved_buffers(model: dict[str, Any]) -> tuple[list[list[str | int]], list[str]]:
    paths, data = [], []
    for buf in model.get("buffers", []):
        if buf.get("encoding", "base64") != "base64":
            raise ExportError(f"saved widget buffer with encoding {buf.get('encoding')!r}")
        paths.append(list(buf["path"]))
        data.append(buf["data"])
    return paths, data


# ipywidgets boxes whose children are all dlwidgets become a flex row / column of placeholders
BOXES = {"HBoxModel": "row", "GridBoxModel": "row", "VBoxModel": "column"}


def _box_children(model: dict[str, Any], saved: dict[str, Any]) -> list[str] | None:
    """The model ids inside an HBox / VBox / GridBox of dlwidgets only, else None."""
    if model.get("model_module") != "@jupyter-widgets/controls" or (
            model.get("model_name") not in BOXES):
        return None
    ids = [str(c).removeprefix("IPY_MODEL_") for c in model.get("state", {}).get("children", [])]
    if not ids or not all(i in saved and _is_dlwidget(saved[i]) for i in ids):
        return None
    return ids


def widget_entries(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """Replace dlwidgets outputs of ``nb`` (in place) by placeholders; return their entries."""
    saved = nb.metadata.get("widgets", {}).get(STATE_MIME, {}).get("state", {})
    entries: list[dict[str, Any]] = []
    used: set[str] = set()

    def placeholder(model_id: str) -> str:
        model = saved[model_id]
        target = f"dlw-view-{len(entries)}"
        paths, data = _saved_buffers(model)
        name = str(model["state"].get("_anywidget_id", "widget")).rsplit(".", 1)[-1]
        entries.append(make_entry(name, model_id, model["state"], paths, data, target=target))
        used.add(model_id)
        return f'<div id="{target}" class="dlw-nb-view"></div>'

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(VIEW_MIME) if "data" in output else None
            if not view:
                continue
            model_id = view.get("model_id", "")
            model = saved.get(model_id)
            if model is None:
                continue
            if _is_dlwidget(model):
                output["data"] = {"text/html": placeholder(model_id)}
            elif (children := _box_children(model, saved)) is not None:
                direction = BOXES[model["model_name"]]
                inner = "".join(placeholder(child) for child in children)
                output["data"] = {"text/html": (
                    f'<div class="dlw-nb-box" style="display:flex;flex-direction:{direction};'
                    f'gap:8px;overflow-x:auto">{inner}</div>')}
                used.add(model_id)
    if used and not _other_views(nb):
        # Only dlwidgets were shown: drop the saved state so nbconvert's template does not add
        # its CDN widget manager (the remaining models are our widgets' layouts).
        del nb.metadata["widgets"]
    return entries


def _other_views(nb: nbformat.NotebookNode) -> bool:
    """Whether some output still shows a (non-dlwidgets) widget."""
    return any(VIEW_MIME in output.get("data", {})
               for cell in nb.cells for output in cell.get("outputs", []))


class DLWidgetsHTMLExporter(HTMLExporter):  # type: ignore[misc]
    """HTML exporter whose dlwidgets widgets render offline from the notebook's saved state."""

    export_from_notebook = "HTML with dlwidgets (offline)"

    @default("mathjax_url")
    def _no_mathjax_by_default(self) -> str:
        return ""

    @default("embed_images")
    def _embed_images(self) -> bool:
        return True

    # nbconvert's lab template imports mermaid from a CDN when a cell holds a diagram; this page
    # loads nothing from the network, so the diagram's source stays as text.
    @default("extra_loaders")
    def _offline_template(self) -> list[Any]:
        return [jinja2.DictLoader({OFFLINE_TEMPLATE: (
            "{%- extends 'index.html.j2' -%}\n"
            "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n")})]

    @default("template_file")
    def _offline_template_file(self) -> str:
        return OFFLINE_TEMPLATE

    def from_notebook_node(  # type: ignore[override]
            self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None,
            **kw: Any) -> tuple[str, dict[str, Any]]:
        nb = copy.deepcopy(nb)
        entries = widget_entries(nb)
        output, resources = super().from_notebook_node(nb, resources, **kw)
        if not _other_views(nb):
            # require.js (from a CDN) only serves nbconvert's own widget manager: not needed.
            output = output.replace(f'<script src="{self.require_js_url}"></script>', "", 1)
        if entries:
            scripts = runtime_html(entries)
            style = ("<style>.dlw-export-widget{margin:.5rem 0}"
                     ".dlw-nb-view{overflow-x:auto}</style>\n")
            if "</body>" in output:
                output = output.replace("</body>", style + scripts + "</body>", 1)
            else:
                output += style + scripts
        check_size(output)
        return output, resources


def export_notebook(notebook: str | pathlib.Path, path: str | pathlib.Path | None = None
                    ) -> pathlib.Path:
    """Convert an executed notebook (with saved widget state) to one offline HTML page."""
    src = pathlib.Path(notebook)
    nb = nbformat.read(src, as_version=4)
    body, _ = DLWidgetsHTMLExporter().from_notebook_node(nb)
    target = pathlib.Path(path) if path is not None else src.with_suffix(".html")
    try:
        target.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from None
    return target
