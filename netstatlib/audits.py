"""Ready-made predicates and summaries for the common security audits.

>>> import netstatlib
>>> from netstatlib import audits
>>> netstatlib.listening(where=audits.ON_ALL_INTERFACES)          # doctest: +SKIP
>>> netstatlib.connections(where=audits.TO_PUBLIC_ADDRESSES)      # doctest: +SKIP
>>> audits.half_open_by_port()                                    # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ._model import Connection, TcpState
from ._query import connections
from .backends._base import Backend
from .filters import F, Predicate
from .filters._predicates import endpoint_port

__all__ = [
    "HALF_OPEN",
    "ON_ALL_INTERFACES",
    "TO_PUBLIC_ADDRESSES",
    "half_open_by_port",
]

ON_ALL_INTERFACES: Predicate = F.local_address.is_unspecified
"""Bound to every interface (``0.0.0.0`` or ``::``), so reachable from any network the
host is on, not only from loopback. Use with :func:`~netstatlib.listening`."""

TO_PUBLIC_ADDRESSES: Predicate = (F.state == TcpState.ESTABLISHED) & F.remote_address.is_global
"""An established connection whose peer is a public (globally routable) address,
IPv4-mapped peers of dual-stack sockets included."""

HALF_OPEN: Predicate = F.state.isin([TcpState.SYN_RECV, TcpState.NEW_SYN_RECV])
"""A connection whose handshake the peer has not completed. Many of them on one port,
growing, are the mark of a SYN flood (or of a listener that cannot keep up)."""


def half_open_by_port(
    rows: Iterable[Connection] | None = None, *, backend: Backend | str | None = None
) -> Counter[int]:
    """How many half-open (``SYN_RECV``) connections each local port has, most first
    (a local endpoint printed as a name counts under the port the name says).

    Reads this host's TCP sockets (no process lookup) unless ``rows`` are given. A SYN
    flood shows as one port with a count near its listener's backlog; with SYN cookies
    on (``net.ipv4.tcp_syncookies``) the count stays low while ``TcpExt SyncookiesSent``
    in :func:`~netstatlib.protocol_stats` grows.
    """
    if rows is None:
        rows = connections("tcp", where=HALF_OPEN, processes=False, backend=backend)
    counts: Counter[int] = Counter()
    for row in rows:
        # The port as a filter reads it: a Windows listing without -n may print the
        # local endpoint as a name (pc-042:epmap), whose port is still known.
        port = endpoint_port(row, "local") if HALF_OPEN(row) else None
        if port is not None:
            counts[port] += 1
    return Counter(dict(counts.most_common()))
