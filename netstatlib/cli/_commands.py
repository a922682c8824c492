"""The monitoring subcommands: ``watch``, ``top``, ``snapshot FILE`` and ``diff FILE
[FILE2]``.

Each is read with the command's own grammar (:class:`~netstatlib.cli._grammar.LongOptions`:
any unique prefix of a long option, ``--kind=tcp`` or ``--kind tcp``) from an option
table of its own (:data:`COMMANDS`), and every mistake is one line, ``netstatlib:
watch: message``, with exit status 2. The commands themselves are in ``_watch``
(``watch``), ``_top`` (``top``) and ``_baseline`` (``snapshot``, ``diff``), run by
``_monitoring``.

Exit statuses: 0 done (``watch`` and ``top`` also when Ctrl-C ends them, as an interval
display ends), 1 the source could not be read, 2 a bad command line; ``diff`` answers a
question, as diff(1) does: 0 no new listener, 1 a new listener, 2 it could not compare
(a bad command line, a snapshot file missing, unreadable or not a snapshot).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TextIO

import attrs

from .._errors import UsageError
from .._escape import safe_text
from .._query import resolve_kind
from ._grammar import PROG, CommandLineError, LongOptions, Words, _check_backend

__all__ = [
    "COMMANDS",
    "HELPS",
    "CommandOptions",
    "error",
    "is_monitoring",
    "parse_command",
    "silence_stdout",
    "write",
]


@attrs.frozen(kw_only=True)
class CommandOptions:
    """What one monitoring subcommand was asked."""

    command: str
    arguments: tuple[str, ...] = ()
    """The positional arguments (files; ``watch`` and ``top``: none, the interval is
    :attr:`interval`)."""
    interval: float = 1.0
    json: bool = False
    program: bool = False
    """Owners of sockets looked up (``--program``; ``top`` always)."""
    kind: str = "inet"
    count: int | None = None
    limit: int | None = None
    owner_rescan: float = 30.0
    """Seconds between full walks of every process's descriptors (``--owner-rescan``)."""
    backend: str | None = None
    help: bool = False


@attrs.frozen
class _Command:
    options: LongOptions
    files: tuple[int, int]  # how many file arguments: at least, at most
    interval: bool  # whether a positional number is the interval


COMMANDS: Mapping[str, _Command] = MappingProxyType(
    {
        "watch": _Command(
            LongOptions(("json", "program", "help"), ("kind", "count", "owner-rescan", "backend")),
            (0, 0),
            True,
        ),
        "top": _Command(
            LongOptions(("help",), ("count", "limit", "owner-rescan", "backend")), (0, 0), True
        ),
        "snapshot": _Command(
            LongOptions(("no-processes", "help"), ("kind", "backend")), (1, 1), False
        ),
        "diff": _Command(LongOptions(("json", "help"), ("backend",)), (1, 2), False),
    }
)


def is_monitoring(argv: Sequence[str]) -> bool:
    """Whether the command line is one of the monitoring subcommands."""
    return bool(argv) and argv[0] in COMMANDS


def _number(option: str, value: str, *, whole: bool) -> float:
    try:
        number = float(int(value)) if whole else float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        what = "a whole number above 0" if whole else "a positive number of seconds"
        raise CommandLineError(f"{option} must be {what}, not {safe_text(value)!r}")
    return number


def parse_command(argv: Sequence[str]) -> CommandOptions:
    """Parse ``COMMAND [options] [arguments]`` (the command line without the program
    name, for which :func:`is_monitoring` is true); raises
    :class:`~netstatlib.cli.CommandLineError`."""
    words = Words(argv)
    name = words.take()
    spec = COMMANDS[name]
    values: dict[str, str] = {}
    flags: set[str] = set()
    arguments: list[str] = []
    interval: float | None = None
    only_positional = False
    try:
        while words:
            word = words.take()
            if only_positional or word == "-" or not word.startswith("-"):
                if spec.interval and interval is None:
                    interval = _number("the interval", word, whole=False)
                elif len(arguments) < spec.files[1]:
                    arguments.append(word)
                else:
                    raise CommandLineError(f"unexpected argument {safe_text(word)!r}")
            elif word == "--":
                only_positional = True
            elif word.startswith("--"):
                option, value = spec.options.read(word, words)
                if value is None:
                    flags.add(option)
                else:
                    values[option] = value
            elif word == "-h":
                flags.add("help")
            else:
                known = ", ".join(f"--{option}" for option in spec.options.names)
                raise CommandLineError(
                    f"unknown option {safe_text(word)}; the options are {known} (see --help)"
                )
        if "help" not in flags and len(arguments) < spec.files[0]:
            raise CommandLineError(f"the snapshot file is missing (see {PROG} {name} --help)")
        options = CommandOptions(
            command=name,
            arguments=tuple(arguments),
            interval=1.0 if interval is None else interval,
            json="json" in flags,
            program="program" in flags or name == "top",
            kind=_kind(values.get("kind", "tcp" if name == "top" else "inet")),
            count=int(_number("--count", values["count"], whole=True))
            if "count" in values
            else None,
            limit=int(_number("--limit", values["limit"], whole=True))
            if "limit" in values
            else None,
            owner_rescan=_seconds("--owner-rescan", values["owner-rescan"])
            if "owner-rescan" in values
            else 30.0,
            backend=_backend(values["backend"]) if "backend" in values else None,
            help="help" in flags,
        )
    except CommandLineError as exc:
        raise CommandLineError(f"{name}: {exc}") from None
    if name == "snapshot" and "no-processes" in flags:
        options = attrs.evolve(options, program=False)
    elif name == "snapshot":
        options = attrs.evolve(options, program=True)
    return options


def _seconds(option: str, value: str) -> float:
    """0 or more seconds."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise CommandLineError(f"{option} must be 0 or more seconds, not {safe_text(value)!r}")
    return number


def _kind(value: str) -> str:
    try:
        resolve_kind(value)
    except UsageError as exc:
        raise CommandLineError(f"--kind: {safe_text(str(exc))}") from None
    return value


def _backend(value: str) -> str:
    return _check_backend(value)


# -- output -------------------------------------------------------------------------------


def write(stream: TextIO, text: str) -> None:
    """One line (or block) of text, flushed; characters the stream's encoding cannot
    show written as backslash escapes (control characters are escaped already)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")
    stream.flush()


def error(message: str) -> None:
    """``netstatlib: message`` on stderr, escaped."""
    write(sys.stderr, f"{PROG}: {safe_text(message)}")


def silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


HELPS: Mapping[str, str] = MappingProxyType(
    {
        "watch": """\
usage: netstatlib watch [INTERVAL] [--json] [--program] [--kind KIND]
                        [--count N] [--owner-rescan SECONDS] [--backend NAME]

Print what changes on this host, one line per event, every INTERVAL seconds
(default 1) until Ctrl-C: sockets opened and closed, states changed, listeners
added and removed, owners changed, routes and interfaces.

  INTERVAL        seconds between two looks (default 1)
  --json          one JSON object per line: {"time", "event", "record"} or
                  {"time", "event", "before", "after"}, for log shippers
  --program       look up the process of each socket (a walk of every
                  process: costs more); owner changes need it
  --kind KIND     the sockets to watch: inet (default), tcp, udp, unix, all...
  --count N       stop after N looks
  --owner-rescan SECONDS
                  with --program on Linux: each look reads only descriptors
                  new since the last; every descriptor of every process is
                  read again at least this often (default 30; 0: every look)
  --backend NAME  linux, windows or psutil

Lines: TIME EVENT PROTO LOCAL REMOTE STATE [PID/PROGRAM]; TIME is ISO 8601
local time with its offset. Exit status: 0 (Ctrl-C too), 1 the source
could not be read, 2 a bad command line.
""",
        "top": """\
usage: netstatlib top [INTERVAL] [--limit N] [--count N]
                      [--owner-rescan SECONDS] [--backend NAME]

Processes by TCP throughput (bytes sent and acknowledged, bytes received, per
second, from each connection's tcp_info), refreshed every INTERVAL seconds
(default 1) until Ctrl-C. On a terminal the screen is redrawn; otherwise each
refresh is printed after the last, headed by its time. A live Linux host only
(the kernel's socket diagnostics); UDP has no byte counts per socket.

  INTERVAL        seconds between two refreshes (default 1)
  --limit N       show the N busiest (default: what fits the terminal, or 20)
  --count N       stop after N refreshes
  --owner-rescan SECONDS
                  each refresh reads only descriptors new since the last; every
                  descriptor of every process is read again at least this often
                  (default 30; 0: every refresh)
  --backend NAME  linux (the only one with tcp_info)

Exit status: 0 (Ctrl-C too), 1 the source could not be read, 2 a bad command
line.
""",
        "snapshot": """\
usage: netstatlib snapshot FILE [--kind KIND] [--no-processes] [--backend NAME]

Save the host's sockets (with their processes), routes, interface and protocol
counters to FILE, as JSON (replaced in one step, readable by its owner only),
for netstatlib diff or netstatlib.load_snapshot().

  FILE            the file to write
  --kind KIND     the sockets to save: inet (default), tcp, udp, unix, all...
  --no-processes  leave out the owners of sockets (faster)
  --backend NAME  linux, windows or psutil

Exit status: 0 saved, 1 the source could not be read or FILE written, 2 a
bad command line.
""",
        "diff": """\
usage: netstatlib diff FILE [FILE2] [--json] [--backend NAME]

Compare the host now (the same sockets as FILE holds) or FILE2 with the
snapshot in FILE, print what changed (nothing when nothing did), and exit
with status 1 when something listens on an address nothing listened on in
FILE: a check for cron.

  FILE            a snapshot (netstatlib snapshot FILE)
  FILE2           compare this snapshot instead of the host now
  --json          one JSON object per change, one per line
  --backend NAME  read the host with this backend (linux, windows, psutil)

Exit status: 0 no new listener, 1 a new listener, 2 a bad command line, or a
snapshot that could not be read or compared.
""",
    }
)
