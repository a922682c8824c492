"""The Linux backend: reads ``/proc`` (and ``/sys/class/net``) and hands the text to the parsers."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor

import attrs

from .._errors import AccessDeniedError, NetstatError, SourceNotFoundError, UsageError
from .._model import Connection, InterfaceStats, Protocol, ProtocolStats, Route
from ..parsers import procfs
from ..parsers.procfs import ByteOrder
from ._base import SocketTable

__all__ = ["SOCKET_FILES", "LinuxProcfs"]

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
    come from: a folder laid out like ``/sys/class/net`` (a capture); ``None`` for
    nowhere; ``"auto"`` (the default) asks the kernel for this process's own namespace
    (``ioctl`` for MTU and up, ``/sys/class/net`` for the speed once it is shown to be
    this namespace's) and leaves the fields ``None`` for another namespace or a capture.
    ``byteorder`` is the byte order of the machine the files came from.

    Process owners are found by one walk of ``<root>/*/fd`` per query, only when asked and
    only if some row survived the filters; processes that exit or cannot be read during
    the walk are skipped.
    """

    name = "linux"

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
        self.byteorder: ByteOrder = byteorder or ("little" if sys.byteorder == "little" else "big")
        self.net_dir = (
            os.path.join(self.root, str(pid), "net")
            if pid is not None
            else os.path.join(self.root, "net")
        )

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
        owners: dict[int, tuple[int, ...]] | None = {}
        # Rows without an inode (TIME_WAIT, SYN_RECV) belong to no process: no walk then.
        # The walk is not restricted to the rows' inodes: building that set costs more
        # than the few dict entries it would save.
        if any(row.inode for row in rows):
            owners = self.socket_owners()
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
                    name = names[first] = self.process_name(first)
            set_pids(row, pids)
            set_process(row, name)

    def socket_owners(
        self, inodes: Collection[int] | None = None
    ) -> dict[int, tuple[int, ...]] | None:
        """Map socket inode to the sorted pids holding it, by one walk of ``<root>/*/fd``.

        With ``inodes``, only those sockets are reported. Processes that vanish or cannot
        be read mid-walk are skipped: that is normal on a live host. ``None`` means no
        process could be inspected at all (a captured ``/proc`` without process folders),
        so ownership is unknown rather than "no owner".
        """
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
        """The name of a process (``<root>/<pid>/comm``), or None if it is gone or unreadable."""
        try:
            with open(f"{self.root}/{pid}/comm", "rb") as handle:
                return procfs.parse_comm(handle.read())
        except OSError:
            return None

    # -- routes, interfaces, counters ------------------------------------------------

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        """The IPv4 main table (``net/route``) and all IPv6 tables (``net/ipv6_route``)."""
        result: list[Route] = []
        if family in (None, _INET):
            path = os.path.join(self.net_dir, "route")
            data = _read(path)
            assert data is not None
            result.extend(procfs.parse_route(data, source=path, byteorder=self.byteorder))
        if family in (None, _INET6):
            path = os.path.join(self.net_dir, "ipv6_route")
            data = _read(path, optional=True)
            if data is not None:
                result.extend(procfs.parse_ipv6_route(data, source=path))
        return result

    def interface_stats(self) -> list[InterfaceStats]:
        """Counters from ``net/dev``, with MTU, up and speed where they can be known.

        For this process's own network namespace, MTU and up/running come from the
        kernel by ``ioctl`` on a socket (exact for this namespace, as ``ip link`` and
        psutil see it) and the speed from ``/sys/class/net`` once that is shown to be
        this namespace's sysfs. An explicit ``sys_class_net`` folder is read as given.
        """
        path = os.path.join(self.net_dir, "dev")
        data = _read(path)
        assert data is not None
        stats = procfs.parse_dev(data, source=path)
        choice = self._sys_class_net
        if choice is None:
            return stats
        if choice != "auto":
            folder = os.fspath(choice)
            return [_with_sysfs(record, folder) for record in stats]
        if not self._reads_own_namespace():
            return stats
        links = _ioctl_links([record.name for record in stats if record.name is not None])
        sysfs_is_ours = _sysfs_matches(_LIVE_SYSFS, links)
        return [_with_live_link(record, links, sysfs_is_ours) for record in stats]

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
        for filename, optional in (("snmp", False), ("netstat", True), ("snmp6", True)):
            path = os.path.join(self.net_dir, filename)
            data = _read(path, optional=optional)
            if data is None:
                continue
            parse = procfs.parse_snmp6 if filename == "snmp6" else procfs.parse_snmp
            result.extend(parse(data, source=path))
        return result


# -- process walk ----------------------------------------------------------------------

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


def _with_live_link(
    record: InterfaceStats, links: dict[str, _Link], sysfs_is_ours: bool
) -> InterfaceStats:
    link = links.get(record.name) if record.name is not None else None
    if link is None or record.name is None:
        return record
    speed = _read_speed(os.path.join(_LIVE_SYSFS, record.name)) if sysfs_is_ours else None
    return attrs.evolve(
        record,
        mtu=link.mtu,
        is_up=bool(link.flags & _IFF_UP) and bool(link.flags & _IFF_RUNNING),
        speed_mbps=speed,
    )


def _with_sysfs(record: InterfaceStats, sysfs: str) -> InterfaceStats:
    """Attributes from a given ``sys/class/net`` folder (a capture, a mounted sysfs)."""
    if record.name is None:
        return record
    base = os.path.join(sysfs, record.name)
    if not os.path.isdir(base):
        return record
    flags = _read_sysfs_int(os.path.join(base, "flags"))
    carrier = _read_sysfs_int(os.path.join(base, "carrier"))
    is_up = None if flags is None else bool(flags & _IFF_UP) and carrier == 1
    return attrs.evolve(
        record,
        mtu=_read_sysfs_int(os.path.join(base, "mtu")),
        is_up=is_up,
        speed_mbps=_read_speed(base),
    )


def _read_speed(device: str) -> int | None:
    """``<device>/speed`` in Mb/s; None where the device has none (an error, or -1)."""
    speed = _read_sysfs_int(os.path.join(device, "speed"))
    return speed if speed is not None and speed > 0 else None
