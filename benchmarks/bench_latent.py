"""Latent explorer benchmarks (run: python benchmarks/bench_latent.py [--no-browser] [--quick]).

Each figure is printed with the naive way measured in the same run:

1. Grid decoding in Python: a 32 x 32 lattice decoded in one batch on device() vs one code per
   forward call; on CUDA too when there is a GPU ("not measured" otherwise).
2. Encoding 100,000 samples in batches of 2048 vs one sample per call (timed on 5,000).
3. Hover-to-image latency in headless Chromium, pointer event's timestamp -> decoded image drawn
   (and our handler's own share): in-browser MLP path on an exported page, kernel path in a real
   JupyterLab (each hover waited for, then a burst to show request coalescing).
4. Panning a 100,000-point scatter: frames per second while dragging (pointer events once per
   animation frame, and Playwright's mouse), time to draw one frame, vs drawing the same points
   with one fillRect per point (the naive canvas way).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlwidgets import LatentExplorer, export_html  # noqa: E402
from dlwidgets.engine import latent as L  # noqa: E402

WIDGET = "[data-dlw-widget='latent-explorer']"


def timeit(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def trained_digits_ae(epochs: int) -> nn.Module:
    x, _ = L.load_digits_flat()
    torch.manual_seed(0)
    model = L.DigitsAE(2)
    for _ in L.train_chunks(model, x, epochs=epochs, device="cpu"):
        pass
    return model


# ------------------------------------------------------------------------------ Python side
def bench_grid(model: nn.Module) -> None:
    print("\n== 1. decoding a 32 x 32 lattice (digits decoder, 2-D codes) ==")
    x, _ = L.load_digits_flat()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        lm = L.on_device(L.resolve_model(model), torch.device(dev))
        codes = L.encode(lm, x, device=dev)
        plane = L.dims_plane(codes, 0, 1)
        pts = plane.to_latent(L.grid_points((-5, 5), (-5, 5), 32)).astype(np.float32)

        def batched(lm: L.LatentModel = lm, dev: str = dev, pts: np.ndarray = pts) -> None:
            L.decode(lm, pts, device=dev)
            if dev == "cuda":
                torch.cuda.synchronize()

        def naive(lm: L.LatentModel = lm, dev: str = dev, pts: np.ndarray = pts) -> None:
            with torch.no_grad():
                dec = lm.decoder
                for z in pts:
                    dec(torch.from_numpy(z[None]).to(dev)).cpu()

        threads = torch.get_num_threads()
        for nthreads in sorted({threads, 1}, reverse=True):
            torch.set_num_threads(nthreads)
            tb, tn = timeit(batched), timeit(naive, 2)
            print(f"{dev} ({nthreads} torch thread{'s' if nthreads > 1 else ''}): batched "
                  f"{tb * 1e3:.2f} ms, one code per call {tn * 1e3:.1f} ms -> {tn / tb:.0f}x")
        torch.set_num_threads(threads)
    if not torch.cuda.is_available():
        print("cuda: not measured, no CUDA device in this session")


def bench_encode() -> None:
    print("\n== 2. encoding 100,000 samples (64 -> 64 -> 2 encoder) ==")
    torch.manual_seed(0)
    model = L.DigitsAE(2)
    lm = L.resolve_model(model)
    x = torch.rand(100_000, 64)
    tb = timeit(lambda: L.encode(lm, x, device="cpu"), 3)
    sub = x[:5000]

    def naive() -> None:
        with torch.no_grad():
            for row in sub:
                model.encoder(row[None])

    tn = timeit(naive, 1) * (100_000 / 5000)
    print(f"batched (2048): {tb * 1e3:.0f} ms; one sample per call: {tn:.1f} s "
          f"(timed on 5,000) -> {tn / tb:.0f}x")


# ------------------------------------------------------------------------------ browser side
HOVER_JS = f"""(n) => document.querySelector("{WIDGET}").dlwStats.hover.length > n"""
STATS_JS = f"""() => {{ const s = document.querySelector("{WIDGET}").dlwStats;
  return {{hover: s.hover.slice(), work: s.hoverWork.slice(), how: s.hoverPath.slice(),
           kernel: s.kernelMs.slice(), req: s.requests()}}; }}"""


def hover_many(page: Any, count: int, wait: bool) -> dict[str, Any]:
    canvas = page.locator(f"{WIDGET} canvas.dlw-latent-scatter")
    box = canvas.bounding_box()
    start = page.evaluate(STATS_JS)
    n0 = len(start["hover"])
    rng = np.random.default_rng(0)
    for _ in range(count):
        fx, fy = rng.uniform(0.05, 0.95, 2)
        before = page.evaluate(f"() => document.querySelector(\"{WIDGET}\").dlwStats.hover.length")
        page.mouse.move(box["x"] + 44 + 460 * fx, box["y"] + 10 + 460 * fy)
        if wait:
            page.wait_for_function(HOVER_JS, arg=before)
    page.wait_for_timeout(500)
    end = page.evaluate(STATS_JS)
    k0 = len(start["kernel"])
    return {"hover": end["hover"][n0:], "work": end["work"][n0:], "how": end["how"][n0:],
            "kernel": end["kernel"][k0:], "req": end["req"], "req0": start["req"]}


def report_hover(name: str, res: dict[str, Any]) -> None:
    h, w = res["hover"], res["work"]
    print(f"{name}: {len(h)} hovers; pointer event -> image drawn median {pct(h, 50):.1f} ms, "
          f"p95 {pct(h, 95):.1f} ms; our handler -> drawn median {pct(w, 50):.2f} ms, "
          f"p95 {pct(w, 95):.2f} ms ({', '.join(sorted(set(res['how'])))})")
    if res["kernel"]:
        k = res["kernel"]
        print(f"    of which Python decoding: median {pct(k, 50):.2f} ms, p95 {pct(k, 95):.2f} ms; "
              "the rest is the trip page -> server -> kernel -> page")


PAN_JS = f"""async (seconds) => {{
  const root = document.querySelector("{WIDGET}");
  const c = root.querySelector('canvas.dlw-latent-scatter');
  root.querySelector('.dlw-latent-tool-pan').click();
  const r = c.getBoundingClientRect();
  let x = r.left + 250, y = r.top + 250;
  const opts = (px, py) => ({{ clientX: px, clientY: py, bubbles: true, pointerId: 1,
                              pointerType: 'mouse', button: 0, buttons: 1 }});
  c.dispatchEvent(new PointerEvent('pointerdown', opts(x, y)));
  const t0 = performance.now();
  let i = 0;
  await new Promise((done) => {{
    const step = () => {{
      i++; x += 4 * Math.cos(i / 15); y += 4 * Math.sin(i / 15);
      c.dispatchEvent(new PointerEvent('pointermove', opts(x, y)));
      if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(step); else done();
    }};
    requestAnimationFrame(step);
  }});
  c.dispatchEvent(new PointerEvent('pointerup', opts(x, y)));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const s = root.dlwStats;
  const frames = s.frames.filter((t) => t >= t0);
  const k = frames.length;
  return {{ frames: k, seconds: (frames[k - 1] - frames[0]) / 1000, moves: i,
           drawMs: s.drawMs.slice(-k), drawn: s.drawn }};
}}"""

NAIVE_JS = """(n) => {
  const cv = document.createElement('canvas'); cv.width = 460; cv.height = 460;
  const ctx = cv.getContext('2d');
  const colors = ['#4e79a7','#f28e2c','#e15759','#76b7b2','#59a14f','#edc949','#af7aa1',
                  '#ff9da7','#9c755f','#bab0ab'];
  const xs = new Float32Array(n), ys = new Float32Array(n);
  for (let i = 0; i < n; i++) { xs[i] = Math.random() * 460; ys[i] = Math.random() * 460; }
  const times = [];
  for (let rep = 0; rep < 5; rep++) {
    const t = performance.now();
    ctx.clearRect(0, 0, 460, 460);
    for (let i = 0; i < n; i++) { ctx.fillStyle = colors[i % 10]; ctx.fillRect(xs[i], ys[i], 2, 2); }
    ctx.getImageData(0, 0, 1, 1);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[2];
}"""


# A widget that only echoes: what any custom-message round trip costs on this machine.
ECHO_CELL = '''import anywidget
class Echo(anywidget.AnyWidget):
    _esm = """export default { render({ model, el }) {
      window.__echo = [];
      model.on("msg:custom", (c) => window.__echo.push(performance.now() - c.t0));
      window.__echoSend = () => model.send({ t0: performance.now() });
      el.textContent = "echo";
    } }"""
    def __init__(self):
        super().__init__()
        self.on_msg(lambda _w, content, _b: self.send(content))
Echo()'''


def bench_browser(quick: bool) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import harness

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench_latent_"))
    model = trained_digits_ae(20 if quick else 40)
    x, y = L.load_digits_flat()
    w = LatentExplorer(model, x, y, image_shape=(8, 8), device="cpu")
    page_path = export_html(w, tmp / "digits.html")
    # 100k points: a linear autoencoder on a 10-cluster mixture in 16-D
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((10, 16)) * 3
    labels = rng.integers(0, 10, 100_000)
    big = (centres[labels] + rng.standard_normal((100_000, 16))).astype(np.float32)
    torch.manual_seed(0)
    enc, dec = nn.Linear(16, 2), nn.Sequential(nn.Linear(2, 16))
    wbig = LatentExplorer((enc, dec), big, labels, device="cpu")
    big_path = export_html(wbig, tmp / "big.html")
    print(f"\n(pages: digits {page_path.stat().st_size / 1e6:.1f} MB, "
          f"100k points {big_path.stat().st_size / 1e6:.1f} MB)")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=harness.CHROMIUM,
                                     args=harness.CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(page_path.resolve().as_uri())
        page.wait_for_selector("body[data-dlw-ready='true']")
        print("\n== 3. hover-to-image latency (digits decoder, headless Chromium) ==")
        browser_res = hover_many(page, 60 if quick else 200, wait=True)
        report_hover("in-browser MLP (exported page)", browser_res)

        print("\n== 4. panning 100,000 points ==")
        page.goto(big_path.resolve().as_uri())
        page.wait_for_selector("body[data-dlw-ready='true']")
        page.wait_for_timeout(500)
        pan = page.evaluate(PAN_JS, 3)
        fps = (pan["frames"] - 1) / pan["seconds"]
        draw = pan["drawMs"]
        print(f"pointer moves once per animation frame: {fps:.0f} frames/s over "
              f"{pan['seconds']:.1f} s ({pan['moves']} moves, {pan['drawn']:,} points drawn in "
              f"the last frame); one frame draws in median {pct(draw, 50):.1f} ms, "
              f"p95 {pct(draw, 95):.1f} ms")
        canvas = page.locator(f"{WIDGET} canvas.dlw-latent-scatter")
        box = canvas.bounding_box()
        page.evaluate(f"() => document.querySelector(\"{WIDGET}\").dlwStats.frames.length = 0")
        page.mouse.move(box["x"] + 250, box["y"] + 250)
        page.mouse.down()
        t = time.perf_counter()
        moves = 0
        while time.perf_counter() - t < 3:
            moves += 1
            page.mouse.move(box["x"] + 250 + 80 * np.cos(moves / 10),
                            box["y"] + 250 + 80 * np.sin(moves / 10))
        page.mouse.up()
        frames = page.evaluate(f"() => document.querySelector(\"{WIDGET}\").dlwStats.frames")
        span = (frames[-1] - frames[0]) / 1000 if len(frames) > 1 else float("nan")
        print(f"Playwright mouse drag: {(len(frames) - 1) / span:.0f} frames/s "
              f"({moves} mouse moves in 3 s)")
        naive = page.evaluate(NAIVE_JS, 100_000)
        print(f"naive fillRect per point: {naive:.1f} ms per frame (max {1000 / naive:.0f} "
              f"frames/s) vs pixel buffer {pct(draw, 50):.1f} ms -> "
              f"{naive / pct(draw, 50):.1f}x")
        browser.close()

        kernel_medians = {}
        for nodelay in (False, True):
            label = "with dlwidgets' server extension: TCP_NODELAY" if nodelay else \
                "stock jupyter_server, extension disabled"
            print(f"\n== 3b. hover-to-image latency through the kernel (JupyterLab, {label}) ==")
            kernel_medians[nodelay] = bench_kernel(pw, harness, tmp / f"lab{int(nodelay)}",
                                                   model, x, y, quick, nodelay)
        ratio = kernel_medians[False] / pct(browser_res["hover"], 50)
        print(f"\nin-browser vs kernel (stock server, median pointer -> image): {ratio:.1f}x "
              "faster")


# jupyter_server's websockets leave Nagle's algorithm on: a small reply written right after the
# kernel's small "busy" status waits for the browser's delayed ACK (~40 ms on Linux). dlwidgets'
# server extension (dlwidgets_server, enabled by pip) sets TCP_NODELAY; the stock run turns it
# off in the user's config, as `jupyter server extension disable --user dlwidgets_server` does.
DISABLE_EXTENSION = '{"ServerApp": {"jpserver_extensions": {"dlwidgets_server": false}}}'


def bench_kernel(pw: Any, harness: Any, tmp: pathlib.Path, model: nn.Module, x: np.ndarray,
                 y: np.ndarray, quick: bool, nodelay: bool) -> float:
    nbdir = tmp / "nb"
    nbdir.mkdir(parents=True)
    np.save(nbdir / "x.npy", x)
    np.save(nbdir / "y.npy", y)
    torch.save(model.state_dict(), nbdir / "ae.pt")
    cells = ["import numpy as np, torch, dlwidgets\nfrom dlwidgets.engine import latent as L\n"
             "m = L.DigitsAE(2); m.load_state_dict(torch.load('ae.pt'))\n"
             "w = dlwidgets.LatentExplorer(m, np.load('x.npy'), np.load('y.npy'), "
             "image_shape=(8, 8), device='cpu')\nw.decode_path = 'kernel'\nw",
             ECHO_CELL]
    nb = harness.write_notebook(nbdir, "bench.ipynb", cells)
    home = tmp / "home"
    (home / "config").mkdir(parents=True)
    if not nodelay:
        confd = home / "config" / "jupyter_server_config.d"
        confd.mkdir(parents=True)
        (confd / "dlwidgets_server.json").write_text(DISABLE_EXTENSION)
    server = harness.start_jupyter(nbdir, home)
    try:
        browser = pw.chromium.launch(executable_path=harness.CHROMIUM,
                                     args=harness.CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        harness.open_in_lab(page, server, nb)
        page.wait_for_selector(WIDGET)
        page.wait_for_timeout(1000)
        hover_many(page, 10, wait=True)  # warm up
        kernel_res = hover_many(page, 40 if quick else 150, wait=True)
        report_hover("kernel round trip (each hover waited for)", kernel_res)
        burst = hover_many(page, 200, wait=False)
        sent = burst["req"]["sent"] - burst["req0"]["sent"]
        dropped = burst["req"]["dropped"] - burst["req0"]["dropped"]
        print(f"burst of 200 pointer moves without waiting: {sent} requests sent, "
              f"{dropped} stale positions dropped, {len(burst['hover'])} images drawn; "
              f"pointer -> image median {pct(burst['hover'], 50):.1f} ms")
        for i in range(100):
            page.evaluate("() => window.__echoSend()")
            page.wait_for_function("(n) => window.__echo.length > n", arg=i)
        echo = page.evaluate("() => window.__echo")
        print(f"floor of the platform, an empty custom message page -> kernel -> page: "
              f"median {pct(echo, 50):.1f} ms, p95 {pct(echo, 95):.1f} ms (100 round trips)")
        browser.close()
        return pct(kernel_res["hover"], 50)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DLWIDGETS_DEVICE", "cpu")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores, load average {load:.1f}, "
          f"CUDA: {torch.cuda.is_available()}")
    model = trained_digits_ae(10)
    bench_grid(model)
    bench_encode()
    if not args.no_browser:
        bench_browser(args.quick)


if __name__ == "__main__":
    main()
