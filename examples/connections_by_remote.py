"""Established connections grouped by remote address: who is this host talking to?

One line per remote address, most connections first, with the ports involved and the
processes that own the sockets. A port is shown as ``in:22`` when the remote side
connected to a port this host listens on, and ``out:443`` when this host connected to
the remote's port 443. IPv4-mapped IPv6 peers (``::ffff:10.0.0.5``, seen by dual-stack
servers) are counted under their IPv4 address.

Run it as root to see the processes of every user::

    python examples/connections_by_remote.py
    python examples/connections_by_remote.py --top 10 --no-processes
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict

import netaddr

import netstatlib
from netstatlib import Connection, Protocol, TcpState


class Peer:
    """What we know about one remote address."""

    def __init__(self) -> None:
        self.count = 0
        self.ports: Counter[str] = Counter()
        self.processes: set[str] = set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=0, help="show only the N busiest peers")
    parser.add_argument(
        "--no-processes", action="store_true", help="skip the process lookup (faster)"
    )
    options = parser.parse_args()
    processes = not options.no_processes

    def established(row: Connection) -> bool:
        return row.state is TcpState.ESTABLISHED and row.remote is not None

    try:
        listeners = netstatlib.listening("tcp", processes=False)
        rows = netstatlib.connections("inet", where=established, processes=processes)
    except netstatlib.NetstatError as exc:
        print(f"connections_by_remote: {exc}", file=sys.stderr)
        return 2

    listening_ports = {row.local.port for row in listeners if row.local is not None}
    peers: defaultdict[netaddr.IPAddress, Peer] = defaultdict(Peer)
    for row in rows:
        assert row.local is not None and row.remote is not None  # established inet sockets
        peer = peers[row.remote.unmapped().address]
        peer.count += 1
        incoming = row.protocol is Protocol.TCP and row.local.port in listening_ports
        peer.ports[f"in:{row.local.port}" if incoming else f"out:{row.remote.port}"] += 1
        if row.pids:
            peer.processes.add(f"{row.process or '?'}[{row.pids[0]}]")

    ranking = sorted(peers.items(), key=lambda item: (-item[1].count, item[0]))
    if options.top > 0:
        ranking = ranking[: options.top]
    width = max([6, *(len(str(address)) for address, _ in ranking)])
    print(f"{'REMOTE':<{width}}  COUNT  {'PORTS':<22}  PROCESSES")
    for address, peer in ranking:
        ports = ", ".join(port for port, _ in peer.ports.most_common(4))
        if len(peer.ports) > 4:
            ports += f", +{len(peer.ports) - 4}"
        owners = ", ".join(sorted(peer.processes)) or ("-" if processes else "")
        print(f"{address!s:<{width}}  {peer.count:>5}  {ports:<22}  {owners}".rstrip())
    print(f"\n{len(rows)} established connections with {len(peers)} remote addresses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
