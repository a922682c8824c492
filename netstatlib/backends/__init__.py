"""Backends: where the text comes from. Parsing lives in :mod:`netstatlib.parsers`.

``LinuxProcfs`` reads ``/proc``; ``WindowsNetstat`` runs ``netstat.exe``.
:func:`get_backend` resolves the ``backend=`` argument of every query function and
:func:`default_backend` picks the one for this OS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import Backend, SocketTable
from ._linux import SOCKET_FILES, LinuxProcfs
from ._select import BACKEND_NAMES, default_backend, get_backend

if TYPE_CHECKING:
    from ._windows import WindowsNetstat

__all__ = [
    "BACKEND_NAMES",
    "SOCKET_FILES",
    "Backend",
    "LinuxProcfs",
    "SocketTable",
    "WindowsNetstat",
    "default_backend",
    "get_backend",
]


def __getattr__(name: str) -> Any:
    # WindowsNetstat (and the Windows parsers and subprocess behind it) is imported on
    # first use, so that importing netstatlib on Linux does not pay for it.
    if name == "WindowsNetstat":
        from ._windows import WindowsNetstat

        return WindowsNetstat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
