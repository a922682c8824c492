"""Captures of live namespaces read back: every query from the capture equals the live
answer taken at the same moment.

The socket zoo's namespace is captured twice: from outside (``capture_linux(DIR,
pid=<zoo>)``, as one would capture a container) and from inside (``ip netns exec``, so
that MTU, up and speed are this namespace's own). "The same moment": every query is
asked live, the capture taken, every query asked live again; when the two live readings
are equal nothing moved in between (the zoo's unanswered SYNs are retransmitted now and
then, which moves counters), and the capture must then give exactly those records. No
tolerance is needed for any counter.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import netstatlib
from netstatlib._capture import capture_linux, open_capture, read_manifest
from netstatlib.backends import Backend, LinuxProcfs

from . import netns

pytestmark = pytest.mark.live

REPOSITORY = Path(__file__).resolve().parents[2]
ATTEMPTS = 20

# Shared by this process and the code run inside the namespace: every query, every kind,
# as plain JSON-friendly dicts.
EVERYTHING_CODE = """
import netstatlib

KINDS = ["all", "inet", "inet4", "inet6", "tcp", "udp", "raw", "udplite", "unix"]


def everything(backend):
    answers = {}
    for kind in KINDS:
        answers["connections " + kind] = netstatlib.connections(kind, backend=backend)
        answers["listening " + kind] = netstatlib.listening(kind, backend=backend)
    answers["without processes"] = netstatlib.connections(
        "all", backend=backend, processes=False
    )
    for family in (None, "inet", "inet6"):
        answers[f"routes {family}"] = netstatlib.routes(family=family, backend=backend)
    answers["interface_stats"] = netstatlib.interface_stats(backend=backend)
    answers["protocol_stats"] = netstatlib.protocol_stats(backend=backend)
    return {name: table.to_dicts(plain=True) for name, table in answers.items()}
"""

# Runs inside the namespace with the folder to capture into as argument.
INSIDE_CODE = (
    EVERYTHING_CODE
    + """
import json, sys
from netstatlib._capture import capture_linux
from netstatlib.backends import LinuxProcfs

for attempt in range(int(sys.argv[2])):
    target = f"{sys.argv[1]}/inside-{attempt}"
    before = everything(LinuxProcfs(engine="procfs"))
    capture_linux(target)
    after = everything(LinuxProcfs(engine="procfs"))
    if before == after:
        break
print(json.dumps({"live": before, "quiet": before == after, "capture": target}))
"""
)

_namespace: dict[str, Any] = {}
exec(compile(EVERYTHING_CODE, "EVERYTHING_CODE", "exec"), _namespace)


def everything(backend: Backend) -> dict[str, Any]:
    """Every answer, through JSON as the inside readings come (surrogates kept)."""
    answers = _namespace["everything"](backend)
    return json.loads(json.dumps(answers))


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A folder for the captures, removed with everything in it at the end."""
    folder = Path(tempfile.mkdtemp(prefix="netstatlib-capture-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def outside(zoo: netns.Zoo, scratch: Path) -> dict[str, Any]:
    """The zoo's namespace captured through ``/proc/<zoo pid>``, with live readings.

    A capture holds ``/proc`` text, so the live readings compared with it come from the
    text too (``engine="procfs"``); test_netlink.py compares the two engines."""
    live = LinuxProcfs(pid=zoo.pid, engine="procfs")
    for attempt in range(ATTEMPTS):
        target = scratch / f"outside-{attempt}"
        before = everything(live)
        manifest = capture_linux(target, pid=zoo.pid)
        after = everything(live)
        if before == after:
            break
    return {"live": before, "quiet": before == after, "capture": target, "manifest": manifest}


@pytest.fixture(scope="module")
def inside(lab: netns.Lab, zoo: netns.Zoo, scratch: Path) -> dict[str, Any]:
    """The zoo's namespace captured from inside it (``ip netns exec``, own sysfs)."""
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}  # this checkout's netstatlib
    result = lab.ns.exec(sys.executable, "-c", INSIDE_CODE, str(scratch), str(ATTEMPTS), env=env)
    reading: dict[str, Any] = json.loads(result.stdout)
    reading["capture"] = Path(reading["capture"])
    return reading


def _differences(live: dict[str, Any], captured: dict[str, Any]) -> list[str]:
    problems = []
    for name in live:
        if live[name] != captured[name]:
            only_live = [row for row in live[name] if row not in captured[name]]
            only_captured = [row for row in captured[name] if row not in live[name]]
            problems.append(f"{name}: live only {only_live}, capture only {only_captured}")
    return problems


@pytest.mark.parametrize("where", ["outside", "inside"])
def test_every_query_from_the_capture_equals_live(
    where: str, request: pytest.FixtureRequest
) -> None:
    reading = request.getfixturevalue(where)
    assert reading["quiet"], f"no quiet moment in {ATTEMPTS} tries"
    captured = everything(LinuxProcfs(reading["capture"]))
    assert captured.keys() == reading["live"].keys()
    assert not _differences(reading["live"], captured)
    assert everything(open_capture(reading["capture"])) == captured


@pytest.mark.parametrize("where", ["outside", "inside"])
def test_the_zoo_processes_are_in_the_capture(
    where: str, request: pytest.FixtureRequest, zoo: netns.Zoo
) -> None:
    capture = LinuxProcfs(request.getfixturevalue(where)["capture"])
    rows = netstatlib.connections("all", backend=capture)
    by_inode = {row.inode: row for row in rows if row.inode}
    shared = by_inode[zoo.sockets["shared_listener"]["inode"]]
    assert shared.pids == tuple(sorted([zoo.pid, zoo.children["sharer"]]))
    assert shared.process == netns.comm(min(shared.pids))
    odd = by_inode[zoo.sockets["odd_name"]["inode"]]
    assert (odd.pids, odd.process) == ((zoo.children["odd"],), "my (odd) name")
    named = by_inode[zoo.sockets["bytes_name"]["inode"]]
    assert (named.pids, named.process) == ((zoo.children["named"],), "nl\nname-\udcff")
    syn_recv = [row for row in rows if row.state is netstatlib.TcpState.SYN_RECV]
    assert syn_recv and all(row.pids == () for row in syn_recv)  # no inode, no owner


def test_interface_attributes_are_the_namespace_own(
    inside: dict[str, Any], outside: dict[str, Any]
) -> None:
    """From inside, MTU, up and speed are known and kept; from outside they are not
    known live, and the capture does not invent them (or take the host's sysfs)."""
    stats = {
        row.name: row for row in netstatlib.interface_stats(backend=LinuxProcfs(inside["capture"]))
    }
    assert stats["va"].mtu == 1400 and stats["va"].is_up is True
    assert stats[netns.VX].is_up is False and stats[netns.VY].is_up is False
    assert stats["lo"].speed_mbps is None
    assert read_manifest(inside["capture"]).interface_attributes is True
    from_outside = netstatlib.interface_stats(backend=LinuxProcfs(outside["capture"]))
    assert all((row.mtu, row.is_up, row.speed_mbps) == (None,) * 3 for row in from_outside)
    assert outside["manifest"].interface_attributes is False
    assert not (outside["capture"] / "links.json").exists()


def test_manifests_describe_the_source(
    inside: dict[str, Any], outside: dict[str, Any], zoo: netns.Zoo
) -> None:
    manifest = outside["manifest"]
    assert read_manifest(outside["capture"]) == manifest
    assert (manifest.kind, manifest.root, manifest.pid) == ("linux", "/proc", zoo.pid)
    assert manifest.kernel == os.uname().release
    assert manifest.byteorder == sys.byteorder
    assert manifest.processes is True
    assert "processes.json" in manifest.files
    from_inside = read_manifest(inside["capture"])
    assert (from_inside.root, from_inside.pid) == ("/proc", None)
    for missing in manifest.missing:  # only files this kernel does not have
        assert not os.path.exists(f"/proc/{zoo.pid}/{missing}")


def test_only_this_namespace_sockets_are_mapped(outside: dict[str, Any]) -> None:
    """The process map holds the owners of the captured sockets, not the whole host's."""
    capture = LinuxProcfs(outside["capture"])
    rows = netstatlib.connections("all", backend=capture, processes=False)
    inodes = {row.inode for row in rows if row.inode}
    owners = capture.socket_owners()
    assert owners is not None and set(owners) <= inodes


def test_no_temporary_folder_is_left(
    inside: dict[str, Any], outside: dict[str, Any], scratch: Path
) -> None:
    assert [name for name in os.listdir(scratch) if name.startswith(".")] == []
