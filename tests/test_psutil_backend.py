"""The psutil backend on crafted psutil records: psutil's functions are replaced by fakes
that return psutil's own namedtuple types, so every mapping rule is checked on any OS."""

from __future__ import annotations

import collections
import random
import socket
import subprocess
import sys
from typing import Any

import attrs
import psutil
import pytest

import netstatlib
from netstatlib import (
    AccessDeniedError,
    Connection,
    F,
    InterfaceStats,
    NetstatError,
    Protocol,
    TcpState,
    UnsupportedError,
)
from netstatlib.backends import Backend, SocketQuery
from netstatlib.backends._psutil import Psutil

from conftest import ep

try:  # psutil >= 7 keeps its namedtuples in psutil._ntuples, older ones in psutil._common
    from psutil import _ntuples as _types
except ImportError:  # pragma: no cover - depends on the installed psutil
    from psutil import _common as _types  # type: ignore[no-redef]

addr = getattr(_types, "addr", collections.namedtuple("addr", "ip port"))
sconn = getattr(
    _types,
    "sconn",
    collections.namedtuple("sconn", "fd family type laddr raddr status pid"),
)
snetio = getattr(
    _types,
    "snetio",
    collections.namedtuple(
        "snetio",
        "bytes_sent bytes_recv packets_sent packets_recv errin errout dropin dropout",
    ),
)
snicstats = getattr(
    _types, "snicstats", collections.namedtuple("snicstats", "isup duplex speed mtu flags")
)

INET, INET6, UNIX = socket.AF_INET, socket.AF_INET6, socket.AF_UNIX
STREAM, DGRAM, SEQPACKET = socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET
TCP4 = (Protocol.TCP, INET)
TCP6 = (Protocol.TCP, INET6)
UDP4 = (Protocol.UDP, INET)
UDP6 = (Protocol.UDP, INET6)
UNIX_TABLE = (Protocol.UNIX, UNIX)
ALL = {TCP4, TCP6, UDP4, UDP6, UNIX_TABLE}


def tcp(
    laddr: Any,
    raddr: Any = (),
    status: str = "ESTABLISHED",
    pid: int | None = 100,
    *,
    fd: int = 3,
    family: int = INET,
) -> Any:
    return sconn(fd, family, STREAM, laddr, raddr, status, pid)


def udp(
    laddr: Any, raddr: Any = (), pid: int | None = 100, *, fd: int = 3, family: int = INET
) -> Any:
    return sconn(fd, family, DGRAM, laddr, raddr, "NONE", pid)


def unix(
    path: str, peer: str = "", kind: int = STREAM, pid: int | None = 100, *, fd: int = 3
) -> Any:
    return sconn(fd, UNIX, kind, path, peer, "NONE", pid)


class FakePsutil:
    """What the backend asks psutil, answered from lists set by each test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows: list[Any] = []
        self.names: dict[int, str | Exception] = {}
        self.kinds: list[str] = []
        self.name_lookups: list[int] = []
        self.io: dict[str, Any] = {}
        self.links: dict[str, Any] = {}
        self.io_arguments: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        monkeypatch.setattr(psutil, "net_connections", self.net_connections)
        monkeypatch.setattr(psutil, "net_io_counters", self.net_io_counters)
        monkeypatch.setattr(psutil, "net_if_stats", self.net_if_stats)
        monkeypatch.setattr(psutil, "Process", self.process)

    def net_connections(self, kind: str = "inet") -> list[Any]:
        self.kinds.append(kind)
        if self.error is not None:
            raise self.error
        return list(self.rows)

    def net_io_counters(self, pernic: bool = False, nowrap: bool = True) -> dict[str, Any]:
        self.io_arguments.append({"pernic": pernic, "nowrap": nowrap})
        if self.error is not None:
            raise self.error
        return dict(self.io)

    def net_if_stats(self) -> dict[str, Any]:
        return dict(self.links)

    def process(self, pid: int) -> Any:
        self.name_lookups.append(pid)
        name = self.names.get(pid, psutil.NoSuchProcess(pid))
        if isinstance(name, Exception):
            raise name

        class _Process:
            def name(self) -> str:
                return name  # type: ignore[return-value]

        return _Process()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakePsutil:
    return FakePsutil(monkeypatch)


class EarlyTestQuery(SocketQuery):
    """A query whose early test is a given callable (to watch what it is shown)."""

    __slots__ = ("_early",)

    def early_test(self) -> Any:
        return self._early


def conns(
    fake: FakePsutil,
    *rows: Any,
    tables: Any = ALL,
    processes: bool = True,
    keep: Any = None,
) -> list[Connection]:
    fake.rows = list(rows)
    query = SocketQuery(tables=tables, processes=processes)
    if keep is not None:
        query = EarlyTestQuery(tables=tables, processes=processes)
        object.__setattr__(query, "_early", keep)
    return Psutil().connections(query)


# -- shape ------------------------------------------------------------------------------


def test_name_capabilities_and_protocol() -> None:
    backend = Psutil()
    assert backend.name == "psutil"
    assert isinstance(backend, Backend)
    assert repr(backend) == "Psutil(name='psutil')"
    caps = backend.capabilities
    assert caps.tables == frozenset(ALL)
    assert caps.processes
    assert caps.queries == ("connections", "interface_stats")
    assert not caps.supports("routes")
    assert not caps.supports("protocol_stats")
    for field in ("uid", "inode", "recv_queue", "send_queue", "ip_protocol"):
        assert not caps.supports("connections", field)
    assert not caps.supports("interface_stats", "multicast")


# -- one row, every field -----------------------------------------------------------------


def test_tcp_row_maps_every_field(fake: FakePsutil) -> None:
    fake.names = {4242: "sshd"}
    (row,) = conns(fake, tcp(addr("10.0.0.5", 22), addr("10.0.0.9", 51000), "ESTABLISHED", 4242))
    assert row == Connection(
        protocol=Protocol.TCP,
        family=INET,
        local=ep("10.0.0.5", 22),
        remote=ep("10.0.0.9", 51000),
        state=TcpState.ESTABLISHED,
        pids=(4242,),
        process="sshd",
    )
    # psutil gives none of these: they stay None, never a placeholder.
    assert (row.uid, row.inode, row.recv_queue, row.send_queue) == (None, None, None, None)
    assert (row.path, row.socket_type, row.ip_protocol, row.state_text) == (None, None, None, None)


def test_records_fill_only_declared_fields(fake: FakePsutil) -> None:
    fake.names = {1: "a", 2: "b"}
    rows = conns(
        fake,
        tcp(addr("fe80::1%eth0", 22), (), "LISTEN", 1, family=INET6),
        tcp(addr("10.0.0.1", 1), addr("10.0.0.2", 2), "WEIRD", 2),
        udp(addr("127.0.0.1", 53), addr("127.0.0.1", 9), 1),
        unix("/run/x.sock", "/run/peer", SEQPACKET, 2),
    )
    declared = Psutil().capabilities.fields["connections"]
    for row in rows:
        filled = {a.name for a in attrs.fields(Connection) if getattr(row, a.name) is not None}
        assert filled <= declared, row


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (psutil.CONN_ESTABLISHED, TcpState.ESTABLISHED),
        (psutil.CONN_SYN_SENT, TcpState.SYN_SENT),
        (psutil.CONN_SYN_RECV, TcpState.SYN_RECV),
        (psutil.CONN_FIN_WAIT1, TcpState.FIN_WAIT1),
        (psutil.CONN_FIN_WAIT2, TcpState.FIN_WAIT2),
        (psutil.CONN_TIME_WAIT, TcpState.TIME_WAIT),
        (psutil.CONN_CLOSE, TcpState.CLOSE),
        (psutil.CONN_CLOSE_WAIT, TcpState.CLOSE_WAIT),
        (psutil.CONN_LAST_ACK, TcpState.LAST_ACK),
        (psutil.CONN_LISTEN, TcpState.LISTEN),
        (psutil.CONN_CLOSING, TcpState.CLOSING),
        ("DELETE_TCB", TcpState.DELETE_TCB),  # Windows: psutil.CONN_DELETE_TCB
        ("BOUND", TcpState.BOUND),  # SunOS: psutil.CONN_BOUND
        ("IDLE", TcpState.CLOSE),  # SunOS: psutil.CONN_IDLE, opened but not bound
    ],
)
def test_tcp_status_strings(fake: FakePsutil, status: str, state: TcpState) -> None:
    (row,) = conns(fake, tcp(addr("10.0.0.5", 22), addr("10.0.0.9", 1), status))
    assert (row.state, row.state_text) == (state, None)


@pytest.mark.parametrize("status", ["WEIRD", "NONE"])
def test_unknown_tcp_status_is_kept_as_unknown(fake: FakePsutil, status: str) -> None:
    # psutil turns a TCP state number it does not know into "NONE" (conn_to_ntuple).
    (row,) = conns(fake, tcp(addr("10.0.0.5", 22), addr("10.0.0.9", 1), status))
    assert (row.state, row.state_text) == (TcpState.UNKNOWN, status)


# -- endpoints ----------------------------------------------------------------------------


def test_ipv6_endpoints_zone_and_mapped_addresses(fake: FakePsutil) -> None:
    rows = conns(
        fake,
        tcp(addr("fe80::1%eth0", 546), (), "LISTEN", family=INET6),
        tcp(addr("::ffff:127.0.0.1", 80), addr("::ffff:127.0.0.1", 5000), family=INET6),
        tcp(addr("::", 22), (), "LISTEN", family=INET6),
    )
    by_port = {row.local.port: row for row in rows if row.local is not None}
    assert by_port[546].local == ep("fe80::1", 546, zone="eth0")
    assert str(by_port[546].local) == "[fe80::1%eth0]:546"
    mapped = by_port[80]
    assert mapped.family == INET6 and mapped.local is not None and mapped.local.is_ipv4_mapped
    assert mapped.remote == ep("::ffff:127.0.0.1", 5000)
    assert by_port[22].local == ep("::", 22) and by_port[22].local.address.version == 6


@pytest.mark.parametrize("empty", [(), addr("", 0), addr(None, 0), addr("0.0.0.0", 0), ""])
def test_no_remote_is_none(fake: FakePsutil, empty: Any) -> None:
    (row,) = conns(fake, tcp(addr("0.0.0.0", 22), empty, "LISTEN"))
    assert row.remote is None
    assert row.local == ep("0.0.0.0", 22)


def test_unbound_socket_has_no_local_endpoint(fake: FakePsutil) -> None:
    # psutil on Linux gives () for a local port 0: the address is not known either.
    (row,) = conns(fake, tcp((), (), "CLOSE"))
    assert (row.local, row.remote, row.state) == (None, None, TcpState.CLOSE)


# -- UDP and UNIX -------------------------------------------------------------------------


def test_udp_state_follows_the_remote_as_in_linux_procfs(fake: FakePsutil) -> None:
    rows = conns(
        fake,
        udp(addr("127.0.0.1", 5353), ()),
        udp(addr("127.0.0.1", 40000), addr("127.0.0.1", 53)),
        udp(addr("::1", 5353), (), family=INET6),
    )
    states = {(row.family, row.local.port if row.local else None): row for row in rows}
    unconnected = states[(INET, 5353)]
    assert (unconnected.protocol, unconnected.state, unconnected.remote) == (
        Protocol.UDP,
        None,
        None,
    )
    assert unconnected.is_listening
    connected = states[(INET, 40000)]
    assert (connected.state, connected.remote) == (TcpState.ESTABLISHED, ep("127.0.0.1", 53))
    assert not connected.is_listening
    assert states[(INET6, 5353)].protocol is Protocol.UDP


def test_unix_rows(fake: FakePsutil) -> None:
    rows = conns(
        fake,
        unix("/run/listener.sock", "", STREAM, 1),
        unix("", "/run/listener.sock", STREAM, 1),  # macOS/BSD give the peer's path
        unix("@abstract", "", DGRAM, 1),
        unix("/run/seq", "", SEQPACKET, 1),
        unix(None, None, DGRAM, 1),  # type: ignore[arg-type]
    )
    assert all(row.protocol is Protocol.UNIX and row.family == UNIX for row in rows)
    assert all((row.local, row.remote) == (None, None) for row in rows)
    # psutil never gives a UNIX socket's state: unknown, None.
    assert all((row.state, row.state_text) == (None, None) for row in rows)
    assert sorted((row.path or "", row.socket_type) for row in rows) == sorted(
        [
            ("/run/listener.sock", STREAM),
            ("", STREAM),  # the peer path is not this socket's path
            ("@abstract", DGRAM),
            ("/run/seq", SEQPACKET),
            ("", DGRAM),
        ]
    )


def test_rows_of_other_families_and_types_are_left_out(fake: FakePsutil) -> None:
    rows = conns(
        fake,
        sconn(3, INET, socket.SOCK_RAW, addr("0.0.0.0", 1), (), "NONE", 1),
        sconn(3, 17, DGRAM, "x", "", "NONE", 1),  # AF_PACKET, as a plain number
        tcp(addr("10.0.0.1", 22), (), "LISTEN"),
    )
    assert [row.protocol for row in rows] == [Protocol.TCP]


# -- processes and shared sockets ---------------------------------------------------------


def test_rows_of_one_socket_are_merged_with_every_pid(fake: FakePsutil) -> None:
    # macOS and the BSDs list a forked server's listener once per process and descriptor.
    fake.names = {7: "nginx", 10: "nginx", 12: "worker"}
    listener = addr("0.0.0.0", 80)
    rows = conns(
        fake,
        tcp(listener, (), "LISTEN", 10, fd=6),
        tcp(listener, (), "LISTEN", 7, fd=6),
        tcp(listener, (), "LISTEN", 7, fd=9),  # dup() in the same process
        tcp(listener, (), "LISTEN", None, fd=-1),
        tcp(addr("10.0.0.1", 80), addr("10.0.0.2", 5000), "ESTABLISHED", 12),
        tcp(addr("10.0.0.1", 80), addr("10.0.0.2", 5000), "ESTABLISHED", 7),
        udp(addr("0.0.0.0", 53), (), 12),
        udp(addr("0.0.0.0", 53), (), 7),
    )
    assert [(row.protocol, row.state, row.pids, row.process) for row in rows] == [
        (Protocol.TCP, TcpState.LISTEN, (7, 10), "nginx"),
        (Protocol.TCP, TcpState.ESTABLISHED, (7, 12), "nginx"),
        (Protocol.UDP, None, (7, 12), "nginx"),
    ]
    assert sorted(fake.name_lookups) == [7]  # one lookup per first pid


def test_rows_that_do_not_name_a_socket_are_never_merged(fake: FakePsutil) -> None:
    rows = conns(
        fake,
        unix("", "", STREAM, 5, fd=3),  # a socketpair: two sockets that look alike
        unix("", "", STREAM, 5, fd=4),
        unix("/run/l.sock", "", STREAM, 5, fd=5),  # a listener and the connection it
        unix("/run/l.sock", "", STREAM, 5, fd=6),  # accepted share the path on Linux
        tcp((), (), "CLOSE", 5, fd=7),  # unbound sockets
        tcp((), (), "CLOSE", 5, fd=8),
    )
    assert len(rows) == 6
    assert all(row.pids == (5,) for row in rows)


def test_pid_none_and_zero_mean_no_process(fake: FakePsutil) -> None:
    rows = conns(
        fake,
        tcp(addr("127.0.0.1", 80), addr("127.0.0.1", 5000), "TIME_WAIT", None),
        # Windows gives PID 0 (System Idle Process) to what no process owns.
        tcp(addr("127.0.0.1", 80), addr("127.0.0.1", 5001), "TIME_WAIT", 0),
    )
    assert [(row.pids, row.process) for row in rows] == [((), None), ((), None)]
    assert fake.name_lookups == []


def test_processes_false_leaves_pids_unknown_and_looks_nothing_up(fake: FakePsutil) -> None:
    rows = conns(
        fake,
        tcp(addr("0.0.0.0", 80), (), "LISTEN", 7),
        tcp(addr("0.0.0.0", 80), (), "LISTEN", 8),
        unix("/run/x", "", STREAM, 7),
        processes=False,
    )
    assert [(row.pids, row.process) for row in rows] == [(None, None), (None, None)]
    assert fake.name_lookups == []


def test_keep_runs_before_process_names_are_looked_up(fake: FakePsutil) -> None:
    fake.names = {1: "one", 2: "two"}
    seen: list[Connection] = []

    def keep(row: Connection) -> bool:
        seen.append(row)
        return row.state is TcpState.LISTEN

    rows = conns(
        fake,
        tcp(addr("0.0.0.0", 80), (), "LISTEN", 1),
        tcp(addr("10.0.0.1", 80), addr("10.0.0.2", 1), "ESTABLISHED", 2),
        keep=keep,
    )
    assert [row.process for row in rows] == ["one"]
    assert fake.name_lookups == [1]
    assert all(row.process is None for row in seen)


@pytest.mark.parametrize(
    "error",
    [psutil.NoSuchProcess(1), psutil.AccessDenied(1), psutil.ZombieProcess(1), PermissionError()],
)
def test_a_process_that_cannot_be_named_has_no_name(fake: FakePsutil, error: Exception) -> None:
    fake.names = {1: error}
    (row,) = conns(fake, tcp(addr("0.0.0.0", 80), (), "LISTEN", 1))
    assert (row.pids, row.process) == ((1,), None)


def test_order_is_fixed_whatever_psutil_returns(fake: FakePsutil) -> None:
    rows = [
        tcp(addr("10.0.0.1", 80), addr("10.0.0.2", 1)),
        tcp(addr("10.0.0.1", 22), (), "LISTEN"),
        tcp(addr("::1", 22), (), "LISTEN", family=INET6),
        udp(addr("127.0.0.1", 53)),
        udp(addr("::", 53), family=INET6),
        unix("/b"),
        unix("/a"),
        unix(""),
    ]
    first = conns(fake, *rows, processes=False)
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)
    assert conns(fake, *shuffled, processes=False) == first
    assert [(row.protocol.value, row.family.name if row.family else None) for row in first] == [
        ("tcp", "AF_INET"),
        ("tcp", "AF_INET"),
        ("tcp", "AF_INET6"),
        ("udp", "AF_INET"),
        ("udp", "AF_INET6"),
        ("unix", "AF_UNIX"),
        ("unix", "AF_UNIX"),
        ("unix", "AF_UNIX"),
    ]
    assert [row.local.port for row in first[:2] if row.local] == [22, 80]
    assert [row.path for row in first[5:]] == [None, "/a", "/b"]


# -- tables -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tables", "kind"),
    [
        ({TCP4}, "tcp4"),
        ({TCP6}, "tcp6"),
        ({UDP4}, "udp4"),
        ({UDP6}, "udp6"),
        ({UNIX_TABLE}, "unix"),
        ({TCP4, TCP6}, "tcp"),
        ({UDP4, UDP6}, "udp"),
        ({TCP4, UDP4}, "inet4"),
        ({TCP6, UDP6}, "inet6"),
        ({TCP4, UDP6}, "inet"),
        ({TCP4, TCP6, UDP4, UDP6}, "inet"),
        ({TCP6, UNIX_TABLE}, "all"),
        (ALL, "all"),
    ],
)
def test_one_psutil_call_with_the_smallest_kind(fake: FakePsutil, tables: Any, kind: str) -> None:
    conns(fake, tables=tables)
    assert fake.kinds == [kind]


def test_rows_of_tables_not_asked_for_are_dropped(fake: FakePsutil) -> None:
    rows = conns(
        fake,
        tcp(addr("10.0.0.1", 22), (), "LISTEN"),
        udp(addr("10.0.0.1", 53)),
        unix("/x"),
        tables={TCP4, UNIX_TABLE},
    )
    assert sorted(row.protocol.value for row in rows) == ["tcp", "unix"]


def test_tables_psutil_cannot_list(fake: FakePsutil, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(UnsupportedError, match=r"raw/AF_INET.*udplite/AF_INET6.*backend=\"linux\""):
        conns(fake, tables={(Protocol.RAW, INET), (Protocol.UDPLITE, INET6)})
    assert fake.kinds == []
    monkeypatch.setattr(sys, "platform", "darwin")
    with pytest.raises(UnsupportedError, match="no source for them on 'darwin'"):
        conns(fake, tables={(Protocol.RAW, INET)})
    # What can be served is served.
    rows = conns(fake, tcp(addr("10.0.0.1", 22), (), "LISTEN"), tables={(Protocol.RAW, INET), TCP4})
    assert len(rows) == 1
    assert fake.kinds == ["tcp4"]


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "advice"),
    [
        ("linux", 'backend="linux"'),
        ("win32", 'backend="windows"'),
        ("darwin", "sudo"),
        ("freebsd14", "run as root"),
    ],
)
def test_access_denied_becomes_access_denied_error(
    fake: FakePsutil, monkeypatch: pytest.MonkeyPatch, platform: str, advice: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    denied = psutil.AccessDenied(pid=1, name="launchd")
    fake.error = denied
    with pytest.raises(AccessDeniedError) as caught:
        conns(fake)
    assert caught.value.__cause__ is denied
    assert isinstance(caught.value, PermissionError)
    assert advice in str(caught.value)
    assert "net_connections('all')" in str(caught.value)


def test_permission_error_becomes_access_denied_error(fake: FakePsutil) -> None:
    fake.error = PermissionError(13, "Permission denied", "/proc/net/tcp")
    with pytest.raises(AccessDeniedError) as caught:
        Psutil().interface_stats()
    assert caught.value.__cause__ is fake.error


@pytest.mark.parametrize(
    "error",
    [
        psutil.Error("boom"),
        psutil.NoSuchProcess(5),
        # psutil on a /proc/net/unix row it cannot split (a path with a newline).
        RuntimeError("error while parsing /proc/net/unix; malformed line 'line sock\\n'"),
        OSError(5, "Input/output error"),
    ],
)
def test_other_psutil_errors_become_netstat_errors(fake: FakePsutil, error: Exception) -> None:
    fake.error = error
    with pytest.raises(NetstatError) as caught:
        conns(fake)
    assert caught.value.__cause__ is error
    assert not isinstance(caught.value, AccessDeniedError)
    assert "psutil failed listing sockets" in str(caught.value)


@pytest.mark.parametrize(
    ("platform", "routes", "stats"),
    [
        ("linux", 'backend="linux" (LinuxProcfs)', 'backend="linux" (LinuxProcfs)'),
        ("win32", 'backend="windows" (WindowsNetstat), which runs netstat -rn', "netstat -s"),
        ("darwin", "`netstat -rn`", "`netstat -s`"),
        ("freebsd14", "`netstat -rn`", "`netstat -s`"),
    ],
)
def test_routes_and_protocol_stats_say_what_works_here(
    monkeypatch: pytest.MonkeyPatch, platform: str, routes: str, stats: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    with pytest.raises(UnsupportedError) as caught:
        Psutil().routes()
    assert str(caught.value).startswith("psutil has no routing table")
    assert routes in str(caught.value)
    with pytest.raises(UnsupportedError) as caught:
        netstatlib.protocol_stats(backend=Psutil())
    assert str(caught.value).startswith("psutil has no protocol statistics")
    assert stats in str(caught.value)
    if platform not in ("linux", "win32"):
        assert f"no other source of protocol statistics on {platform!r}" in str(caught.value)
    assert isinstance(caught.value, NotImplementedError)


# -- interfaces ---------------------------------------------------------------------------


def test_interface_stats(fake: FakePsutil) -> None:
    fake.io = {
        "lo": snetio(100, 200, 3, 4, 5, 6, 7, 8),
        "eth0": snetio(1, 2, 3, 4, 0, 0, 0, 0),
        "tun0": snetio(9, 9, 9, 9, 9, 9, 9, 9),  # not in net_if_stats
    }
    fake.links = {
        "lo": snicstats(True, psutil.NIC_DUPLEX_UNKNOWN, 0, 65536, "up,loopback,running"),
        "eth0": snicstats(False, psutil.NIC_DUPLEX_FULL, 1000, 1500, "up,broadcast"),
        "wlan0": snicstats(True, psutil.NIC_DUPLEX_FULL, 300, 1500, ""),  # no counters
    }
    rows = Psutil().interface_stats()
    assert fake.io_arguments == [{"pernic": True, "nowrap": True}]
    assert [row.name for row in rows] == ["lo", "eth0", "tun0"]
    lo = rows[0]
    assert lo == InterfaceStats(
        name="lo",
        rx_bytes=200,
        rx_packets=4,
        rx_errors=5,
        rx_dropped=7,
        rx_fifo_errors=None,
        rx_frame_errors=None,
        rx_compressed=None,
        multicast=None,
        tx_bytes=100,
        tx_packets=3,
        tx_errors=6,
        tx_dropped=8,
        tx_fifo_errors=None,
        collisions=None,
        tx_carrier_errors=None,
        tx_compressed=None,
        mtu=65536,
        is_up=True,
        speed_mbps=None,  # psutil's 0: cannot be determined
    )
    assert (rows[1].mtu, rows[1].is_up, rows[1].speed_mbps) == (1500, False, 1000)
    assert (rows[2].mtu, rows[2].is_up, rows[2].speed_mbps) == (None, None, None)
    assert rows[2].rx_bytes == 9
    declared = Psutil().capabilities.fields["interface_stats"]
    for row in rows:
        filled = {a.name for a in attrs.fields(InterfaceStats) if getattr(row, a.name) is not None}
        assert filled <= declared


def test_interface_stats_through_the_query_layer(fake: FakePsutil) -> None:
    fake.io = {"lo": snetio(1, 1, 1, 1, 0, 0, 0, 0), "eth0": snetio(5, 5, 5, 5, 0, 0, 0, 0)}
    fake.links = {"eth0": snicstats(True, 2, 100, 1500, "")}
    rows = netstatlib.interface_stats(backend=Psutil(), where=F.is_up == True)  # noqa: E712
    assert [row.name for row in rows] == ["eth0"]


# -- the query layer ----------------------------------------------------------------------


def test_query_functions_and_filters(fake: FakePsutil) -> None:
    fake.names = {10: "sshd", 20: "chrome", 30: "resolved"}
    fake.rows = [
        tcp(addr("0.0.0.0", 22), (), "LISTEN", 10),
        tcp(addr("10.0.0.5", 22), addr("192.0.2.7", 50000), "ESTABLISHED", 10),
        tcp(addr("10.0.0.5", 40000), addr("198.51.100.1", 443), "ESTABLISHED", 20),
        udp(addr("127.0.0.53", 53), (), 30),
        unix("/run/dbus", "", STREAM, 30),
    ]
    backend = Psutil()
    listeners = netstatlib.listening(backend=backend)
    assert sorted(str(row.local) for row in listeners) == ["0.0.0.0:22", "127.0.0.53:53"]
    https = netstatlib.connections(backend=backend, where="state established dport = :443")
    assert [row.process for row in https] == ["chrome"]
    sshd = netstatlib.connections(
        backend=backend, where=(F.local_port == 22) & (F.process == "sshd")
    )
    assert [row.state for row in sshd] == [TcpState.LISTEN, TcpState.ESTABLISHED]
    tcp_only = netstatlib.connections(backend=backend, where=F.protocol == "tcp")
    assert len(tcp_only) == 3
    assert fake.kinds[-1] == "tcp"  # the tables the predicate rules out are not asked for
    unix_rows = netstatlib.connections("unix", backend=backend, where=F.path == "/run/dbus")
    assert [row.pids for row in unix_rows] == [(30,)]
    with pytest.raises(UnsupportedError):
        netstatlib.connections("raw", backend=backend)


# -- import cost --------------------------------------------------------------------------


def test_psutil_is_imported_only_when_used() -> None:
    code = (
        "import sys\n"
        "import netstatlib.backends._psutil as m\n"
        "print('psutil' in sys.modules)\n"
        "backend = m.Psutil()\n"
        "print('psutil' in sys.modules)\n"
        "try:\n"
        "    backend.routes()\n"
        "except NotImplementedError:\n"
        "    pass\n"
        "print('psutil' in sys.modules)\n"
        "backend.interface_stats()\n"
        "print('psutil' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False", "True"]
