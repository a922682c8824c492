"""The sock_diag parser (``netstatlib.parsers.sockdiag``) on real dumps and on what no
kernel sends.

``tests/fixtures/sockdiag/`` holds dumps captured byte for byte from a namespace whose
every socket was made by the capture script (``tests/tools/capture_sockdiag_fixtures.py``;
its README says how the files are framed and which kernel answered). Each dump is
parsed and compared with its golden ``.json``, and its records are checked field by
field against what the process that made the sockets said about them (``dumps.json``).
Then the parser is fed what no kernel sends (arbitrary bytes, the real dumps cut short
or with bits flipped): it may only answer or raise ``ParseError``. The last part checks
the small pieces (the state bitmask, UNIX names, error and interruption flags, cookies)
on messages built here. No root, no network.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstatlib import (
    Connection,
    ParseError,
    Protocol,
    SocketDetails,
    SocketMemory,
    Table,
    TcpState,
)
from netstatlib._model import tcp_byte_counts
from netstatlib.backends._netlink import state_mask
from netstatlib.parsers.sockdiag import (
    NLM_F_DUMP_INTR,
    NLMSG_DONE,
    NLMSG_ERROR,
    DiagDump,
    RowMemory,
    parse_diag_dump,
    parse_tcp_info,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sockdiag"
# SOCKDIAG_MAX_EXAMPLES=20000 for a long bug hunt; the default keeps the suite quick.
settings.register_profile(
    "sockdiag",
    max_examples=int(os.environ.get("SOCKDIAG_MAX_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("sockdiag")
INDEX: dict[str, Any] = json.loads((FIXTURES / "dumps.json").read_text())
DUMP_FILES = sorted(FIXTURES.glob("*.bin"))
FRAME = struct.Struct(">I")  # the README's framing: a big-endian length per datagram


def read_frames(path: Path) -> list[bytes]:
    """The datagrams of a ``.bin`` fixture."""
    data = path.read_bytes()
    datagrams = []
    offset = 0
    while offset < len(data):
        (length,) = FRAME.unpack_from(data, offset)
        offset += FRAME.size
        datagrams.append(data[offset : offset + length])
        offset += length
    assert offset == len(data), f"{path.name}: the last frame runs past the end"
    return datagrams


def parse_arguments(name: str) -> dict[str, Any]:
    parse = dict(INDEX["dumps"][name]["parse"])
    parse["protocol"] = Protocol(parse["protocol"])
    return parse


def parse_fixture(name: str, datagrams: list[bytes] | None = None) -> list[Connection]:
    if datagrams is None:
        datagrams = read_frames(FIXTURES / f"{name}.bin")
    return parse_diag_dump(datagrams, source=name, **parse_arguments(name))


DATAGRAMS = {path.stem: read_frames(path) for path in DUMP_FILES}
NAMES = sorted(DATAGRAMS)


# -- real dumps --------------------------------------------------------------------------


def test_every_dump_is_described_and_has_a_golden_file() -> None:
    assert NAMES, "no fixture found"
    assert set(NAMES) == set(INDEX["dumps"])
    for name in NAMES:
        assert (FIXTURES / f"{name}.json").exists(), name
    assert INDEX["kernel"] in (FIXTURES / "README.md").read_text()
    for name in NAMES:  # as this kernel sends it: NLMSG_DONE alone, in a datagram of its own
        last = DATAGRAMS[name][-1]
        assert len(last) == 20 and struct.unpack_from("<IH", last) == (20, NLMSG_DONE), name


@pytest.mark.parametrize("name", NAMES)
def test_dump_gives_the_golden_records(name: str) -> None:
    golden = json.loads((FIXTURES / f"{name}.json").read_text())
    assert Table(parse_fixture(name)).to_dicts(plain=True) == golden


@pytest.mark.parametrize("name", NAMES)
def test_datagrams_fed_through_one_reused_buffer(name: str) -> None:
    """As the engine receives: each datagram into the same buffer, with its size. The
    records must not keep anything that points into the buffer."""
    dump = DiagDump(source=name, **parse_arguments(name))
    buffer = bytearray(65536)
    for datagram in DATAGRAMS[name]:
        buffer[: len(datagram)] = datagram
        done = dump.feed(buffer, len(datagram))
        buffer[:] = b"\xa5" * len(buffer)  # what a later datagram would leave there
    assert done and dump.done
    assert dump.error is None and not dump.interrupted
    assert dump.messages == len(dump.rows)
    assert dump.rows == parse_fixture(name)


@pytest.mark.parametrize("name", ["tcp_legacy_details", "tcp6_every_attribute"])
def test_byte_counters_read_without_decoding_match_the_decoded_tcp_info(name: str) -> None:
    """Throughput reads bytes_acked and bytes_received straight from the kernel's bytes
    while the details are still undecoded: the same values as the decoded TcpInfo."""
    quick = [(row, tcp_byte_counts(row.details)) for row in parse_fixture(name) if row.details]
    assert any(counts is not None for _, counts in quick), "no TCP socket with tcp_info"
    for row, counts in quick:
        info = row.tcp_info
        if info is None:
            assert counts is None
        else:
            assert counts == (info.bytes_acked, info.bytes_received)
        assert tcp_byte_counts(row.details) == counts  # decoded now: read from the record


def _socket_entries(name: str) -> list[dict[str, Any]]:
    tables = INDEX["dumps"][name]["tables"]
    return [entry for entry in INDEX["sockets"] if entry["table"] in tables]


def _endpoint(value: list | None) -> tuple | None:
    return None if value is None else (value[0], value[1])


def _owner_entry(record: Connection, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The owner's description of the socket a record is about: by cookie, or (for an
    entry that is not a socket of ours) by endpoints and state."""
    found = [entry for entry in entries if entry["cookie"] == record.cookie]
    if not found:
        local = (str(record.local.address), record.local.port) if record.local else None
        remote = (str(record.remote.address), record.remote.port) if record.remote else None
        found = [
            entry
            for entry in entries
            if entry["cookie"] is None
            and (_endpoint(entry["local"]), _endpoint(entry["remote"])) == (local, remote)
            and record.state is TcpState[entry["state"]]
        ]
    assert len(found) == 1, f"{record} is not one of the sockets made"
    return found[0]


@pytest.mark.parametrize("name", NAMES)
def test_records_are_the_sockets_their_owner_made(name: str) -> None:
    """The records against ``dumps.json``'s sockets, as the process that made them saw
    them (fstat, SO_COOKIE, getsockname, listen(), TCP_INFO): not against the parser."""
    entries = _socket_entries(name)
    records = parse_fixture(name)
    parse = INDEX["dumps"][name]["parse"]
    inodes = {entry["name"]: entry["inode"] for entry in entries}
    matched = [_owner_entry(record, entries)["name"] for record in records]
    assert sorted(matched) == sorted(entry["name"] for entry in entries)
    for record in records:
        entry = _owner_entry(record, entries)
        where = f"{name}: {entry['name']}"
        assert record.inode == entry["inode"], where
        assert record.uid == entry["uid"], where
        expected_state = TcpState[entry["state"]] if entry["state"] else None
        assert record.state is expected_state, where
        assert record.state_text is None and record.pids is None, where
        if record.protocol is Protocol.UNIX:
            assert record.path == entry["path"], where
            assert record.socket_type is not None
            assert record.socket_type.name == entry["socket_type"], where
            assert record.local is None and record.remote is None
        else:
            local = (str(record.local.address), record.local.port) if record.local else None
            remote = (str(record.remote.address), record.remote.port) if record.remote else None
            assert (local, remote) == (_endpoint(entry["local"]), _endpoint(entry["remote"]))
        if entry.get("unread_datagrams"):
            assert record.recv_queue is not None and record.recv_queue > 0, where
        else:
            assert record.recv_queue == entry.get("unread", 0), where
        if entry["state"] == "LISTEN":
            assert record.send_queue == 0, where  # the backlog is in details, not here
        if not parse["details"]:
            assert record.details is None, where
            continue
        details = record.details
        assert details is not None, where
        assert details.backlog == entry.get("backlog"), where
        if record.protocol is Protocol.UNIX:
            peer = entry.get("peer")
            assert details.peer_inode == (inodes[peer] if peer else None), where
            assert details.memory is not None and details.tcp_info is None, where
            continue
        if entry["state"] == "TIME_WAIT":
            assert details.timer is not None and details.timer.name == "timewait", where
            assert 0 < details.timer.expires <= 60, where
            assert details.tcp_info is None and details.memory is None, where
            continue
        assert details.memory is not None, where
        if entry.get("timer"):
            assert details.timer is not None and details.timer.name == entry["timer"], where
        elif entry["state"] == "ESTABLISHED":
            assert details.timer is None, where
        if record.protocol is Protocol.UDP:
            assert details.tcp_info is None and details.congestion is None, where
            continue
        info = details.tcp_info
        assert info is not None and details.congestion, where
        assert info.state == record.state.value, where
        for field, value in entry.get("tcp_info", {}).items():
            assert getattr(info, field) == value, f"{where}: {field}"


# -- what no kernel sends ------------------------------------------------------------------

KINDS = [("inet", Protocol.TCP), ("inet", Protocol.UDP), ("inet", Protocol.RAW)]
KINDS.append(("unix", Protocol.UNIX))


def _only_parse_errors(datagrams: list[bytes], kind: str, protocol: Protocol, details: bool):
    """Feed the datagrams both ways; anything but a ParseError fails the test. Every
    record the parser accepted must read whole: details are decoded when first read, so
    reading them (``repr`` reads every field) must never raise, and the byte counters
    read without decoding must be those decoding gives."""
    dump = DiagDump(kind=kind, protocol=protocol, details=details)
    with contextlib.suppress(ParseError):
        for datagram in datagrams:
            if dump.feed(datagram):
                break
    for row in dump.rows:
        _read_whole(row)
    rows: list[Any] = []
    with contextlib.suppress(ParseError):
        rows = parse_diag_dump(datagrams, kind=kind, protocol=protocol, details=details)
    for row in rows:
        _read_whole(row)


def _read_whole(row: Connection) -> None:
    quick = tcp_byte_counts(row.details) if row.details is not None else None
    repr(row)
    if row.details is not None:
        info = row.details.tcp_info
        decoded = None
        if info is not None and info.bytes_acked is not None and info.bytes_received is not None:
            decoded = (info.bytes_acked, info.bytes_received)
        assert quick == decoded


@PROFILE
@given(
    datagrams=st.lists(st.binary(max_size=400), min_size=1, max_size=3),
    which=st.sampled_from(KINDS),
    details=st.booleans(),
)
def test_arbitrary_bytes_raise_only_parse_error(
    datagrams: list[bytes], which: tuple[str, Protocol], details: bool
) -> None:
    _only_parse_errors(datagrams, *which, details)


def _message(kind: int, flags: int, payload: bytes) -> bytes:
    message = struct.pack("<IHHII", 16 + len(payload), kind, flags, 1, 0) + payload
    return message + bytes(-len(message) % 4)


@st.composite
def framed_messages(draw: st.DrawFn) -> bytes:
    """Messages whose netlink header is right and whose body is anything: the parser
    then reads fields and attributes of random values and lengths."""
    messages = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from([20, 18, NLMSG_DONE, NLMSG_ERROR, 1, 0x30]))
        flags = draw(st.sampled_from([0, 2, NLM_F_DUMP_INTR | 2]))
        body = bytearray(draw(st.binary(min_size=0, max_size=420)))
        if len(body) >= 1 and draw(st.booleans()):
            body[0] = draw(st.sampled_from([1, 2, 10]))  # a family the parser knows
        messages.append(_message(kind, flags, bytes(body)))
    return b"".join(messages)


@PROFILE
@given(data=framed_messages(), which=st.sampled_from(KINDS), details=st.booleans())
def test_well_framed_random_messages_raise_only_parse_error(
    data: bytes, which: tuple[str, Protocol], details: bool
) -> None:
    _only_parse_errors([data], *which, details)


def _message_ends(datagram: bytes) -> set[int]:
    """Offsets where a message of the datagram starts or the datagram ends."""
    ends = {0}
    offset = 0
    while offset < len(datagram):
        (length,) = struct.unpack_from("<I", datagram, offset)
        offset += (length + 3) & ~3
        ends.add(offset)
    return ends


def _attribute(kind: int, data: bytes) -> bytes:
    attribute = struct.pack("<HH", 4 + len(data), kind) + data
    return attribute + bytes(-len(attribute) % 4)


@st.composite
def socket_messages(draw: st.DrawFn, kind: str) -> bytes:
    """A socket message right down to its attributes' headers, with attributes of every
    type the parser reads (and a few it does not), of any length and content."""
    if kind == "inet":
        body = bytearray(draw(st.binary(min_size=72, max_size=72)))
        body[0] = draw(st.sampled_from([2, 10]))
        types = [1, 2, 3, 4, 5, 7, 8, 21, 30]
    else:
        body = bytearray(draw(st.binary(min_size=16, max_size=16)))
        body[0] = 1  # AF_UNIX
        types = [0, 1, 2, 3, 4, 5, 6, 7, 9]
    attributes = draw(
        st.lists(st.tuples(st.sampled_from(types), st.binary(max_size=300)), max_size=5)
    )
    body += b"".join(_attribute(number, data) for number, data in attributes)
    return _message(20, 2, bytes(body))


@PROFILE
@given(data=st.data(), which=st.sampled_from(KINDS), details=st.booleans())
def test_socket_messages_with_any_attributes_raise_only_parse_error(
    data: st.DataObject, which: tuple[str, Protocol], details: bool
) -> None:
    kind = which[0]
    messages = data.draw(st.lists(socket_messages(kind), min_size=1, max_size=3))
    _only_parse_errors([b"".join(messages) + _message(NLMSG_DONE, 2, bytes(4))], *which, details)


@PROFILE
@given(name=st.sampled_from(NAMES), data=st.data())
def test_real_dumps_cut_short_raise_only_parse_error(name: str, data: st.DataObject) -> None:
    """A datagram cut inside a message, or a dump without its NLMSG_DONE, is a
    ParseError; a datagram cut between messages cannot be told from a shorter one."""
    original = DATAGRAMS[name]
    datagrams = list(original)
    index = data.draw(st.integers(0, len(datagrams) - 1), label="datagram")
    cut = data.draw(st.integers(0, len(datagrams[index])), label="cut")
    datagrams[index] = datagrams[index][:cut]
    kept = data.draw(st.integers(1, len(datagrams)), label="datagrams kept")
    parse = parse_arguments(name)
    _only_parse_errors(datagrams[:kept], parse["kind"], parse["protocol"], parse["details"])
    last = len(original) - 1  # the kernel sends NLMSG_DONE alone in the last datagram
    no_end = kept <= last or (index == last and cut < len(original[last]))
    inside_a_message = index < kept and cut not in _message_ends(original[index])
    if no_end or inside_a_message:
        with pytest.raises(ParseError):
            parse_diag_dump(datagrams[:kept], **parse)
    else:
        rows = parse_diag_dump(datagrams[:kept], **parse)
        full = parse_fixture(name)
        assert all(row in full for row in rows) and len(rows) <= len(full)


@PROFILE
@given(name=st.sampled_from(NAMES), data=st.data())
def test_real_dumps_with_flipped_bits_raise_only_parse_error(
    name: str, data: st.DataObject
) -> None:
    datagrams = [bytearray(datagram) for datagram in DATAGRAMS[name]]
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        index = data.draw(st.integers(0, len(datagrams) - 1), label="datagram")
        bit = data.draw(st.integers(0, len(datagrams[index]) * 8 - 1), label="bit")
        datagrams[index][bit // 8] ^= 1 << (bit % 8)
    parse = parse_arguments(name)
    _only_parse_errors(
        [bytes(d) for d in datagrams], parse["kind"], parse["protocol"], parse["details"]
    )


@PROFILE
@given(data=st.binary(max_size=400), byteorder=st.sampled_from(["little", "big"]))
def test_tcp_info_of_arbitrary_bytes_answers_or_raises_parse_error(
    data: bytes, byteorder: str
) -> None:
    try:
        info = parse_tcp_info(data, byteorder=byteorder)  # type: ignore[arg-type]
    except ParseError:
        assert len(data) < 104
    else:
        assert len(data) >= 104 and info.total_retrans is not None


# -- tcp_info of every length ---------------------------------------------------------------

# struct tcp_info as include/uapi/linux/tcp.h lays it out (written out here, not taken
# from the parser): offset, struct format, field name in TcpInfo, unit in seconds.
TCP_INFO_LAYOUT: list[tuple[int, str, str, float | None]] = [
    (8, "I", "rto", 1e-6), (12, "I", "ato", 1e-6), (16, "I", "snd_mss", None),
    (20, "I", "rcv_mss", None), (24, "I", "unacked", None), (28, "I", "sacked", None),
    (32, "I", "lost", None), (36, "I", "retrans", None),
    # 40: tcpi_fackets (always 0 since 4.15), 48: tcpi_last_ack_sent (never set).
    (44, "I", "last_data_sent", 1e-3), (52, "I", "last_data_received", 1e-3),
    (56, "I", "last_ack_received", 1e-3), (60, "I", "pmtu", None),
    (64, "I", "rcv_ssthresh", None), (68, "I", "rtt", 1e-6), (72, "I", "rtt_var", 1e-6),
    (76, "I", "ssthresh", None), (80, "I", "snd_cwnd", None), (84, "I", "advmss", None),
    (88, "I", "reordering", None), (92, "I", "rcv_rtt", 1e-6), (96, "I", "rcv_space", None),
    (100, "I", "total_retrans", None), (104, "Q", "pacing_rate", None),
    (112, "Q", "max_pacing_rate", None), (120, "Q", "bytes_acked", None),
    (128, "Q", "bytes_received", None), (136, "I", "segs_out", None),
    (140, "I", "segs_in", None), (144, "I", "notsent_bytes", None),
    (148, "I", "min_rtt", 1e-6), (152, "I", "data_segs_in", None),
    (156, "I", "data_segs_out", None), (160, "Q", "delivery_rate", None),
    (168, "Q", "busy_time", 1e-6), (176, "Q", "rwnd_limited", 1e-6),
    (184, "Q", "sndbuf_limited", 1e-6), (192, "I", "delivered", None),
    (196, "I", "delivered_ce", None), (200, "Q", "bytes_sent", None),
    (208, "Q", "bytes_retrans", None), (216, "I", "dsack_dups", None),
    (220, "I", "reord_seen", None), (224, "I", "rcv_ooopack", None),
    (228, "I", "snd_wnd", None), (232, "I", "rcv_wnd", None),
]  # fmt: skip


def _attributes(message: bytes, start: int) -> dict[int, bytes]:
    found = {}
    offset = start
    while offset + 4 <= len(message):
        length, kind = struct.unpack_from("<HH", message, offset)
        found[kind] = message[offset + 4 : offset + length]
        offset += (length + 3) & ~3
    return found


def _real_tcp_infos() -> list[bytes]:
    """Every INET_DIAG_INFO attribute of the TCP details dump, read here by hand."""
    assert INDEX["byteorder"] == "little"
    infos = []
    for datagram in DATAGRAMS["tcp_legacy_details"]:
        offset = 0
        while offset < len(datagram):
            length, kind = struct.unpack_from("<IH", datagram, offset)
            if kind == 18:  # TCPDIAG_GETSOCK answers carry the request's type
                info = _attributes(datagram[offset : offset + length], 88).get(2)
                if info is not None:
                    infos.append(info)
            offset += (length + 3) & ~3
    return infos


REAL_TCP_INFOS = _real_tcp_infos()
# The busiest one: the most fields that are not zero.
TCP_INFO = max(REAL_TCP_INFOS, key=lambda raw: sum(1 for byte in raw if byte))


def test_fixture_tcp_info_is_longer_than_the_parser_reads() -> None:
    assert len(REAL_TCP_INFOS) >= 8
    assert len(TCP_INFO) >= TCP_INFO_LAYOUT[-1][0] + 4


@pytest.mark.parametrize("size", range(104, len(TCP_INFO) + 1))
def test_tcp_info_of_every_length_fills_exactly_the_fields_that_fit(size: int) -> None:
    info = parse_tcp_info(TCP_INFO[:size])
    head = TCP_INFO[:8]
    assert (info.state, info.ca_state, info.retransmits, info.probes) == tuple(head[:4])
    assert (info.backoff, info.options) == (head[4], head[5])
    assert (info.snd_wscale, info.rcv_wscale) == (head[6] & 0xF, head[6] >> 4)
    for offset, fmt, name, scale in TCP_INFO_LAYOUT:
        end = offset + struct.calcsize(fmt)
        if end > size:
            assert getattr(info, name) is None, f"{name} ends at {end}, past {size}"
            continue
        (raw,) = struct.unpack_from("<" + fmt, TCP_INFO, offset)
        if name == "ssthresh" and raw >= 0x7FFFFFFF:
            expected: Any = None
        elif name in ("pacing_rate", "max_pacing_rate") and raw == 2**64 - 1:
            expected = None
        else:
            expected = raw * scale if scale is not None else raw
        assert getattr(info, name) == expected, name


@pytest.mark.parametrize("size", [0, 8, 100, 103])
def test_tcp_info_shorter_than_any_kernel_sends_is_a_parse_error(size: int) -> None:
    with pytest.raises(ParseError, match="tcp_info"):
        parse_tcp_info(TCP_INFO[:size])


def test_tcp_info_big_endian_bit_fields() -> None:
    """``tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4``: the first field is the high nibble
    on a big-endian machine."""
    raw = bytearray(104)
    raw[6] = 0x7A
    struct.pack_into(">I", raw, 16, 1448)  # snd_mss
    struct.pack_into(">I", raw, 76, 0x7FFFFFFF)  # ssthresh: not set yet
    info = parse_tcp_info(bytes(raw), byteorder="big")
    assert (info.snd_wscale, info.rcv_wscale, info.snd_mss) == (7, 10, 1448)
    assert info.ssthresh is None and info.pacing_rate is None
    little = parse_tcp_info(bytes(raw), byteorder="little")
    assert (little.snd_wscale, little.rcv_wscale) == (10, 7)


# -- the small pieces, on messages built here -------------------------------------------

NO_COOKIE = (0xFFFFFFFF, 0xFFFFFFFF)


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


def nlmsg(kind: int, payload: bytes, *, flags: int = 2, order: str = "<") -> bytes:
    return _pad(struct.pack(order + "IHHII", 16 + len(payload), kind, flags, 7, 0) + payload)


def rtattr(kind: int, data: bytes, order: str = "<") -> bytes:
    return _pad(struct.pack(order + "HH", 4 + len(data), kind) + data)


def done(code: int = 0, *, flags: int = 2, order: str = "<") -> bytes:
    return nlmsg(NLMSG_DONE, struct.pack(order + "i", code), flags=flags, order=order)


def inet_message(
    *,
    family: int = 2,
    state: int = 1,
    local: bytes = bytes([127, 0, 0, 1]),
    remote: bytes = bytes([127, 0, 0, 1]),
    ports: tuple[int, int] = (80, 40000),
    cookie: tuple[int, int] = (5, 0),
    inode: int = 1234,
    uid: int = 1000,
    queues: tuple[int, int] = (0, 0),
    flags: int = 2,
    order: str = "<",
) -> bytes:
    """A ``SOCK_DIAG_BY_FAMILY`` answer: nlmsghdr, inet_diag_msg (sock_diag(7))."""
    body = struct.pack(order + "BBBB", family, state, 0, 0)
    body += struct.pack(">HH", *ports) + local.ljust(16, b"\0") + remote.ljust(16, b"\0")
    body += struct.pack(order + "I2I", 0, *cookie)
    body += struct.pack(order + "5I", 0, queues[0], queues[1], uid, inode)
    return nlmsg(20, body, flags=flags, order=order)


def unix_message(
    *,
    name: bytes | None = None,
    state: int = 7,
    socket_type: int = 1,
    inode: int = 99,
    cookie: tuple[int, int] = (9, 1),
    order: str = "<",
) -> bytes:
    """A unix_diag answer: nlmsghdr, unix_diag_msg, then UNIX_DIAG_NAME if named."""
    body = struct.pack(order + "BBBxI2I", 1, socket_type, state, inode, *cookie)
    if name is not None:
        body += rtattr(0, name, order)
    return nlmsg(20, body, order=order)


def parse_unix(*messages: bytes) -> list[Connection]:
    return parse_diag_dump([b"".join(messages) + done()], kind="unix", protocol=Protocol.UNIX)


def parse_inet(*messages: bytes, order: str = "<") -> list[Connection]:
    byteorder = "little" if order == "<" else "big"
    return parse_diag_dump(
        [b"".join(messages) + done(order=order)],
        kind="inet",
        protocol=Protocol.TCP,
        byteorder=byteorder,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("stateless", [False, True], ids=["tcp", "stateless"])
@pytest.mark.parametrize(
    ("states", "bits"),
    [
        ([TcpState.LISTEN], {10}),
        ([TcpState.ESTABLISHED, TcpState.TIME_WAIT], {1, 6}),
        # A request socket is reported in SYN_RECV but asked for as NEW_SYN_RECV.
        ([TcpState.SYN_RECV], {3, 12}),
        ([TcpState.NEW_SYN_RECV], {12}),
        ([TcpState.CLOSE], {7}),
        # Windows-only states have no kernel number: nothing to ask for.
        ([TcpState.BOUND, TcpState.DELETE_TCB], set()),
    ],
)
def test_state_mask_bits(states: list[TcpState | None], bits: set[int], stateless: bool) -> None:
    assert state_mask(states, stateless=stateless) == sum(1 << bit for bit in bits)


@pytest.mark.parametrize(
    ("states", "stateless", "bits"),
    [
        # An unconnected UDP, raw or UNIX socket (state None) is the kernel's CLOSE ...
        ([None], True, {7}),
        ([None, TcpState.LISTEN], True, {7, 10}),
        # ... and a TCP socket never has no state: None asks for nothing there.
        ([None], False, set()),
        ([None, TcpState.LISTEN], False, {10}),
    ],
)
def test_state_mask_of_no_state(
    states: list[TcpState | None], stateless: bool, bits: set[int]
) -> None:
    assert state_mask(states, stateless=stateless) == sum(1 << bit for bit in bits)


KERNEL_STATES = sum(1 << state.value for state in TcpState if 1 <= state.value <= 12)
TCP_BOUND_INACTIVE = 13


@pytest.mark.parametrize("stateless", [False, True], ids=["tcp", "stateless"])
@pytest.mark.parametrize(
    "states",
    [None, [TcpState.UNKNOWN], [TcpState.LISTEN, TcpState.UNKNOWN], [None, TcpState.UNKNOWN]],
)
def test_state_mask_without_a_limit_asks_for_every_state(states: Any, stateless: bool) -> None:
    """No limit, or a state the kernel has no number for (kept as UNKNOWN): every state
    a socket table lists, ESTABLISHED (1) to NEW_SYN_RECV (12), and not the bound-only
    TCP sockets (TCP_BOUND_INACTIVE, 13) that /proc/net/tcp never lists."""
    mask = state_mask(states, stateless=stateless)
    assert mask & KERNEL_STATES == KERNEL_STATES
    assert mask >> TCP_BOUND_INACTIVE == 0
    assert mask == state_mask(None, stateless=stateless)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"/run/x.sock\0", "/run/x.sock"),  # the kernel stores the path's NUL
        (b"/run/x.sock", "/run/x.sock"),  # (a path bound with its exact length)
        (b"\0abstract", "@abstract"),
        (b"\0with\0nul\0", "@with@nul@"),  # an abstract name keeps every byte
        (b"\0", "@"),
        (b"/tmp/new\nline\0", "/tmp/new\nline"),
        (b"/tmp/caf\xe9\0", "/tmp/caf\udce9"),  # not UTF-8: surrogateescape
        (b"/tmp/caf\xc3\xa9\0", "/tmp/caf\u00e9"),
    ],
)
def test_unix_names(raw: bytes, path: str) -> None:
    (row,) = parse_unix(unix_message(name=raw))
    assert row.path == path
    assert row.path.encode("utf-8", "surrogateescape").replace(b"@", b"\0") in raw.replace(
        b"@", b"\0"
    )


def test_unix_unnamed_socket_has_no_path_and_its_fields() -> None:
    (row,) = parse_unix(unix_message(name=None, state=1, socket_type=2, inode=4321))
    assert row.path is None and row.inode == 4321
    assert row.state is TcpState.ESTABLISHED
    assert row.socket_type is not None and row.socket_type.name == "SOCK_DGRAM"
    assert row.uid is None and row.recv_queue is None  # not asked for: not sent
    assert row.cookie == 9 | 1 << 32


def test_nlmsg_error_sets_error_and_ends_the_dump() -> None:
    dump = DiagDump(kind="inet", protocol=Protocol.TCP)
    error = nlmsg(NLMSG_ERROR, struct.pack("<i", -22) + bytes(16))
    assert dump.feed(error)
    assert (dump.done, dump.error, dump.rows) == (True, 22, [])
    with pytest.raises(ParseError, match="errno 22"):
        parse_diag_dump([error], kind="inet", protocol=Protocol.TCP)


def test_nlmsg_error_after_some_sockets() -> None:
    dump = DiagDump(kind="inet", protocol=Protocol.TCP)
    dump.feed(inet_message() + nlmsg(NLMSG_ERROR, struct.pack("<i", -1)))
    assert dump.done and dump.error == 1 and len(dump.rows) == 1


def test_nlmsg_done_with_an_error_code() -> None:
    dump = DiagDump(kind="unix", protocol=Protocol.UNIX)
    assert dump.feed(done(-16))
    assert dump.error == 16
    with pytest.raises(ParseError, match="errno 16"):
        parse_diag_dump([done(-16)], kind="unix", protocol=Protocol.UNIX)


def test_nlmsg_error_without_a_code_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        DiagDump(kind="inet", protocol=Protocol.TCP).feed(nlmsg(NLMSG_ERROR, b""))


@pytest.mark.parametrize("where", ["socket", "done"])
def test_dump_intr_marks_the_dump_interrupted(where: str) -> None:
    intr = 2 | NLM_F_DUMP_INTR
    data = inet_message(flags=intr if where == "socket" else 2)
    data += done(flags=intr if where == "done" else 2)
    dump = DiagDump(kind="inet", protocol=Protocol.TCP)
    assert dump.feed(data)
    assert dump.interrupted and dump.error is None and len(dump.rows) == 1
    clean = DiagDump(kind="inet", protocol=Protocol.TCP)
    clean.feed(inet_message() + done())
    assert not clean.interrupted


def test_dump_intr_on_a_unix_message() -> None:
    dump = DiagDump(kind="unix", protocol=Protocol.UNIX)
    message = bytearray(unix_message())
    struct.pack_into("<H", message, 6, 2 | NLM_F_DUMP_INTR)
    dump.feed(bytes(message) + done())
    assert dump.interrupted


def test_cookie_all_ones_is_no_cookie() -> None:
    rows = parse_inet(
        inet_message(cookie=NO_COOKIE),
        inet_message(cookie=(0xFFFFFFFF, 0)),
        inet_message(cookie=(0x89ABCDEF, 0x01234567)),
    )
    assert [row.cookie for row in rows] == [None, 0xFFFFFFFF, 0x0123456789ABCDEF]
    (unix,) = parse_unix(unix_message(cookie=NO_COOKIE))
    assert unix.cookie is None


def test_time_wait_entry_has_no_inode_and_no_owner() -> None:
    (row,) = parse_inet(inet_message(state=6, inode=0, uid=0))
    assert (row.state, row.inode, row.uid) == (TcpState.TIME_WAIT, None, None)
    (unaccepted,) = parse_inet(inet_message(state=1, inode=0, uid=1000))
    assert (unaccepted.inode, unaccepted.uid) == (None, 1000)


def test_listener_backlog_is_not_a_send_queue() -> None:
    (row,) = parse_inet(inet_message(state=10, remote=b"", ports=(80, 0), queues=(2, 128)))
    assert (row.recv_queue, row.send_queue, row.remote) == (2, 0, None)


def test_unknown_state_is_kept_with_its_number() -> None:
    (row,) = parse_inet(inet_message(state=0x2A))
    assert row.state is TcpState.UNKNOWN and row.state_text == "2A"


@pytest.mark.parametrize("order", ["<", ">"])
def test_both_byte_orders_read_the_same_socket(order: str) -> None:
    local = bytes.fromhex("fd000009000000000000000000000001")
    (row,) = parse_inet(
        inet_message(
            family=10,
            local=local,
            remote=bytes(16),
            state=10,
            ports=(443, 0),
            cookie=(0x01020304, 0x0A0B0C0D),
            inode=0x00ABCDEF,
            uid=0x0000BEEF,
            order=order,
        ),
        order=order,
    )
    assert str(row.local) == "[fd00:9::1]:443"
    assert (row.cookie, row.inode, row.uid) == (0x0A0B0C0D01020304, 0x00ABCDEF, 0xBEEF)


def test_a_socket_of_an_unknown_family_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="address family 7"):
        parse_inet(inet_message(family=7))


def test_data_after_the_end_of_the_dump_is_a_parse_error() -> None:
    dump = DiagDump(kind="inet", protocol=Protocol.TCP)
    dump.feed(done())
    with pytest.raises(ParseError, match="after the end"):
        dump.feed(inet_message())


def test_a_dump_without_its_end_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="NLMSG_DONE"):
        parse_diag_dump([inet_message()], kind="inet", protocol=Protocol.TCP)


def _with_attributes(message: bytes, *attributes: bytes) -> bytes:
    """A socket message with attributes appended (its length fixed)."""
    return nlmsg(20, message[16:] + b"".join(attributes))


def parse_details(*messages: bytes) -> list[Connection]:
    return parse_diag_dump(
        [b"".join(messages) + done()], kind="inet", protocol=Protocol.TCP, details=True
    )


def test_details_are_read_from_the_attributes() -> None:
    memory = rtattr(7, struct.pack("<9I", *range(1, 10)))
    cgroup = rtattr(21, struct.pack("<Q", 77))
    congestion = rtattr(4, b"cubic\0")
    (row,) = parse_details(_with_attributes(inet_message(), memory, congestion, cgroup))
    assert row.details == SocketDetails(
        memory=SocketMemory(
            rmem_alloc=1,
            rcvbuf=2,
            wmem_alloc=3,
            sndbuf=4,
            fwd_alloc=5,
            wmem_queued=6,
            optmem=7,
            backlog=8,
            drops=9,
        ),
        congestion="cubic",
        cgroup_id=77,
    )


def test_a_message_laid_out_as_the_one_before_is_still_checked() -> None:
    """Messages of one length and attribute layout are checked by their headers only:
    one of the same length whose headers differ is walked and refused."""
    memory = rtattr(7, bytes(36))
    good = _with_attributes(inet_message(), memory, rtattr(21, struct.pack("<Q", 77)))
    runs_past = struct.pack("<HH", 200, 21) + struct.pack("<Q", 77)
    bad = _with_attributes(inet_message(), memory, runs_past)
    assert len(good) == len(bad)
    rows = parse_details(good, good)
    assert [row.details.cgroup_id for row in rows if row.details] == [77, 77]
    with pytest.raises(ParseError, match="runs past its message"):
        parse_details(good, bad)


@pytest.mark.parametrize(
    ("kind", "size"), [(7, 32), (21, 4), (2, 100)], ids=["memory", "cgroup", "tcp_info"]
)
def test_details_attribute_too_short_for_what_it_holds(kind: int, size: int) -> None:
    """Refused when the message is fed, not later when the details are read."""
    with pytest.raises(ParseError, match=f"attribute {kind} of {size} bytes"):
        parse_details(_with_attributes(inet_message(), rtattr(kind, bytes(size))))


def _unix_with(*attributes: bytes, inode: int = 99) -> bytes:
    return _with_attributes(unix_message(state=1, inode=inode), *attributes)


def test_unix_messages_laid_out_alike_are_read_alike() -> None:
    """Unnamed sockets' messages share one layout, read by one unpack once learnt; a
    message of the same length laid out differently is still read attribute by
    attribute."""
    queues = rtattr(4, struct.pack("<II", 3, 7))
    owner = rtattr(7, struct.pack("<I", 1000))
    shutdown = rtattr(6, b"\0")
    name = rtattr(0, b"/x\0\0")  # as long as the owner attribute
    rows = parse_unix(
        _unix_with(queues, owner, shutdown, inode=1),
        _unix_with(queues, owner, shutdown, inode=2),
        _unix_with(owner, queues, shutdown, inode=3),
        _unix_with(owner, queues, shutdown, inode=4),
        _unix_with(queues, name, shutdown, inode=5),
        _unix_with(queues, rtattr(7, struct.pack("<I", 33)), shutdown, inode=6),
    )
    fields = [(row.inode, row.recv_queue, row.send_queue, row.uid, row.path) for row in rows]
    assert fields == [
        (1, 3, 7, 1000, None),
        (2, 3, 7, 1000, None),
        (3, 3, 7, 1000, None),
        (4, 3, 7, 1000, None),
        (5, 3, 7, None, "/x\0"),
        (6, 3, 7, 33, None),
    ]


# -- records kept from one listing to the next (RowMemory) -----------------------------

REUSABLE = ["tcp_legacy", "udp4", "udp6"]  # inet dumps without details


def _with_memory(name: str, datagrams: list[bytes], memory: RowMemory) -> list[Connection]:
    dump = DiagDump(source=name, memory=memory, **parse_arguments(name))
    memory.begin()
    for datagram in datagrams:
        if dump.feed(datagram):
            break
    if not dump.done or dump.error is not None:  # as parse_diag_dump() and the engine
        raise ParseError("the dump failed", source=name)
    memory.settle()
    return dump.rows


def _socket_messages(datagram: bytes) -> list[int]:
    """Where each socket message of a datagram starts."""
    return [
        offset
        for offset in sorted(_message_ends(datagram))[:-1]
        if struct.unpack_from("<H", datagram, offset + 4)[0] >= 0x10
    ]


@pytest.mark.parametrize("name", REUSABLE)
def test_an_unchanged_socket_keeps_its_record(name: str) -> None:
    memory = RowMemory()
    first = _with_memory(name, DATAGRAMS[name], memory)
    again = _with_memory(name, DATAGRAMS[name], memory)
    assert first and again == first == parse_fixture(name)
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert len(memory.last) == len(first)


@pytest.mark.parametrize("name", REUSABLE)
def test_a_changed_message_gets_a_new_record_and_a_new_timer_does_not(name: str) -> None:
    memory = RowMemory()
    first = _with_memory(name, DATAGRAMS[name], memory)
    datagrams = [bytearray(datagram) for datagram in DATAGRAMS[name]]
    starts = _socket_messages(bytes(datagrams[0]))
    assert len(starts) >= 2
    changed, timed = starts[0], starts[1]
    body = 16  # the netlink header, then inet_diag_msg
    struct.pack_into("<I", datagrams[0], changed + body + 56, 4321)  # idiag_rqueue
    datagrams[0][timed + body + 2] = 1  # idiag_timer: a retransmit timer...
    struct.pack_into("<I", datagrams[0], timed + body + 52, 200)  # ...due in 200 ms
    frames = [bytes(datagram) for datagram in datagrams]
    again = _with_memory(name, frames, memory)
    assert again == parse_diag_dump(frames, source=name, **parse_arguments(name))
    assert again[0] is not first[0] and again[0].recv_queue == 4321
    assert again[1] is first[1]  # the record holds no timer without details
    assert all(a is b for a, b in zip(first[2:], again[2:], strict=True))


def test_details_and_unix_dumps_never_use_the_memory() -> None:
    for name in ("tcp_legacy_details", "unix"):
        memory = RowMemory()
        first = _with_memory(name, DATAGRAMS[name], memory)
        again = _with_memory(name, DATAGRAMS[name], memory)
        assert not memory.last and again == first
        assert not any(a is b for a, b in zip(first, again, strict=True))


@PROFILE
@given(name=st.sampled_from(REUSABLE), data=st.data())
def test_any_change_to_a_remembered_dump_reads_as_without_memory(
    name: str, data: st.DataObject
) -> None:
    """Whatever bytes change between two listings, the records with the memory are those
    without it, or both refuse the dump."""
    memory = RowMemory()
    _with_memory(name, DATAGRAMS[name], memory)
    datagrams = [bytearray(datagram) for datagram in DATAGRAMS[name]]
    for _ in range(data.draw(st.integers(1, 6))):
        index = data.draw(st.integers(0, len(datagrams) - 1))
        if not datagrams[index]:
            continue
        where = data.draw(st.integers(0, len(datagrams[index]) - 1))
        datagrams[index][where] = data.draw(st.integers(0, 255))
    frames = [bytes(datagram) for datagram in datagrams]
    try:
        expected: list[Connection] | None = parse_diag_dump(
            frames, source=name, **parse_arguments(name)
        )
    except ParseError:
        expected = None
    try:
        found: list[Connection] | None = _with_memory(name, frames, memory)
    except ParseError:
        found = None
    assert found == expected
