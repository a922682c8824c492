"""The query functions over a /proc folder written by the test (root= pointing at it)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

import netstatlib
from netstatlib import F, Protocol, TcpState, UsageError
from netstatlib.backends import LinuxProcfs, SocketQuery, get_backend
from netstatlib.parsers import procfs

TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0016 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 1001 1 0
   1: 0100007F:0016 0200007F:D431 01 00000010:00000000 00:00000000 00000000  1000        0 1002 1 0
   2: 0100007F:D432 0100007F:0016 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0
"""
TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 2002 1 0
"""
UDP = """\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3001 2 0000000000000000 0
  101: 0100007F:9C40 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 3002 2 0000000000000000 0
"""
RAW = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
    1: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4001 2 0000000000000000 0
"""
UNIX = """\
Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01  5001 /run/my socket
0000000000000000: 00000002 00000000 00000000 0002 01  5002 @abstract
0000000000000000: 00000003 00000000 00000000 0001 03  5003
"""
ROUTE = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""
IPV6_ROUTE = """\
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
"""
DEV = """\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
  eth0: 1000 10 1 2 3 4 5 6 2000 20 7 8 9 10 11 12
"""
SNMP = """\
Ip: Forwarding DefaultTTL
Ip: 1 64
Tcp: ActiveOpens MaxConn
Tcp: 5 -1
"""
NETSTAT = """\
TcpExt: SyncookiesSent
TcpExt: 0
"""
SNMP6 = "Ip6InReceives                   \t7\nUdp6InDatagrams \t2\n"


def write_proc(root: Path, files: dict[str, str]) -> Path:
    net = root / "net"
    net.mkdir(parents=True)
    for name, text in files.items():
        (net / name).write_text(text)
    return root


ALL_FILES = {
    "tcp": TCP,
    "tcp6": TCP6,
    "udp": UDP,
    "udp6": UDP.splitlines()[0] + "\n",
    "raw": RAW,
    "raw6": RAW.splitlines()[0] + "\n",
    "unix": UNIX,
    "route": ROUTE,
    "ipv6_route": IPV6_ROUTE,
    "dev": DEV,
    "snmp": SNMP,
    "netstat": NETSTAT,
    "snmp6": SNMP6,
}


@pytest.fixture
def proc(tmp_path: Path) -> LinuxProcfs:
    return LinuxProcfs(root=write_proc(tmp_path / "proc", ALL_FILES))


def test_connections_default_kind_is_tcp_and_udp(proc: LinuxProcfs) -> None:
    rows = netstatlib.connections(backend=proc)
    assert isinstance(rows, netstatlib.Table)
    assert {row.protocol for row in rows} == {Protocol.TCP, Protocol.UDP}
    assert len(rows) == 3 + 2 + 2


def test_rows_decode_addresses_states_and_queues(proc: LinuxProcfs) -> None:
    rows = netstatlib.connections("tcp4", backend=proc, processes=False)
    listener, established, time_wait = rows
    assert str(listener.local) == "127.0.0.1:22"
    assert listener.remote is None
    assert listener.state is TcpState.LISTEN
    assert listener.recv_queue == 3
    assert str(established.remote) == "127.0.0.2:54321"
    assert established.send_queue == 16
    assert established.uid == 1000
    assert time_wait.state is TcpState.TIME_WAIT
    assert time_wait.pids is None


def test_ipv4_mapped_rows_from_tcp6(proc: LinuxProcfs) -> None:
    rows = netstatlib.connections("tcp6", backend=proc)
    assert rows[0].family is socket.AF_INET6
    assert str(rows[0].local) == "[::]:631"
    assert rows[1].local is not None and rows[1].local.is_ipv4_mapped
    assert str(rows[1].local.unmapped()) == "127.0.0.1:8080"


def test_only_the_files_the_kind_needs_are_read(tmp_path: Path) -> None:
    # Only tcp and tcp6 exist: "tcp" works; "udp" (udp is required) reports the missing file.
    backend = LinuxProcfs(root=write_proc(tmp_path / "p", {"tcp": TCP, "tcp6": TCP6}))
    assert len(netstatlib.connections("tcp", backend=backend)) == 5
    with pytest.raises(netstatlib.SourceNotFoundError, match="net/udp"):
        netstatlib.connections("udp", backend=backend)


def test_missing_optional_files_give_no_rows(tmp_path: Path) -> None:
    backend = LinuxProcfs(root=write_proc(tmp_path / "p", {"tcp": TCP}))
    assert len(netstatlib.connections(["tcp4", "tcp6"], backend=backend)) == 3
    assert len(netstatlib.connections("udplite", backend=backend)) == 0


def test_listening_is_listeners_and_unconnected_datagram_sockets(proc: LinuxProcfs) -> None:
    rows = netstatlib.listening("all", backend=proc)
    described = {(row.protocol, str(row.local) if row.local else row.path) for row in rows}
    assert described == {
        (Protocol.TCP, "127.0.0.1:22"),
        (Protocol.TCP, "[::]:631"),
        (Protocol.UDP, "0.0.0.0:53"),
        (Protocol.RAW, "0.0.0.0:1"),
        (Protocol.UNIX, "/run/my socket"),
    }
    raw = next(row for row in rows if row.protocol is Protocol.RAW)
    assert raw.ip_protocol == 1


def test_unix_rows(proc: LinuxProcfs) -> None:
    rows = netstatlib.connections("unix", backend=proc)
    assert [row.path for row in rows] == ["/run/my socket", "@abstract", None]
    assert [row.socket_type for row in rows] == [
        socket.SOCK_STREAM,
        socket.SOCK_DGRAM,
        socket.SOCK_STREAM,
    ]
    assert [row.state for row in rows] == [TcpState.LISTEN, None, TcpState.ESTABLISHED]


def test_where_filters_after_the_backend(proc: LinuxProcfs) -> None:
    rows = netstatlib.connections(
        "all", backend=proc, where=lambda row: row.state is TcpState.ESTABLISHED
    )
    assert len(rows) == 4
    assert all(row.state is TcpState.ESTABLISHED for row in rows)


def test_where_must_be_callable_a_predicate_or_a_socket_filter(proc: LinuxProcfs) -> None:
    with pytest.raises(UsageError, match="where must be a callable"):
        netstatlib.connections(backend=proc, where=42)  # type: ignore[arg-type]
    with pytest.raises(netstatlib.FilterError, match="expected"):
        netstatlib.connections(backend=proc, where="tcp")
    with pytest.raises(netstatlib.FilterError, match="filter strings"):
        netstatlib.routes(backend=proc, where="dst 10.0.0.0/8")


def test_a_filter_string_selects_like_its_predicate(proc: LinuxProcfs) -> None:
    by_text = netstatlib.connections("all", backend=proc, where="state established")
    by_predicate = netstatlib.connections(
        "all", backend=proc, where=netstatlib.compile_filter("state established")
    )
    assert by_text == by_predicate
    # TCP over IPv4 and IPv4-mapped IPv6, the connected UDP socket, the UNIX connection
    assert [row.protocol.value for row in by_text] == ["tcp", "tcp", "udp", "unix"]
    assert {row.state for row in by_text} == {TcpState.ESTABLISHED}


@pytest.mark.parametrize("kind", ["tcp7", "", "inet5", 4])
def test_unknown_kind_names_the_valid_ones(proc: LinuxProcfs, kind: object) -> None:
    with pytest.raises(UsageError, match="valid kinds: tcp4"):
        netstatlib.connections(kind, backend=proc)  # type: ignore[arg-type]


def test_kind_iterables_and_case(proc: LinuxProcfs) -> None:
    rows = netstatlib.connections(("TCP4", "udp4"), backend=proc)
    assert {(row.protocol, row.family) for row in rows} == {
        (Protocol.TCP, socket.AF_INET),
        (Protocol.UDP, socket.AF_INET),
    }
    with pytest.raises(UsageError):
        netstatlib.connections([], backend=proc)


def test_kinds_cover_psutils_names() -> None:
    psutil_kinds = {"inet", "inet4", "inet6", "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"}
    assert psutil_kinds | {"unix", "all", "udplite", "raw"} <= set(netstatlib.KINDS)


def test_routes_and_family(proc: LinuxProcfs) -> None:
    rows = netstatlib.routes(backend=proc)
    assert [str(row.destination) for row in rows] == ["0.0.0.0/0", "10.0.0.0/24", "::/0"]
    assert [row.is_default for row in rows] == [True, False, False]
    assert str(rows[0].gateway) == "10.0.0.1"
    assert rows[1].gateway is None
    assert len(netstatlib.routes(family=socket.AF_INET6, backend=proc)) == 1
    assert len(netstatlib.routes(family=4, backend=proc)) == 2
    assert len(netstatlib.routes(family="inet6", backend=proc)) == 1
    with pytest.raises(UsageError, match="family"):
        netstatlib.routes(family=5, backend=proc)


def test_interface_stats_from_a_captured_root_have_no_sysfs_fields(proc: LinuxProcfs) -> None:
    rows = netstatlib.interface_stats(backend=proc, where=lambda row: row.name == "eth0")
    (eth0,) = rows
    assert (eth0.rx_bytes, eth0.rx_packets, eth0.multicast, eth0.tx_compressed) == (1000, 10, 6, 12)
    assert eth0.mtu is None and eth0.is_up is None and eth0.speed_mbps is None


def test_protocol_stats_from_all_three_files(proc: LinuxProcfs) -> None:
    rows = netstatlib.protocol_stats(backend=proc)
    assert [row.group for row in rows] == ["Ip", "Tcp", "TcpExt", "Ip6", "Udp6"]
    tcp = next(row for row in rows if row.group == "Tcp")
    assert tcp["MaxConn"] == -1


def test_malformed_file_raises_parse_error_with_path_and_line(tmp_path: Path) -> None:
    bad = TCP + "   3: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 00:0 0 0 0 9\n"
    backend = LinuxProcfs(root=write_proc(tmp_path / "p", {"tcp": bad}))
    with pytest.raises(netstatlib.ParseError) as info:
        netstatlib.connections("tcp4", backend=backend)
    assert info.value.source == str(tmp_path / "p" / "net" / "tcp")
    assert info.value.line_number == 5
    assert info.value.line is not None and "ZZZZ" in info.value.line


def _raises_in_unprivileged_child(root: Path) -> str:
    """Run the query in a forked child that dropped root; return the exception's name."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the child)
        os.close(read_end)
        outcome = "no error"
        try:
            os.setgid(65534)
            os.setuid(65534)
            netstatlib.connections("tcp4", backend=LinuxProcfs(root=root))
        except netstatlib.AccessDeniedError as exc:
            outcome = f"AccessDeniedError {exc.path}"
        except BaseException as exc:
            outcome = type(exc).__name__
        os.write(write_end, outcome.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(child, 0)
    return outcome


def test_unreadable_file_is_access_denied(tmp_path: Path) -> None:
    root = write_proc(tmp_path / "p", {"tcp": TCP})
    (root / "net" / "tcp").chmod(0)
    if os.geteuid() == 0:
        outcome = _raises_in_unprivileged_child(root)
        assert outcome == f"AccessDeniedError {root / 'net' / 'tcp'}"
    else:
        with pytest.raises(netstatlib.AccessDeniedError, match="net/tcp"):
            netstatlib.connections("tcp4", backend=LinuxProcfs(root=root))


def test_missing_root_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(netstatlib.SourceNotFoundError):
        netstatlib.routes(backend=LinuxProcfs(root=tmp_path / "nothing"))


def test_backend_by_name_and_bad_backends() -> None:
    assert isinstance(get_backend("linux"), LinuxProcfs)
    with pytest.raises(UsageError, match="unknown backend"):
        netstatlib.routes(backend="solaris")
    with pytest.raises(UsageError, match="backend must be"):
        netstatlib.routes(backend=42)  # type: ignore[arg-type]


def test_bad_pid_and_byteorder_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        LinuxProcfs(pid=-3)
    with pytest.raises(UsageError, match="byteorder"):
        LinuxProcfs(byteorder="middle")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="byteorder"):
        procfs.parse_route(ROUTE, byteorder="pdp")  # type: ignore[arg-type]


def test_pid_reads_that_process_namespace_files(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "4242" / "net").mkdir(parents=True)
    (root / "4242" / "net" / "tcp").write_text(TCP)
    rows = netstatlib.connections("tcp4", backend=LinuxProcfs(root=root, pid=4242))
    assert len(rows) == 3


class RecordingBackend(LinuxProcfs):
    """A LinuxProcfs whose process table is made up, recording what it was asked."""

    walks: int = 0
    named: list[int]

    def socket_owners(self, inodes=None):  # type: ignore[no-untyped-def]
        self.walks += 1
        return {1001: (3, 7), 1002: (9,)}

    def process_name(self, pid: int) -> str | None:
        self.named = [*getattr(self, "named", []), pid]
        return {3: "sshd (main)", 9: "client"}.get(pid)


def test_processes_looked_up_only_for_surviving_rows(tmp_path: Path) -> None:
    backend = RecordingBackend(root=write_proc(tmp_path / "p", ALL_FILES))
    rows = netstatlib.listening("tcp4", backend=backend)
    assert backend.walks == 1
    assert backend.named == [3]  # pid 9 owns the established row, dropped before lookup
    (row,) = rows
    assert row.pids == (3, 7)
    assert row.process == "sshd (main)"


def test_no_walk_when_no_row_survives_or_has_an_owner(tmp_path: Path) -> None:
    backend = RecordingBackend(root=write_proc(tmp_path / "p", ALL_FILES))
    assert len(netstatlib.listening("udp6", backend=backend)) == 0
    time_wait = netstatlib.connections(
        "tcp4", backend=backend, where=lambda row: row.state is TcpState.TIME_WAIT
    )
    assert backend.walks == 1  # the connections() query walked; listening("udp6") did not
    assert time_wait[0].pids == ()
    only_time_wait = LinuxProcfs(root=write_proc(tmp_path / "q", {"tcp": TCP}))
    rows = only_time_wait.connections(
        SocketQuery.plan({(Protocol.TCP, socket.AF_INET)}, where=F.inode.is_missing())
    )
    assert [row.pids for row in rows] == [()]  # no inode: no owner, and no walk needed


def test_no_lookup_without_processes(tmp_path: Path) -> None:
    backend = RecordingBackend(root=write_proc(tmp_path / "p", ALL_FILES))
    rows = netstatlib.connections("tcp4", backend=backend, processes=False)
    assert backend.walks == 0
    assert all(row.pids is None for row in rows)


def test_a_capture_without_process_folders_leaves_owners_unknown(proc: LinuxProcfs) -> None:
    rows = netstatlib.connections("tcp4", backend=proc, processes=True)
    assert all(row.pids is None and row.process is None for row in rows)


def test_time_wait_rows_have_no_inode_and_no_owner(proc: LinuxProcfs) -> None:
    rows = netstatlib.connections("tcp4", backend=proc, processes=False)
    time_wait = rows[2]
    assert time_wait.state is TcpState.TIME_WAIT
    assert time_wait.inode is None
    assert time_wait.uid is None
    assert rows[1].uid == 1000


def test_socket_owners_walks_every_process_and_merges_shared_sockets(tmp_path: Path) -> None:
    root = write_proc(tmp_path / "p", {"tcp": TCP})
    links = {
        "100": {"3": "socket:[1001]", "4": "/dev/null", "5": "socket:[1002]"},
        "200": {"0": "pipe:[77]", "7": "socket:[1001]", "8": "socket:[1001]"},
        "300": {"1": "socket:[abc]", "2": "socket:[]", "3": "anon_inode:[eventfd]"},
        "50": {"9": "socket:[1001]"},
    }
    for pid, fds in links.items():
        (root / pid / "fd").mkdir(parents=True)
        for fd, target in fds.items():
            (root / pid / "fd" / fd).symlink_to(target)
    (root / "self").mkdir()  # not a pid: skipped
    for pid in range(400, 440):  # processes with no fd folder (gone, or kernel threads)
        (root / str(pid)).mkdir()
    backend = LinuxProcfs(root=root)
    assert backend.socket_owners() == {1001: (50, 100, 200), 1002: (100,)}
    assert backend.socket_owners({1002}) == {1002: (100,)}
    (row,) = netstatlib.listening("tcp4", backend=backend)
    assert row.pids == (50, 100, 200)
    assert row.process is None  # no comm file in this folder
