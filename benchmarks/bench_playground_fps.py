"""Playground frame rate in headless Chromium (/usr/bin/chromium --headless --no-sandbox
--disable-gpu), side by side with TensorFlow Playground's per-frame work, in one run.

Run: ``python benchmarks/bench_playground_fps.py`` (``--seconds S`` per measurement,
``--no-lab`` to skip the live JupyterLab part).

Model: 6 hidden layers × 8 tanh units on 500 spiral points (250 train), 100×100 boundary and all
48 unit maps (25×25) evaluated in the browser from the streamed weights.

1. Live, in a real JupyterLab while the lab trains (speed 0: as fast as the CPU goes): animation
   frames per second of the page (requestAnimationFrame ticks), frames drawn per second (each a
   new set of weights from Python, at most 40 Hz by design) and the milliseconds of one full
   redraw (grid + maps + painting), plus the CPU seconds Chromium and the kernel used.
2. Capacity, on an exported page (no kernel): a full frame (evaluate 100×100 + 48 maps, paint
   regions, contour, diagram and curves) repeated from replay frames: ms per frame → frames/s.
3. Anchor, in the same browser: benchmarks/playground_anchor.js, a plain-JS loop doing what
   TensorFlow Playground's code does per frame (one epoch of per-example SGD on its own object
   graph network of the same shape + every node's output on a 100×100 grid + painting).

``--calibrate`` instead measures the exported page's full frame for 6 hidden layers of several
widths and fits ms per frame against the multiply-adds per frame (``frame_work``, what the
lab's size warning counts): the work at which a frame takes 1/30 s is what FRAME_BUDGET_MACS
in widgets/playground.py should be.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tempfile
import time
from typing import Any

import psutil

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dlwidgets  # noqa: E402
from dlwidgets.widgets.playground import FRAME_BUDGET_MACS, frame_work  # noqa: E402
from tests.browser import harness  # noqa: E402

WIDGET = "[data-dlw-widget='playground']"
HOOK = f"document.querySelector(\"{WIDGET}\").dlwPlayground"
ARGS = dict(data="spiral", hidden=[8] * 6, activation="tanh", n_points=500, noise=0.1,
            lr=0.03, batch_size=10)

LIVE = """async (seconds) => {
  const root = document.querySelector("[data-dlw-widget='playground']");
  const hook = root.dlwPlayground;
  const d0 = hook.framesDrawn();
  const r0 = hook.framesReceived();
  const t0 = performance.now();
  let ticks = 0;
  let drawMs = 0;
  let samples = 0;
  await new Promise((resolve) => {
    const tick = (now) => {
      ticks++;
      const ms = Number(root.dataset.drawMs);
      if (ms > 0) { drawMs += ms; samples++; }
      if (now - t0 < seconds * 1000) requestAnimationFrame(tick); else resolve();
    };
    requestAnimationFrame(tick);
  });
  const elapsed = (performance.now() - t0) / 1000;
  return { raf_fps: ticks / elapsed, draws_per_s: (hook.framesDrawn() - d0) / elapsed,
           received_per_s: (hook.framesReceived() - r0) / elapsed,
           draw_ms: drawMs / Math.max(1, samples) };
}"""

CAPACITY = """async (frames) => {
  const root = document.querySelector("[data-dlw-widget='playground']");
  const hook = root.dlwPlayground;
  const scrub = root.querySelector(".dlw-scrub");
  const n = Number(scrub.max) + 1;
  const d0 = hook.framesDrawn();
  const times = [];
  const evals = [];
  for (let k = 0; k < frames; k++) {
    scrub.value = String(k % n);
    scrub.dispatchEvent(new Event("input", { bubbles: true }));
    times.push(hook.renderNow());
    evals.push(Number(root.dataset.evalMs));
    if (k % 10 === 0) await new Promise((r) => requestAnimationFrame(r));
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const sorted = times.slice().sort((a, b) => a - b);
  return { median_ms: median(times), p90_ms: sorted[Math.floor(sorted.length * 0.9)],
           evaluate_ms: median(evals), frames, drawn: hook.framesDrawn() - d0 };
}"""


def chromium_cpu() -> float:
    """CPU seconds (user + system) of the Chromium processes this run started (browser, GPU
    and renderers: Playwright's driver's descendants), so other jobs' browsers don't count."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name():
                t = proc.cpu_times()
                total += t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def capacity_and_anchor(browser: Any, seconds: float) -> dict[str, Any]:
    w = dlwidgets.Playground(**ARGS)
    w.train(epochs=30)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = dlwidgets.export_html(w, pathlib.Path(tmp) / "playground.html")
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("body[data-dlw-ready='true']")
        page.locator(f"{WIDGET} canvas.dlw-pg-regions").wait_for()
        page.evaluate(CAPACITY, 20)  # warm-up (JIT)
        c0 = chromium_cpu()
        t0 = time.perf_counter()
        out["capacity"] = page.evaluate(CAPACITY, 200)
        out["capacity"]["cpu_s"] = chromium_cpu() - c0
        out["capacity"]["wall_s"] = time.perf_counter() - t0
        page.close()
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    source = (ROOT / "benchmarks" / "playground_anchor.js").read_text()
    page.add_script_tag(content=source)
    c0 = chromium_cpu()
    out["anchor"] = page.evaluate(f"() => anchorFps({seconds})")
    out["anchor"]["cpu_s"] = chromium_cpu() - c0
    page.close()
    return out


def frame_ms(browser: Any, hidden: list[int], frames: int = 60) -> float:
    """Median ms of a full frame on an exported page of a lab with ``hidden`` layers."""
    w = dlwidgets.Playground(**{**ARGS, "hidden": hidden})
    w.train(epochs=2)
    with tempfile.TemporaryDirectory() as tmp:
        path = dlwidgets.export_html(w, pathlib.Path(tmp) / "playground.html", quiet=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("body[data-dlw-ready='true']")
        page.locator(f"{WIDGET} canvas.dlw-pg-regions").wait_for()
        page.evaluate(CAPACITY, 10)  # warm-up (JIT)
        result = page.evaluate(CAPACITY, frames)
        page.close()
    return float(result["median_ms"])


def calibrate(browser: Any) -> None:
    """ms per frame against multiply-adds per frame, 6 hidden layers of several widths."""
    rows = []
    for width in (8, 16, 24, 32, 48):
        hidden = [width] * 6
        work = frame_work(dlwidgets.Playground(**{**ARGS, "hidden": hidden})._desc)
        ms = frame_ms(browser, hidden)
        rows.append((width, work, ms))
        print(f"6 x {width:2d}: {work / 1e6:7.1f}M multiply-adds per frame, {ms:7.2f} ms per "
              f"full frame ({1000 / ms:5.1f} frames/s)")
    works = [r[1] for r in rows]
    times = [r[2] for r in rows]
    n = len(rows)
    mean_w, mean_t = sum(works) / n, sum(times) / n
    slope = sum((w - mean_w) * (t - mean_t) for w, t in zip(works, times)) / sum(
        (w - mean_w) ** 2 for w in works)
    base = mean_t - slope * mean_w
    budget = (1000 / 30 - base) / slope
    print(f"fit: {base:.2f} ms + {slope * 1e6:.3f} ms per million multiply-adds; 1/30 s at "
          f"{budget / 1e6:.1f}M multiply-adds per frame (FRAME_BUDGET_MACS is "
          f"{FRAME_BUDGET_MACS / 1e6:.0f}M)")


def live(browser: Any, seconds: float) -> dict[str, Any]:
    args = ", ".join(f"{k}={v!r}" for k, v in ARGS.items())
    cells = [f"import dlwidgets\nw = dlwidgets.Playground({args}, speed=0)\nw"]
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp) / "nb"
        root.mkdir()
        with harness.served(harness.start_jupyter, root, pathlib.Path(tmp) / "home") as server:
            nb = harness.write_notebook(root, "bench_playground.ipynb", cells)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            harness.open_in_lab(page, server, nb)
            page.locator(f"{WIDGET} canvas.dlw-pg-regions").wait_for()
            kernel_pid = harness.kernel_value(page, "__import__('os').getpid()")
            kernel = psutil.Process(int(kernel_pid))
            page.locator(f"{WIDGET} .dlw-pg-play").click()
            harness.wait_kernel_value(page, "w.status", "running")
            page.wait_for_timeout(1500)  # past the first frames
            c0, k0 = chromium_cpu(), sum(kernel.cpu_times()[:2])
            t0 = time.perf_counter()
            result = page.evaluate(LIVE, seconds)
            wall = time.perf_counter() - t0
            result["chromium_cpu_s"] = chromium_cpu() - c0
            result["kernel_cpu_s"] = sum(kernel.cpu_times()[:2]) - k0
            result["wall_s"] = wall
            result["epochs_per_s"] = None
            e0 = harness.kernel_value(page, "w.epoch")
            page.wait_for_timeout(2000)
            result["epochs_per_s"] = (harness.kernel_value(page, "w.epoch") - e0) / 2.0
            page.locator(f"{WIDGET} .dlw-pg-play").click()
            page.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-lab", action="store_true")
    parser.add_argument("--calibrate", action="store_true",
                        help="fit frame time against network size instead (the size warning)")
    opts = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=harness.CHROMIUM, args=harness.CHROMIUM_ARGS,
                                     headless=True)
        try:
            if opts.calibrate:
                calibrate(browser)
                return
            results = capacity_and_anchor(browser, opts.seconds)
            if not opts.no_lab:
                results["live"] = live(browser, opts.seconds)
        finally:
            browser.close()
    cap = results["capacity"]
    anchor = results["anchor"]
    # CPU milliseconds per frame: on a loaded machine the wall clock measures the queue for
    # the cores as much as the work, CPU time the work itself
    cap["cpu_ms_per_frame"] = 1000 * cap["cpu_s"] / max(1, cap["drawn"])
    anchor["cpu_ms_per_frame"] = 1000 * anchor["cpu_s"] / max(1, anchor["frames"])
    if "live" in results:
        lv = results["live"]
        lv["cpu_ms_per_frame"] = 1000 * lv["chromium_cpu_s"] / max(1, lv["draws_per_s"] * lv["wall_s"])
    print(json.dumps(results, indent=1))
    print(f"capacity (exported page): full frame {cap['median_ms']:.2f} ms median, "
          f"{cap['p90_ms']:.2f} ms p90 (evaluation {cap['evaluate_ms']:.2f} ms) → "
          f"{1000 / cap['median_ms']:.0f} frames/s (Chromium CPU {cap['cpu_s']:.2f} s over "
          f"{cap['wall_s']:.2f} s wall, {cap['cpu_ms_per_frame']:.1f} CPU ms per frame → "
          f"{1000 / cap['cpu_ms_per_frame']:.0f} frames per CPU second)")
    print(f"anchor (TF Playground's per-frame work): {anchor['fps']:.1f} frames/s, "
          f"{anchor['frame_ms']:.1f} ms per frame (Chromium CPU {anchor['cpu_s']:.2f} s for "
          f"{anchor['frames']} frames, {anchor['cpu_ms_per_frame']:.1f} CPU ms per frame → "
          f"{1000 / anchor['cpu_ms_per_frame']:.0f} frames per CPU second)")
    if "live" in results:
        lv = results["live"]
        print(f"live in JupyterLab while training: {lv['raf_fps']:.1f} animation frames/s, "
              f"{lv['draws_per_s']:.1f} new frames drawn/s of {lv['received_per_s']:.1f} received/s, "
              f"{lv['draw_ms']:.2f} ms per redraw, "
              f"{lv['epochs_per_s']:.1f} epochs/s; CPU over {lv['wall_s']:.1f} s wall: Chromium "
              f"{lv['chromium_cpu_s']:.2f} s ({lv['cpu_ms_per_frame']:.1f} CPU ms per frame drawn), "
              f"kernel {lv['kernel_cpu_s']:.2f} s")


if __name__ == "__main__":
    main()
