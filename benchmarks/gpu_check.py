"""One prepared check of the GPU execution layer: the `gpu` tests, then every benchmark on the device.

Run on a CUDA machine (about 3-5 minutes on one GPU):

    python benchmarks/gpu_check.py --out gpu_results

It prints the device and the torch / CUDA / cuDNN versions, runs every test marked `gpu`
(pytest, on the device), then times each benchmark on the device and, with the same code and
sizes, on this machine's CPU ("side by side"), and writes everything to ``gpu_check.json`` and
``gpu_check.md`` in the output folder. It exits non-zero when a test fails or a benchmark
breaks; a target that is not met is reported, not an error.

``--device cpu --quick`` runs the same code path on the CPU at small sizes: tests/test_gpu_check.py
does that in CI so this script never rots between GPU sessions. Every timing on CUDA is taken
between two ``torch.cuda.synchronize()`` calls.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import bench_conv_trace  # noqa: E402
import bench_fit  # noqa: E402
import bench_inspect  # noqa: E402
import bench_lstm_trace  # noqa: E402

import dlwidgets  # noqa: E402
from dlwidgets.engine import latent as L  # noqa: E402
from dlwidgets.engine.attention import capture_attention  # noqa: E402
from dlwidgets.engine.datasets import load_dataset  # noqa: E402
from dlwidgets.engine.landscape import loss_landscape_2d, loss_landscape_loop  # noqa: E402
from dlwidgets.engine.race import (  # noqa: E402
    DEFAULT_RACE,
    resolve_optimizers,
    run_race,
    swarm_starts,
)
from dlwidgets.engine.surfaces import get_surface  # noqa: E402
from dlwidgets.widgets.training_monitor import TrainingMonitor  # noqa: E402


@dataclass
class Sizes:
    """Problem sizes: the issue's targets at full size, a smoke run with --quick."""

    race_starts: int = 4096
    race_steps: int = 500
    landscape_resolution: int = 51
    landscape_samples: int = 1024
    lstm: tuple[int, int, int, int, int] = (64, 256, 256, 256, 2)  # batch, T, input, hidden, layers
    fit_epochs: int = 4
    repeats: int = 5
    lattice: int = 32
    full: bool = True  # targets are judged at full size only

    @classmethod
    def quick(cls) -> Sizes:
        return cls(race_starts=64, race_steps=40, landscape_resolution=9, landscape_samples=128,
                   lstm=(4, 16, 16, 16, 1), fit_epochs=1, repeats=2, lattice=8, full=False)


@dataclass
class Figure:
    """One measured quantity of one benchmark on one device."""

    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None


@dataclass
class BenchResult:
    name: str
    what: str
    device: str
    figures: list[Figure] = field(default_factory=list)
    error: str = ""


def _target(sizes: Sizes, text: str, met: bool) -> tuple[str, bool | None]:
    """A speed target applies at full size; a --quick run only proves the code path."""
    return (text, met) if sizes.full else ("", None)


def sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def timed(fn: Callable[[], Any], dev: torch.device, repeats: int, warmup: int = 1) -> float:
    """Median seconds of ``repeats`` calls after ``warmup`` calls, synchronized on CUDA."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync(dev)
        t0 = time.perf_counter()
        fn()
        sync(dev)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ----------------------------------------------------------------------------- environment
def environment(dev: torch.device) -> dict[str, Any]:
    env: dict[str, Any] = {
        "device": str(dev), "python": platform.python_version(), "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(), "machine": platform.machine(),
        "cuda_available": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(dev if dev.type == "cuda" else 0)
        env.update({
            "gpu": props.name, "gpu_memory_gib": round(props.total_memory / 2**30, 1),
            "multiprocessors": props.multi_processor_count,
            "compute_capability": f"{props.major}.{props.minor}",
            "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
        })
    return env


# ----------------------------------------------------------------------------- tests
def gpu_test_files() -> list[str]:
    """Test files that hold a `gpu`-marked test."""
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.py")
                  if "mark.gpu" in p.read_text(encoding="utf-8"))


def run_gpu_tests(dev: torch.device, out: pathlib.Path, timeout: int = 300) -> dict[str, Any]:
    """Every `gpu` test, in a pytest subprocess; on the CPU through DLWIDGETS_TEST_DEVICE=cpu."""
    xml = out / "gpu_tests.xml"
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, DLWIDGETS_TEST_DEVICE=dev.type, PYTHONPATH=path)
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider",
           "-o", "addopts=", "--strict-markers", f"--junitxml={xml}", *gpu_test_files()]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        log = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        (out / "gpu_tests.log").write_text(log, encoding="utf-8")
        return {"returncode": -1, "seconds": timeout, "counts": {}, "cases": [],
                "summary": f"timed out after {timeout} s"}
    elapsed = time.perf_counter() - t0
    (out / "gpu_tests.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    cases: list[dict[str, str]] = []
    if xml.is_file():
        for case in ET.parse(xml).getroot().iter("testcase"):
            outcome = "passed"
            for tag in ("failure", "error", "skipped"):
                node = case.find(tag)
                if node is not None:
                    outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                    detail = (node.get("message") or "").splitlines()[:1]
                    break
            else:
                detail = []
            cases.append({"test": f"{case.get('classname')}::{case.get('name')}",
                          "outcome": outcome, "detail": detail[0] if detail else ""})
    counts = {k: sum(c["outcome"] == k for c in cases)
              for k in ("passed", "failed", "error", "skipped")}
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    return {"returncode": proc.returncode, "seconds": round(elapsed, 1), "counts": counts,
            "summary": tail, "cases": cases}


# ----------------------------------------------------------------------------- benchmarks
def bench_race(dev: torch.device, sizes: Sizes) -> BenchResult:
    surface = get_surface("rosenbrock")
    specs = resolve_optimizers(list(DEFAULT_RACE), surface)
    starts = swarm_starts(surface, sizes.race_starts, seed=0, first=(-1.5, 2.0))
    res = BenchResult("race", f"optimizer race, {len(specs)} optimizers x {sizes.race_starts} "
                      f"starts x {sizes.race_steps} steps, Rosenbrock", str(dev))
    run_race(surface, specs, starts[:8], 5, device=dev)  # warm-up (kernels, tracing)
    t = timed(lambda: run_race(surface, specs, starts, sizes.race_steps, device=dev), dev,
              max(1, min(3, sizes.repeats)), warmup=0)
    full = sizes.full and dev.type == "cuda"
    res.figures.append(Figure("race time", t, "s", "< 1 s on the GPU" if full else "",
                              (t < 1.0) if full else None))
    return res


def _digits_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 10))


def bench_landscape(dev: torch.device, sizes: Sizes) -> BenchResult:
    ds = load_dataset("digits", flat=True)
    n = sizes.landscape_samples
    x, y = torch.from_numpy(ds.x[:n]), torch.from_numpy(ds.y[:n])
    model = _digits_cnn()
    r = sizes.landscape_resolution
    res = BenchResult("landscape", f"network loss landscape {r}x{r}, small CNN "
                      f"(conv 8 3x3, pool, dense 10; {sum(p.numel() for p in model.parameters())} "
                      f"parameters) on {n} digits: batched vs load-weights loop", str(dev))
    loss_landscape_2d(model, (x, y), resolution=5, device=dev)  # warm-up
    batched = loss_landscape_2d(model, (x, y), resolution=r, device=dev)
    loop = loss_landscape_loop(model, (x, y), resolution=r, device=dev)
    diff = float(np.max(np.abs(batched.loss - loop)))
    t_b = timed(lambda: loss_landscape_2d(model, (x, y), resolution=r, device=dev), dev,
                sizes.repeats if dev.type == "cuda" else 1, warmup=0)
    t_l = timed(lambda: loss_landscape_loop(model, (x, y), resolution=r, device=dev), dev, 1,
                warmup=0)
    full = sizes.full and dev.type == "cuda"
    res.figures += [
        Figure("batched grid", t_b, "s", "< 2 s on the GPU" if full else "",
               (t_b < 2.0) if full else None),
        Figure("loop grid", t_l, "s"),
        Figure("loop / batched", t_l / t_b, "x"),
        Figure("largest difference, batched vs loop", diff, "", "<= 1e-4", diff <= 1e-4),
    ]
    return res


def bench_lstm(dev: torch.device, sizes: Sizes) -> BenchResult:
    b, t, f, h, layers = sizes.lstm
    res = BenchResult("lstm", f"LSTM trace (i, f, g, o, c, h of every step) B{b} x T{t} x "
                      f"in {f} x hidden {h} x {layers} layers vs the naive LSTMCell trace",
                      str(dev))
    r = bench_lstm_trace.run(b, t, f, h, layers, sizes.repeats, dev)
    ratio = r["cell_gates"] / r["ours"]
    res.figures += [
        Figure("recompute (ours)", r["ours"], "s"),
        Figure("LSTMCell loop + gates", r["cell_gates"], "s"),
        Figure("nn.LSTM forward", r["fused"], "s"),
        Figure("naive / ours", ratio, "x", *_target(sizes, ">= 2", ratio >= 2.0)),
        Figure("largest difference, ours vs nn.LSTM", r["err_ours"], "", "<= 1e-4",
               r["err_ours"] <= 1e-4),
    ]
    return res


def bench_fit_throughput(dev: torch.device, sizes: Sizes) -> BenchResult:
    ds = load_dataset("digits", flat=True)
    x, y = torch.from_numpy(ds.x).to(dev), torch.from_numpy(ds.y).to(dev)
    epochs, batch = sizes.fit_epochs, 32
    samples = len(x) * epochs
    res = BenchResult("fit", f"fit + TrainingMonitor vs a hand-written loop, "
                      f"{bench_fit.DSL}, digits {len(x)} samples x {epochs} epochs, batch "
                      f"{batch}, Adam", str(dev))

    def hand() -> None:
        bench_fit.hand_loop(bench_fit.make_model(dev), x, y, epochs=epochs, batch_size=batch)

    def fit() -> None:
        monitor = TrainingMonitor("gpu check")
        history = dlwidgets.fit(bench_fit.make_model(dev), (x, y), optimizer="adam", lr=1e-3,
                                epochs=epochs, batch_size=batch, device=dev, monitor=monitor,
                                block=True)
        assert history.stop_reason == "completed", history.stop_reason

    hand()
    fit()
    hands, fits = [], []
    for _ in range(sizes.repeats):  # alternate, so that load hits both alike
        hands.append(timed(hand, dev, 1, warmup=0))
        fits.append(timed(fit, dev, 1, warmup=0))
    ratio = statistics.median(hands) / statistics.median(fits)
    res.figures += [
        Figure("hand loop", samples / statistics.median(hands), "samples/s"),
        Figure("fit + monitor", samples / statistics.median(fits), "samples/s"),
        Figure("fit / hand throughput", ratio, "x", *_target(sizes, ">= 0.95", ratio >= 0.95)),
    ]
    return res


def bench_conv(dev: torch.device, sizes: Sizes) -> BenchResult:
    res = BenchResult("conv", "convolution trace 64x64, 1 channel, 3x3, 8 filters: "
                      "vectorized vs a Python loop over windows", str(dev))
    r = bench_conv_trace.run(64, 1, 8, 1, 0, max(2, sizes.repeats * 2), str(dev))
    res.figures += [
        Figure("vectorized trace", r["fast_ms"] / 1e3, "s"),
        Figure("loop / vectorized", r["ratio"], "x", *_target(sizes, ">= 50", r["ratio"] >= 50)),
    ]
    return res


def bench_latent(dev: torch.device, sizes: Sizes) -> BenchResult:
    n = sizes.lattice
    res = BenchResult("latent", f"decode a {n}x{n} lattice of 2-D codes (digits decoder "
                      "2-64-64): one batch vs one code per forward call", str(dev))
    torch.manual_seed(0)
    lm = L.on_device(L.resolve_model(L.DigitsAE(2)), dev)
    pts = np.stack(np.meshgrid(np.linspace(-3, 3, n), np.linspace(-3, 3, n)), -1)
    codes = pts.reshape(-1, 2).astype(np.float32)

    def naive() -> None:
        with torch.no_grad():
            for z in codes:
                lm.decoder(torch.from_numpy(z[None]).to(dev)).cpu()

    t_b = timed(lambda: L.decode(lm, codes, device=dev), dev, max(3, sizes.repeats))
    t_n = timed(naive, dev, 1)
    res.figures += [Figure("batched decode", t_b, "s"), Figure("one code per call", t_n, "s"),
                    Figure("naive / batched", t_n / t_b, "x")]
    return res


def bench_attention(dev: torch.device, sizes: Sizes) -> BenchResult:
    layers, width, tokens = (6, 256, 256) if sizes.full else (2, 32, 16)
    res = BenchResult("attention", f"capturing every head's attention weights of a {layers}-layer, "
                      f"8-head encoder (width {width}) on {tokens} tokens vs its plain forward",
                      str(dev))
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(width, 8, dim_feedforward=4 * width, batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
    model = model.to(dev).eval()
    x = torch.randn(1, tokens, width, device=dev)

    def plain() -> None:
        with torch.no_grad():
            model(x)

    t_plain = timed(plain, dev, max(3, sizes.repeats))
    t_capture = timed(lambda: capture_attention(model, x), dev, max(3, sizes.repeats))
    ratio = t_capture / t_plain
    res.figures += [Figure("plain forward", t_plain, "s"), Figure("capture", t_capture, "s"),
                    Figure("capture / forward", ratio, "x")]
    return res


def bench_inspect_cost(dev: torch.device, sizes: Sizes) -> BenchResult:
    dsl, flat = bench_inspect.MODELS["digits MLP"]
    ds = load_dataset("digits", flat=flat)
    x, y = torch.from_numpy(ds.x).to(dev), torch.from_numpy(ds.y).to(dev)
    args = argparse.Namespace(epochs=sizes.fit_epochs, batch_size=32)
    res = BenchResult("inspect", f"fit(inspect=True) vs fit, {dsl}, digits x {args.epochs} "
                      "epochs, Adam, a monitor attached", str(dev))
    runs: dict[str, list[float]] = {"off": [], "every": [], "adaptive": []}
    settings = {"off": (False, None), "every": (True, 1), "adaptive": (True, None)}
    for on, every in settings.values():  # warm-up of each path
        bench_inspect.run_fit(dsl, x, y, dev, args, on, every)
    for _ in range(sizes.repeats):
        for key, (on, every) in settings.items():
            runs[key].append(bench_inspect.run_fit(dsl, x, y, dev, args, on, every)[0])
    off = statistics.median(runs["off"])
    every_ratio = statistics.median(runs["every"]) / off
    adaptive_ratio = statistics.median(runs["adaptive"]) / off
    res.figures += [
        Figure("fit without inspect", off, "samples/s"),
        Figure("every step recorded / without", every_ratio, "x",
               *_target(sizes, ">= 0.8", every_ratio >= 0.8)),
        Figure("adaptive / without", adaptive_ratio, "x",
               *_target(sizes, ">= 0.95", adaptive_ratio >= 0.95)),
    ]
    return res


BENCHMARKS: dict[str, Callable[[torch.device, Sizes], BenchResult]] = {
    "race": bench_race, "landscape": bench_landscape, "lstm": bench_lstm,
    "fit": bench_fit_throughput, "conv": bench_conv, "latent": bench_latent,
    "attention": bench_attention, "inspect": bench_inspect_cost,
}
NOT_BUILT: dict[str, str] = {}


def run_benchmark(name: str, dev: torch.device, sizes: Sizes) -> BenchResult:
    try:
        return BENCHMARKS[name](dev, sizes)
    except Exception as exc:  # a broken benchmark is reported and makes the run fail
        return BenchResult(name, "", str(dev), error=f"{type(exc).__name__}: {exc}")


# ----------------------------------------------------------------------------- report
def _fmt(fig: Figure) -> str:
    if fig.unit == "s":
        text = f"{fig.value * 1e3:.3g} ms" if fig.value < 1 else f"{fig.value:.3g} s"
    elif fig.unit == "x":
        text = f"{fig.value:.3g}×"
    elif fig.unit == "samples/s":
        text = f"{fig.value:,.0f} samples/s"
    else:
        text = f"{fig.value:.2g}"
    return text


def markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [f"# GPU check: {env.get('gpu', env['device'])}", ""]
    lines.append("| | |\n|---|---|")
    for k, v in env.items():
        lines.append(f"| {k} | {v} |")
    tests = report["tests"]
    lines += ["", "## `gpu` tests", "",
              f"{tests['counts']} in {tests['seconds']} s — `{tests['summary']}`", ""]
    for case in tests["cases"]:
        if case["outcome"] != "passed":
            lines.append(f"- {case['outcome']}: {case['test']} {case['detail']}")
    lines += ["", "## Benchmarks", "", "| benchmark | figure | " +
              " | ".join(report["devices"]) + " | target | met |",
              "|---|---|" + "---:|" * len(report["devices"]) + "---|---|"]
    by_name: dict[str, dict[str, dict[str, Any]]] = {}
    for r in report["benchmarks"]:
        by_name.setdefault(r["name"], {})[r["device"]] = r
    for name, per_dev in by_name.items():
        first = per_dev[report["devices"][0]]
        if first["error"]:
            lines.append(f"| {name} | error | {first['error']} | | | |")
            continue
        for i, fig in enumerate(first["figures"]):
            cells = []
            for d in report["devices"]:
                r = per_dev.get(d)
                if r is None or r["error"] or i >= len(r["figures"]):
                    cells.append(r["error"] if r and r["error"] else "—")
                else:
                    cells.append(_fmt(Figure(**r["figures"][i])))
            met = {True: "yes", False: "**no**", None: ""}[fig["met"]]
            label = first["what"] if i == 0 else ""
            lines.append(f"| {label} | {fig['name']} | " + " | ".join(cells) +
                         f" | {fig['target']} | {met} |")
    for what, why in report["not_built"].items():
        lines.append(f"| {what} | — | {why} |" + " |" * len(report["devices"]) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every path")
    ap.add_argument("--out", default="gpu_check_results", help="folder for the report files")
    ap.add_argument("--skip-tests", action="store_true", help="benchmarks only")
    ap.add_argument("--no-cpu", action="store_true",
                    help="do not repeat the benchmarks on the CPU beside the device")
    ap.add_argument("--only", nargs="*", choices=list(BENCHMARKS), help="these benchmarks only")
    ap.add_argument("--budget", type=float, default=360.0,
                    help="seconds; past it, the CPU side-by-side runs are left out")
    args = ap.parse_args(argv)
    dev = dlwidgets.device(args.device)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = Sizes.quick() if args.quick else Sizes()
    env = environment(dev)
    print("environment:", json.dumps(env), flush=True)
    t_start = time.perf_counter()
    tests: dict[str, Any] = {"returncode": 0, "seconds": 0, "counts": {}, "summary": "skipped",
                             "cases": []}
    if not args.skip_tests:
        tests = run_gpu_tests(dev, out)
        print(f"gpu tests: {tests['counts']} in {tests['seconds']} s ({tests['summary']})",
              flush=True)
    devices = [dev] + ([torch.device("cpu")] if dev.type != "cpu" and not args.no_cpu else [])
    results = []
    for name in args.only or list(BENCHMARKS):
        for d in devices:
            if d != dev and time.perf_counter() - t_start > args.budget:
                print(f"[{name} on {d}] left out: past the {args.budget:.0f} s budget", flush=True)
                continue
            t0 = time.perf_counter()
            r = run_benchmark(name, d, sizes)
            results.append(r)
            shown = r.error or ", ".join(f"{f.name} {_fmt(f)}" for f in r.figures)
            print(f"[{name} on {d}] {shown} ({time.perf_counter() - t0:.1f} s)", flush=True)
    report = {
        "environment": env, "quick": args.quick, "devices": [str(d) for d in devices],
        "tests": tests, "not_built": NOT_BUILT,
        "benchmarks": [{**r.__dict__, "figures": [f.__dict__ for f in r.figures]} for r in results],
        "seconds": round(time.perf_counter() - t_start, 1),
    }
    (out / "gpu_check.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    md = markdown(report)
    (out / "gpu_check.md").write_text(md, encoding="utf-8")
    print(md)
    failed = tests["returncode"] != 0 or any(r.error for r in results)
    print(f"gpu check {'FAILED' if failed else 'finished'} in {report['seconds']} s; "
          f"report in {out}/gpu_check.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
