"""A socket condition as inet_diag bytecode, so that the kernel drops what fails it.

Strategy: a :data:`~netstatlib.filters.Condition` becomes the program that inet_diag
runs on every socket of a dump (``inet_diag_bc_run()`` in ``net/ipv4/inet_diag.c``, ops
from ``include/uapi/linux/inet_diag.h``), laid out as iproute2's
``ssfilter_bytecompile()`` (``misc/ss.c``) lays out and, or and not, so that it passes
the kernel's ``inet_diag_bc_audit()``. A ``NETLINK_SOCK_DIAG`` request carries it as its
``INET_DIAG_REQ_BYTECODE`` attribute; nothing here does I/O.

How the kernel reads it: each op (``struct inet_diag_bc_op {u8 code; u8 yes; u16 no;}``,
host byte order) is a test that moves forward by ``yes`` bytes when it holds and by
``no`` bytes when it does not (``JMP`` always takes ``no``); the socket is kept when the
walk ends exactly at the program's end, dropped when it ends past it. Before any socket
is seen, the audit refuses (``EINVAL``) a program whose ``yes`` and ``no`` are not
multiples of 4 and at least the op's size, whose jumps pass the end by more than 4
bytes, or (``valid_cc()``) where a ``no`` lands on an offset the chain of ``yes`` steps
from the start never reaches. So here every op's ``yes`` is its own size (a test that
holds runs on to the next op) and every ``no`` jumps forward to the start of an op, to
the end (keep) or to 4 bytes past it (drop): ss's ``and`` is two programs end to end,
the first one's drops moved to the end of both; ``or`` is ``A``, a ``JMP`` to the end,
then ``B``, where ``A``'s drops land; ``not`` is ``A`` then a ``JMP`` past the end, so
that ``A``'s keep becomes a drop and its drop lands on the end. The code is generated in
one walk with jump targets as labels, so a nested ``or`` jumps straight to where the
outer one goes instead of from ``JMP`` to ``JMP``, and a negation swaps where its part's
two outcomes go (it costs a ``JMP`` only where it must run on to the next op, as ss's
does).

The tests, as ``inet_diag_bc_run()`` reads them:

* ``S_GE``/``S_LE``/``D_GE``/``D_LE`` compare the local (``sport``) or remote
  (``dport``) port, in host order, with the ``no`` field of a second op that follows;
  ``S_EQ``/``D_EQ`` (Linux 4.16, commit bbb6189df407 "inet_diag: Add equal-operator for
  ports") test equality the same way, and are refused by older kernels' audit. Without
  them, equality is what ss has always sent for ``sport = :22``: an ``S_COND`` whose
  ``struct inet_diag_hostcond {u8 family; u8 prefix_len; int port; __be32 addr[];}`` has
  family ``AF_UNSPEC`` (any address) and the port (``-1`` would mean any port).
* ``S_COND``/``D_COND`` with family ``AF_INET`` or ``AF_INET6`` test an address prefix
  (``prefix_len`` leading bits of the big-endian address; 0 matches every address of the
  family). An IPv4 prefix also matches an IPv4-mapped address (``::ffff:a.b.c.d``) of an
  IPv6 socket; an IPv6 prefix never matches an IPv4 socket: what
  :class:`~netstatlib.filters.PrefixCondition` says.
* ``!=``, ``<`` and ``>`` are the negations of ``==``, ``>=`` and ``<=``, as ss builds
  them.

The engine that sends the request decides whether the running kernel takes ``S_EQ``
(``eq_ops=``, :func:`kernel_has_eq_ops`) and attaches what :func:`compile_condition`
returns, or nothing when it returns ``None``.
"""

from __future__ import annotations

import struct
import sys
from typing import Literal, TypeAlias

import attrs

from ..filters._plan import (
    AllOf,
    AnyOf,
    Condition,
    Negated,
    PortCondition,
    PrefixCondition,
)

__all__ = [
    "DEFAULT_MAX_SIZE",
    "EQ_OPS_SINCE",
    "MAX_PROGRAM_SIZE",
    "compile_condition",
    "kernel_has_eq_ops",
]

# Op codes (enum in include/uapi/linux/inet_diag.h).
_JMP = 1
_S_GE, _S_LE, _D_GE, _D_LE = 2, 3, 4, 5
_S_COND, _D_COND = 7, 8
_S_EQ, _D_EQ = 11, 12

# Linux's address family numbers, whatever the system compiling the program calls them.
_AF_UNSPEC, _AF_INET, _AF_INET6 = 0, 2, 10

MAX_PROGRAM_SIZE = 65528
"""The largest program a request can carry: an attribute's length is a u16 that counts
its 4-byte header (65535 - 4, rounded down to a multiple of 4). Every ``no`` of such a program
(at most its size + 4) fits the op's u16."""

DEFAULT_MAX_SIZE = 8192
"""The largest program :func:`compile_condition` makes unless told otherwise: at most
1024 tests (a port test is at least 8 bytes). The kernel runs the program on every
socket of the dump, about 2 ns a test (measured with 19,801 TCP sockets in a namespace:
1,000 ``sport`` alternatives added 2.2 us a socket, the 65,528-byte program 18 us, plus
56 ms for ``inet_diag_bc_audit()``, whose ``valid_cc()`` walk makes it quadratic in the
program's size). Past a few microseconds a socket the kernel spends more on a socket
than the engine does reading and testing its row in Python."""

EQ_OPS_SINCE = (4, 16)
"""The first Linux release whose audit takes ``S_EQ`` and ``D_EQ``."""

_OP_SIZE = 4
_OPS: dict[tuple[str, str], tuple[int, bool]] = {
    # (side, op): the test that decides it, and whether its answer is negated
    ("local", "<="): (_S_LE, False),
    ("local", ">="): (_S_GE, False),
    ("local", ">"): (_S_LE, True),
    ("local", "<"): (_S_GE, True),
    ("remote", "<="): (_D_LE, False),
    ("remote", ">="): (_D_GE, False),
    ("remote", ">"): (_D_LE, True),
    ("remote", "<"): (_D_GE, True),
}


def kernel_has_eq_ops(release: str) -> bool:
    """Whether a Linux kernel of this release (``os.uname().release``, ``"6.1.0-18-amd64"``)
    takes ``S_EQ``/``D_EQ``; False for a release that does not start with a version."""
    numbers = release.split("-", 1)[0].split(".")[:2]
    try:
        version = tuple(int(number) for number in numbers)
    except ValueError:
        return False
    return len(version) == 2 and version >= EQ_OPS_SINCE


# The condition as tests. Classes, not tuples: an _All and an _Any of the same parts
# must not be equal (repeated parts are dropped by equality).


@attrs.frozen
class _Test:
    """One op of the program: its code and what follows its header."""

    code: int
    operand: bytes


@attrs.frozen
class _All:
    parts: tuple[_Node, ...]


@attrs.frozen
class _Any:
    parts: tuple[_Node, ...]


@attrs.frozen
class _Not:
    part: _Node


_Node: TypeAlias = _Test | _All | _Any | _Not


def compile_condition(
    condition: Condition,
    *,
    byteorder: Literal["little", "big"] = sys.byteorder,
    eq_ops: bool = False,
    max_size: int = DEFAULT_MAX_SIZE,
) -> bytes | None:
    """The inet_diag bytecode program that keeps exactly the sockets ``condition`` holds
    for, as :meth:`~netstatlib.filters.PortCondition.matches` sees a socket.

    ``byteorder`` is the kernel's (ops, ports and the hostcond port are in host order;
    addresses are big-endian). ``eq_ops`` tests port equality with ``S_EQ``/``D_EQ``
    (8 bytes instead of 16), which only Linux 4.16 and later take
    (:func:`kernel_has_eq_ops`); without it equality is tested as ss does, on every
    kernel. Both cost the same per socket (measured on 6.18): ``S_EQ`` only makes the
    program smaller, so twice as many port alternatives fit ``max_size``.

    ``None`` means "attach no program": either the condition holds for every socket (a
    join of nothing; the kernel refuses an empty program, and sending none keeps
    everything) or the program would be larger than ``max_size`` bytes (at most
    :data:`MAX_PROGRAM_SIZE`; see :data:`DEFAULT_MAX_SIZE` for what a test costs).
    Either way the caller filters what comes back, as it always does. A condition that
    holds for no socket (an empty :class:`~netstatlib.filters.AnyOf`) is one ``JMP``
    past the end. Raises :class:`ValueError` for a ``max_size`` the kernel cannot take,
    a port outside 0 to 65535 or an unknown comparison (the planner makes neither).
    """
    if not 0 <= max_size <= MAX_PROGRAM_SIZE:
        raise ValueError(f"max_size must be 0 to {MAX_PROGRAM_SIZE} bytes, not {max_size}")
    prefix = "<" if byteorder == "little" else ">"
    node = _normal(condition, prefix, eq_ops)
    if node is True:
        return None
    if node is False:
        return struct.pack(f"{prefix}BBH", _JMP, _OP_SIZE, 2 * _OP_SIZE)
    return _Assembler(prefix).program(node, max_size)


# -- from conditions to tests ---------------------------------------------------------


def _normal(condition: Condition, prefix: str, eq_ops: bool) -> _Node | bool:
    """The condition as tests, with joins of nothing folded into True (all of nothing) or
    False (any of nothing), double negations cancelled and repeated parts dropped."""
    if isinstance(condition, PortCondition):
        return _port_test(condition, prefix, eq_ops)
    if isinstance(condition, PrefixCondition):
        network = condition.network
        family, size = (_AF_INET, 4) if network.version == 4 else (_AF_INET6, 16)
        hostcond = struct.pack(f"{prefix}BBxxi", family, network.prefixlen, -1)
        address = int(network.network).to_bytes(size, "big")
        return _Test(_S_COND if condition.side == "local" else _D_COND, hostcond + address)
    if isinstance(condition, Negated):
        return _negated(_normal(condition.part, prefix, eq_ops))
    if isinstance(condition, (AllOf, AnyOf)):
        # all: a False part decides, True parts say nothing; any: the other way round
        deciding = isinstance(condition, AnyOf)
        parts: dict[_Node, None] = {}
        for part in condition.parts:
            node = _normal(part, prefix, eq_ops)
            if node is deciding:
                return deciding
            if not isinstance(node, bool):
                parts[node] = None
        if not parts:
            return not deciding
        if len(parts) == 1:
            return next(iter(parts))
        return _Any(tuple(parts)) if deciding else _All(tuple(parts))
    raise TypeError(f"not a socket condition: {condition!r}")


def _negated(node: _Node | bool) -> _Node | bool:
    if isinstance(node, bool):
        return not node
    return node.part if isinstance(node, _Not) else _Not(node)


def _port_test(condition: PortCondition, prefix: str, eq_ops: bool) -> _Node:
    port, op, side = condition.port, condition.op, condition.side
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"port {port} is out of range (0 to 65535): {condition}")
    if op in ("==", "!="):
        if eq_ops:
            test = _Test(_S_EQ if side == "local" else _D_EQ, struct.pack(f"{prefix}xxH", port))
        else:
            # ss's own "sport = :22": any address (AF_UNSPEC, prefix 0) on that port. ss
            # sends four address bytes it never reads; so do we, byte for byte.
            operand = struct.pack(f"{prefix}BBxxi4x", _AF_UNSPEC, 0, port)
            test = _Test(_S_COND if side == "local" else _D_COND, operand)
        return _Not(test) if op == "!=" else test
    try:
        code, negated = _OPS[side, op]
    except KeyError:
        raise ValueError(f"not a port comparison inet_diag can make: {condition}") from None
    # The port is the `no` field of a second op that is never run.
    test = _Test(code, struct.pack(f"{prefix}xxH", port))
    return _Not(test) if negated else test


# -- from tests to bytes ----------------------------------------------------------------


class _Assembler:
    """Lays the ops out in one walk, with every ``no`` a label placed later (jumps only
    go forward); :meth:`program` resolves the labels into offsets.

    ``_emit(node, on_false, on_true)`` writes code that, for a socket the node holds
    for, ends up at label ``on_true`` and otherwise at label ``on_false``, where
    ``None`` stands for the code written next (one of the two is a label). A test's
    ``yes`` always runs on, so a "true" that jumps costs a ``JMP``; a negation costs
    nothing but swapping the two.
    """

    _DROP = 0  # the label 4 bytes past the end

    def __init__(self, prefix: str) -> None:
        self._header = struct.Struct(f"{prefix}BBH")
        self._ops: list[tuple[int, int, int, bytes]] = []  # offset, code, label, operand
        self._places: list[int] = [-1]  # label -> offset
        self._size = 0

    def program(self, node: _Node, max_size: int) -> bytes | None:
        self._emit(node, self._DROP, None)
        size = self._size
        if size > max_size:
            return None
        self._places[self._DROP] = size + _OP_SIZE
        out = bytearray(size)
        pack_into, places = self._header.pack_into, self._places
        for offset, code, label, operand in self._ops:
            length = _OP_SIZE + len(operand)
            pack_into(out, offset, code, length, places[label] - offset)
            out[offset + _OP_SIZE : offset + length] = operand
        return bytes(out)

    def _label(self) -> int:
        self._places.append(-1)
        return len(self._places) - 1

    def _place(self, label: int) -> None:
        self._places[label] = self._size

    def _op(self, code: int, label: int, operand: bytes = b"") -> None:
        self._ops.append((self._size, code, label, operand))
        self._size += _OP_SIZE + len(operand)

    def _emit(self, node: _Node, on_false: int | None, on_true: int | None) -> None:
        if isinstance(node, _Not):
            self._emit(node.part, on_true, on_false)
            return
        after = self._label()  # the code written next, where one of the two goes on
        fail = after if on_false is None else on_false
        hold = after if on_true is None else on_true
        if isinstance(node, _Test):
            self._op(node.code, fail, node.operand)
            if on_true is not None:
                self._op(_JMP, on_true)
        elif isinstance(node, _All):
            *first, last = node.parts
            for part in first:  # runs on to the next part when it holds
                self._emit(part, fail, None)
            self._emit(last, on_false, on_true)
        else:
            *first, last = node.parts
            for part in first:  # runs on to the next part when it fails
                self._emit(part, None, hold)
            self._emit(last, on_false, on_true)
        self._place(after)
