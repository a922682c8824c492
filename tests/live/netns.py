"""Helpers for the live tests: network namespaces, processes inside them, and parsers for
what the real tools (``ss``, ``ip``, ``nstat``) print.

Everything here cleans up after itself: namespaces are deleted and spawned processes are
killed (by the process group of the process we started) in ``finally`` blocks, so a
failing test leaves nothing behind. Only namespaces and links created here are touched;
the host's network configuration is never changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import netaddr

from netstatlib import Connection, Endpoint, Protocol, TcpState

from conftest import skip_live

HERE = Path(__file__).resolve().parent
ZOO_SCRIPT = HERE / "socket_zoo.py"
COMMAND_TIMEOUT = 20.0

# Addresses of the lab (see build_lab): all inside the namespaces the tests create.
VA_V4, VB_V4 = "10.9.9.1", "10.9.9.2"
VA_V6, VB_V6 = "fd00:9::1", "fd00:9::2"
# Two more interfaces in the main namespace: a veth pair whose one end is down. Names
# that are hard to print: the longest allowed (15 bytes), and one that is not ASCII.
VX, VY = "vx-\u00e9", "vy.long-name-15"
# SYNs to this address go out of va with a destination MAC nobody owns: never answered.
SYN_TARGET = "10.9.9.3"
NOBODY_MAC = "02:00:00:00:00:03"
# The peer sends a SYN from this (spoofed) address; the SYN-ACK goes to NOBODY_MAC and is
# never answered, so the connection stays half-open (SYN_RECV) for about a minute.
SYN_RECV_SOURCE, SYN_RECV_PORT = "10.9.9.50", 40000


def require_root() -> None:
    """Skip unless root with iproute2 on Linux."""
    if not sys.platform.startswith("linux"):
        skip_live("The live tests need Linux, for its network namespaces.")
    if os.geteuid() != 0:
        skip_live("The live tests need root, to create network namespaces.")
    for tool in ("ip", "ss", "nstat"):
        if shutil.which(tool) is None:
            skip_live(f"The live tests need {tool} (iproute2), which this machine lacks.")


def run(args: Sequence[str], *, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run a command, capture its text output, fail with its stderr when it fails."""
    kwargs.setdefault("errors", "surrogateescape")  # UNIX paths need not be UTF-8
    result = subprocess.run(
        list(args), capture_output=True, text=True, timeout=COMMAND_TIMEOUT, **kwargs
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited with {result.returncode}: {result.stderr.strip()}"
        )
    return result


@dataclass
class Namespace:
    """A network namespace created by :func:`namespace`."""

    name: str

    def exec_args(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *args]

    def exec(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess:
        """Run a command inside the namespace (``ip netns exec``; /sys is remounted)."""
        return run(self.exec_args(*args), **kwargs)

    def ip(self, *args: str) -> subprocess.CompletedProcess:
        return run(["ip", "-n", self.name, *args])

    def ip_json(self, *args: str) -> Any:
        return json.loads(run(["ip", "-n", self.name, "-j", *args]).stdout or "[]")

    def python(self, code: str, *args: str) -> Any:
        """Run Python code inside the namespace; it prints one JSON document, returned here."""
        result = self.exec(sys.executable, "-c", code, *args)
        return json.loads(result.stdout)


@contextlib.contextmanager
def namespace(tag: str) -> Iterator[Namespace]:
    """A fresh network namespace with ``lo`` up; skips the test if one cannot be made."""
    require_root()
    name = f"nsllive-{tag}-{os.getpid()}"
    result = run(["ip", "netns", "add", name], check=False)
    if result.returncode != 0:
        error = " ".join(result.stderr.split())
        skip_live(f"This machine cannot create a network namespace ({error}).")
    try:
        ns = Namespace(name)
        ns.ip("link", "set", "lo", "up")
        yield ns
    finally:
        run(["ip", "netns", "del", name], check=False)


@contextlib.contextmanager
def spawned(args: Sequence[str], **kwargs: Any) -> Iterator[subprocess.Popen]:
    """Start a process in a new session; end its whole process group on exit."""
    process = subprocess.Popen(list(args), start_new_session=True, **kwargs)
    try:
        yield process
    finally:
        # SIGTERM first (the zoo then reaps its helpers), SIGKILL for whatever is left.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=COMMAND_TIMEOUT)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def python_in(tag: str, code: str) -> Iterator[tuple[Namespace, subprocess.Popen]]:
    """A fresh namespace and, running in it, this interpreter with ``code`` (``-c``),
    its standard streams piped as text; both ended on exit."""
    require_root()
    with (
        namespace(tag) as ns,
        spawned(
            ns.exec_args(sys.executable, "-c", code),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process,
    ):
        yield ns, process


def read_json_line(process: subprocess.Popen, timeout: float = COMMAND_TIMEOUT) -> Any:
    """The first line a spawned process prints, parsed as JSON."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"{process.args} printed nothing within {timeout}s")
    line = process.stdout.readline()
    if not line:
        stderr = process.stderr.read() if process.stderr is not None else ""
        raise AssertionError(f"{process.args} exited with {process.wait()}: {stderr}")
    return json.loads(line)


@dataclass
class Lab:
    """Two namespaces joined by a veth pair, with addresses and routes (see build_lab)."""

    ns: Namespace
    peer: Namespace
    holder_pid: int


def _sysctl(ns: Namespace, **settings: str) -> None:
    for key, value in settings.items():
        ns.exec("sysctl", "-q", "-w", f"{key.replace('__', '.')}={value}")


def build_lab(ns: Namespace, peer: Namespace) -> None:
    """Links, addresses and routes inside ``ns`` (and the far end of the veth in ``peer``).

    In ``ns``: ``va`` (MTU 1400, up) whose peer ``vb`` lives in ``peer``; :data:`VX`, up
    but without carrier because its peer :data:`VY` (also in ``ns``) is down. IPv4 and IPv6
    addresses on va/vb; permanent neighbour entries for :data:`SYN_TARGET` and
    :data:`SYN_RECV_SOURCE` pointing at a MAC nobody has, so what is sent to them leaves
    and is never answered. Routes: defaults via the
    peer, reject defaults with worse metrics, blackhole/unreachable/prohibit prefixes,
    an on-link prefix, a gateway prefix with a metric, a host route, a route in table
    100 (not main), routes with MTU/advmss/window/rtt metrics, an ``onlink`` gateway
    outside the subnet, a throw route and an IPv6 source-specific (``from``) route.
    """
    # Keep IPv6 chatter (DAD, router solicitations) to a minimum: counters stay still.
    for where in (ns, peer):
        _sysctl(
            where,
            net__ipv6__conf__default__accept_dad="0",
            net__ipv6__conf__default__router_solicitations="0",
            net__ipv6__conf__default__dad_transmits="0",
        )
    peer.ip("link", "set", "lo", "up")
    ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", peer.name)
    ns.ip("link", "add", VX, "type", "veth", "peer", "name", VY)
    ns.ip("link", "set", "va", "mtu", "1400")
    ns.ip("addr", "add", f"{VA_V4}/24", "dev", "va")
    ns.ip("-6", "addr", "add", f"{VA_V6}/64", "dev", "va", "nodad")
    peer.ip("addr", "add", f"{VB_V4}/24", "dev", "vb")
    peer.ip("-6", "addr", "add", f"{VB_V6}/64", "dev", "vb", "nodad")
    ns.ip("link", "set", "va", "up")
    ns.ip("link", "set", VX, "up")
    peer.ip("link", "set", "vb", "up")
    for address in (SYN_TARGET, SYN_RECV_SOURCE):
        ns.ip("neigh", "add", address, "lladdr", NOBODY_MAC, "dev", "va", "nud", "permanent")
    routes = [
        # IPv4 (the main table unless said otherwise)
        f"route add default via {VB_V4} dev va metric 50",
        "route add unreachable default metric 4000",
        "route add blackhole default metric 5000",
        "route add blackhole 10.66.0.0/16",
        "route add unreachable 10.67.0.0/16",
        "route add prohibit 10.68.0.0/16",
        "route add 10.70.0.0/16 dev va",
        f"route add 10.71.0.0/16 via {VB_V4} dev va metric 300",
        f"route add 10.72.0.5 via {VB_V4} dev va",
        f"route add 10.73.0.0/16 via {VB_V4} dev va table 100",
        f"route add 10.74.0.0/16 via {VB_V4} dev va mtu 1300 advmss 1360 window 4000 rtt 80ms",
        f"route add 10.75.0.0/16 via {VB_V4} dev va mtu 1300",
        "route add 10.76.0.0/16 via 10.200.0.1 dev va onlink",
        "route add throw 10.77.0.0/16",
        # IPv6
        f"-6 route add default via {VB_V6} dev va metric 50",
        "-6 route add unreachable default metric 4000",
        "-6 route add blackhole fd00:66::/64",
        "-6 route add unreachable fd00:67::/64",
        "-6 route add prohibit fd00:68::/64",
        "-6 route add fd00:70::/64 dev va",
        f"-6 route add fd00:71::/64 via {VB_V6} dev va metric 300",
        f"-6 route add fd00:72::5/128 via {VB_V6} dev va",
        f"-6 route add fd00:73::/64 via {VB_V6} dev va table 100",
        f"-6 route add fd00:74::/64 via {VB_V6} dev va mtu 1300",
        f"-6 route add fd00:75::/64 from fd00:9::/64 via {VB_V6} dev va",
    ]
    for line in routes:
        ns.ip(*line.split())


@contextlib.contextmanager
def lab(tag: str) -> Iterator[Lab]:
    """A built lab plus a holder process (``sleep``) inside ``ns`` to read it through."""
    with namespace(tag) as ns, namespace(f"{tag}p") as peer:
        build_lab(ns, peer)
        with spawned(ns.exec_args("sleep", "600")) as holder:
            wait_until_in_namespace(holder.pid, ns)
            yield Lab(ns=ns, peer=peer, holder_pid=holder.pid)


def wait_until_in_namespace(pid: int, ns: Namespace, timeout: float = 5.0) -> None:
    """Wait until ``pid`` has switched into ``ns`` (``ip netns exec`` does so, then execs)."""
    target = os.stat(f"/run/netns/{ns.name}").st_ino
    deadline = time.monotonic() + timeout
    while os.stat(f"/proc/{pid}/ns/net").st_ino != target:
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} never entered namespace {ns.name}")
        time.sleep(0.005)


@dataclass
class Zoo:
    """The running socket zoo: its pid and the JSON description it printed."""

    pid: int
    children: dict[str, int]
    sockets: dict[str, dict[str, Any]]
    folder: Path


# Runs in the peer namespace with arguments SOURCE DESTINATION SPORT DPORT: one TCP SYN,
# built by hand and sent through a raw IP socket, from a source address nobody has.
SYN_CODE = """
import socket, struct, sys

def checksum(data):
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF

src, dst = socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2])
sport, dport = int(sys.argv[3]), int(sys.argv[4])
tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as sock:
    sock.sendto(ip + tcp, (sys.argv[2], 0))
print("{}")
"""


def _wait_for_syn_recv(pid: int, port: int, timeout: float = 5.0) -> None:
    """Wait until /proc/<pid>/net/tcp lists the half-open connection (state 03)."""
    raw = socket.inet_aton(SYN_RECV_SOURCE)  # /proc prints the address in host order
    remote = (raw[::-1] if sys.byteorder == "little" else raw).hex().upper()
    wanted = f"{remote}:{SYN_RECV_PORT:04X}"
    deadline = time.monotonic() + timeout
    while True:
        with open(f"/proc/{pid}/net/tcp") as handle:
            rows = [line.split() for line in handle.read().splitlines()[1:]]
        if any(row[2] == wanted and row[3] == "03" for row in rows):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"no SYN_RECV entry for {wanted} on port {port}")
        time.sleep(0.01)


@contextlib.contextmanager
def socket_zoo(lab: Lab, folder: Path) -> Iterator[Zoo]:
    """Run :mod:`socket_zoo` inside the lab; kill it and its helpers on exit.

    Then the peer sends a SYN to the zoo's ``listen_va`` listener that is never
    completed: the zoo's description gets a ``syn_recv`` entry for it.
    """
    args = lab.ns.exec_args(sys.executable, str(ZOO_SCRIPT), str(folder), SYN_TARGET, VA_V4)
    with spawned(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        info = read_json_line(process)
        assert info["pid"] == process.pid  # ip netns exec execs: the zoo is our child
        sockets = info["sockets"]
        port = sockets["listen_va"]["local"][1]
        lab.peer.python(SYN_CODE, SYN_RECV_SOURCE, VA_V4, str(SYN_RECV_PORT), str(port))
        _wait_for_syn_recv(process.pid, port)
        sockets["syn_recv"] = {
            "proto": "tcp",
            "family": 4,
            "state": "SYN_RECV",
            "inode": None,  # /proc prints 0: a request is not a socket yet
            "pids": [],
            "uid": sockets["listen_va"]["uid"],  # the listener's
            "local": [VA_V4, port],
            "remote": [SYN_RECV_SOURCE, SYN_RECV_PORT],
        }
        sockets["listen_va"]["unread"] = 0  # a half-open connection is not in the queue
        yield Zoo(pid=info["pid"], children=info["children"], sockets=sockets, folder=folder)


# Some traffic inside a lab namespace: a TCP exchange on loopback, UDP datagrams to closed
# ports on loopback and on the peer (answered by ICMP/ICMPv6 port unreachable).
TRAFFIC_CODE = """
import socket, time
listener = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(listener.getsockname())
server, _ = listener.accept()
client.sendall(b"x" * 3000)
server.recv(3000)
server.close(); client.close(); listener.close()
for family, targets in ((socket.AF_INET, ("127.0.0.1", "10.9.9.2")),
                        (socket.AF_INET6, ("::1", "fd00:9::2"))):
    with socket.socket(family, socket.SOCK_DGRAM) as udp:
        for target in targets:
            udp.sendto(b"y" * 200, (target, 9))
time.sleep(0.05)
print("{}")
"""


# -- ss -----------------------------------------------------------------------------

SS_UNIX_TYPES = {
    "u_str": socket.SocketKind.SOCK_STREAM,
    "u_dgr": socket.SocketKind.SOCK_DGRAM,
    "u_seq": socket.SocketKind.SOCK_SEQPACKET,
}
SS_PROTOCOLS = {"tcp": Protocol.TCP, "udp": Protocol.UDP, "raw": Protocol.RAW}

_SS_INET = re.compile(r"(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)", re.DOTALL)
# The UNIX path may hold spaces: it is everything before the socket's inode number.
_SS_UNIX = re.compile(
    r"(u_\w+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(.+?)\s+(\d+)\s+(.+?)\s+(\d+)\s*(.*)", re.DOTALL
)


@dataclass(frozen=True)
class SsRow:
    """One line of ``ss -tuwxanpe``, turned into netstatlib's terms."""

    protocol: Protocol
    family: socket.AddressFamily
    ss_state: str
    local: Endpoint | None
    remote: Endpoint | None
    recv_q: int
    send_q: int
    pids: tuple[int, ...]
    inode: int | None
    uid: int | None
    path: str | None = None
    socket_type: socket.SocketKind | None = None
    line: str = ""

    @property
    def state(self) -> TcpState | None:
        """The state netstatlib reports for this row."""
        if self.ss_state == "UNCONN":
            return TcpState.CLOSE if self.protocol is Protocol.TCP else None
        return TcpState.parse(self.ss_state)


def _ss_endpoint(text: str) -> tuple[socket.AddressFamily, Endpoint | None]:
    """``127.0.0.1:22``, ``[::1]:22``, ``*:22`` (v6 any, dual-stack), ``0.0.0.0:*``."""
    host, _, port_text = text.rpartition(":")
    host = host.split("%", 1)[0]  # 127.0.0.1%lo: bound to a device
    port = 0 if port_text == "*" else int(port_text)
    if host == "*":
        address = netaddr.IPAddress("::")
    elif host.startswith("["):
        address = netaddr.IPAddress(host[1:-1], 6)
    else:
        address = netaddr.IPAddress(host, 4)
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    if int(address) == 0 and port == 0:
        return family, None
    return family, Endpoint(address=address, port=port)


_SS_NETIDS = ("u_str ", "u_dgr ", "u_seq ", "tcp ", "udp ", "raw ")


def _ss_lines(text: str) -> list[str]:
    """Lines of ss output, a UNIX path's newline (printed raw) joined back into its row."""
    lines: list[str] = []
    for line in text.split("\n"):
        if line.startswith(_SS_NETIDS) or not lines:
            lines.append(line)
        else:
            lines[-1] += "\n" + line
    return [line for line in lines if line.strip()]


def parse_ss(text: str) -> list[SsRow]:
    """Parse ``ss -H -tuwxanpe`` output (no header)."""
    rows = []
    for line in _ss_lines(text):
        pids = tuple(sorted({int(p) for p in re.findall(r"\bpid=(\d+),fd=", line)}))
        uid_match = re.search(r"\buid:(\d+)", line)
        if line.startswith("u_"):
            match = _SS_UNIX.fullmatch(line.rstrip())
            assert match, f"cannot parse ss line {line!r}"
            netid, state, recv_q, send_q, path, ino = match.group(1, 2, 3, 4, 5, 6)
            rows.append(
                SsRow(
                    protocol=Protocol.UNIX,
                    family=socket.AF_UNIX,
                    ss_state=state,
                    local=None,
                    remote=None,
                    recv_q=int(recv_q),
                    send_q=int(send_q),
                    pids=pids,
                    inode=int(ino),
                    uid=None,  # ss does not print the owner of a UNIX socket
                    path=None if path == "*" else path,
                    socket_type=SS_UNIX_TYPES[netid],
                    line=line,
                )
            )
            continue
        match = _SS_INET.fullmatch(line.rstrip())
        assert match, f"cannot parse ss line {line!r}"
        netid, state, recv_q, send_q, local_text, peer_text, rest = match.groups()
        family, local = _ss_endpoint(local_text)
        _, remote = _ss_endpoint(peer_text)
        ino_match = re.search(r"\bino:(\d+)", rest)
        inode = int(ino_match.group(1)) if ino_match else None
        # With sock_diag, ss prints "uid:" only when it is not 0 (and always "ino:").
        uid = int(uid_match.group(1)) if uid_match else (0 if ino_match else None)
        rows.append(
            SsRow(
                protocol=SS_PROTOCOLS[netid],
                family=family,
                ss_state=state,
                local=local,
                remote=remote,
                recv_q=int(recv_q),
                send_q=int(send_q),
                pids=pids,
                inode=inode,
                uid=uid,
                line=line,
            )
        )
    return rows


def ss(ns: Namespace) -> list[SsRow]:
    return parse_ss(ns.exec("ss", "-H", "-tuwxanpe").stdout)


def comm(pid: int) -> str:
    with open(f"/proc/{pid}/comm", "rb") as handle:
        return handle.read().decode("utf-8", "surrogateescape").removesuffix("\n")


def row_key(row: Connection) -> tuple:
    """What identifies a socket row, for comparing two listings."""
    return (row.protocol, row.family, row.local, row.remote, row.state, row.inode, row.path)


# -- nstat ------------------------------------------------------------------------------


def nstat(ns: Namespace, history: Path) -> dict[str, int]:
    """Absolute values of every counter (``nstat -asz``), history kept in ``history``."""
    result = run(
        ns.exec_args("nstat", "-a", "-s", "-z", "--json"),
        env={**os.environ, "NSTAT_HISTORY": str(history)},
    )
    return json.loads(result.stdout)["kernel"]


# -- an unprivileged user ----------------------------------------------------------------

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def nobody_can_run(python: str) -> bool:
    """Whether uid ``NOBODY`` can run ``python`` (3.10 or later)."""
    result = subprocess.run(
        [*AS_NOBODY, python, "-c", "import sys; assert sys.version_info >= (3, 10)"],
        capture_output=True,
        cwd="/",
        timeout=COMMAND_TIMEOUT,
    )
    return result.returncode == 0


@contextlib.contextmanager
def nobody_interpreter(prefix: str) -> Iterator[tuple[str, str]]:
    """An interpreter uid ``NOBODY`` can run, and a folder it can read holding copies of
    netstatlib and what it imports (this venv's own may sit in /root); the folder is
    removed afterwards. Skips where ``setpriv`` or such an interpreter is missing."""
    import attr
    import attrs

    import netstatlib

    require_root()
    if shutil.which("setpriv") is None:
        skip_live("An unprivileged run needs setpriv (util-linux), which this machine lacks.")
    candidates = [os.path.realpath(sys.executable), "/usr/bin/python3", "/usr/local/bin/python3"]
    runnable = [path for path in candidates if os.path.exists(path) and nobody_can_run(path)]
    if not runnable:
        skip_live(f"No Python interpreter that uid {NOBODY} can run is among {candidates}.")
    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        os.chmod(folder, 0o755)
        ignore = shutil.ignore_patterns("__pycache__")
        for module in (netstatlib, attr, attrs, netaddr):
            source = Path(module.__file__).parent  # type: ignore[arg-type]
            shutil.copytree(source, Path(folder, source.name), ignore=ignore)
        for path in Path(folder).rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield runnable[0], folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
