"""The layer vocabulary of the DSL: arguments, shape inference, parameter counts, modules.

Each layer kind declares its arguments once (``P``); ``infer`` computes the output shape by
arithmetic (the same formulas as PyTorch, so shapes are checked when the model is declared),
``count`` the number of parameters, and ``make`` the ``torch.nn`` module. Shapes never include
the batch dimension: ``(784,)`` is a feature vector, ``(C, L)`` a signal or a sequence
``(T, F)``, ``(C, H, W)`` an image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch.nn as nn

from ..suggest import unknown_name
from . import modules as M
from .parser import Value

Shape = tuple[int, ...]
REQUIRED = object()
MAX_UNITS = 10_000_000  # any single width, channel count, vocabulary or dimension


class ArgError(Exception):
    """A value that does not fit its argument (reported at the value's position)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class LayerError(Exception):
    """A layer that does not fit its input (reported at the argument ``arg`` or the layer)."""

    def __init__(self, message: str, arg: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.arg = arg
        self.hint = hint


def fmt(shape: Shape) -> str:
    """A shape as Python writes a tuple: ``(120,)``, ``(6, 28, 28)``."""
    return repr(tuple(int(s) for s in shape))


def fmt_size(size: Shape) -> str:
    return "x".join(str(int(s)) for s in size)


def fmt_same(size: Shape) -> str:
    """(2, 2) -> '2'; (2, 1) -> '2x1' (for stride, pad, dilation in labels)."""
    return str(int(size[0])) if len(set(size)) == 1 else fmt_size(size)


# ---------------------------------------------------------------- value converters

def _num(v: Value, what: str) -> float:
    if v.kind in ("int", "float"):
        return float(v.value)
    raise ArgError(f"{what} must be a number, got {v.text!r}")


def posint(v: Value, what: str = "value") -> int:
    if v.kind != "int":
        raise ArgError(f"{what} must be a whole number, got {v.text!r}")
    if not 1 <= v.value <= MAX_UNITS:
        raise ArgError(f"{what} must be between 1 and {MAX_UNITS:,}, got {v.value}")
    return int(v.value)


def nonneg(v: Value, what: str = "value") -> int:
    if v.kind != "int":
        raise ArgError(f"{what} must be a whole number, got {v.text!r}")
    if not 0 <= v.value <= MAX_UNITS:
        raise ArgError(f"{what} must be between 0 and {MAX_UNITS:,}, got {v.value}")
    return int(v.value)


def number(v: Value, what: str = "value") -> float:
    x = _num(v, what)
    if not math.isfinite(x) or abs(x) > 1e12:
        raise ArgError(f"{what} must be a finite number of sensible size, got {v.text!r}")
    return x


def positive(v: Value, what: str = "value") -> float:
    x = number(v, what)
    if x <= 0:
        raise ArgError(f"{what} must be > 0, got {v.text}")
    return x


def prob(v: Value, what: str = "p") -> float:
    x = number(v, what)
    if not 0.0 <= x < 1.0:
        raise ArgError(f"{what} must be in [0, 1), got {v.text}",
                       hint="p is the probability of dropping a unit (PyTorch's convention)")
    return x


def unit_interval(v: Value, what: str = "value") -> float:
    x = number(v, what)
    if not 0.0 <= x <= 1.0:
        raise ArgError(f"{what} must be in [0, 1], got {v.text}")
    return x


def size(v: Value, what: str = "size", minimum: int = 1) -> int | tuple[int, ...]:
    if v.kind == "int":
        if not minimum <= v.value <= MAX_UNITS:
            raise ArgError(f"{what} must be between {minimum} and {MAX_UNITS:,}, got {v.value}")
        return int(v.value)
    if v.kind == "size":
        for part in v.value:
            if not minimum <= part <= MAX_UNITS:
                raise ArgError(f"each part of {what} must be between {minimum} and "
                               f"{MAX_UNITS:,}, got {v.text}")
        return tuple(int(p) for p in v.value)
    raise ArgError(f"{what} must be a number or a size like 3x3, got {v.text!r}")


def boolean(v: Value, what: str = "value") -> bool:
    if v.kind == "name" and v.value.lower() in ("true", "yes", "on"):
        return True
    if v.kind == "name" and v.value.lower() in ("false", "no", "off"):
        return False
    if v.kind == "int" and v.value in (0, 1):
        return bool(v.value)
    raise ArgError(f"{what} must be true or false, got {v.text!r}")


def padding(v: Value, what: str = "pad") -> int | tuple[int, ...] | str:
    if v.kind == "name":
        word = v.value.lower()
        if word in ("same", "valid"):
            return word
        raise ArgError(f"{what} must be a number, a size, 'same' or 'valid', got {v.text!r}")
    return size(v, what, minimum=0)


def choice(options: tuple[str, ...], aliases: dict[str, str] | None = None
           ) -> Callable[[Value, str], str]:
    def convert(v: Value, what: str = "value") -> str:
        word = str(v.value).lower() if v.kind == "name" else None
        if word is not None and aliases and word in aliases:
            return aliases[word]
        if word in options:
            return word
        raise ArgError(f"{what} must be one of {', '.join(options)}; got {v.text!r}")

    return convert


def expand(value: int | tuple[int, ...], nd: int, what: str, kind: str) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * nd
    if len(value) != nd:
        raise LayerError(f"{what} {fmt_size(value)} has {len(value)} dimensions but {kind} "
                         f"needs {nd}", arg=what)
    return tuple(value)


# ---------------------------------------------------------------- initialisation

@dataclass(frozen=True)
class InitSpec:
    """Weight initialisation chosen with ``init=``; biases are set to zero with it."""

    kind: str  # zeros ones normal uniform xavier_uniform xavier_normal he_normal he_uniform
    #            lecun_normal orthogonal
    mean: float = 0.0
    std: float = 0.01
    low: float = -0.05
    high: float = 0.05
    mode: str = "fan_in"
    gain: float = 1.0

    def text(self) -> str:
        extra = {"normal": f"(mean={self.mean:g}, std={self.std:g})",
                 "uniform": f"({self.low:g}, {self.high:g})",
                 "he_normal": f"(mode={self.mode})", "he_uniform": f"(mode={self.mode})",
                 "orthogonal": f"(gain={self.gain:g})"}.get(self.kind, "")
        return self.kind + extra


INIT_ALIASES = {
    "zeros": "zeros", "zero": "zeros", "ones": "ones", "normal": "normal", "gaussian": "normal",
    "uniform": "uniform", "xavier": "xavier_uniform", "glorot": "xavier_uniform",
    "xavier_uniform": "xavier_uniform", "glorot_uniform": "xavier_uniform",
    "xavier_normal": "xavier_normal", "glorot_normal": "xavier_normal",
    "he": "he_normal", "kaiming": "he_normal", "he_normal": "he_normal",
    "kaiming_normal": "he_normal", "he_uniform": "he_uniform", "kaiming_uniform": "he_uniform",
    "lecun": "lecun_normal", "lecun_normal": "lecun_normal", "orthogonal": "orthogonal",
}


def init_spec(v: Value, what: str = "init") -> InitSpec:
    if v.kind not in ("name", "call"):
        raise ArgError(f"init must be a name such as he or xavier, got {v.text!r}")
    name = str(v.value).lower()
    kind = INIT_ALIASES.get(name)
    if kind is None:
        raise ArgError(unknown_name("init", v.value, INIT_ALIASES, listed=False),
                       hint="inits: zeros, ones, normal, uniform, xavier, xavier_normal, he, "
                            "he_uniform, lecun, orthogonal")
    pos = [a.value for a in v.args if a.key is None]
    kw = {a.key.lower(): a.value for a in v.args if a.key is not None}
    allowed = {"normal": ("std", "mean"), "uniform": ("low", "high"),
               "he_normal": ("mode",), "he_uniform": ("mode",), "orthogonal": ("gain",)}.get(kind, ())
    if len(pos) > len(allowed):
        raise ArgError(f"init {name} takes at most {len(allowed)} argument(s)"
                       + (f": {', '.join(allowed)}" if allowed else ""))
    values = dict(zip(allowed, pos))
    for key, val in kw.items():
        if key not in allowed:
            raise ArgError(f"init {name} has no argument {key!r}"
                           + (f"; it takes {', '.join(allowed)}" if allowed else ""))
        if key in values:
            raise ArgError(f"init {name}: {key} is given twice")
        values[key] = val
    out: dict[str, Any] = {}
    for key, val in values.items():
        if key == "mode":
            out["mode"] = choice(("fan_in", "fan_out"))(val, "mode")
        elif key == "std":
            out["std"] = positive(val, "std")
        else:
            out[key] = number(val, key)
    if kind == "uniform":
        if "low" in out and "high" not in out:  # uniform(0.1) means U(-0.1, 0.1)
            bound = abs(out["low"])
            out["low"], out["high"] = -bound, bound
        if out.get("low", -0.05) >= out.get("high", 0.05):
            raise ArgError("init uniform needs low < high")
    return InitSpec(kind, **out)


def apply_init(module: nn.Module, spec: InitSpec) -> None:
    """Initialise every weight (tensors with >= 2 dims) of ``module`` by ``spec``; zero biases."""
    import torch

    with torch.no_grad():
        for _, p in module.named_parameters():
            if p.dim() < 2:
                if spec.kind == "ones":
                    nn.init.ones_(p)
                else:
                    nn.init.zeros_(p)
                continue
            if spec.kind == "zeros":
                nn.init.zeros_(p)
            elif spec.kind == "ones":
                nn.init.ones_(p)
            elif spec.kind == "normal":
                nn.init.normal_(p, mean=spec.mean, std=spec.std)
            elif spec.kind == "uniform":
                nn.init.uniform_(p, spec.low, spec.high)
            elif spec.kind == "xavier_uniform":
                nn.init.xavier_uniform_(p)
            elif spec.kind == "xavier_normal":
                nn.init.xavier_normal_(p)
            elif spec.kind == "he_normal":
                nn.init.kaiming_normal_(p, mode=spec.mode, nonlinearity="relu")  # type: ignore[arg-type]
            elif spec.kind == "he_uniform":
                nn.init.kaiming_uniform_(p, mode=spec.mode, nonlinearity="relu")  # type: ignore[arg-type]
            elif spec.kind == "lecun_normal":
                nn.init.kaiming_normal_(p, mode="fan_in", nonlinearity="linear")
            elif spec.kind == "orthogonal":
                nn.init.orthogonal_(p, gain=spec.gain)
            else:  # pragma: no cover - init_spec only makes the kinds above
                raise ValueError(f"unknown init kind {spec.kind}")


# ---------------------------------------------------------------- layer definitions

@dataclass(frozen=True)
class P:
    """One argument of a layer: its converter, default, and whether it may be given bare."""

    name: str
    convert: Callable[..., Any]
    default: Any = REQUIRED
    positional: bool = False
    aliases: tuple[str, ...] = ()
    doc: str = ""


class Layer:
    """A layer kind of the DSL. Subclasses fill the class attributes and the four methods."""

    kind: str = ""
    names: tuple[str, ...] = ()
    params: tuple[P, ...] = ()
    flags: tuple[str, ...] = ()  # bare words that set an option to true
    takes_activation = False  # 'dense 8 relu' -> dense followed by relu
    has_weights = False  # accepts init=
    is_activation = False
    usage = ""
    doc = ""

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        return shape

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        return 0

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return self.kind

    def param(self, name: str) -> P | None:
        for p in self.params:
            if p.name == name or name in p.aliases:
                return p
        return None


def _rank_error(layer: str, expected: str, shape: Shape, hint: str | None = None) -> LayerError:
    return LayerError(f"{layer} expects {expected} input, got {fmt(shape)}", hint=hint)


class Dense(Layer):
    kind = "dense"
    names = ("dense", "linear", "fc")
    params = (P("units", posint, positional=True, aliases=("out", "features"),
                doc="number of output features"),
              P("bias", boolean, True))
    takes_activation = True
    has_weights = True
    usage = "dense UNITS [activation] [bias=false] [init=...], e.g. 'dense 128 relu'"
    doc = "fully connected layer y = xWᵀ + b (nn.Linear); on a sequence (T, F) it acts per step"

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        if len(shape) not in (1, 2):
            raise _rank_error("dense", "1-D (features) or 2-D (time, features)", shape,
                              hint="add 'flatten' before it")
        return shape[:-1] + (a["units"],)

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        return shape[-1] * a["units"] + (a["units"] if a["bias"] else 0)

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return nn.Linear(shape[-1], a["units"], bias=a["bias"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return f"Linear({shape[-1]}→{a['units']}{'' if a['bias'] else ', no bias'})"


_PADDING_MODES = choice(("zeros", "reflect", "replicate", "circular"), {"zero": "zeros"})


def _spatial_check(kind: str, shape: Shape, dims: int | None) -> int:
    """Number of spatial dims for a conv/pool on ``shape`` (raises with the issue's wording)."""
    rank = len(shape)
    if dims is None:
        if rank in (2, 3):
            return rank - 1
        raise LayerError(f"{kind} expects 3-D input, got {fmt(shape)}",
                         hint=f"{kind} takes (channels, height, width), or (channels, length) "
                              "for 1-D signals")
    if rank != dims + 1:
        what = "(channels, height, width)" if dims == 2 else "(channels, length)"
        raise LayerError(f"{kind} expects {dims + 1}-D input, got {fmt(shape)}",
                         hint=f"{kind} takes {what}")
    return dims


def _conv_out(n: int, k: int, s: int, p: int, d: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


class Conv(Layer):
    kind = "conv"
    takes_activation = True
    has_weights = True
    usage = ("conv OUT KERNEL [stride=S] [pad=P|same|valid] [dilation=D] [groups=G] "
             "[padding_mode=zeros|reflect|replicate|circular] [bias=false] [activation], "
             "e.g. 'conv 16 3x3 pad=1 relu'")
    doc = ("convolution (cross-correlation, no kernel flip); output size "
           "floor((n + 2p - d(k-1) - 1)/s) + 1")
    params = (P("out", posint, positional=True, aliases=("channels", "filters"),
                doc="output channels"),
              P("kernel", size, positional=True, aliases=("kernel_size", "k"), doc="kernel size"),
              P("stride", size, 1, aliases=("s",)),
              P("pad", padding, 0, aliases=("padding", "p")),
              P("dilation", size, 1),
              P("groups", posint, 1),
              P("padding_mode", _PADDING_MODES, "zeros", aliases=("mode",)),
              P("bias", boolean, True))

    def __init__(self, dims: int | None = None) -> None:
        self.dims = dims
        self.kind = {None: "conv", 1: "conv1d", 2: "conv2d"}[dims]
        self.names = {None: ("conv", "convolution"), 1: ("conv1d",), 2: ("conv2d",)}[dims]

    def geometry(self, a: dict[str, Any], shape: Shape) -> tuple[Any, ...]:
        nd = _spatial_check(self.kind, shape, self.dims)
        c, spatial = shape[0], shape[1:]
        k = expand(a["kernel"], nd, "kernel", self.kind)
        s = expand(a["stride"], nd, "stride", self.kind)
        d = expand(a["dilation"], nd, "dilation", self.kind)
        g = a["groups"]
        if c % g or a["out"] % g:
            raise LayerError(f"groups={g} must divide both the input channels ({c}) and the "
                             f"output channels ({a['out']})", arg="groups")
        pad = a["pad"]
        if pad == "same":
            if any(x != 1 for x in s):
                raise LayerError("pad=same needs stride 1 (PyTorch refuses it with a stride)",
                                 arg="pad", hint="write the padding as a number instead")
            eff = tuple(di * (ki - 1) for ki, di in zip(k, d))
            p: tuple[int, ...] = tuple((e + 1) // 2 for e in eff)  # the larger side, for checks
            out = tuple(spatial)
        else:
            p = (0,) * nd if pad == "valid" else expand(pad, nd, "pad", self.kind)
            out = tuple(_conv_out(n, ki, si, pi, di)
                        for n, ki, si, pi, di in zip(spatial, k, s, p, d))
        mode = a["padding_mode"]
        if mode in ("reflect", "circular"):
            for n, pi in zip(spatial, p):
                if (mode == "reflect" and pi >= n) or (mode == "circular" and pi > n):
                    raise LayerError(f"padding_mode={mode} needs pad "
                                     f"{'<' if mode == 'reflect' else '<='} the input size, "
                                     f"got pad {pi} for size {n}", arg="padding_mode")
        if any(o < 1 for o in out):
            raise LayerError(
                f"{self.kind} output would be empty: input {fmt_size(spatial)} with kernel "
                f"{fmt_size(k)}, stride {fmt_same(s)}, pad {fmt_same(p)}, dilation "
                f"{fmt_size(d)} gives {fmt_size(out)}",
                hint="use a smaller kernel, add padding, or downsample less before this layer")
        return nd, c, k, s, p, d, out

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        out = self.geometry(a, shape)[-1]
        return (a["out"], *out)

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        nd, c, k, *_ = self.geometry(a, shape)
        return a["out"] * (c // a["groups"]) * math.prod(k) + (a["out"] if a["bias"] else 0)

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        nd, c, k, s, p, d, _ = self.geometry(a, shape)
        cls = nn.Conv1d if nd == 1 else nn.Conv2d
        pad = a["pad"] if a["pad"] in ("same", "valid") else p
        return cls(c, a["out"], k, stride=s, padding=pad, dilation=d, groups=a["groups"],
                   bias=a["bias"], padding_mode=a["padding_mode"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        nd, c, k, s, p, d, _ = self.geometry(a, shape)
        parts = [f"{c}→{a['out']}", fmt_size(k)]
        if any(x != 1 for x in s):
            parts.append(f"stride {fmt_same(s)}")
        if a["pad"] in ("same", "valid"):
            parts.append(f"pad {a['pad']}")
        elif any(p):
            parts.append(f"pad {fmt_same(p)}")
        if any(x != 1 for x in d):
            parts.append(f"dilation {fmt_same(d)}")
        if a["groups"] != 1:
            parts.append(f"groups {a['groups']}")
        if a["padding_mode"] != "zeros":
            parts.append(a["padding_mode"])
        if not a["bias"]:
            parts.append("no bias")
        return f"Conv{nd}d(" + ", ".join(parts) + ")"


class Deconv(Layer):
    takes_activation = True
    has_weights = True
    usage = ("deconv OUT KERNEL [stride=S] [pad=P] [output_padding=OP] [dilation=D] [groups=G] "
             "[bias=false] [activation], e.g. 'deconv 32 4x4 stride=2 pad=1 relu'")
    doc = "transposed convolution; output size (n-1)s - 2p + d(k-1) + output_padding + 1"
    params = (P("out", posint, positional=True, aliases=("channels", "filters")),
              P("kernel", size, positional=True, aliases=("kernel_size", "k")),
              P("stride", size, 1, aliases=("s",)),
              P("pad", lambda v, w="pad": size(v, w, minimum=0), 0, aliases=("padding", "p")),
              P("output_padding", lambda v, w="output_padding": size(v, w, minimum=0), 0,
                aliases=("outpad", "out_pad")),
              P("dilation", size, 1),
              P("groups", posint, 1),
              P("bias", boolean, True))

    def __init__(self, dims: int | None = None) -> None:
        self.dims = dims
        self.kind = {None: "deconv", 1: "deconv1d", 2: "deconv2d"}[dims]
        self.names = {None: ("deconv", "convtranspose", "conv_transpose", "upconv"),
                      1: ("deconv1d", "convtranspose1d"), 2: ("deconv2d", "convtranspose2d")}[dims]

    def geometry(self, a: dict[str, Any], shape: Shape) -> tuple[Any, ...]:
        nd = _spatial_check(self.kind, shape, self.dims)
        c, spatial = shape[0], shape[1:]
        k = expand(a["kernel"], nd, "kernel", self.kind)
        s = expand(a["stride"], nd, "stride", self.kind)
        p = expand(a["pad"], nd, "pad", self.kind)
        op = expand(a["output_padding"], nd, "output_padding", self.kind)
        d = expand(a["dilation"], nd, "dilation", self.kind)
        g = a["groups"]
        if c % g or a["out"] % g:
            raise LayerError(f"groups={g} must divide both the input channels ({c}) and the "
                             f"output channels ({a['out']})", arg="groups")
        for opi, si, di in zip(op, s, d):
            if opi >= si and opi >= di:
                raise LayerError(f"output_padding {opi} must be smaller than the stride ({si}) "
                                 f"or the dilation ({di})", arg="output_padding")
        out = tuple((n - 1) * si - 2 * pi + di * (ki - 1) + opi + 1
                    for n, ki, si, pi, opi, di in zip(spatial, k, s, p, op, d))
        if any(o < 1 for o in out):
            raise LayerError(f"{self.kind} output would be empty: input {fmt_size(spatial)} "
                             f"gives {fmt_size(out)}", hint="use less padding")
        return nd, c, k, s, p, op, d, out

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        return (a["out"], *self.geometry(a, shape)[-1])

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        nd, c, k, *_ = self.geometry(a, shape)
        return c * (a["out"] // a["groups"]) * math.prod(k) + (a["out"] if a["bias"] else 0)

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        nd, c, k, s, p, op, d, _ = self.geometry(a, shape)
        cls = nn.ConvTranspose1d if nd == 1 else nn.ConvTranspose2d
        return cls(c, a["out"], k, stride=s, padding=p, output_padding=op, groups=a["groups"],
                   bias=a["bias"], dilation=d)

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        nd, c, k, s, p, op, d, _ = self.geometry(a, shape)
        parts = [f"{c}→{a['out']}", fmt_size(k)]
        if any(x != 1 for x in s):
            parts.append(f"stride {fmt_same(s)}")
        if any(p):
            parts.append(f"pad {fmt_same(p)}")
        if any(op):
            parts.append(f"output_padding {fmt_same(op)}")
        if any(x != 1 for x in d):
            parts.append(f"dilation {fmt_same(d)}")
        return f"ConvTranspose{nd}d(" + ", ".join(parts) + ")"


def pool_out(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch's pooling output size (pooling_output_shape), floor or ceil mode."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


class Pool(Layer):
    usage = ("maxpool KERNEL [stride=S] [pad=P] [dilation=D] [ceil], e.g. 'maxpool 2' "
             "(stride defaults to the kernel)")
    doc = ("pooling; output size floor((n + 2p - d(k-1) - 1)/s) + 1, partial windows dropped "
           "unless 'ceil'")

    def __init__(self, op: str, dims: int | None = None) -> None:
        self.op = op
        self.dims = dims
        self.kind = f"{op}pool" + ("" if dims is None else f"{dims}d")
        self.names = ((f"{op}pool", f"{op}_pool") if dims is None
                      else (f"{op}pool{dims}d", f"{op}_pool{dims}d"))
        params = [P("kernel", size, positional=True, aliases=("kernel_size", "k")),
                  P("stride", size, None, aliases=("s",)),
                  P("pad", lambda v, w="pad": size(v, w, minimum=0), 0, aliases=("padding", "p")),
                  P("ceil", boolean, False, aliases=("ceil_mode",))]
        if op != "avg":
            params.append(P("dilation", size, 1))
        else:
            params.append(P("count_include_pad", boolean, True))
        self.params = tuple(params)
        self.flags = ("ceil",)
        self.usage = self.usage.replace("maxpool", self.kind)
        if op == "avg":
            self.usage = self.usage.replace(" [dilation=D]", "")

    def geometry(self, a: dict[str, Any], shape: Shape) -> tuple[Any, ...]:
        nd = _spatial_check(self.kind, shape, self.dims)
        spatial = shape[1:]
        k = expand(a["kernel"], nd, "kernel", self.kind)
        s = k if a["stride"] is None else expand(a["stride"], nd, "stride", self.kind)
        p = expand(a["pad"], nd, "pad", self.kind)
        d = expand(a.get("dilation", 1), nd, "dilation", self.kind)
        for ki, pi in zip(k, p):
            if pi > ki // 2:
                raise LayerError(f"pad {pi} is more than half the kernel {ki} (PyTorch's limit)",
                                 arg="pad")
        out = tuple(pool_out(n, ki, si, pi, di, a["ceil"])
                    for n, ki, si, pi, di in zip(spatial, k, s, p, d))
        if any(o < 1 for o in out):
            raise LayerError(f"{self.kind} output would be empty: input {fmt_size(spatial)} with "
                             f"kernel {fmt_size(k)}, stride {fmt_same(s)} gives {fmt_size(out)}",
                             hint="the input is already too small to pool; remove this layer or "
                                  "use a smaller kernel")
        return nd, k, s, p, d, out

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        return (shape[0], *self.geometry(a, shape)[-1])

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        nd, k, s, p, d, _ = self.geometry(a, shape)
        if self.op == "max":
            cls: Any = nn.MaxPool1d if nd == 1 else nn.MaxPool2d
            return cls(k, s, p, dilation=d, ceil_mode=a["ceil"])
        if self.op == "avg":
            cls = nn.AvgPool1d if nd == 1 else nn.AvgPool2d
            return cls(k, s, p, ceil_mode=a["ceil"], count_include_pad=a["count_include_pad"])
        return M.MinPool(nd, k, s, p, d, a["ceil"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        nd, k, s, p, d, _ = self.geometry(a, shape)
        name = {"max": "MaxPool", "avg": "AvgPool", "min": "MinPool"}[self.op]
        parts = [fmt_size(k)]
        if s != k:
            parts.append(f"stride {fmt_same(s)}")
        if any(p):
            parts.append(f"pad {fmt_same(p)}")
        if a["ceil"]:
            parts.append("ceil")
        return f"{name}{nd}d(" + ", ".join(parts) + ")"


class GlobalPool(Layer):
    usage = "globalavgpool (or gap): averages each channel over all positions -> (channels,)"
    doc = "global pooling over all spatial positions, giving one value per channel"

    def __init__(self, op: str) -> None:
        self.op = op
        self.kind = f"global{op}pool"
        self.names = ((f"global{op}pool", f"global_{op}_pool", f"global_{op}pool")
                      + (("gap",) if op == "avg" else ("gmp",)))
        if op == "max":
            self.usage = self.usage.replace("avg", "max").replace("gap", "gmp").replace(
                "averages", "takes the maximum of")

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        if len(shape) not in (2, 3):
            raise _rank_error(self.kind, "3-D (channels, height, width) or 2-D", shape)
        return (shape[0],)

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return M.GlobalPool(self.op)

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return f"Global{self.op.capitalize()}Pool"


class AdaptivePool(Layer):
    params = (P("size", size, positional=True, aliases=("output_size",)),)
    usage = "adaptiveavgpool SIZE, e.g. 'adaptiveavgpool 7x7' -> (channels, 7, 7)"
    doc = "adaptive pooling to a fixed output size whatever the input size"

    def __init__(self, op: str) -> None:
        self.op = op
        self.kind = f"adaptive{op}pool"
        self.names = (f"adaptive{op}pool", f"adaptive_{op}_pool", f"adaptive_{op}pool")
        self.usage = self.usage.replace("avg", op)

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        nd = _spatial_check(self.kind, shape, None)
        return (shape[0], *expand(a["size"], nd, "size", self.kind))

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        nd = len(shape) - 1
        out = expand(a["size"], nd, "size", self.kind)
        table: dict[tuple[str, int], Any] = {
            ("avg", 1): nn.AdaptiveAvgPool1d, ("avg", 2): nn.AdaptiveAvgPool2d,
            ("max", 1): nn.AdaptiveMaxPool1d, ("max", 2): nn.AdaptiveMaxPool2d}
        return table[(self.op, nd)](out if nd > 1 else out[0])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        nd = len(shape) - 1
        return (f"Adaptive{self.op.capitalize()}Pool{nd}d("
                f"{fmt_size(expand(a['size'], nd, 'size', self.kind))})")


class Flatten(Layer):
    kind = "flatten"
    names = ("flatten",)
    usage = "flatten: (C, H, W) -> (C*H*W,)"
    doc = "flattens everything but the batch dimension"

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        return (math.prod(shape),)

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return nn.Flatten()

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return "Flatten"


class Reshape(Layer):
    kind = "reshape"
    names = ("reshape", "unflatten", "view")
    params = (P("shape", size, positional=True),)
    usage = "reshape SHAPE, e.g. 'reshape 1x28x28' (same number of values)"
    doc = "reshapes each sample (the number of values must not change)"

    def target(self, a: dict[str, Any]) -> Shape:
        t = a["shape"]
        return (t,) if isinstance(t, int) else tuple(t)

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        t = self.target(a)
        if len(t) > 3:
            raise LayerError(f"reshape to {len(t)} dimensions is not supported (at most 3)",
                             arg="shape")
        if math.prod(t) != math.prod(shape):
            raise LayerError(f"reshape to {fmt_size(t)} needs {math.prod(t):,} values but the "
                             f"input {fmt(shape)} has {math.prod(shape):,}", arg="shape")
        return t

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return M.Reshape(self.target(a))

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return f"Reshape({fmt_size(self.target(a))})"


class Transpose(Layer):
    kind = "transpose"
    names = ("transpose",)
    usage = "transpose: swaps (channels, length) <-> (time, features) of a 2-D input"
    doc = "swaps the two axes of a 2-D sample, e.g. between conv1d and an rnn"

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        if len(shape) != 2:
            raise _rank_error("transpose", "2-D", shape)
        return (shape[1], shape[0])

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return M.Transpose()

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return "Transpose"


def _scale(v: Value, what: str = "scale") -> float | tuple[float, ...]:
    if v.kind == "size":
        return tuple(float(s) for s in size(v, what))  # type: ignore[union-attr]
    x = positive(v, what)
    if x > 1000:
        raise ArgError(f"{what} must be at most 1000, got {v.text}")
    return x


class Upsample(Layer):
    kind = "upsample"
    names = ("upsample",)
    params = (P("scale", _scale, positional=True, aliases=("scale_factor",)),
              P("mode", choice(("nearest", "linear", "bilinear", "bicubic")), "nearest"))
    usage = "upsample SCALE [mode=nearest|linear|bilinear|bicubic], e.g. 'upsample 2'"
    doc = "upsampling by a scale factor; output size floor(n * scale)"

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        nd = _spatial_check("upsample", shape, None)
        mode = a["mode"]
        if mode == "linear" and nd != 1:
            raise LayerError("mode=linear is for 2-D (channels, length) input; use bilinear",
                             arg="mode")
        if mode in ("bilinear", "bicubic") and nd != 2:
            raise LayerError(f"mode={mode} is for 3-D (channels, height, width) input",
                             arg="mode")
        sc = a["scale"]
        scales = (sc,) * nd if isinstance(sc, float) else sc
        if len(scales) != nd:
            raise LayerError(f"scale has {len(scales)} parts but the input has {nd} spatial "
                             "dimensions", arg="scale")
        out = tuple(int(math.floor(n * s)) for n, s in zip(shape[1:], scales))
        if any(o < 1 for o in out) or any(o > MAX_UNITS for o in out):
            raise LayerError(f"upsample gives an output of size {fmt_size(out)}", arg="scale")
        return (shape[0], *out)

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        sc = a["scale"]
        return nn.Upsample(scale_factor=sc, mode=a["mode"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        sc = a["scale"]
        text = f"{sc:g}" if isinstance(sc, float) else "x".join(f"{s:g}" for s in sc)
        return f"Upsample(×{text}, {a['mode']})"


class Dropout(Layer):
    kind = "dropout"
    names = ("dropout",)
    params = (P("p", prob, 0.5, positional=True, doc="probability of dropping each value"),)
    usage = "dropout P, e.g. 'dropout 0.5' (P = probability of dropping a unit)"
    doc = ("zeroes each value with probability p during training and scales the rest by "
           "1/(1-p); does nothing in eval mode")

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return nn.Dropout(a["p"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return f"Dropout(p={a['p']:g})"


class BatchNorm(Layer):
    kind = "batchnorm"
    names = ("batchnorm", "batch_norm", "bn")
    params = (P("eps", positive, 1e-5), P("momentum", unit_interval, 0.1),
              P("affine", boolean, True))
    takes_activation = True
    usage = "batchnorm [eps=1e-5] [momentum=0.1] [affine=false] [activation]"
    doc = "batch normalisation over the channel (or feature) axis"

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        if len(shape) not in (1, 2, 3):
            raise _rank_error("batchnorm", "1-D, 2-D or 3-D", shape)
        return shape

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        return 2 * shape[0] if a["affine"] else 0

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return cls(shape[0], eps=a["eps"], momentum=a["momentum"], affine=a["affine"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return f"BatchNorm{'2' if len(shape) == 3 else '1'}d({shape[0]})"


class LayerNorm(Layer):
    kind = "layernorm"
    names = ("layernorm", "layer_norm", "ln")
    params = (P("eps", positive, 1e-5),
              P("over", choice(("last", "all")), "last", doc="normalise the last axis or all"),
              P("affine", boolean, True, aliases=("elementwise_affine",)))
    takes_activation = True
    usage = "layernorm [over=last|all] [eps=1e-5] [activation]"
    doc = "layer normalisation over the last axis (or the whole sample with over=all)"

    def normalized(self, a: dict[str, Any], shape: Shape) -> Shape:
        return shape if a["over"] == "all" else shape[-1:]

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        return 2 * math.prod(self.normalized(a, shape)) if a["affine"] else 0

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return nn.LayerNorm(list(self.normalized(a, shape)), eps=a["eps"],
                            elementwise_affine=a["affine"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return f"LayerNorm({fmt_size(self.normalized(a, shape))})"


class Embedding(Layer):
    kind = "embedding"
    names = ("embedding", "embed")
    params = (P("vocab", posint, positional=True, aliases=("num_embeddings",)),
              P("dim", posint, positional=True, aliases=("embedding_dim",)),
              P("padding_idx", nonneg, None))
    has_weights = True
    usage = "embedding VOCAB DIM [padding_idx=I], after 'input T tokens', e.g. 'embedding 1000 64'"
    doc = "a lookup table: token id -> vector of DIM numbers"

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        if a["padding_idx"] is not None and a["padding_idx"] >= a["vocab"]:
            raise LayerError(f"padding_idx {a['padding_idx']} must be below the vocabulary "
                             f"size {a['vocab']}", arg="padding_idx")
        if len(shape) != 1:
            raise _rank_error("embedding", "a 1-D sequence of token ids", shape)
        return (shape[0], a["dim"])

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        return a["vocab"] * a["dim"]

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return nn.Embedding(a["vocab"], a["dim"], padding_idx=a["padding_idx"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return f"Embedding({a['vocab']}, {a['dim']})"


RETURN_MODES = ("last", "all", "mean", "max")


class Recurrent(Layer):
    takes_activation = True
    has_weights = True
    doc = "recurrent layer over a sequence (T, F), batch_first"

    def __init__(self, cell: str) -> None:
        self.cell = cell
        self.kind = cell
        self.names = (cell,)
        params = [P("hidden", posint, positional=True, aliases=("hidden_size", "units")),
                  P("layers", posint, 1, aliases=("num_layers",)),
                  P("bidirectional", boolean, False, aliases=("bi",)),
                  P("dropout", prob, 0.0),
                  P("return", choice(RETURN_MODES, {"sequence": "all", "seq": "all",
                                                   "final": "last"}), "last",
                    aliases=("output", "returns")),
                  P("bias", boolean, True)]
        if cell == "rnn":
            params.append(P("nonlinearity", choice(("tanh", "relu")), "tanh"))
        self.params = tuple(params)
        self.flags = ("bidirectional", "bi")
        self.usage = (f"{cell} HIDDEN [layers=N] [bidirectional] [return=last|all|mean|max] "
                      f"[dropout=P]{' [nonlinearity=tanh|relu]' if cell == 'rnn' else ''}, "
                      f"e.g. '{cell} 64 layers=2'")

    @property
    def gates(self) -> int:
        return {"rnn": 1, "lstm": 4, "gru": 3}[self.cell]

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        if len(shape) != 2:
            hint = ("declare a sequence input such as 'input 20x8' (20 steps of 8 features), "
                    "or give the recurrent layer before this one return=all")
            if len(shape) == 3:
                hint = "reshape the input to (time, features) first"
            raise LayerError(f"{self.cell} expects a sequence (time, features), got {fmt(shape)}",
                             hint=hint)
        if a["layers"] > 100:
            raise LayerError("layers must be at most 100", arg="layers")
        width = a["hidden"] * (2 if a["bidirectional"] else 1)
        return (shape[0], width) if a["return"] == "all" else (width,)

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        h, dirs = a["hidden"], 2 if a["bidirectional"] else 1
        total = 0
        for layer in range(a["layers"]):
            fin = shape[1] if layer == 0 else h * dirs
            per = self.gates * h * (fin + h) + (2 * self.gates * h if a["bias"] else 0)
            total += per * dirs
        return total

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return M.Recurrent(self.cell, shape[1], a["hidden"], num_layers=a["layers"],
                           bidirectional=a["bidirectional"], dropout=a["dropout"],
                           mode=a["return"], bias=a["bias"],
                           nonlinearity=a.get("nonlinearity", "tanh"))

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        name = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[self.cell]
        extra = [f"{shape[1]}→{a['hidden']}"]
        if a["layers"] > 1:
            extra.append(f"{a['layers']} layers")
        if a["bidirectional"]:
            extra.append("bidirectional")
        extra.append(f"return {a['return']}")
        return f"{name}(" + ", ".join(extra) + ")"


# ---------------------------------------------------------------- attention

def _sequence_check(kind: str, shape: Shape) -> None:
    if len(shape) != 2:
        hint = ("declare a sequence input such as 'input 20x8' (20 steps of 8 features), or "
                "start from 'input T tokens' and an embedding")
        raise _rank_error(kind, "a sequence (time, features)", shape, hint=hint)


def _heads_check(heads: int, width: int, what: str) -> None:
    if heads > width or width % heads:
        divisors = [d for d in range(1, min(width, 64) + 1) if width % d == 0]
        raise LayerError(f"{heads} heads do not divide the width {width} ({what})", arg="heads",
                         hint="heads that divide it: " + ", ".join(str(d) for d in divisors))


def _mha_count(width: int, bias: bool) -> int:
    """nn.MultiheadAttention(width, heads): in_proj (3W x W) + out_proj (W x W), with biases."""
    return 4 * width * width + (4 * width if bias else 0)


class Attention(Layer):
    kind = "attention"
    names = ("attention", "self_attention", "mha")
    params = (P("heads", posint, positional=True, aliases=("num_heads",),
                doc="number of heads; must divide the width"),
              P("dim", posint, None, aliases=("embed_dim",),
                doc="width the attention works in and returns (default: the input's)"),
              P("dropout", prob, 0.0),
              P("causal", boolean, False, doc="each step sees only itself and earlier steps"),
              P("bias", boolean, True))
    flags = ("causal",)
    has_weights = True
    usage = ("attention HEADS [dim=D] [dropout=P] [causal] [bias=false], on a sequence (T, F), "
             "e.g. 'attention 4 causal'")
    doc = ("multi-head self-attention (nn.MultiheadAttention, batch_first): each step's output "
           "is a weighted sum of every step's values; dim=D first projects the features to D")

    def width(self, a: dict[str, Any], shape: Shape) -> int:
        return a["dim"] if a["dim"] is not None else shape[-1]

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        _sequence_check("attention", shape)
        width = self.width(a, shape)
        _heads_check(a["heads"], width, "dim=" + str(width) if a["dim"] is not None
                     else f"the features of {fmt(shape)}")
        return (shape[0], width)

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        width = self.width(a, shape)
        project = 0 if width == shape[-1] else shape[-1] * width + width
        return project + _mha_count(width, a["bias"])

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return M.SelfAttention(shape[-1], a["heads"], dim=self.width(a, shape),
                               dropout=a["dropout"], causal=a["causal"], bias=a["bias"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        width = self.width(a, shape)
        extra = [f"{a['heads']} heads", f"{shape[-1]}→{width}" if width != shape[-1]
                 else f"width {width}"]
        if a["causal"]:
            extra.append("causal")
        return "MultiheadAttention(" + ", ".join(extra) + ")"


class Transformer(Layer):
    kind = "transformer"
    names = ("transformer", "encoder_layer")
    params = (P("heads", posint, positional=True, aliases=("num_heads", "nhead"),
                doc="number of heads; must divide the width"),
              P("ff", posint, None, aliases=("dim_feedforward",),
                doc="width of the feed-forward part (default 4 × the input's)"),
              P("dropout", prob, 0.1),
              P("activation", choice(("relu", "gelu")), "relu"),
              P("norm", choice(("post", "pre")), "post",
                doc="layer norm after each residual add (post) or before each part (pre)"),
              P("causal", boolean, False, doc="each step sees only itself and earlier steps"))
    flags = ("causal",)
    has_weights = True
    usage = ("transformer HEADS [ff=FF] [dropout=P] [activation=relu|gelu] [norm=post|pre] "
             "[causal], on a sequence (T, F), e.g. 'transformer 4 ff=128'")
    doc = ("one transformer encoder layer (nn.TransformerEncoderLayer, batch_first): "
           "self-attention and a feed-forward part, each with a residual add and a layer norm")

    def ff(self, a: dict[str, Any], shape: Shape) -> int:
        return a["ff"] if a["ff"] is not None else 4 * shape[-1]

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        _sequence_check("transformer", shape)
        _heads_check(a["heads"], shape[-1], f"the features of {fmt(shape)}")
        return shape

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        w, ff = shape[-1], self.ff(a, shape)
        return _mha_count(w, True) + (w * ff + ff) + (ff * w + w) + 2 * (2 * w)

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return M.EncoderLayer(shape[-1], a["heads"], dim_feedforward=self.ff(a, shape),
                              dropout=a["dropout"], activation=a["activation"],
                              norm_first=a["norm"] == "pre", causal=a["causal"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        extra = [f"{a['heads']} heads", f"width {shape[-1]}", f"ff {self.ff(a, shape)}",
                 a["activation"], f"{a['norm']}-norm"]
        if a["causal"]:
            extra.append("causal")
        return "TransformerEncoderLayer(" + ", ".join(extra) + ")"


class Positional(Layer):
    kind = "positional"
    names = ("positional", "positions", "position")
    params = (P("kind", choice(("learned", "sinusoidal"), {"sine": "sinusoidal",
                                                          "sin": "sinusoidal"}),
                "sinusoidal", positional=True,
                doc="sinusoidal (fixed, no parameters) or learned (one vector per step)"),)
    has_weights = True
    usage = "positional [learned|sinusoidal], on a sequence (T, F), e.g. 'positional learned'"
    doc = ("adds a position vector to each step of a sequence (T, F): fixed sines and cosines "
           "of the step number, or one learned vector per step")

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        _sequence_check("positional", shape)
        return shape

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        return shape[0] * shape[1] if a["kind"] == "learned" else 0

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return M.Positional(shape[0], shape[1], a["kind"])

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        return f"Positional({a['kind']}, {shape[0]}x{shape[1]})"


# ---------------------------------------------------------------- activations

class Activation(Layer):
    is_activation = True
    doc = "activation function (element-wise unless softmax)"

    def __init__(self, kind: str, names: tuple[str, ...], cls: Callable[..., nn.Module],
                 params: tuple[P, ...] = (), title: str = "", flags: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.names = names
        self.cls = cls
        self.params = params
        self.flags = flags
        self.title = title or cls.__name__
        args = " ".join(f"[{p.name}={p.default}]" for p in params if p.default is not REQUIRED)
        self.usage = f"{kind} {args}".strip()

    def infer(self, a: dict[str, Any], shape: Shape) -> Shape:
        if "dim" in a and a["dim"] is not None:
            rank = len(shape) + 1
            if not -rank <= a["dim"] < rank:
                raise LayerError(f"dim={a['dim']} is out of range for input {fmt(shape)} "
                                 f"(with the batch dimension first, dims are 0..{rank - 1})",
                                 arg="dim")
        return shape

    def kwargs(self, a: dict[str, Any], shape: Shape) -> dict[str, Any]:
        kw = {k: v for k, v in a.items() if not k.startswith("_") and k != "per_channel"}
        if self.kind in ("softmax", "log_softmax") and kw.get("dim") is None:
            kw["dim"] = softmax_dim(shape)
        if self.kind == "prelu":
            kw = {"num_parameters": shape[0] if a.get("per_channel") else 1, "init": a["init"]}
        if self.kind == "hardtanh":
            if kw["min_val"] >= kw["max_val"]:
                raise LayerError("hardtanh needs min_val < max_val", arg="min_val")
        return kw

    def count(self, a: dict[str, Any], shape: Shape) -> int:
        if self.kind == "prelu":
            return shape[0] if a.get("per_channel") else 1
        return 0

    def make(self, a: dict[str, Any], shape: Shape) -> nn.Module:
        return self.cls(**self.kwargs(a, shape))

    def label(self, a: dict[str, Any], shape: Shape) -> str:
        kw = self.kwargs(a, shape)
        shown = {k: v for k, v in kw.items() if k not in ("threshold",)}
        if not shown:
            return self.title
        return self.title + "(" + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                            for k, v in shown.items()) + ")"


def softmax_dim(shape: Shape) -> int:
    """Default softmax axis (batch counted as dim 0): features/channels, or the last axis of a
    2-D sample (a sequence of feature vectors)."""
    return -1 if len(shape) == 2 else 1


def _dim(v: Value, what: str = "dim") -> int:
    if v.kind != "int":
        raise ArgError(f"{what} must be a whole number, got {v.text!r}")
    return int(v.value)


ACTIVATIONS: list[Activation] = [
    Activation("relu", ("relu",), nn.ReLU, title="ReLU"),
    Activation("relu6", ("relu6",), nn.ReLU6, title="ReLU6"),
    Activation("sigmoid", ("sigmoid", "logistic"), nn.Sigmoid),
    Activation("tanh", ("tanh",), nn.Tanh),
    Activation("leaky_relu", ("leaky_relu", "leakyrelu", "lrelu"), nn.LeakyReLU,
               (P("negative_slope", number, 0.01, positional=True, aliases=("slope", "alpha")),),
               title="LeakyReLU"),
    Activation("prelu", ("prelu",), nn.PReLU,
               (P("init", number, 0.25), P("per_channel", boolean, False)), title="PReLU",
               flags=("per_channel",)),
    Activation("elu", ("elu",), nn.ELU, (P("alpha", positive, 1.0, positional=True),),
               title="ELU"),
    Activation("selu", ("selu",), nn.SELU, title="SELU"),
    Activation("celu", ("celu",), nn.CELU, (P("alpha", positive, 1.0, positional=True),),
               title="CELU"),
    Activation("gelu", ("gelu",), nn.GELU,
               (P("approximate", choice(("none", "tanh")), "none"),), title="GELU"),
    Activation("silu", ("silu", "swish"), nn.SiLU, title="SiLU"),
    Activation("mish", ("mish",), nn.Mish),
    Activation("softplus", ("softplus",), nn.Softplus,
               (P("beta", positive, 1.0, positional=True), P("threshold", positive, 20.0))),
    Activation("softsign", ("softsign",), nn.Softsign),
    Activation("hardtanh", ("hardtanh",), nn.Hardtanh,
               (P("min_val", number, -1.0, aliases=("min",)),
                P("max_val", number, 1.0, aliases=("max",)))),
    Activation("hardsigmoid", ("hardsigmoid",), nn.Hardsigmoid),
    Activation("hardswish", ("hardswish",), nn.Hardswish),
    Activation("softmax", ("softmax",), nn.Softmax, (P("dim", _dim, None, positional=True),)),
    Activation("log_softmax", ("log_softmax", "logsoftmax"), nn.LogSoftmax,
               (P("dim", _dim, None, positional=True),), title="LogSoftmax"),
    Activation("identity", ("identity",), nn.Identity),
]


LAYERS: list[Layer] = [
    Dense(), Conv(), Conv(1), Conv(2), Deconv(), Deconv(1), Deconv(2),
    *(Pool(op, dims) for op in ("max", "avg", "min") for dims in (None, 1, 2)), GlobalPool("avg"), GlobalPool("max"),
    AdaptivePool("avg"), AdaptivePool("max"), Flatten(), Reshape(), Transpose(), Upsample(),
    Dropout(), BatchNorm(), LayerNorm(), Embedding(),
    Recurrent("rnn"), Recurrent("lstm"), Recurrent("gru"),
    Attention(), Transformer(), Positional(),
    *ACTIVATIONS,
]

REGISTRY: dict[str, Layer] = {}
for _layer in LAYERS:
    for _name in _layer.names:
        assert _name not in REGISTRY, _name
        REGISTRY[_name] = _layer

ACTIVATION_NAMES: dict[str, Activation] = {n: a for a in ACTIVATIONS for n in a.names}
