"""Device choice: CUDA -> MPS -> CPU, overridable by argument and $DLWIDGETS_DEVICE."""

from __future__ import annotations

import pytest
import torch

from dlwidgets import device


def test_auto_picks_the_best_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLWIDGETS_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert device().type == expected
    assert device("auto").type == expected


def test_argument_and_environment_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLWIDGETS_DEVICE", "cpu")
    assert device() == torch.device("cpu")
    assert device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setenv("DLWIDGETS_DEVICE", "nonsense")
    with pytest.raises(ValueError, match="unknown device 'nonsense'"):
        device()
    assert device("cpu").type == "cpu"  # the argument wins over the environment


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_asking_for_missing_cuda_says_what_is_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLWIDGETS_DEVICE", "cuda")
    with pytest.raises(ValueError, match=r"'cuda' \(from \$DLWIDGETS_DEVICE\) is not available.*cpu"):
        device()


@pytest.mark.gpu
def test_cuda_is_chosen_and_computes() -> None:
    dev = device()
    assert dev.type == "cuda"
    x = torch.randn(64, 64, device=dev)
    assert torch.allclose((x @ x.T).cpu(), x.cpu() @ x.cpu().T, atol=1e-3)
    with pytest.raises(ValueError, match="does not exist"):
        device(f"cuda:{torch.cuda.device_count()}")
