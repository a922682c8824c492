"""What a backend is: the protocol every source of records implements."""

from __future__ import annotations

import socket
from collections.abc import Callable, Collection
from typing import Protocol as TypingProtocol
from typing import runtime_checkable

from .._model import Connection, InterfaceStats, ProtocolStats, Route
from ._capabilities import Capabilities
from ._tables import SocketTable

__all__ = ["Backend", "SocketTable"]


@runtime_checkable
class Backend(TypingProtocol):
    """A source of records. The query functions call these methods and filter the result.

    ``connections`` receives the socket tables the query needs (so that nothing else is
    read) and a ``keep`` predicate that does not depend on processes, to apply before
    looking processes up. A backend that cannot answer a query raises
    :class:`~netstatlib.UnsupportedError` saying why and what to use instead.
    """

    @property
    def name(self) -> str:
        """The backend's name, as ``backend=`` and ``NETSTATLIB_BACKEND`` take it."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What this backend answers: queries, socket tables, fields."""
        ...

    def connections(
        self,
        tables: Collection[SocketTable],
        *,
        processes: bool = True,
        keep: Callable[[Connection], bool] | None = None,
    ) -> list[Connection]: ...

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]: ...

    def interface_stats(self) -> list[InterfaceStats]: ...

    def protocol_stats(self) -> list[ProtocolStats]: ...
