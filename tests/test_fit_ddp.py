"""The same fit under torch.distributed: 2 real processes (torch.multiprocessing spawn), gloo on
loopback, DistributedDataParallel on CPU. Checks the result equals single-process SGD on the union
of the ranks' batches, that only rank 0 feeds a monitor, that stop and divergence are agreed
by both ranks (no rank left waiting in a collective), and that inspect=True records the same
gradient, weight and update norms on both ranks."""

from __future__ import annotations

import datetime
import os
import pathlib
import socket
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from dlwidgets.engine.datasets import epoch_permutation, shard_indices
from tests.training_helpers import (
    DDP_BATCH,
    DDP_EPOCHS,
    DDP_LR,
    DDP_N,
    ddp_data,
    ddp_model,
    union_sgd,
)


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ["DLWIDGETS_DEVICE"] = "cpu"
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=datetime.timedelta(seconds=60))
    import dlwidgets

    result: dict = {}
    try:
        x, y = ddp_data()
        # 1. plain training; monitor=True asks for a monitor, which only rank 0 gets
        model = ddp_model()
        h = dlwidgets.fit(model, (x, y), optimizer="sgd", lr=DDP_LR, epochs=DDP_EPOCHS,
                          batch_size=DDP_BATCH, monitor=True)
        result["params"] = [p.detach().clone() for p in model.parameters()]
        result["info"] = h.info
        result["status"] = h.stop_reason
        result["epoch_loss"] = h.epochs["loss"].tolist()
        result["steps"] = h.step_count
        result["has_monitor"] = h.monitor is not None
        if h.monitor is not None:
            result["monitor_status"] = h.monitor.status
        # 2. a NaN only rank 1 sees: both ranks stop at the same step
        xb = x.clone()
        bad = int(shard_indices(epoch_permutation(DDP_N, 0, 0), 1, world)[3 * DDP_BATCH])
        xb[bad, 0] = float("nan")
        h = dlwidgets.fit(ddp_model(), (xb, y), optimizer="sgd", lr=DDP_LR, epochs=DDP_EPOCHS,
                          batch_size=DDP_BATCH, monitor=False)
        result["nan"] = (h.stop_reason, h.diverged_at, h.step_count)
        # 3. stop asked on rank 0 only (the monitor's button): both ranks stop together
        h = dlwidgets.fit(ddp_model(), (x, y), optimizer="sgd", lr=DDP_LR, epochs=100000,
                          batch_size=DDP_BATCH, monitor=False, block=rank != 0)
        if rank == 0:
            while h.step_count < 7:
                time.sleep(0.005)
            h.stop()
            h.wait(60)
        result["stop"] = (h.stop_reason, h.step_count)
        # 4. inspect=True: each rank records its replica's statistics, with no collective of
        # its own (no rank waits); gradients are the all-reduced ones, so both ranks agree
        h = dlwidgets.fit(ddp_model(), (x, y), optimizer="sgd", lr=DDP_LR, epochs=DDP_EPOCHS,
                          batch_size=DDP_BATCH, monitor=False, inspect=True, inspect_every=1)
        result["inspect"] = (h.stop_reason, {name: {k: v.tolist() for k, v in cols.items()}
                                             for name, cols in h.layers.items()})
    except BaseException as exc:  # report the error to the parent
        result["error"] = repr(exc)
        raise
    finally:
        torch.save(result, pathlib.Path(out) / f"rank{rank}.pt")
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_fit_under_ddp_with_two_processes(tmp_path: pathlib.Path) -> None:
    world = 2
    ctx = mp.start_processes(_worker, args=(world, _free_port(), str(tmp_path)), nprocs=world,
                             join=False, start_method="spawn")
    deadline = time.monotonic() + 240
    while not ctx.join(timeout=1):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail("the distributed training did not finish (a rank is stuck)")
    results = [torch.load(tmp_path / f"rank{r}.pt") for r in range(world)]
    for r in results:
        assert "error" not in r, r.get("error")

    # both ranks hold the same weights (DDP all-reduces gradients) ...
    for a, b in zip(results[0]["params"], results[1]["params"]):
        assert torch.equal(a, b)
    # ... equal to single-process SGD on the union of the two ranks' batches
    reference, steps = union_sgd(world)
    for ours, theirs in zip(results[0]["params"], reference.parameters()):
        torch.testing.assert_close(ours, theirs.detach(), atol=1e-5, rtol=1e-5)

    for rank, r in enumerate(results):
        assert r["status"] == "completed" and r["steps"] == steps
        assert r["info"]["world_size"] == world and r["info"]["rank"] == rank
    # epoch means are agreed across ranks; only rank 0 fed a monitor
    assert results[0]["epoch_loss"] == pytest.approx(results[1]["epoch_loss"], rel=1e-6)
    assert results[0]["has_monitor"] and not results[1]["has_monitor"]
    assert results[0]["monitor_status"] == "completed"

    assert results[0]["nan"] == results[1]["nan"] == ("diverged", 4, 3)
    stop0, stop1 = results[0]["stop"], results[1]["stop"]
    assert stop0 == stop1 and stop0[0] == "stopped" and stop0[1] >= 7

    (status0, layers0), (status1, layers1) = results[0]["inspect"], results[1]["inspect"]
    assert status0 == status1 == "completed"
    assert list(layers0) == list(layers1) == ["0", "1", "2"]
    for name in ("0", "2"):
        assert layers0[name]["step"] == list(range(1, steps + 1))
        for stat in ("grad_norm", "weight_norm", "update_ratio"):
            assert layers0[name][stat] == pytest.approx(layers1[name][stat], rel=1e-5)
