"""Rows of the ``/proc`` text that do not describe a socket as it is: forged UNIX rows and
rows the kernel repeats while sockets come and go. These read files only; the attacks
themselves, by a real unprivileged user and a real churn loop, are in
``tests/live/test_forged_rows.py`` and ``tests/live/test_churn.py``.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

import netstatlib
from netstatlib import ParseError, Protocol, TcpState
from netstatlib.backends import SOCKET_FILES, LinuxProcfs, MemorySource
from netstatlib.backends._linux import OTHER_SOCKET_LISTINGS
from netstatlib.parsers import procfs

FIXTURES = Path(__file__).parent / "fixtures" / "linux"

UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"
TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
)
# /proc/net/netlink and /proc/net/packet as Linux 6.x prints them.
NETLINK = (
    "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
    "00000000c73c70e1 0   0          00000000 0        0        0     2        0        4       \n"
    "0000000021e7f03e 0   812        00000000 0        0        0     2        0        31337   \n"
)
PACKET = (
    "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
    "00000000a1b2c3d4 3      3    0003   2     1 0      0      31338 \n"
)


def tcp_row(number: int, local: str, remote: str, state: str, inode: int) -> str:
    return (
        f"{number:4d}: {local} {remote} {state} 00000000:00000000 00:00000000 00000000     0 "
        f"       0 {inode} 1 0000000000000000 100 0 0 10 0\n"
    )


def unix_line(inode: int, path: str | None = None, flags: str = "00000000") -> str:
    line = f"0000000000000000: 00000002 00000000 {flags} 0001 01 {inode:5d}"
    return line if path is None else f"{line} {path}"


# The attack: a socket bound at "x\n<a row naming the TCP listener's inode> /run/docker.sock".
FORGED_PATH = "x\n" + unix_line(7001, "/run/docker.sock", flags="00010000")
TCP = TCP_HEADER + tcp_row(0, "0100007F:0016", "00000000:0000", "0A", 7001)
UNIX = UNIX_HEADER + "\n".join(
    [unix_line(6001, "/run/real.sock", "00010000"), unix_line(6002, FORGED_PATH), unix_line(6003)]
) + "\n"  # fmt: skip


def capture(**files: str) -> LinuxProcfs:
    """A capture held in memory: ``files`` by their name under net/."""
    data = {f"net/{name}": text.encode() for name, text in files.items()}
    return LinuxProcfs(source=MemorySource(data, name="<capture>"))


def unix_paths(backend: LinuxProcfs) -> list[tuple[int | None, str | None]]:
    rows = netstatlib.connections("unix", backend=backend, processes=False)
    return [(row.inode, row.path) for row in rows]


def test_the_forged_row_goes_back_into_the_path_it_was_printed_in() -> None:
    assert unix_paths(capture(unix=UNIX, tcp=TCP)) == [
        (6001, "/run/real.sock"),
        (6002, FORGED_PATH),  # the whole path, as netlink gives it
        (6003, None),
    ]


def test_without_the_other_tables_the_forged_row_reads_as_a_socket() -> None:
    """What remains possible: a forged row naming an inode no listing names."""
    assert unix_paths(capture(unix=UNIX)) == [
        (6001, "/run/real.sock"),
        (6002, "x"),
        (7001, "/run/docker.sock"),
        (6003, None),
    ]


@pytest.mark.parametrize("listing", OTHER_SOCKET_LISTINGS)
def test_the_inodes_of_every_other_socket_listing_count(listing: str) -> None:
    """A ping, netlink or packet socket's inode (what a daemon's netlink socket shows in
    /proc/net/netlink to everyone) cannot be pinned on a UNIX row either."""
    other = {
        "icmp": TCP_HEADER + tcp_row(0, "00000000:0001", "00000000:0000", "07", 31337),
        "icmp6": TCP_HEADER.replace("local_address", "local_address                        ")
        + tcp_row(0, "0" * 32 + ":0001", "0" * 32 + ":0000", "07", 31337),
        "netlink": NETLINK,
        "packet": PACKET.replace("31338", "31337"),
    }[listing]
    forged = "x\n" + unix_line(31337, "/run/docker.sock", flags="00010000")
    text = UNIX_HEADER + unix_line(6002, forged) + "\n"
    assert unix_paths(capture(unix=text, **{listing: other})) == [(6002, forged)]
    assert unix_paths(capture(unix=text)) == [(6002, "x"), (31337, "/run/docker.sock")]


def test_every_socket_table_is_read_for_a_unix_query_and_only_once() -> None:
    """The query asks for UNIX sockets only; the other tables are read for the check,
    and a table the query reads itself is not read twice."""
    reads: list[str] = []

    class Counting(MemorySource):
        def read(self, path: str, *, optional: bool = False) -> bytes | None:
            reads.append(path)
            return super().read(path, optional=optional)

    backend = LinuxProcfs(source=Counting({"net/unix": UNIX.encode(), "net/tcp": TCP.encode()}))
    netstatlib.connections(["unix", "tcp"], backend=backend, processes=False)
    names = [name for name, _ in SOCKET_FILES.values()]
    expected = {f"net/{name}" for name in (*names, *OTHER_SOCKET_LISTINGS)}
    assert set(reads) >= expected
    assert [path for path in reads if path in expected and reads.count(path) > 1] == []


def test_a_forged_row_with_no_path_before_it_is_left_out() -> None:
    text = UNIX_HEADER + unix_line(7001, "/run/docker.sock", flags="00010000") + "\n"
    assert unix_paths(capture(unix=text, tcp=TCP)) == []


def test_the_captured_fixture_of_the_attack() -> None:
    """The real capture of a forged row (tests/fixtures/linux/unix_forged_row): its row
    names inode 4242, which no table lists, so it still reads as a socket; once a
    listing names 4242 it goes back into the path of the socket bound at "x\\n..."."""
    unix = (FIXTURES / "unix_forged_row" / "unix").read_bytes()
    forged = procfs.parse_unix_sockets(unix)
    assert [(row.inode, row.path) for row in forged][-2:] == [
        (2260016, "x"),
        (4242, "@forged.sock"),
    ]
    rows = procfs.parse_unix_sockets(unix, other_inodes={4242})
    assert [(row.inode, row.path) for row in rows][-1] == (
        2260016,
        "x\n0000000000000000: 00000002 00000000 00010000 0001 01 4242 @forged.sock",
    )
    assert 4242 not in {row.inode for row in rows}


def test_socket_inodes_are_read_from_each_kind_of_listing() -> None:
    for scenario in ("sockets", "counters"):
        for name, (protocol, family) in (
            (name, table) for table, (name, _) in SOCKET_FILES.items()
        ):
            path = FIXTURES / scenario / name
            if protocol is Protocol.UNIX or not path.exists():
                continue
            data = path.read_bytes()
            rows = procfs.parse_inet_sockets(data, protocol=protocol, family=family)
            assert procfs.parse_socket_inodes(data) == {row.inode for row in rows if row.inode}
    assert procfs.parse_socket_inodes(NETLINK) == {4, 31337}
    assert procfs.parse_socket_inodes(PACKET) == {31338}
    assert procfs.parse_socket_inodes(PACKET.splitlines()[0]) == set()


@pytest.mark.parametrize(
    ("text", "line_number"),
    [
        ("", None),
        ("garbage\n", 1),
        (NETLINK + "0000000000000000 0 0\n", 4),
        (NETLINK.replace("31337", "31x37"), 3),
        (TCP_HEADER + "   0: 0100007F:0016 00000000:0000 0A\n", 2),
    ],
)
def test_socket_inode_listings_that_are_not_raise_parse_errors(
    text: str, line_number: int | None
) -> None:
    with pytest.raises(ParseError) as info:
        procfs.parse_socket_inodes(text, source="net/x")
    assert (info.value.source, info.value.line_number) == ("net/x", line_number)


def test_rows_the_kernel_repeated_are_returned_once() -> None:
    """A churn capture: the kernel printed the listener and a TIME_WAIT entry twice (the
    second time in another state, the listener) while sockets came and went."""
    tcp = TCP_HEADER + "".join(
        [
            tcp_row(0, "0100007F:0016", "00000000:0000", "0A", 5001),
            tcp_row(1, "0100007F:0016", "0200007F:D431", "01", 5002),
            tcp_row(2, "0100007F:D432", "0100007F:0016", "06", 0),
            tcp_row(3, "0100007F:0016", "00000000:0000", "0A", 5001),
            tcp_row(4, "0100007F:0016", "0200007F:D431", "08", 5002),
            tcp_row(5, "0100007F:D432", "0100007F:0016", "06", 0),
            tcp_row(6, "0100007F:D433", "0100007F:0016", "06", 0),
        ]
    )
    unix = UNIX_HEADER + "\n".join([unix_line(6001, "/a"), unix_line(0, "/a"),
                                   unix_line(6001, "/a"), unix_line(0, "/a")]) + "\n"  # fmt: skip
    backend = capture(tcp=tcp, unix=unix)
    rows = netstatlib.connections(["tcp", "unix"], backend=backend, processes=False)
    assert [(row.protocol, row.inode, row.state) for row in rows] == [
        (Protocol.TCP, 5001, TcpState.LISTEN),
        (Protocol.TCP, 5002, TcpState.ESTABLISHED),  # as first listed
        (Protocol.TCP, None, TcpState.TIME_WAIT),
        (Protocol.TCP, None, TcpState.TIME_WAIT),  # another connection's
        (Protocol.UNIX, 6001, None),
        (Protocol.UNIX, None, None),  # connections not yet accepted: never merged
        (Protocol.UNIX, None, None),
    ]
    assert [str(row.local) for row in rows if row.state is TcpState.TIME_WAIT] == [
        "127.0.0.1:54322",
        "127.0.0.1:54323",
    ]
    assert socket.AF_INET in {row.family for row in rows}
