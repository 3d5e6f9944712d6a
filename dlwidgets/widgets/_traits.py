"""Trait types for numpy arrays in widget state.

``Array(dtype="float32", ndim=2)`` holds one numpy array (or ``None``, "no array"), checked and
converted when assigned; ``ArrayDict(...)`` holds a dict whose values may be such arrays beside
plain JSON values (a column table, a PCA, a decoded grid with its ranges). Python code reads and
writes numpy arrays; only the trait's serializers, the ipywidgets ``to_json``/``from_json``
hooks given through ``.tag(sync=True, **array_serialization)`` (or
``**array_dict_serialization``), turn them into the wire form of ``_arrays.to_wire``
(``{"dtype", "shape", "data": memoryview}``) that js/src/lib/arrays.ts reads.
``None`` travels as ``{}``, as it did before these traits existed.

Arrays held by a trait are read-only (copies, unless the array given was read-only already):
change state by assigning a new array, never by writing into the one a trait holds (the front
end would not hear of it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import traitlets as t

from ._arrays import from_wire, to_wire

WIRE_KEYS = frozenset(("dtype", "shape", "data"))


def _is_wire(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == WIRE_KEYS


def _same(a: Any, b: Any) -> bool:
    """Structural equality that treats numpy arrays as values (dtype, shape and contents)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 - an object without a usable ==: treat as changed
        return False


def wire_tree(value: Any) -> Any:
    """``value`` with every numpy array inside (dicts, lists) replaced by its wire form."""
    if isinstance(value, np.ndarray):
        return to_wire(value)
    if isinstance(value, dict):
        return {k: wire_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_tree(v) for v in value]
    return value


def array_tree(value: Any) -> Any:
    """The inverse of ``wire_tree``: every wire array inside ``value`` as a numpy array."""
    if _is_wire(value):
        return from_wire(value)
    if isinstance(value, dict):
        return {k: array_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [array_tree(v) for v in value]
    return value


def frozen(value: Any, dtype: str | None = None) -> np.ndarray:
    """``value`` as a read-only C-contiguous array (of ``dtype``): an array trait takes it
    without copying, so a cache of such arrays can be assigned again and again cheaply."""
    arr = np.ascontiguousarray(value, dtype=dtype)
    if arr is value and arr.flags.writeable:
        arr = arr.view()  # leave the caller's own array writeable
    arr.flags.writeable = False
    return arr


class _TreeTrait(t.TraitType):  # type: ignore[misc]
    """Shared by the array traits: notify only on a real change (arrays compared by value)."""

    def set(self, obj: t.HasTraits, value: Any) -> None:
        name = str(self.name)
        new_value = self._validate(obj, value)
        try:
            old_value = obj._trait_values[name]
        except KeyError:
            old_value = self.default_value
        obj._trait_values[name] = new_value
        if not _same(old_value, new_value):
            obj._notify_trait(name, old_value, new_value)


class Array(_TreeTrait):
    """One numpy array, or ``None`` when there is none (``{}`` on the wire).

    ``dtype``: the dtype held (a name, or a tuple of names each kept as it is); a value of
    another dtype is converted to the first allowed one it casts to within its kind or upwards
    (float64 to float32, int64 to int32 when the values fit, integers to floats; never floats
    to integers). None keeps any numeric dtype. ``ndim``: the number of dimensions allowed (an
    int or a tuple of ints), None for any. ``allow_empty``: whether ``None`` is allowed.
    Accepts numpy arrays, torch tensors and nested lists of numbers.
    """

    default_value = None
    info_text = "a numpy array"

    def __init__(self, dtype: str | tuple[str, ...] | None = None,
                 ndim: int | tuple[int, ...] | None = None, *, allow_empty: bool = True,
                 **kwargs: Any) -> None:
        self.dtypes: tuple[np.dtype, ...] | None = None
        if dtype is not None:
            names = (dtype,) if isinstance(dtype, str) else tuple(dtype)
            self.dtypes = tuple(np.dtype(n) for n in names)
        self.ndims: tuple[int, ...] | None = None
        if ndim is not None:
            self.ndims = (int(ndim),) if isinstance(ndim, (int, np.integer)) else \
                tuple(int(n) for n in ndim)
        self.allow_empty = allow_empty
        super().__init__(default_value=None, allow_none=allow_empty, **kwargs)

    def expected(self) -> str:
        """What this trait holds, in words (for error messages): 'a 2-D float32 array'."""
        dtype = " or ".join(d.name for d in self.dtypes) if self.dtypes else "numeric"
        dims = "" if self.ndims is None else " or ".join(f"{n}-D" for n in self.ndims) + " "
        text = f"{dims}{dtype} array"
        article = "an" if text.startswith(("int", "8-", "11-", "18-")) else "a"
        return f"{article} {text}" + (" or None" if self.allow_empty else "")

    def check(self, value: Any, where: str) -> np.ndarray | None:
        """``value`` as the array this trait holds; ``TraitError`` naming ``where`` otherwise."""
        if value is None:
            if self.allow_empty:
                return None
            raise t.TraitError(f"{where} must be {self.expected()}, got None")
        if _is_wire(value):
            raise t.TraitError(f"{where} holds numpy arrays, not wire dicts: assign the array "
                               "itself (the trait serializes it)")
        if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
            value = value.detach().cpu().numpy()
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as exc:
            raise t.TraitError(f"{where} must be {self.expected()}, got "
                               f"{type(value).__name__} ({exc})") from None
        if arr.dtype.kind not in "biuf":
            raise t.TraitError(f"{where} must be {self.expected()}, got "
                               f"{type(value).__name__} of dtype {arr.dtype}")
        if self.ndims is not None and arr.ndim not in self.ndims:
            raise t.TraitError(f"{where} must be {self.expected()}, got a {arr.ndim}-D "
                               f"{arr.dtype} array of shape {arr.shape}")
        target = self._target(arr, where)
        if target != arr.dtype and target.kind in "iu" and arr.size:
            info = np.iinfo(target)
            lo, hi = arr.min(), arr.max()
            if lo < info.min or hi > info.max:
                raise t.TraitError(f"{where} must be {self.expected()}: values in [{lo}, {hi}] "
                                   f"do not fit {target}")
        if arr.dtype == target and arr.flags.c_contiguous and not arr.flags.writeable:
            return arr  # already a read-only array (e.g. taken from another trait): share it
        out = np.array(arr, dtype=target, order="C", copy=True)
        out.flags.writeable = False
        return out

    def _target(self, arr: np.ndarray, where: str) -> np.dtype:
        if self.dtypes is None or arr.dtype in self.dtypes:
            return arr.dtype
        for dtype in self.dtypes:
            if np.can_cast(arr.dtype, dtype, casting="same_kind"):
                return dtype
        raise t.TraitError(f"{where} must be {self.expected()}, got a {arr.dtype} array of "
                           f"shape {arr.shape}")

    def validate(self, obj: Any, value: Any) -> np.ndarray | None:
        return self.check(value, f"{type(obj).__name__}.{self.name}")

    @staticmethod
    def to_json(value: np.ndarray | None, _widget: Any = None) -> dict[str, Any]:
        return {} if value is None else to_wire(value)

    @staticmethod
    def from_json(value: Any, _widget: Any = None) -> np.ndarray | None:
        return None if not value else from_wire(value)


class ArrayDict(_TreeTrait):
    """A dict whose values may be numpy arrays (also inside nested dicts and lists).

    ``fields``: key -> ``Array`` (or ``ArrayDict``, or ``[spec]`` for a list of such values)
    for the keys whose value is checked; ``values``: the same for every other key (None: other
    keys take any JSON value, arrays included, unchecked). Empty is ``{}``. Every array inside
    travels as a wire array, so the front end reads the same JSON shape it would from a dict of
    ``to_wire`` results.
    """

    default_value: dict[str, Any] = {}
    info_text = "a dict of numpy arrays and JSON values"

    def __init__(self, fields: Mapping[str, Spec] | None = None, values: Spec | None = None,
                 **kwargs: Any) -> None:
        self.fields = dict(fields or {})
        self.values = values
        super().__init__(default_value={}, **kwargs)

    def make_dynamic_default(self) -> dict[str, Any]:
        return {}

    def check(self, value: Any, where: str) -> dict[str, Any]:
        """``value`` with its arrays checked and converted; ``TraitError`` naming ``where``."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise t.TraitError(f"{where} must be a dict, got {type(value).__name__}")
        if _is_wire(value):
            raise t.TraitError(f"{where} holds numpy arrays, not wire dicts: assign the array "
                               "itself (the trait serializes it)")
        return {key: _check(self.fields.get(key, self.values), item, f"{where}[{key!r}]")
                for key, item in value.items()}

    def validate(self, obj: Any, value: Any) -> dict[str, Any]:
        return self.check(value, f"{type(obj).__name__}.{self.name}")

    @staticmethod
    def to_json(value: dict[str, Any], _widget: Any = None) -> Any:
        return wire_tree(value)

    @staticmethod
    def from_json(value: Any, _widget: Any = None) -> Any:
        return array_tree(value) if value else {}


#: What a value inside an ``ArrayDict`` is checked against: an array, a dict of arrays, or a
#: list of either (``[spec]``).
Spec = Array | ArrayDict | list[Any]


def _check(spec: Spec | None, value: Any, where: str) -> Any:
    if spec is None:
        return _free(value, where)
    if isinstance(spec, list):
        if not isinstance(value, (list, tuple)):
            raise t.TraitError(f"{where} must be a list, got {type(value).__name__}")
        return [_check(spec[0], item, f"{where}[{i}]") for i, item in enumerate(value)]
    return spec.check(value, where)


def _free(value: Any, where: str) -> Any:
    """An unchecked value: arrays made read-only copies, wire dicts refused."""
    if isinstance(value, np.ndarray):
        return Array().check(value, where)
    if _is_wire(value):
        raise t.TraitError(f"{where} holds numpy arrays, not wire dicts: assign the array "
                           "itself (the trait serializes it)")
    if isinstance(value, dict):
        return {k: _free(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_free(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


#: The ipywidgets serializers of each trait type, for
#: ``Array(...).tag(sync=True, **array_serialization)`` and
#: ``ArrayDict(...).tag(sync=True, **array_dict_serialization)``.
array_serialization: dict[str, Any] = {"to_json": Array.to_json, "from_json": Array.from_json}
array_dict_serialization: dict[str, Any] = {"to_json": ArrayDict.to_json,
                                            "from_json": ArrayDict.from_json}
