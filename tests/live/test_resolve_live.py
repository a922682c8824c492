"""Name resolution against a real DNS server that never answers.

The server is a UDP socket bound on ``127.0.0.1:53`` inside a network namespace the test
creates, which reads nothing and answers nothing; ``/etc/resolv.conf`` points at it for
processes run with ``ip netns exec`` (which bind-mounts ``/etc/netns/<name>/resolv.conf``
over it: the file is created here and deleted afterwards). The resolver is told to wait
30 seconds per question (``options timeout:30 attempts:1``, glibc's maximum), longer
than the test runs, so every lookup that starts stays stuck for the whole test, as a
lookup against a dead server does.

Before the lookups shared one pool, 100 calls left 1,577 threads and 1,582 open files.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

from . import netns

REPOSITORY = Path(__file__).resolve().parents[2]
NETNS_ETC = Path("/etc/netns")

CALLS, PEERS, WORKERS = 100, 20, 16
TIMEOUT, DEADLINE = 0.02, 0.05

BODY = r"""
import json, os, socket, sys, threading, time
import netaddr
from netstatlib import Connection, Endpoint, NameCache, Protocol, TcpState, resolve_names

calls, peers, workers, timeout, deadline = json.loads(sys.argv[1])

# The DNS server that never answers: queries pile up unread in its receive buffer.
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", 53))

def fds():
    return len(os.listdir("/proc/self/fd"))

def connection(call, number):
    # Each call asks for addresses no other call asks for (TEST-NET-2, 198.51.100.0/24
    # and beyond: nothing in /etc/hosts); 0.0.0.0 is never looked up.
    return Connection(
        protocol=Protocol.TCP,
        family=socket.AF_INET,
        local=Endpoint(address=netaddr.IPAddress("0.0.0.0"), port=40000 + number),
        remote=Endpoint(address=netaddr.IPAddress(f"198.51.{call}.{number}"), port=443),
        state=TcpState.ESTABLISHED,
    )

threads_before, fds_before = threading.active_count(), fds()
calls_seconds, threads, open_fds, numeric = [], [], [], True
began = time.monotonic()
for call in range(calls):
    rows = [connection(call, number) for number in range(1, peers + 1)]
    started = time.monotonic()
    named = resolve_names(
        rows, timeout=timeout, deadline=deadline, workers=workers, cache=NameCache()
    )
    calls_seconds.append(time.monotonic() - started)
    threads.append(threading.active_count())
    open_fds.append(fds())
    numeric = numeric and all(
        row.remote_name is None or row.remote_name.host == str(row.remote.address)
        for row in named
    )
total_seconds = time.monotonic() - began

# Every question the server got: the name asked (a PTR name, 4.3.2.1.in-addr.arpa).
server.setblocking(False)
asked = set()
while True:
    try:
        query = server.recv(4096)
    except BlockingIOError:
        break
    labels, offset = [], 12  # after the header
    while offset < len(query) and query[offset]:
        length = query[offset]
        labels.append(query[offset + 1 : offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    asked.add(".".join(labels))

print(json.dumps({
    "threads_before": threads_before, "fds_before": fds_before, "threads": threads,
    "fds": open_fds, "calls_seconds": calls_seconds, "total_seconds": total_seconds,
    "asked": sorted(asked), "numeric": numeric,
}))
"""


@contextlib.contextmanager
def resolv_conf(namespace: netns.Namespace, text: str):  # type: ignore[no-untyped-def]
    """``/etc/netns/<namespace>/resolv.conf`` holding ``text``, removed afterwards (with
    the folders this made)."""
    made = [folder for folder in (NETNS_ETC, NETNS_ETC / namespace.name) if not folder.exists()]
    for folder in made:
        folder.mkdir()
    path = NETNS_ETC / namespace.name / "resolv.conf"
    try:
        path.write_text(text)
        yield path
    finally:
        path.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):  # another test may have put a file there
                folder.rmdir()


def test_calls_against_a_silent_dns_server_hold_at_most_workers_threads() -> None:
    with (
        netns.namespace("dns") as namespace,
        resolv_conf(namespace, "nameserver 127.0.0.1\noptions timeout:30 attempts:1\n"),
    ):
        done = subprocess.run(
            namespace.exec_args(
                sys.executable,
                "-c",
                BODY,
                json.dumps([CALLS, PEERS, WORKERS, TIMEOUT, DEADLINE]),
            ),
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/",  # python -c imports from its working directory first
            env={**os.environ, "PYTHONPATH": str(REPOSITORY)},  # this checkout's netstatlib
        )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    # The deadline holds: every call returned soon after it, with the addresses numeric.
    assert max(found["calls_seconds"]) < DEADLINE + 2.0
    assert found["numeric"]
    # Never more lookup threads than `workers`, nor more open files than their sockets.
    assert max(found["threads"]) <= found["threads_before"] + WORKERS
    assert max(found["fds"]) <= found["fds_before"] + WORKERS
    # The stuck lookups are all that was ever asked: each call's other lookups were
    # withdrawn at its deadline before they started. (A lookup frees its thread after the
    # resolver's 30 s; a run that took longer could have started that many more.)
    rounds = 1 + int(found["total_seconds"] // 30)
    assert 1 <= len(found["asked"]) <= WORKERS * rounds
    assert all(name.endswith(".in-addr.arpa") for name in found["asked"])
