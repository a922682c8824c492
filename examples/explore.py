"""Exploring query results: printing a Table, plain dicts and JSON, and pandas when present.

Shows what a notebook session looks like as a script: ``print()`` and ``repr()`` of a
``Table``, slicing, ``where()``, ``sort()`` and ``counts()``, ``to_dicts(plain=True)``
for JSON, ``to_pandas()`` for analysis, and what to do when pandas is not installed
(netstatlib does not depend on it). ``explore.ipynb`` beside it is the same in Jupyter,
with plots. Run it::

    python examples/explore.py
    pip install pandas && python examples/explore.py
"""

from __future__ import annotations

import json

import netstatlib
from netstatlib import F, UnsupportedError


def main() -> None:
    sockets = netstatlib.connections("all")  # TCP, UDP, UDP-Lite, raw and UNIX sockets

    # repr() (what the REPL and Jupyter show) stops after the first rows; print() shows all.
    print(repr(sockets[:5]))
    print()

    # A Table is a sequence of typed records: filter with plain Python and make a Table
    # again, or with where() (a predicate, an ss filter or a callable); sort; count.
    tcp = netstatlib.Table(row for row in sockets if row.protocol is netstatlib.Protocol.TCP)
    print(f"{len(sockets)} sockets, {len(tcp)} of them TCP")
    print(sockets.where(F.state == "LISTEN").sort("local_port", "local_address"))
    print()
    print(sockets.counts("protocol", "state"))  # largest group first
    print()

    # plain=True turns addresses, endpoints, enums and flags into JSON-friendly values.
    default_routes = netstatlib.routes(where=lambda route: route.is_default)
    for route in default_routes.to_dicts(plain=True):
        print(json.dumps(route))
    print()

    # Protocol counters: one record per kernel group, counters under the kernel's names.
    tcp_counters = netstatlib.protocol_stats(where=lambda group: group.group == "Tcp")
    if tcp_counters:
        print("Tcp ActiveOpens (nstat: TcpActiveOpens):", tcp_counters[0]["ActiveOpens"])
    print()

    try:
        frame = netstatlib.interface_stats().to_pandas()
    except UnsupportedError as exc:  # pandas is not installed
        print(f"no pandas ({exc}); plain dicts instead:")
        for row in netstatlib.interface_stats().to_dicts(plain=True):
            print(f"  {row['name']}: received {row['rx_bytes']} B, sent {row['tx_bytes']} B")
    else:
        print(frame[["name", "rx_bytes", "tx_bytes", "mtu", "is_up"]].to_string(index=False))
        by_state = sockets.to_pandas().groupby(["protocol", "state"], observed=True).size()
        print(by_state.to_string())


if __name__ == "__main__":
    main()
