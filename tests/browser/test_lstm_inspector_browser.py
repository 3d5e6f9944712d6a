"""The LSTM inspector drawn and driven for real: in JupyterLab (hovering reads PyTorch's exact
values, stepping and playing reach Python, the unit picker, dragging across the text ranks units
like Python's search, clamping and typing new text are recomputed in the kernel, HTML in a token
shows as text), in Voilà, and in an exported page with no kernel (hover, step, search keep
working; text and clamp controls are disabled with a hint)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='lstm-inspector']"
EVIL = "<img src=x onerror=alert(1)>"

CELLS = [
    "%load_ext dlwidgets\nimport torch\nimport dlwidgets\n"
    "from dlwidgets.engine.char_demo import char_demo\n"
    "demo = char_demo()\n"
    "w = dlwidgets.LSTMInspector(demo.model, demo.text, tokenizer=demo.tokenizer,\n"
    "                            compare=demo.rnn_model, unit=demo.counting_unit)\n"
    "w",
    "torch.manual_seed(0)\n"
    f"evil = dlwidgets.LSTMInspector(torch.nn.LSTM(2, 3), torch.randn(4, 2),\n"
    f"                               tokens=['a', {EVIL!r}, 'b', 'c'])\n"
    "evil",
]






def _wait_text(page: Any, locator: Any, needle: str) -> None:
    page.wait_for_function("([el, s]) => el.textContent.includes(s)",
                           arg=[locator.element_handle(), needle])


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace("×10", "e"))


def _cell_point(root: Any, name: str, t: int, unit: int) -> tuple[float, float]:
    canvas = root.locator("canvas.dlw-lstm-heatmap")
    canvas.scroll_into_view_if_needed()
    lay = json.loads(canvas.get_attribute("data-layout") or "{}")
    box = canvas.bounding_box()
    assert box is not None and lay, "the heatmap does not describe its layout"
    b = lay["names"].index(name)
    return (box["x"] + lay["left"] + (t + 0.5) * lay["cellW"],
            box["y"] + lay["blockTops"][b] + (unit + 0.5) * lay["cellH"])


def _hover_value(page: Any, root: Any, name: str, t: int, unit: int) -> float:
    page.mouse.move(*_cell_point(root, name, t, unit))
    readout = root.locator(".dlw-lstm-hover")
    _wait_text(page, readout, f"{name} · unit {unit} · t = {t} ")
    text = readout.text_content() or ""
    return _number(text.split("” = ")[1].split()[0])


def _drawn(root: Any) -> None:
    heat = root.locator("canvas.dlw-lstm-heatmap")
    heat.wait_for()
    assert harness.canvas_ink(heat) > 0.2, "the heatmaps are blank"
    assert harness.canvas_ink(root.locator("canvas.dlw-lstm-gradient")) > 0.01, "no gradient curve"
    assert harness.canvas_ink(root.locator("canvas.dlw-lstm-series")) > 0.01, "no unit curve"
    assert "c_t = f·c_prev + i·g" in (root.locator(".dlw-lstm-diagram").text_content() or "")
    assert root.locator(".dlw-lstm-cell-svg rect").count() >= 4, "the cell diagram has no gate boxes"
    assert "nn.LSTM 'rnn' in CharModel" in (root.locator(".dlw-lstm-module").text_content() or "")


def _step_with_keys(page: Any, root: Any, target: int) -> None:
    heat = root.locator("canvas.dlw-lstm-heatmap")
    before = harness.canvas_signature(heat)
    root.locator(".dlw-step").first.click()
    _wait_text(page, root.locator(".dlw-frame-label"), "t = 1 /")
    root.focus()
    for _ in range(target - 1):
        page.keyboard.press("ArrowRight")
    _wait_text(page, root.locator(".dlw-frame-label"), f"t = {target} /")
    _wait_text(page, root.locator(".dlw-lstm-diagram h4"), f"t = {target} ")
    page.wait_for_timeout(100)
    assert harness.canvas_signature(heat) != before, "stepping did not move the step marker"
    assert root.locator(".dlw-lstm-tok.dlw-current").get_attribute("data-t") == str(target)


def _drag_tokens(page: Any, root: Any, a: int, b: int) -> list[int]:
    root.locator(f".dlw-lstm-tok[data-t='{a}']").scroll_into_view_if_needed()
    first = root.locator(f".dlw-lstm-tok[data-t='{a}']").bounding_box()
    last = root.locator(f".dlw-lstm-tok[data-t='{b}']").bounding_box()
    assert first and last
    page.mouse.move(first["x"] + first["width"] / 2, first["y"] + 6)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + 6, steps=8)
    page.mouse.up()
    buttons = root.locator("button.dlw-lstm-rank-unit")
    buttons.first.wait_for()
    assert root.locator(".dlw-lstm-tok.dlw-selected").count() == b - a + 1
    return [int(buttons.nth(k).get_attribute("data-unit") or -1) for k in range(buttons.count())]


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_lstm_inspector_in_jupyterlab(page: Any, console: harness.ConsoleLog, jupyter: harness.Server,
                                      frontend: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    nb = harness.write_notebook(jupyter.root, f"lstm_inspector_lab_{frontend}.ipynb", CELLS)
    harness.open_in(frontend)(page, jupyter, nb, timeout=180)
    root = page.locator(WIDGET).first
    root.wait_for()
    _drawn(root)
    unit = harness.kernel_value(page, "w.unit")

    # hover: the readout is PyTorch's value of that gate, step and unit
    for name, t, u in (("forget", 5, 3), ("c", 12, unit), ("output", 30, 0)):
        shown = _hover_value(page, root, name, t, u)
        exact = harness.kernel_value(page, f"float(w.trace[{name!r}][0, 0, {t}, {u}])")
        assert abs(shown - exact) <= 1e-6 * max(1.0, abs(exact)), (name, t, u, shown, exact)

    # step with the button and the keyboard: the browser's step reaches Python
    _step_with_keys(page, root, 3)
    harness.wait_kernel_value(page, "w.step", 3)
    # play for a moment: the step advances
    root.locator(".dlw-play").click()
    page.wait_for_timeout(1200)
    root.locator(".dlw-play").click()
    page.wait_for_timeout(300)
    assert harness.kernel_value(page, "w.step") > 3

    # unit picker: one unit on and back (towards a neighbour that exists, whichever unit the
    # demo model selected)
    last = harness.kernel_value(page, "w.recurrent_layer.hidden_size - 1")
    away, back, step_to = ("next", "prev", 1) if unit < last else ("prev", "next", -1)
    root.locator(f".dlw-lstm-unit-{away}").click()
    harness.wait_kernel_value(page, "w.unit", unit + step_to)
    root.locator(f".dlw-lstm-unit-{back}").click()
    harness.wait_kernel_value(page, "w.unit", unit)

    # drag across the text: the units ranked in the browser are Python's ranking
    ranked = _drag_tokens(page, root, 4, 7)
    harness.wait_kernel_value(page, "w.selection", [4, 8])
    expected = harness.kernel_value(page, "[int(u) for u in w.search_units(gate='c')[0][:8]]")
    assert ranked == expected

    # clamp: Python recomputes; the browser shows the intervention and the changed predictions
    before = harness.kernel_value(page, "w.step")
    last = harness.kernel_value(page, "len(w.tokens) - 1")
    root.locator(".dlw-step").first.click()
    step = min(before + 1, last)
    harness.wait_kernel_value(page, "w.step", step)  # the click has reached Python
    root.locator("select.dlw-lstm-clamp-gate").select_option("forget")
    root.locator("input.dlw-lstm-clamp-value").fill("0")
    root.locator("button.dlw-lstm-clamp").click()
    harness.wait_kernel_value(page, "w.clamp.get('gate')", "forget")
    assert harness.kernel_value(page, "[w.clamp['unit'], w.clamp['start'], w.clamp['value']]") == [unit, step, 0.0]
    _wait_text(page, root.locator(".dlw-lstm-clamp-info"), "clamped: forget")
    assert not root.locator("select.dlw-lstm-which").is_disabled()
    _hover_value(page, root, "forget", step + 2, unit)
    assert (root.locator(".dlw-lstm-hover").text_content() or "").endswith("with clamp: 0")

    # type new text: tokenized and traced in the kernel
    box = root.locator("input.dlw-lstm-input")
    box.fill("((ab)c)")
    box.press("Enter")
    harness.wait_kernel_value(page, "w.tokens", list("((ab)c)"))
    page.wait_for_function("(el) => el.querySelectorAll('.dlw-lstm-tok').length === 7",
                           arg=root.element_handle())
    assert harness.kernel_value(page, "w.clamp") == {}
    # a refused text is shown, the trace stays
    box.fill("(x)")
    box.press("Enter")
    _wait_text(page, root.locator(".dlw-lstm-error"), "does not know")
    assert root.locator(".dlw-lstm-tok").count() == 7

    # HTML in a token is shown as text, never interpreted
    evil = page.locator(WIDGET).nth(1)
    evil.wait_for()
    texts = evil.locator(".dlw-lstm-tok .dlw-lstm-ch").all_text_contents()
    assert texts[1] == EVIL
    assert evil.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert not dialogs, f"a token's HTML ran: {dialogs}"
    harness.screenshot(root, f"lstm_inspector_lab{harness.frontend_suffix(frontend)}", docs=frontend == "lab")
    harness.assert_no_console_errors(console)


def test_lstm_inspector_in_voila(page: Any, console: harness.ConsoleLog,
                                 voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "lstm_inspector_voila.ipynb", CELLS[:1])
    harness.open_in_voila(page, voila, nb, timeout=180)
    root = page.locator(WIDGET).first
    _drawn(root)
    value = _hover_value(page, root, "input", 2, 1)
    assert 0.0 <= value <= 1.0
    _step_with_keys(page, root, 2)
    harness.assert_no_console_errors(console)


def test_lstm_inspector_exported(offline_page: tuple[Any, harness.ConsoleLog],
                                 tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    widget = dlwidgets.LSTMInspector.demo()
    widget.clamp_gate("forget", value=0.0, start=10)
    path = dlwidgets.export_html(widget, tmp_path / "lstm.html", title="LSTM gates")
    open_export(page, path)
    root = page.locator(WIDGET)
    _drawn(root)
    # hover reads the saved values; stepping and the unit search work without a kernel
    shown = _hover_value(page, root, "c", 20, widget.unit)
    assert abs(shown - float(widget.trace["c"][0, 0, 20, widget.unit])) <= 1e-6 * max(1.0, abs(shown))
    _step_with_keys(page, root, 4)
    ranked = _drag_tokens(page, root, 10, 12)
    units, _ = widget.search_units(10, 13, gate="c")
    assert ranked == [int(u) for u in units[:8]]
    # the saved clamp is shown and can be viewed as a difference
    assert "clamped: forget" in (root.locator(".dlw-lstm-clamp-info").text_content() or "")
    heat = root.locator("canvas.dlw-lstm-heatmap")
    before = harness.canvas_signature(heat)
    root.locator("select.dlw-lstm-which").select_option("diff")
    page.wait_for_timeout(150)
    assert harness.canvas_signature(heat) != before
    # what needs Python is disabled, with a hint
    for selector in ("button.dlw-lstm-run", "input.dlw-lstm-input", "button.dlw-lstm-clamp"):
        control = root.locator(selector)
        assert control.is_disabled() and "kernel" in (control.get_attribute("title") or ""), selector
    harness.screenshot(root, "lstm_inspector_export")
    # JupyterLab's dark theme (the body attribute Lab and Voila set): the canvases redraw in the
    # dark palette and the heatmap labels keep their contrast against the background
    assert _label_contrast(heat) >= 4.5
    page.evaluate("document.body.setAttribute('data-jp-theme-light', 'false')")
    page.wait_for_function(f"(c) => ({harness.CANVAS_BACKGROUND_JS})(c) < 0.1", arg=heat.element_handle(), timeout=10_000)
    assert _label_contrast(heat) >= 4.5
    svg_text = root.locator(".dlw-lstm-cell-svg text.dlw-lstm-num").first.get_attribute("fill") or ""
    assert svg_text not in ("", "#1f2933"), f"the cell diagram's numbers stay dark: {svg_text}"
    harness.screenshot(root, "lstm_inspector_export_dark", docs=False)
    harness.assert_no_console_errors(console)


# WCAG contrast of the most contrasting pixel of the first block's label line against the
# canvas background (text is antialiased, its core pixels carry the text colour)
_LABEL_CONTRAST_JS = """(c) => {
  const lay = JSON.parse(c.dataset.layout);
  const r = c.width / c.getBoundingClientRect().width;
  const ctx = c.getContext('2d');
  const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (d, i) => 0.2126 * lin(d[i]) + 0.7152 * lin(d[i + 1]) + 0.0722 * lin(d[i + 2]);
  const bg = lum(ctx.getImageData(1, 1, 1, 1).data, 0);
  const x = Math.round(lay.left * r), y = Math.round((lay.blockTops[0] - 13) * r);
  const img = ctx.getImageData(x, y, Math.round(120 * r), Math.round(12 * r)).data;
  let best = 1;
  for (let i = 0; i < img.length; i += 4) {
    const l = lum(img, i);
    best = Math.max(best, (Math.max(l, bg) + 0.05) / (Math.min(l, bg) + 0.05));
  }
  return best;
}"""


def _label_contrast(canvas: Any) -> float:
    return float(canvas.evaluate(_LABEL_CONTRAST_JS))
