"""What declaring a model in the DSL costs over writing it in PyTorch.

Run: ``python benchmarks/bench_dsl.py``. For LeNet-5 and ResNet-18 it times, in the same
process: checking the declaration alone (parse + shape inference + parameter count,
``dlwidgets.dsl.analyze``), the whole ``dlwidgets.build`` (check + construct modules), and the
hand-written ``nn.Module`` construction (the naive way: no checks). Reported ratio:
build / hand-written, i.e. the overhead of shape checking at declaration time. Also the summary
of a DSL model (no forward pass) against ``summary(model, input_shape)`` with forward hooks.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlwidgets import build, summary  # noqa: E402
from dlwidgets.dsl import analyze  # noqa: E402
from tests.test_dsl_reference import LENET, RESNET18, TorchvisionResNet18  # noqa: E402


def lenet_by_hand() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def _time(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, median of {args.repeats}")
    print(f"{'model':<10} {'analyze':>10} {'build':>10} {'by hand':>10} {'build/hand':>11}")
    cases: list[tuple[str, str, Callable[[], nn.Module]]] = [
        ("LeNet-5", LENET, lenet_by_hand), ("ResNet-18", RESNET18, TorchvisionResNet18)]
    for name, source, by_hand in cases:
        t_an = _time(lambda s=source: analyze(s), args.repeats)  # type: ignore[misc]
        t_build = _time(lambda s=source: build(s), args.repeats)  # type: ignore[misc]
        t_hand = _time(by_hand, args.repeats)
        print(f"{name:<10} {t_an * 1e3:>8.2f}ms {t_build * 1e3:>8.2f}ms {t_hand * 1e3:>8.2f}ms "
              f"{t_build / t_hand:>10.2f}x")
    model = build(RESNET18)
    t_spec = _time(lambda: summary(model), args.repeats)
    t_hooks = _time(lambda: summary(TorchvisionResNet18(), (3, 224, 224)), 3)
    print(f"summary of ResNet-18: from the spec {t_spec * 1e3:.1f} ms, "
          f"by forward hooks at 224x224 {t_hooks * 1e3:.0f} ms (incl. construction)")


if __name__ == "__main__":
    main()
