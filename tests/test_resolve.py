"""resolve_names: concurrent, cached, bounded by a deadline, honest; no real DNS here."""

from __future__ import annotations

import socket
import threading
import time

import netaddr
import pytest

from netstatlib import (
    Connection,
    Endpoint,
    NameCache,
    NamedEndpoint,
    Protocol,
    TcpState,
    UsageError,
    resolve_names,
)

from conftest import conn, ep

INET, INET6 = socket.AddressFamily.AF_INET, socket.AddressFamily.AF_INET6


class FakeDNS:
    """A resolver we control: names for some addresses, counts every question."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, address: str) -> str | None:
        with self.lock:
            self.asked.append(address)
        return self.names.get(address)


def services(port: int, protocol: str) -> str | None:
    return {(443, "tcp"): "https", (22, "tcp"): "ssh", (53, "udp"): "domain"}.get((port, protocol))


def test_names_are_filled_and_numbers_kept() -> None:
    dns = FakeDNS({"192.0.2.7": "api.example", "192.0.2.10": "me.example"})
    rows = [
        conn(ep("192.0.2.10", 50000), ep("192.0.2.7", 443)),
        conn(ep("192.0.2.10", 50001), ep("198.51.100.1", 8080)),
        conn(ep("0.0.0.0", 22)),
        conn(ep("127.0.0.1", 53), protocol=Protocol.UDP),
    ]
    out = resolve_names(rows, resolver=dns, services=services, cache=NameCache(ttl=0))
    assert out[0].local == rows[0].local and out[0].remote == rows[0].remote
    assert out[0].local_name == NamedEndpoint(host="me.example", port=50000)
    assert out[0].remote_name == NamedEndpoint(host="api.example", port=443, service="https")
    assert out[1].remote_name is None  # no host name, no service: stays numeric
    # 0.0.0.0 is never looked up, but its port has a name.
    assert out[2].local_name == NamedEndpoint(host="0.0.0.0", port=22, service="ssh")
    assert out[3].local_name == NamedEndpoint(host="127.0.0.1", port=53, service="domain")
    assert "0.0.0.0" not in dns.asked
    assert sorted(dns.asked) == sorted(set(dns.asked))  # each address asked once
    assert str(out[0].remote_name) == "api.example:https"


def test_ipv6_and_zones() -> None:
    row = Connection(
        protocol=Protocol.TCP,
        family=INET6,
        local=Endpoint(address=netaddr.IPAddress("fe80::1"), port=22, zone="eth0"),
        remote=Endpoint(address=netaddr.IPAddress("2001:db8::5"), port=40000),
        state=TcpState.ESTABLISHED,
    )
    dns = FakeDNS({"fe80::1%eth0": "router.lan"})
    (out,) = resolve_names([row], resolver=dns, services=services, cache=NameCache(ttl=0))
    assert out.local_name == NamedEndpoint(host="router.lan", port=22, service="ssh")
    assert out.remote_name is None
    assert "2001:db8::5" in dns.asked


def test_the_cache_answers_the_second_time() -> None:
    dns = FakeDNS({"192.0.2.7": "api.example"})
    cache = NameCache()
    rows = [conn(ep("192.0.2.10", 50000), ep("192.0.2.7", 443))]
    resolve_names(rows, resolver=dns, services=services, cache=cache)
    asked = len(dns.asked)
    again = resolve_names(rows, resolver=dns, services=services, cache=cache)
    assert len(dns.asked) == asked  # nothing asked again, "no name" answers included
    assert again[0].remote_name is not None and again[0].remote_name.host == "api.example"
    cache.clear()
    resolve_names(rows, resolver=dns, services=services, cache=cache)
    assert len(dns.asked) == 2 * asked


def test_a_dead_dns_server_costs_at_most_the_deadline() -> None:
    release = threading.Event()

    def hanging(address: str) -> str | None:
        if address == "192.0.2.99":
            release.wait(30)  # never answers in time
        return {"192.0.2.7": "api.example"}.get(address)

    rows = [
        conn(ep("192.0.2.10", 50000), ep("192.0.2.7", 443)),
        conn(ep("192.0.2.10", 50001), ep("192.0.2.99", 443)),
    ]
    cache = NameCache()
    started = time.monotonic()
    try:
        out = resolve_names(
            rows, resolver=hanging, services=services, timeout=0.2, deadline=0.5, cache=cache
        )
        elapsed = time.monotonic() - started
    finally:
        release.set()
    # The silent lookup holds for 30 s: returning at all before that is the deadline at
    # work. It waited for the lookup's own timeout first, and not much past the deadline
    # (the margin is for a loaded machine, not for the lookup).
    assert 0.2 <= elapsed < 0.5 + 1.5, elapsed
    assert out[0].remote_name is not None and out[0].remote_name.host == "api.example"
    # The silent address stays numeric, with its service name.
    assert out[1].remote_name == NamedEndpoint(host="192.0.2.99", port=443, service="https")
    known, _ = cache.get_host("192.0.2.99")
    assert not known  # a lookup that ran out of time is not cached as "no name"


def test_failing_lookups_mean_no_name() -> None:
    def broken(address: str) -> str | None:
        raise RuntimeError("resolver exploded")

    def broken_services(port: int, protocol: str) -> str | None:
        raise OSError("no services database")

    rows = [conn(ep("192.0.2.10", 50000), ep("192.0.2.7", 443))]
    (out,) = resolve_names(rows, resolver=broken, services=broken_services, cache=NameCache(0))
    assert out.local_name is None and out.remote_name is None


def test_printed_names_are_kept() -> None:
    printed = NamedEndpoint(host="edge", port=443, service="https")
    row = conn(ep("192.0.2.10", 50000))
    row = Connection(
        protocol=Protocol.TCP,
        family=INET,
        local=row.local,
        remote=None,
        state=TcpState.ESTABLISHED,
        remote_name=printed,
    )
    (out,) = resolve_names([row], resolver=FakeDNS({}), services=services, cache=NameCache(0))
    assert out.remote_name is printed


@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"deadline": -1}, {"workers": 0}])
def test_bad_arguments(kwargs: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        resolve_names([], **kwargs)  # type: ignore[arg-type]


def test_only_connections() -> None:
    with pytest.raises(UsageError, match="Connection records"):
        resolve_names(["10.0.0.1"])  # type: ignore[list-item]
    with pytest.raises(UsageError):
        NameCache(ttl=-1)


def test_the_default_service_lookup_reads_the_local_services_database() -> None:
    from netstatlib._resolve import system_service_name

    try:
        expected = socket.getservbyport(22, "tcp")
    except OSError:
        pytest.skip("This machine has no services database (/etc/services) to read.")
    assert system_service_name(22, "tcp") == expected
    assert system_service_name(1, "nonsense-protocol") is None


# -- one bounded pool of lookup threads ------------------------------------------------


def lookup_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "netstatlib-resolve"]


def wait_for_no_lookup_threads() -> None:
    """Threads end once nothing is queued; a released resolver lets them."""
    for _ in range(200):
        if not lookup_threads():
            return
        time.sleep(0.025)
    raise AssertionError(f"lookup threads left: {lookup_threads()}")


class SilentDNS:
    """A resolver that never answers until released, and counts the questions."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, address: str) -> str | None:
        with self.lock:
            self.asked.append(address)
        self.release.wait(60)
        return "late.example"


def peers(call: int, count: int) -> list[Connection]:
    """``count`` connections to addresses no other call uses, from a wildcard address
    (never looked up), so only the peers are asked."""
    return [
        conn(ep("0.0.0.0", 40000 + number), ep(f"10.{call // 250}.{call % 250}.{number}", 443))
        for number in range(1, count + 1)
    ]


def test_calls_against_a_resolver_that_never_answers_share_a_bounded_pool() -> None:
    """100 calls, 20 new addresses each, against a resolver that never answers: the
    process never holds more than `workers` lookup threads, and only the lookups those
    threads started were ever asked (each call's other lookups were withdrawn at its
    deadline, before they started)."""
    silent = SilentDNS()
    wait_for_no_lookup_threads()
    most = 0
    try:
        for call in range(100):
            started = time.monotonic()
            out = resolve_names(
                peers(call, 20),
                resolver=silent,
                services=services,
                timeout=0.01,
                deadline=0.03,
                workers=4,
                cache=NameCache(),
            )
            assert time.monotonic() - started < 0.03 + 1.5  # the deadline holds
            assert all(row.remote_name is not None for row in out)
            assert all(row.remote_name.host == str(row.remote.address) for row in out)  # type: ignore[union-attr]
            most = max(most, len(lookup_threads()))
        assert 1 <= most <= 4
        assert len(silent.asked) == 4  # the four stuck lookups, nothing after them
    finally:
        silent.release.set()
    wait_for_no_lookup_threads()
    assert len(silent.asked) == 4  # withdrawn lookups did not start once threads were free


def test_a_call_starts_no_lookup_after_its_deadline() -> None:
    silent = SilentDNS()
    rows = peers(0, 6)
    try:
        resolve_names(rows, resolver=silent, services=services, timeout=5, deadline=0.2, workers=2)
        assert len(silent.asked) == 2
        time.sleep(0.3)
        assert len(silent.asked) == 2
    finally:
        silent.release.set()
    wait_for_no_lookup_threads()
    assert len(silent.asked) == 2


def test_a_lookup_past_its_timeout_frees_a_place_for_the_next() -> None:
    """Each lookup has `timeout`: past it, the call goes on with its next address (on
    another thread, the stuck one being busy)."""
    release = threading.Event()

    def slow_first(address: str) -> str | None:
        if address == "10.0.0.1":
            release.wait(60)
        return f"host-{address}"

    rows = peers(0, 3)
    try:
        out = resolve_names(
            rows,
            resolver=slow_first,
            services=services,
            timeout=0.1,
            deadline=5,
            workers=2,
            cache=NameCache(ttl=0),
        )
    finally:
        release.set()
    hosts = [row.remote_name.host for row in out]  # type: ignore[union-attr]
    assert hosts == ["10.0.0.1", "host-10.0.0.2", "host-10.0.0.3"]
    wait_for_no_lookup_threads()


def test_an_address_stuck_in_a_lookup_is_not_asked_again() -> None:
    silent = SilentDNS()
    rows = peers(0, 1)
    try:
        for _ in range(5):
            resolve_names(rows, resolver=silent, services=services, timeout=0.01, deadline=0.05)
        assert silent.asked == ["10.0.0.1"]
    finally:
        silent.release.set()
    wait_for_no_lookup_threads()


def test_concurrent_calls_share_the_pool() -> None:
    dns = FakeDNS({f"10.0.{call}.1": f"host-{call}" for call in range(8)})
    results: dict[int, list[Connection]] = {}

    def call(number: int) -> None:
        results[number] = list(
            resolve_names(
                peers(number, 3), resolver=dns, services=services, workers=3, cache=NameCache()
            )
        )

    threads = [threading.Thread(target=call, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for number, rows in results.items():
        assert rows[0].remote_name is not None
        assert rows[0].remote_name.host == f"host-{number}"
    wait_for_no_lookup_threads()
