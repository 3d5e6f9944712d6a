"""marimo as a front end: ``marimo run examples/marimo_app.py`` shows the widgets inside shadow
roots (how marimo mounts anywidgets). Each must carry its stylesheet there (computed styles are
the stylesheet's, as in JupyterLab, not the browser's defaults), draw, and answer a click."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import harness

ROOT = pathlib.Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "marimo_app.py"
WIDGETS = {"activation-explorer", "conv-stepper", "optimizer-race", "lstm-inspector"}

# What lib/style.css gives a widget root and a button; unstyled they would be 0px / 2px-6px.
ROOT_STYLE = {"paddingLeft": "14px", "borderTopLeftRadius": "8px", "borderTopWidth": "1px",
              "fontSize": "13px"}
BUTTON_STYLE = {"borderTopLeftRadius": "4px", "paddingLeft": "10px"}

_STYLE = """(el, keys) => { const s = getComputedStyle(el);
  return Object.fromEntries(keys.map((k) => [k, s[k]])); }"""


@pytest.fixture(scope="module")
def marimo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("marimo") is None and not (pathlib.Path(sys.executable).parent / "marimo").exists():
        pytest.skip("marimo is not installed (pip install marimo)")
    port = harness.free_port()
    home = tmp_path_factory.mktemp("marimo-home")
    log = home / "marimo.log"
    env = harness._isolated_env(home)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "marimo", "run", str(APP), "--headless", "--host",
             "127.0.0.1", f"--port={port}", "--no-token"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        harness.wait_http(f"http://127.0.0.1:{port}/", 120, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _all_widgets(page: Any, timeout: float = 240) -> Any:
    deadline = time.monotonic() + timeout
    roots = page.locator("[data-dlw-widget]")
    while time.monotonic() < deadline:
        kinds = {roots.nth(i).get_attribute("data-dlw-widget") for i in range(roots.count())}
        if WIDGETS <= kinds:
            return roots
        time.sleep(1)
    raise AssertionError(f"marimo showed only {sorted(kinds)}")


def test_marimo_widgets_styled_drawing_and_interactive(marimo_server: str, page: Any,
                                                       console: harness.ConsoleLog) -> None:
    page.goto(marimo_server)
    roots = _all_widgets(page)
    for i in range(roots.count()):
        root = roots.nth(i)
        kind = root.get_attribute("data-dlw-widget")
        assert root.evaluate("e => e.getRootNode() instanceof ShadowRoot"), kind
        assert root.evaluate(_STYLE, list(ROOT_STYLE)) == ROOT_STYLE, kind
        # one stylesheet per view, inside its shadow root
        assert root.evaluate(
            "e => e.getRootNode().querySelectorAll('style[data-dlw-style]').length") == 1, kind
        button = root.locator(".dlw-button").first
        if button.count():
            assert button.evaluate(_STYLE, list(BUTTON_STYLE)) == BUTTON_STYLE, kind
        canvas = root.locator("canvas:visible").first
        deadline = time.monotonic() + 60
        while harness.canvas_ink(canvas) <= 0.001 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert harness.canvas_ink(canvas) > 0.001, f"{kind}: its canvas stays blank"
    harness.screenshot(page, "marimo_app")
    # one interaction: step the convolution; the highlighted window moves
    conv = page.locator("[data-dlw-widget='conv-stepper']")
    canvas = conv.locator("canvas:visible").first
    before = harness.canvas_signature(canvas)
    conv.locator("button.dlw-step:not([disabled])").last.click()
    deadline = time.monotonic() + 30
    while harness.canvas_signature(canvas) == before and time.monotonic() < deadline:
        time.sleep(0.3)
    assert harness.canvas_signature(canvas) != before, "stepping the convolution changed nothing"
    harness.assert_no_console_errors(console)


def test_marimo_dark_mode_gives_the_dark_palette(marimo_server: str, page: Any,
                                                 console: harness.ConsoleLog) -> None:
    """marimo's dark theme (``?theme=dark``, as its settings menu sets it) marks the page body
    (class "dark", data-theme="dark"); inside their shadow roots the widgets take the dark
    palette: canvases redrawn on a dark background with light text and axes, and every piece of
    text at a WCAG contrast of at least 4.5 (the checks of test_dark_theme_browser)."""
    from tests.browser import test_dark_theme_browser as dark

    page.goto(marimo_server + "?theme=dark")
    page.wait_for_function("() => document.body.classList.contains('dark')"
                           " || document.body.dataset.theme === 'dark'", timeout=60_000)
    roots = _all_widgets(page)
    for i in range(roots.count()):
        root = roots.nth(i)
        kind = root.get_attribute("data-dlw-widget")
        root.scroll_into_view_if_needed()
        assert "dlw-dark" in (root.get_attribute("class") or ""), f"{kind} did not go dark"
        assert dark._canvases_turn_dark(page, root), f"{kind}: its canvases kept a light background"
        for c in range(root.locator(dark.THEMED).count()):
            canvas = root.locator(dark.THEMED).nth(c)
            if not canvas.is_visible():
                continue
            marks = canvas.evaluate(dark._CANVAS_MARKS)
            assert marks["bgLum"] < 0.05 and marks["light"] >= 20, f"{kind} canvas {c}: {marks}"
        texts = root.evaluate(dark._TEXT_CONTRAST)
        assert len(texts) >= 3, f"found too little text in {kind}: {texts}"
        poor = [t for t in texts if t["ratio"] < 4.5]
        assert not poor, f"{kind}: text below WCAG AA contrast 4.5 in marimo's dark mode: {poor}"
    harness.screenshot(page, "marimo_dark", docs=True)
    harness.assert_no_console_errors(console)
