"""Project-wide pytest setup: the `gpu` marker skips where CUDA is absent.

``DLWIDGETS_TEST_DEVICE=cpu`` keeps the `gpu` tests that take the ``gpu_device`` fixture
(tests/test_gpu.py) running on the CPU, so their code is exercised on machines without a GPU
(``benchmarks/gpu_check.py --device cpu``).
"""

from __future__ import annotations

import os

import pytest
import torch


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if torch.cuda.is_available():
        return
    on_cpu = os.environ.get("DLWIDGETS_TEST_DEVICE") == "cpu"
    skip = pytest.mark.skip(reason="needs a CUDA GPU; none on this machine")
    for item in items:
        if "gpu" not in item.keywords:
            continue
        if on_cpu and "gpu_device" in getattr(item, "fixturenames", ()):
            continue
        item.add_marker(skip)
