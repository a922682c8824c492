"""Backend selection: the default per OS, NETSTATLIB_BACKEND, names, available()."""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

import attrs
import pytest

import netstatlib
from netstatlib import UsageError
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


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)


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


def test_linux_records_fill_only_declared_fields() -> None:
    backend = LinuxProcfs()
    fields = backend.capabilities.fields
    queries = {
        "connections": lambda: netstatlib.connections("all", backend=backend),
        "routes": lambda: netstatlib.routes(backend=backend),
        "interface_stats": lambda: netstatlib.interface_stats(backend=backend),
        "protocol_stats": lambda: netstatlib.protocol_stats(backend=backend),
    }
    for query, run in queries.items():
        for record in run():
            filled = {
                f.name for f in attrs.fields(type(record)) if getattr(record, f.name) is not None
            }
            assert filled <= fields[query], (query, filled - fields[query])


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
