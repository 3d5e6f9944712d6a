"""Attention weights of every ``nn.MultiheadAttention`` in a model, from one forward pass.

Any model works: DSL-built or not, attention called directly, inside
``nn.TransformerEncoder``/``Decoder`` layers (which ask for ``need_weights=False``) or as
seq2seq cross-attention. A pre-hook records each call's query, key, value and masks and asks
the layer for its per-head weights (``need_weights=True, average_attn_weights=False``); a
forward hook keeps them and hands the caller what it asked for, so the model computes the same
outputs. The transformer layers' fused fast path (which would skip the attention module) is
switched off for the pass. The pass runs under ``probes.probing``: the model is unchanged.
"""

from __future__ import annotations

import contextlib
import inspect
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .probes import probing
from .tensors import as_tensor, to_model

_SIGNATURE = inspect.signature(nn.MultiheadAttention.forward)


@dataclass
class AttentionCall:
    """One call of one attention module (batch item 0), with its per-head weights."""

    path: str  # module path in the model ('' for the model itself); '#2' on a second call
    module: nn.MultiheadAttention
    query: torch.Tensor  # (Tq, E)
    key: torch.Tensor  # (Tk, kdim)
    value: torch.Tensor  # (Tk, vdim)
    attn_mask: torch.Tensor | None  # (Tq, Tk) or (heads, Tq, Tk), as the caller gave it
    key_padding_mask: torch.Tensor | None  # (Tk,)
    weights: np.ndarray  # (heads, Tq, Tk) float32
    output: torch.Tensor  # (Tq, E): the layer's output (after the output projection)

    @property
    def cross(self) -> bool:
        """Queries from one sequence, keys from another (seq2seq cross-attention)."""
        return self.query is not self.key and (self.query.shape != self.key.shape
                                                or not torch.equal(self.query, self.key))

    def additive_mask(self) -> torch.Tensor:
        """(heads, Tq, Tk) float: what the layer adds to the scores (−inf where masked)."""
        heads = self.module.num_heads
        tq, tk = self.query.shape[0], self.key.shape[0]
        total = torch.zeros(heads, tq, tk, dtype=torch.float32)
        for mask in (self.attn_mask, self.key_padding_mask):
            if mask is None:
                continue
            m = mask.detach().cpu()
            m = (torch.zeros(m.shape).masked_fill(m, float("-inf")) if m.dtype == torch.bool
                 else m.float())
            total = total + (m if m.ndim == 3 else m.expand(tq, tk) if m.ndim == 1 else m)
        return total

    def masked(self) -> np.ndarray:
        """(Tq, Tk) bool: cells every head is kept from looking at."""
        return np.asarray(torch.isneginf(self.additive_mask()).all(0).numpy())


@dataclass
class AttentionTrace:
    """Every attention call of one forward pass, in the order they ran."""

    calls: list[AttentionCall] = field(default_factory=list)

    @property
    def layers(self) -> list[str]:
        return [c.path for c in self.calls]


def _first(t: torch.Tensor | None, batch_first: bool, batched: bool) -> torch.Tensor | None:
    """Batch item 0 of a (N, T, E)/(T, N, E) tensor (as the module reads it)."""
    if t is None or not batched:
        return t
    return t[0] if batch_first else t[:, 0]


@contextlib.contextmanager
def _no_fast_path() -> Iterator[None]:
    """Transformer layers' fused kernels bypass the attention module: off for the pass."""
    mha = getattr(torch.backends, "mha", None)
    if mha is None or not hasattr(mha, "set_fastpath_enabled"):  # pragma: no cover - old torch
        yield
        return
    before = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(before)


def attention_modules(model: nn.Module) -> list[tuple[str, nn.MultiheadAttention]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)]


def capture_attention(model: nn.Module, inputs: torch.Tensor | tuple[Any, ...]) -> AttentionTrace:
    """Run ``model(*inputs)`` once (under ``probing``) and record every attention call.

    ``inputs``: a tensor (already batched) or a tuple of the forward's arguments. Raises
    ``ValueError`` when the model has no ``nn.MultiheadAttention`` or never calls one.
    """
    found = attention_modules(model)
    if not found:
        raise ValueError(f"model has no attention layer: no nn.MultiheadAttention inside "
                         f"{type(model).__name__}")
    trace = AttentionTrace()
    pending: dict[int, tuple[str, dict[str, Any], bool, bool]] = {}
    seen: dict[str, int] = {}

    def pre(path: str):  # type: ignore[no-untyped-def]
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
                 ) -> tuple[tuple[Any, ...], dict[str, Any]]:
            bound = _SIGNATURE.bind(module, *args, **kwargs)
            bound.apply_defaults()
            kw = dict(bound.arguments)
            kw.pop("self")
            pending[id(module)] = (path, kw, bool(kw["need_weights"]),
                                   bool(kw["average_attn_weights"]))
            kw["need_weights"], kw["average_attn_weights"] = True, False
            return (), kw
        return hook

    def post(module: nn.Module, _args: Any, _kwargs: Any, output: Any) -> Any:
        path, kw, need, average = pending.pop(id(module))
        out, weights = output
        assert isinstance(module, nn.MultiheadAttention)
        batched = kw["query"].dim() == 3
        bf = module.batch_first
        n = seen[path] = seen.get(path, 0) + 1
        attn_mask = kw["attn_mask"]
        if attn_mask is not None and attn_mask.dim() == 3:
            attn_mask = attn_mask[: module.num_heads]
        trace.calls.append(AttentionCall(
            path=path if n == 1 else f"{path}#{n}", module=module,
            query=_first(kw["query"], bf, batched).detach().cpu(),  # type: ignore[union-attr]
            key=_first(kw["key"], bf, batched).detach().cpu(),  # type: ignore[union-attr]
            value=_first(kw["value"], bf, batched).detach().cpu(),  # type: ignore[union-attr]
            attn_mask=None if attn_mask is None else attn_mask.detach().cpu(),
            key_padding_mask=(None if kw["key_padding_mask"] is None
                              else (kw["key_padding_mask"][0] if batched
                                    else kw["key_padding_mask"]).detach().cpu()),
            weights=(weights[0] if batched else weights).detach().float().cpu().numpy(),
            output=_first(out, bf, batched).detach().cpu()))  # type: ignore[union-attr]
        if not need:
            return out, None
        return out, weights.mean(dim=-3) if average else weights

    handles = []
    try:
        for path, module in found:
            handles.append(module.register_forward_pre_hook(pre(path), with_kwargs=True))
            handles.append(module.register_forward_hook(post, with_kwargs=True))
        args = inputs if isinstance(inputs, tuple) else (inputs,)
        with probing(model), _no_fast_path():
            model(*args)
    finally:
        for h in handles:
            h.remove()
    if not trace.calls:
        raise ValueError(f"the model's forward never called its attention layers "
                         f"({', '.join(p or type(model).__name__ for p, _ in found)})")
    return trace


def as_sequence(model: nn.Module, value: Any, what: str = "inputs") -> torch.Tensor:
    """One sequence as a batch of one: (T, F) / (1, T, F) features or (T,) / (1, T) token ids."""
    x = as_tensor(value, what, cast="model")
    if x.is_floating_point():
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[0] != 1:
            raise ValueError(f"{what} must be one sequence of features, (T, F) or (1, T, F), "
                             f"got shape {tuple(x.shape)}")
    else:
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[0] != 1:
            raise ValueError(f"{what} must be one sequence of token ids, (T,) or (1, T), "
                             f"got shape {tuple(x.shape)}")
    return to_model(model, x)


def _projections(module: nn.MultiheadAttention) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
    e = module.embed_dim
    if module._qkv_same_embed_dim:
        w = module.in_proj_weight
        ws = [w[:e], w[e:2 * e], w[2 * e:]]
    else:
        ws = [module.q_proj_weight, module.k_proj_weight, module.v_proj_weight]
    b = module.in_proj_bias
    bs = [None, None, None] if b is None else [b[:e], b[e:2 * e], b[2 * e:]]
    return [(w.detach().cpu().float(), None if bb is None else bb.detach().cpu().float())
            for w, bb in zip(ws, bs)]


def projections(call: AttentionCall) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The call's projected queries (Tq, E), keys and values (Tk, E), every head side by side
    (head h is columns h·d … (h+1)·d − 1), as float32 numpy arrays."""
    (wq, bq), (wk, bk), (wv, bv) = _projections(call.module)
    with torch.no_grad():
        return (F.linear(call.query.float(), wq, bq).numpy(),
                F.linear(call.key.float(), wk, bk).numpy(),
                F.linear(call.value.float(), wv, bv).numpy())


def head_detail(call: AttentionCall, head: int, query: int) -> dict[str, np.ndarray]:
    """The formula for one query in one head, written out: q, each key's k and v, the scores
    q·k/√d, the mask added to them, the softmax, and the weighted sum of the values (that
    head's part of the output before the output projection)."""
    module = call.module
    if module.bias_k is not None or module.add_zero_attn:
        raise ValueError("detail does not cover attention with add_bias_kv or add_zero_attn")
    if not 0 <= head < module.num_heads:
        raise ValueError(f"head must be between 0 and {module.num_heads - 1}, got {head}")
    if not 0 <= query < call.query.shape[0]:
        raise ValueError(f"query must be between 0 and {call.query.shape[0] - 1}, got {query}")
    d = module.head_dim
    part = slice(head * d, (head + 1) * d)
    (wq, bq), (wk, bk), (wv, bv) = _projections(module)
    q = F.linear(call.query.float(), wq, bq)[query, part]
    k = F.linear(call.key.float(), wk, bk)[:, part]
    v = F.linear(call.value.float(), wv, bv)[:, part]
    scores = k @ q / math.sqrt(d)
    mask = call.additive_mask()[head, query]
    weights = torch.softmax(scores + mask, dim=0)
    return {"q": q.numpy(), "k": k.numpy(), "v": v.numpy(), "scores": scores.numpy(),
            "mask": mask.numpy(), "weights": weights.numpy(), "output": (weights @ v).numpy()}
