"""watch() and the monitoring commands (watch, top, snapshot, diff, -s/-e with an
interval) in namespaces the tests build.

The actor of ``test_monitoring`` makes the sockets; between two samples the test
changes what it wants and checks the sample's events to the socket. The commands run
for real (``python -m netstatlib`` inside the namespace); the counter changes of ``-s``
with an interval are checked against ``nstat`` read at the same moments.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import netstatlib
from netstatlib import TcpState
from netstatlib.backends import LinuxProcfs

from . import netns
from .test_monitoring import REPO, TRAFFIC, actor, shape, tcp_rows, wait_for

pytestmark = pytest.mark.live

EST = TcpState.ESTABLISHED
ENVIRONMENT = {**os.environ, "PYTHONPATH": str(REPO)}


def command(ns: netns.Namespace, *args: str, **kwargs: Any) -> subprocess.CompletedProcess:
    return netns.run(
        ns.exec_args(sys.executable, "-m", "netstatlib", *args), check=False, env=ENVIRONMENT,
        **kwargs,
    )  # fmt: skip


# -- watch() -------------------------------------------------------------------------------


def test_watch_reports_what_happened_between_two_samples_exactly() -> None:
    """Between two samples: a listener added, a pair opened, a pair reset (gone without
    TIME_WAIT). The second sample says exactly that, with the owners; the first, with
    nothing done, nothing."""
    with netns.namespace("watchev") as ns, actor(ns) as a:
        backend = LinuxProcfs(pid=a.pid)
        server = a.ask("listen server 127.0.0.1 0")["port"]
        c1 = a.ask(f"connect c1 127.0.0.1 {server}")["port"]
        a.ask("accept s1 server")
        samples = netstatlib.watch(0.2, "connections", kind="tcp", processes=True, backend=backend)
        quiet = next(samples)
        assert not quiet.diff and quiet.diff.compared == ("connections",)
        added = a.ask("listen added 0.0.0.0 0")["port"]
        c2 = a.ask(f"connect c2 127.0.0.1 {server}")["port"]
        a.ask("accept s2 server")
        a.ask("reset c1")
        a.ask("close s1")
        wait_for(
            lambda: not {(c1, server), (server, c1)} & {shape(r)[:2] for r in tcp_rows(backend)},
            "the reset pair is gone",
        )
        sample = next(samples)
        samples.close()
    changes = sample.diff
    assert [(shape(r), r.pids) for r in changes.listeners_added] == [
        ((added, None, TcpState.LISTEN), (a.pid,))
    ]
    assert sorted(map(shape, changes.opened)) == sorted([(c2, server, EST), (server, c2, EST)])
    assert sorted(map(shape, changes.closed)) == sorted([(c1, server, EST), (server, c1, EST)])
    assert changes.state_changed == () and not changes.listeners_removed
    assert changes.owners_changed == ()
    assert [event for event, _ in changes.events()] == [
        "listener_added", "opened", "opened", "closed", "closed"
    ]  # fmt: skip
    assert sample.interval > 0 and sample.rates.interfaces is None
    assert sample.snapshot.processes and not sample.snapshot.details


def test_watch_throughput_is_per_process_and_per_connection() -> None:
    """One process sends a known number of bytes to another between two samples and
    waits until all of it is acknowledged: the sample gives the sender that many bytes
    sent, the receiver that many received, over the sockets' own interval."""
    size = 2_000_000
    with netns.namespace("watchtp") as ns, actor(ns) as receiver, actor(ns) as sender:
        port = receiver.ask("listen server 127.0.0.1 0")["port"]
        sender.ask(f"connect client 127.0.0.1 {port}")
        receiver.ask("accept conn server")
        samples = netstatlib.watch(
            0.5, "connections", kind="tcp", processes=True, throughput=True,
            backend=LinuxProcfs(pid=sender.pid),
        )  # fmt: skip
        next(samples)
        receiver.tell(f"recv conn {size}")
        sender.ask(f"send client {size} 10 0.2")
        receiver.reply()
        sample = next(samples)
        samples.close()
    found = sample.rates
    assert found.processes is not None and found.connections is not None
    by_pid = {row.pids: row for row in found.processes}
    assert set(by_pid) == {(sender.pid,), (receiver.pid,)}
    assert by_pid[(sender.pid,)].tx_bytes * found.interval == pytest.approx(size, rel=1e-9)
    assert by_pid[(receiver.pid,)].rx_bytes * found.interval == pytest.approx(size, rel=1e-9)
    assert by_pid[(sender.pid,)].rx_bytes == by_pid[(receiver.pid,)].tx_bytes == 0
    assert found.processes[0].pids in {(sender.pid,), (receiver.pid,)}  # the busiest first


def test_a_stop_event_ends_watch_at_once_and_leaves_no_thread() -> None:
    with netns.namespace("watchstop") as ns, actor(ns) as a:
        backend = LinuxProcfs(pid=a.pid)
        before = set(threading.enumerate())
        stop = threading.Event()
        got: list[netstatlib.Sample] = []
        finished = threading.Event()

        def run() -> None:
            for sample in netstatlib.watch(0.05, stop=stop, backend=backend):
                got.append(sample)
            finished.set()

        runner = threading.Thread(target=run)
        runner.start()
        wait_for(lambda: len(got) >= 2, "two samples")
        stop.set()
        runner.join(timeout=10)
        assert finished.is_set() and not runner.is_alive()
        # A long interval: setting the event ends the wait, not the interval's end.
        stop_long = threading.Event()
        samples = netstatlib.watch(3600, "interfaces", stop=stop_long, backend=backend)
        threading.Timer(0.2, stop_long.set).start()
        assert list(samples) == []
        # Leaving the loop: the generator is done, nothing is left running.
        for count, _ in enumerate(netstatlib.watch(0.05, kind="tcp", backend=backend)):
            if count == 2:
                break
        wait_for(lambda: set(threading.enumerate()) <= before, "no thread left")


# -- the commands --------------------------------------------------------------------------


def test_snapshot_then_diff_exits_1_for_a_new_listener_and_0_without(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    with netns.namespace("watchdiff") as ns, actor(ns) as a:
        a.ask("listen web 127.0.0.1 0")
        saved = command(ns, "snapshot", str(baseline))
        assert saved.returncode == 0 and saved.stderr == ""
        assert saved.stdout.startswith("saved a snapshot of 1 connections")
        assert oct(baseline.stat().st_mode & 0o777) == "0o600"
        same = command(ns, "diff", str(baseline))
        assert (same.returncode, same.stdout, same.stderr) == (0, "", "")
        port = a.ask("listen new 0.0.0.0 0")["port"]
        changed = command(ns, "diff", str(baseline))
        assert changed.returncode == 1 and changed.stderr == ""
        assert "New listeners (1):" in changed.stdout
        assert f"0.0.0.0:{port}" in changed.stdout and f"{a.pid}/python" in changed.stdout
        as_json = command(ns, "diff", str(baseline), "--json")
    assert as_json.returncode == 1
    (item,) = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert item["event"] == "listener_added"
    assert item["record"]["local"]["port"] == port and item["record"]["pids"] == [a.pid]


def test_diff_of_two_files_and_bad_files(tmp_path: Path) -> None:
    """Two saved snapshots compare without the host; a missing file, a FIFO, a file that
    is not a snapshot and a hostile one are each one line and status 2."""
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    with netns.namespace("watchfiles") as ns, actor(ns) as a:
        assert command(ns, "snapshot", str(first), "--kind", "tcp").returncode == 0
        port = a.ask("listen new 127.0.0.1 0")["port"]
        assert command(ns, "snapshot", str(second), "--kind", "tcp").returncode == 0
    env = ENVIRONMENT
    run = [sys.executable, "-m", "netstatlib", "diff"]
    result = netns.run([*run, str(first), str(second)], check=False, env=env)
    assert result.returncode == 1 and f"127.0.0.1:{port}" in result.stdout
    back = netns.run([*run, str(second), str(first)], check=False, env=env)
    assert back.returncode == 0 and "Listeners removed (1):" in back.stdout
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    hostile = tmp_path / "hostile.json"
    hostile.write_text('{"format": "netstatlib-snapshot", "version": 1, "host": "\\u001b[2J"}')
    for bad, message in [
        (tmp_path / "missing.json", "does not exist"),
        (fifo, "not a regular file"),
        (REPO / "README.md", "not"),
        (hostile, "not a valid snapshot"),
    ]:
        result = netns.run([*run, str(bad)], check=False, env=env)
        assert result.returncode == 2, (bad, result.stderr)
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("netstatlib: diff: ") and message in result.stderr
        assert "Traceback" not in result.stderr and "\x1b" not in result.stderr


def _lines(process: subprocess.Popen, until: Any, timeout: float = 20.0) -> list[str]:
    """Lines of ``process`` until ``until(lines)`` is true (asked again every 0.2 s
    while nothing comes)."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while not until(lines):
        if time.monotonic() > deadline:
            raise AssertionError(f"never printed what was expected; printed: {lines}")
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"exited with {process.wait()}; printed: {lines}")
            lines.append(line)
    return lines


def test_watch_json_lines_carry_the_events(tmp_path: Path) -> None:
    """Listeners are opened one after the other until watch reports one (its first
    look may come after the first ones); then that listener is closed. Every line is a
    JSON object with the time, the event and the record."""
    with netns.namespace("watchjson") as ns, actor(ns) as a:
        argv = ns.exec_args(sys.executable, "-m", "netstatlib", "watch", "0.1", "--json",
                            "--program", "--kind", "tcp")  # fmt: skip
        with netns.spawned(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=ENVIRONMENT) as process:  # fmt: skip
            ports: list[int] = []

            def reported(lines: list[str]) -> bool:
                if any('"listener_added"' in line for line in lines):
                    return True
                ports.append(a.ask(f"listen l{len(ports)} 127.0.0.1 0")["port"])
                return False

            lines = _lines(process, reported)
            items = [json.loads(line) for line in lines]
            seen = items[0]["record"]["local"]["port"]
            index = ports.index(seen)
            a.ask(f"close l{index}")
            items += [json.loads(line) for line in _lines(process, bool)]
    assert [item["event"] for item in items] == ["listener_added", "listener_removed"]
    for item in items:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", item["time"])
        assert item["record"]["local"] == {"address": "127.0.0.1", "port": seen, "zone": None}
        assert item["record"]["protocol"] == "tcp" and item["record"]["pids"] == [a.pid]
    assert items[0]["record"]["state"] == "LISTEN"


def test_top_shows_the_process_that_sends() -> None:
    with netns.namespace("watchtop") as ns, actor(ns) as receiver, actor(ns) as sender:
        port = receiver.ask("listen server 127.0.0.1 0")["port"]
        sender.ask(f"connect client 127.0.0.1 {port}")
        receiver.ask("accept conn server")
        argv = ns.exec_args(sys.executable, "-m", "netstatlib", "top", "0.3", "--count", "8")
        with netns.spawned(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=ENVIRONMENT) as process:  # fmt: skip
            receiver.tell("recv conn 200000000")
            sender.ask("send client 200000000 50 2.0")
            receiver.reply()
            out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and err == ""
    # Not a terminal: each refresh after the last, headed by its time; no escape codes.
    assert out.startswith("\n") and "\x1b" not in out
    refreshes = out.strip("\n").split("\n\n")
    assert len(refreshes) == 8
    assert all(
        re.match(r"\d{4}-\d\d-\d\dT\S+  TCP throughput by process", r) for r in refreshes[1:]
    )
    busy = [r for r in refreshes if f"{sender.pid}/python" in r and "MiB/s" in r]
    assert busy, out
    rows = busy[0].splitlines()[2:4]
    assert {row.split()[0] for row in rows} == {f"{sender.pid}/python", f"{receiver.pid}/python"}


def test_the_throughput_log_example_writes_the_busy_processes_as_csv() -> None:
    """examples/throughput_log.py inside a namespace while 200 MB cross a connection:
    CSV lines for the sender (sent) and the receiver (received), idle ones left out."""
    script = REPO / "examples" / "throughput_log.py"
    with (
        netns.namespace("watchlog") as ns,
        actor(ns) as receiver,
        actor(ns) as sender,
        actor(ns) as idle,
    ):
        port = receiver.ask("listen server 127.0.0.1 0")["port"]
        sender.ask(f"connect client 127.0.0.1 {port}")
        receiver.ask("accept conn server")
        idle.ask(f"connect quiet 127.0.0.1 {port}")  # connected, never sends
        receiver.ask("accept other server")
        argv = ns.exec_args(sys.executable, str(script), "--interval", "0.3", "--count", "8",
                            "--min-rate", "1000")  # fmt: skip
        with netns.spawned(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=ENVIRONMENT) as process:  # fmt: skip
            receiver.tell("recv conn 200000000")
            sender.ask("send client 200000000 50 2.0")
            receiver.reply()
            out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and err == "", err
    lines = out.splitlines()
    assert lines[0] == "time,pids,process,connections,sent_bytes_per_s,received_bytes_per_s"
    rows = [line.split(",") for line in lines[1:]]
    assert rows and all(len(row) == 6 for row in rows)
    pids = {row[1] for row in rows}
    assert str(idle.pid) not in pids
    sent = [int(row[4]) for row in rows if row[1] == str(sender.pid)]
    received = [int(row[5]) for row in rows if row[1] == str(receiver.pid)]
    assert sent and max(sent) > 10_000_000, out  # 200 MB in about 2 s
    assert received and max(received) > 10_000_000, out
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", row[0]) for row in rows)


# -- -s with an interval against nstat ----------------------------------------------------

# Runs in the namespace: the command with two displays, the traffic between them (the
# command's sleep), nstat's history taken just before and its changes read just after.
COUNTERS = """
import json, os, subprocess, sys, io, contextlib
from netstatlib.cli import main
history = {"NSTAT_HISTORY": sys.argv[1], **os.environ}
traffic = sys.argv[2]
subprocess.run(["nstat", "-n"], env=history, check=True)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(["-sz", "0.5"], iterations=2, sleep=lambda s: exec(traffic, {}))
theirs = subprocess.run(["nstat", "-s", "-z", "--json"], env=history, check=True,
                        capture_output=True, text=True).stdout
print(json.dumps({"status": status, "out": out.getvalue(), "nstat": json.loads(theirs)}))
"""


def _changes_shown(block: str) -> tuple[dict[str, int], set[str]]:
    counters: dict[str, int] = {}
    gauges: set[str] = set()
    group = ""
    for line in block.splitlines():
        title = re.fullmatch(r"\S.* \((\w+)\)", line)
        if title:
            group = title.group(1)
            continue
        match = re.fullmatch(r"  (\w+)\s+(-?\d+)\s+(\S+/s|\(now\))", line)
        if match:
            name, value, rate = match.groups()
            if rate == "(now)":
                gauges.add(group + name)
            else:
                counters[group + name] = int(value)
    return counters, gauges


def test_s_with_an_interval_shows_the_changes_nstat_shows(tmp_path: Path) -> None:
    with netns.namespace("watchnstat") as ns:
        result = ns.python(COUNTERS, str(tmp_path / "history"), TRAFFIC.replace('print("{}")', ""))
    assert result["status"] == 0
    stamp = r"\n\d{4}-\d\d-\d\dT\S+\n"
    first, second = re.split(stamp, result["out"])[1:]
    assert "Changes over" in second and "Changes over" not in first
    ours, gauges = _changes_shown(second)
    theirs: dict[str, int] = result["nstat"]["kernel"]
    assert ours["TcpActiveOpens"] == 1 and ours["IcmpMsgOutType3"] == 3  # the traffic
    assert {key: theirs[key] for key in ours} == ours
    assert set(theirs) - set(ours) - gauges <= {"MPTcpExtMPCurrEstab"}
    assert {"TcpCurrEstab", "TcpMaxConn"} <= gauges


# Runs in the namespace: -e --json with two displays, the traffic between them,
# bracketed by lo's counters read from /sys (nothing else happens there).
INTERFACES = """
import contextlib, io, json, sys
from netstatlib.cli import main

def counters():
    return {name: int(open(f"/sys/class/net/lo/statistics/{name}").read())
            for name in ("rx_bytes", "rx_packets", "tx_bytes", "tx_packets")}

counted = {}

def traffic(seconds):
    before = counters()
    exec(sys.argv[1], {})
    after = counters()
    counted.update({name: after[name] - before[name] for name in before})

out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(["-e", "--json", "0.5"], iterations=2, sleep=traffic)
print(json.dumps({"status": status, "out": out.getvalue(), "counted": counted}))
"""


def test_e_with_an_interval_shows_the_rates_of_the_interfaces() -> None:
    """With --json, the second display is the InterfaceRate records and the interval:
    lo's rates over it are the traffic's bytes and packets, as /sys counted them."""
    with netns.namespace("watchifstat") as ns:
        result = ns.python(INTERFACES, TRAFFIC.replace('print("{}")', ""))
    assert result["status"] == 0
    decoder = json.JSONDecoder()
    first, end = decoder.raw_decode(result["out"])
    second, _ = decoder.raw_decode(result["out"], end + 1)
    assert list(first) == ["time", "records"] and list(second) == ["time", "interval", "records"]
    counted = result["counted"]
    (lo,) = [row for row in second["records"] if row["name"] == "lo"]
    for name, value in counted.items():
        assert lo[name] * second["interval"] == pytest.approx(value, rel=1e-9), name
    assert counted["tx_packets"] > 0 and lo["rx_errors"] == lo["tx_dropped"] == 0
