"""A public fake: a backend that serves captured text given as strings, bytes or files.

Code that embeds netstatlib wants to test what it does with sockets, routes and counters
without a live host: ``CapturedText`` takes the text of the files a capture folder holds
(``docs/captures.md``) and answers every query from it through the real backends and
parsers, as httpx's ``MockTransport`` answers requests without a network.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import weakref
from collections.abc import Callable, Collection, Mapping

from .._errors import UsageError
from .._model import Connection, InterfaceStats, ProtocolStats, Route
from ._base import Backend, SocketTable
from ._capabilities import Capabilities

__all__ = ["CapturedText"]

Content = str | bytes | os.PathLike[str]


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

    A query whose text is missing raises what the backend raises for a missing source
    (:class:`~netstatlib.SourceNotFoundError` for a required Linux file,
    :class:`~netstatlib.UnsupportedError` for a Windows output). The text is written to
    a private temporary folder, removed when the object is closed or collected, and read
    by :func:`~netstatlib.open_capture`, so the records are exactly what a real capture
    would give::

        backend = CapturedText({"net/tcp": TCP_TEXT, "net/tcp6": ""})
        assert netstatlib.listening("tcp", backend=backend)[0].local.port == 22
    """

    def __init__(self, files: Mapping[str, Content]) -> None:
        if not isinstance(files, Mapping) or not files:
            raise UsageError("CapturedText needs a mapping of file names to their text")
        folder = tempfile.mkdtemp(prefix="netstatlib-captured-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        try:
            for name, content in files.items():
                self._write(folder, name, content)
            from .._capture import open_capture

            self._backend: Backend = open_capture(folder)
        except BaseException:
            self._finalizer()
            raise
        self.folder = folder
        self.name = f"captured-{self._backend.name}"

    @staticmethod
    def _write(folder: str, name: str, content: Content) -> None:
        if not isinstance(name, str) or not name:
            raise UsageError(f"not a file name of a capture folder: {name!r}")
        parts = name.replace("\\", "/").split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise UsageError(f"not a file name of a capture folder: {name!r}")
        if isinstance(content, str):
            data = content.encode("utf-8", "surrogateescape")
        elif isinstance(content, bytes):
            data = content
        elif isinstance(content, os.PathLike):
            with open(content, "rb") as handle:
                data = handle.read()
        else:
            raise UsageError(f"the content of {name!r} must be str, bytes or a path")
        path = os.path.join(folder, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)

    def close(self) -> None:
        """Remove the temporary folder now (it is removed at collection otherwise)."""
        self._finalizer()

    def __enter__(self) -> CapturedText:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CapturedText {self.name}>"

    @property
    def capabilities(self) -> Capabilities:
        return self._backend.capabilities

    def connections(
        self,
        tables: Collection[SocketTable],
        *,
        processes: bool = True,
        keep: Callable[[Connection], bool] | None = None,
    ) -> list[Connection]:
        return self._backend.connections(tables, processes=processes, keep=keep)

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        return self._backend.routes(family)

    def interface_stats(self) -> list[InterfaceStats]:
        return self._backend.interface_stats()

    def protocol_stats(self) -> list[ProtocolStats]:
        return self._backend.protocol_stats()
