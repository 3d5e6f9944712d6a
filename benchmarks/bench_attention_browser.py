"""Heads view at 512 tokens in headless Chromium (run: python benchmarks/bench_attention_browser.py).

An exported page (no kernel) with one 12-head self-attention layer over 512 tokens whose
weights are sharpened (the projections scaled up) so that many lines are above the drawing
threshold. Hovering a query token redraws the whole layer (every visible line, faded, and the
hovered row's lines): the time of one redraw is the view's render time; hover rate = 1 / it.
"""

from __future__ import annotations

import pathlib
import tempfile

import torch
from playwright.sync_api import sync_playwright
from torch import nn

import dlwidgets

MEASURE = """(root) => {
  const tokens = root.querySelectorAll('.dlw-attn-queries .dlw-attn-token');
  const times = [];
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    tokens[(i * 37) % tokens.length].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[30], worst: times[59] };
}"""


def main() -> None:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(384, 12, dim_feedforward=384, batch_first=True)
    with torch.no_grad():
        layer.self_attn.in_proj_weight.mul_(6.0)
    widget = dlwidgets.AttentionInspector(layer, torch.randn(512, 384))
    lines = int((widget.weights >= 0.01).sum())
    with tempfile.TemporaryDirectory() as tmp:
        path = dlwidgets.export_html(widget, pathlib.Path(tmp) / "attention.html")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(path.resolve().as_uri())
            page.wait_for_selector("body[data-dlw-ready='true']")
            root = page.locator("[data-dlw-widget='attention-inspector']")
            root.locator("canvas.dlw-attn-lines").wait_for()
            result = root.evaluate(MEASURE)
            browser.close()
    print(f"512 tokens, 12 heads, {lines:,} lines ≥ 0.01: redraw median {result['median']:.1f} ms, "
          f"worst {result['worst']:.1f} ms ({1000 / result['median']:.0f} hovers/s)")


if __name__ == "__main__":
    main()
