"""The seam between the query functions and the backends: SocketQuery and its plan.

A backend may use what it can of a query and ignore the rest; the query layer applies the
whole query again to what comes back. The central test here runs every query function,
over a set of kinds and filters, against a backend that honours every hint it can and a
backend that ignores all of them, and against the answer worked out by hand: all three
must agree.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import netaddr
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import netstatlib
from netstatlib import (
    KINDS,
    Connection,
    Endpoint,
    F,
    FilterError,
    InterfaceStats,
    NamedEndpoint,
    Predicate,
    Protocol,
    ProtocolStats,
    Route,
    TcpState,
    UnsupportedError,
    UsageError,
    audits,
)
from netstatlib.backends import (
    HINTS,
    Backend,
    Capabilities,
    CapturedText,
    LinuxProcfs,
    SocketQuery,
    WindowsNetstat,
    available,
)
from netstatlib.filters import (
    AllOf,
    AnyOf,
    Negated,
    PortCondition,
    PrefixCondition,
    possible_states,
    socket_conditions,
)
from netstatlib.filters._plan import _conditions

from conftest import conn, ep

SOCKETS = Path(__file__).parent / "fixtures" / "linux" / "sockets"
NET_FILES = [path.name for path in SOCKETS.iterdir() if path.is_file() and path.suffix == ""]


def processes_json() -> str:
    """Owners for the fixture's sockets: every inode gets one of three processes, and
    every fifth is also held by a fourth (a forked server)."""
    names = {100: "sshd", 101: "nginx", 102: "client", 200: "sshd-worker"}
    sockets: dict[int, list[int]] = {pid: [] for pid in names}
    backend = CapturedText({f"net/{name}": SOCKETS / name for name in NET_FILES})
    for row in netstatlib.connections("all", backend=backend, processes=False):
        if row.inode:
            sockets[100 + row.inode % 3].append(row.inode)
            if row.inode % 5 == 0:
                sockets[200].append(row.inode)
    entries = [{"pid": pid, "name": names[pid], "sockets": sockets[pid]} for pid in names]
    return json.dumps({"processes": entries})


FILES: dict[str, Any] = {f"net/{name}": SOCKETS / name for name in NET_FILES}
FILES["processes.json"] = processes_json()


class IgnoringBackend:
    """Ignores every hint: lists every table it has, in every state, with owners, and
    routes of both families, whatever it is asked."""

    name = "ignoring"

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.capabilities = Capabilities(
            tables=KINDS["all"],
            processes=True,
            fields=inner.capabilities.fields,
            notes="Ignores every hint.",
        )
        self.queries: list[SocketQuery] = []

    def connections(self, query: SocketQuery) -> list[Connection]:
        self.queries.append(query)
        return self.inner.connections(SocketQuery(tables=KINDS["all"], processes=query.processes))

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        return self.inner.routes(None)

    def interface_stats(self) -> list[InterfaceStats]:
        return self.inner.interface_stats()

    def protocol_stats(self) -> list[ProtocolStats]:
        return self.inner.protocol_stats()


@pytest.fixture(scope="module")
def honouring() -> Backend:
    return CapturedText(FILES)


@pytest.fixture(scope="module")
def ignoring(honouring: Backend) -> IgnoringBackend:
    return IgnoringBackend(CapturedText(FILES))


@pytest.fixture(scope="module")
def everything(honouring: Backend) -> list[Connection]:
    return list(honouring.connections(SocketQuery(tables=KINDS["all"])))


SOCKET_KINDS: list[str | list[str]] = [
    "inet", "all", "tcp", "tcp4", "udp6", "udplite", "raw", "unix", ["tcp6", "udplite4"]
]  # fmt: skip

FILTERS: list[Any] = [
    None,
    F.state == "LISTEN",
    F.state.isin(["ESTABLISHED", "TIME_WAIT"]),
    F.protocol == "udp",
    F.family == 6,
    (F.protocol == "tcp") & (F.family == 4),
    F.local_port < 1024,
    ~(F.remote_port == 443),
    F.remote_port.is_missing(),
    F.remote_address.within("127.0.0.0/8"),
    F.local_address.is_loopback | F.local_address.is_unspecified,
    F.process == "sshd",
    F.pid == 200,
    (F.state == "LISTEN") & F.process.glob("ssh*"),
    F.process.is_missing() | (F.pid == 101),
    F.path.glob("*"),
    "state established",
    "state listening",
    "state closed",
    "state connected sport < :32768",
    "dport = :0 or sport >= :40000",
    "not dst 127.0.0.1",
    "src 0.0.0.0/0",
    "state syn-recv state time-wait",
    lambda row: row.inode is not None and row.inode % 2 == 0,
]


def by_hand(
    rows: Iterable[Connection], kind: str | list[str], where: Any, listening: bool
) -> list[Connection]:
    """The answer worked out without the query layer."""
    names = [kind] if isinstance(kind, str) else kind
    tables = set().union(*(KINDS[name] for name in names))
    test: Callable[[Connection], object]
    if isinstance(where, str):
        test = netstatlib.compile_filter(where)
    else:
        test = where if where is not None else (lambda row: True)
    return [
        row
        for row in rows
        if (row.protocol, row.family) in tables
        and (not listening or row.is_listening)
        and test(row)
    ]


@pytest.mark.parametrize("where", FILTERS, ids=repr)
@pytest.mark.parametrize("kind", SOCKET_KINDS, ids=str)
def test_a_backend_that_ignores_every_hint_is_never_wrong(
    honouring: Backend,
    ignoring: IgnoringBackend,
    everything: list[Connection],
    kind: str | list[str],
    where: Any,
) -> None:
    for listening in (False, True):
        query = netstatlib.listening if listening else netstatlib.connections
        expected = by_hand(everything, kind, where, listening)
        assert list(query(kind, where=where, backend=honouring)) == expected
        assert list(query(kind, where=where, backend=ignoring)) == expected
    without = netstatlib.connections(kind, where=where, processes=False, backend=ignoring)
    assert without == netstatlib.connections(kind, where=where, processes=False, backend=honouring)


def test_the_ignoring_backend_really_is_asked_and_given_more(
    honouring: Backend, ignoring: IgnoringBackend, everything: list[Connection]
) -> None:
    rows = netstatlib.listening("tcp4", where=F.local_port == 22, backend=ignoring)
    query = ignoring.queries[-1]
    assert query.tables == KINDS["tcp4"] and query.listening
    assert len(everything) > 10 * max(len(rows), 1)  # it returned every socket it has


@pytest.mark.parametrize("family", [None, 4, 6])
@pytest.mark.parametrize(
    "where",
    [None, F.is_default == True, F.flags.has("GATEWAY"), F.destination.within("::/0")],  # noqa: E712
)
def test_routes_from_a_backend_that_ignores_the_family(
    honouring: Backend, ignoring: IgnoringBackend, family: int | None, where: Predicate | None
) -> None:
    assert netstatlib.routes(family=family, where=where, backend=ignoring) == netstatlib.routes(
        family=family, where=where, backend=honouring
    )
    if family is not None:
        wanted = socket.AF_INET if family == 4 else socket.AF_INET6
        assert {row.family for row in netstatlib.routes(family=family, backend=ignoring)} <= {
            wanted
        }


def test_the_other_query_functions_over_the_ignoring_backend(
    honouring: Backend, ignoring: IgnoringBackend
) -> None:
    for where in (None, F.name == "lo", F.rx_bytes > 0):
        assert netstatlib.interface_stats(where=where, backend=ignoring) == (
            netstatlib.interface_stats(where=where, backend=honouring)
        )
    for where in (None, F.group == "Tcp"):
        assert netstatlib.protocol_stats(where=where, backend=ignoring) == (
            netstatlib.protocol_stats(where=where, backend=honouring)
        )
    assert audits.half_open_by_port(backend=ignoring) == audits.half_open_by_port(backend=honouring)


# -- the plan -----------------------------------------------------------------------------


def test_plan_narrows_tables_and_states() -> None:
    query = SocketQuery.plan(KINDS["all"], where=(F.protocol == "tcp") & (F.state == "LISTEN"))
    assert query.tables == KINDS["tcp"]
    assert query.states == {TcpState.LISTEN}
    assert query.process_free == query.where
    assert query.conditions is None
    listening = SocketQuery.plan(KINDS["inet"], listening=True)
    assert listening.states == {TcpState.LISTEN, None}
    assert listening.where is None and listening.early_test() is not None
    closed = SocketQuery.plan(KINDS["udp"], where="state closed")
    assert closed.states is not None and None in closed.states and TcpState.CLOSE in closed.states
    none = SocketQuery.plan(KINDS["tcp"], where=F.state.isin([]))
    assert none.states == frozenset() and none.matches_nothing
    assert SocketQuery.plan(KINDS["udp"], where=F.protocol == "tcp").matches_nothing
    assert not SocketQuery.plan(KINDS["tcp"]).matches_nothing


def test_plan_keeps_only_the_process_free_part_for_early_use() -> None:
    where = (F.state == "LISTEN") & F.process.glob("ssh*") & (F.local_port == 22)
    query = SocketQuery.plan(KINDS["tcp"], where=where)
    assert query.process_free == (F.state == "LISTEN") & (F.local_port == 22)
    assert query.conditions == PortCondition("local", "==", 22)
    assert SocketQuery.plan(KINDS["tcp"], where=F.pid == 1).process_free is None
    callable_query = SocketQuery.plan(KINDS["tcp"], where=lambda row: True)
    assert callable_query.process_free is None and callable_query.early_test() is None


def test_plan_takes_an_ss_filter_and_refuses_what_is_not_a_filter() -> None:
    query = SocketQuery.plan(KINDS["tcp"], where="state established dport = :https")
    assert query.states == {TcpState.ESTABLISHED}
    assert str(query.conditions) == "dport == :443"
    with pytest.raises(
        UsageError, match="where must be a callable taking a record, a predicate or an ss filter"
    ):
        SocketQuery.plan(KINDS["tcp"], where=42)  # type: ignore[arg-type]
    with pytest.raises(FilterError, match="Connection records have no field"):
        SocketQuery.plan(KINDS["tcp"], where=F.gateway.is_missing())


def test_the_query_reads_as_what_it_asks() -> None:
    query = SocketQuery.plan(KINDS["tcp4"], where="sport = :22", listening=True, processes=False)
    assert repr(query) == (
        "SocketQuery(tables=[tcp/AF_INET], listening, processes=False, "
        "where=F.local_port == 22, states={-, LISTEN}, conditions='sport == :22')"
    )


def test_select_keeps_a_windows_row_without_family_when_its_protocol_is_asked() -> None:
    named = conn(None, family=None, state=None)
    udp = conn(None, protocol=Protocol.UDP, family=None)
    assert SocketQuery(tables=KINDS["tcp4"]).select([named, udp]) == [named]


def test_every_builtin_backend_declares_hints_it_has_words_for() -> None:
    for info in available():
        assert info.capabilities.hints <= set(HINTS), info.name
    assert LinuxProcfs.capabilities.hints == {"tables", "states", "process_free", "conditions"}
    with pytest.raises(UsageError, match="unknown hints"):
        Capabilities(tables=[], processes=False, fields={}, hints={"telepathy"})


def test_possible_states_reads_only_conjuncts_on_the_state() -> None:
    assert possible_states(F.local_port == 22) is None
    assert possible_states((F.state == "LISTEN") | (F.local_port == 22)) is None
    assert possible_states(~(F.state == "LISTEN")) == {
        *(state for state in TcpState if state is not TcpState.LISTEN),
        None,
    }


# -- port and address conditions ----------------------------------------------------------

PORTS = [0, 1, 443, 65535]  # few values, so that predicates and rows meet on them
V4 = ["0.0.0.0", "127.0.0.1", "10.1.2.3"]
V6 = ["::", "::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "2001:db8::5"]
NETWORKS = ["0.0.0.0/0", "0.0.0.0/8", "127.0.0.0/8", "10.0.0.0/8", "127.0.0.1/32",
            "::/0", "::1/128", "::ffff:127.0.0.0/104", "fe80::/10", "::/128"]  # fmt: skip
ADDRESSES = [*V4, *V6]
SIDES = ["local", "remote"]


def leaves() -> st.SearchStrategy[Predicate]:
    side = st.sampled_from(SIDES)
    port_value = st.sampled_from([*PORTS, None])
    op = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])

    def port_compare(side: str, op: str, port: int | None) -> Predicate:
        field = getattr(F, f"{side}_port")
        if port is None:
            return field == None if op in ("==", "<") else field != None  # noqa: E711
        return {"==": field.__eq__, "!=": field.__ne__, "<": field.__lt__, "<=": field.__le__,
                ">": field.__gt__, ">=": field.__ge__}[op](port)  # fmt: skip

    return st.one_of(
        st.builds(port_compare, side, op, port_value),
        st.builds(
            lambda side, ports: getattr(F, f"{side}_port").isin(ports),
            side,
            st.lists(port_value, max_size=3),
        ),
        st.builds(lambda side: getattr(F, f"{side}_port").is_missing(), side),
        st.builds(lambda side: getattr(F, f"{side}_address").is_missing(), side),
        st.builds(
            lambda side, nets: getattr(F, f"{side}_address").within(nets),
            side,
            st.lists(st.sampled_from(NETWORKS), min_size=1, max_size=3),
        ),
        st.builds(
            lambda side, equal, address: (
                getattr(F, f"{side}_address") == address
                if equal
                else getattr(F, f"{side}_address") != address
            ),
            side,
            st.booleans(),
            st.sampled_from(ADDRESSES),
        ),
        st.builds(lambda side: getattr(F, f"{side}_address").is_loopback, side),
        st.sampled_from(
            [F.state == "LISTEN", F.state.is_missing(), F.process == "sshd", F.protocol == "udp"]
        ),
    )


predicates = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.builds(lambda a, b: a & b, children, children),
        st.builds(lambda a, b: a | b, children, children),
        st.builds(lambda a: ~a, children),
    ),
    max_leaves=6,
)


@st.composite
def rows(draw: st.DrawFn) -> Connection:
    family = draw(st.sampled_from([socket.AF_INET, socket.AF_INET6]))
    pool = V4 if family == socket.AF_INET else V6

    def endpoint() -> Endpoint:
        address = netaddr.IPAddress(draw(st.sampled_from(pool)))
        return Endpoint(address=address, port=draw(st.sampled_from(PORTS)))

    def named(endpoint: Endpoint) -> NamedEndpoint:
        # As Windows netstat without -n prints one: a host name or the address, and a
        # service name whose port may be known or not.
        host = draw(st.sampled_from(["dc01", str(endpoint.address)]))
        port = draw(st.sampled_from([endpoint.port, None]))
        return NamedEndpoint(host=host, port=port, service="svc")

    local = endpoint()
    remote = draw(st.one_of(st.none(), st.builds(endpoint)))
    local_name = remote_name = None
    if draw(st.booleans()):  # a row printed with names: no endpoint where one has a name
        local_name, local = (named(local), None) if draw(st.booleans()) else (None, local)
        if remote is not None and draw(st.booleans()):
            remote_name, remote = named(remote), None
    return Connection(
        protocol=draw(st.sampled_from([Protocol.TCP, Protocol.UDP])),
        family=family,
        local=local,
        remote=remote,
        state=draw(st.sampled_from([TcpState.LISTEN, TcpState.ESTABLISHED, None])),
        process=draw(st.sampled_from(["sshd", None])),
        local_name=local_name,
        remote_name=remote_name,
    )


def listener(family: socket.AddressFamily = socket.AF_INET) -> Connection:
    return conn(ep("0.0.0.0" if family == socket.AF_INET else "::", 443))


@settings(max_examples=3000, deadline=None)
@given(predicate=predicates, row=rows())
# Where the record has no peer and the kernel sees port 0 and the unspecified address.
@example(predicate=F.remote_port != 0, row=listener())
@example(predicate=~(F.remote_port == 0), row=listener())
@example(predicate=~F.remote_address.within("0.0.0.0/0"), row=listener())
@example(predicate=~F.remote_address.within("::/0"), row=listener(socket.AF_INET6))
@example(predicate=F.remote_address != "::", row=listener(socket.AF_INET6))
@example(predicate=~F.remote_port.isin([0]), row=listener())
# A peer printed as host:https (Windows, no -n): the port a filter reads is 443.
@example(
    predicate=F.remote_port == 443,
    row=conn(
        ep("10.1.2.3", 1), None, remote_name=NamedEndpoint(host="h", port=443, service="https")
    ),
)
def test_conditions_hold_for_every_row_the_filter_keeps(
    predicate: Predicate, row: Connection
) -> None:
    plan = _conditions(predicate)
    if plan.condition is None:
        return
    kept = predicate(row)
    if kept:
        assert plan.condition.matches(row), (predicate, plan.condition, row)
    if plan.exact:
        assert kept == plan.condition.matches(row), (predicate, plan.condition, row)


def test_conditions_of_common_filters() -> None:
    assert socket_conditions(netstatlib.compile_filter("sport = :22")) == PortCondition(
        "local", "==", 22
    )
    dport = socket_conditions(netstatlib.compile_filter("dport < :100"))
    assert dport == AnyOf((PortCondition("remote", "<", 100), PortCondition("remote", "==", 0)))
    negated = socket_conditions(netstatlib.compile_filter("not dport = :443"))
    assert negated == Negated(PortCondition("remote", "==", 443))
    both = socket_conditions((F.local_port == 22) & F.remote_address.within("10.0.0.0/8"))
    assert both == AllOf(
        (
            PortCondition("local", "==", 22),
            PrefixCondition("remote", netaddr.IPNetwork("10.0.0.0/8")),
        )
    )
    assert str(both) == "sport == :22 and dst 10.0.0.0/8"
    # What a kernel filter cannot say makes the whole "or" unconstrained...
    assert socket_conditions((F.local_port == 22) | (F.process == "sshd")) is None
    # ...and the negation of a superset is no superset.
    assert socket_conditions(~F.local_address.within("0.0.0.0/0")) is None
    assert socket_conditions(F.state == "LISTEN") is None


def test_a_prefix_matches_as_inet_diag_does() -> None:
    def row(local: str) -> Connection:
        return conn(ep(local, 1))

    loopback4 = PrefixCondition("local", netaddr.IPNetwork("127.0.0.0/8"))
    assert loopback4.matches(row("127.0.0.1"))
    assert loopback4.matches(row("::ffff:127.0.0.1"))  # IPv4-mapped: a dual-stack socket
    assert not loopback4.matches(row("::1"))
    everything6 = PrefixCondition("remote", netaddr.IPNetwork("::/0"))
    assert everything6.matches(row("::1"))  # no peer is [::]:0 to the kernel
    assert not everything6.matches(row("127.0.0.1"))  # an IPv6 prefix never holds IPv4
    assert PortCondition("remote", "==", 0).matches(row("10.0.0.1"))


def test_the_planning_example_in_the_docs_is_what_plan_gives() -> None:
    page = (Path(__file__).parent.parent / "docs" / "filters.md").read_text()
    lines = page.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(">>> SocketQuery.plan("))
    call = lines[index].removeprefix(">>> ")
    assert repr(eval(call, {"SocketQuery": SocketQuery, "KINDS": KINDS})) == lines[index + 1]


def test_details_go_into_the_plan_and_need_a_backend_that_gives_them(tmp_path: Path) -> None:
    query = SocketQuery.plan(KINDS["tcp"], details=True, processes=False)
    assert query.details and repr(query).endswith("processes=False, details)")
    assert not SocketQuery.plan(KINDS["tcp"]).details
    windows = WindowsNetstat(run=lambda argv: "")
    with pytest.raises(UnsupportedError, match="the windows backend cannot give socket details"):
        netstatlib.connections("tcp", details=True, backend=windows)
    psutil_backend = netstatlib.backends.Psutil()
    with pytest.raises(UnsupportedError, match="psutil backend cannot give socket details"):
        netstatlib.listening(details=True, backend=psutil_backend)
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
    )
    capture = LinuxProcfs(tmp_path)
    with pytest.raises(UnsupportedError, match="is a capture, not the live /proc"):
        netstatlib.connections("tcp4", details=True, backend=capture)
    assert list(netstatlib.connections("tcp4", backend=capture)) == []
