"""``python -m netstatlib capture DIR``."""

from __future__ import annotations

from pathlib import Path

import pytest

import netstatlib
from netstatlib.__main__ import main

SOCKETS = Path(__file__).parent / "fixtures" / "linux" / "sockets"


def test_capture_subcommand_writes_a_capture_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "proc"
    root.mkdir()
    (root / "net").symlink_to(SOCKETS)
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
