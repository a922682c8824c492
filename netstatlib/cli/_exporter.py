"""``netstatlib exporter``: serve Prometheus metrics on ``/metrics``.

Read with the command's own grammar (:class:`~._grammar.LongOptions`, any unique prefix
of a long option). Before it listens, the command gathers once, so that a bad
configuration (a field pattern that is not a regular expression or matches no counter,
a namespace that cannot be read, a port in use) is one line on stderr and exit status
1 (2 for a bad command line), never a traceback. Needs ``netstatlib[prometheus]``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence

import attrs

from .._errors import NetstatError
from .._text import safe_text
from ._grammar import PROG, CommandLineError, LongOptions, Words

__all__ = ["EXPORTER_HELP", "ExporterCommand", "parse_exporter_args", "run_exporter"]

COMMAND = "exporter"
_OPTIONS = LongOptions(
    flags=("no-processes", "no-tcp-info", "help"),
    valued=("listen", "pid", "protocol-fields", "max-listeners", "max-syn-ports"),
)


@attrs.frozen(kw_only=True)
class ExporterCommand:
    """What ``netstatlib exporter`` is asked to do."""

    host: str = "127.0.0.1"
    port: int = 9977
    pid: int | None = None
    protocol_fields: str | None = None
    max_listeners: int | None = None
    max_syn_ports: int | None = None
    processes: bool = True
    tcp_info: bool = True
    help: bool = False


def _number(option: str, value: str, *, least: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = least - 1
    if number < least:
        raise CommandLineError(f"--{option} takes a whole number of {least} or more, not {value!r}")
    return number


def _listen(value: str) -> tuple[str, int]:
    host, colon, port = value.rpartition(":")
    if not colon or not host:
        raise CommandLineError(f"--listen takes HOST:PORT (127.0.0.1:9977), not {value!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    number = _number("listen", port, least=0)
    if number > 65535:
        raise CommandLineError(f"--listen: {number} is not a port (0 to 65535)")
    return host, number


def parse_exporter_args(argv: Sequence[str]) -> ExporterCommand:
    """Parse ``exporter [options]``; raises :class:`~netstatlib.cli.CommandLineError`."""
    words = Words(argv[1:])
    values: dict[str, object] = {}
    try:
        while words:
            word = words.take()
            if word in ("-h", "--help"):
                values["help"] = True
                continue
            if not word.startswith("--"):
                raise CommandLineError(f"unexpected argument {safe_text(word)!r} (see --help)")
            option, value = _OPTIONS.read(word, words)
            if value is None:
                key = {"no-processes": "processes", "no-tcp-info": "tcp_info"}.get(option)
                values[key or option] = key is None
            elif option == "listen":
                values["host"], values["port"] = _listen(value)
            elif option == "pid":
                values["pid"] = _number(option, value, least=1)
            elif option == "protocol-fields":
                values["protocol_fields"] = value
            else:
                values[option.replace("-", "_")] = _number(option, value, least=0)
    except CommandLineError as exc:
        raise CommandLineError(f"{COMMAND}: {safe_text(str(exc))}") from None
    return ExporterCommand(**values)  # type: ignore[arg-type]


def _fail(message: str) -> int:
    print(f"{PROG}: {COMMAND}: {safe_text(message)}", file=sys.stderr, flush=True)
    return 1


def run_exporter(argv: Sequence[str]) -> int:
    """Run ``netstatlib exporter``: 0 when stopped (Ctrl-C, SIGTERM), 1 for a bad
    configuration, 2 for a bad command line."""
    try:
        command = parse_exporter_args(argv)
    except CommandLineError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    if command.help:
        print(EXPORTER_HELP.rstrip("\n"))
        return 0
    try:
        from prometheus_client import CollectorRegistry, start_http_server
    except ImportError:
        return _fail("needs prometheus_client: pip install 'netstatlib[prometheus]'")
    from ..backends import LinuxProcfs
    from ..exporters import ExporterOptions, SharedCollection
    from ..exporters._collect import PARTS
    from ..exporters.prometheus import NetstatCollector

    settings: dict[str, object] = {"processes": command.processes}
    if not command.tcp_info:
        settings["tcp_info"] = False
    for name in ("protocol_fields", "max_listeners", "max_syn_ports"):
        if getattr(command, name) is not None:
            settings[name] = getattr(command, name)
    try:
        if command.pid is not None:
            if not os.path.exists(f"/proc/{command.pid}/ns/net"):
                return _fail(f"no process {command.pid}: its network namespace cannot be read")
            settings["backend"] = LinuxProcfs(pid=command.pid)
        options = ExporterOptions(**settings)  # type: ignore[arg-type]
        first = SharedCollection(options)()
    except NetstatError as exc:
        return _fail(str(exc))
    if len(first.errors) == len(PARTS):
        return _fail(first.errors["connections"])
    if command.protocol_fields is not None and not first.protocols and not first.errors:
        return _fail(
            f"--protocol-fields {command.protocol_fields!r} matches none of the protocol "
            "counters here (they are named Group_Counter: Tcp_ActiveOpens, TcpExt_ListenDrops)"
        )
    last_errors: dict[str, str] = {}

    def report(errors: dict[str, str]) -> None:
        nonlocal last_errors
        if errors != last_errors:  # say each failure once, not at every scrape
            for part, message in sorted(errors.items()):
                print(f"{PROG}: {COMMAND}: {part}: {safe_text(message)}", file=sys.stderr)
            last_errors = errors

    registry = CollectorRegistry(auto_describe=False)
    registry.register(NetstatCollector(options, on_errors=report))
    try:
        server, _thread = start_http_server(command.port, addr=command.host, registry=registry)
    except OSError as exc:
        return _fail(f"cannot listen on {command.host}:{command.port}: {exc.strerror or exc}")
    shown = f"[{command.host}]" if ":" in command.host else command.host
    print(f"{PROG}: {COMMAND}: serving http://{shown}:{server.server_port}/metrics", flush=True)
    stop = threading.Event()
    try:
        import signal

        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    server.shutdown()
    return 0


EXPORTER_HELP = """\
usage: netstatlib exporter [--listen HOST:PORT] [--pid PID]
                           [--protocol-fields REGEX] [--max-listeners N]
                           [--max-syn-ports N] [--no-processes] [--no-tcp-info]

Serve this host's connections, listeners, half-open connections, interface and
protocol counters as Prometheus metrics on http://HOST:PORT/metrics.

  --listen HOST:PORT       where to listen (default 127.0.0.1:9977: this host
                           only; 0.0.0.0:9977 for every address, [::1]:9977)
  --pid PID                serve the network namespace of this process
  --protocol-fields REGEX  the protocol counters to export, searched in
                           Group_Counter (default: node_exporter's netstat
                           fields; '.' for all)
  --max-listeners N        at most N listener series (default 500)
  --max-syn-ports N        at most N ports' half-open series (default 50)
  --no-processes           do not name the process of each listener
  --no-tcp-info            do not sum tcp_info over the TCP connections
  -h, --help               this help

Long options may be shortened to any unique prefix. docs/fleet.md lists the
metrics. Exit status: 0 stopped, 1 a bad configuration, 2 a bad command line.
"""
