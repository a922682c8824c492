"""Windows ``netstat`` connection listings: ``netstat``, ``-a``, ``-n``, ``-o``, ``-b``, ``-q``.

Strategy: read rows by their *shape*, never by column position or by English words.
Titles and headers are translated ("Aktive Verbindungen", "活动连接"), a header may lack
a column title (French ``-ano`` prints PIDs under no "PID"), column widths change with
the language and a long value overflows its column (German ``SCHLIESSEN_WARTEN``, a long
host name). What does not change is that a row is a protocol word (``TCP``, ``UDP``)
followed by whitespace-separated fields: local endpoint, foreign endpoint, then for TCP
a state (one or more words), then, with ``-o``, a PID. Every line is one of:

* blank: ends a block of rows;
* a row: the first word is ``TCP``/``UDP`` (``TCPv6``/``UDPv6`` accepted);
* an *owner line* (``-b``): any other line right after a row or owner line, with no
  blank line between. The owner block of a row ends with ``[program.exe]``; the lines
  above it are components (the service, such as ``RpcSs``, or with ``-v`` the modules).
  A block without a bracket line must be a single line: the localized "Can not obtain
  ownership information" message, which says the owner is unknown and is never taken
  for a name;
* preamble: the title, the header, a pasted command prompt. At most three such lines
  may stand between blank lines (title, header, prompt); a fourth means the text is not
  a netstat listing and raises :class:`~netstatlib.ParseError`.

Text filtered through ``findstr`` (rows only) therefore parses as well as a full listing.
"""

from __future__ import annotations

import re
import socket
from typing import Literal

import attrs
import netaddr

from .._errors import AccessDeniedError, ParseError, UsageError
from .._model import Connection, Endpoint, NamedEndpoint, Protocol, TcpState
from ._win_services import service_port
from ._wintext import decode, lines, number

__all__ = ["ELEVATION_MESSAGES", "is_elevation_refusal", "parse_connections"]

_INET = socket.AddressFamily.AF_INET
_INET6 = socket.AddressFamily.AF_INET6

# Protocol column -> (protocol, family implied by the word, services-file protocol).
_PROTOCOLS: dict[str, tuple[Protocol, socket.AddressFamily | None, str]] = {
    "TCP": (Protocol.TCP, None, "tcp"),
    "UDP": (Protocol.UDP, None, "udp"),
    "TCPV6": (Protocol.TCP, _INET6, "tcp"),
    "UDPV6": (Protocol.UDP, _INET6, "udp"),
}

# ERROR_ELEVATION_REQUIRED (740), which netstat -b prints alone when not run as
# administrator, in the languages it has been seen in (docs/windows.md gives sources).
# Compared without the final period and case-insensitively.
ELEVATION_MESSAGES: tuple[str, ...] = (
    "The requested operation requires elevation",
    "Der angeforderte Vorgang erfordert erhöhte Rechte",
    "L\u2019opération demandée nécessite une élévation",
    "L'opération demandée nécessite une élévation",
    "La operación solicitada requiere elevación",
    "A operação solicitada requer elevação",
    "L'operazione richiesta richiede l'elevazione dei privilegi",
    "Запрошенная операция требует повышения",
    "Запрошенная операция требует повышения прав",
    "请求的操作需要提升",
    "要求された操作には管理者特権が必要です",
    "요청한 작업을 수행하려면 권한 상승이 필요합니다",
    "Żądana operacja wymaga podniesienia uprawnień",
)
"""The message ``netstat -b`` prints alone, in place of its table, when it is not run as
administrator (``ERROR_ELEVATION_REQUIRED``, 740), in every language it is known in.
:func:`is_elevation_refusal` compares a text with them case-insensitively, without the
final period; :func:`parse_connections` raises :class:`~netstatlib.AccessDeniedError`
for such a text."""
_ELEVATION = frozenset(message.casefold() for message in ELEVATION_MESSAGES)

_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", re.ASCII)
# What Windows prints in brackets: an IPv6 address, with "%zone" (an interface index).
_IPV6_SHAPED = re.compile(r"[0-9A-Za-z:.]+(?:%[0-9A-Za-z_.-]+)?", re.ASCII)
# A service name as the services file spells them: letters, digits, '-', '_', '.', '+'.
_SERVICE = re.compile(r"[A-Za-z][A-Za-z0-9_.+-]*", re.ASCII)
_OWNER = re.compile(r"\[(.*)\]")
_MAX_PREAMBLE = 3

_Parsed = tuple[Endpoint | None, NamedEndpoint | None, socket.AddressFamily | None, bool]


def _address(text: str, version: Literal[4, 6]) -> netaddr.IPAddress | None:
    try:
        return netaddr.IPAddress(text, version, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


def _endpoint(text: str, services: str) -> _Parsed:
    """``(endpoint, name, family, unconnected)`` for one address column.

    ``10.0.0.5:445`` and ``[fe80::1%12]:546`` give an :class:`Endpoint`; ``api:1032``
    gives only a :class:`NamedEndpoint` (the address is not known); ``1.2.3.4:https``
    gives both. ``*:*`` and any port ``0`` (``0.0.0.0:0``, ``[::]:0``, ``Tomek:0``, the
    way netstat shows "no peer" under a resolved name) mean "not connected".
    """
    if text == "*:*":
        return None, None, None, True
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or text[close + 1 : close + 2] != ":":
            raise ValueError(f"expected [ADDRESS]:PORT, got {text!r}")
        host, port_text, bracketed = text[1:close], text[close + 2 :], True
    else:
        host, colon, port_text = text.rpartition(":")
        if not colon or not host or ":" in host or "[" in host or "]" in host:
            raise ValueError(f"expected ADDRESS:PORT, got {text!r}")
        bracketed = False
    if not port_text:
        raise ValueError(f"no port in {text!r}")
    service: str | None = None
    port: int | None
    if port_text.isascii() and port_text.isdigit():
        port = number(port_text)
        if port > 65535:
            raise ValueError(f"port out of range in {text!r}")
        if port == 0:
            return None, None, None, True
    elif _SERVICE.fullmatch(port_text):
        service = port_text
        port = service_port(port_text, services)
    else:
        raise ValueError(f"not a port or service name: {port_text!r}")
    address: netaddr.IPAddress | None = None
    zone: str | None = None
    family: socket.AddressFamily | None = None
    if bracketed:
        if not _IPV6_SHAPED.fullmatch(host):
            raise ValueError(f"not an IPv6 address in brackets: {text!r}")
        literal, percent, zone_text = host.partition("%")
        if percent:
            zone = zone_text
        # An address-shaped text that is no valid address (captures get anonymized by
        # hand: "fe80::asda:4124:2096:62b2") is kept as printed, in the name.
        address = _address(literal, 6)
        family = _INET6
    elif _IPV4.fullmatch(host):
        address = _address(host, 4)
        family = _INET
    endpoint = None
    if address is not None and port is not None:
        endpoint = Endpoint(address=address, port=port, zone=zone)
    name = None
    if address is None or service is not None:
        name = NamedEndpoint(host=host, port=port, service=service)
    return endpoint, name, family, False


def _state(
    words: str, cache: dict[str, tuple[TcpState, str | None]]
) -> tuple[TcpState, str | None]:
    """The state for a state column, and the text to keep when it is not known."""
    try:
        return cache[words]
    except KeyError:
        pass
    try:
        state = TcpState.parse(words)
    except UsageError:
        state = TcpState.UNKNOWN
    # The word is kept whenever the state is unknown, a printed "UNKNOWN" included.
    result = (state, words if state is TcpState.UNKNOWN else None)
    cache[words] = result
    return result


class _Row:
    """A parsed row waiting for its owner lines (``-b``)."""

    __slots__ = ("connection", "owner_lines")

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.owner_lines: list[tuple[int, str]] = []


def _row(
    tokens: list[str],
    states: dict[str, tuple[TcpState, str | None]],
    endpoints: dict[tuple[str, str], _Parsed],
) -> Connection:
    protocol, word_family, services = _PROTOCOLS[tokens[0].upper()]
    if len(tokens) < 3:
        raise ValueError("a connection row has a protocol, a local and a foreign address")
    local_key, remote_key = (tokens[1], services), (tokens[2], services)
    local_parsed = endpoints.get(local_key)
    if local_parsed is None:
        local_parsed = endpoints[local_key] = _endpoint(tokens[1], services)
    remote_parsed = endpoints.get(remote_key)
    if remote_parsed is None:
        remote_parsed = endpoints[remote_key] = _endpoint(tokens[2], services)
    local, local_name, local_family, local_unset = local_parsed
    remote, remote_name, remote_family, remote_unset = remote_parsed
    if local_unset:
        raise ValueError(f"the local address {tokens[1]!r} names no port")
    families = {f for f in (word_family, local_family, remote_family) if f is not None}
    if len(families) > 1:
        raise ValueError("the two addresses are of different families")
    rest = tokens[3:]
    pids: tuple[int, ...] | None = None
    if rest and rest[-1].isascii() and rest[-1].isdigit():
        pid = number(rest.pop())
        # Windows shows PID 0 (the System Idle Process) for what no process owns: a
        # TIME_WAIT connection. That is "no owner", as () is on Linux.
        pids = (pid,) if pid else ()
    state: TcpState | None
    state_text: str | None = None
    if rest:
        state, state_text = _state(" ".join(rest), states)
    elif protocol is Protocol.TCP:
        raise ValueError("a TCP row has a state")
    else:
        # A UDP socket has no state: connected (a peer is shown) or not (*:*).
        state = None if remote_unset else TcpState.ESTABLISHED
    return Connection(
        protocol=protocol,
        family=families.pop() if families else None,
        local=local,
        remote=remote,
        state=state,
        pids=pids,
        state_text=state_text,
        local_name=local_name,
        remote_name=remote_name,
    )


def _finish(row: _Row, source: str) -> Connection:
    owner = row.owner_lines
    if owner:
        match = _OWNER.fullmatch(owner[-1][1].strip())
        if match is not None and match[1].strip():
            return attrs.evolve(
                row.connection,
                process=match[1].strip(),
                components=tuple(text.strip() for _, text in owner[:-1]),
            )
        if len(owner) > 1:
            number_, text = owner[0]
            raise ParseError(
                "unexpected line after a connection row: an owner block (-b) ends with a "
                "[program] line",
                source=source,
                line_number=number_,
                line=text,
            )
        # Otherwise it is the one-line "Can not obtain ownership information" message,
        # in the system's language: the owner is unknown, which None already says.
    return row.connection


def is_elevation_refusal(text: str) -> bool:
    """True if ``text`` is only the "The requested operation requires elevation." line
    (in any language listed in :data:`ELEVATION_MESSAGES`)."""
    content = [line.strip() for line in lines(text) if line.strip()]
    return len(content) == 1 and content[0].rstrip(".。").casefold() in _ELEVATION


def parse_connections(
    data: str | bytes, *, encoding: str | None = None, source: str = "<string>"
) -> list[Connection]:
    """Parse a Windows ``netstat`` connection listing into :class:`~netstatlib.Connection`.

    Accepts the output of ``netstat`` with any of ``-a``, ``-n``, ``-o``, ``-b``, ``-q``,
    ``-p PROTO`` in any language, with or without the title and header (``findstr``
    output), as ``str`` or ``bytes`` (see :func:`~netstatlib.parsers.windows.decode`;
    ``encoding`` overrides the guess).

    Each row gives protocol, family, local and remote endpoints, state (localized words
    mapped; an unknown word is ``TcpState.UNKNOWN`` with the word in ``state_text``) and,
    with ``-o``, ``pids`` (PID 0, what Windows shows for TIME_WAIT, becomes ``()``:
    no owner). With ``-b``, ``process`` is the program named in ``[...]`` and
    ``components`` the lines above it. Host and service names (output without ``-n``)
    are kept in ``local_name``/``remote_name``; ``local``/``remote`` hold an
    :class:`~netstatlib.Endpoint` only when both numbers are known. uid, inode and
    queues are not in netstat's output and stay ``None``.

    Raises :class:`~netstatlib.AccessDeniedError` for the lone "The requested operation
    requires elevation." of ``netstat -b`` without administrator rights, and
    :class:`~netstatlib.ParseError` (with line number and line) for anything that is
    not a netstat listing.
    """
    text = decode(data, encoding, source=source)
    text_lines = lines(text)
    if is_elevation_refusal(text):
        message = text.strip()
        raise AccessDeniedError(
            f"netstat refused: {message!r} (netstat -b needs an administrator prompt; "
            "run it elevated, or use -ano and look the PIDs up)",
            path=source,
        )
    result: list[Connection] = []
    states: dict[str, tuple[TcpState, str | None]] = {}
    endpoints: dict[tuple[str, str], _Parsed] = {}
    pending: _Row | None = None
    in_rows = False
    preamble = 0
    for line_number, line in enumerate(text_lines, start=1):
        tokens = line.split()
        if not tokens:
            in_rows = False
            preamble = 0
            continue
        if tokens[0].upper() in _PROTOCOLS:
            if pending is not None:
                result.append(_finish(pending, source))
            try:
                pending = _Row(_row(tokens, states, endpoints))
            except ValueError as exc:
                raise ParseError(
                    str(exc), source=source, line_number=line_number, line=line
                ) from exc
            in_rows = True
            continue
        if in_rows and pending is not None:
            pending.owner_lines.append((line_number, line))
            continue
        preamble += 1
        if preamble > _MAX_PREAMBLE:
            raise ParseError(
                "expected a connection row (TCP or UDP followed by two addresses)",
                source=source,
                line_number=line_number,
                line=line,
            )
    if pending is not None:
        result.append(_finish(pending, source))
    return result
