"""The /proc parsers against real captures, checked with golden values from other tools.

Every folder ``tests/fixtures/linux/<scenario>/`` holds ``/proc/net`` files copied byte
for byte from a network namespace (by ``tests/tools/capture_linux_fixtures.py``) and an
``expected.json`` derived from what ``ss``, ``ip -j``, ``nstat`` and the process that
owned the sockets said at the same moment -- never from netstatlib. These tests only
read files: no root, no network.
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from pathlib import Path

import netaddr
import pytest

from netstatlib import ParseError, Protocol, RouteFlags, TcpState
from netstatlib.backends import SOCKET_FILES
from netstatlib.parsers import procfs

FIXTURES = Path(__file__).parent / "fixtures" / "linux"
SCENARIOS = sorted(path.parent for path in FIXTURES.glob("*/expected.json"))

# Files the capture script copies; a kernel without one simply has no such fixture.
INET_FILES = {
    name: table for table, (name, _) in SOCKET_FILES.items() if table[0] is not Protocol.UNIX
}
PROTOCOLS = {p.value: p for p in (Protocol.TCP, Protocol.UDP, Protocol.UDPLITE, Protocol.RAW)}
FAMILIES = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}

# (scenario, /proc file) -> why the parser cannot match the golden values there. Each
# runs as xfail(strict=True), so a parser that gets it right fails until the entry goes.
# (Fixed since: the empty /proc/net/route of empty_namespace, the path starting with a
# newline of unix_leading_newline.)
KNOWN_PARSER_BUGS = {
    ("unix_forged_row", "unix"): (
        "documented limitation of parse_unix_sockets: a UNIX socket path holding a newline "
        "followed by a well-formed row naming an inode no other listing names yields a "
        "socket that does not exist (inode 4242, LISTEN, '@forged.sock') and cuts the real "
        "path short (tests/test_rows_that_lie.py)"
    ),
}


# Rows where /proc says less than ip: checked by the tests further down.
def _blackhole_nexthop(row: dict) -> bool:
    """A route through a blackhole nexthop object (`ip nexthop add id N blackhole`): the
    kernel prints it like a plain route through lo (IPv4 "lo ... 0001", IPv6 flags UP)."""
    return row.get("nhid") is not None and row["type"] == "blackhole"


def scenario_params(proc_file: str | None = None) -> list:
    params = []
    for path in SCENARIOS:
        reason = KNOWN_PARSER_BUGS.get((path.name, proc_file)) if proc_file else None
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(path, id=path.name, marks=marks))
    return params


def expected_of(scenario: Path) -> dict:
    return json.loads((scenario / "expected.json").read_text())


def read(scenario: Path, name: str) -> bytes | None:
    path = scenario / name
    return path.read_bytes() if path.exists() else None


def source(scenario: Path, name: str) -> str:
    return f"fixtures/linux/{scenario.name}/{name}"


def _endpoint(value: dict | None) -> tuple | None:
    if value is None:
        return None
    return (netaddr.IPAddress(value["address"]), value["port"])


def _key(endpoint) -> tuple | None:
    return None if endpoint is None else (endpoint.address, endpoint.port)


def _state(name: str | None) -> TcpState | None:
    return None if name is None else TcpState[name]


def test_fixtures_exist():
    names = {path.name for path in SCENARIOS}
    assert {"sockets", "routes", "counters"} <= names
    for scenario in SCENARIOS:
        captured = {p.name for p in scenario.iterdir() if p.is_file()}
        assert {"tcp", "tcp6", "udp", "udp6", "unix", "route", "ipv6_route", "dev"} <= captured
        assert {"snmp", "netstat", "snmp6"} <= captured
        assert expected_of(scenario)["byteorder"] == "little"  # what the tests assume


def parse_all_inet(scenario: Path) -> list:
    rows = []
    for name, (protocol, family) in INET_FILES.items():
        data = read(scenario, name)
        if data is None:
            continue
        rows += procfs.parse_inet_sockets(
            data,
            protocol=protocol,
            family=family,
            source=source(scenario, name),
            byteorder="little",
        )
    return rows


@pytest.mark.parametrize("scenario", scenario_params())
def test_inet_sockets(scenario):
    expected = expected_of(scenario)["sockets"]["inet"]
    parsed = parse_all_inet(scenario)
    assert Counter((c.protocol, c.family) for c in parsed) == Counter(
        (PROTOCOLS[e["protocol"]], FAMILIES[e["family"]]) for e in expected
    )
    remaining = list(parsed)
    for row in expected:
        protocol, family = PROTOCOLS[row["protocol"]], FAMILIES[row["family"]]
        local, remote = _endpoint(row["local"]), _endpoint(row["remote"])
        matches = [
            c
            for c in remaining
            if (c.protocol, c.family) == (protocol, family)
            and (_key(c.local), _key(c.remote)) == (local, remote)
            and ("inode" not in row or c.inode == row["inode"])
        ]
        assert len(matches) == 1, f"no single parsed row for {row}"
        conn = matches[0]
        remaining.remove(conn)
        assert conn.state is _state(row["state"]), row
        for field in ("inode", "uid", "recv_queue", "send_queue", "ip_protocol"):
            if field in row:
                assert getattr(conn, field) == row[field], (field, row)
        if protocol is not Protocol.RAW:
            assert conn.ip_protocol is None
        assert conn.path is None
        assert conn.socket_type is None
        assert conn.pids is None  # a parser never looks up processes
        if protocol is Protocol.TCP:
            assert conn.is_listening is (row["state"] == "LISTEN")
        else:
            assert conn.is_listening is (row["remote"] is None)
        for endpoint, value in ((conn.local, row["local"]), (conn.remote, row["remote"])):
            if value is None:
                continue
            mapped = value["address"].startswith("::ffff:")
            assert endpoint.is_ipv4_mapped is mapped
            if mapped:
                assert endpoint.unmapped().address == netaddr.IPAddress(value["address"][7:])
                assert endpoint.unmapped().port == endpoint.port
            else:
                assert endpoint.unmapped() == endpoint
    assert remaining == []


def test_sockets_scenario_has_what_it_promises():
    """The capture really contains the edge cases the other tests rely on."""
    scenario = FIXTURES / "sockets"
    parsed = parse_all_inet(scenario)
    states = {c.state for c in parsed if c.protocol is Protocol.TCP}
    assert {TcpState.LISTEN, TcpState.ESTABLISHED, TcpState.TIME_WAIT} <= states
    assert {TcpState.CLOSE_WAIT, TcpState.FIN_WAIT2, TcpState.SYN_SENT} <= states
    mapped = [c for c in parsed if c.remote is not None and c.remote.is_ipv4_mapped]
    assert {c.protocol for c in mapped} == {Protocol.TCP, Protocol.UDP}
    assert any(c.local.is_ipv4_mapped and c.local.port == 40022 for c in mapped)  # accepted
    assert any(c.remote.port == 40001 for c in mapped)  # v6 client -> ::ffff:127.0.0.1
    raw = {(c.family, c.ip_protocol) for c in parsed if c.protocol is Protocol.RAW}
    assert raw == {(socket.AF_INET, 1), (socket.AF_INET, 253), (socket.AF_INET6, 58)}
    udplite = [c for c in parsed if c.protocol is Protocol.UDPLITE]
    assert len(udplite) == 3
    assert {c.uid for c in parsed} == {0, 65534, None}  # None: TIME_WAIT, no owner
    assert any(c.recv_queue == 100 for c in parsed if c.protocol is Protocol.TCP)

    unix = procfs.parse_unix_sockets(read(scenario, "unix"), source="unix")
    paths = [c.path for c in unix if c.path]
    assert any(" " in p and p.endswith("stream listen.sock") for p in paths)
    assert "@netstatlib abstract" in paths
    assert "@netstatlib@nul" in paths  # the kernel prints each NUL of the name as "@"
    assert any(p.endswith("/new\nline.sock") for p in paths)
    latin1 = [p for p in paths if p.endswith(".sock") and "caf" in p]
    assert len(latin1) == 1
    assert os.fsencode(latin1[0]).endswith(b"/caf\xe9.sock")  # byte kept as it was
    kinds = {c.socket_type for c in unix}
    assert kinds == {socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET}


@pytest.mark.parametrize("scenario", scenario_params("unix"))
def test_unix_sockets(scenario):
    expected = expected_of(scenario)["sockets"]["unix"]
    parsed = procfs.parse_unix_sockets(read(scenario, "unix"), source=source(scenario, "unix"))
    assert len(parsed) == len(expected)
    remaining = list(parsed)
    for row in expected:
        inode = row["inode"] or None  # the kernel's 0 (not accepted yet) is None here
        matches = [c for c in remaining if c.inode == inode and c.path == row["path"]]
        assert len(matches) == 1, f"no single parsed row for {row}"
        conn = matches[0]
        remaining.remove(conn)
        assert conn.protocol is Protocol.UNIX
        assert conn.family is socket.AF_UNIX
        assert (conn.local, conn.remote) == (None, None)
        assert conn.socket_type is socket.SocketKind[row["socket_type"]]
        if "state" in row:  # not for the accept-queue entry ss does not list
            assert conn.state is _state(row["state"]), row
            assert conn.is_listening is (row["state"] == "LISTEN")
    assert remaining == []


def test_unix_accept_queue_entry():
    """A connection not yet accepted: the kernel lists the server end with inode 0 and
    state SS_CONNECTING (02), and the listener's path; ss does not list it at all. It is
    no socket of its own yet, so its inode is None, as for TIME_WAIT entries."""
    scenario = FIXTURES / "sockets"
    parsed = procfs.parse_unix_sockets(read(scenario, "unix"))
    pending = [c for c in parsed if c.inode is None]
    assert len(pending) == 1
    assert pending[0].path.endswith("/stream listen.sock")
    assert pending[0].socket_type is socket.SOCK_STREAM
    # What the model documents for SS_CONNECTING.
    assert pending[0].state is TcpState.SYN_SENT


def _flags(names: list[str]) -> RouteFlags:
    flags = RouteFlags(0)
    for name in names:
        flags |= RouteFlags[name]
    return flags


@pytest.mark.parametrize("scenario", scenario_params("route"))
def test_ipv4_routes(scenario):
    expected = expected_of(scenario)["routes"]
    parsed = procfs.parse_route(
        read(scenario, "route"), source=source(scenario, "route"), byteorder="little"
    )
    assert len(parsed) == len(expected)
    remaining = list(parsed)
    for row in expected:
        gateway = None if row["gateway"] is None else netaddr.IPAddress(row["gateway"])
        matches = [
            r
            for r in remaining
            if r.destination == netaddr.IPNetwork(row["destination"])
            and r.gateway == gateway
            and r.interface == row["interface"]
            and r.metric == row["metric"]
        ]
        assert len(matches) == 1, f"no single parsed route for {row}"
        route = matches[0]
        remaining.remove(route)
        assert route.family is socket.AF_INET
        assert route.flags == _flags(row["flags"]), row
        assert (route.mtu, route.window, route.irtt) == (row["mtu"], row["window"], row["irtt"])
        if not _blackhole_nexthop(row):
            assert route.is_default is row["is_default"], row
        assert route.source is None
    assert remaining == []


def test_routes_scenario_has_what_it_promises():
    expected = expected_of(FIXTURES / "routes")
    kinds = Counter(row["type"] for row in expected["routes"])
    assert kinds["blackhole"] >= 2 and kinds["unreachable"] >= 2 and kinds["prohibit"] >= 1
    assert sum(row["is_default"] for row in expected["routes"]) == 1
    assert any(row["mtu"] and row["window"] and row["irtt"] for row in expected["routes"])
    v6 = Counter(row["type"] for row in expected["ipv6_routes"]["routes"])
    assert v6["blackhole"] >= 2 and v6["unreachable"] >= 2 and v6["local"] >= 1
    assert sum(row["is_default"] for row in expected["ipv6_routes"]["routes"]) == 1
    parsed = procfs.parse_route(read(FIXTURES / "routes", "route"))
    blackholes = [r for r in parsed if r.interface is None and RouteFlags.REJECT not in r.flags]
    assert blackholes  # the "*" device
    assert any(r.metric == 4294967295 for r in parsed)  # printed with %u: never negative
    assert any(_blackhole_nexthop(row) for row in expected["routes"])
    assert any(_blackhole_nexthop(row) for row in expected["ipv6_routes"]["routes"])


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_blackhole_nexthop_default_is_not_default(family):
    scenario = FIXTURES / "routes"
    expected = expected_of(scenario)
    if family == "ipv4":
        rows = expected["routes"]
        parsed = procfs.parse_route(read(scenario, "route"))
    else:
        rows = expected["ipv6_routes"]["routes"]
        parsed = procfs.parse_ipv6_route(read(scenario, "ipv6_route"))
    for row in rows:
        if _blackhole_nexthop(row) and row["destination"] in ("0.0.0.0/0", "::/0"):
            (route,) = [
                r for r in parsed if r.destination.prefixlen == 0 and r.metric == row["metric"]
            ]
            assert route.interface == "lo"
            assert route.is_default is False


@pytest.mark.parametrize("scenario", scenario_params("ipv6_route"))
def test_ipv6_routes(scenario):
    expected = expected_of(scenario)["ipv6_routes"]
    parsed = procfs.parse_ipv6_route(
        read(scenario, "ipv6_route"), source=source(scenario, "ipv6_route")
    )
    remaining = list(parsed)
    for row in expected["routes"]:
        gateway = None if row["gateway"] is None else netaddr.IPAddress(row["gateway"])
        src = None if row["source"] is None else netaddr.IPNetwork(row["source"])
        matches = [
            r
            for r in remaining
            if r.destination == netaddr.IPNetwork(row["destination"])
            and r.gateway == gateway
            and r.interface == row["interface"]
            and r.metric == row["metric"]
            and r.source == src
        ]
        assert matches, f"no parsed route for {row}"
        route = matches[0]  # identical rows in two tables are interchangeable
        remaining.remove(route)
        assert route.family is socket.AF_INET6
        for name in row["flags_set"]:
            assert RouteFlags[name] in route.flags, (name, row)
        for name in row["flags_clear"]:
            assert RouteFlags[name] not in route.flags, (name, row)
        if not _blackhole_nexthop(row):
            assert route.is_default is row["is_default"], row
        assert (route.mtu, route.window, route.irtt) == (None, None, None)
    # What is left are the kernel's null entries, which ip does not show.
    assert len(remaining) == expected["null_entries"]
    for route in remaining:
        assert route.destination == netaddr.IPNetwork("::/0")
        assert route.interface == "lo"
        assert route.metric == 0xFFFFFFFF
        assert RouteFlags.REJECT in route.flags
        assert route.gateway is None
        assert route.is_default is False


@pytest.mark.parametrize("scenario", scenario_params("dev"))
def test_interface_stats(scenario):
    expected = {row["name"]: row for row in expected_of(scenario)["interfaces"]}
    parsed = procfs.parse_dev(read(scenario, "dev"), source=source(scenario, "dev"))
    assert sorted(stats.name for stats in parsed) == sorted(expected)
    for stats in parsed:
        row = expected[stats.name]
        for field, value in row.items():
            assert getattr(stats, field) == value, (stats.name, field)
        assert (stats.mtu, stats.is_up, stats.speed_mbps) == (None, None, None)


def test_counters_scenario_has_traffic():
    scenario = FIXTURES / "counters"
    stats = {s.name: s for s in procfs.parse_dev(read(scenario, "dev"))}
    veth = stats["veth0123456789a"]  # the longest name Linux allows
    assert veth.rx_bytes >= 10_000_000  # 8 digits right after the colon
    assert veth.rx_dropped > 0  # frames with an unknown EtherType
    assert stats["lo"].rx_packets > 0
    groups = {g.group: g for g in procfs.parse_snmp(read(scenario, "snmp"))}
    assert groups["Tcp"]["ActiveOpens"] > 0
    assert groups["Udp"]["NoPorts"] > 0
    assert groups["Icmp"]["InEchoReps"] > 0
    assert len(groups["IcmpMsg"].counters) > 16  # printed as several line pairs
    assert read(scenario, "snmp").count(b"\nIcmpMsg:") >= 4
    six = {g.group: g for g in procfs.parse_snmp6(read(scenario, "snmp6"))}
    assert six["Icmp6"]["InType129"] > 0  # echo replies
    assert six["Ip6"]["InReceives"] > 0


@pytest.mark.parametrize("scenario", scenario_params())
def test_protocol_counters(scenario):
    expected = expected_of(scenario)["counters"]["groups"]
    parsed: dict[str, dict[str, int]] = {}
    for name, parse in (
        ("snmp", procfs.parse_snmp),
        ("netstat", procfs.parse_snmp),
        ("snmp6", procfs.parse_snmp6),
    ):
        for stats in parse(read(scenario, name), source=source(scenario, name)):
            group = parsed.setdefault(stats.group, {})  # see test_snmp_groups_are_merged
            assert not set(group) & set(stats.counters), f"{stats.group}: repeated counter"
            group.update(stats.counters)
    assert sorted(parsed) == sorted(expected)
    for group, counters in expected.items():
        assert parsed[group] == counters, group
    assert parsed["Tcp"]["MaxConn"] == -1


@pytest.mark.parametrize(
    ("name", "parse"),
    [
        ("unix", lambda data: procfs.parse_unix_sockets(data)),
        ("ipv6_route", lambda data: procfs.parse_ipv6_route(data)),
        ("dev", lambda data: procfs.parse_dev(data)),
        ("snmp", lambda data: procfs.parse_snmp(data)),
        ("netstat", lambda data: procfs.parse_snmp(data)),
        ("snmp6", lambda data: procfs.parse_snmp6(data)),
        *[
            (
                file,
                lambda data, p=protocol, f=family: procfs.parse_inet_sockets(
                    data, protocol=p, family=f
                ),
            )
            for file, (protocol, family) in INET_FILES.items()
        ],
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
@pytest.mark.parametrize("scenario", scenario_params())
def test_bytes_and_text_agree(scenario, name, parse):
    data = read(scenario, name)
    if data is None:
        pytest.skip(f"This fixture scenario has no {name} file to parse both ways.")

    def outcome(value):
        try:
            return parse(value)
        except ParseError as exc:  # see KNOWN_PARSER_BUGS: then both must fail alike
            return (exc.line_number, exc.line, exc.message)

    assert outcome(data) == outcome(data.decode("utf-8", "surrogateescape"))


def test_ipv4_routes_bytes_and_text_agree():
    for scenario in SCENARIOS:
        data = read(scenario, "route")
        if not data:  # see KNOWN_PARSER_BUGS
            continue
        assert procfs.parse_route(data) == procfs.parse_route(data.decode())


def test_parse_errors_name_the_fixture():
    """A capture cut in the middle of a line fails with the file and line it came from."""
    data = read(FIXTURES / "sockets", "tcp")
    cut = data[: data.rindex(b"\n", 0, len(data) - 1) + 40]
    with pytest.raises(ParseError) as info:
        procfs.parse_inet_sockets(
            cut, protocol=Protocol.TCP, family=socket.AF_INET, source="sockets/tcp"
        )
    assert info.value.source == "sockets/tcp"
    assert info.value.line_number == cut.count(b"\n") + 1
    assert info.value.line == cut.decode().split("\n")[-1]


@pytest.mark.parametrize("scenario", scenario_params())
def test_snmp_groups_are_merged(scenario):
    """IcmpMsg spans three header/values pairs in the counters scenario: one record."""
    groups = [s.group for s in procfs.parse_snmp(read(scenario, "snmp"))]
    assert len(groups) == len(set(groups)), groups


def test_unix_forged_row_is_the_documented_limitation():
    """What parse_unix_sockets does with the forged row, as its docstring warns."""
    scenario = FIXTURES / "unix_forged_row"
    parsed = procfs.parse_unix_sockets(read(scenario, "unix"))
    phantom = [c for c in parsed if c.inode == 4242]
    assert len(phantom) == 1
    assert (phantom[0].path, phantom[0].state) == ("@forged.sock", TcpState.LISTEN)
    real = {row["inode"] for row in expected_of(scenario)["sockets"]["unix"]}
    assert {c.inode for c in parsed} == real | {4242}
    assert "x" in {c.path for c in parsed}  # the real path, cut at its newline
