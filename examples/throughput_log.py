"""Throughput log: TCP bytes per second of each process, as CSV, every few seconds.

What a small monitoring agent does with netstatlib.watch(): every INTERVAL seconds, one
CSV line per process whose TCP connections sent or received at least --min-rate bytes
per second since the last look: the time, the processes (a socket shared by a parent
and its children counts for all of them together), their name, how many connections,
and the bytes per second sent (and acknowledged by the peer) and received, from each
connection's tcp_info. Append it to a file, ship it, or open it in a spreadsheet.

It sees TCP only (the kernel counts bytes per TCP socket, not per UDP socket), and not
connections that opened and closed between two looks. A live Linux host only; run it
as root to see every user's processes::

    python examples/throughput_log.py                        # every 5 s, on stdout
    python examples/throughput_log.py --interval 1 --min-rate 100000 -o /var/log/tcp.csv

Ctrl-C ends it (exit status 0); a host that cannot be read is status 2.
"""

from __future__ import annotations

import argparse
import csv
import sys
from typing import TextIO

import netstatlib

COLUMNS = ["time", "pids", "process", "connections", "sent_bytes_per_s", "received_bytes_per_s"]


def log(output: TextIO, interval: float, min_rate: float, count: int | None) -> None:
    """Write the header, then the busy processes of each look, until ``count`` looks
    (``None``: until Ctrl-C)."""
    writer = csv.writer(output)
    writer.writerow(COLUMNS)
    output.flush()
    said: set[str] = set()
    samples = netstatlib.watch(
        interval, "connections", kind="tcp", processes=True, throughput=True, count=count
    )
    for sample in samples:
        for note in sample.snapshot.notes:  # owners that could not be read, once each
            if note not in said:
                said.add(note)
                print(f"throughput_log: incomplete: {note}", file=sys.stderr)
        when = sample.taken_at.isoformat(timespec="seconds")
        for busy in sample.rates.processes or ():
            if busy.tx_bytes + busy.rx_bytes < min_rate:
                continue
            pids = " ".join(str(pid) for pid in busy.pids or ())
            writer.writerow(
                [when, pids, busy.process or "", busy.connections,
                 round(busy.tx_bytes), round(busy.rx_bytes)]
            )  # fmt: skip
        output.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between two looks (default 5)"
    )
    parser.add_argument(
        "--min-rate",
        type=float,
        default=1.0,
        help="bytes per second, sent and received together, below which a process is "
        "left out (default 1: every process that moved a byte)",
    )
    parser.add_argument("--count", type=int, help="stop after this many looks")
    parser.add_argument("-o", "--output", help="append to this file instead of stdout")
    options = parser.parse_args()
    if options.interval <= 0:
        parser.error("--interval must be above 0")
    if options.count is not None and options.count < 1:
        parser.error("--count must be 1 or more")
    try:
        if options.output is None:
            log(sys.stdout, options.interval, options.min_rate, options.count)
        else:
            with open(options.output, "a", newline="", encoding="utf-8") as output:
                log(output, options.interval, options.min_rate, options.count)
    except KeyboardInterrupt:
        return 0
    except netstatlib.NetstatError as exc:
        print(f"throughput_log: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
