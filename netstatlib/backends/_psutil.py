"""The psutil backend: sockets and interface counters on any OS psutil supports.

psutil is imported only when a query runs, never when this module is imported, so that
``import netstatlib`` stays cheap where the default backend does not need it.

Strategy: one call to ``psutil.net_connections()`` per query (with the smallest of
psutil's kinds that covers the requested tables, because on Linux every call walks
``/proc/*/fd`` once), then each of psutil's ``sconn`` rows becomes a
:class:`~netstatlib.Connection`. psutil's rows mix types (``laddr`` is an ``addr``, an
empty tuple or a path; ``status`` is ``"NONE"`` for "no state" and for "unknown"; ``pid``
is ``None`` for "not found"): each is turned into a typed field or ``None`` here, and
nothing psutil does not say is guessed. Sources, cited where used: psutil's docs
(``docs/api.rst``, ``net_connections``, ``net_io_counters``, ``net_if_stats``) and its
platform modules (``psutil/_pslinux.py`` ``NetConnections``, ``psutil/_psosx.py``).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

import attrs
import netaddr

from .._errors import AccessDeniedError, NetstatError, UnsupportedError
from .._model import Connection, Endpoint, InterfaceStats, Protocol, ProtocolStats, Route, TcpState
from .._partial import report_incomplete
from .._tables import KINDS, TCP4, TCP6, UDP4, UDP6, UNIX, SocketTable
from ._capabilities import Capabilities
from ._socket_query import SocketQuery

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["Psutil"]

_T = TypeVar("_T")

_INET = socket.AddressFamily.AF_INET
_INET6 = socket.AddressFamily.AF_INET6
_UNIX = socket.AddressFamily.AF_UNIX

_TABLES: tuple[SocketTable, ...] = (TCP4, TCP6, UDP4, UDP6, UNIX)
_TABLE_ORDER = {table: index for index, table in enumerate(_TABLES)}

# psutil's kind names (net_connections(kind=...)) and the tables each one lists, smallest
# first: the first kind that covers a query is the one asked for. They are netstatlib's
# kind names for the tables psutil has, except that psutil's "all" is all of those.
_KINDS: tuple[tuple[str, frozenset[SocketTable]], ...] = tuple(
    sorted(
        (
            *((name, tables) for name, tables in KINDS.items() if tables <= set(_TABLES)),
            ("all", frozenset(_TABLES)),
        ),
        key=lambda item: len(item[1]),
    )
)

# psutil's status strings (the psutil.CONN_* constants) for TCP sockets. "NONE" is not
# here: psutil gives it to every UDP and UNIX socket ("For UDP and UNIX sockets this is
# always psutil.CONN_NONE", docs/api.rst) and to a TCP socket whose state its C code did
# not know (conn_to_ntuple() in psutil/_common.py maps unknown numbers to CONN_NONE).
_STATES: dict[str, TcpState] = {
    "ESTABLISHED": TcpState.ESTABLISHED,
    "SYN_SENT": TcpState.SYN_SENT,
    "SYN_RECV": TcpState.SYN_RECV,
    "FIN_WAIT1": TcpState.FIN_WAIT1,
    "FIN_WAIT2": TcpState.FIN_WAIT2,
    "TIME_WAIT": TcpState.TIME_WAIT,
    "CLOSE": TcpState.CLOSE,
    "CLOSE_WAIT": TcpState.CLOSE_WAIT,
    "LAST_ACK": TcpState.LAST_ACK,
    "LISTEN": TcpState.LISTEN,
    "CLOSING": TcpState.CLOSING,
    # Windows (psutil.CONN_DELETE_TCB, MIB_TCP_STATE_DELETE_TCB).
    "DELETE_TCB": TcpState.DELETE_TCB,
    # SunOS (psutil.CONN_BOUND, CONN_IDLE; TCPS_BOUND and TCPS_IDLE of Solaris'
    # <inet/tcp.h>): BOUND is "bound, ready to connect or accept", as Windows' BOUND;
    # IDLE is "opened, but not bound", which Linux shows as CLOSE.
    "BOUND": TcpState.BOUND,
    "IDLE": TcpState.CLOSE,
}

_CONNECTION_FIELDS = frozenset(
    {
        "protocol",
        "family",
        "local",
        "remote",
        "state",
        "pids",
        "process",
        "path",
        "socket_type",
        "state_text",
    }
)
_INTERFACE_FIELDS = frozenset(
    {
        "name",
        "rx_bytes",
        "rx_packets",
        "rx_errors",
        "rx_dropped",
        "tx_bytes",
        "tx_packets",
        "tx_errors",
        "tx_dropped",
        "mtu",
        "is_up",
        "speed_mbps",
    }
)


def _import_psutil() -> ModuleType:
    """psutil, imported on first use; on an OS psutil does not support, UnsupportedError."""
    try:
        import psutil
    except (ImportError, NotImplementedError) as exc:
        # psutil/__init__.py raises NotImplementedError("platform ... is not supported").
        raise UnsupportedError(
            f"the psutil backend needs psutil, which cannot be used here: {exc}"
        ) from exc
    return psutil


def _advice() -> str:
    """What to do about a refusal, for the OS this runs on."""
    if sys.platform.startswith("linux"):
        return (
            'run as root, or use backend="linux" (LinuxProcfs), which lists every '
            "socket without root (only the processes of other users stay unknown)"
        )
    if sys.platform == "win32":
        return (
            'run from an administrator prompt, or use backend="windows" (netstat.exe), '
            "which lists every TCP and UDP socket with its PID without elevation"
        )
    if sys.platform == "darwin":
        # psutil/_psosx.py net_connections(): Process(pid).net_connections() for every pid.
        return (
            "run as root (sudo): on macOS psutil lists sockets by asking every process "
            "for its sockets, which only root may do for other users' processes, so "
            "processes=False does not help"
        )
    return "run as root"


def _call(psutil: ModuleType, what: str, function: Callable[[], _T]) -> _T:
    """Call psutil; its errors become the library's, with the original chained."""
    try:
        return function()
    except psutil.AccessDenied as exc:
        raise AccessDeniedError(f"psutil was refused access {what} ({exc}); {_advice()}") from exc
    except psutil.Error as exc:
        raise NetstatError(f"psutil failed {what}: {exc}") from exc
    except PermissionError as exc:
        raise AccessDeniedError(f"psutil was refused access {what} ({exc}); {_advice()}") from exc
    except (OSError, RuntimeError, ValueError) as exc:
        # psutil raises RuntimeError for a line of /proc/net/* it cannot parse (a UNIX
        # socket path holding a newline, psutil issues #632 and #766) and OSError for a
        # file it cannot read.
        raise NetstatError(f"psutil failed {what}: {exc!r}") from exc


def _unsupported(what: str, linux_source: str, windows_source: str, system_tool: str) -> str:
    """The sentence an UnsupportedError for routes or protocol statistics carries."""
    if sys.platform.startswith("linux"):
        return (
            f'psutil has no {what}; use backend="linux" (LinuxProcfs), which reads {linux_source}'
        )
    if sys.platform == "win32":
        return (
            f'psutil has no {what}; use backend="windows" (WindowsNetstat), which runs '
            f"{windows_source}"
        )
    return (
        f"psutil has no {what}, and netstatlib has no other source of {what} on "
        f"{sys.platform!r} yet; the system tool `{system_tool}` prints them"
    )


def _address(ip: str, family: socket.AddressFamily) -> tuple[netaddr.IPAddress, str | None]:
    """An address as psutil prints it (``fe80::1%eth0`` on some OSes), and its zone."""
    text, percent, zone = ip.partition("%")
    address = netaddr.IPAddress(text, 6) if family == _INET6 else netaddr.IPAddress(text, 4)
    return address, (zone if percent else None)


def _endpoint(value: object, family: socket.AddressFamily) -> Endpoint | None:
    """psutil's ``addr(ip, port)``, or ``None`` for its "no address" values.

    psutil gives an empty tuple for an endpoint that is not set (docs/api.rst: "When the
    remote endpoint is not connected you'll get an empty tuple"); on Linux also for a
    local endpoint whose port is 0, an unbound socket (``decode_address()`` in
    ``psutil/_pslinux.py`` returns ``()`` for every port 0), whose address is then not
    known either. Some OSes give ``("", 0)`` or ``(None, 0)`` instead.
    """
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    ip, port = value
    if not ip or not port:
        return None
    address, zone = _address(str(ip), family)
    return Endpoint(address=address, port=int(port), zone=zone)


def _state(
    status: str, protocol: Protocol, remote: Endpoint | None
) -> tuple[TcpState | None, str | None]:
    """The state and state text of a row, with LinuxProcfs' meaning.

    UDP has no state: psutil says ``NONE`` for every UDP socket, and the state is
    ``None`` unconnected and ``ESTABLISHED`` connected, as ``/proc/net/udp`` and ``ss``
    show it. psutil never gives a UNIX socket's state (``NONE`` on every OS), so it is
    ``None``: unknown. A TCP status psutil did not know (``NONE``) or this library does
    not know is ``UNKNOWN``, with the text kept.
    """
    if protocol is Protocol.UDP:
        return (TcpState.ESTABLISHED if remote is not None else None), None
    if protocol is Protocol.UNIX:
        return None, None
    state = _STATES.get(status)
    if state is None:
        return TcpState.UNKNOWN, str(status)
    return state, None


def _table(family: object, kind: object) -> SocketTable | None:
    """The socket table of a psutil row; ``None`` for one no table here describes.

    psutil gives ``family`` and ``type`` as :mod:`socket` enums, or as plain numbers
    when the enum has no member for them (``sockfam_to_enum()`` in psutil/_common.py).
    """
    if family == _UNIX:
        return UNIX
    if family == _INET:
        ip_family = _INET
    elif family == _INET6:
        ip_family = _INET6
    else:
        return None
    if kind == socket.SOCK_STREAM:
        return (Protocol.TCP, ip_family)
    if kind == socket.SOCK_DGRAM:
        return (Protocol.UDP, ip_family)
    return None


def _socket_kind(kind: object) -> socket.SocketKind | None:
    """A UNIX socket's type (``SOCK_STREAM``, ``SOCK_DGRAM``, ``SOCK_SEQPACKET``)."""
    if not isinstance(kind, int):
        return None
    try:
        return socket.SocketKind(kind)
    except ValueError:
        return None


@attrs.define
class _Row:
    """One socket while psutil's rows are merged: the record's fields but the pids."""

    table: SocketTable
    local: Endpoint | None
    remote: Endpoint | None
    state: TcpState | None
    state_text: str | None
    path: str | None
    socket_type: socket.SocketKind | None
    pids: set[int]


def _merge_key(row: _Row) -> tuple[object, ...] | None:
    """What identifies a socket among psutil's rows, or None when nothing does.

    psutil has no socket identity (no inode) and one pid per row. On macOS it lists a
    socket once per process and descriptor (``psutil/_psosx.py`` asks every process for
    its sockets), so a forked server's listener comes once per worker: rows of the same
    bound TCP or UDP socket (same table, endpoints and state) are merged here, with all
    their pids. A bound address names one socket, except for sockets sharing an address
    through ``SO_REUSEPORT``/``SO_REUSEADDR``, which are then shown as one socket held
    by all their processes (on Linux too, where psutil lists each socket once). An
    unbound socket (no local endpoint) and a UNIX socket are never merged: unnamed UNIX
    sockets all look alike, and on Linux an accepted UNIX connection has the path of
    its listener, so identical UNIX rows are often distinct sockets.
    """
    if row.table == UNIX or row.local is None:
        return None
    return (row.table, row.local, row.remote, row.state, row.state_text)


def _endpoint_order(endpoint: Endpoint | None) -> tuple[int, int, int, int, str]:
    if endpoint is None:
        return (0, 0, 0, 0, "")
    address = endpoint.address
    return (1, address.version, int(address), endpoint.port, endpoint.zone or "")


def _order(row: _Row) -> tuple[object, ...]:
    """A fixed order for rows (psutil's own is that of a set): by table, then local and
    remote endpoint, state, path, type and pids."""
    return (
        _TABLE_ORDER[row.table],
        _endpoint_order(row.local),
        _endpoint_order(row.remote),
        row.state.value if row.state is not None else -1,
        row.state_text or "",
        row.path is not None,
        row.path or "",
        int(row.socket_type) if row.socket_type is not None else -1,
        sorted(row.pids),
    )


def _wanted_kind(tables: frozenset[SocketTable]) -> str:
    for kind, covered in _KINDS:
        if tables <= covered:
            return kind
    return "all"  # not reached: "all" covers every table psutil has


def _sees_every_process() -> bool:
    """Whether this process may inspect every other (root on POSIX; Windows, where
    psutil takes the pid of every socket from the system's own tables)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or geteuid() == 0


def _may_have_owner(row: Connection) -> bool:
    """Whether a row can belong to a process: not a TCP socket in TIME_WAIT or a
    pending request, which no process holds."""
    return row.state not in (TcpState.TIME_WAIT, TcpState.NEW_SYN_RECV, TcpState.SYN_RECV)


@attrs.frozen(kw_only=True)
class Psutil:
    """Sockets and interface counters through psutil, on any OS psutil supports.

    ``connections()`` lists TCP and UDP over IPv4 and IPv6 and UNIX sockets
    (``psutil.net_connections``); ``interface_stats()`` gives each interface's byte,
    packet, error and drop counters (``psutil.net_io_counters(pernic=True,
    nowrap=True)``) with its MTU, up flag and speed (``psutil.net_if_stats``). psutil
    has no routing table and no protocol counters: :meth:`routes` and
    :meth:`protocol_stats` raise :class:`~netstatlib.UnsupportedError` naming what
    works on this OS.

    What psutil does not give is ``None``: the socket's uid, inode and queues, a UNIX
    socket's state (psutil says ``NONE`` for every UNIX socket, so ``listening("unix")``
    finds none through this backend) and, for an unbound socket, the local endpoint
    (psutil gives no address with port 0). psutil's peer path of a UNIX socket (macOS,
    BSD) has no field here; :attr:`~netstatlib.Connection.path` is the socket's own.

    Processes: psutil names one process per row. On Linux it names one process per
    socket even when several hold it (the last one its walk of ``/proc/*/fd`` found:
    ``NetConnections`` in psutil/_pslinux.py, which stopped failing on such sockets
    after psutil issues #497 and #572), so a shared socket shows one of its pids where
    ``LinuxProcfs`` shows them all. On macOS it lists a socket once per process and
    descriptor; rows of one bound TCP or UDP socket are merged here with all their
    pids (see the merge rule in the module). UNIX rows are never merged. PID 0 (the
    kernel; Windows' System Idle Process, which owns TIME_WAIT rows) means no process.
    ``processes=False`` leaves ``pids`` and ``process`` ``None`` but is not faster:
    psutil always looks processes up. Process names are psutil's ``Process.name()``.

    On Linux, psutil reads ``/proc/net`` of the calling process's network namespace
    (``LinuxProcfs(pid=...)`` reads another's) and splits ``/proc/net/unix`` rows at
    whitespace: a UNIX path holding a space comes out unnamed (``path=None``), and one
    holding a newline makes psutil fail, which is raised as a
    :class:`~netstatlib.NetstatError` (``process_unix()`` in psutil/_pslinux.py;
    psutil issue #766).
    """

    name: str = attrs.field(default="psutil", init=False)
    """The backend's name, as ``backend=`` and ``NETSTATLIB_BACKEND`` take it."""
    capabilities: Capabilities = attrs.field(
        default=Capabilities(
            tables=_TABLES,
            processes=True,
            fields={"connections": _CONNECTION_FIELDS, "interface_stats": _INTERFACE_FIELDS},
            notes="Calls psutil (net_connections, net_io_counters, net_if_stats): TCP, UDP "
            "and UNIX sockets and interface counters on any OS psutil supports; no "
            "routes, protocol counters, socket owners' uids, inodes, queues or UNIX "
            "socket states, and on Linux one process per socket.",
            hints={"tables", "process_free"},
        ),
        init=False,
        eq=False,
        repr=False,
    )
    """TCP, UDP and UNIX sockets with owners, and interface counters; no routes, no
    protocol counters."""

    # -- sockets ---------------------------------------------------------------------

    def connections(self, query: SocketQuery) -> list[Connection]:
        """Rows of the query's socket tables, sorted by table, then local and remote
        endpoint (and path); the query's early test runs before process names are
        looked up."""
        asked = query.tables
        processes = query.processes
        wanted = asked.intersection(_TABLES)
        if not wanted:
            shown = ", ".join(sorted(f"{p.value}/{f.name}" for p, f in asked)) or "no table"
            if sys.platform.startswith("linux"):
                instead = 'use backend="linux" (LinuxProcfs), which lists them'
            else:
                instead = f"netstatlib has no source for them on {sys.platform!r} yet"
            raise UnsupportedError(
                f"psutil lists TCP, UDP and UNIX sockets only, not {shown}; {instead}"
            )
        unlisted = asked - wanted
        if unlisted:
            shown = ", ".join(sorted(f"{p.value}/{f.name}" for p, f in unlisted))
            report_incomplete(
                f"The psutil backend cannot list {shown} sockets, which are left out; "
                'backend="linux" lists them on Linux.'
            )
        psutil = _import_psutil()
        kind = _wanted_kind(wanted)
        found = _call(
            psutil,
            f"listing sockets (net_connections({kind!r}))",
            lambda: psutil.net_connections(kind),
        )

        merged: dict[tuple[object, ...], _Row] = {}
        single: list[_Row] = []
        for conn in found:
            table = _table(conn.family, conn.type)
            if table is None or table not in wanted:
                continue
            protocol, family = table
            if protocol is Protocol.UNIX:
                local = remote = None
                # laddr is the socket's own path; "" (or None) for an unnamed socket.
                path = conn.laddr if isinstance(conn.laddr, str) and conn.laddr else None
                socket_type = _socket_kind(conn.type)
            else:
                local = _endpoint(conn.laddr, family)
                remote = _endpoint(conn.raddr, family)
                path = socket_type = None
            state, state_text = _state(conn.status, protocol, remote)
            pid = conn.pid
            row = _Row(
                table=table,
                local=local,
                remote=remote,
                state=state,
                state_text=state_text,
                path=path,
                socket_type=socket_type,
                pids={pid} if pid else set(),
            )
            key = _merge_key(row)
            if key is None:
                single.append(row)
                continue
            have = merged.get(key)
            if have is None:
                merged[key] = row
            else:
                have.pids |= row.pids

        ordered = sorted((*merged.values(), *single), key=_order)
        rows = [
            Connection(
                protocol=row.table[0],
                family=row.table[1],
                local=row.local,
                remote=row.remote,
                state=row.state,
                state_text=row.state_text,
                path=row.path,
                socket_type=row.socket_type,
                pids=tuple(sorted(row.pids)) if processes else None,
            )
            for row in ordered
        ]
        if processes and not _sees_every_process():
            # psutil gives pid None both for a socket no process holds and for one whose
            # process it may not inspect; without root the two cannot be told apart.
            unknown = [row for row in rows if not row.pids and _may_have_owner(row)]
            if unknown:
                report_incomplete(
                    "Without root, psutil cannot inspect the processes of other users: "
                    f"{len(unknown)} socket{'' if len(unknown) == 1 else 's'} without a "
                    "known owner show pids=None (unknown).",
                    owners=True,
                )
                blank = {id(row) for row in unknown}
                rows = [attrs.evolve(row, pids=None) if id(row) in blank else row for row in rows]
        keep = query.early_test()
        if keep is not None:
            rows = [row for row in rows if keep(row)]
        if processes and rows:
            names = _process_names(psutil, {row.pids[0] for row in rows if row.pids})
            rows = [
                attrs.evolve(row, process=names[row.pids[0]]) if row.pids else row for row in rows
            ]
        return rows

    # -- interfaces ------------------------------------------------------------------

    def interface_stats(self) -> list[InterfaceStats]:
        """One record per interface psutil has counters for, in psutil's order.

        The counters come from ``net_io_counters(pernic=True, nowrap=True)``: psutil
        adds the old value back when a counter wraps between two calls in this process
        ("nowrap", docs/api.rst), so they never go down. FIFO, frame, compressed,
        multicast, collision and carrier counters psutil does not give are ``None``.
        ``mtu``, ``is_up`` (psutil's ``isup``: up and running) and ``speed_mbps`` come
        from ``net_if_stats()``; psutil's speed 0 means "cannot be determined" and is
        ``None``. An interface ``net_if_stats()`` does not list keeps them ``None``; one
        only ``net_if_stats()`` lists is left out, having no counters.
        """
        psutil = _import_psutil()
        counters = _call(
            psutil,
            "reading interface counters (net_io_counters)",
            lambda: psutil.net_io_counters(pernic=True, nowrap=True),
        )
        links = _call(psutil, "reading interface flags (net_if_stats)", psutil.net_if_stats)
        result: list[InterfaceStats] = []
        for name, io in counters.items():
            link = links.get(name)
            result.append(
                InterfaceStats(
                    name=name,
                    rx_bytes=io.bytes_recv,
                    rx_packets=io.packets_recv,
                    rx_errors=io.errin,
                    rx_dropped=io.dropin,
                    rx_fifo_errors=None,
                    rx_frame_errors=None,
                    rx_compressed=None,
                    multicast=None,
                    tx_bytes=io.bytes_sent,
                    tx_packets=io.packets_sent,
                    tx_errors=io.errout,
                    tx_dropped=io.dropout,
                    tx_fifo_errors=None,
                    collisions=None,
                    tx_carrier_errors=None,
                    tx_compressed=None,
                    mtu=link.mtu if link is not None else None,
                    is_up=bool(link.isup) if link is not None else None,
                    speed_mbps=link.speed if link is not None and link.speed > 0 else None,
                )
            )
        return result

    # -- what psutil does not have -------------------------------------------------------

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        """Always :class:`~netstatlib.UnsupportedError`: psutil has no routing table. The
        message names what gives one on this OS (the Linux or Windows backend, or
        ``netstat -rn``)."""
        raise UnsupportedError(
            _unsupported(
                "routing table",
                "/proc/net/route and /proc/net/ipv6_route",
                "netstat -rn",
                "netstat -rn",
            )
        )

    def protocol_stats(self) -> list[ProtocolStats]:
        """Always :class:`~netstatlib.UnsupportedError`: psutil has no protocol counters.
        The message names what gives them on this OS (the Linux or Windows backend, or
        ``netstat -s``)."""
        raise UnsupportedError(
            _unsupported(
                "protocol statistics",
                "/proc/net/snmp, /proc/net/netstat and /proc/net/snmp6",
                "netstat -s",
                "netstat -s",
            )
        )


def _process_names(psutil: ModuleType, pids: Iterable[int]) -> dict[int, str | None]:
    """``Process(pid).name()`` of each pid; ``None`` for one that is gone or that the
    current user may not inspect (both are normal on a live host)."""
    names: dict[int, str | None] = {}
    for pid in pids:
        try:
            names[pid] = psutil.Process(pid).name()
        except (psutil.Error, OSError):
            names[pid] = None
    return names
