"""Backends: where the records come from. Parsing lives in :mod:`netstatlib.parsers`.

``LinuxProcfs`` reads ``/proc``; ``WindowsNetstat`` runs ``netstat.exe``; ``Psutil``
asks psutil (any OS psutil supports); ``CapturedText`` serves captured text (a fake
for tests of code that embeds netstatlib). :func:`default_backend` picks the one for this
machine (``NETSTATLIB_BACKEND`` overrides it), :func:`get_backend` resolves the
``backend=`` argument of every query function and :func:`available` reports what each
built-in backend answers and whether it can run here.

A socket query reaches a backend as a :class:`SocketQuery`; files reach the backends
that read them through a :class:`Source` (:class:`FolderSource`, :class:`MemorySource`).
A backend says what it could not see (owners it may not read, a table its source
lacks) with :func:`report_incomplete`; the query functions put it in the returned
table's :attr:`~netstatlib.Table.notes`.
"""

import typing as _typing

from .._partial import report_incomplete
from .._sources import FolderSource, MemorySource, OwnerWalk, Source
from .._tables import SocketTable
from ._base import Backend
from ._capabilities import QUERIES, Capabilities
from ._linux import ENGINES, NET_FILES, SOCKET_FILES, LinuxProcfs
from ._registry import (
    BACKEND_NAMES,
    ENVIRONMENT_VARIABLE,
    BackendInfo,
    available,
    default_backend,
    get_backend,
)
from ._registry import BACKENDS as _BACKENDS
from ._socket_query import HINTS, SocketQuery

if _typing.TYPE_CHECKING:
    from .._capture_format import LinkAttributes
    from ._captured import CapturedText
    from ._netlink import NetlinkUnavailableError
    from ._psutil import Psutil
    from ._windows import Runner, WindowsNetstat

__all__ = [
    "BACKEND_NAMES",
    "ENGINES",
    "ENVIRONMENT_VARIABLE",
    "HINTS",
    "NET_FILES",
    "QUERIES",
    "SOCKET_FILES",
    "Backend",
    "BackendInfo",
    "Capabilities",
    "CapturedText",
    "FolderSource",
    "LinkAttributes",
    "LinuxProcfs",
    "MemorySource",
    "NetlinkUnavailableError",
    "OwnerWalk",
    "Psutil",
    "Runner",
    "SocketQuery",
    "SocketTable",
    "Source",
    "WindowsNetstat",
    "available",
    "default_backend",
    "get_backend",
    "report_incomplete",
]


def __getattr__(name: str) -> object:
    # The classes of the backends in the table of backends (WindowsNetstat, with the
    # Windows parsers and subprocess behind it; Psutil, with psutil), CapturedText, the
    # netlink engine's error and the capture format's LinkAttributes are imported on
    # first use, so that `import netstatlib` pays for none of them.
    for entry in _BACKENDS:
        if entry.class_name == name:
            return entry.load()
    if name == "Runner":
        from ._windows import Runner

        return Runner
    if name == "NetlinkUnavailableError":
        from ._netlink import NetlinkUnavailableError

        return NetlinkUnavailableError
    if name == "CapturedText":
        from ._captured import CapturedText

        return CapturedText
    if name == "LinkAttributes":
        from .._capture_format import LinkAttributes

        return LinkAttributes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
