"""Windows ``netstat -e`` (interface totals) and ``netstat -s`` (protocol statistics).

Strategy: recognize every line by its *shape*, never by English words, because titles and
labels are translated ("TCP-Statistik für IPv4", "Empfangene Pakete") while the shapes
are not. A non-blank line is, checked in this order:

* a *value row*: ``label = number`` (``-s`` IP, TCP and UDP sections);
* a *column row*: a label followed by numbers (``-e`` rows, ``-s`` ICMP rows, whose two
  numbers are Received and Sent);
* a *section title*: a line naming a protocol as a whole token -- ``IPv4``, ``IPv6``,
  ``ICMPv4``, ``ICMPv6``, ``TCP``, ``UDP`` (and the unversioned ``IP``/``ICMP`` of
  Windows NT-era titles, meaning IPv4), in any case, with punctuation or non-Latin letters
  around it ("Statistiques TCP pour IPv4", "IPv4-Statistik"). These tokens survive
  translation: the title is printed from a message with the protocol as an inserted
  string (``%1!s! Statistics`` in netstat's message table ``netstmsg.mc``);
* anything else is a line of words: netstat's ``-e`` title and its Received/Sent header,
  an ICMP section's Received/Sent header, or a pasted command prompt before the first
  section.

The ``-e`` block is what comes before the first section title (``netstat -e -s`` prints
it first), so each parser skips the other's part: :func:`parse_interface_stats` stops at
the first title and :func:`parse_protocol_stats` checks the rows before it as an ``-e``
block and otherwise ignores them.

Counters get the names Linux gives the same quantity (``/proc/net/snmp`` and
``/proc/net/snmp6``, which follow the MIB-II objects of RFC 1213 and RFC 4293 that
Windows' ``MIB_IPSTATS``, ``MIB_ICMP``, ``MIB_TCPSTATS`` and ``MIB_UDPSTATS`` structures
in ``iphlpapi`` also follow), found from the English label or, for a translated section
with the known number of rows, from the row's position. A label this module cannot name
keeps a name derived from it (``Routing Discards`` -> ``RoutingDiscards``): nothing is
dropped.

Every malformed input raises :class:`~netstatlib.ParseError` carrying the source, the
1-based line number and the line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Literal, NamedTuple

from .._errors import ParseError
from .._model import InterfaceStats, ProtocolStats
from ._wintext import decode, lines, number

__all__ = ["parse_interface_stats", "parse_protocol_stats"]

_Kind = Literal["ip", "icmp", "tcp", "udp"]

# A counter's destination: the group and one name per printed value (one for a
# "label = value" row, two -- received, sent -- for an ICMP row).
_Target = tuple[str, tuple[str, ...]]


def _io(group: str, name: str) -> _Target:
    """An ICMP row's target: ``Received`` is ``In<name>``, ``Sent`` is ``Out<name>``."""
    return group, (f"In{name}", f"Out{name}")


# --- English labels, in print order, with the Linux names -------------------------------
#
# The print order is that of netstat's message table and of every capture seen (English
# Windows 7 and 10, German Windows 8.1); a translated netstat prints the same rows in the
# same order, which is what lets a translated section be read by position (the German
# capture is in the README of the GitHub repository ChristianRe/CRWinNetDiag).

# MIB_IPSTATS members (dwInReceives, ...), which are RFC 1213's ipInReceives, ...; Linux
# prints them in /proc/net/snmp "Ip:" and, RFC 4293-style, in /proc/net/snmp6 "Ip6...".
_IP_ROWS: tuple[tuple[str, str], ...] = (
    ("Packets Received", "InReceives"),
    ("Received Header Errors", "InHdrErrors"),
    ("Received Address Errors", "InAddrErrors"),
    ("Datagrams Forwarded", "ForwDatagrams"),  # Ip6: OutForwDatagrams, see _IP6_NAMES
    ("Unknown Protocols Received", "InUnknownProtos"),
    ("Received Packets Discarded", "InDiscards"),
    ("Received Packets Delivered", "InDelivers"),
    ("Output Requests", "OutRequests"),
    # dwRoutingDiscards: "valid datagrams discarded" (RFC 1213 ipRoutingDiscards, routing
    # entries discarded to free memory); Linux has no such counter.
    ("Routing Discards", "RoutingDiscards"),
    ("Discarded Output Packets", "OutDiscards"),
    ("Output Packet No Route", "OutNoRoutes"),
    ("Reassembly Required", "ReasmReqds"),
    ("Reassembly Successful", "ReasmOKs"),
    ("Reassembly Failures", "ReasmFails"),
    ("Datagrams Successfully Fragmented", "FragOKs"),
    ("Datagrams Failing Fragmentation", "FragFails"),
    ("Fragments Created", "FragCreates"),
)
# Rows netstat's message table (netstmsg.mc, Windows XP/2003 era) can print after the
# seventeen above; never seen in a modern capture. Named as Linux's Ip group names them.
_IP_EXTRA: tuple[tuple[str, str], ...] = (
    ("Forwarding", "Forwarding"),
    ("Default Time-To-Live", "DefaultTTL"),
    ("Reassembly Timeout", "ReasmTimeout"),
)

# MIB_TCPSTATS (dwActiveOpens, ...) = RFC 1213 tcpActiveOpens, ...; Linux "Tcp:".
_TCP_ROWS: tuple[tuple[str, str], ...] = (
    ("Active Opens", "ActiveOpens"),
    ("Passive Opens", "PassiveOpens"),
    ("Failed Connection Attempts", "AttemptFails"),
    ("Reset Connections", "EstabResets"),
    ("Current Connections", "CurrEstab"),  # a gauge, as on Linux
    ("Segments Received", "InSegs"),
    ("Segments Sent", "OutSegs"),
    ("Segments Retransmitted", "RetransSegs"),
)
# netstmsg.mc again: the RFC 1213 tcpRto* and tcpMaxConn objects (MIB_TCPSTATS
# dwRtoAlgorithm, dwRtoMin, dwRtoMax, dwMaxConn). The algorithm prints as "vanj (4)".
_TCP_EXTRA: tuple[tuple[str, str], ...] = (
    ("Retransmission Timeout Algorithm", "RtoAlgorithm"),
    ("Minimum Retransmission Timeout", "RtoMin"),
    ("Maximum Retransmission Timeout", "RtoMax"),
    ("Maximum Number of Connections", "MaxConn"),
)

# MIB_UDPSTATS (dwInDatagrams, ...) = RFC 1213 udpInDatagrams, ...; Linux "Udp:" and
# "Udp6...".
_UDP_ROWS: tuple[tuple[str, str], ...] = (
    ("Datagrams Received", "InDatagrams"),
    ("No Ports", "NoPorts"),
    ("Receive Errors", "InErrors"),
    ("Datagrams Sent", "OutDatagrams"),
)

# MIBICMPINFO / MIB_ICMP (icmpInStats, icmpOutStats: dwMsgs, dwErrors, dwDestUnreachs,
# ...) = RFC 1213 icmpInMsgs, ...; Linux "Icmp:". Windows Vista and later count by ICMP
# type (MIB_ICMP_EX rgdwTypeCount) and also print Router Solicitations (type 10) and
# Router Advertisements (type 9), which Linux's Icmp group has no name for: Linux counts
# every type in the IcmpMsg group as InType<N>/OutType<N> (net/ipv4/proc.c), so they go
# there.
_ICMP4: dict[str, _Target] = {
    "Messages": _io("Icmp", "Msgs"),
    "Errors": _io("Icmp", "Errors"),
    "Destination Unreachable": _io("Icmp", "DestUnreachs"),
    "Time Exceeded": _io("Icmp", "TimeExcds"),
    "Parameter Problems": _io("Icmp", "ParmProbs"),
    "Source Quenches": _io("Icmp", "SrcQuenchs"),
    "Redirects": _io("Icmp", "Redirects"),
    "Echo Replies": _io("Icmp", "EchoReps"),
    "Echos": _io("Icmp", "Echos"),
    "Timestamps": _io("Icmp", "Timestamps"),
    "Timestamp Replies": _io("Icmp", "TimestampReps"),
    "Address Masks": _io("Icmp", "AddrMasks"),
    "Address Mask Replies": _io("Icmp", "AddrMaskReps"),
    "Router Solicitations": _io("IcmpMsg", "Type10"),
    "Router Advertisements": _io("IcmpMsg", "Type9"),
}
# Windows 7/8.1/10 (captures): fifteen rows, "Echo Replies" before "Echos".
_ICMP4_LAYOUT = tuple(_ICMP4)
# Windows XP/2003 (netstmsg.mc, and an English XP-era paste): thirteen rows, "Echos"
# before "Echo Replies", no router rows. Used only to read a translated XP section.
_ICMP4_LAYOUT_XP = (*_ICMP4_LAYOUT[:7], "Echos", "Echo Replies", *_ICMP4_LAYOUT[9:13])

# Linux "Icmp6..." in /proc/net/snmp6 (net/ipv6/proc.c: icmp6_list and icmp6type2name).
# Router Renumbering (ICMPv6 type 138) has no name there; Linux prints every type it saw
# as Icmp6InType<N>/Icmp6OutType<N>, hence Type138.
_ICMP6: dict[str, _Target] = {
    "Messages": _io("Icmp6", "Msgs"),
    "Errors": _io("Icmp6", "Errors"),
    "Destination Unreachable": _io("Icmp6", "DestUnreachs"),
    "Packet Too Big": _io("Icmp6", "PktTooBigs"),
    "Time Exceeded": _io("Icmp6", "TimeExcds"),
    "Parameter Problems": _io("Icmp6", "ParmProblems"),
    "Echos": _io("Icmp6", "Echos"),
    "Echo Replies": _io("Icmp6", "EchoReplies"),
    "MLD Queries": _io("Icmp6", "GroupMembQueries"),
    "MLD Reports": _io("Icmp6", "GroupMembResponses"),
    "MLD Dones": _io("Icmp6", "GroupMembReductions"),
    "Router Solicitations": _io("Icmp6", "RouterSolicits"),
    "Router Advertisements": _io("Icmp6", "RouterAdvertisements"),
    "Neighbor Solicitations": _io("Icmp6", "NeighborSolicits"),
    "Neighbor Advertisements": _io("Icmp6", "NeighborAdvertisements"),
    "Redirects": _io("Icmp6", "Redirects"),
    "Router Renumberings": _io("Icmp6", "Type138"),
}
_ICMP6_LAYOUT = tuple(_ICMP6)


def _key(label: str) -> str:
    """A label compared without case and with runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFC", label).casefold().split())


def _value_targets(group: str, rows: Sequence[tuple[str, str]]) -> dict[str, _Target]:
    return {_key(label): (group, (name,)) for label, name in rows}


# Section (kind, IP version) -> Linux group.
_GROUPS: dict[tuple[_Kind, int], str] = {
    ("ip", 4): "Ip",
    ("ip", 6): "Ip6",
    ("icmp", 4): "Icmp",
    ("icmp", 6): "Icmp6",
    # Linux has no Tcp6 group: its one TCP MIB counts both families (/proc/net/snmp
    # "Tcp:"; /proc/net/snmp6 has no TCP lines). Windows counts them apart, so its IPv6
    # counters get a group of their own: add Tcp and Tcp6 to compare with Linux.
    ("tcp", 4): "Tcp",
    ("tcp", 6): "Tcp6",
    ("udp", 4): "Udp",
    ("udp", 6): "Udp6",
}

# Group -> (known English label -> target).
_NAMES: dict[str, dict[str, _Target]] = {
    "Ip": _value_targets("Ip", _IP_ROWS + _IP_EXTRA),
    # RFC 4293 ipSystemStatsOutForwDatagrams; Linux names it so in Ip6 only.
    "Ip6": _value_targets(
        "Ip6",
        [
            (label, "OutForwDatagrams" if name == "ForwDatagrams" else name)
            for label, name in _IP_ROWS
        ]
        + list(_IP_EXTRA),
    ),
    "Icmp": {_key(label): target for label, target in _ICMP4.items()},
    "Icmp6": {_key(label): target for label, target in _ICMP6.items()},
    "Tcp": _value_targets("Tcp", _TCP_ROWS + _TCP_EXTRA),
    "Tcp6": _value_targets("Tcp6", _TCP_ROWS + _TCP_EXTRA),
    "Udp": _value_targets("Udp", _UDP_ROWS),
    "Udp6": _value_targets("Udp6", _UDP_ROWS),
}

# Group -> the English row sequences a section of that group is known to print; a
# translated section with as many rows as one of them is read by position.
_LAYOUTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Ip": (tuple(label for label, _ in _IP_ROWS),),
    "Ip6": (tuple(label for label, _ in _IP_ROWS),),
    "Icmp": (_ICMP4_LAYOUT, _ICMP4_LAYOUT_XP),
    "Icmp6": (_ICMP6_LAYOUT,),
    "Tcp": (tuple(label for label, _ in _TCP_ROWS),),
    "Tcp6": (tuple(label for label, _ in _TCP_ROWS),),
    "Udp": (tuple(label for label, _ in _UDP_ROWS),),
    "Udp6": (tuple(label for label, _ in _UDP_ROWS),),
}

# Where an ICMP "Type <N>" row goes (XP's netstmsg.mc MSG_ICMP6_TYPECOUNT prints one per
# ICMP type with no row of its own): Linux's IcmpMsg group for IPv4, Icmp6 for IPv6.
_TYPE_GROUPS = {"Icmp": "IcmpMsg", "Icmp6": "Icmp6"}

# A protocol named as a whole token: no ASCII letter or digit right before or after, so
# "IPv4-Statistik" and "IPv4统计" match but "TCPIP" or "ship" do not.
_PROTOCOL_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(icmpv4|icmpv6|icmp|ipv4|ipv6|ip|tcp|udp)(?![A-Za-z0-9])", re.IGNORECASE
)

# The value of "Retransmission Timeout Algorithm = vanj (4)": RFC 1213 tcpRtoAlgorithm's
# name and number (other 1, constant 2, rsre 3, vanj 4), per netstmsg.mc.
_RTO_VALUE = re.compile(r"[A-Za-z]+ \((\d+)\)")

# MIB_TCPSTATS.dwMaxConn is MIB_TCP_MAXCONN_DYNAMIC (-1) when the limit is variable, and
# netstat prints it unsigned; Linux's MaxConn prints -1 for the same thing.
_MAXCONN_DYNAMIC = 2**32 - 1

# The six rows of "netstat -e", in print order (netstmsg.mc MSG_IF_OCTETS ...
# MSG_IF_UNKNOWNPROTOS): Bytes, Unicast packets, Non-unicast packets, Discards, Errors,
# Unknown protocols. All have Received and Sent columns except the last (received only).
_INTERFACE_ROWS = 6


class _Row(NamedTuple):
    line_number: int
    line: str
    label: str
    values: tuple[int, ...]
    icmp_type: int | None  # set for an ICMP per-type row ("Type 142")


class _Section:
    __slots__ = ("group", "header_seen", "kind", "line", "line_number", "rows")

    def __init__(self, group: str, kind: _Kind, line_number: int, line: str) -> None:
        self.group = group
        self.kind = kind
        self.line_number = line_number
        self.line = line
        self.rows: list[_Row] = []
        self.header_seen = False


def _is_number(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _error(message: str, source: str, line_number: int, line: str) -> ParseError:
    return ParseError(message, source=source, line_number=line_number, line=line)


def _title(line: str, line_number: int, source: str) -> tuple[str, _Kind] | None:
    """The group and kind a section title names, or ``None`` if it names no protocol."""
    tokens = {token.lower() for token in _PROTOCOL_TOKEN.findall(line)}
    if not tokens:
        return None
    kinds: set[_Kind] = set()
    versions: set[int] = set()
    for token in tokens:
        if token.endswith(("v4", "v6")):
            versions.add(int(token[-1]))
        if token.startswith("icmp"):
            kinds.add("icmp")
        elif token == "tcp":
            kinds.add("tcp")
        elif token == "udp":
            kinds.add("udp")
    if len(kinds) > 1 or len(versions) > 1:
        raise _error("a section title names more than one protocol", source, line_number, line)
    kind: _Kind = kinds.pop() if kinds else "ip"
    # An unversioned title ("IP Statistics", "TCP Statistics") is from Windows NT/2000,
    # whose stack was IPv4 only.
    version = versions.pop() if versions else 4
    return _GROUPS[kind, version], kind


def _is_title_line(tokens: list[str], line: str) -> bool:
    return (
        "=" not in line and not _is_number(tokens[-1]) and _PROTOCOL_TOKEN.search(line) is not None
    )


def _interface_block(
    prefix: Sequence[tuple[int, str]], source: str, *, required: bool
) -> InterfaceStats | None:
    """The ``netstat -e`` total from the lines before the first section title.

    Lines of words before the first row are the title and the Received/Sent header; then
    come exactly six rows. ``None`` if there is no row at all (and ``required`` is false).
    Without ``required`` (for :func:`parse_protocol_stats`, where rows before the first
    section can only be an ``-e`` block), errors say so.
    """
    try:
        return _read_interface_block(prefix, source, required=required)
    except ParseError as exc:
        if required:
            raise
        raise ParseError(
            f"rows outside any statistics section, not a netstat -e block: {exc.message}",
            source=source,
            line_number=exc.line_number,
            line=exc.line,
        ) from None


def _read_interface_block(
    prefix: Sequence[tuple[int, str]], source: str, *, required: bool
) -> InterfaceStats | None:
    rows: list[tuple[int, str, list[str]]] = []
    for line_number, line in prefix:
        tokens = line.split()
        if "=" in line:
            raise _error(
                "a 'label = value' row outside any statistics section", source, line_number, line
            )
        if _is_number(tokens[-1]):
            if len(rows) == _INTERFACE_ROWS:
                raise _error(
                    f"netstat -e prints {_INTERFACE_ROWS} rows; this is one more",
                    source,
                    line_number,
                    line,
                )
            rows.append((line_number, line, tokens))
        elif rows:
            raise _error(
                "expected a netstat -e row (a label and one or two numbers)",
                source,
                line_number,
                line,
            )
    if not rows:
        if required and prefix:
            line_number, line = prefix[0]
            raise _error("no netstat -e rows found", source, line_number, line)
        return None
    if len(rows) < _INTERFACE_ROWS:
        line_number, line, _ = rows[-1]
        raise _error(
            f"netstat -e prints {_INTERFACE_ROWS} rows, found {len(rows)}",
            source,
            line_number,
            line,
        )
    values: list[list[int]] = []
    for index, (line_number, line, tokens) in enumerate(rows):
        expected = 1 if index == _INTERFACE_ROWS - 1 else 2
        found = 0
        while found < len(tokens) and _is_number(tokens[-1 - found]):
            found += 1
        if found != expected or len(tokens) == found:
            column = "number (received)" if expected == 1 else "numbers (received, sent)"
            raise _error(
                f"expected a label and {expected} {column}, found {found} numbers",
                source,
                line_number,
                line,
            )
        try:
            values.append([number(token) for token in tokens[-expected:]])
        except ValueError as exc:
            raise _error(str(exc), source, line_number, line) from exc
    (rx_bytes, tx_bytes), (rx_ucast, tx_ucast), (rx_nucast, tx_nucast) = values[:3]
    (rx_discards, tx_discards), (rx_errors, tx_errors), (rx_unknown,) = values[3:]
    return InterfaceStats(
        name=None,
        rx_bytes=rx_bytes,
        # Windows counts unicast and non-unicast (broadcast + multicast) packets apart,
        # as RFC 1213's ifInUcastPkts / ifInNUcastPkts (MIB_IFROW dwInUcastPkts,
        # dwInNUcastPkts); rx_packets/tx_packets are their sums.
        rx_packets=rx_ucast + rx_nucast,
        rx_errors=rx_errors,
        rx_dropped=rx_discards,
        rx_fifo_errors=None,
        rx_frame_errors=None,
        rx_compressed=None,
        multicast=None,
        tx_bytes=tx_bytes,
        tx_packets=tx_ucast + tx_nucast,
        tx_errors=tx_errors,
        tx_dropped=tx_discards,
        tx_fifo_errors=None,
        collisions=None,
        tx_carrier_errors=None,
        tx_compressed=None,
        rx_unicast_packets=rx_ucast,
        rx_non_unicast_packets=rx_nucast,
        tx_unicast_packets=tx_ucast,
        tx_non_unicast_packets=tx_nucast,
        rx_unknown_protocols=rx_unknown,
    )


def parse_interface_stats(
    data: str | bytes, *, encoding: str | None = None, source: str = "<string>"
) -> list[InterfaceStats]:
    """Parse ``netstat -e`` (or the ``-e`` part of ``netstat -e -s``).

    ``netstat -e`` prints one total over all interfaces, so the result is one
    :class:`~netstatlib.InterfaceStats` with ``name=None`` (:attr:`~InterfaceStats.is_total`),
    or ``[]`` for an empty text. Its six rows are read by position, whatever their
    (translated) labels: Bytes, Unicast packets, Non-unicast packets, Discards, Errors
    (each received and sent) and Unknown protocols (received only). ``rx_packets`` and
    ``tx_packets`` are unicast plus non-unicast packets; Discards are ``rx_dropped`` /
    ``tx_dropped``. Counters Windows does not print (FIFO, frame, compression,
    multicast, collision, carrier) and ``mtu``, ``is_up``, ``speed_mbps`` are ``None``.

    Statistics sections after the block (``netstat -e -s``) are ignored. ``encoding`` is
    for ``bytes`` (see :func:`~netstatlib.parsers.windows.decode`); ``source`` names the
    text in errors.
    """
    text = decode(data, encoding, source=source)
    prefix: list[tuple[int, str]] = []
    for line_number, line in enumerate(lines(text), start=1):
        tokens = line.split()
        if not tokens:
            continue
        if _is_title_line(tokens, line):
            if not prefix:
                # netstat -s without -e: a statistics section comes first.
                raise _error("no netstat -e block before this section", source, line_number, line)
            break
        prefix.append((line_number, line))
    if not prefix:
        return []
    stats = _interface_block(prefix, source, required=True)
    assert stats is not None  # required=True raises instead
    return [stats]


def _derived(label: str) -> str:
    """A counter name made from a label: its words CamelCased and joined.

    Only letters and digits are kept (``Default Time-To-Live`` -> ``DefaultTimeToLive``,
    ``Empfangene übermittelte Pakete`` -> ``EmpfangeneÜbermitteltePakete``).
    """
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", label))
    return "".join(word[:1].upper() + word[1:] for word in words)


def _positional(section: _Section, ordinary: Sequence[_Row]) -> list[_Target] | None:
    """Targets by position for a translated section, if its rows fit a known layout.

    A layout fits if it has as many rows as the section and every label that *is* an
    English label of the group sits where that layout prints it (German ICMP sections
    keep the English word "Echos" in its place).
    """
    names = _NAMES[section.group]
    for layout in _LAYOUTS[section.group]:
        if len(layout) != len(ordinary):
            continue
        targets = [names[_key(label)] for label in layout]
        if all(
            names.get(_key(row.label), target) == target
            for row, target in zip(ordinary, targets, strict=True)
        ):
            return targets
    return None


def _section_counters(section: _Section, source: str) -> dict[str, dict[str, int]]:
    if not section.rows:
        raise _error("a statistics section without rows", source, section.line_number, section.line)
    names = _NAMES[section.group]
    ordinary = [row for row in section.rows if row.icmp_type is None]
    known = [names.get(_key(row.label)) for row in ordinary]
    targets: list[_Target | None] = list(known)
    if None in known:
        positional = _positional(section, ordinary)
        if positional is not None:
            targets = list(positional)
    by_row = {id(row): target for row, target in zip(ordinary, targets, strict=True)}

    groups: dict[str, dict[str, int]] = {section.group: {}}
    origin: dict[tuple[str, str], int] = {}
    for row in section.rows:
        target = by_row.get(id(row))
        if row.icmp_type is not None:
            target = _io(_TYPE_GROUPS[section.group], f"Type{row.icmp_type}")
        elif target is None:
            stem = _derived(row.label)
            if not stem:
                raise _error(
                    "a counter label without a letter or digit", source, row.line_number, row.line
                )
            derived: tuple[str, ...] = (
                (f"In{stem}", f"Out{stem}") if section.kind == "icmp" else (stem,)
            )
            target = (section.group, derived)
        group, counter_names = target
        counters = groups.setdefault(group, {})
        for name, value in zip(counter_names, row.values, strict=True):
            if name in counters:
                raise _error(
                    f"counter {name} of group {group} is already given by line "
                    f"{origin[group, name]}",
                    source,
                    row.line_number,
                    row.line,
                )
            origin[group, name] = row.line_number
            counters[name] = value
    return groups


def _value_row(section: _Section, line_number: int, line: str, source: str) -> _Row:
    """A ``label = number`` row of an IP, TCP or UDP section."""
    if section.kind == "icmp":
        raise _error(
            "an ICMP section has rows 'label  received  sent', not 'label = value'",
            source,
            line_number,
            line,
        )
    label_text, _, value_text = line.partition("=")
    label = " ".join(label_text.split())
    value_text = value_text.strip()
    if not label:
        raise _error("a row without a label", source, line_number, line)
    try:
        rto = _RTO_VALUE.fullmatch(value_text) if section.kind == "tcp" else None
        value = number(rto[1] if rto is not None else value_text)
    except ValueError as exc:
        raise _error(str(exc), source, line_number, line) from exc
    if value == _MAXCONN_DYNAMIC and _NAMES[section.group].get(_key(label)) == (
        section.group,
        ("MaxConn",),
    ):
        value = -1
    return _Row(line_number, line, label, (value,), None)


def _column_row(section: _Section, line_number: int, line: str, source: str) -> _Row:
    """An ICMP row: a label, then the Received and Sent numbers."""
    tokens = line.split()
    if section.kind != "icmp":
        raise _error(
            "expected 'label = value' in this section (only ICMP rows have columns)",
            source,
            line_number,
            line,
        )
    if len(tokens) < 3 or not _is_number(tokens[-2]):
        raise _error("expected a label and two numbers (received, sent)", source, line_number, line)
    label = " ".join(tokens[:-2])
    icmp_type = None
    if _is_number(tokens[-3]):
        # Either a per-type row ("Type 142   0   5") or a row with one number too many.
        stem = tokens[:-3]
        names = _NAMES[section.group]
        type_number = int(tokens[-3]) if len(tokens[-3]) <= 3 else 256
        if not stem or _is_number(stem[-1]) or type_number > 255 or _key(" ".join(stem)) in names:
            raise _error(
                "expected a label and two numbers (received, sent)", source, line_number, line
            )
        icmp_type = type_number
    try:
        values = (number(tokens[-2]), number(tokens[-1]))
    except ValueError as exc:
        raise _error(str(exc), source, line_number, line) from exc
    return _Row(line_number, line, label, values, icmp_type)


def parse_protocol_stats(
    data: str | bytes, *, encoding: str | None = None, source: str = "<string>"
) -> list[ProtocolStats]:
    """Parse ``netstat -s`` (also ``-s -p PROTO`` and ``-e -s``) into Linux-named groups.

    Sections become groups: IPv4 ``Ip``, IPv6 ``Ip6``, ICMPv4 ``Icmp`` (plus ``IcmpMsg``
    for the per-type counters), ICMPv6 ``Icmp6``, TCP for IPv4 ``Tcp``, TCP for IPv6
    ``Tcp6`` (Linux has no such group, its ``Tcp`` counts both families), UDP for IPv4
    ``Udp``, UDP for IPv6 ``Udp6``; in the order printed, any subset.

    Counters take the Linux name of the same quantity (``Packets Received`` ->
    ``InReceives``, ``Reset Connections`` -> ``EstabResets``; an ICMP row's Received and
    Sent numbers -> ``In...`` and ``Out...``). ICMPv4 Router Solicitations and Router
    Advertisements are ``IcmpMsg`` ``InType10``/``OutType10`` and ``InType9``/``OutType9``
    and ICMPv6 Router Renumberings ``Icmp6`` ``InType138``/``OutType138``, as Linux counts
    ICMP types it has no name for. A label with no Linux twin keeps a name derived from
    it (``Routing Discards`` -> ``RoutingDiscards``; ``In``/``Out`` prefixed for ICMP).

    Translated labels: a section whose rows are not all English labels but whose row
    count is that of the English layout (IP 17, ICMPv4 15 or Windows XP's 13, ICMPv6
    17, TCP 8, UDP 4) is read by position, because netstat prints the same fields in the
    same order in every language (an inference from every translated capture seen, not a
    documented promise). Otherwise unknown labels get derived names.

    A section title without rows, a row outside any section, a bad number, a row with
    the wrong number of values, a counter name given twice in a group and a section
    printed twice (``netstat -s <interval>``: parse one snapshot at a time) raise
    :class:`~netstatlib.ParseError`. An empty text, or a ``netstat -e`` block alone, is
    ``[]``.
    """
    text = decode(data, encoding, source=source)
    prefix: list[tuple[int, str]] = []
    sections: list[_Section] = []
    current: _Section | None = None
    for line_number, line in enumerate(lines(text), start=1):
        tokens = line.split()
        if not tokens:
            continue
        if "=" in line:
            if current is None:
                raise _error(
                    "a 'label = value' row outside any statistics section",
                    source,
                    line_number,
                    line,
                )
            current.rows.append(_value_row(current, line_number, line, source))
            continue
        if _is_number(tokens[-1]):
            if current is None:
                prefix.append((line_number, line))  # a netstat -e row, checked below
            else:
                current.rows.append(_column_row(current, line_number, line, source))
            continue
        title = _title(line, line_number, source)
        if title is not None:
            if current is None:
                _interface_block(prefix, source, required=False)
            group, kind = title
            if any(section.group == group for section in sections):
                raise _error(
                    f"a second {group} section (netstat -s with an interval prints one "
                    "snapshot after another: parse them one at a time)",
                    source,
                    line_number,
                    line,
                )
            current = _Section(group, kind, line_number, line)
            sections.append(current)
        elif current is None:
            prefix.append((line_number, line))  # the -e title and header, or a prompt
        elif (
            current.kind == "icmp"
            and not current.rows
            and not current.header_seen
            and not any(char in "0123456789" for char in line)
        ):
            current.header_seen = True  # the "Received    Sent" column header
        else:
            raise _error("expected a statistics row or section title", source, line_number, line)
    if not sections:
        if prefix and _interface_block(prefix, source, required=False) is None:
            line_number, line = prefix[0]
            raise _error("no netstat -s section found", source, line_number, line)
        return []

    results: dict[str, dict[str, int]] = {}
    for section in sections:
        for group, counters in _section_counters(section, source).items():
            if counters:
                results[group] = counters
    return [ProtocolStats(group=group, counters=counters) for group, counters in results.items()]
