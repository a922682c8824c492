"""Ctrl-C in the ``netstatlib`` command: status 130, nothing on stderr, nothing left
half-written, at the moments that printed a traceback before.

Each test runs the real command in a subprocess and sends it a real SIGINT at a chosen
moment. The moment is made deterministic by a ``sitecustomize`` module this test writes
(Python imports it at start-up from ``PYTHONPATH``): it holds the process at one point,
an import of one module or the opening of one file, says so on a pipe, and waits; the
test sends SIGINT only once the process says it is there.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURE = REPOSITORY / "tests" / "fixtures" / "linux" / "sockets"
TIMEOUT = 30.0

# Holds the process where $NSL_HOLD_IMPORT is imported (a meta path finder asked first)
# or where a file whose path ends in $NSL_HOLD_OPEN is opened (an audit hook); writes one
# line to the file descriptor $NSL_READY_FD, then sleeps until a signal ends the sleep.
SITECUSTOMIZE = """
import os, sys, time

_ready = int(os.environ["NSL_READY_FD"])
_import = os.environ.get("NSL_HOLD_IMPORT")
_open = os.environ.get("NSL_HOLD_OPEN")


def _hold():
    global _ready
    if _ready >= 0:
        os.write(_ready, b"here\\n")
        os.close(_ready)
        _ready = -1
        time.sleep(60)


class _HoldImport:
    def find_spec(self, name, path=None, target=None):
        if name == _import:
            _hold()
        return None


def _hold_open(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        if os.fsdecode(args[0]).endswith(_open):
            _hold()


if _import:
    sys.meta_path.insert(0, _HoldImport())
if _open:
    sys.addaudithook(_hold_open)
"""


def run_interrupted(
    command: list[str],
    tmp_path: Path,
    *,
    signals: int = 1,
    hold_import: str = "",
    hold_open: str = "",
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` held at the import of ``hold_import`` or the opening of a file
    whose path ends in ``hold_open``, send it SIGINT (``signals`` times in a row), and
    return how it ended."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    read_end, write_end = os.pipe()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hooks), str(REPOSITORY)]),
        "NSL_READY_FD": str(write_end),
        "NSL_HOLD_IMPORT": hold_import,
        "NSL_HOLD_OPEN": hold_open,
    }
    process = subprocess.Popen(
        command,
        env=env,
        pass_fds=(write_end,),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as ready:
            said = ready.readline()  # empty if it exited without getting there
        assert said == b"here\n", process.communicate(timeout=TIMEOUT)
        for _ in range(signals):
            try:
                process.send_signal(signal.SIGINT)
            except ProcessLookupError:
                break  # it has exited already
            if signals > 1:
                time.sleep(0.001)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def script() -> str:
    """The ``netstatlib`` console script installed beside this Python."""
    found = shutil.which("netstatlib", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip("No netstatlib console script is installed beside this Python (pip install .).")
    return found


ENTRIES = {
    "python -m netstatlib": lambda: [sys.executable, "-m", "netstatlib"],
    "netstatlib script": lambda: [script()],
}
# A module `import netstatlib` loads (the package is being imported) and one only the
# command loads, after the package (netstatlib.__main__ importing the command line).
IMPORTS = ["netstatlib._query", "netstatlib.cli._grammar"]


@pytest.mark.parametrize("signals", [1, 20])
@pytest.mark.parametrize("module", IMPORTS)
@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_ctrl_c_while_the_command_imports_exits_quietly(
    tmp_path: Path, entry: str, module: str, signals: int
) -> None:
    result = run_interrupted(
        [*ENTRIES[entry](), "-an"], tmp_path, signals=signals, hold_import=module
    )
    assert (result.returncode, result.stderr, result.stdout) == (130, b"", b"")


def test_the_hold_is_where_it_says(tmp_path: Path) -> None:
    """The harness itself: without the guard, the same SIGINT prints a traceback (a
    program that imports netstatlib is not the command, and keeps Python's handling)."""
    code = "import netstatlib"
    result = run_interrupted(
        [sys.executable, "-c", code], tmp_path, hold_import="netstatlib._query"
    )
    assert result.returncode == -signal.SIGINT or result.returncode == 130
    assert b"KeyboardInterrupt" in result.stderr
    assert b"_query" in result.stderr or b"netstatlib" in result.stderr


def proc_copy(tmp_path: Path) -> Path:
    """A /proc to capture: the sockets fixture's files under proc/net/."""
    net = tmp_path / "proc" / "net"
    net.mkdir(parents=True)
    for path in FIXTURE.iterdir():
        if path.is_file() and path.name != "expected.json":
            (net / path.name).write_bytes(path.read_bytes())
    return tmp_path / "proc"


@pytest.mark.parametrize("signals", [1, 20])
def test_ctrl_c_during_a_capture_exits_quietly_and_leaves_nothing(
    tmp_path: Path, signals: int
) -> None:
    """Held while reading net/dev: the socket tables are in the staging folder by then."""
    work = tmp_path / "work"
    work.mkdir()
    proc = proc_copy(work)
    command = [sys.executable, "-m", "netstatlib", "capture", str(work / "bundle")]
    command += ["--root", str(proc), "--no-processes"]
    result = run_interrupted(
        command, tmp_path, signals=signals, hold_open=f"{os.sep}net{os.sep}dev"
    )
    assert (result.returncode, result.stderr, result.stdout) == (130, b"", b"")
    assert sorted(path.name for path in work.iterdir()) == ["proc"]  # no bundle, no staging


def test_the_capture_is_written_when_not_interrupted(tmp_path: Path) -> None:
    """Without SIGINT, the same held command goes on and writes the capture."""
    work = tmp_path / "work"
    work.mkdir()
    proc = proc_copy(work)
    command = [sys.executable, "-m", "netstatlib", "capture", str(work / "bundle")]
    command += ["--root", str(proc), "--no-processes"]
    read_end, write_end = os.pipe()
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE.replace("time.sleep(60)", "pass"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hooks), str(REPOSITORY)]),
        "NSL_READY_FD": str(write_end),
        "NSL_HOLD_OPEN": f"{os.sep}net{os.sep}dev",
    }
    result = subprocess.run(
        command, env=env, pass_fds=(write_end,), capture_output=True, timeout=TIMEOUT, check=False
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as ready:
        assert ready.read() == b"here\n"  # the hold was reached, and let go
    assert (result.returncode, result.stderr) == (0, b"")
    assert (work / "bundle" / "manifest.json").is_file()
