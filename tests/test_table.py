"""Table: a sequence for code, an aligned table for people, dicts for everything else."""

from __future__ import annotations

import json
import socket

import netaddr
import pytest

from netstatlib import (
    Connection,
    InterfaceStats,
    NamedEndpoint,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    Table,
    TcpState,
    UnsupportedError,
)
from netstatlib._text import display_width

from conftest import conn, ep

ROWS = [
    Connection(
        protocol=Protocol.TCP,
        family=socket.AF_INET,
        local=ep("0.0.0.0", 22),
        remote=None,
        state=TcpState.LISTEN,
        pids=(1, 812),
        process="sshd",
        inode=10,
    ),
    Connection(
        protocol=Protocol.TCP,
        family=socket.AF_INET6,
        local=ep("::1", 631),
        remote=ep("::1", 40000),
        state=TcpState.ESTABLISHED,
        pids=(),
    ),
    Connection(
        protocol=Protocol.UNIX,
        family=socket.AF_UNIX,
        local=None,
        remote=None,
        state=TcpState.LISTEN,
        path="/tmp/evil\x1b[2Jname",
        socket_type=socket.SOCK_STREAM,
        pids=(5,),
        process="bad\x07bell",
    ),
]


def test_table_is_an_immutable_sequence() -> None:
    table = Table(ROWS)
    assert len(table) == 3
    assert table[0] is ROWS[0]
    assert isinstance(table[1:], Table)
    assert list(table[1:]) == ROWS[1:]
    assert table == Table(ROWS)
    assert hash(table) == hash(Table(ROWS))
    with pytest.raises(TypeError):
        table[0] = ROWS[1]  # type: ignore[index]


def test_str_is_an_aligned_table_with_every_row() -> None:
    text = str(Table(ROWS))
    lines = text.splitlines()
    assert lines[0].split() == ["Proto", "Local", "Address", "Remote", "Address", "State",
                                "PID/Program"]  # fmt: skip
    assert "0.0.0.0:22" in lines[1] and "LISTEN" in lines[1] and "1+1/sshd" in lines[1]
    assert lines[2].startswith("tcp6") and "[::1]:631" in lines[2] and "[::1]:40000" in lines[2]
    # columns line up: "State" starts at the same offset in every line
    offset = lines[0].index("State")
    assert lines[1][offset:].startswith("LISTEN")
    assert lines[2][offset:].startswith("ESTABLISHED")


def test_terminal_escapes_in_names_are_shown_escaped() -> None:
    text = str(Table(ROWS))
    assert "\x1b" not in text and "\x07" not in text
    assert "/tmp/evil\\x1b[2Jname" in text
    assert "bad\\x07bell" in text


def test_repr_elides_long_tables_and_names_the_record_type() -> None:
    many = Table([ROWS[0]] * 100)
    text = repr(many)
    assert text.startswith("<Table: 100 Connection records>")
    assert "... 60 more lines" in text
    assert len(text.splitlines()) == 1 + 1 + 40 + 1
    assert str(Table([])) == "(no rows)"
    assert repr(Table([])).startswith("<Table: no records>")
    assert repr(Table(ROWS[:1])).startswith("<Table: 1 Connection record>\n")


def test_repr_elides_by_printed_line_not_by_record() -> None:
    stats = ProtocolStats(group="TcpExt", counters={f"C{i}": i for i in range(100)})
    text = repr(Table([stats]))
    assert len(text.splitlines()) == 1 + 1 + 40 + 1
    assert text.endswith("... 60 more lines")


def test_html_for_jupyter_is_escaped() -> None:
    html = Table(ROWS)._repr_html_()
    assert html.startswith("<table><caption>&lt;Table: 3 Connection records&gt;</caption>")
    assert "<th>Proto</th>" in html
    assert "\x1b" not in html


def test_to_dicts_keeps_types_and_plain_is_json() -> None:
    table = Table(ROWS)
    typed = table.to_dicts()
    assert typed[0]["local"] == ep("0.0.0.0", 22)
    assert typed[0]["state"] is TcpState.LISTEN
    plain = table.to_dicts(plain=True)
    assert plain[0]["local"] == {"address": "0.0.0.0", "port": 22, "zone": None}
    assert plain[0]["remote"] is None
    assert plain[0]["state"] == "LISTEN"
    assert plain[0]["protocol"] == "tcp"
    assert plain[0]["family"] == "AF_INET"
    assert plain[0]["pids"] == [1, 812]
    assert plain[2]["socket_type"] == "SOCK_STREAM"
    json.dumps(plain)


def test_route_interface_and_counter_tables() -> None:
    route = Route(
        family=socket.AF_INET,
        destination=netaddr.IPNetwork("0.0.0.0/0"),
        gateway=netaddr.IPAddress("10.0.0.1"),
        interface="eth0",
        metric=100,
        flags=RouteFlags.UP | RouteFlags.GATEWAY,
    )
    text = str(Table([route]))
    assert text.splitlines()[1].split() == ["0.0.0.0/0", "10.0.0.1", "UG", "100", "eth0"]
    assert Table([route]).to_dicts(plain=True)[0]["flags"] == ["UP", "GATEWAY"]
    counters = dict.fromkeys(
        ["rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "rx_fifo_errors",
         "rx_frame_errors", "rx_compressed", "multicast", "tx_bytes", "tx_packets",
         "tx_errors", "tx_dropped", "tx_fifo_errors", "collisions", "tx_carrier_errors",
         "tx_compressed"], 0)  # fmt: skip
    stats = InterfaceStats(name="lo", mtu=65536, is_up=True, **counters)
    assert "65536" in str(Table([stats]))
    tcp = ProtocolStats(group="Tcp", counters={"ActiveOpens": 3, "MaxConn": -1})
    lines = str(Table([tcp])).splitlines()
    assert lines[1].split() == ["Tcp", "ActiveOpens", "3"]
    assert lines[2].split() == ["Tcp", "MaxConn", "-1"]
    assert Table([tcp]).to_dicts(plain=True) == [
        {"group": "Tcp", "counters": {"ActiveOpens": 3, "MaxConn": -1}}
    ]


def test_to_pandas_without_pandas_says_what_to_install() -> None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(UnsupportedError, match="pip install pandas"):
            Table(ROWS).to_pandas()
    else:
        frame = Table(ROWS).to_pandas()
        assert list(frame["process"])[:1] == ["sshd"]
        assert str(frame["inode"].dtype) == "Int64"


def _unix(path: str, state: TcpState | None) -> Connection:
    return conn(
        None,
        protocol=Protocol.UNIX,
        family=socket.AF_UNIX,
        state=state,
        path=path,
        socket_type=socket.SOCK_STREAM,
        pids=(7,),
        process="d",
    )


def test_wide_and_combining_characters_are_aligned_by_display_width() -> None:
    # A generic record table: the host column holds CJK (two terminal columns per
    # character), a combining accent (none) and ASCII; every column starts at the same
    # terminal column on every line, which counting code points would break.
    names = Table(
        [
            NamedEndpoint(host="名前", port=1, service="a"),
            NamedEndpoint(host="cafe\u0301", port=22, service="bb"),
            NamedEndpoint(host="x", port=333, service=None),
        ]
    )
    assert str(names).splitlines() == [
        "host  port  service",
        "名前     1  a",
        "cafe\u0301    22  bb",
        "x      333  None",
    ]


def test_connections_with_wide_paths_keep_their_columns() -> None:
    rows = [
        _unix("/run/サービス.sock", TcpState.LISTEN),
        _unix("/run/cafe\u0301.sock", TcpState.ESTABLISHED),
        _unix("/run/plain.sock", None),
        ROWS[0],
    ]
    lines = str(Table(rows)).splitlines()

    def column(line: str, text: str) -> int:
        # Where ``text`` starts, in terminal columns.
        return display_width(line[: line.index(text)])

    state = column(lines[0], "State")
    owner = column(lines[0], "PID/Program")
    assert column(lines[1], "LISTEN") == column(lines[2], "ESTABLISHED") == state
    assert column(lines[4], "LISTEN") == state
    assert {column(line, "7/d") for line in lines[1:4]} == {owner}
    # The widest cell sets the width: "/run/サービス.sock" takes 18 columns (14 characters),
    # after "Proto" and two spaces.
    assert display_width("/run/サービス.sock") == 18
    assert column(lines[0], "Remote Address") == len("Proto  ") + 18 + 2


def test_interface_names_of_any_script_keep_the_counters_aligned() -> None:
    counters = dict.fromkeys(
        ["rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "rx_fifo_errors",
         "rx_frame_errors", "rx_compressed", "multicast", "tx_bytes", "tx_packets",
         "tx_errors", "tx_dropped", "tx_fifo_errors", "collisions", "tx_carrier_errors",
         "tx_compressed"], 0)  # fmt: skip
    rows = [
        InterfaceStats(name=name, mtu=1500, is_up=True, **counters)
        for name in ("网卡0", "vx-e\u0301", "lo")
    ]
    lines = str(Table(rows)).splitlines()
    # The name column is first: every line's MTU ends at the same terminal column.
    ends = {display_width(line[: line.index("1500") + 4]) for line in lines[1:]}
    assert ends == {display_width(lines[0][: lines[0].index("MTU") + 3])}
    assert lines[1].startswith("网卡0  ") and lines[3].startswith("lo     ")
