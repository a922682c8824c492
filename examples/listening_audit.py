"""Listening-ports audit: what on this host accepts traffic, who owns it, and is it allowed?

Lists every TCP and UDP listener (IPv4 and IPv6) with its protocol, address, port, scope,
pid and process. The scope says how exposed it is: ``all`` (bound to 0.0.0.0 or ::, so
reachable on every interface), ``loopback`` (127.0.0.0/8 or ::1, this host only) or
``address`` (one specific address).

With ``--allow 22,443`` the exit status is 1 when some listener's port is not in the list
(marked with ``!``), so the script can run from cron or CI. ``--exposed-only`` leaves
loopback listeners out of that check.

Run it as root to see the processes of every user (otherwise other users' sockets show no
process)::

    python examples/listening_audit.py
    sudo python examples/listening_audit.py --allow 22,443 --exposed-only
"""

from __future__ import annotations

import argparse
import socket
import sys

import netstatlib
from netstatlib import Endpoint


def scope(endpoint: Endpoint) -> str:
    """``all``, ``loopback`` or ``address``: how far the listening address reaches."""
    address = endpoint.unmapped().address  # ::ffff:127.0.0.1 is loopback too
    if int(address) == 0:
        return "all"
    return "loopback" if address.is_loopback() else "address"


def port_list(text: str) -> frozenset[int]:
    """Parse ``22,443`` into a set of ports (argparse ``type=``)."""
    try:
        ports = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of ports: {text!r}") from None
    if any(not 0 < port < 65536 for port in ports):
        raise argparse.ArgumentTypeError(f"ports are 1 to 65535: {text!r}")
    return ports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--allow", type=port_list, help="allowed ports, e.g. 22,443")
    parser.add_argument(
        "--exposed-only", action="store_true", help="do not check loopback listeners"
    )
    options = parser.parse_args()

    try:
        listeners = netstatlib.listening("inet")
    except netstatlib.NetstatError as exc:
        print(f"listening_audit: {exc}", file=sys.stderr)
        return 2

    # Every TCP/UDP socket has a local endpoint; only UNIX sockets have none.
    rows = [(row.local, row) for row in listeners if row.local is not None]
    rows.sort(key=lambda item: (item[0].port, str(item[1].protocol), str(item[0].address)))

    width = max([7, *(len(str(local.address)) for local, _ in rows)])
    violations = 0
    print(f"   PROTO  {'ADDRESS':<{width}}  {'PORT':>5}  SCOPE     {'PID':>7}  PROCESS")
    for local, row in rows:
        where = scope(local)
        checked = options.allow is not None and not (options.exposed_only and where == "loopback")
        denied = checked and local.port not in options.allow
        violations += denied
        proto = f"{row.protocol}{'6' if row.family is socket.AddressFamily.AF_INET6 else ''}"
        pid = str(row.pids[0]) if row.pids else "-"
        more = f" (+{len(row.pids) - 1} more)" if row.pids and len(row.pids) > 1 else ""
        print(
            f"{'!' if denied else ' '}  {proto:<5}  {local.address!s:<{width}}  {local.port:>5}  "
            f"{where:<8}  {pid:>7}  {row.process or '-'}{more}"
        )

    print(f"\n{len(rows)} listening socket{'' if len(rows) == 1 else 's'}", end="")
    if options.allow is not None:
        allowed = ",".join(str(port) for port in sorted(options.allow)) or "none"
        print(f", {violations} on ports outside the allowed list ({allowed})", end="")
    print()
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
