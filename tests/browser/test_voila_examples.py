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
  return [h, root.textContent.length, root.querySelectorAll('svg *').length].join(':');
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
    """Do what a student would: step a timeline, change a choice, or click the main canvas."""
    before = root.evaluate(_DRAWING)
    step = root.locator("button.dlw-step:not([disabled])")
    if step.count():
        step.first.click()
    else:
        select = root.locator("select:not([disabled])")
        if select.count() and select.first.locator("option").count() > 1:
            options = select.first.locator("option")
            values = [options.nth(i).get_attribute("value") for i in range(options.count())]
            current = select.first.input_value()
            select.first.select_option(next(v for v in values if v != current))
        else:
            canvas = root.locator("canvas").first
            box = canvas.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45)
            page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45)
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
    harness.screenshot(page, f"voila_{example.stem}")
    harness.assert_no_console_errors(console)
