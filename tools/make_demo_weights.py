"""Regenerate the demo weights shipped in dlwidgets/data/ (run from the repository root:
``python tools/make_demo_weights.py``). Each file is trained once, here, and is then the same
model on every machine; see dlwidgets/engine/pretrained.py."""

from __future__ import annotations

import numpy as np
import torch

from dlwidgets.engine import char_demo as cd
from dlwidgets.engine import latent as L
from dlwidgets.engine import pretrained

#: (kind, latent_dim) of the latent demos whose weights ship (the examples use these)
LATENT = [("ae", 2), ("vae", 2), ("vae", 4)]


def char_models() -> None:
    for cell in ("lstm", "rnn"):
        cd._trained.cache_clear()
        model, acc, seconds = cd.trained_model(cell, pretrained=False, **cd.PRETRAINED)
        path = pretrained.save(cd.weights_name(cell), model.state_dict(), accuracy=acc,
                               **cd.PRETRAINED)
        print(f"{path.name}: accuracy {acc:.3f}, trained in {seconds:.1f} s")


def latent_models() -> None:
    from dlwidgets.widgets.latent_explorer import DEMO_TRAINING, demo_weights_name

    x, _ = L.load_digits_flat()
    for kind, dim in LATENT:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(DEMO_TRAINING["seed"])
            model = L.DigitsAE(dim) if kind == "ae" else L.DigitsVAE(dim)
        losses = [chunk.loss for chunk in L.train_chunks(model, x, device="cpu", **DEMO_TRAINING)]
        path = pretrained.save(demo_weights_name(kind, dim), model.state_dict(),
                               loss=np.asarray(losses), **DEMO_TRAINING)
        print(f"{path.name}: {len(losses)} epochs, loss {losses[-1]:.4g}")


if __name__ == "__main__":
    char_models()
    latent_models()
