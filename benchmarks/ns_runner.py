"""Measurement runner for bench_connections.py; runs inside the benchmark namespace.

Started as ``ip netns exec NS python ns_runner.py ...`` so that everything it times reads
the namespace's ``/proc/net/tcp``: netstatlib's default backend, psutil (which always reads
the calling process's namespace) and the whole-process commands it spawns (children
inherit the namespace). Prints one JSON object on stdout.

Measurements (each repeated, rounds interleaved so that drift hits every variant alike):

* ``inprocess``: wall time of ``netstatlib.connections("tcp", processes=True/False)`` and
  ``psutil.net_connections("tcp")`` in this interpreter, after one untimed warm-up call.
* ``process``: wall time of whole commands (interpreter start, imports, query, exit) run
  with ``subprocess.run`` and stdout to /dev/null: ``python -c 'import netstatlib; ...'``,
  ``ss -tan``, ``ss -tanp``, plus ``python -c pass`` and ``python -c 'import netstatlib'``
  for context. Nothing is subtracted.
* ``memory`` (with ``--memory``): bytes retained by the Table of
  ``connections("tcp", processes=False)``, by tracemalloc and by an object walk.
* ``import_check``: does a fresh ``import netstatlib`` pull in psutil?
"""

from __future__ import annotations

import argparse
import collections
import enum
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import types
from collections.abc import Callable
from typing import Any

NSL_NOPROC = "import netstatlib; netstatlib.connections('tcp', processes=False)"
NSL_PROC = "import netstatlib; netstatlib.connections('tcp', processes=True)"
IMPORT_CHECK = "import netstatlib, sys; print('psutil' in sys.modules)"
WHICH = "import os, netstatlib; print(os.path.dirname(netstatlib.__file__))"
# `python -c` puts the working directory first on sys.path: run the timed commands where
# no netstatlib lies around, so they import the same one as this runner (PYTHONPATH or
# the installed one), not a checkout that happens to be the benchmark's cwd.
NEUTRAL_CWD = "/"


def tcp_rows() -> dict[str, int]:
    """Rows of this namespace's /proc/net/tcp and tcp6, by kernel state number (hex)."""
    states: collections.Counter[str] = collections.Counter()
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/self/net/{name}", "rb") as handle:
                lines = handle.read().decode().splitlines()[1:]
        except FileNotFoundError:
            continue
        states.update(line.split(None, 4)[3] for line in lines)
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


def _summary(samples: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
    }


def time_rounds(
    variants: dict[str, Callable[[], object]],
    repeat: int,
    budget: Budget,
    *,
    warmup: bool,
) -> dict[str, dict[str, Any]]:
    """Median wall time of each variant over up to ``repeat`` interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    if warmup:
        for function in variants.values():
            function()
    round_seconds = 0.0
    done = 0
    while done < repeat and budget.allows(round_seconds, done, minimum=3):
        started = time.perf_counter()
        for name, function in variants.items():
            gc.collect()  # garbage of the previous call is not charged to this one
            t0 = time.perf_counter()
            result = function()
            samples[name].append(time.perf_counter() - t0)
            del result
        round_seconds = time.perf_counter() - started
        done += 1
    return {name: _summary(values) for name, values in samples.items()}


def inprocess(repeat: int, budget: Budget) -> dict[str, Any]:
    import psutil

    import netstatlib

    def nsl_proc() -> object:
        return netstatlib.connections("tcp", processes=True)

    def nsl_noproc() -> object:
        return netstatlib.connections("tcp", processes=False)

    def ps() -> object:
        return psutil.net_connections("tcp")

    # Narrow queries, with processes: what a filter saves when the backend is told early
    # (listening() drops non-listeners before the process walk; a predicate on the peer
    # port is process-free, so it runs before the walk too).
    def nsl_listening() -> object:
        return netstatlib.listening("tcp", processes=True)

    def nsl_dport22() -> object:
        return netstatlib.connections("tcp", where="dport = :22")

    queries = {
        "nsl_proc": nsl_proc,
        "nsl_noproc": nsl_noproc,
        "psutil": ps,
        "nsl_listening": nsl_listening,
        "nsl_dport22": nsl_dport22,
    }
    rows = {name: len(query()) for name, query in queries.items()}  # type: ignore[arg-type]
    timings = time_rounds(
        queries,
        repeat,
        budget,
        warmup=False,  # the row counts above were the warm-up calls
    )
    return {"rows": rows, "timings": timings}


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


def process(repeat: int, budget: Budget, python: str, env: dict[str, str]) -> dict[str, Any]:
    commands = {
        "nsl_noproc": [python, "-c", NSL_NOPROC],
        "nsl_proc": [python, "-c", NSL_PROC],
        "ss_tan": ["ss", "-tan"],
        "ss_tanp": ["ss", "-tanp"],
        "python_pass": [python, "-c", "pass"],
        "python_import": [python, "-c", "import netstatlib"],
    }

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
        {name: runner(argv) for name, argv in commands.items()}, repeat, budget, warmup=True
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


def memory() -> dict[str, Any]:
    import netstatlib

    netstatlib.connections("tcp", processes=False)  # warm every lazy cache first
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    table = netstatlib.connections("tcp", processes=False)
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
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--deadline", type=float, default=0.0, help="epoch seconds, 0 = none")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--pycache-prefix", default="", help="empty: environment unchanged")
    args = parser.parse_args()
    budget = Budget(args.deadline)
    env = child_env(args.pycache_prefix)
    import netstatlib

    result: dict[str, Any] = {
        "netstatlib_path": os.path.dirname(netstatlib.__file__),
        "netns_inode": os.stat("/proc/self/ns/net").st_ino,
        "rows_before": tcp_rows(),
        "started": time.time(),
    }
    # The whole-process commands must time the same package as the in-process calls.
    result["child_netstatlib_path"] = child_output(args.python, WHICH, env)
    if result["child_netstatlib_path"] != result["netstatlib_path"]:
        raise SystemExit(
            f"python -c imports netstatlib from {result['child_netstatlib_path']}, "
            f"this runner from {result['netstatlib_path']}"
        )
    result["inprocess"] = inprocess(args.repeat, budget)
    result["process"] = process(args.repeat, budget, args.python, env)
    result["rows_after"] = tcp_rows()
    result["finished"] = time.time()
    if args.memory:
        result["memory"] = memory()
    result["import_check"] = import_check(args.python, env)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
