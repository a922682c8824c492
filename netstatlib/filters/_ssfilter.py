"""Compile the filter language of iproute2's ``ss`` into :mod:`netstatlib` predicates.

``compile_filter("state established dport = :https")`` gives the same predicate as
``F.state.isin(["ESTABLISHED"]) & (F.remote_port == 443)``, so a filter copied from a
runbook selects, from netstatlib's records, the rows ``ss -a FILTER`` prints. The
language is the one of ss(8) (``FILTER := [ state STATE-FILTER ] [ EXPRESSION ]``) and of
iproute2's ``misc/ssfilter.y``; what is written below was checked against ``ss`` 6.1 in a
network namespace.

Grammar (ss(8), ``ssfilter.y``)
-------------------------------
* ``state NAME`` and ``exclude NAME`` (or ``excl``) clauses come first, before the
  expression (``main()`` of ``ss.c`` reads them off the command line, the rest goes to
  the bison parser). The first clause starts the set of states from nothing
  (``state``) or from every state (``exclude``); later ``state`` clauses add to the set,
  later ``exclude`` clauses remove from it. Without any clause every state is selected
  (as ``ss -a``). State names are ss's, case-insensitive: ``established``, ``syn-sent``,
  ``syn-recv`` (or ``syn-rcv``), ``fin-wait-1``, ``fin-wait-2``, ``time-wait``,
  ``closed`` (or ``close``, ``unconnected``), ``close-wait``, ``last-ack``,
  ``listening``, ``closing``, ``unknown``, and the groups ``all``, ``connected`` (all
  but ``listening`` and ``closed``), ``synchronized`` (``connected`` but ``syn-sent``),
  ``bucket`` (``syn-recv`` and ``time-wait``) and ``big`` (all but ``bucket``). ss does
  not accept ``listen``.
* ``and``/``&``/``&&``, ``or``/``|``/``||`` and two conditions side by side (meaning
  ``and``) all have the *same* precedence and group from the left:
  ``a or b and c`` is ``(a or b) and c`` (``exprlist`` in ``ssfilter.y`` is
  left-recursive with a single condition on the right). ``not``/``!`` binds to the one
  condition (or parenthesised group) after it.
* ``src HOST`` and ``dst HOST``, optionally with ``=``, ``==`` or ``eq``: HOST is
  ``ADDRESS[/PREFIX][:PORT]``, ``[IPV6][:PORT]``, ``*[:PORT]`` or ``:PORT``; ``*`` as
  the port means any port. An unbracketed IPv6 address needs a ``/PREFIX`` (ss splits
  ``::1`` at its last colon). IPv4 addresses may be shortened as iproute2 allows
  (``127/8`` is ``127.0.0.0/8``, ``10.1`` is ``10.1.0.0``) and numbers may be written in
  C notation (``0x16``, ``026``).
* ``sport`` and ``dport`` with ``=``, ``==``, ``eq``, no operator at all, ``!=``,
  ``ne``, ``neq``, ``<``, ``lt``, ``>``, ``gt``, ``<=``, ``le``, ``leq``, ``>=``,
  ``ge``, ``geq``, then a port as ``22``, ``:22`` or a service name (``:https``).
  A service name is looked up for TCP and UDP; ss refuses one whose two ports differ.
* Parentheses: ss needs ``(`` and ``)`` as separate words; this parser also accepts
  them attached (``(sport = :22)``).

Semantics
---------
``src`` is the local endpoint (``F.local_address``/``F.local_port``), ``dst`` the
remote one (``F.remote_address``/``F.remote_port``). Where netstatlib and ss see
different data, the predicate is built so that the same rows are selected:

* A socket without a peer (a listener, an unconnected UDP socket) has ``remote=None`` in
  netstatlib, while ss (the kernel's ``inet_diag``) sees the peer ``0.0.0.0:0`` or
  ``[::]:0``. So a port test that holds for port 0 also accepts a missing peer
  (``dport < :100`` is ``(F.remote_port < 100) | F.remote_port.is_missing()``), a
  ``!=`` test that fails for port 0 rejects it (``dport != :0`` is
  ``(F.remote_port != 0) & ~F.remote_port.is_missing()``), and an address prefix that
  holds the unspecified address accepts a missing peer of its own family
  (``dst 0.0.0.0/0`` matches IPv4 listeners, not IPv6 ones).
* An IPv4 prefix also matches an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``), as the
  kernel's ``inet_diag_bc_run()`` does for a dual-stack socket; an IPv6 prefix never
  matches an IPv4 socket. ``dst 0.0.0.0/0`` therefore selects IPv4 sockets only.
* ss shows an unconnected UDP or raw socket as ``UNCONN``, which is the kernel state
  ``TCP_CLOSE`` (7): its ``closed`` state. netstatlib gives such a socket
  ``state=None``, so ``closed`` is ``TcpState.CLOSE`` *or* a missing state:
  ``state closed`` is ``F.state.isin([CLOSE]) | F.state.is_missing()``. A connected UDP
  socket is ``ESTABLISHED`` in both. Windows' ``BOUND`` (bound, neither listening nor
  connected: Linux's ``CLOSE``) and ``DELETE_TCB`` have no ss bit and count as
  ``closed`` too.
* ``syn-recv`` also covers ``TcpState.NEW_SYN_RECV`` (the kernel reports request
  sockets to ss as ``SYN-RECV``). ss's state bits are the kernel's state numbers, which
  are :class:`~netstatlib.TcpState`'s values; ``unknown`` (bit 0) is
  ``TcpState.UNKNOWN``.
* A filter without state clauses puts no condition on the state. An empty filter, and
  a condition that selects everything (``dst *``, ``src *:*``), compile to the
  predicate of ``state all``.
* State clauses that leave no state (``state listening exclude listening``) select
  nothing. ss 6.1 instead falls back to a default set (it printed the ESTAB sockets);
  older versions print nothing.

Not supported (a :class:`~netstatlib.FilterError` says so): ``dev``, ``fwmark``,
``cgroup`` and ``autobound`` (``/proc`` does not show the interface, mark, cgroup or
whether the port was bound automatically); host names (ss resolves them with DNS); the
``inet:``, ``inet6:``, ``unix:`` ... address prefixes (in ss they change the socket
tables of the whole query, not one condition); dotted netmasks (``/255.0.0.0``);
``*`` and negative or out-of-range numbers as the port of ``sport``/``dport`` (ss
accepts them: ``-1`` and ``*`` mean any port, ``70000`` none); a filter read from a file
(``ss -F``).

:func:`to_ss_filter` prints a predicate made by :func:`compile_filter` back as an ss
filter (``compile_filter(to_ss_filter(p)) == p``) and gives ``None`` for a predicate the
language cannot express with the same meaning.
"""

from __future__ import annotations

import operator
import re
import socket
from collections.abc import Callable
from functools import partial
from typing import Any

import attrs
import netaddr

from .._errors import FilterError
from .._model import TcpState
from ._predicates import (
    MAX_NESTING,
    And,
    Compare,
    F,
    Field,
    Missing,
    Not,
    OneOf,
    Or,
    Predicate,
    Within,
    install_ss_printer,
)
from ._values import c_number, port_number

__all__ = ["compile_filter", "to_ss_filter"]

# -- states --------------------------------------------------------------------------

# ss's state bits are the kernel's state numbers (include/net/tcp_states.h), which are
# TcpState's values. Names as scan_state() in ss.c accepts them (strcasecmp).
_CANONICAL = (
    "unknown",
    "established",
    "syn-sent",
    "syn-recv",
    "fin-wait-1",
    "fin-wait-2",
    "time-wait",
    "closed",
    "close-wait",
    "last-ack",
    "listening",
    "closing",
)
_STATE_BITS: dict[str, int] = {name: TcpState.parse(name).value for name in _CANONICAL}
_STATE_BITS.update({"close": 7, "unconnected": 7, "syn-rcv": 3})
_ALL = frozenset(range(12))  # SS_ALL: bits 0 to SS_MAX - 1
_CLOSE, _LISTEN, _SYN_SENT, _SYN_RECV, _TIME_WAIT = 7, 10, 2, 3, 6
_GROUPS: dict[str, frozenset[int]] = {
    "all": _ALL,
    "connected": _ALL - {_CLOSE, _LISTEN},
    "synchronized": _ALL - {_CLOSE, _LISTEN, _SYN_SENT},
    "bucket": frozenset({_SYN_RECV, _TIME_WAIT}),
    "big": _ALL - {_SYN_RECV, _TIME_WAIT},
}


def _states_predicate(bits: frozenset[int]) -> Predicate:
    """The predicate for a set of ss state bits (see the module docstring)."""
    members = {TcpState(bit) for bit in bits}
    if _SYN_RECV in bits:
        members.add(TcpState.NEW_SYN_RECV)
    if _CLOSE in bits:
        # Windows' BOUND (bound, not listening: what Linux shows as CLOSE) and DELETE_TCB
        # (a connection being torn down) have no ss bit; they count as "closed".
        members.update((TcpState.BOUND, TcpState.DELETE_TCB))
    predicate = F.state.isin(members)
    if _CLOSE in bits:
        predicate = predicate | F.state.is_missing()
    return predicate


_ANY = _states_predicate(_ALL)  # every row: "state all", an empty filter, "dst *"

# -- tokens --------------------------------------------------------------------------


@attrs.frozen
class _Token:
    text: str
    position: int


_WORD = re.compile(r"[^\s()]+|[()]")

_NOT = frozenset({"!", "not"})
_AND = frozenset({"&", "&&", "and"})
_OR = frozenset({"|", "||", "or"})
_EQ = frozenset({"=", "==", "eq"})
_OPS: dict[str, str] = {
    **dict.fromkeys(_EQ, "=="),
    **dict.fromkeys(("!=", "ne", "neq"), "!="),
    **dict.fromkeys(("<", "lt"), "<"),
    **dict.fromkeys((">", "gt"), ">"),
    **dict.fromkeys(("<=", "le", "leq"), "<="),
    **dict.fromkeys((">=", "ge", "geq"), ">="),
}
_CONDITIONS = frozenset({"src", "dst", "sport", "dport"})
_UNSUPPORTED = {
    "dev": "/proc does not show the interface a socket is bound to",
    "fwmark": "/proc does not show socket marks",
    "cgroup": "/proc does not show a socket's cgroup",
    "autobound": "/proc does not show whether a port was bound automatically",
}
# Every word ss's lexer (yylex in ssfilter.y) treats as a keyword; none is an address.
_KEYWORDS = _NOT | _AND | _OR | frozenset(_OPS) | _CONDITIONS | frozenset(_UNSUPPORTED) | {"(", ")"}
_EXPR_START = "a condition (src, dst, sport, dport), 'not' or '('"


def _tokenize(text: str) -> list[_Token]:
    return [_Token(match.group(), match.start()) for match in _WORD.finditer(text)]


# -- values --------------------------------------------------------------------------


class _Fail(Exception):
    """A value that does not parse; the parser turns it into a FilterError."""

    def __init__(self, problem: str, expected: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.expected = expected


def _port(text: str) -> int:
    """A port as parse_hostcond() in ss.c reads it: a C number or a service name (the
    one port grammar of ``_values.port_number``)."""
    expected = "a port number (0 to 65535) or a service name"
    if not text or text.startswith("*"):
        raise _Fail(f"{text!r} is not a port here", expected)
    try:
        return port_number(text, c_notation=True)
    except ValueError as exc:
        raise _Fail(str(exc), expected) from None


def _ipv4(text: str) -> int | None:
    """An IPv4 address as iproute2's get_addr_ipv4() reads it (``127.1`` is 127.1.0.0)."""
    parts = text.split(".")
    if len(parts) > 4:
        return None
    value = 0
    for index in range(4):
        number = c_number(parts[index]) if index < len(parts) else 0
        if number is None or number > 255:
            return None
        value = value << 8 | number
    return value


def _network(text: str) -> netaddr.IPNetwork:
    """An address with an optional ``/prefix``, as iproute2's get_prefix_1() reads it."""
    expected = "an IPv4 or IPv6 address, optionally with /PREFIX"
    address, slash, length = text.partition("/")
    if ":" in address:
        try:
            packed = socket.inet_pton(socket.AF_INET6, address)
        except (OSError, ValueError):
            raise _Fail(f"{address!r} is not an IPv6 address", expected) from None
        value, bits = int.from_bytes(packed, "big"), 128
    else:
        parsed = _ipv4(address)
        if parsed is None:
            raise _Fail(f"{address!r} is not an address (host names are not looked up)", expected)
        value, bits = parsed, 32
    prefix = bits
    if slash:
        number = c_number(length)
        if number is None or number > bits:
            raise _Fail(f"{length!r} is not a prefix length (0 to {bits})", expected)
        prefix = number
    if bits == 128:
        return netaddr.IPNetwork((value, prefix), version=6).cidr
    return netaddr.IPNetwork((value, prefix), version=4).cidr


def _host(text: str) -> tuple[netaddr.IPNetwork | None, int | None]:
    """``ADDRESS[/PREFIX][:PORT]``, ``[IPV6][:PORT]``, ``*[:PORT]`` or ``:PORT`` as
    parse_hostcond() in ss.c splits it; None for "any"."""
    expected = "an address or :port"
    for family in ("inet:", "inet6:", "unix:", "link:", "netlink:", "vsock:"):
        if text.startswith(family):
            raise _Fail(f"the {family!r} address family prefix is not supported", expected)
    port: str | None
    if text.startswith("["):
        address, bracket, port = text[1:].partition("]")
        if not bracket:
            raise _Fail(f"{text!r} has no closing ']'", expected)
        if port and not port.startswith(":"):
            raise _Fail(f"{port!r} after ']' is not a :port", expected)
    elif text.startswith("*"):
        address, port = "*", text[1:]
    else:
        slash = text.find("/")
        colon = text.rfind(":", max(slash, 0))
        address, port = (text, None) if colon < 0 else (text[:colon], text[colon:])
    if port:
        port = port.removeprefix(":")
    number = None if not port or port.startswith("*") else _port(port)
    try:
        network = None if not address or address.startswith("*") else _network(address)
    except _Fail as failure:
        if text.count(":") > 1 and not text.startswith("["):
            hint = "an IPv6 address goes in brackets, [::1]:631, or takes a /PREFIX"
            raise _Fail(f"{failure.problem}; {hint}", failure.expected) from None
        raise
    return network, number


# -- building predicates -------------------------------------------------------------

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _field_compare(field: Field, op: str, value: int) -> Predicate:
    if op == "==":
        return field == value
    if op == "!=":
        return field != value
    if op == "<":
        return field < value
    if op == ">":
        return field > value
    return field <= value if op == "<=" else field >= value


def _port_test(remote: bool, op: str, port: int) -> Predicate:
    """``sport``/``dport`` OP port; a missing peer counts as port 0, as ss sees it."""
    field = F.remote_port if remote else F.local_port
    test = _field_compare(field, op, port)
    if not remote:
        return test
    holds_for_zero = _COMPARE[op](0, port)
    if holds_for_zero and op != "!=":
        return test | field.is_missing()
    if op == "!=" and not holds_for_zero:
        return test & ~field.is_missing()
    return test


def _address_test(remote: bool, network: netaddr.IPNetwork) -> Predicate:
    """The address lies in ``network``; an IPv4 prefix also holds IPv4-mapped IPv6
    addresses, and a missing peer is the unspecified address of the socket's family."""
    field = F.remote_address if remote else F.local_address
    ranges = [network]
    if network.version == 4:
        mapped = int(network.network) | 0xFFFF00000000  # ::ffff:a.b.c.d
        ranges.append(netaddr.IPNetwork((mapped, network.prefixlen + 96), version=6))
    test = field.within(ranges)
    if remote and int(network.network) == 0:
        family = "inet" if network.version == 4 else "inet6"
        test = test | (field.is_missing() & (F.family == family))
    return test


def _host_test(remote: bool, network: netaddr.IPNetwork | None, port: int | None) -> Predicate:
    parts = []
    if port is not None:
        parts.append(_port_test(remote, "==", port))
    if network is not None:
        parts.append(_address_test(remote, network))
    if not parts:
        return _ANY
    return parts[0] if len(parts) == 1 else parts[0] & parts[1]


# -- the parser ----------------------------------------------------------------------


class _Parser:
    """Recursive descent over ss's grammar (``ssfilter.y``, ``main()`` of ``ss.c``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0  # parentheses and 'not's open around the current word

    def too_deep(self, token: _Token) -> FilterError:
        # The parser recurses once per level, and so does everything that later walks
        # the predicate (predicates refuse more than MAX_NESTING levels themselves).
        return self.fail(
            f"the filter nests more than {MAX_NESTING} levels of parentheses and 'not'",
            f"at most {MAX_NESTING} levels",
            token,
        )

    def combined(self, token: _Token, combine: Callable[[], Predicate]) -> Predicate:
        """``combine()``; a predicate nested too deeply is reported at ``token``."""
        try:
            return combine()
        except FilterError as exc:
            if exc.position is not None:
                raise
            raise self.fail(
                f"the filter is nested too deeply: its predicate would have more than "
                f"{MAX_NESTING} levels of and, or and not",
                f"at most {MAX_NESTING} levels",
                token,
            ) from None

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def word(self) -> str | None:
        token = self.peek()
        return None if token is None else token.text

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, problem: str, expected: str, token: _Token | None = None) -> FilterError:
        token = token if token is not None else self.peek()
        position = len(self.text) if token is None else token.position
        found = "the end of the filter" if token is None else repr(token.text)
        return FilterError(
            f"{problem} (found {found} at position {position}; expected {expected})",
            position=position,
            expected=expected,
        )

    def parse(self) -> Predicate:
        states = self.states()
        start = self.peek()
        if start is None:
            return _ANY if states is None else states
        expression = self.exprlist()
        token = self.peek()
        if token is not None:
            if token.text == ")":
                raise self.fail("unbalanced ')'", "a condition, 'and', 'or' or the end")
            raise self.fail("unexpected word", "a condition, 'and', 'or' or the end")
        if states is None:
            return expression
        return self.combined(start, partial(operator.and_, states, expression))

    def states(self) -> Predicate | None:
        bits: frozenset[int] | None = None
        while self.word() in ("state", "exclude", "excl"):
            keyword = self.take().text
            token = self.peek()
            if token is None:
                raise self.fail(f"'{keyword}' needs a state", "a state name")
            name = token.text.lower()
            if name in _GROUPS:
                chosen = _GROUPS[name]
            elif name in _STATE_BITS:
                chosen = frozenset({_STATE_BITS[name]})
            else:
                hint = " (ss calls it 'listening')" if name == "listen" else ""
                raise self.fail(f"unknown state {token.text!r}{hint}", "a state name")
            self.take()
            if keyword == "state":
                bits = (bits or frozenset()) | chosen
            else:
                bits = (_ALL if bits is None else bits) - chosen
        return None if bits is None else _states_predicate(bits)

    def exprlist(self) -> Predicate:
        # A chain of n conditions costs O(n): each "|" or "&" appends to the junction
        # built so far instead of copying it (see _Junction in _predicates.py).
        result = self.expr()
        while True:
            token = self.peek()
            if token is None or token.text == ")":
                return result
            if token.text in _OR:
                self.take()
                result = self.combined(token, partial(operator.or_, result, self.expr()))
            else:
                if token.text in _AND:
                    self.take()
                result = self.combined(token, partial(operator.and_, result, self.expr()))

    def expr(self) -> Predicate:
        token = self.peek()
        if token is None:
            raise self.fail("the filter ends too early", _EXPR_START)
        word = token.text
        if word == "(" or word in _NOT:
            self.take()
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self.too_deep(token)
            if word == "(":
                result = self.exprlist()
                if self.word() != ")":
                    raise self.fail("unbalanced '('", "')'")
                self.take()
            else:
                result = self.combined(token, partial(operator.invert, self.expr()))
            self.depth -= 1
            return result
        if word in ("src", "dst"):
            self.take()
            if self.word() in _EQ:
                self.take()
            value = self.value("an address or :port")
            network, port = self.convert(_host, value)
            return _host_test(word == "dst", network, port)
        if word in ("sport", "dport"):
            self.take()
            op = "=="
            if self.word() in _OPS:
                op = _OPS[self.take().text]
            value = self.value("a port (:22, 22 or :https)")
            port = self.convert(_port, value, strip=True)
            return _port_test(word == "dport", op, port)
        if word in _UNSUPPORTED:
            raise self.fail(f"'{token.text}' is not supported: {_UNSUPPORTED[word]}", _EXPR_START)
        if word in ("state", "exclude", "excl"):
            raise self.fail(
                f"'{token.text}' clauses must come before the expression "
                "(ss(8): FILTER := [ state STATE-FILTER ] [ EXPRESSION ])",
                _EXPR_START,
            )
        raise self.fail(f"unknown word {token.text!r}", _EXPR_START)

    def value(self, expected: str) -> _Token:
        token = self.peek()
        if token is None or token.text in _KEYWORDS:
            raise self.fail("a value is missing", expected)
        return self.take()

    def convert(self, parse: Callable[[str], object], token: _Token, strip: bool = False) -> Any:
        text = token.text.removeprefix(":") if strip else token.text
        try:
            return parse(text)
        except _Fail as failure:
            raise self.fail(failure.problem, failure.expected, token) from None


def compile_filter(text: str) -> Predicate:
    """The predicate selecting the rows ``ss -a FILTER`` prints, for an ss(8) filter.

    ``compile_filter("state established dport = :https")`` equals
    ``F.state.isin(["ESTABLISHED"]) & (F.remote_port == 443)``. See the module
    docstring for the language and for how ss's view (a listener's peer is
    ``0.0.0.0:0``, an unconnected UDP socket is ``closed``) is carried over to
    netstatlib's records. A syntax error, an unknown state, service or address, and a
    filter nesting more than 100 levels of parentheses and ``not`` (or whose predicate
    would) raise :class:`~netstatlib.FilterError` with ``position`` (0-based offset in
    ``text``) and ``expected`` set. A long chain of ``or`` or ``and`` is not nesting: it
    compiles in time proportional to its length.
    """
    if not isinstance(text, str):
        raise FilterError(
            f"an ss filter is a string, not {type(text).__name__}",
            position=0,
            expected="a string",
        )
    return _Parser(text).parse()


# -- printing back -------------------------------------------------------------------

_STATE_ORDER = ("unknown", *_CANONICAL[1:])


def _state_bits(predicate: Predicate) -> frozenset[int] | None:
    """The ss state bits a predicate made by _states_predicate() stands for, or None."""
    parts = predicate.parts if isinstance(predicate, Or) else (predicate,)
    choice = parts[0]
    if not isinstance(choice, OneOf) or choice.field != "state" or len(parts) > 2:
        return None
    if len(parts) == 2 and parts[1] != Missing("state"):
        return None
    values = choice.values
    if not all(isinstance(value, TcpState) for value in values):
        return None
    extra = (TcpState.NEW_SYN_RECV, TcpState.BOUND, TcpState.DELETE_TCB)
    bits = frozenset(value.value for value in values if value not in extra)
    if not bits <= _ALL:
        return None
    return bits if _states_predicate(bits) == predicate else None


def _state_clauses(bits: frozenset[int]) -> str:
    if not bits:
        return "state unknown exclude unknown"
    if bits == _ALL:
        return "state all"
    if len(bits) > len(_ALL) // 2:
        return " ".join(f"exclude {_STATE_ORDER[bit]}" for bit in sorted(_ALL - bits))
    return " ".join(f"state {_STATE_ORDER[bit]}" for bit in sorted(bits))


def _checked(text: str, predicate: Predicate) -> str | None:
    try:
        return text if compile_filter(text) == predicate else None
    except FilterError:
        return None


def _atom(predicate: Predicate) -> str | None:
    """A single ss condition with exactly this predicate, or None."""
    if predicate == _ANY:
        return "dst *"
    parts = predicate.parts if isinstance(predicate, (And, Or)) else (predicate,)
    for part in parts:
        if isinstance(part, Compare) and part.field in ("local_port", "remote_port"):
            keyword = "sport" if part.field == "local_port" else "dport"
            op = "=" if part.op == "==" else part.op
            return _checked(f"{keyword} {op} :{part.value}", predicate)
        if isinstance(part, Within) and part.field in ("local_address", "remote_address"):
            keyword = "src" if part.field == "local_address" else "dst"
            network = part.networks[0]
            if network.version == 6 and network.prefixlen == 128:
                shown = f"[{network.ip}]"
            elif network.prefixlen == (32 if network.version == 4 else 128):
                shown = str(network.ip)
            else:
                shown = str(network)
            return _checked(f"{keyword} {shown}", predicate)
    return None


def _expression(predicate: Predicate) -> str | None:
    atom = _atom(predicate)
    if atom is not None:
        return atom
    if isinstance(predicate, Not):
        inner = _grouped(predicate.part)
        return None if inner is None else f"not {inner}"
    if isinstance(predicate, (And, Or)):
        joiner = " or " if isinstance(predicate, Or) else " and "
        # Combining flattens: "dport < :1 or sport = :2" is Or(remote_port < 1,
        # remote_port missing, local_port == 2), so a condition may span two parts.
        shown: list[str] = []
        parts, index = predicate.parts, 0
        while index < len(parts):
            text = _grouped(parts[index])
            if text is None and index + 1 < len(parts):
                text = _atom(type(predicate)(parts[index : index + 2]))
                index += 1
            if text is None:
                return None
            shown.append(text)
            index += 1
        return joiner.join(shown)
    return None


def _grouped(predicate: Predicate) -> str | None:
    text = _expression(predicate)
    if text is not None and isinstance(predicate, (And, Or)) and _atom(predicate) is None:
        return f"( {text} )"
    return text


def to_ss_filter(predicate: Predicate) -> str | None:
    """The ss(8) filter selecting the same rows as ``predicate``, or None.

    Works for every predicate :func:`compile_filter` makes
    (``compile_filter(to_ss_filter(p)) == p``) and for those built the same way with
    :data:`~netstatlib.F`; a predicate ss cannot express with the same meaning (process
    names, ``F.remote_port < 100`` without the ``is_missing()`` that ss's view of a
    listener's peer implies) gives None. Parentheses are printed as separate words, as
    ss needs them.
    """
    if not isinstance(predicate, Predicate):
        return None
    bits = _state_bits(predicate)
    if bits is not None:
        return _state_clauses(bits)
    text: str | None
    if type(predicate) is And and _state_bits(predicate.parts[0]) is not None:
        states = _state_clauses(_state_bits(predicate.parts[0]) or frozenset())
        rest = predicate.parts[1:]
        text = _expression(rest[0] if len(rest) == 1 else And(rest))
        text = None if text is None else f"{states} {text}"
    else:
        text = _expression(predicate)
    return None if text is None else _checked(text, predicate)


install_ss_printer(to_ss_filter)
