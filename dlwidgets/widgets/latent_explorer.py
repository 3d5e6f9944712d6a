"""Latent-space explorer: a data set's codes as a scatter next to a live decoder view.

The engine (dlwidgets/engine/latent.py) encodes, projects and decodes; this module turns its
results into synced state (binary arrays) and answers the front end's decode requests.

Decoding paths (the front end picks one, see ``decode_path``):

* kernel: the view sends ``{"type": "decode", "id", "purpose"}`` with the codes as one float32
  buffer; Python decodes them in one batch on ``device()`` and replies with the outputs as one
  float32 buffer. The view keeps at most one request in flight per purpose and replaces the
  pending one with the newest pointer position (stale requests are dropped, never queued).
* browser: when the decoder is a small MLP (``nn.Linear`` + element-wise activations, at most
  ``max_browser_params`` parameters, checked equal to torch within 1e-4) its weights are in
  state (``decoder_mlp``) and the view runs it in float32 itself: no round trip, and it keeps
  working in a static export.
* grid: otherwise a precomputed lattice of decodings over the data's extent (``grid``) lets an
  exported page still show the nearest decoded cell.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import traitlets as t

from ..engine import args as _args
from ..engine import embedding as E
from ..engine import latent as L
from ..engine import pretrained as shipped_weights
from ..engine import shutdown
from ..engine.device import device as pick_device
from ..engine.tensors import as_tensor
from ._base import DLWidget, bundle
from ._latent_views import INVERTIBLE, VIEWS, EmbeddingJobs
from ._stream import ThrottledPublisher
from ._traits import Array, ArrayDict, array_dict_serialization, array_serialization

#: The view's request may ask for at most this many decodings at once.
MAX_DECODE_REQUEST = 4096
#: Inputs are shipped to the browser (for the reconstruction view) up to this many values.
MAX_INPUT_VALUES = 4_000_000
#: Values in the precomputed decoded grid (n * n * outputs) at most.
MAX_GRID_VALUES = 600_000
DECODE_PATHS = ("auto", "kernel", "browser")
MAX_CATEGORIES = 64

# the array traits' shapes: d latent dimensions, D output values, N points
V = Array("float32", ndim=1)
M = Array("float32", ndim=2)
ARRAY = array_serialization
DICT = array_dict_serialization


def _display_spec(out_shape: tuple[int, ...], data_shape: tuple[int, ...] | None,
                  image_shape: Sequence[int] | None, display: str) -> dict[str, Any]:
    """How a decoded output is drawn: an image (gray or RGB) or curves (one per channel)."""
    size = int(np.prod(out_shape)) if out_shape else 1
    if display not in ("auto", "image", "curve"):
        raise ValueError(f"display must be 'auto', 'image' or 'curve', got {display!r}")
    shape: tuple[int, ...] | None = None
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        if int(np.prod(shape)) != size or len(shape) not in (2, 3):
            raise ValueError(
                f"image_shape={tuple(image_shape)} does not fit the decoder's output of shape "
                f"{out_shape} ({size} values); give (H, W) or (C, H, W) with {size} values"
            )
    elif display != "curve":
        if len(out_shape) >= 2:
            shape = out_shape
        elif data_shape is not None and len(data_shape) >= 2 and \
                int(np.prod(data_shape)) == size:
            shape = data_shape
    if shape is not None:
        shape = tuple(s for s in shape) if len(shape) <= 3 else shape
        if len(shape) == 2 and min(shape) >= 4:
            return {"kind": "image", "channels": 1, "height": shape[0], "width": shape[1],
                    "layout": "chw", "size": size}
        if len(shape) == 3 and shape[0] in (1, 3) and min(shape[1:]) >= 2:
            return {"kind": "image", "channels": shape[0], "height": shape[1],
                    "width": shape[2], "layout": "chw", "size": size}
        if len(shape) == 3 and shape[2] in (1, 3) and min(shape[:2]) >= 2:
            return {"kind": "image", "channels": shape[2], "height": shape[0],
                    "width": shape[1], "layout": "hwc", "size": size}
        if display == "image":
            raise ValueError(f"cannot draw an output of shape {shape} as an image; give "
                             "image_shape=(H, W) or (C, H, W) with C in (1, 3)")
    if display == "image":
        raise ValueError(f"the decoder's output of shape {out_shape} is not an image; give "
                         "image_shape=(H, W) or (C, H, W)")
    if len(out_shape) == 2 and out_shape[0] <= 8:
        return {"kind": "curve", "channels": out_shape[0], "length": out_shape[1], "size": size}
    return {"kind": "curve", "channels": 1, "length": size, "size": size}


def _labels(labels: Any, n: int) -> tuple[np.ndarray | None, str, list[str]]:
    """(values, kind, names): categorical labels become int32 codes with names."""
    if labels is None:
        return None, "none", []
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    arr = np.asarray(labels)
    if arr.ndim != 1:
        arr = arr.reshape(arr.shape[0], -1) if arr.ndim else arr
        if arr.ndim != 2 or arr.shape[1] != 1:
            raise ValueError(f"labels must be one value per sample (shape ({n},)), got shape "
                             f"{np.asarray(labels).shape}")
        arr = arr[:, 0]
    if arr.shape[0] != n:
        raise ValueError(f"labels has {arr.shape[0]} entries but the data has {n} samples; "
                         "give one label per sample")
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise ValueError("labels has NaN/inf values")
        uniq = np.unique(arr)
        if len(uniq) <= MAX_CATEGORIES and np.all(uniq == np.round(uniq)):
            arr = arr.astype(np.int64)
        else:
            return arr.astype(np.float32), "continuous", []
    if arr.dtype.kind in "biu":
        uniq = np.unique(arr)
        if len(uniq) > MAX_CATEGORIES:
            return arr.astype(np.float32), "continuous", []
        idx = np.searchsorted(uniq, arr).astype(np.int32)
        return idx, "categorical", [str(int(u)) for u in uniq]
    names_arr = arr.astype(str)
    uniq_s, inverse = np.unique(names_arr, return_inverse=True)
    if len(uniq_s) > MAX_CATEGORIES:
        raise ValueError(f"labels has {len(uniq_s)} distinct strings; at most {MAX_CATEGORIES} "
                         "categories can be coloured")
    return inverse.astype(np.int32), "categorical", [str(s) for s in uniq_s]


def _collect(data: Any) -> tuple[Any, Any]:
    """(x, y or None) from an array/tensor, a (x, y) tuple, a Dataset or a DataLoader."""
    from torch.utils.data import DataLoader, Dataset

    if isinstance(data, DataLoader):
        xs, ys = [], []
        for batch in data:
            if isinstance(batch, (tuple, list)):
                xs.append(torch.as_tensor(batch[0]))
                if len(batch) > 1:
                    ys.append(torch.as_tensor(batch[1]))
            else:
                xs.append(torch.as_tensor(batch))
        if not xs:
            raise ValueError("data (a DataLoader) yielded no batches")
        return torch.cat(xs), (torch.cat(ys) if len(ys) == len(xs) else None)
    if isinstance(data, Dataset) and not isinstance(data, torch.Tensor):
        n = len(data)  # type: ignore[arg-type]
        if n > L.MAX_POINTS:
            raise ValueError(f"data has {n:,} samples, over the {L.MAX_POINTS:,} limit")
        items = [data[i] for i in range(n)]
        if items and isinstance(items[0], (tuple, list)):
            x = torch.stack([torch.as_tensor(it[0]) for it in items])
            y = torch.as_tensor(np.asarray([np.asarray(it[1]) for it in items]))
            return x, y
        return torch.stack([torch.as_tensor(it) for it in items]), None
    if isinstance(data, tuple) and len(data) == 2 and not np.isscalar(data[0]):
        return data[0], data[1]
    return data, None


#: How the shipped demo weights were trained (tools/make_demo_weights.py).
DEMO_TRAINING = {"epochs": 40, "lr": 3e-3, "seed": 0}


def demo_weights_name(kind: str, latent_dim: int) -> str:
    return f"latent_demo_{kind}_{latent_dim}d"


class LatentExplorer(DLWidget):
    """A data set in a model's latent space: scatter, live decoder, grid, interpolation,
    arithmetic, traversals, reconstructions and anomalies."""

    _esm = bundle("latent_explorer")

    # what is explored
    model_kind = t.Unicode("").tag(sync=True)
    model_name = t.Unicode("").tag(sync=True)
    latent_dim = t.Int(2).tag(sync=True)
    n_points = t.Int(0).tag(sync=True)
    latent_codes = Array("float32", ndim=2).tag(sync=True, **ARRAY)  # (N, d)
    # (N,) int32 category codes or float32 values; None without labels
    label_values = Array(("int32", "float32"), ndim=1).tag(sync=True, **ARRAY)
    label_kind = t.Unicode("none").tag(sync=True)
    label_names = t.List(t.Unicode()).tag(sync=True)
    pca = ArrayDict(fields={"mean": V, "components": M, "explained": V, "ratio": V}).tag(
        sync=True, **DICT)  # components (d, d): rows are the principal axes
    # the view: "pca" or "dims" (the plane below, invertible) or "tsne" / "umap" (embeddings)
    projection_mode = t.Unicode("pca").tag(sync=True)
    # the t-SNE / UMAP views computed so far: {kind: {"coords": (N, 2), parameters...}}
    embeddings = ArrayDict(fields={k: ArrayDict(fields={"coords": M}) for k in E.EMBEDDINGS}).tag(
        sync=True, **DICT)
    view_status = t.Unicode("").tag(sync=True)  # "computing t-SNE…" while a view is computed
    views_unavailable = t.Dict().tag(sync=True)  # view -> why it cannot be chosen here
    # the last invertible plane: z = origin + p @ basis + sliders @ others (see engine.latent)
    dims = t.List(t.Int(), default_value=[0, 1]).tag(sync=True)
    sliders = t.List(t.Float()).tag(sync=True)
    # origin (d,), basis (2, d), others (d - 2, d), slider_min/max (d - 2,), mode, labels
    plane = ArrayDict(fields={"origin": V, "basis": M, "others": M, "slider_min": V,
                              "slider_max": V}).tag(sync=True, **DICT)
    # decoded outputs
    output = t.Dict().tag(sync=True)  # display spec + value range
    # {} or {"layers": [{"kind", "weight" (out, in), "bias" (out,), ...}], "params": n, ...}
    decoder_mlp = ArrayDict(fields={"layers": [ArrayDict(fields={"weight": M, "bias": V})]}).tag(
        sync=True, **DICT)
    mlp_reason = t.Unicode("").tag(sync=True)
    decode_path = t.Unicode("auto").tag(sync=True)
    # x_range, y_range, n and the decoded lattice images (n, n, D)
    grid = ArrayDict(fields={"images": Array("float32", ndim=3)}).tag(sync=True, **DICT)
    show_lattice = t.Bool(False).tag(sync=True)
    lattice_n = t.Int(10).tag(sync=True)
    # reconstructions
    errors = Array("float32", ndim=1).tag(sync=True, **ARRAY)  # (N,) or None (a generator)
    # the K worst reconstructions: index (K,), errors (K,), inputs (K, D), recons (K, D)
    anomalies = ArrayDict(fields={"index": Array("int32", ndim=1), "errors": V, "inputs": M,
                                  "recons": M}).tag(sync=True, **DICT)
    inputs = Array("float32", ndim=2).tag(sync=True, **ARRAY)  # (N, D) when small, else None
    # selections and what is computed from them
    selected = t.List(t.Int(), default_value=[-1, -1, -1]).tag(sync=True)  # A, B, C
    focus = t.Int(-1).tag(sync=True)  # the point clicked last
    # the focused point: index, code (d,), recon (D,), input (D,), error
    detail = ArrayDict(fields={"code": V, "recon": V, "input": V}).tag(sync=True, **DICT)
    interp_steps = t.Int(9).tag(sync=True)
    # a, b and codes (steps, d) / decodings (steps, D) along the straight and spherical paths
    interpolation = ArrayDict(fields={"z_lerp": M, "z_slerp": M, "lerp": M, "slerp": M}).tag(
        sync=True, **DICT)
    # a, b, c, z = a - b + c (d,), images (4, D): decodings of a, b, c and z
    arithmetic_result = ArrayDict(fields={"z": V, "images": M}).tag(sync=True, **DICT)
    traversal_steps = t.Int(9).tag(sync=True)
    # base, dims, values (dims, steps), images (dims, steps, D)
    traversal = ArrayDict(fields={"values": M, "images": Array("float32", ndim=3)}).tag(
        sync=True, **DICT)
    # training (demo)
    training = t.Bool(False).tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    history = ArrayDict(fields={"loss": V}).tag(sync=True, **DICT)  # loss per epoch
    error = t.Unicode("").tag(sync=True)  # divergence, a refused view change: shown to the user

    def __init__(self, model: Any, data: Any = None, labels: Any = None, *,
                 latent_dim: int | None = None, image_shape: Sequence[int] | None = None,
                 display: str = "auto", device: str | torch.device | None = None,
                 batch_size: int = L.BATCH_SIZE, prior_samples: int = 2000, seed: int = 0,
                 max_browser_params: int = 1_000_000, anomaly_count: int = 24,
                 grid_size: int = 16, title: str | None = None) -> None:
        _args.integer(batch_size, "batch_size", 1, 1 << 20)
        _args.integer(anomaly_count, "anomaly_count", 0, 256)
        _args.integer(grid_size, "grid_size", 2, 64)
        _args.integer(max_browser_params, "max_browser_params", 0, 20_000_000)
        _args.integer(prior_samples, "prior_samples", 1, 1_000_000)
        _args.integer(seed, "seed", 0, 2**32 - 1)
        _args.text(title, "title", optional=True)
        if image_shape is not None:
            if isinstance(image_shape, (str, bytes)) or not isinstance(image_shape,
                                                                        (tuple, list)):
                raise TypeError(f"image_shape must be (H, W) or (C, H, W), got {image_shape!r}")
            for s in image_shape:
                _args.integer(s, "image_shape", 1)
        self._device = pick_device(device)
        self._batch_size = int(batch_size)
        self._max_browser_params = int(max_browser_params)
        self._anomaly_count = int(anomaly_count)
        self._grid_size = int(grid_size)
        self._image_shape = image_shape
        self._display = display
        self._lock = threading.RLock()
        self._model = model
        self._lm = L.on_device(L.resolve_model(model, latent_dim=latent_dim), self._device)
        self._prior_samples = int(prior_samples)
        self._seed = int(seed)
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._trained = threading.Event()  # set once the final state of a training is written
        self._publisher: ThrottledPublisher | None = None
        self._training_error: BaseException | None = None
        self._x: torch.Tensor | None = None
        self._views = EmbeddingJobs()
        self._view_lock = threading.Lock()
        self._view_params: dict[str, dict[str, Any]] = {k: {} for k in E.EMBEDDINGS}
        y = None
        if self._lm.kind == "generator":
            if data is not None and not (isinstance(data, (int, np.integer))
                                         and not isinstance(data, bool)):
                raise TypeError(
                    "a generator has no encoder: pass data=None (or a number of prior "
                    f"samples), got {type(data).__name__}"
                )
            if data is not None:
                self._prior_samples = int(data)
        else:
            if data is None:
                raise ValueError(f"data is required to explore {self._lm.description}: the "
                                 "codes are the encoded data")
            x, y = _collect(data)
            self._x = as_tensor(x, "data", cast="float")
        if labels is None and y is not None:
            labels = y
        super().__init__()
        self.model_name = title or self._lm.description
        self._labels_arg = labels
        missing = E.umap_missing()
        self.views_unavailable = {"umap": missing} if missing else {}
        self._compute_all()
        self.on_msg(self._on_msg)

    # ------------------------------------------------------------------ computing state
    def _compute_all(self) -> None:
        """Encode, fit PCA, compute errors, the grid, the MLP: the whole state from the model."""
        with self._lock:
            data = self._x if self._x is not None else self._prior_samples
            lmap = L.latent_map(self._lm, data, device=self._device,
                                batch_size=self._batch_size, seed=self._seed,
                                errors=self._x is not None)
            self._map = lmap
            n, d = lmap.codes.shape
            values, kind, names = _labels(self._labels_arg, n)
            data_shape = tuple(self._x.shape[1:]) if self._x is not None else None
            spec = _display_spec(lmap.output_shape, data_shape, self._image_shape,
                                 self._display)
            self._spec = spec
            mlp, reason = L.mlp_spec(self._lm, max_params=self._max_browser_params,
                                     device=self._device)
        self._codes = lmap.codes
        mode = "pca" if d > 2 else "dims"
        with self.hold_sync():
            self._forget_embeddings()
            self.model_kind = lmap.kind
            self.latent_dim = d
            self.n_points = n
            self.latent_codes = lmap.codes
            self.label_kind = kind
            self.label_names = names
            self.label_values = values
            self.pca = self._pca_state(lmap.pca)
            self.decoder_mlp = self._mlp_state(mlp)
            self.mlp_reason = "" if mlp is not None else reason
            self._set_reconstructions()
            self.output = {**spec, **self._value_range()}
            self._set_plane(mode, [0, 1] if d >= 2 else [0, 0], None)
            self._update_selection_results()

    @staticmethod
    def _pca_state(pca: L.PCA) -> dict[str, Any]:
        return {"mean": pca.mean, "components": pca.components,
                "explained": pca.explained_variance, "ratio": pca.explained_ratio}

    @staticmethod
    def _mlp_state(mlp: L.MLPSpec | None) -> dict[str, Any]:
        if mlp is None:
            return {}
        layers: list[dict[str, Any]] = []
        for layer in mlp.layers:
            entry = {k: v for k, v in layer.items() if k not in ("weight", "bias")}
            if layer["kind"] == "linear":
                entry["weight"] = layer["weight"]
                if layer.get("bias") is not None:
                    entry["bias"] = layer["bias"]
            layers.append(entry)
        return {"layers": layers, "params": mlp.params, "in_dim": mlp.in_dim,
                "out_dim": mlp.out_dim, "max_error": mlp.max_error}

    def _set_reconstructions(self) -> None:
        lmap = self._map
        if lmap.errors is None or self._x is None:
            self.errors = None
            self.anomalies = {}
            self.inputs = None
            return
        self.errors = lmap.errors
        idx = L.rank_anomalies(lmap.errors, self._anomaly_count)
        n = self._x.shape[0]
        flat = self._x.reshape(n, -1)
        recons = self._decode_np(lmap.codes[idx]).reshape(len(idx), -1) if len(idx) else \
            np.zeros((0, flat.shape[1]), np.float32)
        self.anomalies = {"index": idx, "errors": lmap.errors[idx],
                          "inputs": flat[torch.as_tensor(idx)].float().numpy(), "recons": recons}
        self.inputs = flat.float().numpy() if flat.numel() <= MAX_INPUT_VALUES else None

    def _value_range(self) -> dict[str, float]:
        """Range mapped to the image's colour scale: the data's range, else the outputs'."""
        if self._x is not None and self._x.numel():
            lo, hi = float(self._x.min()), float(self._x.max())
        else:
            sample = self._decode_np(self._codes[: min(len(self._codes), 512)])
            lo, hi = float(np.min(sample)), float(np.max(sample))
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo < 1e-12:
            lo, hi = (lo - 1.0, hi + 1.0) if math.isfinite(lo) else (0.0, 1.0)
        return {"vmin": lo, "vmax": hi}

    def _make_plane(self, mode: str, dims: Sequence[int]) -> L.LatentPlane:
        if mode == "pca":
            return L.pca_plane(self._map.pca)
        if mode == "dims":
            i, j = (int(v) for v in dims)
            return L.dims_plane(self._codes, i, j)
        raise ValueError(f"projection_mode must be 'pca' or 'dims', got {mode!r}")

    def _set_plane(self, mode: str, dims: Sequence[int], sliders: Sequence[float] | None
                   ) -> None:
        plane = self._make_plane(mode, dims)
        if sliders is not None:
            plane = plane.with_sliders(sliders)
        self._plane = plane
        with self.hold_sync():
            self._syncing = True
            try:
                self.projection_mode = mode
                self.dims = [int(v) for v in plane.dims]
                self.sliders = [float(v) for v in plane.slider_values]
            finally:
                self._syncing = False
            self.plane = {
                "mode": plane.mode, "origin": plane.origin, "basis": plane.basis,
                "others": plane.others, "slider_min": plane.slider_min,
                "slider_max": plane.slider_max, "axis_labels": list(plane.axis_labels),
                "slider_labels": plane.slider_labels,
            }
            self._set_grid()

    def _extent(self) -> tuple[tuple[float, float], tuple[float, float]]:
        p = self._plane.to_plane(self._codes)
        ranges = []
        for k in range(2):
            lo, hi = float(p[:, k].min()), float(p[:, k].max())
            pad = 0.05 * (hi - lo) if hi > lo else 1.0
            ranges.append((lo - pad, hi + pad))
        return ranges[0], ranges[1]

    def _set_grid(self) -> None:
        size = max(1, int(self._spec["size"]))
        n = max(2, min(self._grid_size, int(math.sqrt(MAX_GRID_VALUES / size))))
        xr, yr = self._extent()
        with self._lock:
            images = L.decode_grid(self._lm, self._plane, xr, yr, n, device=self._device,
                                   batch_size=self._batch_size)
        self.grid = {"x_range": list(xr), "y_range": list(yr), "n": n,
                     "images": images.reshape(n, n, -1)}

    # ------------------------------------------------------------------ observers
    _syncing = False

    @t.validate("decode_path")
    def _check_path(self, proposal: t.Bunch) -> str:
        value = str(proposal["value"])
        if value not in DECODE_PATHS:
            raise t.TraitError(f"decode_path must be one of {DECODE_PATHS}, got {value!r}")
        return value

    @t.validate("interp_steps", "traversal_steps")
    def _check_steps(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        if not 2 <= value <= 64:
            raise t.TraitError(f"{proposal['trait'].name} must be in [2, 64], got {value}")
        return value

    @t.validate("lattice_n")
    def _check_lattice(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        if not 2 <= value <= 32:
            raise t.TraitError(f"lattice_n must be in [2, 32], got {value}")
        return value

    @t.observe("projection_mode", "dims")
    def _on_plane_choice(self, change: t.Bunch) -> None:
        if self._syncing or not self.plane:
            return
        if self.projection_mode in E.EMBEDDINGS:
            if change["name"] == "projection_mode":
                self._show_embedding(self.projection_mode)
            return  # dims are kept for when the view is two dimensions again
        try:
            self._set_plane(self.projection_mode, self.dims, None)
        except ValueError as exc:
            self.error = str(exc)
            self._set_plane(self._plane.mode, self._plane.dims, None)

    @t.observe("sliders")
    def _on_sliders(self, change: t.Bunch) -> None:
        if self._syncing or not self.plane:
            return
        try:
            self._plane = self._plane.with_sliders(self.sliders)
        except ValueError as exc:
            self.error = str(exc)
            return
        self._set_grid()

    @t.observe("selected", "focus", "interp_steps", "traversal_steps")
    def _on_selection(self, change: t.Bunch) -> None:
        if not self.plane:
            return
        self._update_selection_results(force=False)

    # ------------------------------------------------------------------ t-SNE and UMAP views
    def _forget_embeddings(self) -> None:
        """The codes changed: drop the embeddings of the old ones (and leave their view)."""
        with self._view_lock:
            self._views.invalidate()
            self.embeddings = {}
            self.view_status = ""
        if self.projection_mode in E.EMBEDDINGS and getattr(self, "_plane", None) is not None:
            self._set_plane(self._plane.mode, self._plane.dims, None)

    def _back_to_plane(self) -> None:
        """Show the last invertible view again (a non-invertible one could not be shown)."""
        sliders = [float(v) for v in self._plane.slider_values]
        self._set_plane(self._plane.mode, self._plane.dims, sliders)

    def _show_embedding(self, kind: str) -> None:
        """The page chose t-SNE or UMAP: show it, computing it in a worker the first time."""
        reason = self.views_unavailable.get(kind, "")
        if reason:
            self.error = reason
            self._back_to_plane()
            return
        self.error = ""
        if self._views.result(kind) is not None:
            return
        if self._views.start(kind, self._codes, self._seed, self._view_params[kind],
                             self._embedding_done):
            self.view_status = f"computing {E.EMBEDDINGS[kind]}…"

    def _embedding_done(self, kind: str, generation: int, emb: E.Embedding | None,
                        error: str) -> None:
        # Worker thread, once per computation: write the result (or the error) to state.
        with self._view_lock:
            if generation != self._views.generation:
                return  # the codes changed meanwhile
            with self.hold_sync():
                if emb is not None:
                    self.embeddings = {**self.embeddings, kind: self._embedding_state(emb)}
                else:
                    self.error = f"{E.EMBEDDINGS[kind]} view: {error}"
                self.view_status = ""
        if emb is None and self.projection_mode == kind:
            self._back_to_plane()

    @staticmethod
    def _embedding_state(emb: E.Embedding) -> dict[str, Any]:
        return {"coords": emb.coords, **emb.params}

    def _not_invertible(self) -> str:
        name = E.EMBEDDINGS[self.projection_mode]
        return (f"the {name} view is not invertible: a position in it matches no code, so there "
                "is nothing to decode there. Hovering shows the nearest data point and its own "
                "reconstruction; use the PCA or two-dimensions view to decode positions")

    def _embedding(self, kind: str, params: dict[str, Any] | None) -> E.Embedding:
        """The embedding of the current codes, computed here now if it is not yet."""
        if kind not in E.EMBEDDINGS:
            raise ValueError(f"view must be one of {VIEWS}, got {kind!r}")
        reason = self.views_unavailable.get(kind, "") or (E.umap_missing() if kind == "umap"
                                                          else "")
        if reason:
            raise ImportError(reason)
        if params is not None and params != self._view_params[kind]:
            self._view_params[kind] = dict(params)
            self._views.wait(kind, None)  # a page-started computation with the old parameters
            with self._view_lock:
                self._views.drop(kind)
                self.embeddings = {k: v for k, v in self.embeddings.items() if k != kind}
        self._views.wait(kind, None)
        emb = self._views.result(kind)
        if emb is None:
            generation = self._views.generation
            emb = self._views.compute(kind, self._codes, self._seed, self._view_params[kind])
            with self._view_lock:
                if generation == self._views.generation:
                    self.embeddings = {**self.embeddings, kind: self._embedding_state(emb)}
        return emb

    def embedding(self, kind: str) -> np.ndarray:
        """The t-SNE (``"tsne"``) or UMAP (``"umap"``) coordinates of the codes, (N, 2)
        float32, computed now (and kept) if they are not yet; the view does not change."""
        return self._embedding(kind, None).coords.copy()

    def use_view(self, view: str) -> None:
        """Show ``"pca"``, ``"dims"``, ``"tsne"`` or ``"umap"``; t-SNE and UMAP are computed
        the first time (this call waits for them and raises their errors)."""
        if view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
        if view in INVERTIBLE:
            self.projection_mode = view
            return
        self._embedding(view, None)
        self.projection_mode = view

    def use_tsne(self, perplexity: float | None = None) -> None:
        """Show the codes' t-SNE (scikit-learn, seeded with ``seed``). ``perplexity`` (about the
        number of neighbours each point keeps) must be below the number of codes; default
        min(30, (N − 1) / 3)."""
        self._embedding("tsne", {} if perplexity is None else {"perplexity": perplexity})
        self.projection_mode = "tsne"

    def use_umap(self, n_neighbors: int | None = None, min_dist: float = 0.1) -> None:
        """Show the codes' UMAP (umap-learn, ``pip install dlwidgets[umap]``, seeded with
        ``seed``); ``n_neighbors`` default min(15, N − 1)."""
        params: dict[str, Any] = {}  # only what differs from the defaults the page uses
        if n_neighbors is not None:
            params["n_neighbors"] = n_neighbors
        if min_dist != 0.1:
            params["min_dist"] = min_dist
        self._embedding("umap", params)
        self.projection_mode = "umap"

    def wait_view(self, timeout: float | None = 120.0) -> bool:
        """Block until the t-SNE/UMAP views the page asked for are computed (True) or
        ``timeout`` seconds passed (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for kind in E.EMBEDDINGS:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._views.wait(kind, left):
                return False
        return True

    @property
    def invertible(self) -> bool:
        """Whether the current view maps positions back to codes (PCA, two dimensions)."""
        return self.projection_mode in INVERTIBLE

    # ------------------------------------------------------------------ selection results
    def _index(self, i: int) -> int | None:
        return int(i) if 0 <= int(i) < len(self._codes) else None

    def _update_selection_results(self, force: bool = True) -> None:
        key = (tuple(self.selected), self.focus, self.interp_steps, self.traversal_steps)
        if not force and key == getattr(self, "_selection_key", None):
            return  # the page sets selected and focus together: compute once
        self._selection_key = key
        sel = [self._index(i) for i in (list(self.selected) + [-1, -1, -1])[:3]]
        a, b, c = sel
        with self.hold_sync():
            focus = self._index(self.focus)
            self.detail = self._detail(focus) if focus is not None else {}
            if a is not None and b is not None:
                za, zb = self._codes[a], self._codes[b]
                zl = L.lerp(za, zb, self.interp_steps)
                zs = L.slerp(za, zb, self.interp_steps)
                out = self._decode_np(np.concatenate([zl, zs]))
                k = self.interp_steps
                self.interpolation = {"a": a, "b": b, "z_lerp": zl, "z_slerp": zs,
                                      "lerp": out[:k].reshape(k, -1),
                                      "slerp": out[k:].reshape(k, -1)}
            else:
                self.interpolation = {}
            if a is not None and b is not None and c is not None:
                z = L.arithmetic(self._codes[a], self._codes[b], self._codes[c])
                parts = np.stack([self._codes[a], self._codes[b], self._codes[c], z])
                out = self._decode_np(parts).reshape(4, -1)
                self.arithmetic_result = {"a": a, "b": b, "c": c, "z": z, "images": out}
            else:
                self.arithmetic_result = {}
            base_index = focus if focus is not None else a
            base = self._codes[base_index] if base_index is not None else \
                self._codes.mean(axis=0)
            d = self._codes.shape[1]
            dims = list(range(min(d, 16)))
            values = L.traversal_values(self._codes, self.traversal_steps)
            with self._lock:
                zs_t, imgs = L.traverse(self._lm, base, dims, values, device=self._device)
            self.traversal = {"base": -1 if base_index is None else base_index, "dims": dims,
                              "values": values[dims],
                              "images": imgs.reshape(len(dims), self.traversal_steps, -1)}

    def _detail(self, i: int) -> dict[str, Any]:
        z = self._codes[i]
        recon = self._decode_np(z[None]).reshape(-1)
        out: dict[str, Any] = {"index": i, "code": z, "recon": recon}
        if self._x is not None:
            x = self._x[i].reshape(-1).float().numpy()
            out["input"] = x
            if x.shape == recon.shape:
                out["error"] = float(np.mean((x.astype(np.float64) - recon) ** 2))
        return out

    # ------------------------------------------------------------------ messages
    def _on_msg(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if isinstance(content, dict) and content.get("type") == "stop":
            self.stop()
            return
        if isinstance(content, dict) and content.get("type") == "decode_point":
            self._decode_point(content)
            return
        if not isinstance(content, dict) or content.get("type") != "decode":
            return
        rid = content.get("id")
        purpose = str(content.get("purpose", ""))
        try:
            if not self.invertible:
                raise ValueError(self._not_invertible())
            if not buffers:
                raise ValueError("a decode request needs the codes as a float32 buffer")
            z = np.frombuffer(bytes(buffers[0]), dtype=np.float32)
            d = self._codes.shape[1]
            if z.size == 0 or z.size % d:
                raise ValueError(f"a decode request must hold M x {d} float32 values, got "
                                 f"{z.size}")
            if z.size // d > MAX_DECODE_REQUEST:
                raise ValueError(f"at most {MAX_DECODE_REQUEST} codes per request, got "
                                 f"{z.size // d}")
            started = time.perf_counter()
            out = self._decode_np(z.reshape(-1, d)).astype(np.float32)
            ms = (time.perf_counter() - started) * 1e3
            self.send({"type": "decoded", "id": rid, "purpose": purpose, "ms": round(ms, 3),
                       "shape": [int(out.shape[0]), int(out[0].size)]},
                      [np.ascontiguousarray(out).tobytes()])
        except (ValueError, TypeError) as exc:
            self.send({"type": "error", "id": rid, "purpose": purpose, "message": str(exc)})

    def _decode_point(self, content: dict[str, Any]) -> None:
        """The page hovers a data point in a non-invertible view: its own reconstruction."""
        rid = content.get("id")
        try:
            index = content.get("index")
            if isinstance(index, bool) or not isinstance(index, int) or \
                    self._index(index) is None:
                raise ValueError(f"index must be a point index in [0, {len(self._codes) - 1}], "
                                 f"got {index!r}")
            out = self._decode_np(self._codes[index][None]).astype(np.float32)
            self.send({"type": "decoded", "id": rid, "purpose": "nearest", "index": index,
                       "shape": [1, int(out[0].size)]}, [np.ascontiguousarray(out).tobytes()])
        except (ValueError, TypeError) as exc:
            self.send({"type": "error", "id": rid, "purpose": "nearest", "message": str(exc)})

    # ------------------------------------------------------------------ public API
    def _decode_np(self, z: np.ndarray) -> np.ndarray:
        with self._lock:
            return L.decode(self._lm, z, device=self._device, batch_size=self._batch_size)

    @property
    def model(self) -> Any:
        """The model being explored (as passed in; the demo's trained model)."""
        return self._model

    @property
    def codes(self) -> np.ndarray:
        """Codes of the data (N x latent_dim, float32): encoder outputs (mu for a VAE)."""
        return self._codes.copy()

    @property
    def projection(self) -> np.ndarray:
        """2-D coordinates of the codes in the current view (N x 2)."""
        emb = self._views.result(self.projection_mode) if not self.invertible else None
        if emb is not None:
            return emb.coords.astype(np.float64)
        return self._plane.to_plane(self._codes)

    @property
    def plane_map(self) -> L.LatentPlane:
        """The current view's plane: z = origin + p @ basis + sliders @ others."""
        return self._plane

    @property
    def reconstruction_errors(self) -> np.ndarray | None:
        """Mean squared reconstruction error per sample (None for a generator)."""
        return None if self._map.errors is None else self._map.errors.copy()

    def encode(self, x: Any) -> np.ndarray:
        """Codes of ``x`` (M x latent_dim) from the model's encoder, batched on the device."""
        with self._lock:
            return L.encode(self._lm, x, device=self._device, batch_size=self._batch_size)

    def decode(self, z: Any) -> np.ndarray:
        """Decoded outputs of codes ``z`` ((latent_dim,) or (M, latent_dim)) as numpy."""
        return self._decode_np(L.check_codes(z, self._codes.shape[1]))

    def to_latent(self, points: Any) -> np.ndarray:
        """Codes of 2-D view points with the current slider values (the inverse mapping).

        Only the PCA and two-dimensions views have one: t-SNE and UMAP refuse."""
        if not self.invertible:
            raise ValueError(self._not_invertible())
        return self._plane.to_latent(np.asarray(points, dtype=np.float64))

    def decode_plane(self, points: Any) -> np.ndarray:
        """Decode 2-D view points (what hovering the scatter at those points shows)."""
        return self.decode(self.to_latent(np.atleast_2d(points)))

    def use_pca(self) -> None:
        """View the first two principal components (sliders move along the others)."""
        self.projection_mode = "pca"

    def use_dims(self, i: int, j: int) -> None:
        """View latent dimensions i (x) and j (y); the other dimensions become sliders."""
        self._set_plane("dims", (int(i), int(j)), None)  # validates, then syncs both traits

    def select(self, a: int = -1, b: int = -1, c: int = -1) -> None:
        """Select points A, B, C by index (interpolation A→B, arithmetic A − B + C)."""
        n = len(self._codes)
        for name, v in (("a", a), ("b", b), ("c", c)):
            if not -1 <= int(v) < n:
                raise ValueError(f"{name} must be a point index in [0, {n - 1}] or -1, got {v}")
        self.selected = [int(a), int(b), int(c)]

    def interpolate(self, a: int, b: int, steps: int = 9, method: str = "linear"
                    ) -> np.ndarray:
        """Decoded interpolation between points a and b: (steps, *output shape)."""
        if method not in ("linear", "slerp"):
            raise ValueError(f"method must be 'linear' or 'slerp', got {method!r}")
        za, zb = self._codes[self._checked(a, "a")], self._codes[self._checked(b, "b")]
        z = L.lerp(za, zb, steps) if method == "linear" else L.slerp(za, zb, steps)
        return self._decode_np(z)

    def arithmetic(self, a: int, b: int, c: int) -> np.ndarray:
        """Decoded code of a − b + c (point indices)."""
        z = L.arithmetic(*(self._codes[self._checked(i, n)] for i, n in
                           ((a, "a"), (b, "b"), (c, "c"))))
        return self._decode_np(z[None])[0]

    def traverse(self, index: int | None = None, dims: Sequence[int] | None = None,
                 steps: int = 9) -> tuple[np.ndarray, np.ndarray]:
        """(values (k, steps), outputs (k, steps, ...)): each dim swept over its 1–99 % range,
        the others fixed at point ``index``'s code (the mean code when None)."""
        base = self._codes.mean(axis=0) if index is None else \
            self._codes[self._checked(index, "index")]
        dims = list(range(self._codes.shape[1])) if dims is None else list(dims)
        values = L.traversal_values(self._codes, steps)
        with self._lock:
            _, out = L.traverse(self._lm, base, dims, values, device=self._device)
        return values[dims], out

    def reconstruction(self, index: int) -> tuple[np.ndarray, np.ndarray, float]:
        """(input, reconstruction, mean squared error) of data point ``index``."""
        if self._x is None:
            raise ValueError("a generator has no inputs to reconstruct")
        i = self._checked(index, "index")
        x = self._x[i].float().numpy()
        recon = self._decode_np(self._codes[i][None])[0]
        return x, recon, float(np.mean((x.reshape(-1).astype(np.float64) -
                                        recon.reshape(-1)) ** 2))

    def anomalies_top(self, k: int = 10) -> np.ndarray:
        """Indices of the k worst reconstructions, worst first."""
        if self._map.errors is None:
            raise ValueError("a generator has no reconstructions to rank")
        return L.rank_anomalies(self._map.errors, k)

    def refresh(self) -> None:
        """Re-encode the data with the model's current weights (after more training)."""
        if self.training:
            raise RuntimeError("training is running; wait() or stop() first")
        self._lm = L.on_device(L.resolve_model(self._model, latent_dim=self._lm.latent_dim),
                               self._device)
        self._compute_all()

    def _checked(self, i: int, name: str) -> int:
        idx = self._index(int(i))
        if idx is None:
            raise ValueError(f"{name} must be a point index in [0, {len(self._codes) - 1}], "
                             f"got {i}")
        return idx

    def grid_images(self) -> np.ndarray:
        """The precomputed decoded grid (n, n, *output values) over the data's extent."""
        return self.grid["images"]

    # ------------------------------------------------------------------ training demo
    @classmethod
    def demo(cls, kind: str = "ae", *, latent_dim: int = 2, epochs: int = 40,
             lr: float = 3e-3, seed: int = 0, device: str | torch.device | None = None,
             start: bool = True, pretrained: bool = True) -> LatentExplorer:
        """A tiny autoencoder (``"ae"``) or VAE (``"vae"``) on scikit-learn's 8x8 digits.

        With ``pretrained`` (the default) and seed 0, the weights shipped with the package
        (``ae`` 2-D, ``vae`` 2-D and 4-D, trained 40 epochs) are loaded: the same model on every
        machine, shown at once; ``train()`` trains further. Otherwise (``pretrained=False``, or
        a size without shipped weights) the model starts untrained and, with ``start``, trains
        ``epochs`` epochs in a background thread while the scatter refreshes as it learns."""
        if kind not in ("ae", "vae"):
            raise ValueError(f"kind must be 'ae' or 'vae', got {kind!r}")
        _args.integer(latent_dim, "latent_dim", 1, 32)
        _args.integer(epochs, "epochs", 1, 10_000)
        _args.real(lr, "lr", 0.0, 10.0, lo_open=True)
        _args.integer(seed, "seed", 0, 2**32 - 1)
        x, y = L.load_digits_flat()
        torch.manual_seed(int(seed))
        model: torch.nn.Module = L.DigitsAE(int(latent_dim)) if kind == "ae" else \
            L.DigitsVAE(int(latent_dim))
        shipped = shipped_weights.load(demo_weights_name(kind, int(latent_dim))) if (
            _args.flag(pretrained, "pretrained") and int(seed) == DEMO_TRAINING["seed"]) else None
        if shipped is not None:
            model.load_state_dict(shipped[0])
        dev = pick_device(device)
        model.to(dev)
        widget = cls(model, x, y, image_shape=(8, 8), device=dev, seed=seed,
                     title=f"tiny {'VAE' if kind == 'vae' else 'autoencoder'} on digits")
        widget._demo_args = {"x": x, "epochs": int(epochs), "lr": float(lr), "seed": int(seed)}
        if shipped is not None:
            losses = np.asarray(shipped[1]["loss"], dtype=np.float64)
            widget.history = {"loss": losses}
            widget.status = (f"pretrained: {len(losses)} epochs (weights shipped with dlwidgets)"
                             f" · loss {losses[-1]:.4g}")
        elif start:
            widget.train()
        return widget

    def train(self, epochs: int | None = None) -> None:
        """(Re)start training the built-in demo model in a background thread."""
        args = getattr(self, "_demo_args", None)
        if args is None:
            raise RuntimeError("train() trains the built-in demo model; build it with "
                               "LatentExplorer.demo(...). Train your own model elsewhere, "
                               "then call refresh().")
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("training is already running")
        if epochs is not None:
            args = {**args, "epochs": _args.integer(epochs, "epochs", 1, 10_000)}
        if not self.invertible:
            self._back_to_plane()  # training moves the codes: their t-SNE/UMAP would go stale
        args = {**args, "mode": self.projection_mode}
        self._stop_event.clear()
        self._trained.clear()
        self._training_error = None
        self._loss: list[float] = []
        self._publisher = ThrottledPublisher(self._send_delta, self._write_history,
                                             max_rate=20.0, history_every=1.0)
        self.training = True
        self.error = ""
        self.status = "starting…"
        self._publisher.start()
        self._thread = threading.Thread(target=self._train_worker, args=(args,),
                                        name="dlwidgets-latent-train", daemon=True)
        self._thread.start()
        shutdown.track(self._thread, self.stop)

    def _train_worker(self, args: dict[str, Any]) -> None:
        # Runs in the worker thread: computes and pushes records, never touches the widget.
        publisher = self._publisher
        assert publisher is not None
        final: dict[str, Any] = {"final": True}
        try:
            for chunk in L.train_chunks(self._model, args["x"], epochs=args["epochs"],
                                        lr=args["lr"], seed=args["seed"], device=self._device,
                                        lock=self._lock, should_stop=self._stop_event.is_set):
                with self._lock:
                    mlp, _ = L.mlp_spec(self._lm, max_params=self._max_browser_params,
                                        device=self._device)
                pca = None
                if args["mode"] == "pca" and np.isfinite(chunk.codes).all():
                    pca = L.fit_pca(chunk.codes, device="cpu")
                publisher.push({"epoch": chunk.epoch, "epochs": chunk.epochs,
                                "loss": chunk.loss, "codes": chunk.codes,
                                "diverged": chunk.diverged, "mlp": mlp, "pca": pca})
                if chunk.diverged:
                    final["diverged"] = (f"training diverged at epoch {chunk.epoch}: the loss "
                                         "became NaN/inf; try a smaller learning rate")
                    break
        except BaseException as exc:  # reported to the user by _write_history
            final["error"] = f"{type(exc).__name__}: {exc}"
        final["stopped"] = self._stop_event.is_set()
        publisher.push(final)
        publisher.stop()

    def _send_delta(self, start: int, records: list[dict[str, Any]]) -> None:
        # Publisher thread: one coalesced message with the newest codes and decoder weights.
        epochs = [r for r in records if "epoch" in r]
        if not epochs:
            return
        last = epochs[-1]
        buffers = [np.ascontiguousarray(last["codes"], dtype=np.float32).tobytes()]
        layers: list[dict[str, Any]] = []
        mlp: L.MLPSpec | None = last.get("mlp")
        if mlp is not None:
            for layer in mlp.layers:
                entry = {k: v for k, v in layer.items() if k not in ("weight", "bias")}
                if layer["kind"] == "linear":
                    entry["weight_shape"] = list(layer["weight"].shape)
                    entry["weight_buffer"] = len(buffers)
                    buffers.append(np.ascontiguousarray(layer["weight"], np.float32).tobytes())
                    if layer.get("bias") is not None:
                        entry["bias_buffer"] = len(buffers)
                        buffers.append(np.ascontiguousarray(layer["bias"], np.float32).tobytes())
                layers.append(entry)
        plane: dict[str, Any] = {}
        pca: L.PCA | None = last.get("pca")
        if pca is not None:
            p = L.pca_plane(pca)
            for key, arr in (("origin", p.origin), ("basis", p.basis), ("others", p.others)):
                plane[key] = {"buffer": len(buffers), "shape": list(arr.shape)}
                buffers.append(np.ascontiguousarray(arr, np.float32).tobytes())
        self.send({"type": "train", "epoch": last["epoch"], "epochs": last["epochs"],
                   "loss": [float(r["loss"]) for r in epochs], "first": start,
                   "codes_shape": list(last["codes"].shape), "mlp_layers": layers,
                   "plane": plane}, buffers)

    def _write_history(self, records: list[dict[str, Any]]) -> None:
        # Publisher thread, at a low rate and once at the end: full state for late views.
        epochs = [r for r in records if "epoch" in r]
        final = next((r for r in records if r.get("final")), None)
        losses = np.array([r["loss"] for r in epochs], dtype=np.float64)
        if final is not None:
            self._finish(final, losses)
            return
        if not epochs:
            return
        last = epochs[-1]
        codes = np.asarray(last["codes"], dtype=np.float32)
        with self.hold_sync():
            self.history = {"loss": losses}
            if np.isfinite(codes).all():
                self._forget_embeddings()
                self._codes = codes
                self.latent_codes = codes
                if last.get("pca") is not None and self._plane.mode == "pca":
                    self._map.pca = last["pca"]
                    self.pca = self._pca_state(last["pca"])
                    self._set_plane("pca", (0, 1), None)
            self.decoder_mlp = self._mlp_state(last.get("mlp"))
            self.status = f"epoch {last['epoch']}/{last['epochs']} · loss {last['loss']:.4g}"

    def _finish(self, final: dict[str, Any], losses: np.ndarray) -> None:
        try:
            self._write_final(final, losses)
        finally:
            self._trained.set()

    def _write_final(self, final: dict[str, Any], losses: np.ndarray) -> None:
        message = final.get("diverged") or final.get("error") or ""
        try:
            if not message:
                self._compute_all()
        except ValueError as exc:
            message = str(exc)
        with self.hold_sync():
            self.history = {"loss": losses}
            self.error = message
            done = len(losses)
            if message:
                self.status = f"stopped after epoch {done}: {message}"
            elif final.get("stopped"):
                self.status = f"stopped after epoch {done} · loss {losses[-1]:.4g}" if done \
                    else "stopped"
            else:
                self.status = f"trained {done} epochs · loss {losses[-1]:.4g}" if done else ""
            self.training = False

    def stop(self) -> None:
        """Ask the training thread to stop after the current batch."""
        self._stop_event.set()

    def wait(self, timeout: float | None = 120.0) -> bool:
        """Block until training has finished (True) or ``timeout`` seconds passed (False)."""
        thread = self._thread
        if thread is None:
            return True
        # An Event, not Thread.join: on CPython 3.11 a KeyboardInterrupt inside join() can mark
        # a thread that still runs as stopped, so later joins return at once (as History.wait).
        if not self._trained.wait(timeout):
            return False
        thread.join(1.0)  # the worker returns right after pushing its final record
        return not self.training

    def export_note(self) -> str | None:
        """The line the static export shows above this widget (see ``busy_for_export``)."""
        return self.busy_for_export()

    def busy_for_export(self) -> str | None:
        """A note for the static export when training or a view's computation is running."""
        if self.training:
            return f"exported while training ({self.status}); the page shows that moment"
        if self.view_status:
            return (f"exported while {self.view_status.rstrip('…')}; the page offers only the "
                    "views computed before")
        return None
