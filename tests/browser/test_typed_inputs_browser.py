"""Enter applies a typed value, for every box a person types into: in JupyterLab and Notebook 7
(whose own Enter shortcut must not take the key) the test types a value, presses Enter and
nothing else, and checks that Python now holds it (kernel_value); in Voilà it checks the view
Python redrew.

A value applied with a button (an edited weight, a clamp value) is applied by Enter as well.
To cover a new input, add a TypedInput to INPUTS (and its widget's cell to CELLS).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser import harness

CELLS = [
    "%load_ext dlwidgets\nimport torch\nfrom torch import nn\nimport dlwidgets\ntorch.manual_seed(0)",
    "conv = dlwidgets.ConvStepper('digit:3', 'sobel_x', padding=1)\nconv",
    "race = dlwidgets.OptimizerRace('rosenbrock', ['sgd', 'adam'], steps=40)\nrace",
    "lstm = dlwidgets.LSTMInspector(nn.LSTM(2, 4), torch.randn(6, 2), tokens=list('abcdef'))\nlstm",
    "latent = dlwidgets.LatentExplorer.demo()\nlatent",
    "summ = dlwidgets.summary(dlwidgets.build('input 16 -> dense 8 relu -> dense 2', seed=0))"
    ".widget()\nsumm",
    "bp = dlwidgets.BackpropStepper.demo('2-2-1')\nbp",
    "expr = dlwidgets.BackpropStepper.expression(lambda a, b, c: (a * b + c).tanh(),"
    " a=2.0, b=-3.0, c=10.0)\nexpr",
]


def _conv_cell(page: Any, root: Any) -> None:
    """Click input cell (3, 4) of the conv stepper: its cell editor opens there."""
    canvas = root.locator("canvas.dlw-canvas")
    box = canvas.bounding_box()
    panels = {p["key"]: p for p in json.loads(root.locator(".dlw-conv-stage").get_attribute(
        "data-panels") or "[]")}
    p = panels["input"]
    scale = box["width"] / float(canvas.evaluate("c => parseFloat(c.style.width)"))
    page.mouse.click(box["x"] + (p["x"] + 4.5 * p["cell"]) * scale,
                     box["y"] + (p["y"] + 3.5 * p["cell"]) * scale)
    root.locator("input.dlw-cell-editor").wait_for(state="visible")


def _bp_edge(page: Any, root: Any) -> None:
    """Click the edge W2[0, 1] of the backprop stepper: its weight can be typed."""
    canvas = root.locator(".dlw-bp-stage canvas")
    lay = json.loads(canvas.get_attribute("data-layout") or "{}")
    box = canvas.bounding_box()
    x0, y0, r0 = lay["nodes"][1][1]
    x1, y1, r1 = lay["nodes"][2][0]
    t = 0.25
    page.mouse.click(box["x"] + x0 + r0 + t * (x1 - r1 - x0 - r0), box["y"] + y0 + t * (y1 - y0))
    page.wait_for_function("(el) => el.textContent.includes('W2[0, 1]')",
                           arg=root.locator(".dlw-bp-edit-label").element_handle())


def _expr_input_b(page: Any, root: Any) -> None:
    """Click the expression's input b: its value can be typed."""
    canvas = root.locator("canvas")
    boxes = json.loads(canvas.first.get_attribute("data-layout") or "[]")
    box = canvas.first.bounding_box()
    page.mouse.click(box["x"] + boxes[1]["x"] + 10, box["y"] + boxes[1]["y"] + 10)
    page.wait_for_function("(el) => el.textContent.includes('b =')",
                           arg=root.locator(".dlw-expr-edit-label").element_handle())


def _check(selector: str) -> Callable[[Any, Any], None]:
    def prepare(page: Any, root: Any) -> None:
        box = root.locator(selector)
        if not box.is_checked():
            box.check()
    return prepare


@dataclass(frozen=True)
class TypedInput:
    name: str
    widget: str  # data-dlw-widget of the view holding it
    selector: str
    value: str
    kernel: str  # Python expression whose JSON value must become `expected`
    expected: Any
    prepare: Callable[[Any, Any], None] | None = None
    # in Voilà: a JS predicate on the view's root, true once Python answered (None: not checked)
    voila: str | None = None


INPUTS = [
    TypedInput("conv-stride", "conv-stepper", "input.dlw-stride-h", "2", "list(conv.stride)",
               [2, 1], voila="(r) => r.querySelector('.dlw-conv-formula').textContent"
               ".includes('/ 2) + 1')"),
    TypedInput("conv-dilation", "conv-stepper", "input.dlw-dilation-w", "2",
               "list(conv.dilation)", [1, 2],
               voila="(r) => r.querySelector('.dlw-conv-formula').textContent"
               ".includes('2·(3−1)')"),
    TypedInput("conv-pool-size", "conv-stepper", "input.dlw-pool-size", "3",
               "conv.settings['pool_size']", [3, 3]),
    TypedInput("conv-cell", "conv-stepper", "input.dlw-cell-editor", "5",
               "float(conv.image[0, 2, 3])", 5.0, prepare=_conv_cell),
    TypedInput("race-steps", "optimizer-race", "input.dlw-race-steps", "30", "race.steps", 30,
               voila="(r) => r.querySelector('.dlw-race-timeline .dlw-scrub').max === '30'"),
    TypedInput("race-seed", "optimizer-race", "input.dlw-race-seed", "7", "race.seed", 7),
    TypedInput("race-noise", "optimizer-race", "input.dlw-race-noise-value", "0.25",
               "race.noise", 0.25),
    TypedInput("race-swarm", "optimizer-race", "input.dlw-race-swarm-count", "16", "race.swarm",
               16, prepare=_check("input.dlw-race-swarm")),
    TypedInput("lstm-unit", "lstm-inspector", "input.dlw-lstm-unit", "2", "lstm.unit", 2,
               voila="(r) => r.textContent.includes('unit 2')"),
    TypedInput("lstm-clamp", "lstm-inspector", "input.dlw-lstm-clamp-value", "0.5",
               "lstm.clamp.get('value')", 0.5,
               voila="(r) => r.querySelector('.dlw-lstm-clamp-info').textContent"
               ".includes('clamped')"),
    TypedInput("latent-lattice", "latent-explorer", "input.dlw-latent-lattice-n", "6",
               "latent.lattice_n", 6),
    TypedInput("summary-batch", "model-summary", "input.dlw-batch", "128", "summ.batch_size",
               128),
    TypedInput("backprop-lr", "backprop-stepper", "input.dlw-bp-lr", "0.5", "bp._lr", 0.5),
    TypedInput("backprop-edit", "backprop-stepper", "input.dlw-bp-edit-value", "0.25",
               "float(bp.arrays['2.weight'][0, 1])", 0.25, prepare=_bp_edge),
    TypedInput("expression-edit", "expression-stepper", "input.dlw-expr-edit-value", "-2",
               "round(expr.value, 6)", round(math.tanh(2.0 * -2.0 + 10.0), 6),
               prepare=_expr_input_b),
]


def _type_and_enter(page: Any, item: TypedInput) -> Any:
    root = page.locator(f"[data-dlw-widget='{item.widget}']").first
    root.scroll_into_view_if_needed()
    if item.prepare:
        item.prepare(page, root)
    box = root.locator(item.selector)
    box.scroll_into_view_if_needed()
    box.click()
    box.fill(item.value)
    box.press("Enter")  # nothing else: no Tab, no blur
    return root


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_enter_applies_every_typed_value(page: Any, console: harness.ConsoleLog,
                                         jupyter: harness.Server, frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"typed_inputs_{frontend}.ipynb", CELLS)
    harness.open_in(frontend)(page, jupyter, nb, timeout=300)
    failed = []
    for item in INPUTS:
        _type_and_enter(page, item)
        try:
            harness.wait_kernel_value(page, item.kernel, item.expected, tries=40)
        except AssertionError as exc:
            failed.append(f"{item.name}: {exc}")
    assert not failed, f"Enter did not apply in {frontend}:\n" + "\n".join(failed)
    harness.assert_no_console_errors(console)


def test_enter_applies_typed_values_in_voila(page: Any, console: harness.ConsoleLog,
                                             voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "typed_inputs_voila.ipynb", CELLS[:4])
    harness.open_in_voila(page, voila, nb, timeout=300)
    page.wait_for_selector("[data-dlw-widget='lstm-inspector']", timeout=300_000)
    failed = []
    for item in INPUTS:
        if item.voila is None:
            continue
        root = _type_and_enter(page, item)
        try:
            page.wait_for_function(item.voila, arg=root.element_handle(), timeout=20_000)
        except Exception as exc:  # noqa: BLE001  (Playwright's TimeoutError: list them all)
            failed.append(f"{item.name}: the view did not show Python's answer ({exc})")
    assert not failed, "Enter did not apply in Voilà:\n" + "\n".join(failed)
    harness.assert_no_console_errors(console)
