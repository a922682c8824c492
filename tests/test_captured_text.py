"""CapturedText: the public fake backend, serving captured text given as strings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import netstatlib
from netstatlib import SourceNotFoundError, TcpState, UnsupportedError, UsageError
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
    (tmp_path / "net").symlink_to(LINUX)  # the fixture as a /proc root
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
        folder = backend.folder
        assert os.path.isdir(folder)
    assert not os.path.exists(folder)  # closed: the temporary folder is gone


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
    [{}, {"../tcp": ""}, {"net//tcp": ""}, {"net/tcp": 42}, {"": "x"}, {42: "x"}],
)
def test_bad_input_is_a_usage_error(files: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        CapturedText(files)  # type: ignore[arg-type]


def test_text_that_is_no_capture_is_refused() -> None:
    with pytest.raises(SourceNotFoundError, match="not a capture"):
        CapturedText({"notes.txt": "hello"})
