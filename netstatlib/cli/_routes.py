"""Routes as ``netstat -r`` prints them: the IPv4 table as Linux's ``route -n`` (Destination,
Gateway, Genmask), the IPv6 table as ``route -6 -n`` (Destination/prefix, Next Hop), then
Windows' persistent routes in tables of their own. Routes are always numeric.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from .._model import Route
from .._text import (
    Column,
    layout,
    optional_text,
    route_flag_letters,
    route_interface_text,
    section,
)

__all__ = ["routes_text"]


def _route_table(rows: Sequence[Route], family: socket.AddressFamily) -> str:
    """IPv4 as ``netstat -rn`` prints it (Destination, Gateway, Genmask), IPv6 as
    ``netstat -6 -rn`` (Destination/prefix, Next Hop)."""
    if family is socket.AF_INET:
        columns = [
            Column("Destination", 15),
            Column("Gateway", 15),
            Column("Genmask", 15),
            Column("Flags"),
            Column("Metric", right=True),
            Column("Iface"),
        ]
        body = [
            [
                str(row.destination.network),
                str(row.gateway) if row.gateway is not None else "0.0.0.0",
                str(row.destination.netmask),
                route_flag_letters(row.flags),
                optional_text(row.metric, "-"),
                route_interface_text(row),
            ]
            for row in rows
        ]
    else:
        columns = [
            Column("Destination", 24, shrink=True),
            Column("Next Hop", 24, shrink=True),
            Column("Flags"),
            Column("Metric", right=True),
            Column("Iface"),
        ]
        body = [
            [
                str(row.destination),
                str(row.gateway) if row.gateway is not None else "::",
                route_flag_letters(row.flags),
                optional_text(row.metric, "-"),
                route_interface_text(row),
            ]
            for row in rows
        ]
    return layout(columns, body)


def routes_text(rows: Sequence[Route]) -> str:
    """The IPv4, then the IPv6 routing table, each followed by its persistent routes
    (Windows) where there are any."""
    parts = []
    for family, name in ((socket.AF_INET, "IPv4"), (socket.AF_INET6, "IPv6")):
        mine = [row for row in rows if row.family is family]
        active = [row for row in mine if not row.persistent]
        parts.append(section(f"{name} Route Table", _route_table(active, family)))
        stored = [row for row in mine if row.persistent]
        if stored:
            parts.append(section(f"{name} Persistent Routes", _route_table(stored, family)))
    return "\n".join(parts)
