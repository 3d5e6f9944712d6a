"""``%dl fit`` and ``%%dl NAME --fit`` through a real IPython InteractiveShell."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from torch import nn

import dlwidgets
from dlwidgets.engine.fit import History
from dlwidgets.fit_magic import fit_after_build, fit_line


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def _dense(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def test_fit_line_trains_a_notebook_variable(shell: InteractiveShell) -> None:
    shell.user_ns["net"] = _dense()
    history = fit_line("fit net digits --epochs 2 --batch-size 256", shell)
    assert isinstance(history, History) and history.stop_reason == "completed"
    assert history.model is shell.user_ns["net"]
    assert history.info["batch_size"] == 256 and history.info["optimizer"] == "adam"
    assert history.info["data"] == "digits" and history.epoch_count == 2
    assert history.monitor is None  # no front end in a plain shell; it also blocked
    # the word "fit" may already have been taken off by the dispatcher
    again = fit_line("net digits --epochs 1 --batch-size 512", shell)
    assert again.epoch_count == 1


def test_every_option_reaches_fit(shell: InteractiveShell) -> None:
    shell.user_ns["net"] = _dense()
    history = fit_line("fit net digits --epochs 3 --lr 0.05 --optimizer sgd --loss cross_entropy "
                       "--device cpu --seed 3 --schedule step --clip 1.0 --patience 2 "
                       "--batch-size 128 --val-fraction 0.5", shell)
    info = history.info
    assert info["optimizer"] == "sgd" and info["loss"] == "cross_entropy"
    assert info["device"] == "cpu" and info["batch_size"] == 128
    assert info["train_samples"] == 1797 - round(1797 * 0.5)
    assert "grad_norm" in history.steps
    lrs = history.steps["lr"]
    # StepLR(step_size=epochs // 3 = 1, gamma=0.1): 0.05, 0.005, 0.0005 over the 3 epochs
    np.testing.assert_allclose(np.unique(lrs)[::-1], [0.05, 0.005, 0.0005])


def test_a_variable_holding_arrays_is_data(shell: InteractiveShell) -> None:
    rng = np.random.default_rng(0)
    shell.user_ns["xy"] = (rng.normal(size=(40, 64)).astype(np.float32),
                           rng.integers(0, 10, 40))
    shell.user_ns["net"] = _dense()
    history = fit_line("fit net xy --epochs 1 --batch-size 8", shell)
    assert history.step_count == 5 and history.info["data"] == "(X, y)"


def test_fit_after_build_takes_the_options_after_fit(shell: InteractiveShell) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    shell.user_ns["small"] = model
    for options in ("--fit moons --epochs 2 --batch-size 64", "moons --epochs 2",
                    "--fit=moons --epochs 2 --optimizer momentum --lr 0.1"):
        history = fit_after_build(model, options, shell)
        assert history.stop_reason == "completed" and history.epoch_count == 2
        assert history.model is model
    assert history.info["optimizer"] == "momentum"


def test_a_dsl_model_trains_with_its_declared_loss(shell: InteractiveShell) -> None:
    declared = dlwidgets.build("input 64 -> dense 32 relu -> dense 10 -> log_softmax\nloss nll",
                               seed=0)
    history = fit_after_build(declared, "--fit digits --epochs 1 --batch-size 256", shell)
    assert history.info["loss"] == "nll"
    plain = dlwidgets.build("input 64 -> dense 32 relu -> dense 10", seed=0)
    history = fit_after_build(plain, "--fit digits --epochs 1 --batch-size 256", shell)
    assert history.info["loss"] == "cross_entropy"
    forced = fit_after_build(declared, "--fit digits --epochs 1 --loss cross_entropy", shell)
    assert forced.info["loss"] == "cross_entropy"


@pytest.mark.parametrize("line, message", [
    ("fit nope digits", "no model named 'nope'"),
    ("fit nett digits", "did you mean 'net'"),
    ("fit net digts", "did you mean 'digits'"),
    ("fit net digits --epoch 3", "unknown option '--epoch'; did you mean '--epochs'"),
    ("fit net digits --epochs zero", "argument --epochs: invalid"),
    ("fit net digits --epochs 0", "must be a whole number >= 1"),
    ("fit net digits --lr -1", "argument --lr"),
    ("fit net", "missing: data"),
    ("fit net digits --optimizer 'adam", "cannot read the options"),
    ("fit net digits --optimizer adamm", "did you mean 'adam'"),
    ("fit net digits --loss mse", "needs float targets"),
    ("fit net digits --device tpu", "unknown device"),
    ("fit net iris", "data and model do not fit: each sample has shape (4,)"),
    ("fit notamodel digits", "notamodel is a int, not a torch nn.Module"),
])
def test_mistakes_are_one_short_usage_error(shell: InteractiveShell, line: str,
                                            message: str) -> None:
    shell.user_ns["net"] = _dense()
    shell.user_ns["notamodel"] = 3
    with pytest.raises(UsageError) as info:
        fit_line(line, shell)
    assert message in str(info.value)
    assert "Traceback" not in str(info.value)


def test_fit_after_build_needs_a_data_name(shell: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="--fit needs a data set name"):
        fit_after_build(_dense(), "--fit --epochs 2", shell)


def test_usage_error_renders_as_one_line_in_the_shell(shell: InteractiveShell,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shell.user_ns["fit_line"] = fit_line
    shell.run_cell("fit_line('fit nope digits', get_ipython())")
    err = capsys.readouterr().err
    assert "UsageError: no model named 'nope'" in err and "Traceback" not in err


def test_through_the_registered_magics(shell: InteractiveShell,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_line_magic("load_ext", "dlwidgets")
    shell.run_cell_magic("dl", "tiny --fit moons --epochs 2 --batch-size 64 --seed 1",
                         "input 2 -> dense 16 relu -> dense 2")
    model = shell.user_ns["tiny"]
    assert isinstance(model, nn.Module)
    history = shell.run_line_magic("dl", "fit tiny moons --epochs 1 --optimizer sgd --lr 0.1")
    assert isinstance(history, History) and history.model is model
    assert history.stop_reason == "completed" and history.info["optimizer"] == "sgd"
    capsys.readouterr()
    shell.run_cell("%dl fit tiny digits --epochs 1")
    err = capsys.readouterr().err
    assert "UsageError: data and model do not fit" in err and "Traceback" not in err
