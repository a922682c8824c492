"""What a backend says it can answer: queries, socket tables and record fields.

Every built-in backend declares a :class:`Capabilities` value; the support matrix in the
docs (``docs/support.md``) is generated from these declarations, and a test checks that
each backend's records fill no field it does not declare.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from .._errors import UsageError
from .._model import Connection, InterfaceStats, ProtocolStats, Route
from .._tables import SocketTable
from ._socket_query import HINTS

__all__ = ["QUERIES", "RECORD_TYPES", "Capabilities", "all_fields"]

QUERIES = ("connections", "routes", "interface_stats", "protocol_stats")
"""The backend methods, in the order the docs list them (``listening()`` is served by
``connections``)."""

RECORD_TYPES: Mapping[str, type] = MappingProxyType(
    {
        "connections": Connection,
        "routes": Route,
        "interface_stats": InterfaceStats,
        "protocol_stats": ProtocolStats,
    }
)
"""The record type each query returns."""


def _frozen_tables(value: Iterable[SocketTable]) -> frozenset[SocketTable]:
    return frozenset(value)


def _frozen_fields(value: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({query: frozenset(names) for query, names in value.items()})


def _known_hints(value: Iterable[str]) -> frozenset[str]:
    hints = frozenset(value)
    unknown = sorted(hints - set(HINTS))
    if unknown:
        raise UsageError(f"unknown hints {unknown}; hints are {', '.join(HINTS)}")
    return hints


@attrs.frozen(kw_only=True, hash=False)
class Capabilities:
    """What a backend can answer.

    ``fields`` maps each query the backend answers (``"connections"``, ``"routes"``,
    ``"interface_stats"``, ``"protocol_stats"``) to the record fields it can fill. A
    field not listed is always ``None`` from this backend; a listed field can still be
    ``None`` for a given record (a listener has no peer). A query not in ``fields``
    raises :class:`~netstatlib.UnsupportedError`. ``tables`` are the socket tables
    ``connections()`` can list, and ``processes`` says whether it can name the
    processes that own sockets. ``notes`` says, in a sentence or two, what is special
    about this source.

    ``hints`` names what the backend does with a
    :class:`~netstatlib.backends.SocketQuery` besides answering it (the keys of
    :data:`~netstatlib.backends.HINTS`: ``tables``, ``states``, ``process_free``,
    ``conditions``). It is a promise about speed, not about results: the query layer
    re-applies the whole query to what any backend returns.
    """

    tables: frozenset[SocketTable] = attrs.field(converter=_frozen_tables)
    """The socket tables ``connections()`` can list, as ``(Protocol, family)`` pairs;
    empty for a backend that lists no sockets."""
    processes: bool
    """Whether the backend can name the processes that own sockets (``pids`` and
    ``process``)."""
    fields: Mapping[str, frozenset[str]] = attrs.field(converter=_frozen_fields)
    """Each query the backend answers, mapped to the names of the record fields it can
    fill; a query missing here raises :class:`~netstatlib.UnsupportedError`."""
    notes: str = ""
    """A sentence or two on what is special about this source (empty when nothing is)."""
    hints: frozenset[str] = attrs.field(default=frozenset(), converter=_known_hints)
    """The hints of a :class:`~netstatlib.backends.SocketQuery` the backend uses to read
    less (keys of :data:`~netstatlib.backends.HINTS`); a promise about speed only."""

    @property
    def queries(self) -> tuple[str, ...]:
        """The queries this backend answers, in :data:`QUERIES` order."""
        return tuple(query for query in QUERIES if query in self.fields)

    def supports(self, query: str, field: str | None = None) -> bool:
        """Whether ``query`` is answered (and, given ``field``, whether it is filled)."""
        names = self.fields.get(query)
        if names is None:
            return False
        return field is None or field in names


def all_fields(query: str, *, without: Iterable[str] = ()) -> frozenset[str]:
    """Every field of the query's record type except ``without`` (which must exist)."""
    names = {field.name for field in attrs.fields(RECORD_TYPES[query])}
    excluded = set(without)
    unknown = excluded - names
    if unknown:
        raise ValueError(f"{RECORD_TYPES[query].__name__} has no field {sorted(unknown)}")
    return frozenset(names - excluded)
