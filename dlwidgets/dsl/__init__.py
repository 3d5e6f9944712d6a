"""The model DSL: declare a network in a few readable lines, get a checked ``torch.nn.Module``.

``build(source)`` parses, checks shapes (errors carry 1-based line and column) and constructs
the model; ``summary(model)`` lists layers, output shapes and parameter counts. The grammar is
documented in docs/dsl.md. Nothing here knows about widgets.
"""

from __future__ import annotations

from .builder import build, build_spec
from .checks import loss_warnings
from .errors import DSLError, DSLWarning
from .modules import GAN, VAE, Autoencoder, DLSequential, kl_divergence, vae_loss
from .nodes import LOSS_MODULES, ModelSpec, SpecNode
from .parser import parse
from .spec import analyze
from .summarize import MemoryEstimate, ModelSummary, SummaryRow, summary

__all__ = [
    "GAN",
    "LOSS_MODULES",
    "MemoryEstimate",
    "ModelSummary",
    "VAE",
    "Autoencoder",
    "DLSequential",
    "DSLError",
    "DSLWarning",
    "ModelSpec",
    "SpecNode",
    "SummaryRow",
    "analyze",
    "build",
    "build_spec",
    "kl_divergence",
    "loss_warnings",
    "parse",
    "summary",
    "vae_loss",
]
