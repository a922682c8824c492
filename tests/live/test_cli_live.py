"""The ``netstatlib`` command run inside a namespace full of known sockets (the socket
zoo), for each use of netstat the issue names: its output checked against the library's
records read in the same namespace, against ``ss``, ``ip`` and ``nstat``, and against
what the zoo says it made (pids, odd process names, odd UNIX paths).

The command runs as ``ip netns exec NS python -m netstatlib ...`` with this checkout on
``PYTHONPATH`` (an older netstatlib may be installed in site-packages). Sockets that
come and go on their own (TIME_WAIT and SYN_RECV entries expire) are handled by reading
the library before and after the command: the command's rows must lie between the two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import netaddr
import pytest

import netstatlib
from netstatlib import Connection, Protocol
from netstatlib.backends import LinuxProcfs
from netstatlib.cli._sockets import _STATE_WORDS, _foreign_text

from . import netns

pytestmark = pytest.mark.live

REPOSITORY = Path(__file__).resolve().parents[2]
STATES = {*_STATE_WORDS.values(), "ESTABLISHED", "SYN_SENT", "TIME_WAIT", "CLOSE_WAIT",
          "LAST_ACK", "CLOSING"}  # fmt: skip


def cli(lab: netns.Lab, *args: str) -> subprocess.CompletedProcess:
    """``netstatlib ARGS`` inside the lab's namespace, from this checkout."""
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return lab.ns.exec(sys.executable, "-m", "netstatlib", *args, env=env, check=False)


def ok(lab: netns.Lab, *args: str) -> str:
    result = cli(lab, *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return str(result.stdout)


def rows_of(text: str, *, pid: bool = False, program: bool = False) -> list[dict[str, Any]]:
    """The socket rows of the command's output (``-b``'s program may hold spaces)."""
    rows = []
    for line in text.splitlines():
        words = line.split()
        if not line.startswith("  ") or not words or words[0] not in ("TCP", "UDP", "RAW"):
            continue
        row: dict[str, Any] = {"proto": words[0], "local": words[1], "foreign": words[2]}
        rest = words[3:]
        row["state"] = rest.pop(0) if rest and rest[0] in STATES else ""
        if pid:
            row["pid"] = rest.pop(0)
        if program:
            row["program"] = " ".join(rest)
        rows.append(row)
    return rows


def key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["proto"], row["local"], row["foreign"], row["state"])


def record_key(record: Connection) -> tuple[str, str, str, str]:
    """A library record as the command prints it (numeric)."""
    from netstatlib.cli._sockets import _protocol_text, _state_text

    local = str(record.local)
    return (_protocol_text(record), local, _foreign_text(record), _state_text(record))


@pytest.fixture(scope="module")
def backend(zoo: netns.Zoo) -> LinuxProcfs:
    """The zoo's namespace, read from outside through its pid."""
    return LinuxProcfs(pid=zoo.pid)


def between(
    lab: netns.Lab,
    args: Iterable[str],
    read: Callable[[], Iterable[Connection]],
    parse: Callable[[str], list[dict[str, Any]]] = rows_of,
) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]], set[tuple[str, ...]], str]:
    """The command's rows and the library's before and after it, as printed keys."""
    before = {record_key(row) for row in read()}
    out = ok(lab, *args)
    after = {record_key(row) for row in read()}
    shown = {key(row) for row in parse(out)}
    return shown, before, after, out


def assert_between(shown: set[Any], before: set[Any], after: set[Any]) -> None:
    assert before & after <= shown, f"missing: {(before & after) - shown}"
    assert shown <= before | after, f"not in the library: {shown - (before | after)}"


def connected(records: Iterable[Connection]) -> list[Connection]:
    return [row for row in records if row.remote is not None]


# -- sockets -------------------------------------------------------------------------------


def test_no_flag_lists_active_tcp_connections(lab: netns.Lab, backend: LinuxProcfs) -> None:
    """``netstat``: TCP connections that have a peer, names looked up (none resolves in
    the lab but localhost: the DNS server is unreachable, which the deadline bounds)."""
    out = ok(lab)
    rows = rows_of(out)
    assert out.startswith("\nActive Connections\n\n  Proto  Local Address")
    assert rows and {row["proto"] for row in rows} == {"TCP"}
    assert "LISTENING" not in {row["state"] for row in rows}
    expected = connected(netstatlib.connections("tcp", backend=backend, processes=False))
    # TIME_WAIT or SYN_RECV entries may expire meanwhile: a few rows fewer at most.
    assert len(expected) - 2 <= len(rows) <= len(expected)
    # Only 127.0.0.1 and ::1 have names here (localhost, from /etc/hosts).
    for row in rows:
        host = row["local"].rsplit(":", 1)[0]
        assert host in ("localhost", "ip6-localhost", "ip6-loopback") or host[0] in "[0123456789"


def test_n_lists_the_library_active_connections_and_ss_established(
    lab: netns.Lab, backend: LinuxProcfs
) -> None:
    def read() -> list[Connection]:
        return connected(netstatlib.connections("tcp", backend=backend, processes=False))

    shown, before, after, _ = between(lab, ["-n"], read)
    assert_between(shown, before, after)
    for ss_row in netns.ss(lab.ns):
        if ss_row.protocol is Protocol.TCP and ss_row.ss_state == "ESTAB":
            assert ("TCP", str(ss_row.local), str(ss_row.remote), "ESTABLISHED") in shown


def test_a_adds_every_listener_and_udp_socket(
    lab: netns.Lab, backend: LinuxProcfs, zoo: netns.Zoo
) -> None:
    shown, before, after, out = between(
        lab, ["-an"], lambda: netstatlib.connections("inet", backend=backend, processes=False)
    )
    assert_between(shown, before, after)
    for ss_row in netns.ss(lab.ns):
        if ss_row.protocol is Protocol.TCP and ss_row.ss_state == "LISTEN":
            assert ss_row.local is not None
            v6 = ss_row.local.address.version == 6
            foreign = "[::]:0" if v6 else "0.0.0.0:0"
            assert ("TCP", str(ss_row.local), foreign, "LISTENING") in shown
        if ss_row.protocol is Protocol.UDP and ss_row.ss_state == "UNCONN":
            assert ("UDP", str(ss_row.local), "*:*", "") in shown
    udp4 = zoo.sockets["udp4"]["local"]
    assert f"  UDP    {udp4[0]}:{udp4[1]} " in out
    # -a without -n: the same rows, names looked up.
    named = rows_of(ok(lab, "-a"))
    assert len(before & after) <= len(named) <= len(before | after)
    assert {row["state"] for row in named} <= {row[3] for row in before | after}


@pytest.mark.parametrize(
    ("protocol", "kind"), [("tcp", "tcp"), ("tcpv4", "tcp4"), ("tcpv6", "tcp6")]
)
def test_p_tcp_is_the_library_kind(
    protocol: str, kind: str, lab: netns.Lab, backend: LinuxProcfs
) -> None:
    rows = rows_of(ok(lab, "-n", "-p", protocol))
    assert rows and {row["proto"] for row in rows} == {"TCP"}
    versions = {6 if row["local"].startswith("[") else 4 for row in rows}
    assert versions == {"tcp": {4, 6}, "tcp4": {4}, "tcp6": {6}}[kind]
    expected = connected(netstatlib.connections(kind, backend=backend, processes=False))
    assert len(expected) - 2 <= len(rows) <= len(expected)


def test_anp_tcp_finds_every_tcp_listener_ipv6_included(
    lab: netns.Lab, backend: LinuxProcfs
) -> None:
    """The main use of ``netstat -anp tcp``, finding every listener: unlike Windows'
    (IPv4 only), it lists the IPv6 ones too; tcpv4 and tcpv6 pick one version."""
    shown, before, after, _ = between(
        lab,
        ["-anp", "tcp"],
        lambda: netstatlib.connections("tcp", backend=backend, processes=False),
    )
    assert_between(shown, before, after)
    listeners = {row[1] for row in shown if row[3] == "LISTENING"}
    for ss_row in netns.ss(lab.ns):
        if ss_row.protocol is Protocol.TCP and ss_row.ss_state == "LISTEN":
            assert str(ss_row.local) in listeners
    assert any(local.startswith("[") for local in listeners)
    assert any(not local.startswith("[") for local in listeners)
    for protocol, kind, v6 in (("tcpv4", "tcp4", False), ("TCPv6", "tcp6", True)):
        shown, before, after, _ = between(
            lab,
            ["-anp", protocol],
            lambda kind=kind: netstatlib.connections(kind, backend=backend, processes=False),
        )
        assert_between(shown, before, after)
        assert shown and all(row[1].startswith("[") == v6 for row in shown)


def test_o_shows_the_zoo_pids(lab: netns.Lab, zoo: netns.Zoo) -> None:
    rows = rows_of(ok(lab, "-ano"), pid=True)

    def at(name: str) -> dict[str, Any]:
        """The row of a zoo listener or unconnected socket (its local address is unique
        among those: accepted connections share a listener's local address)."""
        info = zoo.sockets[name]
        host, port = info["local"]
        local = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        state = "LISTENING" if info["state"] == "LISTEN" else ""
        (found,) = [row for row in rows if (row["local"], row["state"]) == (local, state)]
        return found

    assert at("listen4")["pid"] == str(zoo.pid)
    sharers = sorted([zoo.pid, zoo.children["sharer"]])
    assert at("shared_listener")["pid"] == ",".join(map(str, sharers))
    assert at("odd_name")["pid"] == str(zoo.children["odd"])
    time_wait = zoo.sockets["time_wait"]
    tw_local = f"{time_wait['local'][0]}:{time_wait['local'][1]}"
    tw = [row for row in rows if row["local"] == tw_local and row["state"] == "TIME_WAIT"]
    assert all(row["pid"] == "-" for row in tw)  # owned by no process
    # The seed's form, -o alone: connected sockets with their pids.
    plain = rows_of(ok(lab, "-o"), pid=True)
    assert str(zoo.pid) in {row["pid"] for row in plain}
    assert "LISTENING" not in {row["state"] for row in plain}


def test_b_shows_the_names_escaped(lab: netns.Lab, zoo: netns.Zoo) -> None:
    out = ok(lab, "-anob")
    assert all(char.isprintable() for line in out.splitlines() for char in line)
    rows = rows_of(out, pid=True, program=True)
    by_pid = {row["pid"]: row for row in rows}
    assert by_pid[str(zoo.children["odd"])]["program"] == "my (odd) name"
    # comm "nl\nname-\xff": the newline and the byte that is not UTF-8 are shown
    # escaped, on the row's own line.
    named = by_pid[str(zoo.children["named"])]
    assert named["program"] == "nl\\nname-\\udcff"
    assert named["state"] == "LISTENING"
    assert not any(line.startswith("name-") for line in out.splitlines())
    assert by_pid[str(zoo.pid)]["program"] == netns.comm(zoo.pid)
    # The seed's form, -b alone: the program column, no PID column.
    plain = ok(lab, "-b")
    assert plain.splitlines()[3].split()[-1] == "Program" and " PID" not in plain
    assert netns.comm(zoo.pid) in plain


def test_unix_paths_are_escaped(lab: netns.Lab, zoo: netns.Zoo) -> None:
    out = ok(lab, "-a", "--unix", "-n")
    assert "\nActive UNIX domain sockets\n" in out
    assert all(char.isprintable() for line in out.splitlines() for char in line)
    folder = str(zoo.folder)
    assert f"{folder}/new\\nline sock" in out
    assert f"{folder}/not-utf8-\\udcff" in out
    assert f"{folder}/zoo listener sock" in out
    listener = next(line for line in out.splitlines() if "zoo listener sock" in line)
    inode = zoo.sockets["unix_listener"]["inode"]
    assert listener.split()[:4] == ["UNIX", "STREAM", "LISTENING", str(inode)]


def test_json_is_the_library_records(lab: netns.Lab, backend: LinuxProcfs) -> None:
    def read() -> list[str]:
        table = netstatlib.connections("inet", backend=backend, processes=True)
        return [json.dumps(item, sort_keys=True) for item in table.to_dicts(plain=True)]

    before = set(read())
    out = ok(lab, "-ao", "--json")
    after = set(read())
    documents = json.loads(out)
    shown = {json.dumps(item, sort_keys=True) for item in documents}
    assert len(shown) == len(documents)
    assert_between(shown, before, after)
    routes = json.loads(ok(lab, "-r", "--json"))
    assert routes == netstatlib.routes(backend=backend).to_dicts(plain=True)


def test_info_shows_what_ss_i_shows(lab: netns.Lab, backend: LinuxProcfs) -> None:
    out = ok(lab, "-tan", "--info")
    header = next(line for line in out.splitlines() if "Proto" in line)
    assert header.split()[-1] == "Info"
    established = [line for line in out.splitlines() if " ESTABLISHED " in line]
    assert established and all(" rtt:" in line and " cwnd:" in line for line in established)
    listeners = [line for line in out.splitlines() if " LISTENING " in line]
    assert listeners and all(" backlog:" in line for line in listeners)
    unix = ok(lab, "-xa", "--info")
    pairs = [line.split() for line in unix.splitlines() if " CONNECTED " in line]
    inodes = {words[3]: words[4] for words in pairs}
    # Each connected socket's peer is listed with it as its own peer.
    assert any(inodes.get(peer) == inode for inode, peer in inodes.items())
    records = json.loads(ok(lab, "-tan", "--info", "--json"))
    assert all(record["cookie"] for record in records)
    assert any(record["details"]["tcp_info"] for record in records)


def test_the_tcp_health_example_lists_established_connections(lab: netns.Lab) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    example = REPOSITORY / "examples" / "tcp_health.py"
    result = lab.ns.exec(sys.executable, str(example), "--top", "3", "--by", "rtt", env=env)
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["local", "remote", "rtt"]
    assert len(lines) == 4  # the zoo has more than three established connections
    rtts = [float(line.split()[2]) for line in lines[1:]]
    assert rtts == sorted(rtts, reverse=True)


# -- routes, interface and protocol statistics ---------------------------------------------


def test_r_prints_the_routing_table(lab: netns.Lab, backend: LinuxProcfs) -> None:
    out = ok(lab, "-rn")
    v4_text, v6_text = out.split("\nIPv6 Route Table\n")
    v4 = [line.split() for line in v4_text.splitlines()[4:]]
    v6 = [line.split() for line in v6_text.splitlines()[2:]]
    records = netstatlib.routes(backend=backend)
    assert len(v4) == len(netstatlib.routes(family="inet", backend=backend))
    assert len(v6) == len(netstatlib.routes(family="inet6", backend=backend))
    for wanted in (
        ["0.0.0.0", netns.VB_V4, "0.0.0.0", "UG", "50", "va"],
        ["10.70.0.0", "0.0.0.0", "255.255.0.0", "U", "0", "va"],
        ["10.71.0.0", netns.VB_V4, "255.255.0.0", "UG", "300", "va"],
        ["10.72.0.5", netns.VB_V4, "255.255.255.255", "UGH", "0", "va"],
    ):
        assert wanted in v4, wanted
    for wanted in (
        ["fd00:71::/64", netns.VB_V6, "UG", "300", "va"],
        ["fd00:72::5/128", netns.VB_V6, "UG", "1024", "va"],  # IPv6 sets no RTF_HOST
    ):
        assert wanted in v6, (wanted, v6)
    # Cross-check with ip: every IPv4 prefix of the main table that /proc lists.
    listed = {str(route.destination) for route in records}
    for route in lab.ns.ip_json("-4", "route", "show", "table", "main"):
        prefix = route["dst"] if route["dst"] != "default" else "0.0.0.0/0"
        prefix = prefix if "/" in prefix else f"{prefix}/32"
        if prefix in listed:
            network = prefix.split("/")[0]
            assert any(line[0] == network for line in v4), prefix


def test_r_without_n_says_default_as_netstat(lab: netns.Lab, backend: LinuxProcfs) -> None:
    """``netstat -r`` without ``-n``: the default routes' destination is ``default`` and
    an address (a gateway, a host route) is its name where reverse DNS has one (in the
    lab, DNS is out of reach: the lookups' deadline bounds the wait); the rest is -rn."""
    named, numeric = ok(lab, "-r"), ok(lab, "-rn")
    named_lines, numeric_lines = named.splitlines(), numeric.splitlines()
    assert len(named_lines) == len(numeric_lines)
    defaults = 0
    for line, number in zip(named_lines, numeric_lines, strict=True):
        if line == number:
            continue
        words, numbers = line.split(), number.split()
        if words[0] == "default":
            assert numbers[0] in ("0.0.0.0", "::/0")
            defaults += 1
        for word, text in zip(words, numbers, strict=True):
            if word != text and word != "default":
                netaddr.IPNetwork(text)  # only an address gives way to a name
                assert not netaddr.valid_ipv4(word) and not netaddr.valid_ipv6(word)
    routes = netstatlib.routes(backend=backend)
    assert defaults == sum(route.destination.prefixlen == 0 for route in routes) > 0


def test_e_prints_interface_statistics(lab: netns.Lab) -> None:
    out = ok(lab, "-e")
    assert out.startswith("\nInterface Statistics\n\n                           Received")
    table = out.split("\nPer-interface Statistics\n\n")[1].splitlines()
    assert table[0].split() == ["Iface", "MTU", "RX-Bytes", "RX-OK", "RX-ERR", "RX-DRP",
                                "TX-Bytes", "TX-OK", "TX-ERR", "TX-DRP"]  # fmt: skip
    lines = {line.split()[0]: line.split() for line in table[1:]}
    links = {link["ifname"]: link for link in lab.ns.ip_json("link", "show")}
    for name in links:
        assert name in lines or name.encode("ascii", "backslashreplace").decode() in lines
    assert lines["va"][1] == "1400"
    assert lines["lo"][1] == "65536"
    # Counters move (the zoo's unanswered SYNs are retransmitted); bytes never go down.
    stats = {link["ifname"]: link["stats64"] for link in lab.ns.ip_json("-s", "link", "show")}
    assert int(lines["va"][2]) <= stats["va"]["rx"]["bytes"]
    bytes_line = next(line for line in out.splitlines() if line.startswith("Bytes"))
    assert int(bytes_line.split()[1]) >= int(lines["va"][2])


def test_s_prints_protocol_statistics(lab: netns.Lab, backend: LinuxProcfs, tmp_path: Path) -> None:
    out = ok(lab, "-s")
    for group in netstatlib.protocol_stats(backend=backend):
        assert f"({group.group})\n" in out, group.group
    tcp = ok(lab, "-s", "-p", "tcp")
    titles = [line for line in tcp.splitlines() if line.endswith(")")]
    assert titles == ["TCP Statistics for IPv4 and IPv6 (Tcp)", "TCP Extended Statistics (TcpExt)"]
    counters = {
        line.split()[0]: int(line.split()[-1]) for line in tcp.splitlines() if " = " in line
    }
    # Counters that stay still while the zoo runs (it opens nothing after its start; its
    # unanswered SYNs move the segment counters only).
    theirs = netns.nstat(lab.ns, tmp_path / "history")
    assert counters["ActiveOpens"] == theirs["TcpActiveOpens"]
    assert counters["PassiveOpens"] == theirs["TcpPassiveOpens"]
    # CurrEstab, which nstat does not print, counts ESTABLISHED and CLOSE_WAIT sockets.
    current = [row for row in netns.ss(lab.ns) if row.protocol is Protocol.TCP]
    assert counters["CurrEstab"] == sum(row.ss_state in ("ESTAB", "CLOSE-WAIT") for row in current)
    icmp = ok(lab, "-s", "-p", "icmp")
    groups = {row.group for row in netstatlib.protocol_stats(backend=backend)}
    # The kernel prints IcmpMsg only once some ICMP message has been counted.
    assert [line for line in icmp.splitlines() if line.endswith(")")] == [
        title
        for title, group in (
            ("ICMPv4 Statistics (Icmp)", "Icmp"),
            ("ICMPv4 Statistics by Message Type (IcmpMsg)", "IcmpMsg"),
        )
        if group in groups
    ]
    both = ok(lab, "-es")
    assert both.index("Interface Statistics") < both.index("(Ip)")


def _shown_counters(text: str) -> dict[str, int]:
    """``-s`` output under nstat's names: the group (from a block's title) glued to the
    counter (``TcpActiveOpens``)."""
    flat: dict[str, int] = {}
    group = ""
    for line in text.splitlines():
        if line.endswith(")") and not line.startswith(" "):
            group = line.rsplit("(", 1)[1][:-1]
        elif " = " in line:
            name, _, value = line.partition(" = ")
            flat[group + name.strip()] = int(value)
    return flat


def _nstat(lab: netns.Lab, history: Path, *flags: str) -> dict[str, int]:
    result = lab.ns.exec(
        "nstat", "-a", "-s", *flags, "--json", env={**os.environ, "NSTAT_HISTORY": str(history)}
    )
    return dict(json.loads(result.stdout)["kernel"])


# Counters nstat never prints (iproute2 misc/nstat.c, useless_number()).
NSTAT_SKIPS = {"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax",
               "TcpMaxConn", "TcpCurrEstab"}  # fmt: skip


@pytest.mark.parametrize("zeros", [False, True], ids=["-s", "-sz"])
def test_s_shows_what_nstat_shows(lab: netns.Lab, tmp_path: Path, zeros: bool) -> None:
    """``-s`` leaves zero counters out as ``nstat -a`` does, ``-sz`` shows them as
    ``nstat -az``: the same counters, with the same values, read between two of nstat's
    readings that agree (counters move while the zoo runs)."""
    flags = ["-z"] if zeros else []
    for _ in range(20):
        before = _nstat(lab, tmp_path / "history", *flags)
        ours = _shown_counters(ok(lab, "-s", *flags))
        after = _nstat(lab, tmp_path / "history", *flags)
        if before == after:
            break
    assert before == after, "the counters never stood still"
    assert {name: value for name, value in ours.items() if name not in NSTAT_SKIPS} == before
    # What nstat never prints is shown by the same rule: Linux's constants (RtoMin 200,
    # MaxConn -1) always, the rest unless it is zero or with -z.
    assert {"TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax", "TcpMaxConn"} <= set(ours)
    if zeros:
        assert set(ours) >= NSTAT_SKIPS
    else:
        assert 0 not in ours.values()


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-tulpn"], "did you mean -tuln --program?"),
        (["-q"], "unknown option -q"),
        (["--lisening"], "did you mean --listening?"),
    ],
)
def test_bad_flags(lab: netns.Lab, args: list[str], message: str) -> None:
    result = cli(lab, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("netstatlib: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
