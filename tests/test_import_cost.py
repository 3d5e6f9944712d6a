"""``import dlwidgets`` stays cheap: it must not pull in ``torch._dynamo`` (over a second, which
torch imports when the first optimizer is built) nor the widget stack; the widgets load when
first named. The time itself is measured by benchmarks/bench_import.py, not asserted here."""

from __future__ import annotations

import subprocess
import sys

import dlwidgets


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True, timeout=300)
    return set(out.stdout.split())


def test_import_does_not_load_dynamo_or_widgets() -> None:
    loaded = _modules_after("import dlwidgets")
    assert "torch._dynamo" not in loaded
    assert "ipywidgets" not in loaded and "anywidget" not in loaded


def test_every_public_name_resolves() -> None:
    for name in dlwidgets.__all__:
        assert getattr(dlwidgets, name) is not None, name
    assert set(dlwidgets.__all__) <= set(dir(dlwidgets))
    from dlwidgets import OptimizerRace, fit  # noqa: F401 - the lazy names import too
    assert dlwidgets.fit is fit


def test_fit_optimizer_specs_resolve_on_use() -> None:
    loaded = _modules_after("from dlwidgets.engine.training_optim import OPTIMIZERS\n"
                            "assert 'adam' in OPTIMIZERS and len(OPTIMIZERS) > 5")
    assert "torch._dynamo" not in loaded
    from dlwidgets.engine.training_optim import OPTIMIZERS
    assert OPTIMIZERS["adam"].cls.__name__ == "Adam"
    assert OPTIMIZERS["adam"] is OPTIMIZERS["adam"]
