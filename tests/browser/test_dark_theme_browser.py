"""Every widget stays readable in JupyterLab's dark theme: after a widget is drawn, the test
switches JupyterLab to "JupyterLab Dark" (the `apputils:change-theme` command, as the Settings
menu does) and checks what a person would see:

- every piece of text in the widget (HTML text, form controls, SVG labels) has a WCAG contrast
  of at least 4.5 against the background it sits on (translucent colours composited);
- every visible canvas was redrawn on a dark background and its marks include light, neutral
  pixels (text, ticks and axes in the theme's light colours), with none of the light theme's
  greys (#1f2933, #616e7c, #9aa5b1, #e4e7eb) left in it.

The theme is switched back to light at the end, since the JupyterLab server (and its saved
settings) is shared with the other browser tests of the session.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import harness

# widget name (its data-dlw-widget) → notebook cells that show it
WIDGETS: dict[str, list[str]] = {
    "training-monitor": [
        "%load_ext dlwidgets\nimport dlwidgets\n"
        "net = dlwidgets.build('input 64 -> dense 32 relu -> dense 10', seed=0)\n"
        "h = dlwidgets.fit(net, 'digits', epochs=2, batch_size=64, block=True)",
    ],
    "activation-explorer": [
        "%load_ext dlwidgets\nimport dlwidgets\nw = dlwidgets.ActivationExplorer('elu')\nw",
    ],
    "model-summary": [
        "%load_ext dlwidgets\nimport dlwidgets",
        "%%dl net\ninput 1x28x28\nconv 8 3x3 pad=1 relu\nmaxpool 2\nresidual relu:\n"
        "    conv 8 3x3 pad=1\n    batchnorm\nblock head:\n    flatten\n    dense 10",
    ],
    "conv-stepper": [
        "%load_ext dlwidgets\nimport dlwidgets\nw = dlwidgets.ConvStepper('digit:3', 'sobel_x', padding=1)\nw",
    ],
    "latent-explorer": [
        "import torch\nfrom torch import nn\nimport dlwidgets\nfrom sklearn.datasets import load_digits\n"
        "torch.manual_seed(0)\nd = load_digits()\n"
        "x = torch.tensor(d.data / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)[:200]\n"
        "enc = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))\n"
        "dec = nn.Sequential(nn.Linear(2, 64), nn.Sigmoid(), nn.Unflatten(1, (1, 8, 8)))\n"
        "w = dlwidgets.LatentExplorer((enc, dec), x, d.target[:200])\nw",
    ],
    "lstm-inspector": [
        "import torch\nimport dlwidgets\ntorch.manual_seed(0)\n"
        "w = dlwidgets.LSTMInspector(torch.nn.LSTM(2, 3), torch.randn(6, 2), tokens=list('abcdef'))\nw",
    ],
    "optimizer-race": [
        "%load_ext dlwidgets\nimport dlwidgets\n"
        "race = dlwidgets.OptimizerRace('rosenbrock', ['sgd', 'adam'], steps=40)\nrace",
    ],
}

CASES = [pytest.param(name, id=name) for name in WIDGETS]

# ---- page-side measurements ------------------------------------------------------------------

_SET_THEME = """async (theme) => {
  await window.jupyterapp.commands.execute('apputils:change-theme', { theme });
}"""

# the dark stylesheet has arrived when the body reports it and its variables are in effect
_DARK_READY = """() => document.body.dataset.jpThemeLight === 'false'
  && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim() === '#111'"""

_LIGHT_READY = """() => document.body.dataset.jpThemeLight === 'true'
  && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim() !== '#111'"""

_SAVED_THEME = """async (token) => {
  const r = await fetch(`/lab/api/settings/@jupyterlab/apputils-extension:themes?token=${token}`);
  const body = await r.json();
  return (body.settings && body.settings.theme) || null;
}"""

# Colour helpers shared by the two checks below (WCAG 2 luminance and contrast).
_COLOUR_JS = """
const parse = (css) => {
  const m = /rgba?\\(([^)]*)\\)/.exec(css || '');
  if (!m) return null;
  const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const over = (top, under) => {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
};
const lum = (c) => {
  const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
};
const contrast = (a, b) => {
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
"""

# Text pieces of a widget with their colour, background (composited up the tree) and contrast.
# Disabled or translucent (inactive) controls are left out, as WCAG exempts inactive controls.
_TEXT_CONTRAST = "(root) => {" + _COLOUR_JS + """
  const background = (el) => {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const inactive = (el) => {
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      if (n.disabled || Number(getComputedStyle(n).opacity) < 1) return true;
    }
    return false;
  };
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility === 'visible';
  const hasText = (el) => Array.from(el.childNodes).some((c) => c.nodeType === 3 && c.textContent.trim());
  const out = [];
  const all = [root, ...root.querySelectorAll('*')];
  for (const el of all) {
    const control = el.matches('select, button, input[type=number], input[type=text]');
    if (!(hasText(el) || control) || el.tagName === 'OPTION' || !shown(el) || inactive(el)) continue;
    const svgText = el instanceof SVGElement;
    const style = getComputedStyle(el);
    const fg = parse(svgText ? style.fill : style.color);
    if (!fg) continue;
    const bg = background(svgText ? el.ownerSVGElement.parentElement : el);
    const text = (el.textContent || el.value || '').trim().slice(0, 40);
    out.push({ tag: el.tagName.toLowerCase(), cls: String(el.getAttribute('class') || ''), text,
               fg: svgText ? style.fill : style.color, bg: bg.map(Math.round).slice(0, 3),
               ratio: contrast(over(fg, bg), bg) });
  }
  return out;
}"""

# A canvas' background (top-left pixel) and its marks: how many differ from the background,
# how many are light and neutral (text and axes in the dark theme's greys/whites), and how many
# are one of the light theme's greys.
_CANVAS_MARKS = "(canvas) => {" + _COLOUR_JS + """
  const { width, height } = canvas;
  const d = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const bg = [d[0], d[1], d[2], 1];
  const old = [[31, 41, 51], [97, 110, 124], [154, 165, 177], [228, 231, 235]];
  let ink = 0, light = 0, lightThemeGrey = 0;
  for (let i = 0; i < d.length; i += 4) {
    const r = d[i], g = d[i + 1], b = d[i + 2];
    if (Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(b - bg[2]) <= 24) continue;
    ink++;
    const neutral = Math.max(r, g, b) - Math.min(r, g, b) <= 12;
    if (neutral && lum([r, g, b]) > 0.2) light++;
    if (old.some((o) => Math.abs(o[0] - r) <= 2 && Math.abs(o[1] - g) <= 2 && Math.abs(o[2] - b) <= 2)) lightThemeGrey++;
  }
  return { bg: bg.slice(0, 3), bgLum: lum(bg), ink, light, lightThemeGrey, width, height };
}"""

# canvases drawn in theme colours; a canvas of data pixels only (a feature-map thumbnail) is
# marked data-dlw-image and has no background of its own to follow
THEMED = "canvas:not([data-dlw-image])"
_CANVASES_DARK = "(root) => { const THEMED_CANVAS = '" + THEMED + "';" + _COLOUR_JS + """
  const canvases = Array.from(root.querySelectorAll(THEMED_CANVAS)).filter((c) => c.getClientRects().length > 0);
  return canvases.length > 0 && canvases.every((c) => {
    const d = c.getContext('2d').getImageData(0, 0, 1, 1).data;
    return lum([d[0], d[1], d[2]]) < 0.05;
  });
}"""


def _set_theme(page: Any, jupyter: harness.Server, theme: str, ready: str) -> None:
    page.evaluate(_SET_THEME, theme)
    page.wait_for_function(ready, timeout=30_000, polling=100)
    # the choice is saved as a user setting on the (shared) server; wait until it is
    for _ in range(100):
        if page.evaluate(_SAVED_THEME, jupyter.token) == theme:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"JupyterLab did not save the theme {theme!r}")


def _canvases_turn_dark(page: Any, root: Any, seconds: float = 10.0) -> bool:
    for _ in range(int(seconds * 10)):
        if root.evaluate(_CANVASES_DARK):
            return True
        page.wait_for_timeout(100)
    return False


@pytest.mark.parametrize("widget", CASES)
def test_widget_is_readable_in_jupyterlab_dark(page: Any, console: harness.ConsoleLog,
                                               jupyter: harness.Server, widget: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"dark_{widget}.ipynb", WIDGETS[widget])
    harness.open_in_lab(page, jupyter, nb, timeout=240)
    roots = page.locator(f"[data-dlw-widget='{widget}']")
    roots.first.wait_for()
    try:
        _set_theme(page, jupyter, "JupyterLab Dark", _DARK_READY)
        for k in range(roots.count()):
            root = roots.nth(k)
            root.scroll_into_view_if_needed()
            has_canvas = root.locator(THEMED).count() > 0
            if has_canvas:
                # the view redraws its canvases when the theme changes
                assert _canvases_turn_dark(page, root), (
                    f"the {widget} widget's canvases kept a light background 10 s after the switch "
                    "to the dark theme")
            harness.screenshot(root, f"dark_{widget}_{k}", docs=False)

            texts = root.evaluate(_TEXT_CONTRAST)
            assert len(texts) >= 3, f"found too little text in the {widget} widget: {texts}"
            poor = [t for t in texts if t["ratio"] < 4.5]
            assert not poor, f"text below WCAG AA contrast 4.5 in the dark theme: {poor}"

            for c in range(root.locator(THEMED).count()):
                canvas = root.locator(THEMED).nth(c)
                if not canvas.is_visible():
                    continue
                marks = canvas.evaluate(_CANVAS_MARKS)
                label = f"{widget} canvas {c} ({marks['width']}x{marks['height']})"
                assert marks["bgLum"] < 0.05, f"{label} keeps a light background {marks['bg']}"
                assert marks["ink"] > 0, f"{label} is blank"
                assert marks["light"] >= 20, f"{label} draws no light text or axes: {marks}"
                # a few blended edge pixels can land on those greys by chance; text or axes drawn
                # in them would be a large share of the ink
                assert marks["lightThemeGrey"] <= max(5, 0.01 * marks["ink"]), (
                    f"{label} still draws the light theme's greys: {marks}")
        harness.assert_no_console_errors(console)
    finally:
        _set_theme(page, jupyter, "JupyterLab Light", _LIGHT_READY)
