"""Socket tables and the kind names that stand for sets of them: one definition for the
query layer (``kind=``) and for the backends (what they list, what psutil is asked)."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from types import MappingProxyType

from ._model import Protocol

__all__ = ["KINDS", "SocketTable"]

SocketTable = tuple[Protocol, socket.AddressFamily]
"""One socket table: a protocol and an address family, e.g. ``(Protocol.TCP, AF_INET6)``."""

_INET = socket.AddressFamily.AF_INET
_INET6 = socket.AddressFamily.AF_INET6

TCP4: SocketTable = (Protocol.TCP, _INET)
TCP6: SocketTable = (Protocol.TCP, _INET6)
UDP4: SocketTable = (Protocol.UDP, _INET)
UDP6: SocketTable = (Protocol.UDP, _INET6)
UDPLITE4: SocketTable = (Protocol.UDPLITE, _INET)
UDPLITE6: SocketTable = (Protocol.UDPLITE, _INET6)
RAW4: SocketTable = (Protocol.RAW, _INET)
RAW6: SocketTable = (Protocol.RAW, _INET6)
UNIX: SocketTable = (Protocol.UNIX, socket.AddressFamily.AF_UNIX)

# psutil's kind names (net_connections) plus udplite and raw. "inet" is TCP and UDP over
# IPv4 and IPv6, as in psutil; "all" is every socket table.
KINDS: Mapping[str, frozenset[SocketTable]] = MappingProxyType(
    {
        "tcp4": frozenset({TCP4}),
        "tcp6": frozenset({TCP6}),
        "tcp": frozenset({TCP4, TCP6}),
        "udp4": frozenset({UDP4}),
        "udp6": frozenset({UDP6}),
        "udp": frozenset({UDP4, UDP6}),
        "udplite4": frozenset({UDPLITE4}),
        "udplite6": frozenset({UDPLITE6}),
        "udplite": frozenset({UDPLITE4, UDPLITE6}),
        "raw4": frozenset({RAW4}),
        "raw6": frozenset({RAW6}),
        "raw": frozenset({RAW4, RAW6}),
        "inet4": frozenset({TCP4, UDP4}),
        "inet6": frozenset({TCP6, UDP6}),
        "inet": frozenset({TCP4, TCP6, UDP4, UDP6}),
        "unix": frozenset({UNIX}),
        "all": frozenset({TCP4, TCP6, UDP4, UDP6, UDPLITE4, UDPLITE6, RAW4, RAW6, UNIX}),
    }
)
"""The ``kind`` names :func:`~netstatlib.connections` and :func:`~netstatlib.listening`
take, each mapped to the socket tables it stands for, as ``(Protocol, family)`` pairs.
psutil's names (``tcp``, ``tcp4``, ``tcp6``, ``udp``, ``udp4``, ``udp6``, ``inet``,
``inet4``, ``inet6``, ``unix``, ``all``) plus ``udplite``, ``udplite4``, ``udplite6``,
``raw``, ``raw4`` and ``raw6``: ``"tcp"`` is TCP over IPv4 and IPv6, ``"inet"`` TCP
and UDP over both, ``"all"`` every table. Read-only."""
