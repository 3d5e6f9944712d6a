"""Model summary widget: a collapsible layer tree with output shapes and parameters, totals, a
memory estimate and a diagram of the network drawn from the spec.

Everything the view draws is in synced state (rows, totals, memory figures), so a static
export shows the same tree and diagram; expanding/collapsing blocks, hovering, selecting and
changing the batch size of the memory estimate all work without a kernel. The rows are small
structured records (no array data), so they travel as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import traitlets as t
from torch import nn

from ..dsl import summarize as _summary
from ..dsl.summarize import ModelSummary, SummaryRow, summary
from ._base import DLWidget, bundle

#: above this many rows, nested blocks start collapsed
COLLAPSE_ROWS = 40


def _row_state(row: SummaryRow) -> dict[str, Any]:
    return {
        "name": row.name, "layer": row.layer, "kind": row.kind, "category": row.category,
        "shape": list(row.output_shape) if row.output_shape is not None else None,
        "params": int(row.params), "trainable": int(row.trainable), "depth": int(row.depth),
        "parent": int(row.parent), "block": bool(row.is_block),
        "line": row.line, "source": row.source,
    }


def initial_collapsed(rows: Sequence[SummaryRow]) -> list[int]:
    """Blocks folded at first: none for small models, the nested ones (depth >= 1) for large."""
    if len(rows) <= COLLAPSE_ROWS:
        return []
    return [i for i, r in enumerate(rows) if r.is_block and r.depth >= 1]


class ModelSummaryWidget(DLWidget):
    """The summary of a model: tree, shapes, parameters, totals, memory, network diagram."""

    _esm = bundle("model_summary")

    title = t.Unicode("").tag(sync=True)
    kind = t.Unicode("module").tag(sync=True)
    input_shape = t.List(t.Int(), allow_none=True, default_value=None).tag(sync=True)
    output_shape = t.List(t.Int(), allow_none=True, default_value=None).tag(sync=True)
    rows = t.List(t.Dict()).tag(sync=True)
    total_params = t.Int(0).tag(sync=True)
    trainable_params = t.Int(0).tag(sync=True)
    param_bytes = t.Int(0).tag(sync=True)
    buffer_bytes = t.Int(0).tag(sync=True)
    activation_bytes = t.Int(-1).tag(sync=True)  # per sample; -1 when shapes are unknown
    batch_size = t.Int(32).tag(sync=True)  # of the training-memory estimate (set in the view)
    adam_states = t.Int(_summary.ADAM_STATES).tag(sync=True)
    warnings = t.List(t.Unicode()).tag(sync=True)
    latent_dim = t.Int(-1).tag(sync=True)  # VAE/GAN latent size, -1 when none
    collapsed = t.List(t.Int()).tag(sync=True)  # row indices of folded blocks
    selected = t.Int(-1).tag(sync=True)  # row index picked in the tree or the diagram

    def __init__(self, model: nn.Module | ModelSummary, input_shape: Sequence[int] | None = None,
                 *, name: str = "", batch_size: int = 32) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__} {name!r:.40}")
        if isinstance(model, ModelSummary):
            info = model
        elif isinstance(model, nn.Module):
            info = summary(model, input_shape, batch_size=batch_size, name=name)
        else:
            raise TypeError("ModelSummaryWidget takes an nn.Module or a ModelSummary, got "
                            f"{type(model).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
        self.summary = info
        mem = info.memory
        super().__init__(
            title=info.name or name, kind=info.kind,
            input_shape=list(info.input_shape) if info.input_shape is not None else None,
            output_shape=list(info.output_shape) if info.output_shape is not None else None,
            rows=[_row_state(r) for r in info.rows],
            total_params=info.total_params, trainable_params=info.trainable_params,
            param_bytes=mem.param_bytes, buffer_bytes=mem.buffer_bytes,
            activation_bytes=-1 if mem.activation_bytes is None else mem.activation_bytes,
            batch_size=batch_size if not isinstance(model, ModelSummary) else mem.batch_size,
            warnings=list(info.warnings), collapsed=initial_collapsed(info.rows),
            latent_dim=-1 if info.latent_dim is None else int(info.latent_dim),
        )

    @t.validate("batch_size")
    def _check_batch(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        if not 1 <= value <= 1_000_000:
            raise t.TraitError(f"batch_size must be between 1 and 1,000,000, got {value}")
        return value

    @t.validate("selected")
    def _check_selected(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        if not -1 <= value < len(self.rows):
            raise t.TraitError(f"selected must be -1 or a row index below {len(self.rows)}, "
                               f"got {value}")
        return value

    @property
    def training_bytes(self) -> int | None:
        """Training memory estimate for the batch size chosen in the view (see docs/dsl.md)."""
        if self.activation_bytes < 0:
            return None
        return (self.param_bytes * (2 + self.adam_states) + self.buffer_bytes
                + 2 * self.batch_size * self.activation_bytes)

    @property
    def selected_row(self) -> SummaryRow | None:
        """The row picked in the browser (tree or diagram), or None."""
        return self.summary.rows[self.selected] if self.selected >= 0 else None

    def visible_rows(self) -> list[int]:
        """Indices of rows not hidden inside a collapsed block (what the tree shows)."""
        folded = set(self.collapsed)
        hidden: set[int] = set()
        out = []
        for i, row in enumerate(self.rows):
            parent = row["parent"]
            if parent in hidden or parent in folded:
                hidden.add(i)
                continue
            out.append(i)
        return out

    def collapse(self, name: str | None = None) -> None:
        """Fold the block with module path ``name`` (every block when None)."""
        blocks = [i for i, r in enumerate(self.rows) if r["block"]]
        if name is None:
            self.collapsed = blocks
            return
        matches = [i for i in blocks if self.rows[i]["name"] == name]
        if not matches:
            names = [self.rows[i]["name"] for i in blocks if self.rows[i]["name"]]
            raise ValueError(f"no block named {name!r}; blocks: {', '.join(names) or 'none'}")
        self.collapsed = sorted(set(self.collapsed) | set(matches))

    def expand(self, name: str | None = None) -> None:
        """Unfold the block ``name`` (every block when None)."""
        if name is None:
            self.collapsed = []
            return
        self.collapsed = [i for i in self.collapsed if self.rows[i]["name"] != name]

    def __repr__(self) -> str:
        return self.summary.to_text()


def _factory(info: ModelSummary) -> ModelSummaryWidget:
    return ModelSummaryWidget(info)


_summary.widget_factory = _factory
