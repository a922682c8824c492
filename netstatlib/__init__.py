"""netstatlib: everything ``netstat`` answers, as typed Python records.

>>> import netstatlib
>>> print(netstatlib.listening())                 # doctest: +SKIP
>>> netstatlib.connections("tcp", where=lambda c: c.remote is not None)  # doctest: +SKIP

The query functions return a :class:`Table` of frozen records (:class:`Connection`,
:class:`Route`, :class:`InterfaceStats`, :class:`ProtocolStats`). Parsers live in
:mod:`netstatlib.parsers`, backends in :mod:`netstatlib.backends`, filters (predicates,
the ss language, query planning) in :mod:`netstatlib.filters`.
"""

# First, before anything slow: Ctrl-C while the `netstatlib` command starts exits quietly
# with status 130 instead of printing a traceback (a program importing netstatlib is left
# alone; see _interrupt.py).
from ._interrupt import guard_command_start as _guard_command_start

_guard_command_start()

import types as _types
import typing as _typing

from . import audits, backends, filters, parsers
from ._counters import INTERFACE_FIELD_KINDS, PROTOCOL_GAUGES, CounterKind, counter_kind
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
from ._identity import connection_identity
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
from ._query import (
    KINDS,
    connections,
    interface_stats,
    listening,
    protocol_stats,
    routes,
)
from ._table import GroupCounts, Table
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
    from ._diff import Change, SnapshotDiff, diff
    from ._rates import (
        ConnectionRate,
        InterfaceRate,
        PerSecond,
        ProcessRate,
        ProtocolRate,
        Rates,
        rates,
    )
    from ._resolve import NameCache, resolve_names
    from ._snapshot import Snapshot, load_snapshot, snapshot
    from ._watch import Sample, watch

__all__ = [
    "INTERFACE_FIELD_KINDS",
    "KINDS",
    "PROTOCOL_GAUGES",
    "AccessDeniedError",
    "CaptureManifest",
    "Change",
    "CommandError",
    "CommandTimeoutError",
    "Connection",
    "ConnectionRate",
    "CounterKind",
    "Counters",
    "Endpoint",
    "F",
    "Field",
    "FilterError",
    "GroupCounts",
    "InterfaceRate",
    "InterfaceStats",
    "NameCache",
    "NamedEndpoint",
    "NetstatError",
    "ParseError",
    "PerSecond",
    "Predicate",
    "ProcessRate",
    "Protocol",
    "ProtocolRate",
    "ProtocolStats",
    "Rates",
    "Route",
    "RouteFlags",
    "Sample",
    "Snapshot",
    "SnapshotDiff",
    "SocketDetails",
    "SocketMemory",
    "SocketTimer",
    "SourceNotFoundError",
    "Table",
    "TcpInfo",
    "TcpState",
    "UnsupportedError",
    "UsageError",
    "__version__",
    "audits",
    "backends",
    "capture_linux",
    "capture_windows",
    "compile_filter",
    "connection_identity",
    "connections",
    "counter_kind",
    "diff",
    "filters",
    "interface_stats",
    "listening",
    "load_snapshot",
    "open_capture",
    "parsers",
    "protocol_stats",
    "rates",
    "read_manifest",
    "resolve_names",
    "routes",
    "snapshot",
    "watch",
    "windows_capture_runner",
]

# Captures, name resolution and monitoring load on first use: a program that only
# queries does not pay for their imports (threading, queue, ..., the capture writer, the
# snapshot format).
_LAZY = {
    "CaptureManifest": "_capture",
    "capture_linux": "_capture",
    "capture_windows": "_capture",
    "open_capture": "_capture",
    "read_manifest": "_capture",
    "windows_capture_runner": "_capture",
    "NameCache": "_resolve",
    "resolve_names": "_resolve",
    "Snapshot": "_snapshot",
    "load_snapshot": "_snapshot",
    "snapshot": "_snapshot",
    "Change": "_diff",
    "SnapshotDiff": "_diff",
    "diff": "_diff",
    "ConnectionRate": "_rates",
    "InterfaceRate": "_rates",
    "PerSecond": "_rates",
    "ProcessRate": "_rates",
    "ProtocolRate": "_rates",
    "Rates": "_rates",
    "rates": "_rates",
    "Sample": "_watch",
    "watch": "_watch",
}


def __getattr__(name: str) -> object:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module: _types.ModuleType
    if where == "_resolve":
        from . import _resolve as module
    elif where == "_snapshot":
        from . import _snapshot as module
    elif where == "_diff":
        from . import _diff as module
    elif where == "_rates":
        from . import _rates as module
    elif where == "_watch":
        from . import _watch as module
    else:
        from . import _capture as module
    value: object = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
