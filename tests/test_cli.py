"""The ``netstatlib`` command line (``netstatlib/cli/``): the grammar, the output on
fixed records, JSON, name resolution with resolvers the test controls, intervals, errors.

The records come from captures the tests build (``CapturedText``, read back through
``--root``), so every path from the command line to the terminal is the real one.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import netstatlib
from netstatlib import Table, TcpState
from netstatlib._text import TARGET_WIDTH, display_width
from netstatlib.cli import CommandLineError, Options, main, parse_args
from netstatlib.cli._grammar import HELP

FIXTURES = Path(__file__).parent / "fixtures"
COUNTERS = FIXTURES / "linux" / "counters"
WINDOWS = FIXTURES / "windows"
REPOSITORY = Path(__file__).resolve().parents[1]

# -- a capture with known sockets ------------------------------------------------------

ESC_NAME = "\x1b[31mevil\x07"  # an escape sequence and a bell in a process name
BYTES_NAME = "nl\nname-\udcff"  # a newline and a byte that is not UTF-8
ODD_NAME = "my (odd) name"
ESC_PATH = "/run/\x1b]0;pwned\x07.sock"  # an OSC sequence (sets the terminal title)
LONG_LOCAL = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"
LONG_REMOTE = "2001:db8:1111:2222:3333:4444:5555:6666"

TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode"
)
UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path"


def _hex_address(text: str) -> str:
    # /proc prints each 32-bit word of the address in host byte order (%08X).
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    packed = socket.inet_pton(family, text)
    words = [packed[i : i + 4] for i in range(0, len(packed), 4)]
    return "".join(f"{int.from_bytes(word, sys.byteorder):08X}" for word in words)


def _row(
    number: int,
    local: tuple[str, int],
    remote: tuple[str, int],
    state: int,
    inode: int,
    *,
    uid: int = 0,
    queues: tuple[int, int] = (0, 0),
) -> str:
    return (
        f"{number:4}: {_hex_address(local[0])}:{local[1]:04X} "
        f"{_hex_address(remote[0])}:{remote[1]:04X} {state:02X} "
        f"{queues[1]:08X}:{queues[0]:08X} 00:00000000 00000000 {uid:5} 0 {inode} 1 "
        "0000000000000000 100 0 0 10 0"
    )


def _table(*rows: str) -> str:
    return "\n".join([TCP_HEADER, *rows]) + "\n"


TCP = _table(
    _row(0, ("0.0.0.0", 22), ("0.0.0.0", 0), 0x0A, 1001),
    _row(1, ("127.0.0.1", 631), ("0.0.0.0", 0), 0x0A, 1002),
    _row(2, ("192.0.2.10", 50233), ("198.51.100.7", 443), 0x01, 1003, uid=1000, queues=(5, 7)),
    _row(3, ("192.0.2.10", 50240), ("203.0.113.9", 443), 0x06, 0),
)
TCP6 = _table(
    _row(0, (LONG_LOCAL, 65535), (LONG_REMOTE, 443), 0x01, 1005),
    _row(1, ("::", 80), ("::", 0), 0x0A, 1006),
)
UDP = _table(
    _row(0, ("0.0.0.0", 53), ("0.0.0.0", 0), 0x07, 1007),
    _row(1, ("192.0.2.10", 5353), ("192.0.2.1", 53), 0x01, 1008),
)
UDP6 = _table(_row(0, ("::", 5353), ("::", 0), 0x07, 1009))
UNIX = (
    "\n".join(
        [
            UNIX_HEADER,
            f"0000000000000000: 00000002 00000000 00010000 0001 01 2001 {ESC_PATH}",
            "0000000000000000: 00000003 00000000 00000000 0001 03 2002",
        ]
    )
    + "\n"
)
PROCESSES = {
    "processes": [
        {"pid": 812, "name": "sshd", "sockets": [1001, 1005]},
        {"pid": 813, "name": "sshd", "sockets": [1005]},
        {"pid": 900, "name": ESC_NAME, "sockets": [1002, 2001]},
        {"pid": 4242, "name": BYTES_NAME, "sockets": [1003]},
        {"pid": 500, "name": ODD_NAME, "sockets": [1007]},
    ]
}
DEV = (COUNTERS / "dev").read_text() + (
    "ev\x1bil0:  100  2  0  0  0  0  0  0  300  4  0  0  0  0  0  0\n"
)


def linux_files() -> dict[str, str | bytes | os.PathLike[str]]:
    files: dict[str, str | bytes | os.PathLike[str]] = {
        "net/tcp": TCP,
        "net/tcp6": TCP6,
        "net/udp": UDP,
        "net/udp6": UDP6,
        "net/raw": _table(),
        "net/raw6": _table(),
        "net/unix": UNIX,
        "net/dev": DEV,
        # JSON escapes the surrogate; json.load gives it back, as a real capture does.
        "processes.json": json.dumps(PROCESSES),
    }
    for name in ("route", "ipv6_route", "snmp", "netstat", "snmp6"):
        files[f"net/{name}"] = COUNTERS / name
    return files


def write_folder(folder: Path, files: dict[str, str | bytes | os.PathLike[str]]) -> str:
    """The files of a capture folder written out, as ``--root`` reads them."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(Path(content).read_bytes())
    return str(folder)


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A Linux capture folder holding the sockets above (read with ``--root``)."""
    return write_folder(tmp_path_factory.mktemp("capture"), linux_files())


@pytest.fixture(scope="module")
def windows_capture(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder of saved Windows outputs (``netstat -ano``, ``-rn``, ``-e``, ``-s``)."""
    files: dict[str, str | bytes | os.PathLike[str]] = {
        "netstat-ano.txt": WINDOWS / "connections" / "win10_en_netstat-ano.txt",
        "netstat-rn.txt": WINDOWS / "routes" / "win10_en_active_persistent.txt",
        "netstat-e.txt": WINDOWS / "stats" / "win10_en_netstat-e_lf.txt",
        "netstat-s.txt": WINDOWS / "stats" / "win10_en_netstat-s_utf16le.txt",
    }
    return write_folder(tmp_path_factory.mktemp("windows-capture"), files)


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``run(*argv, **main_keywords)``: the exit status, stdout and stderr of ``main``."""

    def call(*argv: str, **keywords: Any) -> tuple[int, str, str]:
        status = main(list(argv), **keywords)
        out, err = capsys.readouterr()
        return status, out, err

    return call


def data_lines(text: str, proto: str = "") -> list[list[str]]:
    """The rows of a socket table, split on whitespace (names here have no spaces)."""
    return [
        line.split()
        for line in text.splitlines()
        if line.startswith("  ") and line.split()[0] in ("TCP", "UDP", "UNIX", "RAW")
        if not proto or line.split()[0] == proto
    ]


# -- the grammar -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {}),
        (["-a"], {"all": True}),
        (["-n"], {"numeric": True}),
        (["-o"], {"pid": True}),
        (["-b"], {"program": True}),
        (["-r"], {"route": True}),
        (["-e"], {"interfaces": True}),
        (["-s"], {"statistics": True}),
        (["-p", "tcp"], {"protocols": ("tcp",)}),
        (["-ptcp"], {"protocols": ("tcp",)}),
        (["-anp", "tcp"], {"all": True, "numeric": True, "protocols": ("tcp",)}),
        (["-anptcp"], {"all": True, "numeric": True, "protocols": ("tcp",)}),
        (["-ano"], {"all": True, "numeric": True, "pid": True}),
        (["-anob"], {"all": True, "numeric": True, "pid": True, "program": True}),
        (["-rn"], {"route": True, "numeric": True}),
        (["-es"], {"interfaces": True, "statistics": True}),
        (["-s", "-p", "icmp"], {"statistics": True, "protocols": ("icmp",)}),
        (["-sp", "icmpv6"], {"statistics": True, "protocols": ("icmpv6",)}),
        (["-p", "tcp", "-p", "udpv6"], {"protocols": ("tcp", "udpv6")}),
        (["-an", "5"], {"all": True, "numeric": True, "interval": 5.0}),
        (["5", "-an"], {"all": True, "numeric": True, "interval": 5.0}),
        (["-an", "0.5"], {"all": True, "numeric": True, "interval": 0.5}),
        (["-n", "--", "2"], {"numeric": True, "interval": 2.0}),
        # Windows reads flags in any case, and protocol names too.
        (["-AN"], {"all": True, "numeric": True}),
        (["-ANP", "TCP"], {"all": True, "numeric": True, "protocols": ("tcp",)}),
        (["-aNo"], {"all": True, "numeric": True, "pid": True}),
        (["-p", "TcpV6"], {"protocols": ("tcpv6",)}),
        # The Linux habits.
        (["--tcp", "--udp"], {"kinds": ("tcp", "udp")}),
        (["-tu"], {"kinds": ("tcp", "udp")}),
        (["-x"], {"kinds": ("unix",)}),
        (["--unix"], {"kinds": ("unix",)}),
        (["-w", "--raw"], {"kinds": ("raw",)}),
        (["--udplite"], {"kinds": ("udplite",)}),
        (["-l"], {"listening": True}),
        (["--listening"], {"listening": True}),
        (
            ["-tln", "--program"],
            {"kinds": ("tcp",), "listening": True, "numeric": True, "pid": True, "program": True},
        ),
        (["--numeric", "--route"], {"numeric": True, "route": True}),
        (["-i"], {"interfaces": True}),
        (["--interfaces", "--statistics"], {"interfaces": True, "statistics": True}),
        (["--extend"], {"extend": True}),
        (["--info"], {"info": True}),
        (["-4"], {"families": (4,)}),
        (["-6", "--inet"], {"families": (4, 6)}),
        (["-W"], {"wide": True}),
        (["-anW"], {"all": True, "numeric": True, "wide": True}),
        (["--wide"], {"wide": True}),
        (["-sz"], {"statistics": True, "zeros": True}),
        (["-s", "--zeros"], {"statistics": True, "zeros": True}),
        (["-anp", "tcpv4"], {"all": True, "numeric": True, "protocols": ("tcpv4",)}),
        (["-p", "UDPv4"], {"protocols": ("udpv4",)}),
        # Unique prefixes of long options, as getopt_long takes them.
        (["--list", "--num"], {"listening": True, "numeric": True}),
        (["--json"], {"json": True}),
        (["--resolve"], {"resolve": True}),
        (["--backend", "psutil"], {"backend": "psutil"}),
        (["--backend=Linux"], {"backend": "linux"}),
        (["--root", "cap"], {"root": "cap"}),
        (["--root=cap"], {"root": "cap"}),
        (["-h"], {"help": True}),
        (["--help"], {"help": True}),
        (["-?"], {"help": True}),
        (["/?"], {"help": True}),
        (["--version"], {"version": True}),
    ],
)
def test_the_command_line_is_parsed(argv: list[str], expected: dict[str, Any]) -> None:
    assert parse_args(argv) == Options(**expected)


def test_filter_is_compiled_with_the_ss_language() -> None:
    options = parse_args(["--filter", "state established dport = :https"])
    assert options.filter == netstatlib.compile_filter("state established dport = :https")
    assert options.filter_text == "state established dport = :https"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-q"], "unknown option -q: Windows netstat's -q (bound, non-listening ports) is not"),
        (["-anm"], "unknown option -m in -anm; the letters are -a -b -e"),
        (["-anz"], "-z (--zeros) shows the zero counters of -s: use it with -s"),
        (["-sZ"], "unknown option -Z in -sZ: Linux netstat's -Z (SELinux contexts) is not"),
        (["-json"], "unknown option -j in -json; did you mean --json?"),
        (["-numeric"], "did you mean --numeric?"),
        (["--lisening"], "unknown option --lisening; did you mean --listening?"),
        (["--frobnicate"], "unknown option --frobnicate"),
        (["--in"], "ambiguous option --in: --inet, --inet6, --info, --interfaces"),
        (["--json=yes"], "--json takes no value"),
        (["--filter"], "--filter needs a value"),
        (["-p"], "-p needs a protocol (tcp, udp, tcpv4, udpv4, tcpv6 or udpv6; with -s also"),
        (["-p", "tpc"], "unknown protocol 'tpc' for -p; did you mean tcp?"),
        (["-p", "sctp"], "-p takes a protocol, not 'sctp'"),
        # Linux's -tulpn, where -p is the program: what was meant is said.
        (["-tulpn"], "did you mean -tuln --program?"),
        (
            ["-tlnp"],
            "-p needs a protocol (tcp, udp, tcpv4, udpv4, tcpv6 or udpv6; with -s also ip, "
            "ipv6, icmp, icmpv6); did you mean -tln --program?",
        ),
        (["-p", "icmp"], "-p icmp selects statistics: use it with -s (netstatlib -s -p icmp)"),
        (["-an", "tcp"], "unexpected argument 'tcp'; did you mean -p tcp?"),
        (["-an", "five"], "unexpected argument 'five': the only argument is an interval"),
        (["-an", "0"], "the interval must be a positive number of seconds, not '0'"),
        (["-an", "nan"], "unexpected argument 'nan'"),
        (["-an", "5", "6"], "unexpected argument '6'"),
        (["-a", "capture", "x"], "capture is a command of its own: netstatlib capture DIR"),
        (["--backend", "linx"], "unknown backend 'linx'; did you mean linux?"),
        (["--filter", "sport = :nosuchservice"], "--filter: "),
        (["-r", "--filter", "sport = :22"], "--filter selects sockets; it cannot be used with"),
        (["-n", "--resolve"], "-n (numeric) and --resolve (look names up) contradict"),
        (["-es", "--json"], "--json prints one kind of record: give one of -r, -e and -s"),
        (["-s", "--unix"], "there are no statistics for UNIX sockets"),
        (["--root", "x", "--backend", "psutil"], "--root reads a folder; the psutil backend"),
        (["-6", "-p", "tcpv4"], "-6 leaves no protocol: -p tcpv4 and udpv4 are IPv4 only"),
        (["-4", "-p", "udpv6"], "-4 leaves no protocol"),
    ],
)
def test_a_bad_command_line_says_what_was_meant(argv: list[str], message: str, run: Run) -> None:
    status, out, err = run(*argv)
    assert status == 2
    assert out == ""
    assert err.startswith("netstatlib: ")
    assert err.count("\n") == 1  # one line
    assert message in err


def test_the_parser_raises_command_line_error() -> None:
    with pytest.raises(CommandLineError, match="unknown option -q"):
        parse_args(["-q"])


def test_help_shows_an_example_for_each_seed_use(run: Run) -> None:
    status, out, err = run("--help")
    assert (status, err) == (0, "")
    assert out == HELP
    examples = [line.strip() for line in out.split("Examples:")[1].split("\n\n")[0].splitlines()]
    # "  netstatlib -anp tcp         all TCP over IPv4, ...": the command, then 2+ spaces.
    commands = {
        re.split(r"\s{2,}", line)[0].removeprefix("netstatlib").strip() for line in examples
    }
    for seed in ("", "-a", "-r", "-e", "-s", "-n", "-p tcp", "-anp tcp", "-o", "-b", "-ano"):
        assert seed in commands, seed
    assert "-an 5" in commands
    for option in ("--tcp", "--udp", "--unix", "--raw", "--listening", "--program",
                   "--numeric", "--route", "--interfaces", "--statistics", "--extend",
                   "--info", "--filter", "--json", "--backend", "--root"):  # fmt: skip
        assert option in out, option
    assert max(map(len, out.splitlines())) <= TARGET_WIDTH
    assert run("-?")[1] == run("/?")[1] == out


def test_version(run: Run) -> None:
    assert run("--version")[:2] == (0, f"netstatlib {netstatlib.__version__}\n")


# -- sockets ---------------------------------------------------------------------------


def test_no_flag_shows_active_tcp_connections_only(run: Run, capture: str) -> None:
    status, out, err = run("--root", capture)
    assert (status, err) == (0, "")
    assert out.startswith("\nActive Connections\n\n  Proto  Local Address ")
    rows = data_lines(out)
    assert [row[0] for row in rows] == ["TCP", "TCP", "TCP"]  # no listener, no UDP
    assert ["TCP", "192.0.2.10:50233", "198.51.100.7:443", "ESTABLISHED"] in rows
    assert ["TCP", "192.0.2.10:50240", "203.0.113.9:443", "TIME_WAIT"] in rows
    assert "LISTENING" not in out


def test_dash_a_adds_listeners_and_udp_as_windows_prints_them(run: Run, capture: str) -> None:
    status, out, _ = run("-an", "--root", capture)
    assert status == 0
    rows = data_lines(out)
    assert ["TCP", "0.0.0.0:22", "0.0.0.0:0", "LISTENING"] in rows
    assert ["TCP", "[::]:80", "[::]:0", "LISTENING"] in rows
    assert ["UDP", "0.0.0.0:53", "*:*"] in rows  # no state for an unconnected socket
    assert ["UDP", "192.0.2.10:5353", "192.0.2.1:53", "ESTABLISHED"] in rows
    assert ["UDP", "[::]:5353", "*:*"] in rows
    assert len(rows) == 9
    # Sorted as Windows sorts: TCP before UDP, IPv4 before IPv6, by local address.
    assert [row[0] for row in rows] == ["TCP"] * 6 + ["UDP"] * 3
    # Without long IPv6 addresses, the exact layout of Windows' netstat -an.
    out = run("-anp", "tcpv4", "--root", capture)[1]
    assert out.startswith(
        "\nActive Connections\n\n"
        "  Proto  Local Address          Foreign Address        State\n"
        "  TCP    0.0.0.0:22             0.0.0.0:0              LISTENING\n"
    )


def test_the_table_matches_the_records_of_the_library(run: Run, capture: str) -> None:
    backend = netstatlib.open_capture(capture)
    records = netstatlib.connections("inet", backend=backend, processes=False)
    rows = data_lines(run("-an", "--root", capture)[1])
    shown = {(row[1], row[2]) for row in rows}
    for record in records:
        local = str(record.local)
        assert any(pair[0] == local for pair in shown), local
        if record.remote is not None:
            assert (local, str(record.remote)) in shown


@pytest.mark.parametrize(
    ("argv", "protocols", "families"),
    [
        # Unlike Windows, tcp and udp are both IP versions: -anp tcp finds every listener.
        (["-anp", "tcp"], {"TCP"}, {4, 6}),
        (["-anp", "tcpv4"], {"TCP"}, {4}),
        (["-anp", "TCPv4"], {"TCP"}, {4}),
        (["-anp", "tcpv6"], {"TCP"}, {6}),
        (["-anp", "udp"], {"UDP"}, {4, 6}),
        (["-anp", "udpv4"], {"UDP"}, {4}),
        (["-anp", "UDPv6"], {"UDP"}, {6}),
        (["-an", "-p", "tcpv4", "-p", "udpv6"], {"TCP", "UDP"}, {4, 6}),
        (["-an", "-6", "-p", "tcp"], {"TCP"}, {6}),
        (["-an", "-4", "-p", "udp"], {"UDP"}, {4}),
        (["-an", "--tcp"], {"TCP"}, {4, 6}),
        (["-an", "-u"], {"UDP"}, {4, 6}),
        (["-an", "-4"], {"TCP", "UDP"}, {4}),
        (["-an", "-t", "-6"], {"TCP"}, {6}),
    ],
)
def test_protocol_selection(
    argv: list[str], protocols: set[str], families: set[int], run: Run, capture: str
) -> None:
    rows = data_lines(run(*argv, "--root", capture)[1])
    assert rows
    assert {row[0] for row in rows} == protocols
    assert {6 if row[1].startswith("[") else 4 for row in rows} == families


def test_p_names_are_the_library_kinds() -> None:
    """-p NAME lists what connections(KIND) returns: tcp and udp both IP versions, as
    the library's "tcp" and "udp", unlike Windows' IPv4-only -p tcp."""
    from netstatlib.cli._grammar import CONNECTION_PROTOCOLS, socket_kinds

    tables = {
        name: netstatlib.KINDS[kind] for name, kind in CONNECTION_PROTOCOLS.items()
    }  # every value is a library kind
    assert tables["tcp"] == tables["tcpv4"] | tables["tcpv6"] == netstatlib.KINDS["tcp"]
    assert tables["udp"] == tables["udpv4"] | tables["udpv6"] == netstatlib.KINDS["udp"]
    assert {family for _, family in tables["tcpv4"]} == {socket.AF_INET}
    assert {family for _, family in tables["udpv6"]} == {socket.AF_INET6}
    assert socket_kinds(parse_args(["-p", "tcp"])) == ["tcp"]
    assert socket_kinds(parse_args(["-6", "-p", "tcp"])) == ["tcp6"]
    assert socket_kinds(parse_args(["-4", "-p", "tcp", "-p", "udpv4"])) == ["tcp4", "udp4"]


def test_listening_only(run: Run, capture: str) -> None:
    rows = data_lines(run("-ln", "--root", capture)[1])
    assert {(row[0], row[1]) for row in rows} == {
        ("TCP", "0.0.0.0:22"),
        ("TCP", "127.0.0.1:631"),
        ("TCP", "[::]:80"),
        ("UDP", "0.0.0.0:53"),
        ("UDP", "[::]:5353"),
    }


def test_pid_and_program_columns_and_hostile_names(run: Run, capture: str) -> None:
    status, out, _ = run("-anob", "--root", capture)
    assert status == 0
    assert out.splitlines()[3].split() == [
        "Proto", "Local", "Address", "Foreign", "Address", "State", "PID", "Program",
    ]  # fmt: skip
    assert "\x1b" not in out and "\x07" not in out and "\udcff" not in out
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("  TCP")}
    assert lines["0.0.0.0:22"].split()[-2:] == ["812", "sshd"]
    # Escape sequences and bells are shown escaped, never sent to the terminal.
    assert lines["127.0.0.1:631"].split()[-2:] == ["900", "\\x1b[31mevil\\x07"]
    # A newline in a name does not break the row; a byte that is not UTF-8 is shown.
    assert lines["192.0.2.10:50233"].split()[-2:] == ["4242", "nl\\nname-\\udcff"]
    # A socket shared by two processes shows both.
    assert f"[{LONG_LOCAL}]:65535" in lines and lines[f"[{LONG_LOCAL}]:65535"].split()[-2:] == [
        "812,813",
        "sshd",
    ]
    # TIME_WAIT has no owner; an unowned socket shows "-".
    assert lines["192.0.2.10:50240"].split()[-2:] == ["-", "-"]
    udp = [line for line in out.splitlines() if line.startswith("  UDP    0.0.0.0:53")]
    assert udp[0].split()[-4:] == ["500", "my", "(odd)", "name"]


def test_program_alone_and_pid_alone(run: Run, capture: str) -> None:
    pid_only = run("-ano", "--root", capture)[1]
    assert "Program" not in pid_only and "sshd" not in pid_only and " PID\n" in pid_only
    names_only = run("-anb", "--root", capture)[1]
    assert " PID" not in names_only and "sshd" in names_only and "812" not in names_only
    linux = run("-tan", "--program", "--root", capture)[1]
    assert linux.splitlines()[3].split()[-2:] == ["PID", "Program"]


# -- -b in 80 columns --------------------------------------------------------------------

WIDE_NAME = "\u540d\u524d\u540d\u524d-x"  # 14 bytes of comm, 10 columns on a terminal
BUSY_PROCESSES = {
    "processes": [
        {"pid": 4194301, "name": "systemd-resolve", "sockets": [3001, 3004, 3005]},
        {"pid": 912, "name": "NetworkManager", "sockets": [3002]},
        {"pid": 1000, "name": WIDE_NAME, "sockets": [3003]},
        {"pid": 77, "name": "sshd", "sockets": [3006]},
        {"pid": 78, "name": "sshd", "sockets": [3006]},
    ]
}


def busy_files(*, long_ipv4: bool) -> dict[str, str | bytes | os.PathLike[str]]:
    """A host as people run -anob on: a LAN address, public peers, 7-digit PIDs,
    comm names of 15 bytes, long IPv6 addresses, a listener two processes share; with
    ``long_ipv4``, also a connection between two of the longest IPv4 endpoints."""
    tcp = [
        _row(0, ("192.168.1.23", 54322), ("140.82.112.25", 443), 0x01, 3001),
        _row(1, ("192.168.1.23", 22), ("0.0.0.0", 0), 0x0A, 3002),
        _row(2, ("0.0.0.0", 5353), ("0.0.0.0", 0), 0x0A, 3003),
        _row(3, ("127.0.0.1", 8080), ("0.0.0.0", 0), 0x0A, 3006),
    ]
    if long_ipv4:
        tcp.append(_row(4, ("192.168.100.200", 54321), ("192.168.200.201", 44443), 0x01, 3004))
    files = linux_files()
    files.update(
        {
            "net/tcp": _table(*tcp),
            "net/tcp6": _table(_row(0, (LONG_LOCAL, 65535), (LONG_REMOTE, 443), 0x01, 3005)),
            "net/udp": _table(),
            "net/udp6": _table(),
            "processes.json": json.dumps(BUSY_PROCESSES),
        }
    )
    return files


def header_stops(text: str) -> dict[str, int]:
    """Where each column starts, from the header line of a socket table."""
    header = next(line for line in text.splitlines() if line.startswith("  Proto"))
    names = ["Proto", "Local Address", "Foreign Address", "State", "PID", "Program"]
    return {name: header.index(name) for name in names if name in header}


@pytest.mark.parametrize("long_ipv4", [False, True])
def test_anob_fits_80_columns_cutting_only_program_names(
    long_ipv4: bool, run: Run, tmp_path: Path
) -> None:
    """-anob as the docs promise: 80 columns, program names ending in an ellipsis where
    they do not fit (at least 8 columns of them), never a PID or an address cut. A row
    whose own addresses are longer than their column (IPv6, the longest IPv4 ones when
    the table had to narrow them) pushes the rest of its line, whole."""
    folder = write_folder(tmp_path, busy_files(long_ipv4=long_ipv4))
    out = run("-anob", "--root", folder)[1]
    stops = header_stops(out)
    local_width = stops["Foreign Address"] - stops["Local Address"] - 2
    foreign_width = stops["State"] - stops["Foreign Address"] - 2
    room = TARGET_WIDTH - stops["Program"]
    assert room >= 8
    names = {entry["pid"]: entry["name"] for entry in BUSY_PROCESSES["processes"]}
    # The same rows as -ano's, in the same order, each with its program after them.
    numbers = data_lines(run("-ano", "--root", folder)[1])
    rows = [line for line in out.splitlines() if line.startswith(("  TCP", "  UDP"))]
    assert len(rows) == len(numbers) == 5 + long_ipv4
    cut = []
    for line, fields in zip(rows, numbers, strict=True):
        assert line.split()[: len(fields)] == fields, line  # nothing of -ano's is cut
        program = line.split(maxsplit=len(fields))[-1]
        name = names[int(fields[-1].split(",")[0])]
        pushed = display_width(fields[1]) > local_width or display_width(fields[2]) > (
            foreign_width
        )
        if not pushed:
            assert display_width(line) <= TARGET_WIDTH, line
        if program != name:
            # Cut: a prefix and the ellipsis, in the room left (a wide character is not
            # split, so it may be one column less).
            assert program.endswith("\u2026") and name.startswith(program[:-1]), line
            assert display_width(program) in (room, room - 1), line
            cut.append(name)
        else:
            assert display_width(program) <= room, line
    assert {"systemd-resolve", "NetworkManager"} <= set(cut)
    assert f"[{LONG_LOCAL}]:65535  [{LONG_REMOTE}]:443" in out  # kept whole, pushing
    # The longest IPv4 addresses push only when they are there.
    assert any(display_width(line) > TARGET_WIDTH for line in rows if "[" not in line) == (
        long_ipv4
    )
    # -W (Linux's --wide): every name whole, nothing else changed.
    whole = run("-anobW", "--root", folder)[1]
    assert "\u2026" not in whole
    for line, fields in zip(
        [line for line in whole.splitlines() if line.startswith("  TCP")], numbers, strict=True
    ):
        assert line.split(maxsplit=len(fields))[-1] == names[int(fields[-1].split(",")[0])]
    assert run("-anob", "--wide", "--root", folder)[1] == whole


def assert_anob_layout(anob: str, ano: str, names: set[str]) -> None:
    """What -anob printed is -ano's rows, whole, each followed by its program's name,
    whole or cut with an ellipsis to end the line within 80 columns (unless the row's own
    addresses are longer than their columns, which pushes it)."""
    stops = header_stops(anob)
    local_width = stops["Foreign Address"] - stops["Local Address"] - 2
    foreign_width = stops["State"] - stops["Foreign Address"] - 2
    numbers = data_lines(ano)
    rows = [line for line in anob.splitlines() if line.startswith(("  TCP", "  UDP"))]
    assert len(rows) == len(numbers)
    for line, fields in zip(rows, numbers, strict=True):
        assert line.split()[: len(fields)] == fields, line
        program = line.split(maxsplit=len(fields))[-1]
        assert program in names or (
            program.endswith("\u2026") and any(name.startswith(program[:-1]) for name in names)
        ), line
        if display_width(fields[1]) <= local_width and display_width(fields[2]) <= foreign_width:
            assert display_width(line) <= TARGET_WIDTH, line


def windows_listings() -> list[Path]:
    """Real Windows netstat listings: the project's, and those NETSTATLIB_WINDOWS_CAPTURES
    names (the folder .ci/run points at)."""
    paths = sorted((WINDOWS / "connections").glob("*netstat-a*"))
    folder = os.environ.get("NETSTATLIB_WINDOWS_CAPTURES")
    if folder and Path(folder).is_dir():
        paths += sorted(Path(folder).glob("*netstat-a*"))
    return paths


@pytest.mark.parametrize("path", windows_listings(), ids=lambda path: path.name)
def test_real_windows_listings_printed_with_b_fit_80_columns(path: Path) -> None:
    from netstatlib.cli._sockets import sockets_text
    from netstatlib.parsers import windows

    try:
        rows = windows.parse_connections(path.read_bytes())
    except netstatlib.NetstatError:
        return  # an elevation refusal, not a listing: nothing to lay out
    names = {netstatlib._text.safe_text(row.process) for row in rows if row.process} | {"-"}
    anob = sockets_text(rows, parse_args(["-anob"]))
    ano = sockets_text(rows, parse_args(["-ano"]))
    assert_anob_layout(anob, ano, names)
    if any(row.process and len(row.process) > 8 for row in rows):
        assert "\u2026" not in sockets_text(rows, parse_args(["-anobW"]))


def test_extend_is_as_narrow_as_its_content_and_cuts_nothing(run: Run, tmp_path: Path) -> None:
    """--extend adds Linux netstat -e's four columns: no line can then fit 80 columns, so
    the columns are as narrow as their content allows and program names stay whole."""
    folder = write_folder(tmp_path, busy_files(long_ipv4=False))
    out = run("-anob", "--extend", "--root", folder)[1]
    assert "\u2026" not in out
    header = next(line for line in out.splitlines() if "Proto" in line)
    # Addresses as wide as the longest IPv4 one, the state as its longest word.
    assert "  Local Address       Foreign Address    State        User" in header
    assert "  4194301  systemd-resolve\n" in out
    # Without -b and --extend, Windows' widths (21 for an address, 14 for the state).
    plain = run("-anp", "tcpv4", "--root", folder)[1]
    assert "  Proto  Local Address          Foreign Address        State\n" in plain


def test_long_ipv6_addresses_are_kept_whole_and_ipv4_fits_80_columns(
    run: Run, capture: str
) -> None:
    out = run("-ano", "--root", capture)[1]
    row = next(line for line in out.splitlines() if LONG_LOCAL in line)
    assert row.split()[1:3] == [f"[{LONG_LOCAL}]:65535", f"[{LONG_REMOTE}]:443"]
    ipv4 = [line for line in out.splitlines() if "[" not in line]
    assert max(display_width(line) for line in ipv4) <= TARGET_WIDTH
    # IPv4 rows stay aligned with the header whatever the IPv6 rows push.
    header = next(line for line in out.splitlines() if "Proto" in line)
    for line in ipv4:
        if line.startswith("  TCP"):
            assert line.index("LISTENING" if "LISTEN" in line else line.split()[3]) == (
                header.index("State")
            )


def test_info_on_a_capture_says_details_need_the_kernel(run: Run, capture: str) -> None:
    status, out, err = run("-an", "--info", "--root", capture)
    assert status == 1 and out == ""
    assert "details=True" in err and "is a capture" in err


def test_extend_shows_queues_user_and_inode(run: Run, capture: str) -> None:
    out = run("-an", "--extend", "-p", "tcp", "--root", capture)[1]
    header = next(line for line in out.splitlines() if "Proto" in line).split()
    assert header == ["Proto", "Recv-Q", "Send-Q", "Local", "Address", "Foreign", "Address",
                      "State", "User", "Inode"]  # fmt: skip
    established = next(line.split() for line in out.splitlines() if "50233" in line)
    assert established[1:3] == ["5", "7"]
    assert established[-1] == "1003" and established[-2] == "1000"  # -n: uid as a number
    time_wait = next(line.split() for line in out.splitlines() if "50240" in line)
    assert time_wait[-2:] == ["-", "-"]  # no owner, no inode
    # A capture's uids are another host's: numeric even without -n.
    named = run("-a", "--extend", "-p", "tcp", "--root", capture)[1]
    listener = next(line.split() for line in named.splitlines() if "0.0.0.0:22 " in line)
    assert listener[-2] == "0"


@pytest.mark.usefixtures("live_default")
def test_extend_names_users_on_a_live_source(run: Run) -> None:
    import pwd

    out = run("-a", "--extend", "-p", "tcp", resolver=lambda address: None)[1]
    listener = next(line.split() for line in out.splitlines() if "0.0.0.0:" in line)
    assert listener[-2] == pwd.getpwuid(0).pw_name  # without -n, the user's name
    established = next(line.split() for line in out.splitlines() if ":50233" in line)
    expected = {entry.pw_uid: entry.pw_name for entry in pwd.getpwall()}.get(1000, "1000")
    assert established[-2] == expected


def test_unix_sockets_with_hostile_paths(run: Run, capture: str) -> None:
    status, out, _ = run("-a", "--unix", "-o", "-b", "--root", capture)
    assert status == 0
    assert "\nActive UNIX domain sockets\n\n  Proto  Type       State          I-Node  PID" in out
    assert "Active Connections" not in out
    assert "\x1b" not in out and "\x07" not in out
    listener = next(line for line in out.splitlines() if "LISTENING" in line)
    assert listener.split()[:4] == ["UNIX", "STREAM", "LISTENING", "2001"]
    assert listener.endswith("/run/\\x1b]0;pwned\\x07.sock")
    assert "\\x1b[31mevil\\x07" in listener
    # Without -a, listeners are left out, as netstat -x does.
    quiet = run("--unix", "--root", capture)[1]
    assert "LISTENING" not in quiet and "CONNECTED" in quiet
    both = run("-a", "--tcp", "--unix", "--root", capture)[1]
    assert "Active Connections" in both and "Active UNIX domain sockets" in both


def test_filter_in_the_ss_language(run: Run, capture: str) -> None:
    rows = data_lines(run("-an", "--filter", "dport = :443", "--root", capture)[1])
    assert {row[2] for row in rows} == {
        "198.51.100.7:443",
        "203.0.113.9:443",
        f"[{LONG_REMOTE}]:443",
    }
    rows = data_lines(run("-an", "--filter", "state listening", "--root", capture)[1])
    assert {row[3] for row in rows} == {"LISTENING"}


def test_filter_finds_ports_a_windows_listing_printed_as_names(run: Run, tmp_path: Path) -> None:
    """A Windows ``netstat -ao`` saved without -n prints ``edge-cache-01:https``: the
    port is known, and ``--filter "dport = :443"`` finds it, as the library does."""
    names = WINDOWS / "connections" / "win7_en_netstat-ao_names.txt"
    folder = write_folder(tmp_path, {"netstat-ano.txt": names})
    for expression in ("dport = :443", "dport = :https", "dst 198.51.100.0/24"):
        out = run("-ano", "--filter", expression, "--root", folder)[1]
        shown = {row[2] for row in data_lines(out)}
        expected = {
            str(row.remote_name or row.remote)
            for row in netstatlib.connections(
                "inet", where=expression, backend=netstatlib.open_capture(folder)
            )
        }
        assert shown == expected, expression
    assert {row[2] for row in data_lines(run("-ano", "--filter", "dport = :443", "--root",
                                              folder)[1])} == {
        "198.51.100.7:https", "edge-cache-01:https", "host-with-a-very-long-name-0001:https"
    }  # fmt: skip
    assert {row[2] for row in data_lines(run("-an", "--filter", "dst 198.51.100.0/24",
                                              "--root", folder)[1])} == {
        "198.51.100.7:https", "198.51.100.8:acme-svc"
    }  # fmt: skip


def test_an_empty_table_still_has_its_header(run: Run, capture: str) -> None:
    out = run("-an", "--filter", "sport = :9", "--root", capture)[1]
    assert out == (
        "\nActive Connections\n\n  Proto  Local Address          Foreign Address        State\n"
    )


# -- JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "kind", "processes", "listening_only"),
    [
        (["-a"], "inet", False, False),
        (["-ao"], "inet", True, False),
        (["-a", "--unix"], "unix", False, False),
        (["-anp", "tcp"], "tcp", False, False),
        (["-anp", "tcpv4"], "tcp4", False, False),
        (["-anp", "udpv6"], "udp6", False, False),
        (["-l", "--program"], "inet", True, True),
    ],
)
def test_json_is_the_library_records(
    argv: list[str],
    kind: str,
    processes: bool,
    listening_only: bool,
    run: Run,
    capture: str,
) -> None:
    status, out, _ = run(*argv, "--json", "--root", capture)
    assert status == 0
    backend = netstatlib.open_capture(capture)
    query = netstatlib.listening if listening_only else netstatlib.connections
    records = query(kind, backend=backend, processes=processes)
    assert json.loads(out) == records.to_dicts(plain=True)
    assert out.isascii()  # escapes, surrogates and all: ASCII JSON, safe on any terminal
    assert "\x1b" not in out


def test_json_of_active_connections_and_field_names(run: Run, capture: str) -> None:
    documents = json.loads(run("--json", "--root", capture)[1])
    backend = netstatlib.open_capture(capture)
    records = netstatlib.connections("tcp", backend=backend, processes=False)
    expected = [row for row in records.to_dicts(plain=True) if row["remote"] is not None]
    assert documents == expected
    # Stable field names: the record's own.
    assert list(documents[0]) == [field.name for field in attrs.fields(netstatlib.Connection)]
    assert documents[0]["local"]["address"] == "192.0.2.10"  # addresses as strings


def test_json_of_hostile_names_reads_back_exactly(run: Run, capture: str) -> None:
    documents = json.loads(run("-ab", "--json", "--root", capture)[1])
    assert {doc["process"] for doc in documents} >= {ESC_NAME, BYTES_NAME, ODD_NAME}


@pytest.mark.parametrize(
    ("flag", "query"),
    [
        ("-r", netstatlib.routes),
        ("-e", netstatlib.interface_stats),
        ("-s", netstatlib.protocol_stats),
    ],
)
def test_json_of_routes_and_statistics(
    flag: str, query: Callable[..., Table[Any]], run: Run, capture: str
) -> None:
    out = run(flag, "--json", "--root", capture)[1]
    expected = query(backend=netstatlib.open_capture(capture)).to_dicts(plain=True)
    assert json.loads(out) == expected


def test_json_of_one_protocol_statistics(run: Run, capture: str) -> None:
    documents = json.loads(run("-s", "-p", "icmp", "--json", "--root", capture)[1])
    assert [doc["group"] for doc in documents] == ["Icmp", "IcmpMsg"]


def test_json_of_nothing_is_an_empty_array(run: Run, capture: str) -> None:
    assert run("--json", "--filter", "sport = :9", "--root", capture)[1] == "[]\n"


# -- name resolution -------------------------------------------------------------------


class Recorder:
    """A resolver the test controls: a table of names, and the addresses it was asked."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.asked: list[str] = []

    def __call__(self, address: str) -> str | None:
        self.asked.append(address)
        return self.names.get(address)


def services(port: int, protocol: str) -> str | None:
    return {(443, "tcp"): "https", (53, "udp"): "domain"}.get((port, protocol))


@pytest.fixture
def live_default(monkeypatch: pytest.MonkeyPatch, capture: str) -> None:
    """Make the capture the default source, so that the default (name lookups) applies:
    --root alone never sends a capture's addresses to this machine's resolver."""
    backend = netstatlib.open_capture(capture)
    monkeypatch.setattr("netstatlib.cli._main._source", lambda options: backend)


@pytest.mark.usefixtures("live_default")
def test_names_are_looked_up_without_n(run: Run) -> None:
    resolver = Recorder(
        {"198.51.100.7": "www.example.org", LONG_REMOTE: "\x1b[2Jv6.example", "192.0.2.1": "gw"}
    )
    status, out, _ = run("-a", resolver=resolver, services=services)
    assert status == 0
    rows = data_lines(out)
    assert ["TCP", "192.0.2.10:50233", "www.example.org:https", "ESTABLISHED"] in rows
    assert ["TCP", "192.0.2.10:50240", "203.0.113.9:https", "TIME_WAIT"] in rows
    assert ["UDP", "192.0.2.10:5353", "gw:domain", "ESTABLISHED"] in rows
    assert ["UDP", "0.0.0.0:domain", "*:*"] in rows  # 0.0.0.0 is not looked up
    # A host name from DNS is text from elsewhere: escaped like any other.
    assert "\x1b" not in out and "\\x1b[2Jv6.example:https" in out
    assert "0.0.0.0" not in resolver.asked and "::" not in resolver.asked


@pytest.mark.usefixtures("live_default")
@pytest.mark.parametrize(
    "argv", [["-an"], ["-a", "--json"], ["-rn"], ["-r", "--json"], ["-e"], ["-s"]]
)
def test_no_lookup_with_n_or_json(argv: list[str], run: Run) -> None:
    def refuse(address: str) -> str | None:
        raise AssertionError(f"looked up {address}")

    def refuse_services(port: int, protocol: str) -> str | None:
        raise AssertionError(f"looked up {port}")

    assert run(*argv, resolver=refuse, services=refuse_services)[0] == 0


def test_no_lookup_for_a_capture_unless_asked(run: Run, capture: str) -> None:
    resolver = Recorder({"198.51.100.7": "www.example.org"})
    assert "www.example.org" not in run("-a", "--root", capture, resolver=resolver)[1]
    assert resolver.asked == []
    out = run("-a", "--resolve", "--root", capture, resolver=resolver, services=services)[1]
    assert "www.example.org:https" in out


@pytest.mark.usefixtures("live_default")
def test_json_with_resolve_carries_the_names(run: Run) -> None:
    resolver = Recorder({"198.51.100.7": "www.example.org"})
    documents = json.loads(run("--json", "--resolve", resolver=resolver, services=services)[1])
    named = next(doc for doc in documents if doc["remote"]["address"] == "198.51.100.7")
    assert named["remote_name"] == {"host": "www.example.org", "port": 443, "service": "https"}
    assert named["remote"] == {"address": "198.51.100.7", "port": 443, "zone": None}


@pytest.mark.usefixtures("live_default")
def test_a_resolver_that_never_answers_leaves_numbers(run: Run) -> None:
    released = threading.Event()

    def stuck(address: str) -> str | None:
        released.wait(30)  # far past the deadline; released at the end of the test
        return "too-late.example"

    try:
        status, out, _ = run(
            "-a",
            resolver=stuck,
            services=lambda port, protocol: None,
            resolve_timeout=0.05,
            resolve_deadline=0.2,
        )
    finally:
        released.set()
    assert status == 0
    assert "too-late" not in out
    assert ["TCP", "192.0.2.10:50233", "198.51.100.7:443", "ESTABLISHED"] in data_lines(out)


# -- routes, interface and protocol statistics -------------------------------------------


def test_routes_linux(run: Run, capture: str) -> None:
    status, out, _ = run("-rn", "--root", capture)
    assert status == 0
    assert "\nIPv4 Route Table\n\n  Destination      Gateway          Genmask          Flags" in out
    assert "\nIPv6 Route Table\n\n  Destination" in out
    records = netstatlib.routes(backend=netstatlib.open_capture(capture))
    lines = [line.split() for line in out.splitlines()]
    for route in records:
        if route.family is socket.AF_INET:
            wanted = [str(route.destination.network), str(route.gateway or "0.0.0.0"),
                      str(route.destination.netmask)]  # fmt: skip
        else:
            wanted = [str(route.destination), str(route.gateway or "::")]
        assert any(line[: len(wanted)] == wanted for line in lines), wanted
    # Without -n, the default routes say "default", as netstat -r; a capture's addresses
    # are not looked up, so nothing else changes.
    named = run("-r", "--root", capture)[1]
    defaults = [r for r in records if r.destination.prefixlen == 0]
    assert defaults and named.count("\n  default ") == len(defaults)
    for line, numeric in zip(named.splitlines(), out.splitlines(), strict=True):
        if line != numeric:
            assert line.split()[0] == "default"
            assert numeric.split()[0] in ("0.0.0.0", "::/0")
            assert line.split()[1:] == numeric.split()[1:]


def _route_line(iface: str, destination: str, gateway: str, flags: int, mask: str) -> str:
    """A line of /proc/net/route: addresses as the kernel's %08X of a little-endian word."""

    def word(text: str) -> str:
        return socket.inet_aton(text)[::-1].hex().upper()

    fields = [iface, word(destination), word(gateway), f"{flags:04X}", "0", "0", "100",
              word(mask), "0", "0", "0"]  # fmt: skip
    return "\t".join(fields)


ROUTES = (
    "\n".join(
        [
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
            _route_line("eth0", "0.0.0.0", "192.0.2.1", 0x3, "0.0.0.0"),  # default via a gateway
            _route_line("eth0", "192.0.2.0", "0.0.0.0", 0x1, "255.255.255.0"),  # on-link network
            _route_line("eth0", "198.51.100.9", "192.0.2.1", 0x7, "255.255.255.255"),  # a host
            _route_line("eth0", "203.0.113.0", "192.0.2.254", 0x3, "255.255.255.0"),
        ]
    )
    + "\n"
)


def test_routes_without_n_show_default_and_names(run: Run, tmp_path: Path) -> None:
    """As Linux's netstat -r: "default", the gateways' and host routes' names where DNS
    has one; networks, and addresses without a name, stay numeric; -n asks nothing."""
    folder = write_folder(tmp_path, {**linux_files(), "net/route": ROUTES})
    resolver = Recorder(
        {"192.0.2.1": "gw.example", "198.51.100.9": "\x1b[2Jhost.example", "192.0.2.0": "net"}
    )
    out = run("-r", "--resolve", "--root", folder, resolver=resolver)[1]
    lines = [line.split() for line in out.split("IPv6 Route Table")[0].splitlines()]
    assert ["default", "gw.example", "0.0.0.0", "UG", "100", "eth0"] in lines
    assert ["192.0.2.0", "0.0.0.0", "255.255.255.0", "U", "100", "eth0"] in lines
    assert ["\\x1b[2Jhost.example", "gw.example", "255.255.255.255", "UGH", "100", "eth0"] in (
        lines
    )
    assert ["203.0.113.0", "192.0.2.254", "255.255.255.0", "UG", "100", "eth0"] in lines
    # Each address asked once; never 0.0.0.0, ::, a network or a multicast address (the
    # IPv6 table of the capture has host routes ::1/128 and fd00:20::1/128, no gateway).
    assert sorted(resolver.asked) == ["192.0.2.1", "192.0.2.254", "198.51.100.9", "::1",
                                      "fd00:20::1"]  # fmt: skip
    assert "\x1b" not in out
    # IPv6 too: ::/0 is "default".
    assert "\n  default  " in out.split("IPv6 Route Table")[1]
    # -n: numbers, and no lookup.
    resolver.asked.clear()
    numeric = run("-rn", "--resolve", "--root", folder, resolver=resolver)
    assert numeric[0] == 2  # -n and --resolve contradict each other
    plain = run("-rn", "--root", folder, resolver=resolver)[1]
    assert resolver.asked == [] and "default" not in plain and "gw.example" not in plain
    assert "  0.0.0.0          192.0.2.1        0.0.0.0          UG" in plain


def test_routes_windows_with_persistent_routes(run: Run, windows_capture: str) -> None:
    out = run("-rn", "--root", windows_capture)[1]
    assert "IPv4 Persistent Routes" in out and "IPv6 Persistent Routes" in out
    assert "  0.0.0.0          192.0.2.254      0.0.0.0          UG         25  192.0.2.17" in out
    named = run("-r", "--root", windows_capture)[1]
    assert "  default          192.0.2.254      0.0.0.0          UG         25  192.0.2.17" in named
    v6 = out.split("IPv6 Route Table")[1]
    assert "2001:db8:17:0:4b2e:91ff:fe07:c3d5/128" in v6  # kept whole


def test_interface_statistics_linux(run: Run, capture: str) -> None:
    status, out, _ = run("-e", "--root", capture)
    assert status == 0
    stats = netstatlib.interface_stats(backend=netstatlib.open_capture(capture))
    total_in = sum(row.rx_bytes for row in stats)
    total_out = sum(row.tx_bytes for row in stats)
    assert out.startswith(
        "\nInterface Statistics\n\n                           Received            Sent\n"
    )
    assert f"\nBytes {total_in:>29} {total_out:>15}\n" in out
    assert "\nPer-interface Statistics\n" in out
    assert "\x1b" not in out and "\nev\\x1bil0 " in out
    lo = next(line.split() for line in out.splitlines() if line.startswith("lo "))
    assert lo[2:4] == ["310576", "120"]


def test_interface_statistics_windows_total(run: Run, windows_capture: str) -> None:
    out = run("-e", "--root", windows_capture)[1]
    record = netstatlib.interface_stats(backend=netstatlib.open_capture(windows_capture))[0]
    assert f"Bytes {record.rx_bytes:>29} {record.tx_bytes:>15}" in out
    assert "Unicast packets" in out and "Non-unicast packets" in out
    assert "Unknown protocols" in out
    assert "Per-interface" not in out  # netstat -e gives a total only


def _counters_shown(text: str) -> dict[str, dict[str, int]]:
    """``-s`` output read back: each group's counters, by the group named in its title."""
    groups: dict[str, dict[str, int]] = {}
    counters: dict[str, int] = {}
    for line in text.splitlines():
        if line.endswith(")") and not line.startswith(" "):
            counters = groups[line.rsplit("(", 1)[1][:-1]] = {}
        elif " = " in line:
            name, _, value = line.partition(" = ")
            counters[name.strip()] = int(value)
    return groups


@pytest.mark.parametrize("zeros", [["-z"], ["--zeros"], ["--zer"]])
def test_protocol_statistics_with_zeros(zeros: list[str], run: Run, capture: str) -> None:
    out = run("-s", *zeros, "--root", capture)[1]
    stats = netstatlib.protocol_stats(backend=netstatlib.open_capture(capture))
    assert "\nTCP Statistics for IPv4 and IPv6 (Tcp)\n" in out  # Linux: one group for both
    # Every counter of every group, in the source's order, zeros included.
    assert _counters_shown(out) == {row.group: dict(row.counters) for row in stats}
    assert list(_counters_shown(out)) == [row.group for row in stats]
    assert run("-sz", "--root", capture)[1] == out


def test_protocol_statistics_hide_zero_counters_as_nstat(run: Run, capture: str) -> None:
    out = run("-s", "--root", capture)[1]
    stats = netstatlib.protocol_stats(backend=netstatlib.open_capture(capture))
    shown = _counters_shown(out)
    # Every group keeps its title; only the counters that are not zero are listed.
    assert list(shown) == [row.group for row in stats]
    for row in stats:
        assert shown[row.group] == {name: value for name, value in row.counters.items() if value}
    assert any(0 in row.counters.values() for row in stats)  # the test hides something
    assert not any(line.endswith(" = 0") for line in out.splitlines())
    # A group whose counters are all zero says so, rather than showing a bare title.
    zero_groups = [row for row in stats if row.counters and not any(row.counters.values())]
    assert zero_groups, "the capture has a group of zero counters"
    for row in zero_groups:
        block = out.split(f"({row.group})\n\n", 1)[1].split("\n\n", 1)[0]
        assert block.strip() in (
            f"all {len(row.counters)} counters are 0: -z shows them",
            "its one counter is 0: -z shows it",
        )
    # JSON is the records: every counter.
    documents = json.loads(run("-s", "--json", "--root", capture)[1])
    assert documents == stats.to_dicts(plain=True)


@pytest.mark.parametrize(
    ("protocol", "linux", "windows"),
    [
        ("ip", ["Ip", "IpExt"], ["Ip"]),
        ("ipv6", ["Ip6"], ["Ip6"]),
        ("icmp", ["Icmp", "IcmpMsg"], ["Icmp", "IcmpMsg"]),
        ("icmpv6", ["Icmp6"], ["Icmp6"]),
        # tcp and udp are both IP versions, as for sockets.
        ("tcp", ["Tcp", "TcpExt"], ["Tcp", "Tcp6"]),
        ("tcpv4", ["Tcp", "TcpExt"], ["Tcp"]),  # Linux's Tcp counts both versions
        ("tcpv6", ["Tcp", "TcpExt"], ["Tcp6"]),  # Linux counts TCP over IPv6 in Tcp
        ("udp", ["Udp", "Udp6"], ["Udp", "Udp6"]),
        ("udpv4", ["Udp"], ["Udp"]),
        ("udpv6", ["Udp6"], ["Udp6"]),
    ],
)
def test_statistics_of_one_protocol(
    protocol: str,
    linux: list[str],
    windows: list[str],
    run: Run,
    capture: str,
    windows_capture: str,
) -> None:
    for folder, groups in ((capture, linux), (windows_capture, windows)):
        out = run("-s", "-p", protocol, "--root", folder)[1]
        shown = [line.rsplit("(", 1)[1][:-1] for line in out.splitlines() if line.endswith(")")]
        available = {
            row.group for row in netstatlib.protocol_stats(backend=netstatlib.open_capture(folder))
        }
        assert shown == [group for group in groups if group in available], folder


def test_statistics_with_linux_habits(run: Run, capture: str) -> None:
    out = run("-st", "--root", capture)[1]
    assert "(Tcp)" in out and "(TcpExt)" in out and "(Udp)" not in out


def test_interface_then_protocol_statistics(run: Run, capture: str) -> None:
    out = run("-es", "--root", capture)[1]
    assert out.index("Interface Statistics") < out.index("(Ip)")
    assert "Active Connections" not in out


def test_windows_connections_as_windows_prints_them(run: Run, windows_capture: str) -> None:
    out = run("-ano", "--root", windows_capture)[1]
    source = (WINDOWS / "connections" / "win10_en_netstat-ano.txt").read_text()
    header = "  Proto  Local Address          Foreign Address        State           PID"
    assert header in source
    # Every row of the capture comes back with the same fields (the PID of a TIME_WAIT
    # row is "-": Windows' 0 means no owner).
    printed = {tuple(row) for row in data_lines(out)}
    for line in source.splitlines():
        fields = line.split()
        if fields[:1] in (["TCP"], ["UDP"]):
            if fields[-1] == "0":
                fields[-1] = "-"
            if fields[0] == "UDP" and fields[2] != "*:*":
                fields.insert(3, "ESTABLISHED")  # a connected UDP socket says so
            assert tuple(fields) in printed, line
    # IPv4 only: exactly as netstat printed it.
    ipv4 = run("-anop", "tcpv4", "--root", windows_capture)[1]
    assert header in ipv4
    lines = {line.rstrip() for line in ipv4.splitlines()}
    for line in source.splitlines():
        fields = line.split()
        if fields[:1] == ["TCP"] and not fields[1].startswith("[") and fields[-1] != "0":
            assert line.rstrip() in lines, line


# -- intervals ---------------------------------------------------------------------------


def _stamps_between(stamps: list[str], before: datetime.datetime) -> None:
    """Each stamp is ISO 8601 local time with its UTC offset, to the second, taken
    during the run (from ``before`` to now), in order."""
    after = datetime.datetime.now().astimezone()
    times = []
    for stamp in stamps:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", stamp), stamp
        moment = datetime.datetime.fromisoformat(stamp)
        assert moment.utcoffset() == after.utcoffset()  # this host's local time
        assert before.replace(microsecond=0) <= moment <= after
        times.append(moment)
    assert times == sorted(times)


def test_an_interval_redisplays_with_injected_sleep(run: Run, capture: str) -> None:
    slept: list[float] = []
    before = datetime.datetime.now().astimezone()
    status, out, _ = run("-an", "5", "--root", capture, sleep=slept.append, iterations=3)
    assert status == 0
    assert out.count("Active Connections") == 3
    assert slept == [5.0, 5.0]
    # Each display starts with the time it was read, then the table as without one.
    single = run("-an", "--root", capture)[1]
    stamps = [line for line in out.splitlines() if re.match(r"\d{4}-\d\d-\d\dT", line)]
    _stamps_between(stamps, before)
    assert len(stamps) == 3
    assert out == "".join(f"\n{stamp}\n{single}" for stamp in stamps)


@pytest.mark.parametrize("argv", [["-r"], ["-rn"]])
def test_every_display_of_an_interval_is_stamped(argv: list[str], run: Run, capture: str) -> None:
    before = datetime.datetime.now().astimezone()
    out = run(*argv, "2", "--root", capture, sleep=lambda s: None, iterations=2)[1]
    single = run(*argv, "--root", capture)[1]
    stamps = [line for line in out.splitlines() if re.match(r"\d{4}-\d\d-\d\dT", line)]
    _stamps_between(stamps, before)
    assert len(stamps) == 2
    assert out == "".join(f"\n{stamp}\n{single}" for stamp in stamps)
    # A single display has no time: the output is netstat's.
    assert not re.search(r"\d{4}-\d\d-\d\dT", single)


@pytest.mark.parametrize(
    ("argv", "changes"),
    [
        (["-s"], ["Changes over", "no counter moved"]),
        (["-e"], ["Interface Statistics per second over", "RX-Bytes/s"]),
        (["-es"], ["Interface Statistics per second over", "no counter moved"]),
        (["-esr"], ["Interface Statistics per second over", "IPv4 Route Table"]),
    ],
)
def test_counters_with_an_interval_show_the_changes_after_the_first_display(
    argv: list[str], changes: list[str], run: Run, capture: str
) -> None:
    """The first display is the counters as without an interval; the next ones are
    their changes since the one before (a capture does not change: nothing moved, every
    rate 0), each headed by its time alone on its line."""
    before = datetime.datetime.now().astimezone()
    out = run(*argv, "2", "--root", capture, sleep=lambda s: None, iterations=3)[1]
    single = run(*argv, "--root", capture)[1]
    stamps = [line for line in out.splitlines() if re.match(r"\d{4}-\d\d-\d\dT", line)]
    _stamps_between(stamps, before)
    assert len(stamps) == 3
    first, second, third = re.split(r"\n\d{4}-\d\d-\d\dT\S+\n", out)[1:]
    assert first == single
    seconds = r"over \d+\.\d{3} s"
    assert re.sub(seconds, "", second) == re.sub(seconds, "", third)
    for text in changes:
        assert text in second
    assert "Unicast packets" not in second and "RetransSegs" not in second
    rates = [line for line in second.splitlines() if re.match(r"\S+(\s+\d+\.\d)+$", line)]
    assert "e" not in argv[0] or rates
    assert all(set(line.split()[1:]) == {"0.0"} for line in rates)


def test_ctrl_c_ends_an_interval_quietly(run: Run, capture: str) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    status, out, err = run("-an", "2", "--root", capture, sleep=interrupted)
    assert (status, err) == (0, "")
    assert out.count("Active Connections") == 1


def test_an_interval_with_json_prints_one_object_with_its_time_each_time(
    run: Run, capture: str
) -> None:
    before = datetime.datetime.now().astimezone()
    out = run("-a", "--json", "1", "--root", capture, sleep=lambda s: None, iterations=2)[1]
    decoder = json.JSONDecoder()
    first, end = decoder.raw_decode(out)
    second, end2 = decoder.raw_decode(out, end + 1)
    assert out[end2:] == "\n"
    assert list(first) == ["time", "records"] and list(second) == ["time", "records"]
    _stamps_between([first["time"], second["time"]], before)
    # The records are what one display without an interval prints.
    assert (
        first["records"]
        == second["records"]
        == json.loads(run("-a", "--json", "--root", capture)[1])
    )


# -- errors ------------------------------------------------------------------------------


def test_a_missing_root_is_one_line_and_status_1(run: Run, tmp_path: Path) -> None:
    status, out, err = run("-an", "--root", str(tmp_path / "nowhere"))
    assert (status, out) == (1, "")
    assert err == f"netstatlib: {tmp_path / 'nowhere'} is not a folder\n"


def test_an_unsupported_query_gives_the_library_message(run: Run, tmp_path: Path) -> None:
    ano = WINDOWS / "connections" / "win10_en_netstat-ano.txt"
    folder = write_folder(tmp_path, {"netstat-ano.txt": ano})
    status, out, err = run("-r", "--root", folder)
    assert (status, out) == (1, "")
    assert err.startswith("netstatlib: ") and "netstat -rn" in err and err.count("\n") == 1
    status, _, err = run("--unix", "--root", folder)
    assert status == 1 and "TCP and UDP sockets only" in err


def test_a_parse_error_is_one_escaped_line(run: Run, tmp_path: Path) -> None:
    bad = TCP_HEADER + "\n   0: not\x1b[2J a row\nsecond line\n"
    folder = write_folder(tmp_path, {"net/tcp": bad, "net/tcp6": _table()})
    status, out, err = run("-an", "-p", "tcp", "--root", folder)
    assert (status, out) == (1, "")
    assert err.startswith("netstatlib: ") and err.count("\n") == 1 and "\x1b" not in err


def test_root_and_backend_must_agree(run: Run, capture: str) -> None:
    status, _, err = run("-an", "--root", capture, "--backend", "windows")
    assert status == 2 and "holds a linux capture, not one for --backend windows" in err


def test_an_unusable_backend_is_an_error(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSTATLIB_BACKEND", "nonsense")
    status, _, err = run("-an")
    assert status == 1
    assert err.startswith("netstatlib: unknown backend 'nonsense' in NETSTATLIB_BACKEND")


# -- the module and the console script ---------------------------------------------------


def test_python_dash_m_runs_the_command(capture: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    result = subprocess.run(
        [sys.executable, "-m", "netstatlib", "-anp", "tcp", "--root", capture],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "0.0.0.0:22" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "netstatlib", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.count("\n") == 1


def test_the_console_script_points_at_main() -> None:
    import netstatlib.__main__ as entry

    assert entry.main is main
    text = (REPOSITORY / "pyproject.toml").read_text()
    assert 'netstatlib = "netstatlib.__main__:main"' in text


def test_the_state_words_are_windows(run: Run) -> None:
    from netstatlib.cli._sockets import _STATE_WORDS

    assert _STATE_WORDS[TcpState.LISTEN] == "LISTENING"
    assert _STATE_WORDS[TcpState.SYN_RECV] == "SYN_RECEIVED"
    assert _STATE_WORDS[TcpState.CLOSE] == "CLOSED"
