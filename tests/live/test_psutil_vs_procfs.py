"""The psutil backend against LinuxProcfs, both run inside a namespace the test builds.

psutil reads ``/proc/net`` of the process that calls it, so ``psutil_dump.py`` runs inside
the namespace (``ip netns exec``) and reads psutil, LinuxProcfs and psutil again until
nothing moved in between. Every field both backends fill must agree, with the
differences psutil's docs and code give reasons for spelled out here:

- psutil names one process per socket on Linux (psutil issues #497, #572): where
  LinuxProcfs lists several holders, psutil's one pid must be among them.
- psutil never gives a UNIX socket's state (``NONE`` always): it is ``None``.
- psutil gives no local endpoint for port 0 (an unbound socket), and no remote either.
- psutil cannot read a UNIX path holding a newline: the socket zoo has one, and psutil's
  error must reach the caller as a NetstatError. UNIX sockets are compared on a second
  namespace whose sockets psutil can read (``psutil_dump.py --unix-zoo``); there a path
  holding a space comes out unnamed, as psutil splits the rows at whitespace.
- sysfs gives no speed for a device that is down; psutil asks the driver (ethtool).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netstatlib.backends import LinuxProcfs
from netstatlib.backends._psutil import Psutil

from . import netns

pytestmark = pytest.mark.live

DUMP = Path(__file__).resolve().parent / "psutil_dump.py"
INET_KINDS = ["tcp4", "tcp6", "udp4", "udp6", "inet"]
# The interface fields both backends fill, by their declarations.
INTERFACE_FIELDS = sorted(
    Psutil().capabilities.fields["interface_stats"]
    & LinuxProcfs.capabilities.fields["interface_stats"]
)
COUNTERS = [name for name in INTERFACE_FIELDS if name.startswith(("rx_", "tx_"))]


def _connection_fields() -> list[str]:
    """The connection fields both backends fill, but pids and process (compared apart)."""
    both = (
        Psutil().capabilities.fields["connections"] & LinuxProcfs.capabilities.fields["connections"]
    )
    return sorted(both - {"pids", "process"})


def _dump(ns: netns.Namespace, *args: str) -> dict[str, Any]:
    result = ns.exec(sys.executable, str(DUMP), *args)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def zoo_dump(lab: netns.Lab, zoo: netns.Zoo) -> dict[str, Any]:
    """The zoo's namespace read by both backends: every kind psutil has, and interfaces."""
    return _dump(lab.ns, "--interfaces", *INET_KINDS, "unix")


@pytest.fixture(scope="module")
def unix_dump(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh namespace holding only UNIX sockets psutil can list (no path holds a
    newline), made by the dump itself."""
    folder = tmp_path_factory.mktemp("psutil-unix")
    with netns.namespace("psuunix") as ns:
        yield _dump(ns, "--unix-zoo", str(folder), "unix")


def _without_port_zero(endpoint: dict[str, Any] | None) -> dict[str, Any] | None:
    """psutil gives no endpoint for port 0 (``decode_address()`` returns ``()``)."""
    if endpoint is None or endpoint["port"] == 0:
        return None
    return endpoint


def _as_psutil_sees_it(row: dict[str, Any]) -> dict[str, Any]:
    """A LinuxProcfs row with what psutil cannot know set as psutil reports it."""
    row = dict(
        row, local=_without_port_zero(row["local"]), remote=_without_port_zero(row["remote"])
    )
    if row["protocol"] == "unix":
        row["state"] = None  # psutil says NONE for every UNIX socket
        if row["path"] is not None and len(row["path"].split()) > 1:
            row["path"] = None  # psutil splits /proc/net/unix rows at whitespace
    return row


def _process_agrees(psutil_name: str | None, comm: str | None) -> bool:
    """psutil's ``Process.name()`` is ``/proc/<pid>/comm``, or for a name cut at 15 bytes
    the longer name from the command line that starts with it (psutil/_pslinux.py)."""
    if psutil_name == comm:
        return True
    return (
        comm is not None
        and psutil_name is not None
        and len(comm.encode("utf-8", "surrogateescape")) == 15
        and psutil_name.startswith(comm)
    )


def _differences(
    psutil_rows: list[dict[str, Any]], procfs_rows: list[dict[str, Any]], comm: dict[str, Any]
) -> list[str]:
    """Match every psutil row to a LinuxProcfs row (same shared fields, compatible pids);
    what is left over on either side, or disagrees on the process, is a difference."""
    fields = _connection_fields()

    def key(row: dict[str, Any]) -> str:
        return json.dumps([row[name] for name in fields])

    pending = [_as_psutil_sees_it(row) for row in procfs_rows]
    problems = []
    for row in psutil_rows:
        pids = row["pids"]
        match = None
        for index, other in enumerate(pending):
            if other is None or key(other) != key(row):
                continue
            # psutil's one pid must be one of the holders; no holder, no pid.
            fits = pids == [] if not other["pids"] else len(pids) == 1 and pids[0] in other["pids"]
            if fits:
                match = index
                break
        if match is None:
            problems.append(f"psutil has a row LinuxProcfs lacks: {row}")
            continue
        pending[match] = None
        if pids and not _process_agrees(row["process"], comm[str(pids[0])]):
            problems.append(f"process {row['process']!r}, comm {comm[str(pids[0])]!r}: {row}")
        if not pids and row["process"] is not None:
            problems.append(f"a process without a pid: {row}")
    problems.extend(f"LinuxProcfs has a row psutil lacks: {row}" for row in pending if row)
    return problems


# -- inet on the socket zoo ------------------------------------------------------------


def test_every_reading_was_taken_while_nothing_moved(zoo_dump: dict[str, Any]) -> None:
    readings = [*zoo_dump["connections"].values(), zoo_dump["interfaces"]]
    for reading in readings:
        assert reading["before"] == reading["after"], f"{reading['attempts']} attempts"


@pytest.mark.parametrize("kind", INET_KINDS)
def test_inet_kind_agrees_with_procfs(zoo_dump: dict[str, Any], kind: str) -> None:
    reading = zoo_dump["connections"][kind]
    assert reading["before"]["error"] is None
    psutil_rows = reading["before"]["rows"]
    procfs_rows = reading["procfs"]
    assert len(procfs_rows) >= 2, "the zoo makes at least two sockets of each kind"
    assert not _differences(psutil_rows, procfs_rows, zoo_dump["comm"])


def test_the_zoo_sockets_are_all_there(zoo_dump: dict[str, Any], zoo: netns.Zoo) -> None:
    rows = zoo_dump["connections"]["inet"]["before"]["rows"]
    listed = {(row["protocol"], row["local"]["address"], row["local"]["port"]) for row in rows}
    for name, spec in zoo.sockets.items():
        if spec["proto"] not in ("tcp", "udp"):
            continue
        local = spec["local"]
        assert (spec["proto"], local[0], local[1]) in listed, name


def test_a_shared_listener_shows_one_of_its_processes(
    zoo_dump: dict[str, Any], zoo: netns.Zoo
) -> None:
    """psutil names one holder of a socket on Linux (the last its walk of /proc found);
    LinuxProcfs names every holder."""
    port = zoo.sockets["shared_listener"]["local"][1]
    holders = sorted([zoo.pid, zoo.children["sharer"]])
    reading = zoo_dump["connections"]["tcp4"]
    (ours,) = [row for row in reading["before"]["rows"] if row["local"]["port"] == port]
    (procfs,) = [row for row in reading["procfs"] if row["local"]["port"] == port]
    assert procfs["pids"] == holders
    assert len(ours["pids"]) == 1 and ours["pids"][0] in holders


def test_udp_states_follow_the_remote(zoo_dump: dict[str, Any], zoo: netns.Zoo) -> None:
    rows = zoo_dump["connections"]["udp4"]["before"]["rows"]
    by_port = {row["local"]["port"]: row for row in rows}
    connected = by_port[zoo.sockets["udp_connected"]["local"][1]]
    assert connected["state"] == "ESTABLISHED" and connected["remote"] is not None
    assert by_port[zoo.sockets["udp4"]["local"][1]]["state"] is None


def test_a_unix_path_psutil_cannot_read_is_a_netstat_error(zoo_dump: dict[str, Any]) -> None:
    """The zoo has a UNIX socket whose path holds a newline: /proc/net/unix then continues
    the row on a second line, which psutil cannot split (psutil/_pslinux.py
    ``process_unix()`` raises RuntimeError). If a psutil release reads it, the rows must
    agree with LinuxProcfs like any other."""
    reading = zoo_dump["connections"]["unix"]
    error = reading["before"]["error"]
    if error is None:
        assert not _differences(reading["before"]["rows"], reading["procfs"], zoo_dump["comm"])
        return
    assert error["is_netstat_error"]
    assert error["type"] == "NetstatError"
    assert error["cause"] == "builtins.RuntimeError"
    assert "/proc/net/unix" in error["message"]


# -- UNIX on a namespace psutil can read -------------------------------------------------


def test_unix_sockets_agree_with_procfs(unix_dump: dict[str, Any]) -> None:
    reading = unix_dump["connections"]["unix"]
    assert reading["before"] == reading["after"]
    assert reading["before"]["error"] is None
    rows = reading["before"]["rows"]
    assert len(reading["procfs"]) == unix_dump["sockets"]["count"]
    assert all(row["state"] is None for row in rows)
    assert not _differences(rows, reading["procfs"], unix_dump["comm"])
    types = sorted({row["socket_type"] for row in rows})
    assert types == ["SOCK_DGRAM", "SOCK_SEQPACKET", "SOCK_STREAM"]
    assert any(row["path"] and row["path"].startswith("@psutil-dump-") for row in rows)


def test_a_unix_path_with_a_space_comes_out_unnamed(unix_dump: dict[str, Any]) -> None:
    """psutil reads a /proc/net/unix row as a path only when it has exactly eight fields
    (``process_unix()`` in psutil/_pslinux.py), so a path with a space is lost; the
    backend's docstring says so, and this test notices a psutil that reads it."""
    spaced = unix_dump["sockets"]["spaced"]
    reading = unix_dump["connections"]["unix"]
    assert [row["path"] for row in reading["procfs"] if row["path"] == spaced] == [spaced]
    assert not [row for row in reading["before"]["rows"] if row["path"] == spaced]


def test_a_shared_unix_socket_shows_one_of_its_processes(unix_dump: dict[str, Any]) -> None:
    shared = unix_dump["sockets"]["shared"]
    reading = unix_dump["connections"]["unix"]
    (ours,) = [row for row in reading["before"]["rows"] if row["path"] == shared["path"]]
    (procfs,) = [row for row in reading["procfs"] if row["path"] == shared["path"]]
    assert procfs["pids"] == sorted(shared["pids"])
    assert len(ours["pids"]) == 1 and ours["pids"][0] in shared["pids"]


# -- interfaces ------------------------------------------------------------------------


def test_interface_stats_agree_with_procfs(zoo_dump: dict[str, Any]) -> None:
    reading = zoo_dump["interfaces"]
    assert reading["before"]["error"] is None
    before = {row["name"]: row for row in reading["before"]["rows"]}
    after = {row["name"]: row for row in reading["after"]["rows"]}
    procfs = {row["name"]: row for row in reading["procfs"]}
    assert set(before) == set(procfs) == set(after)
    assert {"lo", "va", netns.VX, netns.VY} <= set(procfs)
    problems = []
    for name, theirs in procfs.items():
        # Counters only grow: LinuxProcfs' read lies between psutil's two.
        for counter in COUNTERS:
            low, value, high = before[name][counter], theirs[counter], after[name][counter]
            if not low <= value <= high:
                problems.append(f"{name} {counter}: psutil {low}..{high}, procfs {value}")
        for field in ("mtu", "is_up"):
            if before[name][field] != theirs[field]:
                problems.append(
                    f"{name} {field}: psutil {before[name][field]}, procfs {theirs[field]}"
                )
        # sysfs refuses the speed of a device that is down (EINVAL), the driver does not.
        speed = before[name]["speed_mbps"]
        if theirs["speed_mbps"] is not None and speed != theirs["speed_mbps"]:
            problems.append(f"{name} speed: psutil {speed}, procfs {theirs['speed_mbps']}")
        if speed is None and theirs["speed_mbps"] is not None:
            problems.append(f"{name}: psutil has no speed, procfs {theirs['speed_mbps']}")
    assert not problems
    # The lab's veth pair: va is up and has a known speed; vx is up without a carrier.
    assert (before["va"]["mtu"], before["va"]["is_up"]) == (1400, True)
    assert before[netns.VX]["is_up"] is False
    assert before["lo"]["speed_mbps"] is None  # psutil's 0: not known
    for row in before.values():
        for field in ("rx_fifo_errors", "multicast", "collisions", "tx_carrier_errors"):
            assert row[field] is None
