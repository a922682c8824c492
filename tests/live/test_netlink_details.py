"""``details=True`` on live sockets in a namespace, cross-checked against ``ss -taieomn``
run in the same namespace, and against what the process that made the sockets knows.

A helper process inside the namespace makes TCP listeners, idle established pairs
(one with a keepalive timer), TIME_WAIT entries, a pair that moved a known number of
bytes each way, and UNIX sockets; it reports each socket's inode and ``SO_COOKIE``.
Every socket is idle when the tests read it, so what changes between two reads is only
what time changes: the timers' remaining time.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import netstatlib
from netstatlib import Connection, F, Protocol, TcpState
from netstatlib.backends import LinuxProcfs

from . import netns

pytestmark = pytest.mark.live

SENT = 1_000_000  # client -> server over the transfer pair
ANSWERED = 250_000  # server -> client
KEEPIDLE = 100  # seconds: ss prints the keepalive timer as 1min39sec and the like

HELPER = r"""
import json, os, signal, socket, struct, sys, threading, time

SO_COOKIE = 57  # asm-generic/socket.h
SENT, ANSWERED, KEEPIDLE = (int(arg) for arg in sys.argv[1:4])
folder = sys.argv[4]
keep, made = [], {}

def note(name, sock, **extra):
    keep.append(sock)
    cookie = struct.unpack("=Q", sock.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]
    made[name] = {"inode": os.fstat(sock.fileno()).st_ino, "cookie": cookie, **extra}

def listener(family, host, backlog):
    sock = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((host, 0))
    sock.listen(backlog)
    return sock

def pair(server):
    client = socket.create_connection(server.getsockname()[:2])
    accepted, _ = server.accept()
    return client, accepted

def unacked(sock):  # tcpi_unacked
    return struct.unpack_from("=I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 24)[0]

listen4 = listener(socket.AF_INET, "127.0.0.1", 7)
listen6 = listener(socket.AF_INET6, "::1", 5)
note("listen4", listen4, backlog=7)
note("listen6", listen6, backlog=5)
client, server = pair(listen4)
client.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
client.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, KEEPIDLE)
note("keepalive_client", client)
note("keepalive_server", server)
client, server = pair(listen6)
note("idle6_client", client)
note("idle6_server", server)

# The transfer: SENT bytes from the client, read in full; ANSWERED bytes back.
sender, receiver = pair(listen4)
def read_all(sock, size):
    got = 0
    while got < size:
        got += len(sock.recv(1 << 20))
reader = threading.Thread(target=read_all, args=(receiver, SENT))
reader.start()
sender.sendall(b"s" * SENT)
reader.join()
receiver.sendall(b"a" * ANSWERED)
read_all(sender, ANSWERED)
deadline = time.monotonic() + 5
while (unacked(sender) or unacked(receiver)) and time.monotonic() < deadline:
    time.sleep(0.01)
note("sender", sender)
note("receiver", receiver)

# TIME_WAIT over both families: the client closes first.
for server_socket in (listen4, listen6):
    client, server = pair(server_socket)
    client.close()
    server.recv(1)
    server.close()

# A TCP socket bound to a port, neither listening nor connected.
bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
bound.bind(("127.0.0.1", 0))
note("bound_only", bound, port=bound.getsockname()[1])

# UNIX: a socketpair, a listener with a client it accepted.
first, second = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
note("pair_a", first)
note("pair_b", second)
path = os.path.join(folder, "listener")
unix_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
unix_listener.bind(path)
unix_listener.listen(3)
note("unix_listener", unix_listener, backlog=3)
unix_client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
unix_client.connect(path)
unix_accepted, _ = unix_listener.accept()
note("unix_client", unix_client)
note("unix_accepted", unix_accepted)

time.sleep(0.3)  # delayed ACKs go out; the LAST_ACK ends of the TIME_WAIT pairs close
print(json.dumps({"pid": os.getpid(), "sockets": made}), flush=True)
while True:
    signal.pause()
"""


@dataclass
class Helper:
    pid: int
    sockets: dict[str, dict[str, Any]]

    def inode(self, name: str) -> int:
        value: int = self.sockets[name]["inode"]
        return value


@pytest.fixture(scope="module")
def ns() -> Iterator[netns.Namespace]:
    with netns.namespace("nldetail") as made:
        yield made


@pytest.fixture(scope="module")
def helper(ns: netns.Namespace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helper]:
    folder = tmp_path_factory.mktemp("details")
    args = [str(SENT), str(ANSWERED), str(KEEPIDLE), str(folder)]
    command = ns.exec_args(sys.executable, "-c", HELPER, *args)
    with netns.spawned(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        info = netns.read_json_line(p)
        assert info["pid"] == p.pid
        yield Helper(pid=p.pid, sockets=info["sockets"])


@pytest.fixture(scope="module")
def backend(helper: Helper) -> LinuxProcfs:
    chosen = LinuxProcfs(pid=helper.pid)
    if chosen.engine != "netlink":
        pytest.fail(f"netlink should answer as root: {chosen.engine_reason}")
    return chosen


def query(backend: LinuxProcfs) -> list[Connection]:
    return list(
        netstatlib.connections(["tcp", "unix"], details=True, processes=False, backend=backend)
    )


# -- ss -taieomn ---------------------------------------------------------------------------

_SKMEM = {
    "r": "rmem_alloc",
    "rb": "rcvbuf",
    "t": "wmem_alloc",
    "tb": "sndbuf",
    "f": "fwd_alloc",
    "w": "wmem_queued",
    "o": "optmem",
    "bl": "backlog",
    "d": "drops",
}
# Words ss prints for tcp_info's options before the congestion algorithm's name.
_OPTION_WORDS = {"ts", "sack", "ecn", "ecnseen", "fastopen", "ce"}
# Words followed by a value after a blank rather than a colon.
_SPACED = {"send", "pacing_rate", "delivery_rate"}
_TIMER = re.compile(r"timer:\((\w+),([^,]*),(\d+)\)")
_MS_TIMER = re.compile(r"(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?")


@dataclass
class SsTcp:
    """One socket of ``ss -H -taieomn``: its line and its ``-i``/``-m`` line."""

    line: str
    state: str
    recv_q: int
    send_q: int
    inode: int
    cookie: int
    cgroup: str | None
    timer: tuple[str, float, float, int] | None  # name, printed seconds, granularity, retrans
    skmem: dict[str, int] | None
    values: dict[str, str] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    """The words before the first ``key:value`` of the info line."""


def _ms_timer(text: str) -> tuple[float, float]:
    """ss's print_ms_timer() text (``1min39sec``, ``59sec``, ``5.200ms``, ``200ms``) as
    seconds, and what it leaves out (whole seconds past 1 min, minutes past 10 min)."""
    match = _MS_TIMER.fullmatch(text)
    assert match, f"cannot read the ss timer {text!r}"
    minutes, seconds, millis = (int(part) if part else 0 for part in match.groups())
    total = minutes * 60 + seconds + millis / 1000
    if minutes > 9:
        return total, 60.0
    if minutes or seconds > 9:
        return total, 1.0
    return total, 0.001


def parse_ss_tcp(text: str) -> list[SsTcp]:
    rows: list[SsTcp] = []
    for line in text.split("\n"):
        if line.startswith("\t"):
            _read_info(rows[-1], line)
            continue
        if not line.strip():
            continue
        parts = line.split()
        state, recv_q, send_q = parts[0], int(parts[1]), int(parts[2])
        timer = None
        found = _TIMER.search(line)
        if found:
            expires, granularity = _ms_timer(found.group(2))
            timer = (found.group(1), expires, granularity, int(found.group(3)))
        inode = re.search(r"\bino:(\d+)", line)
        cookie = re.search(r"\bsk:([0-9a-f]+)", line)
        assert inode and cookie, f"ss -e printed no ino: or sk: in {line!r}"
        cgroup = re.search(r"\bcgroup:(\S+)", line)
        rows.append(
            SsTcp(
                line=line,
                state=state,
                recv_q=recv_q,
                send_q=send_q,
                inode=int(inode.group(1)),
                cookie=int(cookie.group(1), 16),
                cgroup=cgroup.group(1) if cgroup else None,
                timer=timer,
                skmem=None,
            )
        )
    return rows


def _read_info(row: SsTcp, line: str) -> None:
    row.line += "\n" + line
    tokens = line.split()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.startswith("skmem:("):
            pairs = re.findall(r"([a-z]+)(\d+)", token[len("skmem:") :])
            row.skmem = {_SKMEM[key]: int(value) for key, value in pairs}
        elif token in _SPACED:
            row.values[token] = tokens[index]
            index += 1
        elif ":" in token:
            key, _, value = token.partition(":")
            row.values[key] = value
        elif not row.values:  # tcp_info's option words, then the algorithm's name
            row.words.append(token)


def ss_tcp(ns: netns.Namespace) -> list[SsTcp]:
    return parse_ss_tcp(ns.exec("ss", "-H", "-taieomn").stdout)


@pytest.fixture(scope="module")
def three_reads(
    ns: netns.Namespace, helper: Helper, backend: LinuxProcfs
) -> tuple[list[Connection], list[SsTcp], list[Connection]]:
    """Ours, then ss, then ours again: ss's values lie between the two reads of ours."""
    before = query(backend)
    from_ss = ss_tcp(ns)
    after = query(backend)
    return before, from_ss, after


def _by_cookie(rows: list[Connection]) -> dict[int, Connection]:
    found = {row.cookie: row for row in rows if row.cookie is not None}
    assert len(found) == len(rows), "every socket of a netlink answer has a cookie"
    return found


def _between(value: float, first: float, second: float, tolerance: float = 0.0) -> bool:
    return min(first, second) - tolerance <= value <= max(first, second) + tolerance


def _ms(seconds: float) -> float:
    return seconds * 1000


# ss's key and the TcpInfo field of the integers ss prints when they are not 0.
_INFO_FIELDS = [
    ("cwnd", "snd_cwnd"),
    ("mss", "snd_mss"),
    ("pmtu", "pmtu"),
    ("rcvmss", "rcv_mss"),
    ("advmss", "advmss"),
]
_COUNTERS = ["bytes_acked", "bytes_received", "bytes_sent", "segs_in", "segs_out"]


def _differences(ours: tuple[Connection, Connection], theirs: SsTcp) -> list[str]:
    """Where ss disagrees with both reads of ours, beyond what time can change."""
    before, after = ours
    problems: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    check(before.inode == (theirs.inode or None), f"inode {before.inode} vs {theirs.inode}")
    check(before.state is TcpState.parse(theirs.state), f"state {before.state}")
    details = (before.details, after.details)
    assert details[0] is not None and details[1] is not None
    # The timer: same name and retransmissions; the time left between our two reads,
    # less what ss leaves out of its text.
    timers = (details[0].timer, details[1].timer)
    if theirs.timer is None:
        check(timers == (None, None), f"timer {timers} where ss shows none")
    else:
        name, printed, granularity, retransmits = theirs.timer
        first, second = timers
        check(first is not None and second is not None, "no timer where ss shows one")
        if first is not None and second is not None:
            check((first.name, second.name) == (name, name), f"timer {first.name} vs {name}")
            check(first.retransmits == retransmits, f"timer retransmits {first.retransmits}")
            check(
                second.expires - granularity - 0.01 <= printed <= first.expires + 0.01,
                f"timer {printed}s (±{granularity}) outside {second.expires}..{first.expires}",
            )
    # Memory: every SK_MEMINFO value, between our two reads.
    memories = (details[0].memory, details[1].memory)
    if theirs.skmem is None:
        check(memories == (None, None), "memory where ss shows no skmem")
    else:
        check(None not in memories, "no memory where ss shows skmem")
        for key, value in theirs.skmem.items():
            mine = [getattr(memory, key) for memory in memories if memory is not None]
            check(_between(value, *mine), f"skmem {key}={value}, ours {mine}")
    infos = (details[0].tcp_info, details[1].tcp_info)
    if theirs.state == "TIME-WAIT":
        check(infos == (None, None) and details[0].congestion is None, "tcp_info on TIME_WAIT")
        return problems
    first_info, second_info = infos
    assert first_info is not None and second_info is not None, theirs.line
    # The congestion algorithm: the word after tcp_info's option words.
    algorithm = [word for word in theirs.words if word not in _OPTION_WORDS]
    check(algorithm == [details[0].congestion], f"congestion {details[0].congestion}: {algorithm}")
    for key, name in _INFO_FIELDS:
        mine = (getattr(first_info, name), getattr(second_info, name))
        expected = int(theirs.values[key]) if key in theirs.values else 0  # ss skips 0
        check(_between(expected, *mine), f"{key}={expected}, ours {mine}")
    # rtt and rttvar: ss prints milliseconds with %g (microseconds / 1000).
    if "rtt" in theirs.values:
        rtt, rttvar = (float(part) for part in theirs.values["rtt"].split("/"))
    else:
        rtt = rttvar = 0.0
    tolerance = 1e-5
    check(
        _between(rtt, _ms(first_info.rtt), _ms(second_info.rtt), tolerance),
        f"rtt {rtt} ms, ours {first_info.rtt}",
    )
    check(
        _between(rttvar, _ms(first_info.rtt_var), _ms(second_info.rtt_var), tolerance),
        f"rttvar {rttvar} ms, ours {first_info.rtt_var}",
    )
    # rto: ss leaves out 0 and the initial 3 s (TCP_TIMEOUT_INIT).
    if "rto" in theirs.values:
        rto = float(theirs.values["rto"])
        check(
            _between(rto, _ms(first_info.rto), _ms(second_info.rto), tolerance),
            f"rto {rto} ms, ours {first_info.rto}",
        )
    else:
        check(first_info.rto in (0.0, 3.0), f"rto {first_info.rto} where ss shows none")
    # ssthresh: ss prints it between 1 and 0xFFFE; ours is None while it is not set.
    if "ssthresh" in theirs.values:
        expected = int(theirs.values["ssthresh"])
        check(first_info.ssthresh == second_info.ssthresh == expected, f"ssthresh {expected}")
    else:
        check(
            first_info.ssthresh in (None, 0) or first_info.ssthresh >= 0xFFFF,
            f"ssthresh {first_info.ssthresh} where ss shows none",
        )
    # Byte and segment counters: the sockets are idle, so they do not move at all.
    for name in _COUNTERS:
        expected = int(theirs.values.get(name, 0))
        mine = (getattr(first_info, name), getattr(second_info, name))
        check(mine == (expected, expected), f"{name}={expected}, ours {mine}")
    # Retransmitted segments: "retrans:now/total", printed when either is not 0.
    now, total = (int(part) for part in theirs.values.get("retrans", "0/0").split("/"))
    check(
        (first_info.retrans, first_info.total_retrans) == (now, total),
        f"retrans {now}/{total}, ours {first_info.retrans}/{first_info.total_retrans}",
    )
    return problems


def test_details_agree_with_ss(
    three_reads: tuple[list[Connection], list[SsTcp], list[Connection]], helper: Helper
) -> None:
    before, from_ss, after = three_reads
    first, second = _by_cookie(before), _by_cookie(after)
    tcp = [row for row in before if row.protocol is Protocol.TCP]
    assert len(from_ss) == len(tcp) >= 10, "ss and netlink list the same TCP sockets"
    states = {row.state for row in from_ss}
    assert {"LISTEN", "ESTAB", "TIME-WAIT"} <= states
    problems = []
    for theirs in from_ss:
        assert theirs.cookie in first and theirs.cookie in second, f"not ours: {theirs.line}"
        found = _differences((first[theirs.cookie], second[theirs.cookie]), theirs)
        problems.extend(f"{theirs.line}\n    {problem}" for problem in found)
    assert not problems, "\n".join(problems)


def test_timers_ss_shows_are_ours(
    three_reads: tuple[list[Connection], list[SsTcp], list[Connection]], helper: Helper
) -> None:
    """The keepalive timer of the socket that set one, and each TIME_WAIT's timer."""
    before, from_ss, _ = three_reads
    names = sorted(row.timer[0] for row in from_ss if row.timer is not None)
    assert names == ["keepalive", "timewait", "timewait"]
    keepalive = next(row for row in before if row.inode == helper.inode("keepalive_client"))
    assert keepalive.details is not None and keepalive.details.timer is not None
    assert keepalive.details.timer.name == "keepalive"
    assert KEEPIDLE - 5 < keepalive.details.timer.expires <= KEEPIDLE


def test_listener_backlog_is_the_listen_argument(
    three_reads: tuple[list[Connection], list[SsTcp], list[Connection]], helper: Helper
) -> None:
    before, from_ss, _ = three_reads
    by_inode = {row.inode: row for row in before if row.inode is not None}
    for name in ("listen4", "listen6", "unix_listener"):
        row = by_inode[helper.inode(name)]
        assert row.details is not None
        assert row.details.backlog == helper.sockets[name]["backlog"], name
        assert row.send_queue == 0, name  # not the backlog, as /proc shows it
    for theirs in from_ss:
        if theirs.state == "LISTEN":  # ss prints a listener's backlog as its Send-Q
            assert by_inode[theirs.inode].details.backlog == theirs.send_q  # type: ignore[union-attr]
    for row in before:
        if row.state is not TcpState.LISTEN:
            assert row.details is not None and row.details.backlog is None


def _tcp_info(rows: list[Connection], inode: int) -> Any:
    (row,) = [row for row in rows if row.inode == inode]
    assert row.tcp_info is not None
    return row.tcp_info


def test_a_known_transfer_is_counted_exactly(
    three_reads: tuple[list[Connection], list[SsTcp], list[Connection]], helper: Helper
) -> None:
    """SENT bytes one way, ANSWERED the other, every byte read and acknowledged.

    The active opener's ``bytes_acked`` also counts its SYN's sequence number: its
    SYN-ACK goes through tcp_ack(), which adds ``ack - snd_una`` to ``bytes_acked``
    (tcp_snd_una_update() in net/ipv4/tcp_input.c); the passive side takes the final ACK
    of the handshake by setting ``snd_una`` directly, so its count starts at 0. Received
    bytes never count the SYN: ``rcv_nxt`` starts past it.
    """
    before = three_reads[0]
    sender = _tcp_info(before, helper.inode("sender"))
    receiver = _tcp_info(before, helper.inode("receiver"))
    assert sender.bytes_acked == SENT + 1
    assert sender.bytes_received == ANSWERED
    assert sender.bytes_sent == SENT + sender.bytes_retrans
    assert receiver.bytes_received == SENT
    assert receiver.bytes_acked == ANSWERED
    assert receiver.bytes_sent == ANSWERED + receiver.bytes_retrans
    assert sender.unacked == receiver.unacked == 0
    assert sender.notsent_bytes == receiver.notsent_bytes == 0
    assert sender.data_segs_out >= SENT // sender.snd_mss
    # An idle pair made the same way moved nothing but the handshake.
    client = _tcp_info(before, helper.inode("idle6_client"))
    server = _tcp_info(before, helper.inode("idle6_server"))
    assert (client.bytes_acked, client.bytes_received, client.bytes_sent) == (1, 0, 0)
    assert (server.bytes_acked, server.bytes_received, server.bytes_sent) == (0, 0, 0)


def test_unix_peers_are_each_other(
    three_reads: tuple[list[Connection], list[SsTcp], list[Connection]], helper: Helper
) -> None:
    before = three_reads[0]
    by_inode = {row.inode: row for row in before if row.protocol is Protocol.UNIX}
    for first, second in (("pair_a", "pair_b"), ("unix_client", "unix_accepted")):
        one, other = by_inode[helper.inode(first)], by_inode[helper.inode(second)]
        assert one.details is not None and other.details is not None
        assert one.details.peer_inode == other.inode
        assert other.details.peer_inode == one.inode
    listener = by_inode[helper.inode("unix_listener")]
    assert listener.details is not None and listener.details.peer_inode is None
    for row in by_inode.values():
        assert row.details is not None and row.details.memory is not None
        assert row.details.tcp_info is None and row.details.cgroup_id is None


def _cgroup2_mount() -> str | None:
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            separator = fields.index("-")
            if fields[separator + 1] == "cgroup2":
                return fields[4]
    return None


def _cgroup2_path(pid: int) -> str | None:
    with open(f"/proc/{pid}/cgroup") as handle:
        for line in handle:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    return None


def test_cgroup_id_is_the_inode_of_the_creators_cgroup(
    three_reads: tuple[list[Connection], list[SsTcp], list[Connection]], helper: Helper
) -> None:
    mount, path = _cgroup2_mount(), _cgroup2_path(helper.pid)
    if mount is None or path is None:
        pytest.skip(
            "The cgroup v2 hierarchy is not mounted here: a cgroup id names nothing to compare."
        )
    expected = os.stat(os.path.join(mount, path.lstrip("/"))).st_ino
    before, from_ss, _ = three_reads
    sockets = [
        row
        for row in before
        if row.protocol is Protocol.TCP and row.inode is not None  # TIME_WAIT has none
    ]
    assert len(sockets) >= 8
    for row in sockets:
        assert row.details is not None and row.details.cgroup_id == expected, row
    # ss -e names the same cgroup: by its path where it finds the directory, else (in
    # `ip netns exec`, which mounts another /sys) as "unreachable:<id in hex>".
    named = [theirs.cgroup for theirs in from_ss if theirs.cgroup is not None]
    assert len(named) >= 8
    for cgroup in named:
        if cgroup.startswith("unreachable:"):
            assert int(cgroup.removeprefix("unreachable:"), 16) == expected
        else:
            assert os.stat(os.path.join(mount, cgroup.lstrip("/"))).st_ino == expected


def test_cookies_are_stable_unique_and_the_owners(
    three_reads: tuple[list[Connection], list[SsTcp], list[Connection]],
    helper: Helper,
    backend: LinuxProcfs,
) -> None:
    before, _, after = three_reads
    for rows in (before, after):
        cookies = [row.cookie for row in rows]
        assert None not in cookies and len(set(cookies)) == len(cookies)
    # The same socket has the same cookie in each query (TIME_WAIT entries included).
    keys = {
        (row.protocol, row.local, row.remote, row.inode, row.path): row.cookie for row in before
    }
    assert keys == {
        (row.protocol, row.local, row.remote, row.inode, row.path): row.cookie for row in after
    }
    # And it is the cookie the owner reads with getsockopt(SO_COOKIE).
    by_inode = {row.inode: row.cookie for row in before if row.inode is not None}
    for name, made in helper.sockets.items():
        if name == "bound_only":
            continue  # not listed, as /proc/net/tcp and ss do not list it: see below
        assert by_inode[made["inode"]] == made["cookie"], name
    # Without details, the same cookies.
    plain = netstatlib.connections(["tcp", "unix"], processes=False, backend=backend)
    assert {row.inode: row.cookie for row in plain if row.inode is not None} == by_inode


def test_a_state_filter_given_to_the_kernel_does_not_change_the_answer(
    helper: Helper, backend: LinuxProcfs
) -> None:
    """A query answers the same whether the kernel filtered the states or not.

    A TCP socket that is only bound is sent, reported as CLOSE, when the request's state
    bits include TCP_BOUND_INACTIVE (13; Linux 6.8), which asking for all 32 bits did
    and asking for CLOSE (7) does not. ``/proc/net/tcp`` and ``ss -ta`` never list it.
    """
    port = helper.sockets["bound_only"]["port"]

    def closed(rows: Any) -> list[int | None]:
        return sorted(row.inode for row in rows if row.state is TcpState.CLOSE)

    filtered = netstatlib.connections(
        "tcp", where=F.state == TcpState.CLOSE, processes=False, backend=backend
    )
    unfiltered = netstatlib.connections("tcp", processes=False, backend=backend)
    text = netstatlib.connections(
        "tcp", processes=False, backend=LinuxProcfs(pid=helper.pid, engine="procfs")
    )
    by_port = [row.inode for row in unfiltered if row.local is not None and row.local.port == port]
    assert closed(filtered) == closed(unfiltered) == closed(text), (
        f"the bound-only socket (port {port}) is listed without a state filter only: {by_port}"
    )
    assert by_port == [], "a bound-only socket is listed by neither engine (docs/linux.md)"


def test_details_on_the_own_namespace() -> None:
    """Without ``pid=``: this process's namespace, with a socket made here."""
    netns.require_root()
    with socket.create_server(("127.0.0.1", 0), backlog=9) as server:
        inode = os.fstat(server.fileno()).st_ino
        started = time.monotonic()
        rows = netstatlib.listening(
            "tcp4", where=F.local_port == server.getsockname()[1], details=True, processes=False
        )
        assert time.monotonic() - started < 5
    (row,) = rows
    assert row.inode == inode and row.details is not None and row.details.backlog == 9
    assert row.details.tcp_info is not None and row.details.congestion
