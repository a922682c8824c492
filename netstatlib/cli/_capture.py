"""``netstatlib capture DIR``: save what the backend reads into a new folder.

``--no-processes`` may also come before the word ``capture``. What is saved and how is
:mod:`netstatlib._capture`'s (``docs/captures.md``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._capture import capture_linux, capture_windows
from .._errors import NetstatError
from ._grammar import PROG

__all__ = ["is_capture", "run_capture"]


def _capture_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG)
    parser.add_argument(
        "--no-processes",
        action="store_true",
        help="do not look up the process owning each socket (faster)",
    )
    commands = parser.add_subparsers(dest="command", metavar="{capture}")
    capture = commands.add_parser(
        "capture",
        help="save everything the backend reads into a new folder (docs/captures.md)",
        description=(
            "Save the /proc/net files, interface attributes and the socket-to-process map "
            "(Linux), or the outputs of netstat -ano, -rn, -e and -s (Windows), into a new "
            "folder with a manifest, written atomically. Read it back anywhere with "
            "netstatlib.open_capture(DIR) or LinuxProcfs(root=DIR)."
        ),
    )
    capture.add_argument("folder", help="the folder to create (must not exist, or be empty)")
    capture.add_argument("--root", default="/proc", help="the /proc to read (default /proc)")
    capture.add_argument(
        "--pid", type=int, help="capture the network namespace of this process instead"
    )
    capture.add_argument(
        "--no-processes",
        dest="capture_no_processes",
        action="store_true",
        help="leave out the socket-to-process map",
    )
    capture.add_argument(
        "--windows",
        action="store_true",
        default=sys.platform == "win32",
        help="save netstat.exe outputs (the default on Windows)",
    )
    return parser


def run_capture(argv: Sequence[str]) -> int:
    """Parse the subcommand, write the capture and say so: exit status 0, or 1 with the
    library's message when the source cannot be read or the folder is not new."""
    options = _capture_parser().parse_args(argv)
    processes = not (options.capture_no_processes or options.no_processes)
    try:
        if options.windows:
            manifest = capture_windows(options.folder, processes=processes)
        else:
            manifest = capture_linux(
                options.folder, root=options.root, pid=options.pid, processes=processes
            )
    except NetstatError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    missing = f"; absent on the source: {', '.join(manifest.missing)}" if manifest.missing else ""
    print(f"captured {len(manifest.files)} files into {options.folder}{missing}")
    return 0


def is_capture(argv: Sequence[str]) -> bool:
    """Whether the command line is the ``capture`` subcommand."""
    words = list(argv)
    if words[:1] == ["--no-processes"]:
        words = words[1:]
    return words[:1] == ["capture"]
