"""``python -m netstatlib``: this host's listening sockets and established connections.

Numeric addresses, one aligned table each. A full netstat-style command line comes later;
this is the library's main job in one command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    options = _parser().parse_args(argv)
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
