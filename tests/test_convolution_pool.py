"""Pooling, activation and transposed-convolution traces against PyTorch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlwidgets.engine.convolution import (
    ACTIVATIONS,
    activate,
    conv_trace,
    conv_transpose_trace,
    pool_trace,
    transpose_output_size,
)

RNG = np.random.default_rng(1)

POOL_GRID = list(itertools.product([(6, 6), (7, 5), (9, 8)], [2, 3, (2, 3)], [None, 1, 2, 3],
                                   [0, 1]))


def _pads_ok(k, p) -> bool:
    kh, kw = (k, k) if isinstance(k, int) else k
    return p <= kh // 2 and p <= kw // 2


@pytest.mark.parametrize("size,k,s,p", [c for c in POOL_GRID if _pads_ok(c[1], c[3])])
def test_max_and_min_pool_match_max_pool2d_with_winners(size, k, s, p):
    x = torch.tensor(RNG.standard_normal((3, *size)))
    ref, idx = F.max_pool2d(x[None], k, s, p, return_indices=True)
    trace = pool_trace(x, "max", k, s, p)
    np.testing.assert_array_equal(trace.output, ref[0].numpy())
    np.testing.assert_array_equal(trace.winners, idx[0].numpy())
    np.testing.assert_array_equal(trace.windows.max(axis=(3, 4)), trace.output)
    # min pooling is −max_pool(−x), and the winner is where the minimum sits
    ref_min, idx_min = F.max_pool2d(-x[None], k, s, p, return_indices=True)
    tmin = pool_trace(x, "min", k, s, p)
    np.testing.assert_array_equal(tmin.output, -ref_min[0].numpy())
    np.testing.assert_array_equal(tmin.winners, idx_min[0].numpy())
    flat = x.reshape(3, -1).numpy()
    np.testing.assert_array_equal(np.take_along_axis(flat, tmin.winners.reshape(3, -1), 1),
                                  tmin.output.reshape(3, -1))


@pytest.mark.parametrize("size,k,s,p", [c for c in POOL_GRID if _pads_ok(c[1], c[3])])
def test_avg_pool_matches_avg_pool2d(size, k, s, p):
    x = torch.tensor(RNG.standard_normal((2, *size)))
    ref = F.avg_pool2d(x[None], k, s, p)[0].numpy()
    trace = pool_trace(x, "avg", k, s, p)
    np.testing.assert_allclose(trace.output, ref, rtol=1e-12, atol=1e-12)
    # the zero padding counts, as in avg_pool2d's default count_include_pad=True
    np.testing.assert_allclose(trace.windows.mean(axis=(3, 4)), ref, rtol=1e-12, atol=1e-12)
    assert (trace.winners == -1).all()


def test_max_pool_ties_pick_the_first_cell_like_pytorch():
    x = torch.tensor([[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0]]], dtype=torch.float64)
    _, idx = F.max_pool2d(x[None], 2, 2, return_indices=True)
    trace = pool_trace(x, "max", 2)
    np.testing.assert_array_equal(trace.winners, idx[0].numpy())


def test_pool_drops_partial_windows():
    trace = pool_trace(np.arange(49.0).reshape(7, 7), "max", 2)
    assert trace.output.shape == (1, 3, 3) and trace.geometry.dropped == (1, 1)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_are_pytorchs(name):
    x = RNG.standard_normal((2, 4, 4))
    t = torch.tensor(x)
    ref = {
        "none": t, "relu": F.relu(t), "leaky_relu": F.leaky_relu(t, 0.01),
        "sigmoid": torch.sigmoid(t), "tanh": torch.tanh(t), "gelu": F.gelu(t), "elu": F.elu(t),
        "silu": F.silu(t), "softplus": F.softplus(t),
    }[name]
    np.testing.assert_allclose(activate(x, name), ref.numpy(), rtol=1e-12, atol=1e-12)


TRANSPOSE_GRID = list(itertools.product([(3, 3), (4, 5)], [(2, 2), (3, 2)], [1, 2, 3],
                                        [0, 1], [1, 2], [1, 2]))


@pytest.mark.parametrize("size,k,s,p,d,groups", TRANSPOSE_GRID)
def test_conv_transpose_matches_conv_transpose2d_and_scatters(size, k, s, p, d, groups):
    x = RNG.standard_normal((2, *size))
    w = RNG.standard_normal((2, 3, *k))
    b = RNG.standard_normal(3 * groups)
    op = 1 if max(s, d) > 1 else 0
    ho = transpose_output_size(size[0], k[0], s, p, op, d)
    if ho < 1 or transpose_output_size(size[1], k[1], s, p, op, d) < 1:
        pytest.skip("padding crops everything")
    trace = conv_transpose_trace(x, w, b, s, p, op, d, groups)
    ref = F.conv_transpose2d(torch.tensor(x)[None], torch.tensor(w), torch.tensor(b), s, p, op,
                             groups, d)[0].numpy()
    np.testing.assert_allclose(trace.output, ref, rtol=1e-12, atol=1e-12)
    # scatter every contribution to where the trace says it lands; cropped ones fall away
    acc = np.zeros_like(ref)
    cout, hout, wout = ref.shape
    for c in range(2):
        outs = np.array(trace.out_channels_of(c))
        for i, j in itertools.product(range(size[0]), range(size[1])):
            rows, cols = trace.targets(i, j)
            o, r, q = np.meshgrid(outs, rows, cols, indexing="ij")
            keep = (r >= 0) & (r < hout) & (q >= 0) & (q < wout)
            np.add.at(acc, (o[keep], r[keep], q[keep]), trace.contributions[c, i, j][keep])
    np.testing.assert_allclose(acc + b[:, None, None], ref, rtol=1e-10, atol=1e-10)


def test_transpose_is_the_adjoint_of_conv():
    """<conv(x), y> = <x, conv_transpose(y)> with the same weights, stride, padding, dilation."""
    x = RNG.standard_normal((3, 9, 8))
    w = RNG.standard_normal((4, 3, 3, 3))
    tr = conv_trace(x, w, stride=2, padding=1, dilation=1)
    y = RNG.standard_normal(tr.output.shape)
    dropped = tr.geometry.dropped
    back = conv_transpose_trace(y, w, stride=2, padding=1, output_padding=dropped)
    assert back.output.shape == x.shape
    np.testing.assert_allclose((tr.output * y).sum(), (x * back.output).sum(), rtol=1e-10)


def test_maps_whose_last_axis_is_3_are_channels_first_not_colour():
    """An (8, 6, 3) stack of maps (8 filters) must not be read as an RGB image."""
    x = RNG.standard_normal((8, 6, 3))
    trace = pool_trace(x, "max", (2, 1))
    ref = F.max_pool2d(torch.tensor(x)[None], (2, 1))[0].numpy()
    np.testing.assert_array_equal(trace.output, ref)
    w = RNG.standard_normal((8, 2, 3, 3))
    back = conv_transpose_trace(x, w)
    np.testing.assert_allclose(back.output, F.conv_transpose2d(torch.tensor(x)[None],
                                                               torch.tensor(w))[0].numpy())
