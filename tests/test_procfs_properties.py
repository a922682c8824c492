"""Property-based tests of every parser in netstatlib.parsers.procfs.

Two kinds of properties:

* robustness: arbitrary text or bytes, and real fixture files with random damage (a
  field replaced, a line cut, lines dropped or joined), either parse or raise
  :class:`netstatlib.ParseError` -- never any other exception;
* round trips: rows generated from random values, printed the way the kernel prints
  them (the format strings are quoted), parse back to those values.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import netaddr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from netstatlib import ParseError, Protocol, RouteFlags, TcpState
from netstatlib.backends import SOCKET_FILES
from netstatlib.parsers import procfs

# PROCFS_MAX_EXAMPLES=20000 for a long bug hunt; the default keeps the suite quick.
settings.register_profile(
    "procfs",
    max_examples=int(os.environ.get("PROCFS_MAX_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("procfs")

FIXTURES = Path(__file__).parent / "fixtures" / "linux"

INET_FILES = {
    name: table for table, (name, _) in SOCKET_FILES.items() if table[0] is not Protocol.UNIX
}


def _inet(protocol: Protocol, family: socket.AddressFamily, byteorder: str) -> Callable:
    def parse(data):
        return procfs.parse_inet_sockets(
            data, protocol=protocol, family=family, source="prop", byteorder=byteorder
        )

    return parse


# Every parser, under the name of the file it reads; a file maps to several entries
# when an argument (byte order, protocol) changes how it is read.
PARSERS: dict[str, list[Callable]] = {
    name: [_inet(protocol, family, order) for order in ("little", "big")]
    for name, (protocol, family) in INET_FILES.items()
}
PARSERS["unix"] = [lambda data: procfs.parse_unix_sockets(data, source="prop")]
PARSERS["route"] = [
    lambda data: procfs.parse_route(data, source="prop", byteorder="little"),
    lambda data: procfs.parse_route(data, source="prop", byteorder="big"),
]
PARSERS["ipv6_route"] = [lambda data: procfs.parse_ipv6_route(data, source="prop")]
PARSERS["dev"] = [lambda data: procfs.parse_dev(data, source="prop")]
PARSERS["snmp"] = [lambda data: procfs.parse_snmp(data, source="prop")]
PARSERS["netstat"] = PARSERS["snmp"]
PARSERS["snmp6"] = [lambda data: procfs.parse_snmp6(data, source="prop")]
ALL_PARSERS = [parse for parsers in PARSERS.values() for parse in parsers]
ALL_PARSERS += [
    _inet(protocol, family, "little")
    for protocol in (Protocol.TCP, Protocol.UDP, Protocol.UDPLITE, Protocol.RAW)
    for family in (socket.AF_INET, socket.AF_INET6)
]
ALL_PARSERS += [
    lambda data: procfs.parse_socket_inodes(data, source="prop"),
    lambda data: procfs.parse_unix_sockets(data, source="prop", other_inodes={1, 12345}),
]

# The first line(s) each parser checks, so arbitrary text gets past the header check.
HEADERS = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n",
    "Num       RefCount Protocol Flags    Type St Inode Path\n",
    "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n",
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
    "Inter-|   Receive  |  Transmit\n face |bytes packets|bytes packets\n",
    "",
]

FIXTURE_FILES: list[tuple[str, bytes]] = sorted(
    (path.name, path.read_bytes())
    for path in FIXTURES.glob("*/*")
    if path.is_file() and path.name in PARSERS
)


def outcome(parse: Callable, data) -> object:
    """The result, or the ParseError's position; anything else propagates and fails."""
    try:
        return parse(data)
    except ParseError as exc:
        error = exc
    assert error.source == "prop"
    assert error.line_number is None or error.line_number >= 1
    return ("ParseError", error.line_number, error.line)


# --------------------------------------------------------------------------------------
# Robustness
# --------------------------------------------------------------------------------------

texts = st.one_of(
    st.text(),
    st.tuples(st.sampled_from(HEADERS), st.text()).map("".join),
    st.lists(st.text(alphabet="0123456789ABCDEFabcdef:*@ \t|-+x_\n", max_size=40), max_size=6).map(
        lambda lines: HEADERS[0] + "\n".join(lines)
    ),
)


@settings(PROFILE)
@given(text=texts, parse=st.sampled_from(ALL_PARSERS))
def test_arbitrary_text_parses_or_raises_parse_error(text, parse):
    outcome(parse, text)


@settings(PROFILE)
@given(
    data=st.one_of(st.binary(), st.tuples(st.sampled_from(HEADERS), st.binary()).map(
        lambda pair: pair[0].encode() + pair[1]
    )),
    parse=st.sampled_from(ALL_PARSERS),
)  # fmt: skip
def test_arbitrary_bytes_parse_or_raise_parse_error(data, parse):
    outcome(parse, data)


@settings(PROFILE)
@given(
    text=st.one_of(st.text(), st.tuples(st.sampled_from(HEADERS), st.text()).map("".join)),
    parse=st.sampled_from(ALL_PARSERS),
)
def test_text_and_its_utf8_bytes_agree(text, parse):
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        assume(False)
    assert outcome(parse, text) == outcome(parse, data)


# Replacements that probe the number and address readers.
NASTY = [
    "", "0", "-1", "+1", "0x10", "1_0", "00_0", " ", "\t", "*", ":", "::", "@", "|",
    "FFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "0" * 31, "0" * 33, "00000000:0000",
    "0100007F:-001", "-0000001", "ZZ", "1e5", "\u0661\u0662", "\uff11\uff12", "\x00", "\udcff", "9" * 30,
    "9" * 5000, "nan", "lo", "socket:[1]", "Ip6", "Tcp:",
]  # fmt: skip


SOCKET_FILES = [(name, data) for name, data in FIXTURE_FILES if name in INET_FILES]
SOCKET_FILES += [(name, data) for name, data in FIXTURE_FILES if name == "unix"]


@st.composite
def damaged(draw, sockets_only: bool = False) -> tuple[str, object]:
    """A real fixture file with one to three random injuries."""
    name, data = draw(st.sampled_from(SOCKET_FILES if sockets_only else FIXTURE_FILES))
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            lines = [""]
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        fields = line.split(" ")
        op = draw(
            st.sampled_from(
                ["replace", "truncate", "drop_field", "add_field", "drop_line", "dup_line",
                 "join", "split", "insert_char"]
            )
        )  # fmt: skip
        if op == "replace" and fields:
            at = draw(st.integers(0, len(fields) - 1))
            fields[at] = draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)))
            lines[index] = " ".join(fields)
        elif op == "truncate":
            lines[index] = line[: draw(st.integers(0, len(line)))]
        elif op == "drop_field" and fields:
            del fields[draw(st.integers(0, len(fields) - 1))]
            lines[index] = " ".join(fields)
        elif op == "add_field":
            fields.insert(draw(st.integers(0, len(fields))), draw(st.sampled_from(NASTY)))
            lines[index] = " ".join(fields)
        elif op == "drop_line":
            del lines[index]
        elif op == "dup_line":
            lines.insert(index, line)
        elif op == "join" and index + 1 < len(lines):
            lines[index : index + 2] = [line + lines[index + 1]]
        elif op == "split":
            at = draw(st.integers(0, len(line)))
            lines[index : index + 1] = [line[:at], line[at:]]
        elif op == "insert_char":
            at = draw(st.integers(0, len(line)))
            char = draw(st.one_of(st.sampled_from(NASTY), st.characters()))
            lines[index] = line[:at] + char + line[at:]
    text = "\n".join(lines)
    if draw(st.booleans()):
        return name, text.encode("utf-8", "surrogateescape") if _encodable(text) else text
    return name, text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


def test_fixture_files_found():
    assert {name for name, _ in FIXTURE_FILES} == set(PARSERS)


@settings(PROFILE)
@given(case=damaged(), which=st.integers(0, 1))
def test_damaged_fixture_files_parse_or_raise_parse_error(case, which):
    name, data = case
    parsers = PARSERS[name]
    outcome(parsers[which % len(parsers)], data)


@settings(PROFILE)
@given(
    case=damaged(sockets_only=True),
    parse=st.sampled_from(ALL_PARSERS),
)
def test_damaged_files_in_the_wrong_parser(case, parse):
    outcome(parse, case[1])


@settings(PROFILE)
@given(
    case=damaged(sockets_only=True),
    states=st.sets(st.sampled_from([*TcpState, None])),
)
def test_state_filtering_keeps_exactly_the_rows_in_those_states(case, states):
    """Asking for some states gives the rows of the full parse in those states; damage
    in a skipped row may go unseen, but is never anything but a ParseError."""
    name, data = case
    if name == "unix":
        return
    protocol, family = INET_FILES[name]

    def parse(data, chosen=None):
        return procfs.parse_inet_sockets(
            data, protocol=protocol, family=family, source="prop", states=chosen
        )

    full = outcome(parse, data)
    chosen = outcome(lambda data: parse(data, states), data)
    if isinstance(full, list):
        assert chosen == [row for row in full if row.state in states]


# --------------------------------------------------------------------------------------
# Round trips: print like the kernel, parse, compare.
# --------------------------------------------------------------------------------------

ipv4 = st.integers(0, 2**32 - 1).map(lambda n: netaddr.IPAddress(n, 4))
ipv6 = st.one_of(
    st.integers(0, 2**128 - 1),
    st.integers(0, 2**32 - 1).map(lambda n: 0xFFFF00000000 | n),  # IPv4-mapped
    st.sampled_from([0, 1]),
).map(lambda n: netaddr.IPAddress(n, 6))
ports = st.integers(0, 65535)
byteorders = st.sampled_from(["little", "big"])


def kernel_ipv4(address: netaddr.IPAddress, byteorder: str) -> str:
    """%08X of the __be32 read as a host integer."""
    return f"{int.from_bytes(address.packed, byteorder):08X}"


def kernel_ipv6(address: netaddr.IPAddress, byteorder: str) -> str:
    """Four %08X words, each the host integer of 4 bytes of the address."""
    packed = address.packed
    return "".join(f"{int.from_bytes(packed[i : i + 4], byteorder):08X}" for i in range(0, 16, 4))


@st.composite
def inet_rows(draw, family):
    address = ipv4 if family == socket.AF_INET else ipv6
    local = (draw(address), draw(ports))
    remote = draw(st.one_of(st.tuples(address, ports), st.just(None)))
    return {
        "local": local,
        "remote": remote,
        "state": draw(st.one_of(st.integers(0, 12), st.integers(0, 255))),
        "tx": draw(st.integers(0, 2**32 - 1)),
        "rx": draw(st.integers(0, 2**32 - 1)),
        "uid": draw(st.integers(0, 2**32 - 1)),
        "inode": draw(st.integers(0, 2**64 - 1)),
    }


def _socket_identity(row: dict) -> object:
    """What the kernel keeps unique in one table: a socket's inode; for an entry without
    one (TIME_WAIT, SYN_RECV), its state and endpoints (an unconnected remote is all zeros)."""
    remote = row["remote"]
    if remote is not None and int(remote[0]) == 0 and remote[1] == 0:
        remote = None
    return row["inode"] or (row["state"], row["local"], remote)


def _kernel_inet_text(rows: list[dict], family: socket.AddressFamily, byteorder: str) -> str:
    """Rows printed as tcp4_seq_show()/tcp6_seq_show() print them."""
    encode = kernel_ipv4 if family == socket.AF_INET else kernel_ipv6
    zero = netaddr.IPAddress(0, 4 if family == socket.AF_INET else 6)
    lines = ["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"]
    for number, row in enumerate(rows):
        remote = row["remote"] or (zero, 0)
        # "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK"
        lines.append(
            f"{number:4d}: {encode(row['local'][0], byteorder)}:{row['local'][1]:04X} "
            f"{encode(remote[0], byteorder)}:{remote[1]:04X} {row['state']:02X} "
            f"{row['tx']:08X}:{row['rx']:08X} 00:00000000 00000000 {row['uid']:5d} "
            f"{0:8d} {row['inode']} 1 0000000000000000 100 0 0 10 0"
        )
    return "\n".join(lines) + "\n"


@settings(PROFILE)
@given(
    family=st.sampled_from([socket.AF_INET, socket.AF_INET6]),
    protocol=st.sampled_from([Protocol.TCP, Protocol.UDP, Protocol.UDPLITE, Protocol.RAW]),
    byteorder=byteorders,
    data=st.data(),
)
def test_inet_sockets_round_trip(family, protocol, byteorder, data):
    rows = data.draw(st.lists(inet_rows(family), max_size=8, unique_by=_socket_identity))
    zero = netaddr.IPAddress(0, 4 if family == socket.AF_INET else 6)
    parsed = procfs.parse_inet_sockets(
        _kernel_inet_text(rows, family, byteorder),
        protocol=protocol,
        family=family,
        byteorder=byteorder,
    )
    assert len(parsed) == len(rows)
    for conn, row in zip(parsed, rows, strict=True):
        assert (conn.protocol, conn.family) == (protocol, family)
        assert (conn.local.address, conn.local.port) == row["local"]
        if row["remote"] is None or row["remote"] == (zero, 0):
            assert conn.remote is None
        else:
            assert (conn.remote.address, conn.remote.port) == row["remote"]
        if protocol is not Protocol.TCP and row["state"] == 7:
            assert conn.state is None
        else:
            assert conn.state is TcpState.from_kernel(row["state"])
        assert (conn.send_queue, conn.recv_queue) == (row["tx"], row["rx"])
        # Inode 0: a TIME_WAIT/SYN_RECV entry, not a socket; TIME_WAIT has no owner.
        assert conn.inode == (row["inode"] or None)
        no_owner = row["inode"] == 0 and conn.state is TcpState.TIME_WAIT
        assert conn.uid == (None if no_owner else row["uid"])
        assert conn.ip_protocol == (row["local"][1] if protocol is Protocol.RAW else None)
        mapped = family == socket.AF_INET6 and row["local"][0].is_ipv4_mapped()
        assert conn.local.is_ipv4_mapped is bool(mapped)


@settings(PROFILE)
@given(
    family=st.sampled_from([socket.AF_INET, socket.AF_INET6]),
    byteorder=byteorders,
    data=st.data(),
)
def test_a_socket_listed_again_is_returned_once(family, byteorder, data):
    """The kernel repeats rows while sockets come and go (seq_file resumes by position):
    whatever is repeated, wherever, and even changed meanwhile (a state, a queue), each
    socket comes back once, as first listed, and nothing else changes."""
    rows = data.draw(st.lists(inet_rows(family), max_size=8, unique_by=_socket_identity))
    listed = list(rows)
    for _ in range(data.draw(st.integers(0, 6)) if rows else 0):
        again = dict(data.draw(st.sampled_from(rows)))
        if again["inode"] and data.draw(st.booleans()):
            again["state"] = data.draw(st.integers(0, 12))  # changed between the two
            again["tx"] = data.draw(st.integers(0, 2**32 - 1))
        listed.insert(data.draw(st.integers(0, len(listed))), again)
    # Each socket where it is first listed, as it is listed there.
    first: dict[object, dict] = {}
    for row in listed:
        first.setdefault(_socket_identity(row), row)

    def parse(rows: list[dict]) -> list:
        return procfs.parse_inet_sockets(
            _kernel_inet_text(rows, family, byteorder),
            protocol=Protocol.TCP,
            family=family,
            byteorder=byteorder,
        )

    assert parse(listed) == parse(list(first.values()))
    assert len(parse(listed)) == len(rows)


# UNIX socket paths: any character but NUL (printed as "@" in abstract names), newlines
# included, even first; but the text after a newline must not itself look like a row
# (it would be taken for one: the documented limitation, see test_procfs_fixtures).
path_segment = st.text(st.characters(exclude_characters="\n\x00"), max_size=20)
unix_paths = st.one_of(
    st.none(),
    st.tuples(
        path_segment,
        st.lists(st.text(st.characters(exclude_characters="\n\x00:"), max_size=10), max_size=3),
    )
    .map(lambda parts: "\n".join([parts[0], *parts[1]]))
    .filter(bool),  # a bound socket always has a name
)


@st.composite
def unix_rows(draw):
    return {
        "flags": draw(st.sampled_from([0, 0x10000])),
        "type": draw(st.one_of(st.sampled_from([1, 2, 5]), st.integers(0, 0xFFFF))),
        "state": draw(st.one_of(st.integers(1, 4), st.integers(0, 0xFF))),
        "inode": draw(st.integers(0, 2**64 - 1)),
        "path": draw(unix_paths),
    }


UNIX_STATES = {1: None, 2: TcpState.SYN_SENT, 3: TcpState.ESTABLISHED, 4: TcpState.CLOSING}


def _kernel_unix_line(row: dict) -> str:
    # "%pK: %08X %08X %08X %04X %02X %5lu" then " <path>" (unix_seq_show())
    line = (
        f"0000000000000000: 00000002 00000000 {row['flags']:08X} {row['type']:04X} "
        f"{row['state']:02X} {row['inode']:5d}"
    )
    return line if row["path"] is None else f"{line} {row['path']}"


def _kernel_unix_text(rows: list[dict]) -> str:
    lines = ["Num       RefCount Protocol Flags    Type St Inode Path"]
    lines += [_kernel_unix_line(row) for row in rows]
    return "\n".join(lines) + "\n"


def _unix_identity(row: dict) -> object:
    """A socket's inode; rows without one (not yet accepted) may repeat."""
    return row["inode"] or object()


@settings(PROFILE)
@given(rows=st.lists(unix_rows(), max_size=8, unique_by=_unix_identity), as_bytes=st.booleans())
def test_unix_sockets_round_trip(rows, as_bytes):
    text = _kernel_unix_text(rows)
    if as_bytes:
        assume(_encodable(text))
    parsed = procfs.parse_unix_sockets(
        text.encode("utf-8", "surrogateescape") if as_bytes else text
    )
    assert [(c.inode, c.path) for c in parsed] == [(r["inode"] or None, r["path"]) for r in rows]
    for conn, row in zip(parsed, rows, strict=True):
        if row["flags"]:
            assert conn.state is TcpState.LISTEN
        else:
            assert conn.state is UNIX_STATES.get(row["state"], TcpState.UNKNOWN)
        try:
            kind = socket.SocketKind(row["type"])
        except ValueError:
            kind = None
        assert conn.socket_type is kind


@settings(PROFILE)
@given(
    rows=st.lists(unix_rows(), min_size=1, max_size=6, unique_by=_unix_identity),
    data=st.data(),
)
def test_a_forged_unix_row_goes_back_into_its_path(rows, data):
    """Any user can bind a path holding a newline and then a line shaped like a row that
    names another table's socket (an inode /proc/net/tcp shows to everyone). Told those
    inodes, the parser returns exactly the real sockets, each with its whole path, as
    the kernel's netlink diagnostics give them."""
    real = {row["inode"] for row in rows}
    elsewhere = data.draw(
        st.sets(st.integers(1, 2**64 - 1).filter(lambda n: n not in real), min_size=1)
    )
    forged = set()
    true_rows = []
    for row in rows:
        if row["path"] is not None and data.draw(st.booleans()):
            fakes = [
                {**data.draw(unix_rows()), "inode": data.draw(st.sampled_from(sorted(elsewhere)))}
                for _ in range(data.draw(st.integers(1, 2)))
            ]
            forged |= {fake["inode"] for fake in fakes}
            lines = [_kernel_unix_line(fake) for fake in fakes]
            row = {**row, "path": "\n".join([row["path"], *lines])}
        true_rows.append(row)
    text = _kernel_unix_text(true_rows)
    expected = [(r["inode"] or None, r["path"]) for r in true_rows]
    parsed = procfs.parse_unix_sockets(text, other_inodes=elsewhere)
    assert [(c.inode, c.path) for c in parsed] == expected
    if forged:  # without the other tables' inodes, the text lies
        assert [(c.inode, c.path) for c in procfs.parse_unix_sockets(text)] != expected


@settings(PROFILE)
@given(rows=st.lists(unix_rows(), min_size=1, max_size=6, unique_by=_unix_identity), data=st.data())
def test_unix_rows_naming_one_inode(rows, data):
    """A socket listed again alike comes back once; rows that name one inode and
    disagree cannot all be true, and none of them comes back; rows without an inode (a
    connection not yet accepted) all come back, repeated or not."""
    listed = list(rows)
    disagreeing = set()
    for _ in range(data.draw(st.integers(1, 4))):
        again = dict(data.draw(st.sampled_from(rows)))
        if again["inode"] and data.draw(st.booleans()):
            changed = {**again, "state": again["state"] ^ 1}
            again = data.draw(st.sampled_from([changed, {**again, "path": "/forged"}]))
            if again != {r["inode"]: r for r in rows}[again["inode"]]:
                disagreeing.add(again["inode"])
        listed.insert(data.draw(st.integers(0, len(listed))), again)
    parsed = procfs.parse_unix_sockets(_kernel_unix_text(listed))
    expected = []
    returned = set()
    for row in listed:
        if not row["inode"]:
            expected.append((None, row["path"]))
        elif row["inode"] not in disagreeing and row["inode"] not in returned:
            returned.add(row["inode"])
            expected.append((row["inode"], row["path"]))
    assert [(c.inode, c.path) for c in parsed] == expected


@settings(PROFILE)
@given(path=st.binary(min_size=1, max_size=60).filter(lambda b: b"\n" not in b))
def test_unix_path_bytes_survive(path):
    data = b"Num Inode Path\n0000000000000000: 00000002 00000000 00000000 0002 01 7 " + path
    (conn,) = procfs.parse_unix_sockets(data)
    assert os.fsencode(conn.path) == path


# Interface names: 1-15 bytes, no "/", ":" or whitespace (dev_valid_name); "*" is how
# /proc/net/route prints "no device", so it is left out of route names.
if_names = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/:*"),
    min_size=1,
    max_size=15,
).filter(lambda name: name not in (".", ".."))


@st.composite
def ipv4_routes(draw):
    prefix = draw(st.integers(0, 32))
    mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return {
        "iface": draw(st.one_of(if_names, st.just("*"))),
        "destination": netaddr.IPNetwork((draw(st.integers(0, 2**32 - 1)) & mask, prefix)),
        "gateway": draw(st.one_of(st.just(netaddr.IPAddress(0)), ipv4)),
        "flags": draw(st.integers(0, 0xFFFF)),
        "metric": draw(st.integers(0, 2**32 - 1)),
        "mask": netaddr.IPAddress(mask),
        "mtu": draw(st.integers(0, 2**31 - 1)),
        "window": draw(st.integers(0, 2**32 - 1)),
        "irtt": draw(st.integers(0, 2**32 - 1)),
    }


@settings(PROFILE)
@given(rows=st.lists(ipv4_routes(), max_size=8), byteorder=byteorders)
def test_ipv4_routes_round_trip(rows, byteorder):
    lines = ["Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"]
    for r in rows:
        # "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", padded to 127 columns
        line = (
            f"{r['iface']}\t{kernel_ipv4(r['destination'].ip, byteorder)}\t"
            f"{kernel_ipv4(r['gateway'], byteorder)}\t{r['flags']:04X}\t0\t0\t{r['metric']}\t"
            f"{kernel_ipv4(r['mask'], byteorder)}\t{r['mtu']}\t{r['window']}\t{r['irtt']}"
        )
        lines.append(line.ljust(127))
    parsed = procfs.parse_route("\n".join(lines) + "\n", byteorder=byteorder)
    assert len(parsed) == len(rows)
    for route, r in zip(parsed, rows, strict=True):
        assert route.family is socket.AF_INET
        assert route.destination == r["destination"]
        assert route.destination.prefixlen == r["destination"].prefixlen
        assert route.gateway == (r["gateway"] if int(r["gateway"]) else None)
        assert route.interface == (None if r["iface"] == "*" else r["iface"])
        assert route.metric == r["metric"]
        assert int(route.flags) == r["flags"]
        assert (route.mtu, route.window, route.irtt) == (
            r["mtu"] or None,
            r["window"] or None,
            r["irtt"] or None,
        )
        assert route.is_default == (
            r["destination"].prefixlen == 0
            and bool(r["flags"] & RouteFlags.UP)
            and not r["flags"] & RouteFlags.REJECT
            and r["iface"] != "*"
        )


@st.composite
def ipv6_routes(draw):
    def network():
        prefix = draw(st.integers(0, 128))
        mask = ((1 << 128) - 1) ^ ((1 << (128 - prefix)) - 1)
        return netaddr.IPNetwork((draw(st.integers(0, 2**128 - 1)) & mask, prefix), version=6)

    return {
        "destination": network(),
        "source": network(),
        "gateway": draw(st.one_of(st.just(netaddr.IPAddress(0, 6)), ipv6)),
        "metric": draw(st.integers(0, 2**32 - 1)),
        "flags": draw(st.integers(0, 2**32 - 1)),
        "dev": draw(if_names),
    }


@settings(PROFILE)
@given(rows=st.lists(ipv6_routes(), max_size=8))
def test_ipv6_routes_round_trip(rows):
    lines = []
    for r in rows:
        # "%pi6 %02x %pi6 %02x %pi6 %08x %08x %08x %08x %8s"
        lines.append(
            f"{int(r['destination'].ip):032x} {r['destination'].prefixlen:02x} "
            f"{int(r['source'].ip):032x} {r['source'].prefixlen:02x} "
            f"{int(r['gateway']):032x} {r['metric']:08x} 00000001 00000000 "
            f"{r['flags']:08x} {r['dev']:>8}"
        )
    parsed = procfs.parse_ipv6_route("".join(line + "\n" for line in lines))
    assert len(parsed) == len(rows)
    for route, r in zip(parsed, rows, strict=True):
        assert route.family is socket.AF_INET6
        assert route.destination == r["destination"]
        assert route.destination.prefixlen == r["destination"].prefixlen
        assert route.source == (r["source"] if r["source"].prefixlen else None)
        assert route.gateway == (r["gateway"] if int(r["gateway"]) else None)
        assert (route.interface, route.metric, int(route.flags)) == (
            r["dev"],
            r["metric"],
            r["flags"],
        )


DEV_FIELDS = [
    "rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "rx_fifo_errors",
    "rx_frame_errors", "rx_compressed", "multicast", "tx_bytes", "tx_packets", "tx_errors",
    "tx_dropped", "tx_fifo_errors", "collisions", "tx_carrier_errors", "tx_compressed",
]  # fmt: skip
DEV_WIDTHS = [7, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10]


@settings(PROFILE)
@given(
    rows=st.lists(
        st.tuples(if_names, st.lists(st.integers(0, 2**64 - 1), min_size=16, max_size=16)),
        max_size=6,
    ),
    old_format=st.booleans(),
)
def test_dev_round_trip(rows, old_format):
    lines = [
        "Inter-|   Receive                                                |  Transmit",
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets",
    ]
    for name, counters in rows:
        numbers = " ".join(f"{n:{w}d}" for n, w in zip(counters, DEV_WIDTHS, strict=True))
        if old_format:  # "%6s:%8llu %7llu ...": a long first number touches the colon
            lines.append(f"{name:>6}:{counters[0]:8d} " + numbers.split(None, 1)[1])
        else:  # "%6s: %7llu %7llu ..."
            lines.append(f"{name:>6}: {numbers}")
    parsed = procfs.parse_dev("\n".join(lines) + "\n")
    assert [s.name for s in parsed] == [name for name, _ in rows]
    for stats, (_, counters) in zip(parsed, rows, strict=True):
        assert [getattr(stats, field) for field in DEV_FIELDS] == counters


UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LETTERS = UPPER + UPPER.lower()
group_names = st.builds(str.__add__, st.sampled_from(UPPER), st.text(LETTERS, max_size=9))
counter_names = st.builds(
    str.__add__, st.sampled_from(LETTERS), st.text(LETTERS + "0123456789", max_size=15)
)


@settings(PROFILE)
@given(
    groups=st.lists(
        st.tuples(
            group_names,
            st.dictionaries(counter_names, st.integers(-(2**63), 2**64 - 1), max_size=12),
        ),
        max_size=6,
        unique_by=lambda group: group[0],
    )
)
def test_snmp_round_trip(groups):
    lines = []
    for group, counters in groups:
        lines.append(f"{group}:" + "".join(f" {name}" for name in counters))
        lines.append(f"{group}:" + "".join(f" {value}" for value in counters.values()))
    parsed = procfs.parse_snmp("".join(line + "\n" for line in lines))
    assert [(s.group, dict(s.counters)) for s in parsed] == groups
    for stats, (_, counters) in zip(parsed, groups, strict=True):
        assert list(stats.counters) == list(counters)  # source order kept


@settings(PROFILE)
@given(
    counters=st.dictionaries(counter_names, st.integers(0, 2**64 - 1), min_size=1, max_size=40),
    data=st.data(),
)
def test_snmp_group_split_over_pairs_round_trip(counters, data):
    """icmpmsg_put() style: one group printed as several header/values pairs."""
    names = list(counters)
    cuts = sorted(data.draw(st.sets(st.integers(1, len(names)), max_size=4)) | {len(names)})
    lines, start = [], 0
    for end in cuts:
        chunk = names[start:end]
        lines += [
            "IcmpMsg:" + "".join(f" {n}" for n in chunk),
            "IcmpMsg:" + "".join(f" {counters[n]}" for n in chunk),
        ]
        start = end
    (stats,) = procfs.parse_snmp("\n".join(lines) + "\n")
    assert stats.group == "IcmpMsg"
    assert list(stats.counters.items()) == list(counters.items())


snmp6_groups = st.one_of(
    st.sampled_from(["Ip6", "Icmp6", "Udp6", "UdpLite6"]),
    st.builds(
        lambda head, tail: head + tail + "6", st.sampled_from(UPPER), st.text(LETTERS, max_size=7)
    ),
)
snmp6_counters = st.text(LETTERS + "0123456789_", min_size=1, max_size=20)


@settings(PROFILE)
@given(
    groups=st.dictionaries(
        snmp6_groups,
        st.dictionaries(snmp6_counters, st.integers(0, 2**64 - 1), min_size=1, max_size=8),
        max_size=5,
    ),
    data=st.data(),
)
def test_snmp6_round_trip(groups, data):
    pairs = [(g, name, v) for g, counters in groups.items() for name, v in counters.items()]
    pairs = data.draw(st.permutations(pairs))  # groups may interleave
    text = "".join(f"{g + name:<32}\t{value}\n" for g, name, value in pairs)  # "%-32s\t%lu"
    parsed = procfs.parse_snmp6(text)
    assert {s.group: dict(s.counters) for s in parsed} == groups
    first_seen = list(dict.fromkeys(g for g, _, _ in pairs))
    assert [s.group for s in parsed] == first_seen


@settings(PROFILE)
@given(inode=st.integers(0, 2**64))
def test_socket_link_round_trip(inode):
    assert procfs.parse_socket_link(f"socket:[{inode}]") == inode


@settings(PROFILE)
@given(target=st.text())
def test_socket_link_never_raises(target):
    result = procfs.parse_socket_link(target)
    assert result is None or (isinstance(result, int) and result >= 0)
    if result is not None:
        assert target == f"socket:[{target[8:-1]}]"


@settings(PROFILE)
@given(name=st.binary(max_size=32).filter(lambda b: b"\x00" not in b))
def test_comm_round_trip_bytes(name):
    parsed = procfs.parse_comm(name + b"\n")
    assert isinstance(parsed, str)
    assert os.fsencode(parsed) == name
    assert procfs.parse_comm(name + b"\n") == procfs.parse_comm(
        (name + b"\n").decode("utf-8", "surrogateescape")
    )


@settings(PROFILE)
@given(name=st.text())
def test_comm_round_trip_text(name):
    assert procfs.parse_comm(name + "\n") == name
    assert procfs.parse_comm(name) == (name[:-1] if name.endswith("\n") else name)
