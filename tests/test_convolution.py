"""Convolution traces against PyTorch: F.conv2d, nn.Conv2d padding modes, and the products."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dlwidgets.engine.convolution import (
    ConvGeometry,
    conv_trace,
    naive_conv_trace,
    output_size,
)

RNG = np.random.default_rng(0)


def _ref_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride, padding, dilation,
              groups: int) -> np.ndarray:
    xt = torch.tensor(x)[None]
    bt = None if b is None else torch.tensor(b)
    return F.conv2d(xt, torch.tensor(w), bt, stride, padding, dilation, groups)[0].numpy()


def _products_by_index(trace) -> np.ndarray:
    """products[f,i,j,c,u,v] = padded[group(f)·Cg + c, i·s + u·d, j·s + v·d] · w[f,c,u,v]."""
    g = trace.geometry
    nf, cg, kh, kw = trace.weight.shape
    ho, wo = g.out_size
    f, i, j, c, u, v = np.meshgrid(np.arange(nf), np.arange(ho), np.arange(wo), np.arange(cg),
                                   np.arange(kh), np.arange(kw), indexing="ij")
    ch = (f // (nf // trace.groups)) * cg + c
    rows = i * g.stride[0] + u * g.dilation[0]
    cols = j * g.stride[1] + v * g.dilation[1]
    return trace.padded[ch, rows, cols] * trace.weight[f, c, u, v]


SIZES = [(5, 5), (7, 9), (8, 6)]
KERNELS = [(1, 1), (2, 3), (3, 3)]
STRIDES = [1, 2, 3, (2, 1)]
PADDINGS = [0, 1, 2, (1, 0), "valid", "same"]
DILATIONS = [1, 2, (1, 2)]


def _fits(size, k, p, d) -> bool:
    if p == "same":
        return True
    ph, pw = (0, 0) if p == "valid" else ((p, p) if isinstance(p, int) else p)
    dh, dw = (d, d) if isinstance(d, int) else d
    return dh * (k[0] - 1) + 1 <= size[0] + 2 * ph and dw * (k[1] - 1) + 1 <= size[1] + 2 * pw


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("size,k,s", list(itertools.product(SIZES, KERNELS, STRIDES)))
def test_conv_trace_matches_conv2d_grid(size, k, s):
    x = RNG.standard_normal((2, *size))
    w = RNG.standard_normal((3, 2, *k))
    b = RNG.standard_normal(3)
    checked = 0
    for p, d in itertools.product(PADDINGS, DILATIONS):
        if (p == "same" and s != 1) or not _fits(size, k, p, d):
            continue
        where = f"padding={p}, dilation={d}"
        trace = conv_trace(x, w, b, stride=s, padding=p, dilation=d)
        ref = _ref_conv(x, w, b, s, p, d, 1)
        assert trace.output.shape == ref.shape, where
        np.testing.assert_allclose(trace.output, ref, rtol=1e-12, atol=1e-12, err_msg=where)
        # every window's products, summed, plus the bias, give the output everywhere
        sums = trace.products.sum(axis=(3, 4, 5)) + trace.bias[:, None, None]
        np.testing.assert_allclose(sums, ref, rtol=1e-10, atol=1e-10, err_msg=where)
        np.testing.assert_array_equal(trace.products, _products_by_index(trace), err_msg=where)
        assert trace.geometry.out_size == ref.shape[1:], where
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize("groups,filters", [(1, 4), (2, 2), (2, 4), (4, 4), (4, 8)])
@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (1, 2)])
def test_groups_and_depthwise_match_conv2d(groups, filters, stride, dilation):
    x = RNG.standard_normal((4, 9, 8))
    w = RNG.standard_normal((filters, 4 // groups, 3, 3))
    b = RNG.standard_normal(filters)
    trace = conv_trace(x, w, b, stride=stride, padding=1, dilation=dilation, groups=groups)
    ref = _ref_conv(x, w, b, stride, 1, dilation, groups)
    np.testing.assert_allclose(trace.output, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.products.sum(axis=(3, 4, 5)) + b[:, None, None], ref,
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(trace.products, _products_by_index(trace))
    assert list(trace.channels_of(filters - 1)) == list(
        range(4 - 4 // groups, 4))


@pytest.mark.parametrize("mode", ["replicate", "reflect", "circular"])
@pytest.mark.parametrize("padding,stride", [(1, 1), (2, 1), ((2, 1), 1), ("same", 1), (1, 2),
                                            (2, 2), ((2, 1), 2)])
def test_padding_modes_match_nn_conv2d(mode, padding, stride):
    torch.manual_seed(1)
    layer = nn.Conv2d(2, 3, (3, 4), stride=stride, padding=padding, padding_mode=mode).double()
    x = torch.randn(2, 7, 8, dtype=torch.float64)
    trace = conv_trace(x, layer.weight.detach(), layer.bias.detach(), stride=stride,
                       padding=padding, padding_mode=mode)
    with torch.no_grad():
        ref = layer(x[None])[0].numpy()
    np.testing.assert_allclose(trace.output, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.products.sum(axis=(3, 4, 5)) + trace.bias[:, None, None],
                               ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("padding", [1, (2, 1)])
def test_replicate_padding_is_f_pad_replicate(padding):
    x = RNG.standard_normal((1, 6, 6))
    w = RNG.standard_normal((2, 1, 3, 3))
    trace = conv_trace(x, w, stride=2, padding=padding, padding_mode="replicate")
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    padded = F.pad(torch.tensor(x)[None], (pw, pw, ph, ph), mode="replicate")
    np.testing.assert_array_equal(trace.padded, padded[0].numpy())
    ref = F.conv2d(padded, torch.tensor(w), stride=2)[0].numpy()
    np.testing.assert_allclose(trace.output, ref, rtol=1e-12, atol=1e-12)


def test_same_padding_with_even_kernel_pads_bottom_right_like_pytorch():
    x = RNG.standard_normal((1, 6, 7))
    w = RNG.standard_normal((1, 1, 4, 2))
    trace = conv_trace(x, w, padding="same", dilation=(1, 3))
    ref = F.conv2d(torch.tensor(x)[None], torch.tensor(w), padding="same", dilation=(1, 3))[0]
    np.testing.assert_allclose(trace.output, ref.numpy(), rtol=1e-12, atol=1e-12)
    assert trace.output.shape[1:] == x.shape[1:]
    assert trace.geometry.padding == (1, 2, 1, 2)


def test_named_and_2d_kernels_are_copied_across_channels_and_groups():
    x = RNG.standard_normal((3, 6, 6))
    trace = conv_trace(x, ["sobel_x", "sobel_y"])
    assert trace.weight.shape == (2, 3, 3, 3)
    sobel_x = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float64)
    w = torch.stack([sobel_x.expand(3, 3, 3), sobel_x.T.expand(3, 3, 3)])
    ref = F.conv2d(torch.tensor(x)[None], w)[0].numpy()
    np.testing.assert_allclose(trace.output, ref, rtol=1e-12, atol=1e-12)
    depthwise = conv_trace(x, "blur", groups=3)
    assert depthwise.weight.shape == (3, 1, 3, 3)
    ref_dw = F.conv2d(torch.tensor(x)[None], torch.full((3, 1, 3, 3), 1 / 9, dtype=torch.float64),
                      groups=3)[0].numpy()
    np.testing.assert_allclose(depthwise.output, ref_dw, rtol=1e-12, atol=1e-12)


def test_scalar_bias_and_float32_tensor_inputs():
    x = torch.rand(1, 1, 5, 5)  # a batch of one, float32
    w = torch.rand(2, 1, 2, 2)
    trace = conv_trace(x, w, bias=0.5, stride=(1, 2))
    ref = F.conv2d(x.double(), w.double(), torch.full((2,), 0.5, dtype=torch.float64),
                   stride=(1, 2))[0].numpy()
    np.testing.assert_allclose(trace.output, ref, rtol=1e-12, atol=1e-12)
    assert trace.has_bias and trace.output_shape == (2, 4, 2)


def test_products_equal_an_independent_python_loop():
    x = RNG.standard_normal((4, 9, 10))
    w = RNG.standard_normal((4, 2, 3, 2))
    b = RNG.standard_normal(4)
    for mode in ("zeros", "replicate", "reflect", "circular"):
        trace = conv_trace(x, w, b, stride=(2, 3), padding=(1, 2), dilation=(2, 1), groups=2,
                           padding_mode=mode)
        products, output = naive_conv_trace(x, w, b, stride=(2, 3), padding=(1, 2),
                                            dilation=(2, 1), groups=2, padding_mode=mode)
        np.testing.assert_allclose(trace.products, products, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(trace.output, output, rtol=1e-10, atol=1e-10)


def test_uneven_stride_drops_the_border_like_pytorch():
    # 8 + 2·0 − (3 − 1) − 1 = 5, 5 // 2 = 2: three windows at rows 0, 2, 4; row 7 is never read
    g = ConvGeometry((8, 8), (3, 3), (2, 3), (0, 0, 0, 0), (1, 1))
    ref = F.conv2d(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 3, 3), stride=(2, 3))
    assert g.out_size == tuple(ref.shape[2:]) == (3, 2)
    assert g.dropped == (1, 2)
    covered_rows = {int(r) for i in range(3) for r in g.window(i, 0)[0]}
    assert covered_rows == set(range(7))
    assert "= 3" in g.formula(0) and "floor((8 + 2·0 − 1·(3−1) − 1) / 2)" in g.formula(0)
    assert output_size(8, 3, 2) == 3 and output_size(28, 5, 2, 2, 1) == 14


def test_window_and_feeds_are_each_others_inverse():
    g = ConvGeometry((7, 6), (3, 2), (2, 1), (1, 1, 0, 0), (1, 2))
    ho, wo = g.out_size
    reads = {(i, j): {(int(r), int(c)) for r in g.window(i, j)[0] for c in g.window(i, j)[1]}
             for i in range(ho) for j in range(wo)}
    hp, wp = g.padded_size
    for r in range(hp):
        for c in range(wp):
            assert set(g.feeds(r, c)) == {cell for cell, cells in reads.items() if (r, c) in cells}


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_trace_on_cuda_equals_cpu():
    x = RNG.standard_normal((3, 16, 16))
    w = RNG.standard_normal((4, 3, 3, 3))
    cpu = conv_trace(x, w, stride=2, padding=1, device="cpu")
    gpu = conv_trace(x, w, stride=2, padding=1, device="cuda")
    np.testing.assert_allclose(gpu.output, cpu.output, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gpu.products, cpu.products, rtol=1e-9, atol=1e-9)
