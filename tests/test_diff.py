"""``netstatlib.diff()`` on snapshots built by hand: each rule of socket identity, the
listeners, owners, routes, interfaces, and the report.

The live tests (``tests/live/test_monitoring.py``) make the same changes happen on real
sockets in a namespace; these pin down each rule on its own, including the ones the
kernel makes hard to provoke on demand.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import netaddr
import pytest
from monitoring_helpers import BOOT, shot

import netstatlib
from netstatlib import (
    Change,
    Protocol,
    Route,
    RouteFlags,
    SnapshotDiff,
    TcpState,
    connection_identity,
    diff,
)

from conftest import conn, ep

SERVER = ep("10.0.0.5", 22)
CLIENT = ep("10.0.0.9", 50000)
UP = RouteFlags.UP


def events(changes: SnapshotDiff) -> list[tuple[str, object]]:
    return list(changes.events())


def listener(**fields: object) -> netstatlib.Connection:
    values: dict[str, object] = {
        "local": SERVER, "inode": 100, "pids": (812,), "process": "sshd", "uid": 0
    }  # fmt: skip
    values.update(fields)
    return conn(**values)  # type: ignore[arg-type]


def served(**fields: object) -> netstatlib.Connection:
    """The server side of a connection to the listener."""
    values: dict[str, object] = {
        "local": SERVER, "remote": CLIENT, "inode": 200, "pids": (900,), "process": "sshd",
        "uid": 0,
    }  # fmt: skip
    values.update(fields)
    return conn(**values)  # type: ignore[arg-type]


# -- identity ------------------------------------------------------------------------------


def test_identity_is_the_cookie_where_there_is_one_else_table_endpoints_and_inode() -> None:
    with_cookie = served(cookie=77)
    assert connection_identity(with_cookie) == ("cookie", 77)
    assert connection_identity(served(cookie=77, state=TcpState.FIN_WAIT1)) == ("cookie", 77)
    plain = served()
    assert connection_identity(plain) == connection_identity(served(recv_queue=5, send_queue=9))
    assert connection_identity(plain) != connection_identity(served(inode=201))
    assert connection_identity(plain) != connection_identity(
        served(protocol=Protocol.UDP, state=TcpState.ESTABLISHED)
    )


def test_nothing_changed_is_no_change_whatever_the_queues_did() -> None:
    before = shot(connections=[listener(recv_queue=0), served(send_queue=0)])
    after = shot(
        connections=[listener(recv_queue=3), served(send_queue=4096, recv_queue=10)], seconds=1
    )
    changes = diff(before, after)
    assert not changes
    assert events(changes) == []
    assert changes.compared == ("connections",)
    assert "No changes." in str(changes)


@pytest.mark.parametrize("cookies", [True, False], ids=["cookies", "no cookies"])
def test_a_state_change_is_one_socket_not_two(cookies: bool) -> None:
    extra = {"cookie": 5} if cookies else {}
    was = served(**extra)
    now = served(state=TcpState.FIN_WAIT2, **extra)
    changes = diff(shot(connections=[was]), shot(connections=[now], seconds=1))
    assert events(changes) == [("state_changed", Change(was, now))]


@pytest.mark.parametrize("cookies", [True, False], ids=["cookies", "no cookies"])
def test_a_connection_accepted_between_the_snapshots_is_not_new(cookies: bool) -> None:
    """In the accept queue a connection is a socket without a file: no inode, no owner.
    accept() gives it both; with netlink it keeps its cookie, with /proc text only its
    endpoints say it is the same."""
    extra = {"cookie": 9} if cookies else {}
    queued = served(inode=None, pids=(), process=None, **extra)
    accepted = served(**extra)
    before = shot(connections=[listener(recv_queue=1), queued])
    after = shot(connections=[listener(recv_queue=0), accepted], seconds=1)
    changes = diff(before, after)
    # Getting its first owner is no owner change; nothing opened, nothing closed.
    assert events(changes) == []


@pytest.mark.parametrize("cookies", [True, False], ids=["cookies", "no cookies"])
def test_a_request_that_became_a_connection_is_a_state_change(cookies: bool) -> None:
    """A SYN_RECV request and the child socket made when the handshake completed: two
    kernel objects (the child takes the request's cookie), neither with an inode."""
    extra = {"cookie": 31} if cookies else {}
    request = served(state=TcpState.SYN_RECV, inode=None, pids=(), process=None, **extra)
    child = served(inode=None, pids=(), process=None, **extra)
    changes = diff(shot(connections=[request]), shot(connections=[child], seconds=1))
    assert events(changes) == [("state_changed", Change(request, child))]


def test_a_request_and_a_socket_of_another_cookie_are_two_connections() -> None:
    """The request timed out, and the peer's next SYN on the same ports made another."""
    request = served(state=TcpState.SYN_RECV, inode=None, pids=(), process=None, cookie=31)
    other = served(inode=None, pids=(), process=None, cookie=32)
    changes = diff(shot(connections=[request]), shot(connections=[other], seconds=1))
    assert events(changes) == [("opened", other), ("closed", request)]


def test_a_connection_closed_into_time_wait_is_a_state_change_even_without_cookies() -> None:
    """/proc text: the TIME_WAIT entry has no inode and no owner."""
    was = served()
    now = served(state=TcpState.TIME_WAIT, inode=None, pids=(), process=None, uid=None)
    changes = diff(shot(connections=[was]), shot(connections=[now], seconds=1))
    assert events(changes) == [("state_changed", Change(was, now))]


def test_a_time_wait_entry_does_not_come_back_to_life() -> None:
    """The peer reuses the same port for a new connection: a new socket (its inode),
    not the old one leaving TIME_WAIT."""
    old = served(state=TcpState.TIME_WAIT, inode=None, pids=(), process=None, uid=None)
    new = served(inode=300)
    changes = diff(shot(connections=[old]), shot(connections=[new], seconds=1))
    assert events(changes) == [("opened", new), ("closed", old)]


def test_different_cookies_are_different_sockets_on_one_kernel() -> None:
    old = served(state=TcpState.TIME_WAIT, inode=None, pids=(), uid=None, cookie=1)
    new = served(state=TcpState.TIME_WAIT, inode=None, pids=(), uid=None, cookie=2)
    changes = diff(shot(connections=[old]), shot(connections=[new], seconds=1))
    assert events(changes) == [("opened", new), ("closed", old)]


def test_two_rows_of_one_cookie_are_both_kept() -> None:
    """A cookie names one socket; a listing that repeats one (a hand-made or hostile
    snapshot) still has every row accounted for: one paired, the other opened."""
    was = served(cookie=5)
    twin = served(cookie=5, inode=201, local=ep("10.0.0.1", 2222))
    changes = diff(shot(connections=[was]), shot(connections=[was, twin], seconds=1))
    (opened,) = changes.opened
    assert opened in (was, twin)
    assert not changes.closed


def test_cookies_of_another_boot_are_not_compared() -> None:
    """After a reboot (another boot id) cookies start again: the socket with the same
    cookie is another socket; sockets are then compared by endpoints and inode."""
    before = served(cookie=40, inode=200)
    same_cookie_other_socket = served(cookie=40, inode=555)
    after = shot(connections=[same_cookie_other_socket], seconds=1, clock_id="boot-other")
    changes = diff(shot(connections=[before]), after)
    assert events(changes) == [("opened", same_cookie_other_socket), ("closed", before)]
    # The same socket under another cookie, on a machine without boot ids: compared by
    # endpoints and inode.
    renamed = served(cookie=41, inode=200)
    assert not diff(
        shot(connections=[before], clock_id=None),
        shot(connections=[renamed], clock_id=None, seconds=1),
    )


def test_a_listener_whose_server_restarted_is_the_same_listener_with_a_new_owner() -> None:
    was = listener(cookie=10, inode=100, pids=(812,))
    now = listener(cookie=11, inode=101, pids=(1300,), recv_queue=2)
    changes = diff(shot(connections=[was]), shot(connections=[now], seconds=1))
    assert events(changes) == [("owner_changed", Change(was, now))]
    assert "812/sshd" in str(changes) and "1300/sshd" in str(changes)


def test_listeners_added_and_removed_by_address() -> None:
    kept = listener()
    gone = listener(local=ep("0.0.0.0", 25), inode=101, process="master")
    new = listener(local=ep("0.0.0.0", 8080), inode=102, process="python3")
    new_udp = conn(ep("0.0.0.0", 53), protocol=Protocol.UDP, inode=103, pids=(7,))
    changes = diff(
        shot(connections=[kept, gone]), shot(connections=[kept, new, new_udp], seconds=1)
    )
    assert changes.listeners_added == netstatlib.Table([new, new_udp])
    assert list(changes.listeners_removed) == [gone]
    assert not changes.opened and not changes.closed


def test_a_socket_that_starts_listening_is_a_state_change_and_a_new_listener() -> None:
    bound = listener(state=TcpState.CLOSE, cookie=3)
    listens = listener(cookie=3)
    changes = diff(shot(connections=[bound]), shot(connections=[listens], seconds=1))
    assert events(changes) == [
        ("listener_added", listens),
        ("state_changed", Change(bound, listens)),
    ]


def test_opened_and_closed_and_owner_changes() -> None:
    closing = served(inode=200)
    staying = served(local=ep("10.0.0.5", 443), inode=201, pids=(5,), process="nginx")
    handed = served(local=ep("10.0.0.5", 443), inode=201, pids=(5, 6), process="nginx")
    opened = served(local=ep("10.0.0.5", 80), inode=202)
    changes = diff(
        shot(connections=[closing, staying]), shot(connections=[handed, opened], seconds=1)
    )
    assert events(changes) == [
        ("opened", opened),
        ("closed", closing),
        ("owner_changed", Change(staying, handed)),
    ]


def test_an_unknown_owner_is_no_owner_change() -> None:
    was = served()
    not_looked_up = served(pids=None, process=None)
    assert not diff(shot(connections=[was]), shot(connections=[not_looked_up], seconds=1))


def test_only_the_socket_tables_of_both_snapshots_are_compared() -> None:
    tcp = served()
    unix = conn(
        None, protocol=Protocol.UNIX, family=socket.AF_UNIX, state=TcpState.ESTABLISHED, inode=9
    )
    before = shot(connections=[tcp], kind="tcp")
    after = shot(connections=[tcp, unix], kind="all", seconds=1)
    assert not diff(before, after)
    assert diff(shot(connections=[tcp], kind="all"), after).opened == netstatlib.Table([unix])


def test_tables_not_in_both_snapshots_are_not_compared_and_the_report_says_so() -> None:
    changes = diff(shot(connections=[served()]), shot(routes=[], seconds=1))
    assert changes.compared == ()
    assert str(changes).endswith(
        "Not compared (not in both snapshots): connections, routes, interfaces."
    )


# -- routes and interfaces ------------------------------------------------------------------


def route(destination: str, via: str | None, device: str, metric: int = 0) -> Route:
    network = netaddr.IPNetwork(destination)
    family = socket.AF_INET6 if network.version == 6 else socket.AF_INET
    return Route(
        family=family,
        destination=network,
        gateway=netaddr.IPAddress(via) if via else None,
        interface=device,
        metric=metric,
        flags=UP | (RouteFlags.GATEWAY if via else 0),
    )


def test_routes_added_removed_and_changed() -> None:
    default = route("0.0.0.0/0", "10.0.0.1", "eth0", 100)
    moved = route("0.0.0.0/0", "10.0.0.254", "eth0", 100)
    backup = route("0.0.0.0/0", "10.1.0.1", "eth1", 200)
    lan = route("10.0.0.0/24", None, "eth0")
    vpn = route("10.8.0.0/16", None, "tun0")
    changes = diff(
        shot(routes=[default, backup, lan]), shot(routes=[lan, moved, vpn, backup], seconds=1)
    )
    assert events(changes) == [("route_added", vpn), ("route_changed", Change(default, moved))]
    assert "0.0.0.0/0 via 10.0.0.1 dev eth0 metric 100 [UG]\n    -> 0.0.0.0/0 via 10.0.0.254" in (
        str(changes)
    )


def test_equal_routes_of_several_interfaces_are_not_changes() -> None:
    """IPv6 lists ff00::/8 once per interface, all with the same key: an interface gone
    takes its own route with it, and pairs none of the others."""
    multicast = [route("ff00::/8", None, name, 256) for name in ("eth0", "eth1", "eth2")]
    changes = diff(shot(routes=multicast), shot(routes=[multicast[0], multicast[2]], seconds=1))
    assert events(changes) == [("route_removed", multicast[1])]
    twice = [multicast[0], multicast[0]]
    assert events(diff(shot(routes=twice), shot(routes=multicast[:1], seconds=1))) == [
        ("route_removed", multicast[0])
    ]


def test_interfaces_appeared_gone_up_and_down() -> None:
    from monitoring_helpers import interface

    before = [interface("eth0", is_up=True), interface("eth1", is_up=False), interface("wg0")]
    after = [
        interface("eth0", is_up=False, rx_bytes=5),
        interface("eth1", is_up=True),
        interface("docker0", is_up=True),
    ]
    changes = diff(shot(interfaces=before), shot(interfaces=after, seconds=1))
    assert events(changes) == [
        ("interface_appeared", after[2]),
        ("interface_gone", before[2]),
        ("interface_up", after[1]),
        ("interface_down", after[0]),
    ]


# -- the report and the dicts ---------------------------------------------------------------


def test_the_report_escapes_what_processes_and_paths_say() -> None:
    hostile = "evil\x1b]0;owned\x07\nfake line\u202e"
    new = listener(local=ep("0.0.0.0", 8080), inode=101, process=hostile)
    socket_file = conn(
        None, protocol=Protocol.UNIX, family=socket.AF_UNIX, path="/tmp/\x1b[2J", inode=5
    )
    changes = diff(shot(connections=[]), shot(connections=[new, socket_file], seconds=1))
    text = str(changes)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "evil\\x1b]0;owned\\x07\\nfake line\\u202e" in text
    assert "/tmp/\\x1b[2J" in text
    assert text.splitlines()[0] == (
        "Changes from 2024-05-01 10:00:00.000 UTC to 2024-05-01 10:00:01.000 UTC (1.000 s)"
    )


def test_to_dicts_gives_one_event_each_and_is_json() -> None:
    was = served(cookie=5)
    now = served(cookie=5, state=TcpState.CLOSE_WAIT)
    new = listener(local=ep("::", 443), inode=7)
    changes = diff(shot(connections=[was]), shot(connections=[now, new], seconds=1))
    items = changes.to_dicts(plain=True)
    assert [item["event"] for item in items] == ["listener_added", "state_changed"]
    assert items[0]["record"]["local"] == {"address": "::", "port": 443, "zone": None}
    assert items[1]["before"]["state"] == "ESTABLISHED"
    assert items[1]["after"]["state"] == "CLOSE_WAIT"
    json.dumps(items)
    assert changes.to_dicts()[0]["record"]["local"] == ep("::", 443)
    assert repr(changes) == "<SnapshotDiff: 1 listeners_added, 1 state_changed>"


def test_ten_thousand_sockets_in_another_order_are_no_change() -> None:
    rows = [
        served(local=ep("10.0.0.5", 1024 + i // 50), remote=ep("10.0.9.9", 10000 + i), inode=i + 1)
        for i in range(10_000)
    ]
    before = shot(connections=rows)
    after = shot(connections=list(reversed(rows)), seconds=1)
    assert not diff(before, after)
    # Without cookies, the second listing with every inode changed: every socket closed
    # and another opened.
    renumbered = [served(local=r.local, remote=r.remote, inode=r.inode + 50_000) for r in rows]
    changes = diff(before, shot(connections=renumbered, seconds=1, clock_id=BOOT))
    assert len(changes.opened) == len(changes.closed) == 10_000


def test_diff_and_rates_compare_snapshots_not_tables() -> None:
    table = netstatlib.Table([served()])
    with pytest.raises(
        netstatlib.UsageError, match=r"diff\(\) compares two snapshots .* not Table"
    ):
        diff(table, table)  # type: ignore[arg-type]
    with pytest.raises(netstatlib.UsageError, match="rates\\(\\) compares two snapshots"):
        netstatlib.rates(shot(interfaces=[]), table)  # type: ignore[arg-type]


def test_the_listeners_a_diff_picks_are_those_that_say_they_listen() -> None:
    """_diff._listeners inlines Connection.is_listening for speed: the same rows, every
    protocol against every state, with and without a peer."""
    from netstatlib._diff import _listeners

    rows = [
        conn(ep("10.0.0.1", 80), remote, protocol=protocol, state=state)
        for protocol in Protocol
        for state in (None, *TcpState)
        for remote in (None, ep("10.0.0.2", 5000))
    ]
    picked = _listeners(rows)
    assert picked == [row for row in rows if row.is_listening]
    assert any(row.protocol is Protocol.UDP for row in picked)
    assert any(row.protocol is Protocol.TCP for row in picked)


@pytest.mark.parametrize("cookies", [True, False])
@pytest.mark.parametrize("change", ["none", "first", "last", "inserted", "removed", "state"])
def test_records_shared_by_two_listings_pair_as_copies_would(cookies: bool, change: str) -> None:
    """A watch reuses the records of sockets that did not change: pairing then takes
    records at the same place in both listings as one socket. The pairs and the sockets
    left over must be those found when every record of the second listing is a copy."""
    import attrs

    from netstatlib._diff import match_connections

    before = [
        conn(ep("10.0.0.1", 1000 + n), ep("10.0.0.2", 443), cookie=n, inode=n + 1) for n in range(8)
    ]
    after = list(before)
    if change == "first":
        after[0] = attrs.evolve(after[0], recv_queue=7)
    elif change == "last":
        after[-1] = attrs.evolve(after[-1], state=TcpState.CLOSE_WAIT)
    elif change == "inserted":
        after.insert(3, conn(ep("10.0.0.1", 2000), ep("10.0.0.2", 443), cookie=99, inode=99))
    elif change == "removed":
        del after[2]
    elif change == "state":
        after[4] = attrs.evolve(after[4], state=TcpState.FIN_WAIT1)
    copies = [attrs.evolve(row) for row in after]

    def described(found: tuple[list[Any], list[Any], list[Any]]) -> tuple[Any, ...]:
        pairs, gone, came = found
        return (
            sorted((a.cookie, b.cookie, a == b) for a, b in pairs),
            [row.cookie for row in gone],
            [row.cookie for row in came],
        )

    shared = described(match_connections(before, after, cookies=cookies))
    assert shared == described(match_connections(before, copies, cookies=cookies))
