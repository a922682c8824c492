"""What a backend is: the protocol every source of records implements."""

from __future__ import annotations

import socket
from typing import Protocol as TypingProtocol
from typing import runtime_checkable

from .._model import Connection, InterfaceStats, ProtocolStats, Route
from .._tables import SocketTable
from ._capabilities import Capabilities
from ._socket_query import SocketQuery

__all__ = ["Backend", "SocketTable"]


@runtime_checkable
class Backend(TypingProtocol):
    """A source of records. The query functions call these methods and filter the result.

    ``connections`` receives the :class:`~netstatlib.backends.SocketQuery` of the call:
    the socket tables to list, whether owners are wanted, and hints a backend may use
    (states, the process-free part of the filter, port and address conditions). The
    query layer applies the query again to what comes back, so a backend returns at
    least the rows the query keeps and may return more. A backend that cannot answer a
    query raises :class:`~netstatlib.UnsupportedError` saying why and what to use
    instead. One that answers only in part (owners it may not read, a table its source
    lacks) says so with :func:`~netstatlib.backends.report_incomplete` while the method
    runs: the query function puts it in the returned table's
    :attr:`~netstatlib.Table.notes`. A backend that says nothing gives complete tables.
    """

    @property
    def name(self) -> str:
        """The backend's name, as ``backend=`` and ``NETSTATLIB_BACKEND`` take it."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What this backend answers: queries, socket tables, fields, hints honoured."""
        ...

    def connections(self, query: SocketQuery) -> list[Connection]:
        """The sockets of the tables ``query.tables`` names, with their owners
        (``pids``, ``process``) when ``query.processes`` is true and ``None`` otherwise,
        and :attr:`~netstatlib.Connection.details` when ``query.details`` is true.

        At least every row ``query.where`` keeps; rows it drops may be left out early,
        using the hints the backend declares in :attr:`Capabilities.hints`. Served by
        :func:`~netstatlib.connections` and :func:`~netstatlib.listening`.
        """
        ...

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        """The routing table: both families, or only ``family`` (``AF_INET`` or
        ``AF_INET6``). Served by :func:`~netstatlib.routes`."""
        ...

    def interface_stats(self) -> list[InterfaceStats]:
        """One record of counters per network interface (or one total, where the
        source gives only that). Served by :func:`~netstatlib.interface_stats`."""
        ...

    def protocol_stats(self) -> list[ProtocolStats]:
        """One record per protocol group (``Ip``, ``Tcp``, ``TcpExt``, ...) with every
        counter the source gives. Served by :func:`~netstatlib.protocol_stats`."""
        ...
