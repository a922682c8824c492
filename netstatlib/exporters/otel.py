"""OpenTelemetry observable instruments (extra ``netstatlib[otel]``).

>>> from opentelemetry.sdk.metrics import MeterProvider
>>> from netstatlib.exporters.otel import register
>>> provider = MeterProvider(metric_readers=[...])          # doctest: +SKIP
>>> register(provider)                                      # doctest: +SKIP

:func:`register` creates, on the provider's meter ``netstatlib``, the instruments of
OpenTelemetry's semantic conventions for system network metrics, whose attributes
follow the conventions too:

- ``system.network.connection.count`` (``network.transport``, ``network.type``,
  ``network.connection.state``);
- ``system.network.io``, ``system.network.packet.count``,
  ``system.network.packet.dropped``, ``system.network.errors``
  (``network.interface.name``, ``network.io.direction``);

and the rest under ``netstat.``: listeners, half-open connections by port, interface
state and MTU, ``tcp_info`` sums, the selected protocol counters (an observable counter
or gauge as :func:`netstatlib.counter_kind` types it) and the scrape's own duration
and errors. A reader's collection calls every instrument's callback in turn; they
share one :class:`~netstatlib.exporters.Collection` (``max_age``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType

from opentelemetry.metrics import CallbackOptions, Meter, MeterProvider, Observation, get_meter

from .._counters import CounterKind
from .._version import __version__
from ._collect import (
    INTERFACE_COUNTERS,
    PARTS,
    TCP_INFO_SUMS,
    Collection,
    ExporterOptions,
    SharedCollection,
    device_label,
    snake_case,
)

__all__ = ["CONNECTION_STATES", "register"]

CONNECTION_STATES: Mapping[str, str] = MappingProxyType(
    {
        "ESTABLISHED": "established",
        "SYN_SENT": "syn_sent",
        "SYN_RECV": "syn_received",
        "NEW_SYN_RECV": "syn_received",
        "FIN_WAIT1": "fin_wait_1",
        "FIN_WAIT2": "fin_wait_2",
        "TIME_WAIT": "time_wait",
        "CLOSE": "close",
        "CLOSE_WAIT": "close_wait",
        "LAST_ACK": "last_ack",
        "LISTEN": "listen",
        "CLOSING": "closing",
        "DELETE_TCB": "delete",
    }
)
"""netstatlib's state names (:class:`~netstatlib.TcpState`) and the semantic
conventions' ``network.connection.state`` values; another state is lowercased."""

_NETWORK_TYPE = {"inet": "ipv4", "inet6": "ipv6"}

_Callback = Callable[[CallbackOptions], Iterable[Observation]]


def _connections(collection: Collection) -> Iterator[Observation]:
    for (protocol, family, state), count in sorted(collection.connections.items()):
        attributes = {
            "network.transport": protocol,
            "network.type": _NETWORK_TYPE.get(family, family),
        }
        if state != "NONE":
            attributes["network.connection.state"] = CONNECTION_STATES.get(state, state.lower())
        yield Observation(count, attributes)


def _interfaces(*directions: tuple[str, str]) -> Callable[[Collection], Iterator[Observation]]:
    def observe(collection: Collection) -> Iterator[Observation]:
        for stats in collection.interfaces:
            for direction, name in directions:
                yield Observation(
                    getattr(stats, name),
                    {
                        "network.interface.name": device_label(stats),
                        "network.io.direction": direction,
                    },
                )

    return observe


def _io_fields(what: str) -> list[tuple[str, str]]:
    return [(direction, name) for direction, kind, name in INTERFACE_COUNTERS if kind == what]


def register(
    meter_provider: MeterProvider | None = None,
    options: ExporterOptions | None = None,
    *,
    max_age: float = 1.0,
) -> SharedCollection:
    """Create netstatlib's instruments on ``meter_provider`` (the global one by default)
    and return the :class:`~netstatlib.exporters.SharedCollection` their callbacks read.

    ``options`` as for the Prometheus collector. The protocol counter instruments are
    those the first collection, made now, finds (the set a kernel has does not change
    while it runs). A collection less than ``max_age`` seconds old is shared by the
    callbacks of one reading.
    """
    shared = SharedCollection(options, max_age=max_age)
    first = shared()
    meter = get_meter("netstatlib", __version__, meter_provider=meter_provider)

    def callback(observe: Callable[[Collection], Iterable[Observation]]) -> _Callback:
        return lambda _options: list(observe(shared()))

    meter.create_observable_up_down_counter(
        "system.network.connection.count",
        [callback(_connections)],
        unit="{connection}",
        description="Sockets by transport, IP version and state.",
    )
    for name, what, unit in (
        ("system.network.io", "bytes", "By"),
        ("system.network.packet.count", "packets", "{packet}"),
        ("system.network.packet.dropped", "drops", "{packet}"),
        ("system.network.errors", "errors", "{error}"),
    ):
        meter.create_observable_counter(name, [callback(_interfaces(*_io_fields(what)))], unit=unit)
    _register_netstat(meter, callback, first)
    return shared


def _register_netstat(
    meter: Meter,
    callback: Callable[[Callable[[Collection], Iterable[Observation]]], _Callback],
    first: Collection,
) -> None:
    def listeners(collection: Collection) -> Iterator[Observation]:
        for item in collection.listeners:
            yield Observation(
                item.sockets,
                {
                    "network.transport": item.protocol,
                    "network.local.address": item.address,
                    "network.local.port": item.port,
                    "process.executable.name": item.process,
                },
            )

    def single(read: Callable[[Collection], float]) -> Callable[[Collection], list[Observation]]:
        return lambda collection: [Observation(read(collection))]

    gauge = meter.create_observable_gauge
    gauge("netstat.listening.sockets", [callback(listeners)], unit="{socket}")
    gauge(
        "netstat.listening.sockets.omitted",
        [callback(single(lambda c: c.listeners_omitted))],
        unit="{series}",
    )
    gauge(
        "netstat.tcp.syn_recv.sockets",
        [
            callback(
                lambda c: [Observation(n, {"network.local.port": port}) for port, n in c.syn_recv]
            )
        ],
        unit="{socket}",
    )
    gauge(
        "netstat.tcp.syn_recv.ports.omitted",
        [callback(single(lambda c: c.syn_recv_ports_omitted))],
        unit="{port}",
    )
    gauge(
        "netstat.interface.up",
        [
            callback(
                lambda c: [
                    Observation(int(s.is_up), {"network.interface.name": device_label(s)})
                    for s in c.interfaces
                    if s.is_up is not None
                ]
            )
        ],
    )
    gauge(
        "netstat.interface.mtu",
        [
            callback(
                lambda c: [
                    Observation(s.mtu, {"network.interface.name": device_label(s)})
                    for s in c.interfaces
                    if s.mtu is not None
                ]
            )
        ],
        unit="By",
    )
    if first.tcp_info is not None:
        for field, name in ("connections", "connections"), *TCP_INFO_SUMS.items():

            def tcp_info(c: Collection, field: str = field) -> list[Observation]:
                return [Observation(c.tcp_info[field])] if c.tcp_info is not None else []

            gauge(f"netstat.tcp_info.{name}", [callback(tcp_info)])
    for group, counter, _value, kind in first.protocols:

        def protocol(c: Collection, key: tuple[str, str] = (group, counter)) -> list[Observation]:
            return [Observation(v) for g, n, v, _k in c.protocols if (g, n) == key]

        name = f"netstat.protocol.{snake_case(group)}.{snake_case(counter)}"
        if kind is CounterKind.COUNTER:
            meter.create_observable_counter(name, [callback(protocol)])
        else:
            gauge(name, [callback(protocol)])
    gauge("netstat.scrape.duration", [callback(single(lambda c: c.duration_seconds))], unit="s")
    gauge(
        "netstat.scrape.error",
        [
            callback(
                lambda c: [
                    Observation(int(part in c.errors), {"netstat.part": part}) for part in PARTS
                ]
            )
        ],
    )
