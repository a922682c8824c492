"""Owners looked up again and again: what a walk of ``/proc/*/fd`` can remember.

Finding a socket's owners means reading the link of every open descriptor of every
process (``readlink("/proc/<pid>/fd/<n>")``): on a host with 10k sockets that is most of
what a sample of :func:`~netstatlib.watch` with owners costs, every second, for an answer
that barely changed. :class:`OwnerMemory` keeps, for each process, what each of its
descriptor numbers was, and the next walk reads the link of a descriptor only when its
number is new: one listing of each ``fd`` folder instead of one system call per
descriptor.

A number can be closed and opened again between two walks, by another socket: the
listing does not show that. What keeps the result right:

* A process is known by its ``/proc/<pid>`` folder's inode: a process that exited and a
  new one given the same pid have different folders (procfs drops the old one), so the
  new one is walked whole.
* A socket of the listing that no process was found to hold, and that was not ownerless
  the walk before, makes this walk a full one, forgetting everything: a new socket
  under a reused number is found that way.
* What is left is an existing socket that moved under a number some process had used
  for another (``dup2()`` onto it, or one passed over a UNIX socket landing on a
  number just closed) between two walks: its new holder is missed, and the old socket
  is still counted to it. A full walk every ``refresh`` seconds (30 by default) bounds
  how long such an owner can be wrong.

Only for the live ``/proc``: a capture is read once. The memory is bounded by the host's
open descriptors. A watch lends one to the walks of its samples through a context
variable (``_sources.OWNER_MEMORY``): other threads and callers never see it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Collection
from collections.abc import Set as AbstractSet

from ._errors import NetstatError
from ._sources import (
    _DENIED,
    _DIRECTORY_FLAGS,
    NamespaceId,
    OwnerWalk,
    SocketOwners,
    counted_refusal,
    elsewhere,
    hidden_processes,
)

__all__ = ["OwnerMemory"]


class _Process:
    """One process as the last walk saw it: its folder's inode, its descriptor numbers
    as listed, the socket inode each held (``None`` for anything that is not a socket),
    and those sockets."""

    __slots__ = ("fds", "folder", "numbers", "sockets")

    def __init__(self, folder: int, numbers: list[bytes], fds: dict[bytes, int | None]) -> None:
        self.folder = folder
        self.numbers = numbers
        self.fds = fds
        self.sockets = {inode for inode in fds.values() if inode is not None}


class OwnerMemory:
    """What the walks of one watch remember of every process's descriptors (see the
    module's description). Not thread-safe: one walk at a time."""

    def __init__(self, *, refresh: float = 30.0) -> None:
        self.refresh = refresh
        """Seconds after which the next walk is a full one whatever happened."""
        self.full_walks = 0
        """How many walks read every descriptor (the first, the periodic ones, and
        those a new socket without an owner caused)."""
        self.walks = 0
        """How many walks were made."""
        self._processes: dict[bytes, _Process] = {}
        self._ownerless: set[int] = set()
        self._scope: tuple[bytes, NamespaceId | None] | None = None
        self._full_at = -float("inf")

    def walk(
        self, root: bytes, namespace: NamespaceId | None, inodes: Collection[int] | None
    ) -> OwnerWalk:
        """The walk of ``FolderSource.owner_walk`` for the live ``/proc`` at ``root``,
        reading only the descriptors this memory does not know."""
        self.walks += 1
        wanted: AbstractSet[int] | None = None
        if inodes is not None:
            wanted = inodes if isinstance(inodes, (set, frozenset)) else frozenset(inodes)
        scope = (root, namespace)
        full = scope != self._scope or time.monotonic() - self._full_at >= self.refresh
        if full:
            self._forget(scope)
        found = self._walk(root, namespace, wanted)
        if (
            not full
            and found.owners is not None
            and wanted is not None
            and wanted - found.owners.keys() - self._ownerless
        ):
            # A socket nobody was found to hold, that had an owner or did not exist at
            # the last walk: maybe under a number reused since. Walk everything.
            self._forget(scope)
            found = self._walk(root, namespace, wanted)
        if found.owners is not None and wanted is not None:
            self._ownerless = set(wanted - found.owners.keys())
        return found

    def _forget(self, scope: tuple[bytes, NamespaceId | None]) -> None:
        self._processes.clear()
        self._ownerless = set()
        self._scope = scope
        self._full_at = time.monotonic()
        self.full_walks += 1

    def _walk(
        self, root: bytes, namespace: NamespaceId | None, wanted: AbstractSet[int] | None
    ) -> OwnerWalk:
        try:
            with os.scandir(root) as listing:
                entries = [(entry.name, entry.inode()) for entry in listing if entry.name.isdigit()]
        except OSError as exc:
            raise NetstatError(f"cannot list {os.fsdecode(root)}: {exc.strerror or exc}") from exc
        known = self._processes
        seen: dict[bytes, _Process] = {}
        found: SocketOwners = {}
        inspected = denied = vanished = 0
        for name, folder in entries:
            base = root + b"/" + name
            if elsewhere(base, namespace):
                inspected += 1
                continue
            before = known.get(name)
            if before is not None and before.folder != folder:
                before = None  # another process has this pid now
            try:
                process = _read_process(base + b"/fd", folder, before)
            except OSError as exc:
                denied, vanished = counted_refusal(exc, denied, vanished)
                continue
            inspected += 1
            seen[name] = process
            if not process.sockets:
                continue
            # Sockets are rarely shared between processes: take them in one update (C
            # speed), then merge the shared ones.
            mine = (int(name),)
            shared = found.keys() & process.sockets
            others = {inode: found[inode] for inode in shared}
            found.update(dict.fromkeys(process.sockets, mine))
            for inode, pids in others.items():
                if mine[0] not in pids:
                    found[inode] = tuple(sorted((*pids, mine[0])))
        self._processes = seen
        hidden = hidden_processes(os.fsdecode(root))
        if not inspected:
            return OwnerWalk(owners=None, denied=denied, vanished=vanished, hidepid=hidden)
        if wanted is not None:
            for inode in found.keys() - wanted:
                del found[inode]
        return OwnerWalk(owners=found, denied=denied, vanished=vanished, hidepid=hidden)


def _read_process(fd_path: bytes, folder: int, before: _Process | None) -> _Process:
    """A process's descriptors, reading the link of each number ``before`` does not
    know; raises OSError when its ``fd`` folder cannot be read."""
    fd_dir = os.open(fd_path, _DIRECTORY_FLAGS)
    try:
        numbers = os.listdir(fd_path)
        if before is not None and numbers == before.numbers:
            return before  # the same numbers, in the same order: nothing to read
        remembered = before.fds if before is not None else {}
        fds: dict[bytes, int | None] = {}
        readlink = os.readlink
        for fd in numbers:
            if fd in remembered:
                fds[fd] = remembered[fd]
                continue
            try:
                target = readlink(fd, dir_fd=fd_dir)
            except OSError as exc:
                # Refused (some sandboxes refuse even root the links of pid 1): it will
                # be again, and the full walk skips it too. Otherwise closed meanwhile:
                # read again next time.
                if exc.errno in _DENIED:
                    fds[fd] = None
                continue
            inode = None
            if target[:8] == b"socket:[" and target[-1:] == b"]":
                with contextlib.suppress(ValueError):
                    inode = int(target[8:-1])
            fds[fd] = inode
    finally:
        os.close(fd_dir)
    return _Process(folder, numbers, fds)
