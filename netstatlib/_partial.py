"""Partial results: how a backend says that what it returns is not everything.

Strategy: a backend method returns its records as it always has; what it could not see
(processes it may not inspect, a table its source cannot list, processes that exited
mid-walk) it says, while it runs, with :func:`report_incomplete`. The query functions
open a collector around each call to a backend (:func:`collecting`) and attach what was
said to the :class:`~netstatlib.Table` they return as its ``notes``. The collector lives
in a context variable, so concurrent queries in threads or tasks keep their notes apart,
and a backend called outside a query function (its methods called directly) reports to
nobody. A backend that says nothing gives a complete table: third-party backends written
before this channel existed keep working unchanged.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

__all__ = ["Notes", "collecting", "report_incomplete"]


@attrs.define
class Notes:
    """What the backends said during one query: the sentences, in order and each once,
    and whether any of them is about the owners of sockets (``pids``, ``process``)."""

    sentences: list[str] = attrs.field(factory=list)
    owners_incomplete: bool = False

    def add(self, sentence: str, *, owners: bool = False) -> None:
        """Record ``sentence`` (once) and whether it is about owners."""
        if sentence not in self.sentences:
            self.sentences.append(sentence)
        self.owners_incomplete = self.owners_incomplete or owners


_CURRENT: contextvars.ContextVar[Notes | None] = contextvars.ContextVar(
    "netstatlib_notes", default=None
)


def report_incomplete(note: str, *, owners: bool = False) -> None:
    """Say that the records being returned are not all there is, in one sentence
    (``"3 processes could not be inspected; ..."``).

    Called by a backend while a query function runs it; the sentence becomes one of the
    :attr:`~netstatlib.Table.notes` of the table the query returns, and the table is
    no longer :attr:`~netstatlib.Table.complete`. ``owners=True`` marks a note about
    the owners of sockets (``pids``, ``process``): a filter on ``F.pid`` or
    ``F.process`` then gets a note of its own saying it may miss sockets. A sentence
    said twice in one query is kept once. Outside a query function (a backend's method
    called directly) the call does nothing.
    """
    if not isinstance(note, str) or not note.strip():
        raise TypeError(f"a note is a non-empty sentence, not {note!r}")
    notes = _CURRENT.get()
    if notes is not None:
        notes.add(note.strip(), owners=owners)


@contextmanager
def collecting() -> Iterator[Notes]:
    """Collect what backends report while the block runs (nested blocks each collect
    their own, and the outer one gets them too)."""
    outer = _CURRENT.get()
    notes = Notes()
    token = _CURRENT.set(notes)
    try:
        yield notes
    finally:
        _CURRENT.reset(token)
        if outer is not None:
            for sentence in notes.sentences:
                outer.add(sentence)
            outer.owners_incomplete = outer.owners_incomplete or notes.owners_incomplete
