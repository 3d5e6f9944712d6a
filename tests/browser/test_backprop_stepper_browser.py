"""The backpropagation stepper drawn and driven for real: in JupyterLab (stepping with the
buttons and the keyboard changes the drawing and the written-out numbers, which equal Python's;
hovering an edge shows its chain of factors; editing a weight, applying the step and switching
the hidden activation and initialisation reach Python), in Voilà, and in an exported page with no kernel (stepping and hovering keep working,
editing is disabled with a hint)."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='backprop-stepper']"

CELLS = [
    "%load_ext dlwidgets\nimport dlwidgets\n"
    "w = dlwidgets.BackpropStepper.demo('2-2-1')\n"
    "w",
]


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace("(", "").replace(")", ""))


def _wait_text(page: Any, locator: Any, needle: str) -> None:
    page.wait_for_function("([el, s]) => el.textContent.includes(s)",
                           arg=[locator.element_handle(), needle])


def _close(shown: float, exact: float) -> bool:
    """Shown numbers have 4 significant digits."""
    return abs(shown - exact) <= 6e-4 * max(abs(exact), 1e-3)


def _drawn(root: Any) -> None:
    canvas = root.locator(".dlw-bp-stage canvas")
    canvas.wait_for()
    assert harness.canvas_ink(canvas) > 0.02, "the network is not drawn"
    assert "compare with autograd" in (root.locator(".dlw-bp-autograd").text_content() or "")
    depth = root.locator("canvas.dlw-bp-depth")
    assert harness.canvas_ink(depth) > 0.01, "the depth view is not drawn"
    assert "mean f′(z) per layer" in (root.locator(".dlw-bp-depth-line").text_content() or "")


def _step_text(root: Any) -> str:
    return root.locator(".dlw-bp-step").inner_text()


def _step_and_read(page: Any, root: Any) -> dict[str, float]:
    """Step from the start to backward of layer 1 with the button and the keyboard; return the
    numbers the page wrote out on the way, checking that pixels and text change each time."""
    canvas = root.locator(".dlw-bp-stage canvas")
    label = root.locator(".dlw-frame-label")
    _wait_text(page, label, "Forward · layer 1 (1 / 7)")
    first = _step_text(root)
    assert "z1[0] = 0.5·2 + (−1)·1 + 0.2 = 0.2" in first
    before = harness.canvas_signature(canvas)
    root.locator(".dlw-step").click()
    _wait_text(page, label, "Forward · layer 2 (2 / 7)")
    page.wait_for_timeout(150)
    assert harness.canvas_signature(canvas) != before, "stepping did not change the drawing"
    forward2 = _step_text(root)
    assert forward2 != first
    a2 = _number(re.search(r"a2\[0\] = σ\([^)]*\) = (\S+)", forward2).group(1))  # type: ignore[union-attr]
    root.locator(".dlw-bp-stage").focus()
    sig = harness.canvas_signature(canvas)
    page.keyboard.press("ArrowRight")
    _wait_text(page, label, "Loss (3 / 7)")
    loss = _number(re.search(r"L = (\S+)", _step_text(root).split("\n")[-2]).group(1))  # type: ignore[union-attr]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    _wait_text(page, label, "Backward · layer 1 (5 / 7)")
    page.wait_for_timeout(150)
    assert harness.canvas_signature(canvas) != sig
    back = _step_text(root)
    assert "f′(z) = σ(z)(1 − σ(z))" in back
    delta = _number(re.search(r"δ1\[0\] = .* = (\S+)", back).group(1))  # type: ignore[union-attr]
    page.keyboard.press("ArrowLeft")
    _wait_text(page, label, "Backward · layer 2 (4 / 7)")
    assert _step_text(root) != back
    page.keyboard.press("ArrowRight")
    _wait_text(page, label, "Backward · layer 1 (5 / 7)")
    return {"a2": a2, "loss": loss, "delta": delta}


def _edge_point(root: Any, layer: int, to: int, frm: int) -> tuple[float, float]:
    canvas = root.locator(".dlw-bp-stage canvas")
    lay = json.loads(canvas.get_attribute("data-layout") or "{}")
    box = canvas.bounding_box()
    assert box is not None and lay.get("dense"), "the canvas does not describe its layout"
    x0, y0, r0 = lay["nodes"][layer - 1][frm]
    x1, y1, r1 = lay["nodes"][layer][to]
    t = 0.25  # crossing edges meet at their midpoints
    return (box["x"] + x0 + r0 + t * (x1 - r1 - x0 - r0), box["y"] + y0 + t * (y1 - y0))


def _hover_chain(page: Any, root: Any) -> float:
    page.mouse.move(*_edge_point(root, 2, 0, 1))
    tip = root.locator(".dlw-tooltip")
    _wait_text(page, tip, "∂L/∂W = ∂L/∂a2[0] · f′(z2[0]) · a1[1]")
    lines = tip.inner_text().split("\n")
    assert lines[0].startswith("W2[0, 1] = −0.7")
    factors = re.findall(r"\(?−?[\d.]+(?:e[−+]?\d+)?\)?", lines[2].split("=")[1])
    assert len(factors) == 3, lines
    return _number(lines[2].rsplit("=", 1)[1].strip())


def test_backprop_stepper_in_jupyterlab(page: Any, console: harness.ConsoleLog,
                                        jupyter: harness.Server) -> None:
    nb = harness.write_notebook(jupyter.root, "backprop_stepper_lab.ipynb", CELLS)
    harness.open_in_lab(page, jupyter, nb, timeout=180)
    root = page.locator(WIDGET).first
    root.wait_for()
    _drawn(root)
    shown = _step_and_read(page, root)
    harness.wait_kernel_value(page, "w.step_index", 4)
    assert _close(shown["a2"], harness.kernel_value(page, "float(w.activations[2][0, 0])"))
    assert _close(shown["loss"], harness.kernel_value(page, "w.loss_value"))
    assert _close(shown["delta"], harness.kernel_value(page, "float(w.result.layers[0].delta[0, 0])"))
    grad = _hover_chain(page, root)
    assert _close(grad, harness.kernel_value(page, "float(w.grads['2.weight'][0, 1])"))
    harness.screenshot(root, "backprop_stepper")

    # click the edge to edit its weight: Python traces the step again
    page.mouse.click(*_edge_point(root, 2, 0, 1))
    _wait_text(page, root.locator(".dlw-bp-edit-label"), "W2[0, 1] =")
    root.locator("input.dlw-bp-edit-value").fill("0.25")
    root.locator("button.dlw-bp-edit").click()
    harness.wait_kernel_value(page, "float(w.arrays['2.weight'][0, 1])", 0.25)
    page.wait_for_function("(el) => el.dataset.pending === 'false'",
                           arg=root.element_handle())
    # apply the step: the model given to the widget changes, the loss shown drops
    old = harness.kernel_value(page, "w.loss_value")
    root.locator("button.dlw-bp-apply").click()
    for _ in range(60):
        if harness.kernel_value(page, "w.loss_value") != old:
            break
        page.wait_for_timeout(250)
    new = harness.kernel_value(page, "w.loss_value")
    assert new < old
    _wait_text(page, root.locator(".dlw-bp-autograd"), f"{new:.6f}"[:7])
    # switch the hidden activation and the initialisation: Python traces again, the depth view
    # redraws with the new local derivatives
    depth_line = root.locator(".dlw-bp-depth-line")
    before = depth_line.text_content()
    root.locator("select.dlw-bp-activation").select_option("relu")
    harness.wait_kernel_value(page, "w.network['hidden_activation']", "relu")
    page.wait_for_function("([el, s]) => el.textContent !== s",
                           arg=[depth_line.element_handle(), before])
    root.locator("select.dlw-bp-init").select_option("he")
    harness.wait_kernel_value(page, "w.network['init']", "he")
    # train 10 steps: the history plot appears with Python's losses
    root.locator("button.dlw-bp-train").click()
    harness.wait_kernel_value(page, "len(w.history.get('loss', []))", 10)
    hist = root.locator("canvas.dlw-bp-history")
    hist.wait_for(state="visible")
    page.wait_for_timeout(200)
    assert harness.canvas_ink(hist) > 0.01, "the training history is not drawn"
    first = harness.kernel_value(page, "float(w.history['loss'][0])")
    _wait_text(page, root.locator(".dlw-bp-history-line"), f"10 steps trained: loss {first:.4g}"[:26])
    harness.assert_no_console_errors(console)


def test_backprop_stepper_in_voila(page: Any, console: harness.ConsoleLog,
                                   voila: harness.Server) -> None:
    import dlwidgets

    nb = harness.write_notebook(voila.root, "backprop_stepper_voila.ipynb", CELLS)
    harness.open_in_voila(page, voila, nb)
    root = page.locator(WIDGET)
    _drawn(root)
    widget = dlwidgets.BackpropStepper.demo("2-2-1")  # the same numbers, computed here
    shown = _step_and_read(page, root)
    assert _close(shown["loss"], widget.loss_value)
    assert _close(shown["delta"], float(widget.result.layers[0].delta[0, 0]))
    assert _close(_hover_chain(page, root), float(widget.grads["2.weight"][0, 1]))
    harness.assert_no_console_errors(console)


def test_backprop_stepper_exported(offline_page: tuple[Any, harness.ConsoleLog],
                                   tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    widget = dlwidgets.BackpropStepper.demo()
    path = dlwidgets.export_html(widget, tmp_path / "backprop.html", title="Backpropagation")
    open_export(page, path)
    root = page.locator(WIDGET)
    _drawn(root)
    shown = _step_and_read(page, root)
    assert _close(shown["a2"], float(widget.activations[2][0, 0]))
    assert _close(shown["loss"], widget.loss_value)
    assert _close(shown["delta"], float(widget.result.layers[0].delta[0, 0]))
    assert _close(_hover_chain(page, root), float(widget.grads["2.weight"][0, 1]))
    # the update, with old and new values, needs no kernel either
    page.mouse.move(0, 0)
    root.locator(".dlw-bp-stage").focus()
    page.keyboard.press("End")
    _wait_text(page, root.locator(".dlw-frame-label"), "Update · layer 2 (7 / 7)")
    text = _step_text(root)
    new = float(widget.updated["2.weight"][0, 0])
    assert re.search(r"W2\[0, 0\]: 1\.2 − 0\.1 × \(−[\d.]+\) = (\S+)", text), text
    shown_new = _number(re.search(r"W2\[0, 0\]: .* = (\S+)", text).group(1))  # type: ignore[union-attr]
    assert _close(shown_new, new)
    for selector in ("button.dlw-bp-apply", "button.dlw-bp-edit", "input.dlw-bp-edit-value",
                     "select.dlw-bp-activation", "select.dlw-bp-init", "button.dlw-bp-train"):
        control = root.locator(selector)
        assert control.is_disabled() and "kernel" in (control.get_attribute("title") or ""), selector
    harness.screenshot(root, "backprop_stepper_export", docs=False)
    # JupyterLab's dark theme (the body attribute Lab and Voilà set): both canvases redraw on a
    # dark background
    page.evaluate("document.body.setAttribute('data-jp-theme-light', 'false')")
    for selector in (".dlw-bp-stage canvas", "canvas.dlw-bp-depth"):
        page.wait_for_function(f"(c) => ({harness.CANVAS_BACKGROUND_JS})(c) < 0.1",
                               arg=root.locator(selector).element_handle(), timeout=10_000)
    harness.screenshot(root, "backprop_stepper_export_dark", docs=False)
    harness.assert_no_console_errors(console)
