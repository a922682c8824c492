"""The capture format: what a capture folder holds besides the source's own files.

A capture (``docs/captures.md``) is a folder with everything a backend read, byte for
byte, and these files of netstatlib's own:

* ``manifest.json`` (:class:`CaptureManifest`): when, where and by which backend;
* ``processes.json`` (:class:`ProcessMap`): which process held which socket, and the
  names of those processes, as they were at capture time;
* ``links.json`` (:class:`LinkAttributes` per interface, Linux): MTU, up and speed.

This module reads and writes those files, and writes a folder atomically
(:func:`staged`). It knows no backend: each backend writes its own capture with these
pieces (``LinuxProcfs.capture()``, ``WindowsNetstat.capture()``) and reads one back
through a :class:`~netstatlib.backends.Source`.

Strategy for writing: everything is written into a hidden sibling folder
(``.DIR.tmp-XXXX``, same parent, so the same filesystem), each file flushed to disk, and
the folder then renamed to ``DIR`` in one step. A reader sees no capture or a complete
one; on any error, interruption included, the hidden folder is removed. A capture never
overwrites: ``DIR`` must not exist, or be an empty folder.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import socket
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from ._errors import (
    AccessDeniedError,
    NetstatError,
    ParseError,
    SourceNotFoundError,
    UsageError,
)
from ._sources import MAX_PID, FolderSource, Source
from ._version import __version__
from .parsers.procfs import ByteOrder

__all__ = [
    "CAPTURE_KINDS",
    "FORMAT",
    "FORMAT_VERSION",
    "LINKS_FILE",
    "MANIFEST_FILE",
    "MAX_INODE",
    "MAX_JSON_SIZE",
    "PROCESSES_FILE",
    "WINDOWS_COMMANDS",
    "CaptureManifest",
    "LinkAttributes",
    "ProcessMap",
    "Staging",
    "links_from",
    "links_json",
    "manifest_from",
    "manifest_json",
    "now",
    "optional_manifest",
    "parse_links",
    "parse_manifest",
    "parse_process_map",
    "process_map_from",
    "process_map_json",
    "read_manifest",
    "staged",
    "this_machine",
    "windows_file",
    "windows_file_names",
]

FORMAT = "netstatlib-capture"
FORMAT_VERSION = 1

MAX_JSON_SIZE = 64 << 20
"""The largest ``manifest.json``, ``processes.json`` or ``links.json`` read (64 MiB). A
capture's own are far smaller (``processes.json`` takes about 11 bytes a socket: 64 MiB
is some six million sockets); a larger one is refused before it is parsed, since parsed
JSON takes many times its size in memory."""

MAX_INODE = 0xFFFF_FFFF_FFFF_FFFF
"""The largest socket inode a capture may name (an ``unsigned long``); 0 is no inode."""
MANIFEST_FILE = "manifest.json"
PROCESSES_FILE = "processes.json"
LINKS_FILE = "links.json"

CAPTURE_KINDS = ("linux", "windows")
"""The kinds of capture: the name of the backend that writes and reads each."""

# Windows: the file each netstat invocation is saved as ("netstat" + its arguments), and
# names people give hand-saved outputs of the same information.
WINDOWS_COMMANDS = ("-ano", "-rn", "-e", "-s")
_WINDOWS_ALIASES: dict[str, tuple[str, ...]] = {
    "-rn": ("netstat-r.txt", "route-print.txt"),  # `netstat -r` is `route print`
}


def windows_file(arguments: Sequence[str]) -> str:
    """The file a ``netstat`` output is saved as: ``netstat-ano.txt`` for ``-ano``."""
    return "netstat" + "".join(arguments) + ".txt"


def windows_file_names(arguments: Sequence[str]) -> tuple[str, ...]:
    """Every file name an output may be saved under, the capture's own first."""
    return (windows_file(arguments), *_WINDOWS_ALIASES.get("".join(arguments), ()))


# -- the manifest ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CaptureManifest:
    """What ``manifest.json`` says about a capture: when, on which machine, from which
    source and by which backend it was taken, and which files it holds.

    :func:`~netstatlib.read_manifest` reads it from a capture folder; every capture
    function returns the one it wrote.
    """

    kind: str
    """The backend that wrote the capture and reads it back: one of
    :data:`CAPTURE_KINDS` (``"linux"``, ``"windows"``)."""
    created: datetime.datetime
    """When the capture started, as the manifest records it (netstatlib writes UTC,
    with its offset)."""
    hostname: str | None
    """The host name of the machine that ran the capture."""
    kernel: str | None
    """Its kernel release (``uname -r``: ``6.8.0-45-generic``); on Windows its version
    (``10.0.22631``)."""
    machine: str | None
    """Its hardware type (``x86_64``, ``aarch64``, ``AMD64``)."""
    byteorder: ByteOrder | None
    """The byte order its ``/proc`` files are in (``"little"`` or ``"big"``), which the
    addresses of ``/proc/net/route`` and ``ipv6_route`` depend on; Linux only."""
    netstatlib_version: str | None
    """The version of netstatlib that wrote the capture."""
    root: str | None = None
    """Linux: the ``/proc`` folder captured, as given to
    :func:`~netstatlib.capture_linux`."""
    pid: int | None = None
    """Linux: the process whose network namespace was captured; ``None`` for the
    namespace of ``root`` itself."""
    executable: str | None = None
    """Windows: the ``netstat`` program that was run."""
    code_page: str | None = None
    """Windows: the console's OEM code page the outputs were written in (``cp850``),
    when known."""
    files: tuple[str, ...] = ()
    """Every file of the capture but the manifest, as ``/``-separated paths relative to
    the folder (``net/tcp``, ``netstat-ano.txt``, ``processes.json``)."""
    missing: tuple[str, ...] = ()
    """The optional files the source did not have (``net/udplite`` where UDP-Lite is not
    built, ``net/tcp6`` without IPv6): absent from the capture, never faked."""
    processes: bool = False
    """Whether the capture holds the processes owning sockets (``processes.json``)."""
    interface_attributes: bool = False
    """Whether the capture holds each interface's MTU, up flag and speed
    (``links.json``)."""
    uid: int | None = None
    """The effective user id that took the capture (``None`` on Windows, and in a
    capture written before netstatlib recorded it)."""
    user: str | None = None
    """The name of that user, where it could be looked up (Windows: the login name)."""
    owners_complete: bool | None = None
    """Whether the owners in ``processes.json`` are all there were: ``False`` when some
    processes could not be inspected (a capture taken without root, a ``/proc``
    mounted with ``hidepid``, processes that exited during the walk), and
    :attr:`owner_notes` says which; ``None`` when not known (no ``processes.json``, or
    a capture written before netstatlib recorded it)."""
    owner_notes: tuple[str, ...] = ()
    """Why the owners are incomplete, in the sentences a query would have given on the
    captured host (see :attr:`~netstatlib.Table.notes`)."""
    version: int = FORMAT_VERSION
    """The version of the capture format that wrote it; a capture of a newer version
    than this netstatlib reads raises :class:`~netstatlib.ParseError`."""


def manifest_json(manifest: CaptureManifest) -> bytes:
    """The ``manifest.json`` of a capture."""
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
        "taken_by": {"uid": manifest.uid, "user": manifest.user},
        "owners_complete": manifest.owners_complete,
        "owner_notes": list(manifest.owner_notes),
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _document(data: bytes, *, source: str, what: str, unique_keys: bool = False) -> dict[str, Any]:
    """The JSON object in ``data``; a :class:`~netstatlib.ParseError` naming ``source`` for
    anything else: not JSON, not an object, over :data:`MAX_JSON_SIZE`, or nested deeper
    than Python's parser recurses (``[[[[...``). With ``unique_keys``, an object that
    names a key twice is refused too (``json`` would keep the last one silently)."""
    if len(data) > MAX_JSON_SIZE:
        raise ParseError(
            f"is {len(data)} bytes, over the {MAX_JSON_SIZE >> 20} MiB a {what} may have",
            source=source,
        )
    try:
        document = json.loads(data, object_pairs_hook=_unique if unique_keys else None)
    except RecursionError:
        raise ParseError(f"not a valid {what}: nested too deeply", source=source) from None
    except ValueError as exc:  # not JSON, not UTF-8, a number of too many digits
        raise ParseError(f"not a valid {what}: {exc}", source=source) from None
    if not isinstance(document, dict):
        raise ParseError(f"not a valid {what}: not a JSON object", source=source)
    return document


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members as a dict; a key named twice is a ``ValueError``."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {_shown(key)} is given twice in one object")
            seen.add(key)
    return found


def _shown(value: object) -> str:
    """``value`` as a message quotes it: its repr (escapes and all), cut short."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _field(document: object, key: str, kind: type | tuple[type, ...]) -> Any:
    """``document[key]`` if it is of ``kind`` (``None`` allowed when ``kind`` has it)."""
    if not isinstance(document, dict):
        raise TypeError(f"{_shown(document)} is not an object with {key!r}")
    value = document.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _types(kind)):
        raise TypeError(f"{key!r} is {_shown(value)}")
    return value


def _types(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _number(value: object, what: str, low: int, high: int) -> int:
    """``value`` if it is an integer from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} {_shown(value)} is not a whole number from {low} to {high}")
    return value


def _pid(value: object) -> int:
    return _number(value, "pid", 1, MAX_PID)


def _relative_path(value: object, key: str) -> str:
    """A ``/``-separated path inside the capture, as the manifest lists its files."""
    if not isinstance(value, str):
        raise TypeError(f"{key!r} must list strings, not {_shown(value)}")
    parts = value.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in value or "\0" in value:
        raise ValueError(f"{key!r} lists {_shown(value)}, which is no path inside a capture")
    return value


_OPTIONAL_STR = (str, type(None))
_OPTIONAL_INT = (int, type(None))


def read_manifest(folder: str | os.PathLike[str]) -> CaptureManifest:
    """The manifest of the capture in ``folder``.

    Raises :class:`~netstatlib.SourceNotFoundError` when the folder has no
    ``manifest.json`` (a hand-made copy, or no capture at all) and
    :class:`~netstatlib.ParseError` when it is not a netstatlib capture manifest, or one
    written by a newer netstatlib in a format this one does not read.
    """
    base = os.fspath(folder)
    if os.path.exists(base) and not os.path.isdir(base):
        path = os.path.join(base, MANIFEST_FILE)
        raise SourceNotFoundError(f"{base} is not a folder", path=path)
    return manifest_from(FolderSource(base))


def manifest_from(source: Source) -> CaptureManifest:
    """The manifest of the capture a source holds (see :func:`read_manifest`)."""
    manifest = optional_manifest(source)
    if manifest is None:
        path = source.location(MANIFEST_FILE)
        raise SourceNotFoundError(f"{path} does not exist", path=path)
    return manifest


def optional_manifest(source: Source) -> CaptureManifest | None:
    """The manifest of the capture a source holds, or ``None`` when it has none."""
    data = source.read(MANIFEST_FILE, optional=True)
    if data is None:
        return None
    return parse_manifest(data, source=source.location(MANIFEST_FILE))


def parse_manifest(data: bytes, *, source: str = "<string>") -> CaptureManifest:
    """A ``manifest.json`` read from ``data``; ``source`` names it in errors.

    Anything that is not a manifest this netstatlib reads (not JSON, over
    :data:`MAX_JSON_SIZE`, nested too deeply, a field of the wrong type, a pid or version
    out of range, a listed file outside the capture) raises
    :class:`~netstatlib.ParseError` naming ``source``.
    """
    document = _document(data, source=source, what="capture manifest")
    if document.get("format") != FORMAT:
        raise ParseError(f"not a {FORMAT} manifest", source=source)
    try:
        version = _field(document, "version", int)
        if version < 1:
            raise ValueError(f"version {_shown(version)} is not 1 or more")
        if version > FORMAT_VERSION:
            raise ParseError(
                f"capture format version {_shown(version)} is newer than this netstatlib reads "
                f"({FORMAT_VERSION}): upgrade netstatlib",
                source=source,
            )
        kind = _field(document, "kind", str)
        if kind not in CAPTURE_KINDS:
            raise ValueError(f"unknown kind {_shown(kind)}")
        byteorder = _field(document, "byteorder", _OPTIONAL_STR)
        if byteorder not in (None, "little", "big"):
            raise ValueError(f"unknown byteorder {_shown(byteorder)}")
        origin = _field(document, "source", dict)
        created = datetime.datetime.fromisoformat(_field(document, "created", str))
        files = [_relative_path(name, "files") for name in _field(document, "files", list)]
        missing = [_relative_path(name, "missing") for name in _field(document, "missing", list)]
        pid = _field(origin, "pid", _OPTIONAL_INT)
        # Recorded since the capture format said who took a capture; absent from older
        # captures, which read as "not known".
        taken_by = document.get("taken_by")
        taken_by = {} if taken_by is None else _field(document, "taken_by", dict)
        uid = _field(taken_by, "uid", _OPTIONAL_INT)
        if uid is not None:
            uid = _number(uid, "uid", 0, MAX_PID)
        owner_notes = _field(document, "owner_notes", (list, type(None))) or []
        if not all(isinstance(note, str) and note for note in owner_notes):
            raise ValueError(f"'owner_notes' is {_shown(owner_notes)}, not a list of sentences")
        return CaptureManifest(
            kind=kind,
            created=created,
            hostname=_field(document, "hostname", _OPTIONAL_STR),
            kernel=_field(document, "kernel", _OPTIONAL_STR),
            machine=_field(document, "machine", _OPTIONAL_STR),
            byteorder=byteorder,
            netstatlib_version=_field(document, "netstatlib", _OPTIONAL_STR),
            root=_field(origin, "root", _OPTIONAL_STR),
            pid=None if pid is None else _pid(pid),
            executable=_field(origin, "executable", _OPTIONAL_STR),
            code_page=_field(origin, "code_page", _OPTIONAL_STR),
            files=tuple(files),
            missing=tuple(missing),
            processes=_field(document, "processes", bool),
            interface_attributes=_field(document, "interface_attributes", bool),
            uid=uid,
            user=_field(taken_by, "user", _OPTIONAL_STR),
            owners_complete=_optional_bool(document.get("owners_complete")),
            owner_notes=tuple(owner_notes),
            version=version,
        )
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"not a valid capture manifest: {exc}", source=source) from None


def now() -> datetime.datetime:
    """Now in UTC, to the millisecond the manifest keeps (so that the manifest a capture
    returns equals the one read back)."""
    moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def this_machine() -> tuple[str | None, str | None, str | None]:
    """Host name, kernel release (Windows: its version) and machine of this machine."""
    import platform  # captures only: `import netstatlib` does not pay for it

    uname = platform.uname()
    kernel = uname.version if sys.platform == "win32" else uname.release
    return (uname.node or socket.gethostname() or None, kernel or None, uname.machine or None)


def this_user() -> tuple[int | None, str | None]:
    """The effective user id of this process (``None`` on Windows) and its name, when it
    can be looked up."""
    if not hasattr(os, "geteuid"):
        import getpass

        try:
            return None, getpass.getuser() or None
        except (OSError, KeyError, ImportError):
            return None, None
    uid = os.geteuid()
    try:
        import pwd

        return uid, pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return uid, None


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


def process_map_from(source: Source) -> ProcessMap | None:
    """A source's ``processes.json``, or ``None`` when it has none (not a capture, or one
    taken without processes).

    ``{"processes": [{"pid": 812, "name": "sshd", "sockets": [23516, 23518]}, ...]}``,
    one process per line; ``sockets`` is absent in a Windows capture. A name that is not
    UTF-8 is stored as the surrogate escapes :func:`netstatlib.parsers.procfs.parse_comm`
    gives (``"\\udcff"``), which Python's ``json`` reads back as they were.
    """
    data = source.read(PROCESSES_FILE, optional=True)
    if data is None:
        return None
    return parse_process_map(data, source=source.location(PROCESSES_FILE))


def parse_process_map(data: bytes, *, source: str = "<string>") -> ProcessMap:
    """A ``processes.json`` read from ``data`` (see :func:`process_map_from`).

    Each pid is a whole number from 1 to :data:`~netstatlib.backends.MAX_PID` listed once,
    each socket an inode from 1 to :data:`MAX_INODE` listed once per process, each name a
    string or ``null``; anything else (and what :func:`parse_manifest` refuses of any
    JSON) raises :class:`~netstatlib.ParseError` naming ``source``: a pid listed twice
    would otherwise have its last name silently win.
    """
    document = _document(data, source=source, what="process map")
    owners: dict[int, list[int]] = {}
    names: dict[int, str | None] = {}
    try:
        for entry in _field(document, "processes", list):
            pid = _pid(_field(entry, "pid", int))
            if pid in names:
                raise ValueError(f"pid {pid} is listed twice")
            names[pid] = _field(entry, "name", _OPTIONAL_STR)
            held: set[int] = set()
            for value in _field(entry, "sockets", (list, type(None))) or ():
                inode = _number(value, f"socket of pid {pid}:", 1, MAX_INODE)
                if inode in held:
                    raise ValueError(f"socket {inode} is listed twice for pid {pid}")
                held.add(inode)
                owners.setdefault(inode, []).append(pid)
    except (ValueError, TypeError) as exc:
        raise ParseError(f"not a valid process map: {exc}", source=source) from None
    return ProcessMap(
        owners={inode: tuple(sorted(pids)) for inode, pids in owners.items()},
        names=names,
    )


def process_map_json(
    names: Mapping[int, str | None], owners: Mapping[int, tuple[int, ...]] | None
) -> bytes:
    """The ``processes.json`` of a capture: each process's name and, given ``owners``
    (Linux), the inodes of the sockets it holds. One process per line, sorted by pid."""
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


# -- interface attributes (Linux) -------------------------------------------------------


@attrs.frozen(kw_only=True)
class LinkAttributes:
    """What :class:`LinuxProcfs` knows about one interface besides its counters: one
    entry of a capture's ``links.json``. ``None`` where unknown.
    """

    mtu: int | None
    """The interface's MTU in bytes; goes into :attr:`InterfaceStats.mtu
    <netstatlib.InterfaceStats.mtu>`."""
    is_up: bool | None
    """Administratively up and with carrier; goes into :attr:`InterfaceStats.is_up
    <netstatlib.InterfaceStats.is_up>`."""
    speed_mbps: int | None
    """The link speed in Mbit/s; goes into :attr:`InterfaceStats.speed_mbps
    <netstatlib.InterfaceStats.speed_mbps>`."""
    index: int | None = None
    """The kernel's interface index (``ip link`` shows it first), kept in a capture for
    whoever reads it."""
    flags: int | None = None
    """The interface's ``IFF_*`` flags (``include/uapi/linux/if.h``: 1 up, 2 broadcast,
    8 loopback, 64 running, ...), kept in a capture for whoever reads it."""


def links_from(source: Source) -> dict[str, LinkAttributes] | None:
    """A source's ``links.json``; ``None`` when it has none.

    ``{"interfaces": {"eth0": {"mtu": 1500, "is_up": true, "speed_mbps": 1000,
    "index": 2, "flags": 4163}, ...}}``: the values the Linux backend gave on the captured
    host, ``null`` where unknown.
    """
    data = source.read(LINKS_FILE, optional=True)
    if data is None:
        return None
    return parse_links(data, source=source.location(LINKS_FILE))


def parse_links(data: bytes, *, source: str = "<string>") -> dict[str, LinkAttributes]:
    """A ``links.json`` read from ``data`` (see :func:`links_from`).

    Each value is ``null`` or in the range the kernel gives it (``mtu`` and ``flags``
    32-bit unsigned, ``speed_mbps`` from 1, ``index`` from 1); anything else (and what
    :func:`parse_manifest` refuses of any JSON) raises :class:`~netstatlib.ParseError`
    naming ``source``.
    """
    document = _document(data, source=source, what="links file")
    try:
        found: dict[str, LinkAttributes] = {}
        for name, values in _field(document, "interfaces", dict).items():
            if not name:
                raise ValueError("an interface has an empty name")
            if not isinstance(values, dict):
                raise TypeError(f"interface {_shown(name)} is {_shown(values)}")
            found[name] = LinkAttributes(
                mtu=_optional_number(values, "mtu", 0, _U32),
                is_up=_optional_bool(values.get("is_up")),
                speed_mbps=_optional_number(values, "speed_mbps", 1, _U32),
                index=_optional_number(values, "index", 1, 2**31 - 1),
                flags=_optional_number(values, "flags", 0, _U32),
            )
    except (ValueError, TypeError) as exc:
        raise ParseError(f"not a valid links file: {exc}", source=source) from None
    return found


def links_json(attributes: Mapping[str, LinkAttributes]) -> bytes:
    """The ``links.json`` of a capture: one line per interface, sorted by name."""
    lines = [
        f"  {json.dumps(name)}: {json.dumps(attrs.asdict(attributes[name]))}"
        for name in sorted(attributes)
    ]
    body = "\n" + ",\n".join(lines) + "\n" if lines else ""
    return ('{"interfaces": {' + body + "}}\n").encode()


_U32 = 0xFFFF_FFFF


def _optional_number(values: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = values.get(key)
    return None if value is None else _number(value, key, low, high)


def _optional_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"{value!r} is not true, false or null")


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


class Staging:
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

    def write_manifest(
        self, *, kind: str, created: datetime.datetime, **source: Any
    ) -> CaptureManifest:
        """Write ``manifest.json``, last: this machine, this netstatlib, every file written
        so far, and what the backend says of its source (``root``, ``pid``, ``missing``,
        ``processes``, ...). Returns the manifest."""
        hostname, kernel, machine = this_machine()
        uid, user = this_user()
        manifest = CaptureManifest(
            kind=kind,
            created=created,
            hostname=hostname,
            kernel=kernel,
            machine=machine,
            netstatlib_version=__version__,
            uid=uid,
            user=user,
            files=tuple(sorted(self.files)),
            **source,
        )
        self.write(MANIFEST_FILE, manifest_json(manifest))
        return manifest

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
def staged(folder: str | os.PathLike[str]) -> Iterator[Staging]:
    """A hidden sibling of ``folder`` to write into; renamed to ``folder`` when the
    block succeeds, removed with everything in it when it fails."""
    final = os.path.abspath(os.fspath(folder))
    parent, name = os.path.split(final)
    if not name:
        raise UsageError(f"cannot capture into {final!r}: give a folder name")
    _check_target(final)
    if not os.path.isdir(parent):
        raise SourceNotFoundError(f"cannot capture into {final}: no folder {parent}", path=parent)
    import shutil  # captures only: `import netstatlib` does not pay for these
    import tempfile

    try:
        staging = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent)  # mode 0700
    except OSError as exc:
        raise _write_error(f"create a folder in {parent}", exc) from exc
    try:
        writer = Staging(staging)
        yield writer
        writer.sync()
        _publish(staging, final)
    except BaseException:  # KeyboardInterrupt too: leave nothing half written behind
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_folder(parent)
