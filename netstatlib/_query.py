"""The query functions: what ``import netstatlib`` is for.

Each function resolves the backend, asks it for exactly the data the query needs, applies
the caller's ``where`` predicate and returns a :class:`~netstatlib.Table`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ._errors import FilterError, UsageError
from ._model import Connection, InterfaceStats, ProtocolStats, Route
from ._predicates import (
    FAMILY_ALIASES,
    Predicate,
    check_applies,
    possible_tables,
    process_free_part,
)
from ._ssfilter import compile_filter
from ._table import Table
from .backends._base import Backend
from .backends._select import get_backend
from .backends._tables import KINDS, SocketTable

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
Where = Callable[[R], object] | Predicate | str | None
"""What ``where=`` takes: a predicate, an ss filter string (sockets only) or a callable."""

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
    """The test to apply for ``where=``: None, a plain callable, or a compiled predicate."""
    if where is None:
        return None
    if isinstance(where, str):
        raise FilterError(
            f"filter strings (the ss language) select sockets; {record_type.__name__} "
            "records are filtered with a predicate built from F, or a callable"
        )
    if isinstance(where, Predicate):
        check_applies(where, record_type)
        return where.compile()
    if callable(where):
        return where  # type: ignore[no-any-return]
    raise UsageError(f"where must be a callable taking a record, not {type(where).__name__}")


def _filtered(rows: Iterable[R], where: Callable[[R], object] | None) -> Table[R]:
    if where is None:
        return Table(rows)
    return Table(row for row in rows if where(row))


def _both(
    first: Callable[[Connection], bool] | None, second: Callable[[Connection], bool] | None
) -> Callable[[Connection], bool] | None:
    if first is None or second is None:
        return first or second
    return lambda row: first(row) and second(row)


def _socket_query(
    kind: str | Iterable[str],
    where: Where[Connection],
    processes: bool,
    backend: Backend | str | None,
    keep: Callable[[Connection], bool] | None,
) -> Table[Connection]:
    tables = resolve_kind(kind)
    if isinstance(where, str):
        where = compile_filter(where)
    test = _check_where(where, Connection)
    source = get_backend(backend)
    if isinstance(where, Predicate):
        # Hand down what the backend can use early: tables that cannot match are not
        # read, and rows failing the process-free part are dropped before any process
        # is looked up. What is left (process fields) is tested on the finished rows.
        tables = possible_tables(where, tables)
        early = process_free_part(where)
        if early is not None:
            keep = _both(keep, early.compile())
            if early is where:
                test = None
        if not tables:
            return Table()
    rows = source.connections(tables, processes=bool(processes), keep=keep)
    return _filtered(rows, test)


def connections(
    kind: str | Iterable[str] = "inet",
    *,
    where: Where[Connection] = None,
    processes: bool = True,
    backend: Backend | str | None = None,
) -> Table[Connection]:
    """Every socket of the given kind, in every state (``netstat -a``).

    ``kind`` is one of psutil's names (``inet``, ``inet4``, ``inet6``, ``tcp``, ``tcp4``,
    ``tcp6``, ``udp``, ``udp4``, ``udp6``, ``unix``, ``all``) or ``udplite``/``raw``
    (with ``4``/``6`` variants), or an iterable of them. ``where`` keeps the rows for
    which it returns true. With ``processes=False`` no process is looked up (faster;
    ``pids`` and ``process`` are ``None``). ``backend`` is a backend name or object.
    """
    return _socket_query(kind, where, processes, backend, keep=None)


def _is_listening(row: Connection) -> bool:
    return row.is_listening


def listening(
    kind: str | Iterable[str] = "inet",
    *,
    where: Where[Connection] = None,
    processes: bool = True,
    backend: Backend | str | None = None,
) -> Table[Connection]:
    """Sockets waiting for traffic (``netstat -l``): TCP and UNIX sockets in LISTEN and
    UDP, UDP-Lite and raw sockets that are bound and not connected.

    Arguments as for :func:`connections`; processes are looked up only for listeners.
    """
    return _socket_query(kind, where, processes, backend, keep=_is_listening)


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
    return _filtered(get_backend(backend).routes(resolved), test)


def interface_stats(
    *,
    where: Where[InterfaceStats] = None,
    backend: Backend | str | None = None,
) -> Table[InterfaceStats]:
    """Traffic counters per interface (``netstat -e``/``-i``): bytes, packets, errors, drops."""
    test = _check_where(where, InterfaceStats)
    return _filtered(get_backend(backend).interface_stats(), test)


def protocol_stats(
    *,
    where: Where[ProtocolStats] = None,
    backend: Backend | str | None = None,
) -> Table[ProtocolStats]:
    """Per-protocol counters (``netstat -s``), one record per kernel group (``Ip``, ``Tcp``)."""
    test = _check_where(where, ProtocolStats)
    return _filtered(get_backend(backend).protocol_stats(), test)
