"""%%dl and %dl through a real IPython InteractiveShell, errors as the user sees them."""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn as nn
from IPython.core.interactiveshell import InteractiveShell

from dlwidgets.dsl import DSLError
from dlwidgets.dsl.errors import set_full_tracebacks
from tests.dsl_models import LENET_CELL


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "dlwidgets")
    return sh


@pytest.fixture(autouse=True)
def _short_errors() -> object:
    set_full_tracebacks(None)
    yield
    set_full_tracebacks(None)


def run(shell: InteractiveShell, cell: str, capsys: pytest.CaptureFixture[str]
        ) -> tuple[object, str, str]:
    result = shell.run_cell(cell)
    out = capsys.readouterr()
    return result, out.out, out.err


def test_lenet_cell_verbatim(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    result, out, err = run(shell, LENET_CELL, capsys)
    assert result.success, out + err
    model = shell.user_ns["lenet"]
    assert isinstance(model, nn.Module)
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == 61_706
    # the summary is shown: every layer, its shape, the totals
    assert "Model lenet" in out
    assert "Conv2d(1→6, 5x5, pad 2)" in out and "6x28x28" in out
    assert "Total params: 61,706" in out
    assert "Traceback" not in out + err


def test_one_line_form(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    result, out, err = run(shell, "%dl mlp = input 2 -> dense 8 relu -> dense 1 sigmoid", capsys)
    assert result.success, out + err
    mlp = shell.user_ns["mlp"]
    torch.manual_seed(0)
    ref = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    mlp.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2)
    torch.testing.assert_close(mlp(x), ref(x))
    assert "Model mlp" in out


def test_error_in_cell_is_one_short_block(shell: InteractiveShell,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    shell.user_ns.pop("broken", None)
    result, out, err = run(shell, "%%dl broken\ninput 1x28x28\nconv 6 5x5 tanh\nconvv 16 5x5\n",
                           capsys)
    assert isinstance(result.error_in_exec, DSLError)
    shown = (out + err).strip().splitlines()
    assert shown == [
        "DSLError: unknown layer 'convv' (line 4, column 1)",  # the %%dl line is line 1
        "  convv 16 5x5",
        "  ^^^^^",
        "did you mean 'conv'?",
    ]
    assert "broken" not in shell.user_ns  # nothing is bound when the declaration is wrong


def test_shape_error_points_at_the_line(shell: InteractiveShell,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cell = "%%dl bad\ninput 1x28x28\nconv 6 5x5\nflatten\ndense 120\nconv 16 5x5\n"
    result, out, err = run(shell, cell, capsys)
    assert isinstance(result.error_in_exec, DSLError)
    lines = (out + err).strip().splitlines()
    assert lines[0] == ("DSLError: conv after dense expects 3-D input, got (120,) "
                        "(line 6, column 1)")
    assert lines[1] == "  conv 16 5x5"
    assert lines[2] == "  ^^^^"
    assert "Traceback" not in out + err
    assert len(lines) <= 5


def test_error_in_one_line_form_points_into_the_magic_line(
        shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    result, out, err = run(shell, "%dl m2 = input 2 -> densee 8 -> dense 1", capsys)
    lines = (out + err).strip().splitlines()
    assert lines[0] == "DSLError: unknown layer 'densee' (line 1, column 21)"
    assert lines[1] == "  %dl m2 = input 2 -> densee 8 -> dense 1"
    assert lines[2] == "  " + " " * 20 + "^^^^^^"
    assert lines[3] == "did you mean 'dense'?"


def test_traceback_switch(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    cell = "%%dl net\ninput 3\nconvv 3\n"
    run(shell, "%dl --traceback on", capsys)
    _, out, err = run(shell, cell, capsys)
    assert "Traceback" in out + err and "spec.py" in out + err
    run(shell, "%dl --traceback off", capsys)
    _, out, err = run(shell, cell, capsys)
    assert "Traceback" not in out + err
    _, out, err = run(shell, "%%dl net --traceback\ninput 3\nconvv 3\n", capsys)
    assert "Traceback" in out + err  # this cell only
    _, out, err = run(shell, cell, capsys)
    assert "Traceback" not in out + err


def test_traceback_env_var(shell: InteractiveShell, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLWIDGETS_DSL_TRACEBACK", "1")
    _, out, err = run(shell, "%%dl net\ninput 3\nconvv 3\n", capsys)
    assert "Traceback" in out + err


def test_build_in_a_code_cell_also_renders_short(shell: InteractiveShell,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, out, err = run(shell, "import dlwidgets\ndlwidgets.build('input 3\\ndense 4 strid=2')",
                      capsys)
    lines = (out + err).strip().splitlines()
    assert lines[0] == "DSLError: dense has no option 'strid' (line 2, column 9)"
    assert "Traceback" not in out + err


@pytest.mark.parametrize(("cell", "needle"), [
    ("%%dl\ninput 3\n", "needs the name"),
    ("%%dl 3net\ninput 3\n", "cannot name a Python variable"),
    ("%%dl class\ninput 3\n", "cannot name a Python variable"),
    ("%%dl net --sed 3\ninput 3\n", "unknown option '--sed'; did you mean '--seed'?"),
    ("%%dl net --seed x\ninput 3\n", "--seed must be a whole number"),
    ("%%dl net extra\ninput 3\n", "unknown argument 'extra'"),
    ("%dl", "usage"),
    ("%dl mlp input 2", "write '%dl NAME = <declaration>'"),
    ("%dl --traceback maybe", "usage: %dl --traceback"),
    ("%dl summary", "usage: %dl summary NAME"),
    ("%dl summary nothing_here", "no variable named 'nothing_here'"),
])
def test_usage_errors_are_one_line(shell: InteractiveShell, capsys: pytest.CaptureFixture[str],
                                   cell: str, needle: str) -> None:
    _, out, err = run(shell, cell, capsys)
    text = out + err
    assert "UsageError" in text and needle in text, text
    assert "Traceback" not in text


def test_seed_option_and_quiet(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
                               ) -> None:
    run(shell, "%%dl a --seed 3 --quiet\ninput 4\ndense 5\n", capsys)
    _, out, _ = run(shell, "%%dl b --seed=3 -q\ninput 4\ndense 5\n", capsys)
    assert out == ""  # quiet: nothing shown
    a, b = shell.user_ns["a"], shell.user_ns["b"]
    assert torch.equal(a[0].weight, b[0].weight)
    run(shell, "%dl --seed 3 -q c = input 4 -> dense 5", capsys)
    assert torch.equal(shell.user_ns["c"][0].weight, a[0].weight)


def test_warnings_show_with_cell_line_numbers(shell: InteractiveShell,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cell = "%%dl clf\ninput 4\nloss cross_entropy\ndense 8 relu\ndense 3 softmax\n"
    result, out, err = run(shell, cell, capsys)
    assert result.success
    assert "softmax before a cross-entropy loss" in out
    assert "(line 5, column 9)" in out
    _, out, err = run(shell, cell.replace("%%dl clf", "%%dl clf -q"), capsys)
    assert "DSL warning (line 5, column 9): softmax before a cross-entropy loss" in err


def test_summary_line_for_any_module(shell: InteractiveShell,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    shell.user_ns["plain"] = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(),
                                           nn.Linear(4 * 26 * 26, 10))
    _, out, err = run(shell, "%dl summary plain 1x28x28", capsys)
    assert "4x26x26" in out and "Total params: 27,090" in out
    _, out, err = run(shell, "%dl summary plain 1x2x2", capsys)
    assert "UsageError" in out + err and "does not fit the model" in out + err


def test_fit_lines_are_dispatched(shell: InteractiveShell,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    _, out, err = run(shell, "%dl fit", capsys)
    # reaches dlwidgets.fit_magic.fit_line, which answers with its own usage
    assert "UsageError" in out + err and "%dl fit NET DATA" in out + err


def test_fit_missing_module_message(shell: InteractiveShell, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dlwidgets.fit_magic", None)  # not importable
    _, out, err = run(shell, "%dl fit net digits", capsys)
    assert "needs dlwidgets.fit_magic" in out + err
    _, out, err = run(shell, "%%dl f --fit digits\ninput 64\ndense 10\n", capsys)
    assert "needs dlwidgets.fit_magic" in out + err
    assert isinstance(shell.user_ns["f"], nn.Module)  # built and bound before training


def test_cell_fit_passes_the_options_after_fit(shell: InteractiveShell,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    result, out, err = run(shell, "%%dl f2 --seed 1 --fit digits --epochs nope\ninput 64\n"
                           "dense 10\n", capsys)
    # fit_after_build parsed '--fit digits --epochs nope' and refused the epoch count
    assert "UsageError" in out + err and "epochs" in out + err
    assert isinstance(shell.user_ns["f2"], nn.Module)


def test_fuzzed_magic_lines_raise_only_usage_or_dsl_errors(shell: InteractiveShell) -> None:
    import warnings

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from IPython.core.error import UsageError

    from dlwidgets.magics import dl_cell, dl_line

    pieces = st.sampled_from(["m", "=", "==", "->", "input", "2", "1x4x4", "dense", "4", "relu",
                              "--seed", "-q", "--quiet", "--traceback", "summary", "--fit",
                              "conv", "3x3", "x", "'", '"', ":", "#", "  ", "é", "\t"])
    lines = st.lists(pieces, max_size=12).map(" ".join)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])
    @given(lines, st.text(max_size=60))
    def check(line: str, body: str) -> None:
        if line.strip().startswith(("fit", "--fit")) or "--fit" in line or \
                line.strip().startswith("--traceback"):
            return  # training and the session switch are exercised elsewhere
        for call in (lambda: dl_line(line, shell), lambda: dl_cell(line, body, shell)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    call()
            except (UsageError, DSLError):
                pass

    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        check()
