"""Each DSL layer against PyTorch: module built, shapes inferred, parameters counted, outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlwidgets.dsl import DSLError, analyze, build


def forward_shapes(model: nn.Module, spec_input: tuple[int, ...], dtype: torch.dtype = torch.float32
                   ) -> dict[str, tuple[int, ...]]:
    """Output shape (no batch) of every leaf module, from a real forward pass."""
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            def hook(_m: nn.Module, _i: object, out: torch.Tensor, name: str = name) -> None:
                if isinstance(out, tuple):
                    out = out[0]
                shapes.setdefault(name, tuple(out.shape[1:]))
            hooks.append(module.register_forward_hook(hook))
    x = (torch.randint(0, 5, (2, *spec_input)) if dtype == torch.int64
         else torch.randn(2, *spec_input))
    model.eval()
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return shapes


def check_against_forward(source: str) -> nn.Module:
    model = build(source, seed=0)
    spec = model.dl_spec
    dtype = torch.int64 if spec.input_dtype == "int64" else torch.float32
    real = forward_shapes(model, spec.input_shape, dtype)
    for node in spec.layers():
        module = model.get_submodule(node.path)
        if not list(module.children()):
            assert real[node.path] == node.out_shape, (node.path, node.label)
        assert sum(p.numel() for p in module.parameters()) == node.params, node.label
    assert spec.total_params == sum(p.numel() for p in model.parameters())
    return model


def conv_out(n: int, k: int, s: int, p: int, d: int) -> int:
    """The curriculum formula, written out independently of the library."""
    return math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1


# ------------------------------------------------------------------- shapes vs torch

@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv2d_shape_matches_torch(n: int, k: int, s: int, p: int, d: int) -> None:
    source = f"input 2x{n}x{n + 1}\nconv 3 {k}x{k} stride={s} pad={p} dilation={d}"
    layer = nn.Conv2d(2, 3, k, stride=s, padding=p, dilation=d)
    try:
        expected = tuple(layer(torch.zeros(1, 2, n, n + 1)).shape[1:])
    except RuntimeError:
        with pytest.raises(DSLError):
            analyze(source)
        return
    assert expected[1:] == (conv_out(n, k, s, p, d), conv_out(n + 1, k, s, p, d))
    assert analyze(source).output_shape == expected


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2), ceil=st.booleans(), op=st.sampled_from(["max", "avg", "min"]))
def test_pool_shape_matches_torch(n: int, k: int, s: int, p: int, d: int, ceil: bool,
                                  op: str) -> None:
    if op == "avg":
        d = 1
    source = (f"input 2x{n}x{n}\n{op}pool {k} stride={s} pad={p}"
              + (f" dilation={d}" if op != "avg" else "") + (" ceil" if ceil else ""))
    x = torch.zeros(1, 2, n, n)
    try:
        if op == "avg":
            expected = tuple(F.avg_pool2d(x, k, s, p, ceil_mode=ceil).shape[1:])
        else:
            expected = tuple(F.max_pool2d(x, k, s, p, d, ceil_mode=ceil).shape[1:])
        if 0 in expected:
            raise RuntimeError("empty")
    except RuntimeError:
        with pytest.raises(DSLError):
            analyze(source)
        return
    if not ceil:
        assert expected[1] == conv_out(n, k, s, p, d)  # floor rule: partial windows dropped
    assert analyze(source).output_shape == expected


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 8), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2),
       op=st.integers(0, 2), d=st.integers(1, 2))
def test_deconv_shape_matches_torch(n: int, k: int, s: int, p: int, op: int, d: int) -> None:
    source = f"input 2x{n}x{n}\ndeconv 3 {k}x{k} stride={s} pad={p} output_padding={op} dilation={d}"
    try:
        layer = nn.ConvTranspose2d(2, 3, k, stride=s, padding=p, output_padding=op, dilation=d)
        expected = tuple(layer(torch.zeros(1, 2, n, n)).shape[1:])
        if 0 in expected:
            raise RuntimeError("empty")
    except (RuntimeError, ValueError):
        with pytest.raises(DSLError):
            analyze(source)
        return
    assert expected[1] == (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    assert analyze(source).output_shape == expected


@pytest.mark.parametrize("source", [
    "input 3x9x9\nconv 4 3x3 pad=same relu\nconv 4 4x4 pad=same dilation=2\nconv 2 3x3 pad=valid",
    "input 3x9x9\nconv 6 3x3 groups=3 padding_mode=replicate\nconv 6 3x2 pad=1x2 stride=2x1",
    "input 3x9x9\nconv 4 3x3 pad=2 padding_mode=reflect\nconv 4 3x3 pad=1 padding_mode=circular",
    "input 4x20\nconv 8 5 pad=2 relu\nmaxpool 2\navgpool 3 stride=1\nminpool 2\nconv1d 2 3",
    "input 3x16x16\nconv2d 8 3x3\nadaptiveavgpool 4x4\nadaptivemaxpool 2\nflatten\ndense 5",
    "input 3x8x8\nglobalavgpool\ndense 4",
    "input 3x8x8\nglobalmaxpool\ndense 4",
    "input 8x7\ngap",
    "input 4x5x5\ndeconv 3 4x4 stride=2 pad=1 relu\nupsample 2\nupsample 1.5 mode=bilinear",
    "input 4x10\nupsample 3 mode=linear\ndeconv1d 2 3 stride=2",
    "input 2x6x6\nbatchnorm\nlayernorm\nlayernorm over=all\nflatten\nbatchnorm relu\ndense 3",
    "input 4x10\nbatchnorm\ntranspose\nlstm 6 return=all\ndense 3\nbatchnorm",
    "input 784\nreshape 1x28x28\nconv 2 3x3\nflatten\nreshape 26x52",
    "input 12 tokens\nembedding 50 8 padding_idx=0\ngru 5 layers=2 bidirectional return=all\n"
    "rnn 4 nonlinearity=relu return=mean\ndense 2",
    "input 12x3\nlstm 7 layers=3 dropout=0.2 bidirectional\ndense 2",
    "input 12x3\nlstm 7 return=max\nlayernorm\ndense 2 bias=false",
    "input 6\ndense 6 prelu\nprelu per_channel\nleaky_relu 0.3\nelu(alpha=0.5)\nsoftplus beta=2\n"
    "gelu approximate=tanh\nsilu\nswish\nmish\nselu\ncelu\nrelu6\nsoftsign\nhardtanh min=-2\n"
    "hardsigmoid\nhardswish\nsigmoid\ntanh\nidentity\nlog_softmax\nsoftmax",
    "input 3x4x4\nconv 2 1x1 prelu(per_channel=true)\nsoftmax\nflatten\ndropout 0.3\ndense 2",
])
def test_inferred_shapes_and_counts_equal_a_forward_pass(source: str) -> None:
    check_against_forward(source)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_same_padding_even_kernel_keeps_size() -> None:
    model = check_against_forward("input 1x7x6\nconv 2 4x4 pad=same\nconv 2 2x3 pad=same dilation=2")
    assert model.dl_spec.output_shape == (2, 7, 6)


# ------------------------------------------------------------------- outputs vs torch

def test_conv_padding_modes_equal_functional_conv() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 3, 7, 7)
    for mode, pad_mode in (("replicate", "replicate"), ("reflect", "reflect"),
                           ("circular", "circular"), ("zeros", "constant")):
        model = build(f"input 3x7x7\nconv 4 3x3 pad=2 stride=2 padding_mode={mode}", seed=1)
        conv = model[0]
        expected = F.conv2d(F.pad(x, (2, 2, 2, 2), mode=pad_mode), conv.weight, conv.bias,
                            stride=2)
        torch.testing.assert_close(model(x), expected)


def test_minpool_equals_window_minimum() -> None:
    x = torch.randn(1, 2, 6, 6)
    out = build("input 2x6x6\nminpool 2")(x)
    expected = x.numpy().reshape(1, 2, 3, 2, 3, 2).min(axis=(3, 5))
    np.testing.assert_array_equal(out.numpy(), expected)


def test_activation_modules_compute_what_torch_computes() -> None:
    x = torch.linspace(-4, 4, 41).reshape(1, 41)
    cases = {
        "relu": F.relu(x), "sigmoid": torch.sigmoid(x), "tanh": torch.tanh(x),
        "leaky_relu 0.2": F.leaky_relu(x, 0.2), "leaky_relu(slope=0.1)": F.leaky_relu(x, 0.1),
        "leaky_relu": F.leaky_relu(x, 0.01), "elu 0.5": F.elu(x, 0.5), "gelu": F.gelu(x),
        "silu": F.silu(x), "swish": F.silu(x), "softplus beta=2": F.softplus(x, beta=2),
        "softmax": torch.softmax(x, dim=1), "log_softmax": torch.log_softmax(x, dim=1),
        "prelu": F.prelu(x, torch.tensor([0.25])), "selu": F.selu(x), "mish": F.mish(x),
        "hardtanh min=-2 max=3": F.hardtanh(x, -2, 3),
    }
    for text, expected in cases.items():
        model = build(f"input 41\n{text}")
        torch.testing.assert_close(model(x), expected, msg=text)


def test_softmax_default_axis_is_channels_for_images() -> None:
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(build("input 3x4x4\nsoftmax")(x), torch.softmax(x, dim=1))
    seq = torch.randn(2, 5, 3)
    torch.testing.assert_close(build("input 5x3\nsoftmax")(seq), torch.softmax(seq, dim=-1))
    torch.testing.assert_close(build("input 5x3\nsoftmax 1")(seq), torch.softmax(seq, dim=1))


def test_dropout_p_is_the_drop_probability() -> None:
    model = build("input 100000\ndropout 0.25")
    assert model[0].p == 0.25
    x = torch.ones(1, 100000)
    torch.manual_seed(0)
    model.train()
    y = model(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - 0.25) < 0.01
    kept = y[y != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / (1 - 0.25)))
    model.eval()
    torch.testing.assert_close(model(x), x)


@pytest.mark.parametrize("mode", ["last", "all", "mean", "max"])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_reduction_matches_torch(mode: str, cell: str, bidirectional: bool) -> None:
    source = f"input 7x3\n{cell} 5 layers=2 return={mode}" + (" bidirectional" if bidirectional
                                                               else "")
    model = build(source, seed=2)
    rnn = model[0].rnn
    x = torch.randn(4, 7, 3)
    out, state = rnn(x)
    h = state[0] if cell == "lstm" else state
    expected = {
        "all": out, "mean": out.mean(1), "max": out.amax(1),
        "last": torch.cat([h[-2], h[-1]], 1) if bidirectional else h[-1],
    }[mode]
    torch.testing.assert_close(model(x), expected)
    if mode == "last" and not bidirectional:
        torch.testing.assert_close(model(x), out[:, -1])  # same thing for one direction
    assert rnn.batch_first and rnn.num_layers == 2 and rnn.bidirectional == bidirectional


def test_residual_adds_the_input_and_applies_post_activation() -> None:
    model = build("input 4\nresidual relu:\n  dense 4 tanh\n  dense 4", seed=0)
    block = model[0]
    x = torch.randn(3, 4)
    torch.testing.assert_close(model(x), F.relu(block.body(x) + x))
    model = build("input 3x4x4\nresidual:\n  conv 6 3x3 stride=2 pad=1\n  shortcut:\n"
                  "    conv 6 1x1 stride=2 bias=false", seed=0)
    block = model[0]
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(model(x), block.body(x) + block.shortcut(x))


def test_residual_shortcut_shape_mismatch() -> None:
    with pytest.raises(DSLError, match=r"the shortcut gives \(3, 4, 4\) but the residual branch "
                                       r"gives \(6, 2, 2\)") as info:
        build("input 3x4x4\nresidual:\n  conv 6 3x3 stride=2 pad=1\n  shortcut:\n"
              "    identity")
    assert info.value.line == 4


def test_names_blocks_and_attribute_access() -> None:
    model = build("input 1x8x8\nblock features:\n  conv 4 3x3 name=c1 relu\n  maxpool 2\n"
                  "flatten\ndense 3 name=head")
    assert isinstance(model.features.c1, nn.Conv2d)
    assert isinstance(model.head, nn.Linear)
    assert [n for n, _ in model.named_children()] == ["features", "1", "head"]
    assert [n for n, _ in model.features.named_children()] == ["c1", "1", "2"]


def test_repeat_makes_independent_copies() -> None:
    model = build("input 4\nrepeat 3:\n  dense 4 relu", seed=0)
    assert len(model) == 6
    assert not torch.equal(model[0].weight, model[2].weight)
    assert model.dl_spec.nodes[0].kind == "repeat"


def test_max_params_limit_refuses_before_allocating() -> None:
    with pytest.raises(DSLError, match="more than 1,000,000,000 parameters"):
        build("input 100000\ndense 100000")
    with pytest.raises(DSLError, match="more than 1,000 parameters"):
        build("input 100\ndense 100", max_params=1000)


def test_seed_is_reproducible_and_leaves_global_rng_alone() -> None:
    source = "input 1x8x8\nconv 3 3x3 relu\nflatten\ndense 4"
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = build(source, seed=5)
    after = torch.rand(1)
    assert torch.equal(before, after)  # global RNG untouched
    b = build(source, seed=5)
    c = build(source + "\nseed 5")
    d = build(source, seed=6)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb) and torch.equal(pa, pc)
    assert not torch.equal(a[0].weight, d[0].weight)


def test_same_seed_same_weights_as_hand_written_construction() -> None:
    a = build("input 10\ndense 20 relu\ndense 3", seed=11)
    torch.manual_seed(11)
    ref = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 3))
    for pa, pr in zip(a.parameters(), ref.parameters()):
        assert torch.equal(pa, pr)


def test_build_argument_errors() -> None:
    with pytest.raises(ValueError, match="seed must be"):
        build("input 3", seed=-1)
    with pytest.raises(ValueError, match="max_params"):
        build("input 3", max_params=0)


def test_input_only_model_is_identity() -> None:
    model = build("input 3")
    x = torch.randn(2, 3)
    torch.testing.assert_close(model(x), x)
    assert model.dl_spec.output_shape == (3,)


def test_models_pickle_and_save_whole() -> None:
    import copy
    import io
    import pickle

    source = ("input 4x6x6\nconv 4 3x3 pad=1 gelu(approximate=tanh)\nmaxpool 2\n"
              "residual relu:\n  conv 4 3x3 pad=1\nflatten\nreshape 4x9\ntranspose\n"
              "lstm 3 return=all\ngru 2\ndense 2 softmax")
    model = build(source, seed=0)
    x = torch.randn(2, 4, 6, 6)
    model.eval()
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        clone.eval()
        torch.testing.assert_close(clone(x), model(x))
        assert clone.dl_spec.output_shapes() == model.dl_spec.output_shapes()
        assert clone.dl_spec.layers()[1].layer is model.dl_spec.layers()[1].layer
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=False)
    torch.testing.assert_close(loaded(x), model(x))
