"""The convolution stepper drawn and driven for real: in JupyterLab (stepping with the keyboard
reaches Python, hovering shows receptive fields, editing a cell and changing the stride are
recomputed by torch in the kernel), in Voilà, and in an exported page with no kernel (stepping,
views, filters, hovering and the gallery keep working; controls that need Python are disabled).
The exported page also measures playback frames per second (reported, not asserted), and
switching the page to the dark theme redraws the canvas on a dark background with readable text."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='conv-stepper']"

CELLS = [
    "%load_ext dlwidgets\nimport numpy as np, torch, torch.nn.functional as F\nimport dlwidgets\n"
    "w = dlwidgets.ConvStepper('digit:3', 'sobel_x', padding=1)\nw",
]

def _panels(root: Any) -> dict[str, dict[str, float]]:
    raw = root.locator(".dlw-conv-stage").get_attribute("data-panels")
    assert raw, "the stage does not describe its panels"
    return {p["key"]: p for p in json.loads(raw)}


def _cell_point(root: Any, key: str, r: int, c: int) -> tuple[float, float]:
    box = root.locator("canvas.dlw-canvas").bounding_box()
    assert box is not None
    p = _panels(root)[key]
    return box["x"] + p["x"] + (c + 0.5) * p["cell"], box["y"] + p["y"] + (r + 0.5) * p["cell"]


def _text(root: Any, selector: str) -> str:
    return root.locator(selector).text_content() or ""


def _wait_text(page: Any, root: Any, selector: str, needle: str) -> None:
    page.wait_for_function("([el, s]) => el.textContent.includes(s)",
                           arg=[root.locator(selector).element_handle(), needle])






def _step_and_hover(page: Any, root: Any) -> None:
    """Keyboard stepping and hovering, the same with or without a kernel."""
    canvas = root.locator("canvas.dlw-canvas")
    assert harness.canvas_ink(canvas) > 0.05, "the stepper is blank"
    assert "out[0, 0, 0]" in _text(root, ".dlw-sum")
    before = harness.canvas_signature(canvas)
    root.locator(".dlw-conv-stage").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    _wait_text(page, root, ".dlw-sum", "out[0, 0, 3]")
    page.keyboard.press("ArrowDown")
    _wait_text(page, root, ".dlw-sum", "out[0, 1, 3]")
    page.wait_for_timeout(150)
    assert harness.canvas_signature(canvas) != before, "stepping did not redraw"
    # the sum shown is an expression of the window's products and equals the output
    assert "×" in _text(root, ".dlw-sum") and "PyTorch F.conv2d" in _text(root, ".dlw-sum")
    # hover an output cell: its receptive field; hover an input cell: the outputs it feeds
    page.mouse.move(*_cell_point(root, "output", 2, 1))
    _wait_text(page, root, ".dlw-hover-readout", "output (2, 1) reads padded rows 2, 3, 4 × cols 1, 2, 3")
    page.mouse.move(*_cell_point(root, "input", 0, 0))
    _wait_text(page, root, ".dlw-hover-readout", "padding (zeros) = 0 feeds 1 output cell(s): (0, 0)")
    page.mouse.move(*_cell_point(root, "input", 4, 4))
    _wait_text(page, root, ".dlw-hover-readout", "input (3, 3)")
    assert "feeds 9 output cell(s)" in _text(root, ".dlw-hover-readout")
    page.mouse.move(1, 1)


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_conv_stepper_in_jupyterlab(page: Any, console: harness.ConsoleLog, jupyter: harness.Server,
                                    frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"conv_stepper_lab_{frontend}.ipynb", CELLS)
    harness.open_in(frontend)(page, jupyter, nb)
    root = page.locator(WIDGET)
    root.wait_for()
    root.locator("canvas.dlw-canvas").wait_for()
    _step_and_hover(page, root)
    # the position reached with the keyboard is sent to Python when stepping stops
    harness.wait_kernel_value(page, "list(w.position)", [1, 3])
    # Python steps, the page follows
    harness.kernel_value(page, "w.reset()")
    _wait_text(page, root, ".dlw-sum", "out[0, 0, 0]")

    # edit an input cell: click it, type, Enter; torch recomputes in the kernel
    canvas = root.locator("canvas.dlw-canvas")
    before = harness.canvas_signature(canvas)
    page.mouse.click(*_cell_point(root, "input", 3, 4))  # padded (3, 4) = image (2, 3)
    editor = root.locator("input.dlw-cell-editor")
    editor.wait_for(state="visible")
    editor.fill("5")
    editor.press("Enter")
    harness.wait_kernel_value(page, "float(w.image[0, 2, 3])", 5.0)
    assert harness.kernel_value(
        page, "bool(np.allclose(w.output, F.conv2d(torch.tensor(w.image)[None], "
              "torch.tensor(w.weight), padding=1)[0].numpy()))")
    page.wait_for_function("(el) => el.dataset.pending === 'false'", arg=root.element_handle())
    page.wait_for_timeout(300)
    assert harness.canvas_signature(canvas) != before, "the edited input was not drawn"
    # edit a kernel cell
    page.mouse.click(*_cell_point(root, "kernel", 0, 0))
    editor.wait_for(state="visible")
    editor.fill("-3")
    editor.press("Enter")
    harness.wait_kernel_value(page, "float(w.weight[0, 0, 0, 0])", -3.0)

    # change the stride in the page: Python recomputes, the formula shows the numbers
    stride = root.locator("input.dlw-stride-h")
    stride.fill("2")
    stride.press("Enter")  # applies on Enter (the notebook's Enter shortcut must not take it)
    harness.wait_kernel_value(page, "list(w.stride)", [2, 1])
    _wait_text(page, root, ".dlw-conv-formula", "H_out = floor((8 + 2·1 − 1·(3−1) − 1) / 2) + 1")
    assert harness.kernel_value(page, "list(w.output_shape)") == [1, 4, 8]
    # a setting Python refuses is shown, and nothing changes
    dil = root.locator("input.dlw-dilation-h")
    dil.fill("9")
    dil.dispatch_event("change")
    _wait_text(page, root, ".dlw-conv-error", "larger than the padded input")
    assert harness.kernel_value(page, "list(w.dilation)") == [1, 1]
    assert root.locator("input.dlw-dilation-h").input_value() == "1"

    # activation + pooling view: the winner of each window; then the transposed view
    before = harness.canvas_signature(canvas)
    root.locator("button[data-view='pool']").click()
    _wait_text(page, root, ".dlw-sum", "max(")
    assert "winner" in _text(root, ".dlw-sum")
    assert harness.canvas_signature(canvas) != before
    harness.wait_kernel_value(page, "w.view", "pool")
    root.locator("button[data-view='transposed']").click()
    _wait_text(page, root, ".dlw-sum", "scatter y(0, 0)")
    harness.screenshot(root, f"conv_stepper_lab{harness.frontend_suffix(frontend)}", docs=frontend == "lab")
    harness.assert_no_console_errors(console)


def test_conv_stepper_in_voila(page: Any, console: harness.ConsoleLog,
                               voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "conv_stepper_voila.ipynb", CELLS)
    harness.open_in_voila(page, voila, nb)
    root = page.locator(WIDGET)
    root.locator("canvas.dlw-canvas").wait_for()
    _step_and_hover(page, root)
    harness.assert_no_console_errors(console)


def test_conv_stepper_exported(offline_page: tuple[Any, harness.ConsoleLog],
                               tmp_path: pathlib.Path) -> None:
    import numpy as np

    import dlwidgets

    page, console = offline_page
    rng = np.random.default_rng(0)
    widgets = [
        dlwidgets.ConvStepper("digit:3", "sobel_x", padding=1),
        dlwidgets.ConvStepper("rgb", ["sobel_x", "sobel_y", "blur"], stride=2),
        # the benchmark case of the issue: 64×64, 3×3, 8 filters, played at 60 steps/s
        dlwidgets.ConvStepper(rng.standard_normal((64, 64)), rng.standard_normal((8, 1, 3, 3)),
                              speed=60),
    ]
    # without precomputed states (test_offline_sliders_browser.py tests those): the hint path
    path = dlwidgets.export_html(widgets, tmp_path / "conv.html", title="Convolution",
                                 precompute=False)
    open_export(page, path)
    roots = page.locator(WIDGET)
    assert roots.count() == 3
    first, rgb, big = roots.nth(0), roots.nth(1), roots.nth(2)
    # stepping and hovering work from the data in the page
    _step_and_hover(page, first)
    # settings and edits need Python: disabled with a hint
    for selector in ("input.dlw-stride-h", "select.dlw-padding", "select.dlw-activation"):
        control = first.locator(selector)
        assert control.is_disabled() and "kernel" in (control.get_attribute("title") or "")
    page.mouse.click(*_cell_point(first, "input", 3, 3))
    assert not first.locator("input.dlw-cell-editor").is_visible()
    # filters, channels, views and the gallery work without a kernel
    canvas = rgb.locator("canvas.dlw-canvas")
    assert _text(rgb, ".dlw-gallery-title").startswith("feature maps of all 3 filters")
    before = harness.canvas_signature(canvas)
    rgb.locator("button.dlw-gallery-item[data-filter='1']").click()
    page.wait_for_timeout(150)
    assert rgb.locator("select.dlw-filter").input_value() == "1"
    assert harness.canvas_signature(canvas) != before
    before = harness.canvas_signature(canvas)
    rgb.locator("select.dlw-channel").select_option("2")
    page.wait_for_timeout(150)
    assert harness.canvas_signature(canvas) != before
    assert "B: " in _text(rgb, ".dlw-sum") and "sum over 3 channels" in _text(rgb, ".dlw-sum")
    rgb.locator("button[data-view='pool']").click()
    _wait_text(page, rgb, ".dlw-sum", "max(")
    rgb.locator("button[data-view='transposed']").click()
    _wait_text(page, rgb, ".dlw-sum", "scatter")
    # the stride leaves a border unread: the page says so
    assert "never read" in _text(rgb, ".dlw-conv-note")

    # playback speed of the 64×64 stepper (figure recorded in benchmarks/README.md)
    big.scroll_into_view_if_needed()
    figures = harness.measure_playback(page, big, 3.0, counter="draws")
    assert figures["draws_per_s"] > 0, "playing did not draw"
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (harness.ARTIFACTS / "conv_stepper_fps.json").write_text(json.dumps(figures, indent=1))
    print(f"\nconv stepper playback: {figures['fps']:.1f} frames/s, "
          f"{figures['draws_per_s']:.1f} draws/s, {figures['draw_ms']:.2f} ms per draw")
    harness.screenshot(first, "conv_stepper_export")
    harness.assert_no_console_errors(console)


# WCAG contrast of the input panel's title against the canvas background, read from the pixels
_TITLE_CONTRAST = """(el) => {
  const canvas = el.querySelector('canvas.dlw-canvas');
  const p = JSON.parse(el.querySelector('.dlw-conv-stage').dataset.panels).find((q) => q.key === 'input');
  const ratio = canvas.width / canvas.clientWidth;
  const ctx = canvas.getContext('2d');
  const pixels = (x, y, w, h) => ctx.getImageData(Math.round(x * ratio), Math.round(y * ratio),
                                                  Math.round(w * ratio), Math.round(h * ratio)).data;
  const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (d, k) => 0.2126 * lin(d[k]) + 0.7152 * lin(d[k + 1]) + 0.0722 * lin(d[k + 2]);
  const bg = lum(pixels(1, 1, 1, 1), 0);
  const band = pixels(p.x, p.y - 22, 120, 16);  // the title sits 6 px above the grid
  let best = 1;
  for (let k = 0; k < band.length; k += 4) {
    const l = lum(band, k);
    best = Math.max(best, (Math.max(l, bg) + 0.05) / (Math.min(l, bg) + 0.05));
  }
  return { background: bg, contrast: best };
}"""


def test_conv_stepper_follows_dark_theme(offline_page: tuple[Any, harness.ConsoleLog],
                                         tmp_path: pathlib.Path) -> None:
    """Switching the page to JupyterLab's dark theme redraws the canvas on a dark background
    with readable text (the canvas reads the --dlw-* theme colours, not fixed greys)."""
    import dlwidgets

    page, console = offline_page
    path = dlwidgets.export_html([dlwidgets.ConvStepper("digit:3", "sobel_x", padding=1)],
                                 tmp_path / "conv_dark.html", title="Convolution")
    open_export(page, path)
    root = page.locator(WIDGET)
    root.locator("canvas.dlw-canvas").wait_for()
    page.wait_for_function("(el) => Number(el.dataset.draws) > 0", arg=root.element_handle())
    light = page.evaluate(_TITLE_CONTRAST, root.element_handle())
    assert light["background"] > 0.8 and light["contrast"] >= 3, light
    draws = int(root.get_attribute("data-draws") or 0)
    page.evaluate("document.body.setAttribute('data-jp-theme-light', 'false')")
    page.wait_for_function("([el, n]) => Number(el.dataset.draws) > n",
                           arg=[root.element_handle(), draws])
    dark = page.evaluate(_TITLE_CONTRAST, root.element_handle())
    assert dark["background"] < 0.05 and dark["contrast"] >= 3, dark
    harness.assert_no_console_errors(console)
