"""NaN/inf in the data is reported as the data's, when the batch that holds it arrives, never
blamed on the learning rate; a standardization whose training split has a constant feature
stays finite."""

from __future__ import annotations

import numpy as np
import torch
from IPython.core.interactiveshell import InteractiveShell
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import dlwidgets
from dlwidgets.engine.fit import History


def _xy(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    return x, (x[:, 0] > 0).long()


def _fit(model: nn.Module, data: object, **options: object) -> History:
    return dlwidgets.fit(model, data, epochs=2, batch_size=16, shuffle=False, monitor=False,
                         **options)  # type: ignore[arg-type]


def test_nan_in_x_is_named_as_the_data_not_the_learning_rate() -> None:
    x, y = _xy()
    x[17, 1] = float("nan")
    history = _fit(nn.Linear(3, 2), (x, y))
    assert history.status == "diverged" and history.diverged_at == 2  # samples 16..31
    assert "because the data holds NaN/inf: this batch's inputs do" in history.message
    assert "Lower the learning rate" not in history.message


def test_nan_in_float_targets_is_named_as_the_data() -> None:
    x, _ = _xy()
    y = x[:, :1] * 2.0
    y[5, 0] = float("nan")
    history = _fit(nn.Linear(3, 1), (x, y), loss="mse")
    assert history.status == "diverged" and history.diverged_at == 1
    assert "this batch's targets do" in history.message
    assert "Lower the learning rate" not in history.message


def test_nan_from_a_dataloader_is_named_as_the_data_when_its_batch_arrives() -> None:
    x, y = _xy()
    x[50, 2] = float("nan")  # not in the first two samples that the checks probe
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=False)
    history = dlwidgets.fit(nn.Linear(3, 2), loader, epochs=1, monitor=False)
    assert history.status == "diverged" and history.diverged_at == 4
    assert "this batch's inputs do" in history.message
    assert "Lower the learning rate" not in history.message


def test_a_real_divergence_still_points_at_the_learning_rate() -> None:
    x, y = _xy()
    history = dlwidgets.fit(nn.Linear(3, 2), (x * 1e30, y), optimizer="sgd", lr=1e30, epochs=3,
                            monitor=False)
    assert history.status == "diverged" and "Lower the learning rate" in history.message


def test_iris_with_a_tiny_training_split_is_standardized_without_nan() -> None:
    data = dlwidgets.load_dataset("iris", val_fraction=0.99)
    assert np.isfinite(data.x).all() and np.isfinite(data.x_val).all()


def test_the_magic_trains_iris_with_val_fraction_0_99() -> None:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "dlwidgets")
    history = shell.run_cell_magic("dl", "irisnet --fit iris --val-fraction 0.99 --epochs 2",
                                   "input 4 -> dense 8 relu -> dense 3")
    assert isinstance(history, History)
    assert history.status == "completed", history.message
