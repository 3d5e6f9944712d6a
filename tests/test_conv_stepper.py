"""ConvStepper widget in Python: its numbers equal PyTorch's, its state holds the whole trace as
binary arrays, stepping/editing/configuring behave, and bad requests from the page are shown,
not raised."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import traitlets

from dlwidgets import ConvStepper

RNG = np.random.default_rng(5)


def _conv(x, w, b=None, **kw) -> np.ndarray:
    bt = None if b is None else torch.tensor(b)
    return F.conv2d(torch.tensor(x)[None], torch.tensor(w), bt, **kw)[0].numpy()


def _request(widget: ConvStepper, content: dict) -> None:
    """Deliver a custom message the way ipywidgets does when the front end sends one."""
    widget._handle_custom_msg(content, [])


def test_default_widget_state_is_binary_and_complete():
    w = ConvStepper()
    assert w.output_shape == (1, 6, 6)
    expected = {"input", "padded", "weight", "bias", "products", "output", "activated",
                "scatter", "transposed", "pool_windows", "pool_output", "pool_winners"}
    assert set(w.trace) == expected
    state = w.get_state()["trace"]
    for name, wire in state.items():
        assert isinstance(wire["data"], memoryview), name
        assert wire["dtype"] in ("float32", "int32"), name
    assert state["products"]["shape"] == [1, 6, 6, 1, 3, 3]
    np.testing.assert_allclose(w.trace["output"], w.output.astype(np.float32))
    assert w.geometry["out"] == [6, 6] and w.geometry["formula"][0].endswith("= 6")
    assert "digit" in w.title and "vertical_edge" in w.title


@pytest.mark.parametrize("kw", [
    {"stride": 1, "padding": 0, "dilation": 1},
    {"stride": 2, "padding": 1, "dilation": 1},
    {"stride": (2, 3), "padding": (1, 2), "dilation": (2, 1)},
    {"stride": 3, "padding": 2, "dilation": 2},
])
def test_output_equals_conv2d(kw):
    x = RNG.standard_normal((3, 11, 10))
    k = RNG.standard_normal((4, 3, 3, 3))
    b = RNG.standard_normal(4)
    w = ConvStepper(x, k, bias=b, **kw)
    ref = _conv(x, k, b, **kw)
    np.testing.assert_allclose(w.output, ref, rtol=1e-12, atol=1e-12)
    assert w.output_shape == ref.shape
    # the sum of the products shown for any window, plus the bias, is the output there
    for pos in [(0, 0), (ref.shape[1] - 1, ref.shape[2] - 1)]:
        w.filter = 3
        shown = w.window(pos)
        assert float(shown["sum"]) == pytest.approx(float(ref[3][pos]), abs=1e-10)
        np.testing.assert_allclose(shown["products"], shown["values"] * shown["weights"])


def test_stepping_and_position():
    w = ConvStepper("edges", "sobel_x", stride=2)
    ho, wo = w.output_shape[1:]
    assert (ho, wo) == (5, 5) and w.steps == 25
    assert w.position == (0, 0)
    assert w.step() == (0, 1)
    assert w.step(5) == (1, 1)
    assert w.step(1000) == (4, 4)
    assert w.step(-2) == (4, 2)
    assert w.reset() == (0, 0) and w.step_index == 0
    w.position = (3, 2)
    assert w.step_index == 3 * 5 + 2
    with pytest.raises(ValueError, match=r"position must be inside the 5×5 output"):
        w.position = (5, 0)
    with pytest.raises(traitlets.TraitError, match=r"step_index must be in \[0, 24\]"):
        w.step_index = 25
    rows, cols = w.receptive_field(1, 2)
    assert list(rows) == [2, 3, 4] and list(cols) == [4, 5, 6]
    assert (1, 2) in w.feeds(3, 5)


def test_configure_recomputes_with_torch_and_refuses_bad_values_unchanged():
    x = RNG.standard_normal((1, 9, 9))
    w = ConvStepper(x, "laplacian")
    w.step(10)
    w.configure(stride=2, padding=1, dilation=2, padding_mode="replicate")
    padded = F.pad(torch.tensor(x)[None], (1, 1, 1, 1), mode="replicate")
    ref = F.conv2d(padded, torch.tensor(w.weight), stride=2, dilation=2)[0].numpy()
    np.testing.assert_allclose(w.output, ref, rtol=1e-12, atol=1e-12)
    assert w.step_index == min(10, w.steps - 1)
    assert w.settings["padding_mode"] == "replicate" and w.stride == (2, 2)
    before = (w.output.copy(), dict(w.geometry))
    with pytest.raises(ValueError, match="larger than the padded input"):
        w.configure(dilation=8)
    with pytest.raises(ValueError, match="padding='same' needs stride=1"):
        w.configure(padding="same")
    with pytest.raises(TypeError, match="unknown settings: kernel_size"):
        w.configure(kernel_size=5)
    np.testing.assert_array_equal(w.output, before[0])
    assert w.geometry == before[1]
    w.configure(stride=1, padding="same")
    assert w.output_shape == (1, 9, 9)


def test_requests_from_the_page_recompute_or_show_an_error():
    w = ConvStepper("digit:3", "sobel_y")
    _request(w, {"type": "configure", "settings": {"stride": [2, 1], "padding": [1, 1]}})
    assert w.error == ""
    assert w.output_shape == (1, 4, 8)
    before = w.output.copy()
    _request(w, {"type": "configure", "settings": {"stride": [0, 1]}})
    assert "stride must be in [1, 16]" in w.error
    np.testing.assert_array_equal(w.output, before)
    # editing a cell from the page: Python recomputes with torch
    _request(w, {"type": "edit", "target": "input", "index": [0, 2, 3], "value": 4.5})
    assert w.error == "" and w.image[0, 2, 3] == 4.5
    _request(w, {"type": "edit", "target": "kernel", "index": [0, 0, 1, 1], "value": -2})
    assert w.weight[0, 0, 1, 1] == -2.0
    ref = _conv(w.image, w.weight, stride=(2, 1), padding=(1, 1))
    np.testing.assert_allclose(w.output, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.trace["output"], ref.astype(np.float32), rtol=1e-6)
    _request(w, {"type": "edit", "target": "input", "index": [0, 2, 3], "value": float("nan")})
    assert "must be finite" in w.error and w.image[0, 2, 3] == 4.5
    _request(w, {"type": "edit", "target": "kernel", "index": [0, 0, 9, 9], "value": 1})
    assert "outside the shape" in w.error
    _request(w, {"type": "edit", "target": "input", "index": [0, 0, 0], "value": "abc"})
    assert "must be a number" in w.error
    _request(w, {"type": "edit", "target": "bias", "index": [0], "value": 0.5})
    assert w.error == "" and w.bias is not None
    np.testing.assert_allclose(w.output, ref + 0.5, rtol=1e-12, atol=1e-12)


def test_activation_pooling_and_winners_match_torch():
    x = RNG.standard_normal((2, 12, 12))
    k = RNG.standard_normal((3, 2, 3, 3))
    w = ConvStepper(x, k, padding=1, activation="relu", pool="max", pool_size=2)
    act = F.relu(torch.tensor(w.output))
    np.testing.assert_allclose(w.activated, act.numpy())
    ref, idx = F.max_pool2d(act[None], 2, return_indices=True)
    np.testing.assert_allclose(w.pooled, ref[0].numpy())
    np.testing.assert_array_equal(w.trace["pool_winners"], idx[0].numpy())
    w.configure(activation="tanh", pool="avg", pool_size=3, pool_stride=2)
    ref_avg = F.avg_pool2d(torch.tanh(torch.tensor(w.output))[None], 3, 2)[0].numpy()
    np.testing.assert_allclose(w.pooled, ref_avg, rtol=1e-12, atol=1e-12)
    assert w.geometry["pool"]["out"] == list(ref_avg.shape[1:])
    w.configure(pool="min", pool_size=2)
    ref_min = -F.max_pool2d(-torch.tanh(torch.tensor(w.output))[None], 2)[0].numpy()
    np.testing.assert_allclose(w.pooled, ref_min)
    # a map smaller than the pooling window is shown with a note, not refused
    small = ConvStepper(np.ones((3, 3)), "blur", pool_size=2)
    assert small.pooled is None and "larger than the padded input" in small.geometry["pool_error"]


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (3, 1, 2), (2, 0, 1)])
def test_transposed_view_is_conv_transpose2d_of_the_output(stride, padding, dilation):
    x = RNG.standard_normal((2, 9, 10))
    k = RNG.standard_normal((3, 2, 3, 3))
    w = ConvStepper(x, k, stride=stride, padding=padding, dilation=dilation)
    dropped = tuple(w.geometry["dropped"])
    ref = F.conv_transpose2d(torch.tensor(w.output)[None], torch.tensor(k), stride=stride,
                             padding=padding, output_padding=dropped, dilation=dilation)[0]
    np.testing.assert_allclose(w.transposed, ref.numpy(), rtol=1e-10, atol=1e-10)
    # adjoint: <conv(x), y> = <x, conv_transpose(y)> with y = the output itself
    assert float((w.output ** 2).sum()) == pytest.approx(float((x * w.transposed).sum()), rel=1e-9)
    # the per-filter scatter: contribution = output value × weight
    scatter = w.trace["scatter"]
    np.testing.assert_allclose(scatter[1, 0, 0], (w.output[1, 0, 0] * k[1]).astype(np.float32),
                               rtol=1e-6)


def test_multi_channel_groups_and_named_kernel_lists():
    w = ConvStepper("rgb", ["sobel_x", "sobel_y", "blur"])
    assert w.output_shape == (3, 10, 10) and w.channel_names == ["R", "G", "B"]
    assert w.get_state()["trace"]["weight"]["shape"] == [3, 3, 3, 3]
    x = np.random.default_rng(2).standard_normal((4, 8, 8))
    dw = ConvStepper(x, np.ones((8, 1, 3, 3)), groups=4, filter=7, channel=3)
    ref = _conv(x, np.ones((8, 1, 3, 3)), groups=4)
    np.testing.assert_allclose(dw.output, ref, rtol=1e-12, atol=1e-12)
    assert dw.geometry["group_channels"] == 1 and dw.filter == 7
    np.testing.assert_allclose(dw.window((0, 0))["values"], x[3:4, 0:3, 0:3])
    with pytest.raises(ValueError, match="groups cannot change"):
        dw.configure(groups=2)


@pytest.mark.parametrize("layer", [
    nn.Conv2d(3, 5, 3),
    nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    nn.Conv2d(3, 6, 3, padding="same", padding_mode="replicate", bias=False),
    nn.Conv2d(3, 3, 3, padding=1, groups=3, padding_mode="circular"),
    nn.Conv2d(3, 2, 4, padding="valid"),
])
def test_from_layer_equals_the_layer(layer):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 10, 9)
    w = ConvStepper.from_layer(layer, x, sample=1, filter=layer.out_channels - 1, channel=2)
    with torch.no_grad():
        ref32 = layer(x)[1].numpy()
        ref64 = layer.double()(x.double())[1].numpy()
    layer.float()
    np.testing.assert_allclose(w.output, ref64, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.output, ref32, rtol=1e-4, atol=1e-5)
    assert w.filter == layer.out_channels - 1 and w.channel == 2
    assert w.get_state()["trace"]["output"]["shape"] == [layer.out_channels, *ref64.shape[1:]]  # the gallery
    assert "Conv2d(3, " in w.title


def test_from_layer_inside_a_model_captures_the_layer_input():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3), nn.ReLU())
    x = torch.randn(1, 1, 12, 12)
    w = ConvStepper.from_layer(model[3], x, model=model, filter=5)
    with torch.no_grad():
        hidden = model[:3](x).double()
        ref = model[3].double()(hidden)[0].numpy()
    model.float()
    np.testing.assert_allclose(w.output, ref, rtol=1e-9, atol=1e-9)
    assert w.output_shape == (8, 4, 4)


def test_from_layer_refusals():
    with pytest.raises(TypeError, match="layer must be an nn.Conv2d, got Conv1d"):
        ConvStepper.from_layer(nn.Conv1d(1, 1, 3), torch.zeros(1, 5))
    with pytest.raises(ValueError, match="x has 1 channels but the layer expects in_channels=3"):
        ConvStepper.from_layer(nn.Conv2d(3, 2, 3), torch.zeros(1, 6, 6))
    with pytest.raises(ValueError, match="lazy Conv2d"):
        ConvStepper.from_layer(nn.LazyConv2d(2, 3), torch.zeros(1, 6, 6))
    with pytest.raises(ValueError, match="layer is not a module of model"):
        ConvStepper.from_layer(nn.Conv2d(1, 1, 3), torch.zeros(1, 1, 6, 6),
                               model=nn.Sequential(nn.Conv2d(1, 1, 3)))
    with pytest.raises(ValueError, match=r"sample must be in \[0, 1\]"):
        ConvStepper.from_layer(nn.Conv2d(1, 1, 3), torch.zeros(2, 1, 6, 6), sample=2)


def test_bad_construction_names_the_argument():
    with pytest.raises(ValueError, match="image contains nan"):
        ConvStepper(np.array([[np.nan, 1.0], [1.0, 1.0]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match=r"kernel \(3×3\) is larger than the padded input \(2×2\)"):
        ConvStepper(np.ones((2, 2)), "blur")
    with pytest.raises(ValueError, match="limit is 2 million"):
        ConvStepper(np.zeros((3, 200, 200)), np.zeros((8, 3, 3, 3)))
    with pytest.raises(ValueError, match="activation='swish'"):
        ConvStepper(activation="swish")
    with pytest.raises(traitlets.TraitError, match=r"filter must be in \[0, 0\]"):
        ConvStepper(filter=1)
    with pytest.raises(traitlets.TraitError, match="view='3d'"):
        ConvStepper(view="3d")
    with pytest.raises(ValueError, match="channel_names has 2 names for 3 channels"):
        ConvStepper("rgb", "blur", channel_names=["a", "b"])
