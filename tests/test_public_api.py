"""The public face: exactly the documented names, typed results, no psutil on import."""

from __future__ import annotations

import subprocess
import sys

import netstatlib

DOCUMENTED = {
    "KINDS",
    "AccessDeniedError",
    "CaptureManifest",
    "CommandError",
    "CommandTimeoutError",
    "Connection",
    "Counters",
    "Endpoint",
    "F",
    "Field",
    "FilterError",
    "InterfaceStats",
    "NameCache",
    "NamedEndpoint",
    "NetstatError",
    "ParseError",
    "Predicate",
    "Protocol",
    "ProtocolStats",
    "Route",
    "RouteFlags",
    "SourceNotFoundError",
    "Table",
    "TcpState",
    "UnsupportedError",
    "UsageError",
    "__version__",
    "audits",
    "capture_linux",
    "capture_windows",
    "compile_filter",
    "connections",
    "interface_stats",
    "listening",
    "open_capture",
    "protocol_stats",
    "read_manifest",
    "resolve_names",
    "routes",
    "windows_capture_runner",
}


def test_all_is_exactly_the_documented_names() -> None:
    assert set(netstatlib.__all__) == DOCUMENTED
    assert len(netstatlib.__all__) == len(DOCUMENTED)


def test_every_exported_name_exists_and_lives_in_a_private_module() -> None:
    for name in netstatlib.__all__:
        value = getattr(netstatlib, name)
        module = getattr(value, "__module__", None)
        if name in ("__version__", "F", "audits") or isinstance(value, dict):
            continue
        if module is not None:
            assert module.startswith("netstatlib._"), (name, module)


def test_backends_and_parsers_public_names() -> None:
    from netstatlib import backends, parsers
    from netstatlib.parsers import procfs, windows

    assert set(backends.__all__) >= {
        "Backend",
        "LinuxProcfs",
        "WindowsNetstat",
        "default_backend",
        "get_backend",
    }
    assert set(netstatlib.audits.__all__) == {
        "HALF_OPEN",
        "ON_ALL_INTERFACES",
        "TO_PUBLIC_ADDRESSES",
        "half_open_by_port",
    }
    assert parsers.__all__ == ["procfs", "windows"]
    for name in procfs.__all__:
        assert hasattr(procfs, name)
    assert set(windows.__all__) == {
        "ELEVATION_MESSAGES",
        "OEM_CODE_PAGES",
        "WindowsInterface",
        "decode",
        "is_elevation_refusal",
        "parse_connections",
        "parse_interface_list",
        "parse_interface_stats",
        "parse_protocol_stats",
        "parse_routes",
        "service_port",
    }
    for name in windows.__all__:
        assert hasattr(windows, name)


def test_py_typed_is_shipped() -> None:
    from importlib.resources import files

    assert files("netstatlib").joinpath("py.typed").is_file()


def test_error_tree_matches_builtins() -> None:
    assert issubclass(netstatlib.ParseError, ValueError)
    assert issubclass(netstatlib.UsageError, ValueError)
    assert issubclass(netstatlib.FilterError, netstatlib.UsageError)
    assert issubclass(netstatlib.UnsupportedError, NotImplementedError)
    assert issubclass(netstatlib.AccessDeniedError, PermissionError)
    assert issubclass(netstatlib.SourceNotFoundError, FileNotFoundError)
    for error in (
        netstatlib.ParseError,
        netstatlib.UsageError,
        netstatlib.UnsupportedError,
        netstatlib.AccessDeniedError,
        netstatlib.SourceNotFoundError,
    ):
        assert issubclass(error, netstatlib.NetstatError)
    assert not issubclass(netstatlib.ParseError, netstatlib.UsageError)


def test_import_does_not_import_psutil_on_linux() -> None:
    code = "import sys, netstatlib; print('psutil' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_does_not_load_the_windows_parsers_on_linux() -> None:
    code = (
        "import sys, netstatlib; "
        "print(sorted(m for m in sys.modules if m.startswith('netstatlib') and "
        "('win' in m or m.endswith(('_capture', '_captured', '_resolve')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    # ...and they load on first use.
    code = (
        "import netstatlib.parsers as p, netstatlib.backends as b; "
        "print(p.windows.__name__, b.WindowsNetstat.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["netstatlib.parsers.windows", "WindowsNetstat"]
