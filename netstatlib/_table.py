"""``Table``: the immutable sequence of records every query returns.

A ``Table`` is a plain ``Sequence`` for code (index, slice, iterate, ``len``), an aligned
text table for people (``print(table)``), an HTML table in Jupyter, and converts to plain
dicts (``to_dicts()``) and to pandas (``to_pandas()``, pandas being optional). It sorts
(``sort()``), filters (``where()``, with what the query functions' ``where=`` takes)
and counts groups (``counts()``, a :class:`GroupCounts`).

The text table is laid out by :func:`netstatlib._text.layout`, the engine the command
line uses too: columns are measured by display width (a wide East Asian character takes
two terminal columns, a combining mark none), two spaces apart, numbers to the right.
Every cell of the text and HTML forms goes through :func:`~netstatlib._escape.safe_text`
in one place (:func:`_cells`), whatever record it comes from: a process name, a path, a
counter name or a zone from a capture cannot send a control character to the terminal.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

import attrs

from ._errors import FilterError, UnsupportedError, UsageError
from ._frame import ENDPOINT_PARTS, declared_kinds, frame, plain_value, value_text
from ._model import (
    Connection,
    Endpoint,
    InterfaceStats,
    NamedEndpoint,
    Protocol,
    ProtocolStats,
    Route,
    sort_key,
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
from .filters import F, Predicate, compile_filter

__all__ = ["GroupCounts", "Table", "Where", "plain_value", "record_dict", "where_test"]

R = TypeVar("R")

Where = Callable[[R], object] | Predicate | str | None
"""What ``where=`` takes: a predicate, an ss filter string (sockets only) or a callable."""

_REPR_LINES = 40  # table lines shown by repr() before the rest is elided
_HTML_LINES = 1000  # table lines shown in Jupyter (scrollable) before the rest is elided


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
        return names, [[value_text(getattr(row, name)) for name in names] for row in rows]
    return ["value"], [[value_text(row)] for row in rows]


_RENDERERS: dict[type, Callable[[Sequence[Any]], tuple[list[str], list[list[str]]]]] = {
    Connection: _connection_rows,
    Route: _route_rows,
    InterfaceStats: _interface_rows,
    ProtocolStats: _protocol_stats_rows,
}


def _escaped(headers: list[str], body: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Every header and cell escaped for a terminal (safe_text): the one place text
    from records reaches the text and HTML forms."""
    return [safe_text(header) for header in headers], [
        [safe_text(cell) for cell in row] for row in body
    ]


def _cells(rows: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of the rows, every one escaped for a terminal (safe_text): the
    renderers give the text as the records hold it."""
    renderer = _RENDERERS.get(type(rows[0]), _generic_rows)
    return _escaped(*renderer(rows))


def _right_aligned(headers: list[str], body: list[list[str]]) -> list[bool]:
    """Numeric columns (every cell an integer or empty) are aligned to the right."""
    return [
        bool(body) and all(row[i].lstrip("-").isdigit() or row[i] == "" for row in body)
        for i in range(len(headers))
    ]


def _text(headers: list[str], body: list[list[str]], max_lines: int | None) -> str:
    """The aligned text table of escaped cells; lines past ``max_lines`` summarised."""
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


# The HTML form: a scrollable box as wide as the table (Jupyter shows a long output whole
# otherwise), column headings that stay in view while it scrolls (on the notebook's own
# background colour: JupyterLab's, VS Code's, else white), text to the left and numbers
# to the right whatever the notebook's stylesheet says (JupyterLab right-aligns every
# cell), no wrapping inside a cell. Inline styles, which survive the sanitising of an
# untrusted notebook, where a <style> element would not.
_BOX = '<div style="max-height:32em;overflow:auto;display:inline-block;max-width:100%">'
_TABLE = '<table style="white-space:nowrap">'
_LEFT = ' style="text-align:left"'
_RIGHT = ' style="text-align:right"'
_STICKY = (
    ";position:sticky;top:0;background:var(--jp-layout-color0,var(--vscode-editor-background,#fff))"
)
_HEAD_LEFT = f' style="text-align:left{_STICKY}"'
_HEAD_RIGHT = f' style="text-align:right{_STICKY}"'


def _html_escape(text: str) -> str:
    import html  # only notebooks need it; keeps `import netstatlib` lean

    return html.escape(text)


def _readable_number(cell: str) -> str:
    """``1234567`` as ``1,234,567`` (for the counters' HTML view); other text as is."""
    return f"{int(cell):,}" if cell.lstrip("-").isdigit() else cell


def _html(
    headers: list[str],
    body: list[list[str]],
    caption: str,
    total: int,
    *,
    grouped: bool = False,
) -> str:
    """An HTML table of escaped cells; ``grouped`` makes the first column a heading per
    run of equal values (the counter groups of ``protocol_stats()``)."""
    escape = _html_escape
    right = _right_aligned(headers, body)
    if len(body) < total:
        caption += (
            f": the first {len(body)} of {total} lines (print() shows every line, "
            "to_html(max_lines=None) all of them as HTML)"
        )
    parts = [_BOX, _TABLE, f"<caption{_LEFT}>{escape(caption)}</caption>"]
    shown = list(zip(headers, right, strict=True))
    if grouped:
        shown = shown[1:]
    parts.append("<thead><tr>")
    parts += [f"<th{_HEAD_RIGHT if r else _HEAD_LEFT}>{escape(h)}</th>" for h, r in shown]
    parts.append("</tr></thead>")
    group: str | None = None
    parts.append("<tbody>")
    for row in body:
        if grouped:
            if row[0] != group:
                if group is not None:
                    parts.append("</tbody><tbody>")
                group = row[0]
                parts.append(f'<tr><th colspan="{len(shown)}"{_LEFT}>{escape(group)}</th></tr>')
            cells = [
                _readable_number(cell) if r else cell for cell, r in zip(row, right, strict=True)
            ][1:]
        else:
            cells = row
        parts.append("<tr>")
        parts += [
            f"<td{_RIGHT if r else _LEFT}>{escape(cell)}</td>"
            for cell, (_, r) in zip(cells, shown, strict=True)
        ]
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def _notes_text(notes: tuple[str, ...]) -> str:
    """The notes of a table as ``repr()`` ends with them: one escaped line each."""
    return "".join(f"\nnote: {safe_text(note)}" for note in notes)


def _notes_html(notes: tuple[str, ...]) -> str:
    """The notes of a table below its HTML form, escaped."""
    if not notes:
        return ""
    items = "".join(f"<li>{_html_escape(safe_text(note))}</li>" for note in notes)
    return f'<ul style="margin:0.3em 0">{items}</ul>'


def record_dict(record: Any, *, plain: bool = False) -> dict[str, Any]:
    """The fields of an attrs record as a dict (values converted if ``plain``)."""
    names = [field.name for field in attrs.fields(type(record))]
    if plain:
        return {name: plain_value(getattr(record, name)) for name in names}
    return {name: getattr(record, name) for name in names}


def _needs_pandas(what: str) -> Any:
    try:
        import pandas  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise UnsupportedError(
            f"{what} needs pandas, which netstatlib does not depend on: pip install pandas"
        ) from exc
    return pandas


# -- fields by name, for sort() and counts() -----------------------------------------


def _readable_names(kind: type) -> list[str]:
    """What ``sort()`` and ``counts()`` take for records of ``kind``: its fields, its
    properties and an endpoint's parts (``local_port``)."""
    names = [field.name for field in attrs.fields(kind)] if attrs.has(kind) else []
    names += [
        name
        for name in dir(kind)
        if not name.startswith("_") and isinstance(getattr(kind, name, None), property)
    ]
    names += [alias for alias, (side, _) in ENDPOINT_PARTS.items() if side in names]
    return names


def _getter(kinds: Iterable[type], name: str) -> Callable[[Any], Any]:
    """A function reading the field ``name`` (a field, a property, ``local_port`` or a
    dotted path such as ``details.tcp_info.rtt``) of the records; ``None`` where a step
    of the path is ``None``."""
    if not isinstance(name, str) or not name:
        raise UsageError(f"a field is named by a non-empty string, not {name!r}")
    path = ENDPOINT_PARTS.get(name) or tuple(name.split("."))
    for kind in kinds:
        known = _readable_names(kind)
        if path[0] not in known:
            raise UsageError(
                f"{kind.__name__} records have no field {name!r}; fields: {', '.join(known)}"
            )

    def get(record: Any) -> Any:
        value = record
        for step in path:
            if value is None:
                return None
            try:
                value = getattr(value, step)
            except AttributeError:
                raise UsageError(
                    f"cannot read {name!r}: {type(value).__name__} has no field {step!r}"
                ) from None
        return value

    return get


def where_test(where: Where[Any], kinds: Iterable[type]) -> Callable[[Any], object] | None:
    """The test ``where=`` stands for on records of the ``kinds`` given: ``None`` (keep
    everything), the compiled predicate, or the caller's callable. A filter string is
    the ss language, which selects sockets; a predicate must read only fields every kind
    has. Raises FilterError or UsageError before any record is tested."""
    kinds = set(kinds)
    if where is None:
        return None
    if isinstance(where, str):
        others = sorted(kind.__name__ for kind in kinds if kind is not Connection)
        if others:
            raise FilterError(
                f"filter strings (the ss language) select sockets; {', '.join(others)} "
                "records are filtered with a predicate built from F, or a callable"
            )
        where = compile_filter(where)
    if isinstance(where, Predicate):
        for kind in sorted(kinds, key=lambda kind: kind.__name__):
            if kind not in where.record_types:
                # A test on one field alone says which records have it.
                missing = [
                    name
                    for name in sorted(where.fields())
                    if kind not in getattr(F, name).is_missing().record_types
                ]
                raise FilterError(f"{kind.__name__} records have no field {', '.join(missing)}")
        return where.compile()
    if callable(where):
        return where
    raise UsageError(
        "where must be a callable taking a record, a predicate or an ss filter string, "
        f"not {type(where).__name__}"
    )


class Table(Sequence[R], Generic[R]):
    """An immutable sequence of records that prints as an aligned table.

    ``Table(rows)`` makes one from any iterable of records, such as a list
    comprehension over another table: ``Table(c for c in table if c.uid == 0)``.
    ``print(table)`` shows every row; ``repr(table)`` shows the first 40 lines and
    Jupyter a scrollable HTML table of up to 1000 (:meth:`to_html`). :meth:`sort`,
    :meth:`where` and :meth:`counts` sort, filter and count groups; ``to_dicts()``
    gives one dict per record (with ``plain=True``, values become JSON-friendly
    str/int/list/dict), ``to_pandas()`` a DataFrame when pandas is installed.
    """

    # __weakref__: a cache may name a table without keeping it alive.
    __slots__ = ("__weakref__", "_notes", "_record_type", "_rows")

    def __init__(
        self,
        rows: Iterable[R] = (),
        *,
        record_type: type[R] | None = None,
        notes: Iterable[str] = (),
    ) -> None:
        self._rows: tuple[R, ...] = tuple(rows)
        self._record_type = record_type
        if isinstance(notes, str):
            raise UsageError("notes is an iterable of sentences, not one string")
        self._notes: tuple[str, ...] = tuple(dict.fromkeys(notes))
        if not all(isinstance(note, str) and note for note in self._notes):
            raise UsageError(f"notes must be non-empty strings, not {self._notes!r}")

    @property
    def complete(self) -> bool:
        """Whether the records are all there is: ``False`` when the source could not see
        everything the query asked for, and :attr:`notes` says what is missing."""
        return not self._notes

    @property
    def notes(self) -> tuple[str, ...]:
        """Sentences saying what is missing from this table, each once, in the order
        they were found: owners that could not be read (not root, ``hidepid``),
        processes that exited while they were looked up, socket tables the backend
        cannot list. Empty for a complete table. Kept by every table made from this
        one (:meth:`sort`, :meth:`where`, slices, :meth:`counts`); the text is as the
        backend wrote it (a capture's may hold anything), so escape it before
        printing it to a terminal, as ``repr()``, the HTML form and the command line
        do. Two tables with the same records compare equal whatever their notes."""
        return self._notes

    @property
    def record_type(self) -> type[R] | None:
        """The type of the records: what the query that made the table returns (so an
        empty result still knows it: its :meth:`to_pandas` has the columns), else the
        type of the records when they are all of one; ``None`` when not known."""
        if self._record_type is not None:
            return self._record_type
        kinds = self._kinds()
        return kinds.pop() if len(kinds) == 1 else None

    def _derived(self, rows: Iterable[R]) -> Table[R]:
        """A table of some of these records (sorted, filtered, sliced), of the same type."""
        return Table(rows, record_type=self._record_type, notes=self._notes)

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> Table[R]: ...

    def __getitem__(self, index: int | slice) -> R | Table[R]:
        if isinstance(index, slice):
            return self._derived(self._rows[index])
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

    def _kinds(self) -> set[type]:
        """The types of the records (the table's record type when it has none)."""
        kinds = {type(row) for row in self._rows}
        if not kinds and self._record_type is not None:
            kinds.add(self._record_type)
        return kinds

    def sort(
        self,
        *fields: str,
        key: Callable[[R], Any] | None = None,
        reverse: bool = False,
    ) -> Table[R]:
        """A new table of the same records, sorted (the sort is stable).

        Without arguments, in the records' natural order (for sockets: protocol, family,
        local endpoint, remote endpoint, state, ...). With field names, by those fields
        in turn: ``sort("state", "local")``; a name is a field or property of the
        records, an endpoint's part (``local_address``, ``local_port``,
        ``remote_address``, ``remote_port``) or a dotted path
        (``"details.tcp_info.rtt"``). Values sort in their natural order (states in the
        kernel's order, endpoints by family, address and port), ``None`` first. With
        ``key``, by what the function returns for each record, as ``sorted()`` does.
        ``reverse=True`` reverses the order. An unknown field name raises
        :class:`~netstatlib.UsageError`.
        """
        if key is not None and fields:
            raise UsageError("sort() takes field names or key=, not both")
        if key is not None:
            return self._derived(sorted(self._rows, key=key, reverse=reverse))
        if not fields:
            return self._derived(sorted(self._rows, key=sort_key, reverse=reverse))
        getters = [_getter(self._kinds(), name) for name in fields]

        def by_fields(row: R) -> tuple[Any, ...]:
            return tuple(sort_key(get(row)) for get in getters)

        return self._derived(sorted(self._rows, key=by_fields, reverse=reverse))

    def where(self, where: Where[R]) -> Table[R]:
        """A new table of the records that pass ``where``, which is what the query
        functions' ``where=`` takes: a predicate built from
        :data:`~netstatlib.F` (``F.state == "LISTEN"``), a filter string in the
        language of ``ss`` (tables of sockets only: ``"sport = :22"``) or a callable
        taking a record. ``None`` keeps every record. A predicate that reads a field
        the records do not have raises :class:`~netstatlib.FilterError`, as a query
        does.
        """
        test = where_test(where, self._kinds())
        if test is None:
            return self
        return self._derived(row for row in self._rows if test(row))

    def counts(self, *fields: str) -> GroupCounts:
        """How many records have each value of ``fields`` (one or more field names, as
        :meth:`sort` takes them): a :class:`GroupCounts`, largest group first.

        ``table.counts("state")`` counts sockets per state, ``counts("protocol",
        "family")`` per pair; ``None`` is a value like any other (a UDP socket's
        missing state).
        """
        if not fields:
            raise UsageError('counts() needs at least one field name: counts("state")')
        getters = [_getter(self._kinds(), name) for name in fields]
        tally: dict[Any, int] = {}
        if len(getters) == 1:
            get = getters[0]
            for row in self._rows:
                value = get(row)
                tally[value] = tally.get(value, 0) + 1
        else:
            for row in self._rows:
                values = tuple(get(row) for get in getters)
                tally[values] = tally.get(values, 0) + 1
        return GroupCounts(fields, tally.items(), notes=self._notes)

    def to_text(self, max_lines: int | None = None) -> str:
        """The aligned text table; with ``max_lines``, lines past it are summarised."""
        if not self._rows:
            return "(no rows)"
        return _text(*_cells(self._rows), max_lines)

    def __str__(self) -> str:
        return self.to_text()

    def _summary(self) -> str:
        count = len(self._rows)
        incomplete = "" if not self._notes else ", incomplete"
        if not count:
            known = self._record_type
            what = f"no {known.__name__} records" if known else "no records"
            return f"<Table: {what}{incomplete}>"
        kind = type(self._rows[0]).__name__
        return f"<Table: {count} {kind} record{'' if count == 1 else 's'}{incomplete}>"

    def __repr__(self) -> str:
        return f"{self._summary()}\n{self.to_text(_REPR_LINES)}{_notes_text(self._notes)}"

    def to_html(self, max_lines: int | None = _HTML_LINES) -> str:
        """The table as HTML, what Jupyter shows: the text form's columns in a
        scrollable box, text to the left, numbers to the right, the summary as the
        caption. Lines past ``max_lines`` (1000 by default; ``None``: no limit) are
        left out and the caption says how many there are. A table of
        :class:`~netstatlib.ProtocolStats` shows each group's counters under its name,
        with thousands separated. Every cell is escaped, as in the text form.
        """
        if not self._rows:
            return "<p><em>(no rows)</em></p>" + _notes_html(self._notes)
        headers, body = _cells(self._rows)
        total = len(body)
        if max_lines is not None:
            body = body[:max_lines]
        grouped = isinstance(self._rows[0], ProtocolStats) and self._kinds() == {ProtocolStats}
        return _html(headers, body, self._summary()[1:-1], total, grouped=grouped) + _notes_html(
            self._notes
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_dicts(self, *, plain: bool = False) -> list[dict[str, Any]]:
        """One dict per record, keyed by field name.

        By default values keep their types (``Endpoint``, ``netaddr.IPAddress``, enums).
        With ``plain=True`` they become JSON-friendly: addresses and networks as strings,
        an endpoint as ``{"address": ..., "port": ...}``, enums by name (``Protocol`` by
        its value, ``"tcp"``), route flags as a list of names, tuples as lists.
        """
        return [record_dict(row, plain=plain) for row in self._rows]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per record (pandas must be installed),
        whose columns pandas works with directly (``groupby``, ``sort_values``, plots,
        ``to_json()``):

        * enums are categoricals of their names, ordered as the enum is: ``state``
          (``"LISTEN"``, in the kernel's order), ``protocol`` (``"tcp"``), ``family``
          (``"AF_INET"``), ``socket_type`` (``"SOCK_STREAM"``);
        * an endpoint gives three columns: ``local`` (``"10.0.0.5:22"``),
          ``local_address`` and ``local_port`` (the same for ``remote``); endpoints,
          addresses and networks are ordered categoricals of their text, in their
          natural order (``10.0.0.9`` before ``10.0.0.10``, IPv4 before IPv6);
        * route ``flags`` are names joined by ``|`` (``"UP|GATEWAY"``);
        * integers that may be missing are pandas' nullable ``Int64``, booleans
          ``boolean``; ``pids`` a tuple; socket ``details`` a plain dict.

        A table of :class:`~netstatlib.ProtocolStats` becomes the long form, one row
        per counter, with the columns ``group`` (a categorical in the kernel's order),
        ``counter`` and ``value``.

        The columns come from the record type, not from the values: a column is there,
        with its type, even when no record has a value in it, and an empty result of a
        query (whose table knows its :attr:`record_type`) has every column too.
        """
        pandas = _needs_pandas("Table.to_pandas()")
        rows = self._rows
        if self._kinds() == {ProtocolStats}:
            long = [
                (row.group, name, value)
                for row in rows
                if isinstance(row, ProtocolStats)
                for name, value in row.counters.items()
            ]
            data = frame(
                pandas, ["group", "counter", "value"], long, {"counter": str, "value": int}
            )
            groups = list(dict.fromkeys(group for group, _, _ in long))
            data["group"] = pandas.Categorical(data["group"].astype(object), categories=groups)
            data.attrs["notes"] = list(self._notes)
            return data
        names: list[str] = []
        declared: dict[str, type] = {}
        for kind in sorted(self._kinds(), key=lambda kind: kind.__name__):
            fields = [f.name for f in attrs.fields(kind)] if attrs.has(kind) else ["value"]
            names += [name for name in fields if name not in names]
            if attrs.has(kind):
                for name, hint in declared_kinds(kind).items():
                    declared.setdefault(name, hint)
        values = [
            [getattr(row, name, None) for name in names]
            if attrs.has(type(row))
            else [row if name == "value" else None for name in names]
            for row in rows
        ]
        data = frame(pandas, names, values, declared)
        data.attrs["notes"] = list(self._notes)
        return data


class GroupCounts(Mapping[Any, int]):
    """How many records have each value of some fields: what :meth:`Table.counts`
    returns.

    A read-only mapping from the value (a tuple of values when several fields are
    counted) to its count, largest group first (equal counts in the values' natural
    order): ``table.counts("state")[TcpState.LISTEN]``. It prints as an aligned table
    with one column per field and a ``count`` column, shows as HTML in Jupyter, and
    converts like a :class:`Table` (:meth:`to_dicts`, :meth:`to_pandas`).
    """

    __slots__ = ("_counts", "_fields", "_notes")

    def __init__(
        self,
        fields: Sequence[str],
        counts: Iterable[tuple[Any, int]],
        *,
        notes: Iterable[str] = (),
    ) -> None:
        self._fields: tuple[str, ...] = tuple(fields)
        ordered = sorted(counts, key=lambda item: (-item[1], sort_key(item[0])))
        self._counts: dict[Any, int] = dict(ordered)
        self._notes: tuple[str, ...] = tuple(notes)

    @property
    def complete(self) -> bool:
        """Whether the table counted was complete (see :attr:`Table.complete`)."""
        return not self._notes

    @property
    def notes(self) -> tuple[str, ...]:
        """The :attr:`Table.notes` of the table counted: what the counts may miss."""
        return self._notes

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the fields counted."""
        return self._fields

    def __getitem__(self, key: Any) -> int:
        return self._counts[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def most_common(self, n: int | None = None) -> list[tuple[Any, int]]:
        """The ``n`` largest groups (all without ``n``) as ``(value, count)`` pairs, as
        ``collections.Counter.most_common`` gives them."""
        items = list(self._counts.items())
        return items if n is None else items[:n]

    def _keys(self, key: Any) -> tuple[Any, ...]:
        return key if len(self._fields) > 1 else (key,)

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        body = [
            [*(value_text(value) for value in self._keys(key)), str(count)]
            for key, count in self._counts.items()
        ]
        return _escaped([*self._fields, "count"], body)

    def _summary(self) -> str:
        total = sum(self._counts.values())
        return (
            f"<GroupCounts by {', '.join(self._fields)}: {len(self._counts)} "
            f"group{'' if len(self._counts) == 1 else 's'}, {total} record"
            f"{'' if total == 1 else 's'}{', incomplete' if self._notes else ''}>"
        )

    def to_text(self, max_lines: int | None = None) -> str:
        """The aligned text table; with ``max_lines``, lines past it are summarised."""
        if not self._counts:
            return "(no rows)"
        return _text(*self._cells(), max_lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"{self._summary()}\n{self.to_text(_REPR_LINES)}{_notes_text(self._notes)}"

    def to_html(self, max_lines: int | None = _HTML_LINES) -> str:
        """The counts as HTML, as :meth:`Table.to_html` shows a table."""
        if not self._counts:
            return "<p><em>(no rows)</em></p>" + _notes_html(self._notes)
        headers, body = self._cells()
        total = len(body)
        if max_lines is not None:
            body = body[:max_lines]
        return _html(headers, body, self._summary()[1:-1], total) + _notes_html(self._notes)

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_dicts(self, *, plain: bool = False) -> list[dict[str, Any]]:
        """One dict per group: each field's value and ``count``
        (``{"state": TcpState.LISTEN, "count": 3}``); ``plain=True`` converts the
        values as :meth:`Table.to_dicts` does."""
        convert = plain_value if plain else (lambda value: value)
        return [
            {
                **{
                    name: convert(value)
                    for name, value in zip(self._fields, self._keys(key), strict=True)
                },
                "count": count,
            }
            for key, count in self._counts.items()
        ]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per group: a column per field, converted
        as :meth:`Table.to_pandas` converts it, and ``count``."""
        pandas = _needs_pandas("GroupCounts.to_pandas()")
        rows = [[*self._keys(key), count] for key, count in self._counts.items()]
        data = frame(pandas, [*self._fields, "count"], rows)
        data.attrs["notes"] = list(self._notes)
        return data
