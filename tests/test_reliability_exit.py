"""Worker threads never outlive the interpreter, and Ctrl-C stops a blocking fit before the
KeyboardInterrupt reaches the caller. Each case runs in a fresh Python process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow


def _run(code: str, timeout: float = 240.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout)


def test_a_script_that_ends_while_fit_trains_exits_normally() -> None:
    proc = _run("""
        import atexit
        seen = {}
        # registered before dlwidgets', so it runs after dlwidgets has stopped its workers
        atexit.register(lambda: print("at exit:", seen["h"].status, seen["h"].running, flush=True))
        import time
        import torch
        from torch import nn
        import dlwidgets
        x = torch.randn(2048, 64)
        y = (x[:, 0] > 0).long()
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 2))
        h = dlwidgets.fit(model, (x, y), epochs=10000, batch_size=64, block=False, monitor=False)
        seen["h"] = h
        while h.step_count < 3:
            time.sleep(0.01)
        print("leaving while", h.status, flush=True)
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "leaving while running" in proc.stdout
    assert "at exit: interrupted False" in proc.stdout
    assert "terminate called" not in proc.stderr


def test_a_script_that_ends_while_the_latent_demo_trains_exits_normally() -> None:
    proc = _run("""
        import time
        import dlwidgets
        w = dlwidgets.LatentExplorer.demo(epochs=10000, device="cpu", pretrained=False)
        while not w.status.startswith("epoch"):
            time.sleep(0.01)
        print("leaving while training:", w.training, flush=True)
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "leaving while training: True" in proc.stdout
    assert "terminate called" not in proc.stderr


def test_ctrl_c_during_a_blocking_fit_leaves_it_interrupted_before_re_raising() -> None:
    # The interrupt arrives while the main thread waits for the training (as Ctrl-C does);
    # several rounds, since the failure it guards against (a join interrupted on CPython 3.11
    # that marks a live thread as stopped) did not happen every time.
    proc = _run("""
        import os, signal, threading, time
        import torch
        from torch import nn
        import dlwidgets
        x = torch.randn(2048, 64)
        y = (x[:, 0] > 0).long()
        for round in range(6):
            model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 2))
            monitor = dlwidgets.TrainingMonitor()

            def interrupt():
                while monitor.history is None or monitor.history.step_count < 3 + round:
                    time.sleep(0.002)
                os.kill(os.getpid(), signal.SIGINT)

            threading.Thread(target=interrupt, daemon=True).start()
            try:
                dlwidgets.fit(model, (x, y), epochs=10000, batch_size=64, block=True,
                              monitor=monitor)
                print("not interrupted", flush=True)
            except KeyboardInterrupt:
                h = monitor.history
                steps = h.step_count
                time.sleep(0.3)
                print("round", round, h.status, h.running, steps == h.step_count, flush=True)
        print("done", flush=True)
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("round")]
    assert len(lines) == 6, proc.stdout
    for line in lines:
        assert line.endswith("interrupted False True"), proc.stdout
    assert "done" in proc.stdout and "terminate called" not in proc.stderr
