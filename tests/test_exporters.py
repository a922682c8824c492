"""The exporters on captured /proc text: what a scrape gathers, its caps, the types of
its metrics, shared collections, and the exporter command's configuration errors."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import netstatlib
from netstatlib.backends import LinuxProcfs, MemorySource
from netstatlib.exporters import Collection, ExporterOptions, SharedCollection, collect

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client import CollectorRegistry, generate_latest  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from netstatlib.exporters.prometheus import (  # noqa: E402
    NetstatCollector,
    protocol_metric_name,
    snake_case,
)

FIXTURE = Path(__file__).parent / "fixtures" / "linux" / "sockets"
HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
)


def _row(index: int, local_port: int, remote: str, remote_port: int, state: str) -> str:
    inode = 0 if state == "03" else 1000 + index
    return (
        f"   {index}: 0100007F:{local_port:04X} {remote}:{remote_port:04X} {state} "
        f"00000000:00000000 00:00000000 00000000     0        0 {inode} 1 0000000000000000 "
        "100 0 0 10 0\n"
    )


def _backend(tcp: str) -> LinuxProcfs:
    files = {f"net/{name}": (FIXTURE / name).read_bytes() for name in ("dev", "snmp", "netstat")}
    files["net/tcp"] = tcp.encode()
    for name in ("tcp6", "udp", "udp6", "raw", "raw6", "udplite", "udplite6"):
        files[f"net/{name}"] = (FIXTURE / name).read_bytes().splitlines(keepends=True)[0]
    files["net/snmp6"] = (FIXTURE / "snmp6").read_bytes()
    return LinuxProcfs(source=MemorySource(files), sys_class_net=None)


def _metrics(options: ExporterOptions) -> dict[str, object]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NetstatCollector(options))
    text = generate_latest(registry).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


# 30 listeners on ports 2000-2029; half-open connections: 5 on port 2000, 3 on 2001,
# 1 on each of 2002-2009.
LISTENERS = [_row(i, 2000 + i, "00000000", 0, "0A") for i in range(30)]
HALF_OPEN = [
    _row(100 + i, port, "0200000A", 40000 + i, "03")
    for i, port in enumerate([2000] * 5 + [2001] * 3 + list(range(2002, 2010)))
]
ESTABLISHED = [_row(200, 2000, "0300000A", 50000, "01")]
TCP = HEADER + "".join(LISTENERS + HALF_OPEN + ESTABLISHED)


def test_connections_are_counted_by_protocol_family_and_state() -> None:
    found = collect(ExporterOptions(backend=_backend(TCP)))
    assert found.errors == {}
    assert found.connections == {
        ("tcp", "inet", "LISTEN"): 30,
        ("tcp", "inet", "SYN_RECV"): 16,
        ("tcp", "inet", "ESTABLISHED"): 1,
    }
    assert found.tcp_info is None  # text of /proc cannot give tcp_info


def test_listeners_and_half_open_ports_are_capped_and_the_rest_counted() -> None:
    options = ExporterOptions(backend=_backend(TCP), max_listeners=10, max_syn_ports=2)
    found = collect(options)
    assert [item.port for item in found.listeners] == list(range(2000, 2010))
    assert found.listeners_omitted == 20
    assert found.syn_recv == ((2000, 5), (2001, 3))  # the ports with the most first
    assert found.syn_recv_ports_omitted == 8
    metrics = _metrics(options)
    assert len(metrics["netstat_listening_sockets"].samples) == 10
    assert metrics["netstat_listening_sockets_omitted"].samples[0].value == 20
    assert {s.labels["port"]: s.value for s in metrics["netstat_tcp_syn_recv_sockets"].samples} == {
        "2000": 5,
        "2001": 3,
    }
    assert metrics["netstat_tcp_syn_recv_ports_omitted"].samples[0].value == 8


def test_protocol_counters_carry_their_kind_and_the_default_allowlist() -> None:
    metrics = _metrics(ExporterOptions(backend=_backend(TCP)))
    snmp = {p.group: p for p in netstatlib.protocol_stats(backend=_backend(TCP))}
    assert metrics["netstat_protocol_tcp_active_opens"].type == "counter"
    assert (
        metrics["netstat_protocol_tcp_active_opens"].samples[0].value
        == snmp["Tcp"].counters["ActiveOpens"]
    )
    assert metrics["netstat_protocol_tcp_curr_estab"].type == "gauge"
    assert metrics["netstat_protocol_tcp_ext_listen_drops"].type == "counter"
    # Not in node_exporter's default list: left out unless asked for.
    assert "netstat_protocol_tcp_ext_tcp_hp_hits" not in metrics
    assert "netstat_protocol_ip_in_receives" not in metrics
    every = _metrics(ExporterOptions(backend=_backend(TCP), protocol_fields="^Ip_"))
    assert "netstat_protocol_ip_in_receives" in every
    assert every["netstat_protocol_ip_default_ttl"].type == "gauge"
    assert not any(name.startswith("netstat_protocol_tcp") for name in every)


def test_interface_counters_follow_the_records() -> None:
    metrics = _metrics(ExporterOptions(backend=_backend(TCP)))
    stats = {s.name: s for s in netstatlib.interface_stats(backend=_backend(TCP))}
    received = metrics["netstat_interface_receive_bytes"]
    assert received.type == "counter"
    assert {s.labels["device"]: s.value for s in received.samples} == {
        name: s.rx_bytes for name, s in stats.items()
    }
    drops = metrics["netstat_interface_transmit_drops"]
    assert {s.labels["device"]: s.value for s in drops.samples} == {
        name: s.tx_dropped for name, s in stats.items()
    }
    # sys_class_net=None: no MTU or state is known, and none is made up.
    assert metrics["netstat_interface_mtu_bytes"].samples == []


def test_a_failing_part_is_reported_and_the_others_still_answer() -> None:
    whole = _backend(TCP).source
    files = {
        f"net/{name}": whole.read(f"net/{name}") or b"" for name in ("tcp", "tcp6", "udp", "udp6")
    }
    backend = LinuxProcfs(source=MemorySource(files), sys_class_net=None)  # no dev, snmp
    found = collect(ExporterOptions(backend=backend))
    assert found.connections[("tcp", "inet", "LISTEN")] == 30
    assert set(found.errors) == {"interfaces", "protocols"}
    assert "net/dev" in found.errors["interfaces"]
    metrics = _metrics(ExporterOptions(backend=backend))
    assert {s.labels["part"]: s.value for s in metrics["netstat_scrape_error"].samples} == {
        "connections": 0,
        "listeners": 0,
        "interfaces": 1,
        "protocols": 1,
    }


def test_overlapping_calls_share_one_collection() -> None:
    started, release = threading.Event(), threading.Event()
    made: list[Collection] = []

    def gather() -> Collection:
        started.set()
        release.wait(10)
        made.append(collect(ExporterOptions(backend=_backend(TCP))))
        return made[-1]

    shared = SharedCollection(gather=gather)
    results: list[Collection] = []
    first = threading.Thread(target=lambda: results.append(shared()))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: results.append(shared()))
    second.start()
    while shared.waiting == 0 and second.is_alive():
        second.join(0.01)
    release.set()
    first.join(10)
    second.join(10)
    assert len(made) == 1 and shared.collections == 1
    assert results == [made[0], made[0]]
    shared()  # no longer overlapping: a collection of its own
    assert len(made) == 2


def test_snake_case_names() -> None:
    assert snake_case("TCPSynRetrans") == "tcp_syn_retrans"
    assert snake_case("InCsumErrors") == "in_csum_errors"
    assert snake_case("TCPOFOQueue") == "tcpofo_queue"
    assert protocol_metric_name("Icmp6", "InMsgs") == "netstat_protocol_icmp6_in_msgs"
    # Every counter of the fixture gets its own name.
    stats = netstatlib.protocol_stats(backend=_backend(TCP))
    names = [protocol_metric_name(p.group, name) for p in stats for name in p.counters]
    assert len(names) == len(set(names)) > 300


def test_import_netstatlib_loads_no_exporter_dependency() -> None:
    code = (
        "import sys, netstatlib, netstatlib.exporters\n"
        "print(sorted(m for m in sys.modules if m.startswith(('prometheus_client', "
        "'opentelemetry'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _exporter(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netstatlib", "exporter", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--protocol-fields", "Tcp_(Active"], 1, "not a valid regular expression"),
        (["--protocol-fields", "^Nothing_Here$"], 1, "matches none of the protocol counters"),
        (["--pid", "999999999"], 1, "no process 999999999"),
        (["--listen", "localhost"], 2, "--listen takes HOST:PORT"),
        (["--max-listeners", "-1"], 2, "--max-listeners takes a whole number"),
        (["--frobnicate"], 2, "unknown option --frobnicate"),
    ],
)
def test_bad_configuration_is_one_line_and_a_failing_status(
    args: list[str], status: int, message: str
) -> None:
    result = _exporter(*args)
    assert result.returncode == status
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("netstatlib: exporter: ")
    assert message in lines[0]


def test_a_port_in_use_is_one_line_and_a_failing_status() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _exporter("--listen", f"127.0.0.1:{port}")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"netstatlib: exporter: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_help() -> None:
    result = _exporter("--help")
    assert result.returncode == 0 and "--listen HOST:PORT" in result.stdout


def test_the_alert_rules_fire_as_the_docs_say() -> None:
    # promtool (Debian's prometheus package, which CI installs) evaluates the example
    # rules on made-up series: each alert fires when, and only when, the test expects.
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("The alert rule tests need promtool, from the prometheus package.")
    rules = Path(__file__).parent.parent / "examples" / "prometheus-alerts.yml"
    result = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tests = Path(__file__).parent / "fixtures" / "prometheus" / "alerts_test.yml"
    result = subprocess.run(
        [promtool, "test", "rules", str(tests)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_dashboard_asks_for_exported_metrics() -> None:
    dashboard = json.loads(
        (Path(__file__).parent.parent / "examples" / "grafana-dashboard.json").read_text()
    )
    exported = set(_metrics(ExporterOptions(backend=_backend(TCP))))
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert exprs
    for expr in exprs:
        names = set(re.findall(r"\bnetstat_[a-z0-9_]+", expr))
        # A counter's samples are name_total; its family is the name without it.
        assert {name.removesuffix("_total") for name in names} <= exported, expr
