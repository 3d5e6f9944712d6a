"""Loss landscape of a real network (Li et al. 2018): directions, batched grid, trajectory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dlwidgets.engine.landscape import (
    filter_normalized_direction,
    loss_landscape_2d,
    loss_landscape_loop,
    record_trajectory,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny matmuls: one intra-op thread avoids OpenMP contention on a busy 2-core runner."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _data(n: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] * x[:, 1] > 0).long()
    return x, y


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))


def test_filter_normalized_direction_matches_li_et_al() -> None:
    model = nn.Sequential(nn.Conv2d(3, 5, 3), nn.BatchNorm2d(5), nn.Flatten(), nn.Linear(5 * 4, 3))
    d = filter_normalized_direction(model, seed=1)
    params = dict(model.named_parameters())
    assert set(d) == set(params)
    for name, w in params.items():
        if w.dim() <= 1:  # biases and batch-norm parameters: no move (ignore='biasbn')
            assert torch.all(d[name] == 0)
        else:  # each filter (output channel / output unit) has the norm of the weight's filter
            for di, wi in zip(d[name], w.detach()):
                assert float(di.norm()) == pytest.approx(float(wi.norm()), rel=1e-5)
    again = filter_normalized_direction(model, seed=1)
    other = filter_normalized_direction(model, seed=2)
    assert all(torch.equal(d[k], again[k]) for k in d)
    assert not torch.equal(d["0.weight"], other["0.weight"])


def test_batched_grid_equals_the_load_weights_loop() -> None:
    model, data = _model(), _data()
    r = loss_landscape_2d(model, data, resolution=9, span=0.8, seed=3, device="cpu")
    ref = loss_landscape_loop(model, data, resolution=9, span=0.8, seed=3, device="cpu")
    np.testing.assert_allclose(r.loss, ref, rtol=1e-5, atol=1e-5)
    # the centre of an odd grid is the model itself, computed directly with F.cross_entropy
    x, y = data
    with torch.no_grad():
        direct = float(nn.functional.cross_entropy(model(x), y))
    assert r.center_loss == pytest.approx(direct, rel=1e-6)
    assert r.loss[4, 4] == pytest.approx(direct, rel=1e-5)
    np.testing.assert_allclose(r.alphas, np.linspace(-0.8, 0.8, 9), atol=1e-6)
    assert r.n_params == sum(p.numel() for p in model.parameters()) and r.n_samples == 128


def test_model_is_left_untouched() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 2))
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    r = loss_landscape_2d(model, _data(), resolution=5, device="cpu")
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # evaluated in eval mode: dropout off, so the centre equals the eval-mode loss
    model.eval()
    x, y = _data()
    with torch.no_grad():
        expected = float(nn.functional.cross_entropy(model(x), y))
    assert r.center_loss == pytest.approx(expected, rel=1e-6)


def test_trajectory_projection_recovers_known_coordinates() -> None:
    model, data = _model(), _data()
    names = [n for n, _ in model.named_parameters()]
    d1 = filter_normalized_direction(model, 0)
    d2 = filter_normalized_direction(model, 1)
    theta = {n: p.detach() for n, p in model.named_parameters()}
    coords = [(0.5, -0.2), (0.3, 0.1), (0.0, 0.0)]
    traj = [{n: theta[n] + a * d1[n] + b * d2[n] for n in names} for a, b in coords]
    r = loss_landscape_2d(model, data, resolution=5, trajectory=traj, seed=0, device="cpu")
    assert r.trajectory is not None and r.trajectory_loss is not None
    np.testing.assert_allclose(r.trajectory, np.array(coords), atol=1e-4)
    assert r.captured == pytest.approx(1.0, abs=1e-6)
    # the trajectory loss is the real loss of those weights
    x, y = data
    with torch.no_grad():
        for p, n in zip(model.parameters(), names):
            p.copy_(traj[0][n])
        expected = float(nn.functional.cross_entropy(model(x), y))
    assert r.trajectory_loss[0] == pytest.approx(expected, rel=1e-5)


def test_training_trajectory_random_vs_pca_directions() -> None:
    model, data = _model(1), _data()
    traj = record_trajectory(model, data, optimizer="adam", lr=0.05, steps=40)
    assert traj.shape == (41, sum(p.numel() for p in model.parameters()))
    final = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    assert torch.equal(traj[-1], final)
    rnd = loss_landscape_2d(model, data, resolution=7, trajectory=traj, device="cpu")
    pca = loss_landscape_2d(model, data, resolution=7, trajectory=traj, directions="pca",
                            device="cpu")
    assert rnd.trajectory_loss is not None and rnd.trajectory_loss[-1] < rnd.trajectory_loss[0]
    # random directions hardly see the trajectory; PCA directions hold most of it
    assert rnd.captured is not None and pca.captured is not None
    assert rnd.captured < 0.2 < 0.8 < pca.captured
    np.testing.assert_allclose(pca.trajectory[-1], [0, 0], atol=1e-5)  # ends at θ*
    assert pca.alphas.max() >= np.abs(pca.trajectory).max()  # the slice holds the trajectory


def test_bad_landscape_arguments() -> None:
    model, data = _model(), _data()
    with pytest.raises(ValueError, match="resolution"):
        loss_landscape_2d(model, data, resolution=1)
    with pytest.raises(ValueError, match="span"):
        loss_landscape_2d(model, data, span=0)
    with pytest.raises(ValueError, match="directions"):
        loss_landscape_2d(model, data, directions="eigen")
    with pytest.raises(ValueError, match="needs a trajectory"):
        loss_landscape_2d(model, data, directions="pca")
    with pytest.raises(TypeError, match="data"):
        loss_landscape_2d(model, "digits")
    with pytest.raises(ValueError, match="differ in length"):
        loss_landscape_2d(model, (data[0], data[1][:5]))
    with pytest.raises(TypeError, match="model"):
        loss_landscape_2d("net", data)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="trajectory"):
        loss_landscape_2d(model, data, trajectory=np.zeros((3, 7)))


def test_dataloader_and_regression_targets() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1
    model = nn.Linear(3, 1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    r = loss_landscape_2d(model, loader, resolution=5, device="cpu")
    with torch.no_grad():
        direct = float(nn.functional.mse_loss(model(x).squeeze(1), y))
    assert r.center_loss == pytest.approx(direct, rel=1e-6)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_landscape_on_cuda_equals_cpu() -> None:
    model, data = _model(), _data()
    cpu = loss_landscape_2d(model, data, resolution=11, device="cpu")
    gpu = loss_landscape_2d(model, data, resolution=11, device="cuda")
    np.testing.assert_allclose(gpu.loss, cpu.loss, rtol=1e-4, atol=1e-5)


class _Custom(nn.Module):
    """Not a Sequential: evaluated by the general vmap path."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.b = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.tanh(self.a(x)) + 0.1)


def test_general_path_and_conv_first_layer_equal_the_loop() -> None:
    torch.manual_seed(0)
    custom, data = _Custom(), _data()
    r = loss_landscape_2d(custom, data, resolution=7, span=0.5, device="cpu")
    ref = loss_landscape_loop(custom, data, resolution=7, span=0.5, device="cpu")
    np.testing.assert_allclose(r.loss, ref, rtol=1e-5, atol=1e-5)
    g = torch.Generator().manual_seed(1)
    images = torch.randn(32, 1, 8, 8, generator=g)
    labels = torch.randint(0, 3, (32,), generator=g)
    conv = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
                         nn.Flatten(), nn.Linear(4 * 64, 3))
    r = loss_landscape_2d(conv, (images, labels), resolution=5, device="cpu")
    ref = loss_landscape_loop(conv, (images, labels), resolution=5, device="cpu")
    np.testing.assert_allclose(r.loss, ref, rtol=1e-5, atol=1e-5)
    # PCA directions move biases too: the first layer's bias direction is used
    traj = record_trajectory(conv, (images, labels), steps=5, lr=0.05)
    pca = loss_landscape_2d(conv, (images, labels), resolution=5, trajectory=traj,
                            directions="pca", device="cpu")
    assert pca.trajectory_loss is not None
    np.testing.assert_allclose(pca.trajectory_loss[-1], pca.center_loss, rtol=1e-5)


@pytest.mark.parametrize("target", ["classes", "values", "custom"])
def test_mlp_grid_equals_the_loop_for_every_activation_and_loss(target: str) -> None:
    """The MLP path (first layer as z* + αz₁ + βz₂, later layers as baddbmm into reused
    buffers, activations in place) against the load-weights loop; 81 grid points in chunks of
    32 also check the shorter last chunk."""
    torch.manual_seed(5)
    out_dim = 3
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8, bias=False),
                          nn.LeakyReLU(0.2), nn.Dropout(0.5), nn.Linear(8, 8), nn.GELU(),
                          nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, out_dim))
    x = torch.randn(96, 4, generator=torch.Generator().manual_seed(1))
    loss_fn = None
    if target == "classes":
        y = torch.randint(0, out_dim, (96,), generator=torch.Generator().manual_seed(2))
    else:
        y = torch.randn(96, out_dim, generator=torch.Generator().manual_seed(2))
    if target == "custom":
        def loss_fn(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            return (out - t).abs().mean() + 0.1 * out.pow(2).mean()
    r = loss_landscape_2d(model, (x, y), loss_fn, resolution=9, span=0.7, seed=4,
                          device="cpu", chunk_size=32)
    ref = loss_landscape_loop(model, (x, y), loss_fn, resolution=9, span=0.7, seed=4,
                              device="cpu")
    np.testing.assert_allclose(r.loss, ref, rtol=1e-5, atol=1e-6)
    assert r.center_loss == pytest.approx(float(ref[4, 4]), rel=1e-5)
