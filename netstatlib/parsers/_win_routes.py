"""Pure parser for the routing table Windows prints with ``route print`` or ``netstat -r``.

Both commands print the same text. Since Windows Vista it is::

    ===========================================================================
    Interface List
     12...00 1c 42 da 01 6a ......Example Ethernet Adapter
      1...........................Software Loopback Interface 1
     13...00 00 00 00 00 00 00 e0 Microsoft ISATAP Adapter
    ===========================================================================

    IPv4 Route Table
    ===========================================================================
    Active Routes:
    Network Destination        Netmask          Gateway       Interface  Metric
              0.0.0.0          0.0.0.0      10.20.30.1      10.20.30.40     25
         10.20.30.0    255.255.255.0         On-link       10.20.30.40    281
    ===========================================================================
    Persistent Routes:
      Network Address          Netmask  Gateway Address  Metric
         10.99.0.0        255.255.0.0      10.20.30.9  Default
    ===========================================================================

    IPv6 Route Table
    ===========================================================================
    Active Routes:
     If Metric Network Destination      Gateway
      1    331 ::1/128                  On-link
     12    281 fd00:aaaa:bbbb:cccc:1111:2222:3333:4444/128
                                        On-link
    ===========================================================================
    Persistent Routes:
      None

Windows XP and 2000 print no IPv6 table, number interfaces in hex (``0x2 ...``), put
the ``IPv4 Route Table`` title (XP) above the interface list, double the separator
line, add a ``Default Gateway:   10.20.30.1`` line and never print ``On-link``.

Strategy: the titles, headers, ``None`` lines and the on-link word are translated
(``Rutas activas:``, ``En vínculo``, ``Ninguno``), so the parser never looks for an
English word. Each line is classified by its shape, in this order:

* blank lines (or a single space) and separator lines of ``=`` are skipped;
* ``<index>...<physical address>...<description>`` is an interface-list entry;
* a line whose first token is dotted digits is an IPv4 route row, one whose first two
  tokens are numbers an IPv6 route row (``If``, ``Metric``); a row that does not then
  parse raises :class:`~netstatlib.ParseError`;
* an IPv6 row without a gateway has it on the next line, alone and indented: Windows
  wraps a destination longer than its column;
* a line that holds an address anywhere else is an error, except an echoed command
  (``C:\\>route print 10.0.0.0``) and, after route rows, a ``label: address`` line
  (XP's ``Default Gateway:``, redundant with the ``0.0.0.0`` route it repeats);
* any other line (no address in it) is a title or a header and carries no data: a
  title holding ``IPv4`` or ``IPv6`` starts a family's table, and a title ending in
  ``:`` (``Active Routes:``, ``Rutas persistentes:``) starts the next part of it:
  the first is the active part, the second the persistent one.

IPv4 rows say by their shape which part they belong to: an active row ends with the
interface address and an integer metric, a persistent row has no interface column
and may end with a word (``Default``). Where the titles are there too, the two must
agree, or the row is an error. IPv6 rows look alike in both parts, so only the title
count tells them apart; without titles (a pasted fragment) rows count as active.
"""

from __future__ import annotations

import re
import socket

import attrs
import netaddr

from .._errors import ParseError
from .._model import Route, RouteFlags
from ._wintext import decode, lines, number

__all__ = ["WindowsInterface", "parse_interface_list", "parse_routes"]

_AF_INET = socket.AddressFamily.AF_INET
_AF_INET6 = socket.AddressFamily.AF_INET6
_U32_MAX = 0xFFFFFFFF


@attrs.frozen(kw_only=True)
class WindowsInterface:
    """One entry of the Interface List of ``route print``."""

    index: int
    """The interface index (what the IPv6 table's ``If`` column and ``route add ... IF
    n`` refer to); printed in decimal since Vista, in hex (``0x2``) by XP and 2000."""
    mac: netaddr.EUI | None
    """The physical address: a 48-bit EUI for Ethernet and Wi-Fi, a 64-bit one for the
    8-byte addresses of ISATAP, 6to4 and Teredo tunnels (``00 00 00 00 00 00 00 e0``);
    ``None`` when the entry has none (loopback, VPN tunnels: the dots run on up to the
    description) or one of another length, which no EUI can hold."""
    description: str
    """The adapter's description, as printed (``Intel(R) Ethernet Connection I219-V``)."""


# " 12...00 1c 42 da 01 6a ......Example Adapter", "  1.....Software Loopback Interface 1",
# " 13...00 00 00 00 00 00 00 e0 Microsoft ISATAP Adapter" (eight bytes fill the
# 24-character column, so no dots follow), XP's "0x2 ...00 0c 29 aa bb cc ...... Adapter".
# The pattern stops where the description starts, which is the rest of the line without
# its surrounding blanks: matching the description too (".*?" then "\s*" to the end)
# would try every split of a long run of blanks inside it, quadratic in its length.
_INTERFACE = re.compile(
    r"\s*(?P<index>0[xX][0-9A-Fa-f]+|[0-9]+)\s*\.\.\.(?P<mac>(?:[0-9A-Fa-f]{2} ){1,8})?\.*"
)
_IPV4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")
# The first token of an IPv4 row, well formed or not: digits and dots.
_IPV4_START = re.compile(r"[0-9]+\.[0-9.]*")
_IPV6_CHARACTERS = re.compile(r"[0-9A-Fa-f:.]+")
# An address anywhere in a line: a dotted quad (not part of a longer dotted number such
# as a Windows version 10.0.19045.3693), or IPv6 text with "::" or four groups. Groups
# are only tried from the start of a run of hex digits (the look-behind): a match that
# starts inside a run also matches from the run's start, and trying every position of a
# long run would cost the run's length each time, quadratic in all.
_ADDRESS_IN_TEXT = re.compile(
    r"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9])"
    r"|[0-9A-Fa-f]::|::[0-9A-Fa-f]|(?<![0-9A-Fa-f])[0-9A-Fa-f]+(?::[0-9A-Fa-f]+){3,}"
)
# What a gateway column holds when it is an address rather than the on-link word, which
# is letters in the translations seen (Spanish "En vínculo"; Russian keeps "On-link").
_ADDRESS_CHARACTER = re.compile(r"[0-9:]")
# A prompt with the command echoed, pasted along with the output: "C:\>route print -4".
_COMMAND = re.compile(r">\s*(?:route|netstat)(?:\.exe)?\b", re.IGNORECASE)
_TITLE_ENDS = (":", "\uff1a")  # ASCII and fullwidth colon (Chinese, Japanese titles)


def _interface_entry(line: str) -> WindowsInterface | None:
    """The interface-list entry a line holds, or None."""
    match = _INTERFACE.match(line)
    if match is None:
        return None
    index_text = match["index"]
    index = int(index_text[2:], 16) if index_text[1:2] in ("x", "X") else int(index_text)
    mac_text = match["mac"]
    mac = None
    if mac_text is not None:
        raw = bytes.fromhex(mac_text)
        if len(raw) in (6, 8):
            mac = netaddr.EUI(int.from_bytes(raw, "big"), version=len(raw) * 8)
    description = line[match.end() :].strip()
    return WindowsInterface(index=index, mac=mac, description=description)


def parse_interface_list(
    data: str | bytes, *, encoding: str | None = None, source: str = "<string>"
) -> list[WindowsInterface]:
    """The Interface List entries of ``route print`` / ``netstat -r`` output, in order.

    ``data`` is the whole output or any part of it; lines that are not entries are
    ignored, and output without an interface list gives ``[]``. Bytes are decoded as
    :func:`~netstatlib.parsers.windows.decode` does (``encoding`` overrides the guess).
    """
    text = decode(data, encoding, source=source)
    found = []
    for line in lines(text):
        entry = _interface_entry(line)
        if entry is not None:
            found.append(entry)
    return found


def _u32(text: str, what: str) -> int:
    value = number(text)
    if value > _U32_MAX:
        raise ValueError(f"{what} {text} does not fit in 32 bits")
    return value


def _ipv4(text: str) -> int:
    match = _IPV4.fullmatch(text)
    if match is None:
        raise ValueError(f"not an IPv4 address: {text!r}")
    value = 0
    for part in match.groups():
        octet = int(part)
        if octet > 255:
            raise ValueError(f"not an IPv4 address: {text!r}")
        value = value << 8 | octet
    return value


def _ipv6(text: str) -> netaddr.IPAddress:
    # netaddr parses with inet_pton; the pattern first keeps out what that was never
    # meant to see (non-ASCII digits, a "%zone"), so netaddr fails only with its
    # AddrFormatError.
    if ":" not in text or _IPV6_CHARACTERS.fullmatch(text) is None:
        raise ValueError(f"not an IPv6 address: {text!r}")
    return netaddr.IPAddress(text, 6)


def _prefix_length(mask: int, text: str) -> int:
    """The prefix length of a netmask, which must be contiguous: since Vista the stack
    keeps a prefix length (``MIB_IPFORWARD_ROW2.DestinationPrefix``) that ``route print``
    shows as a mask, and a :class:`netaddr.IPNetwork` cannot hold a mask with holes."""
    host_bits = mask ^ _U32_MAX
    if host_bits & (host_bits + 1):
        raise ValueError(f"netmask {text} is not contiguous")
    return 32 - host_bits.bit_length()


def _gateway(tokens: list[str], version: int) -> netaddr.IPAddress | None:
    """The gateway column: an address, or the (translated) on-link word as ``None``.

    The column is whatever sits between the columns around it, so a word of two tokens
    (Spanish ``En vínculo``) needs no list of translations. A column holding digits or
    a colon is meant as an address and must be one.
    """
    if not tokens:
        raise ValueError("the gateway column is empty")
    if len(tokens) == 1 and _ADDRESS_CHARACTER.search(tokens[0]):
        if version == 4:
            return netaddr.IPAddress(_ipv4(tokens[0]), 4)
        return _ipv6(tokens[0])
    if any(_ADDRESS_CHARACTER.search(token) for token in tokens):
        raise ValueError(f"gateway {' '.join(tokens)!r} is neither an address nor a word")
    return None


def _word_or_metric(tokens: list[str]) -> int | None:
    """A persistent route's metric: a number, or a word (``Default``, translated) saying
    the interface's metric applies, which is ``None``."""
    if len(tokens) == 1 and _decimal(tokens[0]):
        return _u32(tokens[0], "metric")
    if not tokens or any(_ADDRESS_CHARACTER.search(token) for token in tokens):
        raise ValueError(f"metric {' '.join(tokens)!r} is neither a number nor a word")
    return None


def _flags(up: bool, gateway: netaddr.IPAddress | None, host: bool) -> RouteFlags:
    flags = RouteFlags.UP if up else RouteFlags(0)
    if gateway is not None:
        flags |= RouteFlags.GATEWAY
    if host:
        flags |= RouteFlags.HOST
    return flags


def _ipv4_row(tokens: list[str], part: int, names: dict[int, str]) -> Route:
    """An IPv4 row of the active part (``part`` 1) or the persistent part (2); ``part``
    0 means no title said which, and the row's shape decides."""
    destination = _ipv4(tokens[0])
    if len(tokens) < 2:
        raise ValueError("an IPv4 route row has a netmask after the destination")
    prefix = _prefix_length(_ipv4(tokens[1]), tokens[1])
    network = netaddr.IPNetwork((destination, prefix), version=4)
    last, interface_column = tokens[-1], tokens[-2]
    active = (
        len(tokens) >= 5
        and _decimal(last)
        and (_IPV4_START.fullmatch(interface_column) is not None or _decimal(interface_column))
    )
    if part == 1 and not active:
        raise ValueError("an active route row ends with an interface address and a metric")
    if part == 2 and active:
        raise ValueError("a persistent route row has no interface column")
    gateway: netaddr.IPAddress | None
    if active:
        interface_address = interface_index = interface = None
        if _decimal(interface_column):
            # XP prints the interface's index instead of an address for an interface
            # that has none. Its interface list numbers interfaces in hex ("0x2"); the
            # column drops the "0x" (published samples show "2" and "4" for 0x2, 0x4).
            interface_index = int(interface_column, 16)
            interface = names.get(interface_index)
        else:
            interface_address = netaddr.IPAddress(_ipv4(interface_column), 4)
        gateway = _gateway(tokens[2:-2], 4)
        if gateway is not None and gateway == interface_address:
            # Windows before Vista has no "On-link": the gateway of a route to a network
            # the host is on is the host's own address on it ("This can be the local
            # network card or a gateway (router) on the local subnet", Microsoft KB
            # 140859, TCP/IP Routing Basics for Windows NT), which is no next hop.
            gateway = None
        return Route(
            family=_AF_INET,
            destination=network,
            gateway=gateway,
            interface=interface,
            metric=_u32(last, "metric"),
            flags=_flags(True, gateway, prefix == 32),
            interface_address=interface_address,
            interface_index=interface_index,
            persistent=False,
        )
    rest = tokens[2:]
    if len(rest) < 2:
        raise ValueError("a persistent route row has a gateway and a metric after the netmask")
    if _ADDRESS_CHARACTER.search(rest[0]):
        gateway = netaddr.IPAddress(_ipv4(rest[0]), 4)
        metric = _word_or_metric(rest[1:])
    elif _decimal(rest[-1]):
        gateway = _gateway(rest[:-1], 4)
        metric = _u32(rest[-1], "metric")
    else:
        # An on-link word followed by a metric word: both are words, and both mean None.
        gateway = _gateway(rest, 4)
        metric = None
    return Route(
        family=_AF_INET,
        destination=network,
        gateway=gateway,
        interface=None,
        metric=metric,
        flags=_flags(False, gateway, prefix == 32),
        persistent=True,
    )


def _ipv6_destination(text: str) -> netaddr.IPNetwork:
    address, slash, length_text = text.partition("/")
    if not slash:
        raise ValueError(f"an IPv6 destination is a prefix (address/length), not {text!r}")
    length = number(length_text)
    if length > 128:
        raise ValueError(f"IPv6 prefix length {length} is out of range")
    return netaddr.IPNetwork((int(_ipv6(address)), length), version=6)


def _ipv6_route(
    fields: tuple[int, int, netaddr.IPNetwork, bool],
    gateway: netaddr.IPAddress | None,
    names: dict[int, str],
) -> Route:
    index, metric, destination, persistent = fields
    # Index 0 is NET_IFINDEX_UNSPECIFIED (ifdef.h): a persistent route stored without
    # an interface ("route -p add ... " with no IF), not an interface.
    interface_index = index or None
    return Route(
        family=_AF_INET6,
        destination=destination,
        gateway=gateway,
        interface=None if interface_index is None else names.get(interface_index),
        metric=metric,
        flags=_flags(not persistent, gateway, destination.prefixlen == 128),
        interface_index=interface_index,
        persistent=persistent,
    )


def parse_routes(
    data: str | bytes, *, encoding: str | None = None, source: str = "<string>"
) -> list[Route]:
    """The routes of ``route print`` / ``netstat -r`` output, IPv4 then IPv6, as printed.

    Active routes have ``persistent=False`` and the ``UP`` flag; entries of the
    Persistent Routes lists (stored configuration that Windows re-applies at boot,
    whether or not it is in effect now) have ``persistent=True`` and no ``UP``.
    ``GATEWAY`` is set for a route through a gateway, ``HOST`` for a full-length prefix.

    IPv4 routes name their interface by address (:attr:`~netstatlib.Route.interface_address`),
    IPv6 routes by index (:attr:`~netstatlib.Route.interface_index`, with
    :attr:`~netstatlib.Route.interface` set to the interface list's description when the
    list is part of ``data``). A persistent route's metric printed as a word
    (``Default``: the interface metric applies) is ``None``.

    Any part of the output parses (a pasted table, ``route print 0.0.0.0``); empty
    input gives ``[]``. A line that starts like a route row but does not parse, or holds
    an address where no row can be, raises :class:`~netstatlib.ParseError` with the
    source, line number and line. See the module docstring for how lines are told apart.
    """
    text = decode(data, encoding, source=source)
    names: dict[int, str] = {}
    routes: list[Route] = []
    part = 0  # title lines ending in ':' seen in the current table: 1 active, 2 persistent
    rows_in_table = 0
    # An IPv6 row whose gateway is on the next line: (line number, line, fields).
    pending: tuple[int, str, tuple[int, int, netaddr.IPNetwork, bool]] | None = None
    line_number = 0
    line = ""
    try:
        for line_number, line in enumerate(lines(text), start=1):
            stripped = line.strip()
            if not stripped:
                continue
            tokens = stripped.split()
            if pending is not None:
                row_number, row_line, fields = pending
                pending = None
                if not line[0].isspace() or _is_separator(stripped) or _is_row(tokens):
                    raise ParseError(
                        "IPv6 route row without a gateway, neither at its end nor alone on "
                        "the next line",
                        source=source,
                        line_number=row_number,
                        line=row_line,
                    )
                routes.append(_ipv6_route(fields, _gateway(tokens, 6), names))
                continue
            if _is_separator(stripped):
                continue
            interface = _interface_entry(line)
            if interface is not None:
                if interface.description:  # a route's interface is a name or None, never ""
                    names[interface.index] = interface.description
                continue
            if _IPV4_START.fullmatch(tokens[0]):
                routes.append(_ipv4_row(tokens, part if part <= 2 else 0, names))
                rows_in_table += 1
                continue
            if len(tokens) >= 2 and _decimal(tokens[0]) and _decimal(tokens[1]):
                if len(tokens) < 3:
                    raise ValueError("an IPv6 route row has a destination after its metric")
                fields = (
                    _u32(tokens[0], "interface index"),
                    _u32(tokens[1], "metric"),
                    _ipv6_destination(tokens[2]),
                    part >= 2,
                )
                rows_in_table += 1
                if len(tokens) == 3:
                    pending = (line_number, line, fields)
                else:
                    routes.append(_ipv6_route(fields, _gateway(tokens[3:], 6), names))
                continue
            if _COMMAND.search(line):
                continue
            if _ADDRESS_IN_TEXT.search(stripped):
                label = stripped[: -len(tokens[-1])].rstrip()
                if not (
                    rows_in_table
                    and label.endswith(_TITLE_ENDS)
                    and not _ADDRESS_IN_TEXT.search(label)
                ):
                    raise ValueError("an address outside a route row")
                # XP's "Default Gateway:  10.20.30.1": the 0.0.0.0 route says it already.
                if ":" in tokens[-1]:
                    _ipv6(tokens[-1])
                else:
                    _ipv4(tokens[-1])
                continue
            if "IPv4" in stripped or "IPv6" in stripped:
                part = rows_in_table = 0
            elif stripped.endswith(_TITLE_ENDS):
                part += 1
                rows_in_table = 0
    except (ValueError, netaddr.AddrFormatError) as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(str(exc), source=source, line_number=line_number, line=line) from exc
    if pending is not None:
        raise ParseError(
            "IPv6 route row without a gateway at the end of the input",
            source=source,
            line_number=pending[0],
            line=pending[1],
        )
    return routes


def _is_separator(stripped: str) -> bool:
    return stripped.strip("=") == ""


def _is_row(tokens: list[str]) -> bool:
    """Whether a line starts like a route row of either family."""
    if _IPV4_START.fullmatch(tokens[0]):
        return True
    return len(tokens) >= 2 and _decimal(tokens[0]) and _decimal(tokens[1])


def _decimal(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also takes ``²`` and other scripts' digits)."""
    return text.isascii() and text.isdigit()
