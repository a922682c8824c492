"""Pausing the cyclic garbage collector while a large table is built."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large table is built.

    The records are acyclic, so the collector can never free one of them, yet every few
    hundred allocations it walks all the young survivors, and now and then every object
    of the program: at 100k rows that is about a quarter of the time. Reference counting
    still frees everything as usual. Pause it once around the whole build (a pause per
    chunk lets a collection of everything built so far run between the chunks).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
