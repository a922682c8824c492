"""``netstatlib top``: processes by TCP throughput, refreshed every interval.

Each refresh is a sample of :func:`netstatlib.watch` with ``throughput=True`` (TCP
sockets, their owners and ``tcp_info``): :attr:`Rates.processes
<netstatlib.Rates.processes>`, the busiest first. On a terminal the screen is cleared
and redrawn (two escape sequences, no curses); when stdout is not a terminal (a pipe, a
file, a log) each refresh is printed after the previous one, headed by its time, so
the output stays readable there.
"""

from __future__ import annotations

import shutil
import sys

from .._escape import safe_text
from .._rates import ProcessRate
from .._text import Column, layout
from .._watch import Sample, watch
from ._commands import CommandOptions, error, write
from ._watch import stamp

__all__ = ["byte_rate", "run_top", "top_text"]

_CLEAR = "\x1b[H\x1b[2J"  # cursor home, erase the screen (ECMA-48 CUP, ED)
_DEFAULT_LIMIT = 20


def byte_rate(value: float) -> str:
    """Bytes per second for people: ``512 B/s``, ``1.5 KiB/s``, ``12.0 MiB/s``."""
    for unit in ("B/s", "KiB/s", "MiB/s", "GiB/s"):
        if value < 1024 or unit == "GiB/s":
            return f"{value:.0f} {unit}" if unit == "B/s" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _owner(row: ProcessRate) -> str:
    if row.pids is None:
        return "(owners not looked up)"
    if not row.pids:
        return "(no known owner)"
    more = f"+{len(row.pids) - 1}" if len(row.pids) > 1 else ""
    name = f"/{row.process}" if row.process is not None else ""
    return safe_text(f"{row.pids[0]}{more}{name}")


def top_text(sample: Sample, limit: int) -> str:
    """One refresh: the time, then the ``limit`` busiest processes."""
    found = sample.rates.processes or ()
    total = sum(row.connections for row in found)
    head = (
        f"{stamp(sample.taken_at)}  TCP throughput by process over "
        f"{sample.interval:.2f} s ({total} connection{'' if total == 1 else 's'})"
    )
    columns = [Column("PID/Program"), Column("Conns", right=True),
               Column("Sent", right=True), Column("Received", right=True)]  # fmt: skip
    body = [
        [_owner(row), str(row.connections), byte_rate(row.tx_bytes), byte_rate(row.rx_bytes)]
        for row in found[:limit]
    ]
    table = layout(columns, body, indent=0, width=None) if body else "(no TCP connection)"
    more = f"\n... and {len(found) - limit} more" if len(found) > limit else ""
    return f"{head}\n{table}{more}"


def run_top(options: CommandOptions) -> int:
    terminal = sys.stdout.isatty()
    limit = options.limit
    if limit is None:
        limit = max(shutil.get_terminal_size().lines - 4, 1) if terminal else _DEFAULT_LIMIT
    said: set[str] = set()
    samples = watch(
        options.interval,
        "connections",
        kind=options.kind,
        processes=True,
        throughput=True,
        count=options.count,
        owner_rescan=options.owner_rescan,
        backend=options.backend,
    )
    for sample in samples:
        for note in sample.snapshot.notes:
            if note not in said:
                said.add(note)
                error(f"top: note: {note}")
        text = top_text(sample, limit)
        write(sys.stdout, _CLEAR + text if terminal else "\n" + text)
    return 0
