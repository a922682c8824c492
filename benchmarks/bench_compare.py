"""Compare two checkouts of netstatlib on the same live sockets, rounds interleaved.

Run as root::

    python benchmarks/bench_compare.py OLD_CHECKOUT [NEW_CHECKOUT] [--sizes 100000]
                                       [--rounds 7] [--json out.json]

A change to netstatlib should not make it slower, and on a shared virtual machine two
benchmark runs minutes apart differ by more than most changes do. So this script builds
each scenario once (the namespaces and workers of ``bench_connections.py``) and then
alternates between the two checkouts: every round runs one fresh process per checkout,
inside the namespace, with ``PYTHONPATH`` pointing at that checkout, and each process
times every query once after a warm-up call. The order of the two processes flips every
round. Medians and the ratio new/old are printed per query; a ratio below 1 means the new
checkout is faster.

NEW_CHECKOUT defaults to the checkout this script is in.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_connections import Namespace, Scenario, count_rows  # noqa: E402

# Timed in one process per checkout and round: the same calls as bench_connections.py's
# in-process measurements, each once after a warm-up call of all of them.
ROUND = r"""
import gc, json, os, sys, time
import netstatlib
queries = {
    "connections('tcp', processes=True)": lambda: netstatlib.connections("tcp"),
    "connections('tcp', processes=False)": lambda: netstatlib.connections("tcp", processes=False),
    "connections('tcp', processes=False, details=True)":
        lambda: netstatlib.connections("tcp", processes=False, details=True),
    "listening('tcp')": lambda: netstatlib.listening("tcp"),
    "connections('tcp', where='dport = :22')":
        lambda: netstatlib.connections("tcp", where="dport = :22"),
}
rows = {name: len(query()) for name, query in queries.items()}
times = {}
for name, query in queries.items():
    gc.collect()
    started = time.perf_counter()
    query()
    times[name] = time.perf_counter() - started
print(json.dumps({"times": times, "rows": rows, "path": os.path.dirname(netstatlib.__file__)}))
"""


def one_round(namespace: Namespace, checkout: Path, pycache: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONPYCACHEPREFIX=pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a pip-installed package: bytecode cached
    argv = namespace.exec_argv(namespace.python, "-c", ROUND)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, cwd="/")
    result: dict[str, Any] = json.loads(done.stdout)
    if Path(result["path"]).resolve() != (checkout / "netstatlib").resolve():
        raise RuntimeError(f"imported {result['path']}, not the checkout {checkout}")
    return result


def compare(scenario: Scenario, old: Path, new: Path, rounds: int) -> dict[str, Any]:
    namespace = Namespace(f"nslcmp-{os.getpid()}-{scenario.label}", sys.executable)
    samples: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    rows: dict[str, Any] = {}
    try:
        namespace.create()
        namespace.start_workers(scenario)
        pid = namespace.workers[0].pid
        built = count_rows(pid)["total"]
        print(f"[{scenario.label}] {built} rows; {rounds} rounds", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="nslcmp-pyc-") as pycache:
            for which, checkout in (("old", old), ("new", new)):  # fill the bytecode cache
                one_round(namespace, checkout, f"{pycache}/{which}")
            for index in range(rounds):
                order = [("old", old), ("new", new)]
                for which, checkout in order if index % 2 == 0 else order[::-1]:
                    result = one_round(namespace, checkout, f"{pycache}/{which}")
                    rows[which] = result["rows"]
                    for name, seconds in result["times"].items():
                        samples[which].setdefault(name, []).append(seconds)
        if rows["old"] != rows["new"]:
            raise RuntimeError(f"the checkouts disagree on the rows: {rows}")
        return {
            "scenario": scenario.label,
            "rows": built,
            "queries": {
                name: {
                    "old": statistics.median(samples["old"][name]),
                    "new": statistics.median(samples["new"][name]),
                    "samples": {which: samples[which][name] for which in samples},
                }
                for name in samples["old"]
            },
        }
    finally:
        namespace.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="the checkout to compare with")
    parser.add_argument("new", type=Path, nargs="?", default=HERE.parent)
    parser.add_argument("--sizes", default="100000", help="ESTABLISHED rows per scenario")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write every sample here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("root is needed to create network namespaces")
    results = []
    for size in (int(text) for text in args.sizes.split(",")):
        results.append(compare(Scenario("established", size), args.old, args.new, args.rounds))
    print(f"| query | rows | old ({args.old}) | new ({args.new}) | new/old |")
    print("|---|---|---|---|---|")
    for result in results:
        for name, figures in result["queries"].items():
            old_ms, new_ms = figures["old"] * 1000, figures["new"] * 1000
            print(
                f"| `{name}` | {result['rows']} | {old_ms:.1f} ms | {new_ms:.1f} ms | "
                f"{new_ms / old_ms:.2f} |"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
