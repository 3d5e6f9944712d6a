"""Built-in data sets and the adapters that turn user data into batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, load_iris
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlwidgets.engine.datasets import (
    DATASETS,
    ArraySource,
    Dataset,
    LoaderSource,
    as_source,
    epoch_permutation,
    load_dataset,
    model_input,
    shard_indices,
)


def _all(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    assert ds.x_val is not None and ds.y_val is not None
    return np.concatenate([ds.x, ds.x_val]), np.concatenate([ds.y, ds.y_val])


def test_digits_are_sklearns_images_scaled_to_unit_range() -> None:
    raw = load_digits()
    ds = load_dataset("digits")
    x, y = _all(ds)
    assert ds.input_shape == (1, 8, 8) and ds.n_classes == 10 and ds.task == "classification"
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert len(x) == len(raw.data) == 1797
    # the same images as scikit-learn's, up to the seeded split order, scaled by 1/16
    ours = sorted(map(tuple, np.round(x.reshape(len(x), 64) * 16).astype(int).tolist()))
    theirs = sorted(map(tuple, raw.data.astype(int).tolist()))
    assert ours == theirs
    assert x.min() == 0.0 and x.max() == 1.0
    flat = load_dataset("digits", flat=True)
    assert flat.input_shape == (64,)
    np.testing.assert_array_equal(flat.x, ds.x.reshape(-1, 64))
    assert len(ds.x_val) == round(1797 * 0.2)


def test_iris_is_standardized_with_training_statistics() -> None:
    raw = load_iris()
    ds = load_dataset("iris")
    assert ds.input_shape == (4,) and ds.n_classes == 3
    np.testing.assert_allclose(ds.x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(ds.x.std(axis=0), 1.0, atol=1e-5)
    assert sorted(np.concatenate([ds.y, ds.y_val]).tolist()) == sorted(raw.target.tolist())
    assert ds.class_names == list(raw.target_names)


@pytest.mark.parametrize("name", ["moons", "circles", "spirals", "xor"])
def test_generated_2d_sets_are_seeded_and_two_dimensional(name: str) -> None:
    a, b, c = (load_dataset(name, seed=s) for s in (0, 0, 1))
    assert a.input_shape == (2,) and a.x.dtype == np.float32 and a.y.dtype == np.int64
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    _, y = _all(a)
    counts = np.bincount(y)
    assert len(counts) == a.n_classes and counts.min() >= len(y) // a.n_classes - 60


def test_xor_labels_follow_the_signs_without_noise() -> None:
    ds = load_dataset("xor", noise=0.0, val_fraction=0.0)
    expected = (ds.x[:, 0] > 0) != (ds.x[:, 1] > 0)
    np.testing.assert_array_equal(ds.y, expected.astype(np.int64))
    assert ds.x_val is None


def test_spirals_with_three_classes() -> None:
    ds = load_dataset("spirals", classes=3, n=300, noise=0.0)
    x, y = _all(ds)
    assert set(y.tolist()) == {0, 1, 2}
    assert np.all(np.hypot(x[:, 0], x[:, 1]) <= 1.0 + 1e-6)


def test_memory_sequence_label_is_sign_of_first_step() -> None:
    ds = load_dataset("sequence", n=200, length=12)
    assert ds.input_shape == (12, 1)
    np.testing.assert_array_equal(ds.y, (ds.x[:, 0, 0] > 0).astype(np.int64))
    np.testing.assert_array_equal(np.abs(ds.x[:, 0, 0]), 1.0)


def test_sine_sequence_target_is_the_next_value() -> None:
    ds = load_dataset("sequence", kind="sine", n=100, length=8, noise=0.0, val_fraction=0.0)
    assert ds.task == "regression" and ds.y.shape == (100, 1) and ds.y.dtype == np.float32
    # noise-free: x[t] = sin(f t + φ); recover f, φ from two points and check the next value
    x = ds.x[:, :, 0].astype(np.float64)
    # sin(a+2f) + sin(a) = 2 sin(a+f) cos f  ⇒  cos f = (x0 + x2) / (2 x1) (x1 away from 0)
    ok = np.abs(x[:, 6]) > 0.3
    cos_f = (x[ok, 5] + x[ok, 7]) / (2 * x[ok, 6])
    predicted = 2 * x[ok, 7] * cos_f - x[ok, 6]
    np.testing.assert_allclose(predicted, ds.y[ok, 0], atol=1e-4)


@pytest.mark.parametrize("bad, message", [
    (dict(name="digts"), "did you mean 'digits'"),
    (dict(name="moons", n=2), "n must be an integer"),
    (dict(name="moons", noise=-1.0), "noise must be"),
    (dict(name="moons", val_fraction=1.0), "val_fraction"),
    (dict(name="spirals", classes=1), "classes must be"),
    (dict(name="sequence", kind="abc"), "kind must be"),
])
def test_bad_dataset_options_are_refused(bad: dict, message: str) -> None:
    name = bad.pop("name")
    with pytest.raises(ValueError, match=message):
        load_dataset(name, **bad)


def test_unknown_option_names_the_dataset() -> None:
    with pytest.raises(TypeError, match="load_dataset\\('iris'\\)"):
        load_dataset("iris", noise=0.1)


def test_every_listed_name_loads() -> None:
    for name in DATASETS:
        assert len(load_dataset(name)) > 0


def test_epoch_permutation_is_a_seeded_permutation() -> None:
    p = epoch_permutation(50, seed=3, epoch=1)
    assert sorted(p.tolist()) == list(range(50))
    assert torch.equal(p, epoch_permutation(50, seed=3, epoch=1))
    assert not torch.equal(p, epoch_permutation(50, seed=3, epoch=2))


def test_shards_are_equal_disjoint_and_cover_all_but_the_tail() -> None:
    order = epoch_permutation(11, 0, 0)
    a, b = shard_indices(order, 0, 2), shard_indices(order, 1, 2)
    assert len(a) == len(b) == 5
    assert set(a.tolist()).isdisjoint(b.tolist())
    assert set(a.tolist()) | set(b.tolist()) == set(order[:10].tolist())


def test_array_source_batches_follow_the_epoch_permutation() -> None:
    x = torch.arange(10, dtype=torch.float32).reshape(10, 1)
    y = torch.arange(10)
    source = as_source((x, y), seed=5)
    assert isinstance(source, ArraySource) and source.task == "classification"
    batches = list(source.train_batches(epoch=2, batch_size=4))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    order = torch.cat([b[1] for b in batches])
    assert torch.equal(order, epoch_permutation(10, 5, 2))
    assert source.steps_per_epoch(4) == 3
    assert source.steps_per_epoch(4, rank=1, world=3) == 1


def test_gathered_chunks_give_the_same_batches_as_indexing_each_batch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from dlwidgets.engine import datasets

    x = torch.randn(103, 3, 2)
    y = torch.randint(0, 5, (103,))
    source = as_source((x, y), seed=3)
    # 3 samples of 24 bytes each per chunk: batches of 2 come in chunks of 2, so the 52 batches
    # cross many chunk boundaries; the default chunk holds the whole set
    for gather_bytes in (24 * 3, datasets.GATHER_BYTES):
        monkeypatch.setattr(datasets, "GATHER_BYTES", gather_bytes)
        for rank, world in ((0, 1), (1, 2)):
            order = shard_indices(epoch_permutation(103, 3, 4), rank, world)
            got = list(source.train_batches(4, 2, rank, world))
            want = [(x[order[i:i + 2]], y[order[i:i + 2]]) for i in range(0, len(order), 2)]
            assert len(got) == len(want) == source.steps_per_epoch(2, rank, world)
            for (xb, yb), (xw, yw) in zip(got, want):
                assert torch.equal(xb, xw) and torch.equal(yb, yw)


def test_numpy_float64_inputs_become_float32_and_int_labels_long() -> None:
    x = np.random.default_rng(0).normal(size=(6, 3))
    y = np.array([0, 1, 2, 0, 1, 2], dtype=np.int32)
    source = as_source((x, y))
    xb, yb = source.probe(6)
    assert xb.dtype == torch.float32 and yb.dtype == torch.int64
    assert source.label_range() == (0.0, 2.0)
    reg = as_source((x, x[:, :1]))
    assert reg.task == "regression"


def test_validation_pair_is_used() -> None:
    x, y = torch.zeros(8, 2), torch.zeros(8, dtype=torch.long)
    source = as_source((x, y), val_data=(torch.ones(3, 2), torch.ones(3, dtype=torch.long)))
    assert source.has_val
    (xv, yv), = list(source.val_batches(16))
    assert xv.shape == (3, 2) and int(yv.sum()) == 3


def test_dataloader_is_iterated_as_given() -> None:
    ds = TensorDataset(torch.arange(12, dtype=torch.float32).reshape(6, 2), torch.arange(6))
    loader = DataLoader(ds, batch_size=4)
    source = as_source(loader)
    assert isinstance(source, LoaderSource) and not source.sharded
    assert source.steps_per_epoch(999) == 2
    assert [len(b[0]) for b in source.train_batches(0, 999)] == [4, 2]


def test_map_style_dataset_is_batched_with_the_seeded_order() -> None:
    ds = TensorDataset(torch.arange(7, dtype=torch.float32).reshape(7, 1), torch.arange(7))
    source = as_source(ds, batch_size=3, seed=2)
    ys = torch.cat([b[1] for b in source.train_batches(0, 3)])
    assert torch.equal(ys, epoch_permutation(7, 2, 0))
    shard = torch.cat([b[1] for b in source.train_batches(0, 3, rank=1, world=2)])
    assert torch.equal(shard, shard_indices(epoch_permutation(7, 2, 0), 1, 2))


def test_digits_layout_follows_the_model() -> None:
    dense = nn.Sequential(nn.Linear(64, 10))
    conv = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(144, 10))
    flat_first = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    assert model_input(dense).layout == "flat"
    assert model_input(conv).layout == "image"
    assert model_input(flat_first).layout == "image"
    assert model_input(nn.LSTM(3, 4, batch_first=True)).layout == "sequence"
    assert as_source("digits", layout="flat").probe(1)[0].shape == (1, 64)
    assert as_source("digits", layout="image").probe(1)[0].shape == (1, 1, 8, 8)


@pytest.mark.parametrize("data, error, message", [
    (torch.zeros(4, 2), TypeError, "pass \\(X, y\\)"),
    ((torch.zeros(4, 2), torch.zeros(3)), ValueError, "same number of samples"),
    ((np.array(["a", "b"]), np.array([0, 1])), TypeError, "must hold numbers"),
    (42, TypeError, "data must be"),
    ("nope", ValueError, "unknown dataset"),
])
def test_bad_data_is_explained(data: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        as_source(data)


def test_dataset_carries_its_own_validation_split() -> None:
    with pytest.raises(ValueError, match="own validation split"):
        as_source(load_dataset("iris"), val_data=(torch.zeros(2, 4), torch.zeros(2)))
