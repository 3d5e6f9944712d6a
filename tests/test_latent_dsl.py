"""Models built by the DSL (dlwidgets.build) go straight into the latent explorer: autoencoder,
VAE (code = mu) and GAN generator, each decoded equal to the model's own modules."""

from __future__ import annotations

import numpy as np
import torch

from dlwidgets import LatentExplorer, build


def test_dsl_autoencoder_with_a_reshape_decodes_in_the_browser_path() -> None:
    ae = build("""
input 1x8x8
encoder:
    flatten
    dense 32 relu
    dense 2
decoder:
    dense 32 relu
    dense 64 sigmoid
    reshape 1x8x8
""", seed=0)
    x = torch.rand(40, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    w = LatentExplorer(ae, x, device="cpu")
    assert w.model_kind == "autoencoder" and w.output["kind"] == "image"
    assert w.decoder_mlp, w.mlp_reason  # the trailing reshape does not stop it
    with torch.no_grad():
        np.testing.assert_allclose(w.codes, ae.encoder(x).numpy(), atol=1e-6)
        np.testing.assert_allclose(w.errors,
                                   ((ae(x) - x) ** 2).mean(dim=(1, 2, 3)).numpy(), rtol=1e-5)


def test_dsl_vae_code_is_mu() -> None:
    vae = build("""
input 64
encoder:
    dense 32 relu
latent 3
decoder:
    dense 32 relu
    dense 64 sigmoid
""", seed=1)
    x = torch.rand(40, 64, generator=torch.Generator().manual_seed(1))
    w = LatentExplorer(vae, x, device="cpu", image_shape=(8, 8))
    assert w.model_kind == "vae" and w.latent_dim == 3 and w.projection_mode == "pca"
    vae.eval()
    with torch.no_grad():
        np.testing.assert_allclose(w.codes, vae.encode(x)[0].numpy(), atol=1e-6)
        z = torch.randn(4, 3)
        np.testing.assert_allclose(w.decode(z), vae.decode(z).numpy(), atol=1e-6)


def test_dsl_gan_generator_samples_the_prior() -> None:
    gan = build("""
input 1x8x8
latent 4
generator:
    dense 32 relu
    dense 64 tanh
    reshape 1x8x8
discriminator:
    flatten
    dense 1
""", seed=2)
    w = LatentExplorer(gan, 200, device="cpu")
    assert w.model_kind == "generator" and w.latent_dim == 4 and w.output["kind"] == "image"
    with torch.no_grad():
        z = torch.tensor(w.codes[:3])
        np.testing.assert_allclose(w.decode(z), gan.generator(z).numpy(), atol=1e-6)
