"""UNIX rows forged by an unprivileged user, as an attacker makes them.

``/proc/net/unix`` prints a socket's path as raw bytes, so a path holding a newline and
then a line shaped like a row reads as one more socket. Any user can make one: a
directory whose name holds the newline and the row, and a socket bound below it. The
forged row names a socket by its inode, and the owner lookup then shows the process
holding that inode, so that root's ``netstatlib -xa --program`` showed a
``/run/docker.sock`` listener owned by any process whose socket inode the user had read
(``/proc/net/tcp`` and ``/proc/net/netlink`` show them to everyone).

Here the attacker is a real unprivileged process (uid 65534, ``setpriv``) in a network
namespace the test creates; the victim is a root process there holding a TCP listener,
a netlink socket and a UNIX listener. Root then queries the namespace with the
``/proc`` text engine, with the default netlink engine, and with the command on a
capture of it: no row is ever pinned on the victim, and the attacker's own socket is
shown with its whole path, as the kernel's netlink diagnostics give it.
"""

from __future__ import annotations

import contextlib
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
from netstatlib import Connection
from netstatlib.backends import LinuxProcfs

from . import netns

pytestmark = pytest.mark.live

REPOSITORY = Path(__file__).resolve().parents[2]
NOBODY = 65534
FAKE_PATH = "/run/docker.sock"

# The victim (root): a TCP listener, a netlink socket and a UNIX listener, reported as
# one JSON line; then it waits to be killed.
VICTIM = """
import json, os, signal, socket, sys
tcp = socket.create_server(("127.0.0.1", 0))
netlink = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
netlink.bind((0, 0))
unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
unix.bind(os.path.join(sys.argv[1], "victim.sock"))
unix.listen()
print(json.dumps({
    "pid": os.getpid(),
    "port": tcp.getsockname()[1],
    "netlink_port": netlink.getsockname()[0],
    "tcp": os.fstat(tcp.fileno()).st_ino,
    "netlink": os.fstat(netlink.fileno()).st_ino,
    "unix": os.fstat(unix.fileno()).st_ino,
    "unix_path": unix.getsockname(),
}), flush=True)
signal.pause()
"""

# The attacker (uid 65534, standard library only): finds the victim's socket inode where
# any user can read it, then binds a socket below a directory whose name holds a newline
# and a row naming that inode. Arguments: its folder, what to forge (tcp, netlink or
# unix), and what it knows of the victim (its port, its netlink port id, its UNIX path).
ATTACKER = """
import json, os, signal, socket, sys
folder, target, port, netlink_port, unix_path = sys.argv[1:6]

def column(name, key, value):
    with open(f"/proc/net/{name}") as handle:
        lines = handle.read().splitlines()
    return [line.split() for line in lines[1:] if key(line.split()) == value]

if target == "tcp":  # sl local rem st ... inode: the listener on the victim's port
    rows = column("tcp", lambda f: int(f[1].split(":")[1], 16) if f[3] == "0A" else None, int(port))
    inode = rows[0][9]
elif target == "netlink":  # sk Eth Pid ... Inode: the socket whose port id is the victim's
    rows = column("netlink", lambda f: f[2], netlink_port)
    inode = rows[0][-1]
else:  # Num RefCount Protocol Flags Type St Inode Path
    rows = column("unix", lambda f: f[-1], unix_path)
    inode = rows[0][6]
forged = f"0000000000000000: 00000002 00000000 00010000 0001 01 {inode} "
os.chdir(folder)
os.makedirs(f"x\\n{forged}/run")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.bind(f"x\\n{forged}{os.environ['FAKE_PATH']}")  # relative: the path as bound
sock.listen()
print(json.dumps({
    "pid": os.getpid(),
    "uid": os.getuid(),
    "inode": os.fstat(sock.fileno()).st_ino,
    "path": sock.getsockname(),
    "forged_inode": int(inode),
}), flush=True)
signal.pause()
"""


def nobody_python() -> str:
    """An interpreter uid 65534 can run (this one may live under root's home)."""
    for candidate in (os.path.realpath(sys.executable), "/usr/bin/python3"):
        unprivileged = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        result = subprocess.run(
            [*unprivileged, candidate, "-c", "pass"],
            capture_output=True,
            check=False,
        )
        if result.returncode == 0:
            return candidate
    pytest.fail("no Python interpreter that uid 65534 may run")


@contextlib.contextmanager
def attacked(target: str) -> Iterator[tuple[netns.Namespace, dict[str, Any], dict[str, Any]]]:
    """A namespace with the victim and an attacker forging a row that names the victim's
    ``target`` socket: yields the namespace and what each of them reported."""
    netns.require_root()
    if shutil.which("setpriv") is None:
        pytest.fail("setpriv (util-linux) is needed to run the attacker unprivileged")
    python = nobody_python()
    folder = tempfile.mkdtemp(prefix="nsl-forge-", dir="/tmp")  # short: a path is 108 bytes
    try:
        os.chmod(folder, 0o755)
        attacker_folder = os.path.join(folder, "attacker")
        os.mkdir(attacker_folder)
        os.chown(attacker_folder, NOBODY, NOBODY)
        with netns.namespace("forge") as ns:
            victim_args = ns.exec_args(sys.executable, "-c", VICTIM, folder)
            with netns.spawned(victim_args, stdout=subprocess.PIPE, text=True) as victim:
                victim_info = netns.read_json_line(victim)
                attacker_args = ns.exec_args(
                    "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                    python, "-c", ATTACKER, attacker_folder, target,
                    str(victim_info["port"]), str(victim_info["netlink_port"]),
                    victim_info["unix_path"],
                )  # fmt: skip
                env = {**os.environ, "FAKE_PATH": FAKE_PATH}
                with netns.spawned(
                    attacker_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                    env=env, errors="surrogateescape",
                ) as attacker:  # fmt: skip
                    attacker_info = netns.read_json_line(attacker)
                    assert attacker_info["uid"] == NOBODY
                    assert attacker_info["forged_inode"] == victim_info[target]
                    yield ns, victim_info, attacker_info
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def unix_rows(victim: dict[str, Any], engine: str) -> list[Connection]:
    backend = LinuxProcfs(pid=victim["pid"], engine=engine)  # type: ignore[arg-type]
    rows = netstatlib.connections("unix", backend=backend)
    assert backend.engine == engine
    return list(rows)


def check_nothing_is_pinned_on_the_victim(
    rows: list[Connection], victim: dict[str, Any], attacker: dict[str, Any]
) -> None:
    assert [row for row in rows if row.path == FAKE_PATH] == []
    assert [row for row in rows if row.inode in (victim["tcp"], victim["netlink"])] == []
    for row in rows:
        if row.pids and victim["pid"] in row.pids:
            assert (row.inode, row.path) == (victim["unix"], victim["unix_path"])


@pytest.mark.parametrize("target", ["tcp", "netlink"])
def test_a_row_naming_another_tables_socket_goes_back_into_its_path(target: str) -> None:
    """Before the fix the text engine listed a LISTEN row at /run/docker.sock owned by
    the victim, and the attacker's socket at the path "x"."""
    with attacked(target) as (_ns, victim, attacker):
        for engine in ("procfs", "netlink"):
            rows = unix_rows(victim, engine)
            check_nothing_is_pinned_on_the_victim(rows, victim, attacker)
            (mine,) = [row for row in rows if row.inode == attacker["inode"]]
            assert mine.path == attacker["path"]  # the whole path, newline and all
            assert mine.pids == (attacker["pid"],)
            assert mine.state is netstatlib.TcpState.LISTEN
            # The victim's own UNIX listener is there, as it is.
            victims = [row for row in rows if row.inode == victim["unix"]]
            assert [(row.path, row.pids) for row in victims] == [
                (victim["unix_path"], (victim["pid"],))
            ]


def test_rows_that_name_one_unix_socket_and_disagree_are_not_shown() -> None:
    """The forged row names the victim's UNIX listener: two rows claim one socket and
    the text cannot say which is true, so the text engine shows neither (the victim's
    socket is missing from that listing: what an unprivileged user can still do there).
    The netlink engine shows the victim's socket as it is."""
    with attacked("unix") as (_ns, victim, attacker):
        text = unix_rows(victim, "procfs")
        check_nothing_is_pinned_on_the_victim(text, victim, attacker)
        assert [row for row in text if row.inode == victim["unix"]] == []
        kernel = unix_rows(victim, "netlink")
        check_nothing_is_pinned_on_the_victim(kernel, victim, attacker)
        (mine,) = [row for row in kernel if row.inode == attacker["inode"]]
        assert mine.path == attacker["path"]
        assert [row.path for row in kernel if row.inode == victim["unix"]] == [victim["unix_path"]]


def test_the_command_on_a_capture_shows_no_forged_listener(tmp_path: Path) -> None:
    """``netstatlib -xa --program`` as root, on a capture of the attacked namespace (a
    capture is always read as text)."""
    with attacked("tcp") as (ns, victim, attacker):
        env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
        bundle = tmp_path / "bundle"
        command = [sys.executable, "-m", "netstatlib"]
        ns.exec(*command, "capture", str(bundle), "--pid", str(victim["pid"]), env=env)
        result = ns.exec(*command, "-xa", "--program", "--root", str(bundle), env=env)
    assert result.stderr == ""
    assert FAKE_PATH not in result.stdout.replace(attacker["path"].replace("\n", "\\n"), "")
    # The attacker's socket, on one line, its newline escaped, owned by the attacker.
    (line,) = [line for line in result.stdout.splitlines() if str(attacker["inode"]) in line]
    assert f"  {attacker['pid']}  python" in line
    assert attacker["path"].replace("\n", "\\n") in line
    # The one row shown as the victim's is its own listener.
    (line,) = [line for line in result.stdout.splitlines() if f"  {victim['pid']}  " in line]
    assert victim["unix_path"] in line
