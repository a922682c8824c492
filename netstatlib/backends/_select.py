"""Backend selection: the one place that decides which backend answers a query."""

from __future__ import annotations

import sys

from .._errors import UnsupportedError, UsageError
from ._base import Backend
from ._linux import LinuxProcfs

__all__ = ["BACKEND_NAMES", "default_backend", "get_backend"]

BACKEND_NAMES = ("linux", "windows")


def default_backend() -> Backend:
    """The backend for this operating system: the ``/proc`` reader on Linux,
    ``netstat.exe`` on Windows."""
    if sys.platform.startswith("linux"):
        return LinuxProcfs()
    if sys.platform == "win32":
        from ._windows import WindowsNetstat

        return WindowsNetstat()
    raise UnsupportedError(
        f"netstatlib has no backend for {sys.platform!r} yet; on Linux it reads /proc and "
        "on Windows it runs netstat.exe; a captured Linux /proc can be read anywhere with "
        "backend=LinuxProcfs(root=DIR), and saved Windows outputs with "
        "netstatlib.parsers.windows"
    )


def get_backend(spec: Backend | str | None) -> Backend:
    """Resolve ``backend=``: ``None`` for the default, a name, or a backend instance."""
    if spec is None:
        return default_backend()
    if isinstance(spec, str):
        name = spec.strip().lower()
        if name == "linux":
            return LinuxProcfs()
        if name == "windows":
            from ._windows import WindowsNetstat

            return WindowsNetstat()
        raise UsageError(f"unknown backend {spec!r}; known backends: {', '.join(BACKEND_NAMES)}")
    if isinstance(spec, Backend):
        return spec
    raise UsageError(
        f"backend must be a name ({', '.join(BACKEND_NAMES)}) or a backend object, "
        f"not {type(spec).__name__}"
    )
