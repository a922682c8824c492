"""The shape of the package: imports go one way, and there is no import cycle.

Every ``import`` and ``from ... import`` among netstatlib's modules is read with ``ast``,
wherever it is: at the top, inside a function (a lazy import is still a dependency), or
under ``if TYPE_CHECKING:``. ``docs/architecture.md`` draws the same layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "netstatlib"

# The layers, lowest first: a module may import its own layer and the ones below, never
# one above. The first matching prefix gives a module's layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "model and errors",
        (
            "netstatlib._counters",
            "netstatlib._errors",
            "netstatlib._escape",
            "netstatlib._gc",
            "netstatlib._identity",
            "netstatlib._interrupt",
            "netstatlib._model",
            "netstatlib._partial",
            "netstatlib._tables",
            "netstatlib._version",
        ),
    ),
    (
        "parsers, sources, capture format, text",
        (
            "netstatlib.parsers",
            "netstatlib._sources",
            "netstatlib._owner_memory",
            "netstatlib._capture_format",
            "netstatlib._record_json",
            "netstatlib._text",
            "netstatlib._frame",
        ),
    ),
    # Table filters with the predicates (Table.where), so it sits beside them.
    ("filters and backends", ("netstatlib.filters", "netstatlib.backends", "netstatlib._table")),
    (
        "query functions",
        ("netstatlib._query", "netstatlib._capture", "netstatlib._resolve", "netstatlib.audits"),
    ),
    (
        "monitoring",
        ("netstatlib._snapshot", "netstatlib._diff", "netstatlib._rates", "netstatlib._watch"),
    ),
    ("exporters", ("netstatlib.exporters",)),
    ("command line", ("netstatlib.cli", "netstatlib.__main__")),
    ("public face", ("netstatlib",)),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from`` import names (``from ..x import y`` in a.b.c)."""
    if node.level == 0:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported(module: str) -> Iterator[tuple[str, int]]:
    """The netstatlib modules ``module`` imports, with the line of each import."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "netstatlib":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node)
            if target.split(".")[0] != "netstatlib":
                continue
            for alias in node.names:
                # `from . import audits` imports the submodule; `from .x import name` the
                # module x (whose __init__ runs, but that is x's own business).
                submodule = f"{target}.{alias.name}"
                yield (submodule if submodule in MODULES else target), node.lineno


GRAPH = {module: sorted({target for target, _ in imported(module)}) for module in MODULES}


def layer(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            # The package itself is the public face; its modules are placed one by one.
            inside = prefix != "netstatlib" and module.startswith(prefix + ".")
            if module == prefix or inside:
                return index
    raise AssertionError(f"{module} is in no layer of this test: add it to LAYERS")


def test_every_import_names_an_existing_module() -> None:
    for module, targets in GRAPH.items():
        for target in targets:
            assert target in MODULES, f"{module} imports {target}, which is not a module here"


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Depth-first search over an import graph; every back edge closes a cycle."""
    state: dict[str, str] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = "open"
        stack.append(module)
        for target in graph[module]:
            if state.get(target) == "open":
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module)
    return cycles


def test_no_import_cycles() -> None:
    assert find_cycles(GRAPH) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module: str) -> None:
    mine = layer(module)
    for target, line in imported(module):
        if module.startswith(target + ".") and MODULES[target].name == "__init__.py":
            continue  # a package's own __init__ (never imported by its modules here)
        assert layer(target) <= mine, (
            f"{module}:{line} imports {target} ({LAYERS[layer(target)][0]}) from below, "
            f"in {LAYERS[mine][0]}"
        )


def test_nothing_but_the_command_line_imports_the_command_line() -> None:
    for module, targets in GRAPH.items():
        if module == "netstatlib.__main__" or module.startswith("netstatlib.cli"):
            continue
        assert not [t for t in targets if t.startswith("netstatlib.cli")], module
    assert GRAPH["netstatlib.__main__"] == ["netstatlib.cli"]


def test_the_command_line_is_a_package_of_private_modules() -> None:
    cli = [module for module in MODULES if module.startswith("netstatlib.cli.")]
    assert cli and all(module.rpartition(".")[2].startswith("_") for module in cli)


def test_the_text_engine_needs_only_the_data_model() -> None:
    allowed = {"netstatlib._model", "netstatlib._errors", "netstatlib._escape"}
    assert set(GRAPH["netstatlib._text"]) <= allowed
    assert "netstatlib._text" in GRAPH["netstatlib._table"]


def test_the_typing_of_counters_imports_nothing_and_monitoring_asks_the_query_layer() -> None:
    assert GRAPH["netstatlib._counters"] == []  # shared with exporters, as it is
    assert GRAPH["netstatlib._identity"] == ["netstatlib._model"]
    for module in ("netstatlib._snapshot", "netstatlib._diff", "netstatlib._rates"):
        assert not [t for t in GRAPH[module] if t.startswith("netstatlib.parsers")], module
    assert "netstatlib._query" in GRAPH["netstatlib._snapshot"]


def test_the_capture_format_imports_no_backend() -> None:
    assert not [t for t in GRAPH["netstatlib._capture_format"] if "backends" in t]


def test_filters_import_only_the_predicate_values_and_the_model() -> None:
    allowed = {"netstatlib._errors", "netstatlib._model", "netstatlib._tables"}
    for module, targets in GRAPH.items():
        if not module.startswith("netstatlib.filters"):
            continue
        for target in targets:
            assert target.startswith("netstatlib.filters") or target in allowed, (module, target)
    # The ss language and the planner know nothing of each other.
    assert "netstatlib.filters._plan" not in GRAPH["netstatlib.filters._ssfilter"]
    assert "netstatlib.filters._ssfilter" not in GRAPH["netstatlib.filters._plan"]
    assert not [
        t for t in GRAPH["netstatlib.filters._predicates"] if t != "netstatlib.filters._values"
        and t.startswith("netstatlib.filters")
    ]  # fmt: skip


def test_the_check_finds_a_cycle_a_lazy_import_and_a_relative_one() -> None:
    assert find_cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": ["b", "c"], "b": ["c"], "c": []}) == []
    lazy = ast.parse("def later():\n    from ..backends import _linux\n")
    node = next(n for n in ast.walk(lazy) if isinstance(n, ast.ImportFrom))
    assert resolve("netstatlib.filters._plan", node) == "netstatlib.backends"
    package = ast.parse("from . import _errors\n").body[0]
    assert isinstance(package, ast.ImportFrom)
    assert resolve("netstatlib", package) == "netstatlib"
    assert resolve("netstatlib.backends", package) == "netstatlib.backends"
    # The graph holds imports made inside functions: the registry loads each backend so.
    assert "netstatlib.backends._windows" in GRAPH["netstatlib.backends._registry"]
    assert layer("netstatlib") == len(LAYERS) - 1
    assert layer("netstatlib.backends._linux") == 2
