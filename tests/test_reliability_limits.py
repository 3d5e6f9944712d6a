"""Size limits are checked from shapes before anything is allocated: each case runs in a
process whose address space is capped a little above what it already uses, so spending the
memory first (and failing later) shows as a MemoryError/RuntimeError instead of the clear
ValueError."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
import traitlets
from torch import nn

import dlwidgets

pytestmark = pytest.mark.slow

CASES = {
    "summary_input": "dlwidgets.summary(nn.Conv2d(1, 2, 3), (1, 20000, 20000))",
    "summary_output": "dlwidgets.summary(nn.Conv2d(1, 1024, 3), (1, 1000, 1000))",
    # an expanded view: 3×10000×10000 values without memory, until someone copies them
    "conv_from_layer": "dlwidgets.ConvStepper.from_layer(nn.Conv2d(3, 2, 3), "
                       "torch.zeros(1).expand(3, 10000, 10000))",
    "sequence": "dlwidgets.load_dataset('sequence', n=10**6, length=1000)",
    "other_logits": "dlwidgets.ActivationExplorer('softmax').other_logits = [0.0] * 10**6",
}

_SCRIPT = """
import resource, sys
import torch
from torch import nn
import dlwidgets
import traitlets
dlwidgets.summary(nn.Linear(2, 2), (2,))  # loads what the shape probe uses
dlwidgets.ActivationExplorer('softmax')
def vm_bytes():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmSize:'):
                return int(line.split()[1]) * 1024
cap = vm_bytes() + (768 << 20)
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
try:
    {case}
    print('NO ERROR')
except (ValueError, TypeError, traitlets.TraitError) as exc:
    print('REFUSED', type(exc).__name__, exc)
except BaseException as exc:
    print('FAILED LATE', type(exc).__name__, str(exc)[:300])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and RLIMIT_AS")
@pytest.mark.parametrize("name", list(CASES))
def test_sizes_are_refused_before_memory_is_spent(name: str) -> None:
    script = textwrap.dedent(_SCRIPT).replace("{case}", CASES[name])
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=240)
    out = proc.stdout.strip().splitlines()
    assert out and out[-1].startswith("REFUSED"), (proc.stdout + proc.stderr)[-3000:]
    assert "limit" in out[-1] or "at most" in out[-1], out[-1]


def test_the_limits_are_those_the_docs_list() -> None:
    from dlwidgets.dsl.summarize import MAX_SUMMARY_VALUES
    from dlwidgets.engine.datasets import MAX_SEQUENCE_VALUES
    from dlwidgets.widgets.activation import MAX_OTHER_LOGITS

    assert (MAX_SUMMARY_VALUES, MAX_SEQUENCE_VALUES, MAX_OTHER_LOGITS) == (
        1 << 28, 20_000_000, 1000)
    # in range: these still work
    dlwidgets.summary(nn.Conv2d(1, 2, 3), (1, 64, 64))
    dlwidgets.load_dataset("sequence", n=20_000, length=1000)
    a = dlwidgets.ActivationExplorer("softmax")
    a.other_logits = [0.0] * 1000
    with pytest.raises(traitlets.TraitError, match="finite"):
        a.other_logits = [float("nan")]
    with pytest.raises(TypeError, match="real numbers"):
        dlwidgets.ConvStepper(torch.zeros(8, 8, dtype=torch.complex64))


def test_docs_list_the_limits_that_apply() -> None:
    import pathlib

    from dlwidgets.engine import convolution, landscape, latent, race, surfaces
    from dlwidgets.export import MAX_PAGE_BYTES
    from dlwidgets.widgets import latent_explorer, lstm_inspector, optimizer_race

    page = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "limits.md").read_text()
    expected = [
        f"{convolution.MAX_SIDE} × {convolution.MAX_SIDE}",
        f"{convolution.MAX_PRODUCTS:,}", f"{convolution.MAX_KERNEL} × {convolution.MAX_KERNEL}",
        f"{lstm_inspector.MAX_TRACE_VALUES:,}", f"up to {lstm_inspector.MAX_STEPS_HARD}",
        f"{latent.MAX_POINTS:,} points", f"{latent_explorer.MAX_INPUT_VALUES:,}",
        f"{latent_explorer.MAX_GRID_VALUES:,}", f"{latent_explorer.MAX_DECODE_REQUEST} codes",
        f"{optimizer_race.MAX_WIDGET_STEPS} steps", f"{optimizer_race.MAX_SWARM} starts",
        f"{surfaces.MAX_RESOLUTION}²", f"{race.MAX_VALUES:,}",
        f"resolution up to {landscape.MAX_RESOLUTION}",
        f"{MAX_PAGE_BYTES // (1024 * 1024)} MB", "268,435,456", "20,000,000 values",
        "at most 1000 `other_logits`", "10⁹ multiply-adds",
    ]
    missing = [text for text in expected if text not in page]
    assert not missing, f"docs/limits.md does not say: {missing}"
