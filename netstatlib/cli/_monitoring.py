"""Running a monitoring subcommand (``watch``, ``top``, ``snapshot``, ``diff``): its
grammar is ``_commands``', its work the module of each command; failures are one line
on stderr and an exit status (see ``_commands``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import attrs

from .._errors import NetstatError
from ._baseline import run_diff, run_snapshot
from ._commands import HELPS, CommandOptions, error, parse_command, silence_stdout, write
from ._grammar import CommandLineError
from ._top import run_top
from ._watch import run_watch

__all__ = ["run_monitoring"]

_RUNNERS: dict[str, Callable[[CommandOptions], int]] = {
    "watch": run_watch,
    "top": run_top,
    "snapshot": run_snapshot,
    "diff": run_diff,
}


def run_monitoring(argv: Sequence[str], *, iterations: int | None = None) -> int:
    """Run a monitoring subcommand; returns its exit status. ``iterations`` (tests and
    embedding) stops ``watch`` and ``top`` after that many samples."""
    try:
        options = parse_command(argv)
    except CommandLineError as exc:
        error(str(exc))
        return 2
    if iterations is not None and options.count is None:
        options = attrs.evolve(options, count=iterations)
    runner = _RUNNERS[options.command]
    if options.help:
        write(sys.stdout, HELPS[options.command].rstrip("\n"))
        return 0
    try:
        return runner(options)
    except NetstatError as exc:
        error(f"{options.command}: {exc}")
        return 2 if options.command == "diff" else 1
    except KeyboardInterrupt:
        return 0  # how watch and top end, as an interval display does
    except BrokenPipeError:
        silence_stdout()  # `netstatlib watch | head`: the reader has gone
        return 0
