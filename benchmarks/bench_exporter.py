"""Benchmark one Prometheus scrape of netstatlib's exporter on 1k..100k live sockets.

Run as root (needs prometheus_client)::

    python benchmarks/bench_exporter.py [--sizes 100000] [--repeat 3] [--json out.json]

Each size builds the ``established-N`` scenario of ``bench_connections.py`` (its
``Namespace`` and ``Scenario``, sockets made by ``ns_worker.py``: N ESTABLISHED rows and
one listener) and reads that namespace from here through a worker's pid
(``LinuxProcfs(pid=P)``), as ``netstatlib exporter --pid P`` does. It times, median of
``--repeat`` runs:

* ``scrape``: a whole scrape, ``generate_latest()`` of a registry holding the collector
  with its defaults (``tcp_info`` sums, listener owners, node_exporter's counters);
* ``scrape_no_tcp_info``: the same with ``tcp_info=False``;
* ``count_one_dump``: the connection counts from one query of every state, counted here
  (what the collector does);
* ``count_per_state``: the same counts from one query per state (the kernel filters by
  state, each dump carries only its rows), for comparison.

The namespace and the workers are removed in ``finally`` (also on Ctrl-C and SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_connections import Interrupted, Namespace, Scenario, _on_sigterm  # noqa: E402

import netstatlib  # noqa: E402
from netstatlib import F, TcpState  # noqa: E402
from netstatlib.backends import LinuxProcfs  # noqa: E402
from netstatlib.exporters import ExporterOptions  # noqa: E402


def _timed(call: Callable[[], object], repeat: int) -> dict[str, object]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return {"median": statistics.median(samples), "samples": samples}


def measure(pid: int, repeat: int) -> dict[str, object]:
    from prometheus_client import CollectorRegistry, generate_latest

    from netstatlib.exporters.prometheus import NetstatCollector

    def scrape(**settings: object) -> Callable[[], bytes]:
        backend = LinuxProcfs(pid=pid)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(NetstatCollector(ExporterOptions(backend=backend, **settings)))  # type: ignore[arg-type]
        return lambda: generate_latest(registry)

    backend = LinuxProcfs(pid=pid)

    def one_dump() -> Counter[str]:
        rows = netstatlib.connections("inet", processes=False, backend=backend)
        return Counter(row.state.name if row.state else "NONE" for row in rows)

    def per_state() -> Counter[str]:
        counts: Counter[str] = Counter()
        for state in TcpState:
            if state in (TcpState.UNKNOWN, TcpState.BOUND, TcpState.DELETE_TCB):
                continue  # not kernel states of a socket table
            rows = netstatlib.connections(
                "inet", processes=False, where=F.state == state.name, backend=backend
            )
            counts[state.name] += len(rows)
        return counts

    assert +one_dump() == +per_state(), "the two ways of counting disagree"
    exposition = scrape()()
    return {
        "exposition_bytes": len(exposition),
        "scrape": _timed(scrape(), repeat),
        "scrape_no_tcp_info": _timed(scrape(tcp_info=False), repeat),
        "count_one_dump": _timed(one_dump, repeat),
        "count_per_state": _timed(per_state, repeat),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="ESTABLISHED rows, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root: the benchmark creates network namespaces", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    results: dict[str, object] = {}
    try:
        for size in (int(text) for text in args.sizes.split(",")):
            scenario = Scenario("established", size)
            namespace = Namespace(f"nslbench-{os.getpid()}-export-{size}", sys.executable)
            try:
                namespace.create()
                print(f"[{size}] building ...", file=sys.stderr, flush=True)
                namespace.start_workers(scenario)
                result = measure(namespace.workers[0].pid, args.repeat)
            finally:
                namespace.close()
            results[scenario.label] = result
            print(
                f"{scenario.label}: scrape {result['scrape']['median']:.3f} s "  # type: ignore[index]
                f"(without tcp_info {result['scrape_no_tcp_info']['median']:.3f} s), "  # type: ignore[index]
                f"{result['exposition_bytes']} bytes; counts: one dump "
                f"{result['count_one_dump']['median']:.3f} s, one dump per state "  # type: ignore[index]
                f"{result['count_per_state']['median']:.3f} s"  # type: ignore[index]
            )
    except (KeyboardInterrupt, Interrupted):
        print("interrupted", file=sys.stderr)
        return 130
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
