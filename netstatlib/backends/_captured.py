"""A public fake: a backend that serves captured text given as strings, bytes or files.

Code that embeds netstatlib wants to test what it does with sockets, routes and counters
without a live host: ``CapturedText`` takes the text of the files a capture folder holds
(``docs/captures.md``) and answers every query from it through the real backends and
parsers, as httpx's ``MockTransport`` answers requests without a network. Nothing is
written to disk: the files are served from memory (a
:class:`~netstatlib.backends.MemorySource`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from .._errors import NetstatError, UsageError
from .._model import Connection, InterfaceStats, ProtocolStats, Route
from .._sources import MemorySource, read_file
from ._base import Backend
from ._capabilities import Capabilities
from ._registry import open_capture_source
from ._socket_query import SocketQuery

__all__ = ["CapturedText"]

Content = str | bytes | os.PathLike[str]

_LABEL = "<captured text>"


def _content(name: str, content: object) -> bytes:
    if isinstance(content, str):
        try:
            return content.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as exc:
            raise UsageError(f"the text of {name!r} cannot be encoded: {exc.reason}") from None
    if isinstance(content, bytes):
        return content
    if isinstance(content, os.PathLike):
        try:
            path = os.fspath(content)
        except TypeError as exc:
            raise UsageError(f"the path given for {name!r} is no path: {exc}") from None
        if not isinstance(path, str):
            raise UsageError(f"the path given for {name!r} must be str, not {path!r}")
        try:
            return read_file(path)
        except NetstatError as exc:  # a FIFO, a device, a folder, too large
            raise UsageError(f"cannot read {path!r} for {name!r}: {exc}") from None
        except (OSError, ValueError) as exc:  # ValueError: a NUL, a lone surrogate in it
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UsageError(f"cannot read {path!r} for {name!r}: {reason}") from None
    raise UsageError(f"the content of {name!r} must be str, bytes or a path")


class CapturedText:
    """Answers every query from captured text: Linux ``/proc/net`` files or Windows
    ``netstat`` outputs, given as ``str``, ``bytes`` or paths of files to read.

    ``files`` maps names in the layout of a capture folder to their content:

    * Linux: ``"net/tcp"``, ``"net/tcp6"``, ``"net/udp"``, ``"net/unix"``,
      ``"net/route"``, ``"net/ipv6_route"``, ``"net/dev"``, ``"net/snmp"``,
      ``"net/snmp6"``, ``"net/netstat"``, and optionally ``"processes.json"`` (which
      process holds which socket) and ``"links.json"`` (interface MTU, up, speed);
    * Windows: ``"netstat-ano.txt"``, ``"netstat-rn.txt"``, ``"netstat-e.txt"``,
      ``"netstat-s.txt"``, and optionally ``"processes.json"``.

    A path is read when ``CapturedText`` is made, and must name a regular file of at
    most 1 GiB (a FIFO, a device or a folder would block, never end or mean nothing);
    anything wrong with a name, a content or a path (not found, unreadable, a NUL or
    an unencodable character in it) raises :class:`~netstatlib.UsageError`.

    A query whose text is missing raises what the backend raises for a missing source
    (:class:`~netstatlib.SourceNotFoundError` for a required Linux file,
    :class:`~netstatlib.UnsupportedError` for a Windows output). The text is held in
    memory and read by the backend :func:`~netstatlib.open_capture` would choose for a
    folder of the same files, so the records are exactly what a real capture would
    give; nothing is written to disk::

        backend = CapturedText({"net/tcp": TCP_TEXT, "net/tcp6": ""})
        assert netstatlib.listening("tcp", backend=backend)[0].local.port == 22
    """

    def __init__(self, files: Mapping[str, Content]) -> None:
        if not isinstance(files, Mapping) or not files:
            raise UsageError("CapturedText needs a mapping of file names to their text")
        contents: dict[str, bytes] = {}
        for name, content in files.items():
            if not isinstance(name, str) or not name:
                raise UsageError(f"not a file name of a capture folder: {name!r}")
            path = name.replace("\\", "/")
            if path in contents:
                raise UsageError(f"{name!r} is given twice")
            contents[path] = _content(name, content)
        self.source = MemorySource(contents, name=_LABEL)
        """The files given, as a :class:`~netstatlib.backends.MemorySource` named
        ``<captured text>`` (so messages name a missing file ``<captured text>/net/tcp``)."""
        self._backend: Backend = open_capture_source(self.source)
        self.name = f"captured-{self._backend.name}"
        """``captured-`` and the name of the backend that reads the files:
        ``captured-linux`` or ``captured-windows``."""

    def close(self) -> None:
        """Nothing to release (the text is in memory); kept so that ``with`` works."""

    def __enter__(self) -> CapturedText:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CapturedText {self.name!r}>"

    @property
    def capabilities(self) -> Capabilities:
        """Those of the backend that reads the files (Linux's or Windows')."""
        return self._backend.capabilities

    def connections(self, query: SocketQuery) -> list[Connection]:
        """The sockets of the captured socket tables (``net/tcp``, ...; or
        ``netstat-ano.txt``), with owners from ``processes.json`` when given."""
        return self._backend.connections(query)

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        """The routes of the captured ``net/route`` and ``net/ipv6_route`` (or
        ``netstat-rn.txt``)."""
        return self._backend.routes(family)

    def interface_stats(self) -> list[InterfaceStats]:
        """The counters of the captured ``net/dev`` (or ``netstat-e.txt``), with the
        interface attributes of ``links.json`` when given."""
        return self._backend.interface_stats()

    def protocol_stats(self) -> list[ProtocolStats]:
        """The counters of the captured ``net/snmp``, ``net/netstat`` and ``net/snmp6``
        (or ``netstat-s.txt``)."""
        return self._backend.protocol_stats()
