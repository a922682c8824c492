"""``netstatlib snapshot FILE`` and ``netstatlib diff FILE [FILE2]``: a baseline and a
check against it.

``snapshot`` saves :func:`netstatlib.snapshot` with :meth:`Snapshot.save
<netstatlib.Snapshot.save>`. ``diff`` loads the baseline (:func:`netstatlib.load_snapshot`:
the file is taken as possibly hostile), takes the host now with the same socket tables
and owners as the baseline (or loads FILE2), prints :func:`netstatlib.diff`'s report
when something changed and nothing when nothing did (so that cron sends no mail), and
exits with status 1 when there is a new listener.
"""

from __future__ import annotations

import json
import sys

from .._diff import diff
from .._escape import safe_text
from .._snapshot import _TABLE_NAMES, Snapshot, load_snapshot, snapshot
from ._commands import CommandOptions, error, write

__all__ = ["run_diff", "run_snapshot"]


def run_snapshot(options: CommandOptions) -> int:
    (path,) = options.arguments
    shot = snapshot(kind=options.kind, processes=options.program, backend=options.backend)
    shot.save(path)
    for note in shot.notes:
        error(f"snapshot: note: {note}")
    counts = ", ".join(f"{len(getattr(shot, name))} {name}" for name in shot.tables)
    write(sys.stdout, f"saved a snapshot of {counts} to {safe_text(path)}")
    return 0


def _now_like(baseline: Snapshot, backend: str | None) -> Snapshot:
    """The host now, with what ``baseline`` holds: its socket tables and owners."""
    kind = sorted(_TABLE_NAMES[table] for table in baseline.socket_tables or ())
    return snapshot(
        baseline.tables,
        kind=kind or "inet",
        processes=baseline.processes,
        backend=backend,
    )


def run_diff(options: CommandOptions) -> int:
    baseline = load_snapshot(options.arguments[0])
    if len(options.arguments) > 1:
        current = load_snapshot(options.arguments[1])
    else:
        current = _now_like(baseline, options.backend)
    for note in current.notes:
        error(f"diff: note: {note}")
    changes = diff(baseline, current)
    if options.json:
        lines = [json.dumps(item) for item in changes.to_dicts(plain=True)]
        if lines:
            write(sys.stdout, "\n".join(lines))
    elif changes:
        write(sys.stdout, str(changes))
    return 1 if changes.listeners_added else 0
