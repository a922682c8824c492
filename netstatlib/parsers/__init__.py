"""Pure parsers: text in, records out. No file access, no OS detection, no psutil.

``netstatlib.parsers.procfs`` parses the Linux ``/proc/net`` files,
``netstatlib.parsers.sockdiag`` the kernel's socket diagnostics (netlink ``sock_diag``
dumps) and ``netstatlib.parsers.windows`` the output of Windows' ``netstat`` and
``route print``. Every parser takes ``str`` or ``bytes`` and raises
:class:`netstatlib.ParseError` for malformed input.
"""

import typing as _typing

from . import procfs

if _typing.TYPE_CHECKING:
    from . import sockdiag, windows

__all__ = ["procfs", "sockdiag", "windows"]


def __getattr__(name: str) -> object:
    # The Windows parsers are imported on first use: a Linux program that never reads a
    # Windows capture does not pay for them at import (about 9 ms); the sock_diag
    # parser loads with the first live socket query.
    if name == "windows":
        # Importing a name from the module (not the module from this package) loads it
        # without asking this function again; the import binds it here as `windows`.
        from .windows import __name__ as _loaded  # noqa: F401

        return globals()["windows"]
    if name == "sockdiag":
        from .sockdiag import __name__ as _also_loaded  # noqa: F401

        return globals()["sockdiag"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
