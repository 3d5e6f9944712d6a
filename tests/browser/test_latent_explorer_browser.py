"""The latent explorer drawn and driven for real: on an exported page (no kernel) the in-browser
MLP decoder equals torch within 1e-4 for the very points hovered; in JupyterLab hovering decodes
through the kernel and changes the image, a click reaches Python, the lattice and a drawn path
show decodings, and the demo's scatter moves while it trains; Voilà renders and decodes too."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from dlwidgets import LatentExplorer, export_html
from tests.browser import harness
from tests.browser.conftest import open_export

WIDGET = "[data-dlw-widget='latent-explorer']"
LAST = f"() => document.querySelector(\"{WIDGET}\").dlwStats.last"
HOVERS = f"() => document.querySelector(\"{WIDGET}\").dlwStats.hover.length"


class GeluVAE(nn.Module):
    """A VAE whose decoder uses every kind of activation the browser runs."""

    def __init__(self, d_in: int = 64, latent_dim: int = 3) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.trunk = nn.Sequential(nn.Linear(d_in, 32), nn.Tanh())
        self.mu = nn.Linear(32, latent_dim)
        self.logvar = nn.Linear(32, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 48), nn.GELU(), nn.Linear(48, 48), nn.ELU(0.7),
            nn.Linear(48, 48), nn.LeakyReLU(0.05), nn.Linear(48, 32), nn.SiLU(),
            nn.Linear(32, 32), nn.Softplus(beta=1.5), nn.Linear(32, d_in), nn.Sigmoid())
        with torch.no_grad():  # larger weights: outputs that vary visibly across the plane
            for layer in self.decoder:
                if isinstance(layer, nn.Linear):
                    layer.weight.mul_(2.5)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


def _hover(page: Any, canvas: Any, fx: float, fy: float) -> dict[str, Any]:
    """Move the pointer to fractions (fx, fy) of the plot area and wait for a new decoding."""
    box = canvas.bounding_box()
    assert box is not None
    count = page.evaluate(HOVERS)
    page.mouse.move(box["x"] + 44 + 460 * fx, box["y"] + 10 + 460 * fy)
    page.wait_for_function(f"(n) => ({HOVERS})() > n", arg=count)
    return dict(page.evaluate(LAST))


def test_in_browser_decoder_equals_torch_on_an_exported_page(
        offline_page: tuple[Any, harness.ConsoleLog], tmp_path: pathlib.Path) -> None:
    page, log = offline_page
    torch.manual_seed(3)
    model = GeluVAE()
    x = torch.rand(300, 64, generator=torch.Generator().manual_seed(4))
    labels = np.arange(300) % 5
    w = LatentExplorer(model, x, labels, image_shape=(8, 8), device="cpu")
    assert w.decoder_mlp, w.mlp_reason
    open_export(page, export_html(w, tmp_path / "latent.html"))
    root = page.locator(WIDGET)
    scatter = root.locator("canvas.dlw-latent-scatter")
    decoded = root.locator("canvas.dlw-latent-decoded")
    assert harness.canvas_ink(scatter) > 0.02, "the scatter is blank"
    seen: list[dict[str, Any]] = []
    signatures = set()
    for fx, fy in [(0.2, 0.3), (0.5, 0.5), (0.8, 0.75), (0.35, 0.9)]:
        last = _hover(page, scatter, fx, fy)
        assert last["how"] == "in browser"
        seen.append(last)
        signatures.add(harness.canvas_signature(decoded))
    assert len(signatures) == 4, "hovering different points did not change the decoded image"
    # a slider moves the plane along the third principal axis: z follows the documented formula
    slider = root.locator("input.dlw-latent-slider-0")
    slider.evaluate("(el) => { el.value = String(Number(el.max) * 0.6); "
                    "el.dispatchEvent(new Event('input', { bubbles: true })); }")
    value = float(slider.evaluate("(el) => Number(el.value)"))
    seen.append(_hover(page, scatter, 0.6, 0.4))
    for k, last in enumerate(seen):
        sliders = [value] if k == len(seen) - 1 else [0.0]
        z_py = w.plane_map.to_latent(np.array(last["p"]), np.array(sliders))
        np.testing.assert_allclose(last["z"], z_py, atol=1e-5)
        with torch.no_grad():
            ref = model.decode(torch.tensor([last["z"]], dtype=torch.float32)).numpy()[0]
        np.testing.assert_allclose(last["out"], ref, atol=1e-4, rtol=0)
    # clicking a point shows its input and reconstruction, computed in the browser
    index, (px, py) = _isolated_point(w.projection)
    box = scatter.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + px, box["y"] + py)
    text = root.locator(".dlw-latent-panel-text")
    page.wait_for_function("(el) => el.textContent.includes('point #')", arg=text.element_handle())
    assert f"point #{index} label {index % 5}" in (text.text_content() or "")
    _, _, err = w.reconstruction(index)
    shown = (text.text_content() or "").split("(MSE) = ")[1].split()[0]
    assert float(shown.replace("−", "-")) == pytest.approx(err, rel=1e-3)
    assert harness.canvas_ink(root.locator("canvas.dlw-latent-panel")) > 0.05
    assert page.evaluate(f"() => document.querySelector(\"{WIDGET}\").dlwStats.drawn") == 300
    harness.assert_no_console_errors(log)


def _isolated_point(proj: np.ndarray) -> tuple[int, tuple[float, float]]:
    """The point farthest from its nearest neighbour, in the plot's CSS pixels (the view fits
    every point with a 5 % margin: js fitView; plot area 460 px at (44, 10))."""
    lo, hi = proj.min(0), proj.max(0)
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    px = 44 + (proj[:, 0] - lo[0]) / (hi[0] - lo[0]) * 460
    py = 10 + (hi[1] - proj[:, 1]) / (hi[1] - lo[1]) * 460
    pix = np.stack([px, py], 1)
    dist = np.linalg.norm(pix[:, None] - pix[None], axis=2)
    np.fill_diagonal(dist, np.inf)
    i = int(np.argmax(dist.min(1)))
    return i, (float(px[i]), float(py[i]))


def test_exported_page_without_an_mlp_decoder_shows_the_precomputed_grid(
        offline_page: tuple[Any, harness.ConsoleLog], tmp_path: pathlib.Path) -> None:
    page, log = offline_page
    torch.manual_seed(0)
    enc = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(256, 2))
    dec = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 256),
                        nn.Unflatten(1, (16, 4, 4)), nn.ConvTranspose2d(16, 1, 2, stride=2))
    x = torch.rand(200, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    w = LatentExplorer((enc, dec), x, device="cpu", grid_size=12)
    assert not w.decoder_mlp
    open_export(page, export_html(w, tmp_path / "grid.html"))
    root = page.locator(WIDGET)
    scatter = root.locator("canvas.dlw-latent-scatter")
    grid = w.grid_images()
    (x0, x1), (y0, y1), n = w.grid["x_range"], w.grid["y_range"], w.grid["n"]
    for fx, fy in [(0.3, 0.3), (0.6, 0.7)]:
        last = _hover(page, scatter, fx, fy)
        assert last["how"] == "precomputed grid cell"
        px, py = last["p"]
        c = int((px - x0) / (x1 - x0) * n)
        r = int((y1 - py) / (y1 - y0) * n)
        np.testing.assert_allclose(last["out"], grid[r, c], atol=1e-6)
    # controls that need Python are disabled with a hint
    path_select = root.locator("select.dlw-latent-decode-path")
    assert "kernel" in (path_select.get_attribute("title") or "")
    assert root.locator("option[value=kernel]").is_disabled()
    root.locator("input.dlw-latent-lattice").check()
    page.wait_for_timeout(300)
    assert harness.canvas_ink(scatter) > 0.3, "the precomputed grid is not drawn as the lattice"
    harness.assert_no_console_errors(log)


# ---- JupyterLab: the demo trains, then the kernel path, clicks, lattice and paths -------------

LAB_CELLS = [
    "%load_ext dlwidgets\nimport dlwidgets\nw = dlwidgets.LatentExplorer.demo('ae', epochs=80, pretrained=False)\nw",
]




@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_latent_explorer_in_jupyterlab(page: Any, console: harness.ConsoleLog, jupyter: harness.Server,
                                       frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"latent_lab_{frontend}.ipynb", LAB_CELLS)
    harness.open_in(frontend)(page, jupyter, nb)
    root = page.locator(WIDGET)
    root.wait_for()
    scatter = root.locator("canvas.dlw-latent-scatter")
    status = root.locator(".dlw-latent-status")
    # train and watch: the scatter is redrawn from streamed codes while the model learns
    page.wait_for_function("(el) => /training: epoch ([5-9]|\\d\\d)/.test(el.textContent)",
                           arg=status.element_handle(), timeout=120_000)
    first = harness.canvas_signature(scatter)
    page.wait_for_timeout(1500)
    assert harness.canvas_signature(scatter) != first, "the scatter did not move while training"
    page.wait_for_function("(el) => el.textContent.startsWith('trained 80 epochs')",
                           arg=status.element_handle(), timeout=180_000)
    assert harness.canvas_ink(scatter) > 0.02
    # hovering decodes in the browser (MLP decoder), then through the kernel when asked
    decoded = root.locator("canvas.dlw-latent-decoded")
    assert _hover(page, scatter, 0.3, 0.3)["how"] == "in browser"
    root.locator("select.dlw-latent-decode-path").select_option("kernel")
    page.wait_for_function("() => true")
    assert harness.kernel_value(page, "w.decode_path") == "kernel"
    signatures = set()
    for fx, fy in [(0.25, 0.4), (0.7, 0.6), (0.5, 0.85)]:
        last = _hover(page, scatter, fx, fy)
        assert last["how"] == "kernel"
        signatures.add(harness.canvas_signature(decoded))
        ref = harness.kernel_value(page, f"w.decode({last['z']}).reshape(-1).tolist()")
        np.testing.assert_allclose(last["out"], ref, atol=1e-6)
    assert len(signatures) == 3, "hovering through the kernel did not change the image"
    # a click reaches Python: it sets A and the focus, and Python's reconstruction is shown
    proj = np.array(harness.kernel_value(page, "w.projection.tolist()"))
    index, (px, py) = _isolated_point(proj)
    box = scatter.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + px, box["y"] + py)
    text = root.locator(".dlw-latent-panel-text")
    page.wait_for_function("(el) => el.textContent.includes('(MSE)')", arg=text.element_handle())
    assert harness.kernel_value(page, "[w.focus, w.selected[0]]") == [index, index]
    err = harness.kernel_value(page, f"w.reconstruction({index})[2]")
    shown = (text.text_content() or "").split("(MSE) = ")[1].split()[0]
    assert float(shown.replace("−", "-")) == pytest.approx(err, rel=1e-3)
    # the lattice of decodings over the visible region (through the kernel)
    before = harness.canvas_signature(scatter)
    root.locator("input.dlw-latent-lattice").check()
    page.wait_for_timeout(800)
    assert harness.canvas_signature(scatter) != before, "the lattice was not drawn"
    assert harness.kernel_value(page, "w.show_lattice") is True
    tile = page.evaluate(f"() => document.querySelector(\"{WIDGET}\").dlwStats.lattice()")
    v, k = tile["view"], tile["n"]
    ref = harness.kernel_value(page, "w.decode_plane(__import__('dlwidgets.engine.latent', fromlist=['x'])"
                              f".grid_points(({v['x0']}, {v['x1']}), ({v['y0']}, {v['y1']}), {k}))"
                              ".reshape(-1).tolist()")
    np.testing.assert_allclose(tile["values"], ref, atol=1e-5)  # the visible region, decoded
    # dragging draws a path whose decodings appear in the strip
    strip = root.locator("canvas.dlw-latent-path")
    assert harness.canvas_ink(strip) < 0.01
    page.mouse.move(box["x"] + 44 + 60, box["y"] + 10 + 400)
    page.mouse.down()
    for k in range(25):
        page.mouse.move(box["x"] + 44 + 60 + 14 * k, box["y"] + 10 + 400 - 13 * k)
    page.mouse.up()
    page.wait_for_function("(el) => el.textContent.includes('decoded along the drawn path')",
                           arg=root.locator(".dlw-muted", has_text="drawn path").element_handle())
    assert harness.canvas_ink(strip) > 0.2
    # interpolation between two clicked points, computed by Python
    root.locator("button.dlw-latent-tab-interp").click()
    harness.kernel_value(page, "w.select(1, 5) or 0")
    page.wait_for_function("(el) => el.textContent.includes('A = #1 → B = #5')",
                           arg=text.element_handle())
    assert harness.canvas_ink(root.locator("canvas.dlw-latent-panel")) > 0.1
    page.add_style_tag(content=".Toastify { display: none !important; }")  # Lab's news toast
    harness.screenshot(root, f"latent_explorer{harness.frontend_suffix(frontend)}", docs=frontend == "lab")
    harness.assert_no_console_errors(console)


# ---- Voilà: a convolutional decoder (no in-browser MLP) decodes through the kernel ----------

VOILA_CELLS = [
    """import torch
from torch import nn
import dlwidgets
from sklearn.datasets import load_digits
torch.manual_seed(0)
d = load_digits()
x = torch.tensor(d.data / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)[:400]
enc = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 2))
dec = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 256), nn.Unflatten(1, (16, 4, 4)),
                    nn.ConvTranspose2d(16, 1, 2, stride=2), nn.Sigmoid())
with torch.no_grad():
    dec[0].weight.mul_(4.0)
w = dlwidgets.LatentExplorer((enc, dec), x, d.target[:400])
w""",
]


def test_latent_explorer_in_voila(page: Any, console: harness.ConsoleLog,
                                  voila: harness.Server) -> None:
    nb = harness.write_notebook(voila.root, "latent_voila.ipynb", VOILA_CELLS)
    harness.open_in_voila(page, voila, nb)
    root = page.locator(WIDGET)
    scatter = root.locator("canvas.dlw-latent-scatter")
    scatter.wait_for()
    assert harness.canvas_ink(scatter) > 0.02
    decoded = root.locator("canvas.dlw-latent-decoded")
    signatures = set()
    for fx, fy in [(0.1, 0.1), (0.9, 0.9), (0.5, 0.2)]:
        assert _hover(page, scatter, fx, fy)["how"] == "kernel"
        signatures.add(harness.canvas_signature(decoded))
    assert len(signatures) >= 2, "hovering through the kernel did not change the image"
    assert "ConvTranspose2d" in (root.locator("select.dlw-latent-decode-path")
                                 .get_attribute("title") or "")
    harness.assert_no_console_errors(console)


# ---- JupyterLab's dark theme: canvases follow the --dlw-* variables --------------------------

# The canvas' background where it shows (a corner) and the pixel of a region that contrasts most
# with it (antialiased text reaches its full colour in its strokes), as [r, g, b]; `bg` is the
# root's --dlw-bg read through a 1-pixel canvas.
_INK_JS = """([canvas, x, y, w, h]) => {
  const root = canvas.closest("[data-dlw-widget]");
  const probe = document.createElement("canvas").getContext("2d");
  const rgb = (css) => { probe.clearRect(0, 0, 1, 1); probe.fillStyle = css; probe.fillRect(0, 0, 1, 1);
    return Array.from(probe.getImageData(0, 0, 1, 1).data.slice(0, 3)); };
  const ctx = canvas.getContext("2d");
  const r = canvas.width / canvas.getBoundingClientRect().width;
  const px = ctx.getImageData(Math.round(x * r), Math.round(y * r), Math.round(w * r), Math.round(h * r)).data;
  const colours = new Set();
  for (let i = 0; i < px.length; i += 4) colours.add(`${px[i]},${px[i + 1]},${px[i + 2]}`);
  return { bg: rgb(getComputedStyle(root).getPropertyValue("--dlw-bg").trim()),
           corner: Array.from(ctx.getImageData(1, 1, 1, 1).data.slice(0, 3)),
           colours: [...colours].map((c) => c.split(",").map(Number)) };
}"""


def _contrast(a: list[int], b: list[int]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    def lum(c: list[int]) -> float:
        lin = [(v / 255) / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4
               for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _text_contrast(page: Any, canvas: Any, region: tuple[float, float, float, float]
                   ) -> tuple[float, dict[str, Any]]:
    ink = page.evaluate(_INK_JS, [canvas.element_handle(), *region])
    assert ink["corner"] == ink["bg"], f"the canvas background {ink['corner']} is not the " \
        f"theme's {ink['bg']}"
    return max(_contrast(c, ink["bg"]) for c in ink["colours"]), ink


def test_canvases_follow_the_dark_theme(offline_page: tuple[Any, harness.ConsoleLog],
                                        tmp_path: pathlib.Path) -> None:
    page, log = offline_page
    torch.manual_seed(1)
    enc = nn.Sequential(nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 2))
    dec = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 64), nn.Sigmoid())
    x = torch.rand(200, 64, generator=torch.Generator().manual_seed(2))
    w = LatentExplorer((enc, dec), x, np.arange(200) % 4, image_shape=(8, 8), device="cpu")
    open_export(page, export_html(w, tmp_path / "latent_dark.html"))
    root = page.locator(WIDGET)
    scatter = root.locator("canvas.dlw-latent-scatter")
    panel = root.locator("canvas.dlw-latent-panel")
    index, (px, py) = _isolated_point(w.projection)
    box = scatter.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + px, box["y"] + py)  # the Point tab labels its images
    page.wait_for_function("(el) => el.textContent.includes('point #')",
                           arg=root.locator(".dlw-latent-panel-text").element_handle())
    ticks = (44.0, 474.0, 460.0, 16.0)  # the x-axis tick labels under the plot (CSS px)
    labels = (0.0, 0.0, 400.0, 16.0)  # "input", "reconstruction", ... above the panel's images
    light, ink = _text_contrast(page, scatter, ticks)
    assert ink["bg"] == [255, 255, 255]
    assert light >= 4.5
    assert _text_contrast(page, panel, labels)[0] >= 4.5
    page.evaluate("() => document.body.setAttribute('data-jp-theme-light', 'false')")
    page.wait_for_function(
        """(canvas) => { const p = canvas.getContext('2d').getImageData(1, 1, 1, 1).data;
                         return p[0] < 80 && p[1] < 80 && p[2] < 80; }""",
        arg=scatter.element_handle())
    dark, ink = _text_contrast(page, scatter, ticks)
    assert sum(ink["bg"]) < 3 * 80, "the dark theme did not reach the canvas"
    assert dark >= 4.5, f"tick labels at contrast {dark:.2f} on the dark background"
    panel_dark, _ = _text_contrast(page, panel, labels)
    assert panel_dark >= 4.5, f"panel labels at contrast {panel_dark:.2f} on the dark background"
    harness.assert_no_console_errors(log)


# ---- t-SNE and UMAP views: not invertible, so hovering shows the nearest data point -----------

NOTE = ".dlw-latent-view-note"


def _hover_point(page: Any, canvas: Any, proj: np.ndarray) -> tuple[int, dict[str, Any]]:
    """Hover the most isolated point of the view ``proj`` and wait for its decoding."""
    index, (px, py) = _isolated_point(proj)
    box = canvas.bounding_box()
    assert box is not None
    count = page.evaluate(HOVERS)
    page.mouse.move(box["x"] + px, box["y"] + py)
    page.wait_for_function(f"(n) => ({HOVERS})() > n", arg=count)
    return index, dict(page.evaluate(LAST))


def test_exported_page_offers_the_embeddings_computed_before_the_export(
        offline_page: tuple[Any, harness.ConsoleLog], tmp_path: pathlib.Path) -> None:
    page, log = offline_page
    torch.manual_seed(5)
    model = GeluVAE()
    x = torch.rand(240, 64, generator=torch.Generator().manual_seed(6))
    w = LatentExplorer(model, x, np.arange(240) % 4, image_shape=(8, 8), device="cpu")
    w.use_tsne()
    has_umap = not w.views_unavailable
    if has_umap:
        w.use_umap()
    w.use_pca()
    open_export(page, export_html(w, tmp_path / "latent_views.html"))
    root = page.locator(WIDGET)
    scatter = root.locator("canvas.dlw-latent-scatter")
    select = root.locator("select.dlw-latent-mode")
    assert select.is_enabled()
    assert not root.locator("select.dlw-latent-mode option[value=tsne]").is_disabled()
    assert root.locator("select.dlw-latent-mode option[value=dims]").is_disabled()
    assert not root.locator(NOTE).is_visible()
    pca = harness.canvas_signature(scatter)
    select.select_option("tsne")
    page.wait_for_function("(el) => el.textContent.includes('not invertible')",
                           arg=root.locator(NOTE).element_handle())
    assert root.locator(NOTE).is_visible()
    page.wait_for_timeout(200)
    tsne = harness.canvas_signature(scatter)
    assert tsne != pca, "choosing t-SNE did not change the scatter"
    assert harness.canvas_ink(scatter) > 0.02
    assert root.locator("input.dlw-latent-lattice").is_disabled()
    # hovering a point shows that point and its own reconstruction (in the page's MLP)
    index, last = _hover_point(page, scatter, w.embedding("tsne"))
    assert last["index"] == index and last["how"] == f"point #{index}, in browser"
    with torch.no_grad():
        ref = model.decode(torch.tensor(w.codes[index][None])).numpy()[0]
    np.testing.assert_allclose(last["out"], ref, atol=1e-4, rtol=0)
    readout = root.locator(".dlw-latent-hover").text_content() or ""
    assert "not invertible" in readout and f"#{index}" in readout
    if has_umap:
        select.select_option("umap")
        page.wait_for_function("(el) => el.textContent.startsWith('UMAP')",
                               arg=root.locator(NOTE).element_handle())
        page.wait_for_timeout(200)
        assert harness.canvas_signature(scatter) not in (pca, tsne)
        index, last = _hover_point(page, scatter, w.embedding("umap"))
        assert last["index"] == index
    else:
        assert root.locator("select.dlw-latent-mode option[value=umap]").is_disabled()
    # back to PCA: hovering decodes positions again
    select.select_option("pca")
    page.wait_for_function("(el) => el.style.display === 'none'",
                           arg=root.locator(NOTE).element_handle())
    page.wait_for_timeout(200)
    assert harness.canvas_signature(scatter) == pca
    assert _hover(page, scatter, 0.4, 0.6)["how"] == "in browser"
    harness.assert_no_console_errors(log)


VIEW_CELLS = [
    """import sys
sys.modules["umap"] = None  # this kernel behaves as if umap-learn were not installed
import numpy as np, torch
from torch import nn
import dlwidgets
torch.manual_seed(0)
enc = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 3))
dec = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 16), nn.Sigmoid())
x = torch.rand(300, 16, generator=torch.Generator().manual_seed(1))
w = dlwidgets.LatentExplorer((enc, dec), x, np.arange(300) % 5, image_shape=(4, 4))
w""",
]


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_tsne_view_in_notebooks(page: Any, console: harness.ConsoleLog, jupyter: harness.Server,
                                frontend: str) -> None:
    nb = harness.write_notebook(jupyter.root, f"latent_views_{frontend}.ipynb", VIEW_CELLS)
    harness.open_in(frontend)(page, jupyter, nb)
    root = page.locator(WIDGET)
    root.wait_for()
    scatter = root.locator("canvas.dlw-latent-scatter")
    note = root.locator(NOTE)
    # without umap-learn the UMAP view is offered disabled, with the install hint
    umap = root.locator("select.dlw-latent-mode option[value=umap]")
    assert umap.is_disabled()
    assert "pip install dlwidgets[umap]" in (umap.text_content() or "")
    assert "pip install dlwidgets[umap]" in (umap.get_attribute("title") or "")
    before = harness.canvas_signature(scatter)
    root.locator("select.dlw-latent-mode").select_option("tsne")
    # Python computes it in a worker, then the page draws it and says it is not invertible
    page.wait_for_function("(el) => el.textContent.includes('not invertible')",
                           arg=note.element_handle(), timeout=180_000)
    assert note.is_visible()
    assert harness.kernel_value(page, "[w.projection_mode, w.view_status]") == ["tsne", ""]
    page.wait_for_timeout(300)
    assert harness.canvas_signature(scatter) != before, "choosing t-SNE did not change the scatter"
    proj = np.array(harness.kernel_value(page, "w.projection.tolist()"))
    ref = np.array(harness.kernel_value(page, "w.embedding('tsne').tolist()"))
    np.testing.assert_array_equal(proj, ref)
    # hovering: the nearest point's own reconstruction, in the browser, then through the kernel
    index, last = _hover_point(page, scatter, proj)
    assert last["index"] == index and "in browser" in last["how"]
    root.locator("select.dlw-latent-decode-path").select_option("kernel")
    harness.wait_kernel_value(page, "w.decode_path", "kernel")
    page.mouse.move(0, 0)
    index, last = _hover_point(page, scatter, proj)
    assert last["how"] == f"point #{index}, kernel"
    want = harness.kernel_value(page, f"w.decode(w.codes[{index}]).reshape(-1).tolist()")
    np.testing.assert_allclose(last["out"], want, atol=1e-6)
    assert "not invertible" in (root.locator(".dlw-latent-hover").text_content() or "")
    assert not (root.locator(".dlw-latent-problem").text_content() or "")
    harness.screenshot(root, f"latent_explorer_tsne{harness.frontend_suffix(frontend)}",
                       docs=frontend == "lab")
    harness.assert_no_console_errors(console)


def test_tsne_view_in_voila(page: Any, console: harness.ConsoleLog,
                            voila: harness.Server) -> None:
    """Voilà (no notebook, only the rendered outputs): the t-SNE view is computed by the kernel
    on choice, drawn, labelled not invertible, and hovering shows the nearest data point."""
    nb = harness.write_notebook(voila.root, "latent_views_voila.ipynb", VIEW_CELLS)
    harness.open_in_voila(page, voila, nb)
    root = page.locator(WIDGET)
    scatter = root.locator("canvas.dlw-latent-scatter")
    scatter.wait_for()
    note = root.locator(NOTE)
    assert root.locator("select.dlw-latent-mode option[value=umap]").is_disabled()
    before = harness.canvas_signature(scatter)
    root.locator("select.dlw-latent-mode").select_option("tsne")
    page.wait_for_function("(el) => el.textContent.includes('not invertible')",
                           arg=note.element_handle(), timeout=180_000)
    page.wait_for_timeout(300)
    assert harness.canvas_signature(scatter) != before, "choosing t-SNE did not change the scatter"
    shown = {_hover(page, scatter, fx, fy)["how"] for fx, fy in [(0.2, 0.3), (0.7, 0.6)]}
    assert all(how.startswith("point #") for how in shown), shown
    assert "not invertible" in (root.locator(".dlw-latent-hover").text_content() or "")
    assert not (root.locator(".dlw-latent-problem").text_content() or "")
    harness.assert_no_console_errors(console)
