#!/usr/bin/env python3
"""Capture real ``NETLINK_SOCK_DIAG`` dumps, byte for byte, into ``tests/fixtures/sockdiag/``.

Run as root on a Linux host with iproute2, from the repository root::

    sudo python tests/tools/capture_sockdiag_fixtures.py

Strategy: a network namespace is made with the live tests' helper
(``tests/live/netns.py``, which deletes it afterwards). This script then runs itself
inside it (``--helper``), and that helper, using the standard library only:

1. makes a few sockets whose every property it knows from its own side (``fstat``
   inode, ``SO_COOKIE``, ``getsockname``/``getpeername``, the ``listen()`` backlog,
   ``getsockopt(TCP_INFO)``): TCP listeners, established pairs, an unaccepted
   connection and TIME_WAIT entries over IPv4 and IPv6; bound and connected UDP over
   both; UNIX sockets with a path, an abstract name, no name, a newline and a byte that
   is not UTF-8 in the path;
2. asks the kernel for each dump of :data:`DUMPS` on a fresh netlink socket, with a
   request packed here from ``sock_diag(7)`` (not by netstatlib), and keeps every
   datagram the kernel sends, up to and including the one holding ``NLMSG_DONE``;
3. prints one JSON line (the sockets it made, the requests, the datagrams in base64),
   then waits for this script to close its stdin.

This script then parses each dump with netstatlib, checks that the records name exactly
the sockets the helper made (by cookie, or by endpoints for the entries that are not
sockets), and writes ``<dump>.bin`` (the datagrams, framed as the README says),
``<dump>.json`` (``Table(records).to_dicts(plain=True)``), ``dumps.json`` (how to parse
each dump, what was asked, and the sockets as their owner described them) and
``README.md`` (with this kernel's version). The golden ``.json`` files are the parser's
output at capture time; ``tests/test_sockdiag.py`` checks them against the owner's
description again, field by field, so that a wrong golden value cannot hide there.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import json
import os
import platform
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
FIXTURES = TESTS / "fixtures" / "sockdiag"

# include/uapi/linux/{netlink,sock_diag,inet_diag,unix_diag}.h
NETLINK_SOCK_DIAG = 4
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
TCPDIAG_GETSOCK = 18
SOCK_DIAG_BY_FAMILY = 20
ALL_STATES = 0xFFFFFFFF
# idiag_ext: bit (attribute - 1). What netstatlib asks for with details=True: INFO (2),
# CONG (4) and SKMEMINFO (7); "every" sets all eight bits (MEMINFO, VEGASINFO, TOS,
# TCLASS and SHUTDOWN too), to show that the parser passes over attributes it does not read.
EXT_DETAILS = (1 << 1) | (1 << 3) | (1 << 6)
EXT_EVERY = 0xFF
# udiag_show bits.
UDIAG_SHOW_NAME = 0x01
UDIAG_SHOW_VFS = 0x02
UDIAG_SHOW_PEER = 0x04
UDIAG_SHOW_ICONS = 0x08
UDIAG_SHOW_RQLEN = 0x10
UDIAG_SHOW_MEMINFO = 0x20
UDIAG_SHOW_UID = 0x40
UNIX_PLAIN = UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID
UNIX_DETAILS = UNIX_PLAIN | UDIAG_SHOW_PEER | UDIAG_SHOW_MEMINFO
UNIX_EVERY = 0x7F
SO_COOKIE = 57  # asm-generic/socket.h
TCP_INFO_SIZE = 512  # more than any kernel's struct tcp_info: getsockopt cuts to its size
RECEIVE_BUFFER = 32768  # the kernel's dump datagrams are at most about 32 KiB
NOBODY = 65534
FRAME = struct.Struct(">I")  # each datagram in a .bin file: its length, then its bytes

# name -> (what to ask, how the records are read). "request" is the netlink message type
# and what goes into the payload; "parse" is what DiagDump is told.
DUMPS: dict[str, dict[str, Any]] = {
    "tcp_legacy": {
        "about": "TCP, both families in one legacy TCPDIAG_GETSOCK dump (AF_UNSPEC), no "
        "attributes asked for",
        "request": {"type": "legacy", "ext": 0},
        "parse": {"kind": "inet", "protocol": "tcp", "details": False},
        "tables": ["tcp4", "tcp6"],
    },
    "tcp_legacy_details": {
        "about": "the same with INET_DIAG_INFO, INET_DIAG_CONG and INET_DIAG_SKMEMINFO, as "
        "netstatlib asks for details=True",
        "request": {"type": "legacy", "ext": EXT_DETAILS},
        "parse": {"kind": "inet", "protocol": "tcp", "details": True},
        "tables": ["tcp4", "tcp6"],
    },
    "tcp6_every_attribute": {
        "about": "TCP over IPv6 alone (SOCK_DIAG_BY_FAMILY, the fallback when the legacy "
        "request is refused), every idiag_ext bit set",
        "request": {"type": "v2", "family": 10, "protocol": 6, "ext": EXT_EVERY},
        "parse": {"kind": "inet", "protocol": "tcp", "details": True},
        "tables": ["tcp6"],
    },
    "udp4": {
        "about": "UDP over IPv4 (SOCK_DIAG_BY_FAMILY), no attributes",
        "request": {"type": "v2", "family": 2, "protocol": 17, "ext": 0},
        "parse": {"kind": "inet", "protocol": "udp", "details": False},
        "tables": ["udp4"],
    },
    "udp4_details": {
        "about": "UDP over IPv4 with the details bits (UDP answers INET_DIAG_SKMEMINFO only)",
        "request": {"type": "v2", "family": 2, "protocol": 17, "ext": EXT_DETAILS},
        "parse": {"kind": "inet", "protocol": "udp", "details": True},
        "tables": ["udp4"],
    },
    "udp6": {
        "about": "UDP over IPv6, no attributes",
        "request": {"type": "v2", "family": 10, "protocol": 17, "ext": 0},
        "parse": {"kind": "inet", "protocol": "udp", "details": False},
        "tables": ["udp6"],
    },
    "udp6_details": {
        "about": "UDP over IPv6 with the details bits",
        "request": {"type": "v2", "family": 10, "protocol": 17, "ext": EXT_DETAILS},
        "parse": {"kind": "inet", "protocol": "udp", "details": True},
        "tables": ["udp6"],
    },
    "unix": {
        "about": "UNIX sockets with NAME, RQLEN and UID, as netstatlib asks without details",
        "request": {"type": "unix", "show": UNIX_PLAIN},
        "parse": {"kind": "unix", "protocol": "unix", "details": False},
        "tables": ["unix"],
    },
    "unix_details": {
        "about": "UNIX sockets with PEER and MEMINFO as well, as netstatlib asks for details=True",
        "request": {"type": "unix", "show": UNIX_DETAILS},
        "parse": {"kind": "unix", "protocol": "unix", "details": True},
        "tables": ["unix"],
    },
    "unix_every_attribute": {
        "about": "UNIX sockets with every udiag_show bit (VFS and ICONS too, which the "
        "parser passes over)",
        "request": {"type": "unix", "show": UNIX_EVERY},
        "parse": {"kind": "unix", "protocol": "unix", "details": True},
        "tables": ["unix"],
    },
}


# --------------------------------------------------------------------------------------
# The helper, run inside the namespace: standard library only.
# --------------------------------------------------------------------------------------


def _request(spec: dict[str, Any], sequence: int) -> bytes:
    """The netlink message asking for one dump (sock_diag(7))."""
    if spec["type"] == "legacy":
        # struct inet_diag_req: family, src_len, dst_len, ext, sockid (48 bytes),
        # states, dbs.
        kind = TCPDIAG_GETSOCK
        payload = struct.pack("=BBBB48xII", socket.AF_UNSPEC, 0, 0, spec["ext"], ALL_STATES, 0)
    elif spec["type"] == "v2":
        # struct inet_diag_req_v2: family, protocol, ext, pad, states, sockid.
        kind = SOCK_DIAG_BY_FAMILY
        payload = struct.pack(
            "=BBBxI48x", spec["family"], spec["protocol"], spec["ext"], ALL_STATES
        )
    else:
        # struct unix_diag_req: family, protocol, pad, states, ino, show, cookie.
        kind = SOCK_DIAG_BY_FAMILY
        payload = struct.pack("=BBHIII8x", socket.AF_UNIX, 0, 0, ALL_STATES, 0, spec["show"])
    header = struct.pack("=IHHII", 16 + len(payload), kind, NLM_F_REQUEST | NLM_F_DUMP, sequence, 0)
    return header + payload


def _ends_dump(datagram: bytes) -> bool:
    """Whether a datagram holds NLMSG_DONE or NLMSG_ERROR (walking its messages)."""
    offset = 0
    while offset + 16 <= len(datagram):
        length, kind = struct.unpack_from("=IH", datagram, offset)
        if kind in (NLMSG_DONE, NLMSG_ERROR):
            return True
        if length < 16:
            raise SystemExit(f"a netlink message of length {length}")
        offset += (length + 3) & ~3
    return False


def _dump(spec: dict[str, Any], sequence: int) -> list[bytes]:
    """Every datagram the kernel sends for one request, on a fresh socket."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as diag:
        diag.settimeout(10)
        diag.sendall(_request(spec, sequence))
        datagrams = []
        buffer = bytearray(RECEIVE_BUFFER)
        while True:
            size = diag.recv_into(buffer, 0, socket.MSG_TRUNC)
            if size > len(buffer):
                raise SystemExit(f"a datagram of {size} bytes did not fit")
            datagrams.append(bytes(buffer[:size]))
            if _ends_dump(datagrams[-1]):
                return datagrams


def _cookie(sock: socket.socket) -> int:
    value: int = struct.unpack("=Q", sock.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]
    return value


def _endpoint(address: Any) -> list[Any] | None:
    if isinstance(address, tuple):
        if address[1] == 0 and address[0] in ("0.0.0.0", "::"):
            return None
        return [address[0], address[1]]
    return None


def _tcp_info(sock: socket.socket) -> dict[str, int]:
    """A few fields of getsockopt(TCP_INFO), unpacked here (offsets from linux/tcp.h)."""
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE)
    names = {"snd_mss": (16, "I"), "advmss": (84, "I"), "pmtu": (60, "I")}
    names.update(bytes_acked=(120, "Q"), bytes_received=(128, "Q"))
    return {name: struct.unpack_from("=" + fmt, raw, at)[0] for name, (at, fmt) in names.items()}


class _Sockets:
    """The sockets the helper makes, each described as its owner sees it."""

    def __init__(self) -> None:
        self.keep: list[socket.socket] = []
        self.described: list[dict[str, Any]] = []

    def add(self, name: str, sock: socket.socket, state: str | None, **extra: Any) -> None:
        self.keep.append(sock)
        entry: dict[str, Any] = {
            "name": name,
            "inode": os.fstat(sock.fileno()).st_ino,
            "cookie": _cookie(sock),
            "state": state,
            "uid": os.geteuid(),
        }
        if sock.family == socket.AF_UNIX:
            address = sock.getsockname()
            if isinstance(address, bytes):  # abstract, or a path that is not UTF-8
                address = address.decode("utf-8", "surrogateescape")
            entry["table"] = "unix"
            entry["path"] = address.replace("\0", "@") if address else None
            entry["socket_type"] = sock.type.name
        else:
            family = "4" if sock.family == socket.AF_INET else "6"
            entry["table"] = ("tcp" if sock.type == socket.SOCK_STREAM else "udp") + family
            entry["local"] = _endpoint(sock.getsockname())
            try:
                entry["remote"] = _endpoint(sock.getpeername())
            except OSError:
                entry["remote"] = None
            if sock.type == socket.SOCK_STREAM and state not in ("LISTEN", None):
                entry["tcp_info"] = _tcp_info(sock)
        entry.update(extra)
        self.described.append(entry)

    def update(self, name: str, **extra: Any) -> None:
        """Add to a description what happened to the socket since."""
        (entry,) = [entry for entry in self.described if entry["name"] == name]
        entry.update(extra)

    def entry(self, name: str, table: str, state: str, local: Any, remote: Any, **extra: Any):
        """An entry of the kernel's tables that is not a socket of ours (no file)."""
        self.described.append(
            {"name": name, "table": table, "state": state, "inode": None, "cookie": None,
             "local": _endpoint(local), "remote": _endpoint(remote), **extra}
        )  # fmt: skip


def _tcp_sockets(made: _Sockets) -> None:
    inet, inet6 = socket.AF_INET, socket.AF_INET6

    def listener(name: str, family: int, host: str, backlog: int, v6only: int | None = None):
        sock = socket.socket(family, socket.SOCK_STREAM)
        if v6only is not None:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
        sock.bind((host, 0))
        sock.listen(backlog)
        made.add(name, sock, "LISTEN", backlog=backlog)
        return sock

    def connect(family: int, target: tuple) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.connect(target)
        return sock

    listen4 = listener("tcp_listen4", inet, "127.0.0.1", 7)
    listen6 = listener("tcp_listen6_only", inet6, "::1", 5, v6only=1)
    dual = listener("tcp_listen6_dual", inet6, "::", 3, v6only=0)

    client = connect(inet, listen4.getsockname())
    server, _ = listen4.accept()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 3000)  # a keepalive timer
    client.sendall(b"x" * 100)  # never read: the server's receive queue
    made.add("tcp_established4_client", client, "ESTABLISHED", timer="keepalive")
    made.add("tcp_established4_server", server, "ESTABLISHED", unread=100)
    client = connect(inet6, listen6.getsockname()[:2])
    server, _ = listen6.accept()
    made.add("tcp_established6_client", client, "ESTABLISHED")
    made.add("tcp_established6_server", server, "ESTABLISHED")
    # An IPv4 client of the dual-stack listener: the accepted socket is IPv6, mapped.
    client = connect(inet, ("127.0.0.1", dual.getsockname()[1]))
    server, _ = dual.accept()
    made.add("tcp_v4_into_dual_client", client, "ESTABLISHED")
    made.add("tcp_mapped_server", server, "ESTABLISHED")
    # TIME_WAIT, IPv4 and IPv6: the client closes first; no inode, no owner.
    for table, family, target in (
        ("tcp4", inet, listen4.getsockname()),
        ("tcp6", inet6, listen6.getsockname()[:2]),
    ):
        client = connect(family, target)
        server, _ = (listen4 if family == inet else listen6).accept()
        local, remote = client.getsockname(), client.getpeername()
        client.close()
        server.recv(1)  # the FIN
        server.close()
        made.entry(f"tcp_time_wait{table[-1]}", table, "TIME_WAIT", local, remote, uid=None)

    # Left in the accept queue (after the TIME_WAIT pairs, which accept()): the server end has no file (inode 0), its uid is ours.
    waiting = connect(inet, listen4.getsockname())
    made.add("tcp_unaccepted_client", waiting, "ESTABLISHED")
    made.entry(
        "tcp_unaccepted_server", "tcp4", "ESTABLISHED", listen4.getsockname(),
        waiting.getsockname(), uid=os.geteuid(),
    )  # fmt: skip
    made.update("tcp_listen4", unread=1)  # a listener's receive queue: connections waiting
    # A listener owned by nobody, made by a child that holds it until we exit.
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: go when the helper goes
        sock = socket.socket(inet, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(2)
        description = {
            "name": "tcp_listen4_nobody", "table": "tcp4", "state": "LISTEN",
            "inode": os.fstat(sock.fileno()).st_ino, "cookie": _cookie(sock),
            "uid": NOBODY, "local": _endpoint(sock.getsockname()), "remote": None,
            "backlog": 2,
        }  # fmt: skip
        os.write(write_end, json.dumps(description).encode() + b"\n")
        signal.pause()
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        made.described.append(json.loads(reader.readline()))


def _udp_sockets(made: _Sockets) -> None:
    inet, inet6 = socket.AF_INET, socket.AF_INET6
    bound4 = socket.socket(inet, socket.SOCK_DGRAM)
    bound4.bind(("127.0.0.1", 0))
    connected4 = socket.socket(inet, socket.SOCK_DGRAM)
    connected4.connect(bound4.getsockname())
    connected4.send(b"y" * 64)  # unread in bound4
    # A UDP receive queue counts the memory the datagram takes, not its 64 bytes.
    made.add("udp_bound4", bound4, None, unread_datagrams=1)
    made.add("udp_connected4", connected4, "ESTABLISHED")
    bound6 = socket.socket(inet6, socket.SOCK_DGRAM)
    bound6.bind(("::1", 0))
    dual6 = socket.socket(inet6, socket.SOCK_DGRAM)
    dual6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    dual6.bind(("::", 0))
    connected6 = socket.socket(inet6, socket.SOCK_DGRAM)
    connected6.connect(bound6.getsockname()[:2])
    made.add("udp_bound6", bound6, None)
    made.add("udp_bound6_dual", dual6, None)
    made.add("udp_connected6", connected6, "ESTABLISHED")


def _unix_sockets(made: _Sockets, folder: str) -> None:
    unix = socket.AF_UNIX
    listener = socket.socket(unix, socket.SOCK_STREAM)
    listener.bind(os.path.join(folder, "stream listener"))
    listener.listen(6)
    client = socket.socket(unix, socket.SOCK_STREAM)
    client.connect(os.path.join(folder, "stream listener"))
    accepted, _ = listener.accept()
    made.add("unix_listener", listener, "LISTEN", backlog=6)
    made.add("unix_client", client, "ESTABLISHED", peer="unix_accepted")
    made.add("unix_accepted", accepted, "ESTABLISHED", peer="unix_client")
    abstract = socket.socket(unix, socket.SOCK_STREAM)
    abstract.bind("\0netstatlib sockdiag\0fixture")
    abstract.listen(1)
    made.add("unix_abstract", abstract, "LISTEN", backlog=1)
    newline = socket.socket(unix, socket.SOCK_DGRAM)
    newline.bind(os.path.join(folder, "new\nline"))
    made.add("unix_newline", newline, None)
    not_utf8 = socket.socket(unix, socket.SOCK_DGRAM)
    not_utf8.bind(os.fsencode(folder) + b"/caf\xe9")
    made.add("unix_not_utf8", not_utf8, None)
    unnamed = socket.socket(unix, socket.SOCK_DGRAM)
    made.add("unix_unnamed", unnamed, None)
    first, second = socket.socketpair(unix, socket.SOCK_STREAM)
    first.sendall(b"z" * 10)  # unread by second
    made.add("unix_pair_a", first, "ESTABLISHED", peer="unix_pair_b")
    made.add("unix_pair_b", second, "ESTABLISHED", peer="unix_pair_a", unread=10)
    seqpacket = socket.socket(unix, socket.SOCK_SEQPACKET)
    seqpacket.bind(os.path.join(folder, "seqpacket"))
    made.add("unix_seqpacket_bound", seqpacket, None)


def helper(folder: str) -> None:
    """Make the sockets, take the dumps, print them, wait for stdin to close."""
    made = _Sockets()
    _tcp_sockets(made)
    _udp_sockets(made)
    _unix_sockets(made, folder)
    time.sleep(0.3)  # the LAST_ACK ends of the TIME_WAIT pairs go; delayed ACKs are sent
    dumps = {}
    for sequence, (name, dump) in enumerate(DUMPS.items(), start=1):
        datagrams = _dump(dump["request"], sequence)
        dumps[name] = {
            "request": _request(dump["request"], sequence).hex(),
            "datagrams": [base64.b64encode(datagram).decode() for datagram in datagrams],
        }
    report = {
        "kernel": platform.release(),
        "machine": platform.machine(),
        "byteorder": sys.byteorder,
        "sockets": made.described,
        "dumps": dumps,
    }
    print(json.dumps(report), flush=True)
    with contextlib.suppress(Exception):
        sys.stdin.buffer.read()


# --------------------------------------------------------------------------------------
# The capture: outside the namespace, with netstatlib.
# --------------------------------------------------------------------------------------


def write_frames(path: Path, datagrams: list[bytes]) -> None:
    path.write_bytes(b"".join(FRAME.pack(len(datagram)) + datagram for datagram in datagrams))


def _check(name: str, records: list[Any], sockets: list[dict[str, Any]]) -> None:
    """Every record is one of the owner's sockets, and every socket has one record."""
    tables = DUMPS[name]["tables"]
    wanted = [entry for entry in sockets if entry["table"] in tables]
    by_cookie = {entry["cookie"]: entry for entry in wanted if entry["cookie"] is not None}
    seen = []
    for record in records:
        entry = by_cookie.get(record.cookie)
        if entry is None:  # not a socket (TIME_WAIT, unaccepted): by endpoints and state
            key = (
                str(record.local.address), record.local.port,
                str(record.remote.address) if record.remote else None,
                record.remote.port if record.remote else None, record.state.name,
            )  # fmt: skip
            found = [
                e for e in wanted
                if e["cookie"] is None
                and (*e["local"], *(e["remote"] or [None, None]), e["state"]) == key
            ]  # fmt: skip
            if len(found) != 1:
                raise SystemExit(f"{name}: a record nobody made: {record}")
            entry = found[0]
        seen.append(entry["name"])
    if sorted(seen) != sorted(entry["name"] for entry in wanted):
        raise SystemExit(f"{name}: records for {sorted(seen)}, sockets {wanted}")


README = """\
# Real NETLINK_SOCK_DIAG dumps

Captured by `tests/tools/capture_sockdiag_fixtures.py` (run it as root to capture them
again) from a network namespace holding only the sockets that script made, on

- kernel: `{kernel}` ({machine}, {byteorder}-endian)
- captured: {created}

Each `<dump>.bin` holds the datagrams the kernel sent for one request, in order, exactly
as received: every datagram is a 4-byte big-endian length followed by that many bytes.
The last datagram holds `NLMSG_DONE`. The numbers inside the datagrams are in the
capturing machine's byte order (above); ports and addresses in network order.

`dumps.json` says, for each dump, what was asked (`request`: the netlink message sent,
in hex; `about`: in words), how to read it (`parse`: the `kind`, `protocol` and
`details` arguments of `netstatlib.parsers.sockdiag.parse_diag_dump`, and `byteorder`),
and lists the sockets as the process that made them described them (`sockets`: inode,
`SO_COOKIE`, endpoints or path, state, listen backlog, UNIX peer, a few `TCP_INFO`
fields).

`<dump>.json` is `Table(records).to_dicts(plain=True)` of the parsed dump, as the parser
gave it at capture time after the capture script checked that the records name exactly
the sockets made; `tests/test_sockdiag.py` compares the parser with it and checks it
against `sockets`.

| dump | datagrams | records | what was asked |
|---|---|---|---|
{table}
"""


def capture(out: Path) -> None:
    sys.path.insert(0, str(TESTS))  # the live tests' helpers and netstatlib's tests
    from live import netns

    from netstatlib import Protocol, Table
    from netstatlib.parsers.sockdiag import parse_diag_dump

    folder = tempfile.mkdtemp(prefix="nsl-sockdiag-")
    try:
        with (
            netns.namespace("sdfx") as ns,
            netns.spawned(
                ns.exec_args(sys.executable, str(Path(__file__).resolve()), "--helper", folder),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ) as process,
        ):
            report = netns.read_json_line(process, timeout=60)
            assert process.stdin is not None
            process.stdin.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    byteorder = report["byteorder"]
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.bin"), *out.glob("*.json")]:
        old.unlink()
    index: dict[str, Any] = {
        "kernel": report["kernel"],
        "machine": report["machine"],
        "byteorder": byteorder,
        "dumps": {},
        "sockets": report["sockets"],
    }
    rows = []
    for name, dump in DUMPS.items():
        datagrams = [base64.b64decode(text) for text in report["dumps"][name]["datagrams"]]
        parse = dict(dump["parse"], protocol=Protocol(dump["parse"]["protocol"]))
        records = parse_diag_dump(datagrams, byteorder=byteorder, source=name, **parse)
        _check(name, records, report["sockets"])
        write_frames(out / f"{name}.bin", datagrams)
        golden = json.dumps(Table(records).to_dicts(plain=True), indent=1, ensure_ascii=True)
        (out / f"{name}.json").write_text(golden + "\n")
        index["dumps"][name] = {
            "about": dump["about"],
            "request": report["dumps"][name]["request"],
            "parse": {**dump["parse"], "byteorder": byteorder},
            "tables": dump["tables"],
        }
        rows.append(f"| `{name}` | {len(datagrams)} | {len(records)} | {dump['about']} |")
        print(f"{name}: {len(datagrams)} datagrams, {len(records)} records")
    (out / "dumps.json").write_text(json.dumps(index, indent=1, ensure_ascii=True) + "\n")
    (out / "README.md").write_text(
        README.format(
            kernel=report["kernel"],
            machine=report["machine"],
            byteorder=byteorder,
            created=time.strftime("%Y-%m-%d", time.gmtime()),
            table="\n".join(rows),
        )
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["--helper"]:
        helper(argv[1])
        return 0
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        print("run as root on Linux: it makes a network namespace", file=sys.stderr)
        return 2
    if shutil.which("ip") is None:
        print("ip (iproute2) not found", file=sys.stderr)
        return 2
    out = Path(argv[0]) if argv else FIXTURES
    capture(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
