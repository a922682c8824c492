"""The command line's grammar: Windows ``netstat``'s letters, Linux's habits as long
options, and the reading machinery the ``capture`` subcommand shares.

Strategy: the command line is parsed by hand, not by argparse, because Windows' grammar
is not argparse's: letters are case-insensitive (``-AN`` is ``-an``), and a mistyped
Linux habit (``-tulpn``, where ``-p`` would eat ``n`` as a protocol) deserves a message
that says what was meant. A grammar is an option table (:class:`LongOptions`: flags and
options that take a value, any unique prefix standing for its option, as GNU
``getopt_long`` allows) read from :class:`Words`; every mistake is a
:class:`CommandLineError`, which the command prints as one line, ``netstatlib:
message``, with exit status 2. :func:`parse_args` gives an :class:`Options` value.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NoReturn

import attrs

from .._errors import UsageError
from .._text import safe_text
from ..backends._registry import BACKEND_NAMES
from ..filters import Predicate, compile_filter

__all__ = [
    "CONNECTION_PROTOCOLS",
    "HELP",
    "LINUX_GROUPS",
    "LINUX_KINDS",
    "PROG",
    "STATISTICS_PROTOCOLS",
    "CommandLineError",
    "LongOptions",
    "Options",
    "Words",
    "parse_args",
    "socket_kinds",
]

PROG = "netstatlib"


class CommandLineError(Exception):
    """The command line itself is wrong: one line to stderr, exit status 2."""


# -- reading words -----------------------------------------------------------------------


class Words:
    """The words of a command line, read one at a time (an option may take the next)."""

    def __init__(self, argv: Sequence[str]) -> None:
        self._words = list(argv)
        self._next = 0

    def __bool__(self) -> bool:
        """Whether words are left."""
        return self._next < len(self._words)

    def take(self) -> str:
        """The next word."""
        word = self._words[self._next]
        self._next += 1
        return word


def _suggest(word: str, candidates: Iterable[str], prefix: str = "") -> str:
    """``"; did you mean PREFIX+CANDIDATE?"`` for the candidate closest to ``word``, or
    nothing when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {prefix}{close[0]}?" if close else ""


@attrs.frozen
class LongOptions:
    """The long options of one grammar: ``flags`` (``--json``) and ``valued`` options,
    which take the rest of their word (``--root=DIR``) or the next one (``--root DIR``)."""

    flags: tuple[str, ...]
    valued: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        """Every option, sorted (the order of messages and suggestions)."""
        return sorted([*self.flags, *self.valued])

    def resolve(self, name: str) -> str:
        """The option ``name`` stands for: itself, or the one it is a unique prefix of."""
        if name in self.flags or name in self.valued:
            return name
        names = self.names
        matches = [option for option in names if option.startswith(name)] if name else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(f"--{option}" for option in matches)
            raise CommandLineError(f"ambiguous option --{safe_text(name)}: {shown}")
        raise CommandLineError(f"unknown option --{safe_text(name)}{_suggest(name, names, '--')}")

    def read(self, word: str, words: Words) -> tuple[str, str | None]:
        """The option a ``--name[=value]`` word gives, and its value (``None`` for a
        flag), taking the next word from ``words`` when a valued option needs it."""
        name, equals, value = word[2:].partition("=")
        option = self.resolve(name)
        if option in self.valued:
            if not equals:
                if not words:
                    raise CommandLineError(f"--{option} needs a value")
                value = words.take()
            return option, value
        if equals:
            raise CommandLineError(f"--{option} takes no value")
        return option, None


# -- the netstat grammar -----------------------------------------------------------------

# -p: the sockets of one protocol, as the library's kind names them. Unlike Windows
# netstat, whose "-p tcp" is TCP over IPv4 only (and so hides every IPv6 listener from
# "netstat -anp tcp"), "tcp" and "udp" are both IP versions; "tcpv4"/"udpv4" and
# Windows' "tcpv6"/"udpv6" pick one.
CONNECTION_PROTOCOLS: Mapping[str, str] = MappingProxyType(
    {"tcp": "tcp", "udp": "udp", "tcpv4": "tcp4", "udpv4": "udp4", "tcpv6": "tcp6",
     "udpv6": "udp6"}
)  # fmt: skip
# -s -p: the counter groups of one protocol, read the same way ("tcp" is both versions).
STATISTICS_PROTOCOLS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ip": ("Ip", "IpExt"),
        "ipv6": ("Ip6",),
        "icmp": ("Icmp", "IcmpMsg"),
        "icmpv6": ("Icmp6",),
        "tcp": ("Tcp", "TcpExt", "Tcp6"),
        "tcpv4": ("Tcp", "TcpExt"),
        "tcpv6": ("Tcp6",),  # Linux has no Tcp6: its Tcp counts both families (see below)
        "udp": ("Udp", "Udp6"),
        "udpv4": ("Udp",),
        "udpv6": ("Udp6",),
    }
)
# The Linux habits' socket kinds, and the counter groups they select with -s.
LINUX_KINDS: Mapping[str, str] = MappingProxyType(
    {"tcp": "tcp", "udp": "udp", "udplite": "udplite", "raw": "raw", "unix": "unix"}
)
LINUX_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "tcp": ("Tcp", "TcpExt", "Tcp6", "MPTcpExt"),
        "udp": ("Udp", "Udp6"),
        "udplite": ("UdpLite", "UdpLite6"),
        "raw": ("Ip", "IpExt", "Icmp", "IcmpMsg", "Ip6", "Icmp6"),
    }
)

# Single letters. Windows' meaning wins where Linux differs (-p, -e, -o); Linux's short
# options that Windows gives no meaning netstatlib can serve (-t offload state, -x
# NetworkDirect, -i time in state) take their Linux meaning, and -z is nstat's (zero
# counters too).
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
    "z": "zeros",
    "4": "inet",
    "6": "inet6",
    "h": "help",
    "?": "help",
}
# Letters of Windows (and Linux) netstat that netstatlib does not serve, and why.
_UNSERVED_LETTERS = {
    "f": "Windows netstat's -f (fully qualified names) is not supported: without -n, names "
    "are what reverse DNS gives",
    "q": "Windows netstat's -q (bound, non-listening ports) is not supported",
    "y": "Windows netstat's -y (connection templates) is not supported",
    "v": "Windows netstat's -v (components, with -b) is not supported; --json gives "
    "the components of a Windows capture",
    "c": "Linux netstat's -c (continuous) is an interval here: netstatlib -an 1",
    "Z": "Linux netstat's -Z (SELinux contexts) is not supported; -z (lowercase) shows the "
    "zero counters of -s",
}
_LONG = LongOptions(
    flags=("all", "tcp", "udp", "udplite", "unix", "raw", "listening", "program", "numeric",
           "route", "interfaces", "statistics", "extend", "info", "inet", "inet6", "wide",
           "json", "resolve", "zeros", "help", "version"),
    valued=("filter", "backend", "root"),
)  # fmt: skip


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
    wide: bool = False
    """``-W``/``--wide``: program names whole, however long (Linux's "do not truncate")."""
    info: bool = False
    """``--info``: what only the kernel's socket diagnostics give (``ss -i``)."""
    protocols: tuple[str, ...] = ()
    """``-p`` values, lowercase, in the order given (Windows' names)."""
    kinds: tuple[str, ...] = ()
    """Linux habits given: ``tcp``, ``udp``, ``udplite``, ``raw``, ``unix``."""
    families: tuple[int, ...] = ()
    """``-4``/``-6``: 4, 6 or both; empty for both."""
    route: bool = False
    interfaces: bool = False
    statistics: bool = False
    zeros: bool = False
    """``-z``/``--zeros``: with ``-s``, the counters that are zero too (as ``nstat -z``)."""
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


_PROTOCOL_HELP = "tcp, udp, tcpv4, udpv4, tcpv6 or udpv6; with -s also ip, ipv6, icmp, icmpv6"


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
    if word.lower() in ("watch", "top", "snapshot", "diff"):
        return CommandLineError(f"{word.lower()} is a command of its own: put it first")
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
        close = difflib.get_close_matches(word, _LONG.names, n=1, cutoff=0.75)
        if close:
            return CommandLineError(
                f"unknown option -{safe_text(letter)}{where}; did you mean --{close[0]}?"
            )
    reason = _UNSERVED_LETTERS.get("Z" if letter == "Z" else letter.lower())
    if reason is not None:
        return CommandLineError(f"unknown option -{letter}{where}: {reason}")
    known = " ".join(f"-{key}" for key in _LETTERS if key not in "h?")
    return CommandLineError(
        f"unknown option -{safe_text(letter)}{where}; the letters are {known} (see --help)"
    )


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
    values: dict[str, str] = {}
    flags: set[str] = set()
    protocols: list[str] = []
    kinds: list[str] = []
    families: list[int] = []
    interval: float | None = None
    words = Words(argv)
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
        else:
            flags.add(name)

    while words:
        word = words.take()
        if only_positional or word == "-" or (not word.startswith("-") and word != "/?"):
            positional(word)
        elif word == "--":
            only_positional = True
        elif word == "/?":
            flags.add("help")
        elif word.startswith("--"):
            option, value = _LONG.read(word, words)
            if value is None:
                flag(option)
            else:
                values[option] = value
        else:
            cluster = word
            position = 1
            while position < len(cluster):
                letter = cluster[position]
                position += 1
                if letter == "W":  # Linux's -W (--wide), not Windows' -w (raw)
                    flag("wide")
                    continue
                if letter == "Z":  # Linux's -Z, not -z: a habit must not mean something else
                    raise _unknown_letter(letter, cluster)
                key = letter.lower()  # Windows reads its flags in any case: -AN is -an
                if key == "p":
                    rest = cluster[position:]
                    argument = rest
                    if not rest and words:
                        argument = words.take()
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
        wide="wide" in flags,
        info="info" in flags,
        protocols=tuple(protocols),
        kinds=tuple(kinds),
        families=tuple(sorted(families)),
        route="route" in flags,
        interfaces="interfaces" in flags,
        statistics="statistics" in flags,
        zeros="zeros" in flags,
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
    if options.zeros and not options.statistics:
        raise CommandLineError(
            "-z (--zeros) shows the zero counters of -s: use it with -s (netstatlib -sz)"
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
        socket_kinds(options)  # -6 -p tcp asks for nothing: say so before reading


def socket_kinds(options: Options) -> list[str]:
    """The kinds of :data:`~netstatlib.KINDS` the sockets come from: ``-p``'s and the
    Linux habits' protocols, narrowed by ``-4``/``-6``."""
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
                f"-{version} leaves no protocol: -p tcpv4 and udpv4 are IPv4 only, "
                "tcpv6 and udpv6 IPv6 only (-p tcp and udp are both)"
            )
    return list(dict.fromkeys(kinds))


# -- help --------------------------------------------------------------------------------

HELP = """\
usage: netstatlib [-a] [-n] [-o] [-b] [-p PROTO] [-r] [-e] [-s [-z]] [interval]
       netstatlib [--tcp] [--udp] [--unix] [--raw] [--listening] [--program]
                  [--extend] [--info] [--filter EXPR] [--json] [--backend NAME]
                  [--root DIR] [interval]
       netstatlib capture DIR [--root PROC] [--pid PID] [--no-processes]
       netstatlib watch [INTERVAL] [--json] [--program]   (events, one a line)
       netstatlib top [INTERVAL]          (processes by TCP throughput)
       netstatlib snapshot FILE | diff FILE [FILE2]   (a baseline; a check)
       netstatlib exporter [--listen HOST:PORT] [--pid PID]  (Prometheus)

Connections, listening ports, routes, interface and protocol statistics,
printed as Windows' netstat prints them, on any system netstatlib reads.

Windows netstat's options (letters combine, in any case: -ano, -anp tcp, -AN):
  -a            all connections and listening ports (TCP and UDP)
  -n            numeric addresses, ports and routes; without it, names are
                looked up
  -o            the owning process ID (PID)
  -b            the owning program's name
  -p PROTO      only tcp or udp (IPv4 and IPv6: unlike Windows, where they
                are IPv4 only), tcpv4 or udpv4 (IPv4), tcpv6 or udpv6 (IPv6);
                with -s also ip, ipv6, icmp or icmpv6
  -r            the routing table (default, and gateways' names, unless -n)
  -e            interface statistics (a total, then one line per interface)
  -s            statistics per protocol: the counters that are not zero
  interval      show it again every INTERVAL seconds, until Ctrl-C, each
                display headed by its time (ISO 8601, local time and offset);
                -s and -e show the changes since the previous display

Linux netstat's (and nstat's) habits:
  -t, --tcp         TCP over IPv4 and IPv6 (as -p tcp)
  -u, --udp         UDP over IPv4 and IPv6
  -x, --unix        UNIX domain sockets
  -w, --raw         raw sockets
      --udplite     UDP-Lite sockets
  -l, --listening   only listening sockets
      --program     PID and program name (Linux's -p; here -p is a protocol)
      --extend      user, inode, receive and send queues (Linux's -e)
      --info        TCP internals as ss -i shows them: congestion algorithm,
                    rtt, rto, cwnd, retransmissions, bytes (a live Linux host);
                    the peer's inode for UNIX sockets
  -i, --interfaces  as -e
      --numeric     as -n
      --route       as -r
      --statistics  as -s
  -z, --zeros       with -s, the counters that are zero too (nstat's -z)
  -4, --inet        only IPv4 (-6, --inet6: only IPv6)
  -W, --wide        program names whole (-b ends a long one with … to fit 80
                    columns); addresses and PIDs are never cut

For scripts:
  --filter EXPR   only sockets matching EXPR, in the filter language of ss:
                  "state established dport = :https", "sport = :22"
  --json          the records as one JSON array: the field names of
                  netstatlib's records, addresses as strings, no name lookups;
                  with an interval, {"time": ..., "records": [...]} each time
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
  netstatlib -p tcp           TCP connections, IPv4 and IPv6 (netstat -p tcp)
  netstatlib -anp tcp         every TCP socket, listeners included, numeric
  netstatlib -anp tcpv4       the same over IPv4 only (Windows' -anp tcp)
  netstatlib -r               the routing table (netstat -r, route print)
  netstatlib -e               interface statistics (netstat -e)
  netstatlib -s               statistics per protocol (netstat -s)
  netstatlib -s -p icmp       ICMP statistics only (netstat -s -p icmp)
  netstatlib -sz              every counter, zeros included (nstat -z)
  netstatlib -es              interface, then protocol statistics (netstat -es)
  netstatlib -an 5            all, numeric, every 5 seconds until Ctrl-C
  netstatlib -tln --program   listening TCP ports and programs (netstat -tlnp)
  netstatlib -tn --info       TCP connections with rtt, cwnd, retransmissions
  netstatlib -an --filter "state established dport = :443"
  netstatlib -ao --json       every socket with its process, as JSON
  netstatlib -ano --root DIR  what a capture folder shows

Exit status: 0 done, 1 the source could not be read, 2 a bad command line.
docs/cli.md maps each option to its output and to the library call.
"""
