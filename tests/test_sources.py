"""Sources: the trees of files backends read (a folder, or files held in memory)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import netstatlib
from netstatlib import NetstatError, SourceNotFoundError, UsageError
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
    with pytest.raises(NetstatError, match="cannot read"):
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
