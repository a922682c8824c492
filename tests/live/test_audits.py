"""Predicates and audits on the live socket zoo: the same answers as the zoo's own record."""

from __future__ import annotations

import netaddr
import pytest

import netstatlib
from netstatlib import F, TcpState, audits
from netstatlib.backends import LinuxProcfs

from . import netns

pytestmark = pytest.mark.live


def _local(description: dict) -> tuple[str, int]:
    address, port = description["local"]
    return str(netaddr.IPAddress(address)), int(port)


def test_half_open_by_port_sees_the_incomplete_handshake(zoo: netns.Zoo) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    port = zoo.sockets["syn_recv"]["local"][1]
    counts = audits.half_open_by_port(backend=backend)
    assert counts[port] == 1
    rows = netstatlib.connections("tcp", where=audits.HALF_OPEN, backend=backend)
    assert [(row.state, row.local.port if row.local else None) for row in rows] == [
        (TcpState.SYN_RECV, port)
    ]


def test_all_interface_listeners_are_exactly_the_wildcard_binds(zoo: netns.Zoo) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    rows = netstatlib.listening("all", where=audits.ON_ALL_INTERFACES, processes=False,
                                backend=backend)  # fmt: skip
    found = {(str(row.local.address), row.local.port) for row in rows if row.local}
    expected = {
        _local(description)
        for name, description in zoo.sockets.items()
        if description.get("proto") in ("tcp", "udp", "udplite", "raw")
        and description.get("local")
        and int(netaddr.IPAddress(description["local"][0])) == 0
        and description.get("remote") is None
        and description.get("state") in ("LISTEN", None)
        and not name.startswith("unix")
    }
    assert expected
    assert found == expected


def test_predicate_and_callable_select_the_same_rows(zoo: netns.Zoo) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    predicate = (F.state == "LISTEN") & (F.local_port > 0) & ~F.local_address.is_loopback
    by_predicate = netstatlib.connections("all", where=predicate, backend=backend)
    by_callable = netstatlib.connections("all", where=lambda row: predicate(row), backend=backend)
    assert by_predicate == by_callable
    assert len(by_predicate) > 0
    shared = zoo.sockets["shared_listener"]
    pids = netstatlib.connections(
        "tcp", where=F.pid.isin(shared["pids"]) & (F.state == "LISTEN"), backend=backend
    )
    assert any(tuple(row.pids or ()) == tuple(sorted(shared["pids"])) for row in pids)
