"""Execute a notebook with nbclient and write the executed copy: ``run_notebook.py IN OUT``.

Run as a separate process so that a test can start it inside a network namespace
(``ip netns exec NAME python run_notebook.py ...``): the kernel it starts inherits the
namespace. The kernel talks to this process over UNIX sockets (ZeroMQ's ``ipc``
transport) in the working directory, not over TCP, so that the notebook's listing of
the namespace's sockets holds only the sockets the test made. A cell that raises makes
this exit non-zero with the error on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

CELL_TIMEOUT = 120  # seconds; the first import of matplotlib builds its font cache


def execute(source: Path, target: Path, workdir: Path) -> None:
    notebook = nbformat.read(source, as_version=4)
    # The connection file in the working directory too: left to itself, jupyter_client
    # writes one to /tmp and does not always remove it.
    manager = KernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(workdir / "kernel"),
        connection_file=str(workdir / "kernel.json"),
    )
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    nbformat.write(notebook, target)


if __name__ == "__main__":
    execute(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
