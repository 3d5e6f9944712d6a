"""The monitor's Layers view (fit(..., inspect=True)) in a real browser: in JupyterLab it draws
per-layer gradient, weight and update norms while the model trains and lists the health warnings
in words; an exported page with no kernel draws the finished run's Layers view and its warnings."""

from __future__ import annotations

import pathlib
from typing import Any

import torch

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='training-monitor']"
LAYER_CANVASES = ("grad", "weight", "update", "flow")

CELLS = [
    "import torch\nimport dlwidgets\nfrom torch import nn",
    # a deep sigmoid net: vanishing gradients, warned about in words
    "torch.manual_seed(0)\n"
    "net = nn.Sequential(*[m for i in range(8) for m in (nn.Linear(64 if i == 0 else 32, 32),"
    " nn.Sigmoid())], nn.Linear(32, 10))\n"
    "h = dlwidgets.fit(net, 'digits', optimizer='sgd', lr=0.05, epochs=400, batch_size=16,"
    " inspect=True)",
]


def _wait_warning(page: Any, root: Any, timeout: float = 90) -> None:
    page.wait_for_function(
        "(el) => [...el.querySelectorAll('.dlw-monitor-warning')].some(li => /vanishing/.test(li.textContent))",
        arg=root.locator(".dlw-monitor-layers").element_handle(), timeout=timeout * 1000)


def test_layers_view_in_jupyterlab(page: Any, console: harness.ConsoleLog,
                                   jupyter: harness.Server) -> None:
    nb = harness.write_notebook(jupyter.root, "training_monitor_layers_lab.ipynb", CELLS)
    harness.open_in_lab(page, jupyter, nb)
    with harness.stopping_training(page):
        root = page.locator(WIDGET).first
        root.wait_for()
        layers = root.locator(".dlw-monitor-layers")
        layers.wait_for(state="visible", timeout=90_000)
        _wait_warning(page, root)
        grad = root.locator("canvas.dlw-monitor-layers-grad")
        assert harness.canvas_ink(grad) > 0.01
        sig = harness.canvas_signature(grad)
        page.wait_for_function(
            "([el, s]) => true", arg=[grad.element_handle(), sig])  # let a few deltas arrive
        page.wait_for_timeout(1500)
        assert harness.canvas_signature(grad) != sig, "the gradient chart did not change while training"
        for name in LAYER_CANVASES:
            assert harness.canvas_ink(root.locator(f"canvas.dlw-monitor-layers-{name}")) > 0.01, name
        # the legend names the layers input → output, the warnings are words naming layer and step
        legend = root.locator(".dlw-monitor-layers-legend").text_content() or ""
        assert legend.index("0") < legend.index("16")
        warning = root.locator(".dlw-monitor-warning").first.text_content() or ""
        assert "layer 0's gradient norm is" in warning and "step " in warning
        assert warning == harness.kernel_value(page, "h.warnings[0]['message']")
        layers.scroll_into_view_if_needed()
        harness.screenshot(layers, "training_monitor_layers_lab")
        harness.assert_no_console_errors(console)


def test_layers_view_exported(offline_page: tuple[Any, harness.ConsoleLog],
                              tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    with torch.no_grad():
        model[0].bias.fill_(-30.0)  # dead ReLUs: a warning
    monitor = dlwidgets.TrainingMonitor("digits, inspected")
    history = dlwidgets.fit(model, "digits", epochs=2, monitor=monitor, block=True, inspect=True,
                            inspect_every=2)
    path = dlwidgets.export_html(monitor, tmp_path / "layers.html", title="Layers")
    open_export(page, path)
    root = page.locator(WIDGET)
    layers = root.locator(".dlw-monitor-layers")
    assert layers.is_visible()
    for name in LAYER_CANVASES + ("units",):
        assert harness.canvas_ink(root.locator(f"canvas.dlw-monitor-layers-{name}")) > 0.01, name
    warnings = root.locator(".dlw-monitor-warning").all_text_contents()
    assert warnings == [w["message"] for w in history.warnings]
    assert any("ReLUs are dead" in w for w in warnings)
    assert "recorded every 2 steps" in (root.locator(".dlw-monitor-layers-note").text_content() or "")
    # hovering a layer chart reads every layer's values at the nearest recorded step
    grad = root.locator("canvas.dlw-monitor-layers-grad")
    grad.scroll_into_view_if_needed()
    box = grad.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = root.locator(".dlw-monitor-hover").text_content() or ""
    assert "recorded step" in hover and "‖∇w‖" in hover
    harness.screenshot(layers, "training_monitor_layers_export")
    harness.assert_no_console_errors(console)
