"""The latent explorer's t-SNE and UMAP views: each equals the library's own result on the same
codes with the same seed, switching views keeps what each view needs, too few codes or a bad
perplexity are refused with a message, and positions in a non-invertible view are never decoded
(hovering there gets the nearest data point's own reconstruction instead)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.manifold import TSNE

from dlwidgets import LatentExplorer
from dlwidgets.engine import embedding as E
from tests.latent_models import TinyAE
from tests.test_latent_widget import record


def data(n: int = 60, d: int = 16) -> torch.Tensor:
    return torch.rand(n, d, generator=torch.Generator().manual_seed(2))


def explorer(n: int = 60, latent_dim: int = 4, seed: int = 0) -> LatentExplorer:
    torch.manual_seed(0)
    return LatentExplorer(TinyAE(latent_dim=latent_dim), data(n), np.arange(n) % 3,
                          device="cpu", seed=seed)


def sklearn_tsne(codes: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    return TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto",
                random_state=seed).fit_transform(codes.astype(np.float32))


def test_tsne_view_equals_sklearns_tsne_with_the_same_seed() -> None:
    w = explorer(seed=7)
    w.use_tsne()
    assert w.projection_mode == "tsne" and not w.invertible
    perplexity = min(30.0, (60 - 1) / 3)  # bounded by the number of codes
    want = sklearn_tsne(w.codes, perplexity, 7)
    np.testing.assert_allclose(w.projection, want, rtol=0, atol=1e-4 * np.ptp(want))
    state = w.embeddings["tsne"]
    assert state["perplexity"] == pytest.approx(perplexity) and state["seed"] == 7
    wire = w.get_state()["embeddings"]["tsne"]["coords"]
    assert wire["dtype"] == "float32" and wire["shape"] == [60, 2]
    assert isinstance(wire["data"], memoryview)  # a binary buffer, not a JSON list
    # another perplexity is another embedding, again sklearn's
    w.use_tsne(perplexity=5)
    np.testing.assert_allclose(w.projection, sklearn_tsne(w.codes, 5.0, 7), rtol=0,
                               atol=1e-4 * np.ptp(want))
    assert w.embeddings["tsne"]["perplexity"] == 5.0


def test_umap_view_equals_umap_learn_with_the_same_random_state() -> None:
    umap = pytest.importorskip("umap", reason="umap-learn is the optional extra "
                                              "dlwidgets[umap]; not installed here")
    w = explorer(seed=3)
    w.use_umap()
    assert w.projection_mode == "umap"
    want = umap.UMAP(n_components=2, n_neighbors=15, min_dist=0.1, random_state=3,
                     n_jobs=1).fit_transform(w.codes.astype(np.float32))
    np.testing.assert_allclose(w.projection, want, rtol=0, atol=1e-4 * np.ptp(want))
    assert w.embeddings["umap"]["n_neighbors"] == 15 and w.embeddings["umap"]["seed"] == 3
    with pytest.raises(ValueError, match=r"n_neighbors must be in \[2, 59\] for 60 codes"):
        w.use_umap(n_neighbors=60)
    with pytest.raises(ValueError, match=r"UMAP needs at least 5 codes to place, got 3"):
        E.umap(np.zeros((3, 2)))


def test_switching_views_keeps_the_plane_and_computes_an_embedding_once() -> None:
    w = explorer()
    pca_proj = w.projection
    w.use_dims(2, 0)
    np.testing.assert_allclose(w.projection, w.codes[:, [2, 0]], atol=1e-7)
    w.use_view("tsne")
    tsne_proj = w.projection
    assert w.projection_mode == "tsne" and w.embeddings["tsne"]["coords"].shape == (60, 2)
    assert not np.allclose(tsne_proj, w.codes[:, [2, 0]], atol=1e-3)
    assert w.plane["mode"] == "dims"  # the last invertible plane is kept underneath
    # the page switches back and forth: nothing is recomputed
    w.projection_mode = "dims"
    np.testing.assert_allclose(w.projection, w.codes[:, [2, 0]], atol=1e-7)
    assert w.dims == [2, 0]
    w.projection_mode = "tsne"
    assert w.view_status == ""
    np.testing.assert_array_equal(w.projection, tsne_proj)
    w.use_pca()
    np.testing.assert_allclose(w.projection, pca_proj, atol=1e-6)
    with pytest.raises(ValueError, match="view must be one of"):
        w.use_view("isomap")


def test_the_page_choosing_tsne_computes_it_in_a_worker() -> None:
    w = explorer()
    w.projection_mode = "tsne"  # as the page sets it: returns at once
    assert w.view_status == "computing t-SNE…" or "tsne" in w.embeddings
    assert w.wait_view(120)
    assert w.view_status == "" and w.error == ""
    np.testing.assert_allclose(w.embeddings["tsne"]["coords"], w.embedding("tsne"))
    np.testing.assert_allclose(w.projection, w.embedding("tsne"))


def test_too_few_points_and_bad_perplexities_are_refused_with_a_message() -> None:
    w = explorer(n=4)
    with pytest.raises(ValueError, match=r"t-SNE needs at least 5 codes to place, got 4"):
        w.use_tsne()
    w.projection_mode = "tsne"  # the page: the error is shown and the view stays invertible
    assert w.wait_view(60)
    assert "t-SNE view: t-SNE needs at least 5 codes" in w.error
    assert w.projection_mode in ("pca", "dims") and w.invertible
    w = explorer(n=30)
    with pytest.raises(ValueError, match=r"perplexity must be in \(0, 30\) for 30 codes.*got 30"):
        w.use_tsne(perplexity=30)
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="perplexity must be in"):
            w.use_tsne(perplexity=bad)
    with pytest.raises(TypeError, match="perplexity must be a number, got str"):
        w.use_tsne(perplexity="5")  # type: ignore[arg-type]
    assert w.projection_mode == "pca"  # refused calls leave the view as it was


def test_umap_without_umap_learn_is_an_install_hint_not_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "umap", None)  # what an uninstalled package looks like
    assert E.umap_missing() == "UMAP needs umap-learn: pip install dlwidgets[umap]"
    w = explorer()
    assert w.views_unavailable == {"umap": E.UMAP_HINT}
    with pytest.raises(ImportError, match=r"pip install dlwidgets\[umap\]"):
        w.use_umap()
    w.projection_mode = "umap"  # the page cannot choose it (disabled), but if it did:
    assert w.error == E.UMAP_HINT and w.projection_mode == "pca"


def test_hover_decoding_is_refused_in_non_invertible_views() -> None:
    w = explorer()
    comm = record(w)
    w.use_tsne()
    with pytest.raises(ValueError, match="the t-SNE view is not invertible"):
        w.decode_plane([0.5, 0.5])
    with pytest.raises(ValueError, match="not invertible"):
        w.to_latent([0.5, 0.5])
    z = np.zeros((1, 4), np.float32)
    w._handle_custom_msg({"type": "decode", "id": 1, "purpose": "hover"}, [z.tobytes()])
    reply, buffers = comm.published[-1]
    assert reply["type"] == "error" and reply["id"] == 1 and not buffers
    assert "not invertible" in reply["message"] and "nearest data point" in reply["message"]
    # the nearest data point's own reconstruction, by its index
    w._handle_custom_msg({"type": "decode_point", "id": 2, "index": 11}, [])
    reply, buffers = comm.published[-1]
    assert reply == {"type": "decoded", "id": 2, "purpose": "nearest", "index": 11,
                     "shape": [1, 16]}
    np.testing.assert_allclose(np.frombuffer(buffers[0], np.float32), w.decode(w.codes[11])[0],
                               atol=1e-7)
    for bad in (60, -1, "3", True):
        w._handle_custom_msg({"type": "decode_point", "id": 3, "index": bad}, [])
        assert comm.published[-1][0]["type"] == "error"
        assert "index must be a point index in [0, 59]" in comm.published[-1][0]["message"]
    # back in an invertible view hovering decodes positions again
    w.use_pca()
    w._handle_custom_msg({"type": "decode", "id": 4, "purpose": "hover"}, [z.tobytes()])
    assert comm.published[-1][0]["type"] == "decoded"
    np.testing.assert_allclose(w.decode_plane([0.5, 0.5]), w.decode(w.to_latent([0.5, 0.5])))


def test_new_codes_drop_the_embeddings_of_the_old_ones() -> None:
    w = explorer()
    w.use_tsne()
    with torch.no_grad():
        for p in w.model.parameters():
            p.mul_(1.5)
    w.refresh()
    assert w.embeddings == {} and w.invertible
    w.use_tsne()  # computed again, for the new codes
    np.testing.assert_allclose(w.projection, sklearn_tsne(w.codes, 59 / 3, 0), rtol=0,
                               atol=1e-4 * np.ptp(w.projection))


def test_embeddings_are_imported_only_when_used() -> None:
    code = ("import sys, dlwidgets\nfrom dlwidgets import LatentExplorer\n"
            "print(sorted(m for m in ('umap', 'numba', 'sklearn.manifold') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip() == "[]"


def _state_keys(w: Any) -> set[str]:
    return set(w.get_state())


def test_export_state_carries_the_embeddings_computed_before() -> None:
    w = explorer()
    w.use_tsne()
    w.use_pca()
    assert {"embeddings", "view_status", "views_unavailable"} <= _state_keys(w)
    assert set(w.embeddings) == {"tsne"} and w.export_note() is None


def test_export_notes_a_training_still_running() -> None:
    w = LatentExplorer.demo("ae", epochs=10_000, pretrained=False, device="cpu")
    try:
        assert "exported while training" in (w.export_note() or "")
    finally:
        w.stop()
        assert w.wait(120)
    assert w.export_note() is None
