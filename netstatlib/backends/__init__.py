"""Backends: where the text comes from. Parsing lives in :mod:`netstatlib.parsers`.

``LinuxProcfs`` reads ``/proc``; ``WindowsNetstat`` runs ``netstat.exe``.
:func:`get_backend` resolves the ``backend=`` argument of every query function and
:func:`default_backend` picks the one for this OS.
"""

from __future__ import annotations

from ._base import Backend, SocketTable
from ._linux import SOCKET_FILES, LinuxProcfs
from ._select import BACKEND_NAMES, default_backend, get_backend
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
