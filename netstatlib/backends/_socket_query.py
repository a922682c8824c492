"""The socket query: what :func:`~netstatlib.connections` and
:func:`~netstatlib.listening` ask a backend for, as one immutable value.

Strategy: the query functions plan once (:meth:`SocketQuery.plan`) and hand the plan to
``backend.connections(query)``. A backend uses what it can of it (read only the tables
named, ask its source only for the states that can match, test the process-free part
of the filter before looking owners up, hand port and address conditions to a kernel
filter) and says in its :class:`~netstatlib.backends.Capabilities` which of these hints
it honours. Whatever it does, the query layer applies the table choice, the listening
restriction and the whole filter again to what comes back (:meth:`SocketQuery.select`):
a backend that ignores every hint is slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from .._errors import UsageError
from .._model import Connection, TcpState
from .._tables import SocketTable
from ..filters import Predicate, compile_filter
from ..filters._predicates import check_applies

if TYPE_CHECKING:
    from ..filters import Condition

__all__ = ["HINTS", "SocketQuery", "Test", "Where"]

Test = Callable[[Connection], object]
"""A test on one row: the row is kept when what it returns is true."""

Where = Predicate | Callable[[Connection], object] | None
"""A socket query's filter: a predicate, a plain callable taking a record, or nothing."""

HINTS: Mapping[str, str] = MappingProxyType(
    {
        "tables": "reads only the socket tables the query names",
        "states": "skips sockets in states no row the query keeps can be in before it builds "
        "their records, or asks its source only for the others (a kernel's state bitmask)",
        "process_free": "applies the part of the filter that reads no process field before "
        "it looks owners up, so that a dropped row costs no lookup",
        "conditions": "hands the filter's port and address conditions to its source (a "
        "kernel filter), so that rows failing them are never read",
    }
)
"""What a backend can do with a :class:`SocketQuery`, by the name a backend's
:attr:`Capabilities.hints <netstatlib.backends.Capabilities.hints>` uses."""

# What listening() keeps, in states: a TCP or UNIX socket in LISTEN, a UDP, UDP-Lite or
# raw socket without a state (bound, not connected).
_LISTENING_STATES: frozenset[TcpState | None] = frozenset({TcpState.LISTEN, None})


def _is_listening(row: Connection) -> bool:
    return row.is_listening


def _frozen_tables(value: Iterable[SocketTable]) -> frozenset[SocketTable]:
    return frozenset(value)


@attrs.frozen(kw_only=True)
class SocketQuery:
    """One socket query, planned: what to list and what the caller keeps.

    ``tables`` are the socket tables to list (already narrowed by the filter: ``F.protocol
    == "tcp"`` names no UDP table). ``listening`` is true for
    :func:`~netstatlib.listening`: only TCP and UNIX listeners and bound, unconnected
    UDP, UDP-Lite and raw sockets are kept. ``processes`` says whether owners (``pids``,
    ``process``) are wanted. ``where`` is the caller's whole filter.

    The hints, worked out from those by :meth:`plan` (see ``netstatlib.filters``), each
    conservative (a row the query keeps is never excluded by them):

    * ``states``: the states a kept row can be in, ``None`` in the set standing for "no
      state" (an unconnected UDP or raw socket, which the kernel calls ``CLOSE``);
      ``states=None``: any state;
    * ``process_free``: the part of ``where`` that reads no process field (all of it,
      when it reads none), or ``None``;
    * ``conditions``: the port and address conditions of ``where`` as a kernel filter
      takes them (inet sockets only), or ``None``.
    """

    tables: frozenset[SocketTable] = attrs.field(converter=_frozen_tables)
    """The socket tables to list, as ``(Protocol, family)`` pairs, narrowed by the
    filter."""
    listening: bool = False
    """True for :func:`~netstatlib.listening`: only listeners and bound, unconnected
    UDP, UDP-Lite and raw sockets are kept."""
    processes: bool = True
    """Whether the caller wants owners (``pids``, ``process``); a request, not a
    filter."""
    details: bool = False
    """Whether the caller wants :attr:`~netstatlib.Connection.details` (``tcp_info``,
    memory, timer, ...), which only the kernel's socket diagnostics give."""
    where: Where = None
    """The caller's whole filter: a predicate, a plain callable, or ``None`` (an ss
    filter string is compiled to a predicate by :meth:`plan`)."""
    states: frozenset[TcpState | None] | None = None
    """Hint: the states a kept row can be in (``None`` in the set: no state, as an
    unconnected UDP socket); ``None``: any state."""
    process_free: Predicate | None = None
    """Hint: the part of :attr:`where` that reads no process field, to test before
    owners are looked up; ``None`` when there is none."""
    conditions: Condition | None = None
    """Hint: the port and address conditions of :attr:`where` as a kernel filter takes
    them (inet sockets only); ``None`` when there are none."""

    @classmethod
    def plan(
        cls,
        tables: Iterable[SocketTable],
        *,
        where: Where | str = None,
        listening: bool = False,
        processes: bool = True,
        details: bool = False,
    ) -> SocketQuery:
        """The query for ``tables`` and ``where`` (a predicate, an ss filter string or a
        callable), with every hint worked out."""
        if isinstance(where, str):
            where = compile_filter(where)
        chosen = frozenset(tables)
        states: frozenset[TcpState | None] | None = None
        process_free = None
        conditions = None
        if isinstance(where, Predicate):
            # The planner loads with the first filter there is to plan.
            from ..filters._plan import (
                possible_states,
                possible_tables,
                process_free_part,
                socket_conditions,
            )

            check_applies(where, Connection)
            chosen = possible_tables(where, chosen)
            states = possible_states(where)
            process_free = process_free_part(where)
            conditions = socket_conditions(where)
        elif where is not None and not callable(where):
            raise UsageError(
                f"where must be a callable taking a record, a predicate or an ss filter, "
                f"not {type(where).__name__}"
            )
        if listening:
            states = _LISTENING_STATES if states is None else states & _LISTENING_STATES
        return cls(
            tables=chosen,
            listening=bool(listening),
            processes=bool(processes),
            details=bool(details),
            where=where,
            states=states,
            process_free=process_free,
            conditions=conditions,
        )

    @property
    def matches_nothing(self) -> bool:
        """True when no row can be kept (no table, or no state left): nothing to read."""
        return not self.tables or self.states == frozenset()

    def early_test(self) -> Test | None:
        """What a backend may test on a row before it looks owners up: the listening
        restriction and :attr:`process_free`. ``None`` when there is nothing to test."""
        tests: list[Test] = []
        if self.listening:
            tests.append(_is_listening)
        if self.process_free is not None:
            tests.append(self.process_free.compile())
        return _all_of(tests)

    def select(self, rows: Iterable[Connection]) -> list[Connection]:
        """The rows the query keeps: of its tables, listening if asked, passing the whole
        filter. The query functions apply this to whatever a backend returns. (Owners
        are the backend's to fill: ``processes`` is a request, not a filter.)"""
        tables = self.tables
        protocols = frozenset(protocol for protocol, _ in tables)
        tests: list[Test] = []
        if self.listening:
            tests.append(_is_listening)
        where = self.where
        if isinstance(where, Predicate):
            tests.append(where.compile())
        elif where is not None:
            tests.append(where)
        test = _all_of(tests)
        kept: list[Connection] = []
        append = kept.append
        # Rows come in runs of one table: remember the last table seen to be in the query
        # and compare identities before looking the pair up.
        last_protocol: object = None
        last_family: object = None
        for row in rows:
            protocol = row.protocol
            family = row.family
            if protocol is not last_protocol or family is not last_family:
                # A Windows row with both ends printed as names has no family: it is kept
                # when its protocol is asked for.
                if (protocol, family) not in tables and not (
                    family is None and protocol in protocols
                ):
                    continue
                last_protocol, last_family = protocol, family
            if test is None or test(row):
                append(row)
        return kept

    def __repr__(self) -> str:
        tables = ", ".join(
            sorted(f"{protocol.value}/{family.name}" for protocol, family in self.tables)
        )
        parts = [f"tables=[{tables}]"]
        if self.listening:
            parts.append("listening")
        if not self.processes:
            parts.append("processes=False")
        if self.details:
            parts.append("details")
        if self.where is not None:
            parts.append(f"where={self.where!r}")
        if self.states is not None:
            names = sorted("-" if state is None else state.name for state in self.states)
            parts.append(f"states={{{', '.join(names)}}}")
        if self.conditions is not None:
            parts.append(f"conditions={str(self.conditions)!r}")
        return f"SocketQuery({', '.join(parts)})"


def _all_of(tests: list[Test]) -> Test | None:
    """One test doing all of ``tests`` (the truth of what each returns), or None."""
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    first, second, *rest = tests
    if not rest:
        return lambda row: first(row) and second(row)
    return lambda row: all(test(row) for test in tests)
