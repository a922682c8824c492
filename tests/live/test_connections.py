"""connections() and listening() on a namespace full of known sockets (the socket zoo),
cross-checked against ``ss -tuwxanpe`` run in the same namespace."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import netaddr
import pytest

import netstatlib
from netstatlib import Connection, Endpoint, Protocol, TcpState
from netstatlib.backends import LinuxProcfs

from . import netns
from .netns import SsRow, row_key

pytestmark = pytest.mark.live

FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6, "unix": socket.AF_UNIX}
# Every socket socket_zoo.py describes, by the name it gives it.
ZOO_NAMES = [
    "listen4",
    "listen6_dual",
    "listen6_only",
    "listen_va",
    "syn_recv",
    "est4_client",
    "est4_server",
    "est6_client",
    "est6_server",
    "mapped_client",
    "mapped_server4",
    "v4_into_dual_client",
    "v4_into_dual_server6",
    "fin_wait2",
    "close_wait",
    "time_wait",
    "unaccepted_client",
    "unaccepted_server",
    "syn_sent",
    "udp4",
    "udp6",
    "udp_connected",
    "raw4",
    "raw6",
    "raw_connected",
    "udplite4",
    "udplite6",
    "unix_listener",
    "unix_client",
    "unix_accepted",
    "unix_dgram",
    "unix_unbound",
    "unix_dgram_server",
    "unix_dgram_client",
    "unix_abstract",
    "unix_newline",
    "unix_not_utf8",
    "unix_abstract_nul",
    "unix_pair_a",
    "unix_pair_b",
    "shared_listener",
    "odd_name",
    "bytes_name",
    "nobody_udp6",
]
OPTIONAL = {"udplite4", "udplite6"}  # only where the kernel has UDP-Lite


@pytest.fixture(scope="module", params=["netlink", "procfs"])
def backend(zoo: netns.Zoo, request: pytest.FixtureRequest) -> LinuxProcfs:
    """The zoo's namespace through each engine: the kernel's socket diagnostics (as
    ``ss`` asks) and the ``/proc/<pid>/net`` text."""
    chosen = LinuxProcfs(pid=zoo.pid, engine=request.param)
    assert chosen.engine == request.param, chosen.engine_reason
    return chosen


@pytest.fixture(scope="module")
def ours(backend: LinuxProcfs) -> netstatlib.Table[Connection]:
    return netstatlib.connections("all", backend=backend)


@pytest.fixture(scope="module")
def bare(backend: LinuxProcfs) -> netstatlib.Table[Connection]:
    """Every socket without process lookup (a walk of /proc costs time on a busy host)."""
    return netstatlib.connections("all", processes=False, backend=backend)


@pytest.fixture(scope="module")
def ss_rows(lab: netns.Lab, zoo: netns.Zoo, ours: netstatlib.Table[Connection]) -> list[SsRow]:
    """ss, taken right after ``ours`` (the zoo does nothing in between)."""
    return netns.ss(lab.ns)


def _endpoint(value: list | None) -> Endpoint | None:
    if value is None:
        return None
    return Endpoint(address=netaddr.IPAddress(value[0]), port=value[1])


def _same_socket(row: Connection, ss_row: SsRow) -> bool:
    """Whether a netstatlib row and an ss row are the same socket."""
    if row.protocol is not ss_row.protocol:
        return False
    if ss_row.inode:  # ss knows the inode (sock_diag): that identifies the socket
        return row.inode == ss_row.inode
    # TIME_WAIT (inode 0) and raw sockets (ss without raw_diag prints no inode).
    return (row.family, row.local, row.remote) == (ss_row.family, ss_row.local, ss_row.remote)


def _match(rows: list, wanted: object, same) -> object:
    found = [row for row in rows if same(row, wanted)]
    assert len(found) <= 1, f"{wanted} matches several rows: {found}"
    return found[0] if found else None


def _differences(row: Connection, ss_row: SsRow, engine: str) -> list[str]:
    """Where ``row`` disagrees with ss; empty when it agrees on everything comparable."""
    expected: dict[str, object] = {
        "protocol": ss_row.protocol,
        "family": ss_row.family,
        "state": ss_row.state,
        "pids": ss_row.pids,
    }
    if ss_row.protocol is Protocol.UNIX:
        expected.update(path=ss_row.path, socket_type=ss_row.socket_type, inode=ss_row.inode)
    else:
        expected.update(local=ss_row.local, remote=ss_row.remote, recv_queue=ss_row.recv_q)
        if ss_row.inode is not None:
            # ss prints ino:0 for an entry without an inode (TIME_WAIT, not yet accepted).
            expected["inode"] = ss_row.inode or None
        if ss_row.uid is not None:
            # A TIME_WAIT entry has no owner; ss (like /proc) prints 0 for it. netlink
            # sends 0 for a SYN_RECV entry too, where /proc prints the listener's uid.
            ownerless = {"TIME-WAIT"} | ({"SYN-RECV"} if engine == "netlink" else set())
            expected["uid"] = None if ss_row.ss_state in ownerless else ss_row.uid
        # For a listener ss prints the backlog as Send-Q, which /proc does not show.
        if ss_row.ss_state != "LISTEN":
            expected["send_queue"] = ss_row.send_q
    if ss_row.pids:
        # ss cuts a process name at ")": the name is checked against /proc/<pid>/comm.
        expected["process"] = netns.comm(ss_row.pids[0])
    return [
        f"{name}: ours {getattr(row, name)!r}, ss {value!r}"
        for name, value in expected.items()
        if getattr(row, name) != value
    ]


def test_zoo_describes_every_socket(zoo: netns.Zoo) -> None:
    assert set(zoo.sockets) <= set(ZOO_NAMES)
    assert set(ZOO_NAMES) - set(zoo.sockets) <= OPTIONAL


@pytest.mark.parametrize("unix", [False, True], ids=["inet", "unix"])
def test_every_ss_row_is_ours_and_agrees(
    backend: LinuxProcfs, ours: netstatlib.Table[Connection], ss_rows: list[SsRow], unix: bool
) -> None:
    rows = [row for row in ours if (row.protocol is Protocol.UNIX) == unix]
    wanted = [row for row in ss_rows if (row.protocol is Protocol.UNIX) == unix]
    assert len(wanted) >= 8, "the zoo should have made more sockets than this"
    problems = []
    for ss_row in wanted:
        row = _match(rows, ss_row, _same_socket)
        if row is None:
            problems.append(f"missing from netstatlib: {ss_row.line}")
            continue
        problems.extend(
            f"{ss_row.line}\n    {diff}" for diff in _differences(row, ss_row, backend.engine)
        )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("unix", [False, True], ids=["inet", "unix"])
def test_netstatlib_has_no_row_ss_lacks(
    ours: netstatlib.Table[Connection], ss_rows: list[SsRow], unix: bool
) -> None:
    extra = []
    for row in ours:
        if (row.protocol is Protocol.UNIX) != unix:
            continue
        if row.protocol is Protocol.UDPLITE:  # ss cannot list UDP-Lite sockets
            continue
        if _match(ss_rows, row, lambda ss_row, r: _same_socket(r, ss_row)) is not None:
            continue
        # A kernel-owned TIME_WAIT row may expire between the two listings.
        if row.inode is None and row.state is TcpState.TIME_WAIT:
            continue
        extra.append(row)
    assert not extra


def _zoo_row(ours: netstatlib.Table[Connection], spec: dict) -> Connection:
    if spec["inode"]:
        found = [row for row in ours if row.inode == spec["inode"]]
    else:
        local, remote = _endpoint(spec["local"]), _endpoint(spec["remote"])
        found = [
            row for row in ours if row.inode is None and (row.local, row.remote) == (local, remote)
        ]
    assert len(found) == 1, f"{spec} is listed {len(found)} times"
    return found[0]


@pytest.mark.parametrize("name", ZOO_NAMES)
def test_zoo_socket(
    backend: LinuxProcfs, ours: netstatlib.Table[Connection], zoo: netns.Zoo, name: str
) -> None:
    if name not in zoo.sockets:
        pytest.skip(f"This kernel cannot make the zoo's {name} socket, so the zoo left it out.")
    spec = zoo.sockets[name]
    row = _zoo_row(ours, spec)
    state = None if spec["state"] is None else TcpState[spec["state"]]
    expected: dict[str, object] = {
        "protocol": Protocol(spec["proto"]),
        "family": FAMILIES[spec["family"]],
        "state": state,
        "inode": spec["inode"],
        "pids": tuple(spec["pids"]),
        "uid": spec["uid"],
    }
    if backend.engine == "procfs" and spec["proto"] == "unix":
        expected["uid"] = None  # /proc/net/unix has no uid column
    if backend.engine == "netlink" and spec["state"] == "SYN_RECV":
        expected["uid"] = None  # netlink sends 0 for a request socket, /proc the listener's
    if spec["proto"] == "unix":
        expected.update(
            path=spec["path"],
            socket_type=socket.SocketKind[spec["type"]],
            local=None,
            remote=None,
        )
    else:
        expected.update(local=_endpoint(spec["local"]), remote=_endpoint(spec["remote"]))
    if spec["proto"] == "raw":
        expected["ip_protocol"] = spec["local"][1]
    if "unread" in spec:
        expected["recv_queue"] = spec["unread"]
    if spec["pids"]:
        expected["process"] = spec.get("process", netns.comm(spec["pids"][0]))
    else:
        expected["process"] = None
    actual = {key: getattr(row, key) for key in expected}
    assert actual == expected


def test_shared_listener_lists_both_processes(
    ours: netstatlib.Table[Connection], zoo: netns.Zoo
) -> None:
    row = _zoo_row(ours, zoo.sockets["shared_listener"])
    assert row.pids == tuple(sorted([zoo.pid, zoo.children["sharer"]]))
    assert row.process == netns.comm(min(row.pids))


def test_odd_process_name_is_exact(ours: netstatlib.Table[Connection], zoo: netns.Zoo) -> None:
    row = _zoo_row(ours, zoo.sockets["odd_name"])
    assert row.pids == (zoo.children["odd"],)
    assert row.process == "my (odd) name"
    assert "my (odd) name" in str(netstatlib.Table([row]))
    row = _zoo_row(ours, zoo.sockets["bytes_name"])
    assert row.pids == (zoo.children["named"],)
    assert row.process == "nl\nname-\udcff"
    assert os.fsencode(row.process) == b"nl\nname-\xff"


def test_ipv4_mapped_endpoints(ours: netstatlib.Table[Connection], zoo: netns.Zoo) -> None:
    for name in ("mapped_client", "v4_into_dual_server6"):
        row = _zoo_row(ours, zoo.sockets[name])
        assert row.family is socket.AF_INET6
        assert row.local is not None and row.remote is not None
        assert row.local.is_ipv4_mapped and row.remote.is_ipv4_mapped
        assert row.local.unmapped().address == netaddr.IPAddress("127.0.0.1")
        assert row.local.unmapped().port == row.local.port
    plain = _zoo_row(ours, zoo.sockets["est6_client"])
    assert plain.local is not None and not plain.local.is_ipv4_mapped
    assert plain.local.unmapped() == plain.local


def _expected_listeners(zoo: netns.Zoo, unix: bool) -> set[int]:
    inodes = set()
    for spec in zoo.sockets.values():
        if spec["proto"] == "unix":
            if unix and spec["state"] == "LISTEN":
                inodes.add(spec["inode"])
        elif spec["state"] == "LISTEN" or (spec["proto"] != "tcp" and spec["state"] is None):
            inodes.add(spec["inode"])
    return inodes


def test_listening_all_is_exactly_the_listeners(backend: LinuxProcfs, zoo: netns.Zoo) -> None:
    rows = netstatlib.listening("all", backend=backend)
    assert {row.inode for row in rows} == _expected_listeners(zoo, unix=True)
    assert len(rows) == len(_expected_listeners(zoo, unix=True))
    assert all(row.is_listening for row in rows)
    assert all(row.pids for row in rows)


def test_listening_default_kind_is_tcp_and_udp(backend: LinuxProcfs, zoo: netns.Zoo) -> None:
    rows = netstatlib.listening(backend=backend)
    assert {row.protocol for row in rows} == {Protocol.TCP, Protocol.UDP}
    expected = {
        spec["inode"]
        for spec in zoo.sockets.values()
        if spec["proto"] in ("tcp", "udp") and spec["inode"] in _expected_listeners(zoo, False)
    }
    assert {row.inode for row in rows} == expected


_V4, _V6 = socket.AF_INET, socket.AF_INET6
_TCP, _UDP, _LITE, _RAW = Protocol.TCP, Protocol.UDP, Protocol.UDPLITE, Protocol.RAW
# What each kind means, written out here rather than read from netstatlib.KINDS.
KIND_TABLES: dict[str, set[tuple[Protocol, socket.AddressFamily]]] = {
    "tcp4": {(_TCP, _V4)},
    "tcp6": {(_TCP, _V6)},
    "tcp": {(_TCP, _V4), (_TCP, _V6)},
    "udp4": {(_UDP, _V4)},
    "udp6": {(_UDP, _V6)},
    "udp": {(_UDP, _V4), (_UDP, _V6)},
    "udplite4": {(_LITE, _V4)},
    "udplite6": {(_LITE, _V6)},
    "udplite": {(_LITE, _V4), (_LITE, _V6)},
    "raw4": {(_RAW, _V4)},
    "raw6": {(_RAW, _V6)},
    "raw": {(_RAW, _V4), (_RAW, _V6)},
    "inet4": {(_TCP, _V4), (_UDP, _V4)},
    "inet6": {(_TCP, _V6), (_UDP, _V6)},
    "inet": {(_TCP, _V4), (_TCP, _V6), (_UDP, _V4), (_UDP, _V6)},
    "unix": {(Protocol.UNIX, socket.AF_UNIX)},
}
KIND_TABLES["all"] = set().union(*KIND_TABLES.values())


def _tables_of(kind: str) -> set[tuple[Protocol, socket.AddressFamily]]:
    return KIND_TABLES[kind]


def test_every_kind_is_tested() -> None:
    assert set(netstatlib.KINDS) == set(KIND_TABLES)


@pytest.mark.parametrize("kind", sorted(KIND_TABLES))
def test_kind_selects_its_tables(
    backend: LinuxProcfs, bare: netstatlib.Table[Connection], kind: str
) -> None:
    rows = netstatlib.connections(kind, processes=False, backend=backend)
    assert all((row.protocol, row.family) in _tables_of(kind) for row in rows)
    expected = {row_key(row) for row in bare if (row.protocol, row.family) in _tables_of(kind)}
    assert {row_key(row) for row in rows} == expected
    listeners = netstatlib.listening(kind, processes=False, backend=backend)
    assert {row_key(row) for row in listeners} == {
        row_key(row)
        for row in bare
        if (row.protocol, row.family) in _tables_of(kind) and row.is_listening
    }


def _kind_names() -> Iterator[str]:
    yield "udp"
    yield "raw6"


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        (["udp", "raw6"], ("udp", "raw6")),
        (("tcp4", "unix"), ("tcp4", "unix")),
        ("generator", ("udp", "raw6")),
        (frozenset({"tcp6", "udp4"}), ("tcp6", "udp4")),
        (["tcp6", "TCP6 "], ("tcp6",)),
    ],
    ids=["list", "tuple", "generator", "set", "repeated"],
)
def test_iterable_kinds(
    backend: LinuxProcfs, bare: netstatlib.Table[Connection], kind: object, names: tuple
) -> None:
    argument = _kind_names() if kind == "generator" else kind
    rows = netstatlib.connections(argument, processes=False, backend=backend)  # type: ignore[arg-type]
    tables = frozenset().union(*(_tables_of(name) for name in names))
    assert {row_key(row) for row in rows} == {
        row_key(row) for row in bare if (row.protocol, row.family) in tables
    }
    assert rows


def test_tcp6_has_only_ipv6_tcp(backend: LinuxProcfs, zoo: netns.Zoo) -> None:
    rows = netstatlib.connections("tcp6", processes=False, backend=backend)
    assert {(row.protocol, row.family) for row in rows} == {(Protocol.TCP, socket.AF_INET6)}
    inodes = {row.inode for row in rows}
    assert zoo.sockets["mapped_client"]["inode"] in inodes
    assert zoo.sockets["est4_client"]["inode"] not in inodes


def test_processes_false_gives_no_pids(
    backend: LinuxProcfs, ours: netstatlib.Table[Connection], bare: netstatlib.Table[Connection]
) -> None:
    assert all(row.pids is None and row.process is None for row in bare)
    assert {row_key(row) for row in bare} == {row_key(row) for row in ours}
    listeners = netstatlib.listening("all", processes=False, backend=backend)
    assert listeners and all(row.pids is None for row in listeners)


def test_kernel_owned_rows_have_empty_pids(ours: netstatlib.Table[Connection]) -> None:
    kernel = [row for row in ours if row.inode is None]
    assert kernel, "the zoo made a TIME_WAIT socket"
    assert all(row.pids == () and row.process is None for row in kernel)


def test_where_filters_rows(backend: LinuxProcfs, bare: netstatlib.Table[Connection]) -> None:
    rows = netstatlib.connections(
        "all",
        processes=False,
        backend=backend,
        where=lambda row: row.state is TcpState.ESTABLISHED,
    )
    expected = {row_key(row) for row in bare if row.state is TcpState.ESTABLISHED}
    assert {row_key(row) for row in rows} == expected
    assert rows
