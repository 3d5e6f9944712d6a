"""Every example notebook served as a Voilà dashboard (as a teacher deploys it): the widgets are
drawn, respond to a person's input, no code is shown, and the console stays clean."""

from __future__ import annotations

import pathlib
import shutil
import time
from typing import Any

import pytest

from tests.browser import harness

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parents[2] / "examples").glob("*.ipynb"))

_DRAWING = """(root) => {
  let h = 0;
  for (const c of root.querySelectorAll('canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 97) { h = (h * 31 + d[i]) >>> 0; }
  }
  let m = 0;
  const markup = root.innerHTML;
  for (let i = 0; i < markup.length; i++) { m = (m * 31 + markup.charCodeAt(i)) >>> 0; }
  return [h, m].join(':');
}"""

_INK = """(root) => {
  let best = 0;
  for (const c of root.querySelectorAll('canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - d[0]) + Math.abs(d[i+1] - d[1]) + Math.abs(d[i+2] - d[2]) + Math.abs(d[i+3] - d[3]) > 24) ink++;
    }
    best = Math.max(best, ink / (c.width * c.height));
  }
  return best + (root.querySelectorAll('svg rect, svg path, svg line, svg text').length > 5 ? 1 : 0);
}"""


def _settled_widgets(page: Any, timeout: float = 180) -> Any:
    """Wait until Voilà has executed the notebook and the widget count stops changing."""
    page.wait_for_selector("[data-dlw-widget]", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = page.locator("[data-dlw-widget]").count()
        if count != last:
            last, stable_since = count, time.monotonic()
        elif time.monotonic() - stable_since > 3 and page.locator(
                "#loading, .voila-spinner-color1").count() == 0:
            break
        time.sleep(0.5)
    return page.locator("[data-dlw-widget]")


def _interact(page: Any, root: Any) -> bool:
    """Do what a student would: step a timeline, change a choice, hover and click the main
    drawing, or press a button; True when what is shown changed."""
    before = root.evaluate(_DRAWING)
    kind = root.get_attribute("data-dlw-widget")
    row = root.locator("tr.dlw-summary-row:visible")
    log_scale = root.locator("input.dlw-monitor-log:visible:not([disabled])")
    step = root.locator("button.dlw-step:visible:not([disabled])")
    select = root.locator("select:visible:not([disabled])")
    canvas = root.locator("canvas:visible")
    button = root.locator("button:visible:not([disabled])")
    if kind == "model-summary" and row.count() > 1:
        row.nth(1).click()  # select a layer: it is highlighted in the table and the diagram
    elif kind == "training-monitor" and log_scale.count():
        log_scale.first.click()  # log-scale loss axis
    elif kind == "latent-explorer":
        scatter = root.locator("canvas.dlw-latent-scatter")
        scatter.scroll_into_view_if_needed()
        box = scatter.bounding_box()
        assert box is not None
        for fx in (0.3, 0.6):  # move over the latent plane: the decoded image follows
            page.mouse.move(box["x"] + 44 + 460 * fx, box["y"] + 10 + 460 * 0.5)
            page.wait_for_timeout(300)
    elif step.count():
        step.first.click()
    elif select.count() and select.first.locator("option").count() > 1:
        options = select.first.locator("option")
        values = [options.nth(i).get_attribute("value") for i in range(options.count())]
        current = select.first.input_value()
        select.first.select_option(next(v for v in values if v != current))
    elif canvas.count():
        canvas.first.scroll_into_view_if_needed()
        box = canvas.first.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45
        page.mouse.move(x, y)
        page.mouse.move(x + 3, y + 2)
        page.mouse.click(x + 3, y + 2)
    elif button.count():
        button.first.click()
    else:
        pytest.fail("the widget shows nothing a person could interact with")
    for _ in range(40):
        page.wait_for_timeout(250)
        if root.evaluate(_DRAWING) != before:
            return True
    return False


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_dashboard_in_voila(page: Any, console: harness.ConsoleLog, voila: harness.Server,
                                    example: pathlib.Path) -> None:
    folder = voila.root / "dashboards"
    folder.mkdir(exist_ok=True)
    target = folder / example.name
    shutil.copy(example, target)
    page.goto(f"{voila.base}/voila/render/dashboards/{example.name}", timeout=180_000)
    widgets = _settled_widgets(page)
    assert widgets.count() >= 1
    body = page.locator("body").inner_text()
    assert "import dlwidgets" not in body and page.locator(".cm-editor:visible").count() == 0, \
        "a Voilà dashboard should not show code"
    for i in range(widgets.count()):
        root = widgets.nth(i)
        root.scroll_into_view_if_needed()
        assert root.evaluate(_INK) > 0.005, f"widget {i} of {example.name} drew nothing"
    first = widgets.first
    assert _interact(page, first), f"{example.name}: the first widget did not respond to input"
    harness.screenshot(page, f"voila_{example.stem}", docs=False)
    harness.assert_no_console_errors(console)
