"""Inputs that grow: parsers and filters stay linear, and nesting is bounded.

Each attack found by hostile testing is reproduced at its size: a Windows route table of
40k hex digits (11 s before), an interface-list entry with 40k blanks (4.4 s), a UNIX
socket path continued over 300k lines (40 s), an ss filter of 10k ``or`` terms and
``p = p | ...`` 10k times (20 s each), 1000 nested parentheses or ``not`` (a
``RecursionError``). Linear work finishes these in milliseconds; the time bounds are
generous (seconds), for a loaded machine, and still far below what the quadratic code
took. The properties draw the shape of an input and run it at growing sizes, each
within a bound proportional to its size.
"""

from __future__ import annotations

import contextlib
import pickle
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netstatlib
from netstatlib import F, FilterError, ParseError, Predicate, compile_filter
from netstatlib.backends import LinuxProcfs
from netstatlib.cli import main
from netstatlib.filters import possible_states, process_free_part, socket_conditions
from netstatlib.filters._predicates import MAX_NESTING, And, Not, Or
from netstatlib.parsers import procfs, windows

from conftest import conn, ep

T = TypeVar("T")

SIZES = (5_000, 10_000, 20_000, 40_000)
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def within(seconds: float, run: Callable[..., T], *arguments: Any) -> T:
    """``run(*arguments)``, which must return (or raise) within ``seconds``."""
    started = time.perf_counter()
    try:
        return run(*arguments)
    finally:
        elapsed = time.perf_counter() - started
        assert elapsed < seconds, f"took {elapsed:.2f} s, more than {seconds} s"


def linear_bound(size: int) -> float:
    """Seconds allowed for an input of ``size`` characters or terms: 1 s plus 25 us
    each. Linear parsing costs well under 1 us a character; quadratic work at 40k
    costs seconds to minutes."""
    return 1.0 + size * 25e-6


def parses_or_fails_cleanly(parse: Callable[[str], object], text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text)


# -- Windows route tables ---------------------------------------------------------------


def test_a_route_table_of_hex_digits() -> None:
    # A run of hex digits was tried as an IPv6 address from each of its positions.
    text = "IPv4 Route Table\n" + "a" * 40_000
    assert within(2.0, lambda: windows.parse_routes(text)) == []


def test_an_interface_entry_with_a_long_run_of_blanks() -> None:
    # The description was matched lazily before trailing blanks: every split was tried.
    line = " 12...00 1c 42 da 01 6a ......Example" + " " * 40_000 + "Adapter  "
    (entry,) = within(2.0, lambda: windows.parse_interface_list(line))
    assert entry.index == 12
    assert entry.description == "Example" + " " * 40_000 + "Adapter"
    assert within(2.0, lambda: windows.parse_routes(line)) == []


def test_an_ipv6_destination_of_colons() -> None:
    line = "  1    331 " + ":" * 40_000 + "x/128   On-link"
    with pytest.raises(ParseError, match="not an IPv6 address"):
        within(2.0, lambda: windows.parse_routes(line))


# Shapes that reach every kind of line: a title, an interface entry, IPv4 and IPv6 rows.
_ROUTE_PREFIXES = ("", "IPv4 Route Table\n", " 12...", "  0.0.0.0 ", "  1    331 ", "X: ")
_ROUTE_UNITS = st.text(alphabet="0123456789abcdefABCDEFx:. \t=-/%>*", min_size=1, max_size=3)


@PROPERTY
@given(
    prefix=st.sampled_from(_ROUTE_PREFIXES),
    pieces=st.lists(st.tuples(_ROUTE_UNITS, st.booleans()), min_size=1, max_size=5),
)
def test_windows_route_text_is_parsed_in_linear_time(
    prefix: str, pieces: list[tuple[str, bool]]
) -> None:
    """Runs of any of the characters a route table holds, at growing lengths."""
    for size in SIZES:
        text = prefix + "".join(
            unit * (size // len(unit)) if grows else unit for unit, grows in pieces
        )
        for parse in (windows.parse_routes, windows.parse_interface_list):
            within(linear_bound(len(text)), parses_or_fails_cleanly, parse, text)


# -- /proc/net/unix ---------------------------------------------------------------------

UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"
UNIX_ROW = "0000000000000000: 00000002 00000000 00010000 0001 01 12345 /tmp/a"


def test_a_unix_path_continued_over_300k_lines() -> None:
    # A bound path may hold newlines: every line after the row continues it.
    lines = [f"line {number}" for number in range(300_000)]
    text = UNIX_HEADER + UNIX_ROW + "\n" + "\n".join(lines) + "\n"
    (row,) = within(5.0, lambda: procfs.parse_unix_sockets(text))
    assert row.path == "/tmp/a\n" + "\n".join(lines)


@PROPERTY
@given(line=st.text(alphabet="abc/._- ", min_size=10, max_size=60))
def test_unix_continuation_lines_are_joined_in_linear_time(line: str) -> None:
    for count in SIZES:  # lines
        text = UNIX_HEADER + UNIX_ROW + "\n" + (line + "\n") * count
        (row,) = within(linear_bound(count), procfs.parse_unix_sockets, text)
        assert row.path == "/tmp/a" + ("\n" + line) * count


# -- filters: long chains ---------------------------------------------------------------


def ports(count: int) -> list[Predicate]:
    return [F.local_port == number % 65535 + 1 for number in range(count)]


def test_an_ss_filter_of_10k_or_terms() -> None:
    text = " or ".join(f"sport = :{number % 65535 + 1}" for number in range(10_000))
    predicate = within(3.0, lambda: compile_filter(text))
    assert isinstance(predicate, Or)
    assert predicate.parts == tuple(ports(10_000))  # flat: one Or of 10k tests
    printed = within(5.0, predicate.to_ss_filter)
    assert printed is not None and within(3.0, lambda: compile_filter(printed)) == predicate


@pytest.mark.parametrize("operator", ["|", "&"])
def test_a_predicate_grown_10k_times_in_a_loop(operator: str) -> None:
    tests = ports(10_000)

    def grow() -> Predicate:
        result = tests[0]
        for test in tests[1:]:
            result = result | test if operator == "|" else result & test
        return result

    grown = within(3.0, grow)
    assert type(grown) is (Or if operator == "|" else And)
    assert grown == (Or if operator == "|" else And)(tests)
    assert hash(grown) == hash((Or if operator == "|" else And)(tests))


@PROPERTY
@given(operator=st.sampled_from(["|", "&", "or", "and", ""]))
def test_chains_grow_in_linear_time(operator: str) -> None:
    for size in SIZES[:3]:
        if operator in ("|", "&"):
            tests = ports(size)

            def grow(tests: list[Predicate] = tests) -> Predicate:
                result = tests[0]
                for test in tests[1:]:
                    result = result | test if operator == "|" else result & test
                return result

            grown = within(linear_bound(size * 10), grow)
        else:
            # The ss language: "or", "and", or two conditions side by side.
            text = f" {operator} ".join(f"sport = :{n % 65535 + 1}" for n in range(size))
            grown = within(linear_bound(size * 10), compile_filter, text)
        assert isinstance(grown, Or if operator in ("|", "or") else And)
        assert len(grown.parts) == size


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 60))
def test_junctions_that_share_a_list_keep_their_own_parts(seed: int, steps: int) -> None:
    """A junction grows the list its parent made when nobody else has: whatever the
    order in which junctions are extended, each keeps exactly the parts it was made
    with (compared with plain tuples, after all of them were made)."""
    rng = random.Random(seed)
    leaves = ports(20)
    made: list[tuple[Predicate, tuple[Predicate, ...], str]] = []
    for _ in range(steps):
        kind = rng.choice(["|", "&"])
        if made and rng.random() < 0.8:
            left, left_parts, left_kind = rng.choice(made)
        else:
            left, left_parts, left_kind = rng.choice(leaves), (), ""
        right = rng.choice(leaves)
        expected = (*left_parts, right) if left_kind == kind else (left, right)
        joined = left | right if kind == "|" else left & right
        made.append((joined, expected, kind))
    for joined, expected, kind in made:
        assert isinstance(joined, Or if kind == "|" else And)
        assert joined.parts == expected
        assert joined == (Or if kind == "|" else And)(expected)
        assert pickle.loads(pickle.dumps(joined)) == joined


def test_threads_extending_one_junction() -> None:
    base = F.local_port == 1
    for test in ports(100)[1:]:
        base = base | test
    results: list[tuple[int, Predicate]] = []
    lock = threading.Lock()

    def extend(first: int) -> None:
        for number in range(first, first + 200):
            joined = base | (F.remote_port == number)
            with lock:
                results.append((number, joined))

    threads = [threading.Thread(target=extend, args=(1000 * n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 1600
    for number, joined in results:
        assert isinstance(joined, Or)
        assert joined.parts == (*base.parts, F.remote_port == number)  # type: ignore[attr-defined]


def test_junctions_are_immutable_values() -> None:
    joined = (F.local_port == 1) | (F.local_port == 2)
    with pytest.raises(AttributeError):
        joined.parts = ()  # type: ignore[misc]
    assert joined.compile() is joined.compile()  # cached, which needs a weak reference
    assert {joined: 1}[Or((F.local_port == 1, F.local_port == 2))] == 1
    assert joined != And(joined.parts)  # type: ignore[attr-defined]
    with pytest.raises(FilterError, match="no record has all of the fields"):
        (F.local_port == 1) & (F.metric == 2)


# -- nesting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("(" * 1000 + "sport = :22" + ")" * 1000, MAX_NESTING),
        ("not " * 1000 + "sport = :22", 4 * MAX_NESTING),
        ("( not " * 600 + "sport = :22" + " )" * 600, 6 * (MAX_NESTING // 2)),
    ],
)
def test_an_ss_filter_nested_too_deeply(text: str, position: int) -> None:
    with pytest.raises(FilterError, match=f"nests more than {MAX_NESTING} levels") as info:
        compile_filter(text)
    assert info.value.position == position


def test_the_nesting_limit_of_ss_filters() -> None:
    at_limit = "(" * MAX_NESTING + "sport = :22" + ")" * MAX_NESTING
    assert compile_filter(at_limit) == (F.local_port == 22)
    assert compile_filter("not " * MAX_NESTING + "sport = :22") == (F.local_port == 22)
    with pytest.raises(FilterError):
        compile_filter("(" + at_limit + ")")


def test_an_ss_filter_whose_predicate_would_nest_too_deeply() -> None:
    # 98 levels of parentheses, but "dst 0.0.0.0/0" is two levels of its own (a missing
    # peer of the family matches too) and the state clause one more.
    text = (
        "state established "
        + "( sport = :1 or ( sport = :2 and " * 49
        + "dst 0.0.0.0/0"
        + " ) )" * 49
    )
    with pytest.raises(FilterError, match="nested too deeply") as info:
        compile_filter(text)
    assert info.value.position is not None


def test_the_cli_reports_a_filter_nested_too_deeply(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-an", "--filter", "(" * 1000 + "sport = :22" + ")" * 1000]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("netstatlib: --filter: the filter nests more than 100 levels")
    assert err.count("\n") == 1


def nested(levels: int) -> Predicate:
    """A predicate of exactly ``levels`` levels: &, | and ~ in turn."""
    result: Predicate = F.local_port == 1
    for number in range(levels):
        step = number % 3
        if step == 0:
            result = result & (F.local_port == number + 2)
        elif step == 1:
            result = result | (F.remote_port != number + 2)
        else:
            result = ~result
    return result


@pytest.mark.parametrize(
    "build",
    [
        lambda levels: nested(levels),
        lambda levels: _repeat(levels, lambda inner: Not(inner)),
        lambda levels: _repeat(levels, lambda inner: And((inner, F.local_port == 1))),
        lambda levels: _repeat(levels, lambda inner: Or((inner,))),
    ],
    ids=["operators", "Not()", "And()", "Or()"],
)
def test_predicates_nest_at_most_max_nesting_levels(build: Callable[[int], Predicate]) -> None:
    assert build(MAX_NESTING)._nesting() == MAX_NESTING
    with pytest.raises(FilterError, match=f"more than {MAX_NESTING} levels"):
        build(MAX_NESTING + 1)


def _repeat(levels: int, wrap: Callable[[Predicate], Predicate]) -> Predicate:
    result: Predicate = F.local_port == 1
    for _ in range(levels):
        result = wrap(result)
    return result


def test_a_predicate_at_the_limit_works_everywhere(tmp_path: Any) -> None:
    """Every walk over a predicate (evaluation, printing, hashing, comparing, pickling,
    printing as ss text and reading it back, planning, a query) goes down it
    recursively: at the limit, each works."""
    predicate = nested(MAX_NESTING)
    rows = [conn(ep("127.0.0.1", 2)), conn(ep("10.0.0.1", 7), ep("10.0.0.2", 9))]
    expected = [predicate.compile()(row) for row in rows]
    assert [nested(MAX_NESTING)(row) for row in rows] == expected
    assert repr(nested(MAX_NESTING)) == repr(predicate)
    assert hash(nested(MAX_NESTING)) == hash(predicate)
    assert nested(MAX_NESTING) == predicate
    assert pickle.loads(pickle.dumps(predicate)) == predicate
    printed = nested(MAX_NESTING).to_ss_filter()
    assert printed is not None and compile_filter(printed) == predicate
    assert socket_conditions(nested(MAX_NESTING)) is not None
    assert possible_states(nested(MAX_NESTING)) is None
    assert process_free_part(nested(MAX_NESTING)) == predicate
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
        "   uid  timeout inode\n"
        "   0: 0100007F:0002 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
        "     0        0 1001 1 0000000000000000 100 0 0 10 0\n"
    )
    found = netstatlib.connections(
        "tcp", where=nested(MAX_NESTING), processes=False, backend=LinuxProcfs(root=tmp_path)
    )
    assert [row.inode for row in found] == ([1001] if expected[0] else [])
