"""Whole convolution trace (every window's products + output): vectorized vs a Python loop.

Run: ``python benchmarks/bench_conv_trace.py``. The vectorized way is ``conv_trace`` (F.unfold
of the padded input times the weights, plus F.conv2d for the output, including the conversion
to numpy the widget does); the naive way is ``naive_conv_trace``, a Python double loop over the
output cells (per filter) with a numpy multiply per window. Both run in the same process on the
same inputs, and their products are checked equal before timing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from dlwidgets.engine.convolution import conv_trace, naive_conv_trace


def _time(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm up (first-call allocations, lazy imports)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(size: int, channels: int, filters: int, stride: int, padding: int,
        repeats: int, device: str) -> dict[str, float]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((channels, size, size))
    w = rng.standard_normal((filters, channels, 3, 3))
    b = rng.standard_normal(filters)
    kw = {"stride": stride, "padding": padding}
    fast = conv_trace(x, w, b, device=device, **kw)
    products, output = naive_conv_trace(x, w, b, **kw)
    assert np.allclose(fast.products, products, rtol=1e-9, atol=1e-9)
    assert np.allclose(fast.output, output, rtol=1e-9, atol=1e-9)
    t_fast = _time(lambda: conv_trace(x, w, b, device=device, **kw), repeats)
    t_slow = _time(lambda: naive_conv_trace(x, w, b, **kw), max(1, repeats // 10))
    return {"products": float(fast.products.size), "fast_ms": t_fast * 1e3,
            "slow_ms": t_slow * 1e3, "ratio": t_slow / t_fast}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--device", default="cpu", help="device of the vectorized way (cpu, cuda)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: the loop is single-threaded too, and on a "
                         "busy machine OpenMP threads spin against other processes)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    cases = [
        ("64×64, 1 channel, 3×3, 8 filters", 64, 1, 8, 1, 0),
        ("64×64, 3 channels, 3×3, 8 filters, padding 1", 64, 3, 8, 1, 1),
        ("64×64, 1 channel, 3×3, 8 filters, stride 2", 64, 1, 8, 2, 0),
    ]
    print(f"{'case':<48} {'products':>9} {'vectorized':>11} {'loop':>10} {'ratio':>7}")
    for name, size, c, f, s, p in cases:
        r = run(size, c, f, s, p, args.repeats, args.device)
        print(f"{name:<48} {int(r['products']):>9} {r['fast_ms']:>9.2f}ms {r['slow_ms']:>8.1f}ms "
              f"{r['ratio']:>6.0f}×")


if __name__ == "__main__":
    main()
