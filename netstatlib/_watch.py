"""Watching: snapshots one interval apart, each compared with the one before.

:func:`watch` is an iterator of :class:`Sample`: what changed (a
:class:`~netstatlib.SnapshotDiff`) and how fast (:class:`~netstatlib.Rates`) since the
previous sample, with the time. It keeps only the previous snapshot, so its memory is
that of two snapshots however long it runs, and it holds no thread, file or socket
between samples: leaving the loop (``break``), Ctrl-C (``KeyboardInterrupt`` reaches
the caller from the wait or the reading) and a ``stop`` event set from another thread
all end it with nothing left behind.

Strategy for the cost: each sample asks the backend for the tables the caller named and
nothing more. Owners (a walk of every process's file descriptors) are looked up only
with ``processes=True``, and each walk reads only the descriptors the one before did
not see (:class:`~netstatlib._owner_memory.OwnerMemory`, on the live ``/proc``);
``tcp_info`` (``details=True``) is asked for only with ``throughput=True``, and the
throughput reads its two byte counters without decoding the rest.

The sockets are read in a snapshot of their own, with a clock reading of their own:
:func:`~netstatlib.snapshot` reads the clock once, next to the counters, and the sockets
after them; on a host with many sockets the time that takes varies from one sample to
the next, and TCP throughput divided by the counters' interval would be off by as much.
The counters' rates use the counters' readings, the throughput the sockets' readings.

The samples keep their cadence: the n-th is due ``n * interval`` after the first
snapshot, whatever the readings cost. When a reading takes longer than the interval,
the ticks it overran are skipped (:attr:`Sample.missed` counts them) rather than read
back to back.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import math
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

import attrs

from ._diff import SnapshotDiff, diff
from ._errors import UsageError
from ._owner_memory import OwnerMemory
from ._rates import Rates, rates
from ._snapshot import TABLES, Snapshot, snapshot
from ._sources import OWNER_MEMORY
from .backends._base import Backend
from .backends._registry import get_backend
from .parsers.sockdiag import ROW_MEMORY, RowMemory

__all__ = ["Sample", "watch"]

_T = TypeVar("_T")


@attrs.frozen(kw_only=True, repr=False)
class Sample:
    """What changed and how fast since the previous sample of :func:`watch`."""

    taken_at: datetime.datetime
    """When this sample was read, in UTC."""
    interval: float
    """Seconds since the previous sample (by the monotonic clock)."""
    diff: SnapshotDiff
    """What changed since the previous sample: sockets opened and closed, states,
    listeners, owners, routes and interfaces (those of the tables watched)."""
    rates: Rates
    """How fast since the previous sample: interfaces, protocol counters, and with
    ``throughput=True`` TCP bytes per second per connection and per process."""
    snapshot: Snapshot
    """The state of the host at this sample (the next sample is compared with it)."""
    missed: int = 0
    """Samples that were due since the previous one but skipped, because reading took
    longer than the interval."""

    @property
    def complete(self) -> bool:
        """Whether everything asked for could be read (see :attr:`Snapshot.notes
        <netstatlib.Snapshot.notes>` in :attr:`snapshot`)."""
        return self.snapshot.complete

    def __repr__(self) -> str:
        when = self.taken_at.isoformat(timespec="milliseconds")
        return f"<Sample at {when} over {self.interval:.3f} s: {self.diff!r}, {self.rates!r}>"


def _tables(include: str | Iterable[str] | None) -> tuple[str, ...]:
    if include is None:
        return TABLES
    names = [include] if isinstance(include, str) else list(include)
    unknown = [str(name) for name in names if name not in TABLES]
    if unknown or not names:
        shown = f"unknown table {unknown[0]!r}" if unknown else "include names no table"
        raise UsageError(f"{shown}; watch() reads {', '.join(TABLES)}")
    return tuple(name for name in TABLES if name in names)


def _interval(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"interval must be a number of seconds, not {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"interval must be a positive number of seconds, not {value!r}")
    return seconds


def _rescan(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"owner_rescan must be a number of seconds, not {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise UsageError(f"owner_rescan must be 0 or more seconds, not {value!r}")
    return seconds


def _count(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"count must be a number of samples (0 or more) or None, not {value!r}")
    return value


class _Reader:
    """One reading of everything watched: the counters and routes in one snapshot, the
    sockets in another with their own clock reading (see the module's strategy)."""

    def __init__(
        self,
        tables: tuple[str, ...],
        *,
        kind: str | Iterable[str],
        processes: bool,
        details: bool,
        backend: Backend,
        named: bool,
        owner_rescan: float = 30.0,
    ) -> None:
        others = [name for name in tables if name != "connections"]
        self.notes: tuple[str, ...] = ()
        if not named:
            # By default, what the backend cannot list is left out with a note, as
            # snapshot() leaves it out; tables the caller named must be there.
            missing = [name for name in others if not backend.capabilities.supports(_QUERY[name])]
            others = [name for name in others if name not in missing]
            self.notes = tuple(
                f"{name}: the {backend.name} backend cannot list them" for name in missing
            )
        self.others = tuple(others)
        self.sockets = "connections" in tables
        self.kind = kind
        self.processes = processes
        # Owners: each sample's walk reads only the descriptors the last one did not see.
        self.owners = OwnerMemory(refresh=owner_rescan) if processes else None
        # Without owners or details, a socket listed the same as last time keeps its
        # record (the Linux engine's RowMemory; other backends build every record).
        self.rows = RowMemory() if not processes and not details else None
        self.details = details
        self.backend = backend

    def read(self) -> tuple[Snapshot, Snapshot | None, Snapshot | None]:
        """A snapshot of everything watched, and the two it is made of: the counters'
        and the sockets' (``None`` when not watched), whose clock readings rates use."""
        counters = snapshot(self.others, backend=self.backend) if self.others else None
        sockets = None
        if self.sockets:
            with contextlib.ExitStack() as stack:
                if self.owners is not None:
                    stack.enter_context(_lent(OWNER_MEMORY, self.owners))
                if self.rows is not None:
                    stack.enter_context(_lent(ROW_MEMORY, self.rows))
                sockets = snapshot(
                    "connections",
                    kind=self.kind,
                    processes=self.processes,
                    details=self.details,
                    backend=self.backend,
                )
        return _merged(counters, sockets, self.notes), counters, sockets


@contextlib.contextmanager
def _lent(variable: contextvars.ContextVar[_T | None], value: _T) -> Iterator[None]:
    """``variable`` set to ``value`` for the block (what the block's queries use)."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


# The backend query behind each table other than the sockets (Capabilities names them so).
_QUERY = {"routes": "routes", "interfaces": "interface_stats", "protocols": "protocol_stats"}


def _merged(
    counters: Snapshot | None, sockets: Snapshot | None, notes: tuple[str, ...]
) -> Snapshot:
    """One snapshot of both readings: the counters' time, the sockets' tables, and what
    is missing from either (with ``notes`` on the tables left out)."""
    whole = counters or sockets
    assert whole is not None
    if counters is not None and sockets is not None:
        whole = attrs.evolve(
            counters,
            socket_tables=sockets.socket_tables,
            processes=sockets.processes,
            details=sockets.details,
            connections=sockets.connections,
            complete=counters.complete and sockets.complete,
            notes=counters.notes + sockets.notes,
        )
    if notes:
        whole = attrs.evolve(whole, complete=False, notes=notes + whole.notes)
    return whole


def _rates(
    counters: tuple[Snapshot | None, Snapshot | None],
    sockets: tuple[Snapshot | None, Snapshot | None],
) -> Rates:
    before, after = counters
    found = rates(before, after) if before is not None and after is not None else None
    sockets_before, sockets_after = sockets
    throughput = None
    if sockets_before is not None and sockets_after is not None:
        throughput = rates(sockets_before, sockets_after)
    if found is None:
        assert throughput is not None
        return throughput
    if throughput is None:
        return found
    return attrs.evolve(found, connections=throughput.connections, processes=throughput.processes)


def watch(
    interval: float = 1.0,
    include: str | Iterable[str] | None = None,
    *,
    kind: str | Iterable[str] = "inet",
    processes: bool = False,
    throughput: bool = False,
    count: int | None = None,
    stop: threading.Event | None = None,
    backend: Backend | str | None = None,
    owner_rescan: float = 30.0,
) -> Iterator[Sample]:
    """Samples of the host every ``interval`` seconds: what changed and how fast since
    the previous one.

    The first snapshot is taken at once, and each sample compares the next one, taken an
    interval later, with the one before. ``include`` names the tables to read, as in
    :func:`~netstatlib.snapshot` (default: all of them; a table the backend cannot list
    is then left out with a note); ``kind`` picks the sockets. Owners are looked up only
    with ``processes=True`` and ``tcp_info`` read only with ``throughput=True``, which
    gives :attr:`Rates.processes <netstatlib.Rates.processes>` and
    :attr:`Rates.connections <netstatlib.Rates.connections>` (TCP bytes per second;
    with ``processes=True`` too to know whose).

    Owners cost a walk of every process's descriptors. On the live Linux ``/proc``, each
    sample's walk reads only the descriptors that are new since the last one, and walks
    everything when a socket turns up that no process was found to hold. One change
    can escape that: an existing socket moved onto a descriptor number that held
    another (``dup2()``, or a socket passed between processes landing on a number just
    closed) shows its new holder only at the next full walk, made at least every
    ``owner_rescan`` seconds (0: at every sample, at the full cost).

    It runs until ``count`` samples were given (``None``: forever), the loop is left,
    ``stop`` (a :class:`threading.Event`) is set (it is also what the wait between
    samples waits on, so setting it ends the wait at once), or Ctrl-C, whose
    ``KeyboardInterrupt`` reaches the caller as usual. It keeps only the previous
    snapshot and holds no thread or file between samples. Errors of the backend are
    raised from the iteration; bad arguments raise :class:`~netstatlib.UsageError` at
    the call.
    """
    seconds = _interval(interval)
    tables = _tables(include)
    samples = _count(count)
    if stop is not None and not isinstance(stop, threading.Event):
        raise UsageError(f"stop must be a threading.Event, not {type(stop).__name__}")
    if throughput and "connections" not in tables:
        raise UsageError("throughput=True measures connections: include 'connections'")
    rescan = _rescan(owner_rescan)
    reader = _Reader(
        tables,
        kind=kind,
        processes=processes,
        details=throughput,
        backend=get_backend(backend),
        named=include is not None,
        owner_rescan=rescan,
    )
    return _samples(reader, seconds, samples, stop or threading.Event())


def _samples(
    reader: _Reader, seconds: float, count: int | None, stop: threading.Event
) -> Iterator[Sample]:
    if count == 0 or stop.is_set():
        return
    start = time.monotonic()
    previous, counters, sockets = reader.read()
    tick = 0
    given = 0
    while True:
        tick += 1
        now = time.monotonic()
        missed = 0
        if now > start + tick * seconds:  # the reading overran: skip to the next tick ahead
            missed = int((now - start) // seconds) + 1 - tick
            tick += missed
        if stop.wait(start + tick * seconds - time.monotonic()):
            return
        current, new_counters, new_sockets = reader.read()
        found = _rates((counters, new_counters), (sockets, new_sockets))
        sample = Sample(
            taken_at=current.taken_at,
            interval=found.interval,
            diff=diff(previous, current),
            rates=found,
            snapshot=current,
            missed=missed,
        )
        # Only this reading is kept for the next sample (the caller's sample holds it).
        previous, counters, sockets = current, new_counters, new_sockets
        del current, new_counters, new_sockets, found
        yield sample
        del sample
        given += 1
        if (count is not None and given >= count) or stop.is_set():
            return
