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

from .._capture_format import (
    PROCESSES_FILE,
    WINDOWS_COMMANDS,
    CaptureManifest,
    now,
    optional_manifest,
    process_map_from,
    process_map_json,
    staged,
    windows_file,
    windows_file_names,
)
from .._errors import (
    AccessDeniedError,
    CommandError,
    CommandTimeoutError,
    ParseError,
    SourceNotFoundError,
    UnsupportedError,
)
from .._model import Connection, InterfaceStats, ProtocolStats, Route
from .._sources import Source
from .._tables import KINDS
from ..parsers import _win_connections, _win_routes, _win_stats
from ..parsers._wintext import decode
from ._capabilities import Capabilities
from ._socket_query import SocketQuery

__all__ = [
    "WINDOWS_CAPABILITIES",
    "ProcessNames",
    "Runner",
    "WindowsNetstat",
    "run_command",
    "saved_output_runner",
]

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
            # Filled when the saved output has them: printed names (no -n) and the
            # lines of -b above each [program.exe].
            "local_name",
            "remote_name",
            "components",
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
    hints={"process_free"},
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
    """What runs a command and returns its stdout (see
    :data:`~netstatlib.backends.Runner`); ``None``: run it here, without a shell or a
    window."""
    timeout: float = 30.0
    """Seconds each run of ``netstat`` may take before it is stopped and
    :class:`~netstatlib.CommandTimeoutError` is raised."""
    encoding: str | None = None
    """How output bytes are decoded; ``None``: recognised (UTF-16 with a byte order
    mark, UTF-8, or the console's OEM code page)."""
    executable: str | None = None
    """The program to run; ``None``: ``%SystemRoot%\\System32\\netstat.exe``."""
    bound: bool = False
    """Whether to add ``-q``, so that TCP ports bound but neither listening nor
    connected are listed as ``BOUND`` (Windows 8 and later)."""
    process_names: ProcessNames | None = None
    """What maps PIDs to program names (``{pid: name or None}``); ``None``: psutil, on
    this machine. A capture read elsewhere passes the names it recorded."""
    name: str = attrs.field(default="windows", init=False)
    """The backend's name, as ``backend=`` and ``NETSTATLIB_BACKEND`` take it."""
    capabilities: Capabilities = attrs.field(default=WINDOWS_CAPABILITIES, init=False, eq=False)
    """TCP and UDP over IPv4 and IPv6 with owning PIDs, routes, one total of interface
    counters and the protocol counters Windows' ``netstat -s`` prints."""

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

    def _process_names(self, pids: Collection[int]) -> Mapping[int, str | None]:
        """Names of processes: the ones given (a capture's), else psutil's, here."""
        lookup = self.process_names if self.process_names is not None else _process_names
        return lookup(pids)

    def _text(self, output: bytes | str, source: str) -> str:
        if isinstance(output, str):
            return decode(output, source=source)
        return decode(output, self.encoding, source=source, code_page=_oem_code_page())

    def connections(self, query: SocketQuery) -> list[Connection]:
        """The rows of ``netstat -ano`` of the query's tables; process names are looked
        up only for the rows that pass the query's early test."""
        wanted = _SERVED.intersection(query.tables)
        if not wanted:
            asked = ", ".join(sorted(f"{p.value}/{f.name}" for p, f in query.tables))
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
        keep = query.early_test()
        if keep is not None:
            rows = [row for row in rows if keep(row)]
        if not query.processes:
            return rows
        names = self._process_names({row.pids[0] for row in rows if row.pids})
        return [
            attrs.evolve(row, process=names.get(row.pids[0])) if row.pids else row for row in rows
        ]

    def routes(self, family: socket.AddressFamily | None = None) -> list[Route]:
        """The routes of ``netstat -rn`` (active and persistent, IPv4 and IPv6), or only
        those of ``family``."""
        routes = _win_routes.parse_routes(self._output("-rn"), source="netstat -rn")
        if family is None:
            return routes
        return [route for route in routes if route.family == family]

    def interface_stats(self) -> list[InterfaceStats]:
        """One record from ``netstat -e``: the total over all interfaces
        (``name=None``)."""
        return _win_stats.parse_interface_stats(self._output("-e"), source="netstat -e")

    def protocol_stats(self) -> list[ProtocolStats]:
        """The counter groups of ``netstat -s`` (``Ip``, ``Ip6``, ``Icmp``, ``IcmpMsg``,
        ``Icmp6``, ``Tcp``, ``Tcp6``, ``Udp``, ``Udp6``), under the names Linux uses for
        the same counters (see
        :func:`~netstatlib.parsers.windows.parse_protocol_stats`)."""
        return _win_stats.parse_protocol_stats(self._output("-s"), source="netstat -s")

    # -- captures --------------------------------------------------------------------

    def capture(self, folder: str | os.PathLike[str], *, processes: bool = True) -> CaptureManifest:
        """Run ``netstat -ano``, ``-rn``, ``-e`` and ``-s`` as queries do (same program,
        timeout and error translation; ``-anoq`` with ``bound``) and save each output's
        raw bytes as ``netstat-ano.txt``, ``netstat-rn.txt``, ``netstat-e.txt`` and
        ``netstat-s.txt`` in the new folder ``folder``, with ``manifest.json``. With
        ``processes``, the names of the processes the ``-ano`` rows name are looked up
        as a query would and saved in ``processes.json``.

        Read the folder back with :func:`~netstatlib.open_capture`. ``folder`` must not
        exist, or be an empty folder; it is written atomically. Returns the manifest.
        """
        runner = self.run if self.run is not None else run_command
        outputs: list[bytes | str] = []

        def recording(argv: Sequence[str], limit: float) -> bytes | str:
            output = runner(argv, limit)
            outputs.append(output)
            return output

        recorder = attrs.evolve(self, run=recording)
        program = self.executable if self.executable is not None else _default_executable()
        commands = ("-anoq" if self.bound else "-ano", *WINDOWS_COMMANDS[1:])
        created = now()
        with staged(folder) as staging:
            texts: dict[str, str] = {}
            for flags in commands:
                outputs.clear()
                # Through the query path, so that errors are those of a query (timeout,
                # no netstat.exe, an elevation refusal), and the text is the one a query
                # sees.
                texts[flags] = recorder._output(flags)
                (output,) = outputs
                raw = output.encode("utf-8") if isinstance(output, str) else bytes(output)
                staging.write(windows_file([flags]), raw)
            captured_processes = False
            if processes:
                try:
                    rows = _win_connections.parse_connections(
                        texts[commands[0]], source=f"netstat {commands[0]}"
                    )
                except ParseError:
                    rows = None  # the raw output is saved; names cannot be matched to it
                if rows is not None:
                    pids = sorted({owner for row in rows for owner in row.pids or ()})
                    names = dict(self._process_names(pids))
                    staging.write(PROCESSES_FILE, process_map_json(names, None))
                    captured_processes = True
            # Last, and inside the block: the folder is published when the block ends.
            return staging.write_manifest(
                kind="windows",
                created=created,
                byteorder=None,
                executable=program,
                code_page=_oem_code_page(),
                processes=captured_processes,
            )

    @classmethod
    def recognises_capture(cls, source: Source) -> bool:
        """Whether a source without a manifest holds saved ``netstat`` outputs
        (``netstat-*.txt`` or ``route-print.txt``)."""
        return any(
            (name.startswith("netstat-") and name.endswith(".txt")) or name == "route-print.txt"
            for name in source.listdir()
        )

    @classmethod
    def open_capture(cls, source: Source) -> WindowsNetstat:
        """The backend answering every query from saved outputs: each ``netstat``
        invocation is answered by :func:`saved_output_runner`, process names come from
        the capture's ``processes.json`` (never from this machine, where its pids mean
        other processes)."""
        manifest = optional_manifest(source)
        code_page = manifest.code_page if manifest is not None else None

        def names(pids: Collection[int]) -> dict[int, str | None]:
            captured = process_map_from(source)
            known = captured.names if captured is not None else {}
            return {pid: known.get(pid) for pid in pids}

        return cls(run=saved_output_runner(source, code_page=code_page), process_names=names)


def saved_output_runner(source: Source, *, code_page: str | None = None) -> Runner:
    """A :data:`Runner` that answers each ``netstat`` invocation from saved outputs in
    ``source`` instead of running anything.

    ``netstat -ano`` is answered by ``netstat-ano.txt``, ``-rn`` by ``netstat-rn.txt``
    (or ``netstat-r.txt``, or ``route-print.txt``), ``-e`` by ``netstat-e.txt``, ``-s``
    by ``netstat-s.txt``: the files :meth:`WindowsNetstat.capture` writes, or that anyone
    can save by hand (``netstat -ano > netstat-ano.txt``; any encoding netstat or a shell
    writes). A missing file raises :class:`~netstatlib.UnsupportedError` when its query
    runs. ``code_page``, the capturing host's OEM code page when it is known, decodes
    the output as the live query did there.
    """

    def run(argv: Sequence[str], timeout: float) -> bytes | str:
        arguments = list(argv[1:])
        names = windows_file_names(arguments)
        for name in names:
            data = source.read(name, optional=True)
            if data is None:
                continue
            if code_page is None:
                return data
            return decode(data, source=source.location(name), code_page=code_page)
        command = " ".join(["netstat", *arguments])
        raise UnsupportedError(
            f"{source.name} holds no output of {command!r} (looked for {', '.join(names)}); "
            "that query cannot be answered from this capture"
        )

    return run
