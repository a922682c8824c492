"""The ss(8) filter compiler: equivalence with composable predicates, syntax errors,
robustness on arbitrary text, printing back, and a live comparison with ``ss`` itself."""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import netaddr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netstatlib
from netstatlib import F, FilterError, Predicate, TcpState
from netstatlib.backends import LinuxProcfs
from netstatlib.filters._ssfilter import _ANY, compile_filter, to_ss_filter

from conftest import skip_live

ALL_STATES = list(TcpState)


def states(*names: str, closed: bool = False) -> Predicate:
    """What a state clause compiles to: ``closed`` also matches rows without a state and
    Windows' BOUND and DELETE_TCB."""
    if closed:
        names = (*names, "BOUND", "DELETE_TCB")
    predicate = F.state.isin(names)
    return predicate | F.state.is_missing() if closed else predicate


def v4(field: str, cidr: str, mapped: str) -> Predicate:
    """An IPv4 prefix also holds IPv4-mapped IPv6 addresses."""
    return getattr(F, field).within([cidr, mapped])


CONNECTED = [
    "UNKNOWN",
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "NEW_SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE_WAIT",
    "LAST_ACK",
    "CLOSING",
]
EQUIVALENT: list[tuple[str, Predicate]] = [
    ("state established", states("ESTABLISHED")),
    ("state listening", states("LISTEN")),
    ("state LISTENING", states("LISTEN")),
    ("state closed", states("CLOSE", closed=True)),
    ("state close", states("CLOSE", closed=True)),
    ("state unconnected", states("CLOSE", closed=True)),
    ("state syn-recv", states("SYN_RECV", "NEW_SYN_RECV")),
    ("state syn-rcv", states("SYN_RECV", "NEW_SYN_RECV")),
    ("state fin-wait-1 state fin-wait-2", states("FIN_WAIT1", "FIN_WAIT2")),
    ("state time-wait state close-wait", states("TIME_WAIT", "CLOSE_WAIT")),
    ("state last-ack state closing", states("LAST_ACK", "CLOSING")),
    ("state syn-sent", states("SYN_SENT")),
    ("state all", states(*(s.name for s in ALL_STATES), closed=True)),
    ("", states(*(s.name for s in ALL_STATES), closed=True)),
    ("state connected", states(*CONNECTED)),
    ("state synchronized", states(*(s for s in CONNECTED if s != "SYN_SENT"))),
    ("state bucket", states("SYN_RECV", "NEW_SYN_RECV", "TIME_WAIT")),
    (
        "state big",
        states(
            *(
                s.name
                for s in ALL_STATES
                if s.name not in ("SYN_RECV", "NEW_SYN_RECV", "TIME_WAIT")
            ),
            closed=True,
        ),
    ),
    (
        "exclude listening",
        states(*(s.name for s in ALL_STATES if s is not TcpState.LISTEN), closed=True),
    ),
    (
        "excl closed",
        states(
            *(
                s.name
                for s in ALL_STATES
                if s not in (TcpState.CLOSE, TcpState.BOUND, TcpState.DELETE_TCB)
            )
        ),
    ),
    ("state listening exclude listening", F.state.isin([])),
    (
        "state connected exclude established",
        states(*(s for s in CONNECTED if s != "ESTABLISHED")),
    ),
    ("exclude listening state closed", compile_filter("exclude listening")),
    # ports
    ("sport = :22", F.local_port == 22),
    ("sport == 22", F.local_port == 22),
    ("sport eq :ssh", F.local_port == 22),
    ("sport 22", F.local_port == 22),
    ("sport = 0x16", F.local_port == 22),
    ("sport = 026", F.local_port == 22),
    ("sport != :22", F.local_port != 22),
    ("sport ne :22", F.local_port != 22),
    ("sport neq :22", F.local_port != 22),
    ("sport >= :1024", F.local_port >= 1024),
    ("sport ge 1024", F.local_port >= 1024),
    ("sport geq 1024", F.local_port >= 1024),
    ("sport <= :1024", F.local_port <= 1024),
    ("sport le :1024", F.local_port <= 1024),
    ("sport leq :1024", F.local_port <= 1024),
    ("sport > :1024", F.local_port > 1024),
    ("sport gt :1024", F.local_port > 1024),
    ("sport < :1024", F.local_port < 1024),
    ("sport lt :1024", F.local_port < 1024),
    ("dport = :https", F.remote_port == 443),
    ("dport = :0", (F.remote_port == 0) | F.remote_port.is_missing()),
    ("dport != :22", F.remote_port != 22),
    ("dport != :0", (F.remote_port != 0) & ~F.remote_port.is_missing()),
    ("dport < :100", (F.remote_port < 100) | F.remote_port.is_missing()),
    ("dport lt 100", (F.remote_port < 100) | F.remote_port.is_missing()),
    ("dport <= 0", (F.remote_port <= 0) | F.remote_port.is_missing()),
    ("dport >= :1024", F.remote_port >= 1024),
    ("dport >= 0", (F.remote_port >= 0) | F.remote_port.is_missing()),
    ("dport > :1024", F.remote_port > 1024),
    ("dport gt 0", F.remote_port > 0),
    # addresses
    ("dst 10.0.0.0/8", v4("remote_address", "10.0.0.0/8", "::ffff:10.0.0.0/104")),
    ("dst = 10/8", v4("remote_address", "10.0.0.0/8", "::ffff:10.0.0.0/104")),
    ("dst == 10.1.2.3/8", v4("remote_address", "10.0.0.0/8", "::ffff:10.0.0.0/104")),
    ("dst eq 10.1", v4("remote_address", "10.1.0.0/32", "::ffff:10.1.0.0/128")),
    ("src 127.0.0.1", v4("local_address", "127.0.0.1/32", "::ffff:127.0.0.1/128")),
    ("src 127.0.0.1:*", v4("local_address", "127.0.0.1/32", "::ffff:127.0.0.1/128")),
    (
        "src 127.0.0.1:22",
        (F.local_port == 22) & v4("local_address", "127.0.0.1/32", "::ffff:127.0.0.1/128"),
    ),
    ("src [::1]:631", (F.local_port == 631) & F.local_address.within("::1/128")),
    ("src [::1]", F.local_address.within("::1/128")),
    ("src ::1/128", F.local_address.within("::1/128")),
    ("dst fe80::/10", F.remote_address.within("fe80::/10")),
    ("dst fe80::1:22", (F.remote_port == 22) & F.remote_address.within("fe80::1/128")),
    ("src *:22", F.local_port == 22),
    ("src :22", F.local_port == 22),
    ("dst :https", F.remote_port == 443),
    ("dst *:https", F.remote_port == 443),
    ("dst :0", (F.remote_port == 0) | F.remote_port.is_missing()),
    ("dst *", _ANY),
    ("dst *:*", _ANY),
    ("src [*]", _ANY),
    (
        "dst 0.0.0.0/0",
        v4("remote_address", "0.0.0.0/0", "::ffff:0.0.0.0/96")
        | (F.remote_address.is_missing() & (F.family == "inet")),
    ),
    (
        "dst 0.0.0.0",
        v4("remote_address", "0.0.0.0/32", "::ffff:0.0.0.0/128")
        | (F.remote_address.is_missing() & (F.family == "inet")),
    ),
    (
        "dst ::/0",
        F.remote_address.within("::/0") | (F.remote_address.is_missing() & (F.family == "inet6")),
    ),
    ("src 0.0.0.0/0", v4("local_address", "0.0.0.0/0", "::ffff:0.0.0.0/96")),
    # boolean structure
    ("sport = :22 and dport = :22", (F.local_port == 22) & (F.remote_port == 22)),
    ("sport = :22 && dport = :22", (F.local_port == 22) & (F.remote_port == 22)),
    ("sport = :22 & dport = :22", (F.local_port == 22) & (F.remote_port == 22)),
    ("sport = :22 dport = :22", (F.local_port == 22) & (F.remote_port == 22)),
    ("sport = :22 or dport = :22", (F.local_port == 22) | (F.remote_port == 22)),
    ("sport = :22 || dport = :22", (F.local_port == 22) | (F.remote_port == 22)),
    ("sport = :22 | dport = :22", (F.local_port == 22) | (F.remote_port == 22)),
    ("not sport = :22", ~(F.local_port == 22)),
    ("! sport = :22", ~(F.local_port == 22)),
    ("not not sport = :22", F.local_port == 22),
    (
        # ss: and/or/juxtaposition have one precedence and group from the left
        "sport = :22 or sport = :80 and dport = :0",
        ((F.local_port == 22) | (F.local_port == 80))
        & ((F.remote_port == 0) | F.remote_port.is_missing()),
    ),
    (
        "sport = :22 or sport = :80 dport = :443",
        ((F.local_port == 22) | (F.local_port == 80)) & (F.remote_port == 443),
    ),
    (
        "sport = :22 or ( sport = :80 and dport = :443 )",
        (F.local_port == 22) | ((F.local_port == 80) & (F.remote_port == 443)),
    ),
    (
        "sport = :22 or (sport = :80 and dport = :443)",
        (F.local_port == 22) | ((F.local_port == 80) & (F.remote_port == 443)),
    ),
    (
        "not sport = :22 and not dport = :22",
        ~(F.local_port == 22) & ~(F.remote_port == 22),
    ),
    ("not ( sport = :22 or dport = :22 )", ~((F.local_port == 22) | (F.remote_port == 22))),
    ("!(sport = :22)", ~(F.local_port == 22)),
    (
        "state established ( dport = :ssh or sport = :ssh )",
        states("ESTABLISHED") & ((F.remote_port == 22) | (F.local_port == 22)),
    ),
    (
        "state connected dst 10.0.0.0/8 dport = :https",
        states(*CONNECTED)
        & v4("remote_address", "10.0.0.0/8", "::ffff:10.0.0.0/104")
        & (F.remote_port == 443),
    ),
    (
        "exclude time-wait sport >= 1024 or dport < 1024",
        states(*(s.name for s in ALL_STATES if s is not TcpState.TIME_WAIT), closed=True)
        & ((F.local_port >= 1024) | ((F.remote_port < 1024) | F.remote_port.is_missing())),
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), EQUIVALENT, ids=[t or "<empty>" for t, _ in EQUIVALENT]
)
def test_compiles_to_the_composable_form(text: str, expected: Predicate) -> None:
    assert compile_filter(text) == expected


@pytest.mark.parametrize(
    "text", [t for t, _ in EQUIVALENT], ids=[t or "<empty>" for t, _ in EQUIVALENT]
)
def test_prints_back_as_an_ss_filter(text: str) -> None:
    predicate = compile_filter(text)
    printed = to_ss_filter(predicate)
    assert printed is not None
    assert compile_filter(printed) == predicate
    assert "(" not in printed.replace("( ", "")  # parentheses are separate words for ss


def test_to_ss_filter_refuses_what_ss_cannot_say() -> None:
    assert to_ss_filter(F.process == "sshd") is None
    # ss sees a listener's peer as port 0, so this is not "dport < :100"
    assert to_ss_filter(F.remote_port < 100) is None
    assert to_ss_filter((F.local_port == 22) & (F.process == "sshd")) is None
    assert to_ss_filter(F.remote_port == 443) == "dport = :443"
    assert to_ss_filter(F.state.isin(["LISTEN"])) == "state listening"


def test_empty_state_set_prints_back() -> None:
    printed = to_ss_filter(F.state.isin([]))
    assert printed is not None and compile_filter(printed) == F.state.isin([])


def test_the_compiled_predicates_select_rows() -> None:
    listener = netstatlib.Connection(
        protocol=netstatlib.Protocol.TCP,
        family=socket.AF_INET,
        local=netstatlib.Endpoint(address=netaddr.IPAddress("0.0.0.0"), port=22),
        remote=None,
        state=TcpState.LISTEN,
    )
    udp = netstatlib.Connection(
        protocol=netstatlib.Protocol.UDP,
        family=socket.AF_INET6,
        local=netstatlib.Endpoint(address=netaddr.IPAddress("::"), port=123),
        remote=None,
        state=None,
    )
    mapped = netstatlib.Connection(
        protocol=netstatlib.Protocol.TCP,
        family=socket.AF_INET6,
        local=netstatlib.Endpoint(address=netaddr.IPAddress("::ffff:127.0.0.1"), port=22),
        remote=netstatlib.Endpoint(address=netaddr.IPAddress("::ffff:10.1.2.3"), port=5000),
        state=TcpState.ESTABLISHED,
    )
    assert compile_filter("dport < :100")(listener)
    assert not compile_filter("dport != :0")(listener)
    assert compile_filter("dst 0.0.0.0/0")(listener)
    assert not compile_filter("dst 0.0.0.0/0")(udp)
    assert compile_filter("dst ::/0")(udp)
    assert compile_filter("state closed")(udp)
    assert not compile_filter("state closed")(listener)
    assert compile_filter("dst 10.0.0.0/8 src 127.0.0.1")(mapped)
    assert not compile_filter("dst [::ffff:10.1.2.3]:80")(mapped)


# -- errors --------------------------------------------------------------------------

ERRORS: list[tuple[str, int, str]] = [
    ("state", 5, "a state name"),
    ("state listen", 6, "a state name"),
    ("state bogus", 6, "a state name"),
    ("exclude", 7, "a state name"),
    ("sport = :22 state listening", 12, "a condition"),
    ("( sport = :22", 13, "')'"),
    ("(sport = :22", 12, "')'"),
    ("sport = :22 )", 12, "a condition, 'and', 'or' or the end"),
    ("( )", 2, "a condition"),
    ("sport = :22 and", 15, "a condition"),
    ("sport = :22 or or dport = :1", 15, "a condition"),
    ("not", 3, "a condition"),
    ("sport", 5, "a port"),
    ("sport =", 7, "a port"),
    ("sport = and", 8, "a port"),
    ("sport = :nosuchservice", 8, "a port number"),
    ("sport = :70000", 8, "a port number"),
    ("sport = :-1", 8, "a port number"),
    ("sport = *", 8, "a port number"),
    ("dst", 3, "an address or :port"),
    ("dst 10.0.0.300", 4, "an IPv4 or IPv6 address"),
    ("dst 10.0.0.0/33", 4, "an IPv4 or IPv6 address"),
    ("dst ::1", 4, "an IPv4 or IPv6 address"),
    ("dst [::1]/128", 4, "an address or :port"),
    ("dst [::1", 4, "an address or :port"),
    ("dst localhost", 4, "an IPv4 or IPv6 address"),
    ("dst inet6:*", 4, "an address or :port"),
    ("dst 10.0.0.1:bogus", 4, "a port number"),
    ("dst != 10.0.0.1", 4, "an address or :port"),
    ("foo", 0, "a condition"),
    ("sport = :22 foo", 12, "a condition"),
    ("autobound", 0, "a condition"),
    ("dev eth0", 0, "a condition"),
    ("SPORT = :22", 0, "a condition"),
]


@pytest.mark.parametrize(("text", "position", "expected"), ERRORS, ids=[t for t, _, _ in ERRORS])
def test_syntax_errors(text: str, position: int, expected: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(text)
    error = caught.value
    assert error.position == position
    assert error.expected is not None and error.expected.startswith(expected)
    assert f"position {position}" in str(error) and error.expected in str(error)


def test_service_names_are_looked_up_for_tcp_and_udp() -> None:
    try:
        socket.getservbyname("ntp", "udp")
    except OSError:
        pytest.skip("This machine's services database (/etc/services) has no ntp entry.")
    assert compile_filter("sport = :ntp") == (F.local_port == 123)


def test_not_a_string() -> None:
    with pytest.raises(FilterError):
        compile_filter(22)  # type: ignore[arg-type]


WORDS = [
    "state", "exclude", "excl", "established", "listening", "closed", "all", "bucket",
    "src", "dst", "sport", "dport", "=", "==", "!=", "<", ">", "<=", ">=", "eq", "ne",
    "lt", "gt", "le", "ge", "and", "or", "not", "!", "&&", "||", "&", "|", "(", ")",
    ":22", "22", ":https", "*", "*:22", "10.0.0.0/8", "[::1]:631", "::1/128", "0/0",
    "127.0.0.1:*", ":0", "0x16", "[", "]", ":", "/", "bogus", "autobound",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(WORDS), max_size=10).map(" ".join)))
def test_arbitrary_text_compiles_or_raises_filter_error(text: str) -> None:
    failure: FilterError | None = None
    try:
        predicate = compile_filter(text)
    except FilterError as error:
        failure = error
    if failure is not None:
        assert failure.position is not None and 0 <= failure.position <= len(text)
        assert failure.expected
        return
    assert isinstance(predicate, Predicate)
    printed = to_ss_filter(predicate)
    assert printed is not None and compile_filter(printed) == predicate


# -- live: against ss itself ---------------------------------------------------------

HOLDER = r"""
import socket, sys, time
keep = []
def listen(family, address, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((address, port)); s.listen(16); keep.append(s); return s
def pair(family, address, listener, port):
    c = socket.socket(family, socket.SOCK_STREAM); c.connect((address, port))
    a, _ = listener.accept(); keep.extend([c, a]); return c, a
l22 = listen(socket.AF_INET, "0.0.0.0", 22)
l631 = listen(socket.AF_INET6, "::1", 631)
l8080 = listen(socket.AF_INET, "127.0.0.1", 8080)
d443 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)  # dual-stack listener
d443.bind(("::", 443)); d443.listen(4); keep.append(d443)
pair(socket.AF_INET, "127.0.0.1", l22, 22)
pair(socket.AF_INET6, "::1", l631, 631)
pair(socket.AF_INET, "127.0.0.1", d443, 443)  # IPv4-mapped addresses on the server side
c, a = pair(socket.AF_INET, "127.0.0.1", l8080, 8080)
c.close(); time.sleep(0.05); a.close(); keep.remove(c); keep.remove(a)  # c: TIME-WAIT
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 5353)); keep.append(u)
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); v.bind(("127.0.0.1", 40001))
v.connect(("127.0.0.1", 5353)); keep.append(v)
w = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); w.bind(("::", 123)); keep.append(w)
print("ready", flush=True)
sys.stdin.read()
"""

LIVE_FILTERS = [
    "",
    "state established",
    "state listening",
    "state closed",
    "state time-wait",
    "state connected",
    "state synchronized",
    "state bucket",
    "state big",
    "exclude listening",
    "exclude listening state closed",
    "state established state listening",
    "sport = :22",
    "sport = :ssh",
    "sport == 0x16",
    "dport = :0",
    "dport != :0",
    "dport < :100",
    "dport > :100",
    "dport >= 22",
    "sport <= :631",
    "sport gt :631",
    "dst 0.0.0.0/0",
    "dst 0.0.0.0",
    "dst ::/0",
    "dst [::]",
    "src 127/8",
    "src 127.0.0.1:*",
    "src *:22",
    "src [::1]:631",
    "src ::1/128",
    "dst :https",
    "dst 127.0.0.1:443",
    "src 127.0.0.1:443",
    "src [::ffff:127.0.0.1]",
    "dst :0",
    "dst *",
    "not sport = :22",
    "! dport = :22",
    "sport = :22 or sport = :631 and dport = :0",
    "sport = :22 or ( sport = :631 and dport = :0 )",
    "not ( sport = :22 or dport = :22 ) and not dport = :0",
    "sport = :22 dport = :0",
    "sport = :22 || dport = :22 && dst 127.0.0.1",
    "state connected ( dport = :ssh or sport = :ssh )",
    "exclude time-wait src 127.0.0.1 dport >= 1024",
]


def _netns_possible() -> str | None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return "Comparing with ss needs root on Linux, to make a network namespace."
    if shutil.which("ip") is None or shutil.which("ss") is None:
        return "Comparing with ss needs iproute2 (ip and ss), which this machine lacks."
    return None


@contextlib.contextmanager
def _namespace_with_sockets() -> Iterator[tuple[str, int]]:
    """A namespace with the HOLDER's sockets; yields (name, pid of the holder)."""
    name = f"nsl-ssfilter-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        error = " ".join(made.stderr.split())
        skip_live(f"This machine cannot create a network namespace ({error}).")
    holder: subprocess.Popen[str] | None = None
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, timeout=10)
        holder = subprocess.Popen(
            ["ip", "netns", "exec", name, sys.executable, "-c", HOLDER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert holder.stdout is not None
        ready, _, _ = select.select([holder.stdout], [], [], 10)
        assert ready and holder.stdout.readline().strip() == "ready"
        yield name, holder.pid
    finally:
        if holder is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(holder.pid, signal.SIGKILL)
            holder.wait(timeout=10)
            for stream in (holder.stdin, holder.stdout):
                if stream is not None:
                    stream.close()
        subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)


def _endpoint(text: str) -> tuple[str, int] | None:
    """An endpoint as ``ss -n`` prints it; None for a peer ss shows as ``*``."""
    address, _, port = text.rpartition(":")
    if port == "*":
        return None
    address = address.strip("[]")
    if address == "*" or netaddr.IPAddress(address).value == 0:
        address = "*"  # ss prints an unspecified local address as *, 0.0.0.0 or [::]
    else:
        address = str(netaddr.IPAddress(address))
    return address, int(port)


def _ss_rows(namespace: str, text: str) -> set[tuple[str, object, object]]:
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "ss", "-tuanH", *shlex.split(text)],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    rows = set()
    for line in result.stdout.splitlines():
        words = line.split()
        rows.add((words[0], _endpoint(words[-2]), _endpoint(words[-1])))
    return rows


def _netstatlib_rows(pid: int, text: str) -> set[tuple[str, object, object]]:
    table = netstatlib.connections(
        "inet", where=compile_filter(text), processes=False, backend=LinuxProcfs(pid=pid)
    )
    rows = set()
    for row in table:
        assert row.local is not None
        local = _endpoint(str(row.local))
        remote = None if row.remote is None else _endpoint(str(row.remote))
        rows.add((row.protocol.value, local, remote))
    return rows


@pytest.mark.live
def test_selects_what_ss_selects() -> None:
    reason = _netns_possible()
    if reason is not None:
        skip_live(reason)
    with _namespace_with_sockets() as (namespace, pid):
        everything = _ss_rows(namespace, "")
        assert len(everything) >= 12, everything  # the holder's sockets are all there
        mismatches = {}
        for text in LIVE_FILTERS:
            expected, got = _ss_rows(namespace, text), _netstatlib_rows(pid, text)
            if expected != got:
                mismatches[text] = {"ss only": expected - got, "netstatlib only": got - expected}
        assert not mismatches
