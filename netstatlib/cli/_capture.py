"""``netstatlib capture DIR``: save what the backend reads into a new folder.

The subcommand is read with the command's own grammar (:mod:`._grammar`): an option
table of its own (:data:`CAPTURE_OPTIONS`), any unique prefix of a long option
(``--no-p``), ``--root=PROC`` or ``--root PROC``, and every mistake one line,
``netstatlib: capture: message``, with exit status 2. ``--no-processes`` may also come
before the word ``capture``. What is saved and how is :mod:`netstatlib._capture`'s
(``docs/captures.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import attrs

from .._capture import capture_linux, capture_windows
from .._errors import NetstatError
from .._text import safe_text
from ._grammar import PROG, CommandLineError, LongOptions, Words

__all__ = [
    "CAPTURE_HELP",
    "CAPTURE_OPTIONS",
    "CaptureOptions",
    "is_capture",
    "parse_capture_args",
    "run_capture",
]

COMMAND = "capture"
NO_PROCESSES = "--no-processes"  # also accepted before the word "capture"
CAPTURE_OPTIONS = LongOptions(flags=("no-processes", "windows", "help"), valued=("root", "pid"))


def _on_windows() -> bool:
    return sys.platform == "win32"


@attrs.frozen(kw_only=True)
class CaptureOptions:
    """What ``netstatlib capture`` is asked to do."""

    folder: str | None = None
    """The folder to create; ``None`` only when ``--help`` was asked."""
    root: str = "/proc"
    pid: int | None = None
    """Capture the network namespace of this process (``/proc/PID/net``)."""
    processes: bool = True
    windows: bool = attrs.field(factory=_on_windows)
    """Save ``netstat.exe``'s outputs rather than ``/proc`` (the default on Windows)."""
    help: bool = False


def is_capture(argv: Sequence[str]) -> bool:
    """Whether the command line is the ``capture`` subcommand."""
    words = list(argv)
    if words[:1] == [NO_PROCESSES]:
        words = words[1:]
    return words[:1] == [COMMAND]


def _missing_folder() -> CommandLineError:
    return CommandLineError(
        f"{COMMAND}: the folder to create is missing: {PROG} capture DIR (see --help)"
    )


def _pid(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CommandLineError(f"--pid takes a process ID, not {safe_text(value)!r}") from None


def parse_capture_args(argv: Sequence[str]) -> CaptureOptions:
    """Parse ``[--no-processes] capture DIR [options]`` (the command line without the
    program name, for which :func:`is_capture` is true); raises
    :class:`~netstatlib.cli.CommandLineError`."""
    words = Words(argv)
    flags: set[str] = set()
    if words.take() == NO_PROCESSES:
        flags.add("no-processes")
        words.take()  # "capture"
    folder: str | None = None
    root = "/proc"
    pid: int | None = None
    only_positional = False
    try:
        while words:
            word = words.take()
            if only_positional or word == "-" or not word.startswith("-"):
                if folder is not None:
                    raise CommandLineError(
                        f"unexpected argument {safe_text(word)!r}: the only argument is "
                        "the folder to create"
                    )
                folder = word
            elif word == "--":
                only_positional = True
            elif word.startswith("--"):
                option, value = CAPTURE_OPTIONS.read(word, words)
                if value is None:
                    flags.add(option)
                elif option == "pid":
                    pid = _pid(value)
                else:
                    root = value
            elif word == "-h":
                flags.add("help")
            else:
                names = [*CAPTURE_OPTIONS.valued, *CAPTURE_OPTIONS.flags]
                known = ", ".join(f"--{name}" for name in names if name != "help")
                raise CommandLineError(
                    f"unknown option {safe_text(word)}; the options are {known} (see --help)"
                )
    except CommandLineError as exc:
        raise CommandLineError(f"{COMMAND}: {exc}") from None
    if folder is None and "help" not in flags:
        raise _missing_folder()
    return CaptureOptions(
        folder=folder,
        root=root,
        pid=pid,
        processes="no-processes" not in flags,
        windows="windows" in flags or _on_windows(),
        help="help" in flags,
    )


def run_capture(options: CaptureOptions) -> int:
    """Write the capture and say so: exit status 0, or 1 with the library's message when
    the source cannot be read or the folder is not new."""
    if options.folder is None:
        raise _missing_folder()
    try:
        if options.windows:
            manifest = capture_windows(options.folder, processes=options.processes)
        else:
            manifest = capture_linux(
                options.folder, root=options.root, pid=options.pid, processes=options.processes
            )
    except NetstatError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    missing = f"; absent on the source: {', '.join(manifest.missing)}" if manifest.missing else ""
    print(f"captured {len(manifest.files)} files into {safe_text(options.folder)}{missing}")
    return 0


CAPTURE_HELP = """\
usage: netstatlib capture DIR [--root PROC] [--pid PID] [--no-processes]
                              [--windows]

Save the /proc/net files, interface attributes and the socket-to-process map
(Linux), or the outputs of netstat -ano, -rn, -e and -s (Windows), into a new
folder with a manifest, written atomically. Read it back anywhere with
netstatlib --root DIR, netstatlib.open_capture(DIR) or LinuxProcfs(root=DIR).

  DIR             the folder to create (it must not exist, or be empty)
  --root PROC     the /proc to read (default /proc)
  --pid PID       capture the network namespace of this process instead
  --no-processes  leave out the socket-to-process map (faster); may also come
                  before the word capture
  --windows       save netstat.exe's outputs (the default on Windows)
  -h, --help      this help

Long options may be shortened to any unique prefix (--no-p, --r).
docs/captures.md describes the folder and what is saved.

Exit status: 0 captured, 1 the source could not be read or DIR is not new,
2 a bad command line.
"""
