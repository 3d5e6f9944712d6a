"""Trained weights of the built-in demo models, shipped with the package (dlwidgets/data/).

Float rounding differs between CPUs, so a demo trained at run time is a slightly different
model on every machine (a different counting unit, a different latent map). The shipped
weights are the same model everywhere and load in milliseconds; each demo can still train from
scratch (``pretrained=False``). ``tools/make_demo_weights.py`` regenerates the files.

The files are numpy ``.npz`` archives (no pickle): one array per state-dict entry, plus
``meta.*`` entries (training settings and results) that are not weights.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import torch

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
META = "meta."


def path(name: str) -> pathlib.Path:
    return DATA / f"{name}.npz"


def save(name: str, state: dict[str, torch.Tensor], **meta: Any) -> pathlib.Path:
    """Write ``state`` (a state dict) and ``meta`` (numbers or arrays) to dlwidgets/data/."""
    arrays = {k: v.detach().cpu().numpy() for k, v in state.items()}
    arrays.update({META + k: np.asarray(v) for k, v in meta.items()})
    DATA.mkdir(parents=True, exist_ok=True)
    target = path(name)
    np.savez(target, **arrays)  # type: ignore[arg-type]
    return target


def load(name: str) -> tuple[dict[str, torch.Tensor], dict[str, np.ndarray]] | None:
    """(state dict, meta) of shipped weights ``name``, or None when the file is not there."""
    target = path(name)
    if not target.is_file():
        return None
    with np.load(target, allow_pickle=False) as archive:
        state = {k: torch.from_numpy(archive[k].copy()) for k in archive.files
                 if not k.startswith(META)}
        meta = {k[len(META):]: archive[k] for k in archive.files if k.startswith(META)}
    return state, meta
