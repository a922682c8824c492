"""Measurement runner for bench_connections.py; runs inside the benchmark namespace.

Started as ``ip netns exec NS python ns_runner.py --kind KIND ...`` so that everything it
times sees the namespace's sockets: netstatlib with either engine (netlink asks the
kernel about the caller's namespace, ``/proc/self/net`` is the caller's namespace's),
psutil (which reads the calling process's namespace) and the whole-process commands it
spawns (children inherit the namespace). Prints one JSON object on stdout.

Every netstatlib query is run twice: through the default backend, which answers the live
host over netlink (``engine="auto"``; the runner checks that it does), and through
``LinuxProcfs(engine="procfs")``, the ``/proc/net`` text path. What is measured depends on
the scenario kind (``PLANS``); each measurement is repeated, with the rounds interleaved
(one run of every variant per round, the order reversed every other round) so that drift
hits every variant alike:

* ``inprocess``: wall time of one query in this interpreter, after one untimed call of
  every variant (the row counts), with a ``gc.collect()`` before each call; and the CPU
  time of this process (all threads, user and system) during it.
* ``process``: wall time of whole commands (interpreter start, imports, query, exit) run
  with ``subprocess.run`` and stdout to /dev/null: ``python -c 'import netstatlib; ...'``
  with each engine, the matching ``ss`` commands, and ``python -c pass`` and
  ``python -c 'import netstatlib'`` for context; and the command's CPU time
  (``RUSAGE_CHILDREN``). Nothing is subtracted.
* ``memory`` (with ``--memory``): bytes retained by the Table of
  ``connections("tcp", processes=False)`` with each engine, by tracemalloc and by an
  object walk.
* ``kernel_filter``: for the port-filtered query, how many socket messages the kernel
  sent (fewer than the table's rows when the filter ran in the kernel as bytecode).
* ``import_check``: does a fresh ``import netstatlib`` pull in psutil?
"""

from __future__ import annotations

import argparse
import collections
import enum
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Collection
from typing import Any, NamedTuple

ENGINES = ("netlink", "procfs")
PROCFS_BACKEND = "LinuxProcfs(engine='procfs')"
IMPORT_CHECK = "import netstatlib, sys; print('psutil' in sys.modules)"
WHICH = (
    "import json, os, netstatlib; from netstatlib.backends import default_backend; "
    "backend = default_backend(); print(json.dumps([os.path.dirname(netstatlib.__file__), "
    "backend.engine, backend.engine_reason]))"
)
# `python -c` puts the working directory first on sys.path: run the timed commands where
# no netstatlib lies around, so they import the same one as this runner (PYTHONPATH or
# the installed one), not a checkout that happens to be the benchmark's cwd.
NEUTRAL_CWD = "/"


class Query(NamedTuple):
    """One netstatlib call, run in this process or spelled out for ``python -c``."""

    function: str  # "connections" or "listening"
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    engines: tuple[str, ...] = ENGINES

    def call(self, engine: str) -> Callable[[], object]:
        import netstatlib
        from netstatlib.backends import LinuxProcfs

        function = getattr(netstatlib, self.function)
        kwargs = dict(self.kwargs)
        if engine == "netlink":  # the default backend, as users call it
            return lambda: function(*self.args, **kwargs)
        return lambda: function(*self.args, **kwargs, backend=LinuxProcfs(engine="procfs"))

    def code(self, engine: str) -> str:
        arguments = [repr(arg) for arg in self.args]
        arguments += [f"{name}={value!r}" for name, value in self.kwargs]
        if engine == "netlink":
            return f"import netstatlib; netstatlib.{self.function}({', '.join(arguments)})"
        arguments.append(f"backend={PROCFS_BACKEND}")
        return (
            "import netstatlib; from netstatlib.backends import LinuxProcfs; "
            f"netstatlib.{self.function}({', '.join(arguments)})"
        )


QUERIES = {
    "tcp_noproc": Query("connections", ("tcp",), (("processes", False),)),
    "tcp_details": Query(
        "connections", ("tcp",), (("processes", False), ("details", True)), ("netlink",)
    ),
    "tcp_proc": Query("connections", ("tcp",)),
    "listening_noproc": Query("listening", (), (("processes", False),)),
    "listening_proc": Query("listening"),
    "dport443": Query("connections", ("tcp",), (("where", "dport = :443"), ("processes", False))),
    "unix_noproc": Query("connections", ("unix",), (("processes", False),)),
    "unix_proc": Query("connections", ("unix",)),
}
TOOLS = {
    "ss_tan": ["ss", "-tan"],
    "ss_tanp": ["ss", "-tanp"],
    "ss_tlnp": ["ss", "-tlnp"],
    "ss_xan": ["ss", "-xan"],
}


class Plan(NamedTuple):
    """What one scenario kind measures."""

    inprocess: tuple[str, ...]  # QUERIES, in this process, each engine it has
    psutil: str  # the kind psutil.net_connections() is timed with
    process: tuple[str, ...]  # QUERIES as whole processes
    tools: tuple[str, ...]  # TOOLS as whole processes
    table: str  # the /proc/net file whose rows are counted


PLANS = {
    "established": Plan(
        inprocess=(
            "tcp_noproc",
            "tcp_details",
            "tcp_proc",
            "listening_noproc",
            "listening_proc",
            "dport443",
        ),
        psutil="tcp",
        process=("tcp_noproc", "tcp_proc", "listening_proc"),
        tools=("ss_tan", "ss_tanp", "ss_tlnp"),
        table="tcp",
    ),
    # TIME_WAIT entries expire after 60 s: only the main comparisons. They have no owner
    # (inode 0), so whole processes are timed without processes only.
    "time-wait": Plan(
        inprocess=("tcp_noproc", "tcp_proc"),
        psutil="tcp",
        process=("tcp_noproc",),
        tools=("ss_tan",),
        table="tcp",
    ),
    "unix": Plan(
        inprocess=("unix_noproc", "unix_proc"),
        psutil="unix",
        process=("unix_noproc",),
        tools=("ss_xan",),
        table="unix",
    ),
}


def table_rows(table: str) -> dict[str, int]:
    """Rows of this namespace's /proc/net socket files, by state (hex), and the total.

    ``tcp`` counts ``tcp`` and ``tcp6`` by their ``st`` column; ``unix`` counts
    ``/proc/net/unix`` by its ``St`` column.
    """
    states: collections.Counter[str] = collections.Counter()
    column = 3 if table == "tcp" else 5
    for name in ("tcp", "tcp6") if table == "tcp" else ("unix",):
        try:
            with open(f"/proc/self/net/{name}", "rb") as handle:
                lines = handle.read().decode(errors="replace").splitlines()[1:]
        except FileNotFoundError:
            continue
        states.update(line.split(None, column + 1)[column] for line in lines)
    result = dict(sorted(states.items()))
    result["total"] = sum(states.values())
    return result


class Budget:
    """Stop repeating once the next round would end after ``deadline`` (epoch seconds)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def allows(self, round_seconds: float, done: int, minimum: int) -> bool:
        if not self.deadline or done < minimum:
            return True
        return time.time() + round_seconds < self.deadline


def _summary(samples: list[float], cpu: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
        "cpu_median": statistics.median(cpu),
        "cpu_samples": cpu,
    }


def children_cpu_time() -> float:
    """User + system seconds of the children waited for so far (``RUSAGE_CHILDREN``)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_rounds(
    variants: dict[str, Callable[[], object]],
    repeat: int,
    budget: Budget,
    *,
    warmup: bool,
    cpu_clock: Callable[[], float] = time.process_time,
) -> dict[str, dict[str, Any]]:
    """Median wall time of each variant over up to ``repeat`` interleaved rounds.

    Every round runs each variant once; odd rounds run them in reverse order, so no
    variant always follows the same one. Sample *i* of every variant is from round *i*.
    Beside the wall time, ``cpu_clock`` is read around each call: CPU time is what the
    call did, whatever else competed for the cores (this process's threads, user and
    system, by default; ``children_cpu_time`` for commands run as child processes).
    """
    samples: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    if warmup:
        for function in variants.values():
            function()
    order = list(variants.items())
    round_seconds = 0.0
    done = 0
    while done < repeat and budget.allows(round_seconds, done, minimum=3):
        started = time.perf_counter()
        for name, function in order if done % 2 == 0 else order[::-1]:
            gc.collect()  # garbage of the previous call is not charged to this one
            c0 = cpu_clock()
            t0 = time.perf_counter()
            result = function()
            samples[name].append(time.perf_counter() - t0)
            cpu[name].append(cpu_clock() - c0)
            del result
        round_seconds = time.perf_counter() - started
        done += 1
    return {name: _summary(samples[name], cpu[name]) for name in variants}


def inprocess(plan: Plan, repeat: int, budget: Budget) -> dict[str, Any]:
    import psutil

    queries: dict[str, Callable[[], Any]] = {}
    for name in plan.inprocess:
        query = QUERIES[name]
        for engine in query.engines:
            queries[f"{name}.{engine}"] = query.call(engine)
    queries[f"psutil_{plan.psutil}"] = lambda: psutil.net_connections(plan.psutil)
    rows = {name: len(query()) for name, query in queries.items()}  # the warm-up calls
    timings = time_rounds(queries, repeat, budget, warmup=False)
    return {"rows": rows, "timings": timings}


def kernel_filter(query: Query) -> dict[str, Any]:
    """Rows kept and socket messages received for one netlink query.

    The message count is the engine's own (``DiagEngine.messages``, private): it says
    whether the port condition went to the kernel as bytecode (a handful of messages)
    or was applied in Python to every socket (as many messages as the table has rows).
    """
    import netstatlib
    from netstatlib.backends import LinuxProcfs

    backend = LinuxProcfs(engine="netlink")
    kwargs = dict(query.kwargs)
    rows = len(getattr(netstatlib, query.function)(*query.args, **kwargs, backend=backend))
    engine = getattr(backend, "_diag", None)
    return {"rows": rows, "kernel_messages": getattr(engine, "messages", None)}


def child_env(pycache_prefix: str) -> dict[str, str]:
    """Environment of the timed commands: with a prefix, bytecode is cached there.

    A pip-installed package ships with its bytecode compiled; an editable checkout run
    with PYTHONDONTWRITEBYTECODE=1 recompiles every module at every start. Caching under
    a private prefix gives installed-package behaviour without writing into the tree.
    """
    env = dict(os.environ)
    if pycache_prefix:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache_prefix
    return env


def process(
    plan: Plan,
    repeat: int,
    budget: Budget,
    python: str,
    env: dict[str, str],
    skip: Collection[str] = (),
) -> dict[str, Any]:
    commands: dict[str, list[str]] = {}
    for name in plan.process:
        query = QUERIES[name]
        for engine in query.engines:
            commands[f"{name}.{engine}"] = [python, "-c", query.code(engine)]
    commands.update((name, TOOLS[name]) for name in plan.tools if name not in skip)
    commands["python_pass"] = [python, "-c", "pass"]
    commands["python_import"] = [python, "-c", "import netstatlib"]

    def runner(argv: list[str]) -> Callable[[], object]:
        def run() -> object:
            done = subprocess.run(
                argv,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                cwd=NEUTRAL_CWD,
                check=False,
            )
            if done.returncode:
                raise RuntimeError(f"{argv} failed: {done.stderr.decode(errors='replace')}")
            return None

        return run

    timings = time_rounds(
        {name: runner(argv) for name, argv in commands.items()},
        repeat,
        budget,
        warmup=True,
        cpu_clock=children_cpu_time,
    )
    return {"commands": {name: " ".join(argv) for name, argv in commands.items()}, **timings}


def _shared(obj: object) -> bool:
    """Objects that exist whatever the table holds: not charged to the rows."""
    return (
        obj is None
        or isinstance(obj, (bool, enum.Enum, type, types.ModuleType, types.FunctionType))
        or (type(obj) is int and -5 <= obj <= 256)  # CPython's small-int cache
    )


def walk_size(root: object) -> int:
    """Bytes of every object reachable from ``root`` that is not shared (sys.getsizeof)."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or _shared(obj):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def memory(engine: str) -> dict[str, Any]:
    query = QUERIES["tcp_noproc"].call(engine)
    query()  # warm every lazy cache first
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    table: Any = query()
    gc.collect()
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = len(table)
    walked = walk_size(table)
    return {
        "rows": rows,
        "tracemalloc_bytes": after - before,
        "tracemalloc_peak_bytes": peak - before,
        "walk_bytes": walked,
        "bytes_per_row": (after - before) / rows if rows else None,
        "walk_bytes_per_row": walked / rows if rows else None,
    }


def child_output(python: str, code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=env, cwd=NEUTRAL_CWD, check=True
    )
    return done.stdout.strip()


def import_check(python: str, env: dict[str, str]) -> dict[str, Any]:
    output = child_output(python, IMPORT_CHECK, env)
    return {"command": f"{python} -c {IMPORT_CHECK!r}", "output": output, "ok": output == "False"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=sorted(PLANS), required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--deadline", type=float, default=0.0, help="epoch seconds, 0 = none")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--skip", action="append", default=[], choices=sorted(TOOLS),
                        help="a command not to time (repeatable)")  # fmt: skip
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--pycache-prefix", default="", help="empty: environment unchanged")
    args = parser.parse_args()
    plan = PLANS[args.kind]
    budget = Budget(args.deadline)
    env = child_env(args.pycache_prefix)
    import netstatlib
    from netstatlib.backends import default_backend

    backend = default_backend()
    result: dict[str, Any] = {
        "netstatlib_path": os.path.dirname(netstatlib.__file__),
        "default_engine": backend.engine,
        "engine_reason": backend.engine_reason,
        "netns_inode": os.stat("/proc/self/ns/net").st_ino,
        "rows_before": table_rows(plan.table),
        "started": time.time(),
    }
    # The netlink column must be netlink, and the whole-process commands must time the
    # same package, with the same engine, as the in-process calls.
    if backend.engine != "netlink":
        raise SystemExit(f"the default backend reads /proc text: {backend.engine_reason}")
    path, engine, reason = json.loads(child_output(args.python, WHICH, env))
    if path != result["netstatlib_path"] or engine != "netlink":
        raise SystemExit(
            f"python -c imports netstatlib from {path} (engine {engine}: {reason}), "
            f"this runner from {result['netstatlib_path']} (engine netlink)"
        )
    result["inprocess"] = inprocess(plan, args.repeat, budget)
    result["process"] = process(plan, args.repeat, budget, args.python, env, args.skip)
    result["skipped"] = args.skip
    result["rows_after"] = table_rows(plan.table)
    result["finished"] = time.time()
    if "dport443" in plan.inprocess:
        result["kernel_filter"] = kernel_filter(QUERIES["dport443"])
    if args.memory:
        result["memory"] = {engine: memory(engine) for engine in ENGINES}
    result["import_check"] = import_check(args.python, env)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
