"""Static checks run by the one test command: ruff, mypy on the package, the TypeScript type
check, the JS unit tests (vitest), and that every front end is built."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _run(cmd: list[str], timeout: float = 600) -> None:
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{output}"


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to build and test the front end (install Node.js >= 18)")
    if not (ROOT / "node_modules").is_dir():
        _run([npm, "ci", "--no-audit", "--no-fund"])
    return npm


def test_ruff() -> None:
    _run([sys.executable, "-m", "ruff", "check", "dlwidgets", "dlwidgets_server", "tests", "benchmarks"])


def test_mypy_on_the_package() -> None:
    _run([sys.executable, "-m", "mypy", "dlwidgets", "dlwidgets_server"])


def test_typescript_typecheck() -> None:
    _run([_npm(), "run", "--silent", "typecheck"])


def test_js_unit_tests() -> None:
    _run([_npm(), "test", "--silent"])


def _front_ends() -> dict[str, list[pathlib.Path]]:
    """Each bundle js/build.mjs makes and its own sources: a folder js/src/<name>/ with an
    index.ts, or a single js/src/<name>.ts."""
    out: dict[str, list[pathlib.Path]] = {}
    for path in (ROOT / "js" / "src").iterdir():
        if path.name == "lib":
            continue
        if path.is_dir() and (path / "index.ts").is_file():
            out[path.name] = sorted(path.rglob("*.ts"))
        elif path.suffix == ".ts" and not path.name.endswith(".d.ts"):
            out[path.stem] = [path]
    return out


def test_every_front_end_is_built() -> None:
    sources = _front_ends()
    static = ROOT / "dlwidgets" / "static"
    missing = [s for s in sorted(sources) if not (static / f"{s}.js").is_file()]
    assert not missing, f"not built: {missing}; run `npm run build` (pip install -e . does it)"
    stale = [s for s, files in sorted(sources.items())
             if (static / f"{s}.js").stat().st_mtime < max(f.stat().st_mtime for f in files)]
    assert not stale, f"built bundles older than their sources: {stale}; run `npm run build`"
