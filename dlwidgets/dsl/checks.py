"""Warnings for declarations that are legal but probably wrong.

The DSL knows the loss from a ``loss NAME`` line in the declaration; a training call that
names its loss can ask the same question with ``loss_warnings(model, loss)``.
"""

from __future__ import annotations

from typing import Any

from .nodes import LOSSES, ModelSpec, SpecNode, SpecWarning

#: this many hidden sigmoid layers in a row trigger the vanishing-gradient warning
SIGMOID_STACK = 4


def _output_path(spec: ModelSpec) -> list[SpecNode]:
    """Layers whose last one produces what the loss sees."""
    if spec.kind in ("autoencoder", "vae"):
        part = spec.part("decoder")
        return list(part.leaves()) if part else []
    if spec.kind == "gan":
        part = spec.part("discriminator")
        return list(part.leaves()) if part else []
    return [n for n in spec.layers() if n.role not in ("mu", "logvar")]


def _last(spec: ModelSpec) -> SpecNode | None:
    leaves = [n for n in _output_path(spec) if n.kind not in ("dropout", "identity")]
    return leaves[-1] if leaves else None


def last_layer_warnings(spec: ModelSpec, loss: str | None, line: int | None = None
                        ) -> list[SpecWarning]:
    """What is wrong with the output layer for ``loss`` (canonical or alias name)."""
    if loss is None:
        return []
    loss = LOSSES.get(loss.lower(), loss.lower())
    last = _last(spec)
    if last is None:
        return []
    out: list[SpecWarning] = []
    where = (last.line, last.column)
    if loss == "cross_entropy" and last.kind == "softmax":
        out.append(SpecWarning(
            "softmax before a cross-entropy loss: CrossEntropyLoss expects raw scores (logits) "
            "and applies log-softmax itself, so this softmax squashes the gradients; remove it "
            "(apply softmax only when you want probabilities)", *where))
    elif loss == "nll" and last.kind == "softmax":
        out.append(SpecWarning(
            "softmax before nll: NLLLoss expects log-probabilities; use log_softmax instead",
            *where))
    elif loss == "nll" and last.kind != "log_softmax":
        out.append(SpecWarning(
            "nll expects log-probabilities, but the model does not end with log_softmax", *where))
    elif loss == "bce_logits" and last.kind == "sigmoid":
        out.append(SpecWarning(
            "sigmoid before bce_logits: BCEWithLogitsLoss applies the sigmoid itself; remove "
            "this one (or use loss bce)", *where))
    elif loss == "bce" and last.kind != "sigmoid":
        out.append(SpecWarning(
            "bce expects probabilities in [0, 1] but the model does not end with sigmoid; end "
            "with sigmoid or use bce_logits", *where))
    return out


def sigmoid_stack_warnings(spec: ModelSpec) -> list[SpecWarning]:
    """Warn where SIGMOID_STACK or more hidden sigmoid activations follow each other."""
    out: list[SpecWarning] = []
    sequences = ([list(n.leaves()) for n in spec.nodes] if spec.kind != "sequential"
                 else [spec.layers()])
    for leaves in sequences:
        # the output sigmoid does not shrink gradients under bce (its σ' cancels), skip it
        while leaves and leaves[-1].kind in ("dropout", "identity"):
            leaves = leaves[:-1]
        if leaves and leaves[-1].kind == "sigmoid":
            leaves = leaves[:-1]
        run: list[SpecNode] = []
        best: list[SpecNode] = []
        for node in leaves:
            if node.kind == "sigmoid":
                run.append(node)
                if len(run) > len(best):
                    best = list(run)
            elif node.layer is not None and (node.layer.is_activation or node.kind in (
                    "batchnorm", "layernorm")) or node.role == "post":
                run = []
        if len(best) >= SIGMOID_STACK:
            k = len(best)
            out.append(SpecWarning(
                f"{k} sigmoid layers in a row: sigmoid's slope is at most 1/4, so the gradient "
                f"reaching the first of them is scaled by at most (1/4)^{k} = {0.25 ** k:.2g} and "
                "the early layers barely learn; use relu (with he init) or add batchnorm",
                best[0].line, best[0].column))
    return out


def rnn_warnings(spec: ModelSpec) -> list[SpecWarning]:
    out = []
    for node in spec.layers():
        if node.kind in ("rnn", "lstm", "gru") and node.args.get("dropout", 0) > 0 \
                and node.args.get("layers", 1) == 1:
            out.append(SpecWarning(
                f"dropout={node.args['dropout']:g} in a one-layer {node.kind} does nothing: "
                "PyTorch applies it between stacked layers only; add a 'dropout' line after it",
                node.line, node.column))
    return out


def discriminator_warnings(spec: ModelSpec) -> list[SpecWarning]:
    if spec.kind != "gan":
        return []
    part = spec.part("discriminator")
    if part is not None and part.out_shape != (1,):
        return [SpecWarning(f"the discriminator gives {part.out_shape}; a GAN discriminator "
                            "usually ends with one score per sample ('dense 1')", part.line,
                            part.column)]
    return []


def check(spec: ModelSpec) -> list[SpecWarning]:
    """All warnings for a checked declaration."""
    return (last_layer_warnings(spec, spec.loss, spec.loss_line) + sigmoid_stack_warnings(spec)
            + rnn_warnings(spec) + discriminator_warnings(spec))


def loss_warnings(model: Any, loss: str) -> list[str]:
    """Warnings about pairing ``model`` (built by the DSL, or its ``ModelSpec``) with ``loss``;
    for training entry points that learn the loss from their own arguments."""
    spec = model if isinstance(model, ModelSpec) else getattr(model, "dl_spec", None)
    if not isinstance(spec, ModelSpec):
        return []
    return [str(w) for w in last_layer_warnings(spec, loss)]
