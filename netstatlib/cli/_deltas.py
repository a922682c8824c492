"""``-s`` and ``-e`` with an interval: what the counters did since the previous display.

Repeating absolute counters every second shows numbers in the millions that hardly
move. With an interval, the first display is the counters as they are (as without one),
and each following display is what changed since the one before, each headed by its
time: protocol counters as ``nstat`` prints them (each counter that moved, its change
and its change per second; gauges such as ``CurrEstab`` by their value now) and
interfaces as ``ifstat`` prints them (bytes, packets, errors and drops per second).
The figures are :func:`netstatlib.rates` of two snapshots, so a counter that went down
(reset, or a 32-bit counter of Windows output that wrapped) never shows a negative
change. ``--json`` gives the :class:`~netstatlib.ProtocolRate` and
:class:`~netstatlib.InterfaceRate` records, with the time and the interval.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import attrs

from .._model import ProtocolStats
from .._rates import InterfaceRate, ProtocolRate, Rates, rates
from .._snapshot import Snapshot, snapshot
from .._table import Table
from .._text import Column, layout, safe_text, section
from ..backends._base import Backend
from ._grammar import Options
from ._interfaces import interfaces_text
from ._json import json_text
from ._render import Resolver, Services, render
from ._statistics import _GROUP_TITLES, selected_statistics, statistics_text

__all__ = ["CounterDisplays", "shows_counter_changes"]


def shows_counter_changes(options: Options) -> bool:
    """Whether the displays of an interval are counter changes: ``-s`` or ``-e`` (and
    not the sockets) with an interval."""
    return options.interval is not None and (options.statistics or options.interfaces)


class CounterDisplays:
    """The displays of ``-s``/``-e`` with an interval: the counters, then their changes
    since the previous display (with ``-r``, the routes after them, as they are). Keeps
    only the previous snapshot."""

    def __init__(self) -> None:
        self.previous: Snapshot | None = None
        self.options = Options()

    def render(
        self,
        options: Options,
        backend: Backend | None,
        *,
        resolver: Resolver | None = None,
        services: Services | None = None,
        resolve_options: dict[str, Any] | None = None,
        time: str | None = None,
    ) -> str:
        """The next display, headed by ``time``; the arguments are
        :func:`~netstatlib.cli.render`'s."""
        assert time is not None  # an interval's display
        self.options = options
        tables = [
            name
            for name, wanted in (("interfaces", options.interfaces),
                                 ("protocols", options.statistics))
            if wanted
        ]  # fmt: skip
        current = snapshot(tables, backend=backend)
        previous, self.previous = self.previous, current
        if previous is None:
            text = self._counters(current, time)
        else:
            text = self._changes(rates(previous, current), current, time)
        if options.route and not options.json:
            routes_only = attrs.evolve(options, interfaces=False, statistics=False)
            text += "\n" + render(routes_only, backend, resolver=resolver, services=services,
                                  resolve_options=resolve_options)  # fmt: skip
        return text

    def _counters(self, shot: Snapshot, time: str) -> str:
        if self.options.json:
            rows = shot.interfaces if self.options.interfaces else self._groups(shot)
            return json_text(rows or (), time=time)
        parts = [f"\n{time}"]
        if shot.interfaces is not None:
            parts.append(interfaces_text(shot.interfaces))
        if shot.protocols is not None:
            groups = [row.group for row in shot.protocols]
            parts.append(statistics_text(self._groups(shot), groups, zeros=self.options.zeros))
        return "\n".join(parts)

    def _groups(self, shot: Snapshot) -> list[ProtocolStats]:
        return list(selected_statistics(shot.protocols or (), self.options))

    def _changes(self, found: Rates, shot: Snapshot, time: str) -> str:
        wanted = {row.group for row in selected_statistics(shot.protocols or (), self.options)}
        groups = [row for row in found.protocols or () if row.group in wanted]
        if self.options.json:
            rows: Sequence[object] = found.interfaces or () if self.options.interfaces else groups
            dicts = Table(rows).to_dicts(plain=True)
            array = (
                "[\n" + ",\n".join(json.dumps(item) for item in dicts) + "\n]" if dicts else "[]"
            )
            return (
                f'{{"time": {json.dumps(time)}, "interval": {json.dumps(found.interval)}, '
                f'"records": {array}}}'
            )
        parts = [f"\n{time}"]
        if found.interfaces is not None:
            parts.append(_interface_changes(found.interfaces, found.interval))
        if found.protocols is not None:
            parts.append(_protocol_changes(groups, found.interval, zeros=self.options.zeros))
        return "\n".join(parts)


_INTERFACE_HEADERS = {
    "rx_bytes": "RX-Bytes/s",
    "rx_packets": "RX-OK/s",
    "rx_errors": "RX-ERR/s",
    "rx_dropped": "RX-DRP/s",
    "tx_bytes": "TX-Bytes/s",
    "tx_packets": "TX-OK/s",
    "tx_errors": "TX-ERR/s",
    "tx_dropped": "TX-DRP/s",
}


_RATE_FIELDS = tuple(_INTERFACE_HEADERS)


def _per_second(value: float) -> str:
    return f"{value:.1f}"


def _interface_changes(rows: Table[InterfaceRate], interval: float) -> str:
    """One line per interface, as ``ifstat``: each counter per second; a counter that
    went down (reset or wrapped) marked with ``*``."""
    columns = [
        Column("Iface", 5),
        *(Column(_INTERFACE_HEADERS[n], right=True) for n in _RATE_FIELDS),
    ]
    body = []
    for row in rows:
        cells = [safe_text(row.name) if row.name is not None else "(all)"]
        cells += [
            _per_second(getattr(row, name)) + ("*" if name in row.reset else "")
            for name in _RATE_FIELDS
        ]
        body.append(cells)
    text = layout(columns, body, indent=0, width=None) if body else "  (no interface)"
    if any(row.reset for row in rows):
        text += "\n* went down (reset, or wrapped around): counted from there"
    return section(f"Interface Statistics per second over {interval:.3f} s", text)


def _protocol_changes(rows: list[ProtocolRate], interval: float, *, zeros: bool) -> str:
    """One block per group with a counter that moved, as ``nstat``: the change and the
    change per second of each counter that moved (every counter with ``zeros``), and
    the gauges by their value now."""
    parts = []
    for row in rows:
        body = [
            [safe_text(name), str(delta), _per_second(row.per_second[name]) + "/s"
             + (" (went down: counted from there)" if name in row.reset else "")]
            for name, delta in row.deltas.items()
            if delta or zeros
        ]  # fmt: skip
        body += [
            [safe_text(name), str(value), "(now)"]
            for name, value in row.gauges.items()
            if value or zeros
        ]
        if not body or (not any(delta for delta in row.deltas.values()) and not zeros):
            continue
        columns = [Column("Counter"), Column("Change", right=True), Column("Rate")]
        title = _GROUP_TITLES.get(row.group, f"{row.group} Statistics")
        if row.group == "Tcp" and not any(other.group == "Tcp6" for other in rows):
            title = "TCP Statistics for IPv4 and IPv6"  # Linux: one group for both
        parts.append(
            section(f"{title} ({safe_text(row.group)})", layout(columns, body, width=None))
        )
    head = f"Changes over {interval:.3f} s"
    if not parts:
        return f"\n{head}: no counter moved"
    return f"\n{head}\n" + "\n".join(parts)
