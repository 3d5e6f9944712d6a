"""attention, transformer and positional layers of the DSL against PyTorch's own modules:
parameter counts, shapes, errors at the line, and outputs with the same weights."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from dlwidgets.dsl import DSLError, analyze, build
from dlwidgets.dsl.modules import sinusoids


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("width,heads,bias", [(16, 4, True), (12, 3, False), (8, 1, True)])
def test_attention_count_equals_multihead_attention(width: int, heads: int, bias: bool) -> None:
    spec = analyze(f"input 10x{width}\nattention {heads} bias={str(bias).lower()}")
    ref = nn.MultiheadAttention(width, heads, bias=bias, batch_first=True)
    assert spec.total_params == n_params(ref)
    assert spec.layers()[0].out_shape == (10, width)


def test_attention_dim_projects_first() -> None:
    spec = analyze("input 10x6\nattention 2 dim=8")
    ref = [nn.Linear(6, 8), nn.MultiheadAttention(8, 2, batch_first=True)]
    assert spec.total_params == sum(n_params(m) for m in ref)
    assert spec.layers()[0].out_shape == (10, 8)


@pytest.mark.parametrize("ff,act,norm", [(None, "relu", "post"), (32, "gelu", "pre"),
                                         (7, "relu", "pre")])
def test_transformer_count_equals_encoder_layer(ff: int | None, act: str, norm: str) -> None:
    extra = (f" ff={ff}" if ff else "") + f" activation={act} norm={norm}"
    spec = analyze(f"input 5x16\ntransformer 4{extra}")
    ref = nn.TransformerEncoderLayer(16, 4, dim_feedforward=ff or 64, activation=act,
                                     norm_first=norm == "pre", batch_first=True)
    assert spec.total_params == n_params(ref)
    assert spec.layers()[0].out_shape == (5, 16)


def test_repeat_stacks_transformer_layers_and_build_counts_match() -> None:
    model = build("input 6 tokens\nembedding 20 8\npositional learned\nrepeat 3:\n"
                  "    transformer 2 ff=16\ndense 20", seed=0)
    spec = model.dl_spec
    assert spec.total_params == n_params(model)
    layers = [m for m in model.modules() if isinstance(m, nn.TransformerEncoderLayer)]
    assert len(layers) == 3
    for node in spec.layers():
        assert n_params(model.get_submodule(node.path)) == node.params, node.label
    out = model(torch.randint(0, 20, (2, 6)))
    assert out.shape == (2, 6, 20)


def test_positional_counts() -> None:
    assert analyze("input 7x4\npositional learned").total_params == 28
    assert analyze("input 7x4\npositional").total_params == 0
    assert analyze("input 7x4\npositional sinusoidal").layers()[0].out_shape == (7, 4)


@pytest.mark.parametrize("source,line,col,words", [
    ("input 10x6\nattention 4", 2, 11, "4 heads do not divide the width 6"),
    ("input 10x16\ndense 12\ntransformer 5 ff=8", 3, 13, "5 heads do not divide the width 12"),
    ("input 10x6\nattention 2 dim=9", 2, 11, "2 heads do not divide the width 9"),
    ("input 16\nattention 2", 2, 1, "sequence (time, features)"),
    ("input 3x8x8\ntransformer 2", 2, 1, "sequence (time, features)"),
    ("input 16\npositional", 2, 1, "sequence (time, features)"),
    ("input 4x8\ntransformer 2 activation=tanh", 2, 26, "activation must be one of relu, gelu"),
    ("input 4x8\ntransformer 2 norm=middle", 2, 20, "norm must be one of post, pre"),
    ("input 4x8\npositional fixed", 2, 12, "must be one of learned, sinusoidal"),
])
def test_errors_point_at_the_line_and_column(source: str, line: int, col: int, words: str
                                             ) -> None:
    with pytest.raises(DSLError) as info:
        analyze(source)
    err = info.value
    assert words in err.message
    assert (err.line, err.column) == (line, col)
    assert "^" in str(err)


def test_attention_output_equals_hand_built_module() -> None:
    torch.manual_seed(1)
    model = build("input 9x8\nattention 2 causal", seed=3)
    ref = nn.MultiheadAttention(8, 2, batch_first=True)
    ref.load_state_dict(model[0].attn.state_dict())
    model.eval()
    ref.eval()
    x = torch.randn(3, 9, 8)
    mask = torch.ones(9, 9, dtype=torch.bool).triu(1)
    with torch.no_grad():
        want, _ = ref(x, x, x, attn_mask=mask)
        got = model(x)
    torch.testing.assert_close(got, want)
    # step 0 sees only itself: changing later steps leaves its output alone
    y = x.clone()
    y[:, 1:] += 1.0
    with torch.no_grad():
        torch.testing.assert_close(model(y)[:, 0], got[:, 0])


def test_attention_with_dim_equals_linear_then_attention() -> None:
    model = build("input 5x6\nattention 2 dim=8", seed=0).eval()
    proj, ref = nn.Linear(6, 8), nn.MultiheadAttention(8, 2, batch_first=True).eval()
    proj.load_state_dict(model[0].project.state_dict())
    ref.load_state_dict(model[0].attn.state_dict())
    x = torch.randn(2, 5, 6)
    with torch.no_grad():
        h = proj(x)
        torch.testing.assert_close(model(x), ref(h, h, h)[0])


@pytest.mark.parametrize("norm,act,causal", [("post", "relu", False), ("pre", "gelu", True)])
def test_transformer_output_equals_hand_built_layer(norm: str, act: str, causal: bool) -> None:
    model = build(f"input 7x12\ntransformer 3 ff=20 activation={act} norm={norm}"
                  f"{' causal' if causal else ''}", seed=0).eval()
    ref = nn.TransformerEncoderLayer(12, 3, dim_feedforward=20, activation=act,
                                     norm_first=norm == "pre", batch_first=True).eval()
    ref.load_state_dict(model[0].state_dict())
    x = torch.randn(2, 7, 12)
    mask = torch.ones(7, 7, dtype=torch.bool).triu(1) if causal else None
    with torch.no_grad():
        torch.testing.assert_close(model(x), ref(x, src_mask=mask, is_causal=causal))


def test_sinusoidal_positions_follow_the_formula() -> None:
    table = sinusoids(6, 5)
    for t in range(6):
        for i in range(5):
            rate = 10000 ** (-(i - i % 2) / 5)
            want = math.sin(t * rate) if i % 2 == 0 else math.cos(t * rate)
            assert table[t, i].item() == pytest.approx(want, abs=1e-5)
    model = build("input 6x5\npositional", seed=0)
    x = torch.randn(2, 6, 5)
    torch.testing.assert_close(model(x), x + table)
    assert list(model.state_dict()) == []  # the fixed table is not saved


def test_learned_positions_are_a_parameter_added_per_step() -> None:
    model = build("input 4x3\npositional learned", seed=0)
    x = torch.zeros(1, 4, 3)
    torch.testing.assert_close(model(x)[0], model[0].weight.detach())


def test_summary_rows_show_heads() -> None:
    from dlwidgets.dsl.summarize import category_of

    spec = analyze("input 6x8\nattention 2 causal\ntransformer 4 norm=pre")
    labels = [n.label for n in spec.layers()]
    assert labels[0] == "MultiheadAttention(2 heads, width 8, causal)"
    assert labels[1].startswith("TransformerEncoderLayer(4 heads, width 8, ff 32")
    assert category_of("attention") == category_of("transformer") == "attention"
    assert category_of("", nn.MultiheadAttention(4, 2)) == "attention"


def test_reference_example_builds_and_init_applies() -> None:
    model = build("input 32 tokens\nembedding 1000 64\npositional\nrepeat 2:\n"
                  "    transformer 4 ff=128 norm=pre causal init=xavier\ndense 1000", seed=0)
    assert model.dl_spec.total_params == n_params(model)
    layer = model[2]
    assert torch.all(layer.self_attn.in_proj_bias == 0) and torch.all(layer.linear1.bias == 0)
    with torch.no_grad():
        assert model(torch.randint(0, 1000, (2, 32))).shape == (2, 32, 1000)
