"""IPython integration: what ``%load_ext dlwidgets`` registers.

``%%dl NAME [--seed N] [--quiet] [--traceback] [--fit DATA ...]`` builds the cell's model
declaration, binds it to NAME and shows its summary. ``%dl`` is the line form:

* ``%dl NAME = input 2 -> dense 8 relu -> dense 1 sigmoid`` (one-line declaration),
* ``%dl fit NET DATA [options]`` (training; handled by ``dlwidgets.fit_magic.fit_line``),
* ``%dl summary NAME [SHAPE]`` (summary of any model in the notebook),
* ``%dl --traceback [on|off]`` (full Python tracebacks for DSL errors instead of the short block).

A malformed declaration shows one short block (message, line, column, the line, a caret and a
suggestion), never a traceback; line numbers count the ``%%dl`` line as line 1, as the notebook
shows them.
"""

from __future__ import annotations

import importlib
import keyword
import re
import shlex
import sys
import warnings
from typing import Any

from IPython.core.error import UsageError

from .dsl.builder import MAX_SEED
from .dsl.errors import DSLError, DSLWarning, full_tracebacks, set_full_tracebacks
from .suggest import unknown_name

CELL_USAGE = "%%dl NAME [--seed N] [--quiet] [--traceback] [--fit DATA [--epochs N ...]]"
LINE_USAGE = ("%dl NAME = input 2 -> dense 8 relu -> dense 1 sigmoid   |   "
              "%dl fit NET DATA [options]   |   %dl summary NAME [SHAPE]   |   "
              "%dl --traceback [on|off]")
CELL_OPTIONS = ("--seed", "--quiet", "-q", "--traceback", "--fit")
_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*")


def _check_name(name: str, usage: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(f"{name!r} cannot name a Python variable\nusage: {usage}")
    return name


def _fit_module() -> Any:
    try:
        fit_magic = importlib.import_module("dlwidgets.fit_magic")  # lazy: the training engine
    except ImportError as exc:
        raise UsageError("training from the magic needs dlwidgets.fit_magic (the training "
                         f"engine), which could not be imported: {exc}") from None
    return fit_magic


def _show_warnings(caught: list[warnings.WarningMessage], line_shift: int,
                   column_shift: int) -> None:
    for w in caught:
        message = w.message
        if isinstance(message, DSLWarning):
            print(f"DSL warning (line {message.line + line_shift}, column "
                  f"{message.column + column_shift}): "
                  f"{message.message}", file=sys.stderr)
        else:
            print(f"{type(message).__name__}: {message}", file=sys.stderr)


def _display_summary(model: Any, name: str, line_shift: int, column_shift: int = 0) -> None:
    from IPython.display import display

    from .dsl.summarize import summary

    shown = summary(model, name=name)
    spec = getattr(model, "dl_spec", None)
    if spec is not None and (line_shift or column_shift):  # positions as the cell shows them
        shown.warnings = [f"{w.message} (line {w.line + line_shift}, column "
                          f"{w.column + column_shift})"
                          for w in spec.warnings]
    display(shown)


def _build(source: str, seed: int | None, line_shift: int, column_shift: int,
           source_line: str | None, full: bool, quiet: bool) -> Any:
    from .dsl import build

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = build(source, seed=seed)
        except DSLError as err:
            err.shifted(line_shift, column_shift, source_line)
            if full:
                err.full_traceback = True
            raise
    # DSL warnings appear in the summary; printed only when the summary is not shown
    _show_warnings([w for w in caught if quiet or not isinstance(w.message, DSLWarning)],
                   line_shift, column_shift)
    return model


def _parse_cell_line(line: str) -> tuple[str, int | None, bool, bool, str | None]:
    """NAME, seed, quiet, traceback, fit options (from ``--fit`` on, or None)."""
    fit: str | None = None
    match = re.search(r"(^|\s)--fit(\s|=|$)", line)
    if match:
        fit = line[match.start():].strip()
        line = line[: match.start()]
    try:
        tokens = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot read the options: {exc}\nusage: {CELL_USAGE}") from None
    if not tokens or tokens[0].startswith("-"):
        raise UsageError(f"%%dl needs the name to bind the model to\nusage: {CELL_USAGE}")
    name = _check_name(tokens[0], CELL_USAGE)
    seed: int | None = None
    quiet = full = False
    rest = tokens[1:]
    i = 0
    while i < len(rest):
        tok = rest[i]
        if tok in ("--quiet", "-q"):
            quiet = True
        elif tok == "--traceback":
            full = True
        elif tok == "--seed" or tok.startswith("--seed="):
            if tok == "--seed":
                if i + 1 >= len(rest):
                    raise UsageError(f"--seed needs a whole number\nusage: {CELL_USAGE}")
                value = rest[i + 1]
                i += 1
            else:
                value = tok.split("=", 1)[1]
            # isascii: str.isdigit accepts '²', which int() refuses
            if not (value.isascii() and value.isdigit()) or int(value) > MAX_SEED:
                raise UsageError(f"--seed must be a whole number in [0, {MAX_SEED}], got "
                                 f"{value!r}")
            seed = int(value)
        else:
            what = "option" if tok.startswith("-") else "argument"
            message = unknown_name(what, tok, CELL_OPTIONS, listed=False)
            raise UsageError(f"{message}\nusage: {CELL_USAGE}")
        i += 1
    return name, seed, quiet, full, fit


def dl_cell(line: str, cell: str, shell: Any) -> Any:
    """``%%dl NAME [options]``: build the declaration in the cell and bind it to NAME."""
    name, seed, quiet, full, fit = _parse_cell_line(line)
    model = _build(cell, seed, 1, 0, None, full, quiet)
    shell.user_ns[name] = model
    if not quiet:
        _display_summary(model, name, 1)
    if fit is not None:
        return _fit_module().fit_after_build(model, fit, shell)
    return None


def dl_line(line: str, shell: Any) -> Any:
    """``%dl ...``: one-line declaration, ``fit``, ``summary`` or ``--traceback``."""
    text = line.strip()
    if not text:
        raise UsageError(f"usage: {LINE_USAGE}")
    first = text.split(None, 1)[0]
    if first == "fit":
        return _fit_module().fit_line(text[3:].strip(), shell)
    if first == "--traceback":
        arg = text[len(first):].strip().lower()
        if arg in ("", "on", "true", "1"):
            set_full_tracebacks(True)
        elif arg in ("off", "false", "0"):
            set_full_tracebacks(False)
        else:
            raise UsageError("usage: %dl --traceback [on|off]")
        print(f"DSL errors now show {'full tracebacks' if full_tracebacks() else 'one short block'}")
        return None
    if first == "summary":
        return _summary_line(text[len(first):].strip(), shell)
    quiet = False
    seed: int | None = None
    while True:
        m = re.match(r"^(--quiet|-q)\s+", text) or re.match(r"^--seed(?:\s+|=)(\d+)\s+", text)
        if not m:
            break
        if m.group(0).startswith("--seed"):
            seed = int(m.group(1))
        else:
            quiet = True
        text = text[m.end():]
    match = _ASSIGN.match(text)
    if not match:
        raise UsageError(f"write '%dl NAME = <declaration>' (e.g. '%dl mlp = input 2 -> dense 8 "
                         f"relu -> dense 1 sigmoid')\nusage: {LINE_USAGE}")
    name = _check_name(match.group(1), LINE_USAGE)
    source = text[match.end():]
    shown = "%dl " + line.strip()
    offset = len("%dl ") + len(line.strip()) - len(source)
    model = _build(source, seed, 0, offset, shown, False, quiet)
    shell.user_ns[name] = model
    if not quiet:
        _display_summary(model, name, 0, offset)
    return None


def _summary_line(rest: str, shell: Any) -> Any:
    from IPython.display import display

    from .dsl.summarize import summary

    parts = rest.split()
    if not parts or len(parts) > 2:
        raise UsageError("usage: %dl summary NAME [SHAPE], e.g. %dl summary net 1x28x28")
    namespace = shell.user_ns
    if parts[0] not in namespace:
        raise UsageError(f"no variable named {parts[0]!r} in the notebook")
    shape = None
    if len(parts) == 2:
        if not re.fullmatch(r"\d+(x\d+)*", parts[1]):
            raise UsageError(f"SHAPE must look like 784 or 1x28x28, got {parts[1]!r}")
        shape = tuple(int(s) for s in parts[1].split("x"))
    try:
        display(summary(namespace[parts[0]], shape, name=parts[0]))
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    return None


def register(ipython: Any) -> None:
    """Register dlwidgets' magics on ``ipython`` (an InteractiveShell)."""

    def dl_line_magic(line: str) -> Any:
        return dl_line(line, ipython)

    def dl_cell_magic(line: str, cell: str) -> Any:
        return dl_cell(line, cell, ipython)

    dl_line_magic.__doc__ = dl_line.__doc__ + f"\n\nusage: {LINE_USAGE}"  # type: ignore[operator]
    dl_cell_magic.__doc__ = dl_cell.__doc__ + f"\n\nusage: {CELL_USAGE}"  # type: ignore[operator]
    ipython.register_magic_function(dl_line_magic, "line", "dl")
    ipython.register_magic_function(dl_cell_magic, "cell", "dl")
