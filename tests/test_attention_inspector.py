"""AttentionInspector's Python side: weights equal nn.MultiheadAttention's, state as binary
arrays, tokens as plain strings, clear refusals of bad input, detail and export."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import traitlets as t
from torch import nn

import dlwidgets
from dlwidgets import AttentionInspector, build
from dlwidgets.widgets.attention_inspector import MAX_TOKENS


def small_model() -> nn.Module:
    return build("input 6 tokens\nembedding 12 8\npositional\nattention 2 causal\n"
                 "repeat 2:\n    transformer 4 ff=16 norm=pre\ndense 12", seed=0)


def test_exported_and_weights_equal_module() -> None:
    assert dlwidgets.AttentionInspector is AttentionInspector
    model = small_model()
    ids = torch.tensor([3, 1, 4, 1, 5, 9])
    ins = AttentionInspector(model, ids, tokens=list("abcdef"))
    assert ins.layers == ["2.attn", "3.self_attn", "4.self_attn"]
    assert ins.heads == [2, 4, 4]
    w = ins.weights
    assert w.shape == (3, 4, 6, 6)
    assert np.isnan(w[0, 2:]).all()  # layer 0 has 2 heads: the rest is padding
    model.eval()
    with torch.no_grad():
        x = model[1](model[0](ids[None]))
        mask = torch.ones(6, 6, dtype=torch.bool).triu(1)
        _, want = model[2].attn(x, x, x, attn_mask=mask, need_weights=True,
                                average_attn_weights=False)
    np.testing.assert_allclose(w[0, :2], want[0].numpy(), rtol=1e-5, atol=1e-6)
    assert ins.tokens == list("abcdef")


def test_state_is_binary_and_serializes() -> None:
    ins = AttentionInspector(small_model(), [[1, 2, 3, 4, 5, 6]])
    state = ins.get_state()
    wire = state["attention"]["1"]
    assert wire["dtype"] == "float32" and wire["shape"] == [4, 6, 6]
    assert isinstance(wire["data"], memoryview)
    mask = state["masks"]["0"]
    assert mask["dtype"] == "uint8"
    m = np.frombuffer(mask["data"], dtype=np.uint8).reshape(6, 6)
    assert m[0, 1] == 1 and m[1, 0] == 0  # causal: query 0 may not see key 1
    assert state["query_tokens"][0] == [str(i) for i in range(6)]


def test_tokens_stay_plain_text() -> None:
    tokens = ["<img src=x onerror=alert(1)>", "&amp;", "b", "c", "d", "e"]
    ins = AttentionInspector(small_model(), torch.arange(6), tokens=tokens)
    assert ins.query_tokens[0][:2] == tokens[:2]


def test_detail_matches_weights() -> None:
    ins = AttentionInspector(small_model(), torch.arange(6))
    d = ins.detail("3.self_attn", head=1, query=4)
    np.testing.assert_allclose(d["weights"], ins.weights[1, 1, 4], rtol=1e-5, atol=1e-6)
    assert d["q"].shape == (2,) and d["k"].shape == (6, 2) and d["output"].shape == (2,)
    with pytest.raises(ValueError, match="head must be between 0 and 3"):
        ins.detail(1, head=4, query=0)
    with pytest.raises(ValueError, match="not an attention layer"):
        ins.detail("nope", 0, 0)


def test_seq2seq_two_inputs_and_two_token_lists() -> None:
    torch.manual_seed(0)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=16, batch_first=True)
    src, tgt = torch.randn(5, 8), torch.randn(3, 8)
    ins = AttentionInspector(model, (src, tgt), tokens=[list("abcde"), ["x", "y", "z"]])
    assert ins.cross == [False, False, True]
    assert ins.query_tokens[2] == ["x", "y", "z"] and ins.key_tokens[2] == list("abcde")
    assert ins.weights.shape == (3, 2, 5, 5)


def test_bad_input_is_refused_with_the_argument_named() -> None:
    with pytest.raises(ValueError, match="no attention layer"):
        AttentionInspector(nn.Sequential(nn.Linear(4, 4)), torch.randn(3, 4))
    with pytest.raises(ValueError, match="inputs must be one sequence of token ids"):
        AttentionInspector(small_model(), torch.zeros(2, 6, dtype=torch.long))
    with pytest.raises(ValueError, match="inputs must be one sequence of features"):
        AttentionInspector(nn.TransformerEncoderLayer(8, 2, batch_first=True), torch.randn(8))
    with pytest.raises(ValueError, match="tokens has 4 entries"):
        AttentionInspector(small_model(), torch.arange(6), tokens=list("abcd"))
    with pytest.raises(ValueError, match="tokens must be a list"):
        AttentionInspector(small_model(), torch.arange(6), tokens="abcdef")
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        AttentionInspector("model", torch.arange(6))  # type: ignore[arg-type]


def test_sequences_longer_than_the_limit_are_refused() -> None:
    layer = nn.TransformerEncoderLayer(4, 1, dim_feedforward=4, batch_first=True)
    ok = AttentionInspector(layer, torch.randn(MAX_TOKENS, 4))
    assert ok.weights.shape == (1, 1, MAX_TOKENS, MAX_TOKENS)
    with pytest.raises(ValueError, match=f"shows at most {MAX_TOKENS}"):
        AttentionInspector(layer, torch.randn(MAX_TOKENS + 1, 4))


def test_layer_and_view_traits_are_checked() -> None:
    ins = AttentionInspector(small_model(), torch.arange(6))
    ins.layer = 2
    with pytest.raises(t.TraitError, match="layer must be between 0 and 2"):
        ins.layer = 3
    ins.view = "matrix"
    with pytest.raises(t.TraitError, match="view must be"):
        ins.view = "grid"


def test_model_left_unchanged() -> None:
    model = small_model().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    AttentionInspector(model, torch.arange(6))
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert all(m.training for m in model.modules())
    assert torch.equal(torch.get_rng_state(), rng)


def test_static_export_holds_the_widget(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "attention.html"
    dlwidgets.export_html([AttentionInspector(small_model(), torch.arange(6))], path)
    text = path.read_text()
    assert "attention" in text and "src=\"http" not in text


def test_demo_reverses_with_anti_diagonal_attention() -> None:
    from dlwidgets.engine.attention_demo import accuracy, reversal_demo

    assert accuracy(reversal_demo()) == 1.0
    ins = AttentionInspector.demo("31415926")
    w = ins.weights[0, 0]
    assert ins.tokens == list("31415926")
    assert list(w.argmax(-1)) == [7 - t for t in range(8)]
    with pytest.raises(ValueError, match="digits must be 8 digits"):
        AttentionInspector.demo("123")


def test_demo_trains_in_seconds_to_the_same_behaviour() -> None:
    from dlwidgets.engine.attention_demo import accuracy, train_reversal

    rng = torch.get_rng_state()
    model = train_reversal(steps=200)
    assert accuracy(model) >= 0.99
    assert torch.equal(torch.get_rng_state(), rng)  # training draws from its own generator


def test_projections_for_the_drill_down_match_detail() -> None:
    ins = AttentionInspector(small_model(), torch.arange(6))
    state = ins.get_state()["projected"]
    assert state["q1"]["shape"] == [6, 8] and state["k1"]["dtype"] == "float32"
    d = ins.detail(1, head=2, query=3)
    np.testing.assert_allclose(ins.projected["q1"][3, 4:6], d["q"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ins.projected["k1"][:, 4:6], d["k"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ins.projected["v1"][:, 4:6], d["v"], rtol=1e-5, atol=1e-6)
