"""Name resolution for records: addresses to host names, ports to service names.

``netstat`` without ``-n`` shows ``lhr08s05-in-f14:https`` where ``-n`` shows
``142.250.180.14:443``. :func:`resolve_names` does the same for a set of connections,
for a program or the command line, under rules a monitoring tool can live with:

* **concurrent**: every distinct address is looked up once, several at a time;
* **bounded**: each lookup has a ``timeout`` and the whole call a ``deadline``; a DNS
  server that never answers costs at most the deadline, and the call returns with what
  it has. Lookups run in one pool of daemon threads shared by every call, never more
  threads than ``workers`` (see ``_LookupPool``): a stuck lookup (which cannot be
  cancelled) is abandoned, never waited for, not even at interpreter exit, and holds its
  thread until the system resolver gives up, while no further lookup of an abandoned
  call starts;
* **cached**: answers (including "no name") are kept for ``ttl`` seconds in a
  :class:`NameCache`, shared by default, so a redisplay every few seconds does not ask
  again;
* **honest**: an address without a name stays numeric; nothing is invented.

The lookups themselves are injectable (``resolver=``, ``services=``), so tests and
programs with their own DNS policy never touch the system resolver.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable

import attrs

from ._errors import UsageError
from ._model import Connection, Endpoint, NamedEndpoint, Protocol
from ._table import Table

__all__ = ["NameCache", "resolve_names"]

HostResolver = Callable[[str], "str | None"]
"""``resolver(address) -> host name or None``: ``address`` is the text of an IP address
(``"10.0.0.5"``, ``"fe80::1%eth0"``)."""

ServiceResolver = Callable[[int, str], "str | None"]
"""``services(port, protocol) -> service name or None``; ``protocol`` is ``"tcp"`` or
``"udp"``."""


def system_host_name(address: str) -> str | None:
    """Reverse DNS through the system resolver (``gethostbyaddr``).

    Not ``getnameinfo``: before Python 3.11 it keeps the GIL while it waits for the DNS
    server, so one silent server froze every thread of the program, deadline included
    (measured on 3.10: the main thread did not run for the whole lookup);
    ``gethostbyaddr`` releases it.
    """
    try:
        host = socket.gethostbyaddr(address)[0]
    except (OSError, UnicodeError, ValueError):
        return None
    return host or None


def system_service_name(port: int, protocol: str) -> str | None:
    """The service name of the local services database (``/etc/services``)."""
    try:
        return socket.getservbyport(port, protocol)
    except (OSError, OverflowError, TypeError):
        return None


class NameCache:
    """Answers of earlier lookups, each kept for ``ttl`` seconds ("no name" too).

    Thread-safe. :func:`resolve_names` uses one shared cache unless given another
    (``cache=NameCache(ttl=0)`` disables caching).
    """

    def __init__(self, ttl: float = 300.0) -> None:
        if ttl < 0:
            raise UsageError(f"ttl must not be negative, not {ttl!r}")
        self.ttl = ttl
        """How long an answer stays fresh, in seconds; 0 keeps none."""
        self._lock = threading.Lock()
        self._hosts: dict[str, tuple[float, str | None]] = {}
        self._services: dict[tuple[int, str], tuple[float, str | None]] = {}

    def get_host(self, address: str) -> tuple[bool, str | None]:
        """``(known, name)``: whether a fresh answer is cached, and the answer."""
        with self._lock:
            entry = self._hosts.get(address)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def put_host(self, address: str, name: str | None) -> None:
        """Remember ``address``'s host name (``None``: it has none) for :attr:`ttl`
        seconds from now."""
        with self._lock:
            self._hosts[address] = (time.monotonic(), name)

    def get_service(self, port: int, protocol: str) -> tuple[bool, str | None]:
        """``(known, name)`` for the service name of ``port`` over ``protocol``
        (``"tcp"``, ``"udp"``), as :meth:`get_host` answers for an address."""
        with self._lock:
            entry = self._services.get((port, protocol))
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def put_service(self, port: int, protocol: str, name: str | None) -> None:
        """Remember the service name of ``port`` over ``protocol`` (``None``: it has
        none) for :attr:`ttl` seconds from now."""
        with self._lock:
            self._services[(port, protocol)] = (time.monotonic(), name)

    def clear(self) -> None:
        """Forget every answer, so that the next lookups ask the resolver again."""
        with self._lock:
            self._hosts.clear()
            self._services.clear()


_SHARED_CACHE = NameCache()


def _address_text(endpoint: Endpoint) -> str:
    text = str(endpoint.address)
    return f"{text}%{endpoint.zone}" if endpoint.zone is not None else text


def _wanted(endpoint: Endpoint | None) -> bool:
    # 0.0.0.0 and :: mean "every address", not a host: netstat prints them as they are.
    return endpoint is not None and int(endpoint.address) != 0


class _Lookup:
    """One address being looked up, and the calls waiting for its answer."""

    __slots__ = ("address", "finished", "key", "name", "resolver", "started", "waiters")

    def __init__(self, key: tuple[int, str], address: str, resolver: HostResolver) -> None:
        self.key = key
        self.address = address
        self.resolver = resolver
        self.waiters: list[queue.SimpleQueue[tuple[str, _Lookup]]] = []
        self.started: float | None = None
        self.finished: float | None = None
        self.name: str | None = None


class _LookupPool:
    """The threads that run host lookups, one pool for the whole process.

    A lookup stuck in the system resolver cannot be cancelled: its thread stays busy
    until ``gethostbyaddr()`` gives up by itself (the resolver's own timeout, seconds to
    tens of seconds against a DNS server that never answers). Threads of its own per
    call would leave their threads behind at every call against a silent server, each
    going on to the call's next addresses (100 such calls, some 1,500 threads and as many
    open sockets). So every call shares this pool; a thread is started only while the
    pool has fewer than the asking call's ``workers``, so the process never holds more
    lookup threads than the largest ``workers`` asked for, and a lookup nobody waits for
    any more is taken out of the queue before it starts. An address already being looked
    up (for another call, or stuck since an earlier one) is not asked again: the call
    waits for that lookup. Threads are daemons (a stuck lookup must not keep the program
    alive) and end when the queue is empty.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: collections.deque[_Lookup] = collections.deque()
        self._lookups: dict[tuple[int, str], _Lookup] = {}  # queued or running
        self._threads = 0
        self._busy = 0

    def reset(self) -> None:
        """Forget every lookup and thread: for a child process after ``fork()``, which
        has none of its parent's threads (and may have copied the lock held)."""
        self.__init__()  # type: ignore[misc]

    def request(
        self,
        address: str,
        resolver: HostResolver,
        inbox: queue.SimpleQueue[tuple[str, _Lookup]],
        workers: int,
    ) -> _Lookup:
        """The lookup of ``address``, queued unless it is already queued or running;
        ``inbox`` gets ``("start", lookup)`` when it starts (at once if it has) and
        ``("done", lookup)`` when it ends."""
        # The lookup holds the resolver, so its id() names it as long as the entry lives.
        key = (id(resolver), address)
        start_thread = False
        with self._lock:
            lookup = self._lookups.get(key)
            if lookup is None:
                lookup = self._lookups[key] = _Lookup(key, address, resolver)
                self._queue.append(lookup)
                idle = self._threads - self._busy
                if self._threads < workers and idle < len(self._queue):
                    self._threads += 1
                    start_thread = True
            lookup.waiters.append(inbox)
            if lookup.started is not None:
                inbox.put(("start", lookup))
        if start_thread:
            try:
                threading.Thread(target=self._work, name="netstatlib-resolve", daemon=True).start()
            except BaseException:  # no thread could be started ("can't start new thread")
                with self._lock:
                    self._threads -= 1
                self.withdraw(lookup, inbox)
                raise
        return lookup

    def withdraw(self, lookup: _Lookup, inbox: queue.SimpleQueue[tuple[str, _Lookup]]) -> None:
        """The call of ``inbox`` no longer waits for ``lookup``; a lookup that nobody
        waits for any more and has not started never starts."""
        with self._lock:
            with contextlib.suppress(ValueError):
                lookup.waiters.remove(inbox)
            if not lookup.waiters and lookup.started is None:
                with contextlib.suppress(ValueError):
                    self._queue.remove(lookup)
                if self._lookups.get(lookup.key) is lookup:
                    del self._lookups[lookup.key]

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._threads -= 1
                    return
                lookup = self._queue.popleft()
                lookup.started = time.monotonic()
                self._busy += 1
                for inbox in lookup.waiters:
                    inbox.put(("start", lookup))
            name: object = None
            try:
                name = lookup.resolver(lookup.address)
            except Exception:
                name = None
            except BaseException:
                # SystemExit from a resolver ends this thread: it no longer counts.
                self._finish(lookup, None)
                with self._lock:
                    self._threads -= 1
                raise
            self._finish(lookup, name)

    def _finish(self, lookup: _Lookup, name: object) -> None:
        with self._lock:
            self._busy -= 1
            lookup.finished = time.monotonic()
            lookup.name = name if isinstance(name, str) and name else None
            if self._lookups.get(lookup.key) is lookup:
                del self._lookups[lookup.key]
            for inbox in lookup.waiters:
                inbox.put(("done", lookup))
            lookup.waiters.clear()


_POOL = _LookupPool()
if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_POOL.reset)


def _lookup_hosts(
    addresses: list[str],
    resolver: HostResolver,
    *,
    timeout: float,
    deadline: float,
    workers: int,
) -> dict[str, str | None]:
    """Look ``addresses`` up in the shared pool, at most ``workers`` at a time. An address
    missing from the result ran out of time: its lookup took longer than ``timeout``, or
    had not answered (or not started) at the ``deadline``; it is abandoned, not cached,
    and no lookup of this call starts after the deadline."""
    if not addresses:
        return {}
    end = time.monotonic() + deadline
    inbox: queue.SimpleQueue[tuple[str, _Lookup]] = queue.SimpleQueue()
    todo = collections.deque(addresses)
    waiting: set[_Lookup] = set()
    # (when the lookup has had its time, order of starting, lookup): a heap.
    expiries: list[tuple[float, int, _Lookup]] = []
    started = 0
    result: dict[str, str | None] = {}
    try:
        while True:
            now = time.monotonic()
            while expiries and expiries[0][0] <= now:
                lookup = heapq.heappop(expiries)[2]
                if lookup in waiting:  # running for longer than `timeout`: abandoned
                    waiting.discard(lookup)
                    _POOL.withdraw(lookup, inbox)
            if now >= end:
                break
            while todo and len(waiting) < workers:
                waiting.add(_POOL.request(todo.popleft(), resolver, inbox, workers))
            if not waiting:
                break
            wake = min(end, expiries[0][0]) if expiries else end
            try:
                event, lookup = inbox.get(timeout=max(0.0, wake - now))
            except queue.Empty:
                continue
            if lookup not in waiting:
                continue  # abandoned, or a "start" that came after its "done"
            if event == "start":
                assert lookup.started is not None
                started += 1
                heapq.heappush(expiries, (lookup.started + timeout, started, lookup))
            else:
                waiting.discard(lookup)
                assert lookup.started is not None and lookup.finished is not None
                if lookup.finished - lookup.started <= timeout:
                    result[lookup.address] = lookup.name
                # A late answer is dropped: the caller gave up on it.
    finally:
        for lookup in waiting:
            _POOL.withdraw(lookup, inbox)
    return result


def host_names(
    addresses: Iterable[str],
    *,
    resolver: HostResolver | None = None,
    timeout: float = 2.0,
    deadline: float = 5.0,
    workers: int = 16,
    cache: NameCache | None = None,
) -> dict[str, str | None]:
    """The host name of each distinct address text (``"10.0.0.5"``; ``None``: it has
    none), from ``cache`` or looked up as :func:`resolve_names` looks addresses up, with
    the same arguments; an address whose lookup ran out of time is missing."""
    resolver = resolver if resolver is not None else system_host_name
    cache = cache if cache is not None else _SHARED_CACHE
    hosts: dict[str, str | None] = {}
    missing: dict[str, None] = {}  # an ordered set: each address asked once
    for text in addresses:
        if text in hosts or text in missing:
            continue
        known, name = cache.get_host(text)
        if known:
            hosts[text] = name
        else:
            missing[text] = None
    found = _lookup_hosts(
        list(missing), resolver, timeout=timeout, deadline=deadline, workers=workers
    )
    for address, name in found.items():
        cache.put_host(address, name)
        hosts[address] = name
    return hosts


def resolve_names(
    records: Iterable[Connection],
    *,
    resolver: HostResolver | None = None,
    services: ServiceResolver | None = None,
    timeout: float = 2.0,
    deadline: float = 5.0,
    workers: int = 16,
    cache: NameCache | None = None,
) -> Table[Connection]:
    """The same connections with host and service names, where they resolve.

    Every distinct address of the records (not ``0.0.0.0`` or ``::``) is looked up with
    ``resolver`` (default: reverse DNS through the system resolver), at most
    ``workers`` at a time, each within ``timeout`` seconds, all within ``deadline``
    seconds; every port with ``services`` (default: the local services database, by
    the row's protocol). A record gets ``local_name`` / ``remote_name``
    (:class:`~netstatlib.NamedEndpoint`) where a host or a service name was found:
    ``host`` is the name, or the address text when only the port has a name.
    ``local`` and ``remote`` are unchanged, and an endpoint with no name at all keeps
    ``None``: unresolved stays numeric. A name the source already printed (a Windows
    capture without ``-n``) is kept.

    Lookups run in one pool of threads shared by every call in the process: a call
    adds threads only while the pool has fewer than its ``workers``, so however many
    calls run, or time out against a DNS server that never answers, the process holds
    at most ``workers`` lookup threads (the largest ``workers`` any call gave). A lookup
    stuck in the system resolver cannot be cancelled: it keeps its thread until the
    resolver gives up by itself, and meanwhile the same address is not asked again; a
    call that reaches its deadline starts no further lookup, and lookups of its that
    were still queued never start.

    Answers, "no name" included, are cached (``cache``, by default one shared
    :class:`NameCache` with a 5-minute lifetime); a lookup that ran out of time is not.
    """
    if timeout <= 0 or deadline <= 0:
        raise UsageError("timeout and deadline must be positive numbers of seconds")
    if workers < 1:
        raise UsageError(f"workers must be at least 1, not {workers!r}")
    rows = list(records)
    for row in rows:
        if not isinstance(row, Connection):
            raise UsageError(f"resolve_names takes Connection records, not {type(row).__name__}")
    resolver = resolver if resolver is not None else system_host_name
    services = services if services is not None else system_service_name
    cache = cache if cache is not None else _SHARED_CACHE

    hosts = host_names(
        (
            _address_text(endpoint)
            for row in rows
            for endpoint in (row.local, row.remote)
            if endpoint is not None and _wanted(endpoint)
        ),
        resolver=resolver,
        timeout=timeout,
        deadline=deadline,
        workers=workers,
        cache=cache,
    )

    def service(port: int, protocol: str) -> str | None:
        if port == 0:
            return None
        known, name = cache.get_service(port, protocol)
        if not known:
            try:
                answer = services(port, protocol)
            except Exception:
                answer = None
            name = answer if isinstance(answer, str) and answer else None
            cache.put_service(port, protocol, name)
        return name

    def named(
        endpoint: Endpoint | None, printed: NamedEndpoint | None, protocol: str | None
    ) -> NamedEndpoint | None:
        if printed is not None or endpoint is None:
            return printed
        host = hosts.get(_address_text(endpoint)) if _wanted(endpoint) else None
        port_name = service(endpoint.port, protocol) if protocol is not None else None
        if host is None and port_name is None:
            return None
        return NamedEndpoint(
            host=host if host is not None else _host_text(endpoint),
            port=endpoint.port,
            service=port_name,
        )

    result = []
    for row in rows:
        protocol = _SERVICE_PROTOCOL.get(row.protocol)
        local_name = named(row.local, row.local_name, protocol)
        remote_name = named(row.remote, row.remote_name, protocol)
        if local_name is row.local_name and remote_name is row.remote_name:
            result.append(row)
        else:
            result.append(attrs.evolve(row, local_name=local_name, remote_name=remote_name))
    return Table(result)


def _host_text(endpoint: Endpoint) -> str:
    # As an endpoint prints it: IPv6 in brackets, so "host:port" stays unambiguous.
    text = _address_text(endpoint)
    return f"[{text}]" if endpoint.address.version == 6 else text


# Which services database applies: raw sockets' "port" is an IP protocol number.
_SERVICE_PROTOCOL: dict[Protocol, str] = {
    Protocol.TCP: "tcp",
    Protocol.UDP: "udp",
    Protocol.UDPLITE: "udp",
}
