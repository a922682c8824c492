"""One scrape's worth of data, gathered once and shared by the exporters.

Strategy: a scrape asks the backend four questions, each the cheapest that answers it.
Every socket of the inet tables, without owners (no walk of ``/proc/*/fd``), gives the
connection counts by protocol, family and state, the half-open (SYN_RECV) sockets by
local port and, with ``tcp_info`` (``details=True``), the TCP sums; on Linux the
netlink engine answers it, asked for every state in one dump per protocol, and the rows
are counted here (``benchmarks/bench_exporter.py`` measures it against one dump per
state: the single dump is cheaper). The listeners, with their owners, come from
:func:`netstatlib.listening`, which walks the processes for the listeners only. Then
interface and protocol counters, one read each.

Each part that fails is kept as an error message for the scrape's error metric; the
others still answer. Labels that could grow without bound (listeners, ports under a SYN
flood) are capped, and the collection says how many were left out.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from types import MappingProxyType

import attrs

from .._counters import CounterKind, counter_kind
from .._errors import NetstatError, UnsupportedError, UsageError
from .._escape import safe_text
from .._model import Connection, InterfaceStats, TcpState
from .._query import connections, interface_stats, listening, protocol_stats
from ..backends._base import Backend
from ..backends._registry import get_backend

__all__ = [
    "DEFAULT_MAX_LISTENERS",
    "DEFAULT_MAX_SYN_PORTS",
    "DEFAULT_PROTOCOL_FIELDS",
    "INTERFACE_COUNTERS",
    "PARTS",
    "TCP_INFO_SUMS",
    "Collection",
    "ExporterOptions",
    "Listener",
    "SharedCollection",
    "collect",
    "device_label",
    "snake_case",
]

INTERFACE_COUNTERS = (
    ("receive", "bytes", "rx_bytes"),
    ("receive", "packets", "rx_packets"),
    ("receive", "errors", "rx_errors"),
    ("receive", "drops", "rx_dropped"),
    ("transmit", "bytes", "tx_bytes"),
    ("transmit", "packets", "tx_packets"),
    ("transmit", "errors", "tx_errors"),
    ("transmit", "drops", "tx_dropped"),
)
"""(direction, what, :class:`~netstatlib.InterfaceStats` field) of each
``netstat_interface_<direction>_<what>_total`` counter."""

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_IN_NAME = re.compile(r"[^a-z0-9_]+")


def snake_case(name: str) -> str:
    """A kernel MIB name in Prometheus' snake case: ``TCPSynRetrans`` is
    ``tcp_syn_retrans``, ``InCsumErrors`` ``in_csum_errors``, ``Ip6`` ``ip6``; a run of
    capitals stays one word (``TCPOFOQueue``: ``tcpofo_queue``), and anything but
    letters, digits and ``_`` becomes ``_``."""
    return _NOT_IN_NAME.sub("_", _WORD_START.sub("_", name).lower())


DEFAULT_PROTOCOL_FIELDS = (
    r"^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)"
    r"|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)"
    r"|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)"
    r"|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$"
)
"""The protocol counters exported by default, as a regular expression searched in
``Group_Counter`` (``Tcp_ActiveOpens``): the default of node_exporter's
``--collector.netstat.fields`` (``collector/netstat_linux.go``), so that both export the
same counters."""

DEFAULT_MAX_LISTENERS = 500
"""How many listeners are exported by default; the rest are counted as left out."""

DEFAULT_MAX_SYN_PORTS = 50
"""How many local ports' half-open sockets are exported by default (the ports with the
most); the rest are counted as left out."""

PARTS = ("connections", "listeners", "interfaces", "protocols")
"""The parts of a collection, each of which may fail on its own."""

TCP_INFO_SUMS: Mapping[str, str] = MappingProxyType(
    {
        "bytes_sent": "sent_bytes",
        "bytes_received": "received_bytes",
        "bytes_retrans": "retransmitted_bytes",
        "total_retrans": "retransmitted_segments",
        "lost": "lost_segments",
        "unacked": "unacked_segments",
        "notsent_bytes": "notsent_bytes",
    }
)
"""The ``tcp_info`` fields summed over the open TCP connections, and the name each sum
is exported under (``netstat_tcp_info_<name>``). Sums over the connections open now go
down when a connection closes: they are gauges."""

_HALF_OPEN = frozenset({TcpState.SYN_RECV, TcpState.NEW_SYN_RECV})


def _positive_or_zero(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UsageError(f"{attribute.name} must be an int of 0 or more, not {value!r}")


def _compile(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        return pattern
    if not isinstance(pattern, str):
        raise UsageError(f"protocol_fields must be a regular expression, not {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(
            f"protocol_fields is not a valid regular expression ({exc}): {pattern!r}"
        ) from None


@attrs.frozen(kw_only=True)
class ExporterOptions:
    """What a scrape gathers, and its caps on label values."""

    backend: Backend | str | None = None
    """The backend to read (a name or object; ``None`` for the default). For another
    network namespace: ``LinuxProcfs(pid=PID)``."""
    protocol_fields: re.Pattern[str] = attrs.field(
        default=DEFAULT_PROTOCOL_FIELDS, converter=_compile
    )
    """Which protocol counters to export: a regular expression searched in
    ``Group_Counter`` (default :data:`DEFAULT_PROTOCOL_FIELDS`; ``"."`` for all)."""
    max_listeners: int = attrs.field(default=DEFAULT_MAX_LISTENERS, validator=_positive_or_zero)
    """At most this many listener series; the rest are counted as left out."""
    max_syn_ports: int = attrs.field(default=DEFAULT_MAX_SYN_PORTS, validator=_positive_or_zero)
    """At most this many ports' half-open socket series; the rest are counted as left out."""
    processes: bool = True
    """Name the process of each listener (a walk of the processes, for listeners only)."""
    tcp_info: bool | None = None
    """Sum ``tcp_info`` over the TCP connections: ``None`` where the backend can
    (``details=True``), ``False`` never, ``True`` always (an error where it cannot)."""


@attrs.frozen(kw_only=True)
class Listener:
    """One listener series: its labels, and how many sockets carry them (1 but for
    sockets sharing an address, port and process, such as ``SO_REUSEPORT`` groups).
    ``process`` is escaped as tables show names (``safe_text``): a label is UTF-8."""

    protocol: str
    """``tcp``, ``udp``, ``udplite`` or ``raw``."""
    address: str
    """The local address (``0.0.0.0``, ``::1``, ``fe80::1%eth0``)."""
    port: int
    """The local port."""
    process: str
    """The name of the process holding the socket; ``""`` when unknown or not asked for."""
    sockets: int
    """How many sockets carry these labels."""


@attrs.frozen(kw_only=True)
class Collection:
    """What one scrape found. A part that failed is empty, and ``errors`` says why."""

    duration_seconds: float
    """How long gathering took."""
    connections: Mapping[tuple[str, str, str], int]
    """Sockets by (protocol, family, state): ``("tcp", "inet6", "ESTABLISHED")``. A
    socket with no state is counted under ``"NONE"``."""
    listeners: tuple[Listener, ...]
    """The listener series kept, sorted by protocol, address, port and process."""
    listeners_omitted: int
    """Listener series left out by :attr:`ExporterOptions.max_listeners`."""
    syn_recv: tuple[tuple[int, int], ...]
    """(local port, half-open sockets), the ports with the most first."""
    syn_recv_ports_omitted: int
    """Ports left out by :attr:`ExporterOptions.max_syn_ports`."""
    tcp_info: Mapping[str, int] | None
    """Sums of :data:`TCP_INFO_SUMS` over the open TCP connections, and ``"connections"``
    (how many gave ``tcp_info``); ``None`` when not gathered."""
    interfaces: tuple[InterfaceStats, ...]
    """The interface counters, as :func:`netstatlib.interface_stats` gives them."""
    protocols: tuple[tuple[str, str, int, CounterKind], ...]
    """(group, counter, value, kind) of the counters :attr:`ExporterOptions.protocol_fields`
    selects."""
    errors: Mapping[str, str]
    """Part (one of :data:`PARTS`) to the message of its failure."""


def _wants_tcp_info(options: ExporterOptions, backend: Backend) -> bool:
    if options.tcp_info is None:
        return bool(backend.capabilities.supports("connections", "details"))
    return options.tcp_info


def _count_sockets(
    rows: list[Connection], options: ExporterOptions, details: bool
) -> tuple[
    dict[tuple[str, str, str], int],
    tuple[tuple[int, int], ...],
    int,
    dict[str, int] | None,
]:
    counts: Counter[tuple[str, str, str]] = Counter()
    half_open: Counter[int] = Counter()
    sums = dict.fromkeys(TCP_INFO_SUMS, 0) if details else None
    with_info = 0
    family_names = {2: "inet", 10: "inet6"}
    for row in rows:
        state = row.state
        counts[
            (
                row.protocol.value,
                family_names.get(int(row.family or 0), str(row.family)),
                "NONE" if state is None else state.name,
            )
        ] += 1
        if state in _HALF_OPEN and row.local is not None:
            half_open[row.local.port] += 1
        info = row.details.tcp_info if row.details is not None else None
        if sums is not None and info is not None:
            with_info += 1
            for field in TCP_INFO_SUMS:
                value = getattr(info, field)
                if value is not None:
                    sums[field] += value
    ranked = sorted(half_open.items(), key=lambda item: (-item[1], item[0]))
    kept = tuple(ranked[: options.max_syn_ports])
    if sums is not None:
        sums["connections"] = with_info
    return dict(counts), kept, len(ranked) - len(kept), sums


def _listeners(
    rows: list[Connection], options: ExporterOptions
) -> tuple[tuple[Listener, ...], int]:
    counts: Counter[tuple[str, str, int, str]] = Counter()
    for row in rows:
        if row.local is None:
            continue
        address = str(row.local.address) if row.local.address is not None else ""
        if row.local.zone:
            address = f"{address}%{row.local.zone}"
        # A process name need not be UTF-8 (nor printable): escaped, as tables show it.
        name = safe_text(row.process) if row.process else ""
        counts[(row.protocol.value, address, row.local.port or 0, name)] += 1
    keys = sorted(counts)
    kept = [
        Listener(protocol=p, address=a, port=port, process=name, sockets=counts[(p, a, port, name)])
        for p, a, port, name in keys[: options.max_listeners]
    ]
    return tuple(kept), len(keys) - len(kept)


def device_label(stats: InterfaceStats) -> str:
    """An interface's name as a label value: escaped as tables show it (``vx-\\xff``
    for a name that is not UTF-8), ``""`` for a total that names no interface."""
    return safe_text(stats.name) if stats.name else ""


def collect(options: ExporterOptions | None = None) -> Collection:
    """Gather one :class:`Collection` (see the module's strategy).

    A part that fails with a :class:`~netstatlib.NetstatError` or an ``OSError`` is
    empty and named in :attr:`Collection.errors`; a caller's mistake in ``options``
    (a backend name that does not exist) raises.
    """
    options = options or ExporterOptions()
    started = time.perf_counter()
    backend = get_backend(options.backend)
    errors: dict[str, str] = {}
    counts: dict[tuple[str, str, str], int] = {}
    syn: tuple[tuple[int, int], ...] = ()
    syn_omitted = 0
    sums: dict[str, int] | None = None
    listeners: tuple[Listener, ...] = ()
    listeners_omitted = 0
    interfaces: tuple[InterfaceStats, ...] = ()
    protocols: list[tuple[str, str, int, CounterKind]] = []
    try:
        details = _wants_tcp_info(options, backend)
        try:
            rows = list(connections("inet", processes=False, details=details, backend=backend))
        except UnsupportedError:
            # A backend that has tcp_info on a live host but not here (a capture, or
            # netlink refused): without tcp_info, unless the caller insisted on it.
            if options.tcp_info or not details:
                raise
            details = False
            rows = list(connections("inet", processes=False, backend=backend))
        counts, syn, syn_omitted, sums = _count_sockets(rows, options, details)
    except (NetstatError, OSError) as exc:
        errors["connections"] = str(exc)
    try:
        found = list(listening("inet", processes=options.processes, backend=backend))
        listeners, listeners_omitted = _listeners(found, options)
    except (NetstatError, OSError) as exc:
        errors["listeners"] = str(exc)
    try:
        interfaces = tuple(interface_stats(backend=backend))
    except (NetstatError, OSError) as exc:
        errors["interfaces"] = str(exc)
    try:
        pattern = options.protocol_fields
        for stats in protocol_stats(backend=backend):
            for name, value in stats.counters.items():
                if pattern.search(f"{stats.group}_{name}"):
                    protocols.append((stats.group, name, value, counter_kind(stats.group, name)))
    except (NetstatError, OSError) as exc:
        errors["protocols"] = str(exc)
    return Collection(
        duration_seconds=time.perf_counter() - started,
        connections=counts,
        listeners=listeners,
        listeners_omitted=listeners_omitted,
        syn_recv=syn,
        syn_recv_ports_omitted=syn_omitted,
        tcp_info=sums,
        interfaces=interfaces,
        protocols=tuple(protocols),
        errors=errors,
    )


class _Flight:
    """A collection under way, which callers that arrive meanwhile wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Collection | None = None
        self.error: BaseException | None = None
        self.waiters = 0


class SharedCollection:
    """Calls share collections: a call made while another collects waits for that
    collection and returns it, so that overlapping scrapes cost one. With ``max_age``
    (seconds), a collection finished less than that long ago is also returned again
    (OpenTelemetry reads each instrument by its own callback, one after another).

    ``gather`` is what collects (default :func:`collect` with ``options``).
    """

    def __init__(
        self,
        options: ExporterOptions | None = None,
        *,
        max_age: float = 0.0,
        gather: Callable[[], Collection] | None = None,
    ) -> None:
        self.options = options or ExporterOptions()
        """What each collection gathers."""
        self._gather = gather or (lambda: collect(self.options))
        self._max_age = max_age
        self._lock = threading.Lock()
        self._flight: _Flight | None = None
        self._last: tuple[float, Collection] | None = None
        self.collections = 0
        """How many collections were made (the rest were shared)."""

    @property
    def waiting(self) -> int:
        """How many calls wait for the collection under way now."""
        with self._lock:
            return self._flight.waiters if self._flight is not None else 0

    def __call__(self) -> Collection:
        with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < self._max_age:
                return self._last[1]
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight()
                self.collections += 1
            else:
                flight.waiters += 1
        if leader:
            try:
                flight.result = self._gather()
            except BaseException as exc:
                flight.error = exc
            with self._lock:
                self._flight = None
                if flight.result is not None:
                    self._last = (time.monotonic(), flight.result)
            flight.done.set()
        else:
            flight.done.wait()
        if flight.error is not None:
            raise flight.error
        assert flight.result is not None
        return flight.result
