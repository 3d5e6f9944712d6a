"""LatentExplorer in Python: its state equals what torch computes, decode requests from the page
are answered with the decoder's outputs, selections recompute their views, bad input is refused
with a message that says what was given."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from comm.base_comm import BaseComm
from torch import nn

from dlwidgets import LatentExplorer
from dlwidgets.engine import latent as L
from tests.latent_models import GAN, ConvAE, NotAnAE, TinyAE, TinyVAE


class RecordingComm(BaseComm):
    """A comm that keeps what the widget publishes (instead of the kernel's IOPub socket)."""

    def __init__(self, **kwargs: Any) -> None:
        self.published: list[tuple[dict[str, Any], list[bytes]]] = []
        super().__init__(**kwargs)

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None,
                    buffers: Any = None, **keys: Any) -> None:
        if msg_type == "comm_msg" and data and data.get("method") == "custom":
            self.published.append((data["content"], [bytes(b) for b in buffers or []]))


def record(widget: LatentExplorer) -> RecordingComm:
    comm = RecordingComm(target_name="jupyter.widget", primary=False)
    widget.comm = comm
    return comm


def data(n: int = 60, d: int = 16) -> torch.Tensor:
    return torch.rand(n, d, generator=torch.Generator().manual_seed(2))


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_state_holds_codes_labels_pca_and_grid_as_binary() -> None:
    model = TinyAE(latent_dim=4)
    x = data()
    labels = np.arange(60) % 3
    w = LatentExplorer(model, x, labels, device="cpu")
    with torch.no_grad():
        want = model.encoder(x).numpy()
    wire = w.get_state()["latent_codes"]
    assert wire["dtype"] == "float32" and isinstance(wire["data"], memoryview)
    np.testing.assert_allclose(w.latent_codes, want, atol=1e-6)
    np.testing.assert_allclose(w.codes, want, atol=1e-6)
    assert w.model_kind == "autoencoder" and w.latent_dim == 4 and w.n_points == 60
    assert w.label_kind == "categorical" and w.label_names == ["0", "1", "2"]
    np.testing.assert_array_equal(w.label_values, labels)
    # PCA by default for latent_dim > 2; the projection is (z - mean) @ components[:2].T
    assert w.projection_mode == "pca" and len(w.sliders) == 2
    pca = L.fit_pca(want)
    np.testing.assert_allclose(w.projection, pca.transform(want)[:, :2], atol=1e-5)
    np.testing.assert_allclose(w.plane["basis"], pca.components[:2], atol=1e-6)
    # the precomputed grid decodes the lattice over the data's extent with torch's decoder
    grid = w.grid
    n = grid["n"]
    pts = L.grid_points(tuple(grid["x_range"]), tuple(grid["y_range"]), n)
    with torch.no_grad():
        z = torch.tensor(w.to_latent(pts), dtype=torch.float32)
        ref = model.decoder(z).numpy().reshape(n, n, -1)
    np.testing.assert_allclose(w.grid_images(), ref, atol=1e-6)
    assert w.output["kind"] == "curve" and w.output["length"] == 16


def test_decode_and_encode_equal_torch() -> None:
    model = TinyVAE(latent_dim=3)
    x = data()
    w = LatentExplorer(model, x, device="cpu")
    assert w.model_kind == "vae"
    with torch.no_grad():
        mu, _ = model.encode(x[:7])
        np.testing.assert_allclose(w.encode(x[:7]), mu.numpy(), atol=1e-6)
        z = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
        np.testing.assert_allclose(w.decode(z), model.decode(torch.from_numpy(z)).numpy(),
                                   atol=1e-6)
        np.testing.assert_allclose(w.decode(z[0]), model.decode(torch.from_numpy(z[:1])).numpy(),
                                   atol=1e-6)


def test_decode_request_from_the_page_is_answered_with_the_decoders_outputs() -> None:
    model = TinyAE(latent_dim=2)
    w = LatentExplorer(model, data(), device="cpu")
    comm = record(w)
    z = np.array([[0.1, -0.2], [1.0, 2.0], [0.0, 0.0]], dtype=np.float32)
    w._handle_custom_msg({"type": "decode", "id": 7, "purpose": "hover"}, [z.tobytes()])
    (content, buffers), = comm.published
    assert content.pop("ms") >= 0  # time Python spent decoding, for the latency breakdown
    assert content == {"type": "decoded", "id": 7, "purpose": "hover", "shape": [3, 16]}
    got = np.frombuffer(buffers[0], dtype=np.float32).reshape(3, 16)
    with torch.no_grad():
        np.testing.assert_allclose(got, model.decoder(torch.from_numpy(z)).numpy(), atol=1e-6)
    # malformed requests are answered with an error message, never raised into the kernel
    w._handle_custom_msg({"type": "decode", "id": 8, "purpose": "hover"},
                         [np.zeros(3, np.float32).tobytes()])
    w._handle_custom_msg({"type": "decode", "id": 9, "purpose": "hover"},
                         [np.array([np.nan, 0], np.float32).tobytes()])
    w._handle_custom_msg({"type": "decode", "id": 10, "purpose": "hover"}, [])
    errors = [c for c, _ in comm.published[1:]]
    assert [e["type"] for e in errors] == ["error"] * 3
    assert "M x 2" in errors[0]["message"] and "NaN" in errors[1]["message"]


def test_switching_views_dims_and_sliders_changes_the_inverse_mapping() -> None:
    model = TinyAE(latent_dim=4)
    w = LatentExplorer(model, data(), device="cpu")
    w.use_dims(2, 0)
    assert w.projection_mode == "dims" and w.dims == [2, 0]
    np.testing.assert_allclose(w.projection, w.codes[:, [2, 0]], atol=1e-7)
    assert w.plane["axis_labels"] == ["z2", "z0"] and w.plane["slider_labels"] == ["z1", "z3"]
    np.testing.assert_allclose(w.sliders, w.codes[:, [1, 3]].mean(0), atol=1e-6)
    w.sliders = [0.5, -0.25]  # as the page sets it
    np.testing.assert_allclose(w.to_latent([1.0, 2.0]), [2.0, 0.5, 1.0, -0.25])
    with torch.no_grad():
        want = model.decoder(torch.tensor([[2.0, 0.5, 1.0, -0.25]])).numpy()
    np.testing.assert_allclose(w.decode_plane([1.0, 2.0]), want, atol=1e-6)
    # the grid follows the sliders
    n = w.grid["n"]
    pts = L.grid_points(tuple(w.grid["x_range"]), tuple(w.grid["y_range"]), n)
    with torch.no_grad():
        ref = model.decoder(torch.tensor(w.to_latent(pts), dtype=torch.float32)).numpy()
    np.testing.assert_allclose(w.grid_images().reshape(n * n, -1), ref, atol=1e-6)
    w.projection_mode = "pca"
    assert w.sliders == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"dims\[0\] must be a latent dimension in \[0, 3\]"):
        w.use_dims(4, 0)


def test_selection_computes_interpolation_arithmetic_traversal_and_detail() -> None:
    model = TinyAE(latent_dim=3)
    x = data()
    w = LatentExplorer(model, x, device="cpu")
    codes = w.codes
    w.select(4, 9, 11)
    w.focus = 9
    interp = w.interpolation
    assert (interp["a"], interp["b"]) == (4, 9)
    with torch.no_grad():
        zl = L.lerp(codes[4], codes[9], 9)
        zs = L.slerp(codes[4], codes[9], 9)
        np.testing.assert_allclose(interp["lerp"],
                                   model.decoder(torch.tensor(zl, dtype=torch.float32)).numpy(),
                                   atol=1e-6)
        np.testing.assert_allclose(interp["slerp"],
                                   model.decoder(torch.tensor(zs, dtype=torch.float32)).numpy(),
                                   atol=1e-6)
        z = codes[4] - codes[9] + codes[11]
        np.testing.assert_allclose(w.arithmetic_result["z"], z, atol=1e-6)
        np.testing.assert_allclose(w.arithmetic_result["images"][3],
                                   model.decoder(torch.tensor(z[None])).numpy()[0], atol=1e-6)
        np.testing.assert_allclose(w.arithmetic(4, 9, 11),
                                   model.decoder(torch.tensor(z[None])).numpy()[0], atol=1e-6)
        # detail of the clicked point: input, reconstruction, its error (F.mse_loss)
        d = w.detail
        assert d["index"] == 9
        recon = model(x[9:10])
        np.testing.assert_allclose(d["recon"], recon.numpy()[0], atol=1e-6)
        assert d["error"] == pytest.approx(float(F.mse_loss(recon, x[9:10])), rel=1e-5)
    trav = w.traversal
    assert trav["base"] == 9 and trav["dims"] == [0, 1, 2]
    images = trav["images"]
    assert images.shape == (3, 9, 16)
    values = trav["values"]
    zt = np.repeat(codes[9][None], 9, axis=0)
    zt[:, 1] = values[1]
    with torch.no_grad():
        np.testing.assert_allclose(images[1], model.decoder(torch.tensor(zt)).numpy(), atol=1e-5)
    w.interp_steps = 5
    assert w.interpolation["lerp"].shape == (5, 16)
    np.testing.assert_allclose(w.interpolate(4, 9, 5, "slerp"),
                               w.interpolation["slerp"], atol=1e-6)
    with pytest.raises(ValueError, match=r"b must be a point index in \[0, 59\]"):
        w.select(1, 60)


def test_anomalies_rank_the_worst_reconstructions() -> None:
    model = TinyAE()
    x = data(80)
    x[17] = 5.0  # far outside what a sigmoid output can reconstruct
    w = LatentExplorer(model, x, device="cpu", anomaly_count=5)
    with torch.no_grad():
        errs = F.mse_loss(model(x), x, reduction="none").mean(1)
    np.testing.assert_allclose(w.errors, errs.numpy(), rtol=1e-5)
    idx = w.anomalies["index"]
    np.testing.assert_array_equal(idx, torch.topk(errs, 5).indices.numpy())
    assert idx[0] == 17
    np.testing.assert_allclose(w.anomalies["inputs"][0], x[17].numpy())
    with torch.no_grad():
        np.testing.assert_allclose(w.anomalies["recons"][0], model(x[17:18])[0],
                                   atol=1e-6)
    np.testing.assert_array_equal(w.anomalies_top(3), idx[:3])
    inp, rec, err = w.reconstruction(17)
    assert err == pytest.approx(float(errs[17]), rel=1e-5)


def test_images_are_detected_from_shapes() -> None:
    w = LatentExplorer(ConvAE(), torch.rand(10, 1, 8, 8), device="cpu")
    assert w.output["kind"] == "image" and (w.output["height"], w.output["width"]) == (8, 8)
    assert w.decoder_mlp == {} and "ConvTranspose2d" in w.mlp_reason
    flat = LatentExplorer(TinyAE(d_in=64), torch.rand(10, 64), device="cpu", image_shape=(8, 8))
    assert flat.output["kind"] == "image" and flat.output["channels"] == 1
    with pytest.raises(ValueError, match=r"image_shape=\(5, 5\) does not fit"):
        LatentExplorer(TinyAE(d_in=64), torch.rand(10, 64), device="cpu", image_shape=(5, 5))


def test_mlp_decoder_ships_its_weights_for_the_browser() -> None:
    model = TinyAE(latent_dim=2)
    w = LatentExplorer(model, data(), device="cpu")
    mlp = w.decoder_mlp
    assert [layer["kind"] for layer in mlp["layers"]] == ["linear", "relu", "linear", "sigmoid"]
    np.testing.assert_array_equal(mlp["layers"][0]["weight"],
                                  model.decoder[0].weight.detach().numpy())
    np.testing.assert_array_equal(mlp["layers"][2]["bias"],
                                  model.decoder[2].bias.detach().numpy())
    assert mlp["params"] == sum(p.numel() for p in model.decoder.parameters())
    small = LatentExplorer(model, data(), device="cpu", max_browser_params=10)
    assert small.decoder_mlp == {} and "limit" in small.mlp_reason


def test_generator_samples_the_prior() -> None:
    gan = GAN(latent_dim=5)
    w = LatentExplorer(gan, 500, device="cpu")
    assert w.model_kind == "generator" and w.n_points == 500 and w.errors is None
    assert w.get_state("errors")["errors"] == {}  # "no errors" on the wire, as before
    want = torch.randn(500, 5, generator=torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_array_equal(w.codes, want)
    with torch.no_grad():
        np.testing.assert_allclose(w.decode(want[:3]),
                                   gan.generator(torch.from_numpy(want[:3])).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="generator has no inputs"):
        w.reconstruction(0)
    with pytest.raises(TypeError, match="a generator has no encoder"):
        LatentExplorer(gan, data(), device="cpu")


def test_data_from_a_dataloader_brings_its_labels() -> None:
    x = data(40)
    y = torch.arange(40) % 4
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    w = LatentExplorer(TinyAE(), loader, device="cpu")
    assert w.n_points == 40 and w.label_names == ["0", "1", "2", "3"]
    s = LatentExplorer(TinyAE(), x, np.array(["cat", "dog"] * 20), device="cpu")
    assert s.label_names == ["cat", "dog"]
    c = LatentExplorer(TinyAE(), x, np.linspace(0, 1, 40) ** 2, device="cpu")
    assert c.label_kind == "continuous" and c.get_state()["label_values"]["dtype"] == "float32"


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: LatentExplorer(NotAnAE(), data()), TypeError,
         r"cannot explore the latent space of NotAnAE.*Found children \['fc1', 'head'\]"),
        (lambda: LatentExplorer(TinyAE(d_in=16), torch.rand(5, 7)), ValueError,
         r"encoder rejected data of shape \(5, 7\): it expects \(N, 16\)"),
        (lambda: LatentExplorer(TinyAE(), data(10), labels=[0, 1, 2]), ValueError,
         r"labels has 3 entries but the data has 10 samples"),
        (lambda: LatentExplorer(TinyAE(), torch.full((4, 16), float("nan"))), ValueError,
         r"NaN/inf codes for 4 of 4 samples"),
        (lambda: LatentExplorer(TinyAE()), ValueError, r"data is required"),
        (lambda: LatentExplorer(TinyAE(), data(), grid_size=1), ValueError,
         r"grid_size must be in \[2, 64\], got 1"),
        (lambda: LatentExplorer((nn.Linear(16, 2),), data()), TypeError,
         r"needs exactly two nn.Modules"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_bad_values_from_the_page_are_refused() -> None:
    w = LatentExplorer(TinyAE(latent_dim=3), data(), device="cpu")
    w.sliders = [1.0, 2.0]  # wrong length (latent_dim - 2 = 1): kept out, reported
    assert "sliders must have 1 values, got (2,)" in w.error
    np.testing.assert_allclose(w.plane_map.slider_values, [0.0])
    w.sliders = [0.5]
    assert w.plane_map.slider_values[0] == 0.5
    with pytest.raises(Exception, match="decode_path"):
        w.decode_path = "gpu"
    with pytest.raises(Exception, match="interp_steps must be in"):
        w.interp_steps = 1
