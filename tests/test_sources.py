"""Sources: the trees of files backends read (a folder, or files held in memory)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import netstatlib
from netstatlib import NetstatError, ParseError, SourceNotFoundError, UsageError
from netstatlib._sources import network_namespace
from netstatlib.backends import FolderSource, LinuxProcfs, MemorySource, Source

SOCKETS = Path(__file__).parent / "fixtures" / "linux" / "sockets"


def memory_copy(folder: Path) -> MemorySource:
    files = {
        f"net/{path.name}": path.read_bytes()
        for path in folder.iterdir()
        if path.is_file() and path.suffix == ""
    }
    return MemorySource(files, name="<copy>")


def test_both_kinds_are_sources() -> None:
    assert isinstance(FolderSource(SOCKETS), Source)
    assert isinstance(MemorySource({}), Source)


def test_a_folder_reads_by_relative_path(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_bytes(b"text")
    source = FolderSource(tmp_path)
    assert source.read("net/tcp") == b"text"
    assert source.read("net/udp", optional=True) is None
    assert source.read("net/tcp/deeper", optional=True) is None  # not a folder: absent
    with pytest.raises(SourceNotFoundError, match="net/udp does not exist") as caught:
        source.read("net/udp")
    assert caught.value.path == str(tmp_path / "net" / "udp")
    assert source.location("net/tcp") == str(tmp_path / "net" / "tcp")
    assert source.listdir() == ["net"] and source.listdir("net") == ["tcp"]
    assert source.listdir("nowhere") == []
    assert not source.is_live
    assert FolderSource().is_live and FolderSource("/proc/").is_live
    (tmp_path / "folder-not-file").mkdir()
    with pytest.raises(ParseError, match="folder-not-file: is a folder, not a regular file"):
        source.read("folder-not-file")


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "net//tcp", "net/./tcp", "a\\b"])
def test_paths_stay_inside_the_source(path: str) -> None:
    with pytest.raises(UsageError, match="not a relative path"):
        FolderSource("/proc").read(path)
    with pytest.raises(UsageError, match="not a relative path"):
        MemorySource({}).read(path)


def test_memory_reads_lists_and_names_its_files() -> None:
    source = MemorySource({"net/tcp": b"a", "net/udp": b"b", "processes.json": b"{}"}, name="<x>")
    assert source.read("net/tcp") == b"a"
    assert source.read("net/raw", optional=True) is None
    with pytest.raises(SourceNotFoundError, match="<x>/net/raw does not exist"):
        source.read("net/raw")
    assert source.listdir() == ["net", "processes.json"]
    assert source.listdir("net") == ["tcp", "udp"]
    assert source.listdir("net/tcp") == []
    assert source.location("net/tcp") == "<x>/net/tcp"
    assert source.socket_owners() is None and not source.is_live
    with pytest.raises(UsageError, match="must be bytes"):
        MemorySource({"net/tcp": "text"})  # type: ignore[dict-item]


def test_linux_reads_memory_as_it_reads_a_folder() -> None:
    folder = LinuxProcfs(SOCKETS.parent / "sockets-as-proc", sys_class_net=None)
    in_memory = LinuxProcfs(source=memory_copy(SOCKETS))
    # The fixture keeps the files flat; a /proc root has them under net/.
    assert in_memory.net_dir == "<copy>/net"
    assert folder.root.endswith("sockets-as-proc")
    for kind in ("tcp", "udp", "raw", "unix"):
        rows = netstatlib.connections(kind, backend=in_memory)
        assert rows and all(row.pids is None for row in rows)  # no process folders: unknown
    assert netstatlib.routes(backend=in_memory)
    with pytest.raises(UsageError, match="root or a source"):
        LinuxProcfs("/somewhere", source=memory_copy(SOCKETS))
    with pytest.raises(UsageError, match="must be a Source"):
        LinuxProcfs(source="/proc")  # type: ignore[arg-type]


def test_errors_name_the_file_in_memory() -> None:
    broken = MemorySource({"net/tcp": b"not a header\n"}, name="<ticket 42>")
    with pytest.raises(netstatlib.ParseError) as caught:
        netstatlib.connections("tcp4", backend=LinuxProcfs(source=broken))
    assert caught.value.source == "<ticket 42>/net/tcp"


def test_the_walk_of_a_proc_folder(tmp_path: Path) -> None:
    for pid, targets in {
        "10": ["socket:[5]", "pipe:[1]"],
        "11": ["socket:[5]", "socket:[6]"],
    }.items():
        fd = tmp_path / pid / "fd"
        fd.mkdir(parents=True)
        for number, target in enumerate(targets):
            os.symlink(target, fd / str(number))
    (tmp_path / "12").mkdir()  # a process whose fd folder vanished
    (tmp_path / "self").mkdir()  # not a process
    assert FolderSource(tmp_path).socket_owners() == {5: (10, 11), 6: (11,)}
    assert FolderSource(tmp_path / "10").socket_owners() is None  # no process folders
    with pytest.raises(NetstatError, match="cannot list"):
        FolderSource(tmp_path / "nowhere").socket_owners()


# A /proc-like folder for the walk: each process has fd links and, optionally, an ns/net
# link. In /proc, ns/net is a link to "net:[4026531840]" that stat() follows into nsfs;
# here it is a link to a regular file per namespace, which stat() follows the same way,
# so two processes share a namespace when their links lead to the same file.
NS_MISSING = "missing"  # no ns folder at all (a capture, an old kernel)
NS_DANGLING = "dangling"  # a link stat() cannot follow (a process exiting meanwhile)


def fake_proc(root: Path, processes: dict[int, tuple[str, list[str]]]) -> Path:
    namespaces = root.parent / f"{root.name}-namespaces"
    namespaces.mkdir(parents=True, exist_ok=True)
    for pid, (namespace, targets) in processes.items():
        fd = root / str(pid) / "fd"
        fd.mkdir(parents=True)
        for number, target in enumerate(targets):
            os.symlink(target, fd / str(number))
        if namespace == NS_MISSING:
            continue
        (root / str(pid) / "ns").mkdir()
        if namespace != NS_DANGLING:
            (namespaces / namespace).touch()
        os.symlink(namespaces / namespace, root / str(pid) / "ns" / "net")
    return root


class ProcLike(FolderSource):
    """A folder that says it is the live /proc, so that it is read as a /proc is: its
    links followed (a capture folder's never are, namespaces included)."""

    @property
    def is_live(self) -> bool:
        return True


def namespace_of(root: Path, pid: int | str) -> tuple[int, int]:
    found = os.stat(root / str(pid) / "ns" / "net")
    return found.st_dev, found.st_ino


FOUR_PROCESSES = {
    10: ("a", ["socket:[5]", "pipe:[1]", "socket:[9]"]),
    # Socket 9 is held in both namespaces (passed over a UNIX socket, or kept across a
    # setns()): the walk for one namespace does not see the holder in the other.
    11: ("b", ["socket:[6]", "socket:[9]"]),
    12: (NS_MISSING, ["socket:[7]"]),
    13: (NS_DANGLING, ["socket:[8]"]),
}


def test_the_walk_skips_processes_of_another_namespace(tmp_path: Path) -> None:
    root = fake_proc(tmp_path / "proc", FOUR_PROCESSES)
    source = ProcLike(root)
    assert source.socket_owners() == {5: (10,), 6: (11,), 7: (12,), 8: (13,), 9: (10, 11)}
    # 11 is known to be elsewhere: not walked. 12 and 13 cannot be placed: walked.
    in_a = source.socket_owners(namespace=namespace_of(root, 10))
    assert in_a == {5: (10,), 7: (12,), 8: (13,), 9: (10,)}
    in_b = source.socket_owners(namespace=namespace_of(root, 11))
    assert in_b == {6: (11,), 7: (12,), 8: (13,), 9: (11,)}


def test_a_namespace_that_cannot_be_read_is_walked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stat() of /proc/<pid>/ns/net fails with EACCES for processes the caller may not
    inspect, and for root on /proc/1/ns/net in some sandboxes: such a process is walked."""
    root = fake_proc(tmp_path / "proc", FOUR_PROCESSES)
    in_a = namespace_of(root, 10)
    real_stat = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if os.fsencode(path).endswith(b"/11/ns/net"):
            raise PermissionError(13, "Permission denied", path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    assert network_namespace(os.fspath(root / "11" / "ns" / "net")) is None
    owners = ProcLike(root).socket_owners(namespace=in_a)
    assert owners == {5: (10,), 6: (11,), 7: (12,), 8: (13,), 9: (10, 11)}


def test_every_process_elsewhere_means_no_owner_not_unknown(tmp_path: Path) -> None:
    root = fake_proc(tmp_path / "proc", {20: ("b", ["socket:[6]"]), 21: ("b", ["socket:[7]"])})
    (tmp_path / "proc-namespaces" / "a").touch()
    here = os.stat(tmp_path / "proc-namespaces" / "a")
    assert ProcLike(root).socket_owners(namespace=(here.st_dev, here.st_ino)) == {}
    assert ProcLike(root).socket_owners(namespace=namespace_of(root, 20)) is not None
    assert ProcLike(tmp_path / "proc-namespaces").socket_owners(namespace=None) is None


def test_only_the_inodes_asked_for_are_reported(tmp_path: Path) -> None:
    root = fake_proc(tmp_path / "proc", FOUR_PROCESSES)
    source = ProcLike(root)
    assert source.socket_owners(inodes={9, 7, 404}) == {7: (12,), 9: (10, 11)}
    assert source.socket_owners(inodes=[9, 6]) == {6: (11,), 9: (10, 11)}  # any collection
    assert source.socket_owners(inodes=set()) == {}  # processes inspected, nothing asked
    in_a = namespace_of(root, 10)
    assert source.socket_owners(namespace=in_a, inodes=(6, 8, 9)) == {8: (13,), 9: (10,)}
    assert MemorySource({}).socket_owners(namespace=in_a, inodes={6}) is None


def test_sockets_shared_by_many_processes_keep_every_pid(tmp_path: Path) -> None:
    """However the processes are shared out between the walk's threads, a socket held
    by many of them gets all their pids, sorted, once each."""
    processes = {
        pid: ("a", ["socket:[1]", f"socket:[{pid}]", "socket:[1]"]) for pid in range(100, 160)
    }
    root = fake_proc(tmp_path / "proc", processes)
    owners = FolderSource(root).socket_owners()
    assert owners is not None
    assert owners[1] == tuple(range(100, 160))
    assert all(owners[pid] == (pid,) for pid in range(100, 160))
    assert FolderSource(root).socket_owners(inodes={1, 100}) == {1: owners[1], 100: (100,)}


class LiveLike(ProcLike):
    """A folder that says it is the live /proc, and records what the walk was given."""

    asked: list[dict[str, Any]]

    def socket_owners(self, **hints: Any) -> dict[int, tuple[int, ...]] | None:
        self.asked = [*getattr(self, "asked", []), hints]
        return super().socket_owners(**hints)


LISTENER_AND_PEER = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0
   1: 0100007F:0016 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 6 1 0
   2: 0100007F:D432 0100007F:0016 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0
"""


def test_linux_walks_for_the_namespace_read_and_the_rows_kept(tmp_path: Path) -> None:
    root = fake_proc(tmp_path / "proc", {10: ("a", ["socket:[5]"]), 11: ("b", ["socket:[6]"])})
    # This process is in namespace a; LinuxProcfs(pid=12) reads namespace b. Both show
    # the same socket file, so that only the walk tells them apart.
    for reader, namespace in (("self", "a"), ("12", "b")):
        (root / reader / "net").mkdir(parents=True)
        (root / reader / "net" / "tcp").write_text(LISTENER_AND_PEER)
        (root / reader / "ns").mkdir()
        os.symlink(tmp_path / "proc-namespaces" / namespace, root / reader / "ns" / "net")
    os.symlink("self/net", root / "net")  # as in /proc
    source = LiveLike(root)
    rows = netstatlib.listening("tcp4", backend=LinuxProcfs(source=source, engine="procfs"))
    assert [(row.inode, row.pids) for row in rows] == [(5, (10,))]
    assert source.asked == [{"namespace": namespace_of(root, 10), "inodes": {5}}]
    rows = netstatlib.connections(
        "tcp4", backend=LinuxProcfs(source=source, pid=12, engine="procfs")
    )
    assert [(row.inode, row.pids) for row in rows] == [(5, ()), (6, (11,)), (None, ())]
    assert source.asked[1] == {"namespace": namespace_of(root, 11), "inodes": {5, 6}}
    # Not the live /proc: no namespace is known, every process is walked.
    rows = netstatlib.connections("tcp4", backend=LinuxProcfs(root, pid=12))
    assert [(row.inode, row.pids) for row in rows] == [(5, (10,)), (6, (11,)), (None, ())]
