"""Which numbers only ever grow (counters) and which go up and down (gauges).

A rate means something only for a counter: ``Tcp.ActiveOpens`` per second is the rate
of new outgoing connections, while ``Tcp.CurrEstab`` per second is nonsense, since it is
how many connections are established now. Prometheus and OpenTelemetry make the same
split (a counter, a gauge), and so does ``nstat``, which leaves out of its deltas the
values that are not counters (iproute2 ``misc/nstat.c``, ``useless_number()``).

Strategy: every protocol counter is a counter unless :data:`PROTOCOL_GAUGES` names it.
The kernel's MIB files (``/proc/net/snmp``, ``netstat``, ``snmp6``) hold hundreds of
counters and a handful of values that are not: settings and current levels, which RFC
1213 types as ``INTEGER`` or ``Gauge`` where every other object is a ``Counter``. A
counter a newer kernel adds is then a counter, which is what kernels add.

This module imports nothing from netstatlib: the monitoring layer
(:func:`~netstatlib.rates`) and the exporters read it alike.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "INTERFACE_FIELD_KINDS",
    "PROTOCOL_GAUGES",
    "CounterKind",
    "counter_kind",
]


class CounterKind(enum.Enum):
    """Whether a number is a counter or a gauge.

    A ``COUNTER`` only grows while the system runs (packets received, connections
    opened); it goes down only when it is reset (a reboot, a driver reload, a
    namespace made anew) or, for a counter of fixed width, when it wraps. Its rate
    (change per second) is what to watch. A ``GAUGE`` is a level or a setting (current
    connections, the default TTL, an MTU): its value is what to watch, never its rate.
    """

    COUNTER = "counter"
    """Only grows, but for a reset or a wrap: its rate is what to watch."""
    GAUGE = "gauge"
    """A level or a setting: its value is what to watch."""

    def __str__(self) -> str:
        return self.value


_TCP_GAUGES = frozenset(
    {
        # RFC 1213 tcpRtoAlgorithm, tcpRtoMin, tcpRtoMax, tcpMaxConn: settings
        # (INTEGER); tcpCurrEstab: connections now ESTABLISHED or CLOSE_WAIT (Gauge).
        # Linux prints them in /proc/net/snmp "Tcp:" (net/ipv4/proc.c, snmp4_tcp_list,
        # where MaxConn is -1: "dynamic"), Windows in netstat -s.
        "RtoAlgorithm",
        "RtoMin",
        "RtoMax",
        "MaxConn",
        "CurrEstab",
    }
)
_IP_GAUGES = frozenset(
    {
        # RFC 1213 ipForwarding (1 forwarding, 2 not) and ipDefaultTTL: settings.
        "Forwarding",
        "DefaultTTL",
    }
)

PROTOCOL_GAUGES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "Ip": _IP_GAUGES,
        # Windows prints the same settings for IPv6 (netstat -s, Windows XP era).
        "Ip6": _IP_GAUGES,
        "Tcp": _TCP_GAUGES,
        # Windows counts TCP over IPv6 apart (netstatlib's group Tcp6).
        "Tcp6": _TCP_GAUGES,
        # MPTCP connections now established (net/mptcp/mib.c, MPTCP_MIB_CURRESTAB: the
        # kernel adds and subtracts it). nstat takes it for a counter.
        "MPTcpExt": frozenset({"MPCurrEstab"}),
    }
)
"""The protocol counters that are gauges, by group: every other counter of
:class:`~netstatlib.ProtocolStats` is a counter.

``Ip``: ``Forwarding``, ``DefaultTTL``; ``Tcp``: ``RtoAlgorithm``, ``RtoMin``,
``RtoMax``, ``MaxConn``, ``CurrEstab``; ``MPTcpExt``: ``MPCurrEstab``; the same names
in Windows' ``Ip6`` and ``Tcp6``. ``Ip.ReasmTimeout`` is a counter: Linux counts the
reassemblies that timed out under that name (``IPSTATS_MIB_REASMTIMEOUT``), where RFC
1213's ``ipReasmTimeout`` is a setting; the setting, which only a Windows XP
``netstat -s`` prints, then reads as a counter that does not move."""


def counter_kind(group: str, name: str) -> CounterKind:
    """Whether the protocol counter ``name`` of ``group`` (``"Tcp"``, ``"CurrEstab"``;
    as :class:`~netstatlib.ProtocolStats` names them) is a counter or a gauge.

    >>> counter_kind("Tcp", "ActiveOpens")
    <CounterKind.COUNTER: 'counter'>
    >>> counter_kind("Tcp", "CurrEstab")
    <CounterKind.GAUGE: 'gauge'>

    A name this module does not know is a counter (see :data:`PROTOCOL_GAUGES`).
    """
    gauges = PROTOCOL_GAUGES.get(group)
    if gauges is not None and name in gauges:
        return CounterKind.GAUGE
    return CounterKind.COUNTER


_COUNTER = CounterKind.COUNTER
_GAUGE = CounterKind.GAUGE

INTERFACE_FIELD_KINDS: Mapping[str, CounterKind] = MappingProxyType(
    {
        "rx_bytes": _COUNTER,
        "rx_packets": _COUNTER,
        "rx_errors": _COUNTER,
        "rx_dropped": _COUNTER,
        "rx_fifo_errors": _COUNTER,
        "rx_frame_errors": _COUNTER,
        "rx_compressed": _COUNTER,
        "multicast": _COUNTER,
        "tx_bytes": _COUNTER,
        "tx_packets": _COUNTER,
        "tx_errors": _COUNTER,
        "tx_dropped": _COUNTER,
        "tx_fifo_errors": _COUNTER,
        "collisions": _COUNTER,
        "tx_carrier_errors": _COUNTER,
        "tx_compressed": _COUNTER,
        "rx_unicast_packets": _COUNTER,
        "rx_non_unicast_packets": _COUNTER,
        "tx_unicast_packets": _COUNTER,
        "tx_non_unicast_packets": _COUNTER,
        "rx_unknown_protocols": _COUNTER,
        "mtu": _GAUGE,
        "is_up": _GAUGE,
        "speed_mbps": _GAUGE,
    }
)
"""Every field of :class:`~netstatlib.InterfaceStats` that holds a number, and its kind:
the traffic counters are counters; ``mtu``, ``is_up`` and ``speed_mbps`` are gauges."""
