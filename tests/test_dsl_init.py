"""Per-layer weight initialisation: equals torch.nn.init, and has the textbook variances
(Xavier/Glorot 2/(fan_in+fan_out), He/Kaiming 2/fan_in)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from dlwidgets.dsl import DSLError, build


def test_inits_equal_torch_nn_init_for_the_same_seed() -> None:
    cases = {
        "xavier": lambda w: nn.init.xavier_uniform_(w),
        "xavier_normal": lambda w: nn.init.xavier_normal_(w),
        "he": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
        "he(mode=fan_out)": lambda w: nn.init.kaiming_normal_(w, mode="fan_out",
                                                                nonlinearity="relu"),
        "he_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
        "normal(std=0.02)": lambda w: nn.init.normal_(w, 0.0, 0.02),
        "uniform(-0.3, 0.2)": lambda w: nn.init.uniform_(w, -0.3, 0.2),
        "uniform(0.1)": lambda w: nn.init.uniform_(w, -0.1, 0.1),
        "orthogonal": lambda w: nn.init.orthogonal_(w),
        "lecun": lambda w: nn.init.kaiming_normal_(w, nonlinearity="linear"),
    }
    for text, fn in cases.items():
        model = build(f"input 30\ndense 20 init={text}", seed=1)
        torch.manual_seed(1)
        ref = nn.Linear(30, 20)  # default init draws first, as in the DSL
        fn(ref.weight)
        torch.testing.assert_close(model[0].weight, ref.weight, rtol=0, atol=0, msg=text)
        assert torch.count_nonzero(model[0].bias) == 0, text


def test_zeros_and_ones() -> None:
    model = build("input 3\ndense 4 init=zeros\ndense 2 init=ones")
    assert torch.count_nonzero(model[0].weight) == 0
    assert torch.all(model[1].weight == 1)


def fan(weight: torch.Tensor) -> tuple[int, int]:
    receptive = weight[0][0].numel()
    return weight.shape[1] * receptive, weight.shape[0] * receptive


@pytest.mark.parametrize("init", ["xavier", "xavier_normal"])
def test_xavier_variance_is_2_over_fan_in_plus_fan_out(init: str) -> None:
    model = build(f"input 16x20x20\nconv 256 5x5 init={init}", seed=0)
    w = model[0].weight.detach()
    fan_in, fan_out = fan(w)
    assert fan_in == 16 * 25 and fan_out == 256 * 25
    expected = 2.0 / (fan_in + fan_out)
    assert abs(w.var().item() / expected - 1) < 0.02


@pytest.mark.parametrize("init", ["he", "he_uniform"])
def test_he_variance_is_2_over_fan_in(init: str) -> None:
    model = build(f"input 500\ndense 800 init={init}", seed=0)
    w = model[0].weight.detach()
    expected = 2.0 / 500
    assert abs(w.var().item() / expected - 1) < 0.02
    assert abs(w.mean().item()) < 0.01


def test_he_fan_out_uses_output_fan() -> None:
    model = build("input 16x9x9\nconv 64 3x3 init=he(mode=fan_out)", seed=0)
    w = model[0].weight.detach()
    assert abs(w.var().item() / (2.0 / (64 * 9)) - 1) < 0.03


def test_recurrent_and_embedding_init() -> None:
    model = build("input 5 tokens\nembedding 20 8 init=normal(std=0.5)\nlstm 6 init=xavier",
                  seed=0)
    lstm = model[1].rnn
    for name, p in lstm.named_parameters():
        if name.startswith("bias"):
            assert torch.count_nonzero(p) == 0
    assert abs(model[0].weight.std().item() - 0.5) < 0.1


@pytest.mark.parametrize(("text", "needle"), [
    ("dense 3 init=he(mode=sideways)", "mode must be one of fan_in, fan_out"),
    ("dense 3 init=uniform(0.3, 0.1)", "low < high"),
    ("dense 3 init=normal(std=-1)", "std must be > 0"),
    ("dense 3 init=normal(sd=1)", "has no argument 'sd'"),
    ("dense 3 init=xavier(2)", "takes at most 0 argument"),
    ("dense 3 init=3", "init must be a name"),
    ("dropout 0.2 init=he", "dropout has no option 'init'"),
])
def test_init_errors(text: str, needle: str) -> None:
    with pytest.raises(DSLError) as info:
        build("input 3\n" + text)
    assert needle in info.value.message
    assert info.value.line == 2
