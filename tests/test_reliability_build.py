"""Builds pin what they install: the build hook runs `npm ci` against the committed
package-lock.json (never `npm install`, which rewrites the lock), and that lock covers what an
install resolves today (optional platform packages included), so `npm ci` gets all of it."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from tools.npm_build import npm_ci_builder

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_pyproject_builds_the_front_end_with_npm_ci() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    section = text[text.index("[tool.hatch.build.hooks.jupyter-builder]"):]
    match = re.search(r'^build-function = "([^"]+)"', section, re.M)
    assert match is not None and match.group(1) == "tools.npm_build.npm_ci_builder"


def test_the_builder_runs_ci_then_the_build_and_never_install(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "calls.jsonl"
    fake_npm = tmp_path / "npm.py"  # records its arguments instead of running npm
    fake_npm.write_text("import json, sys\n"
                        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "package-lock.json").write_text("{}")
    npm_ci_builder("wheel", "standard", path=str(project), build_cmd="build",
                   npm=[sys.executable, str(fake_npm)])
    npm_ci_builder("wheel", "editable", path=str(project), build_cmd="build",
                   editable_build_cmd="build:dev", npm=[sys.executable, str(fake_npm)])
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls == [["ci", "--no-audit", "--no-fund"], ["run", "build"],
                     ["ci", "--no-audit", "--no-fund"], ["run", "build:dev"]]
    (project / "package-lock.json").unlink()
    with pytest.raises(RuntimeError, match="package-lock.json is missing"):
        npm_ci_builder("wheel", "standard", path=str(project), npm=[sys.executable,
                                                                      str(fake_npm)])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm")
def test_the_committed_lock_covers_what_an_install_resolves(tmp_path: pathlib.Path) -> None:
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    before = json.loads((tmp_path / "package-lock.json").read_text())
    result = subprocess.run(["npm", "install", "--package-lock-only", "--ignore-scripts",
                             "--no-audit", "--no-fund"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    after = json.loads((tmp_path / "package-lock.json").read_text())
    added = sorted(set(after["packages"]) - set(before["packages"]))
    removed = sorted(set(before["packages"]) - set(after["packages"]))
    assert not added and not removed, f"lock out of date: +{added[:8]} -{removed[:8]}"
