"""netstatlib: everything ``netstat`` answers, as typed Python records.

>>> import netstatlib
>>> print(netstatlib.listening())                 # doctest: +SKIP
>>> netstatlib.connections("tcp", where=lambda c: c.remote is not None)  # doctest: +SKIP

The query functions return a :class:`Table` of frozen records (:class:`Connection`,
:class:`Route`, :class:`InterfaceStats`, :class:`ProtocolStats`). Parsers live in
:mod:`netstatlib.parsers`, backends in :mod:`netstatlib.backends`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import audits
from ._errors import (
    AccessDeniedError,
    CommandError,
    CommandTimeoutError,
    FilterError,
    NetstatError,
    ParseError,
    SourceNotFoundError,
    UnsupportedError,
    UsageError,
)
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
    TcpState,
)
from ._predicates import F, Field, Predicate
from ._query import (
    KINDS,
    connections,
    interface_stats,
    listening,
    protocol_stats,
    routes,
)
from ._ssfilter import compile_filter
from ._table import Table

if TYPE_CHECKING:
    from ._capture import (
        CaptureManifest,
        capture_linux,
        capture_windows,
        open_capture,
        read_manifest,
        windows_capture_runner,
    )
    from ._resolve import NameCache, resolve_names

# Captures and name resolution load on first use: a program that only queries does not
# pay for their imports (tempfile, json, threading, ...: about 10 ms at start-up).
_LAZY = {
    "CaptureManifest": "._capture",
    "capture_linux": "._capture",
    "capture_windows": "._capture",
    "open_capture": "._capture",
    "read_manifest": "._capture",
    "windows_capture_runner": "._capture",
    "NameCache": "._resolve",
    "resolve_names": "._resolve",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "KINDS",
    "AccessDeniedError",
    "CaptureManifest",
    "CommandError",
    "CommandTimeoutError",
    "Connection",
    "Counters",
    "Endpoint",
    "F",
    "Field",
    "FilterError",
    "InterfaceStats",
    "NameCache",
    "NamedEndpoint",
    "NetstatError",
    "ParseError",
    "Predicate",
    "Protocol",
    "ProtocolStats",
    "Route",
    "RouteFlags",
    "SourceNotFoundError",
    "Table",
    "TcpState",
    "UnsupportedError",
    "UsageError",
    "__version__",
    "audits",
    "capture_linux",
    "capture_windows",
    "compile_filter",
    "connections",
    "interface_stats",
    "listening",
    "open_capture",
    "protocol_stats",
    "read_manifest",
    "resolve_names",
    "routes",
    "windows_capture_runner",
]
