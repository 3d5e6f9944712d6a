"""dlwidgets: see deep learning inside Jupyter.

Load in a notebook with ``%load_ext dlwidgets``. Every number a widget shows is computed by
PyTorch (on the GPU when there is one) and travels to the browser as binary buffers.
"""

from __future__ import annotations

from typing import Any

from .dsl import DSLError, ModelSummary, build, summary
from .engine.datasets import DATASETS, load_dataset
from .engine.device import device
from .engine.fit import History
from .engine.training_optim import EarlyStopping
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
from .widgets.training_monitor import TrainingMonitor, fit

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
