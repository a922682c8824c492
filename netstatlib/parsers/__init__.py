"""Pure parsers: text in, records out. No file access, no OS detection, no psutil.

``netstatlib.parsers.procfs`` parses the Linux ``/proc/net`` files and
``netstatlib.parsers.windows`` the output of Windows' ``netstat`` and ``route print``.
Every parser takes ``str`` or ``bytes`` and raises :class:`netstatlib.ParseError` for
malformed input.
"""

from __future__ import annotations

from . import procfs, windows

__all__ = ["procfs", "windows"]
