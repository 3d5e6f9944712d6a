"""Benchmark of the static export's precomputed slider states (docs/export.md).

Run: ``python benchmarks/bench_export_precompute.py`` (``--quick`` for a smoke run).

1. The race's learning rates, 8 optimizers x 13 values x 300 steps on Rosenbrock: all 104
   states in one batched ``run_race`` (``OptimizerRace.offline_states``) against the live
   widget's way, one ``set_hyper`` per value (each re-runs that optimizer), the same states.
   Both are checked equal. Wall clock and CPU time (the machine is shared).
2. A whole export of the tour's three widgets: what precomputing adds to the time and the size.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlwidgets import ActivationExplorer, ConvStepper, OptimizerRace, export_html  # noqa: E402
from dlwidgets.engine.race import DEFAULT_RACE  # noqa: E402
from dlwidgets.widgets._traits import array_tree  # noqa: E402


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def bench_batch(steps: int) -> None:
    race = OptimizerRace("rosenbrock", list(DEFAULT_RACE), steps=steps)
    groups = [g for g in race.offline_groups() if g.key.endswith("/lr")]
    w0, c0 = _clock()
    states = race.offline_states(groups)
    w1, c1 = _clock()
    loop = []
    for group in groups:
        name = group.meta["optimizer"]
        for (lr,) in group.combinations():
            race.set_hyper(name, lr=lr)
            loop.append(array_tree(race.get_state("paths")["paths"][name]))
        race.set_hyper(name, lr=group.controls[0].values[group.controls[0].base])
    w2, c2 = _clock()
    batched = [array_tree(dict((tuple(p), v) for p, v in s)[("paths", g.meta["optimizer"])])
               for g, row in zip(groups, states) for s in row]
    same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(batched, loop))
    n = sum(g.size for g in groups)
    print(f"race learning rates, {len(groups)} optimizers x 13 values x {steps} steps = {n} states")
    print(f"  batched run_race: {w1 - w0:.2f} s wall, {c1 - c0:.2f} s CPU")
    print(f"  one set_hyper per value: {w2 - w1:.2f} s wall, {c2 - c1:.2f} s CPU")
    print(f"  ratio: {(w2 - w1) / (w1 - w0):.1f}x wall, {(c2 - c1) / (c1 - c0):.1f}x CPU; "
          f"trajectories bit-identical: {same}")


def bench_export() -> None:
    widgets = [OptimizerRace(), ConvStepper("digit:3", "sobel_x", stride=2),
               ActivationExplorer("gelu")]
    with tempfile.TemporaryDirectory() as tmp:
        w0, c0 = _clock()
        plain = export_html(widgets, f"{tmp}/plain.html", precompute=False, quiet=True)
        w1, c1 = _clock()
        page = export_html(widgets, f"{tmp}/page.html", quiet=True)
        w2, c2 = _clock()
        print("export of the tour's race, conv stepper and activation explorer")
        print(f"  without precomputing: {plain.stat().st_size / 1e6:.2f} MB, "
              f"{w1 - w0:.2f} s wall, {c1 - c0:.2f} s CPU")
        print(f"  with: {page.stat().st_size / 1e6:.2f} MB, {w2 - w1:.2f} s wall, "
              f"{c2 - c1:.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run (30 steps)")
    args = parser.parse_args()
    bench_batch(30 if args.quick else 300)
    if not args.quick:
        bench_export()


if __name__ == "__main__":
    main()
