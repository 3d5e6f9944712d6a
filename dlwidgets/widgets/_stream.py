"""Throttled publisher: carries records from a worker thread to the browser at a bounded rate.

A training loop may produce thousands of records per second; jupyter_server drops IOPub traffic
past ~1000 messages/s and widgets then silently desync. The worker only calls ``push`` (a lock
and a list append). A publisher thread wakes at most ``max_rate`` times per second, sends every
record pushed since the last send as one coalesced delta, and every ``history_every`` seconds
(and once on ``stop``) hands the full history to ``write_history`` so the synced state is
complete for late views, saved notebooks and static exports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Record = dict[str, Any]


class ThrottledPublisher:
    def __init__(
        self,
        send_delta: Callable[[int, list[Record]], None],
        write_history: Callable[[list[Record]], None] | None = None,
        *,
        max_rate: float = 30.0,
        history_every: float = 2.0,
    ) -> None:
        if max_rate <= 0:
            raise ValueError(f"max_rate must be > 0 messages per second, got {max_rate}")
        self._send_delta = send_delta
        self._write_history = write_history
        self._interval = 1.0 / max_rate
        self._history_every = history_every
        self._records: list[Record] = []
        self._sent = 0  # records already sent as deltas
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.messages_sent = 0
        self.errors: list[BaseException] = []

    # -- worker side -------------------------------------------------------------------
    def push(self, record: Record) -> None:
        """Queue one record; safe to call from any thread, never blocks on the network."""
        with self._lock:
            self._records.append(record)
        self._wake.set()

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> ThrottledPublisher:
        if self._thread is not None:
            raise RuntimeError("publisher already started")
        self._thread = threading.Thread(target=self._run, name="dlwidgets-publisher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is left, write the full history once, and end the publisher thread."""
        if self._thread is None:
            self._flush()
            self._write_full_history()
            return
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        self._thread = None

    @property
    def history(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    # -- publisher thread --------------------------------------------------------------
    def _run(self) -> None:
        # One timed sleep per slot while records flow: a push does not wake this thread (each
        # wake-up takes the GIL from the training thread, which costs it more than the push).
        # Only after a slot with nothing to send does the thread sleep until a push wakes it.
        last_send = 0.0
        last_history = time.monotonic()
        while True:
            wait = self._interval - (time.monotonic() - last_send)
            # records that arrive meanwhile pile up until the next slot: the coalescing
            stopping = self._stopping.wait(wait) if wait > 0 else self._stopping.is_set()
            sent = self._flush()
            last_send = time.monotonic()
            if stopping:
                self._write_full_history()
                return
            if self._history_every and last_send - last_history >= self._history_every:
                self._write_full_history()
                last_history = last_send
            if not sent:
                self._wake.clear()
                with self._lock:
                    idle = self._sent == len(self._records)
                if idle:
                    self._wake.wait()

    def _flush(self) -> bool:
        """Send the records not sent yet as one delta; whether there were any."""
        with self._lock:
            start = self._sent
            batch = self._records[start:]
            self._sent = len(self._records)
        if not batch:
            return False
        try:
            self._send_delta(start, batch)
            self.messages_sent += 1
        except BaseException as exc:  # never kill the publisher: keep the error to report
            self.errors.append(exc)
        return True

    def _write_full_history(self) -> None:
        if self._write_history is None:
            return
        try:
            self._write_history(self.history)
        except BaseException as exc:
            self.errors.append(exc)
