"""Browser test harness: a real JupyterLab (and Notebook 7), a real Voilà, exported HTML pages,
all driven in Debian's Chromium through Playwright. Used by tests/browser/conftest.py fixtures.

Helpers here assert what a person would see: canvas pixels that are not blank, labels that are
present, console errors that are absent.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import nbformat

CHROMIUM = os.environ.get("DLWIDGETS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = pathlib.Path(__file__).resolve().parent / "artifacts"

# Messages the Jupyter front ends themselves log on a machine with no network or no optional
# server extensions. They are not about dlwidgets; anything else in the console fails a test.
BENIGN_CONSOLE = [
    re.compile(r"Failed to load resource: the server responded with a status of 404"),
    re.compile(r"Failed to fetch ipywidgets through the \"jupyter.widget.control\" comm channel"),
    re.compile(r"jupyter\.widget\.control"),
    re.compile(r"Fetching news|news|announcements", re.I),
    re.compile(r"net::ERR_(INTERNET_DISCONNECTED|NAME_NOT_RESOLVED|CONNECTION_REFUSED)"),
    # Notebook 7.6's own start-up (settings plugins in notebook_core), with any notebook open,
    # dlwidgets loaded or not: matched on the file the error comes from.
    re.compile(r"reading 'schema'.*static/notebook/notebook_core", re.S),
    re.compile(r"Command 'filebrowser:open-path' not registered"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            last = exc
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s ({last})")


@dataclass
class Server:
    """A Jupyter or Voilà server started for the tests, on a free loopback port."""

    kind: str
    root: pathlib.Path
    port: int
    token: str
    proc: subprocess.Popen[bytes]
    log: pathlib.Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _isolated_env(home: pathlib.Path) -> dict[str, str]:
    env = dict(os.environ)
    for sub in ("config", "runtime", "ipython"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
        DLWIDGETS_DEVICE=os.environ.get("DLWIDGETS_DEVICE", "cpu"),
    )
    return env


def start_jupyter(root: pathlib.Path, home: pathlib.Path) -> Server:
    """JupyterLab 4 (which also serves Notebook 7 at /notebooks/) on a free port."""
    port, token = free_port(), "dlwidgets-test-token"
    # No "get notified about Jupyter news?" pop-up over the widgets (it asks the internet).
    labconfig = home / "config" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    log = home / "jupyter.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0", "--allow-root",
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.news_url=",
        "--ServerApp.disable_check_xsrf=True",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=_isolated_env(home), stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server("jupyter", root, port, token, proc, log)
    try:
        wait_http(f"{server.base}/api/status?token={token}", 90, proc)
    except Exception:
        server.stop()
        raise RuntimeError(f"JupyterLab did not start:\n{server.log_tail()}") from None
    return server


def start_voila(root: pathlib.Path, home: pathlib.Path) -> Server:
    """Voilà serving every notebook in ``root`` at /voila/render/<name>.ipynb."""
    port = free_port()
    log = home / "voila.log"
    cmd = [
        sys.executable, "-m", "voila", "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1", "--VoilaConfiguration.show_tracebacks=True",
        # No extension_denylist flag: the voila.json pip installs with dlwidgets keeps Notebook
        # 7's extension (which logs RUNTIME-012 in Voilà) out, as for README's plain command.
        f"--Voila.root_dir={root}", str(root),
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=_isolated_env(home), stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server("voila", root, port, "", proc, log)
    try:
        wait_http(f"{server.base}/", 90, proc)
    except Exception:
        server.stop()
        raise RuntimeError(f"Voilà did not start:\n{server.log_tail()}") from None
    return server


def write_notebook(root: pathlib.Path, name: str, cells: Sequence[str]) -> pathlib.Path:
    """A notebook of code cells, with the python3 kernel named so no dialog asks for one."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path = root / name
    nbformat.write(nb, path)
    return path


@dataclass
class ConsoleLog:
    """Errors a page reported: console.error messages and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda msg: self.errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(
            f"uncaught: {exc}\n{getattr(exc, 'stack', '') or ''}"))

    def relevant(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in BENIGN_CONSOLE)]


def assert_no_console_errors(log: ConsoleLog) -> None:
    bad = log.relevant()
    assert not bad, "errors in the browser console:\n" + "\n".join(bad)


# ---- notebook driving ------------------------------------------------------------------------

_WAIT_APP = """() => {
  const app = window.jupyterapp;
  const widget = app && app.shell.currentWidget;
  if (!widget || !widget.context || !widget.content) return false;
  const ctx = widget.context.sessionContext;
  const kernel = ctx && ctx.session && ctx.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""

_CELLS_DONE = """() => {
  const app = window.jupyterapp;
  const widget = app && app.shell.currentWidget;
  if (!widget || !widget.content) return false;
  const cells = widget.content.model.cells;
  const ctx = widget.context.sessionContext;
  const kernel = ctx.session && ctx.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'code' && !cell.executionCount) return false;
  }
  return true;
}"""

_CELL_ERRORS = """() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const out = [];
  const cells = widget.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs;
    for (let j = 0; j < outputs.length; j++) {
      const o = outputs.get(j).toJSON();
      if (o.output_type === 'error') out.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  }
  return out;
}"""


_KERNEL_EXECUTE = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.context.sessionContext.session.kernel;
  let text = '';
  const future = kernel.requestExecute({ code });
  future.onIOPub = (msg) => { if (msg.header.msg_type === 'stream') text += msg.content.text; };
  await future.done;
  return text;
}"""


def kernel_value(page: Any, expression: str) -> Any:
    """Evaluate ``expression`` in the open notebook's kernel and return its JSON value: lets a
    browser test check that what a person did in the page reached Python."""
    code = f"import json as _j; print('@@' + _j.dumps({expression}))"
    result = page.evaluate(_KERNEL_EXECUTE, code)
    line = next(ln for ln in result.splitlines() if ln.startswith("@@"))
    return json.loads(line[2:])


def wait_kernel_value(page: Any, expression: str, expected: Any, tries: int = 60) -> None:
    """Poll ``kernel_value`` until it equals ``expected`` (widget messages are asynchronous)."""
    value = None
    for _ in range(tries):
        value = kernel_value(page, expression)
        if value == expected:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"{expression} is {value!r}, expected {expected!r}")


@contextlib.contextmanager
def stopping_training(page: Any, name: str = "h") -> Iterator[None]:
    """Stop the kernel's training ``name`` on the way out, whatever happened inside: a failed
    assertion must not leave it running into the next test (a kernel already gone is fine)."""
    try:
        yield
    finally:
        try:
            kernel_value(page, f"{name}.stop() or True")
        except Exception:  # noqa: BLE001 - the kernel may already be gone
            pass


def run_all_cells(page: Any, *, timeout: float = 120) -> None:
    """Run every cell of the open notebook (JupyterLab or Notebook 7) and wait until done."""
    page.wait_for_function(_WAIT_APP, timeout=timeout * 1000, polling=500)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_CELLS_DONE, timeout=timeout * 1000, polling=250)
    errors = page.evaluate(_CELL_ERRORS)
    assert not errors, "cells raised errors:\n" + "\n".join(errors)


def open_in_lab(page: Any, server: Server, notebook: pathlib.Path, *, timeout: float = 120) -> None:
    rel = notebook.relative_to(server.root).as_posix()
    page.goto(f"{server.base}/lab/tree/{rel}?token={server.token}&reset",
              timeout=timeout * 1000)
    run_all_cells(page, timeout=timeout)


def open_in_notebook7(page: Any, server: Server, notebook: pathlib.Path, *,
                      timeout: float = 120) -> None:
    rel = notebook.relative_to(server.root).as_posix()
    page.goto(f"{server.base}/notebooks/{rel}?token={server.token}", timeout=timeout * 1000)
    run_all_cells(page, timeout=timeout)


def open_in(frontend: str) -> Any:
    """The opener of a notebook front end served by ``start_jupyter``: "lab" or "notebook7"."""
    return {"lab": open_in_lab, "notebook7": open_in_notebook7}[frontend]


def frontend_suffix(frontend: str) -> str:
    """Screenshot name suffix: none for JupyterLab (the docs' pictures), "_nb7" otherwise."""
    return "" if frontend == "lab" else "_nb7"


def open_in_voila(page: Any, server: Server, notebook: pathlib.Path, *,
                  timeout: float = 120) -> None:
    rel = notebook.relative_to(server.root).as_posix()
    page.goto(f"{server.base}/voila/render/{rel}", timeout=timeout * 1000)
    # Voilà executes the notebook, then renders widgets; the widget root appears when done.
    page.wait_for_selector("[data-dlw-widget]", timeout=timeout * 1000)


# ---- what a person sees ----------------------------------------------------------------------

_CANVAS_INK = """(canvas) => {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  if (!width || !height) return 0;
  const data = ctx.getImageData(0, 0, width, height).data;
  // count pixels that differ from the top-left (background) pixel
  const r0 = data[0], g0 = data[1], b0 = data[2], a0 = data[3];
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r0) + Math.abs(data[i+1] - g0) + Math.abs(data[i+2] - b0)
        + Math.abs(data[i+3] - a0) > 24) ink++;
  }
  return ink / (width * height);
}"""

_CANVAS_SIGNATURE = """(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let h = 2166136261;
  for (let i = 0; i < data.length; i += 1) { h ^= data[i]; h = Math.imul(h, 16777619) >>> 0; }
  return h;
}"""


# Frames per second while a widget plays: requestAnimationFrame ticks counted for `seconds`,
# and how many new frames the widget drew meanwhile (its `counter` data attribute) and the time
# of its last draw (data-draw-ms). Playback is paused again if it is still running.
_MEASURE_PLAYBACK = """async ([root, seconds, counter]) => {
  const play = root.querySelector('.dlw-play');
  const d0 = Number(root.dataset[counter]);
  play.click();
  const t0 = performance.now();
  let frames = 0;
  await new Promise((resolve) => {
    const tick = (now) => { frames++; if (now - t0 < seconds * 1000) requestAnimationFrame(tick); else resolve(); };
    requestAnimationFrame(tick);
  });
  const elapsed = (performance.now() - t0) / 1000;
  const draws = Number(root.dataset[counter]) - d0;
  if (play.textContent.includes('Pause')) play.click();
  return { fps: frames / elapsed, draws_per_s: draws / elapsed, draw_ms: Number(root.dataset.drawMs) };
}"""


def measure_playback(page: Any, root: Any, seconds: float = 3.0,
                     counter: str = "framesDrawn") -> dict[str, float]:
    """{fps, draws_per_s, draw_ms} of the widget ``root`` (a locator) playing for ``seconds``."""
    return page.evaluate(_MEASURE_PLAYBACK, [root.element_handle(), seconds, counter])


def canvas_ink(locator: Any) -> float:
    """Fraction of a canvas' pixels that differ from its background colour."""
    return float(locator.evaluate(_CANVAS_INK))


def canvas_signature(locator: Any) -> int:
    """A hash of a canvas' pixels, to tell whether what is drawn changed."""
    return int(locator.evaluate(_CANVAS_SIGNATURE))


DOCS_IMG = pathlib.Path(__file__).resolve().parents[2] / "docs" / "img"


def screenshot(page_or_locator: Any, name: str, *, docs: bool = True) -> pathlib.Path:
    """Save a PNG under tests/browser/artifacts; with DLWIDGETS_DOCS_SCREENSHOTS=1 also into
    docs/img/, where the user guide shows them (that is how the docs' screenshots are made)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page_or_locator.screenshot(path=str(path))
    if docs and os.environ.get("DLWIDGETS_DOCS_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMG / path.name)
    return path


@contextlib.contextmanager
def served(start: Any, root: pathlib.Path, home: pathlib.Path) -> Iterator[Server]:
    server = start(root, home)
    try:
        yield server
    finally:
        server.stop()


def chromium_available() -> bool:
    return pathlib.Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is not None


# relative luminance of a canvas' pixel (1, 1), its background: a view that follows the dark
# theme repaints it dark
CANVAS_BACKGROUND_JS = """(c) => {
  const p = c.getContext('2d').getImageData(1, 1, 1, 1).data;
  const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(p[0]) + 0.7152 * lin(p[1]) + 0.0722 * lin(p[2]);
}"""
