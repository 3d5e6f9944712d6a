"""Benchmarks of the optimizer race and the network loss landscape (issue 8).

Run: ``python benchmarks/bench_optimizer_race.py`` (add ``--full-naive`` to time the naive race
on all 256 starts instead of a measured subset scaled up; add ``--quick`` for a smoke run).

1. Many starting points: the batched race (one torch.optim optimizer per entry over an (n, 2)
   tensor, one shared forward/backward per step) against the naive way (one torch.optim
   optimizer per start point on a (2,) tensor, each stepped in a Python loop), 8 optimizers x
   256 starts x 500 steps on Rosenbrock. Trajectories are checked equal within 1e-5.
2. Recompute after a slider change, through the widget (8 optimizers x 500 steps + a 256x256
   surface): the time from setting one optimizer's learning rate to the synced state being
   updated, median of repeated changes; plus a full recompute (new start: all 8 re-run).
3. Network landscape grid 51x51: batched (an MLP: first layer as z* + a*z1 + b*z2, then one
   baddbmm per layer over a chunk of grid points; other models: functional_call + vmap) against a loop of
   load-weights-and-evaluate, for MLPs 2-16-16-2 and 2-32-32-2 on 512 two-moons points and an
   MLP 64-64-10 on 1024 scikit-learn digits (generated or bundled, nothing downloaded).
4. ``--browser``: playback frames per second in headless Chromium (/usr/bin/chromium
   --headless --no-sandbox --disable-gpu) of an exported race, 8 trails x 500 steps over a
   256x256 heatmap, counted with requestAnimationFrame while playing at a speed where every
   animation frame draws a new step.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import time

import numpy as np
import torch

from dlwidgets.engine.landscape import loss_landscape_2d, loss_landscape_loop
from dlwidgets.engine.race import (
    DEFAULT_RACE,
    resolve_optimizers,
    run_race,
    run_race_naive,
    swarm_starts,
)
from dlwidgets.engine.surfaces import evaluate_grid, get_surface


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench_many_starts(n_starts: int, steps: int, naive_starts: int) -> None:
    surface = get_surface("rosenbrock")
    specs = resolve_optimizers(list(DEFAULT_RACE), surface)
    starts = swarm_starts(surface, n_starts, seed=0, first=(-1.5, 2.0))
    run_race(surface, specs, starts[:4], 5)  # warm-up
    t_batched, result = _timed(lambda: run_race(surface, specs, starts, steps), repeat=3)
    sub = starts[:naive_starts]
    t_naive_sub, naive = _timed(lambda: run_race_naive(surface, specs, sub, steps))
    naive_pos, _ = naive  # type: ignore[misc]
    diff = float(np.max(np.abs(result.positions[:, :, :naive_starts] - naive_pos)))
    scale = n_starts / naive_starts
    t_naive = t_naive_sub * scale
    how = "measured" if naive_starts == n_starts else \
        f"measured on {naive_starts} starts x {scale:g} (per-start loops are independent)"
    print(f"[many starts] {len(specs)} optimizers x {n_starts} starts x {steps} steps")
    print(f"  batched: {t_batched * 1e3:9.1f} ms (median of 3)")
    print(f"  naive:   {t_naive * 1e3:9.1f} ms ({how})")
    print(f"  ratio:   {t_naive / t_batched:9.1f}x   max |batched - naive| = {diff:.2e} "
          f"over {naive_starts} starts")
    assert diff <= 1e-5, "batched and naive trajectories differ"


def bench_recompute(steps: int, resolution: int, repeat: int) -> None:
    from dlwidgets.widgets.optimizer_race import OptimizerRace

    race = OptimizerRace(surface="rosenbrock", optimizers=list(DEFAULT_RACE), start=(-1.5, 2.0),
                         steps=steps, resolution=resolution)
    lrs = np.geomspace(0.01, 0.1, repeat + 1)
    times = []
    for lr in lrs:  # the first change is a warm-up
        t0 = time.perf_counter()
        race.set_hyper("adam", lr=float(lr))
        times.append(time.perf_counter() - t0)
    slider = times[1:]
    full = []
    for k in range(max(3, repeat // 3)):
        t0 = time.perf_counter()
        race.start = (-1.5 + 0.01 * k, 2.0)
        full.append(time.perf_counter() - t0)
    t_grid, _ = _timed(lambda: evaluate_grid(race.surface, resolution), repeat=5)
    print(f"[recompute] 8 optimizers x {steps} steps + {resolution}x{resolution} surface, "
          "through the widget")
    print(f"  slider change (one optimizer re-run, state updated): median "
          f"{statistics.median(slider) * 1e3:7.1f} ms  (min {min(slider) * 1e3:.1f}, "
          f"max {max(slider) * 1e3:.1f}, n={len(slider)})")
    print(f"  full recompute (new start: all 8 re-run):            median "
          f"{statistics.median(full) * 1e3:7.1f} ms  (n={len(full)})")
    print(f"  surface grid alone ({resolution}x{resolution}, one batched call): "
          f"{t_grid * 1e3:.2f} ms")


def _landscape_case(name: str, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                    resolution: int, repeat: int) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(100):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    loss_landscape_2d(model, (x, y), resolution=5, device="cpu")  # warm-up
    t_batched, res = _timed(lambda: loss_landscape_2d(model, (x, y), resolution=resolution,
                                                      device="cpu"), repeat=repeat)
    t_loop, ref = _timed(lambda: loss_landscape_loop(model, (x, y), resolution=resolution,
                                                     device="cpu"))
    diff = float(np.max(np.abs(res.loss - ref)))  # type: ignore[union-attr]
    n_params = sum(p.numel() for p in model.parameters())
    print(f"  {name} ({n_params} parameters, {len(x)} samples): batched "
          f"{t_batched * 1e3:.0f} ms (median of {repeat}), loop {t_loop * 1e3:.0f} ms, "
          f"ratio {t_loop / t_batched:.1f}x, max |batched - loop| = {diff:.1e}")
    if torch.cuda.is_available():
        loss_landscape_2d(model, (x, y), resolution=5, device="cuda")
        t_gpu, _ = _timed(lambda: loss_landscape_2d(model, (x, y), resolution=resolution,
                                                    device="cuda"), repeat=repeat)
        t_gpu_loop, _ = _timed(lambda: loss_landscape_loop(model, (x, y), resolution=resolution,
                                                           device="cuda"))
        print(f"    GPU ({torch.cuda.get_device_name()}): batched {t_gpu * 1e3:.1f} ms, loop "
              f"{t_gpu_loop * 1e3:.1f} ms, ratio {t_gpu_loop / t_gpu:.1f}x")


def bench_landscape(resolution: int, repeat: int, quick: bool = False) -> None:
    from sklearn.datasets import load_digits, make_moons

    print(f"[landscape] {resolution}x{resolution} grid, batched vs a "
          "loop of load-weights-and-evaluate, CPU")
    xm, ym = make_moons(256 if quick else 512, noise=0.2, random_state=0)
    for hidden in (16, 32):
        torch.manual_seed(0)
        mlp = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(hidden, 2))
        _landscape_case(f"two moons, MLP 2-{hidden}-{hidden}-2", mlp,
                        torch.tensor(xm, dtype=torch.float32), torch.tensor(ym), resolution, repeat)
    digits = load_digits()
    n = 256 if quick else 1024
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    _landscape_case("digits, MLP 64-64-10", net,
                    torch.tensor(digits.data[:n] / 16.0, dtype=torch.float32),
                    torch.tensor(digits.target[:n]), resolution, repeat)
    if not torch.cuda.is_available():
        print("  GPU: not measured, no CUDA device in this session")


def bench_browser(seconds: float, repeat: int) -> None:
    import tempfile

    from playwright.sync_api import sync_playwright

    from dlwidgets import export_html
    from dlwidgets.widgets.optimizer_race import OptimizerRace

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from tests.browser import harness

    race = OptimizerRace("rosenbrock", list(DEFAULT_RACE), steps=500, resolution=256)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_html(race, f"{tmp}/race.html", title="fps")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=harness.CHROMIUM,
                                         args=harness.CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(path.resolve().as_uri())
            page.wait_for_selector("body[data-dlw-ready='true']")
            # 1x plays 500 steps in 8 s (62.5 steps/s): every 60 Hz frame draws a new step
            page.select_option(".dlw-race-speed", "2")
            runs = []
            for _ in range(repeat):
                page.fill(".dlw-scrub", "0")
                root = page.locator("[data-dlw-widget='optimizer-race']")
                runs.append(harness.measure_playback(page, root, seconds))
            browser.close()
    fps = [r["fps"] for r in runs]
    draws = [r["draws_per_s"] for r in runs]
    print(f"[browser] exported race, 8 trails x 500 steps over a 256x256 heatmap, "
          f"headless Chromium, {seconds:g} s x {repeat}")
    print(f"  requestAnimationFrame rate while playing: median {statistics.median(fps):.1f} "
          f"frames/s (min {min(fps):.1f}); new steps drawn {statistics.median(draws):.1f}/s; "
          f"draw time {runs[-1]['draw_ms']:.2f} ms per frame")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--full-naive", action="store_true",
                        help="time the naive race on all starts (several minutes)")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: keep)")
    parser.add_argument("--browser", action="store_true",
                        help="also measure playback fps in headless Chromium (needs playwright)")
    parser.add_argument("--only", choices=["starts", "recompute", "landscape", "browser"],
                        help="run one part")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {load:.1f}, python {sys.version.split()[0]}")
    if args.quick:
        bench_many_starts(16, 50, 4)
        bench_recompute(100, 64, 3)
        bench_landscape(11, 1, quick=True)
        if args.browser:
            bench_browser(1.0, 1)
        return
    if args.only in (None, "starts"):
        bench_many_starts(256, 500, 256 if args.full_naive else 32)
    if args.only in (None, "recompute"):
        bench_recompute(500, 256, 15)
    if args.only in (None, "landscape"):
        bench_landscape(51, 3)
    if args.browser or args.only == "browser":
        bench_browser(3.0, 3)


if __name__ == "__main__":
    main()
