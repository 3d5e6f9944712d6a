"""dlwidgets.summary and the summary widget: rows, totals, memory, text repr, widget state."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import traitlets

import dlwidgets
from dlwidgets import ModelSummary, ModelSummaryWidget, build, summary
from tests.dsl_models import LENET


def test_rows_of_a_dsl_model_without_an_input() -> None:
    model = build(LENET)
    info = summary(model)
    assert isinstance(info, ModelSummary)
    assert info.input_shape == (1, 28, 28) and info.output_shape == (10,)
    layers = info.layers()
    assert [r.output_shape for r in layers][:3] == [(6, 28, 28), (6, 28, 28), (6, 14, 14)]
    assert [r.params for r in layers if r.params] == [
        m.weight.numel() + m.bias.numel() for m in model if hasattr(m, "weight")]
    assert info.total_params == sum(p.numel() for p in model.parameters()) == 61_706
    assert info.trainable_params == info.total_params
    assert [r.line for r in layers][:2] == [2, 2]  # conv and its tanh come from line 2
    assert layers[0].category == "conv" and layers[1].category == "activation"


def test_trainable_counts_follow_requires_grad() -> None:
    model = build("input 4\ndense 8 relu\ndense 2")
    model[0].weight.requires_grad_(False)
    info = summary(model)
    assert info.total_params == 4 * 8 + 8 + 8 * 2 + 2
    assert info.trainable_params == info.total_params - 32
    assert info.non_trainable_params == 32
    assert info.rows[0].trainable == 8


def test_rows_form_a_tree_with_blocks() -> None:
    model = build("input 3x8x8\nblock stem:\n  conv 4 3x3 pad=1 relu\nresidual relu:\n"
                  "  conv 4 3x3 pad=1\n  shortcut:\n    conv 4 1x1\nrepeat 2:\n  conv 4 1x1\n"
                  "gap\ndense 2")
    info = summary(model)
    by_name = {r.name: (i, r) for i, r in enumerate(info.rows)}
    stem_i, stem = by_name["stem"]
    assert stem.is_block and stem.depth == 0 and stem.params == 3 * 4 * 9 + 4
    assert info.rows[by_name["stem.0"][0]].parent == stem_i
    res_i, res = by_name["1"]
    assert res.kind == "residual" and res.params == (4 * 4 * 9 + 4) + (4 * 4 + 4)
    sc_i, sc = by_name["1.shortcut"]
    assert sc.parent == res_i and sc.is_block
    repeat = [r for r in info.rows if r.kind == "repeat"][0]
    assert repeat.name == "" and repeat.params == 2 * (16 + 4)
    # blocks sum their children; the top level sums to the total
    top = [r for r in info.rows if r.parent == -1]
    assert sum(r.params for r in top) == info.total_params


def test_any_module_with_an_input_shape() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
            self.lstm = nn.LSTM(4, 5, batch_first=True)
            self.head = nn.Linear(5, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            f = self.features(x).flatten(2).transpose(1, 2)  # (N, 13*13, 4)
            out, _ = self.lstm(f)
            return self.head(out[:, -1])

    net = Net()
    net.train()
    info = summary(net, (1, 28, 28))
    assert net.training  # mode restored
    shapes = {r.name: r.output_shape for r in info.rows}
    assert shapes["features.0"] == (4, 26, 26)
    assert shapes["features.2"] == (4, 13, 13)
    assert shapes["lstm"] == (169, 5)
    assert shapes["head"] == (3,)
    assert info.output_shape == (3,)
    assert info.total_params == sum(p.numel() for p in net.parameters())
    features = [r for r in info.rows if r.name == "features"][0]
    assert features.is_block and features.category == "block"
    assert {r.name: r.category for r in info.rows}["lstm"] == "recurrent"
    # without a shape: rows and parameters, shapes unknown
    bare = summary(net)
    assert all(r.output_shape is None for r in bare.rows)
    assert bare.memory.activation_bytes is None and "?" in bare.to_text()


def test_shared_parameters_counted_once() -> None:
    lin = nn.Linear(4, 4)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    assert summary(model, (4,)).total_params == 20


def test_summary_argument_errors() -> None:
    with pytest.raises(TypeError, match="takes a torch.nn.Module"):
        summary("input 3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input_shape"):
        summary(nn.Linear(3, 2), (0,))
    with pytest.raises(ValueError, match=r"input_shape=\(4,\) does not fit the model"):
        summary(nn.Linear(3, 2), (4,))
    with pytest.raises(ValueError, match="batch_size"):
        summary(nn.Linear(3, 2), (3,), batch_size=0)


def test_memory_estimate() -> None:
    model = build("input 1x28x28\nconv 8 3x3 pad=1\nbatchnorm relu\nflatten\ndense 10")
    info = summary(model, batch_size=16)
    m = info.memory
    params = sum(p.numel() for p in model.parameters())
    assert m.param_bytes == 4 * params
    assert m.buffer_bytes == sum(b.numel() * b.element_size() for b in model.buffers())
    # activations: every layer's output per sample, float32
    outputs = [8 * 28 * 28] * 3 + [8 * 28 * 28, 10]
    assert m.activation_bytes == 4 * sum(outputs)
    assert m.forward_bytes == m.param_bytes + m.buffer_bytes + 16 * m.activation_bytes
    assert m.training_bytes == 4 * m.param_bytes + m.buffer_bytes + 2 * 16 * m.activation_bytes


def test_text_repr_outside_jupyter() -> None:
    info = summary(build(LENET), name="lenet")
    text = str(info)
    assert text == repr(info)
    lines = text.splitlines()
    assert lines[0] == "Model lenet (sequential) · input 1x28x28 → 10"
    assert any("Conv2d(1→6, 5x5, pad 2)" in line and "6x28x28" in line and "156" in line
               for line in lines)
    assert "Total params: 61,706   trainable: 61,706   non-trainable: 0" in text
    assert "Memory: parameters 241.0 KiB" in text
    data, _meta = info._repr_mimebundle_()
    assert data == {"text/plain": text}  # no kernel here: text only
    as_dict = info.to_dict()
    assert as_dict["total_params"] == 61_706 and len(as_dict["rows"]) == len(info.rows)


def test_warnings_appear_in_the_summary() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = build("input 4\nloss ce\ndense 3 softmax")
    info = summary(model)
    assert info.warnings and "softmax before a cross-entropy loss" in info.warnings[0]
    assert "warning: softmax before" in info.to_text()


def test_composite_models_summarise_their_parts() -> None:
    vae = build("input 784\nencoder:\n  dense 64 relu\nlatent 8\ndecoder:\n  dense 784 sigmoid")
    info = summary(vae)
    assert info.kind == "vae" and info.latent_dim == 8
    names = [r.name for r in info.rows if r.depth == 0]
    assert names == ["encoder", "", "decoder"]
    latent = [r for r in info.rows if r.kind == "latent"][0]
    assert latent.params == 2 * (64 * 8 + 8)
    assert info.total_params == sum(p.numel() for p in vae.parameters())


# ------------------------------------------------------------------ widget

def test_widget_state_from_a_dsl_model() -> None:
    w = ModelSummaryWidget(build(LENET), name="lenet")
    assert w.title == "lenet" and w.kind == "sequential"
    assert w.input_shape == [1, 28, 28] and w.output_shape == [10]
    assert w.total_params == 61_706
    assert len(w.rows) == 12 and w.rows[0]["shape"] == [6, 28, 28]
    assert w.rows[0]["category"] == "conv" and w.rows[0]["line"] == 2
    assert w.collapsed == []
    state = w.get_state()
    for key in ("rows", "total_params", "param_bytes", "activation_bytes", "collapsed"):
        assert key in state
    assert w.training_bytes == summary(build(LENET)).memory.training_bytes
    w.batch_size = 64
    assert w.training_bytes == (4 * w.param_bytes + w.buffer_bytes + 2 * 64 * w.activation_bytes)
    with pytest.raises(traitlets.TraitError):
        w.batch_size = 0


def test_widget_collapse_select_and_visible_rows() -> None:
    from tests.test_dsl_reference import RESNET18

    w = ModelSummaryWidget(build(RESNET18))
    assert len(w.rows) > 40
    # large model: nested blocks start folded, the stages stay open
    folded = {w.rows[i]["name"] for i in w.collapsed}
    assert "layer1.0" in folded and "layer1" not in folded
    visible = w.visible_rows()
    assert len(visible) < len(w.rows)
    w.expand()
    assert w.visible_rows() == list(range(len(w.rows)))
    w.collapse("layer2")
    assert all(not w.rows[i]["name"].startswith("layer2.") for i in w.visible_rows())
    with pytest.raises(ValueError, match="no block named 'layer9'"):
        w.collapse("layer9")
    w.selected = 0
    assert w.selected_row is not None and w.selected_row.name == "0"
    with pytest.raises(traitlets.TraitError):
        w.selected = len(w.rows)


def test_widget_from_a_plain_module_and_bad_input() -> None:
    w = ModelSummaryWidget(nn.Sequential(nn.Linear(3, 4), nn.Tanh()), (3,))
    assert w.kind == "module" and [r["shape"] for r in w.rows] == [[4], [4]]
    assert ModelSummaryWidget(nn.Linear(2, 2)).activation_bytes == -1
    with pytest.raises(TypeError, match="nn.Module or a ModelSummary"):
        ModelSummaryWidget("input 3")  # type: ignore[arg-type]


def test_summary_widget_is_registered_for_notebooks() -> None:
    info = summary(build("input 3\ndense 2"))
    widget = info.widget()
    assert isinstance(widget, ModelSummaryWidget)
    assert info.widget() is widget  # one widget per summary
    assert "ModelSummaryWidget" in dlwidgets.__all__


def test_bundle_is_the_built_front_end() -> None:
    from dlwidgets.widgets._base import STATIC

    esm = ModelSummaryWidget(build("input 3")).get_state()["_esm"]
    built = STATIC / "model_summary.js"
    if built.is_file():
        assert esm == built.read_text(encoding="utf-8")
    else:  # a checkout without the npm build: the view says how to build it
        assert "is not built" in str(esm)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_dsl_model_and_summary_on_cuda() -> None:
    from tests.test_dsl_reference import RESNET18

    model = build(RESNET18, seed=0).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = model(x)
        model_gpu = model.to("cuda")
        got = model_gpu(x.to("cuda")).cpu()
    torch.testing.assert_close(got, expected, rtol=1e-3, atol=1e-3)
    info = summary(model_gpu, (3, 64, 64))  # hooks run on the model's device
    assert info.output_shape == (1000,)
    assert next(model_gpu.parameters()).is_cuda
