"""Latent-space engine: encode a data set, project the codes to a plane, decode points back.

Takes ``nn.Module``s and tensors, returns numpy arrays and plain dataclasses; knows nothing of
widgets or of the DSL grammar.

Models (see :func:`resolve_model`):

* an autoencoder exposing ``.encoder`` and ``.decoder`` modules (forward = decoder(encoder(x)));
* a VAE exposing ``encode(x) -> (mu, logvar)``, ``decode(z)`` and ``latent_dim``: the code of
  a sample is its posterior mean ``mu``;
* an explicit pair ``(encoder, decoder)``;
* a generator alone (``model.generator``, or a module with a ``latent_dim`` attribute or
  argument): there is nothing to encode, so the codes are samples of the prior N(0, I).

The 2-D view of a ``d``-dimensional latent space is an affine plane (:class:`LatentPlane`)::

    z = origin + [p1 p2] @ basis + s @ others          (basis: 2 x d, others: (d-2) x d)

In PCA mode ``origin`` is the mean code, ``basis`` the first two principal axes and ``others``
the remaining axes, with the slider values ``s`` as coordinates along them (0 = through the
mean). In "two dimensions" mode ``basis`` picks two coordinate axes and ``others`` the rest,
whose slider values are the fixed values of those coordinates. The rows of ``[basis; others]``
are orthonormal, so the projection of a code is ``p = (z - origin) @ basis.T`` and
``to_latent(to_plane(z), sliders=(z - origin) @ others.T) == z`` exactly.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .device import device as pick_device
from .probes import probing
from .tensors import as_tensor

__all__ = [
    "LatentModel",
    "LatentPlane",
    "LatentMap",
    "PCA",
    "MLPSpec",
    "resolve_model",
    "encode",
    "decode",
    "fit_pca",
    "pca_plane",
    "dims_plane",
    "grid_points",
    "decode_grid",
    "lerp",
    "slerp",
    "arithmetic",
    "traversal_values",
    "traverse",
    "reconstruction_errors",
    "reconstruct",
    "rank_anomalies",
    "sample_prior",
    "mlp_spec",
    "mlp_forward",
    "latent_map",
    "MAX_POINTS",
]

#: Largest data set a latent map takes (every point is drawn; none is sampled away).
MAX_POINTS = 500_000
#: Default number of samples per forward pass.
BATCH_SIZE = 2048

_SUPPORTED_ACTIVATIONS = (
    nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.GELU, nn.SiLU, nn.Softplus,
    nn.Identity, nn.Dropout,
)


# --------------------------------------------------------------------------------------------
# model resolution
# --------------------------------------------------------------------------------------------
@dataclass
class LatentModel:
    """A model reduced to what the latent explorer needs: encode, decode, and its modules."""

    kind: str  # "autoencoder" | "vae" | "pair" | "generator"
    encoder: Callable[[torch.Tensor], Any] | None
    decoder: Callable[[torch.Tensor], torch.Tensor]
    modules: list[nn.Module]
    decoder_module: nn.Module | None = None  # the module whose forward is decode, if known
    encoder_module: nn.Module | None = None
    latent_dim: int | None = None
    latent_shape: tuple[int, ...] | None = None  # per-sample shape the decoder takes
    description: str = ""

    @property
    def can_encode(self) -> bool:
        return self.encoder is not None


def _found_parts(model: Any) -> str:
    children = [name for name, _ in model.named_children()] if isinstance(model, nn.Module) else []
    base = set(dir(nn.Module)) if isinstance(model, nn.Module) else set(dir(object))
    attrs = sorted(
        n for n in set(dir(type(model))) | set(getattr(model, "__dict__", {}))
        if not n.startswith("_") and n not in base and n not in children and n != "training"
    )
    parts = []
    parts.append(f"children {children}" if children else "no child modules")
    if attrs:
        parts.append(f"attributes {attrs}")
    return " and ".join(parts)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    return None


def resolve_model(model: Any, *, latent_dim: int | None = None) -> LatentModel:
    """Find the encoder and decoder of ``model`` (see the module docstring for what is taken)."""
    if latent_dim is not None and (_int_or_none(latent_dim) is None or latent_dim < 1):
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")
    if isinstance(model, (tuple, list)):
        kinds = [type(m).__name__ for m in model]
        if len(model) != 2 or not all(isinstance(m, nn.Module) for m in model):
            raise TypeError(
                f"model=(encoder, decoder) needs exactly two nn.Modules; got {len(model)} "
                f"item(s) of type {kinds}"
            )
        enc, dec = model
        return LatentModel("pair", enc, dec, [enc, dec], decoder_module=dec, encoder_module=enc,
                           latent_dim=latent_dim, description="encoder/decoder pair")
    if not isinstance(model, nn.Module):
        raise TypeError(
            "model must be an nn.Module (autoencoder, VAE or generator) or an (encoder, decoder) "
            f"pair of nn.Modules; got {type(model).__name__}"
        )
    attr_dim = _int_or_none(getattr(model, "latent_dim", None))
    dim = latent_dim if latent_dim is not None else attr_dim
    enc_mod = getattr(model, "encoder", None)
    dec_mod = getattr(model, "decoder", None)
    has_methods = callable(getattr(model, "encode", None)) and callable(
        getattr(model, "decode", None))
    if has_methods:
        # VAE contract: encode(x) -> (mu, logvar), decode(z). Also plain AEs with methods.
        enc_fn: Callable[[torch.Tensor], Any] = getattr(model, "encode")  # noqa: B009
        dec_fn: Callable[[torch.Tensor], torch.Tensor] = getattr(model, "decode")  # noqa: B009
        return LatentModel(
            "vae", enc_fn, dec_fn, [model],
            decoder_module=dec_mod if isinstance(dec_mod, nn.Module) else None,
            encoder_module=enc_mod if isinstance(enc_mod, nn.Module) else None,
            latent_dim=dim, description=f"{type(model).__name__} (encode/decode)",
        )
    if isinstance(enc_mod, nn.Module) and isinstance(dec_mod, nn.Module):
        return LatentModel("autoencoder", enc_mod, dec_mod, [model], decoder_module=dec_mod,
                           encoder_module=enc_mod, latent_dim=dim,
                           description=f"{type(model).__name__} (encoder/decoder)")
    gen = getattr(model, "generator", None)
    if isinstance(gen, nn.Module):
        gdim = latent_dim if latent_dim is not None else (
            _int_or_none(getattr(gen, "latent_dim", None)) or attr_dim)
        if gdim is None:
            raise ValueError(
                f"{type(model).__name__}.generator has no latent_dim attribute: pass "
                "latent_dim=<size of the generator's input> to sample its prior"
            )
        return LatentModel("generator", None, gen, [model], decoder_module=gen, latent_dim=gdim,
                           description=f"{type(model).__name__}.generator")
    if dim is not None:
        return LatentModel("generator", None, model, [model], decoder_module=model,
                           latent_dim=dim, description=f"{type(model).__name__} as a generator")
    raise TypeError(
        f"cannot explore the latent space of {type(model).__name__}: expected .encoder and "
        ".decoder modules, encode()/decode() methods (VAE), a .generator module, or a "
        "latent_dim (generator alone); pass model=(encoder, decoder) otherwise. Found "
        f"{_found_parts(model)}"
    )


def module_device(modules: Sequence[nn.Module]) -> torch.device | None:
    for mod in modules:
        for p in mod.parameters():
            return p.device
        for b in mod.buffers():
            return b.device
    return None


def module_dtype(modules: Sequence[nn.Module]) -> torch.dtype:
    for mod in modules:
        for p in mod.parameters():
            if p.dtype.is_floating_point:
                return p.dtype
    return torch.float32


def on_device(lm: LatentModel, dev: torch.device) -> LatentModel:
    """``lm`` with its modules on ``dev``: the same objects if already there, else a copy.

    The user's model is never moved in place (their own code keeps working on its device).
    """
    current = module_device(lm.modules)
    if current is None or current == dev or (current.type == dev.type and dev.index is None):
        return lm
    memo: dict[int, Any] = {}
    copies = [copy.deepcopy(m, memo).to(dev) for m in lm.modules]

    def remap(obj: Any) -> Any:
        if obj is None:
            return None
        if isinstance(obj, nn.Module):
            return memo.get(id(obj), obj)
        owner = getattr(obj, "__self__", None)  # bound method, e.g. model.encode
        if isinstance(owner, nn.Module) and id(owner) in memo:
            return getattr(memo[id(owner)], obj.__name__)
        return obj

    return LatentModel(
        lm.kind, remap(lm.encoder), remap(lm.decoder), copies,
        decoder_module=remap(lm.decoder_module), encoder_module=remap(lm.encoder_module),
        latent_dim=lm.latent_dim, latent_shape=lm.latent_shape, description=lm.description,
    )


# --------------------------------------------------------------------------------------------
# encode / decode
# --------------------------------------------------------------------------------------------
def _leaf_modules(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if not list(m.children())]


def expected_input(encoder: nn.Module | None) -> str:
    """What the first layer of ``encoder`` takes, in words with a shape (for error messages)."""
    if encoder is None:
        return "unknown"
    leaves = _leaf_modules(encoder)
    flattens = bool(leaves) and isinstance(leaves[0], nn.Flatten)
    for m in leaves:
        if isinstance(m, nn.Linear):
            if flattens:
                return f"(N, ...) with {m.in_features} values per sample (flattened first)"
            return f"(N, {m.in_features})"
        if isinstance(m, nn.Conv1d):
            return f"(N, {m.in_channels}, L)"
        if isinstance(m, nn.Conv2d):
            return f"(N, {m.in_channels}, H, W)"
        if isinstance(m, nn.Conv3d):
            return f"(N, {m.in_channels}, D, H, W)"
        if isinstance(m, (nn.LSTM, nn.GRU, nn.RNN)):
            return f"(N, L, {m.input_size})" if m.batch_first else f"(L, N, {m.input_size})"
    return "unknown (no Linear/Conv layer found)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _batches(n: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n, batch_size):
        yield slice(start, min(n, start + batch_size))


def _code_of(out: Any) -> torch.Tensor:
    """The code tensor from an encoder's output: mu when it returns (mu, logvar)."""
    if isinstance(out, (tuple, list)):
        if not out:
            raise ValueError("the encoder returned an empty tuple")
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the encoder must return a tensor (or (mu, logvar)), got "
                        f"{type(out).__name__}")
    return out


def encode(lm: LatentModel, data: Any, *, device: torch.device | str | None = None,
           batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Codes of ``data`` as an (N, latent_dim) float32 array, computed in batches on ``device``.

    For a VAE the code is the posterior mean mu. Codes with more than one axis per sample
    (e.g. (N, 8, 1, 1)) are flattened; ``lm.latent_shape`` remembers the shape for decoding.
    """
    if lm.encoder is None:
        raise ValueError(f"{lm.description} has no encoder: a generator only decodes")
    dev = pick_device(device)
    lm_d = on_device(lm, dev)
    x = as_tensor(data, cast="float")
    dtype = module_dtype(lm_d.modules)
    if x.dtype != dtype:
        x = x.to(dtype)
    n = x.shape[0]
    if n == 0:
        raise ValueError("data has no samples (its first axis is 0)")
    out_chunks: list[np.ndarray] = []
    assert lm_d.encoder is not None
    with probing(*lm_d.modules):
        for sl in _batches(n, batch_size):
            batch = x[sl].to(dev)
            try:
                raw = lm_d.encoder(batch)
                code = _code_of(raw)
            except (RuntimeError, ValueError, IndexError) as exc:
                if sl.start > 0:
                    raise
                raise ValueError(
                    f"the encoder rejected data of shape {tuple(x.shape)}: it expects "
                    f"{expected_input(lm.encoder_module)}; torch said: {_first_line(exc)}"
                ) from None
            if code.shape[0] != batch.shape[0]:
                raise ValueError(
                    f"the encoder turned a batch of shape {tuple(batch.shape)} into codes of "
                    f"shape {tuple(code.shape)}: the first axis must stay the sample axis"
                )
            if lm.latent_shape is None:
                lm.latent_shape = tuple(code.shape[1:]) or (1,)
                if lm.kind == "vae" and not isinstance(raw, (tuple, list)):
                    lm.kind = "autoencoder"  # encode() returned a plain code
            out_chunks.append(code.reshape(code.shape[0], -1).float().cpu().numpy())
    codes = np.concatenate(out_chunks, axis=0)
    if lm.latent_dim is None:
        lm.latent_dim = int(codes.shape[1])
    elif codes.shape[1] != lm.latent_dim:
        raise ValueError(
            f"the encoder gives codes of {codes.shape[1]} values but latent_dim is {lm.latent_dim}"
        )
    bad = ~np.isfinite(codes).all(axis=1)
    if bad.any():
        first = np.flatnonzero(bad)[:5].tolist()
        nan_in = ~torch.isfinite(x.reshape(n, -1)).all(dim=1)
        cause = ("the data itself has NaN/inf values in those rows"
                 if bool(nan_in[torch.as_tensor(bad)].any())
                 else "the data is finite there, so the model's weights or activations overflow")
        raise ValueError(
            f"the encoder produced NaN/inf codes for {int(bad.sum())} of {n} samples (rows "
            f"{first}{'...' if bad.sum() > 5 else ''}): {cause}"
        )
    return codes


def _decoder_input(lm: LatentModel, z: torch.Tensor) -> torch.Tensor:
    shape = lm.latent_shape or (z.shape[1],)
    return z.reshape(z.shape[0], *shape)


def check_codes(z: Any, latent_dim: int, name: str = "z") -> np.ndarray:
    """``z`` as an (M, latent_dim) float32 array; refuses other sizes and NaN/inf values."""
    arr = np.asarray(z.detach().cpu().numpy() if isinstance(z, torch.Tensor) else z,
                     dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != latent_dim:
        raise ValueError(
            f"{name} must have shape ({latent_dim},) or (M, {latent_dim}); got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has NaN/inf values: cannot decode them")
    return arr.astype(np.float32)


def decode(lm: LatentModel, z: Any, *, device: torch.device | str | None = None,
           batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Decoded outputs of codes ``z`` (M, latent_dim) as float32 (M, *output_shape), batched."""
    if lm.latent_dim is None:
        raise ValueError("latent_dim is not known yet: encode data first or pass latent_dim")
    zz = check_codes(z, lm.latent_dim)
    dev = pick_device(device)
    lm_d = on_device(lm, dev)
    dtype = module_dtype(lm_d.modules)
    zt = torch.from_numpy(zz).to(dtype)
    out_chunks: list[np.ndarray] = []
    with probing(*lm_d.modules):
        for sl in _batches(zt.shape[0], batch_size):
            batch = zt[sl].to(dev)
            try:
                out = lm_d.decoder(_decoder_input(lm, batch))
            except (RuntimeError, ValueError, IndexError) as exc:
                if lm.kind == "generator" and lm.latent_shape is None and sl.start == 0:
                    # DCGAN-style generators take (N, d, 1, 1)
                    try:
                        lm.latent_shape = (lm.latent_dim, 1, 1)
                        out = lm_d.decoder(_decoder_input(lm, batch))
                    except (RuntimeError, ValueError, IndexError):
                        lm.latent_shape = None
                        raise ValueError(
                            f"the generator rejected codes of shape {tuple(batch.shape)} and "
                            f"{(batch.shape[0], lm.latent_dim, 1, 1)}; torch said: "
                            f"{_first_line(exc)}"
                        ) from None
                else:
                    raise ValueError(
                        f"the decoder rejected codes of shape "
                        f"{tuple(_decoder_input(lm, batch).shape)}; torch said: "
                        f"{_first_line(exc)}"
                    ) from None
            if isinstance(out, (tuple, list)):
                out = out[0]
            out_chunks.append(out.float().cpu().numpy())
    if lm.latent_shape is None:
        lm.latent_shape = (lm.latent_dim,)
    return np.concatenate(out_chunks, axis=0)


def sample_prior(latent_dim: int, n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` samples of the prior N(0, I) in ``latent_dim`` dimensions (torch's generator)."""
    if not 1 <= int(n) <= MAX_POINTS:
        raise ValueError(f"number of prior samples must be in [1, {MAX_POINTS}], got {n}")
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn(int(n), int(latent_dim), generator=gen).numpy()


# --------------------------------------------------------------------------------------------
# PCA and the latent plane
# --------------------------------------------------------------------------------------------
@dataclass
class PCA:
    """Principal axes of the codes: rows of ``components`` (d x d), by decreasing variance."""

    mean: np.ndarray  # (d,)
    components: np.ndarray  # (d, d), orthonormal rows
    explained_variance: np.ndarray  # (d,), eigenvalues of the covariance (ddof=1)

    @property
    def explained_ratio(self) -> np.ndarray:
        total = float(self.explained_variance.sum())
        if total <= 0:
            return np.zeros_like(self.explained_variance)
        return self.explained_variance / total

    def transform(self, z: np.ndarray) -> np.ndarray:
        """Coordinates of codes along all principal axes: (z - mean) @ components.T."""
        return (np.asarray(z, dtype=np.float64) - self.mean) @ self.components.T

    def inverse(self, coords: np.ndarray) -> np.ndarray:
        """Codes from principal coordinates: mean + coords @ components."""
        return self.mean + np.asarray(coords, dtype=np.float64) @ self.components


def fit_pca(codes: np.ndarray, *, device: torch.device | str | None = None) -> PCA:
    """PCA of ``codes`` by the eigendecomposition of their covariance, in float64 with torch.

    Each axis' sign is fixed so that its largest-magnitude entry is positive (deterministic).
    """
    z = torch.as_tensor(np.asarray(codes, dtype=np.float64))
    if z.ndim != 2 or z.shape[0] < 1:
        raise ValueError(f"codes must be (N, d) with N >= 1, got {tuple(z.shape)}")
    dev = pick_device(device)
    if dev.type == "mps":  # no float64 on MPS
        dev = torch.device("cpu")
    z = z.to(dev)
    mean = z.mean(dim=0)
    zc = z - mean
    n = z.shape[0]
    cov = zc.T @ zc / max(n - 1, 1)
    evals, evecs = torch.linalg.eigh(cov)  # ascending
    order = torch.argsort(evals, descending=True)
    evals = evals[order].clamp_min(0.0)
    comps = evecs[:, order].T.contiguous()  # rows = axes
    idx = comps.abs().argmax(dim=1)
    signs = torch.sign(comps[torch.arange(comps.shape[0]), idx])
    signs[signs == 0] = 1.0
    comps = comps * signs[:, None]
    return PCA(mean.cpu().numpy(), comps.cpu().numpy(), evals.cpu().numpy())


@dataclass
class LatentPlane:
    """Affine 2-D view of the latent space: z = origin + p @ basis + s @ others."""

    mode: str  # "pca" | "dims"
    origin: np.ndarray  # (d,)
    basis: np.ndarray  # (2, d)
    others: np.ndarray  # (d - 2, d) (or (0, d))
    slider_values: np.ndarray  # (d - 2,)
    slider_min: np.ndarray
    slider_max: np.ndarray
    axis_labels: tuple[str, str]
    slider_labels: list[str]
    dims: tuple[int, int] = (0, 1)

    @property
    def latent_dim(self) -> int:
        return int(self.origin.shape[0])

    def to_plane(self, z: np.ndarray) -> np.ndarray:
        """2-D coordinates of codes: (z - origin) @ basis.T."""
        return (np.asarray(z, dtype=np.float64) - self.origin) @ self.basis.T

    def slider_coords(self, z: np.ndarray) -> np.ndarray:
        """Coordinates of codes along the slider axes: (z - origin) @ others.T."""
        return (np.asarray(z, dtype=np.float64) - self.origin) @ self.others.T

    def to_latent(self, p: np.ndarray, sliders: np.ndarray | None = None) -> np.ndarray:
        """Codes of plane points: origin + p @ basis + sliders @ others (sliders default: set)."""
        pts = np.asarray(p, dtype=np.float64)
        single = pts.ndim == 1
        pts = np.atleast_2d(pts)
        if pts.shape[1] != 2:
            raise ValueError(f"plane points must have 2 coordinates, got shape {pts.shape}")
        s = self.slider_values if sliders is None else np.asarray(sliders, dtype=np.float64)
        if s.shape[-1] != self.others.shape[0]:
            raise ValueError(
                f"sliders must have {self.others.shape[0]} values (latent_dim - 2), got {s.shape}"
            )
        z = self.origin + pts @ self.basis + s @ self.others
        return z[0] if single else z

    def with_sliders(self, values: Sequence[float]) -> LatentPlane:
        vals = np.asarray(values, dtype=np.float64)
        if vals.shape != self.slider_values.shape:
            raise ValueError(
                f"sliders must have {self.slider_values.shape[0]} values, got {vals.shape}"
            )
        if not np.isfinite(vals).all():
            raise ValueError("slider values must be finite numbers")
        plane = copy.copy(self)
        plane.slider_values = vals
        return plane


def pca_plane(pca: PCA) -> LatentPlane:
    """Plane of the first two principal axes through the mean; sliders move along the others."""
    d = pca.mean.shape[0]
    comps = pca.components
    basis = np.zeros((2, d))
    basis[: min(2, d)] = comps[: min(2, d)]
    others = comps[2:]
    sd = np.sqrt(np.maximum(pca.explained_variance[2:], 0.0))
    span = np.maximum(3.0 * sd, 1e-6)
    ratio = pca.explained_ratio
    labels = tuple(f"PC{k + 1} ({100 * ratio[k]:.0f}%)" if k < d else f"PC{k + 1}"
                   for k in range(2))
    return LatentPlane(
        "pca", pca.mean.astype(np.float64), basis, others.astype(np.float64),
        np.zeros(d - 2 if d > 2 else 0), -span, span, (labels[0], labels[1]),
        [f"PC{k + 3}" for k in range(max(0, d - 2))],
    )


def dims_plane(codes: np.ndarray, i: int, j: int) -> LatentPlane:
    """Plane of coordinate axes z_i (x) and z_j (y); the other coordinates are sliders whose
    default is the mean code's value and whose range is the codes' range."""
    z = np.asarray(codes, dtype=np.float64)
    d = z.shape[1]
    for name, v in (("dims[0]", i), ("dims[1]", j)):
        if not 0 <= v < d:
            raise ValueError(f"{name} must be a latent dimension in [0, {d - 1}], got {v}")
    if d >= 2 and i == j:
        raise ValueError(f"the two dimensions must differ, got ({i}, {j})")
    eye = np.eye(d)
    basis = np.zeros((2, d))
    basis[0] = eye[i]
    if d >= 2:
        basis[1] = eye[j]
    rest = [k for k in range(d) if k not in (i, j)]
    others = eye[rest] if rest else np.zeros((0, d))
    lo = z[:, rest].min(axis=0) if rest else np.zeros(0)
    hi = z[:, rest].max(axis=0) if rest else np.zeros(0)
    flat = hi - lo < 1e-9
    lo = np.where(flat, lo - 1.0, lo)
    hi = np.where(flat, hi + 1.0, hi)
    return LatentPlane(
        "dims", np.zeros(d), basis, others,
        z[:, rest].mean(axis=0) if rest else np.zeros(0), lo, hi,
        (f"z{i}", f"z{j}" if d >= 2 else "—"), [f"z{k}" for k in rest], dims=(i, j),
    )


def grid_points(x_range: tuple[float, float], y_range: tuple[float, float], n: int
                ) -> np.ndarray:
    """(n*n, 2) plane points of an n x n lattice of cell centres, row-major, top row first.

    Row r, column c is the centre of cell (r, c): x = x0 + (c + 0.5) (x1 - x0) / n and
    y = y1 - (r + 0.5) (y1 - y0) / n, so the lattice reads like the plot (y up).
    """
    if not 1 <= int(n) <= 64:
        raise ValueError(f"grid size must be in [1, 64], got {n}")
    (x0, x1), (y0, y1) = x_range, y_range
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or x1 <= x0 or y1 <= y0:
        raise ValueError(f"grid ranges must be finite with min < max, got {x_range}, {y_range}")
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y1 - (np.arange(n) + 0.5) * (y1 - y0) / n
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def decode_grid(lm: LatentModel, plane: LatentPlane, x_range: tuple[float, float],
                y_range: tuple[float, float], n: int, *,
                device: torch.device | str | None = None,
                batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Decodings of an n x n lattice over the plane region: (n, n, *output_shape), one batch
    pass on ``device`` (the GPU when there is one)."""
    pts = grid_points(x_range, y_range, n)
    out = decode(lm, plane.to_latent(pts), device=device, batch_size=batch_size)
    return out.reshape(n, n, *out.shape[1:])


# --------------------------------------------------------------------------------------------
# interpolation, arithmetic, traversal
# --------------------------------------------------------------------------------------------
def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    va = np.asarray(a, dtype=np.float64).ravel()
    vb = np.asarray(b, dtype=np.float64).ravel()
    if va.shape != vb.shape:
        raise ValueError(f"codes to interpolate must have the same size, got {va.shape} and "
                         f"{vb.shape}")
    if not (np.isfinite(va).all() and np.isfinite(vb).all()):
        raise ValueError("codes to interpolate must be finite")
    return va, vb


def _steps(steps: int) -> np.ndarray:
    if not 2 <= int(steps) <= 256:
        raise ValueError(f"steps must be in [2, 256], got {steps}")
    return np.linspace(0.0, 1.0, int(steps))


def lerp(a: Any, b: Any, steps: int) -> np.ndarray:
    """Linear interpolation (steps, d): z(t) = (1 - t) a + t b, t evenly spaced in [0, 1]."""
    va, vb = _pair(a, b)
    t = _steps(steps)[:, None]
    return (1.0 - t) * va + t * vb


def slerp(a: Any, b: Any, steps: int) -> np.ndarray:
    """Spherical interpolation (steps, d) (Shoemake; White 2016 for latent spaces):

    z(t) = sin((1 - t) w) / sin(w) a + sin(t w) / sin(w) b,  cos(w) = a.b / (|a| |b|).

    It follows the great circle between the directions of a and b (for |a| = |b| it stays on
    the sphere). When sin(w) is ~0 (parallel or opposite codes, or a zero code) the great
    circle is undefined and the linear path is returned.
    """
    va, vb = _pair(a, b)
    t = _steps(steps)[:, None]
    na, nb = np.linalg.norm(va), np.linalg.norm(vb)
    if na < 1e-12 or nb < 1e-12:
        return (1.0 - t) * va + t * vb
    cos = float(np.clip(va @ vb / (na * nb), -1.0, 1.0))
    omega = math.acos(cos)
    so = math.sin(omega)
    if so < 1e-6:
        return (1.0 - t) * va + t * vb
    return (np.sin((1.0 - t) * omega) / so) * va + (np.sin(t * omega) / so) * vb


def arithmetic(a: Any, b: Any, c: Any) -> np.ndarray:
    """Latent arithmetic a - b + c (e.g. 'smiling woman' - 'woman' + 'man')."""
    va, vb = _pair(a, b)
    _, vc = _pair(a, c)
    return va - vb + vc


def traversal_values(codes: np.ndarray, steps: int, *, low: float = 1.0, high: float = 99.0
                     ) -> np.ndarray:
    """(d, steps) values per latent dimension, evenly spaced between the codes' ``low`` and
    ``high`` percentiles in that dimension."""
    z = np.asarray(codes, dtype=np.float64)
    lo = np.percentile(z, low, axis=0)
    hi = np.percentile(z, high, axis=0)
    flat = hi - lo < 1e-9
    lo, hi = np.where(flat, lo - 1.0, lo), np.where(flat, hi + 1.0, hi)
    t = _steps(steps)
    return lo[:, None] + (hi - lo)[:, None] * t[None, :]


def traverse(lm: LatentModel, base: Any, dims: Sequence[int], values: np.ndarray, *,
             device: torch.device | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension traversal: for each dim k in ``dims``, decode ``base`` with z_k replaced by
    each of ``values[k]``. Returns (codes (len(dims), steps, d), outputs (len(dims), steps, ...)).
    """
    vb = np.asarray(base, dtype=np.float64).ravel()
    d = vb.shape[0]
    vals = np.asarray(values, dtype=np.float64)
    if vals.ndim != 2 or vals.shape[0] != d:
        raise ValueError(f"values must be (latent_dim={d}, steps), got {vals.shape}")
    dims = [int(k) for k in dims]
    for k in dims:
        if not 0 <= k < d:
            raise ValueError(f"traversal dims must be in [0, {d - 1}], got {k}")
    steps = vals.shape[1]
    zs = np.repeat(np.repeat(vb[None, None, :], len(dims), axis=0), steps, axis=1)
    for row, k in enumerate(dims):
        zs[row, :, k] = vals[k]
    out = decode(lm, zs.reshape(-1, d), device=device)
    return zs, out.reshape(len(dims), steps, *out.shape[1:])


# --------------------------------------------------------------------------------------------
# reconstruction and anomalies
# --------------------------------------------------------------------------------------------
def reconstruct(lm: LatentModel, data: Any, *, device: torch.device | str | None = None,
                batch_size: int = BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """(reconstructions decode(encode(x)), per-sample mean squared errors) of ``data``."""
    x = as_tensor(data, cast="float")
    codes = encode(lm, x, device=device, batch_size=batch_size)
    recon = decode(lm, codes, device=device, batch_size=batch_size)
    return recon, _errors(x.float().numpy(), recon)


def _errors(x: np.ndarray, recon: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    xf = x.reshape(n, -1).astype(np.float64)
    rf = recon.reshape(n, -1).astype(np.float64)
    if xf.shape[1] != rf.shape[1]:
        raise ValueError(
            f"the decoder outputs {rf.shape[1]} values per sample but the input has "
            f"{xf.shape[1]}: cannot compare a reconstruction with its input"
        )
    return ((xf - rf) ** 2).mean(axis=1)


def reconstruction_errors(lm: LatentModel, data: Any, codes: np.ndarray | None = None, *,
                          device: torch.device | str | None = None,
                          batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Per-sample mean squared reconstruction error, batched (never holds all reconstructions).

    error_i = (1/D) sum_j (x_ij - decode(encode(x_i))_j)^2, with D values per sample.
    """
    x = as_tensor(data, cast="float")
    if codes is None:
        codes = encode(lm, x, device=device, batch_size=batch_size)
    errs = np.empty(x.shape[0])
    for sl in _batches(x.shape[0], batch_size):
        recon = decode(lm, codes[sl], device=device, batch_size=batch_size)
        errs[sl] = _errors(x[sl].float().numpy(), recon)
    return errs


def rank_anomalies(errors: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest errors, worst first (ties: lower index first)."""
    e = np.asarray(errors, dtype=np.float64)
    k = max(0, min(int(k), e.shape[0]))
    return np.argsort(-e, kind="stable")[:k].astype(np.int64)


# --------------------------------------------------------------------------------------------
# in-browser decoder: a small MLP as plain weights
# --------------------------------------------------------------------------------------------
@dataclass
class MLPSpec:
    """A decoder that is a chain of Linear layers and element-wise activations."""

    layers: list[dict[str, Any]]  # {"kind": "linear", "weight", "bias"} or activation dicts
    in_dim: int
    out_dim: int
    params: int
    max_error: float = 0.0  # vs torch on random codes, measured by mlp_spec


def _activation(m: nn.Module) -> dict[str, Any] | None:
    if isinstance(m, nn.ReLU):
        return {"kind": "relu"}
    if isinstance(m, nn.LeakyReLU):
        return {"kind": "leaky_relu", "slope": float(m.negative_slope)}
    if isinstance(m, nn.Tanh):
        return {"kind": "tanh"}
    if isinstance(m, nn.Sigmoid):
        return {"kind": "sigmoid"}
    if isinstance(m, nn.ELU):
        return {"kind": "elu", "alpha": float(m.alpha)}
    if isinstance(m, nn.GELU):
        return {"kind": "gelu_tanh" if m.approximate == "tanh" else "gelu"}
    if isinstance(m, nn.SiLU):
        return {"kind": "silu"}
    if isinstance(m, nn.Softplus):
        return {"kind": "softplus", "beta": float(m.beta), "threshold": float(m.threshold)}
    if isinstance(m, (nn.Identity, nn.Dropout)):
        return None  # identity at evaluation time
    raise TypeError(type(m).__name__)


def _flat_layers(module: nn.Module) -> list[nn.Module]:
    if isinstance(module, nn.Sequential):
        out: list[nn.Module] = []
        for child in module:
            out.extend(_flat_layers(child))
        return out
    return [module]


def _is_reshape(m: nn.Module) -> bool:
    if isinstance(m, (nn.Unflatten, nn.Flatten)):
        return True
    return type(m).__name__ in ("Reshape", "View", "Unflatten") and not any(
        True for _ in m.parameters())


def mlp_forward(spec: MLPSpec, z: np.ndarray) -> np.ndarray:
    """The MLP in numpy float64 (reference for the browser's float32 forward)."""
    h = np.asarray(z, dtype=np.float64)
    for layer in spec.layers:
        kind = layer["kind"]
        if kind == "linear":
            h = h @ np.asarray(layer["weight"], dtype=np.float64).T
            if layer.get("bias") is not None:
                h = h + np.asarray(layer["bias"], dtype=np.float64)
        elif kind == "relu":
            h = np.maximum(h, 0.0)
        elif kind == "leaky_relu":
            h = np.where(h >= 0, h, h * layer["slope"])
        elif kind == "tanh":
            h = np.tanh(h)
        elif kind == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-h))
        elif kind == "elu":
            h = np.where(h > 0, h, layer["alpha"] * np.expm1(np.minimum(h, 0.0)))
        elif kind == "gelu":
            h = 0.5 * h * (1.0 + np.vectorize(math.erf)(h / math.sqrt(2.0)))
        elif kind == "gelu_tanh":
            h = 0.5 * h * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * h ** 3)))
        elif kind == "silu":
            h = h / (1.0 + np.exp(-h))
        elif kind == "softplus":
            b, th = layer["beta"], layer["threshold"]
            h = np.where(h * b > th, h, np.log1p(np.exp(np.minimum(h * b, th))) / b)
        else:
            raise ValueError(f"unknown MLP layer kind {kind!r}")
    return h


def mlp_spec(lm: LatentModel, *, max_params: int = 1_000_000, tolerance: float = 1e-4,
             check_points: int = 64, seed: int = 0,
             device: torch.device | str | None = None) -> tuple[MLPSpec | None, str]:
    """The decoder as MLP weights for the browser, or (None, reason) when it is not one.

    Accepted: an ``nn.Sequential`` (nested allowed) of ``nn.Linear`` and element-wise
    activations (ReLU, LeakyReLU, Tanh, Sigmoid, ELU, GELU, SiLU, Softplus; Identity/Dropout
    are skipped), trailing reshapes (``nn.Unflatten``, ``nn.Flatten``, a parameter-free module
    named ``Reshape``/``View``, e.g. the DSL's ``reshape``), at most ``max_params``
    parameters. The extracted MLP is then checked against the model's own decode on random
    codes; it is used only if every output is within ``tolerance``.
    """
    mod = lm.decoder_module
    if mod is None or lm.latent_dim is None:
        return None, "the decoder is not a module the explorer can read"
    layers = _flat_layers(mod)
    while layers and _is_reshape(layers[-1]):  # only the output's shape: the check below
        layers = layers[:-1]                        # proves the flat values are unchanged
    out: list[dict[str, Any]] = []
    params = 0
    width = lm.latent_dim
    for m in layers:
        if isinstance(m, nn.Linear):
            if m.in_features != width:
                return None, f"a Linear layer takes {m.in_features} inputs after {width}"
            w = m.weight.detach().float().cpu().numpy().copy()
            b = m.bias.detach().float().cpu().numpy().copy() if m.bias is not None else None
            out.append({"kind": "linear", "weight": w, "bias": b})
            params += w.size + (b.size if b is not None else 0)
            width = m.out_features
            continue
        if isinstance(m, _SUPPORTED_ACTIVATIONS):
            act = _activation(m)
            if act is not None:
                out.append(act)
            continue
        bad = sorted({type(k).__name__ for k in layers
                      if not isinstance(k, (nn.Linear, *_SUPPORTED_ACTIVATIONS))})
        return None, (f"the decoder has {', '.join(bad)} layer(s); only Linear layers and "
                      "element-wise activations run in the browser")
    if not any(layer["kind"] == "linear" for layer in out):
        return None, "the decoder has no Linear layer"
    if params > max_params:
        return None, f"the decoder has {params:,} parameters, over the {max_params:,} limit"
    spec = MLPSpec(out, int(lm.latent_dim), int(width), int(params))
    # verify against the model's own decode (catches forward() that is not the chain)
    gen = np.random.default_rng(seed)
    z = gen.standard_normal((check_points, lm.latent_dim)).astype(np.float32) * 2.0
    try:
        ref = decode(lm, z, device=device).reshape(check_points, -1)
    except ValueError as exc:
        return None, f"decoding test codes failed: {exc}"
    mine = mlp_forward(spec, z)
    if mine.shape != ref.shape:
        return None, f"the chain gives {mine.shape[1]} outputs, the decoder {ref.shape[1]}"
    err = float(np.abs(mine - ref).max()) if ref.size else 0.0
    if not err <= tolerance:
        return None, f"the chain differs from the decoder by {err:.2g} (> {tolerance:g})"
    spec.max_error = err
    return spec, "ok"


# --------------------------------------------------------------------------------------------
# the whole map
# --------------------------------------------------------------------------------------------
@dataclass
class LatentMap:
    """Everything computed once about a data set in a model's latent space."""

    kind: str
    codes: np.ndarray  # (N, d) float32
    pca: PCA
    errors: np.ndarray | None  # (N,) MSE per sample, None for a generator
    output_shape: tuple[int, ...]
    latent_shape: tuple[int, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def latent_dim(self) -> int:
        return int(self.codes.shape[1])


def latent_map(lm: LatentModel, data: Any, *, device: torch.device | str | None = None,
               batch_size: int = BATCH_SIZE, prior_samples: int = 2000, seed: int = 0,
               errors: bool = True) -> LatentMap:
    """Encode ``data`` (or sample the prior for a generator), fit PCA, compute the errors."""
    if lm.kind == "generator":
        n = prior_samples if data is None else int(data)
        assert lm.latent_dim is not None
        codes = sample_prior(lm.latent_dim, n, seed=seed).astype(np.float32)
        probe = decode(lm, codes[:1], device=device)
        errs = None
    else:
        x = as_tensor(data, cast="float")
        if x.shape[0] > MAX_POINTS:
            raise ValueError(f"data has {x.shape[0]:,} samples, over the {MAX_POINTS:,} limit; "
                             "pass a subset")
        codes = encode(lm, x, device=device, batch_size=batch_size)
        probe = decode(lm, codes[:1], device=device)
        errs = None
        if errors:
            try:
                errs = reconstruction_errors(lm, x, codes, device=device, batch_size=batch_size)
            except ValueError as exc:
                if "cannot compare" not in str(exc):
                    raise
    pca = fit_pca(codes, device=device)
    return LatentMap(lm.kind, codes, pca, errs, tuple(probe.shape[1:]),
                     tuple(lm.latent_shape or (codes.shape[1],)))


# --------------------------------------------------------------------------------------------
# built-in tiny models on scikit-learn's digits, trained in chunks
# --------------------------------------------------------------------------------------------
def load_digits_flat() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits as (1797, 64) float32 in [0, 1] and int64 labels."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    return (raw.data / 16.0).astype(np.float32), raw.target.astype(np.int64)


class DigitsAE(nn.Module):
    """Tiny autoencoder for 64-pixel digits: 64-64-d encoder, d-64-64 decoder (sigmoid out)."""

    def __init__(self, latent_dim: int = 2, hidden: int = 64, d_in: int = 64) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(),
                                     nn.Linear(hidden, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(),
                                     nn.Linear(hidden, d_in), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class DigitsVAE(nn.Module):
    """Tiny VAE for 64-pixel digits: encode(x) -> (mu, logvar), decode(z), latent_dim."""

    def __init__(self, latent_dim: int = 2, hidden: int = 64, d_in: int = 64) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.trunk = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(),
                                     nn.Linear(hidden, d_in), nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def digits_loss(model: nn.Module, xb: torch.Tensor) -> torch.Tensor:
    """Training loss of the built-in models, averaged over the batch.

    AE: mean squared error. VAE: negative ELBO per sample, binary cross-entropy summed over
    the 64 pixels plus KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + logvar - mu^2 - e^logvar).
    """
    if isinstance(model, DigitsVAE):
        recon, mu, logvar = model(xb)
        bce = torch.nn.functional.binary_cross_entropy(recon, xb, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (bce + kl) / xb.shape[0]
    return torch.nn.functional.mse_loss(model(xb), xb)


@dataclass
class TrainChunk:
    """State after one chunk (an epoch) of training."""

    epoch: int  # 1-based
    epochs: int
    loss: float  # mean training loss over the epoch
    codes: np.ndarray  # (N, d) float32 codes of the whole data set after the epoch
    diverged: bool = False


def train_chunks(model: nn.Module, x: np.ndarray, *, epochs: int = 40, batch_size: int = 64,
                 lr: float = 3e-3, seed: int = 0, device: torch.device | str | None = None,
                 lock: Any = None, should_stop: Callable[[], bool] | None = None
                 ) -> Iterator[TrainChunk]:
    """Train ``model`` (a DigitsAE or DigitsVAE) with torch.optim.Adam, one epoch per chunk.

    Each epoch shuffles with ``torch.randperm`` from a generator seeded by ``seed``. ``lock``
    (a threading.Lock) is held around every optimizer step and while the codes are computed,
    so decoding from another thread never sees half-updated weights. A non-finite loss ends
    training with ``diverged=True``.
    """
    if not 1 <= int(epochs) <= 10_000:
        raise ValueError(f"epochs must be in [1, 10000], got {epochs}")
    if not 1 <= int(batch_size) <= 65536:
        raise ValueError(f"batch_size must be in [1, 65536], got {batch_size}")
    if not 0 < float(lr) <= 1:
        raise ValueError(f"lr must be in (0, 1], got {lr}")
    dev = pick_device(device)
    guard = lock if lock is not None else contextlib.nullcontext()
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))  # the VAE's reparameterisation noise
    lm = resolve_model(model)
    threads = torch.get_num_threads()
    if dev.type == "cpu":
        # Matrices this small run fastest on one thread; more threads spin against each other
        # (10x slower on a busy 2-core machine). Process-wide in torch, so restored at the end.
        torch.set_num_threads(1)
    try:
        yield from _epochs(model, lm, xt, opt, gen, int(epochs), int(batch_size), dev, guard,
                           should_stop)
    finally:
        if dev.type == "cpu":
            torch.set_num_threads(threads)


def _epochs(model: nn.Module, lm: LatentModel, xt: torch.Tensor, opt: torch.optim.Optimizer,
            gen: torch.Generator, epochs: int, batch_size: int, dev: torch.device, guard: Any,
            should_stop: Callable[[], bool] | None) -> Iterator[TrainChunk]:
    n = xt.shape[0]
    for epoch in range(1, int(epochs) + 1):
        order = torch.randperm(n, generator=gen).to(dev)
        total, count = 0.0, 0
        diverged = False
        model.train()
        for start in range(0, n, int(batch_size)):
            if should_stop is not None and should_stop():
                return
            xb = xt[order[start:start + int(batch_size)]]
            with guard:
                opt.zero_grad()
                loss = digits_loss(model, xb)
                if not torch.isfinite(loss):
                    diverged = True
                    break
                loss.backward()
                opt.step()
            total += float(loss.detach()) * xb.shape[0]
            count += xb.shape[0]
        mean_loss = total / max(count, 1) if not diverged else float("nan")
        with guard:
            try:
                codes = encode(lm, xt, device=dev)
            except ValueError:
                diverged = True
                codes = np.full((n, int(getattr(model, "latent_dim", 2))), np.nan, np.float32)
        yield TrainChunk(epoch, int(epochs), mean_loss, codes, diverged)
        if diverged:
            return
