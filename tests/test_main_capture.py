"""``python -m netstatlib capture DIR``: what it writes, and its command line."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

import netstatlib
from netstatlib.__main__ import main
from netstatlib.cli._capture import CAPTURE_HELP, CaptureOptions, is_capture, parse_capture_args

SOCKETS = Path(__file__).parent / "fixtures" / "linux" / "sockets"


def test_capture_subcommand_writes_a_capture_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "proc"
    shutil.copytree(SOCKETS, root / "net")
    target = tmp_path / "capture"
    assert main(["capture", str(target), "--root", str(root), "--no-processes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("captured ") and str(target) in out
    manifest = netstatlib.read_manifest(target)
    assert manifest.kind == "linux" and not manifest.processes
    backend = netstatlib.open_capture(target)
    assert netstatlib.connections("tcp", backend=backend, processes=False)

    assert main(["capture", str(target), "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("netstatlib: ") and "never overwrites" in err


def test_the_plain_command_is_netstat(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-n"]) == 0
    assert "Active Connections" in capsys.readouterr().out


# -- its command line: the grammar of the main command -----------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["capture", "d"], CaptureOptions(folder="d", windows=sys.platform == "win32")),
        (
            ["capture", "d", "--root", "P", "--pid", "42", "--no-processes", "--windows"],
            CaptureOptions(folder="d", root="P", pid=42, processes=False, windows=True),
        ),
        # Options anywhere, --name=value, and unique prefixes, as in the main grammar.
        (
            ["capture", "--root=P", "--no-p", "--p=42", "d", "--w"],
            CaptureOptions(folder="d", root="P", pid=42, processes=False, windows=True),
        ),
        (
            ["--no-processes", "capture", "d"],
            CaptureOptions(folder="d", processes=False, windows=sys.platform == "win32"),
        ),
        (["capture", "--", "-d"], CaptureOptions(folder="-d", windows=sys.platform == "win32")),
        (["capture", "--he"], CaptureOptions(help=True, windows=sys.platform == "win32")),
    ],
)
def test_capture_command_line_is_parsed(argv: list[str], expected: CaptureOptions) -> None:
    assert is_capture(argv)
    assert parse_capture_args(argv) == expected


@pytest.mark.parametrize(
    "argv", [["capture", "--help"], ["capture", "-h"], ["--no-processes", "capture", "--help"]]
)
def test_capture_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (CAPTURE_HELP, "")
    for option in ("DIR", "--root PROC", "--pid PID", "--no-processes", "--windows"):
        assert option in out, option
    assert max(map(len, out.splitlines())) <= 80


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["capture"], "capture: the folder to create is missing: netstatlib capture DIR"),
        (["--no-processes", "capture"], "capture: the folder to create is missing"),
        (["capture", "{dir}", "--pid", "x"], "capture: --pid takes a process ID, not 'x'"),
        (["capture", "{dir}", "extra"], "capture: unexpected argument 'extra': the only argument"),
        (["capture", "{dir}", "--frobnicate"], "capture: unknown option --frobnicate"),
        (["capture", "{dir}", "--rot", "p"], "unknown option --rot; did you mean --root?"),
        (["capture", "{dir}", "--root"], "capture: --root needs a value"),
        (["capture", "{dir}", "--windows=yes"], "capture: --windows takes no value"),
        (
            ["capture", "{dir}", "-n"],
            "capture: unknown option -n; the options are --root, --pid, --no-processes",
        ),
    ],
)
def test_a_bad_capture_command_line_is_one_line_and_status_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "capture"
    assert main([word.replace("{dir}", str(target)) for word in argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("netstatlib: capture: ") and err.count("\n") == 1
    assert message in err
    assert not target.exists()


def test_capture_of_a_process_namespace_without_processes_given_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "proc"
    shutil.copytree(SOCKETS, root / "4242" / "net")
    target = tmp_path / "capture"
    argv = ["--no-processes", "capture", str(target), "--root", str(root), "--pid", "4242"]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"captured 15 files into {target}")
    manifest = netstatlib.read_manifest(target)
    assert (manifest.pid, manifest.processes) == (4242, False)


@pytest.mark.skipif(
    sys.platform == "win32", reason="On Windows netstat.exe exists; this test needs it missing."
)
def test_capture_windows_runs_netstat_exe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["capture", str(tmp_path / "capture"), "--windows"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("netstatlib: cannot run ") and "netstat.exe" in err
