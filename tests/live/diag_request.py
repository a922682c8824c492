"""Test scaffolding, not netstatlib's engine: send inet_diag dump requests carrying a
bytecode program, and print what the kernel answers as JSON.

Run inside a network namespace (``ip netns exec NS python diag_request.py``): the netlink
socket sees its own namespace only. It reads ``{"programs": [HEX or null, ...]}`` on
stdin and, for each program and each family (AF_INET, then AF_INET6), sends ONE
``SOCK_DIAG_BY_FAMILY`` request for TCP with ``NLM_F_DUMP``, every state bit and the
program as the ``INET_DIAG_REQ_BYTECODE`` attribute (none for null). It prints one JSON
list, one entry per program: ``{"rows": [[local, lport, remote, rport], ...]}`` (both
families) or ``{"error": ERRNO, "family": F}`` when the kernel refused the request.

It imports nothing of netstatlib, so that what the kernel does with the bytes is
checked by code that shares nothing with the compiler.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import struct
import sys

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
INET_DIAG_REQ_BYTECODE = 1
ALL_STATES = 0xFFFFFFFF

HEADER = struct.Struct("=IHHII")  # struct nlmsghdr
REQUEST = struct.Struct("=BBBBI48x")  # struct inet_diag_req_v2, an empty inet_diag_sockid
ATTRIBUTE = struct.Struct("=HH")  # struct nlattr
# struct inet_diag_msg up to the socket id's addresses: family, state, timer, retrans,
# then sport and dport (big-endian), src[16], dst[16].
MESSAGE = struct.Struct("=BBBB2H16s16s")


def request(family: int, program: bytes | None, seq: int) -> bytes:
    body = REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0, ALL_STATES)
    if program is not None:
        body += ATTRIBUTE.pack(ATTRIBUTE.size + len(program), INET_DIAG_REQ_BYTECODE) + program
    flags = NLM_F_REQUEST | NLM_F_DUMP
    return HEADER.pack(HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, flags, seq, 0) + body


def address(family: int, raw: bytes) -> str:
    return str(ipaddress.ip_address(raw[:4] if family == socket.AF_INET else raw))


def dump(sock: socket.socket, family: int, program: bytes | None, seq: int) -> list | int:
    """The sockets of one dump, or the errno the kernel answered with."""
    sock.send(request(family, program, seq))
    rows = []
    while True:
        data = sock.recv(1 << 16)
        offset = 0
        while offset < len(data):
            length, kind, _flags, _seq, _pid = HEADER.unpack_from(data, offset)
            if kind in (NLMSG_DONE, NLMSG_ERROR):  # both carry an int: 0 or -errno
                (error,) = struct.unpack_from("=i", data, offset + HEADER.size)
                return -error if error else rows
            fam, _state, _timer, _retrans, sport, dport, src, dst = MESSAGE.unpack_from(
                data, offset + HEADER.size
            )
            rows.append(
                [address(fam, src), socket.ntohs(sport), address(fam, dst), socket.ntohs(dport)]
            )
            offset += (length + 3) & ~3


def main() -> None:
    programs = json.load(sys.stdin)["programs"]
    results = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as sock:
        seq = 0
        for text in programs:
            program = None if text is None else bytes.fromhex(text)
            result: dict = {"rows": []}
            for family in (socket.AF_INET, socket.AF_INET6):
                seq += 1
                answer = dump(sock, family, program, seq)
                if isinstance(answer, int):
                    result = {"error": answer, "family": family}
                    break
                result["rows"] += answer
            results.append(result)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
