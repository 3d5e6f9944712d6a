"""Model summary: a tree of layers with output shapes, parameter counts and a memory estimate.

``summary(model)`` works on DSL models without an input (their ``dl_spec`` knows the shapes)
and on any ``nn.Module`` given ``input_shape`` (shapes then come from forward hooks on one
dummy batch). Outside Jupyter it prints as a text table; in a notebook it shows as the
``ModelSummaryWidget`` (registered by dlwidgets.widgets.model_summary, so this module stays
free of widget code).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn as nn

from ..engine.probes import probing
from .nodes import ModelSpec, SpecNode

Shape = tuple[int, ...]

#: set by dlwidgets.widgets.model_summary: ModelSummary -> widget shown in notebooks
widget_factory: Callable[[ModelSummary], Any] | None = None

#: optimiser state per parameter assumed by the training estimate (Adam: two moments)
ADAM_STATES = 2

#: Largest tensor (values, over the dummy batch of 2) the shape probe of ``summary`` may make.
#: Shapes are first worked out without allocating (fake tensors), so a too-large input or layer
#: output is refused before any memory is spent.
MAX_SUMMARY_VALUES = 1 << 28


@dataclass
class SummaryRow:
    """One row of the tree: a layer, or a block whose ``params`` include its children."""

    name: str  # module path from the model ('features.0'), '' for a group with no module
    layer: str  # short description: 'Conv2d(1→6, 5x5, pad 2)'
    kind: str  # DSL kind ('conv', 'relu', 'block', 'repeat', ...) or the module class name
    output_shape: Shape | None  # per sample (no batch dimension); None when unknown
    params: int
    trainable: int
    depth: int
    parent: int  # index of the parent row, -1 at the top
    is_block: bool
    line: int | None = None  # DSL line (1-based) when the model came from the DSL
    source: str = ""  # the DSL line's text
    category: str = "other"  # conv deconv pool dense norm activation dropout recurrent attention
    #                          embedding reshape block other: how the diagram draws it


@dataclass
class MemoryEstimate:
    """Rough memory use in bytes (float32 activations; documented in docs/dsl.md).

    forward = parameters + buffers + batch × activations;
    training = parameters × (1 weight + 1 gradient + 2 Adam moments) + buffers
               + 2 × batch × activations (kept for backward, plus their gradients).
    """

    param_bytes: int
    buffer_bytes: int
    activation_bytes: int | None  # per sample: every layer's output
    batch_size: int = 32

    @property
    def forward_bytes(self) -> int | None:
        if self.activation_bytes is None:
            return None
        return self.param_bytes + self.buffer_bytes + self.batch_size * self.activation_bytes

    @property
    def training_bytes(self) -> int | None:
        if self.activation_bytes is None:
            return None
        return (self.param_bytes * (2 + ADAM_STATES) + self.buffer_bytes
                + 2 * self.batch_size * self.activation_bytes)


def human_bytes(n: int | None) -> str:
    """1536 -> '1.5 KiB'."""
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover


def fmt_shape(shape: Shape | None) -> str:
    """(6, 28, 28) -> '6x28x28'; None -> '?'."""
    if shape is None:
        return "?"
    return "x".join(str(s) for s in shape) if shape else "scalar"


@dataclass
class ModelSummary:
    """What ``dlwidgets.summary(model)`` returns: ``rows`` plus totals and a memory estimate."""

    rows: list[SummaryRow]
    total_params: int
    trainable_params: int
    input_shape: Shape | None
    output_shape: Shape | None
    memory: MemoryEstimate
    kind: str = "module"  # 'sequential', 'autoencoder', 'vae', 'gan' or 'module'
    name: str = ""
    warnings: list[str] = field(default_factory=list)
    latent_dim: int | None = None
    _widget: Any = field(default=None, repr=False, compare=False)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def layers(self) -> list[SummaryRow]:
        """The leaf rows (no blocks)."""
        return [r for r in self.rows if not r.is_block]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-able) of the whole summary."""
        return {
            "name": self.name, "kind": self.kind,
            "input_shape": list(self.input_shape) if self.input_shape else None,
            "output_shape": list(self.output_shape) if self.output_shape else None,
            "total_params": self.total_params, "trainable_params": self.trainable_params,
            "memory": {**asdict(self.memory), "forward_bytes": self.memory.forward_bytes,
                       "training_bytes": self.memory.training_bytes},
            "warnings": list(self.warnings), "latent_dim": self.latent_dim,
            "rows": [{**asdict(r), "output_shape": list(r.output_shape)
                      if r.output_shape is not None else None} for r in self.rows],
        }

    def to_text(self, width: int = 88) -> str:
        """The summary as a plain-text table."""
        title = f"Model{' ' + self.name if self.name else ''} ({self.kind})"
        if self.input_shape is not None:
            title += f" · input {fmt_shape(self.input_shape)}"
        if self.output_shape is not None:
            title += f" → {fmt_shape(self.output_shape)}"
        head = ("Layer", "Output shape", "Params")
        cells: list[tuple[str, str, str]] = []
        for row in self.rows:
            short = row.name.rsplit(".", 1)[-1]
            label = "  " * row.depth
            if row.name and row.layer.lower() in (short.lower(), "block"):
                label += short
            else:
                label += (f"{short}: " if row.name else "") + row.layer
            cells.append((label, fmt_shape(row.output_shape),
                          f"{row.params:,}" if row.params or not row.is_block else ""))
        w2 = max([len(head[1])] + [len(c[1]) for c in cells])
        w3 = max([len(head[2])] + [len(c[2]) for c in cells])
        w1 = max(20, min(width - w2 - w3 - 4, max([len(head[0])] + [len(c[0]) for c in cells])))

        def line(a: str, b: str, c: str) -> str:
            if len(a) > w1:
                a = a[: w1 - 1] + "…"
            return f"{a:<{w1}}  {b:>{w2}}  {c:>{w3}}"

        rule = "─" * (w1 + w2 + w3 + 4)
        out = [title, rule, line(*head), rule]
        out += [line(*c) for c in cells]
        out.append(rule)
        out.append(f"Total params: {self.total_params:,}   trainable: {self.trainable_params:,}"
                   f"   non-trainable: {self.non_trainable_params:,}")
        m = self.memory
        out.append(f"Memory: parameters {human_bytes(m.param_bytes)}"
                   + (f", buffers {human_bytes(m.buffer_bytes)}" if m.buffer_bytes else "")
                   + f", activations {human_bytes(m.activation_bytes)} per sample"
                   + f"; training ≈ {human_bytes(m.training_bytes)} (batch {m.batch_size}, Adam)")
        for w in self.warnings:
            out.append(f"warning: {w}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.to_text())

    def widget(self) -> Any:
        """The interactive summary widget (a ``ModelSummaryWidget``)."""
        if self._widget is None:
            if widget_factory is None:  # importing the widget module registers it
                import importlib

                importlib.import_module("dlwidgets.widgets.model_summary")
            if widget_factory is None:
                raise RuntimeError("the summary widget is not available "
                                   "(dlwidgets.widgets.model_summary registers it)")
            self._widget = widget_factory(self)
        return self._widget

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> tuple[dict[str, Any], dict[str, Any]]:
        data: dict[str, Any] = {"text/plain": self.to_text()}
        meta: dict[str, Any] = {}
        if _in_kernel():
            try:
                bundle = self.widget()._repr_mimebundle_()
            except Exception:  # noqa: BLE001 - a broken front end must not hide the text
                bundle = None
            if isinstance(bundle, tuple):  # anywidget gives (data, metadata)
                bundle, extra = bundle
                meta.update(extra or {})
            if bundle:
                data.update({k: v for k, v in bundle.items() if k != "text/plain"})
        return data, meta


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can render)."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# ---------------------------------------------------------------- building summaries

_DSL_CATEGORY = {
    "dense": "dense", "flatten": "reshape", "reshape": "reshape", "transpose": "reshape",
    "upsample": "reshape", "dropout": "dropout", "batchnorm": "norm", "layernorm": "norm",
    "embedding": "embedding", "rnn": "recurrent", "lstm": "recurrent", "gru": "recurrent",
    "attention": "attention", "transformer": "attention", "positional": "embedding",
}


def category_of(kind: str, module: nn.Module | None = None, is_block: bool = False) -> str:
    """Drawing category of a DSL kind (or, for other models, of a module's class)."""
    from .layers import ACTIVATION_NAMES

    if is_block:
        return "block"
    if module is not None:
        return _module_category(module)
    if kind in _DSL_CATEGORY:
        return _DSL_CATEGORY[kind]
    if kind in ACTIVATION_NAMES:
        return "activation"
    if kind.startswith("deconv"):
        return "deconv"
    if kind.startswith("conv"):
        return "conv"
    if "pool" in kind:
        return "pool"
    return "other"


def _module_category(module: nn.Module) -> str:
    table: list[tuple[tuple[type, ...], str]] = [
        ((nn.modules.conv._ConvTransposeNd,), "deconv"),
        ((nn.modules.conv._ConvNd,), "conv"),
        ((nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd,
          nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd,
          nn.LPPool1d, nn.LPPool2d), "pool"),
        ((nn.Linear, nn.Bilinear, nn.LazyLinear), "dense"),
        ((nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm), "norm"),
        ((nn.modules.dropout._DropoutNd,), "dropout"),
        ((nn.RNNBase,), "recurrent"),
        ((nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer,
          nn.TransformerEncoder, nn.TransformerDecoder, nn.Transformer), "attention"),
        ((nn.Embedding, nn.EmbeddingBag), "embedding"),
        ((nn.Flatten, nn.Unflatten, nn.Upsample), "reshape"),
    ]
    for classes, name in table:
        if isinstance(module, classes):
            return name
    if type(module).__module__ == "torch.nn.modules.activation":
        return "activation"
    return "other"


def _count(module: nn.Module) -> tuple[int, int]:
    total = trainable = 0
    for p in module.parameters():
        total += p.numel()
        if p.requires_grad:
            trainable += p.numel()
    return total, trainable


def _memory(model: nn.Module, rows: list[SummaryRow], batch_size: int,
            known: bool) -> MemoryEstimate:
    seen: set[int] = set()
    param_bytes = 0
    for p in model.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            param_bytes += p.numel() * p.element_size()
    buffer_bytes = sum(b.numel() * b.element_size() for b in model.buffers())
    activation: int | None = None
    if known:
        activation = sum(4 * math.prod(r.output_shape) for r in rows
                         if not r.is_block and r.output_shape is not None)
    return MemoryEstimate(param_bytes, buffer_bytes, activation, batch_size)


def _totals(model: nn.Module) -> tuple[int, int]:
    seen: set[int] = set()
    total = trainable = 0
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        if p.requires_grad:
            trainable += p.numel()
    return total, trainable


def _spec_rows(model: nn.Module, spec: ModelSpec) -> list[SummaryRow]:
    rows: list[SummaryRow] = []

    def visit(node: SpecNode, depth: int, parent: int) -> None:
        params, trainable = node.params, node.params
        if node.path:
            try:
                params, trainable = _count(model.get_submodule(node.path))
            except AttributeError:
                pass
        elif node.children:
            params = trainable = 0
        index = len(rows)
        rows.append(SummaryRow(node.path, node.label, node.kind, tuple(node.out_shape), params,
                               trainable, depth, parent, node.layer is None, node.line,
                               node.source, category_of(node.kind, None, node.layer is None)))
        for child in node.children:
            visit(child, depth + 1, index)
        if not node.path and node.children:
            kids = [r for r in rows[index + 1:] if r.parent == index]
            rows[index].params = sum(r.params for r in kids)
            rows[index].trainable = sum(r.trainable for r in kids)

    for node in spec.nodes:
        visit(node, 0, -1)
    return rows


def _describe(module: nn.Module) -> str:
    name = type(module).__name__
    extra = module.extra_repr()
    if extra and len(extra) <= 60:
        return f"{name}({extra})"
    return name


class SummaryTooLarge(ValueError):
    """The shape probe of ``summary`` would make a tensor over ``MAX_SUMMARY_VALUES``."""


def _check_probe_size(what: str, shape: Sequence[int], input_shape: Sequence[int]) -> None:
    values = math.prod(int(s) for s in shape)
    if values > MAX_SUMMARY_VALUES:
        raise SummaryTooLarge(
            f"input_shape={tuple(input_shape)} is too large to summarize: {what} would hold "
            f"{values:,} values ({human_bytes(values * 4)} as float32, batch of 2), over the "
            f"limit of {MAX_SUMMARY_VALUES:,}. Parameter counts do not depend on the input: "
            "pass a smaller input_shape")


def _fake_forward(model: nn.Module, batch_shape: Shape, kind: torch.dtype,
                  device: torch.device) -> Any:
    """The model's output on a batch of fake tensors (shapes only, no memory), or None when
    that cannot be done: lazy layers (a fake run would initialize them) or a forward that
    needs real values (``.item()``, numpy)."""
    if any(isinstance(t, (nn.parameter.UninitializedParameter, nn.parameter.UninitializedBuffer))
           for t in (*model.parameters(), *model.buffers())):
        return None
    try:
        from torch._subclasses.fake_tensor import FakeTensorMode
    except ImportError:  # pragma: no cover - every supported torch has it
        return None
    try:
        with FakeTensorMode(allow_non_fake_inputs=True), torch.no_grad():
            return model(torch.zeros(batch_shape, dtype=kind, device=device))
    except Exception:  # noqa: BLE001 - the real run reports what is wrong, if anything
        return None


def _in_training(model: nn.Module) -> bool:
    """Whether a fit started by dlwidgets is training ``model`` (or a module of it) now."""
    from ..engine.fit import running_trainings

    mine = {id(m) for m in model.modules()}
    return any(mine & {id(m) for m in h.model.modules()} for h in running_trainings())


def _hook_rows(model: nn.Module, input_shape: Shape | None, dtype: torch.dtype | None
               ) -> tuple[list[SummaryRow], Shape | None]:
    named = [(n, m) for n, m in model.named_modules() if n]
    shapes: dict[str, Shape] = {}
    output: Shape | None = None
    if input_shape is not None:
        handles = []

        def hook_for(name: str) -> Callable[..., None]:
            def hook(_m: nn.Module, _inp: Any, out: Any) -> None:
                if name in shapes:
                    return
                while isinstance(out, (tuple, list)) and out:
                    out = out[0]
                if isinstance(out, torch.Tensor) and out.dim() >= 1:
                    shapes[name] = tuple(int(s) for s in out.shape[1:])
            return hook

        for name, module in named:
            handles.append(module.register_forward_hook(hook_for(name)))
        try:
            param = next(model.parameters(), None)
            device = param.device if param is not None else torch.device("cpu")
            kind = dtype or (param.dtype if param is not None and param.is_floating_point()
                             else torch.float32)
            _check_probe_size("the input", (2, *input_shape), input_shape)
            with probing(model):  # eval mode, no autograd, RNG and training flags kept
                out = _fake_forward(model, (2, *input_shape), kind, device)
                if out is not None:  # shapes known without allocating: refuse what is too big
                    for name, shape in shapes.items():
                        _check_probe_size(f"the output of {name!r}", (2, *shape), input_shape)
                    first = out
                    while isinstance(first, (tuple, list)) and first:
                        first = first[0]
                    if isinstance(first, torch.Tensor):
                        _check_probe_size("the model's output", tuple(first.shape), input_shape)
                else:  # the fake run was not possible: a real one (its input checked above)
                    shapes.clear()
                    x = torch.zeros((2, *input_shape), dtype=kind, device=device)
                    out = model(x)
            while isinstance(out, (tuple, list)) and out:
                out = out[0]
            if isinstance(out, torch.Tensor):
                output = tuple(int(s) for s in out.shape[1:])
        except SummaryTooLarge:
            raise
        except Exception as exc:  # noqa: BLE001 - report what the model said, briefly
            raise ValueError(f"input_shape={tuple(input_shape)} does not fit the model: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                             ) from exc
        finally:
            for h in handles:
                h.remove()
    rows: list[SummaryRow] = []
    index: dict[str, int] = {}
    for name, module in named:
        parent_name = name.rsplit(".", 1)[0] if "." in name else ""
        parent = index.get(parent_name, -1)
        depth = name.count(".")
        params, trainable = _count(module)
        index[name] = len(rows)
        has_children = any(True for _ in module.children())
        rows.append(SummaryRow(name, _describe(module), type(module).__name__,
                               shapes.get(name), params, trainable, depth, parent, has_children,
                               category=category_of(type(module).__name__, module,
                                                    has_children)))
    return rows, output


def summary(model: nn.Module, input_shape: Sequence[int] | None = None, *,
            batch_size: int = 32, dtype: torch.dtype | None = None, name: str = ""
            ) -> ModelSummary:
    """Summarize ``model``: rows of (layer, output shape, parameters), totals and memory.

    DSL models need no ``input_shape`` (their ``dl_spec`` has the shapes). Any other module
    needs ``input_shape`` (one sample, without the batch dimension) for output shapes; without
    it the shapes show as unknown. ``batch_size`` sizes the memory estimate.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"summary takes a torch.nn.Module: model must be one, got "
                        f"{type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    shape: Shape | None = None
    if input_shape is not None:
        try:
            shape = tuple(int(s) for s in input_shape)
        except (TypeError, ValueError):
            raise TypeError(f"input_shape must be a sequence of whole numbers, got "
                            f"{input_shape!r}") from None
        if not shape or any(s < 1 for s in shape):
            raise ValueError(f"input_shape must be positive sizes (no batch dimension), got "
                             f"{input_shape!r}")
    spec = getattr(model, "dl_spec", None)
    total, trainable = _totals(model)
    if isinstance(spec, ModelSpec) and (shape is None or shape == spec.input_shape):
        rows = _spec_rows(model, spec)
        return ModelSummary(rows, total, trainable, spec.input_shape, spec.output_shape,
                            _memory(model, rows, batch_size, True), spec.kind, name,
                            [str(w) for w in spec.warnings], spec.latent_dim)
    probed = model
    if shape is not None and _in_training(model):
        # Its forward hooks and eval mode would reach the training thread: probe a copy.
        import copy

        try:
            probed = copy.deepcopy(model)
        except Exception as exc:  # noqa: BLE001 - a module that cannot be copied
            raise RuntimeError(
                "the model is training (dlwidgets.fit) and cannot be copied to summarize it "
                f"({type(exc).__name__}); call summary after the training ends, or stop it "
                "(history.stop())") from None
    rows, output = _hook_rows(probed, shape, dtype)
    return ModelSummary(rows, total, trainable, shape, output,
                        _memory(model, rows, batch_size, shape is not None), "module", name)
