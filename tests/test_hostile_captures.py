"""Capture folders are untrusted input: each attack of a hostile capture, reproduced.

A capture comes from a ticket, a colleague, a tarball; people read it as root on a shared
host. Each test here builds the folder an attacker would hand over (real symbolic links,
FIFOs, device nodes, sparse files, hostile JSON) and reads it the way a user would: the
CLI's ``--root``, :func:`netstatlib.open_capture`, ``LinuxProcfs(root=...)``. Nothing
may be read from outside the folder, nothing may hang or fill memory, and every refusal
is the library's :class:`~netstatlib.ParseError` naming the path.

Reads that a regression could turn into a hang or a memory blow-up run in a child
process with a time limit and an address-space limit, so that a failure is a failed
test, never a stuck or swapping machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netstatlib
from netstatlib import ParseError, SourceNotFoundError, UsageError, _capture_format, _sources
from netstatlib.backends import CapturedText, FolderSource, LinuxProcfs

from conftest import skip_live

REPO = Path(__file__).resolve().parent.parent
SOCKETS = Path(__file__).parent / "fixtures" / "linux" / "sockets"
TCP = (SOCKETS / "tcp").read_bytes()
INODE = int(TCP.splitlines()[1].split()[9])  # the first listener's socket
NET_FILES = ("tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix", "route", "dev", "snmp")
LINK_REFUSED = "is a symbolic link; nothing in a capture folder is read through a link"

PROFILE = settings(
    max_examples=int(os.environ.get("PROCFS_MAX_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def capture(folder: Path) -> Path:
    """A hand-made Linux capture: the fixture's /proc/net files, copied."""
    (folder / "net").mkdir(parents=True)
    for name in NET_FILES:
        shutil.copyfile(SOCKETS / name, folder / "net" / name)
    return folder


# Every query, with processes: what a hostile capture gets to answer.
QUERIES = """
import json, sys, netstatlib
from netstatlib.backends import LinuxProcfs
backend = LinuxProcfs(sys.argv[1])
try:
    rows = netstatlib.connections("all", backend=backend)
    netstatlib.routes(backend=backend)
    netstatlib.interface_stats(backend=backend)
    netstatlib.protocol_stats(backend=backend)
    print(json.dumps({"rows": len(rows)}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc),
                      "ours": isinstance(exc, netstatlib.NetstatError)}))
"""


def _limit_memory() -> None:
    import resource

    limit = 2 << 30  # 2 GiB of address space: a whole /dev/zero or 2 GB file is refused
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def guarded(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python argv...`` with this checkout first on the path, a time limit (a hang is
    ``TimeoutExpired``, a failed test) and an address-space limit."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        env=env,
        preexec_fn=_limit_memory,
    )


def query_in_child(root: Path) -> dict[str, Any]:
    done = guarded("-c", QUERIES, str(root))
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def finishes(call: Callable[[], Any], *, fifos: tuple[Path, ...] = (), seconds: float = 60) -> Any:
    """``call()`` in a thread: its result, or its exception raised here; the test fails
    if it has not returned within ``seconds`` (a reader blocked on one of ``fifos`` is
    then released by opening the FIFO for writing, so that no thread is left behind)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for fifo in fifos:
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail(f"{call!r} did not finish within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@contextlib.contextmanager
def folder_of_nobody() -> Iterator[Path]:
    """An empty folder in /tmp owned by the unprivileged user 65534 (root reads it
    later, as root reads a capture someone else made); removed afterwards."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        skip_live("Building a capture as another user needs root and setpriv.")
    folder = Path(tempfile.mkdtemp(prefix="nsl-hostile-"))
    try:
        os.chown(folder, 65534, 65534)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_nobody(*argv: str) -> None:
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    subprocess.run([*nobody, *argv], check=True, capture_output=True, timeout=60)


# -- reading outside the folder -----------------------------------------------------------


def test_a_users_link_to_etc_shadow_is_refused_by_roots_cli_without_quoting_it() -> None:
    """The issue's attack: an unprivileged user links ``net/tcp`` to ``/etc/shadow``, and
    root's ``netstatlib -an --root DIR`` printed the first line of /etc/shadow inside
    its parse error."""
    shadow = Path("/etc/shadow")
    if not shadow.exists():
        skip_live("This machine has no /etc/shadow.")
    first_line = shadow.read_text(errors="replace").splitlines()[0]
    with folder_of_nobody() as folder:
        as_nobody("mkdir", str(folder / "net"))
        as_nobody("ln", "-s", "/etc/shadow", str(folder / "net" / "tcp"))
        done = guarded("-m", "netstatlib", "-an", "--root", str(folder))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"netstatlib: {folder}/net/tcp: {LINK_REFUSED}" + (
        ", which could show a file of this machine as the capture's\n"
    )
    assert first_line not in done.stderr
    assert first_line.split(":")[0] + ":" not in done.stderr  # not even the user name


@pytest.mark.parametrize(
    "reader",
    [
        lambda root: netstatlib.connections("tcp", backend=LinuxProcfs(root)),
        lambda root: netstatlib.connections("tcp", backend=netstatlib.open_capture(root)),
        lambda root: netstatlib.capture_linux(root.parent / "copy", root=root),
    ],
    ids=["LinuxProcfs", "open_capture", "capture_linux"],
)
@pytest.mark.parametrize("target", ["absolute", "relative"])
def test_a_linked_file_is_never_read(
    tmp_path: Path, reader: Callable[[Path], object], target: str
) -> None:
    """A link out of the folder (to a secret of this machine) and a link to a file inside
    it are refused alike: a capture never holds links."""
    secret = tmp_path / "secret"
    secret.write_bytes(b"SECRET-3f1a line that must never be shown\n")
    root = capture(tmp_path / "cap")
    (root / "net" / "tcp").unlink()
    if target == "absolute":
        (root / "net" / "tcp").symlink_to(secret)
    else:
        shutil.copyfile(SOCKETS / "tcp", root / "tcp-copy")
        (root / "net" / "tcp").symlink_to("../tcp-copy")
    with pytest.raises(ParseError, match=LINK_REFUSED) as caught:
        reader(root)
    assert caught.value.source == str(root / "net" / "tcp")
    assert "SECRET" not in str(caught.value)
    assert not (tmp_path / "copy").exists()


def test_net_linked_to_the_live_proc_net_is_refused(tmp_path: Path) -> None:
    """``net -> /proc/net`` showed this host's sockets as if they were the capture's."""
    root = tmp_path / "cap"
    root.mkdir()
    (root / "net").symlink_to("/proc/net")
    with pytest.raises(ParseError, match=LINK_REFUSED) as caught:
        netstatlib.open_capture(root)
    assert caught.value.source == str(root / "net")
    with pytest.raises(ParseError, match=LINK_REFUSED):
        netstatlib.connections("all", backend=LinuxProcfs(root))
    with pytest.raises(ParseError, match=LINK_REFUSED):
        FolderSource(root).listdir("net")


def test_the_folder_named_may_itself_be_a_link(tmp_path: Path) -> None:
    """The name the user gives is followed, as any program follows it; only what is
    inside is not."""
    root = capture(tmp_path / "cap")
    (tmp_path / "alias").symlink_to(root)
    assert netstatlib.connections("tcp", backend=LinuxProcfs(tmp_path / "alias")) == (
        netstatlib.connections("tcp", backend=LinuxProcfs(root))
    )


def process_folder(root: Path, pid: int) -> Path:
    folder = root / str(pid)
    (folder / "fd").mkdir(parents=True)
    (folder / "fd" / "3").symlink_to(f"socket:[{INODE}]")  # read as text, never followed
    (folder / "comm").write_bytes(b"sshd\n")
    return folder


def test_a_capture_without_links_has_its_owners(tmp_path: Path) -> None:
    root = capture(tmp_path / "cap")
    process_folder(root, 812)
    (row,) = [row for row in netstatlib.connections("tcp", backend=LinuxProcfs(root))
              if row.inode == INODE]  # fmt: skip
    assert (row.pids, row.process) == ((812,), "sshd")


@pytest.mark.parametrize("link", ["process", "fd", "comm"])
def test_process_folders_linked_to_this_machines_processes_are_refused(
    tmp_path: Path, link: str
) -> None:
    """``<pid> -> /proc/<pid>`` made the owner lookup read this machine's processes."""
    root = capture(tmp_path / "cap")
    mine = os.getpid()
    if link == "process":
        (root / str(mine)).symlink_to(f"/proc/{mine}")
        refused = root / str(mine)
    elif link == "fd":
        (root / str(mine)).mkdir()
        (root / str(mine) / "fd").symlink_to(f"/proc/{mine}/fd")
        refused = root / str(mine) / "fd"
    else:
        process_folder(root, 812)
        (root / "812" / "comm").unlink()
        (root / "812" / "comm").symlink_to(f"/proc/{mine}/comm")
        refused = root / "812" / "comm"
    with pytest.raises(ParseError, match=LINK_REFUSED) as caught:
        netstatlib.connections("tcp", backend=LinuxProcfs(root))
    assert caught.value.source == str(refused)
    # Without processes, nothing is looked up and the capture answers.
    assert netstatlib.connections("tcp", backend=LinuxProcfs(root), processes=False)


@pytest.mark.parametrize("name", ["0", "0812", "4294967296", "9" * 40])
def test_a_process_folder_no_proc_could_have_is_refused(tmp_path: Path, name: str) -> None:
    root = capture(tmp_path / "cap")
    (root / name / "fd").mkdir(parents=True)
    with pytest.raises(ParseError, match="no process has the id") as caught:
        netstatlib.connections("tcp", backend=LinuxProcfs(root))
    assert caught.value.source == str(root / name)


def test_a_proc_mounted_elsewhere_is_still_read_through_its_links(tmp_path: Path) -> None:
    """A host's /proc mounted into a container (``-v /proc:/host/proc``) is the kernel's:
    its ``net -> self/net`` link is followed, while the same layout in a plain folder
    is refused. A bind mount in a private mount namespace stands for the container's."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        skip_live("A private mount namespace needs root and unshare(1).")
    mounted = tmp_path / "host-proc"
    mounted.mkdir()
    check = """
import sys, netstatlib
from netstatlib.backends import LinuxProcfs
backend = LinuxProcfs(sys.argv[1], engine="procfs")
assert not backend.source.is_live
assert "tcp" in backend.source.listdir("net")
assert backend.source.read("net/tcp").startswith(b"  sl ")
netstatlib.connections("all", backend=backend)
netstatlib.connections("all", backend=LinuxProcfs(sys.argv[1], pid=1, engine="procfs"))
print("read")
"""
    argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c"]
    script = 'mount --bind /proc "$1" && exec "$2" -c "$3" "$1"'
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [*argv, script, "sh", str(mounted), sys.executable, check],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "read\n"
    assert not os.listdir(mounted)  # the mount went with its namespace
    fake = tmp_path / "fake-proc"
    (fake / "self").mkdir(parents=True)
    shutil.copytree(SOCKETS, fake / "self" / "net")
    (fake / "net").symlink_to("self/net")
    with pytest.raises(ParseError, match=LINK_REFUSED):
        netstatlib.connections("all", backend=LinuxProcfs(fake))


# -- hangs and memory ---------------------------------------------------------------------


def fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def chardev_zero(path: Path) -> None:
    """A device node with /dev/zero's numbers, made in the capture (root only)."""
    if os.geteuid() != 0:
        skip_live("Making a device node needs root.")
    path.unlink(missing_ok=True)
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))


def link_to_zero(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


def sparse_2gb(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.truncate(2 << 30)  # no block written: the file system stores a hole


def a_folder(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()


def add_process(root: Path) -> Path:
    process_folder(root, 812)
    return root / "812" / "comm"


@pytest.mark.parametrize(
    ("where", "make", "expected"),
    [
        ("net/tcp", fifo, "is a FIFO, not a regular file"),
        ("net/unix", fifo, "is a FIFO, not a regular file"),
        ("manifest.json", fifo, "is a FIFO, not a regular file"),
        ("processes.json", fifo, "is a FIFO, not a regular file"),
        ("links.json", fifo, "is a FIFO, not a regular file"),
        ("812/comm", fifo, "is a FIFO, not a regular file"),
        ("net/tcp", link_to_zero, LINK_REFUSED),
        ("net/tcp", chardev_zero, "is a character device, not a regular file"),
        ("net/snmp", sparse_2gb, "is 2147483648 bytes, over the 1 GiB a file of a capture"),
        ("net/tcp", a_folder, "is a folder, not a regular file"),
    ],
)
def test_what_would_hang_or_fill_memory_is_refused_before_it_is_read(
    tmp_path: Path, where: str, make: Callable[[Path], None], expected: str
) -> None:
    """A FIFO blocked the reader forever; ``/dev/zero`` and a 2 GB sparse file were
    read whole until memory ran out. Every query runs in a child process with 2 GiB of
    address space and two minutes: a hang or a whole read fails the test."""
    root = capture(tmp_path / "cap")
    if where == "812/comm":
        add_process(root)
    path = root / where
    make(path)
    result = query_in_child(root)
    assert result.get("error") == "ParseError", result
    assert result["message"] == f"{path}: {expected}" or result["message"].startswith(
        f"{path}: {expected}"
    )


def test_an_optional_file_that_is_a_fifo_is_not_taken_for_absent(tmp_path: Path) -> None:
    """``net/tcp6`` may be absent (no IPv6); a FIFO there is not "absent", it is refused."""
    root = capture(tmp_path / "cap")
    fifo(root / "net" / "tcp6")
    source = FolderSource(root)
    with pytest.raises(ParseError, match="is a FIFO"):
        finishes(lambda: source.read("net/tcp6", optional=True), fifos=(root / "net" / "tcp6",))
    assert source.read("net/udplite", optional=True) is None  # absent: still None


def test_the_size_limit_is_the_sources_and_exact(tmp_path: Path) -> None:
    root = capture(tmp_path / "cap")
    size = len(TCP)
    assert FolderSource(root, max_file_size=size).read("net/tcp") == TCP
    with pytest.raises(ParseError, match=f"is {size} bytes, over the {size - 1} bytes") as caught:
        FolderSource(root, max_file_size=size - 1).read("net/tcp")
    assert caught.value.source == str(root / "net" / "tcp")
    assert FolderSource(root, max_file_size=4096).max_file_size == 4096
    for bad in (-1, True, 1.5, "1"):
        with pytest.raises(UsageError, match="max_file_size"):
            FolderSource(root, max_file_size=bad)  # type: ignore[arg-type]
    assert _sources.MAX_FILE_SIZE == 1 << 30


def test_a_file_swapped_for_a_fifo_after_the_check_is_caught_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is looked at, then opened: a FIFO put there in between is opened without
    waiting for a writer (O_NONBLOCK) and refused, since it is not the file looked at.
    The race is made certain by having the look report the regular file it replaced."""
    root = capture(tmp_path / "cap")
    regular = os.stat(root / "net" / "tcp", follow_symlinks=False)
    (root / "net" / "tcp").rename(root / "tcp-kept")  # alive: its inode is not reused
    fifo(root / "net" / "tcp")
    real_stat = os.stat

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if path == "tcp":
            return regular
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(_sources.os, "stat", stale_stat)
    with pytest.raises(ParseError, match="was replaced while it was opened"):
        finishes(lambda: FolderSource(root).read("net/tcp"), fifos=(root / "net" / "tcp",))


# -- where a file cannot be opened relative to a folder (Windows) ------------------------


@pytest.fixture
def by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read folders the way they are read where there is no ``dir_fd`` (Windows)."""
    monkeypatch.setattr(_sources, "_BENEATH", False)


@pytest.mark.usefixtures("by_name")
def test_without_dir_fd_each_name_is_looked_at_first(tmp_path: Path) -> None:
    root = capture(tmp_path / "cap")
    source = FolderSource(root)
    assert source.read("net/tcp") == TCP
    assert source.read("net/nothing", optional=True) is None
    assert source.read("net/tcp/deeper", optional=True) is None
    assert "tcp" in source.listdir("net")
    (tmp_path / "secret").write_bytes(b"SECRET")
    (root / "net" / "udp").unlink()
    (root / "net" / "udp").symlink_to(tmp_path / "secret")
    fifo(root / "net" / "raw")
    (root / "net" / "snmp").unlink()
    sparse_2gb(root / "net" / "snmp")
    (root / "linked").symlink_to(root / "net")
    cases = {
        "net/udp": LINK_REFUSED,
        "net/raw": "is a FIFO",
        "net/snmp": "is 2147483648 bytes",
        "linked/tcp": LINK_REFUSED,
        "net": "is a folder",
    }
    for path, message in cases.items():
        with pytest.raises(ParseError, match=message) as caught:
            finishes(lambda path=path: source.read(path), fifos=(root / "net" / "raw",))
        assert "SECRET" not in str(caught.value)
    with pytest.raises(ParseError, match=LINK_REFUSED):
        source.listdir("linked")
    process_folder(root, 812)
    assert source.socket_owners() is None  # process folders are not walked there


# -- hostile JSON ---------------------------------------------------------------------------

JSON_FILES = {
    "manifest.json": _capture_format.parse_manifest,
    "processes.json": _capture_format.parse_process_map,
    "links.json": _capture_format.parse_links,
}

NESTED = [
    b"[" * 100_000,
    b'{"a": ' * 100_000,
    b'{"processes": ' + b"[" * 100_000,
    b'{"processes": [{"pid": 1, "sockets": ' + b"[" * 100_000,
    b'{"interfaces": {"eth0": ' + b'{"mtu": ' * 100_000,
]


@pytest.mark.parametrize("data", NESTED, ids=range(len(NESTED)))
@pytest.mark.parametrize("name", list(JSON_FILES))
def test_deeply_nested_json_is_a_parse_error(name: str, data: bytes) -> None:
    """It raised RecursionError."""
    with pytest.raises(ParseError, match=r"nested too deeply|not a valid") as caught:
        JSON_FILES[name](data, source=f"cap/{name}")
    assert caught.value.source == f"cap/{name}"


@pytest.mark.parametrize("name", list(JSON_FILES))
def test_deeply_nested_json_in_a_capture_names_the_file(tmp_path: Path, name: str) -> None:
    root = capture(tmp_path / "cap")
    (root / name).write_bytes(b"[" * 100_000)
    backend = LinuxProcfs(root)
    query = {
        "manifest.json": lambda: netstatlib.open_capture(root),
        "processes.json": lambda: netstatlib.connections("tcp", backend=backend),
        "links.json": lambda: netstatlib.interface_stats(backend=backend),
    }[name]
    with pytest.raises(ParseError, match="nested too deeply") as caught:
        query()
    assert caught.value.source == str(root / name)


def process_map(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"processes": list(entries)}).encode()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"pid": -5, "name": "x"}], "pid -5 is not a whole number from 1 to 4294967295"),
        ([{"pid": 0, "name": "x"}], "pid 0 is not"),
        ([{"pid": 10**30, "name": "x"}], "pid 1000000000000000000000000000000 is not"),
        ([{"pid": 2**32, "name": "x"}], "pid 4294967296 is not"),
        ([{"pid": True, "name": "x"}], "'pid' is True"),
        ([{"pid": 1.0, "name": "x"}], "'pid' is 1.0"),
        ([{"pid": "812", "name": "x"}], "'pid' is '812'"),
        ([{"name": "x"}], "'pid' is None"),
        ([{"pid": 812, "name": "sshd"}, {"pid": 812, "name": "evil"}], "pid 812 is listed twice"),
        ([{"pid": 812, "name": 5}], "'name' is 5"),
        ([{"pid": 812, "name": "x", "sockets": [0]}], "socket of pid 812: 0 is not"),
        ([{"pid": 812, "name": "x", "sockets": [-1]}], "socket of pid 812: -1 is not"),
        (
            [{"pid": 812, "name": "x", "sockets": [2**64]}],
            "socket of pid 812: 18446744073709551616",
        ),
        ([{"pid": 812, "name": "x", "sockets": ["5"]}], "socket of pid 812: '5' is not"),
        ([{"pid": 812, "name": "x", "sockets": [5, 5]}], "socket 5 is listed twice for pid 812"),
        ([{"pid": 812, "name": "x", "sockets": {"5": 1}}], "'sockets' is {'5': 1}"),
        (["812"], "'812' is not an object with 'pid'"),
    ],
)
def test_absurd_process_maps_are_parse_errors(entries: list[Any], message: str) -> None:
    """Absurd pids were accepted, and of a pid listed twice the last name silently won."""
    with pytest.raises(ParseError, match=f"not a valid process map: {message}") as caught:
        _capture_format.parse_process_map(process_map(*entries), source="cap/processes.json")
    assert caught.value.source == "cap/processes.json"


def test_the_largest_values_a_process_map_may_hold_are_read() -> None:
    top = _capture_format.MAX_INODE
    data = process_map({"pid": 4294967295, "name": None, "sockets": [1, top]}, {"pid": 1})
    read = _capture_format.parse_process_map(data)
    assert read.owners == {1: (4294967295,), top: (4294967295,)}
    assert read.names == {4294967295: None, 1: None}


def test_an_absurd_process_map_in_a_capture_names_the_file(tmp_path: Path) -> None:
    root = capture(tmp_path / "cap")
    first = {"pid": 812, "name": "sshd", "sockets": [INODE]}
    (root / "processes.json").write_bytes(process_map(first, {**first, "name": "evil"}))
    with pytest.raises(ParseError, match="pid 812 is listed twice") as caught:
        netstatlib.connections("tcp", backend=netstatlib.open_capture(root))
    assert caught.value.source == str(root / "processes.json")


def manifest(**changes: Any) -> bytes:
    document: dict[str, Any] = {
        "format": "netstatlib-capture",
        "version": 1,
        "kind": "linux",
        "created": "2024-05-01T10:00:00.000+00:00",
        "hostname": "h",
        "kernel": "6.1",
        "machine": "x86_64",
        "byteorder": "little",
        "netstatlib": "1.0",
        "source": {"root": "/proc", "pid": None},
        "files": ["net/tcp"],
        "missing": [],
        "processes": False,
        "interface_attributes": False,
    }
    for key, value in changes.items():
        if key == "pid":
            document["source"]["pid"] = value
        else:
            document[key] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 0}, "version 0 is not 1 or more"),
        ({"version": -5}, "version -5 is not 1 or more"),
        ({"version": 10**30}, "version 1000000000000000000000000000000 is newer"),
        ({"pid": -5}, "pid -5 is not"),
        ({"pid": 0}, "pid 0 is not"),
        ({"pid": 10**30}, "pid 1000000000000000000000000000000 is not"),
        ({"files": ["../../etc/shadow"]}, "'files' lists '../../etc/shadow'"),
        ({"files": ["/etc/shadow"]}, "'files' lists '/etc/shadow'"),
        ({"missing": ["net\\tcp"]}, "'missing' lists"),
        ({"files": [["net/tcp"]]}, "'files' must list strings"),
        ({"source": []}, "'source' is \\[\\]"),
        ({"kind": "x" * 500}, "unknown kind 'xxxx"),
    ],
)
def test_absurd_manifests_are_parse_errors(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        _capture_format.parse_manifest(manifest(**changes), source="cap/manifest.json")
    assert caught.value.source == "cap/manifest.json"
    assert len(str(caught.value)) < 300  # a huge value is quoted cut short


def test_a_plain_manifest_is_read() -> None:
    read = _capture_format.parse_manifest(manifest(pid=4242))
    assert (read.kind, read.pid, read.files) == ("linux", 4242, ("net/tcp",))


@pytest.mark.parametrize(
    ("interfaces", "message"),
    [
        ({"eth0": {"mtu": -1}}, "mtu -1 is not a whole number from 0 to 4294967295"),
        ({"eth0": {"mtu": 10**30}}, "mtu 1000000000000000000000000000000 is not"),
        ({"eth0": {"speed_mbps": 0}}, "speed_mbps 0 is not"),
        ({"eth0": {"index": 0}}, "index 0 is not"),
        ({"eth0": {"flags": 2**32}}, "flags 4294967296 is not"),
        ({"eth0": {"is_up": 1}}, "1 is not true, false or null"),
        ({"eth0": {"mtu": True}}, "mtu True is not"),
        ({"eth0": [1500]}, "interface 'eth0' is \\[1500\\]"),
        ({"": {}}, "an interface has an empty name"),
    ],
)
def test_absurd_links_files_are_parse_errors(interfaces: dict[str, Any], message: str) -> None:
    data = json.dumps({"interfaces": interfaces}).encode()
    with pytest.raises(ParseError, match=f"not a valid links file: {message}") as caught:
        _capture_format.parse_links(data, source="cap/links.json")
    assert caught.value.source == "cap/links.json"


@pytest.mark.parametrize("name", list(JSON_FILES))
def test_json_over_its_limit_is_refused_before_it_is_parsed(name: str) -> None:
    limit = _capture_format.MAX_JSON_SIZE
    assert limit == 64 << 20
    data = b"[" + b" " * limit + b"]"
    with pytest.raises(ParseError, match=f"is {limit + 2} bytes, over the 64 MiB"):
        JSON_FILES[name](data, source=name)


# Any JSON value, as a hostile file may hold anywhere.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Values that are often almost right: pids and inodes around their bounds.
near_numbers = st.sampled_from([-1, 0, 1, 2**32 - 1, 2**32, 2**64 - 1, 2**64, 10**30])
entries = st.fixed_dictionaries(
    {},
    optional={
        "pid": near_numbers | st.integers(1, 5) | json_values,
        "name": st.none() | st.text(max_size=8) | json_values,
        "sockets": st.lists(near_numbers | st.integers(1, 5) | json_values, max_size=4)
        | json_values,
    },
)


@PROFILE
@given(document=st.fixed_dictionaries({"processes": st.lists(entries, max_size=5)}) | json_values)
def test_any_process_map_is_read_whole_and_valid_or_refused(document: Any) -> None:
    try:
        read = _capture_format.parse_process_map(json.dumps(document).encode(), source="p")
    except ParseError as exc:
        refused: ParseError | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.source == "p"
        return
    listed = document["processes"]
    assert len(read.names) == len(listed)  # a pid listed twice is refused, never merged
    assert all(1 <= pid <= 0xFFFF_FFFF for pid in read.names)
    assert all(1 <= inode <= 2**64 - 1 for inode in read.owners)
    for entry in listed:
        for inode in entry.get("sockets") or ():
            assert entry["pid"] in read.owners[inode]


@PROFILE
@given(
    name=st.sampled_from(list(JSON_FILES)),
    key=st.sampled_from(
        ["version", "kind", "created", "byteorder", "files", "missing", "processes", "pid"]
    ),
    value=json_values | near_numbers,
)
def test_any_value_in_a_capture_file_parses_or_is_a_parse_error(
    name: str, key: str, value: Any
) -> None:
    if name == "manifest.json":
        data = manifest(**{key: value})
    elif name == "processes.json":
        data = json.dumps({"processes": [{"pid": 1, key: value}]}).encode()
    else:
        data = json.dumps({"interfaces": {"eth0": {key: value, "mtu": value}}}).encode()
    assert_parses_or_refuses(name, data)


@PROFILE
@given(data=st.binary(max_size=300), name=st.sampled_from(list(JSON_FILES)))
def test_any_bytes_parse_or_are_a_parse_error(data: bytes, name: str) -> None:
    assert_parses_or_refuses(name, data)


@PROFILE
@given(
    depth=st.integers(1, 200_000),
    opener=st.sampled_from([b"[", b'{"processes": [', b'{"a": ', b'{"interfaces": {"x": ']),
    name=st.sampled_from(list(JSON_FILES)),
)
def test_nesting_of_any_depth_is_a_parse_error(depth: int, opener: bytes, name: str) -> None:
    """Unclosed or not, an array or object nested at any depth is no capture file."""
    with pytest.raises(ParseError):
        JSON_FILES[name](opener * depth, source=name)


def assert_parses_or_refuses(name: str, data: bytes) -> None:
    try:
        JSON_FILES[name](data, source=name)
    except ParseError as exc:
        refused: ParseError | None = exc
    else:
        refused = None
    assert refused is None or refused.source == name


# -- any folder an attacker can build --------------------------------------------------------

NAMES = ("net", "tcp", "a")
KINDS = ("file", "folder", "link out", "link in", "link up", "link zero", "fifo")
trees = st.dictionaries(
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(tuple),
    st.sampled_from(KINDS),
    max_size=10,
)


def build(root: Path, tree: dict[tuple[str, ...], str], secret: Path) -> dict[tuple[str, ...], str]:
    """Make ``tree`` under ``root`` (entries whose parent is not a folder are left out);
    return what was made. A file holds its own path, so that a read shows which file it
    came from."""
    made: dict[tuple[str, ...], str] = {}
    for path in sorted(tree, key=len):
        if len(path) > 1 and made.get(path[:-1]) != "folder":
            continue
        kind = tree[path]
        where = root.joinpath(*path)
        if kind == "file":
            where.write_bytes("/".join(path).encode())
        elif kind == "folder":
            where.mkdir()
        elif kind == "fifo":
            os.mkfifo(where)
        else:
            target = {
                "link out": str(secret),
                "link in": "tcp",
                "link up": "../" * len(path) + secret.name,
                "link zero": "/dev/zero",
            }[kind]
            where.symlink_to(target)
        made[path] = kind
    return made


REFUSALS = {LINK_REFUSED: "link", "is a folder": "folder", "is a FIFO": "fifo"}


def expected_read(made: dict[tuple[str, ...], str], path: tuple[str, ...]) -> object:
    """What reading ``path`` must give: the file's bytes, ``None`` (absent), or the kind
    of :class:`ParseError`."""
    for depth in range(1, len(path) + 1):
        kind = made.get(path[:depth])
        last = depth == len(path)
        if kind is None:
            return None
        if kind.startswith("link"):
            return "link"
        if not last and kind != "folder":
            return None  # a file where a folder should be: the path does not exist
        if last:
            return {"file": "/".join(path).encode(), "folder": "folder", "fifo": "fifo"}[kind]
    raise AssertionError("unreachable")


@PROFILE
@given(tree=trees, beneath=st.booleans())
def test_any_folder_gives_its_own_regular_files_or_a_parse_error(
    tree: dict[tuple[str, ...], str], beneath: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the folder holds, reading a path gives exactly the regular file there,
    nothing when there is none, or a ParseError saying why: never a byte from outside,
    never a hang."""
    monkeypatch.setattr(_sources, "_BENEATH", beneath and _sources._BENEATH)
    with tempfile.TemporaryDirectory() as scratch:
        secret = Path(scratch) / "secret"
        secret.write_bytes(b"SECRET")
        root = Path(scratch) / "cap"
        root.mkdir()
        made = build(root, tree, secret)
        fifos = tuple(root.joinpath(*path) for path, kind in made.items() if kind == "fifo")
        source = FolderSource(root)
        paths = {*made, *((*path, "tcp") for path in made), ("a",)}
        for path in paths:
            expected = expected_read(made, path)
            try:
                got: object = finishes(
                    lambda path=path: source.read("/".join(path), optional=True), fifos=fifos
                )
            except ParseError as exc:
                refused: ParseError | None = exc
            else:
                refused = None
            if refused is not None:
                assert "SECRET" not in str(refused)
                on_the_way = [str(root.joinpath(*path[:depth])) for depth in range(1, 4)]
                assert refused.source in on_the_way
                got = next(kind for text, kind in REFUSALS.items() if text in str(refused))
            assert got == expected, (path, made)
            if isinstance(got, bytes):
                assert got == "/".join(path).encode()
            if expected is None:
                with pytest.raises(SourceNotFoundError):
                    source.read("/".join(path))


# -- CapturedText: every bad path is the caller's mistake --------------------------------------


class BadPath(os.PathLike):  # type: ignore[type-arg]
    def __init__(self, value: object) -> None:
        self.value = value

    def __fspath__(self) -> Any:
        return self.value


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (Path("net\0tcp"), "embedded null byte"),
        (Path("\ud800"), "surrogates not allowed"),
        (BadPath(5), "is no path"),
        (BadPath(b"/etc/hostname"), "must be str"),
        (Path("/nonexistent/tcp"), "No such file"),
        (Path("/"), "is a folder, not a regular file"),
        (Path("/dev/zero"), "is a character device, not a regular file"),
        (Path("/dev/null"), "is a character device, not a regular file"),
    ],
)
def test_captured_text_raises_usage_errors_for_bad_paths(content: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        CapturedText({"net/tcp": content})  # type: ignore[dict-item]


def test_captured_text_refuses_a_fifo_and_a_huge_file(tmp_path: Path) -> None:
    fifo(tmp_path / "tcp")
    with pytest.raises(UsageError, match="is a FIFO"):
        finishes(lambda: CapturedText({"net/tcp": tmp_path / "tcp"}), fifos=(tmp_path / "tcp",))
    sparse_2gb(tmp_path / "huge")
    with pytest.raises(UsageError, match="is 2147483648 bytes"):
        CapturedText({"net/tcp": tmp_path / "huge"})
    (tmp_path / "real").write_bytes(TCP)
    (tmp_path / "alias").symlink_to(tmp_path / "real")  # a path the caller names: followed
    with CapturedText({"net/tcp": tmp_path / "alias"}) as backend:
        assert netstatlib.connections("tcp4", backend=backend, processes=False)


OWN_FILES = {"manifest.json", "processes.json", "links.json"}


@PROFILE
@given(name=st.text(max_size=30).filter(lambda n: n.replace("\\", "/") not in OWN_FILES))
def test_any_file_name_is_taken_or_a_usage_error(name: str) -> None:
    with contextlib.suppress(UsageError):
        CapturedText({"net/tcp": TCP, name: b""})


@PROFILE
@given(name=st.text(max_size=30))
def test_any_path_as_content_is_read_or_a_usage_error(name: str, tmp_path: Path) -> None:
    with contextlib.suppress(UsageError):
        CapturedText({"net/tcp": tmp_path / name})
