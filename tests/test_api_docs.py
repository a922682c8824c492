"""The API reference describes everything it renders.

``docs/reference.md`` renders modules with mkdocstrings (``::: netstatlib``, ...), which
reads the package with griffe: statically, from the source, as this test does. For each
rendered module this test walks what mkdocstrings shows with the options of
``mkdocs.yml`` (``filters: ["!^_"]``, no inherited members, no submodules, imported names
only when exported, ``show_if_no_docstring: true``): module attributes, functions,
classes, and in each class its methods, properties, attributes (record fields, enum
members, attributes set in ``__init__``) and nested classes. Every one of them must have
a description: a docstring, or for an attribute the string griffe reads right after its
assignment.

Records are ``attrs`` classes, whose ``__init__`` griffe cannot see: mkdocs.yml renders
their fields with griffe-fieldz, which takes each field's description from that same
attribute docstring. The test also checks, at run time, that every ``attrs`` field of a
rendered class is such a documented attribute, so a field that griffe would not see
cannot go undescribed either.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import griffe
import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference.md"

# A rendered block: "::: module.path", then optionally indented "options:" lines.
_BLOCK = re.compile(r"^::: (?P<path>[\w.]+)[ \t]*\n(?P<options>(?:[ \t]+\S.*\n?)*)", re.MULTILINE)


def rendered_modules() -> list[tuple[str, bool]]:
    """``(module path, members rendered?)`` for each ``:::`` block of the reference page."""
    blocks = []
    for match in _BLOCK.finditer(REFERENCE.read_text(encoding="utf-8")):
        members = re.search(r"^\s*members:\s*false\s*$", match["options"], re.MULTILINE) is None
        blocks.append((match["path"], members))
    return blocks


@pytest.fixture(scope="module")
def package() -> griffe.Module:
    loader = griffe.GriffeLoader(search_paths=[str(ROOT)], docstring_parser="google")
    module = loader.load("netstatlib")
    assert isinstance(module, griffe.Module)
    assert Path(module.filepath).resolve().is_relative_to(ROOT)  # this checkout, not another
    loader.resolve_aliases(implicit=False, external=False)
    return module


def _lookup(package: griffe.Module, path: str) -> griffe.Object:
    obj: griffe.Object | griffe.Alias = package
    for part in path.split(".")[1:]:
        obj = obj.members[part]
    return obj.final_target if isinstance(obj, griffe.Alias) else obj


def _is_rendered(member: griffe.Object | griffe.Alias) -> bool:
    """What mkdocstrings-python shows as a member, with mkdocs.yml's options."""
    if member.name.startswith("_") or member.inherited:
        return False
    if member.is_imported and not member.is_public:
        return False
    return not member.is_module


def _described(obj: griffe.Object) -> bool:
    return obj.docstring is not None and obj.docstring.value.strip() != ""


def undescribed(obj: griffe.Object, shown_as: str, *, members: bool = True) -> Iterator[str]:
    """Every rendered object under ``obj`` (itself included) without a description."""
    if not _described(obj):
        yield shown_as
    if not members or not (obj.is_module or obj.is_class):
        return
    for name, member in obj.members.items():
        if not _is_rendered(member):
            continue
        target = member.final_target if isinstance(member, griffe.Alias) else member
        yield from undescribed(target, f"{shown_as}.{name}")


def rendered_classes(obj: griffe.Object, shown_as: str) -> Iterator[tuple[str, griffe.Class]]:
    for name, member in obj.members.items():
        if not _is_rendered(member):
            continue
        target = member.final_target if isinstance(member, griffe.Alias) else member
        if target.is_class:
            assert isinstance(target, griffe.Class)
            yield f"{shown_as}.{name}", target
            yield from rendered_classes(target, f"{shown_as}.{name}")


def test_the_walk_follows_the_options_of_mkdocs_yml() -> None:
    """The walk here mirrors how mkdocs.yml renders members: a change of those options
    must change the walk too."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r'^ +filters: \["!\^_"\]$', config, re.MULTILINE)
    assert re.search(r"^ +show_if_no_docstring: true$", config, re.MULTILINE)
    assert "show_submodules" not in config
    assert "inherited_members" not in config
    assert re.search(r"^ +- griffe_fieldz:$", config, re.MULTILINE)  # records' field tables


def test_the_reference_renders_the_public_modules() -> None:
    assert rendered_modules() == [
        ("netstatlib", True),
        ("netstatlib.audits", True),
        ("netstatlib.backends", True),
        ("netstatlib.filters", True),
        ("netstatlib.exporters", True),
        ("netstatlib.exporters.prometheus", True),
        ("netstatlib.exporters.otel", True),
        ("netstatlib.parsers", False),
        ("netstatlib.parsers.procfs", True),
        ("netstatlib.parsers.sockdiag", True),
        ("netstatlib.parsers.windows", True),
    ]


@pytest.mark.parametrize(("path", "members"), rendered_modules())
def test_every_exported_name_is_rendered(package: griffe.Module, path: str, members: bool) -> None:
    """griffe sees every name of ``__all__`` (lazy ones included), so none is left out
    of the page without a word."""
    module = _lookup(package, path)
    runtime = importlib.import_module(path)
    assert module.exports is not None, f"{path} has no __all__ griffe can read"
    assert set(module.exports) == set(runtime.__all__)
    if members:
        missing = [name for name in runtime.__all__ if name not in module.members]
        assert missing == [], f"{path} exports names griffe cannot find: {missing}"


@pytest.mark.parametrize(("path", "members"), rendered_modules())
def test_every_rendered_entry_has_a_description(
    package: griffe.Module, path: str, members: bool
) -> None:
    missing = list(undescribed(_lookup(package, path), path, members=members))
    assert missing == [], f"{len(missing)} entries of the API reference lack a description:\n" + (
        "\n".join(missing)
    )


@pytest.mark.parametrize(("path", "members"), [m for m in rendered_modules() if m[1]])
def test_every_record_field_has_a_description(
    package: griffe.Module, path: str, members: bool
) -> None:
    """Each ``attrs`` field of a rendered class, read at run time, is an attribute griffe
    sees with a description: what griffe-fieldz puts in the class's table of fields."""
    missing = []
    records = 0
    for shown_as, cls in rendered_classes(_lookup(package, path), path):
        runtime = getattr(importlib.import_module(cls.module.path), cls.name)
        if not attrs.has(runtime):
            continue
        records += 1
        for field in attrs.fields(runtime):
            if field.name.startswith("_"):
                continue
            attribute = cls.members.get(field.name)
            if attribute is None or not _described(attribute):
                missing.append(f"{shown_as}.{field.name}")
    assert missing == [], "record fields without a description:\n" + "\n".join(missing)
    if path == "netstatlib":
        assert records >= 10  # Connection, Route, InterfaceStats, ...: the walk saw them
