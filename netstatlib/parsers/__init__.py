"""Pure parsers: text in, records out. No file access, no OS detection, no psutil.

``netstatlib.parsers.procfs`` parses the Linux ``/proc/net`` files and
``netstatlib.parsers.windows`` the output of Windows' ``netstat`` and ``route print``.
Every parser takes ``str`` or ``bytes`` and raises :class:`netstatlib.ParseError` for
malformed input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import procfs

if TYPE_CHECKING:
    from . import windows

__all__ = ["procfs", "windows"]


def __getattr__(name: str) -> Any:
    # The Windows parsers are imported on first use: a Linux program that never reads a
    # Windows capture does not pay for them at import (about 9 ms).
    if name == "windows":
        import importlib

        return importlib.import_module(".windows", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
