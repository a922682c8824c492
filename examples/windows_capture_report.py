"""Triage a Windows ``netstat`` capture pasted into a ticket, on any OS.

Give it the saved output of ``netstat -ano`` (or ``-anob``, ``-a``, ``netstat`` alone),
in whatever encoding and language Windows wrote it (UTF-16 from PowerShell's ``>``, the
console's code page, UTF-8). It prints the listeners reachable from other hosts, the
connections to public addresses, the peers printed only by name, and any state word the
parser did not know::

    python examples/windows_capture_report.py netstat-ano.txt
    python examples/windows_capture_report.py --encoding cp850 netstat-de.txt

With ``-b`` captures the owning program is shown; with ``-o`` captures the PID.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from netstatlib import Connection, NetstatError, TcpState, audits
from netstatlib.parsers import windows


def owner(row: Connection) -> str:
    """``pid/program`` as far as the capture says."""
    pid = str(row.pids[0]) if row.pids else "-"
    return f"{pid}/{row.process}" if row.process else pid


def endpoint(row: Connection, *, local: bool) -> str:
    numbers = row.local if local else row.remote
    name = row.local_name if local else row.remote_name
    if name is not None:
        return str(name)
    return str(numbers) if numbers is not None else "*"


def report(rows: list[Connection]) -> None:
    states = Counter(str(row.state) if row.state else "(none)" for row in rows)
    print(f"{len(rows)} sockets: " + ", ".join(f"{n} {s}" for s, n in states.most_common()))

    exposed = [row for row in rows if row.is_listening and audits.ON_ALL_INTERFACES(row)]
    print(f"\nListening on every interface ({len(exposed)}):")
    for row in sorted(exposed, key=lambda r: (r.protocol.value, r.local.port if r.local else 0)):
        print(f"  {row.protocol.value:<4} {endpoint(row, local=True):<28} {owner(row)}")

    public = [row for row in rows if audits.TO_PUBLIC_ADDRESSES(row)]
    print(f"\nEstablished to public addresses ({len(public)}):")
    for row in public:
        print(f"  {endpoint(row, local=True):<28} -> {endpoint(row, local=False):<28} {owner(row)}")

    named = [row for row in rows if row.remote is None and row.remote_name is not None]
    if named:
        hosts = Counter(row.remote_name.host for row in named if row.remote_name)
        print(f"\nPeers printed by name, address or port unknown ({len(named)} connections):")
        for host, count in hosts.most_common(10):
            print(f"  {host:<40} {count}")

    unknown = [row for row in rows if row.state is TcpState.UNKNOWN]
    if unknown:
        words = Counter(row.state_text for row in unknown)
        print(f"\nState words not recognised: {dict(words)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", type=Path, help="a saved netstat output")
    parser.add_argument("--encoding", help="force the encoding (default: detected)")
    options = parser.parse_args(argv)
    try:
        rows = windows.parse_connections(
            options.capture.read_bytes(), encoding=options.encoding, source=str(options.capture)
        )
    except (NetstatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
