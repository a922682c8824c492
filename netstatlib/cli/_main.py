"""The main loop: read the command line, then show one display, or one per interval.

:func:`main` is the ``netstatlib`` command (``netstatlib.__main__``): it parses the
command line (:func:`~netstatlib.cli.parse_args`, or the ``capture`` subcommand's
grammar), opens the source (:func:`_source`), writes what :func:`~netstatlib.cli.render`
gives, and turns every failure into one line on stderr and an exit status. Ctrl-C ends
any of it quietly: status 130 (an interval display: 0, as netstat's), a capture's
staging folder removed, no traceback (``netstatlib._interrupt`` covers the start).
"""

from __future__ import annotations

import datetime
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from .._capture import open_capture
from .._errors import NetstatError
from .._interrupt import INTERRUPTED, command_started
from .._partial import collecting
from .._resolve import NameCache
from .._text import safe_text
from ..backends._base import Backend
from ..backends._registry import get_backend
from ._capture import CAPTURE_HELP, is_capture, parse_capture_args, run_capture
from ._commands import is_monitoring
from ._deltas import CounterDisplays, shows_counter_changes
from ._grammar import HELP, PROG, CommandLineError, Options, parse_args
from ._monitoring import run_monitoring
from ._render import Resolver, Services, render

__all__ = ["main"]


def _source(options: Options) -> Backend | None:
    """The backend: a capture folder (--root), a named one (--backend), or the default."""
    if options.root is None:
        return None if options.backend is None else get_backend(options.backend)
    backend = open_capture(options.root)
    if options.backend is not None and backend.name != options.backend:
        raise CommandLineError(
            f"--root {safe_text(options.root)} holds a {backend.name} capture, "
            f"not one for --backend {options.backend}"
        )
    return backend


def _now() -> str:
    """The time an interval's display is read, in ISO 8601: local time with its offset
    from UTC, to the second (``2024-05-01T14:03:07+02:00``), so that displays from hosts
    in different time zones, or across a change of daylight saving time, compare."""
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _write(stream: TextIO, text: str) -> None:
    # Whatever the terminal's encoding, never fail on a name: characters it cannot show
    # are written as backslash escapes (control characters are escaped already).
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")
    stream.flush()


def _error(message: str) -> None:
    _write(sys.stderr, f"{PROG}: {safe_text(message)}")


def _say_notes(sentences: Sequence[str], said: set[str]) -> None:
    """What the tables shown are missing (:attr:`~netstatlib.Table.notes`), on stderr
    (stdout stays the table, or valid JSON), each note once per run, as netstat says
    "(Not all processes could be identified ...)"."""
    for sentence in sentences:
        if sentence not in said:
            said.add(sentence)
            sys.stdout.flush()
            _write(sys.stderr, f"{PROG}: note: {safe_text(sentence)}")


def main(
    argv: Sequence[str] | None = None,
    *,
    resolver: Resolver | None = None,
    services: Services | None = None,
    resolve_timeout: float | None = None,
    resolve_deadline: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    iterations: int | None = None,
) -> int:
    """Run the command; returns the exit status (0 done, 1 source error, 2 usage error,
    130 stopped by Ctrl-C).

    The keyword arguments are for tests and embedding, not command-line options:
    ``resolver`` and ``services`` replace reverse DNS and the services database in the
    name lookups (``netstatlib.resolve_names``), ``resolve_timeout`` and
    ``resolve_deadline`` bound them; ``sleep`` waits between the displays of an
    interval and ``iterations`` stops after that many displays.
    """
    command_started()
    try:
        return _run(
            list(sys.argv[1:] if argv is None else argv),
            resolver=resolver,
            services=services,
            resolve_timeout=resolve_timeout,
            resolve_deadline=resolve_deadline,
            sleep=sleep,
            iterations=iterations,
        )
    except KeyboardInterrupt:
        return INTERRUPTED


def _run(
    words: list[str],
    *,
    resolver: Resolver | None,
    services: Services | None,
    resolve_timeout: float | None,
    resolve_deadline: float | None,
    sleep: Callable[[float], None],
    iterations: int | None,
) -> int:
    if is_capture(words):
        return _capture(words)
    if is_monitoring(words):
        return run_monitoring(words, iterations=iterations)
    if words[:1] == ["exporter"]:  # netstatlib exporter: its own grammar and help
        from ._exporter import run_exporter

        return run_exporter(words)
    try:
        options = parse_args(words)
    except CommandLineError as exc:
        _error(str(exc))
        return 2
    if options.help:
        _write(sys.stdout, HELP.rstrip("\n"))
        return 0
    if options.version:
        from .._version import __version__

        _write(sys.stdout, f"{PROG} {__version__}")
        return 0
    # One cache per run: an interval display asks DNS once per address, and a run never
    # sees another run's answers (tests inject resolvers that disagree).
    resolve_options: dict[str, Any] = {"cache": NameCache()}
    if resolve_timeout is not None:
        resolve_options["timeout"] = resolve_timeout
    if resolve_deadline is not None:
        resolve_options["deadline"] = resolve_deadline
    shown = 0
    said: set[str] = set()
    try:
        backend = _source(options)
        # -s, -e with an interval: the counters' changes since the previous display.
        display = CounterDisplays().render if shows_counter_changes(options) else render
        while True:
            with collecting() as notes:
                text = display(
                    options,
                    backend,
                    resolver=resolver,
                    services=services,
                    resolve_options=resolve_options,
                    time=_now() if options.interval is not None else None,
                )
            _write(sys.stdout, text)
            _say_notes(notes.sentences, said)
            shown += 1
            if options.interval is None or (iterations is not None and shown >= iterations):
                return 0
            sleep(options.interval)
    except CommandLineError as exc:
        _error(str(exc))
        return 2
    except NetstatError as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        # Ctrl-C is how an interval display ends (as netstat's): quietly, successfully.
        return 0 if options.interval is not None else INTERRUPTED
    except BrokenPipeError:
        # `netstatlib -a | head`: the reader has gone; say nothing more.
        _silence_stdout()
        return 0


def _capture(words: Sequence[str]) -> int:
    """``netstatlib capture DIR``: exit status 0 done, 1 source error, 2 usage error (and
    130 for Ctrl-C, from :func:`main`: the capture removes its staging folder first)."""
    try:
        options = parse_capture_args(words)
        if options.help:
            _write(sys.stdout, CAPTURE_HELP.rstrip("\n"))
            return 0
        return run_capture(options)
    except CommandLineError as exc:
        _error(str(exc))
        return 2


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
