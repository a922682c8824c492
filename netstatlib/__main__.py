"""``python -m netstatlib``: this host's listening sockets and established connections.

Numeric addresses, one aligned table each. A full netstat-style command line comes later;
this is the library's main job in one command. ``python -m netstatlib capture DIR``
saves what the backend reads into a folder, to be analysed elsewhere
(``docs/captures.md``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._capture import capture_linux, capture_windows
from ._errors import NetstatError
from ._model import TcpState
from ._query import connections, listening


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m netstatlib",
        description=(
            "Print the listening sockets and the established connections of this host "
            "(TCP and UDP, IPv4 and IPv6), with numeric addresses and owning processes."
        ),
    )
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


def _capture(options: argparse.Namespace) -> int:
    processes = not (options.capture_no_processes or options.no_processes)
    try:
        if options.windows:
            manifest = capture_windows(options.folder, processes=processes)
        else:
            manifest = capture_linux(
                options.folder, root=options.root, pid=options.pid, processes=processes
            )
    except NetstatError as exc:
        print(f"netstatlib: {exc}", file=sys.stderr)
        return 1
    missing = f"; absent on the source: {', '.join(manifest.missing)}" if manifest.missing else ""
    print(f"captured {len(manifest.files)} files into {options.folder}{missing}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    options = _parser().parse_args(argv)
    if options.command == "capture":
        return _capture(options)
    processes = not options.no_processes
    try:
        listeners = listening("inet", processes=processes)
        established = connections(
            "inet",
            where=lambda row: row.state is TcpState.ESTABLISHED,
            processes=processes,
        )
    except NetstatError as exc:
        print(f"netstatlib: {exc}", file=sys.stderr)
        return 1
    print(f"Listening sockets ({len(listeners)})")
    print(listeners)
    print()
    print(f"Established connections ({len(established)})")
    print(established)
    return 0


if __name__ == "__main__":
    sys.exit(main())
