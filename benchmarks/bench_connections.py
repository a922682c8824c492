"""Benchmark netstatlib.connections("tcp") against psutil and ss on 1k..100k live sockets.

Run as root::

    python benchmarks/bench_connections.py [--sizes 1000,10000,100000] [--repeat N]
                                           [--time-wait 100000] [--json out.json]

For each scenario it creates a fresh network namespace, brings ``lo`` up, tunes its
per-namespace sysctls, and fills its ``/proc/net/tcp`` with loopback sockets made by
worker processes (``ns_worker.py``, started with ``ip netns exec``; each holds < 19k fds
because the open-file limit is 20k):

* ``established-N``: N ESTABLISHED rows from N/2 connections whose both ends are in the
  namespace (listeners are closed once everything is accepted, so there are exactly N rows);
* ``time-wait-N``: N TIME_WAIT rows (connect, accept, client closes first). They live 60 s,
  so measuring starts right after building and stops repeating before the oldest expire.

Then, in that namespace and at that moment, ``ns_runner.py`` (run with ``ip netns exec``)
times in-process calls and whole processes and measures memory; this script adds the
host-side view (``LinuxProcfs(pid=P)`` reading the namespace through a worker's pid), prints
the results with the targets marked PASS/MISS and tears everything down (workers killed,
``ip netns del``) in ``finally``, also on Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKER = HERE / "ns_worker.py"
RUNNER = HERE / "ns_runner.py"

MAX_CONNS_PER_WORKER = 9000  # established: 2 fds per connection, 18k < 19k
TIME_WAIT_LIFETIME = 60.0  # TCP_TIMEWAIT_LEN, fixed in the kernel
TIME_WAIT_MARGIN = 8.0  # stop repeating this long before the oldest TIME_WAIT expires
NS_SYSCTLS = {
    "net.ipv4.ip_local_port_range": "1024 65535",
    "net.core.somaxconn": "65535",
    "net.ipv4.tcp_max_syn_backlog": "65535",
    "net.ipv4.tcp_max_tw_buckets": "262144",
    "net.ipv4.tcp_tw_reuse": "0",  # default 2 reuses loopback TIME_WAIT: we want them kept
}

TARGETS = {
    "psutil_vs_nsl": "netstatlib(processes) in-process vs psutil: >= 1.7x faster",
    "sstanp_vs_nsl": "netstatlib(processes) whole process vs `ss -tanp`: faster",
    "nsl_vs_sstan": "netstatlib(no processes) whole process vs `ss -tan`: <= 2x the time",
    "bytes_per_row": "retained bytes per Connection: <= 500",
}


class Interrupted(Exception):
    """SIGTERM: unwind through every finally like Ctrl-C does."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted(f"signal {signum}")


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=True, text=True, capture_output=True, **kwargs)


@dataclass
class Scenario:
    kind: str  # "established" or "time-wait"
    rows: int

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.rows}"

    def worker_plan(self) -> list[int]:
        """Connections per worker."""
        if self.kind == "established":
            conns = self.rows // 2
            count = max(1, -(-conns // MAX_CONNS_PER_WORKER))
        else:  # no fd is kept: spread over the cores for speed, not for the fd limit
            conns = self.rows
            count = max(1, min(os.cpu_count() or 1, 8))
        share, extra = divmod(conns, count)
        return [share + (1 if i < extra else 0) for i in range(count)]


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
        for index, conns in enumerate(scenario.worker_plan()):
            # Worker i listens on 127.0.0.1:(20000 + i) and connects from 8 addresses of
            # its own 127.(i+1).0.0/24: 4-tuples stay unique and no source address needs
            # more than a fraction of the 64k ports.
            sources = ",".join(f"127.{index + 1}.0.{k}" for k in range(1, 9))
            argv = self.exec_argv(
                self.python, str(WORKER), "--mode", scenario.kind, "--conns", str(conns),
                "--port", str(20000 + index), "--sources", sources,
            )  # fmt: skip
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


def count_rows(pid: int) -> dict[str, int]:
    """Rows of /proc/<pid>/net/tcp(6), by kernel state number (hex), and the total."""
    states: dict[str, int] = {}
    for name in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{name}")
        if not path.exists():
            continue
        for line in path.read_bytes().decode().splitlines()[1:]:
            state = line.split(None, 4)[3]
            states[state] = states.get(state, 0) + 1
    result = dict(sorted(states.items()))
    result["total"] = sum(states.values())
    return result


def host_side(pid: int, repeat: int, deadline: float) -> dict[str, Any]:
    """Time ``connections("tcp", backend=LinuxProcfs(pid=P))`` from outside the namespace."""
    import netstatlib
    from netstatlib.backends import LinuxProcfs

    backend = LinuxProcfs(pid=pid)
    variants = {
        "nsl_proc_pid": lambda: netstatlib.connections("tcp", processes=True, backend=backend),
        "nsl_noproc_pid": lambda: netstatlib.connections("tcp", processes=False, backend=backend),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    rows = {name: len(function()) for name, function in variants.items()}  # warm-up
    for _ in range(repeat):
        started = time.time()
        for name, function in variants.items():
            gc.collect()
            t0 = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - t0)
        round_seconds = time.time() - started
        enough = len(samples["nsl_proc_pid"]) >= 3
        if deadline and enough and time.time() + round_seconds > deadline:
            break  # the next round could outlive the oldest TIME_WAIT entries
    return {
        "rows": rows,
        **{name: {"median": statistics.median(v), "samples": v} for name, v in samples.items()},
    }


def run_scenario(scenario: Scenario, args: argparse.Namespace) -> dict[str, Any]:
    name = f"nslbench-{os.getpid()}-{scenario.label}"
    namespace = Namespace(name, args.python)
    runner: subprocess.Popen[str] | None = None
    result: dict[str, Any] = {"scenario": scenario.label, "kind": scenario.kind}
    try:
        namespace.create()
        print(f"[{scenario.label}] building in netns {name} ...", file=sys.stderr, flush=True)
        build_started = time.time()
        namespace.start_workers(scenario)
        built = time.time()
        result["build_seconds"] = built - build_started
        result["workers"] = scenario.worker_plan()
        deadline = 0.0
        if scenario.kind == "time-wait":
            deadline = build_started + TIME_WAIT_LIFETIME - TIME_WAIT_MARGIN
        pid = namespace.workers[0].pid
        result["rows_built"] = count_rows(pid)
        print(
            f"[{scenario.label}] built {result['rows_built']['total']} rows in "
            f"{result['build_seconds']:.1f}s; measuring ...",
            file=sys.stderr,
            flush=True,
        )
        argv = namespace.exec_argv(
            args.python, str(RUNNER), "--repeat", str(args.repeat),
            "--deadline", str(deadline), "--python", args.python,
            "--pycache-prefix", args.pycache_prefix,
        )  # fmt: skip
        if scenario.kind == "established":
            argv.append("--memory")
        runner = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = runner.communicate()
        if runner.returncode:
            raise RuntimeError(f"runner failed ({runner.returncode}):\n{err}")
        result["runner"] = json.loads(out)
        if result["runner"]["netns_inode"] != os.stat(f"/proc/{pid}/ns/net").st_ino:
            raise RuntimeError("the runner did not run in the workers' network namespace")
        if not deadline or time.time() + 5 < deadline:
            result["host_side"] = host_side(pid, args.repeat, deadline)
        result["rows_end"] = count_rows(pid)
        result["measure_seconds"] = time.time() - built
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
    }


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _median(section: dict[str, Any], name: str) -> float | None:
    entry = section.get(name)
    return entry["median"] if entry else None


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Ratios and PASS/MISS for one scenario."""
    inproc = result["runner"]["inprocess"]["timings"]
    proc = result["runner"]["process"]
    out: dict[str, dict[str, Any]] = {}
    ratio = _median(inproc, "psutil") / _median(inproc, "nsl_proc")
    out["psutil_vs_nsl"] = {"value": ratio, "text": f"{ratio:.2f}x faster", "ok": ratio >= 1.7}
    ratio = _median(proc, "ss_tanp") / _median(proc, "nsl_proc")
    text = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
    out["sstanp_vs_nsl"] = {"value": ratio, "text": text, "ok": ratio > 1.0}
    ratio = _median(proc, "nsl_noproc") / _median(proc, "ss_tan")
    out["nsl_vs_sstan"] = {"value": ratio, "text": f"{ratio:.2f}x the time", "ok": ratio <= 2.0}
    memory = result["runner"].get("memory")
    if memory and memory["bytes_per_row"] is not None:
        value = memory["bytes_per_row"]
        out["bytes_per_row"] = {"value": value, "text": f"{value:.0f} B", "ok": value <= 500}
    return out


def _mark(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "n/a"
    return f"{entry['text']} {'PASS' if entry['ok'] else 'MISS'}"


def detail_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    run_ = result["runner"]
    inproc = run_["inprocess"]["timings"]
    proc = run_["process"]
    rows = [
        ("rows (built / runner start / runner end / scenario end)",
         f"{result['rows_built']['total']} / {run_['rows_before']['total']} / "
         f"{run_['rows_after']['total']} / {result['rows_end']['total']}"),
        ("in-process: netstatlib processes=True", _ms(_median(inproc, "nsl_proc"))),
        ("in-process: netstatlib processes=False", _ms(_median(inproc, "nsl_noproc"))),
        ("in-process: psutil.net_connections('tcp')", _ms(_median(inproc, "psutil"))),
        ("in-process: netstatlib listening('tcp')", _ms(_median(inproc, "nsl_listening"))),
        ("in-process: netstatlib dport = :22", _ms(_median(inproc, "nsl_dport22"))),
    ]  # fmt: skip
    host = result.get("host_side")
    if host:
        for name, label in (("nsl_proc_pid", "True"), ("nsl_noproc_pid", "False")):
            rows.append(
                (f"host side: LinuxProcfs(pid=P) processes={label}", _ms(host[name]["median"]))
            )
    rows += [
        ("process: python -c netstatlib processes=False", _ms(_median(proc, "nsl_noproc"))),
        ("process: python -c netstatlib processes=True", _ms(_median(proc, "nsl_proc"))),
        ("process: ss -tan", _ms(_median(proc, "ss_tan"))),
        ("process: ss -tanp", _ms(_median(proc, "ss_tanp"))),
        ("process: python -c pass (context)", _ms(_median(proc, "python_pass"))),
        ("process: python -c 'import netstatlib' (context)", _ms(_median(proc, "python_import"))),
    ]  # fmt: skip
    memory = run_.get("memory")
    if memory:
        rows.append(
            ("memory: bytes/Connection (tracemalloc; object walk)",
             f"{memory['bytes_per_row']:.0f} B; {memory['walk_bytes_per_row']:.0f} B")
        )  # fmt: skip
    repeats = len(inproc["nsl_proc"]["samples"]), len(proc["nsl_proc"]["samples"])
    rows.append(("repeats (in-process, process)", f"{repeats[0]}, {repeats[1]}"))
    return rows


def report(results: dict[str, Any]) -> str:
    lines = []
    info = results["machine"]
    lines.append(
        f"{info['cpu_model']}, {info['cores']} cores, kernel {info['kernel']}, "
        f"Python {info['python']}, psutil {info['psutil']}, {info['ss']}, {info['date']}"
    )
    paths = {result["runner"]["netstatlib_path"] for result in results["scenarios"]}
    lines.append(f"netstatlib {info['netstatlib_commit']} from {', '.join(sorted(paths))}")
    for result in results["scenarios"]:
        lines.append("")
        lines.append(f"== {result['scenario']} (median of the repeats) ==")
        detail = detail_rows(result)
        width = max(len(name) for name, _ in detail)
        lines += [f"  {name.ljust(width)}  {value}" for name, value in detail]
    lines.append("")
    lines.append("== targets ==")
    labels = [result["scenario"] for result in results["scenarios"]]
    marks = {result["scenario"]: targets(result) for result in results["scenarios"]}
    header = ["target", *labels]
    body = [
        [text, *(_mark(marks[label].get(key)) for label in labels)] for key, text in TARGETS.items()
    ]
    imports = results["import_check"]
    body.append(["fresh `import netstatlib` does not import psutil", *([imports] * len(labels))])
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    for row in [header, *body]:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The same figures as Markdown tables (for docs/performance.md)."""
    labels = [result["scenario"] for result in results["scenarios"]]
    details = {result["scenario"]: dict(detail_rows(result)) for result in results["scenarios"]}
    names = list(next(iter(details.values())))
    for detail in details.values():
        names += [name for name in detail if name not in names]
    out = ["| measurement | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for name in names:
        cells = [details[label].get(name, "-") for label in labels]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    marks = {result["scenario"]: targets(result) for result in results["scenarios"]}
    out += ["", "| target | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for key, text in TARGETS.items():
        cells = [_mark(marks[label].get(key)) for label in labels]
        out.append(f"| {text} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if any(size < 2 or size % 2 for size in sizes):
        raise argparse.ArgumentTypeError("sizes must be even numbers >= 2")
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10000, 100000],
                        help="ESTABLISHED row counts (default 1000,10000,100000)")  # fmt: skip
    parser.add_argument("--time-wait", type=int, default=100000,
                        help="TIME_WAIT row count, 0 to skip (default 100000)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5, help="repeats per measurement")
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
    if os.geteuid() != 0:
        parser.error("run as root: it creates network namespaces")
    for tool in ("ip", "ss", "sysctl"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    signal.signal(signal.SIGTERM, _on_sigterm)
    scenarios = [Scenario("established", size) for size in args.sizes]
    if args.time_wait:
        scenarios.append(Scenario("time-wait", args.time_wait))
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
    if git_commit() != results["machine"]["netstatlib_commit"]:
        print("warning: the checkout changed during the run", file=sys.stderr)
        results["machine"]["netstatlib_commit"] += f" -> {git_commit()} (changed during the run)"
    checks = [result["runner"]["import_check"] for result in results["scenarios"]]
    results["import_check"] = "PASS" if all(check["ok"] for check in checks) else "MISS"
    results["targets"] = {r["scenario"]: targets(r) for r in results["scenarios"]}
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
