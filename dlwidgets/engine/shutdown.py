"""Worker threads stop and join when the interpreter exits.

A daemon thread still inside a torch operation when Python finalizes aborts the process
("terminate called without an active exception", exit code 134). Every worker that trains
registers here with a way to ask it to stop; at exit each is asked to stop after its current
step and is joined, so a script that ends while training runs exits normally.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable

#: seconds the exit waits, all workers together, for the current steps to finish
EXIT_TIMEOUT = 60.0

_LOCK = threading.Lock()
_WORKERS: list[tuple[threading.Thread, Callable[[], Callable[[], None] | None]]] = []


def track(thread: threading.Thread, stop: Callable[[], None]) -> None:
    """Stop ``thread`` with ``stop()`` and join it at interpreter exit (if it still runs).

    A bound method is held weakly, so a tracked widget is still garbage-collected.
    """
    ref: Callable[[], Callable[[], None] | None]
    if hasattr(stop, "__self__") and hasattr(stop, "__func__"):
        ref = weakref.WeakMethod(stop)  # type: ignore[arg-type]
    else:
        ref = lambda: stop  # noqa: E731 - a plain function or closure is held as it is
    with _LOCK:
        _WORKERS[:] = [(t, s) for t, s in _WORKERS if t.is_alive()]
        _WORKERS.append((thread, ref))


def stop_all(timeout: float = EXIT_TIMEOUT) -> list[str]:
    """Ask every live worker to stop, then join them; the names of those still running."""
    with _LOCK:
        workers = [(t, s) for t, s in _WORKERS if t.is_alive()]
        _WORKERS.clear()
    for _thread, ref in workers:
        stop = ref()
        if stop is not None:
            try:
                stop()
            except Exception:  # noqa: BLE001 - keep stopping the others
                pass
    deadline = time.monotonic() + timeout
    for thread, _ref in workers:
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t, _ in workers if t.is_alive()]


atexit.register(stop_all)
