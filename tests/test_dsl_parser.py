"""Lexer, parser and error reporting of the model DSL."""

from __future__ import annotations

import pytest

from dlwidgets.dsl import DSLError, analyze, build, parse
from dlwidgets.dsl.errors import full_tracebacks, set_full_tracebacks
from dlwidgets.dsl.parser import tokenize


def error_of(source: str) -> DSLError:
    with pytest.raises(DSLError) as info:
        build(source)
    return info.value


def test_tokens_sizes_numbers_and_arrows() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("input 1x28x28 -> dropout 0.5 -> dense 1e-3")]
    assert kinds[:3] == [("NAME", "input"), ("SIZE", "1x28x28"), ("ARROW", "->")]
    assert ("FLOAT", "0.5") in kinds and ("FLOAT", "1e-3") in kinds
    sizes = [t.value for t in tokenize("conv 6 5x5") if t.kind == "SIZE"]
    assert sizes == [(5, 5)]
    negatives = [t.value for t in tokenize("x init=uniform(-0.1, 0.1)") if t.kind == "FLOAT"]
    assert negatives == [-0.1, 0.1]


def test_indentation_blocks_and_comments() -> None:
    program = parse("""
# a comment line
input 3x8x8   # trailing comment
repeat 2:
    conv 4 3x3 pad=1 relu

    block inner:
        maxpool 2
dense 3
""")
    assert [s.name for s in program] == ["input", "repeat", "dense"]
    rep = program[1]
    assert rep.body is not None and [s.name for s in rep.body] == ["conv", "block"]
    assert rep.body[1].body is not None and rep.body[1].body[0].name == "maxpool"
    assert rep.line == 4 and rep.col == 1
    conv = rep.body[0]
    assert (conv.line, conv.col) == (5, 5)
    assert [(i.key, i.value.text) for i in conv.items] == [
        (None, "4"), (None, "3x3"), ("pad", "1"), (None, "relu")]


def test_inline_block_after_colon_and_calls() -> None:
    program = parse("input 4 -> repeat 2: dense 4 leaky_relu(slope=0.2) -> dropout 0.1")
    assert [s.name for s in program] == ["input", "repeat"]
    body = program[1].body
    assert body is not None and [s.name for s in body] == ["dense", "dropout"]
    call = body[0].items[1].value
    assert call.kind == "call" and call.value == "leaky_relu"
    assert call.args[0].key == "slope" and call.args[0].value.value == 0.2
    assert call.text == "leaky_relu(slope=0.2)"


def test_unknown_layer_with_suggestion_and_caret() -> None:
    err = error_of("input 1x28x28\nconv 6 5x5 tanh\nconvv 16 5x5 tanh\n")
    assert (err.line, err.column) == (3, 1)
    assert err.suggestion == "conv"
    assert str(err).splitlines() == [
        "unknown layer 'convv' (line 3, column 1)",
        "  convv 16 5x5 tanh",
        "  ^^^^^",
        "did you mean 'conv'?",
    ]


def test_conv_after_flatten_points_at_the_line() -> None:
    err = error_of("input 1x28x28\nflatten\nconv 6 5x5\n")
    assert (err.line, err.column) == (3, 1)
    assert str(err).splitlines()[0] == (
        "conv after flatten expects 3-D input, got (784,) (line 3, column 1)")
    err = error_of("input 1x28x28\nflatten\ndense 120\nconv 6 5x5\n")
    assert "conv after dense expects 3-D input, got (120,)" in str(err)


@pytest.mark.parametrize(("source", "line", "column", "needle"), [
    ("input 2\ndense 8 strid=2", 2, 9, "dense has no option 'strid'"),
    ("input 2\ndense 8 relux", 2, 9, "unexpected 'relux' in dense"),
    ("input 2\ndense", 2, 1, "dense needs UNITS"),
    ("input 2\ndense 8 9", 2, 9, "too many values for dense"),
    ("input 2\ndense 0", 2, 7, "units must be between 1"),
    ("input 2\ndense 8.5", 2, 7, "units must be a whole number"),
    ("input 2\ndropout 1.0", 2, 9, "p must be in [0, 1)"),
    ("input 2\ndropout -0.1", 2, 9, "p must be in [0, 1)"),
    ("input 2\ndense 8 relu tanh", 2, 14, "already has the activation 'relu'"),
    ("input 2\nflatten relu", 2, 9, "flatten takes no activation"),
    ("input 1x8x8\nconv 4 3x3 stride=2 pad=same", 2, 21, "pad=same needs stride 1"),
    ("input 1x8x8\nconv 4 3x3x3", 2, 8, "kernel 3x3x3 has 3 dimensions but conv needs 2"),
    ("input 3x8x8\nconv 4 3x3 groups=2", 2, 12, "groups=2 must divide"),
    ("input 1x4x4\nconv 4 5x5", 2, 1, "conv output would be empty"),
    ("input 1x4x4\nmaxpool 8", 2, 1, "maxpool output would be empty"),
    ("input 1x4x4\nmaxpool 2 pad=2", 2, 11, "pad 2 is more than half the kernel"),
    ("input 4x6x6\ndeconv 2 3x3 stride=2 output_padding=2", 2, 23, "output_padding 2 must be"),
    ("input 1x28x28\ndense 10", 2, 1, "dense expects 1-D (features) or 2-D"),
    ("input 100\nlstm 8", 2, 1, "lstm expects a sequence"),
    ("input 100\nreshape 3x33", 2, 9, "reshape to 3x33 needs 99 values"),
    ("input 20 tokens\ndense 4", 2, 1, "dense expects numbers but the input holds token ids"),
    ("input 20\nembedding 100 8", 2, 1, "embedding expects token ids"),
    ("dense 3", 1, 1, "needs its input shape before the first layer"),
    ("input 3\ninput 4", 2, 1, "the input is declared twice"),
    ("input 1x1x28x28", 1, 7, "has 4 dimensions"),
    ("input 3\nloss crossentropyy", 2, 6, "unknown loss"),
    ("input 3\ndense 4 init=hee", 2, 14, "unknown init 'hee'"),
    ("input 3\nrepeat 2", 2, 1, "'repeat' needs a block"),
    ("input 3\nrepeat 0:\n  dense 3", 2, 8, "repeat count must be between 1"),
    ("input 3\ndense 3:\n  dense 3", 2, 8, "'dense' takes no block"),
    ("input 3\n  dense 3", 2, 3, "unexpected indentation"),
    ("input 3\nrepeat 2:\n    dense 3\n  dense 4", 4, 3, "indentation does not match"),
    ("input 3\ndense 3 $", 2, 9, "unexpected character '$'"),
    ("input 3\ndense 'x'", 2, 7, "quotes are not part of the DSL"),
    ("input 3\ndense 5x", 2, 7, "malformed number or size '5x'"),
    ("input 3\ndense 3 init=normal(std=0.1", 2, 14, "is not closed"),
    ("input 3\ndense 3 = 4", 2, 9, "'=' must follow an option name"),
    ("input 3\nrepeat 2:", 2, 9, "needs an indented block below it"),
    ("input 3\nrepeat 2: ", 2, 9, "needs an indented block below it"),
    ("input 3\ndense 4 name=fc\ndense 4 name=fc", 3, 9, "the name 'fc' is used twice"),
    ("input 3\ndense 4 name=forward", 2, 9, "'forward' cannot name a layer"),
    ("input 3\nshortcut:\n  dense 3", 2, 1, "'shortcut:' goes inside a 'residual:'"),
    ("input 4\nresidual:\n  dense 8", 2, 1, "the residual branch changes the shape (4,) to (8,)"),
    ("input 3\nencoder:\n  dense 2", 2, 1, "'decoder:' is missing"),
    ("input 3\nlatent 2", 2, 1, "'latent' belongs to a VAE"),
    ("", 1, 1, "the model is empty"),
])
def test_error_positions(source: str, line: int, column: int, needle: str) -> None:
    err = error_of(source)
    assert needle in err.message, str(err)
    assert (err.line, err.column) == (line, column), str(err)
    text = str(err)
    if source.strip():
        shown = text.splitlines()
        assert shown[1] == "  " + source.splitlines()[line - 1].rstrip()
        assert shown[2].index("^") == column - 1 + 2


def test_decoder_mismatch_suggests_reshape() -> None:
    err = error_of("input 1x28x28\nencoder:\n  flatten\n  dense 8\ndecoder:\n  dense 784\n")
    assert "the decoder gives (784,) but the input is (1, 28, 28)" in err.message
    assert err.hint == "end the decoder with 'reshape 1x28x28'"
    assert (err.line, err.column) == (5, 1)


def test_option_typo_suggestion() -> None:
    err = error_of("input 1x8x8\nconv 4 3x3 strid=2")
    assert err.suggestion == "stride"
    assert str(err).splitlines()[-1] == "did you mean 'stride'?"


def test_error_is_a_value_error_with_render_hook() -> None:
    err = error_of("input 3\nconvv 4")
    assert isinstance(err, ValueError)
    lines = err._render_traceback_()
    assert lines[0] == "DSLError: unknown layer 'convv' (line 2, column 1)"
    assert lines[-1] == "did you mean 'conv'?"
    previous = full_tracebacks()
    try:
        set_full_tracebacks(True)
        assert not hasattr(err, "_render_traceback_")
    finally:
        set_full_tracebacks(previous)


def test_traceback_env_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    set_full_tracebacks(None)
    monkeypatch.setenv("DLWIDGETS_DSL_TRACEBACK", "1")
    assert full_tracebacks()
    monkeypatch.setenv("DLWIDGETS_DSL_TRACEBACK", "0")
    assert not full_tracebacks()


def test_non_string_source_and_huge_source() -> None:
    with pytest.raises(DSLError, match="must be a string"):
        analyze(b"input 3")  # type: ignore[arg-type]
    with pytest.raises(DSLError, match="characters long"):
        analyze("input 3\n" + "# " * 200_000)


def test_case_insensitive_keywords() -> None:
    spec = analyze("Input 3\nDense 4 ReLU")
    assert [n.kind for n in spec.layers()] == ["dense", "relu"]


def test_one_line_form_columns() -> None:
    err = error_of("input 2 -> dense 8 relu -> densee 1 sigmoid")
    assert (err.line, err.column) == (1, 28)
    assert err.suggestion == "dense"


def test_never_evaluates_python(tmp_path: object) -> None:
    # Python-looking text is only ever tokens: these fail as DSL, and nothing runs.
    for source in ("input 3\n__import__('os').system('echo hi')",
                   "input 3\ndense __class__",
                   "input 3\ndense 3 name=__init__",
                   "input 3\nexec 3"):
        with pytest.raises(DSLError):
            build(source)
