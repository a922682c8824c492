"""``to_pandas()`` on real tables: the fixtures' captured ``/proc`` and Windows outputs, and
this host's own sockets, routes and counters. What a pandas user reaches for first must
work on the frame as it comes: ``groupby`` by state or by protocol and family,
``sort_values`` by an endpoint or an address, ``to_json()``.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from pathlib import Path
from typing import Any

import attrs
import netaddr
import pytest

import netstatlib
from netstatlib import (
    Connection,
    Endpoint,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    Table,
    TcpState,
)
from netstatlib.backends import LinuxProcfs, MemorySource
from netstatlib.parsers import windows

from conftest import conn, ep

pandas = pytest.importorskip("pandas")  # in the test extra; netstatlib does not need it

FIXTURES = Path(__file__).parent / "fixtures"
LINUX = sorted(path.parent for path in (FIXTURES / "linux").glob("*/expected.json"))
WINDOWS = FIXTURES / "windows"


def fixture_backend(scenario: Path) -> LinuxProcfs:
    """The scenario's captured /proc/net files, read as a host's."""
    files = {f"net/{path.name}": path.read_bytes() for path in scenario.iterdir() if path.is_file()}
    files = {name: data for name, data in files.items() if not name.endswith(".json")}
    return LinuxProcfs(source=MemorySource(files), sys_class_net=None, byteorder="little")


def windows_sockets() -> Table[Connection]:
    rows = []
    for path in sorted((WINDOWS / "connections").glob("*.txt")):
        if "elevation" in path.name:
            continue  # the refusal to run -b without elevation: no table
        rows += windows.parse_connections(path.read_bytes(), source=path.name)
    return Table(rows)


def plain(value: Any) -> bool:
    """True for what json gives back: str, int, float, bool, None, lists and dicts."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def check_json(frame: Any) -> list[dict[str, Any]]:
    text = frame.to_json(orient="records")
    for leak in ("_module", "_value", "IPAddress", "Endpoint(", "TcpState.", "AddressFamily"):
        assert leak not in text
    records = json.loads(text)
    assert plain(records) and len(records) == len(frame)
    return records  # type: ignore[no-any-return]


def address_key(text: str) -> tuple[int, int]:
    address = ipaddress.ip_address(text)
    return address.version, int(address)


def endpoint_key(text: str) -> tuple[int, int, int]:
    address, _, port = text.rpartition(":")
    address = address.strip("[]").partition("%")[0]
    return (*address_key(address), int(port))


def check_sockets(table: Table[Connection]) -> Any:
    """What must hold for any table of sockets, checked against the records."""
    frame = table.to_pandas()
    assert len(frame) == len(table)
    assert list(frame["state"].cat.categories) == [state.name for state in TcpState]
    assert frame["state"].cat.ordered and frame["protocol"].cat.ordered
    assert list(frame["protocol"].cat.categories) == [p.value for p in Protocol]
    assert {"AF_INET", "AF_INET6", "AF_UNIX"} <= set(frame["family"].cat.categories)

    # groupby("state") counts what the records say, in the kernel's order.
    by_state = frame.groupby("state", observed=True).size()
    expected = {state.name: n for state, n in table.counts("state").items() if state is not None}
    assert by_state.to_dict() == expected
    assert list(by_state.index) == sorted(by_state.index, key=lambda name: TcpState[name])
    assert by_state.sum() + frame["state"].isna().sum() == len(table)

    by_pair = frame.groupby(["protocol", "family"], observed=True).size().to_dict()
    expected_pairs = {
        (p.value, f.name): n for (p, f), n in table.counts("protocol", "family").items() if f
    }
    assert by_pair == expected_pairs

    # sort_values("local") is the endpoints' order: by family, address (as a number), port.
    ordered = frame.sort_values("local", kind="stable")["local"].dropna().tolist()
    assert ordered == sorted(ordered, key=endpoint_key)
    assert ordered == [str(e) for e in sorted(row.local for row in table if row.local)]
    addresses = frame.sort_values("remote_address")["remote_address"].dropna().tolist()
    assert addresses == sorted(addresses, key=address_key)
    # An endpoint's parts are there too, with the filters' names.
    for record, (local, port) in zip(
        table, frame[["local", "local_port"]].itertuples(index=False), strict=True
    ):
        assert (None if pandas.isna(local) else local) == (
            str(record.local) if record.local else None
        )
        assert (None if pandas.isna(port) else port) == (
            record.local.port if record.local else None
        )

    check_json(frame)
    return frame


@pytest.mark.parametrize("scenario", LINUX, ids=lambda path: path.name)
def test_sockets_of_the_linux_fixtures(scenario: Path) -> None:
    table = netstatlib.connections("all", backend=fixture_backend(scenario))
    frame = check_sockets(table)
    unix = frame[frame["protocol"] == "unix"]
    assert set(unix["family"].dropna()) <= {"AF_UNIX"}
    assert set(unix["socket_type"].dropna()) <= {"SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET"}


def test_the_sockets_fixture_has_every_kind_of_row() -> None:
    # So that the parametrized test above sees states, families and both ends missing.
    table = netstatlib.connections("all", backend=fixture_backend(FIXTURES / "linux" / "sockets"))
    frame = table.to_pandas()
    assert {"LISTEN", "ESTABLISHED", "TIME_WAIT"} <= set(frame["state"].dropna())
    assert {"tcp", "udp", "raw", "unix"} <= set(frame["protocol"])
    assert frame["state"].isna().any() and frame["remote"].isna().any()


def test_windows_sockets_with_names_and_unknown_families() -> None:
    table = windows_sockets()
    frame = check_sockets(table)
    assert frame["family"].isna().any()  # both ends printed as names: family unknown
    named = frame.dropna(subset=["remote_name"])
    assert len(named) and all(isinstance(text, str) for text in named["remote_name"])
    assert {"BOUND", "LISTEN", "ESTABLISHED"} <= set(frame["state"].dropna())
    components = [value for value in frame["components"] if value is not None]
    assert components and all(isinstance(value, tuple) for value in components)


def test_routes_linux_and_windows() -> None:
    linux = netstatlib.routes(backend=fixture_backend(FIXTURES / "linux" / "routes"))
    win = [
        route
        for path in sorted((WINDOWS / "routes").glob("*.txt"))
        for route in windows.parse_routes(path.read_bytes(), source=path.name)
    ]
    for table in (linux, Table(win)):
        frame = table.to_pandas()
        for text, route in zip(frame["flags"], table, strict=True):
            assert flags_of(text) == route.flags
        assert frame["family"].cat.ordered
        destinations = frame.sort_values("destination")["destination"].tolist()
        networks = [netaddr.IPNetwork(text) for text in destinations]
        assert [(n.version, n.first, -n.last) for n in networks] == sorted(
            (n.version, n.first, -n.last) for n in networks
        )
        gateways = frame.sort_values("gateway")["gateway"].dropna().tolist()
        assert gateways == sorted(gateways, key=address_key)
        assert frame.groupby("family", observed=True).size().sum() == len(table)
        records = check_json(frame)
        assert all(isinstance(r["flags"], str) for r in records)
    assert "UP|GATEWAY" in set(Table(win).to_pandas()["flags"])


def flags_of(text: str) -> int:
    """The number that ``UP|GATEWAY`` (or ``UP|0x8000000``) names."""
    value = 0
    for name in filter(None, text.split("|")):
        value |= int(name, 16) if name.startswith("0x") else RouteFlags[name]
    return value


def test_counters_in_kernel_order() -> None:
    stats = netstatlib.protocol_stats(backend=fixture_backend(FIXTURES / "linux" / "counters"))
    frame = stats.to_pandas()
    assert list(frame.columns) == ["group", "counter", "value"]
    groups = [row.group for row in stats]
    assert list(frame.groupby("group", observed=True).size().index) == groups
    assert str(frame["value"].dtype) == "Int64"
    tcp = frame[frame["group"] == "Tcp"].set_index("counter")["value"]
    record = stats.where(netstatlib.F.group == "Tcp")[0]
    assert tcp.to_dict() == dict(record.counters)
    check_json(frame)
    interfaces = netstatlib.interface_stats(
        backend=fixture_backend(FIXTURES / "linux" / "counters")
    )
    frame = interfaces.to_pandas()
    assert str(frame["rx_bytes"].dtype) == "Int64" and str(frame["is_up"].dtype) == "boolean"
    check_json(frame)
    total = windows.parse_interface_stats(
        (WINDOWS / "stats" / "win10_en_netstat-e_lf.txt").read_bytes()
    )
    check_json(Table(total).to_pandas())


def test_this_hosts_tables() -> None:
    check_sockets(netstatlib.connections("all"))
    for table in (netstatlib.routes(), netstatlib.interface_stats()):
        frame = table.to_pandas()
        assert len(frame) == len(table)
        check_json(frame)
    stats: Table[ProtocolStats] = netstatlib.protocol_stats()
    frame = stats.to_pandas()
    assert len(frame) == sum(len(row.counters) for row in stats)
    assert "Tcp" in set(frame["group"])
    check_json(frame)


def test_columns_keep_their_types_when_every_value_is_missing() -> None:
    # A host with no connected socket still has remote_address and remote_port, typed,
    # so frames of two hosts concatenate.
    listeners = Table([conn(ep("0.0.0.0", 22)), conn(ep("::", 22))]).to_pandas()
    assert str(listeners["remote_port"].dtype) == "Int64"
    assert str(listeners["remote"].dtype) == "category"
    assert str(listeners["cookie"].dtype) == "Int64" and str(listeners["uid"].dtype) == "Int64"
    routes = Table(
        [Route(family=socket.AF_INET, destination=netaddr.IPNetwork("0.0.0.0/0"), gateway=None,
               interface=None, metric=0, flags=RouteFlags(0))]
    ).to_pandas()  # fmt: skip
    assert routes["flags"].tolist() == [""] and str(routes["persistent"].dtype) == "boolean"


def test_values_beyond_int64_and_details_stay_plain() -> None:
    big = conn(ep("10.0.0.1", 1), cookie=2**64 - 1)
    frame = Table([big, conn(ep("10.0.0.1", 2), cookie=7)]).to_pandas()
    assert str(frame["cookie"].dtype) == "UInt64" and frame["cookie"][0] == 2**64 - 1
    details = netstatlib.SocketDetails(congestion="cubic", backlog=128)
    frame = Table([attrs.evolve(big, details=details, cookie=1)]).to_pandas()
    assert frame["details"][0]["congestion"] == "cubic"
    assert check_json(frame)[0]["details"]["backlog"] == 128


def test_mixed_values_in_one_field_become_plain() -> None:
    # A record built by hand with a wrong type in a field: still a frame, still JSON.
    odd = attrs.evolve(conn(ep("10.0.0.1", 1)), uid="root")  # type: ignore[arg-type]
    frame = Table([odd, conn(ep("10.0.0.1", 2), uid=0)]).to_pandas()
    assert frame["uid"].tolist() == ["root", 0]
    check_json(frame)


def test_group_counts_to_pandas() -> None:
    table = windows_sockets()
    frame = table.counts("state", "local").to_pandas()
    assert list(frame.columns) == ["state", "local", "local_address", "local_port", "count"]
    assert frame["count"].sum() == len(table)
    assert frame["state"].cat.ordered
    check_json(frame)


def test_endpoints_sort_in_pandas_as_in_python() -> None:
    endpoints = [ep("10.0.0.10", 1), ep("10.0.0.9", 2), ep("::1", 3), ep("10.0.0.9", 1), None]
    table = Table([conn(local) if local else conn(None, ep("1.1.1.1", 1)) for local in endpoints])
    frame = table.to_pandas().sort_values("local", na_position="first")
    expected: list[Endpoint | None] = [None, *sorted(e for e in endpoints if e is not None)]
    assert [None if pandas.isna(v) else v for v in frame["local"]] == [
        None if e is None else str(e) for e in expected
    ]


def test_text_that_is_not_utf8_is_escaped_in_the_frame_only() -> None:
    # A UNIX socket path with the byte 0xE9 (Latin-1 "é"), as os.fsdecode keeps it.
    path = "/run/caf\udce9.sock"
    row = conn(None, protocol=Protocol.UNIX, family=socket.AF_UNIX, path=path, process="d\udcff")
    frame = Table([row]).to_pandas()
    assert frame["path"][0] == "/run/caf\\xe9.sock" and frame["process"][0] == "d\\xff"
    assert check_json(frame)[0]["path"] == "/run/caf\\xe9.sock"
    assert row.path == path  # the record keeps the exact text


def test_an_empty_result_still_has_every_column() -> None:
    backend = fixture_backend(FIXTURES / "linux" / "sockets")
    nothing = netstatlib.connections("all", where=netstatlib.F.uid == 4242424, backend=backend)
    assert len(nothing) == 0 and nothing.record_type is Connection
    assert repr(nothing) == "<Table: no Connection records>\n(no rows)"
    frame = nothing.to_pandas()
    full = netstatlib.connections("all", backend=backend).to_pandas()
    assert list(frame.columns) == list(full.columns)
    assert frame.groupby("state", observed=True).size().empty
    assert frame.sort_values("local").empty and check_json(frame) == []
    assert str(frame["state"].dtype) == "category" and str(frame["uid"].dtype) == "Int64"
    # The type survives sorting, filtering and slicing.
    assert nothing.sort("state").record_type is Connection
    assert nothing.where("sport = :22")[:5].record_type is Connection
    with pytest.raises(netstatlib.UsageError, match="Connection records have no field"):
        nothing.sort("destination")
    no_routes = netstatlib.routes(where=netstatlib.F.interface == "nope", backend=backend)
    assert "flags" in no_routes.to_pandas().columns
    with pytest.raises(netstatlib.FilterError, match="Route records"):
        no_routes.where("sport = :22")
    counters = netstatlib.protocol_stats(where=netstatlib.F.group == "nope", backend=backend)
    frame = counters.to_pandas()
    assert list(frame.columns) == ["group", "counter", "value"]
    assert str(frame["value"].dtype) == "Int64"


@pytest.mark.parametrize(
    "where",
    [
        "state established",
        "sport = :40001 or dport = :40001",
        netstatlib.F.protocol == "udp",
        netstatlib.F.local_address.is_loopback,
        lambda row: row.recv_queue,
    ],
    ids=["ss-state", "ss-ports", "predicate", "address", "callable"],
)
def test_table_where_keeps_what_the_query_keeps(where: Any) -> None:
    # Not a pandas matter, but the same real rows: a filter given to the query and the
    # same filter applied to the whole table afterwards keep the same records.
    backend = fixture_backend(FIXTURES / "linux" / "sockets")
    everything = netstatlib.connections("all", backend=backend)
    kept = netstatlib.connections("all", where=where, backend=backend)
    assert everything.where(where) == kept
    assert 0 < len(kept) < len(everything)
