"""Pure parsers for the kernel's socket diagnostics (``NETLINK_SOCK_DIAG``, ``sock_diag(7)``).

Strategy: a dump is a series of netlink datagrams, each holding whole messages (a
``struct nlmsghdr`` of 16 bytes, then the payload, padded to 4 bytes). A socket's
message is the header, a fixed ``struct inet_diag_msg`` (72 bytes,
``include/uapi/linux/inet_diag.h``) or ``struct unix_diag_msg`` (16 bytes,
``include/uapi/linux/unix_diag.h``), then attributes (``struct rtattr``: a 2-byte length
and a 2-byte type, padded to 4). The dump ends with ``NLMSG_DONE``; a failure arrives as
``NLMSG_ERROR`` carrying a negative errno. :class:`DiagDump` takes the datagrams one by
one as they are received (``feed``) and builds the records as it goes; nothing here
opens a socket, so the same code reads a live kernel's answer and a saved one.

Byte order: ports and addresses are big-endian (network order); every other number is in
the byte order of the machine that answered (``byteorder``). An IPv4 socket uses the
first 4 of the 16 address bytes.

Malformed input (a message shorter than its header says, a length running past the
datagram, an attribute running past its message) raises :class:`~netstatlib.ParseError`.
"""

from __future__ import annotations

import contextvars
import operator
import socket
import struct
from collections.abc import Iterable
from typing import Any, Literal

import attrs
import netaddr

from .._errors import ParseError, UsageError
from .._gc import gc_paused
from .._model import (
    TCP_BYTE_READERS,
    Connection,
    ConnectionDraft,
    Endpoint,
    EndpointDraft,
    Protocol,
    SocketDetails,
    SocketMemory,
    SocketTimer,
    TcpInfo,
    TcpState,
    draft_class,
)
from .procfs import ByteOrder

__all__ = [
    "NLMSG_DONE",
    "NLMSG_ERROR",
    "NLM_F_DUMP_INTR",
    "ROW_MEMORY",
    "DiagDump",
    "RowMemory",
    "parse_diag_dump",
    "parse_tcp_info",
]

# include/uapi/linux/netlink.h
NLMSG_ERROR = 2
"""The netlink message type of an error answer (``include/uapi/linux/netlink.h``): a
negative errno, then the request it answers."""
NLMSG_DONE = 3
"""The netlink message type that ends a dump (``include/uapi/linux/netlink.h``)."""
NLM_F_DUMP_INTR = 0x10
"""Set on a message of a dump that the kernel's tables changed under (it resumed after a
change): rows may be missing or repeated."""
_NLMSG_MIN_TYPE = 0x10  # below: control messages (NOOP, ERROR, DONE, OVERRUN)

_AF_INET = socket.AddressFamily.AF_INET
_AF_INET6 = socket.AddressFamily.AF_INET6
_AF_UNIX = socket.AddressFamily.AF_UNIX

# inet_diag attributes (enum in inet_diag.h).
_INET_DIAG_INFO = 2
_INET_DIAG_CONG = 4
_INET_DIAG_SKMEMINFO = 7
_INET_DIAG_CGROUP_ID = 21
# unix_diag attributes (enum in unix_diag.h).
_UNIX_DIAG_NAME = 0
_UNIX_DIAG_PEER = 2
_UNIX_DIAG_RQLEN = 4
_UNIX_DIAG_MEMINFO = 5
_UNIX_DIAG_UID = 7

_TCP_SYN_RECV = 3
_TCP_TIME_WAIT = 6
_TCP_CLOSE = 7
_TCP_LISTEN = 10
_NO_COOKIE = 0xFFFFFFFFFFFFFFFF  # INET_DIAG_NOCOOKIE in both halves
_NO_COOKIE_BYTES = b"\xff" * 8
_NO_COOKIE_HALF = 0xFFFFFFFF
_INFINITE_SSTHRESH = 0x7FFFFFFF  # TCP_INFINITE_SSTHRESH: not set yet
# idiag_timer, as inet_diag.c sets it and ss names it (tmr_name[] in ss.c).
_TIMERS = {1: "on", 2: "keepalive", 3: "timewait", 4: "persist"}


def _structs(order: str) -> dict[str, struct.Struct]:
    return {
        # nlmsghdr: length, type, flags (seq and port id skipped).
        "header": struct.Struct(order + "IHH8x"),
        # nlmsghdr + inet_diag_msg: family, state, timer, retrans, sport, dport, src, dst,
        # (if skipped), cookie (two u32 read as one u64), expires, rqueue, wqueue, uid,
        # inode.
        "inet": struct.Struct(order + "IHH8xBBBB2s2s16s16s4xQIIIII"),
        # The same message in pieces: header; family and state; (timer and retrans
        # skipped) the socket id (ports, addresses, interface) and its cookie; (expires
        # skipped) queues, uid and inode.
        "inet_quick": struct.Struct(order + "IHH8x2s2x40s8s4x16s"),
        # nlmsghdr + unix_diag_msg: family, type, state, pad, inode, cookie.
        "unix": struct.Struct(order + "IHH8xBBBxIII"),
        "attribute": struct.Struct(order + "HH"),
        "u32": struct.Struct(order + "I"),
        "u64": struct.Struct(order + "Q"),
        "two_u32": struct.Struct(order + "II"),
        "two_u64": struct.Struct(order + "QQ"),
        "error": struct.Struct(order + "i"),
        "memory": struct.Struct(order + "9I"),
    }


_STRUCTS = {"little": _structs("<"), "big": _structs(">")}
_INET_SIZE = 88
_UNIX_SIZE = 32
_HEADER_SIZE = 16


def _state(number: int, datagram: bool) -> tuple[TcpState | None, str | None]:
    """A row's state and, for a number this library does not know, its text (as the
    ``/proc`` parser keeps it: two hex digits)."""
    if datagram and number == _TCP_CLOSE:
        return None, None
    state = TcpState.from_kernel(number)
    return state, (f"{number:02X}" if state is TcpState.UNKNOWN else None)


def _unix_state(number: int) -> tuple[TcpState | None, str | None]:
    # A UNIX socket's sk_state: TCP_CLOSE for one that is not connected (no state here,
    # as /proc/net/unix shows SS_UNCONNECTED), TCP_LISTEN, TCP_ESTABLISHED, and
    # TCP_SYN_SENT while a stream connect() is under way.
    if number == _TCP_CLOSE:
        return None, None
    return _state(number, datagram=False)


# struct tcp_info (include/uapi/linux/tcp.h): (offset, format, name, scale). A field is
# read only when the attribute is long enough to hold it (the structure grows with the
# kernel); scale turns microseconds into seconds.
_USEC = 1e-6
_MSEC = 1e-3
_TCP_INFO_HEAD = struct.Struct("BBBBBBBB")  # state ... options, wscales, flags
_TCP_INFO_FIELDS: tuple[tuple[int, str, str, float | None], ...] = (
    (8, "I", "rto", _USEC),
    (12, "I", "ato", _USEC),
    (16, "I", "snd_mss", None),
    (20, "I", "rcv_mss", None),
    (24, "I", "unacked", None),
    (28, "I", "sacked", None),
    (32, "I", "lost", None),
    (36, "I", "retrans", None),
    (44, "I", "last_data_sent", _MSEC),
    (52, "I", "last_data_received", _MSEC),
    (56, "I", "last_ack_received", _MSEC),
    (60, "I", "pmtu", None),
    (64, "I", "rcv_ssthresh", None),
    (68, "I", "rtt", _USEC),
    (72, "I", "rtt_var", _USEC),
    (76, "I", "ssthresh", None),
    (80, "I", "snd_cwnd", None),
    (84, "I", "advmss", None),
    (88, "I", "reordering", None),
    (92, "I", "rcv_rtt", _USEC),
    (96, "I", "rcv_space", None),
    (100, "I", "total_retrans", None),
    (104, "Q", "pacing_rate", None),
    (112, "Q", "max_pacing_rate", None),
    (120, "Q", "bytes_acked", None),
    (128, "Q", "bytes_received", None),
    (136, "I", "segs_out", None),
    (140, "I", "segs_in", None),
    (144, "I", "notsent_bytes", None),
    (148, "I", "min_rtt", _USEC),
    (152, "I", "data_segs_in", None),
    (156, "I", "data_segs_out", None),
    (160, "Q", "delivery_rate", None),
    (168, "Q", "busy_time", _USEC),
    (176, "Q", "rwnd_limited", _USEC),
    (184, "Q", "sndbuf_limited", _USEC),
    (192, "I", "delivered", None),
    (196, "I", "delivered_ce", None),
    (200, "Q", "bytes_sent", None),
    (208, "Q", "bytes_retrans", None),
    (216, "I", "dsack_dups", None),
    (220, "I", "reord_seen", None),
    (224, "I", "rcv_ooopack", None),
    (228, "I", "snd_wnd", None),
    (232, "I", "rcv_wnd", None),
)
# tcp_info's bytes_acked and bytes_received: two u64 from this offset (checked below).
_BYTES_ACKED_AT = 120
_TCP_INFO_MINIMUM = 104  # Linux 2.6: up to total_retrans; every kernel sends at least this
_NO_PACING_RATE = 0xFFFFFFFFFFFFFFFF  # ~0ULL: not pacing (or, for the cap, no cap)


def _tcp_info_readers(order: str) -> list[tuple[int, int, struct.Struct, str, float | None]]:
    return [
        (offset + struct.calcsize(fmt), offset, struct.Struct(order + fmt), name, scale)
        for offset, fmt, name, scale in _TCP_INFO_FIELDS
    ]


_TCP_INFO_READERS = {"little": _tcp_info_readers("<"), "big": _tcp_info_readers(">")}

# -- building details fast -----------------------------------------------------------
#
# details=True adds four records per TCP socket; built through attrs' __init__ they would
# cost several microseconds a socket. They are built as drafts instead (see
# ConnectionDraft in _model.py), and a whole struct tcp_info of a current kernel is read
# with one unpack and stored by a function generated below from _TCP_INFO_FIELDS, the
# table parse_tcp_info() reads field by field (which it still does for a shorter one).
_TCP_INFO_DRAFT = draft_class(TcpInfo)
_DETAILS_DRAFT = draft_class(SocketDetails)
_MEMORY_DRAFT = draft_class(SocketMemory)
_TIMER_DRAFT = draft_class(SocketTimer)
_HEAD_NAMES = ("state", "ca_state", "retransmits", "probes", "backoff", "options")


def _full_tcp_info(order: str, byteorder: str) -> tuple[struct.Struct, Any]:
    """The struct of a whole ``tcp_info`` as far as this library reads it, and a
    function turning its unpacked values into a TcpInfo."""
    fmt = order + "8B"
    position = 8
    lines = ["def build(v):", "    d = new(draft)"]
    lines += [f"    d.{name} = v[{index}]" for index, name in enumerate(_HEAD_NAMES)]
    low, high = ("v[6] & 15", "v[6] >> 4") if byteorder == "little" else ("v[6] >> 4", "v[6] & 15")
    lines += [f"    d.snd_wscale = {low}", f"    d.rcv_wscale = {high}"]
    for index, (offset, code, name, scale) in enumerate(_TCP_INFO_FIELDS, start=8):
        if offset > position:
            fmt += f"{offset - position}x"
        fmt += code
        position = offset + struct.calcsize(code)
        value = f"v[{index}]" if scale is None else f"v[{index}] * {scale!r}"
        if name == "ssthresh":
            value = f"None if v[{index}] >= {_INFINITE_SSTHRESH} else v[{index}]"
        elif name in ("pacing_rate", "max_pacing_rate"):
            value = f"None if v[{index}] == {_NO_PACING_RATE} else v[{index}]"
        lines.append(f"    d.{name} = {value}")
    lines += ["    d.__class__ = record", "    return d"]
    namespace: dict[str, Any] = {"new": object.__new__, "draft": _TCP_INFO_DRAFT, "record": TcpInfo}
    exec("\n".join(lines), namespace)  # the code is built above, from constants only
    return struct.Struct(fmt), namespace["build"]


_FULL_TCP_INFO = {"little": _full_tcp_info("<", "little"), "big": _full_tcp_info(">", "big")}


def parse_tcp_info(data: bytes | bytearray, *, byteorder: ByteOrder = "little") -> TcpInfo:
    """A :class:`~netstatlib.TcpInfo` from the bytes of a ``struct tcp_info`` (the
    ``INET_DIAG_INFO`` attribute, or ``getsockopt(TCP_INFO)``), of any kernel's length.

    Fields past the end of ``data`` are ``None``; ``data`` shorter than the first
    kernels' structure (104 bytes) raises :class:`~netstatlib.ParseError`.
    """
    if byteorder not in _STRUCTS:
        raise UsageError(f"byteorder must be 'little' or 'big', not {byteorder!r}")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise UsageError(f"tcp_info is bytes, not {type(data).__name__}")
    size = len(data)
    if size < _TCP_INFO_MINIMUM:
        raise ParseError(
            f"tcp_info of {size} bytes; every kernel sends at least {_TCP_INFO_MINIMUM}",
            source="tcp_info",
        )
    state, ca_state, retransmits, probes, backoff, options, wscale, _ = _TCP_INFO_HEAD.unpack_from(
        data
    )
    values: dict[str, Any] = {
        "state": state,
        "ca_state": ca_state,
        "retransmits": retransmits,
        "probes": probes,
        "backoff": backoff,
        "options": options,
        # Bit fields `tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4`: the first is the low
        # nibble on little-endian machines, the high one on big-endian ones.
        "snd_wscale": wscale & 0xF if byteorder == "little" else wscale >> 4,
        "rcv_wscale": wscale >> 4 if byteorder == "little" else wscale & 0xF,
    }
    for end, offset, reader, name, scale in _TCP_INFO_READERS[byteorder]:
        if end > size:
            break
        (value,) = reader.unpack_from(data, offset)
        values[name] = value * scale if scale is not None else value
    if values["ssthresh"] >= _INFINITE_SSTHRESH:
        values["ssthresh"] = None
    for name in ("pacing_rate", "max_pacing_rate"):  # ~0: no pacing, no cap
        if values.get(name) == _NO_PACING_RATE:
            values[name] = None
    return TcpInfo(**values)


def _unix_name(raw: bytes) -> str:
    """A UNIX socket's name as ``/proc/net/unix`` shows it: a path without the NUL the
    kernel stores after it; an abstract name (starting with NUL) with ``@`` for each
    NUL. Bytes that are not UTF-8 survive through ``surrogateescape``."""
    if raw[:1] == b"\0":
        raw = raw.replace(b"\0", b"@")
    elif raw[-1:] == b"\0":
        raw = raw[:-1]
    return raw.decode("utf-8", "surrogateescape")


_STATE_TABLES: dict[tuple[str, bool], list[tuple[TcpState | None, str | None]]] = {}


def _states_of(kind: str, datagram: bool) -> list[tuple[TcpState | None, str | None]]:
    """Each state number's state and text, for a dump of ``kind`` (built once, shared by
    every dump of that kind: a watch makes several dumps a second)."""
    found = _STATE_TABLES.get((kind, datagram))
    if found is None:
        found = _STATE_TABLES[(kind, datagram)] = [
            _unix_state(number) if kind == "unix" else _state(number, datagram)
            for number in range(256)
        ]
    return found


class RowMemory:
    """The records of a listing, by socket, with what each was built from: the next
    listing gives a socket whose message says the same again (endpoints, cookie, state,
    queues, owner uid, inode; the timer may differ) the same record, instead of building
    an equal one. Sockets without a cookie (a kernel older than 2.6.x) are always built.

    For a caller that lists the same sockets again and again and keeps the records
    unchanged (:func:`~netstatlib.watch` without owners or details: records that get
    owners are completed in place once built). A listing fills :attr:`current` while
    reading :attr:`last`; :meth:`settle` makes it the one the next listing reads.
    """

    __slots__ = ("current", "last")

    def __init__(self) -> None:
        self.last: dict[bytes, tuple[bytes, bytes, bytes, Connection]] = {}
        """The last listing's records by their socket cookie (its bytes as received),
        each with the rest of the message it was built from but the timer."""
        self.current: dict[bytes, tuple[bytes, bytes, bytes, Connection]] = {}
        """The listing being read, the same way."""

    def begin(self) -> None:
        """Start a listing: forget what an unfinished one left in :attr:`current`."""
        self.current = {}

    def settle(self) -> None:
        """The listing is whole: the next one reads it."""
        self.last = self.current
        self.current = {}


ROW_MEMORY: contextvars.ContextVar[RowMemory | None] = contextvars.ContextVar(
    "netstatlib_row_memory", default=None
)
"""The :class:`RowMemory` lent to the listings of the running code, if any (per thread
and per context); the Linux backend uses it only for queries without owners or
details."""


class DiagDump:
    """The records of one ``sock_diag`` dump, built as its datagrams are fed in.

    ``kind`` is ``"inet"`` (answers to ``inet_diag`` requests, for ``protocol`` TCP, UDP,
    UDP-Lite or raw) or ``"unix"``. ``details`` fills :attr:`Connection.details
    <netstatlib.Connection.details>` from the attributes the request asked for.
    ``byteorder`` is the byte order of the machine that answered; ``source`` names the
    dump in error messages. With ``memory`` (inet dumps without details), a socket
    whose message is the same as in the last listing gets that listing's record
    (:class:`RowMemory`).

    After each :meth:`feed`, :attr:`done` says whether ``NLMSG_DONE`` arrived,
    :attr:`error` holds the (positive) errno of an ``NLMSG_ERROR``, :attr:`interrupted`
    whether any message carried ``NLM_F_DUMP_INTR``, :attr:`messages` how many socket
    messages were received, and :attr:`rows` the records so far. A caller feeding a
    large dump pauses the garbage collector around the whole of it (``gc_paused``).
    """

    def __init__(
        self,
        *,
        kind: str,
        protocol: Protocol,
        details: bool = False,
        byteorder: ByteOrder = "little",
        source: str = "<sock_diag>",
        memory: RowMemory | None = None,
    ) -> None:
        if kind not in ("inet", "unix"):
            raise UsageError(f"kind must be 'inet' or 'unix', not {kind!r}")
        if (kind == "unix") != (protocol is Protocol.UNIX):
            raise UsageError(f"a {kind} dump does not list {protocol} sockets")
        if byteorder not in _STRUCTS:
            raise UsageError(f"byteorder must be 'little' or 'big', not {byteorder!r}")
        self.kind = kind
        """``"inet"`` (answers to ``inet_diag`` requests) or ``"unix"`` (``unix_diag``)."""
        self.protocol = protocol
        """The protocol of the sockets listed: TCP, UDP, UDP-Lite or raw for an inet
        dump, UNIX for a unix dump."""
        self.details = details
        """Whether records get :attr:`~netstatlib.Connection.details` from the
        attributes the request asked for."""
        self.byteorder: ByteOrder = byteorder
        """The byte order of the machine that answered (``"little"`` or ``"big"``)."""
        self.source = source
        """How error messages name the dump (``"<sock_diag>"`` unless given)."""
        self.rows: list[Connection] = []
        """The records built so far, in the order the kernel sent them."""
        self.done = False
        """Whether ``NLMSG_DONE`` (or an error) ended the dump; feeding more after it
        raises :class:`~netstatlib.ParseError`."""
        self.error: int | None = None
        """The errno of an ``NLMSG_ERROR`` answer, positive (``errno.EINVAL``);
        ``None`` when none arrived."""
        self.interrupted = False
        """Whether any message carried ``NLM_F_DUMP_INTR``: the kernel's tables changed
        during the dump, so rows may be missing or repeated."""
        self.messages = 0
        """How many socket messages were received: one per record in :attr:`rows`."""
        self._memory = memory if kind == "inet" and not details else None
        self._structs = _STRUCTS[byteorder]
        # Per-dump caches: a large table repeats addresses, endpoints and states.
        self._endpoints: dict[int, dict[tuple[bytes, bytes], Endpoint]] = {4: {}, 6: {}}
        self._addresses: dict[int, dict[bytes, netaddr.IPAddress]] = {4: {}, 6: {}}
        # details=True: what decoding a socket's details later needs (no reference to
        # the dump itself), the attribute layouts seen, and the least each attribute
        # read holds.
        self._context: tuple[ByteOrder, bool, dict[bytes, str | None]] = (
            byteorder,
            protocol is Protocol.TCP,
            {},
        )
        self._layouts: dict[int, tuple[struct.Struct, tuple[int, ...], int]] = {}
        self._unix_layouts: dict[int, tuple[Any, tuple[int, ...], bool, Any]] = {}
        self._minimum = {_INET_DIAG_SKMEMINFO: 36, _INET_DIAG_CGROUP_ID: 8}
        if protocol is Protocol.TCP:
            self._minimum[_INET_DIAG_INFO] = _TCP_INFO_MINIMUM
        self._states = _states_of(kind, protocol is not Protocol.TCP)

    def feed(self, data: bytes | bytearray | memoryview, size: int | None = None) -> bool:
        """Take one datagram (its first ``size`` bytes); return :attr:`done`."""
        end = len(data) if size is None else size
        if end > len(data) or end < 0:
            raise UsageError(f"size {size} outside a datagram of {len(data)} bytes")
        if self.done:
            raise ParseError("data after the end of the dump", source=self.source)
        if isinstance(data, memoryview):  # records keep copies, never views of a buffer
            data = data.tobytes()
        if self.kind == "inet":
            self._feed_inet(data, end)
        else:
            self._feed_unix(data, end)
        return self.done

    # -- messages ----------------------------------------------------------------------

    def _bad(self, message: str, offset: int) -> ParseError:
        return ParseError(f"{message} (at byte {offset} of a datagram)", source=self.source)

    def _header(self, data: Any, offset: int, end: int) -> tuple[int, int, int]:
        """Length, type and flags of a message too short to be a socket's."""
        if offset + _HEADER_SIZE > end:
            raise self._bad("a message header runs past the datagram", offset)
        length, kind, flags = self._structs["header"].unpack_from(data, offset)
        return length, kind, flags

    def _not_a_socket(
        self, data: Any, offset: int, end: int, length: int, kind: int, flags: int
    ) -> bool:
        """A message that is not a whole socket message: check it, handle a control
        message, and say whether the dump is done."""
        if length < _HEADER_SIZE or offset + length > end:
            raise self._bad(f"a message of length {length} runs past the datagram", offset)
        if kind >= _NLMSG_MIN_TYPE:
            raise self._bad(f"a socket message of only {length} bytes", offset)
        self._control(data, offset, length, kind, flags)
        return self.done

    def _control(self, data: Any, offset: int, length: int, kind: int, flags: int) -> None:
        """A message that is not a socket: the end of the dump, an error, or unknown."""
        if flags & NLM_F_DUMP_INTR:
            self.interrupted = True
        if kind == NLMSG_DONE:
            self.done = True
            # NLMSG_DONE carries an int: 0, or a negative errno when the dump failed.
            if length >= _HEADER_SIZE + 4:
                (code,) = self._structs["error"].unpack_from(data, offset + _HEADER_SIZE)
                if code < 0:
                    self.error = -code
        elif kind == NLMSG_ERROR:
            if length < _HEADER_SIZE + 4:
                raise self._bad("NLMSG_ERROR message without an error code", offset)
            (code,) = self._structs["error"].unpack_from(data, offset + _HEADER_SIZE)
            self.done = True
            self.error = -code if code < 0 else code
        else:
            raise self._bad(f"unexpected netlink message type {kind}", offset)

    def _feed_inet(self, data: Any, end: int) -> None:
        # The hot loop of a dump: one unpack per message, caches for endpoints and
        # states, and records built as drafts (see ConnectionDraft in _model.py).
        structs = self._structs
        unpack_message = structs["inet"].unpack_from
        swap_cookie = self.byteorder == "big"
        states = self._states
        protocol = self.protocol
        listen_state = _TCP_LISTEN if protocol is Protocol.TCP else -1
        is_raw = protocol is Protocol.RAW
        details = self.details
        layouts = self._layouts
        context = self._context
        decode_details = _decode_inet_details
        unpack_counters = structs["two_u64"].unpack_from
        is_tcp = protocol is Protocol.TCP
        details_draft = _DETAILS_DRAFT
        rows: list[Any] = self.rows  # drafts sealed into Connections
        append = rows.append
        new = object.__new__
        draft = ConnectionDraft
        sealed = Connection
        endpoint_draft: Any = EndpointDraft
        endpoint_class = Endpoint
        new_address = self._address
        from_bytes = int.from_bytes
        unspecified = bytes(16)
        no_port = bytes(2)
        families: dict[
            int,
            tuple[socket.AddressFamily, Literal[4, 6], dict[Any, Any], dict[bytes, Any]],
        ] = {
            2: (_AF_INET, 4, self._endpoints[4], self._addresses[4]),
            10: (_AF_INET6, 6, self._endpoints[6], self._addresses[6]),
        }
        interrupted = False
        memory = self._memory
        last: dict[bytes, tuple[bytes, bytes, bytes, Connection]] = {}
        current: dict[bytes, tuple[bytes, bytes, bytes, Connection]] = {}
        if memory is not None:
            last, current = memory.last, memory.current
        unpack_quick = structs["inet_quick"].unpack_from
        no_cookie = _NO_COOKIE_BYTES
        offset = 0
        count = 0
        while offset < end:
            tag = None
            if memory is not None and offset + _INET_SIZE <= end:
                # A socket of the last listing whose message says the same again (but for
                # its timer) gets the same record: read the message's bytes in three
                # pieces, the socket's identity (sockid: ports, addresses, interface,
                # cookie) and what else the record is made of, before anything else.
                length, kind, flags, head, ident, tag, tail = unpack_quick(data, offset)
                if (
                    kind >= _NLMSG_MIN_TYPE
                    and length >= _INET_SIZE
                    and offset + length <= end
                    and tag != no_cookie
                ):
                    known = last.get(tag)
                    if (
                        known is not None
                        and known[0] == head
                        and known[1] == ident
                        and known[2] == tail
                        and known[3].protocol is protocol
                    ):
                        if flags & NLM_F_DUMP_INTR:
                            interrupted = True
                        current[tag] = known
                        append(known[3])
                        count += 1
                        offset += (length + 3) & ~3
                        continue
                else:
                    tag = None
            if offset + _INET_SIZE <= end:
                (
                    length,
                    kind,
                    flags,
                    family_number,
                    state_number,
                    timer,
                    retrans,
                    sport,
                    dport,
                    src,
                    dst,
                    cookie,
                    expires,
                    rqueue,
                    wqueue,
                    uid,
                    inode,
                ) = unpack_message(data, offset)
            else:
                length, kind, flags = self._header(data, offset, end)
            if kind < _NLMSG_MIN_TYPE or length < _INET_SIZE or offset + length > end:
                if self._not_a_socket(data, offset, end, length, kind, flags):
                    break
                offset += (length + 3) & ~3
                continue
            if flags & NLM_F_DUMP_INTR:
                interrupted = True
            try:
                family, version, cache, addresses = families[family_number]
            except KeyError:
                raise self._bad(f"a socket of address family {family_number}", offset) from None
            # Endpoints (and their addresses) are shared by every row that has them. Built
            # here, twice over, rather than by a helper: a call per new endpoint cost a
            # tenth of the loop.
            key = (src, sport)
            local = cache.get(key)
            if local is None:
                local = cache[key] = new(endpoint_draft)
                address = addresses.get(src)
                if address is None:  # not 'or': 0.0.0.0 is false
                    address = new_address(version, src)
                local.address = address
                local.port = from_bytes(sport, "big")
                local.zone = None
                local.__class__ = endpoint_class
            if dport == no_port and dst == unspecified:
                remote = None
            else:
                key = (dst, dport)
                remote = cache.get(key)
                if remote is None:
                    remote = cache[key] = new(endpoint_draft)
                    address = addresses.get(dst)
                    if address is None:  # not 'or': 0.0.0.0 is false
                        address = new_address(version, dst)
                    remote.address = address
                    remote.port = from_bytes(dport, "big")
                    remote.zone = None
                    remote.__class__ = endpoint_class
            state, state_text = states[state_number]
            if not inode:
                # A TIME_WAIT or SYN_RECV entry is not a socket (no inode) and has no
                # owner: the kernel sends uid 0 for it, which is not root.
                inode = None
                if state_number in (_TCP_TIME_WAIT, _TCP_SYN_RECV):
                    uid = None
            if swap_cookie:  # the two u32 halves, low first, read as one big-endian u64
                cookie = (cookie & 0xFFFFFFFF) << 32 | cookie >> 32
            row = new(draft)
            row.protocol = protocol
            row.family = family
            row.local = local
            row.remote = remote
            row.state = state
            row.pids = None
            row.process = None
            row.uid = uid
            row.inode = inode
            row.recv_queue = rqueue
            # A TCP listener's wqueue is its backlog limit (tcp_diag_get_info()); its
            # send queue is 0, as /proc/net/tcp and netstat show it.
            row.send_queue = 0 if state_number == listen_state else wqueue
            row.path = None
            row.socket_type = None
            row.ip_protocol = local.port if is_raw else None
            row.state_text = state_text
            row.local_name = None
            row.remote_name = None
            row.components = None
            row.cookie = None if cookie == _NO_COOKIE else cookie
            if details:
                # Checked now, decoded when first read (SocketDetails.__getattr__): the
                # message's attributes are copied, _decode_inet_details reads the copy.
                start = offset + _INET_SIZE
                layout = layouts.get(length)
                if layout is None or layout[0].unpack_from(data, start) != layout[1]:
                    counters_at = self._check_attributes(data, start, offset + length)
                else:
                    counters_at = layout[2]
                deferred = new(details_draft)
                deferred._pending = (
                    decode_details,
                    data[start : offset + length],
                    timer,
                    expires,
                    retrans,
                    wqueue if state_number == listen_state else None,
                    context,
                    # tcp_info's bytes_acked and bytes_received, read while the message
                    # is at hand: throughput reads only these (TCP_BYTE_READERS).
                    unpack_counters(data, start + counters_at)
                    if counters_at >= 0 and is_tcp
                    else None,
                )
                deferred.__class__ = SocketDetails
                row.details = deferred
            else:
                row.details = None
            row.__class__ = sealed  # type: ignore[assignment]
            append(row)
            if tag is not None:
                current[tag] = (head, ident, tail, row)  # type: ignore[assignment]
            count += 1
            offset += (length + 3) & ~3
        self.messages += count
        if interrupted:
            self.interrupted = True

    def _address(self, version: Literal[4, 6], raw: bytes) -> netaddr.IPAddress:
        """The address of a message's 16 address bytes (IPv4: the first 4), kept for
        every later row with the same bytes."""
        value = int.from_bytes(raw[:4] if version == 4 else raw, "big")
        address = self._addresses[version][raw] = netaddr.IPAddress(value, version)
        return address

    def _learn_unix_layout(self, data: Any, start: int, stop: int) -> None:
        """Remember the layout of a UNIX socket message's attributes (from ``start`` to
        ``stop``) if it holds exactly what a message without a name gives (the queues,
        the owner, and attributes this parser does not read): how to unpack every
        header, what they must be, and how to unpack the queues and the owner. A message
        that is malformed is left to the attribute walk, which says why."""
        unpack_attribute = self._structs["attribute"].unpack_from
        order = self._structs["attribute"].format[0]
        headers_format = values_format = order
        headers: list[int] = []
        header_end = value_end = start
        uid_first = False
        found: list[int] = []
        position = start
        while position + 4 <= stop:
            size, kind = unpack_attribute(data, position)
            if size < 4 or position + size > stop:
                return
            gap = position - header_end
            headers_format += f"{gap}xHH" if gap else "HH"
            header_end = position + 4
            headers += (size, kind)
            wanted = kind & 0x3FFF
            if wanted in (_UNIX_DIAG_RQLEN, _UNIX_DIAG_UID):
                found.append(wanted)
                needs = 12 if wanted == _UNIX_DIAG_RQLEN else 8
                if size < needs:
                    return
                gap = position + 4 - value_end
                values_format += (f"{gap}x" if gap else "") + ("II" if needs == 12 else "I")
                value_end = position + needs
                uid_first = uid_first or found == [_UNIX_DIAG_UID]
            elif wanted in (_UNIX_DIAG_NAME, _UNIX_DIAG_PEER, _UNIX_DIAG_MEMINFO):
                return
            position += (size + 3) & ~3
        if sorted(found) != [_UNIX_DIAG_RQLEN, _UNIX_DIAG_UID]:
            return
        self._unix_layouts[stop - start + _UNIX_SIZE] = (
            struct.Struct(headers_format).unpack_from,
            tuple(headers),
            uid_first,
            struct.Struct(values_format).unpack_from,
        )

    def _check_attributes(self, data: Any, start: int, stop: int) -> int:
        """Walk a socket message's attributes (from ``start`` to ``stop``): raise a
        ParseError for one that is malformed or too short for what it holds, and
        remember the message's layout (where each attribute starts, with its length and
        type) so that the next message of that length and layout is checked by one
        unpack: if every header sits where the walk found it, the walk would find the
        same. Returns where, from ``start``, the last ``INET_DIAG_INFO`` attribute holds
        ``bytes_acked`` and ``bytes_received`` (-1 when none holds them), which the
        layout remembers too (the feed reads them for ``TCP_BYTE_READERS``)."""
        unpack_attribute = self._structs["attribute"].unpack_from
        fmt = self._structs["attribute"].format[0]
        headers: list[int] = []
        position = header_end = start
        counters_at = -1
        while position + 4 <= stop:
            size, kind = unpack_attribute(data, position)
            if kind & 0x3FFF == _INET_DIAG_INFO:
                at = position + 4 + _BYTES_ACKED_AT
                counters_at = at - start if at + 16 <= position + size else -1
            if size < 4 or position + size > stop:
                raise self._bad(f"attribute of length {size} runs past its message", position)
            minimum = self._minimum.get(kind & 0x3FFF, 0)
            if size - 4 < minimum:
                raise self._bad(
                    f"attribute {kind & 0x3FFF} of {size - 4} bytes; it holds {minimum}",
                    position,
                )
            gap = position - header_end
            fmt += f"{gap}xHH" if gap else "HH"
            header_end = position + 4
            headers += (size, kind)
            position += (size + 3) & ~3
        if len(self._layouts) < _MAX_LAYOUTS:
            self._layouts[stop - start + _INET_SIZE] = (
                struct.Struct(fmt),
                tuple(headers),
                counters_at,
            )
        return counters_at

    def _feed_unix(self, data: Any, end: int) -> None:
        structs = self._structs
        unpack_message = structs["unix"].unpack_from
        unpack_attribute = structs["attribute"].unpack_from
        unpack_two = structs["two_u32"].unpack_from
        unpack_u32 = structs["u32"].unpack_from
        states = self._states
        details = self.details
        rows: list[Any] = self.rows
        append = rows.append
        new = object.__new__
        draft = ConnectionDraft
        sealed = Connection
        kinds: dict[int, socket.SocketKind | None] = {}
        unix = Protocol.UNIX
        af_unix = _AF_UNIX
        no_cookie = _NO_COOKIE_HALF
        layouts = self._unix_layouts
        offset = 0
        count = 0
        while offset < end:
            if offset + _UNIX_SIZE <= end:
                length, kind, flags, family_number, type_number, state_number, inode, c0, c1 = (
                    unpack_message(data, offset)
                )
            else:
                length, kind, flags = self._header(data, offset, end)
            if kind < _NLMSG_MIN_TYPE or length < _UNIX_SIZE or offset + length > end:
                if self._not_a_socket(data, offset, end, length, kind, flags):
                    break
                offset += (length + 3) & ~3
                continue
            if flags & NLM_F_DUMP_INTR:
                self.interrupted = True
            if family_number != _AF_UNIX:
                raise self._bad(f"a UNIX socket of address family {family_number}", offset)
            # The attributes, read in place: the name, the queues, the owner and, for
            # details, where the peer and the memory are.
            name = None
            recv_queue = send_queue = uid = None
            peer_at = memory_at = -1
            start = offset + _UNIX_SIZE
            stop = offset + length
            # An unnamed socket's message has the same attributes every time: one whose
            # headers are where an earlier one's were is read by one unpack.
            layout = layouts.get(length)
            if layout is not None and layout[0](data, start) == layout[1]:
                if layout[2]:
                    uid, recv_queue, send_queue = layout[3](data, start)
                else:
                    recv_queue, send_queue, uid = layout[3](data, start)
                start = stop
            elif not details and len(layouts) < _MAX_LAYOUTS:
                self._learn_unix_layout(data, start, stop)
            while start + 4 <= stop:
                size, attribute = unpack_attribute(data, start)
                if size < 4 or start + size > stop:
                    raise self._bad(f"attribute of length {size} runs past its message", start)
                attribute &= 0x3FFF
                if attribute == _UNIX_DIAG_NAME:
                    name = bytes(data[start + 4 : start + size])
                elif attribute == _UNIX_DIAG_RQLEN:
                    if size >= 12:
                        recv_queue, send_queue = unpack_two(data, start + 4)
                    else:
                        recv_queue = send_queue = None
                elif attribute == _UNIX_DIAG_UID:
                    if size < 8:
                        raise self._bad(f"a 4-byte attribute of {size - 4} bytes", offset)
                    (uid,) = unpack_u32(data, start + 4)
                elif attribute == _UNIX_DIAG_PEER:
                    if size < 8:
                        raise self._bad(f"a 4-byte attribute of {size - 4} bytes", offset)
                    peer_at = start + 4
                elif attribute == _UNIX_DIAG_MEMINFO:
                    if size < 40:
                        raise self._bad(f"socket memory of {size - 4} bytes, not 36", offset)
                    memory_at = start + 4
                start += (size + 3) & ~3
            listener = state_number == _TCP_LISTEN
            try:
                socket_type = kinds[type_number]
            except KeyError:
                try:
                    socket_type = socket.SocketKind(type_number)
                except ValueError:
                    socket_type = None
                kinds[type_number] = socket_type
            state, state_text = states[state_number]
            row = new(draft)
            row.protocol = unix
            row.family = af_unix
            row.local = None
            row.remote = None
            row.state = state
            row.pids = None
            row.process = None
            row.uid = uid
            row.inode = inode or None
            row.recv_queue = recv_queue
            # As for TCP: a listener's wqueue is its backlog limit, not a send queue.
            row.send_queue = 0 if listener and send_queue is not None else send_queue
            row.path = _unix_name(name) if name else None
            row.socket_type = socket_type
            row.ip_protocol = None
            row.state_text = state_text
            row.local_name = None
            row.remote_name = None
            row.components = None
            row.cookie = None if c0 == no_cookie == c1 else c0 | c1 << 32
            row.details = (
                SocketDetails(
                    memory=_memory(self._structs, data, memory_at) if memory_at >= 0 else None,
                    peer_inode=(unpack_u32(data, peer_at)[0] or None) if peer_at >= 0 else None,
                    backlog=send_queue if listener else None,
                )
                if details
                else None
            )
            row.__class__ = sealed  # type: ignore[assignment]
            append(row)
            count += 1
            offset += (length + 3) & ~3
        self.messages += count


def _memory(structs: dict[str, struct.Struct], data: Any, at: int) -> SocketMemory:
    memory: Any = object.__new__(_MEMORY_DRAFT)
    (
        memory.rmem_alloc,
        memory.rcvbuf,
        memory.wmem_alloc,
        memory.sndbuf,
        memory.fwd_alloc,
        memory.wmem_queued,
        memory.optmem,
        memory.backlog,
        memory.drops,
    ) = structs["memory"].unpack_from(data, at)
    memory.__class__ = SocketMemory
    result: SocketMemory = memory
    return result


_DeferredInet = tuple[
    Any,
    "bytes | bytearray",
    int,
    int,
    int,
    "int | None",
    tuple[ByteOrder, bool, dict[bytes, "str | None"]],
    "tuple[int, int] | None",
]


def _decode_inet_details(pending: _DeferredInet) -> tuple[Any, ...]:
    """The fields of an inet socket's :class:`SocketDetails`, in field order, from what
    ``DiagDump`` kept in its ``_pending``: this function, the message's attributes
    (checked when the message was fed), its timer fields, the listener's backlog, the
    dump's context and tcp_info's byte counters (for ``TCP_BYTE_READERS``)."""
    _, raw, timer, expires, retrans, backlog, (byteorder, is_tcp, congestion_names), _ = pending
    structs = _STRUCTS[byteorder]
    unpack_attribute = structs["attribute"].unpack_from
    tcp_info = congestion = memory = cgroup_id = None
    position = 0
    stop = len(raw)
    while position + 4 <= stop:
        size, kind = unpack_attribute(raw, position)
        kind &= 0x3FFF
        at = position + 4
        if kind == _INET_DIAG_INFO and is_tcp:
            full, build = _FULL_TCP_INFO[byteorder]
            if size - 4 >= full.size:
                tcp_info = build(full.unpack_from(raw, at))
            else:
                tcp_info = parse_tcp_info(raw[at : position + size], byteorder=byteorder)
        elif kind == _INET_DIAG_CONG:
            key = bytes(raw[at : position + size])
            congestion = congestion_names.get(key)
            if congestion is None:
                name = key.split(b"\0", 1)[0].decode("ascii", "replace")
                congestion = congestion_names[key] = name or None
        elif kind == _INET_DIAG_SKMEMINFO:
            memory = _memory(structs, raw, at)
        elif kind == _INET_DIAG_CGROUP_ID:
            (cgroup_id,) = structs["u64"].unpack_from(raw, at)
        position += (size + 3) & ~3
    timer_record: Any = None
    timer_name = _TIMERS.get(timer)
    if timer_name is not None:
        timer_record = object.__new__(_TIMER_DRAFT)
        timer_record.name = timer_name
        timer_record.expires = expires * _MSEC
        timer_record.retransmits = retrans
        timer_record.__class__ = SocketTimer
    # SocketDetails' fields: tcp_info, congestion, memory, timer, cgroup_id, peer_inode,
    # backlog (checked at import, below).
    return (tcp_info, congestion, memory, timer_record, cgroup_id, None, backlog)


if [(offset, name) for offset, _, name, _ in _TCP_INFO_FIELDS if name.startswith("bytes_")][:2] != [
    (_BYTES_ACKED_AT, "bytes_acked"),
    (_BYTES_ACKED_AT + 8, "bytes_received"),
]:
    raise RuntimeError("_BYTES_ACKED_AT no longer matches _TCP_INFO_FIELDS")


# What _decode_inet_details would give as tcp_info's bytes_acked and bytes_received (its
# last INET_DIAG_INFO attribute, if long enough), read by the feed: the last item.
TCP_BYTE_READERS[_decode_inet_details] = operator.itemgetter(7)

if tuple(field.name for field in attrs.fields(SocketDetails)) != (
    "tcp_info", "congestion", "memory", "timer", "cgroup_id", "peer_inode", "backlog"
):  # fmt: skip
    raise RuntimeError("_decode_inet_details no longer matches SocketDetails' fields")
_MAX_LAYOUTS = 64  # attribute layouts a dump remembers (a kernel sends a handful)


def parse_diag_dump(
    datagrams: Iterable[bytes],
    *,
    kind: str,
    protocol: Protocol,
    details: bool = False,
    byteorder: ByteOrder = "little",
    source: str = "<sock_diag>",
) -> list[Connection]:
    """The records of a whole saved dump (its datagrams, in order), as :class:`DiagDump`
    builds them. Raises :class:`~netstatlib.ParseError` for malformed data, an error
    reply (``NLMSG_ERROR``, or ``NLMSG_DONE`` with an error) or a dump without its end."""
    dump = DiagDump(
        kind=kind, protocol=protocol, details=details, byteorder=byteorder, source=source
    )
    with gc_paused():
        for datagram in datagrams:
            if not isinstance(datagram, bytes | bytearray | memoryview):
                raise UsageError(f"a datagram is bytes, not {type(datagram).__name__}")
            dump.feed(datagram)
            if dump.done:
                break
    if not dump.done:
        raise ParseError("the dump ends without NLMSG_DONE", source=source)
    if dump.error is not None:
        raise ParseError(f"the kernel answered with errno {dump.error}", source=source)
    return dump.rows
