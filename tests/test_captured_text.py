"""CapturedText: the public fake backend, serving captured text given as strings."""

from __future__ import annotations

import builtins
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

import netstatlib
from netstatlib import F, SourceNotFoundError, TcpState, UnsupportedError, UsageError
from netstatlib.backends import Backend, CapturedText, LinuxProcfs
from netstatlib.parsers import windows

LINUX = Path(__file__).parent / "fixtures" / "linux" / "sockets"
WINDOWS = Path(__file__).parent / "fixtures" / "windows"
LINUX_FILES = ("tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "unix")


def linux_files() -> dict[str, str | bytes | os.PathLike[str]]:
    files: dict[str, str | bytes | os.PathLike[str]] = {
        f"net/{name}": (LINUX / name).read_bytes() for name in LINUX_FILES
    }
    files["net/route"] = (LINUX / "route").read_bytes()
    files["net/dev"] = LINUX / "dev"  # a path is read
    return files


def test_linux_text_answers_like_the_same_files_read_by_linuxprocfs(tmp_path: Path) -> None:
    shutil.copytree(LINUX, tmp_path / "net")  # the fixture as a /proc root
    with CapturedText(linux_files()) as backend:
        assert isinstance(backend, Backend)
        assert backend.name == "captured-linux"
        direct = LinuxProcfs(tmp_path, sys_class_net=None)
        for kind in ("tcp", "udp", "unix", "all"):
            assert netstatlib.connections(kind, backend=backend, processes=False) == (
                netstatlib.connections(kind, backend=direct, processes=False)
            )
        assert netstatlib.listening(backend=backend, processes=False)
        assert netstatlib.interface_stats(backend=backend) == netstatlib.interface_stats(
            backend=direct
        )
        assert netstatlib.routes(family="inet", backend=backend) == netstatlib.routes(
            family="inet", backend=direct
        )


class NoWrites:
    """Fails any attempt to create, write or remove a file or folder."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_open = builtins.open
        real_os_open = os.open

        def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if any(flag in mode for flag in "wxa+"):
                raise AssertionError(f"wrote {file!r}")
            return real_open(file, mode, *args, **kwargs)

        def guarded_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise AssertionError(f"opened {path!r} for writing")
            return real_os_open(path, flags, *args, **kwargs)

        def refused(*args: Any, **kwargs: Any) -> None:
            raise AssertionError(f"touched the disk: {args!r}")

        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(os, "open", guarded_os_open)
        for name in ("mkdir", "makedirs", "remove", "unlink", "rmdir", "rename", "symlink"):
            monkeypatch.setattr(os, name, refused)
        monkeypatch.setattr(tempfile, "mkdtemp", refused)
        monkeypatch.setattr(tempfile, "mkstemp", refused)


def test_every_query_is_answered_with_nothing_written_to_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    linux = {name: Path(content).read_bytes() if isinstance(content, Path) else content
             for name, content in linux_files().items()}  # fmt: skip
    linux["net/snmp"] = (LINUX / "snmp").read_bytes()
    tcp = (LINUX / "tcp").read_text()
    inode = int(tcp.splitlines()[1].split()[9])
    linux["processes.json"] = json.dumps(
        {"processes": [{"pid": 812, "name": "sshd", "sockets": [inode]}]}
    ).encode()
    ano = (WINDOWS / "connections" / "win10_en_netstat-ano.txt").read_bytes()
    stats = (WINDOWS / "stats" / "win10_en_netstat-s_utf16le.txt").read_bytes()
    NoWrites(monkeypatch)
    with CapturedText(linux) as backend:
        owned = netstatlib.connections("all", backend=backend, where=F.pid == 812)
        assert [row.process for row in owned] == ["sshd"]
        assert netstatlib.listening("all", backend=backend)
        assert netstatlib.routes(backend=backend)
        assert netstatlib.interface_stats(backend=backend)
        assert netstatlib.protocol_stats(backend=backend)
    with CapturedText({"netstat-ano.txt": ano, "netstat-s.txt": stats}) as backend:
        assert netstatlib.connections(backend=backend)
        assert netstatlib.protocol_stats(backend=backend)


def test_a_process_map_names_the_owners() -> None:
    tcp = (LINUX / "tcp").read_text()
    inode = int(tcp.splitlines()[1].split()[9])
    processes = json.dumps({"processes": [{"pid": 812, "name": "sshd", "sockets": [inode]}]})
    tcp6 = (LINUX / "tcp6").read_bytes()
    with CapturedText({"net/tcp": tcp, "net/tcp6": tcp6, "processes.json": processes}) as backend:
        rows = netstatlib.connections("tcp", backend=backend)
    owned = [row for row in rows if row.inode == inode]
    assert [(row.pids, row.process) for row in owned] == [((812,), "sshd")]


def test_a_missing_required_file_is_source_not_found() -> None:
    backend = CapturedText({"net/tcp": (LINUX / "tcp").read_bytes()})
    with backend, pytest.raises(SourceNotFoundError):
        netstatlib.routes(backend=backend)


def test_windows_outputs() -> None:
    ano = (WINDOWS / "connections" / "win10_en_netstat-ano.txt").read_bytes()
    stats = (WINDOWS / "stats" / "win10_en_netstat-s_utf16le.txt").read_bytes()
    with CapturedText({"netstat-ano.txt": ano, "netstat-s.txt": stats}) as backend:
        assert backend.name == "captured-windows"
        rows = netstatlib.connections(backend=backend)
        assert rows == netstatlib.Table(windows.parse_connections(ano))
        assert rows[0].state is TcpState.LISTEN
        assert netstatlib.protocol_stats(backend=backend) == netstatlib.Table(
            windows.parse_protocol_stats(stats)
        )
        with pytest.raises(UnsupportedError, match="netstat -rn"):
            netstatlib.routes(backend=backend)


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"../tcp": ""},
        {"net//tcp": ""},
        {"net/tcp": 42},
        {"": "x"},
        {42: "x"},
        {"net/tcp": "\udcff\ud800"},  # a lone surrogate that is no escaped byte
        {"net/tcp": Path("/nonexistent/tcp")},
        {"net/tcp": "", "net\\tcp": ""},  # the same file twice
        {"net/tcp\0": ""},
    ],
)
def test_bad_input_is_a_usage_error(files: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        CapturedText(files)  # type: ignore[arg-type]


def test_text_that_is_no_capture_is_refused() -> None:
    with pytest.raises(SourceNotFoundError, match="not a capture"):
        CapturedText({"notes.txt": "hello"})
