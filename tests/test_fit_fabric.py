"""fit under Lightning Fabric's launcher: 2 real processes started by Fabric itself (strategy
"ddp", CPU, gloo). The plain model and a model Fabric already set up both train to
single-process SGD on the union of the ranks' batches; only rank 0 feeds a monitor. With
inspect=True each rank records its local replica's layer statistics (both agree: the gradients
are the all-reduced ones) and rank 0's monitor shows them."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
import torch

from tests.training_helpers import union_sgd

pytest.importorskip("lightning_fabric")

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_fit_under_lightning_fabric(tmp_path: pathlib.Path) -> None:
    env = {**os.environ, "DLWIDGETS_DEVICE": "cpu", "PYTHONPATH": str(ROOT)}
    env.pop("MASTER_PORT", None)  # Fabric picks a free port
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "fabric_worker.py"),
                           str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    results = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)
               if (tmp_path / f"rank{r}.pt").exists()]
    assert done.returncode == 0 and len(results) == 2, done.stderr[-3000:]
    for r in results:
        assert "error" not in r, r["error"]

    reference, steps = union_sgd(world=2)
    for case in ("plain", "setup"):
        for r in results:
            assert r[case]["status"] == "completed" and r[case]["steps"] == steps
            for ours, theirs in zip(r[case]["params"], reference.parameters()):
                torch.testing.assert_close(ours, theirs.detach(), atol=1e-5, rtol=1e-5)
    assert [r["plain"]["world"] for r in results] == [2, 2]
    # only rank 0 fed a monitor
    assert results[0]["plain"]["monitor"] == "completed" and results[1]["plain"]["monitor"] is None
    # the Fabric-wrapped model was trained as the plain module inside it
    assert results[0]["setup"]["model"] == "Sequential"
    # inspect=True under Fabric: the same training, statistics of each local replica
    inspect0, inspect1 = results[0]["inspect"], results[1]["inspect"]
    for r in (inspect0, inspect1):
        assert r["status"] == "completed" and r["steps"] == steps
        assert list(r["layers"]) == ["0", "1", "2"]
        for ours, theirs in zip(r["params"], reference.parameters()):
            torch.testing.assert_close(ours, theirs.detach(), atol=1e-5, rtol=1e-5)
    for name in ("0", "2"):
        assert inspect0["layers"][name]["step"] == list(range(1, steps + 1))
        for stat in ("grad_norm", "weight_norm", "update_ratio"):
            values = inspect0["layers"][name][stat]
            assert all(v > 0 for v in values), (name, stat)
            assert values == pytest.approx(inspect1["layers"][name][stat], rel=1e-5)
    assert inspect1["monitor"] is None
    assert inspect0["monitor"] is not None and "grad_norm:0" in inspect0["monitor"]
