"""The typed records netstatlib returns.

Every record is an ``attrs`` frozen, slotted, keyword-only class: hashable, cheap, and
safe to share between threads. ``None`` always means "unknown or not applicable" and is
never replaced by a placeholder such as ``-1``, ``""`` or ``"*"``.

Every record, endpoint and enum has a natural total order, consistent with ``==``, so
``sorted(table)`` never raises: records of one type compare field by field in declared
order, ``None`` before any value.
"""

from __future__ import annotations

import enum
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import netaddr

from ._errors import UsageError

# What a comparison returns for a value it cannot order against (Python then tries the
# other side, and raises TypeError when neither can): NotImplemented, typed for mypy.
_UNORDERED: bool = NotImplemented

__all__ = [
    "Connection",
    "Counters",
    "Endpoint",
    "InterfaceStats",
    "NamedEndpoint",
    "Protocol",
    "ProtocolStats",
    "Route",
    "RouteFlags",
    "SocketDetails",
    "SocketMemory",
    "SocketTimer",
    "TcpInfo",
    "TcpState",
]


class Protocol(enum.Enum):
    """Transport protocol of a socket (the ``/proc/net`` file it is listed in).

    Members are ordered as ``netstat`` lists the tables: TCP, UDP, UDP-Lite, raw, UNIX
    (``sorted()``, ``<``; a pandas column of them is an ordered categorical).
    """

    TCP = "tcp"
    """TCP sockets: ``/proc/net/tcp`` and ``tcp6``; the ``TCP`` rows of Windows'
    ``netstat``."""
    UDP = "udp"
    """UDP sockets: ``/proc/net/udp`` and ``udp6``; the ``UDP`` rows of Windows'
    ``netstat``."""
    UDPLITE = "udplite"
    """UDP-Lite sockets (RFC 3828: UDP whose checksum may cover only part of a packet):
    ``/proc/net/udplite`` and ``udplite6``. Linux only."""
    RAW = "raw"
    """Raw IP sockets, which send and receive whole packets of one IP protocol (a
    routing daemon's OSPF or VRRP, a packet generator): ``/proc/net/raw`` and ``raw6``.
    The protocol number is :attr:`Connection.ip_protocol`. Linux only."""
    UNIX = "unix"
    """UNIX domain sockets, between processes of one host, named by a path
    (:attr:`Connection.path`) instead of an address: ``/proc/net/unix``. Linux and
    what psutil lists elsewhere."""

    def __str__(self) -> str:
        return self.value

    def __lt__(self, other: object) -> bool:
        if type(other) is not Protocol:
            return _UNORDERED
        return _PROTOCOL_RANK[self] < _PROTOCOL_RANK[other]

    def __le__(self, other: object) -> bool:
        if type(other) is not Protocol:
            return _UNORDERED
        return _PROTOCOL_RANK[self] <= _PROTOCOL_RANK[other]

    def __gt__(self, other: object) -> bool:
        if type(other) is not Protocol:
            return _UNORDERED
        return _PROTOCOL_RANK[self] > _PROTOCOL_RANK[other]

    def __ge__(self, other: object) -> bool:
        if type(other) is not Protocol:
            return _UNORDERED
        return _PROTOCOL_RANK[self] >= _PROTOCOL_RANK[other]


_PROTOCOL_RANK: dict[Protocol, int] = {member: rank for rank, member in enumerate(Protocol)}


class TcpState(enum.Enum):
    """Connection state, named as in the kernel's ``include/net/tcp_states.h``.

    The values are the kernel's numbers (the ``st`` column of ``/proc/net/tcp``).
    ``UNKNOWN`` stands for a number or word this library does not know; a row with an
    unknown state is kept, never dropped, and :attr:`Connection.state_text` keeps what
    the source printed.

    Two members exist only on Windows and have numbers outside the kernel's range:
    ``BOUND`` (a TCP socket bound to a port but neither listening nor connected, which
    ``netstat -q`` lists; on Linux such a socket is ``CLOSE``, and not listed) and
    ``DELETE_TCB`` (``MIB_TCP_STATE_DELETE_TCB``: the connection's control block is being
    deleted).

    Use :meth:`parse` to turn what people type (``LISTENING``, ``SYN_RECEIVED``,
    ``syn-recv``, ``estab``) into a member.

    Members are ordered by their number, the kernel's order (``UNKNOWN``,
    ``ESTABLISHED``, ``SYN_SENT``, ..., ``NEW_SYN_RECV``, then Windows' ``BOUND`` and
    ``DELETE_TCB``): ``sorted()`` and ``<`` work, and a pandas column of states is an
    ordered categorical in this order.
    """

    UNKNOWN = 0
    """A state number or word this library does not know (a kernel newer than it, a
    translation of Windows it has not seen); :attr:`Connection.state_text` holds what
    the source printed. The kernel has no state 0."""
    ESTABLISHED = 1
    """The connection is open and data can flow both ways. A UDP, UDP-Lite or raw
    socket that called ``connect()`` (it has a fixed peer) and a connected UNIX socket
    are listed in this state too."""
    SYN_SENT = 2
    """This side asked to connect (sent a SYN) and waits for the peer's answer. Many of
    them, or old ones, mean peers that do not answer: a host that is down, a port a
    firewall drops. A UNIX socket that is connecting is listed in this state too."""
    SYN_RECV = 3
    """A peer asked to connect (its SYN arrived, this side answered with a SYN-ACK) and
    has not completed the handshake. The kernel lists a listener's pending connection
    requests in this state; many of them on one port are the mark of a SYN flood (see
    :func:`netstatlib.audits.half_open_by_port`)."""
    FIN_WAIT1 = 4
    """This side closed the connection (sent a FIN) and waits for the peer to
    acknowledge it."""
    FIN_WAIT2 = 5
    """This side's close was acknowledged; it waits for the peer to close its side.
    Once the application has closed the socket, the kernel keeps it at most
    ``net.ipv4.tcp_fin_timeout`` seconds (60 by default)."""
    TIME_WAIT = 6
    """Both sides closed; this side, which closed first, waits twice the maximum
    segment lifetime (60 seconds on Linux) so that late packets of the connection die
    out before its ports are used again. No process holds such an entry: its ``uid``
    and ``inode`` are ``None`` and its ``pids`` empty. Thousands of them are normal on a
    busy client or proxy."""
    CLOSE = 7
    """Closed: a TCP socket neither listening nor connected. Linux lists few of them: a
    socket only bound to a port is in this state but in no table the kernel lists
    (Windows lists it as :attr:`BOUND`). An unconnected UDP, UDP-Lite or raw socket,
    which the kernel also reports as closed, has no state here (``None``)."""
    CLOSE_WAIT = 8
    """The peer closed its side (its FIN arrived) and the application has not closed
    the socket yet. Many of them, lasting, point at an application that does not close
    its connections."""
    LAST_ACK = 9
    """The peer closed, then this side closed too; it waits for the acknowledgement of
    its own FIN."""
    LISTEN = 10
    """Waiting for connections (the socket called ``listen()``): a server's port, for
    TCP and for UNIX stream and seqpacket sockets. :func:`netstatlib.listening` lists
    these, with bound, unconnected UDP, UDP-Lite and raw sockets."""
    CLOSING = 11
    """Both sides closed at the same time (each sent a FIN before the other's arrived);
    waiting for the acknowledgement of this side's FIN. A UNIX socket that is
    disconnecting is listed in this state too."""
    NEW_SYN_RECV = 12
    """The kernel's own state of a connection request held by a listener (Linux 4.4
    and later). The kernel lists such requests as :attr:`SYN_RECV`, in ``/proc/net/tcp``
    and over netlink alike, so a row is hardly ever in this state; filters for
    half-open connections accept both."""
    BOUND = 100
    """Windows only: a TCP socket bound to a port but neither listening nor connected,
    which ``netstat -q`` lists (Windows 8 and later). On Linux such a socket is
    :attr:`CLOSE` and not listed."""
    DELETE_TCB = 101
    """Windows only: the connection's control block is being deleted
    (``MIB_TCP_STATE_DELETE_TCB``); seen for a moment as a connection goes away."""

    def __str__(self) -> str:
        return self.name

    def __lt__(self, other: object) -> bool:
        if type(other) is not TcpState:
            return _UNORDERED
        return self.value < other.value

    def __le__(self, other: object) -> bool:
        if type(other) is not TcpState:
            return _UNORDERED
        return self.value <= other.value

    def __gt__(self, other: object) -> bool:
        if type(other) is not TcpState:
            return _UNORDERED
        return self.value > other.value

    def __ge__(self, other: object) -> bool:
        if type(other) is not TcpState:
            return _UNORDERED
        return self.value >= other.value

    @classmethod
    def from_kernel(cls, number: int) -> TcpState:
        """The member for a kernel state number; ``UNKNOWN`` for a number it does not know."""
        return _BY_NUMBER.get(number, cls.UNKNOWN)

    @classmethod
    def parse(cls, text: str | TcpState) -> TcpState:
        """Turn a state as people write it into a member.

        Accepts the member names, the kernel's and ``ss``'s spellings (``syn-recv``,
        ``fin-wait-1``, ``estab``, ``closed``), netstat's (``LISTENING``,
        ``SYN_RECEIVED``, ``FIN_WAIT_1``) and the words a localized Windows ``netstat``
        prints (German ``ABHÖREN``, ``HERGESTELLT``, ``WARTEND``, ...; the list is in
        ``docs/windows.md``), in any case, with ``-``, ``_`` or a space between words.
        Anything else raises :class:`~netstatlib.UsageError`.
        """
        if isinstance(text, TcpState):
            return text
        if not isinstance(text, str):
            raise UsageError(f"a TCP state is a name, not {type(text).__name__}: {text!r}")
        key = text.strip().upper().replace("-", "_").replace(" ", "_")
        try:
            return _SPELLINGS[key]
        except KeyError:
            known = ", ".join(m.name for m in cls)
            raise UsageError(f"unknown TCP state {text!r}; known states: {known}") from None


# Only the kernel's own numbers: BOUND and DELETE_TCB are Windows states, not numbers
# the kernel can print.
_BY_NUMBER: dict[int, TcpState] = {m.value: m for m in TcpState if m.value <= 12}

_SPELLINGS: dict[str, TcpState] = {m.name: m for m in TcpState}
_SPELLINGS.update(
    {
        # netstat (Windows, BSD, net-tools) and ss spellings.
        "ESTAB": TcpState.ESTABLISHED,
        "SYN_RECEIVED": TcpState.SYN_RECV,
        "SYN_RCVD": TcpState.SYN_RECV,
        "FIN_WAIT_1": TcpState.FIN_WAIT1,
        "FIN_WAIT_2": TcpState.FIN_WAIT2,
        "TIMEWAIT": TcpState.TIME_WAIT,
        "CLOSED": TcpState.CLOSE,
        "CLOSEWAIT": TcpState.CLOSE_WAIT,
        "LISTENING": TcpState.LISTEN,
        "LASTACK": TcpState.LAST_ACK,
        "NEW_SYN_RECEIVED": TcpState.NEW_SYN_RECV,
    }
)
# Windows netstat.exe's own words (LISTENING, SYN_RECEIVED and the rest are above) and
# those of its localized versions. Most translations of Windows keep the English words
# (French, Spanish, Portuguese, Russian, Chinese, Japanese, Korean captures all do);
# German translates them. Sources, in docs/windows.md: real German captures (ABHÖREN,
# HERGESTELLT, WARTEND, SCHLIESSEN_WARTEN, FIN_WARTEN_2; Windows 8.1 and 10/11) and
# Checkmk's win_netstat plugin table (SYN_GESENDET, SYN_EMPFANGEN, FIN_WARTEN_1,
# SCHLIESSEND, ZULETZT_ACK). The others were seen only in other projects' test data and
# are accepted because their meaning is not in doubt.
_SPELLINGS.update(
    {
        "DELETE_TCB": TcpState.DELETE_TCB,
        "DELETETCB": TcpState.DELETE_TCB,
        # German.
        "ABHÖREN": TcpState.LISTEN,
        # cp850's Ö (0x99) shown as cp1252 (™): how a German capture often reaches a
        # ticket, as Checkmk also matches it.
        "ABH™REN": TcpState.LISTEN,
        "HERGESTELLT": TcpState.ESTABLISHED,
        "WARTEND": TcpState.TIME_WAIT,
        "SCHLIESSEN_WARTEN": TcpState.CLOSE_WAIT,
        "SYN_GESENDET": TcpState.SYN_SENT,
        "SYN_EMPFANGEN": TcpState.SYN_RECV,
        "FIN_WARTEN_1": TcpState.FIN_WAIT1,
        "FIN_WARTEN_2": TcpState.FIN_WAIT2,
        "SCHLIESSEND": TcpState.CLOSING,
        "ZULETZT_ACK": TcpState.LAST_ACK,
        # Seen only in other projects' test data (Spanish, Portuguese, Italian, Dutch,
        # Swedish).
        "ESCUCHANDO": TcpState.LISTEN,
        "ESTABLECIDO": TcpState.ESTABLISHED,
        "ESCUTANDO": TcpState.LISTEN,
        "ESTABELECIDA": TcpState.ESTABLISHED,
        "ESTABELECIDO": TcpState.ESTABLISHED,
        "IN_ASCOLTO": TcpState.LISTEN,
        "STABILITA": TcpState.ESTABLISHED,
        "STABILITO": TcpState.ESTABLISHED,
        "LUISTEREN": TcpState.LISTEN,
        "LYSSNAR": TcpState.LISTEN,
    }
)


# -- order --------------------------------------------------------------------------------
#
# Every record has a total order, consistent with ==: ``sorted(table)`` never raises,
# whatever fields are None, and two records compare equal exactly when they are ==.
# Records of one type compare field by field, in the order the fields are declared
# (a socket: protocol, family, local endpoint, remote endpoint, state, ...), and the first
# field that differs decides; records of different types do not compare (TypeError, as
# for any two unrelated Python types). Inside a field, sort_key() puts None first and
# never compares values of unrelated types with each other. Nothing here runs while a
# record is built: the parsers' hot loop pays nothing for it.


def sort_key(value: Any) -> tuple[Any, ...]:
    """A key for ``value`` in the library's total order: ``None`` first, then numbers,
    text, protocols, states, endpoints, names, addresses, networks, tuples, mappings and
    records, each ordered naturally among its own kind. Two values have equal keys
    exactly when they are ``==`` (numbers of different types included: ``1 == 1.0``;
    NaN, which is not even equal to itself, sorts after every number)."""
    if value is None:
        return _NONE_KEY
    keyer = _KEYERS.get(type(value))
    if keyer is None:
        keyer = _KEYERS[type(value)] = _keyer_for(type(value))
    return keyer(value)


_NONE_KEY: tuple[Any, ...] = (0,)


def _number_key(value: Any) -> tuple[Any, ...]:
    return (1, value) if value == value else (2,)  # NaN is the one number != itself


def _text_key(value: str) -> tuple[Any, ...]:
    return (3, value)


def _protocol_key(value: Protocol) -> tuple[Any, ...]:
    return (4, _PROTOCOL_RANK[value])


def _state_key(value: TcpState) -> tuple[Any, ...]:
    return (5, value.value)


def _enum_key(value: enum.Enum) -> tuple[Any, ...]:
    kind = type(value)
    return (6, f"{kind.__module__}.{kind.__qualname__}", sort_key(value.value))


def _zone_key(zone: str | None) -> tuple[Any, ...]:
    # None first, then numeric zones (Windows' interface indexes) by number, then names.
    if zone is None:
        return (0,)
    if zone.isascii() and zone.isdigit():
        return (1, int(zone), zone)
    return (2, zone)


def _endpoint_key(value: Endpoint) -> tuple[Any, ...]:
    address = value.address
    return (7, address.version, address.value, value.port, _zone_key(value.zone))


def _named_endpoint_key(value: NamedEndpoint) -> tuple[Any, ...]:
    return (8, value.host, sort_key(value.port), sort_key(value.service))


def _address_key(value: netaddr.IPAddress) -> tuple[Any, ...]:
    return (9, value.version, value.value)


def _network_key(value: netaddr.IPNetwork) -> tuple[Any, ...]:
    # netaddr's own == compares (version, first, last): 10.0.0.5/8 == 10.0.0.0/8. Larger
    # networks first among those starting at one address (0.0.0.0/0 before 0.0.0.0/8).
    return (10, value.version, value.first, -value.last)


def _tuple_key(value: tuple[Any, ...]) -> tuple[Any, ...]:
    return (11, tuple(map(sort_key, value)))


def _list_key(value: list[Any]) -> tuple[Any, ...]:
    return (12, tuple(map(sort_key, value)))


def _mapping_key(value: Mapping[Any, Any]) -> tuple[Any, ...]:
    return (13, tuple(sorted((sort_key(k), sort_key(v)) for k, v in value.items())))


def _record_key(value: Any) -> tuple[Any, ...]:
    kind = type(value)
    fields = tuple(sort_key(getattr(value, name)) for name in _field_names(kind))
    return (14, f"{kind.__module__}.{kind.__qualname__}", fields)


def _other_key(value: Any) -> tuple[Any, ...]:
    # Not a value records hold: grouped by type, in text order within it (best effort).
    kind = type(value)
    return (99, f"{kind.__module__}.{kind.__qualname__}", str(value))


def _keyer_for(kind: type) -> Callable[[Any], tuple[Any, ...]]:
    """The key function for a type not seen before (subclasses of the known kinds)."""
    if issubclass(kind, (bool, int, float)):  # IntEnum and IntFlag members included
        return _number_key
    if issubclass(kind, str):
        return _text_key
    if issubclass(kind, enum.Enum):
        return _enum_key
    if issubclass(kind, tuple):
        return _tuple_key
    if issubclass(kind, list):
        return _list_key
    if issubclass(kind, Mapping):
        return _mapping_key
    if attrs.has(kind):
        return _record_key
    return _other_key


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in attrs.fields(kind))
    return names


def _compare_records(left: Any, right: Any) -> int:
    """-1, 0 or 1: the first field that differs decides (as the records' sort_key would,
    without building the whole key)."""
    for name in _field_names(type(left)):
        mine = getattr(left, name)
        theirs = getattr(right, name)
        if mine is theirs:
            continue
        # Keys are equal exactly when the values are: no need to ask == first.
        mine_key, their_key = sort_key(mine), sort_key(theirs)
        if mine_key != their_key:
            return -1 if mine_key < their_key else 1
    return 0


def _record_lt(self: Any, other: Any) -> bool:
    if type(other) is not type(self):
        return _UNORDERED
    return _compare_records(self, other) < 0


def _record_le(self: Any, other: Any) -> bool:
    if type(other) is not type(self):
        return _UNORDERED
    return _compare_records(self, other) <= 0


def _record_gt(self: Any, other: Any) -> bool:
    if type(other) is not type(self):
        return _UNORDERED
    return _compare_records(self, other) > 0


def _record_ge(self: Any, other: Any) -> bool:
    if type(other) is not type(self):
        return _UNORDERED
    return _compare_records(self, other) >= 0


def _endpoint_lt(self: Endpoint, other: Any) -> bool:
    if type(other) is not Endpoint:
        return _UNORDERED
    return _endpoint_key(self) < _endpoint_key(other)


def _endpoint_le(self: Endpoint, other: Any) -> bool:
    if type(other) is not Endpoint:
        return _UNORDERED
    return _endpoint_key(self) <= _endpoint_key(other)


def _endpoint_gt(self: Endpoint, other: Any) -> bool:
    if type(other) is not Endpoint:
        return _UNORDERED
    return _endpoint_key(self) > _endpoint_key(other)


def _endpoint_ge(self: Endpoint, other: Any) -> bool:
    if type(other) is not Endpoint:
        return _UNORDERED
    return _endpoint_key(self) >= _endpoint_key(other)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Endpoint:
    """An IP address and a port.

    ``str()`` gives what a person expects: ``10.0.0.5:22``, ``[::1]:631``,
    ``[fe80::1%12]:546`` where the source gave a zone. IPv4-mapped IPv6 addresses
    (``::ffff:10.0.0.5``, what a dual-stack socket reports for an IPv4 peer) are kept
    as the kernel reports them; :attr:`is_ipv4_mapped` recognises them and
    :meth:`unmapped` gives the IPv4 endpoint.

    Endpoints are ordered by family (IPv4 first), then address, port and zone (no zone
    first): ``sorted()``, ``min()`` and ``<`` work, and so does sorting a pandas column.
    """

    address: netaddr.IPAddress
    """The IPv4 or IPv6 address; ``0.0.0.0`` or ``::`` for a socket bound to every
    address of the host."""
    port: int
    """The port, 0 to 65535; 0 for a socket not bound to a port (and, for a raw socket,
    the IP protocol number, where the kernel prints it)."""
    zone: str | None = None
    """The IPv6 zone (scope) of a link-local address as the source printed it after
    ``%``: an interface index on Windows (``fe80::1%12``). ``None`` where the source does
    not say (``/proc/net/tcp6`` has no zone column)."""

    __lt__ = _endpoint_lt
    __le__ = _endpoint_le
    __gt__ = _endpoint_gt
    __ge__ = _endpoint_ge

    def __str__(self) -> str:
        if self.address.version == 6:
            zone = f"%{self.zone}" if self.zone is not None else ""
            return f"[{self.address}{zone}]:{self.port}"
        return f"{self.address}:{self.port}"

    @property
    def is_ipv4_mapped(self) -> bool:
        """True for an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``)."""
        return self.address.version == 6 and bool(self.address.is_ipv4_mapped())

    def unmapped(self) -> Endpoint:
        """The same endpoint with an IPv4-mapped address turned into plain IPv4."""
        if self.is_ipv4_mapped:
            return Endpoint(address=self.address.ipv4(), port=self.port)
        return self


@attrs.frozen(kw_only=True)
class NamedEndpoint:
    """An endpoint as a tool printed it with names: ``api:1032``, ``chi02legaldc01:msft-gc``.

    Windows ``netstat`` without ``-n`` prints host names and service names instead of
    numbers and the numbers are lost. netstatlib never invents an address for a name:
    such an endpoint is kept here, in :attr:`Connection.local_name` or
    :attr:`Connection.remote_name`, exactly as printed.

    ``host`` is the host part as printed (a name, or an address text when only the port
    was printed as a name). ``service`` is the service name when the port was printed as
    one, and ``port`` its number: the printed number, or the port of a service name this
    library knows (``https`` is 443); ``None`` for a service name it does not know.
    :attr:`address` is the host part read as an address, where it was printed as one.
    ``str()`` gives back the printed text.

    Filters read these numbers: ``F.remote_port == 443`` (``dport = :443``) matches
    ``host:https``, and ``F.remote_address`` tests an address printed as a number.

    Named endpoints are ordered by host, then port and service (unknown first).
    """

    host: str
    """The host part as printed: a host name, or an address text when only the port was
    printed as a name (``10.0.0.5:https``)."""
    port: int | None
    """The port: the printed number, or the port of the printed service name where this
    library knows it (``https`` is 443); ``None`` for a service name it does not know."""
    service: str | None = None
    """The service name, when the port was printed as one (``https``); ``None`` when it
    was printed as a number."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge

    def __str__(self) -> str:
        port = self.service if self.service is not None else self.port
        return f"{self.host}:{port}"

    @property
    def address(self) -> netaddr.IPAddress | None:
        """The host part as an IP address where it was printed as one (``10.0.0.5``,
        ``fe80::1%12`` or ``[fe80::1%12]``, the zone left out); ``None`` for a host name
        or for text that is not a valid address."""
        text = self.host
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        text = text.partition("%")[0]
        # INET_PTON: only the dotted quad is IPv4 ("10.1" and "0x0a000001" are names).
        try:
            return netaddr.IPAddress(text, flags=netaddr.INET_PTON)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            return None


@attrs.frozen(kw_only=True, weakref_slot=False)
class TcpInfo:
    """What the kernel knows about one TCP connection: ``struct tcp_info``
    (``include/uapi/linux/tcp.h``), as ``ss -i`` shows it.

    Times are in seconds (the kernel counts microseconds or milliseconds), rates in bytes
    per second, windows and sizes in bytes, the congestion window and thresholds in
    segments. The structure grows with the kernel: a field an older kernel does not send
    is ``None`` (``delivery_rate`` needs Linux 4.9, ``bytes_sent`` 4.19, ``snd_wnd``
    5.4, ``rcv_wnd`` 6.2). ``ssthresh`` is ``None`` while the slow-start threshold is
    not set (the kernel's "infinite" value), as ``ss`` leaves it out.
    """

    state: int
    """The kernel's state number of the socket at the time of the answer."""
    ca_state: int
    """Congestion-avoidance state (``TCP_CA_Open`` 0, ``Disorder`` 1, ``CWR`` 2,
    ``Recovery`` 3, ``Loss`` 4)."""
    retransmits: int
    """Retransmissions of the segment now being retransmitted (RTO backoffs)."""
    probes: int
    """Unanswered zero-window or keepalive probes."""
    backoff: int
    """Exponential backoff of the retransmission timer."""
    options: int
    """``TCPI_OPT_*`` bits: 1 timestamps, 2 SACK, 4 window scaling, 8 ECN, 16 ECN seen,
    32 SYN data."""
    snd_wscale: int
    """The peer's window-scale shift."""
    rcv_wscale: int
    """This side's window-scale shift."""
    rto: float
    """Retransmission timeout."""
    ato: float
    """Delayed-ACK timeout."""
    snd_mss: int
    """Sending maximum segment size."""
    rcv_mss: int
    """Receiving maximum segment size, as estimated."""
    unacked: int
    """Segments sent and not yet acknowledged."""
    sacked: int
    """Segments selectively acknowledged."""
    lost: int
    """Segments considered lost."""
    retrans: int
    """Segments retransmitted and not yet acknowledged."""
    last_data_sent: float
    """Time since data was last sent."""
    last_data_received: float
    """Time since data was last received."""
    last_ack_received: float
    """Time since an acknowledgement was last received."""
    pmtu: int
    """Path MTU."""
    rcv_ssthresh: int
    """Receive-window slow-start threshold."""
    rtt: float
    """Smoothed round-trip time."""
    rtt_var: float
    """Round-trip time variation."""
    ssthresh: int | None
    """Slow-start threshold; ``None`` while not set."""
    snd_cwnd: int
    """Congestion window."""
    advmss: int
    """Advertised maximum segment size."""
    reordering: int
    """Reordering metric (segments)."""
    rcv_rtt: float
    """Receiver's estimate of the round-trip time."""
    rcv_space: int
    """Receive-buffer space auto-tuning estimate."""
    total_retrans: int
    """Segments retransmitted over the connection's life."""
    pacing_rate: int | None = None
    """The rate the kernel paces this connection's sending at (set by the congestion
    control or ``fq``); ``None`` where the kernel does not say."""
    max_pacing_rate: int | None = None
    """Pacing cap set by ``SO_MAX_PACING_RATE`` (the kernel's all-ones means none)."""
    bytes_acked: int | None = None
    """Bytes sent and acknowledged by the peer."""
    bytes_received: int | None = None
    """Bytes received and acknowledged to the peer."""
    segs_out: int | None = None
    """Segments sent, retransmissions and pure acknowledgements included."""
    segs_in: int | None = None
    """Segments received, pure acknowledgements included."""
    notsent_bytes: int | None = None
    """Bytes written by the application and not yet sent."""
    min_rtt: float | None = None
    """Lowest round-trip time seen (windowed)."""
    data_segs_in: int | None = None
    """Segments received that carried data."""
    data_segs_out: int | None = None
    """Segments sent that carried data, retransmissions included."""
    delivery_rate: int | None = None
    """Most recent delivery rate estimate."""
    busy_time: float | None = None
    """Time spent with data in flight."""
    rwnd_limited: float | None = None
    """Time spent limited by the peer's receive window."""
    sndbuf_limited: float | None = None
    """Time spent limited by the send buffer."""
    delivered: int | None = None
    """Segments delivered, retransmissions included."""
    delivered_ce: int | None = None
    """Segments delivered with an ECN congestion mark."""
    bytes_sent: int | None = None
    """Bytes sent, retransmissions included."""
    bytes_retrans: int | None = None
    """Bytes retransmitted."""
    dsack_dups: int | None = None
    """Duplicate segments reported by D-SACK."""
    reord_seen: int | None = None
    """Reordering events seen."""
    rcv_ooopack: int | None = None
    """Out-of-order packets received."""
    snd_wnd: int | None = None
    """The peer's advertised receive window."""
    rcv_wnd: int | None = None
    """The receive window this side advertises."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge


@attrs.frozen(kw_only=True, weakref_slot=False)
class SocketMemory:
    """A socket's memory, in bytes, as ``ss -m`` shows it (``skmem:``): the kernel's
    ``SK_MEMINFO_*`` values (``include/uapi/linux/sock_diag.h``)."""

    rmem_alloc: int
    """Memory holding received data (``r``)."""
    rcvbuf: int
    """Receive buffer size (``rb``)."""
    wmem_alloc: int
    """Memory holding data being sent (``t``)."""
    sndbuf: int
    """Send buffer size (``tb``)."""
    fwd_alloc: int
    """Memory reserved and not yet used (``f``)."""
    wmem_queued: int
    """Memory queued for sending (``w``)."""
    optmem: int
    """Memory for socket options and ancillary data (``o``)."""
    backlog: int
    """Memory of the backlog queue (``bl``)."""
    drops: int
    """Packets dropped before reaching the socket (``d``)."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge


@attrs.frozen(kw_only=True, weakref_slot=False)
class SocketTimer:
    """The timer pending on a TCP socket, as ``ss -o`` shows it (``timer:(on,200ms,0)``).

    ``name`` is ``ss``'s word for it: ``on`` (retransmission, including loss probes),
    ``keepalive``, ``timewait`` or ``persist`` (zero-window probe).
    """

    name: str
    """Which timer, in ``ss``'s word: ``on`` (retransmission, loss probe included),
    ``keepalive``, ``timewait`` or ``persist`` (zero-window probe)."""
    expires: float
    """Seconds until it fires."""
    retransmits: int
    """Retransmissions (or keepalive probes) done so far."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge


class _Deferred:
    """The base of :class:`SocketDetails`: one hidden slot that can hold, instead of the
    fields, what decodes them when one is first read (see ``SocketDetails.__getattr__``)."""

    __slots__ = ("_pending",)


@attrs.frozen(kw_only=True, weakref_slot=False)
class SocketDetails(_Deferred):
    """What only the kernel's socket diagnostics give about a socket, filled when a query
    asks for ``details=True`` (see :func:`~netstatlib.connections`).

    A field is ``None`` where it does not apply (``tcp_info`` of a UDP socket) or the
    kernel did not send it. The netlink engine keeps the kernel's bytes and decodes them
    when a field is first read (all fields at once): a query for many sockets costs
    little more with details than without, and reading them costs the same either way.
    Nothing else is different: equality, hashing, ``repr`` and copies see the fields.
    """

    tcp_info: TcpInfo | None = None
    """TCP internals (TCP sockets that are not TIME_WAIT or SYN_RECV entries)."""
    congestion: str | None = None
    """The congestion control algorithm (``cubic``, ``bbr``), TCP only."""
    memory: SocketMemory | None = None
    """Socket memory (``ss -m``)."""
    timer: SocketTimer | None = None
    """The timer pending on a TCP socket (``ss -o``); ``None`` when none is."""
    cgroup_id: int | None = None
    """The cgroup v2 id of the socket's creator (``ss --cgroup``)."""
    peer_inode: int | None = None
    """UNIX sockets: the inode of the connected peer (``ss -x`` shows it as the peer's
    port); ``None`` when not connected."""
    backlog: int | None = None
    """TCP and UNIX listeners: the accept queue's limit (the ``listen()`` backlog,
    capped by ``net.core.somaxconn``), which ``ss`` shows as a listener's Send-Q."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge

    if not TYPE_CHECKING:  # for type checkers, reading a field is plain

        def __getattr__(self, name):
            # Python calls this only when a slot is empty: a builder left the fields
            # unset and stored in ``_pending`` a tuple whose first item, called with the
            # tuple, gives every field's value, in field order.
            try:
                pending = object.__getattribute__(self, "_pending")
            except AttributeError:
                # Not deferred, or decoded meanwhile by another thread (which sets every
                # field before it clears ``_pending``): a second look settles it.
                return object.__getattribute__(self, name)
            for field, value in zip(_DETAIL_FIELDS, pending[0](pending), strict=True):
                object.__setattr__(self, field, value)
            object.__delattr__(self, "_pending")
            return object.__getattribute__(self, name)


_DETAIL_FIELDS = tuple(field.name for field in attrs.fields(SocketDetails))

# A builder whose deferred decoding can read ``tcp_info.bytes_acked`` and
# ``bytes_received`` without decoding the rest registers, under its decode function, a
# reader of the two from its ``_pending`` tuple (None when the kernel sent no such
# fields). Throughput over many sockets needs only these two.
TCP_BYTE_READERS: dict[Any, Any] = {}


def tcp_byte_counts(details: SocketDetails) -> tuple[int, int] | None:
    """``(bytes_acked, bytes_received)`` of ``details.tcp_info``, or ``None`` when either
    is unknown; read from the kernel's bytes, without decoding the other fields, while
    ``details`` has not been decoded yet."""
    try:
        pending = object.__getattribute__(details, "_pending")
    except AttributeError:
        pending = None
    if pending is not None:
        reader = TCP_BYTE_READERS.get(pending[0])
        if reader is not None:
            found: tuple[int, int] | None = reader(pending)
            return found
    info = details.tcp_info
    if info is None or info.bytes_acked is None or info.bytes_received is None:
        return None
    return info.bytes_acked, info.bytes_received


@attrs.frozen(kw_only=True, weakref_slot=False)
class Connection:
    """One socket, as ``netstat``/``ss`` lists it.

    For TCP, ``state`` is the TCP state. UDP, UDP-Lite and raw sockets have no real
    state: ``state`` is ``None`` for one that is not connected and ``ESTABLISHED`` for
    one that is (as ``ss`` shows ``UNCONN`` and ``ESTAB``). UNIX sockets are
    ``LISTEN``, ``ESTABLISHED`` (connected), ``SYN_SENT`` (connecting), ``CLOSING``
    (disconnecting) or ``None`` (not connected).

    ``pids`` is every process that holds the socket, sorted; ``None`` when processes were
    not looked up (or could not be: a captured ``/proc`` without process folders), ``()``
    when they were and no inspectable process holds it (it belongs to the kernel, or to
    processes the current user cannot inspect). ``process`` is the name
    (``/proc/<pid>/comm``) of the first of them.

    Records parsed from a Windows ``netstat`` printed without ``-n`` may name an endpoint
    instead of giving its numbers (``api:1032``). Then :attr:`local_name` /
    :attr:`remote_name` hold the printed :class:`NamedEndpoint` and :attr:`local` /
    :attr:`remote` hold an :class:`Endpoint` only if the numbers are known (an address
    printed as a number and a port or known service name), ``None`` otherwise.

    Sockets are ordered by protocol, family, local endpoint, remote endpoint, state and
    then the other fields in the order below, a missing value (``None``) first.
    """

    protocol: Protocol
    """Which socket table the row is from: TCP, UDP, UDP-Lite, raw or UNIX."""
    family: socket.AddressFamily | None
    """``AF_INET``, ``AF_INET6`` or ``AF_UNIX``; ``None`` only for a Windows row whose
    endpoints were both printed as names, which says nothing about the family."""
    local: Endpoint | None
    """Local address and port; ``None`` for UNIX sockets (see :attr:`path`) and for a
    local endpoint printed by name only (see :attr:`local_name`)."""
    remote: Endpoint | None
    """Peer address and port; ``None`` when not connected (a listener, an unconnected
    UDP socket), for UNIX sockets and for a peer printed by name only (see
    :attr:`remote_name`)."""
    state: TcpState | None
    """TCP state; for UDP/UDP-Lite/raw ``None`` (unconnected) or ``ESTABLISHED``."""
    pids: tuple[int, ...] | None = None
    """Every process holding the socket, sorted; ``()`` if none was found among the
    processes that could be inspected, ``None`` if processes were not looked up."""
    process: str | None = None
    """Name of the first process in :attr:`pids` (``/proc/<pid>/comm``), exact."""
    uid: int | None = None
    """Owner uid of the socket; ``None`` for a TIME_WAIT entry, which has no owner."""
    inode: int | None = None
    """Socket inode (what ``/proc/<pid>/fd`` links to); ``None`` for TIME_WAIT and
    SYN_RECV entries, which are not sockets yet or any more."""
    recv_queue: int | None = None
    """Bytes received and not yet read (for a listener: connections waiting to be
    accepted)."""
    send_queue: int | None = None
    """Bytes sent and not yet acknowledged (TCP) or queued for sending (UDP)."""
    path: str | None = None
    """UNIX socket path; abstract names start with ``@``; ``None`` for unnamed sockets."""
    socket_type: socket.SocketKind | None = None
    """UNIX socket type (``SOCK_STREAM``, ``SOCK_DGRAM``, ``SOCK_SEQPACKET``)."""
    ip_protocol: int | None = None
    """For raw sockets, the IP protocol number served (1 for ICMP, 58 for ICMPv6)."""
    state_text: str | None = None
    """The state exactly as the source printed it, kept when :attr:`state` is
    ``UNKNOWN`` (a state number or localized word this library does not know); ``None``
    otherwise."""
    local_name: NamedEndpoint | None = None
    """The local endpoint as printed with a host or service name (Windows ``netstat``
    without ``-n``); ``None`` when it was printed as numbers."""
    remote_name: NamedEndpoint | None = None
    """The peer as printed with a host or service name (Windows ``netstat`` without
    ``-n``, ``lhr08s05-in-f14:https``); ``None`` when printed as numbers or not
    connected."""
    components: tuple[str, ...] | None = None
    """Windows ``netstat -b``: the lines printed above the ``[program.exe]`` line, in
    order: the service hosted by the program (``RpcSs`` for an ``svchost.exe``) or, with
    ``-v``, the modules involved. ``None`` when the source does not say."""
    cookie: int | None = None
    """The kernel's 64-bit socket cookie: the same socket has the same cookie in every
    query, and no other socket of the running kernel has it. Given by the kernel's
    socket diagnostics (the Linux backend's netlink engine); ``None`` elsewhere."""
    details: SocketDetails | None = None
    """What only the kernel's socket diagnostics give (``tcp_info``, congestion
    algorithm, memory, timer, cgroup, UNIX peer); filled when the query asked for
    ``details=True``, ``None`` otherwise."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge

    @property
    def tcp_info(self) -> TcpInfo | None:
        """The ``tcp_info`` of :attr:`details` (``None`` without details)."""
        return self.details.tcp_info if self.details is not None else None

    @property
    def congestion(self) -> str | None:
        """The congestion algorithm of :attr:`details` (``None`` without details)."""
        return self.details.congestion if self.details is not None else None

    @property
    def is_listening(self) -> bool:
        """True for a TCP/UNIX listener and for a bound, unconnected UDP/UDP-Lite/raw socket."""
        protocol = self.protocol
        if protocol is _TCP or protocol is _UNIX:
            return self.state is _LISTEN
        return self.state is None and self.remote is None


_TCP = Protocol.TCP
_UNIX = Protocol.UNIX
_LISTEN = TcpState.LISTEN


# -- building records fast ---------------------------------------------------------------
#
# A parser or engine that builds 100k Connection records cannot afford attrs' frozen
# __init__ (one object.__setattr__ per field, ~1.3 us a row) nor even the slot
# descriptors' __set__ (~0.85 us). ConnectionDraft is an ordinary, unfrozen class with
# exactly Connection's slots: plain attribute stores into it are specialised by CPython
# (about 0.3 us for every field), and once every field is set, assigning
# ``draft.__class__ = Connection`` turns it into an ordinary frozen, hashable Connection.
# CPython allows that assignment only between classes of identical layout, which is why
# Connection has no __weakref__ slot (weakref_slot=False) and the check below runs at
# import. Every builder of Connection records in bulk uses this one mechanism; a field
# left unset would raise AttributeError when read, so builders set every field.


class ConnectionDraft:
    """An unfrozen twin of :class:`Connection` with the same slots, for building records
    in bulk: set every field, then assign ``__class__ = Connection``."""

    __slots__ = tuple(field.name for field in attrs.fields(Connection))

    protocol: Protocol
    family: socket.AddressFamily | None
    local: Endpoint | None
    remote: Endpoint | None
    state: TcpState | None
    pids: tuple[int, ...] | None
    process: str | None
    uid: int | None
    inode: int | None
    recv_queue: int | None
    send_queue: int | None
    path: str | None
    socket_type: socket.SocketKind | None
    ip_protocol: int | None
    state_text: str | None
    local_name: NamedEndpoint | None
    remote_name: NamedEndpoint | None
    components: tuple[str, ...] | None
    cookie: int | None
    details: SocketDetails | None


class EndpointDraft:
    """An unfrozen twin of :class:`Endpoint`, as :class:`ConnectionDraft` is of
    :class:`Connection`."""

    __slots__ = tuple(field.name for field in attrs.fields(Endpoint))

    address: netaddr.IPAddress
    port: int
    zone: str | None


def _check_draft(draft: Any, record: type) -> None:
    """Fail at import, not in a parser, if a draft no longer matches its record."""
    if set(draft.__annotations__) != set(draft.__slots__):
        raise RuntimeError(f"{draft.__name__}'s annotations do not match its slots")
    probe: Any = object.__new__(draft)
    for name in draft.__slots__:
        setattr(probe, name, None)
    probe.__class__ = record


_check_draft(ConnectionDraft, Connection)
_check_draft(EndpointDraft, Endpoint)


def draft_class(record: type) -> Any:
    """An unfrozen twin of an attrs record class without a ``__weakref__`` slot, made at
    import for a builder that fills records in bulk (as :class:`ConnectionDraft`)."""
    names = tuple(field.name for field in attrs.fields(record))
    # The twin shares the record's base (object, or the slotted _Deferred): same layout.
    base: type = record.__base__ or object
    twin = type(f"{record.__name__}Draft", (base,), {"__slots__": names, "__annotations__": {}})
    twin.__annotations__ = dict.fromkeys(names, "Any")
    _check_draft(twin, record)
    return twin


class RouteFlags(enum.IntFlag):
    """Route flags, the kernel's ``RTF_*`` bits (``include/uapi/linux/route.h`` and
    ``include/uapi/linux/ipv6_route.h``). Bits the kernel adds later are kept as numbers.

    Being an ``IntFlag``, a value orders as its number; a pandas column of flags holds
    their names (``"UP|GATEWAY"``)."""

    UP = 0x0001
    """``RTF_UP``: the route is usable (``netstat -r``'s ``U``). Windows' active routes
    have it; its persistent routes, which are stored configuration, do not."""
    GATEWAY = 0x0002
    """``RTF_GATEWAY``: the destination is reached through a gateway
    (:attr:`Route.gateway`), not directly on the link (``G``)."""
    HOST = 0x0004
    """``RTF_HOST``: a route to one host (a ``/32`` or ``/128``), not to a network
    (``H``)."""
    REINSTATE = 0x0008
    """``RTF_REINSTATE``: reinstate the route after a timeout (``R``); a flag of old
    routing daemons."""
    DYNAMIC = 0x0010
    """``RTF_DYNAMIC``: created dynamically, by an ICMP redirect (``D``)."""
    MODIFIED = 0x0020
    """``RTF_MODIFIED``: modified dynamically, by an ICMP redirect (``M``)."""
    MTU = 0x0040
    """``RTF_MTU`` (also ``RTF_MSS``): the route sets its own MTU or MSS
    (:attr:`Route.mtu`)."""
    WINDOW = 0x0080
    """``RTF_WINDOW``: the route clamps the TCP window (:attr:`Route.window`)."""
    IRTT = 0x0100
    """``RTF_IRTT``: the route sets an initial round-trip time (:attr:`Route.irtt`)."""
    REJECT = 0x0200
    """``RTF_REJECT``: packets to the destination are refused (``!``): unreachable and
    prohibit routes, and the kernel's IPv6 null entries."""
    # IPv6 only (ipv6_route.h).
    DEFAULT = 0x00010000
    """``RTF_DEFAULT`` (IPv6): a default route learned from a router advertisement."""
    ALLONLINK = 0x00020000
    """``RTF_ALLONLINK`` (IPv6): "no router on the link, every address is on-link";
    deprecated, not set by current kernels."""
    ADDRCONF = 0x00040000
    """``RTF_ADDRCONF`` (IPv6): made by address autoconfiguration from a router
    advertisement (SLAAC)."""
    PREFIX_RT = 0x00080000
    """``RTF_PREFIX_RT`` (IPv6): a prefix route from a router advertisement's prefix
    information."""
    ANYCAST = 0x00100000
    """``RTF_ANYCAST`` (IPv6): a route to an anycast address of the host."""
    NONEXTHOP = 0x00200000
    """``RTF_NONEXTHOP`` (IPv6): a route without a next hop: the routes to the host's
    own addresses and the kernel's null entries."""
    EXPIRES = 0x00400000
    """``RTF_EXPIRES`` (IPv6): the route has a lifetime (from a router advertisement)
    and goes away when it ends."""
    ROUTEINFO = 0x00800000
    """``RTF_ROUTEINFO`` (IPv6): learned from a Route Information option of a router
    advertisement (RFC 4191)."""
    CACHE = 0x01000000
    """``RTF_CACHE`` (IPv6): a cached clone of a route for one destination (made for a
    path MTU or a redirect)."""
    FLOW = 0x02000000
    """``RTF_FLOW`` (IPv6): a flow-significant route; not set by current kernels."""
    POLICY = 0x04000000
    """``RTF_POLICY`` (IPv6): a policy route; not set by current kernels."""
    PREF_MASK = 0x18000000
    """``RTF_PREF_MASK`` (IPv6): not a flag but the two bits of a default route's router
    preference (RFC 4191): ``flags & PREF_MASK`` is ``0x08000000`` high, 0 medium,
    ``0x18000000`` low."""
    PCPU = 0x40000000
    """``RTF_PCPU`` (IPv6): a per-CPU cached clone of a route."""
    LOCAL = 0x80000000
    """``RTF_LOCAL`` (IPv6): a route to an address of this host."""


@attrs.frozen(kw_only=True)
class Route:
    """One routing table entry.

    ``gateway`` is ``None`` for an on-link route; ``interface`` is ``None`` for a route
    without a device (IPv4 blackhole, unreachable and prohibit routes, which
    ``/proc/net/route`` prints as ``*``). ``mtu``, ``window`` and ``irtt`` are the
    kernel's columns of that name and ``None`` when the route does not set them; mind
    that the kernel's IPv4 ``MTU`` column is the route's advertised MSS plus 40
    (``ip route ... advmss 1360`` shows as 1400), not ``ip route ... mtu``. ``source``
    is the IPv6 source prefix of a source-specific route (``None`` otherwise).

    Windows (``route print``, ``netstat -r``) names the outgoing interface differently
    per table: the IPv4 table by the interface's own address (:attr:`interface_address`)
    and the IPv6 table by its index (:attr:`interface_index`, linked to the interface
    list's description in :attr:`interface` where the list has it). Its persistent
    routes (stored configuration, re-applied at boot) are records with
    ``persistent=True``; the active table lists the routes in effect.

    Routes are ordered by family, destination (by first address, the larger network
    first: ``0.0.0.0/0`` before ``0.0.0.0/8``), gateway (on-link first), interface,
    metric and then the other fields.
    """

    family: socket.AddressFamily
    """``AF_INET`` or ``AF_INET6``."""
    destination: netaddr.IPNetwork
    """The destination prefix; ``0.0.0.0/0`` or ``::/0`` for a default route."""
    gateway: netaddr.IPAddress | None
    """The next hop; ``None`` for an on-link route (netstat's ``*``)."""
    interface: str | None
    """The outgoing device (``eth0``); ``None`` for a route without a device. Windows
    names interfaces differently: see :attr:`interface_address` and
    :attr:`interface_index`."""
    metric: int | None
    """The route's metric; ``None`` only for a Windows persistent route whose metric is
    ``Default`` (the interface's metric applies)."""
    flags: RouteFlags
    """The kernel's ``RTF_*`` bits (:class:`RouteFlags`); on Windows ``UP``,
    ``GATEWAY`` and ``HOST`` as they apply."""
    mtu: int | None = None
    """IPv4, Linux: the ``MTU`` column of ``/proc/net/route`` (the route's advertised
    MSS plus 40, not ``ip route ... mtu``); ``None`` when 0 (not set)."""
    window: int | None = None
    """IPv4, Linux: the route's TCP window clamp in bytes (``ip route ... window``);
    ``None`` when not set."""
    irtt: int | None = None
    """IPv4, Linux: the route's initial round-trip time as the kernel prints it
    (``ip route ... rtt``); ``None`` when not set."""
    source: netaddr.IPNetwork | None = None
    """IPv6: the source prefix of a source-specific route (``ip -6 route add ... from
    PREFIX``); ``None`` otherwise."""
    interface_address: netaddr.IPAddress | None = None
    """Windows IPv4 routes: the address of the outgoing interface, as printed in the
    ``Interface`` column. ``None`` elsewhere."""
    interface_index: int | None = None
    """Windows IPv6 routes: the interface index (the ``If`` column); also Windows XP IPv4
    routes through an interface without an address, which XP names by index. ``None``
    elsewhere, and for index 0 (no interface)."""
    persistent: bool | None = None
    """Windows: ``True`` for an entry of the ``Persistent Routes`` list, ``False`` for an
    active route; ``None`` where the source has no such notion (Linux)."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge

    @property
    def is_default(self) -> bool:
        """True only for a usable default route: prefix length 0, up, not a reject
        (unreachable, prohibit, the kernel's IPv6 null entries), with a device (an IPv4
        blackhole route has none; a Windows route names it by address or index) and not
        through the loopback device (a default route through a blackhole nexthop object,
        ``ip nexthop add ... blackhole``, is printed by the kernel as an ordinary route
        out of ``lo``; nothing outside the host is reachable that way)."""
        if self.destination.prefixlen != 0 or RouteFlags.UP not in self.flags:
            return False
        if RouteFlags.REJECT in self.flags:
            return False
        if self.interface_address is not None:
            return not self.interface_address.is_loopback()
        if self.interface_index is not None:
            return True
        return self.interface is not None and self.interface != "lo"


@attrs.frozen(kw_only=True)
class InterfaceStats:
    """Traffic counters of one network interface.

    The sixteen counters of ``/proc/net/dev`` carry the names of
    ``/sys/class/net/<name>/statistics/``. Three of the kernel's columns are sums
    (``dev_seq_printf_stats()``): ``rx_dropped`` includes ``rx_missed_errors``,
    ``rx_frame_errors`` includes the length, overrun and CRC errors, and
    ``tx_carrier_errors`` includes the aborted, window and heartbeat errors, so they can
    be larger than the sysfs file of the same name. ``mtu``, ``is_up`` (administratively up and
    with carrier, psutil's ``isup``) and ``speed_mbps`` come from ``/sys/class/net`` and
    are ``None`` where it does not tell (no sysfs for that network namespace, a virtual
    device without a speed).

    A counter the source does not give is ``None``. Windows ``netstat -e`` gives one
    total over all interfaces: that record has ``name=None`` (see :attr:`is_total`), its
    packet counts split into unicast and non-unicast, and no FIFO, frame, compression,
    multicast, collision or carrier counters.

    Records are ordered by name (the total first), then by their counters.
    """

    name: str | None
    """The interface name; ``None`` for a total over all interfaces (Windows
    ``netstat -e``)."""
    rx_bytes: int
    """Bytes received (``/proc/net/dev`` Receive ``bytes``; Windows: Bytes
    Received)."""
    rx_packets: int
    """Packets received (Receive ``packets``; Windows: unicast plus non-unicast)."""
    rx_errors: int
    """Received packets with errors, all kinds together (Receive ``errs``)."""
    rx_dropped: int
    """Received packets dropped without an error: no buffer, a full backlog, a
    protocol the host does not handle (Receive ``drop``, the kernel's ``rx_dropped``
    plus ``rx_missed_errors``; Windows: Discards)."""
    rx_fifo_errors: int | None
    """Receive FIFO overruns: packets the device could not hand over in time
    (Receive ``fifo``)."""
    rx_frame_errors: int | None
    """Receive ``frame``: the kernel's sum of frame alignment, length, ring overflow
    and CRC errors."""
    rx_compressed: int | None
    """Compressed packets received (Receive ``compressed``: CSLIP and PPP
    compression)."""
    multicast: int | None
    """Multicast packets received (Receive ``multicast``)."""
    tx_bytes: int
    """Bytes sent (Transmit ``bytes``; Windows: Bytes Sent)."""
    tx_packets: int
    """Packets sent (Transmit ``packets``; Windows: unicast plus non-unicast)."""
    tx_errors: int
    """Packets that failed to be sent, all kinds of error together (Transmit
    ``errs``)."""
    tx_dropped: int
    """Packets dropped on their way out, such as for lack of buffers (Transmit
    ``drop``; Windows: Discards)."""
    tx_fifo_errors: int | None
    """Transmit FIFO underruns (Transmit ``fifo``)."""
    collisions: int | None
    """Collisions on a shared, half-duplex medium (Transmit ``colls``); 0 on
    full-duplex links."""
    tx_carrier_errors: int | None
    """Transmit ``carrier``: the kernel's sum of carrier, aborted, window and heartbeat
    errors."""
    tx_compressed: int | None
    """Compressed packets sent (Transmit ``compressed``)."""
    mtu: int | None = None
    """The interface's MTU in bytes, from the kernel (for this network namespace) or a
    ``sys/class/net`` folder; ``None`` where neither tells."""
    is_up: bool | None = None
    """Administratively up (``IFF_UP``) and with carrier, like psutil's ``isup``;
    ``None`` where unknown."""
    speed_mbps: int | None = None
    """The link speed in Mbit/s (``/sys/class/net/<name>/speed``); ``None`` for virtual
    devices, unknown speeds and where unknown."""
    rx_unicast_packets: int | None = None
    """Unicast packets received (Windows ``netstat -e``); ``None`` where not given."""
    rx_non_unicast_packets: int | None = None
    """Broadcast and multicast packets received (Windows); ``None`` where not given."""
    tx_unicast_packets: int | None = None
    """Unicast packets sent (Windows); ``None`` where not given."""
    tx_non_unicast_packets: int | None = None
    """Broadcast and multicast packets sent (Windows); ``None`` where not given."""
    rx_unknown_protocols: int | None = None
    """Packets received for a protocol the host does not handle (Windows ``Unknown
    protocols``); ``None`` where not given."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge

    @property
    def is_total(self) -> bool:
        """True for a record that sums all interfaces (Windows ``netstat -e``)."""
        return self.name is None


_V = TypeVar("_V")


class _FrozenMapping(Mapping[str, _V]):
    """An immutable, hashable mapping from name to value, in the order it was given."""

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[str, _V] | Any = ()) -> None:
        self._data: dict[str, _V] = dict(items)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> _V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _FrozenMapping):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


class Counters(_FrozenMapping[int]):
    """An immutable, hashable mapping from counter name to value, in source order."""

    __slots__ = ()


def _to_counters(value: Mapping[str, int] | Counters) -> Counters:
    return value if isinstance(value, Counters) else Counters(value)


@attrs.frozen(kw_only=True)
class ProtocolStats:
    """The counters of one protocol group, named as the kernel names them.

    ``group`` is the kernel's group (``Ip``, ``Icmp``, ``IcmpMsg``, ``Tcp``, ``Udp``,
    ``UdpLite``, ``TcpExt``, ``IpExt``, ``MPTcpExt``, ``Ip6``, ``Icmp6``, ``Udp6``,
    ``UdpLite6``); ``counters`` maps the kernel's counter names to values. What
    ``nstat`` prints as ``TcpActiveOpens`` is ``group="Tcp"``, ``counters["ActiveOpens"]``.
    Every counter the source has is kept; none is required. Records are ordered by group
    name, then by their counters.
    """

    group: str
    """The kernel's group name: ``Tcp``, ``TcpExt``, ``Ip6``, ... (Windows adds
    ``Tcp6``)."""
    counters: Counters = attrs.field(converter=_to_counters)
    """Every counter of the group, by the kernel's name (``ActiveOpens``), in the order
    the source printed them; read-only."""

    __lt__ = _record_lt
    __le__ = _record_le
    __gt__ = _record_gt
    __ge__ = _record_ge

    def __getitem__(self, name: str) -> int:
        return self.counters[name]


_KEYERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    bool: _number_key,
    int: _number_key,
    float: _number_key,
    str: _text_key,
    Protocol: _protocol_key,
    TcpState: _state_key,
    Endpoint: _endpoint_key,
    NamedEndpoint: _named_endpoint_key,
    netaddr.IPAddress: _address_key,
    netaddr.IPNetwork: _network_key,
    tuple: _tuple_key,
    list: _list_key,
    Counters: _mapping_key,
    dict: _mapping_key,
    socket.AddressFamily: _number_key,
    socket.SocketKind: _number_key,
    RouteFlags: _number_key,
}
