"""Training throughput with ``fit(..., inspect=True)`` against the same fit without it.

Run: ``python benchmarks/bench_inspect.py`` (CPU by default; ``--device cuda`` where there is one).

Same process, data (digits), seed, optimizer (Adam, lr 1e-3), batch size and sample order; a
TrainingMonitor attached in every run (so the layer statistics also travel through the
publisher into widget state). Three contenders, alternating run by run: fit without inspect,
fit with ``inspect=True, inspect_every=1`` (every step recorded) and fit with ``inspect=True``
(the default adaptive interval). Two models: the digits MLP ``input 64 -> dense 128 relu ->
dense 10`` and a small CNN ``input 1x8x8 -> conv 16 3 relu -> conv 16 3 relu -> flatten ->
dense 10``. Figures: ratio of median throughputs and median of the paired ratios (run i with
inspect / run i without), by wall clock and by process CPU time (all threads; the steadier
of the two on a shared machine). Targets: every step ≥ 0.8, adaptive ≥ 0.95. Torch
uses 1 thread (a busy 2-core machine makes OpenMP's spinning threads swing any timing).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import dlwidgets
from dlwidgets.engine.datasets import load_dataset
from dlwidgets.widgets.training_monitor import TrainingMonitor

MODELS = {
    "digits MLP": ("input 64 -> dense 128 relu -> dense 10", True),
    "small CNN": ("input 1x8x8 -> conv 16 3 relu -> conv 16 3 relu -> flatten -> dense 10", False),
}


def run_fit(dsl: str, x: torch.Tensor, y: torch.Tensor, dev: torch.device,
            args: argparse.Namespace, inspect: bool, every: int | None
            ) -> tuple[float, float, int]:
    """One fit with a monitor: (samples per second by wall clock, by process CPU time, steps
    recorded)."""
    model = dlwidgets.build(dsl, seed=0).to(dev)
    monitor = TrainingMonitor("benchmark")
    t0, c0 = time.perf_counter(), time.process_time()
    h = dlwidgets.fit(model, (x, y), optimizer="adam", lr=1e-3, epochs=args.epochs,
                      batch_size=args.batch_size, device=dev, monitor=monitor,
                      block=True, inspect=inspect, inspect_every=every)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert h.stop_reason == "completed" and monitor._publisher is not None
    assert not monitor._publisher.errors
    recorded = len(next(iter(h.layers.values()))["step"]) if h.layers else 0
    samples = len(x) * args.epochs
    return samples / elapsed, samples / cpu, recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = dlwidgets.device(args.device)
    for label, (dsl, flat) in MODELS.items():
        ds = load_dataset("digits", flat=flat)
        x, y = torch.from_numpy(ds.x).to(dev), torch.from_numpy(ds.y).to(dev)

        contenders = {"without": (False, None), "every step": (True, 1), "adaptive": (True, None)}
        for inspect, every in contenders.values():
            run_fit(dsl, x, y, dev, args, inspect, every)  # warm-up
        results: dict[str, list[tuple[float, float, int]]] = {k: [] for k in contenders}
        for _ in range(args.repeats):
            for name, (inspect, every) in contenders.items():
                results[name].append(run_fit(dsl, x, y, dev, args, inspect, every))
        steps = -(-len(x) // args.batch_size) * args.epochs
        print(f"{label}: {dsl}; {steps} steps of {args.batch_size}; device {dev}; "
              f"torch threads {torch.get_num_threads()}; {args.repeats} alternating runs each")
        for k, clock in enumerate(("wall clock", "process CPU time")):
            base = [r[k] for r in results["without"]]
            print(f"  {clock}: without inspect median {statistics.median(base):7.0f} samples/s")
            for name, target in (("every step", 0.8), ("adaptive", 0.95)):
                speeds = [r[k] for r in results[name]]
                recorded = statistics.median(r[2] for r in results[name])
                paired = statistics.median(s / b for s, b in zip(speeds, base))
                print(f"    {name:11s}: median {statistics.median(speeds):7.0f} samples/s, "
                      f"{recorded:.0f} of {steps} steps recorded; ratio median "
                      f"{statistics.median(speeds) / statistics.median(base):.3f} paired "
                      f"{paired:.3f} (target >= {target})")


if __name__ == "__main__":
    main()
