"""inet_diag bytecode from socket conditions (netstatlib.backends._diag_bytecode).

The programs are checked against a reference auditor and interpreter written here from
the kernel's own code (net/ipv4/inet_diag.c: ``inet_diag_bc_audit()`` with
``valid_cc()``, ``valid_hostcond()`` and ``valid_port_comparison()``, and
``inet_diag_bc_run()`` with ``bitstring_match()``), sharing nothing with the compiler:
for random conditions and random sockets the interpreter on the compiled program agrees
with ``condition.matches(row)``, and every program passes the audit. A few programs are
compared byte for byte with what ss sends for the same filter. The live test
(tests/live/test_diag_bytecode_kernel.py) hands the programs to the real kernel.
"""

from __future__ import annotations

import socket
import struct
import sys
from typing import Literal, NamedTuple

import netaddr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstatlib import Connection
from netstatlib.backends._diag_bytecode import (
    DEFAULT_MAX_SIZE,
    MAX_PROGRAM_SIZE,
    compile_condition,
    kernel_has_eq_ops,
)
from netstatlib.filters import (
    AllOf,
    AnyOf,
    Condition,
    Negated,
    PortCondition,
    PrefixCondition,
    compile_filter,
    socket_conditions,
)

from conftest import conn, ep

ByteOrder = Literal["little", "big"]

# include/uapi/linux/inet_diag.h
NOP, JMP, S_GE, S_LE, D_GE, D_LE, AUTO, S_COND, D_COND = range(9)
S_EQ, D_EQ = 11, 12
# Linux's address families
AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 10


def fmt(byteorder: ByteOrder) -> str:
    return "<" if byteorder == "little" else ">"


# -- the reference auditor: inet_diag_bc_audit() ------------------------------------------


class Rejected(AssertionError):
    """The kernel would answer the request with EINVAL."""


def op_at(program: bytes, offset: int, byteorder: ByteOrder) -> tuple[int, int, int]:
    """struct inet_diag_bc_op {u8 code; u8 yes; u16 no;} at offset: code, yes, no."""
    code, yes, no = struct.unpack_from(f"{fmt(byteorder)}BBH", program, offset)
    return code, yes, no


def yes_chain(program: bytes, byteorder: ByteOrder) -> set[int]:
    """The offsets valid_cc() accepts as a `no` target: those the chain of `yes` steps
    from the start reaches, up to the end or to the first `yes` that is not a multiple
    of 4 of at least 4. (valid_cc() walks the chain again for every target, which makes
    the audit quadratic; one walk gives the same answers.)"""
    offsets, offset = set(), 0
    while offset <= len(program):
        offsets.add(offset)
        if offset + 4 > len(program):
            break
        _code, yes, _no = op_at(program, offset, byteorder)
        if yes < 4 or yes & 3:
            break
        offset += yes
    return offsets


def audit(program: bytes, byteorder: ByteOrder, *, eq_ops: bool = True) -> None:
    """Raise Rejected where the kernel's audit refuses the program. ``eq_ops=False`` is a
    kernel before 4.16, whose audit does not know S_EQ and D_EQ. MARK_COND, DEV_COND and
    CGROUP_COND are left out: netstatlib never sends them."""
    if len(program) < 4:
        raise Rejected("shorter than one op")
    chain = yes_chain(program, byteorder)
    length, offset = len(program), 0
    while length > 0:
        if length < 4:
            raise Rejected(f"an op cut short at {offset}")
        code, yes, no = op_at(program, offset, byteorder)
        min_len = 4
        if code in (S_COND, D_COND):  # valid_hostcond()
            min_len += 8
            if length < min_len:
                raise Rejected(f"no room for a hostcond at {offset}")
            family, prefix_len = program[offset + 4], program[offset + 5]
            address_length = {AF_UNSPEC: 0, AF_INET: 4, AF_INET6: 16}.get(family)
            if address_length is None:
                raise Rejected(f"hostcond family {family} at {offset}")
            min_len += address_length
            if length < min_len:
                raise Rejected(f"no room for the address at {offset}")
            if prefix_len > 8 * address_length:
                raise Rejected(f"prefix_len {prefix_len} longer than the address at {offset}")
        elif code in (S_GE, S_LE, D_GE, D_LE) or (eq_ops and code in (S_EQ, D_EQ)):
            min_len += 4  # valid_port_comparison(): the port is in a second op
            if length < min_len:
                raise Rejected(f"no room for the port at {offset}")
        elif code not in (AUTO, JMP, NOP):
            raise Rejected(f"unknown code {code} at {offset}")
        if code != NOP:
            if no < min_len or no > length + 4 or no & 3:
                raise Rejected(f"no={no} at {offset} (min {min_len}, room {length})")
            if no < length and offset + no not in chain:  # valid_cc()
                raise Rejected(f"no={no} at {offset} lands off the yes chain")
        if yes < min_len or yes > length + 4 or yes & 3:
            raise Rejected(f"yes={yes} at {offset} (min {min_len}, room {length})")
        offset += yes
        length -= yes
    if length != 0:
        raise Rejected("the yes chain ends past the end")


# -- the reference interpreter: inet_diag_bc_run() -----------------------------------------


class Entry(NamedTuple):
    """struct inet_diag_entry: a socket as the bytecode sees it. Addresses are the
    socket's own bytes: 4 for an IPv4 socket, 16 for an IPv6 one."""

    family: int
    saddr: bytes
    daddr: bytes
    sport: int
    dport: int


def bitstring_match(a1: bytes, a2: bytes, bits: int) -> bool:
    """bitstring_match(): the first `bits` bits of two big-endian addresses agree."""
    words, bits = bits >> 5, bits & 0x1F
    if words and a1[: 4 * words] != a2[: 4 * words]:
        return False
    if bits:
        w1 = int.from_bytes(a1[4 * words : 4 * words + 4], "big")
        w2 = int.from_bytes(a2[4 * words : 4 * words + 4], "big")
        mask = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
        if (w1 ^ w2) & mask:
            return False
    return True


def hostcond_holds(program: bytes, offset: int, code: int, entry: Entry, order: str) -> bool:
    family, prefix_len, port = struct.unpack_from(f"{order}BBxxi", program, offset + 4)
    cond_address = program[offset + 12 :]
    if port != -1 and port != (entry.sport if code == S_COND else entry.dport):
        return False
    address = entry.saddr if code == S_COND else entry.daddr
    if family not in (AF_UNSPEC, entry.family):
        # An IPv4 condition on an IPv6 socket: its IPv4-mapped address, if it has one.
        return (
            entry.family == AF_INET6
            and family == AF_INET
            and address[:12] == bytes(10) + b"\xff\xff"
            and bitstring_match(address[12:], cond_address, prefix_len)
        )
    return prefix_len == 0 or bitstring_match(address, cond_address, prefix_len)


def run(program: bytes, entry: Entry, byteorder: ByteOrder) -> bool:
    """inet_diag_bc_run(): whether the socket is kept (the walk ends exactly at the end).
    Only for audited programs (every step moves forward)."""
    order = fmt(byteorder)
    length, offset = len(program), 0
    while length > 0:
        code, yes, no = op_at(program, offset, byteorder)
        if code in (S_GE, S_LE, D_GE, D_LE, S_EQ, D_EQ):
            port = entry.sport if code in (S_GE, S_LE, S_EQ) else entry.dport
            (operand,) = struct.unpack_from(f"{order}H", program, offset + 6)
            holds = {
                S_GE: port >= operand,
                D_GE: port >= operand,
                S_LE: port <= operand,
                D_LE: port <= operand,
                S_EQ: port == operand,
                D_EQ: port == operand,
            }[code]
        elif code in (S_COND, D_COND):
            holds = hostcond_holds(program, offset, code, entry, order)
        else:
            holds = code == NOP  # JMP always takes `no`
        step = yes if holds else no
        offset += step
        length -= step
    return length == 0


def kernel_view(row: Connection) -> Entry:
    """The socket of a record as the kernel has it: no peer is the unspecified address
    and port 0 of the socket's family."""
    size = 4 if row.family == socket.AF_INET else 16
    assert row.local is not None

    def packed(address: netaddr.IPAddress | None) -> bytes:
        return bytes(size) if address is None else int(address).to_bytes(size, "big")

    remote = row.remote
    return Entry(
        family=AF_INET if row.family == socket.AF_INET else AF_INET6,
        saddr=packed(row.local.address),
        daddr=packed(remote.address if remote is not None else None),
        sport=row.local.port,
        dport=remote.port if remote is not None else 0,
    )


def kept(program: bytes | None, row: Connection, byteorder: ByteOrder = "little") -> bool:
    return True if program is None else run(program, kernel_view(row), byteorder)


# -- the reference itself -----------------------------------------------------------------


def ops(*fields: tuple[int, int, int]) -> bytes:
    return b"".join(struct.pack("<BBH", *field) for field in fields)


@pytest.mark.parametrize(
    ("program", "why"),
    [
        (b"", "empty"),
        (ops((JMP, 4, 6)), "no not a multiple of 4"),
        (ops((JMP, 4, 12)), "no more than 4 past the end"),
        (ops((JMP, 0, 8)), "yes shorter than the op"),
        (ops((S_GE, 4, 12), (0, 0, 22)), "yes shorter than the op and its port"),
        (ops((S_GE, 8, 12)), "the port op missing"),
        (ops((99, 4, 8)), "unknown code"),
        # A test whose yes jumps over the next op, which a no of the first op targets:
        # off the yes chain. (The prototype's "A's yes straight to the end" got EINVAL.)
        (ops((JMP, 4, 8), (S_GE, 12, 8), (0, 0, 22), (JMP, 4, 8)), "no target off the chain"),
        (ops((S_COND, 12, 16)) + struct.pack("<BBxxi", AF_INET, 8, -1), "no room for address"),
        (
            ops((S_COND, 16, 20)) + struct.pack("<BBxxi", AF_INET, 33, -1) + bytes(4),
            "prefix longer than the address",
        ),
    ],
)
def test_the_reference_auditor_refuses_what_the_kernel_refuses(program: bytes, why: str) -> None:
    with pytest.raises(Rejected):
        audit(program, "little")


def test_the_reference_interpreter_on_hand_made_programs() -> None:
    mapped = conn(ep("::ffff:10.1.2.3", 22), ep("::1", 5000), family=socket.AF_INET6)
    v4 = conn(ep("10.1.2.3", 22))
    v4_cond = ops((S_COND, 16, 20)) + struct.pack("<BBxxi", AF_INET, 8, -1) + b"\x0a\0\0\0"
    v6_cond = ops((D_COND, 28, 32)) + struct.pack("<BBxxi", AF_INET6, 128, 5000)
    v6_cond += netaddr.IPAddress("::1").packed
    for program in (v4_cond, v6_cond):
        audit(program, "little")
    assert kept(v4_cond, v4) and kept(v4_cond, mapped)  # an IPv4 prefix on a mapped address
    assert kept(v6_cond, mapped) and not kept(v6_cond, v4)  # an IPv6 prefix, never IPv4
    assert not kept(ops((JMP, 4, 8)), v4)  # past the end: dropped
    assert kept(ops((NOP, 4, 0)), v4)  # exactly at the end: kept


# -- what ss sends ---------------------------------------------------------------------------

# The bytecode attribute ss 6.1 sends for each filter (little-endian machine), read with
# `strace -e trace=sendmsg -e write=3 ss -tan -H FILTER`. ss leaves the two padding bytes
# of a hostcond uninitialised (00 00 in one request, 02 00 in the next); these are zero.
SS_PROGRAMS = [
    ("sport = :22", PortCondition("local", "==", 22), "07101400 00000000 16000000 00000000"),
    (
        "dport != :80",
        PortCondition("remote", "!=", 80),
        "08101400 00000000 50000000 00000000 01040800",
    ),
    ("sport < :1024", PortCondition("local", "<", 1024), "02080c00 00000004 01040800"),
    ("sport > :1024", PortCondition("local", ">", 1024), "03080c00 00000004 01040800"),
    ("sport <= :1024", PortCondition("local", "<=", 1024), "03080c00 00000004"),
    ("dport >= :1024", PortCondition("remote", ">=", 1024), "04080c00 00000004"),
    (
        "src 10.0.0.0/8",
        PrefixCondition("local", netaddr.IPNetwork("10.0.0.0/8")),
        "07101400 02080000 ffffffff 0a000000",
    ),
    (
        "dst [::1]",
        PrefixCondition("remote", netaddr.IPNetwork("::1/128")),
        "081c2000 0a800000 ffffffff 00000000 00000000 00000000 00000001",
    ),
    (
        "sport = :22 or sport = :80",
        AnyOf((PortCondition("local", "==", 22), PortCondition("local", "==", 80))),
        "07101400 00000000 16000000 00000000 01041400 07101400 00000000 50000000 00000000",
    ),
    (
        "sport = :22 and dport = :80",
        AllOf((PortCondition("local", "==", 22), PortCondition("remote", "==", 80))),
        "07102400 00000000 16000000 00000000 08101400 00000000 50000000 00000000",
    ),
    (
        "not sport = :22",
        Negated(PortCondition("local", "==", 22)),
        "07101400 00000000 16000000 00000000 01040800",
    ),
]


@pytest.mark.parametrize(
    ("text", "condition", "ss_sends"), SS_PROGRAMS, ids=[case[0] for case in SS_PROGRAMS]
)
def test_simple_programs_are_what_ss_sends(text: str, condition: Condition, ss_sends: str) -> None:
    program = compile_condition(condition, byteorder="little")
    assert program == bytes.fromhex(ss_sends)
    # The planner's condition for the ss filter is the same one (addresses aside: for
    # an IPv4 network it adds the IPv4-mapped IPv6 one, which ss's kernel test implies).
    if "src" not in text and "dst" not in text:
        assert socket_conditions(compile_filter(text)) == condition


def test_the_kernel_s_equality_ops_and_big_endian() -> None:
    sport_22 = PortCondition("local", "==", 22)
    assert compile_condition(sport_22, byteorder="little", eq_ops=True) == bytes.fromhex(
        "0b080c00 00001600"
    )
    assert compile_condition(sport_22, byteorder="big", eq_ops=True) == bytes.fromhex(
        "0b08000c 00000016"
    )
    assert compile_condition(sport_22, byteorder="big") == bytes.fromhex(
        "07100014 00000000 00000016 00000000"
    )
    dport_le = PortCondition("remote", "<=", 1024)
    assert compile_condition(dport_le, byteorder="big") == bytes.fromhex("0508000c 00000400")


def test_joins_of_nothing() -> None:
    never = compile_condition(AnyOf(()), byteorder="little")
    assert never == ops((JMP, 4, 8))  # one jump past the end
    audit(never, "little")
    assert compile_condition(AllOf(())) is None  # always: attach nothing
    assert compile_condition(Negated(AnyOf(()))) is None
    assert compile_condition(Negated(AllOf(())), byteorder="little") == never
    sport_22 = PortCondition("local", "==", 22)
    # A join of nothing inside a join decides it or drops out of it.
    assert compile_condition(AllOf((sport_22, AllOf(())))) == compile_condition(sport_22)
    assert compile_condition(AnyOf((sport_22, AnyOf(())))) == compile_condition(sport_22)
    assert compile_condition(AnyOf((sport_22, AllOf(())))) is None
    assert compile_condition(AllOf((sport_22, AnyOf(()))), byteorder="little") == never


def test_repeated_parts_and_double_negations_cost_nothing() -> None:
    sport_22 = PortCondition("local", "==", 22)
    once = compile_condition(sport_22)
    # the planner gives `dport = :0` as an AnyOf of the same condition twice
    assert compile_condition(AnyOf((sport_22, sport_22))) == once
    assert compile_condition(Negated(Negated(sport_22))) == once
    assert compile_condition(Negated(PortCondition("local", "!=", 22))) == once


def test_an_and_and_an_or_of_the_same_parts_are_different_parts() -> None:
    # Found by hypothesis: as tuples, the two joins were equal and one was dropped.
    parts = (PortCondition("local", "==", 22), PortCondition("remote", "==", 80))
    program = compile_condition(AllOf((AnyOf(parts), AllOf(parts))), byteorder="little")
    assert program is not None
    assert kept(program, conn(ep("10.0.0.1", 22), ep("10.0.0.2", 80)))
    assert not kept(program, conn(ep("10.0.0.1", 22), ep("10.0.0.2", 81)))


def port_alternatives(count: int) -> AnyOf:
    return AnyOf(tuple(PortCondition("local", "==", port) for port in range(1, count + 1)))


def test_size_limits() -> None:
    # With S_EQ, n alternatives are n tests of 8 bytes and n - 1 jumps of 4.
    assert DEFAULT_MAX_SIZE == 12 * 683 - 4 and MAX_PROGRAM_SIZE == 12 * 5461 - 4
    program = compile_condition(port_alternatives(683), eq_ops=True)
    assert program is not None and len(program) == DEFAULT_MAX_SIZE
    assert compile_condition(port_alternatives(684), eq_ops=True) is None
    largest = compile_condition(
        port_alternatives(5461), eq_ops=True, max_size=MAX_PROGRAM_SIZE, byteorder="little"
    )
    assert largest is not None and len(largest) == MAX_PROGRAM_SIZE
    audit(largest, "little")
    too_big = port_alternatives(5462)
    assert compile_condition(too_big, eq_ops=True, max_size=MAX_PROGRAM_SIZE) is None
    with pytest.raises(ValueError, match="max_size"):
        compile_condition(too_big, max_size=MAX_PROGRAM_SIZE + 4)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (PortCondition("local", "==", 65536), "out of range"),
        (PortCondition("remote", "<", -1), "out of range"),
        (PortCondition("local", "=~", 22), "not a port comparison"),
    ],
)
def test_conditions_the_planner_never_makes(condition: PortCondition, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_condition(condition)


@pytest.mark.parametrize(
    ("release", "has"),
    [
        ("6.18.44-fc-v1045", True),
        ("4.16.0", True),
        ("4.15.0-213-generic", False),
        ("5.4", True),
        ("3.10.0-1160.el7.x86_64", False),
        ("4", False),
        ("not-a-release", False),
    ],
)
def test_kernel_has_eq_ops(release: str, has: bool) -> None:
    assert kernel_has_eq_ops(release) is has


# -- random conditions on random sockets -----------------------------------------------------

PORTS = [0, 1, 22, 80, 1023, 1024, 5000, 65534, 65535]
ADDRESSES = {
    4: ["0.0.0.0", "127.0.0.1", "10.1.2.3", "10.1.2.200", "10.255.0.1", "192.168.1.1"],
    6: [
        "::",
        "::1",
        "::ffff:0.0.0.0",
        "::ffff:127.0.0.1",
        "::ffff:10.1.2.3",
        "::ffff:10.1.3.3",
        "fd00::1",
        "fd00:0:0:1::1",
        "2001:db8::5",
    ],
}
SIDES: list[Literal["local", "remote"]] = ["local", "remote"]


@st.composite
def networks(draw: st.DrawFn) -> netaddr.IPNetwork:
    """A network around one of the sockets' addresses: /0, a host prefix, or any length
    between (prefixes that end inside a 32-bit word included)."""
    version = draw(st.sampled_from([4, 6]))
    address = netaddr.IPAddress(draw(st.sampled_from(ADDRESSES[version])))
    width = 32 if version == 4 else 128
    prefix = draw(
        st.one_of(st.sampled_from([0, width, width - 1, 8, 96, 104]), st.integers(0, width))
    )
    return netaddr.IPNetwork((int(address), min(prefix, width)), version=version)


leaves = st.one_of(
    st.builds(
        PortCondition,
        st.sampled_from(SIDES),
        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
        st.one_of(st.sampled_from(PORTS), st.integers(0, 65535)),
    ),
    st.builds(PrefixCondition, st.sampled_from(SIDES), networks()),
)


def conditions(depth: int = 3) -> st.SearchStrategy[Condition]:
    if depth == 0:
        return leaves
    inner = conditions(depth - 1)
    parts = st.lists(inner, max_size=3).map(tuple)
    return st.one_of(
        leaves,
        st.builds(AllOf, parts),
        st.builds(AnyOf, parts),
        st.builds(Negated, inner),
    )


@st.composite
def sockets(draw: st.DrawFn) -> Connection:
    """A TCP socket as the kernel can have one; no peer is remote=None."""
    version = draw(st.sampled_from([4, 6]))
    port = st.one_of(st.sampled_from(PORTS), st.integers(0, 65535))
    local = ep(draw(st.sampled_from(ADDRESSES[version])), draw(port))
    remote = draw(st.none() | st.builds(ep, st.sampled_from(ADDRESSES[version]), port))
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    return conn(local, remote, family=family)


@settings(max_examples=400, deadline=None)
@given(
    condition=conditions(),
    rows=st.lists(sockets(), min_size=1, max_size=8),
    byteorder=st.sampled_from(["little", "big"]),
    eq_ops=st.booleans(),
)
def test_the_kernel_keeps_exactly_the_sockets_the_condition_holds_for(
    condition: Condition, rows: list[Connection], byteorder: ByteOrder, eq_ops: bool
) -> None:
    program = compile_condition(condition, byteorder=byteorder, eq_ops=eq_ops)
    if program is not None:
        # Before 4.16 the audit refuses S_EQ/D_EQ: without eq_ops there are none.
        audit(program, byteorder, eq_ops=eq_ops)
        # No op whose two ways lead to the same place (a JMP to the next op): joins and
        # negations leave none behind. Every op is on the yes chain.
        offset = 0
        while offset < len(program):
            _code, yes, no = op_at(program, offset, byteorder)
            assert no != yes, offset
            offset += yes
    for row in rows:
        assert kept(program, row, byteorder) == condition.matches(row), (str(condition), row)


@settings(max_examples=200, deadline=None)
@given(condition=conditions(), rows=st.lists(sockets(), min_size=1, max_size=4))
def test_the_host_s_byte_order_is_the_default(condition: Condition, rows: list[Connection]) -> None:
    program = compile_condition(condition)
    for row in rows:
        assert kept(program, row, sys.byteorder) == condition.matches(row)
