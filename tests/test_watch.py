"""watch() with a backend the test controls, and the monitoring commands' grammar and
errors (the live behaviour is in tests/live/test_watch.py)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import netaddr
import pytest
from monitoring_helpers import interface

import netstatlib
from netstatlib import (
    Connection,
    Endpoint,
    InterfaceStats,
    Protocol,
    ProtocolStats,
    Route,
    TcpState,
    UsageError,
)
from netstatlib.backends import Capabilities, SocketQuery
from netstatlib.cli import main


def listener(port: int) -> Connection:
    return Connection(
        protocol=Protocol.TCP,
        family=socket.AF_INET,
        local=Endpoint(address=netaddr.IPAddress("127.0.0.1"), port=port),
        remote=None,
        state=TcpState.LISTEN,
    )


class Changing:
    """A backend whose sockets and interface counters the test sets; counts its calls."""

    name = "changing"
    capabilities = Capabilities(
        tables=netstatlib.KINDS["all"],
        processes=False,
        fields={"connections": {"protocol", "local", "state"}, "interface_stats": {"name"}},
    )

    def __init__(self) -> None:
        self.sockets: list[Connection] = []
        self.received = 0
        self.calls: list[str] = []

    def connections(self, query: SocketQuery) -> list[Connection]:
        self.calls.append("connections")
        return list(self.sockets)

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        raise AssertionError("not to be asked")

    def protocol_stats(self) -> list[ProtocolStats]:
        raise AssertionError("not to be asked")

    def interface_stats(self) -> list[InterfaceStats]:
        self.calls.append("interface_stats")
        self.received += 1000
        return [interface("eth0", rx_bytes=self.received)]


def test_watch_reads_only_the_tables_asked_and_gives_each_change_once() -> None:
    backend = Changing()
    samples = netstatlib.watch(0.01, ["connections", "interfaces"], backend=backend)
    first = next(samples)
    assert not first.diff and first.complete and first.missed == 0
    assert first.rates.interfaces is not None and first.rates.protocols is None
    (eth0,) = first.rates.interfaces
    assert eth0.rx_bytes * first.rates.interval == pytest.approx(1000)
    backend.sockets.append(listener(8080))
    second = next(samples)
    assert [row.local.port for row in second.diff.listeners_added] == [8080]  # type: ignore[union-attr]
    third = next(samples)
    assert not third.diff  # reported once
    backend.sockets.clear()
    assert [event for event, _ in next(samples).diff.events()] == ["listener_removed"]
    samples.close()
    # Never routes or protocol counters, and never owners (the backend cannot): asked once
    # each per reading.
    assert set(backend.calls) == {"connections", "interface_stats"}
    assert backend.calls.count("connections") == backend.calls.count("interface_stats") == 5


def test_by_default_a_table_the_backend_cannot_list_is_a_note() -> None:
    sample = next(netstatlib.watch(0.01, count=1, backend=Changing()))
    assert not sample.complete
    assert sample.snapshot.notes == (
        "routes: the changing backend cannot list them",
        "protocols: the changing backend cannot list them",
    )


def test_count_and_a_stop_event_set_before() -> None:
    assert len(list(netstatlib.watch(0.01, count=3, backend=Changing()))) == 3
    assert list(netstatlib.watch(0.01, count=0, backend=Changing())) == []
    stop = threading.Event()
    stop.set()
    backend = Changing()
    assert list(netstatlib.watch(0.01, stop=stop, backend=backend)) == []
    assert backend.calls == []  # not even read


class Interrupting(threading.Event):
    """Ctrl-C during the wait between two samples."""

    def wait(self, timeout: float | None = None) -> bool:
        raise KeyboardInterrupt


def test_ctrl_c_reaches_the_caller_and_ends_the_iterator() -> None:
    samples = netstatlib.watch(0.01, "interfaces", stop=Interrupting(), backend=Changing())
    with pytest.raises(KeyboardInterrupt):
        next(samples)
    assert list(samples) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"interval": 0}, "interval must be a positive number of seconds, not 0"),
        ({"interval": float("nan")}, "interval must be a positive number"),
        ({"interval": "1"}, "interval must be a number of seconds, not '1'"),
        ({"include": "sockets"}, "unknown table 'sockets'"),
        ({"include": []}, "include names no table"),
        ({"count": -1}, "count must be a number of samples"),
        ({"stop": True}, "stop must be a threading.Event, not bool"),
        ({"include": "interfaces", "throughput": True}, "include 'connections'"),
        ({"owner_rescan": -1}, "owner_rescan must be 0 or more seconds, not -1"),
        ({"owner_rescan": float("inf")}, "owner_rescan must be 0 or more seconds, not inf"),
        ({"owner_rescan": "30"}, "owner_rescan must be a number of seconds, not '30'"),
    ],
)
def test_bad_arguments_raise_at_the_call(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        netstatlib.watch(backend=Changing(), **arguments)


def test_the_owner_rescan_reaches_the_owner_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    from netstatlib import _watch
    from netstatlib.cli._commands import parse_command

    made: list[float] = []

    class Recording(_watch.OwnerMemory):
        def __init__(self, *, refresh: float = 30.0) -> None:
            made.append(refresh)
            super().__init__(refresh=refresh)

    monkeypatch.setattr(_watch, "OwnerMemory", Recording)
    netstatlib.watch(processes=True, owner_rescan=0, backend=Changing())
    netstatlib.watch(processes=True, backend=Changing())
    netstatlib.watch(processes=False, owner_rescan=5, backend=Changing())  # no owners: none
    assert made == [0.0, 30.0]
    assert parse_command(["watch", "--owner-rescan", "2.5"]).owner_rescan == 2.5
    assert parse_command(["top"]).owner_rescan == 30.0


# -- the commands' grammar -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["watch", "0"], "watch: the interval must be a positive number of seconds, not '0'"),
        (["watch", "1", "2"], "watch: unexpected argument '2'"),
        (["watch", "--count", "x"], "watch: --count must be a whole number above 0, not 'x'"),
        (["top", "--limit", "0"], "top: --limit must be a whole number above 0, not '0'"),
        (
            ["top", "--owner-rescan", "-1"],
            "top: --owner-rescan must be 0 or more seconds, not '-1'",
        ),
        (["watch", "--owner-r", "x"], "watch: --owner-rescan must be 0 or more seconds, not 'x'"),
        (["watch", "--kind", "sockets"], "watch: --kind: unknown kind 'sockets'"),
        (["watch", "--kind", "\x1b[2J"], "watch: --kind: unknown kind '\\x1b[2J'"),
        (["watch", "--bogus"], "watch: unknown option --bogus"),
        (["watch", "-x"], "watch: unknown option -x; the options are"),
        (["diff"], "diff: the snapshot file is missing"),
        (["diff", "a", "b", "c"], "diff: unexpected argument 'c'"),
        (["snapshot"], "snapshot: the snapshot file is missing"),
        (["top", "--backend", "bsd"], "top: unknown backend 'bsd'"),
        (["-an", "watch"], "watch is a command of its own: put it first"),
    ],
)
def test_bad_command_lines_are_one_line_and_status_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"netstatlib: {message}"), err
    assert len(err.splitlines()) == 1 and "\x1b" not in err


def test_diff_of_files_that_are_not_snapshots_is_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    assert main(["diff", str(bad)]) == 2
    assert main(["diff", str(tmp_path / "missing.json")]) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 2
    assert lines[0].startswith(f"netstatlib: diff: {bad}") and "does not exist" in lines[1]


@pytest.mark.parametrize("command", ["watch", "top", "snapshot", "diff"])
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: netstatlib {command}")


def test_the_main_help_names_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("netstatlib watch", "netstatlib top", "netstatlib snapshot FILE",
                    "diff FILE [FILE2]"):  # fmt: skip
        assert command in out
