"""The attention inspector drawn and driven for real: in JupyterLab (the heads view draws lines,
toggling a head and hovering a token change the drawn pixels, choosing a layer reaches Python,
the matrix view draws every layer × head and a click enlarges one, HTML in a token shows as
text), in Voilà, and in an exported page with no kernel (the same views work offline)."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='attention-inspector']"
EVIL = "<img src=x onerror=alert(1)>"

SOURCE = ("input 8 tokens\nembedding 20 16\npositional\nattention 2 causal\nrepeat 2:\n"
          "    transformer 4 ff=32\ndense 20")
MODEL = f"model = dlwidgets.build({SOURCE!r}, seed=0)\n"
CELLS = [
    "%load_ext dlwidgets\nimport torch\nimport dlwidgets\n" + MODEL
    + f"toks = ['the', 'cat', {EVIL!r}, 'on', 'the', 'mat', '.', 'end']\n"
    "w = dlwidgets.AttentionInspector(model, torch.arange(8), tokens=toks)\nw",
]


def _heads_view(page: Any, root: Any) -> None:
    lines = root.locator("canvas.dlw-attn-lines")
    lines.wait_for()
    page.wait_for_function("(c) => c.width > 0", arg=lines.element_handle())
    assert harness.canvas_ink(lines) > 0.01, "no attention lines drawn"
    assert root.locator(".dlw-attn-queries .dlw-attn-token").count() == 8
    root.scroll_into_view_if_needed()
    page.mouse.move(0, 0)  # no token under the pointer
    page.wait_for_timeout(100)
    # toggling a head changes what is drawn; toggling it back restores it
    before = harness.canvas_signature(lines)
    button = root.locator("button.dlw-attn-headbtn[data-head='0']")
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    page.wait_for_timeout(100)
    toggled = harness.canvas_signature(lines)
    assert toggled != before, "hiding head 0 did not change the drawing"
    button.click()
    page.wait_for_timeout(100)
    assert harness.canvas_signature(lines) == before
    # hovering a query token keeps its row's lines and fades the rest
    token = root.locator(".dlw-attn-queries .dlw-attn-token[data-index='3']")
    token.hover()
    page.wait_for_timeout(100)
    assert harness.canvas_signature(lines) != before, "hovering a token did not change the drawing"
    assert "dlw-attn-hovered" in (token.get_attribute("class") or "")
    assert "query 3" in (root.locator(".dlw-attn-info").text_content() or "")
    page.mouse.move(0, 0)


def _matrix_view(page: Any, root: Any, layer: int, head: int, columns: int) -> None:
    root.locator("select[aria-label='view']").select_option("matrix")
    grid = root.locator("canvas.dlw-attn-grid")
    grid.wait_for(state="visible")
    page.wait_for_timeout(150)
    assert harness.canvas_ink(grid) > 0.1, "the thumbnails are blank"
    big = root.locator("canvas.dlw-attn-big")
    before = harness.canvas_signature(big)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    # the thumbnail of (layer, head): 34 px of labels on the left, 16 px on top, 6 px gaps
    cell = box["width"] - 34
    cell = cell / columns - 6
    page.mouse.click(box["x"] + 34 + head * (cell + 6) + cell / 2,
                     box["y"] + 16 + layer * (cell + 6) + cell / 2)
    page.wait_for_timeout(150)
    if (layer, head) != (0, 0):  # (0, 0) is enlarged from the start
        assert harness.canvas_signature(big) != before, "clicking a thumbnail did not enlarge it"
    assert harness.canvas_ink(big) > 0.3
    assert f"head {head}" in (root.locator(".dlw-attn-caption").text_content() or "")
    big.scroll_into_view_if_needed()
    bb = big.bounding_box()
    assert bb is not None
    page.mouse.move(bb["x"] + bb["width"] * 0.9, bb["y"] + bb["height"] * 0.95)
    page.wait_for_timeout(100)
    assert "query 7" in (root.locator(".dlw-attn-info").text_content() or "")
    root.locator("select[aria-label='view']").select_option("heads")


def _drill_down(root: Any, widget: Any, query: int, head: int = 0) -> None:
    """Clicking a query token writes out its attention in the browser: the numbers equal
    Python's ``detail`` (scores q·k/√d, softmax weights)."""
    root.locator(f".dlw-attn-queries .dlw-attn-token[data-index='{query}']").click()
    table = root.locator(".dlw-attn-table")
    table.wait_for()
    want = widget.detail(0, head, query)
    rows = table.locator("tbody tr")
    assert rows.count() == len(want["weights"])
    for j in range(rows.count()):
        row = rows.nth(j)
        key = int(row.get_attribute("data-key") or -1)
        score = float(row.locator(".dlw-attn-score").text_content() or "nan")
        weight = float(row.locator(".dlw-attn-weight").text_content() or "nan")
        assert abs(score - float(want["scores"][key])) <= 1e-3, (key, score)
        assert abs(weight - float(want["weights"][key])) <= 1e-3, (key, weight)
    assert "output = [" in (root.locator(".dlw-attn-output").text_content() or "")


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_attention_inspector_in_jupyterlab(page: Any, console: harness.ConsoleLog,
                                           jupyter: harness.Server, frontend: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    nb = harness.write_notebook(jupyter.root, f"attention_inspector_{frontend}.ipynb", CELLS)
    harness.open_in(frontend)(page, jupyter, nb, timeout=180)
    root = page.locator(WIDGET).first
    root.wait_for()
    _heads_view(page, root)
    # choosing a layer reaches Python and redraws
    lines = root.locator("canvas.dlw-attn-lines")
    before = harness.canvas_signature(lines)
    root.locator("select[aria-label='layer']").select_option("1")
    harness.wait_kernel_value(page, "w.layer", 1)
    page.wait_for_timeout(100)
    assert harness.canvas_signature(lines) != before
    assert root.locator("button.dlw-attn-headbtn").count() == 4
    _matrix_view(page, root, layer=2, head=3, columns=4)
    harness.wait_kernel_value(page, "w.view", "heads")
    # HTML in a token is text
    assert root.locator(".dlw-attn-queries .dlw-attn-token").nth(2).text_content() == EVIL.replace(" ", "␣")
    assert root.locator("img").count() == 0
    page.wait_for_timeout(200)
    assert not dialogs, f"a token's HTML ran: {dialogs}"
    harness.screenshot(root, f"attention_inspector_lab{harness.frontend_suffix(frontend)}",
                       docs=False)
    harness.assert_no_console_errors(console)


def test_attention_inspector_in_voila(page: Any, console: harness.ConsoleLog,
                                      voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "attention_inspector_voila.ipynb", CELLS)
    harness.open_in_voila(page, voila, nb, timeout=180)
    root = page.locator(WIDGET).first
    _heads_view(page, root)
    harness.assert_no_console_errors(console)


def test_attention_inspector_exported(offline_page: tuple[Any, harness.ConsoleLog],
                                      tmp_path: pathlib.Path) -> None:
    import torch

    import dlwidgets

    page, console = offline_page
    model = dlwidgets.build(SOURCE, seed=0)
    widget = dlwidgets.AttentionInspector(model, torch.arange(8),
                                          tokens=["a", "b", EVIL, "d", "e", "f", "g", "h"])
    demo = dlwidgets.AttentionInspector.demo()
    path = dlwidgets.export_html([demo, widget], tmp_path / "attention.html", title="Attention")
    open_export(page, path)
    first, second = page.locator(WIDGET).nth(0), page.locator(WIDGET).nth(1)
    _heads_view(page, first)
    _drill_down(first, demo, query=2)
    harness.screenshot(first, "attention_inspector_export")
    _matrix_view(page, first, layer=0, head=0, columns=1)
    _heads_view(page, second)
    _matrix_view(page, second, layer=2, head=3, columns=4)
    assert page.locator(WIDGET).locator("img").count() == 0
    # JupyterLab's dark theme (the body attribute Lab and Voilà set): the lines and the
    # thumbnails redraw on a dark background, the lines stay visible, tokens stay readable
    lines = first.locator("canvas.dlw-attn-lines")
    page.evaluate("document.body.setAttribute('data-jp-theme-light', 'false')")
    page.wait_for_function(f"(c) => ({harness.CANVAS_BACKGROUND_JS})(c) < 0.05", arg=lines.element_handle(),
                           timeout=10_000)
    assert harness.canvas_ink(lines) > 0.01, "no lines on the dark background"
    token = first.locator(".dlw-attn-queries .dlw-attn-token").first
    colours = token.evaluate("(el) => [getComputedStyle(el).color, "
                             "getComputedStyle(el.closest('.dlw-root')).backgroundColor]")
    assert _contrast(*colours) >= 4.5, colours
    grid = second.locator("canvas.dlw-attn-grid")
    second.locator("select[aria-label='view']").select_option("matrix")
    page.wait_for_function(f"(c) => ({harness.CANVAS_BACKGROUND_JS})(c) < 0.05", arg=grid.element_handle(),
                           timeout=10_000)
    harness.screenshot(first, "attention_inspector_export_dark", docs=False)
    harness.assert_no_console_errors(console)



def _contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""
    def lum(css: str) -> float:
        r, g, b = (float(v) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])
        lin = [(v / 255 / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4)
               for v in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
