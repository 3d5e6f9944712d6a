"""Loss landscape of a real network on a 2-D slice (Li et al., 2018, "Visualizing the Loss
Landscape of Neural Nets").

The slice goes through the trained weights θ* along two directions d₁, d₂:
``L(α, β) = loss(θ* + α·d₁ + β·d₂)`` on a regular (α, β) grid. With ``directions="random"`` the
directions are Gaussian and *filter-normalized*: for every weight tensor with two or more
dimensions, each filter (slice along dimension 0: an output channel of a conv, an output unit
of a linear layer) of d is rescaled to the norm of the same filter of θ*,
``d_i ← d_i / (‖d_i‖ + 1e-10) · ‖θ*_i‖``; biases and other 1-D parameters (batch-norm scales)
get a zero direction, as in the paper's ``ignore='biasbn'`` setting. That makes slices of
networks with different weight scales comparable.

The whole grid is evaluated in batch, in chunks of grid points, on the GPU when there is one:
an MLP directly (``_mlp_grid``: the first layer as z* + α·z₁ + β·z₂, later layers as batched
matrix products), any other model by ``torch.func.functional_call`` with a parameter set built
from (α, β), vectorised over grid points by ``torch.func.vmap``. ``loss_landscape_loop`` is the naive reference (load the weights
into the model, evaluate, repeat) that the tests and the benchmark compare with.

The training trajectory θ₀ … θ_T is projected onto the slice by least squares,
``c_t = argmin_c ‖(θ_t − θ*) − [d₁ d₂]·c‖``. Random directions in a space of thousands of
dimensions are nearly orthogonal to the trajectory, so the projection captures little of it
(``captured`` says how much); ``directions="pca"`` uses the top two principal directions of the
trajectory instead (the paper's section 7), which capture most of it.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from .device import device as pick_device
from .probes import saved_rng
from .tensors import as_tensor

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

MAX_RESOLUTION = 201


@dataclass
class LandscapeResult:
    """A 2-D slice of a network's loss: ``loss[j, i]`` at (alphas[i], betas[j])."""

    alphas: np.ndarray  # (R,)
    betas: np.ndarray  # (R,)
    loss: np.ndarray  # (R, R), rows are beta
    center_loss: float  # loss at θ* (α = β = 0)
    directions: str  # "random" or "pca"
    trajectory: np.ndarray | None  # (T, 2) coordinates of θ_t on the slice
    trajectory_loss: np.ndarray | None  # (T,) the real loss at θ_t (not at its projection)
    captured: float | None  # share of ‖θ_t − θ*‖² the plane holds (0..1)
    n_params: int
    n_samples: int
    device: str
    elapsed_s: float


def _as_data(data: Any, max_samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    if isinstance(data, torch.utils.data.DataLoader):
        xs, ys, count = [], [], 0
        for batch in data:
            if not isinstance(batch, (list, tuple)) or len(batch) < 2:
                raise TypeError("data: a DataLoader must yield (inputs, targets) batches")
            xs.append(as_tensor(batch[0], "data inputs", cast="model"))
            ys.append(as_tensor(batch[1], "data targets", cast="model"))
            count += len(xs[-1])
            if count >= max_samples:
                break
        return torch.cat(xs)[:max_samples], torch.cat(ys)[:max_samples]
    if isinstance(data, (list, tuple)) and len(data) == 2:
        x = as_tensor(data[0], "data inputs", cast="model")
        y = as_tensor(data[1], "data targets", cast="model")
        if len(x) != len(y):
            raise ValueError(f"data: inputs and targets differ in length ({len(x)} vs {len(y)})")
        if len(x) == 0:
            raise ValueError("data: no samples")
        return x[:max_samples], y[:max_samples]
    raise TypeError(
        f"data must be (inputs, targets) tensors/arrays or a DataLoader, got {type(data).__name__}")


def default_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy for integer targets and (N, C) outputs, mean squared error otherwise."""
    if not target.is_floating_point() and output.dim() == 2:
        return nn.functional.cross_entropy(output, target)
    return nn.functional.mse_loss(output, target.reshape(output.shape).to(output.dtype))


def filter_normalized_direction(model: nn.Module, seed: int = 0,
                                ignore_1d: bool = True) -> dict[str, torch.Tensor]:
    """A random direction, filter-normalized to the model's weights (Li et al., 2018)."""
    gen = torch.Generator().manual_seed(int(seed))
    out: dict[str, torch.Tensor] = {}
    for name, param in model.named_parameters():
        w = param.detach()
        d = torch.randn(w.shape, generator=gen, dtype=torch.float32).to(w.device, w.dtype)
        if d.dim() <= 1:
            if ignore_1d:
                d.zero_()
            else:
                d.copy_(w)
        else:
            for di, wi in zip(d, w):
                di.mul_(wi.norm() / (di.norm() + 1e-10))
        out[name] = d
    return out


def _flat(tensors: dict[str, torch.Tensor], names: Sequence[str]) -> torch.Tensor:
    return torch.cat([tensors[n].reshape(-1) for n in names])


def _as_flat_trajectory(trajectory: Any, names: Sequence[str],
                        shapes: dict[str, torch.Size]) -> torch.Tensor:
    total = sum(int(np.prod(shapes[n])) for n in names)
    rows: list[torch.Tensor] = []
    if isinstance(trajectory, (torch.Tensor, np.ndarray)):
        arr = torch.as_tensor(np.asarray(trajectory) if isinstance(trajectory, np.ndarray)
                              else trajectory).detach().float().cpu()
        if arr.dim() != 2 or arr.shape[1] != total:
            raise ValueError(f"trajectory: an array must be (T, {total}) flat parameter vectors, "
                             f"got shape {tuple(arr.shape)}")
        return arr
    for k, item in enumerate(trajectory):
        if isinstance(item, dict):
            missing = [n for n in names if n not in item]
            if missing:
                raise ValueError(f"trajectory[{k}] lacks parameters {missing[:3]}")
            rows.append(torch.cat([torch.as_tensor(item[n]).detach().float().cpu().reshape(-1)
                                   for n in names]))
        else:
            row = torch.as_tensor(np.asarray(item) if not isinstance(item, torch.Tensor)
                                  else item).detach().float().cpu().reshape(-1)
            if row.numel() != total:
                raise ValueError(f"trajectory[{k}] has {row.numel()} numbers, the model {total}")
            rows.append(row)
    if len(rows) < 2:
        raise ValueError("trajectory needs at least two parameter snapshots")
    return torch.stack(rows)


def _unflat(vec: torch.Tensor, names: Sequence[str],
            shapes: dict[str, torch.Size]) -> dict[str, torch.Tensor]:
    out, i = {}, 0
    for n in names:
        size = int(np.prod(shapes[n]))
        out[n] = vec[i:i + size].reshape(shapes[n])
        i += size
    return out


def _check(resolution: Any, span: Any) -> tuple[int, float]:
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 3 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be an integer in [3, {MAX_RESOLUTION}], got {resolution!r}")
    if isinstance(span, bool) or not isinstance(span, (int, float)) or not (0 < span <= 100) \
            or not math.isfinite(span):
        raise ValueError(f"span must be a number in (0, 100], got {span!r}")
    return resolution, float(span)


def record_trajectory(model: nn.Module, data: Any, loss_fn: LossFn | None = None, *,
                      optimizer: str = "adam", lr: float = 1e-2, steps: int = 100,
                      batch_size: int | None = None, seed: int = 0,
                      max_samples: int = 4096) -> torch.Tensor:
    """Train ``model`` in place for ``steps`` steps; return the (steps + 1, P) flat snapshots."""
    from .race import resolve_optimizer

    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 100_000:
        raise ValueError(f"steps must be an integer in [1, 100000], got {steps!r}")
    x, y = _as_data(data, max_samples)
    dev = next(model.parameters()).device
    x, y = x.to(dev), y.to(dev)
    loss_fn = loss_fn or default_loss
    spec = resolve_optimizer({"optimizer": optimizer, "lr": lr}, None)
    params: list[torch.Tensor] = [p for p in model.parameters() if p.requires_grad]
    opt = spec.build(params)
    names = [n for n, _ in model.named_parameters()]
    snaps = [torch.cat([p.detach().float().cpu().reshape(-1) for p in model.parameters()])]
    gen = torch.Generator().manual_seed(int(seed))
    model.train()
    for _ in range(steps):
        if batch_size:
            idx = torch.randint(0, len(x), (int(batch_size),), generator=gen).to(dev)
            xb, yb = x[idx], y[idx]
        else:
            xb, yb = x, y
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        snaps.append(torch.cat([p.detach().float().cpu().reshape(-1) for p in model.parameters()]))
    del names
    return torch.stack(snaps)


@saved_rng()  # a probe: the user's random stream is left where it was
def loss_landscape_2d(model: nn.Module, data: Any, loss_fn: LossFn | None = None, *,
                      resolution: int = 51, span: float = 1.0, directions: str = "random",
                      trajectory: Any = None, seed: int = 0,
                      device: torch.device | str | None = None, chunk_size: int | None = None,
                      max_samples: int = 4096) -> LandscapeResult:
    """The loss of ``model`` on a 2-D slice through its current weights, evaluated in batch.

    ``chunk_size`` grid points are evaluated per vectorised call (default: 32 on the CPU, where
    a chunk's activations should stay in cache, 1024 on a GPU).
    """
    t0 = time.perf_counter()
    resolution, span = _check(resolution, span)
    if directions not in ("random", "pca"):
        raise ValueError(f"directions must be 'random' or 'pca', got {directions!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    dev = pick_device(device)
    if chunk_size is None:
        chunk_size = 32 if dev.type == "cpu" else 1024
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    x, y = _as_data(data, max_samples)
    loss_fn = loss_fn or default_loss
    net = copy.deepcopy(model).to(dev).eval()
    x, y = x.to(dev), y.to(dev)
    names = [n for n, _ in net.named_parameters()]
    if not names:
        raise ValueError("model has no parameters")
    theta = {n: p.detach() for n, p in net.named_parameters()}
    shapes = {n: p.shape for n, p in theta.items()}
    buffers = {n: b for n, b in net.named_buffers()}
    flat_theta = _flat(theta, names).float().cpu()

    traj = _as_flat_trajectory(trajectory, names, shapes) if trajectory is not None else None
    captured: float | None = None
    if directions == "pca":
        if traj is None:
            raise ValueError("directions='pca' needs a trajectory (snapshots of the weights)")
        disp = traj - flat_theta
        centered = disp - disp.mean(0, keepdim=True)
        _, s, vh = torch.linalg.svd(centered.double(), full_matrices=False)
        if len(s) < 2 or float(s[1]) == 0.0:
            raise ValueError("trajectory: the weights moved along fewer than two directions")
        d1f, d2f = vh[0].float(), vh[1].float()
        captured = float((s[:2] ** 2).sum() / (s ** 2).sum())
        d1 = {k: v.to(dev) for k, v in _unflat(d1f, names, shapes).items()}
        d2 = {k: v.to(dev) for k, v in _unflat(d2f, names, shapes).items()}
    else:
        d1 = filter_normalized_direction(net, seed)
        d2 = filter_normalized_direction(net, seed + 1)
        d1f, d2f = _flat(d1, names).float().cpu(), _flat(d2, names).float().cpu()

    coords = None
    traj_loss = None
    if traj is not None:
        basis = torch.stack([d1f, d2f], dim=1).double()  # (P, 2)
        disp = (traj - flat_theta).double()
        sol = torch.linalg.lstsq(basis, disp.T).solution  # (2, T)
        coords = sol.T.float().numpy()
        if directions == "random":
            proj = (basis @ sol).T
            total = float((disp ** 2).sum())
            captured = float((proj ** 2).sum() / total) if total > 0 else 1.0
        if directions == "pca":  # make the slice hold the whole trajectory
            span = max(span, 1.15 * float(np.abs(coords).max()))
        with torch.no_grad():
            traj_loss = np.array([
                float(loss_fn(functional_call(net, ({k: v.to(dev) for k, v in
                                                      _unflat(row, names, shapes).items()},
                                                     buffers), (x,)), y))
                for row in traj])

    alphas = torch.linspace(-span, span, resolution, dtype=torch.float32, device=dev)
    betas = torch.linspace(-span, span, resolution, dtype=torch.float32, device=dev)
    bb, aa = torch.meshgrid(betas, alphas, indexing="ij")

    mlp = _mlp_layers(net)
    with torch.no_grad():
        if mlp is not None:
            values = _mlp_grid(mlp, theta, d1, d2, x, y, loss_fn, aa.reshape(-1),
                               bb.reshape(-1), chunk_size)
        else:
            def loss_at(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
                params = {n: theta[n] + a * d1[n] + b * d2[n] for n in names}
                return loss_fn(functional_call(net, (params, buffers), (x,)), y)

            values = vmap(loss_at, chunk_size=chunk_size)(aa.reshape(-1), bb.reshape(-1))
        center = float(loss_fn(net(x), y))
    grid = values.reshape(resolution, resolution).float().cpu().numpy().astype(np.float64)
    return LandscapeResult(
        alphas=alphas.cpu().numpy().astype(np.float64), betas=betas.cpu().numpy().astype(np.float64),
        loss=grid, center_loss=center, directions=directions, trajectory=coords,
        trajectory_loss=traj_loss, captured=captured, n_params=int(flat_theta.numel()),
        n_samples=int(len(x)), device=str(dev), elapsed_s=time.perf_counter() - t0,
    )


#: Parameter-free modules that act on each number alone, so they apply to a (grid, N, h) batch.
ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.ELU, nn.SiLU, nn.Softplus,
               nn.Identity, nn.Dropout)


def _mlp_layers(net: nn.Module) -> list[tuple[str, nn.Module]] | None:
    """The (name, layer) list of a plain Sequential of dense layers and element-wise
    activations that starts with a dense layer (what ``%%dl`` builds for an MLP), else None."""
    if type(net).forward is not nn.Sequential.forward:
        return None
    layers = list(net.named_children())
    if not layers or not isinstance(layers[0][1], nn.Linear):
        return None
    for _, layer in layers:
        if type(layer) is nn.Linear:
            continue
        if not isinstance(layer, ELEMENTWISE) or any(True for _ in layer.parameters()) or \
                any(True for _ in layer.buffers()):
            return None
    return layers


class _Buffers:
    """Scratch tensors reused from chunk to chunk. Allocating a fresh megabyte-sized
    temporary per operation costs more than the arithmetic here (the allocator hands large
    blocks back to the OS and every reuse page-faults): 2-3x the time of the whole grid."""

    def __init__(self, like: torch.Tensor) -> None:
        self.like = like
        self.store: dict[str, torch.Tensor] = {}

    def get(self, key: str, shape: tuple[int, ...]) -> torch.Tensor:
        t = self.store.get(key)
        if t is None or t.shape[1:] != shape[1:] or t.shape[0] < shape[0]:
            t = self.store[key] = torch.empty(shape, dtype=self.like.dtype,
                                              device=self.like.device)
        return t[:shape[0]]


def _on_plane(bufs: _Buffers, key: str, center: torch.Tensor, a: torch.Tensor,
              d1: torch.Tensor, b: torch.Tensor, d2: torch.Tensor) -> torch.Tensor:
    """center + a·d1 + b·d2 for a chunk's (G, 1, 1) coordinates, written into a reused buffer."""
    out = bufs.get(key, (a.shape[0], *center.shape))
    torch.addcmul(center, a.view(-1, *([1] * center.dim())), d1, out=out)
    return out.addcmul_(b.view(-1, *([1] * center.dim())), d2)


def _activate_(layer: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """An element-wise module applied in place where torch has the in-place form."""
    if isinstance(layer, (nn.Identity, nn.Dropout)):  # the slice is evaluated in eval mode
        return z
    if type(layer) is nn.ReLU:
        return z.relu_()
    if type(layer) is nn.Tanh:
        return z.tanh_()
    if type(layer) is nn.Sigmoid:
        return z.sigmoid_()
    if type(layer) is nn.LeakyReLU:
        return nn.functional.leaky_relu_(z, layer.negative_slope)
    return layer(z)


def _per_point_loss(bufs: _Buffers, loss_fn: LossFn, out: torch.Tensor,
                    y: torch.Tensor) -> torch.Tensor:
    """loss_fn(out[g], y) for every grid point g of out (G, N, C), as one batched call."""
    g, n, c = out.shape
    if loss_fn is default_loss and not y.is_floating_point():
        # cross-entropy per sample: logsumexp of the logits minus the target's logit
        lse = torch.logsumexp(out, dim=-1, out=bufs.get("lse", (g, n)))
        index = y.view(1, n, 1).expand(g, n, 1)
        picked = torch.gather(out, -1, index, out=bufs.get("picked", (g, n, 1)))
        return lse.sub_(picked.squeeze(-1)).mean(1)
    if loss_fn is default_loss:
        target = y.reshape(1, n, c).to(out.dtype)
        return out.sub_(target).square_().mean(dim=(1, 2))
    return vmap(lambda o: loss_fn(o, y))(out)


def _mlp_grid(layers: list[tuple[str, nn.Module]], theta: dict[str, torch.Tensor],
              d1: dict[str, torch.Tensor], d2: dict[str, torch.Tensor], x: torch.Tensor,
              y: torch.Tensor, loss_fn: LossFn, alphas: torch.Tensor, betas: torch.Tensor,
              chunk_size: int) -> torch.Tensor:
    """The loss at every (α, β) for an MLP, a chunk of grid points per batched matmul.

    The first dense layer's output on the plane is z* + α·z₁ + β·z₂ (it is linear in its own
    weights and bias), so it is computed three times, not once per grid point; every later
    dense layer is one ``baddbmm`` (bias added inside the matrix product) over the chunk, and
    every chunk reuses the same scratch tensors.
    """
    first = layers[0][0]
    z0, z1, z2 = (nn.functional.linear(x, d[f"{first}.weight"], d.get(f"{first}.bias"))
                  for d in (theta, d1, d2))
    bufs = _Buffers(z0)
    out = []
    for s in range(0, len(alphas), chunk_size):
        a, b = alphas[s:s + chunk_size], betas[s:s + chunk_size]
        z = _on_plane(bufs, "z0", z0, a, z1, b, z2)  # (G, N, h)
        for i, (name, layer) in enumerate(layers[1:]):
            if not isinstance(layer, nn.Linear):
                z = _activate_(layer, z)
                continue
            key = f"{name}.weight"
            w = _on_plane(bufs, key, theta[key], a, d1[key], b, d2[key])
            dest = bufs.get(f"z{i + 1}", (z.shape[0], z.shape[1], w.shape[1]))
            if layer.bias is None:
                z = torch.bmm(z, w.mT, out=dest)
            else:
                key = f"{name}.bias"
                bias = _on_plane(bufs, key, theta[key], a, d1[key], b, d2[key])
                z = torch.baddbmm(bias.unsqueeze(1), z, w.mT, out=dest)
        out.append(_per_point_loss(bufs, loss_fn, z, y))
    return torch.cat(out)


@saved_rng()
def loss_landscape_loop(model: nn.Module, data: Any, loss_fn: LossFn | None = None, *,
                        resolution: int = 51, span: float = 1.0, seed: int = 0,
                        device: torch.device | str | None = None,
                        max_samples: int = 4096) -> np.ndarray:
    """The naive reference: load each grid point's weights into the model and evaluate it."""
    resolution, span = _check(resolution, span)
    dev = pick_device(device)
    x, y = _as_data(data, max_samples)
    loss_fn = loss_fn or default_loss
    net = copy.deepcopy(model).to(dev).eval()
    x, y = x.to(dev), y.to(dev)
    theta = {n: p.detach().clone() for n, p in net.named_parameters()}
    d1 = filter_normalized_direction(net, seed)
    d2 = filter_normalized_direction(net, seed + 1)
    alphas = torch.linspace(-span, span, resolution, dtype=torch.float32)
    betas = torch.linspace(-span, span, resolution, dtype=torch.float32)
    out = np.empty((resolution, resolution))
    params = dict(net.named_parameters())
    with torch.no_grad():
        for j, b in enumerate(betas.tolist()):
            for i, a in enumerate(alphas.tolist()):
                for n, p in params.items():
                    p.copy_(theta[n] + a * d1[n] + b * d2[n])
                out[j, i] = float(loss_fn(net(x), y))
    return out
