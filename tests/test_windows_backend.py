"""The Windows backend, run on Linux through an injected runner that replays outputs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

import netstatlib
from netstatlib import (
    AccessDeniedError,
    CommandError,
    CommandTimeoutError,
    F,
    SourceNotFoundError,
    TcpState,
    UnsupportedError,
)
from netstatlib.backends import WindowsNetstat, get_backend
from netstatlib.backends._windows import run_command

FIXTURES = Path(__file__).parent / "fixtures" / "windows"
CONNECTIONS = (FIXTURES / "connections" / "win10_en_netstat-ano.txt").read_bytes()


class Replay:
    """A runner that answers each netstat invocation from a captured output."""

    def __init__(self, outputs: dict[str, bytes | str]) -> None:
        self.outputs = outputs
        self.calls: list[tuple[tuple[str, ...], float]] = []

    def __call__(self, argv: Sequence[str], timeout: float) -> bytes | str:
        self.calls.append((tuple(argv), timeout))
        return self.outputs[" ".join(argv[1:])]


def test_connections_run_netstat_ano_with_the_timeout_and_filter_by_table() -> None:
    replay = Replay({"-ano": CONNECTIONS})
    backend = WindowsNetstat(run=replay, timeout=7.5, executable="netstat.exe")
    rows = netstatlib.connections(kind="tcp6", backend=backend, processes=False)
    assert replay.calls == [(("netstat.exe", "-ano"), 7.5)]
    assert {(row.protocol.value, row.family) for row in rows} == {
        ("tcp", socket.AddressFamily.AF_INET6)
    }
    assert len(rows) == 3


def test_listening_and_filters_work_as_on_linux() -> None:
    backend = WindowsNetstat(run=Replay({"-ano": CONNECTIONS}))
    listeners = netstatlib.listening(backend=backend, processes=False)
    assert sorted(str(row.local) for row in listeners) == [
        "0.0.0.0:135",
        "0.0.0.0:445",
        "0.0.0.0:500",
        "192.0.2.10:137",
        "[::]:135",
        "[::]:500",
        "[fe80::1c2d:3e4f:5a6b:7c8d%12]:1900",
    ]
    established = netstatlib.connections(
        backend=backend, where="state established dport = :443", processes=False
    )
    assert [(row.protocol.value, str(row.remote)) for row in established] == [
        ("tcp", "198.51.100.7:443"),
        ("udp", "198.51.100.7:443"),  # a connected UDP socket is ESTABLISHED, as in ss
    ]
    half_open = netstatlib.connections(backend=backend, where=F.state == "SYN_RECEIVED")
    assert [row.local.port for row in half_open if row.local] == [3389]


def test_process_names_come_from_psutil_for_the_printed_pids() -> None:
    me = os.getpid()
    output = (
        "\r\nActive Connections\r\n\r\n  Proto  Local Address  Foreign Address  State  PID\r\n"
        f"  TCP    127.0.0.1:5000   0.0.0.0:0   LISTENING   {me}\r\n"
        "  TCP    127.0.0.1:5001   127.0.0.1:5002   TIME_WAIT   0\r\n"
        "  TCP    127.0.0.1:5003   0.0.0.0:0   LISTENING   4194303\r\n"
    )
    backend = WindowsNetstat(run=Replay({"-ano": output}))
    rows = netstatlib.connections(backend=backend)
    import psutil

    assert [(row.pids, row.process) for row in rows] == [
        ((me,), psutil.Process(me).name()),
        ((), None),
        ((4194303,), None),  # no such process now: the name is unknown
    ]
    without = netstatlib.connections(backend=backend, processes=False)
    assert [row.process for row in without] == [None, None, None]
    assert [row.pids for row in without] == [(me,), (), (4194303,)]


def test_bound_adds_q() -> None:
    output = (FIXTURES / "connections" / "win11_en_netstat-anoq_bound.txt").read_bytes()
    backend = WindowsNetstat(run=Replay({"-anoq": output}), bound=True)
    rows = netstatlib.connections(backend=backend, processes=False)
    assert [row.state for row in rows][:2] == [TcpState.BOUND, TcpState.LISTEN]


def test_sockets_netstat_does_not_list_are_unsupported() -> None:
    backend = WindowsNetstat(run=Replay({}))
    with pytest.raises(UnsupportedError, match="TCP and UDP"):
        netstatlib.connections(kind="unix", backend=backend)
    with pytest.raises(UnsupportedError):
        netstatlib.connections(kind="raw", backend=backend)


def test_a_missing_netstat_is_source_not_found() -> None:
    def missing(argv: Sequence[str], timeout: float) -> bytes:
        raise FileNotFoundError(2, "No such file", argv[0])

    backend = WindowsNetstat(run=missing, executable=r"C:\Windows\System32\netstat.exe")
    with pytest.raises(SourceNotFoundError, match="no such program") as caught:
        netstatlib.connections(backend=backend)
    assert caught.value.path == r"C:\Windows\System32\netstat.exe"
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_a_timeout_is_command_timeout_error() -> None:
    def slow(argv: Sequence[str], timeout: float) -> bytes:
        raise subprocess.TimeoutExpired(list(argv), timeout, output=b"  TCP  partial")

    backend = WindowsNetstat(run=slow, timeout=0.5, executable="netstat.exe")
    with pytest.raises(CommandTimeoutError, match=r"within 0\.5 s") as caught:
        netstatlib.routes(backend=backend)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.command == ("netstat.exe", "-rn")
    assert caught.value.output == "  TCP  partial"


def test_a_failing_netstat_is_command_error_with_its_message() -> None:
    def failing(argv: Sequence[str], timeout: float) -> bytes:
        raise subprocess.CalledProcessError(1, list(argv), output=b"\r\nBad option -Z\r\n")

    backend = WindowsNetstat(run=failing, executable="netstat.exe")
    with pytest.raises(CommandError, match=r"exit status 1: Bad option -Z") as caught:
        netstatlib.protocol_stats(backend=backend)
    assert caught.value.returncode == 1
    assert not isinstance(caught.value, CommandTimeoutError)


def test_an_elevation_refusal_is_access_denied() -> None:
    refusal = (FIXTURES / "connections" / "elevation_en.txt").read_bytes()

    def refusing(argv: Sequence[str], timeout: float) -> bytes:
        raise subprocess.CalledProcessError(1, list(argv), output=refusal)

    with pytest.raises(AccessDeniedError, match="administrator"):
        netstatlib.connections(backend=WindowsNetstat(run=refusing))
    # The same text printed with exit status 0 is refused by the parser.
    with pytest.raises(AccessDeniedError):
        netstatlib.connections(backend=WindowsNetstat(run=Replay({"-ano": refusal})))


def test_a_runner_may_return_text_and_encoding_forces_the_decoding() -> None:
    text = CONNECTIONS.decode("ascii")
    as_text = netstatlib.connections(backend=WindowsNetstat(run=Replay({"-ano": text})))
    german = (FIXTURES / "connections" / "de_netstat-ano_cp850.txt").read_bytes()
    forced = WindowsNetstat(run=Replay({"-ano": german}), encoding="cp850")
    rows = netstatlib.connections(backend=forced, processes=False)
    assert len(as_text) == 17
    assert [row.state for row in rows] == [TcpState.LISTEN, TcpState.ESTABLISHED]


def test_the_backend_is_available_by_name() -> None:
    backend = get_backend("windows")
    assert isinstance(backend, WindowsNetstat)
    assert backend.name == "windows"
    assert isinstance(backend, netstatlib.backends.Backend)


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="The default runner is checked where netstat.exe does not exist: off Windows.",
)
def test_the_default_runner_raises_what_subprocess_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_command([str(tmp_path / "netstat.exe"), "-ano"], 5)
    with pytest.raises(subprocess.CalledProcessError) as failed:
        run_command([sys.executable, "-c", "print('nope'); raise SystemExit(3)"], 30)
    assert failed.value.returncode == 3 and b"nope" in failed.value.output
    with pytest.raises(subprocess.TimeoutExpired):
        run_command([sys.executable, "-c", "import time; time.sleep(30)"], 0.5)
    assert run_command([sys.executable, "-c", "print('ok')"], 30).strip() == b"ok"


def test_it_is_the_default_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    from netstatlib.backends import default_backend

    monkeypatch.setattr(sys, "platform", "win32")
    assert isinstance(default_backend(), WindowsNetstat)


def test_rows_of_unknown_family_are_kept_for_their_protocol() -> None:
    named = (FIXTURES / "connections" / "winxp_en_netstat-a_local-names.txt").read_bytes()
    backend = WindowsNetstat(run=Replay({"-ano": named}))
    rows = netstatlib.connections(kind="tcp", backend=backend, processes=False)
    assert len(rows) == 3 and all(row.family is None for row in rows)
