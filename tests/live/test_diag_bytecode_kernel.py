"""The kernel takes the inet_diag bytecode netstatlib compiles, and keeps what ss keeps.

A namespace holds TCP listeners and connections on loopback, IPv4 and IPv6 (a
dual-stack listener with IPv4-mapped peers and an IPv6 socket connected to an IPv4
address among them). For each ss filter, the program compiled from netstatlib's plan of
it (``compile_filter`` then ``socket_conditions`` then ``compile_condition``) is sent
to the kernel by ``diag_request.py`` (test scaffolding that shares no code with
netstatlib) inside the namespace: the kernel must accept it (no ``EINVAL`` from its
audit) and return exactly the sockets ``ss -tan FILTER`` prints in the same namespace.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from netstatlib.backends._diag_bytecode import (
    MAX_PROGRAM_SIZE,
    compile_condition,
    kernel_has_eq_ops,
)
from netstatlib.filters import AllOf, AnyOf, PortCondition, compile_filter, socket_conditions

from . import netns

pytestmark = pytest.mark.live

REQUEST_SCRIPT = Path(__file__).resolve().parent / "diag_request.py"

# Runs inside the namespace: listeners, then connections with clients bound to known
# ports; prints "{}" when everything is connected and accepted, then waits to be killed.
# Every bound socket listens or connects: diag_request.py asks for every state bit, ss -a
# not for the kernel's "bound, inactive" one.
SOCKETS_CODE = """
import socket, sys, time
keep = []
def listen(family, address, port, v6only=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((address, port)); s.listen(16); keep.append(s); return s
def connect(family, source, sport, destination, dport):
    c = socket.socket(family, socket.SOCK_STREAM)
    c.bind((source, sport)); c.connect((destination, dport)); keep.append(c)
listeners = [
    listen(socket.AF_INET, "127.0.0.1", 5001),
    listen(socket.AF_INET, "127.0.0.2", 5002),
    listen(socket.AF_INET6, "::1", 5003, v6only=1),
    listen(socket.AF_INET6, "::", 5004, v6only=0),  # dual-stack
    listen(socket.AF_INET, "0.0.0.0", 5005),
]
connect(socket.AF_INET, "127.0.0.1", 40001, "127.0.0.1", 5001)
connect(socket.AF_INET, "127.0.0.3", 40002, "127.0.0.2", 5002)
connect(socket.AF_INET6, "::1", 40003, "::1", 5003)
connect(socket.AF_INET, "127.0.0.1", 40004, "127.0.0.1", 5004)  # a mapped peer on 5004
connect(socket.AF_INET6, "::1", 40005, "::1", 5004)
connect(socket.AF_INET, "127.0.0.4", 40006, "127.0.0.1", 5005)
connect(socket.AF_INET6, "::ffff:127.0.0.1", 40007, "::ffff:127.0.0.1", 5001)  # IPv6 to IPv4
for listener, count in zip(listeners, (2, 1, 1, 2, 1)):
    for _ in range(count):
        keep.append(listener.accept()[0])
print("{}", flush=True)
time.sleep(600)
"""

FILTERS = [
    "sport = :5001",
    "dport = :5001",
    "sport != :5001",
    "dport != :5001",
    "dport = :0",
    "sport < :5003",
    "sport > :5003",
    "sport <= :5003",
    "dport >= :40003",
    "not ( sport = :5002 or sport = :5004 )",
    "sport = :5001 or dport = :5001",
    "( sport = :5004 or dport = :5004 ) and not src [::1]",
    "src 127.0.0.2",
    "src 127.0.0.0/8",
    "dst 127.0.0.1",
    "src [::1]",
    "dst [::ffff:127.0.0.1]",
    "src ::/0",
    "src 127.0.0.1:5001",
    "dst [::1]:5003 or src 127.0.0.4",
    "src 127.0.0.2 or dst 127.0.0.2 or sport = :5003",
    "! dst 127.0.0.0/8",
    "dst 127.0.0.1 and ( sport > :40000 or dport < :5003 )",
]


@pytest.fixture(scope="module")
def ns() -> Iterator[netns.Namespace]:
    with netns.namespace("bytecode") as namespace:
        args = namespace.exec_args(sys.executable, "-c", SOCKETS_CODE)
        with netns.spawned(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            netns.read_json_line(process)
            yield namespace


def kernel(ns: netns.Namespace, programs: list[bytes | None]) -> list[dict]:
    """What the kernel answers to one dump request per program and family."""
    text = json.dumps({"programs": [None if p is None else p.hex() for p in programs]})
    result = ns.exec(sys.executable, str(REQUEST_SCRIPT), input=text)
    answers: list[dict] = json.loads(result.stdout)
    return answers


def endpoint(text: str) -> tuple[str, int]:
    """ss's ``127.0.0.1:5001``, ``[::1]:5003``, ``*:5004``, ``0.0.0.0:*`` as
    diag_request.py writes it."""
    host, _, port = text.rpartition(":")
    host = host.split("%", 1)[0].strip("[]")
    return str(ipaddress.ip_address("::" if host == "*" else host)), int(port.replace("*", "0"))


def ss_rows(ns: netns.Namespace, text: str | None) -> Counter[tuple[str, int, str, int]]:
    output = ns.exec("ss", "-H", "-tan", *([] if text is None else [text])).stdout
    rows: Counter[tuple[str, int, str, int]] = Counter()
    for line in output.splitlines():
        _state, _recv_q, _send_q, local, peer = line.split()[:5]
        rows[(*endpoint(local), *endpoint(peer))] += 1
    return rows


@pytest.fixture(scope="module")
def ss_keeps(ns: netns.Namespace) -> dict[str, Counter[tuple[str, int, str, int]]]:
    """What ss prints for each filter (once: every ss run walks the whole socket hash
    table, which on a busy host takes a while)."""
    return {text: ss_rows(ns, text) for text in FILTERS}


def kernel_rows(answer: dict) -> Counter[tuple[str, int, str, int]]:
    assert "error" not in answer, f"the kernel refused the program: {answer}"
    return Counter(tuple(row) for row in answer["rows"])


def test_the_namespace_holds_what_the_filters_need(ns: netns.Namespace) -> None:
    everything = ss_rows(ns, None)
    assert sum(everything.values()) == 19  # 5 listeners, 7 connections seen from both ends
    mapped = str(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert (mapped, 5004, mapped, 40004) in everything
    (answer,) = kernel(ns, [None])
    assert kernel_rows(answer) == everything


@pytest.mark.parametrize("eq_ops", [False, True], ids=["ss-equality", "S_EQ"])
def test_the_kernel_keeps_what_ss_keeps(
    ns: netns.Namespace, ss_keeps: dict[str, Counter[tuple[str, int, str, int]]], eq_ops: bool
) -> None:
    if eq_ops and not kernel_has_eq_ops(ns.exec("uname", "-r").stdout.strip()):
        pytest.skip("This kernel's inet_diag has no S_EQ/D_EQ tests (they came in Linux 4.16).")
    programs = []
    for text in FILTERS:
        condition = socket_conditions(compile_filter(text))
        assert condition is not None, text
        programs.append(compile_condition(condition, eq_ops=eq_ops))
        assert programs[-1] is not None, text
    for text, answer in zip(FILTERS, kernel(ns, programs), strict=True):
        assert kernel_rows(answer) == ss_keeps[text], text
    # Every filter keeps some sockets and drops others.
    assert all(0 < sum(rows.values()) < 19 for rows in ss_keeps.values())


def test_the_largest_program_and_the_empty_choice(ns: netns.Namespace) -> None:
    if not kernel_has_eq_ops(ns.exec("uname", "-r").stdout.strip()):
        pytest.skip(
            "The largest program is made of S_EQ tests, which this kernel lacks (before 4.16)."
        )
    # Ports 1 to 5461 with S_EQ: exactly MAX_PROGRAM_SIZE bytes. The listeners and the
    # connections they accepted have their local port among them, the clients do not.
    alternatives = AnyOf(tuple(PortCondition("local", "==", port) for port in range(1, 5462)))
    largest = compile_condition(alternatives, eq_ops=True, max_size=MAX_PROGRAM_SIZE)
    assert largest is not None and len(largest) == MAX_PROGRAM_SIZE
    never = compile_condition(AnyOf(()))
    assert compile_condition(AllOf(())) is None  # nothing to attach: every socket
    largest_answer, never_answer = kernel(ns, [largest, never])
    assert kernel_rows(largest_answer) == ss_rows(ns, "sport <= :5461")
    assert kernel_rows(never_answer) == Counter()
