"""Captured attention weights equal nn.MultiheadAttention's own (need_weights=True,
average_attn_weights=False) on the same inputs and masks; the model is left unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from dlwidgets.dsl import build
from dlwidgets.engine.attention import capture_attention, head_detail


def reference(mha: nn.MultiheadAttention, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
              **masks: torch.Tensor | None) -> np.ndarray:
    """Per-head weights from the module itself, for batch item 0."""
    mha_eval = mha.training
    mha.eval()
    with torch.no_grad():
        _, w = mha(q, k, v, need_weights=True, average_attn_weights=False, **masks)
    mha.train(mha_eval)
    return w[0].numpy()


def state(model: nn.Module) -> tuple[dict[str, torch.Tensor], list[bool], torch.Tensor]:
    return ({k: v.clone() for k, v in model.state_dict().items()},
            [m.training for m in model.modules()], torch.get_rng_state())


def assert_unchanged(model: nn.Module, before: tuple[dict[str, torch.Tensor], list[bool],
                                                     torch.Tensor]) -> None:
    sd, flags, rng = before
    for k, v in model.state_dict().items():
        assert torch.equal(v, sd[k]), k
    assert [m.training for m in model.modules()] == flags
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(p.grad is None for p in model.parameters())
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks


class Plain(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x)[0]


def test_direct_attention_weights_equal_module() -> None:
    torch.manual_seed(0)
    model = Plain()
    x = torch.randn(1, 5, 8)
    before = state(model)
    trace = capture_attention(model, x)
    assert trace.layers == ["attn"]
    np.testing.assert_allclose(trace.calls[0].weights, reference(model.attn, x, x, x),
                               rtol=1e-5, atol=1e-6)
    assert_unchanged(model, before)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masking", ["none", "causal", "padded"])
def test_encoder_layers_weights_equal_module(norm_first: bool, masking: str) -> None:
    torch.manual_seed(1)
    layer = nn.TransformerEncoderLayer(12, 3, dim_feedforward=24, norm_first=norm_first,
                                       batch_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=3, enable_nested_tensor=False)
    encoder.train()  # a model in train mode stays so, dropout does not apply while looking
    x = torch.randn(1, 6, 12)
    mask = nn.Transformer.generate_square_subsequent_mask(6) if masking == "causal" else None
    pad = torch.tensor([[False] * 4 + [True] * 2]) if masking == "padded" else None

    class Wrap(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.encoder(x, mask=mask, src_key_padding_mask=pad,
                                is_causal=masking == "causal")

    model = Wrap()
    torch.manual_seed(5)
    before = state(model)
    trace = capture_attention(model, x)
    assert trace.layers == [f"encoder.layers.{i}.self_attn" for i in range(3)]
    # replay by hand, layer by layer, with the module's own weights
    encoder.eval()
    h = x
    with torch.no_grad():
        for i, lay in enumerate(encoder.layers):
            inp = lay.norm1(h) if norm_first else h
            want = reference(lay.self_attn, inp, inp, inp, attn_mask=mask, key_padding_mask=pad)
            np.testing.assert_allclose(trace.calls[i].weights, want, rtol=1e-4, atol=1e-6)
            h = lay(h, src_mask=mask, src_key_padding_mask=pad)
    encoder.train()
    assert_unchanged(model, before)
    if masking == "causal":
        assert trace.calls[0].masked()[0, 1] and not trace.calls[0].masked()[1, 0]
        assert np.all(trace.calls[0].weights[:, 0, 1:] == 0)
    if masking == "padded":
        assert trace.calls[0].masked()[:, 4:].all()


def test_seq2seq_cross_attention_has_separate_query_and_key_lengths() -> None:
    torch.manual_seed(2)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                           dim_feedforward=16, batch_first=True)
    src, tgt = torch.randn(1, 7, 8), torch.randn(1, 4, 8)
    before = state(model)
    trace = capture_attention(model, (src, tgt))
    assert trace.layers == [
        "encoder.layers.0.self_attn", "encoder.layers.1.self_attn",
        "decoder.layers.0.self_attn", "decoder.layers.0.multihead_attn",
        "decoder.layers.1.self_attn", "decoder.layers.1.multihead_attn"]
    cross = trace.calls[3]
    assert cross.weights.shape == (2, 4, 7) and cross.cross
    assert not trace.calls[0].cross
    model.eval()
    with torch.no_grad():
        memory = model.encoder(src)
        lay = model.decoder.layers[0]
        t1 = lay.norm1(tgt + lay._sa_block(tgt, None, None))
        want = reference(lay.multihead_attn, t1, memory, memory)
    np.testing.assert_allclose(cross.weights, want, rtol=1e-4, atol=1e-6)
    model.train()
    assert_unchanged(model, before)


def test_dsl_model_with_causal_attention_and_transformer_layers() -> None:
    model = build("input 6 tokens\nembedding 10 8\npositional\nattention 2 causal\n"
                  "repeat 2:\n    transformer 2 ff=16 causal norm=pre\ndense 10", seed=0)
    ids = torch.tensor([[1, 2, 3, 4, 5, 6]])
    trace = capture_attention(model, ids)
    assert trace.layers == ["2.attn", "3.self_attn", "4.self_attn"]
    for call in trace.calls:
        assert call.weights.shape == (2, 6, 6)
        np.testing.assert_allclose(call.weights.sum(-1), 1.0, rtol=1e-5)
        assert np.all(np.triu(call.weights, 1) == 0)
    model.eval()
    with torch.no_grad():
        x = model[1](model[0](ids))
        mask = torch.ones(6, 6, dtype=torch.bool).triu(1)
        want = reference(model[2].attn, x, x, x, attn_mask=mask)
    np.testing.assert_allclose(trace.calls[0].weights, want, rtol=1e-5, atol=1e-6)


def test_detail_reproduces_weights_and_output() -> None:
    torch.manual_seed(3)
    model = Plain()
    x = torch.randn(1, 5, 8)
    mask = torch.zeros(5, 5)
    mask[:, 2] = float("-inf")

    class Masked(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = model.attn

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.attn(x, x, x, attn_mask=mask)[0]

    trace = capture_attention(Masked(), x)
    call = trace.calls[0]
    heads = []
    for head in range(2):
        rows = []
        for q in range(5):
            d = head_detail(call, head, q)
            np.testing.assert_allclose(d["weights"], call.weights[head, q], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(d["scores"], d["k"] @ d["q"] / np.sqrt(4), rtol=1e-5)
            assert d["weights"][2] == 0 and np.isneginf(d["mask"][2])
            rows.append(d["output"])
        heads.append(np.stack(rows))
    concat = torch.from_numpy(np.concatenate(heads, axis=1))
    with torch.no_grad():
        out = model.attn.out_proj(concat)
    torch.testing.assert_close(out, call.output, rtol=1e-5, atol=1e-5)


def test_no_attention_is_refused() -> None:
    with pytest.raises(ValueError, match="no attention layer"):
        capture_attention(nn.Linear(3, 3), torch.randn(1, 3))
