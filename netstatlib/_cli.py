"""The ``netstatlib`` command: Windows ``netstat``'s flags, its output, and more for scripts.

``netstatlib -ano``, ``netstatlib -anp tcp 5``, ``netstatlib -rn``, ``netstatlib -es``
print what Windows' ``netstat`` prints, from netstatlib's records, on any OS the library
reads; Linux habits are long options beside them (``--tcp``, ``--listening``,
``--program``, ``--extend``), and ``--json``, ``--filter`` (the ``ss`` language),
``--backend`` and ``--root`` (a capture folder) serve scripts. ``netstatlib capture DIR``
saves what the backend reads into a folder (``docs/captures.md``). ``docs/cli.md`` maps
each flag to its output and to the library call that gives the same data.

Strategy: the command line is parsed by hand, not by argparse, because Windows' grammar
is not argparse's: letters are case-insensitive (``-AN`` is ``-an``), and a mistyped
Linux habit (``-tulpn``, where ``-p`` would eat ``n`` as a protocol) deserves a message
that says what was meant. Parsing gives an :class:`Options` value; :func:`render` turns
one reading of the source into text; :func:`main` loops for an interval. Every text
that comes from the system (process names, UNIX paths, interface and host names) goes
through :func:`~netstatlib._text.safe_text` before it reaches the terminal, and tables
are laid out by :func:`~netstatlib._text.layout`, the engine ``print(table)`` uses too.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn, TextIO

import attrs

from ._capture import capture_linux, capture_windows, open_capture
from ._errors import NetstatError, UsageError
from ._model import (
    Connection,
    Endpoint,
    InterfaceStats,
    NamedEndpoint,
    Protocol,
    ProtocolStats,
    Route,
    TcpState,
)
from ._predicates import Predicate
from ._query import connections, interface_stats, listening, protocol_stats, routes
from ._resolve import NameCache, resolve_names
from ._ssfilter import compile_filter
from ._table import Table
from ._text import (
    INTERFACE_COUNTERS,
    Column,
    display_width,
    interface_counter_cells,
    layout,
    optional_text,
    route_flag_letters,
    route_interface_text,
    safe_text,
    section,
    state_text,
)
from .backends._base import Backend
from .backends._select import BACKEND_NAMES, get_backend

__all__ = ["CommandLineError", "Options", "main", "parse_args", "render"]

PROG = "netstatlib"

Resolver = Callable[[str], "str | None"]
Services = Callable[[int, str], "str | None"]


class CommandLineError(Exception):
    """The command line itself is wrong: one line to stderr, exit status 2."""


# -- the grammar -------------------------------------------------------------------------

# Windows netstat's -p: connections of one protocol over one IP version ("tcp" is TCP over
# IPv4, "tcpv6" TCP over IPv6), or with -s the statistics of one protocol.
CONNECTION_PROTOCOLS = {"tcp": "tcp4", "udp": "udp4", "tcpv6": "tcp6", "udpv6": "udp6"}
STATISTICS_PROTOCOLS: dict[str, tuple[str, ...]] = {
    "ip": ("Ip", "IpExt"),
    "ipv6": ("Ip6",),
    "icmp": ("Icmp", "IcmpMsg"),
    "icmpv6": ("Icmp6",),
    "tcp": ("Tcp", "TcpExt"),
    "tcpv6": ("Tcp6",),  # Linux has no Tcp6: its Tcp counts both families (see below)
    "udp": ("Udp",),
    "udpv6": ("Udp6",),
}
# The Linux habits' socket kinds, and the counter groups they select with -s.
LINUX_KINDS = {"tcp": "tcp", "udp": "udp", "udplite": "udplite", "raw": "raw", "unix": "unix"}
LINUX_GROUPS: dict[str, tuple[str, ...]] = {
    "tcp": ("Tcp", "TcpExt", "Tcp6", "MPTcpExt"),
    "udp": ("Udp", "Udp6"),
    "udplite": ("UdpLite", "UdpLite6"),
    "raw": ("Ip", "IpExt", "Icmp", "IcmpMsg", "Ip6", "Icmp6"),
}

# Single letters. Windows' meaning wins where Linux differs (-p, -e, -o); Linux's short
# options that Windows gives no meaning netstatlib can serve (-t offload state, -x
# NetworkDirect, -i time in state) take their Linux meaning.
_LETTERS = {
    "a": "all",
    "b": "name",
    "e": "interfaces",
    "i": "interfaces",
    "l": "listening",
    "n": "numeric",
    "o": "pid",
    "r": "route",
    "s": "statistics",
    "t": "tcp",
    "u": "udp",
    "w": "raw",
    "x": "unix",
    "4": "inet",
    "6": "inet6",
    "h": "help",
    "?": "help",
}
# Letters of Windows netstat that netstatlib does not serve, and why.
_UNSERVED_LETTERS = {
    "f": "Windows netstat's -f (fully qualified names) is not supported: without -n, names "
    "are what reverse DNS gives",
    "q": "Windows netstat's -q (bound, non-listening ports) is not supported",
    "y": "Windows netstat's -y (connection templates) is not supported",
    "v": "Windows netstat's -v (components, with -b) is not supported; --json gives "
    "the components of a Windows capture",
    "c": "Linux netstat's -c (continuous) is an interval here: netstatlib -an 1",
}
_FLAGS = {
    "all": "all",
    "tcp": "tcp",
    "udp": "udp",
    "udplite": "udplite",
    "unix": "unix",
    "raw": "raw",
    "listening": "listening",
    "program": "program",
    "numeric": "numeric",
    "route": "route",
    "interfaces": "interfaces",
    "statistics": "statistics",
    "extend": "extend",
    "inet": "inet",
    "inet6": "inet6",
    "wide": "wide",
    "json": "json",
    "resolve": "resolve",
    "help": "help",
    "version": "version",
}
_VALUED = ("filter", "backend", "root")
_LONG = sorted([*_FLAGS, *_VALUED])


@attrs.frozen(kw_only=True)
class Options:
    """What the command line asks for."""

    all: bool = False
    listening: bool = False
    numeric: bool = False
    resolve: bool = False
    pid: bool = False
    program: bool = False
    extend: bool = False
    protocols: tuple[str, ...] = ()
    """``-p`` values, lowercase, in the order given (Windows' names)."""
    kinds: tuple[str, ...] = ()
    """Linux habits given: ``tcp``, ``udp``, ``udplite``, ``raw``, ``unix``."""
    families: tuple[int, ...] = ()
    """``-4``/``-6``: 4, 6 or both; empty for both."""
    route: bool = False
    interfaces: bool = False
    statistics: bool = False
    json: bool = False
    filter: Predicate | None = None
    filter_text: str | None = None
    backend: str | None = None
    root: str | None = None
    interval: float | None = None
    help: bool = False
    version: bool = False

    @property
    def shows_sockets(self) -> bool:
        """Whether the sockets are listed (neither -r, -e nor -s was given)."""
        return not (self.route or self.interfaces or self.statistics)

    @property
    def processes(self) -> bool:
        """Whether owning processes are looked up (-o, -b, --program)."""
        return self.pid or self.program


def _suggest(word: str, candidates: Iterable[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {prefix}{close[0]}?" if close else ""


_PROTOCOL_HELP = "tcp, udp, tcpv6 or udpv6; with -s also ip, ipv6, icmp, icmpv6"


def _protocol(value: str | None, cluster: str, rest: str) -> str:
    """The protocol ``-p`` names. ``cluster`` is the word -p was in (``-anp``) and
    ``rest`` what followed p in it (``-tulpn``: ``n``), to recognise a Linux habit."""
    key = value.lower() if value else ""
    if key in CONNECTION_PROTOCOLS or key in STATISTICS_PROTOCOLS:
        return key
    shown = "" if not value else f" {safe_text(value)!r}"
    typo = _suggest(key, [*CONNECTION_PROTOCOLS, *STATISTICS_PROTOCOLS]) if key else ""
    if typo:
        return _raise(f"unknown protocol{shown} for -p{typo}")
    letters = cluster[1:].replace("p", "", 1).replace("P", "", 1)
    if (not value or value == rest) and letters and all(c.lower() in _LETTERS for c in letters):
        # -tulpn, -tlnp: Linux's -p (the program) among other letters.
        habit = (
            f"; did you mean -{letters} --program? (Linux netstat's -p, the program, is --program)"
        )
    else:
        habit = "; Linux netstat's -p (the program) is --program here"
    if not value or value.startswith("-"):
        return _raise(f"-p needs a protocol ({_PROTOCOL_HELP}){habit}")
    return _raise(f"-p takes a protocol, not{shown} ({_PROTOCOL_HELP}){habit}")


def _raise(message: str) -> NoReturn:
    raise CommandLineError(message)


def _interval(word: str) -> float:
    try:
        seconds = float(word)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise CommandLineError(
            f"the interval must be a positive number of seconds, not {safe_text(word)!r}"
        )
    return seconds


def _unexpected(word: str) -> CommandLineError:
    text = safe_text(word)
    if word.lower() in CONNECTION_PROTOCOLS or word.lower() in STATISTICS_PROTOCOLS:
        return CommandLineError(f"unexpected argument {text!r}; did you mean -p {word.lower()}?")
    if word.lower() == "capture":
        return CommandLineError("capture is a command of its own: netstatlib capture DIR")
    return CommandLineError(
        f"unexpected argument {text!r}: the only argument is an interval in seconds "
        "(netstatlib -an 5)"
    )


def _unknown_letter(letter: str, cluster: str) -> CommandLineError:
    text = safe_text(cluster)
    where = f" in {text}" if len(cluster) > 2 else ""
    word = cluster[1:].lower()
    # A long option typed with one dash (-json, -numeric, -listening).
    if len(word) > 2:
        close = difflib.get_close_matches(word, _LONG, n=1, cutoff=0.75)
        if close:
            return CommandLineError(
                f"unknown option -{safe_text(letter)}{where}; did you mean --{close[0]}?"
            )
    reason = _UNSERVED_LETTERS.get(letter.lower())
    if reason is not None:
        return CommandLineError(f"unknown option -{letter}{where}: {reason}")
    known = " ".join(f"-{key}" for key in _LETTERS if key not in "h?")
    return CommandLineError(
        f"unknown option -{safe_text(letter)}{where}; the letters are {known} (see --help)"
    )


def _long_option(name: str) -> str:
    """The long option ``name`` stands for: itself, or the one it is a unique prefix of."""
    if name in _FLAGS or name in _VALUED:
        return name
    matches = [option for option in _LONG if option.startswith(name)] if name else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(f"--{option}" for option in matches)
        raise CommandLineError(f"ambiguous option --{safe_text(name)}: {names}")
    raise CommandLineError(f"unknown option --{safe_text(name)}{_suggest(name, _LONG, '--')}")


def _check_backend(name: str) -> str:
    key = name.strip().lower()
    if key not in BACKEND_NAMES:
        known = ", ".join(BACKEND_NAMES)
        raise CommandLineError(
            f"unknown backend {safe_text(name)!r}{_suggest(key, BACKEND_NAMES)} "
            f"(known backends: {known})"
        )
    return key


def parse_args(argv: Sequence[str]) -> Options:
    """Parse the command line (without the program name); raises :class:`CommandLineError`."""
    values: dict[str, Any] = {}
    flags: set[str] = set()
    protocols: list[str] = []
    kinds: list[str] = []
    families: list[int] = []
    interval: float | None = None
    words = list(argv)
    index = 0
    only_positional = False

    def positional(word: str) -> None:
        nonlocal interval
        if interval is not None:
            raise _unexpected(word)
        try:
            interval = _interval(word)
        except CommandLineError:
            if not word.replace(".", "", 1).lstrip("-").isdigit():
                raise _unexpected(word) from None
            raise

    def flag(name: str) -> None:
        if name in LINUX_KINDS:
            if name not in kinds:
                kinds.append(name)
        elif name in ("inet", "inet6"):
            family = 4 if name == "inet" else 6
            if family not in families:
                families.append(family)
        elif name != "wide":  # -W/--wide: nothing is ever truncated anyway
            flags.add(name)

    while index < len(words):
        word = words[index]
        index += 1
        if only_positional or word == "-" or (not word.startswith("-") and word != "/?"):
            positional(word)
        elif word == "--":
            only_positional = True
        elif word == "/?":
            flags.add("help")
        elif word.startswith("--"):
            name, equals, value = word[2:].partition("=")
            option = _long_option(name)
            if option in _VALUED:
                if not equals:
                    if index >= len(words):
                        raise CommandLineError(f"--{option} needs a value")
                    value = words[index]
                    index += 1
                values[option] = value
            elif equals:
                raise CommandLineError(f"--{option} takes no value")
            else:
                flag(_FLAGS[option])
        else:
            cluster = word
            position = 1
            while position < len(cluster):
                letter = cluster[position]
                position += 1
                if letter == "W":
                    continue  # Linux's --wide: accepted, nothing is ever truncated
                key = letter.lower()  # Windows reads its flags in any case: -AN is -an
                if key == "p":
                    rest = cluster[position:]
                    argument = rest
                    if not rest and index < len(words):
                        argument = words[index]
                        index += 1
                    protocols.append(_protocol(argument, cluster, rest))
                    break
                if key not in _LETTERS:
                    raise _unknown_letter(letter, cluster)
                flag(_LETTERS[key])

    options = Options(
        all="all" in flags,
        listening="listening" in flags,
        numeric="numeric" in flags,
        resolve="resolve" in flags,
        # --program is Linux's -p, which prints "PID/Program name": both columns.
        pid="pid" in flags or "program" in flags,
        program="name" in flags or "program" in flags,
        extend="extend" in flags,
        protocols=tuple(protocols),
        kinds=tuple(kinds),
        families=tuple(sorted(families)),
        route="route" in flags,
        interfaces="interfaces" in flags,
        statistics="statistics" in flags,
        json="json" in flags,
        backend=_check_backend(values["backend"]) if "backend" in values else None,
        root=values.get("root"),
        interval=interval,
        help="help" in flags,
        version="version" in flags,
    )
    if "filter" in values:
        try:
            predicate = compile_filter(values["filter"])
        except UsageError as exc:
            raise CommandLineError(f"--filter: {safe_text(str(exc))}") from None
        options = attrs.evolve(options, filter=predicate, filter_text=values["filter"])
    _check_combinations(options)
    return options


def _check_combinations(options: Options) -> None:
    if options.help or options.version:
        return
    if options.numeric and options.resolve:
        raise CommandLineError("-n (numeric) and --resolve (look names up) contradict each other")
    statistic_only = [p for p in options.protocols if p not in CONNECTION_PROTOCOLS]
    if statistic_only and not options.statistics:
        raise CommandLineError(
            f"-p {statistic_only[0]} selects statistics: use it with -s "
            f"(netstatlib -s -p {statistic_only[0]})"
        )
    if not options.shows_sockets and options.filter is not None:
        raise CommandLineError("--filter selects sockets; it cannot be used with -r, -e or -s")
    if options.statistics and "unix" in options.kinds:
        raise CommandLineError("there are no statistics for UNIX sockets (-s with --unix)")
    if options.json and sum([options.route, options.interfaces, options.statistics]) > 1:
        raise CommandLineError(
            "--json prints one kind of record: give one of -r, -e and -s, not several"
        )
    if options.root is not None and options.backend == "psutil":
        raise CommandLineError("--root reads a folder; the psutil backend cannot")
    if options.shows_sockets:
        _socket_kinds(options)  # -6 -p tcp asks for nothing: say so before reading


# -- where the records come from ---------------------------------------------------------


def _source(options: Options) -> Backend | None:
    """The backend: a capture folder (--root), a named one (--backend), or the default."""
    if options.root is None:
        return None if options.backend is None else get_backend(options.backend)
    backend = open_capture(options.root)
    if options.backend is not None and backend.name != options.backend:
        raise CommandLineError(
            f"--root {safe_text(options.root)} holds a {backend.name} capture, "
            f"not one for --backend {options.backend}"
        )
    return backend


def _socket_kinds(options: Options) -> list[str]:
    """The kinds of :data:`~netstatlib.KINDS` the sockets come from."""
    kinds = [CONNECTION_PROTOCOLS[p] for p in options.protocols if p in CONNECTION_PROTOCOLS]
    kinds += [LINUX_KINDS[k] for k in options.kinds]
    if not kinds:
        # Windows: without -a, TCP connections only; with -a, TCP and UDP.
        kinds = ["inet"] if options.all or options.listening else ["tcp"]
    if len(options.families) == 1:
        version = str(options.families[0])
        kinds = [
            kind if kind == "unix" else kind.removesuffix("4").removesuffix("6") + version
            for kind in kinds
            if kind == "unix" or not kind[-1].isdigit() or kind[-1] == version
        ]
        if not kinds:
            raise CommandLineError(
                f"-{version} leaves no protocol: -p tcp and -p udp are IPv4, tcpv6 and udpv6 IPv6"
            )
    return list(dict.fromkeys(kinds))


def _is_active(row: Connection) -> bool:
    """What netstat lists without -a: sockets with a peer (UNIX: all but listeners)."""
    if row.protocol is Protocol.UNIX:
        return row.state is not TcpState.LISTEN
    return row.remote is not None or row.remote_name is not None


def _sockets(options: Options, backend: Backend | None) -> Table[Connection]:
    kinds = _socket_kinds(options)
    if options.listening and not options.all:
        return listening(kinds, where=options.filter, processes=options.processes, backend=backend)
    rows = connections(kinds, where=options.filter, processes=options.processes, backend=backend)
    if options.all:
        return rows
    return Table(row for row in rows if _is_active(row))


# -- sockets -----------------------------------------------------------------------------

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


def _inet_table(rows: Sequence[Connection], options: Options) -> str:
    columns = [Column("Proto", 5)]
    if options.extend:
        columns += [Column("Recv-Q", right=True), Column("Send-Q", right=True)]
    columns += [
        Column("Local Address", 21, shrink=True),
        Column("Foreign Address", 21, shrink=True),
    ]
    columns += [Column("State", 14)]
    if options.extend:
        columns += [Column("User"), Column("Inode", right=True)]
    if options.pid:
        columns += [Column("PID")]
    if options.program:
        columns += [Column("Program")]
    body = []
    for row in sorted(rows, key=_row_key):
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
        body.append(cells)
    return section("Active Connections", layout(columns, body))


def _unix_table(rows: Sequence[Connection], options: Options) -> str:
    columns = [Column("Proto", 5), Column("Type", 9), Column("State", 13)]
    columns.append(Column("I-Node", right=True))
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
        if options.pid:
            cells.append(_pids_text(row))
        if options.program:
            cells.append(_program_text(row))
        cells.append(safe_text(row.path) if row.path is not None else "")
        body.append(cells)
    return section("Active UNIX domain sockets", layout(columns, body))


def _sockets_text(rows: Sequence[Connection], options: Options) -> str:
    kinds = _socket_kinds(options)
    parts = []
    if any(kind != "unix" for kind in kinds):
        inet = [row for row in rows if row.protocol is not Protocol.UNIX]
        parts.append(_inet_table(inet, options))
    if "unix" in kinds:
        unix = [row for row in rows if row.protocol is Protocol.UNIX]
        parts.append(_unix_table(unix, options))
    return "\n".join(parts)


# -- routes ------------------------------------------------------------------------------


def _route_table(rows: Sequence[Route], family: socket.AddressFamily) -> str:
    """IPv4 as ``netstat -rn`` prints it (Destination, Gateway, Genmask), IPv6 as
    ``netstat -6 -rn`` (Destination/prefix, Next Hop)."""
    if family is socket.AF_INET:
        columns = [
            Column("Destination", 15),
            Column("Gateway", 15),
            Column("Genmask", 15),
            Column("Flags"),
            Column("Metric", right=True),
            Column("Iface"),
        ]
        body = [
            [
                str(row.destination.network),
                str(row.gateway) if row.gateway is not None else "0.0.0.0",
                str(row.destination.netmask),
                route_flag_letters(row.flags),
                optional_text(row.metric, "-"),
                route_interface_text(row),
            ]
            for row in rows
        ]
    else:
        columns = [
            Column("Destination", 24, shrink=True),
            Column("Next Hop", 24, shrink=True),
            Column("Flags"),
            Column("Metric", right=True),
            Column("Iface"),
        ]
        body = [
            [
                str(row.destination),
                str(row.gateway) if row.gateway is not None else "::",
                route_flag_letters(row.flags),
                optional_text(row.metric, "-"),
                route_interface_text(row),
            ]
            for row in rows
        ]
    return layout(columns, body)


def _routes_text(rows: Sequence[Route]) -> str:
    parts = []
    for family, name in ((socket.AF_INET, "IPv4"), (socket.AF_INET6, "IPv6")):
        mine = [row for row in rows if row.family is family]
        active = [row for row in mine if not row.persistent]
        parts.append(section(f"{name} Route Table", _route_table(active, family)))
        stored = [row for row in mine if row.persistent]
        if stored:
            parts.append(section(f"{name} Persistent Routes", _route_table(stored, family)))
    return "\n".join(parts)


# -- interface statistics ----------------------------------------------------------------


def _sum(rows: Sequence[InterfaceStats], name: str) -> int | None:
    total = 0
    for row in rows:
        value = getattr(row, name)
        if not isinstance(value, int):
            return None
        total += value
    return total


def _interfaces_text(rows: Sequence[InterfaceStats]) -> str:
    """Windows' ``netstat -e`` block (a total over all interfaces), then, where the
    source has them, one line per interface."""
    lines: list[tuple[str, int | None, int | None]] = [("Bytes", *_pair(rows, "bytes"))]
    unicast = _pair(rows, "unicast_packets")
    non_unicast = _pair(rows, "non_unicast_packets")
    if None in unicast or None in non_unicast:
        lines.append(("Packets", *_pair(rows, "packets")))
    else:
        lines += [("Unicast packets", *unicast), ("Non-unicast packets", *non_unicast)]
    lines += [("Discards", *_pair(rows, "dropped")), ("Errors", *_pair(rows, "errors"))]
    unknown = _sum(rows, "rx_unknown_protocols") if rows else None
    if unknown is not None:
        lines.append(("Unknown protocols", unknown, None))
    table = [f"{'':<19}{'Received':>16}{'Sent':>16}", ""]
    for label, received, sent in lines:
        right = "" if sent is None else f"{sent:>16}"
        table.append(f"{label:<19}{optional_text(received, '-'):>16}{right}".rstrip())
    text = section("Interface Statistics", "\n".join(table))
    named = [row for row in rows if row.name is not None]
    if named:
        columns = [
            Column("Iface", 5),
            Column("MTU", right=True),
            *(Column(header, right=True) for header in INTERFACE_COUNTERS),
        ]
        body = [
            [
                safe_text(row.name or ""),
                optional_text(row.mtu, "-"),
                *interface_counter_cells(row),
            ]
            for row in named
        ]
        text += "\n" + section("Per-interface Statistics", layout(columns, body, indent=0))
    return text


def _pair(rows: Sequence[InterfaceStats], counter: str) -> tuple[int | None, int | None]:
    if not rows:
        return (None, None)
    return (_sum(rows, f"rx_{counter}"), _sum(rows, f"tx_{counter}"))


# -- protocol statistics -----------------------------------------------------------------

_GROUP_TITLES = {
    "Ip": "IPv4 Statistics",
    "IpExt": "IPv4 Extended Statistics",
    "Icmp": "ICMPv4 Statistics",
    "IcmpMsg": "ICMPv4 Statistics by Message Type",
    "Tcp": "TCP Statistics for IPv4",
    "TcpExt": "TCP Extended Statistics",
    "MPTcpExt": "MPTCP Statistics",
    "Udp": "UDP Statistics for IPv4",
    "UdpLite": "UDP-Lite Statistics for IPv4",
    "Ip6": "IPv6 Statistics",
    "Icmp6": "ICMPv6 Statistics",
    "Tcp6": "TCP Statistics for IPv6",
    "Udp6": "UDP Statistics for IPv6",
    "UdpLite6": "UDP-Lite Statistics for IPv6",
}


def _statistics_groups(options: Options, groups: Sequence[str]) -> set[str] | None:
    """The counter groups -p and the Linux habits ask for; ``None`` for all of them."""
    wanted: set[str] = set()
    for protocol in options.protocols:
        chosen = STATISTICS_PROTOCOLS[protocol]
        if protocol == "tcpv6" and "Tcp6" not in groups:
            # Linux counts TCP over IPv4 and IPv6 in one group, Tcp (the TCP MIB of
            # include/net/tcp.h is per namespace, not per family): it is the answer.
            chosen = ("Tcp", "TcpExt")
        wanted.update(chosen)
    for kind in options.kinds:
        wanted.update(LINUX_GROUPS.get(kind, ()))
    return wanted or None


def _selected_statistics(rows: Sequence[ProtocolStats], options: Options) -> list[ProtocolStats]:
    wanted = _statistics_groups(options, [row.group for row in rows])
    return [row for row in rows if wanted is None or row.group in wanted]


def _statistics_text(rows: Sequence[ProtocolStats], all_groups: Sequence[str]) -> str:
    # Linux's Tcp group counts both families; Windows gives Tcp (IPv4) and Tcp6.
    both = "Tcp6" not in all_groups
    parts = []
    for row in rows:
        title = _GROUP_TITLES.get(row.group, f"{row.group} Statistics")
        if row.group == "Tcp" and both:
            title = "TCP Statistics for IPv4 and IPv6"
        names = [safe_text(name) for name in row.counters]
        width = max((display_width(name) for name in names), default=0)
        lines = [
            f"  {name}{' ' * (width - display_width(name))} = {value}"
            for name, value in zip(names, row.counters.values(), strict=True)
        ]
        parts.append(section(f"{title} ({safe_text(row.group)})", "\n".join(lines)))
    return "\n".join(parts)


# -- one display -------------------------------------------------------------------------


def _json_text(records: Sequence[Any]) -> str:
    # One record per line in one array: valid JSON for `jq` and `json.load`, and lines
    # for grep and diff. ensure_ascii (the default) keeps the output ASCII: control
    # characters and escape sequences are escaped (\u001b), and a name that is not valid
    # UTF-8 (kept by netstatlib as surrogate escapes, "\udcff") can still be written and
    # read back exactly, where ensure_ascii=False would fail to encode it.
    dicts = Table(records).to_dicts(plain=True)
    if not dicts:
        return "[]"
    return "[\n" + ",\n".join(json.dumps(item) for item in dicts) + "\n]"


def render(
    options: Options,
    backend: Backend | None,
    *,
    resolver: Resolver | None = None,
    services: Services | None = None,
    resolve_options: dict[str, Any] | None = None,
) -> str:
    """One display: everything the options ask for, read now from ``backend``."""
    parts = []
    if options.shows_sockets:
        rows: Sequence[Connection] = _sockets(options, backend)
        lookup = options.resolve or not (options.numeric or options.json or options.root)
        if lookup:
            # resolve_names leaves raw sockets' "ports" (protocol numbers) and UNIX
            # sockets alone, and keeps names a Windows capture printed.
            rows = resolve_names(
                rows, resolver=resolver, services=services, **(resolve_options or {})
            )
        if options.json:
            return _json_text(rows)
        return _sockets_text(rows, options)
    if options.interfaces:
        stats = interface_stats(backend=backend)
        if options.json:
            return _json_text(stats)
        parts.append(_interfaces_text(stats))
    if options.statistics:
        everything = protocol_stats(backend=backend)
        groups = [row.group for row in everything]
        chosen = _selected_statistics(everything, options)
        if options.json:
            return _json_text(chosen)
        parts.append(_statistics_text(chosen, groups))
    if options.route:
        table = routes(backend=backend)
        if options.json:
            return _json_text(table)
        parts.append(_routes_text(table))
    return "\n".join(parts)


# -- help --------------------------------------------------------------------------------

HELP = """\
usage: netstatlib [-a] [-n] [-o] [-b] [-p PROTO] [-r] [-e] [-s] [interval]
       netstatlib [--tcp] [--udp] [--unix] [--raw] [--listening] [--program]
                  [--extend] [--filter EXPR] [--json] [--backend NAME]
                  [--root DIR] [interval]
       netstatlib capture DIR [--root PROC] [--pid PID] [--no-processes]

Connections, listening ports, routes, interface and protocol statistics,
printed as Windows' netstat prints them, on any system netstatlib reads.

Windows netstat's options (letters combine, in any case: -ano, -anp tcp, -AN):
  -a            all connections and listening ports (TCP and UDP)
  -n            numeric addresses and ports; without it, names are looked up
  -o            the owning process ID (PID)
  -b            the owning program's name
  -p PROTO      only tcp, udp (over IPv4), tcpv6 or udpv6 (over IPv6);
                with -s also ip, ipv6, icmp or icmpv6
  -r            the routing table
  -e            interface statistics (a total, then one line per interface)
  -s            statistics per protocol
  interval      show it again every INTERVAL seconds, until Ctrl-C

Linux netstat's habits:
  -t, --tcp         TCP over IPv4 and IPv6 (-p tcp is IPv4 only, as on Windows)
  -u, --udp         UDP over IPv4 and IPv6
  -x, --unix        UNIX domain sockets
  -w, --raw         raw sockets
      --udplite     UDP-Lite sockets
  -l, --listening   only listening sockets
      --program     PID and program name (Linux's -p; here -p is a protocol)
      --extend      user, inode, receive and send queues (Linux's -e)
  -i, --interfaces  as -e
      --numeric     as -n
      --route       as -r
      --statistics  as -s
  -4, --inet        only IPv4 (-6, --inet6: only IPv6)
  -W, --wide        accepted: addresses are never cut

For scripts:
  --filter EXPR   only sockets matching EXPR, in the filter language of ss:
                  "state established dport = :https", "sport = :22"
  --json          the records as one JSON array: the field names of
                  netstatlib's records, addresses as strings, no name lookups
  --resolve       look names up even with --json or --root
  --backend NAME  linux, windows or psutil (default: this system's, or the
                  NETSTATLIB_BACKEND environment variable)
  --root DIR      read a capture folder (netstatlib capture DIR) or a /proc
                  tree instead of this host; names are not looked up
  -h, --help, -?  this help (--version: the version)

Examples:
  netstatlib                  active TCP connections (netstat)
  netstatlib -a               also listening TCP and UDP ports (netstat -a)
  netstatlib -n               numbers, no name lookups (netstat -n)
  netstatlib -o               with the PID of each connection (netstat -o)
  netstatlib -b               with the program of each connection (netstat -b)
  netstatlib -ano             all, numeric, with PIDs (netstat -ano)
  netstatlib -p tcp           TCP over IPv4 only (netstat -p tcp)
  netstatlib -anp tcp         all TCP over IPv4, numeric (netstat -anp tcp)
  netstatlib -r               the routing table (netstat -r, route print)
  netstatlib -e               interface statistics (netstat -e)
  netstatlib -s               statistics per protocol (netstat -s)
  netstatlib -s -p icmp       ICMP statistics only (netstat -s -p icmp)
  netstatlib -es              interface, then protocol statistics (netstat -es)
  netstatlib -an 5            all, numeric, every 5 seconds until Ctrl-C
  netstatlib -tln --program   listening TCP ports and programs (netstat -tlnp)
  netstatlib -an --filter "state established dport = :443"
  netstatlib -ao --json       every socket with its process, as JSON
  netstatlib -ano --root DIR  what a capture folder shows

Exit status: 0 done, 1 the source could not be read, 2 a bad command line.
docs/cli.md maps each option to its output and to the library call.
"""


# -- capture DIR (unchanged from the first python -m netstatlib) --------------------------


def _capture_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG)
    parser.add_argument(
        "--no-processes",
        action="store_true",
        help="do not look up the process owning each socket (faster)",
    )
    commands = parser.add_subparsers(dest="command", metavar="{capture}")
    capture = commands.add_parser(
        "capture",
        help="save everything the backend reads into a new folder (docs/captures.md)",
        description=(
            "Save the /proc/net files, interface attributes and the socket-to-process map "
            "(Linux), or the outputs of netstat -ano, -rn, -e and -s (Windows), into a new "
            "folder with a manifest, written atomically. Read it back anywhere with "
            "netstatlib.open_capture(DIR) or LinuxProcfs(root=DIR)."
        ),
    )
    capture.add_argument("folder", help="the folder to create (must not exist, or be empty)")
    capture.add_argument("--root", default="/proc", help="the /proc to read (default /proc)")
    capture.add_argument(
        "--pid", type=int, help="capture the network namespace of this process instead"
    )
    capture.add_argument(
        "--no-processes",
        dest="capture_no_processes",
        action="store_true",
        help="leave out the socket-to-process map",
    )
    capture.add_argument(
        "--windows",
        action="store_true",
        default=sys.platform == "win32",
        help="save netstat.exe outputs (the default on Windows)",
    )
    return parser


def _capture(argv: Sequence[str]) -> int:
    options = _capture_parser().parse_args(argv)
    processes = not (options.capture_no_processes or options.no_processes)
    try:
        if options.windows:
            manifest = capture_windows(options.folder, processes=processes)
        else:
            manifest = capture_linux(
                options.folder, root=options.root, pid=options.pid, processes=processes
            )
    except NetstatError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    missing = f"; absent on the source: {', '.join(manifest.missing)}" if manifest.missing else ""
    print(f"captured {len(manifest.files)} files into {options.folder}{missing}")
    return 0


def _is_capture(argv: Sequence[str]) -> bool:
    words = list(argv)
    if words[:1] == ["--no-processes"]:
        words = words[1:]
    return words[:1] == ["capture"]


# -- main --------------------------------------------------------------------------------


def _write(stream: TextIO, text: str) -> None:
    # Whatever the terminal's encoding, never fail on a name: characters it cannot show
    # are written as backslash escapes (control characters are escaped already).
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")
    stream.flush()


def _error(message: str) -> None:
    _write(sys.stderr, f"{PROG}: {safe_text(message)}")


def main(
    argv: Sequence[str] | None = None,
    *,
    resolver: Resolver | None = None,
    services: Services | None = None,
    resolve_timeout: float | None = None,
    resolve_deadline: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    iterations: int | None = None,
) -> int:
    """Run the command; returns the exit status (0 done, 1 source error, 2 usage error).

    The keyword arguments are for tests and embedding, not command-line options:
    ``resolver`` and ``services`` replace reverse DNS and the services database in the
    name lookups (``netstatlib.resolve_names``), ``resolve_timeout`` and
    ``resolve_deadline`` bound them; ``sleep`` waits between the displays of an
    interval and ``iterations`` stops after that many displays.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    if _is_capture(words):
        return _capture(words)
    try:
        options = parse_args(words)
    except CommandLineError as exc:
        _error(str(exc))
        return 2
    if options.help:
        _write(sys.stdout, HELP.rstrip("\n"))
        return 0
    if options.version:
        from . import __version__

        _write(sys.stdout, f"{PROG} {__version__}")
        return 0
    # One cache per run: an interval display asks DNS once per address, and a run never
    # sees another run's answers (tests inject resolvers that disagree).
    resolve_options: dict[str, Any] = {"cache": NameCache()}
    if resolve_timeout is not None:
        resolve_options["timeout"] = resolve_timeout
    if resolve_deadline is not None:
        resolve_options["deadline"] = resolve_deadline
    shown = 0
    try:
        backend = _source(options)
        while True:
            text = render(
                options,
                backend,
                resolver=resolver,
                services=services,
                resolve_options=resolve_options,
            )
            _write(sys.stdout, text)
            shown += 1
            if options.interval is None or (iterations is not None and shown >= iterations):
                return 0
            sleep(options.interval)
    except CommandLineError as exc:
        _error(str(exc))
        return 2
    except NetstatError as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        # Ctrl-C is how an interval display ends (as netstat's): quietly, successfully.
        return 0 if options.interval is not None else 130
    except BrokenPipeError:
        # `netstatlib -a | head`: the reader has gone; say nothing more.
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
