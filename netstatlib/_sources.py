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
``<pid>/fd``): :meth:`Source.socket_owners` walks them where there are process folders.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from ._errors import AccessDeniedError, NetstatError, SourceNotFoundError, UsageError

__all__ = ["FolderSource", "MemorySource", "Source"]

SocketOwners = dict[int, tuple[int, ...]]
"""Socket inode to the sorted pids of the processes holding it."""


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

    def socket_owners(self) -> SocketOwners | None:
        """Socket inode to the sorted pids holding it, by one walk of ``<pid>/fd``;
        ``None`` when no process could be inspected (no process folders)."""
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

    def socket_owners(self) -> SocketOwners | None:
        root = os.fsencode(self.root)
        try:
            entries = [entry for entry in os.listdir(root) if entry.isdigit()]
        except OSError as exc:
            raise NetstatError(f"cannot list {self.root}: {exc.strerror or exc}") from exc
        # Most of the walk is readlink() in the kernel, which releases the GIL, so a few
        # threads sharing one iterator over the processes overlap it on several cores
        # (0.38 s -> 0.25 s for 96k sockets on 2 cores). Iterating a list from several
        # threads is safe: each process is taken by exactly one of them.
        pending = iter(entries)
        workers = min(_WALK_THREADS, len(entries))
        if workers <= 1:
            parts = [_walk_fds(root, pending)]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="netstatlib-walk") as pool:
                futures = [pool.submit(_walk_fds, root, pending) for _ in range(workers)]
                parts = [future.result() for future in futures]
        if not any(inspected for _, inspected in parts):
            return None
        found = parts[0][0]
        for other, _ in parts[1:]:
            for inode, pids in other.items():
                have = found.get(inode)
                found[inode] = pids if have is None else tuple(sorted({*have, *pids}))
        return found


_WALK_THREADS = min(4, os.cpu_count() or 1)
# O_DIRECTORY does not exist on Windows, where a captured /proc may be read too.
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def _walk_fds(root: bytes, pending: Iterator[bytes]) -> tuple[SocketOwners, int]:
    """Walk ``<root>/<pid>/fd`` for the pids taken from ``pending``.

    Returns the sockets found (inode to sorted pids) and how many processes could be
    inspected. Processes that vanish or cannot be read mid-walk are skipped: that is
    normal on a live host. Bytes paths all along: no str round trips per fd.
    """
    found: SocketOwners = {}
    inspected = 0
    readlink = os.readlink
    get = found.get
    for entry in pending:
        fd_path = root + b"/" + entry + b"/fd"
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

    def socket_owners(self) -> SocketOwners | None:
        return None
