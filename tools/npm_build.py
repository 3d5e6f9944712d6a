"""Front-end build for hatch-jupyter-builder that installs with ``npm ci``.

hatch_jupyter_builder.npm_builder runs ``npm install``, which resolves the dependency ranges
again and rewrites package-lock.json (adding or moving packages). ``npm ci`` installs exactly
what the committed lock pins, fails when the lock and package.json disagree, and never writes
the lock. pyproject.toml names this function as the build hook's ``build-function``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def _run(command: list[str], cwd: Path) -> None:
    print(">", " ".join(command), flush=True)
    subprocess.run(command, cwd=str(cwd), check=True)


def npm_ci_builder(target_name: str, version: str, path: str = ".",
                   build_cmd: str | None = "build", npm: str | list[Any] | None = "npm",
                   editable_build_cmd: str | None = None, **_ignored: Any) -> None:
    """``npm ci`` then ``npm run <build_cmd>`` in ``path``; skipped like npm_builder with
    ``--skip-npm`` or ``HATCH_JUPYTER_BUILDER_SKIP_NPM=1``."""
    if "--skip-npm" in sys.argv or os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        return
    root = Path(path).resolve()
    if not (root / "package-lock.json").is_file():
        raise RuntimeError(f"{root / 'package-lock.json'} is missing: the front end is built "
                           "from the committed lock (npm ci)")
    command = [npm or "npm"] if isinstance(npm, str) or npm is None else [str(c) for c in npm]
    found = shutil.which(command[0])  # npm.cmd on Windows
    if found is None:
        raise RuntimeError(f"{command[0]!r} is not on PATH: Node.js and npm build the front end")
    command[0] = found
    _run([*command, "ci", "--no-audit", "--no-fund"], root)
    chosen = (editable_build_cmd or build_cmd) if version == "editable" else build_cmd
    if chosen:
        _run([*command, "run", chosen], root)
