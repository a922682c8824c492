"""netstatlib: everything ``netstat`` answers, as typed Python records.

>>> import netstatlib
>>> print(netstatlib.listening())                 # doctest: +SKIP
>>> netstatlib.connections("tcp", where=lambda c: c.remote is not None)  # doctest: +SKIP

The query functions return a :class:`Table` of frozen records (:class:`Connection`,
:class:`Route`, :class:`InterfaceStats`, :class:`ProtocolStats`). Parsers live in
:mod:`netstatlib.parsers`, backends in :mod:`netstatlib.backends`, filters (predicates,
the ss language, query planning) in :mod:`netstatlib.filters`.
"""

import typing as _typing

from . import audits, backends, filters, parsers
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
from ._query import (
    KINDS,
    connections,
    interface_stats,
    listening,
    protocol_stats,
    routes,
)
from ._table import Table
from ._version import __version__
from .filters import F, Field, Predicate, compile_filter

if _typing.TYPE_CHECKING:
    from ._capture import (
        CaptureManifest,
        capture_linux,
        capture_windows,
        open_capture,
        read_manifest,
        windows_capture_runner,
    )
    from ._resolve import NameCache, resolve_names

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
    "backends",
    "capture_linux",
    "capture_windows",
    "compile_filter",
    "connections",
    "filters",
    "interface_stats",
    "listening",
    "open_capture",
    "parsers",
    "protocol_stats",
    "read_manifest",
    "resolve_names",
    "routes",
    "windows_capture_runner",
]

# Captures and name resolution load on first use: a program that only queries does not
# pay for their imports (threading, queue, ..., and the capture writer).
_LAZY = frozenset(
    {
        "CaptureManifest",
        "capture_linux",
        "capture_windows",
        "open_capture",
        "read_manifest",
        "windows_capture_runner",
        "NameCache",
        "resolve_names",
    }
)


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in ("NameCache", "resolve_names"):
        from ._resolve import NameCache, resolve_names

        loaded: dict[str, object] = {"NameCache": NameCache, "resolve_names": resolve_names}
    else:
        from ._capture import (
            CaptureManifest,
            capture_linux,
            capture_windows,
            open_capture,
            read_manifest,
            windows_capture_runner,
        )

        loaded = {
            "CaptureManifest": CaptureManifest,
            "capture_linux": capture_linux,
            "capture_windows": capture_windows,
            "open_capture": open_capture,
            "read_manifest": read_manifest,
            "windows_capture_runner": windows_capture_runner,
        }
    globals().update(loaded)
    return loaded[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
