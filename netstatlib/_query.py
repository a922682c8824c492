"""The query functions: what ``import netstatlib`` is for.

Each function resolves the backend, asks it for exactly the data the query needs, applies
the caller's ``where`` predicate and returns a :class:`~netstatlib.Table`. A socket query
is planned once into a :class:`~netstatlib.backends.SocketQuery`, which the backend uses
as far as it can; what comes back is checked against the whole query again, so a backend
that ignores every hint is slower, never wrong.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ._errors import UnsupportedError, UsageError
from ._model import Connection, InterfaceStats, ProtocolStats, Route
from ._partial import Notes, collecting
from ._table import Table, Where, where_test
from ._tables import KINDS, SocketTable
from .backends._base import Backend
from .backends._registry import get_backend
from .backends._socket_query import SocketQuery
from .filters import Predicate
from .filters._predicates import PROCESS_FIELDS
from .filters._values import FAMILY_ALIASES

__all__ = [
    "KINDS",
    "connections",
    "interface_stats",
    "listening",
    "protocol_stats",
    "resolve_kind",
    "routes",
]

R = TypeVar("R")

_INET = socket.AddressFamily.AF_INET
_INET6 = socket.AddressFamily.AF_INET6


def resolve_kind(kind: str | Iterable[str]) -> frozenset[SocketTable]:
    """The socket tables a ``kind`` (a name, or an iterable of names) stands for."""
    names = [kind] if isinstance(kind, str) else kind
    tables: set[SocketTable] = set()
    try:
        items = list(names)
    except TypeError:
        raise UsageError(
            f"kind must be a name or an iterable of names, not {kind!r}; "
            f"valid kinds: {', '.join(KINDS)}"
        ) from None
    for name in items:
        key = name.strip().lower() if isinstance(name, str) else None
        if key not in KINDS:
            raise UsageError(f"unknown kind {name!r}; valid kinds: {', '.join(KINDS)}")
        tables |= KINDS[key]
    if not tables:
        raise UsageError(f"kind names no socket table; valid kinds: {', '.join(KINDS)}")
    return frozenset(tables)


def _check_where(where: Any, record_type: type) -> Callable[[Any], object] | None:
    """The test to apply for ``where=``: None, a plain callable, or a compiled predicate
    (the same rules as :meth:`Table.where`)."""
    return where_test(where, {record_type})


def _filtered(
    rows: Iterable[R], where: Callable[[R], object] | None, record_type: type[R], notes: Notes
) -> Table[R]:
    if where is not None:
        rows = (row for row in rows if where(row))
    return Table(rows, record_type=record_type, notes=notes.sentences)


# Said when a filter reads owners that the backend could not all read: a row whose
# owner is unknown (pids None) never matches F.pid == X, which would otherwise look
# like "no such socket".
_OWNER_FILTER_NOTE = (
    "The filter reads process owners (pid, process), which are incomplete here: a "
    "socket whose owner could not be read is not matched by it, so an empty or short "
    "result does not mean that no socket belongs to that process."
)


def _owner_filter_note(query: SocketQuery, notes: Notes) -> None:
    """Add :data:`_OWNER_FILTER_NOTE` when the query's filter may read owners (a
    predicate on ``pid`` or ``process``, or a callable, which may read anything) and the
    backend reported owners as incomplete."""
    if not notes.owners_incomplete or query.where is None:
        return
    if isinstance(query.where, Predicate) and not query.where.fields() & PROCESS_FIELDS:
        return
    notes.add(_OWNER_FILTER_NOTE)


def _socket_query(
    kind: str | Iterable[str],
    where: Where[Connection],
    processes: bool,
    details: bool,
    backend: Backend | str | None,
    listening: bool,
) -> Table[Connection]:
    tables = resolve_kind(kind)
    # Planning checks the filter (and compiles an ss filter string) before anything runs.
    query = SocketQuery.plan(
        tables, where=where, processes=processes, details=details, listening=listening
    )
    source = get_backend(backend)
    if details and not source.capabilities.supports("connections", "details"):
        raise UnsupportedError(
            f"the {source.name} backend cannot give socket details (details=True needs "
            "the kernel's socket diagnostics: the linux backend on a live host)"
        )
    if query.matches_nothing:
        return Table(record_type=Connection)
    with collecting() as notes:
        rows = source.connections(query)
        _owner_filter_note(query, notes)  # inside: an outer collector (the CLI's) gets it
    return Table(query.select(rows), record_type=Connection, notes=notes.sentences)


def connections(
    kind: str | Iterable[str] = "inet",
    *,
    where: Where[Connection] = None,
    processes: bool = True,
    details: bool = False,
    backend: Backend | str | None = None,
) -> Table[Connection]:
    """Every socket of the given kind, in every state (``netstat -a``).

    ``kind`` is one of psutil's names (``inet``, ``inet4``, ``inet6``, ``tcp``, ``tcp4``,
    ``tcp6``, ``udp``, ``udp4``, ``udp6``, ``unix``, ``all``) or ``udplite``/``raw``
    (with ``4``/``6`` variants), or an iterable of them. ``where`` keeps the rows for
    which it returns true. With ``processes=False`` no process is looked up (faster;
    ``pids`` and ``process`` are ``None``). With ``details=True`` each record's
    :attr:`~Connection.details` holds what only the kernel's socket diagnostics give
    (``tcp_info``, congestion algorithm, memory, timer, cgroup, UNIX peer), which costs
    several times the plain query (see the Performance page); a backend that cannot give them raises
    :class:`~netstatlib.UnsupportedError`. ``backend`` is a backend name or object.

    The table's :attr:`~netstatlib.Table.notes` say what it may be missing (and
    :attr:`~netstatlib.Table.complete` is then ``False``): for a user who is not root,
    that other users' processes could not be inspected, so the sockets they may hold
    have ``pids=None`` (unknown) and a filter on ``F.pid`` cannot match them.
    """
    return _socket_query(kind, where, processes, details, backend, listening=False)


def listening(
    kind: str | Iterable[str] = "inet",
    *,
    where: Where[Connection] = None,
    processes: bool = True,
    details: bool = False,
    backend: Backend | str | None = None,
) -> Table[Connection]:
    """Sockets waiting for traffic (``netstat -l``): TCP and UNIX sockets in LISTEN and
    UDP, UDP-Lite and raw sockets that are bound and not connected.

    Arguments as for :func:`connections`; processes are looked up only for listeners.
    """
    return _socket_query(kind, where, processes, details, backend, listening=True)


def _resolve_family(family: Any) -> socket.AddressFamily | None:
    """``family=`` of routes(): the IP families under every spelling predicates accept."""
    if family is None:
        return None
    key = family.strip().lower() if isinstance(family, str) else family
    resolved = None if isinstance(key, bool) else FAMILY_ALIASES.get(key)
    if resolved not in (_INET, _INET6):
        raise UsageError(
            f"family must be socket.AF_INET, socket.AF_INET6, 4, 6, 'inet' or 'inet6', "
            f"not {family!r}"
        )
    return resolved


def routes(
    *,
    family: socket.AddressFamily | int | str | None = None,
    where: Where[Route] = None,
    backend: Backend | str | None = None,
) -> Table[Route]:
    """The routing table (``netstat -r``): IPv4 and IPv6 unless ``family`` picks one.

    ``family`` is ``socket.AF_INET``/``AF_INET6``, ``4``/``6`` or ``"inet"``/``"inet6"``.
    """
    resolved = _resolve_family(family)
    test = _check_where(where, Route)
    source = get_backend(backend)
    with collecting() as notes:
        rows = source.routes(resolved)
    if resolved is not None:  # a backend may return both families: keep the one asked for
        rows = [row for row in rows if row.family == resolved]
    return _filtered(rows, test, Route, notes)


def interface_stats(
    *,
    where: Where[InterfaceStats] = None,
    backend: Backend | str | None = None,
) -> Table[InterfaceStats]:
    """Traffic counters per interface (``netstat -e``/``-i``): bytes, packets, errors, drops."""
    test = _check_where(where, InterfaceStats)
    source = get_backend(backend)
    with collecting() as notes:
        rows = source.interface_stats()
    return _filtered(rows, test, InterfaceStats, notes)


def protocol_stats(
    *,
    where: Where[ProtocolStats] = None,
    backend: Backend | str | None = None,
) -> Table[ProtocolStats]:
    """Per-protocol counters (``netstat -s``), one record per kernel group (``Ip``, ``Tcp``)."""
    test = _check_where(where, ProtocolStats)
    source = get_backend(backend)
    with collecting() as notes:
        rows = source.protocol_stats()
    return _filtered(rows, test, ProtocolStats, notes)
