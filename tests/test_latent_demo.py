"""The built-in tiny autoencoder/VAE on digits: training equals a plain torch.optim.Adam loop,
the demo widget trains in a background thread and streams codes and decoder weights (throttled),
then writes its full state; stop and divergence are states shown to the user."""

from __future__ import annotations

import copy
import signal
import threading
from typing import Any

import numpy as np
import pytest
import torch

from dlwidgets import LatentExplorer
from dlwidgets.engine import latent as L
from tests.test_latent_widget import RecordingComm


def test_train_chunks_equals_a_plain_adam_loop() -> None:
    x, _ = L.load_digits_flat()
    x = x[:300]
    torch.manual_seed(0)
    model = L.DigitsAE(2)
    ref = copy.deepcopy(model)
    chunks = list(L.train_chunks(model, x, epochs=2, batch_size=50, lr=1e-2, seed=5,
                                 device="cpu"))
    # the same training written out with torch alone
    opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(5)
    xt = torch.tensor(x)
    losses = []
    for _ in range(2):
        order = torch.randperm(300, generator=gen)
        total = 0.0
        for start in range(0, 300, 50):
            xb = xt[order[start:start + 50]]
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(ref(xb), xb)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(xb)
        losses.append(total / 300)
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)
    assert [c.loss for c in chunks] == pytest.approx(losses, rel=1e-6)
    assert [c.epoch for c in chunks] == [1, 2] and not chunks[-1].diverged
    with torch.no_grad():
        np.testing.assert_allclose(chunks[-1].codes, ref.encoder(xt).numpy(), atol=1e-5)


def test_vae_loss_is_the_negative_elbo() -> None:
    torch.manual_seed(1)
    model = L.DigitsVAE(2)
    xb = torch.rand(8, 64)
    torch.manual_seed(7)
    loss = L.digits_loss(model, xb)
    torch.manual_seed(7)
    recon, mu, logvar = model(xb)
    bce = torch.nn.functional.binary_cross_entropy(recon, xb, reduction="sum")
    # KL(N(mu, sigma^2) || N(0, 1)) per dimension = (sigma^2 + mu^2 - 1 - log sigma^2) / 2
    kl = 0.5 * (logvar.exp() + mu ** 2 - 1 - logvar).sum()
    torch.testing.assert_close(loss, (bce + kl) / 8)


def test_a_non_finite_loss_ends_training_as_diverged() -> None:
    x, _ = L.load_digits_flat()
    x = x[:100].copy()
    x[3, 0] = np.inf
    chunks = list(L.train_chunks(L.DigitsAE(2), x, epochs=5, device="cpu"))
    assert len(chunks) == 1 and chunks[0].diverged and np.isnan(chunks[0].loss)
    with pytest.raises(ValueError, match=r"epochs must be in \[1, 10000\], got 0"):
        next(L.train_chunks(L.DigitsAE(2), x, epochs=0))


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_demo_trains_in_the_background_and_streams_the_scatter(kind: str) -> None:
    w = LatentExplorer.demo(kind, epochs=4, device="cpu", start=False)
    comm = RecordingComm(target_name="jupyter.widget", primary=False)
    w.comm = comm
    before = w.codes
    assert w.model_kind == ("vae" if kind == "vae" else "autoencoder")
    assert w.output["kind"] == "image" and w.n_points == 1797 and w.label_names[0] == "0"
    w.train()
    assert w.wait(120), "training did not finish"
    assert not w.training and w.status.startswith("trained 4 epochs")
    assert w.history["loss"].shape == (4,)
    # the final state is the trained model's: codes equal its encoder's output
    x, _ = L.load_digits_flat()
    model: Any = w.model
    with torch.no_grad():
        want = model.encode(torch.tensor(x))[0] if kind == "vae" else \
            model.encoder(torch.tensor(x))
    np.testing.assert_allclose(w.codes, want.numpy(), atol=1e-5)
    assert not np.allclose(w.codes, before)
    # deltas went out as custom messages with binary codes and the decoder's weights
    deltas = [(c, b) for c, b in comm.published if c.get("type") == "train"]
    assert deltas, "no training delta was sent"
    content, buffers = deltas[-1]
    assert content["codes_shape"] == [1797, 2] and len(buffers[0]) == 1797 * 2 * 4
    assert [layer["kind"] for layer in content["mlp_layers"]] == ["linear", "relu", "linear",
                                                                  "sigmoid"]
    assert sum(len(c["loss"]) for c, _ in deltas) <= 4
    assert w.decoder_mlp and w.busy_for_export() is None


def test_stop_ends_training_and_says_so() -> None:
    w = LatentExplorer.demo("ae", epochs=2000, device="cpu", start=False)
    w.train()
    w.stop()
    assert w.wait(60)
    assert w.status.startswith("stopped")
    with pytest.raises(RuntimeError, match="built-in demo model"):
        LatentExplorer(L.DigitsAE(2), np.zeros((3, 64), np.float32), device="cpu").train()


def test_divergence_is_shown_and_the_state_stays_finite() -> None:
    w = LatentExplorer.demo("ae", epochs=3, device="cpu", start=False)
    before = w.codes
    with torch.no_grad():
        w.model.decoder[0].weight.fill_(float("nan"))
    w.train()
    assert w.wait(60)
    assert "diverged" in w.error and "learning rate" in w.error
    assert "stopped after epoch" in w.status
    assert np.isfinite(w.latent_codes).all()
    np.testing.assert_array_equal(w.codes, before)


def test_wait_survives_ctrl_c_and_training_keeps_running() -> None:
    """Ctrl+C in a notebook while wait() blocks interrupts the wait, not the training, and a
    later wait() still tells a running training from a finished one."""
    w = LatentExplorer.demo("ae", epochs=10_000, pretrained=False, device="cpu")
    main = threading.get_ident()
    try:
        timer = threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            w.wait(timeout=120)
        timer.join()
        assert w.training
        assert w.wait(timeout=0.3) is False  # still training: not reported finished
        assert w._thread is not None and w._thread.is_alive()
    finally:
        w.stop()
    assert w.wait(timeout=120) is True
    assert not w.training and w._thread is not None and not w._thread.is_alive()
    assert w.status.startswith("stopped after epoch")
