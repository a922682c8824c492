"""Make sockets in known states, print what was made as one JSON line, wait to be killed.

Run inside a network namespace prepared by :mod:`tests.live.netns` (``ip netns exec NS
python3 socket_zoo.py DIR SYN_TARGET VA_ADDRESS``): ``DIR`` is a private folder for the
UNIX socket paths, ``SYN_TARGET`` an IPv4 address whose SYNs go out and are never
answered, ``VA_ADDRESS`` the namespace's address on its veth.

The zoo starts helper processes (this script in ``child`` mode) for the sockets that must
belong to another process: a TCP listener shared with the zoo, sockets held by processes
with odd names (spaces and parentheses; a newline and a byte that is not UTF-8), and a
socket created by an unprivileged user. Every helper dies with the zoo
(``PR_SET_PDEATHSIG``) and shares its process group; on SIGTERM the zoo kills and reaps
its helpers before it exits, so no zombie is left behind.

This file is a script, not a test module: it only uses the standard library.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
ODD_NAME = "my (odd) name"  # comm holds at most 15 bytes: this is 13
# A newline and a byte that is not UTF-8 (read back with surrogateescape).
BYTES_NAME = b"nl\nname-\xff"
NOBODY_UID = 65534
SOL_RAW = 255
ICMP_FILTER = 1  # include/uapi/linux/icmp.h
ICMP6_FILTER = 1  # include/uapi/linux/icmpv6.h

# /proc/net/tcp state numbers (include/net/tcp_states.h).
KERNEL_STATES = {
    "ESTABLISHED": 1,
    "SYN_SENT": 2,
    "FIN_WAIT2": 5,
    "TIME_WAIT": 6,
    "CLOSE_WAIT": 8,
    "LISTEN": 10,
}


def die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def inode(sock: socket.socket) -> int:
    return os.fstat(sock.fileno()).st_ino


def endpoint(address: object) -> list[object] | None:
    """``[host, port]`` of a socket address; ``None`` for an unset one."""
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        if port == 0 and host in ("0.0.0.0", "::"):
            return None
        return [host, port]
    return None


def describe(sock: socket.socket, state: str | None, pids: list[int], **extra: object) -> dict:
    family = {socket.AF_INET: 4, socket.AF_INET6: 6, socket.AF_UNIX: "unix"}[sock.family]
    proto = {
        socket.SOCK_STREAM: "tcp",
        socket.SOCK_DGRAM: "udplite" if sock.proto == socket.IPPROTO_UDPLITE else "udp",
        socket.SOCK_RAW: "raw",
    }[sock.type]
    record: dict[str, object] = {
        "proto": "unix" if family == "unix" else proto,
        "family": family,
        "state": state,
        "inode": inode(sock),
        "pids": sorted(pids),
        "uid": os.geteuid(),
    }
    if family == "unix":
        record["type"] = {socket.SOCK_STREAM: "SOCK_STREAM", socket.SOCK_DGRAM: "SOCK_DGRAM"}[
            sock.type
        ]
        name = sock.getsockname()
        if isinstance(name, bytes):  # abstract: the kernel prints every NUL as @
            name = name.replace(b"\0", b"@").decode("utf-8", "surrogateescape")
        record["path"] = name or None
    else:
        record["local"] = endpoint(sock.getsockname())
        try:
            record["remote"] = endpoint(sock.getpeername())
        except OSError:
            record["remote"] = None
    record.update(extra)
    return record


def proc_states(family: int) -> dict[str, tuple[int, int]]:
    """``{"localhex:port remotehex:port": (state, inode)}`` of this namespace's TCP table."""
    name = "/proc/self/net/tcp" if family == 4 else "/proc/self/net/tcp6"
    with open(name) as handle:
        lines = handle.read().splitlines()[1:]
    rows = {}
    for line in lines:
        fields = line.split()
        rows[f"{fields[1]} {fields[2]}"] = (int(fields[3], 16), int(fields[9]))
    return rows


def wait_for_states(wanted: dict[int, int], time_wait_port: int, timeout: float = 5.0) -> None:
    """Wait until every inode in ``wanted`` has its state and the TIME_WAIT row exists."""
    deadline = time.monotonic() + timeout
    while True:
        rows = list(proc_states(4).values()) + list(proc_states(6).values())
        by_inode = {ino: state for state, ino in rows if ino}
        missing = {ino: st for ino, st in wanted.items() if by_inode.get(ino) != st}
        tw_port = f"{time_wait_port:04X}"
        has_tw = any(
            key.split()[0].endswith(":" + tw_port) and state == KERNEL_STATES["TIME_WAIT"]
            for key, (state, _ino) in proc_states(4).items()
        )
        if not missing and has_tw:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"sockets did not reach their states: {missing}, time_wait={has_tw}")
        time.sleep(0.01)


def start_child(*args: str, pass_fds: tuple[int, ...] = ()) -> tuple[subprocess.Popen, dict]:
    """Start this script in ``child`` mode; return it and the JSON line it printed."""
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "child", *args],
        pass_fds=pass_fds,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        raise SystemExit(f"child {args} exited with {child.wait()}")
    return child, json.loads(line)


def child_main(argv: list[str]) -> None:
    """``child [--name HEX] [--setuid UID --udp6 1] [--fd N]``: hold sockets until killed.

    ``--name`` sets the process name (``/proc/self/comm``) to the hex-encoded bytes.
    """
    die_with_parent()
    args = dict(zip(argv[::2], argv[1::2], strict=True))
    made: dict[str, object] = {"pid": os.getpid()}
    keep = []
    if "--name" in args:
        with open("/proc/self/comm", "wb") as handle:
            handle.write(bytes.fromhex(args["--name"]))
    if "--setuid" in args:
        os.setgid(int(args["--setuid"]))
        os.setuid(int(args["--setuid"]))
        die_with_parent()  # changing credentials clears the parent-death signal
    if args.get("--udp6"):
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.bind(("::1", 0))
        keep.append(sock)
        made["udp6"] = describe(sock, None, [os.getpid()])
    if "--fd" in args:
        keep.append(socket.socket(fileno=int(args["--fd"])))
    print(json.dumps(made), flush=True)
    while True:
        signal.pause()


def zoo_main(folder: str, syn_target: str, va_address: str) -> None:
    die_with_parent()
    me = os.getpid()
    sockets: dict[str, dict] = {}
    keep: list[socket.socket] = []
    wanted: dict[int, int] = {}  # inode -> kernel state, waited for before reporting

    def hold(*socks: socket.socket) -> None:
        keep.extend(socks)

    def tcp(family: int, v6only: bool | None = None) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        if v6only is not None:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        hold(sock)
        return sock

    def add(name: str, sock: socket.socket, state: str | None, pids=None, **extra: object):
        sockets[name] = describe(sock, state, pids or [me], **extra)
        if sock.family != socket.AF_UNIX and sock.type == socket.SOCK_STREAM and state:
            wanted[inode(sock)] = KERNEL_STATES[state]

    def pair(listener: socket.socket, client: socket.socket, address: tuple):
        client.connect(address)
        server, _ = listener.accept()
        hold(server)
        return client, server

    # Listeners: 127.0.0.1, dual-stack ::, v6-only ::.
    lis4 = tcp(socket.AF_INET)
    lis4.bind(("127.0.0.1", 0))
    lis4.listen(16)
    add("listen4", lis4, "LISTEN")
    lis6 = tcp(socket.AF_INET6, v6only=False)
    lis6.bind(("::", 0))
    lis6.listen(16)
    add("listen6_dual", lis6, "LISTEN")
    lis6only = tcp(socket.AF_INET6, v6only=True)
    lis6only.bind(("::", 0))
    lis6only.listen(8)
    add("listen6_only", lis6only, "LISTEN")
    # A listener on the veth's address, which the peer sends a SYN to (see netns.py).
    lis_va = tcp(socket.AF_INET)
    lis_va.bind((va_address, 0))
    lis_va.listen(4)
    add("listen_va", lis_va, "LISTEN")
    port4 = lis4.getsockname()[1]
    port6 = lis6.getsockname()[1]

    # ESTABLISHED pairs. The v4 client sends bytes nobody reads: a known Recv-Q.
    client, server = pair(lis4, tcp(socket.AF_INET), ("127.0.0.1", port4))
    client.sendall(b"x" * 100)
    add("est4_client", client, "ESTABLISHED")
    add("est4_server", server, "ESTABLISHED", unread=100)
    client, server = pair(lis6, tcp(socket.AF_INET6), ("::1", port6))
    add("est6_client", client, "ESTABLISHED")
    add("est6_server", server, "ESTABLISHED")
    # A dual-stack AF_INET6 socket connected to an IPv4 listener: the client row is in
    # tcp6 with ::ffff:127.0.0.1 on both ends, the accepted one in tcp.
    client, server = pair(lis4, tcp(socket.AF_INET6, v6only=False), ("::ffff:127.0.0.1", port4))
    add("mapped_client", client, "ESTABLISHED")
    add("mapped_server4", server, "ESTABLISHED")
    # An AF_INET client into the dual-stack listener: the accepted row is mapped, in tcp6.
    client, server = pair(lis6, tcp(socket.AF_INET), ("127.0.0.1", port6))
    add("v4_into_dual_client", client, "ESTABLISHED")
    add("v4_into_dual_server6", server, "ESTABLISHED")

    # FIN_WAIT2 / CLOSE_WAIT: the client shuts down its sending side, nobody closes.
    client, server = pair(lis4, tcp(socket.AF_INET), ("127.0.0.1", port4))
    client.shutdown(socket.SHUT_WR)
    add("fin_wait2", client, "FIN_WAIT2")
    add("close_wait", server, "CLOSE_WAIT")

    # TIME_WAIT: the client closes first, then the server; the client's side stays in
    # TIME_WAIT, owned by the kernel: /proc prints inode 0 and uid 0, which netstatlib
    # reports as None (no inode, no owner); no process holds it.
    client, server = pair(lis4, tcp(socket.AF_INET), ("127.0.0.1", port4))
    tw_local, tw_remote = client.getsockname(), client.getpeername()
    client.close()
    time.sleep(0.01)
    server.close()
    keep.remove(client)
    keep.remove(server)
    sockets["time_wait"] = {
        "proto": "tcp",
        "family": 4,
        "state": "TIME_WAIT",
        "inode": None,
        "pids": [],
        "uid": None,
        "local": list(tw_local),
        "remote": list(tw_remote),
    }

    # A connection the listener never accepts: its server side has no file yet (inode 0
    # in /proc, None in netstatlib) and no process; its uid is the listener's.
    waiting = tcp(socket.AF_INET)
    waiting.connect(("127.0.0.1", port4))
    add("unaccepted_client", waiting, "ESTABLISHED")
    sockets["unaccepted_server"] = {
        "proto": "tcp",
        "family": 4,
        "state": "ESTABLISHED",
        "inode": None,
        "pids": [],
        "uid": os.geteuid(),
        "local": ["127.0.0.1", port4],
        "remote": list(waiting.getsockname()),
    }
    sockets["listen4"]["unread"] = 1  # the accept queue holds it

    # SYN_SENT: the SYN leaves through the veth towards an address nobody answers.
    syn = tcp(socket.AF_INET)
    syn.setblocking(False)
    err = syn.connect_ex((syn_target, 9))
    if err != errno.EINPROGRESS:
        raise SystemExit(f"connect to {syn_target} gave {errno.errorcode.get(err, err)}")
    add("syn_sent", syn, "SYN_SENT", remote=[syn_target, 9])  # no getpeername() yet

    # UDP: bound v4 and v6 (a datagram waits unread in the v4 one), and a connected one.
    udp4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp4.bind(("127.0.0.1", 0))
    udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp6.bind(("::", 0))
    udpc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udpc.connect(udp4.getsockname())
    udpc.send(b"hello")
    hold(udp4, udp6, udpc)
    add("udp4", udp4, None)
    add("udp6", udp6, None)
    add("udp_connected", udpc, "ESTABLISHED")

    # Raw ICMP and ICMPv6: the local "port" is the protocol number.
    raw4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    # Filter out every ICMP type so that nothing queues up while the tests compare.
    raw4.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("I", 0xFFFFFFFF))
    raw6.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, b"\xff" * 32)
    raw_connected = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw_connected.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("I", 0xFFFFFFFF))
    raw_connected.connect(("127.0.0.1", 0))
    hold(raw4, raw6, raw_connected)
    add("raw4", raw4, None, local=["0.0.0.0", socket.IPPROTO_ICMP])
    add("raw6", raw6, None, local=["::", socket.IPPROTO_ICMPV6])
    # getpeername() fails on a raw socket (no port): say what the kernel shows.
    local, remote = ["127.0.0.1", socket.IPPROTO_ICMP], ["127.0.0.1", 0]
    add("raw_connected", raw_connected, "ESTABLISHED", local=local, remote=remote)

    # UDP-Lite, where the kernel has it.
    for name, family, host in (
        ("udplite4", socket.AF_INET, "127.0.0.1"),
        ("udplite6", socket.AF_INET6, "::1"),
    ):
        try:
            lite = socket.socket(family, socket.SOCK_DGRAM, socket.IPPROTO_UDPLITE)
        except OSError:
            continue
        lite.bind((host, 0))
        hold(lite)
        add(name, lite, None)

    # UNIX: a stream listener whose path has spaces (plus one connection to it), a
    # datagram socket, an abstract name, a socketpair.
    path = os.path.join(folder, "zoo listener sock")
    ulis = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ulis.bind(path)
    ulis.listen(4)
    uclient = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uclient.connect(path)
    userver, _ = ulis.accept()
    # Datagram sockets: one bound and left alone, one unbound, and one bound with a client
    # connected to it (the kernel then marks the bound one connected as well).
    udgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    udgram.bind(os.path.join(folder, "zoo.dgram"))
    unbound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dgram_server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dgram_server.bind(os.path.join(folder, "zoo.dgram.server"))
    dgram_client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dgram_client.connect(os.path.join(folder, "zoo.dgram.server"))
    uabstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uabstract.bind(f"\0netstatlib-zoo-{me}")
    uabstract.listen(1)
    upair_a, upair_b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    # Names the kernel prints oddly: a newline in a path (the row continues on the next
    # line), a byte that is not UTF-8, a NUL inside an abstract name (printed as @).
    unewline = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unewline.bind(os.path.join(folder, "new\nline sock"))
    unewline.listen(1)
    ubytes = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ubytes.bind(os.fsencode(folder) + b"/not-utf8-\xff")
    unul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unul.bind(b"\0zoo\0nul")
    unul.listen(1)
    hold(unewline, ubytes, unul)
    hold(ulis, uclient, userver, udgram, unbound, dgram_server, dgram_client, uabstract)
    hold(upair_a, upair_b)
    add("unix_listener", ulis, "LISTEN")
    add("unix_client", uclient, "ESTABLISHED")
    add("unix_accepted", userver, "ESTABLISHED")
    add("unix_dgram", udgram, None)
    add("unix_unbound", unbound, None)
    add("unix_dgram_server", dgram_server, "ESTABLISHED")
    add("unix_dgram_client", dgram_client, "ESTABLISHED")
    add("unix_abstract", uabstract, "LISTEN")
    add("unix_newline", unewline, "LISTEN")
    add("unix_not_utf8", ubytes, None)
    add("unix_abstract_nul", unul, "LISTEN")
    add("unix_pair_a", upair_a, "ESTABLISHED")
    add("unix_pair_b", upair_b, "ESTABLISHED")

    # A listener shared with a child process (both hold the descriptor).
    shared = tcp(socket.AF_INET)
    shared.bind(("127.0.0.1", 0))
    shared.listen(4)
    sharer, info = start_child("--fd", str(shared.fileno()), pass_fds=(shared.fileno(),))
    add("shared_listener", shared, "LISTEN", pids=[me, info["pid"]])

    # A socket held only by a process named "my (odd) name".
    odd_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    odd_sock.bind(("127.0.0.1", 0))
    odd, info = start_child(
        "--name",
        ODD_NAME.encode().hex(),
        "--fd",
        str(odd_sock.fileno()),
        pass_fds=(odd_sock.fileno(),),
    )
    add("odd_name", odd_sock, None, pids=[info["pid"]], process=ODD_NAME)
    odd_sock.close()
    bytes_sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    bytes_sock.bind(("::1", 0))
    bytes_sock.listen(1)
    named, info = start_child(
        "--name",
        BYTES_NAME.hex(),
        "--fd",
        str(bytes_sock.fileno()),
        pass_fds=(bytes_sock.fileno(),),
    )
    name = BYTES_NAME.decode("utf-8", "surrogateescape")
    add("bytes_name", bytes_sock, "LISTEN", pids=[info["pid"]], process=name)
    bytes_sock.close()

    # A socket created by an unprivileged user: its uid is that user's.
    nobody, info = start_child("--setuid", str(NOBODY_UID), "--udp6", "1")
    sockets["nobody_udp6"] = info["udp6"]

    wait_for_states(wanted, tw_local[1])
    helpers = {"sharer": sharer, "odd": odd, "named": named, "nobody": nobody}

    def stop(_signum: int, _frame: object) -> None:
        """On SIGTERM, end the helpers and reap them, so that no zombie is left behind."""
        for helper in helpers.values():
            helper.kill()
            helper.wait()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    children = {name: helper.pid for name, helper in helpers.items()}
    print(json.dumps({"pid": me, "children": children, "sockets": sockets}), flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        if sys.argv[1] == "child":
            child_main(sys.argv[2:])
        else:
            zoo_main(sys.argv[1], sys.argv[2], sys.argv[3])
