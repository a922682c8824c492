"""``netstatlib.rates()`` and the counter typing on snapshots built by hand: intervals,
wrapped and reset counters, gauges, TCP throughput per connection and per process.

The live tests check the same against traffic of known size in a namespace and against
``nstat``; these pin down the arithmetic, including counters that went down, which a
live test cannot make happen on demand.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from monitoring_helpers import T0, interface, shot
from record_contracts import check_record

import netstatlib
from netstatlib import (
    INTERFACE_FIELD_KINDS,
    PROTOCOL_GAUGES,
    CounterKind,
    InterfaceStats,
    ProtocolStats,
    SocketDetails,
    TcpInfo,
    TcpState,
    UsageError,
    counter_kind,
    rates,
)
from netstatlib._rates import counter_delta
from netstatlib.parsers import procfs, windows

from conftest import conn, ep

FIXTURES = Path(__file__).parent / "fixtures"

# -- counter or gauge ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "name"),
    [
        ("Tcp", "CurrEstab"),
        ("Tcp", "MaxConn"),
        ("Tcp", "RtoAlgorithm"),
        ("Tcp", "RtoMin"),
        ("Tcp", "RtoMax"),
        ("Ip", "Forwarding"),
        ("Ip", "DefaultTTL"),
        ("MPTcpExt", "MPCurrEstab"),
        ("Tcp6", "CurrEstab"),  # Windows
        ("Ip6", "DefaultTTL"),  # Windows XP
    ],
)
def test_settings_and_levels_are_gauges(group: str, name: str) -> None:
    assert counter_kind(group, name) is CounterKind.GAUGE
    assert name in PROTOCOL_GAUGES[group]


@pytest.mark.parametrize(
    ("group", "name"),
    [
        ("Tcp", "ActiveOpens"),
        ("Tcp", "RetransSegs"),
        ("TcpExt", "ListenOverflows"),
        ("Ip", "ReasmTimeout"),  # Linux counts reassembly timeouts under this name
        ("Icmp", "InMsgs"),
        ("IcmpMsg", "OutType3"),
        ("Udp6", "InDatagrams"),
        ("TcpExt", "SomethingANewerKernelAdds"),
        ("CurrEstab", "Tcp"),  # group and name are not interchangeable
    ],
)
def test_everything_else_is_a_counter(group: str, name: str) -> None:
    assert counter_kind(group, name) is CounterKind.COUNTER


def test_the_gauges_are_what_nstat_leaves_out_and_exist_in_real_outputs() -> None:
    """iproute2's nstat skips these seven (misc/nstat.c, useless_number()); every gauge
    name is one a real /proc/net/snmp or Windows netstat -s prints."""
    nstat_skips = {
        ("Ip", "Forwarding"), ("Ip", "DefaultTTL"), ("Tcp", "RtoAlgorithm"),
        ("Tcp", "RtoMin"), ("Tcp", "RtoMax"), ("Tcp", "MaxConn"), ("Tcp", "CurrEstab"),
    }  # fmt: skip
    ours = {(group, name) for group, names in PROTOCOL_GAUGES.items() for name in names}
    assert nstat_skips <= ours
    seen: set[tuple[str, str]] = set()
    for path in FIXTURES.rglob("snmp"):
        seen |= {(r.group, n) for r in procfs.parse_snmp(path.read_bytes()) for n in r.counters}
    for path in FIXTURES.glob("windows/stats/*netstat-*s*.txt"):
        text = windows.decode(path.read_bytes())
        seen |= {(r.group, n) for r in windows.parse_protocol_stats(text) for n in r.counters}
    assert ("Tcp6", "CurrEstab") in seen  # the Windows captures were read
    # Not in these captures: MPTCP (a newer kernel), Windows XP's settings.
    assert ours - seen == {
        ("MPTcpExt", "MPCurrEstab"), ("Ip6", "Forwarding"), ("Ip6", "DefaultTTL"),
        ("Tcp6", "RtoAlgorithm"), ("Tcp6", "RtoMin"), ("Tcp6", "RtoMax"), ("Tcp6", "MaxConn"),
    }  # fmt: skip


def test_interface_field_kinds_cover_every_number_of_interface_stats() -> None:
    numbers = {f.name for f in attrs.fields(InterfaceStats) if f.name != "name"}
    assert set(INTERFACE_FIELD_KINDS) == numbers
    gauges = {name for name, kind in INTERFACE_FIELD_KINDS.items() if kind is CounterKind.GAUGE}
    assert gauges == {"mtu", "is_up", "speed_mbps"}
    assert str(CounterKind.GAUGE) == "gauge"


# -- going down --------------------------------------------------------------------------------


def test_a_32_bit_counter_that_went_down_wrapped() -> None:
    assert counter_delta(2**32 - 10, 5, 32) == (15, True)
    assert counter_delta(7, 7, 32) == (0, False)


def test_a_64_bit_counter_that_went_down_was_reset() -> None:
    assert counter_delta(2**32 - 10, 5, 64) == (5, True)
    assert counter_delta(10**12, 300, 64) == (300, True)


def test_a_32_bit_counter_above_32_bits_is_wider_and_was_reset() -> None:
    assert counter_delta(2**33, 5, 32) == (5, True)


@given(
    before=st.integers(-(2**63), 2**64 - 1),
    after=st.integers(-(2**63), 2**64 - 1),
    width=st.sampled_from([32, 64]),
)
def test_a_counter_never_moves_backwards(before: int, after: int, width: int) -> None:
    change, went_down = counter_delta(before, after, width)
    assert change >= 0
    assert went_down == (after < before)


def test_interface_rates_with_a_wrapped_and_a_reset_counter() -> None:
    """Windows output (32 bits) wraps: 10 bytes before the top, 90 after it is 100 bytes.
    Linux (64 bits) resets: an interface counting again from 0 moved what it shows."""
    windows_before = shot(
        interfaces=[interface(None, rx_bytes=2**32 - 10, tx_bytes=500)], counter_width=32,
        backend="windows",
    )  # fmt: skip
    windows_after = shot(
        interfaces=[interface(None, rx_bytes=90, tx_bytes=700)], counter_width=32,
        backend="windows", seconds=2,
    )  # fmt: skip
    (total,) = rates(windows_before, windows_after).interfaces or ()
    assert total.name is None
    assert total.rx_bytes == 50.0 and total.tx_bytes == 100.0
    assert total.reset == ("rx_bytes",)

    linux_before = shot(interfaces=[interface("eth0", rx_bytes=2**32 - 10, rx_packets=40)])
    linux_after = shot(interfaces=[interface("eth0", rx_bytes=90, rx_packets=50)], seconds=2)
    (eth0,) = rates(linux_before, linux_after).interfaces or ()
    assert eth0.rx_bytes == 45.0 and eth0.rx_packets == 5.0
    assert eth0.reset == ("rx_bytes",)


def test_interfaces_in_one_snapshot_only_have_no_rate() -> None:
    found = rates(
        shot(interfaces=[interface("eth0"), interface("gone")]),
        shot(interfaces=[interface("eth0", tx_packets=3), interface("new")], seconds=1),
    )
    assert [(row.name, row.tx_packets) for row in found.interfaces or ()] == [("eth0", 3.0)]


def test_protocol_rates_count_counters_and_report_gauges() -> None:
    before = shot(
        protocols=[
            ProtocolStats(group="Tcp", counters={"MaxConn": -1, "ActiveOpens": 10,
                                                 "CurrEstab": 5, "RetransSegs": 2**63}),
            ProtocolStats(group="Ip", counters={"Forwarding": 1, "InReceives": 100}),
        ]
    )  # fmt: skip
    after = shot(
        protocols=[
            ProtocolStats(group="Tcp", counters={"MaxConn": -1, "ActiveOpens": 30,
                                                 "CurrEstab": 2, "RetransSegs": 4}),
            ProtocolStats(group="Ip", counters={"Forwarding": 2, "InReceives": 100}),
        ],
        seconds=4,
    )  # fmt: skip
    tcp, ip = rates(before, after).protocols or ()
    assert tcp.group == "Tcp"
    assert dict(tcp.deltas) == {"ActiveOpens": 20, "RetransSegs": 4}
    assert dict(tcp.per_second) == {"ActiveOpens": 5.0, "RetransSegs": 1.0}
    assert dict(tcp.gauges) == {"MaxConn": -1, "CurrEstab": 2}
    assert tcp.reset == ("RetransSegs",)
    assert dict(ip.deltas) == {"InReceives": 0} and dict(ip.gauges) == {"Forwarding": 2}
    assert hash(tcp) == hash(attrs.evolve(tcp))


def test_counters_the_kernel_leaves_out_until_they_move_count_from_zero() -> None:
    """/proc/net/snmp prints an IcmpMsg counter only once its ICMP type was seen, and no
    IcmpMsg group at all before: on one running kernel, what appears counted from 0."""
    before = shot(protocols=[ProtocolStats(group="Icmp", counters={"OutMsgs": 0})])
    after = shot(
        protocols=[
            ProtocolStats(group="Icmp", counters={"OutMsgs": 2}),
            ProtocolStats(group="IcmpMsg", counters={"OutType3": 2}),
        ],
        seconds=1,
    )
    icmp, icmp_msg = rates(before, after).protocols or ()
    assert dict(icmp.deltas) == {"OutMsgs": 2}
    assert (icmp_msg.group, dict(icmp_msg.deltas)) == ("IcmpMsg", {"OutType3": 2})
    # Against a baseline of another boot, a counter may be new in the kernel: no delta.
    (icmp,) = rates(attrs.evolve(before, clock_id="boot-old"), after).protocols or ()
    assert dict(icmp.deltas) == {"OutMsgs": 2}
    upgraded = shot(
        protocols=[ProtocolStats(group="Icmp", counters={"OutMsgs": 9, "OutRateLimitHost": 5})],
        seconds=1,
        clock_id="boot-new",
    )
    (icmp,) = rates(before, upgraded).protocols or ()
    assert dict(icmp.deltas) == {"OutMsgs": 9}


# -- the interval ------------------------------------------------------------------------------


def test_the_interval_comes_from_the_monotonic_clock_when_both_read_the_same() -> None:
    before = shot(interfaces=[interface("lo")])
    # The wall clock was stepped back by an hour between the two: no matter.
    after = attrs.evolve(
        shot(interfaces=[interface("lo", rx_bytes=300)], seconds=3),
        taken_at=T0 - datetime.timedelta(hours=1),
    )
    found = rates(before, after)
    assert found.interval == 3.0
    assert (found.interfaces or ())[0].rx_bytes == 100.0


def test_the_interval_comes_from_utc_times_across_clocks() -> None:
    """A baseline from before a reboot, or another machine: monotonic readings do not
    compare, the UTC times do."""
    before = shot(interfaces=[interface("lo")], clock_id="boot-a")
    after = attrs.evolve(
        shot(interfaces=[interface("lo", rx_bytes=1000)], seconds=10, clock_id="boot-b"),
        monotonic=5.0,  # the machine rebooted: its clock started again
    )
    assert rates(before, after).interval == 10.0


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_a_second_snapshot_not_after_the_first_is_a_usage_error(seconds: float) -> None:
    with pytest.raises(UsageError, match="must be taken after the first"):
        rates(shot(interfaces=[]), shot(interfaces=[], seconds=seconds))


def test_tables_not_in_both_snapshots_are_none() -> None:
    found = rates(shot(interfaces=[]), shot(protocols=[], seconds=1))
    assert found.interfaces is None and found.protocols is None
    assert found.connections is None and found.processes is None
    assert repr(found) == "<Rates over 1.000 s: no tables>"


# -- TCP throughput ---------------------------------------------------------------------------


def tcp_info(acked: int, received: int) -> SocketDetails:
    base = dict.fromkeys((f.name for f in attrs.fields(TcpInfo)), 0)
    base.update(bytes_acked=acked, bytes_received=received, ssthresh=None)
    return SocketDetails(tcp_info=TcpInfo(**base))


def tcp(port: int, acked: int, received: int, **fields: object) -> netstatlib.Connection:
    values: dict[str, object] = {"inode": port, "pids": (50,), "process": "curl", "cookie": port}
    values.update(fields)
    return conn(  # type: ignore[arg-type]
        ep("10.0.0.5", port), ep("93.184.216.34", 443), details=tcp_info(acked, received),
        **values,
    )  # fmt: skip


def test_throughput_per_connection_and_per_process() -> None:
    before = shot(
        connections=[
            tcp(1001, 1_000, 50_000),
            tcp(1002, 0, 0),
            tcp(1003, 10, 10, pids=(60, 61), process="nginx"),
            tcp(1004, 5, 5),  # closed before the second snapshot: not seen
        ],
        details=True,
    )
    after = shot(
        connections=[
            tcp(1001, 3_000, 250_000),
            tcp(1002, 100, 300, state=TcpState.CLOSE_WAIT),
            tcp(1003, 2_010, 10, pids=(60, 61), process="nginx"),
            tcp(1005, 9_999, 9_999),  # opened after the first snapshot: not seen yet
        ],
        seconds=2,
        details=True,
    )
    found = rates(before, after)
    assert [(r.connection.local.port, r.tx_bytes, r.rx_bytes) for r in found.connections or ()] == [  # type: ignore[union-attr]
        (1001, 1_000.0, 100_000.0),
        (1003, 1_000.0, 0.0),
        (1002, 50.0, 150.0),
    ]
    assert [
        (p.pids, p.process, p.tx_bytes, p.rx_bytes, p.connections) for p in found.processes or ()
    ] == [
        ((50,), "curl", 1_050.0, 100_150.0, 2),
        ((60, 61), "nginx", 1_000.0, 0.0, 1),
    ]
    text = str(found)
    assert "TCP throughput by process:" in text and "60+1/nginx" in text


def test_throughput_needs_details_in_both_snapshots() -> None:
    plain = shot(connections=[conn(ep("10.0.0.5", 1), ep("10.0.0.6", 2))])
    found = rates(plain, attrs.evolve(plain, monotonic=1001.0))
    assert found.connections is None and found.processes is None


def test_a_counter_of_a_socket_matched_without_cookie_that_went_down_counts_from_zero() -> None:
    """Two sockets on the same endpoints and inode (no cookies): the second counted from
    zero, so its counters are its own bytes."""
    before = shot(connections=[tcp(1001, 90_000, 90_000, cookie=None)], details=True)
    after = shot(connections=[tcp(1001, 500, 800, cookie=None)], details=True, seconds=1)
    (found,) = rates(before, after).connections or ()
    assert (found.tx_bytes, found.rx_bytes) == (500.0, 800.0)


def test_listeners_and_udp_have_no_throughput() -> None:
    listener = conn(ep("0.0.0.0", 80), inode=1, cookie=1, pids=(1,), details=tcp_info(0, 0))
    udp = conn(
        ep("10.0.0.5", 53), ep("10.0.0.1", 53), protocol=netstatlib.Protocol.UDP, inode=2,
        cookie=2, details=SocketDetails(),
    )  # fmt: skip
    found = rates(
        shot(connections=[listener, udp], details=True),
        shot(connections=[listener, udp], details=True, seconds=1),
    )
    assert found.connections == netstatlib.Table() and found.processes == netstatlib.Table()


def test_rates_of_this_host_hold_values_of_their_annotated_types() -> None:
    """The contract of every record: each field of its annotated type."""
    details = netstatlib.backends.default_backend().capabilities.supports("connections", "details")
    try:
        first = netstatlib.snapshot(kind="tcp", details=details)
        second = netstatlib.snapshot(kind="tcp", details=details)
    except netstatlib.UnsupportedError:  # no netlink here: details from nowhere
        first = netstatlib.snapshot(kind="tcp")
        second = netstatlib.snapshot(kind="tcp")
    found = rates(first, second)
    assert found.interval > 0
    tables = [found.interfaces, found.protocols, found.connections, found.processes]
    for table in tables:
        for record in table or ():
            check_record(record)
    for record in found.protocols or ():
        assert all(type(value) is float for value in record.per_second.values())
        assert all(type(value) is int for value in record.deltas.values())


def test_the_counters_kept_between_two_calls_go_with_their_table() -> None:
    """rates() keeps the byte counters of the last listing it measured, for the next
    call of a watch; they hold its rows, so they must not outlive its table."""
    import gc
    import weakref

    from netstatlib import _rates

    before = shot(connections=[tcp(1001, 1_000, 50_000)], details=True)
    after = shot(connections=[tcp(1001, 3_000, 90_000)], details=True, seconds=1)
    (rate,) = rates(before, after).connections or ()
    assert rate.tx_bytes == 2_000.0
    table = weakref.ref(after.connections)  # type: ignore[arg-type]
    assert _rates._last_measured is not None
    del before, after, rate
    gc.collect()
    assert table() is None
    assert _rates._last_measured is None  # nothing left holding the table's rows
