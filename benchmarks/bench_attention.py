"""Capturing attention weights vs the model's plain forward (run: python benchmarks/bench_attention.py).

A 6-layer, 8-head encoder (width 256, ff 1024) on one 256-token sequence, in eval mode without
autograd: the plain forward (PyTorch's fused fast path allowed) side by side with
``capture_attention`` (fast path off, per-head weights requested from every layer). Best of a
few repeats each, interleaved, in the same process.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from dlwidgets.engine.attention import capture_attention


def main(repeats: int = 7) -> None:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(256, 8, dim_feedforward=1024, batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=6, enable_nested_tensor=False).eval()
    x = torch.randn(1, 256, 256)
    plain, capture = [], []
    with torch.no_grad():
        model(x)
        capture_attention(model, x)
        for _ in range(repeats):
            t0 = time.perf_counter()
            with torch.no_grad():
                model(x)
            plain.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            capture_attention(model, x)
            capture.append(time.perf_counter() - t0)
    p, c = min(plain), min(capture)
    print(f"plain forward {p * 1e3:.1f} ms, capture {c * 1e3:.1f} ms, ratio {c / p:.2f}")


if __name__ == "__main__":
    main()
