"""Records, states and the immutability contract."""

from __future__ import annotations

import socket

import attrs
import netaddr
import pytest

from netstatlib import (
    Connection,
    Counters,
    Endpoint,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    TcpState,
    UsageError,
)

from conftest import conn


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("ESTABLISHED", TcpState.ESTABLISHED),
        ("established", TcpState.ESTABLISHED),
        ("estab", TcpState.ESTABLISHED),
        ("LISTENING", TcpState.LISTEN),
        ("listen", TcpState.LISTEN),
        ("SYN_RECEIVED", TcpState.SYN_RECV),
        ("syn-recv", TcpState.SYN_RECV),
        ("SYN_RECV", TcpState.SYN_RECV),
        ("syn-sent", TcpState.SYN_SENT),
        ("fin-wait-1", TcpState.FIN_WAIT1),
        ("FIN_WAIT_2", TcpState.FIN_WAIT2),
        ("fin_wait2", TcpState.FIN_WAIT2),
        ("time-wait", TcpState.TIME_WAIT),
        ("TIME_WAIT", TcpState.TIME_WAIT),
        ("closed", TcpState.CLOSE),
        ("close-wait", TcpState.CLOSE_WAIT),
        ("Last-Ack", TcpState.LAST_ACK),
        ("closing", TcpState.CLOSING),
        ("new-syn-recv", TcpState.NEW_SYN_RECV),
        (" Close Wait ", TcpState.CLOSE_WAIT),
        (TcpState.LISTEN, TcpState.LISTEN),
    ],
)
def test_state_spellings(text: str | TcpState, state: TcpState) -> None:
    assert TcpState.parse(text) is state


@pytest.mark.parametrize("text", ["", "LISTENINGG", "estab lished", "1", "SYN"])
def test_unknown_state_spelling_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="unknown TCP state"):
        TcpState.parse(text)


def test_state_parse_rejects_non_strings() -> None:
    with pytest.raises(UsageError):
        TcpState.parse(10)  # type: ignore[arg-type]


def test_kernel_numbers_follow_tcp_states_h() -> None:
    assert TcpState.from_kernel(1) is TcpState.ESTABLISHED
    assert TcpState.from_kernel(0x0A) is TcpState.LISTEN
    assert TcpState.from_kernel(12) is TcpState.NEW_SYN_RECV
    assert TcpState.from_kernel(99) is TcpState.UNKNOWN
    kernel = [s for s in TcpState if s not in (TcpState.BOUND, TcpState.DELETE_TCB)]
    assert [s.value for s in kernel if s is not TcpState.UNKNOWN] == list(range(1, 13))
    # The Windows-only members are not kernel numbers.
    assert TcpState.from_kernel(TcpState.BOUND.value) is TcpState.UNKNOWN
    assert TcpState.from_kernel(TcpState.DELETE_TCB.value) is TcpState.UNKNOWN


def test_endpoint_text() -> None:
    assert str(Endpoint(address=netaddr.IPAddress("10.0.0.5"), port=22)) == "10.0.0.5:22"
    assert str(Endpoint(address=netaddr.IPAddress("::1"), port=631)) == "[::1]:631"


def test_ipv4_mapped_endpoint_is_kept_and_recognisable() -> None:
    mapped = Endpoint(address=netaddr.IPAddress("::ffff:127.0.0.1"), port=80)
    assert mapped.is_ipv4_mapped
    assert str(mapped) == "[::ffff:127.0.0.1]:80"
    plain = mapped.unmapped()
    assert plain == Endpoint(address=netaddr.IPAddress("127.0.0.1"), port=80)
    assert not plain.is_ipv4_mapped
    assert plain.unmapped() is plain


def test_records_are_frozen_slotted_hashable_keyword_only() -> None:
    row = conn()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        row.state = TcpState.CLOSE  # type: ignore[misc]
    assert not hasattr(row, "__dict__")
    assert hash(row) == hash(conn())
    with pytest.raises(TypeError):
        Connection(Protocol.TCP, socket.AF_INET, None, None, None)  # type: ignore[misc]


def test_unknown_fields_default_to_none_not_placeholders() -> None:
    row = conn()
    assert row.pids is None
    assert row.process is None
    assert row.uid is None
    assert row.path is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),
        ({"state": TcpState.ESTABLISHED}, False),
        ({"protocol": Protocol.UDP, "state": None}, True),
        (
            {
                "protocol": Protocol.UDP,
                "state": TcpState.ESTABLISHED,
                "remote": Endpoint(address=netaddr.IPAddress("10.0.0.1"), port=53),
            },
            False,
        ),
        ({"protocol": Protocol.RAW, "state": None}, True),
        ({"protocol": Protocol.UNIX, "local": None, "state": TcpState.LISTEN}, True),
        ({"protocol": Protocol.UNIX, "local": None, "state": None}, False),
    ],
)
def test_is_listening(changes: dict[str, object], expected: bool) -> None:
    assert conn(**changes).is_listening is expected


def _route(destination: str, flags: RouteFlags, interface: str | None = "eth0") -> Route:
    return Route(
        family=socket.AF_INET6 if ":" in destination else socket.AF_INET,
        destination=netaddr.IPNetwork(destination),
        gateway=None,
        interface=interface,
        metric=0,
        flags=flags,
    )


def test_is_default_only_for_usable_default_routes() -> None:
    up_gw = RouteFlags.UP | RouteFlags.GATEWAY
    assert _route("0.0.0.0/0", up_gw).is_default
    assert _route("::/0", up_gw).is_default
    assert not _route("10.0.0.0/8", up_gw).is_default
    assert not _route("0.0.0.0/0", RouteFlags.UP | RouteFlags.REJECT).is_default
    assert not _route("0.0.0.0/0", RouteFlags.UP, interface=None).is_default  # blackhole
    assert not _route("::/0", RouteFlags.UP | RouteFlags.REJECT, interface="lo").is_default
    assert not _route("0.0.0.0/0", RouteFlags.GATEWAY).is_default  # not up


def test_route_flags_keep_unknown_bits() -> None:
    flags = RouteFlags(0x1 | 0x2 | 0x20000000)
    assert RouteFlags.UP in flags
    assert int(flags) == 0x20000003


def test_counters_are_an_immutable_hashable_mapping() -> None:
    stats = ProtocolStats(group="Tcp", counters={"ActiveOpens": 3, "MaxConn": -1})
    assert isinstance(stats.counters, Counters)
    assert stats["ActiveOpens"] == 3
    assert stats.counters == {"ActiveOpens": 3, "MaxConn": -1}
    assert list(stats.counters) == ["ActiveOpens", "MaxConn"]
    assert hash(stats) == hash(
        ProtocolStats(group="Tcp", counters={"MaxConn": -1, "ActiveOpens": 3})
    )
    with pytest.raises(TypeError):
        stats.counters["ActiveOpens"] = 4  # type: ignore[index]
    assert "Counters(" in repr(stats.counters)
