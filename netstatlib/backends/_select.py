"""Backend selection: the one place that decides which backend answers a query.

Linux reads ``/proc`` (:class:`LinuxProcfs`), Windows runs ``netstat.exe``
(:class:`WindowsNetstat`), every other OS asks psutil (:class:`Psutil`). The environment
variable ``NETSTATLIB_BACKEND`` overrides the choice with a backend name, and every query
takes ``backend=`` (a name or a backend object). The Windows and psutil backends are
imported only when chosen, so ``import netstatlib`` loads neither psutil nor the Windows
parsers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import attrs

from .._errors import UsageError
from ._base import Backend
from ._capabilities import Capabilities
from ._linux import LinuxProcfs

__all__ = [
    "BACKEND_NAMES",
    "ENVIRONMENT_VARIABLE",
    "BackendInfo",
    "available",
    "default_backend",
    "get_backend",
]

ENVIRONMENT_VARIABLE = "NETSTATLIB_BACKEND"

BACKEND_NAMES = ("linux", "windows", "psutil")


def _linux() -> Backend:
    return LinuxProcfs()


def _windows() -> Backend:
    from ._windows import WindowsNetstat

    return WindowsNetstat()


def _psutil() -> Backend:
    from ._psutil import Psutil

    return Psutil()


_FACTORIES: dict[str, Callable[[], Backend]] = {
    "linux": _linux,
    "windows": _windows,
    "psutil": _psutil,
}


def _platform_default() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "win32":
        return "windows"
    return "psutil"


def _by_name(name: object, *, origin: str) -> Backend:
    key = name.strip().lower() if isinstance(name, str) else None
    factory = _FACTORIES.get(key) if key is not None else None
    if factory is None:
        raise UsageError(
            f"unknown backend {name!r}{origin}; known backends: {', '.join(BACKEND_NAMES)}"
        )
    return factory()


def default_backend() -> Backend:
    """The backend for this machine: ``NETSTATLIB_BACKEND`` if set, else the one for
    this OS (``/proc`` on Linux, ``netstat.exe`` on Windows, psutil elsewhere)."""
    override = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if override:
        return _by_name(override, origin=f" in {ENVIRONMENT_VARIABLE}")
    return _FACTORIES[_platform_default()]()


def get_backend(spec: Backend | str | None) -> Backend:
    """Resolve ``backend=``: ``None`` for the default, a name, or a backend instance."""
    if spec is None:
        return default_backend()
    if isinstance(spec, str):
        return _by_name(spec, origin="")
    if isinstance(spec, Backend):
        return spec
    raise UsageError(
        f"backend must be a name ({', '.join(BACKEND_NAMES)}) or a backend object, "
        f"not {type(spec).__name__}"
    )


@attrs.frozen(kw_only=True, hash=False)
class BackendInfo:
    """One built-in backend, as :func:`available` reports it.

    ``usable`` says whether it can run on this machine now and ``reason`` why not (or
    ``None``); ``is_default`` marks the one queries use when no ``backend=`` is given;
    ``capabilities`` is what it answers (declared, so known even when not usable).
    """

    name: str
    usable: bool
    reason: str | None
    is_default: bool
    capabilities: Capabilities


def _capabilities_of(name: str) -> Capabilities:
    # Declared on each backend; making one runs nothing (no command, no file read).
    return _FACTORIES[name]().capabilities


def _usability(name: str) -> str | None:
    """Why the backend cannot run here, or None if it can."""
    if name == "linux":
        if not os.path.isfile("/proc/net/dev"):
            return "no /proc/net here (not Linux); LinuxProcfs(root=DIR) still reads a capture"
        return None
    if name == "windows":
        if sys.platform != "win32":
            return (
                "netstat.exe runs only on Windows; WindowsNetstat(run=...) and "
                "netstatlib.parsers.windows still read saved outputs"
            )
        return None
    try:
        import psutil  # noqa: F401
    except ImportError as exc:  # pragma: no cover - psutil is a dependency
        return f"psutil cannot be imported: {exc}"
    return None


def available() -> list[BackendInfo]:
    """Every built-in backend: whether it can run here, whether it is the default, and
    what it answers (queries, socket tables, fields)."""
    try:
        chosen = default_backend().name
    except UsageError:
        chosen = None
    result = []
    for name in BACKEND_NAMES:
        reason = _usability(name)
        result.append(
            BackendInfo(
                name=name,
                usable=reason is None,
                reason=reason,
                is_default=name == chosen,
                capabilities=_capabilities_of(name),
            )
        )
    return result
