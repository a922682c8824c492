"""The Linux backend: reads ``/proc`` (and ``/sys/class/net``) and hands the text to the parsers."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import attrs

from .._errors import AccessDeniedError, NetstatError, ParseError, SourceNotFoundError, UsageError
from .._model import Connection, InterfaceStats, Protocol, ProtocolStats, Route
from ..parsers import procfs
from ..parsers.procfs import ByteOrder
from ._base import SocketTable
from ._capabilities import Capabilities, all_fields

if TYPE_CHECKING:
    from .._capture import ProcessMap

__all__ = ["NET_FILES", "SOCKET_FILES", "LinkAttributes", "LinuxProcfs"]

_INET = socket.AddressFamily.AF_INET
_INET6 = socket.AddressFamily.AF_INET6
_UNIX = socket.AddressFamily.AF_UNIX

# The file under <root>/net/ for each socket table, in the order rows are returned, and
# whether the file may be absent (no IPv6, UDP-Lite compiled out) without it being an error.
SOCKET_FILES: dict[SocketTable, tuple[str, bool]] = {
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

# Every other file under <root>/net/ that a query reads, and whether it may be absent
# (IPv6 disabled, an old kernel) without it being an error.
NET_FILES: dict[str, bool] = {
    "route": False,
    "ipv6_route": True,
    "dev": False,
    "snmp": False,
    "netstat": True,
    "snmp6": True,
}

# In a capture (see netstatlib/_capture.py and docs/captures.md): the interface attributes
# LinuxProcfs reported on the captured host, by interface name.
LINKS_FILE = "links.json"

# O_DIRECTORY does not exist on Windows, where a captured /proc may be read too.
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)

# Bits of /sys/class/net/<dev>/flags (include/uapi/linux/if.h).
_IFF_UP = 0x1


def _read(path: str, *, optional: bool = False) -> bytes | None:
    """Read a whole file; map OS errors to the library's errors naming the path."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        if optional:
            return None
        raise SourceNotFoundError(f"{path} does not exist", path=path) from None
    except PermissionError as exc:
        raise AccessDeniedError(f"cannot read {path}: {exc.strerror}", path=path) from exc
    except OSError as exc:
        raise NetstatError(f"cannot read {path}: {exc.strerror or exc}") from exc


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
    into a container, or a folder holding a captured copy of the files. With ``pid``, the
    network files come from ``<root>/<pid>/net/``, which is that process's network
    namespace. ``sys_class_net`` says where interface attributes (MTU, up, speed)
    come from: a folder laid out like ``/sys/class/net``; ``None`` for nowhere;
    ``"auto"`` (the default) asks the kernel for this process's own namespace
    (``ioctl`` for MTU and up, ``/sys/class/net`` for the speed once it is shown to be
    this namespace's), reads a capture's own ``links.json``, and leaves the fields
    ``None`` for another namespace. ``byteorder`` is the byte order of the machine the
    files came from: by default the one a capture's ``manifest.json`` records, else
    this machine's.

    Process owners are found by one walk of ``<root>/*/fd`` per query, only when asked and
    only if some row survived the filters; processes that exit or cannot be read during
    the walk are skipped. A capture (:func:`netstatlib.capture_linux`) holds the result of
    that walk in ``processes.json``, which is then read instead.
    """

    name = "linux"
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
        notes="Reads /proc/net and /sys/class/net: every socket table, with all the "
        "processes that hold each socket; a captured folder works the same way.",
    )

    def __init__(
        self,
        root: str | os.PathLike[str] = "/proc",
        *,
        pid: int | None = None,
        sys_class_net: str | os.PathLike[str] | None = "auto",
        byteorder: ByteOrder | None = None,
    ) -> None:
        self.root = os.fspath(root)
        if pid is not None and (not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0):
            raise UsageError(f"pid must be a positive int, not {pid!r}")
        if byteorder not in (None, "little", "big"):
            raise UsageError(f"byteorder must be 'little' or 'big', not {byteorder!r}")
        self.pid = pid
        self._sys_class_net = sys_class_net
        self._byteorder: ByteOrder | None = byteorder
        self.net_dir = (
            os.path.join(self.root, str(pid), "net")
            if pid is not None
            else os.path.join(self.root, "net")
        )

    @property
    def byteorder(self) -> ByteOrder:
        """The byte order the files are read in: the one given, else the one a capture's
        manifest records (looked up on first use: making a backend reads nothing), else
        this machine's."""
        if self._byteorder is None:
            recorded = None
            if self.root != "/proc":
                from .._capture import read_manifest  # only for a capture

                with contextlib.suppress(SourceNotFoundError):  # not a capture
                    recorded = read_manifest(self.root).byteorder
            native: ByteOrder = "little" if sys.byteorder == "little" else "big"
            self._byteorder = recorded or native
        return self._byteorder

    def __repr__(self) -> str:
        pid = f", pid={self.pid}" if self.pid is not None else ""
        return f"LinuxProcfs(root={self.root!r}{pid})"

    # -- sockets ---------------------------------------------------------------------

    def connections(
        self,
        tables: Collection[SocketTable],
        *,
        processes: bool = True,
        keep: Callable[[Connection], bool] | None = None,
    ) -> list[Connection]:
        """Rows of the given socket tables, in a fixed table order.

        ``keep`` is applied before process owners are looked up, so a row it drops costs
        no process lookup; owners are looked up only when ``processes`` is true.
        """
        rows: list[Connection] = []
        for table in SOCKET_FILES:
            if table not in tables:
                continue
            protocol, family = table
            filename, optional = SOCKET_FILES[table]
            path = os.path.join(self.net_dir, filename)
            data = _read(path, optional=optional)
            if data is None:
                continue
            if protocol is Protocol.UNIX:
                rows.extend(procfs.parse_unix_sockets(data, source=path))
            else:
                rows.extend(
                    procfs.parse_inet_sockets(
                        data,
                        protocol=protocol,
                        family=family,
                        source=path,
                        byteorder=self.byteorder,
                    )
                )
        if keep is not None:
            rows = [row for row in rows if keep(row)]
        if processes and rows:
            self._attach_processes(rows)
        return rows

    def _attach_processes(self, rows: list[Connection]) -> None:
        owners: Mapping[int, tuple[int, ...]] | None = {}
        name_of = self.process_name
        # Rows without an inode (TIME_WAIT, SYN_RECV) belong to no process: no walk then.
        # The walk is not restricted to the rows' inodes: building that set costs more
        # than the few dict entries it would save.
        if any(row.inode for row in rows):
            captured = _process_map(self.root)
            if captured is None:
                owners = self.socket_owners()
            else:  # a capture: the walk's result and the names, as they were then
                owners = captured.owners
                name_of = captured.name
        if owners is None:
            return  # no process could be inspected: owners stay unknown (None)
        names: dict[int, str | None] = {}
        no_owner: tuple[int, ...] = ()
        get = owners.get
        # The rows were created by this query and nobody else holds them yet: storing two
        # fields through the slot descriptors is far cheaper than rebuilding every record.
        slots = Connection.__dict__
        set_pids = slots["pids"].__set__
        set_process = slots["process"].__set__
        for row in rows:
            inode = row.inode
            pids = get(inode, no_owner) if inode else no_owner
            name = None
            if pids:
                first = pids[0]
                try:
                    name = names[first]
                except KeyError:
                    name = names[first] = name_of(first)
            set_pids(row, pids)
            set_process(row, name)

    def socket_owners(
        self, inodes: Collection[int] | None = None
    ) -> dict[int, tuple[int, ...]] | None:
        """Map socket inode to the sorted pids holding it, by one walk of ``<root>/*/fd``.

        With ``inodes``, only those sockets are reported. Processes that vanish or cannot
        be read mid-walk are skipped: that is normal on a live host. ``None`` means no
        process could be inspected at all (a captured ``/proc`` without process folders),
        so ownership is unknown rather than "no owner". A capture's ``processes.json``
        answers instead of a walk.
        """
        captured = _process_map(self.root)
        if captured is not None:
            if inodes is None:
                return dict(captured.owners)
            return {inode: pids for inode, pids in captured.owners.items() if inode in inodes}
        root = os.fsencode(self.root)
        try:
            entries = [entry for entry in os.listdir(root) if entry.isdigit()]
        except OSError as exc:
            raise NetstatError(f"cannot list {self.root}: {exc.strerror or exc}") from exc
        # Most of the walk is readlink() in the kernel, which releases the GIL, so a few
        # threads sharing one iterator over the processes overlap it on several cores
        # (0.38 s -> 0.25 s for 96k sockets on 2 cores). Iterating a list from several
        # threads is safe: each process is taken by exactly one of them.
        pending = iter(entries)
        workers = min(_WALK_THREADS, len(entries))
        if workers <= 1:
            parts = [_walk_fds(root, pending)]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="netstatlib-walk") as pool:
                futures = [pool.submit(_walk_fds, root, pending) for _ in range(workers)]
                parts = [future.result() for future in futures]
        if not any(inspected for _, inspected in parts):
            return None
        found = parts[0][0]
        for other, _ in parts[1:]:
            for inode, pids in other.items():
                have = found.get(inode)
                found[inode] = pids if have is None else tuple(sorted({*have, *pids}))
        if inodes is not None:
            return {inode: pids for inode, pids in found.items() if inode in inodes}
        return found

    def process_name(self, pid: int) -> str | None:
        """The name of a process (``<root>/<pid>/comm``, or a capture's ``processes.json``),
        or None if it is gone or unreadable."""
        try:
            with open(f"{self.root}/{pid}/comm", "rb") as handle:
                return procfs.parse_comm(handle.read())
        except OSError:
            pass
        # Only now, so that the live path costs no extra lookup per process.
        captured = _process_map(self.root)
        return captured.names.get(pid) if captured is not None else None

    # -- routes, interfaces, counters ------------------------------------------------

    def read_net_file(self, name: str) -> bytes | None:
        """The bytes of ``<net_dir>/<name>``, one of the files in :data:`SOCKET_FILES` or
        :data:`NET_FILES`; ``None`` when an optional one is absent (a required one that
        is absent raises :class:`~netstatlib.SourceNotFoundError`)."""
        optional = NET_FILES.get(name)
        if optional is None:
            optional = next(opt for file, opt in SOCKET_FILES.values() if file == name)
        return _read(os.path.join(self.net_dir, name), optional=optional)

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        """The IPv4 main table (``net/route``) and all IPv6 tables (``net/ipv6_route``)."""
        result: list[Route] = []
        if family in (None, _INET):
            data = self.read_net_file("route")
            assert data is not None
            source = os.path.join(self.net_dir, "route")
            result.extend(procfs.parse_route(data, source=source, byteorder=self.byteorder))
        if family in (None, _INET6):
            data = self.read_net_file("ipv6_route")
            if data is not None:
                source = os.path.join(self.net_dir, "ipv6_route")
                result.extend(procfs.parse_ipv6_route(data, source=source))
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
        stats = procfs.parse_dev(data, source=os.path.join(self.net_dir, "dev"))
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
        choice = self._sys_class_net
        if choice is None:
            return None
        if choice != "auto":
            return _sysfs_attributes(os.fspath(choice), names)
        if os.path.realpath(self.root) != "/proc":
            return _read_links(os.path.join(self.root, LINKS_FILE))
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
        if os.path.realpath(self.root) != "/proc":
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
            result.extend(parse(data, source=os.path.join(self.net_dir, filename)))
        return result


# -- process walk ----------------------------------------------------------------------


def _process_map(root: str) -> ProcessMap | None:
    """A capture's ``processes.json`` under ``root``, or None (see netstatlib/_capture.py,
    imported here on first use so that ``import netstatlib`` does not pay for it)."""
    if root == "/proc":  # the live one: never a capture
        return None
    from .._capture import read_process_map

    return read_process_map(root)


_WALK_THREADS = min(4, os.cpu_count() or 1)


def _walk_fds(root: bytes, pending: Iterator[bytes]) -> tuple[dict[int, tuple[int, ...]], int]:
    """Walk ``<root>/<pid>/fd`` for the pids taken from ``pending``.

    Returns the sockets found (inode to sorted pids) and how many processes could be
    inspected. Bytes paths all along: no str round trips per fd.
    """
    found: dict[int, tuple[int, ...]] = {}
    inspected = 0
    readlink = os.readlink
    get = found.get
    for entry in pending:
        fd_path = root + b"/" + entry + b"/fd"
        try:
            fd_dir = os.open(fd_path, _DIRECTORY_FLAGS)
        except OSError:
            continue
        try:
            try:
                fds = os.listdir(fd_path)
            except OSError:
                continue
            inspected += 1
            pid = int(entry)
            mine = (pid,)  # one tuple shared by every socket of this process
            for fd in fds:
                try:
                    target = readlink(fd, dir_fd=fd_dir)
                except OSError:
                    continue
                # socket:[12345], as procfs.parse_socket_link() reads it, inlined: this
                # runs once per open file of every process.
                if target[:8] != b"socket:[" or target[-1:] != b"]":
                    continue
                try:
                    inode = int(target[8:-1])
                except ValueError:
                    continue
                pids = get(inode)
                if pids is None:
                    found[inode] = mine
                elif pid not in pids:
                    found[inode] = tuple(sorted((*pids, pid)))
        finally:
            os.close(fd_dir)
    return found, inspected


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


@attrs.frozen(kw_only=True)
class LinkAttributes:
    """What :class:`LinuxProcfs` knows about one interface besides its counters.

    ``mtu``, ``is_up`` and ``speed_mbps`` go into :class:`~netstatlib.InterfaceStats`;
    ``index`` and ``flags`` (``IFF_*`` of ``include/uapi/linux/if.h``) are kept in a
    capture for whoever reads it. ``None`` where unknown.
    """

    mtu: int | None
    is_up: bool | None
    speed_mbps: int | None
    index: int | None = None
    flags: int | None = None


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


def _read_links(path: str) -> dict[str, LinkAttributes] | None:
    """A capture's ``links.json``; ``None`` when it has none.

    ``{"interfaces": {"eth0": {"mtu": 1500, "is_up": true, "speed_mbps": 1000,
    "index": 2, "flags": 4163}, ...}}``: the values :meth:`LinuxProcfs.link_attributes`
    gave on the captured host, ``null`` where unknown.
    """
    data = _read(path, optional=True)
    if data is None:
        return None
    try:
        document = json.loads(data)
        interfaces = document["interfaces"]
        if not isinstance(interfaces, dict):
            raise TypeError("'interfaces' is not an object")
        found: dict[str, LinkAttributes] = {}
        for name, values in interfaces.items():
            found[name] = LinkAttributes(
                mtu=_optional_int(values.get("mtu")),
                is_up=_optional_bool(values.get("is_up")),
                speed_mbps=_optional_int(values.get("speed_mbps")),
                index=_optional_int(values.get("index")),
                flags=_optional_int(values.get("flags")),
            )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ParseError(f"not a links file: {exc}", source=path) from None
    return found


def _links_json(attributes: Mapping[str, LinkAttributes]) -> bytes:
    """The ``links.json`` of a capture: one line per interface, sorted by name."""
    lines = [
        f"  {json.dumps(name)}: {json.dumps(attrs.asdict(attributes[name]))}"
        for name in sorted(attributes)
    ]
    body = "\n" + ",\n".join(lines) + "\n" if lines else ""
    return ('{"interfaces": {' + body + "}}\n").encode()


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return value


def _optional_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"{value!r} is not true, false or null")


def _read_speed(device: str) -> int | None:
    """``<device>/speed`` in Mb/s; None where the device has none (an error, or -1)."""
    speed = _read_sysfs_int(os.path.join(device, "speed"))
    return speed if speed is not None and speed > 0 else None
