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
    "ELLIPSIS",
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
    "shorten",
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
    push the rest of their line to the right, never cut), and its alignment.

    ``floor`` is how narrow shrinking may make the column (default: its minimum; never
    narrower than its header). ``cut`` (the last column only: a program's name) shortens
    its cells with an ellipsis to end the line within the target width, keeping at
    least ``minimum`` columns of each; to leave it that much, the columns that may
    ``squeeze`` are then narrowed below their floor, down to their header (and where
    that is not enough, nothing is cut). Nothing else is ever shortened."""

    header: str
    minimum: int = 0
    shrink: bool = False
    right: bool = False
    floor: int | None = None
    cut: bool = False
    squeeze: bool = False


ELLIPSIS = "\u2026"
"""What ends a shortened cell: ``…``."""


def shorten(text: str, room: int) -> str:
    """``text`` itself when it takes at most ``room`` columns, else its beginning and
    :data:`ELLIPSIS`, in at most ``room`` columns (a wide character is not split, a
    combining mark stays with its letter)."""
    if display_width(text) <= room:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        size = display_width(char)
        if used + size > room - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept) + ELLIPSIS


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
    shrinkable columns (addresses) are narrowed, the widest first, down to their floor;
    a cell longer than its column is still printed whole, and the cells after it move
    right (as in Windows netstat, where a long IPv6 address pushes the rest of its
    line), aligning again as soon as there is room. Then a last column that may be
    ``cut`` has its longer cells shortened (:func:`shorten`) to what is left of the
    width; when that is less than its minimum, the columns that may ``squeeze`` are
    first narrowed further (to their headers at most: the rows with longer cells then
    push) until the minimum fits. Where even that cannot leave the minimum, no line
    can fit and nothing is cut. Trailing spaces are never printed.
    """
    count = len(columns)
    cells = [[col.header for col in columns], *[list(row) for row in rows]]
    widths = [
        max(col.minimum, *(display_width(row[i]) for row in cells)) for i, col in enumerate(columns)
    ]
    floors = [
        max(col.minimum if col.floor is None else col.floor, display_width(col.header))
        for col in columns
    ]

    def total() -> int:
        # The last column may be free text at the end of the line (a program, a path, an
        # interface's description): past LAST_COLUMN it does not narrow the addresses.
        last = min(widths[-1], max(floors[-1], LAST_COLUMN))
        return indent + sum(widths[:-1]) + last + 2 * (count - 1)

    def narrow(limits: Sequence[int], allowed: Sequence[bool]) -> bool:
        """Narrow the widest allowed column still above its limit by one."""
        narrower = [i for i in range(count) if allowed[i] and widths[i] > limits[i]]
        if narrower:
            widths[max(narrower, key=lambda i: widths[i])] -= 1
        return bool(narrower)

    shrinking = [col.shrink for col in columns]
    while width is not None and total() > width and narrow(floors, shrinking):
        pass
    cut = width is not None and columns[-1].cut
    if cut and width is not None:
        # What the line leaves the cut column must be its minimum at least: to get it,
        # the columns that may squeeze go below their floors (the rows with longer
        # cells then push). If even that is not enough, no line can fit the width:
        # nothing is cut then, since cutting would not make a line fit.
        headers = [display_width(col.header) for col in columns]
        squeezing = [col.squeeze for col in columns[:-1]] + [False]
        least = sum(headers[i] if squeezing[i] else widths[i] for i in range(count - 1))
        minimum = columns[-1].minimum
        separators = 2 * (count - 1)
        cut = width - indent - least - separators >= minimum
        while cut and width - indent - sum(widths[:-1]) - separators < minimum:
            narrow(headers, squeezing)
    stops = [sum(widths[:i]) + 2 * i for i in range(count)]
    if cut and width is not None:
        room = width - indent - stops[-1]
        for row in cells[1:]:
            row[-1] = shorten(row[-1], room)
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
