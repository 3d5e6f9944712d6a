"""Jupyter server extension shipped with dlwidgets: widget round trips without Nagle's delay.

jupyter_server leaves Nagle's algorithm on for its kernel websockets. A widget's reply from the
kernel is written right after the kernel's small "busy" status message, so the operating system
holds the reply until the browser acknowledges the status, and browsers delay that
acknowledgement (about 40 ms on Linux). Every pointer-driven round trip (the latent explorer's
hover decoding, a dragged slider) then costs 40-50 ms before any computing starts. This
extension turns on ``TCP_NODELAY`` for each kernel websocket once it is open, which takes an
empty round trip from about 49 ms to about 12 ms (``benchmarks/README.md``).

It is a separate top-level package so the server does not import PyTorch to load it. pip
enables it through ``jupyter-config/jupyter_server_config.d/dlwidgets_server.json``; turn it off
with ``jupyter server extension disable dlwidgets_server``.
"""

from __future__ import annotations

import socket
from typing import Any

__all__ = ["no_delay_connection_class"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "dlwidgets_server"}]


def no_delay_connection_class(base: type) -> type:
    """``base`` (a kernel websocket connection class) with TCP_NODELAY set when it connects.

    A subclass rather than a patch, so whatever connection class the server is configured with
    keeps working; wrapping twice returns the class unchanged.
    """
    if getattr(base, "dlwidgets_no_delay", False):
        return base

    class NoDelayConnection(base):  # type: ignore[misc, valid-type]
        dlwidgets_no_delay = True

        def connect(self) -> Any:
            handler = self.websocket_handler
            try:
                handler.set_nodelay(True)
                stream = getattr(handler.ws_connection, "stream", None)
                sock = getattr(stream, "socket", None)
                if sock is not None:
                    flag = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                    handler.log.info("dlwidgets_server: kernel websocket %s has TCP_NODELAY=%d",
                                     getattr(handler, "kernel_id", "?"), flag)
            except Exception as exc:  # a latency tweak must never cost the connection
                handler.log.warning("dlwidgets_server: could not set TCP_NODELAY: %s", exc)
            return super().connect()

    NoDelayConnection.__name__ = f"NoDelay{base.__name__}"
    NoDelayConnection.__qualname__ = NoDelayConnection.__name__
    return NoDelayConnection


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = serverapp.web_app.settings
    base = settings.get("kernel_websocket_connection_class")
    if base is None:
        serverapp.log.warning("dlwidgets_server: no kernel websocket connection class to wrap")
        return
    settings["kernel_websocket_connection_class"] = no_delay_connection_class(base)
    serverapp.log.info("dlwidgets_server: kernel websockets send without Nagle's delay "
                       "(TCP_NODELAY) so widget round trips are not held back ~40 ms")
