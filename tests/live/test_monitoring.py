"""Snapshots, diffs and rates of namespaces the tests build, checked exactly.

Each test makes its own namespaces (one, or two joined by a veth pair) so that nothing
but what it does happens there, and drives processes inside them (the *actor*, a small
script that opens, connects, accepts, shuts down, resets and closes sockets on command).
Between two snapshots it changes what it wants and checks the diff to the socket; it
sends a known number of bytes and checks the rates; it reads the counters with ``nstat``
at the same moments as the snapshots; it saves a baseline in one process and reads it
in another; it takes a snapshot as an unprivileged user.

Timing is never asserted: a rate is checked as the bytes sent over an interval that the
test brackets with its own clock readings around the two snapshots.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from monitoring_helpers import NOBODY, readable_copy

import netstatlib
from netstatlib import Connection, Snapshot, TcpState
from netstatlib.backends import LinuxProcfs

from . import netns

pytestmark = pytest.mark.live

REPO = Path(__file__).resolve().parents[2]

# The actor: reads commands on stdin, answers each with one JSON line. A socket is
# described by its inode, cookie (SO_COOKIE, asm-generic/socket.h) and port.
ACTOR = r"""
import json, os, socket, struct, sys, time

SO_COOKIE = 57
socks = {}

def describe(sock):
    cookie = struct.unpack("=Q", sock.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]
    return {"inode": os.fstat(sock.fileno()).st_ino, "cookie": cookie,
            "port": sock.getsockname()[1]}

def unacked(sock):  # tcpi_unacked, include/uapi/linux/tcp.h
    return struct.unpack_from("=I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 24)[0]

print(json.dumps({"pid": os.getpid()}), flush=True)
for line in sys.stdin:
    command, *args = line.split()
    reply = {}
    if command == "listen":
        name, host, port = args
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((host, int(port)))
        sock.listen(8)
        socks[name] = sock
        reply = describe(sock)
    elif command == "udp":
        name, host, port = args
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((host, int(port)))
        socks[name] = sock
        reply = describe(sock)
    elif command == "connect":
        name, host, port = args
        socks[name] = socket.create_connection((host, int(port)))
        reply = describe(socks[name])
    elif command == "accept":
        name, listener = args
        socks[name], _ = socks[listener].accept()
        reply = describe(socks[name])
    elif command == "shutdown":
        socks[args[0]].shutdown(socket.SHUT_WR)
    elif command == "reset":  # SO_LINGER 0: close() sends RST, no TIME_WAIT
        sock = socks.pop(args[0])
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    elif command == "close":
        socks.pop(args[0]).close()
    elif command == "send":  # SIZE bytes in CHUNKS pieces over SECONDS, then until acked
        name, size, chunks, seconds = args
        sock, size, chunks = socks[name], int(size), int(chunks)
        piece = size // chunks
        for index in range(chunks):
            sock.sendall(b"s" * (piece if index < chunks - 1 else size - piece * index))
            time.sleep(float(seconds) / chunks)
        while unacked(sock):
            time.sleep(0.005)
    elif command == "recv":
        name, size = args
        left = int(size)
        while left:
            left -= len(socks[name].recv(min(left, 1 << 20)))
    print(json.dumps(reply), flush=True)
"""


@dataclass
class Actor:
    process: subprocess.Popen
    pid: int

    def tell(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def reply(self) -> Any:
        return netns.read_json_line(self.process)

    def ask(self, command: str) -> Any:
        self.tell(command)
        return self.reply()


@contextlib.contextmanager
def actor(ns: netns.Namespace) -> Iterator[Actor]:
    args = ns.exec_args(sys.executable, "-c", ACTOR)
    with netns.spawned(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        hello = netns.read_json_line(process)
        assert hello["pid"] == process.pid  # ip netns exec execs: the actor is our child
        yield Actor(process, process.pid)
        assert process.stdin is not None
        process.stdin.close()


@dataclass
class Link:
    """Two namespaces joined by a veth pair, without IPv6 and with fixed neighbours:
    nothing crosses it that a test did not send."""

    a: netns.Namespace
    b: netns.Namespace
    mac_b: str


A_ADDRESS, B_ADDRESS, SPOOFED = "10.9.7.1", "10.9.7.2", "10.9.7.50"


@contextlib.contextmanager
def linked(tag: str) -> Iterator[Link]:
    with netns.namespace(f"{tag}a") as a, netns.namespace(f"{tag}b") as b:
        for ns in (a, b):
            ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
            ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1")
        a.ip("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.name)
        a.ip("addr", "add", f"{A_ADDRESS}/24", "dev", "va")
        b.ip("addr", "add", f"{B_ADDRESS}/24", "dev", "vb")
        mac_a = a.ip_json("link", "show", "va")[0]["address"]
        mac_b = b.ip_json("link", "show", "vb")[0]["address"]
        a.ip("neigh", "add", B_ADDRESS, "lladdr", mac_b, "dev", "va", "nud", "permanent")
        b.ip("neigh", "add", A_ADDRESS, "lladdr", mac_a, "dev", "vb", "nud", "permanent")
        a.ip("link", "set", "va", "up")
        b.ip("link", "set", "vb", "up")
        yield Link(a, b, mac_b)


def timed_snapshot(**options: Any) -> tuple[Snapshot, float, float]:
    """A snapshot, with this process's monotonic clock read just before and after."""
    start = time.monotonic()
    taken = netstatlib.snapshot(**options)
    return taken, start, time.monotonic()


def wait_for(test: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


def tcp_rows(backend: LinuxProcfs) -> list[Connection]:
    return list(netstatlib.connections("tcp", processes=False, backend=backend))


def shape(row: Connection) -> tuple[int | None, int | None, TcpState | None]:
    """A socket of a test, told apart by its ports (everything is on one address)."""
    return (
        row.local.port if row.local else None,
        row.remote.port if row.remote else None,
        row.state,
    )


# -- the diff ------------------------------------------------------------------------------

EST = TcpState.ESTABLISHED


@pytest.mark.parametrize("engine", ["netlink", "procfs"])
def test_what_happened_between_two_snapshots_is_the_diff_exactly(engine: str) -> None:
    """Kept: a listener whose accept queue moved (a connection waiting in it was accepted
    meanwhile). Changed: a pair of which one side shut down its sending. Gone: a
    listener, a pair reset. New: a listener, a pair. Set operations on the two tables
    would report the accepted connection as new and the shut-down pair as four sockets;
    the diff reports exactly what happened."""
    with netns.namespace(f"mondiff{engine[0]}") as ns, actor(ns) as a:
        backend = LinuxProcfs(pid=a.pid, engine=engine)  # type: ignore[arg-type]
        keep = a.ask("listen keep 127.0.0.1 0")["port"]
        gone = a.ask("listen gone 127.0.0.1 0")["port"]
        pairs = a.ask("listen pairs 127.0.0.1 0")["port"]
        queued = a.ask(f"connect queued 127.0.0.1 {keep}")["port"]
        c1 = a.ask(f"connect c1 127.0.0.1 {pairs}")["port"]
        a.ask("accept s1 pairs")
        c2 = a.ask(f"connect c2 127.0.0.1 {pairs}")["port"]
        a.ask("accept s2 pairs")
        wait_for(
            lambda: (keep, queued, EST) in map(shape, tcp_rows(backend)),
            "the queued connection is in the listener's accept queue",
        )
        before = netstatlib.snapshot(kind="tcp", backend=backend)

        waiting = [r for r in before.connections or () if shape(r) == (keep, queued, EST)]
        assert [(r.inode, r.pids) for r in waiting] == [(None, ())]  # no file yet
        queued_server = a.ask("accept queued_server keep")
        a.ask("close gone")
        a.ask("shutdown c1")
        a.ask("reset c2")
        a.ask("close s2")
        new = a.ask("listen new 0.0.0.0 0")
        c3 = a.ask(f"connect c3 127.0.0.1 {pairs}")["port"]
        s3 = a.ask("accept s3 pairs")
        expected_now = {(c1, pairs, TcpState.FIN_WAIT2), (pairs, c1, TcpState.CLOSE_WAIT)}
        wait_for(
            lambda: expected_now <= set(map(shape, tcp_rows(backend))),
            "the shut-down pair in FIN_WAIT2 and CLOSE_WAIT",
        )
        after = netstatlib.snapshot(kind="tcp", backend=backend)

    changes = netstatlib.diff(before, after)
    assert [shape(r) for r in changes.listeners_added] == [(new["port"], None, TcpState.LISTEN)]
    assert [shape(r) for r in changes.listeners_removed] == [(gone, None, TcpState.LISTEN)]
    assert sorted(map(shape, changes.opened)) == sorted([(c3, pairs, EST), (pairs, c3, EST)])
    assert sorted(map(shape, changes.closed)) == sorted([(c2, pairs, EST), (pairs, c2, EST)])
    assert sorted((shape(c.before), shape(c.after)) for c in changes.state_changed) == sorted(
        [
            ((c1, pairs, EST), (c1, pairs, TcpState.FIN_WAIT2)),
            ((pairs, c1, EST), (pairs, c1, TcpState.CLOSE_WAIT)),
        ]
    )
    assert changes.owners_changed == ()
    assert changes.compared == ("connections", "routes", "interfaces")
    assert {event for event, _ in changes.events()} == {
        "listener_added", "listener_removed", "opened", "closed", "state_changed"
    }  # fmt: skip
    # The records are the sockets the actor made, owned by it.
    (opened_server,) = [r for r in changes.opened if shape(r) == (pairs, c3, EST)]
    assert (opened_server.inode, opened_server.pids) == (s3["inode"], (a.pid,))
    accepted = [r for r in after.connections or () if shape(r) == (keep, queued, EST)]
    assert [(r.inode, r.pids) for r in accepted] == [(queued_server["inode"], (a.pid,))]
    if engine == "netlink":
        assert opened_server.cookie == s3["cookie"]
        assert accepted[0].cookie == waiting[0].cookie  # one socket, before and after accept()
    else:
        assert opened_server.cookie is None
    (kept,) = [r for r in after.connections or () if shape(r)[:2] == (keep, None)]
    assert kept.recv_queue == 0 and [
        r.recv_queue for r in before.connections or () if shape(r)[:2] == (keep, None)
    ] == [1]


# Runs in namespace b with SOURCE DESTINATION SPORT DPORT: sends a SYN from SOURCE, an
# address nobody has, reads the SYN-ACK off vb (namespace a's neighbour entry for SOURCE
# points at vb), prints the server's sequence number, and on a line of stdin completes
# the handshake with the ACK.
HANDSHAKE = r"""
import json, socket, struct, sys

def checksum(data):
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF

src, dst = socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2])
sport, dport = int(sys.argv[3]), int(sys.argv[4])

def segment(seq, ack, flags):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst) + tcp

capture = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
capture.bind(("vb", 0x0800))
capture.settimeout(15)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
raw.sendto(segment(1000, 0, 0x02), (sys.argv[2], 0))
while True:
    packet = capture.recv(65535)
    start = (packet[0] & 0x0F) * 4
    if packet[9] != 6 or packet[12:16] != dst or packet[16:20] != src:
        continue
    port_from, port_to, seq, ack, _, flags = struct.unpack("!HHIIBB", packet[start:start + 14])
    if (port_from, port_to) == (dport, sport) and flags & 0x12 == 0x12:
        break
print(json.dumps({"isn": seq}), flush=True)
sys.stdin.readline()
raw.sendto(segment(1001, (seq + 1) & 0xFFFFFFFF, 0x10), (sys.argv[2], 0))
print("{}", flush=True)
sys.stdin.readline()
"""


@pytest.mark.parametrize("engine", ["netlink", "procfs"])
def test_a_handshake_and_an_accept_between_snapshots_are_no_new_connection(engine: str) -> None:
    """A SYN_RECV request (no inode) becomes a child socket in the accept queue (another
    kernel object, which takes the request's cookie; still no inode), which accept()
    gives an inode and an owner. One connection throughout: a state change, then
    nothing."""
    with linked(f"monsyn{engine[0]}") as link, actor(link.a) as a:
        link.a.ip("neigh", "add", SPOOFED, "lladdr", link.mac_b, "dev", "va", "nud", "permanent")
        backend = LinuxProcfs(pid=a.pid, engine=engine)  # type: ignore[arg-type]
        port = a.ask(f"listen server {A_ADDRESS} 0")["port"]
        handshake = link.b.exec_args(
            sys.executable, "-c", HANDSHAKE, SPOOFED, A_ADDRESS, "40000", str(port)
        )
        with netns.spawned(
            handshake,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as peer:
            netns.read_json_line(peer)  # the SYN-ACK came: the request exists
            request = (port, 40000, TcpState.SYN_RECV)
            wait_for(lambda: request in map(shape, tcp_rows(backend)), "the SYN_RECV request")
            before = netstatlib.snapshot(kind="tcp", backend=backend)
            assert peer.stdin is not None
            peer.stdin.write("ack\n")
            peer.stdin.flush()
            netns.read_json_line(peer)
            child = (port, 40000, EST)
            wait_for(lambda: child in map(shape, tcp_rows(backend)), "the child socket")
            queued = netstatlib.snapshot(kind="tcp", backend=backend)
            accepted_socket = a.ask("accept conn server")
            accepted = netstatlib.snapshot(kind="tcp", backend=backend)

    first = netstatlib.diff(before, queued)
    assert [(shape(c.before), shape(c.after)) for c in first.state_changed] == [(request, child)]
    (change,) = first.state_changed
    assert change.before.inode is None and change.after.inode is None
    if engine == "netlink":
        assert change.before.cookie == change.after.cookie is not None
    assert list(first.events()) == [("state_changed", change)]
    second = netstatlib.diff(queued, accepted)
    assert not second, str(second)
    (row,) = [r for r in accepted.connections or () if shape(r) == child]
    assert (row.inode, row.pids) == (accepted_socket["inode"], (a.pid,))


# -- rates ---------------------------------------------------------------------------------

# Runs in namespace b with DESTINATION PORT COUNT SIZE SECONDS: on a line of stdin, sends
# COUNT UDP datagrams of SIZE bytes to DESTINATION:PORT, paced over SECONDS.
SENDER = r"""
import socket, sys, time
host, port, count, size, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
print("{}", flush=True)
sys.stdin.readline()
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
    for _ in range(count):
        sock.sendto(b"u" * size, (host, port))
        time.sleep(seconds / count)
print("{}", flush=True)
sys.stdin.readline()
"""

COUNT, SIZE, PACE = 200, 1000, 1.0
FRAME = SIZE + 8 + 20 + 14  # UDP, IPv4 and Ethernet headers: what a veth counts


def test_interface_rates_of_a_known_number_of_bytes_at_a_known_pace() -> None:
    """200 datagrams of 1000 bytes over one second from b to a: va received exactly 200
    frames of 1042 bytes between the snapshots (IPv6 is off and the neighbours are
    fixed: nothing else crosses), and the rate is that over the snapshots' interval,
    which lies between the sending time and the test's own readings around both
    snapshots."""
    with linked("monrate") as link, actor(link.a) as a:
        a.ask(f"udp sink {A_ADDRESS} 9999")
        backend = LinuxProcfs(pid=a.pid)
        sender = link.b.exec_args(
            sys.executable, "-c", SENDER, A_ADDRESS, "9999", str(COUNT), str(SIZE), str(PACE)
        )
        with netns.spawned(
            sender,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as peer:
            netns.read_json_line(peer)
            before, start_before, end_before = timed_snapshot(include="interfaces", backend=backend)
            assert peer.stdin is not None
            peer.stdin.write("go\n")
            peer.stdin.flush()
            netns.read_json_line(peer)
            after, start_after, end_after = timed_snapshot(include="interfaces", backend=backend)

    found = netstatlib.rates(before, after)
    assert found.interval == after.monotonic - before.monotonic
    assert start_after - end_before <= found.interval <= end_after - start_before
    assert found.interval >= PACE  # all of the sending happened between the snapshots
    (va,) = [row for row in found.interfaces or () if row.name == "va"]
    assert va.rx_packets * found.interval == pytest.approx(COUNT, rel=1e-9)
    assert va.rx_bytes * found.interval == pytest.approx(COUNT * FRAME, rel=1e-9)
    assert va.rx_bytes == pytest.approx(COUNT * FRAME / found.interval, rel=1e-9)
    assert va.rx_bytes <= COUNT * FRAME / PACE  # never faster than the pace
    assert (va.tx_packets, va.tx_bytes, va.rx_errors, va.rx_dropped) == (0, 0, 0, 0)
    assert va.reset == ()


SENT = 3_000_000


def test_tcp_throughput_per_connection_and_per_process() -> None:
    """One process sends 3 MB to another over loopback, paced over half a second, and
    waits until the peer acknowledged all of it: between the snapshots the sender's
    connection sent (and had acknowledged) exactly that, the receiver's received it, and
    each process's rate is its connection's."""
    with netns.namespace("montcp") as ns, actor(ns) as receiver, actor(ns) as sender:
        port = receiver.ask("listen server 127.0.0.1 0")["port"]
        sent = sender.ask(f"connect client 127.0.0.1 {port}")
        received = receiver.ask("accept conn server")
        backend = LinuxProcfs(pid=sender.pid)
        options = {"include": "connections", "kind": "tcp", "details": True, "backend": backend}
        before, start_before, end_before = timed_snapshot(**options)
        receiver.tell(f"recv conn {SENT}")
        sender.ask(f"send client {SENT} 20 0.5")
        receiver.reply()
        after, start_after, end_after = timed_snapshot(**options)

    found = netstatlib.rates(before, after)
    assert start_after - end_before <= found.interval <= end_after - start_before
    by_cookie = {rate.connection.cookie: rate for rate in found.connections or ()}
    assert set(by_cookie) == {sent["cookie"], received["cookie"]}  # the listener moves nothing
    out, into = by_cookie[sent["cookie"]], by_cookie[received["cookie"]]
    assert out.tx_bytes * found.interval == pytest.approx(SENT, rel=1e-9)
    assert out.rx_bytes == 0
    assert into.rx_bytes * found.interval == pytest.approx(SENT, rel=1e-9)
    assert into.tx_bytes == 0
    assert out.tx_bytes <= SENT / 0.5  # never faster than the pace
    by_pid = {rate.pids: rate for rate in found.processes or ()}
    assert set(by_pid) == {(sender.pid,), (receiver.pid,)}
    assert (by_pid[(sender.pid,)].tx_bytes, by_pid[(sender.pid,)].connections) == (
        out.tx_bytes,
        1,
    )
    assert by_pid[(receiver.pid,)].rx_bytes == into.rx_bytes


# Inside a namespace: TCP over loopback, UDP to closed ports (answered by ICMP port
# unreachable) over IPv4 and IPv6.
TRAFFIC = """
import socket
listener = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(listener.getsockname())
server, _ = listener.accept()
client.sendall(b"x" * 30000)
got = 0
while got < 30000:
    got += len(server.recv(65536))
server.close(); client.close(); listener.close()
for family, target in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    with socket.socket(family, socket.SOCK_DGRAM) as udp:
        for _ in range(3):
            udp.sendto(b"y" * 100, (target, 9))
print("{}")
"""


def test_protocol_deltas_are_those_of_nstat_at_the_same_moments(tmp_path: Path) -> None:
    """nstat remembers the counters (``-n``) where the first snapshot reads them and
    prints what changed since (``-s``: without forgetting) where the second reads them;
    nothing else happens in the namespace in between. nstat treats every counter as one
    but the seven it knows are not; those are gauges here too."""
    if shutil.which("nstat") is None:
        netns.skip_live("The nstat comparison needs nstat (iproute2).")
    environment = {**os.environ, "NSTAT_HISTORY": str(tmp_path / "history")}
    with netns.namespace("monnstat") as ns, actor(ns) as a:
        backend = LinuxProcfs(pid=a.pid)
        netns.run(ns.exec_args("nstat", "-n"), env=environment)
        before = netstatlib.snapshot(include="protocols", backend=backend)
        ns.python(TRAFFIC)
        after = netstatlib.snapshot(include="protocols", backend=backend)
        result = netns.run(ns.exec_args("nstat", "-s", "-z", "--json"), env=environment)
    theirs: dict[str, int] = json.loads(result.stdout)["kernel"]
    ours: dict[str, int] = {}
    gauges: set[str] = set()
    for row in netstatlib.rates(before, after).protocols or ():
        ours.update({row.group + name: delta for name, delta in row.deltas.items()})
        gauges.update(row.group + name for name in row.gauges)
    assert ours["TcpActiveOpens"] == 1 and ours["IcmpMsgOutType3"] == 3  # the traffic was seen
    assert {key: theirs[key] for key in ours} == ours
    # nstat prints every counter we count, and takes MPTCP's current connections (a
    # level, not a count) for a counter: the only difference.
    assert set(theirs) - set(ours) <= {"MPTcpExtMPCurrEstab"}
    assert gauges & set(theirs) <= {"MPTcpExtMPCurrEstab"}
    assert {"TcpCurrEstab", "TcpMaxConn", "IpForwarding", "IpDefaultTTL"} <= gauges


# -- a baseline from another process ----------------------------------------------------------

SAVE = """
import sys
import netstatlib
netstatlib.snapshot(kind="tcp").save(sys.argv[1])
print("{}")
"""


def test_a_baseline_saved_by_one_process_is_read_by_another(tmp_path: Path) -> None:
    """A process inside the namespace saves a snapshot; this one, outside, reads it and
    compares the namespace now with it: one listener more, nothing else; the interval
    between the two processes' snapshots comes from the one monotonic clock."""
    baseline = tmp_path / "baseline.json"
    with netns.namespace("monbase") as ns, actor(ns) as a:
        old_port = a.ask("listen old 0.0.0.0 0")["port"]
        a.ask(f"connect client 127.0.0.1 {old_port}")
        a.ask("accept conn old")
        start = time.monotonic()
        netns.run(
            ns.exec_args(sys.executable, "-c", SAVE, str(baseline)),
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        new = a.ask("listen new 127.0.0.1 0")
        now = netstatlib.snapshot(kind="tcp", backend=LinuxProcfs(pid=a.pid))
        end = time.monotonic()

    loaded = netstatlib.load_snapshot(baseline)
    assert loaded.clock_id == now.clock_id and loaded.host == now.host
    assert loaded.backend == "linux" and loaded.complete
    assert {row.local.port for row in loaded.connections or () if row.local} >= {old_port}
    changes = netstatlib.diff(loaded, now)
    (added,) = changes.listeners_added
    assert (added.local.port if added.local else None, added.inode) == (new["port"], new["inode"])
    assert list(changes.events()) == [("listener_added", added)]
    assert start <= loaded.monotonic <= now.monotonic <= end
    found = netstatlib.rates(loaded, now)
    assert found.interval == now.monotonic - loaded.monotonic


# -- what a user who is not root sees --------------------------------------------------------

AS_NOBODY = """
import json, sys
sys.path[:0] = [sys.argv[1]]
import netstatlib
taken = netstatlib.snapshot(kind="tcp")
print(json.dumps({"complete": taken.complete, "notes": taken.notes,
                  "owners": sorted([r.local.port, r.uid, r.pids] for r in taken.connections)}))
"""


def test_a_snapshot_by_a_user_says_which_owners_it_could_not_read() -> None:
    """The unprivileged user 65534 takes a snapshot of a namespace where root holds a
    listener and it holds one itself: root's owner is unknown (its /proc/<pid>/fd is
    closed to others), and the snapshot says it is incomplete and why, in the note of
    its connections table."""
    if shutil.which("setpriv") is None:
        netns.skip_live("Taking a snapshot as another user needs setpriv (util-linux).")
    with netns.namespace("monuser") as ns, actor(ns) as a, readable_copy() as copy:
        roots = a.ask("listen mine 127.0.0.1 0")["port"]
        user_actor = ns.exec_args(*NOBODY, sys.executable, "-c", ACTOR)
        with netns.spawned(
            user_actor,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/",
        ) as process:
            user = Actor(process, netns.read_json_line(process)["pid"])
            users = user.ask("listen theirs 127.0.0.1 0")["port"]
            result = ns.exec(*NOBODY, sys.executable, "-c", AS_NOBODY, str(copy), cwd="/")
    found = json.loads(result.stdout)
    # Root's listener: owner unknown (None), not "no owner"; the note is the table's.
    assert found["owners"] == sorted([[roots, 0, None], [users, 65534, [user.pid]]])
    assert found["complete"] is False
    assert len(found["notes"]) == 1
    assert found["notes"][0].startswith("connections: ")
    assert "could not be inspected (only root can read" in found["notes"][0]


# -- the cron example ------------------------------------------------------------------------


def test_the_baseline_check_example_run_as_cron_would(tmp_path: Path) -> None:
    """examples/baseline_check.py inside a namespace: the first run saves the baseline,
    a run with nothing new prints nothing and exits 0, a new listener is printed and
    exits 1, and --update makes it part of the baseline."""
    script = REPO / "examples" / "baseline_check.py"
    baseline = tmp_path / "baseline.json"
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    with netns.namespace("moncron") as ns, actor(ns) as a:
        a.ask("listen ssh 0.0.0.0 0")

        def check(*extra: str) -> subprocess.CompletedProcess[str]:
            args = ns.exec_args(sys.executable, str(script), str(baseline), *extra)
            return netns.run(args, check=False, env=environment)

        first = check()
        assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
        assert baseline.exists()
        quiet = check()
        assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
        port = a.ask("listen backdoor 0.0.0.0 0")["port"]
        alarm = check("--update")
        again = check()
        name = netns.comm(a.pid)
    assert alarm.returncode == 1, alarm.stderr
    lines = alarm.stdout.splitlines()
    assert lines[1:3] == [
        "New listeners (1):",
        "  Proto  Local Address  Remote Address  State   PID/Program",
    ]
    assert lines[3].split() == ["tcp", f"0.0.0.0:{port}", "*", "LISTEN", f"{a.pid}/{name}"]
    assert len(lines) == 4
    assert (again.returncode, again.stdout) == (0, "")


# Runs in a namespace with INTERFACE COUNT: sends COUNT Ethernet frames of 60 bytes (an
# experimental EtherType, to a MAC nobody has) out of INTERFACE.
FRAMES = r"""
import socket, sys
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
    sock.bind((sys.argv[1], 0))
    frame = bytes.fromhex("020000000099" "020000000098" "88b5") + b"f" * 46
    for _ in range(int(sys.argv[2])):
        sock.send(frame)
print("{}")
"""


def test_an_interface_made_anew_between_snapshots_counts_from_its_reset() -> None:
    """vr0 received 50 frames, then was deleted and made again under the same name and
    received 7: its counters went down, which is a reset, and the rate is of the 7."""
    with netns.namespace("monreset") as ns, actor(ns) as a:
        for key in ("all", "default"):
            ns.exec("sysctl", "-q", "-w", f"net.ipv6.conf.{key}.disable_ipv6=1")

        def make_pair() -> None:
            ns.ip("link", "add", "vr0", "type", "veth", "peer", "name", "vr1")
            ns.ip("link", "set", "vr0", "up")
            ns.ip("link", "set", "vr1", "up")

        backend = LinuxProcfs(pid=a.pid)
        make_pair()
        ns.python(FRAMES, "vr1", "50")
        before = netstatlib.snapshot(include="interfaces", backend=backend)
        ns.ip("link", "del", "vr0")
        make_pair()
        ns.python(FRAMES, "vr1", "7")
        after = netstatlib.snapshot(include="interfaces", backend=backend)

    by_name = {row.name: row for row in before.interfaces or ()}
    assert (by_name["vr0"].rx_packets, by_name["vr0"].rx_bytes) == (50, 50 * 60)
    found = {row.name: row for row in netstatlib.rates(before, after).interfaces or ()}
    vr0, vr1 = found["vr0"], found["vr1"]
    interval = after.monotonic - before.monotonic
    assert vr0.rx_packets * interval == pytest.approx(7, rel=1e-9)
    assert vr0.rx_bytes * interval == pytest.approx(7 * 60, rel=1e-9)
    assert {"rx_packets", "rx_bytes"} <= set(vr0.reset)
    assert vr1.tx_packets * interval == pytest.approx(7, rel=1e-9)
    assert {"tx_packets", "tx_bytes"} <= set(vr1.reset)
    # Every counter: one that went down counts its new value, the others their change
    # (frames nobody handles may count as dropped too, as this kernel decides).
    now = {row.name: row for row in after.interfaces or ()}
    for name in ("vr0", "vr1"):
        for field in ("rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
                      "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"):  # fmt: skip
            was, is_now = getattr(by_name[name], field), getattr(now[name], field)
            assert (field in found[name].reset) == (is_now < was)
            moved = is_now if is_now < was else is_now - was
            assert getattr(found[name], field) * interval == pytest.approx(moved, rel=1e-9)
    changes = netstatlib.diff(before, after)
    assert not changes  # the same names: nothing appeared, nothing went
