"""Everything netstatlib shows to people is escaped one way, whatever text it quotes.

Names come from other users (process names, UNIX paths) and other machines (a capture's
counter names, interface names, the lines a parser quotes in its error). Each output is
fed hostile text the way an attacker would get it there, and must come out as lines of
printable characters only, as many lines as it would have without the hostile text:
``str(table)``, ``repr(table)``, the HTML table for Jupyter, ``repr()`` of the records,
``str()`` of the errors (and so tracebacks), and the command's output and messages.
"""

from __future__ import annotations

import os
import socket
import sys
import traceback
from pathlib import Path

import attrs
import netaddr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netstatlib
from netstatlib import (
    Connection,
    Counters,
    InterfaceStats,
    NamedEndpoint,
    ParseError,
    Protocol,
    ProtocolStats,
    Route,
    RouteFlags,
    Table,
    TcpState,
)
from netstatlib._escape import safe_text
from netstatlib.backends import LinuxProcfs
from netstatlib.cli import main
from netstatlib.parsers import procfs

from conftest import conn, ep

# What a terminal obeys, one of each kind: an OSC title change ended by BEL, a CSI
# screen clear, a carriage return (hides what came before it), a bell, NUL, a C1 CSI,
# DEL, a newline (a fake row or log line), the line separator, bidirectional overrides
# and isolates (show "exe.txt" as "txt.exe"), a zero-width joiner, and bytes that are
# not UTF-8 (kept as surrogate escapes, one of them the 8-bit CSI 0x9b).
HOSTILE = [
    "\x1b]0;pwned\x07",
    "\x1b[2J\x1b[H",
    "fake\rreal",
    "bell\x07",
    "nul\x00",
    "c1\x9b31m",
    "del\x7f",
    "two\nlines",
    "sep\u2028arator",
    "\u202eexe.txt",
    "\u2066isolated\u2069",
    "zero\u200dwidth",
    b"bytes-\xff\x9b[2J".decode("utf-8", "surrogateescape"),
]
ALL_HOSTILE = "".join(HOSTILE)


def check_lines(text: str, lines: int | None = None) -> None:
    """``text`` is lines of printable characters only (and as many as expected)."""
    for line in text.split("\n"):
        assert line.isprintable(), repr(line)
    if lines is not None:
        assert text.count("\n") + 1 == lines, text


def check_one_line(text: str) -> None:
    assert "\n" not in text
    check_lines(text, 1)


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_safe_text_leaves_one_printable_line(hostile: str) -> None:
    shown = safe_text(f"name {hostile} end")
    check_one_line(shown)
    assert shown.startswith("name ") and shown.endswith(" end")
    assert safe_text(shown) == shown  # escaping twice changes nothing more


def test_printable_text_of_any_script_is_kept() -> None:
    assert safe_text("vx-é 名前 ελληνικά") == "vx-é 名前 ελληνικά"


def hostile_connections(hostile: str) -> list[Connection]:
    return [
        conn(process=hostile, pids=(1,), path=None),
        conn(
            protocol=Protocol.UNIX,
            family=socket.AF_UNIX,
            local=None,
            state=TcpState.LISTEN,
            path=f"/run/{hostile}.sock",
            process=hostile,
            pids=(2, 3),
        ),
        conn(state=TcpState.UNKNOWN, state_text=hostile),
        conn(ep("fe80::1", 546, zone=hostile), ep("fe80::2", 547, zone=hostile)),
        conn(
            local=None,
            remote=None,
            family=None,
            local_name=NamedEndpoint(host=hostile, port=None, service=hostile),
            remote_name=NamedEndpoint(host=hostile, port=80),
            components=(hostile,),
        ),
    ]


def interface(name: str) -> InterfaceStats:
    counters = [f.name for f in attrs.fields(InterfaceStats) if f.default is attrs.NOTHING]
    return InterfaceStats(**{**dict.fromkeys(counters, 0), "name": name})


def hostile_tables(hostile: str) -> list[Table]:
    return [
        Table(hostile_connections(hostile)),
        Table(
            [
                Route(
                    family=socket.AF_INET,
                    destination=netaddr.IPNetwork("10.0.0.0/8"),
                    gateway=None,
                    interface=hostile,
                    metric=1,
                    flags=RouteFlags.UP,
                )
            ]
        ),
        Table([interface(hostile)]),
        Table([ProtocolStats(group=hostile, counters={hostile: 1, f"ok{hostile}": 2})]),
        Table([hostile, f"x{hostile}"]),  # records of no known kind: one cell each
    ]


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_tables_print_hostile_text_escaped(hostile: str) -> None:
    for table in hostile_tables(hostile):
        text = str(table)
        # One header line and one line per row (a ProtocolStats gives a line per counter).
        rows = sum(len(r.counters) if isinstance(r, ProtocolStats) else 1 for r in table)
        check_lines(text, 1 + rows)
        check_lines(repr(table), 2 + rows)
        assert safe_text(hostile) in text or not hostile.isprintable()


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_html_tables_hold_no_control_character(hostile: str) -> None:
    for table in hostile_tables(hostile):
        html = table._repr_html_()
        assert html.isprintable(), html
        assert "<script" not in html


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_record_reprs_are_one_printable_line(hostile: str) -> None:
    records: list[object] = [
        *hostile_connections(hostile),
        ProtocolStats(group=hostile, counters={hostile: 1}),
        Counters({hostile: 1}),
        interface(hostile),
        NamedEndpoint(host=hostile, port=1, service=hostile),
        ep("fe80::1", 1, zone=hostile),
    ]
    for record in records:
        check_one_line(repr(record))


def counter_name(hostile: str) -> str:
    """``hostile`` as a counter name can hold it: without white space (\\n, \\r, \\u2028)."""
    return "".join(char for char in hostile if not char.isspace())


def hostile_capture(folder: Path, hostile: str) -> Path:
    """A capture folder as someone else could hand it over: counter names, an interface
    and a UNIX path that hold ``hostile``."""
    net = folder / "net"
    net.mkdir(parents=True)
    name = counter_name(hostile)
    (net / "snmp").write_bytes(
        f"Tcp: RtoMin {name}Counter\nTcp: 200 7\n".encode("utf-8", "surrogateescape")
    )
    (net / "route").write_bytes(b"Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n")
    return folder


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_a_captured_counter_name_is_escaped_everywhere(tmp_path: Path, hostile: str) -> None:
    """The case the issue names: str() and repr() of protocol_stats() from a capture."""
    backend = LinuxProcfs(root=hostile_capture(tmp_path, hostile))
    stats = netstatlib.protocol_stats(backend=backend)
    (tcp,) = stats
    assert f"{counter_name(hostile)}Counter" in tcp.counters
    check_lines(str(stats), 3)
    check_lines(repr(stats), 4)
    assert stats._repr_html_().isprintable()


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_parse_errors_quote_the_line_escaped(hostile: str) -> None:
    data = f"garbage {hostile}\n".encode("utf-8", "surrogateescape")
    with pytest.raises(ParseError) as info:
        procfs.parse_dev(data, source=f"/captures/{hostile}/net/dev")
    error = info.value
    check_one_line(str(error))
    assert error.line == f"garbage {hostile}".split("\n")[0]  # kept exactly
    for line in traceback.format_exception_only(type(error), error):
        check_one_line(line.rstrip("\n"))
    check_one_line(repr(error))


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_every_error_escapes_its_message(hostile: str) -> None:
    errors: list[netstatlib.NetstatError] = [
        netstatlib.NetstatError(f"cannot read {hostile}"),
        netstatlib.UsageError(f"no {hostile}"),
        netstatlib.FilterError(f"no field {hostile}", position=1, expected=hostile),
        netstatlib.UnsupportedError(hostile),
        netstatlib.AccessDeniedError(f"cannot read /x/{hostile}", path=hostile),
        netstatlib.SourceNotFoundError(f"/x/{hostile} does not exist", path=hostile),
        netstatlib.CommandError(f"failed: {hostile}", output=hostile),
        netstatlib.CommandTimeoutError(hostile),
        ParseError(hostile, source=hostile, line_number=2, line=hostile),
    ]
    for error in errors:
        check_one_line(str(error))
        check_one_line(repr(error))
    # What callers match on is kept as given.
    assert errors[4].path == hostile  # type: ignore[attr-defined]
    assert isinstance(errors[4], PermissionError)


def test_an_error_naming_a_hostile_folder_is_escaped(tmp_path: Path) -> None:
    """A capture folder whose own name holds an escape sequence: the error names it."""
    folder = tmp_path / "bundle\x1b]0;pwned\x07"
    (folder / "net").mkdir(parents=True)
    (folder / "net" / "dev").write_bytes(b"not dev\x1b[2J\n")
    with pytest.raises(ParseError) as info:
        netstatlib.interface_stats(backend=LinuxProcfs(root=folder))
    check_one_line(str(info.value))
    assert "bundle\\x1b]0;pwned\\x07" in str(info.value)
    with pytest.raises(netstatlib.SourceNotFoundError) as missing:
        netstatlib.routes(backend=LinuxProcfs(root=folder))
    check_one_line(str(missing.value))


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(st.characters(exclude_categories=()), max_size=30),
    path=st.text(st.characters(exclude_categories=()), max_size=30),
)
def test_any_text_prints_as_printable_lines(name: str, path: str) -> None:
    """Any code point, surrogates included: every output stays one line per row."""
    rows = [
        conn(process=name, pids=(7,)),
        conn(
            protocol=Protocol.UNIX,
            family=socket.AF_UNIX,
            local=None,
            path=path,
            state=None,
            process=name,
            pids=(8,),
        ),
    ]
    table = Table(rows)
    check_lines(str(table), 3)
    check_lines(repr(table), 4)
    assert table._repr_html_().isprintable()
    stats = Table([ProtocolStats(group="Tcp", counters={name or "x": 1})])
    check_lines(str(stats), 2)
    check_one_line(str(ParseError(name, source=path, line_number=1, line=name)))


def test_the_command_escapes_captured_counter_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = hostile_capture(tmp_path / "bundle", ALL_HOSTILE.replace("\n", ""))
    assert main(["-s", "--root", str(folder)]) == 0
    out, err = capsys.readouterr()
    check_lines(out)
    assert err == ""


def test_the_capture_command_names_its_folder_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = tmp_path / "proc"
    (proc / "net").mkdir(parents=True)
    fixture = Path(__file__).parent / "fixtures" / "linux" / "sockets"
    for name in ("tcp", "udp", "raw", "route", "dev", "snmp"):
        (proc / "net" / name).write_bytes((fixture / name).read_bytes())
    folder = tmp_path / "out\x1b]0;pwned\x07\u202e"
    status = main(["capture", str(folder), "--root", str(proc), "--no-processes"])
    out, err = capsys.readouterr()
    assert status == 0, err
    check_lines(out.rstrip("\n"), 1)
    assert "out\\x1b]0;pwned\\x07\\u202e" in out
    assert folder.is_dir()


@pytest.mark.skipif(
    sys.platform != "linux", reason="Only Linux lets a folder name hold bytes that are not UTF-8."
)
def test_the_command_reports_an_error_in_a_hostile_capture_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = os.fsdecode(b"cap\xff\x1b[2J")
    folder = tmp_path / name
    (folder / "net").mkdir(parents=True)
    (folder / "net" / "dev").write_bytes(b"\x1b]0;pwned\x07\r\n")
    assert main(["-i", "--root", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    check_lines(err.rstrip("\n"), 1)


def test_a_parse_error_quotes_a_long_line_cut_short() -> None:
    from netstatlib.parsers import procfs

    line = "x" * 5_000_000
    with pytest.raises(ParseError) as caught:
        procfs.parse_dev(f"Inter-|\n face |\n{line}\n", source="dev")
    assert caught.value.line == line
    message = str(caught.value)
    assert len(message) < 400
    assert message.endswith("... (4999800 more characters)")
