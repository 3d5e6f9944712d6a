"""Write examples/optimizer_race.ipynb (run: python examples/make_optimizer_race.py)."""

from __future__ import annotations

import pathlib

from notebook_writer import code, md, write_notebook

CELLS = [
    md("""# Optimizers racing on loss surfaces

Every optimizer here **is** `torch.optim`'s own class, stepping on a 2-D surface f(x, y) whose
gradients come from autograd. Press ▶ to race them, drag the timeline, click the surface to
start somewhere else, move a learning-rate slider (only that optimizer is re-run), tick
*explainer* to see the gradient, the momentum and the second moment of every optimizer at one
step, read straight from the torch optimizer's state."""),
    code("""%load_ext dlwidgets
import numpy as np
import torch
import dlwidgets"""),
    md("""## Rosenbrock's banana valley

The valley is easy to find and hard to follow: plain SGD crawls, momentum overshoots and
oscillates across the valley, Adam's per-coordinate scaling follows it."""),
    code("""race = dlwidgets.OptimizerRace(surface="rosenbrock",
                               optimizers=["sgd", "momentum", "nesterov", "rmsprop", "adam"],
                               start=(-1.5, 2.0), steps=300)
race"""),
    md("""The same numbers in Python: `.trajectories[name]` is a (steps + 1, 2) array,
`.losses[name]` the loss along it, `.status[name]` says converged / diverged / running
(converged: gradient norm and last step both ≤ `tol`)."""),
    code("""for name, path in race.trajectories.items():
    print(f"{name:9s} end = {np.round(path[-1], 4)}  f = {race.losses[name][-1]:.5f}  {race.status[name]}")"""),
    md("""They are torch.optim's trajectories, step for step: here is Adam redone by hand with
`torch.optim.Adam` on a (2,) parameter, with the same learning rate."""),
    code("""lr = race.hyper["adam"]["lr"]
p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
opt = torch.optim.Adam([p], lr=lr)
f = race.surface.fn
for _ in range(300):
    opt.zero_grad()
    f(p[0], p[1]).backward()
    opt.step()
print(p.detach().numpy(), race.trajectories["adam"][-1])
assert np.allclose(p.detach().numpy(), race.trajectories["adam"][-1], atol=1e-12)"""),
    md("""## Divergence is a state, not garbage

With a learning rate that is too large, SGD blows up in a few steps. Its trail stops at the
last good point and it is marked diverged; the others go on."""),
    code("""race.set_hyper("sgd", lr=0.05)
print(race.status)
print(race.notes)"""),
    md("""## Textbook formulas vs PyTorch's

PyTorch's Adagrad and RMSprop put ε **outside** the square root, its SGD momentum has no
(1 − β) factor and starts with v₁ = g₁. The textbook forms are separate, clearly named
optimizers, so the difference can be seen, not hidden. With a large ε the two RMSprops part
ways quickly."""),
    code("""bowl = dlwidgets.OptimizerRace(
    surface="quadratic", surface_params={"condition": 20, "angle": 30},
    optimizers=[{"optimizer": "rmsprop", "lr": 0.05, "eps": 0.1},
                {"optimizer": "rmsprop_eps_inside", "lr": 0.05, "eps": 0.1},
                {"optimizer": "momentum", "lr": 0.02},
                {"optimizer": "momentum_ema", "lr": 0.02}],
    steps=150, explainer=True)
for r in bowl.racers:
    print(f"{r['name']:20s} {r['formula']}")
bowl"""),
    md("""## A swarm of starts and noisy gradients

`swarm=n` races n starts per optimizer at once (one torch optimizer over an (n, 2) tensor: all
these optimizers are element-wise, so this equals n separate optimizers). The noise mimics
mini-batch gradients; it is seeded and the same for every optimizer."""),
    code("""swarm = dlwidgets.OptimizerRace(surface="himmelblau", optimizers=["sgd", "momentum", "adam"],
                                steps=200, swarm=150, noise=5.0, seed=0)
print(swarm.swarm_status)
swarm"""),
    md("""## Your own surface and your own optimizer

Any function of torch tensors works as a surface (autograd differentiates it); any
`torch.optim.Optimizer` subclass works as an optimizer, also one written here. An optimizer we
cannot vouch for as element-wise runs one instance per start (the note says so)."""),
    code("""class SignSGD(torch.optim.Optimizer):
    \"\"\"θ ← θ − η·sign(g)\"\"\"
    def __init__(self, params, lr=0.02):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.sub_(group["lr"] * torch.sign(p.grad))

mine = dlwidgets.OptimizerRace(
    surface=lambda x, y: torch.sin(2 * x) * torch.cos(2 * y) + 0.1 * (x ** 2 + y ** 2),
    domain=(-3, 3, -3, 3), optimizers=[SignSGD, "adam"], start=(2.2, 1.4), steps=200)
print(mine.status, mine.notes)
mine"""),
    md("""## The loss landscape of a real network

A small MLP on scikit-learn's bundled digits (no download), trained with Adam while its
weights are recorded. The slice goes through the trained weights along two filter-normalized
random directions (Li et al., 2018); the grid is evaluated in batch with `torch.func.vmap`.
Random directions barely see the training path (`captured`); PCA directions of the path do."""),
    code("""from sklearn.datasets import load_digits
from torch import nn
from dlwidgets.engine.landscape import record_trajectory

digits = load_digits()
X = torch.tensor(digits.data[:512] / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target[:512])
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
trajectory = record_trajectory(net, (X, y), optimizer="adam", lr=1e-2, steps=60)
random_slice = dlwidgets.loss_landscape(net, (X, y), trajectory=trajectory, resolution=31)
pca_slice = dlwidgets.loss_landscape(net, (X, y), trajectory=trajectory, directions="pca",
                                     resolution=31)
print(f"captured by random directions: {random_slice.result.captured:.3f}, "
      f"by PCA directions: {pca_slice.result.captured:.3f}")
pca_slice"""),
]


def main() -> pathlib.Path:
    return write_notebook(CELLS, "optimizer_race")


if __name__ == "__main__":
    print(main())
