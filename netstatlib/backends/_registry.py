"""The table of built-in backends, and everything that chooses among them.

One row per backend (:class:`BackendEntry`): its name, how to load it, where it is the
default, why it cannot run here, and the kind of capture it writes and reads. The rows
serve backend selection (the default per OS, ``NETSTATLIB_BACKEND``, ``backend="name"``),
:func:`available`, the command line's ``--backend`` and captures
(:func:`open_capture_source`). Adding a backend is adding a row.

Linux reads ``/proc`` (:class:`LinuxProcfs`), Windows runs ``netstat.exe``
(:class:`WindowsNetstat`), every other OS asks psutil (:class:`Psutil`). Each backend's
module is imported only when the backend is chosen, so ``import netstatlib`` loads
neither psutil nor the Windows parsers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from .._errors import SourceNotFoundError, UnsupportedError, UsageError
from .._sources import Source
from ._base import Backend
from ._capabilities import Capabilities

__all__ = [
    "BACKENDS",
    "BACKEND_NAMES",
    "ENVIRONMENT_VARIABLE",
    "BackendEntry",
    "BackendInfo",
    "available",
    "default_backend",
    "get_backend",
    "open_capture_source",
]

ENVIRONMENT_VARIABLE = "NETSTATLIB_BACKEND"
"""The environment variable that overrides the default backend: set to a name of
:data:`BACKEND_NAMES` (``NETSTATLIB_BACKEND=psutil``), it chooses the backend of every
query given no ``backend=`` and of the command line given no ``--backend``. An unknown
name raises :class:`~netstatlib.UsageError` at the first such query."""


class CaptureReader(Protocol):
    """What the class of a backend that reads captures provides."""

    @classmethod
    def recognises_capture(cls, source: Source) -> bool: ...

    @classmethod
    def open_capture(cls, source: Source) -> Backend: ...


@attrs.frozen(kw_only=True)
class BackendEntry:
    """One built-in backend.

    ``load`` imports and returns its class (made with no arguments for a query);
    ``default_on`` says whether it is the default where ``sys.platform`` is the given
    value (the first row that says so wins); ``unusable`` says why it cannot run on this
    machine now (``None`` when it can). ``capture_kind`` is the ``kind`` of the captures
    it writes and reads (``None``: none), and ``capture_signs`` what a capture folder of
    that kind holds when it has no manifest (for messages). ``note`` says how it works
    on this machine now, where that can vary (``None`` otherwise).
    """

    name: str
    class_name: str
    load: Callable[[], type[Any]]
    default_on: Callable[[str], bool]
    unusable: Callable[[], str | None]
    capture_kind: str | None = None
    capture_signs: str | None = None
    note: Callable[[], str | None] = lambda: None

    def build(self) -> Backend:
        """A new instance, as ``backend="<name>"`` makes one."""
        backend: Backend = self.load()()
        return backend


def _load_linux() -> type[Any]:
    from ._linux import LinuxProcfs

    return LinuxProcfs


def _linux_unusable() -> str | None:
    if not os.path.isfile("/proc/net/dev"):
        return "no /proc/net here (not Linux); LinuxProcfs(root=DIR) still reads a capture"
    return None


def _linux_note() -> str:
    from ._linux import LinuxProcfs

    backend = LinuxProcfs()
    if backend.engine == "netlink":
        return "sockets from the kernel's socket diagnostics (netlink sock_diag)"
    return f"sockets from /proc/net text: {backend.engine_reason}"


def _load_windows() -> type[Any]:
    from ._windows import WindowsNetstat

    return WindowsNetstat


def _windows_unusable() -> str | None:
    if sys.platform != "win32":
        return (
            "netstat.exe runs only on Windows; WindowsNetstat(run=...) and "
            "netstatlib.parsers.windows still read saved outputs"
        )
    return None


def _load_psutil() -> type[Any]:
    from ._psutil import Psutil

    return Psutil


def _psutil_unusable() -> str | None:
    try:
        import psutil  # noqa: F401
    except (ImportError, NotImplementedError) as exc:  # pragma: no cover - a dependency
        return f"psutil cannot be used here: {exc}"
    return None


BACKENDS: tuple[BackendEntry, ...] = (
    BackendEntry(
        name="linux",
        class_name="LinuxProcfs",
        load=_load_linux,
        default_on=lambda platform: platform.startswith("linux"),
        unusable=_linux_unusable,
        capture_kind="linux",
        capture_signs="a net/ folder",
        note=_linux_note,
    ),
    BackendEntry(
        name="windows",
        class_name="WindowsNetstat",
        load=_load_windows,
        default_on=lambda platform: platform == "win32",
        unusable=_windows_unusable,
        capture_kind="windows",
        capture_signs="netstat-*.txt files",
    ),
    BackendEntry(
        name="psutil",
        class_name="Psutil",
        load=_load_psutil,
        default_on=lambda platform: True,
        unusable=_psutil_unusable,
    ),
)
"""Every built-in backend, in the order :func:`available` lists them."""

BACKEND_NAMES = tuple(entry.name for entry in BACKENDS)
"""The names ``backend=``, ``NETSTATLIB_BACKEND`` and ``--backend`` take."""

_BY_NAME = {entry.name: entry for entry in BACKENDS}


def _entry(name: object, *, origin: str) -> BackendEntry:
    key = name.strip().lower() if isinstance(name, str) else None
    entry = _BY_NAME.get(key) if key is not None else None
    if entry is None:
        raise UsageError(
            f"unknown backend {name!r}{origin}; known backends: {', '.join(BACKEND_NAMES)}"
        )
    return entry


def _default_entry() -> BackendEntry:
    override = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if override:
        return _entry(override, origin=f" in {ENVIRONMENT_VARIABLE}")
    return next(entry for entry in BACKENDS if entry.default_on(sys.platform))


def default_backend() -> Backend:
    """The backend for this machine: ``NETSTATLIB_BACKEND`` if set, else the one for
    this OS (``/proc`` on Linux, ``netstat.exe`` on Windows, psutil elsewhere)."""
    return _default_entry().build()


def get_backend(spec: Backend | str | None) -> Backend:
    """Resolve ``backend=``: ``None`` for the default, a name, or a backend instance."""
    if spec is None:
        return default_backend()
    if isinstance(spec, str):
        return _entry(spec, origin="").build()
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
    ``capabilities`` is what it answers (declared, so known even when not usable);
    ``note`` says how it works here where that can vary (the Linux backend: whether
    sockets come from netlink or, and why, from ``/proc/net`` text).
    """

    name: str
    """The backend's name, as ``backend=``, ``NETSTATLIB_BACKEND`` and ``--backend``
    take it (``"linux"``, ``"windows"``, ``"psutil"``)."""
    usable: bool
    """Whether the backend can run on this machine now."""
    reason: str | None
    """Why it cannot run here, in a sentence that says what still works (``None`` when
    it can)."""
    is_default: bool
    """Whether queries without ``backend=`` use it here (``NETSTATLIB_BACKEND``
    included)."""
    capabilities: Capabilities
    """What it answers: queries, socket tables, fields and the hints it uses. Declared
    by the backend, so known even where it cannot run."""
    note: str | None = None
    """How it works on this machine, where that can vary (the Linux backend: sockets
    from netlink, or from ``/proc/net`` text and why); ``None`` otherwise or when not
    usable."""


def available() -> list[BackendInfo]:
    """Every built-in backend: whether it can run here, whether it is the default, and
    what it answers (queries, socket tables, fields, hints)."""
    try:
        chosen: str | None = _default_entry().name
    except UsageError:
        chosen = None
    result = []
    for entry in BACKENDS:
        reason = entry.unusable()
        result.append(
            BackendInfo(
                name=entry.name,
                usable=reason is None,
                reason=reason,
                is_default=entry.name == chosen,
                # Declared on each backend; making one runs nothing (no command, no read).
                capabilities=entry.build().capabilities,
                note=entry.note() if reason is None else None,
            )
        )
    return result


def open_capture_source(source: Source) -> Backend:
    """A backend answering every query from the capture a source holds.

    The manifest's ``kind`` names the backend (the capture format knows only kinds that
    a row here reads: ``CAPTURE_KINDS``); without a manifest, the first backend
    that recognises the files (a ``net/`` folder: Linux; ``netstat-*.txt`` files:
    Windows) reads them. Raises :class:`~netstatlib.SourceNotFoundError` for anything
    else.
    """
    from .._capture_format import optional_manifest  # captures only: loaded on first use

    manifest = optional_manifest(source)
    readers = [entry for entry in BACKENDS if entry.capture_kind is not None]
    for entry in readers:
        reader: type[CaptureReader] = entry.load()
        if manifest is not None:
            if manifest.kind == entry.capture_kind:
                return reader.open_capture(source)
        elif reader.recognises_capture(source):
            return reader.open_capture(source)
    if manifest is not None:  # the capture format knows only kinds a row here reads
        raise UnsupportedError(f"no backend reads a {manifest.kind!r} capture")
    signs = ", no ".join(entry.capture_signs or entry.name for entry in readers)
    raise SourceNotFoundError(
        f"{source.name} is not a capture: no manifest.json, no {signs}", path=source.name
    )
