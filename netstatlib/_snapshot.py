"""Snapshots: the state of a host's networking at one moment, kept, saved and compared.

:func:`snapshot` asks a backend for the tables a monitor compares (sockets with their
owners, routes, interface counters, protocol counters) and records when: a UTC time for
people and a monotonic clock reading for intervals. :meth:`Snapshot.save` writes it as
JSON and :func:`load_snapshot` reads it back, so that yesterday's baseline, or another
machine's, can be compared with now (:func:`~netstatlib.diff`,
:func:`~netstatlib.rates`).

Strategy for the file: one JSON document, versioned (``"format"`` and ``"version"``),
written to a hidden file beside the target and renamed over it, so that a reader sees
the old file or the new one, never half of one. Reading takes the file as possibly
hostile: it is read as a capture's files are (a regular file of at most
:data:`~netstatlib._capture_format.MAX_JSON_SIZE` bytes, never a FIFO or a device),
parsed by the capture format's reader (size, nesting and repeated keys refused) and
checked field by field (``_record_json.py``); anything wrong is a
:class:`~netstatlib.ParseError` naming the file.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from ._capture_format import MAX_JSON_SIZE, _document, _shown, _write_error
from ._errors import (
    AccessDeniedError,
    NetstatError,
    ParseError,
    SourceNotFoundError,
    UnsupportedError,
    UsageError,
)
from ._model import Connection, InterfaceStats, ProtocolStats, Route
from ._query import connections, interface_stats, protocol_stats, resolve_kind, routes
from ._record_json import (
    decode_connection,
    decode_finite,
    decode_interface,
    decode_protocol,
    decode_route,
    encode_connection,
    encode_interface,
    encode_protocol,
    encode_route,
)
from ._sources import read_file
from ._table import Table
from ._tables import KINDS, SocketTable
from ._version import __version__
from .backends._base import Backend
from .backends._registry import get_backend

__all__ = ["FORMAT", "FORMAT_VERSION", "TABLES", "Snapshot", "load_snapshot", "snapshot"]

FORMAT = "netstatlib-snapshot"
FORMAT_VERSION = 1

TABLES = ("connections", "routes", "interfaces", "protocols")
"""The tables a snapshot can hold, by the name of its attribute."""

# The backend query behind each table (Capabilities names them so).
_QUERIES = {
    "connections": "connections",
    "routes": "routes",
    "interfaces": "interface_stats",
    "protocols": "protocol_stats",
}

# One name per socket table ("tcp4", "unix"): how a snapshot file lists them.
_TABLE_NAMES: dict[SocketTable, str] = {
    next(iter(tables)): name for name, tables in KINDS.items() if len(tables) == 1
}
_TABLES_BY_NAME = {name: table for table, name in _TABLE_NAMES.items()}


@attrs.frozen(kw_only=True, repr=False)
class Snapshot:
    """The state of a host's networking at one moment (see :func:`snapshot`).

    A table the snapshot was not asked for, or that the backend cannot list, is
    ``None``; :attr:`notes` says why of the second kind. Snapshots compare equal when
    every field does, and one read back by :func:`load_snapshot` equals the one saved.
    """

    taken_at: datetime.datetime
    """When it was taken, in UTC (for people and for snapshots of different machines)."""
    monotonic: float
    """The monotonic clock (``time.monotonic()``) when it was taken: intervals between
    two snapshots with the same :attr:`clock_id` come from it."""
    clock_id: str | None
    """Which monotonic clock :attr:`monotonic` read. On Linux it is the kernel's boot id
    (``/proc/sys/kernel/random/boot_id``): every process of one boot reads the same
    clock, and the kernel's socket cookies of two snapshots with the same boot id name
    the same sockets. Elsewhere it names the process that took the snapshot."""
    host: str | None
    """The host name of the machine that took it."""
    backend: str
    """The name of the backend that answered (``"linux"``, ``"windows"``, ...)."""
    counter_width: int
    """The width in bits of the counters: 32 for Windows ``netstat`` output, whose
    counters wrap around at 2**32, else 64. :func:`~netstatlib.rates` reads a counter
    that went down as wrapped when it is 32 bits wide, as reset otherwise."""
    socket_tables: frozenset[SocketTable] | None
    """The socket tables :attr:`connections` lists (``kind=`` of :func:`snapshot`);
    ``None`` without connections."""
    processes: bool
    """Whether the owners of sockets were looked up."""
    details: bool
    """Whether sockets carry their :class:`~netstatlib.SocketDetails` (``tcp_info``)."""
    connections: Table[Connection] | None
    """The sockets of :attr:`socket_tables`, in every state, with their owners."""
    routes: Table[Route] | None
    """The routing table."""
    interfaces: Table[InterfaceStats] | None
    """The counters of every interface."""
    protocols: Table[ProtocolStats] | None
    """The protocol counters (``netstat -s``), one record per group."""
    complete: bool
    """Whether everything asked for is there: ``False`` when a table could not be listed
    or owners could not be read (:attr:`notes` says which)."""
    notes: tuple[str, ...] = ()
    """What is missing and why, one sentence each."""

    @property
    def tables(self) -> tuple[str, ...]:
        """The names of the tables this snapshot holds, in :data:`TABLES` order."""
        return tuple(name for name in TABLES if getattr(self, name) is not None)

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(getattr(self, name))} {name}" for name in self.tables)
        host = f" of {self.host!r}" if self.host is not None else ""
        when = self.taken_at.isoformat(timespec="milliseconds")
        incomplete = ", incomplete" if not self.complete else ""
        return f"<Snapshot{host} by {self.backend} at {when}: {counts or 'no tables'}{incomplete}>"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the snapshot to ``path`` as JSON (replacing a file already there, in one
        step: a reader sees the old file or the new one). The file is readable by its
        owner only: it names processes and peers. Read it back with
        :func:`load_snapshot`, with this version of netstatlib or a later one."""
        _write_atomically(os.fspath(path), snapshot_json(self))


def _included(include: str | Iterable[str] | None) -> tuple[tuple[str, ...], bool]:
    """The tables to take, and whether the caller named them."""
    if include is None:
        return TABLES, False
    names = [include] if isinstance(include, str) else include
    try:
        wanted = set(names)
    except TypeError:
        raise UsageError(
            f"include must name tables of {', '.join(TABLES)}, not {include!r}"
        ) from None
    unknown = sorted(str(name) for name in wanted if name not in TABLES)
    if unknown:
        raise UsageError(f"unknown table {unknown[0]!r}; a snapshot holds {', '.join(TABLES)}")
    if not wanted:
        raise UsageError(f"include names no table; a snapshot holds {', '.join(TABLES)}")
    return tuple(name for name in TABLES if name in wanted), True


def snapshot(
    include: str | Iterable[str] | None = None,
    *,
    kind: str | Iterable[str] = "inet",
    processes: bool = True,
    details: bool = False,
    backend: Backend | str | None = None,
) -> Snapshot:
    """The host's networking now: sockets with their owners, routes, interface counters
    and protocol counters, with the time.

    ``include`` names the tables to take (``"connections"``, ``"routes"``,
    ``"interfaces"``, ``"protocols"``, or an iterable of them); a table the backend
    cannot list then raises :class:`~netstatlib.UnsupportedError`. By default every
    table the backend can list is taken, and one it cannot is ``None`` with a note.
    ``kind``, ``processes`` and ``details`` are those of
    :func:`~netstatlib.connections`: ``details=True`` (the Linux backend on a live
    host) gives each TCP socket its ``tcp_info``, which
    :func:`~netstatlib.rates` needs for throughput per connection and per process.

    The counters are read first, next to the clock readings, then the sockets, then the
    routes: consecutive snapshots of the same tables are spaced as their readings are.
    :attr:`Snapshot.complete` is ``False`` when something asked for is missing: a
    table the backend cannot list, or anything a table's own
    :attr:`~netstatlib.Table.notes` say (owners that could not be read, as a process
    of another user, when not root), each note prefixed with its table's name.
    """
    wanted, named = _included(include)
    source = get_backend(backend)
    tables = resolve_kind(kind) if "connections" in wanted else None
    notes: list[str] = []
    taken: dict[str, Table[Any] | None] = dict.fromkeys(TABLES)
    readers: dict[str, Callable[[], Table[Any]]] = {
        "interfaces": lambda: interface_stats(backend=source),
        "protocols": lambda: protocol_stats(backend=source),
        "connections": lambda: connections(
            kind, processes=processes, details=details, backend=source
        ),
        "routes": lambda: routes(backend=source),
    }
    taken_at = datetime.datetime.now(datetime.timezone.utc)
    monotonic = time.monotonic()
    for name in readers:
        if name not in wanted:
            continue
        if not source.capabilities.supports(_QUERIES[name]):
            if named:
                raise UnsupportedError(f"the {source.name} backend cannot list {name}")
            notes.append(f"{name}: the {source.name} backend cannot list them")
            continue
        try:
            taken[name] = readers[name]()
        except UnsupportedError as exc:
            if named or name == "connections":  # details=True, kind=: the caller's choice
                raise
            notes.append(f"{name}: {exc}")
    rows = taken["connections"]
    if rows is not None and processes and not source.capabilities.processes:
        notes.append(f"owners: the {source.name} backend cannot name the processes of sockets")
    # What each table says it is missing (Table.notes): the one account of owners that
    # could not be read, tables a backend could not see, processes gone mid-walk.
    for name, table in taken.items():
        if table is not None:
            notes.extend(f"{name}: {note}" for note in table.notes)
    return Snapshot(
        taken_at=taken_at,
        monotonic=monotonic,
        clock_id=_clock_id(),
        host=socket.gethostname() or None,
        backend=source.name,
        counter_width=32 if source.name.removeprefix("captured-") == "windows" else 64,
        socket_tables=tables if rows is not None else None,
        processes=processes,
        details=details,
        connections=rows,
        routes=taken["routes"],
        interfaces=taken["interfaces"],
        protocols=taken["protocols"],
        complete=not notes,
        notes=tuple(notes),
    )


_PROCESS_CLOCK = f"process-{os.urandom(8).hex()}"


def _clock_id() -> str:
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/sys/kernel/random/boot_id", "rb") as handle:
                boot_id = handle.read().decode("ascii").strip()
        except (OSError, UnicodeDecodeError):
            boot_id = ""
        if boot_id:
            return f"boot-{boot_id}"
    return _PROCESS_CLOCK


# -- the file ------------------------------------------------------------------------------


def snapshot_json(shot: Snapshot) -> bytes:
    """The JSON document of a snapshot: its fields, then its tables, one record a line."""
    head: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "netstatlib": __version__,
        "taken_at": shot.taken_at.isoformat(),
        "monotonic": shot.monotonic,
        "clock_id": shot.clock_id,
        "host": shot.host,
        "backend": shot.backend,
        "counter_width": shot.counter_width,
        "processes": shot.processes,
        "details": shot.details,
        "complete": shot.complete,
        "notes": list(shot.notes),
        "socket_tables": (
            None
            if shot.socket_tables is None
            else sorted(_TABLE_NAMES[table] for table in shot.socket_tables)
        ),
    }
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in head.items()]
    encoders: dict[str, Callable[[Any], dict[str, Any]]] = {
        "connections": encode_connection,
        "routes": encode_route,
        "interfaces": encode_interface,
        "protocols": encode_protocol,
    }
    for name, encode in encoders.items():
        table = getattr(shot, name)
        if table is None:
            lines.append(f"  {json.dumps(name)}: null")
        elif not table:
            lines.append(f"  {json.dumps(name)}: []")
        else:
            rows = ",\n".join(f"    {json.dumps(encode(row))}" for row in table)
            lines.append(f"  {json.dumps(name)}: [\n{rows}\n  ]")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode()


def _write_atomically(path: str, data: bytes) -> None:
    import tempfile  # saving only: `import netstatlib` does not pay for it

    name = os.path.basename(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not name or name in (".", ".."):
        raise UsageError(f"cannot save a snapshot as {path!r}: give a file name")
    try:
        handle, staging = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _write_error(f"save a snapshot in {folder}", exc) from exc
    try:
        with open(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(staging, path)
    except BaseException as exc:  # KeyboardInterrupt too: leave no hidden file behind
        with contextlib.suppress(OSError):
            os.unlink(staging)
        if isinstance(exc, OSError):
            raise _write_error(f"save the snapshot as {path}", exc) from exc
        raise


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """The snapshot :meth:`Snapshot.save` wrote to ``path``.

    The file is taken as possibly hostile: anything but a snapshot file of this
    netstatlib's format (not JSON, larger than 64 MiB, nested too deeply, a field
    missing, unknown or of the wrong type, a number out of range, a record that
    contradicts the snapshot, a FIFO or a device instead of a file) raises
    :class:`~netstatlib.ParseError` naming ``path``; so does a file written by a newer
    netstatlib in a version of the format this one does not read. A file that does not
    exist raises :class:`~netstatlib.SourceNotFoundError`, one that cannot be read
    :class:`~netstatlib.AccessDeniedError`.
    """
    where = os.fspath(path)
    try:
        data = read_file(where, limit=MAX_JSON_SIZE)
    except (FileNotFoundError, NotADirectoryError):
        raise SourceNotFoundError(f"{where} does not exist", path=where) from None
    except PermissionError as exc:
        raise AccessDeniedError(f"cannot read {where}: {exc.strerror}", path=where) from exc
    except OSError as exc:
        raise NetstatError(f"cannot read {where}: {exc.strerror or exc}") from exc
    return parse_snapshot(data, source=where)


_HEAD_KEYS = frozenset(
    {
        "format",
        "version",
        "netstatlib",
        "taken_at",
        "monotonic",
        "clock_id",
        "host",
        "backend",
        "counter_width",
        "processes",
        "details",
        "complete",
        "notes",
        "socket_tables",
        *TABLES,
    }
)


def parse_snapshot(data: bytes, *, source: str = "<string>") -> Snapshot:
    """The snapshot a document written by :meth:`Snapshot.save` holds; ``source`` names
    it in errors (see :func:`load_snapshot`)."""
    document = _document(data, source=source, what="snapshot", unique_keys=True)
    if document.get("format") != FORMAT:
        raise ParseError(f"not a {FORMAT} file", source=source)
    try:
        version = document.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"version {_shown(version)} is not 1 or more")
        if version > FORMAT_VERSION:
            raise ParseError(
                f"snapshot format version {version} is newer than this netstatlib reads "
                f"({FORMAT_VERSION}): upgrade netstatlib",
                source=source,
            )
        return _snapshot_from(document)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"not a valid snapshot: {exc}", source=source) from None


def _member(document: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in document:
        raise ValueError(f"{key!r} is missing")
    value = document[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise TypeError(f"{key!r} is {_shown(value)}")
    return value


_OPTIONAL_STR = (str, type(None))
_OPTIONAL_LIST = (list, type(None))


def _finite_number(value: object, what: str) -> float:
    number: float = decode_finite(value, what)
    return number


def _snapshot_from(document: dict[str, Any]) -> Snapshot:
    unknown = sorted(document.keys() - _HEAD_KEYS)
    if unknown:
        raise ValueError(f"unknown member {_shown(unknown[0])}")
    _member(document, "netstatlib", _OPTIONAL_STR)
    taken_at = datetime.datetime.fromisoformat(_member(document, "taken_at", str))
    if taken_at.utcoffset() != datetime.timedelta(0):
        raise ValueError(f"'taken_at' is {_shown(document['taken_at'])}, not a time in UTC")
    taken_at = taken_at.astimezone(datetime.timezone.utc)
    monotonic = _finite_number(_member(document, "monotonic", (int, float)), "'monotonic'")
    width = _member(document, "counter_width", int)
    if width not in (32, 64):
        raise ValueError(f"'counter_width' is {_shown(width)}, not 32 or 64")
    notes = _member(document, "notes", list)
    if not all(isinstance(note, str) and note for note in notes):
        raise TypeError(f"'notes' is {_shown(notes)}, not a list of sentences")
    processes = _member(document, "processes", bool)
    details = _member(document, "details", bool)
    names = _member(document, "socket_tables", _OPTIONAL_LIST)
    tables: frozenset[SocketTable] | None = None
    if names is not None:
        if not all(isinstance(name, str) and name in _TABLES_BY_NAME for name in names):
            raise ValueError(f"'socket_tables' is {_shown(names)}: not socket table names")
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"'socket_tables' is {_shown(names)}: empty, or a table twice")
        tables = frozenset(_TABLES_BY_NAME[name] for name in names)
    rows = _member(document, "connections", _OPTIONAL_LIST)
    if (rows is None) != (tables is None):
        raise ValueError("'connections' and 'socket_tables' must be given together")
    found: dict[str, Table[Any] | None] = {}
    decoders: dict[str, Callable[[object, str], Any]] = {
        "connections": decode_connection,
        "routes": decode_route,
        "interfaces": decode_interface,
        "protocols": decode_protocol,
    }
    for name, decode in decoders.items():
        values = _member(document, name, _OPTIONAL_LIST)
        found[name] = (
            None
            if values is None
            else Table(decode(value, f"{name}[{index}]") for index, value in enumerate(values))
        )
    for index, row in enumerate(found["connections"] or ()):
        assert tables is not None
        _check_connection(row, index, tables)
    return Snapshot(
        taken_at=taken_at,
        monotonic=monotonic,
        clock_id=_member(document, "clock_id", _OPTIONAL_STR),
        host=_member(document, "host", _OPTIONAL_STR),
        backend=_member(document, "backend", str),
        counter_width=width,
        socket_tables=tables,
        processes=processes,
        details=details,
        connections=found["connections"],
        routes=found["routes"],
        interfaces=found["interfaces"],
        protocols=found["protocols"],
        complete=_member(document, "complete", bool),
        notes=tuple(notes),
    )


def _check_connection(row: Connection, index: int, tables: frozenset[SocketTable]) -> None:
    """A socket must be of a table the snapshot lists: a diff compares the sockets of
    the tables both snapshots list."""
    if row.family is None:  # Windows, both endpoints printed as names
        if any(protocol is row.protocol for protocol, _ in tables):
            return
    elif (row.protocol, row.family) in tables:
        return
    raise ValueError(f"connections[{index}] is of a socket table not in 'socket_tables'")
