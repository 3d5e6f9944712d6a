"""Traces of recurrent layers (nn.LSTM, nn.GRU, nn.RNN): every gate and state at every step.

PyTorch's fused kernels return only the hidden states of the last layer and the final (h, c).
To show what happens inside, the layer is recomputed from its own weights:

* per layer, the input projections of *all* time steps (and both directions) are one matrix
  product ``X @ [W_ih; W_ih_reverse]^T + b``;
* then one loop over time does the recurrent part ``h_{t-1} @ W_hh^T`` (both directions at once
  with a batched product, the reverse direction walking its sequence backwards) and the
  element-wise gate arithmetic, writing every gate into preallocated buffers.

The formulas are PyTorch's (weights stacked i, f, g, o for the LSTM and r, z, n for the GRU,
the GRU's reset gate multiplying ``W_hn h + b_hn``; an LSTM with ``proj_size`` projects
``o * tanh(c)`` by ``W_hr``); tests check the recomputed outputs against the module's own forward.
Dropout between layers is off, as in ``eval()`` mode.

The same loop can clamp a gate of one unit to a value over a window of steps (an intervention)
and, run under autograd, gives ``||dh_T/dh_t||`` for every t (gradient through time).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .device import device as pick_device
from .probes import capture_layer_input, first_tensor, probing

RECURRENT_TYPES: tuple[type[nn.Module], ...] = (nn.LSTM, nn.GRU, nn.RNN)

#: Names of the recorded arrays per layer kind (``m`` = o*tanh(c) is added for proj_size > 0).
STATE_NAMES: dict[str, tuple[str, ...]] = {
    "LSTM": ("input", "forget", "cell", "output", "c", "h"),
    "GRU": ("reset", "update", "new", "h"),
    "RNN": ("pre", "h"),
}

#: What can be clamped, per kind, and the range a clamp value must lie in.
CLAMP_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "LSTM": {"input": (0.0, 1.0), "forget": (0.0, 1.0), "cell": (-1.0, 1.0),
             "output": (0.0, 1.0), "c": (-1e6, 1e6)},
    "GRU": {"reset": (0.0, 1.0), "update": (0.0, 1.0), "new": (-1.0, 1.0)},
    "RNN_TANH": {"h": (-1.0, 1.0)},
    "RNN_RELU": {"h": (0.0, 1e6)},
}

# PyTorch stacks the LSTM's gates i, f, g, o; the loops hold them as i, f, o, g so that the
# three sigmoid gates are contiguous: internal chunk k is PyTorch's chunk _LSTM_ORDER[k].
_LSTM_ORDER = (0, 1, 3, 2)

# position of each clampable activation inside the (internal) gate vector, in hidden_size units
_GATE_CHUNK = {"input": 0, "forget": 1, "output": 2, "cell": 3, "reset": 0, "update": 1,
               "new": 2, "h": 0}


def kind_of(rnn: nn.Module) -> str:
    """``"LSTM"``, ``"GRU"`` or ``"RNN"`` for a recurrent layer."""
    if isinstance(rnn, nn.LSTM):
        return "LSTM"
    if isinstance(rnn, nn.GRU):
        return "GRU"
    if isinstance(rnn, nn.RNN):
        return "RNN"
    raise TypeError(f"expected nn.LSTM, nn.GRU or nn.RNN, got {type(rnn).__name__}")


def _weight0(rnn: nn.Module) -> torch.Tensor:
    """The first input weight: its dtype and device are the layer's."""
    w = rnn.weight_ih_l0
    assert isinstance(w, torch.Tensor)
    return w


def _mode(rnn: nn.RNNBase) -> str:
    kind = kind_of(rnn)
    if kind == "RNN":
        return "RNN_RELU" if rnn.nonlinearity == "relu" else "RNN_TANH"
    return kind


def find_recurrent(module: Any) -> tuple[str, nn.RNNBase]:
    """The module itself if it is an nn.LSTM/GRU/RNN, else its first such submodule, with its name.

    Raises ``TypeError`` naming what was found when there is none.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"lstm must be an nn.LSTM, nn.GRU, nn.RNN or an nn.Module containing one; "
            f"got a {type(module).__name__}"
        )
    if isinstance(module, RECURRENT_TYPES):
        return "", module  # type: ignore[return-value]
    for name, sub in module.named_modules():
        if isinstance(sub, RECURRENT_TYPES):
            return name, sub  # type: ignore[return-value]
    found = sorted({type(m).__name__ for m in module.modules()})
    cells = [n for n in found if n in ("LSTMCell", "GRUCell", "RNNCell")]
    hint = (f" ({', '.join(cells)} are single steps, not layers: use nn.LSTM/GRU/RNN)"
            if cells else "")
    raise TypeError(
        f"lstm must be an nn.LSTM, nn.GRU, nn.RNN or contain one; {type(module).__name__} "
        f"contains no recurrent layer (found: {', '.join(found)}){hint}"
    )


@dataclass(frozen=True)
class Clamp:
    """Hold one activation of one unit at ``value`` for the time steps ``start <= t < stop``.

    ``gate`` is one of ``CLAMP_RANGES[kind]`` (LSTM: input, forget, cell, output or the cell
    state c; GRU: reset, update, new; RNN: h). ``stop=None`` means to the end of the sequence.
    Steps are positions in the sequence for both directions.
    """

    gate: str
    unit: int
    value: float
    start: int = 0
    stop: int | None = None
    layer: int = 0
    direction: int = 0

    def active(self, t: int) -> bool:
        return self.start <= t and (self.stop is None or t < self.stop)


def check_clamps(rnn: nn.RNNBase, clamps: Sequence[Clamp], steps: int) -> tuple[Clamp, ...]:
    """Validate clamps against the layer and sequence length; raises ValueError with the range."""
    mode = _mode(rnn)
    allowed = CLAMP_RANGES[mode]
    num_dirs = 2 if rnn.bidirectional else 1
    out: list[Clamp] = []
    for clamp in clamps:
        if not isinstance(clamp, Clamp):
            raise TypeError(f"clamps must hold Clamp objects, got {type(clamp).__name__}")
        if clamp.gate not in allowed:
            raise ValueError(
                f"clamp gate={clamp.gate!r} is not clampable in an {kind_of(rnn)}; "
                f"choose one of: {', '.join(allowed)}"
            )
        lo, hi = allowed[clamp.gate]
        value = float(clamp.value)
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ValueError(f"clamp value for {clamp.gate!r} must be in [{lo:g}, {hi:g}], got {value}")
        if not 0 <= clamp.layer < rnn.num_layers:
            raise ValueError(f"clamp layer must be in [0, {rnn.num_layers - 1}], got {clamp.layer}")
        if not 0 <= clamp.direction < num_dirs:
            raise ValueError(f"clamp direction must be in [0, {num_dirs - 1}], got {clamp.direction}")
        if not 0 <= clamp.unit < rnn.hidden_size:
            raise ValueError(f"clamp unit must be in [0, {rnn.hidden_size - 1}], got {clamp.unit}")
        if not 0 <= clamp.start < steps:
            raise ValueError(f"clamp start must be a step in [0, {steps - 1}], got {clamp.start}")
        if clamp.stop is not None and not clamp.start < clamp.stop <= steps:
            raise ValueError(f"clamp stop must be in [{clamp.start + 1}, {steps}], got {clamp.stop}")
        out.append(clamp)
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# weights


@dataclass
class _LayerWeights:
    w_ih: torch.Tensor  # (D*G, F): both directions stacked, one input matmul per layer
    b_in: torch.Tensor | None  # (D*G,) bias folded into the input projection
    w_hh_t: torch.Tensor  # (D, H_in, G): W_hh^T per direction
    b_hh: torch.Tensor | None  # (D, 1, G): GRU only (b_hn must stay inside r * (...))
    w_hr_t: torch.Tensor | None  # (D, H, P): LSTM projection^T


def _lstm_reorder(t: torch.Tensor) -> torch.Tensor:
    chunks = t.chunk(4, 0)
    return torch.cat([chunks[k] for k in _LSTM_ORDER], 0)


def _layer_weights(rnn: nn.RNNBase, layer: int, dev: torch.device, dtype: torch.dtype) -> _LayerWeights:
    kind = kind_of(rnn)
    num_dirs = 2 if rnn.bidirectional else 1
    w_ih, b_in, w_hh_t, b_hh, w_hr_t = [], [], [], [], []
    for d in range(num_dirs):
        sfx = f"_l{layer}" + ("_reverse" if d else "")

        def get(name: str, sfx: str = sfx) -> torch.Tensor | None:
            value = getattr(rnn, name + sfx, None)
            return None if value is None else value.detach().to(dev, dtype)

        wi, wh = get("weight_ih"), get("weight_hh")
        assert wi is not None and wh is not None
        bi, bh = get("bias_ih"), get("bias_hh")
        if kind == "LSTM":  # i, f, g, o -> i, f, o, g
            wi, wh = _lstm_reorder(wi), _lstm_reorder(wh)
            bi = None if bi is None else _lstm_reorder(bi)
            bh = None if bh is None else _lstm_reorder(bh)
        w_ih.append(wi)
        w_hh_t.append(wh.t())
        if rnn.bias:
            assert bi is not None and bh is not None
            if kind == "GRU":
                b_in.append(bi)
                b_hh.append(bh)
            else:
                b_in.append(bi + bh)
        if getattr(rnn, "proj_size", 0):
            wr = get("weight_hr")
            assert wr is not None
            w_hr_t.append(wr.t())
    return _LayerWeights(
        w_ih=torch.cat(w_ih, 0),
        b_in=torch.cat(b_in, 0) if b_in else None,
        w_hh_t=torch.stack(w_hh_t).contiguous(),
        b_hh=torch.stack(b_hh)[:, None, :] if b_hh else None,
        w_hr_t=torch.stack(w_hr_t).contiguous() if w_hr_t else None,
    )


# ----------------------------------------------------------------------------------------------
# clamp masks: activation -> activation * keep + add, over the gate vector (G) and over c (H)


class _Masks:
    def __init__(self, clamps: Sequence[Clamp], layer: int, num_dirs: int, hidden: int,
                 gate_width: int, steps: int, dev: torch.device, dtype: torch.dtype) -> None:
        self.clamps = [c for c in clamps if c.layer == layer]
        self.num_dirs, self.hidden, self.gate_width, self.steps = num_dirs, hidden, gate_width, steps
        self.dev, self.dtype = dev, dtype
        self._cache: dict[tuple[int, ...], tuple[Any, Any]] = {}

    def at(self, step: int) -> tuple[Any, Any]:
        """(gate mask, c mask) for loop step ``step``; each (keep, add) or None."""
        if not self.clamps:
            return None, None
        active = tuple(
            i for i, c in enumerate(self.clamps)
            if c.active(step if c.direction == 0 else self.steps - 1 - step)
        )
        if active not in self._cache:
            self._cache[active] = self._build(active)
        return self._cache[active]

    def _build(self, active: tuple[int, ...]) -> tuple[Any, Any]:
        if not active:
            return None, None
        shape_g = (self.num_dirs, 1, self.gate_width)
        shape_c = (self.num_dirs, 1, self.hidden)
        g_keep, g_add = torch.ones(shape_g), torch.zeros(shape_g)
        c_keep, c_add = torch.ones(shape_c), torch.zeros(shape_c)
        has_g = has_c = False
        for i in active:
            c = self.clamps[i]
            if c.gate == "c":
                c_keep[c.direction, 0, c.unit] = 0.0
                c_add[c.direction, 0, c.unit] = c.value
                has_c = True
            else:
                j = _GATE_CHUNK[c.gate] * self.hidden + c.unit
                g_keep[c.direction, 0, j] = 0.0
                g_add[c.direction, 0, j] = c.value
                has_g = True

        def conv(keep: torch.Tensor, add: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return keep.to(self.dev, self.dtype), add.to(self.dev, self.dtype)

        return (conv(g_keep, g_add) if has_g else None), (conv(c_keep, c_add) if has_c else None)


def _apply(x: torch.Tensor, mask: Any, lo: int, hi: int, inplace: bool) -> torch.Tensor:
    """x * keep + add with the mask columns [lo, hi)."""
    if mask is None:
        return x
    keep, add = mask[0][..., lo:hi], mask[1][..., lo:hi]
    if inplace:
        return x.mul_(keep).add_(add)
    return x * keep + add


# ----------------------------------------------------------------------------------------------
# the recurrent loops. xp: (S, D, B, G) input projections in *processing* order (the reverse
# direction's sequence already flipped); h0: (D, B, H_in); c0: (D, B, H).
# bufs given (no autograd): the gates are computed in place inside xp and every state is
# written into the preallocated buffers with out=; nothing is allocated per step but the
# recurrent matmul of the GRU.
# bufs None: functional (autograd works through it), results collected in lists.
# The LSTM's gate columns are held in the order i, f, o, g (see _LSTM_ORDER) so that one
# sigmoid covers the first 3H columns and one tanh the last H.


# On CUDA each step of the loop below is launch-bound (seven kernels, each a few microseconds
# of Python and driver time). There, a one-direction LSTM without clamps takes PyTorch's own
# fused cell, the kernel nn.LSTMCell runs on CUDA: one kernel per step computes the four gate
# activations, c and h, and hands back the activated gates ("workspace", in PyTorch's i, f, g, o
# order). The same arithmetic; tests/test_gpu.py checks both paths agree on a GPU.
FUSED_CUDA_CELL = True
_FUSED_CELL = getattr(getattr(torch.ops.aten, "_thnn_fused_lstm_cell", None), "default", None)


def _fused_cell_usable(xp: torch.Tensor, masks: _Masks) -> bool:
    return (FUSED_CUDA_CELL and xp.is_cuda and xp.shape[1] == 1 and not masks.clamps
            and _FUSED_CELL is not None)


def _native_order(t: torch.Tensor) -> torch.Tensor:
    """Gate columns i, f, o, g <-> PyTorch's i, f, g, o (the swap is its own inverse)."""
    chunks = t.chunk(4, -1)
    return torch.cat([chunks[k] for k in _LSTM_ORDER], -1)


def _lstm_fused_cuda(xp: torch.Tensor, w: _LayerWeights, h0: torch.Tensor, c0: torch.Tensor,
                     bufs: dict[str, torch.Tensor]) -> dict[str, Any]:
    x_nat = _native_order(xp[:, 0])
    whh = _native_order(w.w_hh_t[0])
    whr = None if w.w_hr_t is None else w.w_hr_t[0]
    hs = bufs["h"]
    h, c = h0[0], c0[0]
    acts, cells, outs = [], [], []
    assert _FUSED_CELL is not None
    for s in range(xp.shape[0]):
        out, c, act = _FUSED_CELL(x_nat[s], torch.mm(h, whh), c)
        h = out if whr is None else torch.mm(out, whr, out=hs[s, 0])
        acts.append(act)
        cells.append(c)
        outs.append(out)
    bufs["c"][:, 0].copy_(torch.stack(cells))
    bufs.get("m", hs)[:, 0].copy_(torch.stack(outs))
    xp[:, 0].copy_(_native_order(torch.stack(acts)))
    return {"acts": xp, **bufs}


def _lstm_loop(xp: torch.Tensor, w: _LayerWeights, h0: torch.Tensor, c0: torch.Tensor,
               masks: _Masks, bufs: dict[str, torch.Tensor] | None) -> dict[str, Any]:
    steps, num_dirs, batch, gates = xp.shape
    hid = gates // 4
    whh, whr = w.w_hh_t, w.w_hr_t
    h, c = h0, c0
    if bufs is not None and _fused_cell_usable(xp, masks):
        return _lstm_fused_cuda(xp, w, h0, c0, bufs)
    if bufs is not None:
        cs, hs = bufs["c"], bufs["h"]
        ms = bufs.get("m", hs)
        single = num_dirs == 1
        for s in range(steps):
            gm, cm = masks.at(s)
            a = xp[s]
            if single:
                a[0].addmm_(h[0], whh[0])
            else:
                a.baddbmm_(h, whh)
            a[..., :3 * hid].sigmoid_()
            a[..., 3 * hid:].tanh_()
            _apply(a, gm, 0, gates, True)
            c = torch.mul(a[..., hid:2 * hid], c, out=cs[s])
            c.addcmul_(a[..., :hid], a[..., 3 * hid:])
            _apply(c, cm, 0, hid, True)
            m = torch.tanh(c, out=ms[s])
            m.mul_(a[..., 2 * hid:3 * hid])
            if whr is not None:
                if single:
                    torch.mm(m[0], whr[0], out=hs[s, 0])
                else:
                    torch.bmm(m, whr, out=hs[s])
            h = hs[s]
        return {"acts": xp, **bufs}
    acts_l, cs_l, ms_l, hs_l = [], [], [], []
    for s in range(steps):
        gm, cm = masks.at(s)
        p = torch.baddbmm(xp[s], h, whh)
        a = torch.cat([torch.sigmoid(p[..., :3 * hid]), torch.tanh(p[..., 3 * hid:])], -1)
        a = _apply(a, gm, 0, gates, False)
        c = a[..., hid:2 * hid] * c + a[..., :hid] * a[..., 3 * hid:]
        c = _apply(c, cm, 0, hid, False)
        m = a[..., 2 * hid:3 * hid] * torch.tanh(c)
        h = m if whr is None else torch.bmm(m, whr)
        acts_l.append(a)
        cs_l.append(c)
        ms_l.append(m)
        hs_l.append(h)
    out: dict[str, Any] = {"acts": acts_l, "c": cs_l, "h": hs_l}
    if whr is not None:
        out["m"] = ms_l
    return out


def _gru_loop(xp: torch.Tensor, w: _LayerWeights, h0: torch.Tensor, masks: _Masks,
              bufs: dict[str, torch.Tensor] | None) -> dict[str, Any]:
    steps, num_dirs, batch, gates = xp.shape
    hid = gates // 3
    whh, bhh = w.w_hh_t, w.b_hh
    h = h0
    if bufs is not None:
        hs = bufs["h"]
        for s in range(steps):
            gm, _ = masks.at(s)
            hh = torch.bmm(h, whh) if bhh is None else torch.baddbmm(bhh, h, whh)
            a = xp[s]
            rz = a[..., :2 * hid]
            rz.add_(hh[..., :2 * hid]).sigmoid_()
            _apply(rz, gm, 0, 2 * hid, True)
            n = a[..., 2 * hid:]
            n.addcmul_(rz[..., :hid], hh[..., 2 * hid:]).tanh_()
            _apply(n, gm, 2 * hid, 3 * hid, True)
            # h' = (1 - z) * n + z * h  ==  n + z * (h - n)
            h_new = torch.sub(h, n, out=hs[s])
            h_new.mul_(rz[..., hid:]).add_(n)
            h = h_new
        return {"acts": xp, "h": hs}
    acts_l, hs_l = [], []
    for s in range(steps):
        gm, _ = masks.at(s)
        hh = torch.bmm(h, whh) if bhh is None else torch.baddbmm(bhh, h, whh)
        p = xp[s]
        rz = _apply(torch.sigmoid(p[..., :2 * hid] + hh[..., :2 * hid]), gm, 0, 2 * hid, False)
        n = torch.tanh(p[..., 2 * hid:] + rz[..., :hid] * hh[..., 2 * hid:])
        n = _apply(n, gm, 2 * hid, 3 * hid, False)
        z = rz[..., hid:]
        h = (1 - z) * n + z * h
        acts_l.append(torch.cat([rz, n], -1))
        hs_l.append(h)
    return {"acts": acts_l, "h": hs_l}


def _rnn_loop(xp: torch.Tensor, w: _LayerWeights, h0: torch.Tensor, masks: _Masks, relu: bool,
              bufs: dict[str, torch.Tensor] | None) -> dict[str, Any]:
    steps, num_dirs, batch, hid = xp.shape
    whh = w.w_hh_t
    h = h0
    if bufs is not None:
        hs = bufs["h"]
        single = num_dirs == 1
        for s in range(steps):
            gm, _ = masks.at(s)
            p = xp[s]
            if single:
                p[0].addmm_(h[0], whh[0])
            else:
                p.baddbmm_(h, whh)
            h_new = torch.clamp(p, min=0.0, out=hs[s]) if relu else torch.tanh(p, out=hs[s])
            h = _apply(h_new, gm, 0, hid, True)
        return {"pre": xp, "h": hs}
    pre_l, hs_l = [], []
    for s in range(steps):
        gm, _ = masks.at(s)
        p = torch.baddbmm(xp[s], h, whh)
        h = _apply(torch.relu(p) if relu else torch.tanh(p), gm, 0, hid, False)
        pre_l.append(p)
        hs_l.append(h)
    return {"pre": pre_l, "h": hs_l}


# ----------------------------------------------------------------------------------------------
# driver


@dataclass
class RecurrentStates:
    """Recomputed states of a batch, as torch tensors (what ``recompute`` returns).

    ``states[name]`` has shape (num_layers, num_directions, T, batch, units) in time order for
    both directions; ``output``, ``h_n``, ``c_n`` have the shapes the module's forward returns
    for the same input (so they can be compared with it directly).
    """

    kind: str
    states: dict[str, torch.Tensor]
    output: torch.Tensor
    h_n: torch.Tensor
    c_n: torch.Tensor | None


def _as_time_major(rnn: nn.RNNBase, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """(T, B, F) view of the input and whether it was unbatched."""
    if x.dim() == 2:
        return x[:, None, :], True
    if x.dim() != 3:
        raise ValueError(
            f"inputs must have shape (T, features) or a batched 3-D shape, got {tuple(x.shape)}"
        )
    return (x.transpose(0, 1) if rnn.batch_first else x), False


def _initial_states(rnn: nn.RNNBase, hx: Any, batch: int, unbatched: bool, dev: torch.device,
                    dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
    """h0 as (L*D, B, H_out), c0 as (L*D, B, H) or None (zeros when hx is None)."""
    num_dirs = 2 if rnn.bidirectional else 1
    proj = getattr(rnn, "proj_size", 0)
    h_out = proj if proj else rnn.hidden_size
    lstm = isinstance(rnn, nn.LSTM)
    if hx is None:
        h0 = torch.zeros(rnn.num_layers * num_dirs, batch, h_out, device=dev, dtype=dtype)
        c0 = (torch.zeros(rnn.num_layers * num_dirs, batch, rnn.hidden_size, device=dev,
                          dtype=dtype) if lstm else None)
        return h0, c0
    if lstm:
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError("hx of an LSTM must be a pair (h0, c0)")
        h0, c0 = (torch.as_tensor(v).detach().to(dev, dtype) for v in hx)
    else:
        h0, c0 = torch.as_tensor(hx).detach().to(dev, dtype), None
    if unbatched:
        h0 = h0[:, None, :]
        c0 = None if c0 is None else c0[:, None, :]
    return h0, c0


def _flip_reverse(t: torch.Tensor) -> torch.Tensor:
    """(S, D, ...) in processing order -> time order (only direction 1 is reversed)."""
    if t.shape[1] == 1:
        return t
    return torch.stack([t[:, 0], t[:, 1].flip(0)], 1)


def _layer_input_projection(rnn: nn.RNNBase, inp: torch.Tensor, w: _LayerWeights,
                            out: torch.Tensor | None = None) -> torch.Tensor:
    """(T, D, B, G) input projections, reverse direction flipped to its processing order.

    One matrix product for all steps and both directions; written into ``out`` when given.
    """
    steps, batch, feats = inp.shape
    num_dirs = 2 if rnn.bidirectional else 1
    flat = inp.reshape(steps * batch, feats)
    gates = w.w_ih.shape[0] // num_dirs
    if out is None:
        out = flat.new_empty(steps, num_dirs, batch, gates)
    if num_dirs == 1:
        target = out.view(steps * batch, gates)
        if w.b_in is None:
            torch.mm(flat, w.w_ih.t(), out=target)
        else:
            torch.addmm(w.b_in, flat, w.w_ih.t(), out=target)
        return out
    proj = flat @ w.w_ih.t() if w.b_in is None else torch.addmm(w.b_in, flat, w.w_ih.t())
    proj = proj.view(steps, batch, num_dirs, gates)
    out[:, 0].copy_(proj[:, :, 0])
    out[:, 1].copy_(proj[:, :, 1].flip(0))
    return out


def _run_layer(rnn: nn.RNNBase, mode: str, xp: torch.Tensor, w: _LayerWeights, h0: torch.Tensor,
               c0: torch.Tensor | None, masks: _Masks,
               bufs: dict[str, torch.Tensor] | None) -> dict[str, Any]:
    if mode == "LSTM":
        assert c0 is not None
        return _lstm_loop(xp, w, h0, c0, masks, bufs)
    if mode == "GRU":
        return _gru_loop(xp, w, h0, masks, bufs)
    return _rnn_loop(xp, w, h0, masks, mode == "RNN_RELU", bufs)


def _named(mode: str, res: dict[str, torch.Tensor], hidden: int) -> dict[str, torch.Tensor]:
    """Split the gate buffer into named gates (views; the buffer's leading dims are kept)."""
    if mode == "LSTM":
        a = res["acts"]
        out = {"input": a[..., :hidden], "forget": a[..., hidden:2 * hidden],
               "cell": a[..., 3 * hidden:], "output": a[..., 2 * hidden:3 * hidden],
               "c": res["c"], "h": res["h"]}
        if "m" in res:
            out["m"] = res["m"]
        return out
    if mode == "GRU":
        a = res["acts"]
        return {"reset": a[..., :hidden], "update": a[..., hidden:2 * hidden],
                "new": a[..., 2 * hidden:], "h": res["h"]}
    return {"pre": res["pre"], "h": res["h"]}


@torch.no_grad()
def recompute(rnn: nn.RNNBase, x: torch.Tensor, hx: Any = None, clamps: Sequence[Clamp] = (),
              *, device: str | torch.device | None = None) -> RecurrentStates:
    """Recompute every gate and state of ``rnn`` on input ``x`` (any batch), optionally clamped.

    ``x`` is laid out as the module expects it (respecting ``batch_first``; 2-D = unbatched).
    Computation runs on ``device`` (default: ``dlwidgets.device()``) in the weights' dtype.
    """
    kind = kind_of(rnn)
    mode = _mode(rnn)
    dev = pick_device(device)
    dtype = _weight0(rnn).dtype
    x = torch.as_tensor(x)
    if not x.is_floating_point():
        raise TypeError(f"inputs to a recurrent layer must be floats, got {x.dtype}")
    xt, unbatched = _as_time_major(rnn, x.detach().to(dev, dtype))
    steps, batch, feats = xt.shape
    if feats != rnn.input_size:
        raise ValueError(
            f"inputs have {feats} features per step but the {kind} expects input_size={rnn.input_size}"
        )
    if steps < 1:
        raise ValueError("inputs must hold at least one time step")
    clamps = check_clamps(rnn, clamps, steps)
    num_dirs = 2 if rnn.bidirectional else 1
    layers, hid = rnn.num_layers, rnn.hidden_size
    proj = int(getattr(rnn, "proj_size", 0))
    h0_all, c0_all = _initial_states(rnn, hx, batch, unbatched, dev, dtype)
    gate_width = {"LSTM": 4, "GRU": 3}.get(mode, 1) * hid

    # every layer's results live in (L, T, D, B, units) buffers allocated once
    def buf(units: int) -> torch.Tensor:
        return torch.empty(layers, steps, num_dirs, batch, units, device=dev, dtype=dtype)

    acts_all = buf(gate_width)
    bufs_all = {"h": buf(proj or hid)}
    if mode == "LSTM":
        bufs_all["c"] = buf(hid)
        if proj:
            bufs_all["m"] = buf(hid)

    inp = xt.contiguous()
    for layer in range(layers):
        w = _layer_weights(rnn, layer, dev, dtype)
        xp = _layer_input_projection(rnn, inp, w, out=acts_all[layer])
        sl = slice(layer * num_dirs, (layer + 1) * num_dirs)
        masks = _Masks(clamps, layer, num_dirs, hid, gate_width, steps, dev, dtype)
        layer_bufs = {k: v[layer] for k, v in bufs_all.items()}
        _run_layer(rnn, mode, xp, w, h0_all[sl].contiguous(),
                   None if c0_all is None else c0_all[sl].contiguous(), masks, layer_bufs)
        if num_dirs == 2:  # processing order -> time order
            for t in (acts_all[layer], *layer_bufs.values()):
                t[:, 1].copy_(t[:, 1].flip(0))
        hs = layer_bufs["h"]  # (T, D, B, H_out)
        inp = hs.permute(0, 2, 1, 3).reshape(steps, batch, -1)
    res = {"acts": acts_all, "pre": acts_all, **bufs_all}
    # (L, T, D, B, units) -> (L, D, T, B, units)
    states = {k: v.transpose(1, 2) for k, v in _named(mode, res, hid).items()}

    def final(t: torch.Tensor) -> torch.Tensor:  # (L, D, T, B, U) -> (L*D, B, U)
        last = [t[:, 0, -1]] if num_dirs == 1 else [t[:, 0, -1], t[:, 1, 0]]
        return torch.stack(last, 1).reshape(layers * num_dirs, batch, -1)

    output = inp.transpose(0, 1) if rnn.batch_first else inp
    hn = final(states["h"])
    cn = final(states["c"]) if mode == "LSTM" else None
    if unbatched:
        output, hn = inp[:, 0], hn[:, 0]
        cn = None if cn is None else cn[:, 0]
    return RecurrentStates(kind=kind, states=states, output=output, h_n=hn, c_n=cn)


# ----------------------------------------------------------------------------------------------
# single-sequence trace (numpy), gradient through time


@dataclass
class RecurrentTrace:
    """Every gate and state of one sequence through a recurrent layer, as numpy float32.

    ``states[name]`` has shape (num_layers, num_directions, T, units): LSTM keys input, forget,
    cell (the candidate g), output, c, h (and m = o*tanh(c) before the projection when
    proj_size > 0, h then having proj_size units); GRU keys reset, update, new, h; RNN keys
    pre (pre-activation) and h. ``output`` is (T, num_directions * h_units), the last layer's
    hidden states as the module returns them.
    """

    kind: str
    nonlinearity: str
    num_layers: int
    num_directions: int
    hidden_size: int
    proj_size: int
    states: dict[str, np.ndarray]
    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray | None
    clamps: tuple[Clamp, ...] = field(default_factory=tuple)

    @property
    def steps(self) -> int:
        return int(self.output.shape[0])


def single_sequence(rnn: nn.RNNBase, x: Any) -> torch.Tensor:
    """Check that ``x`` is one sequence for ``rnn`` and return it as (T, F) float."""
    t = torch.as_tensor(x) if not isinstance(x, torch.Tensor) else x
    if not t.is_floating_point():
        raise TypeError(
            f"inputs to the {kind_of(rnn)} must be float features, got dtype {t.dtype} "
            "(token ids need a model with an nn.Embedding before the recurrent layer)"
        )
    if t.dim() == 3:
        batch_dim = 0 if rnn.batch_first else 1
        if t.shape[batch_dim] != 1:
            layout = "(1, T, F) with batch_first=True" if rnn.batch_first else "(T, 1, F)"
            raise ValueError(
                f"inputs must hold one sequence: shape (T, F) or {layout}; got {tuple(t.shape)} "
                f"(batch of {t.shape[batch_dim]})"
            )
        t = t.select(batch_dim, 0)
    if t.dim() != 2:
        raise ValueError(f"inputs must have shape (T, features), got {tuple(t.shape)}")
    if t.shape[1] != rnn.input_size:
        raise ValueError(
            f"inputs have {t.shape[1]} features per step but the {kind_of(rnn)} expects "
            f"input_size={rnn.input_size}"
        )
    if t.shape[0] < 1:
        raise ValueError("inputs must hold at least one time step")
    return t


def _unbatch_hx(rnn: nn.RNNBase, hx: Any) -> Any:
    """hx of one sequence in the unbatched layout ((L*D, H) each), or None."""
    if hx is None:
        return None
    if isinstance(rnn, nn.LSTM):
        h0, c0 = (torch.as_tensor(v) for v in hx)
        return h0.reshape(h0.shape[0], -1), c0.reshape(c0.shape[0], -1)
    h0 = torch.as_tensor(hx)
    return h0.reshape(h0.shape[0], -1)


def trace_recurrent(rnn: nn.RNNBase, x: Any, hx: Any = None, clamps: Sequence[Clamp] = (),
                    *, device: str | torch.device | None = None) -> RecurrentTrace:
    """Trace one sequence ``x`` ((T, F) or batched with batch 1) through ``rnn``."""
    seq = single_sequence(rnn, x)
    res = recompute(rnn, seq, _unbatch_hx(rnn, hx), clamps, device=device)
    num_dirs = 2 if rnn.bidirectional else 1

    def np32(t: torch.Tensor) -> np.ndarray:
        return np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32, copy=False))

    states = {k: np32(v[:, :, :, 0]) for k, v in res.states.items()}
    return RecurrentTrace(
        kind=res.kind,
        nonlinearity=rnn.nonlinearity if isinstance(rnn, nn.RNN) else "",
        num_layers=rnn.num_layers,
        num_directions=num_dirs,
        hidden_size=rnn.hidden_size,
        proj_size=int(getattr(rnn, "proj_size", 0)),
        states=states,
        output=np32(res.output),
        h_n=np32(res.h_n),
        c_n=None if res.c_n is None else np32(res.c_n),
        clamps=tuple(clamps),
    )


def gradient_through_time(rnn: nn.RNNBase, x: Any, layer: int = -1, hx: Any = None,
                          clamps: Sequence[Clamp] = (), *, chunk: int = 64,
                          device: str | torch.device | None = None) -> np.ndarray:
    """Frobenius norms ``||dh_T / dh_t||_F`` for every step t, shape (num_directions, T).

    For direction 0, ``h_T`` is the last hidden state of ``layer`` and t runs over all steps; for
    the reverse direction the "last" state is the one at position 0 (it reads the sequence
    backwards). ``h_t`` is the state the next step reads (for an LSTM the cell state c_t is held
    fixed: the derivative follows only the paths through h_t). The Jacobian rows come from
    autograd (one backward pass per output unit, batched), never from finite differences.
    """
    seq = single_sequence(rnn, x)
    hx = _unbatch_hx(rnn, hx)
    if not -rnn.num_layers <= layer < rnn.num_layers:
        raise ValueError(f"layer must be in [0, {rnn.num_layers - 1}], got {layer}")
    layer %= rnn.num_layers
    mode = _mode(rnn)
    dev = pick_device(device)
    dtype = _weight0(rnn).dtype
    steps = seq.shape[0]
    clamps = check_clamps(rnn, clamps, steps)
    num_dirs = 2 if rnn.bidirectional else 1
    sl = slice(layer * num_dirs, (layer + 1) * num_dirs)
    if layer > 0:  # the input of this layer: previous layers' output, no gradient needed
        below = _truncated(rnn, layer)
        hx_below = None
        if hx is not None:
            cut = slice(0, layer * num_dirs)
            hx_below = (hx[0][cut], hx[1][cut]) if isinstance(rnn, nn.LSTM) else hx[cut]
        inp = recompute(below, seq, hx_below, [c for c in clamps if c.layer < layer],
                        device=dev).output
    else:
        inp = seq.detach().to(dev, dtype)
    h0_all, c0_all = _initial_states(rnn, hx, 1, True, dev, dtype)
    w = _layer_weights(rnn, layer, dev, dtype)
    gate_width = {"LSTM": 4, "GRU": 3}.get(mode, 1) * rnn.hidden_size
    masks = _Masks(clamps, layer, num_dirs, rnn.hidden_size, gate_width, steps, dev, dtype)
    with torch.enable_grad():
        xp = _layer_input_projection(rnn, inp[:, None, :].to(dtype), w)
        h0 = h0_all[sl].clone().requires_grad_(True)
        c0 = None if c0_all is None else c0_all[sl].clone()
        res = _run_layer(rnn, mode, xp, w, h0, c0, masks, None)
        hs: list[torch.Tensor] = list(res["h"])
        last = hs[-1]  # (D, 1, H_out)
        width = last.shape[-1]
        total = [torch.zeros(num_dirs, device=dev, dtype=torch.float64) for _ in hs]
        for k0 in range(0, width, chunk):
            k1 = min(width, k0 + chunk)
            eye = torch.zeros(k1 - k0, num_dirs, 1, width, device=dev, dtype=dtype)
            eye[torch.arange(k1 - k0), :, 0, torch.arange(k0, k1)] = 1.0
            grads = _batched_grad(last, hs, eye)
            for s, g in enumerate(grads):
                if g is not None:
                    total[s] += g.double().pow(2).sum(dim=(0, 2, 3))
    norms = torch.stack(total, 1).sqrt().cpu().numpy()  # (D, S) in processing order
    if num_dirs == 2:
        norms[1] = norms[1, ::-1].copy()
    return norms


def _batched_grad(out: torch.Tensor, inputs: list[torch.Tensor],
                  grad_outputs: torch.Tensor) -> Sequence[torch.Tensor | None]:
    """Rows of the Jacobian for a batch of output directions (vmap'd backward, or a loop)."""
    try:
        return torch.autograd.grad(out, inputs, grad_outputs, retain_graph=True,
                                   allow_unused=True, is_grads_batched=True)
    except RuntimeError:  # an op without a batching rule: one backward pass per row
        rows = [torch.autograd.grad(out, inputs, g, retain_graph=True, allow_unused=True)
                for g in grad_outputs]
        return [None if rows[0][i] is None else torch.stack([r[i] for r in rows])
                for i in range(len(inputs))]


def _truncated(rnn: nn.RNNBase, layers: int) -> nn.RNNBase:
    """A copy of the first ``layers`` layers of ``rnn`` (shares no state with it)."""
    kwargs: dict[str, Any] = dict(input_size=rnn.input_size, hidden_size=rnn.hidden_size,
                                  num_layers=layers, bias=rnn.bias, batch_first=rnn.batch_first,
                                  bidirectional=rnn.bidirectional)
    if isinstance(rnn, nn.LSTM):
        kwargs["proj_size"] = rnn.proj_size
        new: nn.RNNBase = nn.LSTM(**kwargs)
    elif isinstance(rnn, nn.GRU):
        new = nn.GRU(**kwargs)
    else:
        new = nn.RNN(nonlinearity=rnn.nonlinearity, **kwargs)
    ref = _weight0(rnn)
    new = new.to(ref.device, ref.dtype)
    with torch.no_grad():
        for name, p in new.named_parameters():
            p.copy_(getattr(rnn, name))
    return new.eval()


# ----------------------------------------------------------------------------------------------
# models that contain a recurrent layer: what reaches it, and the model's output when its
# output is replaced (interventions)


@dataclass
class CapturedInput:
    """What the recurrent layer received when the model ran on the user's inputs."""

    x: torch.Tensor  # as the layer received it (its own layout)
    hx: Any
    model_output: torch.Tensor | None  # the model's first tensor output (None: no model run)


def capture_input(model: nn.Module, rnn: nn.RNNBase, inputs: Any) -> CapturedInput:
    """Run ``model(inputs)`` as a probe and capture what ``rnn`` received (and the output).

    Raises ``ValueError`` when the forward fails or never calls the layer.
    """
    call = capture_layer_input(model, rnn, inputs)
    x = call.input
    hx = call.args[1] if len(call.args) > 1 else call.kwargs.get("hx")
    if isinstance(x, nn.utils.rnn.PackedSequence):
        raise ValueError("the recurrent layer received a PackedSequence: give one unpadded sequence")
    return CapturedInput(x=x.detach(), hx=hx, model_output=first_tensor(call.model_output))


def model_output_with(model: nn.Module, rnn: nn.RNNBase, inputs: Any,
                      replacement: RecurrentStates) -> torch.Tensor | None:
    """The model's output when ``rnn`` returns ``replacement`` instead of its own result."""
    ref = _weight0(rnn)

    def hook(module: nn.Module, args: Any, output: Any) -> Any:
        out = replacement.output.to(ref.device, ref.dtype)
        hn = replacement.h_n.to(ref.device, ref.dtype)
        if isinstance(module, nn.LSTM):
            assert replacement.c_n is not None
            return out, (hn, replacement.c_n.to(ref.device, ref.dtype))
        return out, hn

    handle = rnn.register_forward_hook(hook)
    try:
        with probing(model):
            out = model(inputs)
    finally:
        handle.remove()
    return first_tensor(out)


def rank_units(values: np.ndarray, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Units ordered by how much more they fire inside steps [start, stop) than outside.

    ``values`` is (T, units); the score of a unit is mean(inside) − mean(outside) (LSTMVis's
    selection query, as a ranking). Returns (units best first, their scores).
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"values must be (T, units), got shape {arr.shape}")
    steps = arr.shape[0]
    if not 0 <= start < stop <= steps:
        raise ValueError(f"selection must satisfy 0 <= start < stop <= {steps}, got [{start}, {stop})")
    if stop - start == steps:
        raise ValueError("selection covers every step: leave some steps outside to compare with")
    inside = arr[start:stop].mean(0)
    outside = np.concatenate([arr[:start], arr[stop:]]).mean(0)
    score = inside - outside
    order = np.argsort(-score, kind="stable")
    return order, score[order]
