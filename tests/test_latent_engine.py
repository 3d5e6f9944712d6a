"""Latent engine against PyTorch: encode/decode equal the modules' own outputs, PCA equals
scikit-learn's and torch's SVD, the plane's inverse mapping is exact, interpolation and
arithmetic follow their formulas, errors equal F.mse_loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA as SkPCA
from torch import nn

from dlwidgets.engine import latent as L
from tests.latent_models import GAN, ConvAE, DCGenerator, Generator, NotAnAE, TinyAE, TinyVAE


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def data(n: int = 50, d: int = 16) -> torch.Tensor:
    return torch.rand(n, d, generator=torch.Generator().manual_seed(1))


# ------------------------------------------------------------------ models and encode/decode
def test_autoencoder_encode_decode_equal_torch_in_batches() -> None:
    model = TinyAE()
    x = data(53)
    lm = L.resolve_model(model)
    assert lm.kind == "autoencoder"
    codes = L.encode(lm, x, batch_size=8, device="cpu")
    with torch.no_grad():
        want = model.encoder(x).numpy()
        assert codes.shape == (53, 3)
        np.testing.assert_allclose(codes, want, atol=1e-6, rtol=0)
        z = torch.randn(17, 3)
        np.testing.assert_allclose(L.decode(lm, z, batch_size=5, device="cpu"),
                                   model.decoder(z).numpy(), atol=1e-6, rtol=0)


def test_encode_restores_training_flag_and_uses_eval_mode() -> None:
    model = TinyAE()
    model.encoder.insert(1, nn.Dropout(0.5))
    model.train()
    lm = L.resolve_model(model)
    x = data(20)
    codes = L.encode(lm, x, device="cpu")
    assert model.training and model.encoder[1].training
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(codes, model.encoder(x).numpy(), atol=1e-6)


def test_vae_code_is_mu_and_decode_is_decode() -> None:
    model = TinyVAE()
    lm = L.resolve_model(model)
    assert lm.kind == "vae" and lm.latent_dim == 4
    x = data(30)
    codes = L.encode(lm, x, device="cpu")
    with torch.no_grad():
        mu, _ = model.encode(x)
        np.testing.assert_allclose(codes, mu.numpy(), atol=1e-6)
        z = torch.randn(9, 4)
        np.testing.assert_allclose(L.decode(lm, z.numpy(), device="cpu"), model.decode(z).numpy(),
                                   atol=1e-6)


def test_explicit_pair() -> None:
    enc, dec = nn.Linear(16, 2), nn.Sequential(nn.Linear(2, 16), nn.Tanh())
    lm = L.resolve_model((enc, dec))
    assert lm.kind == "pair"
    x = data(10)
    with torch.no_grad():
        np.testing.assert_allclose(L.encode(lm, x, device="cpu"), enc(x).numpy(), atol=1e-6)


def test_conv_autoencoder_images() -> None:
    model = ConvAE()
    x = torch.rand(12, 1, 8, 8)
    lm = L.resolve_model(model)
    m = L.latent_map(lm, x, device="cpu")
    assert m.codes.shape == (12, 2) and m.output_shape == (1, 8, 8)
    with torch.no_grad():
        want = F.mse_loss(model(x), x, reduction="none").mean(dim=(1, 2, 3)).numpy()
    np.testing.assert_allclose(m.errors, want, rtol=1e-5, atol=1e-7)


def test_generator_samples_prior_and_decodes() -> None:
    gen = Generator(latent_dim=5)
    lm = L.resolve_model(gen)
    assert lm.kind == "generator" and lm.latent_dim == 5 and not lm.can_encode
    m = L.latent_map(lm, None, prior_samples=300, device="cpu")
    assert m.codes.shape == (300, 5) and m.errors is None
    want = torch.randn(300, 5, generator=torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_array_equal(m.codes, want)
    with torch.no_grad():
        np.testing.assert_allclose(L.decode(lm, m.codes[:4], device="cpu"),
                                   gen(torch.from_numpy(m.codes[:4])).numpy(), atol=1e-6)
    # via .generator of a GAN, and a bare module with latent_dim given as argument
    assert L.resolve_model(GAN(3)).latent_dim == 3
    bare = nn.Sequential(nn.Linear(7, 4))
    assert L.resolve_model(bare, latent_dim=7).kind == "generator"


def test_dcgan_generator_gets_codes_as_n_d_1_1() -> None:
    gen = DCGenerator(6)
    lm = L.resolve_model(gen, latent_dim=6)
    z = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
    out = L.decode(lm, z, device="cpu")
    with torch.no_grad():
        np.testing.assert_allclose(out, gen(torch.from_numpy(z)[:, :, None, None]).numpy(),
                                   atol=1e-6)
    assert lm.latent_shape == (6, 1, 1)


def test_model_without_parts_names_what_it_found() -> None:
    with pytest.raises(TypeError) as err:
        L.resolve_model(NotAnAE())
    msg = str(err.value)
    assert "NotAnAE" in msg and "fc1" in msg and "head" in msg and "encoder" in msg
    with pytest.raises(TypeError, match="two nn.Modules"):
        L.resolve_model((nn.Linear(2, 2),))
    with pytest.raises(TypeError, match="got str"):
        L.resolve_model("autoencoder")
    with pytest.raises(ValueError, match="latent_dim"):
        L.resolve_model(TinyAE(), latent_dim=0)


def test_data_the_encoder_rejects_gives_both_shapes() -> None:
    lm = L.resolve_model(TinyAE(d_in=16))
    with pytest.raises(ValueError) as err:
        L.encode(lm, torch.rand(10, 5), device="cpu")
    msg = str(err.value)
    assert "(10, 5)" in msg and "(N, 16)" in msg
    conv = L.resolve_model(ConvAE())
    with pytest.raises(ValueError) as err2:
        L.encode(conv, torch.rand(4, 3, 8, 8), device="cpu")
    assert "(4, 3, 8, 8)" in str(err2.value) and "(N, 1, H, W)" in str(err2.value)


def test_nan_codes_are_refused_with_rows_and_cause() -> None:
    lm = L.resolve_model(TinyAE())
    x = data(20)
    x[3, 2] = float("nan")
    with pytest.raises(ValueError, match=r"NaN/inf codes for 1 of 20 samples \(rows \[3\]\).*data"):
        L.encode(lm, x, device="cpu")
    broken = TinyAE()
    with torch.no_grad():
        broken.encoder[2].weight[0, 0] = float("inf")
    with pytest.raises(ValueError, match="weights"):
        L.encode(L.resolve_model(broken), data(5), device="cpu")
    with pytest.raises(ValueError, match="NaN"):
        L.decode(lm, np.array([[0.0, float("nan"), 1.0]]), device="cpu")
    with pytest.raises(ValueError, match=r"\(3,\) or \(M, 3\)"):
        L.decode(lm, np.zeros((2, 4)), device="cpu")


# ------------------------------------------------------------------ PCA and the plane
def test_pca_equals_sklearn_and_torch_svd() -> None:
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((400, 5)) @ rng.standard_normal((5, 5)) + 3.0
    pca = L.fit_pca(codes, device="cpu")
    sk = SkPCA().fit(codes)
    np.testing.assert_allclose(pca.explained_variance, sk.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(np.abs(np.sum(pca.components * sk.components_, axis=1)), 1.0,
                               atol=1e-9)
    # the projection equals torch's SVD of the centred codes (up to each axis' sign)
    zc = torch.tensor(codes) - torch.tensor(codes).mean(0)
    _, s, vh = torch.linalg.svd(zc, full_matrices=False)
    ours = pca.transform(codes)
    theirs = (zc @ vh.T).numpy()
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), atol=1e-8)
    np.testing.assert_allclose(pca.explained_variance, (s ** 2 / (len(codes) - 1)).numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(pca.components @ pca.components.T, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(pca.inverse(ours), codes, atol=1e-10)


def test_pca_plane_inverse_mapping_is_explicit_and_exact() -> None:
    model = TinyAE(latent_dim=5)
    x = data(80)
    lm = L.resolve_model(model)
    codes = L.encode(lm, x, device="cpu")
    pca = L.fit_pca(codes)
    plane = L.pca_plane(pca)
    # round trip: z = mean + p @ C[:2] + s @ C[2:] with p, s the code's own coordinates
    p = plane.to_plane(codes)
    s = plane.slider_coords(codes)
    np.testing.assert_allclose(plane.to_latent(p, s), codes, atol=1e-5)
    np.testing.assert_allclose(p, pca.transform(codes)[:, :2], atol=1e-10)
    # the documented formula, written out, decoded by torch itself
    pt = np.array([0.3, -0.7])
    sliders = np.array([0.1, 0.2, -0.3])
    z = pca.mean + pt[0] * pca.components[0] + pt[1] * pca.components[1] + \
        sliders @ pca.components[2:]
    plane2 = plane.with_sliders(sliders)
    np.testing.assert_allclose(plane2.to_latent(pt), z, atol=1e-12)
    with torch.no_grad():
        want = model.decoder(torch.tensor(z, dtype=torch.float32)[None]).numpy()
    np.testing.assert_allclose(L.decode(lm, plane2.to_latent(pt), device="cpu"), want, atol=1e-6)
    # slider range: +-3 standard deviations along each remaining axis
    np.testing.assert_allclose(plane.slider_max, 3 * np.sqrt(pca.explained_variance[2:]))
    assert plane.axis_labels[0].startswith("PC1 (")


def test_dims_plane_picks_coordinates_and_sliders_fix_the_rest() -> None:
    rng = np.random.default_rng(1)
    codes = rng.standard_normal((60, 4))
    plane = L.dims_plane(codes, 2, 0)
    np.testing.assert_array_equal(plane.to_plane(codes), codes[:, [2, 0]])
    np.testing.assert_allclose(plane.slider_values, codes[:, [1, 3]].mean(0))
    z = plane.with_sliders([5.0, -6.0]).to_latent(np.array([1.5, 2.5]))
    np.testing.assert_array_equal(z, [2.5, 5.0, 1.5, -6.0])
    np.testing.assert_allclose(plane.to_latent(plane.to_plane(codes), plane.slider_coords(codes)),
                               codes, atol=1e-12)
    with pytest.raises(ValueError, match=r"dims\[1\].*\[0, 3\]"):
        L.dims_plane(codes, 0, 4)
    with pytest.raises(ValueError, match="differ"):
        L.dims_plane(codes, 1, 1)
    with pytest.raises(ValueError, match="2 values"):
        plane.with_sliders([1.0])


def test_grid_points_and_decode_grid_equal_decoder_of_lattice() -> None:
    pts = L.grid_points((0.0, 4.0), (0.0, 2.0), 2)
    np.testing.assert_allclose(pts, [[1.0, 1.5], [3.0, 1.5], [1.0, 0.5], [3.0, 0.5]])
    model = TinyAE(latent_dim=2)
    lm = L.resolve_model(model)
    codes = L.encode(lm, data(40), device="cpu")
    plane = L.dims_plane(codes, 0, 1)
    grid = L.decode_grid(lm, plane, (-1.0, 1.0), (-2.0, 2.0), 5, device="cpu", batch_size=7)
    assert grid.shape == (5, 5, 16)
    pts = L.grid_points((-1.0, 1.0), (-2.0, 2.0), 5)
    with torch.no_grad():
        want = model.decoder(torch.tensor(pts, dtype=torch.float32)).numpy().reshape(5, 5, 16)
    np.testing.assert_allclose(grid, want, atol=1e-6)
    with pytest.raises(ValueError, match="grid size"):
        L.grid_points((0, 1), (0, 1), 0)
    with pytest.raises(ValueError, match="min < max"):
        L.grid_points((1, 0), (0, 1), 3)


# ------------------------------------------------------------------ interpolation etc.
def test_lerp_endpoints_and_evenly_spaced() -> None:
    a, b = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 5.0])
    path = L.lerp(a, b, 5)
    np.testing.assert_allclose(path[0], a)
    np.testing.assert_allclose(path[-1], b)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((b - a) / 4, (4, 1)))


def test_slerp_follows_the_great_circle() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal(8)
    b = rng.standard_normal(8)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    path = L.slerp(a, b, 9)
    np.testing.assert_allclose(path[0], a, atol=1e-12)
    np.testing.assert_allclose(path[-1], b, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-12)
    angles = np.arccos(np.clip(path @ a, -1, 1))
    omega = math.acos(a @ b)
    np.testing.assert_allclose(angles, np.linspace(0, omega, 9), atol=1e-9)
    # orthogonal unit vectors: the midpoint is (a + b) / sqrt(2)
    e0, e1 = np.eye(3)[0], np.eye(3)[1]
    np.testing.assert_allclose(L.slerp(e0, e1, 3)[1], (e0 + e1) / math.sqrt(2), atol=1e-12)
    # parallel codes: the great circle is undefined, the path is the straight line
    np.testing.assert_allclose(L.slerp(e0, 3 * e0, 4), L.lerp(e0, 3 * e0, 4))
    with pytest.raises(ValueError, match="steps"):
        L.slerp(e0, e1, 1)
    with pytest.raises(ValueError, match="same size"):
        L.lerp(e0, np.ones(2), 3)


def test_arithmetic_and_traversal() -> None:
    a, b, c = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([3.0, 3.0])
    np.testing.assert_allclose(L.arithmetic(a, b, c), a - b + c)
    model = TinyAE(latent_dim=3)
    lm = L.resolve_model(model)
    codes = L.encode(lm, data(40), device="cpu")
    vals = L.traversal_values(codes, 6)
    np.testing.assert_allclose(vals[:, 0], np.percentile(codes, 1, axis=0))
    np.testing.assert_allclose(vals[:, -1], np.percentile(codes, 99, axis=0))
    base = codes[7]
    zs, out = L.traverse(lm, base, [0, 2], vals, device="cpu")
    assert zs.shape == (2, 6, 3) and out.shape == (2, 6, 16)
    np.testing.assert_allclose(zs[1, :, 2], vals[2])
    np.testing.assert_allclose(zs[1, :, :2], np.tile(base[:2], (6, 1)), atol=1e-7)
    with torch.no_grad():
        want = model.decoder(torch.tensor(zs[1], dtype=torch.float32)).numpy()
    np.testing.assert_allclose(out[1], want, atol=1e-6)


def test_reconstruction_errors_equal_mse_loss_and_ranking_equals_topk() -> None:
    model = TinyAE()
    x = data(70)
    lm = L.resolve_model(model)
    errs = L.reconstruction_errors(lm, x, device="cpu", batch_size=16)
    with torch.no_grad():
        want = F.mse_loss(model(x), x, reduction="none").mean(dim=1)
    np.testing.assert_allclose(errs, want.numpy(), rtol=1e-5)
    top = L.rank_anomalies(errs, 10)
    np.testing.assert_array_equal(top, torch.topk(torch.tensor(errs), 10).indices.numpy())
    recon, e2 = L.reconstruct(lm, x, device="cpu")
    np.testing.assert_allclose(e2, errs, rtol=1e-6)
    assert recon.shape == (70, 16)


# ------------------------------------------------------------------ in-browser MLP
def test_mlp_spec_reads_a_sequential_decoder_and_equals_torch() -> None:
    model = TinyVAE(latent_dim=3)  # GELU inside
    model.decoder.append(nn.Softplus(beta=2.0))
    model.decoder.append(nn.Unflatten(1, (4, 4)))
    lm = L.resolve_model(model)
    L.encode(lm, data(5), device="cpu")
    spec, why = L.mlp_spec(lm, device="cpu")
    assert spec is not None, why
    assert [layer["kind"] for layer in spec.layers] == ["linear", "gelu", "linear", "softplus"]
    assert spec.params == 3 * 32 + 32 + 32 * 16 + 16 and spec.in_dim == 3 and spec.out_dim == 16
    z = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
    with torch.no_grad():
        want = model.decode(torch.from_numpy(z)).reshape(20, -1).double().numpy()
    np.testing.assert_allclose(L.mlp_forward(spec, z), want, atol=1e-5)


def test_mlp_spec_refuses_what_is_not_a_plain_mlp() -> None:
    conv = L.resolve_model(ConvAE())
    L.encode(conv, torch.rand(2, 1, 8, 8), device="cpu")
    spec, why = L.mlp_spec(conv, device="cpu")
    assert spec is None and "ConvTranspose2d" in why
    ae = TinyAE()
    lm = L.resolve_model(ae)
    L.encode(lm, data(3), device="cpu")
    spec, why = L.mlp_spec(lm, max_params=100, device="cpu")
    assert spec is None and "limit" in why

    class Shifted(nn.Sequential):
        def forward(self, z: torch.Tensor) -> torch.Tensor:  # not the plain chain
            return super().forward(z) + 1.0

    pair = L.resolve_model((nn.Linear(16, 2), Shifted(nn.Linear(2, 16))), latent_dim=2)
    spec, why = L.mlp_spec(pair, device="cpu")
    assert spec is None and "differs" in why


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_batch_decoding_equals_cpu() -> None:
    model = TinyAE(latent_dim=2)
    lm = L.resolve_model(model)
    codes = L.encode(lm, data(100), device="cpu")
    plane = L.dims_plane(codes, 0, 1)
    cpu = L.decode_grid(lm, plane, (-1, 1), (-1, 1), 32, device="cpu")
    gpu = L.decode_grid(lm, plane, (-1, 1), (-1, 1), 32, device="cuda")
    np.testing.assert_allclose(gpu, cpu, atol=1e-5)
    assert next(model.parameters()).device.type == "cpu"  # the user's model is not moved
