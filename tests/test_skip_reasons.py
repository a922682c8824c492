"""Every skipped test says why, in one line: a sentence a reader of ``pytest -rs`` acts on.

Each reason given in the tests (``pytest.skip(...)``, ``skip_live(...)``, the ``reason``
of ``skipif``, ``skip``, ``xfail`` and ``importorskip``) is read with ``ast``; a literal
or f-string must be one line, start with a capital letter and end with a full stop. A
reason held in a name must be a module constant of ``conftest`` that passes the same
check. pytest's own reason for an empty parametrization ("got empty parameter set")
says nothing of why: ``parameters_or_skip`` replaces it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import conftest

TESTS = Path(__file__).resolve().parent
FILES = sorted(path for path in TESTS.rglob("*.py") if "fixtures" not in path.parts)
SKIPPERS = {"skip", "skip_live", "importorskip", "skipif", "xfail"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def reasons(tree: ast.AST) -> Iterator[tuple[int, ast.expr]]:
    """(line, reason expression) of every skip in ``tree``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _name(node.func) not in SKIPPERS:
            continue
        given = [keyword.value for keyword in node.keywords if keyword.arg == "reason"]
        if _name(node.func) in ("skip", "skip_live") and node.args:
            given.append(node.args[0])
        for reason in given:
            yield node.lineno, reason


def sentence(text: str) -> bool:
    return "\n" not in text and text[:1].isupper() and text.endswith(".")


def static_parts(reason: ast.expr) -> list[str] | None:
    """The text of a literal, or the literal parts of an f-string; None for a name."""
    if isinstance(reason, ast.Constant) and isinstance(reason.value, str):
        return [reason.value]
    if isinstance(reason, ast.JoinedStr):
        return [value.value if isinstance(value, ast.Constant) else "{}" for value in reason.values]
    return None


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(TESTS)))
def test_every_skip_reason_is_a_one_line_sentence(path: Path) -> None:
    for line, reason in reasons(ast.parse(path.read_text(), str(path))):
        parts = static_parts(reason)
        where = f"{path.name}:{line}"
        if parts is not None:
            text = "".join(parts)
            assert sentence(text.replace("{}", "X")), f"{where}: {text!r}"
            continue
        name = _name(reason)
        if name == "reason":
            continue  # passed through: checked where it is made (conftest.skip_live, ...)
        assert name is not None and sentence(getattr(conftest, name)), f"{where}: {name}"


def test_reasons_made_apart_are_sentences_too() -> None:
    from test_ssfilter import _netns_possible

    assert sentence(conftest.NO_WINDOWS_CAPTURES)
    reason = _netns_possible()
    assert reason is None or sentence(reason)


def test_the_check_tells_a_sentence_from_a_fragment() -> None:
    bad = ast.parse('pytest.skip("needs a live /proc")\nskip_live(f"{x} missing")')
    good = ast.parse('pytest.skip(f"This host has {n} devices.")')
    assert [sentence("".join(static_parts(r) or "")) for _, r in reasons(bad)] == [False, False]
    assert [sentence("".join(static_parts(r) or "").replace("{}", "X")) for _, r in reasons(good)]
