"""The text layout engine (``netstatlib/_text.py``) that ``Table`` and the command line
share: display widths, alignment, the 80-column target, and the cells both print."""

from __future__ import annotations

import socket

import netaddr

from netstatlib import Connection, Route, RouteFlags, TcpState
from netstatlib._text import (
    ELLIPSIS,
    TARGET_WIDTH,
    Column,
    display_width,
    layout,
    optional_text,
    route_flag_letters,
    route_interface_text,
    safe_text,
    section,
    shorten,
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


def test_shorten_keeps_a_prefix_and_an_ellipsis_within_the_room() -> None:
    assert shorten("svchost.exe", 11) == "svchost.exe"  # fits: untouched
    assert shorten("svchost.exe", 8) == "svchost" + ELLIPSIS
    assert display_width(shorten("svchost.exe", 8)) == 8
    # A wide character is never split: the result may be one column short.
    assert shorten("\u540d\u524d\u540d\u524d", 6) == "\u540d\u524d" + ELLIPSIS
    assert display_width(shorten("\u540d\u524d\u540d\u524d", 6)) == 5
    # A combining accent stays with its letter (e + U+0301 is one column).
    assert shorten("ve\u0301ry-long-name", 4) == "ve\u0301r" + ELLIPSIS
    assert shorten("abc", 1) == ELLIPSIS


def _program_table(room_for: int) -> list[Column]:
    return [
        Column("Proto", 5),
        Column("Local", 21, shrink=True, floor=room_for, squeeze=True),
        Column("State", 14, shrink=True, floor=11),
        Column("Program", 8, cut=True),
    ]


def test_a_cut_column_ends_each_line_within_the_width() -> None:
    rows = [
        ["TCP", "192.168.100.200:54321", "ESTABLISHED", "systemd-resolved-long"],
        ["TCP", "10.0.0.1:22", "LISTENING", "sshd"],
    ]
    text = layout(_program_table(21), rows, width=60)
    lines = text.splitlines()
    assert max(display_width(line) for line in lines) == 60
    # Everything but the program is whole and aligned; the program ends in the ellipsis.
    assert lines[1].split()[:3] == rows[0][:3]
    program = lines[1].split()[3]
    assert program.endswith(ELLIPSIS) and "systemd-resolved-long".startswith(program[:-1])
    assert lines[2].split() == rows[1]  # short enough: whole
    # Without a target width, nothing is cut.
    assert "systemd-resolved-long" in layout(_program_table(21), rows, width=None)


def test_a_cut_column_keeps_its_minimum_by_squeezing_and_pushing() -> None:
    """When what is left is less than the cut column's minimum, the squeezable columns
    narrow below their floor: rows with longer cells push, the others fit."""
    rows = [
        ["TCP", "192.168.100.200:54321", "ESTABLISHED", "long-program-name"],
        ["TCP", "10.0.0.1:22", "LISTENING", "long-program-name"],
    ]
    lines = layout(_program_table(21), rows, width=46).splitlines()
    # 2 + 5 + 2 + 21 + 2 + 11 + 2 leaves 1: the address column narrows to leave 8.
    assert display_width(lines[2]) == 46  # the short address fits
    assert lines[2].split()[3] == "long-pr" + ELLIPSIS
    assert display_width(lines[1]) > 46  # the long one pushes, whole
    assert lines[1].split()[1] == "192.168.100.200:54321"
    assert lines[1].split()[3] == "long-pr" + ELLIPSIS  # one width for every row


def test_nothing_is_cut_where_no_line_could_fit() -> None:
    columns = [Column("Proto", 5), Column("Local", 21), Column("Program", 8, cut=True)]
    rows = [["TCP", "x" * 60, "a-long-program"]]
    assert layout(columns, rows, width=40).split()[-1] == "a-long-program"


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
