"""The text layout engine (``netstatlib/_text.py``) that ``Table`` and the command line
share: display widths, alignment, the 80-column target, and the cells both print."""

from __future__ import annotations

import socket

import netaddr

from netstatlib import Connection, Route, RouteFlags, TcpState
from netstatlib._text import (
    TARGET_WIDTH,
    Column,
    display_width,
    layout,
    optional_text,
    route_flag_letters,
    route_interface_text,
    safe_text,
    section,
    state_text,
)

from conftest import conn

# -- layout ------------------------------------------------------------------------------


def test_layout_pushes_long_cells_and_aligns_again() -> None:
    columns = [Column("A", 3), Column("Addr", 10, shrink=True), Column("State", 5), Column("X")]
    # Everything fits in 80 columns: every cell aligned, the address column as wide as
    # its longest cell.
    fits = layout(columns, [["x", "short", "OK", "1"], ["y", "b" * 40, "OK", "2"]], indent=0)
    assert fits.splitlines() == [
        "A    Addr" + " " * 38 + "State  X",
        "x    short" + " " * 37 + "OK     1",
        "y    " + "b" * 40 + "  OK     2",
    ]
    # One cell too long for 80 columns: the column is as wide as fits, the long cell is
    # printed whole and pushes the rest of its own line only.
    text = layout(columns, [["x", "short", "OK", "1"], ["z", "b" * 100, "OK", "3"]], indent=0)
    lines = text.splitlines()
    assert max(map(display_width, lines[:2])) <= TARGET_WIDTH
    assert lines[0].index("State") == lines[1].index("OK") == 3 + 2 + 65 + 2
    assert lines[2] == "z    " + "b" * 100 + "  OK  3"
    # A cell that overflows by a little lets the next columns align again.
    text = layout(
        [Column("A"), Column("B", 4, shrink=True), Column("C", 4, shrink=True), Column("D")],
        [["a", "b" * 4, "c" * 4, "d"], ["a", "b" * 40, "c", "d"], ["a", "b" * 6, "c", "d"]],
        indent=0,
    )
    lines = text.splitlines()
    assert lines[3].index("d") == lines[1].index("d")  # realigned after a short overflow


def test_layout_counts_wide_characters() -> None:
    columns = [Column("Name"), Column("N", right=True)]
    text = layout(columns, [["名前", "1"], ["ab", "22"]], indent=0)
    assert text.splitlines() == ["Name   N", "名前   1", "ab    22"]
    assert display_width("名前") == 4 and display_width("e\u0301") == 1


def test_without_a_target_width_no_column_shrinks() -> None:
    columns = [Column("A"), Column("Addr", 4, shrink=True), Column("State")]
    rows = [["x", "b" * 100, "OK"], ["y", "short", "OK"]]
    lines = layout(columns, rows, indent=0, width=None).splitlines()
    # Every line aligned, however wide: Table's look.
    assert {line.index("OK") for line in lines[1:]} == {lines[0].index("State")} == {105}
    # With netstat's target the address column narrows and the long cell pushes its line.
    narrowed = layout(columns, rows, indent=0).splitlines()
    assert narrowed[2].index("OK") == narrowed[0].index("State") < 105


def test_layout_indents_right_aligns_headers_and_never_ends_a_line_with_spaces() -> None:
    columns = [Column("Proto", 5), Column("Count", right=True), Column("Note")]
    text = layout(columns, [["TCP", "7", ""], ["UDP", "12345678", "x"]])
    assert text.splitlines() == [
        "  Proto     Count  Note",
        "  TCP           7",
        "  UDP    12345678  x",
    ]


def test_display_width() -> None:
    assert display_width("") == 0
    assert display_width("eth0") == 4
    assert display_width("\uff45\uff54\uff48") == 6  # fullwidth "eth": two columns each
    assert display_width("café") == 4 and display_width("cafe\u0301") == 4
    assert display_width("vx-é") == 4


def test_section_is_a_windows_block() -> None:
    assert section("Active Connections", "  body") == "\nActive Connections\n\n  body"


# -- cells -------------------------------------------------------------------------------


def test_safe_text_escapes_what_could_drive_a_terminal() -> None:
    assert safe_text("sshd") == "sshd"
    assert safe_text("名前 é") == "名前 é"  # printable characters of any script stay
    assert safe_text("\x1b[2Jx\x07") == "\\x1b[2Jx\\x07"
    assert safe_text("a\nb\udcff") == "a\\nb\\udcff"


def test_optional_text() -> None:
    assert optional_text(None) == ""
    assert optional_text(None, "-") == "-"
    assert optional_text(0, "-") == "0"


def test_route_cells() -> None:
    assert route_flag_letters(RouteFlags.UP | RouteFlags.GATEWAY | RouteFlags.HOST) == "UGH"
    assert route_flag_letters(RouteFlags.UP | RouteFlags.REJECT) == "U!"

    def route(**where: object) -> Route:
        fields: dict[str, object] = {"gateway": None, "interface": None, "metric": None}
        return Route(
            family=socket.AF_INET,
            destination=netaddr.IPNetwork("10.0.0.0/8"),
            flags=RouteFlags.UP,
            **{**fields, **where},  # type: ignore[arg-type]
        )

    assert route_interface_text(route()) == "*"
    assert route_interface_text(route(interface_index=7)) == "if7"
    assert route_interface_text(route(interface_address=netaddr.IPAddress("10.0.0.5"))) == (
        "10.0.0.5"
    )
    assert route_interface_text(route(interface="ev\x1bil", interface_index=7)) == "ev\\x1bil"


def test_state_text() -> None:
    def row(state: TcpState | None, printed: str | None = None) -> Connection:
        return conn(None, family=socket.AF_INET, state=state, state_text=printed)

    assert state_text(row(TcpState.LISTEN)) == "LISTEN"
    assert state_text(row(TcpState.LISTEN), {TcpState.LISTEN: "LISTENING"}) == "LISTENING"
    assert state_text(row(None)) == ""
    # A state word netstatlib does not know is shown as printed, escaped.
    assert state_text(row(TcpState.UNKNOWN, "HALB\x1bOFFEN")) == "HALB\\x1bOFFEN"
