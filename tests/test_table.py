"""Table: a sequence for code, an aligned table for people, dicts for everything else."""

from __future__ import annotations

import json
import re
import socket

import attrs
import netaddr
import pytest

import netstatlib
from netstatlib import (
    Connection,
    F,
    FilterError,
    GroupCounts,
    InterfaceStats,
    NamedEndpoint,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    Table,
    TcpState,
    UnsupportedError,
    UsageError,
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
    assert html.startswith('<div style="max-height:32em;overflow:auto;')
    assert html.endswith("</table></div>")
    assert '<caption style="text-align:left">Table: 3 Connection records</caption>' in html
    assert re.search(r'<th style="text-align:left;position:sticky;top:0;[^"]*">Proto</th>', html)
    assert "\x1b" not in html and "\x07" not in html
    assert "/tmp/evil\\x1b[2Jname" in html and "bad\\x07bell" in html


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


# -- the notebook view ---------------------------------------------------------------


def html_rows(html: str) -> list[list[str]]:
    """The body rows of an HTML table as cell texts (headings of groups included)."""
    body = html.split("<tbody>", 1)[1]
    return [
        re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def test_html_shows_every_row_up_to_a_thousand_and_says_how_to_see_more() -> None:
    rows = [conn(ep("10.0.0.1", port)) for port in range(1, 1201)]
    whole = Table(rows[:1000]).to_html()
    assert len(html_rows(whole)) == 1000 and "first" not in whole
    cut = Table(rows)._repr_html_()
    assert len(html_rows(cut)) == 1000
    caption = re.search(r"<caption[^>]*>(.*?)</caption>", cut)
    assert caption is not None
    assert caption[1] == (
        "Table: 1200 Connection records: the first 1000 of 1200 lines (print() shows "
        "every line, to_html(max_lines=None) all of them as HTML)"
    )
    assert len(html_rows(Table(rows).to_html(max_lines=None))) == 1200
    assert len(html_rows(Table(rows).to_html(max_lines=10))) == 10
    assert Table([]).to_html() == "<p><em>(no rows)</em></p>"


def test_html_aligns_text_left_and_numbers_right() -> None:
    counters = dict.fromkeys(
        ["rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "rx_fifo_errors",
         "rx_frame_errors", "rx_compressed", "multicast", "tx_bytes", "tx_packets",
         "tx_errors", "tx_dropped", "tx_fifo_errors", "collisions", "tx_carrier_errors",
         "tx_compressed"], 7)  # fmt: skip
    html = Table([InterfaceStats(name="eth0", mtu=1500, is_up=True, **counters)]).to_html()
    cells = re.findall(r'<t[dh] style="text-align:(left|right)[^"]*">(.*?)</t[dh]>', html)
    assert ("left", "Iface") in cells and ("left", "eth0") in cells and ("left", "yes") in cells
    assert ("right", "MTU") in cells and ("right", "1500") in cells and ("right", "7") in cells
    # Addresses are text, even the all-digit-looking ones.
    html = Table(ROWS).to_html()
    assert '<td style="text-align:left">0.0.0.0:22</td>' in html


def test_html_escapes_markup_and_control_characters() -> None:
    row = conn(ep("10.0.0.1", 80), pids=(9,), process='<script>alert("x")</script>\x1b[31m')
    html = Table([row]).to_html()
    assert "<script>" not in html and "\x1b" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\\x1b[31m" in html


def test_protocol_counters_are_grouped_in_html_every_group_shown() -> None:
    groups = [
        ProtocolStats(group=name, counters={f"{name}Counter{i}": i * 1000 for i in range(30)})
        for name in ("Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "TcpExt")
    ]
    html = Table(groups)._repr_html_()
    rows = html_rows(html)
    headings = [row[0] for row in rows if len(row) == 1]
    assert headings == ["Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "TcpExt"]
    assert html.count("<tbody>") == 6  # one section per group
    assert '<th colspan="2" style="text-align:left">Tcp</th>' in html
    assert ["TcpCounter29", "29,000"] in rows  # the last Tcp counter, readable
    assert ["UdpCounter1", "1,000"] in rows
    assert len([row for row in rows if len(row) == 2]) == 6 * 30
    # The text form stays one line per counter, as nstat prints them.
    assert "\nTcp      TcpCounter29      29000\n" in str(Table(groups))


def test_group_names_are_escaped_in_headings() -> None:
    html = Table([ProtocolStats(group="<b>\u202eTcp", counters={"A": 1})]).to_html()
    assert "&lt;b&gt;\\u202eTcp</th>" in html


# -- sort, where, counts, and back from a list -------------------------------------


def _sockets() -> list[Connection]:
    return [
        conn(ep("10.0.0.10", 22), pids=(5,), process="sshd"),
        conn(ep("10.0.0.9", 80), ep("10.0.0.1", 50000), pids=(7,), process="nginx"),
        conn(ep("::1", 631), pids=(9,), process="cupsd"),
        conn(ep("10.0.0.9", 80), pids=(7,), process="nginx"),
        conn(
            ep("0.0.0.0", 68),
            protocol=Protocol.UDP,
            family=socket.AF_INET,
            pids=(3,),
            process="dhclient",
        ),
        conn(ep("10.0.0.9", 80), ep("10.0.0.2", 50001), state=TcpState.TIME_WAIT),
        _unix("/run/a.sock", None),
    ]


def test_sort_by_natural_order_fields_key_and_reverse() -> None:
    table = Table(_sockets())
    assert list(table.sort()) == sorted(table)
    assert [row.protocol for row in table.sort()][:1] == [Protocol.TCP]
    assert table.sort().sort() == table.sort()  # stable
    by_local = [str(row.local) for row in table.where(F.protocol == "tcp").sort("local")]
    assert by_local == [
        "10.0.0.9:80", "10.0.0.9:80", "10.0.0.9:80", "10.0.0.10:22", "[::1]:631",
    ]  # fmt: skip
    states = [row.state for row in table.sort("state")]
    assert states[:2] == [None, None]  # missing values first
    assert states[2:] == sorted(state for state in states if state is not None)
    ports = [row.local.port if row.local else None for row in table.sort("local_port")]
    assert ports == [None, 22, 68, 80, 80, 80, 631]
    assert [row.process for row in table.sort("process", reverse=True)][:2] == ["sshd", "nginx"]
    by_key = table.sort(key=lambda row: len(row.process or ""))
    assert by_key[0].process is None and by_key[-1].process == "dhclient"
    deep = table.sort("local.port", "remote.address")
    assert [r.local.port if r.local else None for r in deep] == ports
    assert table.sort("is_listening")[0].is_listening is False
    assert isinstance(table.sort(), Table) and Table().sort() == Table()


def test_sort_and_counts_reject_unknown_fields() -> None:
    table = Table(_sockets())
    with pytest.raises(UsageError, match=r"Connection records have no field 'port'; fields: "):
        table.sort("port")
    with pytest.raises(UsageError, match="not both"):
        table.sort("state", key=lambda row: 0)
    with pytest.raises(UsageError, match="no field 'nope'"):
        table.sort("local.nope")
    with pytest.raises(UsageError, match="non-empty string"):
        table.counts(3)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="at least one field"):
        table.counts()


def test_where_takes_what_the_queries_take() -> None:
    table = Table(_sockets())
    listeners = [row for row in table if row.state is TcpState.LISTEN]
    assert list(table.where(F.state == "LISTEN")) == listeners
    listening = netstatlib.compile_filter("state listening")
    assert list(table.where("state listening")) == [r for r in table if listening(r)]
    assert list(table.where("sport = :80")) == [r for r in table if r.local and r.local.port == 80]
    assert list(table.where(lambda row: row.process == "nginx")) == [table[1], table[3]]
    assert table.where(None) is table
    assert Table().where("sport = :22") == Table()
    with pytest.raises(FilterError):
        table.where("sport = :")  # a bad ss filter says so, even for no match
    with pytest.raises(FilterError, match="Connection records have no field destination"):
        table.where(F.destination.within("10.0.0.0/8"))
    routes = Table([_route()])
    with pytest.raises(FilterError, match=r"filter strings .* select sockets; Route records"):
        routes.where("sport = :22")
    assert routes.where(F.interface == "eth0") == routes
    with pytest.raises(UsageError, match="where must be a callable"):
        table.where(42)  # type: ignore[arg-type]


def test_where_is_the_query_functions_where() -> None:
    # The same filter, through a query and through Table.where, keeps the same rows.
    is_default = F.is_default == True  # noqa: E712 (a predicate, not a comparison)
    assert netstatlib.routes(where=is_default) == netstatlib.routes().where(is_default)
    stats = netstatlib.protocol_stats()
    assert netstatlib.protocol_stats(where=F.group == "Tcp") == stats.where(F.group == "Tcp")
    with pytest.raises(FilterError) as from_query:
        netstatlib.routes(where="sport = :22")
    with pytest.raises(FilterError) as from_table:
        netstatlib.routes().where("sport = :22")
    assert str(from_query.value) == str(from_table.value)


def test_counts_one_and_several_fields() -> None:
    table = Table(_sockets())
    states = table.counts("state")
    assert isinstance(states, GroupCounts) and states.fields == ("state",)
    assert dict(states) == {TcpState.LISTEN: 3, None: 2, TcpState.ESTABLISHED: 1,
                            TcpState.TIME_WAIT: 1}  # fmt: skip
    # Largest first; equal counts in the values' order (the kernel's, for states).
    assert list(states) == [TcpState.LISTEN, None, TcpState.ESTABLISHED, TcpState.TIME_WAIT]
    assert states[TcpState.LISTEN] == 3 and states.most_common(1) == [(TcpState.LISTEN, 3)]
    assert sum(states.values()) == len(table)
    pairs = table.counts("protocol", "family")
    assert pairs[(Protocol.TCP, socket.AF_INET)] == 4
    assert pairs[(Protocol.UNIX, socket.AF_UNIX)] == 1
    assert str(states).splitlines() == [
        "state        count",
        "LISTEN           3",
        "None             2",
        "ESTABLISHED      1",
        "TIME_WAIT        1",
    ]
    assert repr(pairs).splitlines()[:3] == [
        "<GroupCounts by protocol, family: 4 groups, 7 records>",
        "protocol  family    count",
        "tcp       AF_INET       4",
    ]
    assert states.to_dicts()[0] == {"state": TcpState.LISTEN, "count": 3}
    assert pairs.to_dicts(plain=True)[0] == {"protocol": "tcp", "family": "AF_INET", "count": 4}
    json.dumps(pairs.to_dicts(plain=True))
    html = states._repr_html_()
    assert "GroupCounts by state: 4 groups, 7 records" in html
    assert html_rows(html)[0] == ["LISTEN", "3"]
    assert str(Table().counts("state")) == "(no rows)"
    ports = table.counts("local_port")
    assert ports[80] == 3 and ports[None] == 1


def test_counts_escape_what_they_show() -> None:
    table = Table([conn(ep("10.0.0.1", 1), pids=(1,), process="evil\x1b]0;pwned\x07")])
    text, html = str(table.counts("process")), table.counts("process").to_html()
    assert "\x1b" not in text and "\x07" not in text and "evil\\x1b]0;pwned\\x07" in text
    assert "\x1b" not in html and "evil\\x1b]0;pwned\\x07" in html


def test_back_to_a_table_from_a_list_comprehension() -> None:
    table = Table(_sockets())
    root_only = Table(row for row in table if row.process == "sshd")
    assert isinstance(root_only, Table) and list(root_only) == [table[0]]
    assert Table([row for row in table if row.uid is None]) == table
    assert Table(table) == table


def _route() -> Route:
    return Route(
        family=socket.AF_INET,
        destination=netaddr.IPNetwork("0.0.0.0/0"),
        gateway=netaddr.IPAddress("10.0.0.1"),
        interface="eth0",
        metric=100,
        flags=RouteFlags.UP | RouteFlags.GATEWAY,
    )


def test_route_flags_keep_bits_without_a_name() -> None:
    # 0x08000000 is one bit of the IPv6 route preference (RTF_PREF(1), "high").
    route = attrs.evolve(_route(), flags=RouteFlags(0x08000003))
    assert Table([route]).to_dicts(plain=True)[0]["flags"] == ["UP", "GATEWAY", "0x8000000"]
