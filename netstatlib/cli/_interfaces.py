"""Interface statistics as ``netstat -e`` prints them: Windows' block of totals over every
interface, then (where the source has them: Linux, psutil) one line per interface, as
Linux's ``netstat -i``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._model import InterfaceStats
from .._text import (
    INTERFACE_COUNTERS,
    Column,
    interface_counter_cells,
    layout,
    optional_text,
    safe_text,
    section,
)

__all__ = ["interfaces_text"]


def _sum(rows: Sequence[InterfaceStats], name: str) -> int | None:
    """The total of a counter over ``rows``; ``None`` when a row does not have it (Linux
    gives no unicast split and no count of unknown protocols)."""
    total = 0
    for row in rows:
        value = getattr(row, name)
        if not isinstance(value, int):
            return None
        total += value
    return total


def _pair(rows: Sequence[InterfaceStats], counter: str) -> tuple[int | None, int | None]:
    """The received and sent totals of ``rx_COUNTER`` and ``tx_COUNTER``."""
    if not rows:
        return (None, None)
    return (_sum(rows, f"rx_{counter}"), _sum(rows, f"tx_{counter}"))


def interfaces_text(rows: Sequence[InterfaceStats]) -> str:
    """Windows' ``netstat -e`` block (a total over all interfaces), then, where the
    source has them, one line per interface."""
    lines: list[tuple[str, int | None, int | None]] = [("Bytes", *_pair(rows, "bytes"))]
    unicast = _pair(rows, "unicast_packets")
    non_unicast = _pair(rows, "non_unicast_packets")
    if None in unicast or None in non_unicast:
        lines.append(("Packets", *_pair(rows, "packets")))
    else:
        lines += [("Unicast packets", *unicast), ("Non-unicast packets", *non_unicast)]
    lines += [("Discards", *_pair(rows, "dropped")), ("Errors", *_pair(rows, "errors"))]
    unknown = _sum(rows, "rx_unknown_protocols") if rows else None
    if unknown is not None:
        lines.append(("Unknown protocols", unknown, None))
    table = [f"{'':<19}{'Received':>16}{'Sent':>16}", ""]
    for label, received, sent in lines:
        right = "" if sent is None else f"{sent:>16}"
        table.append(f"{label:<19}{optional_text(received, '-'):>16}{right}".rstrip())
    text = section("Interface Statistics", "\n".join(table))
    named = [row for row in rows if row.name is not None]
    if named:
        columns = [
            Column("Iface", 5),
            Column("MTU", right=True),
            *(Column(header, right=True) for header in INTERFACE_COUNTERS),
        ]
        body = [
            [
                safe_text(row.name or ""),
                optional_text(row.mtu, "-"),
                *interface_counter_cells(row),
            ]
            for row in named
        ]
        text += "\n" + section("Per-interface Statistics", layout(columns, body, indent=0))
    return text
