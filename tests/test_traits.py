"""Array trait types: validation on assignment, the wire form, the empty value, round trips."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
import traitlets as t
from ipywidgets.widgets.widget import _remove_buffers

import dlwidgets
from dlwidgets.widgets._arrays import from_wire, to_wire
from dlwidgets.widgets._base import DLWidget
from dlwidgets.widgets._traits import (
    Array,
    ArrayDict,
    array_dict_serialization,
    array_serialization,
    frozen,
)


class Probe(DLWidget):
    """A widget with one trait of each kind (its front end is never loaded here)."""

    image = Array("float32", ndim=2).tag(sync=True, **array_serialization)
    labels = Array(("int32", "float32"), ndim=1).tag(sync=True, **array_serialization)
    volume = Array("float32", ndim=(3, 4), allow_empty=False).tag(sync=True,
                                                                   **array_serialization)
    table = ArrayDict(fields={"step": Array("int32", ndim=1)},
                      values=Array("float32", ndim=1)).tag(sync=True, **array_dict_serialization)
    nested = ArrayDict(fields={"pca": ArrayDict(fields={"mean": Array("float32", ndim=1)}),
                               "layers": [ArrayDict(fields={"w": Array("float32", ndim=2)})]}
                       ).tag(sync=True, **array_dict_serialization)

    def __init__(self) -> None:
        super().__init__(volume=np.zeros((1, 2, 2)))


def test_an_array_trait_holds_a_converted_read_only_numpy_array() -> None:
    w = Probe()
    source = np.arange(6, dtype=np.float64).reshape(2, 3)
    w.image = source
    assert isinstance(w.image, np.ndarray) and w.image.dtype == np.float32
    np.testing.assert_array_equal(w.image, source)
    assert not w.image.flags.writeable
    source[0, 0] = 99.0  # the trait holds a copy: the caller's array stays theirs
    assert w.image[0, 0] == 0.0 and source.flags.writeable
    w.image = torch.ones(2, 2, dtype=torch.float64)  # tensors and nested lists are taken too
    assert w.image.dtype == np.float32
    w.image = [[1, 2], [3, 4]]
    assert w.image.dtype == np.float32 and w.image.shape == (2, 2)


@pytest.mark.parametrize("trait, value, words", [
    ("image", np.zeros(3), "Probe.image must be a 2-D float32 array or None, got a 1-D float64 "
                           "array of shape (3,)"),
    ("image", np.zeros((2, 2), dtype=np.complex64), "Probe.image must be a 2-D float32 array"),
    ("image", [["a", "b"]], "got list of dtype <U1"),
    ("image", [[1, 2], [3]], "Probe.image must be a 2-D float32 array or None, got list"),
    ("labels", np.zeros((2, 2), np.int32), "Probe.labels must be a 1-D int32 or float32 array"),
    ("labels", np.array([2**40, 0]), "values in [0, 1099511627776] do not fit int32"),
    ("volume", None, "Probe.volume must be a 3-D or 4-D float32 array, got None"),
    ("volume", np.zeros((2, 2)), "got a 2-D float64 array of shape (2, 2)"),
])
def test_a_wrong_value_is_refused_naming_the_trait_and_what_it_expects(
        trait: str, value: object, words: str) -> None:
    w = Probe()
    before = w.get_state(trait)
    with pytest.raises(t.TraitError) as info:
        setattr(w, trait, value)
    assert words in str(info.value)
    assert _same_state(w.get_state(trait), before)  # nothing changed


def test_floats_are_never_cast_to_integers() -> None:
    class Ints(DLWidget):
        index = Array("int32", ndim=1).tag(sync=True, **array_serialization)

    w = Ints()
    w.index = np.array([1, 2], dtype=np.int64)
    assert w.index.dtype == np.int32
    w.index = np.array([True, False])  # bools are integers
    assert w.index.dtype == np.int32
    with pytest.raises(t.TraitError, match="Ints.index must be a 1-D int32 array or None, got "
                                           "a float64 array of shape \\(2,\\)"):
        w.index = np.array([1.0, 2.0])


def test_a_mixed_dtype_trait_keeps_an_allowed_dtype_and_converts_others() -> None:
    w = Probe()
    w.labels = np.array([0, 1, 1], dtype=np.int64)
    assert w.labels.dtype == np.int32
    w.labels = np.array([0.5, 1.5])
    assert w.labels.dtype == np.float32


def test_the_empty_value_is_none_in_python_and_an_empty_dict_on_the_wire() -> None:
    w = Probe()
    assert w.image is None and w.get_state("image")["image"] == {}
    w.image = np.ones((2, 2))
    w.image = None
    assert w.image is None and w.get_state("image")["image"] == {}
    assert Array.from_json({}) is None
    assert w.table == {} and w.get_state("table")["table"] == {}
    w.table = None  # an empty dict of arrays
    assert w.table == {}


def test_state_is_the_wire_form_of_to_wire_and_round_trips() -> None:
    w = Probe()
    img = np.linspace(0, 1, 12).reshape(3, 4)
    w.image = img
    wire = w.get_state("image")["image"]
    assert wire["dtype"] == "float32" and wire["shape"] == [3, 4]
    assert isinstance(wire["data"], memoryview)
    assert bytes(wire["data"]) == bytes(to_wire(img)["data"])  # the same bytes as before
    np.testing.assert_array_equal(Array.from_json(wire), img.astype(np.float32))
    # ipywidgets lifts every array into a binary buffer
    state, paths, buffers = _remove_buffers(w.get_state())
    assert ["image", "data"] in paths and ["volume", "data"] in paths
    assert len(buffers) == len(paths)
    # what the front end would send back is decoded by from_json (ipywidgets' set_state)
    w.set_state({"image": {"dtype": "float32", "shape": [1, 2],
                           "data": memoryview(np.array([[5, 6]], np.float32).tobytes())}})
    np.testing.assert_array_equal(w.image, [[5.0, 6.0]])


def test_a_dict_of_arrays_checks_each_key_and_keeps_plain_values() -> None:
    w = Probe()
    w.table = {"step": np.arange(1, 4), "loss": np.array([0.5, 0.25, 0.125])}
    assert w.table["step"].dtype == np.int32 and w.table["loss"].dtype == np.float32
    state = w.get_state("table")["table"]
    assert state["step"]["dtype"] == "int32" and state["loss"]["dtype"] == "float32"
    np.testing.assert_array_equal(from_wire(state["loss"]), [0.5, 0.25, 0.125])
    assert ArrayDict.from_json(state)["step"].tolist() == [1, 2, 3]
    with pytest.raises(t.TraitError, match=r"Probe.table\['loss'\] must be a 1-D float32 array"):
        w.table = {"loss": np.zeros((2, 2))}
    with pytest.raises(t.TraitError, match="Probe.table must be a dict, got list"):
        w.table = [1, 2]
    # nested dicts, lists of dicts and plain JSON values beside the arrays
    w.nested = {"pca": {"mean": [1.0, 2.0]}, "layers": [{"w": np.eye(2), "kind": "linear"}],
                "n": 3, "labels": ["a", "b"]}
    assert w.nested["pca"]["mean"].dtype == np.float32
    assert w.nested["layers"][0]["kind"] == "linear" and w.nested["n"] == 3
    wire = w.get_state("nested")["nested"]
    assert wire["layers"][0]["w"]["shape"] == [2, 2] and wire["labels"] == ["a", "b"]
    with pytest.raises(t.TraitError, match=r"Probe.nested\['layers'\]\[0\]\['w'\] must be a "
                                           "2-D float32 array"):
        w.nested = {"layers": [{"w": np.zeros(3)}]}


def test_wire_dicts_are_refused_so_no_code_keeps_encoding_by_hand() -> None:
    w = Probe()
    with pytest.raises(t.TraitError, match="Probe.image holds numpy arrays, not wire dicts"):
        w.image = to_wire(np.zeros((2, 2)))
    with pytest.raises(t.TraitError, match=r"Probe.table\['loss'\] holds numpy arrays"):
        w.table = {"loss": to_wire(np.zeros(2))}


def test_assigning_equal_values_sends_nothing_and_a_change_of_dtype_is_a_change() -> None:
    w = Probe()
    changes: list[str] = []
    w.observe(lambda change: changes.append(change["name"]), names=["image", "labels"])
    w.image = np.zeros((2, 2))
    w.image = np.zeros((2, 2))  # same values: no change notification
    assert changes == ["image"]
    w.image = np.zeros((2, 3))
    assert changes == ["image", "image"]
    w.labels = np.array([1, 2], np.int32)
    w.labels = np.array([1.0, 2.0], np.float32)  # equal numbers, another dtype on the wire
    assert changes == ["image", "image", "labels", "labels"]


def test_frozen_arrays_are_shared_not_copied() -> None:
    w = Probe()
    mine = np.ones((2, 2), np.float32)
    cached = frozen(mine)
    assert mine.flags.writeable and not cached.flags.writeable
    w.image = cached
    assert w.image is cached  # a cache of frozen arrays can be assigned again at no cost
    w.table = {"loss": frozen(np.arange(3.0), "float32")}
    assert w.table["loss"].dtype == np.float32


def _same_state(a: object, b: object) -> bool:
    plain_a, _, bufs_a = _remove_buffers(a)  # type: ignore[arg-type]
    plain_b, _, bufs_b = _remove_buffers(b)  # type: ignore[arg-type]
    return bool(plain_a == plain_b and [bytes(x) for x in bufs_a] == [bytes(x) for x in bufs_b])


def _widget_classes() -> list[type]:
    return [obj for obj in vars(dlwidgets).values()
            if inspect.isclass(obj) and issubclass(obj, DLWidget)]


@pytest.mark.parametrize("cls", _widget_classes(), ids=lambda c: c.__name__)
def test_every_array_trait_of_every_widget_has_its_serializers(cls: type) -> None:
    for name, trait in cls.class_traits(sync=True).items():
        if isinstance(trait, (Array, ArrayDict)):
            assert trait.metadata.get("to_json") is type(trait).to_json, f"{cls.__name__}.{name}"
            assert trait.metadata.get("from_json") is type(trait).from_json, \
                f"{cls.__name__}.{name}"
