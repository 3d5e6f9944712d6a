"""The optimizer race drawn and driven for real: in JupyterLab (playing moves the trails, a click
on the surface sets the start in Python, a learning-rate slider re-runs that optimizer in the
kernel, the explainer shows torch's numbers), in Voilà, and in an exported page with no kernel
(playback and scrub work, Python-only controls are disabled with a hint). The exported page
also measures playback frames per second with requestAnimationFrame (reported, not asserted;
the benchmark figure comes from benchmarks/bench_optimizer_race.py --browser)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='optimizer-race']"

# plot rectangle inside the 520 x 500 surface canvas (js/src/optimizer_race/state.ts SURF)
PLOT = {"left": 50.0, "top": 10.0, "width": 458.0, "height": 456.0}

CELLS = [
    "%load_ext dlwidgets\nimport dlwidgets\n"
    "race = dlwidgets.OptimizerRace('rosenbrock', ['sgd', 'momentum', 'adam'], steps=120)\nrace",
]

def _surface_point(root: Any, x: float, y: float, domain: list[float]) -> tuple[float, float]:
    canvas = root.locator("canvas.dlw-race-surface-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x0, x1, y0, y1 = domain
    px = PLOT["left"] + (x - x0) / (x1 - x0) * PLOT["width"]
    py = PLOT["top"] + (y1 - y) / (y1 - y0) * PLOT["height"]
    return box["x"] + px, box["y"] + py




def _frame(root: Any) -> int:
    return int(root.get_attribute("data-frame") or 0)


def _wait_idle(page: Any, root: Any) -> None:
    page.wait_for_function("(el) => !el.classList.contains('dlw-busy')", arg=root.element_handle())


def _check_playback(page: Any, root: Any) -> None:
    """Drawn, and playing / scrubbing moves the trails."""
    canvas = root.locator("canvas.dlw-race-surface-canvas")
    canvas.wait_for()
    assert harness.canvas_ink(canvas) > 0.5, "the surface heatmap is not drawn"
    assert harness.canvas_ink(root.locator("canvas.dlw-race-chart")) > 0.01, "no loss chart"
    assert root.locator(".dlw-race-name").count() >= 3
    start_sig = harness.canvas_signature(canvas)
    root.locator(".dlw-play").click()
    page.wait_for_function("(el) => Number(el.dataset.frame) > 20", arg=root.element_handle())
    root.locator(".dlw-play").click()  # pause
    assert harness.canvas_signature(canvas) != start_sig, "playing did not move the trails"
    root.locator(".dlw-scrub").fill("5")
    page.wait_for_function("(el) => el.dataset.frame === '5'", arg=root.element_handle())
    sig5 = harness.canvas_signature(canvas)
    root.locator(".dlw-step").click()
    assert _frame(root) == 6 and harness.canvas_signature(canvas) != sig5
    assert "step 6" in (root.locator(".dlw-frame-label").text_content() or "")


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_optimizer_race_in_jupyterlab(page: Any, console: harness.ConsoleLog, jupyter: harness.Server,
                                      frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"optimizer_race_lab_{frontend}.ipynb", CELLS)
    harness.open_in(frontend)(page, jupyter, nb)
    root = page.locator(WIDGET)
    root.wait_for()
    _check_playback(page, root)

    # a click on the surface sets the start point in Python and re-runs the race from there
    domain = harness.kernel_value(page, "race.domain")
    canvas = root.locator("canvas.dlw-race-surface-canvas")
    before = harness.canvas_signature(canvas)
    revision = harness.kernel_value(page, "race.revision")
    page.mouse.click(*_surface_point(root, 1.0, 2.0, domain))
    page.wait_for_timeout(300)
    _wait_idle(page, root)
    start = harness.kernel_value(page, "race.start")
    assert abs(start[0] - 1.0) < 0.02 and abs(start[1] - 2.0) < 0.02, start
    assert harness.kernel_value(page, "race.revision") > revision
    first = harness.kernel_value(page, "race.trajectories['adam'][0].tolist()")
    assert first == start
    assert harness.canvas_signature(canvas) != before, "the new race was not drawn"

    # the adam learning-rate slider re-runs adam in the kernel (torch.optim.Adam, new lr)
    lr_before = harness.kernel_value(page, "race.hyper['adam']['lr']")
    slider = root.locator(".dlw-race-panel[data-optimizer='adam'] .dlw-race-hyper-lr")
    assert slider.is_enabled()
    slider.fill("900")
    page.wait_for_timeout(300)
    _wait_idle(page, root)
    lr_after = harness.kernel_value(page, "race.hyper['adam']['lr']")
    assert lr_after != lr_before and lr_after > lr_before
    assert harness.kernel_value(page, "race.error") == ""

    # the explainer shows the gradient torch used at the current step, read from Python
    root.locator("input.dlw-race-explainer").check()
    root.locator(".dlw-scrub").fill("3")
    page.wait_for_function("(el) => el.dataset.frame === '3'", arg=root.element_handle())
    assert harness.kernel_value(page, "race.explainer") is True
    text = root.locator(".dlw-race-explain").text_content() or ""
    assert "first moment m [exp_avg]" in text and "second moment v [exp_avg_sq]" in text
    g = harness.kernel_value(page, "race.result.grads[race.result.index('adam'), 3].tolist()")
    shown = f"{g[0]:.5g}".replace("-", "−")
    assert shown[:6] in text, (shown, text)
    harness.screenshot(root, f"optimizer_race_lab{harness.frontend_suffix(frontend)}", docs=frontend == "lab")
    harness.assert_no_console_errors(console)


def test_optimizer_race_in_voila(page: Any, console: harness.ConsoleLog,
                                 voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "optimizer_race_voila.ipynb", CELLS)
    harness.open_in_voila(page, voila, nb)
    root = page.locator(WIDGET)
    root.wait_for()
    _check_playback(page, root)
    harness.assert_no_console_errors(console)


def test_optimizer_race_exported(offline_page: tuple[Any, harness.ConsoleLog],
                                 tmp_path: pathlib.Path) -> None:
    import dlwidgets
    from dlwidgets.engine.race import DEFAULT_RACE

    page, console = offline_page
    race = dlwidgets.OptimizerRace("rosenbrock", list(DEFAULT_RACE), steps=500, resolution=256)
    # without precomputed states (test_offline_sliders_browser.py tests those): the hint path
    path = dlwidgets.export_html(race, tmp_path / "race.html", title="Race", precompute=False)
    open_export(page, path)
    root = page.locator(WIDGET)
    root.wait_for()
    _check_playback(page, root)
    # controls that need Python are disabled and say why; viewing stays interactive
    slider = root.locator(".dlw-race-hyper-lr").first
    assert slider.is_disabled() and "kernel" in (slider.get_attribute("title") or "")
    assert root.locator("select.dlw-race-surface").is_disabled()
    page.mouse.click(*_surface_point(root, 0.0, 0.0, race.domain))
    assert "kernel" in (root.locator(".dlw-race-hover").text_content() or "")
    root.locator("input.dlw-race-log").uncheck()  # front-end only: works without a kernel
    root.locator("input.dlw-race-explainer").check()
    assert "g = (" in (root.locator(".dlw-race-explain").text_content() or "")
    root.locator("input.dlw-race-explainer").uncheck()
    # frames per second of playback: 8 trails over a 256 x 256 heatmap (reported only)
    root.locator(".dlw-race-speed").select_option("2")
    root.locator(".dlw-scrub").fill("0")
    stats = harness.measure_playback(page, root, 2.0)
    assert stats["draws_per_s"] > 0, "playback drew nothing"
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (harness.ARTIFACTS / "optimizer_race_fps.json").write_text(json.dumps(stats))
    print(f"optimizer race playback: {stats}")
    harness.screenshot(root, "optimizer_race_export")
    harness.assert_no_console_errors(console)
