#!/usr/bin/env python3
"""Capture real ``/proc/net`` files from network namespaces built for the purpose.

Run as root on a Linux host with iproute2 (``ip``, ``ss``, ``nstat``)::

    sudo python tests/tools/capture_linux_fixtures.py            # every scenario
    sudo python tests/tools/capture_linux_fixtures.py sockets    # just one

Each scenario builds its own network namespaces (and veth/dummy devices *inside* them,
so the host's network configuration is never touched), populates them, then copies
``/proc/net/<file>`` byte for byte from inside the namespace into
``tests/fixtures/linux/<scenario>/<file>``. At the same moment it saves what the real
tools say about the same namespace into ``<scenario>/tools/`` (``ss``, ``ip -j``,
``nstat --json``, a few sysctls) and writes ``<scenario>/expected.json``, the golden
values the parser tests compare against.

``expected.json`` is derived ONLY from the tools' output and from what the helper
process that owns the sockets reports about them (``getsockname``, ``getpeername``,
``fstat`` inode) -- never from netstatlib, which would make the tests circular.

Consistency: the tools are run before and after the files are copied; if anything the
tools report changed in between (a retransmission, an IPv6 router solicitation), the
whole capture is retried, so the files and the golden values describe the same moment.

Everything created (namespaces, with their devices; helper processes; the temporary
directory holding UNIX socket paths) is removed in ``finally`` blocks, also on error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

PROC_FILES = (
    "tcp",
    "tcp6",
    "udp",
    "udp6",
    "udplite",
    "udplite6",
    "raw",
    "raw6",
    "unix",
    "route",
    "ipv6_route",
    "dev",
    "snmp",
    "netstat",
    "snmp6",
)

# What the tools are asked, saved under <scenario>/tools/<name>.
TOOL_COMMANDS: dict[str, list[str]] = {
    "ss-tuwxane.txt": ["ss", "-tuwxane"],
    # ss prints "*" for the IPv6 wildcard; these two say which family a row is.
    "ss-tuwane-inet.txt": ["ss", "-tuwane", "-f", "inet"],
    "ss-tuwane-inet6.txt": ["ss", "-tuwane", "-f", "inet6"],
    "ip-route-main.json": ["ip", "-j", "route", "show", "table", "main"],
    "ip-6-route-all.json": ["ip", "-j", "-6", "route", "show", "table", "all"],
    "ip-s-link.json": ["ip", "-j", "-s", "link"],
    "ip-s-s-link.json": ["ip", "-j", "-s", "-s", "link"],
    "nstat.json": ["nstat", "-asz", "--json"],
    "sysctl.txt": [
        "sysctl",
        "net.ipv4.ip_forward",
        "net.ipv4.ip_default_ttl",
        "net.ipv6.conf.all.disable_ipv6",
    ],
}

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "linux"
PREFIX = f"nslfx{os.getpid()}"

# Fixed ports so the fixtures are easy to read.
P_LISTEN4 = 40001  # TCP 127.0.0.1, listener
P_ANY4 = 40002  # TCP 0.0.0.0, listener (TIME_WAIT and CLOSE_WAIT/FIN_WAIT2 pairs)
P_LISTEN6 = 40021  # TCP ::1, IPV6_V6ONLY=1
P_DUAL6 = 40022  # TCP ::, dual stack (IPv4-mapped peers)
P_NOBODY = 40050  # TCP 127.0.0.1, listener owned by uid 65534


# --------------------------------------------------------------------------------------
# Helpers run INSIDE a namespace: `ip netns exec NS python3 this_file --helper ROLE ...`
# --------------------------------------------------------------------------------------


def _inode(sock: socket.socket) -> int:
    return os.fstat(sock.fileno()).st_ino


def _name(value: Any) -> Any:
    """getsockname()/getpeername() as JSON: [host, port] for IP, a path for UNIX."""
    if isinstance(value, tuple):
        return [value[0], value[1]]
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def _wait_for_parent() -> None:
    """Block until the capture script closes our stdin (or kills us)."""
    with contextlib.suppress(Exception):
        sys.stdin.buffer.read()


def _report(kind: str, protocol: str, family: str, sock: socket.socket, **extra: Any) -> dict:
    entry: dict[str, Any] = {
        "kind": kind,
        "protocol": protocol,
        "family": family,
        "inode": _inode(sock),
        "local": _name(sock.getsockname()),
    }
    try:
        entry["remote"] = _name(sock.getpeername())
    except OSError:
        entry["remote"] = None
    entry.update(extra)
    return entry


def helper_sockets(tmpdir: str) -> None:
    """Open every kind of socket the `sockets` scenario wants, report them, then wait."""
    keep: list[socket.socket] = []
    manifest: list[dict[str, Any]] = []

    def new(family: int, kind: int, proto: int = 0) -> socket.socket:
        sock = socket.socket(family, kind, proto)
        keep.append(sock)
        return sock

    def tcp_listener(family: int, host: str, port: int, v6only: int | None = None):
        sock = new(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6only is not None:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
        sock.bind((host, port))
        sock.listen(16)
        return sock

    def tcp_pair(family: int, listener: socket.socket, target: tuple) -> tuple:
        client = new(family, socket.SOCK_STREAM)
        client.connect(target)
        server, _ = listener.accept()
        keep.append(server)
        return client, server

    inet, inet6 = socket.AF_INET, socket.AF_INET6
    l4 = tcp_listener(inet, "127.0.0.1", P_LISTEN4)
    any4 = tcp_listener(inet, "0.0.0.0", P_ANY4)
    l6 = tcp_listener(inet6, "::1", P_LISTEN6, v6only=1)
    dual = tcp_listener(inet6, "::", P_DUAL6, v6only=0)
    for sock in (l4, any4, l6, dual):
        fam = "inet" if sock.family == inet else "inet6"
        manifest.append(_report("tcp-listen", "tcp", fam, sock))

    # ESTABLISHED pairs; the client sends 100 bytes the server never reads (Recv-Q).
    client, server = tcp_pair(inet, l4, ("127.0.0.1", P_LISTEN4))
    client.sendall(b"x" * 100)
    manifest += [
        _report("tcp-established-client", "tcp", "inet", client),
        _report("tcp-established-server", "tcp", "inet", server, unread=100),
    ]
    client, server = tcp_pair(inet6, l6, ("::1", P_LISTEN6))
    manifest += [
        _report("tcp-established-client", "tcp", "inet6", client),
        _report("tcp-established-server", "tcp", "inet6", server),
    ]
    # IPv4 client -> dual-stack listener: the accepted socket is in tcp6, IPv4-mapped.
    client, server = tcp_pair(inet, dual, ("127.0.0.1", P_DUAL6))
    manifest += [
        _report("tcp-established-client", "tcp", "inet", client),
        _report("tcp-mapped-server", "tcp", "inet6", server),
    ]
    # Dual-stack IPv6 client -> IPv4 listener via ::ffff:127.0.0.1.
    mapped = new(inet6, socket.SOCK_STREAM)
    mapped.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    mapped.connect(("::ffff:127.0.0.1", P_LISTEN4))
    server, _ = l4.accept()
    keep.append(server)
    manifest += [
        _report("tcp-mapped-client", "tcp", "inet6", mapped),
        _report("tcp-established-server", "tcp", "inet", server),
    ]

    # TIME_WAIT on the side that closes first (IPv4 and IPv6).
    for family, listener, target in (
        (inet, any4, ("127.0.0.1", P_ANY4)),
        (inet6, l6, ("::1", P_LISTEN6)),
    ):
        client, server = tcp_pair(family, listener, target)
        keep.remove(client)
        keep.remove(server)
        client.close()
        server.recv(1)  # the FIN
        server.close()

    # FIN_WAIT2 (half-closed client, still open) / CLOSE_WAIT (server saw the FIN).
    client, server = tcp_pair(inet, any4, ("127.0.0.1", P_ANY4))
    client.shutdown(socket.SHUT_WR)
    server.recv(1)
    manifest += [
        _report("tcp-fin-wait2", "tcp", "inet", client),
        _report("tcp-close-wait", "tcp", "inet", server),
    ]

    # SYN_SENT: the SYN goes to a MAC nobody owns (see scenario_sockets).
    syn = new(inet, socket.SOCK_STREAM)
    syn.setblocking(False)
    syn.connect_ex(("192.0.2.2", 40009))
    manifest.append({"kind": "tcp-syn-sent", "protocol": "tcp", "family": "inet",
                     "inode": _inode(syn), "local": _name(syn.getsockname()),
                     "remote": ["192.0.2.2", 40009]})  # fmt: skip

    # UDP: bound, bound with unread data, connected (IPv4, IPv6, IPv4-mapped).
    u4 = new(inet, socket.SOCK_DGRAM)
    u4.bind(("0.0.0.0", 40010))
    u4b = new(inet, socket.SOCK_DGRAM)
    u4b.bind(("127.0.0.1", 40011))
    u4c = new(inet, socket.SOCK_DGRAM)
    u4c.bind(("127.0.0.1", 40012))
    u4c.connect(("127.0.0.1", 40011))
    u4c.send(b"y" * 64)  # stays unread in u4b's receive queue
    u6 = new(inet6, socket.SOCK_DGRAM)
    u6.bind(("::1", 40030))
    u6any = new(inet6, socket.SOCK_DGRAM)
    u6any.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    u6any.bind(("::", 40031))
    u6c = new(inet6, socket.SOCK_DGRAM)
    u6c.bind(("::1", 40032))
    u6c.connect(("::1", 40030))
    u6m = new(inet6, socket.SOCK_DGRAM)
    u6m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    u6m.connect(("::ffff:127.0.0.1", 40011))
    for sock, kind in ((u4, "udp-bound"), (u4b, "udp-bound"), (u4c, "udp-connected")):
        manifest.append(_report(kind, "udp", "inet", sock))
    for sock, kind in (
        (u6, "udp-bound"),
        (u6any, "udp-bound"),
        (u6c, "udp-connected"),
        (u6m, "udp-mapped-connected"),
    ):
        manifest.append(_report(kind, "udp", "inet6", sock))

    # UDP-Lite (IPPROTO_UDPLITE = 136), if the kernel has it. ss does not list these,
    # so the golden values come from this manifest alone.
    try:
        lite4 = new(inet, socket.SOCK_DGRAM, 136)
        lite4.bind(("127.0.0.1", 40013))
        lite6 = new(inet6, socket.SOCK_DGRAM, 136)
        lite6.bind(("::1", 40014))
        lite6c = new(inet6, socket.SOCK_DGRAM, 136)
        lite6c.connect(("::1", 40014))
        manifest += [
            _report("udplite-bound", "udplite", "inet", lite4),
            _report("udplite-bound", "udplite", "inet6", lite6),
            _report("udplite-connected", "udplite", "inet6", lite6c),
        ]
    except OSError as exc:
        print(f"UDP-Lite unavailable: {exc}", file=sys.stderr)

    # Raw sockets: ICMP, ICMPv6, and protocol 253 (RFC 3692 experimental) bound.
    raw4 = new(inet, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw6 = new(inet6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    raw253 = new(inet, socket.SOCK_RAW, 253)
    raw253.bind(("127.0.0.1", 0))
    for sock, fam, proto in ((raw4, "inet", 1), (raw6, "inet6", 58), (raw253, "inet", 253)):
        entry = _report("raw", "raw", fam, sock, ip_protocol=proto)
        entry["local"] = [entry["local"][0], proto]
        manifest.append(entry)

    # UNIX sockets. Paths live in tmpdir (the filesystem is not per namespace).
    unix = socket.AF_UNIX
    listen_path = os.path.join(tmpdir, "stream listen.sock")
    ulisten = new(unix, socket.SOCK_STREAM)
    ulisten.bind(listen_path)
    ulisten.listen(8)
    uclient = new(unix, socket.SOCK_STREAM)
    uclient.connect(listen_path)
    userver, _ = ulisten.accept()
    keep.append(userver)
    # A connection left in the accept queue: the kernel lists the not-yet-accepted
    # server end with inode 0 and state SS_CONNECTING; ss does not list it at all.
    upending = new(unix, socket.SOCK_STREAM)
    upending.connect(listen_path)
    manifest += [
        _report("unix-listen", "unix", "unix", ulisten, socket_type="SOCK_STREAM"),
        _report("unix-connected", "unix", "unix", uclient, socket_type="SOCK_STREAM"),
        _report("unix-accepted", "unix", "unix", userver, socket_type="SOCK_STREAM"),
        _report("unix-connected", "unix", "unix", upending, socket_type="SOCK_STREAM"),
        {"kind": "unix-embryo", "protocol": "unix", "family": "unix", "inode": 0,
         "local": listen_path, "remote": None, "socket_type": "SOCK_STREAM"},
    ]  # fmt: skip

    dgram_path = os.path.join(tmpdir, "dgram server.sock")
    udgram = new(unix, socket.SOCK_DGRAM)
    udgram.bind(dgram_path)
    udclient = new(unix, socket.SOCK_DGRAM)
    udclient.bind(os.path.join(tmpdir, "dgram client.sock"))
    udclient.connect(dgram_path)
    abstract = new(unix, socket.SOCK_STREAM)
    abstract.bind("\0netstatlib abstract")
    abstract.listen(1)
    abstract_nul = new(unix, socket.SOCK_DGRAM)
    abstract_nul.bind(b"\0netstatlib\0nul")
    seqpacket = new(unix, socket.SOCK_SEQPACKET)
    seqpacket.bind(os.path.join(tmpdir, "seqpacket.sock"))
    seqpacket.listen(1)
    newline = new(unix, socket.SOCK_DGRAM)
    newline.bind(os.path.join(tmpdir, "new\nline.sock"))
    latin1 = new(unix, socket.SOCK_DGRAM)
    latin1.bind(os.fsencode(tmpdir) + b"/caf\xe9.sock")
    pair_stream = socket.socketpair(unix, socket.SOCK_STREAM)
    pair_dgram = socket.socketpair(unix, socket.SOCK_DGRAM)
    keep += [*pair_stream, *pair_dgram]
    for sock, kind, stype in (
        (udgram, "unix-bound", "SOCK_DGRAM"),
        (udclient, "unix-connected", "SOCK_DGRAM"),
        (abstract, "unix-listen", "SOCK_STREAM"),
        (abstract_nul, "unix-bound", "SOCK_DGRAM"),
        (seqpacket, "unix-listen", "SOCK_SEQPACKET"),
        (newline, "unix-bound", "SOCK_DGRAM"),
        (latin1, "unix-bound", "SOCK_DGRAM"),
        (pair_stream[0], "unix-pair", "SOCK_STREAM"),
        (pair_stream[1], "unix-pair", "SOCK_STREAM"),
        (pair_dgram[0], "unix-pair", "SOCK_DGRAM"),
        (pair_dgram[1], "unix-pair", "SOCK_DGRAM"),
    ):
        manifest.append(_report(kind, "unix", "unix", sock, socket_type=stype))

    # A listener owned by uid 65534, in a child that exits when we do.
    read_end, write_end = os.pipe()
    info_r, info_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(write_end)
        os.setgid(65534)
        os.setuid(65534)
        sock = socket.socket(inet, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", P_NOBODY))
        sock.listen(4)
        os.write(info_w, json.dumps(_report("tcp-listen", "tcp", "inet", sock, uid=65534))
                 .encode() + b"\n")  # fmt: skip
        os.close(info_w)
        while os.read(read_end, 1):
            pass
        os._exit(0)
    os.close(read_end)
    os.close(info_w)
    with os.fdopen(info_r) as info:
        manifest.append(json.loads(info.readline()))

    time.sleep(0.5)  # let the LAST_ACK server ends of the TIME_WAIT pairs go away
    print(json.dumps(manifest), flush=True)
    print("ready", flush=True)
    _wait_for_parent()
    os.close(write_end)
    os.waitpid(pid, 0)


# Relative UNIX socket paths are stored and printed as given, so any local user can put
# a newline anywhere in a row of /proc/net/unix.
UNIX_EDGE_PATHS = {
    # The row ends in "<inode> " and the path continues on the next line.
    "leading_newline": "\nleading-newline.sock",
    # The continuation line is itself a well-formed row: a listener that does not exist.
    # (No "/" in it: that would be a directory.)
    "forged_row": "x\n0000000000000000: 00000002 00000000 00010000 0001 01 4242 @forged.sock",
}


def helper_unix_edge(tmpdir: str, variant: str) -> None:
    """One ordinary bound socket and one with a hostile relative path, then wait."""
    os.chdir(tmpdir)
    plain = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    plain.bind(os.path.join(tmpdir, "plain.sock"))
    hostile = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    hostile.bind(UNIX_EDGE_PATHS[variant])
    manifest = [
        _report("unix-bound", "unix", "unix", sock, socket_type="SOCK_DGRAM")
        for sock in (plain, hostile)
    ]
    print(json.dumps(manifest), flush=True)
    print("ready", flush=True)
    _wait_for_parent()


def helper_sink() -> None:
    """Peer of the `counters` scenario: sends 12 MB to every TCP client, echoes UDP."""
    listeners = []
    for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        sock = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, 5001))
        sock.listen(8)
        listeners.append(sock)

    def serve(listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"z" * 12_000_000)
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):
                    pass

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", 5002))

    def echo() -> None:
        while True:
            data, peer = udp.recvfrom(65536)
            udp.sendto(data, peer)

    for target, arg in ((serve, listeners[0]), (serve, listeners[1]), (echo, None)):
        args = () if arg is None else (arg,)
        threading.Thread(target=target, args=args, daemon=True).start()
    print("ready", flush=True)
    _wait_for_parent()


def _icmp_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _ping(family: int, host: str, count: int = 3) -> None:
    """ICMP echo over a raw socket (there is no ping binary on every host)."""
    proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    echo_type = 8 if family == socket.AF_INET else 128
    with socket.socket(family, socket.SOCK_RAW, proto) as sock:
        sock.settimeout(2)
        for seq in range(count):
            header = struct.pack("!BBHHH", echo_type, 0, 0, 0x4E53, seq)
            payload = b"netstatlib" * 4
            if family == socket.AF_INET:
                checksum = _icmp_checksum(header + payload)
                header = struct.pack("!BBHHH", echo_type, 0, checksum, 0x4E53, seq)
            sock.sendto(header + payload, (host, 0))
            with contextlib.suppress(TimeoutError):
                sock.recv(2048)


def helper_traffic(peer4: str, peer6: str) -> None:
    """Loopback and veth traffic for the `counters` scenario; returns when done."""
    # TCP over loopback, IPv4 and IPv6.
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as listener:
            listener.bind((host, 0))
            listener.listen(4)
            for _ in range(3):
                with socket.create_connection(listener.getsockname()[:2]) as client:
                    server, _ = listener.accept()
                    with server:
                        client.sendall(b"a" * 50_000)
                        received = 0
                        while received < 50_000:
                            received += len(server.recv(65536))
    # UDP and UDP-Lite over loopback (one datagram to a closed port: UdpNoPorts).
    for proto in (0, 136):
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            try:
                rx = socket.socket(family, socket.SOCK_DGRAM, proto)
            except OSError:
                continue
            with rx, socket.socket(family, socket.SOCK_DGRAM, proto) as tx:
                rx.bind((host, 0))
                for _ in range(5):
                    tx.sendto(b"u" * 200, rx.getsockname()[:2])
                    rx.recv(2048)
                tx.sendto(b"nobody", (host, 9))
    _ping(socket.AF_INET, "127.0.0.1")
    _ping(socket.AF_INET6, "::1")
    # ICMP types 20..39 (unassigned, dropped on receipt but counted In and Out): more
    # than 16 non-zero IcmpMsg counters, so /proc/net/snmp splits IcmpMsg over several
    # header/values line pairs (icmpmsg_put() prints 16 per line).
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        for icmp_type in range(20, 40):
            header = struct.pack("!BBHHH", icmp_type, 0, 0, 0, 0)
            checksum = _icmp_checksum(header)
            sock.sendto(struct.pack("!BBHHH", icmp_type, 0, checksum, 0, 0), ("127.0.0.1", 0))
    _ping(socket.AF_INET, peer4)
    _ping(socket.AF_INET6, peer6)
    # 12 MB from the peer so the veth's rx_bytes has 8 digits in /proc/net/dev.
    for host in (peer4, peer6):
        with socket.create_connection((host, 5001)) as sock:
            while sock.recv(1 << 20):
                pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(2)
        for _ in range(4):
            udp.sendto(b"e" * 300, (peer4, 5002))
            udp.recv(2048)
    print("done", flush=True)


def helper_frames(interface: str, destination_mac: str, count: str) -> None:
    """Send Ethernet frames with an unused EtherType: the receiver counts rx_dropped."""
    dst = bytes.fromhex(destination_mac.replace(":", ""))
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((interface, 0))
        src = sock.getsockname()[4]
        frame = dst + src + struct.pack("!H", 0x88B5) + b"\0" * 46  # local experimental
        for _ in range(int(count)):
            sock.send(frame)
    print("done", flush=True)


HELPERS: dict[str, Callable[..., None]] = {
    "sockets": helper_sockets,
    "unix_edge": helper_unix_edge,
    "sink": helper_sink,
    "traffic": helper_traffic,
    "frames": helper_frames,
}


# --------------------------------------------------------------------------------------
# The lab: namespaces and processes, all removed on the way out.
# --------------------------------------------------------------------------------------


def sh(*cmd: str, check: bool = True, env: dict[str, str] | None = None) -> bytes:
    proc = subprocess.run(cmd, capture_output=True, check=False, env=env)
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}"
        )
    return proc.stdout


class Lab:
    def __init__(self) -> None:
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.tmpdir = tempfile.mkdtemp(prefix="netstatlib-fixture-")
        os.chmod(self.tmpdir, 0o755)
        self.env = {**os.environ, "NSTAT_HISTORY": os.path.join(self.tmpdir, "nstat.history")}

    def netns(self, short: str) -> str:
        name = f"{PREFIX}-{short}"
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        return name

    def ip(self, ns: str, *args: str) -> None:
        sh("ip", "-n", ns, *args)

    def exec(self, ns: str, *cmd: str, check: bool = True) -> bytes:
        return sh("ip", "netns", "exec", ns, *cmd, check=check, env=self.env)

    def helper(self, ns: str, role: str, *args: str, wait_for: str = "ready") -> list[str]:
        """Start a helper in ns; return the lines it printed up to `wait_for`."""
        cmd = ["ip", "netns", "exec", ns, sys.executable, __file__, "--helper", role, *args]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.processes.append(proc)
        assert proc.stdout is not None
        lines = []
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"helper {role} in {ns} exited early ({proc.wait()})")
            text = line.decode().rstrip("\n")
            if text == wait_for:
                return lines
            lines.append(text)

    def close(self) -> None:
        for proc in self.processes:
            with contextlib.suppress(Exception):
                if proc.stdin:
                    proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for name in reversed(self.namespaces):
            # Deleting a namespace destroys the veth/dummy devices inside it.
            subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def veth(lab: Lab, ns_a: str, name_a: str, ns_b: str, name_b: str) -> None:
    """A veth pair created directly inside the namespaces (never in the host's)."""
    lab.ip(ns_a, "link", "add", name_a, "type", "veth", "peer", "name", name_b, "netns", ns_b)
    lab.ip(ns_a, "link", "set", name_a, "up")
    lab.ip(ns_b, "link", "set", name_b, "up")


def mac_of(lab: Lab, ns: str, ifname: str) -> str:
    return json.loads(lab.exec(ns, "ip", "-j", "link", "show", ifname))[0]["address"]


# --------------------------------------------------------------------------------------
# Capture: tools before, files, tools after; retry until the tools agree.
# --------------------------------------------------------------------------------------


def run_tools(lab: Lab, ns: str) -> dict[str, bytes]:
    return {name: lab.exec(ns, *cmd) for name, cmd in TOOL_COMMANDS.items()}


def _stable(output: bytes) -> bytes:
    """Tool output without what moves by itself: ss -e shows countdowns of TCP timers."""
    return re.sub(rb"timer:\([^)]*\)", b"timer:()", output)


def capture(lab: Lab, ns: str, outdir: Path, manifest: list[dict] | None) -> None:
    for _attempt in range(30):
        before = run_tools(lab, ns)
        files = {}
        for name in PROC_FILES:
            # cat, not open() here: it must read the namespace's view of /proc/net.
            proc = subprocess.run(
                ["ip", "netns", "exec", ns, "cat", f"/proc/net/{name}"], capture_output=True
            )
            if proc.returncode == 0:  # a file this kernel lacks is simply not captured
                files[name] = proc.stdout
        after = run_tools(lab, ns)
        changed = [name for name in before if _stable(before[name]) != _stable(after[name])]
        if not changed:
            break
        print(f"  {outdir.name}: {', '.join(changed)} moved during capture, retrying")
        time.sleep(2)
    else:
        raise RuntimeError(f"{outdir.name}: the namespace never stood still")
    if outdir.exists():
        shutil.rmtree(outdir)
    (outdir / "tools").mkdir(parents=True)
    for name, data in files.items():
        (outdir / name).write_bytes(data)
    for name, data in before.items():
        (outdir / "tools" / name).write_bytes(data)
    host = {"kernel": platform.release(), "machine": platform.machine()}
    host["byteorder"] = sys.byteorder
    (outdir / "tools" / "host.json").write_text(json.dumps(host) + "\n")
    if manifest is not None:
        (outdir / "tools" / "helper-sockets.json").write_text(
            json.dumps(manifest, indent=1, ensure_ascii=True) + "\n"
        )
    expected = derive_expected(outdir, manifest or [])
    (outdir / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"  wrote {outdir}")


# --------------------------------------------------------------------------------------
# Golden values, from ss / ip / nstat / sysctl and the helper's own report only.
# --------------------------------------------------------------------------------------

SS_STATES = {
    "LISTEN": "LISTEN",
    "ESTAB": "ESTABLISHED",
    "SYN-SENT": "SYN_SENT",
    "SYN-RECV": "SYN_RECV",
    "FIN-WAIT-1": "FIN_WAIT1",
    "FIN-WAIT-2": "FIN_WAIT2",
    "TIME-WAIT": "TIME_WAIT",
    "CLOSE-WAIT": "CLOSE_WAIT",
    "LAST-ACK": "LAST_ACK",
    "CLOSING": "CLOSING",
    "UNCONN": None,  # UDP/raw/UNIX not connected
}
SS_NETIDS = {"tcp", "udp", "raw", "u_str", "u_dgr", "u_seq"}


def _ss_rows(text: str) -> list[list[str]]:
    """Rows of ss output as token lists (header dropped, wrapped lines rejoined)."""
    rows: list[str] = []
    for line in text.split("\n")[1:]:
        if line.split(" ", 1)[0] in SS_NETIDS:
            rows.append(line)
        elif rows:
            rows[-1] += "\n" + line  # a UNIX path with a newline
    return [row.rstrip().split(" ") for row in rows]


def _ss_endpoint(text: str, family: str) -> dict | None:
    host, _, port = text.rpartition(":")
    if host == "*":
        host = "0.0.0.0" if family == "inet" else "::"
    host = host.strip("[]")
    if port == "*":
        if host in ("0.0.0.0", "::"):
            return None
        port = "0"
    return {"address": host, "port": int(port)}


def _ss_extra(tokens: list[str], key: str) -> int | None:
    for token in tokens:
        if token.startswith(key + ":"):
            return int(token[len(key) + 1 :])
    return None


def _manifest_endpoint(value: list | None, protocol: str) -> dict | None:
    if value is None:
        return None
    host, port = value[0], value[1]
    if protocol == "raw" and host in ("0.0.0.0", "::") and port == 0:
        return None
    return {"address": host, "port": port}


def expected_sockets(outdir: Path, manifest: list[dict]) -> dict:
    tools = outdir / "tools"
    families: dict[tuple, str] = {}
    for family in ("inet", "inet6"):
        for tokens in _ss_rows((tools / f"ss-tuwane-{family}.txt").read_text()):
            tokens = [t for t in tokens if t]
            families[tuple(tokens[:6])] = family
    inet_rows: list[dict] = []
    unix_states: dict[int, str | None] = {}
    unix_lines: list[str] = []
    raw_text = (tools / "ss-tuwxane.txt").read_bytes().decode("utf-8", "surrogateescape")
    for tokens in _ss_rows(raw_text):
        netid, state = tokens[0], next(t for t in tokens[1:] if t)
        if netid.startswith("u_"):
            unix_lines.append(" ".join(tokens))
            continue
        words = [t for t in tokens if t]
        _, _, recv_q, send_q, local, peer, *extra = words
        family = families[tuple(words[:6])]
        row: dict[str, Any] = {
            "protocol": netid,
            "family": family,
            "local": _ss_endpoint(local, family),
            "remote": _ss_endpoint(peer, family),
            "state": SS_STATES[state],
            "recv_queue": int(recv_q),
            "send_queue": int(send_q),
            "source": "ss",
        }
        if netid == "tcp" and state == "LISTEN":
            del row["send_queue"]  # ss shows the backlog limit, /proc shows 0
        if netid == "raw":
            row["ip_protocol"] = row["local"]["port"]
        # The model: a TIME_WAIT (or SYN_RECV) entry is not a socket, so it has no inode
        # (ss: "ino:0") and no owner; ss -e prints "uid:N" only when N is not 0.
        inode = _ss_extra(extra, "ino")
        if inode is not None:
            row["inode"] = inode or None
        elif state == "TIME-WAIT":
            row["inode"] = None
        uid = _ss_extra(extra, "uid")
        if state == "TIME-WAIT":
            row["uid"] = None
        elif uid is not None or inode is not None:
            row["uid"] = uid or 0
        inet_rows.append(row)

    # ss has no inode for raw sockets here and no UDP-Lite at all: the helper says.
    by_inode = {row["inode"]: row for row in inet_rows if row.get("inode")}
    for entry in manifest:
        if entry["protocol"] == "unix":
            continue
        local = _manifest_endpoint(entry["local"], entry["protocol"])
        remote = _manifest_endpoint(entry["remote"], entry["protocol"])
        row = by_inode.get(entry["inode"])
        if row is None and entry["protocol"] == "raw":
            matches = [
                r
                for r in inet_rows
                if r["protocol"] == "raw" and r["family"] == entry["family"] and r["local"] == local
            ]
            if len(matches) == 1:
                row = matches[0]
                row["inode"] = entry["inode"]
                row["source"] = "ss+helper"
        if row is None:
            if entry["protocol"] != "udplite":
                raise RuntimeError(f"ss does not list {entry}")
            row = {
                "protocol": "udplite",
                "family": entry["family"],
                "local": local,
                "remote": remote,
                "state": "ESTABLISHED" if remote else None,
                "inode": entry["inode"],
                "source": "helper",
            }
            inet_rows.append(row)
            continue
        # Cross-check the two independent sources.
        if (row["local"], row["remote"]) != (local, remote):
            raise RuntimeError(f"ss and the helper disagree: {row} vs {entry}")
        if "uid" in entry and row.get("uid") != entry["uid"]:
            raise RuntimeError(f"ss and the helper disagree on uid: {row} vs {entry}")

    # UNIX: state from ss, path and type from the helper. A path may hold spaces,
    # newlines and digits, so a row is matched to a socket by the first of its words
    # that is the inode of a socket the helper opened (the local inode comes before the
    # peer's).
    inodes = {str(entry["inode"]) for entry in manifest if entry["protocol"] == "unix"}
    for line in unix_lines:
        words = line.split()
        inode = next((w for w in words[4:] if w in inodes), None)
        if inode is None:
            raise RuntimeError(f"cannot read ss line {line!r}")
        unix_states[int(inode)] = SS_STATES[words[1]]
    unix_rows: list[dict] = []
    for entry in manifest:
        if entry["protocol"] != "unix":
            continue
        path = entry["local"] or None
        if path is not None and path.startswith("\0"):
            path = "@" + path[1:].replace("\0", "@")  # how the kernel prints it
        row = {
            "protocol": "unix",
            "family": "unix",
            "path": path,
            "socket_type": entry["socket_type"],
            "inode": entry["inode"],
            "source": "ss+helper",
        }
        if entry["inode"] in unix_states:
            row["state"] = unix_states[entry["inode"]]
        elif entry["kind"] != "unix-embryo":
            raise RuntimeError(f"ss does not list {entry}")
        else:
            row["source"] = "helper"
        unix_rows.append(row)
    if len(unix_states) != len([r for r in unix_rows if r["inode"]]):
        raise RuntimeError("ss lists UNIX sockets the helper did not open")
    return {"inet": inet_rows, "unix": unix_rows}


def _ipv4_prefix(dst: str) -> str:
    if dst == "default":
        return "0.0.0.0/0"
    return dst if "/" in dst else f"{dst}/32"


def expected_routes(outdir: Path) -> list[dict]:
    """What /proc/net/route must say, from `ip -j route show table main`.

    fib_route_seq_show(): device or "*", flags RTF_UP | RTF_GATEWAY (a gateway) |
    RTF_HOST (/32) | RTF_REJECT (unreachable, prohibit), MTU column = advmss + 40,
    window, IRTT = rtt in ms; the first next hop of a multipath route.
    """
    result = []
    for route in json.loads((outdir / "tools" / "ip-route-main.json").read_text()):
        if route.get("type", "unicast") in ("broadcast", "multicast", "local"):
            continue
        hop = route["nexthops"][0] if "nexthops" in route else route
        destination = _ipv4_prefix(route["dst"])
        flags = ["UP"]
        if hop.get("gateway"):
            flags.append("GATEWAY")
        if destination.endswith("/32"):
            flags.append("HOST")
        if route.get("type") in ("unreachable", "prohibit"):
            flags.append("REJECT")
        metrics = route.get("metrics", [{}])[0]
        result.append(
            {
                "destination": destination,
                "gateway": hop.get("gateway"),
                "interface": hop.get("dev"),
                "metric": route.get("metric", 0),
                "flags": flags,
                "mtu": metrics["advmss"] + 40 if "advmss" in metrics else None,
                "window": metrics.get("window"),
                "irtt": metrics.get("rtt"),
                "is_default": destination == "0.0.0.0/0"
                and route.get("type", "unicast") == "unicast",
                "type": route.get("type", "unicast"),
                "nhid": route.get("nhid"),
            }
        )
    return result


IPV6_REJECT_TYPES = ("blackhole", "unreachable", "prohibit", "throw")


def expected_ipv6_routes(outdir: Path) -> dict:
    """What /proc/net/ipv6_route must say, from `ip -j -6 route show table all`.

    ipv6_route_native_seq_show() prints every table. Reject routes carry
    RTF_REJECT|RTF_NONEXTHOP and no RTF_UP (ip6_route_info_create) and use lo; local
    routes have RTF_LOCAL. A route through a nexthop object is an ordinary unicast route
    to the kernel (flags UP, plus GATEWAY), even when ip shows the nexthop's type
    blackhole; a group shows its first hop. Each table whose ::/0 slot holds no route shows the kernel's
    null entry (::/0, lo, metric 0xffffffff, REJECT); the main and local tables always
    exist (fib6_tables_init).
    """
    routes = []
    tables = {"main", "local"}
    tables_with_default = set()
    for route in json.loads((outdir / "tools" / "ip-6-route-all.json").read_text()):
        kind = route.get("type", "unicast")
        flags_kind = "unicast" if "nhid" in route else kind
        hop = route["nexthops"][0] if "nexthops" in route else route
        table = route.get("table", "main")
        tables.add(table)
        dst = route["dst"]
        if dst == "default":
            dst = "::/0"
            tables_with_default.add(table)
        elif "/" not in dst:
            dst = f"{dst}/128"
        flags_set, flags_clear = [], []
        if flags_kind in IPV6_REJECT_TYPES:
            flags_set.append("REJECT")
            flags_clear.append("UP")
        else:
            flags_set.append("UP")
            flags_clear.append("REJECT")
        (flags_set if hop.get("gateway") else flags_clear).append("GATEWAY")
        (flags_set if kind == "local" else flags_clear).append("LOCAL")
        routes.append(
            {
                "destination": dst,
                "gateway": hop.get("gateway"),
                "interface": hop.get("dev"),
                "metric": route.get("metric", 0),
                "source": route.get("from"),
                "flags_set": flags_set,
                "flags_clear": flags_clear,
                "is_default": dst == "::/0" and kind == "unicast",
                "type": kind,
                "table": table,
                "nhid": route.get("nhid"),
            }
        )
    return {"routes": routes, "null_entries": len(tables - tables_with_default)}


def expected_interfaces(outdir: Path) -> list[dict]:
    """What /proc/net/dev must say, from `ip -j -s -s link` (dev_seq_printf_stats()).

    drop = rx_dropped + rx_missed_errors; frame = rx_length + rx_over + rx_crc +
    rx_frame errors; carrier = tx_carrier + tx_aborted + tx_window + tx_heartbeat errors.
    """
    result = []
    for link in json.loads((outdir / "tools" / "ip-s-s-link.json").read_text()):
        rx, tx = link["stats64"]["rx"], link["stats64"]["tx"]
        result.append(
            {
                "name": link["ifname"],
                "rx_bytes": rx["bytes"],
                "rx_packets": rx["packets"],
                "rx_errors": rx["errors"],
                "rx_dropped": rx["dropped"] + rx.get("missed_errors", 0),
                "rx_fifo_errors": rx.get("fifo_errors", 0),
                "rx_frame_errors": rx.get("length_errors", 0)
                + rx.get("over_errors", 0)
                + rx.get("crc_errors", 0)
                + rx.get("frame_errors", 0),
                "rx_compressed": rx.get("compressed", 0),
                "multicast": rx["multicast"],
                "tx_bytes": tx["bytes"],
                "tx_packets": tx["packets"],
                "tx_errors": tx["errors"],
                "tx_dropped": tx["dropped"],
                "tx_fifo_errors": tx.get("fifo_errors", 0),
                "collisions": tx["collisions"],
                "tx_carrier_errors": tx.get("carrier_errors", 0)
                + tx.get("aborted_errors", 0)
                + tx.get("window_errors", 0)
                + tx.get("heartbeat_errors", 0),
                "tx_compressed": tx.get("compressed", 0),
            }
        )
    return result


# Longest prefix wins: "IpExtInOctets" is IpExt, "Icmp6InMsgs" is Icmp6.
COUNTER_GROUPS = sorted(
    ["Ip", "IpExt", "Icmp", "IcmpMsg", "Tcp", "TcpExt", "Udp", "UdpLite", "MPTcpExt",
     "Ip6", "Icmp6", "Udp6", "UdpLite6"],
    key=len,
    reverse=True,
)  # fmt: skip


def expected_counters(outdir: Path, sockets: dict) -> dict:
    """nstat's flat names split back into (group, counter), plus the gauges nstat skips.

    nstat -a leaves out the non-counter fields of /proc/net/snmp; those are known:
    Ip Forwarding (1 forwarding, 2 not; sysctl ip_forward), Ip DefaultTTL (sysctl),
    Tcp RtoAlgorithm 1, RtoMin 200, RtoMax 120000, MaxConn -1 (snmp_seq_show_tcp_udp),
    Tcp CurrEstab = TCP sockets in ESTABLISHED or CLOSE_WAIT (as ss lists them).
    """
    flat = json.loads((outdir / "tools" / "nstat.json").read_text())["kernel"]
    groups: dict[str, dict[str, int]] = {}
    unmapped = []
    for name, value in flat.items():
        group = next((g for g in COUNTER_GROUPS if name.startswith(g)), None)
        if group is None or len(name) == len(group):
            unmapped.append(name)
            continue
        groups.setdefault(group, {})[name[len(group) :]] = value
    sysctl = dict(
        line.split(" = ", 1)
        for line in (outdir / "tools" / "sysctl.txt").read_text().splitlines()
        if " = " in line
    )
    gauges = {
        "Ip": {
            "Forwarding": 1 if sysctl["net.ipv4.ip_forward"] == "1" else 2,
            "DefaultTTL": int(sysctl["net.ipv4.ip_default_ttl"]),
        },
        "Tcp": {
            "RtoAlgorithm": 1,
            "RtoMin": 200,
            "RtoMax": 120000,
            "MaxConn": -1,
            "CurrEstab": sum(
                1
                for row in sockets["inet"]
                if row["protocol"] == "tcp" and row["state"] in ("ESTABLISHED", "CLOSE_WAIT")
            ),
        },
    }
    for group, values in gauges.items():
        groups.setdefault(group, {}).update(values)
    return {"groups": groups, "nstat_unmapped": unmapped}


def derive_expected(outdir: Path, manifest: list[dict]) -> dict:
    sockets = expected_sockets(outdir, manifest)
    host = json.loads((outdir / "tools" / "host.json").read_text())
    captured = [outdir / name for name in PROC_FILES if (outdir / name).exists()]
    return {
        "scenario": outdir.name,
        **host,
        "derived_from": "ss/ip/nstat/sysctl output in tools/ and the helper's own report "
        "(tools/helper-sockets.json); never from netstatlib",
        "files": [p.name for p in captured if p.stat().st_size],
        "empty_files": [p.name for p in captured if not p.stat().st_size],
        "sockets": sockets,
        "routes": expected_routes(outdir),
        "ipv6_routes": expected_ipv6_routes(outdir),
        "interfaces": expected_interfaces(outdir),
        "counters": expected_counters(outdir, sockets),
    }


# --------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------


def scenario_empty_namespace(lab: Lab, out: Path) -> None:
    """A brand-new namespace, loopback still down: the kernel's minimal files."""
    ns = lab.netns("empty")
    capture(lab, ns, out / "empty_namespace", None)


def scenario_sockets(lab: Lab, out: Path) -> None:
    ns = lab.netns("sockets")
    peer = lab.netns("sockets-peer")
    lab.ip(ns, "link", "set", "lo", "up")
    # For SYN_SENT: 192.0.2.2 has a permanent neighbour entry with a MAC nobody owns, so
    # the SYN leaves (no ARP failure to abort the connect) and is never answered.
    veth(lab, ns, "vethsock0", peer, "vethsock0p")
    lab.ip(ns, "addr", "add", "192.0.2.1/24", "dev", "vethsock0")
    lab.ip(ns, "neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:99", "dev", "vethsock0",
           "nud", "permanent")  # fmt: skip
    lines = lab.helper(ns, "sockets", lab.tmpdir)
    manifest = json.loads(lines[-1])
    capture(lab, ns, out / "sockets", manifest)


def scenario_unix_leading_newline(lab: Lab, out: Path) -> None:
    ns = lab.netns("unixnl")
    lab.ip(ns, "link", "set", "lo", "up")
    manifest = json.loads(lab.helper(ns, "unix_edge", lab.tmpdir, "leading_newline")[-1])
    capture(lab, ns, out / "unix_leading_newline", manifest)


def scenario_unix_forged_row(lab: Lab, out: Path) -> None:
    ns = lab.netns("unixforged")
    lab.ip(ns, "link", "set", "lo", "up")
    manifest = json.loads(lab.helper(ns, "unix_edge", lab.tmpdir, "forged_row")[-1])
    capture(lab, ns, out / "unix_forged_row", manifest)


ROUTE_PEER_IF = "vethroutespeer0"  # 15 characters, the longest name Linux allows


def scenario_routes(lab: Lab, out: Path) -> None:
    ns = lab.netns("routes")
    peer = lab.netns("routes-peer")
    dev = "vethroutes01234"
    for name in (ns, peer):
        lab.ip(name, "link", "set", "lo", "up")
    veth(lab, ns, dev, peer, ROUTE_PEER_IF)
    lab.ip(ns, "addr", "add", "10.10.0.1/24", "dev", dev)
    lab.ip(ns, "-6", "addr", "add", "2001:db8:10::1/64", "dev", dev, "nodad")
    lab.ip(peer, "addr", "add", "10.10.0.2/24", "dev", ROUTE_PEER_IF)
    lab.ip(peer, "addr", "add", "10.10.0.3/24", "dev", ROUTE_PEER_IF)
    lab.ip(peer, "-6", "addr", "add", "2001:db8:10::2/64", "dev", ROUTE_PEER_IF, "nodad")
    lab.ip(peer, "-6", "addr", "add", "2001:db8:10::3/64", "dev", ROUTE_PEER_IF, "nodad")
    gw4, gw6 = "10.10.0.2", "2001:db8:10::2"
    for args in (
        ["default", "via", gw4, "dev", dev],
        ["blackhole", "default", "metric", "500"],
        ["unreachable", "default", "metric", "600"],
        ["192.168.50.0/24", "via", gw4, "metric", "100"],
        ["192.168.60.0/24", "dev", dev],  # on-link, no gateway
        ["10.99.0.1/32", "via", gw4],  # a host route
        ["blackhole", "198.51.100.0/24"],
        ["unreachable", "198.51.101.0/24"],
        ["prohibit", "198.51.102.0/24"],
        ["203.0.113.0/24", "via", gw4, "mtu", "1400", "advmss", "1360", "window", "65535",
         "rtt", "30ms"],
        ["203.0.114.0/24", "via", gw4, "mtu", "1300"],  # route MTU only: not in /proc
        ["192.0.2.0/24", "nexthop", "via", gw4, "nexthop", "via", "10.10.0.3"],
        ["172.16.0.0/12", "via", gw4, "table", "100"],  # not main: not in /proc/net/route
        ["192.168.90.0/24", "via", gw4, "metric", "4294967295"],  # largest u32 metric
        ["192.168.91.0/24", "via", gw4, "metric", "2147483648"],  # above the largest s32
        ["192.168.92.0/24", "via", gw4, "tos", "0x10"],
        ["throw", "192.168.93.0/24"],
        ["throw", "default", "metric", "900"],
    ):  # fmt: skip
        lab.ip(ns, "route", "add", *args)
    # Nexthop objects (what FRR installs): a group, a single hop and a blackhole, also
    # used for a default route. The kernel prints the blackhole one with device lo.
    for args in (
        ["-4", "nexthop", "add", "id", "10", "via", gw4, "dev", dev],
        ["-4", "nexthop", "add", "id", "11", "via", "10.10.0.3", "dev", dev],
        ["nexthop", "add", "id", "12", "group", "10/11"],
        ["-4", "nexthop", "add", "id", "13", "blackhole"],
        ["-6", "nexthop", "add", "id", "20", "via", gw6, "dev", dev],
        ["-6", "nexthop", "add", "id", "21", "via", "2001:db8:10::3", "dev", dev],
        ["nexthop", "add", "id", "22", "group", "20/21"],
        ["-6", "nexthop", "add", "id", "23", "blackhole"],
    ):
        lab.ip(ns, *args)
    for args in (
        ["192.168.70.0/24", "nhid", "12"],
        ["192.168.71.0/24", "nhid", "13"],
        ["192.168.72.0/24", "nhid", "10"],
        ["default", "nhid", "13", "metric", "800"],
    ):
        lab.ip(ns, "route", "add", *args)
    for args in (
        ["default", "via", gw6, "dev", dev],
        ["2001:db8:20::/48", "via", gw6, "metric", "50"],
        ["2001:db8:21::/64", "dev", dev],
        ["2001:db8:22::1/128", "via", gw6],
        ["blackhole", "2001:db8:30::/64"],
        ["unreachable", "2001:db8:31::/64"],
        ["prohibit", "2001:db8:32::/64"],
        ["unreachable", "default", "metric", "2000"],
        ["blackhole", "default", "metric", "3000"],
        ["2001:db8:60::/64", "via", gw6, "mtu", "1400"],
        ["2001:db8:50::/64", "via", gw6, "table", "100"],
        ["unreachable", "default", "table", "200"],
        ["2001:db8:70::/64", "nhid", "20"],
        ["2001:db8:71::/64", "nhid", "23"],
        ["2001:db8:72::/64", "nhid", "22"],
        ["default", "nhid", "23", "metric", "4000"],
    ):
        lab.ip(ns, "-6", "route", "add", *args)
    try:  # needs CONFIG_IPV6_SUBTREES
        lab.ip(ns, "-6", "route", "add", "2001:db8:40::/64", "from", "2001:db8:10::/64",
               "via", gw6)  # fmt: skip
    except RuntimeError as exc:
        print(f"  no source-specific IPv6 route: {exc}")
    capture(lab, ns, out / "routes", None)


def scenario_routes_ipv6_disabled(lab: Lab, out: Path) -> None:
    """IPv4 routes in a namespace where IPv6 is disabled before any device exists."""
    ns = lab.netns("noipv6")
    peer = lab.netns("noipv6-peer")
    for key in ("all", "default", "lo"):
        lab.exec(ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1")
    lab.ip(ns, "link", "set", "lo", "up")
    lab.ip(peer, "link", "set", "lo", "up")
    veth(lab, ns, "veth-noipv6", peer, "veth-noipv6-p")
    lab.ip(ns, "addr", "add", "10.30.0.1/24", "dev", "veth-noipv6")
    lab.ip(peer, "addr", "add", "10.30.0.2/24", "dev", "veth-noipv6-p")
    lab.ip(ns, "route", "add", "default", "via", "10.30.0.2")
    lab.ip(ns, "route", "add", "192.168.80.0/24", "via", "10.30.0.2", "metric", "10")
    capture(lab, ns, out / "routes_ipv6_disabled", None)


COUNTERS_IF = "veth0123456789a"  # 15 characters: its rx_bytes will have 8 digits


def scenario_counters(lab: Lab, out: Path) -> None:
    ns = lab.netns("counters")
    peer = lab.netns("counters-peer")
    for name in (ns, peer):
        lab.ip(name, "link", "set", "lo", "up")
    veth(lab, ns, COUNTERS_IF, peer, "veth0123456789b")
    lab.ip(ns, "addr", "add", "10.20.0.1/24", "dev", COUNTERS_IF)
    lab.ip(peer, "addr", "add", "10.20.0.2/24", "dev", "veth0123456789b")
    lab.ip(ns, "-6", "addr", "add", "fd00:20::1/64", "dev", COUNTERS_IF, "nodad")
    lab.ip(peer, "-6", "addr", "add", "fd00:20::2/64", "dev", "veth0123456789b", "nodad")
    lab.helper(peer, "sink")
    lab.helper(ns, "traffic", "10.20.0.2", "fd00:20::2", wait_for="done")
    lab.helper(peer, "frames", "veth0123456789b", mac_of(lab, ns, COUNTERS_IF), "5",
               wait_for="done")  # fmt: skip
    time.sleep(1)
    capture(lab, ns, out / "counters", None)


SCENARIOS: dict[str, Callable[[Lab, Path], None]] = {
    "empty_namespace": scenario_empty_namespace,
    "sockets": scenario_sockets,
    "unix_leading_newline": scenario_unix_leading_newline,
    "unix_forged_row": scenario_unix_forged_row,
    "routes": scenario_routes,
    "routes_ipv6_disabled": scenario_routes_ipv6_disabled,
    "counters": scenario_counters,
}


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--helper"]:
        HELPERS[argv[1]](*argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=", ".join(SCENARIOS))
    parser.add_argument("--out", type=Path, default=FIXTURES)
    parser.add_argument(
        "--rederive",
        action="store_true",
        help="only rewrite expected.json from the tools/ outputs already captured (no root needed)",
    )
    args = parser.parse_args(argv)
    for name in [] if args.rederive else args.scenarios:
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    if args.rederive:
        for outdir in sorted(p.parent for p in args.out.glob("*/tools")):
            if args.scenarios and outdir.name not in args.scenarios:
                continue
            helper = outdir / "tools" / "helper-sockets.json"
            manifest = json.loads(helper.read_text()) if helper.exists() else []
            expected = derive_expected(outdir, manifest)
            (outdir / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
            print(f"rewrote {outdir / 'expected.json'}")
        return 0
    if os.geteuid() != 0:
        parser.error("run as root: it builds network namespaces")
    for tool in ("ip", "ss", "nstat", "sysctl"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} not found")
    with _sigterm_as_exit():
        for name in args.scenarios or SCENARIOS:
            print(f"scenario {name}")
            with Lab() as lab:
                SCENARIOS[name](lab, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
