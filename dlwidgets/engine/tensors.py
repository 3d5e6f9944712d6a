"""User data (tensors, numpy arrays, nested lists of numbers) as numpy arrays or tensors.

Every entry point that takes data from a person goes through ``as_array`` / ``as_tensor``, so
a ragged list, a column of strings or a scalar where samples were expected is refused with the
same words everywhere, naming the argument.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch

#: What ``as_tensor`` does with the dtype: "keep" it; make it what a model trains on
#: ("model": float64 and bool to float32, other integers to int64); or make it floating
#: ("float": integers and bool to float32, floats kept).
Cast = Literal["keep", "model", "float"]


def as_array(value: Any, what: str = "data") -> np.ndarray:
    """``value`` as a numpy array of numbers; clear errors for ragged or non-numeric input."""
    if isinstance(value, torch.Tensor):
        _check_real(value, what)
        return value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # numpy >= 1.24 refuses ragged nested lists
        raise ValueError(
            f"{what} is ragged: its rows have different lengths ({exc}); give a rectangular array"
        ) from None
    if arr.dtype == object:
        raise ValueError(
            f"{what} is ragged or mixes types (numpy made an object array of shape {arr.shape}); "
            "give a rectangular array of numbers"
        )
    if arr.dtype.kind == "c":
        raise TypeError(f"{what} must hold real numbers, got an array of dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must hold numbers, got an array of dtype {arr.dtype}")
    return arr


def _check_real(tensor: torch.Tensor, what: str) -> None:
    if tensor.is_complex():
        raise TypeError(f"{what} must hold real numbers, got a {tensor.dtype} tensor")


def as_tensor(value: Any, what: str = "data", *, cast: Cast = "keep",
              sample_axis: bool = True) -> torch.Tensor:
    """``value`` as a detached tensor (a tensor stays on its device; arrays land on the CPU).

    ``cast`` chooses the dtype (see ``Cast``). With ``sample_axis`` a scalar is refused: data
    has its samples (or time steps) along the first axis.
    """
    if isinstance(value, torch.Tensor):
        _check_real(value, what)
        tensor = value.detach()
    else:
        tensor = torch.from_numpy(np.ascontiguousarray(as_array(value, what)))
    if sample_axis and tensor.ndim == 0:
        raise ValueError(f"{what} must have a sample axis first, got a scalar")
    if cast == "model":
        if tensor.dtype in (torch.float64, torch.bool):
            tensor = tensor.float()  # models are float32; float64 data would fail in layer one
        elif not tensor.is_floating_point() and tensor.dtype != torch.int64:
            tensor = tensor.long()
    elif cast == "float" and not tensor.is_floating_point():
        tensor = tensor.to(torch.float32)
    return tensor


def to_model(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``x`` on ``model``'s device; floating values in its floating dtype (ids stay integers)."""
    param = next(model.parameters(), None)
    if param is None:
        return x
    if x.is_floating_point():
        return x.to(param.device, param.dtype)
    return x.to(param.device)
