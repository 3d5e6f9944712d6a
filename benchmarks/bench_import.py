"""How long ``import dlwidgets`` takes next to ``import torch``, each in a fresh interpreter.

Run: ``python benchmarks/bench_import.py [--runs 9]``. Each run starts new Python processes
(alternating, so a load change on the machine hits every case alike) that time one import
inside the process (interpreter start-up, the same for all, is left out), in wall time and in
the process's own CPU time (steadier on a shared machine). Cases: ``import torch``; torch plus
the widget stack (ipywidgets, anywidget); ``import dlwidgets``; and the time to a first widget
(``import dlwidgets``, the ``%load_ext`` entry point on a real IPython shell, then an
``ActivationExplorer`` built with its state ready to send). Bytecode caching is on in the child
processes, as after a pip install (with ``PYTHONDONTWRITEBYTECODE=1``, as in some development
set-ups, every dlwidgets module would be compiled on each import). Target (issue 20):
``import dlwidgets`` <= ``import torch`` + 0.3 s, by median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES: dict[str, str] = {
    "import torch": "import torch",
    "import torch, ipywidgets, anywidget": "import torch, ipywidgets, anywidget",
    "import dlwidgets": "import dlwidgets",
    "first widget": (
        "import dlwidgets\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "dlwidgets.load_ipython_extension(InteractiveShell.instance())\n"
        "dlwidgets.ActivationExplorer('gelu').get_state()"
    ),
}

TIMER = """import time
_t0, _c0 = time.perf_counter(), time.process_time()
{body}
print(time.perf_counter() - _t0, time.process_time() - _c0)
"""


def time_once(body: str) -> tuple[float, float]:
    """Wall and CPU seconds one fresh interpreter spends on ``body``."""
    env = {**os.environ, "DLWIDGETS_DEVICE": "cpu", "PYTHONPATH": str(ROOT)}
    # Bytecode is cached as after any pip install (torch's is); without it every dlwidgets
    # module would be compiled from source on each import (~0.15 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", TIMER.format(body=body)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True, timeout=300)
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    for body in CASES.values():  # warm the file cache once so run 1 is not an outlier
        time_once(body)
    wall: dict[str, list[float]] = {name: [] for name in CASES}
    cpu: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):
        for name, body in CASES.items():
            w, c = time_once(body)
            wall[name].append(w)
            cpu[name].append(c)
    med_wall = {name: statistics.median(v) for name, v in wall.items()}
    med_cpu = {name: statistics.median(v) for name, v in cpu.items()}
    print(f"{'case':38s} {'wall s':>7s} {'CPU s':>7s}  wall of each run")
    for name in CASES:
        print(f"{name:38s} {med_wall[name]:7.3f} {med_cpu[name]:7.3f}  "
              + " ".join(f"{v:.2f}" for v in wall[name]))
    for label, med in (("wall", med_wall), ("CPU", med_cpu)):
        extra = med["import dlwidgets"] - med["import torch"]
        verdict = "met" if extra <= 0.3 else "NOT met"
        print(f"{label:4s}: import dlwidgets - import torch = {extra:+.3f} s "
              f"(target <= +0.3 s: {verdict})")
    try:
        load = os.getloadavg()[0]
        print(f"load average during the run: {load:.1f}")
    except OSError:
        pass


if __name__ == "__main__":
    main()
