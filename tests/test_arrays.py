"""numpy <-> binary buffer codec: what Python sends is exactly what the front end decodes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlwidgets.widgets._arrays import from_wire, to_wire, wire_nbytes


@pytest.mark.parametrize("dtype", ["float32", "int8", "uint8", "int16", "uint16", "int32", "uint32"])
def test_round_trip_keeps_dtype_shape_and_values(dtype: str) -> None:
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    wire = to_wire(arr)
    assert wire["dtype"] == dtype and wire["shape"] == [3, 4, 5]
    assert isinstance(wire["data"], memoryview) and wire["data"].nbytes == arr.nbytes
    np.testing.assert_array_equal(from_wire(wire), arr)


def test_float64_is_narrowed_to_float32() -> None:
    arr = np.linspace(-1, 1, 7)
    wire = to_wire(arr)
    assert wire["dtype"] == "float32"
    np.testing.assert_array_equal(from_wire(wire), arr.astype(np.float32))
    assert to_wire(arr, keep_float64=True)["dtype"] == "float64"


def test_non_contiguous_and_big_endian_inputs_become_c_contiguous_little_endian() -> None:
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    view = base.T[::2]  # strided, not C-contiguous
    np.testing.assert_array_equal(from_wire(to_wire(view)), view)
    big = np.arange(5, dtype=">i4")
    wire = to_wire(big)
    assert wire["dtype"] == "int32"
    np.testing.assert_array_equal(from_wire(wire), np.arange(5))


def test_torch_tensors_and_bools_and_int64() -> None:
    t = torch.arange(6, dtype=torch.float64).reshape(2, 3).requires_grad_()
    np.testing.assert_array_equal(from_wire(to_wire(t)), t.detach().numpy().astype(np.float32))
    assert to_wire(np.array([True, False]))["dtype"] == "uint8"
    assert to_wire(np.arange(3, dtype=np.int64))["dtype"] == "int32"


def test_int64_out_of_int32_range_is_refused_not_wrapped() -> None:
    with pytest.raises(OverflowError, match="do not fit int32"):
        to_wire(np.array([2**40], dtype=np.int64))


def test_non_numeric_is_refused() -> None:
    with pytest.raises(TypeError, match="dtype"):
        to_wire(np.array(["a", "b"]))


def test_scalar_and_empty_arrays() -> None:
    np.testing.assert_array_equal(from_wire(to_wire(np.float32(3.5))), np.float32(3.5))
    empty = from_wire(to_wire(np.zeros((0, 3), np.float32)))
    assert empty.shape == (0, 3)


def test_from_wire_rejects_wrong_sizes() -> None:
    wire = to_wire(np.zeros(4, np.float32))
    wire["shape"] = [5]
    with pytest.raises(ValueError, match="needs 5"):
        from_wire(wire)


def test_buffers_leave_json_state_through_ipywidgets() -> None:
    """ipywidgets takes the memoryviews out of the state: no float ever goes as JSON."""
    from ipywidgets.widgets.widget import _remove_buffers

    state = {"curve": to_wire(np.ones(1000)), "name": "x"}
    plain, paths, buffers = _remove_buffers(state)
    assert paths == [["curve", "data"]]
    assert len(buffers) == 1 and wire_nbytes(state) == 4000
    assert "data" not in plain["curve"]
