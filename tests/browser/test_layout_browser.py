"""Layouts that fit: in a real JupyterLab, every widget fits its output area at output widths of
700, 1000 and 1400 px. The browser window is resized until the output area (the
``.jp-OutputArea-output`` a widget sits in) is that wide; then, for each widget, its root may not
be wider than the output area (``scrollWidth`` ≤ ``clientWidth`` + 1), nothing inside it may
stick out of the output area or scroll sideways, and the output area itself may not scroll.
The same is checked in Notebook 7 and in a Voilà dashboard, at 700 and 1000 px.

The optimizer race keeps its surface and its controls (loss chart, per-optimizer sliders) side by
side wherever both fit: at 1000 and 1400 px they sit next to each other, both in view at once.

To check another widget, add one line to WIDGETS: its ``data-dlw-widget`` name → the code of a
cell that shows it (cells share one kernel; SETUP runs first).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser import harness

SETUP = ("%load_ext dlwidgets\nimport torch\nfrom torch import nn\nimport dlwidgets\n"
         "torch.manual_seed(0)")

# widget (its data-dlw-widget name, with a suffix after '#' when a class shares its front end)
# → the cell that shows it
WIDGETS: dict[str, str] = {
    "activation-explorer": "dlwidgets.ActivationExplorer('gelu')",
    "conv-stepper": "dlwidgets.ConvStepper('digit:3', 'sobel_x', padding=1)",
    "optimizer-race": "dlwidgets.OptimizerRace('rosenbrock', ['sgd', 'momentum', 'adam'], steps=60)",
    "optimizer-race#landscape": (
        "_x = torch.randn(64, 4); _y = _x.sum(1, keepdim=True)\n"
        "dlwidgets.loss_landscape(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)),"
        " (_x, _y), train_steps=10, resolution=11)"),
    "lstm-inspector": "dlwidgets.LSTMInspector(nn.LSTM(3, 8), torch.randn(20, 3), "
                      "tokens=[f'tok{i}' for i in range(20)])",
    "latent-explorer": "dlwidgets.LatentExplorer.demo()",
    "training-monitor": ("dlwidgets.fit(dlwidgets.build('input 64 -> dense 32 relu -> dense 10',"
                         " seed=0), 'digits', epochs=2, batch_size=64, block=True)"),
    "model-summary": ("dlwidgets.summary(dlwidgets.build('input 1x28x28 -> conv 8 3x3 pad=1 relu"
                      " -> maxpool 2 -> flatten -> dense 32 relu -> dense 10', seed=0),"
                      " name='net').widget()"),
    "backprop-stepper": "dlwidgets.BackpropStepper.demo('2-2-1')",
    "expression-stepper": ("dlwidgets.BackpropStepper.expression("
                           "lambda a, b, c: (a * b + c).tanh(), a=2.0, b=-3.0, c=10.0)"),
    "attention-inspector": "dlwidgets.AttentionInspector.demo()",
    "playground": "dlwidgets.Playground(data='spiral', seed=0)",
}

WIDTHS = [700, 1000, 1400]

# widgets that lay their canvases out to the width they have (lib/fit.ts) instead of letting the
# stylesheet show them scaled down: every canvas is shown at the size it was drawn
DRAWN_TO_FIT = {"conv-stepper"}

# canvases shown narrower than drawn (scaled down by the stylesheet's max-width: 100%)
_SCALED_CANVASES = """(root) => Array.from(root.querySelectorAll('canvas'))
  .filter((c) => c.getClientRects().length && parseFloat(c.style.width) > 0)
  .filter((c) => c.getBoundingClientRect().width < parseFloat(c.style.width) - 1)
  .map((c) => `${c.className}: ${Math.round(c.getBoundingClientRect().width)} of ${c.style.width}`)"""

# ---- page-side measurements ------------------------------------------------------------------

# width of the output area that holds the first dlwidgets view
_OUTPUT_WIDTH = """() => {
  const root = document.querySelector('[data-dlw-widget]');
  return root ? root.closest('.jp-OutputArea-output').clientWidth : null;
}"""

# What sticks out: the root wider than its output area, the output area scrolling sideways, an
# element inside whose box passes the output area's left or right edge, or an element inside
# that scrolls sideways. Each problem is described in a line a person can act on.
_OVERFLOW = """(root) => {
  const out = root.closest('.jp-OutputArea-output');
  const box = out.getBoundingClientRect();
  const left = box.left + out.clientLeft - 1;
  const right = box.left + out.clientLeft + out.clientWidth + 1;
  const name = (el) => el.tagName.toLowerCase() + (el.getAttribute('class')
    ? '.' + String(el.getAttribute('class')).trim().split(/\\s+/).join('.') : '');
  const problems = [];
  if (root.scrollWidth > out.clientWidth + 1)
    problems.push(`root scrollWidth ${root.scrollWidth} > output ${out.clientWidth}`);
  if (out.scrollWidth > out.clientWidth + 1)
    problems.push(`output area scrolls: ${out.scrollWidth} > ${out.clientWidth}`);
  for (const el of [root, ...root.querySelectorAll('*')]) {
    if (!el.getClientRects().length || el.closest('.dlw-tooltip')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > right || r.left < left)
      problems.push(`${name(el)} spans ${Math.round(r.left - box.left)}..${Math.round(r.right - box.left)}`
                    + ` in an output area ${out.clientWidth} px wide`);
    const s = getComputedStyle(el);
    if (el !== root && /auto|scroll/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
      problems.push(`${name(el)} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  // text runs past the edge (a line that does not wrap) though its element does not
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    if (!t.textContent.trim() || t.parentElement.closest('style, .dlw-tooltip')) continue;
    range.selectNodeContents(t);
    const r = range.getBoundingClientRect();
    if (r.width > 0 && (r.right > right || r.left < left))
      problems.push(`text "${t.textContent.trim().slice(0, 30)}" in ${name(t.parentElement)} spans`
                    + ` ${Math.round(r.left - box.left)}..${Math.round(r.right - box.left)}`);
  }
  return problems.slice(0, 8);
}"""

_COLLAPSE_SIDEBARS = """() => { const s = window.jupyterapp.shell; s.collapseLeft(); s.collapseRight(); }"""


def _settle(page: Any) -> None:
    """Let resize observers fire and the views redraw (two animation frames, then a pause)."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_timeout(400)


def set_output_width(page: Any, width: int, height: int = 1000) -> int:
    """Resize the window until the output area is ``width`` px wide; returns the width reached.
    The notebook's margins do not change with the window, so two or three tries settle it."""
    viewport = width + 200
    got = 0
    for _ in range(5):
        page.set_viewport_size({"width": viewport, "height": height})
        _settle(page)
        got = int(page.evaluate(_OUTPUT_WIDTH))
        if got == width:
            break
        viewport += width - got
    return got


def overflow_problems(page: Any, root: Any) -> list[str]:
    """Problems of one widget view at the current width (empty when it fits)."""
    root.scroll_into_view_if_needed()
    _settle(page)
    return list(root.evaluate(_OVERFLOW))


def tall_screenshot(page: Any, root: Any, name: str) -> None:
    """A screenshot of a whole widget for the docs: the window is made taller for it (same
    width, so the same layout), since the notebook only draws what is in view."""
    view = page.viewport_size
    page.set_viewport_size({"width": view["width"], "height": 2000})
    try:
        _settle(page)
        root.scroll_into_view_if_needed()
        _settle(page)
        harness.screenshot(root, name, docs=True)
    finally:
        page.set_viewport_size(view)
        _settle(page)


@contextlib.contextmanager
def _all_widgets_page(browser: Any, server: harness.Server, name: str, width: int,
                      open_page: Callable[..., None]) -> Iterator[tuple[Any, harness.ConsoleLog]]:
    """A page of ``width`` px showing every widget of WIDGETS (one notebook ``name`` served by
    ``server``, opened by ``open_page``), with its console log."""
    ctx = browser.new_context(viewport={"width": width, "height": 1000})
    ctx.set_default_timeout(60_000)
    page = ctx.new_page()
    log = harness.ConsoleLog()
    log.attach(page)
    cells = [SETUP] + [f"# {key}\n{code}" for key, code in WIDGETS.items()]
    nb = harness.write_notebook(server.root, name, cells)
    try:
        open_page(page, server, nb, timeout=300)
        yield page, log
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def lab_page(browser: Any, jupyter: harness.Server) -> Iterator[tuple[Any, harness.ConsoleLog]]:
    """One JupyterLab page with every widget of WIDGETS shown, shared by this module's tests."""
    with _all_widgets_page(browser, jupyter, "layout_all_widgets.ipynb", 1400,
                           harness.open_in_lab) as (page, log):
        page.evaluate(_COLLAPSE_SIDEBARS)
        yield page, log


@pytest.fixture(scope="module")
def notebook7_page(browser: Any, jupyter: harness.Server) -> Iterator[tuple[Any, harness.ConsoleLog]]:
    """The same widgets in Notebook 7 (whose notebook column is narrower than the window)."""
    with _all_widgets_page(browser, jupyter, "layout_all_widgets_nb7.ipynb", 1000,
                           harness.open_in_notebook7) as shown:
        yield shown


@pytest.fixture(scope="module")
def voila_page(browser: Any, voila: harness.Server) -> Iterator[tuple[Any, harness.ConsoleLog]]:
    """The same widgets as a Voilà dashboard (its output areas are as wide as the page)."""
    with _all_widgets_page(browser, voila, "layout_all_widgets_voila.ipynb", 1000,
                           harness.open_in_voila) as (page, log):
        page.wait_for_function(
            f"() => document.querySelectorAll('[data-dlw-widget]').length >= {len(WIDGETS)}",
            timeout=300_000)
        yield page, log


def _roots(page: Any) -> dict[str, Any]:
    """WIDGETS name → the locator of its view (the n-th view of a data-dlw-widget name is the
    n-th entry of WIDGETS with that name)."""
    seen: dict[str, int] = {}
    out = {}
    for name in WIDGETS:
        kind = name.split("#")[0]
        index = seen.get(kind, 0)
        seen[kind] = index + 1
        out[name] = page.locator(f"[data-dlw-widget='{kind}']").nth(index)
    return out


@pytest.mark.parametrize("width", WIDTHS)
def test_every_widget_fits_its_output_area(lab_page: tuple[Any, harness.ConsoleLog],
                                           width: int) -> None:
    page, log = lab_page
    reached = set_output_width(page, width)
    assert reached == width, f"could not make the output area {width} px wide (got {reached})"
    failures = {}
    for name, root in _roots(page).items():
        root.wait_for(state="attached")
        problems = overflow_problems(page, root)
        if name in DRAWN_TO_FIT:
            problems += [f"canvas shown scaled down: {c}" for c in root.evaluate(_SCALED_CANVASES)]
        if problems:
            failures[name] = problems
            harness.screenshot(root, f"layout_{width}_{name.replace('#', '_')}", docs=False)
    if width == WIDTHS[0]:  # the docs show the convolution stepper wrapped in a narrow output
        tall_screenshot(page, _roots(page)["conv-stepper"], "layout_narrow_conv_stepper")
    assert not failures, f"at an output width of {width} px:\n" + "\n".join(
        f"  {name}: " + "; ".join(p) for name, p in failures.items())
    harness.assert_no_console_errors(log)


def assert_every_widget_fits(page_and_log: tuple[Any, harness.ConsoleLog], width: int,
                             where: str) -> None:
    """Set the output area to ``width`` px and check that no widget overflows it (Notebook 7
    and Voilà; JupyterLab's test also takes screenshots of what fails)."""
    page, log = page_and_log
    reached = set_output_width(page, width)
    assert reached == width, f"could not make {where}'s output area {width} px wide (got {reached})"
    failures = {name: p for name, root in _roots(page).items() if (p := overflow_problems(page, root))}
    assert not failures, f"in {where} at an output width of {width} px:\n" + "\n".join(
        f"  {name}: " + "; ".join(p) for name, p in failures.items())
    harness.assert_no_console_errors(log)


@pytest.mark.parametrize("width", [700, 1000])
def test_every_widget_fits_in_notebook7(notebook7_page: tuple[Any, harness.ConsoleLog],
                                        width: int) -> None:
    assert_every_widget_fits(notebook7_page, width, "Notebook 7")


@pytest.mark.parametrize("width", [700, 1000])
def test_every_widget_fits_in_voila(voila_page: tuple[Any, harness.ConsoleLog], width: int) -> None:
    assert_every_widget_fits(voila_page, width, "Voilà")


@pytest.mark.parametrize("width", [1000, 1400])
def test_race_keeps_surface_and_controls_side_by_side(lab_page: tuple[Any, harness.ConsoleLog],
                                                      width: int) -> None:
    page, _ = lab_page
    assert set_output_width(page, width) == width
    root = _roots(page)["optimizer-race"]
    root.locator("canvas.dlw-race-surface-canvas").scroll_into_view_if_needed()
    _settle(page)
    surface = root.locator("canvas.dlw-race-surface-canvas").bounding_box()
    chart = root.locator("canvas.dlw-race-chart").bounding_box()
    slider = root.locator(".dlw-race-panel input[type='range']").first.bounding_box()
    assert surface and chart and slider
    # side by side: the controls column starts right of the surface and overlaps it vertically
    for label, box in (("loss chart", chart), ("learning-rate slider", slider)):
        assert box["x"] >= surface["x"] + surface["width"] - 1, (
            f"at {width} px the {label} is not beside the surface: {box} vs {surface}")
        assert box["y"] < surface["y"] + surface["height"], (
            f"at {width} px the {label} is below the surface: {box} vs {surface}")
    # and both in view at once in a 1000 px tall window
    view = page.viewport_size
    top = min(surface["y"], chart["y"])
    bottom = max(surface["y"] + surface["height"], slider["y"] + slider["height"])
    assert bottom - top <= view["height"], (
        f"surface and sliders span {bottom - top:.0f} px, more than the window's {view['height']}")
    harness.screenshot(root, f"layout_race_{width}", docs=False)


def test_race_stacks_when_too_narrow(lab_page: tuple[Any, harness.ConsoleLog]) -> None:
    """At 700 px the surface and the controls cannot both fit: one column, both fitting."""
    page, _ = lab_page
    assert set_output_width(page, 700) == 700
    root = _roots(page)["optimizer-race"]
    root.scroll_into_view_if_needed()
    _settle(page)
    surface = root.locator("canvas.dlw-race-surface-canvas").bounding_box()
    chart = root.locator("canvas.dlw-race-chart").bounding_box()
    assert surface and chart
    assert chart["y"] >= surface["y"] + surface["height"] - 1, "the race did not stack at 700 px"
    assert not overflow_problems(page, root)
    tall_screenshot(page, root, "layout_narrow_race")
