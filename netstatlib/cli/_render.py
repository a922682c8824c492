"""One display: what the options ask for, read now from the backend, as text.

:func:`render` reads the records (sockets, interface statistics, protocol statistics,
routes), looks names up when the options want them, and hands each kind of record to its
renderer: :mod:`._sockets`, :mod:`._interfaces`, :mod:`._statistics`, :mod:`._routes`,
or :mod:`._json` for ``--json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._model import Connection
from .._query import interface_stats, protocol_stats, routes
from .._resolve import host_names, resolve_names
from ..backends._base import Backend
from ._grammar import Options
from ._interfaces import interfaces_text
from ._json import json_text
from ._routes import route_addresses, routes_text
from ._sockets import select_sockets, sockets_text
from ._statistics import selected_statistics, statistics_text

__all__ = ["Resolver", "Services", "render"]

Resolver = Callable[[str], "str | None"]
"""Reverse DNS: ``resolver(address) -> host name or None`` (``resolve_names``')."""
Services = Callable[[int, str], "str | None"]
"""The services database: ``services(port, protocol) -> service name or None``."""


def _looks_up(options: Options) -> bool:
    """Whether names are looked up: without -n, except for JSON and a capture (--root),
    unless --resolve asks."""
    return options.resolve or not (options.numeric or options.json or options.root)


def render(
    options: Options,
    backend: Backend | None,
    *,
    resolver: Resolver | None = None,
    services: Services | None = None,
    resolve_options: dict[str, Any] | None = None,
    time: str | None = None,
) -> str:
    """One display: everything the options ask for, read now from ``backend``. ``time``
    (an interval's displays) is written first, or with ``--json`` beside the records."""
    parts = [] if time is None else [f"\n{time}"]
    if options.shows_sockets:
        rows: Sequence[Connection] = select_sockets(options, backend)
        if _looks_up(options):
            # resolve_names leaves raw sockets' "ports" (protocol numbers) and UNIX
            # sockets alone, and keeps names a Windows capture printed.
            rows = resolve_names(
                rows, resolver=resolver, services=services, **(resolve_options or {})
            )
        if options.json:
            return json_text(rows, time=time)
        parts.append(sockets_text(rows, options))
        return "\n".join(parts)
    if options.interfaces:
        stats = interface_stats(backend=backend)
        if options.json:
            return json_text(stats, time=time)
        parts.append(interfaces_text(stats))
    if options.statistics:
        everything = protocol_stats(backend=backend)
        groups = [row.group for row in everything]
        chosen = selected_statistics(everything, options)
        if options.json:
            return json_text(chosen, time=time)
        parts.append(statistics_text(chosen, groups, zeros=options.zeros))
    if options.route:
        table = routes(backend=backend)
        if options.json:
            return json_text(table, time=time)
        names: dict[str, str | None] = {}
        if _looks_up(options):
            names = host_names(route_addresses(table), resolver=resolver, **(resolve_options or {}))
        parts.append(routes_text(table, numeric=options.numeric, names=names))
    return "\n".join(parts)
