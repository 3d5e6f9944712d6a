"""Models of the Playground: the network its controls describe, and what the browser needs to
evaluate any model (a plan of linear layers and activations plus flat weights).

``build_net`` makes the controls' network: hidden blocks Linear -> [BatchNorm1d] -> activation
-> [Dropout] (+ the block's input when ``residual`` and the widths match), then a Linear output
layer giving logits (binary: 1, multiclass: C) or a value (regression).

``describe`` reads any model (the controls' network, a DSL model, a user's ``nn.Module``):
the hidden layers (for the diagram and the neuron maps, read with forward hooks on ``probes``)
and, when the model is a chain of Linear layers and element-wise activations, the browser
``plan``: eval-mode BatchNorm folded into the Linear before it, dropout dropped (identity in
eval mode), a trailing sigmoid/softmax moved into ``output_activation``. Residual blocks and
anything else have no plan: the widget then sends quantised grids computed by torch instead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..suggest import unknown_name

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "silu")
INITS = ("default", "xavier", "he", "zeros")


def check_activation(name: object) -> str:
    key = str(name).strip().lower() if isinstance(name, str) else name
    if key in ("identity", "none"):
        key = "linear"
    if key not in ACTIVATIONS:
        raise ValueError(unknown_name("activation", name, ACTIVATIONS))
    return str(key)


def check_init(name: object) -> str:
    key = str(name).strip().lower() if isinstance(name, str) else name
    key = {"glorot": "xavier", "kaiming": "he"}.get(str(key), key)
    if key not in INITS:
        raise ValueError(unknown_name("init", name, INITS))
    return str(key)


def activation_module(name: str) -> nn.Module:
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity,
            "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU,
            "silu": nn.SiLU}[check_activation(name)]()


class Dropout(nn.Module):
    """``nn.Dropout`` (drop probability ``p``, survivors scaled by 1/(1-p) in training mode,
    identity in eval mode) drawing from its own generator, seeded with the network: a seeded
    lab with dropout trains the same way every time, and never moves torch's global RNG."""

    def __init__(self, p: float, seed: int) -> None:
        super().__init__()
        self.p = float(p)
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.generator.device != x.device:
            self.generator = torch.Generator(x.device).manual_seed(self.seed)
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=self.generator)
        return x * keep / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Block(nn.Module):
    """One hidden layer: Linear -> BatchNorm1d (or identity) -> activation -> Dropout (or
    identity), plus the input when ``residual`` (only where input and output widths match)."""

    def __init__(self, n_in: int, n_out: int, activation: str, *, batch_norm: bool = False,
                 dropout: float = 0.0, residual: bool = False, seed: int = 0) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm: nn.Module = nn.BatchNorm1d(n_out) if batch_norm else nn.Identity()
        self.act = activation_module(activation)
        self.drop: nn.Module = Dropout(dropout, seed) if dropout else nn.Identity()
        self.activation = check_activation(activation)
        self.residual = bool(residual) and n_in == n_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.act(self.norm(self.linear(x))))
        return x + h if self.residual else h


class PlaygroundNet(nn.Sequential):
    """The controls' network: ``Block``s then a Linear output layer named ``out``."""


def build_net(n_inputs: int, hidden: Sequence[int], activations: Sequence[str], outputs: int,
              *, init: str = "default", dropout: float = 0.0, batch_norm: bool = False,
              residual: bool = False, seed: int = 0) -> PlaygroundNet:
    """The network of the controls, initialised from ``seed`` (torch's global RNG untouched)."""
    if len(activations) != len(hidden):
        raise ValueError(f"activations: one per hidden layer ({len(hidden)}), got "
                         f"{len(activations)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers: list[tuple[str, nn.Module]] = []
        width = n_inputs
        for i, (units, act) in enumerate(zip(hidden, activations)):
            layers.append((f"hidden{i + 1}", Block(width, units, act, batch_norm=batch_norm,
                                                   dropout=dropout, residual=residual,
                                                   seed=seed * 1000 + i)))
            width = units
        layers.append(("out", nn.Linear(width, outputs)))
        net = PlaygroundNet(OrderedDict(layers))
        initialise(net, init)
    return net


def initialise(model: nn.Module, init: str) -> None:
    """Re-initialise every Linear: "xavier" (Glorot uniform, variance 2/(fan_in+fan_out)),
    "he" (Kaiming normal, variance 2/fan_in), "zeros" (all weights 0: every neuron of a layer
    stays the same, the symmetry lesson); biases 0. "default" keeps PyTorch's init."""
    init = check_init(init)
    if init == "default":
        return
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                if init == "xavier":
                    nn.init.xavier_uniform_(m.weight)
                elif init == "he":
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                else:
                    nn.init.zeros_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)


# -- reading any model --------------------------------------------------------------------------

_ACT_KINDS: dict[type, str] = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid",
                               nn.LeakyReLU: "leaky_relu", nn.ELU: "elu", nn.GELU: "gelu",
                               nn.SiLU: "silu", nn.Softplus: "softplus"}
_PASS = (nn.Dropout, Dropout, nn.Identity, nn.Flatten, nn.AlphaDropout)
_OUTPUT = (nn.Softmax, nn.LogSoftmax)


def _act_entry(m: nn.Module) -> dict[str, Any]:
    kind = _ACT_KINDS[type(m)]
    entry: dict[str, Any] = {"kind": kind}
    if isinstance(m, nn.LeakyReLU):
        entry["slope"] = float(m.negative_slope)
    elif isinstance(m, nn.ELU):
        entry["alpha"] = float(m.alpha)
    elif isinstance(m, nn.GELU) and m.approximate == "tanh":
        entry["kind"] = "gelu_tanh"
    elif isinstance(m, nn.Softplus):
        entry.update(beta=float(m.beta), threshold=float(m.threshold))
    return entry


def _flatten(module: nn.Module) -> list[nn.Module] | None:
    """The chain of simple modules ``module`` runs, or None when it is not a plain chain.
    Residual ``Block``s stay whole (they are one hidden layer but not a chain)."""
    if isinstance(module, Block):
        if module.residual:
            return [module]
        return [m for m in (module.linear, module.norm, module.act, module.drop)]
    if isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward:
        out: list[nn.Module] = []
        for child in module:
            part = _flatten(child)
            if part is None:
                return None
            out.extend(part)
        return out
    if isinstance(module, (nn.Linear, nn.BatchNorm1d, *_PASS, *_OUTPUT)) or \
            type(module) in _ACT_KINDS:
        return [module]
    return None


@dataclass
class Description:
    """What the widget needs of a model: hidden layers, probes, the output, the browser plan."""

    layers: list[dict[str, Any]]  # hidden layers then the output layer: {units, activation}
    probes: list[nn.Module]  # per hidden layer, the module whose output is its neurons' values
    ends_with: str | None  # "sigmoid" | "softmax" | "log_softmax" | None (raw outputs)
    outputs: int
    mlp: list[dict[str, Any]] = field(default_factory=list)  # empty: no browser plan
    hidden_outputs: list[int] = field(default_factory=list)
    linears: list[tuple[nn.Linear, nn.BatchNorm1d | None]] = field(default_factory=list)
    output_activation: str = "identity"

    @property
    def browser(self) -> bool:
        return bool(self.mlp)

    def weights(self) -> np.ndarray:
        """The plan's weights as one float32 vector: per Linear (BatchNorm folded), weight
        [out, in] row-major then bias [out]. Empty without a plan."""
        if not self.linears:
            return np.zeros(0, np.float32)
        parts: list[torch.Tensor] = []
        with torch.no_grad():
            for lin, bn in self.linears:
                w = lin.weight.detach()
                b = lin.bias.detach() if lin.bias is not None else torch.zeros(
                    lin.out_features, dtype=w.dtype, device=w.device)
                if bn is not None:
                    w, b = fold_batch_norm(w, b, bn)
                parts.append(w.reshape(-1).to(torch.float32))
                parts.append(b.to(torch.float32))
            return torch.cat(parts).cpu().numpy()


def fold_batch_norm(w: torch.Tensor, b: torch.Tensor, bn: nn.BatchNorm1d
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Linear (w, b) followed by eval-mode ``bn`` as one Linear (computed in float64):
    bn(y) = (y - mean) / sqrt(var + eps) * gamma + beta, so w' = s·w, b' = s·(b - mean) + beta
    with s = gamma / sqrt(var + eps)."""
    assert bn.running_mean is not None and bn.running_var is not None
    mean = bn.running_mean.detach().double()
    var = bn.running_var.detach().double()
    scale = 1.0 / torch.sqrt(var + bn.eps)
    shift = torch.zeros_like(mean)
    if bn.affine:
        scale = scale * bn.weight.detach().double()
        shift = bn.bias.detach().double()
    w2 = w.double() * scale[:, None]
    b2 = (b.double() - mean) * scale + shift
    return w2.to(w.dtype), b2.to(w.dtype)


def _output_kind(m: nn.Module | None) -> str | None:
    if isinstance(m, nn.Sigmoid):
        return "sigmoid"
    if isinstance(m, nn.Softmax):
        return "softmax"
    if isinstance(m, nn.LogSoftmax):
        return "log_softmax"
    return None


def describe(model: nn.Module, n_inputs: int, task: str) -> Description:
    """Read ``model`` (taking ``n_inputs`` features) for the widget; see the module doc."""
    chain = _flatten(model)
    if chain is None or not any(isinstance(m, (nn.Linear, Block)) for m in chain):
        return _describe_any(model, n_inputs, task)
    # the trailing output function (sigmoid/softmax) leaves the chain: the browser applies it
    ends_with = None
    body = [m for m in chain if not isinstance(m, _PASS)]
    if body and _output_kind(body[-1]) is not None:
        ends_with = _output_kind(body[-1])
        body = body[:-1]
    layers: list[dict[str, Any]] = []
    mlp: list[dict[str, Any]] = []
    hidden_outputs: list[int] = []
    linears: list[tuple[nn.Linear, nn.BatchNorm1d | None]] = []
    browser = True
    width = n_inputs
    current: dict[str, Any] | None = None  # the layer being read
    for m in body:
        if isinstance(m, Block):  # residual: one whole hidden layer, no browser plan
            browser = False
            if current is not None:
                layers.append(current)
            current = {"units": m.linear.out_features, "activation": m.activation, "probe": m}
            width = m.linear.out_features
            continue
        if isinstance(m, nn.Linear):
            if current is not None:
                layers.append(current)
            if m.in_features != width:
                browser = False
            width = m.out_features
            current = {"units": m.out_features, "activation": "linear", "probe": m}
            linears.append((m, None))
            mlp.append({"kind": "linear", "rows": m.out_features, "cols": m.in_features})
            continue
        if current is None:  # an activation or norm before the first Linear
            browser = False
            continue
        if isinstance(m, nn.BatchNorm1d):
            last = linears[-1] if linears else None
            if (last is None or last[1] is not None or current["probe"] is not last[0]
                    or not m.track_running_stats or m.running_mean is None):
                browser = False  # only a BatchNorm right after a Linear folds into it
            else:
                linears[-1] = (last[0], m)
            current["probe"] = m
            continue
        if type(m) in _ACT_KINDS:
            entry = _act_entry(m)
            mlp.append(entry)
            current["activation"] = entry["kind"] if current["activation"] == "linear" else \
                f"{current['activation']}+{entry['kind']}"
            current["probe"] = m
            continue
        browser = False  # a softmax in the middle, or anything else
    if current is not None:
        layers.append(current)
    if not layers:
        return _describe_any(model, n_inputs, task)
    # index into mlp after which each hidden layer's neurons are read (post-activation)
    if browser:
        idx = -1
        linear_seen = 0
        for i, entry in enumerate(mlp):
            if entry["kind"] == "linear":
                if linear_seen:
                    hidden_outputs.append(idx)
                linear_seen += 1
            idx = i
    out_layer = layers[-1]
    hidden = layers[:-1]
    outputs = int(out_layer["units"])
    description = Description(
        layers=[{"units": int(lay["units"]), "activation": lay["activation"]} for lay in hidden],
        probes=[lay["probe"] for lay in hidden], ends_with=ends_with, outputs=outputs)
    description.output_activation = _output_activation(ends_with, task, outputs)
    description.layers.append({"units": outputs, "activation": description.output_activation
                               if out_layer["activation"] == "linear" else
                               out_layer["activation"]})
    if browser and ends_with != "log_softmax":
        description.mlp = mlp
        description.hidden_outputs = hidden_outputs
        description.linears = linears
    return description


def _output_activation(ends_with: str | None, task: str, outputs: int) -> str:
    if task == "regression":
        return "identity"
    if ends_with in ("softmax", "log_softmax") or outputs > 1:
        return "softmax"
    return "sigmoid"


def _describe_any(model: nn.Module, n_inputs: int, task: str) -> Description:
    """Any other module: hidden layers are its activation modules' outputs, in order; no plan."""
    acts = [m for m in model.modules() if type(m) in _ACT_KINDS]
    last = list(model.modules())[-1] if len(list(model.modules())) > 1 else None
    ends_with = _output_kind(last)
    if ends_with == "sigmoid" and acts and acts[-1] is last:
        acts = acts[:-1]
    units: dict[int, int] = {}
    hooks = [m.register_forward_hook(
        lambda mod, _i, out: units.__setitem__(id(mod), int(out.shape[-1]))
        if isinstance(out, torch.Tensor) and out.ndim == 2 else None) for m in acts]
    try:
        out = probe_forward(model, torch.zeros(2, n_inputs))
    finally:
        for h in hooks:
            h.remove()
    acts = [m for m in acts if id(m) in units]
    outputs = int(out.shape[-1]) if out.ndim == 2 else 1
    activation = _output_activation(ends_with, task, outputs)
    return Description(
        layers=[{"units": units[id(m)], "activation": _ACT_KINDS[type(m)]} for m in acts]
        + [{"units": outputs, "activation": activation}],
        probes=acts, ends_with=ends_with, outputs=outputs, output_activation=activation)


def probe_forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)`` in eval mode without gradients, its mode restored (looking changes nothing)."""
    from .probes import probing

    dev = next((p.device for p in model.parameters()), torch.device("cpu"))
    with probing(model):
        out = model(x.to(dev))
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"model: returns {type(out).__name__}, the Playground needs one tensor "
                         "of outputs")
    return out


def probabilities(out: torch.Tensor, ends_with: str | None, task: str) -> torch.Tensor:
    """Model outputs -> what the lab shows: P(class 1) (N,), class probabilities (N, C), or the
    regression value (N,)."""
    if out.ndim == 1:
        out = out[:, None]
    if task == "regression":
        return out[:, 0]
    if out.shape[1] == 1:
        return out[:, 0] if ends_with == "sigmoid" else torch.sigmoid(out[:, 0])
    if ends_with == "softmax":
        p = out
    elif ends_with == "log_softmax":
        p = out.exp()
    else:
        p = F.softmax(out, dim=1)
    return p[:, 1] if task == "binary" else p


def loss_for(description: Description, task: str, classes: int) -> tuple[Any, str]:
    """(loss for fit, target form "binary" (N, 1) floats | "index" (N,) ints | "value" (N, 1))."""
    out, ends = description.outputs, description.ends_with
    if task == "regression":
        if out != 1:
            raise ValueError(f"model: regression needs 1 output, the model has {out}")
        return "mse", "value"
    if task == "binary" and out == 1:
        return ("bce" if ends == "sigmoid" else "bce_with_logits"), "binary"
    if out != classes:
        raise ValueError(f"model: the data has {classes} classes, so the model needs "
                         f"{'1 or 2 outputs' if classes == 2 else f'{classes} outputs'}, it has "
                         f"{out}")
    if ends == "softmax":
        return _nll_of_probabilities, "index"
    if ends == "log_softmax":
        return "nll", "index"
    return "cross_entropy", "index"


def _nll_of_probabilities(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of a model that already ends in softmax."""
    return F.nll_loss(torch.log(out.clamp_min(1e-12)), target)


def first_linear_inputs(model: nn.Module) -> int | None:
    lin = next((m for m in model.modules() if isinstance(m, nn.Linear)), None)
    return None if lin is None else int(lin.in_features)
