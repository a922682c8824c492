"""The Windows ``netstat`` connection parser, on hand-written samples of each layout.

The samples in ``tests/fixtures/windows/connections/`` are ours, written in the layouts
real captures show (documentation addresses, made-up names), in the encodings and line
ends Windows produces. Real third-party captures are checked by
``test_windows_captures.py`` when ``NETSTATLIB_WINDOWS_CAPTURES`` names their folder.
"""

from __future__ import annotations

import socket
from pathlib import Path
from unittest import mock

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from record_contracts import check_record

from netstatlib import (
    AccessDeniedError,
    Connection,
    NamedEndpoint,
    ParseError,
    Protocol,
    TcpState,
)
from netstatlib.parsers._win_connections import is_elevation_refusal, parse_connections
from netstatlib.parsers._wintext import decode

from conftest import ep

SAMPLES = Path(__file__).parent / "fixtures" / "windows" / "connections"
INET, INET6 = socket.AddressFamily.AF_INET, socket.AddressFamily.AF_INET6


def sample(name: str) -> list[Connection]:
    return parse_connections((SAMPLES / name).read_bytes(), source=name)


def summary(row: Connection) -> tuple[object, ...]:
    return (
        row.protocol.value,
        row.family.name if row.family else None,
        str(row.local) if row.local else None,
        str(row.remote) if row.remote else None,
        row.state.name if row.state else None,
        row.pids,
    )


def test_english_ano_every_row_and_field() -> None:
    rows = sample("win10_en_netstat-ano.txt")
    assert [summary(row) for row in rows] == [
        ("tcp", "AF_INET", "0.0.0.0:135", None, "LISTEN", (1044,)),
        ("tcp", "AF_INET", "0.0.0.0:445", None, "LISTEN", (4,)),
        ("tcp", "AF_INET", "127.0.0.1:5939", "127.0.0.1:50112", "ESTABLISHED", (3808,)),
        ("tcp", "AF_INET", "192.0.2.10:50233", "198.51.100.7:443", "ESTABLISHED", (7120,)),
        # PID 0 is Windows' "no owner" for TIME_WAIT.
        ("tcp", "AF_INET", "192.0.2.10:50240", "203.0.113.9:443", "TIME_WAIT", ()),
        ("tcp", "AF_INET", "192.0.2.10:50251", "198.51.100.20:8080", "CLOSE_WAIT", (7120,)),
        ("tcp", "AF_INET", "192.0.2.10:50260", "203.0.113.50:22", "SYN_SENT", (9011,)),
        ("tcp", "AF_INET", "192.0.2.10:50261", "203.0.113.51:22", "FIN_WAIT1", (9011,)),
        ("tcp", "AF_INET", "192.0.2.10:3389", "198.51.100.66:61000", "SYN_RECV", (1100,)),
        ("tcp", "AF_INET6", "[::]:135", None, "LISTEN", (1044,)),
        ("tcp", "AF_INET6", "[::1]:49680", "[::1]:49681", "ESTABLISHED", (5012,)),
        (
            "tcp",
            "AF_INET6",
            "[fe80::1c2d:3e4f:5a6b:7c8d%12]:49700",
            "[fe80::9a8b:7c6d:5e4f:3a2b%12]:445",
            "ESTABLISHED",
            (4,),
        ),
        ("udp", "AF_INET", "0.0.0.0:500", None, None, (3412,)),
        ("udp", "AF_INET", "192.0.2.10:137", None, None, (4,)),
        # A connected UDP socket (QUIC) shows its peer: ESTABLISHED, as on Linux.
        ("udp", "AF_INET", "0.0.0.0:61234", "198.51.100.7:443", "ESTABLISHED", (7120,)),
        ("udp", "AF_INET6", "[::]:500", None, None, (3412,)),
        ("udp", "AF_INET6", "[fe80::1c2d:3e4f:5a6b:7c8d%12]:1900", None, None, (5520,)),
    ]
    zoned = rows[11]
    assert zoned.local == ep("fe80::1c2d:3e4f:5a6b:7c8d", 49700, "12")
    assert all(row.process is None and row.uid is None and row.inode is None for row in rows)
    assert all(row.local_name is None and row.remote_name is None for row in rows)
    assert rows[0].is_listening and rows[12].is_listening and not rows[14].is_listening


def test_german_states_in_utf16_with_an_overflowing_column() -> None:
    rows = sample("win10_de_netstat-ano_utf16le.txt")
    assert [(row.state, row.pids) for row in rows] == [
        (TcpState.LISTEN, (1044,)),
        (TcpState.ESTABLISHED, (7120,)),
        (TcpState.TIME_WAIT, ()),
        (TcpState.CLOSE_WAIT, (7120,)),  # SCHLIESSEN_WARTEN pushes the PID right
        (TcpState.SYN_SENT, (9011,)),
        (TcpState.FIN_WAIT2, (9011,)),
        (TcpState.UNKNOWN, (9011,)),
        (None, (3412,)),
    ]
    unknown = rows[6]
    assert unknown.state_text == "ZUSTAND_X"  # kept as printed, the row is not dropped
    assert all(row.state_text is None for row in rows if row is not unknown)


def test_french_header_without_pid_title_still_gives_pids() -> None:
    rows = sample("win10_fr_netstat-ano_no-pid-title.txt")
    assert [row.pids for row in rows] == [(1044,), (7120,), (4,), (2268,)]
    assert rows[2].local == ep("fe80::1c2d:3e4f:5a6b:7c8d", 49700, "7")
    assert str(rows[2].remote) == "[fe80::9a8b:7c6d:5e4f:3a2b%7]:445"


def test_owner_lines_set_process_and_components_never_the_message() -> None:
    rows = sample("win10_en_netstat-anob.txt")
    owners = [(row.local.port if row.local else None, row.process, row.components) for row in rows]
    assert owners == [
        (135, "svchost.exe", ("RpcSs",)),
        (445, None, None),  # "Can not obtain ownership information"
        (5040, "svchost.exe", ("CDPSvc",)),
        (50233, "firefox.exe", ()),
        (50240, None, None),  # TIME_WAIT: no owner line at all
        (135, "svchost.exe", ("RpcSs",)),
        (500, "svchost.exe", ("IKEEXT",)),
        (5353, "System Idle Process", ()),
    ]
    assert len(rows) == 8


def test_windows_xp_bv_component_lists() -> None:
    rows = sample("winxp_en_netstat-anbv.txt")
    assert [row.process for row in rows] == ["svchost.exe", "iexplore.exe"]
    assert rows[0].components == (
        "c:\\windows\\system32\\WS2_32.dll",
        "C:\\WINDOWS\\system32\\RPCRT4.dll",
        "c:\\windows\\system32\\rpcss.dll",
        "C:\\WINDOWS\\system32\\svchost.exe",
        "-- unknown component(s) --",
    )


def test_printed_names_are_kept_and_never_turned_into_addresses() -> None:
    rows = sample("win7_en_netstat-ao_names.txt")
    by_port = {row.local.port: row for row in rows if row.local and row.protocol is Protocol.TCP}
    # A listener's "DESKTOP-7:0" is netstat's "no peer" under the host's own name.
    listener = rows[0]
    assert listener.remote is None and listener.remote_name is None
    time_wait = by_port[23401]
    assert time_wait.remote is None
    assert time_wait.remote_name == NamedEndpoint(host="DESKTOP-7", port=49530)
    assert str(time_wait.remote_name) == "DESKTOP-7:49530"
    # A numeric address with a service name: both numbers known, the name kept too.
    numeric = by_port[49218]
    assert numeric.remote == ep("198.51.100.7", 443)
    assert numeric.remote_name == NamedEndpoint(host="198.51.100.7", port=443, service="https")
    named = by_port[49267]
    assert named.remote is None
    assert named.remote_name == NamedEndpoint(host="edge-cache-01", port=443, service="https")
    assert by_port[50111].remote_name == NamedEndpoint(host="dc01", port=3268, service="msft-gc")
    # "wsd" is two ports in the services file and "acme-svc" none: the port is unknown.
    assert by_port[50112].remote_name == NamedEndpoint(host="dc01", port=None, service="wsd")
    unknown_service = by_port[50113]
    assert unknown_service.remote is None
    assert unknown_service.remote_name == NamedEndpoint(
        host="198.51.100.8", port=None, service="acme-svc"
    )
    assert str(unknown_service.remote_name) == "198.51.100.8:acme-svc"
    long_name = by_port[50114]
    assert long_name.remote_name is not None
    assert long_name.remote_name.host == "host-with-a-very-long-name-0001"
    assert rows[8].family is INET6 and rows[8].remote is None


def test_local_names_leave_the_family_unknown() -> None:
    rows = sample("winxp_en_netstat-a_local-names.txt")
    assert [row.family for row in rows] == [None, None, None, None]
    assert [row.local_name for row in rows] == [
        NamedEndpoint(host="pc-042", port=135, service="epmap"),
        NamedEndpoint(host="pc-042", port=445, service="microsoft-ds"),
        NamedEndpoint(host="pc-042", port=1029),
        NamedEndpoint(host="pc-042", port=123, service="ntp"),
    ]
    assert all(row.local is None for row in rows)
    assert rows[2].remote_name == NamedEndpoint(host="fileserver", port=139, service="netbios-ssn")
    assert rows[3].state is None and rows[3].remote is None


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("zh-CN_netstat-a_gbk.txt", "活动连接"),
        ("ru_netstat-ano_cp866.txt", "Активные подключения"),
        ("de_netstat-ano_cp850.txt", "Aktive Verbindungen"),
    ],
)
def test_console_code_pages_are_recognised(name: str, title: str) -> None:
    text = decode((SAMPLES / name).read_bytes())
    assert title in text
    rows = sample(name)
    assert rows and rows[0].state is TcpState.LISTEN


def test_code_page_rows() -> None:
    assert [summary(row)[2:5] for row in sample("zh-CN_netstat-a_gbk.txt")] == [
        ("0.0.0.0:135", None, "LISTEN"),
        ("192.0.2.10:1072", "198.51.100.7:80", "ESTABLISHED"),
        ("0.0.0.0:500", None, None),
    ]
    assert [row.state for row in sample("de_netstat-ano_cp850.txt")] == [
        TcpState.LISTEN,
        TcpState.ESTABLISHED,
    ]


def test_headerless_findstr_output() -> None:
    rows = sample("findstr_headerless_utf16le.txt")
    assert [summary(row)[2:] for row in rows] == [
        ("0.0.0.0:3000", None, "LISTEN", (8812,)),
        ("127.0.0.1:3000", "127.0.0.1:52100", "ESTABLISHED", (8812,)),
        ("[::]:3000", None, "LISTEN", (8812,)),
    ]


def test_bound_and_delete_tcb() -> None:
    rows = sample("win11_en_netstat-anoq_bound.txt")
    assert [row.state for row in rows] == [
        TcpState.BOUND,
        TcpState.LISTEN,
        TcpState.DELETE_TCB,
        TcpState.BOUND,
    ]
    assert not rows[0].is_listening  # bound, with the same 0.0.0.0:0 peer as a listener


@pytest.mark.parametrize("name", ["elevation_en.txt", "elevation_de.txt"])
def test_elevation_refusal_is_access_denied(name: str) -> None:
    with pytest.raises(AccessDeniedError, match=r"elevat|erhöhte"):
        sample(name)


def test_str_and_bytes_and_line_ends_agree() -> None:
    raw = (SAMPLES / "win10_en_netstat-ano.txt").read_bytes()
    text = raw.decode("ascii")
    lf = text.replace("\r\n", "\n")
    assert parse_connections(raw) == parse_connections(text) == parse_connections(lf)
    assert parse_connections(lf.encode("utf-16")) == parse_connections(text)
    assert parse_connections("\ufeff" + lf) == parse_connections(lf)
    assert parse_connections(raw, encoding="cp437") == parse_connections(text)


def test_empty_input_has_no_rows() -> None:
    assert parse_connections("") == []
    assert parse_connections(b"\r\n\r\n") == []
    assert parse_connections("\nActive Connections\n\n  Proto  Local Address  State\n") == []


@pytest.mark.parametrize(
    ("text", "line_number", "message"),
    [
        ("  TCP    0.0.0.0:135\n", 1, "local and a foreign"),
        ("  TCP    0.0.0.0:135     0.0.0.0:0\n", 1, "has a state"),
        ("  TCP    0.0.0.0:99999   0.0.0.0:0   LISTENING\n", 1, "out of range"),
        ("  TCP    0.0.0.0         0.0.0.0:0   LISTENING\n", 1, "ADDRESS:PORT"),
        ("  TCP    0.0.0.0:x/y     0.0.0.0:0   LISTENING\n", 1, "not a port"),
        ("  TCP    [::1:135        [::]:0      LISTENING\n", 1, r"\[ADDRESS\]:PORT"),
        ("  TCP    [a/b]:135       [::]:0      LISTENING\n", 1, "IPv6 address"),
        ("  TCP    *:*             0.0.0.0:0   LISTENING\n", 1, "names no port"),
        ("  TCP    0.0.0.0:1       [::1]:2     ESTABLISHED\n", 1, "different families"),
        ("  TCPv6  0.0.0.0:1       0.0.0.0:0   LISTENING\n", 1, "different families"),
        ("one\ntwo\nthree\nfour\n", 4, "expected a connection row"),
        (
            "  TCP  0.0.0.0:1  0.0.0.0:0  LISTENING  4\n  RpcSs\n  Other\n",
            2,
            r"\[program\]",
        ),
    ],
)
def test_malformed_input_raises_parse_error_with_the_line(
    text: str, line_number: int, message: str
) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse_connections(text, source="sample")
    assert caught.value.line_number == line_number
    assert caught.value.line == text.split("\n")[line_number - 1]
    assert caught.value.source == "sample"


def test_localized_state_words_parse_anywhere_a_state_is_asked_for() -> None:
    assert TcpState.parse("ABHÖREN") is TcpState.LISTEN
    assert TcpState.parse("abhören") is TcpState.LISTEN
    assert TcpState.parse("SCHLIESSEN_WARTEN") is TcpState.CLOSE_WAIT
    assert TcpState.parse("in ascolto") is TcpState.LISTEN
    assert TcpState.parse("BOUND") is TcpState.BOUND
    assert TcpState.parse("DELETE_TCB") is TcpState.DELETE_TCB


# -- properties -----------------------------------------------------------------------

_VALID = (SAMPLES / "win10_en_netstat-anob.txt").read_text()
_ALPHABET = st.sampled_from(list(" \t\r\n:.[]%*0123456789abcdefTCPUDtcpudLISTENG_-é漢"))


def check_rows(rows: list[Connection]) -> None:
    """What any parsed row holds, whatever text it came from: values of the annotated
    types, and the shape of a Windows row (TCP or UDP; an endpoint either as numbers or
    as printed names; a state only for TCP or a connected UDP socket)."""
    assert isinstance(rows, list)
    for row in rows:
        check_record(row)
        assert row.protocol in (Protocol.TCP, Protocol.UDP)
        assert row.family in (socket.AF_INET, socket.AF_INET6, None)
        assert row.local is not None or row.local_name is not None, row
        if row.family is None:
            assert row.local is None and row.remote is None, row
        for endpoint in (row.local, row.remote):
            if endpoint is not None and row.family is not None:
                wanted = 4 if row.family == socket.AF_INET else 6
                assert endpoint.address.version == wanted, row
        if row.protocol is Protocol.UDP:
            assert row.state in (None, TcpState.ESTABLISHED, TcpState.UNKNOWN), row
        if row.state is not TcpState.UNKNOWN:
            assert row.state_text is None, row
        assert row.pids is None or all(pid > 0 for pid in row.pids), row
        assert row.uid is None and row.inode is None and row.path is None, row


def parses_or_rejects(data: str | bytes) -> None:
    """Records that pass :func:`check_rows`, a ParseError, or (as documented) an
    AccessDeniedError for text that is netstat's refusal to run without elevation."""
    try:
        rows = parse_connections(data)
    except ParseError:
        return
    except AccessDeniedError:
        assert is_elevation_refusal(decode(data)), data
        return
    check_rows(rows)


def test_a_refusal_is_the_one_text_that_raises_access_denied() -> None:
    parses_or_rejects("请求的操作需要提升")  # the Chinese refusal, as hypothesis found it
    # Any other text that raised AccessDeniedError would be a bug the check reports.
    refusing = mock.patch(f"{__name__}.parse_connections", side_effect=AccessDeniedError("x"))
    with refusing, pytest.raises(AssertionError):
        parses_or_rejects("  TCP  0.0.0.0:1  0.0.0.0:0  LISTENING  4")


def test_the_row_check_accepts_real_rows_and_refuses_wrong_ones() -> None:
    rows = parse_connections(_VALID)
    check_rows(rows)
    with pytest.raises(AssertionError):
        check_rows([attrs.evolve(rows[0], protocol=Protocol.RAW)])
    with pytest.raises(AssertionError):
        check_rows([attrs.evolve(rows[0], family=socket.AF_INET6)])  # an IPv4 endpoint


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    parses_or_rejects(text)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_any_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    parses_or_rejects(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_ALPHABET, max_size=60), max_size=8))
def test_row_shaped_lines_parse_or_raise_parse_error(parts: list[str]) -> None:
    text = "\n".join(f"  TCP  {part}" if i % 2 else part for i, part in enumerate(parts))
    parses_or_rejects(text)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(_VALID) - 1), st.text(_ALPHABET, max_size=3))
def test_mutated_capture_parses_or_raises_parse_error(position: int, insert: str) -> None:
    parses_or_rejects(_VALID[:position] + insert + _VALID[position + 1 :])
