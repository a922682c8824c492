"""The Windows backend: runs ``netstat.exe`` and hands its output to the parsers.

Everything that touches the machine goes through one injectable function, ``run``, so
the whole backend (timeouts, a failing or missing ``netstat.exe``, an elevation refusal)
is tested on any OS with captured outputs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Collection, Mapping, Sequence

import attrs

from .._errors import (
    AccessDeniedError,
    CommandError,
    CommandTimeoutError,
    SourceNotFoundError,
    UnsupportedError,
)
from .._model import Connection, InterfaceStats, ProtocolStats, Route
from ..parsers import _win_connections, _win_routes, _win_stats
from ..parsers._wintext import decode
from ._capabilities import Capabilities
from ._tables import KINDS, SocketTable

__all__ = ["WINDOWS_CAPABILITIES", "Runner", "WindowsNetstat", "run_command"]

Runner = Callable[[Sequence[str], float], "bytes | str"]
"""``run(argv, timeout)``: run a command and return what it printed on stdout.

It raises what :func:`subprocess.run` raises: :class:`FileNotFoundError` when the program
does not exist, :class:`PermissionError` when it may not be run,
:class:`subprocess.TimeoutExpired` when it does not finish in ``timeout`` seconds and
:class:`subprocess.CalledProcessError` (with ``output``) when it exits non-zero."""

_SERVED = KINDS["inet"]  # Windows' netstat lists TCP and UDP, IPv4 and IPv6


WINDOWS_CAPABILITIES = Capabilities(
    tables=_SERVED,
    processes=True,
    fields={
        "connections": {
            "protocol",
            "family",
            "local",
            "remote",
            "state",
            "pids",
            "process",
            "state_text",
        },
        "routes": {
            "family",
            "destination",
            "gateway",
            "interface",
            "metric",
            "flags",
            "interface_address",
            "interface_index",
            "persistent",
        },
        # No "name": netstat -e gives one total over all interfaces (name=None).
        "interface_stats": {
            "rx_bytes",
            "rx_packets",
            "rx_errors",
            "rx_dropped",
            "tx_bytes",
            "tx_packets",
            "tx_errors",
            "tx_dropped",
            "rx_unicast_packets",
            "rx_non_unicast_packets",
            "tx_unicast_packets",
            "tx_non_unicast_packets",
            "rx_unknown_protocols",
        },
        "protocol_stats": {"group", "counters"},
    },
    notes="Runs netstat.exe (-ano, -rn, -e, -s), or reads its saved outputs: TCP and "
    "UDP sockets with their PIDs, names from psutil (or from the capture); interface "
    "counters are one total over all interfaces.",
)
"""What :class:`WindowsNetstat` answers."""


def run_command(argv: Sequence[str], timeout: float) -> bytes:
    """The default runner: :func:`subprocess.run` without a shell and without a window."""
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
    completed = subprocess.run(
        list(argv),
        capture_output=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        creationflags=flags,
    )
    if completed.returncode != 0:
        raise subprocess.CalledProcessError(
            completed.returncode, list(argv), output=completed.stdout, stderr=completed.stderr
        )
    return completed.stdout


def _default_executable() -> str:
    """``%SystemRoot%\\System32\\netstat.exe``: the system's own program, not whatever a
    ``netstat.exe`` earlier on ``PATH`` (or in the current folder) would be."""
    root = os.environ.get("SYSTEMROOT") or r"C:\Windows"
    return f"{root}\\System32\\netstat.exe"


def _oem_code_page() -> str | None:
    """The console's OEM code page (``GetOEMCP()``), in which netstat writes to a pipe."""
    if sys.platform != "win32":
        return None
    import ctypes

    kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009 (absent off Windows)
    return f"cp{int(kernel32.GetOEMCP())}"


ProcessNames = Callable[[Collection[int]], "Mapping[int, str | None]"]
"""``process_names(pids) -> {pid: name or None}``."""


def _process_names(pids: Collection[int]) -> dict[int, str | None]:
    """Names of the given processes through psutil; ``None`` for one that is gone or
    that the current user may not inspect."""
    import psutil

    names: dict[int, str | None] = {}
    for pid in pids:
        try:
            names[pid] = psutil.Process(pid).name()
        except (psutil.Error, OSError):
            names[pid] = None
    return names


@attrs.frozen(kw_only=True)
class WindowsNetstat:
    """Connections, routes and counters from Windows' ``netstat.exe``.

    ``run`` runs a command and returns its stdout (see :data:`Runner`; by default
    :func:`run_command`); ``timeout`` bounds each run in seconds; ``encoding`` forces
    how output bytes are decoded (by default UTF-16 with a byte order mark, UTF-8, or
    the console's OEM code page); ``executable`` is the program to run (by default
    ``%SystemRoot%\\System32\\netstat.exe``); ``bound=True`` adds ``-q`` so that TCP
    ports bound but neither listening nor connected are listed as ``BOUND`` (Windows 8
    and later print ``-q`` in their help). ``process_names`` maps PIDs to names (by
    default through psutil, on this machine; a capture read elsewhere passes the names
    it recorded).

    Queries run ``netstat -ano`` (``-anoq`` with ``bound``), ``-rn``, ``-e`` and ``-s``.
    Windows' netstat lists TCP and UDP only: UDP-Lite, raw and UNIX sockets are not
    available from it. PIDs come with every row (``-o``); process names come from
    psutil when ``processes=True``.
    """

    run: Runner | None = None
    timeout: float = 30.0
    encoding: str | None = None
    executable: str | None = None
    bound: bool = False
    process_names: ProcessNames | None = None
    name: str = attrs.field(default="windows", init=False)
    capabilities: Capabilities = attrs.field(default=WINDOWS_CAPABILITIES, init=False, eq=False)

    def _output(self, *arguments: str) -> str:
        program = self.executable if self.executable is not None else _default_executable()
        argv = (program, *arguments)
        runner = self.run if self.run is not None else run_command
        shown = " ".join(argv)
        try:
            output = runner(argv, self.timeout)
        except FileNotFoundError as exc:
            raise SourceNotFoundError(
                f"cannot run {program!r}: no such program (this backend needs Windows' "
                "netstat.exe; elsewhere, parse saved outputs with netstatlib.parsers.windows)",
                path=program,
            ) from exc
        except PermissionError as exc:
            raise AccessDeniedError(f"may not run {program!r}: {exc}", path=program) from exc
        except subprocess.TimeoutExpired as exc:
            raise CommandTimeoutError(
                f"{shown!r} did not finish within {self.timeout:g} s and was stopped",
                command=argv,
                output=self._text(exc.output, shown) if exc.output else None,
            ) from exc
        except subprocess.CalledProcessError as exc:
            text = self._text(exc.output, shown) if exc.output else ""
            if _win_connections.is_elevation_refusal(text):
                raise AccessDeniedError(
                    f"{shown!r}: {text.strip()} (run it from an administrator prompt)",
                    path=program,
                ) from exc
            first = next((line.strip() for line in text.splitlines() if line.strip()), "")
            detail = f": {first}" if first else ""
            raise CommandError(
                f"{shown!r} failed with exit status {exc.returncode}{detail}",
                command=argv,
                returncode=exc.returncode,
                output=text or None,
            ) from exc
        except OSError as exc:
            raise CommandError(f"cannot run {shown!r}: {exc}", command=argv) from exc
        return self._text(output, shown)

    def _text(self, output: bytes | str, source: str) -> str:
        if isinstance(output, str):
            return decode(output, source=source)
        return decode(output, self.encoding, source=source, code_page=_oem_code_page())

    def connections(
        self,
        tables: Collection[SocketTable],
        *,
        processes: bool = True,
        keep: Callable[[Connection], bool] | None = None,
    ) -> list[Connection]:
        wanted = _SERVED.intersection(tables)
        if not wanted:
            asked = ", ".join(sorted(f"{p.value}/{f.name}" for p, f in tables))
            raise UnsupportedError(
                f"Windows' netstat lists TCP and UDP sockets only, not {asked}; "
                "ask for kind='inet' (or 'tcp', 'udp')"
            )
        flags = "-anoq" if self.bound else "-ano"
        rows = _win_connections.parse_connections(self._output(flags), source=f"netstat {flags}")
        protocols = {protocol for protocol, _ in wanted}
        # A row whose family is unknown (both ends printed as names, which -n rules out)
        # is kept when its protocol is wanted rather than silently dropped.
        rows = [
            row
            for row in rows
            if (row.protocol, row.family) in wanted
            or (row.family is None and row.protocol in protocols)
        ]
        if keep is not None:
            rows = [row for row in rows if keep(row)]
        if not processes:
            return rows
        lookup = self.process_names if self.process_names is not None else _process_names
        names = lookup({row.pids[0] for row in rows if row.pids})
        return [
            attrs.evolve(row, process=names.get(row.pids[0])) if row.pids else row for row in rows
        ]

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        routes = _win_routes.parse_routes(self._output("-rn"), source="netstat -rn")
        if family is None:
            return routes
        return [route for route in routes if route.family == family]

    def interface_stats(self) -> list[InterfaceStats]:
        return _win_stats.parse_interface_stats(self._output("-e"), source="netstat -e")

    def protocol_stats(self) -> list[ProtocolStats]:
        return _win_stats.parse_protocol_stats(self._output("-s"), source="netstat -s")
