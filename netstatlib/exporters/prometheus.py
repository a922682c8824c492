"""A Prometheus collector (``prometheus_client``'s custom-collector interface).

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from netstatlib.exporters.prometheus import NetstatCollector
>>> registry = CollectorRegistry()
>>> registry.register(NetstatCollector())
>>> print(generate_latest(registry).decode())            # doctest: +SKIP

Needs the extra ``netstatlib[prometheus]``. Each scrape reads one
:class:`~netstatlib.exporters.Collection`; scrapes that overlap share it
(:class:`~netstatlib.exporters.SharedCollection`). The metrics and what node_exporter
calls the same facts are listed on the "Monitoring a fleet" page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .._counters import CounterKind
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

__all__ = [
    "INTERFACE_COUNTERS",
    "NetstatCollector",
    "metric_families",
    "protocol_metric_name",
    "snake_case",
]


def protocol_metric_name(group: str, counter: str) -> str:
    """The metric of a protocol counter, before ``_total``: ``("Tcp", "ActiveOpens")``
    is ``netstat_protocol_tcp_active_opens``."""
    return f"netstat_protocol_{snake_case(group)}_{snake_case(counter)}"


def metric_families(collection: Collection) -> Iterator[Metric]:
    """The metric families of one collection, as :class:`NetstatCollector` exposes them."""
    connections = GaugeMetricFamily(
        "netstat_connections",
        "Sockets by protocol, address family and state (what netstat -an lists).",
        labels=["protocol", "family", "state"],
    )
    for (protocol, family, state), count in sorted(collection.connections.items()):
        connections.add_metric([protocol, family, state], count)
    yield connections

    listeners = GaugeMetricFamily(
        "netstat_listening_sockets",
        "Listening sockets by protocol, local address, port and process (1 per "
        "listener; more when sockets share all four, as SO_REUSEPORT groups do).",
        labels=["protocol", "address", "port", "process"],
    )
    for item in collection.listeners:
        listeners.add_metric(
            [item.protocol, item.address, str(item.port), item.process], item.sockets
        )
    yield listeners
    yield GaugeMetricFamily(
        "netstat_listening_sockets_omitted",
        "Listener series left out by the cap on their number (--max-listeners).",
        value=collection.listeners_omitted,
    )

    half_open = GaugeMetricFamily(
        "netstat_tcp_syn_recv_sockets",
        "Half-open TCP connections (SYN_RECV) by local port: a SYN flood's signal.",
        labels=["port"],
    )
    for port, count in collection.syn_recv:
        half_open.add_metric([str(port)], count)
    yield half_open
    yield GaugeMetricFamily(
        "netstat_tcp_syn_recv_ports_omitted",
        "Ports with half-open connections left out by the cap on their number (--max-syn-ports).",
        value=collection.syn_recv_ports_omitted,
    )

    if collection.tcp_info is not None:
        yield GaugeMetricFamily(
            "netstat_tcp_info_connections",
            "TCP connections whose tcp_info the sums below cover.",
            value=collection.tcp_info["connections"],
        )
        for field, name in TCP_INFO_SUMS.items():
            yield GaugeMetricFamily(
                f"netstat_tcp_info_{name}",
                f"tcp_info {field}, summed over the TCP connections open now (it goes "
                "down when connections close).",
                value=collection.tcp_info[field],
            )

    yield from _interface_families(collection)

    for group, counter, value, kind in collection.protocols:
        name = protocol_metric_name(group, counter)
        text = f"{group} {counter} (/proc/net/snmp, netstat, snmp6; netstat -s)."
        if kind is CounterKind.COUNTER:
            yield CounterMetricFamily(name, text, value=value)
        else:
            yield GaugeMetricFamily(name, text, value=value)

    yield GaugeMetricFamily(
        "netstat_scrape_duration_seconds",
        "How long gathering this scrape's data took.",
        value=collection.duration_seconds,
    )
    errors = GaugeMetricFamily(
        "netstat_scrape_error",
        "1 if this part of the scrape failed (its metrics are then missing), else 0.",
        labels=["part"],
    )
    for part in PARTS:
        errors.add_metric([part], 1 if part in collection.errors else 0)
    yield errors


def _interface_families(collection: Collection) -> Iterator[Metric]:
    for direction, what, field in INTERFACE_COUNTERS:
        family = CounterMetricFamily(
            f"netstat_interface_{direction}_{what}",
            f"{what.capitalize()} {'received' if direction == 'receive' else 'sent'} "
            f"by the interface ({field}).",
            labels=["device"],
        )
        for stats in collection.interfaces:
            family.add_metric([device_label(stats)], getattr(stats, field))
        yield family
    up = GaugeMetricFamily(
        "netstat_interface_up", "1 if the interface is up, else 0.", labels=["device"]
    )
    mtu = GaugeMetricFamily(
        "netstat_interface_mtu_bytes", "The interface's MTU.", labels=["device"]
    )
    for stats in collection.interfaces:
        if stats.is_up is not None:
            up.add_metric([device_label(stats)], 1 if stats.is_up else 0)
        if stats.mtu is not None:
            mtu.add_metric([device_label(stats)], stats.mtu)
    yield up
    yield mtu


class NetstatCollector(Collector):
    """Exposes netstatlib's metrics to a ``prometheus_client`` registry.

    ``options`` says what to gather (backend, protocol fields, caps); ``shared``
    replaces the :class:`~netstatlib.exporters.SharedCollection` that scrapes read
    (one built from ``options`` by default). ``on_errors`` is called with a scrape's
    :attr:`~netstatlib.exporters.Collection.errors` when some part failed.
    """

    def __init__(
        self,
        options: ExporterOptions | None = None,
        *,
        shared: SharedCollection | None = None,
        on_errors: Callable[[dict[str, str]], None] | None = None,
    ) -> None:
        self.shared = shared or SharedCollection(options)
        """The collections scrapes read."""
        self._on_errors = on_errors

    def describe(self) -> Iterator[Metric]:
        """Nothing: registering the collector must not cost a collection."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        """One scrape's metric families."""
        collection = self.shared()
        if collection.errors and self._on_errors is not None:
            self._on_errors(dict(collection.errors))
        return metric_families(collection)
