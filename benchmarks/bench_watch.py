"""What ``netstatlib.watch()`` costs: CPU time of the watching process at a 1-second
interval on a host with 10k sockets.

Run as root::

    python benchmarks/bench_watch.py [--sockets 10000] [--samples 30] [--interval 1.0]
                                     [--json out.json]

It builds a fresh network namespace with ``--sockets`` ESTABLISHED TCP rows (the
``established-N`` scenario of ``bench_connections.py``: its ``Namespace`` and
``Scenario``, sockets made by ``ns_worker.py``), then runs, inside the namespace (``ip
netns exec``, so the default backend reads it live), one process per variant that
takes ``--samples`` samples of ``watch()`` and reports the CPU time (user + system,
``getrusage``) it spent from the first sample to the last, against the wall time:

* ``connections+counters``: ``watch(interval, ("connections", "interfaces",
  "protocols"))`` (no owners, no ``tcp_info``). Target: at most 5% of one core;
* ``owners+throughput``: the same with ``processes=True, throughput=True``. Target: at
  most 10% of one core.

The namespace and the workers are removed in ``finally`` blocks (Ctrl-C and SIGTERM
too). The owner lookup walks every process of the host, whatever the namespace: the
host's process and fd counts are reported with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_connections import (  # noqa: E402
    Interrupted,
    Namespace,
    Scenario,
    _on_sigterm,
    count_rows,
    host_processes,
    machine,
)

VARIANTS = {
    "connections+counters": {"processes": False, "throughput": False, "target": 5.0},
    "owners+throughput": {"processes": True, "throughput": True, "target": 10.0},
}

# Runs inside the namespace: SAMPLES INTERVAL PROCESSES THROUGHPUT; prints one JSON line.
MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    import netstatlib

    samples, interval = int(sys.argv[1]), float(sys.argv[2])
    processes, throughput = sys.argv[3] == "1", sys.argv[4] == "1"

    def cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    watching = netstatlib.watch(
        interval, ("connections", "interfaces", "protocols"),
        processes=processes, throughput=throughput,
    )
    first = next(watching)  # start counting once the first interval is done
    cpu_start, wall_start = cpu(), time.monotonic()
    rows, missed, per_sample = len(first.snapshot.connections), first.missed, []
    for sample in watching:
        per_sample.append(cpu())
        missed += sample.missed
        if len(per_sample) == samples:
            break
    cpu_used, wall = cpu() - cpu_start, time.monotonic() - wall_start
    print(json.dumps({
        "rows": rows, "samples": len(per_sample), "missed": missed,
        "cpu_seconds": cpu_used, "wall_seconds": wall,
        "cpu_percent": 100 * cpu_used / wall,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "processes_measured": (
            len(sample.rates.processes) if sample.rates.processes is not None else None
        ),
    }))
    """
)


def measure(ns: Namespace, args: argparse.Namespace, variant: dict[str, Any]) -> dict[str, Any]:
    argv = ns.exec_argv(
        args.python, "-c", MEASURE, str(args.samples), str(args.interval),
        "1" if variant["processes"] else "0", "1" if variant["throughput"] else "0",
    )  # fmt: skip
    result = subprocess.run(argv, check=True, text=True, capture_output=True)
    found: dict[str, Any] = json.loads(result.stdout)
    found["target_percent"] = variant["target"]
    found["pass"] = found["cpu_percent"] <= variant["target"]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=10000, help="ESTABLISHED rows (even)")
    parser.add_argument("--samples", type=int, default=30, help="samples per variant")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--python", default=sys.executable, help="interpreter to measure")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: it creates network namespaces")
    if args.sockets < 10 or args.sockets % 2:
        parser.error("--sockets must be an even number, at least 10")
    signal.signal(signal.SIGTERM, _on_sigterm)
    scenario = Scenario("established", args.sockets)
    ns = Namespace(f"nslbench-{os.getpid()}-watch", args.python)
    results: dict[str, Any] = {"machine": machine(), "interval": args.interval}
    try:
        ns.create()
        ns.start_workers(scenario)
        results["rows"] = count_rows(ns.workers[0].pid)
        results["host"] = host_processes()
        for name, variant in VARIANTS.items():
            results[name] = measure(ns, args, variant)
            found = results[name]
            mark = "PASS" if found["pass"] else "MISS"
            print(
                f"{name:22} {found['cpu_percent']:5.2f}% of one core "
                f"({found['cpu_seconds']:.2f} s CPU over {found['wall_seconds']:.1f} s, "
                f"{found['samples']} samples, {found['rows']} rows, {found['missed']} missed, "
                f"max RSS {found['max_rss_kib'] / 1024:.0f} MiB)  "
                f"target <= {variant['target']:.0f}%  {mark}",
                flush=True,
            )
    except (KeyboardInterrupt, Interrupted):
        print("interrupted: cleaning up", file=sys.stderr)
        return 130
    finally:
        ns.close()
    print(f"machine: {json.dumps(results['machine'])}")
    print(f"host: {results['host']}, rows in the namespace: {results['rows']}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(results[name]["pass"] for name in VARIANTS) else 1


if __name__ == "__main__":
    sys.exit(main())
