"""SYN flood check: half-open (SYN_RECV) connections per local port.

A SYN flood fills a listener's queue of handshakes that never complete: in ``netstat``
they show as many ``SYN_RECEIVED`` rows on one port. This prints the count per port,
most first, next to the listener's accept queue and the kernel's SYN-cookie counters,
and exits with status 1 when a port has at least ``--threshold`` half-open connections.

    python examples/syn_flood_check.py
    python examples/syn_flood_check.py --threshold 50 --interval 5
"""

from __future__ import annotations

import argparse
import sys
import time

import netstatlib
from netstatlib import F, audits


def report(threshold: int) -> bool:
    """Print one report; True when some port reaches the threshold."""
    counts = audits.half_open_by_port()
    listeners = netstatlib.listening("tcp", processes=False)
    backlog = {row.local.port: row.recv_queue for row in listeners if row.local is not None}
    tcp_ext = netstatlib.protocol_stats(where=F.group == "TcpExt")
    cookies = {
        name: tcp_ext[0].counters.get(name)
        for name in ("SyncookiesSent", "SyncookiesRecv", "ListenOverflows", "ListenDrops")
    } if tcp_ext else {}  # fmt: skip
    if not counts:
        print("no half-open connections")
    for port, count in counts.items():
        mark = "  <-- over threshold" if count >= threshold else ""
        queued = backlog.get(port)
        queue_text = "" if queued is None else f", accept queue {queued}"
        print(f"port {port}: {count} half-open{queue_text}{mark}")
    print("TcpExt:", ", ".join(f"{name} {value}" for name, value in cookies.items()))
    return any(count >= threshold for count in counts.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=int, default=100, help="alert level per port")
    parser.add_argument("--interval", type=float, help="repeat every N seconds until Ctrl-C")
    options = parser.parse_args()
    try:
        alert = report(options.threshold)
        while options.interval:
            time.sleep(options.interval)
            print()
            alert = report(options.threshold) or alert
    except KeyboardInterrupt:
        pass
    except netstatlib.NetstatError as exc:
        print(f"syn_flood_check: {exc}", file=sys.stderr)
        return 2
    return 1 if alert else 0


if __name__ == "__main__":
    sys.exit(main())
