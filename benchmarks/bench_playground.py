"""Training throughput of the Playground vs a bare PyTorch loop on the same model and data.

Run: ``python benchmarks/bench_playground.py`` (CPU; the lab trains on the CPU by default).

The issue's case: a 6-layer × 8-neuron tanh network (the lab's controls network), 500 points of
the spiral set (250 training points), features x1, x2, batch size 10, SGD lr 0.03. The lab runs
``Playground.train(epochs=E)``: the fit engine in its worker thread, a frame (flat weights, a
copy of the state for queries) at <= 30 Hz, an eval-mode train loss and the test loss at every
epoch's end, the ThrottledPublisher setting traits, the recording. The bare loop is what a
student writes: the same seeded sample order (``epoch_permutation``), zero_grad, forward,
BCE-with-logits, backward, step, ``loss.item()`` to log it. Both start from the same weights.
Runs alternate (bare, lab, bare, lab, ...) in one process; the figures are lab / bare ratios of
steps per second, median and best, by wall clock and by process CPU time (all threads). The
lab builds SGD with torch's fastest step (``fused=True`` on CPU); a third contender, the bare
loop with ``SGD(..., fused=True)``, separates the lab's own overhead from that choice; a
fourth, "bare_curves", also computes the train and test loss in eval mode once per epoch, as the
lab does for its curves (and as a student who plots them would). Target: lab / bare >= 0.9.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from dlwidgets import Playground
from dlwidgets.engine.datasets import epoch_permutation


def bare_loop(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int,
              batch_size: int, lr: float, fused: bool | None,
              test: tuple[torch.Tensor, torch.Tensor] | None = None) -> int:
    opt = torch.optim.SGD(model.parameters(), lr=lr, fused=fused)
    losses = []
    curves = []
    model.train()
    for epoch in range(epochs):
        order = epoch_permutation(len(x), 0, epoch)
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        if test is not None:  # the curves a student plots: both losses after each epoch
            model.eval()
            with torch.no_grad():
                curves.append((F.binary_cross_entropy_with_logits(model(x), y).item(),
                               F.binary_cross_entropy_with_logits(model(test[0]),
                                                                  test[1]).item()))
            model.train()
    return len(losses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads for both loops (0: leave torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    pg = Playground("spiral", hidden=[8] * 6, activation="tanh", optimizer="sgd", lr=0.03,
                    batch_size=10, n_points=500, train_fraction=0.5, seed=0)
    x, y = pg._train_xy  # the lab's own training tensors: features and (N, 1) float targets
    start_state = {k: v.clone() for k, v in pg.model.state_dict().items()}
    spe = pg.steps_per_epoch
    steps = spe * args.epochs
    model = pg.model
    results: dict[str, list[tuple[float, float]]] = {"bare": [], "bare_fused": [],
                                                      "bare_curves": [], "lab": []}
    for _ in range(args.repeats):
        for name in results:
            if name == "lab":
                pg.reset()
                t0, c0 = time.perf_counter(), time.process_time()
                history = pg.train(epochs=args.epochs)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                assert history.step_count == steps, history
            else:
                model.load_state_dict(start_state)
                t0, c0 = time.perf_counter(), time.process_time()
                done = bare_loop(model, x, y, epochs=args.epochs, batch_size=10, lr=0.03,
                                 fused=True if name == "bare_fused" else None,
                                 test=pg._test_xy if name == "bare_curves" else None)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                assert done == steps
            results[name].append((steps / wall, steps / cpu))
    print(f"{steps} steps per run ({args.epochs} epochs x {spe}), {args.repeats} runs each, "
          f"torch threads {torch.get_num_threads()}")
    for name, rows in results.items():
        walls = [r[0] for r in rows]
        cpus = [r[1] for r in rows]
        print(f"  {name:10s} steps/s wall median {statistics.median(walls):7.0f} best "
              f"{max(walls):7.0f} | cpu median {statistics.median(cpus):7.0f} best "
              f"{max(cpus):7.0f}")
    for base in ("bare", "bare_fused", "bare_curves"):
        ratios = []
        for col, what in ((0, "wall"), (1, "cpu")):
            lab = [r[col] for r in results["lab"]]
            ref = [r[col] for r in results[base]]
            ratios.append(f"{what} median {statistics.median(lab) / statistics.median(ref):.2f}"
                          f" best {max(lab) / max(ref):.2f}")
        print(f"lab / {base}: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
