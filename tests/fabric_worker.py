"""Run by tests/test_fit_fabric.py as ``python tests/fabric_worker.py OUT``: Lightning Fabric's own
launcher starts a second process running this script, initializes torch.distributed (gloo, CPU)
and both ranks call ``dlwidgets.fit``. Each rank saves what it saw to ``OUT/rank{r}.pt``."""

from __future__ import annotations

import pathlib
import sys

import torch
from lightning_fabric import Fabric

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tests.training_helpers import (  # noqa: E402 - after the path is set
    DDP_BATCH,
    DDP_EPOCHS,
    DDP_LR,
    ddp_data,
    ddp_model,
)


def main(out: pathlib.Path) -> None:
    torch.set_num_threads(1)
    fabric = Fabric(accelerator="cpu", devices=2, strategy="ddp")
    fabric.launch()
    import dlwidgets

    result: dict = {"rank": fabric.global_rank}
    try:
        x, y = ddp_data()
        # the documented way: Fabric starts the processes, fit gets the plain model
        model = ddp_model()
        h = dlwidgets.fit(model, (x, y), optimizer="sgd", lr=DDP_LR, epochs=DDP_EPOCHS,
                          batch_size=DDP_BATCH, monitor=True, device=fabric.device)
        result["plain"] = {
            "params": [p.detach().clone() for p in model.parameters()],
            "status": h.stop_reason, "steps": h.step_count, "world": h.info["world_size"],
            "monitor": None if h.monitor is None else h.monitor.status,
        }
        # a model already set up by Fabric (its DDP inside Fabric's wrapper) is used as it is
        model = ddp_model()
        wrapped = fabric.setup_module(model)
        h = dlwidgets.fit(wrapped, (x, y), optimizer="sgd", lr=DDP_LR, epochs=DDP_EPOCHS,
                          batch_size=DDP_BATCH, monitor=False, device=fabric.device)
        result["setup"] = {
            "params": [p.detach().clone() for p in model.parameters()],
            "status": h.stop_reason, "steps": h.step_count, "model": h.info["model"],
        }
        # inspect=True on a Fabric-wrapped model: every rank records its local replica's
        # statistics (the all-reduced gradients), only rank 0 feeds a monitor with them
        model = ddp_model()
        wrapped = fabric.setup_module(model)
        h = dlwidgets.fit(wrapped, (x, y), optimizer="sgd", lr=DDP_LR, epochs=DDP_EPOCHS,
                          batch_size=DDP_BATCH, monitor=True, device=fabric.device,
                          inspect=True, inspect_every=1)
        result["inspect"] = {
            "status": h.stop_reason, "steps": h.step_count,
            "layers": {name: {k: v.tolist() for k, v in cols.items()}
                       for name, cols in h.layers.items()},
            "monitor": None if h.monitor is None else sorted(h.monitor.layers),
            "params": [p.detach().clone() for p in model.parameters()],
        }
    except BaseException as exc:  # report the error to the test
        result["error"] = repr(exc)
        raise
    finally:
        torch.save(result, out / f"rank{fabric.global_rank}.pt")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
