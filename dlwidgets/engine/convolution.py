"""Convolution traces: every window's element-wise products, computed by PyTorch in one pass.

A *trace* is everything a stepper needs to replay a layer without recomputing anything: the
padded input, the weights, for every output cell the products ``input · weight`` of its window
(filter × out_row × out_col × in_channel × kernel_row × kernel_col) and the output itself.

* ``conv_trace``: CNN convolution (cross-correlation, no kernel flip), stride / padding (number,
  pair, ``'same'``, ``'valid'``; zeros, replicate, reflect or circular) / dilation / groups /
  bias. The output comes from ``F.conv2d``; the products from ``F.unfold`` (a strided view of
  every window) times the weights, so ``products.sum(...) + bias == output``.
* ``pool_trace``: max, average and min pooling, each window's values and the input that wins.
* ``conv_transpose_trace``: transposed convolution as a scatter: each input value times the
  kernel, added into the output at stride-spaced positions; the output comes from
  ``F.conv_transpose2d``.

Output size along one axis: ``floor((n + p_before + p_after − d·(k − 1) − 1) / s) + 1`` (with
symmetric padding ``p``: ``floor((n + 2p − d(k−1) − 1)/s) + 1``). When ``s`` does not divide
evenly, the last rows/columns of the padded input are covered by no window: ``dropped``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .device import device as pick_device
from .samples import named_kernel, sample_image
from .tensors import as_array

#: Refuse traces with more products than this (each is a float32 in the browser: 8 MB).
MAX_PRODUCTS = 2_000_000
#: Largest input (and padded input) height or width.
MAX_SIDE = 512
#: Largest kernel height or width.
MAX_KERNEL = 31
#: Largest stride, dilation and padding (per side).
MAX_STRIDE = 16
MAX_DILATION = 16
MAX_PADDING = 64
#: Most input channels and filters.
MAX_CHANNELS = 1024
MAX_FILTERS = 1024

PADDING_MODES = ("zeros", "replicate", "reflect", "circular")
POOL_KINDS = ("max", "avg", "min")
ACTIVATIONS = ("none", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "elu", "silu", "softplus")

Pair = tuple[int, int]


# ----------------------------------------------------------------------------------------
# argument checking
# ----------------------------------------------------------------------------------------
def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(value)
        raise TypeError(f"{name} must be an int, got {value!r}")
    return int(value)


def as_pair(value: Any, name: str, low: int, high: int) -> Pair:
    """``value`` (an int or a pair of ints) as (height, width), each checked in [low, high]."""
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        if len(items) != 2:
            raise ValueError(f"{name} must be an int or a pair (height, width), got {value!r}")
        pair = (_int(items[0], name), _int(items[1], name))
    else:
        v = _int(value, name)
        pair = (v, v)
    for v in pair:
        if not low <= v <= high:
            raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    return pair


def output_size(n: int, kernel: int, stride: int = 1, padding: int | Pair = 0,
                dilation: int = 1) -> int:
    """``floor((n + 2p − d(k−1) − 1)/s) + 1``; ``padding`` may be (before, after)."""
    before, after = (padding, padding) if isinstance(padding, int) else padding
    return (n + before + after - dilation * (kernel - 1) - 1) // stride + 1


def resolve_padding(padding: Any, kernel_size: Pair, stride: Pair, dilation: Pair
                    ) -> tuple[tuple[int, int, int, int], str]:
    """Padding as (top, bottom, left, right) and as the user wrote it ('same', 'valid', '1,2').

    ``'same'`` follows PyTorch: total ``d(k−1)`` per axis, the extra one (even kernels) at the
    bottom/right; it needs stride 1, as in PyTorch.
    """
    if isinstance(padding, str):
        key = padding.strip().lower()
        if key == "valid":
            return (0, 0, 0, 0), "valid"
        if key == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"padding='same' needs stride=1 (as in PyTorch), got stride={stride}; "
                    "give padding as a number instead"
                )
            pads = []
            for k, d in zip(kernel_size, dilation):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return (pads[0], pads[1], pads[2], pads[3]), "same"
        raise ValueError(f"padding={padding!r}: use an int, a pair, 'same' or 'valid'")
    ph, pw = as_pair(padding, "padding", 0, MAX_PADDING)
    return (ph, ph, pw, pw), f"{ph}" if ph == pw else f"{ph},{pw}"


def _check_finite(arr: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains {arr[where]} at index {where}; only finite numbers can be convolved"
        )


def as_image(image: Any, name: str = "image", index: int = 0, *, guess_hwc: bool = True
             ) -> np.ndarray:
    """Any supported input as a float64 (C, H, W) array.

    Accepts a built-in image name (``"digit"``, ``"edges"``, ...), a 2-D array (H, W), a
    (C, H, W) array or tensor, a (1, C, H, W) tensor, or an image array (H, W, 3|4) — an
    array whose last axis is 3 or 4 and whose first is larger than 4 is read as height ×
    width × colour (alpha dropped) unless ``guess_hwc`` is False. uint8 values are scaled to
    [0, 1].
    """
    if isinstance(image, str):
        sample = sample_image(image, index)
        return sample[None] if sample.ndim == 2 else sample
    is_tensor = isinstance(image, torch.Tensor)
    arr = as_array(image, name)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 2:
        arr = arr[None]
    elif arr.ndim == 3:
        if guess_hwc and not is_tensor and arr.shape[-1] in (3, 4) and arr.shape[0] > 4:
            arr = np.moveaxis(arr[..., :3], -1, 0)
    else:
        raise ValueError(
            f"{name} must be 2-D (H, W), 3-D (C, H, W) or an image (H, W, 3); got shape {arr.shape}"
        )
    check_image_shape(arr.shape, name)
    scale = 1.0 / 255.0 if arr.dtype == np.uint8 else 1.0
    out = np.ascontiguousarray(arr, dtype=np.float64) * scale
    _check_finite(out, name)
    return out


def check_image_shape(shape: Sequence[int], name: str = "image") -> None:
    """Raise ValueError when a (C, H, W) image is empty or over the stepper's limits; called
    on shapes, before any copy of the values is made."""
    c, h, w = (int(v) for v in shape)
    if min(c, h, w) == 0:
        raise ValueError(f"{name} is empty: shape {tuple(shape)}")
    if h > MAX_SIDE or w > MAX_SIDE:
        raise ValueError(
            f"{name} is {h}×{w}; the stepper shows every cell and its limit is "
            f"{MAX_SIDE}×{MAX_SIDE} — crop or downsample it"
        )
    if c > MAX_CHANNELS:
        raise ValueError(f"{name} has {c} channels; the limit is {MAX_CHANNELS}")


def as_weight(kernel: Any, in_channels: int, groups: int = 1, name: str = "kernel") -> np.ndarray:
    """Any supported kernel as float64 weights (F, C_in/groups, kh, kw) like ``nn.Conv2d``.

    A name (``"sobel_x"``) or a 2-D array is one filter, copied across the input channels it
    sees (and once per group); a list of names is several such filters; a 3-D array is one
    filter (C_in/groups, kh, kw); a 4-D array is the full weight (F, C_in/groups, kh, kw).
    """
    if in_channels % groups:
        raise ValueError(
            f"groups={groups} must divide the {in_channels} input channels of the image"
        )
    cg = in_channels // groups
    base: np.ndarray | None = None  # (N, kh, kw): N filters, each copied across channels
    if isinstance(kernel, str):
        base = named_kernel(kernel)[None]
    elif isinstance(kernel, (list, tuple)) and kernel and all(isinstance(k, str) for k in kernel):
        base = np.stack([named_kernel(k) for k in kernel])
    else:
        arr = as_array(kernel, name).astype(np.float64)
        if arr.ndim == 2:
            base = arr[None]
        elif arr.ndim not in (3, 4):
            raise ValueError(
                f"{name} must be 2-D (kh, kw), 3-D (C_in, kh, kw) or 4-D (F, C_in/groups, kh, kw); "
                f"got shape {arr.shape}"
            )
    if base is not None:
        n, kh, kw = base.shape
        weight = np.broadcast_to(base[None, :, None], (groups, n, cg, kh, kw)).reshape(
            groups * n, cg, kh, kw)
    else:
        weight = arr[None] if arr.ndim == 3 else arr
        if weight.shape[1] != cg:
            need = f"C_in/groups = {in_channels}/{groups} = {cg}" if groups > 1 else f"{cg}"
            raise ValueError(
                f"{name} has {weight.shape[1]} input channel(s) (shape {arr.shape}) but the image "
                f"has {in_channels}: each filter needs {need}"
            )
        if arr.ndim == 3:
            weight = np.repeat(weight, groups, axis=0)
        if weight.shape[0] % groups:
            raise ValueError(f"{name} has {weight.shape[0]} filters, not a multiple of groups={groups}")
    f, _, kh, kw = weight.shape
    if min(f, kh, kw) == 0:
        raise ValueError(f"{name} is empty: shape {weight.shape}")
    if kh > MAX_KERNEL or kw > MAX_KERNEL:
        raise ValueError(f"{name} is {kh}×{kw}; the largest kernel shown is {MAX_KERNEL}×{MAX_KERNEL}")
    if f > MAX_FILTERS:
        raise ValueError(f"{name} has {f} filters; the limit is {MAX_FILTERS}")
    weight = np.array(weight, dtype=np.float64, order="C")  # a writable copy, never a view of the caller's
    _check_finite(weight, name)
    return weight


def as_bias(bias: Any, filters: int) -> tuple[np.ndarray, bool]:
    """Bias as a float64 (F,) array, and whether there is one."""
    if bias is None or bias is False:
        return np.zeros(filters), False
    arr = as_array(bias, "bias").astype(np.float64)
    if arr.ndim == 0:
        arr = np.full(filters, float(arr))
    arr = arr.reshape(-1)
    if arr.shape != (filters,):
        raise ValueError(f"bias must be a number or hold one value per filter ({filters}), got {arr.size}")
    _check_finite(arr, "bias")
    return arr, True


def _compute_dtype(dev: torch.device) -> torch.dtype:
    return torch.float32 if dev.type == "mps" else torch.float64


def _pad(x: torch.Tensor, pads: tuple[int, int, int, int], mode: str, value: float = 0.0
         ) -> torch.Tensor:
    """Pad a (N, C, H, W) tensor by (top, bottom, left, right) the way nn.Conv2d does."""
    t, b, left, r = pads
    if not any(pads):
        return x
    if mode == "zeros":
        return F.pad(x, (left, r, t, b), mode="constant", value=value)
    return F.pad(x, (left, r, t, b), mode=mode)


# ----------------------------------------------------------------------------------------
# geometry
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvGeometry:
    """Where every window sits. Coordinates of windows are in the *padded* input."""

    in_size: Pair
    kernel_size: Pair
    stride: Pair
    padding: tuple[int, int, int, int]  # top, bottom, left, right
    dilation: Pair

    @property
    def padded_size(self) -> Pair:
        t, b, left, r = self.padding
        return self.in_size[0] + t + b, self.in_size[1] + left + r

    @property
    def span(self) -> Pair:
        """Extent of one (dilated) window: d(k−1) + 1 per axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))  # type: ignore[return-value]

    @property
    def out_size(self) -> Pair:
        t, b, left, r = self.padding
        return (
            output_size(self.in_size[0], self.kernel_size[0], self.stride[0], (t, b), self.dilation[0]),
            output_size(self.in_size[1], self.kernel_size[1], self.stride[1], (left, r), self.dilation[1]),
        )

    @property
    def dropped(self) -> Pair:
        """Padded rows (bottom) and columns (right) that no window reaches (floor rule)."""
        hp, wp = self.padded_size
        ho, wo = self.out_size
        return (
            hp - ((ho - 1) * self.stride[0] + self.span[0]),
            wp - ((wo - 1) * self.stride[1] + self.span[1]),
        )

    def window(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Padded-input rows and columns read by output cell (i, j)."""
        rows = i * self.stride[0] + self.dilation[0] * np.arange(self.kernel_size[0])
        cols = j * self.stride[1] + self.dilation[1] * np.arange(self.kernel_size[1])
        return rows, cols

    def feeds(self, r: int, c: int) -> list[Pair]:
        """Output cells whose window reads padded-input cell (r, c)."""
        ho, wo = self.out_size
        out = []
        for i in range(ho):
            rows, _ = self.window(i, 0)
            if r not in rows:
                continue
            for j in range(wo):
                _, cols = self.window(0, j)
                if c in cols:
                    out.append((i, j))
        return out

    def formula(self, axis: int = 0) -> str:
        """The output-size formula along ``axis`` (0 rows, 1 columns) with the numbers in."""
        n, k, s, d = (self.in_size[axis], self.kernel_size[axis], self.stride[axis],
                      self.dilation[axis])
        before, after = self.padding[2 * axis: 2 * axis + 2]
        pad = f"2·{before}" if before == after else f"{before} + {after}"
        top = n + before + after - d * (k - 1) - 1
        return (f"floor(({n} + {pad} − {d}·({k}−1) − 1) / {s}) + 1 = floor({top}/{s}) + 1 = "
                f"{top // s + 1}")


def _check_fits(geometry: ConvGeometry, what: str = "kernel") -> None:
    hp, wp = geometry.padded_size
    if hp > MAX_SIDE + 2 * MAX_PADDING or wp > MAX_SIDE + 2 * MAX_PADDING:
        raise ValueError(f"the padded input would be {hp}×{wp}; the limit is {MAX_SIDE}×{MAX_SIDE} plus padding")
    sh, sw = geometry.span
    if sh > hp or sw > wp:
        kh, kw = geometry.kernel_size
        dil = "" if geometry.dilation == (1, 1) else (
            f" with dilation {geometry.dilation[0]},{geometry.dilation[1]} it spans {sh}×{sw}")
        raise ValueError(
            f"{what} ({kh}×{kw}{dil}) is larger than the padded input ({hp}×{wp}); "
            "use a smaller kernel or dilation, or more padding"
        )


def _check_trace_size(count: int, what: str) -> None:
    if count > MAX_PRODUCTS:
        raise ValueError(
            f"the {what} would hold {count / 1e6:.1f} million products; the limit is "
            f"{MAX_PRODUCTS / 1e6:g} million (what a browser can hold and draw). Use a smaller "
            "image, fewer filters or channels, or a larger stride"
        )


# ----------------------------------------------------------------------------------------
# convolution trace
# ----------------------------------------------------------------------------------------
@dataclass
class ConvTrace:
    """Every window of a 2-D convolution, its products and the output (all float64 numpy)."""

    input: np.ndarray      # (C, H, W)
    padded: np.ndarray     # (C, Hp, Wp)
    weight: np.ndarray     # (F, C/groups, kh, kw)
    bias: np.ndarray       # (F,) zeros when there is no bias
    has_bias: bool
    groups: int
    padding_mode: str
    padding_spec: str      # 'same', 'valid', '1' or '1,2' as given
    geometry: ConvGeometry
    products: np.ndarray   # (F, Ho, Wo, C/groups, kh, kw)
    output: np.ndarray     # (F, Ho, Wo), from F.conv2d

    @property
    def filters(self) -> int:
        return int(self.weight.shape[0])

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.output.shape)  # type: ignore[return-value]

    def channels_of(self, f: int) -> range:
        """Input channels filter ``f`` reads (all of them unless groups > 1)."""
        cg = self.weight.shape[1]
        g = f // (self.filters // self.groups)
        return range(g * cg, (g + 1) * cg)


def conv_trace(image: Any, kernel: Any = "vertical_edge", bias: Any = None, stride: Any = 1,
               padding: Any = 0, dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
               device: str | torch.device | None = None) -> ConvTrace:
    """Trace of ``F.conv2d(image, kernel, bias, stride, padding, dilation, groups)``.

    ``image`` and ``kernel`` take every form ``as_image``/``as_weight`` accept. The products
    are ``padded[c, i·s + u·d, j·s + v·d] · weight[f, c, u, v]`` for every filter f, output
    cell (i, j), channel c of f's group and kernel cell (u, v), all in one vectorized pass.
    """
    x = as_image(image, "image")
    groups = _int(groups, "groups")
    if not 1 <= groups <= x.shape[0]:
        raise ValueError(f"groups must be in [1, {x.shape[0]}] (the image's channels), got {groups}")
    weight = as_weight(kernel, x.shape[0], groups, "kernel")
    bias_arr, has_bias = as_bias(bias, weight.shape[0])
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode={padding_mode!r}; choose one of: {', '.join(PADDING_MODES)}")
    s = as_pair(stride, "stride", 1, MAX_STRIDE)
    d = as_pair(dilation, "dilation", 1, MAX_DILATION)
    k = (int(weight.shape[2]), int(weight.shape[3]))
    pads, spec = resolve_padding(padding, k, s, d)
    geometry = ConvGeometry((x.shape[1], x.shape[2]), k, s, pads, d)
    _check_fits(geometry)
    h, w = geometry.in_size
    t, b, left, r = pads
    if padding_mode == "reflect" and max(t, b) >= h or padding_mode == "reflect" and max(left, r) >= w:
        raise ValueError(
            f"padding_mode='reflect' needs padding smaller than the image ({h}×{w}), got {pads}"
        )
    if padding_mode == "circular" and (max(t, b) > h or max(left, r) > w):
        raise ValueError(
            f"padding_mode='circular' needs padding at most the image size ({h}×{w}), got {pads}"
        )
    nf, cg, kh, kw = weight.shape
    ho, wo = geometry.out_size
    _check_trace_size(nf * ho * wo * cg * kh * kw, "trace")

    dev = pick_device(device)
    dtype = _compute_dtype(dev)
    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=dtype, device=dev)[None]
        wt = torch.as_tensor(weight, dtype=dtype, device=dev)
        bt = torch.as_tensor(bias_arr, dtype=dtype, device=dev)
        padded = _pad(xt, pads, padding_mode)
        out = F.conv2d(padded, wt, bt if has_bias else None, s, 0, d, groups)[0]
        # every window as a column: (1, C*kh*kw, Ho*Wo), channel-major like the weights
        cols = F.unfold(padded, (kh, kw), dilation=d, padding=0, stride=s)
        # window-major (G, 1, Ho*Wo, Cg*kh*kw): transposing the small column matrix first makes
        # the big product come out contiguous in the (F, Ho, Wo, Cg, kh, kw) order we keep
        cols = cols.view(groups, cg * kh * kw, ho * wo).transpose(1, 2).contiguous()
        prods = torch.empty((groups, nf // groups, ho * wo, cg * kh * kw), dtype=dtype, device=dev)
        torch.mul(cols[:, None], wt.reshape(groups, nf // groups, 1, cg * kh * kw), out=prods)
        prods = prods.view(nf, ho, wo, cg, kh, kw)
    return ConvTrace(
        input=x, padded=padded[0].cpu().double().numpy(), weight=weight, bias=bias_arr,
        has_bias=has_bias, groups=groups, padding_mode=padding_mode, padding_spec=spec,
        geometry=geometry, products=prods.cpu().double().numpy(),
        output=out.cpu().double().numpy(),
    )


def naive_conv_trace(image: Any, kernel: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, dilation: Any = 1, groups: int = 1,
                     padding_mode: str = "zeros") -> tuple[np.ndarray, np.ndarray]:
    """(products, output) by a Python loop over filters and output cells (the slow way).

    Used by the benchmark as the baseline and by tests as a second, independent computation.
    """
    x = as_image(image)
    weight = as_weight(kernel, x.shape[0], groups)
    bias_arr, _ = as_bias(bias, weight.shape[0])
    s = as_pair(stride, "stride", 1, MAX_STRIDE)
    d = as_pair(dilation, "dilation", 1, MAX_DILATION)
    nf, cg, kh, kw = weight.shape
    pads, _ = resolve_padding(padding, (kh, kw), s, d)
    t, b, left, r = pads
    np_mode = {"zeros": "constant", "replicate": "edge", "reflect": "reflect", "circular": "wrap"}
    padded = np.pad(x, ((0, 0), (t, b), (left, r)), mode=np_mode[padding_mode])  # type: ignore[call-overload]
    geometry = ConvGeometry((x.shape[1], x.shape[2]), (kh, kw), s, pads, d)
    ho, wo = geometry.out_size
    products = np.empty((nf, ho, wo, cg, kh, kw))
    output = np.empty((nf, ho, wo))
    per_group = nf // groups
    for f in range(nf):
        c0 = (f // per_group) * cg
        for i in range(ho):
            for j in range(wo):
                window = padded[c0:c0 + cg,
                                i * s[0]: i * s[0] + d[0] * (kh - 1) + 1: d[0],
                                j * s[1]: j * s[1] + d[1] * (kw - 1) + 1: d[1]]
                p = window * weight[f]
                products[f, i, j] = p
                output[f, i, j] = p.sum() + bias_arr[f]
    return products, output


# ----------------------------------------------------------------------------------------
# activation and pooling
# ----------------------------------------------------------------------------------------
def activate(x: np.ndarray, name: str = "relu", negative_slope: float = 0.01,
             device: str | torch.device | None = None) -> np.ndarray:
    """Apply activation ``name`` (see ``ACTIVATIONS``) with PyTorch; float64 result."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation={name!r}; choose one of: {', '.join(ACTIVATIONS)}")
    dev = pick_device(device)
    with torch.no_grad():
        t = torch.as_tensor(np.asarray(x, dtype=np.float64), dtype=_compute_dtype(dev), device=dev)
        fns = {
            "none": lambda v: v, "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "gelu": F.gelu, "elu": F.elu, "silu": F.silu, "softplus": F.softplus,
            "leaky_relu": lambda v: F.leaky_relu(v, negative_slope),
        }
        return fns[name](t).cpu().double().numpy()  # type: ignore[no-untyped-call]


@dataclass
class PoolTrace:
    """Every pooling window, its output and (max/min) the input cell that wins."""

    kind: str              # 'max', 'avg' or 'min'
    input: np.ndarray      # (C, H, W)
    geometry: ConvGeometry
    windows: np.ndarray    # (C, Ho, Wo, kh, kw); padding shows as −inf (max), +inf (min), 0 (avg)
    output: np.ndarray     # (C, Ho, Wo), from F.max_pool2d / F.avg_pool2d
    winners: np.ndarray    # (C, Ho, Wo) int64 flat index into H·W of the winning input; −1 for avg


def pool_trace(x: Any, kind: str = "max", kernel_size: Any = 2, stride: Any = None,
               padding: Any = 0, device: str | torch.device | None = None) -> PoolTrace:
    """Trace of max / average / min pooling over each channel of ``x`` (C, H, W).

    Min pooling is ``−max_pool2d(−x)``. Average pooling counts the zero padding, as
    ``F.avg_pool2d`` does by default. Partial windows at the end are dropped (no ceil mode).
    """
    if kind not in POOL_KINDS:
        raise ValueError(f"pool={kind!r}; choose one of: {', '.join(POOL_KINDS)}")
    arr = as_image(x, "pooling input", guess_hwc=False)
    k = as_pair(kernel_size, "pool_size", 1, MAX_KERNEL)
    s = k if stride is None else as_pair(stride, "pool_stride", 1, MAX_STRIDE)
    p = as_pair(padding, "pool_padding", 0, MAX_PADDING)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(
            f"pool_padding={p} must be at most half the pooling window {k} (PyTorch's rule)"
        )
    geometry = ConvGeometry((arr.shape[1], arr.shape[2]), k, s, (p[0], p[0], p[1], p[1]), (1, 1))
    _check_fits(geometry, "pool_size")
    c = arr.shape[0]
    ho, wo = geometry.out_size
    _check_trace_size(c * ho * wo * k[0] * k[1], "pooling trace")
    dev = pick_device(device)
    fill = {"max": -math.inf, "min": math.inf, "avg": 0.0}[kind]
    with torch.no_grad():
        xt = torch.as_tensor(arr, dtype=_compute_dtype(dev), device=dev)[None]
        if kind == "max":
            out = F.max_pool2d(xt, k, s, p)
        elif kind == "min":
            out = -F.max_pool2d(-xt, k, s, p)
        else:
            out = F.avg_pool2d(xt, k, s, p)
        padded = F.pad(xt, (p[1], p[1], p[0], p[0]), value=fill) if any(p) else xt
        cols = F.unfold(padded.transpose(0, 1), k, stride=s)  # (C, kh*kw, Ho*Wo)
        windows = cols.view(c, k[0], k[1], ho, wo).permute(0, 3, 4, 1, 2).contiguous()
        if kind == "avg":
            winners = torch.full((c, ho, wo), -1, dtype=torch.int64)
        else:
            flat = cols if kind == "max" else -cols
            best = flat.argmax(dim=1).view(c, ho, wo)  # first maximal value, like PyTorch
            u, v = best // k[1], best % k[1]
            oi = torch.arange(ho, device=dev).view(1, ho, 1)
            oj = torch.arange(wo, device=dev).view(1, 1, wo)
            rows = oi * s[0] - p[0] + u
            colsi = oj * s[1] - p[1] + v
            winners = (rows * arr.shape[2] + colsi).cpu()
    return PoolTrace(kind=kind, input=arr, geometry=geometry,
                     windows=windows.cpu().double().numpy(), output=out[0].cpu().double().numpy(),
                     winners=winners.numpy().astype(np.int64))


# ----------------------------------------------------------------------------------------
# transposed convolution
# ----------------------------------------------------------------------------------------
@dataclass
class TransposeTrace:
    """Transposed convolution as a scatter: where each input value lands, times which weight."""

    input: np.ndarray          # (C_in, H, W)
    weight: np.ndarray         # (C_in, C_out/groups, kh, kw), nn.ConvTranspose2d's layout
    bias: np.ndarray           # (C_out,)
    stride: Pair
    padding: Pair
    output_padding: Pair
    dilation: Pair
    groups: int
    contributions: np.ndarray  # (C_in, H, W, C_out/groups, kh, kw) = input[c,i,j] · weight[c,o,u,v]
    output: np.ndarray         # (C_out, Ho, Wo), from F.conv_transpose2d

    def targets(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Output rows and columns that input cell (i, j) is scattered to (some may be cropped)."""
        kh, kw = self.weight.shape[2:]
        rows = i * self.stride[0] - self.padding[0] + self.dilation[0] * np.arange(kh)
        cols = j * self.stride[1] - self.padding[1] + self.dilation[1] * np.arange(kw)
        return rows, cols

    def out_channels_of(self, c: int) -> range:
        """Output channels input channel ``c`` is scattered into."""
        cin = self.input.shape[0]
        og = self.weight.shape[1]
        g = c // (cin // self.groups)
        return range(g * og, (g + 1) * og)


def transpose_output_size(n: int, kernel: int, stride: int = 1, padding: int = 0,
                          output_padding: int = 0, dilation: int = 1) -> int:
    """``(n − 1)·s − 2p + d(k − 1) + output_padding + 1``."""
    return (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def conv_transpose_trace(x: Any, weight: Any, bias: Any = None, stride: Any = 1,
                         padding: Any = 0, output_padding: Any = 0, dilation: Any = 1,
                         groups: int = 1, device: str | torch.device | None = None
                         ) -> TransposeTrace:
    """Trace of ``F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups,
    dilation)``: input cell (i, j) of channel c adds ``x[c,i,j]·weight[c,o,u,v]`` to output cell
    ``(i·s − p + u·d, j·s − p + v·d)`` of channel o of its group."""
    arr = as_image(x, "input", guess_hwc=False)
    groups = _int(groups, "groups")
    cin = arr.shape[0]
    if not 1 <= groups <= cin or cin % groups:
        raise ValueError(f"groups={groups} must divide the {cin} input channels")
    w = as_array(weight, "weight").astype(np.float64)
    if w.ndim != 4 or w.shape[0] != cin:
        raise ValueError(
            f"weight must be (C_in={cin}, C_out/groups, kh, kw) like nn.ConvTranspose2d's, got "
            f"shape {w.shape}"
        )
    _check_finite(w, "weight")
    bias_arr, has_bias = as_bias(bias, w.shape[1] * groups)
    s = as_pair(stride, "stride", 1, MAX_STRIDE)
    p = as_pair(padding, "padding", 0, MAX_PADDING)
    d = as_pair(dilation, "dilation", 1, MAX_DILATION)
    op = as_pair(output_padding, "output_padding", 0, MAX_STRIDE)
    for a in range(2):
        if op[a] >= max(s[a], d[a]):
            raise ValueError(
                f"output_padding={op} must be smaller than the stride {s} or the dilation {d} "
                "(PyTorch's rule)"
            )
    _, og, kh, kw = w.shape
    if kh > MAX_KERNEL or kw > MAX_KERNEL:
        raise ValueError(f"weight is {kh}×{kw}; the largest kernel shown is {MAX_KERNEL}×{MAX_KERNEL}")
    h, wd = arr.shape[1:]
    ho = transpose_output_size(h, kh, s[0], p[0], op[0], d[0])
    wo = transpose_output_size(wd, kw, s[1], p[1], op[1], d[1])
    if ho < 1 or wo < 1:
        raise ValueError(f"padding={p} crops the whole output ({ho}×{wo}); use less padding")
    if ho > MAX_SIDE + 2 * MAX_PADDING or wo > MAX_SIDE + 2 * MAX_PADDING:
        raise ValueError(f"the output would be {ho}×{wo}; the limit is {MAX_SIDE}×{MAX_SIDE}")
    _check_trace_size(cin * h * wd * og * kh * kw, "transposed trace")
    dev = pick_device(device)
    dtype = _compute_dtype(dev)
    with torch.no_grad():
        xt = torch.as_tensor(arr, dtype=dtype, device=dev)
        wt = torch.as_tensor(w, dtype=dtype, device=dev)
        bt = torch.as_tensor(bias_arr, dtype=dtype, device=dev) if has_bias else None
        out = F.conv_transpose2d(xt[None], wt, bt, s, p, op, groups, d)[0]
        contrib = xt[:, :, :, None, None, None] * wt[:, None, None]
    return TransposeTrace(
        input=arr, weight=w, bias=bias_arr, stride=s, padding=p, output_padding=op,
        dilation=d, groups=groups, contributions=contrib.cpu().double().numpy(),
        output=out.cpu().double().numpy(),
    )
