"""Time the /proc/net/route and /proc/net/ipv6_route parsers on large generated tables,
in two checkouts, rounds interleaved.

Run (no root needed: nothing live is read)::

    python benchmarks/bench_routes.py OLD_CHECKOUT [NEW_CHECKOUT] [--routes 200000]
                                      [--rounds 7]

The tables are generated once, with a fixed seed, in the shape the kernel prints them
(``fib_route_seq_show()``: host-endian ``%08X`` addresses, padded lines;
``ipv6_route_native_seq_show()``): random destinations with prefix lengths 8 to 32
(IPv6: 16 to 128), a third of them on-link, the others through one of eight gateways.
Every round runs one fresh process per checkout that parses each file once after a
warm-up parse and prints the wall time; the order of the two flips every round. The
medians and the ratio new/old are printed (below 1: the new checkout is faster), after
checking that both checkouts return the same routes.

NEW_CHECKOUT defaults to the checkout this script is in.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

ROUND = r"""
import hashlib, json, os, sys, time
from netstatlib.parsers import procfs
texts = {name: open(path).read() for name, path in json.loads(sys.argv[1]).items()}
parsers = {"route": procfs.parse_route, "ipv6_route": procfs.parse_ipv6_route}
times, digests = {}, {}
for name, text in texts.items():
    parsed = parsers[name](text)  # warm-up, and the result to compare
    digests[name] = hashlib.sha256(repr(parsed).encode()).hexdigest()
    started = time.perf_counter()
    parsers[name](text)
    times[name] = time.perf_counter() - started
print(json.dumps({"times": times, "digests": digests, "rows": len(parsed),
                  "path": os.path.dirname(procfs.__file__)}))
"""


def route_table(count: int, rng: random.Random) -> str:
    """``/proc/net/route`` of a little-endian host with ``count`` routes."""

    def kernel(value: int) -> str:
        return f"{int.from_bytes(value.to_bytes(4, 'big'), 'little'):08X}"

    gateways = [rng.getrandbits(32) for _ in range(8)]
    lines = ["Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"]
    for index in range(count):
        prefix = rng.randint(8, 32)
        mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
        gateway = rng.choice(gateways) if index % 3 else 0
        flags = 0x0003 if gateway else 0x0001
        lines.append(
            f"eth{index % 4}\t{kernel(rng.getrandbits(32) & mask)}\t{kernel(gateway)}\t"
            f"{flags:04X}\t0\t0\t{index % 100}\t{kernel(mask)}\t0\t0\t0".ljust(127)
        )
    return "\n".join(lines) + "\n"


def ipv6_route_table(count: int, rng: random.Random) -> str:
    """``/proc/net/ipv6_route`` with ``count`` routes."""
    gateways = [rng.getrandbits(128) for _ in range(8)]
    lines = []
    for index in range(count):
        prefix = rng.randint(16, 128)
        mask = ((1 << 128) - 1) ^ ((1 << (128 - prefix)) - 1)
        gateway = rng.choice(gateways) if index % 3 else 0
        lines.append(
            f"{rng.getrandbits(128) & mask:032x} {prefix:02x} {0:032x} 00 {gateway:032x} "
            f"{index % 1024:08x} 00000001 00000000 {3 if gateway else 1:08x} {'eth0':>8}"
        )
    return "\n".join(lines) + "\n"


def one_round(checkout: Path, files: dict[str, str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    argv = [sys.executable, "-c", ROUND, json.dumps(files)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, cwd="/")
    result: dict = json.loads(done.stdout)
    if Path(result["path"]).resolve() != (checkout / "netstatlib" / "parsers").resolve():
        raise RuntimeError(f"imported {result['path']}, not the checkout {checkout}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="the checkout to compare with")
    parser.add_argument("new", type=Path, nargs="?", default=HERE.parent)
    parser.add_argument("--routes", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(12)
    samples: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    digests: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="nslroutes-") as folder:
        files = {
            "route": str(Path(folder, "route")),
            "ipv6_route": str(Path(folder, "ipv6_route")),
        }
        Path(files["route"]).write_text(route_table(args.routes, rng))
        Path(files["ipv6_route"]).write_text(ipv6_route_table(args.routes, rng))
        for index in range(args.rounds):
            order = [("old", args.old), ("new", args.new)]
            for which, checkout in order if index % 2 == 0 else order[::-1]:
                result = one_round(checkout, files)
                digests[which] = result["digests"]
                for name, seconds in result["times"].items():
                    samples[which].setdefault(name, []).append(seconds)
    if digests["old"] != digests["new"]:
        print(f"the checkouts return different routes: {digests}", file=sys.stderr)
        return 1
    print(f"{args.routes} routes per table, median of {args.rounds} rounds")
    print(f"{'file':<12} {'old':>9} {'new':>9} {'new/old':>8} {'new per route':>14}")
    for name in samples["old"]:
        old = statistics.median(samples["old"][name])
        new = statistics.median(samples["new"][name])
        per_route = new / args.routes * 1e6
        print(f"{name:<12} {old:>8.2f}s {new:>8.2f}s {new / old:>8.2f} {per_route:>11.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
