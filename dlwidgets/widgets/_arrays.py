"""numpy <-> binary buffer codec for widget state.

An array travels as ``{"dtype": "float32", "shape": [h, w], "data": memoryview}``. ipywidgets
pulls the memoryview out of the JSON state and sends it as a binary buffer; the front end
(js/src/lib/arrays.ts) rebuilds a typed array over it without copying. float64 is narrowed to
float32 and int64 to int32 because JavaScript typed arrays are what draws; the narrowing is
checked so an int64 that does not fit is refused rather than wrapped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# dtypes the front end can view directly as a typed array
WIRE_DTYPES = ("float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32")
_NARROW = {"float64": "float32", "int64": "int32", "uint64": "uint32", "float16": "float32",
           "bool": "uint8"}


# {"dtype": str, "shape": list[int], "data": memoryview}; a plain dict so it fits Dict traits.
WireArray = dict[str, Any]


def to_wire(array: Any, *, keep_float64: bool = False) -> WireArray:
    """Encode an array-like (numpy, torch tensor, nested lists) for widget state."""
    if hasattr(array, "detach"):  # torch.Tensor without importing torch here
        array = array.detach().cpu().numpy()
    arr = np.asarray(array)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot send an array of dtype {arr.dtype} to the browser; use numbers")
    name = arr.dtype.name
    if name in _NARROW and not (keep_float64 and name == "float64"):
        target = _NARROW[name]
        if arr.dtype.kind in "iu" and arr.size:
            info = np.iinfo(target)
            lo, hi = arr.min(), arr.max()
            if lo < info.min or hi > info.max:
                raise OverflowError(
                    f"integer values in [{lo}, {hi}] do not fit {target} for the browser"
                )
        arr = arr.astype(target)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    arr = np.ascontiguousarray(arr)
    return {"dtype": arr.dtype.name, "shape": [int(s) for s in arr.shape],
            "data": memoryview(arr.tobytes())}


def from_wire(value: dict[str, Any]) -> np.ndarray:
    """Decode what ``to_wire`` made (or what the front end sent back) into a numpy array."""
    dtype = np.dtype(value["dtype"])
    shape = tuple(int(s) for s in value["shape"])
    raw = value["data"]
    buf = raw if isinstance(raw, (bytes, bytearray, memoryview)) else bytes(raw)
    arr = np.frombuffer(buf, dtype=dtype)
    expected = int(np.prod(shape)) if shape else 1
    if arr.size != expected:
        raise ValueError(f"buffer holds {arr.size} values but shape {list(shape)} needs {expected}")
    return arr.reshape(shape)


def wire_nbytes(value: Any) -> int:
    """Total bytes of all binary buffers inside a (nested) state value."""
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, memoryview):
        return value.nbytes
    if isinstance(value, dict):
        return sum(wire_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(wire_nbytes(v) for v in value)
    return 0
