"""Throttled publisher: real threads, real timing, bounded message rate, nothing lost."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from dlwidgets.widgets._stream import ThrottledPublisher


class Sink:
    def __init__(self) -> None:
        self.deltas: list[tuple[float, int, list[dict[str, Any]]]] = []
        self.histories: list[list[dict[str, Any]]] = []

    def send(self, start: int, records: list[dict[str, Any]]) -> None:
        self.deltas.append((time.monotonic(), start, records))

    def history(self, records: list[dict[str, Any]]) -> None:
        self.histories.append(records)


def test_coalesces_a_flood_into_at_most_max_rate_messages() -> None:
    sink = Sink()
    pub = ThrottledPublisher(sink.send, sink.history, max_rate=30, history_every=0).start()
    n = 0
    started = time.monotonic()

    def worker() -> None:
        nonlocal n
        while time.monotonic() - started < 1.0:
            pub.push({"step": n, "loss": 1.0 / (n + 1)})
            n += 1

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    pub.stop()
    elapsed = time.monotonic() - started
    assert n > 1000, "the worker should be able to push far faster than the send rate"
    # at most ~30 messages per second (+1 for the final flush on stop)
    assert len(sink.deltas) <= 30 * elapsed + 2
    assert len(sink.deltas) >= 5, "deltas should stream while the worker runs, not only at stop"
    # every record delivered exactly once, in order, with correct start offsets
    delivered = []
    for _, start, records in sink.deltas:
        assert start == len(delivered)
        delivered.extend(records)
    assert [r["step"] for r in delivered] == list(range(n))
    # minimum spacing between consecutive sends respects the rate
    gaps = [b[0] - a[0] for a, b in zip(sink.deltas, sink.deltas[1:], strict=False)]
    assert min(gaps[:-1] or [1.0]) >= 1 / 30 * 0.8


def test_full_history_written_on_stop_and_periodically() -> None:
    sink = Sink()
    pub = ThrottledPublisher(sink.send, sink.history, max_rate=50, history_every=0.2).start()
    for i in range(20):
        pub.push({"i": i})
        time.sleep(0.02)
    pub.stop()
    assert sink.histories, "history must be written"
    assert [r["i"] for r in sink.histories[-1]] == list(range(20))
    assert len(sink.histories) >= 2, "history should also be written while running"
    assert pub.history == sink.histories[-1]


def test_idle_publisher_sends_nothing_and_stop_without_start_flushes() -> None:
    sink = Sink()
    pub = ThrottledPublisher(sink.send, sink.history).start()
    time.sleep(0.2)
    pub.stop()
    assert sink.deltas == []
    assert sink.histories == [[]]

    sink2 = Sink()
    pub2 = ThrottledPublisher(sink2.send, sink2.history)
    pub2.push({"a": 1})
    pub2.stop()
    assert [d[2] for d in sink2.deltas] == [[{"a": 1}]]
    assert sink2.histories == [[{"a": 1}]]


def test_a_failing_sender_does_not_kill_the_publisher() -> None:
    calls = []

    def bad_send(start: int, records: list[dict[str, Any]]) -> None:
        calls.append(start)
        if len(calls) == 1:
            raise RuntimeError("comm closed")

    pub = ThrottledPublisher(bad_send, max_rate=100).start()
    pub.push({"a": 1})
    time.sleep(0.1)
    pub.push({"a": 2})
    pub.stop()
    assert len(calls) == 2 and isinstance(pub.errors[0], RuntimeError)


def test_rejects_non_positive_rate_and_double_start() -> None:
    with pytest.raises(ValueError, match="max_rate"):
        ThrottledPublisher(lambda s, r: None, max_rate=0)
    pub = ThrottledPublisher(lambda s, r: None).start()
    with pytest.raises(RuntimeError):
        pub.start()
    pub.stop()
