"""One SGD training step of a small feed-forward network, traced layer by layer.

The model is a chain of ``nn.Linear`` layers, each followed by at most one element-wise
activation (an ``nn.Sequential``, nested ones and DSL-built models included). Every number is
computed explicitly with torch tensor ops, the way a lecture writes the chain rule:

forward   z = a_prev · Wᵀ + b,  a = f(z)
loss      L(ŷ, y) and ∂L/∂ŷ
backward  ∂L/∂a (upstream), f′(z), δ = ∂L/∂a ⊙ f′(z), ∂L/∂W = δᵀ · a_prev, ∂L/∂b = Σ δ,
          ∂L/∂a_prev = δ · W
update    w ← w − η · ∂L/∂w

and then checked against autograd (``loss.backward()`` on a copy of the model): the largest
difference is part of the result. The user's model is never touched here; ``apply_update``
writes the new weights into it only when asked.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..suggest import unknown_name
from .tensors import as_tensor

LOSSES: tuple[str, ...] = ("mse", "bce", "cross_entropy")

#: Loss formulas as shown (N: number of output values averaged, B: batch size).
LOSS_FORMULAS: dict[str, tuple[str, str]] = {
    "mse": ("L = (1/N) Σ (ŷ − y)²", "∂L/∂ŷ = (2/N)(ŷ − y)"),
    "bce": ("L = −(1/N) Σ [y log ŷ + (1 − y) log(1 − ŷ)]", "∂L/∂ŷ = (1/N)(ŷ − y) / (ŷ(1 − ŷ))"),
    "cross_entropy": ("L = −(1/B) Σ log softmax(z)_y", "∂L/∂z = (1/B)(softmax(z) − onehot(y)) = (p − y)/B"),
}

#: Activation name -> (formula of f, formula of f′).
ACTIVATION_FORMULAS: dict[str, tuple[str, str]] = {
    "identity": ("a = z", "f′(z) = 1"),
    "sigmoid": ("a = σ(z) = 1 / (1 + e^(−z))", "f′(z) = σ(z)(1 − σ(z))"),
    "tanh": ("a = tanh(z)", "f′(z) = 1 − tanh²(z)"),
    "relu": ("a = max(0, z)", "f′(z) = 1 if z > 0 else 0"),
    "leaky_relu": ("a = z if z ≥ 0 else s·z", "f′(z) = 1 if z > 0 else s"),
}

MAX_LAYERS = 64
MAX_WIDTH = 4096
MAX_BATCH = 1024


@dataclass
class LayerStep:
    """The numbers of one Linear (+ activation) layer; arrays have the batch first."""

    weight_name: str
    bias_name: str | None
    activation: str
    slope: float                  # leaky_relu's negative slope (0 otherwise)
    weight: np.ndarray            # (out, in), before the update
    bias: np.ndarray              # (out,) (zeros when the layer has no bias)
    inputs: np.ndarray            # (B, in): a of the layer below
    z: np.ndarray                 # (B, out)
    a: np.ndarray                 # (B, out)
    upstream: np.ndarray          # (B, out): ∂L/∂a
    fprime: np.ndarray            # (B, out): f′(z)
    delta: np.ndarray             # (B, out): ∂L/∂z
    grad_weight: np.ndarray       # (out, in)
    grad_bias: np.ndarray         # (out,)
    grad_input: np.ndarray        # (B, in): ∂L/∂a of the layer below
    new_weight: np.ndarray        # (out, in)
    new_bias: np.ndarray          # (out,)


@dataclass
class BackpropTrace:
    """One traced training step (see the module docstring)."""

    layers: list[LayerStep]
    x: np.ndarray
    y: np.ndarray
    output: np.ndarray            # ŷ (B, out): the last activation
    loss: str
    lr: float
    loss_value: float
    loss_grad: np.ndarray         # ∂L/∂ŷ (for cross_entropy: ∂L/∂z of the logits)
    autograd_loss: float
    autograd_diff: float          # largest |explicit − autograd| over every gradient
    update_diff: float            # largest |explicit − torch.optim.SGD| over every new weight
    names: list[str] = field(default_factory=list)

    @property
    def grads(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for layer in self.layers:
            out[layer.weight_name] = layer.grad_weight
            if layer.bias_name is not None:
                out[layer.bias_name] = layer.grad_bias
        return out

    @property
    def updated(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for layer in self.layers:
            out[layer.weight_name] = layer.new_weight
            if layer.bias_name is not None:
                out[layer.bias_name] = layer.new_bias
        return out

    @property
    def activations(self) -> list[np.ndarray]:
        return [self.x] + [layer.a for layer in self.layers]


def _activation_of(module: nn.Module) -> tuple[str, float] | None:
    if isinstance(module, nn.Sigmoid):
        return "sigmoid", 0.0
    if isinstance(module, nn.Tanh):
        return "tanh", 0.0
    if isinstance(module, nn.ReLU):
        return "relu", 0.0
    if isinstance(module, nn.LeakyReLU):
        return "leaky_relu", float(module.negative_slope)
    return None


def _flatten(model: nn.Module, prefix: str = "") -> list[tuple[str, nn.Module]]:
    """The leaf modules of (nested) Sequentials, with their dotted names."""
    if isinstance(model, nn.Sequential):
        out: list[tuple[str, nn.Module]] = []
        for name, child in model.named_children():
            out.extend(_flatten(child, f"{prefix}{name}."))
        return out
    return [(prefix[:-1], model)]


@dataclass
class _Layer:
    linear: nn.Linear
    name: str
    activation: str
    slope: float


def layers_of(model: Any) -> list[_Layer]:
    """Linear layers with their activation; ``TypeError`` naming a module it cannot trace."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(model, nn.Sequential):
        if isinstance(model, nn.Linear):
            return [_Layer(model, "", "identity", 0.0)]
        raise TypeError(
            f"model: cannot trace a {type(model).__name__} (its forward may do anything); "
            "use an nn.Sequential of nn.Linear layers and element-wise activations "
            "(Sigmoid, Tanh, ReLU, LeakyReLU)")
    layers: list[_Layer] = []
    for name, module in _flatten(model):
        if isinstance(module, (nn.Identity, nn.Flatten)):
            continue
        if isinstance(module, nn.Linear):
            layers.append(_Layer(module, name, "identity", 0.0))
            continue
        act = _activation_of(module)
        if act is None:
            raise TypeError(
                f"model: cannot trace layer '{name}' ({type(module).__name__}); the stepper "
                "takes nn.Linear layers and element-wise activations (Sigmoid, Tanh, ReLU, "
                "LeakyReLU)")
        if not layers:
            raise TypeError(f"model: layer '{name}' ({type(module).__name__}) comes before any "
                            "nn.Linear; the stepper starts with a Linear layer")
        if layers[-1].activation != "identity":
            raise TypeError(f"model: layer '{name}' ({type(module).__name__}) is a second "
                            "activation after one Linear layer; use one per layer")
        layers[-1].activation, layers[-1].slope = act
    if not layers:
        raise TypeError("model has no nn.Linear layer to trace")
    if len(layers) > MAX_LAYERS:
        raise ValueError(f"model has {len(layers)} Linear layers; the stepper shows at most "
                         f"{MAX_LAYERS}")
    for layer in layers:
        if max(layer.linear.in_features, layer.linear.out_features) > MAX_WIDTH:
            raise ValueError(f"model: layer '{layer.name}' is wider than {MAX_WIDTH}")
    return layers


def check_loss(loss: Any) -> str:
    if not isinstance(loss, str):
        raise TypeError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    key = loss.strip().lower()
    if key not in LOSSES:
        raise ValueError(unknown_name("loss", loss, LOSSES))
    return key


def check_lr(lr: Any) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise TypeError(f"lr must be a number, got {lr!r}")
    value = float(lr)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"lr must be a finite number ≥ 0, got {lr!r}")
    return value


def _activate(name: str, slope: float, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(z) and f′(z), written out."""
    if name == "sigmoid":
        s = 1 / (1 + torch.exp(-z))
        return s, s * (1 - s)
    if name == "tanh":
        t = torch.tanh(z)
        return t, 1 - t * t
    if name == "relu":
        return torch.clamp(z, min=0), (z > 0).to(z.dtype)
    if name == "leaky_relu":
        return torch.where(z >= 0, z, slope * z), torch.where(z > 0, torch.ones_like(z),
                                                               torch.full_like(z, slope))
    return z, torch.ones_like(z)


def _inputs(model_layers: list[_Layer], x: Any, y: Any, loss: str
            ) -> tuple[torch.Tensor, torch.Tensor]:
    first = model_layers[0].linear
    ref = first.weight
    xt = as_tensor(x, "x", sample_axis=False).to(ref)
    if xt.ndim == 0:
        xt = xt.reshape(1, 1)
    if xt.ndim == 1:
        xt = xt[None, :]
    if xt.ndim != 2 or xt.shape[1] != first.in_features:
        raise ValueError(f"x must have shape ({first.in_features},) or (batch, "
                         f"{first.in_features}), got {tuple(xt.shape)}")
    batch = xt.shape[0]
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"x: batch of {batch}; use 1 to {MAX_BATCH} samples")
    out = model_layers[-1].linear.out_features
    if loss == "cross_entropy":
        yt = as_tensor(y, "y", sample_axis=False)
        if yt.ndim == 0:
            yt = yt[None]
        if yt.dtype.is_floating_point and yt.ndim == 1 and bool((yt != yt.round()).any()):
            raise ValueError("y: cross_entropy takes class indices (integers), "
                             f"got {yt.tolist()}")
        yt = yt.long().to(ref.device)
        if yt.shape != (batch,):
            raise ValueError(f"y must hold {batch} class index(es), got shape {tuple(yt.shape)}")
        if bool(((yt < 0) | (yt >= out)).any()):
            raise ValueError(f"y: class indices must be in 0..{out - 1}, got {yt.tolist()}")
        return xt, yt
    yt = as_tensor(y, "y", sample_axis=False).to(ref)
    if yt.ndim <= 1 and yt.numel() == batch * out:
        yt = yt.reshape(batch, out)
    if tuple(yt.shape) != (batch, out):
        raise ValueError(f"y must have shape ({batch}, {out}) (one target per output), got "
                         f"{tuple(yt.shape)}")
    if loss == "bce" and bool(((yt < 0) | (yt > 1)).any()):
        raise ValueError("y: bce targets must be between 0 and 1")
    return xt, yt


def _loss(loss: str, out: torch.Tensor, y: torch.Tensor, last_activation: str
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss value and ∂L/∂ŷ (for cross_entropy ∂L/∂z of the logits), written out."""
    n = out.numel()
    if loss == "mse":
        diff = out - y
        return (diff * diff).sum() / n, 2 * diff / n
    if loss == "bce":
        if bool(((out <= 0) | (out >= 1)).any()):
            raise ValueError("loss 'bce' needs outputs strictly between 0 and 1 (end the "
                             f"model with Sigmoid); the last activation is {last_activation}")
        value = -(y * torch.log(out) + (1 - y) * torch.log(1 - out)).sum() / n
        return value, (out - y) / (out * (1 - out)) / n
    batch = out.shape[0]
    shifted = out - out.max(dim=1, keepdim=True).values
    logp = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    onehot = torch.zeros_like(out)
    onehot[torch.arange(batch), y] = 1
    value = -(logp * onehot).sum() / batch
    return value, (torch.exp(logp) - onehot) / batch


def _torch_loss(loss: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if loss == "mse":
        return F.mse_loss(out, y)
    if loss == "bce":
        return F.binary_cross_entropy(out, y)
    return F.cross_entropy(out, y)


def trace_step(model: nn.Module, x: Any, y: Any, loss: str = "mse", lr: Any = 0.1
               ) -> BackpropTrace:
    """Trace one SGD step of ``model`` on ``(x, y)``; the model itself is left unchanged."""
    loss = check_loss(loss)
    lr = check_lr(lr)
    model_layers = layers_of(model)
    if loss == "cross_entropy" and model_layers[-1].activation != "identity":
        raise ValueError("loss 'cross_entropy' takes logits: end the model with a Linear "
                         f"layer, not {model_layers[-1].activation} (softmax is part of the "
                         "loss)")
    xt, yt = _inputs(model_layers, x, y, loss)
    names = {id(p): n for n, p in model.named_parameters()}

    with torch.no_grad():
        a = xt
        forward: list[dict[str, torch.Tensor]] = []
        for layer in model_layers:
            w = layer.linear.weight.detach()
            b = (layer.linear.bias.detach() if layer.linear.bias is not None
                 else torch.zeros(w.shape[0], dtype=w.dtype, device=w.device))
            z = a @ w.T + b
            act, fprime = _activate(layer.activation, layer.slope, z)
            forward.append({"w": w, "b": b, "inputs": a, "z": z, "a": act, "fprime": fprime})
            a = act
        value, loss_grad = _loss(loss, a, yt, model_layers[-1].activation)

        steps: list[LayerStep | None] = [None] * len(model_layers)
        upstream = loss_grad
        for i in range(len(model_layers) - 1, -1, -1):
            layer, f = model_layers[i], forward[i]
            # for cross_entropy the loss gradient is already ∂L/∂z of the (identity) last layer
            delta = upstream * f["fprime"]
            grad_w = delta.T @ f["inputs"]
            grad_b = delta.sum(dim=0)
            grad_in = delta @ f["w"]
            steps[i] = LayerStep(
                weight_name=names[id(layer.linear.weight)],
                bias_name=(names[id(layer.linear.bias)] if layer.linear.bias is not None
                           else None),
                activation=layer.activation, slope=layer.slope,
                weight=_np(f["w"]), bias=_np(f["b"]), inputs=_np(f["inputs"]), z=_np(f["z"]),
                a=_np(f["a"]), upstream=_np(upstream), fprime=_np(f["fprime"]),
                delta=_np(delta), grad_weight=_np(grad_w), grad_bias=_np(grad_b),
                grad_input=_np(grad_in), new_weight=_np(f["w"] - lr * grad_w),
                new_bias=_np(f["b"] - lr * grad_b))
            upstream = grad_in
    layers = [s for s in steps if s is not None]
    trace = BackpropTrace(layers=layers, x=_np(xt), y=_np(yt), output=_np(a), loss=loss, lr=lr,
                          loss_value=float(value), loss_grad=_np(loss_grad),
                          autograd_loss=math.nan, autograd_diff=math.nan, update_diff=math.nan,
                          names=[layer.name for layer in model_layers])
    _compare_with_autograd(model, xt, yt, trace)
    return trace


def autograd_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str, lr: float
                  ) -> tuple[float, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Loss, gradients (``loss.backward()``) and ``torch.optim.SGD``'s new weights, on a copy."""
    clone = copy.deepcopy(model)
    clone.train()
    for p in clone.parameters():
        p.grad = None
    value = _torch_loss(loss, clone(x), y)
    value.backward()
    grads = {n: _np(p.grad) if p.grad is not None else np.zeros(tuple(p.shape), np.float32)
             for n, p in clone.named_parameters()}
    torch.optim.SGD(clone.parameters(), lr=lr).step()
    new = {n: _np(p.detach()) for n, p in clone.named_parameters()}
    return float(value.detach()), grads, new


def _compare_with_autograd(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                           trace: BackpropTrace) -> None:
    rng = torch.get_rng_state()
    try:
        value, grads, new = autograd_step(model, x, y, trace.loss, trace.lr)
    finally:
        torch.set_rng_state(rng)
    trace.autograd_loss = value
    trace.autograd_diff = max(float(np.max(np.abs(g - grads[n]), initial=0.0))
                              for n, g in trace.grads.items())
    trace.update_diff = max(float(np.max(np.abs(w - new[n]), initial=0.0))
                            for n, w in trace.updated.items())


def apply_update(model: nn.Module, trace: BackpropTrace) -> None:
    """Write the traced step's new weights into ``model`` (what ``optimizer.step()`` would)."""
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in trace.updated.items():
            p = params[name]
            p.copy_(torch.as_tensor(value, dtype=p.dtype, device=p.device))


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


#: Built-in examples: name -> what it is.
DEMOS: dict[str, str] = {
    "2-2-1": "the 2-2-1 sigmoid network of the course notes: x = (2, 1), target 1, "
             "loss (y − ŷ)², η = 0.1",
}


def demo(name: str = "2-2-1") -> tuple[nn.Sequential, torch.Tensor, torch.Tensor, str, float]:
    """Model, x, y, loss and lr of a built-in example."""
    if name not in DEMOS:
        raise ValueError(unknown_name("demo", name, tuple(DEMOS)))
    hidden, output = nn.Linear(2, 2), nn.Linear(2, 1)
    with torch.no_grad():
        hidden.weight.copy_(torch.tensor([[0.5, -1.0], [-0.3, 0.8]]))
        hidden.bias.copy_(torch.tensor([0.2, -0.1]))
        output.weight.copy_(torch.tensor([[1.2, -0.7]]))
        output.bias.copy_(torch.tensor([0.5]))
    model = nn.Sequential(hidden, nn.Sigmoid(), output, nn.Sigmoid())
    return model, torch.tensor([[2.0, 1.0]]), torch.tensor([[1.0]]), "mse", 0.1


HIDDEN_ACTIVATIONS: tuple[str, ...] = ("sigmoid", "tanh", "relu")
INITS: tuple[str, ...] = ("default", "xavier", "he")

_MODULES: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def set_hidden_activation(model: nn.Module, name: str) -> int:
    """Replace the activation after every Linear but the last by ``name`` (in place); the
    output layer keeps its own, since the loss depends on it. Returns how many were replaced."""
    if name not in HIDDEN_ACTIVATIONS:
        raise ValueError(unknown_name("activation", name, HIDDEN_ACTIVATIONS))
    leaves = [(n, m) for n, m in _flatten(model) if not isinstance(m, (nn.Identity, nn.Flatten))]
    last_linear = max(i for i, (_, m) in enumerate(leaves) if isinstance(m, nn.Linear))
    replaced = 0
    for i, (full, module) in enumerate(leaves):
        if i > last_linear or _activation_of(module) is None:
            continue
        parent_name, _, child = full.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, _MODULES[name]())
        replaced += 1
    return replaced


def reinitialize(model: nn.Module, scheme: str, seed: int = 0) -> None:
    """Draw new weights for every Linear layer: PyTorch's default, Xavier/Glorot uniform
    (variance 2/(fan_in + fan_out)) or He/Kaiming uniform (variance 2/fan_in), biases zero for
    the last two. Seeded, and torch's global random stream is left as it was."""
    if scheme not in INITS:
        raise ValueError(unknown_name("init", scheme, INITS))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with torch.no_grad():
            for module in model.modules():
                if not isinstance(module, nn.Linear):
                    continue
                if scheme == "default":
                    module.reset_parameters()
                    continue
                if scheme == "xavier":
                    nn.init.xavier_uniform_(module.weight)
                else:
                    nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)


# ------------------------------------------------------------------------------------------
# Expression graphs (micrograd-style): every operation of a scalar torch expression recorded
# while it runs, then one backward pass; each node's data and gradient.

@dataclass
class ExpressionNode:
    index: int
    op: str                       # "input" for a named input, else the torch op ("mul", "tanh")
    label: str                    # the input's name, or the op with its operands ("n0 * n1")
    parents: list[int]            # indices of the nodes it was computed from
    data: np.ndarray
    grad: np.ndarray              # ∂out/∂node


@dataclass
class ExpressionTrace:
    nodes: list[ExpressionNode]   # in the order they were computed (inputs first)
    value: float
    grads: dict[str, Any]         # input name -> gradient (float for scalars, else an array)


MAX_EXPRESSION_NODES = 200


def _op_name(func: Any) -> str:
    name = getattr(func, "__name__", str(func)).strip("_")
    return name[1:] if name.startswith("r") and name[1:] in ("add", "sub", "mul", "truediv",
                                                             "pow", "matmul") else name


def trace_expression(fn: Any, inputs: dict[str, Any]) -> ExpressionTrace:
    """Run ``fn(**inputs)`` on float64 leaf tensors, recording each torch operation, then
    backpropagate from its (scalar) result; the inputs' gradients equal
    ``torch.autograd.grad``. ``ValueError`` naming the argument for a non-scalar result, no
    inputs, or an input that is not numeric."""
    from torch.overrides import TorchFunctionMode

    if not callable(fn):
        raise TypeError(f"fn must be a function of the inputs, got {type(fn).__name__}")
    if not inputs:
        raise ValueError("expression: give the inputs as keyword arguments, e.g. a=2.0, b=-3.0")
    leaves: dict[str, torch.Tensor] = {}
    for name, value in inputs.items():
        try:
            t = torch.as_tensor(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"expression input {name!r} must be a number or an array of "
                             f"numbers, got {value!r}") from exc
        leaves[name] = t.clone().requires_grad_(True)

    calls: list[tuple[Any, list[torch.Tensor], torch.Tensor]] = []

    class Recorder(TorchFunctionMode):  # type: ignore[misc]
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None
                               ) -> Any:
            out = func(*args, **(kwargs or {}))
            if isinstance(out, torch.Tensor) and out.requires_grad and out.grad_fn is not None:
                tensors = [a for a in _flat(args) if isinstance(a, torch.Tensor)]
                calls.append((func, tensors, out))
            return out

    with torch.enable_grad(), Recorder():
        out = fn(**leaves)
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"expression: fn must return a torch tensor, got {type(out).__name__}")
    if out.numel() != 1:
        raise ValueError(f"expression: fn must return a scalar, got shape {tuple(out.shape)}")
    if len(calls) + len(leaves) > MAX_EXPRESSION_NODES:
        raise ValueError(f"expression has {len(calls)} operations; the stepper shows at most "
                         f"{MAX_EXPRESSION_NODES - len(leaves)}")
    tensors: list[torch.Tensor] = list(leaves.values())
    index = {id(t): i for i, t in enumerate(tensors)}
    records: list[tuple[str, str, list[int]]] = [("input", name, []) for name in leaves]
    for func, args, result in calls:
        if id(result) in index:
            continue
        parents = [index[id(a)] for a in args if id(a) in index]
        op = _op_name(func)
        index[id(result)] = len(tensors)
        tensors.append(result)
        records.append((op, f"{op}({', '.join(f'n{p}' for p in parents)})", parents))
    if id(out) not in index:
        raise ValueError("expression: the result was not computed from the inputs")
    for t in tensors[len(leaves):]:
        t.retain_grad()
    out.sum().backward()
    nodes = [ExpressionNode(i, op, label, parents, _np(t), _np(t.grad) if t.grad is not None
                            else np.zeros(tuple(t.shape)))
             for i, ((op, label, parents), t) in enumerate(zip(records, tensors))]
    grads: dict[str, Any] = {}
    for name, leaf in leaves.items():
        g = _np(leaf.grad) if leaf.grad is not None else np.zeros(tuple(leaf.shape))
        grads[name] = float(g) if g.ndim == 0 else g
    return ExpressionTrace(nodes=nodes, value=float(out.detach().reshape(())), grads=grads)


def _flat(args: Any) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_flat(a))
        else:
            out.append(a)
    return out
