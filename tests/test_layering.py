"""Imports go one way: the command line sits on top of the library, the text layout engine
at the bottom beside the data model.

Read from the source (every ``import``, including those inside functions and under
``TYPE_CHECKING``), so that a lazy import cannot hide a dependency that points upward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "netstatlib"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The netstatlib modules ``name`` imports, anywhere in its source."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            candidates = [target, *(f"{target}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c in MODULES and c != name)
    return found


GRAPH = {name: _imports(name) for name in MODULES}
CLI = sorted(name for name in MODULES if name.split(".")[:2] == ["netstatlib", "cli"])


def _reaches(start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        name = stack.pop()
        for target in GRAPH[name]:
            if target == goal:
                return True
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return False


def test_the_command_line_is_a_package_of_private_modules() -> None:
    assert "netstatlib.cli" in CLI and "netstatlib._cli" not in MODULES
    assert all(name.rpartition(".")[2].startswith("_") for name in CLI if name != "netstatlib.cli")


def test_nothing_in_the_library_imports_the_command_line() -> None:
    importers = {
        name
        for name, targets in GRAPH.items()
        if name not in CLI and name != "netstatlib.__main__"
        if any(target in CLI for target in targets)
    }
    assert importers == set()
    assert GRAPH["netstatlib.__main__"] == {"netstatlib.cli"}


def test_the_text_engine_needs_only_the_data_model() -> None:
    assert GRAPH["netstatlib._text"] <= {"netstatlib._model", "netstatlib._errors"}
    assert "netstatlib._text" in GRAPH["netstatlib._table"]


@pytest.mark.parametrize("name", [*CLI, "netstatlib._text", "netstatlib._table"])
def test_no_import_cycle_through(name: str) -> None:
    assert not _reaches(name, name)
