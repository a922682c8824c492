"""Pausing the cyclic garbage collector while a large table is built."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large table is built, when no other
    thread can notice.

    The records are acyclic, so the collector can never free one of them, yet as they
    pile up it walks the young ones every few hundred allocations and, twice or so in a
    100k-row table, every object of the program: at 100k rows that is a quarter of the
    time. Reference counting still frees everything as usual.

    The switch is the whole process's, so it is touched only when the calling thread is
    the only one (a script, the CLI): then nothing else runs while it is off, and it is
    switched back on before anything else can. With other threads running (an agent, a
    server, a notebook's kernel), or the collector already off, nothing is touched: no
    thread finds collection stopped, and an application's own ``gc.disable()`` is never
    undone. The table is then built at the collector's usual cost.
    """
    if not gc.isenabled() or threading.active_count() > 1:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
