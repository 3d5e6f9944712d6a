"""The worked experiment of docs/playground.md: regularisation shrinks the train-test gap.

Run: ``python docs/make_playground_figures.py`` (CPU, about a minute). It prints the table the
page quotes and writes docs/img/playground_regularisation.png (the decision regions of each
setting for the first seed, with the training points; written with numpy and zlib only).

Setting: the "xor" set with noise 0.35 (labels follow the sign pattern of the points before the
noise, so many points sit on the wrong side), only 20% of the 500 points for training, a large
network (3 hidden layers of 32 ReLU units, Adam lr 0.01, batch size 10, 300 epochs). Three
runs per setting (seeds 0, 1, 2: new points and new initial weights each): no regularisation,
dropout 0.3, L2 0.003. Losses are eval-mode binary cross-entropy on the training and the test
points after the last epoch (the lab's curves).
"""

from __future__ import annotations

import pathlib
import statistics
import struct
import sys
import zlib

import numpy as np
import torch

from dlwidgets import Playground

SETTINGS = {"none": {}, "dropout 0.3": {"dropout": 0.3}, "L2 0.003": {"l2": 0.003}}
COMMON = {"data": "xor", "noise": 0.35, "train_fraction": 0.2, "hidden": [32, 32, 32],
          "activation": "relu", "optimizer": "adam", "lr": 0.01, "batch_size": 10}
EPOCHS = 300
SEEDS = (0, 1, 2)
IMG = pathlib.Path(__file__).resolve().parent / "img" / "playground_regularisation.png"


def run(seed: int, extra: dict[str, float]) -> tuple[dict[str, float], Playground]:
    pg = Playground(**COMMON, **extra, seed=seed)
    pg.train(epochs=EPOCHS, block=True)
    curves = pg.curves
    row = {"train_loss": float(curves["train_loss"][-1]),
           "test_loss": float(curves["test_loss"][-1]),
           "train_acc": pg.accuracy("train"), "test_acc": pg.accuracy("test")}
    row["gap"] = row["test_loss"] - row["train_loss"]
    return row, pg


def png(path: pathlib.Path, rgb: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 image as a PNG (no imaging library needed)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2,
                                                                          0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def panel(pg: Playground, size: int = 200) -> np.ndarray:
    """The decision regions (orange = class 0, blue = class 1, lighter = less sure), the 0.5
    contour in dark grey and the training points, drawn with ymin at the bottom."""
    p = pg.boundary(resolution=size)[::-1]  # row 0 is ymin: flip so it is at the bottom
    orange = np.array([245, 147, 34], float)
    blue = np.array([8, 119, 189], float)
    white = np.array([255, 255, 255], float)
    conf = np.abs(p - 0.5)[..., None] * 2
    colour = np.where((p > 0.5)[..., None], blue, orange)
    img = white + (colour - white) * (0.25 + 0.5 * conf)
    edge = np.zeros_like(p, bool)
    edge[:, 1:] |= (p[:, 1:] > 0.5) != (p[:, :-1] > 0.5)
    edge[1:, :] |= (p[1:, :] > 0.5) != (p[:-1, :] > 0.5)
    img[edge] = (60, 60, 60)
    xmin, xmax, ymin, ymax = pg.grid_bounds
    x, y = pg.data.X_train.T
    cols = ((x - xmin) / (xmax - xmin) * (size - 1)).round().astype(int)
    rows = (size - 1 - (y - ymin) / (ymax - ymin) * (size - 1)).round().astype(int)
    for r, c, label in zip(rows, cols, pg.data.y_train):
        if not (3 <= r < size - 3 and 3 <= c < size - 3):
            continue  # outside the view
        img[r - 3:r + 4, c - 3:c + 4] = (255, 255, 255)
        img[r - 2:r + 3, c - 2:c + 3] = blue * 0.75 if label else orange * 0.75
    return img.clip(0, 255).astype(np.uint8)


def main() -> None:
    torch.set_num_threads(1)
    table: dict[str, list[dict[str, float]]] = {name: [] for name in SETTINGS}
    panels = []
    for name, extra in SETTINGS.items():
        for seed in SEEDS:
            row, pg = run(seed, extra)
            table[name].append(row)
            print(f"{name:12s} seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()),
                  flush=True)
            if seed == SEEDS[0]:
                panels.append(panel(pg))
    print("\n| setting | train loss | test loss | gap (test − train) | train acc | test acc |")
    print("|---|---|---|---|---|---|")
    for name, rows in table.items():
        def cell(key: str, rows: list[dict[str, float]] = rows) -> str:
            values = [r[key] for r in rows]
            return f"{statistics.mean(values):.3f} ({min(values):.3f}–{max(values):.3f})"
        print(f"| {name} | {cell('train_loss')} | {cell('test_loss')} | {cell('gap')} | "
              f"{cell('train_acc')} | {cell('test_acc')} |")
    gap = np.full((panels[0].shape[0], 8, 3), 255, np.uint8)
    png(IMG, np.concatenate([p for pan in panels for p in (pan, gap)][:-1], axis=1))
    print(f"\nwrote {IMG}", file=sys.stderr)


if __name__ == "__main__":
    main()
