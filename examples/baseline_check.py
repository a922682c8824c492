"""Baseline check, for cron: has anything started listening since the baseline?

The first run saves a snapshot of this host (sockets with their owners, routes,
interfaces) to BASELINE. Every later run compares the host now with it and prints what
changed: nothing at all when nothing did, so that cron sends no mail. The exit status is
1 when something listens on an address nothing listened on in the baseline, 2 on an
error (a baseline that cannot be read, a host that cannot be), 0 otherwise.

Run it as root, so that every socket shows its process, and keep the baseline in a
folder only root can write: whoever can replace it decides what counts as new::

    python examples/baseline_check.py /var/lib/netstatlib/baseline.json
    python examples/baseline_check.py /var/lib/netstatlib/baseline.json --kind tcp
    python examples/baseline_check.py /var/lib/netstatlib/baseline.json --update

In ``/etc/cron.d/``::

    */15 * * * * root python3 /opt/baseline_check.py /var/lib/netstatlib/baseline.json
"""

from __future__ import annotations

import argparse
import os
import sys

import netstatlib


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline", help="the baseline file (saved there if it does not exist)")
    parser.add_argument(
        "--kind",
        default="inet",
        help="sockets to compare: inet (TCP and UDP, the default), tcp, all, ...",
    )
    parser.add_argument(
        "--update", action="store_true", help="save the host as it is now as the new baseline"
    )
    options = parser.parse_args()

    try:
        now = netstatlib.snapshot(["connections", "routes", "interfaces"], kind=options.kind)
        if not os.path.exists(options.baseline):
            now.save(options.baseline)
            return 0
        baseline = netstatlib.load_snapshot(options.baseline)
        changes = netstatlib.diff(baseline, now)
        if changes:
            print(changes)
        for note in now.notes:
            print(f"baseline_check: incomplete: {note}", file=sys.stderr)
        if options.update:
            now.save(options.baseline)
    except netstatlib.NetstatError as exc:
        print(f"baseline_check: {exc}", file=sys.stderr)
        return 2
    return 1 if changes.listeners_added else 0


if __name__ == "__main__":
    sys.exit(main())
