"""A surface's gradient traced once from autograd, for the race's per-step hot loop.

Why. A race step on a 2-D surface works on tensors of a few numbers, so its cost is the fixed
overhead of each operation, and the autograd engine's backward pass is the biggest piece
(about 140 of the 170 microseconds of an eager forward + backward on Rosenbrock). Re-running an
optimizer for 500 steps after a slider moves spends most of its time there.

How. ``torch.func.grad`` of the summed surface is traced with ``make_fx`` (fake tensors, so a
surface whose code branches on values cannot be traced and keeps the eager path). The trace is
the list of ATen operations autograd itself runs, forward and backward; each is then called
through the public ``torch`` function of the same name where one exists (a faster binding than
the ATen overload object). The gradient is still autograd's: no formula is written by hand and
nothing is approximated.

Safety. A traced gradient is used only after it reproduced eager autograd's gradient bit for bit
at the start points and at a few points around them; otherwise ``traced_gradient`` returns None
and the race uses ``backward()`` as before.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable

import torch

GradFn = Callable[[torch.Tensor], torch.Tensor]
SurfaceFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def eager_gradient(fn: SurfaceFn, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(fn at points, d(sum of fn over points)/d(points)) by ``backward()``: each point's own
    value and gradient."""
    with torch.enable_grad():
        leaf = points.detach().clone().requires_grad_()
        x, y = leaf.unbind(-1)
        values = fn(x, y)
        values.sum().backward()
    assert leaf.grad is not None
    return values.detach(), leaf.grad


def _public_torch_calls(gm: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """Call ``torch.<op>`` instead of ``torch.ops.aten.<op>.<overload>`` where it exists."""
    for node in list(gm.graph.nodes):
        # autograd's backward of x**2 is 2 * x**1.0: pow(x, 1.0) is x exactly, and on CUDA it
        # costs a copy call per step; the check against eager autograd below still applies
        if (node.op == "call_function" and node.target is torch.ops.aten.pow.Tensor_Scalar
                and len(node.args) == 2 and node.args[1] == 1.0
                and isinstance(node.args[0], torch.fx.Node)):
            node.replace_all_uses_with(node.args[0])
            gm.graph.erase_node(node)
            continue
        if node.op == "call_function" and isinstance(node.target, torch._ops.OpOverload):
            public = getattr(torch, node.target.overloadpacket.__name__, None)
            if callable(public):
                node.target = public
    gm.graph.lint()
    gm.recompile()
    return gm


def _probe_points(points: torch.Tensor) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    spread = points.abs().amax().clamp(min=1.0).item()
    around = [points + 0.1 * spread * torch.randn(points.shape, generator=gen,
                                                   dtype=points.dtype).to(points.device)
              for _ in range(3)]
    return [points, *around]


@functools.lru_cache(maxsize=32)
def _trace(fn: SurfaceFn, shape: tuple[int, ...], dtype: torch.dtype,
           device: torch.device) -> tuple[torch.fx.GraphModule, torch.fx.GraphModule] | None:
    from torch.fx.experimental.proxy_tensor import make_fx

    def summed(points: torch.Tensor) -> torch.Tensor:
        x, y = points.unbind(-1)
        return fn(x, y).sum()

    example = torch.zeros(shape, dtype=dtype, device=device)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            aten = make_fx(torch.func.grad(summed), tracing_mode="fake")(example)
    except Exception:  # any surface make_fx cannot trace keeps the eager path
        return None
    return aten, _public_torch_calls(copy.deepcopy(aten))


def traced_gradient(fn: SurfaceFn, points: torch.Tensor) -> GradFn | None:
    """The gradient of ``fn`` for tensors shaped like ``points`` (..., 2), or None.

    Traced once per (surface, shape, dtype, device) and checked against ``eager_gradient``.
    """
    traced = _trace(fn, tuple(points.shape), points.dtype, points.device)
    if traced is None:
        return None
    for graph in (traced[1], traced[0]):  # the faster calls first, ATen's own as a fallback
        try:
            with torch.no_grad():
                same = all(torch.equal(graph(p), eager_gradient(fn, p)[1])
                           for p in _probe_points(points.detach()))
        except Exception:
            same = False
        if same:
            return graph.forward  # not graph(...): nn.Module's call machinery costs ~6 us
    return None
