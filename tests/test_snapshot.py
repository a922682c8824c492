"""``netstatlib.snapshot()``: which tables it takes, what it says is missing, and the
clock it records. Sources here are captured text and small fake backends; the live
tests take snapshots of namespaces."""

from __future__ import annotations

import datetime
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import netstatlib
from netstatlib import (
    Connection,
    InterfaceStats,
    ProtocolStats,
    Route,
    UnsupportedError,
    UsageError,
    snapshot,
)
from netstatlib.backends import Capabilities, CapturedText, SocketQuery

from conftest import conn, ep

FIXTURES = Path(__file__).parent / "fixtures"
WINDOWS = FIXTURES / "windows"
LINUX = FIXTURES / "linux" / "counters"


class Partial:
    """A backend that lists sockets (without owners) and interfaces only."""

    name = "partial"
    capabilities = Capabilities(
        tables=netstatlib.KINDS["all"],
        processes=False,
        fields={"connections": {"protocol", "local"}, "interface_stats": {"name"}},
    )

    def connections(self, query: SocketQuery) -> list[Connection]:
        return [conn(ep("127.0.0.1", 22))]

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        raise AssertionError("not to be asked")

    def interface_stats(self) -> list[InterfaceStats]:
        return []

    def protocol_stats(self) -> list[ProtocolStats]:
        raise AssertionError("not to be asked")


def test_by_default_every_table_the_backend_lists_and_a_note_for_the_others() -> None:
    taken = snapshot(backend=Partial(), processes=False)
    assert taken.tables == ("connections", "interfaces")
    assert taken.routes is None and taken.protocols is None
    assert taken.notes == (  # in the order the tables are read: counters first
        "protocols: the partial backend cannot list them",
        "routes: the partial backend cannot list them",
    )
    assert not taken.complete
    assert taken.socket_tables == netstatlib.KINDS["inet"]
    assert taken.backend == "partial" and taken.counter_width == 64


def test_owners_a_backend_cannot_name_make_a_snapshot_incomplete() -> None:
    taken = snapshot("connections", backend=Partial())
    assert taken.notes == ("owners: the partial backend cannot name the processes of sockets",)
    assert not taken.complete
    assert snapshot("connections", backend=Partial(), processes=False).complete


def test_a_table_named_that_the_backend_cannot_list_raises() -> None:
    with pytest.raises(UnsupportedError, match="the partial backend cannot list routes"):
        snapshot(["connections", "routes"], backend=Partial())


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ("sockets", "unknown table 'sockets'; a snapshot holds connections, routes"),
        ([], "include names no table"),
        (5, "include must name tables"),
        (["routes", None], "unknown table 'None'"),
    ],
)
def test_include_names_tables(include: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        snapshot(include, backend=Partial())


def test_what_the_backend_refuses_when_asked_is_a_note_too() -> None:
    """A Windows capture without ``netstat -rn`` output says so when routes are asked."""
    ano = (WINDOWS / "connections" / "win10_en_netstat-ano.txt").read_bytes()
    stats = (WINDOWS / "stats" / "win10_en_netstat-s_utf16le.txt").read_bytes()
    with CapturedText({"netstat-ano.txt": ano, "netstat-s.txt": stats}) as backend:
        taken = snapshot(backend=backend)
    assert taken.tables == ("connections", "protocols")
    assert [note.split(":")[0] for note in taken.notes] == ["interfaces", "routes"]
    assert "netstat -rn" in taken.notes[1]
    # Windows counters are 32 bits wide: they wrap.
    assert taken.backend == "captured-windows" and taken.counter_width == 32


def test_a_snapshot_of_a_capture_and_its_clock() -> None:
    files = {f"net/{path.name}": path.read_bytes() for path in LINUX.iterdir() if path.is_file()}
    files.pop("net/expected.json")
    before = time.monotonic()
    with CapturedText(files) as backend:
        taken = snapshot(kind="all", backend=backend)
    after = time.monotonic()
    assert taken.tables == ("connections", "routes", "interfaces", "protocols")
    assert before <= taken.monotonic <= after
    assert taken.taken_at.tzinfo is datetime.timezone.utc
    assert abs(taken.taken_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds() < 60
    assert taken.host == socket.gethostname()
    with open("/proc/sys/kernel/random/boot_id") as handle:
        assert taken.clock_id == f"boot-{handle.read().strip()}"
    assert repr(taken).startswith(f"<Snapshot of {socket.gethostname()!r} by captured-linux at ")
    assert repr(taken).endswith(
        f"{len(taken.connections or ())} connections, {len(taken.routes or ())} routes, "
        f"{len(taken.interfaces or ())} interfaces, {len(taken.protocols or ())} protocols>"
    )
    # The capture gives no owners: they are not looked up, and that is said.
    assert taken.notes == ()
    assert json.loads(json.dumps(taken.notes)) == []


def test_details_from_a_backend_that_cannot_give_them_raise() -> None:
    files = {"net/tcp": (LINUX / "tcp").read_bytes()}
    with CapturedText(files) as backend, pytest.raises(UnsupportedError, match="details"):
        snapshot("connections", kind="tcp4", details=True, backend=backend)


def test_import_netstatlib_does_not_load_the_monitoring_modules_until_used() -> None:
    code = (
        "import sys, netstatlib\n"
        "names = ('_snapshot', '_diff', '_rates', '_record_json')\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.split('.')[-1] in names)\n"
        "print(loaded()); netstatlib.diff; print(loaded())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "[]",
        "['netstatlib._diff', 'netstatlib._record_json', 'netstatlib._snapshot']",
    ]
