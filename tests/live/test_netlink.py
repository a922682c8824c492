"""The two engines of the Linux backend on the socket zoo: the kernel's socket diagnostics
(netlink) and the ``/proc/<pid>/net`` text give the same records, apart from what the
docs (``docs/linux.md``) list as differences by nature; and the kernel does the
filtering a query's plan hands it."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import netstatlib
from netstatlib import Connection, Protocol, TcpState
from netstatlib.backends import LinuxProcfs

from . import netns

pytestmark = pytest.mark.live


def _key(row: Connection) -> tuple[Any, ...]:
    if row.inode is not None:
        return (row.protocol, row.inode)
    return (row.protocol, row.family, row.local, row.remote, row.state)


def _comparable(row: Connection) -> dict[str, Any]:
    """A record without what the two engines give differently by nature."""
    fields = netstatlib.Table([row]).to_dicts()[0]
    fields.pop("cookie")  # the kernel's socket cookie: netlink only
    if row.protocol is Protocol.UNIX:
        # /proc/net/unix has no uid and no queues; netlink gives them.
        for name in ("uid", "recv_queue", "send_queue"):
            fields.pop(name)
    if row.state is TcpState.SYN_RECV:
        fields.pop("uid")  # /proc: the listener's uid; netlink: none (it sends 0)
    return fields


def _read(zoo: netns.Zoo, engine: str) -> dict[tuple[Any, ...], Connection]:
    backend = LinuxProcfs(pid=zoo.pid, engine=engine)
    rows = netstatlib.connections("all", backend=backend)
    assert backend.engine == engine
    if engine == "netlink":
        diag = backend._netlink()
        assert diag is not None
        # A table the kernel has no diagnostics for (raw sockets without the raw_diag
        # module) is read from /proc text: its rows have no cookie; all others do.
        refused = set(diag.refused)
        assert refused <= {(Protocol.RAW, socket.AF_INET), (Protocol.RAW, socket.AF_INET6)}
        assert [
            row for row in rows if (row.cookie is None) != ((row.protocol, row.family) in refused)
        ] == []
    keyed = {_key(row): row for row in rows}
    assert len(keyed) == len(rows), f"{engine} lists a socket twice"
    return keyed


def test_both_engines_give_the_same_records(zoo: netns.Zoo) -> None:
    for _ in range(5):  # a zoo socket may change between the reads: read again
        text = _read(zoo, "procfs")
        kernel = _read(zoo, "netlink")
        if text.keys() == kernel.keys():
            break
    assert text.keys() == kernel.keys()
    differences = [
        (key, _comparable(text[key]), _comparable(kernel[key]))
        for key in text
        if _comparable(text[key]) != _comparable(kernel[key])
    ]
    assert not differences
    # No two sockets share a cookie.
    cookies = [row.cookie for row in kernel.values() if row.cookie is not None]
    assert len(set(cookies)) == len(cookies) > 20
    assert all(row.cookie is None for row in text.values())


def test_the_differences_are_the_documented_ones(zoo: netns.Zoo) -> None:
    text = _read(zoo, "procfs")
    kernel = _read(zoo, "netlink")
    listener = zoo.sockets["unix_listener"]["inode"]
    # UNIX sockets: netlink has the owner's uid and the queues, /proc neither.
    assert text[(Protocol.UNIX, listener)].uid is None
    assert kernel[(Protocol.UNIX, listener)].uid == zoo.sockets["unix_listener"]["uid"]
    assert kernel[(Protocol.UNIX, listener)].recv_queue == 0
    # A listener's send queue is 0 on both (netlink's value there is the backlog limit).
    tcp_listener = zoo.sockets["listen4"]["inode"]
    assert text[(Protocol.TCP, tcp_listener)].send_queue == 0
    assert kernel[(Protocol.TCP, tcp_listener)].send_queue == 0
    # A half-open connection: /proc shows its listener's uid, netlink none.
    (syn_recv,) = [row for row in kernel.values() if row.state is TcpState.SYN_RECV]
    assert syn_recv.uid is None
    assert text[_key(syn_recv)].uid == zoo.sockets["syn_recv"]["uid"]


def test_a_newline_in_a_unix_path_cannot_forge_a_row(zoo: netns.Zoo) -> None:
    kernel = _read(zoo, "netlink")
    spec = zoo.sockets["unix_newline"]
    row = kernel[(Protocol.UNIX, spec["inode"])]
    assert row.path == spec["path"] and "\n" in row.path
    paths = [row.path for row in kernel.values() if row.protocol is Protocol.UNIX]
    assert paths.count(spec["path"]) == 1


def test_details_are_given_only_when_asked(zoo: netns.Zoo) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    plain = netstatlib.connections("tcp", backend=backend, processes=False)
    assert all(row.details is None for row in plain)
    detailed = netstatlib.connections("tcp", backend=backend, processes=False, details=True)
    established = [row for row in detailed if row.state is TcpState.ESTABLISHED]
    assert established and all(
        row.details is not None and row.tcp_info is not None and row.congestion
        for row in established
    )
    time_wait = [row for row in detailed if row.state is TcpState.TIME_WAIT]
    assert time_wait and all(
        row.details is not None and row.details.timer is not None
        and row.details.timer.name == "timewait" and row.tcp_info is None
        for row in time_wait
    )  # fmt: skip
    text = LinuxProcfs(pid=zoo.pid, engine="procfs")
    with pytest.raises(netstatlib.UnsupportedError, match="engine='procfs' was asked for"):
        netstatlib.connections("tcp", backend=text, details=True)


def test_listening_asks_the_kernel_for_listeners_only(zoo: netns.Zoo) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    diag = backend._netlink()
    assert diag is not None
    everything = netstatlib.connections("tcp", backend=backend, processes=False)
    received_all = diag.messages
    listeners = netstatlib.listening("tcp", backend=backend, processes=False)
    # The kernel sent a message for each listener and nothing else: the state bitmask.
    assert diag.messages == len(listeners) < received_all == len(everything)
    assert {row.state for row in listeners} == {TcpState.LISTEN}
    assert {row.family for row in listeners} == {socket.AF_INET, socket.AF_INET6}


def _filters(zoo: netns.Zoo) -> list[str]:
    port4 = zoo.sockets["listen4"]["local"][1]
    port6 = zoo.sockets["listen6_dual"]["local"][1]
    low, high = sorted((port4, port6))
    return [
        f"sport = :{port4}",
        f"dport = :{port6}",
        f"sport = :{port4} or dport = :{port4}",
        # A range that surely leaves one socket out (the listener on the higher port):
        # the ephemeral ports of the zoo can put every socket between the two.
        f"sport >= :{low} and sport < :{high}",
        f"not sport = :{port4}",
        f"( sport = :{port6} or dport = :{port6} ) and not dst ::1/128",
        f"sport != :{port4} and dport > :{low}",
        "src 127.0.0.1",
        "dst ::1/128 or dst 127.0.0.0/8",
        f"src {netns.VA_V4}/32",
        "dst 10.9.9.0/24",
        f"dst {netns.SYN_RECV_SOURCE}",
        "src ::/0",
        "dport = :0",
    ]


def _tcp_view(rows: Any) -> set[tuple[Any, ...]]:
    return {
        (row.family, str(row.local), str(row.remote) if row.remote else None, row.state)
        for row in rows
        if row.protocol is Protocol.TCP
    }


def test_kernel_filters_keep_what_ss_keeps_and_the_kernel_does_the_filtering(
    lab: netns.Lab, zoo: netns.Zoo
) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    diag = backend._netlink()
    assert diag is not None
    everything = netstatlib.connections("tcp", backend=backend, processes=False)
    total = diag.messages
    assert total == len(everything) > 20
    for text in _filters(zoo):
        for _ in range(3):  # an entry may come or go between the two listings: again
            ours = netstatlib.connections("tcp", where=text, backend=backend, processes=False)
            received = diag.messages
            # With -t alone ss prints no Netid column (and with -x too a port filter
            # matches nothing): give parse_ss the column.
            lines = lab.ns.exec("ss", "-H", "-tane", text).stdout.splitlines()
            theirs = netns.parse_ss("".join(f"tcp {line}\n" for line in lines))
            if _tcp_view(ours) == _tcp_view(theirs):
                break
        assert _tcp_view(ours) == _tcp_view(theirs), text
        # The kernel sent only the sockets passing the program (an IPv4 prefix also
        # passes IPv4-mapped addresses, which the query drops afterwards), never all.
        assert len(ours) <= received, text
        assert received < total, text
        if "src" not in text and "dst" not in text:
            assert received == len(ours), text
