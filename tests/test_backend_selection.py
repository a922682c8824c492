"""Backend selection: the default per OS, NETSTATLIB_BACKEND, names, available()."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

import netstatlib
from netstatlib import UnsupportedError, UsageError
from netstatlib.backends import (
    BACKEND_NAMES,
    ENVIRONMENT_VARIABLE,
    QUERIES,
    Backend,
    Capabilities,
    LinuxProcfs,
    available,
    default_backend,
    get_backend,
)
from netstatlib.backends._capabilities import RECORD_TYPES

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize(
    ("platform", "name"),
    [("linux", "linux"), ("win32", "windows"), ("darwin", "psutil"), ("freebsd14", "psutil")],
)
def test_one_default_per_os(monkeypatch: pytest.MonkeyPatch, platform: str, name: str) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert default_backend().name == name


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_the_environment_variable_overrides_the_default(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, f" {name.upper()} ")
    assert default_backend().name == name
    assert get_backend(None).name == name


def test_a_bad_environment_variable_says_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "solaris")
    with pytest.raises(UsageError, match=rf"'solaris' in {ENVIRONMENT_VARIABLE}.*linux"):
        netstatlib.routes()


def test_backend_takes_a_name_or_an_instance() -> None:
    for name in BACKEND_NAMES:
        backend = get_backend(name)
        assert backend.name == name
        assert isinstance(backend, Backend)
    instance = LinuxProcfs()
    assert get_backend(instance) is instance
    with pytest.raises(UsageError, match="known backends"):
        get_backend("nope")
    with pytest.raises(UsageError, match=r"name .* or a backend object"):
        get_backend(42)  # type: ignore[arg-type]


def test_available_says_where_the_linux_backend_reads_sockets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("The Linux backend's engines (netlink, /proc) exist on Linux only.")
    (linux,) = [info for info in available() if info.name == "linux"]
    assert linux.note == "sockets from the kernel's socket diagnostics (netlink sock_diag)"

    def refused() -> None:
        raise PermissionError(1, "Operation not permitted")

    # A seccomp filter or a kernel without sock_diag refuses the socket: /proc text, and why.
    monkeypatch.setattr("netstatlib.backends._netlink._new_socket", refused)
    (linux,) = [info for info in available() if info.name == "linux"]
    assert linux.usable and linux.note == (
        "sockets from /proc/net text: netlink is not available here: the kernel refused a "
        "NETLINK_SOCK_DIAG socket: Operation not permitted"
    )
    assert [info.note for info in available() if info.name != "linux"] == [None, None]


def test_available_reports_every_builtin_backend_and_what_it_gives() -> None:
    report = available()
    assert [info.name for info in report] == list(BACKEND_NAMES)
    by_name = {info.name: info for info in report}
    assert by_name["linux"].usable and by_name["linux"].is_default
    assert by_name["linux"].reason is None
    assert not by_name["windows"].usable
    assert "Windows" in (by_name["windows"].reason or "")
    assert by_name["psutil"].usable
    assert sum(info.is_default for info in report) == 1
    for info in report:
        assert isinstance(info.capabilities, Capabilities)
        assert info.capabilities.queries  # every backend answers something


def test_declared_fields_exist_on_the_records() -> None:
    for info in available():
        for query, names in info.capabilities.fields.items():
            assert query in QUERIES
            record_fields = {field.name for field in attrs.fields(RECORD_TYPES[query])}
            assert names <= record_fields, (info.name, query, names - record_fields)


FIXTURES = Path(__file__).parent / "fixtures"


def windows_outputs() -> dict[str, bytes]:
    """Real outputs of netstat -anob, route print, -e and -s, as a capture holds them."""
    windows = FIXTURES / "windows"
    return {
        "netstat-ano.txt": (windows / "connections" / "win10_en_netstat-anob.txt").read_bytes(),
        "netstat-rn.txt": (windows / "routes" / "win10_en_active_persistent.txt").read_bytes(),
        "netstat-e.txt": (windows / "stats" / "win10_en_netstat-e_lf.txt").read_bytes(),
        "netstat-s.txt": (windows / "stats" / "win10_en_netstat-s_utf16le.txt").read_bytes(),
    }


def linux_files() -> dict[str, bytes]:
    sockets = FIXTURES / "linux" / "sockets"
    return {
        f"net/{path.name}": path.read_bytes()
        for path in sockets.iterdir()
        if path.is_file() and path.suffix == ""
    }


def every_backend() -> dict[str, Callable[[], Backend]]:
    """Every backend netstatlib ships, each reading something real: this host for the
    ones that run here, captured outputs for the Windows one, captured text for the fake."""
    from netstatlib.backends import CapturedText, Psutil, WindowsNetstat

    outputs = windows_outputs()
    by_flags = {"-ano": "netstat-ano.txt", "-rn": "netstat-rn.txt", "-e": "netstat-e.txt",
                "-s": "netstat-s.txt"}  # fmt: skip
    return {
        "linux": LinuxProcfs,
        "psutil": Psutil,
        "windows": lambda: WindowsNetstat(
            run=lambda argv, timeout: outputs[by_flags[argv[1]]],
            process_names=lambda pids: dict.fromkeys(pids, "svchost.exe"),
        ),
        "captured-linux": lambda: CapturedText(linux_files()),
        "captured-windows": lambda: CapturedText(outputs),
    }


def test_the_drift_test_covers_every_builtin_backend() -> None:
    assert set(BACKEND_NAMES) <= set(every_backend())


@pytest.mark.parametrize("name", list(every_backend()))
def test_records_fill_only_declared_fields(name: str) -> None:
    """A backend's records fill no field its capabilities leave out, and a query it does
    not declare raises UnsupportedError: the support matrix cannot drift from the code."""
    backend = every_backend()[name]()
    fields = backend.capabilities.fields
    kind = "all" if backend.capabilities.tables >= netstatlib.KINDS["all"] else "inet"
    queries = {
        "connections": lambda: netstatlib.connections(kind, backend=backend),
        "routes": lambda: netstatlib.routes(backend=backend),
        "interface_stats": lambda: netstatlib.interface_stats(backend=backend),
        "protocol_stats": lambda: netstatlib.protocol_stats(backend=backend),
    }
    answered = 0
    for query, run in queries.items():
        if query not in fields:
            with pytest.raises(UnsupportedError):
                run()
            continue
        records = run()
        answered += bool(records)
        for record in records:
            filled = {
                f.name for f in attrs.fields(type(record)) if getattr(record, f.name) is not None
            }
            assert filled <= fields[query], (query, filled - fields[query])
    assert answered  # something was read and checked


def test_the_support_matrix_page_is_generated_from_the_declarations() -> None:
    sys.path.insert(0, str(DOCS))
    try:
        from _support_matrix import render  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(DOCS))
    text = render()
    assert "<!-- support-matrix -->" in (DOCS / "support.md").read_text()
    for info in available():
        assert f"`{info.name}`" in text
    # One row per field of each record; a cell says whether that backend fills it.
    row = next(line for line in text.splitlines() if line.startswith("| `interface_address`"))
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    assert cells == [
        "yes" if info.capabilities.supports("routes", "interface_address") else "-"
        for info in available()
    ]
    row = next(line for line in text.splitlines() if line.startswith("| `states`"))
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    assert cells == ["yes" if "states" in info.capabilities.hints else "-" for info in available()]


def test_the_fake_backend_example_in_the_docs_runs() -> None:
    page = (DOCS / "writing-a-backend.md").read_text()
    blocks = re.findall(
        r"```python\n((?:(?!```).)*)```\n\n```text\n((?:(?!```).)*)```", page, re.DOTALL
    )
    code, expected = next((c, e) for c, e in blocks if "class StaticBackend" in c)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "writing-a-backend.md", "exec"), {"__name__": "docs_example"})
    assert output.getvalue() == expected


def test_the_source_example_in_the_docs_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SSH source of writing-a-backend.md, with ssh answered from a fixture."""
    sockets = FIXTURES / "linux" / "sockets"

    def ssh(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        command, path = argv[2], Path(argv[3].replace("/proc/net", str(sockets)))
        if command == "ls":
            names = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
            return subprocess.CompletedProcess(
                argv, 0 if path.is_dir() else 2, "\n".join(names).encode()
            )
        if path.is_file():
            return subprocess.CompletedProcess(argv, 0, path.read_bytes())
        return subprocess.CompletedProcess(argv, 1, b"")

    page = (DOCS / "writing-a-backend.md").read_text()
    code = next(block for block in re.findall(r"```python\n(.*?)```", page, re.DOTALL)
                if "class SshProc" in block)  # fmt: skip
    monkeypatch.setattr(subprocess, "run", ssh)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "writing-a-backend.md", "exec"), {"__name__": "docs_example"})
    expected = netstatlib.routes(
        backend=LinuxProcfs(
            source=netstatlib.backends.MemorySource(
                {f"net/{name}": (sockets / name).read_bytes() for name in ("route", "ipv6_route")}
            )
        )
    )
    assert output.getvalue() == f"{expected}\n"
