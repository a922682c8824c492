"""Captures (netstatlib/_capture.py, the format in _capture_format.py) written from and compared with copies of /proc and
recorded Windows outputs: no root, no network, nothing run.

A Linux source here is a folder laid out like /proc: ``net/`` from a fixture scenario
(``tests/fixtures/linux/<scenario>/``, copied byte for byte from a namespace) and
``<pid>/fd/<n>`` links to ``socket:[inode]`` plus ``<pid>/comm``, which is all the
fd walk looks at. Every query from ``LinuxProcfs(root=capture)`` must give the records
``LinuxProcfs(root=source)`` gives.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import netstatlib
from netstatlib import (
    CaptureManifest,
    CommandTimeoutError,
    NetstatError,
    ParseError,
    SourceNotFoundError,
    UnsupportedError,
    UsageError,
    _capture_format,
    capture_linux,
    capture_windows,
    open_capture,
    read_manifest,
    windows_capture_runner,
)
from netstatlib.backends import SOCKET_FILES, LinuxProcfs, SocketQuery, WindowsNetstat, _windows
from netstatlib.backends._linux import NET_FILES
from netstatlib.parsers import procfs
from netstatlib.parsers import windows as win_parsers

LINUX = Path(__file__).parent / "fixtures" / "linux"
WINDOWS = Path(__file__).parent / "fixtures" / "windows"
SCENARIOS = sorted(path.parent.name for path in LINUX.glob("*/expected.json"))
PROC_FILES = [name for name, _ in SOCKET_FILES.values()] + list(NET_FILES)
KINDS = ["all", "inet", "tcp", "udp", "raw", "udplite", "unix"]

# comm may hold spaces, parentheses, a newline and bytes that are not UTF-8.
ODD_NAMES = [b"sshd\n", b"my (odd) name\n", b"nl\nname-\xff\n", b"tab\there\n"]


def make_proc(
    folder: Path, scenario: str, *, without: Sequence[str] = (), owners: int = 4
) -> tuple[Path, list[int]]:
    """A /proc-like folder: the scenario's net files and ``owners`` processes sharing out
    its socket inodes (the second and third sockets also held by a second process), plus
    one process holding a socket of another namespace. Returns the folder and the
    inodes."""
    net = folder / "net"
    net.mkdir(parents=True)
    for name in PROC_FILES:
        if name not in without and (LINUX / scenario / name).exists():
            shutil.copyfile(LINUX / scenario / name, net / name)
    tables = {table for table, (name, _) in SOCKET_FILES.items() if (net / name).exists()}
    query = SocketQuery(tables=tables)
    inodes = sorted({row.inode for row in LinuxProcfs(folder).connections(query) if row.inode})
    for number in range(owners):
        pid = 100 + number
        fd = folder / str(pid) / "fd"
        fd.mkdir(parents=True)
        (fd / "0").symlink_to("/dev/null")
        (fd / "1").symlink_to("pipe:[9]")
        for n, inode in enumerate(inodes[number::owners]):
            (fd / str(3 + n)).symlink_to(f"socket:[{inode}]")
        if number < 2 and len(inodes) > number:
            (fd / "99").symlink_to(f"socket:[{inodes[(number + 1) % len(inodes)]}]")
        (folder / str(pid) / "comm").write_bytes(ODD_NAMES[number % len(ODD_NAMES)])
    other = folder / "900" / "fd"  # a process in another namespace
    other.mkdir(parents=True)
    (other / "3").symlink_to("socket:[999999999]")
    (folder / "900" / "comm").write_bytes(b"elsewhere\n")
    (folder / "self").mkdir()
    return folder, inodes


def answers(backend: Any) -> dict[str, Any]:
    """Every query, every kind, with processes: what a capture must reproduce."""
    result: dict[str, Any] = {}
    for kind in KINDS:
        result[f"connections {kind}"] = list(netstatlib.connections(kind, backend=backend))
        result[f"listening {kind}"] = list(netstatlib.listening(kind, backend=backend))
    result["no processes"] = list(netstatlib.connections("all", backend=backend, processes=False))
    for family in (None, "inet", "inet6"):
        result[f"routes {family}"] = list(netstatlib.routes(family=family, backend=backend))
    result["interface_stats"] = list(netstatlib.interface_stats(backend=backend))
    result["protocol_stats"] = list(netstatlib.protocol_stats(backend=backend))
    return result


def hidden_leftovers(parent: Path) -> list[str]:
    return sorted(name for name in os.listdir(parent) if name.startswith("."))


# -- Linux: every query the same ----------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_query_from_the_capture_equals_the_source(tmp_path: Path, scenario: str) -> None:
    source, _ = make_proc(tmp_path / "proc", scenario)
    manifest = capture_linux(tmp_path / "cap", root=source)
    live, captured = answers(LinuxProcfs(source)), answers(LinuxProcfs(tmp_path / "cap"))
    assert captured == live
    assert manifest.processes is True
    assert manifest.interface_attributes is False  # not this namespace: none, as live
    assert hidden_leftovers(tmp_path) == []


def test_processes_are_those_of_the_walk_with_their_names(tmp_path: Path) -> None:
    source, inodes = make_proc(tmp_path / "proc", "sockets")
    capture_linux(tmp_path / "cap", root=source)
    rows = netstatlib.connections("all", backend=LinuxProcfs(tmp_path / "cap"))
    by_inode = {row.inode: row for row in rows if row.inode}
    assert by_inode[inodes[0]].pids == (100,)
    assert by_inode[inodes[1]].pids == (100, 101)  # shared: both pids, sorted
    assert by_inode[inodes[1]].process == "sshd"  # the first pid's name, as live
    names = {row.process for row in rows if row.process is not None}
    assert names == {"sshd", "my (odd) name", "nl\nname-\udcff", "tab\there"}
    document = json.loads((tmp_path / "cap" / "processes.json").read_text())
    pids = [entry["pid"] for entry in document["processes"]]
    assert pids == [100, 101, 102, 103]  # pid 900 holds no socket of this namespace
    assert all(sorted(entry["sockets"]) == entry["sockets"] for entry in document["processes"])
    assert LinuxProcfs(tmp_path / "cap").process_name(102) == "nl\nname-\udcff"
    assert LinuxProcfs(tmp_path / "cap").socket_owners({inodes[1]}) == {inodes[1]: (100, 101)}


def test_without_processes_owners_stay_unknown(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    manifest = capture_linux(tmp_path / "cap", root=source, processes=False)
    assert manifest.processes is False
    assert not (tmp_path / "cap" / "processes.json").exists()
    rows = netstatlib.connections("all", backend=LinuxProcfs(tmp_path / "cap"))
    assert rows and all(row.pids is None and row.process is None for row in rows)


def test_no_inspectable_process_is_recorded_as_no_process_map(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets", owners=0)
    shutil.rmtree(source / "900")
    manifest = capture_linux(tmp_path / "cap", root=source)
    assert manifest.processes is False  # ownership unknown, as live: pids None
    assert answers(LinuxProcfs(tmp_path / "cap")) == answers(LinuxProcfs(source))


def test_files_are_copied_byte_for_byte(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "unix_leading_newline")
    manifest = capture_linux(tmp_path / "cap", root=source)
    for name in PROC_FILES:
        assert (tmp_path / "cap" / "net" / name).read_bytes() == (
            source / "net" / name
        ).read_bytes()
    on_disk = sorted(
        path.relative_to(tmp_path / "cap").as_posix()
        for path in (tmp_path / "cap").rglob("*")
        if path.is_file()
    )
    assert sorted([*manifest.files, "manifest.json"]) == on_disk
    assert list(manifest.files) == sorted(manifest.files)


def test_a_pid_source_reads_that_namespace_and_records_it(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    (source / "4242").mkdir()
    (source / "net").rename(source / "4242" / "net")
    manifest = capture_linux(tmp_path / "cap", root=source, pid=4242)
    assert (manifest.root, manifest.pid) == (str(source), 4242)
    assert (tmp_path / "cap" / "net" / "tcp").exists()  # one namespace: always net/
    assert answers(LinuxProcfs(tmp_path / "cap")) == answers(LinuxProcfs(source, pid=4242))


def test_capturing_a_capture_gives_the_same_answers(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "counters")
    capture_linux(tmp_path / "one", root=source)
    capture_linux(tmp_path / "two", root=tmp_path / "one")
    assert answers(LinuxProcfs(tmp_path / "two")) == answers(LinuxProcfs(source))
    assert (tmp_path / "two" / "processes.json").read_bytes() == (
        tmp_path / "one" / "processes.json"
    ).read_bytes()


# -- missing files ------------------------------------------------------------------------


def test_missing_optional_files_are_recorded_not_faked(tmp_path: Path) -> None:
    absent = ["tcp6", "udp6", "raw6", "udplite", "udplite6", "unix", "ipv6_route", "snmp6"]
    absent.append("netstat")
    source, _ = make_proc(tmp_path / "proc", "sockets", without=absent)
    manifest = capture_linux(tmp_path / "cap", root=source)
    assert sorted(manifest.missing) == sorted(f"net/{name}" for name in absent)
    for name in absent:
        assert not (tmp_path / "cap" / "net" / name).exists()
        assert f"net/{name}" not in manifest.files
    assert answers(LinuxProcfs(tmp_path / "cap")) == answers(LinuxProcfs(source))


@pytest.mark.parametrize("required", ["tcp", "udp", "raw", "route", "dev", "snmp"])
def test_a_missing_required_file_fails_and_leaves_nothing(tmp_path: Path, required: str) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets", without=[required])
    with pytest.raises(SourceNotFoundError, match=required):
        capture_linux(tmp_path / "cap", root=source)
    assert not (tmp_path / "cap").exists()
    assert hidden_leftovers(tmp_path) == []


def test_a_file_netstatlib_cannot_parse_is_still_captured(tmp_path: Path) -> None:
    source, inodes = make_proc(tmp_path / "proc", "sockets")
    garbage = b"this is not /proc/net/raw6\n\x00\xff\n"
    (source / "net" / "raw6").write_bytes(garbage)
    capture_linux(tmp_path / "cap", root=source)
    assert (tmp_path / "cap" / "net" / "raw6").read_bytes() == garbage
    # The inodes could not all be read: the map keeps every socket the walk found.
    document = json.loads((tmp_path / "cap" / "processes.json").read_text())
    held = {inode for entry in document["processes"] for inode in entry["sockets"]}
    assert 999999999 in held and set(inodes) <= held
    with pytest.raises(ParseError):
        netstatlib.connections("raw6", backend=LinuxProcfs(tmp_path / "cap"))
    assert netstatlib.connections("tcp", backend=LinuxProcfs(tmp_path / "cap")) == (
        netstatlib.connections("tcp", backend=LinuxProcfs(source))
    )


# -- interface attributes -----------------------------------------------------------------


def make_sysfs(folder: Path, scenario: str = "counters") -> Path:
    """A sys/class/net copy for the interfaces of a scenario: the first up with carrier
    and a speed, the others down, with a speed of -1 (unknown)."""
    names = [row.name for row in procfs.parse_dev((LINUX / scenario / "dev").read_bytes())]
    for number, name in enumerate(names):
        assert name is not None
        device = folder / name
        device.mkdir(parents=True)
        (device / "mtu").write_text(f"{1280 + number}\n")
        (device / "ifindex").write_text(f"{number + 1}\n")
        (device / "flags").write_text("0x1003\n" if number == 0 else "0x1002\n")
        (device / "speed").write_text("10000\n" if number == 0 else "-1\n")
        if number == 0:
            (device / "carrier").write_text("1\n")
    return folder


def test_interface_attributes_from_a_sysfs_folder_are_kept(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "counters")
    sysfs = make_sysfs(tmp_path / "sysfs")
    manifest = capture_linux(tmp_path / "cap", root=source, sys_class_net=sysfs)
    assert manifest.interface_attributes is True
    live = netstatlib.interface_stats(backend=LinuxProcfs(source, sys_class_net=sysfs))
    captured = netstatlib.interface_stats(backend=LinuxProcfs(tmp_path / "cap"))
    assert captured == live
    assert any(row.mtu is not None for row in captured)
    assert {row.is_up for row in captured} == {True, False}
    assert any(row.speed_mbps == 10000 for row in captured)
    # An explicit folder still wins; None still means none.
    assert netstatlib.interface_stats(
        backend=LinuxProcfs(tmp_path / "cap", sys_class_net=None)
    ) == netstatlib.interface_stats(backend=LinuxProcfs(source))
    links = json.loads((tmp_path / "cap" / "links.json").read_text())["interfaces"]
    first = min(links.values(), key=lambda link: link["index"])
    assert first == {"mtu": 1280, "is_up": True, "speed_mbps": 10000, "index": 1, "flags": 0x1003}


def test_no_interface_attributes_when_asked_for_none(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "counters")
    manifest = capture_linux(tmp_path / "cap", root=source, sys_class_net=None)
    assert manifest.interface_attributes is False
    assert not (tmp_path / "cap" / "links.json").exists()


def test_own_namespace_attributes_are_what_live_reports(tmp_path: Path) -> None:
    """The test runner's own namespace, read-only: counters move, MTU/up/speed do not."""
    if not os.path.isfile("/proc/net/dev"):
        pytest.skip("This machine has no /proc/net/dev to compare the capture with.")
    manifest = capture_linux(tmp_path / "cap", processes=False)
    assert manifest.interface_attributes is True
    live = {row.name: row for row in netstatlib.interface_stats(backend=LinuxProcfs())}
    captured = netstatlib.interface_stats(backend=LinuxProcfs(tmp_path / "cap"))
    for row in captured:
        if row.name in live:
            want = live[row.name]
            assert (row.mtu, row.is_up, row.speed_mbps) == (
                want.mtu,
                want.is_up,
                want.speed_mbps,
            )
    assert all(row.mtu is not None for row in captured)


def test_a_broken_links_file_is_a_parse_error(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "counters")
    capture_linux(tmp_path / "cap", root=source, sys_class_net=make_sysfs(tmp_path / "s"))
    (tmp_path / "cap" / "links.json").write_text('{"interfaces": {"lo": {"mtu": "big"}}}')
    with pytest.raises(ParseError, match=r"links\.json"):
        netstatlib.interface_stats(backend=LinuxProcfs(tmp_path / "cap"))


# -- atomicity and the target folder ------------------------------------------------------


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failure_mid_write_leaves_neither_capture_nor_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    written: list[str] = []
    real = _capture_format._write_file

    def failing(path: str, data: bytes) -> None:
        if path.endswith(os.sep + "dev"):
            raise error
        real(path, data)
        written.append(path)

    monkeypatch.setattr(_capture_format, "_write_file", failing)
    expected = NetstatError if isinstance(error, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        capture_linux(tmp_path / "cap", root=source)
    assert len(written) > 5  # it did fail in the middle
    assert not (tmp_path / "cap").exists()
    assert hidden_leftovers(tmp_path) == []


def test_a_reader_never_sees_a_half_written_capture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While files are written, the target does not exist; only a hidden sibling does."""
    source, _ = make_proc(tmp_path / "proc", "sockets")
    seen: list[tuple[bool, list[str]]] = []
    real = _capture_format._write_file

    def watching(path: str, data: bytes) -> None:
        seen.append(((tmp_path / "cap").exists(), hidden_leftovers(tmp_path)))
        real(path, data)

    monkeypatch.setattr(_capture_format, "_write_file", watching)
    capture_linux(tmp_path / "cap", root=source)
    assert seen and all(exists is False for exists, _ in seen)
    assert all(len(hidden) == 1 and hidden[0].startswith(".cap.tmp-") for _, hidden in seen)
    assert hidden_leftovers(tmp_path) == []
    assert (tmp_path / "cap" / "manifest.json").exists()


def test_an_existing_folder_with_content_is_refused(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    target = tmp_path / "cap"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        capture_linux(target, root=source)
    assert os.listdir(target) == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        capture_linux(tmp_path / "file", root=source)
    assert hidden_leftovers(tmp_path) == []


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    (tmp_path / "cap").mkdir()
    capture_linux(tmp_path / "cap", root=source)
    assert answers(LinuxProcfs(tmp_path / "cap")) == answers(LinuxProcfs(source))


def test_the_parent_folder_must_exist(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    with pytest.raises(SourceNotFoundError, match="no folder"):
        capture_linux(tmp_path / "a" / "b", root=source)
    assert not (tmp_path / "a").exists()


def test_the_capture_is_private_to_its_owner(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("Windows has no POSIX file modes to check the capture's privacy by.")
    source, _ = make_proc(tmp_path / "proc", "sockets")
    capture_linux(tmp_path / "cap", root=source)
    assert (tmp_path / "cap").stat().st_mode & 0o777 == 0o700


# -- the manifest -------------------------------------------------------------------------


def test_manifest_contents(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets", without=["udplite6"])
    before = datetime.datetime.now(datetime.timezone.utc)
    manifest = capture_linux(tmp_path / "cap", root=source)
    after = datetime.datetime.now(datetime.timezone.utc)
    assert isinstance(manifest, CaptureManifest)
    assert manifest.kind == "linux"
    assert before - datetime.timedelta(milliseconds=1) <= manifest.created <= after
    assert manifest.created.utcoffset() == datetime.timedelta(0)
    assert manifest.hostname == platform.uname().node
    assert manifest.kernel == platform.uname().release
    assert manifest.machine == platform.uname().machine
    assert manifest.byteorder == sys.byteorder
    assert manifest.netstatlib_version == netstatlib.__version__
    assert (manifest.root, manifest.pid) == (str(source), None)
    assert manifest.missing == ("net/udplite6",)
    assert "processes.json" in manifest.files and "net/tcp" in manifest.files
    assert read_manifest(tmp_path / "cap") == manifest
    document = json.loads((tmp_path / "cap" / "manifest.json").read_text())
    assert document["format"] == "netstatlib-capture" and document["version"] == 1
    assert document["source"] == {"root": str(source), "pid": None}
    assert document["created"].endswith("+00:00")


def test_the_manifest_byteorder_is_used_unless_one_is_given(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    capture_linux(tmp_path / "cap", root=source)
    path = tmp_path / "cap" / "manifest.json"
    document = json.loads(path.read_text())
    document["byteorder"] = "big"
    path.write_text(json.dumps(document))
    assert LinuxProcfs(tmp_path / "cap").byteorder == "big"
    as_big = netstatlib.connections("tcp", backend=LinuxProcfs(tmp_path / "cap"))
    given = netstatlib.connections("tcp", backend=LinuxProcfs(source, byteorder="big"))
    assert as_big == given
    assert as_big != netstatlib.connections("tcp", backend=LinuxProcfs(source))
    assert LinuxProcfs(tmp_path / "cap", byteorder="little").byteorder == "little"
    assert LinuxProcfs(source).byteorder == sys.byteorder  # no manifest: this machine's


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), "not a netstatlib-capture manifest"),
        (lambda d: d.update(version=99), "newer than this netstatlib"),
        (lambda d: d.update(kind="solaris"), "unknown kind"),
        (lambda d: d.update(created="yesterday"), "created|isoformat"),
        (lambda d: d.update(processes="yes"), "processes"),
        (lambda d: d["source"].update(pid="1"), "pid"),
        (lambda d: d.update(files=[1, 2]), "files"),
    ],
)
def test_a_bad_manifest_is_a_parse_error(
    tmp_path: Path, change: Callable[[dict], None], message: str
) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    capture_linux(tmp_path / "cap", root=source)
    path = tmp_path / "cap" / "manifest.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    with pytest.raises(ParseError, match=message) as caught:
        read_manifest(tmp_path / "cap")
    assert caught.value.source == str(path)


def test_no_manifest(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        read_manifest(tmp_path)
    path = tmp_path / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(ParseError):
        read_manifest(tmp_path)


def test_a_broken_process_map_is_a_parse_error(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    capture_linux(tmp_path / "cap", root=source)
    (tmp_path / "cap" / "processes.json").write_text('{"processes": [{"pid": "1"}]}')
    with pytest.raises(ParseError, match=r"processes\.json"):
        netstatlib.connections("all", backend=LinuxProcfs(tmp_path / "cap"))


# -- Windows ------------------------------------------------------------------------------

OUTPUTS: dict[str, bytes] = {
    "-ano": (WINDOWS / "connections" / "win10_en_netstat-ano.txt").read_bytes(),
    "-rn": (WINDOWS / "routes" / "win10_en_active_persistent.txt").read_bytes(),
    "-e": (WINDOWS / "stats" / "win10_en_netstat-e_lf.txt").read_bytes(),
    "-s": (WINDOWS / "stats" / "win10_en_netstat-s_utf16le.txt").read_bytes(),
}


class Replay:
    """A runner answering each netstat invocation from recorded outputs."""

    def __init__(
        self, outputs: dict[str, bytes | str], fail: dict[str, BaseException] | None = None
    ):
        self.outputs = outputs
        self.fail = fail or {}
        self.calls: list[tuple[tuple[str, ...], float]] = []

    def __call__(self, argv: Sequence[str], timeout: float) -> bytes | str:
        self.calls.append((tuple(argv), timeout))
        flags = " ".join(argv[1:])
        if flags in self.fail:
            raise self.fail[flags]
        return self.outputs[flags]


def windows_answers(backend: Any) -> dict[str, Any]:
    return {
        "connections": list(netstatlib.connections("inet", backend=backend, processes=False)),
        "listening": list(netstatlib.listening("tcp", backend=backend, processes=False)),
        "routes": list(netstatlib.routes(backend=backend)),
        "routes6": list(netstatlib.routes(family="inet6", backend=backend)),
        "interface_stats": list(netstatlib.interface_stats(backend=backend)),
        "protocol_stats": list(netstatlib.protocol_stats(backend=backend)),
    }


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> dict[int, str | None]:
    """Process names as Windows would give them at capture time (psutil is not asked)."""
    table: dict[int, str | None] = {4: "System", 1044: "svchost.exe"}

    def fake(pids: Sequence[int]) -> dict[int, str | None]:
        return {pid: table.get(pid) for pid in pids}

    monkeypatch.setattr(_windows, "_process_names", fake)
    return table


def test_windows_capture_round_trip(tmp_path: Path, names: dict[int, str | None]) -> None:
    replay = Replay(dict(OUTPUTS))
    manifest = capture_windows(
        tmp_path / "cap", run=replay, timeout=7.5, executable="C:\\netstat.exe"
    )
    assert list(replay.calls) == [
        (("C:\\netstat.exe", flags), 7.5) for flags in ("-ano", "-rn", "-e", "-s")
    ]
    for flags, output in OUTPUTS.items():  # raw bytes, UTF-16 and all
        assert (tmp_path / "cap" / f"netstat{flags}.txt").read_bytes() == output
    assert manifest.kind == "windows"
    assert manifest.executable == "C:\\netstat.exe"
    assert manifest.byteorder is None and manifest.missing == ()
    assert manifest.files == (
        "netstat-ano.txt",
        "netstat-e.txt",
        "netstat-rn.txt",
        "netstat-s.txt",
        "processes.json",
    )
    assert manifest.processes is True
    assert read_manifest(tmp_path / "cap") == manifest

    direct = windows_answers(WindowsNetstat(run=Replay(dict(OUTPUTS))))
    from_files = windows_answers(WindowsNetstat(run=windows_capture_runner(tmp_path / "cap")))
    assert from_files == direct
    assert windows_answers(open_capture(tmp_path / "cap")) == direct
    # ... and what the parsers make of the outputs themselves.
    assert direct["connections"] == win_parsers.parse_connections(OUTPUTS["-ano"])
    assert direct["routes"] == win_parsers.parse_routes(OUTPUTS["-rn"])
    assert direct["interface_stats"] == win_parsers.parse_interface_stats(OUTPUTS["-e"])
    assert direct["protocol_stats"] == win_parsers.parse_protocol_stats(OUTPUTS["-s"])


def test_windows_process_names_come_from_the_capture(
    tmp_path: Path, names: dict[int, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    capture_windows(tmp_path / "cap", run=Replay(dict(OUTPUTS)))
    document = json.loads((tmp_path / "cap" / "processes.json").read_text())
    assert all("sockets" not in entry for entry in document["processes"])

    def no_lookup(pids: Sequence[int]) -> dict[int, str | None]:
        raise AssertionError("a capture's pids are not this machine's processes")

    monkeypatch.setattr(_windows, "_process_names", no_lookup)
    rows = netstatlib.connections("inet", backend=open_capture(tmp_path / "cap"))
    assert rows
    for row in rows:
        assert row.process == (names.get(row.pids[0]) if row.pids else None)
    assert {row.process for row in rows} >= {"System", "svchost.exe", None}


def test_windows_capture_without_processes(tmp_path: Path) -> None:
    manifest = capture_windows(tmp_path / "cap", run=Replay(dict(OUTPUTS)), processes=False)
    assert manifest.processes is False
    assert not (tmp_path / "cap" / "processes.json").exists()
    rows = netstatlib.connections("inet", backend=open_capture(tmp_path / "cap"))
    assert any(row.pids for row in rows)
    assert all(row.process is None for row in rows)


def test_windows_bound_sockets_are_captured_with_q(tmp_path: Path) -> None:
    bound = (WINDOWS / "connections" / "win11_en_netstat-anoq_bound.txt").read_bytes()
    outputs: dict[str, bytes | str] = {**OUTPUTS, "-anoq": bound}
    capture_windows(tmp_path / "cap", run=Replay(outputs), bound=True, processes=False)
    assert (tmp_path / "cap" / "netstat-anoq.txt").read_bytes() == bound
    reader = WindowsNetstat(run=windows_capture_runner(tmp_path / "cap"), bound=True)
    direct = WindowsNetstat(run=Replay(outputs), bound=True)
    assert netstatlib.connections("tcp", backend=reader, processes=False) == (
        netstatlib.connections("tcp", backend=direct, processes=False)
    )


def test_windows_text_outputs_are_saved_as_utf8(tmp_path: Path) -> None:
    outputs: dict[str, bytes | str] = {
        flags: win_parsers.decode(data) for flags, data in OUTPUTS.items()
    }
    capture_windows(tmp_path / "cap", run=Replay(outputs), processes=False)
    assert (tmp_path / "cap" / "netstat-s.txt").read_bytes() == outputs["-s"].encode()
    assert windows_answers(open_capture(tmp_path / "cap")) == windows_answers(
        WindowsNetstat(run=Replay(dict(OUTPUTS)))
    )


def test_windows_code_page_from_the_manifest(tmp_path: Path) -> None:
    german = (WINDOWS / "connections" / "de_netstat-ano_cp850.txt").read_bytes()
    capture_windows(tmp_path / "cap", run=Replay({**OUTPUTS, "-ano": german}), processes=False)
    path = tmp_path / "cap" / "manifest.json"
    document = json.loads(path.read_text())
    document["source"]["code_page"] = "cp850"  # as a German Windows would record it
    path.write_text(json.dumps(document))
    run = windows_capture_runner(tmp_path / "cap")
    text = run(["netstat.exe", "-ano"], 1.0)
    assert text == german.decode("cp850")  # decoded as the capturing host did
    assert isinstance(run(["netstat.exe", "-rn"], 1.0), str)
    rows = netstatlib.connections("inet", backend=open_capture(tmp_path / "cap"))
    assert list(rows) == win_parsers.parse_connections(german, encoding="cp850")
    document["source"]["code_page"] = None  # not known: bytes, decoded by WindowsNetstat
    path.write_text(json.dumps(document))
    assert windows_capture_runner(tmp_path / "cap")(["netstat.exe", "-ano"], 1.0) == german


def test_a_failing_netstat_leaves_no_capture(tmp_path: Path) -> None:
    timeout = subprocess.TimeoutExpired(["netstat", "-s"], 30.0)
    replay = Replay(dict(OUTPUTS), fail={"-s": timeout})
    with pytest.raises(CommandTimeoutError):
        capture_windows(tmp_path / "cap", run=replay, processes=False)
    assert not (tmp_path / "cap").exists()
    assert hidden_leftovers(tmp_path) == []


def test_a_folder_of_hand_saved_files(tmp_path: Path) -> None:
    (tmp_path / "netstat-ano.txt").write_bytes(OUTPUTS["-ano"])
    (tmp_path / "netstat-r.txt").write_bytes(OUTPUTS["-rn"])  # `netstat -r` saved by hand
    (tmp_path / "netstat-s.txt").write_bytes(OUTPUTS["-s"])
    backend = WindowsNetstat(run=windows_capture_runner(tmp_path))
    direct = WindowsNetstat(run=Replay(dict(OUTPUTS)))
    assert list(netstatlib.connections("inet", backend=backend, processes=False)) == list(
        netstatlib.connections("inet", backend=direct, processes=False)
    )
    assert netstatlib.routes(backend=backend) == netstatlib.routes(backend=direct)
    assert netstatlib.protocol_stats(backend=backend) == netstatlib.protocol_stats(backend=direct)
    with pytest.raises(UnsupportedError, match=r"netstat-e\.txt"):
        netstatlib.interface_stats(backend=backend)
    opened = open_capture(tmp_path)
    assert netstatlib.routes(backend=opened) == netstatlib.routes(backend=direct)
    rows = netstatlib.connections("inet", backend=opened)
    assert all(row.process is None for row in rows)  # no names saved: unknown, not guessed


def test_the_windows_runner_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        windows_capture_runner(tmp_path / "nowhere")
    source, _ = make_proc(tmp_path / "proc", "sockets")
    capture_linux(tmp_path / "cap", root=source)
    with pytest.raises(UsageError, match="linux capture"):
        windows_capture_runner(tmp_path / "cap")


# -- open_capture -------------------------------------------------------------------------


def test_open_capture_finds_the_kind(tmp_path: Path) -> None:
    source, _ = make_proc(tmp_path / "proc", "sockets")
    capture_linux(tmp_path / "cap", root=source)
    opened = open_capture(tmp_path / "cap")
    assert isinstance(opened, LinuxProcfs)
    assert answers(opened) == answers(LinuxProcfs(source))
    assert isinstance(open_capture(source), LinuxProcfs)  # hand-made: net/ is enough
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceNotFoundError, match="not a capture"):
        open_capture(tmp_path / "empty")
    with pytest.raises(SourceNotFoundError):
        open_capture(tmp_path / "nowhere")


def test_a_capture_is_read_on_any_os(tmp_path: Path) -> None:
    """Reading needs no /proc and no ioctl: the backend only opens files of the folder."""
    source, _ = make_proc(tmp_path / "proc", "sockets")
    sysfs = make_sysfs(tmp_path / "s", "sockets")
    capture_linux(tmp_path / "cap", root=source, sys_class_net=sysfs)
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(tmp_path / "cap", moved)
    shutil.rmtree(source)
    rows = netstatlib.connections("all", backend=LinuxProcfs(moved))
    assert any(row.process for row in rows)
    assert any(row.mtu for row in netstatlib.interface_stats(backend=LinuxProcfs(moved)))
    assert socket.AF_INET6 in {row.family for row in rows}
