"""Records as JSON values and back, exactly: what a saved snapshot holds.

Each record becomes a JSON object of its fields, a field that is ``None`` left out.
Values are written in one spelling each: an endpoint as ``["10.0.0.5", 22]`` (with a
third item, its zone, where it has one), an address or a network in its canonical text,
enums by name (``"ESTABLISHED"``, ``"AF_INET6"``, ``"SOCK_STREAM"``; ``Protocol`` by its
value, ``"tcp"``), route flags as their number, tuples as lists.

Reading is strict, because a saved file may come from anyone: an unknown key, a value of
the wrong type, a number out of the range the kernel gives, an address or a network not
in the canonical text the writer uses, an empty string where the record would hold
``None``: each raises ``ValueError`` or ``TypeError`` with a message saying which field;
the caller (``load_snapshot()``) turns it into a :class:`~netstatlib.ParseError` naming
its file. A record read back equals the record written.
"""

from __future__ import annotations

import math
import socket
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import netaddr

from ._capture_format import MAX_INODE, _shown
from ._model import (
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
    TcpInfo,
    TcpState,
)
from ._sources import MAX_PID

__all__ = [
    "decode_connection",
    "decode_finite",
    "decode_interface",
    "decode_protocol",
    "decode_route",
    "encode_connection",
    "encode_interface",
    "encode_protocol",
    "encode_route",
]

R = TypeVar("R")
Decoder = Callable[[object, str], Any]

_U8 = 0xFF
_U16 = 0xFFFF
_U32 = 0xFFFF_FFFF
_U64 = 0xFFFF_FFFF_FFFF_FFFF

_FAMILIES = {
    family.name: family
    for family in (socket.AddressFamily.AF_INET, socket.AddressFamily.AF_INET6, socket.AF_UNIX)
}
_INET_FAMILIES = {
    socket.AddressFamily.AF_INET: 4,
    socket.AddressFamily.AF_INET6: 6,
}
_SOCKET_KINDS = {
    kind.name: kind
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET, socket.SOCK_RAW)
}
_PROTOCOLS = {protocol.value: protocol for protocol in Protocol}
_STATES = {state.name: state for state in TcpState}
_BY_NAME = (TcpState, socket.AddressFamily, socket.SocketKind)  # written by name


# -- writing -----------------------------------------------------------------------------


def _endpoint_value(endpoint: Endpoint) -> list[Any]:
    value: list[Any] = [str(endpoint.address), endpoint.port]
    if endpoint.zone is not None:
        value.append(endpoint.zone)
    return value


def _named_value(named: NamedEndpoint) -> dict[str, Any]:
    return {
        key: value
        for key, value in (("host", named.host), ("port", named.port), ("service", named.service))
        if value is not None
    }


def _encoded(record: Any, convert: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """The fields of an attrs record that are not ``None``, each value passed through
    ``convert`` (kept as it is without one)."""
    value: dict[str, Any] = {}
    for field in attrs.fields(type(record)):
        item = getattr(record, field.name)
        if item is not None:
            value[field.name] = item if convert is None else convert(item)
    return value


def _plain_record(record: Any) -> dict[str, Any]:
    """The fields of a record of numbers and strings (``TcpInfo``, ``SocketMemory``,
    ``SocketTimer``, ``InterfaceStats``) that are not ``None``."""
    return _encoded(record)


def _details_item(item: Any) -> Any:
    if isinstance(item, TcpInfo | SocketMemory | SocketTimer):
        return _plain_record(item)
    return item


def _details_value(details: SocketDetails) -> dict[str, Any]:
    return _encoded(details, _details_item)


def _connection_item(item: Any) -> Any:
    if isinstance(item, Protocol):
        return item.value
    if isinstance(item, _BY_NAME):
        return item.name
    if isinstance(item, Endpoint):
        return _endpoint_value(item)
    if isinstance(item, NamedEndpoint):
        return _named_value(item)
    if isinstance(item, tuple):
        return list(item)
    if isinstance(item, SocketDetails):
        return _details_value(item)
    return item


def encode_connection(connection: Connection) -> dict[str, Any]:
    """``connection`` as a JSON object (see the module's docstring)."""
    return _encoded(connection, _connection_item)


def _route_item(item: Any) -> Any:
    if isinstance(item, socket.AddressFamily):
        return item.name
    if isinstance(item, RouteFlags):
        return int(item)
    if isinstance(item, netaddr.IPAddress | netaddr.IPNetwork):
        return str(item)
    return item


def encode_route(route: Route) -> dict[str, Any]:
    """``route`` as a JSON object."""
    return _encoded(route, _route_item)


def encode_interface(stats: InterfaceStats) -> dict[str, Any]:
    """``stats`` as a JSON object."""
    return _plain_record(stats)


def encode_protocol(stats: ProtocolStats) -> dict[str, Any]:
    """``stats`` as a JSON object: its group and its counters, in the source's order."""
    return {"group": stats.group, "counters": dict(stats.counters)}


# -- reading -----------------------------------------------------------------------------


def _whole(low: int, high: int) -> Decoder:
    def decode(value: object, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{what} is {_shown(value)}, not a whole number from {low} to {high}")
        return value

    return decode


def _finite(*, low: float = -math.inf) -> Decoder:
    def decode(value: object, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{what} is {_shown(value)}, not a number")
        try:
            number = float(value)
        except OverflowError:  # a whole number of hundreds of digits
            number = math.inf
        if not math.isfinite(number) or number < low:
            raise ValueError(f"{what} is {_shown(value)}, not a finite number from {low}")
        return number

    return decode


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} is {_shown(value)}, not a string")
    if not value:
        raise ValueError(f"{what} is an empty string (an unknown value is left out)")
    return value


def _boolean(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} is {_shown(value)}, not true or false")
    return value


def _choice(names: Mapping[str, R]) -> Callable[[object, str], R]:
    def decode(value: object, what: str) -> R:
        if not isinstance(value, str) or value not in names:
            raise ValueError(f"{what} is {_shown(value)}, not one of {', '.join(names)}")
        return names[value]

    return decode


def _address(value: object, what: str) -> netaddr.IPAddress:
    return _canonical(value, what, netaddr.IPAddress, "an IP address in canonical form")


def _network(value: object, what: str) -> netaddr.IPNetwork:
    return _canonical(value, what, netaddr.IPNetwork, "an IP network (address/length)")


_Parsed = TypeVar("_Parsed", netaddr.IPAddress, netaddr.IPNetwork)


def _canonical(value: object, what: str, parse: Callable[[str], _Parsed], expected: str) -> _Parsed:
    """``value`` parsed, when it is the text the parsed value prints as."""
    text = _text(value, what)
    try:
        parsed: _Parsed | None = parse(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        parsed = None
    if parsed is None or str(parsed) != text:
        raise ValueError(f"{what} is {_shown(value)}, not {expected}")
    return parsed


_port = _whole(0, _U16)
decode_finite = _finite()
"""A finite number (an ``int`` or a ``float``), as a ``float``."""


def _endpoint(value: object, what: str) -> Endpoint:
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise TypeError(f"{what} is {_shown(value)}, not [address, port] or [address, port, zone]")
    zone = _text(value[2], f"{what}'s zone") if len(value) == 3 else None
    return Endpoint(
        address=_address(value[0], f"{what}'s address"),
        port=_port(value[1], f"{what}'s port"),
        zone=zone,
    )


def _object(value: object, what: str, known: Mapping[str, Decoder]) -> dict[str, Any]:
    """The members of the JSON object ``value``, each decoded; an unknown one is refused."""
    if not isinstance(value, dict):
        raise TypeError(f"{what} is {_shown(value)}, not an object")
    decoded: dict[str, Any] = {}
    for key, item in value.items():
        decoder = known.get(key)
        if decoder is None:
            raise ValueError(f"{what} has an unknown member {_shown(key)}")
        if item is None:
            raise ValueError(f"{what}'s {key} is null (an unknown value is left out)")
        decoded[key] = decoder(item, f"{what}'s {key}")
    return decoded


def _list_of(decoder: Decoder, *, sorted_unique: bool = False) -> Decoder:
    def decode(value: object, what: str) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise TypeError(f"{what} is {_shown(value)}, not a list")
        items = tuple(decoder(item, f"{what}[{index}]") for index, item in enumerate(value))
        if sorted_unique and list(items) != sorted(set(items)):
            raise ValueError(f"{what} is {_shown(value)}, not sorted without repeats")
        return items

    return decode


def _numbers(record: type, *, low: int = 0, high: int = _U64, floats_from: float = 0.0) -> Any:
    """Decoders for every field of a record of numbers (and strings), from its annotations:
    ``int`` a whole number from ``low`` to ``high``, ``float`` a finite number from
    ``floats_from``, ``str`` a non-empty string, ``bool`` true or false."""
    hints = typing.get_type_hints(record)
    decoders: dict[str, Decoder] = {}
    required: set[str] = set()
    for field in attrs.fields(record):
        options = set(typing.get_args(hints[field.name])) or {hints[field.name]}
        if type(None) not in options:
            required.add(field.name)
        options.discard(type(None))
        (kind,) = options
        decoders[field.name] = {
            int: _whole(low, high),
            float: _finite(low=floats_from),
            str: _text,
            bool: _boolean,
        }[kind]
    return decoders, frozenset(required)


def _build(record: type[R], decoders: tuple[Mapping[str, Decoder], frozenset[str]]) -> Decoder:
    """The decoder of a record from the decoders of its fields and the names of those
    that must be given (any other is ``None`` when left out)."""
    known, required = decoders
    if set(known) != {field.name for field in attrs.fields(record)}:  # type: ignore[arg-type]
        raise RuntimeError(f"the snapshot format does not cover every field of {record}")

    def decode(value: object, what: str) -> R:
        fields = _object(value, what, known)
        missing = sorted(required - fields.keys())
        if missing:
            raise ValueError(f"{what} has no {', '.join(missing)}")
        return record(**{**absent, **fields})

    absent = dict.fromkeys(known)  # a member left out is None
    return decode


_named = _build(
    NamedEndpoint, ({"host": _text, "port": _port, "service": _text}, frozenset({"host"}))
)
_tcp_info = _build(TcpInfo, _numbers(TcpInfo))
_memory = _build(SocketMemory, _numbers(SocketMemory))
_timer = _build(SocketTimer, _numbers(SocketTimer, floats_from=-math.inf))
_details = _build(
    SocketDetails,
    (
        {
            "tcp_info": _tcp_info,
            "congestion": _text,
            "memory": _memory,
            "timer": _timer,
            "cgroup_id": _whole(0, _U64),
            "peer_inode": _whole(1, MAX_INODE),
            "backlog": _whole(0, _U32),
        },
        frozenset(),
    ),
)

_CONNECTION: dict[str, Decoder] = {
    "protocol": _choice(_PROTOCOLS),
    "family": _choice(_FAMILIES),
    "local": _endpoint,
    "remote": _endpoint,
    "state": _choice(_STATES),
    "pids": _list_of(_whole(1, MAX_PID), sorted_unique=True),
    "process": _text,
    "uid": _whole(0, _U32),
    "inode": _whole(1, MAX_INODE),
    "recv_queue": _whole(0, _U64),
    "send_queue": _whole(0, _U64),
    "path": _text,
    "socket_type": _choice(_SOCKET_KINDS),
    "ip_protocol": _whole(0, _U8),
    "state_text": _text,
    "local_name": _named,
    "remote_name": _named,
    "components": _list_of(_text),
    "cookie": _whole(0, _U64),
    "details": _details,
}
_connection = _build(Connection, (_CONNECTION, frozenset({"protocol"})))


def decode_connection(value: object, what: str) -> Connection:
    """The :class:`~netstatlib.Connection` a JSON value written by
    :func:`encode_connection` stands for; ``what`` names it in errors."""
    connection: Connection = _connection(value, what)
    version = _INET_FAMILIES.get(connection.family)  # type: ignore[arg-type]
    for side, endpoint in (("local", connection.local), ("remote", connection.remote)):
        if endpoint is not None and endpoint.address.version != version:
            raise ValueError(f"{what}'s {side} address is not of its family")
    return connection


_ROUTE: dict[str, Decoder] = {
    "family": _choice({name: f for name, f in _FAMILIES.items() if f in _INET_FAMILIES}),
    "destination": _network,
    "gateway": _address,
    "interface": _text,
    "metric": _whole(0, _U32),
    "flags": lambda value, what: RouteFlags(_whole(0, _U32)(value, what)),
    "mtu": _whole(0, _U32),
    "window": _whole(0, _U32),
    "irtt": _whole(0, _U32),
    "source": _network,
    "interface_address": _address,
    "interface_index": _whole(1, _U32),
    "persistent": _boolean,
}
_route = _build(Route, (_ROUTE, frozenset({"family", "destination", "flags"})))


def decode_route(value: object, what: str) -> Route:
    """The :class:`~netstatlib.Route` a JSON value written by :func:`encode_route` stands
    for."""
    route: Route = _route(value, what)
    version = _INET_FAMILIES[route.family]
    for name in ("destination", "gateway", "source", "interface_address"):
        item = getattr(route, name)
        if item is not None and item.version != version:
            raise ValueError(f"{what}'s {name} is not of its family {route.family.name}")
    return route


_interface = _build(InterfaceStats, _numbers(InterfaceStats))


def decode_interface(value: object, what: str) -> InterfaceStats:
    """The :class:`~netstatlib.InterfaceStats` a JSON value written by
    :func:`encode_interface` stands for."""
    stats: InterfaceStats = _interface(value, what)
    return stats


# The kernel prints a counter as an unsigned long, and some settings as signed numbers
# (Tcp MaxConn is -1): 64 bits either way.
_counter = _whole(-(1 << 63), _U64)


def decode_protocol(value: object, what: str) -> ProtocolStats:
    """The :class:`~netstatlib.ProtocolStats` a JSON value written by
    :func:`encode_protocol` stands for."""
    if not isinstance(value, dict):
        raise TypeError(f"{what} is {_shown(value)}, not an object")
    unknown = sorted(value.keys() - {"group", "counters"})
    if unknown:
        raise ValueError(f"{what} has an unknown member {_shown(unknown[0])}")
    group = _text(value.get("group"), f"{what}'s group")
    counters = value.get("counters")
    if not isinstance(counters, dict):
        raise TypeError(f"{what}'s counters are {_shown(counters)}, not an object")
    return ProtocolStats(
        group=group,
        counters=Counters(
            {
                _text(name, f"a counter name of {what}"): _counter(number, f"{group} {name}")
                for name, number in counters.items()
            }
        ),
    )
