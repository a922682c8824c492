"""Name resolution for records: addresses to host names, ports to service names.

``netstat`` without ``-n`` shows ``lhr08s05-in-f14:https`` where ``-n`` shows
``142.250.180.14:443``. :func:`resolve_names` does the same for a set of connections,
for a program or the command line, under rules a monitoring tool can live with:

* **concurrent**: every distinct address is looked up once, several at a time;
* **bounded**: each lookup has a ``timeout`` and the whole call a ``deadline``; a DNS
  server that never answers costs at most the deadline, and the call returns with what
  it has. Lookups run in daemon threads: a stuck ``getnameinfo()`` (which cannot be
  cancelled) is abandoned, never waited for, not even at interpreter exit;
* **cached**: answers (including "no name") are kept for ``ttl`` seconds in a
  :class:`NameCache`, shared by default, so a redisplay every few seconds does not ask
  again;
* **honest**: an address without a name stays numeric; nothing is invented.

The lookups themselves are injectable (``resolver=``, ``services=``), so tests and
programs with their own DNS policy never touch the system resolver.
"""

from __future__ import annotations

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
        with self._lock:
            self._hosts[address] = (time.monotonic(), name)

    def get_service(self, port: int, protocol: str) -> tuple[bool, str | None]:
        with self._lock:
            entry = self._services.get((port, protocol))
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def put_service(self, port: int, protocol: str, name: str | None) -> None:
        with self._lock:
            self._services[(port, protocol)] = (time.monotonic(), name)

    def clear(self) -> None:
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


def _lookup_hosts(
    addresses: list[str],
    resolver: HostResolver,
    *,
    timeout: float,
    deadline: float,
    workers: int,
) -> dict[str, str | None]:
    """Look ``addresses`` up concurrently; an address missing from the result ran out of
    time (its lookup is abandoned, not cached)."""
    if not addresses:
        return {}
    answers: queue.Queue[tuple[str, str | None]] = queue.Queue()
    todo: queue.Queue[str] = queue.Queue()
    for address in addresses:
        todo.put(address)

    def work() -> None:
        while True:
            try:
                address = todo.get_nowait()
            except queue.Empty:
                return
            started = time.monotonic()
            try:
                name = resolver(address)
            except Exception:
                name = None
            if time.monotonic() - started <= timeout:
                answers.put((address, name if isinstance(name, str) and name else None))
            # A late answer is dropped: the caller gave up on it.

    # Daemon threads: a lookup stuck in the system resolver must not keep the program
    # alive (a ThreadPoolExecutor's threads are joined at exit).
    for number in range(min(workers, len(addresses))):
        threading.Thread(target=work, name=f"netstatlib-resolve-{number}", daemon=True).start()
    result: dict[str, str | None] = {}
    # Each lookup may take `timeout`; with fewer workers than addresses they queue up,
    # so the natural bound is ceil(n / workers) * timeout, capped by the deadline.
    rounds = -(-len(addresses) // max(1, min(workers, len(addresses))))
    end = time.monotonic() + min(deadline, rounds * timeout + 0.05)
    while len(result) < len(addresses):
        remaining = end - time.monotonic()
        if remaining <= 0:
            break
        try:
            address, name = answers.get(timeout=remaining)
        except queue.Empty:
            break
        result[address] = name
    return result


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

    hosts: dict[str, str | None] = {}
    missing: dict[str, None] = {}  # an ordered set: each address asked once
    for row in rows:
        for endpoint in (row.local, row.remote):
            if endpoint is None or not _wanted(endpoint):
                continue
            text = _address_text(endpoint)
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
