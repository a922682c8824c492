"""``examples/explore.ipynb``, executed as a user would run it (nbclient, a real IPython
kernel, matplotlib's inline backend): on this host, where only its shape can be checked,
and inside a namespace this test fills with known sockets, where every number it shows
is known.
"""

from __future__ import annotations

import ast
import base64
import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import netstatlib
from netstatlib.backends import LinuxProcfs

from . import netns
from conftest import skip_live

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE.parent.parent / "examples" / "explore.ipynb"
RUNNER = HERE / "run_notebook.py"
HOLDER = HERE / "notebook_sockets.py"
RUN_TIMEOUT = 600  # seconds for the whole notebook: a kernel start and matplotlib's first import
PNG = b"\x89PNG\r\n\x1a\n"
PLOTS = ("states-plot", "listeners-plot")
OWNER = re.compile(r"(\d+)(?:\+\d+)?/(\S+)$")  # the PID/Program cell: 812/sshd, 1201+3/nginx


def require_notebook_tools() -> None:
    for module in ("nbformat", "nbclient", "ipykernel", "matplotlib", "pandas"):
        if importlib.util.find_spec(module) is None:
            skip_live(f"The notebook test needs {module}: pip install '.[test]'.")


def execute(workdir: Path, *prefix: str) -> dict[str, Any]:
    """Run the notebook (behind ``prefix``: ``ip netns exec NAME``); its code cells by id."""
    import nbformat

    executed = workdir / "executed.ipynb"
    result = subprocess.run(
        [*prefix, sys.executable, str(RUNNER), str(NOTEBOOK), str(executed), str(workdir)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"the notebook failed:\n{result.stderr[-4000:]}"
    notebook = nbformat.read(executed, as_version=4)
    return {cell.id: cell for cell in notebook.cells if cell.cell_type == "code"}


def result(cell: Any, mime: str = "text/plain") -> str:
    """What a cell showed as its result (its last expression), as ``mime``."""
    shown = [output for output in cell.outputs if output.output_type == "execute_result"]
    assert len(shown) == 1, (cell.id, cell.outputs)
    return str(shown[0].data[mime])


def counted(text: str) -> dict[str, int]:
    """The groups of a printed GroupCounts: ``{"LISTEN": 3, ...}``."""
    lines = text.splitlines()[2:]  # the summary and the header
    return {line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1]) for line in lines}


def check_shape(cells: dict[str, Any]) -> None:
    """What holds on any host: every code cell ran and showed something, no errors, the
    plots are PNG images, the tables and counts are HTML in a scrollable box."""
    for cell in cells.values():
        assert cell.outputs, f"cell {cell.id} showed nothing"
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.id
        assert not [o for o in cell.outputs if o.get("name") == "stderr"], (cell.id, cell.outputs)
    for plot in PLOTS:
        images = [o for o in cells[plot].outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, plot
        assert base64.b64decode(images[0].data["image/png"]).startswith(PNG)
    for table in ("sockets", "states", "listeners", "listeners-by-port", "counters"):
        html = result(cells[table], "text/html")
        assert html.startswith('<div style="max-height:') or html == "<p><em>(no rows)</em></p>"
    records = json.loads(ast.literal_eval(result(cells["pandas-json"])))
    for record in records:
        assert set(record) == {"protocol", "local", "remote", "state", "process"}
        assert all(value is None or isinstance(value, str) for value in record.values())


def test_the_committed_notebook_has_no_outputs() -> None:
    # What is committed is the source: a run on the author's machine would publish that
    # machine's sockets and go stale.
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert {*PLOTS, "states", "listeners", "counters"} <= {cell.id for cell in notebook.cells}


def test_the_notebook_runs_on_this_host(tmp_path: Path) -> None:
    require_notebook_tools()
    check_shape(execute(tmp_path))


EXPECTED_STATES = {"ESTABLISHED": 8, "LISTEN": 3, "None": 1, "TIME_WAIT": 1}


def settled(pid: int) -> dict[str, int]:
    """The namespace's sockets per state, once the closed connection has reached
    TIME_WAIT on the client and is gone from the server (a few milliseconds)."""
    deadline = time.monotonic() + 10
    while True:
        counts = netstatlib.connections(backend=LinuxProcfs(pid=pid)).counts("state")
        seen = {str(state): count for state, count in counts.items()}
        if seen == EXPECTED_STATES or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


@pytest.mark.live
def test_the_notebook_shows_a_namespace_exactly(tmp_path: Path) -> None:
    require_notebook_tools()
    with netns.namespace("notebook") as ns:

        def holder(*args: str) -> Any:
            command = ns.exec_args(sys.executable, str(HOLDER), *args)
            return netns.spawned(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        with (
            holder("server", "webserver", "443", "--ipv6") as web,
            holder("server", "database", "5432") as database,
            holder("udp", "resolver", "5353") as resolver,
        ):
            for process in (web, database, resolver):
                assert netns.read_json_line(process) == {"ready": True}
            with holder("client", "client") as client:
                assert netns.read_json_line(client) == {"ready": True}
                assert settled(web.pid) == EXPECTED_STATES
                cells = execute(tmp_path, *ns.exec_args())

    check_shape(cells)
    # The kernel holds a socket of its own in the namespace: ipykernel's IOPub thread
    # listens on 127.0.0.1 for output from forked children, whatever the transport. It
    # is in the listing like any other; everything else is the holders' (or ownerless).
    holders = {web.pid, database.pid, resolver.pid, client.pid}
    lines = result(cells["sockets"]).splitlines()
    owners = [(OWNER.search(line), line) for line in lines[2:]]
    kernel = [line for match, line in owners if match and int(match[1]) not in holders]
    assert kernel, lines
    assert all(line.split()[3] == "LISTEN" and "127.0.0.1:" in line.split()[1] for line in kernel)
    kernel_owners = {OWNER.search(line)[2] for line in kernel}  # type: ignore[index]
    assert len(kernel_owners) == 1, kernel
    kernel_name, extra = kernel_owners.pop(), len(kernel)
    kernel_ports = {line.split()[1] for line in kernel}

    assert lines[0] == f"<Table: {13 + extra} Connection records>"
    html = result(cells["sockets"], "text/html")
    assert html.count("<tr>") == 1 + 13 + extra  # the header and every socket: nothing cut
    assert re.search(r"\d+/webserver<", html) and re.search(r"\d+/resolver<", html)

    states = {**EXPECTED_STATES, "LISTEN": 3 + extra}
    assert counted(result(cells["states"])) == states
    listeners = {"webserver": 2, "database": 1, "resolver": 1, kernel_name: extra}
    assert counted(result(cells["listeners"])) == listeners

    # Sorted by port, then address: IPv4 before IPv6.
    lines = result(cells["listeners-by-port"]).splitlines()[2:]
    assert [line.split()[1] for line in lines if line.split()[1] not in kernel_ports] == [
        "127.0.0.1:443",
        "[::1]:443",
        "127.0.0.1:5353",
        "127.0.0.1:5432",
    ]
    ports = [int(line.split()[1].rpartition(":")[2]) for line in lines]
    assert ports == sorted(ports)
    # The ss filter keeps the client's three connections to port 443.
    https = result(cells["ss-filter"]).splitlines()[2:]
    assert len(https) == 3 and all(line.split()[2].endswith(":443") for line in https)
    assert all(line.split()[-1].endswith("/client") for line in https)
    # The callable keeps every socket with a peer on loopback, sorted by the peer.
    peers = [line.split()[2] for line in result(cells["callable-filter"]).splitlines()[2:]]
    assert len(peers) == 9
    # Every peer is 127.0.0.1 or ::1: IPv4 first, then by port as a number.
    order = [(peer.startswith("["), int(peer.rpartition(":")[2])) for peer in peers]
    assert order == sorted(order) and order[0][0] is False and order[-1][0] is True

    groups = {
        tuple(match[:2]): int(match[2])
        for match in re.findall(
            r"(tcp|udp)?\s+(AF_INET6?)\s+(\d+)", result(cells["pandas-groupby"])
        )
    }
    assert groups == {("tcp", "AF_INET"): 9 + extra, ("", "AF_INET6"): 3, ("udp", "AF_INET"): 1}

    counters = result(cells["counters"], "text/html")
    assert 'colspan="2" style="text-align:left">Tcp</th>' in counters
    assert 'colspan="2" style="text-align:left">Udp</th>' in counters
    tcp = dict(line.split() for line in result(cells["counters-pandas"]).splitlines()[1:-1])
    assert tcp["ActiveOpens"] == "5" and tcp["PassiveOpens"] == "5"
