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

A folder is read one of two ways. A ``/proc`` (the live one, or one mounted elsewhere:
the folder is on a ``proc`` filesystem) is the kernel's own: its links (``net`` is
``self/net``) are followed as the kernel made them. Any other folder is a capture, which
may come from anyone: it is read without ever following a link, only regular files are
read, each at most :data:`MAX_FILE_SIZE` bytes, and anything else is a
:class:`~netstatlib.ParseError` naming the path, so that a capture can neither show this
machine's files nor hang or exhaust the reader (``docs/security.md``).
"""

from __future__ import annotations

import contextvars
import errno
import os
import stat
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import NamedTuple, NoReturn, Protocol, runtime_checkable

import attrs

from ._errors import AccessDeniedError, NetstatError, ParseError, SourceNotFoundError, UsageError

__all__ = [
    "MAX_FILE_SIZE",
    "MAX_PID",
    "FolderSource",
    "MemorySource",
    "OwnerWalk",
    "Source",
    "hidden_processes",
    "read_file",
]

MAX_FILE_SIZE = 1 << 30
"""The largest file (1 GiB) a capture folder may hold. The largest real ``/proc/net`` file
is far smaller: ``net/tcp`` of a host with a million sockets is about 150 MB (150 bytes a
row). A larger file, whatever its content, is refused rather than read into memory."""

MAX_PID = 0xFFFF_FFFF
"""The largest process id a capture may name: a pid is a 32-bit number on Linux (a
signed ``pid_t`` below ``PID_MAX_LIMIT``, ``2**22``) and Windows (a ``DWORD``); 0 is no
process on either."""

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


class RememberingWalker(Protocol):
    """What :mod:`netstatlib._owner_memory` lends the live walks of a block of code."""

    def walk(
        self, root: bytes, namespace: NamespaceId | None, inodes: Collection[int] | None
    ) -> OwnerWalk: ...


OWNER_MEMORY: contextvars.ContextVar[RememberingWalker | None] = contextvars.ContextVar(
    "netstatlib_owner_memory", default=None
)
"""The memory the live owner walks of the running code use, if one was lent
(:func:`netstatlib._owner_memory.remembering_owners`); per thread and per context."""


@attrs.frozen(kw_only=True)
class OwnerWalk:
    """The result of one walk of ``<pid>/fd`` (:meth:`FolderSource.owner_walk`)."""

    owners: SocketOwners | None
    """Socket inode to the sorted pids holding it; ``None`` when no process could be
    inspected."""
    denied: int = 0
    """Processes seen but not inspected for lack of permission: another user's, when
    not root (their ``fd`` folder answers ``EACCES``)."""
    vanished: int = 0
    """Processes that exited between the listing of the folder and the walk of their
    ``fd`` folder."""
    hidepid: str | None = None
    """The ``hidepid`` mount option of the ``/proc`` walked (``"invisible"``,
    ``"2"``...) when it hides processes from this user, else ``None``."""

    @property
    def complete(self) -> bool:
        """Whether every process that could hold a socket was inspected."""
        return (
            self.owners is not None
            and not self.denied
            and not self.vanished
            and self.hidepid is None
        )


# The hidepid= values of proc(5) under which the processes of other users are not even
# listed (1 and noaccess list them, and their fd folders answer EACCES, which the walk
# counts as denied).
_HIDING = frozenset({"2", "invisible", "ptraceable"})


def hidden_processes(root: str, *, mountinfo: str = "/proc/self/mountinfo") -> str | None:
    """The ``hidepid`` option of the ``proc`` mount at ``root`` when it hides other
    users' processes from this one, else ``None``.

    Read from ``mountinfo`` (proc(5)): the last mount on ``root``'s real path is the one
    visible. The option hides nothing from root, nor from the group its ``gid=`` names.
    """
    if not hasattr(os, "geteuid") or os.geteuid() == 0:
        return None
    try:
        with open(mountinfo, "rb") as handle:
            lines = handle.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    target = os.path.realpath(root)
    options: dict[str, str] | None = None
    for line in lines:
        mount, _, rest = line.partition(" - ")
        fields, tail = mount.split(), rest.split()
        if len(fields) < 6 or len(tail) < 3 or tail[0] != "proc":
            continue
        # Mount points escape space, tab, newline and backslash as octal (\040).
        point = fields[4].encode().decode("unicode_escape")
        if point != target:
            continue
        options = {}
        for option in (*fields[5].split(","), *tail[2].split(",")):
            key, _, value = option.partition("=")
            options[key] = value
    if options is None or options.get("hidepid") not in _HIDING:
        return None
    gid = options.get("gid")
    if gid is not None and gid.isdigit() and int(gid) in {os.getegid(), *os.getgroups()}:
        return None
    return options["hidepid"]


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
    """The files of a folder on this machine (``/proc`` by default).

    A ``/proc`` (the live one, or one mounted elsewhere: a container's ``/host/proc``) is
    read as the kernel presents it, its links followed. Any other folder is a capture,
    read as input that may come from anyone: the folder named is opened as given (a link
    to it is followed, as any program follows the names it is given), but nothing inside
    it is read through a link. A symbolic link anywhere on a path, a file that is not a
    regular file (a FIFO, a device, a folder) and a file over ``max_file_size`` bytes
    (:data:`MAX_FILE_SIZE`, 1 GiB, by default) raise :class:`~netstatlib.ParseError`
    naming the path, before any byte of it is read; so do process folders and their
    ``fd`` folders that are links. Where the operating system cannot open a file
    relative to an open folder (Windows), each name is checked before the file is
    opened, and the process folders of a capture are not walked.
    """

    def __init__(
        self, root: str | os.PathLike[str] = "/proc", *, max_file_size: int = MAX_FILE_SIZE
    ) -> None:
        if isinstance(max_file_size, bool) or not isinstance(max_file_size, int):
            raise UsageError(f"max_file_size must be an int, not {max_file_size!r}")
        if max_file_size < 0:
            raise UsageError(f"max_file_size must be 0 or more, not {max_file_size}")
        self.root = os.fspath(root)
        """The folder, as given (a path string)."""
        self.max_file_size = max_file_size
        """The largest file, in bytes, read from a capture folder; a larger one raises
        :class:`~netstatlib.ParseError` before any byte of it is read. A ``/proc``
        folder's files are read whatever their size."""
        self._live: bool | None = None
        self._procfs: frozenset[int] | None = None

    @property
    def name(self) -> str:
        """The folder's path, as messages name it."""
        return self.root

    @property
    def is_live(self) -> bool:
        """Whether the folder is this machine's ``/proc`` (checked once, on first use,
        by resolving the path)."""
        if self._live is None:  # resolved on first use: making a source reads nothing
            self._live = os.path.realpath(self.root) == "/proc"
        return self._live

    def __repr__(self) -> str:
        return f"FolderSource({self.root!r})"

    def location(self, path: str) -> str:
        """The full path of ``path`` in the folder; :class:`~netstatlib.UsageError` for a
        path that is not relative or climbs out (``..``, ``/etc``, a backslash)."""
        return os.path.join(self.root, *_parts(path))

    def read(self, path: str, *, optional: bool = False) -> bytes | None:
        """The bytes of ``path`` in the folder, by the rules of the class (a capture
        folder: no link followed, regular files only, at most :attr:`max_file_size`
        bytes). A missing file is ``None`` when ``optional``, else
        :class:`~netstatlib.SourceNotFoundError`; a file the user may not read raises
        :class:`~netstatlib.AccessDeniedError`."""
        full = self.location(path)
        try:
            if self.is_live:  # the running kernel's files: the hot path, as plain as it gets
                with open(full, "rb") as handle:
                    return handle.read()
            return self._read_folder(_parts(path))
        except (FileNotFoundError, NotADirectoryError):
            if optional:
                return None
            raise SourceNotFoundError(f"{full} does not exist", path=full) from None
        except PermissionError as exc:
            raise AccessDeniedError(f"cannot read {full}: {exc.strerror}", path=full) from exc
        except OSError as exc:
            raise NetstatError(f"cannot read {full}: {exc.strerror or exc}") from exc

    def listdir(self, path: str = "") -> list[str]:
        """The names in the folder ``path`` (``""``: the root), in no particular order;
        empty when there is no such folder. In a capture folder no link is followed on
        the way."""
        try:
            if self.is_live:
                return os.listdir(self.location(path))
            return self._list_folder(_parts(path))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise NetstatError(f"cannot list {self.location(path)}: {exc.strerror or exc}") from exc

    # -- a folder that is not the live /proc ---------------------------------------------

    def _where(self, parts: Sequence[str | bytes]) -> str:
        return os.path.join(self.root, *(os.fsdecode(part) for part in parts))

    def _open_root(self) -> tuple[int, bool]:
        """The root folder, opened as named, and whether it is a ``/proc``: a folder on a
        ``proc`` filesystem, whose files and links the kernel made."""
        root = os.open(self.root, _DIRECTORY_FLAGS)
        try:
            if self._procfs is None:
                self._procfs = _procfs_devices()
            return root, bool(self._procfs) and os.fstat(root).st_dev in self._procfs
        except BaseException:
            os.close(root)
            raise

    def _descend(self, root: int, parts: Sequence[str]) -> int:
        """The folder ``parts`` below the open ``root``, opened one name at a time without
        following a link (a new descriptor, even for no parts: the caller closes it)."""
        folder = os.dup(root)
        try:
            for depth, part in enumerate(parts, 1):
                try:
                    child = os.open(part, _FOLDER_BENEATH, dir_fd=folder)
                except OSError as exc:
                    _explain(folder, part, self._where(parts[:depth]), exc)
                os.close(folder)
                folder = child
        except BaseException:
            os.close(folder)
            raise
        return folder

    def _read_folder(self, parts: list[str]) -> bytes:
        if not _BENEATH:
            return self._read_checking_names(parts)
        root, is_procfs = self._open_root()
        try:
            if is_procfs:
                handle = os.open("/".join(parts) or ".", os.O_RDONLY, dir_fd=root)
                with open(handle, "rb") as opened:
                    return opened.read()
            if not parts:
                _refuse(os.fstat(root), self.root, folder=False, limit=self.max_file_size)
            folder = self._descend(root, parts[:-1])
        finally:
            os.close(root)
        where = self._where(parts)
        try:
            name = parts[-1]
            # Looked at before it is opened: opening a FIFO waits for a writer, and
            # opening a device can act on it (a tape rewinds).
            before = os.stat(name, dir_fd=folder, follow_symlinks=False)
            _refuse(before, where, folder=False, limit=self.max_file_size)
            handle = os.open(name, _FILE_BENEATH, dir_fd=folder)
        finally:
            os.close(folder)
        try:
            return _read_opened(handle, before, where, self.max_file_size)
        finally:
            os.close(handle)

    def _read_checking_names(self, parts: list[str]) -> bytes:
        """A file read where files cannot be opened relative to an open folder: each
        name on the way is looked at first, and the file opened is checked to be the
        one looked at."""
        path = self.root
        found = os.stat(path)
        for depth, part in enumerate(parts, 1):
            path = os.path.join(path, part)
            found = os.lstat(path)
            _refuse(found, path, folder=depth < len(parts), limit=self.max_file_size)
        if not parts:
            _refuse(found, path, folder=False, limit=self.max_file_size)
        handle = os.open(path, _FILE_BENEATH)
        try:
            return _read_opened(handle, found, path, self.max_file_size)
        finally:
            os.close(handle)

    def _list_folder(self, parts: list[str]) -> list[str]:
        if not _BENEATH:
            path = self.root
            for part in parts:
                path = os.path.join(path, part)
                _refuse(os.lstat(path), path, folder=True, limit=self.max_file_size)
            return os.listdir(path)
        root, is_procfs = self._open_root()
        try:
            if is_procfs:
                folder = os.open("/".join(parts) or ".", _DIRECTORY_FLAGS, dir_fd=root)
            else:
                folder = self._descend(root, parts)
        finally:
            os.close(root)
        try:
            return os.listdir(folder)
        finally:
            os.close(folder)

    def socket_owners(
        self, *, namespace: NamespaceId | None = None, inodes: Collection[int] | None = None
    ) -> SocketOwners | None:
        """Socket inode to the sorted pids of the processes holding it, from one walk of
        the folder's ``<pid>/fd`` links (see :meth:`Source.socket_owners`): processes
        that vanish or may not be inspected during the walk are skipped. ``None`` when
        no process could be inspected, and for a capture folder on a system that cannot
        open files relative to a folder (Windows). :meth:`owner_walk` says, besides,
        which processes were skipped and why."""
        return self.owner_walk(namespace=namespace, inodes=inodes).owners

    def owner_walk(
        self, *, namespace: NamespaceId | None = None, inodes: Collection[int] | None = None
    ) -> OwnerWalk:
        """The walk of :meth:`socket_owners`, with what it could not see: how many
        processes it was not allowed to inspect, how many exited during it, and whether
        the ``/proc`` is mounted so as to hide other users' processes (``hidepid``)."""
        root = os.fsencode(self.root)
        if self.is_live:
            memory = OWNER_MEMORY.get()
            if memory is not None:  # a watch lends one: read only what it does not know
                return memory.walk(root, namespace, inodes)
        # A capture's process folders are opened below its root without following a
        # link; a /proc's (live or mounted) by path, as the kernel presents them.
        below: int | None = None
        is_procfs = self.is_live
        try:
            if self.is_live:
                entries = [entry for entry in os.listdir(root) if entry.isdigit()]
            elif not _BENEATH:
                return OwnerWalk(owners=None)  # no way to open a process folder safely
            else:
                below, is_procfs = self._open_root()
                if is_procfs:
                    os.close(below)
                    below = None
                    entries = [entry for entry in os.listdir(root) if entry.isdigit()]
                else:
                    names = (os.fsencode(name) for name in os.listdir(below))
                    entries = [entry for entry in names if entry.isdigit()]
        except OSError as exc:
            if below is not None:
                os.close(below)
            raise NetstatError(f"cannot list {self.root}: {exc.strerror or exc}") from exc
        try:
            parts = self._walk(root, below, entries, namespace, inodes)
        finally:
            if below is not None:
                os.close(below)
        denied = sum(part.denied for part in parts)
        vanished = sum(part.vanished for part in parts)
        hidden = hidden_processes(self.root) if is_procfs else None
        if not any(part.inspected for part in parts):
            return OwnerWalk(owners=None, denied=denied, vanished=vanished, hidepid=hidden)
        found = parts[0].found
        for part in parts[1:]:
            # Sockets shared between processes of different threads are few: merge those
            # one by one, take the rest in one update (set and dict operations run in C).
            other = part.found
            shared = {
                inode: tuple(sorted({*found[inode], *other[inode]}))
                for inode in found.keys() & other.keys()
            }
            found.update(other)
            found.update(shared)
        return OwnerWalk(owners=found, denied=denied, vanished=vanished, hidepid=hidden)

    def _walk(
        self,
        root: bytes,
        below: int | None,
        entries: list[bytes],
        namespace: NamespaceId | None,
        inodes: Collection[int] | None,
    ) -> list[_WalkPart]:
        wanted = None if inodes is None else _as_set(inodes)
        if below is not None:
            # A link in a capture cannot be followed to a namespace: every process is
            # walked, as one whose namespace cannot be known.
            namespace = None
        # Threads overlap the system calls of the walk (they release the GIL); a list's
        # iterator shared between them hands each process to exactly one thread.
        pending = iter(entries)
        workers = min(_WALK_THREADS, len(entries))
        if workers <= 1:
            return [_walk_fds(root, pending, namespace, wanted, below)]
        # Imported here: a program that never looks owners up does not load it.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers, thread_name_prefix="netstatlib-walk") as pool:
            futures = [
                pool.submit(_walk_fds, root, pending, namespace, wanted, below)
                for _ in range(workers)
            ]
            return [future.result() for future in futures]


# -- reading a capture folder without leaving it -------------------------------------------

# Each name below a capture's root is opened relative to the folder above it, without
# following a link (O_NOFOLLOW). openat2()'s RESOLVE_BENEATH would do the same in one
# call, but Python has no binding for it, and it is Linux 5.6 and later only; this works
# on every POSIX system. Windows has no dir_fd: there each name is looked at first.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BENEATH = (
    bool(_NOFOLLOW) and {os.open, os.stat} <= os.supports_dir_fd and os.listdir in os.supports_fd
)
# O_NONBLOCK: opening a FIFO that slipped in after the check returns at once instead of
# waiting for a writer (reads from a regular file ignore it). O_NOCTTY: a terminal
# device never becomes the controlling terminal.
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_FILE_FLAGS |= getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_FILE_BENEATH = _FILE_FLAGS | _NOFOLLOW
_LINK_REFUSED = (
    "is a symbolic link; nothing in a capture folder is read through a link, which "
    "could show a file of this machine as the capture's"
)
# IO_REPARSE_TAG_SYMLINK and IO_REPARSE_TAG_MOUNT_POINT (a junction), of winnt.h.
_LINK_TAGS = frozenset({0xA000000C, 0xA0000003})
# Types of file by what a message calls them.
_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_file(path: str, *, limit: int = MAX_FILE_SIZE) -> bytes:
    """The content of the regular file ``path`` names, read as a capture's files are
    (links in ``path`` are followed: the caller named it): a FIFO, a device, a folder,
    or a file over ``limit`` bytes raise :class:`~netstatlib.ParseError` before anything
    is read; a file that cannot be opened raises the ``OSError`` of ``open()``."""
    before = os.stat(path)
    _refuse(before, path, folder=False, limit=limit)
    handle = os.open(path, _FILE_FLAGS)
    try:
        return _read_opened(handle, before, path, limit)
    finally:
        os.close(handle)


def _procfs_devices() -> frozenset[int]:
    """The devices (``st_dev``) of every ``proc`` filesystem mounted here.

    ``/proc/self/mountinfo`` gives each mount's device as ``major:minor`` (field 3) and
    its filesystem type after the `` - `` separator (``proc``), see proc(5). Mount
    points with spaces are escaped there (``\\040``), so the separator is unambiguous. No
    mountinfo (another OS): no procfs.
    """
    try:
        with open("/proc/self/mountinfo", "rb") as handle:
            text = handle.read()
    except OSError:
        return frozenset()
    found: set[int] = set()
    for line in text.splitlines():
        mount, separator, filesystem = line.partition(b" - ")
        fields = mount.split(b" ")
        if not separator or filesystem.split(b" ", 1)[0] != b"proc" or len(fields) < 3:
            continue
        major, _, minor = fields[2].partition(b":")
        try:
            found.add(os.makedev(int(major), int(minor)))
        except (ValueError, OverflowError):
            continue
    return frozenset(found)


def _is_link(found: os.stat_result) -> bool:
    """A symbolic link; on Windows also a junction (``lstat`` does not follow either)."""
    return stat.S_ISLNK(found.st_mode) or getattr(found, "st_reparse_tag", 0) in _LINK_TAGS


def _size_text(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


def _refuse(found: os.stat_result, where: str, *, folder: bool, limit: int) -> None:
    """Raise unless ``found`` (not followed if a link) is what a capture may hold there: a
    folder, or a regular file of at most ``limit`` bytes.

    A link is a :class:`~netstatlib.ParseError`: read through, it would show a file of
    this machine (``/etc/shadow``, ``/proc/net``) as the capture's. So is a file that is
    not regular: a FIFO would block the reader, ``/dev/zero`` never ends. A file where a
    folder is expected is ``NotADirectoryError`` (the path does not exist), as it is
    anywhere.
    """
    mode = found.st_mode
    if _is_link(found):
        raise ParseError(_LINK_REFUSED, source=where)
    if folder:
        if not stat.S_ISDIR(mode):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), where)
        return
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "a special file")
        raise ParseError(
            f"is {kind}, not a regular file; a capture folder holds regular files only",
            source=where,
        )
    if found.st_size > limit:
        raise ParseError(
            f"is {found.st_size} bytes, over the {_size_text(limit)} a file of a capture "
            "may hold (no real /proc/net file comes near it)",
            source=where,
        )


def _explain(folder: int, name: str | bytes, where: str, exc: OSError) -> NoReturn:
    """Why ``name`` could not be opened below ``folder`` without following links: a
    :class:`~netstatlib.ParseError` if it is a link (or a file where a folder should be,
    ``NotADirectoryError``), else ``exc`` as it was."""
    try:
        found = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError:
        raise exc from None
    _refuse(found, where, folder=True, limit=0)
    raise exc


def _read_opened(handle: int, before: os.stat_result, where: str, limit: int) -> bytes:
    """The content of the regular file open as ``handle``, which must be the file
    ``before`` described, in at most ``limit`` bytes."""
    opened = os.fstat(handle)
    if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
        raise ParseError("was replaced while it was opened", source=where)
    _refuse(opened, where, folder=False, limit=limit)
    # One read of the size it has; a file that grows meanwhile is read on, but never
    # past the limit.
    chunks: list[bytes] = []
    total = 0
    want = min(opened.st_size, limit) + 1
    while chunk := os.read(handle, want):
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise ParseError(
                f"grew over the {_size_text(limit)} a file of a capture may hold while it was read",
                source=where,
            )
        want = min(1 << 20, limit + 1 - total)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


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
_FOLDER_BENEATH = _DIRECTORY_FLAGS | _NOFOLLOW


def _walk_fds(
    root: bytes,
    pending: Iterator[bytes],
    namespace: NamespaceId | None,
    wanted: Collection[int] | None,
    below: int | None = None,
) -> _WalkPart:
    """Walk ``<root>/<pid>/fd`` for the pids taken from ``pending``.

    Returns the sockets found (inode to sorted pids), only those in ``wanted`` when it is
    given, how many processes could be inspected, how many could not be for lack of
    permission (``EACCES``, ``EPERM``: another user's process, when not root) and how
    many exited before their ``fd`` folder was read. A process known to be in another
    network namespace than ``namespace`` is inspected without a walk: none of its
    sockets are reported. Processes that vanish or cannot be read mid-walk are skipped:
    that is normal on a live host. Bytes paths all along: no str round trips per fd.

    ``below`` is a capture's root, open: each process folder and its ``fd`` folder are
    opened below it without following a link (:func:`_captured_fds`). The fd entries
    themselves are only ever read as links (``readlink``), never followed, either way.
    """
    found: SocketOwners = {}
    inspected = denied = vanished = 0
    readlink = os.readlink
    get = found.get
    for entry in pending:
        if below is None:
            base = root + b"/" + entry
            if elsewhere(base, namespace):
                inspected += 1
                continue
            fd_path = base + b"/fd"
            try:
                fd_dir = os.open(fd_path, _DIRECTORY_FLAGS)
            except OSError as exc:
                denied, vanished = counted_refusal(exc, denied, vanished)
                continue
        else:
            captured = _captured_fds(root, below, entry)
            if captured is None:
                continue
            fd_dir = captured
        try:
            try:
                if below is None:
                    fds = os.listdir(fd_path)
                else:
                    fds = [os.fsencode(name) for name in os.listdir(fd_dir)]
            except OSError as exc:
                denied, vanished = counted_refusal(exc, denied, vanished)
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
    return _WalkPart(found, inspected, denied, vanished)


# Why a process folder could not be walked: not allowed (another user's process, when
# not root: the ptrace access check of proc_fd_access_allowed()), or gone (it exited
# between the listing of the folder and the walk of its fd folder).
_DENIED = frozenset({errno.EACCES, errno.EPERM})
_GONE = frozenset({errno.ENOENT, errno.ESRCH})


def counted_refusal(exc: OSError, denied: int, vanished: int) -> tuple[int, int]:
    """``denied`` and ``vanished`` counting a process whose ``fd`` folder could not be
    read for ``exc`` (neither, for another reason)."""
    if exc.errno in _DENIED:
        return denied + 1, vanished
    if exc.errno in _GONE:
        return denied, vanished + 1
    return denied, vanished


def elsewhere(base: bytes, namespace: NamespaceId | None) -> bool:
    """Whether the process folder ``base`` is known to be in another network namespace
    than ``namespace`` (``None``: any); unknown is not elsewhere."""
    if namespace is None:
        return False
    theirs = network_namespace(base + b"/ns/net")
    return theirs is not None and theirs != namespace


class _WalkPart(NamedTuple):
    """What one thread of the walk found: sockets, and processes by outcome."""

    found: SocketOwners
    inspected: int
    denied: int
    vanished: int


def _captured_fds(root: bytes, below: int, entry: bytes) -> int | None:
    """The ``<entry>/fd`` folder of a capture whose root is open as ``below``, opened
    without following a link; ``None`` when there is none (a process folder without
    ``fd``, or a file named like one).

    A process folder, or its ``fd``, that is a link raises
    :class:`~netstatlib.ParseError`: followed, ``4242 -> /proc/4242`` would show this
    machine's processes as the capture's. So does a name no ``/proc`` has (``0``,
    ``0812``, a number over :data:`MAX_PID`).
    """
    where = os.fsdecode(root + b"/" + entry)
    if entry.startswith(b"0") or int(entry) > MAX_PID:
        raise ParseError(
            f"is named like a process folder, but no process has the id {os.fsdecode(entry)} "
            f"(1 to {MAX_PID}, no leading zero)",
            source=where,
        )
    try:
        process = os.open(entry, _FOLDER_BENEATH, dir_fd=below)
    except OSError:
        _refuse_link(below, entry, where)
        return None
    try:
        try:
            return os.open(b"fd", _FOLDER_BENEATH, dir_fd=process)
        except OSError:
            _refuse_link(process, b"fd", f"{where}/fd")
            return None
    finally:
        os.close(process)


def _refuse_link(folder: int, name: bytes, where: str) -> None:
    """Raise :class:`~netstatlib.ParseError` if ``name`` in ``folder`` is a link."""
    try:
        found = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError:
        return
    if _is_link(found):
        raise ParseError(_LINK_REFUSED, source=where)


class MemorySource:
    """Files given as bytes, keyed by relative ``/``-separated path (``"net/tcp"``).

    Nothing is written to disk. There are no process folders to walk: which process
    holds which socket comes from a capture's ``processes.json``, if given.
    """

    def __init__(self, files: Mapping[str, bytes], *, name: str = "<memory>") -> None:
        self.name = name
        """The label messages use for these files (``"<memory>"`` unless given): a
        missing ``net/tcp`` is ``<memory>/net/tcp``."""
        self._files: dict[str, bytes] = {}
        for path, data in files.items():
            if not isinstance(path, str) or not path:
                raise UsageError(f"not a relative path of a source: {path!r}")
            if not isinstance(data, bytes):
                raise UsageError(f"the content of {path!r} must be bytes")
            self._files["/".join(_parts(path))] = data

    @property
    def is_live(self) -> bool:
        """Always false: these files are not the running kernel's."""
        return False

    def __repr__(self) -> str:
        return f"<MemorySource {self.name!r}: {len(self._files)} files>"

    def location(self, path: str) -> str:
        """``path`` under :attr:`name`, as messages name it (``<memory>/net/tcp``)."""
        return f"{self.name}/{'/'.join(_parts(path))}"

    def read(self, path: str, *, optional: bool = False) -> bytes | None:
        """The bytes given for ``path``. A path not given is ``None`` when ``optional``,
        else :class:`~netstatlib.SourceNotFoundError`."""
        data = self._files.get("/".join(_parts(path)))
        if data is None and not optional:
            where = self.location(path)
            raise SourceNotFoundError(f"{where} does not exist", path=where)
        return data

    def listdir(self, path: str = "") -> list[str]:
        """The names directly below ``path`` among the paths given, sorted: files and the
        folders their paths imply (``{"net/tcp": ...}`` lists ``net`` at the root)."""
        prefix = "/".join(_parts(path))
        prefix = f"{prefix}/" if prefix else ""
        names = {
            name[len(prefix) :].split("/", 1)[0] for name in self._files if name.startswith(prefix)
        }
        return sorted(names)

    def socket_owners(
        self, *, namespace: NamespaceId | None = None, inodes: Collection[int] | None = None
    ) -> SocketOwners | None:
        """Always ``None``: there are no process folders in memory (a capture's owners
        come from its ``processes.json``)."""
        return None
