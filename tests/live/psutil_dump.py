"""Read sockets and interfaces through the psutil backend and through LinuxProcfs, from
inside a network namespace, and print both as one JSON document.

Run as ``ip netns exec NS python3 psutil_dump.py [--unix-zoo DIR] [--interfaces]
KIND...``. psutil reads ``/proc/net`` of its own process, so it has to run inside the
namespace; LinuxProcfs runs beside it in the same process, so both see the same moment.
Each reading is psutil, LinuxProcfs, psutil again, repeated until the two psutil reads
are equal (nothing moved in between, so LinuxProcfs' read saw the same sockets), up to
:data:`ATTEMPTS` times; the last three reads are printed either way.

``--unix-zoo DIR`` first makes UNIX sockets of every type, one of them shared with a
helper process and one whose path holds a space, but none whose path holds a newline
(psutil cannot read such a row, see ``process_unix()`` in psutil/_pslinux.py):
``sockets`` then describes them.

This file is a script, not a test module.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's netstatlib

import netstatlib
from netstatlib.backends import LinuxProcfs
from netstatlib.backends._psutil import Psutil

ATTEMPTS = 20
# A helper that holds the descriptor it was given until killed, and dies with its parent.
HOLDER_CODE = (
    "import ctypes, signal; ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0); "
    "print('ready', flush=True); signal.pause()"
)


def _error(exc: BaseException) -> dict[str, Any]:
    cause = exc.__cause__
    return {
        "type": type(exc).__name__,
        "is_netstat_error": isinstance(exc, netstatlib.NetstatError),
        "message": str(exc),
        "cause": None if cause is None else f"{type(cause).__module__}.{type(cause).__name__}",
    }


def _psutil_read(read: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"rows": read(), "error": None}
    except Exception as exc:  # reported to the test, which decides
        return {"rows": None, "error": _error(exc)}


def _stable(psutil_read: Callable[[], Any], procfs_read: Callable[[], Any]) -> dict[str, Any]:
    """psutil, procfs, psutil, until both psutil reads agree."""
    attempts = 0
    while True:
        attempts += 1
        before = _psutil_read(psutil_read)
        procfs = procfs_read()
        after = _psutil_read(psutil_read)
        if before == after or attempts == ATTEMPTS:
            return {"before": before, "procfs": procfs, "after": after, "attempts": attempts}


@contextlib.contextmanager
def unix_zoo(folder: str) -> Iterator[dict[str, Any]]:
    """UNIX sockets of every type, named, abstract and unnamed, plus one held also by a
    helper process; yields their description."""
    keep: list[socket.socket] = []

    def unix(kind: socket.SocketKind, path: str | bytes | None = None) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, kind)
        if path is not None:
            sock.bind(path)
        keep.append(sock)
        return sock

    listener = unix(socket.SOCK_STREAM, os.path.join(folder, "listener"))
    listener.listen(4)
    client = unix(socket.SOCK_STREAM)
    client.connect(os.path.join(folder, "listener"))
    accepted, _ = listener.accept()
    keep.append(accepted)
    unix(socket.SOCK_DGRAM, os.path.join(folder, "dgram"))
    unix(socket.SOCK_DGRAM)
    unix(socket.SOCK_DGRAM, os.path.join(folder, "dgram_server"))
    sender = unix(socket.SOCK_DGRAM)
    sender.connect(os.path.join(folder, "dgram_server"))
    seq = unix(socket.SOCK_SEQPACKET, os.path.join(folder, "seqpacket"))
    seq.listen(1)
    abstract = unix(socket.SOCK_STREAM, f"\0psutil-dump-{os.getpid()}")
    abstract.listen(1)
    keep.extend(socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
    # psutil splits /proc/net/unix rows at whitespace: this path comes out unnamed.
    unix(socket.SOCK_DGRAM, os.path.join(folder, "with space"))
    shared = unix(socket.SOCK_STREAM, os.path.join(folder, "shared"))
    shared.listen(1)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER_CODE],
        pass_fds=(shared.fileno(),),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != "ready":
            raise SystemExit(f"the holder exited with {holder.wait()}")
        yield {
            "count": len(keep),
            "dump_pid": os.getpid(),
            "shared": {"path": os.path.join(folder, "shared"), "pids": [os.getpid(), holder.pid]},
            "spaced": os.path.join(folder, "with space"),
        }
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
        for sock in keep:
            sock.close()


def main(argv: list[str]) -> None:
    args = list(argv)
    folder = None
    if "--unix-zoo" in args:
        at = args.index("--unix-zoo")
        folder = args[at + 1]
        del args[at : at + 2]
    interfaces = "--interfaces" in args
    kinds = [arg for arg in args if arg != "--interfaces"]
    psutil_backend = Psutil()
    procfs_backend = LinuxProcfs()
    with contextlib.ExitStack() as stack:
        sockets = stack.enter_context(unix_zoo(folder)) if folder is not None else None
        result: dict[str, Any] = {"pid": os.getpid(), "sockets": sockets, "connections": {}}
        for kind in kinds:
            result["connections"][kind] = _stable(
                lambda kind=kind: netstatlib.connections(kind, backend=psutil_backend).to_dicts(
                    plain=True
                ),
                lambda kind=kind: netstatlib.connections(kind, backend=procfs_backend).to_dicts(
                    plain=True
                ),
            )
        if interfaces:
            result["interfaces"] = _stable(
                lambda: netstatlib.interface_stats(backend=psutil_backend).to_dicts(plain=True),
                lambda: netstatlib.interface_stats(backend=procfs_backend).to_dicts(plain=True),
            )
        # /proc/<pid>/comm of every process either backend named, read while they live.
        pids = {
            pid
            for reading in result["connections"].values()
            for rows in (reading["procfs"], reading["before"]["rows"] or [])
            for row in rows
            for pid in row["pids"] or ()
        }
        result["comm"] = {str(pid): procfs_backend.process_name(pid) for pid in sorted(pids)}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
