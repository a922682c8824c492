"""TCP health: the connections that retransmit most, or wait longest, with their owners.

What ``ss -tip`` shows, sorted: for every established TCP connection, the round-trip
time, the congestion window, the retransmissions and the bytes moved, from the kernel's
socket diagnostics (``details=True``, a live Linux host). Slow or lossy peers come first.

    python examples/tcp_health.py
    python examples/tcp_health.py --top 5 --by rtt
    python examples/tcp_health.py --filter "dport = :443"
"""

from __future__ import annotations

import argparse
import sys

import netstatlib
from netstatlib import Connection

ORDERS = {
    "retransmissions": lambda row: (row.tcp_info.total_retrans, row.tcp_info.rtt),
    "rtt": lambda row: (row.tcp_info.rtt, row.tcp_info.total_retrans),
}


def report(rows: list[Connection], top: int) -> None:
    print(f"{'local':<24} {'remote':<24} {'rtt ms':>8} {'cwnd':>5} {'retrans':>7} "
          f"{'sent':>10} {'received':>10}  program")  # fmt: skip
    for row in rows[:top]:
        info = row.tcp_info
        assert info is not None
        program = f"{row.pids[0]}/{row.process}" if row.pids else "-"
        print(
            f"{row.local!s:<24} {row.remote!s:<24} {info.rtt * 1000:>8.2f} {info.snd_cwnd:>5} "
            f"{info.total_retrans:>7} {info.bytes_sent or 0:>10} {info.bytes_received or 0:>10}"
            f"  {program}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=20, help="how many connections to show")
    parser.add_argument("--by", choices=sorted(ORDERS), default="retransmissions")
    parser.add_argument("--filter", default="", help="an ss filter, e.g. 'dport = :443'")
    options = parser.parse_args()
    where = f"state established {options.filter}".strip()
    try:
        table = netstatlib.connections("tcp", where=where, details=True)
    except netstatlib.UnsupportedError as exc:
        print(f"tcp_health: {exc}", file=sys.stderr)
        return 2
    except netstatlib.NetstatError as exc:
        print(f"tcp_health: {exc}", file=sys.stderr)
        return 1
    rows = sorted((row for row in table if row.tcp_info is not None), key=ORDERS[options.by])
    report(rows[::-1], options.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
