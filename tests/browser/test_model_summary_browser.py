"""The model summary drawn and driven for real: in JupyterLab the %%dl cell shows the summary
widget (diagram, tree, totals), folding a block changes the tree and the diagram and reaches
Python, so do a selection and the batch size, and a malformed cell's error comes out of the real
kernel as the short block; Voilà and an exported page (no kernel) draw and fold the same way."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from dlwidgets import ModelSummaryWidget, build, export_html
from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='model-summary']"

CELLS = [
    "%load_ext dlwidgets\nimport dlwidgets",
    """%%dl net
input 1x28x28
conv 8 3x3 pad=1 relu
maxpool 2
residual relu:
    conv 8 3x3 pad=1
    batchnorm
block head:
    flatten
    dense 32 relu
    dense 10""",
    "w = dlwidgets.summary(net, name='net').widget()\nw",
]


# rows shown in the tree of the second summary on the page (the one bound to `w`)
ROW_COUNT = (f"(n) => document.querySelectorAll(\"{WIDGET}\")[1]"
             ".querySelectorAll('tr.dlw-summary-row').length === n")


def _execute(page: Any, code: str) -> dict[str, Any]:
    """Run code in the open notebook's kernel; its stdout and the error traceback it sent."""
    return dict(page.evaluate(
        """async (code) => {
          const kernel = window.jupyterapp.shell.currentWidget.context.sessionContext.session.kernel;
          let text = '';
          let traceback = null;
          const future = kernel.requestExecute({ code });
          future.onIOPub = (msg) => {
            if (msg.header.msg_type === 'stream') text += msg.content.text;
            if (msg.header.msg_type === 'error') traceback = msg.content.traceback;
          };
          await future.done;
          return { text, traceback };
        }""",
        code,
    ))


def _python(page: Any, expression: str) -> Any:
    out = _execute(page, f"import json as _j; print('@@' + _j.dumps({expression}))")
    line = next(ln for ln in out["text"].splitlines() if ln.startswith("@@"))
    return json.loads(line[2:])


def _visible_rows(root: Any) -> int:
    return int(root.locator("tr.dlw-summary-row").count())


def _glyphs(root: Any) -> int:
    return int(root.locator("svg.dlw-summary-svg g.dlw-unit").count())


def _row_index(root: Any, label: str) -> int:
    row = root.locator("tr.dlw-summary-row", has_text=label).first
    return int(row.get_attribute("data-row"))


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_model_summary_in_jupyterlab(page: Any, console: harness.ConsoleLog, jupyter: harness.Server,
                                     frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"model_summary_{frontend}.ipynb", CELLS)
    harness.open_in(frontend)(page, jupyter, nb)
    roots = page.locator(WIDGET)
    roots.nth(1).wait_for()
    assert roots.count() == 2
    # the %%dl cell's own output: the summary widget, not just text
    shown = roots.nth(0)
    assert "net · sequential" in (shown.locator(".dlw-summary-title").text_content() or "")
    assert _glyphs(shown) >= 6
    total = _python(page, "sum(p.numel() for p in net.parameters())")
    assert f"{total:,}" in (shown.locator(".dlw-summary-totals").text_content() or "")

    root = roots.nth(1)
    text = root.text_content() or ""
    assert "Conv2d(1→8, 3x3, pad 1)" in text and "8×28×28" in text
    # glyphs: input, conv+relu, maxpool, conv, batchnorm+relu, flatten, dense+relu, dense
    assert _glyphs(root) == 8
    assert root.locator("path.dlw-arc").count() == 1  # the residual skip
    labels = [t.text_content() for t in root.locator("text.dlw-unit-label").all()]
    assert labels[:3] == ["input", "conv+relu", "maxpool"]
    harness.screenshot(root, f"model_summary_lab{harness.frontend_suffix(frontend)}", docs=frontend == "lab")

    # fold the 'head' block: fewer rows, one glyph for the block, and Python knows
    rows_before, glyphs_before = _visible_rows(root), _glyphs(root)
    assert rows_before == 12
    head = _row_index(root, "head")
    root.locator(f"tr.dlw-summary-row[data-row='{head}'] button.dlw-toggle").click()
    page.wait_for_function(ROW_COUNT, arg=rows_before - 4)  # flatten, dense, relu, dense
    assert _glyphs(root) == glyphs_before - 2  # three glyphs became one
    assert "head ▸" in [t.text_content() for t in root.locator("text.dlw-unit-label").all()]
    assert _python(page, "w.collapsed") == [head]
    assert _python(page, "len(w.visible_rows())") == rows_before - 4
    # clicking the folded block's glyph opens it again
    root.locator(f"g.dlw-unit[data-row='{head}']").click()
    page.wait_for_function(ROW_COUNT, arg=rows_before)
    assert _python(page, "w.collapsed") == []

    # hover reads a layer out; a click on a row selects it in Python
    root.locator("g.dlw-unit[data-row='0']").hover()
    readout = root.locator(".dlw-summary-readout")
    page.wait_for_function("(el) => el.textContent.includes('Conv2d(1→8')",
                           arg=readout.element_handle())
    root.locator("tr.dlw-summary-row[data-row='2']").click()
    page.wait_for_timeout(300)
    assert _python(page, "w.selected") == 2
    assert _python(page, "w.selected_row.layer") == "MaxPool2d(2x2)"

    # the batch size of the memory estimate: new figure on the page and in Python
    training = root.locator(".dlw-summary-training")
    before = training.text_content()
    root.locator("input.dlw-batch").fill("512")
    root.locator("input.dlw-batch").press("Enter")
    page.wait_for_function("([el, t]) => el.textContent !== t",
                           arg=[training.element_handle(), before])
    assert _python(page, "w.batch_size") == 512
    from dlwidgets.dsl.summarize import human_bytes

    assert training.text_content() == human_bytes(_python(page, "w.training_bytes"))

    # a malformed declaration, through the real kernel: the short block, no traceback
    out = _execute(page, "%%dl bad\ninput 1x28x28\nconv 6 5x5\nconvv 16 5x5\n")
    assert out["traceback"] == [
        "DSLError: unknown layer 'convv' (line 4, column 1)",
        "  convv 16 5x5",
        "  ^^^^^",
        "did you mean 'conv'?",
    ]
    harness.assert_no_console_errors(console)


def test_model_summary_in_voila(page: Any, console: harness.ConsoleLog,
                                voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "model_summary_voila.ipynb", CELLS)
    harness.open_in_voila(page, voila, nb)
    roots = page.locator(WIDGET)
    roots.nth(1).wait_for()
    root = roots.nth(1)
    assert _glyphs(root) == 8 and _visible_rows(root) == 12
    head = _row_index(root, "head")
    root.locator(f"tr.dlw-summary-row[data-row='{head}'] button.dlw-toggle").click()
    page.wait_for_function(ROW_COUNT, arg=8)
    assert _glyphs(root) == 6
    harness.assert_no_console_errors(console)


def test_model_summary_exported(offline_page: tuple[Any, harness.ConsoleLog],
                                tmp_path: pathlib.Path) -> None:
    from tests.test_dsl_reference import RESNET18

    page, console = offline_page
    widget = ModelSummaryWidget(build(RESNET18), name="resnet18")
    path = export_html(widget, tmp_path / "summary.html", title="ResNet-18")
    open_export(page, path)
    root = page.locator(WIDGET)
    root.wait_for()
    assert "resnet18 · sequential" in (root.locator(".dlw-summary-title").text_content() or "")
    assert "11,689,512" in (root.locator(".dlw-summary-totals").text_content() or "")
    # a large model starts with its residual blocks folded: one glyph each, no arcs yet
    folded_glyphs = _glyphs(root)
    assert root.locator("path.dlw-arc").count() == 0
    rows = _visible_rows(root)
    root.locator("button.dlw-expand-all").click()
    page.wait_for_function("(n) => document.querySelectorAll('svg.dlw-summary-svg path.dlw-arc')"
                           ".length === n", arg=8)
    assert _glyphs(root) > folded_glyphs and _visible_rows(root) > rows
    harness.screenshot(root, "model_summary_export")
    root.locator("button.dlw-collapse-all").click()
    page.wait_for_function("() => document.querySelectorAll('tr.dlw-summary-row').length < 12")
    # nothing here needs Python: the batch-size box works on the page
    batch = root.locator("input.dlw-batch")
    assert not batch.is_disabled()
    training = root.locator(".dlw-summary-training")
    before = training.text_content()
    batch.fill("1")
    batch.press("Enter")
    page.wait_for_function("([el, t]) => el.textContent !== t",
                           arg=[training.element_handle(), before])
    harness.assert_no_console_errors(console)
