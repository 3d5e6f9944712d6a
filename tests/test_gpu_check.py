"""The prepared GPU check runs end to end on the CPU (``--device cpu --quick``), so it is ready
whenever a CUDA machine is: the same code path, the `gpu` tests on the CPU, every benchmark."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_gpu_check_runs_on_cpu(tmp_path: pathlib.Path) -> None:
    proc = subprocess.run(
        [sys.executable, "benchmarks/gpu_check.py", "--device", "cpu", "--quick",
         "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text(encoding="utf-8"))
    assert report["environment"]["device"] == "cpu"
    tests = report["tests"]
    # the widget-level gpu tests ran (on the CPU) and passed; the CUDA-only ones skipped
    assert tests["counts"]["passed"] >= 10 and tests["counts"]["failed"] == 0
    assert tests["counts"]["error"] == 0
    ran = {c["test"] for c in tests["cases"] if c["outcome"] == "passed"}
    assert any("test_gpu::test_fit_on_device_with_data_on_cpu" in t for t in ran)
    names = {b["name"] for b in report["benchmarks"]}
    assert names == {"race", "landscape", "lstm", "fit", "conv", "latent", "attention", "inspect"}
    for bench in report["benchmarks"]:
        assert not bench["error"], bench
        assert bench["figures"] and all(f["value"] > 0 or "difference" in f["name"]
                                        for f in bench["figures"]), bench
    md = (tmp_path / "gpu_check.md").read_text(encoding="utf-8")
    assert "## `gpu` tests" in md and "optimizer race" in md
