"""The Linux backend's netlink engine: sockets from the kernel's socket diagnostics.

Strategy: one ``NETLINK_SOCK_DIAG`` socket per query, asked what ``ss`` asks
(``sock_diag(7)``): an ``inet_diag`` dump per protocol (TCP of both families in one
legacy ``TCPDIAG_GETSOCK`` dump, which walks the kernel's hash table once; one
``SOCK_DIAG_BY_FAMILY`` request per family for the rest, and for TCP when the legacy
request is refused) and a ``unix_diag`` dump for UNIX sockets. Each request carries the
states the query can keep as the kernel's state bitmask and, where the filter has port
and address conditions, inet_diag bytecode (``_diag_bytecode``), so that the kernel
skips what the query drops. The answers are parsed by
:class:`netstatlib.parsers.sockdiag.DiagDump` as they arrive.

For another network namespace (``LinuxProcfs(pid=...)``) the netlink socket is created
by a short-lived thread that has entered that namespace with ``setns()``: a socket
stays in the namespace it was created in, and the caller's thread is never moved.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import sys
import threading
from collections.abc import Collection, Iterable

from .._errors import AccessDeniedError, NetstatError
from .._gc import gc_paused
from .._model import Connection, Protocol, TcpState
from .._tables import SocketTable
from ..parsers.procfs import ByteOrder
from ..parsers.sockdiag import DiagDump, RowMemory

__all__ = ["DiagEngine", "NetlinkUnavailableError", "state_mask"]

_NETLINK_SOCK_DIAG = 4
_TCPDIAG_GETSOCK = 18
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 0x1
_NLM_F_DUMP = 0x300  # NLM_F_ROOT | NLM_F_MATCH
_INET_DIAG_REQ_BYTECODE = 1
_CLONE_NEWNET = 0x40000000
_IPPROTO_UDPLITE = 136
# idiag_ext bits: 1 << (attribute - 1) for INET_DIAG_INFO (2), INET_DIAG_CONG (4) and
# INET_DIAG_SKMEMINFO (7).
_EXT_DETAILS = (1 << 1) | (1 << 3) | (1 << 6)
# udiag_show bits (unix_diag.h): NAME, RQLEN and UID always; PEER and MEMINFO for details.
_UDIAG_SHOW_NAME = 0x01
_UDIAG_SHOW_PEER = 0x04
_UDIAG_SHOW_RQLEN = 0x10
_UDIAG_SHOW_MEMINFO = 0x20
_UDIAG_SHOW_UID = 0x40
# Every state a socket table lists: TCP_ESTABLISHED (1) to TCP_NEW_SYN_RECV (12). Bit 13,
# TCP_BOUND_INACTIVE (Linux 6.8), would add TCP sockets that are bound and neither
# listening nor connected, which /proc/net/tcp and `ss -a` do not list either.
_ALL_STATES = (1 << 13) - 1
_RECEIVE_BUFFER = 256 * 1024  # dump datagrams are at most about 32 KiB; checked below
_TIMEOUT = 30.0
_DUMP_ATTEMPTS = 3  # a dump that NLM_F_DUMP_INTR marks is tried again this many times

_AF_INET = socket.AddressFamily.AF_INET
_AF_INET6 = socket.AddressFamily.AF_INET6
_IP_PROTOCOLS = {
    Protocol.TCP: socket.IPPROTO_TCP,
    Protocol.UDP: socket.IPPROTO_UDP,
    Protocol.UDPLITE: _IPPROTO_UDPLITE,
    Protocol.RAW: socket.IPPROTO_RAW,
}
# Errors of a request for a table the kernel has no diagnostics for (a module not
# loaded and not loadable here, a protocol compiled out): that table is read from /proc.
_NO_HANDLER = {errno.ENOENT, errno.EOPNOTSUPP, errno.EPROTONOSUPPORT, errno.EAFNOSUPPORT}

_HEADER = struct.Struct("=IHHII")
_SOCKID_ANY = bytes(48)  # struct inet_diag_sockid, all zero: any socket
_NATIVE: ByteOrder = "little" if sys.byteorder == "little" else "big"


class NetlinkUnavailableError(NetstatError):
    """The kernel's socket diagnostics cannot be used here (why is the message)."""


def state_mask(states: Collection[TcpState | None] | None, *, stateless: bool) -> int:
    """The kernel's state bitmask (``1 << state``) for the states a query keeps.

    ``stateless`` says whether the sockets asked for can have no state (UDP, UDP-Lite,
    raw and UNIX sockets that are not connected, which the kernel reports as ``CLOSE``):
    for them ``None`` in ``states`` asks for ``CLOSE``; for TCP it asks for nothing, so
    that ``listening()`` never makes the kernel look at an established connection.
    ``SYN_RECV`` also asks for ``NEW_SYN_RECV`` (request sockets, which the kernel
    reports as ``SYN_RECV``); a state the kernel has no number for (``UNKNOWN``) asks
    for every state.
    """
    if states is None:
        return _ALL_STATES
    mask = 0
    for state in states:
        if state is None:
            if stateless:
                mask |= 1 << 7
        elif state is TcpState.UNKNOWN:
            return _ALL_STATES
        elif state.value <= 12:
            mask |= 1 << state.value
            if state is TcpState.SYN_RECV:
                mask |= 1 << TcpState.NEW_SYN_RECV.value
    return mask


def _setns(fd: int) -> None:
    setns = getattr(os, "setns", None)  # Python 3.12+
    if setns is not None:
        setns(fd, _CLONE_NEWNET)
        return
    import ctypes  # Python 3.10 and 3.11: libc's setns()

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _new_socket() -> socket.socket:
    diag = socket.socket(
        socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, _NETLINK_SOCK_DIAG
    )
    diag.settimeout(_TIMEOUT)
    return diag


def open_diag_socket(namespace: str | None = None) -> socket.socket:
    """A ``NETLINK_SOCK_DIAG`` socket of this process's network namespace, or of the one
    ``namespace`` (a ``/proc/<pid>/ns/net`` path) names.

    Raises :class:`NetlinkUnavailableError` saying why when it cannot be had.
    """
    if namespace is None:
        try:
            return _new_socket()
        except OSError as exc:
            raise NetlinkUnavailableError(
                f"the kernel refused a NETLINK_SOCK_DIAG socket: {exc.strerror or exc}"
            ) from exc
    made: list[socket.socket] = []
    failed: list[str] = []

    def enter() -> None:
        # This thread is moved into the namespace and ends with the socket made; the
        # socket stays in the namespace it was created in.
        try:
            fd = os.open(namespace, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            failed.append(f"cannot open {namespace}: {exc.strerror or exc}")
            return
        try:
            _setns(fd)
        except OSError as exc:
            failed.append(
                f"cannot enter the network namespace {namespace} "
                f"(needs CAP_SYS_ADMIN): {exc.strerror or exc}"
            )
            return
        finally:
            os.close(fd)
        try:
            made.append(_new_socket())
        except OSError as exc:
            failed.append(f"the kernel refused a NETLINK_SOCK_DIAG socket: {exc.strerror or exc}")

    worker = threading.Thread(target=enter, name="netstatlib-setns", daemon=True)
    worker.start()
    worker.join()
    if not made:
        raise NetlinkUnavailableError(failed[0] if failed else "the setns thread failed")
    return made[0]


def _message(kind: int, payload: bytes, sequence: int) -> bytes:
    return (
        _HEADER.pack(16 + len(payload), kind, _NLM_F_REQUEST | _NLM_F_DUMP, sequence, 0) + payload
    )


def _bytecode_attribute(bytecode: bytes | None) -> bytes:
    if not bytecode:
        return b""
    return struct.pack("=HH", 4 + len(bytecode), _INET_DIAG_REQ_BYTECODE) + bytecode


class DiagEngine:
    """Sockets of one network namespace through ``NETLINK_SOCK_DIAG``.

    ``namespace`` is ``None`` for this process's own, or a ``/proc/<pid>/ns/net`` path.
    :meth:`probe` says whether the kernel answers here; :meth:`sockets` runs the dumps.
    ``messages`` counts the socket messages the last :meth:`sockets` received (what
    the kernel did not filter out) and ``refused`` lists the tables it had no
    diagnostics for (raw sockets where the ``raw_diag`` module is not loaded).
    """

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace
        self.messages = 0
        self.refused: list[SocketTable] = []
        self._memory: RowMemory | None = None  # the listing's (sockets())
        self._sequence = 0

    def probe(self) -> None:
        """Open a socket and ask for the listening TCP sockets once: raises
        :class:`NetlinkUnavailableError` when that fails (seccomp, a kernel without
        sock_diag, no right to enter the namespace)."""
        with open_diag_socket(self.namespace) as diag:
            try:
                self._dump(
                    diag,
                    _SOCK_DIAG_BY_FAMILY,
                    struct.pack("=BBBBI", _AF_INET, socket.IPPROTO_TCP, 0, 0, 1 << 10)
                    + _SOCKID_ANY,
                    DiagDump(kind="inet", protocol=Protocol.TCP, byteorder=_NATIVE),
                )
            except _Refused as exc:
                raise NetlinkUnavailableError(
                    f"the kernel has no TCP socket diagnostics: {os.strerror(exc.args[0])}"
                ) from None
            except NetlinkUnavailableError:
                raise
            except NetstatError as exc:
                raise NetlinkUnavailableError(str(exc)) from exc

    def sockets(
        self,
        tables: Iterable[SocketTable],
        *,
        states: Collection[TcpState | None] | None = None,
        bytecode: bytes | None = None,
        details: bool = False,
        memory: RowMemory | None = None,
    ) -> tuple[list[Connection], list[SocketTable]]:
        """The sockets of ``tables`` in ``states`` passing ``bytecode`` (inet sockets),
        and the tables the kernel has no diagnostics for (read them elsewhere). With
        ``memory``, an inet socket listed the same as in the last listing made with it
        gets that listing's record (:class:`~netstatlib.parsers.sockdiag.RowMemory`)."""
        wanted = set(tables)
        rows: list[Connection] = []
        refused: list[SocketTable] = []
        tcp_mask = state_mask(states, stateless=False)
        stateless_mask = state_mask(states, stateless=True)
        ext = _EXT_DETAILS if details else 0
        self.messages = 0
        self._memory = memory
        if memory is not None:
            memory.begin()
        with open_diag_socket(self.namespace) as diag, gc_paused():
            both_tcp = {(Protocol.TCP, _AF_INET), (Protocol.TCP, _AF_INET6)}
            if both_tcp <= wanted and tcp_mask:
                try:
                    rows.extend(self._legacy_tcp(diag, tcp_mask, ext, bytecode, details))
                    wanted -= both_tcp
                except _Refused:
                    pass  # per-family requests below
            for protocol, ip_protocol in _IP_PROTOCOLS.items():
                for family in (_AF_INET, _AF_INET6):
                    if (protocol, family) not in wanted:
                        continue
                    mask = tcp_mask if protocol is Protocol.TCP else stateless_mask
                    if not mask:
                        continue  # no state this protocol's sockets can be in
                    try:
                        rows.extend(
                            self._inet(
                                diag,
                                protocol,
                                family,
                                ip_protocol,
                                mask,
                                ext,
                                bytecode,
                                details,
                            )
                        )
                    except _Refused:
                        refused.append((protocol, family))
            if (Protocol.UNIX, socket.AF_UNIX) in wanted and stateless_mask:
                try:
                    rows.extend(self._unix(diag, stateless_mask, details))
                except _Refused:
                    refused.append((Protocol.UNIX, socket.AF_UNIX))
        self.refused = refused
        if memory is not None:
            memory.settle()
        return rows, refused

    # -- requests ----------------------------------------------------------------------

    def _legacy_tcp(
        self, diag: socket.socket, mask: int, ext: int, bytecode: bytes | None, details: bool
    ) -> list[Connection]:
        # struct inet_diag_req: family (the kernel reads AF_UNSPEC: both), src_len,
        # dst_len, ext, sockid, states, dbs.
        payload = (
            struct.pack("=BBBB", socket.AF_UNSPEC, 0, 0, ext)
            + _SOCKID_ANY
            + struct.pack("=II", mask, 0)
            + _bytecode_attribute(bytecode)
        )
        return self._run(diag, _TCPDIAG_GETSOCK, payload, "inet", Protocol.TCP, details)

    def _inet(
        self,
        diag: socket.socket,
        protocol: Protocol,
        family: socket.AddressFamily,
        ip_protocol: int,
        mask: int,
        ext: int,
        bytecode: bytes | None,
        details: bool,
    ) -> list[Connection]:
        # struct inet_diag_req_v2 (inet_diag_req_raw for raw: the pad byte is the raw
        # protocol, IPPROTO_RAW standing for every one).
        raw_protocol = socket.IPPROTO_RAW if protocol is Protocol.RAW else 0
        payload = (
            struct.pack("=BBBBI", family, ip_protocol, ext, raw_protocol, mask)
            + _SOCKID_ANY
            + _bytecode_attribute(bytecode)
        )
        return self._run(diag, _SOCK_DIAG_BY_FAMILY, payload, "inet", protocol, details)

    def _unix(self, diag: socket.socket, mask: int, details: bool) -> list[Connection]:
        show = _UDIAG_SHOW_NAME | _UDIAG_SHOW_RQLEN | _UDIAG_SHOW_UID
        if details:
            show |= _UDIAG_SHOW_PEER | _UDIAG_SHOW_MEMINFO
        # struct unix_diag_req: family, protocol, pad, states, ino, show, cookie.
        payload = struct.pack("=BBHIII8x", socket.AF_UNIX, 0, 0, mask, 0, show)
        return self._run(diag, _SOCK_DIAG_BY_FAMILY, payload, "unix", Protocol.UNIX, details)

    def _run(
        self,
        diag: socket.socket,
        kind: int,
        payload: bytes,
        dump_kind: str,
        protocol: Protocol,
        details: bool,
    ) -> list[Connection]:
        source = f"sock_diag {protocol} dump"
        for _ in range(_DUMP_ATTEMPTS):
            dump = DiagDump(
                kind=dump_kind,
                protocol=protocol,
                details=details,
                byteorder=_NATIVE,
                source=source,
                memory=self._memory,
            )
            self._dump(diag, kind, payload, dump)
            self.messages += dump.messages
            if not dump.interrupted:
                return _once(dump.rows)
        raise NetstatError(
            f"the kernel's {protocol} socket table changed during each of "
            f"{_DUMP_ATTEMPTS} dumps (NLM_F_DUMP_INTR); try again"
        )

    def _dump(self, diag: socket.socket, kind: int, payload: bytes, dump: DiagDump) -> None:
        self._sequence = (self._sequence + 1) & 0xFFFFFFFF
        try:
            diag.sendall(_message(kind, payload, self._sequence))
        except OSError as exc:  # seccomp, an LSM: the request itself is refused
            raise NetlinkUnavailableError(
                f"the kernel refused a {dump.source} request: {exc.strerror or exc}"
            ) from exc
        buffer = bytearray(_RECEIVE_BUFFER)
        receive = diag.recv_into
        feed = dump.feed
        while True:
            try:
                size = receive(buffer, 0, socket.MSG_TRUNC)
            except TimeoutError:
                raise NetstatError(
                    f"the kernel did not finish the {dump.source} in {_TIMEOUT:.0f} s"
                ) from None
            except OSError as exc:
                raise NetstatError(
                    f"reading the {dump.source} failed: {exc.strerror or exc}"
                ) from exc
            if size > len(buffer):
                raise NetstatError(f"a {dump.source} datagram of {size} bytes was truncated")
            if size == 0:
                raise NetstatError(f"the {dump.source} ended without NLMSG_DONE")
            if feed(buffer, size):
                break
        code = dump.error
        if code is None:
            return
        if code in _NO_HANDLER:
            raise _Refused(code)
        if code in (errno.EPERM, errno.EACCES):
            raise AccessDeniedError(f"the kernel refused the {dump.source}: {os.strerror(code)}")
        raise NetstatError(f"the kernel refused the {dump.source}: {os.strerror(code)}")


def _once(rows: list[Connection]) -> list[Connection]:
    """The rows with each socket once.

    A dump is not a snapshot: the kernel resumes each datagram by hash chain and
    position (``unix_diag_dump()``, ``inet_diag_dump_icsk()``), and a socket added at
    the head of a chain between two datagrams moves the ones after it, so the last
    socket of a datagram can be sent again at the start of the next, without
    ``NLM_F_DUMP_INTR``. The cookie tells a socket sent twice; the first is kept.
    (A socket closed between two datagrams can, the same way, make one be skipped:
    nothing in the protocol tells.)
    """
    cookies = {row.cookie for row in rows}
    if len(cookies) == len(rows):
        return rows
    seen: set[int] = set()
    kept = []
    for row in rows:
        cookie = row.cookie
        if cookie is not None:
            if cookie in seen:
                continue
            seen.add(cookie)
        kept.append(row)
    return kept


class _Refused(Exception):
    """The kernel has no diagnostics for this request (its errno is the argument)."""
