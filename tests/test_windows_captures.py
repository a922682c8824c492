"""Every real Windows capture in a folder of extra captures parses, and nothing is lost.

The captures are third-party data kept outside the project; ``NETSTATLIB_WINDOWS_CAPTURES``
names their folder (``.ci/run`` points it at ``../shared/fixtures/windows``). Each file is
classified by what its raw text shows, and the parser's result is checked against counts
taken here, independently of the parser, from the raw lines: every row that looks like a
connection or a route is a record, no owner line of ``netstat -b`` becomes a row or a
name, every number of ``netstat -s``/``-e`` is kept.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import netaddr
import pytest

from netstatlib import AccessDeniedError, TcpState
from netstatlib.parsers import windows

from conftest import NO_WINDOWS_CAPTURES, parameters_or_skip, windows_captures_folder

FOLDER = windows_captures_folder()
CAPTURES = sorted(
    path
    for path in (Path(FOLDER).iterdir() if FOLDER and Path(FOLDER).is_dir() else [])
    if path.is_file() and path.suffix.lower() in (".txt", ".out", ".log")
)


def test_the_captures_folder_exists_when_named() -> None:
    if FOLDER is None:
        pytest.skip(NO_WINDOWS_CAPTURES)
    assert Path(FOLDER).is_dir(), f"NETSTATLIB_WINDOWS_CAPTURES={FOLDER!r} is not a folder"
    assert CAPTURES, f"no captures in {FOLDER!r}"


def raw_text(path: Path) -> str:
    """The file's text, decoded here by the simplest rules (not the parser's)."""
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le")
    for encoding in ("utf-8", "gbk", "cp850"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"cannot decode {path.name}")


_CONNECTION_ROW = re.compile(r"^\s*(TCP|UDP)\s+(\S+:\S+)\s+(\S+:\S+)(.*)$", re.IGNORECASE)
_OWNER_LINE = re.compile(r"^\s*\[.+\]\s*$")
_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_IPV4_ROUTE = re.compile(rf"^\s*{_IPV4}\s+{_IPV4}\s+\S")
_IPV6_ROUTE = re.compile(r"^\s*\d+\s+\d+\s+[0-9a-fA-F:.]+/\d+")
_STAT_EQUALS = re.compile(r"^\s*\S.*?=\s*(\d+)\s*$")
_STAT_TWO = re.compile(r"^\s*\D+?\s+(\d+)\s+(\d+)\s*$")


def kind_of(text: str) -> str:
    text_lines = text.splitlines()
    if any(_CONNECTION_ROW.match(line) for line in text_lines):
        return "connections"
    if any(_IPV4_ROUTE.match(line) or _IPV6_ROUTE.match(line) for line in text_lines):
        return "routes"
    if "====" in text:
        return "routes"  # an interface list and empty tables
    if any(_STAT_EQUALS.match(line) for line in text_lines):
        return "protocol_stats"
    if sum(bool(re.search(r"\d+\s*$", line)) for line in text_lines) == 6:
        return "interface_stats"
    return "refusal"


@pytest.mark.parametrize(
    "path", parameters_or_skip(CAPTURES, NO_WINDOWS_CAPTURES), ids=lambda path: path.name
)
def test_capture_parses_without_losing_anything(path: Path) -> None:
    text = raw_text(path)
    kind = kind_of(text)
    data = path.read_bytes()
    if kind == "connections":
        check_connections(data, text)
    elif kind == "routes":
        check_routes(data, text)
    elif kind == "protocol_stats":
        check_protocol_stats(data, text)
    elif kind == "interface_stats":
        check_interface_stats(data, text)
    else:
        with pytest.raises(AccessDeniedError):
            windows.parse_connections(data, source=path.name)


def check_connections(data: bytes, text: str) -> None:
    rows = windows.parse_connections(data)
    raw_rows = [match for line in text.splitlines() if (match := _CONNECTION_ROW.match(line))]
    assert len(rows) == len(raw_rows)
    for row, raw in zip(rows, raw_rows, strict=True):
        protocol, local, remote, rest = raw.groups()
        assert row.protocol.value == protocol.lower()
        # The local port: the number after the last colon, or a service name.
        port_text = local.rpartition(":")[2]
        if port_text.isdigit():
            shown = row.local if row.local is not None else row.local_name
            assert shown is not None and shown.port == int(port_text)
        else:
            assert row.local_name is not None and row.local_name.service == port_text
        words = rest.split()
        if words and words[-1].isdigit():
            pid = int(words.pop())
            assert row.pids == ((pid,) if pid else ())
        else:
            assert row.pids is None
        if words:
            assert row.state is not None
            if row.state is TcpState.UNKNOWN:
                assert row.state_text == " ".join(words)
        elif protocol.upper() == "TCP":
            raise AssertionError("a TCP row without a state")
        if remote == "*:*" or remote.endswith(":0"):
            assert row.remote is None and row.remote_name is None
        else:
            assert row.remote is not None or row.remote_name is not None
    # -b: every [program] line names the row above it; nothing else becomes a name.
    owners = [line.strip()[1:-1] for line in text.splitlines() if _OWNER_LINE.match(line)]
    assert sorted(row.process for row in rows if row.process is not None) == sorted(owners)
    for row in rows:
        for name in (row.process, *(row.components or ())):
            assert name is None or not re.search(r"obtain|obtenir|\s{2}", name)


def check_routes(data: bytes, text: str) -> None:
    routes = windows.parse_routes(data)
    text_lines = text.splitlines()
    ipv4 = [line for line in text_lines if _IPV4_ROUTE.match(line)]
    ipv6 = [line for line in text_lines if _IPV6_ROUTE.match(line)]
    assert len([r for r in routes if r.family.name == "AF_INET"]) == len(ipv4)
    assert len([r for r in routes if r.family.name == "AF_INET6"]) == len(ipv6)
    v4_routes = [r for r in routes if r.family.name == "AF_INET"]
    for route, line in zip(v4_routes, ipv4, strict=True):
        destination, netmask = line.split()[:2]
        assert str(route.destination.ip) == destination
        assert str(route.destination.netmask) == netmask
        last = line.split()[-1]
        assert route.metric == (int(last) if last.isdigit() else None)
    v6_routes = [r for r in routes if r.family.name == "AF_INET6"]
    for route, line in zip(v6_routes, ipv6, strict=True):
        index, metric, prefix = line.split()[:3]
        # Interface index 0 is NET_IFINDEX_UNSPECIFIED (a persistent route's "no interface").
        assert route.interface_index == (int(index) or None)
        assert route.metric == int(metric)
        assert route.destination == netaddr.IPNetwork(prefix)
    interfaces = windows.parse_interface_list(data)
    entries = [line for line in text_lines if re.match(r"^\s*(0x[0-9a-fA-F]+|\d+)\s*\.\.\.", line)]
    assert len(interfaces) == len(entries)


def check_protocol_stats(data: bytes, text: str) -> None:
    stats = windows.parse_protocol_stats(data)
    values: list[int] = []
    for line in text.splitlines():
        if match := _STAT_EQUALS.match(line):
            values.append(int(match[1]))
        elif match := _STAT_TWO.match(line):
            values.extend((int(match[1]), int(match[2])))
    kept = [value for record in stats for value in record.counters.values()]
    assert len(kept) == len(values)
    assert sorted(kept) == sorted(values)
    groups = {record.group for record in stats}
    assert groups <= {"Ip", "Ip6", "Icmp", "IcmpMsg", "Icmp6", "Tcp", "Tcp6", "Udp", "Udp6"}


def check_interface_stats(data: bytes, text: str) -> None:
    (total,) = windows.parse_interface_stats(data)
    numbers = [
        [int(n) for n in re.findall(r"\d+", line)]
        for line in text.splitlines()
        if re.search(r"\d+\s*$", line)
    ]
    assert total.name is None and total.is_total
    assert [total.rx_bytes, total.tx_bytes] == numbers[0]
    assert [total.rx_unicast_packets, total.tx_unicast_packets] == numbers[1]
    assert [total.rx_non_unicast_packets, total.tx_non_unicast_packets] == numbers[2]
    assert [total.rx_dropped, total.tx_dropped] == numbers[3]
    assert [total.rx_errors, total.tx_errors] == numbers[4]
    assert [total.rx_unknown_protocols] == numbers[5]
