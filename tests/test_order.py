"""The natural order of records, endpoints and enums: total, consistent with ==, and safe
with any mix of missing values.

Records are drawn from their own annotations (every field either ``None``, where the
annotation allows it, or a value of its type) from small pools of values, so that two
records often agree on their first fields and a later field has to decide.
"""

from __future__ import annotations

import socket
import types
import typing
from typing import Any

import attrs
import netaddr
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from record_contracts import NAMESPACE

from netstatlib import (
    Connection,
    Counters,
    Endpoint,
    InterfaceStats,
    NamedEndpoint,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    SocketDetails,
    SocketMemory,
    SocketTimer,
    Table,
    TcpInfo,
    TcpState,
)
from netstatlib._model import ConnectionDraft, EndpointDraft, sort_key

from conftest import ep

RECORDS = [
    Endpoint,
    NamedEndpoint,
    TcpInfo,
    SocketMemory,
    SocketTimer,
    SocketDetails,
    Connection,
    Route,
    InterfaceStats,
    ProtocolStats,
]

# Small pools: equal values are common, so ties are broken by later fields.
INTS = st.sampled_from([0, 1, 2, 443, 65535, -1, 2**63, 2**64 - 1]) | st.integers()
FLOATS = st.sampled_from([0.0, -0.0, 0.5, 1e-6]) | st.floats(allow_nan=False)
TEXTS = st.sampled_from(["", "a", "b", "lo", "eth0", "12", "2", "é"]) | st.text(max_size=4)
V4 = st.integers(0, 2**32 - 1).map(lambda n: netaddr.IPAddress(n, 4))
V6 = st.integers(0, 2**128 - 1).map(lambda n: netaddr.IPAddress(n, 6))
ADDRESSES = st.sampled_from(
    [netaddr.IPAddress(a) for a in ("127.0.0.1", "10.0.0.9", "10.0.0.10", "::1", "::ffff:1.2.3.4")]
) | st.one_of(V4, V6)


@st.composite
def networks(draw: st.DrawFn) -> netaddr.IPNetwork:
    address = draw(ADDRESSES)
    length = draw(st.integers(0, 32 if address.version == 4 else 128))
    return netaddr.IPNetwork(f"{address}/{length}")


def values_of(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of an annotated type, ``None`` included where it is optional."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return st.one_of(*(values_of(arg) for arg in typing.get_args(annotation)))
    if annotation is type(None):
        return st.none()
    if typing.get_origin(annotation) is tuple:
        return st.lists(values_of(typing.get_args(annotation)[0]), max_size=3).map(tuple)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        int: INTS,
        float: FLOATS,
        str: TEXTS,
        bool: st.booleans(),
        Protocol: st.sampled_from(Protocol),
        TcpState: st.sampled_from(TcpState),
        socket.AddressFamily: st.sampled_from([socket.AF_INET, socket.AF_INET6, socket.AF_UNIX]),
        socket.SocketKind: st.sampled_from([socket.SOCK_STREAM, socket.SOCK_DGRAM]),
        RouteFlags: st.integers(0, 2**32 - 1).map(RouteFlags),
        netaddr.IPAddress: ADDRESSES,
        netaddr.IPNetwork: networks(),
        Counters: st.dictionaries(TEXTS, INTS, max_size=3).map(Counters),
    }
    if annotation in simple:
        return simple[annotation]
    if attrs.has(annotation):
        return records(annotation)
    raise AssertionError(f"no strategy for {annotation!r}")


def field_values(record: type) -> dict[str, st.SearchStrategy[Any]]:
    hints = typing.get_type_hints(record, globalns=NAMESPACE)
    return {field.name: values_of(hints[field.name]) for field in attrs.fields(record)}


def records(record: type) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: st.builds(record, **field_values(record)))


@st.composite
def pairs(draw: st.DrawFn, record: type) -> tuple[Any, Any]:
    """Two records: unrelated, equal, or one changed in a single field."""
    first = draw(records(record))
    how = draw(st.sampled_from(["other", "same", "copy", "one field"]))
    if how == "other":
        return first, draw(records(record))
    if how == "same":
        return first, first
    if how == "copy":
        return first, attrs.evolve(first)
    name = draw(st.sampled_from([field.name for field in attrs.fields(record)]))
    return first, attrs.evolve(first, **{name: draw(field_values(record)[name])})


SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
LISTS = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])


def check_pair(a: Any, b: Any) -> None:
    assert [a < b, a == b, b < a].count(True) == 1, (a, b)
    assert (a <= b) == (a < b or a == b)
    assert (a >= b) == (b <= a)
    assert (a > b) == (b < a)
    # The records' comparison and their key (what Table.sort uses) say the same.
    assert (sort_key(a) < sort_key(b)) == (a < b)
    assert (sort_key(a) == sort_key(b)) == (a == b)


@pytest.mark.parametrize("record", RECORDS, ids=lambda record: record.__name__)
@SETTINGS
@given(data=st.data())
def test_the_order_is_total_and_consistent_with_equality(record: type, data: st.DataObject) -> None:
    a, b = data.draw(pairs(record))
    check_pair(a, b)
    # Every field takes part: a record changed in any one field only is ordered
    # against the original (or equal to it, when the new value is equal).
    strategies = field_values(record)
    for field in attrs.fields(record):
        check_pair(a, attrs.evolve(a, **{field.name: data.draw(strategies[field.name])}))


@pytest.mark.parametrize("record", RECORDS, ids=lambda record: record.__name__)
@LISTS
@given(data=st.data())
def test_sorting_records_never_raises_and_is_transitive(record: type, data: st.DataObject) -> None:
    rows = data.draw(st.lists(records(record), max_size=6))
    rows += [data.draw(pairs(record))[1] for _ in range(2)] if rows else []
    ordered = sorted(rows)
    for i, earlier in enumerate(ordered):
        for later in ordered[i + 1 :]:
            assert not later < earlier
            assert earlier <= later
    assert Table(rows).sort() == Table(ordered)
    assert list(Table(rows).sort(reverse=True)) == sorted(rows, reverse=True)
    # Any field sorts, whatever mix of None and values it holds.
    for field in attrs.fields(record):
        by_field = Table(rows).sort(field.name)
        keys = [sort_key(getattr(row, field.name)) for row in by_field]
        assert keys == sorted(keys)


def test_states_follow_the_kernel_numbers() -> None:
    assert sorted(TcpState) == sorted(TcpState, key=lambda state: state.value)
    assert TcpState.ESTABLISHED < TcpState.SYN_SENT < TcpState.LISTEN < TcpState.BOUND
    assert max(TcpState) is TcpState.DELETE_TCB and min(TcpState) is TcpState.UNKNOWN
    assert TcpState.LISTEN >= TcpState.LISTEN and not TcpState.LISTEN > TcpState.LISTEN


def test_protocols_follow_netstat() -> None:
    shuffled = [Protocol.UNIX, Protocol.RAW, Protocol.TCP, Protocol.UDPLITE, Protocol.UDP]
    assert sorted(shuffled) == [
        Protocol.TCP,
        Protocol.UDP,
        Protocol.UDPLITE,
        Protocol.RAW,
        Protocol.UNIX,
    ]
    assert Protocol.TCP <= Protocol.TCP < Protocol.UNIX
    assert Protocol.UNIX > Protocol.RAW >= Protocol.RAW


def test_unrelated_types_do_not_compare() -> None:
    with pytest.raises(TypeError):
        _ = TcpState.LISTEN < 10  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = Protocol.TCP < "udp"  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = Protocol.TCP < TcpState.LISTEN  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = ep("10.0.0.1", 1) < NamedEndpoint(host="a", port=1)  # type: ignore[operator]
    route = Route(
        family=socket.AF_INET,
        destination=netaddr.IPNetwork("0.0.0.0/0"),
        gateway=None,
        interface="lo",
        metric=0,
        flags=RouteFlags.UP,
    )
    with pytest.raises(TypeError):
        _ = route < ProtocolStats(group="Tcp", counters={})  # type: ignore[operator]


def test_endpoints_by_family_address_port_then_zone() -> None:
    shuffled = [
        ep("::1", 22),
        ep("fe80::1", 546, "12"),
        ep("10.0.0.10", 22),
        ep("fe80::1", 546),
        ep("10.0.0.9", 80),
        ep("10.0.0.9", 22),
        ep("fe80::1", 546, "eth0"),
        ep("fe80::1", 546, "2"),
        ep("::ffff:10.0.0.1", 1),
    ]
    assert [str(e) for e in sorted(shuffled)] == [
        "10.0.0.9:22",
        "10.0.0.9:80",
        "10.0.0.10:22",  # by number, not by text
        "[::1]:22",
        "[::ffff:10.0.0.1]:1",  # IPv4-mapped is IPv6, kept as the kernel reports it
        "[fe80::1]:546",  # no zone first
        "[fe80::1%2]:546",  # numeric zones (Windows interface indexes) by number
        "[fe80::1%12]:546",
        "[fe80::1%eth0]:546",
    ]


def test_a_missing_value_sorts_first() -> None:
    listener = Connection(
        protocol=Protocol.TCP, family=socket.AF_INET, local=ep("0.0.0.0", 22), remote=None,
        state=TcpState.LISTEN,
    )  # fmt: skip
    peer = attrs.evolve(listener, remote=ep("10.0.0.1", 4000), state=TcpState.ESTABLISHED)
    by_name = attrs.evolve(listener, family=None, local=None)
    assert sorted([peer, listener, by_name]) == [by_name, listener, peer]


def test_networks_order_by_first_address_larger_first() -> None:
    routes = [
        Route(family=socket.AF_INET, destination=netaddr.IPNetwork(text), gateway=None,
              interface="eth0", metric=0, flags=RouteFlags.UP)
        for text in ("10.0.0.0/24", "0.0.0.0/8", "10.0.0.0/8", "0.0.0.0/0", "9.0.0.0/8")
    ]  # fmt: skip
    assert [str(r.destination) for r in sorted(routes)] == [
        "0.0.0.0/0",
        "0.0.0.0/8",
        "9.0.0.0/8",
        "10.0.0.0/8",
        "10.0.0.0/24",
    ]
    # netaddr calls 10.0.0.5/8 and 10.0.0.0/8 equal; so does the order.
    a = attrs.evolve(routes[2], destination=netaddr.IPNetwork("10.0.0.5/8"))
    assert a == routes[2] and not a < routes[2] and not routes[2] < a


def test_nan_sorts_after_every_number_and_never_raises() -> None:
    base = SocketTimer(name="on", expires=1.0, retransmits=0)
    timers = [attrs.evolve(base, expires=value) for value in (float("nan"), 2.0, -1.0)]
    assert [t.expires for t in sorted(timers)][:2] == [-1.0, 2.0]


def test_ordering_adds_no_slot_and_drafts_still_become_records() -> None:
    # The bulk builders turn a draft into a record by assigning __class__, which needs
    # identical layouts: the order is methods only.
    assert set(Connection.__slots__) == {f.name for f in attrs.fields(Connection)}
    assert set(Endpoint.__slots__) == {f.name for f in attrs.fields(Endpoint)}
    assert not hasattr(Connection, "__weakref__") and not hasattr(Endpoint, "__weakref__")
    draft: Any = object.__new__(EndpointDraft)
    draft.address, draft.port, draft.zone = netaddr.IPAddress("10.0.0.1"), 1, None
    draft.__class__ = Endpoint
    assert draft == ep("10.0.0.1", 1) and not draft < ep("10.0.0.1", 1)
    row: Any = object.__new__(ConnectionDraft)
    for field in attrs.fields(Connection):
        setattr(row, field.name, None)
    row.protocol = Protocol.TCP
    row.__class__ = Connection
    assert sorted([row, row]) == [row, row]
