"""Snapshots built by hand for the monitoring tests: ``shot(connections=[...])``."""

from __future__ import annotations

import contextlib
import datetime
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import netstatlib
from netstatlib import KINDS, Connection, InterfaceStats, ProtocolStats, Route, Snapshot, Table

T0 = datetime.datetime(2024, 5, 1, 10, 0, 0, tzinfo=datetime.timezone.utc)
BOOT = "boot-6f0c1b52-8e3a-4a7e-9d7e-2f1c0a9b8c7d"


def shot(
    *,
    connections: Iterable[Connection] | None = None,
    routes: Iterable[Route] | None = None,
    interfaces: Iterable[InterfaceStats] | None = None,
    protocols: Iterable[ProtocolStats] | None = None,
    seconds: float = 0.0,
    clock_id: str | None = BOOT,
    kind: str = "all",
    **fields: Any,
) -> Snapshot:
    """A snapshot ``seconds`` after :data:`T0` (monotonic reading 1000 + ``seconds``)."""
    values: dict[str, Any] = {
        "taken_at": T0 + datetime.timedelta(seconds=seconds),
        "monotonic": 1000.0 + seconds,
        "clock_id": clock_id,
        "host": "lab",
        "backend": "linux",
        "counter_width": 64,
        "socket_tables": KINDS[kind] if connections is not None else None,
        "processes": True,
        "details": False,
        "connections": None if connections is None else Table(connections),
        "routes": None if routes is None else Table(routes),
        "interfaces": None if interfaces is None else Table(interfaces),
        "protocols": None if protocols is None else Table(protocols),
        "complete": True,
    }
    values.update(fields)
    return Snapshot(**values)


def interface(name: str | None, **counters: Any) -> InterfaceStats:
    """Interface counters, all 0 but those given."""
    values: dict[str, Any] = dict.fromkeys(
        ("rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
         "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"), 0
    )  # fmt: skip
    values.update(
        dict.fromkeys(
            ("rx_fifo_errors", "rx_frame_errors", "rx_compressed", "multicast",
             "tx_fifo_errors", "collisions", "tx_carrier_errors", "tx_compressed"),
        )
    )  # fmt: skip
    values.update(counters)
    return InterfaceStats(name=name, **values)


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@contextlib.contextmanager
def readable_copy() -> Iterator[Path]:
    """A folder that the unprivileged user 65534 can read, holding copies of netstatlib
    and what it imports on Linux (this checkout, or the virtualenv, may sit where that
    user cannot read): put it first on ``sys.path`` of a process run as that user."""
    import attr
    import attrs
    import netaddr

    folder = Path(tempfile.mkdtemp(prefix="nsl-readable-"))
    try:
        folder.chmod(0o755)
        ignore = shutil.ignore_patterns("__pycache__")
        for module in (netstatlib, attr, attrs, netaddr):
            source = Path(module.__file__).parent  # type: ignore[arg-type]
            shutil.copytree(source, folder / source.name, ignore=ignore)
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
