"""The training monitor in a real browser: in JupyterLab it updates while the model trains in the
kernel's worker thread, Pause holds it and Resume continues, Stop stops the training in Python
(the notebook stays responsive because fit returned at once), the cell's own prints stay, a
diverging run is marked, and re-running a training cell stops its previous training; in Voilà its Stop works too; an exported page with no kernel draws the
finished run, hovers and rescales, with the buttons disabled and a hint."""

from __future__ import annotations

import pathlib
import re
import time
from typing import Any

import pytest
import torch

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='training-monitor']"

LONG_TRAINING = (
    "net = dlwidgets.build('input 64 -> dense 64 relu -> dense 10', seed=0)\n"
    "print('before fit')\n"
    "h = dlwidgets.fit(net, 'digits', epochs=3000, batch_size=16, lr=1e-3)\n"
    "print('fit returned')"
)
CELLS = [
    "%load_ext dlwidgets\nimport torch\nimport dlwidgets",
    LONG_TRAINING,
    "g = torch.Generator().manual_seed(0)\nx = torch.randn(256, 8, generator=g)\n"
    "wild = dlwidgets.build('input 8 -> dense 32 relu -> dense 1', seed=0)\n"
    "bad = dlwidgets.fit(wild, (x, x.sum(1, keepdim=True)), optimizer='sgd', lr=1.0, epochs=5,"
    " block=True)",
]




def _run_cell(page: Any, index: int) -> None:
    """Run one cell of the open notebook and wait until the kernel is idle again."""
    page.evaluate(
        """async (i) => {
          const app = window.jupyterapp;
          const panel = app.shell.currentWidget;
          panel.content.activeCellIndex = i;
          await app.commands.execute('notebook:run-cell');
        }""", index)
    page.wait_for_function(
        """() => { const k = window.jupyterapp.shell.currentWidget.context.sessionContext
                     .session.kernel; return k && k.status === 'idle'; }""",
        timeout=60_000, polling=100)


def _step(root: Any) -> int:
    text = root.locator(".dlw-monitor-progress-text").text_content() or ""
    match = re.search(r"step (\d+)", text)
    return int(match.group(1)) if match else 0


def _wait_status(page: Any, root: Any, status: str, timeout: float = 60) -> None:
    page.wait_for_function("([el, s]) => el.dataset.status === s",
                           arg=[root.locator(".dlw-monitor-status").element_handle(), status],
                           timeout=timeout * 1000)


def _wait_steps_beyond(page: Any, root: Any, step: int, timeout: float = 60) -> None:
    page.wait_for_function(
        """([el, n]) => { const m = /step (\\d+)/.exec(el.textContent); return m && +m[1] > n; }""",
        arg=[root.locator(".dlw-monitor-progress-text").element_handle(), step],
        timeout=timeout * 1000)


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_training_monitor_in_jupyterlab(page: Any, console: harness.ConsoleLog, jupyter: harness.Server,
                                        frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"training_monitor_lab_{frontend}.ipynb", CELLS)
    harness.open_in(frontend)(page, jupyter, nb)
    with harness.stopping_training(page):
        monitors = page.locator(WIDGET)
        monitors.first.wait_for()
        root = monitors.first
        loss = root.locator("canvas.dlw-monitor-loss")
        # the monitor updates while the model trains (fit returned, the kernel is idle)
        _wait_status(page, root, "running")
        first = _step(root)
        _wait_steps_beyond(page, root, first + 20)
        sig = harness.canvas_signature(loss)
        _wait_steps_beyond(page, root, _step(root) + 20)
        assert harness.canvas_signature(loss) != sig, "the loss chart did not change while training"
        assert harness.canvas_ink(loss) > 0.01
        assert "training" in (root.locator(".dlw-monitor-status").text_content() or "")
        assert "ETA" in (root.locator(".dlw-monitor-progress-text").text_content() or "")
        # the rest of the cell's output is kept around the monitor
        cell = page.locator(".jp-Cell").nth(1)
        text = cell.locator(".jp-OutputArea").text_content() or ""
        assert "before fit" in text and "fit returned" in text

        # Pause holds training between steps (in Python too); Resume continues
        root.locator("button.dlw-monitor-pause").click()
        _wait_status(page, root, "paused")
        assert harness.kernel_value(page, "h.status") == "paused"
        held = harness.kernel_value(page, "h.step_count")
        page.wait_for_timeout(600)
        assert harness.kernel_value(page, "h.step_count") == held
        assert "Resume" in (root.locator("button.dlw-monitor-pause").text_content() or "")
        root.locator("button.dlw-monitor-pause").click()
        _wait_status(page, root, "running")
        _wait_steps_beyond(page, root, held + 5)

        # Stop stops the training in the kernel, at a finished step, keeping the history
        harness.screenshot(root, f"training_monitor_lab_running{harness.frontend_suffix(frontend)}", docs=frontend == "lab")
        root.locator("button.dlw-monitor-stop").click()
        _wait_status(page, root, "stopped")
        assert harness.kernel_value(page, "h.stop_reason") == "stopped"
        assert harness.kernel_value(page, "h.running") is False
        steps = harness.kernel_value(page, "h.step_count")
        assert harness.kernel_value(page, "int(h.monitor.steps['loss'].shape[0])") == steps
        page.wait_for_timeout(300)
        assert _step(root) == steps, "the monitor does not show the last step Python took"
        assert root.locator("button.dlw-monitor-stop").is_disabled()
        assert "stopped by request" in (root.locator(".dlw-monitor-message").text_content() or "")

        # the diverging run is marked, with its message
        bad = monitors.nth(1)
        bad.wait_for()
        _wait_status(page, bad, "diverged")
        message = bad.locator(".dlw-monitor-message").text_content() or ""
        assert "diverged at step" in message and "Lower the learning rate" in message
        assert harness.canvas_ink(bad.locator("canvas.dlw-monitor-loss")) > 0.005
        # hovering the chart reads a step's numbers
        bad.locator("canvas.dlw-monitor-loss").scroll_into_view_if_needed()
        box = bad.locator("canvas.dlw-monitor-loss").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 54 + 10, box["y"] + box["height"] / 2)
        page.wait_for_function("(el) => el.textContent.startsWith('step ')",
                               arg=bad.locator(".dlw-monitor-hover").element_handle())
        harness.screenshot(bad, f"training_monitor_lab_diverged{harness.frontend_suffix(frontend)}", docs=frontend == "lab")

        # re-running the training cell while its training runs stops the old one cleanly,
        # even though the cell builds a new model (the registry knows the cell's id)
        _run_cell(page, 1)
        assert harness.kernel_value(page, "h.running") is True
        harness.kernel_value(page, "globals().__setitem__('h_old', h) or True")
        _run_cell(page, 1)
        assert harness.kernel_value(page, "h_old.stop_reason") == "replaced"
        assert harness.kernel_value(page, "h_old.running") is False
        assert harness.kernel_value(page, "h.running and h is not h_old") is True
        harness.assert_no_console_errors(console)


def test_training_monitor_stop_in_voila(page: Any, console: harness.ConsoleLog,
                                        voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "training_monitor_voila.ipynb",
                                [CELLS[0], LONG_TRAINING.replace("3000", "300")])
    harness.open_in_voila(page, voila, nb)
    root = page.locator(WIDGET).first
    _wait_status(page, root, "running", timeout=120)
    first = _step(root)
    _wait_steps_beyond(page, root, first + 10)
    assert harness.canvas_ink(root.locator("canvas.dlw-monitor-loss")) > 0.01
    root.locator("button.dlw-monitor-stop").click()
    root.locator("button.dlw-monitor-stop").click(force=True)  # twice: harmless
    _wait_status(page, root, "stopped")
    stopped_at = _step(root)
    page.wait_for_timeout(800)
    assert _step(root) == stopped_at, "training went on after Stop"
    harness.assert_no_console_errors(console)


def test_training_monitor_exported(offline_page: tuple[Any, harness.ConsoleLog],
                                   tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    monitor = dlwidgets.TrainingMonitor("moons, exported")
    history = dlwidgets.fit(model, "moons", epochs=6, monitor=monitor, block=True)
    path = dlwidgets.export_html(monitor, tmp_path / "training.html", title="Training")
    open_export(page, path)
    root = page.locator(WIDGET)
    loss = root.locator("canvas.dlw-monitor-loss")
    assert harness.canvas_ink(loss) > 0.01
    assert harness.canvas_ink(root.locator("canvas.dlw-monitor-metric")) > 0.01
    assert f"step {history.step_count}/{history.step_count}" in (
        root.locator(".dlw-monitor-progress-text").text_content() or "")
    for button in ("button.dlw-monitor-stop", "button.dlw-monitor-pause"):
        assert root.locator(button).is_disabled()
        assert "kernel" in (root.locator(button).get_attribute("title") or "")
    before = harness.canvas_signature(loss)
    root.locator("input.dlw-monitor-log").check()
    deadline = time.monotonic() + 10
    while harness.canvas_signature(loss) == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert harness.canvas_signature(loss) != before, "log scale did not redraw the loss chart"
    loss.scroll_into_view_if_needed()
    box = loss.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 20, box["y"] + box["height"] / 2)
    hover = root.locator(".dlw-monitor-hover").text_content() or ""
    assert hover.startswith("step ") and "loss" in hover
    harness.assert_no_console_errors(console)
