"""The Jupyter server extension that turns Nagle's delay off for kernel websockets: installed
and enabled by pip, importable without torch, and a true subclass of the server's own
connection class (so the server's registry and shutdown keep working)."""

from __future__ import annotations

import re
import subprocess
import sys

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

import dlwidgets_server


def test_enabled_and_valid_after_install() -> None:
    out = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"],
                         capture_output=True, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    assert re.search(r"dlwidgets_server\s+enabled", text), text
    assert re.search(r"dlwidgets_server\s+OK", text), text


def test_loading_does_not_import_torch() -> None:
    code = ("import sys, dlwidgets_server\n"
            "print(dlwidgets_server._jupyter_server_extension_points())\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.split()[-1] == "False", out.stdout


def test_wrapping_keeps_the_servers_class() -> None:
    wrapped = dlwidgets_server.no_delay_connection_class(ZMQChannelsWebsocketConnection)
    assert issubclass(wrapped, ZMQChannelsWebsocketConnection)
    assert wrapped is not ZMQChannelsWebsocketConnection
    assert dlwidgets_server.no_delay_connection_class(wrapped) is wrapped
    assert wrapped.connect is not ZMQChannelsWebsocketConnection.connect
