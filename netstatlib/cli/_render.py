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
from .._resolve import resolve_names
from ..backends._base import Backend
from ._grammar import Options
from ._interfaces import interfaces_text
from ._json import json_text
from ._routes import routes_text
from ._sockets import select_sockets, sockets_text
from ._statistics import selected_statistics, statistics_text

__all__ = ["Resolver", "Services", "render"]

Resolver = Callable[[str], "str | None"]
"""Reverse DNS: ``resolver(address) -> host name or None`` (``resolve_names``')."""
Services = Callable[[int, str], "str | None"]
"""The services database: ``services(port, protocol) -> service name or None``."""


def render(
    options: Options,
    backend: Backend | None,
    *,
    resolver: Resolver | None = None,
    services: Services | None = None,
    resolve_options: dict[str, Any] | None = None,
) -> str:
    """One display: everything the options ask for, read now from ``backend``."""
    parts = []
    if options.shows_sockets:
        rows: Sequence[Connection] = select_sockets(options, backend)
        lookup = options.resolve or not (options.numeric or options.json or options.root)
        if lookup:
            # resolve_names leaves raw sockets' "ports" (protocol numbers) and UNIX
            # sockets alone, and keeps names a Windows capture printed.
            rows = resolve_names(
                rows, resolver=resolver, services=services, **(resolve_options or {})
            )
        if options.json:
            return json_text(rows)
        return sockets_text(rows, options)
    if options.interfaces:
        stats = interface_stats(backend=backend)
        if options.json:
            return json_text(stats)
        parts.append(interfaces_text(stats))
    if options.statistics:
        everything = protocol_stats(backend=backend)
        groups = [row.group for row in everything]
        chosen = selected_statistics(everything, options)
        if options.json:
            return json_text(chosen)
        parts.append(statistics_text(chosen, groups))
    if options.route:
        table = routes(backend=backend)
        if options.json:
            return json_text(table)
        parts.append(routes_text(table))
    return "\n".join(parts)
