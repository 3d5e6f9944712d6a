"""Fuzzing the DSL with hypothesis: no input raises anything but DSLError, and whatever the
checker accepts builds and runs with exactly the shapes it inferred."""

from __future__ import annotations

import warnings

import torch
import torch.nn as nn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlwidgets.dsl import DSLError, analyze, build
from dlwidgets.dsl.layers import REGISTRY
from dlwidgets.dsl.spec import KEYWORDS

WORDS = sorted(set(REGISTRY) | set(KEYWORDS)) + [
    "relu", "tanh", "same", "valid", "true", "false", "tokens", "ceil", "bidirectional",
    "stride=", "pad=", "dilation=", "groups=", "init=", "name=", "return=", "mode=", "layers=",
    "he", "xavier", "normal(std=0.1)", "uniform(-1, 1)", "leaky_relu(0.2)", "softmax(dim=1)",
    "cross_entropy", "padding_mode=replicate", "over=all", "per_channel", "output_padding=1",
]
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-3, 70).map(str),
    st.sampled_from(["0.5", "1e-3", ".5", "-0.1", "2x2", "3x3", "1x8x8", "3x8x8", "4x6", "9x9x9x9",
                     "99999999999999999999", "1e999", "5x", "x5", "0x0"]),
    st.sampled_from([":", "->", "(", ")", ",", "=", "#", "\t", "  ", "\n", "\n    ", "\n  ",
                     "'", "\"", "$", "é", "\x00", "×", "\r", "\u2028", "__import__", "()"]),
)
PROGRAMS = st.lists(PIECES, max_size=40).map(" ".join)


def check(source: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec = analyze(source, max_params=200_000)
            model = build(source, max_params=200_000, strict=True)
    except DSLError as err:
        assert err.line >= 1 and err.column >= 1
        assert str(err)  # renders
        assert err._render_traceback_()[0].startswith("DSLError: ")
        return
    assert spec.total_params == sum(p.numel() for p in model.parameters())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS)
def test_token_soup_raises_only_dslerror(source: str) -> None:
    check(source)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_raises_only_dslerror(source: str) -> None:
    check(source)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS)
def test_after_a_valid_input_line(body: str) -> None:
    check("input 3x8x8\n" + body)
    check("input 12\n" + body)
    check("input 6 tokens\n" + body)


# ----------------------------------------------------------------- generated valid-ish models

LAYER_LINES = st.one_of(
    st.builds(lambda c, k, s, p: f"conv {c} {k}x{k} stride={s} pad={p}",
              st.integers(1, 4), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2)),
    st.builds(lambda c, k: f"conv {c} {k} pad=same relu", st.integers(1, 4), st.integers(1, 4)),
    st.builds(lambda c, k, s: f"deconv {c} {k}x{k} stride={s}", st.integers(1, 3),
              st.integers(1, 3), st.integers(1, 2)),
    st.builds(lambda op, k, ceil: f"{op}pool {k}" + (" ceil" if ceil else ""),
              st.sampled_from(["max", "avg", "min"]), st.integers(1, 3), st.booleans()),
    st.builds(lambda u, a: f"dense {u} {a}", st.integers(1, 6),
              st.sampled_from(["relu", "tanh", "sigmoid", "gelu", "leaky_relu(0.1)", "softmax"])),
    st.sampled_from(["flatten", "batchnorm", "layernorm", "dropout 0.2", "gap", "prelu",
                     "adaptiveavgpool 2", "upsample 2", "transpose", "identity", "elu",
                     "lstm 3 return=all", "gru 2", "rnn 2 return=mean", "reshape 2x2"]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["2x8x8", "3x5", "6", "1x9x9"]), st.lists(LAYER_LINES, max_size=6))
def test_accepted_models_run_with_the_inferred_shapes(input_shape: str, lines: list[str]) -> None:
    source = "\n".join([f"input {input_shape}", *lines])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = build(source, seed=0, strict=True)
    except DSLError:
        return
    spec = model.dl_spec
    seen: dict[str, tuple[int, ...]] = {}
    hooks = []
    for node in spec.layers():
        module = model.get_submodule(node.path)

        def hook(_m: nn.Module, _i: object, out: torch.Tensor, path: str = node.path) -> None:
            seen[path] = tuple(out.shape[1:])
        hooks.append(module.register_forward_hook(hook))
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, *spec.input_shape))
    assert tuple(out.shape[1:]) == spec.output_shape
    for node in spec.layers():
        assert seen[node.path] == node.out_shape, (source, node.path)
