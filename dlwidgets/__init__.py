"""dlwidgets: see deep learning inside Jupyter.

Load in a notebook with ``%load_ext dlwidgets``. Every number a widget shows is computed by
PyTorch (on the GPU when there is one) and travels to the browser as binary buffers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .dsl import DSLError, ModelSummary, build, summary
from .engine.datasets import DATASETS, load_dataset
from .engine.device import device
from .engine.fit import History
from .engine.training_optim import EarlyStopping

if TYPE_CHECKING:  # imported on first use (below), so ``import dlwidgets`` skips ipywidgets
    from .export import ExportError, export_html
    from .widgets.activation import ActivationExplorer
    from .widgets.attention_inspector import AttentionInspector
    from .widgets.backprop_stepper import BackpropStepper
    from .widgets.conv_stepper import ConvStepper
    from .widgets.expression_stepper import ExpressionStepper
    from .widgets.latent_explorer import LatentExplorer
    from .widgets.lstm_inspector import LSTMInspector
    from .widgets.model_summary import ModelSummaryWidget
    from .widgets.optimizer_race import LossLandscape, OptimizerRace, loss_landscape
    from .widgets.playground import Playground
    from .widgets.training_monitor import TrainingMonitor, fit

# The widgets and the exporter need the ipywidgets stack (IPython, comm, anywidget: about a
# third of a second); they are imported when first named (PEP 562), so ``import dlwidgets``
# costs little more than ``import torch`` (benchmarks/bench_import.py).
_LAZY: dict[str, str] = {
    "ExportError": ".export",
    "export_html": ".export",
    "ActivationExplorer": ".widgets.activation",
    "AttentionInspector": ".widgets.attention_inspector",
    "BackpropStepper": ".widgets.backprop_stepper",
    "ConvStepper": ".widgets.conv_stepper",
    "ExpressionStepper": ".widgets.expression_stepper",
    "LatentExplorer": ".widgets.latent_explorer",
    "LSTMInspector": ".widgets.lstm_inspector",
    "ModelSummaryWidget": ".widgets.model_summary",
    "LossLandscape": ".widgets.optimizer_race",
    "OptimizerRace": ".widgets.optimizer_race",
    "loss_landscape": ".widgets.optimizer_race",
    "Playground": ".widgets.playground",
    "TrainingMonitor": ".widgets.training_monitor",
    "fit": ".widgets.training_monitor",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dlwidgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "ActivationExplorer",
    "AttentionInspector",
    "BackpropStepper",
    "ConvStepper",
    "DATASETS",
    "DSLError",
    "EarlyStopping",
    "ExportError",
    "ExpressionStepper",
    "History",
    "LatentExplorer",
    "LSTMInspector",
    "LossLandscape",
    "OptimizerRace",
    "Playground",
    "TrainingMonitor",
    "ModelSummary",
    "ModelSummaryWidget",
    "build",
    "device",
    "export_html",
    "fit",
    "load_dataset",
    "load_ipython_extension",
    "loss_landscape",
    "summary",
    "__version__",
]


def load_ipython_extension(ipython: Any) -> None:
    """Entry point of ``%load_ext dlwidgets``: registers the dlwidgets magics."""
    from .magics import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Entry point of ``%unload_ext dlwidgets``."""
