"""Pure parsers for the Linux ``/proc/net`` files (and the per-process bits).

Strategy: every function takes the text of one file (``str``, or ``bytes`` which are
decoded as UTF-8 with ``surrogateescape`` so that any byte in a UNIX socket path or a
process name survives the round trip through :func:`os.fsencode`) plus what it must know
about the machine the text came from: ``source`` (a path or label used in error
messages) and, where the kernel prints host-endian numbers, ``byteorder``. Nothing here
opens a file, looks at the running OS or imports psutil, so the same code parses a live
host, a capture from another host and a test fixture.

Every malformed input raises :class:`~netstatlib.ParseError` carrying the source, the
1-based line number and the line.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Collection, Iterable
from typing import Any, Literal

import netaddr

from .._errors import ParseError, UsageError
from .._gc import gc_paused
from .._model import (
    Connection,
    ConnectionDraft,
    Endpoint,
    EndpointDraft,
    InterfaceStats,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    TcpState,
)

__all__ = [
    "ByteOrder",
    "parse_comm",
    "parse_dev",
    "parse_inet_sockets",
    "parse_ipv6_route",
    "parse_route",
    "parse_snmp",
    "parse_snmp6",
    "parse_socket_inodes",
    "parse_socket_link",
    "parse_unix_sockets",
]

ByteOrder = Literal["little", "big"]
"""The byte order of the machine a ``/proc`` file came from: ``"little"`` (x86, most
ARM) or ``"big"`` (s390x, big-endian POWER and MIPS). ``/proc/net/route`` prints an
IPv4 address as the machine's 32-bit number in hex, and ``/proc/net/tcp`` each 32-bit
word of an address, so the same text means different addresses on the two. The parsers
take it as an argument (``"little"`` by default), never from the machine they run on."""

_AF_INET = socket.AddressFamily.AF_INET
_AF_INET6 = socket.AddressFamily.AF_INET6
_AF_UNIX = socket.AddressFamily.AF_UNIX

_TCP_CLOSE = 7

_TIME_WAIT = TcpState.TIME_WAIT


def _state(number: int, datagram: bool) -> TcpState | None:
    """The state of a socket row. UDP, UDP-Lite and raw sockets use the TCP numbers too:
    ``TCP_CLOSE`` (7) for a socket that is not connected, which has no state here, and
    ``TCP_ESTABLISHED`` (1) for a connected one."""
    if number < 0:
        raise ValueError(f"negative state {number}")
    if datagram and number == _TCP_CLOSE:
        return None
    return TcpState.from_kernel(number)


def _text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "surrogateescape")
    if isinstance(data, str):
        return data
    raise TypeError(f"expected str or bytes, got {type(data).__name__}")


def _lines(data: str | bytes) -> list[str]:
    text = _text(data)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


_HEX_NUMBER = re.compile(r"[0-9A-Fa-f]+")
_SIGNED_NUMBER = re.compile(r"-?[0-9]+")


def _address_decoder(
    version: Literal[4, 6], byteorder: ByteOrder
) -> Callable[[str], netaddr.IPAddress]:
    """Decode the address of a ``/proc/net/{tcp,udp,raw}[6]`` or ``route`` field.

    The kernel prints an address as 32-bit words, each with ``%08X`` as a host-endian
    integer: one word for IPv4 (the ``__be32``), four for IPv6 (``s6_addr32[0..3]`` in
    ``tcp6_seq_show``). On a little-endian host each word's bytes come out reversed:
    ``"0500000A"`` is 10.0.0.5 and ``00000000000000000000000001000000`` is ``::1``.
    Decoding goes through an int (``netaddr.IPAddress(str)`` costs about 5 us, from an
    int far less) and is cached: a table of 100k sockets has few distinct addresses.
    """
    if byteorder not in ("little", "big"):
        raise UsageError(f"byteorder must be 'little' or 'big', not {byteorder!r}")
    cache: dict[str, netaddr.IPAddress] = {}
    digits = 8 if version == 4 else 32
    swap = byteorder == "little"
    from_hex = bytes.fromhex
    from_bytes = int.from_bytes
    ip = netaddr.IPAddress
    is_hex = _HEX_NUMBER.fullmatch

    def decode(field: str) -> netaddr.IPAddress:
        try:
            return cache[field]
        except KeyError:
            pass
        if len(field) != digits or is_hex(field) is None:
            raise ValueError(f"an IPv{version} address is {digits} hex digits, not {field!r}")
        raw = from_hex(field)
        if swap:
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
        address = cache[field] = ip(from_bytes(raw, "big"), version)
        return address

    return decode


# The kernel prints numbers with %X, %u, %lu and %d only. Python's int() also takes signs,
# "_" separators, "0x" prefixes and non-ASCII digits, so every number is checked first:
# text the kernel cannot have printed is a parse error, not a number.
def _hex(text: str) -> int:
    if _HEX_NUMBER.fullmatch(text) is None:
        raise ValueError(f"not a hexadecimal number: {text!r}")
    return int(text, 16)


def _unsigned(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"not an unsigned number: {text!r}")
    return int(text)


def _signed(text: str) -> int:
    if _SIGNED_NUMBER.fullmatch(text) is None:
        raise ValueError(f"not a number: {text!r}")
    return int(text)


def _u32(text: str) -> int:
    """A kernel u32 printed with %d (route metric, MTU): -1 means 4294967295."""
    value = _signed(text)
    if not -(2**31) <= value < 2**32:
        raise ValueError(f"not a 32-bit number: {text!r}")
    return value & 0xFFFFFFFF


def _port(field: str) -> int:
    if len(field) != 4:
        raise ValueError(f"a port is 4 hex digits, not {field!r}")
    return _hex(field)


def _endpoint_maker(
    decode: Callable[[str], netaddr.IPAddress], cache: dict[str, Endpoint]
) -> Callable[[str], Endpoint]:
    """A function that turns ``ADDRESS:PORT`` text into a cached :class:`Endpoint`.

    Ports repeat too (a table of 100k rows has at most 65,536 of them), so their checked
    values are cached as well. The endpoint is built as a draft and sealed (see
    ``ConnectionDraft`` in ``_model.py``).
    """
    ports: dict[str, int] = {}
    new = object.__new__
    draft = EndpointDraft
    sealed = Endpoint

    def make(field: str) -> Endpoint:
        address_text, _, port_text = field.partition(":")
        port = ports.get(port_text)
        if port is None:
            port = ports[port_text] = _port(port_text)
        endpoint = new(draft)
        endpoint.address = decode(address_text)
        endpoint.port = port
        endpoint.zone = None
        endpoint.__class__ = sealed  # type: ignore[assignment]
        result: Endpoint = endpoint  # type: ignore[assignment]
        cache[field] = result
        return result

    return make


def _check_header(lines: list[str], expected: str, source: str) -> None:
    if not lines:
        raise ParseError(f"empty input, expected a header with {expected!r}", source=source)
    if expected not in lines[0]:
        raise ParseError(
            f"not a header line (expected {expected!r})",
            source=source,
            line_number=1,
            line=lines[0],
        )


def parse_inet_sockets(
    data: str | bytes,
    *,
    protocol: Protocol,
    family: socket.AddressFamily,
    source: str = "<string>",
    byteorder: ByteOrder = "little",
    states: Collection[TcpState | None] | None = None,
) -> list[Connection]:
    """Parse ``/proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6}``.

    A row looks like (``tcp4_seq_show`` in ``net/ipv4/tcp_ipv4.c``)::

        0: 0100007F:0277 00000000:0000 0A 00000000:00000001 00:00000000 00000000  0  0 23516 ...
           local         remote        st tx_queue:rx_queue tr:when     retrnsmt uid timeout inode

    ``protocol`` and ``family`` say which file the text came from. For raw sockets the
    kernel prints the IP protocol number in the local port column; it is kept there (as
    ``ss`` does) and in :attr:`Connection.ip_protocol`. ``byteorder`` is the byte order of
    the machine the text came from.

    With ``states``, only rows in those states are returned (``None`` in it stands for
    an unconnected UDP, UDP-Lite or raw socket, which has no state): the others are
    skipped as soon as their state is read, before anything else of them is decoded, so
    that asking for the few listeners among many connections costs little more than
    reading the text. A skipped row is still checked to have a state field.

    A socket the text lists twice is returned once, as it was first listed: the kernel
    writes the file a page at a time and resumes by position, so while sockets come and
    go it repeats some rows (and skips others, which no reader can notice). A socket is
    known by its inode; an entry without one (``TIME_WAIT``, ``SYN_RECV``: inode 0) by
    its state and both endpoints, which the kernel keeps unique for such entries.
    """
    if protocol is Protocol.UNIX:
        raise UsageError("UNIX sockets are parsed by parse_unix_sockets()")
    if family is _AF_INET:
        decode = _address_decoder(4, byteorder)
        unspecified = "00000000"
    elif family is _AF_INET6:
        decode = _address_decoder(6, byteorder)
        unspecified = "0" * 32
    else:
        raise UsageError(f"family must be AF_INET or AF_INET6, not {family!r}")
    lines = _lines(data)
    _check_header(lines, "local_address", source)

    is_raw = protocol is Protocol.RAW
    datagram = protocol is not Protocol.TCP
    # Per-call caches keyed by the raw field text: a large table repeats the same
    # endpoints, states, queue pairs and uids over and over, and a dict lookup is much
    # cheaper than decoding again. The remote text that means "not connected" (all zeros)
    # is checked before the cache, so the cache only ever holds real endpoints.
    not_connected = f"{unspecified}:0000"
    endpoints: dict[str, Endpoint] = {}
    new_endpoint = _endpoint_maker(decode, endpoints)
    decoded_states: dict[str, tuple[TcpState | None, str | None]] = {}
    wanted = None if states is None else frozenset(states)
    queues: dict[str, tuple[int, int]] = {}
    uids: dict[str, int | None] = {}
    # What was returned already: inodes, and (state, local, remote) of the rows without.
    seen: set[int] = set()
    seen_entries: set[tuple[str, str, str]] = set()
    result: list[Any] = []  # of drafts sealed into Connections
    append = result.append
    # Records are built as drafts and sealed (see ConnectionDraft in _model.py).
    new = object.__new__
    draft = ConnectionDraft
    sealed = Connection
    line_number = 1
    line = ""
    with gc_paused():
        try:
            for line_number, line in enumerate(lines[1:], start=2):  # noqa: B007 (used in except)
                fields = line.split(None, 10)
                if len(fields) < 10:
                    raise ValueError("a socket row has at least 10 fields")
                state_field = fields[3]
                try:
                    state, state_text = decoded_states[state_field]
                except KeyError:
                    state = _state(_hex(state_field), datagram)
                    # An unknown state number is kept as printed (Connection.state_text).
                    state_text = state_field if state is TcpState.UNKNOWN else None
                    decoded_states[state_field] = (state, state_text)
                if wanted is not None and state not in wanted:
                    continue
                local_field = fields[1]
                local = endpoints.get(local_field)
                if local is None:
                    local = new_endpoint(local_field)
                remote_field = fields[2]
                if remote_field == not_connected:
                    remote = None
                else:
                    remote = endpoints.get(remote_field)
                    if remote is None:
                        remote = new_endpoint(remote_field)
                queue_field = fields[4]
                try:
                    send_queue, recv_queue = queues[queue_field]
                except KeyError:
                    send_text, colon, recv_text = queue_field.partition(":")
                    if not colon:
                        raise ValueError("expected tx_queue:rx_queue") from None
                    send_queue, recv_queue = queues[queue_field] = (
                        _hex(send_text),
                        _hex(recv_text),
                    )
                uid_field = fields[7]
                try:
                    uid = uids[uid_field]
                except KeyError:
                    uid = uids[uid_field] = _unsigned(uid_field)
                inode: int | None = _unsigned(fields[9])
                if inode:
                    if inode in seen:
                        continue  # listed again by the kernel: the same socket
                    seen.add(inode)
                else:
                    # A TIME_WAIT or SYN_RECV entry is not a socket: it has no inode, and
                    # a TIME_WAIT one has no owner either (get_timewait4_sock() prints 0s).
                    entry = (state_field, local_field, remote_field)
                    if entry in seen_entries:
                        continue
                    seen_entries.add(entry)
                    inode = None
                    if state is _TIME_WAIT:
                        uid = None
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
                row.recv_queue = recv_queue
                row.send_queue = send_queue
                row.path = None
                row.socket_type = None
                row.ip_protocol = local.port if is_raw else None
                row.state_text = state_text
                row.local_name = None
                row.remote_name = None
                row.components = None
                row.cookie = None
                row.details = None
                row.__class__ = sealed  # type: ignore[assignment]
                append(row)
        except (ValueError, IndexError) as exc:
            raise ParseError(str(exc), source=source, line_number=line_number, line=line) from exc
    return result


# /proc/net/unix columns, printed by unix_seq_show() in net/unix/af_unix.c as
# "%pK: %08X %08X %08X %04X %02X %5lu" and then " <path>" when the socket is bound.
_UNIX_ROW = re.compile(
    r" *[0-9A-Fa-f]+: ([0-9A-Fa-f]{8}) [0-9A-Fa-f]{8} ([0-9A-Fa-f]{8}) ([0-9A-Fa-f]{4}) "
    r"([0-9A-Fa-f]{2}) +([0-9]+)(?: (.*))?",
    re.ASCII | re.DOTALL,
)
_SO_ACCEPTCON = 1 << 16  # __SO_ACCEPTCON, set on a listening socket
# socket->state, include/uapi/linux/net.h: SS_UNCONNECTED=1 ... SS_DISCONNECTING=4.
_UNIX_STATES: dict[int, TcpState | None] = {
    1: None,
    2: TcpState.SYN_SENT,
    3: TcpState.ESTABLISHED,
    4: TcpState.CLOSING,
}


def _socket_kind(number: int) -> socket.SocketKind | None:
    try:
        return socket.SocketKind(number)
    except ValueError:
        return None


def parse_unix_sockets(
    data: str | bytes, *, source: str = "<string>", other_inodes: Collection[int] = ()
) -> list[Connection]:
    """Parse ``/proc/net/unix``.

    Paths keep every character, spaces included; abstract names are shown with a
    leading ``@`` (the kernel prints their NUL bytes as ``@``). A path that itself
    contains a newline continues on the next line of the file: such a continuation
    line is joined back onto the path of the row before it.

    The file has no quoting, so a path holding a newline followed by text shaped like a
    row reads as one more row, and any local user can bind such a name. Such a forged
    row names a socket by its inode, and the process lookup then shows whoever holds
    that inode as its owner. ``other_inodes`` are the inodes of the sockets the other
    tables list (TCP, UDP, raw, netlink...): a UNIX row naming one of them is text of
    the path before it, and is joined back onto that path as the kernel printed it (or
    left out when no path comes before it). A socket listed twice alike is returned
    once (the kernel repeats rows while sockets come and go); rows that name the same
    inode but disagree cannot all be true and the text cannot say which one is, so
    none of them is returned. Rows without an inode (a connection not yet accepted)
    are returned as listed. A forged row naming an inode nothing else lists, or none,
    still reads as a socket: only the kernel's netlink socket diagnostics avoid that.
    """
    lines = _lines(data)
    _check_header(lines, "Inode", source)
    rows: list[tuple[int, int, int, int]] = []
    # Each row's path as its lines (joined once at the end: joining at every continuation
    # line would copy the path again each time, quadratic in its number of lines).
    paths: list[list[str] | None] = []
    for line_number, line in enumerate(lines[1:], start=2):
        match = _UNIX_ROW.fullmatch(line)
        if match is None:
            last = paths[-1] if paths else None
            if last is not None:
                last.append(line)
                continue
            raise ParseError(
                "not a /proc/net/unix row", source=source, line_number=line_number, line=line
            )
        rows.append((int(match[2], 16), int(match[3], 16), int(match[4], 16), int(match[5])))
        # " <path>" is printed only for a bound socket, so an empty group here is a path
        # that starts with a newline and continues on the next line.
        paths.append(None if match[6] is None else [match[6]])
    result = []
    joined: list[str | None] = [None if parts is None else "\n".join(parts) for parts in paths]
    for index in _true_unix_rows(rows, joined, lines, other_inodes):
        flags, type_number, state_number, inode_number = rows[index]
        path = joined[index]
        state_text = None
        if flags & _SO_ACCEPTCON:
            state: TcpState | None = TcpState.LISTEN
        else:
            state = _UNIX_STATES.get(state_number, TcpState.UNKNOWN)
            if state is TcpState.UNKNOWN:
                state_text = f"{state_number:02X}"
        result.append(
            Connection(
                protocol=Protocol.UNIX,
                family=_AF_UNIX,
                local=None,
                remote=None,
                state=state,
                # A connection not yet accepted has no inode of its own (the kernel prints 0).
                inode=inode_number or None,
                path=path,
                socket_type=_socket_kind(type_number),
                state_text=state_text,
            )
        )
    return result


def parse_socket_inodes(data: str | bytes, *, source: str = "<string>") -> set[int]:
    """The inodes of the sockets a ``/proc/net`` socket listing names, for
    :func:`parse_unix_sockets`' ``other_inodes``.

    Two layouts are read: the one of ``/proc/net/tcp`` (also ``udp``, ``udplite``,
    ``raw``, ``icmp`` and the IPv6 files: the inode is a row's tenth field), and a
    header naming an ``Inode`` column (``netlink``, ``packet``). An entry without an
    inode (0: ``TIME_WAIT``, ``SYN_RECV``) names no socket. Only the inodes are checked.
    """
    lines = _lines(data)
    if not lines:
        raise ParseError("empty input, expected a header", source=source)
    header = lines[0].split()
    if "local_address" in header:
        column, width = 9, 10
    elif "Inode" in header:
        column, width = header.index("Inode"), len(header)
    else:
        raise ParseError(
            "not a socket listing (no local_address or Inode column)",
            source=source,
            line_number=1,
            line=lines[0],
        )
    inodes = set()
    for line_number, line in enumerate(lines[1:], start=2):
        fields = line.split(None, width)
        try:
            if len(fields) < width:
                raise ValueError(f"a row has at least {width} fields")
            inode = _unsigned(fields[column])
        except ValueError as exc:
            raise ParseError(str(exc), source=source, line_number=line_number, line=line) from exc
        if inode:
            inodes.add(inode)
    return inodes


def _true_unix_rows(
    rows: list[tuple[int, int, int, int]],
    paths: list[str | None],
    lines: list[str],
    other_inodes: Collection[int],
) -> Iterable[int]:
    """The indices of the rows of ``/proc/net/unix`` that can be true, in order; the
    text of forged ones is joined back onto the path it was printed in (``paths`` is
    updated).

    ``rows`` are the (flags, type, state, inode) of the rows and ``paths`` their paths,
    continuation lines joined; ``lines`` the file's lines. Every socket has an inode of
    its own, unique in the running kernel (sockfs numbers them from one counter), so a
    row naming an inode another table lists is not a socket: its text can only be part
    of a path, the path of the row printed before it (the kernel prints each socket's
    line, path included, in one piece).
    """
    inodes = [row[3] for row in rows if row[3]]
    if not isinstance(other_inodes, (set, frozenset)):
        other_inodes = frozenset(other_inodes)
    if len(set(inodes)) == len(inodes) and other_inodes.isdisjoint(inodes):
        return range(len(rows))  # the usual case, checked at the cost of two sets
    by_inode: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        if row[3]:
            by_inode.setdefault(row[3], []).append(index)
    forged: set[int] = set()
    dropped: set[int] = set()
    for inode, indices in by_inode.items():
        if inode in other_inodes:
            forged.update(indices)
        elif len(indices) > 1:
            first = (rows[indices[0]], paths[indices[0]])
            if all((rows[index], paths[index]) == first for index in indices[1:]):
                dropped.update(indices[1:])  # listed again: the same socket
            else:
                dropped.update(indices)  # they disagree: at most one is true, none known
    if not forged:
        return [index for index in range(len(rows)) if index not in dropped]
    # Each row's text before its path: its line, found again as the parse found it.
    heads = []
    for line in lines[1:]:
        match = _UNIX_ROW.fullmatch(line)
        if match is not None:
            heads.append(line if match[6] is None else line[: match.start(6)])
    kept = []
    host: int | None = None  # the last row that is not forged: its path goes on
    for index in range(len(rows)):
        if index not in forged:
            host = index
            if index not in dropped:
                kept.append(index)
            continue
        host_path = paths[host] if host is not None else None
        if host is not None and host_path is not None:
            paths[host] = f"{host_path}\n{heads[index]}{paths[index] or ''}"
    return kept


def _ipv4_value_decoder(byteorder: ByteOrder) -> Callable[[str], int]:
    """Decode a ``/proc/net/route`` address or mask field (``%08X`` of the host-endian
    ``__be32``, as in :func:`_address_decoder`) to the address as an integer."""
    if byteorder not in ("little", "big"):
        raise UsageError(f"byteorder must be 'little' or 'big', not {byteorder!r}")
    is_hex = _HEX_NUMBER.fullmatch
    from_hex = bytes.fromhex
    from_bytes = int.from_bytes

    def value(field: str) -> int:
        if len(field) != 8 or is_hex(field) is None:
            raise ValueError(f"an IPv4 address is 8 hex digits, not {field!r}")
        # The bytes as printed are the address's bytes in the host's order.
        return from_bytes(from_hex(field), byteorder)

    return value


def _prefix_length(mask: int) -> int:
    """The prefix length of a contiguous IPv4 netmask (``0xFFFFFF00`` is 24)."""
    host_bits = mask ^ 0xFFFFFFFF
    if host_bits & (host_bits + 1):  # not of the form 0...01...1
        raise ValueError(f"netmask {netaddr.IPAddress(mask, 4)} is not contiguous")
    return 32 - host_bits.bit_length()


def parse_route(
    data: str | bytes, *, source: str = "<string>", byteorder: ByteOrder = "little"
) -> list[Route]:
    """Parse ``/proc/net/route`` (IPv4, main table only).

    Printed by ``fib_route_seq_show()`` (``net/ipv4/fib_trie.c``): addresses and the mask
    as host-endian ``%08X`` like the socket tables, ``*`` for a route without a device
    (blackhole), MTU as advertised MSS + 40, and 0 for an MTU, window or IRTT the route
    does not set (``None`` here). Only the first next hop of a multipath route is shown
    by the kernel.
    """
    lines = _lines(data)
    if not lines:
        # fib_route_seq_start() prints nothing at all, not even the header, while the
        # main table does not exist yet (a fresh network namespace).
        return []
    _check_header(lines, "Destination", source)
    value = _ipv4_value_decoder(byteorder)
    gateway_address = _address_decoder(4, byteorder)  # cached: gateways repeat
    # Networks are built from integers (from text, netaddr parses the string again:
    # about 4 us of the 13 us a route took). Masks, flags and the number columns repeat
    # from row to row, so each distinct text is checked and converted once.
    network = netaddr.IPNetwork
    prefixes: dict[str, int] = {}
    flag_sets: dict[str, RouteFlags] = {}
    numbers: dict[str, int] = {}
    unsigned: dict[str, int] = {}
    result = []
    for line_number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        try:
            if len(fields) != 11:
                raise ValueError(f"a route row has 11 fields, not {len(fields)}")
            destination = value(fields[1])
            gateway = gateway_address(fields[2])
            mask_field = fields[7]
            prefix = prefixes.get(mask_field)
            if prefix is None:
                prefix = prefixes[mask_field] = _prefix_length(value(mask_field))
            flags_field = fields[3]
            flags = flag_sets.get(flags_field)
            if flags is None:
                flags = flag_sets[flags_field] = RouteFlags(_hex(flags_field))
            metric, mtu = numbers.get(fields[6]), numbers.get(fields[8])
            if metric is None:
                metric = numbers[fields[6]] = _u32(fields[6])
            if mtu is None:
                mtu = numbers[fields[8]] = _u32(fields[8])
            window, irtt = unsigned.get(fields[9]), unsigned.get(fields[10])
            if window is None:
                window = unsigned[fields[9]] = _unsigned(fields[9])
            if irtt is None:
                irtt = unsigned[fields[10]] = _unsigned(fields[10])
            result.append(
                Route(
                    family=_AF_INET,
                    destination=network((destination, prefix), version=4),
                    gateway=gateway if int(gateway) else None,
                    interface=None if fields[0] == "*" else fields[0],
                    metric=metric,
                    flags=flags,
                    mtu=mtu or None,
                    window=window or None,
                    irtt=irtt or None,
                )
            )
        except (ValueError, netaddr.AddrFormatError) as exc:
            raise ParseError(str(exc), source=source, line_number=line_number, line=line) from exc
    return result


def _ipv6_network(address: str, prefix: str) -> netaddr.IPNetwork:
    if len(address) != 32:
        raise ValueError(f"an IPv6 address has 32 hex digits, not {len(address)}")
    length = _hex(prefix)
    if not 0 <= length <= 128:
        raise ValueError(f"IPv6 prefix length {length} is out of range")
    return netaddr.IPNetwork((_hex(address), length), version=6)


def parse_ipv6_route(data: str | bytes, *, source: str = "<string>") -> list[Route]:
    """Parse ``/proc/net/ipv6_route`` (all tables, local and cached entries included).

    Printed by ``ipv6_route_native_seq_show()`` (``net/ipv6/route.c``) without a header::

        dest(32 hex) dest_len src src_len next_hop metric refcnt use flags device

    Addresses are in network order. The kernel's null entries (``::/0`` on ``lo``,
    metric 0xffffffff, ``REJECT``) are kept; :attr:`Route.is_default` is false for them.
    """
    # As for IPv4 routes: what repeats from row to row (the unset source prefix ::/0,
    # gateways, metrics, flags) is checked and converted once per distinct text.
    unset_sources: set[tuple[str, str]] = set()
    gateways: dict[str, netaddr.IPAddress | None] = {}
    numbers: dict[str, int] = {}
    flag_sets: dict[str, RouteFlags] = {}
    result = []
    for line_number, line in enumerate(_lines(data), start=1):
        fields = line.split()
        try:
            if len(fields) != 10:
                raise ValueError(f"an IPv6 route row has 10 fields, not {len(fields)}")
            destination = _ipv6_network(fields[0], fields[1])
            source_key = (fields[2], fields[3])
            source_prefix = None
            if source_key not in unset_sources:
                source_prefix = _ipv6_network(fields[2], fields[3])
                if not source_prefix.prefixlen:
                    unset_sources.add(source_key)
                    source_prefix = None
            gateway_field = fields[4]
            try:
                gateway = gateways[gateway_field]
            except KeyError:
                if len(gateway_field) != 32:
                    raise ValueError("an IPv6 next hop has 32 hex digits") from None
                next_hop = _hex(gateway_field)
                gateway = gateways[gateway_field] = (
                    netaddr.IPAddress(next_hop, 6) if next_hop else None
                )
            metric = numbers.get(fields[5])
            if metric is None:
                metric = numbers[fields[5]] = _hex(fields[5])
            flags = flag_sets.get(fields[8])
            if flags is None:
                flags = flag_sets[fields[8]] = RouteFlags(_hex(fields[8]))
            result.append(
                Route(
                    family=_AF_INET6,
                    destination=destination,
                    gateway=gateway,
                    interface=fields[9],
                    metric=metric,
                    flags=flags,
                    source=source_prefix,
                )
            )
        except (ValueError, netaddr.AddrFormatError) as exc:
            raise ParseError(str(exc), source=source, line_number=line_number, line=line) from exc
    return result


def parse_dev(data: str | bytes, *, source: str = "<string>") -> list[InterfaceStats]:
    """Parse ``/proc/net/dev``: two header lines, then ``name: 16 counters`` per device.

    The columns map to the sysfs statistics names as ``dev_seq_printf_stats()``
    (``net/core/net-procfs.c``) fills them: receive ``bytes packets errs drop fifo frame
    compressed multicast``, transmit ``bytes packets errs drop fifo colls carrier
    compressed``. A long name touches its colon and first number (``veth0123456789a:12``),
    so the name is split at the colon (names cannot contain one). ``mtu``, ``is_up`` and
    ``speed_mbps`` are not in this file and are left ``None``.
    """
    lines = _lines(data)
    if len(lines) < 2 or "|" not in lines[0] or "|" not in lines[1]:
        raise ParseError(
            "not /proc/net/dev: expected two header lines",
            source=source,
            line_number=1,
            line=lines[0] if lines else "",
        )
    result = []
    for line_number, line in enumerate(lines[2:], start=3):
        name, colon, counters = line.partition(":")
        name = name.strip()
        values = counters.split()
        try:
            if not colon or not name or len(values) != 16:
                raise ValueError("expected 'name: ' and 16 counters")
            numbers = [_unsigned(v) for v in values]
        except ValueError as exc:
            raise ParseError(str(exc), source=source, line_number=line_number, line=line) from exc
        result.append(
            InterfaceStats(
                name=name,
                rx_bytes=numbers[0],
                rx_packets=numbers[1],
                rx_errors=numbers[2],
                rx_dropped=numbers[3],
                rx_fifo_errors=numbers[4],
                rx_frame_errors=numbers[5],
                rx_compressed=numbers[6],
                multicast=numbers[7],
                tx_bytes=numbers[8],
                tx_packets=numbers[9],
                tx_errors=numbers[10],
                tx_dropped=numbers[11],
                tx_fifo_errors=numbers[12],
                collisions=numbers[13],
                tx_carrier_errors=numbers[14],
                tx_compressed=numbers[15],
            )
        )
    return result


_GROUP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def parse_snmp(data: str | bytes, *, source: str = "<string>") -> list[ProtocolStats]:
    """Parse ``/proc/net/snmp`` or ``/proc/net/netstat``.

    Both files are pairs of lines, a header and its values, each starting with the group
    (``Tcp: RtoAlgorithm RtoMin ...`` then ``Tcp: 1 200 ...``). Columns come and go
    between kernels, so every header is paired with its own values line and nothing is
    read by position. Values are signed (``Tcp: MaxConn`` is -1). A group may span
    several pairs (``icmpmsg_put()`` prints ``IcmpMsg`` 16 counters per pair): the pairs
    of one group make one record.
    """
    lines = _lines(data)
    groups: dict[str, dict[str, int]] = {}
    if len(lines) % 2:
        raise ParseError(
            "a header line has no values line",
            source=source,
            line_number=len(lines),
            line=lines[-1],
        )
    for index in range(0, len(lines), 2):
        header, values = lines[index], lines[index + 1]
        group, colon, names = header.partition(":")
        value_group, value_colon, numbers = values.partition(":")
        bad_line, bad_number = header, index + 1
        try:
            if not colon or _GROUP_NAME.fullmatch(group) is None:
                raise ValueError("expected 'Group: Name Name ...'")
            bad_line, bad_number = values, index + 2
            if not value_colon or value_group != group:
                raise ValueError(f"expected the values line of group {group!r}")
            keys = names.split()
            counts = [_signed(v) for v in numbers.split()]
            if len(keys) != len(counts):
                raise ValueError(f"{len(keys)} names but {len(counts)} values")
            if len(set(keys)) != len(keys):
                bad_line, bad_number = header, index + 1
                raise ValueError("a counter name is repeated")
        except ValueError as exc:
            raise ParseError(
                str(exc), source=source, line_number=bad_number, line=bad_line
            ) from exc
        counters = groups.setdefault(group, {})
        repeated = counters.keys() & keys
        if repeated:
            raise ParseError(
                f"counter {sorted(repeated)[0]} of group {group} is repeated",
                source=source,
                line_number=index + 1,
                line=header,
            )
        counters.update(zip(keys, counts, strict=True))
    return [ProtocolStats(group=group, counters=counters) for group, counters in groups.items()]


# /proc/net/snmp6 prints "<Group><Counter> <value>" with the group glued to the name
# (Ip6InReceives, Icmp6InType133, UdpLite6InErrors); every group name ends in "6".
_SNMP6_NAME = re.compile(r"([A-Za-z]+?6)([A-Za-z0-9_]+)")


def parse_snmp6(data: str | bytes, *, source: str = "<string>") -> list[ProtocolStats]:
    """Parse ``/proc/net/snmp6``: one ``Name value`` pair per line, read by name.

    The group is the name up to and including its first ``6`` (``Ip6``, ``Icmp6``,
    ``Udp6``, ``UdpLite6``); groups are returned in the order they first appear.
    """
    groups: dict[str, dict[str, int]] = {}
    for line_number, line in enumerate(_lines(data), start=1):
        fields = line.split()
        match = _SNMP6_NAME.fullmatch(fields[0]) if len(fields) == 2 else None
        try:
            if match is None:
                raise ValueError("expected '<Group6><Counter> <value>'")
            value = _signed(fields[1])
            counters = groups.setdefault(match[1], {})
            if match[2] in counters:
                raise ValueError(f"counter {fields[0]} is repeated")
        except ValueError as exc:
            raise ParseError(str(exc), source=source, line_number=line_number, line=line) from exc
        counters[match[2]] = value
    return [ProtocolStats(group=group, counters=counters) for group, counters in groups.items()]


def parse_socket_link(target: str) -> int | None:
    """The socket inode of a ``/proc/<pid>/fd/<n>`` link target (``socket:[12345]``).

    ``None`` for a link that is not a socket (a file, a pipe, ``anon_inode:...``).
    """
    if target.startswith("socket:[") and target.endswith("]"):
        digits = target[8:-1]
        if digits.isdigit() and digits.isascii():
            return int(digits)
    return None


def parse_comm(data: str | bytes) -> str:
    """The process name from ``/proc/<pid>/comm``: every character kept but the final newline.

    ``comm`` can hold spaces, parentheses and any byte but NUL; bytes that are not UTF-8
    survive as surrogate escapes (``os.fsencode`` gives the original bytes back).
    """
    text = _text(data)
    return text[:-1] if text.endswith("\n") else text
