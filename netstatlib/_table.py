"""``Table``: the immutable sequence of records every query returns.

A ``Table`` is a plain ``Sequence`` for code (index, slice, iterate, ``len``), an aligned
text table for people (``print(table)``), an HTML table in Jupyter, and converts to plain
dicts (``to_dicts()``) and to pandas (``to_pandas()``, pandas being optional).

The text table is laid out by :func:`netstatlib._text.layout`, the engine the command
line uses too: columns are measured by display width (a wide East Asian character takes
two terminal columns, a combining mark none), two spaces apart, numbers to the right.
Every cell of the text and HTML forms goes through :func:`~netstatlib._escape.safe_text`
in one place (:func:`_cells`), whatever record it comes from: a process name, a path, a
counter name or a zone from a capture cannot send a control character to the terminal.
"""

from __future__ import annotations

import enum
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

import attrs
import netaddr

from ._errors import UnsupportedError
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
)
from ._text import (
    INTERFACE_COUNTERS,
    Column,
    interface_counter_cells,
    layout,
    optional_text,
    route_flag_letters,
    route_interface_text,
    safe_text,
    state_text,
)

__all__ = ["Table"]

R = TypeVar("R")

_REPR_LINES = 40  # table lines shown by repr() and in Jupyter before the rest is elided


def _endpoint_text(endpoint: Endpoint | None, name: NamedEndpoint | None = None) -> str:
    # A printed name (Windows netstat without -n) is shown as printed: it may say more
    # (the service) or be all there is (a host name whose address is unknown).
    if name is not None:
        return str(name)
    return "*" if endpoint is None else str(endpoint)


def _protocol_text(row: Connection) -> str:
    name = "udpl" if row.protocol is Protocol.UDPLITE else row.protocol.value
    return f"{name}6" if row.family is socket.AddressFamily.AF_INET6 else name


def _owner_text(row: Connection) -> str:
    if not row.pids:
        # Windows netstat -b without -o names the program but not the PID.
        return f"-/{row.process}" if row.process is not None else ""
    more = f"+{len(row.pids) - 1}" if len(row.pids) > 1 else ""
    name = f"/{row.process}" if row.process is not None else ""
    return f"{row.pids[0]}{more}{name}"


def _connection_rows(rows: Sequence[Connection]) -> tuple[list[str], list[list[str]]]:
    headers = ["Proto", "Local Address", "Remote Address", "State", "PID/Program"]
    body = []
    for row in rows:
        if row.protocol is Protocol.UNIX:
            kind = row.socket_type.name[5:].lower() if row.socket_type is not None else "?"
            local = row.path if row.path is not None else "*"
            remote = kind
        else:
            local = _endpoint_text(row.local, row.local_name)
            remote = _endpoint_text(row.remote, row.remote_name)
        body.append([_protocol_text(row), local, remote, state_text(row), _owner_text(row)])
    return headers, body


def _route_rows(rows: Sequence[Route]) -> tuple[list[str], list[list[str]]]:
    headers = ["Destination", "Gateway", "Flags", "Metric", "Iface"]
    body = [
        [
            str(row.destination),
            str(row.gateway) if row.gateway is not None else "*",
            route_flag_letters(row.flags),
            optional_text(row.metric),
            route_interface_text(row),
        ]
        for row in rows
    ]
    return headers, body


def _interface_rows(rows: Sequence[InterfaceStats]) -> tuple[list[str], list[list[str]]]:
    headers = ["Iface", "MTU", *INTERFACE_COUNTERS, "Up"]
    body = [
        [
            row.name if row.name is not None else "(all)",
            optional_text(row.mtu),
            *interface_counter_cells(row),
            {None: "", True: "yes", False: "no"}[row.is_up],
        ]
        for row in rows
    ]
    return headers, body


def _protocol_stats_rows(rows: Sequence[ProtocolStats]) -> tuple[list[str], list[list[str]]]:
    # One line per counter, as `nstat -a` prints them: a ProtocolStats holds dozens.
    headers = ["Group", "Counter", "Value"]
    body = [[row.group, name, str(value)] for row in rows for name, value in row.counters.items()]
    return headers, body


def _generic_rows(rows: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    first = rows[0]
    if attrs.has(type(first)):
        names = [field.name for field in attrs.fields(type(first))]
        return names, [[str(getattr(row, name)) for name in names] for row in rows]
    return ["value"], [[str(row)] for row in rows]


_RENDERERS: dict[type, Callable[[Sequence[Any]], tuple[list[str], list[list[str]]]]] = {
    Connection: _connection_rows,
    Route: _route_rows,
    InterfaceStats: _interface_rows,
    ProtocolStats: _protocol_stats_rows,
}


def _cells(rows: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of the rows, every one escaped for a terminal (safe_text): the
    renderers give the text as the records hold it."""
    renderer = _RENDERERS.get(type(rows[0]), _generic_rows)
    headers, body = renderer(rows)
    return [safe_text(header) for header in headers], [
        [safe_text(cell) for cell in row] for row in body
    ]


def _right_aligned(headers: list[str], body: list[list[str]]) -> list[bool]:
    """Numeric columns (every cell an integer or empty) are aligned to the right."""
    return [
        bool(body) and all(row[i].lstrip("-").isdigit() or row[i] == "" for row in body)
        for i in range(len(headers))
    ]


def plain_value(value: Any) -> Any:
    """A record value as plain JSON-friendly Python (str, int, bool, None, list, dict)."""
    if value is None or (
        isinstance(value, (bool, int, float, str)) and not isinstance(value, enum.Enum)
    ):
        return value
    if isinstance(value, Endpoint):
        return {"address": str(value.address), "port": value.port, "zone": value.zone}
    if isinstance(value, (netaddr.IPAddress, netaddr.IPNetwork)):
        return str(value)
    if isinstance(value, RouteFlags):
        return [flag.name for flag in RouteFlags if flag in value and flag.name]
    if isinstance(value, socket.AddressFamily | socket.SocketKind):
        return value.name
    if isinstance(value, Protocol):
        return value.value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Counters | Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain_value(v) for v in value]
    if attrs.has(type(value)):
        return record_dict(value, plain=True)
    return str(value)


def record_dict(record: Any, *, plain: bool = False) -> dict[str, Any]:
    """The fields of an attrs record as a dict (values converted if ``plain``)."""
    names = [field.name for field in attrs.fields(type(record))]
    if plain:
        return {name: plain_value(getattr(record, name)) for name in names}
    return {name: getattr(record, name) for name in names}


class Table(Sequence[R], Generic[R]):
    """An immutable sequence of records that prints as an aligned table.

    ``print(table)`` shows every row; ``repr(table)`` (and Jupyter) show the first
    rows and how many more there are. ``to_dicts()`` gives one dict per record (with
    ``plain=True``, values become JSON-friendly str/int/list/dict), ``to_pandas()`` a
    DataFrame when pandas is installed.
    """

    __slots__ = ("_rows",)

    def __init__(self, rows: Iterable[R] = ()) -> None:
        self._rows: tuple[R, ...] = tuple(rows)

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> Table[R]: ...

    def __getitem__(self, index: int | slice) -> R | Table[R]:
        if isinstance(index, slice):
            return Table(self._rows[index])
        return self._rows[index]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[R]:
        return iter(self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Table):
            return self._rows == other._rows
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._rows)

    def to_text(self, max_lines: int | None = None) -> str:
        """The aligned text table; with ``max_lines``, lines past it are summarised."""
        if not self._rows:
            return "(no rows)"
        headers, body = _cells(self._rows)
        hidden = 0
        if max_lines is not None and len(body) > max_lines:
            hidden = len(body) - max_lines
            body = body[:max_lines]
        right = _right_aligned(headers, body)
        columns = [Column(header, right=r) for header, r in zip(headers, right, strict=True)]
        text = layout(columns, body, indent=0, width=None)
        if hidden:
            text += f"\n... {hidden} more lines"
        return text

    def __str__(self) -> str:
        return self.to_text()

    def _summary(self) -> str:
        count = len(self._rows)
        if not count:
            return "<Table: no records>"
        kind = type(self._rows[0]).__name__
        return f"<Table: {count} {kind} record{'' if count == 1 else 's'}>"

    def __repr__(self) -> str:
        return f"{self._summary()}\n{self.to_text(_REPR_LINES)}"

    def _repr_html_(self) -> str:
        import html  # only notebooks need it; keeps `import netstatlib` lean

        if not self._rows:
            return "<p><em>(no rows)</em></p>"
        headers, body = _cells(self._rows)
        more = len(body) - _REPR_LINES
        body = body[:_REPR_LINES]
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in body
        )
        note = f"<p>... {more} more lines</p>" if more > 0 else ""
        caption = f"<caption>{html.escape(self._summary())}</caption>"
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"

    def to_dicts(self, *, plain: bool = False) -> list[dict[str, Any]]:
        """One dict per record, keyed by field name.

        By default values keep their types (``Endpoint``, ``netaddr.IPAddress``, enums).
        With ``plain=True`` they become JSON-friendly: addresses and networks as strings,
        an endpoint as ``{"address": ..., "port": ...}``, enums by name (``Protocol`` by
        its value, ``"tcp"``), route flags as a list of names, tuples as lists.
        """
        return [record_dict(row, plain=plain) for row in self._rows]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per record (pandas must be installed).

        Integer columns that may hold ``None`` use pandas' nullable ``Int64`` (a missing
        uid stays missing instead of turning the column into floats), booleans
        ``boolean``; addresses, endpoints and enums stay Python objects so nothing is
        lost. A table of :class:`ProtocolStats` becomes the long form, one row per
        counter, with the columns ``group``, ``counter`` and ``value``.
        """
        try:
            import pandas  # type: ignore[import-untyped,unused-ignore]
        except ImportError as exc:
            raise UnsupportedError(
                "Table.to_pandas() needs pandas, which netstatlib does not depend on: "
                "pip install pandas"
            ) from exc
        if self._rows and isinstance(self._rows[0], ProtocolStats):
            long = [
                (row.group, name, value)
                for row in self._rows
                if isinstance(row, ProtocolStats)
                for name, value in row.counters.items()
            ]
            return pandas.DataFrame(long, columns=["group", "counter", "value"])
        records = self.to_dicts()
        names = list(records[0]) if records else []
        columns = {}
        for name in names:
            values = [record[name] for record in records]
            present = [value for value in values if value is not None]
            dtype: str | type[object]
            if present and all(type(value) is bool for value in present):
                dtype = "boolean"
            elif present and all(type(value) is int for value in present):
                dtype = "Int64"
            else:
                dtype = object
            columns[name] = pandas.Series(values, dtype=dtype)
        return pandas.DataFrame(columns)
