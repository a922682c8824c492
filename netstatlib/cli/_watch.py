"""``netstatlib watch``: what changes on the host, one line per event.

Each look is a sample of :func:`netstatlib.watch` (the sockets of ``--kind``, the
routes and the interfaces; owners only with ``--program``), and each change of its
:class:`~netstatlib.SnapshotDiff` one line, stamped with the sample's time: as text,
``TIME EVENT PROTO LOCAL REMOTE STATE [PID/PROGRAM]``, every name escaped; with
``--json``, one JSON object per line (``SnapshotDiff.to_dicts(plain=True)`` with the
time), ASCII only, for log shippers. What could not be read (owners of other users'
processes, a table the backend cannot list) is said once on stderr, when it first
happens.
"""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

from .._diff import (
    Change,
    _local_text,
    _owner_text,
    _protocol_text,
    _remote_text,
    _route_text,
    _state,
)
from .._escape import safe_text
from .._model import Connection, InterfaceStats, Route
from .._watch import Sample, watch
from ..backends._registry import get_backend
from ._commands import CommandOptions, error, write

__all__ = ["event_lines", "run_watch", "stamp"]


def stamp(moment: datetime.datetime) -> str:
    """A sample's time as the command prints times: ISO 8601, local time with its offset
    from UTC, to the second."""
    return moment.astimezone().isoformat(timespec="seconds")


def _socket(row: Connection, state: str, owner: str) -> str:
    return f"{_protocol_text(row)} {_local_text(row)} {_remote_text(row)} {state} {owner}"


def _item_text(event: str, item: Any) -> str:
    if isinstance(item, Change):
        before, after = item.before, item.after
        if isinstance(after, Route):
            return f"{_route_text(before)} -> {_route_text(after)}"
        if event == "owner_changed":
            return _socket(after, _state(after), f"{_owner_text(before)}->{_owner_text(after)}")
        owner = _owner_text(after if after.pids else before)
        return _socket(after, f"{_state(before)}->{_state(after)}", owner)
    if isinstance(item, Connection):
        return _socket(item, _state(item), _owner_text(item))
    if isinstance(item, Route):
        return _route_text(item)
    if isinstance(item, InterfaceStats):
        return safe_text(item.name) if item.name is not None else "(all)"
    return safe_text(str(item))  # pragma: no cover - every event is one of the above


def event_lines(sample: Sample, *, as_json: bool) -> list[str]:
    """One line per change of ``sample``."""
    when = stamp(sample.taken_at)
    if as_json:
        return [json.dumps({"time": when, **item}) for item in sample.diff.to_dicts(plain=True)]
    return [f"{when} {event} {_item_text(event, item)}" for event, item in sample.diff.events()]


# The tables whose changes are events (protocol counters have none), by the backend
# query behind each: a backend that cannot list routes (psutil) still watches the rest.
_WATCHED = {"connections": "connections", "routes": "routes", "interfaces": "interface_stats"}


def run_watch(options: CommandOptions) -> int:
    said: set[str] = set()
    backend = get_backend(options.backend)
    tables = [name for name, query in _WATCHED.items() if backend.capabilities.supports(query)]
    samples = watch(
        options.interval,
        tables,
        kind=options.kind,
        processes=options.program,
        count=options.count,
        owner_rescan=options.owner_rescan,
        backend=backend,
    )
    for sample in samples:
        for note in sample.snapshot.notes:
            if note not in said:
                said.add(note)
                error(f"watch: note: {note}")
        lines = event_lines(sample, as_json=options.json)
        if lines:
            write(sys.stdout, "\n".join(lines))
    return 0
