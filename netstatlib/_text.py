"""Text for people: the one layout engine behind ``print(table)`` and the command line.

Everything netstatlib prints as columns goes through here. :func:`safe_text` (from
:mod:`netstatlib._escape`, which error messages use too) makes text that comes from the
system (process names, UNIX paths, interface and host names) safe for a terminal;
:func:`display_width` measures text as a terminal shows it;
:func:`layout` aligns rows under :class:`Column` headers, two spaces apart, and
:func:`section` titles a block. :class:`~netstatlib.Table` lays its rows out with no
indent and no target width; the ``netstatlib`` command lays them out as Windows'
``netstat`` does, indented by two and fitted to 80 columns where the addresses allow.

The cell texts both of them print the same way live here too (route flags, a route's
interface, a state word, interface counters, an absent value), so that each is written
once. This module imports nothing from netstatlib but the data model and the escaping.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ._escape import safe_text
from ._model import Connection, InterfaceStats, Route, RouteFlags, TcpState

__all__ = [
    "INTERFACE_COUNTERS",
    "LAST_COLUMN",
    "TARGET_WIDTH",
    "Column",
    "display_width",
    "interface_counter_cells",
    "layout",
    "optional_text",
    "route_flag_letters",
    "route_interface_text",
    "safe_text",
    "section",
    "state_text",
]

TARGET_WIDTH = 80  # what layout() fits a table into by default, when it can
LAST_COLUMN = 16  # how much of a table's last column counts towards the target width


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide East Asian characters take two,
    combining marks none."""
    if text.isascii():
        return len(text)
    # East_Asian_Width W (wide) and F (fullwidth) take two cells (UAX #11, as wcwidth()
    # counts them); A (ambiguous) is one, as in every non-CJK locale. A combining mark
    # (é written as e + U+0301) draws over the character before it.
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


class Column(NamedTuple):
    """A column of a text table: its header, a minimum width (netstat's), whether it may
    be narrower than its longest cell when the table is too wide (the longer cells then
    push the rest of their line to the right, never cut), and its alignment."""

    header: str
    minimum: int = 0
    shrink: bool = False
    right: bool = False


def layout(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    indent: int = 2,
    width: int | None = TARGET_WIDTH,
) -> str:
    """Align ``rows`` under ``columns``, two spaces apart, as netstat does.

    Widths are display widths (:func:`display_width`) and come from the content, at
    least each column's minimum; right-aligned columns put their header and cells
    against the right edge. With a target ``width`` (``None``: none), when a line
    (counting at most :data:`LAST_COLUMN` of the last column) would be wider, the
    shrinkable columns (addresses) are narrowed down to their minimum; a cell longer
    than its column is still printed whole, and the cells after it move right (as in
    Windows netstat, where a long IPv6 address pushes the rest of its line), aligning
    again as soon as there is room. Trailing spaces are never printed.
    """
    count = len(columns)
    cells = [[col.header for col in columns], *[list(row) for row in rows]]
    widths = [
        max(col.minimum, *(display_width(row[i]) for row in cells)) for i, col in enumerate(columns)
    ]
    floors = [max(col.minimum, display_width(col.header)) for col in columns]

    def total() -> int:
        # The last column may be free text at the end of the line (a program, a path, an
        # interface's description): past LAST_COLUMN it does not narrow the addresses.
        last = min(widths[-1], max(floors[-1], LAST_COLUMN))
        return indent + sum(widths[:-1]) + last + 2 * (count - 1)

    while width is not None and total() > width:
        narrower = [i for i in range(count) if columns[i].shrink and widths[i] > floors[i]]
        if not narrower:
            break
        widths[max(narrower, key=lambda i: widths[i])] -= 1
    stops = [sum(widths[:i]) + 2 * i for i in range(count)]
    lines = []
    for row in cells:
        line = ""
        used = 0
        for i, cell in enumerate(row):
            start = stops[i] if i == 0 else max(stops[i], used + 2)
            size = display_width(cell)
            if columns[i].right and size < widths[i] and start == stops[i]:
                start += widths[i] - size
            line += " " * (start - used) + cell
            used = start + size
        lines.append((" " * indent + line).rstrip())
    return "\n".join(lines)


def section(title: str, body: str) -> str:
    """A block as Windows netstat prints one: a blank line, the title, a blank line."""
    return f"\n{title}\n\n{body}"


# -- cells -------------------------------------------------------------------------------


def optional_text(value: object, missing: str = "") -> str:
    """A value's text, or ``missing`` when it is unknown (``None``): ``Table`` leaves the
    cell empty, the command prints netstat's ``-``."""
    return missing if value is None else str(value)


def state_text(row: Connection, words: Mapping[TcpState, str] | None = None) -> str:
    """A socket's state: its word in ``words`` (a tool's spelling) or its name; a state
    netstatlib does not know as the source printed it; nothing for a socket without one."""
    if row.state is None:
        return ""
    if row.state is TcpState.UNKNOWN and row.state_text is not None:
        return safe_text(row.state_text)
    return (words or {}).get(row.state, row.state.name)


# The letters of `route -n` and `netstat -r` (route(8), in the order it prints them).
_FLAG_LETTERS = (
    (RouteFlags.UP, "U"),
    (RouteFlags.GATEWAY, "G"),
    (RouteFlags.HOST, "H"),
    (RouteFlags.REINSTATE, "R"),
    (RouteFlags.DYNAMIC, "D"),
    (RouteFlags.MODIFIED, "M"),
    (RouteFlags.REJECT, "!"),
)


def route_flag_letters(flags: RouteFlags) -> str:
    """The flags as ``netstat -r``/``route -n`` print them (``UG``, ``UH``, ``!``)."""
    return "".join(letter for flag, letter in _FLAG_LETTERS if flag in flags)


def route_interface_text(row: Route) -> str:
    """The device as the source named it: a name, or (Windows) an address or index."""
    if row.interface is not None:
        return safe_text(row.interface)
    if row.interface_address is not None:
        return str(row.interface_address)
    if row.interface_index is not None:
        return f"if{row.interface_index}"
    return "*"


# The counters of `netstat -i` (Linux), in its order, with its column headers.
INTERFACE_COUNTERS = ("RX-Bytes", "RX-OK", "RX-ERR", "RX-DRP",
                      "TX-Bytes", "TX-OK", "TX-ERR", "TX-DRP")  # fmt: skip


def interface_counter_cells(row: InterfaceStats) -> list[str]:
    """The cells under :data:`INTERFACE_COUNTERS`: bytes, packets, errors and drops, in
    then out."""
    return [
        str(row.rx_bytes),
        str(row.rx_packets),
        str(row.rx_errors),
        str(row.rx_dropped),
        str(row.tx_bytes),
        str(row.tx_packets),
        str(row.tx_errors),
        str(row.tx_dropped),
    ]
