"""Focused tests of each /proc parser on small hand-written samples.

The samples follow the kernel's own format strings (quoted next to each group of tests);
real captures are exercised in test_procfs_fixtures.py. Several tests pin bugs these
tests found and that are fixed (loose numbers, the endpoint cache, IcmpMsg pairs, UNIX
paths starting with a newline, Unicode digits and spaces).
"""

from __future__ import annotations

import itertools
import os
import socket

import netaddr
import pytest

from netstatlib import ParseError, Protocol, RouteFlags, TcpState, UsageError
from netstatlib.parsers import procfs

IP = netaddr.IPAddress
NET = netaddr.IPNetwork

# --------------------------------------------------------------------------------------
# /proc/net/{tcp,udp,raw}[6]: "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u
# %8d %lu ..." (tcp4_seq_show); IPv6 prints the address as four %08X words.
# --------------------------------------------------------------------------------------

TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
)
TCP6_HEADER = (
    "  sl  local_address                         remote_address                        "
    "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
)
UDP_HEADER = (
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops\n"
)


# Each row is a socket of its own unless a test says otherwise: a real kernel never lists
# two sockets with one inode, and the parser returns a repeated inode once.
_INODES = itertools.count(4242)


def row(local: str, remote: str, state: str = "0A", queues: str = "00000000:00000000",
        uid: str = "0", inode: str | None = None) -> str:  # fmt: skip
    if inode is None:
        inode = str(next(_INODES))
    return (
        f"   0: {local} {remote} {state} {queues} 00:00000000 00000000 {uid:>5} "
        f"       0 {inode} 1 0000000000000000 100 0 0 10 0\n"
    )


def tcp(text: str, family=socket.AF_INET, byteorder="little", protocol=Protocol.TCP):
    return procfs.parse_inet_sockets(
        text, protocol=protocol, family=family, source="tcp-sample", byteorder=byteorder
    )


def test_ipv4_little_endian_row():
    # psutil's worked example: "0500000A:0016" is 10.0.0.5:22 on a little-endian host.
    (conn,) = tcp(
        TCP_HEADER + row("0500000A:0016", "0100000A:C350", "01", "00000010:00000020", "1000", "777")
    )
    assert conn.protocol is Protocol.TCP
    assert conn.family is socket.AF_INET
    assert (conn.local.address, conn.local.port) == (IP("10.0.0.5"), 22)
    assert (conn.remote.address, conn.remote.port) == (IP("10.0.0.1"), 50000)
    assert conn.state is TcpState.ESTABLISHED
    assert (conn.send_queue, conn.recv_queue) == (0x10, 0x20)
    assert (conn.uid, conn.inode) == (1000, 777)
    assert conn.ip_protocol is None
    assert conn.pids is None and conn.process is None
    assert conn.path is None and conn.socket_type is None


def test_ipv4_big_endian_row():
    (conn,) = tcp(TCP_HEADER + row("0A000005:0016", "00000000:0000"), byteorder="big")
    assert conn.local.address == IP("10.0.0.5")
    assert conn.local.port == 22  # ports are printed after ntohs: no byte order
    assert conn.remote is None


def test_byteorder_decides_the_address_not_the_port():
    text = TCP_HEADER + row("0100007F:0277", "00000000:0000")
    (little,) = tcp(text, byteorder="little")
    (big,) = tcp(text, byteorder="big")
    assert little.local.address == IP("127.0.0.1")
    assert big.local.address == IP("1.0.0.127")
    assert little.local.port == big.local.port == 631


@pytest.mark.parametrize(
    ("little", "big", "address"),
    [
        ("00000000000000000000000001000000", "00000000000000000000000000000001", "::1"),
        ("B80D0120000000000000000001000000", "20010DB8000000000000000000000001", "2001:db8::1"),
        ("0000000000000000FFFF00000100007F", "00000000000000000000FFFF7F000001",
         "::ffff:127.0.0.1"),
        ("000080FE00000000FFA8A8C0ABCDEF01", "FE80000000000000C0A8A8FF01EFCDAB",
         "fe80::c0a8:a8ff:1ef:cdab"),
    ],
)  # fmt: skip
def test_ipv6_words_in_host_order(little, big, address):
    for text, order in ((little, "little"), (big, "big")):
        (conn,) = tcp(
            TCP6_HEADER + row(f"{text}:0016", "0" * 32 + ":0000"),
            family=socket.AF_INET6,
            byteorder=order,
        )
        assert conn.local.address == IP(address), order
        assert conn.local.port == 22
        assert conn.remote is None


def test_ipv4_mapped_endpoint():
    (conn,) = tcp(
        TCP6_HEADER
        + row(
            "0000000000000000FFFF00000100007F:9C56",
            "0000000000000000FFFF00000100007F:9454",
            "01",
        ),
        family=socket.AF_INET6,
    )
    assert conn.local.is_ipv4_mapped and conn.remote.is_ipv4_mapped
    assert conn.local.unmapped().address == IP("127.0.0.1")
    assert conn.local.unmapped().address.version == 4
    assert str(conn.local) == "[::ffff:127.0.0.1]:40022"


@pytest.mark.parametrize(
    ("number", "state"),
    [
        ("01", TcpState.ESTABLISHED),
        ("02", TcpState.SYN_SENT),
        ("03", TcpState.SYN_RECV),
        ("04", TcpState.FIN_WAIT1),
        ("05", TcpState.FIN_WAIT2),
        ("06", TcpState.TIME_WAIT),
        ("07", TcpState.CLOSE),
        ("08", TcpState.CLOSE_WAIT),
        ("09", TcpState.LAST_ACK),
        ("0A", TcpState.LISTEN),
        ("0B", TcpState.CLOSING),
        ("0C", TcpState.NEW_SYN_RECV),
        ("00", TcpState.UNKNOWN),
        ("0D", TcpState.UNKNOWN),
        ("FF", TcpState.UNKNOWN),
    ],
)
def test_tcp_states(number, state):
    (conn,) = tcp(TCP_HEADER + row("0100007F:0016", "0100007F:C350", number))
    assert conn.state is state  # an unknown state keeps the row


@pytest.mark.parametrize("protocol", [Protocol.UDP, Protocol.UDPLITE])
def test_udp_states(protocol):
    rows = tcp(
        UDP_HEADER
        + row("0100007F:9C4B", "00000000:0000", "07")
        + row("0100007F:9C4C", "0100007F:9C4B", "01"),
        protocol=protocol,
    )
    assert [c.state for c in rows] == [None, TcpState.ESTABLISHED]
    assert [c.is_listening for c in rows] == [True, False]
    assert all(c.protocol is protocol and c.ip_protocol is None for c in rows)


STATE_ROWS = (
    row("0100007F:0016", "00000000:0000", "0A")  # LISTEN
    + row("0100007F:0016", "0200007F:D431", "01")  # ESTABLISHED
    + row("0100007F:D432", "0100007F:0016", "06", inode="0")  # TIME_WAIT
    + row("0100007F:0017", "00000000:0000", "2A")  # a state the kernel may add one day
)


@pytest.mark.parametrize(
    "states",
    [
        set(),
        {TcpState.LISTEN},
        {TcpState.LISTEN, None},
        {TcpState.TIME_WAIT, TcpState.ESTABLISHED},
        {TcpState.UNKNOWN},
        set(TcpState),
    ],
    ids=repr,
)
def test_only_rows_in_the_states_asked_for(states):
    every = tcp(TCP_HEADER + STATE_ROWS)
    assert len(every) == 4
    chosen = procfs.parse_inet_sockets(
        TCP_HEADER + STATE_ROWS, protocol=Protocol.TCP, family=socket.AF_INET, states=states
    )
    assert chosen == [conn for conn in every if conn.state in states]


def test_states_of_datagram_sockets_count_unconnected_as_none():
    text = (
        UDP_HEADER
        + row("0100007F:9C4B", "00000000:0000", "07")
        + row("0100007F:9C4C", "0100007F:9C4B", "01")
    )
    udp = {"protocol": Protocol.UDP, "family": socket.AF_INET}
    assert [c.state for c in procfs.parse_inet_sockets(text, **udp, states={None})] == [None]
    assert procfs.parse_inet_sockets(text, **udp, states={TcpState.CLOSE}) == []


def test_a_skipped_row_still_needs_a_state():
    with pytest.raises(ParseError, match="line 3"):
        procfs.parse_inet_sockets(
            TCP_HEADER + STATE_ROWS.replace(" 01 ", " zz ", 1),
            protocol=Protocol.TCP,
            family=socket.AF_INET,
            states={TcpState.LISTEN},
        )


def test_raw_sockets_keep_the_ip_protocol():
    rows = tcp(
        UDP_HEADER
        + row("00000000:0001", "00000000:0000", "07")  # ICMP, unbound
        + row("0100007F:00FD", "0100007F:0000", "01"),  # protocol 253, connected
        protocol=Protocol.RAW,
    )
    assert [c.ip_protocol for c in rows] == [1, 253]
    assert [c.local.port for c in rows] == [1, 253]  # kept where the kernel puts it
    assert rows[0].remote is None
    assert (rows[1].remote.address, rows[1].remote.port) == (IP("127.0.0.1"), 0)
    assert rows[1].state is TcpState.ESTABLISHED


def test_time_wait_and_syn_recv_entries_have_no_inode():
    """get_timewait4_sock() prints uid 0 and inode 0: not a socket, no owner."""
    time_wait, syn_recv, root_socket = tcp(
        TCP_HEADER
        + row("0100007F:A250", "0100007F:9C42", "06", uid="0", inode="0")
        + row("0100007F:9C42", "0100007F:A252", "03", uid="1000", inode="0")
        + row("0100007F:9C42", "0100007F:A254", "01", uid="0", inode="99")
    )
    assert (time_wait.state, time_wait.inode, time_wait.uid) == (TcpState.TIME_WAIT, None, None)
    assert (syn_recv.state, syn_recv.inode, syn_recv.uid) == (TcpState.SYN_RECV, None, 1000)
    assert (root_socket.inode, root_socket.uid) == (99, 0)  # uid 0 is root, kept


def test_all_zero_local_endpoint_does_not_leak_into_remotes():
    """Regression: one endpoint cache for local and remote fields, holding the remote
    "00000000:0000" as None, let a local "00000000:0000" (decoded as 0.0.0.0:0) turn
    that row's and every later unconnected remote into Endpoint(0.0.0.0, 0)."""
    rows = tcp(
        UDP_HEADER
        + row("0100007F:0035", "00000000:0000", "07")
        + row("00000000:0000", "00000000:0000", "07")
        + row("0100007F:0036", "00000000:0000", "07"),
        protocol=Protocol.UDP,
    )
    assert rows[1].local.port == 0
    assert [c.remote for c in rows] == [None, None, None]
    assert all(c.is_listening for c in rows)


def test_remote_with_zero_address_but_a_port_is_kept():
    (conn,) = tcp(TCP_HEADER + row("0100007F:0016", "00000000:0050", "02"))
    assert (conn.remote.address, conn.remote.port) == (IP("0.0.0.0"), 80)


def test_header_only_and_trailing_newline():
    assert tcp(TCP_HEADER) == []
    assert tcp(TCP_HEADER.rstrip("\n")) == []
    assert len(tcp(TCP_HEADER + row("0100007F:0016", "00000000:0000").rstrip("\n"))) == 1


def test_str_and_bytes_give_the_same_rows():
    text = TCP_HEADER + row("0100007F:0016", "0100007F:C350", "01")
    assert tcp(text) == tcp(text.encode())


def test_missing_header_is_a_parse_error():
    text = row("0100007F:0016", "00000000:0000")
    with pytest.raises(ParseError) as info:
        tcp(text)
    assert (info.value.source, info.value.line_number) == ("tcp-sample", 1)
    assert info.value.line == text.rstrip("\n")


def test_empty_input_is_a_parse_error():
    with pytest.raises(ParseError) as info:
        tcp("")
    assert info.value.source == "tcp-sample"
    assert info.value.line_number is None


GOOD_ROW = row("0100007F:0016", "00000000:0000")


@pytest.mark.parametrize(
    "bad",
    [
        "   1: 0100007F:0016 00000000:0000 0A",  # too few fields
        row("0100007G:0016", "00000000:0000"),  # not hex
        row("100007F:0016", "00000000:0000"),  # 7 digits
        row("000100007F:0016", "00000000:0000"),  # 10 digits
        row("0100007F:016", "00000000:0000"),  # 3-digit port
        row("0100007F:00016", "00000000:0000"),  # 5-digit port
        row("0100007F:GGGG", "00000000:0000"),
        row("0100007F", "00000000:0000"),  # no port
        row("0100007F:0016", "0100007F:XYZW"),
        row("0100007F:0016", "00000000:0000", "ZZ"),  # state
        row("0100007F:0016", "00000000:0000", "-1"),
        row("0100007F:0016", "00000000:0000", queues="0000000G:00000000"),
        row("0100007F:0016", "00000000:0000", queues="00000000"),
        row("0100007F:0016", "00000000:0000", uid="root"),
        row("0100007F:0016", "00000000:0000", inode="4x"),
        row("0" * 32 + ":0016", "00000000:0000"),  # an IPv6 row in an IPv4 file
        b"   1: 0100007F:0016 \xff\xfe:0000 0A 0:0 00:0 0 0 0 1\n".decode("utf-8", "replace"),
    ],
)
def test_malformed_row_names_file_line_and_text(bad):
    text = TCP_HEADER + GOOD_ROW + bad.rstrip("\n") + "\n" + GOOD_ROW
    with pytest.raises(ParseError) as info:
        tcp(text)
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.source, error.line_number, error.line) == ("tcp-sample", 3, bad.rstrip("\n"))
    assert "tcp-sample, line 3" in str(error)


def test_undecodable_bytes_are_a_parse_error():
    data = TCP_HEADER.encode() + b"   0: 0100007F:00\xff6 00000000:0000 0A 0:0 00:0 0 0 0 1\n"
    with pytest.raises(ParseError) as info:
        tcp(data)
    assert info.value.line_number == 2
    assert os.fsencode(info.value.line).endswith(b"\xff6 00000000:0000 0A 0:0 00:0 0 0 0 1")


def test_unix_and_bad_families_are_usage_errors():
    with pytest.raises(UsageError, match="parse_unix_sockets"):
        procfs.parse_inet_sockets(TCP_HEADER, protocol=Protocol.UNIX, family=socket.AF_UNIX)
    with pytest.raises(UsageError, match="AF_INET"):
        procfs.parse_inet_sockets(TCP_HEADER, protocol=Protocol.TCP, family=socket.AF_UNIX)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(row("0100007F:+016", "00000000:0000"), id="port-plus"),
        pytest.param(row("0100007F:0_16", "00000000:0000"), id="port-underscore"),
        pytest.param(row("0100007F:0016", "00000000:0000", "0x0A"), id="state-0x"),
        pytest.param(row("0100007F:0016", "00000000:0000", "+A"), id="state-plus"),
        pytest.param(row("0100007F:0016", "00000000:0000", uid="-5"), id="uid-negative"),
        pytest.param(row("0100007F:0016", "00000000:0000", inode="-1"), id="inode-negative"),
        pytest.param(
            row("0100007F:0016", "00000000:0000", queues="-0000001:00000000"),
            id="queue-negative",
        ),
        pytest.param(row("0100007F:0016", "00000000:0000", uid="\u0661"), id="uid-arabic"),
        pytest.param(row("0100007F:0016", "00000000:0000", inode="\uff11"), id="inode-wide"),
        pytest.param(row("0100007F:0016", "00000000:0000", "\u0661\u0662"), id="state-arabic"),
    ],
)
def test_signed_and_prefixed_numbers_are_rejected(bad):
    """Regression: int() takes signs, "_", "0x" and non-ASCII digits; %X/%u never print
    them, so such a row is malformed."""
    with pytest.raises(ParseError) as info:
        tcp(TCP_HEADER + bad)
    assert info.value.line_number == 2


# --------------------------------------------------------------------------------------
# /proc/net/unix: "%pK: %08X %08X %08X %04X %02X %5lu" then " <path>" (unix_seq_show)
# --------------------------------------------------------------------------------------

UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"


def unix_row(flags="00000000", kind="0001", state="01", inode="12345", path=None) -> str:
    text = f"0000000000000000: 00000002 00000000 {flags} {kind} {state} {inode:>5}"
    return text + (f" {path}" if path is not None else "") + "\n"


def unix(text):
    return procfs.parse_unix_sockets(text, source="unix-sample")


def test_unix_rows():
    rows = unix(
        UNIX_HEADER
        + unix_row("00010000", "0001", "01", "100", "/run/my app/listen.sock")
        + unix_row("00000000", "0001", "03", "101")
        + unix_row("00000000", "0002", "01", "102", "@abstract name")
        + unix_row("00010000", "0005", "01", "103", "@")
        + unix_row("00000000", "0001", "02", "0", "/run/my app/listen.sock")
        + unix_row("00000000", "0001", "04", "104")
        + unix_row("00000000", "0009", "05", "105")
    )
    assert [c.inode for c in rows] == [100, 101, 102, 103, None, 104, 105]
    assert [c.path for c in rows] == [
        "/run/my app/listen.sock",
        None,
        "@abstract name",
        "@",
        "/run/my app/listen.sock",
        None,
        None,
    ]
    assert [c.state for c in rows] == [
        TcpState.LISTEN,
        TcpState.ESTABLISHED,
        None,
        TcpState.LISTEN,
        TcpState.SYN_SENT,  # SS_CONNECTING
        TcpState.CLOSING,  # SS_DISCONNECTING
        TcpState.UNKNOWN,
    ]
    assert [c.socket_type for c in rows] == [
        socket.SOCK_STREAM,
        socket.SOCK_STREAM,
        socket.SOCK_DGRAM,
        socket.SOCK_SEQPACKET,
        socket.SOCK_STREAM,
        socket.SOCK_STREAM,
        None,  # a type number Python does not know
    ]
    for conn in rows:
        assert conn.protocol is Protocol.UNIX
        assert conn.family is socket.AF_UNIX
        assert (conn.local, conn.remote, conn.uid, conn.recv_queue) == (None,) * 4


def test_unix_path_keeps_leading_and_trailing_spaces():
    (conn,) = unix(UNIX_HEADER + unix_row(path=" padded  "))
    assert conn.path == " padded  "


def test_unix_path_with_a_newline_is_joined():
    rows = unix(
        UNIX_HEADER
        + unix_row(inode="1", path="/tmp/new")
        + "line.sock\n"
        + unix_row(inode="2", path="/tmp/two")
        + "new\n"
        + "lines\n"
        + unix_row(inode="3")
    )
    assert [(c.inode, c.path) for c in rows] == [
        (1, "/tmp/new\nline.sock"),
        (2, "/tmp/two\nnew\nlines"),
        (3, None),
    ]


def test_unix_path_ending_in_a_newline():
    rows = unix(UNIX_HEADER + unix_row(inode="1", path="/tmp/x") + "\n" + unix_row(inode="2"))
    assert [(c.inode, c.path) for c in rows] == [(1, "/tmp/x\n"), (2, None)]
    (last,) = unix(UNIX_HEADER + unix_row(inode="1", path="/tmp/x") + "\n")
    assert last.path == "/tmp/x\n"


def test_unix_path_starting_with_a_newline():
    """Regression: bind("\\nx") (relative) makes the row end in "<inode> " with the path
    on the next line; the empty path was taken for "no path" and the next line refused,
    so any local user could make the whole file unparseable."""
    rows = unix(UNIX_HEADER + unix_row(inode="1", path="") + "x.sock\n" + unix_row(inode="2"))
    assert [(c.inode, c.path) for c in rows] == [(1, "\nx.sock"), (2, None)]


@pytest.mark.parametrize(
    "bad",
    [
        "0000000000000000: 00000002 00000000 00000000 0002 01 \u0661\u0662\u0663 /x",
        "0000000000000000: 00000002 00000000 00000000 0002 01 \uff11\uff12 /x",
        "\u20030000000000000000: 00000002 00000000 00000000 0002 01 12 /x",
    ],
    ids=["arabic-inode", "fullwidth-inode", "em-space-indent"],
)
def test_unix_non_ascii_numbers_are_malformed(bad):
    with pytest.raises(ParseError):
        unix(UNIX_HEADER + bad + "\n")


def test_unix_non_utf8_path_survives():
    data = UNIX_HEADER.encode() + unix_row(path="/tmp/caf").encode()[:-1] + b"\xe9.sock\n"
    (conn,) = unix(data)
    assert os.fsencode(conn.path) == b"/tmp/caf\xe9.sock"
    assert unix(data) == unix(data.decode("utf-8", "surrogateescape"))


def test_unix_continuation_without_a_path_is_an_error():
    text = UNIX_HEADER + unix_row(inode="1") + "stray text\n"
    with pytest.raises(ParseError) as info:
        unix(text)
    assert (info.value.source, info.value.line_number, info.value.line) == (
        "unix-sample",
        3,
        "stray text",
    )


@pytest.mark.parametrize(
    "bad",
    [
        "0000000000000000: 00000002 00000000 00000000 0001 01",  # no inode
        "0000000000000000: 00000002 00000000 00000000 001 01 12345",  # 3-digit type
        "0000000000000000: 0000002 00000000 00000000 0001 01 12345",
        "0000000000000000 00000002 00000000 00000000 0001 01 12345",  # no colon
        "0000000000000000: 00000002 00000000 0000000G 0001 01 12345",
        "0000000000000000: 00000002 00000000 00000000 0001 01 12a45",
    ],
)
def test_unix_malformed_first_row(bad):
    with pytest.raises(ParseError) as info:
        unix(UNIX_HEADER + bad + "\n")
    assert (info.value.line_number, info.value.line) == (2, bad)


def test_unix_header():
    assert unix(UNIX_HEADER) == []
    with pytest.raises(ParseError) as info:
        unix(unix_row())
    assert info.value.line_number == 1
    with pytest.raises(ParseError):
        unix("")


# --------------------------------------------------------------------------------------
# /proc/net/route: "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u" (fib_route_seq_show)
# --------------------------------------------------------------------------------------

ROUTE_HEADER = (
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"
    + " " * 59
    + "\n"
)


def route_row(iface, dest, gateway, flags, metric, mask, mtu=0, window=0, irtt=0) -> str:
    return f"{iface}\t{dest}\t{gateway}\t{flags}\t0\t0\t{metric}\t{mask}\t{mtu}\t{window}\t{irtt}\n"


def routes(text, byteorder="little"):
    return procfs.parse_route(text, source="route-sample", byteorder=byteorder)


def test_route_rows_little_endian():
    rows = routes(
        ROUTE_HEADER
        + route_row("eth0", "00000000", "0100A8C0", "0003", 100, "00000000")
        + route_row("eth0", "0000A8C0", "00000000", "0001", 0, "00FFFFFF")
        + route_row("*", "006433C6", "00000000", "0001", 0, "00FFFFFF")  # blackhole
        + route_row("*", "00000000", "00000000", "0201", 600, "00000000")  # unreachable
        + route_row("eth0", "0100630A", "0100A8C0", "0007", 0, "FFFFFFFF")  # host route
        + route_row("eth0", "007100CB", "0100A8C0", "0003", 0, "00FFFFFF", 1400, 65535, 30)
        + route_row("eth0", "005AA8C0", "0100A8C0", "0003", 4294967295, "00FFFFFF")
    )
    default, lan, blackhole, unreachable, host, tuned, far = rows
    assert default.destination == NET("0.0.0.0/0")
    assert default.gateway == IP("192.168.0.1")
    assert (default.interface, default.metric) == ("eth0", 100)
    assert default.flags == RouteFlags.UP | RouteFlags.GATEWAY
    assert default.is_default is True
    assert (default.mtu, default.window, default.irtt, default.source) == (None,) * 4
    assert lan.destination == NET("192.168.0.0/24")
    assert lan.gateway is None  # on-link
    assert lan.is_default is False
    assert blackhole.interface is None
    assert blackhole.destination == NET("198.51.100.0/24")
    assert unreachable.is_default is False  # REJECT, no device
    assert RouteFlags.REJECT in unreachable.flags
    assert host.destination == NET("10.99.0.1/32")
    assert RouteFlags.HOST in host.flags
    assert (tuned.mtu, tuned.window, tuned.irtt) == (1400, 65535, 30)
    assert far.metric == 4294967295
    assert all(r.family is socket.AF_INET for r in rows)


def test_route_metric_and_mtu_are_u32():
    """Older kernels print the u32 priority with %d: -1 is metric 4294967295."""
    (row_,) = routes(
        ROUTE_HEADER + route_row("eth0", "00000000", "0100A8C0", "0003", -1, "00000000")
    )
    assert row_.metric == 4294967295
    for bad in ("4294967296", "+1", "1_0", "0x10", "\u0661"):
        with pytest.raises(ParseError):
            routes(ROUTE_HEADER + route_row("eth0", "00000000", "0", "0003", bad, "0" * 8))


def test_route_big_endian():
    (row_,) = routes(
        ROUTE_HEADER + route_row("eth0", "0A0A0000", "0A0A0001", "0003", 0, "FFFF0000"),
        byteorder="big",
    )
    assert row_.destination == NET("10.10.0.0/16")
    assert row_.gateway == IP("10.10.0.1")


def test_route_unknown_flag_bits_are_kept():
    (row_,) = routes(ROUTE_HEADER + route_row("eth0", "00000000", "00000000", "8001", 0, "0" * 8))
    assert RouteFlags.UP in row_.flags
    assert int(row_.flags) == 0x8001


@pytest.mark.parametrize(
    "bad",
    [
        route_row("eth0", "0000A8C0", "00000000", "0001", 0, "00FF00FF"),  # holes in mask
        route_row("eth0", "0000A8C0", "00000000", "0001", 0, "FFFFFF00"),  # /24 read wrongly
        route_row("eth0", "0000A8C", "00000000", "0001", 0, "00FFFFFF"),
        route_row("eth0", "0000A8C0", "0000000Z", "0001", 0, "00FFFFFF"),
        route_row("eth0", "0000A8C0", "00000000", "00X1", 0, "00FFFFFF"),
        route_row("eth0", "0000A8C0", "00000000", "0001", "x", "00FFFFFF"),
        route_row("eth0", "0000A8C0", "00000000", "0001", 0, "00FFFFFF", mtu="?"),
        "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\n",  # 10 fields
        "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\t0\n",  # 12 fields
    ],
)
def test_route_malformed_rows(bad):
    good = route_row("eth0", "00000000", "0100A8C0", "0003", 0, "00000000")
    with pytest.raises(ParseError) as info:
        routes(ROUTE_HEADER + good + bad)
    assert (info.value.source, info.value.line_number) == ("route-sample", 3)
    assert info.value.line == bad.rstrip("\n")


def test_route_header():
    assert routes(ROUTE_HEADER) == []
    with pytest.raises(ParseError) as info:
        routes(route_row("eth0", "00000000", "0100A8C0", "0003", 0, "00000000"))
    assert info.value.line_number == 1


def test_route_empty_file_means_no_routes():
    """Regression: a fresh network namespace has an empty /proc/net/route (no header
    either: fib_route_seq_start() prints nothing while the main table does not exist)."""
    assert routes("") == []


# --------------------------------------------------------------------------------------
# /proc/net/ipv6_route: "%pi6 %02x %pi6 %02x %pi6 %08x %08x %08x %08x %8s"
# (ipv6_route_native_seq_show), no header, addresses in network order.
# --------------------------------------------------------------------------------------

Z32 = "0" * 32


def v6_row(dest, dest_len, gateway=Z32, metric="00000400", flags="00000001", dev="eth0",
           src=Z32, src_len="00") -> str:  # fmt: skip
    return (
        f"{dest} {dest_len} {src} {src_len} {gateway} {metric} 00000001 00000000 {flags} {dev:>8}\n"
    )


def v6(text):
    return procfs.parse_ipv6_route(text, source="ipv6_route-sample")


def test_ipv6_route_rows():
    gw = "20010db8000000000000000000000001"
    rows = v6(
        v6_row(Z32, "00", gw, flags="00000003")  # default via gateway
        + v6_row(Z32, "00", metric="ffffffff", flags="00200200", dev="lo")  # null entry
        + v6_row(Z32, "00", metric="000007d0", flags="00200200", dev="lo")  # unreachable
        + v6_row("20010db8000100000000000000000000", "40", dev="eth0")
        + v6_row(
            "20010db8004000000000000000000000",
            "40",
            gw,
            flags="00000003",
            src="20010db8001000000000000000000000",
            src_len="40",
        )
        + v6_row("0" * 31 + "1", "80", metric="00000000", flags="80200001", dev="lo")
        + v6_row("ff000000000000000000000000000000", "08", metric="00000100")
    )
    default, null, unreachable, onlink, sourced, local, multicast = rows
    assert default.destination == NET("::/0")
    assert default.gateway == IP("2001:db8::1")
    assert (default.interface, default.metric) == ("eth0", 1024)
    assert default.is_default is True
    assert null.metric == 0xFFFFFFFF
    assert null.flags == RouteFlags.REJECT | RouteFlags.NONEXTHOP
    assert null.is_default is False
    assert unreachable.is_default is False
    assert onlink.destination == NET("2001:db8:1::/64")
    assert onlink.gateway is None and onlink.source is None
    assert sourced.source == NET("2001:db8:10::/64")
    assert local.destination == NET("::1/128")
    assert RouteFlags.LOCAL in local.flags and RouteFlags.UP in local.flags
    assert multicast.destination == NET("ff00::/8")
    assert all(r.family is socket.AF_INET6 for r in rows)
    assert all((r.mtu, r.window, r.irtt) == (None, None, None) for r in rows)


def test_ipv6_route_empty_and_long_interface_names():
    assert v6("") == []
    (row_,) = v6(v6_row(Z32, "00", dev="veth0123456789a"))
    assert row_.interface == "veth0123456789a"


@pytest.mark.parametrize(
    "bad",
    [
        v6_row(Z32, "81"),  # prefix length 129
        v6_row(Z32, "-1"),
        v6_row(Z32, "zz"),
        v6_row(Z32[:-1], "00"),  # 31 digits
        v6_row(Z32 + "0", "00"),
        v6_row(Z32, "00", gateway=Z32[:-1]),
        v6_row(Z32, "00", src=Z32[:-1]),
        v6_row(Z32, "00", src_len="81"),
        v6_row(Z32, "00", metric="xyz"),
        v6_row(Z32, "00", flags="0000000g"),
        v6_row("g" * 32, "00"),
        v6_row(Z32, "00", dev=""),  # a 9-field row
        v6_row(Z32, "00").rstrip("\n") + " extra\n",
    ],
)
def test_ipv6_route_malformed_rows(bad):
    good = v6_row(Z32, "00")
    with pytest.raises(ParseError) as info:
        v6(good + bad)
    assert (info.value.source, info.value.line_number) == ("ipv6_route-sample", 2)
    assert info.value.line == bad.rstrip("\n")


# --------------------------------------------------------------------------------------
# /proc/net/dev: two header lines, then "%6s:%8llu %7llu ..." (older kernels) or
# "%6s: %7llu %7llu ..." (dev_seq_printf_stats); a long name can touch its first number.
# --------------------------------------------------------------------------------------

DEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
    "errs drop fifo colls carrier compressed\n"
)
COUNTERS = " ".join(str(n) for n in range(1, 17))


def dev(text):
    return procfs.parse_dev(text, source="dev-sample")


def test_dev_rows():
    eth0, lo = dev(
        DEV_HEADER
        + f"  eth0: {COUNTERS}\n"
        + "    lo:   52430     621    0    0    0     0          0         0    52430     621"
        "    0    0    0     0       0          0\n"
    )
    assert eth0.name == "eth0"
    assert [
        eth0.rx_bytes, eth0.rx_packets, eth0.rx_errors, eth0.rx_dropped, eth0.rx_fifo_errors,
        eth0.rx_frame_errors, eth0.rx_compressed, eth0.multicast, eth0.tx_bytes,
        eth0.tx_packets, eth0.tx_errors, eth0.tx_dropped, eth0.tx_fifo_errors,
        eth0.collisions, eth0.tx_carrier_errors, eth0.tx_compressed,
    ] == list(range(1, 17))  # fmt: skip
    assert (eth0.mtu, eth0.is_up, eth0.speed_mbps) == (None, None, None)
    assert (lo.name, lo.rx_bytes, lo.tx_packets) == ("lo", 52430, 621)


@pytest.mark.parametrize(
    "line",
    [
        "veth0123456789a:12345678     100    0    0    0     0          0         0 "
        "12345678     100    0    0    0     0       0          0",
        "veth0123456789a: 12345678     100    0    0    0     0          0         0 "
        "12345678     100    0    0    0     0       0          0",
        "wlp0s20f3:123456789012     100    0    0    0     0          0         0 "
        "12345678     100    0    0    0     0       0          0",
    ],
)
def test_dev_long_name_glued_to_its_first_counter(line):
    (stats,) = dev(DEV_HEADER + line + "\n")
    assert stats.name == line.split(":")[0]
    assert stats.rx_bytes == int(line.split(":")[1].split()[0])
    assert stats.rx_packets == 100
    assert stats.tx_bytes == 12345678


@pytest.mark.parametrize(
    "bad",
    [
        "  eth0: " + " ".join(["1"] * 15),
        "  eth0: " + " ".join(["1"] * 17),
        "  eth0 " + COUNTERS,  # no colon
        "  : " + COUNTERS,  # no name
        "  eth0: " + COUNTERS.replace("7", "x"),
        "",
    ],
)
def test_dev_malformed_rows(bad):
    with pytest.raises(ParseError) as info:
        dev(DEV_HEADER + f"lo: {COUNTERS}\n" + bad + "\n")
    assert (info.value.source, info.value.line_number, info.value.line) == (
        "dev-sample",
        4,
        bad,
    )


def test_dev_header():
    assert dev(DEV_HEADER) == []
    for text in ("", "lo: " + COUNTERS + "\n", DEV_HEADER.split("\n")[0] + "\n"):
        with pytest.raises(ParseError) as info:
            dev(text)
        assert info.value.line_number == 1


@pytest.mark.parametrize("bad", ["-1", "+1", "1_000", "\u0661", "0x1"])
def test_dev_rejects_signed_counters(bad):
    """Regression: %llu never prints a sign, "_", a prefix or a non-ASCII digit."""
    with pytest.raises(ParseError):
        dev(DEV_HEADER + "eth0: " + " ".join([bad] + ["1"] * 15) + "\n")


# --------------------------------------------------------------------------------------
# /proc/net/snmp and /proc/net/netstat: "Group: Name ..." / "Group: value ..." pairs.
# --------------------------------------------------------------------------------------

SNMP = (
    "Ip: Forwarding DefaultTTL InReceives\n"
    "Ip: 2 64 1200\n"
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens CurrEstab\n"
    "Tcp: 1 200 120000 -1 17 3\n"
    "Udp: InDatagrams NoPorts\n"
    "Udp: 40 2\n"
)


def snmp(text):
    return procfs.parse_snmp(text, source="snmp-sample")


def test_snmp_pairs_headers_with_values():
    ip, tcp_, udp = snmp(SNMP)
    assert ip.group == "Ip"
    assert dict(ip.counters) == {"Forwarding": 2, "DefaultTTL": 64, "InReceives": 1200}
    assert tcp_["MaxConn"] == -1  # signed
    assert tcp_["ActiveOpens"] == 17  # what nstat calls TcpActiveOpens
    assert list(tcp_.counters) == ["RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn",
                                   "ActiveOpens", "CurrEstab"]  # fmt: skip
    assert dict(udp.counters) == {"InDatagrams": 40, "NoPorts": 2}


def test_snmp_columns_added_and_removed():
    """Kernels add columns in the middle (InCsumErrors) and drop others: read by name."""
    old = snmp("Udp: InDatagrams NoPorts InErrors\nUdp: 10 20 30\n")
    new = snmp(
        "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors InCsumErrors MemErrors\n"
        "Udp: 11 21 31 41 51 61 71\n"
    )
    fewer = snmp("Udp: NoPorts InDatagrams\nUdp: 22 12\n")
    assert old[0]["NoPorts"] == 20 and new[0]["NoPorts"] == 21 and fewer[0]["NoPorts"] == 22
    assert new[0]["InCsumErrors"] == 61
    assert "InCsumErrors" not in old[0].counters
    assert fewer[0]["InDatagrams"] == 12


def test_netstat_groups():
    groups = snmp(
        "TcpExt: SyncookiesSent SyncookiesRecv TCPTimeouts\n"
        "TcpExt: 0 0 12\n"
        "IpExt: InNoRoutes InOctets\n"
        "IpExt: 0 123456789012345\n"
        "MPTcpExt: MPCapableSYNRX\n"
        "MPTcpExt: 0\n"
    )
    assert [g.group for g in groups] == ["TcpExt", "IpExt", "MPTcpExt"]
    assert groups[1]["InOctets"] == 123456789012345


def test_snmp_empty_group_and_input():
    assert snmp("") == []
    (empty,) = snmp("Ip:\nIp:\n")
    assert (empty.group, dict(empty.counters)) == ("Ip", {})


@pytest.mark.parametrize(
    ("text", "line_number", "message"),
    [
        ("Ip: A B C\nIp: 1 2\n", 2, "3 names but 2 values"),
        ("Ip: A B\nIp: 1 2 3\n", 2, "2 names but 3 values"),
        ("Ip: A B\nTcp: 1 2\n", 2, "values line of group 'Ip'"),
        ("Ip: A B\nIp 1 2\n", 2, "values line"),
        ("Ip: A B\nIp: 1 x\n", 2, "x"),
        ("Ip: A B\nIp: 1 +2\n", 2, "2"),
        ("Ip: A B\nIp: 1 0x2\n", 2, "0x2"),
        ("Ip: A\nIp: 1\nIp: A\nIp: 2\n", 3, "repeated"),  # across two pairs of a group
        ("Ip A B\nIp: 1 2\n", 1, "Group: Name"),
        (": A B\n: 1 2\n", 1, "Group: Name"),
        ("I p: A\nI p: 1\n", 1, "Group: Name"),
        ("Ip: A A\nIp: 1 2\n", 1, "repeated"),
        (SNMP + "Icmp: InMsgs\n", 7, "no values line"),
    ],
)
def test_snmp_malformed(text, line_number, message):
    with pytest.raises(ParseError, match=message) as info:
        snmp(text)
    error = info.value
    assert (error.source, error.line_number) == ("snmp-sample", line_number)
    assert error.line == text.split("\n")[line_number - 1]


def test_snmp_icmpmsg_split_over_line_pairs_is_one_group():
    """icmpmsg_put() prints IcmpMsg 16 counters per line pair: the pairs make one group."""
    ins = " ".join(f"InType{n}" for n in range(16))
    groups = snmp(
        f"IcmpMsg: {ins}\nIcmpMsg: {' '.join(['1'] * 16)}\n"
        "IcmpMsg: OutType0 OutType3\nIcmpMsg: 5 6\n"
    )
    assert [g.group for g in groups] == ["IcmpMsg"]
    assert len(groups[0].counters) == 18
    assert (groups[0]["InType15"], groups[0]["OutType3"]) == (1, 6)


def test_snmp_group_pairs_merge_between_other_groups():
    groups = snmp("Ip: A\nIp: 1\nTcp: B\nTcp: 2\nIp: C\nIp: 3\n")
    assert [(g.group, dict(g.counters)) for g in groups] == [
        ("Ip", {"A": 1, "C": 3}),
        ("Tcp", {"B": 2}),
    ]


@pytest.mark.parametrize("group", ["I\tp", "I\u2003p", "Ip\t"])
def test_snmp_group_with_whitespace_is_malformed(group):
    with pytest.raises(ParseError):
        snmp(f"{group}: A\n{group}: 1\n")


# --------------------------------------------------------------------------------------
# /proc/net/snmp6: "%-32s\t%lu" per line, group glued to the counter name.
# --------------------------------------------------------------------------------------


def snmp6(text):
    return procfs.parse_snmp6(text, source="snmp6-sample")


def test_snmp6_group_split():
    groups = snmp6(
        "Ip6InReceives                   \t12\n"
        "Ip6InOctets                     \t3400\n"
        "Icmp6InMsgs                     \t5\n"
        "Icmp6InType133                  \t2\n"
        "Icmp6OutType143                 \t7\n"
        "Udp6InDatagrams                 \t8\n"
        "UdpLite6InDatagrams             \t9\n"
        "Udp6IgnoredMulti                \t1\n"
    )
    by_group = {g.group: dict(g.counters) for g in groups}
    assert [g.group for g in groups] == ["Ip6", "Icmp6", "Udp6", "UdpLite6"]
    assert by_group["Ip6"] == {"InReceives": 12, "InOctets": 3400}
    assert by_group["Icmp6"] == {"InMsgs": 5, "InType133": 2, "OutType143": 7}
    assert by_group["Udp6"] == {"InDatagrams": 8, "IgnoredMulti": 1}
    assert by_group["UdpLite6"] == {"InDatagrams": 9}


def test_snmp6_empty():
    assert snmp6("") == []


@pytest.mark.parametrize(
    "bad",
    [
        "Ip6InReceives",  # no value
        "Ip6InReceives 1 2",
        "Ip6InReceives x",
        "IpInReceives 1",  # no "6" group
        "Ip6 1",  # group without counter
        "6InReceives 1",
        "Ip6In-Receives 1",
        "",
        "Ip6InDelivers 4",  # repeated (the sample already has it)
    ],
)
def test_snmp6_malformed(bad):
    with pytest.raises(ParseError) as info:
        snmp6(f"Ip6InDelivers 4\n{bad}\n")
    assert (info.value.source, info.value.line_number, info.value.line) == (
        "snmp6-sample",
        2,
        bad,
    )


# --------------------------------------------------------------------------------------
# /proc/<pid>/fd/<n> link targets and /proc/<pid>/comm
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "inode"),
    [
        ("socket:[12345]", 12345),
        ("socket:[0]", 0),
        ("socket:[0012]", 12),
        ("socket:[]", None),
        ("socket:[12a]", None),
        ("socket:[-1]", None),
        ("socket:[ 12]", None),
        ("socket:[\u0661\u0662]", None),  # Arabic-Indic digits: isdigit() but not ASCII
        ("socket:[12345]\n", None),
        ("socket:12345", None),
        ("pipe:[12345]", None),
        ("anon_inode:[eventfd]", None),
        ("/dev/null", None),
        ("/home/me/socket:[1]", None),
        ("", None),
    ],
)
def test_parse_socket_link(target, inode):
    assert procfs.parse_socket_link(target) == inode


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("bash\n", "bash"),
        (b"bash\n", "bash"),
        ("Web Content\n", "Web Content"),
        ("(sd-pam)\n", "(sd-pam)"),
        ("a) b (c\n", "a) b (c"),
        ("kworker/0:1H\n", "kworker/0:1H"),
        ("no-newline", "no-newline"),
        ("two\n\n", "two\n"),  # only the final newline goes
        ("\n", ""),
        ("", ""),
        ("  spaced  \n", "  spaced  "),
    ],
)
def test_parse_comm(data, name):
    assert procfs.parse_comm(data) == name


def test_parse_comm_keeps_non_utf8_bytes():
    name = procfs.parse_comm(b"caf\xe9 \xff(x)\n")
    assert name == "caf\udce9 \udcff(x)"
    assert os.fsencode(name) == b"caf\xe9 \xff(x)"


def test_parse_comm_rejects_other_types():
    with pytest.raises(TypeError):
        procfs.parse_comm(None)  # type: ignore[arg-type]
