"""An exported page with no kernel keeps the sliders whose states the exporter precomputed:
moving the race's learning-rate slider, the conv stepper's stride and the activation explorer's
slope snaps to a precomputed value and redraws (canvas pixels and labels change), the controls
show which values are exact (tick marks, a note), a control without precomputed values keeps
its kernel hint, and the console stays clean."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.conftest import open_export

RACE = "[data-dlw-widget='optimizer-race']"
CONV = "[data-dlw-widget='conv-stepper']"
ACTIVATION = "[data-dlw-widget='activation-explorer']"

# set a range input's value and fire "input" then "change", as dragging and releasing does
_SLIDE = """(el, v) => { el.value = String(v);
  el.dispatchEvent(new Event('input', {bubbles: true}));
  el.dispatchEvent(new Event('change', {bubbles: true})); return el.value; }"""


@pytest.fixture(scope="module")
def page_path(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    import dlwidgets

    widgets = [
        dlwidgets.OptimizerRace("rosenbrock", ["sgd", "adam"], steps=150),
        dlwidgets.ConvStepper("digit:3", "sobel_x", padding=0),
        dlwidgets.ActivationExplorer("leaky_relu", negative_slope=0.05),
    ]
    return dlwidgets.export_html(widgets, tmp_path_factory.mktemp("offline") / "offline.html",
                                 title="Offline sliders", quiet=True)


def _open(offline_page: tuple[Any, harness.ConsoleLog], page_path: pathlib.Path, widget: str,
          canvas: str) -> tuple[Any, harness.ConsoleLog, Any, Any]:
    """The exported page open with no kernel: (page, console, the widget's root, its canvas)."""
    page, console = offline_page
    open_export(page, page_path)
    root = page.locator(widget)
    root.wait_for()
    return page, console, root, root.locator(canvas)


def _text(root: Any, selector: str) -> str:
    return root.locator(selector).first.text_content() or ""


def _ticks(control: Any) -> int:
    return int(control.evaluate(
        "(el) => { const id = el.getAttribute('list'); const root = el.getRootNode();"
        " const list = id && root.getElementById ? root.getElementById(id) : null;"
        " return list ? list.querySelectorAll('option').length : 0; }"))


def test_race_learning_rate_slider_answers_offline(offline_page: tuple[Any, harness.ConsoleLog],
                                                    page_path: pathlib.Path) -> None:
    page, console, root, canvas = _open(offline_page, page_path, RACE,
                                        "canvas.dlw-race-surface-canvas")
    root.locator(".dlw-scrub").fill("150")  # the last frame: what is drawn only changes with data
    page.wait_for_timeout(200)
    slider = root.locator("[data-optimizer='sgd'] .dlw-race-hyper-lr")
    assert slider.is_enabled() and "offline-exact" in (slider.get_attribute("class") or "")
    assert "precomputed" in (slider.get_attribute("title") or "")
    assert _ticks(slider) == 13
    assert _text(root, "[data-optimizer='sgd'] .dlw-offline-note") == "offline: 13 precomputed values"
    panel_before = _text(root, "[data-optimizer='sgd'] .dlw-race-panel-head")
    readout_before = _text(root, "[data-optimizer='sgd'] .dlw-race-slider .dlw-readout")
    pixels_before = harness.canvas_signature(canvas)
    shown = slider.evaluate(_SLIDE, 150)  # far down the log scale: a much smaller rate
    page.wait_for_timeout(300)
    slider = root.locator("[data-optimizer='sgd'] .dlw-race-hyper-lr")  # panels are rebuilt
    readout = _text(root, "[data-optimizer='sgd'] .dlw-race-slider .dlw-readout")
    assert readout != readout_before
    assert slider.input_value() != "150" or shown != "150"  # snapped to a precomputed value
    assert _text(root, "[data-optimizer='sgd'] .dlw-race-panel-head") != panel_before
    assert harness.canvas_signature(canvas) != pixels_before
    # the other optimizer's slider is precomputed too; a Python-only control keeps its hint
    assert root.locator("[data-optimizer='adam'] .dlw-race-hyper-lr").is_enabled()
    assert root.locator("select.dlw-race-surface").is_disabled()
    param = root.locator(".dlw-race-surface-param-b")
    assert param.is_enabled() and _ticks(param) >= 8
    harness.screenshot(root, "offline_race_export")
    harness.assert_no_console_errors(console)


def test_conv_stride_answers_offline(offline_page: tuple[Any, harness.ConsoleLog],
                                     page_path: pathlib.Path) -> None:
    page, console, root, canvas = _open(offline_page, page_path, CONV, "canvas.dlw-canvas")
    stride = root.locator("input.dlw-stride-h")
    assert stride.is_enabled() and "offline-exact" in (stride.get_attribute("class") or "")
    note = _text(root, ".dlw-offline-note")
    assert note.startswith("offline: 18 precomputed settings") and "stride 1/2/3" in note
    formula_before = _text(root, ".dlw-conv-formula")
    pixels_before = harness.canvas_signature(canvas)
    stride.fill("2")
    stride.press("Enter")
    page.wait_for_timeout(300)
    assert root.locator("input.dlw-stride-w").input_value() == "2"  # square: both follow
    formula = _text(root, ".dlw-conv-formula")
    assert formula != formula_before and "/ 2" in formula.replace("/2", "/ 2"), formula
    assert harness.canvas_signature(canvas) != pixels_before
    # padding is precomputed too (its menu offers the precomputed values); activation is not
    pad = root.locator("select.dlw-padding")
    assert pad.is_enabled()
    assert pad.locator("option").all_text_contents() == ["0", "1", "2"]
    pad.select_option("2")
    page.wait_for_timeout(300)
    assert _text(root, ".dlw-conv-formula") != formula
    act = root.locator("select.dlw-activation")
    assert act.is_disabled() and "kernel" in (act.get_attribute("title") or "")
    harness.screenshot(root, "offline_conv_export")
    harness.assert_no_console_errors(console)


def test_activation_parameter_answers_offline(offline_page: tuple[Any, harness.ConsoleLog],
                                              page_path: pathlib.Path) -> None:
    page, console, root, canvas = _open(offline_page, page_path, ACTIVATION, "canvas")
    slope = root.locator("input.dlw-slope")
    assert slope.is_enabled() and _ticks(slope) == 12
    assert _text(root, ".dlw-offline-note").startswith("offline: 12 precomputed values")
    readout_before = _text(root, ".dlw-toolbar .dlw-readout")
    pixels_before = harness.canvas_signature(canvas)
    assert slope.evaluate(_SLIDE, 0.31) == "0.3"  # snapped to the precomputed 0.3
    page.wait_for_timeout(200)
    assert _text(root, ".dlw-toolbar .dlw-readout") == "0.3" != readout_before
    assert harness.canvas_signature(canvas) != pixels_before
    # the arrow keys move from one precomputed value to the next (0.3 -> 0.35)
    slope.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    assert _text(root, ".dlw-toolbar .dlw-readout") == "0.35" and slope.input_value() == "0.35"
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(200)
    assert _text(root, ".dlw-toolbar .dlw-readout") == "0.3"
    # hovering at x = -4 reads the precomputed curve: leaky_relu(-4) = -1.2 with slope 0.3
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 52 + (640 - 52 - 20) * 0.1, box["y"] + box["height"] / 2)
    assert "f(x) = −1.2" in _text(root, ".dlw-hover-readout")
    assert root.locator("select.dlw-activation-select").is_disabled()
    harness.assert_no_console_errors(console)
