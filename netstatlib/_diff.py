"""What changed between two snapshots: sockets, listeners, owners, routes, interfaces.

Comparing two tables as sets of records gets sockets wrong: every field is compared, so
a listener whose accept queue moved shows as one listener gone and another new, and a
connection that went from ``ESTABLISHED`` to ``FIN_WAIT2`` as two connections. Here a
socket is followed by its identity (``_identity.py``) and a listener by its address.

Strategy for matching the sockets of two snapshots, each pass taking what the previous
ones left:

1. by the kernel's socket cookie, when both snapshots come from the same running kernel
   (same :attr:`~netstatlib.Snapshot.clock_id`): a cookie names one socket until reboot;
2. by table, endpoints, inode and path (the identity of a socket without a cookie), never
   pairing two sockets whose cookies say they differ;
3. listeners by the address they listen on (a server restarted with a new socket on the
   same address is the same listener);
4. without cookies, connections through their handshake and their close, where the
   identity changes: a request (``SYN_RECV``, no inode) and the child socket it became
   (no inode while it waits in the accept queue), a socket waiting in the accept queue
   and the same socket accepted (its inode), a socket and the orphan or ``TIME_WAIT``
   entry it left when its process closed it (no inode any more). Same table and
   endpoints, one side without an inode or the first a request; a socket in
   ``TIME_WAIT`` or ``CLOSE`` never continues into another.

What no pass matched was opened or closed between the snapshots.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import attrs

from ._errors import UsageError
from ._escape import safe_text
from ._gc import gc_paused
from ._identity import listener_address
from ._model import Connection, InterfaceStats, Protocol, Route, TcpState
from ._snapshot import Snapshot
from ._table import Table
from ._text import Column, layout, route_flag_letters, route_interface_text, state_text

__all__ = [
    "Change",
    "SnapshotDiff",
    "check_snapshots",
    "cookies_comparable",
    "diff",
    "match_connections",
]

R = TypeVar("R")


@attrs.frozen
class Change(Generic[R]):
    """One record as it was (``before``) and as it is (``after``)."""

    before: R
    """The record in the first snapshot."""
    after: R
    """The record in the second snapshot."""


# -- matching sockets --------------------------------------------------------------------

_REQUEST_STATES = frozenset({TcpState.SYN_RECV, TcpState.NEW_SYN_RECV})
_FINAL_STATES = frozenset({TcpState.TIME_WAIT, TcpState.CLOSE})


def _socket_key(row: Connection) -> Hashable:
    """The identity of a socket without its cookie."""
    return (
        row.protocol,
        row.family,
        row.local,
        row.remote,
        row.inode,
        row.path,
        row.local_name,
        row.remote_name,
    )


def _endpoints_key(row: Connection) -> Hashable:
    return (row.protocol, row.family, row.local, row.remote)


def match_connections(
    before: Iterable[Connection], after: Iterable[Connection], *, cookies: bool
) -> tuple[list[tuple[Connection, Connection]], list[Connection], list[Connection]]:
    """Pair the sockets of two listings that are the same socket (see the module's
    strategy); ``cookies`` says whether the listings come from the same running kernel.
    Returns the pairs, the sockets of ``before`` left unpaired, those of ``after``."""
    pairs: list[tuple[Connection, Connection]] = []
    before_rows = list(before)
    after_rows = list(after)
    old = before_rows
    new = after_rows
    if old and new and (old[0] is new[0] or old[-1] is new[-1]):
        # A listing that reuses the records of sockets that did not change (watch() on
        # Linux) lists them in the kernel's order, which holds while nothing is added
        # before them: one record at the same place in both is the same socket. Pair
        # those in one pass, and the rest as below.
        old, new = [], []
        for was, row in zip(before_rows, after_rows, strict=False):
            if was is row:
                pairs.append((was, row))
            else:
                old.append(was)
                new.append(row)
        count = min(len(before_rows), len(after_rows))
        old += before_rows[count:]
        new += after_rows[count:]
    if cookies:
        with_cookie = [row for row in new if row.cookie is not None]
        by_cookie = {row.cookie: row for row in with_cookie}
        if by_cookie:
            left = []
            paired_before = len(pairs)
            for row in old:
                other = by_cookie.pop(row.cookie, None) if row.cookie is not None else None
                if other is None:
                    left.append(row)
                else:
                    pairs.append((row, other))
            old = left
            matched = len(pairs) - paired_before
            if not by_cookie and matched == len(new):
                new = []  # every row had a cookie, and each was paired
            elif len(by_cookie) + matched == len(with_cookie):
                # No cookie named two rows: what is left of by_cookie was not paired.
                new = [row for row in new if row.cookie is None or by_cookie.get(row.cookie) is row]
            else:
                paired = {id(b) for _, b in pairs}
                new = [row for row in new if id(row) not in paired]

    def differ(first: Connection, second: Connection) -> bool:
        """Whether the cookies say two sockets are two sockets."""
        return (
            cookies
            and first.cookie is not None
            and second.cookie is not None
            and first.cookie != second.cookie
        )

    old, new = _pair_by(old, new, _socket_key, lambda b, a: not differ(b, a), pairs)
    listeners = _pair_by(
        [row for row in old if row.is_listening],
        [row for row in new if row.is_listening],
        listener_address,
        lambda b, a: True,
        pairs,
    )
    old = [row for row in old if not row.is_listening] + listeners[0]
    new = [row for row in new if not row.is_listening] + listeners[1]

    def continues(first: Connection, second: Connection) -> bool:
        if first.remote is None or first.state in _FINAL_STATES:
            return False
        if differ(first, second):
            return False
        # A request and the child socket made of it: neither has an inode.
        return first.state in _REQUEST_STATES or (first.inode is None) != (second.inode is None)

    old, new = _pair_by(old, new, _endpoints_key, continues, pairs)
    # The listeners' pass moved rows about: give the unpaired ones their listing's order.
    return pairs, _in_order(old, before_rows), _in_order(new, after_rows)


def _in_order(rows: list[Connection], listing: list[Connection]) -> list[Connection]:
    if len(rows) < 2:
        return rows
    wanted = {id(row) for row in rows}
    return [row for row in listing if id(row) in wanted]


def _pair_by(
    old: list[Connection],
    new: list[Connection],
    key: Callable[[Connection], Hashable],
    allowed: Callable[[Connection, Connection], bool],
    pairs: list[tuple[Connection, Connection]],
) -> tuple[list[Connection], list[Connection]]:
    """Pair rows of ``old`` and ``new`` with the same key where ``allowed``, in order,
    into ``pairs``; the unpaired rows of each are returned."""
    waiting: dict[Hashable, list[Connection]] = {}
    for row in new:
        waiting.setdefault(key(row), []).append(row)
    taken: set[int] = set()
    left_old = []
    for row in old:
        candidates = waiting.get(key(row))
        chosen = None
        if candidates:
            for index, other in enumerate(candidates):
                if allowed(row, other):
                    chosen = candidates.pop(index)
                    break
        if chosen is None:
            left_old.append(row)
        else:
            pairs.append((row, chosen))
            taken.add(id(chosen))
    return left_old, [row for row in new if id(row) not in taken]


def check_snapshots(before: object, after: object, function: str) -> None:
    """A :class:`~netstatlib.UsageError` unless both are snapshots."""
    for value in (before, after):
        if not isinstance(value, Snapshot):
            raise UsageError(
                f"{function}() compares two snapshots (netstatlib.snapshot() or "
                f"load_snapshot()), not {type(value).__name__}"
            )


def cookies_comparable(before: Snapshot, after: Snapshot) -> bool:
    """Whether the socket cookies of two snapshots name the same sockets: both were
    taken on one running kernel."""
    return before.clock_id is not None and before.clock_id == after.clock_id


# -- the diff ----------------------------------------------------------------------------

_EVENTS = (
    ("listeners_added", "listener_added"),
    ("listeners_removed", "listener_removed"),
    ("opened", "opened"),
    ("closed", "closed"),
    ("state_changed", "state_changed"),
    ("owners_changed", "owner_changed"),
    ("routes_added", "route_added"),
    ("routes_removed", "route_removed"),
    ("routes_changed", "route_changed"),
    ("interfaces_appeared", "interface_appeared"),
    ("interfaces_gone", "interface_gone"),
    ("interfaces_up", "interface_up"),
    ("interfaces_down", "interface_down"),
)


@attrs.frozen(kw_only=True, repr=False)
class SnapshotDiff:
    """What changed from one snapshot to another (see :func:`diff`).

    Every attribute is empty when nothing of its kind changed, and when the table it
    comes from is not in both snapshots: :attr:`compared` names the tables that were
    compared. ``bool(diff)`` is true when anything changed; ``print(diff)`` shows a
    report; :meth:`events` and :meth:`to_dicts` give one item per change, for a log.
    """

    before_taken_at: datetime.datetime
    """When the first snapshot was taken (UTC)."""
    after_taken_at: datetime.datetime
    """When the second snapshot was taken (UTC)."""
    compared: tuple[str, ...]
    """The tables both snapshots hold (``"connections"``, ``"routes"``,
    ``"interfaces"``), which were compared; for connections, only the socket tables both
    list."""
    listeners_added: Table[Connection]
    """Listeners on an address nothing listened on before (the new ones)."""
    listeners_removed: Table[Connection]
    """Listeners on an address nothing listens on any more (as they were)."""
    opened: Table[Connection]
    """Sockets, other than listeners, that were not there before."""
    closed: Table[Connection]
    """Sockets, other than listeners, that are not there any more (as they were)."""
    state_changed: tuple[Change[Connection], ...]
    """Sockets whose state changed (``ESTABLISHED`` to ``FIN_WAIT2``, a request to a
    connection)."""
    owners_changed: tuple[Change[Connection], ...]
    """Sockets held by some process both times, but not by the same processes (or
    names): a listener taken over by a restarted server, a socket handed to a child.
    A socket that gets its first owner (accepted) or loses its last (closed) is not an
    owner change."""
    routes_added: Table[Route]
    """Routes that were not there before."""
    routes_removed: Table[Route]
    """Routes that are not there any more (as they were)."""
    routes_changed: tuple[Change[Route], ...]
    """Routes to the same destination with the same metric (and source), that go
    another way: gateway, interface, flags, MTU, window or RTT changed."""
    interfaces_appeared: Table[InterfaceStats]
    """Interfaces whose name was not there before."""
    interfaces_gone: Table[InterfaceStats]
    """Interfaces whose name is not there any more (as they were)."""
    interfaces_up: Table[InterfaceStats]
    """Interfaces that were down and are up (as they are now)."""
    interfaces_down: Table[InterfaceStats]
    """Interfaces that were up and are down (as they are now)."""

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name, _ in _EVENTS)

    def events(self) -> Iterator[tuple[str, Any]]:
        """Every change as ``(event, item)``: ``item`` is the record, or a
        :class:`Change` for ``state_changed``, ``owner_changed`` and ``route_changed``.
        Events are ``listener_added``, ``listener_removed``, ``opened``, ``closed``,
        ``state_changed``, ``owner_changed``, ``route_added``, ``route_removed``,
        ``route_changed``, ``interface_appeared``, ``interface_gone``,
        ``interface_up`` and ``interface_down``, in that order."""
        for name, event in _EVENTS:
            for item in getattr(self, name):
                yield event, item

    def to_dicts(self, *, plain: bool = False) -> list[dict[str, Any]]:
        """One dict per change: ``{"event": "opened", "record": {...}}``, or with
        ``"before"`` and ``"after"`` for a change of a record. The records are dicts as
        :meth:`Table.to_dicts <netstatlib.Table.to_dicts>` makes them (``plain=True``:
        JSON-friendly values)."""

        def record(row: Any) -> dict[str, Any]:
            return Table([row]).to_dicts(plain=plain)[0]

        items: list[dict[str, Any]] = []
        for event, item in self.events():
            if isinstance(item, Change):
                items.append(
                    {"event": event, "before": record(item.before), "after": record(item.after)}
                )
            else:
                items.append({"event": event, "record": record(item)})
        return items

    def __str__(self) -> str:
        return _report(self)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{len(getattr(self, name))} {name}" for name, _ in _EVENTS if getattr(self, name)
        )
        return f"<SnapshotDiff: {counts or 'no changes'}>"


def diff(before: Snapshot, after: Snapshot) -> SnapshotDiff:
    """What changed from ``before`` to ``after``.

    Sockets are followed by their identity (the kernel's socket cookie where both
    snapshots have them from one running kernel, else table, endpoints and inode), so
    that a socket whose queues or state changed is the same socket, a connection accepted
    between the snapshots is not a new one, and a connection that closed into
    ``TIME_WAIT`` is a state change, not a socket gone and another new. A listener is the
    same while something listens on its address. Routes are compared by destination,
    metric and source; interfaces by name. Only tables both snapshots hold are compared
    (:attr:`SnapshotDiff.compared`), and for sockets only the socket tables both list.
    """
    check_snapshots(before, after, "diff")
    compared: list[str] = []
    found: dict[str, Any] = {name: Table() for name, _ in _EVENTS}
    for name, _ in _EVENTS:
        if name.endswith("changed"):
            found[name] = ()
    if before.connections is not None and after.connections is not None:
        compared.append("connections")
        with gc_paused():  # pairs of records, by the thousand, and no cycle among them
            found.update(_socket_changes(before, after))
    if before.routes is not None and after.routes is not None:
        compared.append("routes")
        found.update(_route_changes(before.routes, after.routes))
    if before.interfaces is not None and after.interfaces is not None:
        compared.append("interfaces")
        found.update(_interface_changes(before.interfaces, after.interfaces))
    return SnapshotDiff(
        before_taken_at=before.taken_at,
        after_taken_at=after.taken_at,
        compared=tuple(compared),
        **found,
    )


def _in_tables(rows: Iterable[Connection], tables: frozenset[Any]) -> list[Connection]:
    protocols = {protocol for protocol, _ in tables}
    return [
        row
        for row in rows
        if (row.protocol, row.family) in tables
        or (row.family is None and row.protocol in protocols)
    ]


def _listeners(rows: list[Connection]) -> list[Connection]:
    """The rows that are listening (:attr:`Connection.is_listening`, inlined: this runs
    over every row of both snapshots)."""
    stateful = (Protocol.TCP, Protocol.UNIX)
    listen = TcpState.LISTEN
    return [
        row
        for row in rows
        if (row.state is listen if row.protocol in stateful else row.state is None)
        and (row.remote is None or row.protocol in stateful)
    ]


def _socket_changes(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    assert before.connections is not None and after.connections is not None
    common = (before.socket_tables or frozenset()) & (after.socket_tables or frozenset())
    # A snapshot lists only its own socket tables: rows need a look only when the two
    # snapshots did not list the same ones.
    old = (
        list(before.connections)
        if before.socket_tables == common
        else _in_tables(before.connections, common)
    )
    new = (
        list(after.connections)
        if after.socket_tables == common
        else _in_tables(after.connections, common)
    )
    pairs, gone, came = match_connections(old, new, cookies=cookies_comparable(before, after))
    old_listeners = _listeners(old)
    new_listeners = _listeners(new)
    listened = {listener_address(row) for row in old_listeners}
    listens = {listener_address(row) for row in new_listeners}
    state_changed = []
    owners_changed = []
    for was, row in pairs:
        if was is row:  # one record in both (a listing that reuses unchanged records)
            continue
        if was.state is not row.state or was.state_text != row.state_text:
            state_changed.append(Change(was, row))
        if was.pids and row.pids and (was.pids != row.pids or was.process != row.process):
            owners_changed.append(Change(was, row))
    return {
        "listeners_added": Table(
            row for row in new_listeners if listener_address(row) not in listened
        ),
        "listeners_removed": Table(
            row for row in old_listeners if listener_address(row) not in listens
        ),
        "opened": Table(row for row in came if not row.is_listening),
        "closed": Table(row for row in gone if not row.is_listening),
        "state_changed": tuple(state_changed),
        "owners_changed": tuple(owners_changed),
    }


def _route_key(route: Route) -> Hashable:
    return (route.family, route.destination, route.source, route.metric, route.persistent)


def _without(rows: Sequence[Route], others: Sequence[Route]) -> list[Route]:
    """The routes of ``rows`` that ``others`` does not hold, as many times as it does not
    (several routes may be equal: the kernel lists some in several tables)."""
    counts: dict[Route, int] = {}
    for route in others:
        counts[route] = counts.get(route, 0) + 1
    left = []
    for route in rows:
        if counts.get(route):
            counts[route] -= 1
        else:
            left.append(route)
    return left


def _route_changes(before: Sequence[Route], after: Sequence[Route]) -> dict[str, Any]:
    # Routes that did not change at all first, then the rest by key: several routes can
    # share a key (an IPv6 multicast route per interface), and pairing those with each
    # other before removing the unchanged ones would report changes that did not happen.
    old = _without(before, after)
    new = _without(after, before)
    waiting: dict[Hashable, list[Route]] = {}
    for route in new:
        waiting.setdefault(_route_key(route), []).append(route)
    removed: list[Route] = []
    changed: list[Change[Route]] = []
    for route in old:
        candidates = waiting.get(_route_key(route))
        if candidates:
            changed.append(Change(route, candidates.pop(0)))
        else:
            removed.append(route)
    return {
        "routes_added": Table(route for routes in waiting.values() for route in routes),
        "routes_removed": Table(removed),
        "routes_changed": tuple(changed),
    }


def _interface_changes(
    before: Sequence[InterfaceStats], after: Sequence[InterfaceStats]
) -> dict[str, Any]:
    old = {row.name: row for row in before}
    new = {row.name: row for row in after}
    went_up: list[InterfaceStats] = []
    went_down: list[InterfaceStats] = []
    for name, row in new.items():
        was = old.get(name)
        if was is None or was.is_up is None or row.is_up is None or was.is_up == row.is_up:
            continue
        (went_up if row.is_up else went_down).append(row)
    return {
        "interfaces_appeared": Table(row for name, row in new.items() if name not in old),
        "interfaces_gone": Table(row for name, row in old.items() if name not in new),
        "interfaces_up": Table(went_up),
        "interfaces_down": Table(went_down),
    }


# -- the report --------------------------------------------------------------------------


def _protocol_text(row: Connection) -> str:
    name = "udpl" if row.protocol is Protocol.UDPLITE else row.protocol.value
    return f"{name}6" if row.family is not None and row.family.name == "AF_INET6" else name


def _local_text(row: Connection) -> str:
    if row.protocol is Protocol.UNIX:
        return safe_text(row.path) if row.path is not None else f"(unnamed, inode {row.inode})"
    if row.local is not None:
        return str(row.local)
    return safe_text(str(row.local_name)) if row.local_name is not None else "*"


def _remote_text(row: Connection) -> str:
    if row.remote is not None:
        return str(row.remote)
    return safe_text(str(row.remote_name)) if row.remote_name is not None else "*"


def _owner_text(row: Connection) -> str:
    if row.pids is None:
        return "?"
    if not row.pids:
        return safe_text(f"-/{row.process}") if row.process is not None else "-"
    more = f"+{len(row.pids) - 1}" if len(row.pids) > 1 else ""
    name = f"/{row.process}" if row.process is not None else ""
    return safe_text(f"{row.pids[0]}{more}{name}")


def _state(row: Connection) -> str:
    return state_text(row) or "-"


def _connection_lines(rows: Sequence[Connection]) -> str:
    columns = [Column("Proto"), Column("Local Address"), Column("Remote Address"),
               Column("State"), Column("PID/Program")]  # fmt: skip
    body = [
        [_protocol_text(r), _local_text(r), _remote_text(r), _state(r), _owner_text(r)]
        for r in rows
    ]
    return layout(columns, body, indent=2, width=None)


def _change_lines(changes: Sequence[Change[Connection]], *, owners: bool) -> str:
    columns = [Column("Proto"), Column("Local Address"), Column("Remote Address")]
    if owners:
        columns += [Column("State"), Column("Owner before"), Column("Owner now")]
    else:
        columns += [Column("State before"), Column("State now"), Column("PID/Program")]
    body = []
    for change in changes:
        b, a = change.before, change.after
        row = [_protocol_text(a), _local_text(a), _remote_text(a)]
        if owners:
            row += [_state(a), _owner_text(b), _owner_text(a)]
        else:
            row += [_state(b), _state(a), _owner_text(a if a.pids else b)]
        body.append(row)
    return layout(columns, body, indent=2, width=None)


def _route_text(route: Route) -> str:
    via = f"via {route.gateway}" if route.gateway is not None else "on-link"
    metric = f" metric {route.metric}" if route.metric is not None else ""
    flags = route_flag_letters(route.flags)
    return f"{route.destination} {via} dev {route_interface_text(route)}{metric} [{flags}]"


def _interface_names(rows: Sequence[InterfaceStats]) -> str:
    return "  " + ", ".join(
        safe_text(row.name) if row.name is not None else "(all)" for row in rows
    )


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _report(changes: SnapshotDiff) -> str:
    seconds = (changes.after_taken_at - changes.before_taken_at).total_seconds()
    lines = [
        f"Changes from {_when(changes.before_taken_at)} to {_when(changes.after_taken_at)} "
        f"({seconds:.3f} s)"
    ]
    sections: list[tuple[str, Sequence[Any], Callable[[Any], str]]] = [
        ("New listeners", changes.listeners_added, _connection_lines),
        ("Listeners removed", changes.listeners_removed, _connection_lines),
        ("Opened", changes.opened, _connection_lines),
        ("Closed", changes.closed, _connection_lines),
        ("State changed", changes.state_changed, lambda c: _change_lines(c, owners=False)),
        ("Owners changed", changes.owners_changed, lambda c: _change_lines(c, owners=True)),
        ("Routes added", changes.routes_added, lambda r: "\n".join(
            "  " + _route_text(route) for route in r)),
        ("Routes removed", changes.routes_removed, lambda r: "\n".join(
            "  " + _route_text(route) for route in r)),
        ("Routes changed", changes.routes_changed, lambda c: "\n".join(
            f"  {_route_text(change.before)}\n    -> {_route_text(change.after)}"
            for change in c)),
        ("Interfaces appeared", changes.interfaces_appeared, _interface_names),
        ("Interfaces gone", changes.interfaces_gone, _interface_names),
        ("Interfaces up", changes.interfaces_up, _interface_names),
        ("Interfaces down", changes.interfaces_down, _interface_names),
    ]  # fmt: skip
    for title, items, render in sections:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines.append(render(items))
    if not changes:
        lines.append("No changes.")
    missing = [
        name for name in ("connections", "routes", "interfaces") if name not in changes.compared
    ]
    if missing:
        lines.append(f"Not compared (not in both snapshots): {', '.join(missing)}.")
    return "\n".join(lines)
