"""What watch() lends the queries of its samples, on this machine: the owner walk that
remembers descriptors, against the full walk, while a process in a namespace the test
creates opens, closes, reuses, duplicates and hands down sockets between two walks; and
the records kept from one listing to the next."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

import netstatlib
from netstatlib import _sources
from netstatlib._owner_memory import OwnerMemory
from netstatlib.backends import LinuxProcfs
from netstatlib.parsers.sockdiag import ROW_MEMORY, RowMemory

from . import netns

pytestmark = pytest.mark.live

# Runs inside the namespace: answers one JSON command per line with one JSON line.
HOLDER_CODE = r"""
import json, os, socket, sys, time
held = {}
children = []

def listener():
    s = socket.create_server(("127.0.0.1", 0))
    fd = s.detach()
    return fd

def inode(fd):
    return os.fstat(fd).st_ino

for line in sys.stdin:
    command = json.loads(line)
    what = command["do"]
    if what == "open":
        fd = listener()
        reply = {"fd": fd, "inode": inode(fd)}
    elif what == "reopen":  # close a descriptor, open a socket on the same number
        os.close(command["fd"])
        fd = listener()
        assert fd == command["fd"], (fd, command["fd"])
        reply = {"fd": fd, "inode": inode(fd)}
    elif what == "dup2":
        os.dup2(command["src"], command["dst"])
        reply = {"fd": command["dst"], "inode": inode(command["dst"])}
    elif what == "fork":
        pid = os.fork()
        if pid == 0:
            sys.stdin.close()
            time.sleep(3600)
            os._exit(0)
        children.append(pid)
        reply = {"pid": pid}
    elif what == "close":
        os.close(command["fd"])
        reply = {}
    elif what == "reap":
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        children.clear()
        reply = {}
    else:
        reply = {"error": what}
    reply["pid"] = reply.get("pid", os.getpid())
    print(json.dumps(reply), flush=True)
"""


class Holder:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.pid = process.pid

    def do(self, what: str, **arguments: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"do": what, **arguments}) + "\n")
        self.process.stdin.flush()
        reply: dict[str, Any] = netns.read_json_line(self.process)
        assert "error" not in reply, reply
        return reply


@pytest.fixture
def holder() -> Iterator[Holder]:
    with netns.python_in("ownmem", HOLDER_CODE) as (ns, process):
        netns.wait_until_in_namespace(process.pid, ns)
        yield Holder(process)  # the holder and its children end together


def _inodes(holder: Holder) -> set[int]:
    """The socket inodes the holder's namespace lists (what a query hands the walk)."""
    rows = netstatlib.connections("all", processes=False, backend=LinuxProcfs(pid=holder.pid))
    return {row.inode for row in rows if row.inode}


def _walks(memory: OwnerMemory, holder: Holder) -> tuple[dict[int, Any], dict[int, Any]]:
    """The remembering walk and the full walk, of the holder's namespace, for the
    sockets it lists."""
    namespace = _sources.network_namespace(f"/proc/{holder.pid}/ns/net")
    assert namespace is not None
    wanted = _inodes(holder)
    remembered = memory.walk(b"/proc", namespace, wanted)
    full = _sources.FolderSource("/proc").owner_walk(namespace=namespace, inodes=wanted)
    assert remembered.owners is not None and full.owners is not None
    return remembered.owners, full.owners


def test_new_closed_reused_and_inherited_descriptors(holder: Holder) -> None:
    memory = OwnerMemory(refresh=3600)
    first = holder.do("open")
    second = holder.do("open")
    remembered, full = _walks(memory, holder)
    assert remembered == full
    assert full[first["inode"]] == (holder.pid,) and full[second["inode"]] == (holder.pid,)
    assert (memory.walks, memory.full_walks) == (1, 1)

    # A new descriptor: read on its own, no full walk.
    third = holder.do("open")
    remembered, full = _walks(memory, holder)
    assert remembered == full and third["inode"] in remembered
    assert memory.full_walks == 1

    # A closed one: its socket is gone, with its owner.
    holder.do("close", fd=second["fd"])
    remembered, full = _walks(memory, holder)
    assert remembered == full and second["inode"] not in remembered
    assert memory.full_walks == 1

    # A number closed and given to a new socket: the new socket has no owner in what
    # was remembered, which makes the walk a full one.
    fourth = holder.do("reopen", fd=first["fd"])
    assert fourth["inode"] != first["inode"]
    remembered, full = _walks(memory, holder)
    assert remembered == full and remembered[fourth["inode"]] == (holder.pid,)
    assert memory.full_walks == 2

    # A child inherits every socket: a new process is read whole.
    child = holder.do("fork")["pid"]
    remembered, full = _walks(memory, holder)
    assert remembered == full
    assert remembered[third["inode"]] == tuple(sorted((holder.pid, child)))
    assert memory.full_walks == 2

    # The child gone: its sockets are the holder's alone again.
    holder.do("reap")
    remembered, full = _walks(memory, holder)
    assert remembered == full and remembered[third["inode"]] == (holder.pid,)
    assert memory.full_walks == 2
    assert memory.walks == 6


def test_a_socket_moved_onto_a_reused_number_waits_for_the_refresh(holder: Holder) -> None:
    """The blind spot the module describes: an existing socket duplicated onto a number
    that held another one. No socket is new, so nothing says the walk is wrong until the
    periodic full walk."""
    memory = OwnerMemory(refresh=3600)
    kept = holder.do("open")
    replaced = holder.do("open")
    child = holder.do("fork")["pid"]  # holds both: the replaced socket lives on
    remembered, full = _walks(memory, holder)
    assert remembered == full
    holder.do("dup2", src=kept["fd"], dst=replaced["fd"])
    remembered, full = _walks(memory, holder)
    assert full[replaced["inode"]] == (child,)
    assert remembered[replaced["inode"]] == tuple(sorted((holder.pid, child)))  # stale
    memory.refresh = 0  # the refresh is due
    remembered, full = _walks(memory, holder)
    assert remembered == full
    assert memory.full_walks == 2


def test_a_process_folder_with_another_inode_is_read_whole(
    holder: Holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pid reused by a new process has a new /proc/<pid> folder (another inode): its
    descriptors are read again, not taken from the old process's."""
    memory = OwnerMemory(refresh=3600)
    holder.do("open")
    namespace = _sources.network_namespace(f"/proc/{holder.pid}/ns/net")
    wanted = _inodes(holder)
    memory.walk(b"/proc", namespace, wanted)
    read: list[bytes] = []
    readlink = os.readlink

    def counting(path: Any, *, dir_fd: int | None = None) -> Any:
        read.append(path)
        return readlink(path, dir_fd=dir_fd)

    monkeypatch.setattr(os, "readlink", counting)
    memory.walk(b"/proc", namespace, wanted)
    remembered = memory._processes[str(holder.pid).encode()]
    assert remembered.fds and not read  # nothing new: no link read
    remembered.folder += 1  # as if another process now had this pid
    memory.walk(b"/proc", namespace, wanted)
    assert sorted(read) == sorted(remembered.fds)  # every descriptor of the holder read again
    assert memory.full_walks == 1


def test_watch_lends_the_memory_to_the_backend_walk(holder: Holder) -> None:
    """Owners found through the memory are the owners a plain query finds."""
    opened = holder.do("open")
    backend = LinuxProcfs(pid=holder.pid)
    memory = OwnerMemory()
    token = _sources.OWNER_MEMORY.set(memory)
    try:
        first = netstatlib.connections("tcp", backend=backend)
        again = netstatlib.connections("tcp", backend=backend)
    finally:
        _sources.OWNER_MEMORY.reset(token)
    plain = netstatlib.connections("tcp", backend=backend)
    assert memory.walks == 2 and memory.full_walks == 1
    for rows in (first, again):
        assert {row.inode: row.pids for row in rows} == {row.inode: row.pids for row in plain}
    assert {row.inode: row.pids for row in plain}[opened["inode"]] == (holder.pid,)


def test_listings_share_records_only_when_nothing_completes_them(holder: Holder) -> None:
    """What watch() lends without owners: a socket listed unchanged keeps its record. A
    query with owners completes its records in place, so it never shares them."""
    holder.do("open")
    holder.do("open")
    backend = LinuxProcfs(pid=holder.pid)
    memory = RowMemory()
    token = ROW_MEMORY.set(memory)
    try:
        first = netstatlib.connections("tcp", processes=False, backend=backend)
        again = netstatlib.connections("tcp", processes=False, backend=backend)
        owned = netstatlib.connections("tcp", backend=backend)
        owned_again = netstatlib.connections("tcp", backend=backend)
    finally:
        ROW_MEMORY.reset(token)
    assert len(first) >= 2 and list(again) == list(first)
    assert {id(row) for row in again} == {id(row) for row in first}
    assert list(owned_again) == list(owned) and all(row.pids for row in owned)
    shared = {id(row) for row in first} | {id(row) for row in owned}
    assert not shared & {id(row) for row in owned_again}
