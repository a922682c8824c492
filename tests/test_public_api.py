"""The public face: exactly the documented names, typed results, no psutil on import."""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import subprocess
import sys
import types
from collections.abc import Iterator

import attrs
import pytest

import netstatlib

DOCUMENTED = {
    "watch",
    "Sample",
    "snapshot",
    "rates",
    "load_snapshot",
    "diff",
    "counter_kind",
    "connection_identity",
    "SnapshotDiff",
    "Snapshot",
    "Rates",
    "ProtocolRate",
    "ProcessRate",
    "PerSecond",
    "InterfaceRate",
    "CounterKind",
    "ConnectionRate",
    "Change",
    "PROTOCOL_GAUGES",
    "INTERFACE_FIELD_KINDS",
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
    "GroupCounts",
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
    "SocketDetails",
    "SocketMemory",
    "SocketTimer",
    "SourceNotFoundError",
    "Table",
    "TcpInfo",
    "TcpState",
    "UnsupportedError",
    "UsageError",
    "__version__",
    "audits",
    "backends",
    "capture_linux",
    "capture_windows",
    "compile_filter",
    "connections",
    "filters",
    "interface_stats",
    "listening",
    "open_capture",
    "parsers",
    "protocol_stats",
    "read_manifest",
    "resolve_names",
    "routes",
    "windows_capture_runner",
}


def test_all_is_exactly_the_documented_names() -> None:
    assert set(netstatlib.__all__) == DOCUMENTED
    assert len(netstatlib.__all__) == len(DOCUMENTED)


# Public modules of the package: importable by name, listed in __all__ where the package
# itself imports them.
SUBMODULES = {"audits", "backends", "cli", "exporters", "filters", "parsers"}


def public_names(module: types.ModuleType) -> set[str]:
    """Every name a module shows without an underscore, lazily loaded ones included, as
    httpx's tests/test_exported_members.py derives them (and not from a list)."""
    names = {name for name in vars(module) if not name.startswith("_")}
    names |= {name for name in dir(module) if not name.startswith("_")}
    for name in list(names):
        getattr(module, name)  # a lazy name must load
    return names


def test_every_public_name_is_exported_and_nothing_leaks() -> None:
    # Load everything first: lazy names and submodules become attributes of the package.
    for name in netstatlib.__all__:
        getattr(netstatlib, name)
    importlib.import_module("netstatlib.cli")

    shown = public_names(netstatlib)
    leaked = shown - set(netstatlib.__all__) - SUBMODULES
    assert leaked == set()  # e.g. importlib, Any, TYPE_CHECKING, annotations
    assert set(netstatlib.__all__) - {"__version__"} <= shown
    assert sorted(dir(netstatlib)) == dir(netstatlib)
    assert {"capture_linux", "resolve_names", "NameCache"} <= set(dir(netstatlib))


@pytest.mark.parametrize("name", ["backends", "exporters", "filters", "parsers", "parsers.windows"])
def test_public_subpackages_export_exactly_their_names(name: str) -> None:
    module = importlib.import_module(f"netstatlib.{name}")
    shown = public_names(module)
    modules = {n for n in shown if isinstance(getattr(module, n), types.ModuleType)}
    assert shown - modules == set(module.__all__) - modules, name


def test_every_exported_name_exists_and_lives_in_a_private_module() -> None:
    for name in netstatlib.__all__:
        value = getattr(netstatlib, name)
        module = getattr(value, "__module__", None)
        if name in ("__version__", "F", *SUBMODULES) or isinstance(value, dict):
            continue
        if module is not None:
            assert module.startswith(("netstatlib._", "netstatlib.filters._")), (name, module)


def test_kinds_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        netstatlib.KINDS["tcp"] = frozenset()  # type: ignore[index]
    assert (
        netstatlib.KINDS["tcp"]
        == netstatlib.backends.SocketQuery.plan(netstatlib.KINDS["tcp"]).tables
    )


_MUTABLE = (dict, list, set, bytearray)


def _mutable_containers(value: object, path: str, seen: set[int]) -> Iterator[str]:
    """Where a user could change ``value`` in place: the paths of the mutable containers
    in it, down through tuples, frozensets and read-only mappings, the public class
    attributes of netstatlib's classes and the fields of netstatlib's attrs values."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, _MUTABLE):
        yield f"{path} ({type(value).__name__})"
    elif isinstance(value, (tuple, frozenset)):
        for index, item in enumerate(value):
            yield from _mutable_containers(item, f"{path}[{index}]", seen)
    elif isinstance(value, types.MappingProxyType):
        for key, item in value.items():
            yield from _mutable_containers(key, f"{path} (a key)", seen)
            yield from _mutable_containers(item, f"{path}[{key!r}]", seen)
    elif isinstance(value, type):
        if not value.__module__.startswith("netstatlib") or issubclass(value, enum.Enum):
            return
        for name, item in vars(value).items():
            if name.startswith("_") or callable(item) or inspect.isdatadescriptor(item):
                continue
            if isinstance(item, (classmethod, staticmethod)):
                continue
            yield from _mutable_containers(item, f"{path}.{name}", seen)
    elif attrs.has(type(value)) and type(value).__module__.startswith("netstatlib"):
        for field in attrs.fields(type(value)):
            yield from _mutable_containers(getattr(value, field.name), f"{path}.{field.name}", seen)


def _every_module() -> list[types.ModuleType]:
    modules = [netstatlib]
    for info in pkgutil.walk_packages(netstatlib.__path__, "netstatlib."):
        if info.name != "netstatlib.__main__":
            modules.append(importlib.import_module(info.name))
    return modules


def test_no_exported_container_can_be_changed() -> None:
    """Every name a module of netstatlib exports (its ``__all__``: the public modules',
    and the private modules' that their package re-exports) is immutable all the way
    down: ``netstatlib.KINDS["tcp"] = ...`` or ``backends.SOCKET_FILES.clear()`` would
    change the library for every caller in the process."""
    seen: set[int] = set()
    found = []
    modules = _every_module()
    assert len(modules) > 30  # the walk reaches every module
    for module in modules:
        for name in getattr(module, "__all__", ()):
            found += _mutable_containers(getattr(module, name), f"{module.__name__}.{name}", seen)
    assert found == []


def test_the_mutable_container_check_finds_what_it_should() -> None:
    @attrs.frozen
    class Holder:
        values: tuple[object, ...]

    Holder.__module__ = "netstatlib.fake"
    seen: set[int] = set()
    nested = Holder(values=(1, frozenset({"a"}), types.MappingProxyType({"k": [1]})))
    assert list(_mutable_containers(nested, "x", seen)) == ["x.values[2]['k'] (list)"]
    assert list(_mutable_containers((types.MappingProxyType({"k": {}}),), "y", set())) == [
        "y[0]['k'] (dict)"
    ]
    assert list(_mutable_containers(frozenset({1, 2}), "z", set())) == []


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("netstatlib", "KINDS"),
        ("netstatlib.backends", "SOCKET_FILES"),
        ("netstatlib.backends", "NET_FILES"),
        ("netstatlib.backends", "HINTS"),
        ("netstatlib.filters._values", "FAMILY_ALIASES"),
        ("netstatlib.cli._grammar", "CONNECTION_PROTOCOLS"),
    ],
)
def test_exported_mappings_refuse_changes(module: str, name: str) -> None:
    mapping = getattr(importlib.import_module(module), name)
    key = next(iter(mapping))
    before = dict(mapping)
    with pytest.raises(TypeError):
        mapping[key] = None
    with pytest.raises(TypeError):
        del mapping[key]
    with pytest.raises(AttributeError):
        mapping.clear()
    assert dict(mapping) == before


def test_a_backend_capabilities_fields_cannot_be_changed() -> None:
    fields = netstatlib.backends.LinuxProcfs.capabilities.fields
    with pytest.raises(TypeError):
        fields["connections"] = frozenset()  # type: ignore[index]
    assert "local" in fields["connections"]


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
    assert parsers.__all__ == ["procfs", "sockdiag", "windows"]
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
