"""``Snapshot.save()`` and ``load_snapshot()``: exact round trips, and a saved file taken
as hostile input.

A baseline file sits in a folder for a day and is read by root's cron job; it may have
been replaced by anyone who can write there. Every way it can be wrong is a
:class:`~netstatlib.ParseError` naming the file, never another exception, never a hang
and never a file of this machine read through a link.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import netaddr
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from monitoring_helpers import NOBODY, T0, interface, readable_copy, shot

import netstatlib
from netstatlib import (
    Connection,
    Endpoint,
    NamedEndpoint,
    NetstatError,
    ParseError,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    Snapshot,
    SocketDetails,
    SocketMemory,
    SocketTimer,
    SourceNotFoundError,
    TcpInfo,
    TcpState,
    UsageError,
    load_snapshot,
)
from netstatlib._capture_format import MAX_JSON_SIZE
from netstatlib._snapshot import parse_snapshot, snapshot_json

from conftest import conn, ep, skip_live

PROFILE = settings(
    max_examples=int(os.environ.get("PROCFS_MAX_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- records of every shape ---------------------------------------------------------------------

# Text as records hold it: any characters, control characters and the surrogate escapes
# of names that are not UTF-8 included; never empty (an unknown value is None).
texts = st.text(st.characters(exclude_categories=()), min_size=1, max_size=12)
u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
seconds = st.floats(0, 1e6, allow_nan=False)

ipv4 = st.integers(0, 2**32 - 1).map(lambda n: netaddr.IPAddress(n, 4))
ipv6 = st.integers(0, 2**128 - 1).map(lambda n: netaddr.IPAddress(n, 6))


def endpoints(addresses: st.SearchStrategy[netaddr.IPAddress]) -> st.SearchStrategy[Endpoint]:
    return st.builds(
        Endpoint, address=addresses, port=st.integers(0, 65535), zone=st.none() | texts
    )


def numbers_of(record: type) -> st.SearchStrategy[Any]:
    """A record of numbers (TcpInfo, SocketMemory) with every field drawn."""
    fields = {}
    for field in attrs.fields(record):
        kind = str(field.type)
        base = seconds if "float" in kind else u64
        fields[field.name] = st.none() | base if "None" in kind else base
    return st.builds(record, **fields)


details = st.builds(
    SocketDetails,
    tcp_info=st.none() | numbers_of(TcpInfo),
    congestion=st.none() | texts,
    memory=st.none() | numbers_of(SocketMemory),
    timer=st.none()
    | st.builds(
        SocketTimer,
        name=texts,
        expires=st.floats(-1e6, 1e6, allow_nan=False),
        retransmits=u64,
    ),
    cgroup_id=st.none() | u64,
    peer_inode=st.none() | st.integers(1, 2**64 - 1),
    backlog=st.none() | u32,
)


@st.composite
def connections(draw: st.DrawFn) -> Connection:
    family = draw(st.sampled_from([socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, None]))
    if family is socket.AF_UNIX:
        protocol, local, remote = Protocol.UNIX, None, None
    else:
        protocol = draw(st.sampled_from([p for p in Protocol if p is not Protocol.UNIX]))
        addresses = ipv4 if family is socket.AF_INET else ipv6
        local = None if family is None else draw(st.none() | endpoints(addresses))
        remote = None if family is None else draw(st.none() | endpoints(addresses))
    named = st.none() | st.builds(
        NamedEndpoint, host=texts, port=st.none() | st.integers(0, 65535), service=st.none() | texts
    )
    pids = draw(st.none() | st.lists(st.integers(1, 2**32 - 1), unique=True, max_size=3))
    return Connection(
        protocol=protocol,
        family=family,
        local=local,
        remote=remote,
        state=draw(st.none() | st.sampled_from(TcpState)),
        pids=None if pids is None else tuple(sorted(pids)),
        process=draw(st.none() | texts),
        uid=draw(st.none() | u32),
        inode=draw(st.none() | st.integers(1, 2**64 - 1)),
        recv_queue=draw(st.none() | u64),
        send_queue=draw(st.none() | u64),
        path=draw(st.none() | texts),
        socket_type=draw(st.none() | st.sampled_from([socket.SOCK_STREAM, socket.SOCK_DGRAM])),
        ip_protocol=draw(st.none() | st.integers(0, 255)),
        state_text=draw(st.none() | texts),
        local_name=draw(named),
        remote_name=draw(named),
        components=draw(st.none() | st.lists(texts, max_size=2).map(tuple)),
        cookie=draw(st.none() | u64),
        details=draw(st.none() | details),
    )


@st.composite
def routes(draw: st.DrawFn) -> Route:
    version = draw(st.sampled_from([4, 6]))
    addresses = ipv4 if version == 4 else ipv6
    networks = st.builds(
        lambda address, length: netaddr.IPNetwork(f"{address}/{length}"),
        addresses,
        st.integers(0, 32 if version == 4 else 128),
    )
    return Route(
        family=socket.AF_INET if version == 4 else socket.AF_INET6,
        destination=draw(networks),
        gateway=draw(st.none() | addresses),
        interface=draw(st.none() | texts),
        metric=draw(st.none() | u32),
        flags=RouteFlags(draw(u32)),
        mtu=draw(st.none() | u32),
        window=draw(st.none() | u32),
        irtt=draw(st.none() | u32),
        source=draw(st.none() | networks),
        interface_address=draw(st.none() | addresses),
        interface_index=draw(st.none() | st.integers(1, 2**32 - 1)),
        persistent=draw(st.none() | st.booleans()),
    )


interfaces = st.builds(
    netstatlib.InterfaceStats,
    **{
        field.name: (st.none() | u64 if "None" in str(field.type) else u64)
        for field in attrs.fields(netstatlib.InterfaceStats)
        if field.name not in ("name", "is_up")
    },
    name=st.none() | texts,
    is_up=st.none() | st.booleans(),
)
protocols = st.builds(
    ProtocolStats,
    group=texts,
    counters=st.dictionaries(texts, st.integers(-(2**63), 2**64 - 1), max_size=5),
)


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    rows = draw(st.none() | st.lists(connections(), max_size=4))
    return Snapshot(
        taken_at=T0 + datetime.timedelta(microseconds=draw(st.integers(0, 10**15))),
        monotonic=draw(st.floats(-1e12, 1e12, allow_nan=False)),
        clock_id=draw(st.none() | texts),
        host=draw(st.none() | texts),
        backend=draw(texts),
        counter_width=draw(st.sampled_from([32, 64])),
        socket_tables=None if rows is None else netstatlib.KINDS["all"],
        processes=draw(st.booleans()),
        details=draw(st.booleans()),
        connections=None if rows is None else netstatlib.Table(rows),
        routes=draw(st.none() | st.lists(routes(), max_size=3).map(netstatlib.Table)),
        interfaces=draw(st.none() | st.lists(interfaces, max_size=3).map(netstatlib.Table)),
        protocols=draw(st.none() | st.lists(protocols, max_size=3).map(netstatlib.Table)),
        complete=draw(st.booleans()),
        notes=tuple(draw(st.lists(texts, max_size=2))),
    )


@PROFILE
@given(original=snapshots())
def test_any_snapshot_reads_back_equal(original: Snapshot) -> None:
    data = snapshot_json(original)
    data.decode("ascii")  # every character escaped: a terminal shows the file safely
    assert parse_snapshot(data) == original


def test_this_hosts_snapshot_saved_and_loaded_is_equal(tmp_path: Path) -> None:
    taken = netstatlib.snapshot(kind="all")
    path = tmp_path / "baseline.json"
    taken.save(path)
    assert load_snapshot(path) == taken
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it names processes and peers
    assert os.listdir(tmp_path) == ["baseline.json"]  # no hidden file left behind
    assert json.loads(path.read_text())["format"] == "netstatlib-snapshot"


# -- saving -------------------------------------------------------------------------------------


def test_saving_replaces_a_file_and_a_link_without_following_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("not to be touched\n")
    (tmp_path / "baseline.json").symlink_to(victim)
    first = shot(interfaces=[interface("lo")])
    first.save(tmp_path / "baseline.json")
    assert victim.read_text() == "not to be touched\n"
    assert not (tmp_path / "baseline.json").is_symlink()
    second = shot(interfaces=[interface("lo", rx_bytes=5)], seconds=1)
    second.save(str(tmp_path / "baseline.json"))
    assert load_snapshot(tmp_path / "baseline.json") == second
    assert sorted(os.listdir(tmp_path)) == ["baseline.json", "victim"]


def test_saving_where_it_cannot_leaves_nothing_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "a folder").mkdir()
    with pytest.raises(NetstatError, match=r"cannot save the snapshot as .*a folder"):
        shot(interfaces=[]).save(tmp_path / "a folder")
    assert os.listdir(tmp_path) == ["a folder"]
    with pytest.raises(NetstatError, match=r"cannot save a snapshot in .*missing"):
        shot(interfaces=[]).save(tmp_path / "missing" / "file.json")
    with pytest.raises(UsageError, match="give a file name"):
        shot(interfaces=[]).save(str(tmp_path) + "/")


# -- loading what an attacker left --------------------------------------------------------------


def document(**changes: Any) -> dict[str, Any]:
    """A valid snapshot file's document, with ``changes``."""
    rows = [conn(ep("10.0.0.5", 22), inode=7, pids=(1,), process="sshd", uid=0)]
    base = json.loads(snapshot_json(shot(connections=rows, interfaces=[interface("lo")])))
    base.update(changes)
    return base


def read(value: dict[str, Any] | bytes) -> Snapshot:
    data = value if isinstance(value, bytes) else json.dumps(value).encode()
    return parse_snapshot(data, source="baseline.json")


def test_the_valid_document_of_these_tests_reads() -> None:
    assert read(document()).connections[0].process == "sshd"  # type: ignore[index]


CONNECTION = document()["connections"][0]
TIMER = {"name": "on", "expires": float("nan"), "retransmits": 0}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "netstatlib-capture"}, "not a netstatlib-snapshot file"),
        ({"version": 2}, "format version 2 is newer than this netstatlib reads \\(1\\)"),
        ({"version": 0}, "version 0 is not 1 or more"),
        ({"version": True}, "version True is not 1 or more"),
        ({"surprise": 1}, "unknown member 'surprise'"),
        ({"taken_at": "2024-05-01T10:00:00"}, "not a time in UTC"),
        ({"taken_at": "2024-05-01T10:00:00+02:00"}, "not a time in UTC"),
        ({"taken_at": "yesterday"}, "Invalid isoformat string"),
        ({"monotonic": 10**400}, "'monotonic' is 1000.*, not a finite number"),
        ({"monotonic": "12"}, "'monotonic' is '12'"),
        ({"counter_width": 16}, "'counter_width' is 16, not 32 or 64"),
        ({"notes": [""]}, "not a list of sentences"),
        ({"socket_tables": ["tcp4", "tcp4"]}, "a table twice"),
        ({"socket_tables": ["tcp"]}, "not socket table names"),
        ({"socket_tables": ["udp4"]}, "connections\\[0\\] is of a socket table not in"),
        ({"socket_tables": None}, "'connections' and 'socket_tables' must be given together"),
        ({"routes": {}}, "'routes' is {}"),
        ({"connections": [{**CONNECTION, "pids": [2, 1]}]}, "not sorted without repeats"),
        ({"connections": [{**CONNECTION, "pids": [0]}]}, "pids\\[0\\] is 0, not a whole number"),
        ({"connections": [{**CONNECTION, "local": ["10.0.0.05", 22]}]}, "canonical form"),
        ({"connections": [{**CONNECTION, "local": ["::1", 22]}]}, "not of its family"),
        ({"connections": [{**CONNECTION, "local": ["10.0.0.5", 65536]}]}, "port is 65536"),
        ({"connections": [{**CONNECTION, "state": "LISTENING"}]}, "not one of UNKNOWN"),
        ({"connections": [{**CONNECTION, "process": ""}]}, "an empty string"),
        ({"connections": [{**CONNECTION, "uid": None}]}, "uid is null"),
        ({"connections": [{**CONNECTION, "evil": 1}]}, "unknown member 'evil'"),
        ({"connections": [{"state": "LISTEN"}]}, "has no protocol"),
        ({"connections": [{**CONNECTION, "details": {"tcp_info": {"rto": 1.0}}}]}, "has no "),
        ({"connections": [{**CONNECTION, "details": {"timer": TIMER}}]}, "not a finite number"),
        ({"interfaces": [{"name": "lo"}]}, "interfaces\\[0\\] has no rx_bytes"),
        ({"protocols": [{"group": "Tcp", "counters": {"A": 1.5}}]}, "Tcp A is 1.5"),
        ({"protocols": [{"group": "Tcp", "counters": []}]}, "counters are \\[\\]"),
    ],
)
def test_absurd_snapshot_files_are_parse_errors(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        read(document(**changes))
    assert caught.value.source == "baseline.json"
    assert len(str(caught.value)) < 400  # a huge value is quoted cut short


def test_a_key_given_twice_is_refused_not_silently_the_last() -> None:
    data = json.dumps(document()).replace('"host": "lab"', '"host": "lab", "host": "evil"')
    with pytest.raises(ParseError, match="the key 'host' is given twice"):
        read(data.encode())
    counters = b'{"format": "netstatlib-snapshot", "protocols": [{"group": "Tcp", "counters": {"A": 1, "A": 2}}]}'
    with pytest.raises(ParseError, match="the key 'A' is given twice"):
        read(counters)


def test_not_a_number_is_refused_anywhere() -> None:
    data = json.dumps(document()).replace('"monotonic": 1000.0', '"monotonic": NaN')
    with pytest.raises(ParseError, match="not a finite number"):
        read(data.encode())


@pytest.mark.parametrize("depth", [100, 10_000, 1_000_000])
def test_nesting_is_a_parse_error(depth: int) -> None:
    with pytest.raises(ParseError):
        read(b'{"format": "netstatlib-snapshot", "notes": ' + b"[" * depth)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = sorted(document())
CONNECTION_KEYS = sorted(attrs.fields_dict(Connection))


@PROFILE
@given(key=st.sampled_from(KEYS), value=json_values)
def test_any_value_of_any_member_reads_or_is_a_parse_error(key: str, value: Any) -> None:
    assert_reads_or_refuses(json.dumps(document(**{key: value})).encode())


@PROFILE
@given(key=st.sampled_from(CONNECTION_KEYS), value=json_values)
def test_any_value_of_any_socket_field_reads_or_is_a_parse_error(key: str, value: Any) -> None:
    assert_reads_or_refuses(json.dumps(document(connections=[{**CONNECTION, key: value}])).encode())


@PROFILE
@given(data=st.binary(max_size=300))
def test_any_bytes_read_or_are_a_parse_error(data: bytes) -> None:
    assert_reads_or_refuses(data)


def assert_reads_or_refuses(data: bytes) -> None:
    try:
        read(data)
    except ParseError as exc:
        refused: ParseError | None = exc
    else:
        refused = None
    assert refused is None or refused.source == "baseline.json"


# -- files that are not files -------------------------------------------------------------------


def test_a_fifo_a_device_and_a_folder_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "baseline.json"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    with pytest.raises(ParseError, match="is a FIFO") as caught:
        load_snapshot(fifo)
    assert caught.value.source == str(fifo)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")  # never ends
    with pytest.raises(ParseError, match="character device"):
        load_snapshot(zero)
    with pytest.raises(ParseError, match="is a folder"):
        load_snapshot(tmp_path)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "baseline.json"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_JSON_SIZE + 1)  # sparse: costs no disk
    with pytest.raises(ParseError, match="over the 64 MiB") as caught:
        load_snapshot(huge)
    assert caught.value.source == str(huge)


def test_a_missing_file_is_source_not_found(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        load_snapshot(tmp_path / "nothing.json")


def test_an_unreadable_file_is_access_denied_for_a_user(tmp_path: Path) -> None:
    """Read as the unprivileged user 65534: root reads every file."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        skip_live("Reading as another user needs root and setpriv (util-linux).")
    secret = tmp_path / "baseline.json"
    shot(interfaces=[]).save(secret)  # mode 0600, root's
    tmp_path.chmod(0o755)
    code = (
        "import sys; sys.path[:0] = [sys.argv[2]]\n"
        "import netstatlib\n"
        "try:\n    netstatlib.load_snapshot(sys.argv[1])\n"
        "except netstatlib.AccessDeniedError as exc:\n    print(type(exc).__name__, exc.path)\n"
    )
    with readable_copy() as copy:
        result = subprocess.run(
            [*NOBODY, sys.executable, "-c", code, str(secret), str(copy)],
            capture_output=True, text=True, timeout=60, cwd="/",
        )  # fmt: skip
    assert result.stdout == f"AccessDeniedError {secret}\n", result.stderr
