"""Captures: everything a backend reads, saved to a folder and read back elsewhere.

A problem host is often not where it can be analysed. :func:`capture_linux` copies what
:class:`~netstatlib.backends.LinuxProcfs` reads (the ``/proc/net`` files, the interface
attributes it reports, and the socket-to-process map of its ``/proc/*/fd`` walk) into a
folder laid out like ``/proc``, so that ``LinuxProcfs(root=DIR)`` answers every query
from it, processes included, exactly as it answered on the host. :func:`capture_windows`
saves the raw outputs of ``netstat -ano``, ``-rn``, ``-e`` and ``-s``. Both write a
``manifest.json`` (:class:`CaptureManifest`) saying when, where and from what, and both
are the backend's own ``capture()`` method; :func:`open_capture` reads any capture back
with the backend that wrote it.

A capture saves bytes as the source gave them, before any parsing: a file netstatlib
cannot parse is exactly what a capture is for, so parsing problems never stop one. The
format is in ``netstatlib/_capture_format.py`` and ``docs/captures.md``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._capture_format import CaptureManifest, optional_manifest, read_manifest
from ._errors import SourceNotFoundError, UsageError
from ._sources import FolderSource
from .backends._base import Backend
from .backends._linux import LinuxProcfs
from .backends._registry import open_capture_source

if TYPE_CHECKING:
    from .backends._windows import Runner

__all__ = [
    "CaptureManifest",
    "capture_linux",
    "capture_windows",
    "open_capture",
    "read_manifest",
    "windows_capture_runner",
]


def capture_linux(
    folder: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] = "/proc",
    pid: int | None = None,
    sys_class_net: str | os.PathLike[str] | None = "auto",
    processes: bool = True,
) -> CaptureManifest:
    """Save what ``LinuxProcfs(root, pid=pid, sys_class_net=sys_class_net)`` reads into
    the new folder ``folder``, so that ``LinuxProcfs(root=folder)`` answers every query
    from it as the source answered at capture time.

    The same as ``LinuxProcfs(root, pid=pid, sys_class_net=sys_class_net).capture(folder,
    processes=processes)``; see :meth:`~netstatlib.backends.LinuxProcfs.capture` for
    what is saved. ``folder`` must not exist, or be an empty folder; its parent must
    exist. It is written atomically and readable by its owner only. Returns the
    manifest. Raises :class:`~netstatlib.UsageError` when ``folder`` exists and is not
    empty, and what a query raises for an unreadable source.
    """
    source = LinuxProcfs(root, pid=pid, sys_class_net=sys_class_net)
    return source.capture(folder, processes=processes)


def capture_windows(
    folder: str | os.PathLike[str],
    *,
    run: Runner | None = None,
    timeout: float = 30.0,
    executable: str | None = None,
    bound: bool = False,
    processes: bool = True,
) -> CaptureManifest:
    """Run ``netstat -ano``, ``-rn``, ``-e`` and ``-s`` as
    :class:`~netstatlib.backends.WindowsNetstat` does (same program, timeout and error
    translation; ``-anoq`` with ``bound``) and save each output's raw bytes as
    ``netstat-ano.txt``, ``netstat-rn.txt``, ``netstat-e.txt`` and ``netstat-s.txt`` in
    the new folder ``folder``, with ``manifest.json``. With ``processes``, the names of
    the processes the ``-ano`` rows name are looked up here, as a live query would, and
    saved in ``processes.json``.

    The same as ``WindowsNetstat(run=run, timeout=timeout, executable=executable,
    bound=bound).capture(folder, processes=processes)``. ``run`` is the same injectable
    runner as WindowsNetstat's: a capture is testable on any OS with recorded outputs.
    Read the folder back with :func:`open_capture` (or
    ``WindowsNetstat(run=windows_capture_runner(folder))``). ``folder`` rules and
    atomicity are those of :func:`capture_linux`.
    """
    from .backends._windows import WindowsNetstat  # the Windows parsers load on first use

    source = WindowsNetstat(run=run, timeout=timeout, executable=executable, bound=bound)
    return source.capture(folder, processes=processes)


def _folder(folder: str | os.PathLike[str]) -> FolderSource:
    base = os.fspath(folder)
    if not os.path.isdir(base):
        raise SourceNotFoundError(f"{base} is not a folder", path=base)
    return FolderSource(base)


def windows_capture_runner(folder: str | os.PathLike[str]) -> Runner:
    """A :data:`~netstatlib.backends.Runner` that answers each ``netstat`` invocation
    from a folder of saved outputs instead of running anything.

    ``netstat -ano`` is answered by ``netstat-ano.txt``, ``-rn`` by ``netstat-rn.txt``
    (or ``netstat-r.txt``, or ``route-print.txt``), ``-e`` by ``netstat-e.txt``, ``-s``
    by ``netstat-s.txt``: the files :func:`capture_windows` writes, or that anyone can
    save by hand (``netstat -ano > netstat-ano.txt``; any encoding netstat or a shell
    writes). A missing file raises :class:`~netstatlib.UnsupportedError` when its
    query runs. When the capture's manifest records the capturing host's OEM code page,
    the output is decoded with it, as the live query did there.
    """
    from .backends._windows import saved_output_runner  # the Windows parsers load on first use

    source = _folder(folder)
    manifest = optional_manifest(source)
    if manifest is not None and manifest.kind != "windows":
        raise UsageError(f"{source.name} holds a {manifest.kind} capture, not Windows outputs")
    return saved_output_runner(source, code_page=manifest.code_page if manifest else None)


def open_capture(folder: str | os.PathLike[str]) -> Backend:
    """A backend answering every query from the capture in ``folder``.

    A Linux capture gives ``LinuxProcfs(root=folder)``; a folder of Windows outputs
    gives a :class:`~netstatlib.backends.WindowsNetstat` over
    :func:`windows_capture_runner` whose process names come from the capture. Without a
    manifest, a folder with ``net/`` is read as Linux and one with ``netstat-*.txt``
    files as Windows. Raises :class:`~netstatlib.SourceNotFoundError` for anything else.
    """
    return open_capture_source(_folder(folder))
