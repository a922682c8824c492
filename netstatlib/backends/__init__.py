"""Backends: where the records come from. Parsing lives in :mod:`netstatlib.parsers`.

``LinuxProcfs`` reads ``/proc``; ``WindowsNetstat`` runs ``netstat.exe``; ``Psutil``
asks psutil (any OS psutil supports); ``CapturedText`` serves captured text (a fake
for tests of code that embeds netstatlib). :func:`default_backend` picks the one for this
machine (``NETSTATLIB_BACKEND`` overrides it), :func:`get_backend` resolves the
``backend=`` argument of every query function and :func:`available` reports what each
built-in backend answers and whether it can run here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import Backend, SocketTable
from ._capabilities import QUERIES, Capabilities
from ._linux import NET_FILES, SOCKET_FILES, LinkAttributes, LinuxProcfs
from ._select import (
    BACKEND_NAMES,
    ENVIRONMENT_VARIABLE,
    BackendInfo,
    available,
    default_backend,
    get_backend,
)

if TYPE_CHECKING:
    from ._captured import CapturedText
    from ._psutil import Psutil
    from ._windows import WindowsNetstat

__all__ = [
    "BACKEND_NAMES",
    "ENVIRONMENT_VARIABLE",
    "NET_FILES",
    "QUERIES",
    "SOCKET_FILES",
    "Backend",
    "BackendInfo",
    "Capabilities",
    "CapturedText",
    "LinkAttributes",
    "LinuxProcfs",
    "Psutil",
    "SocketTable",
    "WindowsNetstat",
    "available",
    "default_backend",
    "get_backend",
]


def __getattr__(name: str) -> Any:
    # WindowsNetstat (with the Windows parsers and subprocess behind it), Psutil (with
    # psutil) and CapturedText (with tempfile) are imported on first use, so that
    # `import netstatlib` pays for none of them.
    if name == "WindowsNetstat":
        from ._windows import WindowsNetstat

        return WindowsNetstat
    if name == "CapturedText":
        from ._captured import CapturedText

        return CapturedText
    if name == "Psutil":
        from ._psutil import Psutil

        return Psutil
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
