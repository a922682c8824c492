"""Planning: what a socket query's filter lets a backend skip, and tell its source.

The query functions hand a backend one :class:`~netstatlib.backends.SocketQuery`. What
it carries besides the caller's ``where`` is worked out here, from the predicate values
alone:

* :func:`possible_tables`: the socket tables a matching row can come from
  (``F.protocol == "tcp"`` reads no UDP table);
* :func:`possible_states`: the states a matching row can be in (``state listening``,
  ``F.state == "ESTABLISHED"``), what a kernel request's state bitmask takes;
* :func:`process_free_part`: the part of the filter that reads no process field, which
  a backend applies before it looks any owner up;
* :func:`socket_conditions`: the port and address conditions of the filter, in the
  terms a kernel filter takes them (inet_diag's bytecode: ``sport``/``dport``
  comparisons and address prefixes, joined by and, or and not).

Every answer is *conservative*: a row the filter keeps is never excluded by it. Where
the filter says something a plan cannot express, the plan says less (no restriction),
never something else; the query layer re-applies the whole filter to what comes back.
"""

from __future__ import annotations

import operator
import socket
from collections.abc import Callable, Iterable
from typing import Literal

import attrs
import netaddr

from .._model import Connection, Protocol, TcpState
from .._tables import SocketTable
from ._predicates import (
    PROCESS_FIELDS,
    And,
    Compare,
    Missing,
    Not,
    OneOf,
    Or,
    Predicate,
    Within,
    endpoint_address,
    endpoint_port,
    field_kind,
)

__all__ = [
    "AllOf",
    "AnyOf",
    "Condition",
    "Negated",
    "PortCondition",
    "PrefixCondition",
    "conjuncts",
    "possible_states",
    "possible_tables",
    "process_free_part",
    "socket_conditions",
]

Side = Literal["local", "remote"]


def conjuncts(where: Predicate) -> tuple[Predicate, ...]:
    """The parts of a top-level ``&`` (the predicate itself otherwise)."""
    return where.parts if isinstance(where, And) else (where,)


def process_free_part(where: Predicate) -> Predicate | None:
    """The conjuncts of ``where`` that do not read process fields, or None.

    A row that fails them fails ``where``, whoever owns it: a backend drops it before
    looking owners up.
    """
    if not where.fields() & PROCESS_FIELDS:
        return where
    parts = [part for part in conjuncts(where) if not part.fields() & PROCESS_FIELDS]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


@attrs.frozen
class _Probe:
    """A stand-in record with only the fields a deciding conjunct reads."""

    protocol: Protocol | None = None
    family: socket.AddressFamily | None = None
    state: TcpState | None = None


def possible_tables(where: Predicate, tables: Iterable[SocketTable]) -> frozenset[SocketTable]:
    """The socket tables a row matching ``where`` can come from.

    Every conjunct that reads only ``protocol`` and ``family`` is evaluated on each table,
    so ``F.protocol == "tcp"`` keeps no UDP file from being read.
    """
    deciding = [part for part in conjuncts(where) if part.fields() <= {"protocol", "family"}]
    return frozenset(
        table
        for table in tables
        if all(part(_Probe(protocol=table[0], family=table[1])) for part in deciding)
    )


_STATES: tuple[TcpState | None, ...] = (*TcpState, None)


def possible_states(where: Predicate) -> frozenset[TcpState | None] | None:
    """The states a row matching ``where`` can be in; ``None`` stands for "no state"
    (an unconnected UDP, UDP-Lite or raw socket, which the kernel reports as ``CLOSE``).

    Every conjunct that reads only ``state`` is evaluated on every state. The answer is
    ``None`` (any state) when no conjunct decides on the state alone.
    """
    deciding = [part for part in conjuncts(where) if part.fields() == {"state"}]
    if not deciding:
        return None
    return frozenset(
        state for state in _STATES if all(part(_Probe(state=state)) for part in deciding)
    )


# -- port and address conditions ---------------------------------------------------------
#
# A condition is evaluated on a socket as the kernel sees it: every inet socket has a
# local and a remote address and port, and a socket without a peer (a listener, an
# unconnected UDP socket) has the remote 0.0.0.0:0 (or [::]:0), where netstatlib's record
# has remote=None. That is inet_diag_bc_run() in net/ipv4/inet_diag.c: an IPv4 prefix
# also matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d) of a dual-stack socket; an
# IPv6 prefix never matches an IPv4 socket; a prefix of length 0 matches every address of
# its family.

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_UNSPECIFIED = {
    socket.AF_INET: netaddr.IPAddress(0, 4),
    socket.AF_INET6: netaddr.IPAddress(0, 6),
}


def _kernel_endpoint(row: Connection, side: Side) -> tuple[netaddr.IPAddress | None, int]:
    endpoint = row.local if side == "local" else row.remote
    if endpoint is not None:
        return endpoint.address, endpoint.port
    # No kernel row lacks an endpoint but a peerless one. A row printed with names
    # (Windows netstat without -n) is read as the predicates read it, so that the
    # conditions still hold for every row a filter keeps.
    address, port = endpoint_address(row, side), endpoint_port(row, side)
    if address is None and row.family is not None:
        address = _UNSPECIFIED.get(row.family)
    return address, 0 if port is None else port


@attrs.frozen
class PortCondition:
    """The ``side`` port compared with ``port`` by ``op`` (``==``, ``!=``, ``<``,
    ``<=``, ``>``, ``>=``): ss's ``sport``/``dport`` conditions."""

    side: Side
    """``"local"`` (ss's ``sport``) or ``"remote"`` (``dport``)."""
    op: str
    """The comparison: ``==``, ``!=``, ``<``, ``<=``, ``>`` or ``>=``."""
    port: int
    """The port compared with, 0 to 65535. A socket without a peer has the remote port
    0, as the kernel sees it."""

    def matches(self, row: Connection) -> bool:
        """Whether the condition holds for the socket as the kernel sees it."""
        return _COMPARE[self.op](_kernel_endpoint(row, self.side)[1], self.port)

    def __str__(self) -> str:
        keyword = "sport" if self.side == "local" else "dport"
        return f"{keyword} {self.op} :{self.port}"


@attrs.frozen
class PrefixCondition:
    """The ``side`` address lies in ``network``, as inet_diag compares a prefix: an
    IPv4 network also holds IPv4-mapped IPv6 addresses; an IPv6 one no IPv4 address."""

    side: Side
    """``"local"`` (ss's ``src``) or ``"remote"`` (``dst``)."""
    network: netaddr.IPNetwork
    """The prefix the address must lie in. A socket without a peer has the remote
    address ``0.0.0.0`` (or ``::``), as the kernel sees it."""

    def matches(self, row: Connection) -> bool:
        """Whether the condition holds for the socket as the kernel sees it."""
        address = _kernel_endpoint(row, self.side)[0]
        if address is None:
            return False
        if address.version == self.network.version:
            return address in self.network
        return (
            self.network.version == 4
            and bool(address.is_ipv4_mapped())
            and address.ipv4() in self.network
        )

    def __str__(self) -> str:
        keyword = "src" if self.side == "local" else "dst"
        return f"{keyword} {self.network}"


@attrs.frozen
class AllOf:
    """Every part holds (none: always)."""

    parts: tuple[Condition, ...]
    """The conditions joined by and."""

    def matches(self, row: Connection) -> bool:
        """Whether every part holds for the socket (true for no part)."""
        return all(part.matches(row) for part in self.parts)

    def __str__(self) -> str:
        return " and ".join(_grouped(part) for part in self.parts) if self.parts else "(always)"


@attrs.frozen
class AnyOf:
    """At least one part holds (none: never)."""

    parts: tuple[Condition, ...]
    """The conditions joined by or."""

    def matches(self, row: Connection) -> bool:
        """Whether at least one part holds for the socket (false for no part)."""
        return any(part.matches(row) for part in self.parts)

    def __str__(self) -> str:
        return " or ".join(_grouped(part) for part in self.parts) if self.parts else "(never)"


@attrs.frozen
class Negated:
    """The part does not hold."""

    part: Condition
    """The condition negated."""

    def matches(self, row: Connection) -> bool:
        """Whether the part does not hold for the socket."""
        return not self.part.matches(row)

    def __str__(self) -> str:
        return f"not {_grouped(self.part)}"


def _grouped(condition: Condition) -> str:
    """A condition as one ss word group: a join in parentheses (separate words, as ss
    needs them)."""
    text = str(condition)
    return f"( {text} )" if isinstance(condition, (AllOf, AnyOf)) and condition.parts else text


Condition = PortCondition | PrefixCondition | AllOf | AnyOf | Negated
"""A port and address condition on inet sockets, as a kernel filter takes it."""

_SIDES: dict[str, Side] = {
    "local_port": "local",
    "remote_port": "remote",
    "local_address": "local",
    "remote_address": "remote",
}


@attrs.frozen
class _Plan:
    """A condition and whether it is *exact*: true for exactly the inet rows the
    predicate keeps. An inexact condition still holds for every row the predicate
    keeps (a superset); ``condition=None`` says nothing (every row)."""

    condition: Condition | None
    exact: bool


_NOTHING = _Plan(None, exact=False)


def socket_conditions(where: Predicate) -> Condition | None:
    """The port and address conditions a kernel filter can take for ``where``.

    The result holds for every inet socket whose record ``where`` keeps, seen as the
    kernel sees it (see :class:`PortCondition`, :class:`PrefixCondition`); it may hold
    for more. ``None`` when nothing can be said (no port or address condition, or one
    joined by ``|`` to something a kernel filter cannot test). It says nothing about
    UNIX sockets.
    """
    return _conditions(where).condition


def _conditions(predicate: Predicate) -> _Plan:
    if isinstance(predicate, And):
        plans = [_conditions(part) for part in predicate.parts]
        known = tuple(plan.condition for plan in plans if plan.condition is not None)
        exact = all(plan.exact for plan in plans)
        if not known:
            return _Plan(None, exact=exact and not plans)
        return _Plan(known[0] if len(known) == 1 else AllOf(known), exact=exact)
    if isinstance(predicate, Or):
        plans = [_conditions(part) for part in predicate.parts]
        if any(plan.condition is None for plan in plans):
            return _NOTHING
        parts = tuple(plan.condition for plan in plans if plan.condition is not None)
        return _Plan(AnyOf(parts), exact=all(plan.exact for plan in plans))
    if isinstance(predicate, Not):
        inner = _conditions(predicate.part)
        if inner.condition is None or not inner.exact:
            return _NOTHING  # the negation of a superset is not a superset
        return _Plan(Negated(inner.condition), exact=True)
    fields = predicate.fields()
    if len(fields) != 1:
        return _NOTHING
    (name,) = fields
    side = _SIDES.get(name)
    if side is None:
        return _NOTHING
    if field_kind(name) == "port":
        return _port_plan(predicate, side)
    return _address_plan(predicate, side)


def _missing_plan(side: Side) -> _Plan:
    # No endpoint is port 0 to the kernel; a real endpoint can have port 0 too.
    return _Plan(PortCondition(side, "==", 0), exact=False)


def _port_plan(predicate: Predicate, side: Side) -> _Plan:
    if isinstance(predicate, Missing):
        return _missing_plan(side)
    if isinstance(predicate, Compare):
        if predicate.value is None:
            return _missing_plan(side) if predicate.op == "==" else _NOTHING
        port: int = predicate.value
        # The kernel compares port 0 where the record has no endpoint: the condition
        # covers the predicate if the predicate's answer for "no endpoint" (true only
        # for !=) implies the kernel's answer for port 0, and is exact if they agree.
        without = predicate.op == "!="
        kernel = _COMPARE[predicate.op](0, port)
        if without and not kernel:
            return _NOTHING
        return _Plan(PortCondition(side, predicate.op, port), exact=without == kernel)
    if isinstance(predicate, OneOf):
        ports = sorted(value for value in predicate.values if value is not None)
        without = None in predicate.values
        conditions = [PortCondition(side, "==", port) for port in ports]
        if without and 0 not in ports:
            conditions.append(PortCondition(side, "==", 0))
        exact = without == (0 in ports)
        if len(conditions) == 1:
            return _Plan(conditions[0], exact=exact)
        return _Plan(AnyOf(tuple(conditions)), exact=exact)
    return _NOTHING


def _covers_unspecified(network: netaddr.IPNetwork) -> bool:
    return int(network.network) == 0


def _address_plan(predicate: Predicate, side: Side) -> _Plan:
    if isinstance(predicate, Within):
        networks: tuple[netaddr.IPNetwork, ...] = predicate.networks
        conditions = tuple(PrefixCondition(side, network) for network in networks)
        # No endpoint is the unspecified address to the kernel, which a network holding
        # it matches where the predicate does not.
        exact = not any(_covers_unspecified(network) for network in networks)
        if len(conditions) == 1:
            return _Plan(conditions[0], exact=exact)
        return _Plan(AnyOf(conditions), exact=exact)
    if isinstance(predicate, Compare) and predicate.value is not None:
        address: netaddr.IPAddress = predicate.value
        prefix = 32 if address.version == 4 else 128
        equal = _Plan(
            PrefixCondition(
                side, netaddr.IPNetwork((int(address), prefix), version=address.version)
            ),
            # An IPv4 prefix also matches IPv4-mapped addresses, which are not equal to it;
            # the unspecified address is also what the kernel sees for no endpoint.
            exact=address.version == 6 and int(address) != 0,
        )
        if predicate.op == "==":
            return equal
        if predicate.op == "!=" and equal.exact and equal.condition is not None:
            return _Plan(Negated(equal.condition), exact=True)
    return _NOTHING
