"""Partial owners, said: a real unprivileged user in a namespace with root's sockets.

A network namespace made here holds a TCP listener of a root process and one of a
process of uid 65534 (nobody). A query run as nobody (``setpriv``) inside the namespace
cannot read root's ``/proc/<pid>/fd``:

* the table is incomplete, with a note saying that processes could not be inspected;
* root's listener has ``pids=None`` (unknown), nobody's own has nobody's pid;
* ``where=F.pid == <root's pid>`` finds nothing, and its notes say why;
* the command line prints the note on stderr, with ``--json`` too (stdout stays JSON);
* under a private ``/proc`` mounted with ``hidepid=2`` (``unshare -m``: the host's
  ``/proc`` is never touched) root's processes are not even listed, and the note names
  the mount option.

As root, the same query is complete and finds root's listener by its pid.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import netstatlib
from netstatlib import F
from netstatlib.backends import LinuxProcfs

from . import netns
from conftest import skip_live

pytestmark = pytest.mark.live

NOBODY = netns.NOBODY
AS_NOBODY = netns.AS_NOBODY

# A process holding one TCP listener; prints its pid and port as one JSON line.
HOLDER = """
import json, os, signal, socket
listener = socket.create_server(("127.0.0.1", 0))
print(json.dumps({"pid": os.getpid(), "port": listener.getsockname()[1]}), flush=True)
signal.pause()
"""

QUERY = """
import json, sys
import netstatlib
from netstatlib import F

root_pid = int(sys.argv[1])
table = netstatlib.listening("tcp4")
by_pid = netstatlib.listening("tcp4", where=F.pid == root_pid)
print(json.dumps({
    "module": netstatlib.__file__,
    "complete": table.complete,
    "notes": list(table.notes),
    "rows": {str(row.local.port): row.pids for row in table},
    "by_pid": len(by_pid),
    "by_pid_notes": list(by_pid.notes),
}))
"""


@pytest.fixture(scope="module")
def nobody_python() -> Iterator[tuple[str, str]]:
    """An interpreter nobody can run, and a folder of the packages it imports."""
    with netns.nobody_interpreter("nsl-partial-") as found:
        yield found


@pytest.fixture(scope="module")
def place() -> Iterator[tuple[netns.Namespace, dict[str, Any], dict[str, Any]]]:
    """The namespace, root's listener and nobody's listener (pid and port of each)."""
    with netns.namespace("partial") as ns:
        python = shutil.which("python3") or sys.executable
        with netns.spawned(
            ns.exec_args(sys.executable, "-c", HOLDER),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as root_holder:
            root = netns.read_json_line(root_holder)
            candidates = [sys.executable, python, "/usr/bin/python3"]
            runnable = [path for path in candidates if netns.nobody_can_run(path)]
            if not runnable:
                skip_live(f"No Python interpreter that uid {NOBODY} can run.")
            with netns.spawned(
                ns.exec_args(*AS_NOBODY, runnable[0], "-c", HOLDER),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd="/",
            ) as nobody_holder:
                nobody = netns.read_json_line(nobody_holder)
                yield ns, root, nobody


def _as_nobody(
    ns: netns.Namespace, python: str, folder: str, *args: str, hidepid: bool = False
) -> subprocess.CompletedProcess:
    command = [*AS_NOBODY, python, *args]
    if hidepid:
        # A private mount namespace with its own /proc, mounted with hidepid=2: the
        # host's /proc (and its mount options) are never changed.
        script = 'mount -t proc -o hidepid=2 proc /proc && exec "$@"'
        command = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *command]
    return netns.run(
        ns.exec_args(*command),
        check=False,
        cwd="/",
        env={**os.environ, "PYTHONPATH": folder, "NETSTATLIB_BACKEND": "linux"},
    )


def _query(ns: netns.Namespace, python: str, folder: str, root_pid: int, **kw: Any) -> Any:
    result = _as_nobody(ns, python, folder, "-c", QUERY, str(root_pid), **kw)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["module"].startswith(folder)  # the copy, not another netstatlib
    return answer


def test_nobody_sees_that_root_owners_are_unknown(
    place: tuple[netns.Namespace, dict[str, Any], dict[str, Any]],
    nobody_python: tuple[str, str],
) -> None:
    ns, root, nobody = place
    python, folder = nobody_python
    answer = _query(ns, python, folder, root["pid"])
    assert answer["complete"] is False
    assert any("could not be inspected" in note for note in answer["notes"]), answer
    assert answer["rows"][str(root["port"])] is None  # unknown, not "no owner"
    assert answer["rows"][str(nobody["port"])] == [nobody["pid"]]
    assert answer["by_pid"] == 0
    assert any("The filter reads process owners" in note for note in answer["by_pid_notes"])
    assert any("could not be inspected" in note for note in answer["by_pid_notes"])


def test_as_root_the_same_query_is_complete(
    place: tuple[netns.Namespace, dict[str, Any], dict[str, Any]],
) -> None:
    _ns, root, nobody = place
    backend = LinuxProcfs(pid=root["pid"])
    table = netstatlib.listening("tcp4", backend=backend)
    assert table.complete, table.notes
    owners = {row.local.port: row.pids for row in table if row.local is not None}
    assert owners == {root["port"]: (root["pid"],), nobody["port"]: (nobody["pid"],)}
    found = netstatlib.listening("tcp4", where=F.pid == root["pid"], backend=backend)
    assert [row.local.port for row in found if row.local] == [root["port"]]
    assert found.complete and found.notes == ()


def test_hidepid_is_said(
    place: tuple[netns.Namespace, dict[str, Any], dict[str, Any]],
    nobody_python: tuple[str, str],
) -> None:
    ns, root, nobody = place
    python, folder = nobody_python
    if shutil.which("unshare") is None:
        skip_live("A private /proc needs unshare (util-linux), which this machine lacks.")
    answer = _query(ns, python, folder, root["pid"], hidepid=True)
    assert answer["complete"] is False
    assert any("hidepid=" in note for note in answer["notes"]), answer
    # Root's processes are not listed at all: not counted as refused, yet said.
    assert not any("could not be inspected" in note for note in answer["notes"]), answer
    assert answer["rows"][str(root["port"])] is None
    assert answer["rows"][str(nobody["port"])] == [nobody["pid"]]
    assert answer["by_pid"] == 0
    assert any("The filter reads process owners" in note for note in answer["by_pid_notes"])


@pytest.mark.parametrize("json_output", [False, True])
def test_the_cli_says_the_note_on_stderr(
    place: tuple[netns.Namespace, dict[str, Any], dict[str, Any]],
    nobody_python: tuple[str, str],
    json_output: bool,
) -> None:
    ns, root, nobody = place
    python, folder = nobody_python
    flags = ["-ano", "--json"] if json_output else ["-ano"]
    result = _as_nobody(ns, python, folder, "-m", "netstatlib", *flags)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("netstatlib: note:")]
    assert notes and any("could not be inspected" in line for line in notes), result.stderr
    assert str(root["port"]) not in result.stderr  # the note, not the table
    if json_output:
        records = json.loads(result.stdout)  # stdout is valid JSON, notes and all
        owners = {record["local"]["port"]: record["pids"] for record in records}
        assert owners[root["port"]] is None
        assert owners[nobody["port"]] == [nobody["pid"]]
    else:
        assert f":{root['port']}" in result.stdout


def test_a_capture_taken_by_nobody_says_so(
    place: tuple[netns.Namespace, dict[str, Any], dict[str, Any]],
    nobody_python: tuple[str, str],
    tmp_path: Path,
) -> None:
    ns, root, nobody = place
    python, folder = nobody_python
    shared = Path(tempfile.mkdtemp(prefix="nsl-partial-capture-"))
    try:
        os.chown(shared, NOBODY, NOBODY)
        target = shared / "capture"
        result = _as_nobody(ns, python, folder, "-m", "netstatlib", "capture", str(target))
        assert result.returncode == 0, result.stderr
        manifest = netstatlib.read_manifest(target)
        assert manifest.uid == NOBODY
        assert manifest.processes is True
        assert manifest.owners_complete is False
        assert any("could not be inspected" in note for note in manifest.owner_notes)
        table = netstatlib.listening("tcp4", backend=netstatlib.open_capture(target))
        assert not table.complete
        assert any("taken by" in note and f"uid {NOBODY}" in note for note in table.notes)
        owners = {row.local.port: row.pids for row in table if row.local is not None}
        assert owners == {root["port"]: None, nobody["port"]: (nobody["pid"],)}
        by_pid = netstatlib.listening(
            "tcp4", where=F.pid == root["pid"], backend=netstatlib.open_capture(target)
        )
        assert len(by_pid) == 0
        assert any("The filter reads process owners" in note for note in by_pid.notes)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


# Short-lived processes, each holding a TCP listener for a moment, as fast as they can.
CHURN = """
import os, socket, time
while True:
    pid = os.fork()
    if pid == 0:
        listener = socket.create_server(("127.0.0.1", 0))
        time.sleep(0.002)
        os._exit(0)
    os.waitpid(pid, 0)
"""


def test_processes_that_exit_mid_walk_leave_owners_unknown_and_said(
    place: tuple[netns.Namespace, dict[str, Any], dict[str, Any]],
) -> None:
    ns, root, _ = place
    with netns.spawned(ns.exec_args(sys.executable, "-c", CHURN)):
        backend = LinuxProcfs(pid=root["pid"], engine="procfs")
        for _ in range(40):
            table = netstatlib.listening("tcp4", backend=backend)
            stable = [row for row in table if row.local and row.local.port == root["port"]]
            assert [row.pids for row in stable] == [(root["pid"],)]
            unknown = [row for row in table if row.inode and row.pids is None]
            if unknown:
                # Never silent: a socket without a known owner comes with the reason.
                assert any("exited while owners were looked up" in n for n in table.notes)
            assert table.complete == (not table.notes)
