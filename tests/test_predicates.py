"""Composable predicates: values, errors, evaluation, and what the query layer hands down."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import netaddr
import pytest

import netstatlib
from netstatlib import (
    Connection,
    F,
    FilterError,
    InterfaceStats,
    Predicate,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    TcpState,
)
from netstatlib.backends import LinuxProcfs

from conftest import conn, ep

# An SSH session from a public address: what a row is unless a test says otherwise.
SESSION: dict[str, Any] = {
    "local": ep("10.0.0.5", 22),
    "remote": ep("8.8.8.8", 51000),
    "family": socket.AF_INET,
    "state": TcpState.ESTABLISHED,
    "pids": (812, 900),
    "process": "sshd: alice",
    "uid": 0,
}


def session(**fields: Any) -> Connection:
    return conn(**{**SESSION, **fields})


LISTENER = session(local=ep("0.0.0.0", 22), remote=None, state=TcpState.LISTEN)
LOOPBACK = session(local=ep("127.0.0.1", 631), remote=ep("127.0.0.1", 40000), process="cupsd")
UDP = session(protocol=Protocol.UDP, local=ep("0.0.0.0", 53), remote=None, state=None)
ESTABLISHED = session()


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (F.state == "ESTABLISHED", [False, True, False, True]),
        (F.state == "listening", [True, False, False, False]),
        (F.state.isin(["syn-recv", "estab"]), [False, True, False, True]),
        (F.state == None, [False, False, True, False]),  # noqa: E711
        (F.protocol == "udp", [False, False, True, False]),
        (F.remote_port == 443, [False, False, False, False]),
        (F.remote_port != 443, [True, True, True, True]),  # no peer is "not 443"
        (F.local_port < 100, [True, False, True, True]),
        (F.local_port.between(600, 700), [False, True, False, False]),
        (F.local_port == "ssh", [True, False, False, True]),
        (F.local_address.is_unspecified, [True, False, True, False]),
        (F.remote_address.is_global, [False, False, False, True]),
        (F.remote_address.is_loopback, [False, True, False, False]),
        (F.local_address.is_private, [False, False, False, True]),
        (F.remote_address.within("8.8.0.0/16"), [False, False, False, True]),
        (
            F.remote_address.within(["1.0.0.0/8", netaddr.IPRange("8.8.8.0", "8.8.8.9")]),
            [False, False, False, True],
        ),
        (F.remote_address.is_missing(), [True, False, True, False]),
        (F.pid == 900, [True, True, True, True]),
        (F.pid.isin([1, 2]), [False, False, False, False]),
        (F.process.glob("sshd*"), [True, False, True, True]),
        (F.process.matches(r"^cups"), [False, True, False, False]),
        (F.uid == 0, [True, True, True, True]),
        ((F.state == "LISTEN") | (F.protocol == "udp"), [True, False, True, False]),
        (~(F.state == "LISTEN") & F.remote_address.is_global, [False, False, False, True]),
    ],
)
def test_predicates_select_the_right_rows(predicate: Predicate, expected: list[bool]) -> None:
    rows = [LISTENER, LOOPBACK, UDP, ESTABLISHED]
    assert [predicate(row) for row in rows] == expected
    assert [predicate.compile()(row) for row in rows] == expected


def test_predicates_are_values() -> None:
    assert (F.state == "syn-recv") == (F.state == TcpState.SYN_RECV)
    assert (F.remote_port == "https") == (F.remote_port == 443)
    assert hash(F.local_port == 22) == hash(F.local_port == 22)
    combined = (F.protocol == "tcp") & (F.state == "LISTEN") & (F.local_port < 1024)
    assert len(combined.parts) == 3  # type: ignore[attr-defined]
    assert ~~(F.state == "LISTEN") == (F.state == "LISTEN")
    assert (F.state == "LISTEN") | (F.state == "CLOSE") != (F.state == "LISTEN") & (
        F.state == "CLOSE"
    )


def test_repr_reads_back_as_python() -> None:
    predicate = (F.state == "estab") & (
        F.remote_address.within("10.0.0.0/8") | ~F.process.glob("ssh*")
    )
    text = repr(predicate)
    assert text == (
        "(F.state == TcpState.ESTABLISHED) & "
        "(F.remote_address.within(['10.0.0.0/8']) | ~(F.process.glob('ssh*')))"
    )
    assert eval(text, {"F": F, "TcpState": TcpState}) == predicate


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: F.nonsense, "no record has a field 'nonsense'"),
        (lambda: F.state == "LISTENINGG", "not a value of field state"),
        (lambda: F.local_port == 70000, "not a value of field local_port"),
        (lambda: F.local_port == "no-such-service", "unknown service name"),
        (lambda: F.local_port == 22.5, "port number or a service name"),
        (lambda: F.local_port == True, "port number or a service name"),  # noqa: E712
        (lambda: F.remote_address == "10.0.0.300", "not a value of field remote_address"),
        (lambda: F.remote_address.within("10.0.0.0/33"), "not an address range"),
        (lambda: F.state < "LISTEN", "cannot be compared with <"),
        (lambda: F.process.glob("[") | F.process.matches("("), "bad pattern"),
        (lambda: F.local_port.glob("2*"), "is not text"),
        (lambda: F.process.within("10.0.0.0/8"), "is not an address"),
        (lambda: F.state.isin("LISTEN"), "collection of values"),
        (lambda: (F.state == "LISTEN") & (F.metric > 3), "no record has all of the fields"),
        (lambda: (F.state == "LISTEN") & True, "cannot combine"),
        (lambda: bool(F.state == "LISTEN"), "no truth value"),
        (lambda: (F.uid == 0) and (F.pid == 1), "no truth value"),
    ],
)
def test_mistakes_are_filter_errors_at_construction(build: object, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        build()  # type: ignore[operator]


def test_filter_error_is_a_usage_error_and_value_error() -> None:
    assert issubclass(FilterError, netstatlib.UsageError)
    assert issubclass(FilterError, ValueError)


def test_other_records() -> None:
    route = Route(
        family=socket.AF_INET,
        destination=netaddr.IPNetwork("10.1.0.0/16"),
        gateway=netaddr.IPAddress("10.0.0.1"),
        interface="eth0",
        metric=100,
        flags=RouteFlags.UP | RouteFlags.GATEWAY,
    )
    assert (F.destination.within("10.0.0.0/8"))(route)
    assert not (F.destination.within("10.1.2.0/24"))(route)
    assert (F.gateway == "10.0.0.1")(route)
    assert (F.interface.glob("eth*") & (F.metric >= 100) & (F.is_default == False))(route)  # noqa: E712
    assert F.flags.has("gateway")(route)
    assert F.flags.has(["UP", "GATEWAY"])(route)
    assert not F.flags.has(RouteFlags.REJECT)(route)
    assert (F.flags == RouteFlags.UP | RouteFlags.GATEWAY)(route)
    assert repr(F.flags.has(["UP", "GATEWAY"])) == "F.flags.has(['UP', 'GATEWAY'])"
    with pytest.raises(FilterError, match="unknown route flag"):
        F.flags.has("SHINY")
    with pytest.raises(FilterError, match="has no flags"):
        F.metric.has("UP")
    stats = InterfaceStats(
        name="eth0", rx_bytes=5000, rx_packets=1, rx_errors=3, rx_dropped=0, rx_fifo_errors=0,
        rx_frame_errors=0, rx_compressed=0, multicast=0, tx_bytes=0, tx_packets=0,
        tx_errors=0, tx_dropped=0, tx_fifo_errors=0, collisions=0, tx_carrier_errors=0,
        tx_compressed=0,
    )  # fmt: skip
    assert ((F.rx_errors > 0) & (F.name == "eth0"))(stats)
    assert (F.group == "Tcp")(ProtocolStats(group="Tcp", counters={}))


def test_queries_reject_predicates_on_fields_their_records_lack() -> None:
    with pytest.raises(FilterError, match="Route records have no field state"):
        netstatlib.routes(where=F.state == "LISTEN")
    with pytest.raises(FilterError, match="Connection records have no field metric"):
        netstatlib.connections(where=F.metric > 1)


TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0016 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 1001 1 0
   1: 0100007F:0016 0200007F:D431 01 00000010:00000000 00:00000000 00000000  1000        0 1002 1 0
"""


class Recording(LinuxProcfs):
    """Records which files were read and which rows reached the process lookup."""

    read: list[str]
    owners_asked: int = 0

    def connections(self, query):  # type: ignore[no-untyped-def]
        tables = query.tables
        self.read = sorted(f"{p.value}{'6' if f == socket.AF_INET6 else ''}" for p, f in tables)
        self.kept = query.early_test()
        return super().connections(query)

    def socket_owners(self, inodes=None):  # type: ignore[no-untyped-def]
        self.owners_asked += 1
        return {1001: (7,), 1002: (9,)}

    def process_name(self, pid: int) -> str | None:
        return {7: "sshd", 9: "client"}[pid]


def recording(tmp_path: Path) -> Recording:
    net = tmp_path / "net"
    net.mkdir()
    (net / "tcp").write_text(TCP)
    (net / "tcp6").write_text(TCP.splitlines()[0] + "\n")
    return Recording(root=tmp_path)


def test_protocol_and_family_restrict_the_files_read(tmp_path: Path) -> None:
    backend = recording(tmp_path)
    rows = netstatlib.connections("all", where=F.protocol == "tcp", backend=backend)
    assert backend.read == ["tcp", "tcp6"]  # no udp, raw or unix file: they may not even exist
    assert len(rows) == 2
    netstatlib.connections("all", where=(F.family == 4) & (F.protocol == "tcp"), backend=backend)
    assert backend.read == ["tcp"]
    assert len(netstatlib.connections("udp", where=F.protocol == "tcp", backend=backend)) == 0


def test_process_free_parts_run_before_the_process_lookup(tmp_path: Path) -> None:
    backend = recording(tmp_path)
    rows = netstatlib.connections(
        "tcp4", where=(F.state == "LISTEN") & F.process.glob("ssh*"), backend=backend
    )
    assert backend.kept is not None
    assert [row.process for row in rows] == ["sshd"]
    none = netstatlib.connections("tcp4", where=F.state == "SYN_RECV", backend=backend)
    assert len(none) == 0
    assert backend.owners_asked == 1  # nothing survived the state test: no walk the 2nd time


def test_ipv4_mapped_peers_are_classed_and_ranged_by_their_ipv4_address() -> None:
    mapped = session(family=socket.AF_INET6, remote=ep("::ffff:8.8.8.8", 443))
    private = session(family=socket.AF_INET6, remote=ep("::ffff:10.1.2.3", 443))
    assert F.remote_address.is_global(mapped)
    assert not F.remote_address.is_global(private)
    assert F.remote_address.is_private(private)
    assert F.remote_address.within("10.0.0.0/8")(private)
    assert F.remote_address.is_ipv4_mapped(private)


def test_audit_predicates_and_half_open_counts() -> None:
    from netstatlib import audits

    assert audits.ON_ALL_INTERFACES(LISTENER)
    assert not audits.ON_ALL_INTERFACES(LOOPBACK)
    assert audits.TO_PUBLIC_ADDRESSES(ESTABLISHED)
    assert not audits.TO_PUBLIC_ADDRESSES(LOOPBACK)
    flood = [
        session(
            local=ep("10.0.0.5", 80), remote=ep(f"203.0.113.{n}", 4000), state=TcpState.SYN_RECV
        )
        for n in range(5)
    ]
    flood += [session(local=ep("10.0.0.5", 443), state=TcpState.NEW_SYN_RECV), ESTABLISHED]
    counts = audits.half_open_by_port(flood)
    assert counts == {80: 5, 443: 1}
    assert list(counts) == [80, 443]


def test_half_open_by_port_reads_only_tcp_and_no_processes(tmp_path: Path) -> None:
    from netstatlib import audits

    net = tmp_path / "net"
    net.mkdir()
    syn_recv = TCP + "   2: 0100007F:0050 0200007F:D432 03 00000000:00000000 00:0 0 0 0 0 1 0\n"
    (net / "tcp").write_text(syn_recv)
    backend = Recording(root=tmp_path)
    assert audits.half_open_by_port(backend=backend) == {80: 1}
    assert backend.read == ["tcp", "tcp6"]
    assert backend.owners_asked == 0


# -- endpoints printed with names (Windows netstat without -n) -----------------------------

WINDOWS = Path(__file__).parent / "fixtures" / "windows" / "connections"


def windows_rows(name: str) -> list[Connection]:
    from netstatlib.parsers import windows

    return list(windows.parse_connections((WINDOWS / name).read_bytes()))


def foreign(rows: list[Connection], printed: str) -> Connection:
    """The row whose foreign address is ``printed`` (as its name, else its numbers)."""
    (row,) = [row for row in rows if str(row.remote_name or row.remote) == printed]
    return row


def test_a_port_printed_as_a_service_name_is_matched_by_its_number() -> None:
    """netstat -ao without -n printed ``edge-cache-01:https``: the address is unknown,
    the port is 443, and every way of asking for port 443 finds the row."""
    rows = windows_rows("win7_en_netstat-ao_names.txt")
    named = foreign(rows, "edge-cache-01:https")
    assert named.remote is None and named.remote_name is not None
    assert named.remote_name.port == 443
    long_name = foreign(rows, "host-with-a-very-long-name-0001:https")
    numeric = foreign(rows, "198.51.100.7:https")  # both numbers known: an endpoint too
    assert numeric.remote == ep("198.51.100.7", 443)
    to_443 = {id(row) for row in (named, long_name, numeric)}
    for where in (
        F.remote_port == 443,
        F.remote_port == "https",
        F.remote_port.isin([443, 8443]),
        F.remote_port.between(400, 500),
        (F.remote_port > 442) & (F.remote_port < 444),
        netstatlib.compile_filter("dport = :443"),
        netstatlib.compile_filter("dport = :https"),
        netstatlib.compile_filter("dport >= :443 and dport <= :443"),
        netstatlib.compile_filter("dst *:443"),
    ):
        assert {id(row) for row in rows if where(row)} == to_443, where
    # The others: not 443, and a port that is known is never "missing".
    assert not (F.remote_port != 443)(named)
    assert not F.remote_port.is_missing()(named)
    assert not netstatlib.compile_filter("not dport = :443")(named)
    # A host name is not an address: address tests do not match it, nor fail loudly.
    assert F.remote_address.is_missing()(named)
    assert not F.remote_address.within("0.0.0.0/1")(named)


def test_an_address_printed_beside_an_unknown_service_is_matched() -> None:
    """``198.51.100.8:acme-svc``: a service name netstatlib does not know, so no port and
    no endpoint, but the address was printed as a number and filters test it."""
    rows = windows_rows("win7_en_netstat-ao_names.txt")
    row = foreign(rows, "198.51.100.8:acme-svc")
    assert row.remote is None and row.remote_name is not None and row.remote_name.port is None
    assert row.remote_name.address == netaddr.IPAddress("198.51.100.8")
    assert (F.remote_address == "198.51.100.8")(row)
    assert F.remote_address.within("198.51.100.0/24")(row)
    assert netstatlib.compile_filter("dst 198.51.100.0/24")(row)
    assert netstatlib.compile_filter("dst 198.51.100.8")(row)
    assert not F.remote_address.is_private(row) and not F.remote_address.is_global(row)
    assert F.remote_port.is_missing()(row)  # the port really is unknown
    assert not (F.remote_port == 0)(row)


def test_local_names_give_their_ports_too() -> None:
    """Windows XP's ``netstat -a`` printed even the local side as names
    (``pc-042:epmap``): sport and F.local_port read the port the name says."""
    rows = windows_rows("winxp_en_netstat-a_local-names.txt")
    assert all(row.local is None for row in rows)
    ports = {row.local_name.port for row in rows if row.local_name is not None}
    assert {135, 445, 1029, 123} <= ports
    assert [str(row.local_name) for row in rows if (F.local_port == 135)(row)] == ["pc-042:epmap"]
    assert [str(row.local_name) for row in rows if (F.local_port == 1029)(row)] == ["pc-042:1029"]
    listening_epmap = netstatlib.compile_filter("state listening sport = :epmap")
    assert [str(row.local_name) for row in rows if listening_epmap(row)] == ["pc-042:epmap"]
    peer = netstatlib.compile_filter("dport = :netbios-ssn")
    assert [str(row.remote_name) for row in rows if peer(row)] == ["fileserver:netbios-ssn"]


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("10.0.0.5", "10.0.0.5"),
        ("[fe80::1%12]", "fe80::1"),  # as resolve_names brackets it
        ("fe80::1%12", "fe80::1"),  # as Windows' parser keeps it
        ("::ffff:10.0.0.5", "::ffff:10.0.0.5"),
        ("dc01", None),
        ("10.1", None),  # inet_aton would read 10.0.0.1: a name here, as netstat printed it
        ("0x0a000005", None),
        ("999.0.0.1", None),
        ("fe80::asda:4124", None),  # anonymised by hand: kept as text, no address
        ("[]", None),
    ],
)
def test_a_named_endpoint_reads_an_address_only_where_one_was_printed(
    host: str, address: str | None
) -> None:
    name = netstatlib.NamedEndpoint(host=host, port=80)
    assert name.address == (None if address is None else netaddr.IPAddress(address))
    row = conn(None, family=socket.AF_INET, local_name=name, state=TcpState.LISTEN)
    assert F.local_address.is_missing()(row) == (address is None)
    if address is not None:
        assert (F.local_address == address)(row)


def test_an_endpoint_wins_over_its_name() -> None:
    """``resolve_names`` adds names beside the numbers: the numbers are what is tested."""
    row = session(remote_name=netstatlib.NamedEndpoint(host="10.9.9.9", port=1, service="tcpmux"))
    assert (F.remote_port == 51000)(row) and not (F.remote_port == 1)(row)
    assert (F.remote_address == "8.8.8.8")(row) and not (F.remote_address == "10.9.9.9")(row)


def test_a_query_over_a_windows_listing_with_names_finds_them(tmp_path: Path) -> None:
    """The whole path: a capture of ``netstat -ao`` (no -n) read through the Windows
    backend, the filter planned and handed down, then applied again."""
    folder = tmp_path / "capture"
    folder.mkdir()
    source = WINDOWS / "win7_en_netstat-ao_names.txt"
    (folder / "netstat-ano.txt").write_bytes(source.read_bytes())
    backend = netstatlib.open_capture(folder)
    found = netstatlib.connections("tcp", where="dport = :https", backend=backend)
    assert sorted(str(row.remote_name or row.remote) for row in found) == [
        "198.51.100.7:https",
        "edge-cache-01:https",
        "host-with-a-very-long-name-0001:https",
    ]
    same = netstatlib.connections("tcp", where=F.remote_port == 443, backend=backend)
    assert list(same) == list(found)


def test_half_open_counts_read_a_port_from_a_name() -> None:
    from netstatlib import audits

    name = netstatlib.NamedEndpoint(host="pc-042", port=80, service="http")
    rows = [
        conn(None, ep("203.0.113.1", 4000), local_name=name, state=TcpState.SYN_RECV),
        conn(None, ep("203.0.113.2", 4000), local_name=name, state=TcpState.SYN_RECV),
        conn(ep("10.0.0.5", 443), ep("203.0.113.3", 4000), state=TcpState.SYN_RECV),
        # A name whose service netstatlib does not know: no port to count it under.
        conn(
            None,
            ep("203.0.113.4", 4000),
            local_name=netstatlib.NamedEndpoint(host="pc-042", port=None, service="odd"),
            state=TcpState.SYN_RECV,
        ),
    ]
    assert audits.half_open_by_port(rows) == {80: 2, 443: 1}
