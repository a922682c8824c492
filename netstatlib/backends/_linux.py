"""The Linux backend: reads ``/proc`` (and ``/sys/class/net``) through a source and hands
the text to the parsers."""

from __future__ import annotations

import functools
import os
import socket
import sys
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import attrs

from .._errors import NetstatError, ParseError, UnsupportedError, UsageError
from .._model import Connection, InterfaceStats, Protocol, ProtocolStats, Route, TcpState
from .._partial import report_incomplete
from .._sources import FolderSource, NamespaceId, OwnerWalk, Source, network_namespace
from .._tables import SocketTable
from ..parsers import procfs
from ..parsers.procfs import ByteOrder
from ._capabilities import Capabilities, all_fields
from ._socket_query import SocketQuery

if TYPE_CHECKING:
    from .._capture_format import CaptureManifest, LinkAttributes, ProcessMap
    from ._netlink import DiagEngine

# The capture format (netstatlib/_capture_format.py) is imported where it is used, on
# first use: a program that queries the live /proc never reads a manifest or writes a
# capture, and `import netstatlib` does not pay for the format's classes.

__all__ = [
    "ENGINES",
    "NET_FILES",
    "OTHER_SOCKET_LISTINGS",
    "SOCKET_FILES",
    "Engine",
    "LinuxProcfs",
]

Engine = Literal["auto", "netlink", "procfs"]
ENGINES: tuple[Engine, ...] = ("auto", "netlink", "procfs")
"""What ``LinuxProcfs(engine=...)`` takes: ``auto`` (netlink for the live host, ``/proc``
text for a capture and where netlink is refused), ``netlink`` (the kernel or an
error), ``procfs`` (``/proc/net`` text always)."""

_INET = socket.AddressFamily.AF_INET
_INET6 = socket.AddressFamily.AF_INET6
_UNIX = socket.AddressFamily.AF_UNIX

# The file under <root>/net/ for each socket table, in the order rows are returned, and
# whether the file may be absent (no IPv6, UDP-Lite compiled out) without it being an error.
SOCKET_FILES: Mapping[SocketTable, tuple[str, bool]] = MappingProxyType(
    {
        (Protocol.TCP, _INET): ("tcp", False),
        (Protocol.TCP, _INET6): ("tcp6", True),
        (Protocol.UDP, _INET): ("udp", False),
        (Protocol.UDP, _INET6): ("udp6", True),
        (Protocol.UDPLITE, _INET): ("udplite", True),
        (Protocol.UDPLITE, _INET6): ("udplite6", True),
        (Protocol.RAW, _INET): ("raw", False),
        (Protocol.RAW, _INET6): ("raw6", True),
        (Protocol.UNIX, _UNIX): ("unix", True),
    }
)
"""The ``/proc/net`` file of each socket table, as ``(Protocol, family)`` to ``(file
name, optional)``: ``(Protocol.TCP, AF_INET6)`` is ``("tcp6", True)``. An optional file
may be absent (IPv6 disabled, UDP-Lite compiled out, an incomplete capture) and then
lists no socket; a missing required file raises
:class:`~netstatlib.SourceNotFoundError`. Listed in the order rows are returned."""

# Files under <root>/net/ that list other sockets with their inodes (ping, netlink and
# packet sockets): read, with the socket tables, only to tell forged rows of
# /proc/net/unix (procfs.parse_unix_sockets); absent from captures, and never required.
OTHER_SOCKET_LISTINGS = ("icmp", "icmp6", "netlink", "packet")

# Every other file under <root>/net/ that a query reads, and whether it may be absent
# (IPv6 disabled, an old kernel) without it being an error.
NET_FILES: Mapping[str, bool] = MappingProxyType(
    {
        "route": False,
        "ipv6_route": True,
        "dev": False,
        "snmp": False,
        "netstat": True,
        "snmp6": True,
    }
)
"""The other files under ``<root>/net/`` that queries read, each mapped to whether it
may be absent (``True``: IPv6 disabled, an older kernel) without it being an error:
``route`` and ``ipv6_route`` for :func:`~netstatlib.routes`, ``dev`` for
:func:`~netstatlib.interface_stats`, ``snmp``, ``netstat`` and ``snmp6`` for
:func:`~netstatlib.protocol_stats`."""

_NATIVE: ByteOrder = "little" if sys.byteorder == "little" else "big"

# Bits of /sys/class/net/<dev>/flags (include/uapi/linux/if.h).
_IFF_UP = 0x1


def _read_sysfs_int(path: str) -> int | None:
    """An integer attribute of /sys/class/net, or None when the device does not have it.

    sysfs answers EINVAL for attributes that do not apply (``speed`` of a virtual device,
    ``carrier`` of a device that is down) and some drivers print -1 for an unknown speed.
    """
    try:
        with open(path, "rb") as handle:
            text = handle.read().strip()
        return int(text, 0)
    except (OSError, ValueError):
        return None


class LinuxProcfs:
    """Answers every query from the Linux ``/proc`` filesystem.

    ``root`` is the ``/proc`` to read: the live one (default), a host's ``/proc`` mounted
    into a container, or a folder holding a captured copy of the files. ``source``
    replaces ``root`` with any :class:`~netstatlib.backends.Source` (files held in
    memory, for instance). With ``pid``, the network files come from
    ``<root>/<pid>/net/``, which is that process's network namespace.
    ``sys_class_net`` says where interface attributes (MTU, up, speed) come from: a
    folder laid out like ``/sys/class/net``; ``None`` for nowhere; ``"auto"`` (the
    default) asks the kernel for this process's own namespace (``ioctl`` for MTU and
    up, ``/sys/class/net`` for the speed once it is shown to be this namespace's), reads
    a capture's own ``links.json``, and leaves the fields ``None`` for another
    namespace. ``byteorder`` is the byte order of the machine the files came from: by
    default the one a capture's ``manifest.json`` records, else this machine's.

    Process owners are found by one walk of ``<root>/*/fd`` per query, only when asked and
    only if some row survived the filters; processes that exit or cannot be read during
    the walk are skipped. A capture (:meth:`capture`) holds the result of that walk in
    ``processes.json``, which is then read instead.
    """

    name = "linux"
    """The backend's name, as ``backend=`` and ``NETSTATLIB_BACKEND`` take it."""
    capabilities = Capabilities(
        tables=SOCKET_FILES,
        processes=True,
        fields={
            "connections": all_fields(
                "connections", without=("local_name", "remote_name", "components")
            ),
            "routes": all_fields(
                "routes", without=("interface_address", "interface_index", "persistent")
            ),
            "interface_stats": all_fields(
                "interface_stats",
                without=(
                    "rx_unicast_packets",
                    "rx_non_unicast_packets",
                    "tx_unicast_packets",
                    "tx_non_unicast_packets",
                    "rx_unknown_protocols",
                ),
            ),
            "protocol_stats": all_fields("protocol_stats"),
        },
        notes="Asks the kernel over netlink (sock_diag, as ss does) for the live host's "
        "sockets, filtered in the kernel, with their cookies and, on request, tcp_info; "
        "reads /proc/net text for a captured folder and where netlink is refused, and "
        "/proc/net and /sys/class/net for the rest. Every socket table, with all the "
        "processes that hold each socket.",
        hints={"tables", "states", "process_free", "conditions"},
    )
    """Every query, every socket table and every field but the Windows-only ones, with
    owners, and every hint of a socket query."""

    def __init__(
        self,
        root: str | os.PathLike[str] = "/proc",
        *,
        pid: int | None = None,
        sys_class_net: str | os.PathLike[str] | None = "auto",
        byteorder: ByteOrder | None = None,
        source: Source | None = None,
        engine: Engine = "auto",
    ) -> None:
        if engine not in ENGINES:
            raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        if pid is not None and (not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0):
            raise UsageError(f"pid must be a positive int, not {pid!r}")
        if byteorder not in (None, "little", "big"):
            raise UsageError(f"byteorder must be 'little' or 'big', not {byteorder!r}")
        if source is None:
            source = FolderSource(root)
        elif os.fspath(root) != "/proc":
            raise UsageError("give LinuxProcfs a root or a source, not both")
        elif not isinstance(source, Source):
            raise UsageError(f"source must be a Source, not {type(source).__name__}")
        self.source = source
        """The :class:`~netstatlib.backends.Source` the files are read from (a
        :class:`~netstatlib.backends.FolderSource` of ``root`` unless one was given)."""
        self.root = source.name
        """The source's name: the ``/proc`` folder read, or a label for another source."""
        self.pid = pid
        """The process whose network namespace is read (``<root>/<pid>/net/``); ``None``
        for the namespace of ``<root>/net`` itself (this process's, on the live host)."""
        self._sys_class_net = sys_class_net
        self._byteorder: ByteOrder | None = byteorder
        self._net = "net" if pid is None else f"{pid}/net"
        self.net_dir = source.location(self._net)
        """Where the network files are, as messages name it (``/proc/net``,
        ``/proc/812/net``)."""
        if engine == "netlink" and not source.is_live:
            raise UsageError(
                f"engine='netlink' asks the running kernel; {source.name} is not the live "
                "/proc (a capture is read as text)"
            )
        self._engine_choice = engine
        self._diag: DiagEngine | None = None
        self._engine_reason: str | None = None
        self._resolved = False

    @classmethod
    def recognises_capture(cls, source: Source) -> bool:
        """Whether a source without a manifest looks like a ``/proc`` copy (a ``net/``
        folder)."""
        return bool(source.listdir("net"))

    @classmethod
    def open_capture(cls, source: Source) -> LinuxProcfs:
        """The backend answering every query from a Linux capture."""
        return cls(source=source)

    @property
    def byteorder(self) -> ByteOrder:
        """The byte order the files are read in: the one given, else the one a capture's
        manifest records (looked up on first use: making a backend reads nothing), else
        this machine's."""
        if self._byteorder is None:
            recorded = None
            if not self.source.is_live:
                from .._capture_format import optional_manifest

                manifest = optional_manifest(self.source)
                recorded = manifest.byteorder if manifest is not None else None
            native: ByteOrder = "little" if sys.byteorder == "little" else "big"
            self._byteorder = recorded or native
        return self._byteorder

    def __repr__(self) -> str:
        pid = f", pid={self.pid}" if self.pid is not None else ""
        engine = f", engine={self._engine_choice!r}" if self._engine_choice != "auto" else ""
        return f"LinuxProcfs(root={self.root!r}{pid}{engine})"

    # -- the socket engine -----------------------------------------------------------

    @property
    def engine(self) -> str:
        """What answers socket queries: ``"netlink"`` (the kernel's socket diagnostics,
        for the live host) or ``"procfs"`` (the text of ``/proc/net``, for a capture,
        and where netlink is refused: :attr:`engine_reason` says why). Found out on
        first use, with one small request to the kernel."""
        return "netlink" if self._netlink() is not None else "procfs"

    @property
    def engine_reason(self) -> str | None:
        """Why socket queries are answered from ``/proc/net`` text; ``None`` when
        netlink answers them."""
        self._netlink()
        return self._engine_reason

    def _netlink(self, *, probe: bool = True) -> DiagEngine | None:
        """The netlink engine if socket queries use it, else None (resolved once).

        ``probe`` asks the kernel once to find out; a socket query does not (its own
        request finds out, and a refusal there falls back to /proc text), so that a
        query costs no extra request.
        """
        if self._resolved:
            return self._diag
        if self._engine_choice == "procfs":
            self._text_engine("engine='procfs' was asked for")
            return None
        if not self.source.is_live:
            self._text_engine(f"{self.source.name} is a capture, not the live /proc")
            return None
        namespace = None
        if self.pid is not None and not self._reads_own_namespace():
            namespace = self.source.location(f"{self.pid}/ns/net")
        # The engine loads with the first live socket query: a program that reads only
        # captures, routes or counters does not import it.
        from ._netlink import DiagEngine, NetlinkUnavailableError

        diag = DiagEngine(namespace)
        if probe:
            try:
                diag.probe()
            except NetlinkUnavailableError as exc:
                if self._engine_choice == "netlink":
                    raise  # unresolved: with engine="netlink" every query raises
                self._text_engine(f"netlink is not available here: {exc}")
                return None
        self._resolved = True
        self._diag = diag
        return diag

    def _text_engine(self, reason: str) -> None:
        """Answer socket queries from /proc/net text from now on, for ``reason``."""
        self._resolved = True
        self._diag = None
        self._engine_reason = reason

    # -- sockets ---------------------------------------------------------------------

    def connections(self, query: SocketQuery) -> list[Connection]:
        """Rows of the query's socket tables.

        The live host's sockets come from the kernel over netlink (:attr:`engine`), which
        is asked only for the states the query can keep and, through inet_diag bytecode,
        only for sockets passing the filter's port and address conditions; rows of one
        protocol come together (TCP's IPv4 and IPv6 rows in the kernel's order). A
        capture's come from its ``/proc/net`` text, in table order, rows in other states
        skipped while the text is parsed. Either way, the query's early test (listening,
        the process-free part of the filter) is applied before process owners are
        looked up, so a row it drops costs no process lookup; owners are looked up only
        when the query wants them.

        ``query.details`` needs the netlink engine: on ``/proc`` text it raises
        :class:`~netstatlib.UnsupportedError` saying why netlink is not used.
        """
        rows: list[Connection] = []
        if query.matches_nothing:
            return rows
        diag = self._netlink(probe=False)
        text_tables: Collection[SocketTable] = query.tables
        if diag is not None:
            from ..parsers.sockdiag import ROW_MEMORY
            from ._netlink import NetlinkUnavailableError

            try:
                rows, text_tables = diag.sockets(
                    query.tables,
                    states=query.states,
                    bytecode=_bytecode(query),
                    details=query.details,
                    # Records given owners are completed in place (_attach_processes):
                    # only records nobody completes may be shared with a past listing.
                    memory=None if query.processes else ROW_MEMORY.get(),
                )
                if text_tables:
                    shown = ", ".join(
                        sorted(
                            SOCKET_FILES[table][0] for table in text_tables if table in SOCKET_FILES
                        )
                    )
                    report_incomplete(
                        f"This kernel has no socket diagnostics for {shown} (for raw "
                        "sockets, the raw_diag module is not loaded): those sockets were read "
                        "from /proc/net text and have no socket cookie."
                    )
            except NetlinkUnavailableError as exc:
                if self._engine_choice == "netlink":
                    self._resolved = False  # every query asks again, and raises
                    raise
                self._text_engine(f"netlink is not available here: {exc}")
                diag = None
        if diag is None and query.details:
            raise UnsupportedError(
                "socket details (details=True) come from the kernel's socket diagnostics; "
                f"this backend reads /proc/net text because {self._engine_reason}"
            )
        read: dict[str, bytes | None] = {}  # the files this query read, by name
        for table, (filename, optional) in SOCKET_FILES.items():
            if table not in text_tables:
                continue
            rows.extend(self._text_sockets(table, filename, optional, query.states, read))
        keep = query.early_test()
        if keep is not None:
            rows = [row for row in rows if keep(row)]
        if query.processes and rows:
            self._attach_processes(rows)
        return rows

    def _text_sockets(
        self,
        table: SocketTable,
        filename: str,
        optional: bool,
        states: Collection[TcpState | None] | None,
        read: dict[str, bytes | None],
    ) -> list[Connection]:
        """The rows of one ``/proc/net`` socket file (none if an optional one is absent).

        A socket the kernel listed twice is returned once. A UNIX row is checked against
        the inodes every other listing names (:meth:`_other_socket_inodes`), so that a
        row forged inside a socket path cannot name another table's socket (see
        :func:`~netstatlib.parsers.procfs.parse_unix_sockets`). ``read`` keeps the
        files read, for that check.
        """
        protocol, family = table
        data = read[filename] = self.source.read(f"{self._net}/{filename}", optional=optional)
        if data is None:
            return []
        path = self._net_location(filename)
        if protocol is Protocol.UNIX:
            return procfs.parse_unix_sockets(
                data, source=path, other_inodes=self._other_socket_inodes(read)
            )
        return procfs.parse_inet_sockets(
            data,
            protocol=protocol,
            family=family,
            source=path,
            byteorder=self.byteorder,
            states=states,
        )

    def _other_socket_inodes(self, read: Mapping[str, bytes | None]) -> set[int]:
        """The inodes of the sockets every listing but ``unix`` names: the socket tables
        (those in ``read`` as read, the others read now) and :data:`OTHER_SOCKET_LISTINGS`.
        A file the source lacks names none."""
        inodes: set[int] = set()
        names = [name for name, _ in SOCKET_FILES.values() if name != "unix"]
        for name in (*names, *OTHER_SOCKET_LISTINGS):
            if name in read:
                data = read[name]
            else:
                data = self.source.read(f"{self._net}/{name}", optional=True)
            if data is not None:
                inodes |= procfs.parse_socket_inodes(data, source=self._net_location(name))
        return inodes

    def _attach_processes(self, rows: list[Connection]) -> None:
        owners: Mapping[int, tuple[int, ...]] | None = {}
        name_of = self.process_name
        complete = True
        # Rows without an inode (TIME_WAIT, SYN_RECV) belong to no process: no walk then.
        # The walk keeps the rows' sockets only: at 100k rows the set costs 10 ms of a
        # 2.2 s query, and whether all or 1 in 12 of the rows were kept, queries with and
        # without it differed by less than the noise (benchmarks/bench_owner_walk.py).
        if any(row.inode for row in rows):
            captured = self._process_map()
            wanted = {row.inode for row in rows if row.inode}
            if type(self).socket_owners is not LinuxProcfs.socket_owners:
                # A subclass that answers socket_owners() itself (a made-up process
                # table) says only what it found.
                walk = OwnerWalk(owners=self.socket_owners(wanted))
            else:
                walk = self.owner_walk(wanted)
            owners = walk.owners
            if owners is not None and not walk.complete:
                # Said only where it matters: some socket has no owner that could be read.
                unknown = sum(1 for row in rows if row.inode and row.inode not in owners)
                complete = not unknown
            if owners is None or not complete:
                for note in owner_notes(
                    walk, self._capture_manifest(), source_is_live=self.source.is_live
                ):
                    report_incomplete(note, owners=True)
            if captured is not None:  # a capture: the names, as they were then
                name_of = captured.name
        if owners is None:
            return  # no process could be inspected: owners stay unknown (None)
        names: dict[int, str | None] = {}
        # A socket no inspected process holds has no owner only when every process that
        # could hold it was inspected; else its owner is unknown.
        no_owner: tuple[int, ...] | None = () if complete else None
        get = owners.get
        # The rows were created by this query and nobody else holds them yet: storing two
        # fields through the slot descriptors is far cheaper than rebuilding every record.
        slots = Connection.__dict__
        set_pids = slots["pids"].__set__
        set_process = slots["process"].__set__
        for row in rows:
            inode = row.inode
            pids = get(inode, no_owner) if inode else ()
            name = None
            if pids:
                first = pids[0]
                try:
                    name = names[first]
                except KeyError:
                    name = names[first] = name_of(first)
            set_pids(row, pids)
            set_process(row, name)

    def _capture_manifest(self) -> CaptureManifest | None:
        if self.source.is_live:
            return None
        from .._capture_format import optional_manifest

        return optional_manifest(self.source)

    def owner_walk(self, inodes: Collection[int] | None = None) -> OwnerWalk:
        """The owners of sockets (:meth:`socket_owners`) with what the walk could not
        see (:class:`~netstatlib.backends.OwnerWalk`): processes it was not allowed to
        inspect, processes that exited during it, a ``/proc`` that hides processes
        (``hidepid``). For a capture, the walk that was made when it was taken, as its
        manifest records it."""
        captured = self._process_map()
        if captured is not None:
            found = captured.owners
            if inodes is not None:
                found = {inode: pids for inode, pids in found.items() if inode in inodes}
            else:
                found = dict(found)
            manifest = self._capture_manifest()
            incomplete = manifest is not None and manifest.owners_complete is False
            # The counts are not recorded: one stands for "some", the notes say which.
            return OwnerWalk(owners=found, denied=1 if incomplete else 0)
        if (
            isinstance(self.source, FolderSource)
            and type(self.source).socket_owners is FolderSource.socket_owners
        ):
            return self.source.owner_walk(namespace=self._read_namespace(), inodes=inodes)
        # Any other source says only what it found.
        return OwnerWalk(
            owners=self.source.socket_owners(namespace=self._read_namespace(), inodes=inodes)
        )

    def _process_map(self) -> ProcessMap | None:
        """A capture's ``processes.json``; never looked for in the live ``/proc``."""
        if self.source.is_live:
            return None
        from .._capture_format import process_map_from

        return process_map_from(self.source)

    def socket_owners(
        self, inodes: Collection[int] | None = None
    ) -> dict[int, tuple[int, ...]] | None:
        """Map socket inode to the sorted pids holding it, by one walk of ``<root>/*/fd``.

        With ``inodes``, only those sockets are reported. Processes that vanish or cannot
        be read mid-walk are skipped: that is normal on a live host (:meth:`owner_walk`
        says how many). In the live ``/proc``, so are processes known to be in another
        network namespace than the one read
        (:meth:`~netstatlib.backends.Source.socket_owners`). ``None`` means no process
        could be inspected at all (a captured ``/proc`` without process folders), so
        ownership is unknown rather than "no owner". A capture's ``processes.json``
        answers instead of a walk.
        """
        return self.owner_walk(inodes).owners

    def _read_namespace(self) -> NamespaceId | None:
        """The network namespace whose files are read, when the source is the live
        ``/proc`` (``self/ns/net``, or ``<pid>/ns/net``); else unknown."""
        if not self.source.is_live:
            return None
        return network_namespace(self.source.location(f"{self.pid or 'self'}/ns/net"))

    def process_name(self, pid: int) -> str | None:
        """The name of a process (``<root>/<pid>/comm``, or a capture's ``processes.json``),
        or None if it is gone or unreadable."""
        try:
            data = self.source.read(f"{pid}/comm", optional=True)
        except ParseError:
            raise  # a capture's comm that is a link, a FIFO: said, not taken for "unknown"
        except NetstatError:
            data = None  # a process that exited, or that this user may not inspect
        if data is not None:
            return procfs.parse_comm(data)
        # Only now, so that the live path costs no extra lookup per process.
        captured = self._process_map()
        return captured.names.get(pid) if captured is not None else None

    # -- routes, interfaces, counters ------------------------------------------------

    def read_net_file(self, name: str) -> bytes | None:
        """The bytes of ``<net_dir>/<name>``, one of the files in :data:`SOCKET_FILES` or
        :data:`NET_FILES`; ``None`` when an optional one is absent (a required one that
        is absent raises :class:`~netstatlib.SourceNotFoundError`)."""
        optional = NET_FILES.get(name)
        if optional is None:
            optional = next(opt for file, opt in SOCKET_FILES.values() if file == name)
        return self.source.read(f"{self._net}/{name}", optional=optional)

    def _net_location(self, name: str) -> str:
        return self.source.location(f"{self._net}/{name}")

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        """The IPv4 main table (``net/route``) and all IPv6 tables (``net/ipv6_route``)."""
        result: list[Route] = []
        if family in (None, _INET):
            data = self.read_net_file("route")
            assert data is not None
            result.extend(
                procfs.parse_route(
                    data, source=self._net_location("route"), byteorder=self.byteorder
                )
            )
        if family in (None, _INET6):
            data = self.read_net_file("ipv6_route")
            if data is not None:
                result.extend(
                    procfs.parse_ipv6_route(data, source=self._net_location("ipv6_route"))
                )
        return result

    def interface_stats(self) -> list[InterfaceStats]:
        """Counters from ``net/dev``, with MTU, up and speed where they can be known.

        For this process's own network namespace, MTU and up/running come from the
        kernel by ``ioctl`` on a socket (exact for this namespace, as ``ip link`` and
        psutil see it) and the speed from ``/sys/class/net`` once that is shown to be
        this namespace's sysfs. A capture's ``links.json`` holds what was reported on
        the captured host. An explicit ``sys_class_net`` folder is read as given.
        """
        data = self.read_net_file("dev")
        assert data is not None
        stats = procfs.parse_dev(data, source=self._net_location("dev"))
        attributes = self.link_attributes([row.name for row in stats if row.name is not None])
        if not attributes:
            return stats
        return [_with_attributes(record, attributes) for record in stats]

    def link_attributes(self, names: Collection[str]) -> dict[str, LinkAttributes] | None:
        """MTU, up and speed of the named interfaces, from where ``sys_class_net`` says.

        ``None`` when there is no source for them (another namespace, ``sys_class_net``
        ``None``); an interface missing from the result has none (it vanished, or the
        folder has no entry for it). This is what :meth:`interface_stats` adds to the
        counters, and what a capture saves in ``links.json``.
        """
        from .._capture_format import LinkAttributes, links_from

        choice = self._sys_class_net
        if choice is None:
            return None
        if choice != "auto":
            return _sysfs_attributes(os.fspath(choice), names)
        if not self.source.is_live:
            return links_from(self.source)
        if not self._reads_own_namespace():
            return None
        links = _ioctl_links(list(names))
        sysfs_is_ours = _sysfs_matches(_LIVE_SYSFS, links)
        return {
            name: LinkAttributes(
                mtu=link.mtu,
                is_up=bool(link.flags & _IFF_UP) and bool(link.flags & _IFF_RUNNING),
                speed_mbps=(
                    _read_speed(os.path.join(_LIVE_SYSFS, name)) if sysfs_is_ours else None
                ),
                index=link.index,
                flags=link.flags,
            )
            for name, link in links.items()
        }

    def _reads_own_namespace(self) -> bool:
        """Whether the files read describe this process's own network namespace."""
        if not self.source.is_live:
            return False
        if self.pid is None:
            return True
        try:
            theirs = os.stat(f"/proc/{self.pid}/ns/net").st_ino
            ours = os.stat("/proc/self/ns/net").st_ino
        except OSError:
            return False
        return theirs == ours

    def protocol_stats(self) -> list[ProtocolStats]:
        """Every group of ``net/snmp``, ``net/netstat`` and ``net/snmp6``, in that order."""
        result: list[ProtocolStats] = []
        for filename in ("snmp", "netstat", "snmp6"):
            data = self.read_net_file(filename)
            if data is None:
                continue
            parse = procfs.parse_snmp6 if filename == "snmp6" else procfs.parse_snmp
            result.extend(parse(data, source=self._net_location(filename)))
        return result

    # -- captures --------------------------------------------------------------------

    def capture(self, folder: str | os.PathLike[str], *, processes: bool = True) -> CaptureManifest:
        """Save what this backend reads into the new folder ``folder``, so that
        ``LinuxProcfs(root=folder)`` (or :func:`~netstatlib.open_capture`) answers every
        query from it as this backend answered at capture time.

        Saved: the files of :data:`SOCKET_FILES` and :data:`NET_FILES` under
        ``folder/net/`` byte for byte (an optional one the source lacks is listed in the
        manifest's ``missing``); with ``processes``, ``processes.json``: the owners of
        this namespace's sockets, from the same ``<root>/*/fd`` walk as a query's, with
        the name of each process; the MTU, up and speed this backend reports for each
        interface (``links.json``; none for another namespace, as live); and
        ``manifest.json``.

        ``folder`` must not exist, or be an empty folder; its parent must exist. It is
        written atomically and readable by its owner only. Returns the manifest. Raises
        :class:`~netstatlib.UsageError` when ``folder`` exists and is not empty, and what
        a query raises for an unreadable source.
        """
        from .._capture_format import (
            LINKS_FILE,
            PROCESSES_FILE,
            links_json,
            now,
            process_map_json,
            staged,
        )

        created = now()
        byteorder = self.byteorder
        missing: list[str] = []
        with staged(folder) as staging:
            # The socket tables first, then the walk, as a query does.
            inodes: set[int] | None = set()
            for table, (name, _) in SOCKET_FILES.items():
                data = self.read_net_file(name)
                if data is None:
                    missing.append(f"net/{name}")
                    continue
                staging.write(f"net/{name}", data)
                if processes and inodes is not None:
                    try:
                        inodes.update(self._socket_inodes(data, table, name))
                    except ParseError:
                        inodes = None  # keep the owners of every socket rather than fail
            captured_processes = False
            owners_complete: bool | None = None
            notes: list[str] = []
            if processes:
                walk = self.owner_walk(inodes)
                owners = walk.owners
                if owners is not None:
                    unfound = inodes is None or bool(set(inodes) - owners.keys())
                    owners_complete = walk.complete or not unfound
                    notes = [] if owners_complete else owner_notes(walk, None)
                if owners is not None:  # None: no process could be inspected (as live)
                    pids = sorted({owner for pids in owners.values() for owner in pids})
                    names = {owner: self.process_name(owner) for owner in pids}
                    staging.write(PROCESSES_FILE, process_map_json(names, owners))
                    captured_processes = True
            dev = None
            for name in NET_FILES:
                data = self.read_net_file(name)
                if data is None:
                    missing.append(f"net/{name}")
                    continue
                staging.write(f"net/{name}", data)
                if name == "dev":
                    dev = data
            attributes = None
            if dev is not None:
                try:
                    rows = procfs.parse_dev(dev, source=self._net_location("dev"))
                except ParseError:
                    rows = None
                if rows is not None:
                    attributes = self.link_attributes(
                        [row.name for row in rows if row.name is not None]
                    )
            if attributes is not None:
                staging.write(LINKS_FILE, links_json(attributes))
            # Last, and inside the block: the folder is published when the block ends.
            return staging.write_manifest(
                kind="linux",
                created=created,
                byteorder=byteorder,
                root=self.root,
                pid=self.pid,
                missing=tuple(missing),
                processes=captured_processes,
                interface_attributes=attributes is not None,
                owners_complete=owners_complete if captured_processes else None,
                owner_notes=tuple(notes) if captured_processes else (),
            )

    def _socket_inodes(self, data: bytes, table: SocketTable, name: str) -> list[int]:
        protocol, family = table
        source = self._net_location(name)
        if protocol is Protocol.UNIX:
            rows = procfs.parse_unix_sockets(data, source=source)
        else:
            rows = procfs.parse_inet_sockets(
                data, protocol=protocol, family=family, source=source, byteorder=self.byteorder
            )
        return [row.inode for row in rows if row.inode]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}es"


def owner_notes(
    walk: OwnerWalk, manifest: CaptureManifest | None, *, source_is_live: bool = True
) -> list[str]:
    """What a walk of ``<pid>/fd`` could not see, in sentences for
    :attr:`~netstatlib.Table.notes`; for a capture (``manifest``), what its manifest
    records of the walk made when it was taken."""
    if manifest is not None and walk.owners is not None:
        if manifest.owners_complete is not False:
            return []
        who = f"user {manifest.user}" if manifest.user else None
        if manifest.uid is not None:
            who = f"{who} (uid {manifest.uid})" if who else f"uid {manifest.uid}"
        taken = f"This capture was taken by {who}" if who else "This capture was taken"
        recorded = "; ".join(note.rstrip(".") for note in manifest.owner_notes)
        why = f": {recorded}" if recorded else ""
        return [
            f"{taken} without seeing every process{why}. Its sockets without a "
            "recorded owner show pids=None (unknown)."
        ]
    notes = []
    if walk.owners is None and not source_is_live:
        notes.append(
            "This capture holds no owners of sockets (no processes.json, nor process "
            "folders): pids=None (unknown)."
        )
    elif walk.owners is None:
        notes.append(
            "No process could be inspected, so the owners of sockets are unknown (pids=None)."
        )
    if walk.denied:
        notes.append(
            f"{_plural(walk.denied, 'process')} could not be inspected (only root can read "
            "the open files of another user's process): sockets they may hold show "
            "pids=None (unknown), and a socket shared with one of them lists only the "
            "processes that could be inspected."
        )
    if walk.hidepid is not None:
        notes.append(
            f"/proc is mounted with hidepid={walk.hidepid}, which hides other users' "
            "processes from this user: sockets they may hold show pids=None (unknown)."
        )
    if walk.vanished:
        notes.append(
            f"{_plural(walk.vanished, 'process')} exited while owners were looked up: "
            "sockets they may have held show pids=None (unknown)."
        )
    return notes


def _bytecode(query: SocketQuery) -> bytes | None:
    """The inet_diag bytecode for the query's port and address conditions; None when
    there are none, or the program would cost the kernel more than Python's filter."""
    if query.conditions is None:
        return None
    from ._diag_bytecode import compile_condition, kernel_has_eq_ops

    return compile_condition(
        query.conditions, eq_ops=kernel_has_eq_ops(_kernel_release()), byteorder=_NATIVE
    )


@functools.cache
def _kernel_release() -> str:
    return os.uname().release


# -- interface attributes --------------------------------------------------------------

_LIVE_SYSFS = "/sys/class/net"

# ioctl requests of include/uapi/linux/sockios.h; struct ifreq is a 16-byte name and a
# 24-byte union on 64-bit Linux (the int or short answer sits at offset 16).
_SIOCGIFFLAGS = 0x8913
_SIOCGIFMTU = 0x8921
_SIOCGIFINDEX = 0x8933
_IFREQ_SIZE = 40
_IFF_RUNNING = 0x40


@attrs.frozen
class _Link:
    index: int
    mtu: int
    flags: int


def _ioctl_links(names: list[str]) -> dict[str, _Link]:
    """Index, MTU and flags of each device of this process's network namespace.

    The flags are ``dev_get_flags()``, which adds ``IFF_RUNNING`` (up with carrier) to
    what ``/sys/class/net/<dev>/flags`` shows. Devices that vanish meanwhile are left out.
    """
    import fcntl  # Linux only; imported here so that captures can be read anywhere

    links: dict[str, _Link] = {}
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return links
    with probe:
        for name in names:
            encoded = os.fsencode(name)
            if len(encoded) >= 16:
                continue
            request = encoded.ljust(_IFREQ_SIZE, b"\0")
            try:
                index = fcntl.ioctl(probe, _SIOCGIFINDEX, request)
                mtu = fcntl.ioctl(probe, _SIOCGIFMTU, request)
                flags = fcntl.ioctl(probe, _SIOCGIFFLAGS, request)
            except OSError:
                continue
            links[name] = _Link(
                index=int.from_bytes(index[16:20], sys.byteorder, signed=True),
                mtu=int.from_bytes(mtu[16:20], sys.byteorder, signed=True),
                flags=int.from_bytes(flags[16:18], sys.byteorder),
            )
    return links


def _sysfs_matches(sysfs: str, links: dict[str, _Link]) -> bool:
    """Whether ``sysfs`` shows this namespace's devices.

    sysfs shows the network namespace it was mounted in, which is not always the current
    one: ``unshare -n`` or ``nsenter --net`` leave the old ``/sys`` in place, and a
    container often has devices named like the host's (``lo``, ``eth0``). So every device
    must be there with the same index and MTU as the kernel reports for this namespace.
    """
    try:
        names = set(os.listdir(sysfs))
    except OSError:
        return False
    if not links or names != set(links):
        return False
    for name, link in links.items():
        base = os.path.join(sysfs, name)
        if _read_sysfs_int(os.path.join(base, "ifindex")) != link.index:
            return False
        if _read_sysfs_int(os.path.join(base, "mtu")) != link.mtu:
            return False
    return True


def _with_attributes(
    record: InterfaceStats, attributes: Mapping[str, LinkAttributes]
) -> InterfaceStats:
    found = attributes.get(record.name) if record.name is not None else None
    if found is None:
        return record
    return attrs.evolve(record, mtu=found.mtu, is_up=found.is_up, speed_mbps=found.speed_mbps)


def _sysfs_attributes(sysfs: str, names: Collection[str]) -> dict[str, LinkAttributes]:
    """Attributes from a given ``sys/class/net`` folder (a copy, a mounted sysfs).

    ``is_up`` is the ``IFF_UP`` flag with ``carrier`` 1; an interface without a folder
    there is left out.
    """
    from .._capture_format import LinkAttributes

    found: dict[str, LinkAttributes] = {}
    for name in names:
        base = os.path.join(sysfs, name)
        if not os.path.isdir(base):
            continue
        flags = _read_sysfs_int(os.path.join(base, "flags"))
        carrier = _read_sysfs_int(os.path.join(base, "carrier"))
        found[name] = LinkAttributes(
            mtu=_read_sysfs_int(os.path.join(base, "mtu")),
            is_up=None if flags is None else bool(flags & _IFF_UP) and carrier == 1,
            speed_mbps=_read_speed(base),
            index=_read_sysfs_int(os.path.join(base, "ifindex")),
            flags=flags,
        )
    return found


def _read_speed(device: str) -> int | None:
    """``<device>/speed`` in Mb/s; None where the device has none (an error, or -1)."""
    speed = _read_sysfs_int(os.path.join(device, "speed"))
    return speed if speed is not None and speed > 0 else None
