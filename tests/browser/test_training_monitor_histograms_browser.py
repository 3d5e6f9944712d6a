"""The monitor's "inspect layers" box and the histograms over time, in a real browser: in
JupyterLab ticking the box starts per-layer recording in the running kernel (the Layers view and
its histogram heatmap appear), unticking it stops it; switching the histogram's kind and layer
redraws the heatmap. An exported page with no kernel draws the finished run's histograms, switches
them the same way, and keeps the box disabled."""

from __future__ import annotations

import pathlib
from typing import Any

import torch

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='training-monitor']"

CELLS = [
    "import torch\nimport dlwidgets\nfrom torch import nn",
    "torch.manual_seed(0)\n"
    "net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(),"
    " nn.Linear(32, 10))\n"
    "h = dlwidgets.fit(net, 'digits', optimizer='sgd', lr=0.05, epochs=400, batch_size=16,"
    " inspect=False, inspect_every=2, inspect_histograms=True)",
]


def _signature_changes(page: Any, canvas: Any, before: int, timeout: float = 20) -> None:
    page.wait_for_function(
        "([el, s]) => { const c = el.getContext('2d'); const d = c.getImageData(0, 0, el.width,"
        " el.height).data; let h = 0; for (let i = 0; i < d.length; i += 97) h = (h * 31 + d[i])"
        " | 0; return h !== s; }", arg=[canvas.element_handle(), before], timeout=timeout * 1000)


def _switch(page: Any, root: Any, hist: Any, *, kind: str | None = None,
            layer: str | None = None) -> None:
    """Pick a kind / layer and check that the heatmap's pixels change."""
    before = harness.canvas_signature(hist)
    if kind is not None:
        root.locator("select.dlw-monitor-hist-kind").select_option(kind)
    if layer is not None:
        root.locator("select.dlw-monitor-hist-layer").select_option(layer)
    page.wait_for_timeout(300)
    assert harness.canvas_signature(hist) != before, f"heatmap unchanged for {kind or layer}"


def test_inspect_box_and_histograms_in_jupyterlab(page: Any, console: harness.ConsoleLog,
                                                  jupyter: harness.Server) -> None:
    nb = harness.write_notebook(jupyter.root, "training_monitor_histograms_lab.ipynb", CELLS)
    harness.open_in_lab(page, jupyter, nb)
    with harness.stopping_training(page):
        root = page.locator(WIDGET).first
        root.wait_for()
        box = root.locator("input.dlw-monitor-inspect")
        page.wait_for_function("(el) => !el.disabled", arg=box.element_handle(), timeout=90_000)
        assert not box.is_checked() and not root.locator(".dlw-monitor-layers").is_visible()
        assert harness.kernel_value(page, "h.inspecting") is False
        box.check()
        harness.wait_kernel_value(page, "h.inspecting", True)
        layers = root.locator(".dlw-monitor-layers")
        layers.wait_for(state="visible", timeout=90_000)
        hist = root.locator("canvas.dlw-monitor-hist")
        hist.wait_for(state="visible", timeout=90_000)
        page.wait_for_function(
            "(el) => /recorded step/.test(el.textContent)",
            arg=root.locator(".dlw-monitor-hist-note").element_handle(), timeout=90_000)
        assert harness.canvas_ink(hist) > 0.05
        # the heatmap grows while training
        _signature_changes(page, hist, harness.canvas_signature(hist))
        _switch(page, root, hist, kind="grad")
        _switch(page, root, hist, layer="2")
        _switch(page, root, hist, kind="activation")
        assert root.locator("select.dlw-monitor-hist-layer").input_value() == "1"
        _switch(page, root, hist, layer="3")
        assert box.is_checked()
        panel = root.locator(".dlw-monitor-hist-panel")
        panel.scroll_into_view_if_needed()
        harness.screenshot(panel, "training_monitor_histograms_lab")
        options = box.locator("xpath=ancestor::div[contains(@class, 'dlw-toolbar')][1]")
        options.scroll_into_view_if_needed()
        harness.screenshot(options, "training_monitor_inspect_lab")
        # unticked: the kernel stops recording, and the model has no hook left
        box.uncheck()
        harness.wait_kernel_value(page, "h.inspecting", False)
        assert harness.kernel_value(page, "any(m._forward_hooks for m in net.modules())") is False
        harness.assert_no_console_errors(console)


def test_histograms_exported(offline_page: tuple[Any, harness.ConsoleLog],
                             tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Sigmoid(),
                                torch.nn.Linear(32, 10))
    monitor = dlwidgets.TrainingMonitor("digits, histograms")
    history = dlwidgets.fit(model, "digits", epochs=2, monitor=monitor, block=True, inspect=True,
                            inspect_every=3, inspect_histograms=True)
    path = dlwidgets.export_html(monitor, tmp_path / "histograms.html", title="Histograms")
    open_export(page, path)
    root = page.locator(WIDGET)
    hist = root.locator("canvas.dlw-monitor-hist")
    assert hist.is_visible() and harness.canvas_ink(hist) > 0.05
    # labels: the selectors offer the kinds and the layers, the note counts the recorded steps
    kinds = root.locator("select.dlw-monitor-hist-kind option").all_text_contents()
    assert kinds == ["weights", "gradients", "activations"]
    assert root.locator("select.dlw-monitor-hist-layer option").all_text_contents() == ["0", "2"]
    steps = len(history.histograms("0", kind="weight")[0])
    note = root.locator(".dlw-monitor-hist-note").text_content() or ""
    assert f"{steps} recorded steps" in note
    _switch(page, root, hist, layer="2")
    _switch(page, root, hist, kind="grad")
    _switch(page, root, hist, kind="activation")
    assert root.locator("select.dlw-monitor-hist-layer option").all_text_contents() == ["1"]
    # no kernel: the box shows the run's state but cannot be changed
    box = root.locator("input.dlw-monitor-inspect")
    assert box.is_disabled() and box.is_checked()
    root.locator(".dlw-monitor-hist-panel").scroll_into_view_if_needed()
    harness.screenshot(root.locator(".dlw-monitor-hist-panel"), "training_monitor_histograms_export")
    harness.assert_no_console_errors(console)
