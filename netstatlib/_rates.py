"""How fast things happen between two snapshots: interface traffic, protocol counters,
and TCP throughput per connection and per process.

A rate is a counter's change divided by the time between its two readings. Three things
make that harder than a subtraction:

* **the interval**: wall clocks jump (NTP, an administrator); the monotonic clock does
  not, but its readings compare only on one running kernel (Linux: the same boot id) or
  in one process. :func:`rates` uses the monotonic readings where both snapshots share
  their :attr:`~netstatlib.Snapshot.clock_id`, and the UTC times otherwise (a baseline
  from another machine or before a reboot);
* **counters that go down**: a counter is reset (a reboot, a driver reloaded, an
  interface made anew) or, if it is 32 bits wide as in Windows ``netstat`` output,
  wraps at 2**32. A wrapped counter's change is what it counted past the top and from
  zero again; a reset counter's change is its new value (what it counted since the
  reset, as Prometheus' ``rate()`` takes it). Never a negative rate;
* **gauges**: ``Tcp.CurrEstab`` per second means nothing; gauges
  (:data:`~netstatlib.PROTOCOL_GAUGES`) are reported as their values.

TCP throughput comes from each connection's ``tcp_info`` (``bytes_acked``: sent and
acknowledged by the peer; ``bytes_received``), read with ``details=True`` from the
kernel's socket diagnostics: the change between two snapshots of the same connection,
matched as :func:`~netstatlib.diff` matches sockets. What it cannot see: UDP (the kernel
keeps no byte counts per UDP socket), connections that opened and closed between the
two snapshots, what a connection moved between the first snapshot and its close, and
what one opened after the first snapshot moved before the second (it counts from the
next interval).
"""

from __future__ import annotations

import datetime
import weakref
from collections.abc import Iterator
from typing import NamedTuple

import attrs

from ._counters import CounterKind, counter_kind
from ._diff import check_snapshots, cookies_comparable, match_connections
from ._errors import UsageError
from ._escape import safe_text
from ._gc import gc_paused
from ._model import (
    Connection,
    Counters,
    InterfaceStats,
    Protocol,
    ProtocolStats,
    TcpState,
    _FrozenMapping,
    draft_class,
    tcp_byte_counts,
)
from ._snapshot import Snapshot
from ._table import Table
from ._text import Column, layout

__all__ = [
    "ConnectionRate",
    "InterfaceRate",
    "PerSecond",
    "ProcessRate",
    "ProtocolRate",
    "Rates",
    "rates",
]

_WRAP = 1 << 32


class PerSecond(_FrozenMapping[float]):
    """An immutable, hashable mapping from counter name to its rate per second, in the
    source's order."""

    __slots__ = ()


@attrs.frozen(kw_only=True)
class InterfaceRate:
    """Traffic of one interface per second: bytes, packets, errors and drops, received
    (``rx_``) and sent (``tx_``)."""

    name: str | None
    """The interface name; ``None`` for a total over all interfaces (Windows)."""
    rx_bytes: float
    """Bytes received per second."""
    rx_packets: float
    """Packets received per second."""
    rx_errors: float
    """Receive errors per second."""
    rx_dropped: float
    """Received packets dropped per second."""
    tx_bytes: float
    """Bytes sent per second."""
    tx_packets: float
    """Packets sent per second."""
    tx_errors: float
    """Send errors per second."""
    tx_dropped: float
    """Packets dropped on sending per second."""
    reset: tuple[str, ...] = ()
    """The counters that went down (reset, or wrapped around), by field name: their rate
    counts from the reset or the wrap."""


_RATE_FIELDS = tuple(field.name for field in attrs.fields(InterfaceRate))[1:-1]


@attrs.frozen(kw_only=True)
class ProtocolRate:
    """The counters of one protocol group between two snapshots, as ``nstat`` gives
    them: each counter's change (``deltas``) and change per second (``per_second``);
    gauges by their value now."""

    group: str
    """The kernel's group (``Tcp``, ``TcpExt``, ``Ip6``)."""
    deltas: Counters
    """Each counter's change, by name (``deltas["ActiveOpens"]``)."""
    per_second: PerSecond
    """Each counter's change per second."""
    gauges: Counters
    """Each gauge's value in the second snapshot (``gauges["CurrEstab"]``)."""
    reset: tuple[str, ...] = ()
    """The counters that went down (reset, or wrapped around)."""


@attrs.frozen(kw_only=True, weakref_slot=False)
class ConnectionRate:
    """TCP throughput of one connection, in bytes per second."""

    connection: Connection
    """The connection, as it is in the second snapshot."""
    tx_bytes: float
    """Bytes sent and acknowledged by the peer, per second (``tcp_info.bytes_acked``)."""
    rx_bytes: float
    """Bytes received, per second (``tcp_info.bytes_received``)."""


@attrs.frozen(kw_only=True)
class ProcessRate:
    """TCP throughput of the connections held by one set of processes, in bytes per
    second.

    ``pids`` and ``process`` are those of the connections (a socket held by several
    processes, a forked server, counts for all of them together); ``()`` for
    connections no inspectable process holds, ``None`` when owners were not looked up.
    """

    pids: tuple[int, ...] | None
    """The processes holding the connections, sorted; ``()`` for none that could be
    inspected, ``None`` when owners were not looked up."""
    process: str | None
    """The name of the first of :attr:`pids`."""
    tx_bytes: float
    """Bytes sent and acknowledged by the peers, per second."""
    rx_bytes: float
    """Bytes received, per second."""
    connections: int
    """How many connections were measured."""


@attrs.frozen(kw_only=True, repr=False)
class Rates:
    """What happened per second between two snapshots (see :func:`rates`).

    A table is ``None`` when the two snapshots do not both hold what it is computed
    from: :attr:`interfaces` needs interface counters, :attr:`protocols` protocol
    counters, :attr:`connections` and :attr:`processes` connections taken with
    ``details=True``.
    """

    interval: float
    """Seconds between the two snapshots."""
    before_taken_at: datetime.datetime
    """When the first snapshot was taken (UTC)."""
    after_taken_at: datetime.datetime
    """When the second snapshot was taken (UTC)."""
    interfaces: Table[InterfaceRate] | None
    """Per interface in both snapshots, by name."""
    protocols: Table[ProtocolRate] | None
    """Per protocol group in both snapshots."""
    connections: Table[ConnectionRate] | None
    """Per TCP connection in both snapshots, the busiest first."""
    processes: Table[ProcessRate] | None
    """Per owner of those connections, the busiest first."""

    def __str__(self) -> str:
        return _report(self)

    def __repr__(self) -> str:
        parts = [
            f"{len(table)} {name}"
            for name in ("interfaces", "protocols", "connections", "processes")
            if (table := getattr(self, name)) is not None
        ]
        return f"<Rates over {self.interval:.3f} s: {', '.join(parts) or 'no tables'}>"


def counter_delta(before: int, after: int, width: int) -> tuple[int, bool]:
    """How much a counter counted from ``before`` to ``after``, and whether it went down
    (wrapped, when ``width`` is 32 and both values fit in 32 bits; else reset)."""
    if after >= before:
        return after - before, False
    if width == 32 and 0 <= before < _WRAP and 0 <= after < _WRAP:
        return after + _WRAP - before, True
    return max(after, 0), True


def interval_between(before: Snapshot, after: Snapshot) -> float:
    """Seconds from ``before`` to ``after``: by the monotonic clock where both read the
    same one, else by their UTC times. Not more than zero is a
    :class:`~netstatlib.UsageError`."""
    if cookies_comparable(before, after):
        seconds = after.monotonic - before.monotonic
    else:
        seconds = (after.taken_at - before.taken_at).total_seconds()
    if not seconds > 0:
        raise UsageError(
            f"the second snapshot must be taken after the first: {seconds:.6f} s between them"
        )
    return seconds


def rates(before: Snapshot, after: Snapshot) -> Rates:
    """Per second between two snapshots: interface traffic, protocol counters, and TCP
    throughput per connection and per process.

    ``interfaces`` has each interface's bytes, packets, errors and drops per second.
    ``protocols`` has each group's counter changes (``deltas``) and changes per second
    (``per_second``), and its gauges' values (``Tcp.CurrEstab`` and the like, which have
    no rate); a counter that only the second snapshot has counted from 0 when both come
    from the same running kernel (the kernel leaves out ICMP types not seen yet), and
    has no delta otherwise. ``connections`` and ``processes`` have the bytes per second
    each TCP connection, and each owner's connections together, sent (and the peer
    acknowledged) and received; they need snapshots taken with ``details=True`` (the
    Linux backend on a live host), and see TCP only, and only connections present in
    both snapshots. A counter that went down was reset or, 32 bits wide (Windows
    output), wrapped: its rate counts from there, and is never negative.

    The interval comes from the snapshots' monotonic clock readings when both read the
    same clock (:attr:`~netstatlib.Snapshot.clock_id`), else from their UTC times; a
    second snapshot not taken after the first raises :class:`~netstatlib.UsageError`.
    """
    check_snapshots(before, after, "rates")
    seconds = interval_between(before, after)
    width = min(before.counter_width, after.counter_width)
    interfaces: Table[InterfaceRate] | None = None
    protocols: Table[ProtocolRate] | None = None
    connections: Table[ConnectionRate] | None = None
    processes: Table[ProcessRate] | None = None
    if before.interfaces is not None and after.interfaces is not None:
        interfaces = Table(_interface_rates(before.interfaces, after.interfaces, seconds, width))
    if before.protocols is not None and after.protocols is not None:
        same_kernel = cookies_comparable(before, after)
        protocols = Table(
            _protocol_rates(before.protocols, after.protocols, seconds, width, same_kernel)
        )
    if before.details and after.details:
        with gc_paused():  # records by the thousand, and no cycle among them
            measured = _connection_rates(before, after, seconds)
            connections = Table(measured)
            processes = Table(_process_rates(measured))
    return Rates(
        interval=seconds,
        before_taken_at=before.taken_at,
        after_taken_at=after.taken_at,
        interfaces=interfaces,
        protocols=protocols,
        connections=connections,
        processes=processes,
    )


def _interface_rates(
    before: Table[InterfaceStats], after: Table[InterfaceStats], seconds: float, width: int
) -> list[InterfaceRate]:
    old = {row.name: row for row in before}
    found = []
    for row in after:
        was = old.get(row.name)
        if was is None:
            continue
        values: dict[str, float] = {}
        reset = []
        for name in _RATE_FIELDS:
            change, went_down = counter_delta(getattr(was, name), getattr(row, name), width)
            values[name] = change / seconds
            if went_down:
                reset.append(name)
        found.append(InterfaceRate(name=row.name, reset=tuple(reset), **values))
    return found


def _protocol_rates(
    before: Table[ProtocolStats],
    after: Table[ProtocolStats],
    seconds: float,
    width: int,
    same_kernel: bool,
) -> list[ProtocolRate]:
    """Rates of the groups of ``after``. The kernel leaves out ICMP counters of types it
    has not seen (``IcmpMsg`` ``InType3``, ``Icmp6`` ``OutType135``; the whole
    ``IcmpMsg`` group while all are 0): on ``same_kernel``, a counter (or a group) absent
    from ``before`` counted from 0. Between two kernels (a baseline before a reboot or
    an upgrade) it has no delta: it may be a counter the older kernel did not have."""
    old = {row.group: row.counters for row in before}
    nothing = Counters()
    found = []
    for row in after:
        was = old.get(row.group, nothing if same_kernel else None)
        if was is None:
            continue
        deltas: dict[str, int] = {}
        gauges: dict[str, int] = {}
        reset = []
        for name, value in row.counters.items():
            if counter_kind(row.group, name) is CounterKind.GAUGE:
                gauges[name] = value
                continue
            previous = was.get(name, 0 if same_kernel else None)
            if previous is None:
                continue
            deltas[name], went_down = counter_delta(previous, value, width)
            if went_down:
                reset.append(name)
        found.append(
            ProtocolRate(
                group=row.group,
                deltas=Counters(deltas),
                per_second=PerSecond({name: delta / seconds for name, delta in deltas.items()}),
                gauges=Counters(gauges),
                reset=tuple(reset),
            )
        )
    return found


class _TcpBytes(NamedTuple):
    """The TCP connections of a listing whose ``tcp_info`` gives both byte counters,
    their counters (``bytes_acked``, ``bytes_received``) in the same order, and each
    one's place by its cookie when every one has a cookie no other has (else None)."""

    rows: list[Connection]
    counts: list[tuple[int, int]]
    by_cookie: dict[int, int] | None


# The counters of the last listing measured, by a weak reference to its (immutable)
# table: watch() compares each listing with the one before, which was measured as the
# second of the previous pair. One entry, replaced whole, so threads cannot tear it, and
# dropped with the table (it holds the table's rows).
_last_measured: tuple[weakref.ref[Table[Connection]], _TcpBytes] | None = None


def _table_gone(reference: weakref.ref[Table[Connection]]) -> None:
    global _last_measured
    last = _last_measured
    if last is not None and last[0] is reference:
        _last_measured = None


def _tcp_bytes(rows: Table[Connection] | None) -> _TcpBytes:
    global _last_measured
    if rows is None:
        return _TcpBytes([], [], {})
    last = _last_measured
    if last is not None and last[0]() is rows:
        return last[1]
    found: list[Connection] = []
    counts: list[tuple[int, int]] = []
    by_cookie: dict[int, int] | None = {}
    tcp = Protocol.TCP
    listen = TcpState.LISTEN
    for row in rows:
        details = row.details
        if details is None or row.protocol is not tcp or row.state is listen:
            continue
        pair = tcp_byte_counts(details)
        if pair is None:
            continue
        if by_cookie is not None:
            cookie = row.cookie
            if cookie is None or cookie in by_cookie:
                by_cookie = None
            else:
                by_cookie[cookie] = len(found)
        found.append(row)
        counts.append(pair)
    measured = _TcpBytes(found, counts, by_cookie)
    _last_measured = (weakref.ref(rows, _table_gone), measured)
    return measured


def _paired(old: _TcpBytes, new: _TcpBytes, cookies: bool) -> Iterator[tuple[int, int]]:
    """The places in ``old`` and ``new`` of the connections that are the same, in the
    order of ``old``: by cookie alone when both listings have one for every connection
    (what match_connections() would find, without its general pairing), else as
    match_connections() pairs them."""
    if cookies and old.by_cookie is not None and new.by_cookie is not None:
        get = new.by_cookie.get
        for index, row in enumerate(old.rows):
            other = get(row.cookie)  # type: ignore[arg-type]
            if other is not None:
                yield index, other
        return
    old_places = {id(row): index for index, row in enumerate(old.rows)}
    new_places = {id(row): index for index, row in enumerate(new.rows)}
    pairs, _, _ = match_connections(old.rows, new.rows, cookies=cookies)
    for was, row in pairs:
        yield old_places[id(was)], new_places[id(row)]


def _connection_rates(before: Snapshot, after: Snapshot, seconds: float) -> list[ConnectionRate]:
    old = _tcp_bytes(before.connections)
    new = _tcp_bytes(after.connections)
    old_counts = old.counts
    new_counts = new.counts
    new_rows = new.rows
    build = _RATE_DRAFT
    sealed = ConnectionRate
    make = object.__new__
    found: list[ConnectionRate] = []
    append = found.append
    for was, now in _paired(old, new, cookies_comparable(before, after)):
        old_acked, old_received = old_counts[was]
        new_acked, new_received = new_counts[now]
        # 64-bit counters of one socket: they go down only if the pair is two sockets (a
        # connection matched without cookies): the second counted from zero, as
        # counter_delta() says for 64 bits.
        sent = new_acked - old_acked if new_acked >= old_acked else new_acked
        received = new_received - old_received if new_received >= old_received else new_received
        rate = make(build)
        rate.connection = new_rows[now]
        rate.tx_bytes = sent / seconds
        rate.rx_bytes = received / seconds
        rate.__class__ = sealed
        append(rate)
    found.sort(key=_total, reverse=True)
    return found


# ConnectionRate records by the thousand, built as ConnectionDraft builds connections.
_RATE_DRAFT = draft_class(ConnectionRate)


def _total(rate: ConnectionRate) -> float:
    return rate.tx_bytes + rate.rx_bytes


def _process_rates(measured: list[ConnectionRate]) -> list[ProcessRate]:
    totals: dict[tuple[tuple[int, ...] | None, str | None], list[float]] = {}
    for rate in measured:
        key = (rate.connection.pids, rate.connection.process)
        total = totals.setdefault(key, [0.0, 0.0, 0])
        total[0] += rate.tx_bytes
        total[1] += rate.rx_bytes
        total[2] += 1
    found = [
        ProcessRate(pids=pids, process=process, tx_bytes=tx, rx_bytes=rx, connections=int(count))
        for (pids, process), (tx, rx, count) in totals.items()
    ]
    found.sort(key=lambda rate: rate.tx_bytes + rate.rx_bytes, reverse=True)
    return found


# -- the report --------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.1f}"


def _owner(pids: tuple[int, ...] | None, process: str | None) -> str:
    if pids is None:
        return "(owners not looked up)"
    if not pids:
        return "(no known owner)"
    more = f"+{len(pids) - 1}" if len(pids) > 1 else ""
    return safe_text(f"{pids[0]}{more}/{process}" if process is not None else f"{pids[0]}{more}")


def _report(found: Rates) -> str:
    lines = [f"Rates per second over {found.interval:.3f} s"]
    if found.interfaces:
        columns = [Column("Iface"), *(Column(name, right=True) for name in _RATE_FIELDS)]
        body = [
            [safe_text(row.name) if row.name is not None else "(all)"]
            + [_number(getattr(row, name)) for name in _RATE_FIELDS]
            for row in found.interfaces
        ]
        lines += ["Interfaces:", layout(columns, body, indent=2, width=None)]
    if found.protocols:
        body = [
            [safe_text(f"{row.group}{name}"), str(delta), _number(row.per_second[name])]
            for row in found.protocols
            for name, delta in row.deltas.items()
            if delta
        ]
        columns = [Column("Counter"), Column("Delta", right=True), Column("Per second", right=True)]
        lines.append("Protocol counters that moved:")
        lines.append(layout(columns, body, indent=2, width=None) if body else "  (none)")
    if found.processes:
        columns = [Column("PID/Program"), Column("Connections", right=True),
                   Column("TX bytes/s", right=True), Column("RX bytes/s", right=True)]  # fmt: skip
        body = [
            [_owner(row.pids, row.process), str(row.connections), _number(row.tx_bytes),
             _number(row.rx_bytes)]
            for row in found.processes
        ]  # fmt: skip
        lines += ["TCP throughput by process:", layout(columns, body, indent=2, width=None)]
    return "\n".join(lines)
