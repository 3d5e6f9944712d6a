"""dlwidgets' server extension in a real JupyterLab: opening a notebook connects its kernel
websocket with TCP_NODELAY read back as set from the server's own socket, and widget messages
still flow both ways over it."""

from __future__ import annotations

import re
from typing import Any

from tests.browser import harness

NODELAY = re.compile(r"dlwidgets_server: kernel websocket (\S+) has TCP_NODELAY=(\d+)")


def test_kernel_websocket_has_nodelay(page: Any, console: harness.ConsoleLog,
                                      jupyter: harness.Server) -> None:
    log = jupyter.log.read_text(errors="replace")
    assert "dlwidgets_server: kernel websockets send without Nagle's delay" in log, \
        "the server extension was not loaded:\n" + jupyter.log_tail()
    seen_before = {kernel for kernel, _ in NODELAY.findall(log)}
    nb = harness.write_notebook(jupyter.root, "server_extension.ipynb", [
        "import dlwidgets\nw = dlwidgets.ActivationExplorer('tanh')\nw"])
    harness.open_in_lab(page, jupyter, nb)
    root = page.locator("[data-dlw-widget='activation-explorer']")
    root.wait_for()
    # a change made in the browser reaches Python over the websocket
    root.locator("select.dlw-activation-select").select_option("gelu")
    harness.wait_kernel_value(page, "w.activation", "gelu")
    connections = NODELAY.findall(jupyter.log.read_text(errors="replace"))
    new = [(kernel, flag) for kernel, flag in connections if kernel not in seen_before]
    assert new, "no kernel websocket of this notebook went through the extension:\n" + \
        jupyter.log_tail()
    assert all(int(flag) != 0 for _, flag in new), new
    harness.assert_no_console_errors(console)
