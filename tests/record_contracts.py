"""Shared by the contract tests: does a record hold values of its annotated types?"""

from __future__ import annotations

import socket
import types
import typing
from typing import Any

import attrs
import netaddr

import netstatlib
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
    TcpInfo,
    TcpState,
)

NAMESPACE = {
    "Connection": Connection,
    "PerSecond": netstatlib.PerSecond,
    "Endpoint": Endpoint,
    "NamedEndpoint": NamedEndpoint,
    "Protocol": Protocol,
    "TcpState": TcpState,
    "RouteFlags": RouteFlags,
    "Counters": Counters,
    "SocketDetails": SocketDetails,
    "SocketMemory": SocketMemory,
    "SocketTimer": SocketTimer,
    "TcpInfo": TcpInfo,
    "netaddr": netaddr,
    "socket": socket,
}


def _allowed(annotation: Any) -> tuple[type, ...]:
    """The runtime types an annotation admits (``X | None`` -> (X, NoneType))."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return tuple(t for arg in typing.get_args(annotation) for t in _allowed(arg))
    if annotation is None or annotation is type(None):
        return (type(None),)
    origin = typing.get_origin(annotation)
    return (origin,) if origin is not None else (annotation,)


def check_record(record: object) -> None:
    hints = typing.get_type_hints(type(record), globalns=NAMESPACE)
    for field in attrs.fields(type(record)):
        value = getattr(record, field.name)
        allowed = _allowed(hints[field.name])
        assert isinstance(value, allowed), (type(record).__name__, field.name, value, allowed)
        if isinstance(value, tuple):
            hint = hints[field.name]
            union = isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
            (item_type,) = (
                {t for t in typing.get_args(hint) if t is not type(None)} if union else {hint}
            )
            (item,) = typing.get_args(item_type)[:1]
            assert all(isinstance(element, item) for element in value), (field.name, value)
        if isinstance(value, Endpoint | SocketDetails | SocketMemory | SocketTimer | TcpInfo):
            check_record(value)
            assert 0 <= value.port <= 0xFFFF
        if isinstance(value, str):
            assert value != "", (type(record).__name__, field.name)  # None, never ""
    if isinstance(record, ProtocolStats):
        assert all(isinstance(v, int) for v in record.counters.values())


QUERIES = {
    "connections": (lambda backend: netstatlib.connections("all", backend=backend), Connection),
    "listening": (lambda backend: netstatlib.listening("all", backend=backend), Connection),
    "routes": (lambda backend: netstatlib.routes(backend=backend), Route),
    "interface_stats": (
        lambda backend: netstatlib.interface_stats(backend=backend),
        InterfaceStats,
    ),
    "protocol_stats": (lambda backend: netstatlib.protocol_stats(backend=backend), ProtocolStats),
}
