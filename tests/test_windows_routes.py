"""The parser of Windows ``route print`` / ``netstat -r`` output.

Three kinds of tests:

* hand-written samples in ``tests/fixtures/windows/routes/`` (made-up addresses and
  adapters in the real layouts of Windows XP to 11, English and Spanish, LF, CRLF and
  UTF-16LE), each with a ``.json`` sibling of expected values written by hand;
* one unit test per rule of the parser (on-link words, XP's gateway, persistent
  routes, wrapped IPv6 gateways, interface linking, flags, errors);
* properties: any text or bytes, and valid samples with random damage, either parse or
  raise :class:`netstatlib.ParseError`.

``NETSTATLIB_WINDOWS_CAPTURES=<folder>`` also runs the parser over every real
``*route-print*`` capture in that folder, against counts taken from the raw text.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
import socket
from pathlib import Path

import attrs
import netaddr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from record_contracts import check_record

from netstatlib import ParseError, Route, RouteFlags
from netstatlib.parsers._win_routes import (
    WindowsInterface,
    parse_interface_list,
    parse_routes,
)

from conftest import NO_WINDOWS_CAPTURES, parameters_or_skip, windows_captures_folder

FIXTURES = Path(__file__).parent / "fixtures" / "windows" / "routes"
SAMPLES = sorted(FIXTURES.glob("*.txt"))
FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6}

ACTIVE_HEADER = "Network Destination        Netmask          Gateway       Interface  Metric"
PERSISTENT_HEADER = "  Network Address          Netmask  Gateway Address  Metric"
IPV6_HEADER = " If Metric Network Destination      Gateway"
SEPARATOR = "=" * 75


def _flags(text: str) -> RouteFlags:
    flags = RouteFlags(0)
    for name in filter(None, text.split(",")):
        flags |= RouteFlags[name]
    return flags


def _expected_route(fields: list[str], values: list) -> Route:
    row = dict(zip(fields, values, strict=True))
    gateway, address = row["gateway"], row["interface_address"]
    return Route(
        family=FAMILIES[row["family"]],
        destination=netaddr.IPNetwork(row["destination"]),
        gateway=None if gateway is None else netaddr.IPAddress(gateway),
        interface=row["interface"],
        metric=row["metric"],
        flags=_flags(row["flags"]),
        interface_address=None if address is None else netaddr.IPAddress(address),
        interface_index=row["interface_index"],
        persistent=row["persistent"],
    )


def _ipv4_table(*rows: str, persistent: tuple[str, ...] = ()) -> str:
    text = ["IPv4 Route Table", SEPARATOR, "Active Routes:", ACTIVE_HEADER, *rows, SEPARATOR]
    text += ["Persistent Routes:", PERSISTENT_HEADER, *persistent, SEPARATOR]
    return "\n".join(text) + "\n"


def _only(text: str) -> Route:
    routes = parse_routes(text)
    assert len(routes) == 1
    return routes[0]


# --- hand-written samples with golden values --------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_sample(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text("utf-8"))
    data = path.read_bytes()
    interfaces = parse_interface_list(data, source=str(path))
    assert [
        [i.index, None if i.mac is None else str(i.mac), i.description] for i in interfaces
    ] == (expected["interfaces"])
    routes = parse_routes(data, source=str(path))
    wanted = [_expected_route(expected["route_fields"], row) for row in expected["routes"]]
    assert len(routes) == len(wanted)
    for got, want in zip(routes, wanted, strict=True):
        assert got == want
        assert type(got.destination) is netaddr.IPNetwork
        assert got.destination.version == (4 if got.family == socket.AF_INET else 6)


def test_samples_cover_the_encodings() -> None:
    """The samples include UTF-16LE with a BOM and CRLF (PowerShell's ``>``), CRLF in the
    console code page, and LF (a capture that went through git or a web editor)."""
    raw = {path.name: path.read_bytes() for path in SAMPLES}
    utf16 = raw["es_localized_onlink.txt"]
    assert utf16.startswith(codecs.BOM_UTF16_LE) and "\r\n" in utf16.decode("utf-16")
    assert b"\r\n" in raw["winxp_en.txt"] and not raw["winxp_en.txt"].endswith(b"\n")
    assert b"\r" not in raw["win10_en_active_persistent.txt"]
    assert b"Default \r\n" in raw["win7_isatap_default_metric.txt"]


def test_sample_as_str_bytes_and_code_page_agree() -> None:
    path = FIXTURES / "es_localized_onlink.txt"
    text = path.read_bytes().decode("utf-16")
    expected = parse_routes(path.read_bytes())
    assert parse_routes(text) == expected
    assert parse_routes(text.encode("utf-8")) == expected
    assert parse_routes(text.encode("cp850"), encoding="cp850") == expected
    assert parse_routes(text.replace("\r\n", "\r")) == expected  # lone CR line ends


# --- the interface list -------------------------------------------------------------------


def test_interface_entries() -> None:
    text = (
        " 12...00 1c 42 aa bb cc ......Example VirtIO Ethernet Adapter   \n"
        "  1...........................Software Loopback Interface 1\n"
        " 15...00 00 00 00 00 00 00 e0 Microsoft ISATAP Adapter #2\n"
        "0x1 ........................... MS TCP Loopback interface\n"
        "0x7000002 ...00 53 45 00 00 00 ...... WAN (PPP/SLIP) Interface\n"
        " 40...02 00 4c 4f ......Four-byte Tunnel\n"
    )
    assert parse_interface_list(text) == [
        WindowsInterface(
            index=12,
            mac=netaddr.EUI("00-1C-42-AA-BB-CC"),
            description="Example VirtIO Ethernet Adapter",
        ),
        WindowsInterface(index=1, mac=None, description="Software Loopback Interface 1"),
        WindowsInterface(
            index=15,
            mac=netaddr.EUI("00-00-00-00-00-00-00-e0"),
            description="Microsoft ISATAP Adapter #2",
        ),
        WindowsInterface(index=1, mac=None, description="MS TCP Loopback interface"),
        WindowsInterface(
            index=0x7000002,
            mac=netaddr.EUI("00-53-45-00-00-00"),
            description="WAN (PPP/SLIP) Interface",
        ),
        # A physical address that is neither 48 nor 64 bits is no EUI.
        WindowsInterface(index=40, mac=None, description="Four-byte Tunnel"),
    ]


def test_eui64_mac() -> None:
    (entry,) = parse_interface_list(" 13...00 00 00 00 00 00 00 e0 Microsoft 6to4 Adapter")
    assert entry.mac is not None and entry.mac.version == 64
    assert int(entry.mac) == 0xE0
    assert entry.description == "Microsoft 6to4 Adapter"


def test_interface_list_ignores_everything_else() -> None:
    text = (FIXTURES / "win10_en_active_persistent.txt").read_text("ascii")
    assert len(parse_interface_list(text)) == 4
    assert parse_interface_list("") == []
    assert parse_interface_list("IPv4 Route Table\n  0.0.0.0 0.0.0.0 On-link 10.0.0.1 5\n") == []


# --- IPv4 rows ----------------------------------------------------------------------------


def test_on_link_english() -> None:
    route = _only(
        _ipv4_table("       10.1.2.0    255.255.255.0         On-link       10.1.2.3    281")
    )
    assert route.gateway is None
    assert route.interface_address == netaddr.IPAddress("10.1.2.3")
    assert route.interface is None and route.interface_index is None
    assert route.flags == RouteFlags.UP
    assert route.destination == netaddr.IPNetwork("10.1.2.0/24")


def test_on_link_spanish_two_words() -> None:
    route = _only("          0.0.0.0        192.0.0.0      En vínculo       10.1.2.3    250\n")
    assert route.gateway is None
    assert route.destination == netaddr.IPNetwork("0.0.0.0/2")
    assert route.interface_address == netaddr.IPAddress("10.1.2.3")
    assert route.metric == 250


@pytest.mark.parametrize("word", ["Auf Verbindung", "Sur la liaison", "链路上", "リンク上"])
def test_on_link_in_any_language(word: str) -> None:
    """No list of translations: whatever sits between netmask and interface is the word."""
    assert _only(f"  10.1.2.0  255.255.255.0  {word}  10.1.2.3  281").gateway is None


def test_gateway_address() -> None:
    route = _only("  10.8.0.0  255.255.0.0  10.1.2.254  10.1.2.3  26")
    assert route.gateway == netaddr.IPAddress("10.1.2.254")
    assert route.flags == RouteFlags.UP | RouteFlags.GATEWAY
    assert route.is_default is False


def test_xp_gateway_equal_to_interface_is_on_link() -> None:
    """Windows XP prints the interface's own address where later versions print On-link."""
    text = "\n".join(
        [
            "          0.0.0.0          0.0.0.0     192.168.7.1    192.168.7.20     20",
            "      192.168.7.0    255.255.255.0    192.168.7.20    192.168.7.20     20",
            "     192.168.7.20  255.255.255.255       127.0.0.1       127.0.0.1     20",
        ]
    )
    default, subnet, local = parse_routes(text)
    assert default.gateway == netaddr.IPAddress("192.168.7.1") and default.is_default
    assert subnet.gateway is None and subnet.flags == RouteFlags.UP
    assert local.gateway is None and local.flags == RouteFlags.UP | RouteFlags.HOST
    assert local.interface_address == netaddr.IPAddress("127.0.0.1")


def test_xp_interface_printed_as_index() -> None:
    text = (
        "0x2 ...00 11 22 33 44 55 ...... Example Adapter\n"
        "  255.255.255.255  255.255.255.255    192.168.7.20              2      1\n"
    )
    route = _only(text)
    assert route.interface_index == 2 and route.interface_address is None
    assert route.interface == "Example Adapter"
    assert route.gateway == netaddr.IPAddress("192.168.7.20")


def test_xp_default_gateway_line_is_skipped() -> None:
    text = _ipv4_table(
        "          0.0.0.0          0.0.0.0     192.168.7.1    192.168.7.20     20",
        "Default Gateway:       192.168.7.1",
    )
    assert len(parse_routes(text)) == 1


def test_flags() -> None:
    text = _ipv4_table(
        "  10.0.0.0  255.0.0.0  On-link  10.0.0.5  5",
        "  10.0.0.9  255.255.255.255  On-link  10.0.0.5  5",
        "  10.9.9.9  255.255.255.255  10.0.0.1  10.0.0.5  5",
        persistent=(
            "  10.7.0.0  255.255.0.0  10.0.0.1  3",
            "  10.7.7.7  255.255.255.255  10.0.0.1  3",
        ),
    )
    assert [route.flags for route in parse_routes(text)] == [
        RouteFlags.UP,
        RouteFlags.UP | RouteFlags.HOST,
        RouteFlags.UP | RouteFlags.GATEWAY | RouteFlags.HOST,
        RouteFlags.GATEWAY,
        RouteFlags.GATEWAY | RouteFlags.HOST,
    ]


@pytest.mark.parametrize(
    ("row", "gateway", "metric"),
    [
        ("  10.7.0.0  255.255.0.0  10.0.0.1  3", "10.0.0.1", 3),
        ("  10.7.0.0  255.255.0.0  10.0.0.1  Default", "10.0.0.1", None),
        ("  10.7.0.0  255.255.0.0  10.0.0.1  Default ", "10.0.0.1", None),
        ("  10.7.0.0  255.255.0.0  10.0.0.1  Predeterminado", "10.0.0.1", None),
        ("  10.7.0.0  255.255.0.0  10.0.0.1  Valeur par défaut", "10.0.0.1", None),
        ("  10.7.0.0  255.255.0.0  On-link  7", None, 7),
        ("  10.7.0.0  255.255.0.0  En vínculo  Predeterminado", None, None),
    ],
)
def test_persistent_ipv4(row: str, gateway: str | None, metric: int | None) -> None:
    route = _only(_ipv4_table(persistent=(row,)))
    assert route.persistent is True
    assert route.gateway == (None if gateway is None else netaddr.IPAddress(gateway))
    assert route.metric == metric
    assert route.interface_address is None and route.interface is None
    assert RouteFlags.UP not in route.flags
    assert not route.is_default


def test_persistent_ipv4_told_by_shape_without_titles() -> None:
    active, persistent = parse_routes(
        "  10.7.0.0  255.255.0.0  10.0.0.1  10.0.0.5  3\n  10.7.0.0  255.255.0.0  10.0.0.1  3\n"
    )
    assert active.persistent is False and persistent.persistent is True


# --- IPv6 rows ----------------------------------------------------------------------------

IPV6_OUTPUT = "\n".join(
    [
        SEPARATOR,
        "Interface List",
        " 12...00 1c 42 aa bb cc ......Example Ethernet",
        "  1...........................Software Loopback Interface 1",
        SEPARATOR,
        "",
        "IPv6 Route Table",
        SEPARATOR,
        "Active Routes:",
        IPV6_HEADER,
        "  1    331 ::1/128                  On-link",
        " 12    281 2001:db8::/64            fe80::1",
        " 12    281 2001:db8::aaaa:bbbb:cccc:dddd/128",
        "                                    On-link",
        " 12    281 2001:db8:1:2:3:4:5:6/128",
        "                                    fe80::1",
        " 44    281 fe80::/64                On-link",
        SEPARATOR,
        "Persistent Routes:",
        IPV6_HEADER,
        "  0 4294967295 2001:db8:f::/48          fe80::1",
        " 12    10 2001:db8:e::/48           fe80::2",
        SEPARATOR,
    ]
)


def test_ipv6_rows() -> None:
    routes = parse_routes(IPV6_OUTPUT)
    assert [str(route.destination) for route in routes] == [
        "::1/128",
        "2001:db8::/64",
        "2001:db8::aaaa:bbbb:cccc:dddd/128",
        "2001:db8:1:2:3:4:5:6/128",
        "fe80::/64",
        "2001:db8:f::/48",
        "2001:db8:e::/48",
    ]
    assert all(route.family == socket.AF_INET6 for route in routes)
    assert [route.gateway for route in routes] == [
        None,
        netaddr.IPAddress("fe80::1"),
        None,
        netaddr.IPAddress("fe80::1"),
        None,
        netaddr.IPAddress("fe80::1"),
        netaddr.IPAddress("fe80::2"),
    ]
    assert [route.persistent for route in routes] == [False] * 5 + [True] * 2
    assert [route.metric for route in routes] == [331, 281, 281, 281, 281, 4294967295, 10]


def test_an_interface_without_a_description_names_no_route() -> None:
    """An entry cut short after its address (a damaged or hand-edited list) links the
    routes of its index to nothing: ``interface`` is a name or None, never ""."""
    text = IPV6_OUTPUT.replace("......Example Ethernet", "")
    routes = parse_routes(text)
    assert [route.interface for route in routes if route.interface_index == 12] == [None] * 4
    assert parse_interface_list(text)[0].description == ""


def test_ipv6_interface_linked_by_index() -> None:
    routes = parse_routes(IPV6_OUTPUT)
    assert [(route.interface_index, route.interface) for route in routes] == [
        (1, "Software Loopback Interface 1"),
        (12, "Example Ethernet"),
        (12, "Example Ethernet"),
        (12, "Example Ethernet"),
        (44, None),  # not in the list
        (None, None),  # If 0: a persistent route stored without an interface
        (12, "Example Ethernet"),
    ]
    assert all(route.interface_address is None for route in routes)


def test_ipv6_flags() -> None:
    routes = parse_routes(IPV6_OUTPUT)
    assert [route.flags for route in routes] == [
        RouteFlags.UP | RouteFlags.HOST,
        RouteFlags.UP | RouteFlags.GATEWAY,
        RouteFlags.UP | RouteFlags.HOST,
        RouteFlags.UP | RouteFlags.GATEWAY | RouteFlags.HOST,
        RouteFlags.UP,
        RouteFlags.GATEWAY,
        RouteFlags.GATEWAY,
    ]


def test_ipv6_default_route() -> None:
    route = _only("  5     25 ::/0                     fe80::1\n")
    assert route.is_default and route.gateway == netaddr.IPAddress("fe80::1")


def test_ipv6_parts_told_by_localized_titles() -> None:
    """Titles are found by their colon (ASCII or fullwidth), not by their words."""
    for active, persistent in [
        ("Rutas activas:", "Rutas persistentes:"),
        ("活动路由\uff1a", "永久路由\uff1a"),
    ]:
        text = "\n".join(
            [
                "IPv6 路由表",
                SEPARATOR,
                active,
                " 接口跃点数网络目标                网关",
                "  1    331 ::1/128                  En vínculo",
                SEPARATOR,
                persistent,
                " 接口跃点数网络目标                网关",
                "  7    256 2001:db8::/32            fe80::9",
                SEPARATOR,
            ]
        )
        first, second = parse_routes(text)
        assert first.persistent is False and first.gateway is None
        assert second.persistent is True and second.interface_index == 7


def test_ipv6_wrapped_gateway_missing() -> None:
    text = "  1    331 2001:db8::aaaa:bbbb:cccc:dddd/128\n" + SEPARATOR + "\n"
    with pytest.raises(ParseError) as info:
        parse_routes(text)
    assert info.value.line_number == 1
    assert info.value.line == "  1    331 2001:db8::aaaa:bbbb:cccc:dddd/128"
    with pytest.raises(ParseError) as info:
        parse_routes("x\n  1    331 2001:db8::aaaa:bbbb:cccc:dddd/128")
    assert info.value.line_number == 2


def test_ipv6_wrapped_gateway_followed_by_a_row() -> None:
    text = "  1    331 2001:db8::aaaa:bbbb:cccc:dddd/128\n  1    331 ::1/128   On-link\n"
    with pytest.raises(ParseError) as info:
        parse_routes(text)
    assert info.value.line_number == 1


# --- structure: fragments, titles, text that is not a route table -------------------------


def test_empty_input() -> None:
    assert parse_routes("") == []
    assert parse_routes(b"") == []
    assert parse_routes(" \r\n\r\n") == []
    assert parse_routes("\ufeff") == []


def test_only_titles_and_none() -> None:
    text = (
        "IPv4 Route Table\n" + SEPARATOR + "\nActive Routes:\n  None\nPersistent Routes:\n  None\n"
    )
    assert parse_routes(text) == []


def test_pasted_with_prompt_and_banner() -> None:
    text = (
        "Microsoft Windows [Version 10.0.19045.3693]\n"
        "(c) Microsoft Corporation. All rights reserved.\n\n"
        "C:\\Users\\example>route print 0.0.0.0\n"
        + _ipv4_table("  0.0.0.0  0.0.0.0  10.0.0.1  10.0.0.5  25")
        + "\nC:\\Users\\example>\n"
    )
    assert len(parse_routes(text)) == 1


def test_netstat_connections_are_not_routes() -> None:
    text = (
        "\nActive Connections\n\n  Proto  Local Address          Foreign Address        State\n"
        "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING\n"
    )
    with pytest.raises(ParseError) as info:
        parse_routes(text, source="netstat.txt")
    assert info.value.line_number == 5 and info.value.source == "netstat.txt"


def test_ipconfig_is_not_routes() -> None:
    text = "Ethernet adapter Ethernet:\n\n   IPv4 Address. . . . . . . . . . . : 192.168.7.20\n"
    with pytest.raises(ParseError) as info:
        parse_routes(text)
    assert info.value.line_number == 3


def test_text_with_an_address_after_rows() -> None:
    text = _ipv4_table(
        "  0.0.0.0  0.0.0.0  10.0.0.1  10.0.0.5  25", "see also 10.0.0.1 for details"
    )
    with pytest.raises(ParseError) as info:
        parse_routes(text)
    assert info.value.line == "see also 10.0.0.1 for details"
    assert info.value.line_number == 6


# --- malformed rows -----------------------------------------------------------------------


def test_non_contiguous_netmask() -> None:
    row = "        10.0.0.0      255.0.255.0         On-link        10.0.0.5    281"
    with pytest.raises(ParseError, match="not contiguous") as info:
        parse_routes(_ipv4_table(row))
    assert info.value.line_number == 5
    assert info.value.line == row
    assert info.value.source == "<string>"


@pytest.mark.parametrize(
    "row",
    [
        "  10.0.0.300  255.0.0.0  On-link  10.0.0.5  281",  # octet out of range
        "  10.0.0  255.0.0.0  On-link  10.0.0.5  281",  # three octets
        "  10.0.0.0  255.0.0.0  On-link  10.0.0.5  28l",  # metric with a letter
        "  10.0.0.0  255.0.0.0  On-link  10.0.0.5  \uff12\uff18",  # fullwidth digits
        "  10.0.0.0  255.0.0.0  10.0.0.x  10.0.0.5  281",  # gateway neither address nor word
        "  10.0.0.0  255.0.0.0  10.0.0.1  10.0.0.500  281",  # bad interface address
        "  10.0.0.0  255.0.0.0  fe80::1  10.0.0.5  281",  # IPv6 gateway in an IPv4 row
        "  10.0.0.0  255.0.0.0  10.0.0.5  281",  # active part, but no gateway column
        "  10.0.0.0",  # destination only
        "  10.0.0.0  255.0.0.0",
        "  10.0.0.0  255.0.0.0  10.0.0.1  10.0.0.5  99999999999",  # metric beyond 32 bits
    ],
)
def test_malformed_active_ipv4_row(row: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_routes(_ipv4_table(row))
    assert info.value.line_number == 5
    assert info.value.line == row


@pytest.mark.parametrize(
    "row",
    [
        "  10.7.0.0  255.255.0.0  10.0.0.1",  # no metric
        "  10.7.0.0  255.255.0.0  10.0.0.1  10.0.0.5  3",  # an interface column
        "  10.7.0.0  255.255.0.0  10.0.0.1  3x",
        "  10.7.0.0  255.255.0.0  10.0.0.256  3",
    ],
)
def test_malformed_persistent_ipv4_row(row: str) -> None:
    text = _ipv4_table("  0.0.0.0  0.0.0.0  10.0.0.1  10.0.0.5  25", persistent=(row,))
    with pytest.raises(ParseError) as info:
        parse_routes(text)
    assert info.value.line_number == 9
    assert info.value.line == row


@pytest.mark.parametrize(
    "row",
    [
        "  1    331 ::1",  # no prefix length
        "  1    331 ::1/129",
        "  1    331 ::1/1x",
        "  1    331 ::g/128    On-link",
        "  1    331 10.0.0.0/8    On-link",
        "  1    331 ::/0    fe80::zz",
        "  1    331 ::/0    10.0.0.1",
        "  1    331",
        "  99999999999    331 ::/0    On-link",  # interface index beyond 32 bits
    ],
)
def test_malformed_ipv6_row(row: str) -> None:
    text = "\n".join(["IPv6 Route Table", SEPARATOR, "Active Routes:", IPV6_HEADER, row, SEPARATOR])
    with pytest.raises(ParseError) as info:
        parse_routes(text)
    assert info.value.line_number == 5
    assert info.value.line == row


def test_wrapped_gateway_that_is_not_one() -> None:
    text = "  1    331 2001:db8::aaaa:bbbb:cccc:dddd/128\n                                    fe80::1::2\n"
    with pytest.raises(ParseError) as info:
        parse_routes(text)
    assert info.value.line_number == 2


def test_parse_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_routes("  10.0.0.300  255.0.0.0  On-link  10.0.0.5  281")


# --- properties ---------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


def check_routes(routes: list[Route]) -> None:
    """What any parsed route holds: values of the annotated types, one family for the
    destination and the gateway, and how Windows names the interface."""
    assert isinstance(routes, list)
    for route in routes:
        check_record(route)
        version = 4 if route.family == socket.AF_INET else 6
        assert route.family in (socket.AF_INET, socket.AF_INET6), route
        assert route.destination.version == version, route
        assert route.gateway is None or route.gateway.version == version, route
        assert route.interface_address is None or route.interface_address.version == 4, route
        assert route.interface_index is None or route.interface_index > 0, route
        assert route.metric is None or route.metric >= 0, route
        assert route.persistent is not None, route  # Windows always says which list


def check_interfaces(interfaces: list[WindowsInterface]) -> None:
    assert isinstance(interfaces, list)
    for interface in interfaces:
        assert isinstance(interface.index, int) and interface.index >= 0, interface
        assert interface.mac is None or isinstance(interface.mac, netaddr.EUI), interface
        assert isinstance(interface.description, str), interface


def _parse_or_parse_error(data: str | bytes) -> None:
    with contextlib.suppress(ParseError):
        check_routes(parse_routes(data))
    with contextlib.suppress(ParseError):
        check_interfaces(parse_interface_list(data))


def test_the_route_check_refuses_a_route_of_two_families() -> None:
    routes = parse_routes((FIXTURES / "win10_en_active_persistent.txt").read_bytes())
    check_routes(routes)
    ipv4 = next(route for route in routes if route.family == socket.AF_INET and route.gateway)
    with pytest.raises(AssertionError):
        check_routes([attrs.evolve(ipv4, family=socket.AF_INET6)])


@PROPERTY_SETTINGS
@given(st.text())
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    _parse_or_parse_error(text)


@PROPERTY_SETTINGS
@given(st.binary())
def test_any_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    _parse_or_parse_error(data)


# Lines made of what route print is made of, so that random text reaches the row parser.
_PIECES = st.sampled_from(
    [
        " ",
        "  ",
        "10.0.0.1",
        "255.255.255.0",
        "0.0.0.0",
        "On-link",
        "En vínculo",
        "331",
        "4294967295",
        "::1/128",
        "fe80::1",
        "fe80::/64",
        "Default",
        "0x2",
        "...",
        "00 1c 42 aa bb cc",
        "Active Routes:",
        "IPv6",
        SEPARATOR,
    ]
)


@PROPERTY_SETTINGS
@given(st.lists(st.lists(_PIECES, max_size=8).map(" ".join), max_size=12).map("\n".join))
def test_route_like_text_parses_or_raises_parse_error(text: str) -> None:
    _parse_or_parse_error(text)


_SAMPLE_LINES = {
    path.name: path.read_bytes().decode("utf-16" if path.name.startswith("es_") else "ascii")
    for path in SAMPLES
}


@PROPERTY_SETTINGS
@given(
    st.sampled_from(sorted(_SAMPLE_LINES)),
    st.integers(min_value=0),
    st.integers(min_value=0),
    st.text(max_size=3),
    st.sampled_from(["replace", "insert", "delete", "cut", "duplicate", "drop"]),
)
def test_damaged_sample_parses_or_raises_parse_error(
    name: str, line_pick: int, column_pick: int, text: str, damage: str
) -> None:
    lines = _SAMPLE_LINES[name].splitlines()
    index = line_pick % len(lines)
    line = lines[index]
    column = column_pick % (len(line) + 1)
    if damage == "replace":
        line = line[:column] + text + line[column + 1 :]
    elif damage == "insert":
        line = line[:column] + text + line[column:]
    elif damage == "delete":
        line = line[:column] + line[column + len(text) + 1 :]
    elif damage == "cut":
        line = line[:column]
    if damage == "duplicate":
        lines.insert(index, line)
    elif damage == "drop":
        del lines[index]
    else:
        lines[index] = line
    _parse_or_parse_error("\n".join(lines))


@PROPERTY_SETTINGS
@given(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=0, max_value=32),
    st.integers(min_value=1, max_value=2**32 - 1),
    # An effective metric is a route metric plus an interface metric, each at most 9999
    # ("route add ... METRIC"): it always fits the 7-character column.
    st.integers(min_value=0, max_value=19_998),
    st.booleans(),
)
def test_printed_ipv4_row_parses_back(
    address: int, prefix: int, gateway: int, metric: int, on_link: bool
) -> None:
    """An active row printed in the columns route.exe uses reads back as its values."""
    destination = netaddr.IPNetwork((address, prefix), version=4).cidr
    interface = netaddr.IPAddress(0x0A000005, 4)
    gateway_address = netaddr.IPAddress(gateway, 4)
    if gateway_address == interface:
        on_link = True
    gateway_text = "On-link" if on_link else str(gateway_address)
    row = (
        f"{destination.ip!s:>17}{destination.netmask!s:>17}{gateway_text:>17}"
        f"{interface!s:>17}{metric:>7}"
    )
    route = _only(row)
    assert route.destination == destination
    assert route.gateway == (None if on_link else gateway_address)
    assert route.metric == metric
    assert route.interface_address == interface


# --- the real captures (only when a folder of them is given) ------------------------------

CAPTURES = windows_captures_folder()
_IPV4_ROW = re.compile(r"\s*\d+\.\d+\.\d+\.\d+\s+\d+\.\d+\.\d+\.\d+\s")
_IPV6_ROW = re.compile(r"\s*\d+\s+\d+\s+[0-9A-Fa-f:.]+/\d+(\s|$)")
_INTERFACE_ENTRY = re.compile(r"\s*(0x[0-9A-Fa-f]+|\d+) ?\.\.\.")


def _capture_files() -> list[Path]:
    if not CAPTURES:
        return []
    return sorted(Path(CAPTURES).glob("*route-print*"))


def _raw_text(data: bytes) -> str:
    """Decoded without the parser's help: UTF-16 by its BOM, else UTF-8."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le")
    return data.decode("utf-8-sig")


@pytest.mark.skipif(not CAPTURES, reason=NO_WINDOWS_CAPTURES)
def test_captures_folder_has_route_prints() -> None:
    assert _capture_files(), f"no *route-print* file in {CAPTURES}"


@pytest.mark.parametrize(
    "path", parameters_or_skip(_capture_files(), NO_WINDOWS_CAPTURES), ids=lambda path: path.name
)
def test_capture(path: Path) -> None:
    data = path.read_bytes()
    raw_lines = _raw_text(data).replace("\r\n", "\n").split("\n")
    ipv4_rows = [line for line in raw_lines if _IPV4_ROW.match(line)]
    ipv6_rows = [line for line in raw_lines if _IPV6_ROW.match(line)]
    routes = parse_routes(data, source=str(path))
    assert len([r for r in routes if r.family == socket.AF_INET]) == len(ipv4_rows)
    assert len([r for r in routes if r.family == socket.AF_INET6]) == len(ipv6_rows)
    interfaces = parse_interface_list(data)
    assert len(interfaces) == len([line for line in raw_lines if _INTERFACE_ENTRY.match(line)])
    names = {interface.index: interface.description for interface in interfaces}
    for route in routes:
        if route.family == socket.AF_INET6:
            assert route.interface == names.get(route.interface_index)
        elif not route.persistent:
            assert route.interface_address is not None or route.interface_index is not None
        assert route.gateway is None or route.gateway.version == route.destination.version
    # Spot checks against what a person reads in the text.
    for line, route in zip(
        ipv4_rows, [r for r in routes if r.family == socket.AF_INET], strict=True
    ):
        fields = line.split()
        assert str(route.destination.ip) == fields[0]
        assert str(route.destination.netmask) == fields[1]
        if fields[-1].isdigit():
            assert route.metric == int(fields[-1])
        if route.gateway is not None:
            assert str(route.gateway) == fields[2]
    text = "\n".join(raw_lines)
    if "On-link" in text:
        on_link_rows = [line for line in ipv4_rows if "On-link" in line]
        assert len(on_link_rows) == len(
            [r for r in routes if r.family == socket.AF_INET and r.gateway is None]
        )
    if "0x1 ..." in text:  # Windows XP: no On-link; the gateway is the interface's address
        loopback = [r for r in routes if r.destination == netaddr.IPNetwork("127.0.0.0/8")]
        assert loopback and all(r.gateway is None for r in loopback)
    if "4294967295" in text:
        assert any(r.metric == 4294967295 and r.persistent for r in routes)
