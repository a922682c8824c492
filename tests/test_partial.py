"""Partial results: the notes channel, what tables do with notes, processes that
vanish mid-walk, and capture manifests with and without the owner fields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import netstatlib
from netstatlib import F, Table
from netstatlib._partial import collecting, report_incomplete
from netstatlib._sources import _walk_fds
from netstatlib.backends import CapturedText

NOTE = "3 processes could not be inspected."

TCP = (
    b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    b"timeout inode\n"
    b"   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
    b"        0 5 1 0\n"
)


ROUTE = b"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def test_a_backend_that_says_nothing_gives_a_complete_table() -> None:
    backend = CapturedText({"net/tcp": TCP})
    table = netstatlib.connections("tcp4", processes=False, backend=backend)
    assert table.complete and table.notes == ()


class Reporting(CapturedText):  # type: ignore[misc]
    """A third-party backend that reports a note through the documented channel."""

    def connections(self, query):  # type: ignore[no-untyped-def]
        report_incomplete(NOTE, owners=True)
        report_incomplete(NOTE, owners=True)  # said twice, kept once
        return super().connections(query)

    def routes(self, family=None):  # type: ignore[no-untyped-def]
        report_incomplete("The routing table was cut short.")
        return super().routes(family)


def _backend() -> Reporting:
    return Reporting({"net/tcp": TCP, "net/route": ROUTE})


def test_notes_reach_the_table_and_survive_what_keeps_rows() -> None:
    table = netstatlib.connections("tcp4", processes=False, backend=_backend())
    assert not table.complete and table.notes == (NOTE,)
    assert table.sort("local").notes == (NOTE,)
    assert table.where(F.state == "LISTEN").notes == (NOTE,)
    assert table[:0].notes == (NOTE,) and table[:0].complete is False
    counts = table.counts("state")
    assert counts.notes == (NOTE,) and not counts.complete
    assert "note: 3 processes" in repr(table) and "incomplete" in repr(table)
    assert "3 processes could not be inspected." in table.to_html()
    # Equality is about the records.
    assert table == Table(list(table))


def test_a_filter_on_owners_says_that_it_may_miss_sockets() -> None:
    by_pid = netstatlib.connections("tcp4", where=F.pid == 4242, backend=_backend())
    assert len(by_pid) == 0
    assert by_pid.notes[0] == NOTE
    assert "holds no owners of sockets" in by_pid.notes[1]
    assert "The filter reads process owners" in by_pid.notes[2]
    by_port = netstatlib.connections("tcp4", where=F.local_port == 22, backend=_backend())
    assert len(by_port.notes) == 2  # a filter that reads no owner needs no such note


def test_other_queries_carry_notes_too() -> None:
    assert netstatlib.routes(backend=_backend()).notes == ("The routing table was cut short.",)


def test_notes_are_escaped_when_shown() -> None:
    table = Table([], notes=["evil \x1b]0;title\x07 note"])
    assert "\x1b" not in repr(table) and "\x1b" not in table.to_html()
    assert table.notes == ("evil \x1b]0;title\x07 note",)  # kept as given


def test_a_note_outside_a_query_goes_nowhere_and_must_be_a_sentence() -> None:
    report_incomplete("nobody collects this")
    with pytest.raises(TypeError):
        report_incomplete("")
    with collecting() as outer:
        with collecting() as inner:
            report_incomplete("inner", owners=True)
        assert inner.sentences == ["inner"]
    assert outer.sentences == ["inner"] and outer.owners_incomplete


def test_a_process_that_exited_is_counted_as_vanished() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: /proc/<pid> no longer exists
    part = _walk_fds(
        b"/proc", iter([str(gone.pid).encode(), str(os.getpid()).encode()]), None, None
    )
    assert part.vanished == 1 and part.inspected == 1 and part.denied == 0


def test_an_old_capture_without_owner_fields_still_reads(tmp_path: Path) -> None:
    folder = tmp_path / "capture"
    manifest = netstatlib.backends.LinuxProcfs(sys_class_net=None).capture(folder)
    assert manifest.uid == os.geteuid()
    document = json.loads((folder / "manifest.json").read_text())
    assert document["taken_by"]["uid"] == os.geteuid()
    assert isinstance(document["owners_complete"], bool)
    for key in ("taken_by", "owners_complete", "owner_notes"):
        del document[key]
    os.chmod(folder / "manifest.json", 0o600)
    (folder / "manifest.json").write_text(json.dumps(document))
    old = netstatlib.read_manifest(folder)
    assert old.uid is None and old.user is None and old.owners_complete is None
    assert old.owner_notes == ()
    table = netstatlib.connections(backend=netstatlib.open_capture(folder))
    assert table.complete  # unknown completeness is not claimed to be incomplete


def test_pandas_keeps_the_notes() -> None:
    pytest.importorskip("pandas")
    table = netstatlib.connections("tcp4", processes=False, backend=_backend())
    assert table.to_pandas().attrs["notes"] == [NOTE]
