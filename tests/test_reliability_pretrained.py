"""The demo models ship their trained weights: the same model on every machine, loaded in
milliseconds, with training from scratch still an option."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from dlwidgets import LatentExplorer, LSTMInspector
from dlwidgets.engine import char_demo as cd
from dlwidgets.engine import latent as L
from dlwidgets.engine import pretrained
from dlwidgets.widgets.latent_explorer import DEMO_TRAINING, demo_weights_name


@pytest.mark.parametrize("name", ["char_demo_lstm", "char_demo_rnn", "latent_demo_ae_2d",
                                  "latent_demo_vae_2d", "latent_demo_vae_4d"])
def test_the_weights_are_small_files_in_the_package(name: str) -> None:
    path = pretrained.path(name)
    assert path.is_file() and path.stat().st_size < 200_000
    loaded = pretrained.load(name)
    assert loaded is not None
    state, _meta = loaded
    assert all(t.dtype == torch.float32 for t in state.values())


def test_the_char_demo_loads_the_shipped_weights_without_training() -> None:
    cd._shipped.cache_clear()
    started = time.perf_counter()
    model, acc, seconds = cd.trained_model("lstm")
    assert time.perf_counter() - started < 2.0 and seconds == 0.0
    loaded = pretrained.load("char_demo_lstm")
    assert loaded is not None
    for key, value in loaded[0].items():
        assert torch.equal(model.state_dict()[key], value), key
    assert acc == pytest.approx(float(loaded[1]["accuracy"]))
    # the accuracy stored beside the weights is what these weights score on the test texts
    ids, targets = cd._dataset(10_000, 32, 200)
    assert cd._accuracy(model, ids, targets) == pytest.approx(acc, abs=0.01)


def test_the_char_demo_can_still_train_from_scratch() -> None:
    model, acc, seconds = cd.trained_model("lstm", seed=3, hidden=8, steps=20)
    assert seconds > 0 and 0.0 <= acc <= 1.0
    demo = cd.char_demo(pretrained=False, steps=20, hidden=8)
    assert demo.train_seconds > 0


def test_lstm_inspector_demo_shows_the_shipped_model() -> None:
    w = LSTMInspector.demo()
    loaded = pretrained.load("char_demo_lstm")
    assert loaded is not None
    assert torch.equal(w._demo.model.rnn.weight_hh_l0, loaded[0]["rnn.weight_hh_l0"])
    assert w.unit == w._demo.counting_unit and abs(w._demo.counting_r) > 0.85


@pytest.mark.parametrize(("kind", "dim"), [("ae", 2), ("vae", 4)])
def test_the_latent_demo_loads_the_shipped_weights_at_once(kind: str, dim: int) -> None:
    started = time.perf_counter()
    w = LatentExplorer.demo(kind, latent_dim=dim, device="cpu")
    assert time.perf_counter() - started < 20  # no training: encode, PCA and the grid only
    assert not w.training and w.status.startswith("pretrained: 40 epochs")
    loaded = pretrained.load(demo_weights_name(kind, dim))
    assert loaded is not None
    state, meta = loaded
    for key, value in state.items():
        assert torch.equal(w.model.state_dict()[key], value), key
    assert int(meta["epochs"]) == DEMO_TRAINING["epochs"] == len(meta["loss"])
    x, _ = L.load_digits_flat()
    with torch.no_grad():
        want = w.model.encode(torch.tensor(x))[0] if kind == "vae" else \
            w.model.encoder(torch.tensor(x))
    np.testing.assert_allclose(w.codes, want.numpy(), atol=1e-5)


def test_the_latent_demo_can_still_train_from_scratch() -> None:
    w = LatentExplorer.demo("ae", epochs=2, device="cpu", pretrained=False)
    assert w.wait(120)
    assert w.status.startswith("trained 2 epochs")
