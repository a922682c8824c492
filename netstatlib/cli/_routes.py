"""Routes as ``netstat -r`` prints them: the IPv4 table as Linux's ``route`` (Destination,
Gateway, Genmask), the IPv6 table as ``route -6`` (Destination/prefix, Next Hop), then
Windows' persistent routes in tables of their own.

Without ``-n``, as Linux's ``netstat -r``: the default route's destination is
``default``, and gateways and host routes' destinations show the host name reverse DNS
gives (:func:`route_addresses` says which addresses are asked); with ``-n``, numbers.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping, Sequence

import netaddr

from .._model import Route
from .._text import (
    Column,
    layout,
    optional_text,
    route_flag_letters,
    route_interface_text,
    safe_text,
    section,
)

__all__ = ["route_addresses", "routes_text"]

_BROADCAST = netaddr.IPAddress("255.255.255.255")


def _is_host_route(row: Route) -> bool:
    return row.destination.prefixlen == (32 if row.destination.version == 4 else 128)


def _named(address: netaddr.IPAddress | None) -> bool:
    # 0.0.0.0 and :: are "no gateway" or "every address"; a broadcast or multicast
    # address (Windows lists 255.255.255.255/32 and 224.0.0.0/4) names no host.
    return (
        address is not None
        and int(address) != 0
        and not address.is_multicast()
        and address != _BROADCAST
    )


def route_addresses(rows: Iterable[Route]) -> list[str]:
    """The addresses whose names ``netstat -r`` shows: every gateway, and the
    destination of every host route (``/32``, ``/128``); never ``0.0.0.0``, ``::``,
    a multicast address or ``255.255.255.255``.

    A network's name (``link-local`` for 169.254.0.0/16) would come from
    ``/etc/networks``, which netstatlib does not read: networks stay numeric.
    """
    addresses: dict[str, None] = {}  # an ordered set
    for row in rows:
        for address in (row.gateway, row.destination.ip if _is_host_route(row) else None):
            if _named(address):
                addresses[str(address)] = None
    return list(addresses)


def _address_text(
    address: netaddr.IPAddress | None, unset: str, names: Mapping[str, str | None]
) -> str:
    if address is None:
        return unset
    text = str(address)
    name = names.get(text)
    return safe_text(name) if name is not None else text


def _route_table(
    rows: Sequence[Route],
    family: socket.AddressFamily,
    numeric: bool,
    names: Mapping[str, str | None],
) -> str:
    """IPv4 as ``netstat -r`` prints it (Destination, Gateway, Genmask), IPv6 as
    ``netstat -6 -r`` (Destination/prefix, Next Hop)."""

    def destination(row: Route, text: str) -> str:
        if numeric:
            return text
        if row.destination.prefixlen == 0:  # as route(8): a reject or blackhole one too
            return "default"
        name = names.get(str(row.destination.ip)) if _is_host_route(row) else None
        return safe_text(name) if name is not None else text

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
                destination(row, str(row.destination.network)),
                _address_text(row.gateway, "0.0.0.0", names),
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
                destination(row, str(row.destination)),
                _address_text(row.gateway, "::", names),
                route_flag_letters(row.flags),
                optional_text(row.metric, "-"),
                route_interface_text(row),
            ]
            for row in rows
        ]
    return layout(columns, body)


def routes_text(
    rows: Sequence[Route],
    *,
    numeric: bool = True,
    names: Mapping[str, str | None] | None = None,
) -> str:
    """The IPv4, then the IPv6 routing table, each followed by its persistent routes
    (Windows) where there are any. ``numeric=False`` writes the default route's
    destination as ``default`` and an address as its name in ``names`` (from
    :func:`route_addresses`' lookup) where it has one."""
    found: Mapping[str, str | None] = names if names is not None and not numeric else {}
    parts = []
    for family, name in ((socket.AF_INET, "IPv4"), (socket.AF_INET6, "IPv6")):
        mine = [row for row in rows if row.family is family]
        active = [row for row in mine if not row.persistent]
        parts.append(section(f"{name} Route Table", _route_table(active, family, numeric, found)))
        stored = [row for row in mine if row.persistent]
        if stored:
            table = _route_table(stored, family, numeric, found)
            parts.append(section(f"{name} Persistent Routes", table))
    return "\n".join(parts)
