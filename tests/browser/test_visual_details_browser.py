"""Small things a person sees, measured in a real JupyterLab: labels that run into their controls,
axis names drawn over curves, wires drawn through labels, badges that break over lines.

- the optimizer race's "speed" and "add" labels keep a gap before their menus;
- the race chart's "step" axis name lies outside the plot area, where no loss curve runs;
- the race's status badges stay on one line and overlap neither the optimizer's name, its final
  loss nor its remove button, at 700 and 1400 px output widths;
- no wire of the LSTM cell diagram crosses any of its labels (the "i·g" and "h_t" values among
  them).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.test_layout_browser import set_output_width

CELLS = [
    "%load_ext dlwidgets\nimport torch\nfrom torch import nn\nimport dlwidgets\ntorch.manual_seed(0)",
    "race = dlwidgets.OptimizerRace('rosenbrock', ['sgd', 'momentum', 'adam'], steps=200)\nrace",
    "lstm = dlwidgets.LSTMInspector(nn.LSTM(3, 8), torch.randn(20, 3))\nlstm",
]

# horizontal gap between a label's own text and the control after it
_LABEL_GAP = """(label) => {
  const text = Array.from(label.childNodes).find((n) => n.nodeType === 3 && n.textContent.trim());
  const control = label.querySelector('select, input');
  const range = document.createRange();
  range.selectNodeContents(text);
  return control.getBoundingClientRect().left - range.getBoundingClientRect().right;
}"""

# boxes of each badge and of its row's neighbours; a badge on one line is about one line tall
_BADGES = """(root) => Array.from(root.querySelectorAll('.dlw-race-panel-head')).map((head) => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const badge = head.querySelector('.dlw-race-badge');
  const others = Array.from(head.children).filter((c) => c !== badge && c.getClientRects().length
    && c.tagName !== 'INPUT');
  return { badge: box(badge), lineHeight: parseFloat(getComputedStyle(badge).lineHeight) || 16,
           text: badge.textContent, others: others.map((c) => ({ cls: c.className, box: box(c) })) };
})"""

# wires (polylines) of the cell diagram that pass through a label's box (SVG user units)
_WIRES_THROUGH_LABELS = """(svg) => {
  const hits = [];
  const texts = Array.from(svg.querySelectorAll('text'));
  const lines = Array.from(svg.querySelectorAll('polyline'));
  const crosses = (a, b, r) => {
    // does segment a-b meet rectangle r = [x0, y0, x1, y1]? (sampled finely: wires are short)
    const n = Math.max(2, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1])));
    for (let k = 0; k <= n; k++) {
      const x = a[0] + (b[0] - a[0]) * k / n, y = a[1] + (b[1] - a[1]) * k / n;
      if (x > r[0] && x < r[2] && y > r[1] && y < r[3]) return true;
    }
    return false;
  };
  for (const t of texts) {
    const b = t.getBBox();
    const r = [b.x, b.y, b.x + b.width, b.y + b.height];
    for (const line of lines) {
      const pts = line.getAttribute('points').trim().split(/\\s+/).map((p) => p.split(',').map(Number));
      for (let i = 0; i + 1 < pts.length; i++) {
        if (crosses(pts[i], pts[i + 1], r)) { hits.push(`${t.textContent} ← ${line.getAttribute('points')}`); break; }
      }
    }
  }
  return hits;
}"""


def _intersects(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture
def shown(page: Any, jupyter: harness.Server) -> Any:
    nb = harness.write_notebook(jupyter.root, "visual_details.ipynb", CELLS)
    harness.open_in_lab(page, jupyter, nb, timeout=240)
    page.locator("[data-dlw-widget='lstm-inspector'] .dlw-lstm-cell-svg").wait_for()
    return page


def test_race_labels_axis_name_and_badges(shown: Any, console: harness.ConsoleLog) -> None:
    page = shown
    root = page.locator("[data-dlw-widget='optimizer-race']")
    for width in (700, 1400):
        assert set_output_width(page, width) == width
        root.scroll_into_view_if_needed()
        for selector in (".dlw-race-speed-label", ".dlw-race-add-row label"):
            gap = root.locator(selector).evaluate(_LABEL_GAP)
            assert gap >= 4, f"at {width} px the {selector} text runs into its menu (gap {gap:.1f})"
        for row in root.evaluate(_BADGES):
            assert row["badge"][3] - row["badge"][1] <= 1.6 * row["lineHeight"], (
                f"at {width} px the badge {row['text']!r} breaks over lines: {row}")
            for other in row["others"]:
                assert not _intersects(row["badge"], other["box"]), (
                    f"at {width} px the badge {row['text']!r} overlaps {other['cls']}: {row}")
    chart = root.locator("canvas.dlw-race-chart")
    label = json.loads(chart.get_attribute("data-label-box") or "null")
    plot = json.loads(chart.get_attribute("data-plot-box") or "null")
    assert label and plot
    assert not _intersects(label, plot), f"the 'step' axis name {label} is inside the plot {plot}"
    harness.assert_no_console_errors(console)


def test_lstm_diagram_wires_do_not_cross_labels(shown: Any, console: harness.ConsoleLog) -> None:
    page = shown
    svg = page.locator("[data-dlw-widget='lstm-inspector'] .dlw-lstm-cell-svg")
    svg.scroll_into_view_if_needed()
    labels = svg.locator("text").all_text_contents()
    assert any(t.startswith("i·g") for t in labels) and any(t.startswith("h_t") for t in labels)
    hits = svg.evaluate(_WIRES_THROUGH_LABELS)
    assert not hits, "wires cross labels in the LSTM cell diagram:\n" + "\n".join(hits)
    harness.screenshot(svg, "lstm_cell_diagram", docs=False)
    harness.assert_no_console_errors(console)
