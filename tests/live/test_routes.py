"""routes() on a namespace with known routes, cross-checked against ``ip -j route``.

``/proc/net/route`` shows the IPv4 main table only; ``/proc/net/ipv6_route`` shows every
IPv6 table (local included) plus the kernel's null entries, which ``ip`` does not list.
"""

from __future__ import annotations

import socket
from collections import Counter

import netaddr
import pytest

import netstatlib
from netstatlib import Route, RouteFlags
from netstatlib.backends import LinuxProcfs

from . import netns

pytestmark = pytest.mark.live

REJECT_TYPES = {"unreachable", "prohibit"}  # IPv4: RTF_REJECT; a blackhole is not one
REJECT_TYPES_V6 = {"blackhole", "unreachable", "prohibit"}  # IPv6 rejects all three
NULL_METRIC = 0xFFFFFFFF


@pytest.fixture(scope="module")
def backend(lab: netns.Lab) -> LinuxProcfs:
    return LinuxProcfs(pid=lab.holder_pid)


def _destination(ip_route: dict, family: socket.AddressFamily) -> netaddr.IPNetwork:
    dst = ip_route["dst"]
    if dst == "default":
        return netaddr.IPNetwork("0.0.0.0/0" if family is socket.AF_INET else "::/0")
    return netaddr.IPNetwork(dst)  # "10.72.0.5" without a length is a host route


def _expected(ip_route: dict, family: socket.AddressFamily) -> tuple:
    gateway = ip_route.get("gateway")
    source = ip_route.get("from")
    return (
        family,
        _destination(ip_route, family),
        netaddr.IPAddress(gateway) if gateway else None,
        ip_route.get("dev"),
        ip_route.get("metric", 0),
        netaddr.IPNetwork(source) if source else None,
    )


def _key(route: Route) -> tuple:
    return (
        route.family,
        route.destination,
        route.gateway,
        route.interface,
        route.metric,
        route.source,
    )


def _metrics(ip_route: dict) -> dict:
    """``ip -j``'s ``metrics`` (a list holding one dict), or an empty dict."""
    return ip_route.get("metrics", [{}])[0]


def _is_usable_default(ip_route: dict) -> bool:
    return (
        ip_route["dst"] == "default"
        and ip_route.get("type", "unicast") == "unicast"
        and "dev" in ip_route
    )


def _is_null_entry(route: Route) -> bool:
    """The kernel's IPv6 null entry of a table (``::/0 dev lo``, metric 0xffffffff)."""
    return (
        route.destination.prefixlen == 0
        and route.interface == "lo"
        and route.metric == NULL_METRIC
        and RouteFlags.REJECT in route.flags
    )


def test_ipv4_routes_match_ip_route_show_table_main(lab: netns.Lab, backend: LinuxProcfs) -> None:
    ip_routes = lab.ns.ip_json("route", "show", "table", "main")
    ours = netstatlib.routes(family=4, backend=backend)
    assert all(route.family is socket.AF_INET for route in ours)
    assert Counter(_key(route) for route in ours) == Counter(
        _expected(route, socket.AF_INET) for route in ip_routes
    )
    assert len(ours) == len(ip_routes) >= 10


def test_ipv4_route_details(lab: netns.Lab, backend: LinuxProcfs) -> None:
    by_key = {_key(route): route for route in netstatlib.routes(family=4, backend=backend)}
    assert len(by_key) >= 10
    for ip_route in lab.ns.ip_json("route", "show", "table", "main"):
        route = by_key[_expected(ip_route, socket.AF_INET)]
        kind = ip_route.get("type", "unicast")
        assert route.is_default is _is_usable_default(ip_route), ip_route
        assert (RouteFlags.REJECT in route.flags) is (kind in REJECT_TYPES), ip_route
        assert (RouteFlags.GATEWAY in route.flags) is ("gateway" in ip_route), ip_route
        assert (RouteFlags.HOST in route.flags) is (route.destination.prefixlen == 32), ip_route
        assert RouteFlags.UP in route.flags


def test_ipv4_window_irtt_and_advertised_mss(lab: netns.Lab, backend: LinuxProcfs) -> None:
    """/proc/net/route prints window, rtt (ms) and, in its MTU column, advmss + 40 (as
    documented on Route): ``mtu 1300`` alone leaves ``Route.mtu`` None."""
    by_key = {_key(route): route for route in netstatlib.routes(family=4, backend=backend)}
    seen = 0
    for ip_route in lab.ns.ip_json("route", "show", "table", "main"):
        route = by_key[_expected(ip_route, socket.AF_INET)]
        metrics = _metrics(ip_route)
        assert route.window == metrics.get("window"), ip_route
        assert route.irtt == metrics.get("rtt"), ip_route
        advmss = metrics.get("advmss")
        assert route.mtu == (advmss + 40 if advmss else None), ip_route
        seen += bool(metrics)
    assert seen >= 2


def test_ipv6_routes_have_no_mtu_window_or_irtt(backend: LinuxProcfs) -> None:
    """/proc/net/ipv6_route has no such columns, even for a route with ``mtu 1300``."""
    ours = netstatlib.routes(family=6, backend=backend)
    with_mtu = [r for r in ours if r.destination == netaddr.IPNetwork("fd00:74::/64")]
    assert len(with_mtu) == 1
    assert all((r.mtu, r.window, r.irtt) == (None, None, None) for r in ours)


def test_ipv4_other_tables_are_not_listed(backend: LinuxProcfs) -> None:
    destinations = {route.destination for route in netstatlib.routes(family=4, backend=backend)}
    assert netaddr.IPNetwork("10.73.0.0/16") not in destinations  # table 100


def test_ipv6_routes_match_ip_route_show_table_all(lab: netns.Lab, backend: LinuxProcfs) -> None:
    ip_routes = lab.ns.ip_json("-6", "route", "show", "table", "all")
    ours = netstatlib.routes(family=6, backend=backend)
    assert all(route.family is socket.AF_INET6 for route in ours)
    null_entries = [route for route in ours if _is_null_entry(route)]
    assert null_entries, "every IPv6 table has a null entry in /proc/net/ipv6_route"
    listed = Counter(_key(route) for route in ours if not _is_null_entry(route))
    assert listed == Counter(_expected(route, socket.AF_INET6) for route in ip_routes)
    destinations = {route.destination for route in ours}
    assert netaddr.IPNetwork("fd00:73::/64") in destinations  # table 100
    assert netaddr.IPNetwork("::1/128") in destinations  # table local
    sources = {route.source for route in ours} - {None}
    assert sources == {netaddr.IPNetwork("fd00:9::/64")}


def test_ipv6_route_details(lab: netns.Lab, backend: LinuxProcfs) -> None:
    ours = netstatlib.routes(family=6, backend=backend)
    by_key = {_key(route): route for route in ours if not _is_null_entry(route)}
    for ip_route in lab.ns.ip_json("-6", "route", "show", "table", "all"):
        route = by_key[_expected(ip_route, socket.AF_INET6)]
        kind = ip_route.get("type", "unicast")
        assert route.is_default is _is_usable_default(ip_route), ip_route
        assert (RouteFlags.REJECT in route.flags) is (kind in REJECT_TYPES_V6), ip_route
        assert (RouteFlags.GATEWAY in route.flags) is ("gateway" in ip_route), ip_route
    assert not any(route.is_default for route in ours if _is_null_entry(route))


def test_defaults(backend: LinuxProcfs) -> None:
    defaults = [route for route in netstatlib.routes(backend=backend) if route.is_default]
    assert sorted(
        (str(r.destination), str(r.gateway), r.interface, r.metric) for r in defaults
    ) == [
        ("0.0.0.0/0", netns.VB_V4, "va", 50),
        ("::/0", netns.VB_V6, "va", 50),
    ]
    rejects = [
        route
        for route in netstatlib.routes(backend=backend)
        if route.destination.prefixlen == 0 and not route.is_default
    ]
    # IPv4: unreachable (metric 4000) and blackhole (5000) defaults have no device;
    # IPv6: the unreachable default and the null entries are rejects.
    assert {(r.family, r.metric) for r in rejects} >= {
        (socket.AF_INET, 4000),
        (socket.AF_INET, 5000),
        (socket.AF_INET6, 4000),
        (socket.AF_INET6, NULL_METRIC),
    }


def test_family_argument(backend: LinuxProcfs) -> None:
    both = netstatlib.routes(backend=backend)
    v4 = netstatlib.routes(family=socket.AF_INET, backend=backend)
    v6 = netstatlib.routes(family="inet6", backend=backend)
    assert list(both) == list(v4) + list(v6)
    assert v4 and v6
