"""The Playground drawn and driven for real. In JupyterLab: the regions, the diagram and the
curves are drawn; the grid the browser evaluates from the streamed weights equals the kernel's
``.boundary()`` within 1e-5 (before and after training); training changes the regions; hovering
a unit enlarges its map; a click on the plane adds a point in Python; a control (an activation)
reaches Python. In Voilà it draws and trains. An exported page (no kernel, offline) replays the
recorded run: frames differ, the last one equals the model."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest

from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='playground']"
HOOK = f"document.querySelector(\"{WIDGET}\").dlwPlayground"
# the plane's plot rectangle in the regions canvas (js/src/playground/regions.ts PLOT)
PLOT = {"left": 38.0, "top": 8.0, "size": 340.0}

CELLS = [
    "import dlwidgets\n"
    "w = dlwidgets.Playground(data='xor', hidden=[6, 6], activation='tanh', "
    "lr=0.03, batch_size=10, noise=0.1, train_fraction=0.5)\nw",
]


def _browser_grid(page: Any) -> tuple[np.ndarray, int, str]:
    grid = page.evaluate(f"() => {HOOK}.grid()")
    side = page.evaluate(f"() => {HOOK}.side()")
    source = page.evaluate(f"() => {HOOK}.source()")
    return np.array(grid, dtype=np.float64).reshape(side, side), side, source


def _same_step(page: Any) -> int:
    """Wait until the view shows the weights of the kernel's current step; return that step."""
    step = -1
    for _ in range(80):
        step = harness.kernel_value(page, "w.step")
        if page.evaluate(f"() => {HOOK}.step()") == step:
            return int(step)
        page.wait_for_timeout(250)
    raise AssertionError(f"the view never showed step {step}")


def _check_grid_equals_kernel(page: Any) -> None:
    _same_step(page)
    grid, side, source = _browser_grid(page)
    assert source == "browser" and side == 100
    ref = np.array(harness.kernel_value(page, "w.boundary(100).tolist()"))
    np.testing.assert_allclose(grid, ref, atol=1e-5, rtol=0)
    assert ref.max() - ref.min() > 1e-3, "a constant boundary proves nothing"


def _plane_point(root: Any, x: float, y: float, bounds: list[float]) -> tuple[float, float]:
    canvas = root.locator("canvas.dlw-pg-regions")
    box = canvas.bounding_box()
    assert box is not None
    xmin, xmax, ymin, ymax = bounds
    px = PLOT["left"] + (x - xmin) / (xmax - xmin) * PLOT["size"]
    py = PLOT["top"] + (ymax - y) / (ymax - ymin) * PLOT["size"]
    return box["x"] + px, box["y"] + py


def _frames(page: Any) -> int:
    return int(page.evaluate(f"() => {HOOK}.framesDrawn()"))


def _check_drawn(root: Any) -> None:
    regions = root.locator("canvas.dlw-pg-regions")
    regions.wait_for()
    assert harness.canvas_ink(regions) > 0.3, "the decision regions are not drawn"
    assert harness.canvas_ink(root.locator("canvas.dlw-pg-network")) > 0.05, "no network diagram"
    assert harness.canvas_ink(root.locator("canvas.dlw-pg-curves")) > 0.01, "no loss chart"


def _hover_unit(page: Any, root: Any) -> None:
    """Hovering a hidden unit shows its map enlarged."""
    nodes = page.evaluate(f"() => {HOOK}.nodes()")
    unit = next(n for n in nodes if n["layer"] == 1 and n["unit"] == 2)
    box = root.locator("canvas.dlw-pg-network").bounding_box()
    assert box is not None
    zoom = root.locator(".dlw-pg-zoom")
    assert not zoom.is_visible()
    page.mouse.move(box["x"] + unit["x"] + unit["size"] / 2, box["y"] + unit["y"] + unit["size"] / 2)
    zoom.wait_for(state="visible")
    assert harness.canvas_ink(root.locator("canvas.dlw-pg-zoom-canvas")) > 0.5
    assert "layer 1 unit 3" in (zoom.text_content() or "")
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    zoom.wait_for(state="hidden")


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_playground_in_jupyterlab(page: Any, console: harness.ConsoleLog,
                                  jupyter: harness.Server, frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"playground_{frontend}.ipynb", CELLS)
    harness.open_in(frontend)(page, jupyter, nb)
    root = page.locator(WIDGET)
    root.wait_for()
    _check_drawn(root)
    # the browser's grid, evaluated from the streamed weights, is torch's boundary
    _check_grid_equals_kernel(page)
    # training: the regions change frame after frame
    regions = root.locator("canvas.dlw-pg-regions")
    before = harness.canvas_signature(regions)
    frames = _frames(page)
    root.locator(".dlw-pg-play").click()
    page.wait_for_function(f"(n) => {HOOK}.framesDrawn() >= n + 5", arg=frames, timeout=60_000)
    harness.wait_kernel_value(page, "w.status", "running")
    root.locator(".dlw-pg-play").click()  # pause
    harness.wait_kernel_value(page, "w.status", "paused")
    assert harness.kernel_value(page, "w.step") > 0
    assert harness.canvas_signature(regions) != before, "training did not change the regions"
    _check_grid_equals_kernel(page)
    _hover_unit(page, root)
    # a click on the plane adds a training point of the selected class in Python
    n = harness.kernel_value(page, "len(w.points)")
    bounds = harness.kernel_value(page, "list(w.grid_bounds)")
    page.mouse.click(*_plane_point(root, 2.5, -3.0, bounds))
    harness.wait_kernel_value(page, "len(w.points)", n + 1)
    last = harness.kernel_value(page, "w.points[-1].tolist()")
    assert abs(last[0] - 2.5) < 0.1 and abs(last[1] + 3.0) < 0.1, last
    assert harness.kernel_value(page, "int(w.is_test[-1])") == 0
    # erase mode: a click removes the points near it (radius 6 % of the width: 0.72 here), the
    # one just added among them; the radius is checked a pixel's width inside its edge
    root.locator(".dlw-pg-erase").click()
    page.mouse.click(*_plane_point(root, 2.5, -3.0, bounds))
    harness.wait_kernel_value(page, "len(w.points) <= " + str(n), True)
    left = harness.kernel_value(page, "int((((w.points - [2.5, -3.0]) ** 2).sum(1) < 0.68 ** 2).sum())")
    assert left == 0, f"{left} points left inside the erased circle"
    root.locator(".dlw-pg-erase").click()  # back to adding points
    # a control reaches Python: the first hidden layer's activation
    root.locator("select.dlw-pg-activation-0").select_option("relu")
    harness.wait_kernel_value(page, "w.controls['activations']", ["relu", "tanh"])
    page.wait_for_function(f"() => document.querySelector(\"{WIDGET}\")"
                           ".querySelector('.dlw-pg-activation-0').value === 'relu'")
    _check_grid_equals_kernel(page)  # the rebuilt network, evaluated in the browser
    assert harness.kernel_value(page, "w.error") == ""
    # a typed value applies on Enter (JupyterLab would otherwise take the key)
    lr = root.locator("input.dlw-pg-lr")
    lr.click()
    lr.fill("0.1")
    lr.press("Enter")
    harness.wait_kernel_value(page, "w.controls['lr']", 0.1)
    # train the rebuilt network a little for the picture
    frames = _frames(page)
    root.locator(".dlw-pg-play").click()
    page.wait_for_function(f"(n) => {HOOK}.framesDrawn() >= n + 20", arg=frames, timeout=60_000)
    root.locator(".dlw-pg-play").click()
    harness.wait_kernel_value(page, "w.status", "paused")
    page.mouse.move(0, 0)
    page.add_style_tag(content=".Toastify { display: none !important; }")
    harness.screenshot(root, f"playground{harness.frontend_suffix(frontend)}", docs=frontend == "lab")
    harness.assert_no_console_errors(console)


OWN_MODEL = ("import torch\nfrom torch import nn\ntorch.manual_seed(0)\n"
             "mine = dlwidgets.Playground(data='moons', model=nn.Sequential(nn.Linear(2, 5), "
             "nn.ReLU(), nn.Linear(5, 1)))\nmine")


def test_playground_in_voila(page: Any, console: harness.ConsoleLog, voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "playground_voila.ipynb", [*CELLS, OWN_MODEL])
    harness.open_in_voila(page, voila, nb)
    page.locator(WIDGET).nth(1).wait_for()
    # the user's own model: controls that would rebuild it are disabled, with the reason shown
    mine = page.locator(WIDGET).nth(1)
    hint = mine.locator(".dlw-pg-hint").text_content() or ""
    assert "nn.Module" in hint
    act = mine.locator("select.dlw-pg-activation-0")
    assert act.is_disabled() and act.get_attribute("title") == hint
    assert mine.locator("input.dlw-pg-feature").first.is_disabled()
    assert mine.locator("select.dlw-pg-optimizer").is_enabled()
    root = page.locator(WIDGET).first
    root.wait_for()
    _check_drawn(root)
    regions = root.locator("canvas.dlw-pg-regions")
    before = harness.canvas_signature(regions)
    frames = _frames(page)
    root.locator(".dlw-pg-play").click()
    page.wait_for_function(f"(n) => {HOOK}.framesDrawn() >= n + 5", arg=frames, timeout=60_000)
    root.locator(".dlw-pg-play").click()
    page.wait_for_function(f"() => document.querySelector(\"{WIDGET}\")"
                           ".querySelector('.dlw-pg-status').textContent === 'paused'")
    assert harness.canvas_signature(regions) != before
    harness.assert_no_console_errors(console)


def test_playground_exported_page_replays_offline(
        offline_page: tuple[Any, harness.ConsoleLog], tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    w = dlwidgets.Playground(data="spiral", hidden=[8, 8], activation="tanh",
                             features=("x1", "x2", "sin_x1", "sin_x2"), lr=0.03, noise=0.1)
    w.train(epochs=40)
    path = dlwidgets.export_html(w, tmp_path / "playground.html", title="Playground")
    open_export(page, path)
    root = page.locator(WIDGET)
    root.wait_for()
    _check_drawn(root)
    # kernel controls are disabled and say why
    play = root.locator(".dlw-pg-play")
    assert play.is_disabled() and "kernel" in (play.get_attribute("title") or "")
    # the replay starts at the last frame: the trained model
    grid, side, source = _browser_grid(page)
    assert source == "browser" and side == 100
    np.testing.assert_allclose(grid, w.boundary(100), atol=1e-5, rtol=0)
    regions = root.locator("canvas.dlw-pg-regions")
    thumbs = root.locator("canvas.dlw-pg-network")
    last = harness.canvas_signature(regions)
    last_thumbs = harness.canvas_signature(thumbs)
    root.locator(".dlw-scrub").fill("0")
    page.wait_for_function("(el) => el.textContent.includes('replay 1 /')",
                           arg=root.locator(".dlw-frame-label").element_handle())
    first = harness.canvas_signature(regions)
    assert first != last, "the first replay frame draws the same regions as the last"
    assert harness.canvas_signature(thumbs) != last_thumbs, "the unit maps did not change"
    # playing the replay moves through frames
    root.locator(".dlw-pg-replay .dlw-play").click()
    page.wait_for_function("(el) => !el.textContent.includes('replay 1 /')",
                           arg=root.locator(".dlw-frame-label").element_handle())
    page.wait_for_timeout(300)
    assert harness.canvas_signature(regions) not in (first,)
    # display toggles work without a kernel
    sig = harness.canvas_signature(regions)
    root.locator(".dlw-pg-replay .dlw-play").click()  # pause if still playing
    root.locator("input.dlw-pg-discretize").check()
    page.wait_for_timeout(200)
    assert harness.canvas_signature(regions) != sig
    _hover_unit(page, root)
    scrub = root.locator(".dlw-scrub")
    scrub.fill(scrub.get_attribute("max") or "0")  # the last frame: the trained weights
    _hover_edge(page, root, float(w.weights[0]))
    harness.assert_no_console_errors(console)


def _hover_edge(page: Any, root: Any, weight: float) -> None:
    """Hovering the edge x1 → layer 1 unit 1 reads its weight (the first Linear's w[0, 0])."""
    nodes = page.evaluate(f"() => {HOOK}.nodes()")
    a = next(n for n in nodes if n["layer"] == 0 and n["unit"] == 0)
    b = next(n for n in nodes if n["layer"] == 1 and n["unit"] == 0)
    x0, y0 = a["x"] + a["size"], a["y"] + a["size"] / 2
    x1, y1 = b["x"], b["y"] + b["size"] / 2
    t = 0.75  # on the drawn cubic (control points at the middle x), where edges have parted
    bx = (1 - t) ** 3 * x0 + 3 * (1 - t) * t * (x0 + x1) / 2 + t ** 3 * x1
    by = ((1 - t) ** 3 + 3 * (1 - t) ** 2 * t) * y0 + (3 * (1 - t) * t ** 2 + t ** 3) * y1
    box = root.locator("canvas.dlw-pg-network").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + bx, box["y"] + by)
    tip = root.locator(".dlw-tooltip")
    tip.wait_for(state="visible")
    text = tip.text_content() or ""
    assert "x₁ → layer 1 unit 1" in text, text
    shown = float(text.split("w = ")[1].split("x")[0].replace("−", "-"))
    assert abs(shown - weight) <= 5e-4 * max(1.0, abs(weight)), (shown, weight)


def test_playground_dark_theme_and_screenshots(
        offline_page: tuple[Any, harness.ConsoleLog], tmp_path: pathlib.Path) -> None:
    import dlwidgets

    page, console = offline_page
    w = dlwidgets.Playground(data="gauss", hidden=[6, 4], activation="relu",
                             noise=0.2)
    w.train(epochs=15)
    open_export(page, dlwidgets.export_html(w, tmp_path / "playground_dark.html"))
    root = page.locator(WIDGET)
    root.wait_for()
    regions = root.locator("canvas.dlw-pg-regions")
    assert page.evaluate(harness.CANVAS_BACKGROUND_JS, regions.element_handle()) > 0.9
    harness.screenshot(root, "playground_light")
    page.evaluate("() => document.body.setAttribute('data-jp-theme-light', 'false')")
    page.wait_for_function(f"""(c) => ({harness.CANVAS_BACKGROUND_JS})(c) < 0.05""",
                           arg=regions.element_handle())
    for name in ("canvas.dlw-pg-network", "canvas.dlw-pg-curves"):
        assert page.evaluate(harness.CANVAS_BACKGROUND_JS,
                             root.locator(name).element_handle()) < 0.05, name
    harness.screenshot(root, "playground_dark")
    harness.assert_no_console_errors(console)


def test_playground_multiclass_and_regression_on_exported_pages(
        offline_page: tuple[Any, harness.ConsoleLog], tmp_path: pathlib.Path) -> None:
    """Softmax regions coloured by class (three clusters given as (X, y)) and a regression
    colour field: drawn, and the browser's grid equals ``.boundary()`` (C channels for C > 2)."""
    import dlwidgets

    page, console = offline_page
    rng = np.random.default_rng(0)
    centres = np.array([[-3.0, -2.0], [3.0, -2.0], [0.0, 3.0]])
    y = np.repeat(np.arange(3), 60)
    x = (centres[y] + rng.normal(0, 0.9, (180, 2))).astype(np.float32)
    multi = dlwidgets.Playground(data=(x, y), hidden=[6], activation="relu")
    multi.train(epochs=10)
    reg = dlwidgets.Playground(data="reg_plane", hidden=[5], activation="tanh")
    reg.train(epochs=5)
    for name, w, channels in (("multi", multi, 3), ("reg", reg, 1)):
        assert w.task == ("multiclass" if channels == 3 else "regression")
        open_export(page, dlwidgets.export_html(w, tmp_path / f"playground_{name}.html"))
        root = page.locator(WIDGET)
        root.wait_for()
        _check_drawn(root)
        grid = np.array(page.evaluate(f"() => {HOOK}.grid()"))
        ref = w.boundary(100)
        assert ref.shape == ((100, 100, 3) if channels == 3 else (100, 100))
        np.testing.assert_allclose(grid.reshape(ref.shape), ref, atol=1e-5, rtol=0)
        harness.screenshot(root, f"playground_{name}", docs=False)
    harness.assert_no_console_errors(console)


def test_playground_fallback_grids_on_an_exported_page(
        offline_page: tuple[Any, harness.ConsoleLog], tmp_path: pathlib.Path) -> None:
    """A model the browser cannot run (residual blocks) is drawn from Python's quantised grids:
    the decoded grid equals ``.boundary(50)`` within one quantisation step, the unit maps show,
    and the replay steps through the recorded grids."""
    import dlwidgets

    page, console = offline_page
    w = dlwidgets.Playground(data="circles", hidden=[6, 6], activation="tanh", residual=True,
                             noise=0.1)
    w.train(epochs=12)
    assert not w.network["browser"]
    open_export(page, dlwidgets.export_html(w, tmp_path / "playground_residual.html"))
    root = page.locator(WIDGET)
    root.wait_for()
    _check_drawn(root)
    grid, side, source = _browser_grid(page)
    assert source == "grid" and side == 50
    lo, hi = w.grid_range
    np.testing.assert_allclose(grid, w.boundary(50), atol=(hi - lo) / 255 + 1e-6, rtol=0)
    _hover_unit(page, root)  # the last frame shows the unit maps Python sent
    regions = root.locator("canvas.dlw-pg-regions")
    last = harness.canvas_signature(regions)
    root.locator(".dlw-scrub").fill("0")
    page.wait_for_function("(el) => el.textContent.includes('replay 1 /')",
                           arg=root.locator(".dlw-frame-label").element_handle())
    assert harness.canvas_signature(regions) != last, "the first recorded grid looks like the last"
    harness.assert_no_console_errors(console)
