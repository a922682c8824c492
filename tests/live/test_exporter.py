"""The exporter, scraped by a real Prometheus server inside the lab's namespace.

``netstatlib exporter`` and Debian's ``prometheus`` both run inside the namespace (each
on that namespace's own loopback), started and stopped by PID here; Prometheus' HTTP API
is then asked for what it stored, and the answers are checked against ``ss``, ``ip`` and
``nstat`` in the same namespace. ``promtool check metrics`` lints the exposition.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from . import netns

pytestmark = pytest.mark.live

PROMETHEUS_PORT = 19090  # inside the lab's namespace: nothing else listens there

# Asks Prometheus (inside the namespace) for each PromQL query in argv[2:]: prints
# {query: [[labels, value], ...]}; argv[1] is "metadata" for the metadata API instead.
QUERY_CODE = """
import json, sys, urllib.parse, urllib.request
base = "http://127.0.0.1:%d/api/v1/" % int(sys.argv[1])
if sys.argv[2] == "metadata":
    with urllib.request.urlopen(base + "metadata", timeout=10) as answer:
        print(json.dumps(json.load(answer)["data"]))
    raise SystemExit
out = {}
for query in sys.argv[2:]:
    url = base + "query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=10) as answer:
        result = json.load(answer)["data"]["result"]
    out[query] = [[item["metric"], float(item["value"][1])] for item in result]
print(json.dumps(out))
"""

FETCH_CODE = """
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
    sys.stdout.write(answer.read().decode())
"""


def _prometheus() -> str:
    path = shutil.which("prometheus")
    if path is None:
        netns.skip_live("The exporter test needs Prometheus (Debian's prometheus package).")
    return path


def _query(ns: netns.Namespace, *queries: str) -> dict[str, list[Any]]:
    return ns.python(QUERY_CODE, str(PROMETHEUS_PORT), *queries)


def _values(answer: list[Any], label: str) -> dict[str, float]:
    return {metric[label]: value for metric, value in answer}


@pytest.fixture(scope="module")
def served(lab: netns.Lab, zoo: netns.Zoo) -> Any:
    """The exporter and Prometheus, both running inside the lab namespace; yields the
    exporter's URL once Prometheus has scraped it twice."""
    prometheus = _prometheus()
    pytest.importorskip("prometheus_client")
    # A folder of its own: pytest's temporary folders of a module-scoped fixture can be
    # pruned by other pytest runs on the same machine while Prometheus writes there.
    with tempfile.TemporaryDirectory(prefix="nsl-prometheus-") as name:
        yield from _serve(lab, prometheus, Path(name))


def _serve(lab: netns.Lab, prometheus: str, folder: Path) -> Any:
    lab.ns.python(netns.TRAFFIC_CODE)  # some UDP and ICMP for the counters to show
    exporter_args = lab.ns.exec_args(
        sys.executable, "-m", "netstatlib", "exporter", "--listen", "127.0.0.1:0"
    )
    errors = (folder / "exporter.log").open("w")
    with netns.spawned(exporter_args, stdout=subprocess.PIPE, stderr=errors, text=True) as exporter:
        assert exporter.stdout is not None
        line = exporter.stdout.readline()
        assert "serving http://127.0.0.1:" in line, (folder / "exporter.log").read_text()
        url = line.rsplit(" ", 1)[1].strip()
        target = url.removeprefix("http://").removesuffix("/metrics")
        config = folder / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: netstat\n"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        prometheus_args = lab.ns.exec_args(
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}",
        )
        log = (folder / "prometheus.log").open("w")
        with netns.spawned(prometheus_args, stdout=log, stderr=subprocess.STDOUT):
            deadline = time.monotonic() + 30
            while True:
                try:
                    found = _query(lab.ns, "count_over_time(up[1m])", "up")
                except AssertionError:  # Prometheus is not answering yet
                    found = {}
                if (
                    found.get("up")
                    and found["up"][0][1] == 1
                    and found["count_over_time(up[1m])"][0][1] >= 2
                ):
                    break
                if time.monotonic() > deadline:
                    log.flush()
                    targets = lab.ns.exec(
                        sys.executable,
                        "-c",
                        FETCH_CODE,
                        f"http://127.0.0.1:{PROMETHEUS_PORT}/api/v1/targets",
                    ).stdout
                    pytest.fail(
                        f"Prometheus never scraped the exporter: {found}\n{targets}\n"
                        f"{(folder / 'exporter.log').read_text()[-3000:]}\n"
                        f"{(folder / 'prometheus.log').read_text()[-2000:]}"
                    )
                time.sleep(0.5)
            yield url
        log.close()
    errors.close()


def test_prometheus_stores_what_ss_lists(lab: netns.Lab, zoo: netns.Zoo, served: str) -> None:
    answers = _query(
        lab.ns,
        'netstat_connections{state="LISTEN"}',
        'netstat_connections{protocol="udp"}',
        "netstat_tcp_syn_recv_sockets",
        "netstat_listening_sockets",
        "netstat_scrape_error",
        "netstat_scrape_duration_seconds",
    )
    rows = netns.ss(lab.ns)
    for family, name in ((4, "inet"), (6, "inet6")):
        listening = [
            row
            for row in rows
            if row.protocol.value == "tcp"
            and row.state is not None
            and row.state.name == "LISTEN"
            and int(row.family) == (2 if family == 4 else 10)
        ]
        stored = {
            m["family"]: v
            for m, v in answers['netstat_connections{state="LISTEN"}']
            if m["protocol"] == "tcp"
        }
        assert stored.get(name, 0) == len(listening), (name, stored, listening)
    udp = [row for row in rows if row.protocol.value == "udp"]
    assert sum(v for _, v in answers['netstat_connections{protocol="udp"}']) == len(udp)
    # The zoo's half-open connection, on its listener's port, and nothing else.
    port = zoo.sockets["syn_recv"]["local"][1]
    assert _values(answers["netstat_tcp_syn_recv_sockets"], "port") == {str(port): 1.0}
    # Every TCP listener ss lists is a series, with the zoo's process name.
    series = {
        (m["address"], m["port"]): m["process"] for m, _ in answers["netstat_listening_sockets"]
    }
    for row in rows:
        if row.protocol.value == "tcp" and row.state is not None and row.state.name == "LISTEN":
            assert (str(row.local.address), str(row.local.port)) in series
    listen_va = zoo.sockets["listen_va"]["local"]
    assert series[(listen_va[0], str(listen_va[1]))] == netns.comm(zoo.pid)
    assert _values(answers["netstat_scrape_error"], "part") == dict.fromkeys(
        ("connections", "listeners", "interfaces", "protocols"), 0.0
    )
    assert 0 < answers["netstat_scrape_duration_seconds"][0][1] < 10


def test_prometheus_stores_what_nstat_and_ip_show(
    lab: netns.Lab, served: str, tmp_path: Path
) -> None:
    before = netns.nstat(lab.ns, tmp_path / "history")
    answers = _query(
        lab.ns,
        "netstat_protocol_udp_no_ports_total",
        "netstat_protocol_icmp_in_msgs_total",
        "netstat_protocol_udp6_no_ports_total",
        "netstat_protocol_tcp_active_opens_total",
        "netstat_protocol_icmp_out_msgs_total",
        "netstat_interface_mtu_bytes",
        "netstat_interface_up",
    )
    after = netns.nstat(lab.ns, tmp_path / "history")
    # Counters nothing moves once the lab's traffic is sent: equal.
    for query, field in (
        ("netstat_protocol_udp_no_ports_total", "UdpNoPorts"),
        ("netstat_protocol_icmp_in_msgs_total", "IcmpInMsgs"),
        ("netstat_protocol_udp6_no_ports_total", "Udp6NoPorts"),
        ("netstat_protocol_icmp_out_msgs_total", "IcmpOutMsgs"),
    ):
        assert before[field] > 0
        assert answers[query][0][1] == before[field] == after[field], query
    # Scrapes open connections: this one moves, so it lies between the two readings.
    opens = answers["netstat_protocol_tcp_active_opens_total"][0][1]
    assert 0 < opens <= after["TcpActiveOpens"]
    links = {link["ifname"]: link for link in lab.ns.ip_json("link", "show")}
    assert _values(answers["netstat_interface_mtu_bytes"], "device") == {
        name: float(link["mtu"]) for name, link in links.items()
    }
    assert _values(answers["netstat_interface_up"], "device") == {
        # Up and with carrier (psutil's isup): vx-é is up, but its peer is down.
        name: float("UP" in link["flags"] and "NO-CARRIER" not in link["flags"])
        for name, link in links.items()
    }
    # The types Prometheus recorded: counters are counters, gauges gauges.
    metadata = lab.ns.python(QUERY_CODE, str(PROMETHEUS_PORT), "metadata")
    assert metadata["netstat_protocol_tcp_active_opens"][0]["type"] == "counter"
    assert metadata["netstat_protocol_tcp_curr_estab"][0]["type"] == "gauge"
    assert metadata["netstat_interface_receive_bytes"][0]["type"] == "counter"
    assert metadata["netstat_connections"][0]["type"] == "gauge"


def test_promtool_finds_the_exposition_clean(lab: netns.Lab, served: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None, "the prometheus package ships promtool"
    text = lab.ns.exec(sys.executable, "-c", FETCH_CODE, served).stdout
    assert "netstat_connections{" in text and "netstat_protocol_tcp_active_opens_total" in text
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # And a linter that can fail: a camelCase metric is reported.
    bad = "# HELP netstat_badName x\n# TYPE netstat_badName gauge\nnetstat_badName 1\n"
    result = subprocess.run(
        [promtool, "check", "metrics"], input=bad, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0


# Inside the namespace: the OpenTelemetry SDK with an in-memory reader and, on the same
# provider, OpenTelemetry's Prometheus exporter, served over HTTP and scraped once.
OTEL_CODE = """
import json, urllib.request
from prometheus_client import CollectorRegistry, start_http_server
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from netstatlib.exporters.otel import register

registry = CollectorRegistry(auto_describe=True)
memory = InMemoryMetricReader()
provider = MeterProvider(metric_readers=[memory, PrometheusMetricReader(registry=registry)])
register(provider)
points = {}
for resource in memory.get_metrics_data().resource_metrics:
    for scope in resource.scope_metrics:
        for metric in scope.metrics:
            points[metric.name] = [[dict(p.attributes), p.value] for p in metric.data.data_points]
server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
url = "http://127.0.0.1:%d/metrics" % server.server_port
with urllib.request.urlopen(url, timeout=10) as answer:
    text = answer.read().decode()
server.shutdown()
print(json.dumps({"points": points, "text": text}))
"""


def test_opentelemetry_instruments_match_ss_and_nstat(
    lab: netns.Lab, zoo: netns.Zoo, tmp_path: Path
) -> None:
    pytest.importorskip("opentelemetry.sdk.metrics")
    pytest.importorskip("opentelemetry.exporter.prometheus")
    lab.ns.python(netns.TRAFFIC_CODE)
    before = netns.nstat(lab.ns, tmp_path / "history")
    found = lab.ns.python(OTEL_CODE)
    points, text = found["points"], found["text"]
    rows = netns.ss(lab.ns)
    listening = {
        version: sum(
            1
            for row in rows
            if row.protocol.value == "tcp"
            and row.state is not None
            and row.state.name == "LISTEN"
            and int(row.family) == family
        )
        for version, family in (("ipv4", 2), ("ipv6", 10))
    }
    stored = {
        attributes["network.type"]: value
        for attributes, value in points["system.network.connection.count"]
        if attributes["network.transport"] == "tcp"
        and attributes.get("network.connection.state") == "listen"
    }
    assert stored == {version: n for version, n in listening.items() if n}
    port = zoo.sockets["syn_recv"]["local"][1]
    assert points["netstat.tcp.syn_recv.sockets"] == [[{"network.local.port": port}, 1]]
    assert points["netstat.protocol.udp.no_ports"] == [[{}, before["UdpNoPorts"]]]
    assert points["netstat.protocol.tcp.curr_estab"][0][1] >= 0
    links = {link["ifname"]: link for link in lab.ns.ip_json("link", "show")}
    io = {
        (a["network.interface.name"], a["network.io.direction"])
        for a, _ in points["system.network.io"]
    }
    assert io == {(name, d) for name in links for d in ("receive", "transmit")}
    # The same instruments through OpenTelemetry's Prometheus exporter, scraped.
    scraped = {
        line.split("{")[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("netstat_protocol_udp_no_ports_total{")
    }
    assert scraped == {"netstat_protocol_udp_no_ports_total": before["UdpNoPorts"]}
    assert f'netstat_tcp_syn_recv_sockets{{network_local_port="{port}"' in text
    assert "# TYPE netstat_protocol_tcp_curr_estab gauge" in text
    assert "# TYPE system_network_io_bytes_total counter" in text
    assert 'system_network_connection_count{network_connection_state="listen"' in text


def test_pid_serves_another_namespace(lab: netns.Lab, zoo: netns.Zoo) -> None:
    # The exporter runs here, outside the lab, and reads the lab through the zoo's pid.
    pytest.importorskip("prometheus_client")
    from prometheus_client.parser import text_string_to_metric_families

    args = [sys.executable, "-m", "netstatlib", "exporter", "--listen", "127.0.0.1:0"]
    with netns.spawned(
        [*args, "--pid", str(zoo.pid)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as exporter:
        assert exporter.stdout is not None
        url = exporter.stdout.readline().rsplit(" ", 1)[1].strip()
        text = subprocess.run(
            [sys.executable, "-c", FETCH_CODE, url], capture_output=True, text=True, timeout=30
        ).stdout
    families = {family.name: family for family in text_string_to_metric_families(text)}
    port = zoo.sockets["syn_recv"]["local"][1]
    half_open = {
        s.labels["port"]: s.value for s in families["netstat_tcp_syn_recv_sockets"].samples
    }
    assert half_open == {str(port): 1.0}
    rows = netns.ss(lab.ns)
    listening = sum(
        1
        for row in rows
        if row.protocol.value == "tcp" and row.state is not None and row.state.name == "LISTEN"
    )
    served = sum(
        s.value
        for s in families["netstat_connections"].samples
        if s.labels["protocol"] == "tcp" and s.labels["state"] == "LISTEN"
    )
    assert served == listening
    devices = {s.labels["device"] for s in families["netstat_interface_receive_bytes"].samples}
    assert devices == {link["ifname"] for link in lab.ns.ip_json("link", "show")}
