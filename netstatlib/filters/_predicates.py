"""Composable filter predicates: ``F.state == "LISTEN"``, ``F.remote_address.within(...)``.

A predicate is an immutable value built from record fields and combined with ``&``, ``|``
and ``~``. It is a callable ``record -> bool`` (so it goes wherever ``where=`` is taken),
compares equal to another predicate that says the same thing the same way, prints itself
readably, and can be taken apart by the query layer: the parts that restrict protocol,
family or state are handed to the backend before any process is looked up.

Values are checked and normalised when the predicate is built (``"syn-recv"`` becomes
``TcpState.SYN_RECV``, ``"https"`` becomes 443, ``"10.0.0.0/8"`` a network), so a typo is
a :class:`~netstatlib.FilterError` at once, not a filter that silently matches nothing.

A record whose field has no value (``remote`` of a listener, ``pids`` when processes were
not looked up) fails every test on that field except ``!=`` and ``is_missing()``: ``!=``
is exactly ``~(==)``.
"""

from __future__ import annotations

import fnmatch
import re
import socket
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import attrs
import netaddr

from .._errors import FilterError, UsageError
from .._model import (
    Connection,
    InterfaceStats,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    TcpState,
)
from ._values import FAMILY_ALIASES, port_number

__all__ = [
    "PROCESS_FIELDS",
    "AddressIs",
    "And",
    "Compare",
    "F",
    "Field",
    "HasFlags",
    "Matches",
    "Missing",
    "Not",
    "OneOf",
    "Or",
    "Predicate",
    "Within",
    "check_applies",
    "endpoint_address",
    "endpoint_port",
    "field_kind",
    "install_ss_printer",
]

Test = Callable[[Any], bool]

# -- fields --------------------------------------------------------------------------


def endpoint_port(record: Connection, side: str) -> int | None:
    """The ``side`` (``"local"`` or ``"remote"``) port of a socket record: its
    endpoint's, or the port known from the name it was printed with (``host:https`` is
    443, :class:`~netstatlib.NamedEndpoint`); ``None`` when neither says."""
    endpoint = record.local if side == "local" else record.remote
    if endpoint is not None:
        return endpoint.port
    name = record.local_name if side == "local" else record.remote_name
    return None if name is None else name.port


def endpoint_address(record: Connection, side: str) -> netaddr.IPAddress | None:
    """The ``side`` address of a socket record: its endpoint's, or the address a name
    was printed with as a number (``10.0.0.5:unknown-service``); ``None`` otherwise."""
    endpoint = record.local if side == "local" else record.remote
    if endpoint is not None:
        return endpoint.address
    name = record.local_name if side == "local" else record.remote_name
    return None if name is None else name.address


def _endpoint_part(side: str, part: str) -> Callable[[Any], Any]:
    # A record printed with names (Windows netstat without -n) may have no endpoint but
    # a name that still says the port (host:https) or the address (10.0.0.5:svc): the
    # predicates read those too, so `F.remote_port == 443` finds what netstat showed.
    read = endpoint_port if part == "port" else endpoint_address

    def get(record: Any) -> Any:
        endpoint = getattr(record, side)
        if endpoint is not None:  # the common case, kept fast
            return getattr(endpoint, part)
        return read(record, side)

    get.__name__ = f"{side}_{part}"
    return get


@attrs.frozen
class _Spec:
    """What a field name means: which records have it, how to read it, what values it takes."""

    records: frozenset[type]
    get: Callable[[Any], Any]
    kind: str  # protocol, family, state, address, port, int, text, bool, network, pids


def _attribute(name: str) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        return getattr(record, name)

    get.__name__ = name
    return get


_CONN = frozenset({Connection})
_ROUTE = frozenset({Route})
_IFACE = frozenset({InterfaceStats})

_SPECS: dict[str, _Spec] = {
    "protocol": _Spec(_CONN, _attribute("protocol"), "protocol"),
    "family": _Spec(_CONN | _ROUTE, _attribute("family"), "family"),
    "state": _Spec(_CONN, _attribute("state"), "state"),
    "local_address": _Spec(_CONN, _endpoint_part("local", "address"), "address"),
    "local_port": _Spec(_CONN, _endpoint_part("local", "port"), "port"),
    "remote_address": _Spec(_CONN, _endpoint_part("remote", "address"), "address"),
    "remote_port": _Spec(_CONN, _endpoint_part("remote", "port"), "port"),
    "pid": _Spec(_CONN, _attribute("pids"), "pids"),
    "process": _Spec(_CONN, _attribute("process"), "text"),
    "uid": _Spec(_CONN, _attribute("uid"), "int"),
    "inode": _Spec(_CONN, _attribute("inode"), "int"),
    "recv_queue": _Spec(_CONN, _attribute("recv_queue"), "int"),
    "send_queue": _Spec(_CONN, _attribute("send_queue"), "int"),
    "path": _Spec(_CONN, _attribute("path"), "text"),
    "destination": _Spec(_ROUTE, _attribute("destination"), "network"),
    "gateway": _Spec(_ROUTE, _attribute("gateway"), "address"),
    "interface": _Spec(_ROUTE, _attribute("interface"), "text"),
    "metric": _Spec(_ROUTE, _attribute("metric"), "int"),
    "flags": _Spec(_ROUTE, _attribute("flags"), "flags"),
    "is_default": _Spec(_ROUTE, _attribute("is_default"), "bool"),
    "name": _Spec(_IFACE, _attribute("name"), "text"),
    "mtu": _Spec(_ROUTE | _IFACE, _attribute("mtu"), "int"),
    "is_up": _Spec(_IFACE, _attribute("is_up"), "bool"),
    "speed_mbps": _Spec(_IFACE, _attribute("speed_mbps"), "int"),
    "group": _Spec(frozenset({ProtocolStats}), _attribute("group"), "text"),
}
for _counter in (field.name for field in attrs.fields(InterfaceStats)):
    _SPECS.setdefault(_counter, _Spec(_IFACE, _attribute(_counter), "int"))

PROCESS_FIELDS = frozenset({"pid", "process"})
"""The fields only a process lookup fills: a test on them waits for the owners."""


def _spec(name: str) -> _Spec:
    try:
        return _SPECS[name]
    except KeyError:
        known = ", ".join(sorted(_SPECS))
        raise FilterError(f"no record has a field {name!r}; fields: {known}") from None


def _normalise(name: str, value: Any) -> Any:
    """The value a field is compared with, checked and in the field's own type."""
    if value is None:
        return None
    kind = _spec(name).kind
    try:
        if kind == "protocol":
            return value if isinstance(value, Protocol) else Protocol(str(value).lower())
        if kind == "family":
            key = value.lower() if isinstance(value, str) else value
            if isinstance(key, bool):
                raise TypeError("a family")
            return FAMILY_ALIASES[key]
        if kind == "state":
            return TcpState.parse(value)
        if kind == "address":
            return value if isinstance(value, netaddr.IPAddress) else netaddr.IPAddress(value)
        if kind == "network":
            return value if isinstance(value, netaddr.IPNetwork) else netaddr.IPNetwork(value)
        if kind == "port":
            return port_number(value)
        if kind in ("int", "pids"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("an integer")
            return value
        if kind == "flags":
            return _flags(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise TypeError("True or False")
            return value
        if not isinstance(value, str):
            raise TypeError("a string")
        return value
    except FilterError:
        raise
    except (UsageError, ValueError, TypeError, KeyError, netaddr.AddrFormatError) as exc:
        raise FilterError(f"{value!r} is not a value of field {name} ({exc})") from None


def _flags(value: Any) -> RouteFlags:
    """Route flags from a RouteFlags value, a name (``"GATEWAY"``) or a list of names."""
    if isinstance(value, RouteFlags):
        return value
    names = [value] if isinstance(value, str) else list(value)
    flags = RouteFlags(0)
    for name in names:
        if not isinstance(name, str) or name.upper() not in RouteFlags.__members__:
            raise ValueError(f"unknown route flag {name!r}")
        flags |= RouteFlags[name.upper()]
    return flags


def _networks(value: Any) -> tuple[netaddr.IPNetwork, ...]:
    """A CIDR string, IPNetwork, IPRange, IPSet or a list of them, as sorted CIDRs."""
    items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    merged = netaddr.IPSet()
    try:
        for item in items:
            if isinstance(item, netaddr.IPSet):
                merged |= item
            elif isinstance(item, netaddr.IPRange):
                merged.add(item)
            else:
                merged.add(netaddr.IPNetwork(item))
    except (netaddr.AddrFormatError, ValueError, TypeError) as exc:
        raise FilterError(f"{value!r} is not an address range ({exc})") from None
    return tuple(merged.iter_cidrs())


# -- predicates ----------------------------------------------------------------------


class Predicate:
    """A test on records, combined with ``&``, ``|`` and ``~``; call it with a record."""

    __slots__ = ()

    def __call__(self, record: Any) -> bool:
        return self.compile()(record)

    def compile(self) -> Test:
        """A plain function ``record -> bool`` doing this test (built once, then cached)."""
        test = _COMPILED.get(self)
        if test is None:
            test = _COMPILED[self] = self._test()
        return test

    def _test(self) -> Test:
        raise NotImplementedError

    def fields(self) -> frozenset[str]:
        """The field names the predicate reads."""
        raise NotImplementedError

    def to_ss_filter(self) -> str | None:
        """The predicate in the filter language of ``ss``, or None where it has no words
        for it (a process name, a pid); :func:`~netstatlib.compile_filter` reads it back."""
        return _ss_printer[0](self)

    @property
    def record_types(self) -> frozenset[type]:
        """The record types that have every field the predicate reads."""
        types = frozenset({Connection, Route, InterfaceStats, ProtocolStats})
        for name in self.fields():
            types &= _spec(name).records
        return types

    def __and__(self, other: object) -> Predicate:
        return And.of(self, _as_predicate(other))

    def __rand__(self, other: object) -> Predicate:
        return And.of(_as_predicate(other), self)

    def __or__(self, other: object) -> Predicate:
        return Or.of(self, _as_predicate(other))

    def __ror__(self, other: object) -> Predicate:
        return Or.of(_as_predicate(other), self)

    def __invert__(self) -> Predicate:
        return Not(self)

    def _nesting(self) -> int:
        """How many levels of ``&``, ``|`` and ``~`` the predicate holds: 0 for a test
        on a field."""
        return 0

    def __bool__(self) -> bool:
        raise FilterError(
            "a predicate has no truth value: combine predicates with &, | and ~, "
            "not 'and', 'or' and 'not'"
        )


_COMPILED: weakref.WeakKeyDictionary[Predicate, Test] = weakref.WeakKeyDictionary()


def _no_ss_printer(predicate: Predicate) -> str | None:
    raise RuntimeError("the ss language is not loaded: import netstatlib.filters")


# The ss language (``_ssfilter.py``) is built on these values, so this module cannot
# import it without a cycle: it installs its printer here instead, when
# ``netstatlib.filters`` (which every import of this module goes through) loads it.
_ss_printer: list[Callable[[Predicate], str | None]] = [_no_ss_printer]


def install_ss_printer(printer: Callable[[Predicate], str | None]) -> None:
    """Make :meth:`Predicate.to_ss_filter` print with ``printer`` (the ss language's)."""
    _ss_printer[0] = printer


def _as_predicate(value: object) -> Predicate:
    if isinstance(value, Predicate):
        return value
    raise FilterError(f"cannot combine a predicate with {type(value).__name__}: {value!r}")


MAX_NESTING = 100
"""How many levels of ``&``, ``|`` and ``~`` a predicate may hold (``a & (b | ~c)`` has
three): building a deeper one raises :class:`~netstatlib.FilterError`. Evaluating,
printing, comparing and planning a predicate each go down it recursively, a few Python
frames per level; the limit keeps that far below Python's recursion limit, and is far
above any filter a person writes."""

_ALL_RECORD_TYPES = frozenset({Connection, Route, InterfaceStats, ProtocolStats})


def _checked_nesting(levels: int) -> int:
    if levels > MAX_NESTING:
        raise FilterError(
            f"the predicate nests more than {MAX_NESTING} levels of &, | and ~ "
            "(the limit on how deep a filter may nest)"
        )
    return levels


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_ORDERED_KINDS = frozenset({"port", "int", "address"})


@attrs.frozen(repr=False)
class Compare(Predicate):
    """``field op value``: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``."""

    field: str
    op: str
    value: Any

    def __attrs_post_init__(self) -> None:
        kind = _spec(self.field).kind
        if self.op not in _OPS:
            raise FilterError(f"unknown comparison {self.op!r}")
        if self.op not in ("==", "!=") and kind not in _ORDERED_KINDS:
            raise FilterError(f"field {self.field} cannot be compared with {self.op}")
        if self.value is None and self.op not in ("==", "!="):
            raise FilterError(f"cannot compare {self.field} {self.op} None")

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def _test(self) -> Test:
        get, op, value = _spec(self.field).get, _OPS[self.op], self.value
        negated = self.op == "!="
        if _spec(self.field).kind == "pids":
            if negated:
                return lambda record: not (get(record) and value in get(record))
            return lambda record: bool(get(record)) and value in get(record)
        if value is None:
            return (lambda r: get(r) is not None) if negated else (lambda r: get(r) is None)

        def test(record: Any) -> bool:
            found = get(record)
            if found is None:
                return negated
            return op(found, value)

        return test

    def __repr__(self) -> str:
        return f"F.{self.field} {self.op} {_show(self.value)}"


def _show(value: Any) -> str:
    if isinstance(value, (TcpState, Protocol)):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, socket.AddressFamily):
        return f"socket.{value.name}"
    if isinstance(value, (netaddr.IPAddress, netaddr.IPNetwork)):
        return repr(str(value))
    return repr(value)


@attrs.frozen(repr=False)
class OneOf(Predicate):
    """The field's value is one of ``values``."""

    field: str
    values: frozenset[Any]

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def _test(self) -> Test:
        get, values = _spec(self.field).get, self.values
        if _spec(self.field).kind == "pids":
            return lambda record: bool(get(record)) and not values.isdisjoint(get(record))
        return lambda record: get(record) in values

    def __repr__(self) -> str:
        shown = ", ".join(sorted(_show(value) for value in self.values))
        return f"F.{self.field}.isin([{shown}])"


@attrs.frozen(repr=False)
class Within(Predicate):
    """The address (or the route's destination network) lies within the given ranges."""

    field: str
    networks: tuple[netaddr.IPNetwork, ...]

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def _test(self) -> Test:
        get = _spec(self.field).get
        ranges = netaddr.IPSet(self.networks)

        def test(record: Any) -> bool:
            value = get(record)
            if value is None:
                return False
            if value in ranges:
                return True
            # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; an IPv4 range
            # covers it too, as in ss.
            return (
                isinstance(value, netaddr.IPAddress)
                and value.version == 6
                and bool(value.is_ipv4_mapped())
                and value.ipv4() in ranges
            )

        return test

    def __repr__(self) -> str:
        shown = ", ".join(repr(str(network)) for network in self.networks)
        return f"F.{self.field}.within([{shown}])"


_ULA = netaddr.IPNetwork("fc00::/7")  # unique local IPv6 (RFC 4193), IPv6's private range
_CLASSES: dict[str, Callable[[netaddr.IPAddress], bool]] = {
    "loopback": lambda a: bool(a.is_loopback()),
    "private": lambda a: bool(a.is_ipv4_private_use() or a in _ULA),
    "global": lambda a: bool(a.is_global()),
    "link_local": lambda a: bool(a.is_link_local()),
    "multicast": lambda a: bool(a.is_multicast()),
    "unspecified": lambda a: int(a) == 0,
    "ipv4_mapped": lambda a: a.version == 6 and bool(a.is_ipv4_mapped()),
}


@attrs.frozen(repr=False)
class AddressIs(Predicate):
    """The address belongs to a class: loopback, private, global (public), link_local,
    multicast, unspecified (a wildcard bind: all interfaces) or ipv4_mapped. An
    IPv4-mapped address is classed by its IPv4 address (``::ffff:8.8.8.8`` is global)."""

    field: str
    kind: str

    def __attrs_post_init__(self) -> None:
        if _spec(self.field).kind != "address":
            raise FilterError(f"field {self.field} is not an address")
        if self.kind not in _CLASSES:
            raise FilterError(f"unknown address class {self.kind!r}; classes: {sorted(_CLASSES)}")

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def _test(self) -> Test:
        get, check = _spec(self.field).get, _CLASSES[self.kind]
        unmap = self.kind != "ipv4_mapped"

        def test(record: Any) -> bool:
            value = get(record)
            if value is None:
                return False
            if unmap and value.version == 6 and value.is_ipv4_mapped():
                value = value.ipv4()
            return check(value)

        return test

    def __repr__(self) -> str:
        return f"F.{self.field}.is_{self.kind}"


@attrs.frozen(repr=False)
class Matches(Predicate):
    """A text field matches a shell glob (``fnmatch``) or a regular expression (search)."""

    field: str
    pattern: str
    syntax: str  # "glob" or "regex"

    def __attrs_post_init__(self) -> None:
        if _spec(self.field).kind != "text":
            raise FilterError(f"field {self.field} is not text")
        try:
            self._regex()
        except re.error as exc:
            raise FilterError(f"bad pattern {self.pattern!r}: {exc}") from None

    def _regex(self) -> re.Pattern[str]:
        if self.syntax == "glob":
            return re.compile(fnmatch.translate(self.pattern), re.DOTALL)
        if self.syntax == "regex":
            return re.compile(self.pattern)
        raise FilterError(f"unknown pattern syntax {self.syntax!r}")

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def _test(self) -> Test:
        get = _spec(self.field).get
        regex = self._regex()
        find = regex.match if self.syntax == "glob" else regex.search

        def test(record: Any) -> bool:
            value = get(record)
            return value is not None and find(value) is not None

        return test

    def __repr__(self) -> str:
        method = "glob" if self.syntax == "glob" else "matches"
        return f"F.{self.field}.{method}({self.pattern!r})"


@attrs.frozen(repr=False)
class HasFlags(Predicate):
    """Every one of the given route flags is set."""

    field: str
    flags: RouteFlags

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def _test(self) -> Test:
        get, flags = _spec(self.field).get, self.flags
        return lambda record: (get(record) & flags) == flags

    def __repr__(self) -> str:
        names = [flag.name for flag in RouteFlags if flag in self.flags and flag.name]
        return f"F.{self.field}.has({names!r})"


@attrs.frozen(repr=False)
class Missing(Predicate):
    """The field has no value (``None``, or no pids)."""

    field: str

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def _test(self) -> Test:
        get = _spec(self.field).get
        return lambda record: get(record) is None

    def __repr__(self) -> str:
        return f"F.{self.field}.is_missing()"


# Guards the check-and-append by which a junction grows a list it shares (see _Junction).
_GROWTH = threading.Lock()


class _Junction(Predicate):
    """Parts joined by one operator: :class:`And` or :class:`Or`. Immutable.

    ``p = p | q`` in a loop must not copy all of ``p``'s parts each time, which is
    quadratic (10k terms took 20 s). So a junction keeps its parts as the first ``_size``
    items of a list, and a junction made from it by adding parts at the end appends them
    to the same list when nobody has appended to it yet (otherwise it copies): the items
    below ``_size`` never change, so each junction still sees its own parts. The tuple
    :attr:`parts`, the fields and the hash are made on first use; the record types and
    the nesting depth are carried along as parts are added.
    """

    __slots__ = (
        "__weakref__",
        "_fields",
        "_hash",
        "_items",
        "_levels",
        "_size",
        "_tuple",
        "_types",
    )
    __match_args__ = ("parts",)
    symbol: ClassVar[str]
    _items: list[Predicate]
    _size: int
    _tuple: tuple[Predicate, ...] | None
    _types: frozenset[type]
    _levels: int
    _fields: frozenset[str] | None
    _hash: int | None

    def __init__(self, parts: Iterable[Predicate]) -> None:
        items = [_as_predicate(part) for part in parts]
        types = _ALL_RECORD_TYPES
        for part in items:
            types &= part.record_types
        levels = 1 + max((part._nesting() for part in items), default=0)
        self._set(items, len(items), tuple(items), types, _checked_nesting(levels))

    def _set(
        self,
        items: list[Predicate],
        size: int,
        parts: tuple[Predicate, ...] | None,
        types: frozenset[type],
        levels: int,
    ) -> None:
        store = object.__setattr__
        store(self, "_items", items)
        store(self, "_size", size)
        store(self, "_tuple", parts)
        store(self, "_types", types)
        store(self, "_levels", levels)
        store(self, "_fields", None)
        store(self, "_hash", None)

    @classmethod
    def of(cls, *parts: Predicate) -> Predicate:
        """The parts joined, with nested joins of the same kind flattened; a
        :class:`~netstatlib.FilterError` when no record has all the fields they read."""
        first = parts[0] if parts and isinstance(parts[0], cls) else None
        added: list[Predicate] = []
        types = _ALL_RECORD_TYPES if first is None else first._types
        levels = 1 if first is None else first._levels
        for part in parts[1:] if first is not None else parts:
            if isinstance(part, cls):
                added.extend(part.parts)
                types &= part._types
                levels = max(levels, part._levels)
            else:
                added.append(part)
                types &= part.record_types
                levels = max(levels, 1 + part._nesting())
        _checked_nesting(levels)
        if not types:
            every = ((first,) if first is not None else ()) + parts
            names = ", ".join(sorted({name for part in every for name in part.fields()}))
            raise FilterError(f"no record has all of the fields {names}")
        if first is None:
            items = added
        else:
            with _GROWTH:
                if len(first._items) == first._size:  # nobody grew the list: grow it
                    items = first._items
                    items.extend(added)
                else:
                    items = first._items[: first._size] + added
        joined = cls.__new__(cls)
        size = len(added) if first is None else first._size + len(added)
        joined._set(items, size, None, types, levels)
        return joined

    @property
    def parts(self) -> tuple[Predicate, ...]:
        """The predicates joined, in order."""
        parts = self._tuple
        if parts is None:
            parts = tuple(self._items[: self._size])
            object.__setattr__(self, "_tuple", parts)
        return parts

    @property
    def record_types(self) -> frozenset[type]:
        return self._types

    def _nesting(self) -> int:
        return self._levels

    def fields(self) -> frozenset[str]:
        fields = self._fields
        if fields is None:
            fields = frozenset().union(*(part.fields() for part in self.parts))
            object.__setattr__(self, "_fields", fields)
        return fields

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, _Junction)
        return self is other or (self._size == other._size and self.parts == other.parts)

    def __hash__(self) -> int:
        value = self._hash
        if value is None:
            value = hash((self.symbol, self.parts))
            object.__setattr__(self, "_hash", value)
        return value

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __reduce__(self) -> tuple[type, tuple[tuple[Predicate, ...]]]:
        return (type(self), (self.parts,))

    def __repr__(self) -> str:
        return f" {self.symbol} ".join(_grouped(part, self) for part in self.parts)


class And(_Junction):
    """Every part holds."""

    __slots__ = ()
    symbol: ClassVar[str] = "&"

    def _test(self) -> Test:
        tests = [part._test() for part in self.parts]
        return lambda record: all(test(record) for test in tests)


class Or(_Junction):
    """At least one part holds."""

    __slots__ = ()
    symbol: ClassVar[str] = "|"

    def _test(self) -> Test:
        tests = [part._test() for part in self.parts]
        return lambda record: any(test(record) for test in tests)


def _grouped(part: Predicate, parent: Predicate) -> str:
    text = repr(part)
    if isinstance(part, _Junction) and type(part) is not type(parent):
        return f"({text})"
    if isinstance(part, Compare):
        return f"({text})"
    return text


@attrs.frozen(repr=False)
class Not(Predicate):
    """The part does not hold."""

    part: Predicate = attrs.field(converter=_as_predicate)
    _levels: int = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_levels", _checked_nesting(1 + self.part._nesting()))

    def _nesting(self) -> int:
        return self._levels

    def fields(self) -> frozenset[str]:
        return self.part.fields()

    def _test(self) -> Test:
        test = self.part._test()
        return lambda record: not test(record)

    def __invert__(self) -> Predicate:
        return self.part

    def __repr__(self) -> str:
        return f"~({self.part!r})"


# -- the field accessor --------------------------------------------------------------


class Field:
    """A record field, to build predicates from: ``F.remote_port == 443``.

    ``F.<name>`` makes one (an unknown name raises :class:`~netstatlib.FilterError`).
    Comparing it with a value gives a :class:`Predicate`: ``==`` and ``!=`` for every
    field, ``<``, ``<=``, ``>`` and ``>=`` for ports, numbers and addresses. The value
    is checked and converted to the field's type first (``"LISTENING"`` to
    ``TcpState.LISTEN``, ``"10.0.0.1"`` to an address, ``"https"`` to port 443), so a
    value the field cannot take raises :class:`~netstatlib.FilterError` at once.
    ``== None`` and ``!= None`` ask whether the value is missing; for a missing value
    every other comparison is false, except ``!=``, which is true. ``F.pid == 812``
    asks whether process 812 is among the socket's ``pids``.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        _spec(name)
        self.name = name
        """The field's name, as ``F.<name>`` spells it (``"remote_port"``)."""

    def __repr__(self) -> str:
        return f"F.{self.name}"

    def __hash__(self) -> int:
        return hash(self.name)

    def _compare(self, op: str, value: Any) -> Predicate:
        return Compare(self.name, op, _normalise(self.name, value))

    def __eq__(self, value: object) -> Predicate:  # type: ignore[override]
        return self._compare("==", value)

    def __ne__(self, value: object) -> Predicate:  # type: ignore[override]
        return self._compare("!=", value)

    def __lt__(self, value: Any) -> Predicate:
        return self._compare("<", value)

    def __le__(self, value: Any) -> Predicate:
        return self._compare("<=", value)

    def __gt__(self, value: Any) -> Predicate:
        return self._compare(">", value)

    def __ge__(self, value: Any) -> Predicate:
        return self._compare(">=", value)

    def isin(self, values: Iterable[Any]) -> Predicate:
        """The value is one of ``values``."""
        if isinstance(values, (str, bytes)):
            raise FilterError(f"isin() takes a collection of values, not the string {values!r}")
        return OneOf(self.name, frozenset(_normalise(self.name, value) for value in values))

    def between(self, low: Any, high: Any) -> Predicate:
        """``low <= value <= high``."""
        lower = self._compare(">=", low)
        upper = self._compare("<=", high)
        return lower & upper

    def within(self, ranges: Any) -> Predicate:
        """The address lies in a network, range, set or CIDR string (or a list of them)."""
        if _spec(self.name).kind not in ("address", "network"):
            raise FilterError(f"field {self.name} is not an address")
        return Within(self.name, _networks(ranges))

    def glob(self, pattern: str) -> Predicate:
        """The text matches a shell-style pattern (``"ssh*"``, ``"/run/*.sock"``)."""
        return Matches(self.name, pattern, "glob")

    def matches(self, pattern: str) -> Predicate:
        """A regular expression is found in the text (``re.search``)."""
        return Matches(self.name, pattern, "regex")

    def has(self, flags: Any) -> Predicate:
        """Route flags: every given flag is set (``F.flags.has("GATEWAY")``, a list of
        names, or a :class:`~netstatlib.RouteFlags` value)."""
        if _spec(self.name).kind != "flags":
            raise FilterError(f"field {self.name} has no flags")
        return HasFlags(self.name, _normalise(self.name, flags))

    def is_missing(self) -> Predicate:
        """The field has no value (``None``)."""
        return Missing(self.name)

    @property
    def is_loopback(self) -> Predicate:
        """A loopback address (``127.0.0.0/8``, ``::1``)."""
        return AddressIs(self.name, "loopback")

    @property
    def is_private(self) -> Predicate:
        """RFC 1918 IPv4 or unique-local IPv6 (``fc00::/7``)."""
        return AddressIs(self.name, "private")

    @property
    def is_global(self) -> Predicate:
        """A public address (netaddr's ``is_global``)."""
        return AddressIs(self.name, "global")

    is_public = is_global
    """The same as :attr:`is_global`."""

    @property
    def is_link_local(self) -> Predicate:
        """A link-local address (``169.254.0.0/16``, ``fe80::/10``)."""
        return AddressIs(self.name, "link_local")

    @property
    def is_multicast(self) -> Predicate:
        """A multicast address (``224.0.0.0/4``, ``ff00::/8``)."""
        return AddressIs(self.name, "multicast")

    @property
    def is_unspecified(self) -> Predicate:
        """``0.0.0.0`` or ``::``: a socket bound to all interfaces."""
        return AddressIs(self.name, "unspecified")

    @property
    def is_ipv4_mapped(self) -> Predicate:
        """An IPv4-mapped IPv6 address (``::ffff:a.b.c.d``: an IPv4 peer of a dual-stack
        socket). The other address classes look through the mapping
        (``::ffff:127.0.0.1`` is loopback); this one sees it."""
        return AddressIs(self.name, "ipv4_mapped")


class _Fields:
    """``F.<field name>`` gives a :class:`Field`; unknown names raise FilterError."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Field:
        if name.startswith("__"):
            raise AttributeError(name)
        return Field(name)

    def __dir__(self) -> list[str]:
        return sorted(_SPECS)

    def __repr__(self) -> str:
        return "F"


F = _Fields()
"""The fields of records, to build filters from: ``F.<name>`` is a :class:`Field`.

``F.state == "LISTEN"``, ``F.local_port.isin([80, 443])``,
``F.remote_address.within("10.0.0.0/8")``, ``F.process.glob("ssh*")``; combine the
predicates with ``&``, ``|`` and ``~``. ``dir(F)`` lists every field name. Socket fields
(``protocol``, ``family``, ``state``, ``local_address``, ``local_port``,
``remote_address``, ``remote_port``, ``pid``, ``process``, ``uid``, ``inode``, the
queues, ``path``), route fields (``destination``, ``gateway``, ``interface``,
``metric``, ``flags``, ``is_default``), interface fields (``name``, ``mtu``, ``is_up``,
``speed_mbps`` and every counter) and ``group`` for protocol statistics; ``family`` and
``mtu`` serve two kinds of record. An unknown name raises
:class:`~netstatlib.FilterError`, listing the known ones.
"""


# -- use by the query layer and the planner ------------------------------------------


def field_kind(name: str) -> str:
    """What a field holds: ``protocol``, ``family``, ``state``, ``address``, ``port``,
    ``int``, ``text``, ``bool``, ``network``, ``flags`` or ``pids``."""
    return _spec(name).kind


def check_applies(where: Any, record_type: type) -> None:
    """Raise FilterError when a predicate reads fields ``record_type`` does not have."""
    if isinstance(where, Predicate) and record_type not in where.record_types:
        missing = sorted(name for name in where.fields() if record_type not in _spec(name).records)
        raise FilterError(f"{record_type.__name__} records have no field {', '.join(missing)}")
