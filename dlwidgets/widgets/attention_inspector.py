"""Attention inspector: the per-head weights of every ``nn.MultiheadAttention`` in a model.

The engine (``dlwidgets.engine.attention``) runs the model once with hooks and records each
attention call's weights ``(heads, T_query, T_key)`` exactly as the layer returns them with
``need_weights=True, average_attn_weights=False``, and the cells its masks hide. All of it goes
into synced state as binary arrays, so the heads view (lines from queries to keys), the matrix
view (one heatmap per layer and head) and hovering work in the browser alone, also in a static
export. Tokens are plain strings drawn as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import traitlets as t
from torch import nn

from ..engine.attention import (
    AttentionTrace,
    as_sequence,
    capture_attention,
    head_detail,
    projections,
)
from ._base import DLWidget, bundle
from ._traits import Array, ArrayDict, array_dict_serialization

#: Longest sequence (queries or keys) the inspector shows.
MAX_TOKENS = 512
#: Largest number of weights (all layers and heads together) sent to the browser:
#: 12 layers × 12 heads × 512 × 512.
MAX_WEIGHTS = 12 * 12 * 512 * 512
MAX_TOKEN_CHARS = 40
#: Largest number of projected q, k, v values (all layers) sent for the drill-down.
MAX_PROJECTED = 8_000_000


def _token_lists(tokens: Any) -> list[list[str]]:
    """``tokens`` as one or several lists of strings (several for a seq2seq model)."""
    if tokens is None:
        return []
    if isinstance(tokens, str):
        raise ValueError("tokens must be a list of strings, one per position, not one string")
    items = list(tokens)
    if items and all(isinstance(x, (list, tuple)) for x in items):
        return [[str(s) for s in x] for x in items]
    return [[str(s) for s in items]]


def _labels(length: int, lists: list[list[str]]) -> list[str]:
    for names in lists:
        if len(names) == length:
            return [n if len(n) <= MAX_TOKEN_CHARS else n[: MAX_TOKEN_CHARS - 1] + "…"
                    for n in names]
    return [str(i) for i in range(length)]


class AttentionInspector(DLWidget):
    """``AttentionInspector(model, inputs, tokens=None)``: every attention layer's weights.

    ``inputs`` is one sequence: (T, F) or (1, T, F) features, (T,) or (1, T) token ids for a
    model that starts with an embedding, or a tuple of such for a forward that takes several
    inputs (seq2seq). ``tokens``: a list of strings (one per position), or one list per input.
    """

    _esm = bundle("attention_inspector")

    layers = t.List(t.Unicode()).tag(sync=True)
    heads = t.List(t.Int()).tag(sync=True)
    cross = t.List(t.Bool()).tag(sync=True)
    query_tokens = t.List(t.List(t.Unicode())).tag(sync=True)
    key_tokens = t.List(t.List(t.Unicode())).tag(sync=True)
    attention = ArrayDict(values=Array("float32", ndim=3)).tag(
        sync=True, **array_dict_serialization)
    masks = ArrayDict(values=Array("uint8", ndim=2)).tag(sync=True, **array_dict_serialization)
    #: "q0", "k0", "v0", …: each layer's projected queries (T_query, E), keys and values
    #: (T_key, E) for the drill-down; empty when too large (see MAX_PROJECTED)
    projected = ArrayDict(values=Array("float32", ndim=2)).tag(
        sync=True, **array_dict_serialization)
    layer = t.Int(0).tag(sync=True)
    view = t.Unicode("heads").tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(self, model: nn.Module, inputs: Any, tokens: Sequence[Any] | None = None,
                 **kwargs: Any) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        super().__init__(**kwargs)
        self._model = model
        if isinstance(inputs, tuple):
            args: tuple[Any, ...] = tuple(as_sequence(model, v, f"inputs[{i}]")
                                          for i, v in enumerate(inputs))
        else:
            args = (as_sequence(model, inputs),)
        self._trace: AttentionTrace = capture_attention(model, args)
        self._check_size()
        lists = _token_lists(tokens)
        lengths = {n for c in self._trace.calls for n in (c.query.shape[0], c.key.shape[0])}
        for names in lists:
            if len(names) not in lengths:
                raise ValueError(f"tokens has {len(names)} entries but the attention layers see "
                                 f"sequences of {' or '.join(str(n) for n in sorted(lengths))}")
        self._tokens = lists
        calls = self._trace.calls
        self.layers = self._trace.layers
        self.heads = [c.module.num_heads for c in calls]
        self.cross = [bool(c.cross) for c in calls]
        self.query_tokens = [_labels(c.query.shape[0], lists) for c in calls]
        self.key_tokens = [_labels(c.key.shape[0], lists) for c in calls]
        self.attention = {str(i): c.weights.astype(np.float32) for i, c in enumerate(calls)}
        self.masks = {str(i): c.masked().astype(np.uint8) for i, c in enumerate(calls)}
        self.projected = self._projected()

    def _projected(self) -> dict[str, np.ndarray]:
        plain = {i: c for i, c in enumerate(self._trace.calls)
                 if c.module.bias_k is None and not c.module.add_zero_attn}
        total = sum((c.query.shape[0] + 2 * c.key.shape[0]) * c.module.embed_dim
                    for c in plain.values())
        if total > MAX_PROJECTED:
            return {}
        return {f"{name}{i}": value for i, call in plain.items()
                for name, value in zip("qkv", projections(call))}

    @classmethod
    def demo(cls, digits: str = "31415926", **kwargs: Any) -> AttentionInspector:
        """The built-in demo: a one-head transformer trained to reverse 8 digits (its weights
        ship with the package); each query attends to the mirrored key (the anti-diagonal)."""
        from ..engine.attention_demo import STEPS, reversal_demo

        if len(digits) != STEPS or not digits.isdigit():
            raise ValueError(f"digits must be {STEPS} digits, e.g. '31415926', got {digits!r}")
        ids = torch.tensor([int(c) for c in digits])
        return cls(reversal_demo(), ids, tokens=list(digits), **kwargs)

    def _check_size(self) -> None:
        total = 0
        for call in self._trace.calls:
            h, tq, tk = call.weights.shape
            if max(tq, tk) > MAX_TOKENS:
                raise ValueError(f"inputs: layer '{call.path}' sees {max(tq, tk)} tokens; the "
                                 f"inspector shows at most {MAX_TOKENS} (cut the sequence)")
            total += h * tq * tk
        if total > MAX_WEIGHTS:
            raise ValueError(f"inputs: {total:,} attention weights over all layers and heads; "
                             f"the inspector shows at most {MAX_WEIGHTS:,} (12 layers × 12 heads "
                             f"× 512 × 512)")

    @t.validate("layer")
    def _valid_layer(self, proposal: Any) -> int:
        value = int(proposal["value"])
        n = len(self.layers)
        if n and not 0 <= value < n:
            raise t.TraitError(f"layer must be between 0 and {n - 1}, got {value}")
        return value

    @t.validate("view")
    def _valid_view(self, proposal: Any) -> str:
        if proposal["value"] not in ("heads", "matrix"):
            raise t.TraitError(f"view must be 'heads' or 'matrix', got {proposal['value']!r}")
        return str(proposal["value"])

    @property
    def tokens(self) -> list[list[str]] | list[str] | None:
        """The tokens given (one list, or one per input), or None."""
        if not self._tokens:
            return None
        return self._tokens[0] if len(self._tokens) == 1 else self._tokens

    @property
    def weights(self) -> np.ndarray:
        """(layers, heads, T_query, T_key): each layer's per-head weights. Layers of other
        sizes (seq2seq: decoder queries, encoder keys) are padded with NaN to the largest."""
        calls = self._trace.calls
        shape = tuple(max(c.weights.shape[d] for c in calls) for d in range(3))
        if all(c.weights.shape == shape for c in calls):
            return np.stack([c.weights for c in calls])
        out = np.full((len(calls), *shape), np.nan, dtype=np.float32)
        for i, c in enumerate(calls):
            h, q, k = c.weights.shape
            out[i, :h, :q, :k] = c.weights
        return out

    def _index(self, layer: int | str) -> int:
        if isinstance(layer, str):
            if layer not in self.layers:
                raise ValueError(f"layer {layer!r} is not an attention layer of the model; "
                                 f"layers: {', '.join(self.layers)}")
            return self.layers.index(layer)
        if not 0 <= int(layer) < len(self.layers):
            raise ValueError(f"layer must be between 0 and {len(self.layers) - 1}, got {layer}")
        return int(layer)

    def detail(self, layer: int | str, head: int, query: int) -> dict[str, np.ndarray]:
        """One query in one head written out: ``q``, ``k``, ``v`` (one row per key),
        ``scores`` (q·k/√d), ``mask`` (added to the scores), ``weights`` (the softmax) and
        ``output`` (the weighted sum of values: that head's slice before the output projection)."""
        return head_detail(self._trace.calls[self._index(layer)], head, query)

    def output(self, layer: int | str) -> torch.Tensor:
        """The layer's output (after its output projection) for the inspected sequence."""
        return self._trace.calls[self._index(layer)].output
