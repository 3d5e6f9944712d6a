"""LSTM trace extraction (every gate, c and h at every step): our recomputation vs per-step loops.

Run: ``python benchmarks/bench_lstm_trace.py`` (default: batch 64 × T=256 × input 256 ×
hidden 256 × 2 layers, float32). Compared in the same process on the same weights and inputs:

* ``recompute``  — dlwidgets.engine.recurrent.recompute: per layer one matmul for the input
  projections of all steps, then the recurrent loop writing i, f, g, o, c, h into buffers;
* ``cell+gates`` — the naive trace extractor built on nn.LSTMCell: a Python loop over steps and
  layers calling the cell, and (since LSTMCell returns only h and c) recomputing the four gates
  from x_t and h_{t-1} with the cell's weights to record them — the same arrays as ours;
* ``cell``       — the bare nn.LSTMCell loop keeping only h and c of every step (no gates: a
  lower bound for any LSTMCell-based extractor, it cannot show the gates);
* ``nn.LSTM``    — the fused module forward (oneDNN on CPU, cuDNN on CUDA): last layer's h only.

All results are checked against nn.LSTM's output before timing. With ``--device cuda`` (when a
GPU is present) the same runs go on the GPU, with torch.cuda.synchronize() around each timing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dlwidgets.engine.recurrent import recompute


def _time_interleaved(fns: dict[str, Callable[[], Any]], repeats: int,
                      dev: torch.device) -> dict[str, list[float]]:
    """Seconds per call of each function, run round-robin so that load from other processes
    hits all of them alike; one warm-up call each first (allocator, oneDNN/cuDNN set-up)."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            times[key].append(time.perf_counter() - t0)
    return times


def _cells(lstm: nn.LSTM) -> list[nn.LSTMCell]:
    cells = []
    for layer in range(lstm.num_layers):
        cell = nn.LSTMCell(lstm.input_size if layer == 0 else lstm.hidden_size, lstm.hidden_size)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(lstm, f"{name}_l{layer}"))
        cells.append(cell.to(lstm.weight_ih_l0.device))
    return cells


@torch.no_grad()
def cell_loop(cells: list[nn.LSTMCell], x: torch.Tensor, gates: bool) -> dict[str, torch.Tensor]:
    """Per-step nn.LSTMCell loop over (T, B, F); with ``gates`` also records i, f, g, o."""
    steps, batch, _ = x.shape
    hid = cells[0].hidden_size
    hs = [torch.zeros(batch, hid, device=x.device) for _ in cells]
    cs = [torch.zeros(batch, hid, device=x.device) for _ in cells]
    rec: dict[str, list[torch.Tensor]] = {k: [] for k in ("i", "f", "g", "o", "c", "h")}
    for t in range(steps):
        inp = x[t]
        for layer, cell in enumerate(cells):
            if gates:
                pre = F.linear(inp, cell.weight_ih, cell.bias_ih) + F.linear(
                    hs[layer], cell.weight_hh, cell.bias_hh)
                i, f, g, o = pre.chunk(4, 1)
                rec["i"].append(torch.sigmoid(i))
                rec["f"].append(torch.sigmoid(f))
                rec["g"].append(torch.tanh(g))
                rec["o"].append(torch.sigmoid(o))
            hs[layer], cs[layer] = cell(inp, (hs[layer], cs[layer]))
            rec["c"].append(cs[layer])
            rec["h"].append(hs[layer])
            inp = hs[layer]
    n = len(cells)
    return {k: torch.stack(v).view(steps, n, batch, hid) for k, v in rec.items() if v}


def run(batch: int, steps: int, features: int, hidden: int, layers: int, repeats: int,
        dev: torch.device) -> dict[str, float]:
    torch.manual_seed(0)
    lstm = nn.LSTM(features, hidden, layers).to(dev).eval()
    x = torch.randn(steps, batch, features, device=dev)
    cells = _cells(lstm)
    with torch.no_grad():
        ref, _ = lstm(x)
    ours = recompute(lstm, x, device=dev)
    naive = cell_loop(cells, x, gates=True)
    err_ours = (ours.output - ref).abs().max().item()
    err_naive = (naive["h"][:, -1] - ref).abs().max().item()
    gate_diff = (ours.states["forget"][-1, 0] - naive["f"][:, -1]).abs().max().item()

    def fused() -> None:
        with torch.no_grad():
            lstm(x)

    times = _time_interleaved({
        "ours": lambda: recompute(lstm, x, device=dev),
        "cell_gates": lambda: cell_loop(cells, x, gates=True),
        "cell": lambda: cell_loop(cells, x, gates=False),
        "fused": fused,
    }, repeats, dev)
    out: dict[str, float] = {"err_ours": err_ours, "err_naive": err_naive, "gate_diff": gate_diff}
    for key, values in times.items():
        out[key] = min(values)
        out[key + "_median"] = statistics.median(values)
    # per-round ratios: each round ran all four back to back
    out["ratio_gates_rounds"] = statistics.median(
        g / o for g, o in zip(times["cell_gates"], times["ours"]))
    out["ratio_cell_rounds"] = statistics.median(
        c / o for c, o in zip(times["cell"], times["ours"]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=256)
    ap.add_argument("--features", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch CPU threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"torch {torch.__version__}, {name}; batch {args.batch} × T={args.steps} × input "
          f"{args.features} × hidden {args.hidden} × {args.layers} layers, float32, {args.repeats} "
          "interleaved rounds (best and median shown)")
    r = run(args.batch, args.steps, args.features, args.hidden, args.layers, args.repeats, dev)
    print(f"max |recompute - nn.LSTM| = {r['err_ours']:.2e}, max |cell loop - nn.LSTM| = "
          f"{r['err_naive']:.2e}, max |forget gate ours - cell loop| = {r['gate_diff']:.2e}")
    rows = [
        ("recompute (ours: gates, c, h)", "ours"),
        ("nn.LSTMCell loop + gates (naive trace)", "cell_gates"),
        ("nn.LSTMCell loop, h and c only (no gates)", "cell"),
        ("nn.LSTM forward (fused, last layer h only)", "fused"),
    ]
    print(f"  {'':<44} {'best':>9}    {'median':>9}")
    for label, key in rows:
        print(f"  {label:<44} {r[key] * 1e3:9.1f} ms {r[key + '_median'] * 1e3:9.1f} ms")
    print(f"speed-up vs naive LSTMCell trace (with gates): {r['cell_gates'] / r['ours']:.2f}× "
          f"(best times), {r['ratio_gates_rounds']:.2f}× (median of per-round ratios)")
    print(f"speed-up vs bare LSTMCell loop (h, c only):    {r['cell'] / r['ours']:.2f}× "
          f"(best times), {r['ratio_cell_rounds']:.2f}× (median of per-round ratios)")
    print(f"overhead vs nn.LSTM forward:                   {r['ours'] / r['fused']:.2f}× its time "
          "(best times)")


if __name__ == "__main__":
    main()
