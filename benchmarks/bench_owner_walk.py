"""Benchmark the /proc/*/fd walk that maps sockets to processes (``processes=True``).

Run as root::

    python benchmarks/bench_owner_walk.py [--rows 100000] [--repeat 15]

It builds ``--rows`` ESTABLISHED loopback TCP rows in a fresh network namespace with the
workers of ``bench_connections.py`` (``ns_worker.py``: both ends of every connection held,
so one socket fd per row, spread over processes of at most 18k fds each), then times from
this process, in the host's namespace, in interleaved rounds (one call of each variant per
round; the median and the minimum of the wall-clock time are reported, and the median
of this process's CPU time, which a busy machine disturbs less):

* the walk itself for the sockets' namespace, ``FolderSource("/proc").socket_owners(
  namespace=...)`` (the workers, and the processes whose namespace cannot be known), with
  one thread and with the default number, reading each fd with ``readlink()`` (what
  netstatlib does) and, for comparison, with ``stat()`` (the socket's inode is
  ``st_ino``, ``S_ISSOCK`` says it is a socket), and ``lstat()`` alone: the cost of
  looking each fd up, which both pay;
* the walk of every process of the host (no namespace given), and the walk for the
  host's namespace (the workers are skipped: their sockets are not this namespace's);
* ``connections("tcp")``, and one keeping 1 row in 12 (``where="sport = :20000"``,
  dropped before the walk), through ``LinuxProcfs(pid=worker)``, as shipped (the walk
  reports only the inodes of the rows kept) and with the walk reporting every socket,
  plus the cost of building the set of the rows' inodes.

Everything it creates (the namespace ``nslbench-<pid>-walk`` and the workers) is removed
in ``finally``, also on Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import signal
import stat
import statistics
import sys
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import netstatlib
from netstatlib import _sources
from netstatlib.backends import FolderSource, LinuxProcfs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_connections import Interrupted, Namespace, Scenario, _on_sigterm


def stat_walk_fds(
    root: bytes,
    pending: Iterator[bytes],
    namespace: tuple[int, int] | None,
    wanted: Collection[int] | None,
    below: int | None = None,
) -> tuple[dict[int, tuple[int, ...]], int]:
    """``_sources._walk_fds`` with ``stat()`` in place of ``readlink()`` per fd (the live
    /proc only: no capture's folder, ``below``)."""
    assert below is None
    found: dict[int, tuple[int, ...]] = {}
    inspected = 0
    stat_fd = os.stat
    is_socket = stat.S_IFSOCK
    for entry in pending:
        base = root + b"/" + entry
        if namespace is not None:
            theirs = _sources.network_namespace(base + b"/ns/net")
            if theirs is not None and theirs != namespace:
                inspected += 1
                continue
        fd_path = base + b"/fd"
        try:
            fd_dir = os.open(fd_path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            try:
                fds = os.listdir(fd_path)
            except OSError:
                continue
            inspected += 1
            pid = int(entry)
            mine = (pid,)
            for fd in fds:
                try:
                    info = stat_fd(fd, dir_fd=fd_dir)
                except OSError:
                    continue
                if info.st_mode & 0o170000 != is_socket:
                    continue
                inode = info.st_ino
                if wanted is not None and inode not in wanted:
                    continue
                pids = found.get(inode)
                if pids is None:
                    found[inode] = mine
                elif pid not in pids:
                    found[inode] = tuple(sorted((*pids, pid)))
        finally:
            os.close(fd_dir)
    return found, inspected


def lstat_fds(pids: list[bytes]) -> None:
    """Only the per-fd lookup: ``lstat()`` of every fd link of ``pids``, nothing kept."""
    for entry in pids:
        fd_path = b"/proc/" + entry + b"/fd"
        try:
            fd_dir = os.open(fd_path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            for fd in os.listdir(fd_path):
                try:  # noqa: SIM105 (a context manager per fd would be timed too)
                    os.lstat(fd, dir_fd=fd_dir)
                except OSError:
                    pass
        except OSError:
            pass
        finally:
            os.close(fd_dir)


def patched(name: str, value: Any, call: Callable[[], object]) -> Callable[[], object]:
    """``call`` with ``netstatlib._sources.<name>`` set to ``value`` while it runs."""

    def run() -> object:
        saved = getattr(_sources, name)
        setattr(_sources, name, value)
        try:
            return call()
        finally:
            setattr(_sources, name, saved)

    return run


class EveryInode(LinuxProcfs):
    """LinuxProcfs whose walk reports every socket (no ``inodes``): the baseline the
    narrowed walk is measured against."""

    def socket_owners(self, inodes: Collection[int] | None = None) -> Any:
        return super().socket_owners(None)


# The accepted ends of the first worker's connections: 1 row in 12 at 100k.
NARROW = 'connections("tcp", where="sport = :20000")'


def narrow(backend: LinuxProcfs) -> object:
    return netstatlib.connections("tcp", backend=backend, where="sport = :20000")


def measure(worker: int, repeat: int) -> dict[str, list[float]]:
    proc = FolderSource("/proc")
    theirs = _sources.network_namespace(f"/proc/{worker}/ns/net")
    ours = _sources.network_namespace("/proc/self/ns/net")
    assert theirs is not None and ours is not None and theirs != ours
    threads = _sources._WALK_THREADS
    walk_stat = stat_walk_fds
    backend, every = LinuxProcfs(pid=worker), EveryInode(pid=worker)
    rows = netstatlib.connections("tcp", backend=backend, processes=False)
    # The walks below are for the sockets' namespace, as LinuxProcfs(pid=worker) does: the
    # workers and the processes whose namespace cannot be known, not the rest of the host
    # (whose descriptors come and go with whatever else runs there).
    visited = [
        entry
        for entry in os.listdir(b"/proc")
        if entry.isdigit()
        and _sources.network_namespace(b"/proc/" + entry + b"/ns/net") in (theirs, None)
    ]

    def walk() -> object:
        return proc.socket_owners(namespace=theirs)

    variants: dict[str, Callable[[], object]] = {
        "walk, readlink, 1 thread": patched("_WALK_THREADS", 1, walk),
        "walk, stat, 1 thread": patched("_WALK_THREADS", 1, patched("_walk_fds", walk_stat, walk)),
        f"walk, readlink, {threads} threads": walk,
        f"walk, stat, {threads} threads": patched("_walk_fds", walk_stat, walk),
        "lstat of every fd, 1 thread": lambda: lstat_fds(visited),
        "walk of every process of the host": proc.socket_owners,
        "walk for the host's namespace": lambda: proc.socket_owners(namespace=ours),
        f"{NARROW}, rows' inodes": lambda: narrow(backend),
        f"{NARROW}, every inode": lambda: narrow(every),
        'connections("tcp"), rows\' inodes': lambda: netstatlib.connections("tcp", backend=backend),
        'connections("tcp"), every inode': lambda: netstatlib.connections("tcp", backend=every),
        "set of the rows' inodes": lambda: {row.inode for row in rows if row.inode},
    }
    # The variants must agree before they are timed, on the workers' sockets (other
    # processes of the host may open and close theirs meanwhile).
    inodes = {row.inode for row in rows}
    readlink_owners = proc.socket_owners(inodes=inodes)
    stat_owners = patched("_walk_fds", walk_stat, lambda: proc.socket_owners(inodes=inodes))()
    assert readlink_owners == stat_owners and readlink_owners is not None
    assert len(readlink_owners) == len(rows)
    elsewhere = proc.socket_owners(namespace=ours) or {}
    assert not any(row.inode in elsewhere for row in rows)  # the workers were skipped
    kept = narrow(backend)
    assert isinstance(kept, netstatlib.Table) and 0 < len(kept) <= len(rows) / 2
    assert all(row.pids for row in kept) and narrow(every) == kept
    samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in variants}
    for _ in range(repeat):
        for name, call in variants.items():
            gc.collect()
            wall, cpu = samples[name]
            started, started_cpu = time.perf_counter(), time.process_time()
            call()
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100000, help="ESTABLISHED rows (even)")
    parser.add_argument("--repeat", type=int, default=15, help="rounds; medians reported")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: it creates a network namespace")
    signal.signal(signal.SIGTERM, _on_sigterm)
    namespace = Namespace(f"nslbench-{os.getpid()}-walk", sys.executable)
    try:
        namespace.create()
        namespace.start_workers(Scenario("established", args.rows))
        fds = sum(len(os.listdir(f"/proc/{w.pid}/fd")) for w in namespace.workers)
        processes = sum(1 for entry in os.listdir("/proc") if entry.isdigit())
        print(
            f"{args.rows} rows, {fds} fds in {len(namespace.workers)} workers, "
            f"{processes} processes; {os.cpu_count()} CPUs, {platform.machine()}, "
            f"Linux {platform.release()}, Python {platform.python_version()}"
        )
        samples = measure(namespace.workers[0].pid, args.repeat)
    except (KeyboardInterrupt, Interrupted):
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        namespace.close()
    width = max(len(name) for name in samples)
    print(f"| {'what':{width}} | median ms | min ms | CPU median ms |")
    print(f"|{'-' * (width + 2)}|----------:|-------:|--------------:|")
    for name, (wall, cpu) in samples.items():
        median, low, used = (
            1e3 * x for x in (statistics.median(wall), min(wall), statistics.median(cpu))
        )
        print(f"| {name:{width}} | {median:9.1f} | {low:6.1f} | {used:13.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
