"""Exposure report: listeners on every interface, and connections to public addresses.

Two questions a security check asks first, each one query with a ready-made predicate
from ``netstatlib.audits``:

* which sockets listen on all interfaces (0.0.0.0 or ::) rather than on loopback or one
  address, so that any network the host is on can reach them;
* which established connections go to public (globally routable) addresses, and which
  processes hold them.

The exit status is 1 when either list is not empty, 0 otherwise. ``--ports`` limits both
lists to some local ports. Run it as root to see the processes of every user::

    sudo python examples/exposure_report.py
    sudo python examples/exposure_report.py --ports 22,80,443
"""

from __future__ import annotations

import argparse
import sys

import netstatlib
from netstatlib import F, audits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports", help="only these local ports, e.g. 22,80,443")
    options = parser.parse_args()
    exposed, public = audits.ON_ALL_INTERFACES, audits.TO_PUBLIC_ADDRESSES
    if options.ports:
        try:
            only = F.local_port.isin(part.strip() for part in options.ports.split(","))
        except netstatlib.FilterError as exc:
            parser.error(str(exc))
        exposed, public = exposed & only, public & only
    try:
        listeners = netstatlib.listening("inet", where=exposed)
        outbound = netstatlib.connections("tcp", where=public)
    except netstatlib.NetstatError as exc:
        print(f"exposure_report: {exc}", file=sys.stderr)
        return 2

    print(f"Listening on all interfaces ({len(listeners)}):")
    print(listeners)
    print()
    print(f"Established to public addresses ({len(outbound)}):")
    print(outbound)
    return 1 if listeners or outbound else 0


if __name__ == "__main__":
    sys.exit(main())
