"""Convolution stepper: step a window over the input, see its products, their sum, the output.

The engine (``dlwidgets.engine.convolution``) computes the whole trace with PyTorch: every
window's element-wise products for every filter, the output (``F.conv2d``), the activation,
a pooling trace (which input wins each window) and the transposed convolution as a scatter.
All of it goes into synced state as binary arrays, so playing, stepping, scrubbing, hovering
and switching filters work in the browser alone, also in a static export. What changes the
numbers (stride, padding, dilation, padding mode, activation, pooling, an edited input or
kernel cell) comes back to Python, which recomputes the trace with torch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import traitlets as t

from ..engine import convolution as conv
from ..engine.convolution import ConvTrace, PoolTrace, TransposeTrace
from ..engine.probes import capture_layer_input
from ..engine.tensors import as_tensor
from ..export_precompute import OfflineControl, OfflineGroup, Patch, make_patch
from ._base import DLWidget, bundle
from ._traits import Array, ArrayDict, array_dict_serialization

VIEWS = ("conv", "pool", "transposed")

#: The trace's arrays: F filters, C channels (C/groups per filter), H x W in, Ho x Wo out.
TRACE_FIELDS = {
    "input": Array("float32", ndim=3),        # (C, H, W)
    "padded": Array("float32", ndim=3),       # (C, H + pads, W + pads)
    "weight": Array("float32", ndim=4),       # (F, C/groups, kh, kw)
    "bias": Array("float32", ndim=1),         # (F,)
    "products": Array("float32", ndim=6),     # (F, Ho, Wo, C/groups, kh, kw)
    "output": Array("float32", ndim=3),       # (F, Ho, Wo)
    "activated": Array("float32", ndim=3),    # (F, Ho, Wo)
    "scatter": Array("float32", ndim=6),      # transposed conv contributions, like products
    "transposed": Array("float32", ndim=4),   # (F, C/groups, padded H, padded W)
    "pool_windows": Array("float32", ndim=5),  # (F, Hp, Wp, ph, pw)
    "pool_output": Array("float32", ndim=3),  # (F, Hp, Wp)
    "pool_winners": Array("int32", ndim=3),   # (F, Hp, Wp): winner's flat index, -1 for avg
}
CHANNEL_NAMES_RGB = ["R", "G", "B"]

#: Values a static page precomputes (jointly: every combination) for the settings controls;
#: each is a square setting (stride s means (s, s)). The exported value is added.
OFFLINE_SETTINGS: dict[str, list[int]] = {"stride": [1, 2, 3], "padding": [0, 1, 2],
                                          "dilation": [1, 2]}
#: What a precomputed state sets (the live widget's ``_publish``, less the view's own traits).
OFFLINE_PATHS = [["trace"], ["settings"], ["geometry"], ["error"]]


def _settings(stride: Any, padding: Any, dilation: Any, groups: int, padding_mode: str,
              activation: str, pool: str, pool_size: Any, pool_stride: Any) -> dict[str, Any]:
    """Settings as plain JSON (pairs as lists, padding as 'same'/'valid' or a pair)."""
    s = conv.as_pair(stride, "stride", 1, conv.MAX_STRIDE)
    d = conv.as_pair(dilation, "dilation", 1, conv.MAX_DILATION)
    if isinstance(padding, str):
        key = padding.strip().lower()
        if key not in ("same", "valid"):
            raise ValueError(f"padding={padding!r}: use an int, a pair, 'same' or 'valid'")
        pad: Any = key
    else:
        pad = list(conv.as_pair(padding, "padding", 0, conv.MAX_PADDING))
    if padding_mode not in conv.PADDING_MODES:
        raise ValueError(
            f"padding_mode={padding_mode!r}; choose one of: {', '.join(conv.PADDING_MODES)}")
    if activation not in conv.ACTIVATIONS:
        raise ValueError(
            f"activation={activation!r}; choose one of: {', '.join(conv.ACTIVATIONS)}")
    if pool not in conv.POOL_KINDS:
        raise ValueError(f"pool={pool!r}; choose one of: {', '.join(conv.POOL_KINDS)}")
    ps = conv.as_pair(pool_size, "pool_size", 1, conv.MAX_KERNEL)
    pst = ps if pool_stride is None else conv.as_pair(pool_stride, "pool_stride", 1,
                                                       conv.MAX_STRIDE)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"groups must be an int, got {groups!r}")
    return {"stride": list(s), "padding": pad, "dilation": list(d), "groups": int(groups),
            "padding_mode": padding_mode, "activation": activation, "pool": pool,
            "pool_size": list(ps), "pool_stride": list(pst)}


class ConvStepper(DLWidget):
    """Step a convolution window over an image: products, sums, output, pooling, transpose."""

    _esm = bundle("conv_stepper")

    # what Python computed (read by the front end, never written by it)
    # every array of the trace, float32 (pool winners int32); shapes as in _publish
    trace = ArrayDict(fields=TRACE_FIELDS).tag(sync=True, **array_dict_serialization)
    geometry = t.Dict().tag(sync=True)     # sizes, padding, formula inputs, dropped border
    settings = t.Dict().tag(sync=True)     # stride, padding, dilation, ... as given
    options = t.Dict().tag(sync=True)      # choices for the front end's selects
    error = t.Unicode("").tag(sync=True)   # last refused request from the front end
    title = t.Unicode("").tag(sync=True)
    channel_names = t.List(t.Unicode()).tag(sync=True)
    # view state (the front end may set these; all data for them is already in `trace`)
    filter = t.Int(0).tag(sync=True)
    channel = t.Int(0).tag(sync=True)
    step_index = t.Int(0).tag(sync=True)
    view = t.Unicode("conv").tag(sync=True)
    speed = t.Float(8.0).tag(sync=True)    # steps per second while playing

    def __init__(self, image: Any = "digit", kernel: Any = "vertical_edge", stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, *, bias: Any = None, groups: int = 1,
                 padding_mode: str = "zeros", activation: str = "relu", pool: str = "max",
                 pool_size: Any = 2, pool_stride: Any = None, filter: int = 0, channel: int = 0,
                 view: str = "conv", speed: float = 8.0, title: str | None = None,
                 channel_names: list[str] | None = None,
                 device: str | torch.device | None = None) -> None:
        self._device = device
        self._image = conv.as_image(image, "image")
        self._weight = conv.as_weight(kernel, self._image.shape[0],
                                      self._int_groups(groups, self._image.shape[0]), "kernel")
        self._bias, self._has_bias = conv.as_bias(bias, self._weight.shape[0])
        settings = _settings(stride, padding, dilation, groups, padding_mode, activation, pool,
                             pool_size, pool_stride)
        self._conv: ConvTrace | None = None
        self._pool: PoolTrace | None = None
        self._transposed: TransposeTrace | None = None
        self._activated: np.ndarray | None = None
        traces = self._compute(settings)  # raises on bad settings, before any state is set
        if title is None:
            title = self._default_title(image, kernel)
        names = channel_names if channel_names is not None else (
            CHANNEL_NAMES_RGB if self._image.shape[0] == 3 else
            [f"channel {c}" for c in range(self._image.shape[0])])
        if isinstance(names, str) or not isinstance(names, (list, tuple)):
            raise TypeError(f"channel_names must be a list of strings, got {names!r:.60}")
        if len(names) != self._image.shape[0]:
            raise ValueError(
                f"channel_names has {len(names)} names for {self._image.shape[0]} channels")
        super().__init__(title=title, channel_names=[str(n) for n in names])
        self.options = {"padding_modes": list(conv.PADDING_MODES),
                        "activations": list(conv.ACTIVATIONS), "pools": list(conv.POOL_KINDS),
                        "views": list(VIEWS), "max_stride": conv.MAX_STRIDE,
                        "max_dilation": conv.MAX_DILATION, "max_padding": conv.MAX_PADDING}
        self._apply(settings, traces)
        self.filter = filter
        self.channel = channel
        self.view = view
        self.speed = speed
        self.on_msg(self._on_request)

    # ------------------------------------------------------------------ construction helpers
    @staticmethod
    def _int_groups(groups: Any, channels: int) -> int:
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
            raise TypeError(f"groups must be an int, got {groups!r}")
        if not 1 <= int(groups) <= channels:
            raise ValueError(f"groups must be in [1, {channels}] (the image's channels), got {groups}")
        return int(groups)

    @staticmethod
    def _default_title(image: Any, kernel: Any) -> str:
        img = f"image '{image}'" if isinstance(image, str) else "image"
        if isinstance(kernel, str):
            ker = f"kernel '{kernel}'"
        elif isinstance(kernel, (list, tuple)) and kernel and all(isinstance(k, str) for k in kernel):
            ker = "kernels " + ", ".join(f"'{k}'" for k in kernel)
        else:
            ker = "kernel"
        return f"Convolution of {img} with {ker}"

    @classmethod
    def from_layer(cls, layer: nn.Module, x: Any, *, channel: int = 0, filter: int = 0,
                   model: nn.Module | None = None, sample: int = 0, **kwargs: Any) -> ConvStepper:
        """Step through ``layer`` (an ``nn.Conv2d``, e.g. of a ``%%dl`` model) on input ``x``.

        ``x`` is the layer's input (C, H, W) or a batch (N, C, H, W) of which ``sample`` is
        taken; with ``model=`` given, ``x`` is the model's input and the layer's input is
        captured while the model runs. ``channel`` and ``filter`` choose what is shown first;
        the feature-map gallery shows every filter of the layer. Other keyword arguments
        (activation, pool, pool_size, title, device) are passed on.
        """
        if not isinstance(layer, nn.Conv2d):
            raise TypeError(
                f"layer must be an nn.Conv2d, got {type(layer).__name__}"
                + (" (the stepper shows 2-D convolutions)" if isinstance(layer, nn.modules.conv._ConvNd) else "")
            )
        if isinstance(layer.weight, nn.parameter.UninitializedParameter):
            raise ValueError("layer is a lazy Conv2d that has not seen an input yet; run the model once first")
        if model is not None:
            # the model's input: integers become floats, as an image model expects
            xt = capture_layer_input(model, layer, as_tensor(x, "x", cast="float")).input
        else:
            xt = as_tensor(x, "x", sample_axis=False)
        if xt.ndim == 4:
            if not 0 <= sample < xt.shape[0]:
                raise ValueError(f"sample must be in [0, {xt.shape[0] - 1}], got {sample}")
            xt = xt[sample]
        if xt.ndim != 3:
            raise ValueError(f"x must be (C, H, W) or (N, C, H, W), got shape {tuple(xt.shape)}")
        if xt.shape[0] != layer.in_channels:
            raise ValueError(
                f"x has {xt.shape[0]} channels but the layer expects in_channels={layer.in_channels}"
            )
        conv.check_image_shape(xt.shape, "x")  # before the float64 copy below
        if xt.is_complex():
            raise TypeError(f"x must hold real numbers, got a {xt.dtype} tensor")
        padding: Any = layer.padding  # a pair, or 'same' / 'valid'
        title = kwargs.pop("title", None) or (
            f"{type(layer).__name__}({layer.in_channels}, {layer.out_channels}, "
            f"kernel_size={tuple(layer.kernel_size)}) on a {tuple(xt.shape)} input")
        return cls(
            xt.detach().to("cpu", torch.float64), layer.weight.detach().to("cpu", torch.float64),
            stride=tuple(layer.stride), padding=padding, dilation=tuple(layer.dilation),
            bias=None if layer.bias is None else layer.bias.detach().to("cpu", torch.float64),
            groups=layer.groups, padding_mode=layer.padding_mode, filter=filter,
            channel=channel, title=title, **kwargs,
        )

    # ------------------------------------------------------------------ computation
    def _compute(self, settings: dict[str, Any]) -> dict[str, Any]:
        """All traces for ``settings``; raises ValueError/TypeError without touching state."""
        padding = settings["padding"]
        ct = conv.conv_trace(self._image, self._weight, self._bias if self._has_bias else None,
                             stride=settings["stride"], padding=padding,
                             dilation=settings["dilation"], groups=settings["groups"],
                             padding_mode=settings["padding_mode"], device=self._device)
        activated = conv.activate(ct.output, settings["activation"], device=self._device)
        pool_error = ""
        pt: PoolTrace | None = None
        try:
            pt = conv.pool_trace(activated, settings["pool"], settings["pool_size"],
                                 settings["pool_stride"], device=self._device)
        except ValueError as exc:  # a map too small to pool is shown, not refused
            pool_error = str(exc)
        # the adjoint of the convolution, on the padded grid: each output value scattered back
        # through its filter (one group per filter), then cropped to the input by the view
        nf = ct.filters
        tt = conv.conv_transpose_trace(ct.output, ct.weight, stride=ct.geometry.stride,
                                       padding=0, output_padding=ct.geometry.dropped,
                                       dilation=ct.geometry.dilation, groups=nf,
                                       device=self._device)
        return {"conv": ct, "activated": activated, "pool": pt, "pool_error": pool_error,
                "transposed": tt}

    def _apply(self, settings: dict[str, Any], traces: dict[str, Any]) -> None:
        self._settings = settings
        self._conv = traces["conv"]
        self._activated = traces["activated"]
        self._pool = traces["pool"]
        self._transposed = traces["transposed"]
        self._publish(traces["pool_error"])

    def _publish(self, pool_error: str = "") -> None:
        assert self._conv is not None and self._transposed is not None
        assert self._activated is not None
        values = self._state_values(self._settings, {
            "conv": self._conv, "activated": self._activated, "pool": self._pool,
            "transposed": self._transposed, "pool_error": pool_error})
        nf = self._conv.weight.shape[0]
        ho, wo = self._conv.geometry.out_size
        with self.hold_sync():
            self.trace = values["trace"]
            self.settings = values["settings"]
            self.geometry = values["geometry"]
            self.filter = min(self.filter, nf - 1)
            self.channel = min(self.channel, self._conv.input.shape[0] - 1)
            self.step_index = min(self.step_index, ho * wo - 1)

    @staticmethod
    def _state_values(settings: dict[str, Any], traces: dict[str, Any]) -> dict[str, Any]:
        """The synced ``trace``, ``settings`` and ``geometry`` of computed ``traces``."""
        ct, pt, tt, act = traces["conv"], traces["pool"], traces["transposed"], traces["activated"]
        g = ct.geometry
        nf, cg, kh, kw = ct.weight.shape
        ho, wo = g.out_size
        state: dict[str, Any] = {
            "input": ct.input, "padded": ct.padded, "weight": ct.weight, "bias": ct.bias,
            "products": ct.products, "output": ct.output, "activated": act,
            "scatter": tt.contributions, "transposed": tt.output.reshape(nf, cg, *g.padded_size),
        }
        pool_geom: dict[str, Any] | None = None
        if pt is not None:
            state.update(pool_windows=pt.windows, pool_output=pt.output, pool_winners=pt.winners)
            pg = pt.geometry
            pool_geom = {"kind": pt.kind, "size": list(pg.kernel_size), "stride": list(pg.stride),
                         "out": list(pg.out_size), "dropped": list(pg.dropped),
                         "formula": [pg.formula(0), pg.formula(1)]}
        geometry = {
            "channels": int(ct.input.shape[0]), "in": list(g.in_size), "filters": int(nf),
            "group_channels": int(cg), "groups": ct.groups, "kernel": [int(kh), int(kw)],
            "stride": list(g.stride), "dilation": list(g.dilation), "pad": list(g.padding),
            "padded": list(g.padded_size), "out": [int(ho), int(wo)],
            "dropped": list(g.dropped), "padding_mode": ct.padding_mode,
            "padding_spec": ct.padding_spec, "has_bias": ct.has_bias,
            "activation": settings["activation"], "pool": pool_geom,
            "pool_error": traces["pool_error"], "formula": [g.formula(0), g.formula(1)],
            "products": int(ct.products.size),
        }
        return {"trace": state, "settings": dict(settings), "geometry": geometry}

    # ------------------------------------------------------------------ validation
    @t.validate("filter")
    def _check_filter(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        n = self._weight.shape[0]
        if not 0 <= value < n:
            raise t.TraitError(f"filter must be in [0, {n - 1}], got {value}")
        return value

    @t.validate("channel")
    def _check_channel(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        n = self._image.shape[0]
        if not 0 <= value < n:
            raise t.TraitError(f"channel must be in [0, {n - 1}], got {value}")
        return value

    @t.validate("step_index")
    def _check_step(self, proposal: t.Bunch) -> int:
        value = int(proposal["value"])
        n = self.steps
        if not 0 <= value < n:
            raise t.TraitError(f"step_index must be in [0, {n - 1}], got {value}")
        return value

    @t.validate("view")
    def _check_view(self, proposal: t.Bunch) -> str:
        if proposal["value"] not in VIEWS:
            raise t.TraitError(f"view={proposal['value']!r}; choose one of: {', '.join(VIEWS)}")
        return str(proposal["value"])

    @t.validate("speed")
    def _check_speed(self, proposal: t.Bunch) -> float:
        value = float(proposal["value"])
        if not (math.isfinite(value) and 0.1 <= value <= 240):
            raise t.TraitError(f"speed must be in [0.1, 240] steps per second, got {value}")
        return value

    # ------------------------------------------------------------------ requests from the page
    def _on_request(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind in ("configure", "edit"):
            self.error = ""  # so that the same refusal twice is still a change the page sees
        try:
            if kind == "configure":
                allowed = {"stride", "padding", "dilation", "padding_mode", "activation", "pool",
                           "pool_size", "pool_stride", "groups"}
                self.configure(**{k: v for k, v in content.get("settings", {}).items()
                                  if k in allowed})
            elif kind == "edit":
                target = content.get("target")
                index = tuple(int(i) for i in content.get("index", ()))
                value = content.get("value")
                if target == "input":
                    self.edit_input(index, value)  # type: ignore[arg-type]
                elif target == "kernel":
                    self.edit_kernel(index, value)  # type: ignore[arg-type]
                elif target == "bias":
                    self.edit_bias(index[0] if index else 0, value)  # type: ignore[arg-type]
                else:
                    raise ValueError(f"cannot edit {target!r}")
            else:
                return
        except (ValueError, TypeError, t.TraitError) as exc:
            self.error = str(exc)
            return
        self.error = ""

    # ------------------------------------------------------------------ static export
    def _square(self, key: str) -> int | None:
        """The setting ``key`` as one number when it is square ((s, s), or p for padding)."""
        value = self._settings[key]
        if isinstance(value, str) or value[0] != value[1]:
            return None
        return int(value[0])

    def offline_groups(self) -> list[OfflineGroup]:
        """Stride × padding × dilation, precomputed jointly; a setting that is not square
        (or padding 'same'/'valid') is left out and keeps its hint."""
        controls = []
        for key, grid in OFFLINE_SETTINGS.items():
            current = self._square(key)
            if current is None:
                continue
            values = sorted(set(grid) | {current})
            controls.append(OfflineControl(key, values, values.index(current)))
        if not controls:
            return []
        label = " × ".join(c.name for c in controls)
        return [OfflineGroup(key="settings", label=label, what="convolution states",
                             controls=controls, paths=[list(p) for p in OFFLINE_PATHS])]

    def _trace_values(self, settings: dict[str, Any]) -> int:
        """How many numbers the trace of ``settings`` holds, from its geometry alone."""
        nf, cg, kh, kw = self._weight.shape
        c, h, w = self._image.shape
        s, d = settings["stride"], settings["dilation"]
        pads, _ = conv.resolve_padding(settings["padding"], (kh, kw), tuple(s), tuple(d))
        g = conv.ConvGeometry((h, w), (kh, kw), tuple(s), pads, tuple(d))
        (ho, wo), (hp, wp) = g.out_size, g.padded_size
        if ho < 1 or wo < 1:
            return 0  # refused: only a message
        ps, pst = settings["pool_size"], settings["pool_stride"]
        po = [conv.output_size(n, k, st) for n, k, st in zip((ho, wo), ps, pst)]
        pooled = nf * po[0] * po[1] * (ps[0] * ps[1] + 2) if min(po) >= 1 else 0
        return (c * h * w + c * hp * wp + nf * cg * kh * kw + nf
                + 2 * nf * ho * wo * cg * kh * kw + 2 * nf * ho * wo + nf * cg * hp * wp + pooled)

    def offline_weights(self, group: OfflineGroup) -> list[float]:
        """Each state's size relative to the exported one (output sizes differ)."""
        names = [c.name for c in group.controls]
        base = self._trace_values(self._settings)
        return [self._trace_values({**self._settings, **{k: [v, v] for k, v in zip(names, combo)}})
                / base for combo in group.combinations()]

    def offline_states(self, groups: list[OfflineGroup]) -> list[list[Patch | str]]:
        """Every combination computed as ``configure`` would (``_compute``: the engine's
        ``conv_trace`` and the rest, one combination at a time since each has its own output
        size), without touching this widget's state; a combination the live widget refuses
        gives its message instead."""
        out: list[list[Patch | str]] = []
        for group in groups:
            names = [c.name for c in group.controls]
            states: list[Patch | str] = []
            for combo in group.combinations():
                current = {**self._settings, **{k: (v, v) for k, v in zip(names, combo)}}
                try:
                    settings = _settings(current["stride"], current["padding"],
                                         current["dilation"], current["groups"],
                                         current["padding_mode"], current["activation"],
                                         current["pool"], current["pool_size"],
                                         current["pool_stride"])
                    values = self._state_values(settings, self._compute(settings))
                except (ValueError, TypeError) as exc:
                    states.append(str(exc))
                    continue
                states.append(make_patch({("trace",): values["trace"],
                                          ("settings",): values["settings"],
                                          ("geometry",): values["geometry"], ("error",): ""}))
            out.append(states)
        return out

    # ------------------------------------------------------------------ public API
    def configure(self, **changes: Any) -> ConvStepper:
        """Change stride, padding, dilation, padding_mode, groups, activation, pool, pool_size
        or pool_stride and recompute everything with torch; bad values raise and change nothing."""
        current = dict(self._settings)
        unknown = set(changes) - set(current)
        if unknown:
            raise TypeError(f"configure() got unknown settings: {', '.join(sorted(unknown))}; "
                            f"known: {', '.join(current)}")
        if "pool_size" in changes and "pool_stride" not in changes:
            changes["pool_stride"] = None  # stride follows the window unless given
        current.update(changes)
        if current["groups"] != self._settings["groups"]:
            raise ValueError("groups cannot change after construction (it changes the weights' "
                             "shape); make a new ConvStepper")
        settings = _settings(current["stride"], current["padding"], current["dilation"],
                             current["groups"], current["padding_mode"], current["activation"],
                             current["pool"], current["pool_size"], current["pool_stride"])
        self._apply(settings, self._compute(settings))
        return self

    def edit_input(self, index: tuple[int, ...], value: float) -> ConvStepper:
        """Set input cell ``index`` = (channel, row, col) (or (row, col)) to ``value``; recompute."""
        self._image = self._edited(self._image, index, value, "input")
        self._apply(self._settings, self._compute(self._settings))
        return self

    def edit_kernel(self, index: tuple[int, ...], value: float) -> ConvStepper:
        """Set weight ``index`` = (filter, channel, row, col) (or (row, col)) to ``value``."""
        self._weight = self._edited(self._weight, index, value, "kernel")
        self._apply(self._settings, self._compute(self._settings))
        return self

    def edit_bias(self, filter: int, value: float) -> ConvStepper:
        """Set the bias of ``filter`` to ``value`` (the layer gets a bias if it had none)."""
        self._bias = self._edited(self._bias, (int(filter),), value, "bias")
        self._has_bias = True
        self._apply(self._settings, self._compute(self._settings))
        return self

    @staticmethod
    def _edited(arr: np.ndarray, index: tuple[int, ...], value: Any, name: str) -> np.ndarray:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"the new {name} value must be a number, got {value!r}")
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"the new {name} value must be finite, got {value!r}")
        if abs(v) > 1e6:
            raise ValueError(f"the new {name} value must be in [-1e6, 1e6], got {value!r}")
        full = tuple(index)
        if len(full) < arr.ndim:
            full = (0,) * (arr.ndim - len(full)) + full
        if len(full) != arr.ndim or any(not 0 <= i < n for i, n in zip(full, arr.shape)):
            raise ValueError(f"{name} index {tuple(index)} is outside the shape {arr.shape}")
        out = arr.copy()
        out[full] = v
        return out

    # reading results --------------------------------------------------------------------
    @property
    def conv_trace(self) -> ConvTrace:
        """The engine's trace (float64): products, output, padded input, geometry."""
        assert self._conv is not None
        return self._conv

    @property
    def output(self) -> np.ndarray:
        """Convolution output (filters, H_out, W_out), float64: ``F.conv2d(x[None], w, b, ...)[0]``."""
        return self.conv_trace.output.copy()

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """(filters, H_out, W_out)."""
        return self.conv_trace.output_shape

    @property
    def activated(self) -> np.ndarray:
        """The activation applied to the output map (filters, H_out, W_out)."""
        assert self._activated is not None
        return self._activated.copy()

    @property
    def pooled(self) -> np.ndarray | None:
        """Pooling of the activated map, or None when the map is smaller than the window."""
        return None if self._pool is None else self._pool.output.copy()

    @property
    def pool_trace(self) -> PoolTrace | None:
        """The pooling trace (windows, winners) of the activated map."""
        return self._pool

    @property
    def transposed(self) -> np.ndarray:
        """Adjoint of the convolution applied to the output, cropped to the input: (C, H, W).

        Equals ``F.conv_transpose2d(output[None], w, stride=s, padding=p, dilation=d,
        output_padding=dropped)`` for zeros padding; each filter's scatter is summed.
        """
        assert self._transposed is not None
        g = self.conv_trace.geometry
        nf, cg = self._weight.shape[:2]
        per = self._transposed.output.reshape(nf, cg, *g.padded_size)
        t_, b, left, r = g.padding
        hp, wp = g.padded_size
        per = per[:, :, t_:hp - b, left:wp - r]
        out = np.zeros_like(self._image)
        groups = self._settings["groups"]
        for f in range(nf):
            g_ = f // (nf // groups)
            out[g_ * cg:(g_ + 1) * cg] += per[f]
        return out

    @property
    def steps(self) -> int:
        """Number of windows (output cells) per filter: H_out · W_out."""
        if self._conv is None:
            return 1
        ho, wo = self._conv.geometry.out_size
        return ho * wo

    @property
    def position(self) -> tuple[int, int]:
        """(row, col) of the output cell being computed (its window is highlighted)."""
        wo = self.conv_trace.geometry.out_size[1]
        return divmod(self.step_index, wo)

    @position.setter
    def position(self, value: tuple[int, int]) -> None:
        ho, wo = self.conv_trace.geometry.out_size
        i, j = (int(v) for v in value)
        if not (0 <= i < ho and 0 <= j < wo):
            raise ValueError(f"position must be inside the {ho}×{wo} output, got {value}")
        self.step_index = i * wo + j

    def step(self, n: int = 1) -> tuple[int, int]:
        """Move the window ``n`` cells (row-major; stops at the ends); returns the position."""
        self.step_index = max(0, min(self.steps - 1, self.step_index + int(n)))
        return self.position

    def reset(self) -> tuple[int, int]:
        """Back to the first window."""
        self.step_index = 0
        return self.position

    def window(self, position: tuple[int, int] | None = None) -> dict[str, np.ndarray]:
        """What the widget shows at ``position`` (default: current) for the selected filter:
        input values under the window, weights, products, their sum plus bias, the output."""
        i, j = self.position if position is None else position
        ct = self.conv_trace
        f = self.filter
        rows, cols = ct.geometry.window(i, j)
        chans = np.arange(ct.channels_of(f).start, ct.channels_of(f).stop)
        values = ct.padded[np.ix_(chans, rows, cols)]
        return {"values": values, "weights": ct.weight[f], "products": ct.products[f, i, j],
                "sum": np.array(ct.products[f, i, j].sum() + ct.bias[f]),
                "output": np.array(ct.output[f, i, j])}

    def receptive_field(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Padded-input rows and columns read by output cell (i, j)."""
        return self.conv_trace.geometry.window(i, j)

    def feeds(self, r: int, c: int) -> list[tuple[int, int]]:
        """Output cells that padded-input cell (r, c) contributes to."""
        return self.conv_trace.geometry.feeds(r, c)

    def formula(self) -> str:
        """The output-size formula for rows and columns, numbers filled in."""
        g = self.conv_trace.geometry
        return f"H_out = {g.formula(0)}\nW_out = {g.formula(1)}"

    @property
    def stride(self) -> tuple[int, int]:
        return tuple(self._settings["stride"])  # type: ignore[return-value]

    @property
    def dilation(self) -> tuple[int, int]:
        return tuple(self._settings["dilation"])  # type: ignore[return-value]

    @property
    def padding(self) -> tuple[int, int] | str:
        pad = self._settings["padding"]
        return pad if isinstance(pad, str) else (int(pad[0]), int(pad[1]))

    @property
    def padding_mode(self) -> str:
        return str(self._settings["padding_mode"])

    @property
    def image(self) -> np.ndarray:
        """The input (C, H, W), float64, with any edits."""
        return self._image.copy()

    @property
    def weight(self) -> np.ndarray:
        """The weights (filters, C/groups, kh, kw), float64, with any edits."""
        return self._weight.copy()

    @property
    def bias(self) -> np.ndarray | None:
        return self._bias.copy() if self._has_bias else None
