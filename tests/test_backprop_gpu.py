"""The backpropagation stepper on a model that lives on CUDA: the traced step equals autograd
there and the widget's state equals the same step traced on the CPU (the `gpu` marker)."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import nn

from dlwidgets import BackpropStepper


@pytest.fixture
def no_tf32() -> Iterator[None]:
    """TF32 rounds matmul inputs to 10 mantissa bits; the comparison wants float32."""
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


@pytest.mark.gpu
def test_cuda_model_traces_like_the_cpu_and_equals_autograd(no_tf32: None) -> None:
    torch.manual_seed(0)
    cpu_model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    cuda_model = copy.deepcopy(cpu_model).cuda()
    x, y = torch.randn(4, 5), torch.tensor([0, 2, 1, 1])
    on_cpu = BackpropStepper(cpu_model, x, y, loss="cross_entropy", lr=0.2)
    on_gpu = BackpropStepper(cuda_model, x.cuda(), y.cuda(), loss="cross_entropy", lr=0.2)
    assert on_gpu.network["autograd_diff"] < 1e-5 and on_gpu.network["update_diff"] < 1e-5
    assert set(on_gpu.arrays) == set(on_cpu.arrays)
    for key, value in on_cpu.arrays.items():
        np.testing.assert_allclose(on_gpu.arrays[key], value, rtol=1e-4, atol=1e-5, err_msg=key)
    before = {n: p.detach().clone() for n, p in cuda_model.named_parameters()}
    on_gpu.train(3)
    for n, p in cuda_model.named_parameters():
        assert p.device.type == "cuda" and torch.equal(p.detach(), before[n])
    on_gpu.apply()
    for name, p in cuda_model.named_parameters():
        assert not torch.equal(p.detach(), before[name])
