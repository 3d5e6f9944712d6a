"""The latent explorer's non-invertible views (t-SNE, UMAP): computed once per set of codes in a
worker thread, so choosing one in the page never blocks the kernel's message loop.

The worker only computes; it hands the result (or the error) to a callback, which the widget
uses to write its traits once, like the training publisher's final write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import embedding as E
from ..engine import shutdown

#: Every view the explorer offers, in the order of its selector.
VIEWS = ("pca", "dims", "tsne", "umap")
#: Views whose plane maps back to codes: hovering there decodes the position itself.
INVERTIBLE = ("pca", "dims")

#: called by the worker with (kind, generation, the embedding or None, the error or "")
Done = Callable[[str, int, E.Embedding | None, str], None]


class EmbeddingJobs:
    """Computed embeddings of the current codes, and the worker computing the next one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, E.Embedding] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._finished: dict[str, threading.Event] = {}
        self.generation = 0  # bumped whenever the codes change: older results are dropped

    def result(self, kind: str) -> E.Embedding | None:
        with self._lock:
            return self._results.get(kind)

    def results(self) -> dict[str, E.Embedding]:
        with self._lock:
            return dict(self._results)

    def running(self, kind: str) -> bool:
        with self._lock:
            thread = self._threads.get(kind)
        return thread is not None and thread.is_alive()

    def invalidate(self) -> None:
        """The codes changed: forget every embedding (a running one is dropped when it ends)."""
        with self._lock:
            self.generation += 1
            self._results.clear()

    def drop(self, kind: str) -> None:
        """Forget one embedding (its parameters changed)."""
        with self._lock:
            self._results.pop(kind, None)

    def compute(self, kind: str, codes: np.ndarray, seed: int, params: dict[str, Any]
                ) -> E.Embedding:
        """Compute now, in this thread (the Python API), and keep the result."""
        emb = E.embed(kind, codes, seed=seed, **params)
        with self._lock:
            self._results[kind] = emb
        return emb

    def start(self, kind: str, codes: np.ndarray, seed: int, params: dict[str, Any],
              done: Done) -> bool:
        """Compute ``kind`` in a worker thread, then call ``done(kind, generation, embedding,
        error)``; False when one is already running."""
        with self._lock:
            thread = self._threads.get(kind)
            if thread is not None and thread.is_alive():
                return False
            generation = self.generation
            finished = threading.Event()
            self._finished[kind] = finished
            thread = threading.Thread(
                target=self._work, args=(kind, np.array(codes), seed, dict(params), generation,
                                         done, finished),
                name=f"dlwidgets-latent-{kind}", daemon=True)
            self._threads[kind] = thread
        thread.start()
        # nothing to interrupt inside scikit-learn or umap-learn: at exit, only join
        shutdown.track(thread, _nothing)
        return True

    def _work(self, kind: str, codes: np.ndarray, seed: int, params: dict[str, Any],
              generation: int, done: Done, finished: threading.Event) -> None:
        emb: E.Embedding | None = None
        error = ""
        try:
            emb = E.embed(kind, codes, seed=seed, **params)
        except Exception as exc:  # noqa: BLE001 - shown to the user by the callback
            error = str(exc) if isinstance(exc, (ValueError, ImportError, TypeError)) else \
                f"{type(exc).__name__}: {exc}"
        with self._lock:
            current = generation == self.generation
            if emb is not None and current:
                self._results[kind] = emb
        try:
            if current:
                done(kind, generation, emb, error)
        finally:
            finished.set()

    def wait(self, kind: str, timeout: float | None = None) -> bool:
        """Block until the worker for ``kind`` has finished (True) or ``timeout`` passed."""
        with self._lock:
            finished = self._finished.get(kind)
        if finished is None:
            return True
        # an Event, not Thread.join: a KeyboardInterrupt inside join() can leave a running
        # thread marked stopped on CPython 3.11 (see engine/fit.py: History.wait)
        return finished.wait(timeout)


def _nothing() -> None:
    """Stop function for shutdown.track: the computation cannot be interrupted."""
