"""ModelSpec -> torch modules. Shapes were checked already; this only constructs.

Plain models are ``DLSequential`` (an ``nn.Sequential``): unnamed layers are numbered by their
position, ``block NAME:`` makes a nested ``nn.Sequential`` called NAME, ``repeat`` inlines its
copies, ``residual`` makes a ``Residual`` module with ``body``/``shortcut``/``act``.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any

import torch
import torch.nn as nn

from . import modules as M
from .errors import DSLError, DSLWarning
from .layers import apply_init
from .nodes import ModelSpec, SpecNode
from .spec import DEFAULT_MAX_PARAMS, analyze


def _make_leaf(node: SpecNode, strict: bool) -> nn.Module:
    assert node.layer is not None
    try:
        module = node.layer.make(node.args, node.in_shape)
        if node.init is not None:
            apply_init(module, node.init)
    except (RuntimeError, ValueError, TypeError) as exc:
        if strict:
            raise
        raise DSLError(f"PyTorch refused this layer: {exc}", node.line, node.column) from exc
    return module


def _modules(nodes: list[SpecNode], strict: bool) -> list[tuple[str, nn.Module]]:
    out: list[tuple[str, nn.Module]] = []
    for node in nodes:
        if node.kind == "repeat":
            out.extend(_modules(node.children, strict))
        elif node.kind == "block":
            out.append((node.name, nn.Sequential(OrderedDict(_modules(node.children, strict)))))
        elif node.kind == "residual":
            body = [c for c in node.children if c.role not in ("shortcut", "post")]
            sc = [c for c in node.children if c.role == "shortcut"]
            post = [c for c in node.children if c.role == "post"]
            shortcut = (nn.Sequential(OrderedDict(_modules(sc[0].children, strict)))
                        if sc else None)
            act = _make_leaf(post[0], strict) if post else None
            out.append((node.name, M.Residual(nn.Sequential(OrderedDict(_modules(body, strict))),
                                              shortcut, act)))
        else:
            out.append((node.name, _make_leaf(node, strict)))
    return out


def _sequential(node: SpecNode | None, strict: bool) -> nn.Sequential:
    assert node is not None
    return nn.Sequential(OrderedDict(_modules(node.children, strict)))


#: Largest seed torch.manual_seed takes (a signed 64-bit integer).
MAX_SEED = 2**63 - 1


def build_spec(spec: ModelSpec, *, strict: bool = False) -> nn.Module:
    """Construct the modules of a checked ``spec`` (uses torch's global RNG for init)."""
    model: Any
    if spec.kind == "sequential":
        model = M.DLSequential(OrderedDict(_modules(spec.nodes, strict)))
    elif spec.kind == "autoencoder":
        model = M.Autoencoder(_sequential(spec.part("encoder"), strict),
                              _sequential(spec.part("decoder"), strict))
    elif spec.kind == "vae":
        latent = spec.part("latent")
        assert latent is not None and spec.latent_dim is not None
        features = latent.in_shape[0]
        encoder = _sequential(spec.part("encoder"), strict)
        fc_mu = nn.Linear(features, spec.latent_dim)
        fc_logvar = nn.Linear(features, spec.latent_dim)
        decoder_node = spec.part("decoder")
        decoder = _sequential(decoder_node, strict)
        leaves = list(decoder_node.leaves()) if decoder_node else []
        recon = "bce" if leaves and leaves[-1].kind == "sigmoid" else "mse"
        model = M.VAE(encoder, fc_mu, fc_logvar, decoder, recon_loss=recon)
    elif spec.kind == "gan":
        assert spec.latent_dim is not None
        model = M.GAN(_sequential(spec.part("generator"), strict),
                      _sequential(spec.part("discriminator"), strict), spec.latent_dim)
    else:  # pragma: no cover - analyze only makes the kinds above
        raise ValueError(f"unknown model kind {spec.kind!r}")
    model.dl_spec = spec
    return model


def build(source: str, *, seed: int | None = None, max_params: int = DEFAULT_MAX_PARAMS,
          strict: bool = False) -> nn.Module:
    """Build a ``torch.nn.Module`` from DSL ``source``.

    Shapes are checked first: any error raises ``DSLError`` (1-based ``line``/``column``)
    before a single tensor is allocated. Legal-but-suspicious declarations emit ``DSLWarning``.
    ``seed`` (or a ``seed N`` line) makes the initial weights reproducible without touching
    torch's global random state. The model carries its declaration as ``model.dl_spec``.
    """
    if not isinstance(source, str):
        raise TypeError(f"build takes DSL text: source must be a string, got "
                        f"{type(source).__name__}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or
                             not 0 <= seed <= MAX_SEED):
        raise ValueError(f"seed must be a whole number in [0, {MAX_SEED}] or None, got {seed!r}")
    if not isinstance(max_params, int) or max_params < 1:
        raise ValueError(f"max_params must be a positive whole number, got {max_params!r}")
    spec = analyze(source, max_params=max_params)
    for w in spec.warnings:
        warnings.warn(DSLWarning(w.message, w.line, w.column), stacklevel=2)
    use_seed = seed if seed is not None else spec.seed
    if seed is not None:
        spec.seed = seed
    try:
        if use_seed is None:
            return build_spec(spec, strict=strict)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(use_seed)
            return build_spec(spec, strict=strict)
    except DSLError as err:
        raise err.with_source(source) from None
