"""Benchmark netstatlib's socket queries, netlink engine and /proc text side by side, against
psutil and ss, on 1k..100k live sockets.

Run as root::

    python benchmarks/bench_connections.py [--sizes 1000,10000,100000] [--unix 100000]
                                           [--time-wait 100000] [--repeat N]
                                           [--json out.json] [--markdown out.md]
    python benchmarks/bench_connections.py --quick      # 10k sockets of each kind, 3 repeats

For each scenario it creates a fresh network namespace, brings ``lo`` up, tunes its
per-namespace sysctls, and fills it with sockets made by worker processes
(``ns_worker.py``, started with ``ip netns exec``; each holds < 19k fds because the
open-file limit is 20k):

* ``established-N``: N ESTABLISHED TCP rows from N/2 connections whose both ends are in
  the namespace, four of them to a listener on port 443 that stays open (so there are
  exactly N ESTABLISHED rows and one LISTEN row; the other listeners are closed once
  everything is accepted);
* ``unix-N``: N connected UNIX stream sockets (N/2 ``socketpair()`` pairs);
* ``time-wait-N``: N TIME_WAIT rows (connect, accept, client closes first). They live 60 s,
  so measuring starts right after building and stops repeating before the oldest expire.

Then, in that namespace and at that moment, ``ns_runner.py`` (run with ``ip netns exec``)
times in-process calls and whole processes with each engine (the default backend, which
answers over netlink, and ``LinuxProcfs(engine="procfs")``) and measures memory; this
script adds the host-side view (``LinuxProcfs(pid=P)`` reading the namespace through a
worker's pid), prints the results side by side with the targets marked PASS/MISS and
tears everything down (workers killed, ``ip netns del``) in ``finally``, also on Ctrl-C
and SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKER = HERE / "ns_worker.py"
RUNNER = HERE / "ns_runner.py"
sys.path.insert(0, str(HERE))

from ns_runner import Budget, time_rounds  # noqa: E402

MAX_CONNS_PER_WORKER = 9000  # established and unix: 2 fds per connection, 18k < 19k
HTTPS_PORT = 443  # established: a listener kept open, for listening() and `dport = :443`
HTTPS_CONNS = 4  # connections to it: `dport = :443` matches 4 rows of the table
# `ss -p` looks each socket's inode up in a hash of every fd on the host with 256 buckets
# (user_ent_hash in iproute2's misc/ss.c): at 100k sockets one `ss -tanp` takes seconds to
# tens of seconds, and timing it would take a third of the run. It has no target.
SS_TANP_MAX_ROWS = 10000
TIME_WAIT_LIFETIME = 60.0  # TCP_TIMEWAIT_LEN, fixed in the kernel
TIME_WAIT_MARGIN = 8.0  # stop repeating this long before the oldest TIME_WAIT expires
NS_SYSCTLS = {
    "net.ipv4.ip_local_port_range": "1024 65535",
    "net.core.somaxconn": "65535",
    "net.ipv4.tcp_max_syn_backlog": "65535",
    "net.ipv4.tcp_max_tw_buckets": "262144",
    "net.ipv4.tcp_tw_reuse": "0",  # default 2 reuses loopback TIME_WAIT: we want them kept
}
QUICK = {"sizes": [10000], "unix": 10000, "time_wait": 10000, "repeat": 3}
FULL = {"sizes": [1000, 10000, 100000], "unix": 100000, "time_wait": 100000, "repeat": 5}

# The targets, set at 100k sockets; each scenario reports those it measures.
TARGETS = {
    "tcp_noproc_speedup": "connections('tcp', processes=False) in-process: netlink "
    ">= 2x faster than /proc text",
    "tcp_noproc_vs_ss": "connections('tcp', processes=False) whole process: <= 1.6x `ss -tan`",
    "tcp_proc_vs_psutil": "connections('tcp') in-process: >= 3x faster than psutil",
    "listening_ms": "listening(processes=False) in-process: <= 5 ms",
    "listening_vs_ss": "listening() whole process: >= 2x faster than `ss -tlnp`",
    "dport_ms": "connections('tcp', where='dport = :443', processes=False) in-process: <= 60 ms",
    "unix_speedup": "connections('unix', processes=False) in-process: netlink "
    ">= 3x faster than /proc text",
    "unix_vs_ss": "connections('unix', processes=False) whole process: <= 1.5x `ss -xan`",
    "details_us": "details=True: <= 2 µs more per TCP socket",
    "bytes_per_row": "retained bytes per Connection (netlink, no details): <= 300",
}


class Interrupted(Exception):
    """SIGTERM: unwind through every finally like Ctrl-C does."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted(f"signal {signum}")


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=True, text=True, capture_output=True, **kwargs)


def _shares(total: int, count: int) -> list[int]:
    share, extra = divmod(total, count)
    return [share + (1 if i < extra else 0) for i in range(count)]


@dataclass
class Scenario:
    kind: str  # "established", "unix" or "time-wait"
    rows: int

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.rows}"

    @property
    def table(self) -> str:
        """The /proc/net file its rows are counted in (see ``count_rows``)."""
        return "unix" if self.kind == "unix" else "tcp"

    def worker_plan(self) -> list[int]:
        """Connections (unix: socket pairs) per bulk worker."""
        if self.kind == "time-wait":  # no fd is kept: spread over the cores for speed
            return _shares(self.rows, max(1, min(os.cpu_count() or 1, 8)))
        pairs = self.rows // 2
        if self.kind == "established":
            pairs -= HTTPS_CONNS  # the 443 worker makes the rest
        return _shares(pairs, max(1, -(-pairs // MAX_CONNS_PER_WORKER)))

    def worker_arguments(self) -> list[list[str]]:
        """The ``ns_worker.py`` arguments of each worker."""
        workers = []
        for index, conns in enumerate(self.worker_plan()):
            if self.kind == "unix":
                workers.append(["--mode", "unix", "--conns", str(conns)])
                continue
            # Worker i listens on 127.0.0.1:(20000 + i) and connects from 8 addresses of
            # its own 127.(i+1).0.0/24: 4-tuples stay unique and no source address needs
            # more than a fraction of the 64k ports.
            sources = ",".join(f"127.{index + 1}.0.{k}" for k in range(1, 9))
            workers.append(
                ["--mode", self.kind, "--conns", str(conns), "--port", str(20000 + index),
                 "--sources", sources]
            )  # fmt: skip
        if self.kind == "established":
            workers.append(
                ["--mode", "established", "--conns", str(HTTPS_CONNS), "--port", str(HTTPS_PORT),
                 "--sources", "127.250.0.1", "--keep-listener"]
            )  # fmt: skip
        return workers


@dataclass
class Namespace:
    """A network namespace with its workers; ``close()`` kills them and deletes it."""

    name: str
    python: str
    workers: list[subprocess.Popen[str]] = field(default_factory=list)
    created: bool = False

    def create(self) -> None:
        run(["ip", "netns", "add", self.name])
        self.created = True
        run(["ip", "-n", self.name, "link", "set", "lo", "up"])
        settings = [f"{key}={value}" for key, value in NS_SYSCTLS.items()]
        run(["ip", "netns", "exec", self.name, "sysctl", "-q", "-w", *settings])

    def exec_argv(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def start_workers(self, scenario: Scenario) -> None:
        for arguments in scenario.worker_arguments():
            argv = self.exec_argv(self.python, str(WORKER), *arguments)
            self.workers.append(
                subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            )
        for worker in self.workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            if not line.startswith("READY"):
                raise RuntimeError(f"worker {worker.args} failed (exit {worker.poll()})")

    def close(self) -> None:
        for worker in self.workers:
            if worker.stdin is not None:
                with contextlib.suppress(OSError):
                    worker.stdin.close()  # EOF: the worker exits by itself
        for worker in self.workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()  # by its own pid only
                worker.wait()
        self.workers.clear()
        if self.created:
            subprocess.run(["ip", "netns", "del", self.name], check=False)
            self.created = False


def count_rows(pid: int, table: str = "tcp") -> dict[str, int]:
    """Rows of /proc/<pid>/net/tcp(6) (``table="tcp"``) or /proc/<pid>/net/unix, by state
    number (hex), and the total."""
    states: dict[str, int] = {}
    column = 3 if table == "tcp" else 5
    for name in ("tcp", "tcp6") if table == "tcp" else ("unix",):
        path = Path(f"/proc/{pid}/net/{name}")
        if not path.exists():
            continue
        for line in path.read_bytes().decode(errors="replace").splitlines()[1:]:
            state = line.split(None, column + 1)[column]
            states[state] = states.get(state, 0) + 1
    result = dict(sorted(states.items()))
    result["total"] = sum(states.values())
    return result


def host_processes() -> dict[str, int]:
    """Processes and open fds on the whole host: what every ``/proc/*/fd`` walk covers
    (netstatlib's and psutil's owner lookup, ``ss -p``), whatever the namespace."""
    processes = fds = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fds += len(os.listdir(f"/proc/{entry.name}/fd"))
        except OSError:  # gone, or a kernel thread's fd folder we may not read
            continue
        processes += 1
    return {"processes": processes, "fds": fds}


def host_side(pid: int, repeat: int, deadline: float) -> dict[str, Any]:
    """Time ``connections("tcp", backend=LinuxProcfs(pid=P))`` from outside the namespace,
    with each engine (netlink enters the namespace from a short-lived thread)."""
    import netstatlib
    from netstatlib.backends import LinuxProcfs

    engine = LinuxProcfs(pid=pid).engine
    variants: dict[str, Callable[[], object]] = {}
    for name, processes in (("tcp_noproc", False), ("tcp_proc", True)):
        variants[f"{name}.netlink"] = lambda processes=processes: netstatlib.connections(
            "tcp", processes=processes, backend=LinuxProcfs(pid=pid)
        )
        variants[f"{name}.procfs"] = lambda processes=processes: netstatlib.connections(
            "tcp", processes=processes, backend=LinuxProcfs(pid=pid, engine="procfs")
        )
    rows = {name: len(function()) for name, function in variants.items()}  # type: ignore[arg-type]
    timings = time_rounds(variants, repeat, Budget(deadline), warmup=False)
    return {"engine": engine, "rows": rows, **timings}


def run_scenario(scenario: Scenario, args: argparse.Namespace) -> dict[str, Any]:
    name = f"nslbench-{os.getpid()}-{scenario.label}"
    namespace = Namespace(name, args.python)
    runner: subprocess.Popen[str] | None = None
    result: dict[str, Any] = {
        "scenario": scenario.label,
        "kind": scenario.kind,
        "loadavg_start": os.getloadavg(),
    }
    try:
        namespace.create()
        print(f"[{scenario.label}] building in netns {name} ...", file=sys.stderr, flush=True)
        build_started = time.time()
        namespace.start_workers(scenario)
        built = time.time()
        result["build_seconds"] = built - build_started
        result["workers"] = [" ".join(arguments) for arguments in scenario.worker_arguments()]
        deadline = 0.0
        if scenario.kind == "time-wait":
            deadline = build_started + TIME_WAIT_LIFETIME - TIME_WAIT_MARGIN
        pid = namespace.workers[0].pid
        result["rows_built"] = count_rows(pid, scenario.table)
        result["host_processes"] = host_processes()
        print(
            f"[{scenario.label}] built {result['rows_built']['total']} rows in "
            f"{result['build_seconds']:.1f}s; measuring ...",
            file=sys.stderr,
            flush=True,
        )
        argv = namespace.exec_argv(
            args.python, str(RUNNER), "--kind", scenario.kind, "--repeat", str(args.repeat),
            "--deadline", str(deadline), "--python", args.python,
            "--pycache-prefix", args.pycache_prefix,
        )  # fmt: skip
        if scenario.kind == "established":
            argv.append("--memory")
            if scenario.rows > SS_TANP_MAX_ROWS:
                argv += ["--skip", "ss_tanp"]
        runner = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = runner.communicate()
        if runner.returncode:
            raise RuntimeError(f"runner failed ({runner.returncode}):\n{err}")
        result["runner"] = json.loads(out)
        if result["runner"]["netns_inode"] != os.stat(f"/proc/{pid}/ns/net").st_ino:
            raise RuntimeError("the runner did not run in the workers' network namespace")
        if scenario.kind != "unix" and (not deadline or time.time() + 10 < deadline):
            result["host_side"] = host_side(pid, args.repeat, deadline)
        result["rows_end"] = count_rows(pid, scenario.table)
        result["measure_seconds"] = time.time() - built
        result["loadavg_end"] = os.getloadavg()
        return result
    finally:
        if runner is not None and runner.poll() is None:
            runner.kill()  # the runner we started, by its pid
            runner.wait()
        namespace.close()


# -- reporting ---------------------------------------------------------------------------


def git_commit() -> str:
    """The checkout's commit, marked when netstatlib/ has uncommitted changes."""
    try:
        commit = run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"]).stdout
        dirty = run(["git", "-C", str(HERE.parent), "status", "--porcelain", "netstatlib"]).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "?"
    return commit.strip() + (" (netstatlib/ modified)" if dirty else "")


def machine() -> dict[str, Any]:
    lscpu = run(["lscpu"]).stdout
    model = next(
        (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line),
        platform.processor(),
    )
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "psutil": importlib.metadata.version("psutil"),
        "netstatlib": importlib.metadata.version("netstatlib"),
        "netstatlib_commit": git_commit(),
        "ss": run(["ss", "-V"]).stdout.strip(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg": os.getloadavg(),
    }


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.2f} ms" if seconds < 0.01 else f"{seconds * 1000:.1f} ms"


def _median(result: dict[str, Any], section: str, name: str, clock: str = "wall") -> float | None:
    """The median of one measurement: ``section`` is inprocess, process or host_side;
    ``clock`` is ``wall`` (elapsed) or ``cpu`` (CPU time of the caller or the command)."""
    if section == "host_side":
        entries = result.get("host_side") or {}
    elif section == "inprocess":
        entries = result["runner"]["inprocess"]["timings"]
    else:
        entries = result["runner"]["process"]
    entry = entries.get(name)
    if not entry:
        return None
    return entry["median"] if clock == "wall" else entry["cpu_median"]


def details_cost(result: dict[str, Any], clock: str = "wall") -> float | None:
    """Extra seconds per row of ``details=True``: the median over rounds of the paired
    difference (the two calls of a round ran back to back)."""
    timings = result["runner"]["inprocess"]["timings"]
    with_details = timings.get("tcp_details.netlink")
    without = timings.get("tcp_noproc.netlink")
    rows = result["runner"]["inprocess"]["rows"].get("tcp_details.netlink")
    if not with_details or not without or not rows:
        return None
    key = "samples" if clock == "wall" else "cpu_samples"
    pairs = zip(with_details[key], without[key], strict=True)
    return statistics.median([a - b for a, b in pairs]) / rows


def _target(
    value: float | None, text: Callable[[float], str], ok: Callable[[float], bool]
) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": value, "text": text(value), "ok": ok(value)}


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a / b


def _faster(ratio: float) -> str:
    return f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"


def _the_time(ratio: float) -> str:
    return f"{ratio:.2f}x the time"


def targets(result: dict[str, Any], clock: str = "wall") -> dict[str, dict[str, Any]]:
    """The figure and PASS/MISS of each target this scenario measures, on the wall-clock
    medians (what the targets are about) or on the CPU-time medians (``clock="cpu"``:
    what the figure would be on an idle machine, roughly)."""

    def median(section: str, name: str) -> float | None:
        return _median(result, section, name, clock)

    def speedup(section: str, name: str, reference: str) -> float | None:
        return _ratio(median(section, reference), median(section, name))

    found = {
        "tcp_noproc_speedup": _target(
            speedup("inprocess", "tcp_noproc.netlink", "tcp_noproc.procfs"),
            _faster, lambda v: v >= 2,
        ),
        "tcp_noproc_vs_ss": _target(
            _ratio(median("process", "tcp_noproc.netlink"), median("process", "ss_tan")),
            _the_time, lambda v: v <= 1.6,
        ),
        "tcp_proc_vs_psutil": _target(
            speedup("inprocess", "tcp_proc.netlink", "psutil_tcp"), _faster, lambda v: v >= 3
        ),
        "listening_ms": _target(
            median("inprocess", "listening_noproc.netlink"), _ms, lambda v: v <= 0.005
        ),
        "listening_vs_ss": _target(
            speedup("process", "listening_proc.netlink", "ss_tlnp"), _faster, lambda v: v >= 2
        ),
        "dport_ms": _target(median("inprocess", "dport443.netlink"), _ms, lambda v: v <= 0.060),
        "unix_speedup": _target(
            speedup("inprocess", "unix_noproc.netlink", "unix_noproc.procfs"),
            _faster, lambda v: v >= 3,
        ),
        "unix_vs_ss": _target(
            _ratio(median("process", "unix_noproc.netlink"), median("process", "ss_xan")),
            _the_time, lambda v: v <= 1.5,
        ),
        "details_us": _target(
            details_cost(result, clock), lambda v: f"{v * 1e6:.2f} µs", lambda v: v <= 2e-6
        ),
    }  # fmt: skip
    memory = result["runner"].get("memory")
    if memory and clock == "wall":
        found["bytes_per_row"] = _target(
            memory["netlink"]["bytes_per_row"], lambda v: f"{v:.0f} B", lambda v: v <= 300
        )
    return {key: entry for key, entry in found.items() if entry is not None}


def _mark(entry: dict[str, Any] | None, cpu: dict[str, Any] | None = None) -> str:
    if entry is None:
        return "n/a"
    text = f"{entry['text']} {'PASS' if entry['ok'] else 'MISS'}"
    return text if cpu is None else f"{text} (CPU time: {cpu['text']})"


# Rows of the side-by-side table: label, section, query (``<query>.netlink`` and
# ``<query>.procfs`` in that section), and the reference measured beside it.
SIDE_BY_SIDE = [
    ("in-process: connections('tcp', processes=False)", "inprocess", "tcp_noproc", None),
    ("in-process: connections('tcp', processes=False, details=True)", "inprocess",
     "tcp_details", None),
    ("in-process: connections('tcp')", "inprocess", "tcp_proc", "psutil_tcp"),
    ("in-process: listening(processes=False)", "inprocess", "listening_noproc", None),
    ("in-process: listening()", "inprocess", "listening_proc", None),
    ("in-process: connections('tcp', where='dport = :443', processes=False)", "inprocess",
     "dport443", None),
    ("in-process: connections('unix', processes=False)", "inprocess", "unix_noproc", None),
    ("in-process: connections('unix')", "inprocess", "unix_proc", "psutil_unix"),
    ("host side: LinuxProcfs(pid=P), connections('tcp', processes=False)", "host_side",
     "tcp_noproc", None),
    ("host side: LinuxProcfs(pid=P), connections('tcp')", "host_side", "tcp_proc", None),
    ("process: connections('tcp', processes=False)", "process", "tcp_noproc", "ss_tan"),
    ("process: connections('tcp')", "process", "tcp_proc", "ss_tanp"),
    ("process: listening()", "process", "listening_proc", "ss_tlnp"),
    ("process: connections('unix', processes=False)", "process", "unix_noproc", "ss_xan"),
]  # fmt: skip
REFERENCES = {
    "psutil_tcp": "psutil.net_connections('tcp')",
    "psutil_unix": "psutil.net_connections('unix')",
    "ss_tan": "ss -tan",
    "ss_tanp": "ss -tanp",
    "ss_tlnp": "ss -tlnp",
    "ss_xan": "ss -xan",
}
COLUMNS = ("measurement", "netlink", "/proc text", "/proc ÷ netlink", "reference")


def detail_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The side-by-side table of one scenario: (measurement, netlink, /proc text,
    /proc ÷ netlink, reference)."""
    run_ = result["runner"]
    rows = [
        ("rows (built / runner start / runner end / scenario end)",
         f"{result['rows_built']['total']} / {run_['rows_before']['total']} / "
         f"{run_['rows_after']['total']} / {result['rows_end']['total']}", "", "", ""),
    ]  # fmt: skip
    for label, section, name, reference in SIDE_BY_SIDE:
        netlink = _median(result, section, f"{name}.netlink")
        procfs = _median(result, section, f"{name}.procfs")
        if netlink is None and procfs is None:
            continue
        ratio = _ratio(procfs, netlink)
        other = _median(result, section, reference) if reference else None
        rows.append(
            (label, _ms(netlink), _ms(procfs), "" if ratio is None else f"{ratio:.2f}x",
             "" if other is None else f"{REFERENCES[reference]}: {_ms(other)}")  # type: ignore[index]
        )  # fmt: skip
    cost = details_cost(result)
    if cost is not None:
        rows.append(("details=True: extra per TCP socket", f"{cost * 1e6:.2f} µs", "", "", ""))
    kernel = run_.get("kernel_filter")
    if kernel:
        messages = kernel["kernel_messages"]
        rows.append(
            ("dport = :443: rows kept / socket messages from the kernel",
             f"{kernel['rows']} / {'?' if messages is None else messages}", "", "", "")
        )  # fmt: skip
    rows.append(
        ("process: python -c pass / 'import netstatlib' (context)",
         f"{_ms(_median(result, 'process', 'python_pass'))} / "
         f"{_ms(_median(result, 'process', 'python_import'))}", "", "", "")
    )  # fmt: skip
    memory = run_.get("memory")
    if memory:
        cells = [
            f"{memory[engine]['bytes_per_row']:.0f} B; {memory[engine]['walk_bytes_per_row']:.0f} B"
            for engine in ("netlink", "procfs")
        ]
        rows.append(("memory: bytes/Connection (tracemalloc; object walk)", *cells, "", ""))
    timings = run_["inprocess"]["timings"]
    repeats = (
        len(next(iter(timings.values()))["samples"]),
        len(run_["process"]["python_pass"]["samples"]),
    )
    rows.append(("repeats (in-process, process)", f"{repeats[0]}, {repeats[1]}", "", "", ""))
    return rows


def scenario_notes(result: dict[str, Any]) -> list[str]:
    """What makes a scenario's figures less than comparable: the table changed while the
    runner measured (TIME_WAIT entries expired), or the two engines returned different
    row counts for one query."""
    notes = []
    run_ = result["runner"]
    notes += [
        f"`{REFERENCES[name]}` is not timed above {SS_TANP_MAX_ROWS} sockets (see "
        "benchmarks/README.md)"
        for name in run_.get("skipped", ())
    ]
    before, after = run_["rows_before"]["total"], run_["rows_after"]["total"]
    if before != after:
        notes.append(
            f"the table changed while measuring ({before} rows at the start, {after} at the "
            "end): figures after the change are not comparable"
        )
    host_rows = (result.get("host_side") or {}).get("rows") or {}
    for section, rows in (("in-process", run_["inprocess"]["rows"]), ("host side", host_rows)):
        for name, count in rows.items():
            other = rows.get(name.replace(".netlink", ".procfs"))
            if name.endswith(".netlink") and other is not None and other != count:
                query = name.removesuffix(".netlink")
                notes.append(f"{section} {query}: netlink {count} rows, /proc text {other}")
    return notes


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def target_table(results: dict[str, Any]) -> list[tuple[str, ...]]:
    labels = [result["scenario"] for result in results["scenarios"]]
    marks = {result["scenario"]: targets(result) for result in results["scenarios"]}
    cpu = {result["scenario"]: targets(result, "cpu") for result in results["scenarios"]}
    table: list[tuple[str, ...]] = [("target", *labels)]
    for key, text in TARGETS.items():
        if any(key in marks[label] for label in labels):
            cells = (_mark(marks[label].get(key), cpu[label].get(key)) for label in labels)
            table.append((text, *cells))
    imports = results["import_check"]
    table.append(("fresh `import netstatlib` does not import psutil", *([imports] * len(labels))))
    return table


def report(results: dict[str, Any]) -> str:
    lines = []
    info = results["machine"]
    lines.append(
        f"{info['cpu_model']}, {info['cores']} cores, kernel {info['kernel']}, "
        f"Python {info['python']}, psutil {info['psutil']}, {info['ss']}, {info['date']}, "
        f"load average at start {info['loadavg'][0]:.2f}"
    )
    paths = {result["runner"]["netstatlib_path"] for result in results["scenarios"]}
    lines.append(f"netstatlib {info['netstatlib_commit']} from {', '.join(sorted(paths))}")
    for result in results["scenarios"]:
        lines.append("")
        host = result["host_processes"]
        lines.append(
            f"== {result['scenario']} (median of the repeats; load average "
            f"{result['loadavg_start'][0]:.2f} -> {result['loadavg_end'][0]:.2f}; the host "
            f"had {host['processes']} processes holding {host['fds']} fds) =="
        )
        lines += ["  " + line for line in _aligned([COLUMNS, *detail_rows(result)])]
        lines += [f"  note: {text}" for text in scenario_notes(result)]
    lines.append("")
    lines.append("== targets ==")
    lines += _aligned(target_table(results))
    lines.append("")
    lines.append(f"run took {results['seconds']:.0f} s")
    return "\n".join(lines)


def _markdown_table(rows: list[tuple[str, ...]]) -> list[str]:
    out = ["| " + " | ".join(rows[0]) + " |", "|---" * len(rows[0]) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return out


def markdown(results: dict[str, Any]) -> str:
    """The same figures as Markdown tables (for docs/performance.md)."""
    out: list[str] = []
    for result in results["scenarios"]:
        out += [f"### {result['scenario']}", ""]
        out += _markdown_table([COLUMNS, *detail_rows(result)])
        host = result["host_processes"]
        out += [
            "",
            f"Load average {result['loadavg_start'][0]:.2f} at the start, "
            f"{result['loadavg_end'][0]:.2f} at the end; {host['processes']} processes on "
            f"the host held {host['fds']} fds.",
            *(f"Note: {text}." for text in scenario_notes(result)),
            "",
        ]
    out += ["### Targets", ""]
    out += _markdown_table(target_table(results))
    return "\n".join(out) + "\n"


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    least = 2 * HTTPS_CONNS + 2
    if any(size < least or size % 2 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be even numbers >= {least}")
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 10k sockets of each kind, 3 repeats")  # fmt: skip
    parser.add_argument("--sizes", type=parse_sizes,
                        help="ESTABLISHED row counts (default 1000,10000,100000)")  # fmt: skip
    parser.add_argument("--unix", type=int,
                        help="UNIX socket count, even, 0 to skip (default 100000)")  # fmt: skip
    parser.add_argument("--time-wait", type=int,
                        help="TIME_WAIT row count, 0 to skip (default 100000)")  # fmt: skip
    parser.add_argument("--repeat", type=int, help="repeats per measurement (default 5)")
    parser.add_argument("--json", type=Path, help="write every figure and sample here")
    parser.add_argument("--markdown", type=Path, help="write the tables as Markdown here")
    parser.add_argument("--python", default=sys.executable, help="interpreter to measure")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="time `python -c` with the environment as is (by default bytecode is cached "
        "in a temporary PYTHONPYCACHEPREFIX, as for a pip-installed package, even if "
        "PYTHONDONTWRITEBYTECODE is set)",
    )
    args = parser.parse_args()
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if os.geteuid() != 0:
        parser.error("run as root: it creates network namespaces")
    for tool in ("ip", "ss", "sysctl"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if args.unix < 0 or args.unix % 2:
        parser.error("--unix must be an even number (0 skips it)")

    signal.signal(signal.SIGTERM, _on_sigterm)
    scenarios = [Scenario("established", size) for size in args.sizes]
    if args.unix:
        scenarios.append(Scenario("unix", args.unix))
    if args.time_wait:
        scenarios.append(Scenario("time-wait", args.time_wait))
    started = time.time()
    results: dict[str, Any] = {
        "machine": machine(),
        "repeat": args.repeat,
        "bytecode_cache": not args.no_bytecode_cache,
        "scenarios": [],
    }
    try:
        with tempfile.TemporaryDirectory(prefix="nslbench-pycache-") as prefix:
            args.pycache_prefix = "" if args.no_bytecode_cache else prefix
            for scenario in scenarios:
                results["scenarios"].append(run_scenario(scenario, args))
    except (KeyboardInterrupt, Interrupted):
        print("interrupted: workers killed, namespaces deleted", file=sys.stderr)
        return 130
    if not results["scenarios"]:
        return 1
    results["seconds"] = time.time() - started
    if git_commit() != results["machine"]["netstatlib_commit"]:
        print("warning: the checkout changed during the run", file=sys.stderr)
        results["machine"]["netstatlib_commit"] += f" -> {git_commit()} (changed during the run)"
    checks = [result["runner"]["import_check"] for result in results["scenarios"]]
    results["import_check"] = "PASS" if all(check["ok"] for check in checks) else "MISS"
    results["targets"] = {
        r["scenario"]: {"wall": targets(r), "cpu": targets(r, "cpu")} for r in results["scenarios"]
    }
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
