"""Sources: the trees of files a backend reads, wherever they are.

A backend that parses files never opens one itself: it asks a :class:`Source` for the
bytes of a relative path (``"net/tcp"``, ``"812/comm"``, ``"manifest.json"``). Two kinds
exist:

* :class:`FolderSource`: a folder on this machine. The live ``/proc``, a host's ``/proc``
  mounted into a container, and a capture folder are all folders laid out like
  ``/proc``; a folder of saved Windows ``netstat`` outputs is one too.
* :class:`MemorySource`: files given as bytes, which nothing writes to disk
  (:class:`~netstatlib.backends.CapturedText` serves captured text this way).

Besides files, a ``/proc`` tree says which process holds which socket (the links under
``<pid>/fd``): :meth:`Source.socket_owners` walks them where there are process folders,
skipping the processes known to be in another network namespace (``<pid>/ns/net``).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from ._errors import AccessDeniedError, NetstatError, SourceNotFoundError, UsageError

__all__ = ["FolderSource", "MemorySource", "Source"]

SocketOwners = dict[int, tuple[int, ...]]
"""Socket inode to the sorted pids of the processes holding it."""

NamespaceId = tuple[int, int]
"""A network namespace, as ``(st_dev, st_ino)`` of a ``<pid>/ns/net`` link followed by
``stat()``: two processes share a namespace when these are equal (what ``ip netns
identify`` compares)."""


def network_namespace(path: str | bytes) -> NamespaceId | None:
    """The namespace the ``ns/net`` link at ``path`` stands for (``/proc/self/ns/net``,
    ``/proc/812/ns/net``), or ``None`` when it cannot be known.

    ``stat()`` follows the link to the namespace's inode in nsfs. It fails for a process
    that is gone, for one the caller may not inspect (``ptrace`` access rules), in a folder
    without ``ns`` links (a capture), and even for root on ``/proc/1/ns/net`` in some
    sandboxes (``EACCES``): all of these are "unknown".
    """
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


@runtime_checkable
class Source(Protocol):
    """A tree of files, read by relative ``/``-separated paths."""

    @property
    def name(self) -> str:
        """Where the files are: a folder's path, or a label (``"<captured text>"``)."""
        ...

    @property
    def is_live(self) -> bool:
        """Whether this is the running kernel's own ``/proc``."""
        ...

    def read(self, path: str, *, optional: bool = False) -> bytes | None:
        """The bytes of ``path``. A file that does not exist is ``None`` when
        ``optional``, else :class:`~netstatlib.SourceNotFoundError`; one that cannot be
        read raises :class:`~netstatlib.AccessDeniedError` or
        :class:`~netstatlib.NetstatError`, naming it."""
        ...

    def location(self, path: str) -> str:
        """How messages name ``path`` (the full path of a file in a folder)."""
        ...

    def listdir(self, path: str = "") -> list[str]:
        """The names in the folder ``path``; empty when there is no such folder."""
        ...

    def socket_owners(
        self, *, namespace: NamespaceId | None = None, inodes: Collection[int] | None = None
    ) -> SocketOwners | None:
        """Socket inode to the sorted pids holding it, by one walk of ``<pid>/fd``;
        ``None`` when no process could be inspected (no process folders).

        ``namespace`` is the network namespace whose sockets are wanted, as
        ``(st_dev, st_ino)`` of ``os.stat("/proc/<pid>/ns/net")``: a process whose
        ``<pid>/ns/net`` is known to be another one is not walked, and counts as
        inspected, holding none of them (so when every process is elsewhere the answer is
        ``{}``, "no owner", not ``None``). A process whose namespace cannot be known
        (that ``stat`` fails) is walked. ``inodes``, when given, are the only sockets to
        report. A source that cannot walk returns ``None`` whatever it is given.
        """
        ...


def _parts(path: str) -> list[str]:
    parts = path.split("/") if path else []
    if any(part in ("", ".", "..") for part in parts) or "\\" in path or "\0" in path:
        raise UsageError(f"not a relative path of a source: {path!r}")
    return parts


class FolderSource:
    """The files of a folder on this machine (``/proc`` by default)."""

    def __init__(self, root: str | os.PathLike[str] = "/proc") -> None:
        self.root = os.fspath(root)
        self._live: bool | None = None

    @property
    def name(self) -> str:
        return self.root

    @property
    def is_live(self) -> bool:
        if self._live is None:  # resolved on first use: making a source reads nothing
            self._live = os.path.realpath(self.root) == "/proc"
        return self._live

    def __repr__(self) -> str:
        return f"FolderSource({self.root!r})"

    def location(self, path: str) -> str:
        return os.path.join(self.root, *_parts(path))

    def read(self, path: str, *, optional: bool = False) -> bytes | None:
        full = self.location(path)
        try:
            with open(full, "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError):
            if optional:
                return None
            raise SourceNotFoundError(f"{full} does not exist", path=full) from None
        except PermissionError as exc:
            raise AccessDeniedError(f"cannot read {full}: {exc.strerror}", path=full) from exc
        except OSError as exc:
            raise NetstatError(f"cannot read {full}: {exc.strerror or exc}") from exc

    def listdir(self, path: str = "") -> list[str]:
        try:
            return os.listdir(self.location(path))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise NetstatError(f"cannot list {self.location(path)}: {exc.strerror or exc}") from exc

    def socket_owners(
        self, *, namespace: NamespaceId | None = None, inodes: Collection[int] | None = None
    ) -> SocketOwners | None:
        root = os.fsencode(self.root)
        try:
            entries = [entry for entry in os.listdir(root) if entry.isdigit()]
        except OSError as exc:
            raise NetstatError(f"cannot list {self.root}: {exc.strerror or exc}") from exc
        wanted = None if inodes is None else _as_set(inodes)
        # Threads overlap the system calls of the walk (they release the GIL); a list's
        # iterator shared between them hands each process to exactly one thread.
        pending = iter(entries)
        workers = min(_WALK_THREADS, len(entries))
        if workers <= 1:
            parts = [_walk_fds(root, pending, namespace, wanted)]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="netstatlib-walk") as pool:
                futures = [
                    pool.submit(_walk_fds, root, pending, namespace, wanted) for _ in range(workers)
                ]
                parts = [future.result() for future in futures]
        if not any(inspected for _, inspected in parts):
            return None
        found = parts[0][0]
        for other, _ in parts[1:]:
            # Sockets shared between processes of different threads are few: merge those
            # one by one, take the rest in one update (set and dict operations run in C).
            shared = {
                inode: tuple(sorted({*found[inode], *other[inode]}))
                for inode in found.keys() & other.keys()
            }
            found.update(other)
            found.update(shared)
        return found


def _as_set(inodes: Collection[int]) -> Collection[int]:
    """``inodes`` as something ``in`` answers in constant time."""
    if isinstance(inodes, (set, frozenset)):
        return inodes
    return frozenset(inodes)


# The walk at 100k sockets (benchmarks/bench_owner_walk.py: 100k socket fds in 6
# processes of a namespace of their own, 2-core KVM guest, AMD EPYC, Linux 6.18, CPython
# 3.11; medians of 15 interleaved rounds, two runs on a quiet machine):
#
#   per fd                                             1 thread      2 threads
#   readlink(fd, dir_fd=...), parse "socket:[N]"       796, 802 ms   713, 669 ms
#   stat(fd, dir_fd=...), S_ISSOCK(st_mode), st_ino    789, 784 ms   651, 667 ms
#   lstat(fd, dir_fd=...) alone: the lookup both pay   559, 590 ms
#
# Most of the cost is looking the fd up in /proc/<pid>/fd; readlink and stat differ by
# less than runs do (an earlier run at 102k had readlink ahead). readlink stays: stat()
# follows the link to the open file itself and asks its filesystem for attributes, which
# for a file on NFS or FUSE can be a round trip to a server or a daemon that may not
# answer, and the walk would hang there; readlink prints the name the kernel holds.
#
# Two threads: 10-17% less wall time for 40-55% more CPU time. The per-fd Python work
# holds the GIL and each system call hands it over, so the threads overlap only partly,
# and only while the second core is free (on a loaded machine they gained nothing).
#
# The namespace test is what pays: the same walk for another namespace (every one of the
# 6 processes skipped after one stat() of its ns/net) took 4.8 and 5.3 ms.
_WALK_THREADS = min(4, os.cpu_count() or 1)
# O_DIRECTORY does not exist on Windows, where a captured /proc may be read too.
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def _walk_fds(
    root: bytes,
    pending: Iterator[bytes],
    namespace: NamespaceId | None,
    wanted: Collection[int] | None,
) -> tuple[SocketOwners, int]:
    """Walk ``<root>/<pid>/fd`` for the pids taken from ``pending``.

    Returns the sockets found (inode to sorted pids), only those in ``wanted`` when it is
    given, and how many processes could be inspected. A process known to be in another
    network namespace than ``namespace`` is inspected without a walk: none of its
    sockets are reported. Processes that vanish or cannot be read mid-walk are skipped:
    that is normal on a live host. Bytes paths all along: no str round trips per fd.
    """
    found: SocketOwners = {}
    inspected = 0
    readlink = os.readlink
    get = found.get
    for entry in pending:
        base = root + b"/" + entry
        if namespace is not None:
            theirs = network_namespace(base + b"/ns/net")
            if theirs is not None and theirs != namespace:
                inspected += 1
                continue
        fd_path = base + b"/fd"
        try:
            fd_dir = os.open(fd_path, _DIRECTORY_FLAGS)
        except OSError:
            continue
        try:
            try:
                fds = os.listdir(fd_path)
            except OSError:
                continue
            inspected += 1
            pid = int(entry)
            mine = (pid,)  # one tuple shared by every socket of this process
            for fd in fds:
                try:
                    target = readlink(fd, dir_fd=fd_dir)
                except OSError:
                    continue
                # socket:[12345], as procfs.parse_socket_link() reads it, inlined: this
                # runs once per open file of every process.
                if target[:8] != b"socket:[" or target[-1:] != b"]":
                    continue
                try:
                    inode = int(target[8:-1])
                except ValueError:
                    continue
                if wanted is not None and inode not in wanted:
                    continue
                pids = get(inode)
                if pids is None:
                    found[inode] = mine
                elif pid not in pids:
                    found[inode] = tuple(sorted((*pids, pid)))
        finally:
            os.close(fd_dir)
    return found, inspected


class MemorySource:
    """Files given as bytes, keyed by relative ``/``-separated path (``"net/tcp"``).

    Nothing is written to disk. There are no process folders to walk: which process
    holds which socket comes from a capture's ``processes.json``, if given.
    """

    def __init__(self, files: Mapping[str, bytes], *, name: str = "<memory>") -> None:
        self.name = name
        self._files: dict[str, bytes] = {}
        for path, data in files.items():
            if not isinstance(path, str) or not path:
                raise UsageError(f"not a relative path of a source: {path!r}")
            if not isinstance(data, bytes):
                raise UsageError(f"the content of {path!r} must be bytes")
            self._files["/".join(_parts(path))] = data

    @property
    def is_live(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<MemorySource {self.name}: {len(self._files)} files>"

    def location(self, path: str) -> str:
        return f"{self.name}/{'/'.join(_parts(path))}"

    def read(self, path: str, *, optional: bool = False) -> bytes | None:
        data = self._files.get("/".join(_parts(path)))
        if data is None and not optional:
            where = self.location(path)
            raise SourceNotFoundError(f"{where} does not exist", path=where)
        return data

    def listdir(self, path: str = "") -> list[str]:
        prefix = "/".join(_parts(path))
        prefix = f"{prefix}/" if prefix else ""
        names = {
            name[len(prefix) :].split("/", 1)[0] for name in self._files if name.startswith(prefix)
        }
        return sorted(names)

    def socket_owners(
        self, *, namespace: NamespaceId | None = None, inodes: Collection[int] | None = None
    ) -> SocketOwners | None:
        return None
