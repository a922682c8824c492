"""Sockets as Windows' ``netstat`` lists them: which ones, and their tables.

Without ``-a`` only sockets with a peer are listed (:func:`select_sockets`), as netstat
does. :func:`sockets_text` prints the TCP, UDP, UDP-Lite and raw sockets in Windows'
``Active Connections`` table (its columns, state words and order, with Linux's
``--extend`` columns where Linux's ``netstat -e`` puts them) and UNIX sockets in Linux
``netstat -x``'s ``Active UNIX domain sockets`` table.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

from .._model import Connection, Endpoint, NamedEndpoint, Protocol, TcpState
from .._query import connections, listening
from .._table import Table
from .._text import Column, display_width, layout, optional_text, safe_text, section, state_text
from ..backends._base import Backend
from ._grammar import Options, socket_kinds

__all__ = ["select_sockets", "sockets_text"]


def _is_active(row: Connection) -> bool:
    """What netstat lists without -a: sockets with a peer (UNIX: all but listeners)."""
    if row.protocol is Protocol.UNIX:
        return row.state is not TcpState.LISTEN
    return row.remote is not None or row.remote_name is not None


def select_sockets(options: Options, backend: Backend | None) -> Table[Connection]:
    """The sockets the options ask for, read now from ``backend``."""
    kinds = socket_kinds(options)
    processes, details = options.processes, options.info
    if options.listening and not options.all:
        return listening(
            kinds, where=options.filter, processes=processes, details=details, backend=backend
        )
    rows = connections(
        kinds, where=options.filter, processes=processes, details=details, backend=backend
    )
    if options.all:
        return rows
    return rows.where(_is_active)  # keeps the table's notes


# The state words of Windows netstat (MIB_TCP_STATE as netstat prints them).
_STATE_WORDS = {
    TcpState.LISTEN: "LISTENING",
    TcpState.SYN_RECV: "SYN_RECEIVED",
    TcpState.NEW_SYN_RECV: "SYN_RECEIVED",
    TcpState.FIN_WAIT1: "FIN_WAIT_1",
    TcpState.FIN_WAIT2: "FIN_WAIT_2",
    TcpState.CLOSE: "CLOSED",
}
# Linux netstat -x's words for a UNIX socket's state.
_UNIX_STATES = {
    TcpState.LISTEN: "LISTENING",
    TcpState.ESTABLISHED: "CONNECTED",
    TcpState.SYN_SENT: "CONNECTING",
    TcpState.CLOSING: "DISCONNECTING",
}
_PROTOCOL_ORDER = {Protocol.TCP: 0, Protocol.UDP: 1, Protocol.UDPLITE: 2, Protocol.RAW: 3}


def _state_text(row: Connection) -> str:
    return state_text(row, _STATE_WORDS)


def _named_text(name: NamedEndpoint) -> str:
    # resolve_names brackets an IPv6 address kept as host text; a Windows capture may not.
    host = name.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = name.service if name.service is not None else name.port
    return safe_text(f"{host}:{'*' if port is None else port}")


def _local_text(row: Connection) -> str:
    if row.local_name is not None:
        return _named_text(row.local_name)
    return "*:*" if row.local is None else str(row.local)


def _foreign_text(row: Connection) -> str:
    if row.remote_name is not None:
        return _named_text(row.remote_name)
    if row.remote is not None:
        return str(row.remote)
    # No peer: Windows prints a TCP listener's as 0.0.0.0:0 or [::]:0, a UDP socket's as *:*.
    if row.protocol is Protocol.TCP and row.family is socket.AF_INET:
        return "0.0.0.0:0"
    if row.protocol is Protocol.TCP and row.family is socket.AF_INET6:
        return "[::]:0"
    return "*:*"


def _protocol_text(row: Connection) -> str:
    return "UDPLITE" if row.protocol is Protocol.UDPLITE else row.protocol.value.upper()


def _pids_text(row: Connection) -> str:
    return ",".join(map(str, row.pids)) if row.pids else "-"


def _program_text(row: Connection) -> str:
    return safe_text(row.process) if row.process is not None else "-"


def _user_text(uid: int | None, numeric: bool) -> str:
    if uid is None:
        return "-"
    if not numeric:
        try:
            import pwd
        except ImportError:  # Windows
            return str(uid)
        try:
            return safe_text(pwd.getpwuid(uid).pw_name)
        except KeyError:
            pass
    return str(uid)


def _seconds_text(seconds: float) -> str:
    """A duration as ``ss`` prints one: milliseconds below a second."""
    if seconds < 1:
        return f"{seconds * 1000:.3g}ms"
    return f"{seconds:.3g}s"


def _bytes_text(count: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:.3g}{unit}"
    return f"{count}B"


def _info_text(row: Connection) -> str:
    """``--info``: the details ``ss -i`` (and ``-o``) shows, on one line."""
    details = row.details
    if details is None:
        return "-"
    parts: list[str] = []
    if details.congestion is not None:
        parts.append(safe_text(details.congestion))
    info = details.tcp_info
    if info is not None:
        # As ss: no rtt or rto before there is one, no ssthresh while it is not set.
        if info.rtt:
            parts.append(f"rtt:{_seconds_text(info.rtt)}/{_seconds_text(info.rtt_var)}")
        if info.rto:
            parts.append(f"rto:{_seconds_text(info.rto)}")
        parts.append(f"cwnd:{info.snd_cwnd}")
        if info.ssthresh:
            parts.append(f"ssthresh:{info.ssthresh}")
        parts.append(f"retrans:{info.retrans}/{info.total_retrans}")
        for name in ("bytes_sent", "bytes_retrans", "bytes_acked", "bytes_received"):
            value = getattr(info, name)
            if value:
                parts.append(f"{name.removeprefix('bytes_')}:{_bytes_text(value)}")
        if info.delivery_rate:
            parts.append(f"delivery:{_bytes_text(info.delivery_rate * 8).removesuffix('B')}bps")
    if details.timer is not None:
        timer = details.timer
        parts.append(f"timer:{timer.name},{_seconds_text(timer.expires)},{timer.retransmits}")
    if details.backlog is not None:
        parts.append(f"backlog:{details.backlog}")
    return " ".join(parts) or "-"


def _endpoint_key(endpoint: Endpoint | None) -> tuple[int, int, int]:
    if endpoint is None:
        return (0, -1, -1)
    return (endpoint.address.version, int(endpoint.address), endpoint.port)


def _row_key(row: Connection) -> tuple[Any, ...]:
    family = row.family.value if row.family is not None else 0
    return (
        _PROTOCOL_ORDER.get(row.protocol, 9),
        family,
        _endpoint_key(row.local),
        _endpoint_key(row.remote),
        str(row.local_name),
        str(row.remote_name),
    )


# Windows' widths: an address column holds the longest IPv4 endpoint
# (255.255.255.255:65535), the State column the longest state word and two spaces.
_ADDRESS_WIDTH = 21
_STATE_WIDTH = 14
# How much of a program's name -b keeps, at least, when it must be shortened to fit.
PROGRAM_MINIMUM = 8


def _widest(cells: Sequence[Sequence[str]], index: int, cap: int) -> int:
    """The display width of the widest ``cells[*][index]``, at most ``cap``."""
    return min(cap, max((display_width(line[index]) for line in cells), default=0))


def _inet_columns(
    rows: Sequence[Connection], body: Sequence[Sequence[str]], options: Options
) -> list[Column]:
    """The columns of the ``Active Connections`` table whose cells are ``body`` (those
    of ``rows``, in order).

    Without -b and --extend, Windows' layout: addresses 21 wide, the state 14. Beside
    the Program column (-b) and Linux's four --extend columns those do not fit in 80
    columns, so with them the table narrows what has room to spare: the addresses to the
    longest IPv4 one (longer IPv6 addresses and host names push the rest of their own
    line right, as in Windows' layout), the state to the longest word, the PIDs to the
    longest single PID (a socket several processes share pushes its own line). A
    program name longer than what is then left of 80 columns ends in an ellipsis,
    keeping at least PROGRAM_MINIMUM columns: to leave that much, the addresses may
    narrow further, and rows with longer ones push; -W keeps names whole. Addresses,
    PIDs and users are never cut.
    """
    compact = options.program or options.extend
    local = 3 if options.extend else 1  # after Proto (and Recv-Q, Send-Q)
    ipv4 = [cells for row, cells in zip(rows, body, strict=True) if row.family is socket.AF_INET]
    single = [cells for row, cells in zip(rows, body, strict=True) if len(row.pids or ()) < 2]

    def floor(cells: Sequence[Sequence[str]], index: int, cap: int) -> int | None:
        return _widest(cells, index, cap) if compact else None

    columns = [Column("Proto", 5)]
    if options.extend:
        columns += [Column("Recv-Q", right=True), Column("Send-Q", right=True)]
    for index, header in ((local, "Local Address"), (local + 1, "Foreign Address")):
        floor_width = floor(ipv4, index, _ADDRESS_WIDTH)
        columns.append(
            Column(header, _ADDRESS_WIDTH, shrink=True, floor=floor_width, squeeze=compact)
        )
    state_floor = floor(body, local + 2, _STATE_WIDTH)
    columns.append(Column("State", _STATE_WIDTH, shrink=compact, floor=state_floor))
    if options.extend:
        columns += [Column("User"), Column("Inode", right=True)]
    if options.pid:
        pid_floor = floor(single, len(columns), _ADDRESS_WIDTH)
        columns.append(Column("PID", shrink=compact, floor=pid_floor))
    if options.program:
        columns.append(Column("Program", PROGRAM_MINIMUM, cut=not options.wide))
    if options.info:
        columns.append(Column("Info"))
    return columns


def _inet_table(rows: Sequence[Connection], options: Options) -> str:
    rows = sorted(rows, key=_row_key)
    body = []
    for row in rows:
        cells = [_protocol_text(row)]
        if options.extend:
            cells += [optional_text(row.recv_queue, "-"), optional_text(row.send_queue, "-")]
        cells += [_local_text(row), _foreign_text(row), _state_text(row)]
        if options.extend:
            # A capture's uids are another host's: this machine's user names would lie.
            numeric_users = options.numeric or options.root is not None
            cells += [_user_text(row.uid, numeric_users), optional_text(row.inode, "-")]
        if options.pid:
            cells.append(_pids_text(row))
        if options.program:
            cells.append(_program_text(row))
        if options.info:
            cells.append(_info_text(row))
        body.append(cells)
    return section("Active Connections", layout(_inet_columns(rows, body, options), body))


def _unix_table(rows: Sequence[Connection], options: Options) -> str:
    columns = [Column("Proto", 5), Column("Type", 9), Column("State", 13)]
    columns.append(Column("I-Node", right=True))
    if options.info:
        columns.append(Column("Peer", right=True))
    if options.pid:
        columns.append(Column("PID"))
    if options.program:
        columns.append(Column("Program"))
    columns.append(Column("Path"))
    body = []
    for row in sorted(rows, key=lambda row: (row.path is None, row.path or "", row.inode or 0)):
        kind = row.socket_type.name.removeprefix("SOCK_") if row.socket_type is not None else "-"
        state = _UNIX_STATES.get(row.state, row.state.name) if row.state is not None else ""
        cells = ["UNIX", kind, state, optional_text(row.inode, "-")]
        if options.info:
            peer = row.details.peer_inode if row.details is not None else None
            cells.append(optional_text(peer, "-"))
        if options.pid:
            cells.append(_pids_text(row))
        if options.program:
            cells.append(_program_text(row))
        cells.append(safe_text(row.path) if row.path is not None else "")
        body.append(cells)
    return section("Active UNIX domain sockets", layout(columns, body))


def sockets_text(rows: Sequence[Connection], options: Options) -> str:
    """The ``Active Connections`` table, the UNIX sockets' table, or both, as the kinds
    asked for say (``-a --tcp --unix``)."""
    kinds = socket_kinds(options)
    parts = []
    if any(kind != "unix" for kind in kinds):
        inet = [row for row in rows if row.protocol is not Protocol.UNIX]
        parts.append(_inet_table(inet, options))
    if "unix" in kinds:
        unix = [row for row in rows if row.protocol is Protocol.UNIX]
        parts.append(_unix_table(unix, options))
    return "\n".join(parts)
