"""Windows ``netstat -e`` and ``netstat -s`` parsers (netstatlib.parsers._win_stats).

Four layers:

* the hand-written samples in ``tests/fixtures/windows/stats/`` (real layouts, made-up
  numbers; see the README there), each checked against values spelled out here;
* unit tests, one rule at a time: the label -> Linux name table, the IcmpMsg split, the
  Tcp6 group, derived names, duplicates, positional reading of translated sections, and
  every malformed line raising ParseError at the right line;
* real captures, when ``NETSTATLIB_WINDOWS_CAPTURES`` names a folder holding them: every
  number printed must come back under the right name (found here with regular
  expressions, independently of the parser);
* properties: any text or bytes, and any damage to a valid sample, give a list or a
  ParseError, never another exception; random values printed in the English layout
  parse back.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from record_contracts import check_record

from netstatlib import InterfaceStats, ParseError, ProtocolStats
from netstatlib.parsers._win_stats import parse_interface_stats, parse_protocol_stats

from conftest import NO_WINDOWS_CAPTURES, windows_captures_folder

FIXTURES = Path(__file__).parent / "fixtures" / "windows" / "stats"

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- The English layout and the names expected for it, written out independently -------

IP_LABELS = [
    ("Packets Received", "InReceives"),
    ("Received Header Errors", "InHdrErrors"),
    ("Received Address Errors", "InAddrErrors"),
    ("Datagrams Forwarded", "ForwDatagrams"),
    ("Unknown Protocols Received", "InUnknownProtos"),
    ("Received Packets Discarded", "InDiscards"),
    ("Received Packets Delivered", "InDelivers"),
    ("Output Requests", "OutRequests"),
    ("Routing Discards", "RoutingDiscards"),
    ("Discarded Output Packets", "OutDiscards"),
    ("Output Packet No Route", "OutNoRoutes"),
    ("Reassembly Required", "ReasmReqds"),
    ("Reassembly Successful", "ReasmOKs"),
    ("Reassembly Failures", "ReasmFails"),
    ("Datagrams Successfully Fragmented", "FragOKs"),
    ("Datagrams Failing Fragmentation", "FragFails"),
    ("Fragments Created", "FragCreates"),
]
IP6_LABELS = [
    (label, "OutForwDatagrams" if name == "ForwDatagrams" else name) for label, name in IP_LABELS
]
# (label, group of the row's counters, received name, sent name)
ICMP4_LABELS = [
    ("Messages", "Icmp", "InMsgs", "OutMsgs"),
    ("Errors", "Icmp", "InErrors", "OutErrors"),
    ("Destination Unreachable", "Icmp", "InDestUnreachs", "OutDestUnreachs"),
    ("Time Exceeded", "Icmp", "InTimeExcds", "OutTimeExcds"),
    ("Parameter Problems", "Icmp", "InParmProbs", "OutParmProbs"),
    ("Source Quenches", "Icmp", "InSrcQuenchs", "OutSrcQuenchs"),
    ("Redirects", "Icmp", "InRedirects", "OutRedirects"),
    ("Echo Replies", "Icmp", "InEchoReps", "OutEchoReps"),
    ("Echos", "Icmp", "InEchos", "OutEchos"),
    ("Timestamps", "Icmp", "InTimestamps", "OutTimestamps"),
    ("Timestamp Replies", "Icmp", "InTimestampReps", "OutTimestampReps"),
    ("Address Masks", "Icmp", "InAddrMasks", "OutAddrMasks"),
    ("Address Mask Replies", "Icmp", "InAddrMaskReps", "OutAddrMaskReps"),
    ("Router Solicitations", "IcmpMsg", "InType10", "OutType10"),
    ("Router Advertisements", "IcmpMsg", "InType9", "OutType9"),
]
ICMP6_LABELS = [
    ("Messages", "Icmp6", "InMsgs", "OutMsgs"),
    ("Errors", "Icmp6", "InErrors", "OutErrors"),
    ("Destination Unreachable", "Icmp6", "InDestUnreachs", "OutDestUnreachs"),
    ("Packet Too Big", "Icmp6", "InPktTooBigs", "OutPktTooBigs"),
    ("Time Exceeded", "Icmp6", "InTimeExcds", "OutTimeExcds"),
    ("Parameter Problems", "Icmp6", "InParmProblems", "OutParmProblems"),
    ("Echos", "Icmp6", "InEchos", "OutEchos"),
    ("Echo Replies", "Icmp6", "InEchoReplies", "OutEchoReplies"),
    ("MLD Queries", "Icmp6", "InGroupMembQueries", "OutGroupMembQueries"),
    ("MLD Reports", "Icmp6", "InGroupMembResponses", "OutGroupMembResponses"),
    ("MLD Dones", "Icmp6", "InGroupMembReductions", "OutGroupMembReductions"),
    ("Router Solicitations", "Icmp6", "InRouterSolicits", "OutRouterSolicits"),
    ("Router Advertisements", "Icmp6", "InRouterAdvertisements", "OutRouterAdvertisements"),
    ("Neighbor Solicitations", "Icmp6", "InNeighborSolicits", "OutNeighborSolicits"),
    ("Neighbor Advertisements", "Icmp6", "InNeighborAdvertisements", "OutNeighborAdvertisements"),
    ("Redirects", "Icmp6", "InRedirects", "OutRedirects"),
    ("Router Renumberings", "Icmp6", "InType138", "OutType138"),
]
TCP_LABELS = [
    ("Active Opens", "ActiveOpens"),
    ("Passive Opens", "PassiveOpens"),
    ("Failed Connection Attempts", "AttemptFails"),
    ("Reset Connections", "EstabResets"),
    ("Current Connections", "CurrEstab"),
    ("Segments Received", "InSegs"),
    ("Segments Sent", "OutSegs"),
    ("Segments Retransmitted", "RetransSegs"),
]
UDP_LABELS = [
    ("Datagrams Received", "InDatagrams"),
    ("No Ports", "NoPorts"),
    ("Receive Errors", "InErrors"),
    ("Datagrams Sent", "OutDatagrams"),
]

# English title -> (group, labels); the ICMP ones list four-tuples.
SECTIONS: dict[str, tuple[str, list]] = {
    "IPv4 Statistics": ("Ip", IP_LABELS),
    "IPv6 Statistics": ("Ip6", IP6_LABELS),
    "ICMPv4 Statistics": ("Icmp", ICMP4_LABELS),
    "ICMPv6 Statistics": ("Icmp6", ICMP6_LABELS),
    "TCP Statistics for IPv4": ("Tcp", TCP_LABELS),
    "TCP Statistics for IPv6": ("Tcp6", TCP_LABELS),
    "UDP Statistics for IPv4": ("Udp", UDP_LABELS),
    "UDP Statistics for IPv6": ("Udp6", UDP_LABELS),
}
# The number scheme of the samples (tests/fixtures/windows/stats/README.md).
SAMPLE_BASES = {
    "IPv4 Statistics": 1000,
    "IPv6 Statistics": 2000,
    "ICMPv4 Statistics": 3000,
    "ICMPv6 Statistics": 4000,
    "TCP Statistics for IPv4": 5000,
    "TCP Statistics for IPv6": 6000,
    "UDP Statistics for IPv4": 7000,
    "UDP Statistics for IPv6": 8000,
}

ICMP_HEADER = "                            Received    Sent"


def section_text(title: str, values: list[int] | None = None, *, labels=None) -> str:
    """One section as netstat prints it (CRLF, ICMP rows with trailing spaces)."""
    _, table = SECTIONS[title]
    rows = labels if labels is not None else [entry[0] for entry in table]
    out = ["", title, ""]
    if title.startswith("ICMP"):
        out.append(ICMP_HEADER)
        values = values or list(range(1, 2 * len(rows) + 1))
        for index, label in enumerate(rows):
            rx, tx = values[2 * index], values[2 * index + 1]
            out.append(f"  {label:<26}{rx:<10}  {tx:<10}")
    else:
        values = values or list(range(1, len(rows) + 1))
        out.extend(f"  {label:<35}= {values[index]}" for index, label in enumerate(rows))
    return "\r\n".join(out) + "\r\n"


def expected_groups(titles: list[str], bases: dict[str, int]) -> dict[str, dict[str, int]]:
    """What the sample scheme's numbers must come back as, group by group."""
    groups: dict[str, dict[str, int]] = {}
    for title in titles:
        group, table = SECTIONS[title]
        base = bases[title]
        for index, entry in enumerate(table):
            if len(entry) == 4:
                _, target, received, sent = entry
                groups.setdefault(target, {})[received] = base + 2 * index
                groups[target][sent] = base + 2 * index + 1
            else:
                groups.setdefault(group, {})[entry[1]] = base + index
    return groups


def as_dict(stats: list[ProtocolStats]) -> dict[str, dict[str, int]]:
    result = {s.group: dict(s.counters) for s in stats}
    assert len(result) == len(stats), "a group is returned twice"
    return result


E_SAMPLE = InterfaceStats(
    name=None,
    rx_bytes=987654321,
    rx_packets=654321 + 4321,
    rx_errors=5,
    rx_dropped=12,
    rx_fifo_errors=None,
    rx_frame_errors=None,
    rx_compressed=None,
    multicast=None,
    tx_bytes=123456789,
    tx_packets=432100 + 9876,
    tx_errors=6,
    tx_dropped=34,
    tx_fifo_errors=None,
    collisions=None,
    tx_carrier_errors=None,
    tx_compressed=None,
    rx_unicast_packets=654321,
    rx_non_unicast_packets=4321,
    tx_unicast_packets=432100,
    tx_non_unicast_packets=9876,
    rx_unknown_protocols=78,
)
E_SAMPLE_ES = InterfaceStats(
    name=None,
    rx_bytes=55501,
    rx_packets=55503 + 55505,
    rx_errors=55509,
    rx_dropped=55507,
    rx_fifo_errors=None,
    rx_frame_errors=None,
    rx_compressed=None,
    multicast=None,
    tx_bytes=55502,
    tx_packets=55504 + 55506,
    tx_errors=55510,
    tx_dropped=55508,
    tx_fifo_errors=None,
    collisions=None,
    tx_carrier_errors=None,
    tx_compressed=None,
    rx_unicast_packets=55503,
    rx_non_unicast_packets=55505,
    tx_unicast_packets=55504,
    tx_non_unicast_packets=55506,
    rx_unknown_protocols=55511,
)

E_TEXT = (
    "Interface Statistics\r\n\r\n"
    "                           Received            Sent\r\n\r\n"
    "Bytes                     167849775        35925525\r\n"
    "Unicast packets              214700          168900\r\n"
    "Non-unicast packets             500            5840\r\n"
    "Discards                          1               2\r\n"
    "Errors                            3               4\r\n"
    "Unknown protocols                 5\r\n"
)

# --- The samples ----------------------------------------------------------------------

ALL_TITLES = list(SECTIONS)


def test_sample_netstat_s_utf16le_crlf() -> None:
    data = (FIXTURES / "win10_en_netstat-s_utf16le.txt").read_bytes()
    assert data.startswith(b"\xff\xfe") and b"\r\x00\n\x00" in data
    stats = parse_protocol_stats(data, source="sample")
    assert [s.group for s in stats] == [
        "Ip",
        "Ip6",
        "Icmp",
        "IcmpMsg",
        "Icmp6",
        "Tcp",
        "Tcp6",
        "Udp",
        "Udp6",
    ]
    assert as_dict(stats) == expected_groups(ALL_TITLES, SAMPLE_BASES)
    # The same text as str, and the encoding given explicitly.
    assert parse_protocol_stats(data.decode("utf-16")) == stats
    assert parse_protocol_stats(data, encoding="utf-16") == stats


def test_sample_netstat_e_lf() -> None:
    data = (FIXTURES / "win10_en_netstat-e_lf.txt").read_bytes()
    assert b"\r" not in data
    assert parse_interface_stats(data) == [E_SAMPLE]
    (total,) = parse_interface_stats(data)
    assert total.is_total and total.mtu is None and total.is_up is None
    assert total.speed_mbps is None
    # netstat -e alone holds no protocol statistics.
    assert parse_protocol_stats(data) == []


def test_sample_netstat_s_p_tcp() -> None:
    data = (FIXTURES / "win10_en_netstat-s-p-tcp.txt").read_bytes()
    stats = parse_protocol_stats(data)
    assert as_dict(stats) == expected_groups(["TCP Statistics for IPv4"], SAMPLE_BASES)
    assert stats[0]["CurrEstab"] == 5004


def test_sample_netstat_es_both_parsers() -> None:
    data = (FIXTURES / "win10_en_netstat-es.txt").read_bytes()
    assert parse_interface_stats(data) == [E_SAMPLE_ES]
    assert as_dict(parse_protocol_stats(data)) == expected_groups(ALL_TITLES, SAMPLE_BASES)


def test_constructed_german_sample_read_by_position() -> None:
    """CONSTRUCTED sample: German labels of a real Windows 8.1, made-up numbers, cp850."""
    data = (FIXTURES / "constructed_win81_de_netstat-es_cp850.txt").read_bytes()
    assert "Routerankündigungen".encode("cp850") in data
    expected = expected_groups(ALL_TITLES, SAMPLE_BASES)
    assert as_dict(parse_protocol_stats(data)) == expected
    assert as_dict(parse_protocol_stats(data, encoding="cp850")) == expected
    assert parse_interface_stats(data) == [E_SAMPLE]


# --- The name table, one label at a time ---------------------------------------------------

ONE_LABEL_CASES = [(title, entry) for title, (_, table) in SECTIONS.items() for entry in table]


@pytest.mark.parametrize(
    ("title", "entry"), ONE_LABEL_CASES, ids=[f"{t}:{e[0]}" for t, e in ONE_LABEL_CASES]
)
def test_every_english_label_has_its_linux_name(title: str, entry: tuple) -> None:
    # A section of that one row: the name comes from the label, not from a position.
    text = section_text(title, [41, 42], labels=[entry[0]])
    groups = as_dict(parse_protocol_stats(text))
    if len(entry) == 4:
        _, group, received, sent = entry
        assert groups == {group: {received: 41, sent: 42}}
    else:
        assert groups == {SECTIONS[title][0]: {entry[1]: 41}}


def test_labels_are_matched_without_case_and_extra_spaces() -> None:
    text = "TCP Statistics for IPv4\n  active   OPENS = 7\n  SEGMENTS  sent = 8\n"
    assert as_dict(parse_protocol_stats(text)) == {"Tcp": {"ActiveOpens": 7, "OutSegs": 8}}


def test_icmpv4_router_rows_go_to_icmpmsg() -> None:
    text = section_text("ICMPv4 Statistics")
    groups = as_dict(parse_protocol_stats(text))
    assert list(groups) == ["Icmp", "IcmpMsg"]
    assert groups["IcmpMsg"] == {"InType10": 27, "OutType10": 28, "InType9": 29, "OutType9": 30}
    assert not any(name.startswith(("InType", "OutType")) for name in groups["Icmp"])


def test_icmpv6_router_renumbering_is_type_138_and_stays_in_icmp6() -> None:
    groups = as_dict(parse_protocol_stats(section_text("ICMPv6 Statistics")))
    assert list(groups) == ["Icmp6"]
    assert groups["Icmp6"]["InType138"] == 33 and groups["Icmp6"]["OutType138"] == 34


def test_tcp_for_ipv6_is_its_own_group() -> None:
    text = section_text("TCP Statistics for IPv4") + section_text("TCP Statistics for IPv6")
    stats = parse_protocol_stats(text)
    assert [s.group for s in stats] == ["Tcp", "Tcp6"]
    assert stats[0].counters == stats[1].counters  # same names, same (test) values


def test_udp6_group() -> None:
    stats = parse_protocol_stats(section_text("UDP Statistics for IPv6", [9, 8, 7, 6]))
    assert as_dict(stats) == {
        "Udp6": {"InDatagrams": 9, "NoPorts": 8, "InErrors": 7, "OutDatagrams": 6}
    }


@pytest.mark.parametrize(
    ("title", "group"),
    [
        ("IPv4 Statistics", "Ip"),
        ("IPv4-Statistik", "Ip"),
        ("Statistiques IPv6", "Ip6"),
        ("IPv6统计信息", "Ip6"),
        ("ICMPv6-Statistik", "Icmp6"),
        ("TCP-Statistik für IPv6", "Tcp6"),
        ("Statistiques TCP pour IPv4", "Tcp"),
        ("Статистика UDP для IPv6", "Udp6"),
        ("udp statistics for ipv4", "Udp"),
        # Windows NT-era titles name no version: that stack was IPv4 only.
        ("IP Statistics", "Ip"),
        ("TCP Statistics", "Tcp"),
    ],
)
def test_section_titles_by_protocol_token(title: str, group: str) -> None:
    rows = "  Erste = 1\n  Zweite = 2\n"
    if "ICMP" in title:
        rows = "  Erste  1  2\n"
    stats = parse_protocol_stats(f"{title}\n\n{rows}")
    assert [s.group for s in stats] == [group]


def test_a_title_naming_two_protocols_is_an_error() -> None:
    with pytest.raises(ParseError) as info:
        parse_protocol_stats("TCP and UDP Statistics\n  A = 1\n")
    assert info.value.line_number == 1


# --- Derived names and duplicates -------------------------------------------------------


def test_unknown_labels_keep_a_derived_name() -> None:
    text = (
        "UDP Statistics for IPv4\n"
        "  Datagrams Received = 1\n"
        "  Weird  thing-counter (total) = 2\n"
        "  Empfangene übermittelte Pakete = 3\n"
    )
    assert as_dict(parse_protocol_stats(text)) == {
        "Udp": {"InDatagrams": 1, "WeirdThingCounterTotal": 2, "EmpfangeneÜbermitteltePakete": 3}
    }


def test_unknown_icmp_labels_get_in_and_out_prefixes() -> None:
    text = "ICMPv4 Statistics\n  Received  Sent\n  Messages  1  2\n  Strange Things  3  4  \n"
    assert as_dict(parse_protocol_stats(text)) == {
        "Icmp": {"InMsgs": 1, "OutMsgs": 2, "InStrangeThings": 3, "OutStrangeThings": 4}
    }


def test_routing_discards_has_no_linux_twin() -> None:
    stats = parse_protocol_stats("IPv4 Statistics\n  Routing Discards = 5\n")
    assert as_dict(stats) == {"Ip": {"RoutingDiscards": 5}}


@pytest.mark.parametrize(
    "rows",
    [
        ["  Packets Received = 1", "  Packets Received = 2"],
        ["  Foo Bar = 1", "  Foo-Bar = 2"],
        ["  Routing Discards = 1", "  routing discards = 2"],
        # A derived name that collides with a Linux name given by another row.
        ["  Packets Received = 1", "  In Receives = 2"],
    ],
)
def test_two_labels_with_one_name_are_an_error(rows: list[str]) -> None:
    text = "\n".join(["IPv4 Statistics", "", *rows]) + "\n"
    with pytest.raises(ParseError, match="already given by line 3") as info:
        parse_protocol_stats(text)
    assert info.value.line_number == 4 and info.value.line == rows[1]


def test_a_repeated_section_is_an_error() -> None:
    text = section_text("UDP Statistics for IPv4") * 2
    with pytest.raises(ParseError, match="second Udp section") as info:
        parse_protocol_stats(text, source="twice")
    assert info.value.source == "twice"
    assert info.value.line_number == 9 and info.value.line == "UDP Statistics for IPv4"


# --- Translated sections ------------------------------------------------------------------

# CONSTRUCTED French labels (no real French netstat -s was found): only the row count
# and order matter here.
FRENCH_TCP = [
    "Ouvertures actives",
    "Ouvertures passives",
    "Tentatives de connexion non réussies",
    "Connexions réinitialisées",
    "Connexions actuelles",
    "Segments reçus",
    "Segments envoyés",
    "Segments retransmis",
]


def test_translated_section_with_the_known_row_count_is_read_by_position() -> None:
    text = "Statistiques TCP pour IPv6\n\n" + "".join(
        f"  {label:<40}= {index}\n" for index, label in enumerate(FRENCH_TCP, start=100)
    )
    assert as_dict(parse_protocol_stats(text)) == {
        "Tcp6": {name: index for index, (_, name) in enumerate(TCP_LABELS, start=100)}
    }


def test_translated_section_with_another_row_count_keeps_derived_names() -> None:
    text = "Statistiques TCP pour IPv4\n" + "".join(
        f"  {label} = {index}\n" for index, label in enumerate(FRENCH_TCP[:3], start=1)
    )
    assert as_dict(parse_protocol_stats(text)) == {
        "Tcp": {
            "OuverturesActives": 1,
            "OuverturesPassives": 2,
            "TentativesDeConnexionNonRéussies": 3,
        }
    }


def test_position_is_not_used_when_an_english_label_sits_elsewhere() -> None:
    # Eight rows, but "Segments Sent" (an English label) is first: this is not the
    # known layout, so nothing is read by position.
    labels = ["Segments Sent", *FRENCH_TCP[1:]]
    text = "TCP Statistics for IPv4\n" + "".join(
        f"  {label} = {index}\n" for index, label in enumerate(labels)
    )
    groups = as_dict(parse_protocol_stats(text))["Tcp"]
    assert groups["OutSegs"] == 0
    assert groups["OuverturesPassives"] == 1
    assert "ActiveOpens" not in groups


def test_translated_windows_xp_icmpv4_layout_has_echos_first() -> None:
    # CONSTRUCTED: the 13 rows of Windows XP's ICMPv4 section (netstmsg.mc), "Echos"
    # before "Echo Replies", with made-up translated labels.
    labels = [f"Zeile {chr(ord('A') + index)}" for index in range(13)]
    text = "ICMPv4-Statistik\n  Empfangen Gesendet\n" + "".join(
        f"  {label:<26}{2 * index}  {2 * index + 1}\n" for index, label in enumerate(labels)
    )
    icmp = as_dict(parse_protocol_stats(text))["Icmp"]
    assert icmp["InEchos"] == 14 and icmp["InEchoReps"] == 16
    assert icmp["OutAddrMaskReps"] == 25 and len(icmp) == 26


# --- Rows of older Windows versions (netstmsg.mc) ------------------------------------------


def test_per_type_icmp_rows() -> None:
    text = (
        "ICMPv6 Statistics\n" + ICMP_HEADER + "\n  Messages   1   2\n  Type 142   3   4  \n"
        "ICMPv4 Statistics\n" + ICMP_HEADER + "\n  Messages   5   6\n  Type 13    7   8\n"
    )
    assert as_dict(parse_protocol_stats(text)) == {
        "Icmp6": {"InMsgs": 1, "OutMsgs": 2, "InType142": 3, "OutType142": 4},
        "Icmp": {"InMsgs": 5, "OutMsgs": 6},
        "IcmpMsg": {"InType13": 7, "OutType13": 8},
    }


def test_windows_xp_extra_rows() -> None:
    text = (
        "IPv4 Statistics\n  Forwarding = 2\n  Default Time-To-Live = 128\n"
        "  Reassembly Timeout = 60\n"
        "TCP Statistics for IPv4\n"
        "  Retransmission Timeout Algorithm    = vanj (4)\n"
        "  Minimum Retransmission Timeout      = 300\n"
        "  Maximum Retransmission Timeout      = 120000\n"
        "  Maximum Number of Connections       = 4294967295\n"
    )
    assert as_dict(parse_protocol_stats(text)) == {
        "Ip": {"Forwarding": 2, "DefaultTTL": 128, "ReasmTimeout": 60},
        "Tcp": {"RtoAlgorithm": 4, "RtoMin": 300, "RtoMax": 120000, "MaxConn": -1},
    }


# --- Empty input and the -e / -s split ---------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "\r\n", "  \n\n\t\n", b"", b"\xff\xfe", b"\xff\xfe\r\x00\n\x00"]
)
def test_empty_input_is_an_empty_list(text: str | bytes) -> None:
    assert parse_protocol_stats(text) == []
    assert parse_interface_stats(text) == []


def test_netstat_e_block_fields() -> None:
    (total,) = parse_interface_stats(E_TEXT)
    assert total.name is None and total.is_total
    assert (total.rx_bytes, total.tx_bytes) == (167849775, 35925525)
    assert (total.rx_unicast_packets, total.tx_unicast_packets) == (214700, 168900)
    assert (total.rx_non_unicast_packets, total.tx_non_unicast_packets) == (500, 5840)
    assert (total.rx_packets, total.tx_packets) == (215200, 174740)
    assert (total.rx_dropped, total.tx_dropped) == (1, 2)
    assert (total.rx_errors, total.tx_errors) == (3, 4)
    assert total.rx_unknown_protocols == 5
    for field in (
        "rx_fifo_errors",
        "rx_frame_errors",
        "rx_compressed",
        "multicast",
        "tx_fifo_errors",
        "collisions",
        "tx_carrier_errors",
        "tx_compressed",
        "mtu",
        "is_up",
        "speed_mbps",
    ):
        assert getattr(total, field) is None, field


def test_netstat_e_block_with_translated_labels() -> None:
    # German labels from a real Windows 8.1 netstat -e, numbers made up (CONSTRUCTED).
    text = (
        "Schnittstellenstatistik\n\n"
        "                           Empfangen           Gesendet\n\n"
        "Bytes                          100             200\n"
        "Unicastpakete                   10              20\n"
        "Nicht-Unicastpakete              1               2\n"
        "Verworfen                        3               4\n"
        "Fehler                           5               6\n"
        "Unbekannte Protok.               7\n"
    )
    (total,) = parse_interface_stats(text)
    assert (total.rx_bytes, total.tx_packets, total.rx_unknown_protocols) == (100, 22, 7)


def test_netstat_e_then_s_and_prompt_lines() -> None:
    text = "C:\\>netstat -e -s\r\n" + E_TEXT + section_text("UDP Statistics for IPv4") + "\r\n"
    assert parse_interface_stats(text)[0].rx_dropped == 1
    assert [s.group for s in parse_protocol_stats(text)] == ["Udp"]


def test_netstat_e_title_without_rows() -> None:
    text = "Interface Statistics\r\n\r\n   Received   Sent\r\n"
    with pytest.raises(ParseError, match="no netstat -e rows") as info:
        parse_interface_stats(text)
    assert (info.value.line_number, info.value.line) == (1, "Interface Statistics")
    # Before -s sections, lines of words are only a title (or a prompt): not an error.
    assert [
        s.group for s in parse_protocol_stats(text + section_text("UDP Statistics for IPv4"))
    ] == ["Udp"]


def test_netstat_s_is_not_netstat_e() -> None:
    with pytest.raises(ParseError, match="no netstat -e block") as info:
        parse_interface_stats(section_text("IPv4 Statistics"), source="s.txt")
    assert info.value.source == "s.txt"
    assert info.value.line_number == 2 and info.value.line == "IPv4 Statistics"


# --- Malformed input: ParseError at the right line -------------------------------------

E_LINES = E_TEXT.split("\r\n")


def _e_with(index: int, line: str | None) -> str:
    changed = list(E_LINES)
    if line is None:
        del changed[index]
    else:
        changed[index] = line
    return "\r\n".join(changed)


@pytest.mark.parametrize(
    ("text", "line_number", "line"),
    [
        # A row with one number where two are printed.
        (
            _e_with(5, "Unicast packets              214700"),
            6,
            "Unicast packets              214700",
        ),
        # The last row has one number only.
        (_e_with(9, "Unknown protocols       5       6"), 10, "Unknown protocols       5       6"),
        # A bad number: the row no longer ends in a number.
        (_e_with(6, "Non-unicast packets   500   58x0"), 7, "Non-unicast packets   500   58x0"),
        (_e_with(6, "Non-unicast packets   5x0   5840"), 7, "Non-unicast packets   5x0   5840"),
        # Five rows, then seven.
        (_e_with(7, None), 9, "Unknown protocols                 5"),
        (E_TEXT + "Extra row                  9\r\n", 11, "Extra row                  9"),
        # Numbers without a label; non-ASCII digits; a "label = value" row.
        (_e_with(8, "      3      4"), 9, "      3      4"),
        (_e_with(8, "Errors   \uff13   4"), 9, "Errors   \uff13   4"),
        (_e_with(4, "Bytes = 5"), 5, "Bytes = 5"),
        # A line of words between the rows.
        (_e_with(7, "Discards"), 8, "Discards"),
    ],
)
def test_malformed_netstat_e(text: str, line_number: int, line: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_interface_stats(text, source="e.txt")
    assert (info.value.source, info.value.line_number, info.value.line) == (
        "e.txt",
        line_number,
        line,
    )
    # The -e block before the sections of -e -s is checked by parse_protocol_stats too.
    with pytest.raises(ParseError) as info:
        parse_protocol_stats(text + section_text("IPv4 Statistics"), source="es.txt")
    assert (info.value.line_number, info.value.line) == (line_number, line)


@pytest.mark.parametrize(
    ("text", "line_number", "line"),
    [
        # A title without rows (at the end, and followed by another title).
        ("IPv4 Statistics\n\n", 1, "IPv4 Statistics"),
        (
            "TCP Statistics for IPv4\n\nUDP Statistics for IPv4\n  No Ports = 1\n",
            1,
            "TCP Statistics for IPv4",
        ),
        # A row before any section.
        (
            "  Packets Received = 1\nIPv4 Statistics\n  Output Requests = 2\n",
            1,
            "  Packets Received = 1",
        ),
        ("  Messages   1   2\nICMPv4 Statistics\n  Messages   1   2\n", 1, "  Messages   1   2"),
        # Bad numbers.
        ("IPv4 Statistics\n  Packets Received = 12a\n", 2, "  Packets Received = 12a"),
        ("IPv4 Statistics\n  Packets Received = -1\n", 2, "  Packets Received = -1"),
        ("IPv4 Statistics\n  Packets Received = ١٢\n", 2, "  Packets Received = ١٢"),
        ("IPv4 Statistics\n  Packets Received =\n", 2, "  Packets Received ="),
        ("ICMPv4 Statistics\n  Messages  1  x\n", 2, "  Messages  1  x"),
        ("ICMPv4 Statistics\n  Messages  x  1\n", 2, "  Messages  x  1"),
        # Wrong number of values.
        ("IPv4 Statistics\n  Packets Received = 1 2\n", 2, "  Packets Received = 1 2"),
        ("IPv4 Statistics\n  Packets Received   1   2\n", 2, "  Packets Received   1   2"),
        ("ICMPv4 Statistics\n  Messages  1\n", 2, "  Messages  1"),
        ("ICMPv4 Statistics\n  Messages  1  2  3\n", 2, "  Messages  1  2  3"),
        ("ICMPv4 Statistics\n  Messages = 1\n", 2, "  Messages = 1"),
        ("ICMPv6 Statistics\n  1  2\n", 2, "  1  2"),
        ("ICMPv6 Statistics\n  Type 300  1  2\n", 2, "  Type 300  1  2"),
        ("ICMPv6 Statistics\n  Type 1 2  1  2\n", 2, "  Type 1 2  1  2"),
        # Labels without a letter.
        ("UDP Statistics for IPv4\n  = 5\n", 2, "  = 5"),
        ("UDP Statistics for IPv4\n  --- = 5\n", 2, "  --- = 5"),
        # Lines of words inside a section (a second ICMP header, a stray prompt).
        (
            "ICMPv4 Statistics\n  Received Sent\n  Received Sent\n  Messages 1 2\n",
            3,
            "  Received Sent",
        ),
        ("UDP Statistics for IPv4\n  No Ports = 1\nC:\\>\n", 3, "C:\\>"),
        ("UDP Statistics for IPv4\n  Received Sent\n  No Ports = 1\n", 2, "  Received Sent"),
        # Text that holds no netstat -s section at all.
        (
            "The requested operation requires elevation.\r\n",
            1,
            "The requested operation requires elevation.",
        ),
    ],
)
def test_malformed_netstat_s(text: str, line_number: int, line: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_protocol_stats(text, source="s.txt")
    assert (info.value.source, info.value.line_number, info.value.line) == (
        "s.txt",
        line_number,
        line,
    )


def test_errors_are_value_errors_with_the_place_in_the_message() -> None:
    with pytest.raises(ValueError, match=r"s\.txt, line 2: .*'  No Ports = x'"):
        parse_protocol_stats("UDP Statistics for IPv4\n  No Ports = x\n", source="s.txt")


# --- Real captures (outside the project) --------------------------------------------------

CAPTURES = windows_captures_folder()
needs_captures = pytest.mark.skipif(not CAPTURES, reason=NO_WINDOWS_CAPTURES)

# The independent reading: English titles and rows, by regular expression.
TITLE_RE = re.compile(
    r"^(IPv4|IPv6|ICMPv4|ICMPv6) Statistics\s*$|^(TCP|UDP) Statistics for (IPv4|IPv6)\s*$"
)
VALUE_ROW_RE = re.compile(r"^  (\S.*?)\s+=\s+(\d+)\s*$")
ICMP_ROW_RE = re.compile(r"^  (\S.*?)\s+(\d+)\s+(\d+)\s*$")
ICMP_HEADER_RE = re.compile(r"^\s+Received\s+Sent\s*$")


def _capture(pattern: str) -> Path:
    matches = sorted(Path(CAPTURES or ".").glob(pattern))
    if not matches:
        pytest.skip(f"The captures folder {CAPTURES} has no {pattern} file to test.")
    return matches[0]


@needs_captures
def test_real_netstat_ns_capture_loses_no_counter() -> None:
    path = _capture("021_*netstat-ns*")
    data = path.read_bytes()
    printed: list[tuple[str, str, int]] = []  # (group, name, value) for every number
    group = table = None
    for line in data.decode("ascii").splitlines():
        if not line.strip() or ICMP_HEADER_RE.match(line):
            continue
        if TITLE_RE.match(line):
            group, table = SECTIONS[line.strip()]
            continue
        assert table is not None, line
        labels = {entry[0]: entry for entry in table}
        if match := VALUE_ROW_RE.match(line):
            printed.append((group, labels[match[1]][1], int(match[2])))
        elif match := ICMP_ROW_RE.match(line):
            _, target, received, sent = labels[match[1]]
            printed.append((target, received, int(match[2])))
            printed.append((target, sent, int(match[3])))
        else:
            pytest.fail(f"line not understood by the test itself: {line!r}")
    groups = as_dict(parse_protocol_stats(data, source=str(path)))
    assert len(printed) == 17 * 2 + 15 * 2 + 17 * 2 + 8 * 2 + 4 * 2  # the whole capture
    for group_name, name, value in printed:
        assert groups[group_name][name] == value, (group_name, name)
    assert sum(len(counters) for counters in groups.values()) == len(printed)


@needs_captures
def test_real_netstat_e_capture() -> None:
    path = _capture("036_*netstat-e*")
    data = path.read_bytes()
    rows = re.findall(r"(?m)^([A-Za-z][A-Za-z -]*?)\s+(\d+)(?:\s+(\d+))?\s*$", data.decode("ascii"))
    printed = {label: (int(rx), int(tx) if tx else None) for label, rx, tx in rows}
    assert len(printed) == 6
    (total,) = parse_interface_stats(data, source=str(path))
    assert (total.rx_bytes, total.tx_bytes) == printed["Bytes"]
    assert (total.rx_unicast_packets, total.tx_unicast_packets) == printed["Unicast packets"]
    assert (total.rx_non_unicast_packets, total.tx_non_unicast_packets) == printed[
        "Non-unicast packets"
    ]
    assert (total.rx_dropped, total.tx_dropped) == printed["Discards"]
    assert (total.rx_errors, total.tx_errors) == printed["Errors"]
    assert (total.rx_unknown_protocols, None) == printed["Unknown protocols"]
    assert total.rx_packets == printed["Unicast packets"][0] + printed["Non-unicast packets"][0]


# --- Properties -----------------------------------------------------------------------------

PARSERS = [parse_interface_stats, parse_protocol_stats]


def _check_result(result: object) -> None:
    """What any parsed record holds: values of the annotated types; counters that are
    counts (never negative) under non-empty names; one total over all interfaces."""
    assert isinstance(result, list)
    for record in result:
        check_record(record)
        if isinstance(record, ProtocolStats):
            assert record.group and all(name for name in record.counters), record
            assert all(value >= 0 for value in record.counters.values()), record
        else:
            assert isinstance(record, InterfaceStats) and record.name is None
            counters = [getattr(record, f.name) for f in attrs.fields(InterfaceStats)]
            assert all(value >= 0 for value in counters if isinstance(value, int)), record


def _parses_or_rejects(data: str | bytes) -> None:
    for parse in PARSERS:
        try:
            result = parse(data)
        except ParseError:
            continue
        _check_result(result)


@PROPERTIES
@given(st.text())
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    _parses_or_rejects(text)


@PROPERTIES
@given(st.binary())
def test_any_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    _parses_or_rejects(data)


# Lines that look like parts of the format, to build texts near the valid ones.
FORMAT_LINES = st.sampled_from(
    [
        "",
        "IPv4 Statistics",
        "ICMPv6 Statistics",
        "TCP Statistics for IPv6",
        "UDP-Statistik für IPv4",
        ICMP_HEADER,
        "  Packets Received = 5",
        "  Messages  1  2",
        "  Type 142  1  2",
        "Bytes   1   2",
        "Unknown protocols   3",
        "Interface Statistics",
        "  = 1",
        "TCP UDP",
    ]
)


@PROPERTIES
@given(st.lists(FORMAT_LINES, max_size=30), st.sampled_from(["\n", "\r\n", "\r"]))
def test_texts_of_format_lines_parse_or_raise_parse_error(rows: list[str], end: str) -> None:
    _parses_or_rejects(end.join(rows))


SAMPLE_TEXTS = [
    (FIXTURES / "win10_en_netstat-es.txt").read_text("ascii"),
    (FIXTURES / "constructed_win81_de_netstat-es_cp850.txt").read_text("cp850"),
]

TOKENS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(
        ["=", "0", "-1", "\uff11\uff12", "9" * 30, "IPv6", "TCP", "Type", "Sent", "\t"]
    ),
)
MUTATION = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 400)),
    st.tuples(st.just("duplicate"), st.integers(0, 400)),
    st.tuples(st.just("swap"), st.integers(0, 400), st.integers(0, 400)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.one_of(FORMAT_LINES, st.text())),
    st.tuples(st.just("token"), st.integers(0, 400), st.integers(0, 8), TOKENS),
    st.tuples(st.just("cut"), st.integers(0, 400), st.integers(0, 60)),
)


def _mutate(text: str, mutations: list[tuple]) -> str:
    rows = text.splitlines()
    for mutation in mutations:
        kind, index = mutation[0], mutation[1] % (len(rows) or 1)
        if not rows:
            rows.append("")
        if kind == "delete":
            del rows[index]
        elif kind == "duplicate":
            rows.insert(index, rows[index])
        elif kind == "swap":
            other = mutation[2] % len(rows)
            rows[index], rows[other] = rows[other], rows[index]
        elif kind == "insert":
            rows.insert(index, mutation[2])
        elif kind == "token":
            tokens = rows[index].split()
            if tokens:
                tokens[mutation[2] % len(tokens)] = mutation[3]
                rows[index] = "  " + "  ".join(tokens)
        else:
            rows[index] = rows[index][: mutation[2]]
    return "\r\n".join(rows)


@PROPERTIES
@given(st.sampled_from(SAMPLE_TEXTS), st.lists(MUTATION, min_size=1, max_size=5))
def test_damaged_samples_parse_or_raise_parse_error(text: str, mutations: list[tuple]) -> None:
    damaged = _mutate(text, mutations)
    _parses_or_rejects(damaged)
    _parses_or_rejects(damaged.encode("utf-16"))


COUNTER = st.integers(0, 2**64 - 1)


@PROPERTIES
@given(
    st.lists(st.sampled_from(ALL_TITLES), unique=True, min_size=1).map(
        lambda titles: sorted(titles, key=ALL_TITLES.index)
    ),
    st.data(),
)
def test_printed_values_parse_back(titles: list[str], data: st.DataObject) -> None:
    text = ""
    expected: dict[str, dict[str, int]] = {}
    for title in titles:
        group, table = SECTIONS[title]
        width = 2 if title.startswith("ICMP") else 1
        values = data.draw(
            st.lists(COUNTER, min_size=width * len(table), max_size=width * len(table))
        )
        text += section_text(title, values)
        for index, entry in enumerate(table):
            if width == 2:
                _, target, received, sent = entry
                expected.setdefault(target, {})[received] = values[2 * index]
                expected[target][sent] = values[2 * index + 1]
            else:
                expected.setdefault(group, {})[entry[1]] = values[index]
    assert as_dict(parse_protocol_stats(text)) == expected
