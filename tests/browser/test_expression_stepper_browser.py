"""The expression stepper (BackpropStepper.expression) drawn and driven for real: in an
exported page with no kernel (stepping with the keyboard changes pixels and text, each node's
value and gradient equal torch's) and in JupyterLab (editing an input reaches Python)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='expression-stepper']"


def _wait_text(page: Any, locator: Any, needle: str) -> None:
    page.wait_for_function("([el, s]) => el.textContent.includes(s)",
                           arg=[locator.element_handle(), needle])


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def _walk(page: Any, root: Any, value: float, grad_a: float) -> None:
    canvas = root.locator("canvas")
    canvas.wait_for()
    assert harness.canvas_ink(canvas) > 0.02
    label = root.locator(".dlw-frame-label")
    _wait_text(page, label, "Forward · n3 (1 / 9)")
    root.locator(".dlw-bp-stage").focus()
    before = harness.canvas_signature(canvas)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    _wait_text(page, label, "Forward · n5 (3 / 9)")
    text = root.locator(".dlw-expr-step").inner_text()
    assert abs(_number(text.split("\n")[1].split(" = ")[1]) - value) < 1e-4 * max(1, abs(value))
    page.wait_for_timeout(150)
    assert harness.canvas_signature(canvas) != before
    page.keyboard.press("End")
    _wait_text(page, label, "Backward · n0 (9 / 9)")
    text = root.locator(".dlw-expr-step").inner_text()
    shown = _number(text.split("\n")[0].split(" = ")[1])
    assert abs(shown - grad_a) <= 1e-3 * max(abs(grad_a), 1e-3), (shown, grad_a)


def test_expression_stepper_exported(offline_page: tuple[Any, harness.ConsoleLog],
                                     tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    w = dlwidgets.BackpropStepper.expression(lambda a, b, c: (a * b + c).tanh(),
                                             a=2.0, b=-3.0, c=10.0)
    path = dlwidgets.export_html(w, tmp_path / "expr.html", title="Expression")
    open_export(page, path)
    root = page.locator(WIDGET)
    _walk(page, root, w.value, w.grads["a"])
    assert root.locator("button.dlw-expr-edit").is_disabled()
    harness.screenshot(root, "expression_stepper_export", docs=False)
    harness.assert_no_console_errors(console)


def test_expression_stepper_in_jupyterlab(page: Any, console: harness.ConsoleLog,
                                          jupyter: harness.Server) -> None:
    cells = ["%load_ext dlwidgets\nimport dlwidgets\n"
             "w = dlwidgets.BackpropStepper.expression(lambda a, b, c: (a * b + c).tanh(),\n"
             "                                         a=2.0, b=-3.0, c=10.0)\nw"]
    nb = harness.write_notebook(jupyter.root, "expression_stepper_lab.ipynb", cells)
    harness.open_in_lab(page, jupyter, nb, timeout=180)
    root = page.locator(WIDGET).first
    root.wait_for()
    import math
    _walk(page, root, math.tanh(4.0), (1 - math.tanh(4.0) ** 2) * -3.0)
    harness.wait_kernel_value(page, "w.step_index", 8)
    # click input b and set it: Python runs the expression again
    canvas = root.locator("canvas")
    boxes = json.loads(canvas.get_attribute("data-layout") or "[]")
    box = canvas.bounding_box()
    assert box is not None and boxes
    page.mouse.click(box["x"] + boxes[1]["x"] + 10, box["y"] + boxes[1]["y"] + 10)
    _wait_text(page, root.locator(".dlw-expr-edit-label"), "b =")
    root.locator("input.dlw-expr-edit-value").fill("-2")
    root.locator("button.dlw-expr-edit").click()
    harness.wait_kernel_value(page, "round(w.value, 6)", round(math.tanh(6.0), 6))
    harness.assert_no_console_errors(console)
