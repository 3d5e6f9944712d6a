"""Every widget computes on CUDA the numbers it computes on the CPU (the `gpu` marker).

Each test builds the same widget twice, once with the work on the CPU and once on the test
device, and compares every array and number of its synced state (what the browser draws).
Strings are not compared: some of them name the device or a timing.

Tolerances: float32 work is compared at 1e-4 (relative and absolute; cuDNN and cuBLAS sum in
other orders than the CPU kernels), float64 work at 1e-9. TF32 is switched off for the
comparisons (``no_tf32``): with it, cuDNN convolutions round their inputs to 10 mantissa bits
and differ from the CPU by about 1e-3, which is TF32's documented precision, not a defect.

The test device is CUDA. ``DLWIDGETS_TEST_DEVICE=cpu`` runs these same tests on the CPU (both
sides on the CPU), which is how ``benchmarks/gpu_check.py --device cpu --quick`` keeps them
working on machines without a GPU.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import dlwidgets
from dlwidgets.widgets._arrays import from_wire
from tests.latent_models import TinyAE

pytestmark = pytest.mark.gpu

F32 = {"rtol": 1e-4, "atol": 1e-4}
F64 = {"rtol": 1e-9, "atol": 1e-9}


@pytest.fixture
def gpu_device() -> str:
    """The device under test: CUDA, or the CPU when DLWIDGETS_TEST_DEVICE=cpu asks for it."""
    dev = os.environ.get("DLWIDGETS_TEST_DEVICE", "cuda")
    if dev == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    return dev


@pytest.fixture(autouse=True)
def no_tf32() -> Iterator[None]:
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if {"dtype", "shape", "data"} <= set(value):
            return from_wire(value)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decode(v) for v in value]
    return value


def state_of(widget: Any) -> dict[str, Any]:
    """The widget's synced state as the browser receives it, with arrays decoded."""
    skip = {"_esm", "_css", "_anywidget_id", "layout", "tabbable", "tooltip", "comm", "keys"}
    return {k: _decode(v) for k, v in widget.get_state().items()
            if k not in skip and not k.startswith("_model_") and not k.startswith("_view_")}


def _is_timing(key: str) -> bool:
    """Keys that hold how long something took, or a counter of updates: never equal twice."""
    return key == "revision" or key.endswith("_ms") or key.endswith("_s")


def assert_same_state(got: Any, want: Any, tol: dict[str, float], path: str = "state",
                      ignore: frozenset[str] = frozenset()) -> int:
    """Compare two decoded states; returns how many array elements were compared."""
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), path
        assert got.shape == want.shape and got.dtype == want.dtype, path
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, err_msg=path, equal_nan=True, **tol)
        else:
            np.testing.assert_array_equal(got, want, err_msg=path)
        return int(want.size)
    if isinstance(want, dict):
        assert set(got) == set(want), path
        return sum(assert_same_state(got[k], want[k], tol, f"{path}.{k}", ignore)
                   for k in want if k not in ignore and not _is_timing(k))
    if isinstance(want, list):
        assert len(got) == len(want), path
        return sum(assert_same_state(g, w, tol, f"{path}[{i}]", ignore)
                   for i, (g, w) in enumerate(zip(got, want)))
    if isinstance(want, bool) or isinstance(want, int):
        assert got == want, path
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=tol["rtol"], abs=tol["atol"], nan_ok=True), path
    return 0


def _on(dev: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``dlwidgets.device()`` pick ``dev`` for widgets that have no device argument."""
    monkeypatch.setenv("DLWIDGETS_DEVICE", dev)


def test_conv_stepper_trace_on_device_equals_cpu(gpu_device: str) -> None:
    kw = {"stride": 2, "padding": 1, "activation": "relu", "pool": "max"}
    cpu = dlwidgets.ConvStepper("digit:3", "sobel_x", device="cpu", **kw)
    dev = dlwidgets.ConvStepper("digit:3", "sobel_x", device=gpu_device, **kw)
    assert assert_same_state(state_of(dev), state_of(cpu), F64) > 0


def test_conv_stepper_from_a_cuda_model(gpu_device: str) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Conv2d(4, 6, 3, stride=2)).eval()
    x = torch.randn(2, 1, 12, 12)
    want = dlwidgets.ConvStepper.from_layer(model[3], x, model=model, device="cpu")
    on_dev = copy.deepcopy(model).to(gpu_device)
    got = dlwidgets.ConvStepper.from_layer(on_dev[3], x.to(gpu_device), model=on_dev,
                                           device=gpu_device)
    assert next(on_dev.parameters()).device.type == torch.device(gpu_device).type
    assert assert_same_state(state_of(got), state_of(want), F32) > 0


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_recurrent_inspector_on_a_cuda_model(gpu_device: str, kind: str) -> None:
    torch.manual_seed(0)
    cls = nn.LSTM if kind == "lstm" else nn.GRU
    rnn = cls(5, 12, num_layers=2)
    x = torch.randn(30, 5)
    want = dlwidgets.LSTMInspector(rnn, x, device="cpu", gradient=True)
    on_dev = copy.deepcopy(rnn).to(gpu_device)
    got = dlwidgets.LSTMInspector(on_dev, x.to(gpu_device), device=gpu_device, gradient=True)
    assert assert_same_state(state_of(got), state_of(want), F32) > 0
    # the recomputed gates reproduce the module's own output on the device (cuDNN there)
    with torch.no_grad():
        out, _ = on_dev(x.to(gpu_device))
    from dlwidgets.engine.recurrent import recompute

    res = recompute(on_dev, x.to(gpu_device).unsqueeze(1), device=gpu_device)
    assert (res.output.squeeze(1) - out).abs().max().item() <= 1e-4


def test_latent_explorer_on_a_cuda_model(gpu_device: str) -> None:
    torch.manual_seed(0)
    model = TinyAE(d_in=16, latent_dim=2)
    data = torch.rand(300, 16)
    labels = np.arange(300) % 3
    want = dlwidgets.LatentExplorer(model, data, labels, device="cpu")
    on_dev = copy.deepcopy(model).to(gpu_device)
    got = dlwidgets.LatentExplorer(on_dev, data, labels, device=gpu_device)
    assert assert_same_state(state_of(got), state_of(want), F32) > 0
    codes = np.asarray(torch.rand(64, 2) * 4 - 2, dtype=np.float32)
    np.testing.assert_allclose(got.decode(codes), want.decode(codes), **F32)


def test_model_summary_of_a_cuda_model(gpu_device: str) -> None:
    model = dlwidgets.build("input 1x8x8 -> conv 4 3x3 pad=1 relu -> flatten -> dense 10",
                            seed=0)
    want = dlwidgets.ModelSummaryWidget(model)
    got = dlwidgets.ModelSummaryWidget(copy.deepcopy(model).to(gpu_device))
    assert state_of(got)["rows"] == state_of(want)["rows"]
    assert state_of(got)["total_params"] == state_of(want)["total_params"] == 4 * 9 + 4 + 256 * 10 + 10


def test_optimizer_race_on_device_equals_cpu(gpu_device: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    kw = {"optimizers": ["sgd", "momentum", "adam", "rmsprop"], "steps": 120, "swarm": 16}
    _on("cpu", monkeypatch)
    want = dlwidgets.OptimizerRace("rosenbrock", **kw)
    _on(gpu_device, monkeypatch)
    got = dlwidgets.OptimizerRace("rosenbrock", **kw)
    assert assert_same_state(state_of(got), state_of(want), F32) > 0


def test_loss_landscape_of_a_cuda_model(gpu_device: str) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    x, y = torch.randn(128, 2), torch.randint(0, 2, (128,))
    want = dlwidgets.loss_landscape(model, (x, y), resolution=15, device="cpu")
    on_dev = copy.deepcopy(model).to(gpu_device)
    got = dlwidgets.loss_landscape(on_dev, (x, y), resolution=15, device=gpu_device)
    assert assert_same_state(state_of(got), state_of(want), F32) > 0


def test_activation_explorer_on_device_equals_cpu(gpu_device: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _on("cpu", monkeypatch)
    want = dlwidgets.ActivationExplorer("gelu")
    _on(gpu_device, monkeypatch)
    got = dlwidgets.ActivationExplorer("gelu")
    assert assert_same_state(state_of(got), state_of(want), F32) > 0


@pytest.mark.parametrize("where", ["model on cpu", "model on device"])
def test_fit_on_device_with_data_on_cpu(gpu_device: str, where: str) -> None:
    """Data stays on the CPU (as a user's numpy arrays do); fit moves each batch."""
    torch.manual_seed(0)
    x = torch.randn(200, 4)
    y = (x[:, 0] * x[:, 1] > 0).long()
    ref = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    model = copy.deepcopy(ref)
    if where == "model on device":
        model = model.to(gpu_device)
    monitor = dlwidgets.TrainingMonitor("gpu check")
    history = dlwidgets.fit(model, (x.numpy(), y.numpy()), optimizer="sgd", lr=0.1, epochs=3,
                            device=gpu_device, monitor=monitor, block=True)
    cpu = dlwidgets.fit(ref, (x.numpy(), y.numpy()), optimizer="sgd", lr=0.1, epochs=3,
                        device="cpu", monitor=False, block=True)
    assert history.stop_reason == "completed" and monitor.status == "completed"
    assert next(model.parameters()).device.type == torch.device(gpu_device).type
    assert history.info["device"].startswith(torch.device(gpu_device).type)
    np.testing.assert_allclose(history.steps["loss"], cpu.steps["loss"], rtol=1e-4, atol=1e-5)
    for a, b in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(a.detach().cpu(), b.detach(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("proj", [0, 6])
def test_fused_cuda_lstm_cell_equals_the_step_loop(gpu_device: str, proj: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """On CUDA a one-direction LSTM trace takes PyTorch's fused cell; every gate, c and h
    equal the general step loop's (on the CPU both sides take the step loop)."""
    from dlwidgets.engine import recurrent as rec

    if gpu_device == "cuda":  # the fused path is really taken there
        assert rec._FUSED_CELL is not None
    torch.manual_seed(0)
    lstm = nn.LSTM(7, 10, num_layers=2, proj_size=proj).to(gpu_device)
    x = torch.randn(40, 3, 7, device=gpu_device)
    fused = rec.recompute(lstm, x, device=gpu_device)
    monkeypatch.setattr(rec, "FUSED_CUDA_CELL", False)
    loop = rec.recompute(lstm, x, device=gpu_device)
    assert set(fused.states) == set(loop.states)
    for key in loop.states:
        torch.testing.assert_close(fused.states[key], loop.states[key], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(fused.output, loop.output, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        out, _ = lstm(x)
    assert (fused.output - out).abs().max().item() <= 1e-4
