"""Non-linear 2-D views of latent codes: t-SNE (scikit-learn) and UMAP (umap-learn, optional).

Unlike the PCA plane or two coordinate axes (engine/latent.py: LatentPlane), these maps have no
inverse: a position between the embedded points corresponds to no code, so nothing can be
decoded there. They are computed once per set of codes, seeded, and returned as (N, 2) float32.

Both libraries are imported inside the functions that use them: scikit-learn's manifold module
and umap-learn (which loads numba) are slow to import, and ``import dlwidgets`` must stay fast.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "EMBEDDINGS",
    "Embedding",
    "MIN_POINTS",
    "UMAP_HINT",
    "default_perplexity",
    "default_neighbors",
    "embed",
    "tsne",
    "umap",
    "umap_missing",
]

#: The views computed here, with the names users see.
EMBEDDINGS = {"tsne": "t-SNE", "umap": "UMAP"}
#: Fewest codes either method places (fewer: there are no neighbourhoods to keep).
MIN_POINTS = 5
#: Most codes per method: t-SNE's Barnes-Hut optimisation takes minutes past this on a laptop.
MAX_POINTS = {"tsne": 20_000, "umap": 200_000}
UMAP_HINT = "UMAP needs umap-learn: pip install dlwidgets[umap]"


@dataclass
class Embedding:
    """A 2-D embedding of N codes and the parameters that made it."""

    kind: str  # "tsne" | "umap"
    coords: np.ndarray  # (N, 2) float32
    params: dict[str, Any] = field(default_factory=dict)


def umap_missing() -> str:
    """Why UMAP cannot run here ("" when umap-learn is importable), without importing it."""
    try:
        found = importlib.util.find_spec("umap") is not None
    except (ImportError, ValueError):  # sys.modules["umap"] is None, or has no spec
        found = False
    return "" if found else UMAP_HINT


def _checked_codes(codes: Any, kind: str) -> np.ndarray:
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"codes must be (N, d), got shape {z.shape}")
    n = z.shape[0]
    name = EMBEDDINGS[kind]
    if n < MIN_POINTS:
        raise ValueError(f"{name} needs at least {MIN_POINTS} codes to place, got {n}; "
                         "use the PCA or two-dimensions view")
    if n > MAX_POINTS[kind]:
        raise ValueError(f"{name} of {n:,} codes would take too long (limit "
                         f"{MAX_POINTS[kind]:,}); explore a subset of the data")
    if not np.isfinite(z).all():
        raise ValueError(f"the codes have NaN/inf values: {name} cannot place them")
    return z


def default_perplexity(n: int) -> float:
    """scikit-learn's 30, lowered to (N − 1) / 3 for few codes (it must stay below N)."""
    return float(min(30.0, max(1.0, (n - 1) / 3.0)))


def default_neighbors(n: int) -> int:
    """umap-learn's 15 neighbours, lowered to N − 1 for few codes."""
    return int(min(15, n - 1))


def tsne(codes: Any, *, seed: int = 0, perplexity: float | None = None) -> Embedding:
    """t-SNE of the codes with scikit-learn's ``TSNE`` (2 components, PCA initialisation,
    automatic learning rate), seeded by ``seed``: the same call as
    ``TSNE(n_components=2, perplexity=p, init="pca", learning_rate="auto", random_state=seed)``.

    It keeps who is near whom (neighbourhoods at the scale the perplexity sets), not distances
    between clusters or their sizes.
    """
    z = _checked_codes(codes, "tsne")
    n = z.shape[0]
    if perplexity is None:
        p = default_perplexity(n)
    else:
        if isinstance(perplexity, bool) or not isinstance(perplexity, (int, float, np.number)):
            raise TypeError(f"perplexity must be a number, got {type(perplexity).__name__}")
        p = float(perplexity)
        if not (math.isfinite(p) and 0 < p < n):
            raise ValueError(f"perplexity must be in (0, {n}) for {n} codes (it is roughly the "
                             f"number of neighbours each point keeps), got {perplexity}; "
                             f"{default_perplexity(n):g} is the default here")
    from sklearn.manifold import TSNE

    model = TSNE(n_components=2, perplexity=p, init="pca", learning_rate="auto",
                 random_state=int(seed))
    coords = model.fit_transform(z.astype(np.float32))
    return Embedding("tsne", np.ascontiguousarray(coords, dtype=np.float32),
                     {"perplexity": p, "seed": int(seed),
                      "kl_divergence": float(model.kl_divergence_)})


def umap(codes: Any, *, seed: int = 0, n_neighbors: int | None = None,
         min_dist: float = 0.1) -> Embedding:
    """UMAP of the codes with umap-learn's ``UMAP`` (2 components, ``random_state=seed``,
    one thread so the seed fixes the result): the same call as
    ``umap.UMAP(n_components=2, n_neighbors=k, min_dist=min_dist, random_state=seed, n_jobs=1)``.

    It keeps each point's nearest neighbours and, more than t-SNE, the arrangement of clusters;
    distances and densities are still not to scale.
    """
    missing = umap_missing()
    if missing:
        raise ImportError(missing)
    z = _checked_codes(codes, "umap")
    n = z.shape[0]
    if n_neighbors is None:
        k = default_neighbors(n)
    else:
        if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)):
            raise TypeError(f"n_neighbors must be an integer, got {type(n_neighbors).__name__}")
        k = int(n_neighbors)
        if not 2 <= k < n:
            raise ValueError(f"n_neighbors must be in [2, {n - 1}] for {n} codes, got {k}")
    md = float(min_dist)
    if not (math.isfinite(md) and 0 <= md <= 1):
        raise ValueError(f"min_dist must be in [0, 1], got {min_dist}")
    import umap as umap_learn

    model = umap_learn.UMAP(n_components=2, n_neighbors=k, min_dist=md, random_state=int(seed),
                            n_jobs=1)
    with warnings.catch_warnings():
        # few codes: umap-learn warns that its spectral start falls back to a random one
        warnings.filterwarnings("ignore", message=".*[Ss]pectral.*")
        coords = model.fit_transform(z.astype(np.float32))
    return Embedding("umap", np.ascontiguousarray(coords, dtype=np.float32),
                     {"n_neighbors": k, "min_dist": md, "seed": int(seed)})


def embed(kind: str, codes: Any, *, seed: int = 0, **params: Any) -> Embedding:
    """``tsne`` or ``umap`` by name."""
    if kind == "tsne":
        return tsne(codes, seed=seed, **params)
    if kind == "umap":
        return umap(codes, seed=seed, **params)
    raise ValueError(f"unknown embedding {kind!r}: use 'tsne' or 'umap'")
