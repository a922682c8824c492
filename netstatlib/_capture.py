"""Captures: everything a backend reads, saved to a folder and read back elsewhere.

A problem host is often not where it can be analysed. :func:`capture_linux` copies what
:class:`~netstatlib.backends.LinuxProcfs` reads (the ``/proc/net`` files, the interface
attributes it reports, and the socket-to-process map of its ``/proc/*/fd`` walk) into a
folder laid out like ``/proc``, so that ``LinuxProcfs(root=DIR)`` answers every query
from it, processes included, exactly as it answered on the host. :func:`capture_windows`
saves the raw outputs of ``netstat -ano``, ``-rn``, ``-e`` and ``-s``. Both write a
``manifest.json`` (:class:`CaptureManifest`) saying when, where and from what.

Strategy: everything is written into a hidden sibling folder (``.DIR.tmp-XXXX``, same
parent, so the same filesystem), each file flushed to disk, and the folder then renamed
to ``DIR`` in one step. A reader sees no capture or a complete one; on any error,
interruption included, the hidden folder is removed. A capture never overwrites: ``DIR``
must not exist, or be an empty folder.

A capture saves bytes as the source gave them, before any parsing: a file netstatlib
cannot parse is exactly what a capture is for, so parsing problems never stop one. See
``docs/captures.md`` for the layout and the file formats.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import platform
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ._errors import (
    AccessDeniedError,
    NetstatError,
    ParseError,
    SourceNotFoundError,
    UnsupportedError,
    UsageError,
)
from ._model import Protocol
from .parsers import procfs
from .parsers.procfs import ByteOrder

if TYPE_CHECKING:
    from .backends._base import Backend, SocketTable
    from .backends._windows import Runner

__all__ = [
    "CaptureManifest",
    "capture_linux",
    "capture_windows",
    "open_capture",
    "read_manifest",
    "windows_capture_runner",
]

FORMAT = "netstatlib-capture"
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
PROCESSES_FILE = "processes.json"

# Windows: the file each netstat invocation is saved as ("netstat" + its arguments), and
# names people give hand-saved outputs of the same information.
WINDOWS_COMMANDS = ("-ano", "-rn", "-e", "-s")
_WINDOWS_ALIASES: dict[str, tuple[str, ...]] = {
    "-rn": ("netstat-r.txt", "route-print.txt"),  # `netstat -r` is `route print`
}


def _windows_file(arguments: Sequence[str]) -> str:
    return "netstat" + "".join(arguments) + ".txt"


# -- the manifest ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CaptureManifest:
    """What ``manifest.json`` says about a capture.

    ``kind`` is ``"linux"`` or ``"windows"``; ``created`` when the capture started
    (UTC); ``hostname``, ``kernel`` (``uname -r``; on Windows its version, such as
    ``10.0.22631``) and ``machine`` (``x86_64``, ``aarch64``, ``AMD64``) describe the
    machine that ran the capture; ``byteorder`` the byte order its ``/proc`` files are
    in (Linux only); ``netstatlib_version`` the version that wrote it.

    The source: ``root`` and ``pid`` as given to :func:`capture_linux`; ``executable``
    and ``code_page`` (the console's OEM code page, when known) for Windows.

    ``files`` lists every file of the capture but the manifest, as ``/``-separated
    paths relative to the folder; ``missing`` the optional files the source did not
    have (``net/udplite`` where UDP-Lite is not built, ``net/tcp6`` without IPv6): they
    are absent from the capture, never faked. ``processes`` says whether the capture
    holds the processes owning sockets (``processes.json``) and
    ``interface_attributes`` whether it holds MTU, up and speed (``links.json``).
    """

    kind: Literal["linux", "windows"]
    created: datetime.datetime
    hostname: str | None
    kernel: str | None
    machine: str | None
    byteorder: ByteOrder | None
    netstatlib_version: str | None
    root: str | None = None
    pid: int | None = None
    executable: str | None = None
    code_page: str | None = None
    files: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    processes: bool = False
    interface_attributes: bool = False
    version: int = FORMAT_VERSION


def _manifest_json(manifest: CaptureManifest) -> bytes:
    source: dict[str, Any]
    if manifest.kind == "linux":
        source = {"root": manifest.root, "pid": manifest.pid}
    else:
        source = {"executable": manifest.executable, "code_page": manifest.code_page}
    document = {
        "format": FORMAT,
        "version": manifest.version,
        "kind": manifest.kind,
        "created": manifest.created.isoformat(timespec="milliseconds"),
        "hostname": manifest.hostname,
        "kernel": manifest.kernel,
        "machine": manifest.machine,
        "byteorder": manifest.byteorder,
        "netstatlib": manifest.netstatlib_version,
        "source": source,
        "files": sorted(manifest.files),
        "missing": list(manifest.missing),
        "processes": manifest.processes,
        "interface_attributes": manifest.interface_attributes,
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _field(document: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """``document[key]`` if it is of ``kind`` (``None`` allowed when ``kind`` has it)."""
    value = document.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _types(kind)):
        raise TypeError(f"{key!r} is {value!r}")
    return value


def _types(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


_OPTIONAL_STR = (str, type(None))
_OPTIONAL_INT = (int, type(None))


def read_manifest(folder: str | os.PathLike[str]) -> CaptureManifest:
    """The manifest of the capture in ``folder``.

    Raises :class:`~netstatlib.SourceNotFoundError` when the folder has no
    ``manifest.json`` (a hand-made copy, or no capture at all) and
    :class:`~netstatlib.ParseError` when it is not a netstatlib capture manifest, or one
    written by a newer netstatlib in a format this one does not read.
    """
    path = os.path.join(os.fspath(folder), MANIFEST_FILE)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise SourceNotFoundError(f"{path} does not exist", path=path) from None
    except NotADirectoryError:
        raise SourceNotFoundError(f"{os.fspath(folder)} is not a folder", path=path) from None
    except PermissionError as exc:
        raise AccessDeniedError(f"cannot read {path}: {exc.strerror}", path=path) from exc
    except OSError as exc:
        raise NetstatError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        document = json.loads(data)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ParseError(f"not a {FORMAT} manifest", source=path)
        version = _field(document, "version", int)
        if version > FORMAT_VERSION:
            raise ParseError(
                f"capture format version {version} is newer than this netstatlib reads "
                f"({FORMAT_VERSION}): upgrade netstatlib",
                source=path,
            )
        kind = _field(document, "kind", str)
        if kind not in ("linux", "windows"):
            raise ValueError(f"unknown kind {kind!r}")
        byteorder = _field(document, "byteorder", _OPTIONAL_STR)
        if byteorder not in (None, "little", "big"):
            raise ValueError(f"unknown byteorder {byteorder!r}")
        source = _field(document, "source", dict)
        created = datetime.datetime.fromisoformat(_field(document, "created", str))
        files = _field(document, "files", list)
        missing = _field(document, "missing", list)
        if not all(isinstance(name, str) for name in [*files, *missing]):
            raise TypeError("'files' and 'missing' must list strings")
        return CaptureManifest(
            kind=kind,
            created=created,
            hostname=_field(document, "hostname", _OPTIONAL_STR),
            kernel=_field(document, "kernel", _OPTIONAL_STR),
            machine=_field(document, "machine", _OPTIONAL_STR),
            byteorder=byteorder,
            netstatlib_version=_field(document, "netstatlib", _OPTIONAL_STR),
            root=_field(source, "root", _OPTIONAL_STR),
            pid=_field(source, "pid", _OPTIONAL_INT),
            executable=_field(source, "executable", _OPTIONAL_STR),
            code_page=_field(source, "code_page", _OPTIONAL_STR),
            files=tuple(files),
            missing=tuple(missing),
            processes=_field(document, "processes", bool),
            interface_attributes=_field(document, "interface_attributes", bool),
            version=version,
        )
    except ParseError:
        raise
    except (ValueError, TypeError) as exc:
        raise ParseError(f"not a valid capture manifest: {exc}", source=path) from None


def _now() -> datetime.datetime:
    """Now in UTC, to the millisecond the manifest keeps (so that the manifest a capture
    returns equals the one read back)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _this_machine() -> tuple[str | None, str | None, str | None]:
    """Host name, kernel release (Windows: its version) and machine of this machine."""
    uname = platform.uname()
    kernel = uname.version if sys.platform == "win32" else uname.release
    return (uname.node or socket.gethostname() or None, kernel or None, uname.machine or None)


def _version() -> str | None:
    from . import __version__

    return __version__


# -- the process map ---------------------------------------------------------------------


@attrs.frozen
class ProcessMap:
    """A capture's ``processes.json``: socket inode to the sorted pids holding it (Linux
    only), and each process's name (``None`` where it could not be read)."""

    owners: dict[int, tuple[int, ...]]
    names: dict[int, str | None]

    def name(self, pid: int) -> str | None:
        """The name of process ``pid``; ``None`` when unknown."""
        return self.names.get(pid)


def read_process_map(root: str) -> ProcessMap | None:
    """``<root>/processes.json``, or ``None`` when there is none (not a capture, or one
    taken without processes).

    ``{"processes": [{"pid": 812, "name": "sshd", "sockets": [23516, 23518]}, ...]}``,
    one process per line; ``sockets`` is absent in a Windows capture. A name that is not
    UTF-8 is stored as the surrogate escapes :func:`netstatlib.parsers.procfs.parse_comm`
    gives (``"\\udcff"``), which Python's ``json`` reads back as they were.
    """
    path = os.path.join(root, PROCESSES_FILE)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError as exc:
        raise AccessDeniedError(f"cannot read {path}: {exc.strerror}", path=path) from exc
    except OSError as exc:
        raise NetstatError(f"cannot read {path}: {exc.strerror or exc}") from exc
    owners: dict[int, list[int]] = {}
    names: dict[int, str | None] = {}
    try:
        document = json.loads(data)
        for entry in _field(document, "processes", list):
            pid = _field(entry, "pid", int)
            names[pid] = _field(entry, "name", _OPTIONAL_STR)
            for inode in _field(entry, "sockets", (list, type(None))) or ():
                if isinstance(inode, bool) or not isinstance(inode, int):
                    raise TypeError(f"socket {inode!r} of pid {pid} is not an inode number")
                owners.setdefault(inode, []).append(pid)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ParseError(f"not a valid process map: {exc}", source=path) from None
    return ProcessMap(
        owners={inode: tuple(sorted(set(pids))) for inode, pids in owners.items()},
        names=names,
    )


def _process_map_json(
    names: Mapping[int, str | None], owners: Mapping[int, tuple[int, ...]] | None
) -> bytes:
    sockets: dict[int, list[int]] = {}
    for inode, pids in (owners or {}).items():
        for pid in pids:
            sockets.setdefault(pid, []).append(inode)
    lines = []
    for pid in sorted({*names, *sockets}):
        entry: dict[str, Any] = {"pid": pid, "name": names.get(pid)}
        if owners is not None:
            entry["sockets"] = sorted(sockets.get(pid, ()))
        lines.append("  " + json.dumps(entry))
    body = "\n" + ",\n".join(lines) + "\n" if lines else ""
    return ('{"processes": [' + body + "]}\n").encode()


# -- writing a folder atomically --------------------------------------------------------


def _write_file(path: str, data: bytes) -> None:
    """Create ``path`` (it must not exist), write ``data`` and flush it to the disk."""
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_folder(path: str) -> None:
    """Flush a folder's entries to the disk, where the OS allows it (not on Windows,
    nor on some filesystems: then the data is still written, only less durably)."""
    if sys.platform == "win32":
        return
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_error(action: str, exc: OSError) -> NetstatError:
    path = exc.filename if isinstance(exc.filename, str) else None
    if isinstance(exc, PermissionError):
        return AccessDeniedError(f"cannot {action}: {exc.strerror or exc}", path=path)
    return NetstatError(f"cannot {action}: {exc.strerror or exc}")


class _Staging:
    """The hidden folder a capture is written into before it is renamed into place."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.files: list[str] = []
        self._folders: set[str] = {path}

    def write(self, relative: str, data: bytes) -> None:
        """Write ``data`` as ``relative`` (a ``/``-separated path) and list it."""
        path = os.path.join(self.path, *relative.split("/"))
        folder = os.path.dirname(path)
        try:
            if folder not in self._folders:
                os.makedirs(folder, exist_ok=True)
                while folder not in self._folders:
                    self._folders.add(folder)
                    folder = os.path.dirname(folder)
            _write_file(path, data)
        except OSError as exc:
            raise _write_error(f"write {relative} of the capture", exc) from exc
        if relative != MANIFEST_FILE:
            self.files.append(relative)

    def sync(self) -> None:
        for folder in sorted(self._folders, key=len, reverse=True):  # deepest first
            _fsync_folder(folder)


def _check_target(final: str) -> None:
    try:
        entries = os.listdir(final)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise UsageError(
            f"{final} exists and is not a folder; a capture never overwrites"
        ) from None
    except OSError as exc:
        raise _write_error(f"look at {final}", exc) from exc
    if entries:
        raise UsageError(
            f"{final} already exists and is not empty; a capture never overwrites: "
            "give a new folder (or an empty one)"
        )


def _publish(staging: str, final: str) -> None:
    """Rename the finished folder into place: one step, so never seen half written."""
    try:
        # rename() replaces an empty folder in one step on POSIX; Windows refuses any
        # existing target, so the empty folder is removed first there.
        if sys.platform == "win32" and os.path.isdir(final):
            os.rmdir(final)
        os.rename(staging, final)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
            raise UsageError(
                f"{final} was created or filled while the capture was taken; "
                "a capture never overwrites"
            ) from exc
        raise _write_error(f"rename the capture to {final}", exc) from exc


@contextlib.contextmanager
def _staged(folder: str | os.PathLike[str]) -> Iterator[_Staging]:
    """A hidden sibling of ``folder`` to write into; renamed to ``folder`` when the
    block succeeds, removed with everything in it when it fails."""
    final = os.path.abspath(os.fspath(folder))
    parent, name = os.path.split(final)
    if not name:
        raise UsageError(f"cannot capture into {final!r}: give a folder name")
    _check_target(final)
    if not os.path.isdir(parent):
        raise SourceNotFoundError(f"cannot capture into {final}: no folder {parent}", path=parent)
    try:
        staging = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent)  # mode 0700
    except OSError as exc:
        raise _write_error(f"create a folder in {parent}", exc) from exc
    try:
        writer = _Staging(staging)
        yield writer
        writer.sync()
        _publish(staging, final)
    except BaseException:  # KeyboardInterrupt too: leave nothing half written behind
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_folder(parent)


# -- Linux -------------------------------------------------------------------------------


def _socket_inodes(
    data: bytes, table: SocketTable, byteorder: ByteOrder, source: str
) -> Iterator[int]:
    protocol, family = table
    if protocol is Protocol.UNIX:
        rows = procfs.parse_unix_sockets(data, source=source)
    else:
        rows = procfs.parse_inet_sockets(
            data, protocol=protocol, family=family, source=source, byteorder=byteorder
        )
    return (row.inode for row in rows if row.inode)


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

    Saved: the files of :data:`~netstatlib.backends.SOCKET_FILES` and
    :data:`~netstatlib.backends.NET_FILES` under ``folder/net/`` byte for byte (an
    optional one the source lacks is listed in the manifest's ``missing``); with
    ``processes``, ``processes.json``: the owners of this namespace's sockets, from the
    same ``<root>/*/fd`` walk as a query's, with the name of each process; the MTU, up
    and speed the source reports for each interface (``links.json``; none for another
    namespace, as live); and ``manifest.json``.

    ``folder`` must not exist, or be an empty folder; its parent must exist. It is
    written atomically (see the module's documentation) and readable by its owner only.
    Returns the manifest. Raises :class:`~netstatlib.UsageError` when ``folder`` exists
    and is not empty, and what a query raises for an unreadable source.
    """
    from .backends._linux import LINKS_FILE, NET_FILES, SOCKET_FILES, LinuxProcfs, _links_json

    source = LinuxProcfs(root, pid=pid, sys_class_net=sys_class_net)
    created = _now()
    byteorder = source.byteorder
    missing: list[str] = []
    with _staged(folder) as staging:
        # The socket tables first, then the walk, as a query does.
        inodes: set[int] | None = set()
        for table, (name, _) in SOCKET_FILES.items():
            data = source.read_net_file(name)
            if data is None:
                missing.append(f"net/{name}")
                continue
            staging.write(f"net/{name}", data)
            if processes and inodes is not None:
                path = os.path.join(source.net_dir, name)
                try:
                    inodes.update(_socket_inodes(data, table, byteorder, path))
                except ParseError:
                    inodes = None  # keep the owners of every socket rather than fail
        captured_processes = False
        if processes:
            owners = source.socket_owners(inodes)
            if owners is not None:  # None: no process could be inspected (as live)
                pids = sorted({owner for pids in owners.values() for owner in pids})
                earlier = read_process_map(source.root)  # capturing a capture
                name_of = earlier.name if earlier is not None else source.process_name
                names = {owner: name_of(owner) for owner in pids}
                staging.write(PROCESSES_FILE, _process_map_json(names, owners))
                captured_processes = True
        dev = None
        for name in NET_FILES:
            data = source.read_net_file(name)
            if data is None:
                missing.append(f"net/{name}")
                continue
            staging.write(f"net/{name}", data)
            if name == "dev":
                dev = data
        attributes = None
        if dev is not None:
            try:
                rows = procfs.parse_dev(dev, source=os.path.join(source.net_dir, "dev"))
            except ParseError:
                rows = None
            if rows is not None:
                attributes = source.link_attributes([r.name for r in rows if r.name is not None])
        if attributes is not None:
            staging.write(LINKS_FILE, _links_json(attributes))
        hostname, kernel, machine = _this_machine()
        manifest = CaptureManifest(
            kind="linux",
            created=created,
            hostname=hostname,
            kernel=kernel,
            machine=machine,
            byteorder=byteorder,
            netstatlib_version=_version(),
            root=source.root,
            pid=pid,
            files=tuple(sorted(staging.files)),
            missing=tuple(missing),
            processes=captured_processes,
            interface_attributes=attributes is not None,
        )
        staging.write(MANIFEST_FILE, _manifest_json(manifest))
    return manifest


# -- Windows -----------------------------------------------------------------------------


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

    ``run`` is the same injectable runner as WindowsNetstat's: a capture is testable
    on any OS with recorded outputs. Read the folder back with :func:`open_capture`
    (or ``WindowsNetstat(run=windows_capture_runner(folder))``). ``folder`` rules and
    atomicity are those of :func:`capture_linux`.
    """
    from .backends import _windows
    from .parsers import _win_connections

    runner = run if run is not None else _windows.run_command
    outputs: list[bytes | str] = []

    def recording(argv: Sequence[str], limit: float) -> bytes | str:
        output = runner(argv, limit)
        outputs.append(output)
        return output

    backend = _windows.WindowsNetstat(
        run=recording, timeout=timeout, executable=executable, bound=bound
    )
    program = executable if executable is not None else _windows._default_executable()
    code_page = _windows._oem_code_page()
    commands = ("-anoq" if bound else "-ano", *WINDOWS_COMMANDS[1:])
    created = _now()
    with _staged(folder) as staging:
        texts: dict[str, str] = {}
        for flags in commands:
            outputs.clear()
            # Through the backend, so that errors are those of a query (timeout, no
            # netstat.exe, an elevation refusal), and the text is the one a query sees.
            texts[flags] = backend._output(flags)
            (output,) = outputs
            raw = output.encode("utf-8") if isinstance(output, str) else bytes(output)
            staging.write(_windows_file([flags]), raw)
        captured_processes = False
        if processes:
            try:
                rows = _win_connections.parse_connections(
                    texts[commands[0]], source=f"netstat {commands[0]}"
                )
            except ParseError:
                rows = None  # the raw output is saved; names cannot be matched to it
            if rows is not None:
                pids = sorted({owner for row in rows for owner in row.pids or ()})
                names = _windows._process_names(pids)
                staging.write(PROCESSES_FILE, _process_map_json(names, None))
                captured_processes = True
        hostname, kernel, machine = _this_machine()
        manifest = CaptureManifest(
            kind="windows",
            created=created,
            hostname=hostname,
            kernel=kernel,
            machine=machine,
            byteorder=None,
            netstatlib_version=_version(),
            executable=program,
            code_page=code_page,
            files=tuple(sorted(staging.files)),
            processes=captured_processes,
        )
        staging.write(MANIFEST_FILE, _manifest_json(manifest))
    return manifest


def _optional_manifest(folder: str) -> CaptureManifest | None:
    try:
        return read_manifest(folder)
    except SourceNotFoundError:
        if not os.path.isdir(folder):
            raise SourceNotFoundError(f"{folder} is not a folder", path=folder) from None
        return None


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
    base = os.fspath(folder)
    manifest = _optional_manifest(base)
    if manifest is not None and manifest.kind != "windows":
        raise UsageError(f"{base} holds a {manifest.kind} capture, not Windows outputs")
    code_page = manifest.code_page if manifest is not None else None

    def run(argv: Sequence[str], timeout: float) -> bytes | str:
        arguments = list(argv[1:])
        names = (_windows_file(arguments), *_WINDOWS_ALIASES.get("".join(arguments), ()))
        for name in names:
            path = os.path.join(base, name)
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                continue
            if code_page is None:
                return data
            from .parsers._wintext import decode

            return decode(data, source=path, code_page=code_page)
        command = " ".join(["netstat", *arguments])
        raise UnsupportedError(
            f"{base} holds no output of {command!r} (looked for {', '.join(names)}); "
            "that query cannot be answered from this capture"
        )

    return run


def _captured_names(folder: str) -> Callable[[Collection[int]], dict[int, str | None]]:
    """Process names from a capture's ``processes.json``: never this machine's, where
    the capture's pids mean other processes, or none."""

    def names(pids: Collection[int]) -> dict[int, str | None]:
        captured = read_process_map(folder)
        known = captured.names if captured is not None else {}
        return {pid: known.get(pid) for pid in pids}

    return names


def open_capture(folder: str | os.PathLike[str]) -> Backend:
    """A backend answering every query from the capture in ``folder``.

    A Linux capture gives ``LinuxProcfs(root=folder)``; a folder of Windows outputs
    gives a :class:`~netstatlib.backends.WindowsNetstat` over
    :func:`windows_capture_runner` whose process names come from the capture. Without a
    manifest, a folder with ``net/`` is read as Linux and one with ``netstat-*.txt``
    files as Windows. Raises :class:`~netstatlib.SourceNotFoundError` for anything else.
    """
    from .backends._linux import LinuxProcfs

    base = os.fspath(folder)
    manifest = _optional_manifest(base)
    if manifest is not None:
        kind = manifest.kind
    elif os.path.isdir(os.path.join(base, "net")):
        kind = "linux"
    elif any(
        name.startswith("netstat-") and name.endswith(".txt") for name in os.listdir(base)
    ) or os.path.isfile(os.path.join(base, "route-print.txt")):
        kind = "windows"
    else:
        raise SourceNotFoundError(
            f"{base} is not a capture: no manifest.json, no net/ folder, no netstat-*.txt files",
            path=base,
        )
    if kind == "linux":
        return LinuxProcfs(base)
    from .backends._windows import WindowsNetstat

    return WindowsNetstat(run=windows_capture_runner(base), process_names=_captured_names(base))
