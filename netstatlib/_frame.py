"""Records as pandas columns: what :meth:`Table.to_pandas` and :meth:`GroupCounts.to_pandas`
build.

Strategy: every column holds values pandas works with directly, so that ``groupby``,
``sort_values``, ``value_counts``, plotting and ``to_json()`` need no help:

* enums become categoricals of their names (``Protocol`` of its value, ``"tcp"``),
  ordered where the enum is ordered (protocols, states, families, socket types);
* an endpoint becomes three columns: its text (``"10.0.0.5:22"``), its address and its
  port; addresses and networks become ordered categoricals of their text, whose order
  is the addresses' own (``10.0.0.9`` before ``10.0.0.10``, IPv4 before IPv6), so
  sorting by them is natural and the values stay plain strings;
* route flags become their names joined by ``|`` (``"UP|GATEWAY"``);
* integers that may be missing use pandas' nullable ``Int64``, booleans ``boolean``;
* anything else (socket details, tuples of pids) becomes plain Python values (dicts,
  tuples of plain values), never library or netaddr objects;
* text holding bytes that are not UTF-8 (a UNIX socket path or a process name, which
  Python keeps as surrogate escapes) shows each such byte as ``\\xNN``, as Python prints
  undecodable bytes: no encoder accepts a lone surrogate, so a frame holding one could
  not be written as JSON, CSV or Parquet. The records keep the exact text.

pandas is imported by the caller and passed in: this module does not import it.
"""

from __future__ import annotations

import enum
import re
import socket
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Union

import attrs
import netaddr

from ._model import Endpoint, NamedEndpoint, Protocol, RouteFlags, TcpState, sort_key

__all__ = [
    "ENDPOINT_PARTS",
    "columns",
    "declared_kinds",
    "frame",
    "plain_value",
    "route_flag_names",
    "value_text",
]

ENDPOINT_PARTS: Mapping[str, tuple[str, str]] = types.MappingProxyType(
    {
        "local_address": ("local", "address"),
        "local_port": ("local", "port"),
        "remote_address": ("remote", "address"),
        "remote_port": ("remote", "port"),
    }
)
"""The names of an endpoint's parts, as the filters (``F.local_port``) and the pandas
columns name them."""

# Single-bit flags only: PREF_MASK is a two-bit field, and what Python yields when a
# Flag class is iterated differs between 3.10 (every member) and 3.11 (single bits).
_ROUTE_FLAG_BITS: tuple[RouteFlags, ...] = tuple(
    member for member in RouteFlags.__members__.values() if member.bit_count() == 1
)

_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1

# The categories a column of these always has, whatever the table holds, so that tables
# of different hosts concatenate and plots keep their axes.
_FAMILIES = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6)
_SOCKET_KINDS = (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET)


def route_flag_names(flags: RouteFlags | int) -> list[str]:
    """The names of the flags set, lowest bit first; bits the enum does not name are
    kept as one hexadecimal number at the end (``["UP", "0x8000000"]``)."""
    names = []
    rest = int(flags)
    for member in _ROUTE_FLAG_BITS:
        if rest & member:
            names.append(str(member.name))
            rest &= ~member
    if rest:
        names.append(hex(rest))
    return names


def plain_value(value: Any) -> Any:
    """A record value as plain JSON-friendly Python (str, int, float, bool, None, list,
    dict)."""
    if value is None or (
        isinstance(value, (bool, int, float, str)) and not isinstance(value, enum.Enum)
    ):
        return value
    if isinstance(value, Endpoint):
        return {"address": str(value.address), "port": value.port, "zone": value.zone}
    if isinstance(value, (netaddr.IPAddress, netaddr.IPNetwork)):
        return str(value)
    if isinstance(value, RouteFlags):
        return route_flag_names(value)
    if isinstance(value, socket.AddressFamily | socket.SocketKind):
        return value.name
    if isinstance(value, Protocol):
        return value.value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain_value(v) for v in value]
    if attrs.has(type(value)):
        return {
            field.name: plain_value(getattr(value, field.name))
            for field in attrs.fields(type(value))
        }
    return str(value)


_SURROGATES = "[\ud800-\udfff]"  # compiled at first use (rare): not at import


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match[0])
    # U+DC80..U+DCFF stand for the bytes 0x80..0xFF that did not decode (surrogateescape).
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def utf8_text(text: str) -> str:
    """``text`` with every lone surrogate written as its escape (``\\xe9`` for the byte
    0xE9 that did not decode): text any UTF-8 encoder accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return re.sub(_SURROGATES, _escape_surrogate, text)
    return text


def _frame_value(value: Any) -> Any:
    """A plain value with its text made encodable (see :func:`utf8_text`)."""
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, list):
        return [_frame_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_frame_value(item) for item in value)
    if isinstance(value, dict):
        return {utf8_text(key): _frame_value(item) for key, item in value.items()}
    return value


def value_text(value: Any) -> str:
    """A value as a table cell shows it: enums by name (a protocol by its value), flags
    by name, ``None`` as ``None``. Not escaped: the caller escapes every cell."""
    if isinstance(value, Protocol):
        return value.value
    if isinstance(value, RouteFlags):
        return "|".join(route_flag_names(value))
    if isinstance(value, enum.Enum):
        return str(value.name)
    if isinstance(value, tuple):
        return ",".join(value_text(item) for item in value)
    return str(value)


def _categorical(
    pandas: Any, texts: list[str | None], categories: Sequence[str], ordered: bool
) -> Any:
    return pandas.Series(pandas.Categorical(texts, categories=categories, ordered=ordered))


def _ordered_texts(pandas: Any, values: list[Any]) -> Any:
    """An ordered categorical of the values' text, the categories in the values' order."""
    categories: list[str] = []
    seen: set[str] = set()
    for value in sorted({value for value in values if value is not None}, key=sort_key):
        text = utf8_text(str(value))
        if text not in seen:
            seen.add(text)
            categories.append(text)
    texts = [None if value is None else utf8_text(str(value)) for value in values]
    return _categorical(pandas, texts, categories, ordered=True)


def _integers(pandas: Any, values: list[Any]) -> Any:
    present = [value for value in values if value is not None]
    low, high = min(present, default=0), max(present, default=0)
    if _INT64[0] <= low and high <= _INT64[1]:
        return pandas.Series(values, dtype="Int64")
    if low >= 0 and high <= _UINT64_MAX:
        return pandas.Series(values, dtype="UInt64")  # a 64-bit socket cookie
    return pandas.Series(values, dtype=object)


def _enum_names(pandas: Any, values: list[Any], members: Iterable[enum.Enum]) -> Any:
    names = [str(member.name) for member in members]
    texts = [None if value is None else str(value.name) for value in values]
    return _categorical(pandas, texts, names, ordered=True)


def _int_enum_names(pandas: Any, values: list[Any], always: Iterable[enum.IntEnum]) -> Any:
    members = sorted({*always, *(value for value in values if value is not None)}, key=int)
    return _enum_names(pandas, values, members)


def _plain(pandas: Any, values: list[Any]) -> Any:
    return pandas.Series([_frame_value(plain_value(value)) for value in values], dtype=object)


def _kind(value: Any) -> type:
    """What decides a column's conversion: the value's type, its enum class, or bool/int
    apart (an IntEnum member is an int, but is converted as an enum)."""
    if isinstance(value, enum.Enum):
        return type(value)
    if isinstance(value, netaddr.IPAddress | netaddr.IPNetwork | Endpoint | NamedEndpoint):
        return type(value)
    for kind in (bool, int, float, str, tuple):
        if isinstance(value, kind):
            return kind
    return object


def declared_kinds(record: type) -> dict[str, type]:
    """What each field of a record class holds, from its annotations (``int | None`` is
    ``int``, ``tuple[int, ...]`` is ``tuple``): a column has the same type whether or not
    a table holds a value in it, so tables of different hosts concatenate."""
    known = _DECLARED.get(record)
    if known is None:
        known = _DECLARED[record] = {}
        for name, hint in typing.get_type_hints(record).items():
            choices = [arg for arg in typing.get_args(hint) if arg is not type(None)]
            if not isinstance(hint, types.UnionType) and typing.get_origin(hint) is not Union:
                choices = [hint]
            if len(choices) == 1:
                choice = typing.get_origin(choices[0]) or choices[0]
                if isinstance(choice, type):
                    known[name] = choice
    return known


_DECLARED: dict[type, dict[str, type]] = {}


def columns(
    pandas: Any, name: str, values: list[Any], declared: type | None = None
) -> list[tuple[str, Any]]:
    """The pandas columns for one field: usually one, three for an endpoint. The kind
    of the values decides the conversion; ``declared`` (the field's annotated type)
    decides it for a column of only missing values."""
    kinds = {_kind(value) for value in values if value is not None}
    if not kinds and declared is not None:
        kinds = {declared if issubclass(declared, enum.Enum) else _kind_of_type(declared)}
    if len(kinds) != 1:
        # All missing, or values of different kinds (a record built by hand): plain.
        return [(name, _plain(pandas, values))]
    kind = kinds.pop()
    if kind is Endpoint:
        addresses = [None if value is None else value.address for value in values]
        ports = [None if value is None else value.port for value in values]
        return [
            (name, _ordered_texts(pandas, values)),
            (f"{name}_address", _ordered_texts(pandas, addresses)),
            (f"{name}_port", pandas.Series(ports, dtype="Int64")),
        ]
    converter = _CONVERTERS.get(kind)
    if converter is None and issubclass(kind, enum.Enum):
        return [(name, _enum_names(pandas, values, kind))]
    if converter is None:
        return [(name, _plain(pandas, values))]
    return [(name, converter(pandas, values))]


def _kind_of_type(declared: type) -> type:
    for kind in (bool, int, float, str, tuple):
        if issubclass(declared, kind):
            return kind
    return declared


_CONVERTERS: dict[type, Callable[[Any, list[Any]], Any]] = {
    bool: lambda pandas, values: pandas.Series(values, dtype="boolean"),
    int: _integers,
    float: lambda pandas, values: pandas.Series(values, dtype="Float64"),
    str: lambda pandas, values: pandas.Series(
        [None if value is None else utf8_text(value) for value in values]
    ),
    tuple: lambda pandas, values: pandas.Series(
        [
            None if value is None else _frame_value(tuple(map(plain_value, value)))
            for value in values
        ],
        dtype=object,
    ),
    Protocol: lambda pandas, values: _categorical(
        pandas,
        [None if value is None else value.value for value in values],
        [member.value for member in Protocol],
        ordered=True,
    ),
    TcpState: lambda pandas, values: _enum_names(pandas, values, TcpState),
    socket.AddressFamily: lambda pandas, values: _int_enum_names(pandas, values, _FAMILIES),
    socket.SocketKind: lambda pandas, values: _int_enum_names(pandas, values, _SOCKET_KINDS),
    RouteFlags: lambda pandas, values: pandas.Series(
        [None if value is None else "|".join(route_flag_names(value)) for value in values]
    ),
    netaddr.IPAddress: _ordered_texts,
    netaddr.IPNetwork: _ordered_texts,
    NamedEndpoint: lambda pandas, values: pandas.Series(
        [None if value is None else utf8_text(str(value)) for value in values]
    ),
}


def frame(
    pandas: Any,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    declared: Mapping[str, type] | None = None,
) -> Any:
    """A DataFrame of ``rows`` (one sequence of values per row, in ``names`` order);
    ``declared`` gives the fields' annotated types (see :func:`declared_kinds`)."""
    data: dict[str, Any] = {}
    for index, name in enumerate(names):
        values = [row[index] for row in rows]
        kind = declared.get(name) if declared is not None else None
        for column, series in columns(pandas, name, values, kind):
            data[column] = series
    return pandas.DataFrame(data, index=pandas.RangeIndex(len(rows)))
