"""Errors and warnings of the model DSL, shown to people as one short block.

A ``DSLError`` knows where it happened (1-based ``line`` and ``column``) and renders as::

    DSLError: unknown layer 'convv' (line 3, column 1)
      convv 16 5x5 tanh
      ^^^^^
    did you mean 'conv'?

IPython shows exactly that block (through ``_render_traceback_``) instead of a traceback.
Set ``$DLWIDGETS_DSL_TRACEBACK=1`` or run ``%dl --traceback on`` to get full tracebacks back.
"""

from __future__ import annotations

import os

from ..suggest import did_you_mean

TRACEBACK_ENV = "DLWIDGETS_DSL_TRACEBACK"

# Session switch set by ``%dl --traceback on|off``; None defers to the environment variable.
_full_tracebacks: bool | None = None


def full_tracebacks() -> bool:
    """Whether DSL errors show Python's full traceback instead of the short block."""
    if _full_tracebacks is not None:
        return _full_tracebacks
    return os.environ.get(TRACEBACK_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def set_full_tracebacks(value: bool | None) -> None:
    """Turn full tracebacks for DSL errors on (True), off (False) or back to the env var (None)."""
    global _full_tracebacks
    _full_tracebacks = value


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DSLError(ValueError):
    """A model declaration that cannot be built; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1, *,
                 source_line: str | None = None, width: int = 1,
                 suggestion: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.line = max(1, int(line))
        self.column = max(1, int(column))
        self.source_line = source_line
        self.width = max(1, int(width))
        self.suggestion = suggestion
        self.hint = hint
        self.full_traceback = False  # set by '%%dl NAME --traceback' for this one error
        super().__init__(message)

    def with_source(self, source: str) -> DSLError:
        """Attach the offending line of ``source`` (when not attached yet) and return self."""
        if self.source_line is None and isinstance(source, str):
            lines = source.splitlines()
            if 1 <= self.line <= len(lines):
                self.source_line = lines[self.line - 1]
        return self

    def shifted(self, lines: int = 0, columns: int = 0,
                source_line: str | None = None) -> DSLError:
        """Move the location (e.g. from a cell body to the cell as displayed)."""
        self.line += lines
        self.column += columns
        if source_line is not None:
            self.source_line = source_line
        return self

    def lines(self) -> list[str]:
        """The short block, one string per line, without the leading ``DSLError:``."""
        out = [f"{_clip(self.message, 300)} (line {self.line}, column {self.column})"]
        if self.source_line is not None:
            text = self.source_line.replace("\t", " ").rstrip()
            start = 0
            # keep long lines readable: show a window around the column
            if len(text) > 100 and self.column > 60:
                start = self.column - 40
                text = "…" + text[start:]
                start -= 1
            text = _clip(text, 120)
            caret_at = self.column - 1 - start
            width = max(1, min(self.width, max(1, len(text) - caret_at)))
            out.append("  " + text)
            out.append("  " + " " * caret_at + "^" * width)
        if self.suggestion:
            out.append(did_you_mean(self.suggestion))
        if self.hint:
            out.append(_clip(self.hint, 300))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    @property
    def _render_traceback_(self):  # type: ignore[no-untyped-def]
        """IPython hook: the short block instead of a traceback (absent in traceback mode)."""
        if full_tracebacks() or self.full_traceback:
            raise AttributeError("_render_traceback_")

        def render() -> list[str]:
            block = self.lines()
            return [f"{type(self).__name__}: {block[0]}", *block[1:]]

        return render


class DSLWarning(UserWarning):
    """A declaration that is legal but probably wrong (e.g. softmax before cross-entropy)."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"
