"""The /proc/*/fd walk on this machine: a process in a namespace the test creates holds a
listening socket, this test process holds one in the host's namespace, and each query
walks the processes of its own namespace only (and those whose namespace it cannot
know), never those known to be elsewhere."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import netstatlib
from netstatlib import _sources
from netstatlib.backends import LinuxProcfs

from . import netns

pytestmark = pytest.mark.live

# Runs inside the namespace: a TCP listener, described on one JSON line, held until EOF.
HOLDER_CODE = """
import json, os, socket, sys
listener = socket.create_server(("127.0.0.1", 0))
inode = os.fstat(listener.fileno()).st_ino
print(json.dumps({"pid": os.getpid(), "port": listener.getsockname()[1], "inode": inode}))
sys.stdout.flush()
sys.stdin.read()
"""


@dataclass
class Holder:
    pid: int
    port: int
    inode: int


@pytest.fixture(scope="module")
def holder() -> Iterator[Holder]:
    with netns.python_in("walk", HOLDER_CODE) as (ns, process):
        info = netns.read_json_line(process)
        assert info["pid"] == process.pid  # ip netns exec execs: the holder is our child
        netns.wait_until_in_namespace(process.pid, ns)
        yield Holder(pid=info["pid"], port=info["port"], inode=info["inode"])


@pytest.fixture
def ours() -> Iterator[int]:
    """The inode of a socket this test process holds, in the host's namespace."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield os.fstat(held.fileno()).st_ino


@pytest.fixture
def walked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids whose fd folder the walk lists, in the order they are listed."""
    pids: list[int] = []
    listdir = os.listdir

    def recording(path: bytes) -> list[bytes]:
        if isinstance(path, bytes) and path.endswith(b"/fd"):
            pids.append(int(path.split(b"/")[-2]))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", recording)
    return pids


def test_the_owner_in_another_namespace_is_found(holder: Holder) -> None:
    rows = netstatlib.listening("tcp4", backend=LinuxProcfs(pid=holder.pid))
    (row,) = [row for row in rows if row.local is not None and row.local.port == holder.port]
    assert row.inode == holder.inode
    assert row.pids == (holder.pid,)
    assert row.process == netns.comm(holder.pid)


def test_a_namespace_walk_skips_the_host_processes(
    holder: Holder, ours: int, walked: list[int]
) -> None:
    owners = LinuxProcfs(pid=holder.pid).socket_owners()
    assert owners is not None and owners[holder.inode] == (holder.pid,)
    assert ours not in owners  # held by this process, in the host's namespace
    assert holder.pid in walked
    assert os.getpid() not in walked
    # Without a namespace to compare with, every process is walked (the control).
    everything = _sources.FolderSource("/proc").socket_owners()
    assert everything is not None and everything[ours] == (os.getpid(),)


def test_a_host_walk_skips_the_namespace_process(
    holder: Holder, ours: int, walked: list[int]
) -> None:
    owners = LinuxProcfs().socket_owners()
    assert owners is not None and owners[ours] == (os.getpid(),)
    assert holder.inode not in owners
    assert holder.pid not in walked and os.getpid() in walked
    rows = netstatlib.connections("tcp4", backend=LinuxProcfs())
    assert not any(row.inode == holder.inode for row in rows)  # not this namespace's table


def test_a_process_whose_namespace_cannot_be_read_is_walked(
    holder: Holder, walked: list[int]
) -> None:
    """Some sandboxes refuse even root ``stat()`` of ``/proc/1/ns/net`` (EACCES) while its
    fd folder can be listed: the walk cannot place it, so it walks it."""
    if _sources.network_namespace("/proc/1/ns/net") is not None:
        pytest.skip(
            "This machine lets root read /proc/1/ns/net: the refusal tested here does not happen."
        )
    if not os.access("/proc/1/fd", os.R_OK):
        pytest.skip("This machine refuses /proc/1/fd too: there is nothing to walk.")
    assert LinuxProcfs(pid=holder.pid).socket_owners() is not None
    assert 1 in walked
