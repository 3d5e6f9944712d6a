"""Training from the magics: ``%dl fit NET DATA [options]`` and ``%%dl NAME --fit DATA [options]``.

``dlwidgets.magics`` (the ``%dl``/``%%dl`` dispatcher) calls ``fit_line`` for a ``%dl fit`` line
and ``fit_after_build`` after a ``%%dl`` cell built a model with ``--fit``. Options are parsed
with ``shlex`` + ``argparse`` (never ``eval``); every mistake is one short ``UsageError``.

Options: ``--epochs N --lr X --batch-size N --optimizer NAME --loss NAME --device D --seed N
--schedule NAME --clip X (gradient norm) --patience N (early stopping) --val-fraction X
--block (wait until training ends) --no-monitor``.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from IPython.core.error import UsageError
from torch import nn

from .engine.datasets import DATASETS
from .suggest import hint, quote, unknown_name

USAGE_LINE = "%dl fit NET DATA [--epochs N] [--lr X] [--batch-size N] [--optimizer NAME] " \
             "[--loss NAME] [--device D] [--seed N] [--schedule NAME] [--clip X] [--patience N]" \
             " [--val-fraction X] [--block] [--no-monitor]"
USAGE_CELL = "%%dl NAME --fit DATA [--epochs N] [--lr X] [--batch-size N] [--optimizer NAME] ..."


class _OptionError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # never print usage and exit the kernel
        raise _OptionError(message)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _parser(prog: str, with_net: bool) -> _Parser:
    parser = _Parser(prog=prog, add_help=False, allow_abbrev=False)
    if with_net:
        parser.add_argument("net")
    parser.add_argument("data")
    parser.add_argument("--epochs", type=_positive_int, default=5)
    parser.add_argument("--lr", type=_positive_float, default=None)
    parser.add_argument("--batch-size", type=_positive_int, default=32)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--loss", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--schedule", default=None)
    parser.add_argument("--clip", type=_positive_float, default=None)
    parser.add_argument("--patience", type=_positive_int, default=None)
    parser.add_argument("--val-fraction", type=_fraction, default=None)
    parser.add_argument("--block", action="store_true")
    parser.add_argument("--no-monitor", action="store_true")
    return parser


_OPTIONS = ("--epochs", "--lr", "--batch-size", "--optimizer", "--loss", "--device", "--seed",
            "--schedule", "--clip", "--patience", "--val-fraction", "--block", "--no-monitor")


def _explain(message: str, usage: str, tokens: list[str]) -> str:
    if "unrecognized arguments" in message:
        unknown = [t for t in tokens if t.startswith("-") and t.split("=")[0] not in _OPTIONS]
        if unknown:
            option = unknown[0].split("=")[0]
            return f"{unknown_name('option', option, _OPTIONS, listed=False)}\nusage: {usage}"
    if "the following arguments are required" in message:
        return f"{message.replace('the following arguments are required', 'missing')}\n" \
               f"usage: {usage}"
    return f"{message}\nusage: {usage}"


def _parse(tokens: list[str], *, with_net: bool, usage: str) -> argparse.Namespace:
    try:
        return _parser("%dl fit" if with_net else "%%dl --fit", with_net).parse_args(tokens)
    except _OptionError as exc:
        raise UsageError(_explain(str(exc), usage, tokens)) from None


def _split(text: str, usage: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"cannot read the options ({exc}): {text!r}\nusage: {usage}") from None


def _resolve_data(name: str, shell: Any, model: nn.Module, seed: int,
                  val_fraction: float | None) -> Any:
    """A variable of the notebook, or a built-in data set (digits shaped for the model)."""
    namespace = getattr(shell, "user_ns", {}) or {}
    if name in namespace and name.lower() not in DATASETS:
        return namespace[name]
    key = name.lower()
    if key not in DATASETS:
        raise UsageError(unknown_name("data", name, DATASETS) + " (or the name of a "
                         "variable holding (X, y), a Dataset or a DataLoader)")
    if val_fraction is None:
        return key  # fit loads it with the seed and shapes digits for the model
    from .engine.datasets import load_dataset
    from .engine.fit import layout_for

    options: dict[str, Any] = {"val_fraction": val_fraction, "seed": seed}
    if key == "digits":
        options["flat"] = layout_for(model) == "flat"
    return load_dataset(key, **options)


def _run(model: Any, args: argparse.Namespace, shell: Any, *, key: str | None) -> Any:
    import dlwidgets

    if not isinstance(model, nn.Module):
        raise UsageError(f"{(key or 'the model').removeprefix('ns:')} is a "
                         f"{type(model).__name__}, not a torch nn.Module")
    try:
        data = _resolve_data(args.data, shell, model, args.seed, args.val_fraction)
        return dlwidgets.fit(
            model, data, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
            optimizer=args.optimizer, loss=args.loss, device=args.device, seed=args.seed,
            schedule=args.schedule, clip_grad_norm=args.clip, early_stopping=args.patience,
            monitor=False if args.no_monitor else "auto", block=True if args.block else None,
            key=key)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def fit_line(line: str, shell: Any) -> object:
    """``%dl fit NET DATA [options]``: train the model held by variable NET; returns History."""
    tokens = _split(line, USAGE_LINE)
    if tokens and tokens[0] == "fit":
        tokens = tokens[1:]
    args = _parse(tokens, with_net=True, usage=USAGE_LINE)
    namespace = getattr(shell, "user_ns", {}) or {}
    if args.net not in namespace:
        models = [k for k, v in namespace.items() if isinstance(v, nn.Module)]
        near = hint(args.net, models) or \
            " (build one with %%dl NAME, or assign a torch nn.Module to it)"
        raise UsageError(f"no model named {quote(args.net)} in the notebook{near}")
    return _run(namespace[args.net], args, shell, key=f"ns:{args.net}")


def fit_after_build(model: Any, options: str, shell: Any) -> object:
    """``%%dl NAME --fit DATA [options]``: train the model the cell just built; returns History.

    ``options`` is the text from ``--fit`` on (with or without the ``--fit`` word itself).
    """
    tokens = _split(options, USAGE_CELL)
    if tokens and tokens[0] == "--fit":
        tokens = tokens[1:]
    elif tokens and tokens[0].startswith("--fit="):
        tokens = [tokens[0][len("--fit="):], *tokens[1:]]
    if not tokens or tokens[0].startswith("-"):
        raise UsageError(f"--fit needs a data set name, e.g. --fit digits\nusage: {USAGE_CELL}")
    args = _parse(tokens, with_net=False, usage=USAGE_CELL)
    namespace = getattr(shell, "user_ns", {}) or {}
    names = [k for k, v in namespace.items() if v is model and not k.startswith("_")]
    return _run(model, args, shell, key=f"ns:{names[0]}" if names else None)
