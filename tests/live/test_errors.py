"""Errors from LinuxProcfs on a ``/proc`` copy that is missing, malformed or partial.

These need neither root nor namespaces: the files are copies of what the kernel printed
in the socket zoo's namespace.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import netstatlib
from netstatlib import Protocol, TcpState
from netstatlib.backends import LinuxProcfs

pytestmark = pytest.mark.live

# Captured from /proc/<zoo>/net/{tcp,udp,raw} (trailing blanks as printed by the kernel).
TCP = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode                                                     \n"
    "   0: 0100007F:B0E9 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
    "      0 95883 1 00000000f2198c4e 100 0 0 10 0                     \n"
    "   1: 0100007F:B0E9 0100007F:A27A 01 00000000:00000064 00:00000000 00000000     0  "
    "      0 95887 1 00000000150e7642 20 4 30 10 -1                    \n"
    "   2: 0100007F:9796 0100007F:CF7B 06 00000000:00000000 03:00000F6B 00000000     0  "
    "      0 0 3 0000000061040724                                      \n"
)
UDP = (
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops            \n"
    "  353: 0100007F:B7FC 00000000:0000 07 00000000:00000340 00:00000000 00000000     0  "
    "      0 95899 2 00000000c9f41fba 0          \n"
)
RAW = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops\n"
    "  53: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0  "
    "      0 95902 2 0000000008aca07b 0\n"
)


def _write(folder: Path, files: dict[str, str]) -> None:
    net = folder / "net"
    net.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (net / name).write_text(text)


QUERIES: dict[str, tuple[Callable[[LinuxProcfs], object], str]] = {
    "connections": (lambda b: netstatlib.connections("tcp", backend=b), "tcp"),
    "listening": (lambda b: netstatlib.listening("all", backend=b), "tcp"),
    "routes": (lambda b: netstatlib.routes(backend=b), "route"),
    "interface_stats": (lambda b: netstatlib.interface_stats(backend=b), "dev"),
    "protocol_stats": (lambda b: netstatlib.protocol_stats(backend=b), "snmp"),
}


@pytest.mark.parametrize("query", sorted(QUERIES))
@pytest.mark.parametrize("pid", [None, 4242])
def test_empty_root_names_the_missing_file(tmp_path: Path, query: str, pid: int | None) -> None:
    call, filename = QUERIES[query]
    backend = LinuxProcfs(root=tmp_path, pid=pid)
    net = tmp_path / "net" if pid is None else tmp_path / str(pid) / "net"
    expected = str(net / filename)
    with pytest.raises(netstatlib.SourceNotFoundError) as caught:
        call(backend)
    assert caught.value.path == expected
    assert expected in str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)


def _lines(text: str) -> list[str]:
    return text.split("\n")[:-1]


def _replace_line(text: str, number: int, line: str) -> str:
    lines = _lines(text)
    lines[number - 1] = line
    return "\n".join(lines) + "\n"


ROW = _lines(TCP)[2]
MALFORMED = {
    "state": (3, ROW.replace(" 01 ", " ZZ ")),
    "address": (3, ROW.replace("0100007F:B0E9", "0100007G:B0E9")),
    "short_address": (3, ROW.replace("0100007F:B0E9", "100007F:B0E9")),
    "truncated": (3, ROW[:40]),
    "uid": (3, ROW.replace("     0        0 95887", "     x        0 95887")),
    "header": (1, "this is not /proc/net/tcp"),
    "last_row": (4, "   2: garbage"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_tcp_gives_parse_error_with_path_and_line(tmp_path: Path, case: str) -> None:
    number, bad = MALFORMED[case]
    _write(tmp_path, {"tcp": _replace_line(TCP, number, bad), "udp": UDP, "raw": RAW})
    path = str(tmp_path / "net" / "tcp")
    for query in ("tcp", "all"):
        with pytest.raises(netstatlib.ParseError) as caught:
            netstatlib.connections(query, backend=LinuxProcfs(root=tmp_path))
        error = caught.value
        assert (error.source, error.line_number, error.line) == (path, number, bad)
        assert f"{path}, line {number}" in str(error)
        assert isinstance(error, ValueError)


def test_missing_optional_files_give_no_rows(tmp_path: Path) -> None:
    """tcp, udp and raw are required; tcp6, udp6, udplite*, raw6 and unix are not."""
    _write(tmp_path, {"tcp": TCP, "udp": UDP, "raw": RAW})
    backend = LinuxProcfs(root=tmp_path)
    rows = netstatlib.connections("all", backend=backend)
    assert [(row.protocol, row.inode) for row in rows] == [
        (Protocol.TCP, 95883),
        (Protocol.TCP, 95887),
        (Protocol.TCP, None),  # TIME_WAIT: /proc prints inode 0
        (Protocol.UDP, 95899),
        (Protocol.RAW, 95902),
    ]
    assert all(row.family is socket.AF_INET for row in rows)
    # No process folders in this root: owners are unknown, not "none".
    assert all(row.pids is None and row.process is None for row in rows)
    assert [row.state for row in rows] == [
        TcpState.LISTEN,
        TcpState.ESTABLISHED,
        TcpState.TIME_WAIT,
        None,
        None,
    ]
    assert rows[1].recv_queue == 100 and rows[3].recv_queue == 0x340
    for kind in ("tcp6", "udp6", "udplite", "raw6", "unix"):
        assert len(netstatlib.connections(kind, backend=backend)) == 0


def test_missing_required_udp_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, {"tcp": TCP, "raw": RAW})
    with pytest.raises(netstatlib.SourceNotFoundError) as caught:
        netstatlib.connections("all", backend=LinuxProcfs(root=tmp_path))
    assert caught.value.path == str(tmp_path / "net" / "udp")
    assert len(netstatlib.connections("tcp", backend=LinuxProcfs(root=tmp_path))) == 3


def test_pid_that_is_gone_names_the_missing_file() -> None:
    process = subprocess.Popen(["true"])
    process.wait()
    backend = LinuxProcfs(pid=process.pid)
    with pytest.raises(netstatlib.SourceNotFoundError) as caught:
        netstatlib.connections("tcp", backend=backend)
    assert caught.value.path == f"/proc/{process.pid}/net/tcp"
